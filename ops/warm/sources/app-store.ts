import { z } from "zod";
import { failureOf, FailureKind, SourceError } from "./failure";
import { HttpJsonClient } from "./http-client";
import { optionalNumber as num, optionalText as text } from "./response-fields";
import { chunkedOutcomes, selectedIds } from "./selection";
import { AppOutcome, AppRecord, AppSelection, AppSource, isRecord } from "./types";
import { cleanStoreUrl, compactMetadata, ratingOf } from "./values";

export interface AppStoreSourceOptions {
    readonly lookupBaseUrl: string;
    readonly chartsBaseUrl: string;
    readonly country: string;
    /** Ids per iTunes Lookup request (`id=1,2,3`). */
    readonly lookupBatchSize: number;
}

/** Apple answers throttling with HTTP 403 and an empty body (Vinelab/iTunes#5, kellnerd/harmony#57). */
export const classifyAppleError = (status: number): FailureKind | undefined => (status === 403 ? "throttled" : undefined);

const chartSchema = z.object({ feed: z.object({ results: z.array(z.unknown()) }) });

/** Apple's marketing RSS top chart (`/api/v2/<cc>/apps/top-free/<n>/apps.json`): the app ids (strings), in order. */
export function parseAppStoreChart(json: unknown): string[] {
    const parsed = chartSchema.safeParse(json);
    if (!parsed.success) throw new SourceError("bad-response", "App Store chart: expected feed.results to be a list");
    return parsed.data.feed.results
        .map((r) => (isRecord(r) && typeof r.id === "string" ? r.id : undefined))
        .filter((id): id is string => id !== undefined && /^[0-9]+$/.test(id));
}

const urls = z
    .array(z.string())
    .nullish()
    .transform((v) => (v ?? []).filter((u) => u.length > 0));

/** The fields of one iTunes Lookup result the cache uses (Apple's Search API documentation; see docs/warmer.md). */
const lookupAppSchema = z.object({
    trackId: z.number(),
    trackName: z.string().min(1),
    artistName: text,
    sellerName: text,
    screenshotUrls: urls,
    ipadScreenshotUrls: urls,
    artworkUrl512: text,
    artworkUrl100: text,
    averageUserRating: num,
    userRatingCount: num,
    primaryGenreName: text,
    price: num,
    currency: text,
    trackViewUrl: text,
    description: text,
    version: text,
    currentVersionReleaseDate: text,
});
const lookupSchema = z.object({ resultCount: z.number().optional(), results: z.array(z.unknown()) });

/**
 * iTunes Lookup of several ids (`/lookup?id=1,2,3`): one outcome per requested id. An id Apple
 * does not return is not found; a returned app missing what the cache needs is a bad response.
 */
export function parseAppStoreLookup(json: unknown, ids: readonly string[]): AppOutcome[] {
    const parsed = lookupSchema.safeParse(json);
    if (!parsed.success) throw new SourceError("bad-response", "App Store lookup: expected a results list");
    const byId = new Map<string, unknown>();
    for (const r of parsed.data.results) if (isRecord(r) && typeof r.trackId === "number") byId.set(String(r.trackId), r);
    return ids.map((appId): AppOutcome => {
        const raw = byId.get(appId);
        if (raw === undefined) return { appId, failure: { kind: "not-found", reason: `App Store has no app ${appId}` } };
        const app = lookupAppSchema.safeParse(raw);
        if (!app.success) {
            return {
                appId,
                failure: {
                    kind: "bad-response",
                    reason: `App Store lookup of ${appId}: ${z.prettifyError(app.error).replace(/\n/g, " ")}`,
                },
            };
        }
        return { appId, record: appStoreRecord(appId, app.data) };
    });
}

function appStoreRecord(appId: string, app: z.infer<typeof lookupAppSchema>): AppRecord {
    return {
        store: "appstore",
        appId,
        screenshots: [...app.screenshotUrls, ...app.ipadScreenshotUrls],
        metadata: compactMetadata({
            name: app.trackName,
            // artistName is what the store page shows under the title; sellerName is the legal seller.
            developer: app.artistName ?? app.sellerName,
            iconUrl: app.artworkUrl512 ?? app.artworkUrl100,
            ...ratingOf(app.averageUserRating, app.userRatingCount),
            genre: app.primaryGenreName,
            price: app.price,
            currency: app.price === undefined ? undefined : app.currency,
            storeUrl: cleanStoreUrl(app.trackViewUrl),
            description: app.description,
            version: app.version,
            updated: app.currentVersionReleaseDate,
        }),
    };
}

export class AppStoreSource implements AppSource {
    readonly store = "appstore" as const;
    readonly description: string;

    constructor(
        private readonly options: AppStoreSourceOptions,
        private readonly http: HttpJsonClient,
    ) {
        this.description = `itunes ${options.lookupBaseUrl} + ${options.chartsBaseUrl}`;
    }

    async topApps(limit: number): Promise<string[]> {
        if (limit === 0) return [];
        const url = `${this.options.chartsBaseUrl}/api/v2/${this.options.country}/apps/top-free/${limit}/apps.json`;
        return parseAppStoreChart(await this.http.getJson(url)).slice(0, limit);
    }

    /** One lookup request for many ids; a failed request fails each of its apps with its kind. */
    async lookup(ids: readonly string[]): Promise<AppOutcome[]> {
        const url = `${this.options.lookupBaseUrl}/lookup?id=${ids.map(encodeURIComponent).join(",")}&country=${this.options.country}`;
        try {
            return parseAppStoreLookup(await this.http.getJson(url), ids);
        } catch (err) {
            const failure = failureOf(err);
            return ids.map((appId) => ({ appId, failure }));
        }
    }

    async *apps(selection: AppSelection): AsyncGenerator<AppOutcome> {
        const ids = selectedIds(await this.topApps(selection.topN), selection.explicit);
        yield* chunkedOutcomes(ids, this.options.lookupBatchSize, selection, (stale) => this.lookup(stale));
    }
}
