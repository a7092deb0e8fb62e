// npm run bench -- tls-overhead [--runs 3] [--keys 50000]
// What TLS costs (issue 17): the same host-process cluster (a master, two replicas, three
// Sentinels on 127.0.0.1, tests/support/tls-host-cluster.ts) with TLS on (the rendered directives,
// authClients yes, client certificate) and off (`port <port>`), alternating in one run:
// - write speed: a Sentinel-mode ioredis client writes `--keys` 200-byte `SET ... EX` in pipelines
//   of 1,000 with 4 in flight, the warmer's write shape (not the warmer itself: its client does not
//   speak TLS yet);
// - failover outage: a writer through Sentinel (pipelines of 20 `SET`s + `WAIT 1 500`) runs, the
//   master gets SIGKILL, and the outage is the time from the last confirmed write before the kill
//   to the first confirmed write sent after it (as failover-outage measures it); confirmed writes
//   missing from the new master afterwards are counted.
// Ports 21340-21362 (DEVELOPMENT.md). Run it in a network namespace of its own, e.g.
//   unshare -n bash -c 'ip link set lo up && npm run bench -- tls-overhead'
import { parseArgs } from "node:util";
import Redis from "ioredis";
import { parseInfo, parsePairs } from "../ops/redis/replies";
import { MASTER_NAME, TlsHostCluster } from "../tests/support/tls-host-cluster";
import { waitFor } from "../tests/support/live/wait";
import { pairedRatios } from "./side-by-side";
import { formatSpread, markdownTable, sleep, spread } from "./stats";

const BASE = 21340;
const VALUE = "v".repeat(200);

type Mode = "tls" | "plain";

interface RunResult {
    readonly keysPerSecond: number;
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

async function oneRun(mode: Mode, keys: number, run: number): Promise<RunResult> {
    const cluster = new TlsHostCluster({ basePort: BASE, authClients: "yes", replicas: 2, sentinels: 3, tls: mode === "tls" });
    try {
        await cluster.start();
        await settled(cluster, cluster.nodePorts[0]);
        const writer = cluster.sentinelClient();
        const keysPerSecond = await writeSpeed(writer, keys, `bench:${mode}:${run}`);
        const { outageMs, lost } = await killOutage(cluster, cluster.sentinelClient(), `bench:${mode}:${run}:w`);
        return { keysPerSecond, outageMs, lostConfirmed: lost };
    } finally {
        await cluster.stop();
    }
}

export async function tlsOverhead(argv: string[]): Promise<void> {
    const { values } = parseArgs({
        args: argv,
        options: { runs: { type: "string", default: "3" }, keys: { type: "string", default: "50000" } },
    });
    const runs = Number(values.runs);
    const keys = Number(values.keys);
    const results: Record<Mode, RunResult[]> = { tls: [], plain: [] };
    for (let run = 0; run < runs; run++) {
        const order: Mode[] = run % 2 === 0 ? ["tls", "plain"] : ["plain", "tls"];
        for (const mode of order) {
            const r = await oneRun(mode, keys, run);
            results[mode].push(r);
            console.error(
                `tls-overhead run ${run + 1}/${runs} ${mode}: ${Math.round(r.keysPerSecond)} keys/s, outage ${r.outageMs} ms, lost ${r.lostConfirmed}`,
            );
        }
    }
    const row = (mode: Mode, label: string) => [
        label,
        formatSpread(spread(results[mode].map((r) => r.keysPerSecond)), 0),
        formatSpread(spread(results[mode].map((r) => r.outageMs / 1000))),
        String(results[mode].reduce((n, r) => n + r.lostConfirmed, 0)),
    ];
    console.log(
        markdownTable(
            [
                "setup",
                `keys/s, median (min-max) of ${runs}`,
                `outage s after SIGKILL, median (min-max) of ${runs}`,
                "confirmed writes lost (total)",
            ],
            [row("tls", "TLS on (authClients yes)"), row("plain", "TLS off")],
        ),
    );
    const speed = spread(
        pairedRatios(
            results.tls.map((r) => r.keysPerSecond),
            results.plain.map((r) => r.keysPerSecond),
        ),
    );
    const outage = spread(
        pairedRatios(
            results.tls.map((r) => r.outageMs),
            results.plain.map((r) => r.outageMs),
        ),
    );
    console.log(`\nTLS on / off, per pair: write speed ${formatSpread(speed)}, outage ${formatSpread(outage)}`);
    console.log(
        `Per run (on / off): ${results.tls.map((r, i) => `${Math.round(r.keysPerSecond)} / ${Math.round(results.plain[i].keysPerSecond)} keys/s, ${r.outageMs} / ${results.plain[i].outageMs} ms`).join("; ")}`,
    );
}
