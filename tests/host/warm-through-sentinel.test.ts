// The warmer's write path against real processes: a redis-server master, two replicas and three
// Sentinels on 127.0.0.1 (Debian's binaries, no Docker), started and stopped by the test.
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import Redis from "ioredis";
import { writeJsonlSnapshots } from "../../bench/snapshot";
import { validateStackConfig } from "../../config/validate";
import { runWarm } from "../../post-deploy/cli/common";
import { buildPostDeployPlan, PostDeployPlan } from "../../post-deploy/plan";
import { acceptableTtlRange } from "../../post-deploy/ttl";
import { HostRedis, startHostRedis } from "../../testing/host-redis";

/** Ports 21100-21115 (the master and replicas from 21100, the Sentinels from 21110). */
const BASE_PORT = 21100;

function requireRedisBinaries(ctx: Mocha.Context): void {
    try {
        execFileSync("redis-server", ["--version"], { stdio: "ignore" });
        execFileSync("redis-sentinel", ["--version"], { stdio: "ignore" });
    } catch {
        const message = "redis-server/redis-sentinel are not installed (Debian's redis-server and redis-sentinel; npm test installs them)";
        if (process.env.CI) throw new Error(`${message}. CI must not skip these tests.`);
        console.warn(`skipping: ${message}`);
        ctx.skip();
    }
}

describe("host: the warmer through Sentinel", function () {
    this.timeout(120_000);
    let host: HostRedis;
    let dir: string;
    let plan: (appsPerStore: number) => Promise<PostDeployPlan>;

    before(async function () {
        requireRedisBinaries(this);
        host = await startHostRedis({ basePort: BASE_PORT });
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
            return { ...buildPostDeployPlan(settings), sentinels: host.sentinels, natMap: {}, masterName: host.masterName };
        };
    });

    after(async () => {
        await host?.stop();
        if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const node = (port: number) => new Redis({ host: "127.0.0.1", port, password: host.redisPassword });
    const masterPort = async () => {
        const sentinel = new Redis({ ...host.sentinels[0], password: host.sentinelPassword });
        try {
            const [, port] = (await sentinel.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", host.masterName)) as string[];
            return Number(port);
        } finally {
            sentinel.disconnect();
        }
    };

    it("writes every key with SET EX through the batch script, on every node, with TTLs in range", async () => {
        const p = await plan(2_000);
        const report = await runWarm(p, host, { force: true, vantage: "host" });
        expect(report.ok, report.problems.join("; ")).to.equal(true);
        expect(report.keysWritten).to.equal(8_000);
        const shots = acceptableTtlRange(p.cache.screenshotsTtlSeconds, p.cache.ttlJitterPercent, p.warmer.refreshBelowTtlFraction);
        const meta = acceptableTtlRange(p.cache.metadataTtlSeconds, p.cache.ttlJitterPercent, p.warmer.refreshBelowTtlFraction);
        for (const n of host.nodes) {
            const client = node(n.port);
            try {
                expect(await client.dbsize(), `keys on ${n.port}`).to.equal(8_000);
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

    it("survives a failover mid-run: every key is on the new master", async () => {
        const p = await plan(20_000);
        const before = await masterPort();
        const old = node(before);
        await old.flushall();
        old.disconnect();
        const run = runWarm(p, host, { force: true, vantage: "host" });
        await new Promise((r) => setTimeout(r, 300));
        const sentinel = new Redis({ ...host.sentinels[0], password: host.sentinelPassword });
        await sentinel.call("SENTINEL", "FAILOVER", host.masterName);
        sentinel.disconnect();
        const report = await run;
        expect(report.ok, report.problems.join("; ")).to.equal(true);
        expect(report.keysWritten).to.equal(80_000);
        const after = await masterPort();
        if (process.env.DEBUG_HOST) {
            console.log(
                JSON.stringify(report.stores.map((s) => ({ ...s, failed: s.failed.slice(0, 2) }))),
                report.durationMs,
                before,
                after,
            );
            for (const n of host.nodes) {
                const c = node(n.port);
                console.log(n.port, await c.dbsize(), (await c.info("replication")).split("\r\n").slice(0, 4).join(" "));
                c.disconnect();
            }
        }
        expect(after).to.not.equal(before);
        const master = node(after);
        try {
            expect(await master.dbsize()).to.equal(80_000);
            for (const key of report.keySample) expect(await master.exists(key), key).to.equal(1);
        } finally {
            master.disconnect();
        }
    });
});
