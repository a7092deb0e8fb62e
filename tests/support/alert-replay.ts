// Alerts against real failures: what the exporters really showed during a fault, replayed through
// the stack's own rules by `promtool test rules`, so the rules' real `for:` durations apply.
//
// A recorder scrapes every exporter every few seconds while a fault is in effect. Each scrape round
// becomes one sample (promtool's input interval is the scrape interval), a series that disappears
// gets a `stale` marker as Prometheus writes one, and the last round is then held for a while:
// "if the cluster stayed like this". promtool is asked, at every evaluation time, to expect no
// alert at all; what it reports as `got` is what fired. The test compares that with what the
// fault must raise, so an alert that should fire and does not fails as surely as one that should
// not and does.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { parse, stringify } from "yaml";
import { SCRAPE_INTERVAL, SCRAPE_TIMEOUT } from "../../render/prometheus";
import { waitUntil } from "../../ops/deadline";

const durationMs = (text: string): number => {
    const m = /^(\d+)s$/.exec(text);
    if (!m) throw new Error(`not a duration in seconds: ${text}`);
    return Number(m[1]) * 1000;
};

type Labels = Record<string, string>;

export interface Sample {
    readonly metric: string;
    readonly labels: Labels;
    readonly value: number;
}

export interface Target {
    /** `host:port` of the exporter. */
    readonly address: string;
    /** The job and the target labels Prometheus adds to every series of this target. */
    readonly labels: Labels;
}

/** The targets of a rendered scrape config, each with its job and target labels, as Prometheus reads them. */
export function scrapeTargets(scrape: string): Target[] {
    const file = parse(scrape) as {
        scrape_configs: { job_name: string; static_configs: { targets: string[]; labels: Labels }[] }[];
    };
    return file.scrape_configs.flatMap((job) =>
        job.static_configs.flatMap((s) => s.targets.map((address) => ({ address, labels: { job: job.job_name, ...s.labels } }))),
    );
}

const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
const unescape = (v: string): string => v.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));

/** The labels of a `{a="b",c="d"}` body (without the braces). */
export function parseLabels(body: string): Labels {
    const labels: Labels = {};
    for (const m of body.matchAll(LABEL)) labels[m[1]] = unescape(m[2]);
    return labels;
}

/** The samples of a text exposition page; non-finite values (NaN, ±Inf) are left out. */
export function parseExposition(page: string): Sample[] {
    const samples: Sample[] = [];
    for (const line of page.split("\n")) {
        if (line === "" || line.startsWith("#")) continue;
        const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
        if (!m) continue;
        const value = Number(m[3]);
        if (!Number.isFinite(value)) continue;
        samples.push({ metric: m[1], labels: parseLabels(m[2] ?? ""), value });
    }
    return samples;
}

/**
 * The labels a series gets in Prometheus: the target's labels win, and an exporter label of the
 * same name is kept as `exported_<name>` (the default `honor_labels: false`).
 */
export function withTargetLabels(sample: Labels, target: Labels): Labels {
    const out: Labels = {};
    for (const [k, v] of Object.entries(sample)) out[k in target ? `exported_${k}` : k] = v;
    return { ...out, ...target };
}

const seriesKey = (metric: string, labels: Labels): string => `${metric}${JSON.stringify(Object.entries(labels).sort())}`;

/** `metric{a="b",...}` in PromQL's notation, as promtool reads `series:`. */
export const seriesText = (metric: string, labels: Labels): string =>
    `${metric}{${Object.entries(labels)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(",")}}`;

interface Track {
    readonly metric: string;
    readonly labels: Labels;
    /** One entry per round; undefined where the series was not scraped. */
    readonly values: (number | undefined)[];
}

/** A number as promtool's series notation reads it: no exponent, whose `+`/`-` it would take for an increment. */
export function promtoolNumber(v: number): string {
    if (!String(v).includes("e")) return String(v);
    if (Math.abs(v) >= 1) return BigInt(Math.round(v)).toString();
    return v.toFixed(20).replace(/0+$/, "");
}

/**
 * A series' values in promtool's notation: a value per round, `stale` at the first round it is
 * missing after being seen, `_` for further missing rounds, then the last round held `hold` more
 * samples (a stale or missing series stays gone).
 */
export function encodeValues(values: readonly (number | undefined)[], hold: number): string {
    const tokens: string[] = [];
    let seen = false;
    for (const v of values) {
        if (v === undefined) {
            tokens.push(seen ? "stale" : "_");
            seen = false;
        } else {
            tokens.push(promtoolNumber(v));
            seen = true;
        }
    }
    const last = values[values.length - 1];
    if (last !== undefined && hold > 0) tokens.push(`${promtoolNumber(last)}x${hold - 1}`);
    // A stale marker followed by more blanks reads the same as the marker alone.
    return tokens.join(" ").replace(/( _)+$/, "");
}

/**
 * Scrapes every target once an interval, as Prometheus does: each round's scrapes run
 * concurrently, a target that does not answer within the scrape timeout counts as down (`up` 0),
 * and a slow round does not hold back the next. Interval and timeout are the stack's own
 * (render/prometheus.ts): an exporter whose server was just killed answers `redis_up 0` only
 * after its 5 s connection timeout (the kernel probes the dead address's stale neighbour entry
 * for longer than that), so a shorter scrape timeout would record a dead exporter instead.
 */
export class ScrapeRecorder {
    private readonly tracks = new Map<string, Track>();
    private rounds = 0;
    private timer: NodeJS.Timeout | undefined;
    private readonly pending = new Set<Promise<void>>();

    constructor(
        private readonly targets: readonly Target[],
        readonly intervalMs = durationMs(SCRAPE_INTERVAL),
        readonly timeoutMs = durationMs(SCRAPE_TIMEOUT),
    ) {}

    private completed = -1;

    /** `metric`'s value in the newest finished round, for the first series whose labels include `labels`. */
    latest(metric: string, labels: Labels): number | undefined {
        for (const t of this.tracks.values()) {
            if (t.metric !== metric || !Object.entries(labels).every(([k, v]) => t.labels[k] === v)) continue;
            return t.values[this.completed];
        }
        return undefined;
    }

    get roundCount(): number {
        return this.rounds;
    }

    /**
     * Resolves once `n` rounds that start after this call have finished: what a test waits on,
     * rather than sleeping an interval and hoping a round fell inside it.
     */
    async nextRounds(n = 1): Promise<void> {
        const last = this.rounds + n - 1;
        await waitUntil(
            `${n} scrape round(s) after round ${this.rounds - 1}`,
            async () => (this.completed >= last ? true : undefined),
            (n + 1) * this.intervalMs + this.timeoutMs,
            50,
        );
    }

    /** One scrape of every target; `up` is 1 for a target that answered, 0 for one that did not. */
    async round(): Promise<void> {
        const index = this.rounds++;
        const pages = await Promise.all(
            this.targets.map(async (t) => {
                try {
                    const res = await fetch(`http://${t.address}/metrics`, { signal: AbortSignal.timeout(this.timeoutMs) });
                    return res.ok ? await res.text() : undefined;
                } catch {
                    return undefined;
                }
            }),
        );
        this.targets.forEach((t, i) => {
            const page = pages[i];
            this.record(index, "up", t.labels, page === undefined ? 0 : 1);
            for (const s of page === undefined ? [] : parseExposition(page)) {
                this.record(index, s.metric, withTargetLabels(s.labels, t.labels), s.value);
            }
        });
        this.completed = Math.max(this.completed, index);
    }

    private record(index: number, metric: string, labels: Labels, value: number): void {
        const key = seriesKey(metric, labels);
        let track = this.tracks.get(key);
        if (!track) {
            track = { metric, labels, values: [] };
            this.tracks.set(key, track);
        }
        track.values[index] = value;
    }

    /** Scrapes now and then once every interval until stop(). */
    start(): void {
        const tick = () => {
            const p = this.round().finally(() => this.pending.delete(p));
            this.pending.add(p);
        };
        tick();
        this.timer = setInterval(tick, this.intervalMs);
    }

    async stop(): Promise<void> {
        if (this.timer) clearInterval(this.timer);
        this.timer = undefined;
        await Promise.all([...this.pending]);
    }

    /** promtool input series for the rounds so far, the last one held `hold` samples. */
    inputSeries(hold: number): { series: string; values: string }[] {
        return [...this.tracks.values()].map((t) => {
            const values = Array.from({ length: this.rounds }, (_, i) => t.values[i]);
            return { series: seriesText(t.metric, t.labels), values: encodeValues(values, hold) };
        });
    }
}

export interface FiredAlert {
    readonly alertname: string;
    readonly labels: Labels;
    /** promtool's evaluation time at which it was seen firing, e.g. `1m30s`. */
    readonly at: string;
}

/** The alerts of promtool's `FAILED` report: every `got` entry of every failed rule test. */
export function parseFired(output: string): FiredAlert[] {
    const fired: FiredAlert[] = [];
    let at = "";
    for (const line of output.split("\n")) {
        const header = /alertname: ([^,]+), time: ([^,]+),/.exec(line);
        if (header) at = header[2];
        const got = /^\s*Labels:\{(.*)\}\s*$/.exec(line);
        if (got) {
            const labels = parseLabels(got[1]);
            fired.push({ alertname: labels.alertname, labels, at });
        }
    }
    return fired;
}

const execFileAsync = promisify(execFile);

/**
 * Replays the recorded rounds (the last one held `holdSeconds`) through `rules` with promtool and
 * returns every alert that fired at any evaluation time, every `stepSeconds`.
 */
export async function replayAlerts(
    recorder: ScrapeRecorder,
    rules: string,
    alertNames: readonly string[],
    { holdSeconds = 1200, stepSeconds = 15 } = {},
): Promise<FiredAlert[]> {
    const dir = mkdtempSync(path.join(tmpdir(), "appscreens-alert-replay-"));
    try {
        const intervalSeconds = recorder.intervalMs / 1000;
        const hold = Math.ceil(holdSeconds / intervalSeconds);
        const end = (recorder.roundCount + hold - 1) * intervalSeconds;
        const times: number[] = [];
        for (let t = stepSeconds; t < end; t += stepSeconds) times.push(t);
        times.push(end);
        writeFileSync(path.join(dir, "rules.yml"), rules);
        const tests = {
            rule_files: ["rules.yml"],
            evaluation_interval: `${intervalSeconds}s`,
            tests: [
                {
                    interval: `${intervalSeconds}s`,
                    input_series: recorder.inputSeries(hold),
                    alert_rule_test: times.flatMap((t) =>
                        alertNames.map((alertname) => ({ eval_time: `${t}s`, alertname, exp_alerts: [] })),
                    ),
                },
            ],
        };
        writeFileSync(path.join(dir, "tests.yml"), stringify(tests, { lineWidth: 0 }));
        try {
            await execFileAsync("promtool", ["test", "rules", "tests.yml"], { cwd: dir, timeout: 120_000, maxBuffer: 256 << 20 });
            return [];
        } catch (err) {
            const e = err as { stdout?: string; stderr?: string; message: string };
            const output = `${e.stdout ?? ""}${e.stderr ?? ""}`;
            const fired = parseFired(output);
            // A failure that named no alert is promtool failing, not an alert firing.
            if (fired.length === 0) throw new Error(`promtool test rules failed: ${output || e.message}`, { cause: err });
            return fired;
        }
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

/** `Alert{instance}` (or `Alert` for an alert of the whole stack), sorted and unique. */
export const firedNames = (fired: readonly FiredAlert[]): string[] =>
    [...new Set(fired.map((a) => (a.labels.instance ? `${a.alertname}{${a.labels.instance}}` : a.alertname)))].sort();
