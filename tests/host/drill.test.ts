import { expect } from "chai";
import { runDrill, DrillRefused } from "../../ops/drill/run-drill";
import { sentinelsOf } from "../../contracts/plan";
import { useHostCluster } from "../support/use-host-cluster";
import { CHROMIUM, expectPictureOf, measureTimelineInChromium } from "../support/browser";
import { requirePrograms } from "../support/require-program";
import { drillTimelineFigures, timelineSpec } from "../../ops/drill/timeline-spec";
import { renderTimelineSvg } from "../../ops/drill/timeline-svg";
import { SENTINEL_WATCH_INTERVAL_MS } from "../../ops/drill/sentinel-watch";
import { emitDrillReport, parseDrillReport, type DrillReport } from "../../contracts/report";

describe("host: the failover drill against Redis and Sentinel processes", function () {
    this.timeout(120_000);
    const cluster = useHostCluster(this, { basePort: 22200 });
    let handover: DrillReport | undefined;

    before(async () => {
        const master = cluster.client(cluster.nodePorts[0]);
        const pipeline = master.pipeline();
        for (let i = 0; i < 200; i++) pipeline.set(`screenshots:appstore:${i}`, "[]", "EX", 86_400);
        expect(((await pipeline.exec()) ?? []).filter(([err]) => err)).to.deep.equal([]);
        expect(await master.wait(2, 5000)).to.equal(2);
        master.disconnect();
    });

    it("hands the master over without losing a confirmed write, keeps the marker and the warmed keys, sees the old master rejoin", async () => {
        const report = await runDrill(cluster.plan(), cluster.credentials, { timeoutMs: 30_000, sampleSize: 20, probeIntervalMs: 2 });
        handover = report;
        console.log(`      handover: ${JSON.stringify({ timings: report.timings, writes: report.writes })}`);
        // The failover first: every other check is about what it did.
        expect(report.oldMaster).to.equal("redis-0");
        expect(report.newMaster, report.verification.failed.join(", ")).to.be.oneOf(["redis-1", "redis-2"]);
        expect(report.verification.failed, JSON.stringify(report, null, 2)).to.deep.equal([]);
        expect(report.method).to.equal("handover");
        expect(report.writes.confirmedLost).to.equal(0);
        expect(report.writes.confirmed).to.be.greaterThan(10);
        expect(report.timings.writesResumedMs).to.be.a("number");
        expect(report.timings.oldMasterRejoinedMs).to.be.a("number");
        const names = report.verification.checks.map((c) => c.name);
        expect(names).to.include.members(["drill.marker", "drill.warmed_keys", "drill.redis-0.rejoined", "drill.sentinel_agreement"]);
        expect(report.verification.checks.find((c) => c.name === "drill.warmed_keys")?.actual).to.equal("20 of 20 with their TTL");
        expect(JSON.stringify(report)).to.not.include(cluster.credentials.redisPassword);
    });

    it("carries the picture's times and draws them where they were measured (headless Chromium)", async function () {
        if (!handover) this.skip();
        // The report as the drill writes it, read back through its schema.
        const report = parseDrillReport(emitDrillReport(handover));
        expect(report.timeline.sentinelSwitches.map((w) => w.sentinel).sort()).to.deep.equal(["sentinel-0", "sentinel-1", "sentinel-2"]);
        // The watcher asks every SENTINEL_WATCH_INTERVAL_MS, beside the drill's own poll: it may see a switch that much later.
        const seen = report.timings.sentinelsAgreedMs! + 2 * SENTINEL_WATCH_INTERVAL_MS;
        for (const w of report.timeline.sentinelSwitches) expect(w.atMs).to.be.within(0, seen);
        expect(report.timeline.confirmedWrites.reduce((a, b) => a + b, 0)).to.equal(report.writes.confirmed);
        requirePrograms(this, [CHROMIUM]);
        expectPictureOf(report, await measureTimelineInChromium(await renderTimelineSvg(timelineSpec(drillTimelineFigures(report)))));
    });

    it("reports the confirmed writes a bare SENTINEL FAILOVER loses, failing the drill when there are any", async () => {
        const report = await runDrill(cluster.plan(), cluster.credentials, {
            timeoutMs: 30_000,
            sampleSize: 20,
            probeIntervalMs: 2,
            method: "sentinel",
        });
        console.log(`      sentinel: ${JSON.stringify({ timings: report.timings, writes: report.writes })}`);
        expect(report.newMaster, report.verification.failed.join(", ")).to.be.a("string").and.not.equal(report.oldMaster);
        // Writes a non-promoted replica confirmed can be lost here: the drill must say so, and only that.
        expect(
            report.verification.failed.filter((f) => f !== "drill.confirmed_writes_lost"),
            JSON.stringify(report, null, 2),
        ).to.deep.equal([]);
        expect(report.writes.confirmed).to.be.greaterThan(10);
        const lostCheck = report.verification.checks.find((c) => c.name === "drill.confirmed_writes_lost");
        expect(lostCheck?.ok).to.equal(report.writes.confirmedLost === 0);
        expect(report.ok).to.equal(report.writes.confirmedLost === 0);
        expect(report.timings.writesResumedMs).to.be.a("number");
        expect(report.timings.oldMasterRejoinedMs).to.be.a("number");
        const names = report.verification.checks.map((c) => c.name);
        expect(names).to.include.members(["drill.marker", "drill.warmed_keys", `drill.${report.oldMaster}.rejoined`]);
        expect(report.verification.checks.find((c) => c.name === "drill.warmed_keys")?.actual).to.equal("20 of 20 with their TTL");
        expect(JSON.stringify(report)).to.not.include(cluster.credentials.redisPassword);
    });

    it("refuses, changing nothing, when a Sentinel does not answer", async () => {
        const plan = cluster.plan();
        const missing = { name: "sentinel-9", kind: "sentinel", announced: "127.0.0.1:22299", host: "127.0.0.1", port: 22299 } as const;
        const broken = { ...plan, servers: [...plan.servers, missing] };
        const masterBefore = await cluster
            .client(sentinelsOf(plan)[0].port, cluster.credentials.sentinelPassword)
            .call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster");
        const err = await runDrill(broken, cluster.credentials, { timeoutMs: 5_000, sampleSize: 5, probeIntervalMs: 2 }).catch(
            (e: unknown) => e,
        );
        expect(err).to.be.instanceOf(DrillRefused);
        expect((err as DrillRefused).kind).to.equal("precondition");
        expect((err as Error).message).to.match(/sentinel-9: no answer/);
        const masterAfter = await cluster
            .client(sentinelsOf(plan)[0].port, cluster.credentials.sentinelPassword)
            .call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster");
        expect(masterAfter).to.deep.equal(masterBefore);
    });
});
