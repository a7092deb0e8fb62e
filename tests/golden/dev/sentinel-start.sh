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
    ( REDISCLI_AUTH="$pass" timeout 2 redis-cli --no-auth-warning --raw -h "${a%:*}" -p "${a##*:}" "$@" 2>/dev/null | tr -d "\r" | tr "\n" " " > "$tmp/$a" ) &
  done
  wait
  for a in $pairs; do [ -s "$tmp/$a" ] && { cat "$tmp/$a"; echo; }; done
  rm -rf "$tmp"
}
sentinels_master() {
  ask_all "$SENTINEL_PASSWORD" $1 -- SENTINEL get-master-addr-by-name "$MASTER_NAME" \
    | awk '$1 ~ /^[0-9.]+$/ && $2 ~ /^[0-9]+$/ { n[$1 ":" $2]++ } END { for (a in n) if (n[a] > best) { best = n[a]; m = a }; if (m != "") print m }'
}
if [ ! -f "$live" ]; then
  peers=$(echo $SENTINELS | tr " " "\n" | grep -vxF "$self" | tr "\n" " ")
  master=$(sentinels_master "$peers")
  source="the other Sentinels"
  if [ -z "$master" ]; then
    master=
    best=-1
    for n in $NODES; do
      info=$(REDISCLI_AUTH="$REDIS_PASSWORD" timeout 2 redis-cli --no-auth-warning -h "${n%:*}" -p "${n##*:}" INFO replication 2>/dev/null | tr -d "\r") || continue
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
