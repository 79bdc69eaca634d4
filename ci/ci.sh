#!/usr/bin/env bash
# The whole CI matrix: compilers, unit tests, conformance against kevy (1, 2
# and 4 shards) and real Redis, the sanitizer builds, fuzzing and valgrind.
# The suite runs in 4 processes (CONF_JOBS, Makefile); the runs that target
# one shared server or a single long test run in one.
# Every step must pass; a step's output is shown in full only if it fails.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
start=$(date +%s)

step() {
  local name=$1 t0 log rc
  shift
  t0=$(date +%s)
  log=$(mktemp)
  printf '=== %-44s' "$name"
  if "$@" >"$log" 2>&1; then rc=0; else rc=$?; fi
  if [ $rc -ne 0 ]; then
    echo "FAILED after $(( $(date +%s) - t0 ))s"
    tail -150 "$log"
    rm -f "$log"
    exit $rc
  fi
  echo "ok ($(( $(date +%s) - t0 ))s)  $(grep -E ' passed| checks, |executed_units' "$log" | tail -1 | cut -c1-90)"
  rm -f "$log"
}

# The suite against a server it did not start (a real Redis): kevy-only
# tests are left out, and the run must exit 0.
target_run() {
  local port dir rc=0
  port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  dir=$(mktemp -d)
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
    --daemonize yes --pidfile "$dir/pid" >/dev/null
  for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  make O=build/gcc conformance TARGET=127.0.0.1:"$port" || rc=$?
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$dir"
  return $rc
}

kqueue_check() {
  clang -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic -Iinclude -Isrc \
    -Ici/kqueue-shim -fsyntax-only src/rt/reactor_kqueue.c
}

step "gcc: build (-Werror) + unit tests"      make -j2 O=build/gcc CC=gcc all unit
step "clang: build (-Werror) + unit tests"    make -j2 O=build/clang CC=clang all unit
step "kqueue backend compiles (shim)"         kqueue_check
step "no include loop in src/cmd, src/rt"     $PY tools/check_includes.py
step "libkevy-rt example (kevy-minimal)"      $PY ci/test_minimal.py build/gcc/kevy-minimal
step "conformance: kevy, 1 shard"             make O=build/gcc conformance CONF_SHARDS=1
step "conformance: kevy, 2 shards"            make O=build/gcc conformance CONF_SHARDS=2
step "conformance: kevy, 4 shards"            make O=build/clang conformance CONF_SHARDS=4
step "conformance: real Redis 7.0"            make conformance-redis
step "conformance: TARGET=<running Redis>"     target_run
step "hot path: no lock per command"          $PY tools/check_hotpath.py build/gcc/kevy-server
# The AOF crash proof, longer: kill -9 at random moments, 4 shards, every
# acknowledged write and every cross-shard transfer checked after restart.
step "AOF crash test: 200 kill -9, always"     env KEVY_CRASH_CYCLES=200 make O=build/gcc conformance CONF_JOBS=1 PYTEST_ARGS="-k 'kill9 and always'"
step "AOF crash test: 50 kill -9, everysec"    env KEVY_CRASH_CYCLES=50 make O=build/gcc conformance CONF_JOBS=1 PYTEST_ARGS="-k 'kill9 and everysec'"
step "ASan+UBSan: unit + conformance"         bash ci/sanitize.sh asan
step "TSan: unit + conformance"               bash ci/sanitize.sh tsan
step "fuzz: each harness 30 s"                make O=build/gcc fuzz FUZZ_SECONDS="${CI_FUZZ_SECONDS:-30}"
step "valgrind memcheck: subset"              bash ci/valgrind.sh
echo "=== all green in $(( $(date +%s) - start ))s"
