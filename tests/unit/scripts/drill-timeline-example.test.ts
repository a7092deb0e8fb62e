import { expect } from "chai";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { PROJECT_DIR } from "../../../settings/stack-file";
import { renderTimelineExample, TIMELINE_EXAMPLE } from "../../../scripts/drill-timeline-example";

describe("docs: the example drill picture", () => {
    it("is committed exactly as `npm run docs:timeline` renders it from the captured report now", async function () {
        this.timeout(30_000);
        const committed = readFileSync(path.join(PROJECT_DIR, TIMELINE_EXAMPLE.picture), "utf8");
        if (committed !== (await renderTimelineExample())) {
            expect.fail(`${TIMELINE_EXAMPLE.picture} is stale: run npm run docs:timeline and commit it`);
        }
    });

    it("is linked from the drill's documentation", () => {
        expect(readFileSync(path.join(PROJECT_DIR, "docs/operations.md"), "utf8")).to.contain("(drill-timeline-example.svg)");
    });
});
