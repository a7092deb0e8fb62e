import { z } from "zod";

/** Why text read at a process boundary was refused; `field` is the first offending one (`servers[0].port`). */
export interface Refusal {
    readonly kind: "not-json" | "malformed";
    readonly field?: string;
    /** The parser's or the schema's own words, plus how many more issues there were. */
    readonly detail: string;
}

/** `servers[0].port`, `expected.redisConfig.maxmemory`, `natMap["10.0.0.1:6379"]`; `whole` for the document itself. */
export const fieldName = (path: readonly PropertyKey[], whole: string): string =>
    path
        .map((p, i) => {
            if (typeof p === "number") return `[${p}]`;
            const key = String(p);
            return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? `${i ? "." : ""}${key}` : `[${JSON.stringify(key)}]`;
        })
        .join("") || whole;

/** The first issue of a failed check, named by field. */
export function refusalOf(error: z.ZodError, whole: string): Refusal {
    const [first] = error.issues;
    const others = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : "";
    return { kind: "malformed", field: fieldName(first.path, whole), detail: `${first.message}${others}` };
}

/**
 * JSON that crossed a process boundary, checked against `schema` (never `JSON.parse(...) as T`):
 * the data, or why it was refused.
 */
export function parseCheckedJson<S extends z.ZodType>(
    schema: S,
    text: string,
    /** What an issue with no path names: `(the plan itself)`. */
    whole: string,
): { readonly ok: true; readonly data: z.output<S> } | { readonly ok: false; readonly refusal: Refusal } {
    let raw: unknown;
    try {
        raw = JSON.parse(text);
    } catch (err) {
        return { ok: false, refusal: { kind: "not-json", detail: err instanceof Error ? err.message : String(err) } };
    }
    const parsed = schema.safeParse(raw);
    return parsed.success ? { ok: true, data: parsed.data } : { ok: false, refusal: refusalOf(parsed.error, whole) };
}
