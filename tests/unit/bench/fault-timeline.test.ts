import { expect } from "chai";
import { FaultReport, faultTimelineFigures } from "../../../bench/outage";

const report: FaultReport = {
    bench: "failover-outage",
    cluster: "stack",
    fault: "master container killed",
    run: 1,
    at: "2026-12-03T14:00:00.000Z",
    master: "redis-0",
    newMaster: "redis-2",
    outageMs: 2300,
    outageStartMs: -4,
    probes: {
        attempted: 900,
        acknowledged: 880,
        confirmed: 870,
        confirmedLost: [],
        unconfirmedLost: 3,
        longestGapMs: 2300,
        longestGapStartMs: -4,
        confirmedPerBucket: { bucketMs: 100, firstBucketMs: -2000, counts: [40, 41] },
        writesResumedMs: 2296,
    },
    sentinelSwitches: [{ sentinel: "sentinel-1", atMs: 2100 }],
    settledMs: 14_000,
};

describe("bench: a fault's timeline picture", () => {
    it("shows the outage the benchmark reports, from the fault, and the Sentinels' switches", () => {
        const f = faultTimelineFigures(report);
        expect(f.outage).to.deep.equal({ fromMs: -4, toMs: 2296 });
        expect(f.origin).to.equal("the fault");
        expect([f.bucketMs, f.firstBucketMs, f.confirmedWrites]).to.deep.equal([100, -2000, [40, 41]]);
        expect(f.sentinelSwitches).to.deep.equal(report.sentinelSwitches);
        expect(f.title).to.equal("failover-outage: master container killed (stack, run 1): redis-0 -> redis-2");
    });

    it("shows the old master's return as a rejoin only when the master moved", () => {
        expect(faultTimelineFigures(report).oldMasterRejoinedMs).to.equal(14_000);
        expect(faultTimelineFigures({ ...report, newMaster: "redis-0" }).oldMasterRejoinedMs).to.equal(undefined);
    });
});
