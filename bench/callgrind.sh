#!/usr/bin/env bash
# Instructions per request under callgrind (noise-free; see bench/README.md):
#   bench/callgrind.sh [kevy-server binary] [requests]
# prints "set <instr/req>" and "get <instr/req>" for pipelined (-P 16,
# -c 1, -r 100000) SET and GET against one shard. A redis-server binary
# works too (its flags differ: pass it as REDIS=1). WORKLOADS="set get
# evalsha" picks the workloads (evalsha: bench.py's short script, GET +
# INCR of one declared key).
set -euo pipefail
bin=${1:-build/kevy-server}
n=${2:-20000}
port=$(( 20000 + RANDOM % 20000 ))
out=$(mktemp -d)
trap 'kill $vg 2>/dev/null || true; rm -rf "$out"' EXIT
if [ "${REDIS:-0}" = 1 ]; then
  args=(--port $port --bind 127.0.0.1 --save '' --appendonly no)
else
  args=(--port $port --bind 127.0.0.1 --shards 1)
fi
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out/cg.%p" \
  "$bin" "${args[@]}" >"$out/log" 2>&1 &
vg=$!
for _ in $(seq 100); do redis-cli -p $port ping >/dev/null 2>&1 && break; sleep 0.1; done
script="redis.call('GET', KEYS[1]) return redis.call('INCR', KEYS[1])"
sha=$(redis-cli -p $port script load "$script")
redis-benchmark -p $port -c 1 -n 2000 -r 100000 -t set,get -q >/dev/null   # warm-up
redis-benchmark -p $port -c 1 -n 2000 -r 100000 -q evalsha "$sha" 1 counter:__rand_int__ >/dev/null
for t in ${WORKLOADS:-set get}; do
  callgrind_control -z $vg >/dev/null 2>&1
  callgrind_control -i on $vg >/dev/null 2>&1
  if [ "$t" = evalsha ]; then
    redis-benchmark -p $port -c 1 -n $n -P 16 -r 100000 -q evalsha "$sha" 1 counter:__rand_int__ >/dev/null
  else
    redis-benchmark -p $port -c 1 -n $n -P 16 -r 100000 -t $t -q >/dev/null
  fi
  callgrind_control -i off $vg >/dev/null 2>&1
  callgrind_control -d $vg >/dev/null 2>&1
  f=$(ls -t "$out"/cg.$vg.* | head -1)
  total=$(callgrind_annotate "$f" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
  echo "$t $(( total / n ))"
  if [ -n "${KEEP:-}" ]; then cp "$f" "$KEEP.$t"; fi
  rm -f "$out"/cg.$vg.*
done
