// npm run bench -- cpu-budget [--target docker|host] [--runs 3] [--port 21300]
//
// Where the machine's CPU goes when each writer of `warm-throughput` writes 100,000 keys of the
// same size through the same path: the writer itself, the Redis servers, docker-proxy (the
// published ports) and the rest, in microseconds of CPU per key, from /proc before and after each
// run (bench/proc-cpu.ts). With every core's time known, it gives the most keys/s any writer of a
// given CPU cost per key could reach on this machine: cores / (servers' + writer's us per key).
import { cpus, tmpdir } from "node:os";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { parseSnapshotLine } from "../ops/warm/sources/file-source";
import { entriesFor } from "../ops/warm/warmer";
import { PostDeployPlan } from "../contracts/plan";
import { clockTicks, cpuByCommand, cpuSnapshot } from "./proc-cpu";
import { rawRespWriter } from "./raw-resp-writer";
import { naiveWriter, redisBenchmark } from "./reference-writers";
import { formatSpread, markdownTable, spread } from "./stats";
import { BenchTarget, dockerTarget, hostTarget } from "./targets";
import { warmInChild } from "./warm-child";
import { flush, fromFiles, meanValueBytes, snapshots } from "./warm-throughput";

const KEYS = 100_000;

/** CPU per key of one run, in microseconds, by who spent it. */
export interface CpuPerKey {
    readonly keysPerSecond: number;
    readonly writer: number;
    readonly redisServer: number;
    readonly dockerProxy: number;
    readonly rest: number;
    /** Every core's busy time, per key. */
    readonly machine: number;
    /** Busy share of all cores over the run. */
    readonly busyShare: number;
}

/**
 * The warmer's CPU per key for only turning snapshot lines into the values it writes (parse,
 * validate, cap, serialise), in memory with no I/O: what any writer that validates its input
 * pays before a byte reaches Redis. The lines are read first; the best of 5 passes.
 */
export function preparationUsPerKey(files: Readonly<Record<string, string>>, plan: PostDeployPlan): { jsonParse: number; prepare: number } {
    const lines = Object.values(files).flatMap((f) => readFileSync(f, "utf8").split("\n").filter(Boolean));
    const options = { ttl: plan.cache, descriptionMaxChars: plan.warmer.descriptionMaxChars };
    const best = (pass: () => number) => {
        let fastest = Infinity;
        for (let i = 0; i < 5; i++) {
            const started = process.cpuUsage();
            const keys = pass();
            const spent = process.cpuUsage(started);
            fastest = Math.min(fastest, (spent.user + spent.system) / keys);
        }
        return fastest;
    };
    return {
        jsonParse: best(() => {
            for (const line of lines) JSON.parse(line);
            return 2 * lines.length;
        }),
        prepare: best(() => {
            let keys = 0;
            lines.forEach((line, i) => (keys += entriesFor(parseSnapshotLine(line, i + 1), options).length));
            return keys;
        }),
    };
}

type Writer = "warmer" | "raw RESP instrument" | "redis-benchmark" | "naive";

async function measure(target: BenchTarget, writer: Writer, run: () => Promise<number>, inProcess: boolean): Promise<CpuPerKey> {
    await flush(target);
    const before = cpuSnapshot();
    const started = process.hrtime.bigint();
    const keysPerSecond = await run();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const after = cpuSnapshot();
    const byCommand = cpuByCommand(before, after);
    const us = (ticks: number) => (ticks / clockTicks() / KEYS) * 1e6;
    const writerTicks = inProcess ? after.selfTicks - before.selfTicks : after.childTicks - before.childTicks;
    const redisServer = byCommand.get("redis-server") ?? 0;
    const dockerProxy = byCommand.get("docker-proxy") ?? 0;
    const machineBusy = after.machineBusy - before.machineBusy;
    const counted = writerTicks + redisServer + dockerProxy;
    const result = {
        keysPerSecond,
        writer: us(writerTicks),
        redisServer: us(redisServer),
        dockerProxy: us(dockerProxy),
        rest: us(Math.max(0, machineBusy - counted)),
        machine: us(machineBusy),
        busyShare: machineBusy / clockTicks() / (seconds * cpus().length),
    };
    console.error(`cpu-budget ${writer}: ${JSON.stringify(result)}`);
    return result;
}

export async function cpuBudget(argv: string[]): Promise<void> {
    const { values } = parseArgs({
        args: argv,
        options: {
            target: { type: "string", default: "docker" },
            runs: { type: "string", default: "3" },
            port: { type: "string", default: "21300" },
        },
    });
    const runs = Number(values.runs);
    const target = values.target === "host" ? await hostTarget(Number(values.port)) : await dockerTarget();
    const dir = mkdtempSync(path.join(tmpdir(), "appscreens-cpu-budget-"));
    const results: Record<Writer, CpuPerKey[]> = { warmer: [], "raw RESP instrument": [], "redis-benchmark": [], naive: [] };
    let preparation: { jsonParse: number; prepare: number } | undefined;
    try {
        const files = await snapshots(dir, "100k", KEYS / 4);
        const plan = fromFiles(target.plan, files);
        const valueBytes = meanValueBytes(files, target.plan);
        preparation = preparationUsPerKey(files, target.plan);
        for (let run = 0; run < runs; run++) {
            results.warmer.push(
                await measure(
                    target,
                    "warmer",
                    async () => {
                        const { summary } = await warmInChild(plan, target.credentials);
                        if (!summary.ok || summary.keysWritten !== KEYS)
                            throw new Error(`warm failed: ${JSON.stringify(summary.problems)}`);
                        return (summary.keysWritten * 1000) / summary.durationMs;
                    },
                    false,
                ),
            );
            results["raw RESP instrument"].push(
                await measure(target, "raw RESP instrument", () => rawRespWriter(target, files, target.plan), true),
            );
            results["redis-benchmark"].push(
                await measure(target, "redis-benchmark", () => redisBenchmark(target, KEYS, valueBytes), false),
            );
            results.naive.push(await measure(target, "naive", () => naiveWriter(target, KEYS, valueBytes), true));
        }
    } finally {
        rmSync(dir, { recursive: true, force: true });
        await target.destroy();
    }
    const cell = (rows: CpuPerKey[], pick: (r: CpuPerKey) => number, decimals = 1) => formatSpread(spread(rows.map(pick)), decimals);
    const cores = cpus().length;
    console.log(
        `Target: ${target.description}; ${cores} cores; ${new Date().toISOString().slice(0, 10)}; ${KEYS.toLocaleString("en")} keys each.\n`,
    );
    console.log(
        markdownTable(
            [
                "writer",
                "runs",
                "keys/s",
                "writer us/key",
                "redis-server us/key",
                "docker-proxy us/key",
                "rest us/key",
                "machine us/key",
                "cores busy",
            ],
            (Object.keys(results) as Writer[]).map((w) => [
                w,
                String(runs),
                cell(results[w], (r) => r.keysPerSecond, 0),
                cell(results[w], (r) => r.writer),
                cell(results[w], (r) => r.redisServer),
                cell(results[w], (r) => r.dockerProxy),
                cell(results[w], (r) => r.rest),
                cell(results[w], (r) => r.machine),
                cell(results[w], (r) => r.busyShare, 2),
            ]),
        ),
    );
    // What the servers cost per key when the client costs little (redis-benchmark), and what a
    // writer may cost to reach a rate with every core busy.
    const median = (w: Writer, pick: (r: CpuPerKey) => number) => spread(results[w].map(pick)).median;
    const serverSide = median("redis-benchmark", (r) => r.machine - r.writer);
    const tenNaive = 10 * median("naive", (r) => r.keysPerSecond);
    const allowance = (cores * 1e6) / tenNaive - serverSide;
    console.log(
        [
            "",
            `Servers and the rest, per key, under redis-benchmark: ${serverSide.toFixed(1)} us.`,
            `10 x naive = ${Math.round(tenNaive)} keys/s needs at most ${((cores * 1e6) / tenNaive).toFixed(1)} us of the machine per key, leaving a writer ${allowance.toFixed(1)} us per key; the warmer spends ${median("warmer", (r) => r.writer).toFixed(1)}.`,
            `The warmer's preparation alone (parse, validate, build the values; in memory, no I/O): ${preparation?.prepare.toFixed(1)} us per key, of which JSON.parse ${preparation?.jsonParse.toFixed(1)}.`,
            `The raw RESP instrument (the warmer's preparation, plain SETs encoded by hand on a raw socket, no ioredis, no replay): ${median("raw RESP instrument", (r) => r.keysPerSecond).toFixed(0)} keys/s, ${median("raw RESP instrument", (r) => r.writer).toFixed(1)} us per key of its own, ${median("raw RESP instrument", (r) => r.machine).toFixed(1)} us of the machine.`,
            `Most keys/s a writer of the warmer's cost could reach here: ${Math.round((cores * 1e6) / (serverSide + median("warmer", (r) => r.writer)))}.`,
        ].join("\n"),
    );
}
