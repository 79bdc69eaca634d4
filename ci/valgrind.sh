#!/usr/bin/env bash
# valgrind memcheck on a subset: the fast unit tests, and kevy-server (2
# shards) under memcheck serving part of the conformance suite. An invalid
# access or a definite leak fails (exit 99 from valgrind).
set -euo pipefail
cd "$(dirname "$0")/.."
make -j2 O=build/vg OPT="-O1 -g" all
for t in build/vg/tests/test_*; do
  case "$t" in *test_resp_parse|*test_ring) continue ;; esac  # too slow under memcheck
  valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect "$t" 2>&1 | tail -1
done
KEVY_REAL_BIN="$PWD/build/vg/kevy-server" KEVY_SERVER_BIN="$PWD/ci/valgrind-kevy.sh" \
  KEVY_SHARDS=2 /usr/bin/python3 -m pytest -q -p no:cacheprovider --timeout 120 \
  conformance/test_strings.py conformance/test_keys.py conformance/test_connection.py \
  conformance/test_pipeline.py conformance/test_protocol.py
