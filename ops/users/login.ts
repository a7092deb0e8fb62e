// How the migration and rotation log in to a server: the first of the logins allowed for the step
// that the server accepts. Each refused AUTH is an ACL LOG entry, so the order matters: before
// step 1 only `default` exists; from step 2 on `admin` does everywhere; step 4 and rotations use
// `admin` only, so `default` goes off over a connection that will still work after it.
import type Redis from "ioredis";
import { HostPort } from "../../settings/connection-info";
import { AclUserName, CLIENT_USERS } from "../../render/acl-users";
import { directClient, Login } from "../redis/connect";
import { ClientTlsMaterial } from "../redis/tls-options";
import { accessCommands } from "../redis/access-commands";
import { replyCode } from "../redis/errors";
import { UsersStepError } from "./errors";

/** Which logins a step tries, in order. */
export type LoginOrder = "default-first" | "admin-first" | "admin-only";

/** Where the logins' passwords come from (the executor's secrets). */
export interface LoginSecrets {
    readonly passwords: Readonly<Record<AclUserName, string>>;
    readonly previous?: Readonly<Partial<Record<AclUserName, string>>>;
    /** The `default` passwords of a stack not yet on users (REDIS_PASSWORD, REDIS_SENTINEL_PASSWORD). */
    readonly defaults?: { readonly redis: string; readonly sentinel: string };
}

/** The logins to try on a server of `kind`, in `order`. */
export function loginsFor(kind: "redis" | "sentinel", order: LoginOrder, secrets: LoginSecrets): Login[] {
    const admin = CLIENT_USERS.tools;
    const admins: Login[] = [
        { user: admin, password: secrets.passwords[admin] },
        ...(secrets.previous?.[admin] ? [{ user: admin, password: secrets.previous[admin] }] : []),
    ];
    const defaults: Login[] = secrets.defaults ? [{ password: secrets.defaults[kind] }] : [];
    if (order === "admin-only") return admins;
    return order === "default-first" ? [...defaults, ...admins] : [...admins, ...defaults];
}

const AUTH_REFUSALS = new Set(["WRONGPASS", "NOAUTH", "ERR"]);

/** A connection authenticated with the first of `logins` the server accepts (RESP2, as the ACL replies are read). */
export async function loginTo(server: string, endpoint: HostPort, logins: readonly Login[], tls?: ClientTlsMaterial): Promise<Redis> {
    // On a TLS stack the handshake carries the tools' certificate before any AUTH.
    const client = directClient(endpoint, undefined, tls ? { tls } : {});
    try {
        await client.connect();
    } catch (err) {
        client.disconnect();
        throw new UsersStepError(
            "unreachable",
            `did not answer at ${endpoint.host}:${endpoint.port} (${err instanceof Error ? err.message : String(err)})`,
            server,
        );
    }
    const access = accessCommands(client);
    const refused: string[] = [];
    for (const login of logins) {
        try {
            await access.auth(login.password, login.user);
            return client;
        } catch (err) {
            if (!AUTH_REFUSALS.has(replyCode(err))) {
                client.disconnect();
                throw new UsersStepError("unreachable", `failed during AUTH (${err instanceof Error ? err.message : String(err)})`, server);
            }
            refused.push(`${login.user ?? "default"} ${replyCode(err)}`);
        }
    }
    client.disconnect();
    throw new UsersStepError(
        "refused-logins",
        `accepted none of the logins this step may use (${refused.join(", ") || "none given"})`,
        server,
    );
}
