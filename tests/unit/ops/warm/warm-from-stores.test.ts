import { expect } from "chai";
import { settingsFor } from "../../../support/settings";
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

    const run = async (redis: FakeRedis) => {
        const { warmer, cache } = settingsFor({
            warmer: {
                appstore: { kind: "itunes", lookupBaseUrl: stores.server.url, chartsBaseUrl: stores.server.url, topN: 5 },
                playstore: { kind: "google-play-api", baseUrl: stores.server.url, topN: 5 },
                apps: { appstore: ["999999999"], playstore: ["org.telegram.messenger"] },
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
});
