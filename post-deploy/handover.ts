import type Redis from "ioredis";
import { parseInfo } from "./verifier";

/** The master's address as the Sentinels report it (the most common answer), or undefined. */
export async function sentinelsMaster(sentinels: readonly Redis[], masterName: string): Promise<string | undefined> {
    const answers = await Promise.all(
        sentinels.map((s) =>
            (s.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName) as Promise<string[] | null>).then(
                (a) => (a ? `${a[0]}:${a[1]}` : undefined),
                () => undefined,
            ),
        ),
    );
    const counts = new Map<string, number>();
    for (const a of answers) if (a) counts.set(a, (counts.get(a) ?? 0) + 1);
    return [...counts.entries()].sort((x, y) => y[1] - x[1])[0]?.[0];
}

/**
 * Moves the master role away from `master` without losing a write it confirmed: pause writes,
 * wait until every replica has them all, then a Sentinel-driven failover (any replica is as
 * good as another by then), and wait until the Sentinels name another master. The same steps
 * as the containers' stop script, for tools that run on the host.
 */
export async function handOverMaster(
    master: Redis,
    masterAddress: string,
    sentinels: readonly Redis[],
    masterName: string,
    timeoutMs = 20_000,
): Promise<string> {
    const info = parseInfo(await master.info("replication"));
    const replicas = Number(info.connected_slaves ?? 0);
    if (info.role !== "master" || replicas === 0) throw new Error(`${masterAddress} is not a master with replicas; nothing to hand over`);
    await master.call("CLIENT", "PAUSE", String(timeoutMs), "WRITE");
    await master.call("WAIT", String(replicas), "3000");
    let started = false;
    for (const s of sentinels) {
        if (
            await s.call("SENTINEL", "FAILOVER", masterName).then(
                () => true,
                () => false,
            )
        ) {
            started = true;
            break;
        }
    }
    if (!started) throw new Error(`no Sentinel accepted SENTINEL FAILOVER ${masterName}`);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        const now = await sentinelsMaster(sentinels, masterName);
        if (now && now !== masterAddress) return now;
        await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`the Sentinels still name ${masterAddress} as master ${timeoutMs} ms after SENTINEL FAILOVER`);
}
