import { z } from "zod";
import { ServerKind } from "../settings/address-plan";
import {
    Directive,
    DirectiveName,
    DIRECTIVES,
    DirectiveValues,
    RedisDirectiveName,
    runtimeDirectives,
    SentinelDirectiveName,
} from "../render/directives";
import { SETTINGS_ENV } from "./env";
import { dockerHostRefSchema } from "./docker-hosts";
import { parseUsersEnvironment, UserLogin } from "./users-env";
import { connectionMaterial, parseTlsEnvironment, parseTlsServerEnvironment, ServerLeaf } from "./tls-env";

/**
 * The environment of a server's settings step (a `local.Command` per server): which server, the
 * runtime directives it must have, one variable each so that `pulumi preview` shows exactly which
 * setting changes on which server, and the passwords, which Pulumi keeps secret. Kept apart from
 * the CLI so the program loads nothing of ioredis to declare the command. The names are in
 * contracts/env.ts.
 */
const targetFields = {
    name: z.string().min(1),
    /** The stack it belongs to, for commands the step's messages give. */
    stack: z.string().min(1),
    /** Where the Pulumi host reaches it (published port). */
    host: z.string().min(1),
    port: z.int().min(1).max(65535),
    masterName: z.string().min(1),
    /** With `hosts`: the host its container is on, so the step reads that container's log there. */
    dockerHost: dockerHostRefSchema.optional(),
};

export const serverTargetSchema = z.discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("redis"), ...targetFields }),
    z.strictObject({ kind: z.literal("sentinel"), ...targetFields }),
]);
export type ServerTarget = z.infer<typeof serverTargetSchema>;
export type TargetOf<K extends ServerKind> = Extract<ServerTarget, { readonly kind: K }>;

/** On the settings step's `create` only: the step's first run for this server in this state. */
export const FIRST_RUN_FLAG = "--first-run";

/**
 * `maxmemory-policy` -> `APPSCREENS_SET_MAXMEMORY_POLICY`. Only shell-identifier names survive:
 * the command runs under /bin/sh, and dash drops variables whose names have a '-'.
 */
export const directiveEnvName = (directive: string): string =>
    `${SETTINGS_ENV.directivePrefix}${directive.toUpperCase().replace(/-/g, "_")}`;

/** The non-secret part of the environment: the target and one variable per runtime directive. */
export function settingsEnvironment(target: ServerTarget, directives: DirectiveValues, deadlineSeconds: number): Record<string, string> {
    const environment: Record<string, string> = {
        [SETTINGS_ENV.server]: JSON.stringify(target),
        [SETTINGS_ENV.deadlineSeconds]: String(deadlineSeconds),
    };
    for (const [name, value] of Object.entries(directives)) if (value !== undefined) environment[directiveEnvName(name)] = value;
    return environment;
}

/** The passwords as the environment held them; each kind's request says which it is sure to have. */
export interface StepPasswords {
    readonly redis?: string;
    readonly redisPrevious?: string;
    readonly sentinel?: string;
    readonly sentinelPrevious?: string;
}

interface RequestOf<K extends ServerKind, N extends DirectiveName, P extends StepPasswords> {
    readonly kind: K;
    readonly target: TargetOf<K>;
    readonly directives: DirectiveValues<N>;
    readonly deadlineSeconds: number;
    readonly passwords: P;
    /**
     * On a stack with `cluster.users.enabled`: the tools' login (USERS_ENV). The step then logs in
     * as that user, whose password is also `passwords`' (the users' passwords are in the initial
     * config, never applied by the step), and changes only the runtime directives.
     */
    readonly users?: UserLogin;
    /** On a stack with `cluster.tls.enabled` (TLS_ENV): the CA and the tools' certificate the step connects with. */
    readonly tls?: { readonly ca: string; readonly cert?: string; readonly key?: string };
    /** On a TLS stack (TLS_SERVER_ENV): the leaf and key the server must serve; the step renews a server serving another. */
    readonly leaf?: ServerLeaf;
}

/** A node's step: its runtime directives and the nodes' password (the previous one too while rotating). */
export type NodeSettingsRequest = RequestOf<"redis", RedisDirectiveName, StepPasswords & { readonly redis: string }>;
/** A Sentinel's step: its runtime directives, its own password and the nodes' (auth-pass). */
export type SentinelSettingsRequest = RequestOf<
    "sentinel",
    SentinelDirectiveName,
    StepPasswords & { readonly redis: string; readonly sentinel: string }
>;
/** What a settings step is asked to apply, by server kind. */
export type SettingsRequest = NodeSettingsRequest | SentinelSettingsRequest;

export class SettingsEnvError extends Error {
    readonly kind = "bad-environment";
}

/** Every runtime directive of `table` from its variable; a missing one is refused. */
function directivesFrom<N extends DirectiveName>(table: readonly Directive<N>[], env: NodeJS.ProcessEnv): DirectiveValues<N> {
    const directives: DirectiveValues<N> = {};
    for (const d of runtimeDirectives(table)) {
        const value = env[directiveEnvName(d.name)];
        if (value === undefined)
            throw new SettingsEnvError(`${directiveEnvName(d.name)} (${d.name}) is missing from the settings step's environment`);
        directives[d.name] = value;
    }
    return directives;
}

/** `password`, or a refusal naming which one the step's environment lacks. */
function required(password: string | undefined, which: "redis" | "sentinel"): string {
    if (!password) throw new SettingsEnvError(`the ${which} password is missing from the settings step's environment`);
    return password;
}

function parseTarget(raw: string | undefined): ServerTarget {
    if (!raw) throw new SettingsEnvError(`${SETTINGS_ENV.server} is not set: this CLI runs from the stack's settings step`);
    let json: unknown;
    try {
        json = JSON.parse(raw);
    } catch (err) {
        throw new SettingsEnvError(`${SETTINGS_ENV.server} is not JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
    const target = serverTargetSchema.safeParse(json);
    if (!target.success) throw new SettingsEnvError(`${SETTINGS_ENV.server} is malformed: ${target.error.message}`);
    return target.data;
}

/** Reads the step's environment back, checked: it crosses a process boundary. */
export function parseSettingsEnvironment(env: NodeJS.ProcessEnv): SettingsRequest {
    const target = parseTarget(env[SETTINGS_ENV.server]);
    const deadlineSeconds = Number(env[SETTINGS_ENV.deadlineSeconds] ?? "120");
    if (!Number.isFinite(deadlineSeconds) || deadlineSeconds <= 0)
        throw new SettingsEnvError(`${SETTINGS_ENV.deadlineSeconds} must be a number of seconds`);
    const secret = (name: string) => (env[name] ? env[name] : undefined);
    const users = parseUsersEnvironment(env)?.tools;
    // On a users stack the step logs in as the tools' user on either kind of server.
    const passwords = users
        ? { redis: users.password, sentinel: users.password }
        : {
              redis: secret(SETTINGS_ENV.redisPassword),
              redisPrevious: secret(SETTINGS_ENV.redisPasswordPrevious),
              sentinel: secret(SETTINGS_ENV.sentinelPassword),
              sentinelPrevious: secret(SETTINGS_ENV.sentinelPasswordPrevious),
          };
    const tlsEnv = parseTlsEnvironment(env);
    const leaf = parseTlsServerEnvironment(env);
    const withUsers = {
        ...(users ? { users } : {}),
        ...(tlsEnv ? { tls: connectionMaterial(tlsEnv, "tools") } : {}),
        ...(leaf ? { leaf } : {}),
    };
    if (target.kind === "redis") {
        const directives = directivesFrom(DIRECTIVES.redis, env);
        return {
            kind: "redis",
            target,
            directives,
            deadlineSeconds,
            passwords: { ...passwords, redis: required(passwords.redis, "redis") },
            ...withUsers,
        };
    }
    const directives = directivesFrom(DIRECTIVES.sentinel, env);
    const redis = required(passwords.redis, "redis");
    return {
        kind: "sentinel",
        target,
        directives,
        deadlineSeconds,
        passwords: { ...passwords, redis, sentinel: required(passwords.sentinel, "sentinel") },
        ...withUsers,
    };
}
