#!/usr/bin/env bash
# Makes sure a Docker Engine answers, deciding by the engine and never by the client: a machine
# can ship a Docker client (first on PATH) and no engine.
#   1. An engine already answers (`docker info`): it is left alone.
#   2. Otherwise, as root: a dockerd on PATH is started; without one, Debian's docker.io is
#      installed first (whatever client is on PATH), then started.
#   3. The client on PATH must then talk to the engine that was started; if it cannot, the script
#      names both and says how to fix it.
# Also installs the Redis programs the tests need (install-packages.sh).
#
# Paths can be moved for tests of this script's decisions (tests/host/setup-scripts.test.ts):
# DOCKER_ENGINE_PIDFILE, DOCKER_ENGINE_SOCKET, DOCKERD_LOG, DOCKER_ENGINE_WAIT_S.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pidfile=${DOCKER_ENGINE_PIDFILE:-/var/run/docker.pid}
socket=${DOCKER_ENGINE_SOCKET:-/var/run/docker.sock}
log=${DOCKERD_LOG:-/var/log/appscreens-dockerd.log}
wait_s=${DOCKER_ENGINE_WAIT_S:-60}

client_path() { command -v docker 2>/dev/null || echo "(none on PATH)"; }
client_version() { docker version --format '{{.Client.Version}}' 2>/dev/null || echo "unknown"; }
engine_answers() { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }
describe() {
  echo "engine $(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'), client $(client_version) at $(client_path)"
}

if engine_answers; then
  echo "docker-engine: an engine already answers ($(describe)); left as it is"
  bash "$here/install-packages.sh"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "docker-engine: no Docker Engine answers and only root can install or start one; start dockerd or run this as root" >&2
  exit 1
fi

# docker.io brings dockerd, and a client for machines that have none.
bash "$here/install-packages.sh" dockerd:docker.io docker:docker.io
dockerd_path=$(command -v dockerd)
engine_version=$(dockerd --version 2>/dev/null || echo "dockerd (version unknown)")

# A dockerd that was killed leaves its pid file behind and the next one refuses to start.
running=""
if [ -f "$pidfile" ]; then
  if kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    running=$(cat "$pidfile")
  else
    rm -f "$pidfile"
  fi
fi
if [ -n "$running" ]; then
  echo "docker-engine: dockerd (pid $running) is running but does not answer yet; waiting for it"
else
  echo "docker-engine: starting $dockerd_path ($engine_version; log: $log)"
  # Containers inherit their open-file limit from the engine, and it bounds Redis' maxclients:
  # raise it as Docker's own systemd unit does, where this sandbox allows it.
  ulimit -Hn 1048576 2>/dev/null && ulimit -Sn 1048576 2>/dev/null || true
  nohup dockerd --pidfile "$pidfile" -H "unix://$socket" >"$log" 2>&1 &
fi

for _ in $(seq 1 "$wait_s"); do
  if engine_answers; then
    echo "docker-engine: ready ($(describe))"
    exit 0
  fi
  sleep 1
done

# No answer: either the engine never came up, or the client cannot talk to it.
pid=$(cat "$pidfile" 2>/dev/null || true)
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ -e "$socket" ]; then
  error=$(docker info 2>&1 >/dev/null | tail -n 3 || true)
  cat >&2 <<EOF
docker-engine: the engine runs ($engine_version at $dockerd_path, pid $pid, socket $socket),
but the client on PATH cannot talk to it: client $(client_version) at $(client_path).
The client said: $error
Fix: put a client that speaks this engine's API first on PATH (Debian's docker.io installs one as
/usr/bin/docker: PATH=/usr/bin:\$PATH), or set DOCKER_API_VERSION to the engine's API version
(curl --unix-socket $socket http://localhost/version shows it), and check DOCKER_HOST.
EOF
  exit 1
fi
echo "docker-engine: dockerd did not answer within $wait_s s; last lines of $log:" >&2
tail -n 20 "$log" >&2 || true
exit 1
