// npm run bench -- restart-time [--keys 1000000] [--value-bytes 200] [--runs 5] [--port 22100]
// Restart time by persistence mode, on Debian's redis-server run directly on this host (no Docker):
// the same data set saved three ways, then each started again and again, interleaved, timed from
// spawn until it answers PING with PONG (a server still loading answers -LOADING).
//   preamble: appendonly yes + aof-use-rdb-preamble yes (the stack's setting: AOF base is an RDB)
//   aof:      appendonly yes + aof-use-rdb-preamble no  (pure AOF: the base is commands)
//   rdb:      appendonly no, RDB only
// Each AOF directory holds what a rewrite leaves (base + empty increment + manifest), as a server
// does after its last automatic rewrite. Every server binds 127.0.0.1 and is killed on exit.
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import Redis from "ioredis";
import { nodeCommands } from "../ops/redis/node-commands";
import { rawCommand } from "../tests/support/raw-command";
import { formatSpread, markdownTable, sleep, spread, Spread } from "./stats";

export const MODES = ["preamble", "aof", "rdb"] as const;
export type Mode = (typeof MODES)[number];

/** Command-line flags of redis-server for one persistence mode; nothing is saved on shutdown. */
export function modeFlags(mode: Mode): string[] {
    return [
        "--appendonly",
        mode === "rdb" ? "no" : "yes",
        "--aof-use-rdb-preamble",
        mode === "aof" ? "no" : "yes",
        "--appenddirname",
        "appendonlydir",
        "--dbfilename",
        "dump.rdb",
        "--save",
        "",
    ];
}

/** Restart-time targets of issue 8: the stack's mode against the other two. */
export const TARGETS = { vsRdb: 1.15, vsAof: 0.75 } as const;

export interface ModeResult {
    readonly mode: Mode;
    readonly diskBytes: number;
    readonly seconds: Spread;
}

export function targetVerdicts(results: readonly ModeResult[]): { vsRdb: number; vsAof: number; ok: boolean } {
    const median = (m: Mode) => {
        const r = results.find((x) => x.mode === m);
        if (!r) throw new Error(`no result for ${m}`);
        return r.seconds.median;
    };
    const vsRdb = median("preamble") / median("rdb");
    const vsAof = median("preamble") / median("aof");
    return { vsRdb, vsAof, ok: vsRdb <= TARGETS.vsRdb && vsAof <= TARGETS.vsAof };
}

class HostServer {
    private exited: Promise<void>;
    constructor(
        readonly port: number,
        readonly dir: string,
        private readonly child: ChildProcess,
    ) {
        this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    }

    static start(port: number, dir: string, mode: Mode): HostServer {
        const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--logfile", path.join(dir, "..", `log-${port}`)];
        const child = spawn("redis-server", [...args, ...modeFlags(mode)], { stdio: "ignore" });
        return new HostServer(port, dir, child);
    }

    async stop(): Promise<void> {
        if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
        await this.exited;
    }

    async shutdownNoSave(): Promise<void> {
        await ping(this.port, "SHUTDOWN NOSAVE").catch(() => undefined);
        const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
        await this.exited;
        clearTimeout(timer);
    }
}

const ping = (port: number, command = "PING"): Promise<string> => rawCommand("127.0.0.1", port, command, 2000);

async function untilPong(port: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const reply = await ping(port).catch(() => "");
        if (reply === "+PONG") return;
        if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PONG within ${timeoutMs} ms`);
        await sleep(2);
    }
}

async function withClient<T>(port: number, fn: (c: Redis) => Promise<T>): Promise<T> {
    const client = new Redis({ host: "127.0.0.1", port, lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
        await client.connect();
        return await fn(client);
    } finally {
        client.disconnect();
    }
}

async function populate(client: Redis, keys: number, valueBytes: number): Promise<void> {
    // Random text, so that RDB compression (LZF) does not flatter the RDB formats.
    const random = randomBytes(Math.ceil((valueBytes * 3) / 4) + 1024).toString("base64");
    const batch = 2000;
    for (let start = 0; start < keys; start += batch * 4) {
        const inFlight: Promise<unknown>[] = [];
        for (let b = start; b < Math.min(keys, start + batch * 4); b += batch) {
            const pipeline = client.pipeline();
            for (let i = b; i < Math.min(keys, b + batch); i++) {
                // Cache-like: every key expires, a day out with some spread.
                pipeline.set(`bench:${i}`, random.substr(i % 1024, valueBytes), "EX", 86_400 + (i % 3600));
            }
            inFlight.push(pipeline.exec());
        }
        await Promise.all(inFlight);
    }
}

async function waitPersistenceIdle(client: Redis): Promise<void> {
    for (;;) {
        const info = await client.info("persistence");
        if (/aof_rewrite_in_progress:0/.test(info) && /aof_rewrite_scheduled:0/.test(info) && /rdb_bgsave_in_progress:0/.test(info)) {
            if (!/aof_last_bgrewrite_status:ok/.test(info)) throw new Error("AOF rewrite failed");
            return;
        }
        await sleep(50);
    }
}

const dirBytes = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.name === "dump.rdb" || e.name === "appendonlydir")
        .reduce((sum, e) => {
            const p = path.join(dir, e.name);
            return sum + (e.isDirectory() ? readdirSync(p).reduce((s, f) => s + statSync(path.join(p, f)).size, 0) : statSync(p).size);
        }, 0);

/** Builds one directory per mode holding the same data set in that mode's files, and nothing else. */
async function prepare(root: string, port: number, keys: number, valueBytes: number): Promise<Record<Mode, string>> {
    const dirs = Object.fromEntries(MODES.map((m) => [m, path.join(root, m)])) as Record<Mode, string>;
    for (const d of Object.values(dirs)) mkdirSync(d);
    const seed = HostServer.start(port, dirs.rdb, "rdb");
    try {
        await untilPong(port, 10_000);
        await withClient(port, async (c) => {
            await populate(c, keys, valueBytes);
            await c.save();
        });
    } finally {
        await seed.shutdownNoSave();
    }
    for (const mode of ["preamble", "aof"] as const) {
        cpSync(path.join(dirs.rdb, "dump.rdb"), path.join(dirs[mode], "dump.rdb"));
        // Loaded from the RDB with AOF off, then AOF turned on at runtime: Redis rewrites the
        // whole data set into a fresh AOF base, in this mode's format.
        const server = HostServer.start(port, dirs[mode], "rdb");
        try {
            await untilPong(port, 60_000);
            await withClient(port, async (c) => {
                const node = nodeCommands(c);
                await node.configSet("aof-use-rdb-preamble", mode === "preamble" ? "yes" : "no");
                await node.configSet("appendonly", "yes");
                await sleep(100);
                await waitPersistenceIdle(c);
            });
        } finally {
            await server.shutdownNoSave();
        }
        rmSync(path.join(dirs[mode], "dump.rdb"));
    }
    return dirs;
}

async function timeRestart(port: number, dir: string, mode: Mode, keys: number): Promise<number> {
    const started = process.hrtime.bigint();
    const server = HostServer.start(port, dir, mode);
    try {
        await untilPong(port, 120_000);
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const loaded = await withClient(port, (c) => c.dbsize());
        if (loaded !== keys) throw new Error(`${mode}: loaded ${loaded} keys, expected ${keys}`);
        return seconds;
    } finally {
        await server.shutdownNoSave();
    }
}

export async function restartTime(argv: string[]): Promise<void> {
    const { values } = parseArgs({
        args: argv,
        options: {
            keys: { type: "string", default: "1000000" },
            "value-bytes": { type: "string", default: "200" },
            runs: { type: "string", default: "5" },
            port: { type: "string", default: "22100" },
        },
    });
    const keys = Number(values.keys);
    const runs = Number(values.runs);
    const port = Number(values.port);
    const valueBytes = Number(values["value-bytes"]);
    if (!(runs >= 1 && keys >= 1 && port >= 1024)) throw new Error("--keys, --runs and --port must be positive numbers");
    const version = execFileSync("redis-server", ["--version"], { encoding: "utf8" }).split(" ")[2]?.replace("v=", "");
    const root = mkdtempSync(path.join(tmpdir(), "appscreens-restart-"));
    try {
        console.error(`restart-time: writing ${keys} keys of ${valueBytes} B into ${root} ...`);
        const dirs = await prepare(root, port, keys, valueBytes);
        const times: Record<Mode, number[]> = { preamble: [], aof: [], rdb: [] };
        for (let run = 0; run < runs; run++) {
            // Rotate the order so that no mode always runs first (page cache, CPU frequency).
            const order = MODES.map((_, i) => MODES[(i + run) % MODES.length]);
            for (const mode of order) times[mode].push(await timeRestart(port, dirs[mode], mode, keys));
            console.error(`restart-time: run ${run + 1}/${runs}: ${MODES.map((m) => `${m} ${times[m][run].toFixed(3)} s`).join(", ")}`);
        }
        const results: ModeResult[] = MODES.map((mode) => ({ mode, diskBytes: dirBytes(dirs[mode]), seconds: spread(times[mode]) }));
        const verdict = targetVerdicts(results);
        const label: Record<Mode, string> = {
            preamble: "AOF + RDB preamble (the stack)",
            aof: "pure AOF",
            rdb: "RDB only",
        };
        const rdbMedian = results.find((r) => r.mode === "rdb")?.seconds.median ?? Number.NaN;
        const aofMedian = results.find((r) => r.mode === "aof")?.seconds.median ?? Number.NaN;
        console.log(
            `Restart time, ${keys} keys of ${valueBytes} B with TTLs, Redis ${version}, ${cpus().length} cores, ${runs} interleaved runs, ${new Date().toISOString().slice(0, 10)}:\n`,
        );
        console.log(
            markdownTable(
                ["persistence mode", "on disk", `restart s, median (min-max) of ${runs}`, "x RDB only", "x pure AOF"],
                results.map((r) => [
                    label[r.mode],
                    `${(r.diskBytes / 1024 ** 2).toFixed(1)} MiB`,
                    formatSpread(r.seconds, 3),
                    (r.seconds.median / rdbMedian).toFixed(2),
                    (r.seconds.median / aofMedian).toFixed(2),
                ]),
            ),
        );
        console.log(
            `\nTargets: AOF + preamble <= ${TARGETS.vsRdb} x RDB only (${verdict.vsRdb.toFixed(2)}) and <= ${TARGETS.vsAof} x pure AOF (${verdict.vsAof.toFixed(2)}): ${verdict.ok ? "met" : "NOT met"}.`,
        );
    } finally {
        rmSync(root, { recursive: true, force: true });
    }
}
