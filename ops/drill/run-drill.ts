import { randomBytes } from "node:crypto";
import type Redis from "ioredis";
import { sampleKeys } from "../verify/checks";
import { Credentials, directSentinel, nodeLogin, sentinelClient, withDirectClient, sentinelLogin } from "../redis/connect";
import { errorMessage, waitUntil, WaitTimeout } from "../deadline";
import { NodeEndpoint, PostDeployPlan, sentinelsOf } from "../../contracts/plan";
import { FailoverMethod, plannedFailover } from "../cluster/planned-failover";
import { waitForSettledCluster } from "../cluster/settle";
import { agreedMaster, askSentinel, describeAnswers, nodeAnnouncing, nodeAtRemote } from "../redis/sentinels";
import { findWarmedKeys } from "../verify/verifier";
import { parseInfo } from "../redis/replies";
import { Connection } from "../redis/send";
import { SentinelCommands, SentinelReader } from "../redis/sentinel-commands";
import { buildDrillReport, DrillReport, DrillTimings, OldMasterState, SampledKey } from "./drill-report";
import { analyzeProbes, keysPresent, startProbeWriter } from "./probe-writer";
import { SentinelWatch, watchSentinelSwitches } from "./sentinel-watch";

/** Why a drill did not start: the cluster was not in a state where a failover is safe to try. */
export class DrillRefused extends Error {
    readonly kind = "precondition" as const;
    constructor(message: string) {
        super(`drill refused, nothing was changed: ${message}`);
        this.name = "DrillRefused";
    }
}

export interface DrillOptions {
    /** Bound of every wait (failover, writes back, rejoin, Sentinels settled). */
    readonly timeoutMs: number;
    /** Warmed keys checked on the new master. */
    readonly sampleSize: number;
    readonly probeIntervalMs: number;
    /** How the failover is sent (see planned-failover.ts); `handover` unless measuring the bare command. */
    readonly method?: FailoverMethod;
    /** Progress lines for a person (stderr); no secret ever reaches it. */
    readonly log?: (line: string) => void;
}

export const DEFAULT_DRILL_OPTIONS: DrillOptions = { timeoutMs: 60_000, sampleSize: 50, probeIntervalMs: 5 };

const KEY_PREFIX = "appscreens:drill:";

async function ttls(client: Redis, keys: readonly string[]): Promise<number[]> {
    if (keys.length === 0) return [];
    const pipeline = client.pipeline();
    for (const key of keys) pipeline.ttl(key);
    return ((await pipeline.exec()) ?? []).map(([, v]) => Number(v ?? -2));
}

async function oldMasterState(client: Redis): Promise<OldMasterState> {
    try {
        const info = parseInfo(await client.info("replication"));
        return {
            role: info.role,
            following: info.master_host ? `${info.master_host}:${info.master_port}` : undefined,
            link: info.master_link_status,
        };
    } catch (err) {
        return { error: errorMessage(err) };
    }
}

/** Sentinels whose view of `address` (a replica now) carries a down or disconnected flag. */
async function sentinelsFlagging(sentinels: Map<string, SentinelReader>, masterName: string, address: string): Promise<string[]> {
    const flagging: string[] = [];
    for (const [name, sentinel] of sentinels) {
        const entry = (await sentinel.replicas(masterName)).find((r) => r.address === address);
        if (!entry || entry.flags.join(",") !== "slave") flagging.push(name);
    }
    return flagging;
}

/**
 * The failover drill: a marker and numbered probe writes through Sentinel, `SENTINEL FAILOVER`,
 * then bounded waits for the new master, for confirmed writes on it, for the old master to
 * follow it and for every Sentinel to settle; then the marker, the probes and a sample of warmed
 * keys are read back from the new master. Refuses (changing nothing) on a degraded cluster.
 */
export async function runDrill(
    plan: PostDeployPlan,
    credentials: Credentials,
    options: DrillOptions = DEFAULT_DRILL_OPTIONS,
): Promise<DrillReport> {
    const log = options.log ?? (() => undefined);
    const method = options.method ?? "handover";
    const startedAt = new Date();
    const clients: Connection[] = [];
    const track = <C extends Connection>(c: C) => {
        clients.push(c);
        return c;
    };
    const sentinelServers = sentinelsOf(plan);
    const sentinels = new Map<string, SentinelCommands>(
        sentinelServers.map((s) => [s.name, track(directSentinel(s, sentinelLogin(credentials)))]),
    );
    // A fresh connection per use: Sentinel kills the clients of a master it demotes.
    const onNode = <T>(endpoint: NodeEndpoint, use: (c: Redis) => Promise<T>): Promise<T> =>
        withDirectClient(endpoint, nodeLogin(credentials), use);
    const askAll = () => Promise.all([...sentinels].map(([name, c]) => askSentinel(c, name, plan.masterName)));
    const unfinished: string[] = [];
    const timings: { -readonly [K in keyof DrillTimings]: DrillTimings[K] } = { longestWriteGapMs: 0, longestWriteGapStartMs: 0 };
    const bounded = async <T>(what: string, probe: () => Promise<T | undefined>): Promise<T | undefined> => {
        try {
            return await waitUntil(what, probe, options.timeoutMs);
        } catch (err) {
            if (!(err instanceof WaitTimeout)) throw err;
            unfinished.push(err.message);
            log(`drill: ${err.message}`);
            return undefined;
        }
    };

    try {
        // Preconditions: every Sentinel agrees, the master has an in-sync replica, the quorum holds.
        const before = await askAll();
        const oldAddress = agreedMaster(before, sentinelServers.length);
        const oldMaster = nodeAnnouncing(plan, oldAddress);
        if (!oldMaster) throw new DrillRefused(`the Sentinels do not all agree on a known master (${describeAnswers(before)})`);
        const masterInfo = parseInfo(await onNode(oldMaster, (c) => c.info("replication")));
        const online = Object.entries(masterInfo).filter(([k, v]) => /^slave\d+$/.test(k) && v.includes("state=online")).length;
        if (masterInfo.role !== "master" || online === 0) {
            throw new DrillRefused(`${oldMaster.name} is not a master with an online replica (role ${masterInfo.role}, ${online} online)`);
        }
        for (const [name, c] of sentinels) {
            await c.ckquorum(plan.masterName).catch((err: unknown) => {
                throw new DrillRefused(`${name} reports no quorum: ${errorMessage(err)}`);
            });
        }
        // And settled: no failover running, no old master still converting (right after another
        // failover it reports itself master for about 10 s, and a failover sent then can fail).
        const settled = await waitForSettledCluster(plan, credentials, { timeoutMs: options.timeoutMs, replicas: 1 }).catch(
            (err: unknown) => {
                throw new DrillRefused(errorMessage(err));
            },
        );
        if (settled.name !== oldMaster.name)
            throw new DrillRefused(`the master moved from ${oldMaster.name} to ${settled.name} while the drill checked it`);
        const warmed = sampleKeys(await onNode(oldMaster, (c) => findWarmedKeys(c, options.sampleSize)), options.sampleSize);
        const ttlBefore = await onNode(oldMaster, (c) => ttls(c, warmed));
        log(`drill: master ${oldMaster.name}, ${online} online replicas, ${warmed.length} warmed keys sampled`);

        const runId = `${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
        const writer = track(sentinelClient(plan, credentials, "host", { commandTimeoutMs: 2000 }));
        const probes = startProbeWriter(writer, {
            prefix: `${KEY_PREFIX}${runId}:probe:`,
            waitTimeoutMs: 1000,
            intervalMs: options.probeIntervalMs,
            ttlSeconds: 3600,
        });
        let triggeredAt = Date.now();
        let newMaster: NodeEndpoint | undefined;
        const isNewMaster = (server: string | undefined) => newMaster !== undefined && nodeAtRemote(plan, server)?.name === newMaster.name;
        const marker = { key: `${KEY_PREFIX}${runId}:marker`, expected: randomBytes(8).toString("hex") };
        let failoverError: string | undefined;
        let watch: SentinelWatch | undefined;
        try {
            const confirmedBefore = await bounded("a confirmed probe write before the failover", async () =>
                probes.records.some((r) => (r.replicas ?? 0) >= 1) ? true : undefined,
            );
            if (!confirmedBefore) throw new DrillRefused("no write through Sentinel was confirmed by a replica before the failover");
            await writer.set(marker.key, marker.expected, "EX", 3600);
            if ((await writer.wait(1, 5000)) < 1) throw new DrillRefused("the marker write was not confirmed by any replica");

            triggeredAt = Date.now();
            watch = watchSentinelSwitches(sentinels, plan.masterName, oldMaster.announced, triggeredAt);
            log(`drill: planned failover of ${oldMaster.name} through ${sentinelServers[0].name} (${method})`);
            // Resolves once every Sentinel names another master (sent again if a Sentinel could not
            // start it yet); a failure, with the Sentinels' view, is reported as a failed check and
            // the old master's state is still read below.
            const moved = await plannedFailover(plan, credentials, { method, timeoutMs: options.timeoutMs, replicas: 1, log }).catch(
                (err: unknown) => {
                    failoverError = errorMessage(err);
                    log(`drill: the failover did not happen: ${failoverError}`);
                    return undefined;
                },
            );
            if (moved && moved.from.name !== oldMaster.name) {
                failoverError = `the master moved to ${moved.from.name} before the drill's failover`;
            } else if (moved) timings.sentinelsAgreedMs = Date.now() - triggeredAt;
            newMaster = moved?.to;
            if (newMaster) {
                log(`drill: new master ${newMaster.name}`);
                await bounded("confirmed writes on the new master", async () =>
                    probes.records.some((r) => (r.replicas ?? 0) >= 1 && (r.ackAt ?? 0) >= triggeredAt && isNewMaster(r.server))
                        ? true
                        : undefined,
                );
                const target = newMaster;
                const rejoined = await bounded(`${oldMaster.name} following ${target.name} with its link up`, async () => {
                    const state = await onNode(oldMaster, oldMasterState);
                    return state.role === "slave" && state.link === "up" && state.following === target.announced ? state : undefined;
                });
                if (rejoined) timings.oldMasterRejoinedMs = Date.now() - triggeredAt;
                const settled = await bounded("every Sentinel naming the new master and seeing the old one up", async () => {
                    const answers = await askAll();
                    if (agreedMaster(answers, sentinelServers.length) !== target.announced) return undefined;
                    return (await sentinelsFlagging(sentinels, plan.masterName, oldMaster.announced)).length === 0 ? true : undefined;
                });
                if (settled) timings.sentinelsSettledMs = Date.now() - triggeredAt;
            }
        } finally {
            await probes.stop();
            await watch?.stop();
        }
        const endedAt = Date.now();

        const sentinelsAfter = await askAll();
        const flagging = newMaster
            ? await sentinelsFlagging(sentinels, plan.masterName, oldMaster.announced).catch(() => [...sentinels.keys()])
            : [];
        const oldState = await onNode(oldMaster, oldMasterState);
        // Read back from the server the Sentinels promoted, or from the old master when none was.
        const readFrom = newMaster ?? oldMaster;
        const markerActual = await onNode(readFrom, (c) => c.get(marker.key)).catch(() => undefined);
        const ttlAfter = await onNode(readFrom, (c) => ttls(c, warmed)).catch(() => warmed.map(() => -2));
        const sample: SampledKey[] = warmed.map((key, i) => ({ key, ttlBefore: ttlBefore[i], ttlAfter: ttlAfter[i] }));
        const acknowledged = probes.records.filter((r) => r.ackAt !== undefined).map((r) => r.key);
        const present = await onNode(readFrom, (c) => keysPresent(c, acknowledged)).catch(() => new Set<string>());
        const analysis = analyzeProbes(probes.records, triggeredAt, endedAt, isNewMaster, (k) => present.has(k));
        timings.writesResumedMs = analysis.writesResumedMs;
        timings.longestWriteGapMs = analysis.longestGapMs;
        timings.longestWriteGapStartMs = analysis.longestGapStartMs;

        // The probes and the marker expire within the hour anyway; removing them is a courtesy.
        await writer.unlink(marker.key, ...acknowledged.slice(0, 10_000)).catch(() => undefined);

        return buildDrillReport(
            plan.stack,
            startedAt,
            method,
            {
                oldMaster,
                newMaster,
                marker: { ...marker, actual: markerActual },
                sample,
                oldMasterState: oldState,
                sentinelsAfter,
                sentinelsFlaggingOldMaster: flagging,
                expectedSentinels: sentinelServers.length,
                probes: analysis,
                sentinelSwitches: [...(watch?.switches ?? [])],
                unfinished,
                failoverError,
                timeoutMs: options.timeoutMs,
            },
            timings,
        );
    } finally {
        for (const c of clients) c.disconnect();
    }
}
