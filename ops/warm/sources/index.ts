import * as path from "node:path";
import { WarmerConfig } from "../../../settings/schema";
import { AppStoreSource, classifyAppleError } from "./app-store";
import { FileSource } from "./file-source";
import { HttpJsonClient } from "./http-client";
import { classifyGooglePlayApiError, PlayStoreSource } from "./play-store";
import { AppSource, Store } from "./types";

/** The configured source of each store; each store gets its own client, limits and throttling state. */
export function createSources(warmer: WarmerConfig, projectDir: string): AppSource[] {
    const sources: AppSource[] = [];
    const client = (store: Store, classify: ConstructorParameters<typeof HttpJsonClient>[1]) =>
        new HttpJsonClient({ ...warmer.http, ...warmer.limits[store] }, classify);
    const app = warmer.appstore;
    if (app.kind === "itunes") sources.push(new AppStoreSource(app, client("appstore", classifyAppleError)));
    if (app.kind === "file") sources.push(new FileSource("appstore", path.resolve(projectDir, app.path)));
    const play = warmer.playstore;
    if (play.kind === "google-play-api") sources.push(new PlayStoreSource(play, client("playstore", classifyGooglePlayApiError)));
    if (play.kind === "file") sources.push(new FileSource("playstore", path.resolve(projectDir, play.path)));
    return sources;
}

/** How many top apps to take from each store's chart (a snapshot's own list is taken whole). */
export function topNOf(warmer: WarmerConfig): { appstore: number; playstore: number } {
    const n = (s: { kind: string; topN?: number }) => (s.kind === "file" ? Number.MAX_SAFE_INTEGER : (s.topN ?? 0));
    return { appstore: n(warmer.appstore), playstore: n(warmer.playstore) };
}
