import type Redis from "ioredis";
import { metadataKey, screenshotsKey } from "./keys";
import { AppRecord, AppSource, Store } from "./sources/types";
import { jitteredTtl, TtlPolicy } from "./ttl";

/** The master the warmer writes to, and a way to find it again after a failover. */
export interface WarmTarget {
    client(): Redis;
    /** Drops the connection and asks the Sentinels for the master again. */
    reresolve(): Promise<void>;
}

export interface WarmOptions {
    readonly ttl: TtlPolicy;
    readonly topN: Readonly<Record<Store, number>>;
    readonly explicitApps: Readonly<Record<Store, readonly string[]>>;
    /** Keys whose remaining TTL is above this fraction of their TTL are left alone (unless force). */
    readonly refreshBelowTtlFraction: number;
    readonly force: boolean;
    readonly batchSize: number;
    readonly waitTimeoutMs: number;
    /** How often a batch no replica confirmed is replayed on the re-resolved master. */
    readonly maxReplays?: number;
    readonly random?: () => number;
    readonly progress?: (event: ProgressEvent) => void;
}

export interface ProgressEvent {
    readonly store: Store;
    readonly phase: "listing" | "fetching" | "writing" | "done";
    readonly done: number;
    readonly total: number;
}

export interface StoreReport {
    readonly store: Store;
    readonly source: string;
    found: number;
    fetched: number;
    written: number;
    skipped: number;
    failed: { appId: string; reason: string }[];
    /** Set when the whole source could not be reached: the run fails. */
    unreachable?: string;
    /** Batches replayed on a re-resolved master because no replica confirmed them. */
    replays: number;
}

export interface WarmReport {
    readonly ok: boolean;
    readonly stores: StoreReport[];
    /** Every key this run wrote or found fresh: what the verifier expects on every node. */
    readonly keys: string[];
    readonly keysWritten: number;
    readonly durationMs: number;
    readonly problems: string[];
}

interface Entry {
    readonly key: string;
    readonly value: string;
    readonly ttl: number;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The two keys of an app, with their values and jittered TTLs. */
export function entriesFor(app: AppRecord, ttl: TtlPolicy, random: () => number = Math.random): Entry[] {
    return [
        {
            key: screenshotsKey(app.store, app.appId),
            value: JSON.stringify(app.screenshots),
            ttl: jitteredTtl(ttl.screenshotsTtlSeconds, ttl.ttlJitterPercent, random),
        },
        {
            key: metadataKey(app.store, app.appId),
            value: JSON.stringify({ store: app.store, appId: app.appId, ...app.metadata }),
            ttl: jitteredTtl(ttl.metadataTtlSeconds, ttl.ttlJitterPercent, random),
        },
    ];
}

/** Apps whose both keys still hold more than `fraction` of their TTL. */
async function freshApps(client: Redis, store: Store, ids: readonly string[], options: WarmOptions): Promise<Set<string>> {
    if (options.force || ids.length === 0) return new Set();
    const pipeline = client.pipeline();
    for (const id of ids) pipeline.ttl(screenshotsKey(store, id)).ttl(metadataKey(store, id));
    const replies = (await pipeline.exec()) ?? [];
    const fresh = new Set<string>();
    ids.forEach((id, i) => {
        const [shotsTtl, metaTtl] = [replies[2 * i]?.[1], replies[2 * i + 1]?.[1]] as (number | undefined)[];
        const shotsFresh = (shotsTtl ?? -2) > options.ttl.screenshotsTtlSeconds * options.refreshBelowTtlFraction;
        const metaFresh = (metaTtl ?? -2) > options.ttl.metadataTtlSeconds * options.refreshBelowTtlFraction;
        if (shotsFresh && metaFresh) fresh.add(id);
    });
    return fresh;
}

/**
 * Writes one batch with SET ... EX in a pipeline, then WAIT for a replica. A batch that comes
 * back short (failover, cut-off master) is replayed on the re-resolved master: SET with EX is
 * idempotent, so a replay never does harm.
 */
async function writeBatch(
    target: WarmTarget,
    entries: Entry[],
    options: WarmOptions,
): Promise<{ ok: boolean; replays: number; reason?: string }> {
    const maxReplays = options.maxReplays ?? 3;
    let reason = "";
    for (let attempt = 0; attempt <= maxReplays; attempt++) {
        try {
            const client = target.client();
            const pipeline = client.pipeline();
            for (const e of entries) pipeline.set(e.key, e.value, "EX", e.ttl);
            const replies = (await pipeline.exec()) ?? [];
            const failedReply = replies.find(([err]) => err);
            if (failedReply) throw failedReply[0];
            const confirmed = await client.wait(1, options.waitTimeoutMs);
            if (confirmed >= 1) return { ok: true, replays: attempt };
            reason = `no replica confirmed the batch within ${options.waitTimeoutMs} ms (WAIT)`;
        } catch (err) {
            reason = message(err);
        }
        if (attempt < maxReplays) {
            await sleep(250 * (attempt + 1));
            await target.reresolve();
        }
    }
    return { ok: false, replays: maxReplays, reason };
}

async function warmStore(
    target: WarmTarget,
    source: AppSource,
    options: WarmOptions,
): Promise<{ report: StoreReport; keys: string[]; written: number }> {
    const store = source.store;
    const report: StoreReport = { store, source: source.description, found: 0, fetched: 0, written: 0, skipped: 0, failed: [], replays: 0 };
    const progress = (phase: ProgressEvent["phase"], done: number, total: number) => options.progress?.({ store, phase, done, total });

    progress("listing", 0, 1);
    let top: string[] = [];
    try {
        top = await source.topApps(options.topN[store]);
    } catch (err) {
        report.unreachable = `top chart: ${message(err)}`;
    }
    const ids = [...new Set([...top, ...options.explicitApps[store]])];
    report.found = ids.length;

    const fresh = await freshApps(target.client(), store, ids, options);
    report.skipped = fresh.size;
    const toFetch = ids.filter((id) => !fresh.has(id));
    const apps: AppRecord[] = [];
    let fetchedCount = 0;
    await Promise.all(
        toFetch.map(async (id) => {
            try {
                apps.push(await source.app(id));
            } catch (err) {
                report.failed.push({ appId: id, reason: message(err) });
            }
            progress("fetching", ++fetchedCount, toFetch.length);
        }),
    );
    report.fetched = apps.length;
    // Every app failing for network reasons means the source is down, not that apps are missing.
    const outage = (reason: string) => /cannot reach|timed out|HTTP (429|5\d\d)/.test(reason);
    if (!report.unreachable && toFetch.length > 0 && apps.length === 0 && report.failed.every((f) => outage(f.reason))) {
        report.unreachable = `every app request failed: ${report.failed[0].reason}`;
    }

    // Stable order: the same run writes the same batches.
    apps.sort((a, b) => ids.indexOf(a.appId) - ids.indexOf(b.appId));
    const keys = [...fresh].flatMap((id) => [screenshotsKey(store, id), metadataKey(store, id)]);
    let written = 0;
    for (let i = 0; i < apps.length; i += options.batchSize) {
        const batch = apps.slice(i, i + options.batchSize);
        const result = await writeBatch(
            target,
            batch.flatMap((app) => entriesFor(app, options.ttl, options.random)),
            options,
        );
        report.replays += result.replays;
        if (result.ok) {
            report.written += batch.length;
            written += batch.length * 2;
            keys.push(...batch.flatMap((app) => [screenshotsKey(store, app.appId), metadataKey(store, app.appId)]));
        } else {
            for (const app of batch) report.failed.push({ appId: app.appId, reason: `not written: ${result.reason}` });
        }
        progress("writing", Math.min(i + options.batchSize, apps.length), apps.length);
    }
    progress("done", ids.length, ids.length);
    return { report, keys, written };
}

/**
 * Warms both stores' popular apps. Keeps going when one app or one source fails; the run fails
 * only when a whole source is unreachable or nothing that should have been written was.
 */
export async function warm(target: WarmTarget, sources: readonly AppSource[], options: WarmOptions): Promise<WarmReport> {
    const started = Date.now();
    const results = await Promise.all(sources.map((s) => warmStore(target, s, options)));
    const stores = results.map((r) => r.report);
    const problems: string[] = [];
    for (const s of stores) if (s.unreachable) problems.push(`${s.store}: source unreachable (${s.unreachable})`);
    const attempted = stores.reduce((n, s) => n + s.fetched, 0);
    const written = stores.reduce((n, s) => n + s.written, 0);
    if (attempted > 0 && written === 0) problems.push("nothing could be written to the master");
    return {
        ok: problems.length === 0,
        stores,
        keys: results.flatMap((r) => r.keys),
        keysWritten: results.reduce((n, r) => n + r.written, 0),
        durationMs: Date.now() - started,
        problems,
    };
}
