// Faults of issue 8 shared by the fault suite (tests/live/faults.test.ts, a plain stack) and the
// users+TLS suite (tests/live/tls.test.ts): both inject the same fault and assert the same things,
// so a stack with users and TLS is held to exactly what the plain stack is held to (issue 17).
import { expect } from "chai";
import Redis from "ioredis";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { writeJsonlSnapshots } from "../../../bench/snapshot";
import { VerificationReport } from "../../../ops/verify/report";
import { verify, verifyUntilSettled } from "../../../ops/verify/verifier";
import { runWarm } from "../../../ops/warm/run";
import { CACHE_KEY_KINDS, cacheKeyGlob } from "../../../settings/cache-keys";
import { ConfirmedWriter, formatWriterReport, WriterReport } from "./confirmed-writer";
import { infoFields, LiveCluster } from "./live-cluster";
import { waitFor } from "./wait";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts a container that may already be running (HTTP 304 from the Engine is not an error). */
export const started = (p: Promise<unknown>) =>
    p.catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 304) throw err;
    });

/** One suite's way of running faults on its cluster. */
export interface FaultRun {
    readonly cluster: LiveCluster;
    /**
     * A new writer, not started: on a plain stack the stack password's, on a users+TLS stack the
     * app's own user and certificate (what an application would lose writes through).
     */
    readonly writer: () => ConfirmedWriter;
    /** How the suite's lines begin (`fault`, `tls`): docs/faults.md's table is read from them. */
    readonly label: string;
    /**
     * Called with the servers a case is about to stop, kill or restart, before its writer starts:
     * what their process holds in memory (its ACL LOG) goes with it, so the users+TLS suite reads it here.
     */
    readonly beforeStopping?: (servers: readonly string[]) => Promise<void>;
}

/** Every container running again, whatever a failed case left behind. */
export async function everyContainerRunning(cluster: LiveCluster): Promise<void> {
    for (const name of [...cluster.nodeNames, ...cluster.sentinelNames]) {
        const c = cluster.container(name);
        const state = (await c.inspect()).State;
        if (state.Paused) await c.unpause();
        else if (!state.Running) await started(c.start());
    }
}

/** Confirmed batches a writer must have before a fault: the time before the fault that its outage is measured from. */
const BATCHES_BEFORE_FAULT = 20;

/** A writer started, with BATCHES_BEFORE_FAULT batches confirmed (or stopped, and the case failed, within waitFor's deadline). */
export async function startWriter(run: FaultRun): Promise<ConfirmedWriter> {
    const writer = run.writer().start();
    await waitFor(`the writer's first ${BATCHES_BEFORE_FAULT} confirmed batches`, async () =>
        writer.confirmedSince(0) >= BATCHES_BEFORE_FAULT ? true : undefined,
    ).catch(async (err: unknown) => {
        await writer.stop().catch(() => undefined);
        throw err;
    });
    return writer;
}

/**
 * Removes the keys `<prefix>:*` from the master, as the tools' user, when they are of the cache's
 * patterns: an app's writer must write such keys, they have no TTL, and the verifier would take
 * them for badly warmed keys.
 */
export async function removeCacheKeysOf(cluster: LiveCluster, prefix: string): Promise<void> {
    if (!CACHE_KEY_KINDS.some((kind) => prefix.startsWith(cacheKeyGlob(kind).slice(0, -1)))) return;
    // The master the running Sentinels name: a case may have some stopped (one or two Sentinels).
    const running: string[] = [];
    for (const name of cluster.sentinelNames) if ((await cluster.container(name).inspect()).State.Running) running.push(name);
    await unlinkMatching(cluster.direct(cluster.nodeAt(await cluster.agreedMaster(30_000, running))), `${prefix}:*`);
}

export async function unlinkMatching(client: Redis, pattern: string): Promise<void> {
    let cursor = "0";
    do {
        const [next, keys] = await client.scan(cursor, "MATCH", pattern, "COUNT", 1000);
        if (keys.length) await client.unlink(...keys);
        cursor = next;
    } while (cursor !== "0");
}

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

/**
 * Waits until writes flow again after the fault at `faultAt` (a failover needs a few seconds to
 * start: at least `observeMs` pass first, then confirmed batches for 2 s without a pause),
 * stops the writer and checks what it saw: 0 confirmed writes lost. Returns how long
 * confirmed writes stopped.
 */
export async function finish(
    run: FaultRun,
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
    ).catch(async (err: unknown) => {
        // A writer left running keeps mocha's process alive after the run (the CI run at 2b8cf8d
        // hung after its report): stop it, then fail.
        await writer.stop().catch(() => undefined);
        throw err;
    });
    const outageMs = writer.outageAfter(faultAt) ?? Infinity;
    const report = await writer.stop();
    console.log(`      ${run.label}: ${fault}: confirmed writes stopped for ${outageMs} ms; ${formatWriterReport(report)}`);
    expect(report.confirmed, "the writer confirmed writes").to.be.greaterThan(0);
    expect(report.lostConfirmed, "confirmed writes lost").to.equal(0);
    await removeCacheKeysOf(run.cluster, writer.prefix);
    return { ...report, outageMs };
}

/** One master with every replica linked, every Sentinel naming it, and the verifier passing. */
export async function expectHealthy(cluster: LiveCluster): Promise<string> {
    const master = await cluster.settled(90_000);
    const report = await verifyUntilSettled(cluster.plan(), cluster.credentials, {}, 60);
    expect(report.ok, `verification failed: ${report.failed.join(", ")}`).to.equal(true);
    return master;
}

/**
 * Writes `SET` to `node` directly (as the tools' login, over TLS on a TLS stack), as fast as it
 * answers, from before it starts until `until` resolves: what a client still holding the old
 * master's address would get.
 */
async function directWritesDuring(
    cluster: LiveCluster,
    node: string,
    until: Promise<unknown>,
): Promise<{ ok: number; refused: Map<string, number> }> {
    const client = new Redis({
        ...cluster.directOptions(node),
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
export async function restartOldMasterRefusingWrites(cluster: LiveCluster, oldMaster: string): Promise<void> {
    let rejoined!: () => void;
    const rejoin = new Promise<void>((r) => (rejoined = r));
    const direct = directWritesDuring(cluster, oldMaster, rejoin);
    await started(cluster.container(oldMaster).start());
    await cluster.settled(90_000);
    // Keep hammering a little after it is a linked replica again.
    await sleep(1000);
    rejoined();
    const { ok, refused } = await direct;
    console.log(`      old master ${oldMaster} back: direct writes accepted ${ok}, refused ${JSON.stringify(Object.fromEntries(refused))}`);
    expect(ok, `writes ${oldMaster} accepted while it rejoined`).to.equal(0);
    expect(refused.get("READONLY") ?? 0, "the direct client reached the rejoined node").to.be.greaterThan(0);
    expect(infoFields(await cluster.direct(oldMaster).info("replication")).role).to.equal("slave");
}

/** The master's container stopped (SIGTERM: its hand-over runs first); started again, the old master refuses every write. */
export async function masterStopped(run: FaultRun): Promise<void> {
    const { cluster } = run;
    const master = await cluster.settled();
    await run.beforeStopping?.([master]);
    const writer = await startWriter(run);
    const at = Date.now();
    await cluster.container(master).stop({ t: 30 });
    // The fault first: the container stopped and the Sentinels moved the master.
    await cluster.faultShows(master, "stopped");
    const moved = await cluster.masterMovedFrom(master);
    await finish(run, "master container stopped", writer, at);
    await restartOldMasterRefusingWrites(cluster, master);
    expect(await expectHealthy(cluster)).to.equal(moved);
}

/**
 * The master cut off from the network: the majority side promotes a replica, the cut-off master
 * stops taking writes within min-replicas-max-lag, reconnected it is a replica and what it took
 * while cut off is gone.
 */
export async function masterCutOff(run: FaultRun): Promise<void> {
    const { cluster } = run;
    const master = await cluster.settled();
    const container = cluster.container(master);
    const [networkName, endpoint] = Object.entries((await container.inspect()).NetworkSettings.Networks)[0];
    const network = cluster.docker.getNetwork(networkName);
    const maxLagSeconds = Number(cluster.plan().expected.redisConfig["min-replicas-max-lag"]);
    const writer = await startWriter(run);
    const at = Date.now();
    // What a client inside the cut-off side gets: one SET then WAIT 1, every 500 ms, through
    // redis-cli in the container (its published port is cut off too), logged in as the scripts are.
    const cli = cluster.redisCliInContainer();
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
                ["sh", "-c", `printf 'SET cut:${i} x\\nWAIT 1 100\\n' | "$@"`, "sh", ...cli.argv],
                cli.env,
            );
            const [set = "", wait = ""] = out.trim().split("\n");
            inside.push({ t: Date.now() - at, set, wait });
            await sleep(500);
        }
        await finish(run, "master cut off from the network", writer, at);
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
    const now = await expectHealthy(cluster);
    expect(now).to.not.equal(master);
    expect(infoFields(await cluster.direct(master).info("replication")).role).to.equal("slave");
    // What it acknowledged while cut off was never confirmed, and is gone: the new master's history won.
    const fresh = cluster.direct(now);
    for (const i of inside.keys()) if (inside[i].set === "OK") expect(await fresh.exists(`cut:${i}`), `cut:${i}`).to.equal(0);
}

/** Every container restarted at once: one master, data from RDB/AOF, the verifier passes. */
export async function everyContainerRestarted(run: FaultRun): Promise<void> {
    const { cluster } = run;
    await cluster.settled();
    const names = [...cluster.nodeNames, ...cluster.sentinelNames];
    await run.beforeStopping?.(names);
    const writer = await startWriter(run);
    const at = Date.now();
    const startedBefore = await Promise.all(names.map((n) => cluster.startedAt(n)));
    await Promise.all(names.map((n) => cluster.container(n).restart({ t: 30 })));
    await Promise.all(names.map((n, i) => cluster.faultShows(n, "restarted", startedBefore[i])));
    await finish(run, "every container restarted at once", writer, at);
    await expectHealthy(cluster);
}

/** The master paused (a hung process): a replica is promoted; unpaused, the old master rejoins as a replica. */
export async function masterPaused(run: FaultRun): Promise<void> {
    const { cluster } = run;
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
}

/** The master's redis-server process killed from the host: the restart policy brings it back, no write confirmed is lost. */
export async function masterProcessKilled(run: FaultRun): Promise<void> {
    const { cluster } = run;
    const master = await cluster.settled();
    const container = cluster.container(master);
    const { StartedAt } = (await container.inspect()).State;
    const { Processes } = (await container.top()) as { Processes: string[][] };
    // Docker's `top` columns: UID PID PPID ...; PID is the host's.
    const server = Processes.find((row) => row.some((col) => /redis-server/.test(col)));
    expect(server, "redis-server in the master's container").to.not.equal(undefined);
    await run.beforeStopping?.([master]);
    const writer = await startWriter(run);
    const at = Date.now();
    process.kill(Number(server?.[1]), "SIGKILL");
    // The fault first: Docker restarted the container (a new StartedAt), so the process did die.
    await cluster.faultShows(master, "restarted", StartedAt);
    await finish(run, "master's process killed (restart policy)", writer, at);
    await expectHealthy(cluster);
}

/** One Sentinel stopped, then the master killed: the two running Sentinels still fail over. */
export async function oneSentinelStopped(run: FaultRun): Promise<void> {
    const { cluster } = run;
    const [down] = cluster.sentinelNames.slice(-1);
    const running = cluster.sentinelNames.filter((s) => s !== down);
    await run.beforeStopping?.([down]);
    await cluster.container(down).stop({ t: 5 });
    await cluster.faultShows(down, "stopped");
    const master = await cluster.settled(60_000, running);
    await run.beforeStopping?.([master]);
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
}

/** Two Sentinels stopped: no failover, the verifier fails its quorum check; restarted, quorum is back. */
export async function twoSentinelsStopped(run: FaultRun): Promise<void> {
    const { cluster } = run;
    const down = cluster.sentinelNames.slice(-2);
    const master = await cluster.settled();
    await run.beforeStopping?.(down);
    for (const s of down) await cluster.container(s).stop({ t: 5 });
    for (const s of down) await cluster.faultShows(s, "stopped");
    // The running Sentinel counts the stopped ones as usable until they have been silent for
    // down-after-milliseconds; the verifier fails on their reachability at once, on quorum then.
    const quorumCheck = `sentinel.${cluster.sentinelNames[0]}.ckquorum`;
    const report: VerificationReport = await waitFor("the verifier to see no quorum", async () => {
        const r = await verify(cluster.plan(), cluster.credentials);
        return r.failed.includes(quorumCheck) ? r : undefined;
    });
    expect(report.ok).to.equal(false);
    const quorum = report.checks.find((c) => c.name === quorumCheck);
    console.log(`      two Sentinels down: verifier failed ${report.failed.join(", ")}; ${quorum?.name}: ${quorum?.actual}`);
    expect(report.failed).to.include("sentinel.count");
    expect(quorum?.ok).to.equal(false);
    expect(quorum?.actual).to.match(/NOQUORUM.*majority/);

    await run.beforeStopping?.([master]);
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
}

/** A replica killed and restarted: it resyncs and the verifier passes. */
export async function replicaKilled(run: FaultRun): Promise<void> {
    const { cluster } = run;
    const master = await cluster.settled();
    const replica = cluster.nodeNames.find((n) => n !== master) ?? "";
    await run.beforeStopping?.([replica]);
    const writer = await startWriter(run);
    const at = Date.now();
    await cluster.container(replica).kill({ signal: "SIGKILL" });
    await cluster.faultShows(replica, "stopped");
    await sleep(2000);
    await started(cluster.container(replica).start());
    await cluster.settled(90_000);
    await finish(run, "replica killed and restarted", writer, at);
    expect(await expectHealthy(cluster)).to.equal(master);
}

/**
 * The warmer (through Sentinel, as the tools' login: over TLS with their certificate on a TLS
 * stack) run with the master killed under it: it completes, and every key it reported written is
 * on the new master.
 */
export async function warmerDuringFailover(run: FaultRun): Promise<void> {
    const { cluster } = run;
    const dir = mkdtempSync(path.join(tmpdir(), "appscreens-fault-warm-"));
    try {
        const files = { appstore: path.join(dir, "appstore.jsonl"), playstore: path.join(dir, "playstore.jsonl") };
        // 5,000 apps per store (20,000 keys) stay well under the test stack's maxmemory.
        await writeJsonlSnapshots(files, 5000);
        const warmPlan = cluster.plan({
            cluster: {
                warmer: { appstore: { kind: "file", path: files.appstore }, playstore: { kind: "file", path: files.playstore } },
            },
        });
        const master = await cluster.settled();
        const before = cluster.direct(master);
        for (const pattern of ["screenshots:*", "metadata:*"]) await unlinkMatching(before, pattern);
        await run.beforeStopping?.([master]);

        const warming = runWarm(warmPlan, cluster.credentials, { force: true, vantage: "host" });
        warming.catch(() => undefined); // awaited below, after the fault's checks: no unhandled rejection meanwhile
        await sleep(300);
        const at = Date.now();
        await cluster.container(master).kill({ signal: "SIGKILL" });
        // The fault first, while the warmer runs: the container stopped and the master moved.
        await cluster.faultShows(master, "stopped");
        const moved = await cluster.masterMovedFrom(master);
        const report = await warming;
        console.log(
            `      ${run.label}: warmer during a failover: ok ${report.ok}, ${report.keysWritten} keys in ${report.durationMs} ms, failover ${Date.now() - at} ms before it ended; reconciliation ${JSON.stringify(report.reconciliation)}`,
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
}
