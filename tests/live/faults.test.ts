// Issue 8's faults, each injected for real on the test stack while a WAIT-confirmed writer runs
// through Sentinel. Every case asserts that no confirmed write was lost, that one master remains
// with every Sentinel naming it, and that the verifier passes; each prints one `fault:` line
// (time to recover, writes kept and lost) that docs/faults.md's table is built from. Every fault
// but the SIGKILL of the master (tests/live/tls.test.ts has its own) lives in
// tests/support/live/faults.ts, which the users+TLS suite runs too.
import { expect } from "chai";
import { ConfirmedWriter } from "../support/live/confirmed-writer";
import {
    everyContainerRestarted,
    everyContainerRunning,
    expectHealthy,
    FaultRun,
    finish,
    masterCutOff,
    masterPaused,
    masterProcessKilled,
    masterStopped,
    oneSentinelStopped,
    replicaKilled,
    restartOldMasterRefusingWrites,
    startWriter,
    twoSentinelsStopped,
    warmerDuringFailover,
} from "../support/live/faults";
import { useLiveCluster } from "../support/live/use-live-cluster";

describe("live: faults, each injected with a WAIT-confirmed writer running", function () {
    this.timeout(300_000);
    // A failed case prints what the servers logged during it (an all-restart loss went unexplained
    // without them); the fixture's afterEach runs before the one below that restarts containers.
    const cluster = useLiveCluster(this, { logsOnFailure: true });
    const run: FaultRun = {
        cluster,
        writer: () => new ConfirmedWriter(cluster.outputs, cluster.outputs.redisPassword),
        label: "fault",
    };

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

    it("master paused (a hung process): a replica is promoted; unpaused, the old master rejoins as a replica", () => masterPaused(run));

    it("master's redis-server process killed from the host: the restart policy brings it back, no write confirmed is lost", () =>
        masterProcessKilled(run));

    it("master cut off from the network: the majority side promotes a replica, the cut-off master stops taking writes, reconnected it is a replica", () =>
        masterCutOff(run));

    it("one Sentinel stopped: a failover still happens", () => oneSentinelStopped(run));

    it("two Sentinels stopped: no failover, the verifier fails its quorum check; restarted, quorum is back", () =>
        twoSentinelsStopped(run));

    it("a replica killed and restarted: it resyncs and the verifier passes", () => replicaKilled(run));

    it("every container restarted at once: one master, data from RDB/AOF, the verifier passes", () => everyContainerRestarted(run));

    it("the warmer run during a failover completes, and every key it reported written is on the new master", () =>
        warmerDuringFailover(run));
});
