/** Median, min and max of repeated measurements: what every benchmark table reports. */
export interface Spread {
    readonly median: number;
    readonly min: number;
    readonly max: number;
    readonly runs: number;
}

export function spread(values: readonly number[]): Spread {
    if (values.length === 0) throw new Error("no measurements");
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    return { median, min: sorted[0], max: sorted[sorted.length - 1], runs: sorted.length };
}

/** `1.23 (1.10-1.40)` with the given number of decimals. */
export const formatSpread = (s: Spread, decimals = 2): string =>
    `${s.median.toFixed(decimals)} (${s.min.toFixed(decimals)}-${s.max.toFixed(decimals)})`;

/** A Markdown table, cells padded so the file stays readable (Prettier would do the same). */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
    const widths = header.map((h, i) => Math.max(h.length, 3, ...rows.map((r) => (r[i] ?? "").length)));
    const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
    return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The shortest time a store's requests can take at its limits: evenly spaced starts, `concurrency` at a time, `latencyMs` each. */
export function idealMs(requests: number, limits: { requestsPerMinute: number; concurrency: number }, latencyMs: number): number {
    const interval = 60_000 / limits.requestsPerMinute;
    return Math.max((requests - 1) * interval + latencyMs, Math.ceil(requests / limits.concurrency) * latencyMs);
}
