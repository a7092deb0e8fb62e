// Issue 8's faults, each injected for real on the test stack while a WAIT-confirmed writer runs
// through Sentinel. Every case asserts that no confirmed write was lost, that one master remains
// with every Sentinel naming it, and that the verifier passes; each prints one `fault:` line
// (time to recover, writes kept and lost) that docs/faults.md's table is built from.
import { expect } from "chai";
import Redis from "ioredis";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { writeJsonlSnapshots } from "../../bench/snapshot";
import { runWarm } from "../../ops/warm/run";
import { PostDeployPlan } from "../../contracts/plan";
import { VerificationReport } from "../../ops/verify/report";
import { verify, verifyUntilSettled } from "../../ops/verify/verifier";
import { ConfirmedWriter, formatWriterReport, WriterReport } from "../support/live/confirmed-writer";
import { infoFields, testPlan } from "../support/live/live-cluster";
import { useLiveCluster } from "../support/live/use-live-cluster";
import { waitFor } from "../support/live/wait";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts a container that may already be running (HTTP 304 from the Engine is not an error). */
const started = (p: Promise<unknown>) =>
    p.catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 304) throw err;
    });

describe("live: faults, each injected with a WAIT-confirmed writer running", function () {
    this.timeout(300_000);
    // A failed case prints what the servers logged during it (an all-restart loss went unexplained
    // without them); the fixture's afterEach runs before the one below that restarts containers.
    const cluster = useLiveCluster(this, { logsOnFailure: true });
    let plan: PostDeployPlan;
    const credentials = () => cluster.credentials;

    before(() => {
        plan = testPlan();
    });

    /** Every container running again, whatever a failed case left behind. */
    afterEach(async () => {
        for (const name of [...cluster.nodeNames, ...cluster.sentinelNames]) {
            const c = cluster.container(name);
            const state = (await c.inspect()).State;
            if (state.Paused) await c.unpause();
            else if (!state.Running) await started(c.start());
        }
    });

    async function startWriter(): Promise<ConfirmedWriter> {
        const writer = new ConfirmedWriter(cluster.outputs, cluster.outputs.redisPassword).start();
        await waitFor("the writer's first confirmed batch", async () => (writer.confirmedSince(0) > 0 ? true : undefined));
        await sleep(1000);
        return writer;
    }

    /**
     * Waits until writes flow again after the fault at `faultAt` (a failover needs a few seconds to
     * start: at least `observeMs` pass first, then confirmed batches for 2 s without a pause),
     * stops the writer and checks what it saw: 0 confirmed writes lost. Returns how long
     * confirmed writes stopped.
     */
    async function finish(
        fault: string,
        writer: ConfirmedWriter,
        faultAt: number,
        observeMs = 6000,
    ): Promise<WriterReport & { outageMs: number }> {
        await sleep(Math.max(0, faultAt + observeMs - Date.now()));
        await waitFor(
            `writes confirmed again after: ${fault}`,
            async () => {
                const now = Date.now();
                const flowing = writer.confirmedSince(now - 2000) > 0 && (writer.outageAfter(now - 2000) ?? Infinity) < 1000;
                return flowing && writer.confirmedSince(now - 300) > 0 ? true : undefined;
            },
            90_000,
        );
        const outageMs = writer.outageAfter(faultAt) ?? Infinity;
        const report = await writer.stop();
        console.log(`      fault: ${fault}: confirmed writes stopped for ${outageMs} ms; ${formatWriterReport(report)}`);
        expect(report.confirmed, "the writer confirmed writes").to.be.greaterThan(0);
        expect(report.lostConfirmed, "confirmed writes lost").to.equal(0);
        return { ...report, outageMs };
    }

    /** One master with every replica linked, every Sentinel naming it, and the verifier passing. */
    async function expectHealthy(): Promise<string> {
        const master = await cluster.settled(90_000);
        const report = await verifyUntilSettled(plan, credentials(), {}, 60);
        expect(report.ok, `verification failed: ${report.failed.join(", ")}`).to.equal(true);
        return master;
    }

    /**
     * Writes `SET` to `node` directly, as fast as it answers, from before it starts until `until`
     * resolves: what a client still holding the old master's address would get.
     */
    async function directWritesDuring(node: string, until: Promise<unknown>): Promise<{ ok: number; refused: Map<string, number> }> {
        const client = new Redis({
            host: "127.0.0.1",
            port: cluster.outputs.publishedPorts[node],
            password: cluster.outputs.redisPassword,
            enableOfflineQueue: false,
            maxRetriesPerRequest: 0,
            commandTimeout: 1000,
            retryStrategy: () => 20,
        });
        client.on("error", () => undefined);
        let done = false;
        void until.finally(() => (done = true));
        let ok = 0;
        const refused = new Map<string, number>();
        for (let i = 0; !done; i++) {
            try {
                if ((await client.set(`direct:${node}:${i}`, "x")) === "OK") ok++;
            } catch (err) {
                const kind = (err as Error).message.split(" ")[0];
                refused.set(kind, (refused.get(kind) ?? 0) + 1);
                await sleep(10);
            }
        }
        client.disconnect();
        return { ok, refused };
    }

    /** Starts the old master again while a direct client hammers it: it must refuse every write. */
    async function restartOldMasterRefusingWrites(oldMaster: string): Promise<void> {
        let rejoined!: () => void;
        const rejoin = new Promise<void>((r) => (rejoined = r));
        const direct = directWritesDuring(oldMaster, rejoin);
        await started(cluster.container(oldMaster).start());
        await cluster.settled(90_000);
        // Keep hammering a little after it is a linked replica again.
        await sleep(1000);
        rejoined();
        const { ok, refused } = await direct;
        console.log(
            `      old master ${oldMaster} back: direct writes accepted ${ok}, refused ${JSON.stringify(Object.fromEntries(refused))}`,
        );
        expect(ok, `writes ${oldMaster} accepted while it rejoined`).to.equal(0);
        expect(refused.get("READONLY") ?? 0, "the direct client reached the rejoined node").to.be.greaterThan(0);
        expect(infoFields(await cluster.direct(oldMaster).info("replication")).role).to.equal("slave");
    }

    it("master container stopped (SIGTERM: the hand-over runs first)", async () => {
        const master = await cluster.settled();
        const writer = await startWriter();
        const at = Date.now();
        await cluster.container(master).stop({ t: 30 });
        // The fault first: the container stopped and the Sentinels moved the master.
        await cluster.faultShows(master, "stopped");
        const moved = await cluster.masterMovedFrom(master);
        await finish("master container stopped", writer, at);
        await restartOldMasterRefusingWrites(master);
        expect(await expectHealthy()).to.equal(moved);
    });

    it("master container killed with SIGKILL; the old master, started again, refuses every write", async () => {
        const master = await cluster.settled();
        const writer = await startWriter();
        const at = Date.now();
        await cluster.container(master).kill({ signal: "SIGKILL" });
        await cluster.faultShows(master, "stopped");
        const moved = await cluster.masterMovedFrom(master);
        await finish("master killed (SIGKILL)", writer, at);
        await restartOldMasterRefusingWrites(master);
        expect(await expectHealthy()).to.equal(moved);
    });

    it("master paused (a hung process): a replica is promoted; unpaused, the old master rejoins as a replica", async () => {
        const master = await cluster.settled();
        const writer = await startWriter();
        const at = Date.now();
        await cluster.container(master).pause();
        let moved: string;
        try {
            await cluster.faultShows(master, "paused");
            moved = await cluster.masterMovedFrom(master);
            await finish("master paused", writer, at);
        } finally {
            await cluster.container(master).unpause();
        }
        expect(await expectHealthy()).to.equal(moved);
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
        const writer = await startWriter();
        const at = Date.now();
        process.kill(Number(server?.[1]), "SIGKILL");
        // The fault first: Docker restarted the container (a new StartedAt), so the process did die.
        await cluster.faultShows(master, "restarted", StartedAt);
        await finish("master's process killed (restart policy)", writer, at);
        await expectHealthy();
    });

    it("master cut off from the network: the majority side promotes a replica, the cut-off master stops taking writes, reconnected it is a replica", async () => {
        const master = await cluster.settled();
        const container = cluster.container(master);
        const [networkName, endpoint] = Object.entries((await container.inspect()).NetworkSettings.Networks)[0];
        const network = cluster.docker.getNetwork(networkName);
        const maxLagSeconds = Number(plan.expected.redisConfig["min-replicas-max-lag"]);
        const writer = await startWriter();
        const at = Date.now();
        // What a client inside the cut-off side gets: one SET then WAIT 1, every 500 ms, through
        // redis-cli in the container (its published port is cut off too).
        const inside: { t: number; set: string; wait: string }[] = [];
        await network.disconnect({ Container: container.id });
        try {
            // The fault first: the master is off the network, and the majority side promoted a replica.
            await cluster.cutShows(master);
            const moved = await cluster.masterMovedFrom(master);
            expect(moved, "the majority side promoted a replica").to.not.equal(master);
            for (let i = 0; Date.now() - at < (maxLagSeconds + 4) * 1000; i++) {
                const out = await cluster.exec(
                    master,
                    ["sh", "-c", `printf 'SET cut:${i} x\\nWAIT 1 100\\n' | redis-cli --no-auth-warning`],
                    {
                        REDISCLI_AUTH: cluster.outputs.redisPassword,
                    },
                );
                const [set = "", wait = ""] = out.trim().split("\n");
                inside.push({ t: Date.now() - at, set, wait });
                await sleep(500);
            }
            await finish("master cut off from the network", writer, at);
            const accepted = inside.filter((r) => r.set === "OK");
            const lastAcceptedMs = Math.max(0, ...accepted.map((r) => r.t));
            console.log(
                `      cut-off master: ${accepted.length} writes accepted inside, the last ${lastAcceptedMs} ms after the cut, none confirmed: ${accepted.every((r) => r.wait === "0")}; then ${inside.at(-1)?.set}`,
            );
            // Replicas ack once a second and the master recounts its good replicas once a second
            // (replicationCron), so the last write lands up to about 2 s after max-lag, plus one probe.
            expect(lastAcceptedMs, "the cut-off master stopped taking writes within min-replicas-max-lag").to.be.at.most(
                (maxLagSeconds + 3) * 1000,
            );
            expect(inside.at(-1)?.set).to.match(/NOREPLICAS/);
            expect(
                accepted.map((r) => r.wait).filter((w) => w !== "0"),
                "writes a replica confirmed on the cut-off side",
            ).to.deep.equal([]);
        } finally {
            await network.connect({
                Container: container.id,
                EndpointConfig: { IPAMConfig: endpoint.IPAMConfig, Aliases: endpoint.Aliases },
            });
        }
        const now = await expectHealthy();
        expect(now).to.not.equal(master);
        expect(infoFields(await cluster.direct(master).info("replication")).role).to.equal("slave");
        // What it acknowledged while cut off was never confirmed, and is gone: the new master's history won.
        const fresh = cluster.direct(now);
        for (const i of inside.keys()) if (inside[i].set === "OK") expect(await fresh.exists(`cut:${i}`), `cut:${i}`).to.equal(0);
    });

    it("one Sentinel stopped: a failover still happens", async () => {
        const [down] = cluster.sentinelNames.slice(-1);
        const running = cluster.sentinelNames.filter((s) => s !== down);
        await cluster.container(down).stop({ t: 5 });
        await cluster.faultShows(down, "stopped");
        const master = await cluster.settled(60_000, running);
        const writer = await startWriter();
        const at = Date.now();
        await cluster.container(master).kill({ signal: "SIGKILL" });
        await cluster.faultShows(master, "stopped");
        const moved = await cluster.masterMovedFrom(master, 60_000, running);
        expect(moved, "the two running Sentinels failed over").to.not.equal(master);
        await finish("master killed with one Sentinel stopped", writer, at);
        await started(cluster.container(down).start());
        await started(cluster.container(master).start());
        expect(await expectHealthy()).to.not.equal(master);
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

        const writer = await startWriter();
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
        await finish("master killed with two Sentinels stopped (no failover; it came back)", writer, at);
        for (const s of down) await started(cluster.container(s).start());
        expect(await expectHealthy()).to.equal(master);
    });

    it("a replica killed and restarted: it resyncs and the verifier passes", async () => {
        const master = await cluster.settled();
        const replica = cluster.nodeNames.find((n) => n !== master) ?? "";
        const writer = await startWriter();
        const at = Date.now();
        await cluster.container(replica).kill({ signal: "SIGKILL" });
        await cluster.faultShows(replica, "stopped");
        await sleep(2000);
        await started(cluster.container(replica).start());
        await cluster.settled(90_000);
        await finish("replica killed and restarted", writer, at);
        expect(await expectHealthy()).to.equal(master);
    });

    it("every container restarted at once: one master, data from RDB/AOF, the verifier passes", async () => {
        await cluster.settled();
        const writer = await startWriter();
        const at = Date.now();
        const names = [...cluster.nodeNames, ...cluster.sentinelNames];
        const startedBefore = await Promise.all(names.map((n) => cluster.startedAt(n)));
        await Promise.all(names.map((n) => cluster.container(n).restart({ t: 30 })));
        await Promise.all(names.map((n, i) => cluster.faultShows(n, "restarted", startedBefore[i])));
        await finish("every container restarted at once", writer, at);
        await expectHealthy();
    });

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
            const now = await expectHealthy();
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
