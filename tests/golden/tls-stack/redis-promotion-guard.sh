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
    ( REDISCLI_AUTH="$pass" timeout 2 redis-cli --no-auth-warning --tls --cacert /data/tls/ca.pem --cert /data/tls/server.pem --key /data/tls/server-key.pem --raw -h "${a%:*}" -p "${a##*:}" "$@" 2>/dev/null | tr -d "\r" | tr "\n" " " > "$tmp/$a" ) &
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
    out=$(REDISCLI_AUTH="$SENTINEL_PASSWORD" timeout 2 redis-cli --no-auth-warning --tls --cacert /data/tls/ca.pem --cert /data/tls/server.pem --key /data/tls/server-key.pem --raw -h "${s%:*}" -p "${s##*:}" SENTINEL REPLICAS "$MASTER_NAME" 2>/dev/null) || continue
    printf '%s\n' "$out" | tr -d '\r' | awk 'NR % 2 == 1 { k = $0; next } k == "name" { n++ } k == "flags" { f[n] = $0 } k == "slave-priority" { p[n] = $0 } END { c = 0; for (i = 1; i <= n; i++) if (p[i] > 0 && f[i] !~ /s_down|o_down|disconnected/) c++; print c }'
    return 0
  done
  echo 0
}
node_pass=$(sed -n 's/^masterauth "\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' /data/redis.conf | head -n 1)
r() { REDISCLI_AUTH="$node_pass" timeout 2 redis-cli --no-auth-warning --tls --cacert /data/tls/ca.pem --cert /data/tls/server.pem --key /data/tls/server-key.pem -p 6379 "$@" 2>/dev/null | tr -d "\r"; }
child=$1; want=$2
while kill -0 "$child" 2>/dev/null; do
  info=$(r INFO replication)
  if echo "$info" | grep -qE "^(master_link_status:up|role:master)"; then
    if [ "$(r CONFIG SET replica-priority "$want")" = OK ] && [ "$(r CONFIG REWRITE)" = OK ]; then break; fi
  fi
  sleep 1
done
kill -0 "$child" 2>/dev/null || exit 0
echo "appscreens: in sync with the master: replica-priority $want again"
i=0
while [ "$i" -lt 15 ]; do
  seen=$(ask_all "$SENTINEL_PASSWORD" $SENTINELS -- SENTINEL replicas "$MASTER_NAME" \
    | awk -v self="$self" -v want="$want" '{ ok = 0; for (f = 1; f < NF; f++) { if ($f == "ip") ip = $(f + 1); if ($f == "port") port = $(f + 1); if ($f == "slave-priority" && ip ":" port == self && $(f + 1) == want) ok = 1 } n++; good += ok } END { print (n > 0 && good == n) ? "yes" : "no" }')
  [ "$seen" = yes ] && break
  sleep 1; i=$((i + 1))
done
echo "appscreens: the Sentinels see replica-priority $want: $seen (after ${i}s)"
rm -f /data/appscreens-promotion-guard
