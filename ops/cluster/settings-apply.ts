import { createHash } from "node:crypto";
import type Redis from "ioredis";
import { DIRECTIVES, settingsToChange } from "../../render/directives";
import { PREVIOUS_KEY, PROJECT } from "../../settings/validate";
import { linkUsers } from "../../render/acl-users";
import { directClient } from "../redis/connect";
import { NodeSettingsRequest, SentinelSettingsRequest, SettingsRequest } from "../../contracts/settings-env";
import { AccessControl, accessCommands } from "../redis/access-commands";
import { replyCode } from "../redis/errors";
import { NodeConfig, nodeCommands } from "../redis/node-commands";
import { SentinelCommands, sentinelCommands } from "../redis/sentinel-commands";
import { readPeerCertificate } from "../verify/tls-expiry";
import type { LeafInstaller } from "../docker/tls-files";
import { RenewalResult, RenewalTarget, renewServerLeaf, TlsRenewalError } from "./tls-renewal";

/**
 * Why a settings step failed, for the CLI's message and the tests (never matched on text).
 * `kept-volumes`: the server refuses every configured password and runs on a volume an earlier
 * deploy left (ops/cluster/kept-volumes.ts), which the CLI tells apart from `rejected-passwords`.
 */
export type SettingsFailureKind =
    | "unreachable"
    | "rejected-passwords"
    | "kept-volumes"
    | "command-failed"
    | "deadline"
    /** A users stack's server refuses the tools' login, or runs without the users (ops/cluster/settings-apply.ts usersRefusal). */
    | "users-mismatch";

export class SettingsApplyError extends Error {
    constructor(
        readonly kind: SettingsFailureKind,
        message: string,
        /** For `rejected-passwords`: the reply code of each refused AUTH (WRONGPASS, ...). */
        readonly refused: readonly string[] = [],
    ) {
        super(message);
        this.name = "SettingsApplyError";
    }
}

/** What one run changed on one server; printed as the step's stdout, so it never holds a secret. */
export interface SettingsResult {
    readonly server: string;
    readonly changed: { name: string; from: string | undefined; to: string }[];
    /** Whether the accepted passwords (or the ones it presents to others) changed. */
    readonly passwordsChanged: boolean;
    /** Whether the previous password was still the one the server accepted on connect. */
    readonly connectedWithPrevious: boolean;
    /** On a TLS stack: the certificate the server served before and after, and whether it was renewed. */
    readonly tls?: RenewalResult;
}

const AUTH_CODES = new Set(["WRONGPASS", "NOAUTH", "ERR"]);

/** Connects, then authenticates with the first password the server accepts, the new one first. */
async function connectWithAny(
    target: SettingsRequest["target"],
    candidates: readonly (string | undefined)[],
    user?: string,
    tls?: SettingsRequest["tls"],
): Promise<{ client: Redis; previous: boolean }> {
    const passwords = candidates.filter((p): p is string => Boolean(p));
    // No password on connect: an AUTH reply then says exactly which password was refused.
    const client = directClient({ host: target.host, port: target.port }, undefined, { tls });
    try {
        await client.connect();
    } catch (err) {
        client.disconnect();
        throw new SettingsApplyError(
            "unreachable",
            `${target.name} (${target.host}:${target.port}) did not answer: ${err instanceof Error ? err.message : String(err)}`,
        );
    }
    const refused: string[] = [];
    const access = accessCommands(client);
    for (const [i, password] of passwords.entries()) {
        try {
            await access.auth(password, user);
            return { client, previous: i > 0 };
        } catch (err) {
            refused.push(replyCode(err) || "error");
            if (!AUTH_CODES.has(replyCode(err))) {
                client.disconnect();
                throw new SettingsApplyError(
                    "unreachable",
                    `${target.name} failed during AUTH: ${err instanceof Error ? err.message : String(err)}`,
                );
            }
        }
    }
    client.disconnect();
    if (user !== undefined) throw usersRefusal(target.name, `refuses the ${user} login (${refused.join(", ")})`);
    const previousKey = PREVIOUS_KEY[target.kind];
    throw new SettingsApplyError(
        "rejected-passwords",
        `${target.name} rejects the configured password${passwords.length > 1 ? "s (new and previous)" : ""} (${refused.join(", ")})` +
            (passwords.length > 1
                ? ""
                : `. To rotate a password, set the old one as ${previousKey} (secret) together with the new one, deploy, then remove ${previousKey} and deploy again (docs/operations.md, "Rotating passwords")`),
        refused,
    );
}

/**
 * A users stack's step met a server that is not one: it refuses the tools' login, or it has no
 * `masteruser`. Turning `cluster.users.enabled` on for a stack deployed without it is the later
 * migration (docs/security.md), so the step names the setting rather than change anything.
 */
export function usersRefusal(server: string, what: string): SettingsApplyError {
    return new SettingsApplyError(
        "users-mismatch",
        `${server} ${what}: with ${PROJECT}:cluster.users.enabled every server must have been created with the ACL users, ` +
            `and this one was not (or its volume is from another state). A deployed stack moves onto the users only through the migration ` +
            `steps 1, 1b and 2 before this deploy (docs/security.md, "Moving an existing stack onto users"); otherwise ` +
            `set cluster.users.enabled back to what the stack was created with (docs/security.md, "A creation-time choice")`,
    );
}

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

/** The default user accepts exactly `passwords`? ACL GETUSER shows their SHA-256, never the text. */
async function acceptsExactly(access: AccessControl, passwords: readonly string[]): Promise<boolean> {
    const hashes = (await access.passwordHashes("default")).sort();
    return JSON.stringify(hashes) === JSON.stringify(passwords.map(sha256).sort());
}

/** Sets the default user's passwords to exactly `passwords` (the first is the current one). */
async function setAcceptedPasswords(access: AccessControl, passwords: readonly string[]): Promise<void> {
    await access.setUser("default", ["on", "resetpass", ...passwords.map((p) => `>${p}`)]);
}

export type Applied = Omit<SettingsResult, "server" | "connectedWithPrevious">;

/**
 * A users stack's node: its passwords are the users' in its config, so only the directives change.
 * It must replicate as the replication user; a node without `masteruser` was made without users.
 */
async function appliedWithUsers(server: string, client: NodeConfig, changed: Applied["changed"]): Promise<Applied> {
    const { masteruser } = await client.configGet("masteruser");
    if (masteruser !== linkUsers().masteruser) throw usersRefusal(server, `has masteruser "${masteruser ?? ""}"`);
    if (changed.length > 0) await client.configRewrite();
    return { changed, passwordsChanged: false };
}

/** Brings one node to the request's settings and passwords (exported for the tests' fakes). */
export async function applyToNode(client: NodeConfig, access: AccessControl, request: NodeSettingsRequest): Promise<Applied> {
    const current: Record<string, string> = {};
    for (const name of Object.keys(request.directives)) Object.assign(current, await client.configGet(name));
    const changed = settingsToChange(DIRECTIVES.redis, request.directives, current);
    for (const c of changed) await client.configSet(c.name, c.to);
    if (request.users) return appliedWithUsers(request.target.name, client, changed);

    const password = request.passwords.redis;
    const accepted = [password, ...(request.passwords.redisPrevious ? [request.passwords.redisPrevious] : [])];
    const auth = await client.configGet("masterauth");
    const requirepass = await client.configGet("requirepass");
    let passwordsChanged = false;
    // While rotating, one atomic ACL SETUSER makes the node accept both passwords (requirepass
    // would reset it to one). Once the previous one is dropped, requirepass takes the new one
    // alone. What a replica presents to its master (masterauth) is the password every node is
    // sure to accept whatever order the nodes' steps run in: the previous one while rotating,
    // then the new one, which every node has accepted since the first rotation deploy.
    if (!request.passwords.redisPrevious && requirepass.requirepass !== password) {
        await client.configSet("requirepass", password);
        passwordsChanged = true;
    }
    if (!(await acceptsExactly(access, accepted))) {
        await setAcceptedPasswords(access, accepted);
        passwordsChanged = true;
    }
    const presented = request.passwords.redisPrevious ?? password;
    if (auth.masterauth !== presented) {
        await client.configSet("masterauth", presented);
        passwordsChanged = true;
    }
    // Persist, so a restart keeps it (the live config in the volume belongs to the server).
    if (changed.length > 0 || passwordsChanged) await client.configRewrite();
    return { changed, passwordsChanged };
}

/** Brings one Sentinel to the request's settings and passwords (exported for the tests' fakes). */
export async function applyToSentinel(
    sentinel: SentinelCommands,
    access: AccessControl,
    request: SentinelSettingsRequest,
): Promise<Applied> {
    const { masterName } = request.target;
    const master = await sentinel.master(masterName);
    const changed = settingsToChange(DIRECTIVES.sentinel, request.directives, master.fields);
    if (changed.length > 0)
        await sentinel.set(
            masterName,
            changed.map((c): [string, string] => [c.name, c.to]),
        );
    // A users stack's Sentinel logs in as its users (initial config); only the directives change.
    if (request.users) return { changed, passwordsChanged: false };
    // The nodes' password cannot be read back; setting it is idempotent and flushes the config.
    await sentinel.set(masterName, [["auth-pass", request.passwords.redis]]);

    const password = request.passwords.sentinel;
    const accepted = [password, ...(request.passwords.sentinelPrevious ? [request.passwords.sentinelPrevious] : [])];
    let passwordsChanged = false;
    if (!(await acceptsExactly(access, accepted))) {
        await setAcceptedPasswords(access, accepted);
        // What it presents to the other Sentinels: as for masterauth, the previous one while rotating.
        await sentinel.configSet("sentinel-pass", request.passwords.sentinelPrevious ?? password);
        await sentinel.flushConfig();
        passwordsChanged = true;
    }
    return { changed, passwordsChanged };
}

/**
 * What a renewal asks of the step's server: its certificate by handshake, a node's reload over the
 * step's connection, and a Sentinel's quorum over a connection of its own (a restart drops the step's).
 */
function renewalTarget(request: SettingsRequest, client: Redis, candidates: readonly (string | undefined)[]): RenewalTarget {
    const { target, tls } = request;
    if (!tls) throw new Error("a renewal needs the step's TLS material");
    return {
        name: target.name,
        kind: request.kind,
        served: () => readPeerCertificate({ server: target.name, host: target.host, port: target.port, ...tls }),
        reload: async () => {
            const node = nodeCommands(client);
            await node.reloadTls();
            await node.configRewrite();
        },
        quorum: async () => {
            const fresh = await connectWithAny(target, candidates, request.users?.user, tls);
            try {
                await sentinelCommands(fresh.client).ckquorum(target.masterName);
            } finally {
                fresh.client.disconnect();
            }
        },
    };
}

/** What a step needs beyond its request: the server's container, to install a renewed leaf (undefined: not reachable). */
export interface StepContainer {
    readonly installer?: LeafInstaller;
}

/**
 * Applies the runtime settings and passwords to one running server, changing only what differs;
 * on a TLS stack, then brings it to the leaf the step was given (ops/cluster/tls-renewal.ts).
 */
export async function applySettings(request: SettingsRequest, container: StepContainer = {}): Promise<SettingsResult> {
    const { target, passwords } = request;
    const candidates =
        request.kind === "redis" ? [passwords.redis, passwords.redisPrevious] : [passwords.sentinel, passwords.sentinelPrevious];
    const { client, previous } = await connectWithAny(target, candidates, request.users?.user, request.tls);
    try {
        const access = accessCommands(client);
        const result =
            request.kind === "redis"
                ? await applyToNode(nodeCommands(client), access, request)
                : await applyToSentinel(sentinelCommands(client), access, request);
        const tls = request.leaf
            ? await renewServerLeaf(
                  renewalTarget(request, client, candidates),
                  request.leaf,
                  container.installer,
                  request.deadlineSeconds * 1000,
                  // The CAs the step trusts are the ones every server must trust: one bundle per
                  // phase of a CA rotation (components/tls.ts trustPem).
                  request.tls?.ca,
              )
            : undefined;
        return { server: target.name, connectedWithPrevious: previous, ...result, ...(tls ? { tls } : {}) };
    } catch (err) {
        if (err instanceof SettingsApplyError || err instanceof TlsRenewalError) throw err;
        throw new SettingsApplyError("command-failed", `${target.name}: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
        client.disconnect();
    }
}
