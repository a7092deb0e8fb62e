import { createReadStream, readFileSync } from "node:fs";
import { z } from "zod";
import { SourceError } from "./failure";
import { problemOf } from "./response-fields";
import { chunkedOutcomes, freshOrFetched, selectedIds } from "./selection";
import { compactMetadata } from "./values";
import { appMetadataSchema, AppOutcome, AppRecord, AppSelection, AppSource, Store, STORES } from "./types";

/** Apps read, and checked for freshness, together. */
const CHUNK = 500;

/**
 * One app of a snapshot: the cache's own shapes (a snapshot can be a dump of the cache). When the
 * metadata names the device of each screenshot, it names one per screenshot.
 */
const entrySchema = z
    .object({ screenshots: z.array(z.string()).default([]), metadata: appMetadataSchema })
    .refine((e) => e.metadata.screenshotDevices === undefined || e.metadata.screenshotDevices.length === e.screenshots.length, {
        message: "metadata.screenshotDevices must name one device per screenshot",
        path: ["metadata", "screenshotDevices"],
    });
/** One line of a `.jsonl` snapshot. */
const lineSchema = entrySchema.and(z.object({ store: z.enum(STORES), appId: z.string().min(1) }));

/** Empty screenshot URLs are left out, with their devices, so that the two lists stay parallel. */
function toRecord(store: Store, appId: string, entry: z.infer<typeof entrySchema>): AppRecord {
    const { screenshots, metadata } = entry;
    const kept = screenshots.flatMap((url, i) => (url.length > 0 ? [i] : []));
    // JSON has no undefined, so metadata read from a snapshot needs no compacting unless a device goes.
    if (kept.length === screenshots.length) return { store, appId, screenshots, metadata };
    const devices = metadata.screenshotDevices;
    return {
        store,
        appId,
        screenshots: kept.map((i) => screenshots[i]),
        metadata: compactMetadata({ ...metadata, screenshotDevices: devices && kept.length > 0 ? kept.map((i) => devices[i]) : undefined }),
    };
}

/**
 * A `.json` snapshot, read whole (for small, hand-kept lists):
 * `{ "stores": { "<store>": { "top": [ids], "apps": { "<id>": { "screenshots": [...], "metadata": {...} } } } } }`.
 */
export function parseSnapshot(json: unknown, store: Store): { top: string[]; apps: Map<string, AppRecord> } {
    const section = z
        .object({
            stores: z.object({
                [store]: z.object({ top: z.array(z.string()).default([]), apps: z.record(z.string(), z.unknown()).default({}) }),
            }),
        })
        .safeParse(json);
    if (!section.success) throw new SourceError("bad-response", `snapshot: no valid stores.${store} section (${problemOf(section.error)})`);
    const { top, apps } = section.data.stores[store];
    const records = new Map<string, AppRecord>();
    for (const [appId, raw] of Object.entries(apps)) {
        const entry = entrySchema.safeParse(raw);
        if (!entry.success) throw new SourceError("bad-response", `snapshot: stores.${store}.apps.${appId}: ${problemOf(entry.error)}`);
        records.set(appId, toRecord(store, appId, entry.data));
    }
    return { top, apps: records };
}

/** One line of a `.jsonl` snapshot: `{"store": "...", "appId": "...", "screenshots": [...], "metadata": {...}}`. */
export function parseSnapshotLine(line: string, lineNumber: number): AppRecord {
    let json: unknown;
    try {
        json = JSON.parse(line);
    } catch {
        throw new SourceError("bad-response", `snapshot line ${lineNumber} is not valid JSON`);
    }
    const parsed = lineSchema.safeParse(json);
    if (!parsed.success) throw new SourceError("bad-response", `snapshot line ${lineNumber}: ${problemOf(parsed.error)}`);
    return toRecord(parsed.data.store, parsed.data.appId, parsed.data);
}

/**
 * The lines of a text stream (`\n` or `\r\n`), read only as fast as they are consumed
 * (readline's iterator reads ahead of a slow consumer and buffers the rest of the file). Lines are
 * cut out of each chunk where they lie: only a line split across two chunks is joined, not every
 * chunk to the previous one's tail.
 */
export async function* lines(stream: AsyncIterable<string>): AsyncGenerator<string> {
    let rest = "";
    for await (const chunk of stream) {
        let start = 0;
        for (let end = chunk.indexOf("\n"); end !== -1; end = chunk.indexOf("\n", start)) {
            const line = start === 0 ? rest + chunk.slice(0, end) : chunk.slice(start, end);
            yield line.endsWith("\r") ? line.slice(0, -1) : line;
            start = end + 1;
        }
        rest = start === 0 ? rest + chunk : chunk.slice(start);
    }
    if (rest) yield rest;
}

/**
 * Apps from a snapshot file, for offline or seeded warming. A `.json` snapshot is read whole; a
 * `.jsonl` one (one app per line, both stores in one file) is streamed, so that a run over a large
 * snapshot holds a few chunks of apps, not the file. Every app of a snapshot is warmed (its own
 * list is taken whole); explicit apps it lacks are not found.
 */
export class FileSource implements AppSource {
    readonly description: string;

    constructor(
        readonly store: Store,
        private readonly path: string,
    ) {
        this.description = `file ${path}`;
    }

    apps(selection: AppSelection): AsyncIterable<AppOutcome> {
        return this.path.endsWith(".jsonl") ? this.streamLines(selection) : this.fromDocument(selection);
    }

    private readText(): string {
        try {
            return readFileSync(this.path, "utf8");
        } catch (err) {
            throw new SourceError(
                "unavailable",
                `cannot read snapshot ${this.path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
            );
        }
    }

    private async *fromDocument(selection: AppSelection): AsyncGenerator<AppOutcome> {
        let json: unknown;
        try {
            json = JSON.parse(this.readText());
        } catch (err) {
            if (err instanceof SourceError) throw err;
            throw new SourceError("bad-response", `snapshot ${this.path} is not valid JSON`);
        }
        const { top, apps } = parseSnapshot(json, this.store);
        const lookUp = async (ids: string[]) => ids.map((appId) => this.outcome(appId, apps.get(appId)));
        yield* chunkedOutcomes(selectedIds(top, selection.explicit), CHUNK, selection, lookUp);
    }

    private async *streamLines(selection: AppSelection): AsyncGenerator<AppOutcome> {
        const stream = createReadStream(this.path, { encoding: "utf8" });
        const opened = new Promise<void>((resolve, reject) => {
            stream.once("ready", resolve);
            stream.once("error", (err: NodeJS.ErrnoException) =>
                reject(new SourceError("unavailable", `cannot read snapshot ${this.path}: ${err.code ?? String(err)}`)),
            );
        });
        await opened;
        const seen = new Set<string>();
        const storeToken = `"${this.store}"`;
        let chunk = new Map<string, AppRecord>();
        const flush = async () => {
            const records = chunk;
            chunk = new Map();
            return freshOrFetched([...records.keys()], selection, async (ids) =>
                ids.map((appId) => this.outcome(appId, records.get(appId))),
            );
        };
        let lineNumber = 0;
        for await (const line of lines(stream)) {
            lineNumber++;
            // A line of this store holds the JSON string "<store>"; the other store's lines (half of a
            // shared snapshot) are not worth parsing.
            if (!line.includes(storeToken)) continue;
            const record = parseSnapshotLine(line, lineNumber);
            if (record.store !== this.store || seen.has(record.appId)) continue;
            seen.add(record.appId);
            chunk.set(record.appId, record);
            if (chunk.size >= CHUNK) yield* await flush();
        }
        if (chunk.size > 0) yield* await flush();
        const missing = selection.explicit.filter((id) => !seen.has(id));
        if (missing.length > 0)
            yield* await freshOrFetched(missing, selection, async (ids) => ids.map((appId) => this.outcome(appId, undefined)));
    }

    private outcome(appId: string, record: AppRecord | undefined): AppOutcome {
        return record ? { appId, record } : { appId, failure: { kind: "not-found", reason: `snapshot has no ${this.store} app ${appId}` } };
    }
}
