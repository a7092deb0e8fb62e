export const STORES = ["appstore", "playstore"] as const;
export type Store = (typeof STORES)[number];

/** What the app shows for one app, as cached under `metadata:<store>:<appId>`. */
export interface AppMetadata {
    readonly name: string;
    readonly developer?: string;
    readonly iconUrl?: string;
    readonly rating?: number;
    readonly ratingCount?: number;
    readonly genre?: string;
    readonly price?: number;
    readonly storeUrl?: string;
    readonly description?: string;
    readonly version?: string;
    readonly updated?: string;
}

export interface AppRecord {
    readonly store: Store;
    readonly appId: string;
    /** Cached as a JSON array under `screenshots:<store>:<appId>`. */
    readonly screenshots: readonly string[];
    readonly metadata: AppMetadata;
}

/** Where the warmer learns which apps are popular and what they look like. */
export interface AppSource {
    readonly store: Store;
    /** For reports: the kind of source and where it reads from (never a secret). */
    readonly description: string;
    /** The store's top chart, most popular first. */
    topApps(limit: number): Promise<string[]>;
    app(appId: string): Promise<AppRecord>;
}

/** The app does not exist in the store: not worth a retry. */
export class AppNotFoundError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "AppNotFoundError";
    }
}

/** The answer was not in the documented format. */
export class SourceFormatError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "SourceFormatError";
    }
}

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export const optionalString = (v: unknown): string | undefined => (typeof v === "string" && v.length > 0 ? v : undefined);
export const optionalNumber = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
export const stringList = (v: unknown): string[] =>
    Array.isArray(v) ? v.filter((s): s is string => typeof s === "string" && s.length > 0) : [];

/** Drops undefined fields so that cached JSON stays small and stable. */
export function compactMetadata(m: AppMetadata): AppMetadata {
    return Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined)) as unknown as AppMetadata;
}
