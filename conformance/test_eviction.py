"""maxmemory and eviction: every policy evicts the right kind of key
(volatile-* only keys with a TTL, volatile-ttl the nearest expiry, LRU keeps
recently touched keys, LFU frequently touched ones, judged statistically
with wide but real bounds, as Redis's own tests do); a fill with random keys
never passes maxmemory by more than the stated margin (docs/architecture.md,
"Memory limit and eviction"); the exact -OOM rules for plain commands,
MULTI/EXEC and scripts; OBJECT FREQ/IDLETIME per policy; RESTORE's
IDLETIME/FREQ; `evicted` notifications, WATCH and INFO's counters.
maxmemory is always set relative to the used_memory INFO reports, so the
tests pass on Redis (about 1 MB of base) and on kevy alike."""

import os
import random
import time

import pytest
import redis

from helpers import NIL, OK, err, wait_until

OOM = err("OOM command not allowed when used memory > 'maxmemory'.")
EXECABORT_OOM = err("EXECABORT Transaction discarded because of: OOM command not allowed when "
                    "used memory > 'maxmemory'.")
NO_LFU = err("ERR An LFU maxmemory policy is not selected, access frequency not tracked. "
             "Please note that when switching between policies at runtime LRU and LFU data "
             "will take some time to adjust.")
IS_LFU = err("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note "
             "that when switching between policies at runtime LRU and LFU data will take some "
             "time to adjust.")

# kevy's stated margin: a fill can pass maxmemory by at most one command's
# growth on each shard (the shards evict after each of their commands).
SHARDS = int(os.environ.get("KEVY_SHARDS", "2") or 2)
MARGIN = 4096 * SHARDS


def used(r):
    return int(r.info("memory")["used_memory"])


@pytest.fixture
def mm(r):
    """The shared server with maxmemory settings restored afterwards."""
    yield r
    r.config_set("maxmemory", 0)
    r.config_set("maxmemory-policy", "noeviction")
    r.config_set("maxmemory-samples", 5)
    r.config_set("lfu-log-factor", 10)
    r.config_set("lfu-decay-time", 1)
    r.config_set("notify-keyspace-events", "")


def fill(r, keys, size=200, ttl=None):
    p = r.pipeline(transaction=False)
    for i, k in enumerate(keys):
        if ttl is None:
            p.set(k, b"v" * size)
        else:
            p.set(k, b"v" * size, ex=ttl(i))
        if i % 200 == 199:
            p.execute()
    p.execute()


def random_fill(r, limit, rnd, batches, per_batch):
    """SET random keys with 50-400 byte values in pipelined batches; the
    most used_memory passed limit after any batch (negative: never)."""
    worst = -10**12
    for _ in range(batches):
        p = r.pipeline(transaction=False)
        for _ in range(per_batch):
            p.set("fill:%d" % rnd.randrange(10**9), b"x" * rnd.randrange(50, 400))
        p.execute()
        worst = max(worst, used(r) - limit)
    return worst


def shrink(r, fraction):
    """Lower maxmemory so that about `fraction` of the data set must go, and
    wait until every shard is under it (Redis evicts on any command; a
    kevy shard after its commands and at its tick)."""
    base = used(r)
    r.config_set("maxmemory", 0)
    limit = int(r.info("memory")["used_memory"] - (base - EMPTY[0]) * fraction)
    r.config_set("maxmemory", limit)
    assert wait_until(lambda: r.ping() and used(r) <= limit + MARGIN, timeout=5.0), \
        (used(r), limit)
    return limit


EMPTY = [0]


@pytest.fixture
def empty(mm):
    mm.config_resetstat()
    EMPTY[0] = used(mm)
    return mm


def survivors(r, keys):
    p = r.pipeline(transaction=False)
    for k in keys:
        p.exists(k)
    return [k for k, e in zip(keys, p.execute()) if e]


# ------------------------------------------------------------------ OOM rules


def test_noeviction_refuses_deny_oom_commands_exactly(mm, raw):
    mm.set("a", "1")
    mm.config_set("maxmemory", 1)
    assert raw.call("SET", "b", "1")[1] == OOM
    assert raw.call("LPUSH", "l", "x")[1] == OOM
    assert raw.call("GET", "a")[1] == b"$1\r\n1\r\n"   # not deny-oom
    assert raw.call("DEL", "a")[1] == b":1\r\n"        # frees memory: allowed
    assert raw.call("PING")[1] == b"+PONG\r\n"
    mm.config_set("maxmemory", 0)
    assert raw.call("SET", "b", "1")[1] == OK


def test_multi_over_limit_refuses_queueing_then_execabort(mm, raw):
    mm.set("a", "1")
    mm.config_set("maxmemory", 1)
    assert raw.call("MULTI")[1] == OK
    assert raw.call("GET", "a")[1] == OOM             # anything queued is refused
    assert raw.call("MULTI")[1] == OOM
    assert raw.call("WATCH", "a")[1] == OOM
    assert raw.call("EXEC")[1] == err("EXECABORT Transaction discarded because of previous errors.")
    assert raw.call("MULTI")[1] == OK
    assert raw.call("DISCARD")[1] == OK               # DISCARD is never refused


def test_exec_with_queued_write_over_limit_is_discarded(mm, raw, connect):
    other = connect()
    mm.set("a", "1")
    assert raw.call("MULTI")[1] == OK
    assert raw.call("SET", "b", "1")[1] == b"+QUEUED\r\n"
    assert raw.call("GET", "a")[1] == b"+QUEUED\r\n"
    assert other.call("CONFIG", "SET", "maxmemory", "1")[1] == OK
    assert raw.call("EXEC")[1] == EXECABORT_OOM
    assert raw.call("GET", "a")[1] == b"$1\r\n1\r\n"  # no longer in MULTI
    other.call("CONFIG", "SET", "maxmemory", "0")
    assert mm.exists("b") == 0


def test_exec_with_reads_only_runs_over_limit(mm, raw, connect):
    other = connect()
    mm.set("a", "1")
    assert raw.call("MULTI")[1] == OK
    assert raw.call("GET", "a")[1] == b"+QUEUED\r\n"
    assert other.call("CONFIG", "SET", "maxmemory", "1")[1] == OK
    assert raw.call("EXEC")[1] == b"*1\r\n$1\r\n1\r\n"


def test_scripts_over_limit_follow_allow_oom(mm, raw):
    mm.set("x", "123")
    mm.config_set("maxmemory", 1)
    # no shebang: runs, but a deny-oom call before any write is refused
    v, wire = raw.call("EVAL", "redis.call('set','x',1) return 1", "1", "x")
    assert wire.startswith(b"-OOM command not allowed when used memory > 'maxmemory'. script: ")
    assert raw.call("EVAL", "return redis.call('get','x')", "1", "x")[1] == b"$3\r\n123\r\n"
    # a shebang without allow-oom: the script does not run at all
    assert raw.call("EVAL", "#!lua flags=\nreturn 1", "1", "x")[1] == OOM
    assert raw.call("EVAL", "#!lua flags=allow-oom\nredis.call('set','x',1)\nreturn 1",
                    "1", "x")[1] == b":1\r\n"
    assert raw.call("EVAL", "#!lua flags=no-writes\nredis.call('get','x')\nreturn 1", "0")[1] == \
        b":1\r\n"
    assert raw.call("EVAL_RO", "redis.call('get','x') return 1", "1", "x")[1] == b":1\r\n"
    mm.config_set("maxmemory", 0)
    assert mm.get("x") == b"1"


# ----------------------------------------------------------- OBJECT, RESTORE


def test_object_freq_and_idletime_answer_per_policy(mm, raw):
    mm.set("k", "v")
    assert raw.call("OBJECT", "FREQ", "k")[1] == NO_LFU
    assert raw.call("OBJECT", "IDLETIME", "k")[1] == b":0\r\n"
    for policy in ("allkeys-lfu", "volatile-lfu"):
        mm.config_set("maxmemory-policy", policy)
        assert raw.call("OBJECT", "IDLETIME", "k")[1] == IS_LFU
        assert raw.call("OBJECT", "FREQ", "nokey")[1] == NIL
        mm.set("new:" + policy, "v")                   # a new value starts at LFU_INIT_VAL
        assert raw.call("OBJECT", "FREQ", "new:" + policy)[1] == b":5\r\n"
    mm.config_set("lfu-log-factor", 0)
    mm.set("new:allkeys-lfu", "w")    # an overwrite is an access and keeps the counter
    assert raw.call("OBJECT", "FREQ", "new:allkeys-lfu")[1] == b":6\r\n"
    for policy in ("allkeys-lru", "volatile-ttl", "allkeys-random", "noeviction"):
        mm.config_set("maxmemory-policy", policy)
        assert raw.call("OBJECT", "FREQ", "k")[1] == NO_LFU


def test_lfu_counter_counts_accesses(mm, raw):
    mm.config_set("maxmemory-policy", "allkeys-lfu")
    mm.config_set("lfu-log-factor", 0)                 # every access counts
    mm.set("k", "v")
    p = mm.pipeline(transaction=False)
    for _ in range(100):
        p.get("k")
    p.execute()
    assert raw.call("OBJECT", "FREQ", "k")[1] == b":105\r\n"
    for _ in range(200):
        raw.call("GET", "k")
    assert raw.call("OBJECT", "FREQ", "k")[1] == b":255\r\n"   # saturates


def test_restore_freq_and_idletime_are_applied(mm, raw):
    mm.set("src", "v")
    payload = mm.dump("src")
    assert raw.call("RESTORE", "a", "0", payload, "IDLETIME", "1000")[1] == OK
    assert raw.call("OBJECT", "IDLETIME", "a")[1] in (b":1000\r\n", b":1001\r\n")
    assert raw.call("RESTORE", "b", "0", payload, "FREQ", "100")[1] == OK
    mm.config_set("maxmemory-policy", "allkeys-lfu")
    assert raw.call("RESTORE", "c", "0", payload, "FREQ", "100")[1] == OK
    assert raw.call("OBJECT", "FREQ", "c")[1] == b":100\r\n"
    assert raw.call("RESTORE", "d", "0", payload, "IDLETIME", "1000")[1] == OK
    assert raw.call("OBJECT", "FREQ", "d")[1] == b":5\r\n"     # IDLETIME ignored under LFU


# ------------------------------------------------------------------ policies


def test_fill_never_passes_maxmemory_by_more_than_the_margin(empty):
    r = empty
    r.config_set("maxmemory-policy", "allkeys-random")
    limit = EMPTY[0] + 1_000_000
    r.config_set("maxmemory", limit)
    worst = random_fill(r, limit, random.Random(7), batches=200, per_batch=50)
    assert worst <= MARGIN, worst
    assert int(r.info("stats")["evicted_keys"]) > 0
    assert r.dbsize() > 1000


@pytest.mark.parametrize("policy", ["volatile-lru", "volatile-lfu", "volatile-random",
                                    "volatile-ttl"])
def test_volatile_policies_evict_only_keys_with_a_ttl(empty, policy):
    r = empty
    r.config_set("maxmemory-policy", policy)
    persistent = ["p:%d" % i for i in range(600)]
    volatile = ["v:%d" % i for i in range(1400)]
    fill(r, persistent)
    fill(r, volatile, ttl=lambda i: 10000 + i)
    shrink(r, 0.4)
    assert len(survivors(r, persistent)) == len(persistent)
    assert len(survivors(r, volatile)) < len(volatile)
    assert int(r.info("stats")["evicted_keys"]) == len(volatile) - len(survivors(r, volatile))


def test_volatile_policy_without_candidates_is_out_of_memory(empty, raw):
    r = empty
    r.config_set("maxmemory-policy", "volatile-lru")
    fill(r, ["p:%d" % i for i in range(300)])
    r.config_set("maxmemory", 1)
    assert raw.call("SET", "x", "1")[1] == OOM
    r.config_set("maxmemory", 0)
    assert r.dbsize() == 300


def test_volatile_ttl_evicts_the_nearest_expiries(empty):
    r = empty
    r.config_set("maxmemory-policy", "volatile-ttl")
    keys = ["t:%d" % i for i in range(2000)]
    fill(r, keys, ttl=lambda i: 10000 + i * 10)
    shrink(r, 0.4)
    alive = set(survivors(r, keys))
    near, far = keys[:500], keys[-500:]
    assert sum(k in alive for k in near) < 0.2 * len(near)
    assert sum(k in alive for k in far) > 0.8 * len(far)


@pytest.mark.parametrize("policy", ["allkeys-lru", "volatile-lru"])
def test_lru_keeps_recently_touched_keys(empty, policy):
    r = empty
    r.config_set("maxmemory-policy", policy)
    r.config_set("maxmemory-samples", 10)
    keys = ["l:%d" % i for i in range(2000)]
    fill(r, keys, ttl=(lambda i: 100000) if policy.startswith("volatile") else None)
    time.sleep(2.2)                                    # the LRU clock counts seconds
    hot = keys[::2]
    p = r.pipeline(transaction=False)
    for k in hot:
        p.get(k)
    p.execute()
    shrink(r, 0.35)
    alive = set(survivors(r, keys))
    cold = keys[1::2]
    assert sum(k in alive for k in hot) > 0.8 * len(hot)
    assert sum(k in alive for k in cold) < 0.5 * len(cold)


@pytest.mark.parametrize("policy", ["allkeys-lfu", "volatile-lfu"])
def test_lfu_keeps_frequently_touched_keys(empty, policy):
    r = empty
    r.config_set("maxmemory-policy", policy)
    r.config_set("lfu-log-factor", 0)
    keys = ["f:%d" % i for i in range(2000)]
    fill(r, keys, ttl=(lambda i: 100000) if policy.startswith("volatile") else None)
    hot = keys[::2]
    p = r.pipeline(transaction=False)
    for k in hot:
        for _ in range(5):
            p.get(k)
    p.execute()
    shrink(r, 0.35)
    alive = set(survivors(r, keys))
    cold = keys[1::2]
    assert sum(k in alive for k in hot) > 0.8 * len(hot)
    assert sum(k in alive for k in cold) < 0.5 * len(cold)


def test_allkeys_random_evicts_both_kinds(empty):
    r = empty
    r.config_set("maxmemory-policy", "allkeys-random")
    persistent = ["p:%d" % i for i in range(1000)]
    volatile = ["v:%d" % i for i in range(1000)]
    fill(r, persistent)
    fill(r, volatile, ttl=lambda i: 10000)
    shrink(r, 0.4)
    assert len(survivors(r, persistent)) < len(persistent)
    assert len(survivors(r, volatile)) < len(volatile)


# -------------------------------------------- notifications, WATCH, counters


def test_eviction_notifies_invalidates_watch_and_counts(empty, connect):
    r = empty
    r.config_set("notify-keyspace-events", "Ee")
    sub = redis.Redis(host=r.connection_pool.connection_kwargs["host"],
                      port=r.connection_pool.connection_kwargs["port"]).pubsub()
    sub.subscribe("__keyevent@0__:evicted")
    assert sub.get_message(timeout=2)["type"] == "subscribe"
    keys = ["w:%d" % i for i in range(50)]
    fill(r, keys)
    watcher = connect()
    assert watcher.call("WATCH", *keys)[1] == OK
    r.config_set("maxmemory-policy", "allkeys-random")
    r.config_set("maxmemory", 1)                       # everything must go
    assert wait_until(lambda: r.dbsize() == 0, timeout=5.0)
    r.config_set("maxmemory", 0)
    assert watcher.call("MULTI")[1] == OK
    assert watcher.call("SET", "w:0", "x")[1] == b"+QUEUED\r\n"
    assert watcher.call("EXEC")[1] == b"*-1\r\n"      # the watched keys were evicted
    got = set()
    deadline = time.monotonic() + 5
    while len(got) < len(keys) and time.monotonic() < deadline:
        m = sub.get_message(timeout=0.5)
        if m and m["type"] == "message":
            got.add(m["data"].decode())
    assert got == set(keys)
    assert int(r.info("stats")["evicted_keys"]) == len(keys)
    sub.close()


def test_info_reports_maxmemory_fields(mm):
    mm.config_set("maxmemory", 123456789)
    mm.config_set("maxmemory-policy", "volatile-ttl")
    mem = mm.info("memory")
    assert mem["maxmemory"] == 123456789
    assert mem["maxmemory_human"] == "117.74M"
    assert mem["maxmemory_policy"] == "volatile-ttl"
    assert mem["mem_not_counted_for_evict"] == 0
    stats = mm.info("stats")
    for f in ("evicted_keys", "total_eviction_exceeded_time", "current_eviction_exceeded_time"):
        assert isinstance(stats[f], int)


# ------------------------------------------------------ kevy: several shards


@pytest.mark.kevy_only
@pytest.mark.restart
@pytest.mark.parametrize("shards", [1, 2, 4])
def test_fill_margin_at_each_shard_count(server_factory, shards):
    srv = server_factory("--shards", str(shards))
    r = redis.Redis(host=srv.host, port=srv.port)
    r.config_set("maxmemory-policy", "allkeys-lru")
    limit = used(r) + 1_000_000
    r.config_set("maxmemory", limit)
    worst = random_fill(r, limit, random.Random(shards), batches=150, per_batch=60)
    assert worst <= 4096 * shards, worst
    assert int(r.info("stats")["evicted_keys"]) > 0
    r.close()


@pytest.mark.restart
def test_rdb_keeps_lfu_counter_and_lru_idle_time(server_factory):
    srv = server_factory("--enable-debug-command", "yes", "--maxmemory-policy", "allkeys-lfu",
                         "--lfu-log-factor", "0", "--save", "")
    r = redis.Redis(host=srv.host, port=srv.port)
    r.set("k", "v")
    for _ in range(20):
        r.get("k")
    assert r.object("freq", "k") == 25
    assert r.execute_command("DEBUG", "RELOAD") == b"OK"
    assert r.object("freq", "k") == 25
    r.config_set("maxmemory-policy", "allkeys-lru")
    payload = r.dump("k")
    r.restore("old", 0, payload, idletime=5000)
    assert r.execute_command("DEBUG", "RELOAD") == b"OK"
    assert 5000 <= r.object("idletime", "old") <= 5002
    r.close()
