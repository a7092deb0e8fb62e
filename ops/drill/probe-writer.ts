import type Redis from "ioredis";
import { errorMessage } from "../deadline";

/** One numbered write: when it was sent, when (and by which server) it was acknowledged. */
export interface ProbeRecord {
    readonly seq: number;
    readonly key: string;
    readonly sentAt: number;
    ackAt?: number;
    /** `WAIT 1` reply: replicas that confirmed the write (0 = acknowledged by the master alone). */
    replicas?: number;
    /** `address:port` of the server the client was connected to when the reply came. */
    server?: string;
    error?: string;
}

export interface ProbeWriter {
    readonly records: readonly ProbeRecord[];
    /** Resolves once the loop has seen its last reply. */
    stop(): Promise<void>;
}

export interface ProbeWriterOptions {
    /** Key prefix; the sequence number is appended. */
    readonly prefix: string;
    readonly waitTimeoutMs: number;
    /** Pause between writes, so a long drill does not write millions of keys. */
    readonly intervalMs: number;
    /** Every probe key expires: a drill leaves nothing behind for long, even if cleanup fails. */
    readonly ttlSeconds: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Writes `prefix<seq>` one at a time through `client` (Sentinel mode), each `SET` followed by
 * `WAIT 1` in the same round trip, and records every outcome. A write counts as confirmed only
 * when a replica acknowledged it: the writes a failover must not lose.
 */
export function startProbeWriter(client: Redis, options: ProbeWriterOptions): ProbeWriter {
    const records: ProbeRecord[] = [];
    let running = true;
    const loop = (async () => {
        for (let seq = 0; running; seq++) {
            const record: ProbeRecord = { seq, key: `${options.prefix}${seq}`, sentAt: Date.now() };
            records.push(record);
            try {
                const replies = await client
                    .pipeline()
                    .set(record.key, String(seq), "EX", options.ttlSeconds)
                    .wait(1, options.waitTimeoutMs)
                    .exec();
                const failure = replies?.find(([err]) => err)?.[0];
                if (!replies || failure) throw failure ?? new Error("no reply");
                record.ackAt = Date.now();
                record.replicas = Number(replies[1][1]);
                const stream = client.stream;
                record.server = stream?.remoteAddress ? `${stream.remoteAddress}:${stream.remotePort}` : undefined;
            } catch (err) {
                record.error = errorMessage(err);
                // A refused write is retried at once by the next one; only pace on errors that came fast.
                await sleep(Math.max(options.intervalMs, 20));
                continue;
            }
            if (options.intervalMs > 0) await sleep(options.intervalMs);
        }
    })();
    return {
        records,
        stop: async () => {
            running = false;
            await loop;
        },
    };
}

/** What the probe writes tell about a failover. Times are milliseconds. */
export interface ProbeAnalysis {
    readonly attempted: number;
    readonly acknowledged: number;
    /** Acknowledged with `WAIT 1` >= 1. */
    readonly confirmed: number;
    /** Confirmed writes missing from the new master: each one is a broken promise. */
    readonly confirmedLost: readonly number[];
    /** Acknowledged but not confirmed writes missing from the new master (expected in a failover). */
    readonly unconfirmedLost: number;
    /** Longest time between two consecutive confirmed writes around the failover. */
    readonly longestGapMs: number;
    /** When that gap began (its last confirmed write), from `triggeredAt`: negative when before it. */
    readonly longestGapStartMs: number;
    /** Confirmed writes by when they were acknowledged, in buckets of CONFIRMED_BUCKET_MS from `triggeredAt`. */
    readonly confirmedPerBucket: ConfirmedBuckets;
    /** From the failover command to the first confirmed write the new master acknowledged. */
    readonly writesResumedMs?: number;
}

/**
 * Confirmed writes counted per bucket. Buckets are aligned on `triggeredAt`, so the failover
 * command (or the fault) falls on a bucket's edge and a bucket never mixes before and after it.
 */
export interface ConfirmedBuckets {
    readonly bucketMs: number;
    /** Start of the first bucket, from `triggeredAt` (a multiple of `bucketMs`, negative when before it). */
    readonly firstBucketMs: number;
    readonly counts: readonly number[];
}

/** 100 ms: fine enough to show a sub-second hand-over, coarse enough that a bucket holds several probes. */
export const CONFIRMED_BUCKET_MS = 100;

/** Pure: `ackTimes` (absolute ms, any order) counted per bucket, from the first ack's bucket to `endedAt`'s. */
export function confirmedBuckets(
    ackTimes: readonly number[],
    triggeredAt: number,
    endedAt: number,
    bucketMs = CONFIRMED_BUCKET_MS,
): ConfirmedBuckets {
    const bucketOf = (t: number) => Math.floor((t - triggeredAt) / bucketMs);
    if (ackTimes.length === 0) return { bucketMs, firstBucketMs: 0, counts: [] };
    // A loop, not Math.min(...): a long drill acknowledges more probes than a call takes arguments.
    let first = Infinity;
    let last = bucketOf(endedAt);
    for (const t of ackTimes) {
        first = Math.min(first, bucketOf(t));
        last = Math.max(last, bucketOf(t));
    }
    const counts = new Array<number>(last - first + 1).fill(0);
    for (const t of ackTimes) counts[bucketOf(t) - first]++;
    // `+ 0` turns a -0 (first bucket at the trigger itself) into 0, which JSON and zod see the same way.
    return { bucketMs, firstBucketMs: first * bucketMs + 0, counts };
}

/**
 * Pure: turns the writer's records into the drill's write figures. `isNewMaster` tells whether a
 * record's server is the new master; `present` whether its key is on the new master afterwards.
 */
export function analyzeProbes(
    records: readonly ProbeRecord[],
    triggeredAt: number,
    endedAt: number,
    isNewMaster: (server: string | undefined) => boolean,
    present: (key: string) => boolean,
): ProbeAnalysis {
    const acknowledged = records.filter((r) => r.ackAt !== undefined);
    const confirmed = acknowledged.filter((r) => (r.replicas ?? 0) >= 1);
    const ackTimes = confirmed.map((r) => r.ackAt as number).sort((a, b) => a - b);
    // The gap that spans the failover counts from the last confirmed write before it.
    const lastBefore = ackTimes.filter((t) => t <= triggeredAt).pop() ?? triggeredAt;
    const after = [lastBefore, ...ackTimes.filter((t) => t > triggeredAt)];
    let longestGapMs = 0;
    let gapStart = lastBefore;
    for (let i = 1; i < after.length; i++) {
        if (after[i] - after[i - 1] > longestGapMs) {
            longestGapMs = after[i] - after[i - 1];
            gapStart = after[i - 1];
        }
    }
    // Writes that never came back: the gap lasts as long as the drill watched.
    if (after.length === 1) longestGapMs = endedAt - lastBefore;
    const resumed = confirmed.find((r) => (r.ackAt as number) >= triggeredAt && isNewMaster(r.server));
    return {
        attempted: records.length,
        acknowledged: acknowledged.length,
        confirmed: confirmed.length,
        confirmedLost: confirmed.filter((r) => !present(r.key)).map((r) => r.seq),
        unconfirmedLost: acknowledged.filter((r) => (r.replicas ?? 0) < 1 && !present(r.key)).length,
        longestGapMs,
        longestGapStartMs: gapStart - triggeredAt,
        confirmedPerBucket: confirmedBuckets(ackTimes, triggeredAt, endedAt),
        writesResumedMs: resumed ? (resumed.ackAt as number) - triggeredAt : undefined,
    };
}

/** The keys among `keys` that `client`'s server holds (MGET in chunks). */
export async function keysPresent(client: Redis, keys: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < keys.length; i += 1000) {
        const chunk = keys.slice(i, i + 1000);
        const values = await client.mget(...chunk);
        chunk.forEach((k, j) => values[j] !== null && found.add(k));
    }
    return found;
}
