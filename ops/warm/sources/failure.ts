/**
 * Why an app or a whole store could not be warmed, decided once where the answer arrives (HTTP
 * status, the upstream's own error body, a schema check) and carried as a field to the report:
 * nothing downstream reads error messages.
 */
import { FAILURE_KINDS, type Failure, type FailureKind } from "../../../contracts/report";

/** The kinds (each explained there) and a failure's shape are part of the post-deploy report: contracts/report.ts. */
export { FAILURE_KINDS, type Failure, type FailureKind };

/** Kinds worth another attempt: the same request may succeed later. */
export const RETRIED_KINDS: ReadonlySet<FailureKind> = new Set(["throttled", "unavailable"]);

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
