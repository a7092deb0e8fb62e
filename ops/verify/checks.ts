import { ExpectedConfig } from "../../contracts/plan";
import { Check, check } from "./report";

/** What one node showed the verifier; `undefined` fields mean it could not be reached. */
export interface NodeObservation {
    readonly name: string;
    readonly announced: string;
    readonly error?: string;
    readonly config?: Readonly<Record<string, string>>;
    readonly persistence?: Readonly<Record<string, string>>;
    readonly replication?: Readonly<Record<string, string>>;
    /** INFO memory and INFO stats, for the health summary (health.ts). */
    readonly memory?: Readonly<Record<string, string>>;
    readonly stats?: Readonly<Record<string, string>>;
    readonly lastSaveAgeSeconds?: number;
}

export function reachabilityCheck(kind: "node" | "sentinel", name: string, error: string | undefined): Check {
    return check(`${kind}.${name}.reachable`, "reachable", error ? `unreachable: ${error}` : "reachable");
}

/** Every directive of the table in effect on the node, then its persistence statuses. */
export function persistenceChecks(node: NodeObservation, expected: ExpectedConfig, lastSaveMaxAgeSeconds: number): Check[] {
    if (!node.config || !node.persistence) return [];
    const checks = Object.entries(expected).map(([directive, value]) =>
        check(`config.${node.name}.${directive}`, value, node.config?.[directive] ?? "(missing)"),
    );
    const prefix = `persistence.${node.name}`;
    checks.push(check(`${prefix}.rdb_last_bgsave_status`, "ok", node.persistence.rdb_last_bgsave_status ?? "(missing)"));
    if (expected.appendonly === "yes") {
        checks.push(check(`${prefix}.aof_last_write_status`, "ok", node.persistence.aof_last_write_status ?? "(missing)"));
    }
    const age = node.lastSaveAgeSeconds ?? Number.POSITIVE_INFINITY;
    checks.push(check(`${prefix}.lastsave_age_seconds`, `<= ${lastSaveMaxAgeSeconds}`, age, age <= lastSaveMaxAgeSeconds));
    return checks;
}

/** Exactly one master, every configured replica attached to it with its link up and little lag. */
export function replicationChecks(
    nodes: readonly NodeObservation[],
    expectedReplicas: number,
    maxLagBytes: number,
): { checks: Check[]; master?: NodeObservation } {
    const reachable = nodes.filter((n) => n.replication);
    const masters = reachable.filter((n) => n.replication?.role === "master");
    const checks = [
        check(
            "replication.masters",
            1,
            masters.length ? `${masters.length} (${masters.map((m) => m.name).join(", ")})` : 0,
            masters.length === 1,
        ),
    ];
    const master = masters.length === 1 ? masters[0] : undefined;
    const masterOffset = Number(master?.replication?.master_repl_offset ?? 0);
    checks.push(check("replication.connected_replicas", expectedReplicas, master?.replication?.connected_slaves ?? "(no master)"));
    for (const node of nodes.filter((n) => n !== master)) {
        const info = node.replication;
        const linked =
            info?.role === "slave" && info.master_link_status === "up" && `${info.master_host}:${info.master_port}` === master?.announced;
        checks.push(
            check(
                `replication.${node.name}.link`,
                `up to ${master?.announced ?? "the master"}`,
                info
                    ? `${info.role} ${info.master_link_status ?? ""} ${info.master_host ?? ""}:${info.master_port ?? ""}`.trim()
                    : "unreachable",
                linked,
            ),
        );
        const lag = info ? masterOffset - Number(info.slave_repl_offset ?? 0) : Number.NaN;
        checks.push(
            check(`replication.${node.name}.lag_bytes`, `<= ${maxLagBytes}`, Number.isNaN(lag) ? "unknown" : lag, lag <= maxLagBytes),
        );
    }
    return { checks, master };
}

export interface SentinelObservation {
    readonly name: string;
    readonly error?: string;
    readonly masterAddress?: string;
    readonly master?: Readonly<Record<string, string>>;
    /** SENTINEL CKQUORUM's answer; its failure is an error reply, kept here as text. */
    readonly ckquorum?: { readonly ok: boolean; readonly message: string };
}

export function sentinelChecks(
    sentinels: readonly SentinelObservation[],
    expectedSentinels: number,
    expectedReplicas: number,
    actualMaster: string | undefined,
    expectedConfig: ExpectedConfig = {},
): Check[] {
    const checks: Check[] = [check("sentinel.count", expectedSentinels, sentinels.filter((s) => !s.error).length)];
    const answers = [...new Set(sentinels.filter((s) => s.masterAddress).map((s) => s.masterAddress))];
    checks.push(
        check(
            "sentinel.agreement",
            actualMaster ?? "the one master",
            answers.join(" / ") || "(no answer)",
            answers.length === 1 && answers[0] === actualMaster,
        ),
    );
    for (const s of sentinels) {
        checks.push(reachabilityCheck("sentinel", s.name, s.error));
        if (s.error) continue;
        checks.push(
            check(`sentinel.${s.name}.num-other-sentinels`, expectedSentinels - 1, s.master?.["num-other-sentinels"] ?? "(missing)"),
        );
        checks.push(check(`sentinel.${s.name}.num-slaves`, expectedReplicas, s.master?.["num-slaves"] ?? "(missing)"));
        checks.push(check(`sentinel.${s.name}.ckquorum`, "OK", s.ckquorum?.message ?? "(not asked)", s.ckquorum?.ok ?? false));
        for (const [directive, value] of Object.entries(expectedConfig)) {
            checks.push(check(`config.${s.name}.${directive}`, value, s.master?.[directive] ?? "(missing)"));
        }
    }
    return checks;
}

export interface KeyObservation {
    readonly key: string;
    /** PTTL-style: -2 missing, -1 no expiry, else seconds left. */
    readonly ttl: number;
}

/** Warmed keys on one node: all present, each TTL inside its type's range. */
export function warmChecks(
    node: string,
    observed: readonly KeyObservation[],
    ttlRange: (key: string) => { min: number; max: number },
): Check[] {
    const missing = observed.filter((k) => k.ttl === -2);
    const outOfRange = observed.filter((k) => {
        if (k.ttl === -2) return false;
        const range = ttlRange(k.key);
        return k.ttl < range.min || k.ttl > range.max;
    });
    return [
        check(
            `warm.${node}.keys_present`,
            `${observed.length} of ${observed.length}`,
            `${observed.length - missing.length} of ${observed.length}${missing.length ? ` (missing ${missing[0].key})` : ""}`,
            missing.length === 0,
        ),
        check(
            `warm.${node}.ttl_in_range`,
            "every sampled key",
            outOfRange.length ? `${outOfRange.length} outside (${outOfRange[0].key}: ${outOfRange[0].ttl} s)` : "every sampled key",
            outOfRange.length === 0,
        ),
    ];
}

/** An evenly spread, deterministic sample: the same keys every run. */
export function sampleKeys(keys: readonly string[], size: number): string[] {
    if (keys.length <= size) return [...keys];
    const step = keys.length / size;
    return Array.from({ length: size }, (_, i) => keys[Math.floor(i * step)]);
}
