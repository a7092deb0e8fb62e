#!/usr/bin/env bash
# Builds the live tests' image offline from Debian's Redis packages installed on this machine:
# no registry is reachable, so nothing is pulled. It has what the stack relies on in the official
# image: redis-server, redis-sentinel, redis-cli, gosu and a POSIX shell on PATH, /data owned by the
# redis user (uid 999) and /usr/local/etc for uploads. It also carries Debian's redis_exporter at
# /redis_exporter, where the official oliver006/redis_exporter image has it, so the exporters of
# the metrics suite run from this image too. Rebuilt only when its inputs change.
set -euo pipefail
image=${TEST_IMAGE:-appscreens-redis-test:7.0.15}
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/install-packages.sh"

# Each program is copied from where PATH finds it (install-packages.sh checked it is there).
busybox=$(command -v busybox)
redis_server=$(command -v redis-server)
redis_cli=$(command -v redis-cli)
gosu=$(command -v gosu)
redis_exporter=$(command -v prometheus-redis-exporter)
# The content of every input decides whether the image is current.
stamp=$(sha256sum "$busybox" "$redis_server" "$redis_cli" "$gosu" "$redis_exporter" "$0" | sha256sum | cut -c1-16)
if [ "$(docker image inspect -f '{{ index .Config.Labels "appscreens.build" }}' "$image" 2>/dev/null || true)" = "$stamp" ]; then
  exit 0
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,usr/bin,usr/local/bin,usr/local/etc,etc,data,tmp,lib64}
cp "$busybox" "$root/bin/busybox"
for applet in sh chroot cat cp mv rm mkdir chmod chown cut sed head grep sha256sum sleep ls echo test timeout id ps kill env tail wc tr awk mktemp; do
  ln -s /bin/busybox "$root/bin/$applet"
done
cp "$redis_server" "$redis_cli" "$root/usr/bin/"
# The official image starts as root and drops to the redis user with gosu from /usr/local/bin.
cp "$gosu" "$root/usr/local/bin/gosu" # statically linked
cp "$redis_exporter" "$root/redis_exporter"
# Redis picks its mode from the name it runs under, as Debian's own links do.
ln -s redis-server "$root/usr/bin/redis-sentinel"
ln -s redis-server "$root/usr/bin/redis-check-aof"
ln -s redis-server "$root/usr/bin/redis-check-rdb"
for bin in "$redis_server" "$redis_cli" "$redis_exporter"; do
  ldd "$bin" | grep -o '/[^ ]*' | while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
done
printf 'root:x:0:0:root:/root:/bin/sh\nredis:x:999:999:redis:/data:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\nredis:x:999:\n' >"$root/etc/group"
chown 999:999 "$root/data"
chmod 1777 "$root/tmp"

tar -C "$root" -c . | docker import \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  --change 'WORKDIR /data' \
  --change 'VOLUME /data' \
  --change 'CMD ["redis-server"]' \
  --change "LABEL appscreens.build=$stamp" \
  - "$image" >/dev/null
echo "build-test-image: built $image from $("$redis_server" --version | cut -d' ' -f1-3)"
