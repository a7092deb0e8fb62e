import { z } from "zod";
import { isRecord } from "./types";

/**
 * Optional fields of a store response, read the same way for both stores. A store answer is
 * checked against its schema where it arrives; a field registered here as optional is one the app
 * can be cached without, so a value of it that cannot be read costs that field, not the app (one
 * odd `updated` must not lose an app's screenshots). The fields a schema does not register (the
 * id, the name, the screenshot lists, what says the id is an app) stay required: the app is a
 * bad response without them.
 */
const optionalFields = z.registry<{ readonly optional: true }>();

/** Marks a field of a store response as optional: dropped, and counted, when its value cannot be read. */
export function optional<T extends z.ZodType>(field: T): T {
    optionalFields.add(field, { optional: true });
    return field;
}

export const isOptionalField = (field: z.ZodType | undefined): boolean => field !== undefined && optionalFields.has(field);

/** A string, with null, absent and "" all meaning "not given". */
export const optionalText = optional(
    z
        .string()
        .nullish()
        .transform((v) => v || undefined),
);

/** A number, with null and absent meaning "not given" (0 stays 0). */
export const optionalNumber = optional(
    z
        .number()
        .nullish()
        .transform((v) => v ?? undefined),
);

/**
 * A time in ms since the epoch, as an ISO 8601 string. Only numbers in Date's range: a date as
 * text ("Nov 5, 2025") is not read, since Date.parse would read it in the local time zone of
 * whichever machine runs the warmer.
 */
export const optionalEpochMs = optional(
    z
        .number()
        .min(-8.64e15)
        .max(8.64e15)
        .nullish()
        .transform((ms) => (ms == null ? undefined : new Date(ms).toISOString())),
);

/** A store answer read field by field: its optional fields that could not be read are left out and named. */
export type FieldsRead<T> =
    { readonly ok: true; readonly data: T; readonly dropped: string[] } | { readonly ok: false; readonly error: z.ZodError };

/**
 * Parses `raw` with `schema`; when only optional fields fail, parses it again without them. The
 * second parse happens only for an answer with a field to drop: the common answer is parsed once.
 */
export function readFields<S extends z.ZodObject>(schema: S, raw: unknown): FieldsRead<z.output<S>> {
    const first = schema.safeParse(raw);
    if (first.success) return { ok: true, data: first.data, dropped: [] };
    if (!isRecord(raw)) return { ok: false, error: first.error };
    const dropped: string[] = [];
    for (const key of new Set(first.error.issues.map((issue) => issue.path[0]))) {
        if (typeof key !== "string" || !isOptionalField(schema.shape[key])) return { ok: false, error: first.error };
        dropped.push(key);
    }
    const second = schema.safeParse({ ...raw, ...Object.fromEntries(dropped.map((key) => [key, undefined])) });
    return second.success ? { ok: true, data: second.data, dropped } : { ok: false, error: second.error };
}

/** A zod error on one line, for a failure's reason. */
export const problemOf = (error: z.ZodError): string => z.prettifyError(error).replace(/\n/g, " ");
