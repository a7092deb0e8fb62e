import { Store } from "./sources/types";

/** The cache keys the app reads (see the seed document). */
export const screenshotsKey = (store: Store, appId: string): string => `screenshots:${store}:${appId}`;
export const metadataKey = (store: Store, appId: string): string => `metadata:${store}:${appId}`;

export const KEY_PATTERN = /^(screenshots|metadata):(appstore|playstore):[A-Za-z0-9._]+$/;
