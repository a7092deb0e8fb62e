import { formatHealth } from "./health";
import type { Check, VerificationReport } from "../../contracts/report";

/** Declared by the post-deploy report's schema (contracts/report.ts): the stack exports them. */
export type { Check, VerificationReport };

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
        ...(report.health ? ["", formatHealth(report.health)] : []),
    ].join("\n");
}
