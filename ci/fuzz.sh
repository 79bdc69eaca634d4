#!/usr/bin/env bash
# Run one libFuzzer harness for a bounded time on a scratch copy of its seed
# corpus (the committed corpus is never written). Any crash, leak or timeout
# fails, and the reproducer is kept under build/ for inspection.
set -euo pipefail
bin=$1 corpus=$2 seconds=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" build/fuzz-artifacts
cp -r "$corpus"/. "$work/corpus/" 2>/dev/null || true
jobs=$(nproc 2>/dev/null || echo 1)
"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix=build/fuzz-artifacts/ "$work/corpus" 2>"$work/log" || {
  tail -60 "$work/log"
  echo "fuzz: $(basename "$bin") FAILED (artifacts in build/fuzz-artifacts/)" >&2
  exit 1
}
grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$work/log" | tr '\n' ' '
echo
: "${jobs}"
