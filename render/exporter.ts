import { ExporterEndpoint } from "../settings/address-plan";

/**
 * What an exporter container runs: redis_exporter 1.45 (oliver006/redis_exporter), one per node
 * and Sentinel. The official image is `scratch` with the binary at /redis_exporter and runs as
 * 59000:59000; the test image puts Debian's build at the same path (scripts/build-test-image.sh).
 */
export const EXPORTER_ENTRYPOINT = "/redis_exporter";

/**
 * The password file: a JSON map from the server's URI (exactly the `--redis.addr` value) to its
 * password, read once when the exporter starts (1.45 main.go -> exporter.LoadPwdFile; the lookup
 * is `PasswordMap[uri]` in exporter/redis.go). /etc is the one directory the official image has
 * (/etc/nsswitch.conf, /etc/ssl/certs), and Docker uploads only into directories that exist.
 */
export const EXPORTER_PASSWORD_FILE = "/etc/appscreens-exporter-passwords.json";

/**
 * The image's uid with group root: the uploaded password file is root-owned (the provider writes
 * uploads as root, docs/provider-behaviour.md) with mode 0440, so the exporter reads it through
 * its group and no other uid in the container can.
 */
export const EXPORTER_USER = "59000:0";
export const EXPORTER_FILE_MODE = "0440";

/**
 * Prometheus scrapes every 15 s with a 10 s timeout (render/prometheus.ts); the exporter gives up
 * on its server after 5 s, so a frozen server shows `redis_up 0` instead of a failed scrape.
 */
export const EXPORTER_CONNECTION_TIMEOUT = "5s";

/** With TLS: the files an exporter connects with. */
export interface ExporterTlsFiles {
    /** The stack's CA: the exporter verifies its server's leaf with it. */
    readonly caCert: string;
    /** Its client certificate and key: only with `tls.authClients: yes` (with `optional` none is made). */
    readonly clientCert?: string;
    readonly clientKey?: string;
}

/**
 * Where the TLS files are uploaded in an exporter's container: /etc, as the password file (the
 * one directory the official image has), root-owned with EXPORTER_FILE_MODE, read through its group.
 */
export const EXPORTER_TLS_FILES = {
    caCert: "/etc/appscreens-exporter-ca.pem",
    clientCert: "/etc/appscreens-exporter-client.pem",
    clientKey: "/etc/appscreens-exporter-client-key.pem",
} as const satisfies Required<ExporterTlsFiles>;

/**
 * The server's URI as the exporter is told it and as its password file is keyed: `rediss://` over
 * TLS (redis_exporter 1.45 turns TLS on for that scheme, exporter/redis.go connectToRedis).
 */
export const exporterServerUri = (exporter: ExporterEndpoint, tls: boolean): string =>
    tls ? exporter.serverUri.replace(/^redis:\/\//, "rediss://") : exporter.serverUri;

/**
 * The exporter's command line: addresses and paths only, never a password or a key. `passwordFile`
 * and `listen` differ only where the exporter runs outside its container (the host tests), and so
 * do the TLS files' paths.
 */
export function exporterArgs(
    exporter: ExporterEndpoint,
    passwordFile = EXPORTER_PASSWORD_FILE,
    listen = `:${exporter.port}`,
    options: ExporterLogin = {},
): string[] {
    return [
        `--redis.addr=${exporterServerUri(exporter, options.tls !== undefined)}`,
        // On a users stack: its own user (a name, no secret), and no CONFIG GET, which that user is
        // refused because it returns masterauth in clear (docs/security.md).
        ...(options.user ? [`--redis.user=${options.user}`, "--config-command=-"] : []),
        `--redis.password-file=${passwordFile}`,
        // Flags of redis_exporter 1.45 (Debian's prometheus-redis-exporter --help): the CA it checks
        // the server's leaf against, and its client certificate when the servers require one.
        ...(options.tls
            ? [
                  `--tls-ca-cert-file=${options.tls.caCert}`,
                  ...(options.tls.clientCert && options.tls.clientKey
                      ? [`--tls-client-cert-file=${options.tls.clientCert}`, `--tls-client-key-file=${options.tls.clientKey}`]
                      : []),
              ]
            : []),
        `--web.listen-address=${listen}`,
        `--connection-timeout=${EXPORTER_CONNECTION_TIMEOUT}`,
    ];
}

/** Who an exporter logs in as (absent: `default`, a stack without users), and over TLS with which files. */
export interface ExporterLogin {
    readonly user?: string;
    readonly tls?: ExporterTlsFiles;
}

/** The password file's content for one exporter (a secret: it holds the server's password); keyed as `--redis.addr` is. */
export function renderExporterPasswordFile(exporter: ExporterEndpoint, password: string, tls = false): string {
    return `${JSON.stringify({ [exporterServerUri(exporter, tls)]: password }, null, 2)}\n`;
}
