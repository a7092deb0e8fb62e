// The warmer's write path against real processes: a redis-server master, two replicas and three
// Sentinels on 127.0.0.1 (Debian's binaries, no Docker), started and stopped by the test.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { writeJsonlSnapshots } from "../../bench/snapshot";
import { validateStackConfig } from "../../settings/validate";
import { runWarm } from "../../ops/warm/run";
import { PostDeployPlan } from "../../contracts/plan";
import { parsePairs } from "../../ops/redis/replies";
import { acceptableTtlRange } from "../../ops/warm/ttl";
import { useHostCluster } from "../support/use-host-cluster";
import { waitFor } from "../support/live/wait";

/** Ports 21240-21242 (master and replicas) and 21260-21262 (Sentinels): issue 10's range (the benchmark takes 21200+). */
const BASE_PORT = 21240;

describe("host: the warmer through Sentinel", function () {
    this.timeout(120_000);
    const host = useHostCluster(this, { basePort: BASE_PORT });
    let dir: string;
    let plan: (appsPerStore: number) => Promise<PostDeployPlan>;

    before(() => {
        dir = mkdtempSync(path.join(tmpdir(), "appscreens-host-warm-"));
        plan = async (appsPerStore) => {
            const files = { appstore: path.join(dir, `a${appsPerStore}.jsonl`), playstore: path.join(dir, `p${appsPerStore}.jsonl`) };
            await writeJsonlSnapshots(files, appsPerStore);
            const settings = validateStackConfig({
                stack: "test",
                keys: ["cluster"],
                secrets: {},
                cluster: {
                    warmer: { appstore: { kind: "file", path: files.appstore }, playstore: { kind: "file", path: files.playstore } },
                },
            });
            return { ...host.plan(), warmer: settings.cluster.warmer };
        };
    });

    after(() => {
        if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const node = (port: number) => host.client(port);
    const masterPort = async () => {
        const sentinel = host.client(host.sentinelPorts[0], host.credentials.sentinelPassword);
        try {
            const [, port] = (await sentinel.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")) as string[];
            return Number(port);
        } finally {
            sentinel.disconnect();
        }
    };

    it("writes every key with SET EX through the batch script, on every node, with TTLs in range", async () => {
        const p = await plan(2_000);
        const report = await runWarm(p, host.credentials, { force: true, vantage: "host" });
        expect(report.ok, report.problems.join("; ")).to.equal(true);
        expect(report.keysWritten).to.equal(8_000);
        const shots = acceptableTtlRange(p.cache.screenshotsTtlSeconds, p.cache.ttlJitterPercent, p.warmer.refreshBelowTtlFraction);
        const meta = acceptableTtlRange(p.cache.metadataTtlSeconds, p.cache.ttlJitterPercent, p.warmer.refreshBelowTtlFraction);
        for (const port of host.nodePorts) {
            const client = node(port);
            try {
                expect(await client.dbsize(), `keys on ${port}`).to.equal(8_000);
                for (const key of report.keySample.slice(0, 200)) {
                    const ttl = await client.ttl(key);
                    const range = key.startsWith("metadata:") ? meta : shots;
                    expect(ttl, key).to.be.within(range.min, range.max);
                }
                const metadata = JSON.parse((await client.get("metadata:playstore:com.bench.app7"))!) as Record<string, unknown>;
                expect(metadata).to.include({ store: "playstore", appId: "com.bench.app7", name: "Bench App 7" });
                expect(String(metadata.description).length).to.be.at.most(p.warmer.descriptionMaxChars);
                expect(JSON.parse((await client.get("screenshots:appstore:1000000007"))!)).to.have.length(8);
            } finally {
                client.disconnect();
            }
        }
    });

    // A replica dead for good (a host lost): until the Sentinels hold it down, a WAIT for every
    // replica waits out its timeout; after that, every group must be confirmed by the replica
    // that can still be promoted, first time, with nothing sent twice.
    it("warms with a replica dead: the replica the Sentinels can promote confirms every group, none is replayed", async () => {
        const p = await plan(2_000);
        const master = await masterPort();
        const deadPort = host.nodePorts.find((port) => port !== master)!;
        const livePort = host.nodePorts.find((port) => port !== master && port !== deadPort)!;
        const dead = `redis-${host.nodePorts.indexOf(deadPort)}`;
        await host.kill(dead);
        try {
            await waitFor(`every Sentinel to hold ${dead} down`, async () => {
                for (const port of host.sentinelPorts) {
                    const sentinel = host.client(port, host.credentials.sentinelPassword);
                    try {
                        const replicas = (await sentinel.call("SENTINEL", "REPLICAS", "mymaster")) as string[][];
                        const entry = replicas.map(parsePairs).find((r) => r.port === String(deadPort));
                        if (!entry?.flags?.includes("s_down")) return undefined;
                    } finally {
                        sentinel.disconnect();
                    }
                }
                return true;
            });
            const report = await runWarm(p, host.credentials, { force: true, vantage: "host" });
            console.log(
                `      ${dead} dead: ${report.keysWritten} keys in ${(report.durationMs / 1000).toFixed(2)} s, replays ${report.stores.map((s) => s.replays).join("+")}`,
            );
            expect(report.ok, report.problems.join("; ")).to.equal(true);
            expect(report.keysWritten).to.equal(8_000);
            expect(report.stores.map((s) => s.replays)).to.deep.equal([0, 0]);
            for (const port of [master, livePort]) {
                const client = node(port);
                try {
                    for (const key of report.keySample.slice(0, 200)) expect(await client.exists(key), `${key} on ${port}`).to.equal(1);
                } finally {
                    client.disconnect();
                }
            }
        } finally {
            host.restart(dead);
            await host.settled(60_000);
        }
    });

    // A bare SENTINEL FAILOVER 300 ms into the run: the old master keeps taking writes for about a
    // second, the new one refuses them (NOREPLICAS) until a replica has resynced, and the old one
    // rejoins about 10 s later. Every key reported written must be on the new master at the end.
    // `waitReplicas` 1 is the rule before this check existed (one replica confirms a first write):
    // there the replica about to be moved confirms writes the old master took after the promotion,
    // and loses them when it resyncs, so the end-of-run check has keys to put back.
    for (const waitReplicas of [undefined, 1]) {
        it(`survives a failover mid-run: every key is on the new master (WAIT ${waitReplicas ?? "every replica"} first)`, async () => {
            const base = await plan(20_000);
            const p = waitReplicas ? { ...base, expected: { ...base.expected, replicas: waitReplicas } } : base;
            // The case before this one failed over too: its old master must have rejoined first.
            const before = await host.settledMaster();
            const old = node(before);
            await old.flushall();
            old.disconnect();
            const run = runWarm(p, host.credentials, { force: true, vantage: "host" });
            await new Promise((r) => setTimeout(r, 300));
            const moved = host.failover(before);
            moved.catch(() => undefined); // awaited below, after the run: no unhandled rejection meanwhile
            const report = await run;
            // The fault first: without a failover this case proves nothing.
            expect(await moved, "the master after SENTINEL FAILOVER").to.not.equal(before);
            const { rounds, appsMissing, keysRewritten, durationMs } = report.reconciliation;
            console.log(
                `      run ${(report.durationMs / 1000).toFixed(1)} s, replays ${report.stores.map((s) => s.replays).join("+")}; check: ${rounds} rounds, ${appsMissing} apps missing, ${keysRewritten} keys rewritten, ${durationMs} ms`,
            );
            expect(report.ok, report.problems.join("; ")).to.equal(true);
            expect(report.keysWritten).to.equal(80_000);
            expect(report.reconciliation.settled).to.equal(true);
            const after = await masterPort();
            expect(after).to.not.equal(before);
            const master = node(after);
            try {
                expect(await master.dbsize()).to.equal(80_000);
                for (const key of report.keySample) expect(await master.exists(key), key).to.equal(1);
            } finally {
                master.disconnect();
            }
        });
    }
});
