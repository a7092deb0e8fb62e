import { expect } from "chai";
import * as path from "node:path";
import { buildPostDeployPlan, parsePostDeployPlan, PlanError } from "../../../contracts/plan";
import { DockerTlsError, dockerTlsEnvironment, parseDockerTls } from "../../../contracts/docker-hosts";
import { DOCKER_TLS_ENV } from "../../../contracts/env";
import { DockerHostError, enginesOf } from "../../../ops/docker/engines";
import { PROJECT_DIR, settingsFromStackFile } from "../../../settings/stack-file";

const PEM = (what: string) => `-----BEGIN ${what}-----\nAAAA\n-----END ${what}-----\n`;

describe("the post-deploy plan: which host each server's container is on", () => {
    const spread = buildPostDeployPlan(settingsFromStackFile("three-hosts", path.join(PROJECT_DIR, "docs/examples")));

    it("names every server's host and lists the hosts' endpoints, no PEM among them", () => {
        expect(spread.servers.map((s) => `${s.name}@${s.dockerHost}`)).to.deep.equal([
            "redis-0@host-a",
            "redis-1@host-b",
            "redis-2@host-c",
            "sentinel-0@host-a",
            "sentinel-1@host-b",
            "sentinel-2@host-c",
        ]);
        expect(spread.dockerHosts?.map((h) => `${h.name} ${h.docker}`)).to.deep.equal([
            "host-a unix:///var/run/docker.sock",
            "host-b ssh://deploy@10.0.0.12",
            "host-c ssh://deploy@10.0.0.13",
        ]);
        expect(JSON.stringify(spread)).to.not.include("-----BEGIN");
        // It crosses the process boundary intact.
        expect(parsePostDeployPlan(JSON.stringify(spread))).to.deep.equal(spread);
    });

    it("on a single host has neither, so its JSON (a trigger of the post-deploy command) is what it was", () => {
        const single = buildPostDeployPlan(settingsFromStackFile("dev"));
        expect(single).to.not.have.property("dockerHosts");
        expect(single.servers.some((s) => "dockerHost" in s)).to.equal(false);
    });

    it("refuses a plan whose server names a host it does not list", () => {
        const bad = { ...spread, servers: spread.servers.map((s, i) => (i === 0 ? { ...s, dockerHost: "host-z" } : s)) };
        let err: unknown;
        try {
            parsePostDeployPlan(JSON.stringify(bad));
        } catch (e) {
            err = e;
        }
        expect(err).to.be.instanceOf(PlanError);
        expect((err as PlanError).field).to.equal("servers");
    });

    it("routes each server to its host's engine, and names the host whose ssh key it cannot read", () => {
        const made: string[] = [];
        const engines = enginesOf(spread, {}, (o) => {
            made.push(o?.socketPath ?? `${o?.protocol}://${o?.host}`);
            return {} as never;
        });
        engines.forServer("sentinel-0");
        engines.forServer("redis-0");
        expect(made).to.deep.equal(["/var/run/docker.sock"]);
        expect(engines.hostOf("sentinel-2")).to.equal("host-c");
        // The example's key file does not exist on this machine.
        expect(() => engines.forServer("redis-1"))
            .to.throw(DockerHostError, /host-b: cannot read the ssh key \/home\/deploy\/.ssh\/id_ed25519/)
            .with.property("kind", "ssh-key-unreadable");
    });
});

describe("the hosts' TLS material handed to the tools", () => {
    const tls = { "host-c": { ca: PEM("CERTIFICATE"), cert: PEM("CERTIFICATE"), key: PEM("EC PRIVATE KEY") } };

    it("crosses in one secret variable and is read back checked", () => {
        const env = dockerTlsEnvironment(tls);
        expect(Object.keys(env)).to.deep.equal([DOCKER_TLS_ENV]);
        expect(parseDockerTls(env[DOCKER_TLS_ENV])).to.deep.equal(tls);
        expect(parseDockerTls(undefined)).to.deep.equal({});
    });

    it("refuses a malformed value by field and a non-JSON one without quoting it", () => {
        const missing = () => parseDockerTls(JSON.stringify({ "host-c": { ca: PEM("CERTIFICATE"), cert: PEM("CERTIFICATE") } }));
        expect(missing).to.throw(DockerTlsError, /malformed at \["host-c"\]\.key|malformed at host-c\.key/);
        const secretish = "-----BEGIN EC PRIVATE KEY----- not json";
        try {
            parseDockerTls(secretish);
            expect.fail("accepted non-JSON");
        } catch (err) {
            expect(err).to.be.instanceOf(DockerTlsError);
            expect((err as DockerTlsError).kind).to.equal("not-json");
            expect((err as Error).message).to.not.include("PRIVATE");
        }
    });
});
