import { expect } from "chai";
import type Redis from "ioredis";
import { AppRecord, AppSource, Store } from "../../../post-deploy/sources/types";
import { warm, WarmOptions, WarmTarget } from "../../../post-deploy/warmer";

/**
 * Just enough of an ioredis client for the warmer: SET/TTL in pipelines and WAIT, over a map.
 * `waitReplies` scripts what WAIT answers (a replica confirming or not), one per call.
 */
class FakeRedis {
    readonly store = new Map<string, { value: string; ttl: number }>();
    readonly waits: number[] = [];
    constructor(private readonly waitReplies: number[]) {}

    pipeline() {
        const ops: (() => [Error | null, unknown])[] = [];
        const chain = {
            set: (key: string, value: string, _ex: string, ttl: number) => {
                ops.push(() => {
                    this.store.set(key, { value, ttl });
                    return [null, "OK"];
                });
                return chain;
            },
            ttl: (key: string) => {
                ops.push(() => [null, this.store.get(key)?.ttl ?? -2]);
                return chain;
            },
            exec: async () => ops.map((op) => op()),
        };
        return chain;
    }

    async wait(replicas: number, timeout: number): Promise<number> {
        this.waits.push(timeout);
        return this.waitReplies.shift() ?? replicas;
    }
}

const app = (store: Store, appId: string): AppRecord => ({
    store,
    appId,
    screenshots: [`https://cdn/${appId}.png`],
    metadata: { name: appId },
});

function source(
    store: Store,
    top: string[],
    options: { failing?: Set<string>; topError?: Error } = {},
): AppSource & { requested: string[] } {
    const requested: string[] = [];
    return {
        store,
        description: `fake ${store}`,
        requested,
        topApps: async (limit) => {
            if (options.topError) throw options.topError;
            return top.slice(0, limit);
        },
        app: async (id) => {
            requested.push(id);
            if (options.failing?.has(id)) throw new Error(`cannot reach fake ${store}: ECONNREFUSED`);
            return app(store, id);
        },
    };
}

const OPTIONS: WarmOptions = {
    ttl: { screenshotsTtlSeconds: 1000, metadataTtlSeconds: 500, ttlJitterPercent: 10 },
    topN: { appstore: 10, playstore: 10 },
    explicitApps: { appstore: [], playstore: [] },
    refreshBelowTtlFraction: 0.5,
    force: false,
    batchSize: 2,
    waitTimeoutMs: 100,
};

function target(redis: FakeRedis): WarmTarget & { reresolved: number } {
    const t = {
        reresolved: 0,
        client: () => redis as unknown as Redis,
        reresolve: async () => {
            t.reresolved++;
        },
    };
    return t;
}

describe("warm", function () {
    this.timeout(10_000);

    it("writes both keys of every app from the charts and the explicit list, with jittered TTLs", async () => {
        const redis = new FakeRedis([]);
        const report = await warm(target(redis), [source("appstore", ["1", "2"]), source("playstore", ["a.b"])], {
            ...OPTIONS,
            explicitApps: { appstore: ["2", "3"], playstore: [] },
        });
        expect(report.ok).to.equal(true);
        expect(report.stores.map((s) => [s.store, s.found, s.written])).to.deep.equal([
            ["appstore", 3, 3],
            ["playstore", 1, 1],
        ]);
        expect(report.keysWritten).to.equal(8);
        expect([...redis.store.keys()].sort()).to.deep.equal([...report.keys].sort());
        expect(JSON.parse(redis.store.get("screenshots:appstore:3")!.value)).to.deep.equal(["https://cdn/3.png"]);
        for (const [key, { ttl }] of redis.store) {
            const base = key.startsWith("metadata:") ? 500 : 1000;
            expect(ttl, key).to.be.within(base * 0.9, base * 1.1);
        }
        // Batches of 2 apps: 2 WAITs for the App Store's 3 apps, 1 for the Play Store's.
        expect(redis.waits).to.deep.equal([100, 100, 100]);
    });

    it("skips apps whose keys are still fresh, without asking the source, unless forced", async () => {
        const redis = new FakeRedis([]);
        redis.store.set("screenshots:appstore:1", { value: "[]", ttl: 900 });
        redis.store.set("metadata:appstore:1", { value: "{}", ttl: 400 });
        redis.store.set("screenshots:appstore:2", { value: "[]", ttl: 100 });
        redis.store.set("metadata:appstore:2", { value: "{}", ttl: 400 });
        const appstore = source("appstore", ["1", "2"]);
        const report = await warm(target(redis), [appstore], OPTIONS);
        expect(report.stores[0]).to.include({ found: 2, skipped: 1, written: 1 });
        expect(appstore.requested).to.deep.equal(["2"]);
        expect(report.keys).to.include.members(["screenshots:appstore:1", "metadata:appstore:2"]);
        const forced = source("appstore", ["1", "2"]);
        expect((await warm(target(redis), [forced], { ...OPTIONS, force: true })).stores[0].skipped).to.equal(0);
        expect(forced.requested).to.deep.equal(["1", "2"]);
    });

    it("replays a batch no replica confirmed after re-resolving the master", async () => {
        const redis = new FakeRedis([0, 1]);
        const t = target(redis);
        const report = await warm(t, [source("appstore", ["1"])], OPTIONS);
        expect(report.ok).to.equal(true);
        expect(t.reresolved).to.equal(1);
        expect(report.stores[0]).to.include({ written: 1, replays: 1 });
    });

    it("fails the apps of a batch that is never confirmed, and the run when nothing was written", async () => {
        const redis = new FakeRedis([0, 0, 0, 0]);
        const report = await warm(target(redis), [source("appstore", ["1"])], { ...OPTIONS, maxReplays: 3 });
        expect(report.ok).to.equal(false);
        expect(report.stores[0].failed).to.deep.equal([
            { appId: "1", reason: "not written: no replica confirmed the batch within 100 ms (WAIT)" },
        ]);
        expect(report.problems).to.deep.equal(["nothing could be written to the master"]);
        expect(report.keys).to.deep.equal([]);
    });

    it("keeps going when one app fails and reports why", async () => {
        const report = await warm(target(new FakeRedis([])), [source("playstore", ["a.a", "b.b"], { failing: new Set(["b.b"]) })], OPTIONS);
        expect(report.ok).to.equal(true);
        expect(report.stores[0]).to.deep.include({
            written: 1,
            failed: [{ appId: "b.b", reason: "cannot reach fake playstore: ECONNREFUSED" }],
        });
    });

    it("fails the run when a store's source is unreachable, still warming the other store", async () => {
        const report = await warm(
            target(new FakeRedis([])),
            [source("appstore", ["1"]), source("playstore", [], { topError: new Error("HTTP 503 from fake") })],
            OPTIONS,
        );
        expect(report.ok).to.equal(false);
        expect(report.stores[1].unreachable).to.equal("top chart: HTTP 503 from fake");
        expect(report.stores[0].written).to.equal(1);
        expect(report.problems).to.deep.equal(["playstore: source unreachable (top chart: HTTP 503 from fake)"]);
    });

    it("calls a store unreachable when every app request fails for network reasons", async () => {
        const report = await warm(target(new FakeRedis([])), [source("appstore", ["1", "2"], { failing: new Set(["1", "2"]) })], OPTIONS);
        expect(report.stores[0].unreachable).to.match(/^every app request failed: cannot reach/);
        expect(report.ok).to.equal(false);
    });
});
