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
