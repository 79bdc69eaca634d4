# kevy: one entry point for building, testing, fuzzing and benchmarking.
# Build variants live in their own folders: `make O=build/asan SAN=asan`.
# Sources are found by wildcard, so adding a .c file needs no edit here.

.DEFAULT_GOAL := all
.SUFFIXES:

PY      := /usr/bin/python3
O       ?= build
SAN     ?=
OPT     ?= -O2 -g
PORT    ?= 6379
SHARDS  ?= 0
FUZZ_SECONDS ?= 20
UNAME_S := $(shell uname -s)

ifeq ($(UNAME_S),Linux)
REACTOR ?= epoll
else
REACTOR ?= kqueue
endif

SAN_asan := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
SAN_tsan := -fsanitize=thread -fno-omit-frame-pointer
SAN_fuzz := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

WARN    := -Wall -Wextra -Werror -pedantic -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wpointer-arith -Wcast-qual -Wvla
# Lua 5.1 for scripting, as Redis embeds it, with Debian's cjson and bitop.
LUA_CFLAGS := $(shell pkg-config --cflags lua5.1 2>/dev/null || echo -I/usr/include/lua5.1)
LUA_LIBS   := -llua5.1-cjson -llua5.1-bitop $(shell pkg-config --libs lua5.1 2>/dev/null || echo -llua5.1)
CFLAGS  := -std=c99 -D_POSIX_C_SOURCE=200809L $(WARN) $(OPT) $(SAN_$(SAN)) \
           -Iinclude -Isrc $(LUA_CFLAGS) -MMD -MP $(EXTRA_CFLAGS)
LDFLAGS := $(SAN_$(SAN)) -pthread $(EXTRA_LDFLAGS)
LDLIBS  := $(LUA_LIBS) -lm $(EXTRA_LDLIBS)

RESP_SRC   := $(sort $(wildcard src/resp/*.c))
RT_SRC     := $(sort $(filter-out src/rt/reactor_%.c,$(wildcard src/rt/*.c))) src/rt/reactor_$(REACTOR).c
STORE_SRC  := $(sort $(wildcard src/store/*.c))
CMD_SRC    := $(sort $(wildcard src/cmd/*.c src/cmd/*/*.c))
SERVER_SRC := $(sort $(filter-out src/server/main.c,$(wildcard src/server/*.c)))
UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC   := $(sort $(wildcard fuzz/fuzz_*.c))

obj = $(patsubst %.c,$(O)/obj/%.o,$(1))

LIB_RESP := $(O)/libkevy-resp.a
LIB_RT   := $(O)/libkevy-rt.a
LIB_KEVY := $(O)/libkevy.a
SERVER   := $(O)/kevy-server
MINIMAL  := $(O)/kevy-minimal
QUEUEBENCH := $(O)/kevy-queuebench
FANOUTBENCH := $(O)/kevy-fanoutbench
STREAMBENCH := $(O)/kevy-streambench
GETBENCH := $(O)/kevy-getbench
UNIT_BIN := $(patsubst tests/unit/%.c,$(O)/tests/%,$(UNIT_SRC))
FUZZ_BIN := $(patsubst fuzz/%.c,$(O)/fuzz/%,$(FUZZ_SRC))

.PHONY: all run test unit conformance conformance-redis compat-report compat-docs fuzz bench-values bench-persist \
        fuzz-build sanitize bench ci deps clean valgrind

all: $(SERVER) $(MINIMAL) $(UNIT_BIN) $(QUEUEBENCH) $(FANOUTBENCH) $(STREAMBENCH) $(GETBENCH)

Q := $(if $(V),,@)

$(O)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(LIB_RESP): $(call obj,$(RESP_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# The runtime library carries the RESP objects too: embedders link one archive.
$(LIB_RT): $(call obj,$(RT_SRC) $(RESP_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# Everything kevy-server is made of except main(): commands, store, server.
$(LIB_KEVY): $(call obj,$(SERVER_SRC) $(CMD_SRC) $(STORE_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(SERVER): $(call obj,src/server/main.c) $(LIB_KEVY) $(LIB_RT)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(MINIMAL): $(call obj,examples/minimal.c) $(LIB_RT)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The load generators of `make bench` (C99, POSIX, pthreads; bench/benchlib.c
# is what they share): the job queue (bench/queuebench.c), the Pub/Sub
# fan-out (bench/fanoutbench.c), the stream consumer group
# (bench/streambench.c) and GET of one large value from the key's shard or
# another one (bench/getbench.c).
$(QUEUEBENCH): $(call obj,bench/queuebench.c bench/benchlib.c bench/benchplace.c)
	$(CC) $(LDFLAGS) -o $@ $^

$(FANOUTBENCH): $(call obj,bench/fanoutbench.c bench/benchlib.c bench/benchplace.c)
	$(CC) $(LDFLAGS) -o $@ $^

$(STREAMBENCH): $(call obj,bench/streambench.c bench/benchlib.c bench/benchplace.c)
	$(CC) $(LDFLAGS) -o $@ $^

$(GETBENCH): $(call obj,bench/getbench.c bench/benchlib.c bench/benchplace.c)
	$(CC) $(LDFLAGS) -o $@ $^

$(O)/tests/%: $(call obj,tests/unit/%.c) $(LIB_KEVY) $(LIB_RT)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# ---------------------------------------------------------------- running

run: deps-run $(SERVER)
	$(SERVER) --port $(PORT) --shards $(SHARDS)

# ---------------------------------------------------------------- testing

test: deps
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) conformance
	$(MAKE) fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)

# Every suite runs even if an earlier one fails, so all counts are shown.
unit: $(UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN); do out=$$($$t 2>&1) || { fail=1; out="$$out\nFAILED: $$t"; }; \
	  printf '%b\n' "$$out" | grep -v ' ok$$' || true; done; exit $$fail

# TARGET=host:port runs the suite against a server that is already up;
# otherwise the fixtures start $(SERVER) with SHARDS shards per test session.
# The suite runs in CONF_JOBS processes (pytest-xdist, whole files per
# process, each with its own server): it mostly waits on sockets and timers.
# CONF_JOBS=1, a TARGET (one shared server) or no xdist run it in one.
CONF_SHARDS ?= 2
CONF_JOBS ?= 4
PYTEST_ARGS ?=
XDIST = $(if $(filter-out 0 1,$(CONF_JOBS)),$(if $(TARGET),,$(shell $(PY) -c 'import xdist' \
          2>/dev/null && echo "-n $(CONF_JOBS) --dist loadfile")))
conformance: $(SERVER)
	KEVY_SERVER_BIN=$(abspath $(SERVER)) KEVY_SHARDS=$(CONF_SHARDS) KEVY_TARGET=$(TARGET) \
	  $(PY) -m pytest -q conformance $(XDIST) $(PYTEST_ARGS)

conformance-redis:
	KEVY_IMPL=redis KEVY_SERVER_BIN=$$(command -v redis-server) \
	  $(PY) -m pytest -q conformance -m "not kevy_only" $(XDIST) $(PYTEST_ARGS)

# The suite as a per-command compatibility report (conformance/compat.py):
# REPORT.md and REPORT.json for TARGET (or for kevy, started per session).
# The suite's exit status is ignored here: failures are what a report shows.
REPORT ?= build/compat/report
compat-report: $(SERVER)
	-KEVY_COMPAT_REPORT=$(abspath $(REPORT)) KEVY_SERVER_BIN=$(abspath $(SERVER)) \
	  KEVY_SHARDS=$(CONF_SHARDS) KEVY_TARGET=$(TARGET) $(PY) -m pytest -q conformance $(PYTEST_ARGS)
	@echo "report: $(REPORT).md $(REPORT).json"

# docs/compat/: the reports for kevy (2 shards) and for Redis 7.0.15.
compat-docs: $(SERVER)
	$(MAKE) compat-report REPORT=docs/compat/kevy CONF_SHARDS=2 TARGET=
	-KEVY_COMPAT_REPORT=$(abspath docs/compat/redis-7.0) KEVY_IMPL=redis \
	  KEVY_SERVER_BIN=$$(command -v redis-server) $(PY) -m pytest -q conformance \
	  -m "not kevy_only" $(PYTEST_ARGS)

fuzz-build:
	$(MAKE) O=$(O)/fuzzbuild SAN=fuzz CC=clang fuzz-bins

fuzz-bins: $(FUZZ_BIN)
$(O)/fuzz/%: $(call obj,fuzz/%.c) $(LIB_KEVY) $(LIB_RT)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

fuzz: fuzz-build
	@set -e; for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  echo "== $$n for $(FUZZ_SECONDS)s"; \
	  bash ci/fuzz.sh $(O)/fuzzbuild/fuzz/$$n fuzz/corpus/$$n $(FUZZ_SECONDS); done

sanitize:
	bash ci/sanitize.sh

valgrind:
	bash ci/valgrind.sh

# Throughput, the job queue and (with --workloads fanout or all) the Pub/Sub
# fan-out, both modes, then the memory report; BENCH_ARGS=--no-memory skips it.
# Then the large-value sweep (bench/values.py, i.e. bench.py --workloads values
# --rounds 3: SET and GET of 1 KB..1 MB, GET of 100 KB and 1 MB from the
# key's shard and from another, kevy-getbench); BENCH_VALUES=0 skips it,
# BENCH_VALUES_ARGS passes it flags.
# Then persistence (bench/persist.py: SET with the AOF, loading 1M keys, GET
# p99 while saving); BENCH_PERSIST=0 skips it.
BENCH_VALUES ?= 1
BENCH_PERSIST ?= 1
bench: $(SERVER) $(QUEUEBENCH) $(FANOUTBENCH) $(STREAMBENCH) $(GETBENCH)
	$(PY) bench/bench.py --kevy-bin $(SERVER) --queuebench-bin $(QUEUEBENCH) \
	  --fanoutbench-bin $(FANOUTBENCH) --streambench-bin $(STREAMBENCH) \
	  --getbench-bin $(GETBENCH) --memory $(BENCH_ARGS)
	@if [ "$(BENCH_VALUES)" != 0 ]; then \
	  $(PY) bench/values.py --kevy-bin $(SERVER) --getbench-bin $(GETBENCH) \
	    $(BENCH_VALUES_ARGS); fi
	@if [ "$(BENCH_PERSIST)" != 0 ]; then \
	  $(PY) bench/persist.py --kevy-bin $(SERVER) $(BENCH_PERSIST_ARGS); fi

bench-persist: $(SERVER)
	$(PY) bench/persist.py --kevy-bin $(SERVER) $(BENCH_PERSIST_ARGS)

bench-values: $(SERVER) $(GETBENCH)
	$(PY) bench/values.py --kevy-bin $(SERVER) --getbench-bin $(GETBENCH) $(BENCH_VALUES_ARGS)

ci:
	bash ci/ci.sh

deps:
	@bash ci/deps.sh test

deps-run:
	@bash ci/deps.sh run

clean:
	rm -rf build

-include $(shell find $(O)/obj -name '*.d' 2>/dev/null)
