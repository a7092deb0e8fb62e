import { stringify } from "yaml";
import { StackSettings } from "../settings/validate";

export type Severity = "critical" | "warning";

/**
 * One Prometheus alerting rule. `group` says whether it is one of the usual Redis alerts or one
 * only this stack can have (a threshold or a name taken from its own settings).
 */
export interface AlertRule {
    readonly group: "standard" | "stack";
    readonly alert: string;
    readonly expr: string;
    /** Prometheus duration the condition must hold; undefined fires at the first evaluation. */
    readonly for?: string;
    readonly severity: Severity;
    /** Templates use only `{{ $labels.<name> }}` and `{{ printf "%.<n>f" $value }}`. */
    readonly summary: string;
    readonly description: string;
}

/** The rule groups' names: one pair per stack, so several stacks' rules load side by side. */
export const ruleGroupName = (settings: Pick<StackSettings, "namePrefix">, group: AlertRule["group"]): string =>
    `${settings.namePrefix}.${group === "standard" ? "standard" : "this-stack"}`;

/** A selector on one stack's series: `metric{stack="dev",<matchers>}`. */
const selector =
    (stack: string) =>
    (metric: string, ...matchers: string[]): string =>
        `${metric}{${[`stack="${stack}"`, ...matchers].join(",")}}`;

const seconds = (value: number): string => `${value}s`;

/**
 * How long a stack may legitimately have no master: Sentinel calls it down after
 * down-after-milliseconds, and one failover attempt may take failover-timeout. At least 30 s.
 */
export const missingMasterFor = (settings: StackSettings): string =>
    seconds(Math.max(30, Math.ceil((settings.cluster.sentinel.downAfterMilliseconds + settings.cluster.sentinel.failoverTimeout) / 1000)));

/** Sentinels a failover needs: `quorum` to agree the master is down and a majority to elect a leader. */
export const sentinelsNeeded = (settings: StackSettings): number =>
    Math.max(settings.cluster.sentinel.quorum, Math.floor(settings.cluster.sentinels / 2) + 1);

/** Every alerting rule of a stack, thresholds taken from its settings. Pure. */
export function alertRules(settings: StackSettings): AlertRule[] {
    const { cluster } = settings;
    const m = selector(settings.stack);
    const node = 'kind="redis"';
    const sentinel = 'kind="sentinel"';
    const masterName = `master_name="${cluster.sentinel.masterName}"`;
    const master = m("redis_instance_info", node, 'role="master"');
    const { alerts } = cluster.metrics;
    const lookups = `sum by (stack) (rate(${m("redis_keyspace_hits_total", node)}[10m]) + rate(${m("redis_keyspace_misses_total", node)}[10m]))`;
    const needed = sentinelsNeeded(settings);

    const standard: Omit<AlertRule, "group">[] = [
        {
            alert: "RedisExporterDown",
            expr: `${m("up")} == 0`,
            for: "1m",
            severity: "warning",
            summary: "The exporter of {{ $labels.instance }} cannot be scraped",
            description:
                "Prometheus gets no metrics from the exporter of {{ $labels.instance }} (stack {{ $labels.stack }}): that server's state is unknown. Check the container {{ $labels.instance }}-exporter.",
        },
        {
            alert: "RedisDown",
            expr: `${m("redis_up", node)} == 0`,
            for: "1m",
            severity: "critical",
            summary: "Redis node {{ $labels.instance }} is down",
            description:
                "The exporter of {{ $labels.instance }} ({{ $labels.server_address }}) has not reached it for a minute. Its container may be stopped, restarting or frozen.",
        },
        {
            alert: "SentinelDown",
            expr: `${m("redis_up", sentinel)} == 0`,
            for: "1m",
            severity: "warning",
            summary: "Sentinel {{ $labels.instance }} is down",
            description:
                "The exporter of {{ $labels.instance }} ({{ $labels.server_address }}) has not reached it for a minute; the other Sentinels carry the quorum meanwhile.",
        },
        {
            alert: "RedisMissingMaster",
            expr: `(count(${master}) or vector(0)) < 1`,
            for: missingMasterFor(settings),
            severity: "critical",
            summary: `Stack ${settings.stack} has no Redis master`,
            description: `No node of stack ${settings.stack} reports the master role: writes fail. This lasted longer than a failover may take (down-after ${cluster.sentinel.downAfterMilliseconds} ms + failover-timeout ${cluster.sentinel.failoverTimeout} ms).`,
        },
        {
            alert: "RedisTooManyMasters",
            expr: `count(${master}) > 1`,
            for: "1m",
            severity: "critical",
            summary: `Stack ${settings.stack} has {{ printf "%.0f" $value }} Redis masters`,
            description: `More than one node of stack ${settings.stack} reports the master role for a minute: writes to all but one will be lost when Sentinel converts them.`,
        },
        {
            alert: "RedisDisconnectedReplicas",
            expr: `sum(${m("redis_connected_slaves", node)} and on (instance) ${master}) < ${cluster.replicas}`,
            for: "2m",
            severity: "warning",
            summary: `The master of stack ${settings.stack} has {{ printf "%.0f" $value }} of ${cluster.replicas} replicas`,
            description: `Stack ${settings.stack} is configured with ${cluster.replicas} replicas; fewer are connected to the master. A failover has fewer candidates.`,
        },
        {
            alert: "RedisReplicationBroken",
            expr: `${m("redis_master_link_up", node)} == 0`,
            for: "1m",
            severity: "warning",
            summary: "Replica {{ $labels.instance }} has lost its master",
            description:
                "The link of {{ $labels.instance }} to its master {{ $labels.master_host }}:{{ $labels.master_port }} has been down for a minute: it serves stale data and cannot be promoted safely.",
        },
        {
            alert: "RedisReplicationFlapping",
            expr: `changes(${m("redis_connected_slaves", node)}[5m]) > 2`,
            severity: "warning",
            summary: "Replicas keep connecting to and leaving {{ $labels.instance }}",
            description:
                'The replica count of {{ $labels.instance }} changed {{ printf "%.0f" $value }} times in 5 minutes: replicas reconnect and resync over and over (network, timeouts or a too small backlog).',
        },
        {
            alert: "RedisMemoryNearMax",
            expr: `${m("redis_memory_used_bytes", node)} / (${m("redis_memory_max_bytes", node)} > 0) > ${alerts.memoryUsedRatio}`,
            for: "5m",
            severity: "warning",
            summary: '{{ $labels.instance }} uses {{ printf "%.2f" $value }} of its maxmemory',
            description: `{{ $labels.instance }} has used more than ${alerts.memoryUsedRatio} of its maxmemory for 5 minutes: it evicts keys (policy ${cluster.redis.maxmemoryPolicy}) or refuses writes.`,
        },
        {
            alert: "RedisRejectedConnections",
            expr: `increase(${m("redis_rejected_connections_total")}[5m]) > 0`,
            severity: "warning",
            summary: "{{ $labels.instance }} rejected connections",
            description: `{{ $labels.instance }} refused connections in the last 5 minutes: it reached maxclients (${cluster.redis.maxclients} on nodes).`,
        },
        {
            alert: "RedisBackupTooOld",
            expr: `time() - ${m("redis_rdb_last_save_timestamp_seconds", node)} > ${cluster.verifier.lastSaveMaxAgeSeconds}`,
            severity: "warning",
            summary: "The last RDB save of {{ $labels.instance }} is too old",
            description: `{{ $labels.instance }} last saved a snapshot {{ printf "%.0f" $value }} s ago, more than verifier.lastSaveMaxAgeSeconds (${cluster.verifier.lastSaveMaxAgeSeconds} s).`,
        },
    ];

    const own: Omit<AlertRule, "group">[] = [];
    const { minReplicasToWrite, minReplicasMaxLag } = cluster.redis;
    if (minReplicasToWrite > 0) {
        // A replica counts for min-replicas-to-write while it is online and acknowledged within
        // min-replicas-max-lag seconds (Redis refreshGoodSlavesCount): the same test, from INFO.
        own.push({
            alert: "RedisMasterBelowMinReplicas",
            expr:
                `(count by (stack, instance) (${m("redis_connected_slave_lag_seconds", node, 'slave_state="online"')} <= ${minReplicasMaxLag})` +
                ` or (count by (stack, instance) (${master}) * 0))` +
                ` < ${minReplicasToWrite} and on (instance) ${master}`,
            for: "1m",
            severity: "critical",
            summary: "Master {{ $labels.instance }} refuses writes (NOREPLICAS)",
            description: `Master {{ $labels.instance }} has {{ printf "%.0f" $value }} replicas within ${minReplicasMaxLag} s of it, fewer than redis.minReplicasToWrite (${minReplicasToWrite}): it refuses every write.`,
        });
    }
    own.push(
        {
            alert: "RedisReplicaLagHigh",
            expr: `${m("redis_connected_slave_lag_seconds", node)} > ${minReplicasMaxLag}`,
            for: "1m",
            severity: "warning",
            summary: 'Replica {{ $labels.slave_ip }} lags {{ printf "%.0f" $value }} s behind {{ $labels.instance }}',
            description: `The replica at {{ $labels.slave_ip }}:{{ $labels.slave_port }} has not acknowledged the master {{ $labels.instance }} for more than redis.minReplicasMaxLag (${minReplicasMaxLag} s): it no longer counts for redis.minReplicasToWrite.`,
        },
        {
            alert: "SentinelsDisagreeOnMaster",
            expr: `count(count by (master_address) (${m("redis_sentinel_master_status", sentinel, masterName)})) > 1`,
            for: "1m",
            severity: "critical",
            summary: `The Sentinels of stack ${settings.stack} name {{ printf "%.0f" $value }} different masters`,
            description: `For a minute the Sentinels have not agreed on the master of ${cluster.sentinel.masterName}: clients asking different Sentinels write to different nodes.`,
        },
        {
            alert: "SentinelWatchesNonMaster",
            expr:
                `${m("redis_sentinel_master_status", sentinel, masterName)} and on (master_address) ` +
                `label_replace(${m("redis_instance_info", node, 'role!="master"')}, "master_address", "$1", "server_address", "(.*)")`,
            for: "1m",
            severity: "critical",
            summary: "Sentinel {{ $labels.instance }} monitors {{ $labels.master_address }}, which is not a master",
            description: `Sentinel {{ $labels.instance }} names {{ $labels.master_address }} as the master of ${cluster.sentinel.masterName}, but that node is a replica: it hands clients a read-only node and cannot fail over (-failover-abort-no-good-slave).`,
        },
        {
            alert: "SentinelQuorumAtRisk",
            expr: `${m("redis_sentinel_master_ok_sentinels", sentinel, masterName)} <= ${needed}`,
            for: "1m",
            severity: "warning",
            summary: 'Sentinel {{ $labels.instance }} sees {{ printf "%.0f" $value }} healthy Sentinels',
            description: `A failover needs ${needed} Sentinels (quorum ${cluster.sentinel.quorum}, majority of ${cluster.sentinels}); {{ $labels.instance }} sees only {{ printf "%.0f" $value }} (itself included): one more loss and no failover can happen.`,
        },
        {
            alert: "SentinelQuorumLost",
            expr: `${m("redis_sentinel_master_ckquorum_status", sentinel, masterName)} == 0`,
            for: "1m",
            severity: "critical",
            summary: "Sentinel {{ $labels.instance }} cannot reach a quorum",
            description:
                "SENTINEL CKQUORUM on {{ $labels.instance }} fails ({{ $labels.message }}): a failing master would not be replaced.",
        },
        {
            alert: "SentinelTilt",
            expr: `${m("redis_sentinel_tilt", sentinel)} > 0`,
            severity: "warning",
            summary: "Sentinel {{ $labels.instance }} is in TILT mode",
            description:
                "{{ $labels.instance }} saw its clock jump or its process stall and stopped acting for 30 s (TILT): it takes part in no failover meanwhile.",
        },
        {
            alert: "RedisRdbSaveFailing",
            expr: `${m("redis_rdb_last_bgsave_status", node)} == 0`,
            severity: "critical",
            summary: "{{ $labels.instance }} fails to write its RDB snapshot",
            description:
                "The last background save of {{ $labels.instance }} failed (disk full, permissions, fork): restarts and full resyncs lose what it could not save.",
        },
    );
    if (cluster.redis.appendonly) {
        own.push(
            {
                alert: "RedisAofWriteFailing",
                expr: `${m("redis_aof_last_write_status", node)} == 0`,
                severity: "critical",
                summary: "{{ $labels.instance }} fails to write its AOF",
                description: `{{ $labels.instance }} could not write its append-only file (appendfsync ${cluster.redis.appendfsync}): it refuses writes until the disk recovers.`,
            },
            {
                alert: "RedisAofRewriteFailing",
                expr: `${m("redis_aof_last_bgrewrite_status", node)} == 0`,
                severity: "warning",
                summary: "{{ $labels.instance }} fails to rewrite its AOF",
                description:
                    "The last AOF rewrite of {{ $labels.instance }} failed: its append-only files keep growing and restarts get slower.",
            },
        );
    }
    own.push(
        {
            alert: "RedisAuthFailures",
            expr: `sum by (stack, instance) (rate(${m("redis_errors_total", node, 'err=~"WRONGPASS|NOAUTH"')}[5m])) * 60 > ${alerts.authFailuresPerMinute}`,
            for: "2m",
            severity: "warning",
            summary: '{{ $labels.instance }} refuses {{ printf "%.1f" $value }} authentications per minute',
            description: `Clients fail to authenticate to {{ $labels.instance }} (WRONGPASS, NOAUTH) more than metrics.alerts.authFailuresPerMinute (${alerts.authFailuresPerMinute}) times a minute: an app still on a retired password, or someone guessing.`,
        },
        {
            alert: "RedisHitRatioLow",
            expr:
                `sum by (stack) (rate(${m("redis_keyspace_hits_total", node)}[10m])) / ${lookups} < ${alerts.hitRatioFloor}` +
                ` and ${lookups} > ${alerts.hitRatioMinLookupsPerSecond}`,
            for: "15m",
            severity: "warning",
            summary: `The cache of stack ${settings.stack} hits {{ printf "%.2f" $value }} of lookups`,
            description: `Fewer than metrics.alerts.hitRatioFloor (${alerts.hitRatioFloor}) of the lookups found their key for 15 minutes: the warmer misses what the app asks for, or keys expire before they are refreshed.`,
        },
    );
    return [...standard.map((r) => ({ ...r, group: "standard" as const })), ...own.map((r) => ({ ...r, group: "stack" as const }))];
}

/** The stack's Prometheus rules file (two groups, every rule labelled with the stack). Undefined when metrics are off. */
export function renderAlertRules(settings: StackSettings): string | undefined {
    if (!settings.cluster.metrics.enabled) return undefined;
    const rules = alertRules(settings);
    const groups = (["standard", "stack"] as const).map((group) => ({
        name: ruleGroupName(settings, group),
        rules: rules
            .filter((r) => r.group === group)
            .map((r) => ({
                alert: r.alert,
                expr: r.expr,
                ...(r.for ? { for: r.for } : {}),
                labels: { severity: r.severity, stack: settings.stack },
                annotations: { summary: r.summary, description: r.description },
            })),
    }));
    const header = [
        `# Prometheus alerting rules of the appscreens-redis stack "${settings.stack}", generated from Pulumi.${settings.stack}.yaml`,
        "# (thresholds from its settings). They select the labels of the stack's scrape config (prometheusScrapeConfig).",
    ];
    return `${header.join("\n")}\n${stringify({ groups }, { lineWidth: 0 })}`;
}
