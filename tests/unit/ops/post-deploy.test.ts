import { expect } from "chai";
import { buildPostDeployPlan, PostDeployPlan } from "../../../contracts/plan";
import { emitPostDeployReport, parsePostDeployReport, PostDeployReport } from "../../../contracts/report";
import { DeadlineError } from "../../../ops/deadline";
import { buildDrillReport, DrillReport } from "../../../ops/drill/drill-report";
import { postDeployFailures, PostDeploySteps, runPostDeploy } from "../../../ops/post-deploy";
import { buildReport, check, VerificationReport } from "../../../ops/verify/report";
import { WarmReport } from "../../../ops/warm/warmer";
import { settingsFor } from "../../support/settings";

const CREDENTIALS = { redisPassword: "r".repeat(20), sentinelPassword: "s".repeat(20) };

const WARM: WarmReport = {
    ok: true,
    stores: [],
    keySample: ["screenshots:appstore:1", "metadata:appstore:1"],
    keysWritten: 2,
    durationMs: 120,
    timings: { firstWriteMs: 10, writesSettledMs: 100 },
    problems: [],
    reconciliation: { rounds: 1, keysChecked: 2, appsMissing: 0, keysRewritten: 0, settled: true, durationMs: 5 },
};

const verification = (ok: boolean): VerificationReport =>
    buildReport("dev", [check("sentinel.agreement", "10.0.0.10:6379", ok ? "10.0.0.10:6379" : "10.0.0.10:6379 / 10.0.0.11:6379")]);

const drillReport = (ok: boolean): DrillReport =>
    buildDrillReport(
        "dev",
        new Date(0),
        "handover",
        {
            oldMaster: { name: "redis-0", announced: "10.0.0.10:6379" },
            newMaster: { name: "redis-1", announced: "10.0.0.11:6379" },
            marker: { key: "m", expected: "abc", actual: ok ? "abc" : null },
            sample: [],
            oldMasterState: { role: "slave", following: "10.0.0.11:6379", link: "up" },
            sentinelsAfter: ["s0", "s1", "s2"].map((name) => ({ name, masterAddress: "10.0.0.11:6379" })),
            sentinelsFlaggingOldMaster: [],
            expectedSentinels: 3,
            probes: {
                attempted: 10,
                acknowledged: 9,
                confirmed: 9,
                confirmedLost: [],
                unconfirmedLost: 0,
                longestGapMs: 1200,
                longestGapStartMs: -100,
                confirmedPerBucket: { bucketMs: 100, firstBucketMs: -200, counts: [4, 5, 0] },
                writesResumedMs: 1500,
            },
            sentinelSwitches: [{ sentinel: "s0", atMs: 850 }],
            unfinished: [],
            timeoutMs: 60_000,
        },
        { longestWriteGapMs: 1200, longestWriteGapStartMs: -100, writesResumedMs: 1500 },
    );

/** Steps that record the order they ran in and what they were given; `hang` never finishes. */
function fakeSteps(options: { verified?: boolean; drilled?: boolean; hang?: keyof PostDeploySteps } = {}) {
    const calls: string[] = [];
    const given: { expectedKeys?: readonly string[]; drillSample?: number } = {};
    const step =
        <T>(name: keyof PostDeploySteps, value: T) =>
        async (): Promise<T> => {
            calls.push(name);
            if (options.hang === name) await new Promise(() => undefined);
            return value;
        };
    const steps: PostDeploySteps = {
        retire: step("retire", { retiredNodes: ["redis-3"], removedSentinels: [], resetSentinels: ["sentinel-0"] }),
        warm: step("warm", WARM),
        verify: async (_plan, _credentials, o) => {
            given.expectedKeys = o.expectedKeys;
            return step("verify", verification(options.verified ?? true))();
        },
        drill: async (_plan, _credentials, o) => {
            given.drillSample = o.sampleSize;
            return step("drill", drillReport(options.drilled ?? true))();
        },
    };
    return { steps, calls, given };
}

const planFor = (cluster: unknown): PostDeployPlan => buildPostDeployPlan(settingsFor(cluster));

describe("the post-deploy sequence (ops/post-deploy.ts)", () => {
    it("retires, warms, verifies the keys it warmed, then drills on request, into a report its schema accepts", async () => {
        const { steps, calls, given } = fakeSteps();
        const lines: string[] = [];
        const plan = planFor({ drill: { afterDeploy: true }, verifier: { sampleSize: 7 } });
        const report = await runPostDeploy(plan, CREDENTIALS, { log: (l) => lines.push(l), steps });
        expect(calls).to.deep.equal(["retire", "warm", "verify", "drill"]);
        expect(given.expectedKeys).to.deep.equal(WARM.keySample);
        expect(given.drillSample).to.equal(7);
        expect(report.membership.retiredNodes).to.deep.equal(["redis-3"]);
        expect(report.warm).to.not.have.property("keySample");
        expect(report.drill?.newMaster).to.equal("redis-1");
        expect(report.drill?.failed).to.deep.equal([]);
        expect(postDeployFailures(plan.stack, report)).to.deep.equal([]);
        // The way out and the way in agree.
        const text = emitPostDeployReport(report);
        expect(parsePostDeployReport(text)).to.deep.equal(JSON.parse(text));
        // The verification table once, before the drill's report.
        const table = lines.filter((l) => l.includes("sentinel.agreement"));
        expect(table).to.have.length(1);
        expect(lines.indexOf(table[0])).to.be.lessThan(lines.findIndex((l) => l.startsWith("Failover drill")));
    });

    it("drills only a cluster that verified, and names what failed", async () => {
        const { steps, calls } = fakeSteps({ verified: false });
        const plan = planFor({ drill: { afterDeploy: true } });
        const report = await runPostDeploy(plan, CREDENTIALS, { log: () => undefined, steps });
        expect(calls).to.deep.equal(["retire", "warm", "verify"]);
        expect(report.drill).to.equal(undefined);
        expect(postDeployFailures(plan.stack, report)).to.deep.equal(["verification of stack dev failed: sentinel.agreement"]);

        const drilled = fakeSteps({ drilled: false });
        const failedDrill = await runPostDeploy(plan, CREDENTIALS, { log: () => undefined, steps: drilled.steps });
        expect(postDeployFailures(plan.stack, failedDrill)).to.deep.equal(["failover drill of stack dev failed: drill.marker"]);
    });

    it("skips what the stack turned off", async () => {
        const { steps, calls } = fakeSteps();
        const report: PostDeployReport = await runPostDeploy(
            planFor({ warmer: { enabled: false }, verifier: { enabled: false } }),
            CREDENTIALS,
            {
                log: () => undefined,
                steps,
            },
        );
        expect(calls).to.deep.equal(["retire"]);
        expect(Object.keys(JSON.parse(emitPostDeployReport(report)))).to.deep.equal(["membership"]);
    });

    it("names the step it was in when the deadline passes", async () => {
        const { steps } = fakeSteps({ hang: "warm" });
        const plan = { ...planFor({}), deadlineSeconds: 0.05 };
        let error: unknown;
        await runPostDeploy(plan, CREDENTIALS, { log: () => undefined, steps }).catch((err: unknown) => (error = err));
        expect(error).to.be.instanceOf(DeadlineError);
        expect(String(error)).to.include("it was warming the cache").and.include("did not finish within 0.05 s");
    });

    it("refuses to emit a report that drifted from its schema, naming the field", () => {
        const drifted = { membership: { retiredNodes: [], removedSentinels: [], resetSentinels: [] }, warm: { ...WARM } };
        expect(() => emitPostDeployReport(drifted)).to.throw(/does not match its schema at warm: Unrecognized key: "keySample"/);
    });
});
