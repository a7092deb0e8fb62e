import { Endpoint, REDIS_PORT, SENTINEL_PORT, ServerKind } from "../settings/address-plan";
import { memoryBytes, StackSettings } from "../settings/validate";
import { CONTAINER_PATHS } from "./paths";

/**
 * The one table of every directive the stack sets on a server. The renderers (initial config
 * file, command line), the runtime apply (`ops/cluster/settings-apply.ts`) and the verifier's
 * expectations all read it, so a new setting is added here and nowhere else.
 *
 * - `bootstrap`: fixed for the container's life. Passed on the server's command line, which is a
 *   container input: changing one replaces the container (they change only with addresses).
 * - `runtime`: applied to the running server on every deploy (`CONFIG SET` + `CONFIG REWRITE`
 *   on nodes, `SENTINEL SET` on Sentinels). The container never sees them as inputs, so a change
 *   replaces nothing; a new server starts with them in its initial config file.
 */
export type Phase = "bootstrap" | "runtime";

export interface Directive<N extends string = DirectiveName> {
    readonly name: N;
    readonly phase: Phase;
    /** The value as `CONFIG SET` / `SENTINEL SET` takes it and as the config file line holds it. */
    readonly value: (settings: StackSettings, server: Endpoint) => string;
    /** What `CONFIG GET` (nodes) or `SENTINEL MASTER` (Sentinels) answers for `value`; the same text when absent. */
    readonly readBack?: (value: string) => string;
    /** Whether the verifier checks a bootstrap directive too (runtime ones are always checked). */
    readonly verify?: boolean;
}

const fixed = (value: string) => (): string => value;
const yesNo = (flag: boolean): string => (flag ? "yes" : "no");

/** Redis nodes. Passwords (requirepass, masterauth) are applied too, but they are secrets: see settings-apply. */
const REDIS_TABLE = [
    { name: "port", phase: "bootstrap", value: fixed(String(REDIS_PORT)) },
    { name: "bind", phase: "bootstrap", value: fixed("0.0.0.0") },
    // With a password set protected-mode blocks nothing; without one it would.
    { name: "protected-mode", phase: "bootstrap", value: fixed("yes") },
    { name: "dir", phase: "bootstrap", value: fixed(CONTAINER_PATHS.dataDir), verify: true },
    { name: "dbfilename", phase: "bootstrap", value: fixed("dump.rdb") },
    { name: "appendfilename", phase: "bootstrap", value: fixed("appendonly.aof") },
    // Redis 7 keeps the AOF as a directory (base + increments + manifest); not changeable at runtime.
    { name: "appenddirname", phase: "bootstrap", value: fixed("appendonlydir"), verify: true },
    // An address, not a name: Sentinel and clients reach a node by it even while another container
    // is down (container names stop resolving then). On one host the static address and 6379;
    // across hosts the host's address and published port (settings/address-plan.ts, `announce`).
    { name: "replica-announce-ip", phase: "bootstrap", value: (_s, node) => node.announce.address },
    { name: "replica-announce-port", phase: "bootstrap", value: (_s, node) => String(node.announce.port) },
    { name: "replica-read-only", phase: "bootstrap", value: fixed("yes") },
    { name: "replica-serve-stale-data", phase: "bootstrap", value: fixed("yes") },

    { name: "tcp-keepalive", phase: "runtime", value: (s) => String(s.cluster.redis.tcpKeepalive) },
    { name: "maxclients", phase: "runtime", value: (s) => String(s.cluster.redis.maxclients) },
    // RDB snapshots for backups and fast restarts; an empty rule list turns them off.
    { name: "save", phase: "runtime", value: (s) => s.cluster.redis.save.join(" ") },
    { name: "appendonly", phase: "runtime", value: (s) => yesNo(s.cluster.redis.appendonly) },
    { name: "appendfsync", phase: "runtime", value: (s) => s.cluster.redis.appendfsync },
    { name: "aof-use-rdb-preamble", phase: "runtime", value: (s) => yesNo(s.cluster.redis.aofUseRdbPreamble) },
    // A cache: evict instead of refusing writes when memory is full.
    { name: "maxmemory", phase: "runtime", value: (s) => s.cluster.redis.maxmemory, readBack: (v) => String(memoryBytes(v)) },
    { name: "maxmemory-policy", phase: "runtime", value: (s) => s.cluster.redis.maxmemoryPolicy },
    // A master cut off from its replicas stops taking writes after min-replicas-max-lag seconds,
    // which bounds what a failover can lose.
    { name: "min-replicas-to-write", phase: "runtime", value: (s) => String(s.cluster.redis.minReplicasToWrite) },
    { name: "min-replicas-max-lag", phase: "runtime", value: (s) => String(s.cluster.redis.minReplicasMaxLag) },
    // A replica that needs a full resync (after a failover, or a new node) gets it at once, not
    // after Redis' default 5 s wait for more replicas to share the transfer: writes gated by
    // min-replicas-to-write resume sooner.
    { name: "repl-diskless-sync-delay", phase: "runtime", value: fixed("0") },
] as const satisfies readonly Directive<string>[];

/** Sentinels: bootstrap ones are global (`sentinel announce-ip x`), runtime ones are per master (`SENTINEL SET`). */
const SENTINEL_TABLE = [
    { name: "port", phase: "bootstrap", value: fixed(String(SENTINEL_PORT)) },
    { name: "bind", phase: "bootstrap", value: fixed("0.0.0.0") },
    { name: "protected-mode", phase: "bootstrap", value: fixed("yes") },
    { name: "dir", phase: "bootstrap", value: fixed(CONTAINER_PATHS.dataDir) },
    // Static addresses, no hostnames: a stopped container's name stops resolving.
    { name: "sentinel announce-ip", phase: "bootstrap", value: (_s, me) => me.announce.address },
    { name: "sentinel announce-port", phase: "bootstrap", value: (_s, me) => String(me.announce.port) },
    { name: "sentinel resolve-hostnames", phase: "bootstrap", value: fixed("no") },
    { name: "sentinel announce-hostnames", phase: "bootstrap", value: fixed("no") },

    { name: "quorum", phase: "runtime", value: (s) => String(s.cluster.sentinel.quorum) },
    { name: "down-after-milliseconds", phase: "runtime", value: (s) => String(s.cluster.sentinel.downAfterMilliseconds) },
    { name: "parallel-syncs", phase: "runtime", value: (s) => String(s.cluster.sentinel.parallelSyncs) },
    { name: "failover-timeout", phase: "runtime", value: (s) => String(s.cluster.sentinel.failoverTimeout) },
] as const satisfies readonly Directive<string>[];

/** Every name a node's table has: a directive named anywhere else that is not one is a compile error. */
export type RedisDirectiveName = (typeof REDIS_TABLE)[number]["name"];
export type SentinelDirectiveName = (typeof SENTINEL_TABLE)[number]["name"];
export type DirectiveName = RedisDirectiveName | SentinelDirectiveName;

export const REDIS_DIRECTIVES: readonly Directive<RedisDirectiveName>[] = REDIS_TABLE;
export const SENTINEL_DIRECTIVES: readonly Directive<SentinelDirectiveName>[] = SENTINEL_TABLE;

/** The directive table of each kind of server: `DIRECTIVES[kind]`, never a ternary on the kind. */
export const DIRECTIVES = { redis: REDIS_DIRECTIVES, sentinel: SENTINEL_DIRECTIVES } as const satisfies Record<
    ServerKind,
    readonly Directive[]
>;

/** `name -> value` for some directives of one table (what CONFIG GET / SENTINEL MASTER compare against). */
export type DirectiveValues<N extends DirectiveName = DirectiveName> = Partial<Record<N, string>>;

/** `name -> value(directive)` over some directives of one table, in the table's order. */
function valuesOf<N extends DirectiveName>(directives: readonly Directive<N>[], value: (d: Directive<N>) => string): DirectiveValues<N> {
    const values: DirectiveValues<N> = {};
    for (const d of directives) values[d.name] = value(d);
    return values;
}

export const runtimeDirectives = <N extends DirectiveName>(table: readonly Directive<N>[]): readonly Directive<N>[] =>
    table.filter((d) => d.phase === "runtime");

/** `name -> value` of the runtime directives for one server: what the apply step enforces. */
export function runtimeValues<N extends DirectiveName>(
    table: readonly Directive<N>[],
    settings: StackSettings,
    server: Endpoint,
): DirectiveValues<N> {
    return valuesOf(runtimeDirectives(table), (d) => d.value(settings, server));
}

/** What a server answers for `name` when `value` is in effect (the table's read-back rule). */
export function readBackOf<N extends DirectiveName>(table: readonly Directive<N>[], name: N, value: string): string {
    const directive = table.find((d) => d.name === name);
    return directive?.readBack ? directive.readBack(value) : value;
}

/** `name -> value` the verifier expects to read back (runtime ones, and bootstrap ones that say so). */
export function expectedValues<N extends DirectiveName>(
    table: readonly Directive<N>[],
    settings: StackSettings,
    server: Endpoint,
): DirectiveValues<N> {
    const verified = table.filter((d) => d.phase === "runtime" || d.verify);
    return valuesOf(verified, (d) => readBackOf(table, d.name, d.value(settings, server)));
}

/** The runtime directives whose value on the server differs from the wanted one (pure). */
export function settingsToChange<N extends DirectiveName>(
    table: readonly Directive<N>[],
    wanted: DirectiveValues<N>,
    current: Readonly<Record<string, string | undefined>>,
): { name: N; from: string | undefined; to: string }[] {
    return table.flatMap((d) => {
        const to = wanted[d.name];
        return to === undefined || current[d.name] === readBackOf(table, d.name, to) ? [] : [{ name: d.name, from: current[d.name], to }];
    });
}

/**
 * The bootstrap directives as server command-line arguments (`--port 6379 --sentinel announce-ip x`).
 * With `cluster.tls.enabled` there is no `--port`: the listener (`port 0`, `tls-port`) is in the
 * initial config with the other TLS directives (render/tls-conf.ts), and a command-line option
 * overrides a config line, so `--port 6379` would open the plaintext listener again.
 */
export function bootstrapArgs<N extends DirectiveName>(
    table: readonly Directive<N>[],
    settings: StackSettings,
    server: Endpoint,
): string[] {
    return table
        .filter((d) => d.phase === "bootstrap" && !(d.name === "port" && settings.cluster.tls.enabled))
        .flatMap((d) => [...`--${d.name}`.split(" "), d.value(settings, server)]);
}
