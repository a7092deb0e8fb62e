// Pure judgements on what the Sentinels and the master say: has the cluster settled enough for a
// planned failover to be sent, and where has a failover that was sent got to. Kept apart from the
// code that reads (cluster-view.ts) and acts (ops/cluster/planned-failover.ts), so every judgement
// is unit-tested on parsed replies without a server.
import { Fields, SentinelMaster, SentinelReplica } from "./replies";
import { agreedMaster, SentinelAnswer } from "./sentinels";

/** One Sentinel's view of the monitored master, or why it did not answer. */
export interface SentinelView extends SentinelAnswer {
    /** SENTINEL MASTER. */
    readonly master?: SentinelMaster;
    /** SENTINEL REPLICAS. */
    readonly replicas?: readonly SentinelReplica[];
}

/** The master's own `INFO replication`, read directly from the node every Sentinel names. */
export interface MasterReplication {
    readonly address: string;
    readonly info?: Fields;
    readonly error?: string;
}

/** What a settled cluster must show: this many Sentinels, and at least this many linked replicas. */
export interface SettleExpectation {
    readonly sentinels: number;
    readonly replicas: number;
}

/**
 * A failover is running for this Sentinel. `failover_in_progress` stays in the flags from
 * SENTINEL FAILOVER's OK (or an election won) until the failover ends or aborts, and only then
 * may another start: that Sentinel answers `-INPROG` meanwhile.
 */
export const failoverInProgress = (view: SentinelView): boolean =>
    Boolean(view.master && (view.master.flags.includes("failover_in_progress") || view.master.fields["failover-state"]));

/**
 * A replica entry that can be promoted and follows `master`: flags exactly `slave` (no s_down,
 * disconnected, promoted, reconf_*), it reports the replica role itself (an old master not yet
 * converted still reports `master` for about 10 s after a failover), and its link is up.
 */
export const replicaLinked = (r: SentinelReplica, master: string): boolean =>
    r.flags.join(",") === "slave" &&
    r.fields["role-reported"] === "slave" &&
    r.linkStatus === "ok" &&
    `${r.masterHost ?? ""}:${r.fields["master-port"] ?? ""}` === master;

/** `slaveN:ip=..,port=..,state=online,..` entries of the master's INFO replication in state online. */
export const onlineReplicas = (info: Fields): number =>
    Object.entries(info).filter(([k, v]) => /^slave\d+$/.test(k) && /(^|,)state=online(,|$)/.test(v)).length;

const describeReplica = (r: SentinelReplica): string =>
    `${r.address} ${r.flags.join(",") || "?"}, role ${r.fields["role-reported"] ?? "?"}, link ${r.linkStatus ?? "?"} to ${r.masterHost ?? "?"}:${r.fields["master-port"] ?? "?"}`;

/**
 * Why the cluster has not settled, or [] when it has: every Sentinel answers and names the same
 * master, sees it as plain `master` (not down, no failover running) and knows the other
 * Sentinels; each sees at least `expected.replicas` linked replicas and none half-way (an old
 * master not yet converted, a replica mid-reconfiguration); the master itself reports that many
 * replicas online and, with min-replicas-to-write set, counted as good (a replica counts only
 * after the master's next cron, and until then writes are refused).
 */
export function settleProblems(
    views: readonly SentinelView[],
    master: MasterReplication | undefined,
    expected: SettleExpectation,
): string[] {
    const problems: string[] = [];
    if (views.length !== expected.sentinels) problems.push(`${views.length} of ${expected.sentinels} Sentinels asked`);
    for (const v of views) {
        if (v.error !== undefined || !v.master) {
            problems.push(`${v.name} did not answer (${v.error ?? "no SENTINEL MASTER reply"})`);
            continue;
        }
        if (failoverInProgress(v))
            problems.push(`${v.name} has a failover in progress (${v.master.fields["failover-state"] ?? "flagged"})`);
        else if (v.master.flags.join(",") !== "master") problems.push(`${v.name} flags the master ${v.master.flags.join(",")}`);
        const others = v.master.otherSentinels ?? 0;
        if (others < expected.sentinels - 1) problems.push(`${v.name} knows ${others} other Sentinels, not ${expected.sentinels - 1}`);
        const replicas = v.replicas ?? [];
        const linked = replicas.filter((r) => v.masterAddress !== undefined && replicaLinked(r, v.masterAddress));
        if (linked.length < expected.replicas) problems.push(`${v.name} sees ${linked.length} linked replicas, not ${expected.replicas}`);
        for (const r of replicas) {
            // A replica held down for good (a lost host) cannot stop a failover; one coming back or
            // being converted can, and is worth waiting for.
            if (replicaLinked(r, v.masterAddress ?? "") || r.flags.includes("s_down")) continue;
            problems.push(`${v.name} sees ${describeReplica(r)}`);
        }
    }
    const agreed = agreedMaster(views, expected.sentinels);
    if (!agreed) problems.push("the Sentinels do not agree on a master");
    else if (!master || master.address !== agreed) problems.push(`the master ${agreed} is not a node this tool knows (not read)`);
    else if (master.error !== undefined || !master.info)
        problems.push(`the master ${agreed} did not answer (${master.error ?? "no INFO"})`);
    else {
        const info = master.info;
        if (info.role !== "master") problems.push(`the master ${agreed} reports role ${info.role}`);
        const online = onlineReplicas(info);
        if (online < expected.replicas) problems.push(`the master ${agreed} has ${online} replicas online, not ${expected.replicas}`);
        const good = info.min_slaves_good_slaves;
        if (good !== undefined && Number(good) < expected.replicas) {
            problems.push(`the master ${agreed} counts ${good} good replicas for min-replicas-to-write, not ${expected.replicas}`);
        }
    }
    return problems;
}

/** The Sentinels' view for a person: each Sentinel's master, flags, failover state and replicas, and the master's own count. */
export function describeClusterView(views: readonly SentinelView[], master?: MasterReplication): string {
    const lines = views.map((v) =>
        v.error !== undefined || !v.master
            ? `${v.name}: no answer (${v.error ?? "no SENTINEL MASTER reply"})`
            : `${v.name}: names ${v.masterAddress ?? "-"}, flags ${v.master.flags.join(",")}` +
              `${v.master.fields["failover-state"] ? `, failover-state ${v.master.fields["failover-state"]}` : ""}` +
              `, ${v.master.otherSentinels ?? "?"} other Sentinels, replicas [${(v.replicas ?? []).map(describeReplica).join("; ")}]`,
    );
    if (master) {
        const info = master.info;
        lines.push(
            info
                ? `master ${master.address}: role ${info.role ?? "?"}, ${onlineReplicas(info)} replicas online` +
                      `${info.min_slaves_good_slaves !== undefined ? `, ${info.min_slaves_good_slaves} good` : ""}`
                : `master ${master.address}: no answer (${master.error ?? "unknown"})`,
        );
    }
    return lines.join("\n");
}

/** Where a failover sent through one Sentinel has got to. */
export type FailoverProgress =
    { readonly kind: "moved"; readonly to: string } | { readonly kind: "aborted"; readonly detail: string } | { readonly kind: "running" };

/**
 * Progress of a failover of `from` sent through the Sentinel `trigger`:
 * - moved: every Sentinel names one master, not `from`;
 * - aborted: the trigger has no failover in progress and still names `from` (a forced failover
 *   sets the flag before its OK and keeps it until the end, when it names the promoted node; so
 *   flag gone and address unchanged means it gave up: no good replica at selection time, the
 *   promotion timed out);
 * - running: anything else, including Sentinels that have not all heard of the new master yet.
 */
export function failoverProgress(
    views: readonly SentinelView[],
    from: string,
    trigger: string,
    expectedSentinels: number,
): FailoverProgress {
    const agreed = agreedMaster(views, expectedSentinels);
    if (agreed && agreed !== from) return { kind: "moved", to: agreed };
    const t = views.find((v) => v.name === trigger);
    if (t?.master && t.error === undefined && t.masterAddress === from && !failoverInProgress(t)) {
        return { kind: "aborted", detail: `${trigger} names ${from} again with flags ${t.master.flags.join(",")}` };
    }
    return { kind: "running" };
}
