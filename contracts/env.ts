/**
 * Every environment variable that crosses a process boundary, each named once: the Pulumi program
 * (components/) sets them, and a CLI, a container's scripts or an app reads them. No imports, so
 * anything (settings/ and render/ included) can name them without pulling in more.
 */

/** The passwords, as every operations CLI reads them (and as the ioredis example names them). */
export const PASSWORD_ENV = {
    redis: "REDIS_PASSWORD",
    sentinel: "REDIS_SENTINEL_PASSWORD",
    /** The ones being rotated out: a settings step accepts them alongside the new ones while set. */
    redisPrevious: "REDIS_PASSWORD_PREVIOUS",
    sentinelPrevious: "REDIS_SENTINEL_PASSWORD_PREVIOUS",
} as const;

/** The post-deploy plan as JSON (no secret in it), set by the post-deploy command (contracts/plan.ts). */
export const PLAN_ENV = "APPSCREENS_POST_DEPLOY";

/**
 * A server's settings step (contracts/settings-env.ts): which server, the runtime directives it
 * must have (one variable each, `directivePrefix` + the name) and the passwords, which Pulumi
 * keeps secret.
 */
export const SETTINGS_ENV = {
    server: "APPSCREENS_SERVER",
    deadlineSeconds: "APPSCREENS_DEADLINE_SECONDS",
    /** The container's id: a replaced container re-runs the step (its id is all that changes). */
    container: "APPSCREENS_CONTAINER_ID",
    directivePrefix: "APPSCREENS_SET_",
    redisPassword: PASSWORD_ENV.redis,
    redisPasswordPrevious: PASSWORD_ENV.redisPrevious,
    sentinelPassword: PASSWORD_ENV.sentinel,
    sentinelPasswordPrevious: PASSWORD_ENV.sentinelPrevious,
} as const;

/**
 * The stack's volume check (contracts/volume-check.ts): its request as JSON, with no secret in it
 * (only whether each password is set).
 */
export const VOLUME_CHECK_ENV = "APPSCREENS_VOLUME_CHECK";

/** What a server container's start scripts read (no secrets); a change replaces the container. */
export const SCRIPT_ENV = {
    self: "APPSCREENS_SELF",
    initialMaster: "APPSCREENS_INITIAL_MASTER",
} as const;

/**
 * With `hosts`, the TLS material of each tcp:// host as JSON (contracts/docker-tls.ts), so the
 * tools reach its engine as its provider does. A secret: set only by the post-deploy command's
 * secret environment, or by an operator for the operations CLIs.
 */
export const DOCKER_TLS_ENV = "APPSCREENS_DOCKER_TLS";

/**
 * On a stack with `cluster.users.enabled`: the logins a process runs with, as JSON
 * (contracts/users-env.ts). A secret: set only by a settings step's or the post-deploy command's
 * secret environment, or by an operator for the operations CLIs.
 */
export const USERS_ENV = "APPSCREENS_USERS";

/**
 * On a stack with `cluster.tls.enabled`: what a process needs to reach the servers over TLS, as
 * JSON (contracts/tls-env.ts): the stack's CA, the client certificate and key of the tools (and of
 * the warmer, for the post-deploy command) and the renewal window of the expiry check. A secret:
 * set only by a settings step's or the post-deploy command's secret environment, or by an
 * operator for the operations CLIs.
 */
export const TLS_ENV = "APPSCREENS_TLS";

/**
 * On a stack with `cluster.tls.enabled`, in a server's settings step only: the certificate and key
 * that server must serve, as JSON (contracts/tls-env.ts tlsServerSchema). The step installs them
 * into the running server when it serves another (a renewal: ops/cluster/tls-renewal.ts). A secret,
 * in the step's secret environment only.
 */
export const TLS_SERVER_ENV = "APPSCREENS_TLS_SERVER";

/**
 * The app's TLS material as the ioredis example (settings/connection-info.ts) and the README read
 * it, from the stack outputs tlsCaCert, tlsAppClientCert and tlsAppClientKey.
 */
export const APP_TLS_ENV = { ca: "REDIS_TLS_CA", cert: "REDIS_TLS_CERT", key: "REDIS_TLS_KEY" } as const;

/**
 * For moving a stack onto the users and rotating one (cli/migrate-users.ts, cli/rotate-user.ts):
 * every user's password, and while rotating the one being retired, as JSON
 * (contracts/user-passwords-env.ts). A secret, set only by an operator for those CLIs.
 */
export const USER_PASSWORDS_ENV = "APPSCREENS_USER_PASSWORDS";
