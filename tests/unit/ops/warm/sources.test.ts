import { expect } from "chai";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { PROJECT_DIR } from "../../../../settings/stack-file";
import { classifyAppleError, lookupAppSchema, parseAppStoreChart, parseAppStoreLookup } from "../../../../ops/warm/sources/app-store";
import { SourceError } from "../../../../ops/warm/sources/failure";
import { FileSource, parseSnapshot, parseSnapshotLine } from "../../../../ops/warm/sources/file-source";
import { classifyGooglePlayApiError, parsePlayStoreApp, parsePlayStoreList, playAppSchema } from "../../../../ops/warm/sources/play-store";
import { AppOutcome, AppRecord, AppSelection } from "../../../../ops/warm/sources/types";
import { capDescription, cleanStoreUrl, ratingOf } from "../../../../ops/warm/sources/values";

const fixture = (name: string): unknown => JSON.parse(readFileSync(path.join(__dirname, "..", "..", "..", "fixtures", name), "utf8"));
/** A value no field of a store answer can read: not a string, a number, an object, nor a list of strings. */
const GARBLED = [{ garbled: true }];
const records = (outcomes: AppOutcome[]) => outcomes.flatMap((o) => ("record" in o ? [o.record] : []));
const kindOf = (fn: () => unknown): string | undefined => {
    try {
        fn();
    } catch (err) {
        return err instanceof SourceError ? err.kind : `not a SourceError: ${String(err)}`;
    }
    return undefined;
};

describe("App Store source parsers (real response shapes)", () => {
    it("reads the RSS chart's string ids in order, counting entries without one", () => {
        expect(parseAppStoreChart(fixture("appstore-top-free.json"))).to.deep.equal({
            ids: ["6448311069", "1641486558", "544007664"],
            skipped: { "no-id": 1 },
        });
    });

    it("reads a numeric chart id as the same app and skips entries that are not apps, counting them", () => {
        const chart = parseAppStoreChart(fixture("appstore-top-free-mixed.json"));
        // YouTube's id came as a number: the same app as "544007664", in its place.
        expect(chart.ids).to.deep.equal(["6448311069", "544007664", "310633997"]);
        expect(chart.skipped).to.deep.equal({ "not-an-app": 2, "no-id": 1 });
        // A podcast with a perfectly good id is still not an app.
        expect(chart.ids).to.not.include("1200361736");
        expect(parseAppStoreChart({ feed: { results: [{ id: 1.5 }, { id: -3 }, { id: "12a" }, { id: 7 }] } })).to.deep.equal({
            ids: ["7"],
            skipped: { "no-id": 3 },
        });
    });

    it("rejects a chart without feed.results as a bad response", () => {
        expect(kindOf(() => parseAppStoreChart({ feed: {} }))).to.equal("bad-response");
        expect(kindOf(() => parseAppStoreChart("<html>"))).to.equal("bad-response");
    });

    it("maps a batched lookup: the developer the store shows, a clean link, price with currency, iPhone then iPad screenshots", () => {
        const outcomes = parseAppStoreLookup(fixture("itunes-lookup-batch.json"), ["1069512615", "1234567890", "999"]);
        expect(outcomes.map((o) => o.appId)).to.deep.equal(["1069512615", "1234567890", "999"]);
        const [contacts, tiny] = records(outcomes);
        expect(contacts.screenshots).to.have.length(3);
        expect(contacts.screenshots[2]).to.include("576x768bb");
        expect(contacts.metadata).to.deep.include({
            name: "Contacts",
            platform: "ios",
            screenshotDevices: ["iphone", "iphone", "ipad"],
            developer: "Apple",
            iconUrl:
                "https://is3-ssl.mzstatic.com/image/thumb/Purple115/v4/6f/72/1f/6f721f76-4794-847f-53aa-0a8ef481d6e7/AppIcon.png/512x512bb.jpg",
            rating: 3.351059999999999927666749499621801078319549560546875,
            ratingCount: 1279,
            genre: "Utilities",
            price: 0,
            currency: "USD",
            storeUrl: "https://apps.apple.com/us/app/contacts/id1069512615",
            version: "1.3.6",
            updated: "2021-09-20T17:40:09Z",
        });
        expect(contacts.metadata.description).to.match(/^Access and edit your contacts/);
        // Unrated: no invented rating; no screenshots stays an empty list for the warmer's policy.
        expect(tiny.metadata).to.deep.equal({
            name: "Tiny Notes",
            platform: "ios",
            developer: "Indie Dev",
            iconUrl: "https://is1-ssl.mzstatic.com/image/thumb/Purple221/v4/aa/bb/cc/AppIcon.png/100x100bb.jpg",
            price: 2.99,
            currency: "EUR",
            storeUrl: "https://apps.apple.com/de/app/tiny-notes/id1234567890",
        });
        expect(tiny.screenshots).to.deep.equal([]);
        expect(contacts.fieldsDropped).to.equal(undefined);
        expect(outcomes[2]).to.deep.equal({ appId: "999", failure: { kind: "not-found", reason: "App Store has no app 999" } });
    });

    it("reports every id of an empty lookup as not found, and a nameless result as a bad response", () => {
        expect(
            parseAppStoreLookup(fixture("itunes-lookup-empty.json"), ["1", "2"]).map((o) => ("failure" in o ? o.failure.kind : "ok")),
        ).to.deep.equal(["not-found", "not-found"]);
        const [nameless] = parseAppStoreLookup({ results: [{ trackId: 5 }] }, ["5"]);
        expect("failure" in nameless && nameless.failure.kind).to.equal("bad-response");
        expect(kindOf(() => parseAppStoreLookup({ error: "bad" }, ["5"]))).to.equal("bad-response");
    });

    it("keeps a Mac app as a Mac app, names a song as not an app, and keeps an app whose rating cannot be read", () => {
        const outcomes = parseAppStoreLookup(fixture("itunes-lookup-mac-and-others.json"), ["409201541", "1440857786", "1444383602"]);
        const [pages, song, notes] = outcomes;
        expect("record" in pages && pages.record.screenshots).to.deep.equal([
            "https://is1-ssl.mzstatic.com/image/thumb/Purple211/v4/pages-mac-1/800x500bb.jpg",
            "https://is1-ssl.mzstatic.com/image/thumb/Purple211/v4/pages-mac-2/800x500bb.jpg",
            "https://is1-ssl.mzstatic.com/image/thumb/Purple211/v4/pages-mac-3/800x500bb.jpg",
        ]);
        expect("record" in pages && pages.record.metadata).to.deep.include({
            name: "Pages",
            platform: "macos",
            screenshotDevices: ["mac", "mac", "mac"],
            storeUrl: "https://apps.apple.com/us/app/pages/id409201541",
        });
        expect(song).to.deep.equal({
            appId: "1440857786",
            failure: { kind: "not-found", reason: "App Store id 1440857786 is a song, not an app" },
        });
        // averageUserRating came as text: the rating goes (ratingOf needs both), the app and its screenshots stay.
        expect("record" in notes && notes.record.fieldsDropped).to.deep.equal(["averageUserRating"]);
        expect("record" in notes && notes.record.metadata).to.not.have.any.keys("rating", "ratingCount");
        expect("record" in notes && notes.record.metadata).to.deep.include({
            name: "Goodnotes",
            platform: "ios",
            screenshotDevices: ["iphone", "iphone", "ipad"],
            updated: "2025-11-04T09:12:44Z",
        });
    });

    it("drops any optional lookup field that cannot be read and keeps the app; the id, name, kind and screenshots stay required", () => {
        const contacts = (fixture("itunes-lookup-batch.json") as { results: Record<string, unknown>[] }).results[0];
        const required = ["trackId", "trackName", "kind", "screenshotUrls", "ipadScreenshotUrls"];
        const fields = Object.keys(lookupAppSchema.shape);
        expect(fields).to.include.members(required);
        for (const field of fields) {
            const [outcome] = parseAppStoreLookup({ results: [{ ...contacts, [field]: GARBLED }] }, ["1069512615"]);
            if (field === "trackId") expect(outcome, field).to.have.nested.property("failure.kind", "not-found");
            else if (required.includes(field)) expect(outcome, field).to.have.nested.property("failure.kind", "bad-response");
            else {
                expect(outcome, field).to.have.nested.property("record.fieldsDropped").that.deep.equals([field]);
                expect("record" in outcome && outcome.record.screenshots, field).to.have.length(3);
            }
        }
    });

    it("classifies Apple's 403 as throttling and leaves other statuses to the default rules", () => {
        expect(classifyAppleError(403)).to.equal("throttled");
        expect(classifyAppleError(500)).to.equal(undefined);
    });
});

describe("Play Store (google-play-api) source parsers (real response shapes)", () => {
    it("reads the collection's app ids from google-play-api's list", () => {
        expect(parsePlayStoreList(fixture("google-play-api-list.json"))).to.deep.equal({
            ids: ["com.whatsapp", "com.einnovation.temu"],
            skipped: { "no-id": 1 },
        });
        expect(kindOf(() => parsePlayStoreList({ message: "rate limited" }))).to.equal("bad-response");
    });

    it("maps app details: the store link from playstoreUrl (not the service's url), the developer object, the full description", () => {
        const app = parsePlayStoreApp(fixture("google-play-api-app.json"), "com.whatsapp");
        expect(app.screenshots).to.deep.equal([
            "https://play-lh.googleusercontent.com/wa-shot-1",
            "https://play-lh.googleusercontent.com/wa-shot-2",
            "https://play-lh.googleusercontent.com/wa-shot-3",
        ]);
        expect(app.metadata).to.deep.include({
            name: "WhatsApp Messenger",
            platform: "android",
            screenshotDevices: ["phone", "phone", "phone"],
            developer: "WhatsApp LLC",
            genre: "Communication",
            rating: 4.3425307,
            ratingCount: 199345321,
            price: 0,
            currency: "USD",
            storeUrl: "https://play.google.com/store/apps/details?id=com.whatsapp",
            updated: new Date(1763483283000).toISOString(),
            version: "Varies with device",
        });
        expect(app.metadata.description).to.match(/^WhatsApp from Meta is a FREE messaging and video calling app\. It’s used/);
        expect(JSON.stringify(app)).to.not.include("localhost:3000");
    });

    it("keeps an unrated app unrated and its price's currency", () => {
        const app = parsePlayStoreApp(fixture("google-play-api-app-unrated.json"), "org.small.tracker");
        expect(app.metadata).to.not.have.any.keys("rating", "ratingCount");
        expect(app.metadata).to.deep.include({ price: 1.49, currency: "EUR", developer: "Small Studio" });
        expect(app.screenshots).to.deep.equal([]);
        expect(app.metadata).to.not.have.any.keys("screenshotDevices");
    });

    it("keeps an app whose `updated` came as a date string, with its 8 screenshots, dropping only `updated`", () => {
        const app = parsePlayStoreApp(fixture("google-play-api-app-updated-text.json"), "com.spotify.music");
        expect(app.fieldsDropped).to.deep.equal(["updated"]);
        expect(app.screenshots).to.have.length(8);
        expect(app.metadata.screenshotDevices).to.deep.equal(Array(8).fill("phone"));
        expect(app.metadata).to.not.have.any.keys("updated");
        expect(app.metadata).to.deep.include({ name: "Spotify: Music and Podcasts", developer: "Spotify AB", version: "9.0.98.598" });
        // A time outside Date's range cannot be read either: dropped, not a RangeError that loses the app.
        const far = parsePlayStoreApp({ ...(fixture("google-play-api-app.json") as object), updated: 1e20 }, "com.whatsapp");
        expect(far.fieldsDropped).to.deep.equal(["updated"]);
    });

    it("drops any optional details field that cannot be read and keeps the app; the id, title and screenshots stay required", () => {
        const whatsapp = fixture("google-play-api-app.json") as Record<string, unknown>;
        const required = ["appId", "title", "screenshots"];
        const fields = Object.keys(playAppSchema.shape);
        expect(fields).to.include.members(required);
        for (const field of fields) {
            const garbled = { ...whatsapp, [field]: GARBLED };
            if (required.includes(field)) {
                expect(
                    kindOf(() => parsePlayStoreApp(garbled, "com.whatsapp")),
                    field,
                ).to.equal("bad-response");
                continue;
            }
            const app = parsePlayStoreApp(garbled, "com.whatsapp");
            expect(app.fieldsDropped, field).to.deep.equal([field]);
            expect(app.screenshots, field).to.have.length(3);
        }
        // Two at once: both named.
        const two = parsePlayStoreApp({ ...whatsapp, updated: "Nov 5, 2025", score: "4.3" }, "com.whatsapp");
        expect(two.fieldsDropped).to.have.members(["updated", "score"]);
    });

    it("drops google-play-scraper's own developer (a string, not google-play-api's object), and rejects an answer for another app or without a title", () => {
        const scraperShaped = { ...(fixture("google-play-api-app.json") as object), developer: "WhatsApp LLC" };
        const app = parsePlayStoreApp(scraperShaped, "com.whatsapp");
        expect(app.fieldsDropped).to.deep.equal(["developer"]);
        expect(app.metadata).to.not.have.any.keys("developer");
        expect(kindOf(() => parsePlayStoreApp({ appId: "com.other", title: "x", developer: {} }, "com.whatsapp"))).to.equal("bad-response");
        expect(kindOf(() => parsePlayStoreApp({ appId: "com.whatsapp", developer: {} }, "com.whatsapp"))).to.equal("bad-response");
    });

    it("tells google-play-api's 400s apart by their bodies", () => {
        const errors = fixture("google-play-api-errors.json") as Record<string, unknown>;
        const kind = (name: string) => classifyGooglePlayApiError(400, JSON.stringify(errors[name]));
        expect(kind("notFound")).to.equal("not-found");
        expect(kind("throttled503")).to.equal("throttled");
        expect(kind("throttled429")).to.equal("throttled");
        expect(kind("googleDown")).to.equal("unavailable");
        expect(kind("badCollection")).to.equal("rejected");
        expect(classifyGooglePlayApiError(400, "<html>")).to.equal("rejected");
        expect(classifyGooglePlayApiError(503, "")).to.equal(undefined);
    });
});

describe("value policy", () => {
    it("strips tracking and locale parameters from store links, keeping what names the page", () => {
        expect(cleanStoreUrl("https://apps.apple.com/us/app/x/id1?uo=4&mt=8#top")).to.equal("https://apps.apple.com/us/app/x/id1");
        expect(cleanStoreUrl("https://play.google.com/store/apps/details?id=a.b&hl=en&gl=us", ["id"])).to.equal(
            "https://play.google.com/store/apps/details?id=a.b",
        );
        expect(cleanStoreUrl("not a url")).to.equal(undefined);
    });

    it("caps descriptions as plain text at a word boundary", () => {
        expect(capDescription("  one\r\n\r\ntwo   three ", 100)).to.equal("one two three");
        const capped = capDescription("alpha beta gamma delta epsilon", 16)!;
        expect(capped).to.equal("alpha beta…");
        expect(capped.length).to.be.at.most(16);
        expect(capDescription("x".repeat(50), 10)).to.equal(`${"x".repeat(9)}…`);
        expect(capDescription("anything", 0)).to.equal(undefined);
        expect(capDescription("   ", 10)).to.equal(undefined);
        // Every kind of whitespace run becomes one space: a tab, a lone newline, a non-breaking space, a space before a newline.
        expect(capDescription("a\tb\nc\u00a0d \ne  f g", 100)).to.equal("a b c d e f g");
    });

    it("keeps a rating only when there are ratings", () => {
        expect(ratingOf(4.5, 10)).to.deep.equal({ rating: 4.5, ratingCount: 10 });
        expect(ratingOf(0, 0)).to.deep.equal({});
        expect(ratingOf(undefined, 5)).to.deep.equal({});
        expect(ratingOf(4, undefined)).to.deep.equal({});
    });
});

/** Collects a source's outcomes, with `fresh` apps as given. */
async function collect(source: FileSource, selection: Partial<AppSelection> = {}): Promise<AppOutcome[]> {
    const out: AppOutcome[] = [];
    for await (const o of source.apps({ topN: 0, explicit: [], fresh: async () => new Set(), ...selection })) out.push(o);
    return out;
}

describe("file source", () => {
    const shipped = path.join(PROJECT_DIR, "ops/warm/fixtures/app-snapshot.json");

    it("reads the shipped .json snapshot for both stores, explicit apps it lacks as not found", async () => {
        for (const store of ["appstore", "playstore"] as const) {
            const outcomes = await collect(new FileSource(store, shipped), { explicit: ["com.missing.app"] });
            const found = records(outcomes);
            expect(found.length).to.be.at.least(5);
            expect(found.every((r: AppRecord) => r.store === store && r.metadata.name.length > 0)).to.equal(true);
            expect(outcomes.at(-1)).to.deep.include({ appId: "com.missing.app" });
            expect(outcomes.at(-1)).to.have.nested.property("failure.kind", "not-found");
        }
    });

    it("streams a .jsonl snapshot: its store's lines in order, each once, fresh apps as fresh", async () => {
        const dir = mkdtempSync(path.join(tmpdir(), "snapshot-"));
        const file = path.join(dir, "apps.jsonl");
        const line = (store: string, appId: string) =>
            JSON.stringify({ store, appId, screenshots: [`https://s/${appId}`], metadata: { name: appId } });
        writeFileSync(file, [line("appstore", "1"), line("playstore", "a.b"), "", line("appstore", "2"), line("appstore", "1")].join("\n"));
        const outcomes = await collect(new FileSource("appstore", file), {
            explicit: ["3"],
            fresh: async (ids) => new Set(ids.filter((i) => i === "2")),
        });
        expect(outcomes.map((o) => [o.appId, "record" in o ? "record" : "fresh" in o ? "fresh" : o.failure.kind])).to.deep.equal([
            ["1", "record"],
            ["2", "fresh"],
            ["3", "not-found"],
        ]);
    });

    it("reads a snapshot's devices in the cache's own shape, one per screenshot, dropping an empty URL with its device", () => {
        const line = (screenshots: string[], screenshotDevices: string[]) =>
            JSON.stringify({ store: "appstore", appId: "1", screenshots, metadata: { name: "x", platform: "ios", screenshotDevices } });
        const record = parseSnapshotLine(line(["https://s/1", "", "https://s/3"], ["iphone", "iphone", "ipad"]), 1);
        expect(record.screenshots).to.deep.equal(["https://s/1", "https://s/3"]);
        expect(record.metadata).to.deep.equal({ name: "x", platform: "ios", screenshotDevices: ["iphone", "ipad"] });
        expect(() => parseSnapshotLine(line(["https://s/1"], ["iphone", "ipad"]), 4)).to.throw(/line 4.*one device per screenshot/);
        expect(kindOf(() => parseSnapshotLine(line(["https://s/1"], ["watch"]), 5))).to.equal("bad-response");
        expect(parseSnapshotLine(line([""], ["iphone"]), 6).metadata).to.deep.equal({ name: "x", platform: "ios" });
    });

    it("names the line of a malformed .jsonl snapshot and reports malformed or missing files by kind", async () => {
        expect(kindOf(() => parseSnapshotLine("{ nope", 7))).to.equal("bad-response");
        expect(() => parseSnapshotLine(JSON.stringify({ store: "appstore", appId: "1", metadata: {} }), 3)).to.throw(/line 3/);
        expect(kindOf(() => parseSnapshot({ stores: {} }, "playstore"))).to.equal("bad-response");
        expect(kindOf(() => parseSnapshot({ stores: { appstore: { apps: { "1": { metadata: {} } } } } }, "appstore"))).to.equal(
            "bad-response",
        );
        const dir = mkdtempSync(path.join(tmpdir(), "snapshot-"));
        writeFileSync(path.join(dir, "bad.json"), "{ not json");
        const failure = (file: string) =>
            collect(new FileSource("appstore", path.join(dir, file))).then(
                () => "no error",
                (err: unknown) => (err instanceof SourceError ? err.kind : String(err)),
            );
        expect(await failure("bad.json")).to.equal("bad-response");
        expect(await failure("missing.json")).to.equal("unavailable");
        expect(await failure("missing.jsonl")).to.equal("unavailable");
    });
});
