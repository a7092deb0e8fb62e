import { expect } from "chai";
import Redis from "ioredis";
import { useLiveCluster } from "../support/live/use-live-cluster";

/** Writes `prefix:<n>` keys one at a time until `stop()`, remembering when each was acknowledged. */
function startWriter(client: Redis, prefix: string) {
    const acknowledged = new Map<string, number>();
    let running = true;
    const loop = (async () => {
        for (let n = 0; running; n++) {
            const key = `${prefix}:${n}`;
            try {
                await client.set(key, String(n));
                acknowledged.set(key, Date.now());
            } catch {
                // Writes fail while the node is down; only acknowledged ones count.
            }
        }
    })();
    return {
        acknowledged,
        stop: async () => {
            running = false;
            await loop;
        },
    };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Keys acknowledged more than `marginMs` before `at`: the ones AOF everysec must keep. */
const ackedBefore = (acknowledged: Map<string, number>, at: number, marginMs = 1000) =>
    [...acknowledged].filter(([, t]) => t < at - marginMs).map(([k]) => k);

async function missingKeys(client: Redis, keys: string[]): Promise<string[]> {
    const values = keys.length ? await client.mget(...keys) : [];
    return keys.filter((_, i) => values[i] === null);
}

describe("live: data survives", function () {
    this.timeout(300_000);
    const cluster = useLiveCluster(this);

    it("puts keys written through Sentinel on every replica", async () => {
        const client = cluster.viaSentinel();
        const keys = Array.from({ length: 500 }, (_, i) => `replicated:${i}`);
        const pipeline = client.pipeline();
        for (const key of keys) pipeline.set(key, key, "EX", 3600);
        await pipeline.exec();
        expect(await client.wait(2, 5000)).to.equal(2);
        for (const replica of ["redis-1", "redis-2"]) {
            expect(await missingKeys(cluster.direct(replica), keys), replica).to.deep.equal([]);
        }
    });

    it("keeps every key across a restart of the master container", async () => {
        const master = await cluster.settled();
        const client = cluster.viaSentinel();
        const keys = Array.from({ length: 300 }, (_, i) => `restart:${i}`);
        for (const key of keys) await client.set(key, key);
        const startedBefore = await cluster.startedAt(master);
        await cluster.container(master).restart({ t: 30 });
        await cluster.faultShows(master, "restarted", startedBefore);
        await cluster.settled();
        expect(await missingKeys(cluster.viaSentinel(), keys)).to.deep.equal([]);
        expect(await missingKeys(cluster.direct(master), keys)).to.deep.equal([]);
    });

    it("keeps every key acknowledged over a second before the master is killed with SIGKILL", async () => {
        const master = await cluster.settled();
        const writer = startWriter(cluster.direct(master, 500), "kill-master");
        await sleep(3000);
        const killedAt = Date.now();
        await cluster.container(master).kill({ signal: "SIGKILL" });
        await cluster.faultShows(master, "stopped");
        await writer.stop();
        await cluster
            .container(master)
            .start()
            .catch((err: { statusCode?: number }) => {
                if (err.statusCode !== 304) throw err;
            });
        const newMaster = await cluster.settled();
        const mustSurvive = ackedBefore(writer.acknowledged, killedAt);
        expect(mustSurvive.length).to.be.greaterThan(100);
        expect(await missingKeys(cluster.direct(newMaster), mustSurvive)).to.deep.equal([]);
        console.log(
            `      ${writer.acknowledged.size} writes acknowledged, ${mustSurvive.length} over 1 s before the kill; master now ${newMaster}`,
        );
    });

    it("keeps every key acknowledged over a second before every node is killed at once (AOF everysec)", async () => {
        const master = await cluster.settled();
        const writer = startWriter(cluster.direct(master, 500), "kill-all");
        await sleep(3000);
        const killedAt = Date.now();
        await Promise.all(cluster.nodeNames.map((n) => cluster.container(n).kill({ signal: "SIGKILL" })));
        await Promise.all(cluster.nodeNames.map((n) => cluster.faultShows(n, "stopped")));
        await writer.stop();
        await Promise.all(
            cluster.nodeNames.map((n) =>
                cluster
                    .container(n)
                    .start()
                    .catch((err: { statusCode?: number }) => {
                        if (err.statusCode !== 304) throw err;
                    }),
            ),
        );
        const newMaster = await cluster.settled(90_000);
        const mustSurvive = ackedBefore(writer.acknowledged, killedAt);
        expect(mustSurvive.length).to.be.greaterThan(100);
        for (const node of cluster.nodeNames) {
            expect(await missingKeys(cluster.direct(node), mustSurvive), node).to.deep.equal([]);
        }
        console.log(`      ${mustSurvive.length} keys acknowledged over 1 s before killing all nodes survived; master now ${newMaster}`);
    });
});
