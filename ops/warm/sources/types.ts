import { Failure } from "./failure";
import type { Store } from "../../../contracts/report";

/** The stores: part of the post-deploy report's vocabulary (contracts/report.ts). */
export { STORES, type Store } from "../../../contracts/report";

/** What the app shows for one app, as cached under `metadata:<store>:<appId>`. */
export interface AppMetadata {
    readonly name: string;
    /** The developer name the store shows on the app's page. */
    readonly developer?: string;
    readonly iconUrl?: string;
    /** Average rating, only when the app has ratings: an unrated app has none, not 0. */
    readonly rating?: number;
    readonly ratingCount?: number;
    readonly genre?: string;
    readonly price?: number;
    /** ISO 4217 code of `price`, e.g. USD. */
    readonly currency?: string;
    /** The store's own page for the app, without tracking or locale parameters. */
    readonly storeUrl?: string;
    /** The full description as plain text, whitespace collapsed, cut to `warmer.descriptionMaxChars`. */
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

/** What became of one app the warmer asked for. */
export type AppOutcome =
    | { readonly appId: string; readonly record: AppRecord }
    | { readonly appId: string; readonly fresh: true }
    | { readonly appId: string; readonly failure: Failure };

export interface AppSelection {
    /** Entries of the store's top chart to take (a file source takes its whole list). */
    readonly topN: number;
    /** Apps warmed besides the chart. */
    readonly explicit: readonly string[];
    /** Which of these apps still hold fresh keys: they are not fetched again. */
    readonly fresh: (ids: readonly string[]) => Promise<ReadonlySet<string>>;
}

/** Where the warmer learns which apps are popular and what they look like. */
export interface AppSource {
    readonly store: Store;
    /** For reports: the kind of source and where it reads from (never a secret). */
    readonly description: string;
    /**
     * One outcome per selected app (chart first, then the explicit ones, each once), streamed so
     * that a run holds only a few batches at a time. A chart or list that cannot be read throws
     * a SourceError: the whole store failed.
     */
    apps(selection: AppSelection): AsyncIterable<AppOutcome>;
}

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
