import { Credentials, directClient, directSentinel, nodeLogin, sentinelLogin } from "../redis/connect";
import { errorMessage, waitUntil, WaitTimeout } from "../deadline";
import { NodeEndpoint, PostDeployPlan, SentinelEndpoint, sentinelsOf } from "../../contracts/plan";
import { parseInfo } from "../redis/replies";
import { nodeCommands } from "../redis/node-commands";
import { SentinelCommands } from "../redis/sentinel-commands";
import { ClusterScope, observeCluster, readSentinelView, readSentinelViews } from "../redis/cluster-view";
import { describeClusterView, failoverProgress, FailoverProgress, SentinelView } from "../redis/sentinel-state";
import { ClusterUnsettled, waitForSettledCluster } from "./settle";
import { classifyFailoverReply, describeAttempt, FailoverAttempt, FailoverFailed, FailoverReply, retryableReply } from "./failover-reply";
import type { FailoverMethod } from "../../contracts/report";

/**
 * How a planned failover is sent.
 * - `handover`: writes on the master are paused (CLIENT PAUSE WRITE) until every replica has
 *   everything, then SENTINEL FAILOVER; the pause ends once no replica follows the old master
 *   any more, so `min-replicas-to-write` makes it refuse writes from then on. Nothing a replica
 *   confirmed can be lost, and the other replicas resync partially (same offset).
 * - `sentinel`: SENTINEL FAILOVER alone. Until Sentinel announces the switch (at the end of the
 *   failover), clients keep writing to the old master, and the replicas still attached to it
 *   confirm writes that the promoted one never gets: measured here, hundreds of WAIT-confirmed
 *   writes lost per failover. Kept to measure that difference.
 */
export { FAILOVER_METHODS, type FailoverMethod } from "../../contracts/report";
export { FailoverFailed, classifyFailoverReply, type FailoverReply, type FailoverAttempt } from "./failover-reply";

export class FailoverRefused extends Error {
    readonly kind = "precondition" as const;
    constructor(message: string) {
        super(message);
        this.name = "FailoverRefused";
    }
}

/** Pure: replica offsets from the master's `INFO replication` (`slaveN:ip=..,port=..,state=..,offset=..`). */
export function replicaOffsets(info: Record<string, string>): { address: string; state: string; offset: number }[] {
    return Object.entries(info)
        .filter(([k]) => /^slave\d+$/.test(k))
        .map(([, v]) => Object.fromEntries(v.split(",").map((kv) => kv.split("=") as [string, string])))
        .map((f) => ({ address: `${f.ip}:${f.port}`, state: f.state ?? "", offset: Number(f.offset ?? -1) }));
}

export interface PlannedFailoverOptions extends ClusterScope {
    readonly method: FailoverMethod;
    /** Bound of the whole failover: settling first, every attempt, and the Sentinels naming the new master. */
    readonly timeoutMs: number;
    /** Linked replicas the cluster must show before a failover is sent; default every replica the plan declares. */
    readonly replicas?: number;
    /** The Sentinel that sends every attempt; default the first of `sentinels` (or of the plan). */
    readonly trigger?: SentinelEndpoint;
    readonly log?: (line: string) => void;
}

export interface FailoverOutcome {
    readonly from: NodeEndpoint;
    readonly to: NodeEndpoint;
    readonly attempts: readonly FailoverAttempt[];
    /** When the SENTINEL FAILOVER that moved the master was sent; undefined when a failover not sent here moved it. */
    readonly sentAt?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A planned failover that has happened when it resolves: waits until the cluster has settled
 * (waitForSettledCluster), sends SENTINEL FAILOVER (after the hand-over's pause for `handover`)
 * and classifies the reply; on -INPROG, -NOGOODSLAVE, no reply or an accepted failover that gave
 * up, waits until the cluster has settled again and sends it again, always through the same
 * Sentinel (-INPROG comes only from the Sentinel running the failover: another one would start a
 * second, concurrent failover, seen on Redis 7.0.15), and never once the master has moved (a
 * second failover would move it on). Resolves with the old and new master once every Sentinel
 * names another master; rejects within `timeoutMs` otherwise, with the Sentinels' view
 * (ClusterUnsettled before anything was sent, FailoverFailed with a kind after).
 */
export async function plannedFailover(
    plan: PostDeployPlan,
    credentials: Credentials,
    options: PlannedFailoverOptions,
): Promise<FailoverOutcome> {
    const log = options.log ?? (() => undefined);
    const sentinels = options.sentinels ?? sentinelsOf(plan);
    const trigger = options.trigger ?? sentinels[0];
    const deadline = Date.now() + options.timeoutMs;
    const left = () => Math.max(0, deadline - Date.now());
    const settle = () => waitForSettledCluster(plan, credentials, { ...options, sentinels, timeoutMs: left() });
    const lastView = async () => {
        const o = await observeCluster(plan, credentials, { ...options, sentinels });
        return describeClusterView(o.views, o.master);
    };
    const findNode = (address: string) => (options.nodes ?? plan.servers).find((n) => n.kind === "redis" && n.announced === address);

    const from = await settle();
    const attempts: FailoverAttempt[] = [];
    const control = directSentinel(trigger, sentinelLogin(credentials));
    try {
        for (let i = 0; ; i++) {
            // During the hand-over's pause: the accepted failover gave up, or its Sentinel cannot say.
            const gaveUp = async () => {
                const view = await readSentinelView(control, trigger.name, plan.masterName);
                return view.error !== undefined || failoverProgress([view], from.announced, trigger.name, 1).kind === "aborted";
            };
            // Every Sentinel names another master: the hand-over is done, whatever the old master says.
            const moved = async () =>
                failoverProgress(await readSentinelViews(plan, credentials, sentinels), from.announced, trigger.name, sentinels.length)
                    .kind === "moved";
            const sentAt = Date.now();
            const reply =
                options.method === "handover"
                    ? await handOver(plan, credentials, from, control, gaveUp, moved, left(), log).catch(async (err: unknown) => {
                          // The hand-over's own waits ran out: failed with the stage it reached and the Sentinels' view.
                          if (!(err instanceof HandOverTimeout)) throw err;
                          throw new FailoverFailed(err.kind, err.message, attempts, await lastView());
                      })
                    : await sendFailover(control, plan.masterName);
            const attempt = { sentinel: trigger.name, reply, sentAt };
            attempts.push(attempt);
            log(`failover: SENTINEL FAILOVER ${plan.masterName} through ${describeAttempt(attempt)}`);
            if (!retryableReply(reply)) throw new FailoverFailed("refused", `${trigger.name} refused it`, attempts, await lastView());
            if (reply.kind === "accepted" || reply.kind === "no-reply") {
                let views: SentinelView[] = [];
                const progress = await waitUntil<Exclude<FailoverProgress, { kind: "running" }>>(
                    `every Sentinel naming a master other than ${from.name}`,
                    async () => {
                        views = await readSentinelViews(plan, credentials, sentinels);
                        const p = failoverProgress(views, from.announced, trigger.name, sentinels.length);
                        // Right after a lost reply the flag may not be set yet: judged "gave up" only after a moment.
                        if (p.kind === "aborted" && reply.kind === "no-reply" && Date.now() - sentAt < 1000) return undefined;
                        return p.kind === "running" ? undefined : p;
                    },
                    left(),
                    100,
                ).catch((err: unknown) => {
                    if (!(err instanceof WaitTimeout)) throw err;
                    throw new FailoverFailed("not-completed", err.message, attempts, describeClusterView(views));
                });
                if (progress.kind === "moved") {
                    const to = findNode(progress.to);
                    if (!to)
                        throw new FailoverFailed(
                            "not-completed",
                            `the Sentinels name ${progress.to}, no node this tool knows`,
                            attempts,
                            await lastView(),
                        );
                    return { from, to: to as NodeEndpoint, attempts, sentAt };
                }
                log(`failover: it gave up (${progress.detail})`);
            }
            await sleep(Math.min(left(), 250 * 2 ** Math.min(i, 3)));
            // Sent again only from a settled cluster, and only while the master is still `from`.
            const current = await settle().catch((err: unknown) => {
                if (!(err instanceof ClusterUnsettled)) throw err;
                throw new FailoverFailed(
                    "not-started",
                    `the cluster did not settle again (${err.problems.join("; ")})`,
                    attempts,
                    err.view,
                );
            });
            if (current.name !== from.name) return { from, to: current, attempts };
            if (left() === 0)
                throw new FailoverFailed("not-started", `no failover started within ${options.timeoutMs} ms`, attempts, await lastView());
        }
    } finally {
        control.disconnect();
    }
}

/** One SENTINEL FAILOVER, its reply classified (never rejects for a reply). */
async function sendFailover(trigger: SentinelCommands, masterName: string): Promise<FailoverReply> {
    return trigger.failover(masterName).then(
        () => classifyFailoverReply(undefined),
        (err: unknown) => classifyFailoverReply(err),
    );
}

/** A hand-over wait that ran out, with the stage it stopped at: before the failover was sent, or after. */
class HandOverTimeout extends Error {
    constructor(
        readonly kind: "not-started" | "not-completed",
        message: string,
    ) {
        super(message);
        this.name = "HandOverTimeout";
    }
}

async function handOverWait(kind: HandOverTimeout["kind"], wait: () => Promise<unknown>): Promise<void> {
    await wait().catch((err: unknown) => {
        if (err instanceof WaitTimeout) throw new HandOverTimeout(kind, err.message);
        throw err;
    });
}

/**
 * The hand-over: writes on `master` paused until every online replica has everything, then
 * SENTINEL FAILOVER through `trigger`; when that was accepted, the pause lasts until no replica
 * follows the old master any more, or the failover gave up (`gaveUp`). Resolves with the reply
 * once writes are unpaused again.
 */
async function handOver(
    plan: PostDeployPlan,
    credentials: Credentials,
    master: NodeEndpoint,
    trigger: SentinelCommands,
    gaveUp: () => Promise<boolean>,
    moved: () => Promise<boolean>,
    timeoutMs: number,
    log: (line: string) => void,
): Promise<FailoverReply> {
    const password = nodeLogin(credentials);
    // One connection for the pause: a paused master still answers INFO and CLIENT UNPAUSE.
    const control = directClient(master, password);
    try {
        const minReplicas = Number((await nodeCommands(control).configGet("min-replicas-to-write"))["min-replicas-to-write"]);
        if (!(minReplicas >= 1)) {
            throw new FailoverRefused("min-replicas-to-write is 0: the old master would take writes again after the hand-over");
        }
        await nodeCommands(control).pauseWrites(timeoutMs);
        log(`failover: writes paused on ${master.name}`);
        try {
            const masterOffset = Number(parseInfo(await control.info("replication")).master_repl_offset);
            await handOverWait("not-started", () =>
                waitUntil(
                    `the replicas of ${master.name} catching up to offset ${masterOffset}`,
                    async () => {
                        const replicas = replicaOffsets(parseInfo(await control.info("replication"))).filter((r) => r.state === "online");
                        return replicas.length > 0 && replicas.every((r) => r.offset >= masterOffset) ? true : undefined;
                    },
                    timeoutMs,
                    20,
                ),
            );
            const reply = await sendFailover(trigger, plan.masterName);
            if (reply.kind !== "accepted") return reply;
            await handOverWait("not-completed", () =>
                waitUntil(
                    `the replicas leaving ${master.name}`,
                    async () => {
                        // Asked first: an old master that stops answering (frozen, cut off) right after
                        // the switch would hold each INFO for its command timeout and run out the deadline.
                        if (await moved()) return true;
                        const info = parseInfo(await control.info("replication"));
                        if (info.role !== "master" || info.connected_slaves === "0") return true;
                        return (await gaveUp()) || undefined;
                    },
                    timeoutMs,
                    20,
                ),
            );
            return reply;
        } finally {
            // Waited for half a second at most: an old master that no longer answers cannot be
            // unpaused, and its pause ends by itself (pauseWrites' timeout).
            const unpaused = nodeCommands(control)
                .unpause()
                .then(() => log(`failover: writes unpaused on ${master.name}`))
                .catch((err: unknown) => log(`failover: CLIENT UNPAUSE failed: ${errorMessage(err)}`));
            await Promise.race([unpaused, new Promise((resolve) => setTimeout(resolve, 500).unref())]);
        }
    } finally {
        control.disconnect();
    }
}
