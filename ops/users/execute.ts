// Runs a users plan (ops/users/plan.ts) on the live servers, one server at a time in the plan's
// order, each action first reading whether it already happened: a rerun of a step that is done
// changes nothing. Passwords are looked up here, sent as SHA-256 hashes to ACL SETUSER and in
// clear only where Redis must present them (masterauth, auth-pass, sentinel-pass); never logged.
import { createHash } from "node:crypto";
import { DEFAULT_USER_LINE, linkUsers } from "../../render/acl-users";
import { HostPort } from "../../settings/connection-info";
import { AclInspect, AccessControl, accessCommands } from "../redis/access-commands";
import { RedisCommandError } from "../redis/errors";
import { NodeConfig, nodeCommands } from "../redis/node-commands";
import { SentinelControl, sentinelCommands } from "../redis/sentinel-commands";
import { DeadlineError, withDeadline } from "../deadline";
import { ClientTlsMaterial } from "../redis/tls-options";
import { UsersStepError } from "./errors";
import { LoginOrder, LoginSecrets, loginsFor, loginTo } from "./login";
import { describeAction, UsersAction } from "./plan";

export interface UsersTarget {
    readonly name: string;
    readonly kind: "redis" | "sentinel";
    /** Where this process reaches it. */
    readonly endpoint: HostPort;
}

export interface UsersRun {
    readonly targets: readonly UsersTarget[];
    readonly masterName: string;
    readonly secrets: LoginSecrets;
    readonly loginOrder: LoginOrder;
    readonly deadlineSeconds: number;
    /** A TLS stack's client material (the tools' certificate); absent on a plaintext stack. */
    readonly tls?: ClientTlsMaterial;
    readonly log?: (line: string) => void;
}

/** What one action did: `changed` false when it had already happened (or only persisted). */
export interface ActionResult {
    readonly action: string;
    readonly changed: boolean;
}

const sha256 = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");
/** `default`'s rules once off, the rendered ones (render/acl-users.ts): +@all kept for AOF replay (redis/redis#14541). */
const DEFAULT_OFF_RULES = DEFAULT_USER_LINE.split(" ").slice(2);

interface ServerSession {
    readonly target: UsersTarget;
    readonly access: AccessControl & AclInspect;
    readonly node: NodeConfig;
    readonly sentinel: SentinelControl;
}

function passwordOf(run: UsersRun, user: keyof LoginSecrets["passwords"], server: string): string {
    const password = run.secrets.passwords[user];
    if (!password) throw new UsersStepError("missing-password", `no password for ${user}`, server);
    return password;
}

/** One action on a server it is logged in to; true when it changed something. */
async function perform(run: UsersRun, s: ServerSession, action: UsersAction): Promise<boolean> {
    const server = s.target.name;
    switch (action.op) {
        case "create-user": {
            const password = passwordOf(run, action.user, server);
            const existing = await s.access.aclUser(action.user);
            if (existing) {
                if (existing.passwordHashes.includes(sha256(password))) return false;
                throw new UsersStepError("user-conflict", `the user ${action.user} exists and refuses the password given`, server);
            }
            await s.access.setUser(action.user, ["reset", "on", `#${sha256(password)}`, ...action.rules]);
            return true;
        }
        case "persist":
            if (s.target.kind === "redis") await s.node.configRewrite();
            else await s.sentinel.flushConfig();
            return false;
        case "replication-login": {
            const password = passwordOf(run, action.user, server);
            const current = { ...(await s.node.configGet("masteruser")), ...(await s.node.configGet("masterauth")) };
            if (current.masteruser === action.user && current.masterauth === password) return false;
            // A replica's link authenticates when it (re)connects, not on CONFIG SET: a link up
            // now stays up. Only a reconnect between these two commands would try a mixed pair once.
            if (current.masteruser !== action.user) await s.node.configSet("masteruser", action.user);
            await s.node.configSet("masterauth", password);
            return true;
        }
        case "sentinel-auth":
            // auth-pass cannot be read back; setting the same pair again changes nothing but makes
            // the Sentinel reconnect to the master, which re-proves the login.
            await s.sentinel.set(run.masterName, [
                ["auth-user", action.user],
                ["auth-pass", passwordOf(run, action.user, server)],
            ]);
            return true;
        case "sentinel-peer-login":
            // No moment may pair a user with a password the peers refuse (each refusal is an ACL
            // LOG entry). A Docker stack's Sentinels present sentinel-pass, the `default` password,
            // with no user: the user set first would go with that password, the password set first
            // would go to `default`. So when the user is not this one yet, sentinel-pass goes off
            // first (a Sentinel without it presents its requirepass as `default`, which its peers
            // accept until step 4), then the user, then its password. A rotation (the user already
            // set) changes only the password.
            if ((await s.sentinel.configGet("sentinel-user")) !== action.user) {
                await s.sentinel.configSet("sentinel-pass", "");
                await s.sentinel.configSet("sentinel-user", action.user);
            }
            await s.sentinel.configSet("sentinel-pass", passwordOf(run, action.user, server));
            return true;
        case "default-off": {
            if (s.target.kind === "redis") {
                const { masteruser } = await s.node.configGet("masteruser");
                if (masteruser !== linkUsers().masteruser)
                    throw new UsersStepError(
                        "out-of-order",
                        `masteruser is "${masteruser ?? ""}": run step 2 before turning default off`,
                        server,
                    );
            }
            const before = await s.access.aclUser("default");
            const done =
                before !== undefined &&
                before.flags.includes("off") &&
                before.passwordHashes.length === 0 &&
                !before.flags.includes("nopass");
            if (!done) await s.access.setUser("default", DEFAULT_OFF_RULES);
            if (s.target.kind === "redis") {
                const { requirepass } = await s.node.configGet("requirepass");
                if (requirepass) {
                    // Clearing requirepass makes default `nopass` (still off, so no one is it);
                    // resetpass then drops that too. The config file keeps no stale password.
                    await s.node.configSet("requirepass", "");
                    await s.access.setUser("default", ["resetpass"]);
                    return true;
                }
            }
            return !done;
        }
        case "add-password": {
            const hash = sha256(passwordOf(run, action.user, server));
            const user = await s.access.aclUser(action.user);
            if (!user) throw new UsersStepError("out-of-order", `no user ${action.user} to rotate: create the users first`, server);
            if (user.passwordHashes.includes(hash)) return false;
            await s.access.setUser(action.user, [`#${hash}`]);
            return true;
        }
        case "retire-password": {
            const hash = sha256(passwordOf(run, action.user, server));
            const previous = run.secrets.previous?.[action.user];
            if (!previous) throw new UsersStepError("missing-password", `no previous password for ${action.user} to retire`, server);
            const user = await s.access.aclUser(action.user);
            if (!user?.passwordHashes.includes(hash))
                throw new UsersStepError(
                    "out-of-order",
                    `${action.user} does not accept the new password yet: run the add phase first`,
                    server,
                );
            if (!user.passwordHashes.includes(sha256(previous))) return false;
            await s.access.setUser(action.user, [`!${sha256(previous)}`]);
            return true;
        }
    }
}

/** Runs `actions` in order, a connection per run of actions on one server, within the deadline. */
export async function executeUsersPlan(run: UsersRun, actions: readonly UsersAction[]): Promise<ActionResult[]> {
    const results: ActionResult[] = [];
    let current = "connecting";
    const work = async (): Promise<ActionResult[]> => {
        let i = 0;
        while (i < actions.length) {
            const serverName = actions[i].server;
            const target = run.targets.find((t) => t.name === serverName);
            if (!target) throw new UsersStepError("unreachable", "is not a server of this stack's plan", serverName);
            const client = await loginTo(target.name, target.endpoint, loginsFor(target.kind, run.loginOrder, run.secrets), run.tls);
            try {
                const session: ServerSession = {
                    target,
                    access: accessCommands(client),
                    node: nodeCommands(client),
                    sentinel: sentinelCommands(client),
                };
                for (; i < actions.length && actions[i].server === serverName; i++) {
                    current = describeAction(actions[i]);
                    try {
                        const changed = await perform(run, session, actions[i]);
                        results.push({ action: current, changed });
                        run.log?.(`${current}: ${changed ? "done" : "already so"}`);
                    } catch (err) {
                        if (err instanceof UsersStepError) throw err;
                        const kind = err instanceof RedisCommandError && err.kind === "no-answer" ? "unreachable" : "command-failed";
                        throw new UsersStepError(
                            kind,
                            `${actions[i].op} failed: ${err instanceof Error ? err.message : String(err)}`,
                            serverName,
                        );
                    }
                }
            } finally {
                client.disconnect();
            }
        }
        return results;
    };
    try {
        return await withDeadline(run.deadlineSeconds, () => current, work);
    } catch (err) {
        if (err instanceof DeadlineError) throw new UsersStepError("deadline", err.message);
        throw err;
    }
}
