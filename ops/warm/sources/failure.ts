/**
 * Why an app or a whole store could not be warmed, decided once where the answer arrives (HTTP
 * status, the upstream's own error body, a schema check) and carried as a field to the report:
 * nothing downstream reads error messages.
 */
import { FAILURE_KINDS, type Failure, type FailureKind, type Throttling } from "../../../contracts/report";

/** The kinds (each explained there) and a failure's shape are part of the post-deploy report: contracts/report.ts. */
export { FAILURE_KINDS, type Failure, type FailureKind, type Throttling };

/** Kinds worth another attempt: the same request may succeed later. */
export const RETRIED_KINDS: ReadonlySet<FailureKind> = new Set(["throttled", "unavailable"]);

/** An app's reason when the store throttled it away: the store's condition is reported once, for the store. */
export const STORE_THROTTLED = "store throttled";

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
