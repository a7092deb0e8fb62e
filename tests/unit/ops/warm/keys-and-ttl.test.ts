import { expect } from "chai";
import { KEY_PATTERN, metadataKey, screenshotsKey } from "../../../../ops/warm/keys";
import { acceptableTtlRange, jitteredTtl } from "../../../../ops/warm/ttl";
import { entriesFor } from "../../../../ops/warm/warmer";

describe("cache keys", () => {
    it("follow the layout the app reads", () => {
        expect(screenshotsKey("playstore", "com.whatsapp")).to.equal("screenshots:playstore:com.whatsapp");
        expect(metadataKey("appstore", "310633997")).to.equal("metadata:appstore:310633997");
        expect(KEY_PATTERN.test(screenshotsKey("playstore", "com.whatsapp"))).to.equal(true);
        expect(KEY_PATTERN.test("screenshots:playstore:bad id")).to.equal(false);
    });

    it("holds screenshots as a JSON array and metadata as a JSON object, each with its own TTL", () => {
        const [shots, meta] = entriesFor(
            { store: "appstore", appId: "1", screenshots: ["https://a/1.png"], metadata: { name: "A" } },
            { ttl: { screenshotsTtlSeconds: 1000, metadataTtlSeconds: 100, ttlJitterPercent: 0 }, descriptionMaxChars: 500 },
        );
        expect(shots).to.deep.equal({ key: "screenshots:appstore:1", value: '["https://a/1.png"]', ttl: 1000 });
        expect(JSON.parse(meta.value)).to.deep.equal({ store: "appstore", appId: "1", name: "A" });
        expect(meta.ttl).to.equal(100);
    });
});

describe("TTL jitter", () => {
    it("stays within ±jitter of the base at the extremes of the random source", () => {
        expect(jitteredTtl(1000, 10, () => 0)).to.equal(900);
        expect(jitteredTtl(1000, 10, () => 0.999999)).to.equal(1100);
        expect(jitteredTtl(1000, 10, () => 0.5)).to.equal(1000);
        expect(jitteredTtl(1000, 0, () => 0.9)).to.equal(1000);
    });

    it("spreads keys over the whole window", () => {
        const ttls = Array.from({ length: 2000 }, () => jitteredTtl(86400, 10));
        expect(Math.min(...ttls)).to.be.at.least(77760);
        expect(Math.max(...ttls)).to.be.at.most(95040);
        expect(new Set(ttls).size).to.be.greaterThan(1000);
    });

    it("accepts TTLs from the refresh threshold up to the largest jittered one", () => {
        expect(acceptableTtlRange(86400, 10, 0.5)).to.deep.equal({ min: 43200, max: 95040 });
        // With a high refresh fraction, a just-written key's minimum (less verify slack) is the floor.
        expect(acceptableTtlRange(1000, 10, 0.95)).to.deep.equal({ min: 600, max: 1100 });
    });
});
