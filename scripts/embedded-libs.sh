#!/usr/bin/env bash
# Writes the TypeScript module that carries libbpf and the libraries it needs into the artifact:
#
#   scripts/embedded-libs.sh OUT.ts
#
# The shared objects come from Debian's packages of the versions pinned below (`apt-get
# download`, `dpkg-deb -x`), cached outside the repository in $GHOSTSCOPE_BUILD_CACHE (default
# ~/.cache/ghostscope/debs). Where apt no longer offers a pinned version, the version apt offers
# is used and one line says so (the module records the version either way, and `--version`
# prints it). Every DT_NEEDED of every library must be another embedded one or part of glibc.
# OUT.ts (written by scripts/embed-payload.ts: zlib as is, the others deflated) replaces
# ffi/embedded_libs_payload.ts in build.sh's staging copy of the tree.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DENO=${DENO:-"$ROOT/scripts/deno"}
OUT=${1:?usage: embedded-libs.sh OUT.ts}
CACHE=${GHOSTSCOPE_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ghostscope}/debs
# package=version soname, dependencies first (the loader opens them in this order).
PINS=(
  "zlib1g=1:1.2.13.dfsg-1 libz.so.1"
  "libelf1=0.188-2.1 libelf.so.1"
  "libbpf1=1:1.1.2-0+deb12u1 libbpf.so.1"
)
GLIBC_SONAMES=" libc.so.6 ld-linux-x86-64.so.2 libm.so.6 libpthread.so.0 libdl.so.2 librt.so.1 "

die() {
  echo "ghostscope: $*" >&2
  exit 1
}
command -v apt-get >/dev/null || die "cannot embed libbpf: apt-get is not available (a Debian build host is needed)"
command -v readelf >/dev/null || die "cannot embed libbpf: readelf (binutils) is not installed"
mkdir -p "$CACHE"

# download PKG VERSION: prints the path of the .deb in the cache (downloaded once).
download() {
  local pkg=$1 version=$2 f dir log
  for f in "$CACHE/${pkg}"_*.deb; do
    [ -f "$f" ] && [ "$(dpkg-deb -f "$f" Version)" = "$version" ] && echo "$f" && return 0
  done
  dir=$(mktemp -d /tmp/gs-apt-download.XXXXXX)
  log="$dir/log"
  get() { (cd "$dir" && apt-get download -qq "$@") >>"$log" 2>&1; }
  # Not offered: refresh the lists once (root only), then take the version apt offers.
  if ! get "$pkg=$version"; then
    if [ "$(id -u)" -eq 0 ]; then apt-get update -qq >>"$log" 2>&1 || true; fi
    if ! get "$pkg=$version"; then
      if ! get "$pkg"; then
        tail -n 5 "$log" >&2
        rm -rf "$dir"
        die "cannot embed libbpf: apt-get download $pkg failed"
      fi
      echo "ghostscope: $pkg $version is not available from apt; embedding the version apt offers" >&2
    fi
  fi
  for f in "$dir"/*.deb; do
    mv "$f" "$CACHE/"
    echo "$CACHE/$(basename "$f")"
  done
  rm -rf "$dir"
}

soname_of() { readelf -d "$1" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p'; }
needed_of() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }

tmp=$(mktemp -d /tmp/gs-embed.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
embedded=" "
specs=()
for pin in "${PINS[@]}"; do
  read -r spec soname <<<"$pin"
  pkg=${spec%%=*}
  deb=$(download "$pkg" "${spec#*=}")
  version=$(dpkg-deb -f "$deb" Version)
  rm -rf "$tmp/x" && mkdir "$tmp/x"
  dpkg-deb -x "$deb" "$tmp/x"
  file=""
  while read -r candidate; do
    [ "$(soname_of "$candidate")" = "$soname" ] && file=$candidate && break
  done < <(find "$tmp/x" -type f -name 'lib*.so*')
  [ -n "$file" ] || die "cannot embed libbpf: $deb holds no shared object with soname $soname"
  for need in $(needed_of "$file"); do
    case "$GLIBC_SONAMES$embedded" in
      *" $need "*) ;;
      *) die "cannot embed libbpf: $soname needs $need, which is neither embedded (before it) nor glibc" ;;
    esac
  done
  embedded+="$soname "
  cp "$file" "$tmp/$soname"
  specs+=("$soname=$pkg=$version=$tmp/$soname")
done
"$DENO" run --no-config --allow-read --allow-write "$ROOT/scripts/embed-payload.ts" "$tmp/out.ts" "${specs[@]}"
mv "$tmp/out.ts" "$OUT"
