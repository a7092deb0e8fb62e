import type { WarmSummary } from "../../contracts/report";

/** The warm report without its key sample, declared by the post-deploy report's schema (contracts/report.ts). */
export type { WarmSummary };

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
