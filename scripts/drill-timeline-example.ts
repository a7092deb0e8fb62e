// npm run docs:timeline [-- --check]
// Renders the example drill picture, docs/drill-timeline-example.svg, from a drill report captured
// from a real run (tests/fixtures/drill-report-host.json) with the same code `npm run drill` uses.
// --check writes nothing and exits 1 when the committed picture differs; a unit test does the same.
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { parseDrillReport } from "../contracts/report";
import { drillTimelineFigures, timelineSpec } from "../ops/drill/timeline-spec";
import { renderTimelineSvg } from "../ops/drill/timeline-svg";

const PROJECT_DIR = path.join(__dirname, "..");

/** The captured report and the picture made from it, relative to the project. */
export const TIMELINE_EXAMPLE = {
    report: "tests/fixtures/drill-report-host.json",
    picture: "docs/drill-timeline-example.svg",
} as const;

/** The example picture as `npm run docs:timeline` writes it now. */
export async function renderTimelineExample(): Promise<string> {
    const report = parseDrillReport(readFileSync(path.join(PROJECT_DIR, TIMELINE_EXAMPLE.report), "utf8"));
    return renderTimelineSvg(timelineSpec(drillTimelineFigures(report)));
}

async function main(): Promise<void> {
    const { values } = parseArgs({ options: { check: { type: "boolean" }, help: { type: "boolean" } } });
    if (values.help) {
        console.log(`Usage: npm run docs:timeline [-- --check]\n\nRenders ${TIMELINE_EXAMPLE.picture} from ${TIMELINE_EXAMPLE.report}.`);
        return;
    }
    const target = path.join(PROJECT_DIR, TIMELINE_EXAMPLE.picture);
    const svg = await renderTimelineExample();
    let committed = "";
    try {
        committed = readFileSync(target, "utf8");
    } catch {
        // not written yet
    }
    if (committed === svg) {
        console.log(`${TIMELINE_EXAMPLE.picture} is up to date`);
        return;
    }
    if (values.check) {
        console.error(`stale: ${TIMELINE_EXAMPLE.picture}; run npm run docs:timeline`);
        process.exit(1);
    }
    writeFileSync(target, svg);
    console.log(`wrote ${TIMELINE_EXAMPLE.picture}`);
}

if (require.main === module) {
    main().catch((err: unknown) => {
        console.error(err instanceof Error ? err.message : err);
        process.exit(1);
    });
}
