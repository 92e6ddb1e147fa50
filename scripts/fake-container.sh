#!/usr/bin/env bash
# Runs a command under a private root that looks like (or unlike) a container, without touching
# the real /. As root:
#
#   [unshare --pid --fork --mount-proc] scripts/fake-container.sh \
#     [--dockerenv|--no-dockerenv] [--containerenv|--no-containerenv] \
#     [--bind DIR]... [--cwd DIR] -- CMD [ARG...]
#
# How: the script re-executes itself in a new private mount namespace (unshare --mount), then
# a tmpfs is mounted (in this mount namespace only) on /tmp/.gs-fakeroot, an overlay whose
# lower layer is the real / is mounted inside it, the markers are created or removed in the
# overlay (writes go to the tmpfs upper layer, never to /), /dev /sys /tmp and every --bind DIR
# are bind-mounted through (so files written there are real), a fresh /proc is mounted (it shows
# the current PID namespace), and CMD runs chrooted into the overlay.
#
# Markers: /.dockerenv (Docker) and /run/.containerenv (Podman). Default: both present, whatever
# the real / has (note: some hosts, this project's VMs included, have a real /.dockerenv).
set -euo pipefail

if [ "${1:-}" != --inner ]; then
  exec unshare --mount --propagation private -- "$0" --inner "$(readlink /proc/self/ns/mnt)" "$@"
fi
# Paranoia: the mounts below must never land in the caller's mount namespace.
caller_ns=${2:-}
shift 2
self_ns=$(readlink /proc/self/ns/mnt || true)
if [ -z "$self_ns" ] || [ -z "$caller_ns" ] || [ "$self_ns" = "$caller_ns" ]; then
  echo "fake-container: not in a private mount namespace; refusing" >&2
  exit 1
fi

dockerenv=1
containerenv=1
binds=()
cwd=/
while [ $# -gt 0 ]; do
  case "$1" in
    --dockerenv) dockerenv=1 ;;
    --no-dockerenv) dockerenv=0 ;;
    --containerenv) containerenv=1 ;;
    --no-containerenv) containerenv=0 ;;
    --bind)
      binds+=("$2")
      shift
      ;;
    --cwd)
      cwd=$2
      shift
      ;;
    --)
      shift
      break
      ;;
    *)
      echo "fake-container: unknown option $1" >&2
      exit 2
      ;;
  esac
  shift
done
[ $# -gt 0 ] || {
  echo "fake-container: no command" >&2
  exit 2
}
[ "$(id -u)" -eq 0 ] || {
  echo "fake-container: needs root" >&2
  exit 1
}

base=/tmp/.gs-fakeroot
mkdir -p "$base"
chmod 700 "$base"
mount -t tmpfs -o mode=700 gs-fakeroot "$base"
mkdir -p "$base/upper" "$base/work" "$base/root"
mount -t overlay gs-fakeroot-overlay \
  -o "lowerdir=/,upperdir=$base/upper,workdir=$base/work" "$base/root"
root=$base/root

if [ "$dockerenv" = 1 ]; then
  : >"$root/.dockerenv"
else
  rm -f "$root/.dockerenv"
fi
mkdir -p "$root/run"
if [ "$containerenv" = 1 ]; then
  : >"$root/run/.containerenv"
else
  rm -f "$root/run/.containerenv"
fi

for dir in /dev /sys /tmp "${binds[@]}"; do
  [ -d "$dir" ] || continue
  mkdir -p "$root$dir"
  mount --rbind "$dir" "$root$dir"
done
mount -t proc proc "$root/proc"

# shellcheck disable=SC2016 # $1 and $@ are expanded by the inner sh
exec chroot "$root" /bin/sh -c 'cd "$1" && shift && exec "$@"' fake-container "$cwd" "$@"
