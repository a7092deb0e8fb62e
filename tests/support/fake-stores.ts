import { readFileSync } from "node:fs";
import * as path from "node:path";
import { PROJECT_DIR } from "../../settings/stack-file";
import { Store } from "../../ops/warm/sources/types";
import { sendJson, startServer, TestServer } from "./http-server";

export interface SnapshotApp {
    screenshots: string[];
    metadata: {
        name: string;
        developer?: string;
        iconUrl?: string;
        rating?: number;
        ratingCount?: number;
        genre?: string;
        price?: number;
        currency?: string;
        storeUrl?: string;
        description?: string;
    };
}
export type Snapshot = { stores: Record<Store, { top: string[]; apps: Record<string, SnapshotApp> }> };

export interface FakeStores {
    readonly server: TestServer;
    /** Stores answering as during an outage: 503 to everything. */
    readonly down: Set<Store>;
    /**
     * Stores answering as when they throttle us: Apple with HTTP 403 and an empty body,
     * google-play-api with HTTP 400 and google-play-scraper's "Response code 503" message.
     */
    readonly throttled: Set<Store>;
    /** Stores that answer their chart but throttle every app request (lookup, app details), as above. */
    readonly throttledApps: Set<Store>;
    /** Answers in the stores' own shapes (captures), served in place of those made from the snapshot. */
    readonly captured: {
        /** iTunes Lookup results by id. */
        readonly lookup: Map<string, unknown>;
        /** google-play-api app details by app id. */
        readonly playApps: Map<string, unknown>;
        /** The App Store chart's entries, in place of the snapshot's top list. */
        appstoreChart?: unknown[];
    };
    readonly snapshot: Snapshot;
    close(): Promise<void>;
}

export const shippedSnapshot = (): Snapshot =>
    JSON.parse(readFileSync(path.join(PROJECT_DIR, "ops/warm/fixtures/app-snapshot.json"), "utf8")) as Snapshot;

/** An iTunes Lookup result in Apple's fields (see tests/fixtures/README.md). */
function itunesResult(id: string, app: SnapshotApp) {
    const m = app.metadata;
    return {
        wrapperType: "software",
        kind: "software",
        trackId: Number(id),
        trackName: m.name,
        artistName: m.developer,
        sellerName: m.developer ? `${m.developer} (legal entity)` : undefined,
        artworkUrl100: m.iconUrl,
        artworkUrl512: m.iconUrl,
        averageUserRating: m.rating ?? 0,
        userRatingCount: m.ratingCount ?? 0,
        primaryGenreName: m.genre,
        price: m.price ?? 0,
        currency: m.currency ?? "USD",
        trackViewUrl: `https://apps.apple.com/us/app/id${id}?uo=4`,
        description: m.description ?? `${m.name} for iPhone and iPad.`,
        screenshotUrls: app.screenshots.slice(0, 2),
        ipadScreenshotUrls: app.screenshots.slice(2),
    };
}

/** google-play-api's reshaping of google-play-scraper's objects (its lib/index.js `cleanUrls`). */
function playApiApp(base: string, appId: string, app: SnapshotApp, detail: boolean) {
    const m = app.metadata;
    const own = (sub: string) => `${base}/api/${sub}`;
    return {
        title: m.name,
        appId,
        url: own(`apps/${appId}`),
        playstoreUrl: `https://play.google.com/store/apps/details?id=${appId}&hl=en&gl=us`,
        icon: m.iconUrl,
        developer: { devId: m.developer, url: own(`developers/${encodeURIComponent(m.developer ?? "")}`) },
        score: m.rating ?? 0,
        scoreText: m.rating?.toFixed(1),
        currency: m.currency ?? "USD",
        price: m.price ?? 0,
        free: (m.price ?? 0) === 0,
        summary: `${m.name}: the short pitch`,
        permissions: own(`apps/${appId}/permissions`),
        similar: own(`apps/${appId}/similar`),
        reviews: own(`apps/${appId}/reviews`),
        datasafety: own(`apps/${appId}/datasafety`),
        categories: own("categories/"),
        ...(detail
            ? {
                  description: m.description ?? `${m.name} for Android phones and tablets.`,
                  ratings: m.ratingCount ?? 0,
                  genre: m.genre,
                  screenshots: app.screenshots,
                  updated: 1763483283000,
                  version: "Varies with device",
              }
            : {}),
    };
}

/**
 * Plays both stores on 127.0.0.1 in the shapes the real services answer with: Apple's marketing
 * RSS chart and iTunes Lookup (several ids per request), and google-play-api's list and app
 * details, its errors as HTTP 400 with google-play-scraper's messages. `delayMs` is added to
 * every answer (a store's latency).
 */
export async function startFakeStores(options: { snapshot?: Snapshot; delayMs?: number } = {}): Promise<FakeStores> {
    const snapshot = options.snapshot ?? shippedSnapshot();
    const down = new Set<Store>();
    const throttled = new Set<Store>();
    const throttledApps = new Set<Store>();
    const captured: FakeStores["captured"] = { lookup: new Map(), playApps: new Map() };
    const server = await startServer(async (req, res) => {
        if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
        const url = new URL(req.url ?? "/", "http://stores");
        const base = `http://${req.headers.host ?? "127.0.0.1"}`;
        const store: Store = url.pathname.startsWith("/api/apps") ? "playstore" : "appstore";
        if (down.has(store)) return sendJson(res, 503, { error: "Service Unavailable" });
        const appRequest = url.pathname === "/lookup" || /^\/api\/apps\/[^/]+$/.test(url.pathname);
        if (throttled.has(store) || (throttledApps.has(store) && appRequest)) {
            if (store === "playstore")
                return sendJson(res, 400, { message: "Error requesting Google Play:Response code 503 (Service Unavailable)" });
            res.writeHead(403, { "content-length": "0" });
            res.end();
            return;
        }
        const { top, apps } = snapshot.stores[store];
        const chart = /^\/api\/v2\/[a-z]{2}\/apps\/top-free\/(\d+)\/apps\.json$/.exec(url.pathname);
        if (chart) {
            if (Number(chart[1]) > 100) return sendJson(res, 500, "");
            const entries = captured.appstoreChart ?? top.map((id) => ({ id, name: apps[id].metadata.name, kind: "apps" }));
            return sendJson(res, 200, { feed: { title: "Top Free Apps", results: entries.slice(0, Number(chart[1])) } });
        }
        if (url.pathname === "/lookup") {
            const results = (url.searchParams.get("id") ?? "")
                .split(",")
                .flatMap((id) => (captured.lookup.has(id) ? [captured.lookup.get(id)] : apps[id] ? [itunesResult(id, apps[id])] : []));
            return sendJson(res, 200, { resultCount: results.length, results });
        }
        if (url.pathname === "/api/apps/") {
            const collection = url.searchParams.get("collection") ?? "TOP_FREE";
            if (!["TOP_FREE", "TOP_PAID", "GROSSING"].includes(collection))
                return sendJson(res, 400, { message: `Invalid collection ${collection}` });
            const num = Number(url.searchParams.get("num") ?? 500);
            return sendJson(res, 200, { results: top.slice(0, num).map((appId) => playApiApp(base, appId, apps[appId], false)) });
        }
        const detail = /^\/api\/apps\/([^/]+)$/.exec(url.pathname);
        if (detail) {
            const appId = decodeURIComponent(detail[1]);
            const app = apps[appId];
            const answer = captured.playApps.get(appId) ?? (app ? playApiApp(base, appId, app, true) : undefined);
            if (!answer) return sendJson(res, 400, { message: "App not found (404)" });
            return sendJson(res, 200, answer);
        }
        return sendJson(res, 404, { message: "no such route" });
    });
    return { server, down, throttled, throttledApps, captured, snapshot, close: () => server.close() };
}
