#!/usr/bin/env bash
# `make test`'s last step: deno test -A tests/ (unit + e2e), then the summary restated as a
# plain closing line "tests: N passed, M failed, K skipped" (K = deno's "ignored").
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
DENO=${DENO:-"$ROOT/scripts/deno"}

log=$(mktemp /tmp/gs-test.XXXXXX)
trap 'rm -f "$log"' EXIT
rc=0
"$DENO" test -A tests/ "$@" 2>&1 | tee "$log" || rc=$?

summary=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^(ok|FAILED) \| [0-9]+ passed' | tail -n 1 || true)
if [ -n "$summary" ]; then
  num() {
    local v
    v=$(grep -oE "[0-9]+ $1" <<<"$summary" | head -n 1 | awk '{print $1}' || true)
    echo "${v:-0}"
  }
  echo "tests: $(num passed) passed, $(num failed) failed, $(num ignored) skipped"
elif [ "$rc" -eq 0 ]; then
  echo "tests: no deno test summary found" >&2
  rc=1
fi
exit "$rc"
