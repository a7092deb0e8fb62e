// Issue 8's faults, each injected for real on the test stack while a WAIT-confirmed writer runs
// through Sentinel. Every case asserts that no confirmed write was lost, that one master remains
// with every Sentinel naming it, and that the verifier passes; each prints one `fault:` line
// (time to recover, writes kept and lost) that docs/faults.md's table is built from. The faults a
// users+TLS stack runs too (tests/live/tls.test.ts) live in tests/support/live/faults.ts.
import { expect } from "chai";
import Redis from "ioredis";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { writeJsonlSnapshots } from "../../bench/snapshot";
import { runWarm } from "../../ops/warm/run";
import { PostDeployPlan } from "../../contracts/plan";
import { VerificationReport } from "../../ops/verify/report";
import { verify } from "../../ops/verify/verifier";
import { ConfirmedWriter } from "../support/live/confirmed-writer";
import {
    everyContainerRestarted,
    everyContainerRunning,
    expectHealthy,
    FaultRun,
    finish,
    masterCutOff,
    masterStopped,
    restartOldMasterRefusingWrites,
    sleep,
    started,
    startWriter,
} from "../support/live/faults";
import { infoFields, testPlan } from "../support/live/live-cluster";
import { useLiveCluster } from "../support/live/use-live-cluster";
import { waitFor } from "../support/live/wait";

describe("live: faults, each injected with a WAIT-confirmed writer running", function () {
    this.timeout(300_000);
    // A failed case prints what the servers logged during it (an all-restart loss went unexplained
    // without them); the fixture's afterEach runs before the one below that restarts containers.
    const cluster = useLiveCluster(this, { logsOnFailure: true });
    let plan: PostDeployPlan;
    const credentials = () => cluster.credentials;
    const run: FaultRun = {
        cluster,
        writer: () => new ConfirmedWriter(cluster.outputs, cluster.outputs.redisPassword),
        label: "fault",
    };

    before(() => {
        plan = testPlan();
    });

    /** Every container running again, whatever a failed case left behind. */
    afterEach(() => everyContainerRunning(cluster));

    it("master container stopped (SIGTERM: the hand-over runs first)", () => masterStopped(run));

    it("master container killed with SIGKILL; the old master, started again, refuses every write", async () => {
        const master = await cluster.settled();
        const writer = await startWriter(run);
        const at = Date.now();
        await cluster.container(master).kill({ signal: "SIGKILL" });
        await cluster.faultShows(master, "stopped");
        const moved = await cluster.masterMovedFrom(master);
        await finish(run, "master killed (SIGKILL)", writer, at);
        await restartOldMasterRefusingWrites(cluster, master);
        expect(await expectHealthy(cluster)).to.equal(moved);
    });

    it("master paused (a hung process): a replica is promoted; unpaused, the old master rejoins as a replica", async () => {
        const master = await cluster.settled();
        const writer = await startWriter(run);
        const at = Date.now();
        await cluster.container(master).pause();
        let moved: string;
        try {
            await cluster.faultShows(master, "paused");
            moved = await cluster.masterMovedFrom(master);
            await finish(run, "master paused", writer, at);
        } finally {
            await cluster.container(master).unpause();
        }
        expect(await expectHealthy(cluster)).to.equal(moved);
        expect(infoFields(await cluster.direct(master).info("replication")).role).to.equal("slave");
    });

    it("master's redis-server process killed from the host: the restart policy brings it back, no write confirmed is lost", async () => {
        const master = await cluster.settled();
        const container = cluster.container(master);
        const { StartedAt } = (await container.inspect()).State;
        const { Processes } = (await container.top()) as { Processes: string[][] };
        // Docker's `top` columns: UID PID PPID ...; PID is the host's.
        const server = Processes.find((row) => row.some((col) => /redis-server/.test(col)));
        expect(server, "redis-server in the master's container").to.not.equal(undefined);
        const writer = await startWriter(run);
        const at = Date.now();
        process.kill(Number(server?.[1]), "SIGKILL");
        // The fault first: Docker restarted the container (a new StartedAt), so the process did die.
        await cluster.faultShows(master, "restarted", StartedAt);
        await finish(run, "master's process killed (restart policy)", writer, at);
        await expectHealthy(cluster);
    });

    it("master cut off from the network: the majority side promotes a replica, the cut-off master stops taking writes, reconnected it is a replica", () =>
        masterCutOff(run));

    it("one Sentinel stopped: a failover still happens", async () => {
        const [down] = cluster.sentinelNames.slice(-1);
        const running = cluster.sentinelNames.filter((s) => s !== down);
        await cluster.container(down).stop({ t: 5 });
        await cluster.faultShows(down, "stopped");
        const master = await cluster.settled(60_000, running);
        const writer = await startWriter(run);
        const at = Date.now();
        await cluster.container(master).kill({ signal: "SIGKILL" });
        await cluster.faultShows(master, "stopped");
        const moved = await cluster.masterMovedFrom(master, 60_000, running);
        expect(moved, "the two running Sentinels failed over").to.not.equal(master);
        await finish(run, "master killed with one Sentinel stopped", writer, at);
        await started(cluster.container(down).start());
        await started(cluster.container(master).start());
        expect(await expectHealthy(cluster)).to.not.equal(master);
    });

    it("two Sentinels stopped: no failover, the verifier fails its quorum check; restarted, quorum is back", async () => {
        const down = cluster.sentinelNames.slice(-2);
        const master = await cluster.settled();
        for (const s of down) await cluster.container(s).stop({ t: 5 });
        for (const s of down) await cluster.faultShows(s, "stopped");
        // The running Sentinel counts the stopped ones as usable until they have been silent for
        // down-after-milliseconds; the verifier fails on their reachability at once, on quorum then.
        const quorumCheck = `sentinel.${cluster.sentinelNames[0]}.ckquorum`;
        const report: VerificationReport = await waitFor("the verifier to see no quorum", async () => {
            const r = await verify(plan, credentials());
            return r.failed.includes(quorumCheck) ? r : undefined;
        });
        expect(report.ok).to.equal(false);
        const quorum = report.checks.find((c) => c.name === quorumCheck);
        console.log(`      two Sentinels down: verifier failed ${report.failed.join(", ")}; ${quorum?.name}: ${quorum?.actual}`);
        expect(report.failed).to.include("sentinel.count");
        expect(quorum?.ok).to.equal(false);
        expect(quorum?.actual).to.match(/NOQUORUM.*majority/);

        const writer = await startWriter(run);
        const at = Date.now();
        await cluster.container(master).kill({ signal: "SIGKILL" });
        await cluster.faultShows(master, "stopped");
        // Several times down-after-milliseconds and failover-timeout: long enough for a failover that must not happen.
        await sleep(8000);
        const lone = cluster.direct(cluster.sentinelNames[0]);
        expect(
            cluster.nodeAt(((await lone.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", cluster.outputs.masterName)) as string[]).join(":")),
        ).to.equal(master);
        for (const n of cluster.nodeNames.filter((n) => n !== master)) {
            expect(infoFields(await cluster.direct(n).info("replication")).role, n).to.equal("slave");
        }
        expect(writer.confirmedSince(at + 2000), "no write confirmed while there is no master").to.equal(0);
        // The master comes back (its start script cannot reach a majority of Sentinels, so it
        // trusts its own persisted role), and writes resume without a failover.
        await started(cluster.container(master).start());
        await finish(run, "master killed with two Sentinels stopped (no failover; it came back)", writer, at);
        for (const s of down) await started(cluster.container(s).start());
        expect(await expectHealthy(cluster)).to.equal(master);
    });

    it("a replica killed and restarted: it resyncs and the verifier passes", async () => {
        const master = await cluster.settled();
        const replica = cluster.nodeNames.find((n) => n !== master) ?? "";
        const writer = await startWriter(run);
        const at = Date.now();
        await cluster.container(replica).kill({ signal: "SIGKILL" });
        await cluster.faultShows(replica, "stopped");
        await sleep(2000);
        await started(cluster.container(replica).start());
        await cluster.settled(90_000);
        await finish(run, "replica killed and restarted", writer, at);
        expect(await expectHealthy(cluster)).to.equal(master);
    });

    it("every container restarted at once: one master, data from RDB/AOF, the verifier passes", () => everyContainerRestarted(run));

    it("the warmer run during a failover completes, and every key it reported written is on the new master", async () => {
        const dir = mkdtempSync(path.join(tmpdir(), "appscreens-fault-warm-"));
        try {
            const files = { appstore: path.join(dir, "appstore.jsonl"), playstore: path.join(dir, "playstore.jsonl") };
            // 5,000 apps per store (20,000 keys) stay well under the test stack's maxmemory.
            await writeJsonlSnapshots(files, 5000);
            const warmPlan = testPlan({
                cluster: {
                    warmer: { appstore: { kind: "file", path: files.appstore }, playstore: { kind: "file", path: files.playstore } },
                },
            });
            const master = await cluster.settled();
            const before = cluster.direct(master);
            for (const pattern of ["screenshots:*", "metadata:*"]) await unlinkMatching(before, pattern);

            const run = runWarm(warmPlan, credentials(), { force: true, vantage: "host" });
            run.catch(() => undefined); // awaited below, after the fault's checks: no unhandled rejection meanwhile
            await sleep(300);
            const at = Date.now();
            await cluster.container(master).kill({ signal: "SIGKILL" });
            // The fault first, while the warmer runs: the container stopped and the master moved.
            await cluster.faultShows(master, "stopped");
            const moved = await cluster.masterMovedFrom(master);
            const report = await run;
            console.log(
                `      fault: warmer during a failover: ok ${report.ok}, ${report.keysWritten} keys in ${report.durationMs} ms, failover ${Date.now() - at} ms before it ended; reconciliation ${JSON.stringify(report.reconciliation)}`,
            );
            expect(report.ok, report.problems.join("; ")).to.equal(true);
            expect(report.keysWritten).to.equal(20_000);
            await started(cluster.container(master).start());
            const now = await expectHealthy(cluster);
            expect(now).to.equal(moved);
            const fresh = cluster.direct(now);
            expect((await countMatching(fresh, "screenshots:*")) + (await countMatching(fresh, "metadata:*"))).to.equal(report.keysWritten);
            for (const key of report.keySample) expect(await fresh.exists(key), key).to.equal(1);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});

async function countMatching(client: Redis, pattern: string): Promise<number> {
    let n = 0;
    let cursor = "0";
    do {
        const [next, keys] = await client.scan(cursor, "MATCH", pattern, "COUNT", 1000);
        n += keys.length;
        cursor = next;
    } while (cursor !== "0");
    return n;
}

async function unlinkMatching(client: Redis, pattern: string): Promise<void> {
    let cursor = "0";
    do {
        const [next, keys] = await client.scan(cursor, "MATCH", pattern, "COUNT", 1000);
        if (keys.length) await client.unlink(...keys);
        cursor = next;
    } while (cursor !== "0");
}
