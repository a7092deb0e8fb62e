import { expect } from "chai";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parseDrillReport } from "../../contracts/report";
import { drillTimelineFigures, timelineSpec } from "../../ops/drill/timeline-spec";
import { renderTimelineSvg } from "../../ops/drill/timeline-svg";
import { PROJECT_DIR } from "../../settings/stack-file";
import { CHROMIUM, expectPictureOf, measureTimelineInChromium } from "../support/browser";
import { requirePrograms } from "../support/require-program";

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
