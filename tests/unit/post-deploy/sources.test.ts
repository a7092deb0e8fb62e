import { expect } from "chai";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { PROJECT_DIR } from "../../../config/stack-file";
import { parseAppStoreChart, parseAppStoreLookup } from "../../../post-deploy/sources/app-store";
import { FileSource, parseSnapshot } from "../../../post-deploy/sources/file-source";
import { parsePlayStoreApp, parsePlayStoreList } from "../../../post-deploy/sources/play-store";
import { AppNotFoundError, SourceFormatError } from "../../../post-deploy/sources/types";

const fixture = (name: string): unknown => JSON.parse(readFileSync(path.join(__dirname, "fixtures", name), "utf8"));

describe("App Store source parsers", () => {
    it("reads the top chart's app ids in order, skipping entries without one", () => {
        expect(parseAppStoreChart(fixture("appstore-top-free.json"))).to.deep.equal(["6448311069", "1641486558", "544007664"]);
    });

    it("rejects a chart without feed.results", () => {
        expect(() => parseAppStoreChart({ feed: {} })).to.throw(SourceFormatError, /feed.results/);
        expect(() => parseAppStoreChart("<html>")).to.throw(SourceFormatError);
    });

    it("reads iPhone then iPad screenshots and the metadata of a lookup", () => {
        const app = parseAppStoreLookup(fixture("itunes-lookup-whatsapp.json"), "310633997");
        expect(app.store).to.equal("appstore");
        expect(app.screenshots).to.have.length(3);
        expect(app.screenshots[2]).to.include("WA_iPad_1");
        expect(app.metadata).to.deep.equal({
            name: "WhatsApp Messenger",
            developer: "WhatsApp Inc.",
            iconUrl: "https://is1-ssl.mzstatic.com/image/thumb/Purple221/v4/icon/512x512bb.jpg",
            rating: 4.70468,
            ratingCount: 13294312,
            genre: "Social Networking",
            price: 0,
            storeUrl: "https://apps.apple.com/us/app/whatsapp-messenger/id310633997?uo=4",
            description: "WhatsApp from Meta is a FREE messaging and video calling app.",
            version: "25.34.75",
            updated: "2025-11-18T17:41:23Z",
        });
    });

    it("keeps what a sparse lookup has and leaves the rest out", () => {
        const app = parseAppStoreLookup(fixture("itunes-lookup-sparse.json"), "1234567890");
        expect(app.screenshots).to.deep.equal([]);
        expect(app.metadata).to.deep.equal({
            name: "Tiny App",
            developer: "Indie Dev",
            iconUrl: "https://is1-ssl.mzstatic.com/tiny/100x100bb.jpg",
        });
    });

    it("reports an unknown app as not found and a nameless one as malformed", () => {
        expect(() => parseAppStoreLookup(fixture("itunes-lookup-empty.json"), "1")).to.throw(AppNotFoundError);
        expect(() => parseAppStoreLookup({ results: [{ trackId: 5 }] }, "5")).to.throw(SourceFormatError, /trackName/);
        expect(() => parseAppStoreLookup({ error: "bad" }, "5")).to.throw(SourceFormatError);
    });
});

describe("Play Store (google-play-api) source parsers", () => {
    it("reads the collection's app ids", () => {
        expect(parsePlayStoreList(fixture("google-play-api-list.json"))).to.deep.equal(["com.whatsapp", "com.einnovation.temu"]);
        expect(parsePlayStoreList([{ appId: "a.b" }])).to.deep.equal(["a.b"]);
        expect(() => parsePlayStoreList({ message: "rate limited" })).to.throw(SourceFormatError);
    });

    it("reads screenshots and metadata of an app", () => {
        const app = parsePlayStoreApp(fixture("google-play-api-app.json"), "com.whatsapp");
        expect(app.screenshots).to.deep.equal([
            "https://play-lh.googleusercontent.com/wa-shot-1=w526-h296",
            "https://play-lh.googleusercontent.com/wa-shot-2=w526-h296",
            "https://play-lh.googleusercontent.com/wa-shot-3=w526-h296",
        ]);
        expect(app.metadata).to.include({
            name: "WhatsApp Messenger",
            developer: "WhatsApp LLC",
            genre: "Communication",
            ratingCount: 199345321,
        });
        expect(app.metadata.updated).to.equal(new Date(1763483283000).toISOString());
        expect(app.metadata.description).to.equal("Simple. Reliable. Private.");
    });

    it("treats an answer for another app as not found and a titleless one as malformed", () => {
        expect(() => parsePlayStoreApp({ appId: "com.other", title: "x" }, "com.whatsapp")).to.throw(AppNotFoundError);
        expect(() => parsePlayStoreApp({ appId: "com.whatsapp" }, "com.whatsapp")).to.throw(SourceFormatError, /title/);
        expect(parsePlayStoreApp({ title: "No shots" }, "a.b").screenshots).to.deep.equal([]);
    });
});

describe("file source", () => {
    it("parses the shipped snapshot for both stores", async () => {
        const file = path.join(PROJECT_DIR, "post-deploy/fixtures/app-snapshot.json");
        for (const store of ["appstore", "playstore"] as const) {
            const source = new FileSource(store, file);
            const top = await source.topApps(3);
            expect(top).to.have.length(3);
            const app = await source.app(top[0]);
            expect(app.store).to.equal(store);
            expect(app.screenshots.length).to.be.greaterThan(0);
            expect(app.metadata.name).to.be.a("string");
        }
        expect((await new FileSource("playstore", file).app("com.whatsapp")).metadata.name).to.equal("WhatsApp Messenger");
    });

    it("reports malformed JSON, a missing section and an unknown app", async () => {
        const dir = mkdtempSync(path.join(tmpdir(), "snapshot-"));
        writeFileSync(path.join(dir, "bad.json"), "{ not json");
        await new FileSource("appstore", path.join(dir, "bad.json")).topApps(1).then(
            () => expect.fail("accepted malformed JSON"),
            (err: Error) => expect(err).to.be.instanceOf(SourceFormatError),
        );
        expect(() => parseSnapshot({ stores: {} }, "playstore")).to.throw(SourceFormatError, /stores.playstore/);
        expect(() => parseSnapshot({ stores: { appstore: { apps: { "1": { metadata: {} } } } } }, "appstore")).to.throw(/metadata.name/);
        const source = new FileSource("appstore", path.join(PROJECT_DIR, "post-deploy/fixtures/app-snapshot.json"));
        await source.app("999").then(
            () => expect.fail("found an app the snapshot lacks"),
            (err: Error) => expect(err).to.be.instanceOf(AppNotFoundError),
        );
        await new FileSource("appstore", path.join(dir, "missing.json")).topApps(1).then(
            () => expect.fail("read a missing file"),
            (err: Error) => expect(err.message).to.match(/cannot read snapshot .*ENOENT/),
        );
    });
});
