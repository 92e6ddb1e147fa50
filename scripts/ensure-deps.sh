#!/usr/bin/env bash
# Installs what ghostscope's build, tests and benchmarks need, idempotently.
#
#   scripts/ensure-deps.sh [EXTRA_APT_PACKAGE...]
#
# - Debian packages (apt-get update runs once, and only when something is missing).
# - Deno 2.x: the `deno` on PATH if it is 2.x, else a project-local copy in .tools/deno
#   installed from the npm registry (npm package deno@2.9; its postinstall is not needed).
# - tracefs mounted at /sys/kernel/tracing.
# Prints one line per thing it installed or mounted, nothing when everything is present.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOCAL_DENO_DIR="$ROOT/.tools/deno"
LOCAL_DENO="$LOCAL_DENO_DIR/node_modules/@deno/linux-x64-glibc/deno"
DENO_NPM_SPEC="deno@2.9"

# debootstrap: the bare-container e2e test builds its Debian rootfs with it (scripts/bare-rootfs.sh).
PACKAGES=(libbpf1 gcc make bpftool bpftrace util-linux gdb libc6-dbg binutils debootstrap "$@")

say() { echo "ensure-deps: $*"; }
die() {
  echo "ensure-deps: $*" >&2
  exit 1
}

is_installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

ensure_apt() {
  local missing=() pkg log
  for pkg in "${PACKAGES[@]}"; do
    is_installed "$pkg" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "missing Debian packages (${missing[*]}); run as root or install them"
  log=$(mktemp /tmp/ensure-deps-apt.XXXXXX)
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get update -qq >"$log" 2>&1 ||
    ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
    tail -n 20 "$log" >&2
    rm -f "$log"
    die "apt-get install ${missing[*]} failed"
  fi
  rm -f "$log"
  for pkg in "${missing[@]}"; do
    is_installed "$pkg" || die "apt-get did not install $pkg"
    say "installed $pkg (apt)"
  done
}

deno_is_2x() {
  "$1" --version 2>/dev/null | head -n 1 | grep -q '^deno 2\.'
}

ensure_deno() {
  local path_deno log
  path_deno=$(command -v deno || true)
  if [ -n "$path_deno" ] && deno_is_2x "$path_deno"; then return 0; fi
  if [ -x "$LOCAL_DENO" ] && deno_is_2x "$LOCAL_DENO"; then return 0; fi
  command -v npm >/dev/null || die "deno 2.x is not on PATH and npm is not available to install it"
  mkdir -p "$LOCAL_DENO_DIR"
  log=$(mktemp /tmp/ensure-deps-npm.XXXXXX)
  if ! npm install --prefix "$LOCAL_DENO_DIR" --no-audit --no-fund "$DENO_NPM_SPEC" >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    rm -f "$log"
    die "npm install $DENO_NPM_SPEC failed"
  fi
  rm -f "$log"
  # npm skips the package's postinstall; the platform binary is usable as it is.
  [ -x "$LOCAL_DENO" ] || chmod +x "$LOCAL_DENO" 2>/dev/null || true
  deno_is_2x "$LOCAL_DENO" || die "installed $DENO_NPM_SPEC but $LOCAL_DENO does not run"
  say "installed $("$LOCAL_DENO" --version | head -n 1) (npm) at ${LOCAL_DENO#"$ROOT"/}"
}

ensure_tracefs() {
  local dir=/sys/kernel/tracing
  [ -e "$dir/uprobe_events" ] && return 0
  [ "$(id -u)" -eq 0 ] || die "tracefs is not mounted at $dir and mounting it needs root"
  mkdir -p "$dir" 2>/dev/null || true
  mount -t tracefs tracefs "$dir" || die "cannot mount tracefs at $dir"
  say "mounted tracefs at $dir"
}

ensure_apt
ensure_deno
ensure_tracefs
