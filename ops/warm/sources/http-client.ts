import pLimit from "p-limit";
import pRetry from "p-retry";
import pThrottle from "p-throttle";
import { describeThrottling, FailureKind, RETRIED_KINDS, SourceError } from "./failure";

export interface HttpOptions {
    readonly timeoutMs: number;
    readonly retries: number;
    /** Requests in flight at once. */
    readonly concurrency: number;
    /** Requests started per minute, spread evenly (no bursts). */
    readonly requestsPerMinute: number;
    /** First wait after a throttled answer that names no Retry-After; doubled per retry. */
    readonly throttleBackoffMs: number;
    /** First backoff after an outage (5xx, timeout); each retry doubles it, with jitter, up to maxBackoffMs. */
    readonly minBackoffMs?: number;
    readonly maxBackoffMs?: number;
}

/** What a store's error answer means, where the status alone does not tell (undefined: the default rules). */
export type ErrorClassifier = (status: number, body: string) => FailureKind | undefined;

/** 429 is throttling, 404 not found, 5xx an outage, any other 4xx a refusal. */
export function defaultKind(status: number): FailureKind {
    if (status === 429) return "throttled";
    if (status === 404) return "not-found";
    if (status >= 500) return "unavailable";
    return "rejected";
}

/** Retry-After in seconds or as an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
    if (!header) return undefined;
    if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
    const at = Date.parse(header);
    return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * GETs JSON politely from one store: at most `concurrency` requests at once, started evenly at
 * `requestsPerMinute`; outages are retried with exponential backoff and jitter, throttling with a
 * store-wide pause (Retry-After when the store gives one, else `throttleBackoffMs` doubling), so
 * that every request waits, not only the one that was refused. Once a store stays throttled
 * through every retry, the client stops asking it: further requests fail at once as throttled,
 * every one with the same error, which describes the store (status, retries, Retry-After) and not
 * the request that gave up first.
 */
export class HttpJsonClient {
    private readonly limit: ReturnType<typeof pLimit>;
    private readonly throttle: <T>(fn: () => Promise<T>) => Promise<T>;
    private pausedUntil = 0;
    private gaveUp: SourceError | undefined;
    /** The longest Retry-After of the throttled answers so far: what the store asked of us. */
    private longestRetryAfterMs: number | undefined;
    /** Requests sent, retries included: what the store saw. */
    requests = 0;

    constructor(
        private readonly options: HttpOptions,
        private readonly classify: ErrorClassifier = () => undefined,
    ) {
        this.limit = pLimit(options.concurrency);
        const throttled = pThrottle({ limit: 1, interval: Math.max(1, Math.round(60_000 / options.requestsPerMinute)) })(
            <T>(fn: () => Promise<T>) => fn(),
        );
        this.throttle = <T>(fn: () => Promise<T>) => throttled(fn) as Promise<T>;
    }

    getJson(url: string): Promise<unknown> {
        let throttledAttempts = 0;
        return pRetry(
            () =>
                this.limit(async () => {
                    if (this.gaveUp) throw this.gaveUp;
                    while (Date.now() < this.pausedUntil) await sleep(this.pausedUntil - Date.now());
                    return this.throttle(() => this.attempt(url));
                }),
            {
                retries: this.options.retries,
                factor: 2,
                minTimeout: this.options.minBackoffMs ?? 250,
                maxTimeout: this.options.maxBackoffMs ?? 5000,
                randomize: true,
                shouldRetry: ({ error }) => error instanceof SourceError && RETRIED_KINDS.has(error.kind) && !this.gaveUp,
                onFailedAttempt: ({ error, retriesLeft }) => {
                    if (!(error instanceof SourceError) || error.kind !== "throttled") return;
                    const { retryAfterMs, status, body } = error.details;
                    if (retryAfterMs !== undefined) this.longestRetryAfterMs = Math.max(this.longestRetryAfterMs ?? 0, retryAfterMs);
                    if (retriesLeft === 0) {
                        if (this.gaveUp) return;
                        const throttling = {
                            status: status ?? 0,
                            retries: this.options.retries,
                            ...(this.longestRetryAfterMs === undefined ? {} : { retryAfterMs: this.longestRetryAfterMs }),
                            ...(body ? { body } : {}),
                        };
                        this.gaveUp = new SourceError("throttled", describeThrottling(throttling), { throttling });
                        return;
                    }
                    const pause = retryAfterMs ?? this.options.throttleBackoffMs * 2 ** throttledAttempts++;
                    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + pause);
                },
            },
        ).catch((err: unknown) => {
            throw err instanceof SourceError && err.kind === "throttled" && this.gaveUp ? this.gaveUp : err;
        });
    }

    private async attempt(url: string): Promise<unknown> {
        this.requests++;
        let response: Response;
        try {
            response = await fetch(url, { signal: AbortSignal.timeout(this.options.timeoutMs), headers: { accept: "application/json" } });
        } catch (err) {
            const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
            throw new SourceError(
                "unavailable",
                timedOut ? `timed out after ${this.options.timeoutMs} ms: ${url}` : `cannot reach ${url}: ${causeOf(err)}`,
            );
        }
        const body = await response.text().catch(() => "");
        if (!response.ok) {
            const kind = this.classify(response.status, body) ?? defaultKind(response.status);
            const excerpt = body.trim().slice(0, 200);
            throw new SourceError(kind, `HTTP ${response.status} from ${url}${excerpt ? `: ${excerpt}` : " (empty body)"}`, {
                status: response.status,
                ...(excerpt ? { body: excerpt } : {}),
                retryAfterMs: retryAfterMs(response.headers.get("retry-after")),
            });
        }
        try {
            // Unknown: each store's source checks the shape it expects (app-store.ts, play-store.ts).
            const json: unknown = JSON.parse(body);
            return json;
        } catch {
            throw new SourceError("bad-response", `malformed JSON from ${url}`);
        }
    }
}

function causeOf(err: unknown): string {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? String(err);
}
