// Redis and Sentinel replies as records: shared by every step that reads INFO or SENTINEL output.

/** `INFO` text -> fields. */
export function parseInfo(text: string): Record<string, string> {
    return Object.fromEntries(
        text
            .split(/\r?\n/)
            .filter((l) => l.includes(":") && !l.startsWith("#"))
            .map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1)]),
    );
}

/** `[k, v, k, v]` -> fields. */
export function parsePairs(flat: unknown): Record<string, string> {
    const list = Array.isArray(flat) ? (flat as unknown[]).map(String) : [];
    return Object.fromEntries(list.flatMap((v, i) => (i % 2 === 0 && i + 1 < list.length ? [[v, list[i + 1]]] : [])));
}
