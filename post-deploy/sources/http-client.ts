import pLimit from "p-limit";
import pRetry, { AbortError } from "p-retry";
import pThrottle from "p-throttle";
import { AppNotFoundError, SourceFormatError } from "./types";

export interface HttpOptions {
    readonly timeoutMs: number;
    readonly concurrency: number;
    readonly requestsPerSecond: number;
    readonly retries: number;
    /** First backoff; each retry doubles it, with random jitter, up to maxBackoffMs. */
    readonly minBackoffMs?: number;
    readonly maxBackoffMs?: number;
}

/** An HTTP error worth retrying (429, 5xx, timeouts, refused connections) after the retries ran out. */
export class HttpError extends Error {
    constructor(
        message: string,
        readonly status?: number,
    ) {
        super(message);
        this.name = "HttpError";
    }
}

/**
 * GETs JSON politely: at most `concurrency` requests at once and `requestsPerSecond` started per
 * second (stores ban clients that go over), retrying 429, 5xx, timeouts and network errors with
 * exponential backoff and jitter. A 404 is final, as is any other 4xx and malformed JSON.
 */
export class HttpJsonClient {
    private readonly limit: ReturnType<typeof pLimit>;
    private readonly throttle: <T>(fn: () => Promise<T>) => Promise<T>;
    /** Requests sent, retries included: what the store saw. */
    requests = 0;

    constructor(private readonly options: HttpOptions) {
        this.limit = pLimit(options.concurrency);
        const throttled = pThrottle({ limit: options.requestsPerSecond, interval: 1000 })(<T>(fn: () => Promise<T>) => fn());
        this.throttle = <T>(fn: () => Promise<T>) => throttled(fn) as Promise<T>;
    }

    getJson(url: string): Promise<unknown> {
        return pRetry(() => this.limit(() => this.throttle(() => this.attempt(url))), {
            retries: this.options.retries,
            factor: 2,
            minTimeout: this.options.minBackoffMs ?? 250,
            maxTimeout: this.options.maxBackoffMs ?? 5000,
            randomize: true,
        });
    }

    private async attempt(url: string): Promise<unknown> {
        this.requests++;
        let response: Response;
        try {
            response = await fetch(url, { signal: AbortSignal.timeout(this.options.timeoutMs), headers: { accept: "application/json" } });
        } catch (err) {
            const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
            throw new HttpError(timedOut ? `timed out after ${this.options.timeoutMs} ms: ${url}` : `cannot reach ${url}: ${causeOf(err)}`);
        }
        const body = await response.text().catch(() => "");
        if (response.status === 404) throw new AbortError(new AppNotFoundError(`not found (404): ${url}`));
        if (response.status === 429 || response.status >= 500) throw new HttpError(`HTTP ${response.status} from ${url}`, response.status);
        if (!response.ok) throw new AbortError(new HttpError(`HTTP ${response.status} from ${url}`, response.status));
        try {
            return JSON.parse(body) as unknown;
        } catch {
            throw new AbortError(new SourceFormatError(`malformed JSON from ${url}`));
        }
    }
}

function causeOf(err: unknown): string {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? String(err);
}
