import { z } from "zod";

/** Eviction policies Redis 7 accepts for `maxmemory-policy`. */
export const EVICTION_POLICIES = [
    "noeviction",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
] as const;

export const FSYNC_MODES = ["always", "everysec", "no"] as const;

/** `<number>[unit]` as redis.conf reads it; the units Redis documents, any case. */
export const MEMORY_SIZE_PATTERN = /^([1-9][0-9]*)(b|k|kb|m|mb|g|gb)?$/i;

/**
 * Characters allowed in anything that lands in a generated config line. Redis splits config
 * lines on spaces and honours quotes and backslashes, so a value holding one of them (or a
 * newline) could add a directive of its own.
 */
const CONFIG_SAFE_PATTERN = /^[A-Za-z0-9_.:@%+=,~^!#&*()[\]{}<>?/|-]+$/;

const int = (min: number, max: number, fix: string) =>
    z
        .int({ error: `must be a whole number` })
        .min(min, { error: `must be at least ${min}; ${fix}` })
        .max(max, { error: `must be at most ${max}; ${fix}` });

const bool = () => z.boolean({ error: `must be true or false (YAML boolean, not a string)` });

const saveRule = z
    .string({ error: 'each save rule must be a string "<seconds> <changes>", e.g. "300 100"' })
    .regex(/^[1-9][0-9]* [1-9][0-9]*$/, {
        error: 'each save rule must be "<seconds> <changes>" with two positive whole numbers, e.g. "300 100"',
    });

const port = () => int(1024, 65535, "pick an unprivileged port (1024-65535) that is free on the host");

export const imageSchema = z.strictObject({
    name: z
        .string({ error: "must be an image reference such as redis:7.0.15-bookworm" })
        .regex(/^[a-z0-9][a-z0-9._/:@-]*$/, {
            error: "must be an image reference such as redis:7.0.15-bookworm (lowercase, no spaces)",
        })
        .default("redis:7.0.15-bookworm"),
    pull: bool().default(true),
});

export const networkSchema = z.strictObject({
    subnet: z.string({ error: "must be an IPv4 CIDR string such as 172.28.0.0/24" }).default("172.28.0.0/24"),
});

export const publishSchema = z.strictObject({
    host: z.ipv4({ error: "must be an IPv4 address of a host interface, e.g. 127.0.0.1" }).default("127.0.0.1"),
    allowAllInterfaces: bool().default(false),
    redisBasePort: port().default(6379),
    sentinelBasePort: port().default(26379),
});

/** The most clients validation allows; the containers' open-file limit is fixed from it. */
export const MAX_CLIENTS = 100_000;

export const redisSchema = z.strictObject({
    save: z
        .array(saveRule, { error: 'must be a list of "<seconds> <changes>" rules (an empty list turns RDB snapshots off)' })
        .max(10, { error: "redis.save takes at most 10 rules" })
        .default(["3600 1", "300 100", "60 10000"]),
    appendonly: bool().default(true),
    appendfsync: z
        .enum(FSYNC_MODES, { error: `must be one of ${FSYNC_MODES.join(", ")} (everysec loses at most about 1 s of writes)` })
        .default("everysec"),
    aofUseRdbPreamble: bool().default(true),
    maxmemory: z
        .string({ error: 'must be a string size such as "256mb"' })
        .regex(MEMORY_SIZE_PATTERN, {
            error: 'must be a size such as "256mb", "1gb" or "524288000" (units b, k, kb, m, mb, g, gb)',
        })
        .default("256mb"),
    maxmemoryPolicy: z.enum(EVICTION_POLICIES, { error: `must be one of ${EVICTION_POLICIES.join(", ")}` }).default("allkeys-lru"),
    maxclients: int(1, MAX_CLIENTS, "the seed value is 10000").default(10000),
    tcpKeepalive: int(0, 7200, "use seconds, the seed value is 300 (0 turns it off)").default(300),
    minReplicasToWrite: int(0, 16, "it must not exceed the replica count").default(1),
    minReplicasMaxLag: int(1, 3600, "use seconds, e.g. 10").default(10),
});

export const sentinelSchema = z.strictObject({
    masterName: z
        .string({ error: "must be a string such as mymaster" })
        .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, {
            error: "sentinel.masterName may hold only letters, digits, '.', '_' and '-' (at most 64), e.g. mymaster",
        })
        .default("mymaster"),
    quorum: int(1, 15, "use a majority of the Sentinels, e.g. 2 of 3").default(2),
    downAfterMilliseconds: int(100, 600_000, "the seed value is 5000").default(5000),
    parallelSyncs: int(1, 16, "the seed value is 1").default(1),
    failoverTimeout: int(1000, 3_600_000, "the seed value is 10000").default(10000),
});

export const cacheSchema = z.strictObject({
    screenshotsTtlSeconds: int(60, 30 * 86400, "use seconds between a minute and 30 days").default(86400),
    metadataTtlSeconds: int(60, 30 * 86400, "use seconds between a minute and 30 days").default(21600),
    ttlJitterPercent: int(0, 50, "use a percentage such as 10").default(10),
});

const httpUrl = () =>
    z.url({ protocol: /^https?$/, error: "must be an http(s) URL such as https://itunes.apple.com" }).regex(/^[^\s"'\\]+$/, {
        error: "must be a URL without spaces or quotes",
    });

const httpSchema = z.strictObject({
    timeoutMs: int(100, 120_000, "use milliseconds, e.g. 5000").default(5000),
    retries: int(0, 10, "3 retries with backoff ride out short outages and throttling").default(3),
    /** First wait after a throttled answer without Retry-After; doubled on each retry. */
    throttleBackoffMs: int(100, 600_000, "use milliseconds; Apple and Google throttle for minutes, 10000 is polite").default(10_000),
});

/**
 * Request limits of one store, kept separately: Apple's and Google's tolerances differ by an
 * order of magnitude (README "Warmer limits" gives the source of each default).
 */
const storeLimitsSchema = (defaults: { requestsPerMinute: number; concurrency: number }, fix: string) =>
    z
        .strictObject({
            requestsPerMinute: int(1, 6000, fix).default(defaults.requestsPerMinute),
            concurrency: int(1, 32, "stores ban clients that open many connections; 1-4 is safe").default(defaults.concurrency),
        })
        .prefault({});

/** Apple documents about 20 calls per minute for its Search/Lookup API. */
export const APPSTORE_DEFAULT_LIMITS = { requestsPerMinute: 20, concurrency: 1 } as const;
/** Google publishes no limit; google-play-scraper's README suggests throttling, its example is 10 requests/s. */
export const PLAYSTORE_DEFAULT_LIMITS = { requestsPerMinute: 300, concurrency: 4 } as const;

const limitsSchema = z.strictObject({
    appstore: storeLimitsSchema(APPSTORE_DEFAULT_LIMITS, "Apple documents about 20 lookup calls per minute; stay at or below it"),
    playstore: storeLimitsSchema(
        PLAYSTORE_DEFAULT_LIMITS,
        "Google throttles (HTTP 503 with a captcha) above an unpublished rate; 300 per minute is polite",
    ),
});

const appStoreId = z.string({ error: 'App Store ids are strings of digits, e.g. "310633997"' }).regex(/^[0-9]{1,20}$/, {
    error: 'App Store ids are the numeric trackId as a string, e.g. "310633997"',
});
const playStoreId = z
    .string({ error: 'Play Store ids are package names, e.g. "com.whatsapp"' })
    .regex(/^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+$/, {
        error: 'Play Store ids are package names such as "com.whatsapp"',
    });

/** Where the shipped snapshot lives, relative to the project directory. */
export const DEFAULT_SNAPSHOT = "ops/warm/fixtures/app-snapshot.json";

const fileSource = z.strictObject({
    kind: z.literal("file"),
    path: z
        .string({ error: "must be a path to a snapshot (.json, or .jsonl to stream a large one), relative to the project" })
        .regex(/\.jsonl?$/, { error: "must name a .json snapshot or a .jsonl one (one app per line, streamed)" })
        .default(DEFAULT_SNAPSHOT),
});
const noSource = z.strictObject({ kind: z.literal("none") });
/** Apple's marketing RSS chart serves at most 100 entries and answers HTTP 500 above that. */
export const APPSTORE_CHART_MAX = 100;
/** google-play-scraper lists at most 500 apps of a collection (its `num` default and google-play-api's paging bound). */
export const PLAYSTORE_LIST_MAX = 500;
/** The collections google-play-scraper maps to a Play Store cluster; any other is an error (HTTP 400). */
export const PLAYSTORE_COLLECTIONS = ["TOP_FREE", "TOP_PAID", "GROSSING"] as const;
/** iTunes Lookup takes many ids per request; 200 is what app-store-scraper sends in one lookup. */
export const APPSTORE_LOOKUP_MAX_IDS = 200;
const topN = (max: number, what: string) => int(0, max, `${what} serves at most ${max} apps`).default(25);
const country = () =>
    z
        .string()
        .regex(/^[a-z]{2}$/, { error: "must be a two-letter lowercase country code such as us" })
        .default("us");

const appStoreSourceSchema = z.discriminatedUnion(
    "kind",
    [
        z.strictObject({
            kind: z.literal("itunes"),
            lookupBaseUrl: httpUrl().default("https://itunes.apple.com"),
            chartsBaseUrl: httpUrl().default("https://rss.marketingtools.apple.com"),
            country: country(),
            topN: topN(APPSTORE_CHART_MAX, "Apple's top-free chart"),
            lookupBatchSize: int(1, APPSTORE_LOOKUP_MAX_IDS, "ids per iTunes Lookup request; 100 keeps URLs short").default(100),
        }),
        fileSource,
        noSource,
    ],
    { error: 'must have kind "itunes", "file" or "none"' },
);

const playStoreSourceSchema = z.discriminatedUnion(
    "kind",
    [
        z.strictObject({
            kind: z.literal("google-play-api"),
            baseUrl: httpUrl(),
            collection: z
                .enum(PLAYSTORE_COLLECTIONS, {
                    error: `must be one of ${PLAYSTORE_COLLECTIONS.join(", ")} (google-play-api answers HTTP 400 to any other collection)`,
                })
                .default("TOP_FREE"),
            country: country(),
            topN: topN(PLAYSTORE_LIST_MAX, "google-play-api's collection list"),
        }),
        fileSource,
        noSource,
    ],
    { error: 'must have kind "google-play-api", "file" or "none"' },
);

export const warmerSchema = z.strictObject({
    enabled: bool().default(true),
    appstore: appStoreSourceSchema.prefault({ kind: "file" }),
    playstore: playStoreSourceSchema.prefault({ kind: "file" }),
    apps: z
        .strictObject({
            appstore: z.array(appStoreId).max(1000).default([]),
            playstore: z.array(playStoreId).max(1000).default([]),
        })
        .prefault({}),
    http: httpSchema.prefault({}),
    limits: limitsSchema.prefault({}),
    refreshBelowTtlFraction: z
        .number({ error: "must be a number between 0 and 1" })
        .min(0, { error: "must be between 0 and 1; 0.5 rewrites keys that have lost half their TTL" })
        .max(1, { error: "must be between 0 and 1; 0.5 rewrites keys that have lost half their TTL" })
        .default(0.5),
    batchSize: int(1, 5000, "250 apps (500 keys) per pipelined batch is a good size").default(250),
    batchesInFlight: int(1, 64, "4 batches in flight keep the connection busy").default(4),
    confirmEveryBatches: int(1, 1000, "one WAIT per 8 batches confirms without a round trip per batch").default(8),
    waitTimeoutMs: int(10, 60_000, "use milliseconds, e.g. 1000").default(1000),
    descriptionMaxChars: int(0, 10_000, "the app shows a short description; 500 characters is plenty").default(500),
});

export const verifierSchema = z.strictObject({
    enabled: bool().default(true),
    lastSaveMaxAgeSeconds: int(60, 30 * 86400, "use seconds; the slowest save rule is 3600").default(7200),
    maxReplicaLagBytes: int(0, 1024 ** 3, "use bytes of replication offset, e.g. 1048576").default(1024 * 1024),
    sampleSize: int(1, 10_000, "50 keys per node is enough to catch a gap").default(50),
    /** After a deploy, replicas resync and Sentinels re-agree: checks are retried this long. */
    settleSeconds: int(0, 600, "replicas resync within seconds; 60 is generous").default(60),
});

/** Every wait of a deploy has a deadline: past it the step fails naming what did not finish. */
export const deadlinesSchema = z.strictObject({
    applySettingsSeconds: int(10, 3600, "applying settings to one server takes seconds; 120 is generous").default(120),
    postDeploySeconds: int(30, 4 * 3600, "it must cover the warm run and verifier.settleSeconds; 900 is generous").default(900),
});

/** The failover drill (`npm run drill`); off after deploys unless asked for, since it moves the master. */
export const drillSchema = z.strictObject({
    afterDeploy: bool().default(false),
});

export type WarmerConfig = z.infer<typeof warmerSchema>;
export type DrillConfig = z.infer<typeof drillSchema>;
export type VerifierConfig = z.infer<typeof verifierSchema>;

export const clusterSchema = z.strictObject({
    replicas: int(1, 16, "a cluster that survives a failover needs at least 1 replica").default(2),
    sentinels: int(3, 15, "run at least 3 Sentinels so that a majority survives the loss of one").default(3),
    image: imageSchema.prefault({}),
    network: networkSchema.prefault({}),
    publish: publishSchema.prefault({}),
    redis: redisSchema.prefault({}),
    sentinel: sentinelSchema.prefault({}),
    cache: cacheSchema.prefault({}),
    warmer: warmerSchema.prefault({}),
    verifier: verifierSchema.prefault({}),
    deadlines: deadlinesSchema.prefault({}),
    drill: drillSchema.prefault({}),
});

export type ClusterConfig = z.infer<typeof clusterSchema>;

/** Passwords: the Redis one (requirepass/masterauth) and the Sentinels' own. */
export const passwordSchema = (key: string) =>
    z
        .string()
        .min(16, {
            error: `${key}: must be at least 16 characters; set a longer one with \`pulumi config set --secret ${key} ...\` or remove it to have one generated`,
        })
        .max(512, { error: `${key}: must be at most 512 characters` })
        .regex(CONFIG_SAFE_PATTERN, {
            error: `${key}: must not contain spaces, quotes, backslashes, '$', '\`' or line breaks (they would break out of the generated config line); set another with \`pulumi config set --secret ${key} ...\` or remove it to have one generated`,
        });

export { CONFIG_SAFE_PATTERN };
