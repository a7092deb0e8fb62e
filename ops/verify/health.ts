// The verifier's health summary: what each node's INFO says about memory, evictions, hit ratio,
// replica lag and the last save, and warnings for what is heading towards a failure. Warnings do
// not fail the verification (its checks do); they say what to look at before it breaks. Pure.
import type { HealthSummary, HealthWarning, HealthWarningKind, NodeHealth } from "../../contracts/report";

/** Declared by the post-deploy report's schema (contracts/report.ts): the stack exports them. */
export type { HealthSummary, HealthWarning, HealthWarningKind, NodeHealth };

/** What the summary reads from one node: its INFO sections as fields. */
export interface HealthObservation {
    readonly name: string;
    /** `address:port` it announces (replicas appear under it in the master's INFO). */
    readonly announced: string;
    readonly memory?: Readonly<Record<string, string>>;
    readonly stats?: Readonly<Record<string, string>>;
    readonly replication?: Readonly<Record<string, string>>;
    readonly persistence?: Readonly<Record<string, string>>;
    readonly lastSaveAgeSeconds?: number;
}

export interface HealthThresholds {
    /** Used memory over maxmemory that warns (metrics.alerts.memoryUsedRatio). */
    readonly memoryUsedRatio: number;
    /** Hit ratio below which a busy node warns (metrics.alerts.hitRatioFloor). */
    readonly hitRatioFloor: number;
    /** A replica stops counting for min-replicas-to-write past this lag (redis.minReplicasMaxLag). */
    readonly replicaMaxLagSeconds: number;
    /** The verifier fails past this age (verifier.lastSaveMaxAgeSeconds). */
    readonly lastSaveMaxAgeSeconds: number;
}

/**
 * Lookups since the node started below which its hit ratio is not judged: right after a deploy
 * the counters hold little more than the warmer's own TTL reads, which all miss on a new cache.
 */
export const HIT_RATIO_MIN_LOOKUPS = 10_000;
/** Replica lag and last-save age warn at this fraction of the limit that would fail them. */
export const EARLY_WARNING_FRACTION = 0.5;

const num = (fields: Readonly<Record<string, string>> | undefined, key: string): number | undefined => {
    const raw = fields?.[key];
    if (raw === undefined || raw === "") return undefined;
    const value = Number(raw);
    return Number.isFinite(value) ? value : undefined;
};

/** `slave0:ip=172.28.0.11,port=6379,state=online,offset=123,lag=0` -> announced address -> lag seconds. */
export function replicaLags(masterReplication: Readonly<Record<string, string>>): Map<string, number> {
    const lags = new Map<string, number>();
    for (const [key, value] of Object.entries(masterReplication)) {
        if (!/^slave[0-9]+$/.test(key)) continue;
        const fields = Object.fromEntries(value.split(",").map((kv) => kv.split("=", 2) as [string, string]));
        const lag = Number(fields.lag);
        if (fields.ip && fields.port && Number.isFinite(lag)) lags.set(`${fields.ip}:${fields.port}`, lag);
    }
    return lags;
}

const percent = (ratio: number) => `${(ratio * 100).toFixed(1)} %`;

/** The health of every node the verifier reached, and the warnings it calls for. */
export function healthSummary(observations: readonly HealthObservation[], thresholds: HealthThresholds): HealthSummary {
    const masters = observations.filter((o) => o.replication?.role === "master");
    const lags = new Map<string, number>();
    for (const m of masters) for (const [address, lag] of replicaLags(m.replication ?? {})) lags.set(address, lag);

    const nodes: NodeHealth[] = [];
    const warnings: HealthWarning[] = [];
    const warn = (kind: HealthWarningKind, node: string, message: string) => warnings.push({ kind, node, message });
    for (const o of observations) {
        if (!o.memory && !o.stats) {
            warn("unobserved", o.name, `${o.name} could not be read; its health is unknown`);
            nodes.push({ name: o.name });
            continue;
        }
        const used = num(o.memory, "used_memory");
        const max = num(o.memory, "maxmemory");
        const ratio = used !== undefined && max ? used / max : undefined;
        const hits = num(o.stats, "keyspace_hits");
        const misses = num(o.stats, "keyspace_misses");
        const lookups = (hits ?? 0) + (misses ?? 0);
        const hitRatio = hits !== undefined && lookups > 0 ? hits / lookups : undefined;
        const evicted = num(o.stats, "evicted_keys");
        const role = o.replication?.role;
        const lag = role === "slave" ? lags.get(o.announced) : undefined;
        const health: NodeHealth = {
            name: o.name,
            role,
            usedMemoryBytes: used,
            maxmemoryBytes: max,
            memoryUsedRatio: ratio,
            evictedKeys: evicted,
            keyspaceHits: hits,
            keyspaceMisses: misses,
            hitRatio,
            replicaLagSeconds: lag,
            lastSaveAgeSeconds: o.lastSaveAgeSeconds,
            lastBgsaveStatus: o.persistence?.rdb_last_bgsave_status,
        };
        nodes.push(health);

        const policy = o.memory?.maxmemory_policy ?? "its policy";
        if (ratio !== undefined && ratio >= thresholds.memoryUsedRatio) {
            warn(
                "memory-near-max",
                o.name,
                `${o.name} uses ${percent(ratio)} of its maxmemory (warns from ${percent(thresholds.memoryUsedRatio)}): next it evicts keys (${policy})${policy === "noeviction" ? " or refuses writes" : ""}`,
            );
        }
        if (evicted !== undefined && evicted > 0) {
            warn(
                "evicting",
                o.name,
                `${o.name} has evicted ${evicted} keys since it started: the cache is full, warmed keys can go before their TTL`,
            );
        }
        if (hitRatio !== undefined && lookups >= HIT_RATIO_MIN_LOOKUPS && hitRatio < thresholds.hitRatioFloor) {
            warn(
                "hit-ratio-low",
                o.name,
                `${o.name} found ${percent(hitRatio)} of ${lookups} lookups since it started (floor ${percent(thresholds.hitRatioFloor)}): the warmer misses what the app asks for`,
            );
        }
        const lagWarnAt = thresholds.replicaMaxLagSeconds * EARLY_WARNING_FRACTION;
        if (lag !== undefined && lag >= lagWarnAt) {
            warn(
                "replica-lag",
                o.name,
                `${o.name} last acknowledged its master ${lag} s ago; past ${thresholds.replicaMaxLagSeconds} s it stops counting for min-replicas-to-write`,
            );
        }
        const saveWarnAt = thresholds.lastSaveMaxAgeSeconds * EARLY_WARNING_FRACTION;
        if (
            o.lastSaveAgeSeconds !== undefined &&
            o.lastSaveAgeSeconds >= saveWarnAt &&
            o.lastSaveAgeSeconds <= thresholds.lastSaveMaxAgeSeconds
        ) {
            warn(
                "last-save-old",
                o.name,
                `${o.name} last saved ${o.lastSaveAgeSeconds} s ago; verification fails past ${thresholds.lastSaveMaxAgeSeconds} s`,
            );
        }
    }
    return { nodes, warnings };
}

/** The summary as lines for a terminal: one per node, then the warnings. */
export function formatHealth(summary: HealthSummary): string {
    const mb = (bytes: number | undefined) => (bytes === undefined ? "?" : `${(bytes / 1024 ** 2).toFixed(1)} MiB`);
    const lines = summary.nodes.map((n) =>
        [
            n.name.padEnd(10),
            (n.role ?? "?").padEnd(7),
            `memory ${mb(n.usedMemoryBytes)} of ${n.maxmemoryBytes ? mb(n.maxmemoryBytes) : "no limit"}`,
            `evicted ${n.evictedKeys ?? "?"}`,
            `hit ratio ${n.hitRatio === undefined ? "-" : percent(n.hitRatio)}`,
            ...(n.replicaLagSeconds === undefined ? [] : [`lag ${n.replicaLagSeconds} s`]),
            `last save ${n.lastSaveAgeSeconds ?? "?"} s ago`,
        ].join("  "),
    );
    const warnings = summary.warnings.map((w) => `WARNING ${w.kind}: ${w.message}`);
    return ["HEALTH", ...lines, ...(warnings.length ? warnings : ["no warnings"])].join("\n");
}
