import { expect } from "chai";
import { DrillReport } from "../../ops/drill/drill-report";
import { DrillRefused, runDrill } from "../../ops/drill/run-drill";
import { PostDeployPlan } from "../../contracts/plan";
import { runOpsCli } from "../support/live/cli";
import { testPlan } from "../support/live/live-cluster";
import { useLiveCluster } from "../support/live/use-live-cluster";
import { waitFor } from "../support/live/wait";

describe("live: the failover drill", function () {
    this.timeout(300_000);
    const cluster = useLiveCluster(this);
    let plan: PostDeployPlan;
    const credentials = () => cluster.credentials;

    before(() => {
        plan = testPlan();
    });

    it("documents itself with --help", async () => {
        const run = await runOpsCli("drill", cluster, ["--help"]);
        expect(run.code).to.equal(0);
        expect(run.stdout).to.match(/SENTINEL FAILOVER/);
        expect(run.stdout).to.match(/--timeout/);
    });

    it("fails over, keeps every confirmed write, the marker and the warmed keys, and sees the old master rejoin (npm run drill)", async () => {
        const before = await cluster.settled();
        const run = await runOpsCli("drill", cluster, ["--json", "--timeout", "60"]);
        const report = JSON.parse(run.stdout) as DrillReport;
        console.log(`      ${JSON.stringify({ timings: report.timings, writes: report.writes })}`);
        // The failover first: every other check is about what it did.
        expect(report.oldMaster).to.equal(before);
        expect(report.newMaster, run.stderr).to.be.a("string").and.not.equal(before);
        expect(report.verification.failed, run.stderr).to.deep.equal([]);
        expect(run.code).to.equal(0);
        expect(report.writes.confirmed).to.be.greaterThan(100);
        expect(report.writes.confirmedLost).to.equal(0);
        // The warmer ran on deploy: the drill sampled warmed keys, it did not skip them.
        expect(report.verification.checks.find((c) => c.name === "drill.warmed_keys")?.expected).to.match(/^\d+ of \d+ with their TTL$/);
        expect(await cluster.settled()).to.equal(report.newMaster);
    });

    it("runs again from wherever the master now is", async () => {
        const before = await cluster.settled();
        const report = await runDrill(plan, credentials(), { timeoutMs: 60_000, sampleSize: 20, probeIntervalMs: 5 });
        expect(report.oldMaster).to.equal(before);
        expect(report.newMaster, report.verification.failed.join(", ")).to.be.a("string").and.not.equal(before);
        expect(report.verification.failed).to.deep.equal([]);
    });

    it("names the step that did not finish when the old master cannot rejoin (paused)", async () => {
        const before = await cluster.settled();
        const pausing = (async () => {
            // As soon as the Sentinels name another master, freeze the old one: it cannot follow.
            await waitFor(
                "the master to move",
                async () => (cluster.nodeAt(await cluster.agreedMaster()) !== before ? true : undefined),
                60_000,
                50,
            );
            await cluster.container(before).pause();
            await cluster.faultShows(before, "paused");
        })();
        try {
            const report = await runDrill(plan, credentials(), { timeoutMs: 5_000, sampleSize: 5, probeIntervalMs: 5 });
            await pausing;
            expect(report.newMaster, "the drill moved the master before the old one was frozen").to.be.a("string").and.not.equal(before);
            expect(report.ok).to.equal(false);
            expect(report.unfinished.join("\n")).to.match(
                new RegExp(`${before} following redis-\\d with its link up did not finish within 5\\.0 s`),
            );
            expect(report.verification.failed).to.include(`drill.${before}.rejoined`);
        } finally {
            await pausing.catch(() => undefined);
            await cluster
                .container(before)
                .unpause()
                .catch(() => undefined);
        }
        await cluster.settled(90_000);
    });

    it("refuses, changing nothing, when the master has no replica online", async () => {
        const master = await cluster.settled();
        const replicas = cluster.nodeNames.filter((n) => n !== master);
        await Promise.all(replicas.map((r) => cluster.container(r).stop({ t: 5 })));
        try {
            for (const r of replicas) await cluster.faultShows(r, "stopped");
            const err = await runDrill(plan, credentials(), { timeoutMs: 10_000, sampleSize: 5, probeIntervalMs: 5 }).catch(
                (e: unknown) => e,
            );
            expect(err).to.be.instanceOf(DrillRefused);
            expect((err as Error).message).to.match(/not a master with an online replica/);
            expect(cluster.nodeAt(await cluster.agreedMaster())).to.equal(master);
        } finally {
            await Promise.all(replicas.map((r) => cluster.container(r).start()));
        }
        expect(await cluster.settled(90_000)).to.equal(master);
    });

    it("runs after a deploy when cluster.drill.afterDeploy is on, moving the master", async () => {
        const before = await cluster.settled();
        await cluster.up({ cluster: { drill: { afterDeploy: true } } });
        expect(await cluster.settled()).to.not.equal(before);
    });
});
