import { expect } from "chai";
import { ClusterConfig } from "../../../settings/schema";
import { memoryBytes, RawStackConfig, StackConfigError, validateStackConfig } from "../../../settings/validate";

const raw = (cluster: unknown, extra: Partial<RawStackConfig> = {}): RawStackConfig => ({
    stack: "dev",
    keys: cluster === undefined ? [] : ["cluster"],
    cluster,
    secrets: {},
    ...extra,
});

/** The problems validation reports for a config; fails the test if the config is accepted. */
function problemsOf(input: RawStackConfig): string[] {
    try {
        validateStackConfig(input);
    } catch (err) {
        expect(err).to.be.instanceOf(StackConfigError);
        expect((err as Error).message).to.include("nothing was created");
        return [...(err as StackConfigError).problems];
    }
    throw new Error("expected the config to be rejected");
}

const GOOD_PASSWORD = "Zq8mN2vR5tY7uI9oP1aS";

describe("validateStackConfig", () => {
    it("fills every default from the seed document when nothing is set", () => {
        const { cluster } = validateStackConfig(raw(undefined));
        const expected: ClusterConfig = {
            replicas: 2,
            sentinels: 3,
            image: { name: "redis:7.0.15-bookworm", pull: true },
            network: { subnet: "172.28.0.0/24" },
            publish: { host: "127.0.0.1", allowAllInterfaces: false, redisBasePort: 6379, sentinelBasePort: 26379 },
            redis: {
                save: ["3600 1", "300 100", "60 10000"],
                appendonly: true,
                appendfsync: "everysec",
                aofUseRdbPreamble: true,
                maxmemory: "256mb",
                maxmemoryPolicy: "allkeys-lru",
                maxclients: 10000,
                tcpKeepalive: 300,
                minReplicasToWrite: 1,
                minReplicasMaxLag: 10,
            },
            sentinel: { masterName: "mymaster", quorum: 2, downAfterMilliseconds: 5000, parallelSyncs: 1, failoverTimeout: 10000 },
            cache: { screenshotsTtlSeconds: 86400, metadataTtlSeconds: 21600, ttlJitterPercent: 10 },
            warmer: {
                enabled: true,
                appstore: { kind: "file", path: "ops/warm/fixtures/app-snapshot.json" },
                playstore: { kind: "file", path: "ops/warm/fixtures/app-snapshot.json" },
                apps: { appstore: [], playstore: [] },
                http: { timeoutMs: 5000, retries: 3, throttleBackoffMs: 10000 },
                limits: { appstore: { requestsPerMinute: 20, concurrency: 1 }, playstore: { requestsPerMinute: 300, concurrency: 4 } },
                refreshBelowTtlFraction: 0.5,
                batchSize: 250,
                batchesInFlight: 4,
                confirmEveryBatches: 8,
                waitTimeoutMs: 1000,
                descriptionMaxChars: 500,
            },
            verifier: { enabled: true, lastSaveMaxAgeSeconds: 7200, maxReplicaLagBytes: 1048576, sampleSize: 50, settleSeconds: 60 },
            deadlines: { applySettingsSeconds: 120, postDeploySeconds: 900 },
            drill: { afterDeploy: false },
            metrics: {
                enabled: true,
                image: { name: "oliver006/redis_exporter:v1.45.0", pull: true },
                exporterBasePort: 9121,
                alerts: { memoryUsedRatio: 0.9, hitRatioFloor: 0.5, hitRatioMinLookupsPerSecond: 1, authFailuresPerMinute: 1 },
            },
            // TLS off: a stack declares no key or certificate unless it asks.
            users: { enabled: false, appWrites: false },
            tls: {
                enabled: false,
                authClients: "yes",
                validityHours: 8760,
                renewalWindowHours: 720,
                caValidityHours: 87600,
                caGeneration: 0,
            },
            // No hosts: one Docker Engine, as before hosts existed.
            placement: { strategy: "round-robin", pins: {}, survive: "host" },
        };
        expect(cluster).to.deep.equal(expected);
    });

    it("keeps non-default values and records which passwords were supplied", () => {
        const settings = validateStackConfig(
            raw(
                { replicas: 4, sentinels: 5, sentinel: { quorum: 3 }, redis: { maxmemory: "1gb", appendfsync: "always" } },
                { secrets: { redisPassword: { value: GOOD_PASSWORD, secret: true } } },
            ),
        );
        expect(settings.cluster.replicas).to.equal(4);
        expect(settings.cluster.sentinel.quorum).to.equal(3);
        expect(settings.cluster.redis.appendfsync).to.equal("always");
        expect(settings.plan.nodes).to.have.length(5);
        expect(settings.plan.sentinels).to.have.length(5);
        expect(settings.suppliedSecrets).to.deep.equal(["redisPassword"]);
        expect(settings.namePrefix).to.equal("appscreens-redis-dev");
    });

    const rejections: [string, unknown, string, RegExp][] = [
        ["an unknown nested key", { sentinel: { quorom: 2 } }, "appscreens-redis:cluster.sentinel.quorom", /unknown key/],
        [
            "a drill switch given as a string",
            { drill: { afterDeploy: "yes" } },
            "appscreens-redis:cluster.drill.afterDeploy",
            /true or false/,
        ],
        ["a number given as a string", { replicas: "2" }, "appscreens-redis:cluster.replicas", /whole number \(got "2"\)/],
        ["a fractional count", { replicas: 1.5 }, "appscreens-redis:cluster.replicas", /whole number/],
        ["a negative replica count", { replicas: -1 }, "appscreens-redis:cluster.replicas", /at least 1/],
        ["an absurd replica count", { replicas: 500 }, "appscreens-redis:cluster.replicas", /at most 16/],
        [
            "fewer than 3 Sentinels",
            { sentinels: 2, sentinel: { quorum: 2 } },
            "appscreens-redis:cluster.sentinels",
            /at least 3.*majority survives/,
        ],
        [
            "a quorum larger than the Sentinel count",
            { sentinel: { quorum: 4 } },
            "appscreens-redis:cluster.sentinel.quorum",
            /more than the 3 Sentinels.*set it to 2/,
        ],
        [
            "a quorum that is not a majority",
            { sentinels: 5, sentinel: { quorum: 2 } },
            "appscreens-redis:cluster.sentinel.quorum",
            /not a majority of the 5.*at least 3/,
        ],
        ["a malformed memory size", { redis: { maxmemory: "12xb" } }, "appscreens-redis:cluster.redis.maxmemory", /size such as "256mb"/],
        ["a memory size with a space", { redis: { maxmemory: "256 mb" } }, "appscreens-redis:cluster.redis.maxmemory", /size such as/],
        ["a memory size below 1mb", { redis: { maxmemory: "1000kb" } }, "appscreens-redis:cluster.redis.maxmemory", /less than 1mb/],
        ["a memory size above 1tb", { redis: { maxmemory: "2048gb" } }, "appscreens-redis:cluster.redis.maxmemory", /more than 1tb/],
        ["a save rule with one number", { redis: { save: ["300"] } }, "appscreens-redis:cluster.redis.save[0]", /"<seconds> <changes>"/],
        ["a save rule with a zero", { redis: { save: ["0 10"] } }, "appscreens-redis:cluster.redis.save[0]", /positive whole numbers/],
        [
            "a save rule that injects a line",
            { redis: { save: ["60 1\nappendonly no"] } },
            "appscreens-redis:cluster.redis.save[0]",
            /"<seconds> <changes>"/,
        ],
        [
            "two save rules for one interval",
            { redis: { save: ["60 1", "60 100"] } },
            "appscreens-redis:cluster.redis.save",
            /one rule per interval/,
        ],
        ["save given as a string", { redis: { save: "3600 1" } }, "appscreens-redis:cluster.redis.save", /list of "<seconds> <changes>"/],
        [
            "an unknown eviction policy",
            { redis: { maxmemoryPolicy: "lru" } },
            "appscreens-redis:cluster.redis.maxmemoryPolicy",
            /one of noeviction, allkeys-lru/,
        ],
        [
            "an unknown fsync mode",
            { redis: { appendfsync: "sometimes" } },
            "appscreens-redis:cluster.redis.appendfsync",
            /one of always, everysec, no/,
        ],
        ["appendonly as a string", { redis: { appendonly: "yes" } }, "appscreens-redis:cluster.redis.appendonly", /true or false/],
        [
            "minReplicasToWrite above the replica count",
            { replicas: 1, redis: { minReplicasToWrite: 2 } },
            "appscreens-redis:cluster.redis.minReplicasToWrite",
            /refuse every write.*at most 1/,
        ],
        [
            "parallelSyncs above the replica count",
            { replicas: 1, sentinel: { parallelSyncs: 3 } },
            "appscreens-redis:cluster.sentinel.parallelSyncs",
            /at most 1/,
        ],
        [
            "a failover timeout shorter than down-after",
            { sentinel: { failoverTimeout: 2000, downAfterMilliseconds: 5000 } },
            "appscreens-redis:cluster.sentinel.failoverTimeout",
            /shorter than/,
        ],
        [
            "a master name with a space",
            { sentinel: { masterName: "my master" } },
            "appscreens-redis:cluster.sentinel.masterName",
            /only letters, digits/,
        ],
        [
            "a master name with a newline",
            { sentinel: { masterName: "m\nsentinel monitor x 1.2.3.4 6379 1" } },
            "appscreens-redis:cluster.sentinel.masterName",
            /only letters/,
        ],
        [
            "an image name with a space",
            { image: { name: "redis:7 --privileged" } },
            "appscreens-redis:cluster.image.name",
            /image reference/,
        ],
        [
            "Redis and Sentinel port ranges that overlap",
            { publish: { redisBasePort: 7000, sentinelBasePort: 7002 } },
            "appscreens-redis:cluster.publish.sentinelBasePort",
            /clash with the Redis ports 7000-7002/,
        ],
        [
            "a port range past 65535",
            { replicas: 3, publish: { redisBasePort: 65534 } },
            "appscreens-redis:cluster.publish.redisBasePort",
            /past port 65535/,
        ],
        ["a privileged port", { publish: { redisBasePort: 80 } }, "appscreens-redis:cluster.publish.redisBasePort", /at least 1024/],
        [
            "a subnet too small for the nodes",
            { network: { subnet: "172.28.0.0/28" } },
            "appscreens-redis:cluster.network.subnet",
            /cannot hold the 3 nodes and 3 Sentinels/,
        ],
        ["a malformed subnet", { network: { subnet: "172.28.0/24" } }, "appscreens-redis:cluster.network.subnet", /not an IPv4 CIDR/],
        ["a subnet with host bits", { network: { subnet: "172.28.0.5/24" } }, "appscreens-redis:cluster.network.subnet", /host bits set/],
        [
            "publishing on every interface unasked",
            { publish: { host: "0.0.0.0" } },
            "appscreens-redis:cluster.publish.host",
            /every interface.*allowAllInterfaces/,
        ],
        [
            "a publish host that is not an address",
            { publish: { host: "localhost" } },
            "appscreens-redis:cluster.publish.host",
            /IPv4 address/,
        ],
        [
            "an unknown warm source kind",
            { warmer: { appstore: { kind: "scraper" } } },
            "appscreens-redis:cluster.warmer.appstore.kind",
            /kind "itunes", "file" or "none"/,
        ],
        [
            "a source URL that is not http(s)",
            { warmer: { playstore: { kind: "google-play-api", baseUrl: "ftp://x" } } },
            "appscreens-redis:cluster.warmer.playstore.baseUrl",
            /http\(s\) URL/,
        ],
        [
            "an App Store id that is not numeric",
            { warmer: { apps: { appstore: ["whatsapp"] } } },
            "appscreens-redis:cluster.warmer.apps.appstore[0]",
            /numeric trackId/,
        ],
        [
            "a Play Store id that is not a package",
            { warmer: { apps: { playstore: ["WhatsApp Messenger"] } } },
            "appscreens-redis:cluster.warmer.apps.playstore[0]",
            /package names/,
        ],
        [
            "a refresh fraction above 1",
            { warmer: { refreshBelowTtlFraction: 2 } },
            "appscreens-redis:cluster.warmer.refreshBelowTtlFraction",
            /between 0 and 1/,
        ],
        ["a TTL below a minute", { cache: { metadataTtlSeconds: 5 } }, "appscreens-redis:cluster.cache.metadataTtlSeconds", /at least 60/],
        [
            "exporter ports that clash with the Redis ports",
            { metrics: { exporterBasePort: 6378 } },
            "appscreens-redis:cluster.metrics.exporterBasePort",
            /exporter ports 6378-6380 clash with the Redis ports 6379-6381/,
        ],
        [
            "Sentinel exporter ports that clash with the Sentinel ports",
            { metrics: { exporterBasePort: 26359 } },
            "appscreens-redis:cluster.metrics.exporterBasePort",
            /exporter ports 26379-26381 clash with the Sentinel ports 26379-26381/,
        ],
        [
            "exporter ports past 65535",
            { metrics: { exporterBasePort: 65520 } },
            "appscreens-redis:cluster.metrics.exporterBasePort",
            /past port 65535/,
        ],
        [
            "a hit ratio floor above 1",
            { metrics: { alerts: { hitRatioFloor: 80 } } },
            "appscreens-redis:cluster.metrics.alerts.hitRatioFloor",
            /between 0 and 1/,
        ],
        ["metrics switched on with a string", { metrics: { enabled: "yes" } }, "appscreens-redis:cluster.metrics.enabled", /true or false/],
    ];
    for (const [what, cluster, key, message] of rejections) {
        it(`rejects ${what}, naming ${key}`, () => {
            const problems = problemsOf(raw(cluster));
            const problem = problems.find((p) => p.startsWith(`${key}:`));
            expect(problem, `problems were:\n${problems.join("\n")}`).to.not.equal(undefined);
            expect(problem).to.match(message);
        });
    }

    it("accepts 0.0.0.0 when allowAllInterfaces says so", () => {
        expect(validateStackConfig(raw({ publish: { host: "0.0.0.0", allowAllInterfaces: true } })).cluster.publish.host).to.equal(
            "0.0.0.0",
        );
    });

    it("does not check the exporter ports of a stack without metrics", () => {
        const settings = validateStackConfig(raw({ metrics: { enabled: false, exporterBasePort: 6370 } }));
        expect(settings.cluster.metrics.enabled).to.equal(false);
    });

    it("rejects an unknown top-level key with the command that removes it", () => {
        const problems = problemsOf(raw(undefined, { keys: ["clustr"] }));
        expect(problems).to.have.length(1);
        expect(problems[0]).to.match(/^appscreens-redis:clustr: unknown key.*pulumi config rm appscreens-redis:clustr/);
    });

    it("reports every bad setting at once", () => {
        const problems = problemsOf(raw({ replicas: 0, sentinels: 1 }, { keys: ["cluster", "typo"] }));
        expect(problems).to.have.length(3);
    });

    describe("passwords", () => {
        const passwordProblems = (value: string, secret = true) =>
            problemsOf(raw(undefined, { secrets: { redisPassword: { value, secret } } }));

        for (const [what, value] of [
            ["a space", "correct horse battery staple"],
            ["a double quote", 'abcdefgh"ijklmnopq'],
            ["a single quote", "abcdefgh'ijklmnopq"],
            ["a backslash", "abcdefgh\\ijklmnopq"],
            ["a newline", "abcdefghijklmnop\nrequirepass x"],
            ["a dollar sign", "abcdefgh$ijklmnopq"],
        ]) {
            it(`rejects one with ${what}, without echoing it`, () => {
                const problems = passwordProblems(value);
                expect(problems.join("\n")).to.match(/appscreens-redis:redisPassword: must not contain spaces, quotes/);
                expect(problems.join("\n")).to.not.include(value);
            });
        }

        it("rejects a short one", () => {
            expect(passwordProblems("short").join("\n")).to.match(/redisPassword: must be at least 16 characters/);
        });

        it("rejects one stored in plain text", () => {
            expect(passwordProblems(GOOD_PASSWORD, false).join("\n")).to.match(
                /stored in plain text.*pulumi config set --secret appscreens-redis:redisPassword/,
            );
        });

        it("accepts a strong secret one", () => {
            expect(
                validateStackConfig(raw(undefined, { secrets: { sentinelPassword: { value: GOOD_PASSWORD, secret: true } } }))
                    .suppliedSecrets,
            ).to.deep.equal(["sentinelPassword"]);
        });
    });

    describe("password rotation", () => {
        const secret = (value: string) => ({ value, secret: true });
        it("accepts the previous password alongside a new one", () => {
            const settings = validateStackConfig(
                raw(undefined, { secrets: { redisPassword: secret(GOOD_PASSWORD), redisPasswordPrevious: secret(`${GOOD_PASSWORD}old`) } }),
            );
            expect(settings.suppliedSecrets).to.deep.equal(["redisPassword", "redisPasswordPrevious"]);
        });

        it("accepts a previous password beside a generated one (adopting kept volumes)", () => {
            const settings = validateStackConfig(raw(undefined, { secrets: { sentinelPasswordPrevious: secret(GOOD_PASSWORD) } }));
            expect(settings.suppliedSecrets).to.deep.equal(["sentinelPasswordPrevious"]);
        });

        it("rejects a previous password equal to the new one", () => {
            const same = problemsOf(
                raw(undefined, { secrets: { redisPassword: secret(GOOD_PASSWORD), redisPasswordPrevious: secret(GOOD_PASSWORD) } }),
            );
            expect(same.join("\n")).to.match(/redisPasswordPrevious: equals appscreens-redis:redisPassword; remove it/);
        });

        it("requires the previous password to be a secret too", () => {
            const problems = problemsOf(
                raw(undefined, {
                    secrets: { redisPassword: secret(GOOD_PASSWORD), redisPasswordPrevious: { value: `${GOOD_PASSWORD}x`, secret: false } },
                }),
            );
            expect(problems.join("\n")).to.match(/redisPasswordPrevious: is stored in plain text/);
        });
    });

    describe("moving a stack onto the users (cluster.users.migration, cluster.users.migrated)", () => {
        const users = (u: Record<string, unknown>) => raw({ users: u });
        it("accepts migration: prepare on a stack without users, and migrated with enabled", () => {
            expect(validateStackConfig(users({ migration: "prepare" })).cluster.users.migration).to.equal("prepare");
            expect(validateStackConfig(users({ enabled: true, migrated: true })).cluster.users.migrated).to.equal(true);
        });

        it("leaves both absent from a stack that sets neither", () => {
            expect(Object.keys(validateStackConfig(raw({})).cluster.users).sort()).to.deep.equal(["appWrites", "enabled"]);
        });

        it("refuses migrated without enabled, naming the setting and the steps that come first", () => {
            expect(problemsOf(users({ migrated: true }))).to.deep.equal([
                'appscreens-redis:cluster.users.migrated: needs cluster.users.enabled (it marks a stack moved onto the users); remove it, or set both once the migration\'s steps 1, 1b and 2 have run (docs/security.md, "Moving an existing stack onto users")',
            ]);
            expect(validateStackConfig(users({ migrated: false })).cluster.users.enabled).to.equal(false);
        });

        it("refuses migration: prepare on a users stack, pointing at migrated", () => {
            expect(problemsOf(users({ enabled: true, migration: "prepare" })).join("\n")).to.match(
                /cluster\.users\.migration: only before the move .*set cluster\.users\.migrated: true instead/,
            );
        });

        it("refuses any other migration value", () => {
            expect(problemsOf(users({ migration: "yes" })).join("\n")).to.match(/cluster\.users\.migration.*must be "prepare"/);
        });
    });

    it("rejects a post-deploy deadline that leaves no time beyond the verifier's settle period", () => {
        const problems = problemsOf(raw({ verifier: { settleSeconds: 60 }, deadlines: { postDeploySeconds: 60 } }));
        expect(problems.join("\n")).to.match(
            /cluster\.deadlines\.postDeploySeconds: 60 s leaves no time after verifier\.settleSeconds \(60 s\).*at least 360/,
        );
    });

    it("rejects a stack name Docker names cannot carry", () => {
        expect(problemsOf(raw(undefined, { stack: "Dev Stack" })).join("\n")).to.match(/stack name "Dev Stack".*lowercase/);
    });
});

describe("memoryBytes", () => {
    it("follows Redis's units (k = 1000, kb = 1024)", () => {
        expect(memoryBytes("256mb")).to.equal(268435456);
        expect(memoryBytes("1k")).to.equal(1000);
        expect(memoryBytes("1KB")).to.equal(1024);
        expect(memoryBytes("2g")).to.equal(2e9);
        expect(memoryBytes("524288000")).to.equal(524288000);
    });
});
