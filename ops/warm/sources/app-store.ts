import { z } from "zod";
import { failureOf, FailureKind, SourceError } from "./failure";
import { HttpJsonClient } from "./http-client";
import { optionalNumber as num, problemOf, readFields, optionalText as text } from "./response-fields";
import { chunkedOutcomes, selectedIds } from "./selection";
import { AppOutcome, AppRecord, AppSelection, AppSource, Chart, ChartSkips, isRecord, Platform } from "./types";
import { cleanStoreUrl, compactMetadata, ratingOf, screenshotsOf } from "./values";

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

/**
 * One entry of Apple's marketing RSS chart. The feeds of books, podcasts and music share its shape
 * and say what an entry is in `kind` ("apps" here); an entry without a kind is taken as the apps
 * feed's own. Ids are strings in the feed (field notes), a number is read as the same id.
 */
const chartEntrySchema = z.object({
    kind: z.literal("apps").optional(),
    id: z.union([z.string().regex(/^[0-9]+$/), z.int().nonnegative()]).transform(String),
});

/** Apple's marketing RSS top chart (`/api/v2/<cc>/apps/top-free/<n>/apps.json`): the app ids, in order, and what was left out. */
export function parseAppStoreChart(json: unknown): Chart {
    const parsed = chartSchema.safeParse(json);
    if (!parsed.success) throw new SourceError("bad-response", "App Store chart: expected feed.results to be a list");
    const ids: string[] = [];
    const skipped: ChartSkips = {};
    for (const raw of parsed.data.feed.results) {
        const entry = chartEntrySchema.safeParse(raw);
        if (entry.success) {
            ids.push(entry.data.id);
            continue;
        }
        // An entry that says it is something else is not an app, whatever its id.
        const why = entry.error.issues.some((issue) => issue.path[0] === "kind") ? "not-an-app" : "no-id";
        skipped[why] = (skipped[why] ?? 0) + 1;
    }
    return { ids, skipped };
}

const urls = z
    .array(z.string())
    .nullish()
    .transform((v) => (v ?? []).filter((u) => u.length > 0));

/** The iTunes Lookup `kind`s of apps; any other kind (a song, an ebook) is not an app. */
const appKind = z.enum(["software", "mac-software"]);
/** What the kind says the app runs on (iOS covers iPadOS: `software` is one kind for both). */
const PLATFORM_OF: Record<z.infer<typeof appKind>, Platform> = { software: "ios", "mac-software": "macos" };

/**
 * The fields of one iTunes Lookup result the cache uses (Apple's Search API documentation; see
 * docs/warmer.md). Required: the id, the name, the kind (it says whether `screenshotUrls` are iPhone or
 * Mac screenshots) and the screenshot lists; every other field is optional (response-fields.ts).
 */
export const lookupAppSchema = z.object({
    trackId: z.number(),
    trackName: z.string().min(1),
    kind: appKind,
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
 * does not return, or returns as something other than an app, is not found; a returned app
 * missing what the cache needs is a bad response; optional fields that cannot be read are left
 * out and named on the record.
 */
export function parseAppStoreLookup(json: unknown, ids: readonly string[]): AppOutcome[] {
    const parsed = lookupSchema.safeParse(json);
    if (!parsed.success) throw new SourceError("bad-response", "App Store lookup: expected a results list");
    const byId = new Map<string, unknown>();
    for (const r of parsed.data.results) if (isRecord(r) && typeof r.trackId === "number") byId.set(String(r.trackId), r);
    return ids.map((appId): AppOutcome => {
        const raw = byId.get(appId);
        if (raw === undefined) return { appId, failure: { kind: "not-found", reason: `App Store has no app ${appId}` } };
        if (isRecord(raw) && typeof raw.kind === "string" && !appKind.safeParse(raw.kind).success) {
            return { appId, failure: { kind: "not-found", reason: `App Store id ${appId} is a ${raw.kind}, not an app` } };
        }
        const app = readFields(lookupAppSchema, raw);
        if (!app.ok) return { appId, failure: { kind: "bad-response", reason: `App Store lookup of ${appId}: ${problemOf(app.error)}` } };
        const record = appStoreRecord(appId, app.data);
        return { appId, record: app.dropped.length > 0 ? { ...record, fieldsDropped: app.dropped } : record };
    });
}

function appStoreRecord(appId: string, app: z.infer<typeof lookupAppSchema>): AppRecord {
    const platform = PLATFORM_OF[app.kind];
    // A Mac app's `screenshotUrls` are its Mac screenshots (desktop sized); an iOS app's are iPhone ones.
    const { screenshots, screenshotDevices } = screenshotsOf([
        [app.screenshotUrls, platform === "macos" ? "mac" : "iphone"],
        [app.ipadScreenshotUrls, "ipad"],
    ]);
    return {
        store: "appstore",
        appId,
        screenshots,
        metadata: compactMetadata({
            name: app.trackName,
            platform,
            screenshotDevices,
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

    async topApps(limit: number): Promise<Chart> {
        if (limit === 0) return { ids: [], skipped: {} };
        const url = `${this.options.chartsBaseUrl}/api/v2/${this.options.country}/apps/top-free/${limit}/apps.json`;
        const chart = parseAppStoreChart(await this.http.getJson(url));
        return { ids: chart.ids.slice(0, limit), skipped: chart.skipped };
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
        const chart = await this.topApps(selection.topN);
        selection.chartSkipped?.(chart.skipped);
        const ids = selectedIds(chart.ids, selection.explicit);
        yield* chunkedOutcomes(ids, this.options.lookupBatchSize, selection, (stale) => this.lookup(stale));
    }
}
