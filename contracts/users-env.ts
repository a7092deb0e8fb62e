import { z } from "zod";
import { ACL_USER_NAMES, AclPasswords, CLIENT_USERS } from "../render/acl-users";
import { USERS_ENV } from "./env";

/**
 * The logins a process of a users stack runs with (`cluster.users.enabled`), as they cross into a
 * settings step, the post-deploy command or an operator's CLI: a secret environment variable
 * (USERS_ENV) holding JSON, checked against this schema on both sides. Absent on a stack without
 * users, whose processes still read the two `default` passwords (contracts/env.ts PASSWORD_ENV).
 */
const login = z.strictObject({
    user: z.enum(ACL_USER_NAMES as [string, ...string[]]),
    // Generated: 32 letters and digits. Anything a config line or a shell could misread is refused.
    password: z.string().regex(/^[A-Za-z0-9]{16,512}$/, { error: "must be 16-512 letters and digits" }),
});
export type UserLogin = z.infer<typeof login>;

export const usersCredentialsSchema = z.strictObject({
    /** The stack's own tools (`admin`), on nodes and Sentinels alike. */
    tools: login,
    /** The warmer's logins: `warmer` on nodes, `discovery` on Sentinels. Only the post-deploy command and `warm` need them. */
    warmer: z.strictObject({ nodes: login, sentinels: login }).optional(),
});
export type UsersCredentials = z.infer<typeof usersCredentialsSchema>;

export class UsersEnvError extends Error {
    readonly kind = "bad-environment" as const;
}

/** The logins of the tools and, with `withWarmer`, of the warmer, from every user's password. */
export function usersCredentials(passwords: AclPasswords, withWarmer: boolean): UsersCredentials {
    const as = (user: keyof AclPasswords): UserLogin => ({ user, password: passwords[user] });
    return {
        tools: as(CLIENT_USERS.tools),
        ...(withWarmer ? { warmer: { nodes: as(CLIENT_USERS.warmerOnNodes), sentinels: as(CLIENT_USERS.warmerOnSentinels) } } : {}),
    };
}

/** The environment variable, as the program sets it (inside a secret). */
export const usersEnvironment = (credentials: UsersCredentials): Record<string, string> => ({
    [USERS_ENV]: JSON.stringify(usersCredentialsSchema.parse(credentials)),
});

/** Reads the logins back, checked; undefined when the variable is unset (a stack without users). Never echoes a value. */
export function parseUsersEnvironment(env: NodeJS.ProcessEnv): UsersCredentials | undefined {
    const raw = env[USERS_ENV];
    if (raw === undefined || raw === "") return undefined;
    let json: unknown;
    try {
        json = JSON.parse(raw);
    } catch {
        throw new UsersEnvError(`${USERS_ENV} is not JSON`);
    }
    const parsed = usersCredentialsSchema.safeParse(json);
    if (!parsed.success)
        throw new UsersEnvError(`${USERS_ENV} is malformed at ${parsed.error.issues.map((i) => i.path.join(".") || "(top)").join(", ")}`);
    return parsed.data;
}
