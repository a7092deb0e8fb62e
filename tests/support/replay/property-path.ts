/**
 * Property paths as the Pulumi engine reads them in `ignoreChanges` and `replaceOnChanges`
 * (`pulumi/pulumi` sdk/go/common/resource/properties_path.go, `ParsePropertyPath`): `a.b`,
 * `a[0]`, `a["b.c"]`, and `*` / `[*]` for any key or element.
 */
export type PathSegment = string | number;
export type PropertyPath = readonly PathSegment[];

export const WILDCARD = "*";

export class PropertyPathError extends Error {
    readonly kind = "invalid-property-path" as const;
    constructor(
        readonly path: string,
        reason: string,
    ) {
        super(`invalid property path ${JSON.stringify(path)}: ${reason}`);
        this.name = "PropertyPathError";
    }
}

export function parsePropertyPath(text: string): PropertyPath {
    const segments: PathSegment[] = [];
    let i = 0;
    const fail = (reason: string): never => {
        throw new PropertyPathError(text, reason);
    };
    if (text === "") fail("empty");
    while (i < text.length) {
        if (text[i] === "[") {
            const close = text.indexOf("]", i);
            if (close < 0) fail("missing ]");
            const inner = text.slice(i + 1, close);
            if (inner.startsWith('"')) {
                // A quoted key may hold dots and brackets; JSON rules for the quotes.
                const end = text.indexOf('"]', i + 2);
                if (end < 0) fail("missing closing quote");
                segments.push(JSON.parse(text.slice(i + 1, end + 1)) as string);
                i = end + 2;
            } else if (inner === WILDCARD) {
                segments.push(WILDCARD);
                i = close + 1;
            } else if (/^\d+$/.test(inner)) {
                segments.push(Number(inner));
                i = close + 1;
            } else {
                fail(`bad index [${inner}]`);
            }
        } else {
            if (text[i] === ".") {
                if (segments.length === 0) fail("starts with .");
                i++;
            }
            let end = i;
            while (end < text.length && text[end] !== "." && text[end] !== "[") end++;
            if (end === i) fail("empty key");
            segments.push(text.slice(i, end));
            i = end;
        }
    }
    return segments;
}

export function formatPropertyPath(path: PropertyPath): string {
    return path
        .map((s, i) => {
            if (typeof s === "number") return `[${s}]`;
            if (/^[A-Za-z_$*][\w$]*$/.test(s)) return i === 0 ? s : `.${s}`;
            return `[${JSON.stringify(s)}]`;
        })
        .join("");
}

/** Whether `prefix` names `path` or something that holds it (`*` matches any segment). */
export function pathContains(prefix: PropertyPath, path: PropertyPath): boolean {
    if (path.length < prefix.length) return false;
    return prefix.every((s, i) => s === WILDCARD || s === path[i]);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const clone = <T>(v: T): T => structuredClone(v);

/**
 * `news` with every path in `paths` set back to its value in `olds`, as the engine's
 * `processIgnoreChanges` does. A path that does not exist on both sides (an added or removed
 * element) keeps its new value and is reported in `unresettable`, as the engine reports it.
 */
export function resetPaths(
    olds: Record<string, unknown>,
    news: Record<string, unknown>,
    paths: readonly string[],
): { inputs: Record<string, unknown>; unresettable: string[] } {
    const inputs = clone(news);
    const unresettable: string[] = [];
    for (const text of paths) {
        if (!reset(olds, inputs, parsePropertyPath(text))) unresettable.push(text);
    }
    return { inputs, unresettable };
}

function reset(old: unknown, target: unknown, path: PropertyPath): boolean {
    const [head, ...rest] = path;
    if (head === WILDCARD) {
        if (Array.isArray(old) && Array.isArray(target)) {
            if (rest.length === 0) {
                target.splice(0, target.length, ...clone(old));
                return true;
            }
            return old.length === target.length && old.every((o, i) => reset(o, target[i], rest));
        }
        if (isObject(old) && isObject(target)) {
            if (rest.length === 0) {
                for (const k of Object.keys(target)) Reflect.deleteProperty(target, k);
                Object.assign(target, clone(old));
                return true;
            }
            return Object.keys(old).every((k) => k in target && reset(old[k], target[k], rest));
        }
        return false;
    }
    const container = typeof head === "number" ? Array.isArray(old) && Array.isArray(target) : isObject(old) && isObject(target);
    if (!container) return false;
    const o = old as Record<PathSegment, unknown>;
    const t = target as Record<PathSegment, unknown>;
    if (rest.length === 0) {
        if (!(head in o)) {
            // The old resource had no value here: the engine can only keep it absent if it is absent now.
            if (!(head in t)) return true;
            return false;
        }
        if (typeof head === "number" && head >= (target as unknown[]).length) return false;
        t[head] = clone(o[head]);
        return true;
    }
    if (!(head in o) || !(head in t)) return false;
    return reset(o[head], t[head], rest);
}

export type LeafChangeKind = "add" | "delete" | "update";

export interface LeafChange {
    readonly path: PropertyPath;
    readonly kind: LeafChangeKind;
}

const absent = (v: unknown) => v === undefined || v === null;

/**
 * The changed leaves between two input maps, the way the engine's detailed diff names them
 * (`NewDetailedDiffFromObjectDiff`): objects per key, arrays per index, values compared whole.
 */
export function leafChanges(olds: unknown, news: unknown, prefix: PropertyPath = []): LeafChange[] {
    if (absent(olds) && absent(news)) return [];
    if (absent(olds)) return [{ path: prefix, kind: "add" }];
    if (absent(news)) return [{ path: prefix, kind: "delete" }];
    if (isObject(olds) && isObject(news)) {
        const keys = [...new Set([...Object.keys(olds), ...Object.keys(news)])].sort();
        return keys.flatMap((k) => leafChanges(olds[k], news[k], [...prefix, k]));
    }
    if (Array.isArray(olds) && Array.isArray(news)) {
        const out: LeafChange[] = [];
        for (let i = 0; i < Math.max(olds.length, news.length); i++) {
            if (i >= olds.length) out.push({ path: [...prefix, i], kind: "add" });
            else if (i >= news.length) out.push({ path: [...prefix, i], kind: "delete" });
            else out.push(...leafChanges(olds[i], news[i], [...prefix, i]));
        }
        return out;
    }
    return JSON.stringify(olds) === JSON.stringify(news) ? [] : [{ path: prefix, kind: "update" }];
}
