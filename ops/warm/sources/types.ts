import { z } from "zod";
import { Failure } from "./failure";
import type { Store } from "../../../contracts/report";

/** The stores: part of the post-deploy report's vocabulary (contracts/report.ts). */
export { STORES, type Store } from "../../../contracts/report";

/** The platform an app runs on: an App Store id is an iPhone/iPad app or a Mac app (iTunes `kind`). */
export const PLATFORMS = ["ios", "macos", "android"] as const;
export type Platform = (typeof PLATFORMS)[number];

/**
 * The device a screenshot shows: App Store `screenshotUrls` are iPhone screenshots for an iOS app
 * and Mac screenshots for a Mac app, `ipadScreenshotUrls` iPad ones; google-play-api names no
 * device, and its screenshots are those of the details page a phone gets.
 */
export const SCREENSHOT_DEVICES = ["iphone", "ipad", "mac", "phone"] as const;
export type ScreenshotDevice = (typeof SCREENSHOT_DEVICES)[number];

/**
 * What the app shows for one app, as cached under `metadata:<store>:<appId>` (README "Key
 * layout"): the one shape both the stores' parsers produce and a snapshot's metadata is checked
 * against. Every field but the name is there only when known.
 */
export const appMetadataSchema = z.object({
    name: z.string().min(1),
    platform: z.enum(PLATFORMS).optional(),
    /** The device of each screenshot, parallel to the `screenshots:<store>:<appId>` array (absent without screenshots). */
    screenshotDevices: z.array(z.enum(SCREENSHOT_DEVICES)).readonly().optional(),
    /** The developer name the store shows on the app's page. */
    developer: z.string().optional(),
    iconUrl: z.string().optional(),
    /** Average rating, only when the app has ratings: an unrated app has none, not 0. */
    rating: z.number().optional(),
    ratingCount: z.number().optional(),
    genre: z.string().optional(),
    price: z.number().optional(),
    /** ISO 4217 code of `price`, e.g. USD. */
    currency: z.string().optional(),
    /** The store's own page for the app, without tracking or locale parameters. */
    storeUrl: z.string().optional(),
    /** The full description as plain text, whitespace collapsed, cut to `warmer.descriptionMaxChars`. */
    description: z.string().optional(),
    version: z.string().optional(),
    /** When the current version came out, ISO 8601. */
    updated: z.string().optional(),
});
export type AppMetadata = Readonly<z.output<typeof appMetadataSchema>>;

export interface AppRecord {
    readonly store: Store;
    readonly appId: string;
    /** Cached as a JSON array under `screenshots:<store>:<appId>`; `metadata.screenshotDevices` says what each shows. */
    readonly screenshots: readonly string[];
    readonly metadata: AppMetadata;
    /** Optional fields of the store's answer that could not be read and were left out (counted in the store's report). */
    readonly fieldsDropped?: readonly string[];
}

/** Why an entry of a store's chart was not taken: it is not an app (Apple's feeds list books and podcasts alike), or it has no id we can read. */
/** The reasons are part of the post-deploy report: contracts/report.ts. */
export { CHART_SKIPS, type ChartSkip, type ChartSkips } from "../../../contracts/report";
import type { ChartSkips } from "../../../contracts/report";

/** A store's top chart as read: the app ids, as strings, in chart order, and the entries left out. */
export interface Chart {
    readonly ids: string[];
    readonly skipped: ChartSkips;
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
    /** Told which chart entries were left out, by why, once the chart is read: for the store's report. */
    readonly chartSkipped?: (skipped: ChartSkips) => void;
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
