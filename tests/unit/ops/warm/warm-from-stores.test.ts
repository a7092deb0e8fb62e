import { expect } from "chai";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { settingsFor } from "../../../support/settings";
import { formatWarmSummary, summarizeWarm } from "../../../../ops/warm/summary";
import { createSources, topNOf } from "../../../../ops/warm/sources";
import { warm } from "../../../../ops/warm/warmer";
import { FakeStores, startFakeStores } from "../../../support/fake-stores";
import { FakeRedis, target } from "../../../support/fake-redis";

/** The warmer with the real HTTP sources against the fake stores (real response shapes) and a fake master. */
describe("warm from the store APIs", function () {
    this.timeout(20_000);
    let stores: FakeStores;

    beforeEach(async () => {
        stores = await startFakeStores();
    });
    afterEach(async () => stores.close());

    const run = async (
        redis: FakeRedis,
        over: { appstoreTopN?: number; lookupBatchSize?: number; apps?: { appstore: string[]; playstore: string[] } } = {},
    ) => {
        const { warmer, cache } = settingsFor({
            warmer: {
                appstore: {
                    kind: "itunes",
                    lookupBaseUrl: stores.server.url,
                    chartsBaseUrl: stores.server.url,
                    topN: over.appstoreTopN ?? 5,
                    lookupBatchSize: over.lookupBatchSize ?? 100,
                },
                playstore: { kind: "google-play-api", baseUrl: stores.server.url, topN: 5 },
                apps: over.apps ?? { appstore: ["999999999"], playstore: ["org.telegram.messenger"] },
                http: { retries: 1, throttleBackoffMs: 100 },
                limits: { appstore: { requestsPerMinute: 6000 }, playstore: { requestsPerMinute: 6000 } },
            },
        }).cluster;
        return warm(target(redis), createSources(warmer, "."), {
            ...warmer,
            ttl: cache,
            topN: topNOf(warmer),
            explicitApps: warmer.apps,
            force: false,
        });
    };

    it("warms both stores in their real shapes, looking up the App Store's apps in one request", async () => {
        const redis = new FakeRedis();
        const report = await run(redis);
        expect(report.ok, report.problems.join("; ")).to.equal(true);
        const [appstore, playstore] = report.stores;
        expect(appstore).to.deep.include({ found: 6, fetched: 5, written: 5, failures: { "not-found": 1 } });
        expect(playstore).to.deep.include({ found: 6, fetched: 6, written: 6 });
        const lookups = stores.server.hits.filter((h) => h.path.startsWith("/lookup"));
        expect(lookups).to.have.length(1);
        expect(lookups[0].path).to.match(/^\/lookup\?id=310633997,389801252,835599320,544007664,324684580,999999999&country=us$/);
        const whatsapp = JSON.parse(redis.store.get("metadata:playstore:com.whatsapp")!.value) as Record<string, unknown>;
        expect(whatsapp).to.deep.include({
            developer: "WhatsApp LLC",
            storeUrl: "https://play.google.com/store/apps/details?id=com.whatsapp",
            currency: "USD",
        });
        const ios = JSON.parse(redis.store.get("metadata:appstore:310633997")!.value) as Record<string, unknown>;
        expect(ios).to.deep.include({ developer: "WhatsApp Inc.", storeUrl: "https://apps.apple.com/us/app/id310633997" });
    });

    it("fails the run naming a throttled App Store (403) and still warms the Play Store", async () => {
        stores.throttled.add("appstore");
        const redis = new FakeRedis();
        const report = await run(redis);
        expect(report.ok).to.equal(false);
        const [appstore, playstore] = report.stores;
        expect(appstore.outage?.kind).to.equal("throttled");
        expect(report.problems).to.have.length(1);
        expect(report.problems[0]).to.match(/^appstore: store failed, throttled/);
        expect(playstore).to.include({ written: 6 });
        expect(redis.store.has("metadata:playstore:com.whatsapp")).to.equal(true);
        expect([...redis.store.keys()].some((k) => k.includes(":appstore:"))).to.equal(false);
    });

    it("fails the run naming a throttled Play Store (google-play-api's 400) and still warms the App Store", async () => {
        stores.throttled.add("playstore");
        const report = await run(new FakeRedis());
        const [appstore, playstore] = report.stores;
        expect(report.ok).to.equal(false);
        expect(playstore.outage?.kind).to.equal("throttled");
        expect(appstore).to.include({ written: 5 });
        expect(appstore.outage).to.equal(undefined);
    });

    describe("captured store answers, through createSources as a deploy builds them", () => {
        const fixture = (name: string): unknown =>
            JSON.parse(readFileSync(path.join(__dirname, "..", "..", "..", "fixtures", name), "utf8"));
        const value = (redis: FakeRedis, key: string): unknown => JSON.parse(redis.store.get(key)?.value ?? "null");

        it("keeps a Play Store app whose `updated` came as a date string, with its 8 screenshots, and names the dropped field", async () => {
            stores.captured.playApps.set("com.spotify.music", fixture("google-play-api-app-updated-text.json"));
            const redis = new FakeRedis();
            // Spotify is in the fake's top chart: its details now come as captured.
            const report = await run(redis, { apps: { appstore: [], playstore: [] } });
            expect(report.ok, report.problems.join("; ")).to.equal(true);
            const playstore = report.stores[1];
            expect(playstore).to.deep.include({ found: 5, written: 5, failures: {}, fieldsDropped: { updated: 1 } });
            const shots = value(redis, "screenshots:playstore:com.spotify.music") as string[];
            expect(shots).to.have.length(8);
            expect(shots.every((u) => typeof u === "string" && u.startsWith("https://play-lh."))).to.equal(true);
            const meta = value(redis, "metadata:playstore:com.spotify.music") as Record<string, unknown>;
            expect(meta).to.deep.include({
                name: "Spotify: Music and Podcasts",
                platform: "android",
                screenshotDevices: Array(8).fill("phone"),
            });
            expect(meta).to.not.have.any.keys("updated", "fieldsDropped");
            expect(formatWarmSummary(summarizeWarm(report))).to.match(/^playstore .*, fields dropped: updated 1 \[/m);
        });

        it("caches a Mac app with its platform and Mac devices, an iPhone/iPad app with its own, the screenshots value a list of URLs", async () => {
            const lookup = fixture("itunes-lookup-mac-and-others.json") as { results: { trackId: number }[] };
            for (const result of lookup.results) stores.captured.lookup.set(String(result.trackId), result);
            const redis = new FakeRedis();
            const report = await run(redis, { apps: { appstore: ["409201541", "1440857786"], playstore: [] } });
            const appstore = report.stores[0];
            expect(appstore).to.deep.include({ found: 7, written: 6, failures: { "not-found": 1 } });
            expect(appstore.failed).to.deep.equal([
                { appId: "1440857786", kind: "not-found", reason: "App Store id 1440857786 is a song, not an app" },
            ]);
            expect(value(redis, "screenshots:appstore:409201541")).to.deep.equal([
                "https://is1-ssl.mzstatic.com/image/thumb/Purple211/v4/pages-mac-1/800x500bb.jpg",
                "https://is1-ssl.mzstatic.com/image/thumb/Purple211/v4/pages-mac-2/800x500bb.jpg",
                "https://is1-ssl.mzstatic.com/image/thumb/Purple211/v4/pages-mac-3/800x500bb.jpg",
            ]);
            expect(value(redis, "metadata:appstore:409201541")).to.deep.include({
                name: "Pages",
                platform: "macos",
                screenshotDevices: ["mac", "mac", "mac"],
            });
            // The fake store serves a snapshot app's first two screenshots as iPhone ones, the rest as iPad ones.
            const ios = value(redis, "metadata:appstore:310633997") as { platform: string; screenshotDevices: string[] };
            const iosShots = value(redis, "screenshots:appstore:310633997") as string[];
            expect(ios.platform).to.equal("ios");
            expect(ios.screenshotDevices).to.deep.equal(iosShots.map((_, i) => (i < 2 ? "iphone" : "ipad")));
            expect(redis.store.has("metadata:appstore:1440857786")).to.equal(false);
        });

        it("reports a store whose lookups stay throttled once, with its status and retries, and each app it cost as 'store throttled'", async () => {
            stores.throttledApps.add("appstore");
            const report = await run(new FakeRedis(), { lookupBatchSize: 2 });
            const appstore = report.stores[0];
            expect(appstore).to.deep.include({ found: 6, fetched: 0, written: 0, failures: { throttled: 6 } });
            expect(appstore.throttling).to.deep.equal({ status: 403, retries: 1 });
            expect(appstore.failed.map((f) => f.reason)).to.deep.equal(Array(6).fill("store throttled"));
            expect(report.problems).to.deep.equal([
                "appstore: store failed, throttled (HTTP 403 (empty body); still throttled after 1 retries (no Retry-After); stopped asking; 6 apps not fetched)",
            ]);
            // Three batches of two ids, each allowed a retry: once one gave up, the store was not asked again.
            expect(stores.server.hits.filter((h) => h.path.startsWith("/lookup")).length).to.be.below(6);
            const text = formatWarmSummary(summarizeWarm(report));
            expect(text).to.not.match(/lookup\?id=|store throttled/);
            expect(report.stores[1]).to.include({ written: 6 });
        });

        it("takes a numeric chart id as the same app and skips chart entries that are not apps, counting them", async () => {
            stores.captured.appstoreChart = (fixture("appstore-top-free-mixed.json") as { feed: { results: unknown[] } }).feed.results;
            const redis = new FakeRedis();
            const report = await run(redis, { appstoreTopN: 6, apps: { appstore: ["544007664"], playstore: [] } });
            const appstore = report.stores[0];
            // ChatGPT (not in the fake's catalogue), YouTube (a number in the chart, a string in the config: once), WhatsApp.
            expect(appstore).to.deep.include({
                found: 3,
                written: 2,
                failures: { "not-found": 1 },
                chartSkipped: { "not-an-app": 2, "no-id": 1 },
            });
            expect(stores.server.hits.filter((h) => h.path.startsWith("/lookup")).map((h) => h.path)).to.deep.equal([
                "/lookup?id=6448311069,544007664,310633997&country=us",
            ]);
            expect(redis.store.has("screenshots:appstore:544007664")).to.equal(true);
            expect(formatWarmSummary(summarizeWarm(report))).to.match(
                /^appstore .*, chart entries skipped: 2 not-an-app, 1 no-id, failed: 1 not-found/m,
            );
        });
    });
});
