// A replica that restarts holds only what it had on disk until it has synced, yet Sentinel sees
// no link-down time on it and would promote it. With every container restarted at once, one was
// promoted that way and 100 WAIT-confirmed writes were lost (CI run, issue 19). The start script
// now holds a restarted replica at replica-priority 0 until it is in sync and the Sentinels have
// seen it (render/container-scripts.ts). This suite makes that replica the only candidate.
import { expect } from "chai";
import { infoFields } from "../support/live/live-cluster";
import { useLiveCluster } from "../support/live/use-live-cluster";
import { waitFor } from "../support/live/wait";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("live: a restarted replica is not promoted before it has synced", function () {
    this.timeout(300_000);
    const cluster = useLiveCluster(this);

    it("with the master killed and the other replica stopped: no failover to it; the master back, it syncs and is promotable again", async () => {
        const master = await cluster.settled();
        const [restarted, other] = cluster.nodeNames.filter((n) => n !== master);
        const key = `guard:${Date.now()}`;
        const writer = cluster.direct(master);
        await writer.set(key, "confirmed by both replicas");
        expect(await writer.call("WAIT", "2", "5000"), "WAIT 2 before the fault").to.equal(2);

        // The only replica left to promote is one that restarts with nothing newer than its disk.
        await cluster.container(other).stop({ t: 10 });
        await cluster.container(master).kill();
        const startedBefore = await cluster.startedAt(restarted);
        await cluster.container(restarted).restart({ t: 10 });
        // The faults first: both stopped for real, and the replica did restart.
        await cluster.faultShows(other, "stopped");
        await cluster.faultShows(master, "stopped");
        await cluster.faultShows(restarted, "restarted", startedBefore);
        const replica = cluster.direct(restarted);
        const held = await waitFor(`${restarted} to answer INFO after its restart`, async () => {
            const info = infoFields(await replica.info("replication"));
            return info.role ? info : undefined;
        });
        expect(held.role, `${restarted} after its restart`).to.equal("slave");
        expect(held.slave_priority, `${restarted}'s replica-priority while its master is down`).to.equal("0");
        expect((await cluster.exec(restarted, ["cat", "/data/appscreens-promotion-guard"])).trim()).to.equal("100");

        // Well past down-after-milliseconds and a failover attempt: the Sentinels must not have moved the master.
        await sleep(8000);
        expect(cluster.nodeAt(await cluster.agreedMaster()), "the master the Sentinels name with only a held replica left").to.equal(
            master,
        );
        expect(infoFields(await replica.info("replication")).role, `${restarted} was not promoted`).to.equal("slave");

        // The master back: the replica syncs, gets its priority back, and the Sentinels see it.
        await cluster.container(master).start();
        await waitFor(
            `${restarted} in sync with replica-priority 100 and no guard file`,
            async () => {
                const info = infoFields(await replica.info("replication"));
                if (info.master_link_status !== "up" || info.slave_priority !== "100") return undefined;
                const guard = await cluster.exec(restarted, [
                    "sh",
                    "-c",
                    "test -f /data/appscreens-promotion-guard && echo held || echo free",
                ]);
                return guard.trim() === "free" ? true : undefined;
            },
            60_000,
        );
        await cluster.container(other).start();
        expect(await cluster.settled(), "the master after recovery").to.equal(master);
        expect(await cluster.direct(restarted).get(key), "the confirmed write on the replica that was held").to.equal(
            "confirmed by both replicas",
        );
        // It is promotable again: a planned failover may now choose it.
        const sentinel = cluster.direct(cluster.sentinelNames[0]);
        const replicas = (await sentinel.call("SENTINEL", "REPLICAS", cluster.outputs.masterName)) as string[][];
        const seen = replicas.map((r) => Object.fromEntries(r.flatMap((v, i) => (i % 2 ? [] : [[v, r[i + 1]]]))));
        const address = cluster.nodeAddress(restarted);
        expect(seen.find((r) => r.ip === address)?.["slave-priority"], "the priority Sentinel sees").to.equal("100");
    });
});
