import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { PROJECT_DIR, settingsFromStackFile } from "../../../settings/stack-file";
import { RawStackConfig, StackConfigError, validateStackConfig } from "../../../settings/validate";

const pem = (what: string, body = "MIIBsecretbody") => `-----BEGIN ${what}-----\n${body}\n-----END ${what}-----\n`;
const THREE = [
    { name: "host-a", docker: "unix:///var/run/docker.sock", address: "10.0.0.11" },
    { name: "host-b", docker: "ssh://deploy@10.0.0.12:2222", sshOpts: ["-i", "/k"], address: "10.0.0.12" },
    { name: "host-c", docker: "tcp://10.0.0.13:2376", address: "10.0.0.13" },
];
const TLS = { "host-c": { ca: pem("CERTIFICATE"), cert: pem("CERTIFICATE"), key: pem("PRIVATE KEY", "TOPSECRETKEYBODY") } };

const raw = (cluster: Record<string, unknown>, hostTls?: unknown, secret = true): RawStackConfig => ({
    stack: "dev",
    keys: ["cluster", ...(hostTls === undefined ? [] : ["hostTls"])],
    cluster,
    secrets: {},
    ...(hostTls === undefined ? {} : { hostTls: { value: JSON.stringify(hostTls), secret } }),
});

function problemsOf(input: RawStackConfig): string[] {
    try {
        validateStackConfig(input);
    } catch (err) {
        expect(err).to.be.instanceOf(StackConfigError);
        return [...(err as StackConfigError).problems];
    }
    throw new Error("expected the config to be rejected");
}

describe("validateStackConfig with hosts", () => {
    it("accepts three hosts of the three endpoint kinds and plans them round-robin", () => {
        const settings = validateStackConfig(raw({ hosts: THREE }, TLS));
        expect(settings.plan.nodes.map((n) => n.host)).to.deep.equal(["host-a", "host-b", "host-c"]);
        // A placement that survives the loss of any host, as Example 2: nothing to warn about.
        expect(settings.warnings).to.deep.equal([]);
    });

    it("leaves a stack without hosts on one host, with no warnings", () => {
        const settings = validateStackConfig(raw({}));
        expect(settings.plan.hosts).to.equal(undefined);
        expect(settings.cluster.hosts).to.equal(undefined);
        expect(settings.warnings).to.deep.equal([]);
    });

    for (const [docker, why] of [
        ["tcp://10.0.0.13", "a tcp:// endpoint without its port"],
        ["http://10.0.0.13:2376", "another scheme"],
        ["unix://var/run/docker.sock", "a relative socket path"],
        ["ssh://deploy@host name", "a space"],
    ] as const) {
        it(`rejects ${why} (${docker}), naming the three endpoint kinds`, () => {
            const hosts = [{ ...THREE[0], docker }, THREE[1], { ...THREE[2], docker: "unix:///c.sock" }];
            const [problem] = problemsOf(raw({ hosts }));
            expect(problem).to.match(/^appscreens-redis:cluster\.hosts\[0\]\.docker: must be a Docker endpoint: unix:/);
            expect(problem).to.include(`(got ${JSON.stringify(docker)})`);
        });
    }

    it("rejects a bad host name, a bad address and an unknown key in a host", () => {
        const problems = problemsOf(
            raw({ hosts: [{ ...THREE[0], name: "Host A", address: "10.0.0", zone: "x" }, THREE[1], THREE[2]] }, TLS),
        );
        expect(problems.some((p) => p.startsWith("appscreens-redis:cluster.hosts[0].name: must be a host name"))).to.equal(true);
        expect(
            problems.some((p) => p.startsWith("appscreens-redis:cluster.hosts[0].address: must be the host's private IPv4 address")),
        ).to.equal(true);
        expect(problems.some((p) => p.startsWith("appscreens-redis:cluster.hosts[0].zone: unknown key"))).to.equal(true);
    });

    it("rejects an empty hosts list: remove the key for one host", () => {
        expect(problemsOf(raw({ hosts: [] }))).to.deep.equal([
            "appscreens-redis:cluster.hosts: hosts needs at least one host; remove the key to run on one Docker Engine (got [])",
        ]);
    });

    it("rejects two hosts (Example 1, DON'T DO THIS) unless survive: none", () => {
        const two = THREE.slice(0, 2);
        const problems = problemsOf(raw({ hosts: two }));
        expect(problems[0]).to.include("2 host(s) cannot keep a Sentinel majority").and.include("DON'T DO THIS");
        // With survive: none only the hosts' own checks remain: one failure domain, declared.
        expect(validateStackConfig(raw({ hosts: two, placement: { survive: "none" } })).plan.hosts).to.have.length(2);
        expect(validateStackConfig(raw({ hosts: THREE.slice(0, 1), placement: { survive: "none" } })).plan.nodes[2].host).to.equal(
            "host-a",
        );
    });

    it("rejects pins that put two of three Sentinels on one host", () => {
        const problems = problemsOf(raw({ hosts: THREE, placement: { pins: { "sentinel-1": "host-a" } } }, TLS));
        expect(problems).to.have.length(1);
        expect(problems[0]).to.match(/^appscreens-redis:cluster\.placement: losing host host-a leaves 1 of 3 Sentinels/);
    });

    it("warns, without stopping, when a lost host leaves too few replicas for minReplicasToWrite", () => {
        const settings = validateStackConfig(raw({ hosts: THREE, replicas: 1 }, TLS));
        const loss = settings.warnings;
        expect(loss).to.have.length(2);
        expect(loss[0]).to.match(/^appscreens-redis:cluster\.redis\.minReplicasToWrite: losing host host-a leaves 0 replica/);
    });

    it("rejects a tcp:// host without the CA, and never echoes a PEM", () => {
        const noCa = { "host-c": { cert: TLS["host-c"].cert, key: TLS["host-c"].key } };
        const problems = problemsOf(raw({ hosts: THREE }, noCa));
        expect(problems.some((p) => p.includes("hostTls.host-c lacks ca"))).to.equal(true);
        expect(problems.join("\n")).to.not.include("TOPSECRETKEYBODY");
    });

    it("rejects a PEM that is not one, and TLS stored in plain text, without echoing either", () => {
        const bad = { "host-c": { ...TLS["host-c"], key: "TOPSECRETKEYBODY" } };
        const problems = problemsOf(raw({ hosts: THREE }, bad, false));
        expect(problems).to.include(
            "appscreens-redis:hostTls.host-c.key: the client key must be a PEM block (-----BEGIN ...----- ... -----END ...-----)",
        );
        expect(problems.some((p) => p.includes("stored in plain text"))).to.equal(true);
        expect(problems.join("\n")).to.not.include("TOPSECRETKEYBODY");
    });

    it("rejects hostTls that is not an object by host name", () => {
        const input: RawStackConfig = {
            ...raw({ hosts: THREE }),
            keys: ["cluster", "hostTls"],
            hostTls: { value: "not json", secret: true },
        };
        const problems = problemsOf(input);
        expect(problems[0]).to.match(/^appscreens-redis:hostTls: must be an object by host name/);
    });

    it("rejects publish.host set beside hosts, but not its default", () => {
        expect(problemsOf(raw({ hosts: THREE, publish: { host: "127.0.0.1" } }, TLS))).to.deep.equal([
            "appscreens-redis:cluster.publish.host: is unused with hosts (each server publishes on its host's address); remove it",
        ]);
        expect(validateStackConfig(raw({ hosts: THREE, publish: { redisBasePort: 7000 } }, TLS)).plan.nodes[0].hostPort).to.equal(7000);
    });

    it("rejects pins without hosts", () => {
        expect(problemsOf(raw({ placement: { pins: { "redis-0": "host-a" } } }))).to.deep.equal([
            "appscreens-redis:cluster.placement.pins.redis-0: pins need cluster.hosts; add the hosts or remove the pin",
        ]);
    });
});

describe("the three-hosts example stack file", () => {
    it("validates, survives the loss of any host and plans Example 2", () => {
        const settings = settingsFromStackFile("three-hosts", path.join(PROJECT_DIR, "docs/examples"));
        expect(settings.warnings).to.deep.equal([]);
        expect(settings.plan.nodes.map((n) => n.host)).to.deep.equal(["host-a", "host-b", "host-c"]);
        expect(settings.plan.sentinels.map((n) => n.host)).to.deep.equal(["host-a", "host-b", "host-c"]);
    });
});

describe("a stack file with a tcp:// host", () => {
    const file = (hostTls: unknown) =>
        [
            "config:",
            "  appscreens-redis:cluster:",
            "    hosts:",
            ...["a", "b", "c"].flatMap((h, i) => [
                `      - name: host-${h}`,
                `        docker: ${h === "c" ? "tcp://10.0.0.13:2376" : `unix:///run/${h}.sock`}`,
                `        address: 10.0.0.1${i + 1}`,
            ]),
            `  appscreens-redis:hostTls: ${JSON.stringify(hostTls)}`,
            "",
        ].join("\n");
    const dirs: string[] = [];
    after(() => {
        for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    });
    const settingsOf = (hostTls: unknown) => {
        const dir = mkdtempSync(path.join(tmpdir(), "hosts-stack-"));
        dirs.push(dir);
        writeFileSync(path.join(dir, "Pulumi.tcp.yaml"), file(hostTls));
        return () => settingsFromStackFile("tcp", dir);
    };
    const secure = { secure: "AAABAJ0fakeciphertext" };

    it("counts encrypted PEMs as present, so tools outside `pulumi up` accept it", () => {
        expect(settingsOf({ "host-c": { ca: secure, cert: secure, key: secure } })().plan.nodes[2].host).to.equal("host-c");
    });

    it("still names a missing CA, and PEMs stored in plain text", () => {
        expect(settingsOf({ "host-c": { cert: secure, key: secure } })).to.throw(/hostTls\.host-c lacks ca/);
        expect(settingsOf({ "host-c": { ca: "x", cert: secure, key: secure } })).to.throw(/hostTls: is stored in plain text/);
    });
});
