import { expect } from "chai";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { PROJECT_DIR } from "../../settings/stack-file";
import { memoryBytes } from "../../settings/validate";
import { infoFields, pairs, testStackConfig } from "../support/live/live-cluster";
import { useLiveCluster } from "../support/live/use-live-cluster";
import { rawCommand } from "../support/raw-command";
import { waitFor } from "../support/live/wait";

describe("live: the deployed test stack", function () {
    this.timeout(300_000);
    const cluster = useLiveCluster(this);
    const redisConfig = () => (testStackConfig().cluster as { redis: Record<string, unknown> }).redis;

    before(() => {
        console.log(`      deploy to healthy (${cluster.deployer.kind}): ${cluster.deploySeconds.toFixed(1)} s`);
    });

    describe("forms a cluster", () => {
        it("has every container running and healthy", async () => {
            for (const name of [...cluster.nodeNames, ...cluster.sentinelNames]) {
                const state = (await cluster.container(name).inspect()).State;
                expect(state.Health?.Status, name).to.equal("healthy");
            }
            expect(cluster.nodeNames).to.have.length(3);
            expect(cluster.sentinelNames).to.have.length(3);
        });

        it("has the master with every replica connected and its link up", async () => {
            const master = infoFields(await cluster.direct("redis-0").info("replication"));
            expect(master.role).to.equal("master");
            expect(master.connected_slaves).to.equal("2");
            for (const replica of ["redis-1", "redis-2"]) {
                const info = infoFields(await cluster.direct(replica).info("replication"));
                expect(info.role, replica).to.equal("slave");
                expect(info.master_link_status, replica).to.equal("up");
            }
        });

        it("has every Sentinel watching the master with the others and a quorum", async () => {
            const expected = cluster.outputs.sentinelEndpoints.length - 1;
            for (const name of cluster.sentinelNames) {
                const sentinel = cluster.direct(name);
                const master = await waitFor(`${name} to see the other Sentinels`, async () => {
                    const fields = pairs(await sentinel.call("SENTINEL", "MASTER", cluster.outputs.masterName));
                    return fields["num-other-sentinels"] === String(expected) ? fields : undefined;
                });
                expect(master["num-slaves"], name).to.equal("2");
                expect(master.flags, name).to.equal("master");
                expect(await sentinel.call("SENTINEL", "CKQUORUM", cluster.outputs.masterName)).to.match(/^OK 3 usable Sentinels/);
            }
            expect(await cluster.agreedMaster()).to.equal(Object.keys(cluster.outputs.natMap)[0]);
        });
    });

    describe("persistence", () => {
        it("has every configured directive in effect on every node", async () => {
            const r = redisConfig();
            for (const node of cluster.nodeNames) {
                const client = cluster.direct(node);
                const get = async (name: string) => pairs(await client.call("CONFIG", "GET", name))[name];
                expect(await get("save"), node).to.equal("3600 1 300 100 60 10000");
                expect(await get("appendonly"), node).to.equal("yes");
                expect(await get("appendfsync"), node).to.equal("everysec");
                expect(await get("aof-use-rdb-preamble"), node).to.equal("yes");
                expect(await get("appenddirname"), node).to.equal("appendonlydir");
                expect(Number(await get("maxmemory")), node).to.equal(memoryBytes(r.maxmemory as string));
                expect(await get("maxmemory-policy"), node).to.equal("allkeys-lru");
                expect(await get("maxclients"), node).to.equal(String(r.maxclients));
                expect(await get("tcp-keepalive"), node).to.equal("300");
                expect(await get("dir"), node).to.equal("/data");
            }
        });

        it("writes an RDB snapshot and rewrites the AOF successfully", async () => {
            const master = cluster.direct("redis-0");
            await master.set("persistence:probe", "1");
            await master.bgsave();
            await master.bgrewriteaof().catch(() => undefined);
            const info = await waitFor("BGSAVE and BGREWRITEAOF to finish", async () => {
                const fields = infoFields(await master.info("persistence"));
                const busy =
                    fields.rdb_bgsave_in_progress !== "0" || fields.aof_rewrite_in_progress !== "0" || fields.aof_rewrite_scheduled !== "0";
                return busy ? undefined : fields;
            });
            expect(info.rdb_last_bgsave_status).to.equal("ok");
            expect(info.aof_last_bgrewrite_status).to.equal("ok");
            expect(info.aof_last_write_status).to.equal("ok");
            expect(info.aof_enabled).to.equal("1");
        });

        it("keeps the AOF as a directory with a manifest and an RDB-preamble base in the node's volume", async () => {
            const listing = await cluster.exec("redis-0", ["ls", "/data/appendonlydir"]);
            expect(listing).to.include("appendonly.aof.manifest");
            expect(listing).to.match(/appendonly\.aof\.\d+\.base\.rdb/);
            expect(listing).to.match(/appendonly\.aof\.\d+\.incr\.aof/);
            expect(await cluster.exec("redis-0", ["ls", "/data"])).to.include("dump.rdb");
        });
    });

    describe("auth and secrets", () => {
        it("answers NOAUTH to an unauthenticated client on every node and Sentinel", async () => {
            for (const [name, port] of Object.entries(cluster.outputs.publishedPorts)) {
                expect(await rawCommand("127.0.0.1", port, "PING"), name).to.match(/^-NOAUTH/);
            }
        });

        it("keeps both passwords out of docker inspect and the container logs", async () => {
            const { redisPassword, sentinelPassword } = cluster.outputs;
            expect(redisPassword).to.have.length.greaterThan(15);
            for (const name of [...cluster.nodeNames, ...cluster.sentinelNames]) {
                const inspected = JSON.stringify(await cluster.container(name).inspect());
                const logs = (await cluster.container(name).logs({ stdout: true, stderr: true })).toString("utf8");
                for (const secret of [redisPassword, sentinelPassword]) {
                    expect(inspected.includes(secret), `${name} inspect`).to.equal(false);
                    expect(logs.includes(secret), `${name} logs`).to.equal(false);
                }
                // The start script says how it chose the config (and the role), never with a secret.
                expect(logs, name).to.include("appscreens: empty volume");
            }
        });
    });

    describe("clients", () => {
        it("reads and writes from the host through Sentinel with the stack outputs", async () => {
            const client = cluster.viaSentinel();
            await client.set("clients:host", "from-host", "EX", 600);
            expect(await client.get("clients:host")).to.equal("from-host");
            expect((await client.role())[0]).to.equal("master");
        });

        it("reads and writes from a container on the stack's network through Sentinel", async () => {
            const dir = mkdtempSync(path.join(tmpdir(), "appscreens-netclient-"));
            const settingsFile = path.join(dir, "settings.json");
            const { outputs } = cluster;
            writeFileSync(
                settingsFile,
                JSON.stringify({
                    sentinels: outputs.sentinelEndpointsInNetwork,
                    masterName: outputs.masterName,
                    redisPassword: outputs.redisPassword,
                    sentinelPassword: outputs.sentinelPassword,
                    key: "clients:network",
                    value: "from-network",
                }),
                { mode: 0o600 },
            );
            chmodSync(settingsFile, 0o600);
            try {
                // The host's filesystem, chrooted, gives the container this project's Node.js and ioredis.
                const client = await cluster.docker.createContainer({
                    Image: (testStackConfig().cluster as { image: { name: string } }).image.name,
                    Cmd: [
                        "chroot",
                        "/host",
                        process.execPath,
                        path.join(PROJECT_DIR, "tests/live/fixtures/network-client.cjs"),
                        require.resolve("ioredis"),
                        settingsFile,
                    ],
                    Labels: { "appscreens.test-run": cluster.runId },
                    HostConfig: { Binds: ["/:/host:ro"], NetworkMode: outputs.networkName },
                });
                await client.start();
                const { StatusCode } = (await client.wait()) as { StatusCode: number };
                const logs = (await client.logs({ stdout: true, stderr: true })).toString("utf8");
                await client.remove({ force: true, v: true });
                expect(StatusCode, logs).to.equal(0);
                const result = JSON.parse(logs.slice(logs.indexOf("{"))) as { readBack: string; role: string; address: string };
                expect(result.readBack).to.equal("from-network");
                expect(result.role).to.equal("master");
                // App containers get addresses from the upper half, away from the static ones.
                expect(Number(result.address.split(".")[3])).to.be.at.least(128);
            } finally {
                rmSync(dir, { recursive: true, force: true });
            }
            expect(await cluster.viaSentinel().get("clients:network")).to.equal("from-network");
        });
    });

    describe("idempotence", () => {
        it("changes nothing on a second up with the same config", async () => {
            const { changes } = await cluster.up();
            expect(changes.created).to.deep.equal([]);
            expect(changes.updated).to.deep.equal([]);
            expect(changes.replaced).to.deep.equal([]);
            expect(changes.deleted).to.deep.equal([]);
            expect(changes.unchanged.length).to.be.greaterThan(10);
        });
    });
});
