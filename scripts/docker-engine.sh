#!/usr/bin/env bash
# Makes sure a Docker Engine answers: leaves a running one alone, otherwise installs Debian's
# docker.io (through install-packages.sh) and starts dockerd in the background.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/install-packages.sh"

if docker info >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "docker-engine: no Docker Engine answers and only root can start one; start dockerd or run as root" >&2
  exit 1
fi
# A dockerd that was killed leaves its pid file behind and the next one refuses to start.
pidfile=/var/run/docker.pid
if [ -f "$pidfile" ] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  rm -f "$pidfile"
fi
log=${DOCKERD_LOG:-/var/log/appscreens-dockerd.log}
echo "docker-engine: starting dockerd (log: $log)"
# Containers inherit their open-file limit from the engine, and it bounds Redis' maxclients:
# raise it as Docker's own systemd unit does, where this sandbox allows it.
ulimit -Hn 1048576 2>/dev/null && ulimit -Sn 1048576 2>/dev/null || true
nohup dockerd >"$log" 2>&1 &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    echo "docker-engine: ready ($(docker version --format '{{.Server.Version}}'))"
    exit 0
  fi
  sleep 1
done
echo "docker-engine: dockerd did not answer within 60 s; last lines of $log:" >&2
tail -n 20 "$log" >&2
exit 1
