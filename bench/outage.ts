// Shared by the outage benchmarks: a cluster described as a post-deploy plan (the stack's own,
// or one built for the plain-Docker peer), a WAIT-confirmed probe writer through Sentinel, and
// one measured fault.
import Docker from "dockerode";
import { serverLogs } from "../tests/support/server-logs";
import type Redis from "ioredis";
import { Credentials, directSentinel, sentinelClient, withDirectClient } from "../ops/redis/connect";
import { errorMessage, waitUntil } from "../ops/deadline";
import { waitForMasterMoved, waitForSettledCluster } from "../ops/cluster/settle";
import { analyzeProbes, keysPresent, ProbeAnalysis, startProbeWriter } from "../ops/drill/probe-writer";
import { NodeEndpoint, nodesOf, PostDeployPlan, sentinelsOf } from "../contracts/plan";
import { nodeAtRemote } from "../ops/redis/sentinels";
import { SentinelSwitch, watchSentinelSwitches } from "../ops/drill/sentinel-watch";
import { TimelineFigures, timelineSpec } from "../ops/drill/timeline-spec";
import { fileTime, writeReportAndTimeline } from "../ops/drill/timeline-svg";
import { sleep } from "./stats";

export interface BenchCluster {
    readonly label: string;
    readonly plan: PostDeployPlan;
    readonly credentials: Credentials;
    /** Docker container name of each node. */
    readonly containerOf: (node: string) => string;
}

const onNode = <T>(c: BenchCluster, node: NodeEndpoint, use: (r: Redis) => Promise<T>): Promise<T> =>
    withDirectClient(node, c.credentials.redisPassword, use);

/**
 * The master once the cluster has settled (the product's judgement, ops/cluster/settle.ts): every
 * Sentinel names it with no failover in progress, every replica is linked and counted for writes.
 * A fault measured before that could hit a cluster still recovering from the last one.
 */
export async function settledMaster(c: BenchCluster, timeoutMs = 120_000): Promise<NodeEndpoint> {
    return waitForSettledCluster(c.plan, c.credentials, { timeoutMs }).catch((err: unknown) => {
        throw new Error(`${c.label}: ${errorMessage(err)}`);
    });
}

export interface FaultResult {
    readonly master: string;
    readonly newMaster: string;
    /** From the last confirmed write before the fault to the first confirmed write sent after it. */
    readonly outageMs: number;
    /** When that outage began (the last confirmed write before the fault), ms from the fault: 0 or less. */
    readonly outageStartMs: number;
    readonly probes: ProbeAnalysis;
    /** When each Sentinel first named a master other than the faulted one, ms from the fault. */
    readonly sentinelSwitches: readonly SentinelSwitch[];
    /** When, after the recovery, one master had every replica linked again (the faulted node back), ms from the fault. */
    readonly settledMs: number;
}

export interface MeasureOptions {
    readonly timeoutMs?: number;
    /**
     * The fault must cause a failover: the run fails unless every Sentinel names another master
     * (a run without one would measure something else). Off for faults that may or may not fail
     * over, such as a crash the restart policy recovers.
     */
    readonly expectFailover?: boolean;
}

/**
 * Writes through Sentinel (WAIT 1 per write), injects `fault` on the master, and measures until
 * confirmed writes flow again on whichever node is master then; `recover` undoes the fault.
 */
export async function measureFault(
    c: BenchCluster,
    fault: (master: NodeEndpoint) => Promise<void>,
    recover: (master: NodeEndpoint) => Promise<void>,
    options: MeasureOptions = {},
): Promise<FaultResult> {
    const timeoutMs = options.timeoutMs ?? 120_000;
    const master = await settledMaster(c);
    const client = sentinelClient(c.plan, c.credentials, "host", { commandTimeoutMs: 2000 });
    const writer = startProbeWriter(client, { prefix: `bench:outage:${Date.now()}:`, waitTimeoutMs: 1000, intervalMs: 2, ttlSeconds: 600 });
    let faultAt = 0;
    let faultDone = 0;
    const sentinels = new Map(sentinelsOf(c.plan).map((s) => [s.name, directSentinel(s, c.credentials.sentinelPassword)]));
    let watch: ReturnType<typeof watchSentinelSwitches> | undefined;
    const confirmedAfter = (t: number) => writer.records.find((r) => (r.replicas ?? 0) >= 1 && r.sentAt > t);
    try {
        await sleep(2000);
        faultAt = Date.now();
        watch = watchSentinelSwitches(sentinels, c.plan.masterName, master.announced, faultAt);
        await fault(master);
        faultDone = Date.now();
        // The fault took effect first: without the failover it was meant to cause, the run measures nothing.
        if (options.expectFailover) await waitForMasterMoved(c.plan, c.credentials, master.announced, timeoutMs);
        // Writes are back when a write sent after the fault is confirmed (on any node).
        await waitUntil(
            `${c.label}: confirmed writes after the fault`,
            async () => (confirmedAfter(faultDone) ? true : undefined),
            timeoutMs,
            20,
        ).catch(async (err: unknown) => {
            // What the servers logged around the fault, before the teardown removes them: one
            // crash-outage run ended here once and went unexplained for want of these.
            const names = [...nodesOf(c.plan).map((n) => n.name), ...sentinelsOf(c.plan).map((s) => s.name)];
            const containers = names.map((name) => ({ name, container: c.containerOf(name) }));
            console.error(await serverLogs(containers, faultAt - 10_000, [c.credentials.redisPassword, c.credentials.sentinelPassword]));
            throw err;
        });
        await sleep(1000);
    } finally {
        await writer.stop();
        await watch?.stop();
        client.disconnect();
        for (const sentinel of sentinels.values()) sentinel.disconnect();
    }
    const endedAt = Date.now();
    await recover(master);
    const now = await settledMaster(c);
    const settledMs = Date.now() - faultAt;
    const acknowledged = writer.records.filter((r) => r.ackAt !== undefined).map((r) => r.key);
    const present = await onNode(c, now, (r) => keysPresent(r, acknowledged));
    const probes = analyzeProbes(
        writer.records,
        faultAt,
        endedAt,
        // Any node counts: after a crash without failover, writes resume on the same master.
        (server) => nodeAtRemote(c.plan, server) !== undefined,
        (k) => present.has(k),
    );
    const lastBefore = Math.max(
        0,
        ...writer.records.filter((r) => (r.replicas ?? 0) >= 1 && (r.ackAt ?? 0) <= faultAt).map((r) => r.ackAt as number),
    );
    const outageMs = (confirmedAfter(faultDone)?.ackAt ?? endedAt) - (lastBefore || faultAt);
    return {
        master: master.name,
        newMaster: now.name,
        outageMs,
        outageStartMs: (lastBefore || faultAt) - faultAt,
        probes,
        sentinelSwitches: [...(watch?.switches ?? [])],
        settledMs,
    };
}

/** What a fault benchmark writes for each fault it injects, as JSON beside its timeline picture. */
export interface FaultReport extends FaultResult {
    readonly bench: string;
    /** Which cluster: "stack", "plain Docker peer". */
    readonly cluster: string;
    /** What was done to the master, for people: "master container killed". */
    readonly fault: string;
    readonly run: number;
    /** When the run's report was made (ISO 8601): names its files. */
    readonly at: string;
}

/**
 * Pure: a fault's picture, every time taken from its report. The old master's return is shown as
 * a rejoin only when the fault moved the master: after a crash without failover it is the master.
 */
export function faultTimelineFigures(r: FaultReport): TimelineFigures {
    const moved = r.newMaster !== r.master;
    const b = r.probes.confirmedPerBucket;
    return {
        title: `${r.bench}: ${r.fault} (${r.cluster}, run ${r.run}): ${r.master} -> ${r.newMaster}`,
        subtitle: [
            `${r.at}; outage ${(r.outageMs / 1000).toFixed(2)} s; ${r.probes.confirmed} confirmed writes, ${r.probes.confirmedLost.length} of them lost`,
        ],
        origin: "the fault",
        bucketMs: b.bucketMs,
        firstBucketMs: b.firstBucketMs,
        confirmedWrites: b.counts,
        outage: { fromMs: r.outageStartMs, toMs: r.outageStartMs + r.outageMs },
        sentinelSwitches: r.sentinelSwitches,
        oldMaster: r.master,
        oldMasterRejoinedMs: moved ? r.settledMs : undefined,
    };
}

/**
 * SIGKILL of a container through the Engine (Docker's restart policy does not bring it back);
 * resolves once Docker reports it stopped, so the fault is certain to have taken effect.
 */
export async function killContainer(docker: Docker, name: string): Promise<void> {
    const container = docker.getContainer(name);
    await container.kill({ signal: "SIGKILL" });
    await waitUntil(
        `${name} stopped after SIGKILL`,
        async () => ((await container.inspect()).State.Running ? undefined : true),
        30_000,
        50,
    );
}

export const startContainer = (docker: Docker, name: string): Promise<void> =>
    docker
        .getContainer(name)
        .start()
        .then(
            () => undefined,
            (err: { statusCode?: number }) => {
                if (err.statusCode !== 304) throw err;
            },
        );

/** Writes a fault's report and its picture into `dir`; returns the picture's path. */
export async function writeFaultReport(dir: string, r: FaultReport): Promise<string> {
    const slug = (text: string) => text.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "");
    // The fault is in the name: crash-outage writes a crash and a failover of the same run together.
    const name = `${r.bench}-${fileTime(r.at)}-run${r.run}-${slug(r.cluster)}-${slug(r.fault)}`;
    const files = await writeReportAndTimeline(dir, name, JSON.stringify(r, null, 2), timelineSpec(faultTimelineFigures(r)));
    return files.svg;
}
