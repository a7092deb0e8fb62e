// Moving a running stack onto the ACL users (issue 17, item 2), and rotating one user's password,
// as data: which action goes to which server in which order. Pure: no connection, no password
// (the executor, ops/users/execute.ts, looks each password up when it sends), so a plan can be
// printed, diffed and unit-tested. The order is the point: every user exists on every server
// before any server is told to log in as it, and `default` goes off only once nothing needs it.
import {
    ACL_USER_NAMES,
    AclOptions,
    AclUserName,
    linkUsers,
    NODE_ROLES,
    roleRules,
    rolesFor,
    SENTINEL_ROLES,
} from "../../render/acl-users";

/** A node or a Sentinel, by the names the post-deploy plan gives them. */
export interface UsersServer {
    readonly name: string;
    readonly kind: "redis" | "sentinel";
}

/**
 * One thing done on one server. None carries a password: `user` names whose password the
 * executor sends (as a SHA-256 hash where Redis takes one, in clear only where it must:
 * `masterauth`, `auth-pass`, `sentinel-pass`).
 */
export type UsersAction =
    /** ACL SETUSER <user> reset on #<hash> <rules>, unless the user is there already and accepts its password. */
    | { readonly op: "create-user"; readonly server: string; readonly user: AclUserName; readonly rules: readonly string[] }
    /** CONFIG REWRITE on a node, SENTINEL FLUSHCONFIG on a Sentinel: a restart keeps what came before. */
    | { readonly op: "persist"; readonly server: string }
    /** CONFIG SET masteruser <user>, masterauth <password> (a node). */
    | { readonly op: "replication-login"; readonly server: string; readonly user: AclUserName }
    /** SENTINEL SET <master> auth-user <user> auth-pass <password> (a Sentinel, to the nodes). */
    | { readonly op: "sentinel-auth"; readonly server: string; readonly user: AclUserName }
    /** SENTINEL CONFIG SET sentinel-user <user>, then sentinel-pass <password> (a Sentinel, to its peers). */
    | { readonly op: "sentinel-peer-login"; readonly server: string; readonly user: AclUserName }
    /** ACL SETUSER default off resetpass (its rules stay +@all: redis/redis#14541); on a node, requirepass cleared. */
    | { readonly op: "default-off"; readonly server: string }
    /** ACL SETUSER <user> #<new hash>: old and new accepted together. */
    | { readonly op: "add-password"; readonly server: string; readonly user: AclUserName }
    /** ACL SETUSER <user> !<old hash>: only the new one accepted. */
    | { readonly op: "retire-password"; readonly server: string; readonly user: AclUserName };

export type UsersOp = UsersAction["op"];

/** The four migration steps, in the order the issue gives them. */
export const MIGRATION_STEPS = [1, 2, 3, 4] as const;
export type MigrationStep = (typeof MIGRATION_STEPS)[number];

export const STEP_TITLES: Readonly<Record<MigrationStep, string>> = {
    1: "create every user on every server, persisted",
    2: "point replication (masteruser) and the Sentinels (auth-user, sentinel-user) at their users",
    3: "move the warmer and the app onto their users (a deploy of the clients; nothing on the servers)",
    4: "turn default off on every server, persisted",
};

/** The two rotation phases; between them the clients that are not servers move to the new password. */
export const ROTATION_PHASES = ["add", "retire"] as const;
export type RotationPhase = (typeof ROTATION_PHASES)[number];

export class UsersPlanError extends Error {
    readonly kind = "unknown-user" as const;
}

const nodes = (servers: readonly UsersServer[]) => servers.filter((s) => s.kind === "redis");
const sentinels = (servers: readonly UsersServer[]) => servers.filter((s) => s.kind === "sentinel");

/** Which kinds of server hold `user` (admin and exporter live on both). */
export function serversOf(user: AclUserName, servers: readonly UsersServer[]): UsersServer[] {
    return servers.filter((s) => user in (s.kind === "redis" ? NODE_ROLES : SENTINEL_ROLES));
}

/**
 * The actions that point the servers' own links at `user` when it is a link user (`masteruser`,
 * `sentinel auth-user`, `sentinel sentinel-user`); none for a user only clients log in as.
 */
function linkActions(user: AclUserName, servers: readonly UsersServer[]): UsersAction[] {
    const links = linkUsers();
    if (user === links.masteruser) return nodes(servers).map((s) => ({ op: "replication-login", server: s.name, user }));
    if (user === links.authUser) return sentinels(servers).map((s) => ({ op: "sentinel-auth", server: s.name, user }));
    if (user === links.sentinelUser) return sentinels(servers).map((s) => ({ op: "sentinel-peer-login", server: s.name, user }));
    return [];
}

const persistAll = (servers: readonly UsersServer[]): UsersAction[] => servers.map((s) => ({ op: "persist", server: s.name }));

/** One migration step's actions, nodes before Sentinels, each server's persist after its changes. */
export function migrationStep(step: MigrationStep, servers: readonly UsersServer[], options: AclOptions = {}): UsersAction[] {
    switch (step) {
        case 1:
            return servers.flatMap((s): UsersAction[] => [
                ...Object.entries(rolesFor(s.kind === "redis" ? "node" : "sentinel", options)).map(([user, role]): UsersAction => ({
                    op: "create-user",
                    server: s.name,
                    user: user as AclUserName,
                    rules: roleRules(role),
                })),
                { op: "persist", server: s.name },
            ]);
        case 2: {
            const { masteruser, authUser, sentinelUser } = linkUsers();
            return [
                ...linkActions(masteruser, servers),
                ...linkActions(authUser, servers),
                ...linkActions(sentinelUser, servers),
                ...persistAll(servers),
            ];
        }
        case 3:
            // The clients' own move (the warmer's and the app's secrets, then their deploy): the
            // servers already accept both the old `default` and the new users.
            return [];
        case 4:
            return servers.flatMap((s): UsersAction[] => [
                { op: "default-off", server: s.name },
                { op: "persist", server: s.name },
            ]);
    }
}

/**
 * One rotation phase of one user. `add`: the new password accepted next to the old on every server
 * that holds the user, then (a link user) the servers' links moved to it. `retire`: the old one
 * dropped everywhere, once the clients use the new one.
 */
export function rotationPhase(user: string, phase: RotationPhase, servers: readonly UsersServer[]): UsersAction[] {
    if (!(ACL_USER_NAMES as readonly string[]).includes(user))
        throw new UsersPlanError(`no ACL user ${user}; the users are ${ACL_USER_NAMES.join(", ")}`);
    const name = user as AclUserName;
    const holders = serversOf(name, servers);
    if (phase === "add")
        return [
            ...holders.map((s): UsersAction => ({ op: "add-password", server: s.name, user: name })),
            ...linkActions(name, servers),
            ...persistAll(servers.filter((s) => holders.includes(s) || linkActions(name, [s]).length > 0)),
        ];
    return [...holders.map((s): UsersAction => ({ op: "retire-password", server: s.name, user: name })), ...persistAll(holders)];
}

/** The user an action tells a server to log in as (to check each exists first), if any. */
export function loginNamed(action: UsersAction): AclUserName | undefined {
    return action.op === "replication-login" || action.op === "sentinel-auth" || action.op === "sentinel-peer-login"
        ? action.user
        : undefined;
}

/** One line per action for a log or a dry run: names and ops, never a password. */
export function describeAction(action: UsersAction): string {
    const user = "user" in action ? ` ${action.user}` : "";
    return `${action.server}: ${action.op}${user}`;
}
