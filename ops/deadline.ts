/** A step that did not finish in time: names the step, so the deploy's error says what hung. */
export class DeadlineError extends Error {
    readonly kind = "deadline";
    constructor(
        readonly step: string,
        readonly seconds: number,
    ) {
        super(`${step} did not finish within ${seconds} s (deadline); the cluster may still be settling: check it with npm run verify`);
        this.name = "DeadlineError";
    }
}

/**
 * Runs `work` with a deadline. Past it the returned promise rejects with a DeadlineError naming
 * `step` (what `step()` says at that moment, for long runs with phases); the work itself is left
 * to the caller to abandon (the CLIs exit).
 */
export async function withDeadline<T>(seconds: number, step: string | (() => string), work: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new DeadlineError(typeof step === "string" ? step : step(), seconds)), seconds * 1000);
    });
    try {
        return await Promise.race([work(), expired]);
    } finally {
        clearTimeout(timer);
    }
}

/** A wait that ran out of time; `what` names what did not finish, for the operator's message. */
export class WaitTimeout extends Error {
    readonly kind = "timeout" as const;
    constructor(
        readonly what: string,
        readonly timeoutMs: number,
        readonly lastProblem?: string,
    ) {
        super(`${what} did not finish within ${(timeoutMs / 1000).toFixed(1)} s${lastProblem ? ` (last: ${lastProblem})` : ""}`);
        this.name = "WaitTimeout";
    }
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Polls `probe` until it returns a value other than undefined. A probe that throws counts as
 * "not yet" (a node restarting refuses connections), and its last error is kept for the message.
 */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 200): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let lastProblem: string | undefined;
    for (;;) {
        try {
            const value = await probe();
            if (value !== undefined) return value;
        } catch (err) {
            lastProblem = message(err);
        }
        if (Date.now() >= deadline) throw new WaitTimeout(what, timeoutMs, lastProblem);
        await new Promise((r) => setTimeout(r, Math.min(intervalMs, Math.max(1, deadline - Date.now()))));
    }
}

export { message as errorMessage };
