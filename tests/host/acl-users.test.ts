import { expect } from "chai";
import { ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import Redis from "ioredis";
import { AclUserName } from "../../render/acl-users";
import { WARMER_BARRIER_CHANNEL } from "../../settings/cache-keys";
import { metadataKey, screenshotsKey } from "../../ops/warm/keys";
import { SET_BATCH_LUA } from "../../ops/warm/writer";
import { AclHostCluster, MASTER_NAME } from "../support/acl-host-cluster";
import { REDIS_EXPORTER, REDIS_SERVER, requirePrograms } from "../support/require-program";
import { sampleValue } from "../support/exporter-metrics";
import { stopProcess } from "../support/host-cluster";
import { waitFor } from "../support/live/wait";

// Ports (DEVELOPMENT.md): nodes 22600-22601, Sentinels 22620-22622, exporters 22630-22631.
const BASE = 22600;
const EXPORTER_PORTS = [22630, 22631];

/** RESP2 flat [k, v, k, v] into an object. */
const fields = (flat: unknown[]): Record<string, string> =>
    Object.fromEntries(Array.from({ length: flat.length / 2 }, (_, i) => [String(flat[2 * i]), String(flat[2 * i + 1])]));

interface AclLogEntry {
    username: string;
    object: string;
    reason: string;
    context: string;
}

async function aclLog(c: Redis): Promise<AclLogEntry[]> {
    const entries = (await c.call("ACL", "LOG", "128")) as unknown[][];
    return entries.map((e) => fields(e) as unknown as AclLogEntry);
}

/** ACL DRYRUN: "OK" when `user` may run `args`, else Redis's reason. Nothing runs and nothing is logged. */
async function dryrun(c: Redis, user: string, args: readonly string[]): Promise<string> {
    try {
        return String(await c.call("ACL", "DRYRUN", user, ...args));
    } catch (err) {
        return `error: ${(err as Error).message}`;
    }
}

const SHA = createHash("sha1").update(SET_BATCH_LUA).digest("hex");
const KEY = screenshotsKey("playstore", "com.whatsapp");
const META = metadataKey("appstore", "310633997");

/** [user, command, allowed] on every node (master and replica alike). */
const NODE_MATRIX: [AclUserName | "default", string[], boolean][] = [
    // The app, read-only by default.
    ["app", ["GET", KEY], true],
    ["app", ["MGET", KEY, META], true],
    ["app", ["TTL", META], true],
    ["app", ["EXISTS", KEY], true],
    ["app", ["INFO", "replication"], true],
    ["app", ["FLUSHALL"], false],
    ["app", ["FLUSHDB"], false],
    ["app", ["CONFIG", "GET", "masterauth"], false],
    ["app", ["CONFIG", "SET", "maxmemory", "1"], false],
    ["app", ["KEYS", "*"], false],
    ["app", ["DEBUG", "SLEEP", "0"], false],
    ["app", ["SHUTDOWN"], false],
    ["app", ["SCAN", "0"], false],
    ["app", ["RANDOMKEY"], false],
    ["app", ["SET", KEY, "v"], false],
    ["app", ["DEL", META], false],
    ["app", ["EXPIRE", META, "1"], false],
    ["app", ["GET", "other:key"], false],
    ["app", ["CLIENT", "KILL", "TYPE", "normal"], false],
    ["app", ["PUBLISH", WARMER_BARRIER_CHANNEL, "x"], false],
    // The warmer: what the warmer does, and nothing past its keys and channel.
    ["warmer", ["EVALSHA", SHA, "1", KEY, "v", "60"], true],
    ["warmer", ["EVAL", SET_BATCH_LUA, "1", KEY, "v", "60"], true],
    ["warmer", ["SET", KEY, "v", "EX", "60"], true],
    ["warmer", ["WAIT", "1", "100"], true],
    ["warmer", ["TTL", META], true],
    ["warmer", ["EXISTS", KEY, META], true],
    ["warmer", ["PUBLISH", WARMER_BARRIER_CHANNEL, ""], true],
    ["warmer", ["INFO", "server", "replication"], true],
    ["warmer", ["CLIENT", "INFO"], true],
    ["warmer", ["EVALSHA", SHA, "1", "other:key", "v", "60"], false],
    ["warmer", ["SET", "other:key", "v"], false],
    ["warmer", ["PUBLISH", "another:channel", ""], false],
    ["warmer", ["DEL", KEY], false],
    ["warmer", ["FLUSHALL"], false],
    ["warmer", ["KEYS", "*"], false],
    ["warmer", ["SCAN", "0"], false],
    ["warmer", ["CONFIG", "GET", "masterauth"], false],
    // The exporter.
    ["exporter", ["INFO", "ALL"], true],
    ["exporter", ["SLOWLOG", "GET", "128"], true],
    ["exporter", ["SLOWLOG", "LEN"], true],
    ["exporter", ["LATENCY", "LATEST"], true],
    ["exporter", ["CLIENT", "SETNAME", "redis_exporter"], true],
    ["exporter", ["CONFIG", "GET", "*"], false],
    ["exporter", ["CONFIG", "GET", "masterauth"], false],
    ["exporter", ["GET", KEY], false],
    ["exporter", ["CLIENT", "LIST"], false],
    // Replication and the Sentinels' links.
    ["replication", ["PSYNC", "?", "-1"], true],
    ["replication", ["REPLCONF", "listening-port", "6379"], true],
    ["replication", ["PING"], true],
    ["replication", ["GET", KEY], false],
    ["replication", ["SLAVEOF", "NO", "ONE"], false],
    ["replication", ["CONFIG", "GET", "*"], false],
    ["sentinel", ["SLAVEOF", "NO", "ONE"], true],
    ["sentinel", ["MULTI"], true],
    ["sentinel", ["EXEC"], true],
    ["sentinel", ["CONFIG", "REWRITE"], true],
    ["sentinel", ["CLIENT", "KILL", "TYPE", "normal"], true],
    ["sentinel", ["PUBLISH", "__sentinel__:hello", "x"], true],
    ["sentinel", ["SUBSCRIBE", "__sentinel__:hello"], true],
    ["sentinel", ["INFO"], true],
    ["sentinel", ["ROLE"], true],
    ["sentinel", ["SCRIPT", "KILL"], true],
    ["sentinel", ["PUBLISH", "another:channel", "x"], false],
    ["sentinel", ["SUBSCRIBE", "another:channel"], false],
    ["sentinel", ["CONFIG", "GET", "*"], false],
    ["sentinel", ["CONFIG", "SET", "maxmemory", "1"], false],
    ["sentinel", ["GET", KEY], false],
    ["sentinel", ["FLUSHALL"], false],
    ["admin", ["FLUSHALL"], true],
    ["admin", ["CONFIG", "GET", "*"], true],
];

// `default` is in neither matrix: its rules allow everything so that a node replays the
// transactions in its AOF (render/acl-users.ts DEFAULT_USER_LINE), and it is off, so no
// connection can be it ("refuses every connection that names no user" below).

/** [user, command, allowed] on every Sentinel. */
const SENTINEL_MATRIX: [AclUserName | "default", string[], boolean][] = [
    ["discovery", ["SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME], true],
    ["discovery", ["SENTINEL", "SENTINELS", MASTER_NAME], true],
    ["discovery", ["SENTINEL", "REPLICAS", MASTER_NAME], true],
    ["discovery", ["SENTINEL", "SLAVES", MASTER_NAME], true],
    ["discovery", ["SENTINEL", "MASTER", MASTER_NAME], true],
    ["discovery", ["SUBSCRIBE", "+switch-master"], true],
    ["discovery", ["HELLO", "3"], true],
    ["discovery", ["PING"], true],
    ["discovery", ["SUBSCRIBE", "+sdown"], false],
    ["discovery", ["PSUBSCRIBE", "*"], false],
    ["discovery", ["SENTINEL", "FAILOVER", MASTER_NAME], false],
    ["discovery", ["SENTINEL", "SET", MASTER_NAME, "quorum", "1"], false],
    ["discovery", ["SENTINEL", "RESET", "*"], false],
    ["discovery", ["SENTINEL", "CONFIG", "GET", "*"], false],
    ["discovery", ["SENTINEL", "DEBUG"], false],
    ["discovery", ["ACL", "LIST"], false],
    ["discovery", ["SHUTDOWN"], false],
    ["discovery", ["INFO"], false],
    ["exporter", ["INFO", "ALL"], true],
    ["exporter", ["SENTINEL", "MASTERS"], true],
    ["exporter", ["SENTINEL", "SENTINELS", MASTER_NAME], true],
    ["exporter", ["SENTINEL", "SLAVES", MASTER_NAME], true],
    ["exporter", ["SENTINEL", "CKQUORUM", MASTER_NAME], true],
    ["exporter", ["SENTINEL", "FAILOVER", MASTER_NAME], false],
    ["exporter", ["SENTINEL", "SET", MASTER_NAME, "quorum", "1"], false],
    ["exporter", ["SENTINEL", "CONFIG", "GET", "*"], false],
    ["sentinel-peer", ["SENTINEL", "FAILOVER", MASTER_NAME], true],
    ["admin", ["SENTINEL", "FAILOVER", MASTER_NAME], true],
];

describe("host: the least-privilege ACL users on Redis and Sentinel processes", function () {
    this.timeout(180_000);
    let cluster: AclHostCluster;
    const exporters: ChildProcess[] = [];

    const admin = (port: number) => cluster.client(port, "admin");
    const allPorts = () => [...cluster.nodePorts, ...cluster.sentinelPorts];

    /** Every Sentinel's view of the master: address, replicas and other Sentinels it knows, flags. */
    async function sentinelViews(): Promise<Record<string, string>[]> {
        return Promise.all(
            cluster.sentinelPorts.map(async (port) => fields((await admin(port).call("SENTINEL", "MASTER", MASTER_NAME)) as unknown[])),
        );
    }

    async function replicaLinkUp(port: number): Promise<boolean> {
        return /master_link_status:up/.test(await admin(port).info("replication"));
    }

    /** Until every Sentinel names `masterPort`, knows the replica and the other Sentinels, and the replica is linked. */
    async function settledOn(masterPort: number, timeoutMs = 60_000): Promise<void> {
        const replicaPorts = cluster.nodePorts.filter((p) => p !== masterPort);
        await waitFor(
            `the cluster settled on ${masterPort}`,
            async () => {
                const views = await sentinelViews();
                const ok = views.every(
                    (v) =>
                        v.port === String(masterPort) &&
                        v.flags === "master" &&
                        v["num-slaves"] === String(replicaPorts.length) &&
                        v["num-other-sentinels"] === String(cluster.sentinelPorts.length - 1),
                );
                const linked = (await Promise.all(replicaPorts.map(replicaLinkUp))).every(Boolean);
                return ok && linked ? true : undefined;
            },
            timeoutMs,
            250,
        );
    }

    /** Sends SENTINEL FAILOVER as `admin` until a Sentinel accepts it (-NOGOODSLAVE while a replica's state is fresh). */
    async function sendFailover(sentinelPort: number): Promise<number> {
        return waitFor(
            "a Sentinel accepting SENTINEL FAILOVER",
            async () => {
                const reply = await admin(sentinelPort).call("SENTINEL", "FAILOVER", MASTER_NAME);
                return reply === "OK" ? Date.now() : undefined;
            },
            30_000,
            500,
        );
    }

    before(async function () {
        requirePrograms(this, [REDIS_SERVER]);
        cluster = new AclHostCluster({ basePort: BASE, replicas: 1, sentinels: 3, downAfterMs: 1000, failoverTimeoutMs: 3000 });
        cluster.start();
        await settledOn(cluster.nodePorts[0]);
    });

    after(async () => {
        await Promise.all(exporters.map((e) => stopProcess(e)));
        await cluster?.stop();
    });

    it("refuses every connection that names no user: default is off", async () => {
        for (const port of allPorts()) {
            const reply = await cluster
                .client(port, undefined)
                .ping()
                .catch((err: Error) => err.message);
            expect(reply, String(port)).to.match(/^NOAUTH/);
            const flags = fields((await admin(port).call("ACL", "GETUSER", "default")) as unknown[]).flags;
            expect(flags, String(port)).to.match(/\boff\b/);
        }
    });

    it("links the replica to its master as the replication user", async () => {
        const [masterPort] = cluster.nodePorts;
        const clients = String(await admin(masterPort).call("CLIENT", "LIST", "TYPE", "replica"));
        expect(clients).to.match(/ user=replication /);
        expect(clients.trim().split("\n")).to.have.length(cluster.nodePorts.length - 1);
    });

    it("lets the Sentinels find each other and the replica: as sentinel on the nodes, as sentinel-peer among themselves", async () => {
        const views = await sentinelViews();
        for (const v of views) {
            expect(v["num-other-sentinels"]).to.equal("2");
            expect(v["num-slaves"]).to.equal("1");
        }
        for (const port of cluster.nodePorts) {
            const clients = String(await admin(port).call("CLIENT", "LIST", "TYPE", "normal"));
            expect(clients.match(/ user=sentinel /g) ?? [], `Sentinel links on ${port}`).to.have.length.at.least(
                cluster.sentinelPorts.length,
            );
        }
        for (const port of cluster.sentinelPorts) {
            const clients = String(await admin(port).call("CLIENT", "LIST"));
            expect(clients.match(/ user=sentinel-peer /g) ?? [], `peer links on ${port}`).to.have.length.at.least(
                cluster.sentinelPorts.length - 1,
            );
        }
    });

    it("allows and refuses each user's commands on every node (ACL DRYRUN)", async () => {
        const wrong: string[] = [];
        for (const port of cluster.nodePorts) {
            for (const [user, args, allowed] of NODE_MATRIX) {
                const reply = await dryrun(admin(port), user, args);
                if ((reply === "OK") !== allowed) wrong.push(`${port} ${user} ${args.join(" ")}: ${reply}`);
            }
        }
        expect(wrong).to.deep.equal([]);
    });

    it("allows and refuses each user's commands on every Sentinel (ACL DRYRUN)", async () => {
        const wrong: string[] = [];
        for (const port of cluster.sentinelPorts) {
            for (const [user, args, allowed] of SENTINEL_MATRIX) {
                const reply = await dryrun(admin(port), user, args);
                if ((reply === "OK") !== allowed) wrong.push(`${port} ${user} ${args.join(" ")}: ${reply}`);
            }
        }
        expect(wrong).to.deep.equal([]);
    });

    it("serves a Sentinel-mode warmer and a read-only app with failoverDetector, each on its own user", async () => {
        const warmer = cluster.sentinelClient("warmer");
        warmer.defineCommand("setBatch", { lua: SET_BATCH_LUA });
        expect(await warmer.setBatch(2, KEY, META, "[]", 600, "{}", 600)).to.equal(2);
        expect(await warmer.wait(1, 2000)).to.equal(1);
        expect(await warmer.exists(KEY, META)).to.equal(2);
        expect(await warmer.ttl(META)).to.be.within(1, 600);
        expect(await warmer.publish(WARMER_BARRIER_CHANNEL, "")).to.be.a("number");
        expect(await warmer.info("server", "replication")).to.match(/role:master/);
        expect(await warmer.client("INFO")).to.match(/user=warmer/);

        const app = cluster.sentinelClient("app");
        expect(await app.get(KEY)).to.equal("[]");
        expect(await app.mget(KEY, META)).to.deep.equal(["[]", "{}"]);
    });

    it("lets redis_exporter 1.45 scrape a node and a Sentinel as exporter, without CONFIG GET", async function () {
        requirePrograms(this, [REDIS_EXPORTER]);
        const targets = [cluster.nodePorts[0], cluster.sentinelPorts[0]];
        const file = path.join(cluster.dir, "exporter-passwords.json");
        writeFileSync(
            file,
            JSON.stringify(Object.fromEntries(targets.map((p) => [`redis://127.0.0.1:${p}`, cluster.passwords.exporter]))),
            { mode: 0o600 },
        );
        targets.forEach((port, i) => {
            const child = spawn(
                REDIS_EXPORTER[0],
                [
                    `--redis.addr=redis://127.0.0.1:${port}`,
                    "--redis.user=exporter",
                    `--redis.password-file=${file}`,
                    // Its default CONFIG GET * is refused to this user (it would return masterauth).
                    "--config-command=-",
                    `--web.listen-address=127.0.0.1:${EXPORTER_PORTS[i]}`,
                ],
                { stdio: "ignore" },
            );
            exporters.push(child);
        });
        for (const port of EXPORTER_PORTS) {
            const page = await waitFor(`exporter on ${port}`, async () => {
                const r = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) });
                return r.ok ? r.text() : undefined;
            });
            expect(sampleValue(page, "redis_up"), String(port)).to.equal(1);
        }
    });

    it("fails over with SENTINEL FAILOVER, the Sentinels logging in as sentinel and the replicas as replication", async () => {
        const [oldMaster, replica] = cluster.nodePorts;
        const sent = await sendFailover(cluster.sentinelPorts[0]);
        await waitFor(
            `every Sentinel naming ${replica}`,
            async () => ((await sentinelViews()).every((v) => v.port === String(replica)) ? true : undefined),
            30_000,
            100,
        );
        const switched = Date.now() - sent;
        await settledOn(replica);
        console.log(
            `      failover with the ACL users: every Sentinel named ${replica} ${switched} ms and ${oldMaster} was linked to it ${Date.now() - sent} ms after SENTINEL FAILOVER`,
        );
        const clients = String(await admin(replica).call("CLIENT", "LIST", "TYPE", "replica"));
        expect(clients).to.match(/ user=replication /);
    });

    it("leaves ACL LOG empty on every server after all of the above", async () => {
        for (const port of allPorts()) expect(await aclLog(admin(port)), String(port)).to.deep.equal([]);
    });

    it("logs a refused login as default in ACL LOG, so the empty logs above mean something", async () => {
        for (const port of allPorts()) {
            const reply = await cluster
                .client(port, undefined)
                .call("AUTH", "default", "")
                .catch((err: Error) => err.message);
            expect(reply, String(port)).to.match(/^WRONGPASS/);
            const entries = await aclLog(admin(port));
            expect(
                entries.map((e) => `${e.username} ${e.reason}`),
                String(port),
            ).to.deep.equal(["default auth"]);
        }
    });

    it("makes a failover abort when the sentinel user lacks +slaveof: the matrix tests something real", async () => {
        const master = cluster.nodePorts[1];
        const replica = cluster.nodePorts[0];
        for (const port of cluster.nodePorts) await admin(port).call("ACL", "SETUSER", "sentinel", "-slaveof");
        const events: string[] = [];
        const watcher = admin(cluster.sentinelPorts[0]);
        watcher.on("pmessage", (_pattern: string, channel: string) => events.push(channel));
        await watcher.psubscribe("*failover*", "+switch-master");
        const sent = await sendFailover(cluster.sentinelPorts[0]);
        const aborted = await waitFor(
            "a -failover-abort event",
            async () => events.find((e) => e.startsWith("-failover-abort")),
            20_000,
            100,
        );
        console.log(`      without +slaveof: ${aborted} ${Date.now() - sent} ms after the failover was sent; events: ${events.join(" ")}`);
        expect(events).to.not.include("+switch-master");
        expect(events).to.not.include("+failover-end");
        for (const v of await sentinelViews()) expect(v.port).to.equal(String(master));
        const denied = await aclLog(admin(replica));
        expect(denied.map((e) => `${e.username} ${e.object} ${e.reason}`)).to.include("sentinel slaveof command");
    });
});
