import { pMapIterable } from "p-map";
import { AppOutcome, AppSelection } from "./types";

/** The chart's apps, then the explicit ones, each once, in that order. */
export function selectedIds(top: readonly string[], explicit: readonly string[]): string[] {
    return [...new Set([...top, ...explicit])];
}

export function chunksOf<T>(items: readonly T[], size: number): T[][] {
    const chunks: T[][] = [];
    for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
    return chunks;
}

/** One chunk's outcomes, in the chunk's order: its fresh apps as such, the others as fetched. */
export async function freshOrFetched(
    ids: readonly string[],
    selection: AppSelection,
    fetch: (stale: string[]) => Promise<AppOutcome[]>,
): Promise<AppOutcome[]> {
    const fresh = await selection.fresh(ids);
    const stale = ids.filter((id) => !fresh.has(id));
    const fetched = new Map((stale.length === 0 ? [] : await fetch(stale)).map((o) => [o.appId, o]));
    return ids.map((appId) => (fresh.has(appId) ? { appId, fresh: true as const } : (fetched.get(appId) ?? missing(appId))));
}

const missing = (appId: string): AppOutcome => ({
    appId,
    failure: { kind: "bad-response", reason: `the source gave no answer for ${appId}` },
});

/**
 * Streams the outcomes of `ids` chunk by chunk: each chunk's freshness is checked, its stale apps
 * fetched. `ahead` chunks are under way at once, so that the store's rate limit is used without
 * a gap at chunk boundaries while memory holds only those chunks.
 */
export async function* chunkedOutcomes(
    ids: readonly string[],
    chunkSize: number,
    selection: AppSelection,
    fetch: (stale: string[]) => Promise<AppOutcome[]>,
    ahead = 2,
): AsyncGenerator<AppOutcome> {
    const chunks = chunksOf(ids, chunkSize);
    for await (const outcomes of pMapIterable(chunks, (chunk) => freshOrFetched(chunk, selection, fetch), { concurrency: ahead })) {
        yield* outcomes;
    }
}
