import { z } from "zod";
import { parseCheckedJson, refusalOf } from "./checked-json";

/**
 * The post-deploy report: what cli/post-deploy.ts prints on stdout and the program reads back
 * from the command's stdout for the stack outputs (components/post-deploy.ts). It crosses a
 * process boundary both ways, so it is a schema: the CLI checks what it emits against it and the
 * program checks what it reads. The parts' types come from here; ops/ re-exports them where they
 * are built (verify/report.ts, warm/summary.ts, ...). Nothing in it is a secret.
 */

const count = z.int().min(0);
const milliseconds = z.number().min(0);

/** The app stores the warmer reads. */
export const STORES = ["appstore", "playstore"] as const;
export type Store = (typeof STORES)[number];

/** Why an app or a whole store could not be warmed (ops/warm/sources/failure.ts). */
export const FAILURE_KINDS = [
    /** The store rate-limited us and kept doing so through every retry. */
    "throttled",
    /** No answer, a timeout, or a 5xx after every retry. */
    "unavailable",
    /** The store has no such app. */
    "not-found",
    /** An answer that is not in the documented shape. */
    "bad-response",
    /** A request the store refuses as such (a 4xx other than throttling or not-found). */
    "rejected",
    /** Fetched, but no replica confirmed the write (WAIT) after every replay. */
    "not-written",
] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

/** Why a chart entry was not taken (ops/warm/sources: the chart parsers). */
export const CHART_SKIPS = ["not-an-app", "no-id"] as const;
export type ChartSkip = (typeof CHART_SKIPS)[number];
export type ChartSkips = Partial<Record<ChartSkip, number>>;

/** How a planned failover is sent (ops/cluster/planned-failover.ts says what each does). */
export const FAILOVER_METHODS = ["handover", "sentinel"] as const;
export type FailoverMethod = (typeof FAILOVER_METHODS)[number];

// ---- verification ----------------------------------------------------------------------------

/** One verification check: what was expected, what the cluster showed. */
export const checkSchema = z.strictObject({
    name: z.string().min(1),
    ok: z.boolean(),
    expected: z.string(),
    actual: z.string(),
});
export type Check = z.infer<typeof checkSchema>;

/** What is heading towards a failure, by kind (ops/verify/health.ts says when each warns). */
export const HEALTH_WARNING_KINDS = ["memory-near-max", "evicting", "hit-ratio-low", "replica-lag", "last-save-old", "unobserved"] as const;
export type HealthWarningKind = (typeof HEALTH_WARNING_KINDS)[number];

/** One node's health as its INFO showed it at verification time. */
export const nodeHealthSchema = z.strictObject({
    name: z.string().min(1),
    role: z.string().optional(),
    usedMemoryBytes: z.number().min(0).optional(),
    /** 0 means no limit. */
    maxmemoryBytes: z.number().min(0).optional(),
    /** used / max, when there is a max. */
    memoryUsedRatio: z.number().min(0).optional(),
    evictedKeys: count.optional(),
    keyspaceHits: count.optional(),
    keyspaceMisses: count.optional(),
    /** hits / (hits + misses) since the node started; absent without a lookup. */
    hitRatio: z.number().min(0).max(1).optional(),
    /** For a replica: seconds since the master last heard from it (the master's `lag`). */
    replicaLagSeconds: z.number().min(0).optional(),
    lastSaveAgeSeconds: z.number().optional(),
    lastBgsaveStatus: z.string().optional(),
});
export type NodeHealth = z.infer<typeof nodeHealthSchema>;

export const healthWarningSchema = z.strictObject({ kind: z.enum(HEALTH_WARNING_KINDS), node: z.string().min(1), message: z.string() });
export type HealthWarning = z.infer<typeof healthWarningSchema>;

/** The verifier's health summary: per node, and warnings that fail nothing. */
export const healthSummarySchema = z.strictObject({ nodes: z.array(nodeHealthSchema), warnings: z.array(healthWarningSchema) });
export type HealthSummary = z.infer<typeof healthSummarySchema>;

export const verificationReportSchema = z.strictObject({
    ok: z.boolean(),
    stack: z.string().min(1),
    summary: z.string(),
    /** Names of the failed checks, for the error message and the stack output. */
    failed: z.array(z.string()),
    checks: z.array(checkSchema),
    /** Memory, evictions, hit ratio, replica lag, last save per node, and warnings (they fail nothing). */
    health: healthSummarySchema.optional(),
});
export type VerificationReport = z.infer<typeof verificationReportSchema>;

// ---- warm summary ----------------------------------------------------------------------------

/**
 * A store that kept throttling us through every retry: a fact about the store, not about the
 * request that happened to give up first, so it names no app and no URL (an App Store lookup's
 * URL lists every id of its batch). Reported once per store (the store report's `throttling`).
 */
export const throttlingSchema = z.strictObject({
    /** The status of the last throttled answer: 403 from Apple, 400 from google-play-api, 429 elsewhere. */
    status: z.int(),
    /** Retries made before giving up (`warmer.http.retries`). */
    retries: count,
    /** The longest Retry-After the store sent while throttling us, when it sent one. */
    retryAfterMs: milliseconds.optional(),
    /** The start of the last throttled answer's body (google-play-api says why there); absent when it was empty (Apple). */
    body: z.string().optional(),
});
export type Throttling = z.infer<typeof throttlingSchema>;

export const failureSchema = z.strictObject({
    kind: z.enum(FAILURE_KINDS),
    /** For people: what was asked and what came back (never a secret). */
    reason: z.string(),
    /** Set when the store as a whole stayed throttled: the same for every app it cost. */
    throttling: throttlingSchema.optional(),
});
export type Failure = z.infer<typeof failureSchema>;

export const storeReportSchema = z.strictObject({
    store: z.enum(STORES),
    source: z.string(),
    /** Apps selected: chart plus explicit, each once. */
    found: count,
    fetched: count,
    /** Apps whose keys a replica confirmed. */
    written: count,
    /** Apps whose keys were still fresh: not fetched, not written. */
    skipped: count,
    /** Apps written without screenshots: only their metadata is cached, so the next run fetches them again. */
    withoutScreenshots: count,
    /**
     * Optional fields of the store's answers that could not be read, by the store's field name,
     * with how many apps lost each: those apps were cached without the field, not lost.
     */
    fieldsDropped: z.record(z.string(), count),
    /** Chart entries not taken, by why (not an app, no readable id). */
    chartSkipped: z.partialRecord(z.enum(CHART_SKIPS), count),
    /** Failed apps by kind. */
    failures: z.partialRecord(z.enum(FAILURE_KINDS), count),
    /** The first failed apps, with why (an app a throttled store cost says only "store throttled"). */
    failed: z.array(z.strictObject({ appId: z.string(), kind: z.enum(FAILURE_KINDS), reason: z.string() })),
    /**
     * Set when the store stayed throttled through every retry and the client stopped asking it:
     * the store's answer, told once; `failures.throttled` counts the apps it cost.
     */
    throttling: throttlingSchema.optional(),
    /** Set when the store as a whole failed (its chart unreadable, still throttled, or down for every app): the run fails. */
    outage: failureSchema.optional(),
    /** Groups replayed on a re-resolved master because no replica confirmed them. */
    replays: count,
});
export type StoreReport = z.infer<typeof storeReportSchema>;

/** The end-of-run check that every key reported written is on the master (ops/warm/reconcile.ts). */
export const reconcileReportSchema = z.strictObject({
    /** Passes over the written keys, and rounds that found no stable master to check them on. */
    rounds: count,
    keysChecked: count,
    /** Written apps found with a key missing, over every pass. */
    appsMissing: count,
    /** Keys written again after being found missing (values fetched again from the source). */
    keysRewritten: count,
    /** A pass found every key on the named master and every up replica acknowledged it. */
    settled: z.boolean(),
    durationMs: milliseconds,
    /** Why it did not settle. */
    problem: z.string().optional(),
});
export type ReconcileReport = z.infer<typeof reconcileReportSchema>;

/**
 * Where a run's time went, in ms from its start: a run's rate mixes what every run pays once
 * (opening the sources, the first batch, the end-of-run check) with what it pays per key, and
 * these tell them apart (bench/RESULTS.md, keys/s at 10,000 and 100,000 keys).
 */
export const warmTimingsSchema = z.strictObject({
    /** When the first app's keys went to the writer; absent when none did. */
    firstWriteMs: milliseconds.optional(),
    /** When every write was confirmed or given up: the end of the write phase. */
    writesSettledMs: milliseconds,
});
export type WarmTimings = z.infer<typeof warmTimingsSchema>;

/** The warm report without its key sample: what the stack output and the logs carry. */
export const warmSummarySchema = z.strictObject({
    ok: z.boolean(),
    keysWritten: count,
    durationMs: milliseconds,
    timings: warmTimingsSchema,
    problems: z.array(z.string()),
    stores: z.array(storeReportSchema),
    reconciliation: reconcileReportSchema,
});
export type WarmSummary = z.infer<typeof warmSummarySchema>;

// ---- drill summary ---------------------------------------------------------------------------

/** Milliseconds from the failover command; absent when that step never finished. */
export const drillTimingsSchema = z.strictObject({
    sentinelsAgreedMs: milliseconds.optional(),
    writesResumedMs: milliseconds.optional(),
    longestWriteGapMs: milliseconds,
    /** When the longest gap began (the last confirmed write before it): the outage window is this plus longestWriteGapMs. Negative when before the command. */
    longestWriteGapStartMs: z.number(),
    oldMasterRejoinedMs: milliseconds.optional(),
    sentinelsSettledMs: milliseconds.optional(),
});
export type DrillTimings = z.infer<typeof drillTimingsSchema>;

/** The probe writes during a drill: how many were sent, acknowledged, confirmed by a replica, lost. */
export const drillWritesSchema = z.strictObject({
    attempted: count,
    acknowledged: count,
    confirmed: count,
    confirmedLost: count,
    unconfirmedLost: count,
});

/**
 * What the drill's timeline picture shows besides its timings (ops/drill/timeline-spec.ts draws
 * both). Times are milliseconds from the failover command, like the timings.
 */
export const drillTimelineSchema = z.strictObject({
    /** Width of each bucket of `confirmedWrites` (100 ms). */
    bucketMs: z.int().positive(),
    /** Start of the first bucket: a multiple of bucketMs, negative when before the failover command. */
    firstBucketMs: z.int(),
    /** Probe writes a replica confirmed, by when they were acknowledged, one count per bucket. */
    confirmedWrites: z.array(count),
    /**
     * When each Sentinel first named a master other than the old one, as the drill's watcher saw
     * it (it asks every Sentinel about every 50 ms); a Sentinel that never switched is absent.
     */
    sentinelSwitches: z.array(z.strictObject({ sentinel: z.string().min(1), atMs: z.number() })),
});
export type DrillTimeline = z.infer<typeof drillTimelineSchema>;

/** What a drill report and its summary both carry. */
const drillFigures = {
    ok: z.boolean(),
    stack: z.string().min(1),
    startedAt: z.iso.datetime(),
    method: z.enum(FAILOVER_METHODS),
    oldMaster: z.string(),
    newMaster: z.string().optional(),
    timings: drillTimingsSchema,
    timeline: drillTimelineSchema,
    writes: drillWritesSchema,
    /** Waits that ran out of time, each naming what did not finish. */
    unfinished: z.array(z.string()),
};

/**
 * The whole drill report: what `npm run drill` prints and writes beside its picture, and what
 * the picture is rendered from (`npm run docs` renders the example from a captured one).
 */
export const drillReportSchema = z.strictObject({
    ...drillFigures,
    /** Every check, in the verifier's report shape (expected and actual each). */
    verification: verificationReportSchema,
});
export type DrillReport = z.infer<typeof drillReportSchema>;

/** A failover drill's figures and its failed checks (the drill report without the passing ones). */
export const drillSummarySchema = z.strictObject({
    ...drillFigures,
    /** `9 of 10 checks passed`. */
    summary: z.string(),
    /** The checks that failed, with what was expected and what the drill saw. */
    failed: z.array(checkSchema),
});
export type DrillSummary = z.infer<typeof drillSummarySchema>;

// ---- membership ------------------------------------------------------------------------------

/** What a scale-down did to the servers the stack no longer declares. */
export const membershipReportSchema = z.strictObject({
    retiredNodes: z.array(z.string()),
    removedSentinels: z.array(z.string()),
    /** Declared Sentinels reset (one at a time) so that they forget the surplus ones. */
    resetSentinels: z.array(z.string()),
});
export type MembershipReport = z.infer<typeof membershipReportSchema>;

// ---- the report ------------------------------------------------------------------------------

export const postDeployReportSchema = z.strictObject({
    /** Servers a scale-down removed, retired before anything else ran. */
    membership: membershipReportSchema,
    /** When cluster.warmer.enabled. */
    warm: warmSummarySchema.optional(),
    /** When cluster.verifier.enabled. */
    verification: verificationReportSchema.optional(),
    /** When cluster.drill.afterDeploy and the cluster verified. */
    drill: drillSummarySchema.optional(),
});
export type PostDeployReport = z.infer<typeof postDeployReportSchema>;

/** A report that does not match the schema, on the way out (the CLI) or in (the program). */
export class ReportError extends Error {
    constructor(
        readonly kind: "not-json" | "malformed",
        readonly field: string | undefined,
        message: string,
    ) {
        super(message);
        this.name = "ReportError";
    }
}

const WHOLE = "(the report itself)";

/** The report as the CLI prints it: checked against the schema first, so a drifted field fails here, by name. */
export function emitPostDeployReport(report: PostDeployReport): string {
    const checked = postDeployReportSchema.safeParse(report);
    if (!checked.success) {
        const { field, detail } = refusalOf(checked.error, WHOLE);
        throw new ReportError("malformed", field, `the post-deploy report does not match its schema at ${field}: ${detail}`);
    }
    return JSON.stringify(checked.data);
}

/** The post-deploy command's stdout, checked: what the stack exports from it is what the schema says. */
export function parsePostDeployReport(text: string): PostDeployReport {
    const checked = parseCheckedJson(postDeployReportSchema, text, WHOLE);
    if (checked.ok) return checked.data;
    const { kind, field, detail } = checked.refusal;
    throw new ReportError(
        kind,
        field,
        kind === "not-json"
            ? `the post-deploy command's output is not JSON (${detail})`
            : `the post-deploy command's output is malformed at ${field}: ${detail}`,
    );
}

/** A drill report read back from its file (the example picture, tests), checked against its schema. */
export function parseDrillReport(text: string): DrillReport {
    const checked = parseCheckedJson(drillReportSchema, text, "(the drill report itself)");
    if (checked.ok) return checked.data;
    const { kind, field, detail } = checked.refusal;
    throw new ReportError(
        kind,
        field,
        kind === "not-json" ? `the drill report is not JSON (${detail})` : `the drill report is malformed at ${field}: ${detail}`,
    );
}

/** The drill report as written out: checked first, so a drifted field fails where it is made, by name. */
export function emitDrillReport(report: DrillReport): string {
    const checked = drillReportSchema.safeParse(report);
    if (!checked.success) {
        const { field, detail } = refusalOf(checked.error, "(the drill report itself)");
        throw new ReportError("malformed", field, `the drill report does not match its schema at ${field}: ${detail}`);
    }
    return JSON.stringify(checked.data, null, 2);
}
