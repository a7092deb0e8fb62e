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
