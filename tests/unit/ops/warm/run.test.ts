import { expect } from "chai";
import { buildPostDeployPlan, PostDeployPlan } from "../../../../contracts/plan";
import { warmSummarySchema } from "../../../../contracts/report";
import { runWarm, WarmCluster, warmOptionsFor, WarmRunDeps } from "../../../../ops/warm/run";
import { AppOutcome, AppSelection, AppSource, Store } from "../../../../ops/warm/sources/types";
import { summarizeWarm } from "../../../../ops/warm/summary";
import { ProgressEvent } from "../../../../ops/warm/warmer";
import { FakeRedis, target } from "../../../support/fake-redis";
import { settingsFor } from "../../../support/settings";

/** A store whose chart is `ids`, every app found with one screenshot. */
const chart = (store: Store, ids: readonly string[]): AppSource => ({
    store,
    description: `fake ${store}`,
    async *apps(selection: AppSelection): AsyncGenerator<AppOutcome> {
        for (const appId of [...ids.slice(0, selection.topN), ...selection.explicit])
            yield { appId, record: { store, appId, screenshots: [`https://cdn/${appId}.png`], metadata: { name: appId } } };
    },
});

/** The fake cluster and what the run did with it. */
function fakeDeps(redis: FakeRedis, sources: readonly AppSource[]): WarmRunDeps & { asked: { vantage?: string }; closed: number } {
    const deps = {
        asked: {} as { vantage?: string },
        closed: 0,
        cluster: (_plan: PostDeployPlan, _credentials: unknown, vantage: string): WarmCluster => {
            deps.asked.vantage = vantage;
            return { ...target(redis), close: () => deps.closed++ };
        },
        sources: () => sources,
    };
    return deps;
}

const CREDENTIALS = { redisPassword: "r".repeat(20), sentinelPassword: "s".repeat(20) };

describe("the warm run (ops/warm/run.ts)", () => {
    const plan = buildPostDeployPlan(
        settingsFor({
            replicas: 3,
            cache: { screenshotsTtlSeconds: 7200, metadataTtlSeconds: 3600, ttlJitterPercent: 5 },
            warmer: {
                appstore: { kind: "itunes", topN: 30 },
                playstore: { kind: "none" },
                apps: { playstore: ["com.whatsapp"] },
                refreshBelowTtlFraction: 0.25,
                batchSize: 7,
                batchesInFlight: 3,
                confirmEveryBatches: 5,
                waitTimeoutMs: 900,
                descriptionMaxChars: 80,
            },
            verifier: { sampleSize: 5000 },
        }),
    );

    it("takes every warmer option from the plan, in one place", () => {
        const progress = (_e: ProgressEvent) => undefined;
        expect(warmOptionsFor(plan, { force: true, progress })).to.deep.equal({
            ttl: { screenshotsTtlSeconds: 7200, metadataTtlSeconds: 3600, ttlJitterPercent: 5 },
            topN: { appstore: 30, playstore: 0 },
            explicitApps: { appstore: [], playstore: ["com.whatsapp"] },
            refreshBelowTtlFraction: 0.25,
            force: true,
            batchSize: 7,
            batchesInFlight: 3,
            confirmEveryBatches: 5,
            waitTimeoutMs: 900,
            waitReplicas: 3,
            descriptionMaxChars: 80,
            keySampleSize: 5000,
            progress,
        });
        expect(warmOptionsFor(buildPostDeployPlan(settingsFor()), { force: false }).keySampleSize).to.equal(1000);
    });

    it("warms the plan's cluster from its sources and lets go of the cluster, with a summary the report's schema accepts", async () => {
        const redis = new FakeRedis();
        const deps = fakeDeps(redis, [chart("appstore", ["1", "2", "3"]), chart("playstore", [])]);
        const report = await runWarm(plan, CREDENTIALS, { force: false, vantage: "network" }, deps);
        expect(report.ok, report.problems.join("; ")).to.equal(true);
        expect(report.keysWritten).to.equal(8);
        expect(redis.store.has("screenshots:playstore:com.whatsapp")).to.equal(true);
        expect(deps.asked.vantage).to.equal("network");
        expect(deps.closed).to.equal(1);
        const summary = summarizeWarm(report);
        expect(warmSummarySchema.parse(JSON.parse(JSON.stringify(summary)))).to.deep.equal(JSON.parse(JSON.stringify(summary)));
    });

    it("lets go of the cluster when the run throws", async () => {
        const deps = fakeDeps(new FakeRedis(), []);
        const failing: WarmRunDeps = {
            ...deps,
            sources: () => {
                throw new Error("no source");
            },
        };
        let error: unknown;
        await runWarm(plan, CREDENTIALS, { force: false, vantage: "host" }, failing).catch((err: unknown) => (error = err));
        expect(String(error)).to.include("no source");
        expect(deps.closed).to.equal(1);
    });
});
