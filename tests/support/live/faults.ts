// Faults of issue 8 shared by the fault suite (tests/live/faults.test.ts, a plain stack) and the
// users+TLS suite (tests/live/tls.test.ts): both inject the same fault and assert the same things,
// so a stack with users and TLS is held to exactly what the plain stack is held to (issue 17).
import { expect } from "chai";
import Redis from "ioredis";
import { verifyUntilSettled } from "../../../ops/verify/verifier";
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

export async function startWriter(run: FaultRun): Promise<ConfirmedWriter> {
    const writer = run.writer().start();
    await waitFor("the writer's first confirmed batch", async () => (writer.confirmedSince(0) > 0 ? true : undefined));
    await sleep(1000);
    return writer;
}

/**
 * An app's writer must write keys of the cache's patterns; they have no TTL, and the verifier would
 * take them for badly warmed keys. Removed by the tools' user once the writer has read them back.
 */
async function removeCacheKeysOf(cluster: LiveCluster, writer: ConfirmedWriter): Promise<void> {
    if (!CACHE_KEY_KINDS.some((kind) => writer.prefix.startsWith(cacheKeyGlob(kind).slice(0, -1)))) return;
    const master = cluster.direct(cluster.nodeAt(await cluster.agreedMaster()));
    let cursor = "0";
    do {
        const [next, keys] = await master.scan(cursor, "MATCH", `${writer.prefix}:*`, "COUNT", 1000);
        if (keys.length) await master.unlink(...keys);
        cursor = next;
    } while (cursor !== "0");
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
    await removeCacheKeysOf(run.cluster, writer);
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
    const writer = await startWriter(run);
    const at = Date.now();
    const names = [...cluster.nodeNames, ...cluster.sentinelNames];
    const startedBefore = await Promise.all(names.map((n) => cluster.startedAt(n)));
    await Promise.all(names.map((n) => cluster.container(n).restart({ t: 30 })));
    await Promise.all(names.map((n, i) => cluster.faultShows(n, "restarted", startedBefore[i])));
    await finish(run, "every container restarted at once", writer, at);
    await expectHealthy(cluster);
}
