"""SORT and SORT_RO: numeric and ALPHA order, ASC/DESC, LIMIT, BY (nosort,
key patterns, hash fields), GET (#, keys, hash fields, several), STORE, on
lists, sets and sorted sets; errors, RESP3 nils and WATCH.

Every expected reply is what Redis 7.0.15 sends. Two things Redis leaves to
chance are avoided: the order of a hashtable-encoded set without sorting,
and the order of ALPHA BY ties (equal or missing values) under LIMIT, where
Redis uses an unstable partial quicksort. Redis's numeric check reads a
stale errno: after a value overflows ("1e400") every later numeric SORT in
the same pipeline fails until a new connection is accepted, so the overflow
case comes last on its connection.

Cross-shard tests take names in four quarters of the slot space (no
hashtags): with 2 or 4 kevy shards the source, the destination and the keys
the patterns name sit on different shards.
"""

import pytest

from helpers import (NULL3, SYNTAX, NOT_INT, array, bulk, err, integer, watch_dirtied,
                     key_in_quarter as in_quarter, slot_quarter as quarter)

WRONGTYPE = err("WRONGTYPE Operation against a key holding the wrong kind of value")
CONVERR = err("ERR One or more scores can't be converted into double")
NIL = b"$-1\r\n"
EMPTY = b"*0\r\n"


def flat(*items):
    return array(*[NIL if x is None else bulk(str(x) if not isinstance(x, bytes) else x)
                   for x in items])


def flat3(*items):
    return array(*[NULL3 if x is None else bulk(str(x)) for x in items])


# ---------------------------------------------------------------- numeric

def test_list_numeric(raw):
    raw.value("RPUSH", "l", "3", "1", "2", "10", "-5", "2.5")
    assert raw.raw("SORT", "l") == flat(-5, 1, 2, 2.5, 3, 10)
    assert raw.raw("SORT", "l", "ASC") == flat(-5, 1, 2, 2.5, 3, 10)
    assert raw.raw("SORT", "l", "DESC") == flat(10, 3, 2.5, 2, 1, -5)
    assert raw.raw("sort", "l", "desc", "asc") == flat(-5, 1, 2, 2.5, 3, 10)
    assert raw.raw("SORT_RO", "l", "DESC") == flat(10, 3, 2.5, 2, 1, -5)
    assert raw.raw("SORT", "missing") == EMPTY
    assert raw.raw("SORT_RO", "missing", "DESC", "ALPHA") == EMPTY


def test_numeric_forms(raw):
    # strtod: leading spaces, hex, inf, the empty string as 0
    raw.value("RPUSH", "l", " 7", "0x10", "inf", "-inf", "", "1e2", "5")
    assert raw.raw("SORT", "l") == flat("-inf", "", "5", " 7", "0x10", "1e2", "inf")
    # equal numbers are ordered by their bytes
    raw.value("RPUSH", "t", "1.0", "1", "01", "1e0", "2", "0")
    assert raw.raw("SORT", "t") == flat(0, "01", 1, "1.0", "1e0", 2)
    assert raw.raw("SORT", "t", "DESC") == flat(2, "1e0", "1.0", 1, "01", 0)


def test_conversion_errors(raw):
    raw.value("RPUSH", "l", "1", "x", "2")
    raw.value("RPUSH", "n", "1", "nan")
    raw.value("RPUSH", "sp", "7 ")
    raw.value("SET", "dst", "old")
    assert raw.raw("SORT", "l") == CONVERR
    assert raw.raw("SORT_RO", "l", "LIMIT", "0", "0") == CONVERR
    assert raw.raw("SORT", "n") == CONVERR
    assert raw.raw("SORT", "sp") == CONVERR
    assert raw.raw("SORT", "l", "STORE", "dst") == CONVERR
    assert raw.value("GET", "dst") == b"old"
    # not converted: ALPHA, or nothing sorted
    assert raw.raw("SORT", "l", "ALPHA") == flat(1, 2, "x")
    assert raw.raw("SORT", "l", "BY", "nosort") == flat(1, "x", 2)


def test_conversion_overflow(raw):
    raw.value("RPUSH", "big", "1", "1e400")
    raw.value("RPUSH", "small", "1e-400")
    # last numeric SORTs on this connection (Redis's stale errno)
    assert raw.raw("SORT", "big") == CONVERR
    assert raw.raw("SORT", "small") == CONVERR


# ---------------------------------------------------------------- ALPHA

def test_alpha(raw):
    raw.value("RPUSH", "l", "b", "10", "a", "2", "ab", "B", "")
    assert raw.raw("SORT", "l", "ALPHA") == flat("", 10, 2, "B", "a", "ab", "b")
    assert raw.raw("SORT", "l", "alpha", "DESC") == flat("b", "ab", "a", "B", 2, 10, "")
    assert raw.raw("SORT", "l", "ALPHA", "LIMIT", "1", "3") == flat(10, 2, "B")
    assert raw.raw("SORT", "l", "ALPHA", "STORE", "d") == integer(7)
    assert raw.raw("LRANGE", "d", "0", "-1") == flat("", 10, 2, "B", "a", "ab", "b")


def test_alpha_nul_bytes(raw):
    # Without STORE Redis collates C strings (up to a NUL: these two tie
    # and keep their order); STORE compares every byte.
    raw.value("RPUSH", "l", b"a\x00b", b"a\x00a")
    assert raw.raw("SORT", "l", "ALPHA") == flat(b"a\x00b", b"a\x00a")
    assert raw.raw("SORT", "l", "ALPHA", "STORE", "d") == integer(2)
    assert raw.raw("LRANGE", "d", "0", "-1") == flat(b"a\x00a", b"a\x00b")


# ---------------------------------------------------------------- LIMIT

def test_limit(raw):
    raw.value("RPUSH", "l", "5", "3", "1", "4", "2")
    assert raw.raw("SORT", "l", "LIMIT", "0", "2") == flat(1, 2)
    assert raw.raw("SORT", "l", "LIMIT", "1", "2") == flat(2, 3)
    assert raw.raw("SORT", "l", "LIMIT", "3", "10") == flat(4, 5)
    assert raw.raw("SORT", "l", "LIMIT", "4", "1") == flat(5)
    assert raw.raw("SORT", "l", "LIMIT", "5", "1") == EMPTY
    assert raw.raw("SORT", "l", "LIMIT", "100", "1") == EMPTY
    assert raw.raw("SORT", "l", "LIMIT", "-3", "2") == flat(1, 2)
    assert raw.raw("SORT", "l", "LIMIT", "2", "-1") == flat(3, 4, 5)
    assert raw.raw("SORT", "l", "LIMIT", "2", "0") == EMPTY
    assert raw.raw("SORT", "l", "LIMIT", "0", "9223372036854775807") == flat(1, 2, 3, 4, 5)
    assert raw.raw("SORT", "l", "LIMIT", "1", "9223372036854775807") == flat(2, 3, 4, 5)
    assert raw.raw("SORT", "l", "LIMIT", "9223372036854775807", "1") == EMPTY
    assert raw.raw("SORT", "l", "LIMIT", "-9223372036854775808", "1") == flat(1)
    assert raw.raw("SORT", "l", "DESC", "LIMIT", "1", "2") == flat(4, 3)
    assert raw.raw("SORT", "l", "LIMIT", "9", "9", "LIMIT", "0", "1") == flat(1)
    assert raw.raw("SORT", "missing", "LIMIT", "0", "1") == EMPTY


# ---------------------------------------------------------------- BY

def test_by_key_pattern(raw):
    raw.value("RPUSH", "l", "a", "b", "c", "d")
    raw.value("MSET", "w_a", "30", "w_b", "10", "w_c", "20")   # w_d missing: 0
    assert raw.raw("SORT", "l", "BY", "w_*") == flat("d", "b", "c", "a")
    assert raw.raw("SORT", "l", "BY", "w_*", "DESC") == flat("a", "c", "b", "d")
    assert raw.raw("SORT", "l", "BY", "w_*", "LIMIT", "1", "2") == flat("b", "c")
    raw.value("SET", "w_d", "not a number")
    assert raw.raw("SORT", "l", "BY", "w_*") == CONVERR
    raw.value("DEL", "w_d")
    raw.value("RPUSH", "w_d", "a list")     # another type: as if missing
    assert raw.raw("SORT", "l", "BY", "w_*") == flat("d", "b", "c", "a")
    # a prefix and a suffix around the element
    raw.value("MSET", "pa-x", "3", "pb-x", "1", "pc-x", "2", "pd-x", "4")
    assert raw.raw("SORT", "l", "BY", "p*-x") == flat("b", "c", "a", "d")
    # equal weights: ordered by the elements themselves
    raw.value("MSET", "e_a", "1", "e_b", "1", "e_c", "0", "e_d", "1")
    assert raw.raw("SORT", "l", "BY", "e_*", "DESC") == flat("d", "b", "a", "c")


def test_by_alpha(raw):
    raw.value("RPUSH", "l", "1", "2", "3", "4")
    raw.value("MSET", "n_1", "pear", "n_2", "apple", "n_3", "fig", "n_4", "kiwi")
    assert raw.raw("SORT", "l", "BY", "n_*", "ALPHA") == flat(2, 3, 4, 1)
    assert raw.raw("SORT", "l", "BY", "n_*", "ALPHA", "DESC") == flat(1, 4, 3, 2)
    assert raw.raw("SORT", "l", "BY", "n_*", "ALPHA", "LIMIT", "1", "2") == flat(3, 4)
    assert raw.raw("SORT", "l", "BY", "n_*", "ALPHA", "STORE", "d") == integer(4)
    assert raw.raw("LRANGE", "d", "0", "-1") == flat(2, 3, 4, 1)
    # missing values sort first (ties keep the list's order without LIMIT)
    raw.value("DEL", "n_2", "n_4")
    assert raw.raw("SORT", "l", "BY", "n_*", "ALPHA") == flat(2, 4, 3, 1)
    assert raw.raw("SORT", "l", "BY", "n_*", "ALPHA", "DESC") == flat(1, 3, 2, 4)


def test_by_hash_field(raw):
    raw.value("RPUSH", "l", "x", "y", "z")
    raw.value("HSET", "h_x", "w", "5", "name", "zed")
    raw.value("HSET", "h_y", "w", "-1", "name", "bob")
    raw.value("HSET", "h_z", "w", "2.5")
    assert raw.raw("SORT", "l", "BY", "h_*->w") == flat("y", "z", "x")
    assert raw.raw("SORT", "l", "BY", "h_*->name", "ALPHA") == flat("z", "y", "x")
    assert raw.raw("SORT", "l", "BY", "h_*->nofield") == flat("x", "y", "z")
    # a string where a hash is named: missing
    raw.value("DEL", "h_z")
    raw.value("SET", "h_z", "-100")
    assert raw.raw("SORT", "l", "BY", "h_*->w") == flat("y", "z", "x")
    # "->" with nothing after it is part of the key name
    raw.value("MSET", "h_x->", "3", "h_y->", "1", "h_z->", "2")
    assert raw.raw("SORT", "l", "BY", "h_*->") == flat("y", "z", "x")


def test_by_hashtable_hash(raw):
    # a big hash (hashtable encoding) and integers in a listpack hash
    raw.value("RPUSH", "l", "1", "2", "3")
    raw.value("HSET", "h_1", "w", "30", "long", "x" * 100)
    raw.value("HSET", "h_2", "w", "10")
    raw.value("HSET", "h_3", "w", "20")
    assert raw.value("OBJECT", "ENCODING", "h_1") == b"hashtable"
    assert raw.raw("SORT", "l", "BY", "h_*->w", "GET", "h_*->w") == flat(10, 20, 30)


def test_by_nosort(raw):
    raw.value("RPUSH", "l", "3", "x", "1", "2")
    assert raw.raw("SORT", "l", "BY", "nosort") == flat(3, "x", 1, 2)
    assert raw.raw("SORT", "l", "BY", "nosort", "DESC") == flat(2, 1, "x", 3)
    assert raw.raw("SORT", "l", "BY", "nosort", "LIMIT", "1", "2") == flat("x", 1)
    assert raw.raw("SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "2") == flat(1, "x")
    assert raw.raw("SORT", "l", "BY", "nosort", "LIMIT", "3", "5") == flat(2)
    assert raw.raw("SORT", "l", "BY", "nosort", "LIMIT", "4", "5") == EMPTY
    assert raw.raw("SORT", "l", "BY", "nosort", "ALPHA") == flat(3, "x", 1, 2)
    # any BY without '*' is nosort, and stays so whatever BY follows
    raw.value("MSET", "w_3", "4", "w_x", "1", "w_1", "3", "w_2", "2")
    assert raw.raw("SORT", "l", "BY", "w_*", "DESC") == flat(3, 1, 2, "x")
    assert raw.raw("SORT", "l", "BY", "const", "BY", "w_*", "DESC") == flat(2, 1, "x", 3)
    assert raw.raw("SORT", "l", "BY", "w_*", "BY", "#", "LIMIT", "0", "2") == flat(3, "x")
    assert raw.raw("SORT", "l", "BY", "nosort", "STORE", "d") == integer(4)
    assert raw.raw("LRANGE", "d", "0", "-1") == flat(3, "x", 1, 2)


def test_by_nosort_long_list(raw):
    items = [str(i) for i in range(1000)]
    raw.value("RPUSH", "l", *items)
    assert raw.raw("SORT", "l", "BY", "nosort", "LIMIT", "500", "3") == flat(500, 501, 502)
    assert raw.raw("SORT", "l", "BY", "nosort", "DESC", "LIMIT", "500", "3") == flat(
        499, 498, 497)
    assert raw.raw("SORT", "l", "BY", "nosort", "DESC", "LIMIT", "998", "5") == flat(1, 0)
    assert raw.raw("SORT", "l", "DESC", "LIMIT", "0", "2") == flat(999, 998)


# ---------------------------------------------------------------- GET

def test_get(raw, raw3):
    raw.value("RPUSH", "l", "2", "1", "3")
    raw.value("MSET", "o_1", "one", "o_2", "two")             # o_3 missing
    raw.value("HSET", "h_1", "f", "h1")
    raw.value("HSET", "h_3", "f", "33")
    assert raw.raw("SORT", "l", "GET", "o_*") == flat("one", "two", None)
    assert raw3.raw("SORT", "l", "GET", "o_*") == flat3("one", "two", None)
    assert raw.raw("SORT", "l", "GET", "#") == flat(1, 2, 3)
    assert raw.raw("SORT", "l", "GET", "#", "GET", "o_*", "GET", "h_*->f") == flat(
        1, "one", "h1", 2, "two", None, 3, None, 33)
    assert raw3.raw("SORT", "l", "GET", "h_*->f", "GET", "#") == flat3(
        "h1", 1, None, 2, 33, 3)
    assert raw.raw("SORT", "l", "DESC", "LIMIT", "0", "2", "GET", "o_*", "GET", "#") == flat(
        None, 3, "two", 2)
    # no '*': nil for every element
    assert raw.raw("SORT", "l", "GET", "o_1") == flat(None, None, None)
    assert raw.raw("SORT", "l", "GET", "##") == flat(None, None, None)
    # another type, or a hash read as a string: nil
    assert raw.raw("SORT", "l", "GET", "h_*") == flat(None, None, None)
    assert raw.raw("SORT", "l", "GET", "o_*->f") == flat(None, None, None)
    # the same GET twice
    assert raw.raw("SORT", "l", "LIMIT", "0", "1", "GET", "o_*", "GET", "o_*") == flat(
        "one", "one")
    assert raw.raw("SORT", "missing", "GET", "o_*") == EMPTY


def test_get_values(raw):
    raw.value("RPUSH", "l", "1", "2")
    raw.value("SET", "o_1", "12345")                    # int encoding
    raw.value("SET", "o_2", "x" * 100)                  # raw encoding
    raw.value("HSET", "h_1", "f", "-7")                  # an integer in a listpack
    assert raw.raw("SORT", "l", "GET", "o_*", "GET", "h_*->f") == flat(
        12345, -7, "x" * 100, None)


def test_get_with_by(raw):
    raw.value("RPUSH", "l", "a", "b", "c")
    raw.value("MSET", "w_a", "3", "w_b", "1", "w_c", "2",
              "n_a", "AA", "n_b", "BB", "n_c", "CC")
    assert raw.raw("SORT", "l", "BY", "w_*", "GET", "n_*") == flat("BB", "CC", "AA")
    assert raw.raw("SORT", "l", "BY", "w_*", "GET", "#", "GET", "n_*", "DESC",
                   "LIMIT", "0", "2") == flat("a", "AA", "c", "CC")
    assert raw.raw("SORT", "l", "BY", "nosort", "GET", "n_*", "DESC") == flat("CC", "BB", "AA")


def test_pattern_parsing(raw):
    raw.value("RPUSH", "l", "1", "2")
    raw.value("MSET", "x1y", "a", "x2y", "b", "k1*", "c", "k2*", "d")
    # only the first '*' is replaced
    assert raw.raw("SORT", "l", "GET", "x*y") == flat("a", "b")
    assert raw.raw("SORT", "l", "GET", "k**") == flat("c", "d")
    assert raw.raw("SORT", "l", "GET", "*") == flat(None, None)
    # "->" before the '*' belongs to the key name; a field may hold "->"
    raw.value("MSET", "a->1", "A1", "a->2", "A2")
    assert raw.raw("SORT", "l", "GET", "a->*") == flat("A1", "A2")
    raw.value("HSET", "g1", "f->g", "G1")
    assert raw.raw("SORT", "l", "GET", "g*->f->g") == flat("G1", None)
    # a NUL ends the pattern for '#', '*' and "->" (not for the key's bytes)
    raw.value("SET", b"z1\x00*", "Z1")
    assert raw.raw("SORT", "l", "GET", b"z*\x00*") == flat("Z1", None)
    assert raw.raw("SORT", "l", "GET", b"#\x00x") == flat(1, 2)
    assert raw.raw("SORT", "l", "GET", b"n\x00*") == flat(None, None)
    raw.value("SET", b"m1->\x00f", "M1")
    assert raw.raw("SORT", "l", "GET", b"m*->\x00f") == flat("M1", None)
    raw.value("HSET", "q1", b"f\x00g", "Q1")
    assert raw.raw("SORT", "l", "GET", b"q*->f\x00g") == flat("Q1", None)


# ---------------------------------------------------------------- sources

def test_sets(raw):
    raw.value("SADD", "is", "5", "-3", "10", "1")
    assert raw.value("OBJECT", "ENCODING", "is") == b"intset"
    assert raw.raw("SORT", "is") == flat(-3, 1, 5, 10)
    assert raw.raw("SORT", "is", "ALPHA") == flat(-3, 1, 10, 5)
    assert raw.raw("SORT", "is", "DESC", "LIMIT", "0", "2") == flat(10, 5)
    # nosort: an intset's own order, DESC ignored; with STORE, ALPHA
    assert raw.raw("SORT", "is", "BY", "nosort") == flat(-3, 1, 5, 10)
    assert raw.raw("SORT", "is", "BY", "nosort", "DESC", "LIMIT", "1", "2") == flat(1, 5)
    assert raw.raw("SORT", "is", "BY", "nosort", "STORE", "d") == integer(4)
    assert raw.raw("LRANGE", "d", "0", "-1") == flat(-3, 1, 10, 5)
    assert raw.raw("SORT", "is", "BY", "nosort", "DESC", "LIMIT", "1", "2", "STORE",
                   "d") == integer(2)
    assert raw.raw("LRANGE", "d", "0", "-1") == flat(10, 1)
    raw.value("SADD", "hs", "b", "a", "c", "2", "10")
    assert raw.value("OBJECT", "ENCODING", "hs") == b"hashtable"
    assert raw.raw("SORT", "hs", "ALPHA") == flat(10, 2, "a", "b", "c")
    assert raw.raw("SORT", "hs", "ALPHA", "DESC", "LIMIT", "1", "3") == flat("b", "a", 2)
    assert raw.raw("SORT", "hs") == CONVERR
    assert raw.raw("SORT", "hs", "BY", "nosort", "STORE", "d") == integer(5)
    assert raw.raw("LRANGE", "d", "0", "-1") == flat(10, 2, "a", "b", "c")
    raw.value("MSET", "w_a", "5", "w_b", "4", "w_c", "3", "w_2", "2", "w_10", "1")
    assert raw.raw("SORT", "hs", "BY", "w_*") == flat(10, 2, "c", "b", "a")
    assert raw.raw("SORT", "hs", "BY", "w_*", "LIMIT", "1", "2", "GET", "#") == flat(2, "c")


def test_zsets(raw):
    # members are sorted by their own value, not by score
    raw.value("ZADD", "z", "1", "30", "2", "10", "3", "20", "4", "x")
    assert raw.value("OBJECT", "ENCODING", "z") == b"listpack"
    assert raw.raw("SORT", "z", "LIMIT", "0", "3", "ALPHA") == flat(10, 20, 30)
    assert raw.raw("SORT", "z") == CONVERR
    # SORT turns a listpack zset into a skiplist for good
    assert raw.value("OBJECT", "ENCODING", "z") == b"skiplist"
    assert raw.value("ZRANGE", "z", "0", "-1", "WITHSCORES") == [
        b"30", b"1", b"10", b"2", b"20", b"3", b"x", b"4"]
    # nosort: score order, DESC reverses, LIMIT is a rank range
    assert raw.raw("SORT", "z", "BY", "nosort") == flat(30, 10, 20, "x")
    assert raw.raw("SORT", "z", "BY", "nosort", "DESC") == flat("x", 20, 10, 30)
    assert raw.raw("SORT", "z", "BY", "nosort", "LIMIT", "1", "2") == flat(10, 20)
    assert raw.raw("SORT", "z", "BY", "nosort", "DESC", "LIMIT", "1", "2") == flat(20, 10)
    assert raw.raw("SORT", "z", "BY", "nosort", "DESC", "LIMIT", "3", "9") == flat(30)
    assert raw.raw("SORT", "z", "BY", "nosort", "LIMIT", "4", "9") == EMPTY
    assert raw.raw("SORT", "z", "BY", "nosort", "STORE", "d") == integer(4)
    assert raw.raw("LRANGE", "d", "0", "-1") == flat(30, 10, 20, "x")
    raw.value("ZADD", "z2", "1", "b", "2", "a")
    assert raw.raw("SORT_RO", "z2", "BY", "nosort") == flat("b", "a")
    assert raw.value("OBJECT", "ENCODING", "z2") == b"skiplist"
    raw.value("MSET", "w_30", "1", "w_10", "3", "w_20", "2", "w_x", "0")
    assert raw.raw("SORT", "z", "BY", "w_*", "GET", "#") == flat("x", 30, 20, 10)


def test_wrong_type(raw):
    raw.value("SET", "s", "x")
    raw.value("HSET", "h", "f", "v")
    raw.value("SET", "dst", "old")
    assert raw.raw("SORT", "s") == WRONGTYPE
    assert raw.raw("SORT_RO", "h", "BY", "w_*", "GET", "o_*") == WRONGTYPE
    assert raw.raw("SORT", "h", "STORE", "dst") == WRONGTYPE
    assert raw.value("GET", "dst") == b"old"
    # syntax errors come first
    assert raw.raw("SORT", "s", "foo") == SYNTAX
    assert raw.raw("SORT", "s", "LIMIT", "a", "1") == NOT_INT


# ---------------------------------------------------------------- errors

def test_syntax_errors(raw):
    raw.value("RPUSH", "l", "1", "2")
    assert raw.raw("SORT", "l", "foo") == SYNTAX
    assert raw.raw("SORT", "l", "LIMIT") == SYNTAX
    assert raw.raw("SORT", "l", "LIMIT", "1") == SYNTAX
    assert raw.raw("SORT", "l", "LIMIT", "x", "1") == NOT_INT
    assert raw.raw("SORT", "l", "LIMIT", "1", "x") == NOT_INT
    assert raw.raw("SORT", "l", "LIMIT", "1", "1.5") == NOT_INT
    assert raw.raw("SORT", "l", "LIMIT", "1", "99999999999999999999") == NOT_INT
    assert raw.raw("SORT", "l", "BY") == SYNTAX
    assert raw.raw("SORT", "l", "GET") == SYNTAX
    assert raw.raw("SORT", "l", "STORE") == SYNTAX
    assert raw.raw("SORT", "l", "ASC", "DESC", "bogus", "ALPHA") == SYNTAX
    assert raw.raw("SORT", "l", "GET", "#", "LIMIT", "0") == SYNTAX
    assert raw.raw("SORT", "l", "LIMIT", "0", "1", "2") == SYNTAX
    assert raw.raw("SORT", "l", b"asc\x00junk") == flat(1, 2)
    assert raw.raw("SORT_RO", "l", "STORE", "d") == SYNTAX
    assert raw.raw("SORT_RO", "l", "store", "d", "ALPHA") == SYNTAX
    assert raw.value("EXISTS", "d") == 0
    assert raw.raw("SORT") == err("ERR wrong number of arguments for 'sort' command")
    assert raw.raw("SORT_RO") == err("ERR wrong number of arguments for 'sort_ro' command")
    assert raw.raw("SORT", "missing", "bogus") == SYNTAX


# ---------------------------------------------------------------- STORE

def test_store(raw, raw3):
    raw.value("RPUSH", "l", "3", "1", "2")
    raw.value("MSET", "o_1", "one", "o_3", "three")
    assert raw.raw("SORT", "l", "STORE", "d") == integer(3)
    assert raw.value("TYPE", "d") == "list"
    assert raw.raw("LRANGE", "d", "0", "-1") == flat(1, 2, 3)
    assert raw3.raw("SORT", "l", "STORE", "d", "DESC") == integer(3)
    assert raw.raw("LRANGE", "d", "0", "-1") == flat(3, 2, 1)
    # GET nils are stored as empty strings; the count is of items
    assert raw.raw("SORT", "l", "GET", "o_*", "GET", "#", "STORE", "d") == integer(6)
    assert raw.raw("LRANGE", "d", "0", "-1") == flat("one", 1, "", 2, "three", 3)
    # another type and a TTL are replaced
    raw.value("SET", "d", "x", "EX", "100")
    assert raw.raw("SORT", "l", "LIMIT", "0", "1", "STORE", "d") == integer(1)
    assert raw.raw("LRANGE", "d", "0", "-1") == flat(1)
    assert raw.value("TTL", "d") == -1
    # the last STORE wins; the source itself can be the destination
    assert raw.raw("SORT", "l", "STORE", "x", "STORE", "d", "DESC") == integer(3)
    assert raw.value("EXISTS", "x") == 0
    assert raw.raw("SORT", "l", "STORE", "l") == integer(3)
    assert raw.raw("LRANGE", "l", "0", "-1") == flat(1, 2, 3)


def test_store_empty_deletes(raw):
    raw.value("RPUSH", "l", "1", "2")
    raw.value("SET", "d", "x")
    assert raw.raw("SORT", "missing", "STORE", "d") == integer(0)
    assert raw.value("EXISTS", "d") == 0
    raw.value("SADD", "d", "m")
    assert raw.raw("SORT", "l", "LIMIT", "5", "1", "STORE", "d") == integer(0)
    assert raw.value("EXISTS", "d") == 0
    assert raw.raw("SORT", "l", "LIMIT", "0", "0", "STORE", "nothere") == integer(0)
    assert raw.value("EXISTS", "nothere") == 0


def test_store_big(raw):
    n = 2000
    raw.value("RPUSH", "l", *[str((i * 7919) % n) for i in range(n)])
    raw.value("MSET", *sum([["w_%d" % i, str(n - i)] for i in range(0, n, 3)], []))
    assert raw.value("SORT", "l", "STORE", "d") == n
    assert raw.value("LRANGE", "d", "0", "-1") == [str(i).encode() for i in range(n)]
    weights = {i: (n - i if i % 3 == 0 else 0) for i in range(n)}
    expect = sorted(range(n), key=lambda i: (weights[i], str(i)))
    assert raw.value("SORT", "l", "BY", "w_*", "GET", "#", "GET", "w_*",
                     "STORE", "d") == 2 * n
    got = raw.value("LRANGE", "d", "0", "-1")
    assert got[0::2] == [str(i).encode() for i in expect]
    assert got[1::2] == [str(weights[i]).encode() if i % 3 == 0 else b"" for i in expect]


@pytest.mark.parametrize("setup, command, dirty", [
    ([["RPUSH", "l", "1"]], ["SORT", "l", "STORE", "d"], True),
    ([["RPUSH", "l", "1"], ["SET", "d", "x"]], ["SORT", "l", "STORE", "d"], True),
    ([["SET", "d", "x"]], ["SORT", "l", "STORE", "d"], True),
    ([], ["SORT", "l", "STORE", "d"], False),
    ([["RPUSH", "l", "x"], ["SET", "d", "x"]], ["SORT", "l", "STORE", "d"], False),
    ([["RPUSH", "l", "1"], ["SET", "d", "x"]], ["SORT", "l"], False),
    ([["RPUSH", "l", "1"], ["SET", "d", "x"]], ["SORT_RO", "l", "STORE", "d"], False),
], ids=["store", "replace", "delete", "nothing", "error", "no-store", "sort_ro"])
def test_store_watch(connect, setup, command, dirty):
    assert watch_dirtied(connect, setup, command, ["d"]) is dirty


def test_store_watch_across_shards(connect):
    src, dst = in_quarter("sw:", 0), in_quarter("sw:", 3)
    setup = [["RPUSH", src, "b", "a"], ["SET", "wt_a", "1"]]
    assert watch_dirtied(connect, setup, ["SORT", src, "ALPHA", "STORE", dst],
                         [dst]) is True
    assert watch_dirtied(connect, setup, ["SORT", src, "BY", "wt_*", "STORE", dst],
                         [dst]) is True
    assert watch_dirtied(connect, [["SET", dst, "x"]], ["SORT", src, "BY", "wt_*", "STORE",
                                                        dst], [dst]) is True
    assert watch_dirtied(connect, [], ["SORT", src, "GET", "wt_*", "STORE", dst],
                         [dst]) is False


# ---------------------------------------------------------------- shards

def test_across_shards(raw, raw3):
    src = in_quarter("ss:", 0)
    dst = in_quarter("ss:", 3)
    other = in_quarter("ss:", 2)
    # elements whose weight and name keys fall in every quarter
    els = [in_quarter("e", q, k) for q in range(4) for k in range(2)]
    assert {quarter("w:" + e) for e in els} | {quarter("n:" + e) for e in els} == {0, 1, 2, 3}
    raw.value("RPUSH", src, *els)
    weights = {e: str((i * 5) % 8) for i, e in enumerate(els)}
    for e in els[:-1]:                      # the last one has no keys
        raw.value("SET", "w:" + e, weights[e])
        raw.value("HSET", "n:" + e, "name", "N" + e, "w", weights[e])
    weights[els[-1]] = "0"
    order = sorted(els, key=lambda e: (float(weights[e]), e))
    names = [None if e == els[-1] else "N" + e for e in order]
    assert raw.raw("SORT", src, "BY", "w:*") == flat(*order)
    assert raw.raw("SORT", src, "BY", "n:*->w", "DESC") == flat(*order[::-1])
    assert raw.raw("SORT", src, "BY", "w:*", "GET", "n:*->name") == flat(*names)
    assert raw3.raw("SORT_RO", src, "BY", "w:*", "GET", "#", "GET", "n:*->name",
                    "LIMIT", "2", "3") == flat3(*[x for i in range(2, 5)
                                                  for x in (order[i], names[i])])
    assert raw.raw("SORT", src, "BY", "nosort", "GET", "w:*") == flat(
        *[None if e == els[-1] else weights[e] for e in els])
    assert raw.raw("SORT", src, "BY", "w:*", "GET", "n:*->name", "STORE", dst) == integer(8)
    assert raw.raw("LRANGE", dst, "0", "-1") == flat(*[x or "" for x in names])
    # no patterns: the source's shard sorts, the destination's stores
    assert raw.raw("SORT", src, "ALPHA", "DESC", "LIMIT", "0", "3", "STORE", other) == integer(3)
    assert raw.raw("LRANGE", other, "0", "-1") == flat(*sorted(els, reverse=True)[:3])
    assert raw.raw("SORT", src, "ALPHA", "GET", "nostar", "LIMIT", "0", "1",
                   "STORE", other) == integer(1)
    assert raw.raw("LRANGE", other, "0", "-1") == flat("")
    assert raw.raw("SORT", "missing", "BY", "w:*", "STORE", dst) == integer(0)
    assert raw.value("EXISTS", dst) == 0
    # errors from the source's shard
    raw.value("SET", other, "str")
    assert raw.raw("SORT", other, "BY", "w:*", "STORE", dst) == WRONGTYPE
    assert raw.raw("SORT", other, "STORE", dst) == WRONGTYPE
    raw.value("SET", "w:" + els[0], "NaN-ish")
    assert raw.raw("SORT", src, "BY", "w:*", "STORE", dst) == CONVERR
    assert raw.value("EXISTS", dst) == 0
    assert raw.raw("SORT", src, "ALPHA", "BY", "w:*", "LIMIT", "0", "1") == flat(els[-1])


def test_across_shards_sources(raw):
    dst = in_quarter("sd:", 1)
    for q in range(4):
        src = in_quarter("sx:", q)
        raw.value("SADD", src, "3", "1", "2")
        assert raw.raw("SORT", src, "DESC", "STORE", dst) == integer(3)
        assert raw.raw("LRANGE", dst, "0", "-1") == flat(3, 2, 1)
        assert raw.raw("SORT", src, "BY", "nosort", "STORE", dst) == integer(3)
        assert raw.raw("LRANGE", dst, "0", "-1") == flat(1, 2, 3)
        assert raw.raw("SORT_RO", src, "BY", "sxw_*", "GET", "sxo_*") == flat(None, None, None)
    z = in_quarter("sz:", 2)
    raw.value("ZADD", z, "1", "b", "2", "a")
    assert raw.raw("SORT", z, "BY", "nosort", "GET", "#", "GET", "szw_*", "STORE", dst) == (
        integer(4))
    assert raw.raw("LRANGE", dst, "0", "-1") == flat("b", "", "a", "")
    assert raw.value("OBJECT", "ENCODING", z) == b"skiplist"


# ---------------------------------------------------------------- misc

def test_expired_pattern_keys(raw):
    raw.value("RPUSH", "l", "1", "2")
    raw.value("SET", "w_1", "5")
    raw.value("SET", "w_2", "1", "PX", "1")
    raw.value("SET", "o_2", "x", "PX", "1")
    import time
    time.sleep(0.02)
    assert raw.raw("SORT", "l", "BY", "w_*", "GET", "o_*", "GET", "w_*") == flat(
        None, None, None, 5)


def test_in_multi(raw):
    raw.value("RPUSH", "{t}l", "2", "1")
    raw.value("SET", "{t}w_1", "9")
    assert raw.value("MULTI") == "OK"
    assert raw.value("SORT", "{t}l", "BY", "{t}w_*", "STORE", "{t}d") == "QUEUED"
    assert raw.value("LRANGE", "{t}d", "0", "-1") == "QUEUED"
    assert raw.value("EXEC") == [2, [b"2", b"1"]]


def test_command_getkeys(raw):
    assert raw.value("COMMAND", "GETKEYS", "SORT", "k", "BY", "w_*", "GET", "o_*") == [b"k"]
    assert raw.value("COMMAND", "GETKEYS", "SORT", "k", "STORE", "d") == [b"k", b"d"]
    assert raw.value("COMMAND", "GETKEYS", "SORT", "k", "STORE", "d", "LIMIT", "0", "1",
                     "STORE", "e") == [b"k", b"e"]
    assert raw.value("COMMAND", "GETKEYS", "SORT", "k", "LIMIT", "STORE", "d") == [b"k"]
    assert raw.value("COMMAND", "GETKEYS", "SORT", "k", "GET", "STORE", "d") == [b"k"]
    assert raw.value("COMMAND", "GETKEYS", "SORT_RO", "k", "BY", "x") == [b"k"]


def test_other_db(raw):
    src, dst = in_quarter("sdb:", 0), in_quarter("sdb:", 3)
    assert raw.value("SELECT", "1") == "OK"
    raw.value("RPUSH", src, "b", "a")
    raw.value("MSET", "dw_a", "2", "dw_b", "1")
    assert raw.raw("SORT", src, "BY", "dw_*", "GET", "dw_*", "STORE", dst) == integer(2)
    assert raw.raw("LRANGE", dst, "0", "-1") == flat(1, 2)
    assert raw.raw("SORT", src, "ALPHA", "STORE", dst) == integer(2)
    assert raw.raw("LRANGE", dst, "0", "-1") == flat("a", "b")
    assert raw.value("SELECT", "0") == "OK"
    assert raw.value("EXISTS", src, dst, "dw_a") == 0
    assert raw.raw("SORT", src, "BY", "dw_*", "GET", "dw_*") == EMPTY


def test_in_multi_with_patterns_on_every_shard(raw):
    # No hashtags: the list, the weights, the GET targets and the destination
    # spread over the shards; inside EXEC the patterns still read them all.
    raw.value("RPUSH", "ml", "1", "2", "3")
    for i, w in ((1, "30"), (2, "10"), (3, "20")):
        raw.value("SET", "mw_%d" % i, w)
        raw.value("SET", "mo_%d" % i, "obj%d" % i)
    assert raw.value("MULTI") == "OK"
    assert raw.value("SORT", "ml", "BY", "mw_*", "GET", "mo_*", "GET", "#") == "QUEUED"
    assert raw.value("SORT", "ml", "BY", "mw_*", "DESC", "STORE", "mdst") == "QUEUED"
    assert raw.value("LRANGE", "mdst", "0", "-1") == "QUEUED"
    assert raw.value("EXEC") == [[b"obj2", b"2", b"obj3", b"3", b"obj1", b"1"], 3,
                                 [b"1", b"3", b"2"]]
