import { expect } from "chai";
import { flattenConfig, StackConfigObject } from "../../../settings/stack-file";
import {
    Declared,
    isWireSecret,
    declareUnderMocks,
    MOCK_IMAGE_ID,
    resourceKey,
    runProgramUnderMocks,
    stringsWithSecrecy,
    unwrapSecrets,
} from "../../support/program-under-mocks";
import { SAMPLE_REPORT } from "../../support/post-deploy-report";

const GENERATED = "GeneratedPassw0rdGeneratedPassw0";
const CONTAINER = "docker:index/container:Container";
const POST_DEPLOY_STDOUT = JSON.stringify(SAMPLE_REPORT);
const IMAGE_ID = MOCK_IMAGE_ID;

/** Runs the program for a stack config and records what it declares. */
const declare = (config: StackConfigObject, secretKeys: string[] = [], stdout = POST_DEPLOY_STDOUT): Promise<Declared> =>
    declareUnderMocks(config, { secretKeys, stdout, password: () => GENERATED });

/** The servers' containers (nodes and Sentinels), without the exporters beside them. */
const containers = (d: Declared) => d.resources.filter((r) => r.type === CONTAINER && !r.name.endsWith("-exporter"));
const exporters = (d: Declared) => d.resources.filter((r) => r.type === CONTAINER && r.name.endsWith("-exporter"));
const container = (d: Declared, name: string) => {
    const found = containers(d).find((r) => r.name === name);
    if (!found) throw new Error(`no container ${name}`);
    return found;
};
const typeCounts = (d: Declared) =>
    d.resources.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.type]: (acc[r.type] ?? 0) + 1 }), {});

const strings = stringsWithSecrecy;

describe("the Pulumi program under mocks", () => {
    for (const replicas of [1, 2, 5]) {
        it(`declares ${replicas + 1} nodes and 3 Sentinels for ${replicas} replica(s)`, async () => {
            const d = await declare({ cluster: { replicas } });
            expect(typeCounts(d)).to.deep.equal({
                "pulumi:pulumi:Stack": 1,
                "appscreens:redis:RedisCluster": 1,
                "appscreens:redis:RedisNode": replicas + 1,
                "appscreens:redis:Sentinel": 3,
                "random:index/randomPassword:RandomPassword": 2,
                // The servers' image and the exporters'.
                "docker:index/remoteImage:RemoteImage": 2,
                "docker:index/network:Network": 1,
                "docker:index/volume:Volume": replicas + 1 + 3,
                // A server and its exporter each.
                "appscreens:redis:Exporter": replicas + 1 + 3,
                [CONTAINER]: 2 * (replicas + 1 + 3),
                "appscreens:redis:PostDeploy": 1,
                // The volume check, the post-deploy step and one settings step per server.
                "command:local:Command": 2 + replicas + 1 + 3,
            });
            expect(containers(d).map((c) => c.inputs.name)).to.include(`appscreens-redis-dev-redis-${replicas}`);
        });
    }

    describe("with the dev stack's defaults", () => {
        let d: Declared;
        before(async () => {
            d = await declare({});
        });

        it("runs every container from the pulled image through the start script, with bootstrap settings on the command line", () => {
            for (const c of containers(d)) {
                expect(c.inputs.image, c.name).to.equal(IMAGE_ID);
                // Root entrypoint that drops to the redis user itself (gosu), as the official image does.
                expect(c.inputs.user, c.name).to.equal(undefined);
                expect(c.inputs.entrypoints).to.deep.equal(["/bin/sh", "/usr/local/etc/appscreens-start.sh"]);
                expect(c.inputs.restart).to.equal("unless-stopped");
                expect(c.inputs.wait).to.equal(true);
                expect(c.inputs.stopTimeout, c.name).to.equal(30);
                expect(c.inputs.ulimits, c.name).to.equal(undefined);
            }
            expect(container(d, "redis-1").inputs.command).to.include.members(["--replica-announce-ip", "172.28.0.11", "--appenddirname"]);
            expect(container(d, "redis-1").inputs.command).to.not.include("--maxmemory");
            expect((container(d, "sentinel-1").inputs.command as string[]).join(" ")).to.include("--sentinel announce-ip 172.28.0.41");
            expect(container(d, "redis-1").inputs.envs).to.deep.equal([
                "APPSCREENS_SELF=172.28.0.11:6379",
                "APPSCREENS_INITIAL_MASTER=172.28.0.10:6379",
            ]);
            const image = d.resources.find((r) => r.type === "docker:index/remoteImage:RemoteImage")!;
            expect(image.inputs.name).to.equal("redis:7.0.15-bookworm");
        });

        it("gives each container its static address, its volume at /data and its port on 127.0.0.1", () => {
            const expected: [string, string, number, number][] = [
                ["redis-0", "172.28.0.10", 6379, 6379],
                ["redis-1", "172.28.0.11", 6379, 6380],
                ["redis-2", "172.28.0.12", 6379, 6381],
                ["sentinel-0", "172.28.0.40", 26379, 26379],
                ["sentinel-1", "172.28.0.41", 26379, 26380],
                ["sentinel-2", "172.28.0.42", 26379, 26381],
            ];
            for (const [name, address, internal, external] of expected) {
                const c = container(d, name);
                expect(c.inputs.networksAdvanced).to.deep.equal([{ name: "appscreens-redis-dev", ipv4Address: address, aliases: [name] }]);
                expect(c.inputs.volumes).to.deep.equal([{ volumeName: `appscreens-redis-dev-${name}-data`, containerPath: "/data" }]);
                expect(c.inputs.ports).to.deep.equal([{ internal, external, ip: "127.0.0.1", protocol: "tcp" }]);
                expect(c.inputs.labels).to.deep.include({ label: "appscreens.stack", value: "dev" });
                expect(c.inputs.labels).to.deep.include({ label: "appscreens.node", value: name });
            }
        });

        it("checks health with the authenticated PING script", () => {
            for (const c of containers(d)) {
                expect(c.inputs.healthcheck.tests).to.deep.equal(["CMD", "/bin/sh", "/usr/local/etc/appscreens-healthcheck.sh"]);
                // Written as the provider reads durations back, so a preview after up shows no diff.
                expect(c.inputs.healthcheck).to.include({ interval: "2s", timeout: "3s", startPeriod: "1m0s" });
                const registration = d.run.registrations.get(resourceKey(CONTAINER, c.name))!;
                expect(registration.ignoreChanges, c.name).to.deep.equal(["uploads[0].content", "uploads[1].content"]);
            }
        });

        it("checks for kept data volumes before any volume, the network or a container, once per state", () => {
            const check = d.resources.find((r) => r.type === "command:local:Command" && r.name === "data-volume-check")!;
            expect(check.inputs.create).to.equal("node --import tsx cli/check-volumes.ts");
            expect(check.inputs.update).to.equal(undefined);
            const request = JSON.parse((check.inputs.environment as Record<string, string>).APPSCREENS_VOLUME_CHECK) as Record<
                string,
                unknown
            >;
            expect(request).to.deep.include({
                stack: "dev",
                generated: { redis: true, sentinel: true },
                previous: { redis: false, sentinel: false },
            });
            expect((request.volumes as { name: string }[]).map((v) => v.name)).to.deep.equal(
                ["redis-0", "redis-1", "redis-2", "sentinel-0", "sentinel-1", "sentinel-2"].map((n) => `appscreens-redis-dev-${n}-data`),
            );
            // No secret goes in: only whether each password is set.
            expect(strings(check.inputs.environment).every((x) => !x.secret && !x.text.includes(GENERATED))).to.equal(true);
            const key = resourceKey("command:local:Command", "data-volume-check");
            expect(d.run.registrations.get(key)!.ignoreChanges).to.deep.equal(["create", "dir", "environment"]);
            for (const r of d.resources.filter(
                (x) => x.type === "docker:index/volume:Volume" || x.type === "docker:index/network:Network",
            )) {
                expect(d.run.registrations.get(resourceKey(r.type, r.name))!.dependencies, r.name).to.include(key);
            }
        });

        it("tells the volume check which passwords the config sets, never their values", async () => {
            const secret = "ExplicitPassw0rdExplicitPassw0rd";
            const withKeys = await declare({ redisPassword: secret, sentinelPasswordPrevious: `${secret}x` }, [
                "redisPassword",
                "sentinelPasswordPrevious",
            ]);
            const check = withKeys.resources.find((r) => r.name === "data-volume-check")!;
            const text = (check.inputs.environment as Record<string, string>).APPSCREENS_VOLUME_CHECK;
            expect(JSON.parse(text)).to.deep.include({
                generated: { redis: false, sentinel: true },
                previous: { redis: false, sentinel: true },
            });
            expect(text).to.not.include(secret);
        });

        it("declares the network with a fixed subnet and apps in the upper half", () => {
            const network = d.resources.find((r) => r.type === "docker:index/network:Network")!;
            expect(network.inputs.name).to.equal("appscreens-redis-dev");
            expect(network.inputs.ipamConfigs).to.deep.equal([
                { subnet: "172.28.0.0/24", gateway: "172.28.0.1", ipRange: "172.28.0.128/25" },
            ]);
        });

        it("chains the servers, nodes then Sentinels, so replacements go one at a time, delete-first", () => {
            const deps = (name: string) => d.run.registrations.get(resourceKey(CONTAINER, name))!;
            const order = ["redis-0", "redis-1", "redis-2", "sentinel-0", "sentinel-1", "sentinel-2"];
            expect(deps("redis-0").dependencies.filter((k) => k.startsWith(CONTAINER))).to.deep.equal([]);
            for (const [i, name] of order.entries()) {
                if (i > 0)
                    expect(
                        deps(name).dependencies.filter((k) => k.startsWith(CONTAINER)),
                        name,
                    ).to.deep.equal([resourceKey(CONTAINER, order[i - 1])]);
                expect(deps(name).dependencies).to.include("docker:index/network:Network::network");
                expect(deps(name).deleteBeforeReplace, name).to.equal(true);
            }
        });

        it("keeps the password secret in every input that carries it and out of commands, env and labels", () => {
            let carriers = 0;
            for (const r of d.resources) {
                for (const s of strings(r.inputs)) {
                    if (s.text.includes(GENERATED)) {
                        expect(s.secret, `${r.type} ${r.name} carries the password in the clear`).to.equal(true);
                        carriers++;
                    }
                }
            }
            // Two uploads per container (initial config, cluster snapshot), the post-deploy command's
            // two password variables, each settings step's (one per node, two per Sentinel), and
            // each exporter's password file.
            expect(carriers).to.equal(6 * 2 + 2 + 3 + 3 * 2 + 6);
            for (const c of [...containers(d), ...exporters(d)]) {
                const exposed = unwrapSecrets({
                    e: c.inputs.entrypoints,
                    c: c.inputs.command,
                    env: c.inputs.envs,
                    l: c.inputs.labels,
                    h: c.inputs.healthcheck,
                });
                expect(JSON.stringify(exposed)).to.not.include(GENERATED);
            }
        });

        it("uploads the initial config and cluster snapshot root-only, without relying on upload ownership", () => {
            const uploads = unwrapSecrets(container(d, "redis-0").inputs.uploads) as Record<string, unknown>[];
            expect(uploads[0]).to.include({ file: "/usr/local/etc/appscreens-initial.conf", permissions: "0400" });
            expect(uploads[0]).to.not.have.property("owner");
            expect(uploads[0].content).to.include(`requirepass "${GENERATED}"`);
            expect(uploads[1]).to.include({ file: "/usr/local/etc/appscreens-cluster.env", permissions: "0400" });
            expect(uploads[1].content).to.include("SENTINELS='172.28.0.40:26379 172.28.0.41:26379 172.28.0.42:26379'");
            expect(uploads.map((u) => u.file)).to.include("/usr/local/etc/appscreens-handover.sh");
            const sentinelUploads = unwrapSecrets(container(d, "sentinel-1").inputs.uploads) as Record<string, unknown>[];
            expect(sentinelUploads[0].content).to.include("sentinel monitor mymaster __APPSCREENS_MASTER__ 6379 2");
            expect(sentinelUploads.map((u) => u.file)).to.not.include("/usr/local/etc/appscreens-handover.sh");
        });

        it("gives every server a settings step with one plain variable per runtime directive and secret passwords", () => {
            const step = (name: string) => d.resources.find((r) => r.type === "command:local:Command" && r.name === `${name}-settings`)!;
            const node = step("redis-1");
            // Only the create (its first run for this server and state) says so: a refusal then may be a kept volume.
            expect(node.inputs.create).to.equal("node --import tsx cli/apply-settings.ts --first-run");
            expect(node.inputs.update).to.equal("node --import tsx cli/apply-settings.ts");
            // The mock monitor lifts a nested secret to the whole map; the engine keeps it per value.
            const nodeEnv = unwrapSecrets(node.inputs.environment) as Record<string, string>;
            expect(nodeEnv).to.include({ APPSCREENS_SET_MAXMEMORY: "256mb", APPSCREENS_SET_MAXMEMORY_POLICY: "allkeys-lru" });
            expect(nodeEnv.REDIS_PASSWORD).to.equal(GENERATED);
            expect(strings(node.inputs.environment).find((x) => x.text === GENERATED)?.secret).to.equal(true);
            expect(nodeEnv.APPSCREENS_CONTAINER_ID).to.equal("redis-1-id");
            expect(JSON.parse(nodeEnv.APPSCREENS_SERVER)).to.include({ name: "redis-1", stack: "dev" });
            const sentinel = step("sentinel-0");
            const sentinelEnv = unwrapSecrets(sentinel.inputs.environment) as Record<string, string>;
            expect(sentinelEnv).to.include({ APPSCREENS_SET_DOWN_AFTER_MILLISECONDS: "5000", APPSCREENS_SET_QUORUM: "2" });
            expect(sentinelEnv.REDIS_SENTINEL_PASSWORD).to.equal(GENERATED);
            // Every variable name survives /bin/sh (dash drops names with '-').
            for (const r of d.resources.filter((x) => x.name.endsWith("-settings"))) {
                for (const key of Object.keys(unwrapSecrets(r.inputs.environment) as object))
                    expect(key, r.name).to.match(/^[A-Z_][A-Z0-9_]*$/);
            }
            const registration = (name: string) => d.run.registrations.get(resourceKey("command:local:Command", `${name}-settings`))!;
            expect(registration("redis-1").dependencies).to.include(resourceKey(CONTAINER, "redis-1"));
            for (const n of ["redis-0", "redis-1", "redis-2"]) {
                expect(registration("sentinel-2").dependencies).to.include(resourceKey("command:local:Command", `${n}-settings`));
            }
        });

        it("exports what the app needs, with the passwords secret", () => {
            const { outputs, rawOutputs } = d.run;
            expect(outputs.masterName).to.equal("mymaster");
            expect(outputs.networkName).to.equal("appscreens-redis-dev");
            expect(outputs.sentinelEndpoints).to.deep.equal([26379, 26380, 26381].map((port) => ({ host: "127.0.0.1", port })));
            expect(outputs.sentinelEndpointsInNetwork).to.have.length(3);
            expect(outputs.publishedPorts).to.include({ "redis-0": 6379, "sentinel-2": 26381 });
            expect(outputs.natMap).to.have.property("172.28.0.12:6379");
            expect(outputs.ioredisExample).to.be.a("string").and.include("sentinels");
            for (const key of ["redisPassword", "sentinelPassword"]) {
                expect(isWireSecret(rawOutputs[key]), key).to.equal(true);
                expect(outputs[key]).to.equal(GENERATED);
            }
            for (const key of ["masterName", "sentinelEndpoints", "ioredisExample"])
                expect(isWireSecret(rawOutputs[key]), key).to.equal(false);
        });

        it("runs the warmer and verifier after every container, with the passwords only in its secret environment", () => {
            const post = d.resources.find((r) => r.type === "command:local:Command" && r.name === "warm-and-verify")!;
            const registration = d.run.registrations.get(resourceKey("command:local:Command", "warm-and-verify"))!;
            for (const c of containers(d)) {
                expect(registration.dependencies).to.include(resourceKey(CONTAINER, c.name));
                expect(registration.dependencies).to.include(resourceKey("command:local:Command", `${c.name}-settings`));
            }
            expect(post.inputs.create).to.equal("node --import tsx cli/post-deploy.ts");
            expect(isWireSecret(post.inputs.environment)).to.equal(true);
            const env = unwrapSecrets(post.inputs.environment) as Record<string, string>;
            expect(env.REDIS_PASSWORD).to.equal(GENERATED);
            expect(env.REDIS_SENTINEL_PASSWORD).to.equal(GENERATED);
            expect(env.APPSCREENS_POST_DEPLOY).to.not.include(GENERATED);
            expect(JSON.parse(env.APPSCREENS_POST_DEPLOY).masterName).to.equal("mymaster");
            // Re-runs when a container is replaced: their ids are among the triggers.
            expect(post.inputs.triggers).to.include.members(containers(d).map((c) => `${c.name}-id`));
        });

        it("exports the verification report and warm summary from the command's stdout", () => {
            expect(d.run.outputs.verification).to.deep.equal(SAMPLE_REPORT.verification);
            expect(d.run.outputs.warmSummary).to.deep.equal(SAMPLE_REPORT.warm);
            expect(isWireSecret(d.run.rawOutputs.verification)).to.equal(false);
        });

        it("exports the drill summary when the drill ran after the deploy, not as a secret", () => {
            expect(d.run.outputs.drillSummary).to.deep.equal(SAMPLE_REPORT.drill);
            expect(isWireSecret(d.run.rawOutputs.drillSummary)).to.equal(false);
            expect(JSON.stringify(d.run.rawOutputs.drillSummary)).to.not.include(GENERATED);
        });
    });

    it("refuses a post-deploy report that does not match its schema, naming the field", async () => {
        const drifted = JSON.stringify({ ...SAMPLE_REPORT, warm: { ok: true, keysWritten: 20 } });
        let error: unknown;
        try {
            await declare({}, [], drifted);
        } catch (err) {
            error = err;
        }
        expect(String(error)).to.include("the post-deploy command's output is malformed at warm.durationMs");
    });

    describe("metrics: an exporter per server", () => {
        let d: Declared;
        before(async () => {
            d = await declare({});
        });

        it("runs redis_exporter from its own pulled image, one per node and Sentinel, published on the exporter ports", () => {
            const image = d.resources.find((r) => r.type === "docker:index/remoteImage:RemoteImage" && r.name === "exporter-image")!;
            expect(image.inputs.name).to.equal("oliver006/redis_exporter:v1.45.0");
            const expected: [string, string, number][] = [
                ["redis-0", "redis://172.28.0.10:6379", 9121],
                ["redis-1", "redis://172.28.0.11:6379", 9122],
                ["redis-2", "redis://172.28.0.12:6379", 9123],
                ["sentinel-0", "redis://172.28.0.40:26379", 9141],
                ["sentinel-1", "redis://172.28.0.41:26379", 9142],
                ["sentinel-2", "redis://172.28.0.42:26379", 9143],
            ];
            expect(exporters(d).map((e) => e.name)).to.deep.equal(expected.map(([server]) => `${server}-exporter`));
            for (const [server, uri, hostPort] of expected) {
                const e = exporters(d).find((x) => x.name === `${server}-exporter`)!;
                expect(e.inputs.name).to.equal(`appscreens-redis-dev-${server}-exporter`);
                expect(e.inputs.image).to.equal(IMAGE_ID);
                expect(e.inputs.entrypoints).to.deep.equal(["/redis_exporter"]);
                expect(e.inputs.user).to.equal("59000:0");
                expect(e.inputs.command).to.deep.equal([
                    `--redis.addr=${uri}`,
                    "--redis.password-file=/etc/appscreens-exporter-passwords.json",
                    "--web.listen-address=:9121",
                    "--connection-timeout=5s",
                ]);
                expect(e.inputs.ports).to.deep.equal([{ internal: 9121, external: hostPort, ip: "127.0.0.1", protocol: "tcp" }]);
                // No static address: the network's dynamic half, away from the servers' addresses.
                expect(e.inputs.networksAdvanced).to.deep.equal([{ name: "appscreens-redis-dev", aliases: [`${server}-exporter`] }]);
                expect(e.inputs.labels).to.deep.include({ label: "appscreens.role", value: "exporter" });
                expect(e.inputs.labels).to.deep.include({ label: "appscreens.node", value: server });
                expect(e.inputs.restart).to.equal("unless-stopped");
                expect(e.inputs.envs).to.equal(undefined);
            }
        });

        it("hands each exporter its server's password only in a secret JSON map keyed by the server's URI, mode 0440", () => {
            const uploadOf = (name: string) => {
                const e = exporters(d).find((x) => x.name === name)!;
                expect(isWireSecret((e.inputs.uploads as unknown[])[0]) || isWireSecret(e.inputs.uploads), name).to.equal(true);
                return (unwrapSecrets(e.inputs.uploads) as { file: string; content: string; permissions: string }[])[0];
            };
            const node = uploadOf("redis-1-exporter");
            expect(node).to.include({ file: "/etc/appscreens-exporter-passwords.json", permissions: "0440" });
            expect(JSON.parse(node.content)).to.deep.equal({ "redis://172.28.0.11:6379": GENERATED });
            expect(JSON.parse(uploadOf("sentinel-2-exporter").content)).to.deep.equal({ "redis://172.28.0.42:26379": GENERATED });
        });

        it("never waits for an exporter, nor makes one wait for (or be replaced with) a server", () => {
            for (const e of exporters(d)) {
                const registration = d.run.registrations.get(resourceKey(CONTAINER, e.name))!;
                expect(
                    registration.dependencies.filter((k) => k.startsWith(CONTAINER)),
                    e.name,
                ).to.deep.equal([]);
                expect(registration.deleteBeforeReplace, e.name).to.equal(true);
                expect(e.inputs.wait, e.name).to.equal(undefined);
            }
            const post = d.run.registrations.get(resourceKey("command:local:Command", "warm-and-verify"))!;
            expect(post.dependencies.filter((k) => k.endsWith("-exporter"))).to.deep.equal([]);
        });

        it("exports the scrape config, the rules and the metrics URLs in plain text, without a password", () => {
            const { outputs, rawOutputs } = d.run;
            expect(outputs.metricsEndpoints).to.deep.equal({
                "redis-0": "http://127.0.0.1:9121/metrics",
                "redis-1": "http://127.0.0.1:9122/metrics",
                "redis-2": "http://127.0.0.1:9123/metrics",
                "sentinel-0": "http://127.0.0.1:9141/metrics",
                "sentinel-1": "http://127.0.0.1:9142/metrics",
                "sentinel-2": "http://127.0.0.1:9143/metrics",
            });
            for (const key of ["prometheusScrapeConfig", "prometheusRules", "metricsEndpoints"]) {
                expect(isWireSecret(rawOutputs[key]), key).to.equal(false);
                expect(JSON.stringify(outputs[key]), key).to.not.include(GENERATED);
            }
            expect(outputs.prometheusScrapeConfig).to.include("job_name: appscreens-redis-dev-redis");
            expect(outputs.prometheusRules).to.include("alert: RedisDown");
        });

        it("scales the exporters with their servers", async () => {
            const scaled = await declare({ cluster: { replicas: 4, sentinels: 5, sentinel: { quorum: 3 } } });
            expect(exporters(scaled).map((e) => e.name)).to.deep.equal([
                ...[0, 1, 2, 3, 4].map((i) => `redis-${i}-exporter`),
                ...[0, 1, 2, 3, 4].map((i) => `sentinel-${i}-exporter`),
            ]);
            // Ports stay where they were for the servers that stay.
            const port = (x: Declared, name: string) =>
                (exporters(x).find((e) => e.name === name)!.inputs.ports as { external: number }[])[0];
            expect(port(scaled, "sentinel-0-exporter").external).to.equal(port(d, "sentinel-0-exporter").external);
            expect(port(scaled, "redis-4-exporter").external).to.equal(9125);
        });

        it("replaces only the exporters' password file when a password rotates, and nothing else of theirs", async () => {
            const rotated = await declare({ redisPassword: "Another0Password0Another0" }, ["redisPassword"]);
            for (const e of exporters(d)) {
                const before = unwrapSecrets(e.inputs) as { uploads: { content: string }[] };
                const after = unwrapSecrets(exporters(rotated).find((x) => x.name === e.name)!.inputs) as typeof before;
                expect({ ...after, uploads: [] }, e.name).to.deep.equal({ ...before, uploads: [] });
                if (e.name.startsWith("redis-")) expect(after.uploads[0].content, e.name).to.include("Another0Password0Another0");
                else expect(after.uploads[0].content, e.name).to.equal(before.uploads[0].content);
            }
        });

        it("declares no exporter, image or metrics output when metrics are off", async () => {
            const off = await declare({ cluster: { metrics: { enabled: false } } });
            expect(exporters(off)).to.deep.equal([]);
            expect(off.resources.filter((r) => r.type === "docker:index/remoteImage:RemoteImage").map((r) => r.name)).to.deep.equal([
                "image",
            ]);
            for (const key of ["prometheusScrapeConfig", "prometheusRules", "metricsEndpoints"])
                expect(off.run.outputs[key], key).to.equal(undefined);
        });
    });

    it("declares no post-deploy command when both warmer and verifier are off", async () => {
        const d = await declare({ cluster: { warmer: { enabled: false }, verifier: { enabled: false } } });
        expect(d.resources.some((r) => r.type === "command:local:Command" && r.name === "warm-and-verify")).to.equal(false);
        expect(d.run.outputs.verification).to.equal(undefined);
    });

    it("uses a supplied secret password instead of generating one", async () => {
        const supplied = "Supplied0Password0Supplied0";
        const d = await declare({ redisPassword: supplied }, ["redisPassword"]);
        expect(d.resources.filter((r) => r.type === "random:index/randomPassword:RandomPassword").map((r) => r.name)).to.deep.equal([
            "sentinel-password",
        ]);
        const upload = strings(container(d, "redis-1").inputs.uploads).find((s) => s.text.includes(supplied));
        expect(upload?.secret).to.equal(true);
        expect(isWireSecret(d.run.rawOutputs.redisPassword)).to.equal(true);
    });

    it("changes only the settings steps, never a container's inputs, when runtime settings or passwords change", async () => {
        const base = await declare({});
        const changed = await declare(
            {
                cluster: { redis: { maxmemory: "512mb", maxclients: 20 }, sentinel: { downAfterMilliseconds: 9000 } },
                redisPassword: "Another0Password0Another0",
            },
            ["redisPassword"],
        );
        // What the container's diff sees: its inputs with the ignored first-start uploads left out.
        const diffed = (d: Declared, name: string) => {
            const inputs = unwrapSecrets(container(d, name).inputs) as { uploads: { content: string }[] };
            return { ...inputs, uploads: inputs.uploads.map((u, i) => (i < 2 ? { ...u, content: "(ignored)" } : u)) };
        };
        for (const c of containers(base)) expect(diffed(changed, c.name), c.name).to.deep.equal(diffed(base, c.name));
        const env = (d: Declared, name: string) =>
            unwrapSecrets(d.resources.find((r) => r.name === `${name}-settings`)!.inputs.environment) as Record<string, string>;
        expect(env(changed, "redis-0").APPSCREENS_SET_MAXMEMORY).to.equal("512mb");
        expect(env(changed, "redis-0").REDIS_PASSWORD).to.equal("Another0Password0Another0");
        expect(env(changed, "sentinel-0").APPSCREENS_SET_DOWN_AFTER_MILLISECONDS).to.equal("9000");
    });

    it("passes the previous password to the settings steps only while rotating", async () => {
        const d = await declare({ redisPassword: "Brand0New0Password0Here", redisPasswordPrevious: "The0Old0Password0Still0" }, [
            "redisPassword",
            "redisPasswordPrevious",
        ]);
        const node = d.resources.find((r) => r.name === "redis-0-settings")!;
        expect(strings(node.inputs.environment).find((x) => x.text === "The0Old0Password0Still0")?.secret).to.equal(true);
        expect(unwrapSecrets(node.inputs.environment)).to.have.property("REDIS_PASSWORD_PREVIOUS", "The0Old0Password0Still0");
        const base = await declare({});
        const baseEnv = unwrapSecrets(base.resources.find((r) => r.name === "redis-0-settings")!.inputs.environment);
        expect(baseEnv).to.not.have.property("REDIS_PASSWORD_PREVIOUS");
    });

    it("uses a local image by name without declaring a pull", async () => {
        const local = { name: "appscreens-redis-test:7.0.15", pull: false };
        const d = await declare({ cluster: { image: local, metrics: { image: local } } });
        expect(d.resources.some((r) => r.type === "docker:index/remoteImage:RemoteImage")).to.equal(false);
        for (const c of [...containers(d), ...exporters(d)]) expect(c.inputs.image).to.equal("appscreens-redis-test:7.0.15");
    });

    it("rejects a bad config before declaring any resource", async () => {
        let error: unknown;
        const resources: string[] = [];
        try {
            await runProgramUnderMocks("dev", flattenConfig({ cluster: { sentinel: { quorum: 5 } } }), {
                newResource: (args) => {
                    resources.push(args.type);
                    return { id: "x", state: args.inputs };
                },
                call: (args) => args.inputs,
            });
        } catch (err) {
            error = err;
        }
        expect(String(error)).to.match(/appscreens-redis:cluster\.sentinel\.quorum: 5 is more than the 3 Sentinels/);
        expect(resources.filter((t) => t !== "pulumi:pulumi:Stack")).to.deep.equal([]);
    });
});
