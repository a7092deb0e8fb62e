import { expect } from "chai";
import { failureOf, SourceError } from "../../../../ops/warm/sources/failure";
import { AppOutcome, AppRecord, AppSelection, AppSource, ChartSkips, Store } from "../../../../ops/warm/sources/types";
import { warm, WarmOptions } from "../../../../ops/warm/warmer";
import { FakeRedis, target } from "../../../support/fake-redis";

const app = (store: Store, appId: string, screenshots = [`https://cdn/${appId}.png`]): AppRecord => ({
    store,
    appId,
    screenshots,
    metadata: { name: appId },
});

/** A source over a fixed list that honours freshness; `failures` maps an app to how it fails. */
function source(
    store: Store,
    top: string[],
    options: {
        failures?: Record<string, SourceError>;
        listError?: SourceError;
        records?: Record<string, AppRecord>;
        chartSkipped?: ChartSkips;
    } = {},
): AppSource & { requested: string[] } {
    const requested: string[] = [];
    return {
        store,
        description: `fake ${store}`,
        requested,
        async *apps(selection: AppSelection): AsyncGenerator<AppOutcome> {
            if (options.listError) throw options.listError;
            if (options.chartSkipped) selection.chartSkipped?.(options.chartSkipped);
            const ids = [...new Set([...top.slice(0, selection.topN), ...selection.explicit])];
            const fresh = await selection.fresh(ids);
            for (const appId of ids) {
                if (fresh.has(appId)) {
                    yield { appId, fresh: true };
                    continue;
                }
                requested.push(appId);
                const failure = options.failures?.[appId];
                yield failure ? { appId, failure: failureOf(failure) } : { appId, record: options.records?.[appId] ?? app(store, appId) };
            }
        },
    };
}

const OPTIONS: WarmOptions = {
    ttl: { screenshotsTtlSeconds: 1000, metadataTtlSeconds: 500, ttlJitterPercent: 10 },
    topN: { appstore: 10_000, playstore: 10_000 },
    explicitApps: { appstore: [], playstore: [] },
    refreshBelowTtlFraction: 0.5,
    force: false,
    batchSize: 2,
    batchesInFlight: 2,
    confirmEveryBatches: 8,
    waitTimeoutMs: 100,
    descriptionMaxChars: 40,
};

const ids = (n: number, prefix = "") => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

describe("warm", function () {
    this.timeout(10_000);

    it("writes both keys of every app from the charts and the explicit list, with jittered TTLs", async () => {
        const redis = new FakeRedis();
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
        expect([...redis.store.keys()].sort()).to.deep.equal([...report.keySample].sort());
        expect(JSON.parse(redis.store.get("screenshots:appstore:3")!.value)).to.deep.equal(["https://cdn/3.png"]);
        for (const [key, { ttl }] of redis.store) {
            const base = key.startsWith("metadata:") ? 500 : 1000;
            expect(ttl, key).to.be.within(base * 0.9, base * 1.1);
        }
    });

    it("confirms many batches with one WAIT per group, not one per batch", async () => {
        const redis = new FakeRedis();
        const report = await warm(target(redis), [source("appstore", ids(100))], { ...OPTIONS, batchSize: 5, confirmEveryBatches: 4 });
        expect(report.stores[0].written).to.equal(100);
        expect(redis.pipelines.filter((n) => n === 10)).to.have.length(20);
        expect(redis.waits).to.have.length(5);
    });

    it("times the write phase apart from the run: first write, writes settled, end", async () => {
        const redis = new FakeRedis();
        const written = await warm(target(redis), [source("appstore", ids(20))], OPTIONS);
        const { firstWriteMs, writesSettledMs } = written.timings;
        expect(firstWriteMs).to.be.a("number");
        expect(firstWriteMs).to.be.at.most(writesSettledMs);
        expect(writesSettledMs).to.be.at.most(written.durationMs);
        const nothing = await warm(target(redis), [source("appstore", [])], OPTIONS);
        expect(nothing.timings.firstWriteMs).to.equal(undefined);
    });

    it("skips apps whose keys are still fresh, without asking the source, unless forced", async () => {
        const redis = new FakeRedis();
        redis.store.set("screenshots:appstore:1", { value: "[]", ttl: 900 });
        redis.store.set("metadata:appstore:1", { value: "{}", ttl: 400 });
        redis.store.set("screenshots:appstore:2", { value: "[]", ttl: 100 });
        redis.store.set("metadata:appstore:2", { value: "{}", ttl: 400 });
        const appstore = source("appstore", ["1", "2"]);
        const report = await warm(target(redis), [appstore], OPTIONS);
        expect(report.stores[0]).to.include({ found: 2, skipped: 1, written: 1 });
        expect(appstore.requested).to.deep.equal(["2"]);
        expect(report.keySample).to.include.members(["screenshots:appstore:1", "metadata:appstore:2"]);
        const forced = source("appstore", ["1", "2"]);
        expect((await warm(target(redis), [forced], { ...OPTIONS, force: true })).stores[0].skipped).to.equal(0);
        expect(forced.requested).to.deep.equal(["1", "2"]);
    });

    it("replays a group no replica confirmed on the re-resolved master", async () => {
        const old = new FakeRedis([0]);
        const promoted = new FakeRedis([1]);
        const t = target(old, promoted);
        const report = await warm(t, [source("appstore", ["1", "2", "3"])], OPTIONS);
        expect(report.ok).to.equal(true);
        expect(t.reresolved).to.equal(1);
        expect(report.stores[0]).to.include({ written: 3, replays: 1 });
        expect([...promoted.store.keys()].sort()).to.deep.equal([
            "metadata:appstore:1",
            "metadata:appstore:2",
            "metadata:appstore:3",
            "screenshots:appstore:1",
            "screenshots:appstore:2",
            "screenshots:appstore:3",
        ]);
    });

    it("asks only for the replicas the Sentinels can promote when they hold one down, and replays nothing", async () => {
        // Two replicas configured, one dead: each WAIT for 2 counts 1.
        const redis = new FakeRedis(Array.from({ length: 50 }, () => 1));
        const t = target(redis);
        t.upReplicas = 1;
        const report = await warm(t, [source("appstore", ids(40))], { ...OPTIONS, waitReplicas: 2, batchSize: 5, confirmEveryBatches: 2 });
        expect(report.ok).to.equal(true);
        expect(report.stores[0]).to.include({ written: 40, replays: 0 });
        // Asked before the first group: no WAIT waits for the dead one.
        expect(redis.waitAsked).to.satisfy((asked: number[]) => asked.length > 0 && asked.every((n) => n === 1));
    });

    it("still replays a group a replica the Sentinels count as up did not confirm", async () => {
        const redis = new FakeRedis([1]);
        const t = target(redis);
        t.upReplicas = 2;
        const report = await warm(t, [source("appstore", ids(3))], { ...OPTIONS, waitReplicas: 2 });
        expect(report.ok).to.equal(true);
        expect(report.stores[0]).to.include({ written: 3, replays: 1 });
        expect(redis.waitAsked).to.deep.equal([2, 2]);
    });

    it("replays a group whose pipeline came back with an error reply (a demoted master)", async () => {
        const demoted = new FakeRedis();
        demoted.failNextExec = new Error("READONLY You can't write against a read only replica.");
        const promoted = new FakeRedis();
        const report = await warm(target(demoted, promoted), [source("playstore", ["a.a"])], { ...OPTIONS, force: true });
        expect(report.ok).to.equal(true);
        expect(report.stores[0]).to.include({ written: 1, replays: 1 });
        expect(promoted.store.has("metadata:playstore:a.a")).to.equal(true);
    });

    it("does not take a WAIT answered on a new connection as confirming writes sent on the old one", async () => {
        // ioredis reconnected (and resent the WAIT) between the writes and their WAIT: the WAIT counts nothing of them.
        const redis = new FakeRedis();
        redis.reconnectBeforeNextWait = true;
        const t = target(redis);
        const report = await warm(t, [source("appstore", ["1", "2"])], { ...OPTIONS, force: true });
        expect(report.ok).to.equal(true);
        expect(report.stores[0]).to.include({ written: 2, replays: 1 });
        expect(redis.waits).to.have.length(2);
    });

    it("fails the apps of a group that is never confirmed as not-written, and the run when nothing was written", async () => {
        const redis = new FakeRedis([0, 0, 0, 0]);
        const report = await warm(target(redis), [source("appstore", ["1"])], { ...OPTIONS, replayWindowMs: 0 });
        expect(report.ok).to.equal(false);
        expect(report.stores[0].failures).to.deep.equal({ "not-written": 1 });
        expect(report.stores[0].failed).to.deep.equal([
            { appId: "1", kind: "not-written", reason: "not written: no replica confirmed the writes within 100 ms (WAIT)" },
        ]);
        expect(report.problems).to.deep.equal(["nothing could be written to the master"]);
        expect(report.keySample).to.deep.equal([]);
    });

    it("keeps going when one app fails and reports its kind", async () => {
        const report = await warm(
            target(new FakeRedis()),
            [source("playstore", ["a.a", "b.b"], { failures: { "b.b": new SourceError("not-found", "App not found (404)") } })],
            OPTIONS,
        );
        expect(report.ok).to.equal(true);
        expect(report.stores[0]).to.deep.include({
            written: 1,
            failures: { "not-found": 1 },
            failed: [{ appId: "b.b", kind: "not-found", reason: "App not found (404)" }],
        });
        expect(report.stores[0].outage).to.equal(undefined);
    });

    it("fails the run when a store's list cannot be read, still warming the other store", async () => {
        const report = await warm(
            target(new FakeRedis()),
            [source("appstore", ["1"]), source("playstore", [], { listError: new SourceError("unavailable", "HTTP 503 from fake") })],
            OPTIONS,
        );
        expect(report.ok).to.equal(false);
        expect(report.stores[1].outage).to.deep.equal({ kind: "unavailable", reason: "list: HTTP 503 from fake" });
        expect(report.stores[0].written).to.equal(1);
        expect(report.problems).to.deep.equal(["playstore: store failed, unavailable (list: HTTP 503 from fake)"]);
    });

    it("calls a store down when every app request found it unavailable", async () => {
        const down = new SourceError("unavailable", "cannot reach fake: ECONNREFUSED");
        const report = await warm(
            target(new FakeRedis()),
            [source("appstore", ["1", "2"], { failures: { "1": down, "2": down } })],
            OPTIONS,
        );
        expect(report.stores[0].outage?.kind).to.equal("unavailable");
        expect(report.stores[0].outage?.reason).to.match(/^every app request failed: cannot reach/);
        expect(report.ok).to.equal(false);
    });

    it("fails a store that stays throttled, telling its throttling once and counting the apps it cost", async () => {
        const throttled = new SourceError(
            "throttled",
            "HTTP 403 (empty body); still throttled after 3 retries (no Retry-After); stopped asking",
            {
                throttling: { status: 403, retries: 3 },
            },
        );
        const report = await warm(
            target(new FakeRedis()),
            [source("appstore", ["1", "2", "3"], { failures: { "2": throttled, "3": throttled } }), source("playstore", ["a.b"])],
            OPTIONS,
        );
        expect(report.ok).to.equal(false);
        const [appstore, playstore] = report.stores;
        expect(appstore).to.deep.include({ written: 1, failures: { throttled: 2 }, throttling: { status: 403, retries: 3 } });
        // Each app says only that the store throttled; the store's answer is told once.
        expect(appstore.failed).to.deep.equal([
            { appId: "2", kind: "throttled", reason: "store throttled" },
            { appId: "3", kind: "throttled", reason: "store throttled" },
        ]);
        expect(report.problems).to.deep.equal([
            "appstore: store failed, throttled (HTTP 403 (empty body); still throttled after 3 retries (no Retry-After); stopped asking; 2 apps not fetched)",
        ]);
        expect(playstore).to.include({ written: 1 });
        expect(playstore.outage).to.equal(undefined);
        expect(playstore.throttling).to.equal(undefined);
    });

    it("tells a chart lost to throttling by the store's answer", async () => {
        const throttled = new SourceError(
            "throttled",
            "HTTP 400: busy; still throttled after 1 retries (Retry-After 60 s); stopped asking",
            {
                throttling: { status: 400, retries: 1, retryAfterMs: 60_000, body: "busy" },
            },
        );
        const report = await warm(target(new FakeRedis()), [source("playstore", [], { listError: throttled })], OPTIONS);
        expect(report.stores[0].throttling).to.deep.equal({ status: 400, retries: 1, retryAfterMs: 60_000, body: "busy" });
        expect(report.problems).to.deep.equal([
            "playstore: store failed, throttled (list: HTTP 400: busy; still throttled after 1 retries (Retry-After 60 s); stopped asking)",
        ]);
    });

    it("counts the fields dropped from the apps it fetched and the chart entries skipped, and still writes those apps", async () => {
        const redis = new FakeRedis();
        const dropped = (appId: string, fields: string[]): AppRecord => ({ ...app("playstore", appId), fieldsDropped: fields });
        const report = await warm(
            target(redis),
            [
                source("playstore", ["a.a", "b.b", "c.c"], {
                    records: { "a.a": dropped("a.a", ["updated"]), "b.b": dropped("b.b", ["updated", "developer"]) },
                    chartSkipped: { "no-id": 2 },
                }),
            ],
            OPTIONS,
        );
        expect(report.ok).to.equal(true);
        expect(report.stores[0]).to.deep.include({
            written: 3,
            fieldsDropped: { updated: 2, developer: 1 },
            chartSkipped: { "no-id": 2 },
            failures: {},
        });
        expect(JSON.parse(redis.store.get("screenshots:playstore:b.b")!.value)).to.deep.equal(["https://cdn/b.b.png"]);
        // Which fields were dropped is for the report, not the cache.
        expect(redis.store.get("metadata:playstore:b.b")!.value).to.not.include("fieldsDropped");
    });

    it("caches an app without screenshots with its metadata only, counted as such", async () => {
        const redis = new FakeRedis();
        const report = await warm(target(redis), [source("appstore", ["1"], { records: { "1": app("appstore", "1", []) } })], OPTIONS);
        expect(report.stores[0]).to.include({ written: 1, withoutScreenshots: 1 });
        expect(redis.store.has("screenshots:appstore:1")).to.equal(false);
        expect(redis.store.has("metadata:appstore:1")).to.equal(true);
        expect(report.keysWritten).to.equal(1);
    });

    it("caps the cached description", async () => {
        const redis = new FakeRedis();
        const long = { ...app("appstore", "1"), metadata: { name: "x", description: "word ".repeat(100) } };
        await warm(target(redis), [source("appstore", ["1"], { records: { "1": long } })], OPTIONS);
        const meta = JSON.parse(redis.store.get("metadata:appstore:1")!.value) as { description: string };
        expect(meta.description.length).to.be.at.most(40);
        expect(meta.description.endsWith("…")).to.equal(true);
    });

    it("reports a bounded, uniform sample of the keys, not every key", async () => {
        const redis = new FakeRedis();
        const report = await warm(target(redis), [source("appstore", ids(2000))], { ...OPTIONS, batchSize: 100, keySampleSize: 100 });
        expect(report.keysWritten).to.equal(4000);
        expect(report.keySample).to.have.length(100);
        expect(new Set(report.keySample).size).to.equal(100);
        for (const key of report.keySample) expect(redis.store.has(key), key).to.equal(true);
        // Uniform: both halves of the run are represented.
        const late = report.keySample.filter((k) => Number(k.split(":")[2]) > 1000).length;
        expect(late).to.be.within(20, 80);
    });

    describe("the end-of-run check", () => {
        it("puts back keys a failover dropped after a replica confirmed them, fetching only those apps again", async () => {
            const redis = new FakeRedis();
            redis.loseOnce.add("metadata:appstore:2");
            const appstore = source("appstore", ["1", "2", "3"]);
            const report = await warm(target(redis), [appstore], { ...OPTIONS, force: true });
            expect(report.ok, report.problems.join("; ")).to.equal(true);
            expect(report.stores[0]).to.include({ written: 3 });
            expect(report.keysWritten).to.equal(6);
            expect(redis.store.has("metadata:appstore:2")).to.equal(true);
            expect(appstore.requested).to.deep.equal(["1", "2", "3", "2"]);
            expect(report.reconciliation).to.include({ settled: true, rounds: 2, keysChecked: 12, appsMissing: 1, keysRewritten: 2 });
        });

        it("checks on the master the Sentinels name, leaving a demoted one, and writes there what it lacks", async () => {
            const demoted = new FakeRedis();
            const promoted = new FakeRedis();
            let current = demoted;
            const t = {
                client: () => current,
                reresolve: async () => {
                    current = promoted;
                },
                sentinelView: async () => ({ master: promoted.address, replicas: 1 }),
            };
            const report = await warm(t, [source("playstore", ["a.a", "b.b"])], { ...OPTIONS, force: true });
            expect(report.ok, report.problems.join("; ")).to.equal(true);
            expect([...promoted.store.keys()].sort()).to.deep.equal([...demoted.store.keys()].sort());
            expect(report.reconciliation).to.include({ settled: true, appsMissing: 2, keysRewritten: 4 });
        });

        it("takes an app it cannot put back out of the written count and the key sample", async () => {
            const redis = new FakeRedis();
            redis.loseOnce.add("screenshots:appstore:2");
            let fetches = 0;
            const gone: AppSource = {
                store: "appstore",
                description: "fake appstore",
                async *apps(selection: AppSelection): AsyncGenerator<AppOutcome> {
                    const ids = [...new Set([...["1", "2"].slice(0, selection.topN), ...selection.explicit])];
                    const fresh = await selection.fresh(ids);
                    for (const appId of ids) {
                        if (fresh.has(appId)) yield { appId, fresh: true };
                        else if (appId === "2" && fetches++ > 0)
                            yield { appId, failure: { kind: "not-found", reason: "App not found (404)" } };
                        else yield { appId, record: app("appstore", appId) };
                    }
                },
            };
            const report = await warm(target(redis), [gone], { ...OPTIONS, force: true });
            expect(report.ok, report.problems.join("; ")).to.equal(true);
            expect(report.stores[0]).to.include({ written: 1 });
            expect(report.stores[0].failures).to.deep.equal({ "not-found": 1 });
            expect(report.keysWritten).to.equal(2);
            expect(report.keySample.sort()).to.deep.equal(["metadata:appstore:1", "screenshots:appstore:1"]);
        });

        it("checks again when the master changed between the check and its barrier", async () => {
            const redis = new FakeRedis();
            redis.promoteAfterNextBarrier = true;
            const report = await warm(target(redis), [source("appstore", ["1"])], { ...OPTIONS, force: true });
            expect(report.ok).to.equal(true);
            expect(report.reconciliation).to.include({ settled: true, rounds: 2 });
            expect(redis.publishes).to.equal(2);
        });

        it("fails the run, saying why, when no stable master is found in time", async () => {
            const redis = new FakeRedis();
            const t = { ...target(redis), sentinelView: async () => ({ replicas: 0, problem: "a failover is in progress" }) };
            const report = await warm(t, [source("appstore", ["1"])], { ...OPTIONS, force: true, reconcileTimeoutMs: 50 });
            expect(report.ok).to.equal(false);
            expect(report.reconciliation.settled).to.equal(false);
            expect(report.problems).to.deep.equal([
                "the written keys were not settled on a stable master within 0.05 s: a failover is in progress",
            ]);
        });
    });
});
