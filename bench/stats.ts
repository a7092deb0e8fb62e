/** Median and spread of repeated measurements, as the results table shows them. */
export function summary(values: readonly number[]): { median: number; min: number; max: number } {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

export const formatted = (values: readonly number[], digits = 0): string => {
    const s = summary(values);
    const f = (n: number) => n.toFixed(digits);
    return `${f(s.median)} (${f(s.min)}-${f(s.max)})`;
};

/** The shortest time a store's requests can take at its limits: evenly spaced starts, `concurrency` at a time, `latencyMs` each. */
export function idealMs(requests: number, limits: { requestsPerMinute: number; concurrency: number }, latencyMs: number): number {
    const interval = 60_000 / limits.requestsPerMinute;
    return Math.max((requests - 1) * interval + latencyMs, Math.ceil(requests / limits.concurrency) * latencyMs);
}
