import { z } from "zod";

/** The Pulumi project: every config key is `appscreens-redis:<key>`, every Docker name starts with it. */
export const PROJECT = "appscreens-redis";
/** The secret that holds the TLS PEMs of the tcp:// hosts (an object by host name, stored with --secret). */
export const TLS_SECRET_KEY = "hostTls";

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
        .default("redis:7.0.15-bookworm")
        .describe("Image of every node and Sentinel (the official image, pinned). A change replaces every container, one at a time."),
    pull: bool()
        .default(true)
        .describe(
            "Pull the image (`RemoteImage`); `false` uses an image already on the Docker Engine, by name (the `test` stack's locally built one).",
        ),
});

export const networkSchema = z.strictObject({
    subnet: z
        .string({ error: "must be an IPv4 CIDR string such as 172.28.0.0/24" })
        .default("172.28.0.0/24")
        .describe(
            "IPv4 CIDR of the stack's network (of each host's network, with `hosts`), /25 or larger. Nodes get static addresses from host .10, Sentinels from .40, in the lower half; the upper half is left to app containers. Changing it rebuilds the cluster.",
        ),
});

export const publishSchema = z.strictObject({
    host: z
        .ipv4({ error: "must be an IPv4 address of a host interface, e.g. 127.0.0.1" })
        .default("127.0.0.1")
        .describe(
            "Host interface the ports are published on. `0.0.0.0` only with `allowAllInterfaces`. Unused with `hosts`: each server publishes on its host's `address`.",
        ),
    allowAllInterfaces: bool()
        .default(false)
        .describe("Allow `host: 0.0.0.0`, which publishes Redis and Sentinel on every interface of the host."),
    redisBasePort: port().default(6379).describe("Host port of `redis-0`; node _i_ is on base + _i_."),
    sentinelBasePort: port()
        .default(26379)
        .describe("Host port of `sentinel-0`; Sentinel _i_ is on base + _i_. The range must not overlap the Redis ports."),
});

/** The most clients validation allows; the containers' open-file limit is fixed from it. */
export const MAX_CLIENTS = 100_000;

export const redisSchema = z.strictObject({
    save: z
        .array(saveRule, { error: 'must be a list of "<seconds> <changes>" rules (an empty list turns RDB snapshots off)' })
        .max(10, { error: "redis.save takes at most 10 rules" })
        .default(["3600 1", "300 100", "60 10000"])
        .describe('RDB `save` rules, `"<seconds> <changes>"`, at most one per interval; `[]` turns snapshots off.'),
    appendonly: bool().default(true).describe("AOF on."),
    appendfsync: z
        .enum(FSYNC_MODES, { error: `must be one of ${FSYNC_MODES.join(", ")} (everysec loses at most about 1 s of writes)` })
        .default("everysec")
        .describe("AOF fsync policy: `always`, `everysec` (a crash of the host loses at most about 1 s of writes) or `no`."),
    aofUseRdbPreamble: bool().default(true).describe("AOF base file in RDB format: restarts about as fast as RDB alone."),
    maxmemory: z
        .string({ error: 'must be a string size such as "256mb"' })
        .regex(MEMORY_SIZE_PATTERN, {
            error: 'must be a size such as "256mb", "1gb" or "524288000" (units b, k, kb, m, mb, g, gb)',
        })
        .default("256mb")
        .describe(
            "Memory limit, `<number>[unit]` with the units `b`, `k`, `kb`, `m`, `mb`, `g`, `gb` (Redis's rules: `k` is 1000, `kb` 1024); between 1mb and 1tb.",
        ),
    maxmemoryPolicy: z
        .enum(EVICTION_POLICIES, { error: `must be one of ${EVICTION_POLICIES.join(", ")}` })
        .default("allkeys-lru")
        .describe("Eviction policy once `maxmemory` is reached: any Redis 7 policy."),
    maxclients: int(1, MAX_CLIENTS, "the seed value is 10000")
        .default(10000)
        .describe(
            "Client limit. It cannot exceed what the container's open-file limit (the Docker Engine's, 1048576 with Docker's systemd unit) allows; the settings step fails naming it if it does.",
        ),
    tcpKeepalive: int(0, 7200, "use seconds, the seed value is 300 (0 turns it off)")
        .default(300)
        .describe("Seconds between TCP keepalives to idle clients; 0 turns them off."),
    minReplicasToWrite: int(0, 16, "it must not exceed the replica count")
        .default(1)
        .describe(
            "A master with fewer replicas acknowledging refuses writes (`NOREPLICAS`): this bounds what a cut-off master accepts. At most `replicas`.",
        ),
    minReplicasMaxLag: int(1, 3600, "use seconds, e.g. 10")
        .default(10)
        .describe("Seconds without an acknowledgement after which a replica no longer counts for `minReplicasToWrite`."),
});

export const sentinelSchema = z.strictObject({
    masterName: z
        .string({ error: "must be a string such as mymaster" })
        .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, {
            error: "sentinel.masterName may hold only letters, digits, '.', '_' and '-' (at most 64), e.g. mymaster",
        })
        .default("mymaster")
        .describe(
            "Name clients ask the Sentinels for. A bootstrap setting, unlike the others here: a change replaces every container, one at a time.",
        ),
    quorum: int(1, 15, "use a majority of the Sentinels, e.g. 2 of 3")
        .default(2)
        .describe("Sentinels that must agree the master is down: a majority of `sentinels`, and at most `sentinels`."),
    downAfterMilliseconds: int(100, 600_000, "the seed value is 5000")
        .default(5000)
        .describe("Silence before a Sentinel calls the master down: the bulk of an unplanned failover's write outage."),
    parallelSyncs: int(1, 16, "the seed value is 1")
        .default(1)
        .describe("Replicas resyncing at once after a failover; at most `replicas` (1 keeps the others serving reads)."),
    failoverTimeout: int(1000, 3_600_000, "the seed value is 10000")
        .default(10000)
        .describe("Milliseconds one failover attempt may take before another Sentinel may retry; at least `downAfterMilliseconds`."),
});

export const cacheSchema = z.strictObject({
    screenshotsTtlSeconds: int(60, 30 * 86400, "use seconds between a minute and 30 days")
        .default(86400)
        .describe("TTL of the `screenshots:*` keys, in seconds."),
    metadataTtlSeconds: int(60, 30 * 86400, "use seconds between a minute and 30 days")
        .default(21600)
        .describe("TTL of the `metadata:*` keys, in seconds."),
    ttlJitterPercent: int(0, 50, "use a percentage such as 10")
        .default(10)
        .describe("Each TTL is moved by up to ± this percent, so warmed keys do not expire together."),
});

const httpUrl = () =>
    z.url({ protocol: /^https?$/, error: "must be an http(s) URL such as https://itunes.apple.com" }).regex(/^[^\s"'\\]+$/, {
        error: "must be a URL without spaces or quotes",
    });

const httpSchema = z.strictObject({
    timeoutMs: int(100, 120_000, "use milliseconds, e.g. 5000").default(5000).describe("Timeout of each request, in milliseconds."),
    retries: int(0, 10, "3 retries with backoff ride out short outages and throttling")
        .default(3)
        .describe(
            "Retries of throttling (429, Apple's 403, google-play-api's throttled 400), 5xx answers, timeouts and refused connections. Not found and other refusals are not retried.",
        ),
    /** First wait after a throttled answer without Retry-After; doubled on each retry. */
    throttleBackoffMs: int(100, 600_000, "use milliseconds; Apple and Google throttle for minutes, 10000 is polite")
        .default(10_000)
        .describe(
            "Pause of the whole store after a throttled answer without `Retry-After`, in milliseconds, doubled per retry (`Retry-After` wins when given).",
        ),
});

/**
 * Request limits of one store, kept separately: Apple's and Google's tolerances differ by an
 * order of magnitude (docs/warmer.md, "Limits", gives the source of each default).
 */
const storeLimitsSchema = (defaults: { requestsPerMinute: number; concurrency: number }, fix: string) =>
    z
        .strictObject({
            requestsPerMinute: int(1, 6000, fix)
                .default(defaults.requestsPerMinute)
                .describe("Requests started per minute, evenly spaced."),
            concurrency: int(1, 32, "stores ban clients that open many connections; 1-4 is safe")
                .default(defaults.concurrency)
                .describe("Requests in flight at once."),
        })
        .prefault({});

/** Apple documents about 20 calls per minute for its Search/Lookup API. */
export const APPSTORE_DEFAULT_LIMITS = { requestsPerMinute: 20, concurrency: 1 } as const;
/** Google publishes no limit; google-play-scraper's README suggests throttling, its example is 10 requests/s. */
export const PLAYSTORE_DEFAULT_LIMITS = { requestsPerMinute: 300, concurrency: 4 } as const;

const limitsSchema = z.strictObject({
    appstore: storeLimitsSchema(APPSTORE_DEFAULT_LIMITS, "Apple documents about 20 lookup calls per minute; stay at or below it").describe(
        "App Store requests (charts and iTunes Lookup). Apple documents about 20 calls per minute.",
    ),
    playstore: storeLimitsSchema(
        PLAYSTORE_DEFAULT_LIMITS,
        "Google throttles (HTTP 503 with a captcha) above an unpublished rate; 300 per minute is polite",
    ).describe("Play Store (google-play-api) requests. Google publishes no limit; the default is half google-play-scraper's example rate."),
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

const fileSource = z
    .strictObject({
        kind: z.literal("file").describe("A snapshot file."),
        path: z
            .string({ error: "must be a path to a snapshot (.json, or .jsonl to stream a large one), relative to the project" })
            .regex(/\.jsonl?$/, { error: "must name a .json snapshot or a .jsonl one (one app per line, streamed)" })
            .default(DEFAULT_SNAPSHOT)
            .describe(
                "Snapshot, relative to the project: `.json`, read whole, or `.jsonl`, one app per line, streamed. A snapshot's own top list is taken whole.",
            ),
    })
    .describe("Apps from a snapshot file ([formats](warmer.md#source-formats)); no request leaves the host.");
const noSource = z.strictObject({ kind: z.literal("none").describe("No source.") }).describe("Nothing is warmed for this store.");
/** Apple's marketing RSS chart serves at most 100 entries and answers HTTP 500 above that. */
export const APPSTORE_CHART_MAX = 100;
/** google-play-scraper lists at most 500 apps of a collection (its `num` default and google-play-api's paging bound). */
export const PLAYSTORE_LIST_MAX = 500;
/** The collections google-play-scraper maps to a Play Store cluster; any other is an error (HTTP 400). */
export const PLAYSTORE_COLLECTIONS = ["TOP_FREE", "TOP_PAID", "GROSSING"] as const;
/** iTunes Lookup takes many ids per request; 200 is what app-store-scraper sends in one lookup. */
export const APPSTORE_LOOKUP_MAX_IDS = 200;
const topN = (max: number, what: string) =>
    int(0, max, `${what} serves at most ${max} apps`)
        .default(25)
        .describe(`Apps taken from the top of ${what}, which serves at most ${max}.`);
const country = () =>
    z
        .string()
        .regex(/^[a-z]{2}$/, { error: "must be a two-letter lowercase country code such as us" })
        .default("us")
        .describe("Store country, two lowercase letters.");

const appStoreSourceSchema = z.discriminatedUnion(
    "kind",
    [
        z
            .strictObject({
                kind: z.literal("itunes").describe("Apple's chart and iTunes Lookup."),
                lookupBaseUrl: httpUrl().default("https://itunes.apple.com").describe("Base http(s) URL of iTunes Lookup."),
                chartsBaseUrl: httpUrl()
                    .default("https://rss.marketingtools.apple.com")
                    .describe("Base http(s) URL of Apple's marketing RSS charts."),
                country: country(),
                topN: topN(APPSTORE_CHART_MAX, "Apple's top-free chart"),
                lookupBatchSize: int(1, APPSTORE_LOOKUP_MAX_IDS, "ids per iTunes Lookup request; 100 keeps URLs short")
                    .default(100)
                    .describe(`App ids per iTunes Lookup request (app-store-scraper sends up to ${APPSTORE_LOOKUP_MAX_IDS}).`),
            })
            .describe("The top-free chart from Apple's marketing RSS feed, then the apps from iTunes Lookup, many ids per request."),
        fileSource,
        noSource,
    ],
    { error: 'must have kind "itunes", "file" or "none"' },
);

const playStoreSourceSchema = z.discriminatedUnion(
    "kind",
    [
        z
            .strictObject({
                kind: z.literal("google-play-api").describe("A google-play-api service."),
                baseUrl: httpUrl().describe("Base http(s) URL of the google-play-api service the operators run."),
                collection: z
                    .enum(PLAYSTORE_COLLECTIONS, {
                        error: `must be one of ${PLAYSTORE_COLLECTIONS.join(", ")} (google-play-api answers HTTP 400 to any other collection)`,
                    })
                    .default("TOP_FREE")
                    .describe("Collection the top apps come from; google-play-api answers HTTP 400 to any other."),
                country: country(),
                topN: topN(PLAYSTORE_LIST_MAX, "google-play-api's collection list"),
            })
            .describe("A collection's top apps, then each app, from a google-play-api REST service."),
        fileSource,
        noSource,
    ],
    { error: 'must have kind "google-play-api", "file" or "none"' },
);

export const warmerSchema = z.strictObject({
    enabled: bool().default(true).describe("Warm after every deploy."),
    appstore: appStoreSourceSchema
        .prefault({ kind: "file" })
        .describe("App Store source, by `kind`: `itunes` (Apple's chart and iTunes Lookup), `file` (a snapshot) or `none`."),
    playstore: playStoreSourceSchema
        .prefault({ kind: "file" })
        .describe("Play Store source, by `kind`: `google-play-api` (a google-play-api service), `file` (a snapshot) or `none`."),
    apps: z
        .strictObject({
            appstore: z
                .array(appStoreId)
                .max(1000)
                .default([])
                .describe('App Store track ids, as strings of digits such as `"310633997"`.'),
            playstore: z.array(playStoreId).max(1000).default([]).describe("Play Store package names such as `com.whatsapp`."),
        })
        .prefault({})
        .describe("Apps warmed besides the top charts."),
    http: httpSchema.prefault({}).describe("The HTTP client of the store sources (each store has its own)."),
    limits: limitsSchema
        .prefault({})
        .describe(
            "Request limits of each store, kept apart: Apple's and Google's tolerances differ by an order of magnitude. [The warmer's limits](warmer.md#limits) give the source of each default.",
        ),
    refreshBelowTtlFraction: z
        .number({ error: "must be a number between 0 and 1" })
        .min(0, { error: "must be between 0 and 1; 0.5 rewrites keys that have lost half their TTL" })
        .max(1, { error: "must be between 0 and 1; 0.5 rewrites keys that have lost half their TTL" })
        .default(0.5)
        .describe("Keys with more than this fraction of their TTL left are skipped (`npm run warm -- --force` rewrites all)."),
    batchSize: int(1, 5000, "250 apps (500 keys) per pipelined batch is a good size")
        .default(250)
        .describe("Apps per write batch (one script call doing `SET ... EX` per key)."),
    batchesInFlight: int(1, 64, "4 batches in flight keep the connection busy").default(4).describe("Batches sent and not yet answered."),
    confirmEveryBatches: int(1, 1000, "one WAIT per 8 batches confirms without a round trip per batch")
        .default(8)
        .describe("Batches covered by one `WAIT <replicas> <waitTimeoutMs>`, sent down the same connection."),
    waitTimeoutMs: int(10, 60_000, "use milliseconds, e.g. 1000").default(1000).describe("`WAIT` timeout, in milliseconds."),
    descriptionMaxChars: int(0, 10_000, "the app shows a short description; 500 characters is plenty")
        .default(500)
        .describe("Cap of the cached description (plain text, cut at a word)."),
});

export const verifierSchema = z.strictObject({
    enabled: bool().default(true).describe("Verify after every deploy; a cluster that fails verification fails `pulumi up`."),
    lastSaveMaxAgeSeconds: int(60, 30 * 86400, "use seconds; the slowest save rule is 3600")
        .default(7200)
        .describe("Oldest acceptable `LASTSAVE`, in seconds."),
    maxReplicaLagBytes: int(0, 1024 ** 3, "use bytes of replication offset, e.g. 1048576")
        .default(1024 * 1024)
        .describe("Largest acceptable replication offset lag, in bytes."),
    sampleSize: int(1, 10_000, "50 keys per node is enough to catch a gap")
        .default(50)
        .describe("Warmed keys checked per node (and by `npm run drill` on the new master)."),
    /** After a deploy, replicas resync and Sentinels re-agree: checks are retried this long. */
    settleSeconds: int(0, 600, "replicas resync within seconds; 60 is generous")
        .default(60)
        .describe("After a deploy, failing checks are retried this long, in seconds (replicas resync, Sentinels re-agree)."),
});

/** Every wait of a deploy has a deadline: past it the step fails naming what did not finish. */
export const deadlinesSchema = z.strictObject({
    applySettingsSeconds: int(10, 3600, "applying settings to one server takes seconds; 120 is generous")
        .default(120)
        .describe("Deadline of each server's settings step, in seconds; past it the step (and `up`) fails naming the server."),
    postDeploySeconds: int(30, 4 * 3600, "it must cover the warm run and verifier.settleSeconds; 900 is generous")
        .default(900)
        .describe(
            "Deadline of the whole post-deploy step (retire, warm, verify, drill), in seconds; past it `up` fails naming the phase it was in. More than `verifier.settleSeconds` + 30.",
        ),
});

/** The failover drill (`npm run drill`); off after deploys unless asked for, since it moves the master. */
export const drillSchema = z.strictObject({
    afterDeploy: bool()
        .default(false)
        .describe("Run the failover drill after every deploy that verified (it moves the master; a failed drill fails the deploy)."),
});

/** The exporter release the rules are written and tested against (tests/fixtures/redis-exporter-metrics.txt). */
export const EXPORTER_VERSION = "1.45.0";

const ratio = (fix: string) =>
    z
        .number({ error: "must be a number between 0 and 1" })
        .min(0, { error: `must be between 0 and 1; ${fix}` })
        .max(1, { error: `must be between 0 and 1; ${fix}` });

/**
 * Thresholds of the alerting rules that have no setting of their own elsewhere. The others come
 * from the settings they watch: `redis.minReplicasToWrite`, `redis.minReplicasMaxLag`,
 * `sentinel.quorum`, `verifier.lastSaveMaxAgeSeconds`, `replicas`, `sentinels`.
 */
export const alertsSchema = z.strictObject({
    memoryUsedRatio: ratio("0.9 warns when a node uses 90 % of its maxmemory")
        .default(0.9)
        .describe("`RedisMemoryNearMax` fires when a node's used memory passes this fraction of its `maxmemory`."),
    hitRatioFloor: ratio("0.5 warns when fewer than half the lookups hit")
        .default(0.5)
        .describe("`RedisHitRatioLow` fires when the stack's keyspace hit ratio (over 10 minutes) stays below this."),
    hitRatioMinLookupsPerSecond: z
        .number({ error: "must be a number of lookups per second, e.g. 1" })
        .min(0, { error: "must be at least 0; 1 lookup per second keeps a quiet cache from alerting" })
        .max(1_000_000, { error: "must be at most 1000000" })
        .default(1)
        .describe("Below this many lookups per second the hit ratio is not judged: a quiet cache's ratio means nothing."),
    authFailuresPerMinute: z
        .number({ error: "must be a number of denials per minute, e.g. 1" })
        .min(0, { error: "must be at least 0 (0 alerts on any denial)" })
        .max(100_000, { error: "must be at most 100000" })
        .default(1)
        .describe(
            "`RedisAuthFailures` fires when a node refuses more authentications (`WRONGPASS`, `NOAUTH`) per minute than this, over 5 minutes.",
        ),
});

export const metricsSchema = z.strictObject({
    enabled: bool()
        .default(true)
        .describe(
            "Run a `redis_exporter` per node and Sentinel, published on the host, and give the Prometheus scrape config and rules as stack outputs.",
        ),
    image: z
        .strictObject({
            name: z
                .string({ error: "must be an image reference such as oliver006/redis_exporter:v1.45.0" })
                .regex(/^[a-z0-9][a-z0-9._/:@-]*$/, {
                    error: "must be an image reference such as oliver006/redis_exporter:v1.45.0 (lowercase, no spaces)",
                })
                .default(`oliver006/redis_exporter:v${EXPORTER_VERSION}`)
                .describe(
                    `Image of the exporters: one with \`/redis_exporter\` (the official one, pinned to the release the rules are tested against, ${EXPORTER_VERSION}). A change replaces every exporter, not a server.`,
                ),
            pull: bool()
                .default(true)
                .describe("Pull the image; `false` uses one already on the Docker Engine (the `test` stack's locally built one)."),
        })
        .prefault({})
        .describe("The exporters' image."),
    exporterBasePort: port()
        .default(9121)
        .describe(
            "Host port of `redis-0`'s exporter; node _i_'s is base + _i_, Sentinel _i_'s base + 20 + _i_, so scaling never moves one. Must not overlap the Redis and Sentinel ports.",
        ),
    alerts: alertsSchema
        .prefault({})
        .describe("Thresholds of the rules that have no setting of their own ([metrics](metrics.md#alerts) lists every rule)."),
});

export type MetricsConfig = z.infer<typeof metricsSchema>;

/** `tls-auth-clients` values the stack offers (Redis also takes `no`, which would drop client certificates altogether). */
export const TLS_AUTH_CLIENTS = ["yes", "optional"] as const;
const HOURS_PER_DAY = 24;

export const tlsSchema = z.strictObject({
    enabled: bool()
        .default(false)
        .describe(
            "Serve TLS only: a CA (ECDSA P-256) and a certificate per node and Sentinel, which listen TLS-only on their ports (`port 0`, `tls-port`) with `tls-replication yes`; the container scripts and the exporters speak TLS too. A creation-time choice for the whole cluster ([TLS](tls.md)).",
        ),
    authClients: z
        .enum(TLS_AUTH_CLIENTS, { error: `must be one of ${TLS_AUTH_CLIENTS.join(", ")}` })
        .default("yes")
        .describe(
            "`tls-auth-clients`: `yes` requires a client certificate from every client (the app, the warmer, the exporters and the stack's tools each get one), `optional` accepts clients without one.",
        ),
    validityHours: int(HOURS_PER_DAY, 5 * 365 * HOURS_PER_DAY, "the servers' and clients' certificates; 8760 is a year")
        .default(365 * HOURS_PER_DAY)
        .describe("Lifetime of each server and client certificate, in hours."),
    renewalWindowHours: int(1, 365 * HOURS_PER_DAY, "720 renews a certificate in its last 30 days")
        .default(30 * HOURS_PER_DAY)
        .describe(
            "A certificate this close to its end is renewed by the next deploy (the provider's `early_renewal_hours`). Less than half of `validityHours`.",
        ),
    caValidityHours: int(HOURS_PER_DAY, 20 * 365 * HOURS_PER_DAY, "the CA must outlive the certificates it signs; 87600 is ten years")
        .default(10 * 365 * HOURS_PER_DAY)
        .describe(
            "Lifetime of the stack's CA certificate, in hours; at least `validityHours` + `renewalWindowHours`. A CA keeps the lifetime it was made with: a change applies to the next CA a [rotation](tls.md#rotating-the-ca) makes.",
        ),
    caGeneration: int(0, 1000, "0 is the CA the stack was created with; a rotation raises it by one")
        .default(0)
        .describe(
            "The CA that signs the servers' and clients' certificates, by generation: each generation is a key and certificate of its own (generation 0 keeps the names `tls-ca-key`, `tls-ca`). Changed only by a [CA rotation](tls.md#rotating-the-ca)'s switch.",
        ),
    caNextGeneration: int(1, 1000, "one more than caGeneration")
        .optional()
        .meta({ whenUnset: "no CA rotation in its first phase" })
        .describe(
            "CA rotation, deploy 1 of 3: make this generation's CA and trust it beside `caGeneration`'s on every server and client, certificates still signed by `caGeneration` ([rotating the CA](tls.md#rotating-the-ca)). Above `caGeneration`; not with `caPreviousGeneration`.",
        ),
    caPreviousGeneration: int(0, 999, "the generation that signed before the switch")
        .optional()
        .meta({ whenUnset: "no CA rotation in its second phase" })
        .describe(
            "CA rotation, deploy 2 of 3: the generation that signed before `caGeneration` was raised to the new one; still trusted beside it while every certificate is re-issued by the new CA. Removing it is deploy 3, which drops the old CA ([rotating the CA](tls.md#rotating-the-ca)). Below `caGeneration`; not with `caNextGeneration`.",
        ),
});

export type TlsConfig = z.infer<typeof tlsSchema>;

export const usersSchema = z.strictObject({
    enabled: bool()
        .default(false)
        .describe(
            "Run every client on a [least-privilege ACL user](security.md) of its own (`default` off, one generated password per user; outputs `appUser`, `appPassword`, `discoveryUser`, `discoveryPassword`). A creation-time choice: turning it on or off for a deployed stack is refused before any container changes ([security](security.md#a-creation-time-choice)).",
        ),
    appWrites: bool()
        .default(false)
        .describe(
            "With `enabled`: the `app` user may also write the cache keys (`+@write`, `+@transaction`); by default it only reads them. Applied when the stack is created, like `enabled`.",
        ),
    // Both optional without a default: a stack that sets neither parses (and so declares) exactly as before they existed.
    migration: z
        .enum(["prepare"], { error: 'must be "prepare" (or absent)' })
        .optional()
        .describe(
            "On a stack without users, before [moving it onto them](security.md#moving-an-existing-stack-onto-users): `prepare` declares the users' generated passwords and the secret output `migrationUserPasswords` (the `APPSCREENS_USER_PASSWORDS` JSON the migration steps read); nothing else changes.",
        ),
    migrated: bool()
        .optional()
        .describe(
            "With `enabled`: the stack was deployed without users and moved onto them by the [migration steps](security.md#moving-an-existing-stack-onto-users) (step 1b wrote the users scripts into the running containers), so the servers keep their containers and the users check is not declared.",
        ),
});

export type UsersConfig = z.infer<typeof usersSchema>;

/** Hosts a stack may spread over; beyond a handful, Kubernetes with an operator is the better home. */
export const MAX_HOSTS = 16;

/** A host's stable name: Pulumi resource names, placement pins and the `appscreens.host` label use it. */
export const HOST_NAME_PATTERN = /^[a-z][a-z0-9-]{0,30}$/;
const hostName = () =>
    z.string({ error: "must be a host name such as host-a" }).regex(HOST_NAME_PATTERN, {
        error: "must be a host name: a lowercase letter, then lowercase letters, digits and '-' (at most 31), e.g. host-a",
    });

/**
 * The three Docker endpoints the provider can use. tcp:// must name its port (2376 is Docker's
 * TLS port); the TLS material comes from the `hostTls` secret, never from the stack file.
 */
export const DOCKER_ENDPOINT_PATTERNS = {
    unix: /^unix:\/\/\/[A-Za-z0-9._/-]+$/,
    tcp: /^tcp:\/\/[A-Za-z0-9.-]+:[1-9][0-9]{0,4}$/,
    ssh: /^ssh:\/\/([A-Za-z0-9._-]+@)?[A-Za-z0-9.-]+(:[1-9][0-9]{0,4})?$/,
} as const;
export type DockerEndpointKind = keyof typeof DOCKER_ENDPOINT_PATTERNS;

/** Which kind of endpoint a validated `docker` value is. */
export const dockerEndpointKind = (endpoint: string): DockerEndpointKind | undefined =>
    (Object.keys(DOCKER_ENDPOINT_PATTERNS) as DockerEndpointKind[]).find((k) => DOCKER_ENDPOINT_PATTERNS[k].test(endpoint));

export const hostSchema = z
    .strictObject({
        name: hostName().describe(
            "Stable name of the host. Placement pins and resource names use it: renaming a host moves every server on it.",
        ),
        docker: z
            .string({
                error: "must be a Docker endpoint such as unix:///var/run/docker.sock, tcp://10.0.0.11:2376 or ssh://deploy@10.0.0.11",
            })
            .refine((v) => dockerEndpointKind(v) !== undefined, {
                error: "must be a Docker endpoint: unix:///<socket path>, tcp://<host>:<port> (TLS, port 2376 by convention) or ssh://[user@]<host>[:port]",
            })
            .describe(
                "Docker endpoint of this host's provider: `unix:///<socket>`, `tcp://<host>:<port>` (TLS only, its PEMs from the `hostTls` secret) or `ssh://[user@]<host>[:port]`.",
            ),
        sshOpts: z
            .array(z.string().regex(/^[^\s]+$/, { error: "each ssh option is one word without spaces, e.g. -i" }))
            .max(20)
            .optional()
            .meta({ whenUnset: "none" })
            .describe(
                "Extra `ssh` arguments for an `ssh://` endpoint, e.g. `[-i, /home/deploy/.ssh/id_ed25519]`. Only with `ssh://`. The tools' own SSH client takes only `-i <key>`, `-p <port>` and `-o UserKnownHostsFile=<file>` (the host keys it trusts; default `~/.ssh/known_hosts`, plus `/etc/ssh/ssh_known_hosts`) and refuses any other option.",
            ),
        address: z
            .ipv4({ error: "must be the host's private IPv4 address, e.g. 10.0.0.11" })
            .describe(
                "Private address of the host: its servers publish their ports on it and announce it (`replica-announce-ip`, `sentinel announce-ip`), so the deploy machine, the apps and the other hosts must reach it.",
            ),
    })
    .describe("One Docker host.");

export const SURVIVE_MODES = ["host", "none"] as const;

export const placementSchema = z.strictObject({
    strategy: z
        .enum(["round-robin"], { error: "must be round-robin" })
        .default("round-robin")
        .describe("How unpinned servers are spread: each to the host with the fewest servers of its kind so far, in `hosts` order."),
    pins: z
        .record(
            z.string().regex(/^(redis|sentinel)-[0-9]{1,2}$/, { error: "pins are keyed by server name, e.g. redis-0 or sentinel-2" }),
            hostName(),
        )
        .default({})
        .describe("Servers pinned to a host by name, e.g. `{redis-0: host-a}`; the others are placed by `strategy`."),
    survive: z
        .enum(SURVIVE_MODES, { error: "must be host or none" })
        .default("host")
        .describe(
            "`host`: the placement must survive the loss of any one host (checked before anything is created). `none`: the hosts are one failure domain; fewer than 3 hosts are then allowed.",
        ),
});

export type HostConfig = z.infer<typeof hostSchema>;
export type PlacementConfig = z.infer<typeof placementSchema>;

export type WarmerConfig = z.infer<typeof warmerSchema>;
export type DrillConfig = z.infer<typeof drillSchema>;
export type VerifierConfig = z.infer<typeof verifierSchema>;

export const clusterSchema = z
    .strictObject({
        replicas: int(1, 16, "a cluster that survives a failover needs at least 1 replica")
            .default(2)
            .describe("Replicas of the master. With 1, writes stop while it is down (`redis.minReplicasToWrite`)."),
        sentinels: int(3, 15, "run at least 3 Sentinels so that a majority survives the loss of one")
            .default(3)
            .describe("Sentinels; at least 3, so that a majority survives the loss of one."),
        image: imageSchema.prefault({}).describe("The image of every server."),
        network: networkSchema.prefault({}).describe("The stack's Docker network and its static addresses."),
        publish: publishSchema.prefault({}).describe("Where the servers' ports are published on the host."),
        redis: redisSchema
            .prefault({})
            .describe(
                "Redis settings. Every one is a runtime setting: a change is applied to the running nodes (`CONFIG SET` + `CONFIG REWRITE`) and replaces no container.",
            ),
        sentinel: sentinelSchema
            .prefault({})
            .describe("Sentinel settings. All but `masterName` are applied to the running Sentinels (`SENTINEL SET`)."),
        cache: cacheSchema.prefault({}).describe("TTLs of the warmed keys ([key layout](warmer.md#key-layout-and-ttl-policy))."),
        warmer: warmerSchema
            .prefault({})
            .describe("The [cache warmer](warmer.md): where the apps come from, request limits, the write path."),
        verifier: verifierSchema.prefault({}).describe("The [verifier](operations.md#verification-checks) run after every deploy."),
        deadlines: deadlinesSchema
            .prefault({})
            .describe("Every wait of a deploy has a deadline: past it the step fails naming what did not finish."),
        drill: drillSchema.prefault({}).describe("The [failover drill](operations.md#failover-drill) (`npm run drill`)."),
        metrics: metricsSchema
            .prefault({})
            .describe("[Metrics](metrics.md): an exporter per server, a Prometheus scrape config and alerting rules."),
        tls: tlsSchema
            .prefault({})
            .describe("[TLS](tls.md) on every server: its CA and a certificate per server and client. Chosen at creation."),
        users: usersSchema.prefault({}).describe("The [ACL users](security.md) the servers and every client run on. Chosen at creation."),
        hosts: z
            .array(hostSchema)
            .min(1, { error: "hosts needs at least one host; remove the key to run on one Docker Engine" })
            .max(MAX_HOSTS, { error: `at most ${MAX_HOSTS} hosts; beyond a handful, run Redis on Kubernetes with an operator` })
            .optional()
            .meta({ whenUnset: "one host: the Docker Engine the provider finds by default, as before hosts existed" })
            .describe(
                "The Docker hosts the servers are spread over, each with its own provider, network and image. Servers publish on and announce their host's `address`. Every tool reaches a server's container on its own host's engine. See [several hosts](operations.md#several-hosts) for what each host failure does.",
            ),
        placement: placementSchema.prefault({}).describe("Which server runs on which of `hosts` (unused without `hosts`)."),
    })
    .describe("The shape of the cluster: a master, `replicas` replicas and `sentinels` Sentinels.");

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

/** One PEM block of the `hostTls` secret; the value itself is never echoed. */
const pem = (what: string) =>
    z.string({ error: `the ${what} must be a PEM string` }).regex(/^\s*-----BEGIN [A-Z0-9 ]+-----[\s\S]+-----END [A-Z0-9 ]+-----\s*$/, {
        error: `the ${what} must be a PEM block (-----BEGIN ...----- ... -----END ...-----)`,
    });

/** The `hostTls` secret's shape: each tcp:// host's three PEMs, by host name (also what the tools are handed, contracts/docker-tls.ts). */
export const hostTlsSchema = z.record(
    hostName(),
    z.strictObject({ ca: pem("CA"), cert: pem("client certificate"), key: pem("client key") }),
);

/**
 * The stack's secrets, each its own key (`pulumi config set --secret appscreens-redis:<key> ...`).
 * validate.ts checks each with passwordSchema and the rotation rules; this object carries what the
 * reference (docs/configuration.md) says about them. `whenUnset` is what an unset key means.
 */
export const secretsSchema = z
    .strictObject({
        redisPassword: passwordSchema("redisPassword")
            .optional()
            .meta({ whenUnset: "generated (32 letters and digits, `@pulumi/random`)" })
            .describe(
                "`requirepass` and `masterauth` of every node, `auth-pass` of the Sentinels. At least 16 characters, no spaces, quotes, backslashes, `$` or backticks. Rejected if stored without `--secret`.",
            ),
        sentinelPassword: passwordSchema("sentinelPassword")
            .optional()
            .meta({ whenUnset: "generated" })
            .describe("The Sentinels' own `requirepass` (clients' `sentinelPassword`). Same rules as `redisPassword`."),
        redisPasswordPrevious: passwordSchema("redisPasswordPrevious")
            .optional()
            .describe(
                "Only while rotating `redisPassword` ([rotating passwords](operations.md#rotating-passwords)) or adopting the data volumes an earlier deploy left ([re-creating a stack on kept volumes](operations.md#re-creating-a-stack-on-kept-volumes)): the password being retired, still accepted alongside the new one, set or generated. Must differ from it.",
            ),
        sentinelPasswordPrevious: passwordSchema("sentinelPasswordPrevious").optional().describe("The same for `sentinelPassword`."),
        [TLS_SECRET_KEY]: hostTlsSchema
            .optional()
            .meta({ whenUnset: "no `tcp://` host allowed" })
            .describe(
                "TLS material of each `tcp://` host, by host name: `{<host>: {ca, cert, key}}`, all three PEMs required (the docker provider silently skips verifying the engine when the CA is empty). Set with `pulumi config set --secret --path 'hostTls.<host>.ca' < ca.pem` and likewise `cert`, `key`.",
            ),
    })
    .describe("Secrets, each a key of its own in the project's namespace, stored with `pulumi config set --secret`.");

export { CONFIG_SAFE_PATTERN };
