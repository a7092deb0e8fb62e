import { metadataKey, screenshotsKey } from "./keys";
import { WARMER_BARRIER_CHANNEL } from "../../settings/cache-keys";
import { Store } from "./sources/types";
import { NodeIdentity, SentinelMaster, SentinelReplica } from "../redis/replies";
import { SentinelReader } from "../redis/sentinel-commands";
import { KeyReader, readIdentity } from "../redis/warm-client";
import { WarmTarget } from "./writer";
import type { ReconcileReport } from "../../contracts/report";

/**
 * The end-of-run check of the warmer: every key it reports written must be on the master the
 * Sentinels name when it finishes, and on every replica that could be promoted next.
 *
 * Why it exists: WAIT counts replicas of the node it runs on, not of the master the Sentinels
 * will name. During a failover (`SENTINEL FAILOVER`, measured on host processes) the old master
 * keeps accepting writes for about a second after the promoted replica left it, the replica not
 * yet moved acknowledges them, and then it is moved to the new master and resynchronises in full,
 * dropping them: with `WAIT 1` 24,500 of 40,000 confirmed apps were missing on the new master.
 * The writer asks every replica first, which closes most of that window, but a replay may still
 * reach the old master before the Sentinels switch. So the run ends with this check instead of
 * trusting each WAIT: the keys are checked on the named master, missing ones rewritten (their
 * values fetched again from the source: values are not kept), and the check is repeated until a
 * pass finds nothing missing on a master that stayed master and whose every up replica
 * acknowledged its whole replication stream (a barrier: PUBLISH, which replicates and touches no
 * key, then WAIT).
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** What the Sentinels say about the master, for the end-of-run check. */
export interface SentinelView {
    /** The master every answering Sentinel names (announced `address:port`), when most of them answered and agree. */
    readonly master?: string;
    /** Its run id as the Sentinels last read it; empty until one of them polled the new master. */
    readonly masterRunId?: string;
    /**
     * Replicas of that master any answering Sentinel lists as up (not `s_down`, `o_down` or
     * `disconnected`): the nodes a failover could promote. A demoted master not yet converted
     * counts too, so after a failover the barrier waits until it has rejoined.
     */
    readonly replicas: number;
    /** Why there is no agreed master. */
    readonly problem?: string;
}

/** A master the warmer writes to, and what the Sentinels say of it. */
export interface ReconcileTarget extends WarmTarget {
    sentinelView(): Promise<SentinelView>;
}

/** One Sentinel's answers: `SENTINEL MASTER` and `SENTINEL REPLICAS`. */
export interface SentinelReading {
    readonly name: string;
    readonly master?: SentinelMaster;
    readonly replicas?: readonly SentinelReplica[];
    readonly error?: string;
}

/** What one Sentinel says of the master and its replicas; an error is an answer too. */
export async function readSentinel(sentinel: SentinelReader, name: string, masterName: string): Promise<SentinelReading> {
    try {
        const [master, replicas] = await Promise.all([sentinel.master(masterName), sentinel.replicas(masterName)]);
        return { name, master, replicas };
    } catch (err) {
        return { name, error: message(err) };
    }
}

const DOWN_FLAGS = ["s_down", "o_down", "disconnected"];

/** Replicas a Sentinel lists as up. */
export function upReplicas(replicas: readonly SentinelReplica[]): number {
    return replicas.filter((r) => !r.flags.some((f) => DOWN_FLAGS.includes(f))).length;
}

/** The agreed master and its up replicas, from every configured Sentinel's reading. */
export function sentinelView(readings: readonly SentinelReading[], configured: number): SentinelView {
    const answered = readings.flatMap((r) => (r.master && r.replicas ? [{ master: r.master, replicas: r.replicas }] : []));
    const majority = Math.floor(configured / 2) + 1;
    if (answered.length < majority) {
        const errors = readings.filter((r) => r.error).map((r) => `${r.name}: ${r.error}`);
        return {
            replicas: 0,
            problem: `${answered.length} of ${configured} Sentinels answered${errors.length ? ` (${errors.join("; ")})` : ""}`,
        };
    }
    const masters = answered.map((r) => r.master);
    const addresses = new Set(masters.map((m) => m.address));
    if (addresses.size !== 1) return { replicas: 0, problem: `the Sentinels name different masters (${[...addresses].join(", ")})` };
    const inFailover = masters.some((m) => m.flags.includes("failover_in_progress"));
    if (inFailover) return { replicas: 0, problem: "a failover is in progress" };
    const runIds = new Set(masters.flatMap((m) => (m.runId ? [m.runId] : [])));
    return {
        master: [...addresses][0],
        masterRunId: runIds.size === 1 ? [...runIds][0] : undefined,
        replicas: Math.max(...answered.map((r) => upReplicas(r.replicas))),
    };
}

/** Whether the connection is on the master the Sentinels name (by address, or by run id where an address is translated). */
export function isNamedMaster(view: SentinelView, node: NodeIdentity): boolean {
    if (node.role !== "master" || !view.master) return false;
    return node.address === view.master || (view.masterRunId !== undefined && view.masterRunId === node.runId);
}

/**
 * The apps a run wrote, by store: ids only (and whether the app has a screenshots key), not
 * values, so that the check can run after the writes without holding the run.
 */
export class WrittenApps {
    private readonly apps = new Map<Store, Map<string, boolean>>();

    add(store: Store, appId: string, withScreenshots: boolean): void {
        let ids = this.apps.get(store);
        if (!ids) this.apps.set(store, (ids = new Map()));
        ids.set(appId, withScreenshots);
    }

    remove(store: Store, appId: string): void {
        this.apps.get(store)?.delete(appId);
    }

    get size(): number {
        let n = 0;
        for (const ids of this.apps.values()) n += ids.size;
        return n;
    }

    keysOf(store: Store, appId: string): string[] {
        const withScreenshots = this.apps.get(store)?.get(appId);
        if (withScreenshots === undefined) return [];
        return withScreenshots ? [screenshotsKey(store, appId), metadataKey(store, appId)] : [metadataKey(store, appId)];
    }

    /** Apps in chunks of at most `size`, with their keys. */
    *chunks(size: number): Generator<{ store: Store; appId: string; keys: string[] }[]> {
        let chunk: { store: Store; appId: string; keys: string[] }[] = [];
        for (const [store, ids] of this.apps) {
            for (const appId of ids.keys()) {
                chunk.push({ store, appId, keys: this.keysOf(store, appId) });
                if (chunk.length >= size) {
                    yield chunk;
                    chunk = [];
                }
            }
        }
        if (chunk.length > 0) yield chunk;
    }
}

/** Apps checked per EXISTS (two keys each). */
const CHECK_CHUNK = 1000;

/**
 * The written apps with a key missing on `client`'s node: one multi-key EXISTS per chunk (a count),
 * and per-key EXISTS only for a chunk whose count comes back short.
 */
export async function missingApps(client: KeyReader, written: WrittenApps): Promise<{ checked: number; missing: Map<Store, string[]> }> {
    const missing = new Map<Store, string[]>();
    let checked = 0;
    for (const chunk of written.chunks(CHECK_CHUNK)) {
        const keys = chunk.flatMap((a) => a.keys);
        checked += keys.length;
        if ((await client.exists(...keys)) === keys.length) continue;
        const pipeline = client.pipeline();
        for (const key of keys) pipeline.exists(key);
        const replies = (await pipeline.exec()) ?? [];
        let i = 0;
        for (const app of chunk) {
            const present = app.keys.map(() => replies[i++]?.[1] === 1);
            if (present.includes(false)) missing.set(app.store, [...(missing.get(app.store) ?? []), app.appId]);
        }
    }
    return { checked, missing };
}

/**
 * Writes the missing apps again and says how many keys it wrote; apps it cannot put back (gone
 * from the source, never confirmed) it takes out of `written` and reports failed.
 */
export type Rewrite = (missing: ReadonlyMap<Store, readonly string[]>) => Promise<{ rewrittenKeys: number }>;

export interface ReconcileOptions {
    readonly waitTimeoutMs: number;
    /** Past this the check gives up, and the run fails saying why. */
    readonly timeoutMs: number;
    /** Between rounds that found no stable master or an unacknowledged barrier. */
    readonly pauseMs?: number;
}

/** What the check found: part of the post-deploy report (contracts/report.ts). */
export type { ReconcileReport };

/** Checks the written keys until they are settled on a stable master (see the top of this file). */
export async function reconcile(
    target: ReconcileTarget,
    written: WrittenApps,
    rewrite: Rewrite,
    options: ReconcileOptions,
): Promise<ReconcileReport> {
    const started = Date.now();
    const report: ReconcileReport = { rounds: 0, keysChecked: 0, appsMissing: 0, keysRewritten: 0, settled: false, durationMs: 0 };
    const done = (problem?: string) => ({ ...report, settled: problem === undefined, problem, durationMs: Date.now() - started });
    let problem = "not checked";
    while (Date.now() - started < options.timeoutMs) {
        report.rounds++;
        const client = target.client();
        try {
            const [view, node] = await Promise.all([target.sentinelView(), readIdentity(client)]);
            if (!view.master) problem = view.problem ?? "the Sentinels name no master";
            else if (!isNamedMaster(view, node)) {
                problem = `the warmer's connection is on ${node.address ?? "a node"} (${node.role}) while the Sentinels name ${view.master}`;
                if (target.client() === client) await target.reresolve();
            } else {
                const { checked, missing } = await missingApps(client, written);
                report.keysChecked += checked;
                if (missing.size > 0) {
                    for (const ids of missing.values()) report.appsMissing += ids.length;
                    report.keysRewritten += (await rewrite(missing)).rewrittenKeys;
                    problem = "keys were missing";
                    continue;
                }
                await client.publish(WARMER_BARRIER_CHANNEL, "");
                const acknowledged = await client.wait(view.replicas, options.waitTimeoutMs);
                const after = await readIdentity(client);
                if (acknowledged >= view.replicas && after.role === "master" && after.replid === node.replid) return done();
                problem =
                    after.replid !== node.replid
                        ? `the master changed during the check`
                        : `${acknowledged} of the ${view.replicas} up replicas acknowledged the master's writes`;
            }
        } catch (err) {
            problem = message(err);
            if (target.client() === client) await target.reresolve().catch(() => undefined);
        }
        await sleep(options.pauseMs ?? 500);
    }
    return done(`the written keys were not settled on a stable master within ${options.timeoutMs / 1000} s: ${problem}`);
}
