// The timeline picture of a drill or a fault: confirmed writes per 100 ms, the outage window, when
// each Sentinel switched and when the old master rejoined, as a Vega-Lite spec. Pure: the
// figures come from a report (drill) or a measured fault (bench/outage.ts); timeline-svg.ts
// renders the spec.
import type { TopLevelSpec } from "vega-lite/build/index";
import type { DrillSummary } from "../../contracts/report";

/** What one picture shows. Times are milliseconds from `origin` (the failover command, the fault). */
export interface TimelineFigures {
    readonly title: string;
    readonly subtitle: readonly string[];
    /** What happened at 0, for the axis and the legend: "the failover command", "the fault". */
    readonly origin: string;
    readonly bucketMs: number;
    readonly firstBucketMs: number;
    /** Confirmed writes per bucket, from firstBucketMs on. */
    readonly confirmedWrites: readonly number[];
    /** The longest time without a confirmed write around `origin`. */
    readonly outage?: { readonly fromMs: number; readonly toMs: number };
    readonly sentinelSwitches: readonly { readonly sentinel: string; readonly atMs: number }[];
    readonly oldMaster: string;
    readonly oldMasterRejoinedMs?: number;
}

/** The drill report's fields the picture reads: the full report and its summary both carry them. */
export type DrillTimelineSource = Pick<
    DrillSummary,
    "stack" | "method" | "oldMaster" | "newMaster" | "timings" | "timeline" | "writes" | "startedAt"
>;

const seconds = (ms: number) => (ms / 1000).toFixed(2);

/** Pure: a drill report's picture, every time taken from the report as it is. */
export function drillTimelineFigures(r: DrillTimelineSource): TimelineFigures {
    const t = r.timings;
    return {
        title: `Failover drill on stack ${r.stack} (${r.method}): ${r.oldMaster} -> ${r.newMaster ?? "(no new master)"}`,
        subtitle: [
            `${r.startedAt}; outage ${seconds(t.longestWriteGapMs)} s; ` +
                `${r.writes.confirmed} confirmed writes, ${r.writes.confirmedLost} of them lost`,
        ],
        origin: "the failover command",
        bucketMs: r.timeline.bucketMs,
        firstBucketMs: r.timeline.firstBucketMs,
        confirmedWrites: r.timeline.confirmedWrites,
        outage: { fromMs: t.longestWriteGapStartMs, toMs: t.longestWriteGapStartMs + t.longestWriteGapMs },
        sentinelSwitches: r.timeline.sentinelSwitches,
        oldMaster: r.oldMaster,
        oldMasterRejoinedMs: t.oldMasterRejoinedMs,
    };
}

/** Names of the picture's layers: each becomes a class of its marks' group in the SVG, which the browser test finds. */
export const LAYER = { outage: "outage", writes: "writes", events: "events" } as const;

export const PICTURE = { width: 760, height: 280 } as const;

const OUTAGE_COLOUR = "#f2b8b5";
const ORIGIN_COLOUR = "#222222";
const REJOIN_COLOUR = "#e45756";
// Sentinels get the cool colours, so they read apart from the outage and the rejoin.
const SENTINEL_COLOURS = ["#4c9f38", "#54a0c8", "#8e6cc4", "#2a9d8f", "#6b8e23", "#1f4e79", "#7b4f9d"];

/** The legend's label of each kind of event. */
export const eventLabel = {
    outage: "outage (no confirmed write)",
    origin: (origin: string) => origin,
    switched: (sentinel: string) => `${sentinel} switched`,
    rejoined: (node: string) => `${node} rejoined as a replica`,
};

/**
 * Pure: the Vega-Lite spec of one picture. The x axis is in seconds from `origin` with a fixed
 * domain (no "nice" rounding), so a time maps to a position by the domain alone: the browser
 * test relies on it.
 */
export function timelineSpec(f: TimelineFigures): TopLevelSpec {
    const s = (ms: number) => ms / 1000;
    const bars = f.confirmedWrites.map((writes, i) => ({
        from: s(f.firstBucketMs + i * f.bucketMs),
        to: s(f.firstBucketMs + (i + 1) * f.bucketMs),
        writes,
    }));
    const events = [
        { at: 0, event: eventLabel.origin(f.origin) },
        ...[...f.sentinelSwitches].sort((a, b) => a.atMs - b.atMs).map((w) => ({ at: s(w.atMs), event: eventLabel.switched(w.sentinel) })),
        ...(f.oldMasterRejoinedMs === undefined ? [] : [{ at: s(f.oldMasterRejoinedMs), event: eventLabel.rejoined(f.oldMaster) }]),
    ];
    const outage = f.outage ? [{ from: s(f.outage.fromMs), to: s(f.outage.toMs), event: eventLabel.outage }] : [];
    const times = [...bars.flatMap((b) => [b.from, b.to]), ...events.map((e) => e.at), ...outage.flatMap((o) => [o.from, o.to])];
    const domain = [Math.min(...times), Math.max(...times)];

    // One colour scale for the band and every event line, so one legend names them all.
    const domainOfColours = [...(outage.length ? [eventLabel.outage] : []), ...events.map((e) => e.event)];
    const rangeOfColours = domainOfColours.map((label) => {
        if (label === eventLabel.outage) return OUTAGE_COLOUR;
        if (label === eventLabel.origin(f.origin)) return ORIGIN_COLOUR;
        if (label === eventLabel.rejoined(f.oldMaster)) return REJOIN_COLOUR;
        const i = f.sentinelSwitches.findIndex((w) => eventLabel.switched(w.sentinel) === label);
        return SENTINEL_COLOURS[i % SENTINEL_COLOURS.length];
    });
    const color = {
        field: "event",
        type: "nominal",
        scale: { domain: domainOfColours, range: rangeOfColours },
        legend: { title: null, orient: "bottom", columns: 3, symbolType: "stroke", symbolStrokeWidth: 4, labelLimit: 260 },
    } as const;
    const x = {
        type: "quantitative",
        scale: { domain, nice: false, zero: false },
        axis: { title: `seconds from ${f.origin}`, grid: false },
    } as const;

    return {
        $schema: "https://vega.github.io/schema/vega-lite/v6.json",
        title: { text: f.title, subtitle: [...f.subtitle], anchor: "start" },
        width: PICTURE.width,
        height: PICTURE.height,
        background: "white",
        layer: [
            {
                name: LAYER.outage,
                data: { values: outage },
                mark: { type: "rect", opacity: 0.6 },
                encoding: { x: { field: "from", ...x }, x2: { field: "to" }, color },
            },
            {
                name: LAYER.writes,
                data: { values: bars },
                // A rect from 0 up to the count and across its bucket: a bar with x and x2 would lie on its side.
                mark: { type: "rect", color: "#4c78a8", stroke: "white", strokeWidth: 0.5 },
                encoding: {
                    x: { field: "from", ...x },
                    x2: { field: "to" },
                    y: {
                        field: "writes",
                        type: "quantitative",
                        scale: { zero: true },
                        axis: { title: `confirmed writes per ${f.bucketMs} ms` },
                    },
                    y2: { datum: 0 },
                },
            },
            {
                name: LAYER.events,
                data: { values: events },
                mark: { type: "rule", strokeWidth: 2 },
                encoding: { x: { field: "at", ...x }, color },
            },
        ],
    };
}
