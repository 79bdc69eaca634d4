#!/usr/bin/env bash
# Sanitizer builds running the unit tests and the conformance suite.
#   ci/sanitize.sh asan   AddressSanitizer + UndefinedBehaviorSanitizer (+ leaks)
#   ci/sanitize.sh tsan   ThreadSanitizer, 4 shards so cross-shard paths run
# Any report aborts the process; the fixtures also fail on a report in the log.
# Three processes share the suite (CONF_JOBS): sanitized servers are slow.
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-all}
# A small quarantine keeps RSS meaningful for the memory-bound tests.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:halt_on_error=1:quarantine_size_mb=16"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
if [ "$which" = asan ] || [ "$which" = all ]; then
  make -j2 O=build/asan SAN=asan CC=clang all unit
  make O=build/asan conformance CONF_SHARDS=2 CONF_JOBS=3
fi
if [ "$which" = tsan ] || [ "$which" = all ]; then
  make -j2 O=build/tsan SAN=tsan CC=clang all unit
  make O=build/tsan conformance CONF_SHARDS=4 CONF_JOBS=3
  # The bank and deadlock tests again, longer: races in the lock manager and
  # the EXEC engine show up under load (bounded time, see test_atomic.py).
  KEVY_STRESS_SECONDS=${KEVY_STRESS_SECONDS:-45} \
    make O=build/tsan conformance CONF_SHARDS=4 CONF_JOBS=1 PYTEST_ARGS="-k 'bank or deadlock'"
  # The job-queue proof of blocking commands, longer: blocked clients served,
  # timed out, unblocked, killed and gone across shards (test_blocking_queue.py).
  KEVY_QUEUE_SECONDS=${KEVY_QUEUE_SECONDS:-30} \
    make O=build/tsan conformance CONF_SHARDS=4 CONF_JOBS=1 PYTEST_ARGS="-k queue_"
fi
