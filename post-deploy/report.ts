import type { ReconcileReport } from "./reconcile";
import type { StoreReport, WarmTimings } from "./warmer";

/** One verification check: what was expected, what the cluster showed. */
export interface Check {
    readonly name: string;
    readonly ok: boolean;
    readonly expected: string;
    readonly actual: string;
}

export interface VerificationReport {
    readonly ok: boolean;
    readonly stack: string;
    readonly summary: string;
    /** Names of the failed checks, for the error message and the stack output. */
    readonly failed: string[];
    readonly checks: Check[];
}

export const check = (name: string, expected: unknown, actual: unknown, ok = String(expected) === String(actual)): Check => ({
    name,
    ok,
    expected: String(expected),
    actual: String(actual),
});

export function buildReport(stack: string, checks: readonly Check[]): VerificationReport {
    const failed = checks.filter((c) => !c.ok).map((c) => c.name);
    return {
        ok: failed.length === 0 && checks.length > 0,
        stack,
        summary: `${checks.length - failed.length} of ${checks.length} checks passed`,
        failed,
        checks: [...checks],
    };
}

/** A fixed-width table for terminals: failed checks first, so they are not scrolled away. */
export function formatTable(report: VerificationReport): string {
    const rows = [...report.checks].sort((a, b) => Number(a.ok) - Number(b.ok));
    const widths = [6, Math.max(5, ...rows.map((r) => r.name.length)), Math.max(8, ...rows.map((r) => r.expected.length))];
    const line = (cells: string[]) => cells.map((c, i) => (i < widths.length ? c.padEnd(widths[i]) : c)).join("  ");
    return [
        line(["RESULT", "CHECK", "EXPECTED", "ACTUAL"]),
        ...rows.map((r) => line([r.ok ? "ok" : "FAILED", r.name, r.expected, r.actual])),
        "",
        `${report.ok ? "PASSED" : "FAILED"}: ${report.summary}${report.failed.length ? `; failed: ${report.failed.join(", ")}` : ""}`,
    ].join("\n");
}

/** The warm report without its key sample: what the stack output and the logs carry. */
export interface WarmSummary {
    readonly ok: boolean;
    readonly keysWritten: number;
    readonly durationMs: number;
    readonly timings: WarmTimings;
    readonly problems: readonly string[];
    readonly stores: readonly StoreReport[];
    /** The end-of-run check that every key reported written is on the master. */
    readonly reconciliation: ReconcileReport;
}

export function summarizeWarm(report: WarmSummary & { keySample?: unknown }): WarmSummary {
    const { ok, keysWritten, durationMs, timings, problems, stores, reconciliation } = report;
    return { ok, keysWritten, durationMs, timings, problems, stores, reconciliation };
}

export function formatWarmSummary(summary: WarmSummary): string {
    const lines = summary.stores.map((s) => {
        const counts = Object.entries(s.failures)
            .map(([kind, n]) => `${n} ${kind}`)
            .join(", ");
        // A throttled store is told once, in its STORE FAILED part: its apps' "store throttled" would only repeat it.
        const listed = s.throttling ? s.failed.filter((f) => f.kind !== "throttled") : s.failed;
        const examples = listed
            .slice(0, 3)
            .map((f) => `${f.appId}: ${f.reason}`)
            .join("; ");
        const failed = counts ? `, failed: ${counts}${examples ? ` (${examples}${listed.length > 3 ? "; ..." : ""})` : ""}` : "";
        const bare = s.withoutScreenshots ? `, ${s.withoutScreenshots} without screenshots` : "";
        const dropped = Object.entries(s.fieldsDropped)
            .map(([field, n]) => `${field} ${n}`)
            .join(", ");
        const fields = dropped ? `, fields dropped: ${dropped}` : "";
        const skipped = Object.entries(s.chartSkipped)
            .map(([why, n]) => `${n} ${why}`)
            .join(", ");
        const chart = skipped ? `, chart entries skipped: ${skipped}` : "";
        const down = s.outage ? ` STORE FAILED (${s.outage.kind}): ${s.outage.reason}` : "";
        return `${s.store.padEnd(9)} ${s.found} found, ${s.fetched} fetched, ${s.written} written, ${s.skipped} skipped${bare}${fields}${chart}${failed}${down} [${s.source}]`;
    });
    const r = summary.reconciliation;
    lines.push(
        `checked   ${r.keysChecked} keys on the master in ${r.rounds} round(s), ${(r.durationMs / 1000).toFixed(1)} s: ${r.appsMissing} apps missing, ${r.keysRewritten} keys written again${r.settled ? "" : ", NOT SETTLED"}`,
    );
    const t = summary.timings;
    const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    lines.push(
        `timing    ${t.firstWriteMs === undefined ? "nothing to write" : `first write at ${seconds(t.firstWriteMs)}`}, writes settled at ${seconds(t.writesSettledMs)}, run ended at ${seconds(summary.durationMs)}`,
    );
    const rate = summary.durationMs > 0 ? ` (${Math.round((summary.keysWritten * 1000) / summary.durationMs)} keys/s)` : "";
    lines.push(
        `${summary.ok ? "warmed" : "WARMING FAILED"}: ${summary.keysWritten} keys written in ${(summary.durationMs / 1000).toFixed(1)} s${rate}${summary.problems.length ? `; ${summary.problems.join("; ")}` : ""}`,
    );
    return lines.join("\n");
}
