"""Key-space commands: DEL, EXISTS, MGET, MSET, DBSIZE, FLUSHDB, FLUSHALL,
over keys spread across every slot (so across every shard)."""

import pytest

from helpers import NIL, OK, SYNTAX, arity_err, array, bulk, integer, spread_keys

KEYS = spread_keys(200)


# -------------------------------------------------------------------- DEL

def test_del_single_and_missing(raw):
    assert raw.raw("SET", "k", "v") == OK
    assert raw.raw("DEL", "k") == integer(1)
    assert raw.raw("DEL", "k") == integer(0)
    assert raw.raw("GET", "k") == NIL


def test_del_multi(raw):
    for k in ("a", "b", "c"):
        assert raw.raw("SET", k, "1") == OK
    assert raw.raw("DEL", "a", "b", "missing", "c") == integer(3)
    assert raw.raw("DBSIZE") == integer(0)


def test_del_duplicates_count_once(raw):
    assert raw.raw("SET", "a", "1") == OK
    assert raw.raw("SET", "b", "1") == OK
    assert raw.raw("DEL", "a", "a", "b", "a") == integer(2)
    assert raw.raw("EXISTS", "a", "b") == integer(0)


def test_del_spread_keys(raw, r):
    assert r.mset({k: k for k in KEYS}) is True
    assert raw.raw("DEL", *KEYS[:150], "missing1", "missing2") == integer(150)
    assert raw.raw("DBSIZE") == integer(50)
    assert raw.raw("DEL", *KEYS) == integer(50)
    assert raw.raw("DBSIZE") == integer(0)


def test_del_redis_py(r):
    r.set("a", 1)
    assert r.delete("a", "b") == 1


# ----------------------------------------------------------------- EXISTS

def test_exists(raw):
    assert raw.raw("EXISTS", "k") == integer(0)
    assert raw.raw("SET", "k", "v") == OK
    assert raw.raw("EXISTS", "k") == integer(1)
    assert raw.raw("SET", "", "") == OK
    assert raw.raw("EXISTS", "") == integer(1)


def test_exists_duplicates_count_twice(raw):
    assert raw.raw("SET", "a", "1") == OK
    assert raw.raw("SET", "b", "1") == OK
    assert raw.raw("EXISTS", "a", "a", "b", "missing", "a") == integer(4)


def test_exists_spread_keys(raw, r):
    r.mset({k: "1" for k in KEYS[::2]})
    assert raw.raw("EXISTS", *KEYS) == integer(100)
    assert raw.raw("EXISTS", *KEYS, *KEYS) == integer(200)


# ------------------------------------------------------------------- MGET

def test_mget(raw):
    assert raw.raw("SET", "a", "1") == OK
    assert raw.raw("SET", "c", "") == OK
    assert raw.raw("MGET", "a", "b", "c", "a") == \
        array(bulk("1"), NIL, bulk(""), bulk("1"))


def test_mget_all_missing(raw):
    assert raw.raw("MGET", "x", "y") == array(NIL, NIL)


def test_mget_resp3_nulls(raw3):
    assert raw3.raw("SET", "a", "1") == OK
    assert raw3.raw("MGET", "a", "b") == b"*2\r\n$1\r\n1\r\n_\r\n"


def test_mget_spread_keys_in_argument_order(raw, r):
    r.mset({k: "v" + k for k in KEYS[1::2]})
    order = list(reversed(KEYS))
    expected = [bulk("v" + k) if i % 2 else NIL for i, k in enumerate(KEYS)]
    assert raw.raw("MGET", *order) == array(*reversed(expected))


def test_mget_redis_py(r):
    r.set("a", "1")
    assert r.mget(["a", "b"]) == [b"1", None]


# ------------------------------------------------------------------- MSET

def test_mset(raw):
    assert raw.raw("MSET", "a", "1", "b", "2") == OK
    assert raw.raw("MGET", "a", "b") == array(bulk("1"), bulk("2"))


def test_mset_overwrites_and_clears_ttl(raw):
    assert raw.raw("SET", "a", "old", "EX", "100") == OK
    assert raw.raw("MSET", "a", "new") == OK
    assert raw.raw("GET", "a") == bulk("new")
    assert raw.raw("TTL", "a") == integer(-1)


def test_mset_duplicate_keys_last_wins(raw):
    assert raw.raw("MSET", "a", "1", "b", "2", "a", "3") == OK
    assert raw.raw("MGET", "a", "b") == array(bulk("3"), bulk("2"))


@pytest.mark.parametrize("args", [["a"], ["a", "1", "b"], ["a", "1", "b", "2", "c"]])
def test_mset_odd_arguments(raw, args):
    assert raw.raw("MSET", *args) == arity_err("mset")
    assert raw.raw("DBSIZE") == integer(0)


def test_mset_spread_keys(raw):
    args = []
    for k in KEYS:
        args += [k, "val:" + k]
    assert raw.raw("MSET", *args) == OK
    assert raw.raw("DBSIZE") == integer(len(KEYS))
    assert raw.raw("MGET", *KEYS) == array(*[bulk("val:" + k) for k in KEYS])


def test_mset_binary(raw):
    assert raw.raw("MSET", b"\x00", b"\r\n", b"", b"\xff") == OK
    assert raw.raw("MGET", b"", b"\x00") == array(bulk(b"\xff"), bulk(b"\r\n"))


# ----------------------------------------------------------------- DBSIZE

def test_dbsize(raw):
    assert raw.raw("DBSIZE") == integer(0)
    for i, k in enumerate(KEYS):
        assert raw.raw("SET", k, "x") == OK
    assert raw.raw("DBSIZE") == integer(len(KEYS))
    assert raw.raw("SET", KEYS[0], "y") == OK
    assert raw.raw("DBSIZE") == integer(len(KEYS))
    assert raw.raw("DEL", KEYS[0]) == integer(1)
    assert raw.raw("DBSIZE") == integer(len(KEYS) - 1)


def test_dbsize_is_per_db(raw):
    assert raw.raw("MSET", "a", "1", "b", "2") == OK
    assert raw.raw("SELECT", "5") == OK
    assert raw.raw("DBSIZE") == integer(0)
    assert raw.raw("SET", "a", "1") == OK
    assert raw.raw("DBSIZE") == integer(1)
    assert raw.raw("SELECT", "0") == OK
    assert raw.raw("DBSIZE") == integer(2)


# ------------------------------------------------------- FLUSHDB / FLUSHALL

def fill(raw, db, keys):
    assert raw.raw("SELECT", str(db)) == OK
    for k in keys:
        assert raw.raw("SET", k, "x") == OK


def test_flushdb_only_current_db(raw):
    fill(raw, 0, KEYS)
    fill(raw, 1, KEYS[:10])
    assert raw.raw("SELECT", "1") == OK
    assert raw.raw("FLUSHDB") == OK
    assert raw.raw("DBSIZE") == integer(0)
    assert raw.raw("SELECT", "0") == OK
    assert raw.raw("DBSIZE") == integer(len(KEYS))
    assert raw.raw("EXISTS", *KEYS) == integer(len(KEYS))


@pytest.mark.parametrize("mode", ["ASYNC", "SYNC", "async", "sync"])
def test_flushdb_modes(raw, mode):
    fill(raw, 0, KEYS)
    assert raw.raw("FLUSHDB", mode) == OK
    assert raw.raw("DBSIZE") == integer(0)
    assert raw.raw("GET", KEYS[7]) == NIL


@pytest.mark.parametrize("args", [["x"], ["ASYNC", "x"], ["SYNC", "ASYNC"], ["a", "b"]])
def test_flushdb_syntax(raw, args):
    assert raw.raw("SET", "k", "v") == OK
    assert raw.raw("FLUSHDB", *args) == SYNTAX
    assert raw.raw("FLUSHALL", *args) == SYNTAX
    assert raw.raw("DBSIZE") == integer(1)


@pytest.mark.parametrize("mode", [[], ["ASYNC"], ["SYNC"]])
def test_flushall_all_dbs(raw, mode):
    fill(raw, 0, KEYS)
    fill(raw, 3, KEYS[:5])
    fill(raw, 15, ["x"])
    assert raw.raw("FLUSHALL", *mode) == OK
    for db in (0, 3, 15):
        assert raw.raw("SELECT", str(db)) == OK
        assert raw.raw("DBSIZE") == integer(0)


def test_flush_then_write(raw):
    fill(raw, 0, KEYS)
    assert raw.raw("FLUSHALL") == OK
    assert raw.raw("SET", KEYS[3], "again") == OK
    assert raw.raw("GET", KEYS[3]) == bulk("again")
    assert raw.raw("DBSIZE") == integer(1)


def test_flushdb_redis_py(r):
    r.mset({"a": 1, "b": 2})
    assert r.flushdb() is True
    assert r.dbsize() == 0
