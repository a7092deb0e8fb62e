import { expect } from "chai";
import * as path from "node:path";
import { readHead } from "../../ops/backup/manifest";
import { parseRdbHeader } from "../../ops/backup/rdb-header";
import { currentMaster, pickReplica, snapshotOnReplica, withNode } from "../../ops/backup/run-backup";
import { parseInfo } from "../../ops/redis/replies";
import { nodesOf } from "../../contracts/plan";
import { useHostCluster } from "../support/use-host-cluster";

describe("host: the backup's snapshot on a replica of Redis processes", function () {
    this.timeout(60_000);
    const cluster = useHostCluster(this, { basePort: 22250 });

    it("finds the master through the Sentinels, picks an in-sync replica and snapshots exactly the master's keys there", async () => {
        const plan = cluster.plan();
        const master = await currentMaster(plan, cluster.credentials);
        expect(master.name).to.equal("redis-0");
        const m = cluster.client(master.port);
        const pipeline = m.pipeline();
        for (let i = 0; i < 500; i++) {
            if (i % 2) pipeline.set(`k:${i}`, "v", "EX", 3600);
            else pipeline.set(`k:${i}`, "v");
        }
        await pipeline.exec();
        expect(await m.wait(2, 5000)).to.equal(2);
        const keys = await m.dbsize();
        m.disconnect();

        const candidates = await Promise.all(
            nodesOf(plan)
                .filter((n) => n.name !== master.name)
                .map(async (n) => ({
                    node: n.name,
                    replication: await withNode(n, cluster.credentials.redisPassword, async (c) => parseInfo(await c.info("replication"))),
                })),
        );
        const replicaName = pickReplica(candidates, master.announced);
        expect(replicaName).to.be.oneOf(["redis-1", "redis-2"]);
        const replica = nodesOf(plan).find((n) => n.name === replicaName)!;

        // Twice in a row: the second save finishes within the same second as the first.
        for (let round = 0; round < 2; round++) {
            const result = await withNode(replica, cluster.credentials.redisPassword, (c) => snapshotOnReplica(c, replica.name, 20_000));
            expect(result.redisVersion).to.match(/^7\./);
            expect(result.appendonly).to.equal(true);
            const head = parseRdbHeader(readHead(path.join(cluster.dir, replica.name, "dump.rdb")));
            expect(head.firstDatabase).to.deep.equal({ db: 0, keys, expires: 250 });
            expect(head.aux["repl-id"]).to.match(/^[0-9a-f]{40}$/);
        }

        // An AOF rewrite running when the snapshot starts (its child blocks a plain BGSAVE:
        // "Another child process is active", seen in CI). Slowed down so that it is still running.
        const saved = await withNode(replica, cluster.credentials.redisPassword, async (c) => {
            await c.config("SET", "rdb-key-save-delay", "2000"); // µs per key: 500 keys take about 1 s
            try {
                await c.bgrewriteaof();
                expect(parseInfo(await c.info("persistence")).aof_rewrite_in_progress, "a rewrite runs").to.equal("1");
                return await snapshotOnReplica(c, replica.name, 20_000);
            } finally {
                await c.config("SET", "rdb-key-save-delay", "0");
            }
        });
        expect(saved.rdbSaves).to.be.greaterThan(0);
        expect(parseRdbHeader(readHead(path.join(cluster.dir, replica.name, "dump.rdb"))).firstDatabase).to.deep.equal({
            db: 0,
            keys,
            expires: 250,
        });
    });
});
