import { expect } from "chai";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parseDrillReport } from "../../contracts/report";
import { drillTimelineFigures, eventLabel, timelineSpec } from "../../ops/drill/timeline-spec";
import { renderTimelineSvg } from "../../ops/drill/timeline-svg";
import { PROJECT_DIR } from "../../settings/stack-file";
import { CHROMIUM, measureTimelineInChromium, MeasuredTimeline, timeScaleOf } from "../support/browser";
import { requirePrograms } from "../support/require-program";
import type { DrillReport } from "../../contracts/report";

/** What every drill picture must show, checked on what Chromium drew. Exported for the host drill test's real runs. */
export function expectPictureOf(report: DrillReport, drawn: MeasuredTimeline): void {
    const t = report.timings;
    // It rendered: the whole picture, a bar per 100 ms bucket, a line per event, a legend naming them.
    expect(drawn.svg.width).to.be.greaterThan(700);
    expect(drawn.svg.height).to.be.greaterThan(300);
    expect(drawn.bars).to.equal(report.timeline.confirmedWrites.length);
    expect(drawn.events.map((e) => e.label)).to.have.length(
        1 + report.timeline.sentinelSwitches.length + (t.oldMasterRejoinedMs === undefined ? 0 : 1),
    );
    expect(drawn.legend).to.include.members([
        eventLabel.outage,
        ...report.timeline.sentinelSwitches.map((w) => eventLabel.switched(w.sentinel)),
        ...(t.oldMasterRejoinedMs === undefined ? [] : [eventLabel.rejoined(report.oldMaster)]),
    ]);
    // The outage band sits at the measured time on the axis as the browser drew it. 1.5 px: Vega
    // draws axis ticks half a pixel off for crisp lines; a band a tenth of a second off is 4 px away.
    const x = timeScaleOf(drawn.ticks);
    const from = t.longestWriteGapStartMs / 1000;
    const to = (t.longestWriteGapStartMs + t.longestWriteGapMs) / 1000;
    expect(drawn.outage, "the outage band").to.not.equal(undefined);
    expect(drawn.outage!.left).to.be.closeTo(x(from), 1.5);
    expect(drawn.outage!.right).to.be.closeTo(x(to), 1.5);
    expect(drawn.outage!.height).to.be.greaterThan(200);
    // And so does every Sentinel's switch and the old master's rejoin.
    const at = (label: string) => drawn.events.find((e) => e.label.endsWith(`event: ${label}`))?.x;
    for (const w of report.timeline.sentinelSwitches)
        expect(at(eventLabel.switched(w.sentinel)), w.sentinel).to.be.closeTo(x(w.atMs / 1000), 1.5);
    if (t.oldMasterRejoinedMs !== undefined)
        expect(at(eventLabel.rejoined(report.oldMaster))).to.be.closeTo(x(t.oldMasterRejoinedMs / 1000), 1.5);
}

describe("host: the drill's timeline picture in a real browser (headless Chromium)", function () {
    this.timeout(120_000);

    before(function () {
        requirePrograms(this, [CHROMIUM]);
    });

    it("renders a real drill report's picture with the outage at the measured time", async () => {
        // Captured from a drill on host processes (tests/fixtures/README.md): 1.46 s without a confirmed write from +0.004 s.
        const report = parseDrillReport(readFileSync(path.join(PROJECT_DIR, "tests/fixtures/drill-report-host.json"), "utf8"));
        const drawn = await measureTimelineInChromium(await renderTimelineSvg(timelineSpec(drillTimelineFigures(report))));
        expectPictureOf(report, drawn);
        // The band is where the report says, not merely consistent with itself: 1.46 s is about a twelfth of the 17 s shown.
        expect(drawn.outage!.width / drawn.svg.width).to.be.within(0.06, 0.12);
    });

    it("notices a band drawn at the wrong time", async () => {
        const report = parseDrillReport(readFileSync(path.join(PROJECT_DIR, "tests/fixtures/drill-report-host.json"), "utf8"));
        const moved = { ...report, timings: { ...report.timings, longestWriteGapStartMs: report.timings.longestWriteGapStartMs + 2000 } };
        const drawn = await measureTimelineInChromium(await renderTimelineSvg(timelineSpec(drillTimelineFigures(moved))));
        expect(() => expectPictureOf(report, drawn)).to.throw(/expected .* to be close to/);
    });
});
