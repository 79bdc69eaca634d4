#!/usr/bin/env bash
# Install what a make target needs, only if it is missing, so `make run` and
# `make test` work on a fresh Debian machine and cost nothing the second time.
#   ci/deps.sh run    compiler, make, Lua 5.1 with cjson and bitop (scripting)
#   ci/deps.sh test   + clang/libFuzzer, pytest (with xdist), redis-py
#   ci/deps.sh ci     + redis-server/redis-benchmark (the oracle), valgrind
set -euo pipefail
level=${1:-test}

pkgs=(gcc make libc6-dev pkg-config liblua5.1-0-dev lua-cjson lua-cjson-dev lua-bitop lua-bitop-dev)
if [ "$level" != run ]; then
  pkgs+=(clang libclang-rt-14-dev python3 python3-pytest python3-redis python3-pytest-timeout
         python3-pytest-xdist)
fi
if [ "$level" = ci ]; then
  pkgs+=(redis-server redis-tools valgrind procps)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; else
  echo "deps: missing packages (${missing[*]}) and not root: install them and retry" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian package starts a redis-server on 6379; tests never use it.
if [ "$level" = ci ] && command -v systemctl >/dev/null; then
  $SUDO systemctl stop redis-server >/dev/null 2>&1 || true
fi
