// The least-privilege ACL users (issue 17): one table of every user's rules on nodes and on
// Sentinels, and their rendering as inline `user` lines (no aclfile) with SHA-256 password hashes.
// A stack created with `cluster.users.enabled` runs every server and client on them; without it,
// every client still uses `default` (docs/security.md).
import { createHash } from "node:crypto";
import { CACHE_KEY_KINDS, cacheKeyGlob, WARMER_BARRIER_CHANNEL } from "../settings/cache-keys";

/** Which kind of server a user lives on. */
export type ServerKind = "node" | "sentinel";

/** The config directive through which a server itself logs in as this user on another server. */
export type LinkDirective = "masteruser" | "sentinel auth-user" | "sentinel sentinel-user";

export interface AclRole {
    /** Key patterns (globs), rendered `~<glob>`, or `%R~<glob>` when `readOnlyKeys`. */
    readonly keys: readonly string[];
    /** Keys may only be read: `%R~` (Redis >= 7.0), so a write is refused whatever the commands. */
    readonly readOnlyKeys?: boolean;
    /** Pub/Sub channels (exact names or globs), rendered `&<channel>`. */
    readonly channels: readonly string[];
    /** Command rules after `-@all`, in order (`+cmd`, `+cmd|sub`, `+@category`, `-cmd`). */
    readonly commands: readonly string[];
    /** The directive that names this user, when a server logs in with it. */
    readonly link?: LinkDirective;
    /** Why the user exists and why its rules are what they are (rendered as a comment). */
    readonly why: string;
}

const ALL: Pick<AclRole, "keys" | "channels" | "commands"> = { keys: ["*"], channels: ["*"], commands: ["+@all"] };

const cacheKeyGlobs = CACHE_KEY_KINDS.map(cacheKeyGlob);

/**
 * What the app may run on the cache keys. `+@read` minus what lists key names whatever the key
 * patterns say (SCAN, KEYS, RANDOMKEY: ACL key patterns do not filter their replies) and minus
 * `@dangerous` (KEYS, DEBUG, CONFIG, FLUSH*, SHUTDOWN, CLIENT KILL, ...). INFO comes back after
 * `-@dangerous`: ioredis's ready check sends it and, in Sentinel mode, reads `role` from it to
 * leave a demoted master.
 */
const APP_READ = ["+@read", "+@connection", "-@dangerous", "-scan", "-randomkey", "+info"] as const;
const APP_WRITE = ["+@read", "+@write", "+@connection", "+@transaction", "-@dangerous", "-scan", "-randomkey", "+info"] as const;

/**
 * The users on every Redis node. The `sentinel` and `replication` rules are the Redis docs'
 * minimal sets (security/acl.md "ACL rules for Sentinel and Replicas"), with the Sentinels'
 * Pub/Sub narrowed to their hello channel.
 */
export const NODE_ROLES = {
    admin: { ...ALL, why: "The stack's own tools: settings step, drill, backup and restore, container scripts." },
    replication: {
        keys: [],
        channels: [],
        commands: ["+psync", "+replconf", "+ping"],
        link: "masteruser",
        why: "A replica's link to its master.",
    },
    sentinel: {
        keys: [],
        // Sentinels announce themselves on this channel only (sentinel.c, SENTINEL_HELLO_CHANNEL).
        channels: ["__sentinel__:hello"],
        commands: [
            "+multi",
            "+slaveof",
            "+ping",
            "+exec",
            "+subscribe",
            "+config|rewrite",
            "+role",
            "+publish",
            "+info",
            "+client|setname",
            "+client|kill",
            "+script|kill",
        ],
        link: "sentinel auth-user",
        why: "The Sentinels' monitoring and failover: the docs' minimal set, hello channel only.",
    },
    warmer: {
        keys: cacheKeyGlobs,
        channels: [WARMER_BARRIER_CHANNEL],
        commands: [
            // The batch script (ops/warm/writer.ts SET_BATCH_LUA) through ioredis's defineCommand:
            // EVALSHA, EVAL on NOSCRIPT, and the SET it calls (ACL checks a script's calls too).
            "+evalsha",
            "+eval",
            "+set",
            "+wait",
            "+exists",
            "+ttl",
            // The end-of-run barrier (ops/warm/reconcile.ts).
            "+publish",
            // Which node a connection is on (ops/redis/warm-client.ts readIdentity) and ioredis's ready check.
            "+info",
            "+client|info",
            "+client|setname",
            "+hello",
            "+ping",
        ],
        why: "The warmer: its batch script, WAIT, its checks of the keys and its barrier channel.",
    },
    app: {
        keys: cacheKeyGlobs,
        readOnlyKeys: true,
        channels: [],
        commands: APP_READ,
        why: "The app: reads the cache keys. No SCAN, which shows every key name whatever the key patterns.",
    },
    exporter: {
        keys: [],
        channels: [],
        // What redis_exporter 1.45 sends to a node (measured with ACL LOG), with its CONFIG GET
        // turned off (`--config-command=-`): CONFIG GET returns masterauth in clear.
        commands: ["+client|setname", "+info", "+slowlog|get", "+slowlog|len", "+latency|latest"],
        why: "The metrics exporter: INFO, SLOWLOG and LATENCY. No CONFIG GET, which returns masterauth in clear.",
    },
} as const satisfies Record<string, AclRole>;

/** The users on every Sentinel. */
export const SENTINEL_ROLES = {
    admin: { ...ALL, why: "The stack's own tools: settings step, drill, planned failover." },
    "sentinel-peer": {
        ...ALL,
        link: "sentinel sentinel-user",
        why: "Sentinel-to-Sentinel links: the docs require a superuser.",
    },
    discovery: {
        keys: [],
        // ioredis's failoverDetector subscribes to this one channel on every Sentinel.
        channels: ["+switch-master"],
        commands: [
            // The docs' client profile (sentinel.md "Sentinel Access Control List authentication").
            "+client|getname",
            "+client|id",
            "+client|setname",
            "+command",
            "+hello",
            "+ping",
            "+role",
            "+sentinel|get-master-addr-by-name",
            "+sentinel|master",
            "+sentinel|myid",
            "+sentinel|replicas",
            "+sentinel|sentinels",
            // ioredis asks SENTINEL SLAVES (a subcommand of its own in 7.0) for a replica connection.
            "+sentinel|slaves",
            "+subscribe",
        ],
        why: "Clients finding the master: the docs' client profile, SENTINEL SLAVES, and +switch-master for ioredis's failoverDetector.",
    },
    exporter: {
        keys: [],
        channels: [],
        // What redis_exporter 1.45 sends to a Sentinel (measured with ACL LOG).
        commands: ["+client|setname", "+info", "+sentinel|masters", "+sentinel|sentinels", "+sentinel|slaves", "+sentinel|ckquorum"],
        why: "The metrics exporter: INFO and the Sentinel's view of its masters.",
    },
} as const satisfies Record<string, AclRole>;

export type NodeUser = keyof typeof NODE_ROLES;
export type SentinelUser = keyof typeof SENTINEL_ROLES;
export type AclUserName = NodeUser | SentinelUser;

/** Every user's password, as given (Pulumi secrets once wired); only their hashes are rendered. */
export type AclPasswords = Readonly<Record<AclUserName, string>>;

/** Every user name, nodes' then Sentinels' (a name on both, `admin` or `exporter`, is one user with one password). */
export const ACL_USER_NAMES: readonly AclUserName[] = [
    ...new Set([...Object.keys(NODE_ROLES), ...Object.keys(SENTINEL_ROLES)]),
] as AclUserName[];

/**
 * Who each client of a users stack logs in as, named from the tables (a name missing from a table
 * does not compile). `tools` runs on both kinds of server: the container scripts, the settings
 * step, the drill, backup, restore, planned failover and the verifier.
 */
export const CLIENT_USERS = {
    tools: "admin",
    warmerOnNodes: "warmer",
    warmerOnSentinels: "discovery",
    app: "app",
    appOnSentinels: "discovery",
    exporter: "exporter",
} as const satisfies {
    tools: NodeUser & SentinelUser;
    warmerOnNodes: NodeUser;
    warmerOnSentinels: SentinelUser;
    app: NodeUser;
    appOnSentinels: SentinelUser;
    exporter: NodeUser & SentinelUser;
};

/** A users stack's users, as the renderers take them: every password, and the app's option. */
export interface StackUsers {
    readonly passwords: AclPasswords;
    readonly options: AclOptions;
}

export interface AclOptions {
    /** The app may write the cache keys too (default read-only). */
    readonly appWrites?: boolean;
}

export class AclUsersError extends Error {
    readonly kind = "acl-users" as const;
    constructor(message: string) {
        super(message);
        this.name = "AclUsersError";
    }
}

/** The roles on one kind of server, with the options applied. */
export function rolesFor(server: ServerKind, options: AclOptions = {}): Readonly<Record<string, AclRole>> {
    if (server === "sentinel") return SENTINEL_ROLES;
    if (!options.appWrites) return NODE_ROLES;
    return {
        ...NODE_ROLES,
        app: { ...NODE_ROLES.app, readOnlyKeys: false, commands: APP_WRITE, why: "The app: reads and writes the cache keys. No SCAN." },
    };
}

/** Redis's own form of a password for a config line: `#` and the SHA-256 of it in lower-case hex. */
export function passwordHash(password: string): string {
    return `#${createHash("sha256").update(password, "utf8").digest("hex")}`;
}

/** One role's rules after its password: keys, channels, then commands from nothing. */
export function roleRules(role: AclRole): string[] {
    const keyPrefix = role.readOnlyKeys ? "%R~" : "~";
    return [
        "resetkeys",
        ...role.keys.map((k) => `${keyPrefix}${k}`),
        "resetchannels",
        ...role.channels.map((c) => `&${c}`),
        "-@all",
        ...role.commands.filter((c) => c !== "-@all"),
    ];
}

/** `user <name> on #<sha256> <rules>`: no plaintext password, ever. */
export function renderUserLine(name: string, role: AclRole, password: string): string {
    if (password.length === 0) throw new AclUsersError(`the ACL user ${name} has an empty password`);
    return ["user", name, "on", passwordHash(password), ...roleRules(role)].join(" ");
}

/**
 * `default` is off with no password, so no connection can be it: every client names its user.
 * Its rules still allow everything because Redis 7.0 checks the transactions it replays from the
 * AOF against `default` (EXEC's ACL re-check, redis/redis#14541, fixed upstream by #14545 after
 * 7.0.15): with `-@all` every MULTI/EXEC in the AOF, the warmer's script writes among them, was
 * silently dropped when a node restarted (measured: 0 of 2 keys back; with `+@all` 2 of 2), and
 * ACL LOG showed `default command set` on the restarted node.
 */
export const DEFAULT_USER_LINE = "user default off resetpass resetkeys ~* resetchannels &* -@all +@all";

/** The `user` lines of one kind of server: `default` off first, then each role in table order. */
export function renderAclUsers(server: ServerKind, passwords: AclPasswords, options: AclOptions = {}): string[] {
    const roles = rolesFor(server, options);
    return [DEFAULT_USER_LINE, ...Object.entries(roles).map(([name, role]) => renderUserLine(name, role, passwords[name as AclUserName]))];
}

/** The user each link directive names, found in the tables (the one source of these names). */
export function linkUser(directive: LinkDirective): AclUserName {
    const all: [string, AclRole][] = [...Object.entries(NODE_ROLES), ...Object.entries(SENTINEL_ROLES)];
    const found = all.filter(([, role]) => role.link === directive);
    if (found.length !== 1) throw new AclUsersError(`${found.length} ACL users are named by ${directive}; want exactly one`);
    return found[0][0] as AclUserName;
}

/** The users the servers log in with: `masteruser`, Sentinel `auth-user` and `sentinel-user`. */
export function linkUsers(): { masteruser: NodeUser; authUser: NodeUser; sentinelUser: SentinelUser } {
    return {
        masteruser: linkUser("masteruser") as NodeUser,
        authUser: linkUser("sentinel auth-user") as NodeUser,
        sentinelUser: linkUser("sentinel sentinel-user") as SentinelUser,
    };
}

/**
 * A node's replication login: `masteruser` and `masterauth`. The password is in clear because
 * Redis must send it; like every password file here it belongs in a secret upload.
 */
export function renderNodeLinks(passwords: AclPasswords): string[] {
    const { masteruser } = linkUsers();
    return [`masteruser ${masteruser}`, `masterauth ${quotedSecret(passwords[masteruser])}`];
}

/** A Sentinel's logins: to the nodes (`auth-user`, `auth-pass`) and to its peers (`sentinel-user`, `sentinel-pass`). */
export function renderSentinelLinks(masterName: string, passwords: AclPasswords): string[] {
    const { authUser, sentinelUser } = linkUsers();
    return [
        `sentinel auth-user ${masterName} ${authUser}`,
        `sentinel auth-pass ${masterName} ${quotedSecret(passwords[authUser])}`,
        `sentinel sentinel-user ${sentinelUser}`,
        `sentinel sentinel-pass ${quotedSecret(passwords[sentinelUser])}`,
    ];
}

function quotedSecret(value: string): string {
    if (value.length === 0 || /["'\\\s]/.test(value))
        throw new AclUsersError("a link password is empty or holds quotes, backslashes or white space");
    return `"${value}"`;
}
