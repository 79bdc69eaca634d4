"""Sets: SADD SREM SMEMBERS SISMEMBER SMISMEMBER SCARD SPOP SRANDMEMBER SMOVE
SINTER SINTERCARD SINTERSTORE SUNION SUNIONSTORE SDIFF SDIFFSTORE SSCAN, and
the intset/hashtable encodings at Redis 7.0.15's exact threshold (7.0 has no
listpack sets: a small set with a non-integer member is a hashtable).

Order: an intset iterates ascending, and SUNION/SDIFF/SPOP-all build their
result as a fresh set that starts as an intset, so all-integer results are
asserted byte for byte. A hashtable iterates in its dict's order, which
depends on a per-process random SipHash key in both Redis and kevy: those
replies are compared as sets.

Multi-key commands run over keys spread across slots (so on a sharded
server some combinations span shards) and over {hashtagged} keys (one
shard). The encoding tests use OBJECT ENCODING (test_encoding_*,
test_store_encodings, test_sdiffstore_algorithm_decides_encoding).
"""

import itertools
import random

import pytest

from helpers import (NIL, NOT_INT, NULL3, SYNTAX, arity_err, array, bulk, err, info_fields, integer,
                     spread_keys)
from resp_client import RSet

WRONGTYPE = err("WRONGTYPE Operation against a key holding the wrong kind of value")
INTSET_MAX = 512   # set-max-intset-entries (Redis 7.0.15 default)
EMPTY_SET3 = b"~0\r\n"
EMPTY_ARR = b"*0\r\n"


def encoding(raw, key):
    return raw.value("OBJECT", "ENCODING", key)


def flat(*items):
    return array(*[bulk(str(x)) for x in items])


def set3(*items):
    return b"~%d\r\n" % len(items) + b"".join(bulk(str(x)) for x in items)


def members(r, key):
    return set(r.smembers(key))


def b(*xs):
    return {str(x).encode() for x in xs}


# ---------------------------------------------------------------- basics

def test_sadd_srem_scard(raw):
    assert raw.raw("SADD", "s", "a", "b", "a", "c") == integer(3)
    assert raw.raw("SADD", "s", "a", "d") == integer(1)
    assert raw.raw("SCARD", "s") == integer(4)
    assert raw.raw("SREM", "s", "a", "zz", "a") == integer(1)
    assert raw.raw("SCARD", "s") == integer(3)
    assert raw.raw("SREM", "nokey", "a") == integer(0)
    assert raw.raw("SCARD", "nokey") == integer(0)


def test_srem_last_member_deletes_key(raw):
    raw.value("SADD", "s", "1", "x")
    assert raw.raw("SREM", "s", "1", "x", "y") == integer(2)
    assert raw.raw("EXISTS", "s") == integer(0)
    raw.value("SADD", "i", "1")
    assert raw.raw("SREM", "i", "1") == integer(1)
    assert raw.raw("EXISTS", "i") == integer(0)


def test_sismember_smismember(raw, raw3):
    raw.value("SADD", "s", "1", "a", "")
    assert raw.raw("SISMEMBER", "s", "a") == integer(1)
    assert raw.raw("SISMEMBER", "s", "") == integer(1)
    assert raw.raw("SISMEMBER", "s", "b") == integer(0)
    assert raw.raw("SISMEMBER", "nokey", "a") == integer(0)
    assert raw3.raw("SISMEMBER", "s", "1") == integer(1)
    assert raw.raw("SMISMEMBER", "s", "1", "5", "a") == array(integer(1), integer(0), integer(1))
    assert raw3.raw("SMISMEMBER", "s", "1", "5") == array(integer(1), integer(0))
    assert raw.raw("SMISMEMBER", "nokey", "1") == array(integer(0))
    assert raw.raw("SMISMEMBER", "s") == arity_err("smismember")


def test_smembers_intset_ascending(raw, raw3):
    raw.value("SADD", "s", "30", "-5", "9223372036854775807", "0", "-9223372036854775808", "7")
    order = ["-9223372036854775808", "-5", "0", "7", "30", "9223372036854775807"]
    assert raw.raw("SMEMBERS", "s") == flat(*order)
    assert raw3.raw("SMEMBERS", "s") == set3(*order)
    assert raw.raw("SMEMBERS", "nokey") == EMPTY_ARR
    assert raw3.raw("SMEMBERS", "nokey") == EMPTY_SET3


def test_smembers_hashtable(raw, raw3, r):
    # Hashtable order is the dict's (random SipHash key): compare as sets.
    raw.value("SADD", "s", "a", "b", "1", "")
    assert members(r, "s") == b("a", "b", "1", "")
    v = raw3.value("SMEMBERS", "s")
    assert isinstance(v, RSet) and sorted(v) == sorted(b("a", "b", "1", ""))


def test_integer_members_canonical(raw, r):
    # Only canonical integers (string2ll) are integers; others stay strings.
    vals = ["1", "01", "-0", "+1", " 1", "1 ", "1.0", "9223372036854775808",
            "-9223372036854775809", "0x1"]
    raw.value("SADD", "s", *vals)
    assert raw.raw("SCARD", "s") == integer(len(vals))
    assert members(r, "s") == {v.encode() for v in vals}
    for v in vals:
        assert raw.raw("SISMEMBER", "s", v) == integer(1)
    assert raw.raw("SISMEMBER", "s", "001") == integer(0)


def test_binary_members(raw, r):
    ms = [b"", b"nul\x00m", b"\r\n", bytes(range(256)), b"nul"]
    assert raw.raw("SADD", "s", *ms) == integer(len(ms))
    assert members(r, "s") == set(ms)
    assert raw.raw("SISMEMBER", "s", b"nul\x00") == integer(0)
    assert raw.raw("SREM", "s", b"nul\x00m") == integer(1)
    assert raw.raw("SISMEMBER", "s", b"nul") == integer(1)


# ---------------------------------------------------------------- WRONGTYPE

@pytest.mark.parametrize("cmd", [
    ["SADD", "str", "a"], ["SREM", "str", "a"], ["SMEMBERS", "str"], ["SISMEMBER", "str", "a"],
    ["SMISMEMBER", "str", "a"], ["SCARD", "str"], ["SPOP", "str"], ["SPOP", "str", "2"],
    ["SPOP", "str", "0"], ["SRANDMEMBER", "str"], ["SRANDMEMBER", "str", "-2"],
    ["SSCAN", "str", "0"], ["SINTER", "str"], ["SUNION", "str"], ["SDIFF", "str"],
    ["SINTERCARD", "1", "str"], ["SINTERSTORE", "d", "str"], ["SUNIONSTORE", "d", "str"],
    ["SDIFFSTORE", "d", "str"], ["SMOVE", "str", "d", "a"],
])
def test_wrongtype(raw, raw3, cmd):
    raw.value("SET", "str", "x")
    assert raw.raw(*cmd) == WRONGTYPE
    assert raw3.raw(*cmd) == WRONGTYPE
    assert raw.raw("GET", "str") == bulk("x")
    assert raw.raw("EXISTS", "d") == integer(0)


@pytest.mark.parametrize("keys", [("nokey", "str"), ("{t}nokey", "{t}str"),
                                  ("s", "nokey", "str"), ("{t}s", "{t}nokey", "{t}str")])
def test_wrongtype_checked_on_every_key(raw, keys):
    # A missing key does not end the type checks: every key is looked at.
    raw.value("SET", keys[-1], "x")
    if len(keys) == 3:
        raw.value("SADD", keys[0], "1")
    for cmd in ("SINTER", "SUNION", "SDIFF"):
        assert raw.raw(cmd, *keys) == WRONGTYPE
        assert raw.raw(cmd + "STORE", "{t}dst", *keys) == WRONGTYPE
    assert raw.raw("SINTERCARD", len(keys), *keys) == WRONGTYPE
    assert raw.raw("SDIFF", keys[-1], keys[0]) == WRONGTYPE


# ---------------------------------------------------------------- encodings

def test_encoding_intset_threshold(raw, r):
    raw.value("SADD", "s", *range(INTSET_MAX))
    assert encoding(raw, "s") == b"intset"
    assert raw.raw("SADD", "s", "0") == integer(0)
    assert encoding(raw, "s") == b"intset"
    assert raw.raw("SADD", "s", INTSET_MAX) == integer(1)
    assert encoding(raw, "s") == b"hashtable"
    # One-way: shrinking back keeps the hashtable.
    raw.value("SREM", "s", *range(500))
    assert encoding(raw, "s") == b"hashtable"
    assert members(r, "s") == b(*range(500, INTSET_MAX + 1))


def test_encoding_intset_threshold_one_command(raw):
    raw.value("SADD", "s", *range(INTSET_MAX + 1))
    assert encoding(raw, "s") == b"hashtable"
    raw.value("SADD", "t", *range(INTSET_MAX))
    assert encoding(raw, "t") == b"intset"


@pytest.mark.parametrize("first,then,enc", [
    (["1", "2"], [], b"intset"),
    (["-9223372036854775808", "9223372036854775807"], [], b"intset"),
    (["a"], [], b"hashtable"),
    (["1"], ["a"], b"hashtable"),
    (["1", "a"], [], b"hashtable"),
    (["01"], [], b"hashtable"),
    (["1"], ["9223372036854775808"], b"hashtable"),
    (["1"], [" 1"], b"hashtable"),
    (["x" * 100], [], b"hashtable"),
])
def test_encoding_by_members(raw, first, then, enc):
    raw.value("SADD", "s", *first)
    if then:
        raw.value("SADD", "s", *then)
    assert encoding(raw, "s") == enc


def test_encoding_hashtable_stays_after_removals(raw, r):
    raw.value("SADD", "s", "1", "2", "a", "3")
    raw.value("SREM", "s", "a")
    assert encoding(raw, "s") == b"hashtable"
    assert members(r, "s") == b(1, 2, 3)
    # SMOVE creating its destination uses the moved member's kind.
    assert raw.raw("SMOVE", "s", "{s}new-int", "2") == integer(1)
    raw.value("SADD", "t", "x", "y")
    assert raw.raw("SMOVE", "t", "{t}new-str", "x") == integer(1)
    assert encoding(raw, "{s}new-int") == b"intset"
    assert encoding(raw, "{t}new-str") == b"hashtable"


def test_large_hashtable_set(raw, r):
    ms = [b"member:%d" % i for i in range(5000)]
    for i in range(0, 5000, 1000):
        raw.value("SADD", "s", *ms[i:i + 1000])
    assert raw.raw("SCARD", "s") == integer(5000)
    assert members(r, "s") == set(ms)
    assert raw.raw("SREM", "s", *ms[:4990]) == integer(4990)
    assert members(r, "s") == set(ms[4990:])
    assert raw.raw("SISMEMBER", "s", "member:4999") == integer(1)
    assert raw.raw("SISMEMBER", "s", "member:0") == integer(0)


# ---------------------------------------------------------------- SPOP

def test_spop_single(raw, raw3, r):
    assert raw.raw("SPOP", "nokey") == NIL
    assert raw3.raw("SPOP", "nokey") == NULL3
    raw.value("SADD", "s", "a", "b", "1")
    left = b("a", "b", "1")
    for _ in range(3):
        m = raw.value("SPOP", "s")
        assert m in left
        left.discard(m)
        assert members(r, "s") == left
    assert raw.raw("EXISTS", "s") == integer(0)
    assert raw.raw("SPOP", "s") == NIL


def test_spop_count_errors(raw):
    raw.value("SADD", "s", "1")
    positive = err("ERR value is out of range, must be positive")
    for c in ("-1", "x", "1.5", "9223372036854775808"):
        assert raw.raw("SPOP", "s", c) == positive
    assert raw.raw("SPOP", "s", "1", "2") == SYNTAX
    assert raw.raw("SPOP", "nokey", "x") == positive


def test_spop_count_edges(raw, raw3):
    raw.value("SADD", "s", "1", "2")
    assert raw.raw("SPOP", "s", "0") == EMPTY_ARR
    assert raw3.raw("SPOP", "s", "0") == EMPTY_SET3
    assert raw.raw("SCARD", "s") == integer(2)
    assert raw.raw("SPOP", "nokey", "3") == EMPTY_ARR
    assert raw3.raw("SPOP", "nokey", "0") == EMPTY_SET3
    assert raw3.raw("SPOP", "nokey", "3") == EMPTY_SET3


def test_spop_whole_set(raw, raw3, r):
    raw.value("SADD", "s", "3", "1", "2")
    assert raw3.raw("SPOP", "s", "10") == set3(1, 2, 3)
    assert raw.raw("EXISTS", "s") == integer(0)
    # A hashtable holding only integers pops ascending too (the reply is
    # built as a fresh set, which is an intset).
    raw.value("SADD", "h", "a", "30", "10", "20", "5", "-3")
    raw.value("SREM", "h", "a")
    assert encoding(raw, "h") == b"hashtable"
    assert raw.raw("SPOP", "h", "6") == flat(-3, 5, 10, 20, 30)
    assert raw.raw("EXISTS", "h") == integer(0)
    raw.value("SADD", "x", "a", "b", "c")
    got = raw3.value("SPOP", "x", "3")
    assert isinstance(got, RSet) and sorted(got) == [b"a", b"b", b"c"]
    assert raw.raw("EXISTS", "x") == integer(0)


@pytest.mark.parametrize("kind", ["int", "str"])
@pytest.mark.parametrize("size,count", [(10, 1), (10, 3), (10, 9), (1000, 5), (1000, 600),
                                        (1000, 999)])
def test_spop_count_partial(raw, raw3, r, kind, size, count):
    ms = [str(i) if kind == "int" else "m%d" % i for i in range(size)]
    for i in range(0, size, 500):
        raw.value("SADD", "s", *ms[i:i + 500])
    got = raw3.value("SPOP", "s", count)
    assert isinstance(got, RSet) and len(got) == count and len(set(got)) == count
    assert set(got) <= {m.encode() for m in ms}
    assert members(r, "s") == {m.encode() for m in ms} - set(got)


# ---------------------------------------------------------------- SRANDMEMBER

def test_srandmember_errors(raw):
    raw.value("SADD", "s", "1")
    assert raw.raw("SRANDMEMBER", "s", "x") == NOT_INT
    assert raw.raw("SRANDMEMBER", "nokey", "x") == NOT_INT
    assert raw.raw("SRANDMEMBER", "s", "-9223372036854775808") == err(
        "ERR value is out of range, value must between -9223372036854775807 and "
        "9223372036854775807")
    assert raw.raw("SRANDMEMBER", "s", "1", "2") == SYNTAX


def test_srandmember_edges(raw, raw3):
    assert raw.raw("SRANDMEMBER", "nokey") == NIL
    assert raw3.raw("SRANDMEMBER", "nokey") == NULL3
    assert raw.raw("SRANDMEMBER", "nokey", "3") == EMPTY_ARR
    assert raw3.raw("SRANDMEMBER", "nokey", "-3") == EMPTY_ARR
    raw.value("SADD", "s", "5", "1", "3")
    assert raw.raw("SRANDMEMBER", "s", "0") == EMPTY_ARR
    # count >= size: the whole set in its order (an array even in RESP3).
    assert raw.raw("SRANDMEMBER", "s", "3") == flat(1, 3, 5)
    assert raw3.raw("SRANDMEMBER", "s", "100") == flat(1, 3, 5)
    assert raw.raw("SRANDMEMBER", "s") in (bulk("1"), bulk("3"), bulk("5"))
    assert raw.raw("SCARD", "s") == integer(3)
    raw.value("SADD", "one", "x")
    assert raw.raw("SRANDMEMBER", "one", "-4") == flat("x", "x", "x", "x")


@pytest.mark.parametrize("kind", ["int", "str"])
@pytest.mark.parametrize("size", [7, 1000])
def test_srandmember_counts(raw, raw3, r, kind, size):
    ms = {(str(i) if kind == "int" else "m%d" % i).encode() for i in range(size)}
    raw.value("SADD", "s", *ms)
    for count in (1, 2, size // 3, size // 3 + 1, size - 1):
        got = raw.value("SRANDMEMBER", "s", count)
        assert len(got) == count and len(set(got)) == count and set(got) <= ms
    assert sorted(raw.value("SRANDMEMBER", "s", size)) == sorted(ms)
    for count in (1, 5, size, 3 * size + 1):
        got = raw3.value("SRANDMEMBER", "s", -count)
        assert len(got) == count and set(got) <= ms
    assert raw.raw("SCARD", "s") == integer(size)


# ---------------------------------------------------------------- SMOVE

def smove_pairs():
    # Pairs of keys on different slots (and shards, for most of them), and
    # pairs sharing a hashtag (one shard).
    spread = spread_keys(8, "mv:")
    return [(a, b) for a, b in zip(spread, spread[1:])] + [("{m}a", "{m}b")]


@pytest.mark.parametrize("src,dst", smove_pairs())
def test_smove(raw, r, src, dst):
    raw.value("SADD", src, "1", "a", "2")
    assert raw.raw("SMOVE", src, dst, "a") == integer(1)
    assert members(r, src) == b(1, 2)
    assert members(r, dst) == b("a")
    assert raw.raw("SMOVE", src, dst, "nope") == integer(0)
    assert raw.raw("SMOVE", src, dst, "1") == integer(1)
    raw.value("SADD", src, "a")
    assert raw.raw("SMOVE", src, dst, "a") == integer(1)   # already there: still 1
    assert members(r, dst) == b("a", 1)
    assert raw.raw("SMOVE", src, dst, "2") == integer(1)
    assert raw.raw("EXISTS", src) == integer(0)              # emptied source is deleted
    assert raw.raw("SMOVE", src, dst, "a") == integer(0)     # missing source
    assert members(r, dst) == b("a", 1, 2)


@pytest.mark.parametrize("src,dst", smove_pairs())
def test_smove_types(raw, src, dst):
    raw.value("SET", dst, "x")
    assert raw.raw("SMOVE", src, dst, "a") == integer(0)     # missing source wins
    raw.value("SADD", src, "a")
    assert raw.raw("SMOVE", src, dst, "a") == WRONGTYPE
    assert raw.raw("SMOVE", src, dst, "nope") == WRONGTYPE
    assert raw.raw("SISMEMBER", src, "a") == integer(1)
    assert raw.raw("SMOVE", dst, src, "a") == WRONGTYPE
    assert raw.raw("GET", dst) == bulk("x")


def test_smove_same_key(raw):
    raw.value("SADD", "s", "a", "1")
    assert raw.raw("SMOVE", "s", "s", "a") == integer(1)
    assert raw.raw("SMOVE", "s", "s", "zz") == integer(0)
    assert raw.raw("SCARD", "s") == integer(2)
    assert raw.raw("SMOVE", "nokey", "nokey", "a") == integer(0)


# ---------------------------------------------------------------- algebra

def test_algebra_intsets_exact(raw, raw3):
    raw.value("SADD", "{a}1", "5", "3", "1")
    raw.value("SADD", "{a}2", "4", "3", "2", "1")
    assert raw.raw("SINTER", "{a}2", "{a}1") == flat(1, 3)
    assert raw.raw("SUNION", "{a}2", "{a}1") == flat(1, 2, 3, 4, 5)
    assert raw.raw("SDIFF", "{a}2", "{a}1") == flat(2, 4)
    assert raw.raw("SDIFF", "{a}1", "{a}2") == flat(5)
    assert raw3.raw("SINTER", "{a}1", "{a}2") == set3(1, 3)
    assert raw3.raw("SUNION", "{a}1", "{a}2") == set3(1, 2, 3, 4, 5)
    assert raw3.raw("SDIFF", "{a}2", "{a}1") == set3(2, 4)
    assert raw.raw("SINTERCARD", "2", "{a}1", "{a}2") == integer(2)


def test_algebra_missing_keys(raw, raw3):
    raw.value("SADD", "s", "3", "1", "2")
    assert raw.raw("SINTER", "s", "nokey") == EMPTY_ARR
    assert raw3.raw("SINTER", "nokey", "s") == EMPTY_SET3
    assert raw3.raw("SUNION", "s", "nokey") == set3(1, 2, 3)
    assert raw3.raw("SDIFF", "s", "nokey") == set3(1, 2, 3)
    assert raw.raw("SDIFF", "nokey", "s") == EMPTY_ARR
    assert raw.raw("SUNION", "nokey", "nokey2") == EMPTY_ARR
    assert raw.raw("SINTERCARD", "2", "s", "nokey") == integer(0)
    assert raw.raw("SINTER", "s") == flat(1, 2, 3)
    assert raw.raw("SINTER", "s", "s") == flat(1, 2, 3)
    assert raw.raw("SDIFF", "s", "s") == EMPTY_ARR


def test_sinter_order_follows_smallest_set(raw):
    # SINTER walks the smallest set: an intset smallest set gives ascending order.
    raw.value("SADD", "{o}big", "a", "b", "9", "7", "5", "3", "1")
    raw.value("SADD", "{o}small", "9", "1", "5")
    assert raw.raw("SINTER", "{o}big", "{o}small") == flat(1, 5, 9)


def test_sintercard(raw):
    raw.value("SADD", "{c}1", *range(10))
    raw.value("SADD", "{c}2", *range(5, 20))
    assert raw.raw("SINTERCARD", "2", "{c}1", "{c}2") == integer(5)
    assert raw.raw("SINTERCARD", "2", "{c}1", "{c}2", "LIMIT", "0") == integer(5)
    assert raw.raw("SINTERCARD", "2", "{c}1", "{c}2", "limit", "3") == integer(3)
    assert raw.raw("SINTERCARD", "2", "{c}1", "{c}2", "LIMIT", "100") == integer(5)
    assert raw.raw("SINTERCARD", "2", "{c}1", "{c}2", "LIMIT", "1", "LIMIT", "2") == integer(2)
    assert raw.raw("SINTERCARD", "1", "{c}1") == integer(10)
    assert raw.raw("SINTERCARD", "1", "nokey") == integer(0)


def test_sintercard_errors(raw):
    raw.value("SADD", "a", "1")
    numkeys = err("ERR numkeys should be greater than 0")
    for n in ("0", "-1", "x", ""):
        assert raw.raw("SINTERCARD", n, "a") == numkeys
    assert raw.raw("SINTERCARD", "3", "a", "b") == \
        err("ERR Number of keys can't be greater than number of args")
    assert raw.raw("SINTERCARD", "1", "a", "LIMIT", "-1") == err("ERR LIMIT can't be negative")
    assert raw.raw("SINTERCARD", "1", "a", "LIMIT", "x") == err("ERR LIMIT can't be negative")
    assert raw.raw("SINTERCARD", "1", "a", "foo") == SYNTAX
    assert raw.raw("SINTERCARD", "1", "a", "LIMIT") == SYNTAX
    assert raw.raw("SINTERCARD", "1", "a", "b") == SYNTAX
    assert raw.raw("SINTERCARD", "1") == arity_err("sintercard")
    # Arguments are checked before any key is looked at.
    raw.value("SET", "str", "x")
    assert raw.raw("SINTERCARD", "2", "str", "a", "LIMIT", "-1") == err("ERR LIMIT can't be negative")


def test_store_commands(raw, r):
    raw.value("SADD", "{s}a", "1", "2", "3", "x")
    raw.value("SADD", "{s}b", "2", "3", "4", "x")
    assert raw.raw("SINTERSTORE", "{s}d", "{s}a", "{s}b") == integer(3)
    assert members(r, "{s}d") == b(2, 3, "x")
    assert raw.raw("SUNIONSTORE", "{s}d", "{s}a", "{s}b") == integer(5)
    assert members(r, "{s}d") == b(1, 2, 3, 4, "x")
    assert raw.raw("SDIFFSTORE", "{s}d", "{s}a", "{s}b") == integer(1)
    assert raw.raw("SMEMBERS", "{s}d") == flat(1)
    # The destination may be a source.
    assert raw.raw("SUNIONSTORE", "{s}a", "{s}a", "{s}b") == integer(5)
    assert members(r, "{s}a") == b(1, 2, 3, 4, "x")


def test_store_replaces_any_value_and_ttl(raw):
    raw.value("SADD", "{s}a", "1", "2")
    for cmd in ("SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"):
        raw.value("SET", "{s}d", "string", "EX", "100")
        assert raw.raw(cmd, "{s}d", "{s}a") == integer(2)
        assert raw.raw("TYPE", "{s}d") == b"+set\r\n"
        assert raw.raw("TTL", "{s}d") == integer(-1)
        assert raw.raw("SMEMBERS", "{s}d") == flat(1, 2)


def test_store_empty_result_deletes_destination(raw):
    raw.value("SADD", "{s}a", "1", "2")
    raw.value("SADD", "{s}b", "3")
    for cmd, srcs in (("SINTERSTORE", ["{s}a", "{s}b"]), ("SINTERSTORE", ["{s}a", "{s}none"]),
                      ("SUNIONSTORE", ["{s}none"]), ("SDIFFSTORE", ["{s}a", "{s}a"]),
                      ("SDIFFSTORE", ["{s}none", "{s}a"])):
        raw.value("SET", "{s}d", "x")
        assert raw.raw(cmd, "{s}d", *srcs) == integer(0)
        assert raw.raw("EXISTS", "{s}d") == integer(0)
        assert raw.raw(cmd, "{s}d", *srcs) == integer(0)


def test_store_encodings(raw):
    raw.value("SADD", "{e}ints", *range(300))
    raw.value("SADD", "{e}more", *range(300, 600))
    raw.value("SADD", "{e}mixed", "1", "2", "a")
    assert raw.raw("SUNIONSTORE", "{e}d1", "{e}ints") == integer(300)
    assert encoding(raw, "{e}d1") == b"intset"
    assert raw.raw("SUNIONSTORE", "{e}d2", "{e}ints", "{e}more") == integer(600)
    assert encoding(raw, "{e}d2") == b"hashtable"
    assert raw.raw("SINTERSTORE", "{e}d3", "{e}mixed", "{e}ints") == integer(2)
    assert encoding(raw, "{e}d3") == b"intset"
    assert raw.raw("SMEMBERS", "{e}d3") == flat(1, 2)
    assert raw.raw("SINTERSTORE", "{e}d4", "{e}mixed", "{e}mixed") == integer(3)
    assert encoding(raw, "{e}d4") == b"hashtable"


def test_sdiffstore_algorithm_decides_encoding(raw):
    # SDIFF's algorithm 2 (chosen when the other sets are small) copies the
    # first set and removes from it, so the result keeps the first set's
    # hashtable encoding; algorithm 1 adds only survivors: an intset.
    raw.value("SADD", "{d}a", "1", "2", "3", "4", "5", "6", "x", "y")
    raw.value("SADD", "{d}b", "x")
    raw.value("SADD", "{d}c", "y")
    assert raw.raw("SDIFFSTORE", "{d}r1", "{d}a", "{d}b", "{d}c") == integer(6)
    assert encoding(raw, "{d}r1") == b"hashtable"
    raw.value("SADD", "{d}e", "1", "2", "x")
    assert raw.raw("SDIFFSTORE", "{d}r2", "{d}e", "{d}b") == integer(2)
    assert encoding(raw, "{d}r2") == b"intset"
    assert raw.raw("SDIFFSTORE", "{d}r3", "{d}e", "{d}b", "{d}b") == integer(2)
    assert encoding(raw, "{d}r3") == b"intset"
    assert raw.raw("SDIFF", "{d}e", "{d}b") == flat(1, 2)


# ---------------------------------------------------------------- across shards

def model_op(op, sets):
    if op == "SINTER":
        out = set(sets[0])
        for s in sets[1:]:
            out &= s
        return out
    if op == "SUNION":
        out = set()
        for s in sets:
            out |= s
        return out
    out = set(sets[0])
    for s in sets[1:]:
        out -= s
    return out


def load_random_sets(raw, keys, seed):
    rnd = random.Random(seed)
    model = {}
    for i, k in enumerate(keys):
        if i % 7 == 6:
            model[k] = set()            # a missing key
            continue
        n = rnd.choice([1, 3, 10, 40])
        ints = i % 2 == 0
        ms = {(str(rnd.randrange(60)) if ints or rnd.random() < 0.5 else "m%d" % rnd.randrange(60))
              for _ in range(n)}
        raw.value("SADD", k, *ms)
        model[k] = {m.encode() for m in ms}
    return model


@pytest.mark.parametrize("prefix", ["alg:", "{alg}:"])
def test_algebra_over_many_key_combinations(raw, r, prefix):
    keys = spread_keys(14, prefix)
    model = load_random_sets(raw, keys, 7)
    combos = list(itertools.combinations(keys, 2)) + list(itertools.combinations(keys, 3))[:60]
    for combo in combos:
        sets = [model[k] for k in combo]
        for op in ("SINTER", "SUNION", "SDIFF"):
            want = model_op(op, sets)
            got = r.execute_command(op, *combo)
            assert len(got) == len(want) and set(got) == want, (op, combo)
        want = model_op("SINTER", sets)
        assert raw.raw("SINTERCARD", len(combo), *combo) == integer(len(want))
        if want:
            assert raw.raw("SINTERCARD", len(combo), *combo, "LIMIT", 1) == integer(1)


@pytest.mark.parametrize("prefix", ["st:", "{st}:"])
def test_store_over_many_key_combinations(raw, r, prefix):
    keys = spread_keys(10, prefix)
    dests = spread_keys(5, prefix + "dst:")
    model = load_random_sets(raw, keys, 11)
    for i, combo in enumerate(itertools.combinations(keys, 2)):
        dst = dests[i % len(dests)]
        sets = [model[k] for k in combo]
        for op in ("SINTER", "SUNION", "SDIFF"):
            want = model_op(op, sets)
            raw.value("SET", dst, "old")
            assert raw.raw(op + "STORE", dst, *combo) == integer(len(want)), (op, combo)
            if want:
                assert members(r, dst) == want
            else:
                assert raw.raw("EXISTS", dst) == integer(0)
    # Nothing but the sources and destinations was created.
    for k in keys:
        assert members(r, k) == model[k]


def test_cross_shard_int_results_are_ordered(raw):
    # The result set is rebuilt wherever the keys live: still ascending.
    a, c, d = spread_keys(3, "ord:")
    raw.value("SADD", a, "9", "3", "7", "1")
    raw.value("SADD", c, "3", "4", "7")
    assert raw.raw("SUNION", a, c) == flat(1, 3, 4, 7, 9)
    assert raw.raw("SINTER", a, c) == flat(3, 7)
    assert raw.raw("SDIFF", a, c) == flat(1, 9)
    assert raw.raw("SDIFFSTORE", d, a, c) == integer(2)
    assert raw.raw("SMEMBERS", d) == flat(1, 9)


def test_cross_shard_duplicate_keys(raw, r):
    a, c = spread_keys(2, "dup:")
    raw.value("SADD", a, "1", "x")
    raw.value("SADD", c, "x", "y")
    assert set(r.execute_command("SDIFF", a, c, a)) == set()
    assert set(r.execute_command("SDIFF", a, a, c)) == set()
    assert set(r.execute_command("SINTER", a, a, c, c)) == {b"x"}
    assert set(r.execute_command("SUNION", a, c, a)) == b(1, "x", "y")
    assert raw.raw("SINTERCARD", "4", a, c, a, c) == integer(1)


def test_cross_shard_large_sets(raw, r):
    a, c, d = spread_keys(3, "big:")
    raw.value("SADD", a, *["m%d" % i for i in range(3000)])
    raw.value("SADD", c, *["m%d" % i for i in range(2000, 4000)])
    assert raw.raw("SINTERCARD", "2", a, c) == integer(1000)
    assert raw.raw("SUNIONSTORE", d, a, c) == integer(4000)
    assert raw.raw("SCARD", d) == integer(4000)
    assert raw.raw("SDIFFSTORE", d, a, c) == integer(2000)
    assert members(r, d) == {b"m%d" % i for i in range(2000)}


# ---------------------------------------------------------------- SSCAN

EMPTY_SCAN = b"*2\r\n$1\r\n0\r\n*0\r\n"


def test_sscan_intset_returns_everything(raw, raw3):
    raw.value("SADD", "s", "3", "1", "2", "10")
    whole = array(bulk("0"), flat(1, 2, 3, 10))
    assert raw.raw("SSCAN", "s", "0") == whole
    assert raw3.raw("SSCAN", "s", "0") == whole
    assert raw.raw("SSCAN", "s", "7", "COUNT", "1") == whole
    assert raw.raw("SSCAN", "s", "0", "MATCH", "1*") == array(bulk("0"), flat(1, 10))


def test_sscan_errors(raw):
    raw.value("SADD", "s", "a")
    assert raw.raw("SSCAN", "s", "0", "COUNT", "0") == SYNTAX
    assert raw.raw("SSCAN", "s", "0", "MATCH") == SYNTAX
    assert raw.raw("SSCAN", "s", "0", "COUNT", "x") == NOT_INT
    assert raw.raw("SSCAN", "s", "x") == err("ERR invalid cursor")
    assert raw.raw("SSCAN", "nokey", "0") == EMPTY_SCAN
    assert raw.raw("SSCAN", "nokey", "0", "bad") == EMPTY_SCAN


def test_sscan_hashtable_iterates(raw, r):
    ms = {b"m%d" % i for i in range(3000)}
    raw.value("SADD", "s", *ms)
    cursor, seen, calls = b"0", [], 0
    while True:
        cursor, items = raw.value("SSCAN", "s", cursor, "COUNT", "100")
        seen += items
        calls += 1
        if cursor == b"0":
            break
    assert calls > 1 and set(seen) == ms
    cursor, seen = b"0", []
    while True:
        cursor, items = raw.value("SSCAN", "s", cursor, "MATCH", "m1?")
        seen += items
        if cursor == b"0":
            break
    assert sorted(seen) == sorted(b"m1%d" % i for i in range(10))


def test_new_sets_are_fresh(raw):
    # Created values carry the LRU clock (OBJECT IDLETIME starts near 0),
    # also when written by a sub-command on another shard.
    a, c, d, e = spread_keys(4, "fresh:")
    raw.value("SADD", a, "1", "x")
    raw.value("SADD", c, "2")
    raw.value("SUNIONSTORE", d, a, c)
    raw.value("SMOVE", a, e, "x")
    for k in (a, c, d, e):
        assert raw.value("OBJECT", "IDLETIME", k) <= 2


@pytest.mark.parametrize("prefix", ["{ks}", "ks:"])
def test_keyspace_hits_and_misses(raw, prefix):
    # Sources are looked up as reads (hits/misses), by the STORE forms too;
    # SMOVE looks its keys up as writes (not counted).
    s, t, missing, d, new = (prefix + x for x in ("s", "t", "missing", "d", "new"))
    raw.value("SADD", s, "1", "2")
    raw.value("SADD", t, "2")
    cases = [(["SINTERSTORE", d, s, missing], 1, 1), (["SUNIONSTORE", d, s, t], 2, 0),
             (["SDIFFSTORE", d, s, missing, t], 2, 1), (["SINTER", s, s], 2, 0),
             (["SINTERCARD", "2", s, missing], 1, 1), (["SMOVE", s, new, "1"], 0, 0),
             (["SISMEMBER", missing, "1"], 0, 1), (["SMEMBERS", t], 1, 0)]
    for cmd, hits, misses in cases:
        raw.value("CONFIG", "RESETSTAT")
        raw.value(*cmd)
        stats = info_fields(raw, "stats")
        assert (stats["keyspace_hits"], stats["keyspace_misses"]) == (str(hits), str(misses)), cmd
