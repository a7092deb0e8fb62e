import { readFileSync } from "node:fs";
import {
    AppNotFoundError,
    AppRecord,
    AppSource,
    compactMetadata,
    isRecord,
    optionalString,
    SourceFormatError,
    Store,
    stringList,
} from "./types";

/**
 * A JSON snapshot for offline or seeded warming:
 * `{ "stores": { "<store>": { "top": [ids], "apps": { "<id>": { "screenshots": [...], "metadata": {...} } } } } }`.
 */
export function parseSnapshot(json: unknown, store: Store): { top: string[]; apps: Map<string, AppRecord> } {
    const section = isRecord(json) && isRecord(json.stores) ? json.stores[store] : undefined;
    if (!isRecord(section)) throw new SourceFormatError(`snapshot: no stores.${store} section`);
    const apps = new Map<string, AppRecord>();
    for (const [appId, entry] of Object.entries(isRecord(section.apps) ? section.apps : {})) {
        if (!isRecord(entry) || !isRecord(entry.metadata) || !optionalString(entry.metadata.name)) {
            throw new SourceFormatError(`snapshot: stores.${store}.apps.${appId} needs metadata.name`);
        }
        apps.set(appId, {
            store,
            appId,
            screenshots: stringList(entry.screenshots),
            metadata: compactMetadata(entry.metadata as unknown as AppRecord["metadata"]),
        });
    }
    return { top: stringList(section.top), apps };
}

export class FileSource implements AppSource {
    readonly description: string;
    private snapshot: ReturnType<typeof parseSnapshot> | undefined;

    constructor(
        readonly store: Store,
        private readonly path: string,
    ) {
        this.description = `file ${path}`;
    }

    private load() {
        if (!this.snapshot) {
            let text: string;
            try {
                text = readFileSync(this.path, "utf8");
            } catch (err) {
                throw new Error(`cannot read snapshot ${this.path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
            }
            let json: unknown;
            try {
                json = JSON.parse(text);
            } catch {
                throw new SourceFormatError(`snapshot ${this.path} is not valid JSON`);
            }
            this.snapshot = parseSnapshot(json, this.store);
        }
        return this.snapshot;
    }

    async topApps(limit: number): Promise<string[]> {
        return this.load().top.slice(0, limit);
    }

    async app(appId: string): Promise<AppRecord> {
        const app = this.load().apps.get(appId);
        if (!app) throw new AppNotFoundError(`snapshot has no ${this.store} app ${appId}`);
        return app;
    }
}
