#!/usr/bin/env bash
# Installs the Debian packages the live tests need when they are missing: Docker Engine
# (docker.io, unless a docker CLI is already installed) and Redis 7 (server, Sentinel, tools; also
# the source of the test image), plus busybox-static for the test image's shell and gosu, which
# drops root the way the official image does. Needs root; does nothing when all are present.
set -euo pipefail
needed=(redis-server redis-sentinel redis-tools busybox-static gosu)
# A Docker Engine installed otherwise (Docker CE on GitHub's hosted runners) is used as it is:
# Debian's docker.io would conflict with it.
command -v docker >/dev/null 2>&1 || needed=(docker.io "${needed[@]}")
missing=()
for pkg in "${needed[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-packages: missing ${missing[*]}; run as root or install them with apt-get" >&2
  exit 1
fi
echo "install-packages: installing ${missing[*]}"
apt-get update -qq
# The packages' service units are not wanted: the tests start their own processes.
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
