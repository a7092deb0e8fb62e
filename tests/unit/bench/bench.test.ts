import { expect } from "chai";
import { modeFlags, targetVerdicts } from "../../../bench/restart-time";
import { formatSpread, markdownTable, spread } from "../../../bench/stats";

describe("bench: statistics and restart-time targets", () => {
    it("gives median and spread of odd and even counts", () => {
        expect(spread([3, 1, 2])).to.deep.equal({ median: 2, min: 1, max: 3, runs: 3 });
        expect(spread([4, 1, 2, 3]).median).to.equal(2.5);
        expect(formatSpread(spread([1, 2, 3]), 1)).to.equal("2.0 (1.0-3.0)");
        expect(() => spread([])).to.throw(/no measurements/);
    });

    it("lines up a Markdown table", () => {
        expect(markdownTable(["a", "bb"], [["1", "2"]]).split("\n")).to.deep.equal(["| a   | bb  |", "| --- | --- |", "| 1   | 2   |"]);
    });

    it("starts each mode with its persistence flags and never saves on shutdown", () => {
        const flags = (m: "preamble" | "aof" | "rdb") => {
            const f = modeFlags(m);
            return Object.fromEntries(f.flatMap((v, i) => (i % 2 ? [] : [[v, f[i + 1]]])));
        };
        expect(flags("preamble")).to.include({ "--appendonly": "yes", "--aof-use-rdb-preamble": "yes", "--save": "" });
        expect(flags("aof")).to.include({ "--appendonly": "yes", "--aof-use-rdb-preamble": "no" });
        expect(flags("rdb")).to.include({ "--appendonly": "no" });
    });

    it("judges the targets on medians: <= 1.15 x RDB only and <= 0.75 x pure AOF", () => {
        const r = (mode: "preamble" | "aof" | "rdb", median: number) => ({
            mode,
            diskBytes: 0,
            seconds: { median, min: median, max: median, runs: 5 },
        });
        expect(targetVerdicts([r("preamble", 1.1), r("aof", 2.5), r("rdb", 1.0)])).to.deep.include({ ok: true });
        expect(targetVerdicts([r("preamble", 1.2), r("aof", 2.5), r("rdb", 1.0)]).ok).to.equal(false);
        expect(targetVerdicts([r("preamble", 1.0), r("aof", 1.2), r("rdb", 1.0)]).ok).to.equal(false);
    });
});
