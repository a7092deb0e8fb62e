import { FailoverMethod } from "../cluster/planned-failover";
import { SentinelAnswer } from "../redis/sentinels";
import { buildReport, Check, check, formatTable } from "../verify/report";
import { ProbeAnalysis } from "./probe-writer";
import type { DrillReport, DrillSummary, DrillTimeline, DrillTimings } from "../../contracts/report";

/** A warmed key's TTL before and after the failover (-2 missing, -1 no expiry). */
export interface SampledKey {
    readonly key: string;
    readonly ttlBefore: number;
    readonly ttlAfter: number;
}

/** How the old master looked at the end: it must follow the new one with its link up. */
export interface OldMasterState {
    readonly role?: string;
    readonly following?: string;
    readonly link?: string;
    readonly error?: string;
}

/** Everything the drill saw, from which the checks follow (pure). */
export interface DrillObservation {
    readonly oldMaster: { readonly name: string; readonly announced: string };
    readonly newMaster?: { readonly name: string; readonly announced: string };
    readonly marker: { readonly key: string; readonly expected: string; readonly actual: string | null | undefined };
    readonly sample: readonly SampledKey[];
    readonly oldMasterState?: OldMasterState;
    readonly sentinelsAfter: readonly SentinelAnswer[];
    /** Sentinels that still flag the old master (as a replica) down or disconnected. */
    readonly sentinelsFlaggingOldMaster: readonly string[];
    readonly expectedSentinels: number;
    readonly probes: ProbeAnalysis;
    /** When each Sentinel first named another master, ms from the failover command (sentinel-watch.ts). */
    readonly sentinelSwitches: DrillTimeline["sentinelSwitches"];
    /** Waits that ran out of time, each naming what did not finish. */
    readonly unfinished: readonly string[];
    /** Why the failover command (or the hand-over around it) failed, when it did. */
    readonly failoverError?: string;
    readonly timeoutMs: number;
}

/** The drill's report, its timings and its summary (what the stack exports) are declared by contracts/report.ts. */
export type { DrillReport, DrillSummary, DrillTimeline, DrillTimings };

/** A TTL survived a failover when the key is there and its expiry was neither lost nor extended. */
export const ttlKept = (k: SampledKey): boolean =>
    k.ttlAfter !== -2 && (k.ttlBefore === -1 ? k.ttlAfter === -1 : k.ttlAfter > 0 && k.ttlAfter <= k.ttlBefore);

/** Pure: the drill's checks from what it observed. */
export function drillChecks(o: DrillObservation): Check[] {
    const checks: Check[] = [];
    const seconds = (o.timeoutMs / 1000).toFixed(0);
    checks.push(check("drill.failover_sent", "sent", o.failoverError ? `failed: ${o.failoverError}` : "sent"));
    checks.push(
        check(
            "drill.master_moved",
            `a node other than ${o.oldMaster.name}`,
            o.newMaster?.name ?? "(no new master)",
            o.newMaster !== undefined && o.newMaster.name !== o.oldMaster.name,
        ),
    );
    checks.push(
        check(
            "drill.writes_resumed",
            `confirmed writes on the new master within ${seconds} s`,
            o.probes.writesResumedMs === undefined ? "not resumed" : `after ${o.probes.writesResumedMs} ms`,
            o.probes.writesResumedMs !== undefined,
        ),
    );
    checks.push(
        check(
            "drill.confirmed_writes_lost",
            0,
            o.probes.confirmedLost.length
                ? `${o.probes.confirmedLost.length} of ${o.probes.confirmed} (first #${o.probes.confirmedLost[0]})`
                : 0,
            o.probes.confirmedLost.length === 0 && o.probes.confirmed > 0,
        ),
    );
    checks.push(
        check(
            "drill.marker",
            `${o.marker.key} on the new master`,
            o.marker.actual === o.marker.expected ? `${o.marker.key} on the new master` : o.marker.actual === null ? "missing" : "not read",
            o.marker.actual === o.marker.expected,
        ),
    );
    const lost = o.sample.filter((k) => !ttlKept(k));
    checks.push(
        check(
            "drill.warmed_keys",
            o.sample.length ? `${o.sample.length} of ${o.sample.length} with their TTL` : "no warmed keys to sample",
            o.sample.length
                ? `${o.sample.length - lost.length} of ${o.sample.length}${lost.length ? ` (${lost[0].key}: TTL ${lost[0].ttlBefore} -> ${lost[0].ttlAfter})` : ""} with their TTL`
                : "no warmed keys to sample",
            lost.length === 0,
        ),
    );
    const s = o.oldMasterState;
    const rejoined = s?.role === "slave" && s.link === "up" && s.following === o.newMaster?.announced;
    checks.push(
        check(
            `drill.${o.oldMaster.name}.rejoined`,
            `replica of ${o.newMaster?.announced ?? "the new master"}, link up`,
            s?.error ? `unreachable: ${s.error}` : s ? `${s.role ?? "?"} of ${s.following ?? "-"}, link ${s.link ?? "-"}` : "not observed",
            rejoined,
        ),
    );
    const answers = o.sentinelsAfter.filter((a) => a.masterAddress);
    const agree = answers.length === o.expectedSentinels && answers.every((a) => a.masterAddress === o.newMaster?.announced);
    checks.push(
        check(
            "drill.sentinel_agreement",
            `${o.expectedSentinels} Sentinels name ${o.newMaster?.announced ?? "the new master"}`,
            o.sentinelsAfter.map((a) => `${a.name}=${a.masterAddress ?? "no answer"}`).join(", ") || "(none asked)",
            agree && o.newMaster !== undefined,
        ),
    );
    checks.push(
        check(
            "drill.sentinels_see_old_master_up",
            "no Sentinel flags it down",
            o.sentinelsFlaggingOldMaster.length ? `flagged by ${o.sentinelsFlaggingOldMaster.join(", ")}` : "no Sentinel flags it down",
        ),
    );
    for (const what of o.unfinished) checks.push(check("drill.deadline", "every step finished", what, false));
    return checks;
}

export function buildDrillReport(
    stack: string,
    startedAt: Date,
    method: FailoverMethod,
    o: DrillObservation,
    timings: DrillTimings,
): DrillReport {
    const verification = buildReport(stack, drillChecks(o));
    return {
        ok: verification.ok,
        stack,
        startedAt: startedAt.toISOString(),
        method,
        oldMaster: o.oldMaster.name,
        newMaster: o.newMaster?.name,
        timings,
        timeline: {
            bucketMs: o.probes.confirmedPerBucket.bucketMs,
            firstBucketMs: o.probes.confirmedPerBucket.firstBucketMs,
            confirmedWrites: [...o.probes.confirmedPerBucket.counts],
            sentinelSwitches: [...o.sentinelSwitches],
        },
        writes: {
            attempted: o.probes.attempted,
            acknowledged: o.probes.acknowledged,
            confirmed: o.probes.confirmed,
            confirmedLost: o.probes.confirmedLost.length,
            unconfirmedLost: o.probes.unconfirmedLost,
        },
        unfinished: [...o.unfinished],
        verification,
    };
}

/** The report without its passing checks: what the post-deploy report and the stack output carry. */
export function summarizeDrill(report: DrillReport): DrillSummary {
    const { ok, stack, startedAt, method, oldMaster, newMaster, timings, timeline, writes, unfinished, verification } = report;
    return {
        ok,
        stack,
        startedAt,
        method,
        oldMaster,
        newMaster,
        timings,
        timeline,
        writes,
        unfinished: [...unfinished],
        summary: verification.summary,
        failed: verification.checks.filter((c) => !c.ok),
    };
}

const ms = (value: number | undefined) => (value === undefined ? "did not finish" : `${(value / 1000).toFixed(2)} s`);

/** For a terminal: the figures first, then the checks table (failed first). */
export function formatDrillReport(r: DrillReport): string {
    const w = r.writes;
    return [
        `Failover drill on stack ${r.stack} (${r.method}): ${r.oldMaster} -> ${r.newMaster ?? "(none)"}`,
        `  Sentinels agreed on the new master   ${ms(r.timings.sentinelsAgreedMs)}`,
        `  writes confirmed again (new master)  ${ms(r.timings.writesResumedMs)}`,
        `  longest gap between confirmed writes ${ms(r.timings.longestWriteGapMs)}`,
        `  old master rejoined as a replica     ${ms(r.timings.oldMasterRejoinedMs)}`,
        `  every Sentinel settled               ${ms(r.timings.sentinelsSettledMs)}`,
        `  probe writes: ${w.attempted} sent, ${w.acknowledged} acknowledged, ${w.confirmed} confirmed by a replica; ` +
            `lost: ${w.confirmedLost} confirmed, ${w.unconfirmedLost} unconfirmed`,
        "",
        formatTable(r.verification),
    ].join("\n");
}
