#!/usr/bin/env bash
# Installs the Debian packages whose programs the tests and the test image need, deciding by each
# program itself, never by something installed beside it: a machine can ship a Docker client
# without an engine, or redis-server without redis-benchmark.
#
# Usage: install-packages.sh [program:package ...]
#   The pairs given are checked on top of the default ones (docker-engine.sh adds dockerd:docker.io).
# Needs root when something is missing; does nothing when every program is present.
set -euo pipefail

# program:package. redis-tools brings both redis-cli and redis-benchmark; busybox must be the static
# build, because the test image copies the binary alone (scripts/build-test-image.sh). The metrics
# exporter (redis_exporter 1.45, a static Go binary) goes into the test image too; promtool, from
# Debian's prometheus, checks and tests the rendered scrape config and rules offline. chromium is
# the headless browser that checks the drill's timeline picture (tests/host/drill-timeline-browser.test.ts).
# sshd (Debian's openssh-server, which brings the ssh client and ssh-keygen of openssh-client) lets
# a rig host be reached over ssh://, as a remote engine is (tests/support/rig/ssh.ts); its service is
# never started, the rig starts its own sshd per host.
pairs=(
  redis-server:redis-server
  redis-sentinel:redis-sentinel
  redis-cli:redis-tools
  redis-benchmark:redis-tools
  gosu:gosu
  busybox:busybox-static
  prometheus-redis-exporter:prometheus-redis-exporter
  promtool:prometheus
  chromium:chromium
  sshd:openssh-server
  ssh:openssh-client
  ssh-keygen:openssh-client
  "$@"
)

# A static binary has no interpreter: ldd says "not a dynamic executable" and fails.
is_static() { ! ldd "$1" >/dev/null 2>&1; }

present() {
  local program=$1 path
  path=$(command -v "$program" 2>/dev/null) || return 1
  if [ "$program" = busybox ]; then
    is_static "$path" || return 1
  fi
}

missing=()
for pair in "${pairs[@]}"; do
  program=${pair%%:*}
  package=${pair#*:}
  if ! present "$program"; then
    echo "install-packages: $program not found (or not usable); it comes with Debian's $package"
    case " ${missing[*]-} " in *" $package "*) ;; *) missing+=("$package") ;; esac
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-packages: missing ${missing[*]}; run this as root or install them with apt-get" >&2
  exit 1
fi
echo "install-packages: installing ${missing[*]}"
apt-get update -qq
# The packages' service units are not wanted: the tests start their own processes.
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
for pair in "${pairs[@]}"; do
  if ! present "${pair%%:*}"; then
    echo "install-packages: ${pair%%:*} is still not on PATH ($PATH) after installing ${pair#*:}" >&2
    exit 1
  fi
done
