#!/bin/sh
set -eu
. /usr/local/etc/appscreens-cluster.env
with_port() { for a in $1; do case $a in *:*) printf '%s ' "$a" ;; *) printf '%s:%s ' "$a" "$2" ;; esac; done; }
SENTINELS=$(with_port "$SENTINELS" 26379)
NODES=$(with_port "$NODES" 6379)
live=/data/sentinel.conf
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
if [ ! -f "$live" ]; then
  peers=$(echo $SENTINELS | tr " " "\n" | grep -vxF "$self" | tr "\n" " ")
  master=$(sentinels_master "$peers")
  source="the other Sentinels"
  if [ -z "$master" ]; then
    master=
    best=-1
    for n in $NODES; do
      info=$(REDISCLI_AUTH="$REDIS_PASSWORD" timeout 2 redis-cli --no-auth-warning --tls --cacert /data/tls/ca.pem --cert /data/tls/server.pem --key /data/tls/server-key.pem -h "${n%:*}" -p "${n##*:}" INFO replication 2>/dev/null | tr -d "\r") || continue
      echo "$info" | grep -q "^role:master" || continue
      c=$(echo "$info" | sed -n "s/^connected_slaves://p")
      if [ "${c:-0}" -gt "$best" ]; then best=${c:-0}; master=$n; fi
    done
    source="the nodes"
  fi
  if [ -z "$master" ]; then master="$APPSCREENS_INITIAL_MASTER"; source="the declared initial master (first boot)"; fi
  sed "s/__APPSCREENS_MASTER__ [0-9][0-9]*/${master%:*} ${master##*:}/" /usr/local/etc/appscreens-initial.conf > "$live.new"
  mv "$live.new" "$live"
  echo "appscreens: empty volume, monitoring $master from $source"
fi
chown -R redis:redis /data
chmod 600 "$live"
exec gosu redis redis-sentinel "$live" "$@"
