import { readFileSync } from "node:fs";
import * as path from "node:path";
import { PROJECT_DIR } from "../../config/stack-file";
import { Store } from "../../post-deploy/sources/types";
import { sendJson, startServer, TestServer } from "./http-server";

interface SnapshotApp {
    screenshots: string[];
    metadata: {
        name: string;
        developer?: string;
        iconUrl?: string;
        rating?: number;
        ratingCount?: number;
        genre?: string;
        price?: number;
        storeUrl?: string;
    };
}
type Snapshot = { stores: Record<Store, { top: string[]; apps: Record<string, SnapshotApp> }> };

export interface FakeStores {
    readonly server: TestServer;
    /** Stores answering 503 to everything, as during an outage. */
    readonly down: Set<Store>;
    readonly snapshot: Snapshot;
    close(): Promise<void>;
}

/**
 * Plays both stores on 127.0.0.1 in their documented formats, with the shipped snapshot's apps:
 * Apple's marketing RSS chart and iTunes Lookup, and google-play-api's list and app details.
 */
export async function startFakeStores(): Promise<FakeStores> {
    const snapshot = JSON.parse(readFileSync(path.join(PROJECT_DIR, "post-deploy/fixtures/app-snapshot.json"), "utf8")) as Snapshot;
    const down = new Set<Store>();
    const server = await startServer((req, res) => {
        const url = new URL(req.url ?? "/", "http://stores");
        const store: Store = url.pathname.startsWith("/api/apps") ? "playstore" : "appstore";
        if (down.has(store)) return sendJson(res, 503, { error: "Service Unavailable" });
        const { top, apps } = snapshot.stores[store];
        const chart = /^\/api\/v2\/[a-z]{2}\/apps\/top-free\/(\d+)\/apps\.json$/.exec(url.pathname);
        if (chart) {
            return sendJson(res, 200, {
                feed: {
                    title: "Top Free Apps",
                    results: top.slice(0, Number(chart[1])).map((id) => ({ id, name: apps[id].metadata.name, kind: "apps" })),
                },
            });
        }
        if (url.pathname === "/lookup") {
            const id = url.searchParams.get("id") ?? "";
            const app = apps[id];
            if (!app) return sendJson(res, 200, { resultCount: 0, results: [] });
            const m = app.metadata;
            return sendJson(res, 200, {
                resultCount: 1,
                results: [
                    {
                        trackId: Number(id),
                        trackName: m.name,
                        sellerName: m.developer,
                        artworkUrl512: m.iconUrl,
                        averageUserRating: m.rating,
                        userRatingCount: m.ratingCount,
                        primaryGenreName: m.genre,
                        price: m.price,
                        trackViewUrl: m.storeUrl,
                        screenshotUrls: app.screenshots.slice(0, 2),
                        ipadScreenshotUrls: app.screenshots.slice(2),
                    },
                ],
            });
        }
        if (url.pathname === "/api/apps/") {
            const num = Number(url.searchParams.get("num") ?? top.length);
            return sendJson(res, 200, { results: top.slice(0, num).map((appId) => ({ appId, title: apps[appId].metadata.name })) });
        }
        const detail = /^\/api\/apps\/([^/]+)$/.exec(url.pathname);
        if (detail) {
            const app = apps[decodeURIComponent(detail[1])];
            if (!app) return sendJson(res, 404, { message: "App not found (404)" });
            const m = app.metadata;
            return sendJson(res, 200, {
                appId: detail[1],
                title: m.name,
                developer: m.developer,
                icon: m.iconUrl,
                score: m.rating,
                ratings: m.ratingCount,
                genre: m.genre,
                price: m.price,
                url: m.storeUrl,
                screenshots: app.screenshots,
            });
        }
        return sendJson(res, 404, { message: "no such route" });
    });
    return { server, down, snapshot, close: () => server.close() };
}
