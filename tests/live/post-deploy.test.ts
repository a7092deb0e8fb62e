import { expect } from "chai";
import { spawn } from "node:child_process";
import { PROJECT_DIR } from "../../settings/stack-file";
import { PostDeployPlan } from "../../contracts/plan";
import { VerificationReport } from "../../ops/verify/report";
import { WarmSummary } from "../../ops/warm/summary";
import { acceptableTtlRange } from "../../ops/warm/ttl";
import { FakeStores, startFakeStores } from "../support/fake-stores";
import { LiveCluster, testPlan } from "../support/live/live-cluster";
import { useLiveCluster } from "../support/live/use-live-cluster";

const MISSING_APP = "999999999";

/** Warmer config pointing both stores at the fake servers, plus one App Store id that does not exist. */
const warmerAt = (url: string) => ({
    cluster: {
        warmer: {
            appstore: { kind: "itunes", lookupBaseUrl: url, chartsBaseUrl: url, topN: 5 },
            playstore: { kind: "google-play-api", baseUrl: url, topN: 5 },
            apps: { appstore: [MISSING_APP], playstore: ["org.telegram.messenger"] },
            http: { retries: 1, timeoutMs: 2000, throttleBackoffMs: 500 },
        },
    },
});

interface CliRun {
    code: number;
    stdout: string;
    stderr: string;
}

/** Runs one of the CLIs the way an operator would, with the passwords in the environment. */
function runCli(script: "warm" | "verify", plan: PostDeployPlan, cluster: LiveCluster, args: string[] = []): Promise<CliRun> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ["--import", "tsx", `cli/${script}.ts`, "--json", ...args], {
            cwd: PROJECT_DIR,
            env: {
                ...process.env,
                APPSCREENS_POST_DEPLOY: JSON.stringify(plan),
                REDIS_PASSWORD: cluster.outputs.redisPassword,
                REDIS_SENTINEL_PASSWORD: cluster.outputs.sentinelPassword,
            },
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
        child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
}

describe("live: post-deploy warmer and verifier", function () {
    this.timeout(300_000);
    let stores: FakeStores;
    let plan: PostDeployPlan;
    const cluster = useLiveCluster(this, {
        // The fake stores first: the deploy's warmer reads from them.
        overrides: async () => {
            stores = await startFakeStores();
            const overrides = warmerAt(stores.server.url);
            plan = testPlan(overrides);
            return overrides;
        },
    });

    const expectNoSecrets = (run: CliRun) => {
        for (const secret of [cluster.outputs.redisPassword, cluster.outputs.sentinelPassword]) {
            expect(run.stdout.includes(secret) || run.stderr.includes(secret), "a password was printed").to.equal(false);
        }
    };

    after(async () => {
        await stores?.close();
    });

    it("warms and verifies on deploy, exporting the verification report", () => {
        const outputs = cluster.outputs as unknown as { verification: VerificationReport; warmSummary: WarmSummary };
        expect(outputs.verification.ok, outputs.verification.failed.join(", ")).to.equal(true);
        const names = outputs.verification.checks.map((c) => c.name);
        for (const expected of [
            "config.redis-2.appendfsync",
            "replication.masters",
            "sentinel.agreement",
            "sentinel.sentinel-1.ckquorum",
            "warm.redis-1.keys_present",
            "warm.redis-2.ttl_in_range",
        ]) {
            expect(names).to.include(expected);
        }
        const [appstore, playstore] = outputs.warmSummary.stores;
        expect(appstore).to.include({ store: "appstore", found: 6, fetched: 5, written: 5, skipped: 0 });
        expect(appstore.failed.map((f) => f.appId)).to.deep.equal([MISSING_APP]);
        expect(playstore).to.include({ store: "playstore", found: 6, fetched: 6, written: 6 });
        const exported = JSON.stringify({ verification: outputs.verification, warm: outputs.warmSummary });
        for (const secret of [cluster.outputs.redisPassword, cluster.outputs.sentinelPassword]) expect(exported).to.not.include(secret);
    });

    it("puts every warmed key on every node with a TTL in range", async () => {
        const screenshotsRange = acceptableTtlRange(
            plan.cache.screenshotsTtlSeconds,
            plan.cache.ttlJitterPercent,
            plan.warmer.refreshBelowTtlFraction,
        );
        const metadataRange = acceptableTtlRange(
            plan.cache.metadataTtlSeconds,
            plan.cache.ttlJitterPercent,
            plan.warmer.refreshBelowTtlFraction,
        );
        const ids = {
            appstore: stores.snapshot.stores.appstore.top,
            playstore: [...stores.snapshot.stores.playstore.top, "org.telegram.messenger"],
        };
        for (const name of cluster.nodeNames) {
            const client = cluster.direct(name);
            for (const [store, list] of Object.entries(ids)) {
                for (const id of list) {
                    const shots = JSON.parse((await client.get(`screenshots:${store}:${id}`)) ?? "null") as string[];
                    expect(shots, `${name} screenshots:${store}:${id}`).to.be.an("array").with.length.greaterThan(0);
                    const meta = JSON.parse((await client.get(`metadata:${store}:${id}`)) ?? "null") as { name: string; appId: string };
                    expect(meta.appId).to.equal(id);
                    const shotsTtl = await client.ttl(`screenshots:${store}:${id}`);
                    expect(shotsTtl).to.be.within(screenshotsRange.min, screenshotsRange.max);
                    expect(await client.ttl(`metadata:${store}:${id}`)).to.be.within(metadataRange.min, metadataRange.max);
                }
            }
            expect(await client.exists(`metadata:appstore:${MISSING_APP}`)).to.equal(0);
        }
    });

    it("skips fresh keys on a second run and prints no secret", async () => {
        const hitsBefore = stores.server.hits.length;
        const run = await runCli("warm", plan, cluster);
        expectNoSecrets(run);
        expect(run.code, run.stderr).to.equal(0);
        const summary = JSON.parse(run.stdout) as WarmSummary;
        expect(summary.keysWritten).to.equal(0);
        expect(summary.stores.map((s) => [s.store, s.skipped, s.written])).to.deep.equal([
            ["appstore", 5, 0],
            ["playstore", 6, 0],
        ]);
        // Fresh apps are not fetched again: only the two charts and the missing app were asked for.
        const lookups = stores.server.hits.slice(hitsBefore).map((h) => h.path);
        expect(lookups.filter((p) => p.startsWith("/lookup")).every((p) => p.includes(MISSING_APP))).to.equal(true);
        expect(lookups.filter((p) => /^\/api\/apps\/[^?]/.test(p))).to.deep.equal([]);
    });

    it("reports a store whose source is down and exits non-zero while still warming the other", async () => {
        await cluster.viaSentinel().del("screenshots:appstore:310633997");
        stores.down.add("playstore");
        try {
            const run = await runCli("warm", plan, cluster, ["--force"]);
            expectNoSecrets(run);
            expect(run.code).to.equal(1);
            const summary = JSON.parse(run.stdout) as WarmSummary;
            const [appstore, playstore] = summary.stores;
            expect(playstore.outage?.kind).to.equal("unavailable");
            expect(playstore.outage?.reason).to.match(/^list: HTTP 503/);
            expect(playstore.written).to.equal(0);
            expect(appstore.written).to.equal(5);
            expect(summary.problems[0]).to.match(/^playstore: store failed, unavailable/);
            expect(await cluster.viaSentinel().exists("screenshots:appstore:310633997")).to.equal(1);
        } finally {
            stores.down.delete("playstore");
        }
    });

    it("fails the run naming a throttled App Store (HTTP 403) while still warming the Play Store", async () => {
        await cluster.viaSentinel().del("metadata:playstore:com.whatsapp");
        const hitsBefore = stores.server.hits.length;
        stores.throttled.add("appstore");
        try {
            const run = await runCli("warm", plan, cluster, ["--force"]);
            expectNoSecrets(run);
            expect(run.code, run.stderr).to.equal(1);
            const summary = JSON.parse(run.stdout) as WarmSummary;
            const [appstore, playstore] = summary.stores;
            expect(appstore.outage?.kind).to.equal("throttled");
            expect(appstore.written).to.equal(0);
            expect(summary.ok).to.equal(false);
            expect(summary.problems).to.have.length(1);
            expect(summary.problems[0]).to.match(
                /^appstore: store failed, throttled \(list: HTTP 403 .*\(empty body\); still throttled after 1 retries/,
            );
            expect(playstore).to.include({ found: 6, written: 6 });
            expect(playstore.outage).to.equal(undefined);
            expect(await cluster.viaSentinel().exists("metadata:playstore:com.whatsapp")).to.equal(1);
            // Apple was asked once and retried once (http.retries: 1), then left alone.
            const appleHits = stores.server.hits.slice(hitsBefore).filter((h) => !h.path.startsWith("/api/apps"));
            expect(appleHits).to.have.length(2);
        } finally {
            stores.throttled.delete("appstore");
        }
    });

    describe("the verifier on a broken cluster", () => {
        const verifyFails = async (...checks: string[]) => {
            const run = await runCli("verify", plan, cluster);
            expectNoSecrets(run);
            const report = JSON.parse(run.stdout) as VerificationReport;
            expect(run.code).to.equal(1);
            expect(report.ok).to.equal(false);
            expect(report.failed).to.include.members(checks);
            expect(run.stderr).to.include(`verification failed: ${report.failed.join(", ")}`);
            return report;
        };

        it("passes on the healthy cluster", async () => {
            const run = await runCli("verify", plan, cluster);
            const report = JSON.parse(run.stdout) as VerificationReport;
            expect(report.failed).to.deep.equal([]);
            expect(run.code).to.equal(0);
        });

        it("fails the replica's checks when a replica is stopped", async () => {
            const master = await cluster.settled();
            const stopped = cluster.nodeNames.filter((n) => n !== master)[0];
            await cluster.container(stopped).stop();
            try {
                await cluster.faultShows(stopped, "stopped");
                await verifyFails(`node.${stopped}.reachable`, "replication.connected_replicas", `replication.${stopped}.link`);
            } finally {
                await cluster.container(stopped).start();
                await cluster.settled();
            }
        });

        it("fails the Sentinel checks when a Sentinel is stopped", async () => {
            await cluster.container("sentinel-2").stop();
            try {
                await cluster.faultShows("sentinel-2", "stopped");
                await verifyFails("sentinel.sentinel-2.reachable", "sentinel.count");
            } finally {
                await cluster.container("sentinel-2").start();
            }
        });

        it("fails the persistence check when AOF is turned off with CONFIG SET", async () => {
            const node = cluster.direct("redis-1");
            await node.call("CONFIG", "SET", "appendonly", "no");
            try {
                const report = await verifyFails("config.redis-1.appendonly");
                expect(report.checks.find((c) => c.name === "config.redis-1.appendonly")).to.include({
                    expected: "yes",
                    actual: "no",
                });
            } finally {
                await node.call("CONFIG", "SET", "appendonly", "yes");
            }
        });

        it("fails the deploy when verification fails", async () => {
            await cluster.container("sentinel-1").stop();
            try {
                await cluster.faultShows("sentinel-1", "stopped");
                // A changed verifier setting re-runs the post-deploy command against the broken cluster.
                const error = await cluster
                    .up({
                        ...warmerAt(stores.server.url),
                        cluster: { ...warmerAt(stores.server.url).cluster, verifier: { sampleSize: 40, settleSeconds: 3 } },
                    })
                    .then(
                        () => undefined,
                        (err: Error) => err,
                    );
                expect(String(error)).to.match(/verification of stack test failed: .*sentinel\.sentinel-1\.reachable/);
            } finally {
                await cluster.container("sentinel-1").start();
            }
        });
    });
});
