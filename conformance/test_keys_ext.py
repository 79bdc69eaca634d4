"""Generic key commands: UNLINK, TOUCH, TYPE, PERSIST, EXPIREAT/PEXPIREAT,
EXPIRETIME/PEXPIRETIME, RENAME/RENAMENX, COPY, MOVE, SWAPDB, RANDOMKEY and
OBJECT. Keys spread over every slot, so on a sharded server RENAME and COPY
pairs span shards and take the coordinated path; {tag} pairs stay on one."""

import time

import pytest

from helpers import (NIL, NOT_INT, NULL3, OK, SYNTAX, arity_err, array, bulk, err, info_fields,
                     integer, spread_keys)

KEYS = spread_keys(200)
NO_SUCH_KEY = err("ERR no such key")
SAME_OBJECT = err("ERR source and destination objects are the same")
DB_RANGE = err("ERR DB index is out of range")
INT_RANGE = err("ERR value is out of range, value must between -2147483648 and 2147483647")
SHARED = 2147483647
FAR_MS = 4102444800000  # 2100-01-01


def hits(raw):
    f = info_fields(raw, "stats")
    return int(f["keyspace_hits"]), int(f["keyspace_misses"])


# ------------------------------------------------------------ UNLINK, TOUCH

def test_unlink(raw, r):
    r.mset({k: "v" for k in KEYS})
    assert raw.raw("UNLINK", *KEYS[:120], "missing", KEYS[0]) == integer(120)
    assert raw.raw("DBSIZE") == integer(80)
    assert raw.raw("UNLINK", *KEYS) == integer(80)
    assert raw.raw("UNLINK", "missing") == integer(0)
    assert raw.raw("UNLINK") == arity_err("unlink")


def test_touch(raw, r):
    r.mset({k: "v" for k in KEYS[::2]})
    assert raw.raw("TOUCH", *KEYS) == integer(100)
    assert raw.raw("TOUCH", KEYS[0], KEYS[0], "missing") == integer(2)
    assert raw.raw("TOUCH") == arity_err("touch")


def test_touch_counts_hits(raw):
    raw.raw("SET", "a", "1")
    h0, m0 = hits(raw)
    assert raw.raw("TOUCH", "a", "missing") == integer(1)
    assert hits(raw) == (h0 + 1, m0 + 1)


# --------------------------------------------------------------------- TYPE

def test_type(raw, raw3):
    assert raw.raw("SET", "s", "v") == OK
    assert raw.raw("SET", "i", "12") == OK
    assert raw.raw("TYPE", "s") == b"+string\r\n"
    assert raw.raw("TYPE", "i") == b"+string\r\n"
    assert raw.raw("TYPE", "missing") == b"+none\r\n"
    assert raw3.raw("TYPE", "s") == b"+string\r\n"
    assert raw3.raw("TYPE", "missing") == b"+none\r\n"
    assert raw.raw("TYPE") == arity_err("type")
    assert raw.raw("TYPE", "a", "b") == arity_err("type")


def test_type_expired_is_none(raw):
    assert raw.raw("SET", "k", "v", "PX", "1") == OK
    time.sleep(0.02)
    assert raw.raw("TYPE", "k") == b"+none\r\n"


def test_type_and_exists_count_hits(raw):
    raw.raw("SET", "a", "1")
    h0, m0 = hits(raw)
    raw.raw("TYPE", "a")
    raw.raw("TYPE", "missing")
    raw.raw("EXISTS", "a", "missing")
    assert hits(raw) == (h0 + 2, m0 + 2)


# ------------------------------------------------------------------ PERSIST

def test_persist(raw):
    assert raw.raw("PERSIST", "missing") == integer(0)
    assert raw.raw("SET", "k", "v") == OK
    assert raw.raw("PERSIST", "k") == integer(0)
    assert raw.raw("EXPIRE", "k", "100") == integer(1)
    assert raw.raw("PERSIST", "k") == integer(1)
    assert raw.raw("TTL", "k") == integer(-1)
    assert raw.raw("PERSIST", "k") == integer(0)
    assert raw.raw("PERSIST") == arity_err("persist")


def test_persist_spread(raw, r):
    for k in KEYS:
        r.set(k, "v", ex=100)
    assert [raw.raw("PERSIST", k) for k in KEYS] == [integer(1)] * len(KEYS)
    assert [raw.raw("TTL", k) for k in KEYS] == [integer(-1)] * len(KEYS)


# ---------------------------------------------------- EXPIREAT / PEXPIREAT

def test_expireat_sets_absolute_time(raw):
    assert raw.raw("SET", "k", "v") == OK
    assert raw.raw("EXPIREAT", "k", str(FAR_MS // 1000)) == integer(1)
    assert raw.raw("EXPIRETIME", "k") == integer(FAR_MS // 1000)
    assert raw.raw("PEXPIRETIME", "k") == integer(FAR_MS)
    assert raw.raw("PEXPIREAT", "k", str(FAR_MS + 1)) == integer(1)
    assert raw.raw("PEXPIRETIME", "k") == integer(FAR_MS + 1)
    assert raw.raw("EXPIREAT", "missing", "1") == integer(0)
    assert raw.raw("PEXPIREAT", "missing", "1") == integer(0)


@pytest.mark.parametrize("cmd,when", [("EXPIREAT", "1"), ("EXPIREAT", "0"), ("EXPIREAT", "-5"),
                                      ("PEXPIREAT", "1000"),
                                      ("PEXPIREAT", "-9223372036854775808")])
def test_expireat_in_the_past_deletes(raw, cmd, when):
    assert raw.raw("SET", "k", "v") == OK
    assert raw.raw(cmd, "k", when) == integer(1)
    assert raw.raw("EXISTS", "k") == integer(0)


def test_expireat_errors(raw):
    assert raw.raw("SET", "k", "v") == OK
    assert raw.raw("EXPIREAT", "k", "x") == NOT_INT
    assert raw.raw("EXPIREAT", "k", "99999999999999999") == \
        err("ERR invalid expire time in 'expireat' command")
    assert raw.raw("EXPIREAT", "k", "1", "nx", "xx") == \
        err("ERR NX and XX, GT or LT options at the same time are not compatible")
    assert raw.raw("PEXPIREAT", "k", "1", "gt", "lt") == \
        err("ERR GT and LT options at the same time are not compatible")
    assert raw.raw("PEXPIREAT", "k", "1", "foo") == err("ERR Unsupported option foo")
    assert raw.raw("EXPIREAT", "k") == arity_err("expireat")
    assert raw.raw("TTL", "k") == integer(-1)


def test_pexpireat_max(raw):
    assert raw.raw("SET", "k", "v") == OK
    assert raw.raw("PEXPIREAT", "k", "9223372036854775807") == integer(1)
    assert raw.raw("PEXPIRETIME", "k") == integer(9223372036854775807)


def test_expireat_options(raw):
    assert raw.raw("SET", "k", "v") == OK
    far = FAR_MS // 1000
    assert raw.raw("EXPIREAT", "k", str(far), "XX") == integer(0)
    assert raw.raw("EXPIREAT", "k", str(far), "GT") == integer(0)   # no TTL counts as infinite
    assert raw.raw("EXPIREAT", "k", str(far), "NX") == integer(1)
    assert raw.raw("EXPIREAT", "k", str(far + 5), "NX") == integer(0)
    assert raw.raw("EXPIREAT", "k", str(far - 5), "GT") == integer(0)
    assert raw.raw("EXPIREAT", "k", str(far + 5), "GT") == integer(1)
    assert raw.raw("EXPIREAT", "k", str(far + 9), "LT") == integer(0)
    assert raw.raw("EXPIREAT", "k", str(far + 1), "lt", "xx") == integer(1)
    assert raw.raw("EXPIRETIME", "k") == integer(far + 1)
    assert raw.raw("PEXPIREAT", "k", str(FAR_MS + 2500), "GT") == integer(1)
    assert raw.raw("PEXPIRETIME", "k") == integer(FAR_MS + 2500)


# ------------------------------------------------- EXPIRETIME / PEXPIRETIME

def test_expiretime(raw, raw3):
    assert raw.raw("EXPIRETIME", "missing") == integer(-2)
    assert raw.raw("PEXPIRETIME", "missing") == integer(-2)
    assert raw.raw("SET", "k", "v") == OK
    assert raw.raw("EXPIRETIME", "k") == integer(-1)
    assert raw.raw("PEXPIRETIME", "k") == integer(-1)
    assert raw3.raw("EXPIRETIME", "k") == integer(-1)
    assert raw.raw("EXPIRETIME") == arity_err("expiretime")


@pytest.mark.parametrize("ms,secs", [(FAR_MS + 499, FAR_MS // 1000),
                                     (FAR_MS + 500, FAR_MS // 1000 + 1),
                                     (FAR_MS + 999, FAR_MS // 1000 + 1)])
def test_expiretime_rounds(raw, ms, secs):
    assert raw.raw("SET", "k", "v", "PXAT", str(ms)) == OK
    assert raw.raw("EXPIRETIME", "k") == integer(secs)
    assert raw.raw("PEXPIRETIME", "k") == integer(ms)


def test_expiretime_spread(raw, r):
    for i, k in enumerate(KEYS):
        r.set(k, "v", pxat=FAR_MS + i)
    assert [raw.raw("PEXPIRETIME", k) for k in KEYS] == \
        [integer(FAR_MS + i) for i in range(len(KEYS))]


# ------------------------------------------------------- RENAME, RENAMENX

def test_rename_basics(raw):
    assert raw.raw("RENAME", "missing", "x") == NO_SUCH_KEY
    assert raw.raw("RENAMENX", "missing", "x") == NO_SUCH_KEY
    assert raw.raw("RENAME", "missing", "missing") == NO_SUCH_KEY
    assert raw.raw("SET", "a", "1") == OK
    assert raw.raw("RENAME", "a", "a") == OK
    assert raw.raw("RENAMENX", "a", "a") == integer(0)
    assert raw.raw("RENAME", "a", "b") == OK
    assert raw.raw("EXISTS", "a") == integer(0)
    assert raw.raw("GET", "b") == bulk("1")
    assert raw.raw("RENAME", "a") == arity_err("rename")
    assert raw.raw("RENAMENX", "a", "b", "c") == arity_err("renamenx")


def test_rename_overwrites_and_keeps_ttl(raw):
    assert raw.raw("SET", "src", "v", "PXAT", str(FAR_MS)) == OK
    assert raw.raw("SET", "dst", "old", "PXAT", str(FAR_MS + 7)) == OK
    assert raw.raw("RENAME", "src", "dst") == OK
    assert raw.raw("GET", "dst") == bulk("v")
    assert raw.raw("PEXPIRETIME", "dst") == integer(FAR_MS)
    assert raw.raw("SET", "src", "w") == OK
    assert raw.raw("RENAME", "src", "dst") == OK
    assert raw.raw("PEXPIRETIME", "dst") == integer(-1)


def test_renamenx(raw):
    assert raw.raw("SET", "a", "1") == OK
    assert raw.raw("SET", "b", "2") == OK
    assert raw.raw("RENAMENX", "a", "b") == integer(0)
    assert raw.raw("MGET", "a", "b") == array(bulk("1"), bulk("2"))
    assert raw.raw("RENAMENX", "a", "c") == integer(1)
    assert raw.raw("MGET", "a", "c") == array(NIL, bulk("1"))


def test_rename_expired_source(raw):
    assert raw.raw("SET", "a", "1", "PX", "1") == OK
    time.sleep(0.02)
    assert raw.raw("RENAME", "a", "b") == NO_SUCH_KEY
    assert raw.raw("RENAMENX", "a", "b") == NO_SUCH_KEY


def test_rename_onto_expired_destination(raw):
    assert raw.raw("SET", "a", "1") == OK
    assert raw.raw("SET", "b", "2", "PX", "1") == OK
    time.sleep(0.02)
    assert raw.raw("RENAMENX", "a", "b") == integer(1)
    assert raw.raw("GET", "b") == bulk("1")


def test_rename_spread_pairs(raw, r):
    """200 pairs: on a sharded server many span shards."""
    for i, k in enumerate(KEYS):
        r.set(k, "val%d" % i, pxat=FAR_MS + i if i % 2 else None)
    dsts = ["dst:%d" % i for i in range(len(KEYS))]
    r.mset({d: "old" for d in dsts[::3]})
    assert [raw.raw("RENAME", s, d) for s, d in zip(KEYS, dsts)] == [OK] * len(KEYS)
    assert raw.raw("EXISTS", *KEYS) == integer(0)
    assert raw.raw("MGET", *dsts) == array(*[bulk("val%d" % i) for i in range(len(KEYS))])
    assert [raw.raw("PEXPIRETIME", d) for d in dsts] == \
        [integer(FAR_MS + i if i % 2 else -1) for i in range(len(KEYS))]
    assert raw.raw("DBSIZE") == integer(len(KEYS))


def test_renamenx_spread_pairs(raw, r):
    r.mset({k: k for k in KEYS})
    dsts = ["n:%d" % i for i in range(len(KEYS))]
    r.mset({d: "taken" for d in dsts[::2]})
    assert [raw.raw("RENAMENX", s, d) for s, d in zip(KEYS, dsts)] == \
        [integer(i % 2) for i in range(len(KEYS))]
    assert raw.raw("MGET", *dsts) == \
        array(*[bulk("taken" if i % 2 == 0 else KEYS[i]) for i in range(len(KEYS))])
    assert raw.raw("EXISTS", *KEYS) == integer(len(KEYS) // 2)
    assert [raw.raw("RENAME", d, s) for s, d in zip(KEYS[1::2], dsts[1::2])] == \
        [OK] * (len(KEYS) // 2)
    assert raw.raw("MGET", *KEYS) == array(*[bulk(k) for k in KEYS])


def test_rename_hashtag_pairs(raw):
    for i in range(50):
        assert raw.raw("SET", "{t%d}:a" % i, "x%d" % i) == OK
        assert raw.raw("RENAME", "{t%d}:a" % i, "{t%d}:b" % i) == OK
        assert raw.raw("GET", "{t%d}:b" % i) == bulk("x%d" % i)


def test_rename_values_of_every_string_encoding(raw):
    values = [b"12", b"-9223372036854775808", b"", b"short", b"x" * 45, b"y" * 5000, b"\x00\xff"]
    for i, v in enumerate(values):
        for j, src in enumerate(KEYS[:20]):
            dst = "re:%d:%d" % (i, j)
            assert raw.raw("SET", src, v) == OK
            assert raw.raw("RENAME", src, dst) == OK
            assert raw.raw("GET", dst) == bulk(v)


def test_rename_resp3(raw3):
    assert raw3.raw("SET", "a", "1") == OK
    assert raw3.raw("RENAME", "a", "k:7") == OK
    assert raw3.raw("RENAMENX", "k:7", "k:8") == integer(1)
    assert raw3.raw("RENAME", "a", "b") == NO_SUCH_KEY


# --------------------------------------------------------------------- COPY

def test_copy_basics(raw):
    assert raw.raw("COPY", "missing", "x") == integer(0)
    assert raw.raw("COPY", "missing", "missing") == SAME_OBJECT
    assert raw.raw("SET", "a", "v", "PXAT", str(FAR_MS)) == OK
    assert raw.raw("COPY", "a", "a") == SAME_OBJECT
    assert raw.raw("COPY", "a", "a", "DB", "0") == SAME_OBJECT
    assert raw.raw("COPY", "a", "b") == integer(1)
    assert raw.raw("MGET", "a", "b") == array(bulk("v"), bulk("v"))
    assert raw.raw("PEXPIRETIME", "b") == integer(FAR_MS)
    assert raw.raw("COPY", "a", "b") == integer(0)
    assert raw.raw("SET", "a", "w") == OK
    assert raw.raw("COPY", "a", "b", "REPLACE") == integer(1)
    assert raw.raw("GET", "b") == bulk("w")
    assert raw.raw("PEXPIRETIME", "b") == integer(-1)
    assert raw.raw("COPY", "a") == arity_err("copy")


def test_copy_options_errors(raw):
    assert raw.raw("SET", "a", "v") == OK
    assert raw.raw("COPY", "a", "b", "db") == SYNTAX
    assert raw.raw("COPY", "a", "b", "foo") == SYNTAX
    assert raw.raw("COPY", "a", "b", "db", "x") == NOT_INT
    assert raw.raw("COPY", "a", "b", "db", "16") == DB_RANGE
    assert raw.raw("COPY", "a", "b", "db", "-1") == DB_RANGE
    assert raw.raw("COPY", "a", "b", "db", "4294967296") == INT_RANGE
    assert raw.raw("COPY", "a", "b", "replace", "db", "x") == NOT_INT
    assert raw.raw("COPY", "a", "b", "foo", "db", "x") == SYNTAX
    assert raw.raw("COPY", "a", "b", "db", "x", "foo") == NOT_INT
    assert raw.raw("EXISTS", "b") == integer(0)


def test_copy_to_other_db(raw):
    assert raw.raw("SET", "a", "v", "EX", "100") == OK
    assert raw.raw("COPY", "a", "a", "DB", "1") == integer(1)
    assert raw.raw("COPY", "a", "b", "db", "1", "db", "2", "REPLACE", "replace") == integer(1)
    assert raw.raw("SELECT", "1") == OK
    assert raw.raw("MGET", "a", "b") == array(bulk("v"), NIL)
    assert raw.raw("TTL", "a") == integer(100)
    assert raw.raw("COPY", "a", "a", "DB", "0") == integer(0)
    assert raw.raw("SELECT", "2") == OK
    assert raw.raw("GET", "b") == bulk("v")


def test_copy_is_independent(raw):
    assert raw.raw("SET", "a", "abc") == OK
    assert raw.raw("COPY", "a", "b") == integer(1)
    assert raw.raw("APPEND", "a", "def") == integer(6)
    assert raw.raw("INCR", "n") == integer(1)
    assert raw.raw("COPY", "n", "m") == integer(1)
    assert raw.raw("INCR", "n") == integer(2)
    assert raw.raw("MGET", "a", "b", "n", "m") == array(bulk("abcdef"), bulk("abc"), bulk("2"),
                                                        bulk("1"))


def test_copy_spread_pairs(raw, r):
    for i, k in enumerate(KEYS):
        r.set(k, "val%d" % i, pxat=FAR_MS + i if i % 3 == 0 else None)
    dsts = ["cp:%d" % i for i in range(len(KEYS))]
    r.mset({d: "old" for d in dsts[::2]})
    assert [raw.raw("COPY", s, d) for s, d in zip(KEYS, dsts)] == \
        [integer(i % 2) for i in range(len(KEYS))]
    assert [raw.raw("COPY", s, d, "REPLACE") for s, d in zip(KEYS, dsts)] == \
        [integer(1)] * len(KEYS)
    assert raw.raw("MGET", *dsts) == array(*[bulk("val%d" % i) for i in range(len(KEYS))])
    assert raw.raw("MGET", *KEYS) == array(*[bulk("val%d" % i) for i in range(len(KEYS))])
    assert [raw.raw("PEXPIRETIME", d) for d in dsts] == \
        [integer(FAR_MS + i if i % 3 == 0 else -1) for i in range(len(KEYS))]
    assert [raw.raw("COPY", s, d, "DB", "3") for s, d in zip(KEYS, dsts)] == \
        [integer(1)] * len(KEYS)
    assert raw.raw("SELECT", "3") == OK
    assert raw.raw("MGET", *dsts) == array(*[bulk("val%d" % i) for i in range(len(KEYS))])
    assert raw.raw("DBSIZE") == integer(len(KEYS))


def test_copy_counts_a_hit(raw):
    assert raw.raw("SET", "a", "1") == OK
    assert raw.raw("SET", "b", "1") == OK
    h0, m0 = hits(raw)
    assert raw.raw("COPY", "a", "b") == integer(0)
    assert raw.raw("COPY", "missing", "c") == integer(0)
    assert raw.raw("COPY", "k:1", "k:2") == integer(0)
    assert hits(raw) == (h0 + 1, m0 + 2)


def test_copy_refcount(raw):
    assert raw.raw("SET", "a", "5") == OK
    assert raw.raw("COPY", "a", "b") == integer(1)
    assert raw.raw("COPY", "a", "k:3") == integer(1)
    assert raw.raw("OBJECT", "REFCOUNT", "a") == integer(SHARED)
    assert raw.raw("OBJECT", "REFCOUNT", "b") == integer(1)
    assert raw.raw("OBJECT", "REFCOUNT", "k:3") == integer(1)
    assert raw.raw("OBJECT", "ENCODING", "b") == bulk("int")
    assert raw.raw("INCR", "b") == integer(6)
    assert raw.raw("OBJECT", "REFCOUNT", "b") == integer(SHARED)
    assert raw.raw("RENAME", "a", "c") == OK
    assert raw.raw("OBJECT", "REFCOUNT", "c") == integer(SHARED)


# --------------------------------------------------------------------- MOVE

def test_move(raw):
    assert raw.raw("MOVE", "missing", "1") == integer(0)
    assert raw.raw("MOVE", "missing", "0") == SAME_OBJECT
    assert raw.raw("SET", "a", "v", "PXAT", str(FAR_MS)) == OK
    assert raw.raw("MOVE", "a", "0") == SAME_OBJECT
    assert raw.raw("MOVE", "a", "x") == NOT_INT
    assert raw.raw("MOVE", "a", "16") == DB_RANGE
    assert raw.raw("MOVE", "a", "-1") == DB_RANGE
    assert raw.raw("MOVE", "a", "4294967297") == INT_RANGE
    assert raw.raw("MOVE", "a", "1") == integer(1)
    assert raw.raw("EXISTS", "a") == integer(0)
    assert raw.raw("SET", "a", "other") == OK
    assert raw.raw("MOVE", "a", "1") == integer(0)
    assert raw.raw("SELECT", "1") == OK
    assert raw.raw("GET", "a") == bulk("v")
    assert raw.raw("PEXPIRETIME", "a") == integer(FAR_MS)
    assert raw.raw("MOVE", "a") == arity_err("move")


def test_move_spread(raw, r):
    r.mset({k: k for k in KEYS})
    assert [raw.raw("MOVE", k, "5") for k in KEYS] == [integer(1)] * len(KEYS)
    assert raw.raw("DBSIZE") == integer(0)
    assert raw.raw("SELECT", "5") == OK
    assert raw.raw("MGET", *KEYS) == array(*[bulk(k) for k in KEYS])


# ------------------------------------------------------------------- SWAPDB

@pytest.mark.parametrize("a,b,reply", [
    ("0", "x", "ERR invalid second DB index"), ("x", "0", "ERR invalid first DB index"),
    ("x", "y", "ERR invalid first DB index"), ("16", "x", "ERR invalid second DB index"),
    ("0", "16", "ERR DB index is out of range"), ("-1", "0", "ERR DB index is out of range"),
    ("4294967297", "0", "ERR invalid first DB index"), ("0 ", "1", "ERR invalid first DB index"),
])
def test_swapdb_errors(raw, a, b, reply):
    assert raw.raw("SWAPDB", a, b) == err(reply)


def test_swapdb(raw, r):
    r.mset({k: "zero" for k in KEYS})
    assert raw.raw("SELECT", "1") == OK
    assert raw.raw("MSET", *[x for k in KEYS[:50] for x in (k, "one")]) == OK
    assert raw.raw("SWAPDB", "0", "1") == OK
    assert raw.raw("DBSIZE") == integer(len(KEYS))
    assert raw.raw("GET", KEYS[100]) == bulk("zero")
    assert raw.raw("SELECT", "0") == OK
    assert raw.raw("DBSIZE") == integer(50)
    assert raw.raw("MGET", *KEYS[:50]) == array(*[bulk("one")] * 50)
    assert raw.raw("SWAPDB", "0", "0") == OK
    assert raw.raw("DBSIZE") == integer(50)
    assert raw.raw("SWAPDB", "1", "0") == OK
    assert raw.raw("DBSIZE") == integer(len(KEYS))
    assert raw.raw("SWAPDB", "0") == arity_err("swapdb")


# ---------------------------------------------------------------- RANDOMKEY

def test_randomkey_empty(raw, raw3):
    assert raw.raw("RANDOMKEY") == NIL
    assert raw3.raw("RANDOMKEY") == NULL3
    assert raw.raw("RANDOMKEY", "x") == arity_err("randomkey")


def test_randomkey_single(raw):
    assert raw.raw("SET", "", "v") == OK
    assert raw.raw("RANDOMKEY") == bulk("")


def test_randomkey_spread(raw, r):
    some = KEYS[:10]
    r.mset({k: "v" for k in some})
    seen = {raw.value("RANDOMKEY") for _ in range(400)}
    assert seen == {k.encode() for k in some}


def test_randomkey_skips_expired(raw):
    for k in KEYS[:20]:
        assert raw.raw("SET", k, "v", "PX", "1") == OK
    assert raw.raw("SET", "live", "v") == OK
    time.sleep(0.02)
    assert {raw.value("RANDOMKEY") for _ in range(20)} == {b"live"}


def test_randomkey_all_expired(raw):
    for k in KEYS[:20]:
        assert raw.raw("SET", k, "v", "PX", "1") == OK
    time.sleep(0.02)
    assert raw.raw("RANDOMKEY") == NIL


# ------------------------------------------------------------------- OBJECT

def test_object_encoding(raw, raw3):
    assert raw.raw("SET", "i", "12345") == OK
    assert raw.raw("SET", "e", "x" * 44) == OK
    assert raw.raw("SET", "w", "x" * 45) == OK
    assert raw.raw("SET", "a", "ab") == OK
    assert raw.raw("APPEND", "a", "c") == integer(3)
    assert raw.raw("OBJECT", "ENCODING", "i") == bulk("int")
    assert raw.raw("OBJECT", "encoding", "e") == bulk("embstr")
    assert raw.raw("OBJECT", "Encoding", "w") == bulk("raw")
    assert raw.raw("OBJECT", "ENCODING", "a") == bulk("raw")
    assert raw.raw("OBJECT", "ENCODING", "missing") == NIL
    assert raw3.raw("OBJECT", "ENCODING", "missing") == NULL3
    assert raw3.raw("OBJECT", "ENCODING", "i") == bulk("int")


@pytest.mark.parametrize("value,refcount", [("0", SHARED), ("9999", SHARED), ("10000", 1),
                                            ("-1", 1), ("abc", 1), ("x" * 100, 1)])
def test_object_refcount(raw, value, refcount):
    assert raw.raw("SET", "k", value) == OK
    assert raw.raw("OBJECT", "REFCOUNT", "k") == integer(refcount)


def test_object_missing_keys(raw):
    for sub in ("ENCODING", "REFCOUNT", "IDLETIME", "FREQ"):
        assert raw.raw("OBJECT", sub, "missing") == NIL


def test_object_freq_without_lfu(raw):
    assert raw.raw("SET", "k", "v") == OK
    assert raw.raw("OBJECT", "FREQ", "k") == err(
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please "
        "note that when switching between policies at runtime LRU and LFU data will take "
        "some time to adjust.")


def test_object_idletime_after_access(raw):
    assert raw.raw("SET", "k", "v") == OK
    assert raw.pipeline([["GET", "k"], ["OBJECT", "IDLETIME", "k"]])[1][1] == integer(0)


@pytest.mark.parametrize("write", [
    ["SET", "k", "v"], ["INCRBY", "k", "100000"], ["APPEND", "k", "v"], ["LPUSH", "k", "a"],
    ["SADD", "k", "a"], ["SADD", "k", "1"], ["HSET", "k", "f", "v"], ["ZADD", "k", "1", "a"],
    ["PFADD", "k", "a"], ["SETBIT", "k", "7", "1"], ["INCRBYFLOAT", "k", "1.5"],
])
def test_object_idletime_of_a_new_value_is_zero(raw, write):
    # A value is stamped when it is created, not only when a read finds it
    # (OBJECT itself does not touch the key). Not INCR from nothing: Redis
    # answers 1 with a shared integer (0..9999) whose idle time is the shared
    # object's, kevy's 0 (docs/compatibility.md). One pipeline, so the LRU
    # clock (seconds, refreshed by the server's cron) cannot tick between
    # the two on Redis either.
    assert raw.pipeline([write, ["OBJECT", "IDLETIME", "k"]])[1][1] == integer(0)


def test_object_idletime_not_touched_by_readers(raw):
    assert raw.raw("SET", "src", "v") == OK
    dump = raw.value("DUMP", "src")
    replies = raw.pipeline([["RESTORE", "k", "0", dump, "IDLETIME", "1000"],
                            ["TYPE", "k"], ["TTL", "k"], ["EXISTS", "k"],
                            ["OBJECT", "ENCODING", "k"], ["OBJECT", "IDLETIME", "k"]])
    assert replies[0][1] == OK
    assert replies[5][1] == integer(1000)
    replies = raw.pipeline([["GET", "k"], ["OBJECT", "IDLETIME", "k"]])
    assert replies[1][1] == integer(0)


def test_object_counts_hits(raw):
    assert raw.raw("SET", "k", "1") == OK
    h0, m0 = hits(raw)
    raw.raw("OBJECT", "ENCODING", "k")
    raw.raw("OBJECT", "REFCOUNT", "missing")
    raw.raw("OBJECT", "FREQ", "k")
    assert hits(raw) == (h0 + 2, m0 + 1)


OBJECT_HELP = [
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
]


def test_object_help(raw, raw3):
    want = b"*15\r\n" + b"".join(b"+" + line.encode() + b"\r\n" for line in OBJECT_HELP)
    assert raw.raw("OBJECT", "HELP") == want
    assert raw3.raw("object", "help") == want


def test_object_errors(raw):
    assert raw.raw("OBJECT") == arity_err("object")
    assert raw.raw("OBJECT", "foo") == err("ERR unknown subcommand 'foo'. Try OBJECT HELP.")
    assert raw.raw("OBJECT", "foo", "k") == err("ERR unknown subcommand 'foo'. Try OBJECT HELP.")
    assert raw.raw("OBJECT", "ENCODING") == arity_err("object|encoding")
    assert raw.raw("OBJECT", "ENCODING", "a", "b") == arity_err("object|encoding")
    assert raw.raw("OBJECT", "HELP", "x") == arity_err("object|help")


def test_object_spread(raw, r):
    r.mset({k: str(i) for i, k in enumerate(KEYS)})
    assert [raw.raw("OBJECT", "ENCODING", k) for k in KEYS] == [bulk("int")] * len(KEYS)
    assert [raw.raw("OBJECT", "REFCOUNT", k) for k in KEYS] == [integer(SHARED)] * len(KEYS)
