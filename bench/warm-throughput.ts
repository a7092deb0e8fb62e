// npm run bench -- warm-throughput [--target docker|host] [--runs 5] [--only write,upstream,memory] [--port 21200] [--naive-keys 100000]
//                                  [--baseline <checkout>]
//
// The warmer measured side by side with references, each over --runs repetitions (median and
// spread), on the test stack deployed to the local Docker Engine (replay deployer, the default)
// or on host processes (--target host: redis-server/redis-sentinel on 127.0.0.1 from --port, for
// development figures without Docker):
//   write:    the warmer writing 100,000 keys (25,000 apps per store, realistic values, from a
//             .jsonl snapshot) through Sentinel, vs redis-benchmark (-P 16 -c 50, same value size,
//             same master, same path) vs a naive client awaiting one SET at a time; and the
//             warmer's keys/s at 10,000 keys against its keys/s at 100,000.
//   upstream: 2,000 apps from local fake stores adding 50 ms per request, at the limits below,
//             against the ideal time those limits allow.
//   memory:   the warmer's peak RSS and heap (a child process) at 2,000 and at 20,000 apps.
// --baseline <checkout>: write and memory also run the warm CLI of that checkout (the code before a
// change), alternating with this one in every run, and print before/after (bench/side-by-side.ts).
// Prints Markdown tables; bench/RESULTS.md records them with the command.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { mergeConfig, readStackFile } from "../settings/stack-file";
import { validateStackConfig } from "../settings/validate";
import { WarmerConfig } from "../settings/schema";
import { PostDeployPlan } from "../contracts/plan";
import { nodeLogin, withDirectClient } from "../ops/redis/connect";
import { parseSnapshotLine } from "../ops/warm/sources/file-source";
import { entriesFor } from "../ops/warm/warmer";
import { startFakeStores } from "../tests/support/fake-stores";
import { naiveWriter, redisBenchmark } from "./reference-writers";
import { appStoreId, playStoreId, syntheticStores, writeJsonlSnapshots } from "./snapshot";
import { baselineDir, pairedRatios, runOrder } from "./side-by-side";
import { formatSpread, idealMs, spread } from "./stats";
import { BenchTarget, dockerTarget, hostTarget } from "./targets";
import { warmInChild } from "./warm-child";

/** The limits the upstream run is held to: Apple's documented rate, and a Play Store rate short enough for a benchmark. */
const UPSTREAM = { appsPerStore: 1000, charts: { appstore: 100, playstore: 500 }, latencyMs: 50 };
const UPSTREAM_LIMITS = { appstore: { requestsPerMinute: 20, concurrency: 1 }, playstore: { requestsPerMinute: 3000, concurrency: 4 } };
const LOOKUP_BATCH = 100;

/** Median (min-max) of repetitions, `digits` decimals. */
const formatted = (values: readonly number[], digits = 0) => formatSpread(spread(values), digits);

const keysPerSecond = (s: { keysWritten: number; durationMs: number }) => (s.keysWritten * 1000) / s.durationMs;

function warmerWith(plan: PostDeployPlan, warmer: Record<string, unknown>): PostDeployPlan {
    const cluster = mergeConfig(readStackFile("test").cluster as Record<string, unknown>, { warmer });
    const validated: WarmerConfig = validateStackConfig({ stack: "test", keys: ["cluster"], cluster, secrets: {} }).cluster.warmer;
    return { ...plan, warmer: validated };
}

export type Files = Record<"appstore" | "playstore", string>;

/** Snapshots of `appsPerStore` apps per store, one .jsonl file each, in `dir`. */
export async function snapshots(dir: string, name: string, appsPerStore: number): Promise<Files> {
    const files = { appstore: path.join(dir, `${name}-appstore.jsonl`), playstore: path.join(dir, `${name}-playstore.jsonl`) };
    await writeJsonlSnapshots(files, appsPerStore);
    return files;
}

export const fromFiles = (plan: PostDeployPlan, files: Files) =>
    warmerWith(plan, { appstore: { kind: "file", path: files.appstore }, playstore: { kind: "file", path: files.playstore } });

/** Mean value size of the snapshot's keys as the warmer writes them: what redis-benchmark's -d gets. */
export function meanValueBytes(files: Files, plan: PostDeployPlan): number {
    const sizes = Object.values(files).flatMap((file) =>
        readFileSync(file, "utf8")
            .split("\n", 1000)
            .filter(Boolean)
            .flatMap((line, i) =>
                entriesFor(parseSnapshotLine(line, i + 1), { ttl: plan.cache, descriptionMaxChars: plan.warmer.descriptionMaxChars }).map(
                    (e) => Buffer.byteLength(e.value),
                ),
            ),
    );
    return Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length);
}

/** FLUSHALL on the master, logged in as the tools are (their certificate on a TLS target). */
export async function flush(target: BenchTarget): Promise<void> {
    await withDirectClient(await target.master(), nodeLogin(target.credentials), (c) => c.flushall());
}

/** The warmer of one checkout, `--force`, on a flushed database: keys/s, and the end-of-run check's share. */
export async function warmRate(target: BenchTarget, plan: PostDeployPlan, keys: number, projectDir: string | undefined) {
    await flush(target);
    const run = await warmInChild(plan, target.credentials, projectDir);
    if (!run.summary.ok || run.summary.keysWritten !== keys)
        throw new Error(
            `warm of ${keys.toLocaleString("en")} keys failed${projectDir ? ` (${projectDir})` : ""}: ${JSON.stringify(run.summary.problems)}`,
        );
    const { timings, durationMs } = run.summary;
    return {
        keysPerSecond: keysPerSecond(run.summary),
        checkMs: run.summary.reconciliation.durationMs,
        // Older checkouts (a --baseline) report no timings.
        phases: timings && {
            firstWriteMs: timings.firstWriteMs ?? 0,
            writePhaseKeysPerSecond: (keys * 1000) / (timings.writesSettledMs - (timings.firstWriteMs ?? 0)),
            afterWritesMs: durationMs - timings.writesSettledMs,
        },
    };
}

async function writeBench(target: BenchTarget, runs: number, dir: string, naiveKeys: number, baseline?: string): Promise<string[]> {
    const files = { 10_000: await snapshots(dir, "10k", 2_500), 100_000: await snapshots(dir, "100k", 25_000) };
    const planFor = (f: Files) => fromFiles(target.plan, f);
    const valueBytes = meanValueBytes(files[100_000], target.plan);
    const rates = { warm100k: [] as number[], warm10k: [] as number[], benchmark: [] as number[], naive: [] as number[] };
    const before = { warm100k: [] as number[], warm10k: [] as number[] };
    /** The end-of-run check's share of the 100,000-key run (it is inside the warmer's keys/s). */
    const checkMs: number[] = [];
    /** Where each run of this checkout spent its time: before the first write, writing, after it. */
    const phases = {
        100_000: { first: [] as number[], rate: [] as number[], after: [] as number[] },
        10_000: { first: [] as number[], rate: [] as number[], after: [] as number[] },
    };
    for (let run = 0; run < runs; run++) {
        for (const keys of [100_000, 10_000] as const) {
            for (const variant of runOrder(run, baseline !== undefined)) {
                const measured = await warmRate(target, planFor(files[keys]), keys, variant === "baseline" ? baseline : undefined);
                const into = variant === "baseline" ? before : rates;
                (keys === 100_000 ? into.warm100k : into.warm10k).push(measured.keysPerSecond);
                if (keys === 100_000 && variant === "this") checkMs.push(measured.checkMs);
                if (variant === "this" && measured.phases) {
                    phases[keys].first.push(measured.phases.firstWriteMs);
                    phases[keys].rate.push(measured.phases.writePhaseKeysPerSecond);
                    phases[keys].after.push(measured.phases.afterWritesMs);
                }
            }
        }
        await flush(target);
        rates.benchmark.push(await redisBenchmark(target, 100_000, valueBytes));
        await flush(target);
        rates.naive.push(await naiveWriter(target, naiveKeys, valueBytes));
        console.error(
            `write run ${run + 1}/${runs}: warmer ${Math.round(rates.warm100k[run])} keys/s${baseline ? ` (baseline ${Math.round(before.warm100k[run])})` : ""}, redis-benchmark ${Math.round(rates.benchmark[run])}, naive ${Math.round(rates.naive[run])}`,
        );
    }
    const ratio = (a: number[], b: number[]) => formatted(pairedRatios(a, b), 2);
    const lines = [
        `| runs | value bytes (mean) | warmer keys/s, 100,000 keys | redis-benchmark SET/s (-P 16 -c 50) | naive keys/s (${naiveKeys.toLocaleString("en")} keys) | warmer / redis-benchmark | warmer / naive | warmer keys/s, 10,000 keys | keys/s 100k / 10k | end-of-run check ms (in the 100k run) |`,
        "|---|---|---|---|---|---|---|---|---|---|",
        `| ${runs} | ${valueBytes} | ${formatted(rates.warm100k)} | ${formatted(rates.benchmark)} | ${formatted(rates.naive)} | ${ratio(rates.warm100k, rates.benchmark)} | ${ratio(rates.warm100k, rates.naive)} | ${formatted(rates.warm10k)} | ${ratio(rates.warm100k, rates.warm10k)} | ${formatted(checkMs)} |`,
    ];
    const p = phases;
    lines.push(
        "",
        "Each run of this checkout by phase: start to first write, the write phase (first write to every write confirmed), and after it (the end-of-run check):",
        "",
        "| runs | first write ms, 100k | write-phase keys/s, 100k | after writes ms, 100k | first write ms, 10k | write-phase keys/s, 10k | after writes ms, 10k | write-phase keys/s 100k / 10k |",
        "|---|---|---|---|---|---|---|---|",
        `| ${runs} | ${formatted(p[100_000].first)} | ${formatted(p[100_000].rate)} | ${formatted(p[100_000].after)} | ${formatted(p[10_000].first)} | ${formatted(p[10_000].rate)} | ${formatted(p[10_000].after)} | ${ratio(p[100_000].rate, p[10_000].rate)} |`,
    );
    if (baseline === undefined) return lines;
    return [
        ...lines,
        "",
        `Before/after, alternating in each run (baseline: ${baseline}):`,
        "",
        "| runs | baseline keys/s, 100,000 keys | this keys/s, 100,000 keys | this / baseline, 100k | baseline keys/s, 10,000 keys | this keys/s, 10,000 keys | this / baseline, 10k | baseline / redis-benchmark | baseline 100k / 10k |",
        "|---|---|---|---|---|---|---|---|---|",
        `| ${runs} | ${formatted(before.warm100k)} | ${formatted(rates.warm100k)} | ${ratio(rates.warm100k, before.warm100k)} | ${formatted(before.warm10k)} | ${formatted(rates.warm10k)} | ${ratio(rates.warm10k, before.warm10k)} | ${ratio(before.warm100k, rates.benchmark)} | ${ratio(before.warm100k, before.warm10k)} |`,
    ];
}

async function upstreamBench(target: BenchTarget, runs: number): Promise<string[]> {
    const { appsPerStore, charts, latencyMs } = UPSTREAM;
    const stores = await startFakeStores({ snapshot: syntheticStores(appsPerStore, charts), delayMs: latencyMs });
    try {
        const explicit = (id: (i: number) => string, from: number) => Array.from({ length: appsPerStore - from }, (_, i) => id(from + i));
        const plan = warmerWith(target.plan, {
            appstore: {
                kind: "itunes",
                lookupBaseUrl: stores.server.url,
                chartsBaseUrl: stores.server.url,
                topN: charts.appstore,
                lookupBatchSize: LOOKUP_BATCH,
            },
            playstore: { kind: "google-play-api", baseUrl: stores.server.url, topN: charts.playstore },
            apps: { appstore: explicit(appStoreId, charts.appstore), playstore: explicit(playStoreId, charts.playstore) },
            limits: UPSTREAM_LIMITS,
        });
        const requests = { appstore: 1 + Math.ceil(appsPerStore / LOOKUP_BATCH), playstore: 1 + appsPerStore };
        const ideal = {
            appstore: idealMs(requests.appstore, UPSTREAM_LIMITS.appstore, latencyMs),
            playstore: idealMs(requests.playstore, UPSTREAM_LIMITS.playstore, latencyMs),
        };
        const idealRun = Math.max(ideal.appstore, ideal.playstore);
        const times = { run: [] as number[], appstore: [] as number[], playstore: [] as number[] };
        for (let run = 0; run < runs; run++) {
            await flush(target);
            stores.server.hits.length = 0;
            const { summary: s } = await warmInChild(plan, target.credentials);
            if (!s.ok || s.keysWritten !== 4 * appsPerStore)
                throw new Error(`upstream warm failed: ${JSON.stringify(s.problems)} ${s.keysWritten} keys`);
            times.run.push(s.durationMs);
            for (const store of ["appstore", "playstore"] as const) {
                const hits = stores.server.hits.filter((h) => h.path.startsWith("/api/apps") === (store === "playstore")).map((h) => h.at);
                if (hits.length !== requests[store]) throw new Error(`${store}: ${hits.length} requests, expected ${requests[store]}`);
                times[store].push(Math.max(...hits) - Math.min(...hits) + latencyMs);
            }
            console.error(`upstream run ${run + 1}/${runs}: ${s.durationMs} ms (ideal ${Math.round(idealRun)} ms)`);
        }
        const sec = (xs: number[]) =>
            formatted(
                xs.map((x) => x / 1000),
                1,
            );
        const over = (xs: number[], ideal: number) =>
            formatted(
                xs.map((x) => x / ideal),
                2,
            );
        return [
            `| runs | apps | limits | requests (App Store / Play) | ideal s (App Store / Play / run) | App Store requests span s | Play requests span s | warm run s | run / ideal |`,
            "|---|---|---|---|---|---|---|---|---|",
            `| ${runs} | ${2 * appsPerStore} | App Store ${UPSTREAM_LIMITS.appstore.requestsPerMinute}/min x${UPSTREAM_LIMITS.appstore.concurrency}, ${LOOKUP_BATCH} ids per lookup; Play ${UPSTREAM_LIMITS.playstore.requestsPerMinute}/min x${UPSTREAM_LIMITS.playstore.concurrency}; +${latencyMs} ms per request | ${requests.appstore} / ${requests.playstore} | ${(ideal.appstore / 1000).toFixed(1)} / ${(ideal.playstore / 1000).toFixed(1)} / ${(idealRun / 1000).toFixed(1)} | ${sec(times.appstore)} | ${sec(times.playstore)} | ${sec(times.run)} | ${over(times.run, idealRun)} |`,
        ];
    } finally {
        await stores.close();
    }
}

async function memoryBench(target: BenchTarget, runs: number, dir: string, baseline?: string): Promise<string[]> {
    const sizes = [2_000, 20_000] as const;
    const files = await Promise.all(sizes.map((n) => snapshots(dir, `mem-${n}`, n / 2)));
    const variants = runOrder(0, baseline !== undefined);
    const measured = variants.map((variant) => ({
        variant,
        sizes: sizes.map((n, i) => ({ n, files: files[i], rss: [] as number[], heap: [] as number[] })),
    }));
    for (let run = 0; run < runs; run++) {
        for (const variant of runOrder(run, baseline !== undefined)) {
            for (const m of measured.find((v) => v.variant === variant)?.sizes ?? []) {
                await flush(target);
                const result = await warmInChild(
                    fromFiles(target.plan, m.files),
                    target.credentials,
                    variant === "baseline" ? baseline : undefined,
                );
                if (!result.summary.ok || result.summary.keysWritten !== 2 * m.n)
                    throw new Error(`memory run at ${m.n} apps failed (${variant})`);
                m.rss.push(result.peakRssBytes / 2 ** 20);
                m.heap.push(result.peakHeapBytes / 2 ** 20);
            }
        }
        console.error(`memory run ${run + 1}/${runs}`);
    }
    const ratio = (a: number[], b: number[]) => formatted(pairedRatios(a, b), 2);
    return [
        `| ${baseline ? "checkout | " : ""}runs | peak RSS MiB, 2,000 apps | peak RSS MiB, 20,000 apps | RSS 20,000 / 2,000 | peak heap MiB, 2,000 apps | peak heap MiB, 20,000 apps | heap 20,000 / 2,000 |`,
        `|${baseline ? "---|" : ""}---|---|---|---|---|---|---|`,
        ...measured.map(({ variant, sizes: [small, large] }) =>
            [
                "",
                ...(baseline ? [variant] : []),
                runs,
                formatted(small.rss, 1),
                formatted(large.rss, 1),
                ratio(large.rss, small.rss),
                formatted(small.heap, 1),
                formatted(large.heap, 1),
                ratio(large.heap, small.heap),
                "",
            ]
                .join(" | ")
                .trim(),
        ),
    ];
}

export async function warmThroughput(argv: string[]): Promise<void> {
    const { values } = parseArgs({
        args: argv,
        options: {
            target: { type: "string", default: "docker" },
            runs: { type: "string", default: "5" },
            only: { type: "string", default: "write,upstream,memory" },
            port: { type: "string", default: "21200" },
            "naive-keys": { type: "string", default: "100000" },
            baseline: { type: "string" },
        },
    });
    const runs = Number(values.runs);
    const baseline = baselineDir(values.baseline);
    const only = new Set(values.only.split(","));
    if (values.target !== "docker" && values.target !== "host") throw new Error(`--target must be docker or host, not ${values.target}`);
    const dir = mkdtempSync(path.join(tmpdir(), "appscreens-bench-"));
    const target = values.target === "docker" ? await dockerTarget() : await hostTarget(Number(values.port));
    try {
        const out = [`Target: ${target.description}; ${cpus().length} cores; ${new Date().toISOString().slice(0, 10)}.`];
        if (target.deploySeconds !== undefined) out.push(`Deploy to healthy, post-deploy included: ${target.deploySeconds.toFixed(1)} s.`);
        if (only.has("write")) out.push("", ...(await writeBench(target, runs, dir, Number(values["naive-keys"]), baseline)));
        if (only.has("upstream")) out.push("", ...(await upstreamBench(target, runs)));
        if (only.has("memory")) out.push("", ...(await memoryBench(target, runs, dir, baseline)));
        console.log(out.join("\n"));
    } finally {
        await target.destroy();
        rmSync(dir, { recursive: true, force: true });
    }
}
