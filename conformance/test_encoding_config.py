"""The collection encoding parameters as live configuration, as in Redis 7.0:
hash-max-listpack-entries/-value, set-max-intset-entries,
zset-max-listpack-entries/-value and list-max-listpack-size (and their old
*-ziplist-* aliases), set by CONFIG SET on every shard, by flags and by the
configuration file. A write that crosses a threshold converts the value; a
value is never converted by the CONFIG SET itself, nor back; stored results
(*STORE) and RESTOREd values get the encoding for their size; COPY and
RENAME keep the value's encoding. Lists are always "quicklist" in 7.0: the
fill is seen in the node count of their DUMP payload, and a list keeps the
fill it was created with.

The shared server's parameters go back to Redis's defaults after each test.
"""

import os
import subprocess
import tempfile
import time

import pytest

from conftest import IMPL, SHARDS, Server, _free_port, _server_bin
from helpers import OK, spread_keys
from resp_client import RespClient

DEFAULTS = {
    "hash-max-listpack-entries": "512", "hash-max-listpack-value": "64",
    "set-max-intset-entries": "512", "zset-max-listpack-entries": "128",
    "zset-max-listpack-value": "64", "list-max-listpack-size": "-2",
    "list-compress-depth": "0",
}
ALIASES = {
    "hash-max-ziplist-entries": "hash-max-listpack-entries",
    "hash-max-ziplist-value": "hash-max-listpack-value",
    "zset-max-ziplist-entries": "zset-max-listpack-entries",
    "zset-max-ziplist-value": "zset-max-listpack-value",
    "list-max-ziplist-size": "list-max-listpack-size",
}

# Keys without hashtags, so they spread over every shard.
KEYS = spread_keys(16, "enc:")


@pytest.fixture(autouse=True)
def _defaults_after(server):
    yield
    args = []
    for name, value in DEFAULTS.items():
        args += [name, value]
    with RespClient(server.host, server.port) as c:
        assert c.raw("CONFIG", "SET", *args) == OK


def cfg(c, name, value):
    assert c.raw("CONFIG", "SET", name, str(value)) == OK


def enc(c, key):
    return c.value("OBJECT", "ENCODING", key)


def ql_nodes(c, key):
    """Nodes of a list, from its DUMP payload (QUICKLIST_2: type 18, then
    the node count as an RDB length; small counts are one byte)."""
    payload = c.value("DUMP", key)
    assert payload[0] == 18
    assert payload[1] < 64
    return payload[1]


def fields(n, prefix="f"):
    out = []
    for i in range(n):
        out += ["%s%d" % (prefix, i), "v"]
    return out


# ------------------------------------------------------------------ hashes

@pytest.mark.parametrize("name", ["hash-max-listpack-entries", "hash-max-ziplist-entries"])
def test_hash_entries_on_every_shard(raw, name):
    cfg(raw, name, 3)
    for key in KEYS:
        assert raw.value("HSET", key, *fields(3)) == 3
        assert enc(raw, key) == b"listpack"
        assert raw.value("HSET", key, "f3", "v") == 1
        assert enc(raw, key) == b"hashtable"
        assert raw.value("HDEL", key, "f0", "f1", "f2") == 3
        assert enc(raw, key) == b"hashtable"  # never back


def test_hash_entries_zero(raw):
    cfg(raw, "hash-max-listpack-entries", 0)
    for cmd in (["HSET", "a", "f", "1"], ["HSETNX", "b", "f", "1"], ["HINCRBY", "c", "f", "1"],
                ["HINCRBYFLOAT", "d", "f", "1"]):
        raw.value(*cmd)
        assert enc(raw, cmd[1]) == b"hashtable", cmd


@pytest.mark.parametrize("name", ["hash-max-listpack-value", "hash-max-ziplist-value"])
def test_hash_value_on_every_shard(raw, name):
    cfg(raw, name, 4)
    for key in KEYS:
        raw.value("HSET", key, "abcd", "wxyz")
        assert enc(raw, key) == b"listpack"
        raw.value("HSET", key, "f", "vwxyz")
        assert enc(raw, key) == b"hashtable"
    raw.value("HSET", "long-field", "abcde", "1")
    assert enc(raw, "long-field") == b"hashtable"
    raw.value("HSETNX", "nx", "f", "12345")
    assert enc(raw, "nx") == b"hashtable"


def test_hash_value_by_incr_results(raw):
    cfg(raw, "hash-max-listpack-value", 4)
    raw.value("HSET", "i", "f", "9998")
    assert raw.value("HINCRBY", "i", "f", "1") == 9999
    assert enc(raw, "i") == b"listpack"
    assert raw.value("HINCRBY", "i", "f", "1") == 10000
    assert enc(raw, "i") == b"hashtable"
    assert raw.value("HINCRBYFLOAT", "fl", "f", "1.25") == b"1.25"
    assert enc(raw, "fl") == b"listpack"
    assert raw.value("HINCRBYFLOAT", "fl", "f", "0.125") == b"1.375"
    assert enc(raw, "fl") == b"hashtable"


def test_hash_not_converted_by_config_set(raw):
    raw.value("HSET", "h", *fields(4))
    cfg(raw, "hash-max-listpack-entries", 2)
    assert enc(raw, "h") == b"listpack"
    assert raw.value("HDEL", "h", "f3") == 1
    assert raw.value("HGET", "h", "f0") == b"v"
    assert enc(raw, "h") == b"listpack"
    # The next write converts, an update too.
    assert raw.value("HSET", "h", "f0", "w") == 0
    assert enc(raw, "h") == b"hashtable"
    cfg(raw, "hash-max-listpack-entries", 512)
    assert raw.value("HSET", "h", "f9", "v") == 1
    assert enc(raw, "h") == b"hashtable"


# -------------------------------------------------------------------- sets

def test_set_intset_entries_on_every_shard(raw):
    cfg(raw, "set-max-intset-entries", 3)
    for key in KEYS:
        assert raw.value("SADD", key, "1", "2", "3") == 3
        assert enc(raw, key) == b"intset"
        assert raw.value("SADD", key, "3") == 0
        assert enc(raw, key) == b"intset"
        assert raw.value("SADD", key, "4") == 1
        assert enc(raw, key) == b"hashtable"
        assert raw.value("SREM", key, "1", "2", "3") == 3
        assert enc(raw, key) == b"hashtable"


def test_set_intset_entries_zero(raw):
    cfg(raw, "set-max-intset-entries", 0)
    raw.value("SADD", "s", "1")
    assert enc(raw, "s") == b"hashtable"


def test_set_not_converted_by_config_set(raw):
    raw.value("SADD", "s", "1", "2", "3")
    cfg(raw, "set-max-intset-entries", 2)
    assert enc(raw, "s") == b"intset"
    assert raw.value("SADD", "s", "1") == 0
    assert raw.value("SREM", "s", "3") == 1
    assert enc(raw, "s") == b"intset"
    assert raw.value("SADD", "s", "4") == 1  # 3 members again, over 2
    assert enc(raw, "s") == b"hashtable"


def test_set_store_results(raw):
    cfg(raw, "set-max-intset-entries", 2)
    raw.value("SADD", "a", "1", "2", "3", "4")
    raw.value("SADD", "b", "1", "2", "3", "5")
    raw.value("SADD", "c", "1", "2")
    raw.value("SADD", "m", "1", "x")
    cases = [
        (["SINTERSTORE", "d", "a", "c"], 2, b"intset"),
        (["SINTERSTORE", "d", "a", "b"], 3, b"hashtable"),
        (["SINTERSTORE", "d", "m", "a"], 1, b"intset"),
        (["SUNIONSTORE", "d", "c"], 2, b"intset"),
        (["SUNIONSTORE", "d", "a", "b"], 5, b"hashtable"),
        (["SDIFFSTORE", "d", "a", "b"], 1, b"intset"),
        (["SDIFFSTORE", "d", "a", "m"], 3, b"hashtable"),
    ]
    for cmd, n, want in cases:
        assert raw.value(*cmd) == n, cmd
        assert enc(raw, "d") == want, cmd
    assert raw.value("SMOVE", "a", "fresh", "4") == 1
    assert enc(raw, "fresh") == b"intset"
    assert raw.value("SMOVE", "a", "c", "3") == 1
    assert enc(raw, "c") == b"hashtable"


def test_spop_rebuilds_when_few_remain(raw):
    # With at most count / 5 members left, Redis moves those into a new set
    # made as SADD makes one, and replies the rest in the old set's order.
    raw.value("SADD", "s", *[str(i) for i in range(1, 21)])
    popped = raw.value("SPOP", "s", "17")
    assert [int(x) for x in popped] == sorted(int(x) for x in popped)  # intset order
    left = raw.value("SMEMBERS", "s")
    assert sorted(int(x) for x in popped + left) == list(range(1, 21))
    assert enc(raw, "s") == b"intset"
    raw.value("SADD", "h", *[str(i) for i in range(1, 601)])
    assert enc(raw, "h") == b"hashtable"
    assert len(raw.value("SPOP", "h", "590")) == 590
    assert raw.value("SCARD", "h") == 10
    assert enc(raw, "h") == b"intset"
    raw.value("SADD", "t", *[str(i) for i in range(1, 21)])
    raw.value("EXPIRE", "t", "100")
    cfg(raw, "set-max-intset-entries", 2)
    assert len(raw.value("SPOP", "t", "17")) == 17
    assert enc(raw, "t") == b"hashtable"
    assert raw.value("TTL", "t") == 100
    # Fewer pops than that: members are removed one by one, nothing rebuilt.
    raw.value("SADD", "u", "x", *[str(i) for i in range(1, 11)])
    assert len(raw.value("SPOP", "u", "9")) == 9
    assert enc(raw, "u") == b"hashtable"


# ------------------------------------------------------------------- zsets

@pytest.mark.parametrize("name", ["zset-max-listpack-entries", "zset-max-ziplist-entries"])
def test_zset_entries_on_every_shard(raw, name):
    cfg(raw, name, 3)
    for key in KEYS:
        assert raw.value("ZADD", key, "1", "a", "2", "b", "3", "c") == 3
        assert enc(raw, key) == b"listpack"
        assert raw.value("ZADD", key, "4", "d") == 1
        assert enc(raw, key) == b"skiplist"
        assert raw.value("ZREM", key, "a", "b", "c") == 3
        assert enc(raw, key) == b"skiplist"


def test_zset_entries_zero(raw):
    cfg(raw, "zset-max-listpack-entries", 0)
    raw.value("ZADD", "a", "1", "m")
    raw.value("ZINCRBY", "b", "1", "m")
    raw.value("GEOADD", "c", "1", "1", "m")
    for key in ("a", "b", "c"):
        assert enc(raw, key) == b"skiplist", key


@pytest.mark.parametrize("name", ["zset-max-listpack-value", "zset-max-ziplist-value"])
def test_zset_value_on_every_shard(raw, name):
    cfg(raw, name, 3)
    for key in KEYS:
        raw.value("ZADD", key, "1", "abc")
        assert enc(raw, key) == b"listpack"
        raw.value("ZADD", key, "2", "abcd")
        assert enc(raw, key) == b"skiplist"
    # A new key: by its first member; later ones convert as they are added.
    raw.value("ZADD", "first-long", "1", "abcd", "2", "x")
    raw.value("ZADD", "later-long", "1", "x", "2", "abcd")
    raw.value("GEOADD", "geo-long", "1", "1", "abcd")
    raw.value("GEOADD", "geo-short", "1", "1", "abc")
    assert [enc(raw, k) for k in ("first-long", "later-long", "geo-long", "geo-short")] == \
        [b"skiplist", b"skiplist", b"skiplist", b"listpack"]


def test_zset_not_converted_by_config_set(raw):
    raw.value("ZADD", "z", "1", "a", "2", "b", "3", "c")
    cfg(raw, "zset-max-listpack-entries", 2)
    assert enc(raw, "z") == b"listpack"
    raw.value("ZADD", "z", "5", "a")  # updates do not convert
    raw.value("ZINCRBY", "z", "1", "b")
    assert enc(raw, "z") == b"listpack"
    raw.value("ZADD", "z", "1", "d")
    assert enc(raw, "z") == b"skiplist"


def test_zset_store_results(raw):
    cfg(raw, "zset-max-listpack-entries", 2)
    raw.value("ZADD", "src", "1", "a", "2", "b", "3", "c")
    raw.value("ZADD", "two", "1", "a", "2", "b")
    raw.value("ZADD", "one", "1", "a")
    cases = [
        (["ZRANGESTORE", "d", "src", "0", "1"], 2, b"listpack"),
        (["ZRANGESTORE", "d", "src", "0", "-1"], 3, b"skiplist"),
        (["ZUNIONSTORE", "d", "1", "one"], 1, b"listpack"),
        (["ZUNIONSTORE", "d", "1", "src"], 3, b"skiplist"),
        (["ZINTERSTORE", "d", "2", "src", "two"], 2, b"listpack"),
        (["ZDIFFSTORE", "d", "2", "src", "one"], 2, b"listpack"),
        (["ZDIFFSTORE", "d", "1", "src"], 3, b"skiplist"),
    ]
    for cmd, n, want in cases:
        assert raw.value(*cmd) == n, cmd
        assert enc(raw, "d") == want, cmd
    cfg(raw, "zset-max-listpack-value", 1)
    assert raw.value("ZUNIONSTORE", "d", "1", "one") == 1
    assert enc(raw, "d") == b"listpack"
    raw.value("ZADD", "longm", "1", "ab")
    assert raw.value("ZUNIONSTORE", "d", "1", "longm") == 1
    assert enc(raw, "d") == b"skiplist"
    assert raw.value("ZRANGESTORE", "d", "longm", "0", "-1") == 1
    assert enc(raw, "d") == b"skiplist"


def test_geo_store_results(raw):
    cfg(raw, "zset-max-listpack-entries", 2)
    raw.value("GEOADD", "g", "13.361389", "38.115556", "a", "13.361390", "38.115557", "b",
              "15.087269", "37.502669", "c")
    assert raw.value("GEOSEARCHSTORE", "d", "g", "FROMLONLAT", "13.36", "38.11", "BYRADIUS",
                     "10", "km") == 2
    assert enc(raw, "d") == b"listpack"
    assert raw.value("GEOSEARCHSTORE", "d", "g", "FROMLONLAT", "13.36", "38.11", "BYRADIUS",
                     "1000", "km") == 3
    assert enc(raw, "d") == b"skiplist"


# ------------------------------------------------------------------- lists

@pytest.mark.parametrize("name", ["list-max-listpack-size", "list-max-ziplist-size"])
def test_list_fill_on_every_shard(raw, name):
    for fill, nodes in ((1, 7), (2, 4), (3, 3), (-2, 1)):
        cfg(raw, name, fill)
        for key in KEYS:
            raw.value("DEL", key)
            assert raw.value("RPUSH", key, *"abcdefg") == 7
            assert enc(raw, key) == b"quicklist"
            assert ql_nodes(raw, key) == nodes, (fill, key)


def test_list_fill_by_size(raw):
    item = "x" * 1000
    for fill, nodes in ((-1, 3), (-2, 2), (-3, 1)):
        cfg(raw, "list-max-listpack-size", fill)
        raw.value("DEL", "l")
        raw.value("RPUSH", "l", *([item] * 10))
        assert ql_nodes(raw, "l") == nodes, fill


def test_list_fill_extremes(raw):
    # 0 holds one entry per node; past -5 and 32767 the value is clamped
    # (a positive fill still stops a node at 8 KiB).
    items = [str(i) for i in range(1, 40001)]
    for fill, nodes in ((0, 3), (-9, 3), (40000, 20)):
        cfg(raw, "list-max-listpack-size", fill)
        raw.value("DEL", "l")
        raw.value("RPUSH", "l", *(items if fill else ["a", "b", "c"]))
        assert ql_nodes(raw, "l") == nodes, fill


def test_list_keeps_its_fill(raw):
    cfg(raw, "list-max-listpack-size", 2)
    raw.value("RPUSH", "l", "a", "b", "c", "d", "e")
    assert ql_nodes(raw, "l") == 3
    cfg(raw, "list-max-listpack-size", -2)
    raw.value("RPUSH", "l", "f", "g", "h")
    raw.value("LPUSH", "l", "z")
    assert ql_nodes(raw, "l") == 5
    raw.value("LINSERT", "l", "BEFORE", "c", "q")
    assert ql_nodes(raw, "l") == 6
    raw.value("RPUSH", "new", "a", "b", "c", "d", "e")
    assert ql_nodes(raw, "new") == 1


def test_list_results_get_current_fill(raw):
    raw.value("RPUSH", "src", *"abcdef")
    cfg(raw, "list-max-listpack-size", 1)
    assert raw.value("LMOVE", "src", "dst", "LEFT", "RIGHT") == b"a"
    assert raw.value("RPOPLPUSH", "src", "dst") == b"f"
    assert ql_nodes(raw, "dst") == 2
    assert ql_nodes(raw, "src") == 1
    # Redis 7.0's SORT STORE does not apply the setting: the default fill.
    assert raw.value("SORT", "src", "ALPHA", "STORE", "sorted") == 4
    assert ql_nodes(raw, "sorted") == 1


def test_list_restore_keeps_nodes(raw):
    cfg(raw, "list-max-listpack-size", 1)
    raw.value("RPUSH", "l", *"abcde")
    payload = raw.value("DUMP", "l")
    cfg(raw, "list-max-listpack-size", -2)
    assert raw.value("RESTORE", "r", "0", payload) == "OK"
    assert ql_nodes(raw, "r") == 5
    raw.value("RPUSH", "r", "z")  # the current fill: joins the last node
    assert ql_nodes(raw, "r") == 5
    cfg(raw, "list-max-listpack-size", 1)
    assert raw.value("RESTORE", "r2", "0", payload) == "OK"
    raw.value("RPUSH", "r2", "z")
    assert ql_nodes(raw, "r2") == 6


# ----------------------------------------------------------------- RESTORE

def _dump_restore(c, key, setup):
    """DUMP key, run setup (CONFIG SETs), RESTORE it elsewhere; the new key."""
    payload = c.value("DUMP", key)
    setup()
    assert c.value("RESTORE", key + ":r", "0", payload) == "OK"
    return key + ":r"


def test_restore_converts_by_current_limits(raw):
    raw.value("HSET", "h", *fields(3))
    raw.value("SADD", "s", "1", "2", "3")
    raw.value("ZADD", "z", "1", "a", "2", "b", "3", "c")

    def lower():
        cfg(raw, "hash-max-listpack-entries", 2)
        cfg(raw, "set-max-intset-entries", 2)
        cfg(raw, "zset-max-listpack-entries", 2)
    payloads = {k: raw.value("DUMP", k) for k in ("h", "s", "z")}
    lower()
    for k, want in (("h", b"hashtable"), ("s", b"hashtable"), ("z", b"skiplist")):
        for target in KEYS[:6]:
            raw.value("DEL", target)
            assert raw.value("RESTORE", target, "0", payloads[k]) == "OK"
            assert enc(raw, target) == want, (k, target)
    # And the other way: tables saved, compact encodings when they fit now.
    raw.value("HSET", "h2", *fields(3))
    raw.value("SADD", "s2", "1", "2", "3")
    raw.value("ZADD", "z2", "1", "a", "2", "b", "3", "c")
    assert [enc(raw, k) for k in ("h2", "s2", "z2")] == [b"hashtable", b"hashtable", b"skiplist"]
    payloads = {k: raw.value("DUMP", k) for k in ("h2", "s2", "z2")}
    for name, value in DEFAULTS.items():
        cfg(raw, name, value)
    for k, want in (("h2", b"listpack"), ("s2", b"intset"), ("z2", b"listpack")):
        assert raw.value("RESTORE", k + ":r", "0", payloads[k]) == "OK"
        assert enc(raw, k + ":r") == want, k


def test_restore_value_limits(raw):
    raw.value("HSET", "h", "f", "12345")
    raw.value("ZADD", "z", "1", "abcde")
    lp = {k: raw.value("DUMP", k) for k in ("h", "z")}
    cfg(raw, "hash-max-listpack-entries", 0)
    cfg(raw, "zset-max-listpack-value", 0)
    raw.value("HSET", "ht", "f", "12345")
    raw.value("ZADD", "sl", "1", "abcde")
    table = {"h": raw.value("DUMP", "ht"), "z": raw.value("DUMP", "sl")}
    for name, value in DEFAULTS.items():
        cfg(raw, name, value)
    cfg(raw, "hash-max-listpack-value", 3)
    cfg(raw, "zset-max-listpack-value", 3)
    # A listpack body is checked by its entry count only, as Redis does...
    assert raw.value("RESTORE", "h:lp", "0", lp["h"]) == "OK"
    assert raw.value("RESTORE", "z:lp", "0", lp["z"]) == "OK"
    assert enc(raw, "h:lp") == b"listpack"
    assert enc(raw, "z:lp") == b"listpack"
    # ... a table body by its elements' lengths too.
    assert raw.value("RESTORE", "h:t", "0", table["h"]) == "OK"
    assert raw.value("RESTORE", "z:t", "0", table["z"]) == "OK"
    assert enc(raw, "h:t") == b"hashtable"
    assert enc(raw, "z:t") == b"skiplist"


# -------------------------------------------------------- COPY and RENAME

def _tight(c):
    for name in ("hash-max-listpack-entries", "set-max-intset-entries",
                 "zset-max-listpack-entries"):
        cfg(c, name, 2)


def _roomy(c):
    for name in ("hash-max-listpack-entries", "set-max-intset-entries",
                 "zset-max-listpack-entries"):
        cfg(c, name, DEFAULTS[name])


def _three_each(c, suffix):
    c.value("HSET", "h" + suffix, *fields(3))
    c.value("SADD", "s" + suffix, "1", "2", "3")
    c.value("ZADD", "z" + suffix, "1", "a", "2", "b", "3", "c")


def test_copy_and_rename_keep_encoding(raw):
    # The objects are copied or moved as they are: tables stay tables under
    # roomy limits, compact values stay compact under tight ones.
    _tight(raw)
    _three_each(raw, ":table")
    _roomy(raw)
    _three_each(raw, ":compact")
    cases = [("h:table", b"hashtable"), ("s:table", b"hashtable"), ("z:table", b"skiplist"),
             ("h:compact", b"listpack"), ("s:compact", b"intset"), ("z:compact", b"listpack")]
    for limits in (_tight, _roomy):
        limits(raw)
        for key, want in cases:
            for target in KEYS[:6]:
                assert raw.value("COPY", key, target, "REPLACE") == 1
                assert enc(raw, target) == want, (key, target)
                moved = target + ":moved"
                assert raw.value("RENAME", target, moved) == "OK"
                assert enc(raw, moved) == want, (key, moved)


def test_copy_keeps_list_fill(raw):
    cfg(raw, "list-max-listpack-size", 1)
    raw.value("RPUSH", "{l}a", "a", "b")
    cfg(raw, "list-max-listpack-size", -2)
    assert raw.value("COPY", "{l}a", "{l}b") == 1
    raw.value("RPUSH", "{l}b", "c")
    assert ql_nodes(raw, "{l}b") == 3


# ------------------------------------------- flags and configuration file

def _check_small_limits(c):
    for key in KEYS:
        h, s, z, ll = key + ":h", key + ":s", key + ":z", key + ":l"
        c.value("HSET", h, *fields(2))
        c.value("SADD", s, "1")
        c.value("ZADD", z, "1", "a")
        c.value("RPUSH", ll, "a", "b", "c")
        assert [enc(c, h), enc(c, s), enc(c, z)] == [b"listpack", b"intset", b"listpack"]
        c.value("HSET", h, "x", "y")
        c.value("SADD", s, "2")
        c.value("ZADD", z, "2", "b")
        assert [enc(c, h), enc(c, s), enc(c, z)] == [b"hashtable", b"hashtable", b"skiplist"]
        assert ql_nodes(c, ll) == 3


SMALL = ["hash-max-listpack-entries", "2", "set-max-intset-entries", "1",
         "zset-max-ziplist-entries", "1", "list-max-ziplist-size", "1"]


@pytest.mark.restart
def test_flags(server_factory):
    flags = []
    for i in range(0, len(SMALL), 2):
        flags += ["--" + SMALL[i], SMALL[i + 1]]
    srv = server_factory(*flags)
    with RespClient(srv.host, srv.port) as c:
        got = c.value("CONFIG", "GET", "*-max-*")
        got = dict(zip(got[0::2], got[1::2]))
        assert got[b"hash-max-ziplist-entries"] == b"2"
        assert got[b"zset-max-listpack-entries"] == b"1"
        assert got[b"list-max-listpack-size"] == b"1"
        _check_small_limits(c)


def _answers(port):
    try:
        with RespClient("127.0.0.1", port, timeout=1) as c:
            return c.raw("PING") == b"+PONG\r\n"
    except OSError:
        return False


@pytest.mark.restart
def test_config_file():
    d = tempfile.mkdtemp(prefix="kevy-enc-conf-")
    path = os.path.join(d, "kevy.conf")
    with open(path, "w") as f:
        for i in range(0, len(SMALL), 2):
            f.write("%s %s\n" % (SMALL[i], SMALL[i + 1]))
    args = [_server_bin(), path, "--port", str(_free_port()), "--save", ""]
    if IMPL == "kevy":
        args += ["--shards", str(SHARDS)]
    logpath = os.path.join(d, "server.log")
    with open(logpath, "wb") as log:
        proc = subprocess.Popen(args, cwd=d, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT)
    srv = Server("127.0.0.1", int(args[3]), proc, None, logpath)
    try:
        deadline = time.monotonic() + 10
        while not _answers(srv.port):
            assert proc.poll() is None and time.monotonic() < deadline, srv.log()
            time.sleep(0.05)
        with RespClient(srv.host, srv.port) as c:
            _check_small_limits(c)
    finally:
        assert not srv.stop()
        subprocess.run(["rm", "-rf", d])


def test_aliases_share_values(raw):
    for alias, name in ALIASES.items():
        cfg(raw, alias, 7)
        assert raw.value("CONFIG", "GET", name) == [name.encode(), b"7"]
        cfg(raw, name, 9)
        assert raw.value("CONFIG", "GET", alias) == [alias.encode(), b"9"]
