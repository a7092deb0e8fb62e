import { metadataKey, screenshotsKey } from "./keys";
import { describeThrottling, Failure, failureOf, storeReason } from "./sources/failure";
import { AppRecord, AppSource, ChartSkips, Store } from "./sources/types";
import { capDescription } from "./sources/values";
import { jitteredTtl, TtlPolicy } from "./ttl";
import { reconcile, ReconcileReport, ReconcileTarget, WrittenApps } from "./reconcile";
import { ConfirmedWriter, Entry } from "./writer";
import { parseInteger } from "../redis/replies";
import { KeyReader } from "../redis/warm-client";
import type { StoreReport, WarmTimings } from "../../contracts/report";

export type { WarmTarget } from "./writer";
export type { ReconcileTarget } from "./reconcile";

/** Defaults of the write path's time limits (docs/warmer.md, "How a run goes"). */
export const REPLAY_WINDOW_MS = 15_000;
export const RECONCILE_TIMEOUT_MS = 60_000;

export interface WarmOptions {
    readonly ttl: TtlPolicy;
    readonly topN: Readonly<Record<Store, number>>;
    readonly explicitApps: Readonly<Record<Store, readonly string[]>>;
    /** Keys whose remaining TTL is above this fraction of their TTL are left alone (unless force). */
    readonly refreshBelowTtlFraction: number;
    readonly force: boolean;
    readonly batchSize: number;
    readonly batchesInFlight: number;
    readonly confirmEveryBatches: number;
    readonly waitTimeoutMs: number;
    /** Replicas each WAIT asks for (the stack's replica count); one confirming is enough. */
    readonly waitReplicas?: number;
    readonly descriptionMaxChars: number;
    /** How long groups are replayed while none is confirmed (see WriterOptions.replayWindowMs). */
    readonly replayWindowMs?: number;
    /** How long the end-of-run check may take to find every written key on a stable master (reconcile.ts). */
    readonly reconcileTimeoutMs?: number;
    /** Keys kept in the report's sample for the verifier. */
    readonly keySampleSize?: number;
    readonly random?: () => number;
    readonly progress?: (event: ProgressEvent) => void;
}

export interface ProgressEvent {
    readonly store: Store;
    readonly phase: "listing" | "warming" | "done";
    /** Apps handled so far (fetched, found fresh, or failed). */
    readonly done: number;
}

/** Failed apps listed by name in a store's report; the rest are counted in `failures`. */
export const FAILED_LISTED = 20;
export const DEFAULT_KEY_SAMPLE = 1000;

/** A store's part of the report (counters the run updates), and the run's timings: contracts/report.ts. */
export type { StoreReport, WarmTimings };

export interface WarmReport {
    readonly ok: boolean;
    readonly stores: StoreReport[];
    /**
     * A uniform sample (at most `keySampleSize`) of the keys this run wrote or found fresh: what
     * the verifier checks on every node. A sample, so that the report does not grow with the run.
     */
    readonly keySample: string[];
    readonly keysWritten: number;
    readonly durationMs: number;
    readonly timings: WarmTimings;
    readonly problems: string[];
    /** The end-of-run check that every key reported written is on the master (reconcile.ts). */
    readonly reconciliation: ReconcileReport;
}

/** The keys of an app, with values and jittered TTLs; an app without screenshots gets only its metadata key. */
export function entriesFor(app: AppRecord, options: { ttl: TtlPolicy; descriptionMaxChars: number; random?: () => number }): Entry[] {
    const { ttl, random = Math.random } = options;
    const { store, appId, metadata } = app;
    const description = capDescription(metadata.description, options.descriptionMaxChars);
    // JSON.stringify leaves out a field whose value is undefined, so a description capped to
    // nothing needs no `delete`, which would turn the object into a slow dictionary; the capped
    // one keeps the place the source gave it.
    const meta = {
        key: metadataKey(store, appId),
        value: JSON.stringify({ store, appId, ...metadata, description }),
        ttl: jitteredTtl(ttl.metadataTtlSeconds, ttl.ttlJitterPercent, random),
    };
    if (app.screenshots.length === 0) return [meta];
    const shots = {
        key: screenshotsKey(store, appId),
        value: JSON.stringify(app.screenshots),
        ttl: jitteredTtl(ttl.screenshotsTtlSeconds, ttl.ttlJitterPercent, random),
    };
    return [shots, meta];
}

/** Apps whose both keys still hold more than `fraction` of their TTL: one pipelined round trip. */
export async function freshApps(client: KeyReader, store: Store, ids: readonly string[], options: WarmOptions): Promise<Set<string>> {
    if (options.force || ids.length === 0) return new Set();
    const pipeline = client.pipeline();
    for (const id of ids) pipeline.ttl(screenshotsKey(store, id)).ttl(metadataKey(store, id));
    const replies = (await pipeline.exec()) ?? [];
    const fresh = new Set<string>();
    ids.forEach((id, i) => {
        // A key without a TTL reply (an error entry) counts as missing (-2), as TTL says of a missing key.
        const shotsTtl = parseInteger(replies[2 * i]?.[1], -2);
        const metaTtl = parseInteger(replies[2 * i + 1]?.[1], -2);
        const shotsFresh = shotsTtl > options.ttl.screenshotsTtlSeconds * options.refreshBelowTtlFraction;
        const metaFresh = metaTtl > options.ttl.metadataTtlSeconds * options.refreshBelowTtlFraction;
        if (shotsFresh && metaFresh) fresh.add(id);
    });
    return fresh;
}

/** A uniform sample of a stream of unknown length (reservoir sampling, Algorithm R). */
export class Reservoir {
    readonly items: string[] = [];
    private seen = 0;
    constructor(
        private readonly size: number,
        private readonly random: () => number = Math.random,
    ) {}

    offer(item: string): void {
        this.seen++;
        if (this.items.length < this.size) this.items.push(item);
        else {
            const slot = Math.floor(this.random() * this.seen);
            if (slot < this.size) this.items[slot] = item;
        }
    }
}

function recordFailure(report: StoreReport, appId: string, failure: Failure): void {
    report.failures[failure.kind] = (report.failures[failure.kind] ?? 0) + 1;
    if (failure.throttling) report.throttling ??= failure.throttling;
    if (report.failed.length < FAILED_LISTED) report.failed.push({ appId, kind: failure.kind, reason: failure.reason });
}

function countFields(report: StoreReport, record: AppRecord): void {
    for (const field of record.fieldsDropped ?? []) report.fieldsDropped[field] = (report.fieldsDropped[field] ?? 0) + 1;
}

function countSkipped(report: StoreReport, skipped: ChartSkips): void {
    for (const [why, n] of Object.entries(skipped) as [keyof ChartSkips, number][])
        report.chartSkipped[why] = (report.chartSkipped[why] ?? 0) + n;
}

const failedCount = (report: StoreReport) => Object.values(report.failures).reduce((n, c) => n + (c ?? 0), 0);

/**
 * Whether the store as a whole failed: a store still throttling after every retry has stopped
 * answering us (a ban in the making), and one whose every app request found it down is down.
 */
export function storeOutage(report: StoreReport): Failure | undefined {
    if (report.outage) return report.outage;
    const throttled = report.failures.throttled ?? 0;
    // Told once, from the store's own answer: every app's reason would only repeat it.
    if (report.throttling) return { kind: "throttled", reason: `${describeThrottling(report.throttling)}; ${throttled} apps not fetched` };
    if (throttled > 0) return { kind: "throttled", reason: `${throttled} apps still throttled after every retry` };
    const unavailable = report.failures.unavailable ?? 0;
    if (report.fetched === 0 && unavailable > 0 && unavailable === failedCount(report)) {
        const first = report.failed.find((f) => f.kind === "unavailable");
        return { kind: "unavailable", reason: `every app request failed${first ? `: ${first.reason}` : ""}` };
    }
    return undefined;
}

interface Tag {
    readonly report: StoreReport;
    readonly appId: string;
    readonly keys: readonly string[];
}

/**
 * Warms both stores' popular apps, streaming from each source into one writer: apps are
 * selected, checked for freshness, fetched and written chunk by chunk, so that time is linear and
 * memory flat in the number of apps. Keeps going when one app or one store fails; the run fails
 * when a store as a whole failed or nothing that should have been written was.
 */
export async function warm(target: ReconcileTarget, sources: readonly AppSource[], options: WarmOptions): Promise<WarmReport> {
    const started = Date.now();
    const random = options.random ?? Math.random;
    const sample = new Reservoir(options.keySampleSize ?? DEFAULT_KEY_SAMPLE, random);
    const writtenApps = new WrittenApps();
    let keysWritten = 0;
    let firstWriteMs: number | undefined;
    const writerOptions = {
        ...options,
        replayWindowMs: options.replayWindowMs ?? REPLAY_WINDOW_MS,
        promotableReplicas: async () => {
            const view = await target.sentinelView();
            if (!view.master) throw new Error(view.problem ?? "no agreed master");
            return view.replicas;
        },
    };
    // Built once: a copy of the options per app was garbage the collector paid for.
    const entryOptions = { ttl: options.ttl, descriptionMaxChars: options.descriptionMaxChars, random };
    const writer = new ConfirmedWriter<Tag>(target, writerOptions, {
        confirmed: (tags, replays) => {
            for (const tag of tags) {
                tag.report.written++;
                keysWritten += tag.keys.length;
                writtenApps.add(tag.report.store, tag.appId, tag.keys.length > 1);
                for (const key of tag.keys) sample.offer(key);
            }
            if (replays > 0) for (const report of new Set(tags.map((t) => t.report))) report.replays += replays;
        },
        failed: (tags, reason) => {
            for (const tag of tags) recordFailure(tag.report, tag.appId, { kind: "not-written", reason: `not written: ${reason}` });
        },
    });

    const warmStore = async (source: AppSource): Promise<StoreReport> => {
        const store = source.store;
        const report: StoreReport = {
            store,
            source: source.description,
            found: 0,
            fetched: 0,
            written: 0,
            skipped: 0,
            withoutScreenshots: 0,
            fieldsDropped: {},
            chartSkipped: {},
            failures: {},
            failed: [],
            replays: 0,
        };
        options.progress?.({ store, phase: "listing", done: 0 });
        const selection = {
            topN: options.topN[store],
            explicit: options.explicitApps[store],
            fresh: (ids: readonly string[]) => freshApps(target.client(), store, ids, options),
            chartSkipped: (skipped: ChartSkips) => countSkipped(report, skipped),
        };
        try {
            for await (const outcome of source.apps(selection)) {
                if (++report.found % 500 === 0) options.progress?.({ store, phase: "warming", done: report.found });
                if ("fresh" in outcome) {
                    report.skipped++;
                    sample.offer(screenshotsKey(store, outcome.appId));
                    sample.offer(metadataKey(store, outcome.appId));
                } else if ("failure" in outcome) {
                    recordFailure(report, outcome.appId, outcome.failure);
                } else {
                    report.fetched++;
                    countFields(report, outcome.record);
                    const entries = entriesFor(outcome.record, entryOptions);
                    if (outcome.record.screenshots.length === 0) report.withoutScreenshots++;
                    firstWriteMs ??= Date.now() - started;
                    await writer.add({ entries, tag: { report, appId: outcome.appId, keys: entries.map((e) => e.key) } });
                }
            }
        } catch (err) {
            const failure = failureOf(err);
            if (failure.throttling) report.throttling ??= failure.throttling;
            report.outage = { kind: failure.kind, reason: `list: ${storeReason(failure)}` };
        }
        return report;
    };

    const stores = await Promise.all(sources.map(warmStore));
    await writer.close();
    const timings = { firstWriteMs, writesSettledMs: Date.now() - started };

    // Apps the check could not put back leave the written count; their keys leave the sample.
    const withdrawn = new Set<string>();
    const withdraw = (report: StoreReport, appId: string, failure: Failure) => {
        const keys = writtenApps.keysOf(report.store, appId);
        writtenApps.remove(report.store, appId);
        report.written--;
        keysWritten -= keys.length;
        for (const key of keys) withdrawn.add(key);
        recordFailure(report, appId, failure);
    };
    const rewrite = async (missing: ReadonlyMap<Store, readonly string[]>) => {
        let rewrittenKeys = 0;
        const again = new ConfirmedWriter<Tag>(target, writerOptions, {
            confirmed: (tags) => {
                for (const tag of tags) rewrittenKeys += tag.keys.length;
            },
            failed: (tags, reason) => {
                for (const tag of tags) withdraw(tag.report, tag.appId, { kind: "not-written", reason: `not written: ${reason}` });
            },
        });
        for (const [store, ids] of missing) {
            const source = sources.find((s) => s.store === store);
            const report = stores.find((s) => s.store === store);
            if (!source || !report) continue;
            const wanted = new Set(ids);
            const unanswered = new Set(ids);
            // Only the missing apps are fetched: every other app the source lists counts as fresh.
            const selection = {
                topN: 0,
                explicit: ids,
                fresh: async (batch: readonly string[]) => new Set(batch.filter((id) => !wanted.has(id))),
            };
            try {
                for await (const outcome of source.apps(selection)) {
                    if (!unanswered.delete(outcome.appId)) continue;
                    if ("failure" in outcome) withdraw(report, outcome.appId, outcome.failure);
                    else if ("record" in outcome) {
                        const entries = entriesFor(outcome.record, entryOptions);
                        await again.add({ entries, tag: { report, appId: outcome.appId, keys: entries.map((e) => e.key) } });
                    }
                }
            } catch (err) {
                const failure = failureOf(err);
                for (const appId of unanswered) withdraw(report, appId, { ...failure, reason: `list: ${failure.reason}` });
                unanswered.clear();
            }
            for (const appId of unanswered) withdraw(report, appId, { kind: "not-found", reason: `the source no longer lists ${appId}` });
        }
        await again.close();
        return { rewrittenKeys };
    };
    const reconciliation =
        writtenApps.size === 0
            ? { rounds: 0, keysChecked: 0, appsMissing: 0, keysRewritten: 0, settled: true, durationMs: 0 }
            : await reconcile(target, writtenApps, rewrite, {
                  waitTimeoutMs: options.waitTimeoutMs,
                  timeoutMs: options.reconcileTimeoutMs ?? RECONCILE_TIMEOUT_MS,
              });

    const problems: string[] = [];
    if (reconciliation.problem) problems.push(reconciliation.problem);
    for (const report of stores) {
        report.outage = storeOutage(report);
        if (report.outage) problems.push(`${report.store}: store failed, ${report.outage.kind} (${report.outage.reason})`);
        options.progress?.({ store: report.store, phase: "done", done: report.found });
    }
    const fetched = stores.reduce((n, s) => n + s.fetched, 0);
    const written = stores.reduce((n, s) => n + s.written, 0);
    if (fetched > 0 && written === 0) problems.push("nothing could be written to the master");
    return {
        ok: problems.length === 0,
        stores,
        keySample: sample.items.filter((key) => !withdrawn.has(key)),
        keysWritten,
        durationMs: Date.now() - started,
        timings,
        problems,
        reconciliation,
    };
}
