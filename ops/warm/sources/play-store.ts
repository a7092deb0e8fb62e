import { z } from "zod";
import { failureOf, FailureKind, SourceError } from "./failure";
import { HttpJsonClient } from "./http-client";
import { optionalNumber as num, optional, optionalEpochMs, problemOf, readFields, optionalText as text } from "./response-fields";
import { chunkedOutcomes, selectedIds } from "./selection";
import { AppOutcome, AppRecord, AppSelection, AppSource, Chart, isRecord } from "./types";
import { cleanStoreUrl, compactMetadata, ratingOf, screenshotsOf } from "./values";

export interface PlayStoreSourceOptions {
    readonly baseUrl: string;
    readonly collection: string;
    readonly country: string;
}

/** Apps whose freshness is checked, and whose details are requested, together. */
const CHUNK = 100;

/**
 * google-play-api answers every error with HTTP 400 and `{ message }` (its errorHandler); the
 * message is google-play-scraper's: "App not found (404)" for an unknown app, "Error requesting
 * Google Play:Response code 429 (Too Many Requests)" or a 503 (the captcha page) when Google
 * throttles, "Invalid collection X" for a bad collection.
 */
export function classifyGooglePlayApiError(status: number, body: string): FailureKind | undefined {
    if (status !== 400) return undefined;
    let message = "";
    try {
        const parsed: unknown = JSON.parse(body);
        if (isRecord(parsed) && typeof parsed.message === "string") message = parsed.message;
    } catch {
        return "rejected";
    }
    if (message === "App not found (404)") return "not-found";
    if (message.startsWith("Error requesting Google Play:")) return /\b(429|503)\b/.test(message) ? "throttled" : "unavailable";
    return "rejected";
}

const listSchema = z.object({ results: z.array(z.unknown()) });
const listEntrySchema = z.object({ appId: z.string().min(1) });

/** google-play-api's list (`/api/apps/?collection=...`): `{ results: [{ appId, ... }] }`, and how many entries had no app id. */
export function parsePlayStoreList(json: unknown): Chart {
    const parsed = listSchema.safeParse(json);
    if (!parsed.success) throw new SourceError("bad-response", "Play Store list: expected results to be a list");
    const ids: string[] = [];
    let noId = 0;
    for (const raw of parsed.data.results) {
        const entry = listEntrySchema.safeParse(raw);
        if (entry.success) ids.push(entry.data.appId);
        else noId++;
    }
    return { ids, skipped: noId > 0 ? { "no-id": noId } : {} };
}

/**
 * google-play-api's app details: google-play-scraper's object reshaped by the service's
 * `cleanUrls` (lib/index.js): `url` is the service's own URL, the store link is `playstoreUrl`,
 * and `developer` is `{ devId, url }`. Required: the app id, the title and the screenshot list;
 * every other field is optional (response-fields.ts): a scraper-shaped `developer` (a plain
 * string) or an `updated` given as text is dropped and counted, the app kept.
 */
export const playAppSchema = z.object({
    appId: z.string(),
    title: z.string().min(1),
    description: text,
    summary: text,
    developer: optional(z.object({ devId: text }).nullish()),
    icon: text,
    score: num,
    ratings: num,
    genre: text,
    price: num,
    currency: text,
    playstoreUrl: text,
    screenshots: z
        .array(z.string())
        .nullish()
        .transform((v) => (v ?? []).filter((u) => u.length > 0)),
    version: text,
    /** google-play-scraper's `updated` is ms since the epoch. */
    updated: optionalEpochMs,
});

/**
 * google-play-api's app details (`/api/apps/<appId>`): screenshots and metadata. Throws a
 * SourceError when a required field is missing or the answer is for another app.
 */
export function parsePlayStoreApp(json: unknown, appId: string): AppRecord {
    const parsed = readFields(playAppSchema, json);
    if (!parsed.ok) throw new SourceError("bad-response", `Play Store app ${appId}: ${problemOf(parsed.error)}`);
    const app = parsed.data;
    if (app.appId !== appId) throw new SourceError("bad-response", `Play Store answered ${app.appId} for ${appId}`);
    // google-play-api names no device: these are the details page's screenshots, as a phone gets them.
    const { screenshots, screenshotDevices } = screenshotsOf([[app.screenshots, "phone"]]);
    return {
        store: "playstore",
        appId,
        screenshots,
        metadata: compactMetadata({
            name: app.title,
            platform: "android",
            screenshotDevices,
            developer: app.developer?.devId,
            iconUrl: app.icon,
            ...ratingOf(app.score, app.ratings),
            genre: app.genre,
            price: app.price,
            currency: app.price === undefined ? undefined : app.currency,
            // The details page itself: `id` names the app, `hl`/`gl` only the visitor's locale.
            storeUrl: cleanStoreUrl(app.playstoreUrl, ["id"]),
            description: app.description ?? app.summary,
            version: app.version,
            updated: app.updated,
        }),
        ...(parsed.dropped.length > 0 ? { fieldsDropped: parsed.dropped } : {}),
    };
}

export class PlayStoreSource implements AppSource {
    readonly store = "playstore" as const;
    readonly description: string;

    constructor(
        private readonly options: PlayStoreSourceOptions,
        private readonly http: HttpJsonClient,
    ) {
        this.description = `google-play-api ${options.baseUrl}`;
    }

    async topApps(limit: number): Promise<Chart> {
        if (limit === 0) return { ids: [], skipped: {} };
        const { baseUrl, collection, country } = this.options;
        const list = parsePlayStoreList(
            await this.http.getJson(`${baseUrl}/api/apps/?collection=${collection}&num=${limit}&country=${country}`),
        );
        return { ids: list.ids.slice(0, limit), skipped: list.skipped };
    }

    async app(appId: string): Promise<AppOutcome> {
        try {
            const url = `${this.options.baseUrl}/api/apps/${encodeURIComponent(appId)}?country=${this.options.country}`;
            return { appId, record: parsePlayStoreApp(await this.http.getJson(url), appId) };
        } catch (err) {
            return { appId, failure: failureOf(err) };
        }
    }

    async *apps(selection: AppSelection): AsyncGenerator<AppOutcome> {
        const chart = await this.topApps(selection.topN);
        selection.chartSkipped?.(chart.skipped);
        const ids = selectedIds(chart.ids, selection.explicit);
        yield* chunkedOutcomes(ids, CHUNK, selection, (stale) => Promise.all(stale.map((id) => this.app(id))));
    }
}
