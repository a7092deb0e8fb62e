// The cache's key layout and the warmer's barrier channel: one place, because the warmer builds
// keys and publishes from it (ops/warm/) and the ACL users are scoped by it (render/acl-users.ts).
// Here in settings/ so both layers can import it (render/ may not import ops/).

/** The two kinds of cache key, each `<kind>:<store>:<appId>` (README "Key layout"). */
export const CACHE_KEY_KINDS = ["screenshots", "metadata"] as const;
export type CacheKeyKind = (typeof CACHE_KEY_KINDS)[number];

/** A cache key: `<kind>:<store>:<appId>`. */
export const cacheKey = (kind: CacheKeyKind, store: string, appId: string): string => `${kind}:${store}:${appId}`;

/** The ACL key pattern (glob) that covers every key of one kind. */
export const cacheKeyGlob = (kind: CacheKeyKind): string => `${kind}:*`;

/**
 * Pub/Sub channel of the warmer's end-of-run barrier: a PUBLISH is replicated like a write and
 * changes no key (ops/warm/reconcile.ts).
 */
export const WARMER_BARRIER_CHANNEL = "appscreens:warmer:barrier";
