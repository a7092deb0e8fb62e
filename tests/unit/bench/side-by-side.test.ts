import { expect } from "chai";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { baselineDir, pairedRatios, runOrder } from "../../../bench/side-by-side";

describe("bench: before/after side by side", () => {
    it("alternates which checkout goes first, and runs only this one without a baseline", () => {
        expect([0, 1, 2, 3].map((run) => runOrder(run, true))).to.deep.equal([
            ["this", "baseline"],
            ["baseline", "this"],
            ["this", "baseline"],
            ["baseline", "this"],
        ]);
        expect(runOrder(1, false)).to.deep.equal(["this"]);
    });

    it("divides paired runs one by one and refuses unpaired ones", () => {
        expect(pairedRatios([30, 20], [15, 40])).to.deep.equal([2, 0.5]);
        expect(() => pairedRatios([1, 2], [1])).to.throw(/differ in count: 2 vs 1/);
    });

    it("takes a baseline checkout only when it has the warm CLI and its packages, naming what is missing", () => {
        const dir = mkdtempSync(path.join(tmpdir(), "appscreens-baseline-"));
        try {
            expect(baselineDir(undefined)).to.equal(undefined);
            expect(() => baselineDir(dir)).to.throw(/no cli\/warm.ts there.*git worktree add/);
            for (const file of ["cli/warm.ts", "bench/peak-memory.ts"]) {
                mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
                writeFileSync(path.join(dir, file), "");
            }
            expect(() => baselineDir(dir)).to.throw(/no node_modules\/tsx there/);
            mkdirSync(path.join(dir, "node_modules", "tsx"), { recursive: true });
            expect(baselineDir(dir)).to.equal(path.resolve(dir));
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});
