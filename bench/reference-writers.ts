import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import Redis from "ioredis";
import { sentinelClient } from "../ops/redis/connect";
import { accessCommands } from "../ops/redis/access-commands";
import { BenchTarget } from "./targets";

const run = promisify(execFile);

/** What every client would write without the warmer: one `SET ... EX` awaited at a time, through Sentinel. */
export async function naiveWriter(target: BenchTarget, keys: number, valueBytes: number): Promise<number> {
    const client = sentinelClient(target.plan, target.credentials);
    const value = "v".repeat(valueBytes);
    try {
        await client.ping();
        const started = process.hrtime.bigint();
        for (let i = 0; i < keys; i++) await client.set(`bench:naive:${i}`, value, "EX", 3600);
        return keys / (Number(process.hrtime.bigint() - started) / 1e9);
    } finally {
        client.disconnect();
    }
}

/**
 * Redis' own tool at the same master, by the same path, with values of the same size:
 * `redis-benchmark -t set -P 16 -c 50 -n <keys> -r <keys> -d <bytes>`. It takes a password only on
 * its command line, so it gets a throwaway ACL user allowed nothing but SET (and the CONFIG GET it
 * starts with), deleted afterwards: the stack's password never reaches a command line.
 */
export async function redisBenchmark(target: BenchTarget, keys: number, valueBytes: number): Promise<number> {
    const master = await target.master();
    const client = new Redis({ ...master, password: target.credentials.redisPassword });
    const admin = accessCommands(client);
    const user = `bench-${process.pid}`;
    const password = randomBytes(12).toString("hex");
    try {
        await admin.setUser(user, ["on", `>${password}`, "~key:*", "+set", "+ping", "+config|get"]);
        const args = ["-h", master.host, "-p", String(master.port), "--user", user, "-a", password];
        const bench = ["-t", "set", "-P", "16", "-c", "50", "-n", String(keys), "-r", String(keys), "-d", String(valueBytes), "--csv"];
        const { stdout } = await run("redis-benchmark", [...args, ...bench], { maxBuffer: 1 << 20 });
        // --csv: "test","rps",...; the SET line's second field is requests per second.
        const line = stdout.split("\n").find((l) => l.startsWith('"SET"'));
        if (!line) throw new Error(`redis-benchmark printed no SET result: ${stdout}`);
        return Number(JSON.parse(`[${line}]`)[1]);
    } finally {
        await admin.deleteUser(user).catch(() => undefined);
        client.disconnect();
    }
}
