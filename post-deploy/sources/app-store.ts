import { HttpJsonClient } from "./http-client";
import {
    AppNotFoundError,
    AppRecord,
    AppSource,
    compactMetadata,
    isRecord,
    optionalNumber,
    optionalString,
    SourceFormatError,
    stringList,
} from "./types";

export interface AppStoreSourceOptions {
    readonly lookupBaseUrl: string;
    readonly chartsBaseUrl: string;
    readonly country: string;
}

/** Apple's marketing RSS top chart (`/api/v2/<cc>/apps/top-free/<n>/apps.json`): the app ids, in order. */
export function parseAppStoreChart(json: unknown): string[] {
    const results = isRecord(json) && isRecord(json.feed) ? json.feed.results : undefined;
    if (!Array.isArray(results)) throw new SourceFormatError("App Store chart: expected feed.results to be a list");
    return results
        .map((r) => (isRecord(r) ? optionalString(r.id) : undefined))
        .filter((id): id is string => id !== undefined && /^[0-9]+$/.test(id));
}

/** iTunes Lookup (`/lookup?id=<trackId>`): one app's screenshots (iPhone then iPad) and metadata. */
export function parseAppStoreLookup(json: unknown, appId: string): AppRecord {
    if (!isRecord(json) || !Array.isArray(json.results)) throw new SourceFormatError("App Store lookup: expected a results list");
    const app = json.results.find((r) => isRecord(r) && String(r.trackId) === appId);
    if (!isRecord(app)) throw new AppNotFoundError(`App Store has no app ${appId}`);
    const name = optionalString(app.trackName);
    if (!name) throw new SourceFormatError(`App Store lookup of ${appId}: no trackName`);
    return {
        store: "appstore",
        appId,
        screenshots: [...stringList(app.screenshotUrls), ...stringList(app.ipadScreenshotUrls)],
        metadata: compactMetadata({
            name,
            developer: optionalString(app.sellerName) ?? optionalString(app.artistName),
            iconUrl: optionalString(app.artworkUrl512) ?? optionalString(app.artworkUrl100),
            rating: optionalNumber(app.averageUserRating),
            ratingCount: optionalNumber(app.userRatingCount),
            genre: optionalString(app.primaryGenreName),
            price: optionalNumber(app.price),
            storeUrl: optionalString(app.trackViewUrl),
            description: optionalString(app.description),
            version: optionalString(app.version),
            updated: optionalString(app.currentVersionReleaseDate),
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

    async app(appId: string): Promise<AppRecord> {
        const url = `${this.options.lookupBaseUrl}/lookup?id=${encodeURIComponent(appId)}&country=${this.options.country}`;
        return parseAppStoreLookup(await this.http.getJson(url), appId);
    }
}
