// Metric names as redis_exporter shows them and as the alerting rules name them: the rules may
// name only metrics the shipped exporter (1.45.0) really exports. The list of those names is
// taken from a real scrape (tests/host/redis-exporter.test.ts writes and checks it).
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { EXPORTER_VERSION } from "../../settings/schema";

export const EXPORTER_METRICS_FILE = path.join(__dirname, "..", "fixtures", `redis-exporter-${EXPORTER_VERSION}-metrics.txt`);

/** Series Prometheus makes itself for every target (not the exporter's). */
export const PROMETHEUS_SERIES = ["up", "scrape_duration_seconds", "scrape_samples_scraped"] as const;

/** The metric names of a text exposition (the `/metrics` page), sorted and unique. */
export function metricNames(exposition: string): string[] {
    const names = new Set<string>();
    for (const line of exposition.split("\n")) {
        if (line === "" || line.startsWith("#")) continue;
        const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
        if (match) names.add(match[1]);
    }
    return [...names].sort();
}

/** The value of the first sample of `name` whose labels include `labels` (text exposition). */
export function sampleValue(exposition: string, name: string, labels: Record<string, string> = {}): number | undefined {
    for (const line of exposition.split("\n")) {
        const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)/.exec(line);
        if (!match || match[1] !== name) continue;
        const text = match[3] ?? "";
        if (Object.entries(labels).every(([k, v]) => text.includes(`${k}=${JSON.stringify(v)}`))) return Number(match[4]);
    }
    return undefined;
}

const PROMQL_WORDS = new Set([
    "sum",
    "min",
    "max",
    "avg",
    "count",
    "stddev",
    "stdvar",
    "topk",
    "bottomk",
    "quantile",
    "count_values",
    "group",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "and",
    "or",
    "unless",
    "bool",
    "offset",
    "rate",
    "irate",
    "increase",
    "delta",
    "idelta",
    "changes",
    "resets",
    "deriv",
    "predict_linear",
    "time",
    "vector",
    "scalar",
    "abs",
    "absent",
    "absent_over_time",
    "label_replace",
    "label_join",
    "clamp_min",
    "clamp_max",
    "round",
    "avg_over_time",
    "min_over_time",
    "max_over_time",
    "sum_over_time",
    "count_over_time",
    "last_over_time",
    "histogram_quantile",
]);

/**
 * The metric names a PromQL expression selects. Label matchers (`{...}`), grouping lists
 * (`by (...)`, `on (...)`), quoted strings and durations are removed first, then every remaining
 * identifier that is not a PromQL keyword or function is a metric name.
 */
export function metricsInExpr(expr: string): string[] {
    const stripped = expr
        .replace(/"(?:[^"\\]|\\.)*"/g, " ")
        .replace(/\{[^}]*\}/g, " ")
        .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
        .replace(/\[[^\]]*\]/g, " ");
    const names = new Set<string>();
    for (const match of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
        const word = match[0];
        const next = stripped.slice((match.index ?? 0) + word.length).trimStart();
        if (
            PROMQL_WORDS.has(word) &&
            (next.startsWith("(") || ["and", "or", "unless", "bool", "by", "without", "on", "ignoring"].includes(word))
        )
            continue;
        if (/^[0-9]/.test(word)) continue;
        names.add(word);
    }
    return [...names].sort();
}

/** The committed list of metric names (one per line, `#` comments). */
export function readExporterMetricList(file = EXPORTER_METRICS_FILE): string[] {
    return readFileSync(file, "utf8")
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l !== "" && !l.startsWith("#"));
}
