#!/usr/bin/env bash
# Builds, once, the bare Debian root filesystem the container e2e test runs ghostscope in, and
# prints its path. `debootstrap --variant=minbase` of bookworm from the mirror apt already uses;
# cached OUTSIDE the repository, under $GHOSTSCOPE_ROOTFS_CACHE (default
# /var/cache/ghostscope-test), in a directory named by a version stamp: a new stamp builds anew.
# Any libbpf/libelf in it is removed (the point is a container that has none). Concurrent callers
# wait on a lock; the first builds, the others reuse.
#
#   scripts/bare-rootfs.sh          prints /var/cache/ghostscope-test/rootfs-<stamp>
set -euo pipefail

SUITE=bookworm
STAMP="$SUITE-minbase-1"
CACHE=${GHOSTSCOPE_ROOTFS_CACHE:-/var/cache/ghostscope-test}
ROOTFS="$CACHE/rootfs-$STAMP"

die() {
  echo "bare-rootfs: $*" >&2
  exit 1
}

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap and chroot)"
command -v debootstrap >/dev/null || die "debootstrap is not installed (run scripts/ensure-deps.sh debootstrap)"

# The mirror apt uses (deb822 sources first, then sources.list), else deb.debian.org.
mirror() {
  local uri
  uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' |
    grep -v security | head -n 1 || true)
  [ -n "$uri" ] || uri=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    awk '{print $2}' | grep -v security | head -n 1 || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9
if [ ! -f "$ROOTFS/.ghostscope-rootfs" ]; then
  tmp="$ROOTFS.tmp.$$"
  rm -rf "$ROOTFS" "$CACHE"/rootfs-"$STAMP".tmp.*
  log="$CACHE/debootstrap-$STAMP.log"
  start=$(date +%s)
  if ! debootstrap --variant=minbase "$SUITE" "$tmp" "$(mirror)" >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    rm -rf "$tmp"
    die "debootstrap $SUITE failed (log: $log)"
  fi
  rm -rf "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/lib/apt/lists/*
  find "$tmp" \( -name 'libbpf.so*' -o -name 'libelf.so*' -o -name 'libelf-*.so' \) -delete
  echo "$STAMP built in $(($(date +%s) - start)) s" >"$tmp/.ghostscope-rootfs"
  mv "$tmp" "$ROOTFS"
  echo "bare-rootfs: built $ROOTFS in $(($(date +%s) - start)) s" >&2
fi
echo "$ROOTFS"
