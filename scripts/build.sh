#!/usr/bin/env bash
# `make build`: produces
#   dist/ghostscope.js  always: one self-contained ES module (deno bundle; npm:yaml inlined, and
#                       Debian's libbpf, libelf and zlib embedded: scripts/embedded-libs.sh),
#                       verified by running it from an empty directory with --no-npm --no-remote.
#   dist/ghostscope     a standalone executable (deno compile, the same libraries embedded), only
#                       when a Deno runtime (denort) is available offline: $DENORT_BIN, or denort
#                       already in Deno's cache. Otherwise one line on stderr says so, and the
#                       build still succeeds (exit 0) with the bundle alone.
# Both are built from a staging copy of the tree (in /tmp) whose ffi/embedded_libs_payload.ts is
# the generated module; the repository's copy stays the empty stub. GHOSTSCOPE_DIST=DIR writes the
# artifacts to DIR instead of dist/ (the bare-container e2e test builds its own).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
DENO=${DENO:-"$ROOT/scripts/deno"}
ENTRY=main.ts
DIST=${GHOSTSCOPE_DIST:-dist}

fail() {
  echo "ghostscope: $*" >&2
  exit 1
}

[ -f "$ENTRY" ] || fail "cannot build: $ENTRY does not exist"
mkdir -p "$DIST"
DIST=$(cd "$DIST" && pwd)
BUNDLE="$DIST/ghostscope.js"
EXE="$DIST/ghostscope"

# --- 0. the staging tree, with the libraries embedded --------------------------------------------
STAGE=$(mktemp -d /tmp/gs-stage.XXXXXX)
trap 'rm -rf "$STAGE"' EXIT
cp -r "$ENTRY" deno.json deno.lock ffi lib bpf "$STAGE/"
scripts/embedded-libs.sh "$STAGE/ffi/embedded_libs_payload.ts"

# smoke NAME DIR CMD...: `CMD --version`, run in DIR, must exit 0 and print "ghostscope X.Y..."
# and the embedded libbpf's line.
smoke() {
  local out
  if ! out=$(cd "$2" && env -u GHOSTSCOPE_LIBBPF timeout 20 "${@:3}" --version </dev/null 2>&1); then
    echo "$out" | tail -n 5 >&2
    echo "ghostscope: $1 does not run: '--version' failed" >&2
    return 1
  fi
  if ! grep -q '^ghostscope [0-9]' <<<"$out"; then
    echo "ghostscope: $1 is not ghostscope: '--version' printed '$(head -n 1 <<<"$out")'" >&2
    return 1
  fi
  grep -q '^libbpf [0-9.]* (embedded: ' <<<"$out" && return 0
  echo "ghostscope: $1 does not use its embedded libbpf: '--version' printed '$(tail -n 1 <<<"$out")'" >&2
  return 1
}

# --- 1. the bundle -----------------------------------------------------------------------------
rm -f "$BUNDLE"
log=$(mktemp /tmp/gs-bundle.XXXXXX)
# --platform browser: npm:yaml then resolves to its plain-ESM build, so the bundle imports no
# `node:` module at all (the Node build needs node:process, and any `node:` import starts Deno's
# Node compatibility layer: ~15 ms of every start-up). The code uses Deno APIs either way.
# --minify: less than half the source for Deno to read, hash against its code cache and
# pre-parse at every start (bench/startup.ts: a few ms of each start-up). Error messages do not
# depend on names (error classes set their `name` explicitly).
if ! (cd "$STAGE" && "$DENO" bundle --quiet --platform browser --minify --output "$BUNDLE" "$ENTRY") >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  fail "deno bundle failed"
fi
rm -f "$log"
if grep -Eq '(from|import\(|require\()[[:space:]]*"(npm|jsr|https?|node):' "$BUNDLE"; then
  fail "$BUNDLE still imports npm:/jsr:/node:/remote modules; it is not self-contained"
fi
empty=$(mktemp -d /tmp/gs-bundle-run.XXXXXX)
cp "$BUNDLE" "$empty/ghostscope.js"
# A fresh DENO_DIR and no npm/remote resolution: proves nothing outside the file is needed.
if ! DENO_DIR="$empty/.deno" smoke "$BUNDLE" "$empty" \
  "$DENO" run -A --no-config --no-lock --no-npm --no-remote ghostscope.js; then
  rm -rf "$empty" "$BUNDLE"
  exit 1
fi
# The bundled yaml parser works: an unknown key in a config file is reported by name.
echo "not_a_setting: 1" >"$empty/ghostscope.yaml"
out=$(cd "$empty" && DENO_DIR="$empty/.deno" timeout 20 "$DENO" run -A --no-config --no-lock \
  --no-npm --no-remote ghostscope.js -p 1 -s 'trace f {}' </dev/null 2>&1) || true
if ! grep -q "unknown key 'not_a_setting'" <<<"$out"; then
  echo "$out" | tail -n 5 >&2
  rm -rf "$empty" "$BUNDLE"
  fail "$BUNDLE cannot read a config file (the bundled yaml parser failed)"
fi
rm -rf "$empty"
echo "built ${BUNDLE#"$ROOT"/} ($(wc -c <"$BUNDLE") bytes, libbpf embedded): run it with 'deno run -A ${BUNDLE#"$ROOT"/}'"
# `make bench` needs only the bundle.
[ "${1:-}" = "--bundle-only" ] && exit 0

# --- 2. the executable -------------------------------------------------------------------------
rm -f "$EXE"
version=$("$DENO" --version | head -n 1 | awk '{print $2}')
target=x86_64-unknown-linux-gnu
if [ -n "${DENORT_BIN:-}" ]; then
  { [ -f "$DENORT_BIN" ] && [ -x "$DENORT_BIN" ]; } || fail "DENORT_BIN=$DENORT_BIN is not an executable file"
  # The full deno CLI is not a runtime: an executable built on it ignores the program and
  # behaves as `deno` (it would start a REPL). denort has no subcommands.
  if timeout 10 "$DENORT_BIN" compile --help </dev/null 2>&1 | grep -q 'deno compile'; then
    fail "DENORT_BIN=$DENORT_BIN is the deno CLI, not the denort runtime (denort-$target from the Deno $version release)"
  fi
else
  cache="${DENO_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/deno}/dl/release/v$version/denort-$target.zip"
  if [ ! -f "$cache" ]; then
    # Not a failure: the bundle is the artifact; the executable is a convenience on top.
    echo "ghostscope: ${EXE#"$ROOT"/} not built: the Deno runtime (denort-$target, Deno $version) is not available offline (the npm registry's @deno packages carry only the deno CLI); set DENORT_BIN=/path/to/denort" >&2
    exit 0
  fi
fi
log=$(mktemp /tmp/gs-compile.XXXXXX)
if ! (cd "$STAGE" && "$DENO" compile --quiet -A --output "$EXE" "$ENTRY") >"$log" 2>&1; then
  tail -n 5 "$log" >&2
  rm -f "$log" "$EXE"
  fail "deno compile failed"
fi
rm -f "$log"
if ! smoke "$EXE" "$ROOT" "$EXE"; then
  rm -f "$EXE"
  exit 1
fi
echo "built ${EXE#"$ROOT"/}"
