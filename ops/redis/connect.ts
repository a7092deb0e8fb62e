import Redis from "ioredis";
import { HostPort } from "../../settings/connection-info";
import { natMapOf, PostDeployPlan, sentinelAddresses, Vantage } from "../../contracts/plan";
import { SentinelCommands, sentinelCommands } from "./sentinel-commands";
import { Connection } from "./send";
import { ClientTlsMaterial, directTlsOptions, sentinelTlsOptions } from "./tls-options";
import { retireDetectorOnClose } from "./failover-detector";

/** A TLS stack's material as a process holds it: what to connect with, and the expiry check's window. */
export interface ClientTls extends ClientTlsMaterial {
    /** `tls.renewalWindowHours`: the verifier fails a certificate with this long or less left. */
    readonly renewalWindowHours: number;
}

export interface Credentials {
    readonly redisPassword: string;
    readonly sentinelPassword: string;
    /** On a stack with `cluster.users.enabled`: the user each password belongs to; absent, `default`. */
    readonly redisUser?: string;
    readonly sentinelUser?: string;
    /** The warmer's own logins (`warmer`, `discovery` on a users stack) or certificate (TLS), used instead of the tools'. */
    readonly warmer?: Credentials;
    /** On a TLS stack: every connection these credentials open speaks TLS with this material. */
    readonly tls?: ClientTls;
}

/** One login: a user (absent: `default`) and its password. */
export interface Login {
    readonly user?: string;
    readonly password: string;
    /** On a TLS stack: the CA and client certificate the connection presents. */
    readonly tls?: ClientTlsMaterial;
}

/** How a direct connection authenticates: a `default` password, a login, or nothing (AUTH comes later). */
export type Auth = string | Login | undefined;

/** The login these credentials use on nodes. */
export const nodeLogin = (c: Credentials): Login => ({ user: c.redisUser, password: c.redisPassword, ...(c.tls ? { tls: c.tls } : {}) });
/** The login these credentials use on Sentinels. */
export const sentinelLogin = (c: Credentials): Login => ({
    user: c.sentinelUser,
    password: c.sentinelPassword,
    ...(c.tls ? { tls: c.tls } : {}),
});

const loginOf = (auth: Auth): Login | undefined => (typeof auth === "string" ? { password: auth } : auth);

/**
 * A Sentinel-mode client that writes only to the current master and leaves a demoted one fast.
 * `commandTimeoutMs` overrides the bound of each command (the drill's probes want a short one);
 * `connectTimeoutMs` the bound of each TCP connect, to a Sentinel or a node (bench/host-crash.ts
 * compares settings: a connect to a dead host's address gets no refusal and waits all of it);
 * `retryDelayMs` a fixed pause between reconnects in place of ioredis' growing one;
 * `disconnectTimeoutMs` how long a connection the failover detector ends may wait for its peer's
 * FIN before it is destroyed (ioredis waits 2 s; a dead host never answers).
 */
export function sentinelClient(
    plan: PostDeployPlan,
    credentials: Credentials,
    vantage: Vantage = "host",
    options: { commandTimeoutMs?: number; connectTimeoutMs?: number; retryDelayMs?: number; disconnectTimeoutMs?: number } = {},
): Redis {
    const client = new Redis({
        // TLS to the Sentinels and to the master they name alike (ops/redis/tls-options.ts).
        ...(credentials.tls ? sentinelTlsOptions(credentials.tls) : {}),
        sentinels: sentinelAddresses(plan, vantage),
        name: plan.masterName,
        ...(credentials.redisUser ? { username: credentials.redisUser } : {}),
        password: credentials.redisPassword,
        ...(credentials.sentinelUser ? { sentinelUsername: credentials.sentinelUser } : {}),
        sentinelPassword: credentials.sentinelPassword,
        failoverDetector: true,
        natMap: vantage === "host" ? natMapOf(plan) : undefined,
        maxRetriesPerRequest: 3,
        // Bounded: a write to a server that never answers (a demoted master under a client pause,
        // a partition) fails instead of hanging the deploy.
        connectTimeout: options.connectTimeoutMs ?? 5000,
        commandTimeout: options.commandTimeoutMs ?? 10_000,
        ...(options.retryDelayMs === undefined ? {} : { retryStrategy: () => options.retryDelayMs }),
        ...(options.disconnectTimeoutMs === undefined ? {} : { disconnectTimeout: options.disconnectTimeoutMs }),
    });
    // Errors surface on the commands that fail; the connection's own retries are not news.
    client.on("error", () => undefined);
    return retireDetectorOnClose(client);
}

/** One node or Sentinel, directly; commands give up rather than hang on a stopped container. */
export function directClient(
    endpoint: HostPort,
    auth: Auth,
    options: { readyCheck?: boolean; /** TLS for a connection with no login yet (AUTH comes later). */ tls?: ClientTlsMaterial } = {},
): Redis {
    const login = loginOf(auth);
    const password = login?.password;
    const tls = login?.tls ?? options.tls;
    const client = new Redis({
        ...(tls ? directTlsOptions(tls) : {}),
        ...(options.readyCheck === false ? { enableReadyCheck: false } : {}),
        // Without a password, RESP3's HELLO and the ready check (INFO) would be refused before the
        // caller's own AUTH; RESP2 connects and lets AUTH say which password was refused.
        ...(password === undefined ? { enableReadyCheck: false, protocol: 2 as const } : {}),
        host: endpoint.host,
        port: endpoint.port,
        ...(login?.user ? { username: login.user } : {}),
        password,
        maxRetriesPerRequest: 0,
        commandTimeout: 3000,
        connectTimeout: 3000,
        retryStrategy: () => null,
        lazyConnect: true,
    });
    client.on("error", () => undefined);
    return client;
}

/** One Sentinel, directly, through its typed commands (sentinel-commands.ts); connected on the first command. */
export function directSentinel(endpoint: HostPort, auth: Auth): SentinelCommands & Connection {
    // No ready check: its INFO tells nothing about a Sentinel's readiness, and a users stack's
    // `discovery` (the warmer's Sentinel user) is refused INFO, which ACL LOG then records (found
    // by the live users suite, now tests/live/tls.test.ts). ioredis's own Sentinel connections skip it too.
    return sentinelCommands(directClient(endpoint, auth, { readyCheck: false }));
}

/** Runs `use` on a fresh direct connection and closes it: for a node that may restart or be demoted between uses. */
export async function withDirectClient<T>(endpoint: HostPort, auth: Auth, use: (client: Redis) => Promise<T>): Promise<T> {
    const client = directClient(endpoint, auth);
    try {
        return await use(client);
    } finally {
        client.disconnect();
    }
}
