// A Redis master, replicas and Sentinels as plain processes on 127.0.0.1 (Debian's redis-server
// and redis-sentinel), for tests and benchmarks of the write path without Docker. Passwords go
// into the processes' config files (mode 0600), never onto a command line.
import { ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import Redis from "ioredis";

export interface HostRedisOptions {
    /** First port: the master; replicas follow; Sentinels start at basePort + 10. */
    readonly basePort: number;
    readonly replicas?: number;
    readonly sentinels?: number;
    readonly masterName?: string;
    /** The stack's persistence: AOF everysec with an RDB preamble. */
    readonly appendonly?: boolean;
}

export interface HostRedis {
    readonly masterName: string;
    readonly redisPassword: string;
    readonly sentinelPassword: string;
    readonly nodes: readonly { host: string; port: number }[];
    readonly sentinels: readonly { host: string; port: number }[];
    /** Stops every process it started (by pid) and removes its directory. */
    stop(): Promise<void>;
}

const HOST = "127.0.0.1";

async function answersPing(port: number, password: string, deadline: number): Promise<void> {
    for (;;) {
        const client = new Redis({ host: HOST, port, password, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
        client.on("error", () => undefined);
        try {
            await client.connect();
            if ((await client.ping()) === "PONG") return;
        } catch {
            if (Date.now() > deadline) throw new Error(`nothing answers on ${HOST}:${port}`);
            await new Promise((r) => setTimeout(r, 100));
        } finally {
            client.disconnect();
        }
    }
}

/** Starts the processes and waits until every Sentinel sees every replica. */
export async function startHostRedis(options: HostRedisOptions): Promise<HostRedis> {
    const { basePort, replicas = 2, sentinels = 3, masterName = "mymaster", appendonly = true } = options;
    const dir = mkdtempSync(path.join(tmpdir(), "appscreens-host-redis-"));
    const redisPassword = randomBytes(16).toString("hex");
    const sentinelPassword = randomBytes(16).toString("hex");
    const children: ChildProcess[] = [];
    const start = (program: string, name: string, conf: string) => {
        const home = path.join(dir, name);
        mkdirSync(home);
        const file = path.join(home, `${name}.conf`);
        writeFileSync(file, conf);
        chmodSync(file, 0o600);
        const child = spawn(program, [file], { cwd: home, stdio: "ignore" });
        children.push(child);
    };
    const stop = async () => {
        await Promise.all(
            children.map(
                (child) =>
                    new Promise<void>((resolve) => {
                        if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return resolve();
                        child.once("exit", () => resolve());
                        // SIGTERM: Redis then also ends its AOF-rewrite or snapshot child, which SIGKILL would orphan.
                        process.kill(child.pid, "SIGTERM");
                    }),
            ),
        );
        rmSync(dir, { recursive: true, force: true });
    };
    try {
        const nodes = Array.from({ length: replicas + 1 }, (_, i) => ({ host: HOST, port: basePort + i }));
        nodes.forEach((node, i) => {
            const name = `redis-${i}`;
            start(
                "redis-server",
                name,
                [
                    `port ${node.port}`,
                    `bind ${HOST}`,
                    `dir ${path.join(dir, name)}`,
                    `requirepass ${redisPassword}`,
                    `masterauth ${redisPassword}`,
                    `appendonly ${appendonly ? "yes" : "no"}`,
                    "appendfsync everysec",
                    "aof-use-rdb-preamble yes",
                    'save ""',
                    `replica-announce-ip ${HOST}`,
                    ...(i === 0 ? [] : [`replicaof ${HOST} ${basePort}`]),
                    "",
                ].join("\n"),
            );
        });
        const sentinelEndpoints = Array.from({ length: sentinels }, (_, i) => ({ host: HOST, port: basePort + 10 + i }));
        sentinelEndpoints.forEach((s, i) => {
            const name = `sentinel-${i}`;
            start(
                "redis-sentinel",
                name,
                [
                    `port ${s.port}`,
                    `bind ${HOST}`,
                    `dir ${path.join(dir, name)}`,
                    `sentinel announce-ip ${HOST}`,
                    `sentinel monitor ${masterName} ${HOST} ${basePort} ${Math.floor(sentinels / 2) + 1}`,
                    `sentinel auth-pass ${masterName} ${redisPassword}`,
                    `sentinel down-after-milliseconds ${masterName} 1000`,
                    `sentinel failover-timeout ${masterName} 5000`,
                    `requirepass ${sentinelPassword}`,
                    "",
                ].join("\n"),
            );
        });
        const deadline = Date.now() + 20_000;
        for (const n of nodes) await answersPing(n.port, redisPassword, deadline);
        for (const s of sentinelEndpoints) await answersPing(s.port, sentinelPassword, deadline);
        // Sentinels learn replicas from the master's INFO every 10 s; wait until all see them all.
        for (const s of sentinelEndpoints) {
            const client = new Redis({ host: HOST, port: s.port, password: sentinelPassword });
            try {
                for (;;) {
                    const master = (await client.call("SENTINEL", "MASTER", masterName)) as string[];
                    const fields = Object.fromEntries(master.flatMap((v, i) => (i % 2 === 0 ? [[v, master[i + 1]]] : [])));
                    if (Number(fields["num-slaves"]) === replicas) break;
                    if (Date.now() > deadline + 20_000) throw new Error(`sentinel on ${s.port} does not see ${replicas} replicas`);
                    await new Promise((r) => setTimeout(r, 200));
                }
            } finally {
                client.disconnect();
            }
        }
        return { masterName, redisPassword, sentinelPassword, nodes, sentinels: sentinelEndpoints, stop };
    } catch (err) {
        await stop();
        throw err;
    }
}
