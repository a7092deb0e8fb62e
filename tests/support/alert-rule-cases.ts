// promtool unit tests for a stack's alerting rules (render/alert-rules.ts), generated from its
// settings: a healthy cluster's series as its exporters would show them, then one story per
// alert that breaks it. A target that disappears (a dead exporter, a stopped server) leaves its
// series with a `stale` marker, as Prometheus writes one when a series stops being scraped.
import { stringify } from "yaml";
import { memoryBytes, StackSettings } from "../../settings/validate";
import { AlertRule, alertRules, sentinelsNeeded } from "../../render/alert-rules";
import { jobName, stackExporters, targetLabels } from "../../render/prometheus";

type Labels = Record<string, string>;

/** Samples per series, and the sample at which each story breaks the cluster. */
const SAMPLES = 40;
const BREAK = 10;

interface Series {
    readonly metric: string;
    readonly labels: Labels;
    /** promtool's expanding notation; SAMPLES values (or fewer, ending with `stale`). */
    readonly values: string;
}

export interface ExpectedAlert {
    /** The alert's labels: the series' (without the name) and the rule's. */
    readonly labels: Labels;
    /** The value the annotations are expanded with. */
    readonly value: number;
}

export interface AlertCase {
    readonly alert: string;
    /** What happens to the cluster, for the reader of the test file. */
    readonly story: string;
    readonly intervalSeconds: number;
    readonly series: readonly Series[];
    /** Minutes after the start: nothing fires at `quietAt`, `expected` fires at `firesAt`. */
    readonly quietAt: number;
    readonly firesAt: number;
    readonly expected: readonly ExpectedAlert[];
}

// ---- values in promtool's notation -------------------------------------------------------

/** The same value at every sample. */
const steady = (v: number): string => `${v}x${SAMPLES - 1}`;
/** `before` until the break, `after` from it on. */
const changes = (before: number, after: number, at = BREAK): string => `${before}x${at - 1} ${after}x${SAMPLES - 1 - at}`;
/** Present until the break, then a stale marker: the series is gone. */
const staleAt = (before: string | number, at = BREAK): string => `${before}x${at - 1} stale`;
/** Absent until the break, then `after`. */
const appearsAt = (after: number, at = BREAK): string => `_x${at - 1} ${after}x${SAMPLES - 1 - at}`;
/** A steady value or a counter as before, then a stale marker at the break. */
function untilBreak(values: string): string {
    const match = /^([0-9.e+-]+?)(\+[0-9.e+-]+)?x[0-9]+$/.exec(values);
    if (!match) throw new Error(`cannot cut ${values} at the break`);
    return `${match[1]}${match[2] ?? ""}x${BREAK - 1} stale`;
}
/** A counter growing by `perSample`. */
const counter = (perSample: number, start = 0): string => `${start}+${perSample}x${SAMPLES - 1}`;

// ---- a healthy cluster ---------------------------------------------------------------------

interface Server {
    readonly name: string;
    readonly kind: "redis" | "sentinel";
    readonly labels: Labels;
    /** `address:port` announced on the stack's network. */
    readonly address: string;
}

function servers(settings: StackSettings): Server[] {
    return stackExporters(settings).map((e) => ({
        name: e.server.name,
        kind: e.kind,
        address: `${e.server.address}:${e.server.port}`,
        labels: { job: jobName(settings, e.kind), ...targetLabels(settings, e) },
    }));
}

const key = (s: Series): string => `${s.metric}${JSON.stringify(Object.entries(s.labels).sort())}`;

/** A set of series a story edits: replace one's values, add one, or mark one gone. */
class Cluster {
    private readonly byKey = new Map<string, Series>();
    constructor(readonly settings: StackSettings) {}

    add(metric: string, labels: Labels, values: string): this {
        const s = { metric, labels, values };
        this.byKey.set(key(s), s);
        return this;
    }

    /** Every series matching metric and labels (a subset) gets `values`. */
    set(metric: string, labels: Labels, values: string): this {
        const hits = [...this.byKey.values()].filter(
            (s) => s.metric === metric && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
        );
        if (hits.length === 0) throw new Error(`no series ${metric}${JSON.stringify(labels)} to change`);
        for (const s of hits) this.byKey.set(key(s), { ...s, values });
        return this;
    }

    /** Every series of one server goes stale at the break, but `except` (e.g. its exporter's `up`). */
    vanish(server: string, except: readonly string[] = []): this {
        for (const s of [...this.byKey.values()]) {
            if (s.labels.instance === server && !except.includes(s.metric)) this.byKey.set(key(s), { ...s, values: untilBreak(s.values) });
        }
        return this;
    }

    series(): Series[] {
        return [...this.byKey.values()];
    }
}

const node = (settings: StackSettings, index: number): Server => {
    const s = servers(settings).filter((x) => x.kind === "redis")[index];
    if (!s) throw new Error(`the stack has no node ${index}`);
    return s;
};
const sentinelServers = (settings: StackSettings): Server[] => servers(settings).filter((x) => x.kind === "sentinel");

const ckquorumOk = (n: number) => `OK ${n} usable Sentinels. Quorum and failover authorization can be reached`;

/**
 * The stack with `redis-0` as master and every other node its replica, every Sentinel agreeing,
 * backups current, a 10:1 hit ratio: no rule fires. Counters grow per sample of `intervalSeconds`.
 */
function healthy(settings: StackSettings, intervalSeconds = 60): Cluster {
    const { cluster } = settings;
    const c = new Cluster(settings);
    const master = node(settings, 0);
    const [host, port] = master.address.split(":");
    const replicas = servers(settings).filter((s) => s.kind === "redis" && s.name !== master.name);
    for (const s of servers(settings)) {
        c.add("up", s.labels, steady(1)).add("redis_up", s.labels, steady(1)).add("redis_rejected_connections_total", s.labels, steady(0));
        if (s.kind === "sentinel") {
            const onMaster = { ...s.labels, master_name: cluster.sentinel.masterName, master_address: master.address };
            c.add("redis_sentinel_master_status", { ...onMaster, master_status: "ok" }, steady(1))
                .add("redis_sentinel_master_ok_sentinels", onMaster, steady(cluster.sentinels))
                .add(
                    "redis_sentinel_master_ckquorum_status",
                    { ...s.labels, master_name: cluster.sentinel.masterName, message: ckquorumOk(cluster.sentinels) },
                    steady(1),
                )
                .add("redis_sentinel_tilt", s.labels, steady(0));
            continue;
        }
        const isMaster = s.name === master.name;
        c.add("redis_instance_info", { ...s.labels, role: isMaster ? "master" : "slave", redis_version: "7.0.15" }, steady(1))
            .add("redis_connected_slaves", s.labels, steady(isMaster ? replicas.length : 0))
            .add("redis_memory_used_bytes", s.labels, steady(Math.round(memoryBytes(cluster.redis.maxmemory) / 4)))
            .add("redis_memory_max_bytes", s.labels, steady(memoryBytes(cluster.redis.maxmemory)))
            // Saved at every sample: the last save is always now (promtool's clock starts at 0).
            .add("redis_rdb_last_save_timestamp_seconds", s.labels, counter(intervalSeconds))
            .add("redis_rdb_last_bgsave_status", s.labels, steady(1))
            .add("redis_aof_last_write_status", s.labels, steady(1))
            .add("redis_aof_last_bgrewrite_status", s.labels, steady(1))
            .add("redis_errors_total", { ...s.labels, err: "WRONGPASS" }, steady(0))
            .add("redis_keyspace_hits_total", s.labels, counter(isMaster ? 10 * intervalSeconds : 0))
            .add("redis_keyspace_misses_total", s.labels, counter(isMaster ? intervalSeconds : 0));
        if (isMaster) {
            for (const r of replicas) {
                const [ip, rport] = r.address.split(":");
                c.add(
                    "redis_connected_slave_lag_seconds",
                    { ...s.labels, slave_ip: ip, slave_port: rport, slave_state: "online" },
                    steady(0),
                );
            }
        } else {
            c.add("redis_master_link_up", { ...s.labels, master_host: host, master_port: port }, steady(1));
        }
    }
    return c;
}

// ---- one story per alert -------------------------------------------------------------------

const minutes = (duration: string | undefined): number => {
    if (!duration) return 0;
    const match = /^([0-9]+)(s|m)$/.exec(duration);
    if (!match) throw new Error(`unexpected duration ${duration}`);
    return match[2] === "m" ? Number(match[1]) : Math.ceil(Number(match[1]) / 60);
};

/** The labels of the stack alone, as an aggregation over the whole stack leaves them. */
const stackOnly = (settings: StackSettings): Labels => ({ stack: settings.stack });

type Story = Omit<AlertCase, "alert" | "intervalSeconds" | "quietAt" | "firesAt"> & {
    readonly intervalSeconds?: number;
    readonly quietAt?: number;
    /** Minutes after the break and the rule's `for` at which the alert must fire (default 2). */
    readonly margin?: number;
    readonly firesAt?: number;
};

function stories(settings: StackSettings): Record<string, Story> {
    const { cluster } = settings;
    const master = node(settings, 0);
    const replica = node(settings, 1);
    const lastReplica = node(settings, cluster.replicas);
    const sentinels = sentinelServers(settings);
    const masterName = cluster.sentinel.masterName;
    const needed = sentinelsNeeded(settings);
    const maxBytes = memoryBytes(cluster.redis.maxmemory);
    const lag = cluster.redis.minReplicasMaxLag;
    const h = () => healthy(settings);
    const replicaLag = (r: Server) => {
        const [ip, port] = r.address.split(":");
        return { instance: master.name, slave_ip: ip, slave_port: port };
    };

    // The backup story needs hours of data: a coarser interval, so the age threshold fits in the samples.
    const backupInterval = 60 * Math.max(1, Math.ceil(cluster.verifier.lastSaveMaxAgeSeconds / 60 / 20));
    const lastSave = BREAK * backupInterval;
    const backupFiresAt = Math.ceil((lastSave + cluster.verifier.lastSaveMaxAgeSeconds + backupInterval) / 60);

    // A failover to redis-1 that one Sentinel missed.
    const failedOver = h()
        .set("redis_instance_info", { instance: master.name }, staleAt(1))
        .add("redis_instance_info", { ...master.labels, role: "slave", redis_version: "7.0.15" }, appearsAt(1))
        .set("redis_instance_info", { instance: replica.name }, staleAt(1))
        .add("redis_instance_info", { ...replica.labels, role: "master", redis_version: "7.0.15" }, appearsAt(1));
    for (const s of sentinels.slice(0, -1)) {
        failedOver
            .set("redis_sentinel_master_status", { instance: s.name }, staleAt(1))
            .add(
                "redis_sentinel_master_status",
                { ...s.labels, master_name: masterName, master_address: replica.address, master_status: "ok" },
                appearsAt(1),
            );
    }
    const stuck = sentinels[sentinels.length - 1];

    const lostSentinels = sentinels.slice(needed);
    const quorumAtRisk = h();
    for (const s of lostSentinels) quorumAtRisk.set("redis_up", { instance: s.name }, changes(1, 0)).vanish(s.name, ["up", "redis_up"]);
    for (const s of sentinels.slice(0, needed))
        quorumAtRisk.set("redis_sentinel_master_ok_sentinels", { instance: s.name }, changes(cluster.sentinels, needed));

    const noquorum = "NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master";

    return {
        RedisExporterDown: {
            story: `the exporter of ${replica.name} dies: up goes 0 and every series it gave goes stale`,
            series: h().set("up", { instance: replica.name }, changes(1, 0)).vanish(replica.name, ["up"]).series(),
            expected: [{ labels: replica.labels, value: 0 }],
        },
        RedisDown: {
            story: `${replica.name} stops: its exporter shows redis_up 0 and its other series go stale; the master loses a replica`,
            series: h()
                .set("redis_up", { instance: replica.name }, changes(1, 0))
                .vanish(replica.name, ["up", "redis_up"])
                .set("redis_connected_slaves", { instance: master.name }, changes(cluster.replicas, cluster.replicas - 1))
                .set("redis_connected_slave_lag_seconds", replicaLag(replica), staleAt(0))
                .series(),
            expected: [{ labels: replica.labels, value: 0 }],
        },
        SentinelDown: {
            story: `${stuck.name} stops: its exporter shows redis_up 0, its Sentinel series go stale`,
            series: h().set("redis_up", { instance: stuck.name }, changes(1, 0)).vanish(stuck.name, ["up", "redis_up"]).series(),
            expected: [{ labels: stuck.labels, value: 0 }],
        },
        RedisMissingMaster: {
            story: `${master.name} stops and no failover follows: no node reports the master role`,
            series: h().set("redis_up", { instance: master.name }, changes(1, 0)).vanish(master.name, ["up", "redis_up"]).series(),
            expected: [{ labels: stackOnly(settings), value: 0 }],
        },
        RedisTooManyMasters: {
            story: `${lastReplica.name} comes back as a second master`,
            series: h()
                .set("redis_instance_info", { instance: lastReplica.name }, staleAt(1))
                .add("redis_instance_info", { ...lastReplica.labels, role: "master", redis_version: "7.0.15" }, appearsAt(1))
                .series(),
            expected: [{ labels: stackOnly(settings), value: 2 }],
        },
        RedisDisconnectedReplicas: {
            story: `${lastReplica.name} drops off the master`,
            series: h()
                .set("redis_connected_slaves", { instance: master.name }, changes(cluster.replicas, cluster.replicas - 1))
                .set("redis_connected_slave_lag_seconds", replicaLag(lastReplica), staleAt(0))
                .series(),
            expected: [{ labels: stackOnly(settings), value: cluster.replicas - 1 }],
        },
        RedisReplicationBroken: {
            story: `the link of ${lastReplica.name} to the master goes down`,
            series: h()
                .set("redis_master_link_up", { instance: lastReplica.name }, changes(1, 0))
                .set("redis_connected_slaves", { instance: master.name }, changes(cluster.replicas, cluster.replicas - 1))
                .set("redis_connected_slave_lag_seconds", replicaLag(lastReplica), staleAt(0))
                .series(),
            expected: [
                {
                    labels: { ...lastReplica.labels, master_host: master.address.split(":")[0], master_port: master.address.split(":")[1] },
                    value: 0,
                },
            ],
        },
        RedisReplicationFlapping: {
            story: `${lastReplica.name} connects and drops five times in five minutes`,
            series: h()
                .set(
                    "redis_connected_slaves",
                    { instance: master.name },
                    `${cluster.replicas}x${BREAK - 1} ${[1, 0, 1, 0, 1].map((d) => cluster.replicas - d).join(" ")} ${cluster.replicas}x${SAMPLES - BREAK - 6}`,
                )
                .series(),
            // The 5-minute window at minute 14 holds minutes 9 to 14: five changes.
            firesAt: BREAK + 4,
            expected: [{ labels: master.labels, value: 5 }],
        },
        RedisMemoryNearMax: {
            story: `${master.name} fills up to 95 % of its maxmemory`,
            series: h()
                .set("redis_memory_used_bytes", { instance: master.name }, changes(Math.round(maxBytes / 4), maxBytes * 0.95))
                .series(),
            expected: [{ labels: master.labels, value: 0.95 }],
        },
        RedisRejectedConnections: {
            story: `${master.name} refuses 3 connections a minute (maxclients reached)`,
            series: h()
                .set("redis_rejected_connections_total", { instance: master.name }, `0x${BREAK - 1} 3+3x${SAMPLES - 1 - BREAK}`)
                .series(),
            expected: [{ labels: master.labels, value: 0 }],
        },
        RedisBackupTooOld: {
            story: `${master.name} stops saving snapshots`,
            intervalSeconds: backupInterval,
            series: healthy(settings, backupInterval)
                .set(
                    "redis_rdb_last_save_timestamp_seconds",
                    { instance: master.name },
                    `0+${backupInterval}x${BREAK - 1} ${lastSave}x${SAMPLES - 1 - BREAK}`,
                )
                .series(),
            quietAt: Math.floor((lastSave + cluster.verifier.lastSaveMaxAgeSeconds - backupInterval) / 60),
            firesAt: backupFiresAt,
            expected: [{ labels: master.labels, value: backupFiresAt * 60 - lastSave }],
        },
        RedisMasterBelowMinReplicas: {
            story: `every replica of ${master.name} drops off: no replica counts for min-replicas-to-write`,
            series: (() => {
                const c = h().set("redis_connected_slaves", { instance: master.name }, changes(cluster.replicas, 0));
                for (let i = 1; i <= cluster.replicas; i++)
                    c.set("redis_connected_slave_lag_seconds", replicaLag(node(settings, i)), staleAt(0));
                return c.series();
            })(),
            expected: [{ labels: { stack: settings.stack, instance: master.name }, value: 0 }],
        },
        RedisReplicaLagHigh: {
            story: `${lastReplica.name} stops acknowledging: its lag passes redis.minReplicasMaxLag (${lag} s)`,
            series: h()
                .set("redis_connected_slave_lag_seconds", replicaLag(lastReplica), `0x${BREAK - 1} ${lag + 5}x${SAMPLES - 1 - BREAK}`)
                .series(),
            expected: [
                {
                    labels: { ...master.labels, ...replicaLag(lastReplica), slave_state: "online" },
                    value: lag + 5,
                },
            ],
        },
        SentinelsDisagreeOnMaster: {
            story: `after a failover to ${replica.name}, ${stuck.name} still names ${master.name}`,
            series: failedOver.series(),
            expected: [{ labels: stackOnly(settings), value: 2 }],
        },
        SentinelWatchesNonMaster: {
            story: `after a failover to ${replica.name}, ${stuck.name} still monitors ${master.name}, now a replica`,
            series: failedOver.series(),
            expected: [
                {
                    labels: { ...stuck.labels, master_name: masterName, master_address: master.address, master_status: "ok" },
                    value: 1,
                },
            ],
        },
        SentinelQuorumAtRisk: {
            story: `${lostSentinels.map((s) => s.name).join(" and ")} ${lostSentinels.length === 1 ? "stops" : "stop"}: ${needed} healthy Sentinels are left, what a failover needs`,
            series: quorumAtRisk.series(),
            expected: sentinels
                .slice(0, needed)
                .map((s) => ({ labels: { ...s.labels, master_name: masterName, master_address: master.address }, value: needed })),
        },
        SentinelQuorumLost: {
            story: `SENTINEL CKQUORUM on ${sentinels[0].name} starts failing`,
            series: h()
                .set("redis_sentinel_master_ckquorum_status", { instance: sentinels[0].name }, staleAt(1))
                .add(
                    "redis_sentinel_master_ckquorum_status",
                    { ...sentinels[0].labels, master_name: masterName, message: noquorum },
                    appearsAt(0),
                )
                .series(),
            expected: [{ labels: { ...sentinels[0].labels, master_name: masterName, message: noquorum }, value: 0 }],
        },
        SentinelTilt: {
            story: `${sentinels[1].name} enters TILT mode for two minutes`,
            series: h()
                .set("redis_sentinel_tilt", { instance: sentinels[1].name }, `0x${BREAK - 1} 1x1 0x${SAMPLES - BREAK - 3}`)
                .series(),
            margin: 1,
            expected: [{ labels: sentinels[1].labels, value: 1 }],
        },
        RedisRdbSaveFailing: {
            story: `the background save of ${master.name} fails`,
            series: h().set("redis_rdb_last_bgsave_status", { instance: master.name }, changes(1, 0)).series(),
            expected: [{ labels: master.labels, value: 0 }],
        },
        RedisAofWriteFailing: {
            story: `${master.name} cannot write its AOF`,
            series: h().set("redis_aof_last_write_status", { instance: master.name }, changes(1, 0)).series(),
            expected: [{ labels: master.labels, value: 0 }],
        },
        RedisAofRewriteFailing: {
            story: `the AOF rewrite of ${master.name} fails`,
            series: h().set("redis_aof_last_bgrewrite_status", { instance: master.name }, changes(1, 0)).series(),
            expected: [{ labels: master.labels, value: 0 }],
        },
        RedisAuthFailures: {
            story: `a client on a retired password gets WRONGPASS from ${master.name} 10 times a minute`,
            series: h()
                .set("redis_errors_total", { instance: master.name }, `0x${BREAK - 1} 10+10x${SAMPLES - 1 - BREAK}`)
                .series(),
            margin: 5,
            expected: [{ labels: { stack: settings.stack, instance: master.name }, value: 10 }],
        },
        RedisHitRatioLow: {
            story: "the app asks for what the warmer did not write: 2 hits and 8 misses a second",
            series: h()
                .set(
                    "redis_keyspace_hits_total",
                    { instance: master.name },
                    `0+600x${BREAK - 1} ${600 * (BREAK - 1) + 120}+120x${SAMPLES - 1 - BREAK}`,
                )
                .set(
                    "redis_keyspace_misses_total",
                    { instance: master.name },
                    `0+60x${BREAK - 1} ${60 * (BREAK - 1) + 480}+480x${SAMPLES - 1 - BREAK}`,
                )
                .series(),
            firesAt: SAMPLES - 2,
            expected: [{ labels: stackOnly(settings), value: 0.2 }],
        },
    };
}

/** One case per alerting rule of the stack (a rule without a story is an error). */
export function alertRuleCases(settings: StackSettings): AlertCase[] {
    const all = stories(settings);
    return alertRules(settings).map((rule) => {
        const story = all[rule.alert];
        if (!story) throw new Error(`no promtool story for ${rule.alert}: add one to tests/support/alert-rule-cases.ts`);
        const intervalSeconds = story.intervalSeconds ?? 60;
        return {
            alert: rule.alert,
            story: story.story,
            intervalSeconds,
            series: story.series,
            expected: story.expected,
            quietAt: story.quietAt ?? BREAK - 1,
            firesAt: story.firesAt ?? BREAK + minutes(rule.for) + (story.margin ?? 2),
        };
    });
}

/** The stories' names: every rule must have one (checked without promtool). */
export const storyNames = (settings: StackSettings): string[] => Object.keys(stories(settings));

// ---- the promtool test file ----------------------------------------------------------------

/**
 * Expands the two template forms the rules use: `{{ $labels.<name> }}` and
 * `{{ printf "%.<n>f" $value }}`; anything else is an error.
 */
export function expandTemplate(template: string, labels: Labels, value: number): string {
    return template.replace(/\{\{\s*(.*?)\s*\}\}/g, (_, inner: string) => {
        const label = /^\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)$/.exec(inner);
        if (label) return labels[label[1]] ?? "";
        const printf = /^printf "%\.([0-9])f" \$value$/.exec(inner);
        if (printf) return value.toFixed(Number(printf[1]));
        throw new Error(`template form not supported by the rules' tests: {{ ${inner} }}`);
    });
}

const seriesText = (s: Series): string =>
    `${s.metric}{${Object.entries(s.labels)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(",")}}`;

/** A promtool `test rules` file for the stack's rules file (`rulesFile`, relative to the test file). */
export function renderRuleTests(settings: StackSettings, rulesFile: string): string {
    const rules = new Map<string, AlertRule>(alertRules(settings).map((r) => [r.alert, r]));
    const healthyAt = SAMPLES - 2;
    const tests = [
        {
            // A healthy cluster fires nothing.
            interval: "1m",
            input_series: healthy(settings)
                .series()
                .map((s) => ({ series: seriesText(s), values: s.values })),
            alert_rule_test: [...rules.keys()].map((alertname) => ({ eval_time: `${healthyAt}m`, alertname, exp_alerts: [] })),
        },
        ...alertRuleCases(settings).map((c) => {
            const rule = rules.get(c.alert)!;
            return {
                name: `${c.alert}: ${c.story}`,
                interval: `${c.intervalSeconds / 60}m`,
                input_series: c.series.map((s) => ({ series: seriesText(s), values: s.values })),
                alert_rule_test: [
                    { eval_time: `${c.quietAt}m`, alertname: c.alert, exp_alerts: [] },
                    {
                        eval_time: `${c.firesAt}m`,
                        alertname: c.alert,
                        exp_alerts: c.expected.map((e) => {
                            const sample = Object.fromEntries(Object.entries(e.labels).filter(([k]) => k !== "__name__"));
                            return {
                                exp_labels: { ...sample, severity: rule.severity, stack: settings.stack },
                                exp_annotations: {
                                    summary: expandTemplate(rule.summary, sample, e.value),
                                    description: expandTemplate(rule.description, sample, e.value),
                                },
                            };
                        }),
                    },
                ],
            };
        }),
        {
            name: "RedisHitRatioLow: a quiet cache is not judged",
            interval: "1m",
            input_series: healthy(settings)
                .set("redis_keyspace_hits_total", { instance: node(settings, 0).name }, steady(0))
                .set(
                    "redis_keyspace_misses_total",
                    { instance: node(settings, 0).name },
                    counter(Math.floor(60 * settings.cluster.metrics.alerts.hitRatioMinLookupsPerSecond) / 2),
                )
                .series()
                .map((s) => ({ series: seriesText(s), values: s.values })),
            alert_rule_test: [{ eval_time: `${SAMPLES - 2}m`, alertname: "RedisHitRatioLow", exp_alerts: [] }],
        },
    ];
    return stringify({ rule_files: [rulesFile], evaluation_interval: "1m", tests }, { lineWidth: 0 });
}
