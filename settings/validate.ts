import { z } from "zod";
import {
    AddressPlan,
    cidrSize,
    nodeName,
    parseCidr,
    parseIpv4,
    placementOf,
    planAddresses,
    SENTINEL_EXPORTER_OFFSET,
    sentinelName,
    ServerKind,
    staticAddressesNeeded,
} from "./address-plan";
import { checkHosts, PlacementView, TlsPresence } from "./host-rules";
import { checkTls } from "./tls-rules";
import { ClusterConfig, clusterSchema, MEMORY_SIZE_PATTERN, passwordSchema, PROJECT, secretsSchema, TLS_SECRET_KEY } from "./schema";

export { PROJECT, TLS_SECRET_KEY };
/** Top-level keys of the project's config namespace; anything else is a typo. */
export const KNOWN_KEYS = [
    "cluster",
    "redisPassword",
    "sentinelPassword",
    "redisPasswordPrevious",
    "sentinelPasswordPrevious",
    TLS_SECRET_KEY,
] as const;
/**
 * The passwords, and the ones being rotated out: while a `...Previous` key is set the servers
 * accept both, so clients move to the new password without a moment locked out (docs/operations.md).
 */
export const SECRET_KEYS = ["redisPassword", "sentinelPassword", "redisPasswordPrevious", "sentinelPasswordPrevious"] as const;
export type SecretKey = (typeof SECRET_KEYS)[number];
/** Every key that must be stored with --secret: the passwords and the hosts' TLS material. */
export const STACK_SECRET_KEYS = [...SECRET_KEYS, TLS_SECRET_KEY] as const;
/** The key that holds a password a server of each kind accepted before (rotation, adopting kept volumes). */
export const PREVIOUS_KEY = { redis: "redisPasswordPrevious", sentinel: "sentinelPasswordPrevious" } as const satisfies Record<
    ServerKind,
    SecretKey
>;
export type PreviousKey = (typeof PREVIOUS_KEY)[ServerKind];

export interface ConfigValue {
    readonly value: string;
    /** Whether it was stored with `pulumi config set --secret`. */
    readonly secret: boolean;
}

/** Everything the program reads from a stack's config, before any interpretation. */
export interface RawStackConfig {
    readonly stack: string;
    /** Every key set in the project's namespace, without the `appscreens-redis:` prefix. */
    readonly keys: readonly string[];
    readonly cluster: unknown;
    readonly secrets: Partial<Record<SecretKey, ConfigValue>>;
    /** `hostTls` as the runtime holds it (JSON text), if set. */
    readonly hostTls?: ConfigValue;
}

export interface StackSettings {
    readonly stack: string;
    /** Prefix of every Docker object's name, unique per stack on one engine. */
    readonly namePrefix: string;
    readonly cluster: ClusterConfig;
    readonly plan: AddressPlan;
    /** Which passwords the stack supplies; the others are generated. */
    readonly suppliedSecrets: readonly SecretKey[];
    /** What validation found worth saying that does not stop the deploy; the program logs each. */
    readonly warnings: readonly string[];
}

export class StackConfigError extends Error {
    constructor(
        // Not `stack`: that would overwrite Error.prototype.stack, and Node (util.inspect, the
        // Pulumi runner) would print "[<stack name>] { problems }" instead of the message.
        readonly stackName: string,
        readonly problems: readonly string[],
    ) {
        super(
            `The config of stack "${stackName}" is invalid; nothing was created. Fix these settings ` +
                `(see docs/configuration.md):\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "StackConfigError";
    }
}

const MEMORY_UNITS: Record<string, number> = { b: 1, k: 1000, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: 1024 ** 3 };

/** Bytes of a redis.conf memory size, with Redis's own unit rules (k = 1000, kb = 1024). */
export function memoryBytes(size: string): number {
    const match = MEMORY_SIZE_PATTERN.exec(size);
    if (!match) throw new Error(`not a memory size: ${size}`);
    return Number(match[1]) * MEMORY_UNITS[(match[2] ?? "b").toLowerCase()];
}

const keyName = (path: readonly PropertyKey[]) =>
    `${PROJECT}:cluster${path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("")}`;

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
    return path.reduce<unknown>(
        (node, key) => (node !== null && typeof node === "object" ? (node as Record<PropertyKey, unknown>)[key] : undefined),
        root,
    );
}

function describeIssue(root: unknown, issue: z.core.$ZodIssue): string {
    if (issue.code === "unrecognized_keys") {
        return issue.keys
            .map(
                (k) =>
                    `${keyName([...issue.path, k])}: unknown key; check its spelling against the configuration reference and remove or rename it`,
            )
            .join("\n  - ");
    }
    const got = valueAt(root, issue.path);
    const shown = got === undefined ? "" : ` (got ${JSON.stringify(got)})`;
    return `${keyName(issue.path)}: ${issue.message}${shown}`;
}

function crossCheck(cluster: ClusterConfig): string[] {
    const problems: string[] = [];
    const at = (path: string, message: string) => problems.push(`${PROJECT}:cluster.${path}: ${message}`);
    const { sentinels, replicas } = cluster;
    const majority = Math.floor(sentinels / 2) + 1;
    const q = cluster.sentinel.quorum;
    if (q > sentinels) {
        at("sentinel.quorum", `${q} is more than the ${sentinels} Sentinels, so no failover could ever be agreed; set it to ${majority}`);
    } else if (q < majority) {
        at(
            "sentinel.quorum",
            `${q} is not a majority of the ${sentinels} Sentinels, so a minority could declare the master down; set it to at least ${majority}`,
        );
    }
    if (cluster.redis.minReplicasToWrite > replicas) {
        at(
            "redis.minReplicasToWrite",
            `${cluster.redis.minReplicasToWrite} is more than the ${replicas} replicas, so the master would refuse every write; set it to at most ${replicas} (1 is recommended)`,
        );
    }
    if (cluster.sentinel.parallelSyncs > replicas) {
        at(
            "sentinel.parallelSyncs",
            `${cluster.sentinel.parallelSyncs} is more than the ${replicas} replicas; set it to at most ${replicas} (1 keeps replicas serving reads during a failover)`,
        );
    }
    if (cluster.sentinel.failoverTimeout < cluster.sentinel.downAfterMilliseconds) {
        at(
            "sentinel.failoverTimeout",
            `${cluster.sentinel.failoverTimeout} ms is shorter than sentinel.downAfterMilliseconds (${cluster.sentinel.downAfterMilliseconds} ms); set it to at least twice that`,
        );
    }
    if (MEMORY_SIZE_PATTERN.test(cluster.redis.maxmemory) && memoryBytes(cluster.redis.maxmemory) < 1024 ** 2) {
        at("redis.maxmemory", `"${cluster.redis.maxmemory}" is less than 1mb, too small for a cache; use e.g. "256mb"`);
    }
    if (MEMORY_SIZE_PATTERN.test(cluster.redis.maxmemory) && memoryBytes(cluster.redis.maxmemory) > 1024 ** 4) {
        at("redis.maxmemory", `"${cluster.redis.maxmemory}" is more than 1tb; use a size the host can hold, e.g. "4gb"`);
    }
    if (cluster.deadlines.postDeploySeconds <= cluster.verifier.settleSeconds + 30) {
        at(
            "deadlines.postDeploySeconds",
            `${cluster.deadlines.postDeploySeconds} s leaves no time after verifier.settleSeconds (${cluster.verifier.settleSeconds} s) for the warm run; set it to at least ${cluster.verifier.settleSeconds + 300}`,
        );
    }
    const secondsSeen = new Set<string>();
    for (const rule of cluster.redis.save) {
        const seconds = rule.split(" ")[0];
        if (secondsSeen.has(seconds)) at("redis.save", `two rules use ${seconds} seconds; keep one rule per interval`);
        secondsSeen.add(seconds);
    }

    const cidr = parseCidr(cluster.network.subnet);
    if (!cidr) {
        at("network.subnet", `"${cluster.network.subnet}" is not an IPv4 CIDR; use e.g. "172.28.0.0/24"`);
    } else if (cidr.base % cidrSize(cidr) !== 0) {
        at("network.subnet", `"${cluster.network.subnet}" has host bits set; use the network address, e.g. "172.28.0.0/24"`);
    } else {
        const needed = staticAddressesNeeded(sentinels);
        if (cidrSize(cidr) / 2 < needed) {
            at(
                "network.subnet",
                `"${cluster.network.subnet}" cannot hold the ${replicas + 1} nodes and ${sentinels} Sentinels (its lower half, ${cidrSize(cidr) / 2} addresses, holds the static ones and needs ${needed}); use a larger subnet such as /24 (a /25 at least)`,
            );
        }
    }

    const host = cluster.publish.host;
    if (parseIpv4(host) === 0 && !cluster.publish.allowAllInterfaces) {
        at(
            "publish.host",
            `0.0.0.0 would publish Redis and Sentinel on every interface of the host; use 127.0.0.1 or one interface's address, or set publish.allowAllInterfaces to true if you mean it`,
        );
    }
    const redisPorts = [cluster.publish.redisBasePort, cluster.publish.redisBasePort + replicas];
    const sentinelPorts = [cluster.publish.sentinelBasePort, cluster.publish.sentinelBasePort + sentinels - 1];
    if (redisPorts[1] > 65535) {
        at("publish.redisBasePort", `${cluster.publish.redisBasePort} + ${replicas} replicas runs past port 65535; lower it`);
    }
    if (sentinelPorts[1] > 65535) {
        at("publish.sentinelBasePort", `${cluster.publish.sentinelBasePort} + ${sentinels - 1} runs past port 65535; lower it`);
    }
    if (redisPorts[0] <= sentinelPorts[1] && sentinelPorts[0] <= redisPorts[1]) {
        at(
            "publish.sentinelBasePort",
            `the Sentinel ports ${sentinelPorts.join("-")} clash with the Redis ports ${redisPorts.join("-")}; move one range, e.g. sentinelBasePort ${redisPorts[1] + 20000 <= 65535 ? redisPorts[1] + 20000 : 26379}`,
        );
    }
    problems.push(...exporterPortProblems(cluster, redisPorts, sentinelPorts));
    problems.push(...checkTls(cluster.tls).map((f) => f.message));
    return problems;
}

/** The exporters' host ports: inside 1024-65535 and clear of the servers' ports. */
function exporterPortProblems(cluster: ClusterConfig, redisPorts: readonly number[], sentinelPorts: readonly number[]): string[] {
    if (!cluster.metrics.enabled) return [];
    const base = cluster.metrics.exporterBasePort;
    const key = `${PROJECT}:cluster.metrics.exporterBasePort`;
    const nodeExporters = [base, base + cluster.replicas];
    const sentinelExporters = [base + SENTINEL_EXPORTER_OFFSET, base + SENTINEL_EXPORTER_OFFSET + cluster.sentinels - 1];
    if (sentinelExporters[1] > 65535) {
        return [
            `${key}: ${base} + ${SENTINEL_EXPORTER_OFFSET + cluster.sentinels - 1} (the last Sentinel's exporter) runs past port 65535; lower it`,
        ];
    }
    const overlaps = (a: readonly number[], b: readonly number[]) => a[0] <= b[1] && b[0] <= a[1];
    const problems: string[] = [];
    for (const [what, range] of [
        ["Redis", redisPorts],
        ["Sentinel", sentinelPorts],
    ] as const) {
        const clash = [nodeExporters, sentinelExporters].find((e) => overlaps(e, range));
        if (clash) {
            problems.push(
                `${key}: the exporter ports ${clash.join("-")} clash with the ${what} ports ${range.join("-")}; move the exporters, e.g. exporterBasePort 9121`,
            );
        }
    }
    return problems;
}

/**
 * Which PEMs the `hostTls` secret holds per host, and the problems of its shape. The values are
 * never echoed: these messages reach logs.
 */
function readTlsPresence(value: ConfigValue | undefined): { presence?: TlsPresence; problems: string[] } {
    if (!value) return { problems: [] };
    const key = `${PROJECT}:${TLS_SECRET_KEY}`;
    let parsed: unknown;
    try {
        parsed = JSON.parse(value.value);
    } catch {
        return {
            problems: [
                `${key}: must be an object by host name, {<host>: {ca, cert, key}}; set each PEM with \`pulumi config set --secret --path '${TLS_SECRET_KEY}.<host>.ca' < ca.pem\``,
            ],
        };
    }
    const problems: string[] = [];
    const result = secretsSchema.shape[TLS_SECRET_KEY].safeParse(parsed);
    if (!result.success) {
        problems.push(...result.error.issues.map((i) => `${key}${i.path.map((p) => `.${String(p)}`).join("")}: ${i.message}`));
    }
    const hosts: Record<string, { ca: boolean; cert: boolean; key: boolean }> = {};
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) {
        for (const [host, pems] of Object.entries(parsed as Record<string, unknown>)) {
            const part = (p: string) =>
                pems !== null &&
                typeof pems === "object" &&
                typeof (pems as Record<string, unknown>)[p] === "string" &&
                (pems as Record<string, string>)[p].trim() !== "";
            hosts[host] = { ca: part("ca"), cert: part("cert"), key: part("key") };
        }
    }
    return { presence: { secret: value.secret, hosts }, problems };
}

/** Placement checks on the parsed cluster: the rules of settings/host-rules.ts. */
function checkPlacement(cluster: ClusterConfig, plan: AddressPlan | undefined, tls: TlsPresence | undefined, rawCluster: unknown) {
    const nodes = Array.from({ length: cluster.replicas + 1 }, (_, i) => nodeName(i));
    const sentinels = Array.from({ length: cluster.sentinels }, (_, i) => sentinelName(i));
    const view: PlacementView | undefined =
        plan?.hosts && cluster.hosts
            ? {
                  hosts: cluster.hosts.map((h) => h.name),
                  placement: placementOf(plan) ?? {},
                  nodes,
                  sentinels,
                  quorum: cluster.sentinel.quorum,
                  minReplicasToWrite: cluster.redis.minReplicasToWrite,
              }
            : undefined;
    const publishHostSet = valueAt(rawCluster, ["publish", "host"]) !== undefined;
    return checkHosts({ hosts: cluster.hosts, placement: cluster.placement, tls, servers: [...nodes, ...sentinels], view, publishHostSet });
}

function addressPlanOf(cluster: ClusterConfig): AddressPlan {
    return planAddresses({
        subnet: cluster.network.subnet,
        nodeCount: cluster.replicas + 1,
        sentinelCount: cluster.sentinels,
        redisBasePort: cluster.publish.redisBasePort,
        sentinelBasePort: cluster.publish.sentinelBasePort,
        publishAddress: cluster.publish.host,
        hosts: cluster.hosts?.map((h) => ({ name: h.name, address: h.address })),
        pins: cluster.placement.pins,
    });
}

/** Turns a stack's raw config into settings, or throws a StackConfigError naming every bad setting. */
export function validateStackConfig(raw: RawStackConfig): StackSettings {
    const problems: string[] = [];
    for (const key of raw.keys) {
        if (!(KNOWN_KEYS as readonly string[]).includes(key)) {
            problems.push(
                `${PROJECT}:${key}: unknown key; the known keys are ${KNOWN_KEYS.map((k) => `${PROJECT}:${k}`).join(", ")} (run \`pulumi config rm ${PROJECT}:${key}\`)`,
            );
        }
    }
    for (const key of SECRET_KEYS) {
        const supplied = raw.secrets[key];
        if (!supplied) continue;
        if (!supplied.secret) {
            problems.push(`${PROJECT}:${key}: is stored in plain text; store it with \`pulumi config set --secret ${PROJECT}:${key} ...\``);
        }
        // The value itself is never echoed: these messages reach logs.
        const result = passwordSchema(`${PROJECT}:${key}`).safeParse(supplied.value);
        if (!result.success) problems.push(...result.error.issues.map((i) => i.message));
    }
    // A `...Previous` key beside a generated password is how a re-created stack adopts the data
    // volumes an earlier deploy left (docs/operations.md, "Re-creating a stack on kept volumes"):
    // the servers on them accept that password until the key is removed. Rotating a generated
    // password takes a new one set explicitly (the generated one does not change).
    for (const current of ["redisPassword", "sentinelPassword"] as const) {
        const previous = raw.secrets[`${current}Previous`];
        if (previous && previous.value === raw.secrets[current]?.value) {
            problems.push(
                `${PROJECT}:${current}Previous: equals ${PROJECT}:${current}; remove it with \`pulumi config rm ${PROJECT}:${current}Previous\``,
            );
        }
    }
    if (!/^[a-z0-9][a-z0-9_.-]{0,40}$/.test(raw.stack)) {
        problems.push(
            `stack name "${raw.stack}": Docker object names are built from it, so use lowercase letters, digits, '.', '_' and '-' (at most 41)`,
        );
    }
    const tls = readTlsPresence(raw.hostTls);
    problems.push(...tls.problems);
    const parsed = clusterSchema.safeParse(raw.cluster ?? {});
    const warnings: string[] = [];
    let plan: AddressPlan | undefined;
    if (!parsed.success) {
        problems.push(...parsed.error.issues.map((issue) => describeIssue(raw.cluster, issue)));
    } else {
        const crossProblems = crossCheck(parsed.data);
        problems.push(...crossProblems);
        // The plan needs a valid subnet; with one, placement is checked on the plan itself.
        if (crossProblems.every((p) => !p.startsWith(`${PROJECT}:cluster.network.subnet`))) plan = addressPlanOf(parsed.data);
        for (const finding of checkPlacement(parsed.data, plan, tls.presence, raw.cluster)) {
            (finding.level === "error" ? problems : warnings).push(finding.message);
        }
    }
    if (parsed.success)
        problems.push(
            ...usersProblems(
                parsed.data,
                SECRET_KEYS.filter((k) => raw.secrets[k] !== undefined),
            ),
        );
    if (problems.length > 0 || !parsed.success || !plan) throw new StackConfigError(raw.stack, problems);

    return {
        stack: raw.stack,
        namePrefix: `${PROJECT}-${raw.stack}`,
        cluster: parsed.data,
        plan,
        suppliedSecrets: SECRET_KEYS.filter((k) => raw.secrets[k] !== undefined),
        warnings,
    };
}

/**
 * `cluster.users` against the rest: with users every password is generated per user, so a
 * `redisPassword` / `sentinelPassword` key (the `default` user's) would be silently unused; and
 * `appWrites` means nothing without users.
 */
export function usersProblems(cluster: ClusterConfig, suppliedSecrets: readonly string[]): string[] {
    const problems: string[] = [];
    if (cluster.users.enabled) {
        for (const key of suppliedSecrets.filter((k) => /Password(Previous)?$/.test(k))) {
            problems.push(
                `${PROJECT}:${key}: unused with cluster.users.enabled (every user's password is generated); remove it with \`pulumi config rm ${PROJECT}:${key}\``,
            );
        }
    } else if (cluster.users.appWrites) {
        problems.push(
            `${PROJECT}:cluster.users.appWrites: needs cluster.users.enabled (without users there is no app user); remove it or turn users on for a new stack`,
        );
    }
    problems.push(...migratedProblems(cluster), ...migrationProblems(cluster));
    return problems;
}

const MIGRATION_DOC = 'docs/security.md, "Moving an existing stack onto users"';

/** `migrated` says how a users stack came to be: it means nothing on a stack without users. */
export function migratedProblems(cluster: ClusterConfig): string[] {
    if (!cluster.users.migrated || cluster.users.enabled) return [];
    return [
        `${PROJECT}:cluster.users.migrated: needs cluster.users.enabled (it marks a stack moved onto the users); remove it, or set both once the migration's steps 1, 1b and 2 have run (${MIGRATION_DOC})`,
    ];
}

/** `migration: prepare` generates the users' passwords for a stack that does not have them yet. */
export function migrationProblems(cluster: ClusterConfig): string[] {
    if (cluster.users.migration === undefined || !cluster.users.enabled) return [];
    return [
        `${PROJECT}:cluster.users.migration: only before the move (a stack without cluster.users.enabled); remove it and set cluster.users.migrated: true instead (${MIGRATION_DOC})`,
    ];
}
