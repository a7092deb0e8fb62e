#!/bin/sh
set -u
. /usr/local/etc/appscreens-cluster.env
with_port() { for a in $1; do case $a in *:*) printf '%s ' "$a" ;; *) printf '%s:%s ' "$a" "$2" ;; esac; done; }
SENTINELS=$(with_port "$SENTINELS" 26379)
NODES=$(with_port "$NODES" 6379)
self="$APPSCREENS_SELF"
ask_all() {
  pass=$1; shift; pairs=""
  while [ "$1" != "--" ]; do pairs="$pairs $1"; shift; done; shift
  tmp=$(mktemp -d)
  for a in $pairs; do
    ( REDISCLI_AUTH="$pass" timeout 2 redis-cli --no-auth-warning --tls --cacert /data/tls/ca.pem --cert /data/tls/server.pem --key /data/tls/server-key.pem --user "$AUTH_USER" --raw -h "${a%:*}" -p "${a##*:}" "$@" 2>/dev/null | tr -d "\r" | tr "\n" " " > "$tmp/$a" ) &
  done
  wait
  for a in $pairs; do [ -s "$tmp/$a" ] && { cat "$tmp/$a"; echo; }; done
  rm -rf "$tmp"
}
sentinels_master() {
  ask_all "$SENTINEL_PASSWORD" $1 -- SENTINEL get-master-addr-by-name "$MASTER_NAME" \
    | awk '$1 ~ /^[0-9.]+$/ && $2 ~ /^[0-9]+$/ { n[$1 ":" $2]++ } END { for (a in n) if (n[a] > best) { best = n[a]; m = a }; if (m != "") print m }'
}
master_seen_down() {
  ask_all "$SENTINEL_PASSWORD" $1 -- SENTINEL MASTER "$MASTER_NAME" | grep -qE '(^| )flags [^ ]*(s_down|o_down|failover_in_progress)'
}
sentinels_majority() {
  total=0; for s in $1; do total=$((total + 1)); done
  up=$(ask_all "$SENTINEL_PASSWORD" $1 -- PING | grep -c PONG || true)
  [ $((up * 2)) -gt "$total" ]
}
promotable_replicas() {
  for s in $1; do
    out=$(REDISCLI_AUTH="$SENTINEL_PASSWORD" timeout 2 redis-cli --no-auth-warning --tls --cacert /data/tls/ca.pem --cert /data/tls/server.pem --key /data/tls/server-key.pem --user "$AUTH_USER" --raw -h "${s%:*}" -p "${s##*:}" SENTINEL REPLICAS "$MASTER_NAME" 2>/dev/null) || continue
    printf '%s\n' "$out" | tr -d '\r' | awk 'NR % 2 == 1 { k = $0; next } k == "name" { n++ } k == "flags" { f[n] = $0 } k == "slave-priority" { p[n] = $0 } END { c = 0; for (i = 1; i <= n; i++) if (p[i] > 0 && f[i] !~ /s_down|o_down|disconnected/) c++; print c }'
    return 0
  done
  echo 0
}
node_pass="$REDIS_PASSWORD"
r() { REDISCLI_AUTH="$node_pass" timeout 3 redis-cli --no-auth-warning --tls --cacert /data/tls/ca.pem --cert /data/tls/server.pem --key /data/tls/server-key.pem --user "$AUTH_USER" -p 6379 "$@" 2>/dev/null | tr -d "\r"; }
info=$(r INFO replication) || exit 0
echo "$info" | grep -q "^role:master" || exit 0
replicas=$(echo "$info" | sed -n "s/^connected_slaves://p")
[ "${replicas:-0}" -gt 0 ] || { echo "appscreens: stopping master has no replica to hand over to"; exit 0; }
echo "appscreens: stopping master: pausing writes, waiting for $replicas replica(s), then failing over"
r CLIENT PAUSE 20000 WRITE >/dev/null
i=0
while [ "$i" -lt 25 ]; do
  info=$(r INFO replication)
  want=$(echo "$info" | sed -n "s/^master_repl_offset://p")
  behind=$(echo "$info" | grep "^slave[0-9]*:" | grep -vc "offset=$want,")
  [ "$behind" -eq 0 ] && break
  sleep 0.1; i=$((i + 1))
done
echo "appscreens: replicas behind the master before failing over: ${behind:-unknown}"
now=$(echo "$info" | sed -n "s/^connected_slaves://p")
if [ "${behind:-1}" -ne 0 ] || [ "${now:-0}" -lt "$replicas" ]; then echo "appscreens: not handing over: a replica is behind or gone"; exit 0; fi
for s in $SENTINELS; do
  if REDISCLI_AUTH="$SENTINEL_PASSWORD" timeout 3 redis-cli --no-auth-warning --tls --cacert /data/tls/ca.pem --cert /data/tls/server.pem --key /data/tls/server-key.pem --user "$AUTH_USER" -h "${s%:*}" -p "${s##*:}" SENTINEL FAILOVER "$MASTER_NAME" 2>/dev/null | grep -q OK; then
    echo "appscreens: failover started by Sentinel $s"; break
  fi
done
i=0
while [ "$i" -lt 75 ]; do
  m=$(sentinels_master "$SENTINELS")
  if [ -n "$m" ] && [ "$m" != "$self" ]; then echo "appscreens: the Sentinels name $m as master; stopping"; exit 0; fi
  sleep 0.2; i=$((i + 1))
done
echo "appscreens: no failover within 15 s; stopping anyway (the Sentinels fail over after down-after-milliseconds)"
