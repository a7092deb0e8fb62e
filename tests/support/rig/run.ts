import { execFile } from "node:child_process";
import { RigError } from "./errors";

/**
 * Runs a system command with a deadline; a failure or a timeout is a `command` RigError naming
 * the host and carrying the command's stderr, so a broken set-up says where it broke.
 */
export function run(host: string, file: string, args: readonly string[], timeoutMs = 15_000): Promise<string> {
    return new Promise((resolve, reject) => {
        execFile(file, args, { timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
            if (!err) return resolve(stdout);
            const why = err.killed ? `timed out after ${timeoutMs} ms` : stderr.trim() || err.message;
            reject(new RigError("command", host, `${file} ${args.join(" ")}: ${why}`, { cause: err }));
        });
    });
}

/** Like `run`, for clean-up steps whose object may already be gone: a failure is ignored. */
export const runQuietly = (host: string, file: string, args: readonly string[], timeoutMs = 15_000): Promise<void> =>
    run(host, file, args, timeoutMs).then(
        () => undefined,
        () => undefined,
    );

/** Polls `check` until it returns true, or fails with a RigError of `kind` naming `what` and the host. */
export async function until(
    host: string,
    kind: "engine-start" | "sshd-start" | "fault" | "teardown",
    what: string,
    check: () => Promise<boolean> | boolean,
    timeoutMs: number,
    intervalMs = 100,
): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
        try {
            if (await check()) return;
        } catch (err) {
            last = err;
        }
        if (Date.now() > deadline) {
            const detail = last instanceof Error ? `: ${last.message}` : "";
            throw new RigError(kind, host, `${what} not reached within ${timeoutMs} ms${detail}`);
        }
        await new Promise((r) => setTimeout(r, intervalMs));
    }
}
