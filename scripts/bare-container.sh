#!/usr/bin/env bash
# Runs a command in a container-like root built from a bare Debian rootfs (scripts/bare-rootfs.sh),
# without touching the rootfs or the real /. As root:
#
#   scripts/bare-container.sh ROOTFS [--private-pid] [--no-sys] [--no-tracefs] [--no-proc] \
#     [--copy SRC:DEST]... -- CMD [ARG...]
#
# A new private mount namespace (and with --private-pid a new PID namespace too, CMD's parent
# being its PID 1; without it the host's PIDs are visible, like `docker run --pid=host`). In it:
# a tmpfs holds an overlay whose lower layer is ROOTFS (writes go to the tmpfs); each --copy puts
# a host file into it (the artifact, Deno, a test program); any libbpf/libelf is removed; /dev is
# bound through; /proc is a fresh mount (showing the namespace's PIDs; none with --no-proc); /sys is a fresh sysfs
# (unless --no-sys) with tracefs on /sys/kernel/tracing (unless --no-tracefs), as a container
# started with `-v /sys/kernel/tracing:/sys/kernel/tracing` would have it; then CMD runs chrooted
# with a container's environment (only PATH, HOME and DENO_NO_UPDATE_CHECK=1).
set -euo pipefail

if [ "${1:-}" != --inner ]; then
  rootfs=${1:?usage: bare-container.sh ROOTFS [options] -- CMD...}
  private=0
  for arg in "$@"; do
    [ "$arg" = -- ] && break
    [ "$arg" = --private-pid ] && private=1
  done
  if [ "$private" = 1 ]; then
    exec unshare --mount --propagation private --pid --fork --kill-child -- \
      "$0" --inner "$(readlink /proc/self/ns/mnt)" "$@"
  fi
  exec unshare --mount --propagation private -- "$0" --inner "$(readlink /proc/self/ns/mnt)" "$@"
fi
caller_ns=${2:-}
shift 2
self_ns=$(readlink /proc/self/ns/mnt || true)
if [ -z "$self_ns" ] || [ -z "$caller_ns" ] || [ "$self_ns" = "$caller_ns" ]; then
  echo "bare-container: not in a private mount namespace; refusing" >&2
  exit 1
fi
die() {
  echo "bare-container: $*" >&2
  exit 1
}
[ "$(id -u)" -eq 0 ] || die "needs root"

rootfs=$1
shift
[ -f "$rootfs/.ghostscope-rootfs" ] || die "$rootfs is not a rootfs made by scripts/bare-rootfs.sh"
sys=1
tracefs=1
proc=1
copies=()
while [ $# -gt 0 ]; do
  case "$1" in
    --private-pid) ;;
    --no-sys) sys=0 ;;
    --no-tracefs) tracefs=0 ;;
    --no-proc) proc=0 ;;
    --copy)
      copies+=("$2")
      shift
      ;;
    --)
      shift
      break
      ;;
    *) die "unknown option $1" ;;
  esac
  shift
done
[ $# -gt 0 ] || die "no command"

base=$(mktemp -d /tmp/.gs-bare.XXXXXX)
mount -t tmpfs -o mode=700 gs-bare "$base"
mkdir -p "$base/upper" "$base/work" "$base/root"
mount -t overlay gs-bare-overlay -o "lowerdir=$rootfs,upperdir=$base/upper,workdir=$base/work" \
  "$base/root"
root=$base/root
for copy in "${copies[@]}"; do
  src=${copy%%:*}
  dest=${copy#*:}
  mkdir -p "$root$(dirname "$dest")"
  cp -L "$src" "$root$dest"
done
find "$root" -xdev \( -name 'libbpf.so*' -o -name 'libelf.so*' -o -name 'libelf-*.so' \) -delete
mount --rbind /dev "$root/dev"
if [ "$proc" = 1 ]; then mount -t proc proc "$root/proc"; fi
if [ "$sys" = 1 ]; then
  mount -t sysfs -o ro sysfs "$root/sys" # read-only, as Docker mounts it
  if [ "$tracefs" = 1 ]; then mount -t tracefs tracefs "$root/sys/kernel/tracing"; fi
fi
# A container's environment, not the caller's (whose variables may name files that are not there).
# Deno's update check is off: its notices are Deno's, not ghostscope's.
exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
  DENO_NO_UPDATE_CHECK=1 \
  chroot "$root" /bin/sh -c 'cd / && exec "$@"' bare-container "$@"
