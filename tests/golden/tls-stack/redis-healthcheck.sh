#!/bin/sh
set -eu
pass=$(sed -n 's/^masterauth "\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' /data/redis.conf | head -n 1)
r() { REDISCLI_AUTH="$pass" redis-cli --no-auth-warning --tls --cacert /data/tls/ca.pem --cert /data/tls/server.pem --key /data/tls/server-key.pem -p 6379 "$@" | tr -d "\r"; }
[ "$(r ping)" = PONG ]
info=$(r INFO replication)
echo "$info" | grep -q "^role:master" && exit 0
echo "$info" | grep -q "^master_link_status:up"
[ ! -f /data/appscreens-promotion-guard ]
