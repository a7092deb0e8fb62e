import { Endpoint, memberKey, REDIS_PORT, SENTINEL_PORT, ServerKind } from "../settings/address-plan";
import { StackSettings } from "../settings/validate";
import { SCRIPT_ENV } from "../contracts/env";
import { CONTAINER_PATHS, REDIS_USER } from "./paths";
import { AclPasswords, CLIENT_USERS } from "./acl-users";
import { MASTER_PLACEHOLDER } from "./sentinel-conf";
import { redisCliTlsArgs, TLS_CONTAINER_FILES } from "./tls-conf";

/**
 * What a start script logs when it finds its data volume empty and installs the initial config:
 * the one trace, in the container's log, that the volume was new to this container. A settings
 * step tells a volume an earlier deploy left by its absence (ops/cluster/kept-volumes.ts).
 */
export const EMPTY_VOLUME_LOG = "appscreens: empty volume";

/** Shell single-quoting; validation already keeps quotes out of every value that reaches here. */
function shellQuoted(value: string): string {
    if (value.includes("'") || /[\r\n]/.test(value)) throw new Error("refusing to shell-quote a value with quotes or line breaks");
    return `'${value}'`;
}

/** How every script's redis-cli starts; on a users stack each one is told the tools' user (AUTH_USER). */
const REDIS_CLI = "redis-cli --no-auth-warning";

/**
 * A script as it runs on a users stack: every redis-cli logs in as AUTH_USER (from the cluster
 * snapshot) with the password it already takes from REDISCLI_AUTH, never from a command line.
 */
function asToolsUser(script: string): string {
    const out = script.replaceAll(REDIS_CLI, `${REDIS_CLI} --user "$AUTH_USER"`);
    if (out === script) throw new Error("a container script without redis-cli cannot be given the tools' user");
    return out;
}

/**
 * A script as it runs on a TLS stack: every redis-cli speaks TLS with the server's own files under
 * /data/tls (its leaf is a client certificate too). Paths only: no key material on a command line.
 */
function overTls(script: string): string {
    const out = script.replaceAll(REDIS_CLI, `${REDIS_CLI} ${redisCliTlsArgs().join(" ")}`);
    const calls = out.split("redis-cli").length - 1;
    const tlsCalls = out.split(`${REDIS_CLI} ${redisCliTlsArgs().join(" ")}`).length - 1;
    // A redis-cli written any other way would talk plain text to a TLS-only server and fail.
    if (calls === 0 || calls !== tlsCalls) throw new Error("every redis-cli of a container script must start as REDIS_CLI to speak TLS");
    return out;
}

/** How a script is rendered for a stack: the users' login (asToolsUser), then TLS (overTls). */
function forStack(script: string, users: boolean, tls: boolean): string {
    const withUser = users ? asToolsUser(script) : script;
    return tls ? overTls(withUser) : withUser;
}

/**
 * Installs the server's TLS files from its uploads into /data/tls, only when the volume does not
 * hold all three yet (a new volume, or one from before). Not on every start: Docker cannot change
 * a running container's uploads, so the container keeps the ones it was created with (their later
 * changes are ignored, components/server-container.ts TLS_UPLOADS) while a renewal writes the new
 * leaf into /data/tls and reloads it; copying the uploads again on a restart would put the old
 * leaf back. The three go together, so a leaf never meets another leaf's key. Owned by the redis
 * user, read-only (a renewal replaces them by rename, in a directory only that user can enter).
 */
function tlsInstall(): string[] {
    const p = CONTAINER_PATHS;
    const f = TLS_CONTAINER_FILES;
    const pairs: [string, string][] = [
        [p.tlsCaUpload, f.caCert],
        [p.tlsCertUpload, f.cert],
        [p.tlsKeyUpload, f.key],
    ];
    return [
        `if ${pairs.map(([, to]) => `[ ! -s ${to} ]`).join(" || ")}; then`,
        `  mkdir -p ${p.tlsDir}`,
        ...pairs.map(([from, to]) => `  cp ${from} ${to}.new`),
        ...pairs.map(([, to]) => `  mv ${to}.new ${to}`),
        '  echo "appscreens: installed the TLS files from this container\'s uploads"',
        "fi",
        `chown -R ${REDIS_USER}:${REDIS_USER} ${p.tlsDir}`,
        `chmod 700 ${p.tlsDir}`,
        `chmod 400 ${pairs.map(([, to]) => to).join(" ")}`,
    ];
}

export interface ClusterEnvInput {
    readonly settings: StackSettings;
    readonly kind: ServerKind;
    readonly redisPassword: string;
    readonly sentinelPassword: string;
    /**
     * On a users stack: the user both passwords belong to (the tools' user, render/acl-users.ts
     * CLIENT_USERS.tools), which the scripts log in as on nodes and Sentinels alike.
     */
    readonly toolsUser?: string;
}

/**
 * The cluster as the start and stop scripts see it: who to ask for the master, and the
 * passwords to ask with. It is a snapshot from the container's creation (the container ignores
 * later changes, so that settings and password changes replace nothing); Sentinel indices are
 * stable and scaling adds or removes only at the tail, so the snapshot keeps naming live ones.
 */
export function renderClusterEnv({ settings, kind, redisPassword, sentinelPassword, toolsUser }: ClusterEnvInput): string {
    const { plan, cluster } = settings;
    const s = cluster.sentinel;
    const vars: Record<string, string> = {
        MASTER_NAME: s.masterName,
        // Announced address:port pairs, what every peer names a server by: across hosts servers of
        // one kind share their host's address and differ only by port (settings/address-plan.ts).
        SENTINELS: plan.sentinels.map((x) => memberKey(x.announce)).join(" "),
        NODES: plan.nodes.map((x) => memberKey(x.announce)).join(" "),
        // How long a node whose volume was lost waits for the Sentinels to move the master role away.
        FAILOVER_WAIT_SECONDS: String(Math.ceil((s.downAfterMilliseconds + s.failoverTimeout) / 1000) + 10),
        SENTINEL_PASSWORD: sentinelPassword,
        // With users a node's scripts read their own node's password from here too: masterauth
        // belongs to the replication user, which may not even run INFO.
        ...(kind === "sentinel" || toolsUser ? { REDIS_PASSWORD: redisPassword } : {}),
        ...(toolsUser ? { AUTH_USER: toolsUser } : {}),
    };
    return [
        "# Sourced by the appscreens start and stop scripts: the cluster as it was when this container was made.",
        ...Object.entries(vars).map(([k, v]) => `${k}=${shellQuoted(v)}`),
        "",
    ].join("\n");
}

/** What a users stack's container scripts log in with: the tools' user and password, on nodes and Sentinels. */
export function toolsLogin(passwords: Pick<AclPasswords, typeof CLIENT_USERS.tools>): {
    redisPassword: string;
    sentinelPassword: string;
    toolsUser: string;
} {
    const password = passwords[CLIENT_USERS.tools];
    return { redisPassword: password, sentinelPassword: password, toolsUser: CLIENT_USERS.tools };
}

/**
 * The environment a server container's scripts read besides the cluster snapshot: its own
 * announced pair and the initial master's, as `address:port`. Every comparison in the scripts is
 * between such pairs, never addresses alone: across hosts several servers of one kind announce
 * one address (redis/redis#2335 shows Sentinel taking one replica for another that way). These
 * are container environment (no secret); a change replaces the container.
 */
export function renderScriptEnv(settings: StackSettings, endpoint: Endpoint): string[] {
    return [
        `${SCRIPT_ENV.self}=${memberKey(endpoint.announce)}`,
        `${SCRIPT_ENV.initialMaster}=${memberKey(settings.plan.nodes[0].announce)}`,
    ];
}

/**
 * Sources the cluster snapshot and makes its lists `address:port` pairs. A container replaced by
 * an upgrade keeps the snapshot it was first given (the upload's later changes are ignored, see
 * components/server-container.ts), and snapshots written before the pairs list bare addresses.
 * Those come only from single-host stacks, where every server announces its container port, so
 * a bare address gets that port.
 */
const SOURCE_CLUSTER_ENV = [
    `. ${CONTAINER_PATHS.clusterEnv}`,
    'with_port() { for a in $1; do case $a in *:*) printf \'%s \' "$a" ;; *) printf \'%s:%s \' "$a" "$2" ;; esac; done; }',
    `SENTINELS=$(with_port "$SENTINELS" ${SENTINEL_PORT})`,
    `NODES=$(with_port "$NODES" ${REDIS_PORT})`,
];

/** Shell functions the scripts use to ask servers in parallel, each within 2 s; servers are `address:port` pairs. */
const ASK_FUNCTIONS = [
    // ask_all PASSWORD PAIRS... -- CMD: runs CMD on every address:port at once, prints each answer on one line.
    "ask_all() {",
    '  pass=$1; shift; pairs=""',
    '  while [ "$1" != "--" ]; do pairs="$pairs $1"; shift; done; shift',
    "  tmp=$(mktemp -d)",
    "  for a in $pairs; do",
    '    ( REDISCLI_AUTH="$pass" timeout 2 redis-cli --no-auth-warning --raw -h "${a%:*}" -p "${a##*:}" "$@" 2>/dev/null | tr -d "\\r" | tr "\\n" " " > "$tmp/$a" ) &',
    "  done",
    "  wait",
    '  for a in $pairs; do [ -s "$tmp/$a" ] && { cat "$tmp/$a"; echo; }; done',
    '  rm -rf "$tmp"',
    "}",
    // The master the reachable Sentinels name most often, as address:port, or nothing.
    "sentinels_master() {",
    '  ask_all "$SENTINEL_PASSWORD" $1 -- SENTINEL get-master-addr-by-name "$MASTER_NAME" \\',
    '    | awk \'$1 ~ /^[0-9.]+$/ && $2 ~ /^[0-9]+$/ { n[$1 ":" $2]++ } END { for (a in n) if (n[a] > best) { best = n[a]; m = a }; if (m != "") print m }\'',
    "}",
    // Whether a reachable Sentinel has flagged the master down or is failing it over.
    "master_seen_down() {",
    '  ask_all "$SENTINEL_PASSWORD" $1 -- SENTINEL MASTER "$MASTER_NAME" | grep -qE \'(^| )flags [^ ]*(s_down|o_down|failover_in_progress)\'',
    "}",
    // Whether more than half of the declared Sentinels answer. A failover needs a majority's votes
    // to elect its leader, so with fewer up none can come, however long a master waits for one.
    "sentinels_majority() {",
    "  total=0; for s in $1; do total=$((total + 1)); done",
    '  up=$(ask_all "$SENTINEL_PASSWORD" $1 -- PING | grep -c PONG || true)',
    '  [ $((up * 2)) -gt "$total" ]',
    "}",
    // How many replicas the first Sentinel that answers could promote now: seen up, priority above
    // 0 (a restarting replica's promotion guard gives it 0). `--raw` flattens the reply into
    // alternating key and value lines, each replica's starting with `name`.
    "promotable_replicas() {",
    "  for s in $1; do",
    '    out=$(REDISCLI_AUTH="$SENTINEL_PASSWORD" timeout 2 redis-cli --no-auth-warning --raw -h "${s%:*}" -p "${s##*:}" SENTINEL REPLICAS "$MASTER_NAME" 2>/dev/null) || continue',
    '    printf \'%s\\n\' "$out" | tr -d \'\\r\' | awk \'NR % 2 == 1 { k = $0; next } k == "name" { n++ } k == "flags" { f[n] = $0 } k == "slave-priority" { p[n] = $0 } END { c = 0; for (i = 1; i <= n; i++) if (p[i] > 0 && f[i] !~ /s_down|o_down|disconnected/) c++; print c }\'',
    "    return 0",
    "  done",
    "  echo 0",
    "}",
];

/**
 * A Redis node's entrypoint (PID 1, root). It decides the node's role from the cluster's runtime
 * state, not the declared topology:
 *   1. the master most reachable Sentinels name;
 *   2. else what this node persisted (its live config, rewritten by Sentinel on every change);
 *   3. else, on an empty volume with no Sentinel up (the cluster's very first boot), node 0.
 * An empty node the Sentinels still name as master lost its data: it waits for them to fail
 * over rather than start empty and have the replicas resync to nothing. A master the Sentinels
 * already see down waits for their failover too, while they have a replica to promote. Redis runs as the
 * redis user in the background so that SIGTERM can hand the master role over first.
 */
export function renderRedisStartScript(users = false, tls = false): string {
    const p = CONTAINER_PATHS;
    const script = [
        "#!/bin/sh",
        "set -eu",
        ...SOURCE_CLUSTER_ENV,
        `live=${p.redisLive}`,
        `self="$${SCRIPT_ENV.self}"`,
        ...ASK_FUNCTIONS,
        // Before anything asks a server: with TLS every redis-cli reads these files.
        ...(tls ? tlsInstall() : []),
        "fresh=no",
        'if [ ! -f "$live" ]; then',
        `  cp ${p.initialConf} "$live.new"`,
        '  mv "$live.new" "$live"',
        "  fresh=yes",
        `  echo "${EMPTY_VOLUME_LOG}, installed the initial config"`,
        "fi",
        `chown -R ${REDIS_USER}:${REDIS_USER} ${p.dataDir}`,
        'chmod 600 "$live"',
        'master=$(sentinels_master "$SENTINELS")',
        'if [ "$master" = "$self" ] && [ "$fresh" = yes ]; then',
        '  echo "appscreens: the Sentinels name this empty node as master; waiting up to ${FAILOVER_WAIT_SECONDS}s for a failover"',
        "  waited=0",
        '  while [ "$master" = "$self" ] && [ "$waited" -lt "$FAILOVER_WAIT_SECONDS" ]; do sleep 1; waited=$((waited + 1)); master=$(sentinels_master "$SENTINELS"); done',
        '  if [ "$master" = "$self" ]; then echo "appscreens: refusing to start an empty master over live replicas; exiting to retry" >&2; exit 1; fi',
        "fi",
        // A master whose restart took longer than down-after-milliseconds comes back while the
        // Sentinels may already be promoting a replica. Started as master it would take writes,
        // a replica that resyncs from it would confirm them (WAIT), and the promoted replica's
        // history would then discard them: a CI run lost 980 confirmed writes that way. So when
        // the Sentinels have flagged it down and have a replica to promote, it waits for their
        // failover and follows the new master; if none comes, it starts as master with its data.
        'if [ "$master" = "$self" ] && [ "$fresh" = no ] && master_seen_down "$SENTINELS"; then',
        // Only while a majority of the Sentinels answer: with fewer (two of three stopped) no
        // failover can come, and waiting would only keep the cluster without a master for
        // FAILOVER_WAIT_SECONDS (a CI run measured 63 s of refused writes that way).
        '  if ! sentinels_majority "$SENTINELS"; then',
        '    echo "appscreens: the Sentinels see this master down, but fewer than a majority of them answer, so no failover can come; starting as master with its data"',
        "  else",
        "    waited=0",
        '    while [ "$waited" -lt "$FAILOVER_WAIT_SECONDS" ] && [ "$master" = "$self" ] && [ "$(promotable_replicas "$SENTINELS")" -gt 0 ]; do',
        '      [ "$waited" -gt 0 ] || echo "appscreens: the Sentinels see this master down and can promote a replica; waiting up to ${FAILOVER_WAIT_SECONDS}s for their failover"',
        '      sleep 1; waited=$((waited + 1)); master=$(sentinels_master "$SENTINELS")',
        "    done",
        // Asked again: the Sentinels may have switched between the two questions above.
        '    master=$(sentinels_master "$SENTINELS")',
        '    if [ "$master" = "$self" ] && [ "$waited" -gt 0 ]; then echo "appscreens: no failover came; starting as master with its data"; fi',
        "  fi",
        "fi",
        'if [ -n "$master" ]; then',
        '  source="the Sentinels"',
        'elif [ "$fresh" = yes ]; then',
        `  master="$${SCRIPT_ENV.initialMaster}"`,
        '  source="the declared initial master (first boot)"',
        "else",
        '  master=""',
        '  source="its persisted config"',
        "fi",
        'if [ -n "$master" ]; then',
        "  sed -i '/^replicaof /d;/^slaveof /d' \"$live\"",
        `  if [ "$master" != "$self" ]; then echo "replicaof \${master%:*} \${master##*:}" >> "$live"; fi`,
        "fi",
        'echo "appscreens: role from $source: $(grep -E \'^(replicaof|slaveof) \' "$live" || echo master)"',
        // A replica that restarts holds only what it had on disk until it has synced, yet it looks
        // as promotable to the Sentinels as an in-sync one (it reports no link-down time). With
        // every server restarting at once, one was promoted that way and lost writes another
        // replica had confirmed. So it starts with replica-priority 0 (never promoted), and gets
        // its priority back once it is in sync and the Sentinels have seen it. The guard file keeps
        // the wanted priority across a restart, since a CONFIG REWRITE meanwhile persists the 0.
        `guard=${p.promotionGuard}`,
        'if [ -f "$guard" ]; then want=$(cat "$guard"); else want=$(sed -n "s/^replica-priority \\([0-9]*\\)$/\\1/p" "$live" | head -n 1); fi',
        "want=${want:-100}",
        "guarded=no",
        'if grep -qE \'^(replicaof|slaveof) \' "$live" && [ "$want" -gt 0 ]; then',
        '  echo "$want" > "$guard"; guarded=yes',
        '  echo "appscreens: not promotable (replica-priority 0) until in sync with the master and seen so by the Sentinels"',
        'elif [ -f "$guard" ]; then',
        "  sed -i '/^replica-priority /d' \"$live\"",
        '  [ "$want" = 100 ] || echo "replica-priority $want" >> "$live"',
        '  rm -f "$guard"',
        "fi",
        "child=",
        `on_term() { sh ${p.handoverScript} || true; [ -n "$child" ] && kill -TERM "$child" 2>/dev/null || true; }`,
        "trap on_term TERM INT",
        'if [ "$guarded" = yes ]; then',
        `  gosu ${REDIS_USER} redis-server "$live" --replica-priority 0 "$@" &`,
        "  child=$!",
        `  sh ${p.promotionGuardScript} "$child" "$want" &`,
        "else",
        `  gosu ${REDIS_USER} redis-server "$live" "$@" &`,
        "  child=$!",
        "fi",
        "set +e",
        // `wait` returns early when the trap runs; keep waiting until Redis itself has exited.
        'while :; do wait "$child"; code=$?; kill -0 "$child" 2>/dev/null || exit "$code"; done',
        "",
    ].join("\n");
    return forStack(script, users, tls);
}

/**
 * The opening of the scripts that run beside a node's Redis (the hand-over, the promotion guard):
 * the cluster snapshot, this server's pair, the ask functions, and `r`, the local node asked
 * within `timeoutSeconds` with the password its live config holds (`masterauth`, quoted or not:
 * what CONFIG REWRITE leaves is read as well as what the initial config had).
 */
function localNodePrelude(timeoutSeconds: number, users: boolean): string[] {
    return [
        "#!/bin/sh",
        "set -u",
        ...SOURCE_CLUSTER_ENV,
        `self="$${SCRIPT_ENV.self}"`,
        ...ASK_FUNCTIONS,
        // With users, masterauth is the replication user's: the tools' password is in the snapshot.
        users
            ? 'node_pass="$REDIS_PASSWORD"'
            : `node_pass=$(sed -n 's/^masterauth "\\{0,1\\}\\([^"]*\\)"\\{0,1\\}$/\\1/p' ${CONTAINER_PATHS.redisLive} | head -n 1)`,
        `r() { REDISCLI_AUTH="$node_pass" timeout ${timeoutSeconds} redis-cli --no-auth-warning -p ${REDIS_PORT} "$@" 2>/dev/null | tr -d "\\r"; }`,
    ];
}

/**
 * Runs on SIGTERM (any stop: docker stop, a replacement, a destroy). A master with replicas
 * pauses writes, waits until every replica has all of them, then asks the Sentinels to fail
 * over and waits until they name another master: writes confirmed with WAIT stay, and clients
 * move within about a second instead of after down-after-milliseconds. Bounded throughout; a
 * failure just lets the Sentinels fail over as they would after a crash.
 */
export function renderHandoverScript(users = false, tls = false): string {
    const script = [
        ...localNodePrelude(3, users),
        "info=$(r INFO replication) || exit 0",
        'echo "$info" | grep -q "^role:master" || exit 0',
        'replicas=$(echo "$info" | sed -n "s/^connected_slaves://p")',
        '[ "${replicas:-0}" -gt 0 ] || { echo "appscreens: stopping master has no replica to hand over to"; exit 0; }',
        'echo "appscreens: stopping master: pausing writes, waiting for $replicas replica(s), then failing over"',
        "r CLIENT PAUSE 20000 WRITE >/dev/null",
        // Wait (bounded) until every replica's offset reaches the master's: then any replica the
        // Sentinels promote has every write. WAIT itself is not used: its acks are held while paused.
        "i=0",
        'while [ "$i" -lt 25 ]; do',
        "  info=$(r INFO replication)",
        '  want=$(echo "$info" | sed -n "s/^master_repl_offset://p")',
        '  behind=$(echo "$info" | grep "^slave[0-9]*:" | grep -vc "offset=$want,")',
        '  [ "$behind" -eq 0 ] && break',
        "  sleep 0.1; i=$((i + 1))",
        "done",
        'echo "appscreens: replicas behind the master before failing over: ${behind:-unknown}"',
        // A replica still behind (restarting, resyncing) could be the one a Sentinel promotes,
        // and writes another replica confirmed would be lost with the old master's history. Then
        // no hand-over: Redis stops as after a crash and the Sentinels choose by replication
        // offset among the replicas they can reach, or the master comes back first.
        'now=$(echo "$info" | sed -n "s/^connected_slaves://p")',
        'if [ "${behind:-1}" -ne 0 ] || [ "${now:-0}" -lt "$replicas" ]; then echo "appscreens: not handing over: a replica is behind or gone"; exit 0; fi',
        "for s in $SENTINELS; do",
        '  if REDISCLI_AUTH="$SENTINEL_PASSWORD" timeout 3 redis-cli --no-auth-warning -h "${s%:*}" -p "${s##*:}" SENTINEL FAILOVER "$MASTER_NAME" 2>/dev/null | grep -q OK; then',
        '    echo "appscreens: failover started by Sentinel $s"; break',
        "  fi",
        "done",
        "i=0",
        'while [ "$i" -lt 75 ]; do',
        '  m=$(sentinels_master "$SENTINELS")',
        '  if [ -n "$m" ] && [ "$m" != "$self" ]; then echo "appscreens: the Sentinels name $m as master; stopping"; exit 0; fi',
        "  sleep 0.2; i=$((i + 1))",
        "done",
        'echo "appscreens: no failover within 15 s; stopping anyway (the Sentinels fail over after down-after-milliseconds)"',
        "",
    ].join("\n");
    return forStack(script, users, tls);
}

/**
 * Runs beside a replica that started with replica-priority 0 (see the start script): once the
 * replica is in sync with its master, it restores the wanted priority, persists it, and waits
 * (at most 15 s: the Sentinels read a replica's INFO every 10 s) until every Sentinel that answers
 * reports it, then removes the guard file. The healthcheck waits for that file to go, so a rolling
 * replacement moves on only once the Sentinels could promote this replica.
 */
export function renderPromotionGuardScript(users = false, tls = false): string {
    const p = CONTAINER_PATHS;
    const script = [
        ...localNodePrelude(2, users),
        "child=$1; want=$2",
        // Bounded by the Redis process: the loop ends with it.
        'while kill -0 "$child" 2>/dev/null; do',
        "  info=$(r INFO replication)",
        '  if echo "$info" | grep -qE "^(master_link_status:up|role:master)"; then',
        '    if [ "$(r CONFIG SET replica-priority "$want")" = OK ] && [ "$(r CONFIG REWRITE)" = OK ]; then break; fi',
        "  fi",
        "  sleep 1",
        "done",
        'kill -0 "$child" 2>/dev/null || exit 0',
        'echo "appscreens: in sync with the master: replica-priority $want again"',
        "i=0",
        'while [ "$i" -lt 15 ]; do',
        // Each answering Sentinel prints its replicas on one line: ... ip <addr> port <port> ... slave-priority <n> ...
        // This replica is the one whose ip:port is self: another on the same address has another port.
        '  seen=$(ask_all "$SENTINEL_PASSWORD" $SENTINELS -- SENTINEL replicas "$MASTER_NAME" \\',
        '    | awk -v self="$self" -v want="$want" \'{ ok = 0; for (f = 1; f < NF; f++) { if ($f == "ip") ip = $(f + 1); if ($f == "port") port = $(f + 1); if ($f == "slave-priority" && ip ":" port == self && $(f + 1) == want) ok = 1 } n++; good += ok } END { print (n > 0 && good == n) ? "yes" : "no" }\')',
        '  [ "$seen" = yes ] && break',
        "  sleep 1; i=$((i + 1))",
        "done",
        'echo "appscreens: the Sentinels see replica-priority $want: $seen (after ${i}s)"',
        `rm -f ${p.promotionGuard}`,
        "",
    ].join("\n");
    return forStack(script, users, tls);
}

/**
 * A Sentinel's entrypoint. On its volume's first start it monitors the master its peers name,
 * else the master a node reports, else node 0 (the cluster's very first boot); afterwards it
 * runs from the state it persisted. Stable identity comes from its initial config.
 */
export function renderSentinelStartScript(users = false, tls = false): string {
    const p = CONTAINER_PATHS;
    const script = [
        "#!/bin/sh",
        "set -eu",
        ...SOURCE_CLUSTER_ENV,
        `live=${p.sentinelLive}`,
        `self="$${SCRIPT_ENV.self}"`,
        ...ASK_FUNCTIONS,
        ...(tls ? tlsInstall() : []),
        'if [ ! -f "$live" ]; then',
        '  peers=$(echo $SENTINELS | tr " " "\\n" | grep -vxF "$self" | tr "\\n" " ")',
        '  master=$(sentinels_master "$peers")',
        '  source="the other Sentinels"',
        '  if [ -z "$master" ]; then',
        // A node that is master with replicas attached beats one that merely says master.
        "    master=",
        "    best=-1",
        "    for n in $NODES; do",
        '      info=$(REDISCLI_AUTH="$REDIS_PASSWORD" timeout 2 redis-cli --no-auth-warning -h "${n%:*}" -p "${n##*:}" INFO replication 2>/dev/null | tr -d "\\r") || continue',
        '      echo "$info" | grep -q "^role:master" || continue',
        '      c=$(echo "$info" | sed -n "s/^connected_slaves://p")',
        '      if [ "${c:-0}" -gt "$best" ]; then best=${c:-0}; master=$n; fi',
        "    done",
        '    source="the nodes"',
        "  fi",
        `  if [ -z "$master" ]; then master="$${SCRIPT_ENV.initialMaster}"; source="the declared initial master (first boot)"; fi`,
        // The placeholder and the port after it become the master's pair (sentinel-conf.ts).
        `  sed "s/${MASTER_PLACEHOLDER} [0-9][0-9]*/\${master%:*} \${master##*:}/" ${p.initialConf} > "$live.new"`,
        '  mv "$live.new" "$live"',
        `  echo "${EMPTY_VOLUME_LOG}, monitoring $master from $source"`,
        "fi",
        `chown -R ${REDIS_USER}:${REDIS_USER} ${p.dataDir}`,
        'chmod 600 "$live"',
        // Sentinel has nothing to hand over: it can take SIGTERM itself.
        `exec gosu ${REDIS_USER} redis-sentinel "$live" "$@"`,
        "",
    ].join("\n");
    return forStack(script, users, tls);
}

/**
 * `users`: the stack was created with `cluster.users.enabled` (the scripts log in as the tools' user);
 * `tls`: with `cluster.tls.enabled` (the scripts install the TLS files and speak TLS).
 */
export function renderStartScript(kind: ServerKind, users = false, tls = false): string {
    return kind === "redis" ? renderRedisStartScript(users, tls) : renderSentinelStartScript(users, tls);
}

/**
 * Healthy: an authenticated PING answers PONG and, for a replica, its link to the master is up
 * (so a rolling replacement moves on only once the replaced node is in sync). The password is
 * read inside the container from the line that always holds the current one (masterauth on
 * nodes, sentinel-pass on Sentinels), so it never appears in what `docker inspect` shows.
 */
export function renderHealthcheckScript(kind: ServerKind, users = false, tls = false): string {
    const p = CONTAINER_PATHS;
    // With users the password is not in the live config (only hashes are, and masterauth is the
    // replication user's): the tools' password comes from the cluster snapshot (0400, root).
    if (users) {
        const [port, pass] = kind === "sentinel" ? [SENTINEL_PORT, "$SENTINEL_PASSWORD"] : [REDIS_PORT, "$REDIS_PASSWORD"];
        const lines = [
            "#!/bin/sh",
            "set -eu",
            `. ${p.clusterEnv}`,
            `r() { REDISCLI_AUTH="${pass}" ${REDIS_CLI} -p ${port} "$@" | tr -d "\\r"; }`,
            '[ "$(r ping)" = PONG ]',
            ...(kind === "sentinel"
                ? []
                : [
                      "info=$(r INFO replication)",
                      'echo "$info" | grep -q "^role:master" && exit 0',
                      'echo "$info" | grep -q "^master_link_status:up"',
                      `[ ! -f ${p.promotionGuard} ]`,
                  ]),
            "",
        ];
        return forStack(lines.join("\n"), true, tls);
    }
    if (kind === "sentinel") {
        const sentinel = [
            "#!/bin/sh",
            "set -eu",
            `pass=$(sed -n 's/^sentinel sentinel-pass "\\{0,1\\}\\([^"]*\\)"\\{0,1\\}$/\\1/p' ${p.sentinelLive} | head -n 1)`,
            `reply=$(REDISCLI_AUTH="$pass" redis-cli --no-auth-warning -p ${SENTINEL_PORT} ping)`,
            '[ "$reply" = PONG ]',
            "",
        ].join("\n");
        return forStack(sentinel, false, tls);
    }
    const node = [
        "#!/bin/sh",
        "set -eu",
        `pass=$(sed -n 's/^masterauth "\\{0,1\\}\\([^"]*\\)"\\{0,1\\}$/\\1/p' ${p.redisLive} | head -n 1)`,
        `r() { REDISCLI_AUTH="$pass" redis-cli --no-auth-warning -p ${REDIS_PORT} "$@" | tr -d "\\r"; }`,
        '[ "$(r ping)" = PONG ]',
        "info=$(r INFO replication)",
        'echo "$info" | grep -q "^role:master" && exit 0',
        'echo "$info" | grep -q "^master_link_status:up"',
        // Not healthy while the replica cannot be promoted yet (renderPromotionGuardScript).
        `[ ! -f ${p.promotionGuard} ]`,
        "",
    ].join("\n");
    return forStack(node, false, tls);
}

/** One file a server container runs from: where it goes, what it holds and its mode. */
export interface ContainerFile {
    readonly file: string;
    readonly content: string;
    readonly mode: number;
}

/**
 * A server's scripts, as its container's uploads and as migration step 1b writes them into a
 * running container (ops/users/container-scripts.ts): one list, so both put the same files at
 * the same paths. Nodes have four, Sentinels two (nothing to hand over or guard).
 */
export function serverScripts(kind: ServerKind, users: boolean, tls: boolean): ContainerFile[] {
    const p = CONTAINER_PATHS;
    const mode = 0o555;
    return [
        { file: p.startScript, content: renderStartScript(kind, users, tls), mode },
        { file: p.healthcheckScript, content: renderHealthcheckScript(kind, users, tls), mode },
        ...(kind === "redis"
            ? [
                  { file: p.handoverScript, content: renderHandoverScript(users, tls), mode },
                  { file: p.promotionGuardScript, content: renderPromotionGuardScript(users, tls), mode },
              ]
            : []),
    ];
}
