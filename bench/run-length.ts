// npm run bench -- run-length [--port 21270] [--baseline <checkout>]
//
// What a warm of 100,000 keys pays per key that one of 10,000 does not, on host processes (no
// Docker): each run starts from a flushed master and a fresh AOF base (BGREWRITEAOF, as a new
// stack), with the automatic AOF rewrite on (the stack's 100 % / 64 MB) and off, and reports the
// warmer's keys/s, the master's forks and AOF rewrites during the run, and the warm child's time
// in garbage collection (perf_hooks "gc" entries, from a preload). With --baseline, the same for
// another checkout's warm CLI (bench/side-by-side.ts). One pass: a probe for causes, not a
// benchmark of record.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import Redis from "ioredis";
import { parseInfo } from "../ops/redis/replies";
import { nodeCommands } from "../ops/redis/node-commands";
import { baselineDir, runOrder } from "./side-by-side";
import { markdownTable, sleep } from "./stats";
import { hostTarget } from "./targets";
import { warmInChild } from "./warm-child";
import { fromFiles, snapshots } from "./warm-throughput";

/** Preloaded into the warm child: sums its GC pauses by kind into the file named by BENCH_GC_FILE. */
const GC_PRELOAD = `
import { PerformanceObserver, constants } from "node:perf_hooks";
import { writeFileSync } from "node:fs";
const kinds = { [constants.NODE_PERFORMANCE_GC_MINOR]: "minor", [constants.NODE_PERFORMANCE_GC_MAJOR]: "major" };
const stats = { minor: { n: 0, ms: 0 }, major: { n: 0, ms: 0 }, other: { n: 0, ms: 0 } };
new PerformanceObserver((list) => {
    for (const e of list.getEntries()) { const s = stats[kinds[e.detail.kind] ?? "other"]; s.n++; s.ms += e.duration; }
}).observe({ entryTypes: ["gc"] });
process.on("exit", () => writeFileSync(process.env.BENCH_GC_FILE, JSON.stringify(stats)));
`;

interface GcStats {
    minor: { n: number; ms: number };
    major: { n: number; ms: number };
    other: { n: number; ms: number };
}

export async function runLength(argv: string[]): Promise<void> {
    const { values } = parseArgs({ args: argv, options: { port: { type: "string", default: "21270" }, baseline: { type: "string" } } });
    const baseline = baselineDir(values.baseline);
    const dir = mkdtempSync(path.join(tmpdir(), "appscreens-run-length-"));
    const preload = path.join(dir, "gc-preload.mjs");
    writeFileSync(preload, GC_PRELOAD);
    const target = await hostTarget(Number(values.port));
    const master = new Redis({ ...(await target.master()), password: target.credentials.redisPassword });
    const rows: string[][] = [];
    try {
        const files = { 100_000: await snapshots(dir, "100k", 25_000), 10_000: await snapshots(dir, "10k", 2_500) };
        const read = async () => ({ ...parseInfo(await master.info("persistence")), ...parseInfo(await master.info("stats")) });
        for (const variant of runOrder(0, baseline !== undefined)) {
            for (const rewrite of ["100", "0"]) {
                for (const keys of [100_000, 10_000] as const) {
                    await master.flushall();
                    await master.config("SET", "auto-aof-rewrite-percentage", rewrite);
                    await nodeCommands(master).rewriteAof();
                    for (;;) {
                        const p = parseInfo(await master.info("persistence"));
                        if (p.aof_rewrite_in_progress === "0" && p.rdb_bgsave_in_progress === "0") break;
                        await sleep(100);
                    }
                    const gcFile = path.join(dir, `gc-${variant}-${rewrite}-${keys}.json`);
                    const before = await read();
                    const run = await warmInChild(
                        fromFiles(target.plan, files[keys]),
                        target.credentials,
                        variant === "baseline" ? baseline : undefined,
                        {
                            nodeFlags: ["--import", preload],
                            env: { BENCH_GC_FILE: gcFile },
                        },
                    );
                    const after = await read();
                    if (!run.summary.ok || run.summary.keysWritten !== keys)
                        throw new Error(`warm of ${keys} keys failed: ${JSON.stringify(run.summary.problems)}`);
                    const delta = (field: string) => Number(after[field]) - Number(before[field]);
                    const gc = JSON.parse(readFileSync(gcFile, "utf8")) as GcStats;
                    const gcMs = gc.minor.ms + gc.major.ms + gc.other.ms;
                    rows.push([
                        variant === "baseline" ? `baseline (${baseline})` : "this",
                        keys.toLocaleString("en"),
                        rewrite === "0" ? "off" : "100 % / 64 MB",
                        String(Math.round((keys * 1000) / run.summary.durationMs)),
                        String(delta("aof_rewrites")),
                        String(delta("total_forks")),
                        `${gc.minor.n} / ${Math.round(gc.minor.ms)}`,
                        `${gc.major.n} / ${Math.round(gc.major.ms)}`,
                        ((gcMs * 1000) / keys).toFixed(1),
                        String(run.summary.reconciliation.durationMs),
                    ]);
                    console.error(rows[rows.length - 1].join("  "));
                }
            }
        }
        console.log(
            markdownTable(
                [
                    "checkout",
                    "keys",
                    "AOF auto-rewrite",
                    "keys/s",
                    "AOF rewrites",
                    "forks",
                    "scavenges / ms",
                    "full GCs / ms",
                    "GC us per key",
                    "end-of-run check ms",
                ],
                rows,
            ),
        );
    } finally {
        master.disconnect();
        await target.destroy();
        rmSync(dir, { recursive: true, force: true });
    }
}
