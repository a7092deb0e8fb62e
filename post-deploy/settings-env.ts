import { z } from "zod";
import { ServerKind } from "../config-templates/container-scripts";
import { REDIS_DIRECTIVES, runtimeDirectives, SENTINEL_DIRECTIVES } from "../config-templates/directives";

/**
 * The environment of a server's settings step (a `local.Command` per server): which server, the
 * runtime directives it must have, one variable each so that `pulumi preview` shows exactly which
 * setting changes on which server, and the passwords, which Pulumi keeps secret. Kept apart from
 * the CLI so the program loads nothing of ioredis to declare the command.
 */
export const SETTINGS_ENV = {
    server: "APPSCREENS_SERVER",
    deadlineSeconds: "APPSCREENS_DEADLINE_SECONDS",
    /** The container's id: a replaced container re-runs the step (its id is all that changes). */
    container: "APPSCREENS_CONTAINER_ID",
    directivePrefix: "APPSCREENS_SET_",
    redisPassword: "REDIS_PASSWORD",
    redisPasswordPrevious: "REDIS_PASSWORD_PREVIOUS",
    sentinelPassword: "REDIS_SENTINEL_PASSWORD",
    sentinelPasswordPrevious: "REDIS_SENTINEL_PASSWORD_PREVIOUS",
} as const;

export const serverTargetSchema = z.strictObject({
    kind: z.enum(["redis", "sentinel"]),
    name: z.string().min(1),
    /** The stack it belongs to, for commands the step's messages give. */
    stack: z.string().min(1),
    /** Where the Pulumi host reaches it (published port). */
    host: z.string().min(1),
    port: z.int().min(1).max(65535),
    masterName: z.string().min(1),
});
export type ServerTarget = z.infer<typeof serverTargetSchema> & { readonly kind: ServerKind };

/** On the settings step's `create` only: the step's first run for this server in this state. */
export const FIRST_RUN_FLAG = "--first-run";

/**
 * `maxmemory-policy` -> `APPSCREENS_SET_MAXMEMORY_POLICY`. Only shell-identifier names survive:
 * the command runs under /bin/sh, and dash drops variables whose names have a '-'.
 */
export const directiveEnvName = (directive: string): string =>
    `${SETTINGS_ENV.directivePrefix}${directive.toUpperCase().replace(/-/g, "_")}`;

/** The non-secret part of the environment: the target and one variable per runtime directive. */
export function settingsEnvironment(target: ServerTarget, directives: Readonly<Record<string, string>>, deadlineSeconds: number) {
    return {
        [SETTINGS_ENV.server]: JSON.stringify(target),
        [SETTINGS_ENV.deadlineSeconds]: String(deadlineSeconds),
        ...Object.fromEntries(Object.entries(directives).map(([name, value]) => [directiveEnvName(name), value])),
    };
}

export interface SettingsRequest {
    readonly target: ServerTarget;
    readonly directives: Readonly<Record<string, string>>;
    readonly deadlineSeconds: number;
    readonly passwords: {
        readonly redis?: string;
        readonly redisPrevious?: string;
        readonly sentinel?: string;
        readonly sentinelPrevious?: string;
    };
}

export class SettingsEnvError extends Error {
    readonly kind = "bad-environment";
}

/** Reads the step's environment back, checked: it crosses a process boundary. */
export function parseSettingsEnvironment(env: NodeJS.ProcessEnv): SettingsRequest {
    const raw = env[SETTINGS_ENV.server];
    if (!raw) throw new SettingsEnvError(`${SETTINGS_ENV.server} is not set: this CLI runs from the stack's settings step`);
    const target = serverTargetSchema.safeParse(JSON.parse(raw));
    if (!target.success) throw new SettingsEnvError(`${SETTINGS_ENV.server} is malformed: ${target.error.message}`);
    const deadlineSeconds = Number(env[SETTINGS_ENV.deadlineSeconds] ?? "120");
    if (!Number.isFinite(deadlineSeconds) || deadlineSeconds <= 0)
        throw new SettingsEnvError(`${SETTINGS_ENV.deadlineSeconds} must be a number of seconds`);
    const table = runtimeDirectives(target.data.kind === "redis" ? REDIS_DIRECTIVES : SENTINEL_DIRECTIVES);
    const directives: Record<string, string> = {};
    for (const d of table) {
        const value = env[directiveEnvName(d.name)];
        if (value === undefined)
            throw new SettingsEnvError(`${directiveEnvName(d.name)} (${d.name}) is missing from the settings step's environment`);
        directives[d.name] = value;
    }
    const secret = (name: string) => (env[name] ? env[name] : undefined);
    const passwords = {
        redis: secret(SETTINGS_ENV.redisPassword),
        redisPrevious: secret(SETTINGS_ENV.redisPasswordPrevious),
        sentinel: secret(SETTINGS_ENV.sentinelPassword),
        sentinelPrevious: secret(SETTINGS_ENV.sentinelPasswordPrevious),
    };
    const needed = target.data.kind === "redis" ? ["redis"] : ["redis", "sentinel"];
    for (const n of needed) {
        if (!passwords[n as "redis" | "sentinel"])
            throw new SettingsEnvError(`the ${n} password is missing from the settings step's environment`);
    }
    return { target: target.data, directives, deadlineSeconds, passwords };
}
