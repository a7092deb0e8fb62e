import { ReplyError } from "ioredis";

/**
 * Why a command to Redis or a Sentinel failed, for callers that decide by it (never by the
 * message's wording):
 * - `reply`: the server answered with an error reply; `code` is its first word (WRONGPASS,
 *   NOAUTH, NOQUORUM, ERR, ...), the protocol's own kind.
 * - `no-answer`: no reply came (connection refused or dropped, command timeout, retries spent).
 * - `unexpected-reply`: a reply this layer cannot read as the command's documented shape.
 */
export type RedisFailureKind = "reply" | "no-answer" | "unexpected-reply";

/**
 * A failed command. The message is the client's or the server's own, unchanged (reports and
 * logs show it as before); `command` names the command and its subcommand, never its arguments
 * (they may hold a password).
 */
export class RedisCommandError extends Error {
    constructor(
        readonly kind: RedisFailureKind,
        readonly command: string,
        message: string,
        /** The error reply's code, for kind `reply`; empty otherwise. */
        readonly code = "",
        options?: { cause?: unknown },
    ) {
        super(message, options);
        this.name = "RedisCommandError";
    }
}

/** The error code an error reply starts with (`WRONGPASS invalid ...` -> WRONGPASS). */
const codeOf = (message: string): string => /^([A-Z]+)\b/.exec(message)?.[1] ?? "";

/** What the client's error for `command` was: an error reply from the server, or no answer at all. */
export function commandFailure(command: string, err: unknown): RedisCommandError {
    if (err instanceof RedisCommandError) return err;
    const message = err instanceof Error ? err.message : String(err);
    return err instanceof ReplyError
        ? new RedisCommandError("reply", command, message, codeOf(message), { cause: err })
        : new RedisCommandError("no-answer", command, message, "", { cause: err });
}

/** A reply of a shape `command` does not give. */
export const unexpectedReply = (command: string, expected: string, reply: unknown): RedisCommandError =>
    new RedisCommandError("unexpected-reply", command, `${command}: expected ${expected}, got ${describeReply(reply)}`);

function describeReply(reply: unknown): string {
    if (reply === null) return "nil";
    if (Array.isArray(reply)) return `an array of ${reply.length}`;
    return typeof reply;
}

/** The code of an error reply (`WRONGPASS`, `NOAUTH`, ...); empty for any other failure. */
export const replyCode = (err: unknown): string => (err instanceof RedisCommandError && err.kind === "reply" ? err.code : "");
