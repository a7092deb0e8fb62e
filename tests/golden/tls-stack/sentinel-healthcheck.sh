#!/bin/sh
set -eu
pass=$(sed -n 's/^sentinel sentinel-pass "\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' /data/sentinel.conf | head -n 1)
reply=$(REDISCLI_AUTH="$pass" redis-cli --no-auth-warning --tls --cacert /data/tls/ca.pem --cert /data/tls/server.pem --key /data/tls/server-key.pem -p 26379 ping)
[ "$reply" = PONG ]
