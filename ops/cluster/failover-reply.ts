// What a SENTINEL FAILOVER got back, and how a planned failover that did not happen fails.
import { RedisCommandError } from "../redis/errors";

/** One SENTINEL FAILOVER's outcome, by the reply's code (Redis 7.0 sentinel.c, checked on real replies). */
export type FailoverReply =
    /** OK: this Sentinel started a failover and leads it (a forced failover needs no election). */
    | { readonly kind: "accepted" }
    /** -INPROG: a failover of this master is already running on this Sentinel; another Sentinel would start a second one. */
    | { readonly kind: "in-progress"; readonly message: string }
    /** -NOGOODSLAVE: no replica this Sentinel would promote now (down, disconnected, stale INFO, an old master not yet converted). */
    | { readonly kind: "no-good-replica"; readonly message: string }
    /** No reply (connection lost, timed out): the failover may or may not have started. */
    | { readonly kind: "no-reply"; readonly message: string }
    /** Any other error reply (unknown master name, authentication) or reply shape: sending again cannot help. */
    | { readonly kind: "refused"; readonly message: string };

/** The kind of a SENTINEL FAILOVER outcome: `undefined` when it resolved, else the error it rejected with. */
export function classifyFailoverReply(error: unknown): FailoverReply {
    if (error === undefined) return { kind: "accepted" };
    const message = error instanceof Error ? error.message : String(error);
    if (!(error instanceof RedisCommandError)) return { kind: "refused", message };
    if (error.kind === "no-answer") return { kind: "no-reply", message };
    if (error.kind === "reply" && error.code === "INPROG") return { kind: "in-progress", message };
    if (error.kind === "reply" && error.code === "NOGOODSLAVE") return { kind: "no-good-replica", message };
    return { kind: "refused", message };
}

/** The reply kinds after which the same failover may be sent again once the cluster has settled. */
export const retryableReply = (reply: FailoverReply): boolean => reply.kind !== "refused";

export interface FailoverAttempt {
    readonly sentinel: string;
    readonly reply: FailoverReply;
    /** When SENTINEL FAILOVER was sent (ms since the epoch). */
    readonly sentAt: number;
}

export const describeAttempt = (a: FailoverAttempt): string =>
    `${a.sentinel}: ${a.reply.kind}${"message" in a.reply ? ` (${a.reply.message})` : ""}`;

/**
 * - `refused`: a Sentinel answered with an error that sending again cannot fix;
 * - `not-started`: the cluster did not settle again in time to send it once more;
 * - `not-completed`: a failover was sent but the Sentinels did not agree on another master in time.
 */
export type FailoverFailureKind = "refused" | "not-started" | "not-completed";

/** A planned failover that did not happen; the message carries every attempt and the Sentinels' last view. */
export class FailoverFailed extends Error {
    constructor(
        readonly kind: FailoverFailureKind,
        what: string,
        readonly attempts: readonly FailoverAttempt[],
        readonly view: string,
    ) {
        super(
            `planned failover ${kind}: ${what}; attempts: ${attempts.map(describeAttempt).join(", ") || "none"}; the Sentinels' view:\n${view}`,
        );
        this.name = "FailoverFailed";
    }
}
