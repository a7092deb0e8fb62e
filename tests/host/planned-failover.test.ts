// The planned failover (ops/cluster/planned-failover.ts) against real Redis and Sentinel processes:
// every failover a tool or test injects goes through it, so when it resolves the master has moved,
// and when it cannot it says why, with its kind and the Sentinels' view.
import { expect } from "chai";
import { waitUntil } from "../../ops/deadline";
import { FailoverFailed, FailoverMethod, plannedFailover } from "../../ops/cluster/planned-failover";
import { waitForSettledCluster } from "../../ops/cluster/settle";
import { sentinelCommands } from "../../ops/redis/sentinel-commands";
import { nodeCommands } from "../../ops/redis/node-commands";
import { useHostCluster } from "../support/use-host-cluster";

/** Nodes 22205-22207, Sentinels 22225-22227: between the drill's ports (22200-22202, 22220-22222) and the backup's (22250..). */
const BASE_PORT = 22205;

describe("host: a planned failover has happened when it resolves", function () {
    this.timeout(120_000);
    const host = useHostCluster(this, { basePort: BASE_PORT });

    const failover = (options: { method?: FailoverMethod; timeoutMs?: number } = {}) =>
        plannedFailover(host.plan(), host.credentials, { method: options.method ?? "sentinel", timeoutMs: options.timeoutMs ?? 60_000 });
    const settled = (timeoutMs = 60_000) => waitForSettledCluster(host.plan(), host.credentials, { timeoutMs });
    const sentinel = (i: number) => sentinelCommands(host.client(host.sentinelPorts[i], host.credentials.sentinelPassword));

    it("moves the master twice in a row: the second waits until the first's old master has rejoined, then is accepted at once", async () => {
        const first = await failover();
        expect(first.to.name, "the first failover moved the master").to.not.equal(first.from.name);
        // No pause between: the old master still reports itself master for about 10 s, and a
        // SENTINEL FAILOVER sent now is what failed issue 19's test.
        const started = Date.now();
        const second = await failover();
        expect(second.from.name).to.equal(first.to.name);
        expect(second.to.name, "the second failover moved the master").to.not.equal(second.from.name);
        expect(second.attempts.map((a) => a.reply.kind)).to.deep.equal(["accepted"]);
        console.log(
            `      ${first.from.name} -> ${first.to.name} -> ${second.to.name}; the second took ${((Date.now() - started) / 1000).toFixed(1)} s (settling first)`,
        );
    });

    it("waits out a failover someone else started, then moves the master on from where that one left it", async () => {
        const before = await settled();
        const other = sentinel(1);
        try {
            await other.failover("mymaster");
        } finally {
            other.disconnect();
        }
        const outcome = await failover();
        expect(outcome.from.name, "it started from the master the other failover promoted").to.not.equal(before.name);
        expect(outcome.to.name).to.not.equal(outcome.from.name);
    });

    it("hands the master over (npm run failover's method) with the same certainty", async () => {
        const outcome = await failover({ method: "handover" });
        expect(outcome.to.name).to.not.equal(outcome.from.name);
        expect(outcome.attempts.map((a) => a.reply.kind)).to.deep.equal(["accepted"]);
        expect((await settled()).name).to.equal(outcome.to.name);
    });

    it("fails a hand-over whose replicas cannot catch up as not-started, with the view, and unpauses the master", async () => {
        const master = await settled();
        const replicas = host.nodePorts.map((port, i) => ({ port, name: `redis-${i}` })).filter((r) => r.port !== master.port);
        const node = host.client(master.port);
        try {
            // Frozen replicas stay linked (repl-timeout is 60 s) but acknowledge nothing, so the
            // master's offset, moved on by this write, is never reached.
            for (const r of replicas) host.freeze(r.name, true);
            await node.set("appscreens:handover-probe", "1");
            const started = Date.now();
            const err = await failover({ method: "handover", timeoutMs: 3_000 }).then(
                () => undefined,
                (e: unknown) => e,
            );
            expect(err).to.be.instanceOf(FailoverFailed);
            const failed = err as FailoverFailed;
            expect(failed.kind).to.equal("not-started");
            expect(failed.attempts, "nothing was sent").to.deep.equal([]);
            expect(failed.message).to.match(/catching up to offset \d+/);
            expect(failed.message).to.include(`names ${master.announced}, flags master`);
            expect(Date.now() - started, "within its deadline and the unpause's half second").to.be.below(6_000);
            // The master takes writes again (unpaused, or its pause, as long as the deadline, over).
            expect(await node.set("appscreens:handover-probe", "2")).to.equal("OK");
        } finally {
            for (const r of replicas) host.freeze(r.name, false);
            node.disconnect();
        }
        expect((await settled()).name, "nothing moved").to.equal(master.name);
    });

    it("fails with its kind, every attempt and the Sentinels' view when no replica may be promoted (-NOGOODSLAVE)", async () => {
        const master = await settled();
        const replicas = host.nodePorts.filter((p) => p !== master.port);
        const setPriority = async (priority: number) => {
            for (const port of replicas) {
                const node = nodeCommands(host.client(port));
                try {
                    await node.configSet("replica-priority", String(priority));
                } finally {
                    node.disconnect();
                }
            }
        };
        await setPriority(0);
        try {
            // Sentinel reads a replica's priority from its INFO, every 10 s.
            await waitUntil(
                "every Sentinel seeing both replicas at priority 0",
                async () => {
                    for (let i = 0; i < host.sentinelPorts.length; i++) {
                        const s = sentinel(i);
                        try {
                            if ((await s.replicas("mymaster")).filter((r) => r.priority === 0).length !== replicas.length) return undefined;
                        } finally {
                            s.disconnect();
                        }
                    }
                    return true;
                },
                30_000,
                500,
            );
            const err = await failover({ timeoutMs: 5_000 }).then(
                () => undefined,
                (e: unknown) => e,
            );
            expect(err).to.be.instanceOf(FailoverFailed);
            const failed = err as FailoverFailed;
            expect(failed.kind).to.equal("not-started");
            expect(failed.attempts.length).to.be.greaterThan(1);
            expect(new Set(failed.attempts.map((a) => a.sentinel)), "every attempt through the same Sentinel").to.have.property("size", 1);
            expect(failed.attempts.every((a) => a.reply.kind === "no-good-replica")).to.equal(true);
            expect(failed.message).to.match(/NOGOODSLAVE No suitable replica to promote/);
            expect(failed.message).to.include(`sentinel-0: names ${master.announced}, flags master`);
            expect((await settled(10_000)).name, "nothing moved").to.equal(master.name);
        } finally {
            await setPriority(100);
        }
    });
});
