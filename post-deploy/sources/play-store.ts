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

export interface PlayStoreSourceOptions {
    readonly baseUrl: string;
    readonly collection: string;
    readonly country: string;
}

/** google-play-api's list (`/api/apps/?collection=...`): `{ results: [{ appId, ... }] }`. */
export function parsePlayStoreList(json: unknown): string[] {
    const results = isRecord(json) ? json.results : json;
    if (!Array.isArray(results)) throw new SourceFormatError("Play Store list: expected results to be a list");
    return results.map((r) => (isRecord(r) ? optionalString(r.appId) : undefined)).filter((id): id is string => id !== undefined);
}

/** google-play-api's app details (`/api/apps/<appId>`): screenshots and metadata. */
export function parsePlayStoreApp(json: unknown, appId: string): AppRecord {
    if (!isRecord(json)) throw new SourceFormatError(`Play Store app ${appId}: expected an object`);
    if (json.appId !== undefined && json.appId !== appId)
        throw new AppNotFoundError(`Play Store answered ${String(json.appId)} for ${appId}`);
    const name = optionalString(json.title);
    if (!name) throw new SourceFormatError(`Play Store app ${appId}: no title`);
    return {
        store: "playstore",
        appId,
        screenshots: stringList(json.screenshots),
        metadata: compactMetadata({
            name,
            developer: optionalString(json.developer),
            iconUrl: optionalString(json.icon),
            rating: optionalNumber(json.score),
            ratingCount: optionalNumber(json.ratings),
            genre: optionalString(json.genre),
            price: optionalNumber(json.price),
            storeUrl: optionalString(json.url),
            description: optionalString(json.summary) ?? optionalString(json.description),
            version: optionalString(json.version),
            updated: typeof json.updated === "number" ? new Date(json.updated).toISOString() : optionalString(json.updated),
        }),
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

    async topApps(limit: number): Promise<string[]> {
        if (limit === 0) return [];
        const { baseUrl, collection, country } = this.options;
        return parsePlayStoreList(
            await this.http.getJson(`${baseUrl}/api/apps/?collection=${collection}&num=${limit}&country=${country}`),
        ).slice(0, limit);
    }

    async app(appId: string): Promise<AppRecord> {
        return parsePlayStoreApp(
            await this.http.getJson(`${this.options.baseUrl}/api/apps/${encodeURIComponent(appId)}?country=${this.options.country}`),
            appId,
        );
    }
}
