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

/**
 * A store that kept throttling us through every retry: a fact about the store, not about the
 * request that happened to give up first, so it names no app and no URL (an App Store lookup's
 * URL lists every id of its batch). Reported once per store (StoreReport.throttling).
 */
export interface Throttling {
    /** The status of the last throttled answer: 403 from Apple, 400 from google-play-api, 429 elsewhere. */
    readonly status: number;
    /** Retries made before giving up (`warmer.http.retries`). */
    readonly retries: number;
    /** The longest Retry-After the store sent while throttling us, when it sent one. */
    readonly retryAfterMs?: number;
    /** The start of the last throttled answer's body (google-play-api says why there); absent when it was empty (Apple). */
    readonly body?: string;
}

/** An app's reason when the store throttled it away: the store's condition is reported once, for the store. */
export const STORE_THROTTLED = "store throttled";

export interface Failure {
    readonly kind: FailureKind;
    /** For people: what was asked and what came back (never a secret). */
    readonly reason: string;
    /** Set when the store as a whole stayed throttled: the same for every app it cost. */
    readonly throttling?: Throttling;
}

export interface SourceErrorDetails {
    /** How long the store asked us to wait (Retry-After), when it said. */
    readonly retryAfterMs?: number;
    /** The HTTP status of the answer, when there was one. */
    readonly status?: number;
    /** The start of the answer's body, when it had one. */
    readonly body?: string;
    /** Set when the store stayed throttled through every retry (HttpJsonClient stopped asking it). */
    readonly throttling?: Throttling;
}

export class SourceError extends Error {
    constructor(
        readonly kind: FailureKind,
        message: string,
        readonly details: SourceErrorDetails = {},
    ) {
        super(message);
        this.name = "SourceError";
    }
}

/** One line for people: `HTTP 403 (empty body); still throttled after 3 retries (no Retry-After); stopped asking`. */
export function describeThrottling(t: Throttling): string {
    const answer = t.body ? `: ${t.body}` : " (empty body)";
    const wait = t.retryAfterMs === undefined ? "no Retry-After" : `Retry-After ${Math.round(t.retryAfterMs / 1000)} s`;
    return `HTTP ${t.status}${answer}; still throttled after ${t.retries} retries (${wait}); stopped asking`;
}

/**
 * The failure an error stands for; anything that is not a SourceError is a fault of ours or of the
 * data. A store that stayed throttled gives every app it cost the same short reason, decided by
 * the error's throttling field (never by its message), and carries the store's condition along.
 */
export function failureOf(err: unknown): Failure {
    if (err instanceof SourceError) {
        const { throttling } = err.details;
        return throttling ? { kind: "throttled", reason: STORE_THROTTLED, throttling } : { kind: err.kind, reason: err.message };
    }
    return { kind: "bad-response", reason: err instanceof Error ? err.message : String(err) };
}

/** What to tell people about a failure of the store as a whole (its chart, say): the store's condition when throttled. */
export const storeReason = (failure: Failure): string => (failure.throttling ? describeThrottling(failure.throttling) : failure.reason);
