#!/bin/sh
set -eu
. /usr/local/etc/appscreens-cluster.env
with_port() { for a in $1; do case $a in *:*) printf '%s ' "$a" ;; *) printf '%s:%s ' "$a" "$2" ;; esac; done; }
SENTINELS=$(with_port "$SENTINELS" 26379)
NODES=$(with_port "$NODES" 6379)
live=/data/redis.conf
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
if [ ! -s /data/tls/ca.pem ] || [ ! -s /data/tls/server.pem ] || [ ! -s /data/tls/server-key.pem ]; then
  mkdir -p /data/tls
  cp /usr/local/etc/appscreens-tls-ca.pem /data/tls/ca.pem.new
  cp /usr/local/etc/appscreens-tls-server.pem /data/tls/server.pem.new
  cp /usr/local/etc/appscreens-tls-server-key.pem /data/tls/server-key.pem.new
  mv /data/tls/ca.pem.new /data/tls/ca.pem
  mv /data/tls/server.pem.new /data/tls/server.pem
  mv /data/tls/server-key.pem.new /data/tls/server-key.pem
  echo "appscreens: installed the TLS files from this container's uploads"
fi
chown -R redis:redis /data/tls
chmod 700 /data/tls
chmod 400 /data/tls/ca.pem /data/tls/server.pem /data/tls/server-key.pem
fresh=no
if [ ! -f "$live" ]; then
  cp /usr/local/etc/appscreens-initial.conf "$live.new"
  mv "$live.new" "$live"
  fresh=yes
  echo "appscreens: empty volume, installed the initial config"
fi
chown -R redis:redis /data
chmod 600 "$live"
master=$(sentinels_master "$SENTINELS")
if [ "$master" = "$self" ] && [ "$fresh" = yes ]; then
  echo "appscreens: the Sentinels name this empty node as master; waiting up to ${FAILOVER_WAIT_SECONDS}s for a failover"
  waited=0
  while [ "$master" = "$self" ] && [ "$waited" -lt "$FAILOVER_WAIT_SECONDS" ]; do sleep 1; waited=$((waited + 1)); master=$(sentinels_master "$SENTINELS"); done
  if [ "$master" = "$self" ]; then echo "appscreens: refusing to start an empty master over live replicas; exiting to retry" >&2; exit 1; fi
fi
if [ "$master" = "$self" ] && [ "$fresh" = no ] && master_seen_down "$SENTINELS"; then
  if ! sentinels_majority "$SENTINELS"; then
    echo "appscreens: the Sentinels see this master down, but fewer than a majority of them answer, so no failover can come; starting as master with its data"
  else
    waited=0
    while [ "$waited" -lt "$FAILOVER_WAIT_SECONDS" ] && [ "$master" = "$self" ] && [ "$(promotable_replicas "$SENTINELS")" -gt 0 ]; do
      [ "$waited" -gt 0 ] || echo "appscreens: the Sentinels see this master down and can promote a replica; waiting up to ${FAILOVER_WAIT_SECONDS}s for their failover"
      sleep 1; waited=$((waited + 1)); master=$(sentinels_master "$SENTINELS")
    done
    master=$(sentinels_master "$SENTINELS")
    if [ "$master" = "$self" ] && [ "$waited" -gt 0 ]; then echo "appscreens: no failover came; starting as master with its data"; fi
  fi
fi
if [ -n "$master" ]; then
  source="the Sentinels"
elif [ "$fresh" = yes ]; then
  master="$APPSCREENS_INITIAL_MASTER"
  source="the declared initial master (first boot)"
else
  master=""
  source="its persisted config"
fi
if [ -n "$master" ]; then
  sed -i '/^replicaof /d;/^slaveof /d' "$live"
  if [ "$master" != "$self" ]; then echo "replicaof ${master%:*} ${master##*:}" >> "$live"; fi
fi
echo "appscreens: role from $source: $(grep -E '^(replicaof|slaveof) ' "$live" || echo master)"
guard=/data/appscreens-promotion-guard
if [ -f "$guard" ]; then want=$(cat "$guard"); else want=$(sed -n "s/^replica-priority \([0-9]*\)$/\1/p" "$live" | head -n 1); fi
want=${want:-100}
guarded=no
if grep -qE '^(replicaof|slaveof) ' "$live" && [ "$want" -gt 0 ]; then
  echo "$want" > "$guard"; guarded=yes
  echo "appscreens: not promotable (replica-priority 0) until in sync with the master and seen so by the Sentinels"
elif [ -f "$guard" ]; then
  sed -i '/^replica-priority /d' "$live"
  [ "$want" = 100 ] || echo "replica-priority $want" >> "$live"
  rm -f "$guard"
fi
child=
on_term() { sh /usr/local/etc/appscreens-handover.sh || true; [ -n "$child" ] && kill -TERM "$child" 2>/dev/null || true; }
trap on_term TERM INT
if [ "$guarded" = yes ]; then
  gosu redis redis-server "$live" --replica-priority 0 "$@" &
  child=$!
  sh /usr/local/etc/appscreens-promotion-guard.sh "$child" "$want" &
else
  gosu redis redis-server "$live" "$@" &
  child=$!
fi
set +e
while :; do wait "$child"; code=$?; kill -0 "$child" 2>/dev/null || exit "$code"; done
