import { AppMetadata, ScreenshotDevice } from "./types";

/**
 * The value policy shared by every source, so that both stores cache the same things in the
 * same form (docs/warmer.md, "Key layout"): store links without tracking or locale parameters, ratings only
 * when there are ratings, prices with their currency, descriptions as capped plain text,
 * screenshots with the device each shows.
 */

/** The link without query and fragment, except the parameters that identify the page. */
export function cleanStoreUrl(url: string | undefined, keep: readonly string[] = []): string | undefined {
    if (!url) return undefined;
    let parsed: URL;
    try {
        parsed = new URL(url);
    } catch {
        return undefined;
    }
    const kept = new URLSearchParams();
    for (const name of keep) {
        const value = parsed.searchParams.get(name);
        if (value !== null) kept.set(name, value);
    }
    parsed.search = kept.toString();
    parsed.hash = "";
    return parsed.toString();
}

/** Plain text with runs of whitespace collapsed, cut at a word boundary to at most `max` characters (with an ellipsis). */
export function capDescription(text: string | undefined, max: number): string | undefined {
    if (!text || max === 0) return undefined;
    // Only the head can survive the cut: collapsing the whole of a 4 KB text would be wasted work.
    // Same result as replacing every `\s+` run by a space, without replacing each single space by
    // itself (a description has a hundred of them): half the CPU per app (bench/RESULTS.md).
    const plain = text
        .slice(0, 2 * max + 16)
        .replace(/\s{2,}|[^\S ]/g, " ")
        .trim();
    if (!plain) return undefined;
    if (plain.length <= max) return plain;
    const cut = plain.slice(0, max - 1);
    const lastSpace = cut.lastIndexOf(" ");
    return `${(lastSpace > max / 2 ? cut.slice(0, lastSpace) : cut).trimEnd()}…`;
}

/** A rating only when someone rated: stores report 0 (or nothing) for unrated apps. */
export function ratingOf(score: number | undefined, count: number | undefined): Pick<AppMetadata, "rating" | "ratingCount"> {
    if (score === undefined || count === undefined || count <= 0 || score <= 0) return {};
    return { rating: score, ratingCount: count };
}

/** Drops undefined fields so that cached JSON stays small and stable. */
export function compactMetadata(m: AppMetadata): AppMetadata {
    return Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined)) as unknown as AppMetadata;
}

/**
 * The screenshots the app shows, group after group (App Store: iPhone or Mac, then iPad), and the
 * device of each, parallel to them: `screenshots:<store>:<appId>` stays a plain list of URLs that
 * apps already read, and the metadata says what each one shows. No devices without screenshots.
 */
export function screenshotsOf(groups: readonly (readonly [urls: readonly string[], device: ScreenshotDevice])[]): {
    screenshots: string[];
    screenshotDevices?: ScreenshotDevice[];
} {
    const screenshots = groups.flatMap(([urls]) => urls);
    if (screenshots.length === 0) return { screenshots };
    return { screenshots, screenshotDevices: groups.flatMap(([urls, device]) => urls.map(() => device)) };
}
