import { expect } from "chai";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parseDrillReport } from "../../../../contracts/report";
import { drillTimelineFigures, eventLabel, LAYER, TimelineFigures, timelineSpec } from "../../../../ops/drill/timeline-spec";
import { renderTimelineSvg } from "../../../../ops/drill/timeline-svg";
import { PROJECT_DIR } from "../../../../settings/stack-file";

/** A layer's inline data and encoding, read back from the spec as Vega-Lite will. */
interface Layer {
    name: string;
    data: { values: Record<string, unknown>[] };
    mark: { type: string };
    encoding: Record<string, { field?: string; scale?: { domain?: unknown; range?: unknown; nice?: boolean; zero?: boolean } }>;
}
const layers = (f: TimelineFigures) => (timelineSpec(f) as unknown as { layer: Layer[] }).layer;
const layer = (f: TimelineFigures, name: string) => layers(f).find((l) => l.name === name)!;

const figures: TimelineFigures = {
    title: "t",
    subtitle: ["s"],
    origin: "the failover command",
    bucketMs: 100,
    firstBucketMs: -200,
    confirmedWrites: [10, 12, 3, 0, 0, 0, 8],
    outage: { fromMs: 20, toMs: 420 },
    sentinelSwitches: [
        { sentinel: "sentinel-2", atMs: 310 },
        { sentinel: "sentinel-0", atMs: 250 },
    ],
    oldMaster: "redis-0",
    oldMasterRejoinedMs: 3000,
};

describe("drill: the timeline picture's spec", () => {
    it("layers the outage band under the writes, with the event lines on top", () => {
        expect(layers(figures).map((l) => [l.name, l.mark.type])).to.deep.equal([
            [LAYER.outage, "rect"],
            [LAYER.writes, "rect"],
            [LAYER.events, "rule"],
        ]);
    });

    it("places the outage band at its measured times, in seconds from the command", () => {
        const outage = layer(figures, LAYER.outage);
        expect(outage.data.values).to.deep.equal([{ from: 0.02, to: 0.42, event: eventLabel.outage }]);
        expect([outage.encoding.x.field, outage.encoding.x2.field]).to.deep.equal(["from", "to"]);
        expect(layer({ ...figures, outage: undefined }, LAYER.outage).data.values).to.deep.equal([]);
    });

    it("draws one bar per 100 ms bucket, from the first bucket on, standing on 0", () => {
        const bars = layer(figures, LAYER.writes);
        expect(bars.data.values).to.have.length(7);
        expect(bars.data.values[0]).to.deep.equal({ from: -0.2, to: -0.1, writes: 10 });
        expect(bars.data.values[6]).to.deep.equal({ from: 0.4, to: 0.5, writes: 8 });
        expect(bars.encoding.y.scale?.zero).to.equal(true);
    });

    it("marks the command, each Sentinel's switch in time order and the old master's rejoin, each in the legend", () => {
        const events = layer(figures, LAYER.events);
        expect(events.data.values).to.deep.equal([
            { at: 0, event: "the failover command" },
            { at: 0.25, event: "sentinel-0 switched" },
            { at: 0.31, event: "sentinel-2 switched" },
            { at: 3, event: "redis-0 rejoined as a replica" },
        ]);
        const scale = events.encoding.color.scale!;
        expect(scale.domain).to.deep.equal([eventLabel.outage, ...events.data.values.map((e) => e.event)]);
        expect(new Set(scale.range as string[]).size).to.equal(5);
        expect(layer({ ...figures, oldMasterRejoinedMs: undefined }, LAYER.events).data.values).to.have.length(3);
    });

    it("fixes the time axis to exactly what is shown (no rounding), the same on every layer", () => {
        for (const l of layers(figures)) {
            expect(l.encoding.x.scale, l.name).to.deep.include({ domain: [-0.2, 3], nice: false, zero: false });
        }
    });

    it("takes every time from a drill report as it is", () => {
        const report = parseDrillReport(readFileSync(path.join(PROJECT_DIR, "tests/fixtures/drill-report-host.json"), "utf8"));
        const f = drillTimelineFigures(report);
        const t = report.timings;
        expect(f.outage).to.deep.equal({ fromMs: t.longestWriteGapStartMs, toMs: t.longestWriteGapStartMs + t.longestWriteGapMs });
        expect(f.oldMasterRejoinedMs).to.equal(t.oldMasterRejoinedMs);
        expect(f.sentinelSwitches).to.deep.equal(report.timeline.sentinelSwitches);
        expect(f.confirmedWrites.reduce((a, b) => a + b, 0)).to.equal(report.writes.confirmed);
        expect(f.title).to.equal("Failover drill on stack host (handover): redis-0 -> redis-1");
    });

    it("renders to SVG on the server, each layer a named group of marks", async function () {
        this.timeout(20_000);
        const svg = await renderTimelineSvg(timelineSpec(figures));
        expect(svg).to.match(/^<svg /);
        for (const name of Object.values(LAYER)) expect(svg).to.contain(`role-mark ${name}_marks`);
        expect(svg).to.contain("sentinel-2 switched");
    });
});
