import { expect } from "chai";
import { settingsFor } from "../../../support/settings";
import { buildPostDeployPlan } from "../../../../contracts/plan";
import { waitUntil, WaitTimeout } from "../../../../ops/deadline";
import { replicaOffsets } from "../../../../ops/cluster/planned-failover";
import { agreedMaster, nodeAnnouncing, nodeAtRemote } from "../../../../ops/redis/sentinels";
import { analyzeProbes, confirmedBuckets, ProbeRecord } from "../../../../ops/drill/probe-writer";
import {
    buildDrillReport,
    DrillObservation,
    drillChecks,
    formatDrillReport,
    summarizeDrill,
    ttlKept,
} from "../../../../ops/drill/drill-report";
import { drillSummarySchema } from "../../../../contracts/report";

const rec = (seq: number, ackAt: number | undefined, replicas: number, server = "127.0.0.1:6379"): ProbeRecord => ({
    seq,
    key: `p:${seq}`,
    sentAt: (ackAt ?? 0) - 1,
    ackAt,
    replicas,
    server,
});

describe("drill: probe analysis", () => {
    const onNew = (s: string | undefined) => s === "127.0.0.1:6380";

    it("measures the longest gap across the failover and when writes came back on the new master", () => {
        const records = [
            rec(0, 900, 1),
            rec(1, 990, 1),
            rec(2, 1200, 1), // old master, after the trigger at 1000: counts for the gap, not for resumed
            rec(3, undefined, 0),
            rec(4, 4200, 1, "127.0.0.1:6380"),
            rec(5, 4300, 1, "127.0.0.1:6380"),
        ];
        const a = analyzeProbes(records, 1000, 5000, onNew, () => true);
        expect(a.longestGapMs).to.equal(3000);
        // The outage window: from the old master's last confirmed write (1200) to the new master's first.
        expect(a.longestGapStartMs).to.equal(200);
        expect(a.writesResumedMs).to.equal(3200);
        expect(a.attempted).to.equal(6);
        expect(a.acknowledged).to.equal(5);
        expect(a.confirmed).to.equal(5);
        expect(a.confirmedLost).to.deep.equal([]);
    });

    it("names confirmed writes missing from the new master and counts unconfirmed losses apart", () => {
        const records = [rec(0, 900, 1), rec(1, 1100, 1), rec(2, 1150, 0), rec(3, 1500, 1, "127.0.0.1:6380")];
        const a = analyzeProbes(records, 1000, 2000, onNew, (k) => k !== "p:1" && k !== "p:2");
        expect(a.confirmedLost).to.deep.equal([1]);
        expect(a.unconfirmedLost).to.equal(1);
    });

    it("counts the gap to the end of the drill when writes never came back", () => {
        const a = analyzeProbes([rec(0, 900, 1), rec(1, undefined, 0)], 1000, 61_000, onNew, () => true);
        expect(a.longestGapMs).to.equal(60_100);
        expect(a.longestGapStartMs).to.equal(-100);
        expect(a.writesResumedMs).to.equal(undefined);
    });

    it("counts confirmed writes per 100 ms, buckets aligned on the trigger, up to the end of the drill", () => {
        const records = [rec(0, 905, 1), rec(1, 999, 1), rec(2, 1000, 1), rec(3, 1050, 0), rec(4, 1320, 1, "127.0.0.1:6380")];
        expect(analyzeProbes(records, 1000, 1450, onNew, () => true).confirmedPerBucket).to.deep.equal({
            bucketMs: 100,
            firstBucketMs: -100,
            // [-100,0): 905 and 999; [0,100): 1000 (the unconfirmed 1050 is not counted); [300,400): 1320; [400,500): the end
            counts: [2, 1, 0, 0, 1, 0],
        });
    });

    it("gives no buckets when nothing was confirmed, and a first bucket of 0 (never -0) at the trigger", () => {
        expect(confirmedBuckets([], 1000, 5000)).to.deep.equal({ bucketMs: 100, firstBucketMs: 0, counts: [] });
        expect(Object.is(confirmedBuckets([1000], 1000, 1000).firstBucketMs, 0)).to.equal(true);
        expect(confirmedBuckets([1000, 1001], 1000, 1000, 50)).to.deep.equal({ bucketMs: 50, firstBucketMs: 0, counts: [2] });
    });
});

describe("drill: checks and report", () => {
    const base: DrillObservation = {
        oldMaster: { name: "redis-0", announced: "10.0.0.10:6379" },
        newMaster: { name: "redis-1", announced: "10.0.0.11:6379" },
        marker: { key: "m", expected: "abc", actual: "abc" },
        sample: [
            { key: "screenshots:a", ttlBefore: 100, ttlAfter: 95 },
            { key: "metadata:b", ttlBefore: -1, ttlAfter: -1 },
        ],
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
    };
    const failed = (o: DrillObservation) =>
        drillChecks(o)
            .filter((c) => !c.ok)
            .map((c) => c.name);

    it("passes a clean failover", () => {
        expect(failed(base)).to.deep.equal([]);
    });

    it("fails each broken promise by name", () => {
        expect(failed({ ...base, newMaster: base.oldMaster })).to.include("drill.master_moved");
        expect(failed({ ...base, marker: { ...base.marker, actual: null } })).to.deep.equal(["drill.marker"]);
        expect(failed({ ...base, probes: { ...base.probes, confirmedLost: [4] } })).to.deep.equal(["drill.confirmed_writes_lost"]);
        expect(failed({ ...base, probes: { ...base.probes, writesResumedMs: undefined } })).to.deep.equal(["drill.writes_resumed"]);
        expect(failed({ ...base, oldMasterState: { role: "master" } })).to.deep.equal(["drill.redis-0.rejoined"]);
        expect(failed({ ...base, oldMasterState: { role: "slave", following: "10.0.0.11:6379", link: "down" } })).to.deep.equal([
            "drill.redis-0.rejoined",
        ]);
        expect(failed({ ...base, sentinelsAfter: base.sentinelsAfter.slice(0, 2) })).to.deep.equal(["drill.sentinel_agreement"]);
        expect(failed({ ...base, sentinelsFlaggingOldMaster: ["s2"] })).to.deep.equal(["drill.sentinels_see_old_master_up"]);
        expect(failed({ ...base, sample: [{ key: "k", ttlBefore: 100, ttlAfter: -2 }] })).to.deep.equal(["drill.warmed_keys"]);
        expect(failed({ ...base, failoverError: "NOGOODSLAVE No suitable replica to promote" })).to.deep.equal(["drill.failover_sent"]);
    });

    it("turns each unfinished wait into a failed check that names it", () => {
        const checks = drillChecks({ ...base, unfinished: ["the Sentinels agreeing on a new master did not finish within 60.0 s"] });
        const deadline = checks.filter((c) => c.name === "drill.deadline");
        expect(deadline).to.have.length(1);
        expect(deadline[0].ok).to.equal(false);
        expect(deadline[0].actual).to.match(/Sentinels agreeing.*did not finish within 60/);
    });

    it("keeps a TTL only when the key is there and its expiry neither vanished nor grew", () => {
        expect(ttlKept({ key: "k", ttlBefore: 100, ttlAfter: 100 })).to.equal(true);
        expect(ttlKept({ key: "k", ttlBefore: 100, ttlAfter: -1 })).to.equal(false);
        expect(ttlKept({ key: "k", ttlBefore: 100, ttlAfter: 101 })).to.equal(false);
        expect(ttlKept({ key: "k", ttlBefore: -1, ttlAfter: -1 })).to.equal(true);
        expect(ttlKept({ key: "k", ttlBefore: -1, ttlAfter: -2 })).to.equal(false);
    });

    it("reports figures and checks, for a terminal and as JSON", () => {
        const report = buildDrillReport("dev", new Date(0), "handover", base, {
            longestWriteGapMs: 1200,
            longestWriteGapStartMs: -100,
            writesResumedMs: 1500,
        });
        expect(report.ok).to.equal(true);
        expect(report.newMaster).to.equal("redis-1");
        const text = formatDrillReport(report);
        expect(text).to.match(/redis-0 -> redis-1/);
        expect(text).to.match(/writes confirmed again \(new master\)\s+1\.50 s/);
        expect(text).to.match(/old master rejoined as a replica\s+did not finish/);
        expect(text).to.match(/PASSED/);
    });

    it("summarises the report for the stack output: its figures and only the failed checks, as the report's schema says", () => {
        const broken = { ...base, marker: { ...base.marker, actual: null } };
        const report = buildDrillReport("dev", new Date(0), "sentinel", broken, { longestWriteGapMs: 1200, longestWriteGapStartMs: -100 });
        const summary = summarizeDrill(report);
        expect(drillSummarySchema.parse(JSON.parse(JSON.stringify(summary)))).to.deep.equal(JSON.parse(JSON.stringify(summary)));
        expect(summary).to.include({
            ok: false,
            method: "sentinel",
            oldMaster: "redis-0",
            newMaster: "redis-1",
            summary: report.verification.summary,
        });
        expect(summary.failed.map((c) => c.name)).to.deep.equal(["drill.marker"]);
        expect(summary.writes).to.deep.equal(report.writes);
    });
});

describe("drill: Sentinel answers and node lookup", () => {
    const plan = buildPostDeployPlan(settingsFor({}, "dev"));

    it("agrees only when every expected Sentinel names the same master", () => {
        const a = (name: string, masterAddress?: string) => ({ name, masterAddress, error: masterAddress ? undefined : "refused" });
        expect(agreedMaster([a("s0", "x:1"), a("s1", "x:1"), a("s2", "x:1")], 3)).to.equal("x:1");
        expect(agreedMaster([a("s0", "x:1"), a("s1", "y:1"), a("s2", "x:1")], 3)).to.equal(undefined);
        expect(agreedMaster([a("s0", "x:1"), a("s1", "x:1"), a("s2")], 3)).to.equal(undefined);
    });

    it("finds nodes by announced address and by the published port a socket reached", () => {
        expect(nodeAnnouncing(plan, "172.28.0.11:6379")?.name).to.equal("redis-1");
        expect(nodeAnnouncing(plan, "172.28.0.99:6379")).to.equal(undefined);
        expect(nodeAtRemote(plan, "127.0.0.1:6381")?.name).to.equal("redis-2");
        expect(nodeAtRemote(plan, "::ffff:127.0.0.1:6380")?.name).to.equal("redis-1");
        expect(nodeAtRemote(plan, "127.0.0.1:9999")).to.equal(undefined);
    });
});

describe("deadline", () => {
    it("returns the first defined value", async () => {
        let n = 0;
        expect(await waitUntil("n to reach 3", async () => (++n >= 3 ? n : undefined), 1000, 1)).to.equal(3);
    });

    it("fails with a typed timeout naming what did not finish and the last error", async () => {
        const err = await waitUntil(
            "the replica to sync",
            async () => {
                throw new Error("LOADING");
            },
            30,
            5,
        ).catch((e: unknown) => e);
        expect(err).to.be.instanceOf(WaitTimeout);
        expect((err as WaitTimeout).kind).to.equal("timeout");
        expect((err as WaitTimeout).what).to.equal("the replica to sync");
        expect((err as Error).message).to.match(/the replica to sync did not finish within 0\.0 s \(last: LOADING\)/);
    });
});

describe("planned failover: replica offsets from the master's INFO", () => {
    it("reads each replica's address, state and offset", () => {
        const info = {
            role: "master",
            connected_slaves: "2",
            slave0: "ip=10.0.0.11,port=6379,state=online,offset=4242,lag=0",
            slave1: "ip=10.0.0.12,port=6379,state=wait_bgsave,offset=0,lag=1",
            master_repl_offset: "4242",
        };
        expect(replicaOffsets(info)).to.deep.equal([
            { address: "10.0.0.11:6379", state: "online", offset: 4242 },
            { address: "10.0.0.12:6379", state: "wait_bgsave", offset: 0 },
        ]);
        expect(replicaOffsets({ role: "master", connected_slaves: "0" })).to.deep.equal([]);
    });
});
