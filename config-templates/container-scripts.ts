import { REDIS_PORT, SENTINEL_PORT } from "../config/address-plan";
import { CONTAINER_PATHS } from "./paths";

export type ServerKind = "redis" | "sentinel";

const SERVERS = {
    redis: { binary: "redis-server", template: CONTAINER_PATHS.redisTemplate, live: CONTAINER_PATHS.redisLive, port: REDIS_PORT },
    sentinel: {
        binary: "redis-sentinel",
        template: CONTAINER_PATHS.sentinelTemplate,
        live: CONTAINER_PATHS.sentinelLive,
        port: SENTINEL_PORT,
    },
} as const;

/**
 * The container's start command. Redis (demoted by Sentinel through CONFIG REWRITE) and Sentinel
 * (its whole state) rewrite their config, so each runs from a writable copy in its volume. The
 * copy is replaced only when a deploy ships a different template: a restart keeps what the
 * server rewrote, a config change from the stack wins. No secret is on any command line.
 */
export function renderStartScript(kind: ServerKind): string {
    const s = SERVERS[kind];
    return [
        "#!/bin/sh",
        "set -eu",
        `template=${s.template}`,
        `live=${s.live}`,
        `stamp=${CONTAINER_PATHS.dataDir}/.${kind}.conf.sha256`,
        'want=$(sha256sum "$template" | cut -d " " -f 1)',
        'if [ ! -f "$live" ] || [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then',
        '  cp "$template" "$live.new"',
        '  chmod 600 "$live.new"',
        '  mv "$live.new" "$live"',
        '  echo "$want" > "$stamp"',
        '  echo "appscreens: installed $live from the deployed template"',
        "fi",
        `exec ${s.binary} "$live"`,
        "",
    ].join("\n");
}

/**
 * Healthy means an authenticated PING answers PONG (a loading server answers LOADING). The
 * password is read from the live config inside the container so that it never appears in the
 * healthcheck definition `docker inspect` shows.
 */
export function renderHealthcheckScript(kind: ServerKind): string {
    const s = SERVERS[kind];
    return [
        "#!/bin/sh",
        "set -eu",
        `pass=$(sed -n 's/^requirepass "\\(.*\\)"$/\\1/p' ${s.live} | head -n 1)`,
        `reply=$(REDISCLI_AUTH="$pass" redis-cli --no-auth-warning -p ${s.port} ping)`,
        '[ "$reply" = PONG ]',
        "",
    ].join("\n");
}
