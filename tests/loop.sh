#!/usr/bin/env bash
# Usage: bash tests/loop.sh [N] [TASK]
# Runs `deno task TASK` (default test:unit) N times in a row (default 20) and
# stops at the first failure, keeping that run's output. A flaky test shows
# up here as a failure in some run; a deterministic suite passes every run.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
task=${2:-test:unit}
log=$(mktemp "${TMPDIR:-/tmp}/incusops-loop.XXXXXX")
trap 'rm -f "$log"' EXIT
started=$(date +%s)
for run in $(seq 1 "$runs"); do
  run_started=$(date +%s)
  if ! deno task "$task" >"$log" 2>&1; then
    grep -E "FAILED|=> |error" "$log" | head -40 >&2 || true
    echo "== run $run of $runs FAILED after $(($(date +%s) - started)) s; full output:" >&2
    cat "$log" >&2
    exit 1
  fi
  summary=$(grep -E '^(ok|FAILED) \|' <(sed 's/\x1b\[[0-9;]*m//g' "$log") | tail -1)
  echo "== run $run of $runs passed in $(($(date +%s) - run_started)) s: $summary"
done
echo "== $runs of $runs runs passed in $(($(date +%s) - started)) s"
