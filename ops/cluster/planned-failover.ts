import { Credentials, directClient, withDirectClient } from "../redis/connect";
import { errorMessage, waitUntil } from "../deadline";
import { NodeEndpoint, PostDeployPlan } from "../../contracts/plan";
import { parseInfo } from "../redis/replies";
import { nodeCommands } from "../redis/node-commands";
import { SentinelControl } from "../redis/sentinel-commands";
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

export interface HandoverOptions {
    readonly timeoutMs: number;
    readonly log?: (line: string) => void;
}

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

/**
 * Sends a planned failover of `master` through the Sentinel `trigger`. Resolves when the
 * failover has been sent and, for `handover`, the old master's writes are unpaused again.
 */
export async function plannedFailover(
    plan: PostDeployPlan,
    credentials: Credentials,
    master: NodeEndpoint,
    trigger: SentinelControl,
    method: FailoverMethod,
    options: HandoverOptions,
): Promise<void> {
    const log = options.log ?? (() => undefined);
    if (method === "sentinel") {
        await trigger.failover(plan.masterName);
        return;
    }
    const password = credentials.redisPassword;
    const minReplicas = await withDirectClient(master, password, async (c) =>
        Number((await nodeCommands(c).configGet("min-replicas-to-write"))["min-replicas-to-write"]),
    );
    if (!(minReplicas >= 1)) {
        throw new FailoverRefused("min-replicas-to-write is 0: the old master would take writes again after the hand-over");
    }
    // One connection for the pause: a paused master still answers INFO and CLIENT UNPAUSE.
    const control = directClient(master, password);
    try {
        await nodeCommands(control).pauseWrites(options.timeoutMs);
        log(`failover: writes paused on ${master.name}`);
        try {
            const masterOffset = Number(parseInfo(await control.info("replication")).master_repl_offset);
            await waitUntil(
                `the replicas of ${master.name} catching up to offset ${masterOffset}`,
                async () => {
                    const replicas = replicaOffsets(parseInfo(await control.info("replication"))).filter((r) => r.state === "online");
                    return replicas.length > 0 && replicas.every((r) => r.offset >= masterOffset) ? true : undefined;
                },
                options.timeoutMs,
                20,
            );
            await trigger.failover(plan.masterName);
            await waitUntil(
                `the replicas leaving ${master.name}`,
                async () => {
                    const info = parseInfo(await control.info("replication"));
                    return info.role !== "master" || info.connected_slaves === "0" ? true : undefined;
                },
                options.timeoutMs,
                20,
            );
        } finally {
            await nodeCommands(control)
                .unpause()
                .catch((err: unknown) => log(`failover: CLIENT UNPAUSE failed: ${errorMessage(err)}`));
            log(`failover: writes unpaused on ${master.name}`);
        }
    } finally {
        control.disconnect();
    }
}
