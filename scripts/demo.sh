#!/usr/bin/env bash
# `make demo`: runs the bundled demo target and traces it with ghostscope for a few seconds.
#   scripts/demo.sh SCRIPT_FILE DURATION_S
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
DENO=${DENO:-"$ROOT/scripts/deno"}
script=$1
duration=${2:-5}

tests/fixtures/build/demo >/dev/null &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true' EXIT
sleep 0.3
echo "demo target: pid $pid; tracing it for ${duration}s with $script:"
sed 's/^/  /' "$script"
"$DENO" run -A main.ts -p "$pid" --script-file "$script" --duration "$duration"
