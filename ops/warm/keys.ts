import { CACHE_KEY_KINDS, cacheKey } from "../../settings/cache-keys";
import { Store, STORES } from "./sources/types";

/** The cache keys the app reads (see the seed document); the layout lives in settings/cache-keys.ts. */
export const screenshotsKey = (store: Store, appId: string): string => cacheKey("screenshots", store, appId);
export const metadataKey = (store: Store, appId: string): string => cacheKey("metadata", store, appId);

export const KEY_PATTERN = new RegExp(`^(${CACHE_KEY_KINDS.join("|")}):(${STORES.join("|")}):[A-Za-z0-9._]+$`);
