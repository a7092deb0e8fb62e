// The TLS directives of a node and of a Sentinel (issue 17, TLS part 1): TLS-only on the server's
// own port, its leaf and the stack's CA at fixed paths, client certificates required or optional,
// and TLS on every link a server opens itself. Part of every initial redis.conf / sentinel.conf of a
// stack with `cluster.tls.enabled` (render/redis-conf.ts, render/sentinel-conf.ts); proven on host
// processes (tests/host/tls.test.ts, docs/tls.md).
//
// What Redis 7.0 takes (redis 7.0.15 redis.conf "TLS/SSL", src/config.c, src/sentinel.c):
// - `port 0` turns the plaintext listener off; `tls-port` is the TLS listener.
// - `tls-replication yes` makes a replica's link to its master TLS. A Sentinel reads the same
//   setting for all of its own links (sentinel.c instanceLinkConnect: the command and pub/sub
//   links to masters, replicas and peer Sentinels negotiate TLS when `server.tls_replication`),
//   and announces its `tls-port` in its hello messages only then (sentinelSendHello), so peers
//   find it on the TLS port. A Sentinel without it would talk plaintext to TLS-only nodes.
// - Outgoing links present `tls-client-cert-file` when set, else `tls-cert-file`: a server's leaf
//   carries client auth too (settings/tls-plan.ts SERVER_USES), so one file pair serves both.
// - `tls-cluster` is for Redis Cluster's bus only: not rendered.
// - `tls-cert-file` / `tls-key-file` are re-read by `CONFIG SET` on a node (VOLATILE_CONFIG since
//   7.0.1: setting the same path reloads it); a Sentinel has no CONFIG command and its
//   `SENTINEL CONFIG SET` takes none of the tls-* settings, so a Sentinel renews by restarting.
import { TlsConfig } from "../settings/schema";
import { StackSettings } from "../settings/validate";
import { ConfSection } from "./conf-file";
import { CONTAINER_PATHS, REDIS_USER } from "./paths";

/** Where a server's TLS files are read from. */
export interface TlsFiles {
    /** The stack's CA: what a server trusts for clients, replicas and peers. */
    readonly caCert: string;
    /** The server's leaf (server and client auth), presented on both sides of its links. */
    readonly cert: string;
    /** The leaf's private key. */
    readonly key: string;
}

/**
 * The files inside a container. They live on the data volume, beside the live config (render/paths.ts
 * redisLive, sentinelLive), not at an upload path: Docker cannot change a running container's
 * uploads, and renewal writes a new leaf over these files and asks the node to reload them. The
 * start script installs them from the secret uploads, readable by the `redis` user only.
 */
export const TLS_CONTAINER_FILES: TlsFiles = {
    caCert: CONTAINER_PATHS.tlsCaCert,
    cert: CONTAINER_PATHS.tlsCert,
    key: CONTAINER_PATHS.tlsKey,
};

export type TlsServerKind = "node" | "sentinel";

/**
 * The TLS directives of one server, in redis.conf / sentinel.conf syntax. `port` is the server's
 * own port (6379 / 26379 in a container): the server listens TLS-only there, so a client that
 * connects in plain text finds no plaintext listener at all.
 */
export function renderTlsDirectives(
    kind: TlsServerKind,
    port: number,
    authClients: TlsConfig["authClients"],
    files: TlsFiles = TLS_CONTAINER_FILES,
): string[] {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`a ${kind}'s tls-port must be 1-65535, got ${port}`);
    return [
        `# TLS only (docs/tls.md): no plaintext listener; the ${kind === "node" ? "node's replication link" : "Sentinel's links to nodes and peers"} speak TLS too`,
        "port 0",
        `tls-port ${port}`,
        `tls-cert-file ${files.cert}`,
        `tls-key-file ${files.key}`,
        `tls-ca-cert-file ${files.caCert}`,
        `tls-auth-clients ${authClients}`,
        "tls-replication yes",
    ];
}

/** The files a renewal rewrites on a node, as `CONFIG SET` arguments: both in one call, so the pair reloads together. */
export const tlsReloadArgs = (files: TlsFiles = TLS_CONTAINER_FILES): string[] => ["tls-cert-file", files.cert, "tls-key-file", files.key];

/**
 * redis-cli's TLS options for the container scripts: the server's own files. Its leaf carries client
 * auth (settings/tls-plan.ts SERVER_USES), so it is the scripts' client certificate too, and with
 * `tls-auth-clients yes` nothing else would be let in.
 */
export const redisCliTlsArgs = (files: TlsFiles = TLS_CONTAINER_FILES): string[] => [
    "--tls",
    "--cacert",
    files.caCert,
    "--cert",
    files.cert,
    "--key",
    files.key,
];

/**
 * The initial config's TLS section: with `cluster.tls.enabled` the directives above, the listener
 * included; without it nothing, so a stack without TLS renders the bytes it always did. TLS is
 * chosen when a stack is created, and the initial config is read on a volume's first start only.
 */
export function tlsSection(settings: StackSettings, kind: TlsServerKind, port: number): ConfSection[] {
    const { tls } = settings.cluster;
    if (!tls.enabled) return [];
    return [
        {
            why: "TLS, fixed for the server's life. The listener is here and not on the command line\n(render/directives.ts bootstrapArgs); the files are installed by the start script.",
            lines: renderTlsDirectives(kind, port, tls.authClients),
        },
    ];
}

/** Where a renewal stages a new file: beside the one it replaces, so the rename is atomic. */
export const stagedTlsFile = (file: string): string => `${file}.new`;

/**
 * What a renewal runs in the container, as root, once the new leaf and key are staged
 * (ops/docker/tls-files.ts): hands them to the `redis` user, read-only as the start script leaves
 * them, and renames each over the old one, the key first. Paths only: no key material on a
 * command line.
 */
export function tlsRenewalCommand(files: TlsFiles = TLS_CONTAINER_FILES): string[] {
    const pair = [files.key, files.cert];
    const staged = pair.map(stagedTlsFile).join(" ");
    return [
        "/bin/sh",
        "-c",
        [`chown ${REDIS_USER}:${REDIS_USER} ${staged}`, `chmod 400 ${staged}`, ...pair.map((f) => `mv -f ${stagedTlsFile(f)} ${f}`)].join(
            " && ",
        ),
    ];
}

/**
 * Exists while the server's CA file holds CAs the server has not loaded yet (a CA rotation,
 * docs/tls.md "Rotating the CA"): made before the new file is renamed into place, removed by the
 * settings step once the node reloaded or the Sentinel restarted. So a step that failed between the
 * two leaves the next one a reason to reload, though the file already holds what it wants.
 */
export const tlsTrustPendingFile = (files: TlsFiles = TLS_CONTAINER_FILES): string => `${files.caCert}.pending`;

/**
 * What a CA rotation runs in the container, as root, once the new CA file is staged: hands it to
 * the `redis` user read-only, marks it not yet loaded, then renames it over the old one.
 */
export function tlsTrustInstallCommand(files: TlsFiles = TLS_CONTAINER_FILES): string[] {
    const staged = stagedTlsFile(files.caCert);
    return [
        "/bin/sh",
        "-c",
        [
            `chown ${REDIS_USER}:${REDIS_USER} ${staged}`,
            `chmod 400 ${staged}`,
            `: > ${tlsTrustPendingFile(files)}`,
            `mv -f ${staged} ${files.caCert}`,
        ].join(" && "),
    ];
}

/** Once the server has loaded its CA file: nothing is pending any more. */
export const tlsTrustLoadedCommand = (files: TlsFiles = TLS_CONTAINER_FILES): string[] => ["rm", "-f", tlsTrustPendingFile(files)];

/**
 * A node's reload of all three files in one `CONFIG SET`: any of them reloads the whole TLS context
 * (Redis 7.0.1+ applyTlsCfg), the CA file included, so a rotated CA bundle is trusted from then on
 * for new connections while established ones (replicas, clients) keep theirs.
 */
export const tlsFullReloadArgs = (files: TlsFiles = TLS_CONTAINER_FILES): string[] => [
    ...tlsReloadArgs(files),
    "tls-ca-cert-file",
    files.caCert,
];
