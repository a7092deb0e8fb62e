import { expect } from "chai";
import { ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import Redis from "ioredis";
import { readStackFile } from "../../settings/stack-file";
import { memoryBytes, validateStackConfig } from "../../settings/validate";
import { renderRedisConf } from "../../render/redis-conf";
import { MASTER_PLACEHOLDER, renderSentinelConf } from "../../render/sentinel-conf";
import { bootstrapArgs, REDIS_DIRECTIVES, SENTINEL_DIRECTIVES } from "../../render/directives";
import { rawCommand } from "../support/raw-command";
import { requireProgram } from "../support/require-program";
import { waitFor } from "../support/live/wait";

const REDIS_PASSWORD = "RenderedConfTest0Password0Redis";
const SENTINEL_PASSWORD = "RenderedConfTest0Password0Sentinel";

/**
 * A server's command line as its container gets it (the bootstrap directives), with only what
 * differs on this host changed: where it listens, where it stores, the address it announces.
 */
function hostArgs(args: readonly string[], port: number, dir: string): string[] {
    const out = [...args];
    const set = (flag: string, value: string) => {
        const at = out.indexOf(flag);
        if (at < 0) throw new Error(`no ${flag} on the rendered command line`);
        out[at + 1] = value;
    };
    set("--port", String(port));
    set("--dir", dir);
    set(out.includes("--replica-announce-ip") ? "--replica-announce-ip" : "announce-ip", "127.0.0.1");
    return out;
}

describe("rendered dev-stack config (initial file + command line) on Debian's redis-server and redis-sentinel", function () {
    this.timeout(60_000);
    const settings = validateStackConfig({ stack: "dev", keys: ["cluster"], cluster: readStackFile("dev").cluster, secrets: {} });
    const r = settings.cluster.redis;
    const processes: ChildProcess[] = [];
    const clients: Redis[] = [];
    const logs: string[] = [];
    let dir: string;
    let ports: { master: number; replica: number; sentinel: number };

    /** Starts a server as the container's start script would: its initial file, then the command line. */
    const start = (binary: string, name: string, conf: string, args: readonly string[]) => {
        const file = path.join(dir, `${name}.conf`);
        writeFileSync(file, conf, { mode: 0o600 });
        // Kept so that a failing test can show why a server did not come up.
        const log = openSync(path.join(dir, `${name}.log`), "w");
        // The rendered maxclients needs more open files than a shell's default limit.
        const child = spawn("sh", ["-c", `ulimit -n ${r.maxclients + 64} && exec ${binary} "$@"`, "sh", file, ...args], {
            stdio: ["ignore", log, log],
        });
        processes.push(child);
        logs.push(name);
    };
    // A client that keeps reconnecting: a server slower to bind than the test is to ask (a loaded CI
    // machine) must not close the client for good, which is what a CI run saw with no retries.
    const client = (port: number, password: string) => {
        const c = new Redis({ port, password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => 100 });
        // Refused connections while a server starts are expected; the commands report what matters.
        c.on("error", () => undefined);
        clients.push(c);
        return c;
    };

    before(async function () {
        requireProgram(this, "redis-server", ["--version"], "Debian's redis-server package");
        requireProgram(this, "redis-sentinel", ["--version"], "Debian's redis-sentinel package");
        dir = mkdtempSync(path.join(tmpdir(), "appscreens-rendered-"));
        // Fixed ports below Linux's ephemeral range (32768-60999): a port picked free there can be
        // taken by any outgoing connection before the server binds it (a CI run lost Sentinel so).
        ports = { master: 22470, replica: 22471, sentinel: 22472 };
        const dataDir = (name: string) => {
            const d = path.join(dir, name);
            mkdirSync(d);
            return d;
        };
        const { nodes, sentinels } = settings.plan;
        start(
            "redis-server",
            "redis-0",
            renderRedisConf({ settings, node: nodes[0], password: REDIS_PASSWORD }),
            hostArgs(bootstrapArgs(REDIS_DIRECTIVES, settings, nodes[0]), ports.master, dataDir("redis-0")),
        );
        // The start script appends the master the Sentinels name (node 0 on a first boot).
        start(
            "redis-server",
            "redis-1",
            `${renderRedisConf({ settings, node: nodes[1], password: REDIS_PASSWORD })}\nreplicaof 127.0.0.1 ${ports.master}\n`,
            hostArgs(bootstrapArgs(REDIS_DIRECTIVES, settings, nodes[1]), ports.replica, dataDir("redis-1")),
        );
        start(
            "redis-sentinel",
            "sentinel-0",
            renderSentinelConf({
                settings,
                sentinel: sentinels[0],
                redisPassword: REDIS_PASSWORD,
                sentinelPassword: SENTINEL_PASSWORD,
            }).replace(`${MASTER_PLACEHOLDER} 6379`, `127.0.0.1 ${ports.master}`),
            hostArgs(bootstrapArgs(SENTINEL_DIRECTIVES, settings, sentinels[0]), ports.sentinel, dataDir("sentinel-0")),
        );
    });

    afterEach(function () {
        if (this.currentTest?.state !== "failed") return;
        // Passwords are test constants here, so a server's log is safe to print.
        for (const name of logs) console.log(`--- ${name}.log\n${readFileSync(path.join(dir, `${name}.log`), "utf8")}`);
    });

    after(async () => {
        for (const c of clients) c.disconnect();
        for (const p of processes) p.kill("SIGKILL");
        if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("starts Redis from the rendered file with every configured value in effect", async () => {
        const master = client(ports.master, REDIS_PASSWORD);
        await waitFor("redis-0 to answer", async () => ((await master.ping()) === "PONG" ? true : undefined));
        const get = async (name: string) => ((await master.call("CONFIG", "GET", name)) as string[])[1];
        expect(await get("save")).to.equal(r.save.join(" "));
        expect(await get("appendonly")).to.equal(r.appendonly ? "yes" : "no");
        expect(await get("appendfsync")).to.equal(r.appendfsync);
        expect(await get("aof-use-rdb-preamble")).to.equal(r.aofUseRdbPreamble ? "yes" : "no");
        expect(await get("appenddirname")).to.equal("appendonlydir");
        expect(Number(await get("maxmemory"))).to.equal(memoryBytes(r.maxmemory));
        expect(await get("maxmemory-policy")).to.equal(r.maxmemoryPolicy);
        expect(Number(await get("maxclients"))).to.equal(r.maxclients);
        expect(Number(await get("tcp-keepalive"))).to.equal(r.tcpKeepalive);
        expect(Number(await get("min-replicas-to-write"))).to.equal(r.minReplicasToWrite);
        expect(Number(await get("min-replicas-max-lag"))).to.equal(r.minReplicasMaxLag);
        expect(await get("requirepass")).to.equal(REDIS_PASSWORD);
        expect(await get("masterauth")).to.equal(REDIS_PASSWORD);
        expect(await get("protected-mode")).to.equal("yes");
    });

    it("starts the replica from its rendered file, linked to the master with masterauth", async () => {
        const replica = client(ports.replica, REDIS_PASSWORD);
        const info = await waitFor("the replication link", async () => {
            const text = await replica.info("replication");
            return text.includes("master_link_status:up") ? text : undefined;
        });
        expect(info).to.include("role:slave");
    });

    it("starts Sentinel from the rendered file with the configured monitor settings", async () => {
        const sentinel = client(ports.sentinel, SENTINEL_PASSWORD);
        const s = settings.cluster.sentinel;
        const master = await waitFor("Sentinel to see the master", async () => {
            const flat = (await sentinel.call("SENTINEL", "MASTER", s.masterName)) as string[];
            const fields = Object.fromEntries(flat.flatMap((v, i) => (i % 2 === 0 ? [[v, flat[i + 1]]] : [])));
            return fields["num-slaves"] === "1" ? fields : undefined;
        });
        expect(master.quorum).to.equal(String(s.quorum));
        expect(master["down-after-milliseconds"]).to.equal(String(s.downAfterMilliseconds));
        expect(master["parallel-syncs"]).to.equal(String(s.parallelSyncs));
        expect(master["failover-timeout"]).to.equal(String(s.failoverTimeout));
        expect(master.flags).to.equal("master");
    });

    it("refuses unauthenticated clients on Redis and Sentinel", async () => {
        for (const port of [ports.master, ports.replica, ports.sentinel]) {
            expect(await rawCommand("127.0.0.1", port, "PING")).to.match(/^-NOAUTH/);
        }
    });
});
