"""Lazy free: UNLINK, FLUSHALL/FLUSHDB ASYNC and lazyfree-lazy-user-del /
lazyfree-lazy-user-flush hand values that are costly to free (more than 64
allocations: list nodes, hash table entries, skiplist nodes) to a background
thread, as Redis's lazyfree.c; INFO's lazyfreed_objects counts them once
freed and lazyfree_pending_objects drains to 0. Cheap values (a listpack, a
1 MB string) are freed at once and not counted."""

import pytest

from helpers import OK, integer, spread_keys, wait_until


def counts(r):
    f = r.info("memory")
    return f["lazyfree_pending_objects"], f["lazyfreed_objects"]


def freed_after(r, action):
    """lazyfreed_objects' growth once action's frees are done."""
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
