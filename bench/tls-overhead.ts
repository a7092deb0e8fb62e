// npm run bench -- tls-overhead [--runs 3] [--keys 100000] [--no-pipeline]
// What TLS costs (issue 17): the same host-process cluster (a master, two replicas, three
// Sentinels on 127.0.0.1, tests/support/tls-host-cluster.ts, the two `default` passwords set as a
// stack without users runs) with TLS on (the rendered directives, authClients yes, client
// certificates) and off (`port <port>`), started afresh for each measurement, alternating in one run:
// - warmer write speed: the real warmer (`npm run warm`'s CLI in a child process, `--force`, on a
//   flushed database, bench/warm-child.ts) writing `--keys` keys from .jsonl snapshots, over TLS with
//   its own certificate (TLS_ENV, as the post-deploy command hands it) or in plain text; its
//   summary must be ok with every key written;
// - the SET EX pipeline of the first run (2026-12-03; skipped with --no-pipeline): a Sentinel-mode
//   ioredis client writing `--keys` 200-byte `SET ... EX` in pipelines of 1,000 with 4 in flight;
// - failover outage: a writer through Sentinel (pipelines of 20 `SET`s + `WAIT 1 500`) runs, the
//   master gets SIGKILL, and the outage is the time from the last confirmed write before the kill
//   to the first confirmed write sent after it (as failover-outage measures it); confirmed writes
//   missing from the new master afterwards are counted.
// Ports 21340-21362 (DEVELOPMENT.md). Run it in a network namespace of its own, e.g.
//   unshare -n bash -c 'ip link set lo up && npm run bench -- tls-overhead'
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import Redis from "ioredis";
import { Credentials } from "../ops/redis/connect";
import { parseInfo, parsePairs } from "../ops/redis/replies";
import { MASTER_NAME, TlsHostCluster } from "../tests/support/tls-host-cluster";
import { waitFor } from "../tests/support/live/wait";
import { pairedRatios } from "./side-by-side";
import { formatSpread, markdownTable, sleep, spread } from "./stats";
import { BenchTarget } from "./targets";
import { Files, fromFiles, snapshots, warmRate } from "./warm-throughput";

const BASE = 21340;
const VALUE = "v".repeat(200);

type Mode = "tls" | "plain";

interface RunResult {
    /** The warmer's keys/s over its whole run (first connection to the end-of-run check). */
    readonly warmerKeysPerSecond: number;
    /** The warmer's keys/s from its first write to every write confirmed. */
    readonly warmerWritePhaseKeysPerSecond: number;
    /** The SET EX pipeline's keys/s; undefined with --no-pipeline. */
    readonly pipelineKeysPerSecond?: number;
    readonly outageMs: number;
    readonly lostConfirmed: number;
}

/** One short-lived connection per question: a connection refused before a server is up must not stay dead. */
async function ask<T>(cluster: TlsHostCluster, port: number, question: (c: Redis) => Promise<T>): Promise<T> {
    const c = cluster.client(port);
    try {
        return await question(c);
    } finally {
        c.disconnect();
    }
}

async function settled(cluster: TlsHostCluster, masterPort: number): Promise<void> {
    await waitFor(
        `the cluster settled on ${masterPort}`,
        async () => {
            for (const port of cluster.sentinelPorts) {
                const m = parsePairs(await ask(cluster, port, (c) => c.call("SENTINEL", "MASTER", MASTER_NAME)));
                if (m.port !== String(masterPort) || m["num-other-sentinels"] !== "2" || m["num-slaves"] !== "2") return undefined;
            }
            for (const port of cluster.nodePorts.filter((p) => p !== masterPort)) {
                if (parseInfo(await ask(cluster, port, (c) => c.info("replication"))).master_link_status !== "up") return undefined;
            }
            return true;
        },
        60_000,
        250,
    );
}

/** Keys/s of pipelines of 1,000 `SET`s, 4 in flight, through a Sentinel-mode client. */
async function writeSpeed(client: Redis, keys: number, prefix: string): Promise<number> {
    await client.ping();
    const started = process.hrtime.bigint();
    let next = 0;
    const lane = async () => {
        while (next < keys) {
            const from = next;
            next = Math.min(keys, next + 1000);
            const p = client.pipeline();
            for (let i = from; i < next; i++) p.set(`${prefix}:${i}`, VALUE, "EX", 600);
            const replies = (await p.exec()) ?? [];
            const failed = replies.find(([err]) => err);
            if (failed) throw failed[0] as Error;
        }
    };
    await Promise.all([lane(), lane(), lane(), lane()]);
    return keys / (Number(process.hrtime.bigint() - started) / 1e9);
}

/** SIGKILL of the master under a confirmed writer: outage and confirmed writes lost. */
async function killOutage(cluster: TlsHostCluster, client: Redis, prefix: string): Promise<{ outageMs: number; lost: number }> {
    const confirmed: string[] = [];
    const batches: { sentAt: number; doneAt: number }[] = [];
    let running = true;
    let next = 0;
    const loop = (async () => {
        while (running) {
            const keys = Array.from({ length: 20 }, () => `${prefix}:${next++}`);
            const sentAt = Date.now();
            try {
                const p = client.pipeline();
                for (const k of keys) p.set(k, VALUE, "EX", 600);
                p.call("WAIT", "1", "500");
                const replies = (await p.exec()) ?? [];
                if (replies.some(([err]) => err)) throw new Error("a write failed");
                if (Number(replies[replies.length - 1][1]) >= 1) {
                    confirmed.push(...keys);
                    batches.push({ sentAt, doneAt: Date.now() });
                }
            } catch {
                await sleep(20);
            }
            await sleep(2);
        }
    })();
    await sleep(2000);
    const master = cluster.nodePorts[0];
    const killedAt = Date.now();
    cluster.kill(master);
    const recovered = await waitFor(
        "a confirmed write sent after the kill",
        async () => batches.find((b) => b.sentAt > killedAt),
        30_000,
        50,
    );
    await sleep(1000);
    running = false;
    await loop;
    const lastBefore = [...batches].reverse().find((b) => b.doneAt <= killedAt);
    const newMaster = await waitFor(
        "the new master",
        async () => {
            for (const port of cluster.nodePorts.slice(1)) {
                if (parseInfo(await ask(cluster, port, (c) => c.info("replication"))).role === "master") return port;
            }
            return undefined;
        },
        10_000,
        100,
    );
    let lost = 0;
    for (let i = 0; i < confirmed.length; i += 500) {
        lost += (await cluster.client(newMaster).mget(...confirmed.slice(i, i + 500))).filter((v) => v === null).length;
    }
    return { outageMs: recovered.doneAt - (lastBefore?.doneAt ?? killedAt), lost };
}

/** The passwords and, with TLS, the tools' certificate and the warmer's own, as cli/common.ts credentialsWithTls builds them. */
async function credentialsFor(cluster: TlsHostCluster, passwords: { redis: string; sentinel: string }, mode: Mode): Promise<Credentials> {
    const plain = { redisPassword: passwords.redis, sentinelPassword: passwords.sentinel };
    if (mode === "plain") return plain;
    const renewalWindowHours = 24;
    const warmer = await cluster.ca.client(path.join(cluster.dir, "clients"), "warmer");
    return { ...plain, tls: { ...cluster.clientTls, renewalWindowHours }, warmer: { ...plain, tls: { ...warmer, renewalWindowHours } } };
}

async function oneRun(mode: Mode, keys: number, run: number, files: Files, pipeline: boolean): Promise<RunResult> {
    const passwords = { redis: randomBytes(16).toString("hex"), sentinel: randomBytes(16).toString("hex") };
    const cluster = new TlsHostCluster({ basePort: BASE, authClients: "yes", replicas: 2, sentinels: 3, tls: mode === "tls", passwords });
    try {
        await cluster.start();
        const master = cluster.nodePorts[0];
        await settled(cluster, master);
        const target: BenchTarget = {
            description: `host processes on 127.0.0.1:${BASE}+, TLS ${mode === "tls" ? "on" : "off"}`,
            plan: cluster.plan(),
            credentials: await credentialsFor(cluster, passwords, mode),
            // A fresh cluster and no fault before the kill below: the master is the first node.
            master: async () => ({ host: "127.0.0.1", port: master }),
            destroy: () => cluster.stop(),
        };
        const warmed = await warmRate(target, fromFiles(target.plan, files), keys, undefined);
        // This checkout's summary always carries timings (only an older --baseline's lacks them).
        if (!warmed.phases) throw new Error("the warm summary has no timings");
        let pipelineKeysPerSecond: number | undefined;
        if (pipeline) {
            await ask(cluster, master, (c) => c.flushall());
            pipelineKeysPerSecond = await writeSpeed(cluster.sentinelClient(), keys, `bench:${mode}:${run}`);
        }
        const { outageMs, lost } = await killOutage(cluster, cluster.sentinelClient(), `bench:${mode}:${run}:w`);
        return {
            warmerKeysPerSecond: warmed.keysPerSecond,
            warmerWritePhaseKeysPerSecond: warmed.phases.writePhaseKeysPerSecond,
            pipelineKeysPerSecond,
            outageMs,
            lostConfirmed: lost,
        };
    } finally {
        await cluster.stop();
    }
}

export async function tlsOverhead(argv: string[]): Promise<void> {
    const { values } = parseArgs({
        args: argv,
        options: {
            runs: { type: "string", default: "3" },
            keys: { type: "string", default: "100000" },
            "no-pipeline": { type: "boolean", default: false },
        },
    });
    const runs = Number(values.runs);
    const keys = Number(values.keys);
    if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs ${values.runs}: give a whole number of runs, 1 or more`);
    // The warmer writes two keys per app (metadata, screenshots) for each of two stores.
    if (!Number.isInteger(keys) || keys < 4 || keys % 4 !== 0)
        throw new Error(`--keys ${values.keys}: give a multiple of 4 (two keys per app, two stores), e.g. 100000`);
    const pipeline = !values["no-pipeline"];
    const dir = mkdtempSync(path.join(tmpdir(), "appscreens-bench-tls-"));
    const results: Record<Mode, RunResult[]> = { tls: [], plain: [] };
    try {
        const files = await snapshots(dir, "tls", keys / 4);
        for (let run = 0; run < runs; run++) {
            const order: Mode[] = run % 2 === 0 ? ["tls", "plain"] : ["plain", "tls"];
            for (const mode of order) {
                const r = await oneRun(mode, keys, run, files, pipeline);
                results[mode].push(r);
                console.error(
                    `tls-overhead run ${run + 1}/${runs} ${mode}: warmer ${Math.round(r.warmerKeysPerSecond)} keys/s (write phase ${Math.round(r.warmerWritePhaseKeysPerSecond)})${r.pipelineKeysPerSecond === undefined ? "" : `, pipeline ${Math.round(r.pipelineKeysPerSecond)} keys/s`}, outage ${r.outageMs} ms, lost ${r.lostConfirmed}`,
                );
            }
        }
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
    const of = (mode: Mode, pick: (r: RunResult) => number | undefined) => results[mode].map((r) => pick(r) ?? Number.NaN);
    const columns: { header: string; pick: (r: RunResult) => number | undefined; digits: number; ratio: string }[] = [
        { header: "warmer keys/s (whole run)", pick: (r) => r.warmerKeysPerSecond, digits: 0, ratio: "warmer keys/s" },
        { header: "warmer write-phase keys/s", pick: (r) => r.warmerWritePhaseKeysPerSecond, digits: 0, ratio: "warmer write phase" },
        ...(pipeline
            ? [
                  {
                      header: "SET EX pipeline keys/s (the 2026-12-03 measure)",
                      pick: (r: RunResult) => r.pipelineKeysPerSecond,
                      digits: 0,
                      ratio: "pipeline",
                  },
              ]
            : []),
        { header: "outage s after SIGKILL", pick: (r) => r.outageMs / 1000, digits: 2, ratio: "outage" },
    ];
    const row = (mode: Mode, label: string) => [
        label,
        ...columns.map((c) => formatSpread(spread(of(mode, c.pick)), c.digits)),
        String(results[mode].reduce((n, r) => n + r.lostConfirmed, 0)),
    ];
    console.log(`${keys.toLocaleString("en")} keys; median (min-max) of ${runs} runs\n`);
    console.log(
        markdownTable(
            ["setup", ...columns.map((c) => c.header), "confirmed writes lost (total)"],
            [row("tls", "TLS on (authClients yes)"), row("plain", "TLS off")],
        ),
    );
    const ratios = columns.map((c) => `${c.ratio} ${formatSpread(spread(pairedRatios(of("tls", c.pick), of("plain", c.pick))))}`);
    console.log(`\nTLS on / off, per pair: ${ratios.join(", ")}`);
    const perRun = results.tls.map((on, i) => {
        const off = results.plain[i];
        return columns.map((c) => `${c.ratio} ${round(c.pick(on), c.digits)} / ${round(c.pick(off), c.digits)}`).join(", ");
    });
    console.log(`Per run (on / off): ${perRun.join("; ")}`);
}

const round = (x: number | undefined, digits: number) => (x === undefined ? "-" : x.toFixed(digits));
