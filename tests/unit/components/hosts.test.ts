import type * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { DOCKER_TLS_ENV, PLAN_ENV, SETTINGS_ENV } from "../../../contracts/env";
import { parseVolumeCheckRequest } from "../../../contracts/volume-check";
import { volumeEngines } from "../../../ops/docker/engines";
import { flattenConfig, PROJECT_DIR, StackConfigObject } from "../../../settings/stack-file";
import { isWireSecret, ProgramRun, resourceKey, runProgramUnderMocks, unwrapSecrets } from "../../support/program-under-mocks";
import { SAMPLE_REPORT } from "../../support/post-deploy-report";
import { ResourceDigest, snapshot } from "../../support/resource-snapshot";

const CONTAINER = "docker:index/container:Container";
const VOLUME = "docker:index/volume:Volume";
const NETWORK = "docker:index/network:Network";
const IMAGE = "docker:index/remoteImage:RemoteImage";
const DOCKER_PROVIDER = "pulumi:providers:docker";
const IMAGE_ID = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

const pem = (what: string) => `-----BEGIN ${what}-----\nMIIBfake${what.replace(/ /g, "")}\n-----END ${what}-----\n`;
const TLS = { ca: pem("CERTIFICATE"), cert: pem("CERTIFICATE"), key: pem("PRIVATE KEY") };

/** Three hosts, one of each endpoint kind, as the Redis docs' Example 2 has three boxes. */
const THREE_HOSTS: StackConfigObject = {
    cluster: {
        hosts: [
            { name: "host-a", docker: "unix:///run/host-a/docker.sock", address: "10.77.0.11" },
            { name: "host-b", docker: "ssh://deploy@10.77.0.12", sshOpts: ["-i", "/home/deploy/.ssh/id_ed25519"], address: "10.77.0.12" },
            { name: "host-c", docker: "tcp://10.77.0.13:2376", address: "10.77.0.13" },
        ],
    },
    hostTls: { "host-c": TLS },
};

interface Declared {
    readonly run: ProgramRun;
    readonly resources: pulumi.runtime.MockResourceArgs[];
}

/** The program under `pulumi preview` (with hosts, `pulumi up` refuses: see the last test). */
async function declare(config: StackConfigObject, secretKeys: string[] = [], preview = true): Promise<Declared> {
    const resources: pulumi.runtime.MockResourceArgs[] = [];
    const run = await runProgramUnderMocks(
        "dev",
        flattenConfig(config, secretKeys),
        {
            newResource(args) {
                resources.push(args);
                const computed: Record<string, unknown> = {};
                if (args.type === "random:index/randomPassword:RandomPassword") computed.result = "GeneratedPassw0rdGeneratedPassw0";
                if (args.type === IMAGE) computed.imageId = `${IMAGE_ID}-${args.name}`;
                if (args.type === "command:local:Command") computed.stdout = JSON.stringify(SAMPLE_REPORT);
                return { id: `${args.name}-id`, state: { ...args.inputs, ...computed } };
            },
            call: (args) => args.inputs,
        },
        new Map(),
        preview,
    );
    return { run, resources };
}

/** The host whose provider (`docker-<host>`) a resource was registered with, or "default". */
function providerName(r: pulumi.runtime.MockResourceArgs): string {
    if (!r.provider) return "default";
    const name = r.provider.split("::")[3];
    return name.startsWith("default") ? "default" : name.replace(/^docker-/, "");
}

const ofType = (d: Declared, type: string) => d.resources.filter((r) => r.type === type);
const named = (d: Declared, type: string, name: string) => {
    const found = ofType(d, type).find((r) => r.name === name);
    if (!found) throw new Error(`no ${type} ${name}`);
    return found;
};

describe("a stack with hosts, under mocks", () => {
    let d: Declared;
    before(async () => {
        d = await declare(THREE_HOSTS, ["hostTls"]);
    });

    it("declares one docker provider per host, with its endpoint", () => {
        const providers = ofType(d, DOCKER_PROVIDER).filter((p) => !p.name.startsWith("default"));
        expect(providers.map((p) => p.name)).to.have.members(["docker-host-a", "docker-host-b", "docker-host-c"]);
        expect(named(d, DOCKER_PROVIDER, "docker-host-a").inputs.host).to.equal("unix:///run/host-a/docker.sock");
        expect(named(d, DOCKER_PROVIDER, "docker-host-b").inputs.host).to.equal("ssh://deploy@10.77.0.12");
        // Provider inputs reach the engine as JSON strings.
        expect(JSON.parse(named(d, DOCKER_PROVIDER, "docker-host-b").inputs.sshOpts as string)).to.deep.equal([
            "-i",
            "/home/deploy/.ssh/id_ed25519",
        ]);
        expect(named(d, DOCKER_PROVIDER, "docker-host-a").inputs).to.not.have.property("caMaterial");
    });

    it("gives the tcp:// host all three PEMs, each kept secret", () => {
        const inputs = named(d, DOCKER_PROVIDER, "docker-host-c").inputs;
        for (const [input, part] of [
            ["caMaterial", "ca"],
            ["certMaterial", "cert"],
            ["keyMaterial", "key"],
        ] as const) {
            expect(isWireSecret(inputs[input]), input).to.equal(true);
            expect(unwrapSecrets(inputs[input]), input).to.equal(TLS[part]);
        }
    });

    it("tells each settings step which host its container is on, and only a tcp:// host's step gets that host's PEMs, secret", () => {
        const steps = ofType(d, "command:local:Command").filter((c) => c.name.endsWith("-settings"));
        expect(steps).to.have.length(6);
        for (const step of steps) {
            // The whole environment is a secret (it holds passwords); its PEM entry is one too.
            const env = unwrapSecrets(step.inputs.environment) as Record<string, unknown>;
            const target = JSON.parse(env[SETTINGS_ENV.server] as string) as { dockerHost?: { name: string } };
            const host = target.dockerHost?.name;
            expect(host, step.name).to.be.a("string");
            if (host === "host-c") {
                expect(isWireSecret(step.inputs.environment), step.name).to.equal(true);
                expect(JSON.parse(env[DOCKER_TLS_ENV] as string)).to.deep.equal({ "host-c": TLS });
            } else {
                expect(env, step.name).to.not.have.property(DOCKER_TLS_ENV);
            }
        }
    });

    it("has the volume check look for each server's volume on that server's host", () => {
        const check = named(d, "command:local:Command", "data-volume-check");
        const env = unwrapSecrets(check.inputs.environment) as Record<string, unknown>;
        const request = parseVolumeCheckRequest(env as NodeJS.ProcessEnv);
        expect(request.volumes.map((v) => `${v.server}@${v.dockerHost}`)).to.deep.equal([
            "redis-0@host-a",
            "redis-1@host-b",
            "redis-2@host-c",
            "sentinel-0@host-a",
            "sentinel-1@host-b",
            "sentinel-2@host-c",
        ]);
        expect(request.dockerHosts?.map((h) => h.name)).to.deep.equal(["host-a", "host-b", "host-c"]);
        expect(isWireSecret(check.inputs.environment), "the environment holding the PEMs is secret").to.equal(true);
        expect(JSON.parse(env[DOCKER_TLS_ENV] as string)).to.deep.equal({ "host-c": TLS });
        const engines = volumeEngines(request);
        expect(engines.hostOf("sentinel-1")).to.equal("host-b");
    });

    it("hands the post-deploy command each server's host, and the PEMs only as a secret", () => {
        const env = unwrapSecrets(named(d, "command:local:Command", "warm-and-verify").inputs.environment) as Record<string, unknown>;
        const plan = JSON.parse(env[PLAN_ENV] as string) as { servers: { name: string; dockerHost: string }[] };
        expect(plan.servers.map((x) => x.dockerHost)).to.deep.equal(["host-a", "host-b", "host-c", "host-a", "host-b", "host-c"]);
        expect(env[PLAN_ENV]).to.not.include("BEGIN");
        expect(JSON.parse(env[DOCKER_TLS_ENV] as string)).to.deep.equal({ "host-c": TLS });
        expect(isWireSecret(named(d, "command:local:Command", "warm-and-verify").inputs.environment)).to.equal(true);
    });

    it("puts every container and volume on its host's provider, round-robin (Example 2: a node and a Sentinel per box)", () => {
        const expected: Record<string, string> = {
            "redis-0": "host-a",
            "redis-1": "host-b",
            "redis-2": "host-c",
            "sentinel-0": "host-a",
            "sentinel-1": "host-b",
            "sentinel-2": "host-c",
        };
        const servers = ofType(d, CONTAINER).filter((c) => !c.name.endsWith("-exporter"));
        expect(servers).to.have.length(6);
        for (const c of servers) {
            expect(providerName(c), c.name).to.equal(expected[c.name]);
            expect(providerName(named(d, VOLUME, `${c.name}-data`)), `${c.name}-data`).to.equal(expected[c.name]);
            expect(c.inputs.labels).to.deep.include({ label: "appscreens.host", value: expected[c.name] });
        }
        // Each server's exporter runs beside it, on its host, where it reaches the server's static address.
        for (const [server, host] of Object.entries(expected)) {
            const exporter = named(d, CONTAINER, `${server}-exporter`);
            expect(providerName(exporter), exporter.name).to.equal(host);
            expect(exporter.inputs.labels).to.deep.include({ label: "appscreens.host", value: host });
        }
        // The settings steps are local commands: they run on the deploy machine, not on a host.
        for (const s of ofType(d, "command:local:Command")) expect(providerName(s), s.name).to.equal("default");
    });

    it("declares a network and an image on each host, and each container uses its own host's", () => {
        for (const host of ["host-a", "host-b", "host-c"]) {
            expect(providerName(named(d, NETWORK, `network-${host}`))).to.equal(host);
            expect(providerName(named(d, IMAGE, `image-${host}`))).to.equal(host);
            expect(providerName(named(d, IMAGE, `exporter-image-${host}`))).to.equal(host);
        }
        expect(ofType(d, NETWORK)).to.have.length(3);
        // The servers' image and the exporters' on each host.
        expect(ofType(d, IMAGE)).to.have.length(6);
        expect(named(d, CONTAINER, "redis-1-exporter").inputs.image).to.equal(`${IMAGE_ID}-exporter-image-host-b`);
        expect(named(d, CONTAINER, "redis-1").inputs.image).to.equal(`${IMAGE_ID}-image-host-b`);
        const registration = d.run.registrations.get(resourceKey(CONTAINER, "redis-1"))!;
        expect(registration.dependencies).to.include(resourceKey(NETWORK, "network-host-b"));
        expect(registration.dependencies).to.not.include(resourceKey(NETWORK, "network-host-a"));
    });

    it("publishes each server on its host's address and announces exactly that address and port", () => {
        const c = (name: string) => named(d, CONTAINER, name).inputs;
        expect(c("redis-1").ports).to.deep.equal([{ internal: 6379, external: 6380, ip: "10.77.0.12", protocol: "tcp" }]);
        expect(c("redis-1").command).to.include.members(["--replica-announce-ip", "10.77.0.12", "--replica-announce-port", "6380"]);
        const sentinel = (c("sentinel-2").command as string[]).join(" ");
        expect(sentinel).to.include("--sentinel announce-ip 10.77.0.13");
        expect(sentinel).to.include("--sentinel announce-port 26381");
        const environment = unwrapSecrets(named(d, "command:local:Command", "redis-1-settings").inputs.environment) as Record<
            string,
            string
        >;
        const target = JSON.parse(environment[SETTINGS_ENV.server]) as { host: string; port: number };
        expect(target).to.include({ host: "10.77.0.12", port: 6380 });
    });

    it("exports the announced endpoints and the placement, and no single-host outputs", () => {
        const { outputs } = d.run;
        expect(outputs.sentinelEndpoints).to.deep.equal([
            { host: "10.77.0.11", port: 26379 },
            { host: "10.77.0.12", port: 26380 },
            { host: "10.77.0.13", port: 26381 },
        ]);
        expect((outputs.serverEndpoints as Record<string, unknown>)["redis-2"]).to.deep.equal({
            host: "10.77.0.13",
            port: 6381,
            hostName: "host-c",
        });
        expect(outputs.natMap).to.deep.equal({});
        expect(outputs).to.not.have.property("networkName");
        expect(outputs).to.not.have.property("sentinelEndpointsInNetwork");
        expect(outputs.ioredisExample).to.not.include("natMap");
    });

    it("gives two servers of one kind on one host different ports", async () => {
        const pinned = await declare(
            {
                cluster: {
                    ...(THREE_HOSTS.cluster as object),
                    replicas: 3,
                    placement: { pins: { "redis-3": "host-a" } },
                },
                hostTls: THREE_HOSTS.hostTls,
            },
            ["hostTls"],
        );
        const onA = ofType(pinned, CONTAINER).filter(
            (c) => c.name.startsWith("redis-") && !c.name.endsWith("-exporter") && providerName(c) === "host-a",
        );
        // redis-0..2 stay where round-robin put them: a later pin moves no earlier server.
        expect(onA.map((c) => c.name)).to.have.members(["redis-0", "redis-3"]);
        const ports = onA.map((c) => (c.inputs.ports as { external: number }[])[0].external);
        expect(new Set(ports).size).to.equal(2);
    });
});

describe("a stack with hosts, under pulumi up", () => {
    it("declares under up exactly what its preview declares: the same resources on the same providers", async () => {
        const key = (r: pulumi.runtime.MockResourceArgs) => `${r.type}::${r.name}@${providerName(r)}`;
        const preview = await declare(THREE_HOSTS, ["hostTls"], true);
        const up = await declare(THREE_HOSTS, ["hostTls"], false);
        expect(up.resources.map(key).sort()).to.deep.equal(preview.resources.map(key).sort());
        expect(ofType(up, CONTAINER).length).to.be.greaterThan(0);
    });
});

describe("a stack without hosts", () => {
    it("keeps its single-host outputs and adds each server's endpoint, with no host name", async () => {
        const { outputs } = (await declare({})).run;
        expect(outputs.networkName).to.equal("appscreens-redis-dev");
        expect(outputs.sentinelEndpointsInNetwork).to.have.length(3);
        expect(outputs.natMap).to.have.property("172.28.0.40:26379");
        expect((outputs.serverEndpoints as Record<string, unknown>)["sentinel-1"]).to.deep.equal({ host: "127.0.0.1", port: 26380 });
    });

    it("declares exactly what main declared before hosts existed (dev, test, prod)", async function () {
        this.timeout(120_000);
        const committed = JSON.parse(readFileSync(path.join(PROJECT_DIR, "tests/golden/single-host-resources.json"), "utf8")) as Record<
            string,
            ResourceDigest[]
        >;
        const now = await snapshot();
        for (const [stack, resources] of Object.entries(committed)) {
            const current = new Map(now[stack].map((r) => [r.key, r]));
            expect(
                now[stack].map((r) => r.key),
                `${stack}: resources`,
            ).to.deep.equal(resources.map((r) => r.key));
            for (const r of resources) expect(current.get(r.key), `${stack}: ${r.key} (inputs and options)`).to.deep.equal(r);
        }
    });
});
