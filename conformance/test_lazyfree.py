"""Lazy free: UNLINK, FLUSHALL/FLUSHDB ASYNC and lazyfree-lazy-user-del /
lazyfree-lazy-user-flush hand values that are costly to free (more than 64
allocations: list nodes, hash table entries, skiplist nodes) to a background
thread, as Redis's lazyfree.c; INFO's lazyfreed_objects counts them once
freed and lazyfree_pending_objects drains to 0. Cheap values (a listpack, a
1 MB string) are freed at once and not counted."""

import time

import pytest

from helpers import OK, integer, spread_keys, wait_until


def counts(r):
    f = r.info("memory")
    return f["lazyfree_pending_objects"], f["lazyfreed_objects"]


def freed_after(r, action):
    """lazyfreed_objects' growth once action's frees are done (an earlier
    test's background frees finish first)."""
    assert wait_until(lambda: counts(r)[0] == 0, timeout=10)
    before = counts(r)[1]
    action()
    assert wait_until(lambda: counts(r)[0] == 0, timeout=10)
    return counts(r)[1] - before


def big(r, key, kind):
    """A value of each costly kind (Redis's default encoding thresholds)."""
    if kind == "set":
        r.sadd(key, *["m%d" % i for i in range(500)])
    elif kind == "hash":
        r.hset(key, mapping={"f%d" % i: i for i in range(600)})  # over 512: a table
    elif kind == "zset":
        r.zadd(key, {"m%d" % i: i for i in range(500)})
    else:  # 100 list nodes and more (8 KB listpacks)
        for _ in range(10):
            r.rpush(key, *["x" * 100] * 1000)


@pytest.fixture
def config(r):
    saved = {}

    def set_(name, value):
        saved.setdefault(name, r.config_get(name)[name])
        assert r.config_set(name, value)
    yield set_
    for name, value in saved.items():
        r.config_set(name, value)


@pytest.mark.parametrize("kind", ["set", "hash", "zset", "list"])
def test_unlink_of_a_costly_value_is_freed_in_the_background(r, raw, kind):
    big(r, "k", kind)
    assert freed_after(r, lambda: raw.raw("UNLINK", "k") == integer(1) or pytest.fail()) == 1
    assert r.exists("k") == 0


@pytest.mark.parametrize("setup", [
    lambda r: r.sadd("k", *range(100)),              # intset
    lambda r: r.hset("k", mapping={"a": 1, "b": 2}),  # listpack
    lambda r: r.set("k", "v" * (1 << 20)),            # one allocation however big
    lambda r: r.sadd("k", *["m%d" % i for i in range(60)] + ["x" * 100]),  # a 61-entry table
], ids=["intset", "listpack", "big-string", "small-table"])
def test_cheap_values_are_freed_at_once(r, raw, setup):
    setup(r)
    assert freed_after(r, lambda: raw.raw("UNLINK", "k")) == 0
    assert r.exists("k") == 0


def test_del_frees_at_once_unless_lazyfree_lazy_user_del(r, raw, config):
    big(r, "k", "set")
    assert freed_after(r, lambda: raw.raw("DEL", "k")) == 0
    config("lazyfree-lazy-user-del", "yes")
    big(r, "k", "set")
    big(r, "k2", "hash")
    assert freed_after(r, lambda: raw.raw("DEL", "k", "k2", "nokey") == integer(2)
                       or pytest.fail()) == 2


def fill(r, n):
    keys = spread_keys(n, "lf:")
    r.mset({k: "v" for k in keys})
    return keys


@pytest.mark.parametrize("cmd", [("FLUSHALL", "ASYNC"), ("FLUSHDB", "ASYNC")])
def test_flush_async_counts_every_key(r, raw, cmd):
    fill(r, 300)
    assert freed_after(r, lambda: raw.raw(*cmd) == OK or pytest.fail()) == 300
    assert r.dbsize() == 0


@pytest.mark.parametrize("cmd", [("FLUSHALL",), ("FLUSHALL", "SYNC"), ("FLUSHDB", "SYNC")])
def test_flush_sync_frees_at_once(r, raw, cmd):
    fill(r, 300)
    assert freed_after(r, lambda: raw.raw(*cmd)) == 0
    assert r.dbsize() == 0


def test_lazyfree_lazy_user_flush_makes_flush_async(r, raw, config):
    config("lazyfree-lazy-user-flush", "yes")
    fill(r, 200)
    assert freed_after(r, lambda: raw.raw("FLUSHALL")) == 200
    fill(r, 100)
    assert freed_after(r, lambda: raw.raw("FLUSHDB", "SYNC")) == 0


def test_flush_async_leaves_a_working_database(r, raw):
    keys = fill(r, 100)
    r.expire(keys[0], 100)
    assert raw.raw("FLUSHALL", "ASYNC") == OK
    assert r.dbsize() == 0
    fill(r, 50)
    r.expire(keys[1], 100)
    assert r.dbsize() == 50 and r.ttl(keys[1]) > 0
    assert r.ttl(keys[0]) == -1  # made again by the fill: the old TTL went with the flush


# ------------------------------------------- lazyfree-lazy-server-del


def dump_of(r, kind):
    big(r, "{t}src", kind)
    payload = r.dump("{t}src")
    r.delete("{t}src")
    return payload


# Each command deletes or overwrites the costly value at {t}k implicitly:
# Redis's dbDelete / dbOverwrite, lazy under lazyfree-lazy-server-del.
IMPLICIT = {
    "set": lambda r, raw: raw.raw("SET", "{t}k", "v"),
    "set-ex": lambda r, raw: raw.raw("SET", "{t}k", "v", "EX", "100"),
    "mset": lambda r, raw: raw.raw("MSET", "{t}k", "v", "{t}k2", "v"),
    "rename": lambda r, raw: r.set("{t}s", "v") and raw.raw("RENAME", "{t}s", "{t}k"),
    "copy-replace": lambda r, raw: r.set("{t}s", "v") and raw.raw("COPY", "{t}s", "{t}k", "REPLACE"),
    "restore-replace": lambda r, raw: raw.raw("RESTORE", "{t}k", "0", r.dump("{t}small"), "REPLACE"),
    "sunionstore": lambda r, raw: raw.raw("SUNIONSTORE", "{t}k", "{t}small"),
    "sunionstore-empty": lambda r, raw: raw.raw("SUNIONSTORE", "{t}k", "{t}none"),
    "zunionstore-empty": lambda r, raw: raw.raw("ZUNIONSTORE", "{t}k", "1", "{t}none"),
    "sort-store": lambda r, raw: raw.raw("SORT", "{t}small", "STORE", "{t}k"),
    "sort-store-empty": lambda r, raw: raw.raw("SORT", "{t}none", "STORE", "{t}k"),
    "bitop-empty": lambda r, raw: raw.raw("BITOP", "OR", "{t}k", "{t}none"),
}


@pytest.mark.parametrize("how", sorted(IMPLICIT))
def test_implicit_deletes_follow_lazyfree_lazy_server_del(r, raw, config, how):
    r.sadd("{t}small", "1", "2")
    big(r, "{t}k", "hash")
    assert freed_after(r, lambda: IMPLICIT[how](r, raw)) == 0   # "no": freed at once
    r.delete("{t}k")
    config("lazyfree-lazy-server-del", "yes")
    big(r, "{t}k", "hash")
    assert freed_after(r, lambda: IMPLICIT[how](r, raw)) == 1
    assert r.type("{t}k") != b"hash"
    r.delete("{t}k", "{t}k2", "{t}s", "{t}small")


def test_lazy_server_del_leaves_cheap_values_and_user_deletes_alone(r, raw, config):
    config("lazyfree-lazy-server-del", "yes")
    r.sadd("k", *range(100))                                # an intset
    assert freed_after(r, lambda: raw.raw("SET", "k", "v")) == 0
    r.delete("k")
    big(r, "k", "zset")
    assert freed_after(r, lambda: raw.raw("DEL", "k")) == 0  # lazyfree-lazy-user-del's
    big(r, "k", "list")
    assert freed_after(r, lambda: raw.raw("RENAME", "k", "k") == OK or pytest.fail()) == 0


def test_rename_across_shards_frees_only_the_replaced_value(r, raw, config):
    config("lazyfree-lazy-server-del", "yes")
    a, b = spread_keys(2, "rn:")  # on two shards where there are several
    big(r, a, "set")
    big(r, b, "zset")
    assert freed_after(r, lambda: raw.raw("RENAME", a, b) == OK or pytest.fail()) == 1
    assert r.type(b) == b"set" and r.scard(b) == 500


# ------------------------------------------------ lazyfree-lazy-expire


def test_lazy_expiry_on_access_follows_lazyfree_lazy_expire(r, raw, config):
    def expire_then_access():
        r.pexpire("k", 1)
        time.sleep(0.01)
        # gone on access, unless the active cycle took it first: either
        # way an expiry, and counted within this action
        assert raw.raw("EXISTS", "k") == integer(0)
    big(r, "k", "set")
    assert freed_after(r, expire_then_access) == 0
    config("lazyfree-lazy-expire", "yes")
    big(r, "k", "set")
    assert freed_after(r, expire_then_access) == 1


def test_active_expiry_follows_lazyfree_lazy_expire(r, config):
    config("lazyfree-lazy-expire", "yes")
    keys = spread_keys(4, "ax:")
    for k in keys:
        big(r, k, "zset")

    def expire_all():
        for k in keys:
            r.pexpire(k, 1)
        # nobody touches them: the active cycle (hz) deletes them
        assert wait_until(lambda: r.info("keyspace").get("db0", {}).get("expires", 0) == 0,
                          timeout=10)
    assert freed_after(r, expire_all) == 4


@pytest.mark.parametrize("cmd", [("EXPIRE", "k", "0"), ("PEXPIREAT", "k", "1"),
                                 ("GETEX", "k", "PXAT", "1")])
def test_expire_in_the_past_follows_lazyfree_lazy_expire(r, raw, config, cmd):
    config("lazyfree-lazy-server-del", "yes")  # not this one's
    big(r, "k", "hash")
    if cmd[0] == "GETEX":
        r.delete("k")
        r.set("k", "v")
        assert freed_after(r, lambda: raw.raw(*cmd)) == 0   # a string: one allocation
        return
    assert freed_after(r, lambda: raw.raw(*cmd) == integer(1) or pytest.fail()) == 0
    config("lazyfree-lazy-expire", "yes")
    big(r, "k", "hash")
    assert freed_after(r, lambda: raw.raw(*cmd) == integer(1) or pytest.fail()) == 1
    assert r.exists("k") == 0


# ---------------------------------------------- lazyfree-lazy-eviction


@pytest.mark.parametrize("lazy", ["no", "yes"])
def test_evicted_values_follow_lazyfree_lazy_eviction(r, config, lazy):
    config("maxmemory-policy", "allkeys-random")
    config("lazyfree-lazy-eviction", lazy)
    keys = spread_keys(12, "ev:")
    for k in keys:
        big(r, k, "set")
    evicted = int(r.info("stats")["evicted_keys"])
    base = counts(r)[1]
    config("maxmemory", int(r.info("memory")["used_memory"]) - 60000)

    def evicted_now():
        r.set("x", "y")  # any command: a shard evicts after its commands and at its tick
        return int(r.info("stats")["evicted_keys"]) > evicted
    try:
        assert wait_until(evicted_now, timeout=5)
    finally:
        r.config_set("maxmemory", 0)
    assert wait_until(lambda: counts(r)[0] == 0, timeout=10)
    gone = len(keys) - sum(r.exists(k) for k in keys)  # the costly values evicted
    assert 1 <= gone <= int(r.info("stats")["evicted_keys"]) - evicted
    assert counts(r)[1] - base == (gone if lazy == "yes" else 0)
