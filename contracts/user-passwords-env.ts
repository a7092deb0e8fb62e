import { z } from "zod";
import { ACL_USER_NAMES, AclPasswords, AclUserName } from "../render/acl-users";
import { USER_PASSWORDS_ENV } from "./env";

/**
 * Every user's password as the migration and rotation CLIs read them: a secret environment
 * variable (USER_PASSWORDS_ENV) holding JSON, checked here. `previous` holds, while a user is
 * being rotated, the password being retired. Never on a command line, never printed.
 */
// Generated: letters and digits only, as contracts/users-env.ts; anything a config line could misread is refused.
const password = z.string().regex(/^[A-Za-z0-9]{16,512}$/, { error: "must be 16-512 letters and digits" });
const names = ACL_USER_NAMES as [AclUserName, ...AclUserName[]];

export const userPasswordsSchema = z.strictObject({
    passwords: z.strictObject(Object.fromEntries(names.map((n) => [n, password])) as Record<AclUserName, typeof password>),
    previous: z
        .strictObject(Object.fromEntries(names.map((n) => [n, password.optional()])) as Record<AclUserName, z.ZodOptional<typeof password>>)
        .optional(),
});

export interface UserPasswords {
    readonly passwords: AclPasswords;
    readonly previous?: Readonly<Partial<Record<AclUserName, string>>>;
}

export class UserPasswordsEnvError extends Error {
    readonly kind = "bad-environment" as const;
}

/** The variable's value, checked: what the `migrationUserPasswords` output holds. */
export const userPasswordsJson = (value: UserPasswords): string => JSON.stringify(userPasswordsSchema.parse(value));

/** The variable as an operator (or a test) sets it. */
export const userPasswordsEnvironment = (value: UserPasswords): Record<string, string> => ({
    [USER_PASSWORDS_ENV]: userPasswordsJson(value),
});

/** Reads the passwords back, checked; names where it is malformed, never a value. */
export function parseUserPasswords(env: NodeJS.ProcessEnv): UserPasswords {
    const raw = env[USER_PASSWORDS_ENV];
    if (raw === undefined || raw === "") throw new UserPasswordsEnvError(`${USER_PASSWORDS_ENV} is not set`);
    let json: unknown;
    try {
        json = JSON.parse(raw);
    } catch {
        throw new UserPasswordsEnvError(`${USER_PASSWORDS_ENV} is not JSON`);
    }
    const parsed = userPasswordsSchema.safeParse(json);
    if (!parsed.success)
        throw new UserPasswordsEnvError(
            `${USER_PASSWORDS_ENV} is malformed at ${parsed.error.issues.map((i) => i.path.join(".") || "(top)").join(", ")}`,
        );
    return parsed.data as UserPasswords;
}
