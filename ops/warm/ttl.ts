/** TTL settings of the warmed keys, from the stack's `cache` config. */
export interface TtlPolicy {
    readonly screenshotsTtlSeconds: number;
    readonly metadataTtlSeconds: number;
    readonly ttlJitterPercent: number;
}

/**
 * The base TTL moved by up to ±jitterPercent, so that keys warmed together do not all expire in
 * the same second and send every request to the stores at once. `random` is in [0, 1).
 */
export function jitteredTtl(baseSeconds: number, jitterPercent: number, random: () => number = Math.random): number {
    const spread = (baseSeconds * jitterPercent) / 100;
    return Math.max(1, Math.round(baseSeconds - spread + random() * 2 * spread));
}

/** Seconds a key may age between the warmer writing it and the verifier reading its TTL. */
export const VERIFY_SLACK_SECONDS = 300;

/**
 * The TTLs a warmed key may show: at most the largest jittered TTL; at least what a key keeps
 * when the warmer leaves it alone as fresh, or what a just-written one has left by the time the
 * verifier reads it, whichever is lower.
 */
export function acceptableTtlRange(baseSeconds: number, jitterPercent: number, refreshBelowFraction: number): { min: number; max: number } {
    const spread = (baseSeconds * jitterPercent) / 100;
    const freshlyWritten = baseSeconds - spread - VERIFY_SLACK_SECONDS;
    const keptAsFresh = baseSeconds * refreshBelowFraction;
    return { min: Math.max(1, Math.floor(Math.min(freshlyWritten, keptAsFresh))), max: Math.ceil(baseSeconds + spread) };
}
