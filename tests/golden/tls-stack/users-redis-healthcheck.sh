#!/bin/sh
set -eu
. /usr/local/etc/appscreens-cluster.env
r() { REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli --no-auth-warning --tls --cacert /data/tls/ca.pem --cert /data/tls/server.pem --key /data/tls/server-key.pem --user "$AUTH_USER" -p 6379 "$@" | tr -d "\r"; }
[ "$(r ping)" = PONG ]
info=$(r INFO replication)
echo "$info" | grep -q "^role:master" && exit 0
echo "$info" | grep -q "^master_link_status:up"
[ ! -f /data/appscreens-promotion-guard ]
