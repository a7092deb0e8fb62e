/**
 * Why an app or a whole store could not be warmed, decided once where the answer arrives (HTTP
 * status, the upstream's own error body, a schema check) and carried as a field to the report:
 * nothing downstream reads error messages.
 */
export const FAILURE_KINDS = [
    /** The store rate-limited us and kept doing so through every retry. */
    "throttled",
    /** No answer, a timeout, or a 5xx after every retry. */
    "unavailable",
    /** The store has no such app. */
    "not-found",
    /** An answer that is not in the documented shape. */
    "bad-response",
    /** A request the store refuses as such (a 4xx other than throttling or not-found). */
    "rejected",
    /** Fetched, but no replica confirmed the write (WAIT) after every replay. */
    "not-written",
] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

/** Kinds worth another attempt: the same request may succeed later. */
export const RETRIED_KINDS: ReadonlySet<FailureKind> = new Set(["throttled", "unavailable"]);

export interface Failure {
    readonly kind: FailureKind;
    /** For people: what was asked and what came back (never a secret). */
    readonly reason: string;
}

export class SourceError extends Error {
    constructor(
        readonly kind: FailureKind,
        message: string,
        /** How long the store asked us to wait (Retry-After), when it said. */
        readonly retryAfterMs?: number,
    ) {
        super(message);
        this.name = "SourceError";
    }
}

/** The failure an error stands for; anything that is not a SourceError is a fault of ours or of the data. */
export function failureOf(err: unknown): Failure {
    if (err instanceof SourceError) return { kind: err.kind, reason: err.message };
    return { kind: "bad-response", reason: err instanceof Error ? err.message : String(err) };
}
