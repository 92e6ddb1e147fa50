#!/usr/bin/env bash
# `make install [PREFIX=/usr/local]`: puts a `ghostscope` command in PREFIX/bin, from what
# `make build` made (run first by the Makefile):
#   - dist/ghostscope (the deno compile executable) when it exists: copied as PREFIX/bin/ghostscope;
#   - else the bundle: dist/ghostscope.js and the project's Deno are copied to PREFIX/lib/ghostscope/
#     and PREFIX/bin/ghostscope is a launcher that runs the one with the other. The install does not
#     depend on the checkout it came from. --no-config keeps a deno.json in the caller's directory
#     from changing how the bundle runs.
# PREFIX/lib/ghostscope is replaced as a whole; nothing else is touched.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PREFIX=${1:-/usr/local}
DIST=${GHOSTSCOPE_DIST:-"$ROOT/dist"}
DENO=${DENO:-"$ROOT/scripts/deno"}

die() {
  echo "ghostscope: $*" >&2
  exit 1
}
case "$PREFIX" in
  /*) ;;
  *) PREFIX="$PWD/$PREFIX" ;;
esac
case "$PREFIX" in *"'"*) die "PREFIX=$PREFIX: a quote in the path is not supported" ;; esac
BIN="$PREFIX/bin/ghostscope"
LIB="$PREFIX/lib/ghostscope"
mkdir -p "$PREFIX/bin" || die "cannot create $PREFIX/bin"

if [ -x "$DIST/ghostscope" ]; then
  rm -rf "$LIB"
  install -m 0755 "$DIST/ghostscope" "$BIN"
  echo "installed $BIN (standalone executable)"
  exit 0
fi
[ -f "$DIST/ghostscope.js" ] || die "nothing to install: $DIST/ghostscope.js is missing (run 'make build')"
# The real Deno binary behind scripts/deno (the `deno` on PATH or .tools/deno).
deno_bin=$("$DENO" eval --no-config 'console.log(Deno.execPath())') || die "cannot find the project's Deno"
rm -rf "$LIB.tmp"
mkdir -p "$LIB.tmp"
install -m 0755 "$deno_bin" "$LIB.tmp/deno"
install -m 0644 "$DIST/ghostscope.js" "$LIB.tmp/ghostscope.js"
rm -rf "$LIB"
mv "$LIB.tmp" "$LIB"
cat >"$BIN.tmp" <<LAUNCHER
#!/bin/sh
# ghostscope launcher written by 'make install': the bundle, run by the Deno installed next to it
# (without Deno's update check, which would print its own lines on stderr).
DENO_NO_UPDATE_CHECK=1
export DENO_NO_UPDATE_CHECK
exec '$LIB/deno' run -A --no-config --no-lock --no-npm --no-remote '$LIB/ghostscope.js' "\$@"
LAUNCHER
chmod 0755 "$BIN.tmp"
mv "$BIN.tmp" "$BIN"
echo "installed $BIN (launcher: $LIB/ghostscope.js run by $LIB/deno)"
