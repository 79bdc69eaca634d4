"""Hashes: HSET HSETNX HGET HMGET HMSET HDEL HLEN HSTRLEN HEXISTS HKEYS HVALS
HGETALL HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN, and the listpack/hashtable
encodings at Redis 7.0.15's exact thresholds.

Order: a listpack hash replies in insertion order (an updated field keeps its
place), which is deterministic and asserted byte for byte. A hashtable hash
replies in its dict's order, which depends on a per-process random SipHash
key in both Redis and kevy, so those replies are compared as dicts/sets.

The encoding tests use OBJECT ENCODING (test_encoding_* and the tests that
call `encoding()`).
"""

import pytest

from helpers import (NIL, NOT_INT, NULL3, OK, SYNTAX, arity_err, array, bulk, err, info_fields,
                     integer)
from resp_client import Map

WRONGTYPE = err("WRONGTYPE Operation against a key holding the wrong kind of value")
LP_ENTRIES = 512   # hash-max-listpack-entries (Redis 7.0.15 default)
LP_VALUE = 64      # hash-max-listpack-value


def encoding(raw, key):
    return raw.value("OBJECT", "ENCODING", key)


def flat(*items):
    return array(*[bulk(x) for x in items])


# ---------------------------------------------------------------- HSET & co

def test_hset_hget(raw):
    assert raw.raw("HSET", "h", "a", "1", "b", "2") == integer(2)
    assert raw.raw("HSET", "h", "a", "10", "c", "3") == integer(1)
    assert raw.raw("HGET", "h", "a") == bulk("10")
    assert raw.raw("HGET", "h", "c") == bulk("3")
    assert raw.raw("HGET", "h", "nope") == NIL
    assert raw.raw("HGET", "nokey", "a") == NIL
    assert raw.raw("HLEN", "h") == integer(3)


def test_hget_missing_resp3(raw3):
    assert raw3.raw("HGET", "nokey", "a") == NULL3
    raw3.value("HSET", "h", "a", "1")
    assert raw3.raw("HGET", "h", "b") == NULL3


@pytest.mark.parametrize("cmd", [["HSET", "h", "a"], ["HSET", "h", "a", "1", "b"],
                                 ["HMSET", "h", "a"], ["HMSET", "h", "a", "1", "b"]])
def test_hset_odd_pairs(raw, cmd):
    assert raw.raw(*cmd) == arity_err(cmd[0].lower())
    assert raw.raw("EXISTS", "h") == integer(0)


def test_hmset(raw):
    assert raw.raw("HMSET", "h", "a", "1", "b", "2") == OK
    assert raw.raw("HMSET", "h", "a", "3") == OK
    assert raw.raw("HGETALL", "h") == flat("a", "3", "b", "2")


def test_hsetnx(raw):
    assert raw.raw("HSETNX", "h", "a", "1") == integer(1)
    assert raw.raw("HSETNX", "h", "a", "2") == integer(0)
    assert raw.raw("HGET", "h", "a") == bulk("1")
    assert raw.raw("HSETNX", "h", "b", "2") == integer(1)
    assert raw.raw("HLEN", "h") == integer(2)


def test_hmget(raw, raw3):
    raw.value("HSET", "h", "a", "1", "b", "2")
    assert raw.raw("HMGET", "h", "a", "nope", "b") == array(bulk("1"), NIL, bulk("2"))
    assert raw.raw("HMGET", "nokey", "a", "b") == array(NIL, NIL)
    assert raw3.raw("HMGET", "h", "nope", "a") == array(NULL3, bulk("1"))
    assert raw3.raw("HMGET", "nokey", "a") == array(NULL3)


def test_hdel(raw):
    raw.value("HSET", "h", "a", "1", "b", "2", "c", "3")
    assert raw.raw("HDEL", "h", "nope") == integer(0)
    assert raw.raw("HDEL", "h", "a", "nope", "b", "a") == integer(2)
    assert raw.raw("HLEN", "h") == integer(1)
    assert raw.raw("HDEL", "nokey", "a") == integer(0)


def test_hdel_last_field_deletes_key(raw):
    raw.value("HSET", "h", "a", "1", "b", "2")
    assert raw.raw("HDEL", "h", "a", "b", "c") == integer(2)
    assert raw.raw("EXISTS", "h") == integer(0)
    assert raw.raw("TYPE", "h") == b"+none\r\n"


def test_hlen_hstrlen_hexists(raw, raw3):
    raw.value("HSET", "h", "s", "hello", "i", "12345", "n", "-12", "e", "")
    assert raw.raw("HLEN", "h") == integer(4)
    assert raw.raw("HLEN", "nokey") == integer(0)
    assert raw.raw("HSTRLEN", "h", "s") == integer(5)
    assert raw.raw("HSTRLEN", "h", "i") == integer(5)
    assert raw.raw("HSTRLEN", "h", "n") == integer(3)
    assert raw.raw("HSTRLEN", "h", "e") == integer(0)
    assert raw.raw("HSTRLEN", "h", "nope") == integer(0)
    assert raw.raw("HSTRLEN", "nokey", "s") == integer(0)
    assert raw.raw("HEXISTS", "h", "e") == integer(1)
    assert raw.raw("HEXISTS", "h", "nope") == integer(0)
    assert raw.raw("HEXISTS", "nokey", "e") == integer(0)
    assert raw3.raw("HEXISTS", "h", "s") == integer(1)


def test_integer_looking_values_round_trip(raw):
    vals = ["0", "-1", "127", "4095", "-4096", "32767", "8388607", "2147483647",
            "9223372036854775807", "-9223372036854775808", "9223372036854775808",
            "007", "-0", "+1", " 1", "1.0"]
    for i, v in enumerate(vals):
        raw.value("HSET", "h", "f%d" % i, v)
    for i, v in enumerate(vals):
        assert raw.raw("HGET", "h", "f%d" % i) == bulk(v)
        assert raw.raw("HSTRLEN", "h", "f%d" % i) == integer(len(v))


def test_binary_fields_and_values(raw, r):
    pairs = [(b"", b"empty field"), (b"empty value", b""), (b"nul\x00f", b"nul\x00v"),
             (b"\r\n", b"\r\n"), (b"\xff\xfe", bytes(range(256)))]
    for f, v in pairs:
        assert raw.raw("HSET", "h", f, v) == integer(1)
    for f, v in pairs:
        assert raw.raw("HGET", "h", f) == bulk(v)
    assert r.hgetall("h") == dict(pairs)
    assert raw.raw("HGET", "h", b"nul") == NIL


# ---------------------------------------------------------------- HKEYS HVALS HGETALL

def test_listpack_order_is_insertion_order(raw, raw3):
    raw.value("HSET", "h", "z", "1", "a", "2", "m", "3")
    raw.value("HSET", "h", "a", "20")          # an update keeps its place
    raw.value("HDEL", "h", "z")
    raw.value("HSET", "h", "z", "10")          # a re-added field goes last
    assert raw.raw("HKEYS", "h") == flat("a", "m", "z")
    assert raw.raw("HVALS", "h") == flat("20", "3", "10")
    assert raw.raw("HGETALL", "h") == flat("a", "20", "m", "3", "z", "10")
    assert raw3.raw("HGETALL", "h") == (b"%3\r\n" + bulk("a") + bulk("20") + bulk("m") +
                                        bulk("3") + bulk("z") + bulk("10"))
    assert raw3.raw("HKEYS", "h") == flat("a", "m", "z")
    assert raw3.raw("HVALS", "h") == flat("20", "3", "10")


def test_getall_missing_key(raw, raw3):
    for cmd in ("HKEYS", "HVALS", "HGETALL"):
        assert raw.raw(cmd, "nokey") == b"*0\r\n"
    assert raw3.raw("HGETALL", "nokey") == b"%0\r\n"
    assert raw3.raw("HKEYS", "nokey") == b"*0\r\n"


def test_hashtable_getall(raw, raw3, r):
    # Hashtable order is the dict's (random SipHash key): compare as dicts.
    data = {("field:%d" % i).encode(): ("v%d" % i).encode() for i in range(600)}
    r.hset("h", mapping=data)
    assert encoding(raw, "h") == b"hashtable"
    assert r.hgetall("h") == data
    assert sorted(r.hkeys("h")) == sorted(data)
    assert sorted(r.hvals("h")) == sorted(data.values())
    m = raw3.value("HGETALL", "h")
    assert isinstance(m, Map) and dict(m) == data
    keys = r.hkeys("h")
    assert r.hvals("h") == [data[k] for k in keys]   # same order for both


# ---------------------------------------------------------------- HINCRBY

def test_hincrby(raw):
    assert raw.raw("HINCRBY", "h", "n", "5") == integer(5)
    assert raw.raw("HINCRBY", "h", "n", "-7") == integer(-2)
    assert raw.raw("HGET", "h", "n") == bulk("-2")
    assert raw.raw("HSET", "h", "s", "100") == integer(1)
    assert raw.raw("HINCRBY", "h", "s", "0") == integer(100)
    assert raw.raw("HINCRBY", "new", "f", "9223372036854775807") == integer(9223372036854775807)
    assert raw.raw("TYPE", "new") == b"+hash\r\n"


def test_hincrby_errors(raw):
    raw.value("HSET", "h", "s", "abc", "big", "9223372036854775807", "small",
              "-9223372036854775808", "neg0", "-0", "sp", " 1", "f", "1.5", "e", "")
    assert raw.raw("HINCRBY", "h", "n", "x") == NOT_INT
    assert raw.raw("HINCRBY", "h", "n", "1.5") == NOT_INT
    assert raw.raw("HINCRBY", "h", "n", "9223372036854775808") == NOT_INT
    for f in ("s", "neg0", "sp", "f", "e"):
        assert raw.raw("HINCRBY", "h", f, "1") == err("ERR hash value is not an integer")
    assert raw.raw("HINCRBY", "h", "big", "1") == err("ERR increment or decrement would overflow")
    assert raw.raw("HINCRBY", "h", "small", "-1") == err("ERR increment or decrement would overflow")
    assert raw.raw("HINCRBY", "h", "big", "-1") == integer(9223372036854775806)
    assert raw.raw("HINCRBY", "nokey", "f", "x") == NOT_INT
    assert raw.raw("EXISTS", "nokey") == integer(0)


# ---------------------------------------------------------------- HINCRBYFLOAT

@pytest.mark.parametrize("start,incr,expected", [
    (None, "1.5", "1.5"),
    ("1.5", "0.1", "1.6"),
    ("0.1", "0.2", "0.3"),
    ("13", "1.0", "14"),
    ("14", "-13", "1"),
    (None, "3.0e3", "3000"),
    (None, "-0.0", "0"),
    (None, ".5", "0.5"),
    (None, "0x10", "16"),
    (None, "1e-20", "0"),
    (None, "5e-18", "0"),
    (None, "-1.5", "-1.5"),
    (None, "123456789012345678901234567890", "123456789012345678899921813504"),
    (None, "3.14159265358979323846", "3.14159265358979324"),
    (None, "1.23456789012345678e-10", "0.00000000012345679"),
    ("5.0e0", "1", "6"),
    ("-0", "1", "1"),
    ("10", "-10", "0"),
    ("1e308", "1e308", "199999999999999999993371759311691291321120199694831134415594095989"
     "843469737676123744200253843777078640893494450108026446304269499187921167194841628860"
     "392837535918200039206381557326219209014213335878306791577877829121087126122536729803"
     "237260434173178506889763247582601711514636284849020905456510092687857156096"),
    (None, "1e-4940", "0"),
])
def test_hincrbyfloat_format(raw, start, incr, expected):
    if start is not None:
        raw.value("HSET", "h", "f", start)
    assert raw.raw("HINCRBYFLOAT", "h", "f", incr) == bulk(expected)
    assert raw.raw("HGET", "h", "f") == bulk(expected)


def test_hincrbyfloat_huge_result(raw):
    reply = raw.value("HINCRBYFLOAT", "h", "f", "1e4930")
    assert len(reply) == 4931 and reply.startswith(b"1000000000000000000026173784887")
    assert raw.raw("HSTRLEN", "h", "f") == integer(4931)
    assert encoding(raw, "h") == b"hashtable"   # the value outgrew the listpack


def test_hincrbyfloat_errors(raw):
    raw.value("HSET", "h", "s", "abc", "inf", "inf", "ninf", "-inf", "nan", "nan",
              "e", "", "sp", " 5", "huge", "1e5000")
    not_float = err("ERR value is not a valid float")
    for incr in ("x", "nan", "  1", "1 ", "1e-5000", "", "1.5.5"):
        assert raw.raw("HINCRBYFLOAT", "h", "n", incr) == not_float
    for incr in ("inf", "-inf", "+inf", "infinity"):
        assert raw.raw("HINCRBYFLOAT", "h", "n", incr) == err("ERR value is NaN or Infinity")
    for f in ("s", "nan", "e", "sp", "huge"):
        assert raw.raw("HINCRBYFLOAT", "h", f, "1") == err("ERR hash value is not a float")
    for f in ("inf", "ninf"):
        assert raw.raw("HINCRBYFLOAT", "h", f, "1") == \
            err("ERR increment would produce NaN or Infinity")
    assert raw.raw("HEXISTS", "h", "n") == integer(0)
    assert raw.raw("HINCRBYFLOAT", "nokey", "f", "x") == not_float
    assert raw.raw("EXISTS", "nokey") == integer(0)


def test_hincr_on_integer_listpack_values(raw):
    raw.value("HSET", "h", "a", "10", "b", "-3")
    assert raw.raw("HINCRBYFLOAT", "h", "a", "0.5") == bulk("10.5")
    assert raw.raw("HINCRBY", "h", "b", "3") == integer(0)
    assert raw.raw("HINCRBYFLOAT", "h", "b", "2") == bulk("2")
    assert raw.raw("HINCRBY", "h", "b", "1") == integer(3)


# ---------------------------------------------------------------- WRONGTYPE

@pytest.mark.parametrize("cmd", [
    ["HSET", "str", "a", "1"], ["HMSET", "str", "a", "1"], ["HSETNX", "str", "a", "1"],
    ["HGET", "str", "a"], ["HMGET", "str", "a"], ["HDEL", "str", "a"], ["HLEN", "str"],
    ["HSTRLEN", "str", "a"], ["HEXISTS", "str", "a"], ["HKEYS", "str"], ["HVALS", "str"],
    ["HGETALL", "str"], ["HINCRBY", "str", "a", "1"], ["HINCRBYFLOAT", "str", "a", "1"],
    ["HRANDFIELD", "str"], ["HRANDFIELD", "str", "0"], ["HRANDFIELD", "str", "-2", "WITHVALUES"],
    ["HSCAN", "str", "0"],
])
def test_wrongtype(raw, raw3, cmd):
    raw.value("SET", "str", "x")
    assert raw.raw(*cmd) == WRONGTYPE
    assert raw3.raw(*cmd) == WRONGTYPE
    assert raw.raw("GET", "str") == bulk("x")


def test_wrongtype_precedence(raw):
    raw.value("SET", "str", "x")
    # The increment is checked before the key's type, the cursor too.
    assert raw.raw("HINCRBY", "str", "f", "x") == NOT_INT
    assert raw.raw("HINCRBYFLOAT", "str", "f", "x") == err("ERR value is not a valid float")
    assert raw.raw("HSCAN", "str", "x") == err("ERR invalid cursor")
    assert raw.raw("HRANDFIELD", "str", "x") == NOT_INT


# ---------------------------------------------------------------- encodings

def test_encoding_entries_threshold(raw, r):
    r.hset("h", mapping={"f%d" % i: i for i in range(LP_ENTRIES)})
    assert encoding(raw, "h") == b"listpack"
    assert raw.raw("HSET", "h", "f0", "updated") == integer(0)
    assert encoding(raw, "h") == b"listpack"
    assert raw.raw("HSET", "h", "one-more", "x") == integer(1)
    assert encoding(raw, "h") == b"hashtable"
    assert raw.raw("HLEN", "h") == integer(LP_ENTRIES + 1)
    # One-way: deleting back under the limit keeps the hashtable.
    assert raw.raw("HDEL", "h", *["f%d" % i for i in range(500)]) == integer(500)
    assert encoding(raw, "h") == b"hashtable"
    assert r.hgetall("h") == dict([(b"f%d" % i, b"%d" % i) for i in range(500, LP_ENTRIES)] +
                                  [(b"one-more", b"x")])


def test_encoding_entries_threshold_in_one_command(raw, r):
    args = []
    for i in range(LP_ENTRIES + 1):
        args += ["f%d" % i, "v"]
    assert raw.raw("HSET", "h", *args) == integer(LP_ENTRIES + 1)
    assert encoding(raw, "h") == b"hashtable"
    assert raw.raw("HSETNX", "h2", "a", "1") == integer(1)
    for i in range(LP_ENTRIES - 1):
        raw.value("HSETNX", "h2", "f%d" % i, "v")
    assert encoding(raw, "h2") == b"listpack"
    assert raw.raw("HINCRBY", "h2", "last", "1") == integer(1)
    assert encoding(raw, "h2") == b"hashtable"


@pytest.mark.parametrize("cmd,converts", [
    (["HSET", "h", "a" * LP_VALUE, "b" * LP_VALUE], False),
    (["HSET", "h", "a" * (LP_VALUE + 1), "1"], True),
    (["HSET", "h", "x", "b" * (LP_VALUE + 1)], True),
    (["HSET", "h", "old", "b" * (LP_VALUE + 1)], True),     # an update converts too
    (["HMSET", "h", "x", "1", "y", "b" * (LP_VALUE + 1)], True),
    (["HSETNX", "h", "a" * (LP_VALUE + 1), "1"], True),
    (["HSETNX", "h", "old", "b" * (LP_VALUE + 1)], False),  # not set: no conversion
    (["HINCRBY", "h", "a" * (LP_VALUE + 1), "1"], True),
    (["HINCRBYFLOAT", "h", "a" * (LP_VALUE + 1), "1"], True),
    (["HINCRBYFLOAT", "h", "num", "1e100"], True),          # 101-byte result
    (["HINCRBYFLOAT", "h", "num", "1e50"], False),          # 51-byte result
])
def test_encoding_value_threshold(raw, cmd, converts):
    raw.value("HSET", "h", "old", "1")
    raw.value(*cmd)
    assert encoding(raw, "h") == (b"hashtable" if converts else b"listpack")


def test_new_key_with_long_value_is_hashtable(raw):
    raw.value("HSET", "h", "f", "v" * (LP_VALUE + 1))
    assert encoding(raw, "h") == b"hashtable"
    assert raw.raw("HGET", "h", "f") == bulk("v" * (LP_VALUE + 1))
    raw.value("HDEL", "h", "f")
    assert raw.raw("EXISTS", "h") == integer(0)


def test_hashtable_operations(raw, r):
    # Every command on the hashtable encoding, with values of varied sizes.
    data = {}
    for i in range(1000):
        data[b"k%d" % i] = b"x" * (i % 100)
    r.hset("h", mapping=data)
    assert encoding(raw, "h") == b"hashtable"
    assert raw.raw("HLEN", "h") == integer(1000)
    assert raw.raw("HGET", "h", "k99") == bulk("x" * 99)
    assert raw.raw("HSTRLEN", "h", "k42") == integer(42)
    assert raw.raw("HSET", "h", "k42", "short") == integer(0)
    assert raw.raw("HSET", "h", "k43", "y" * 43) == integer(0)   # same size, in place
    assert raw.raw("HGET", "h", "k42") == bulk("short")
    assert raw.raw("HGET", "h", "k43") == bulk("y" * 43)
    assert raw.raw("HSETNX", "h", "k1", "z") == integer(0)
    assert raw.raw("HINCRBY", "h", "k0", "7") == err("ERR hash value is not an integer")
    assert raw.raw("HINCRBY", "h", "num", "7") == integer(7)
    data[b"k42"] = b"short"
    data[b"k43"] = b"y" * 43
    data[b"num"] = b"7"
    assert raw.raw("HDEL", "h", *["k%d" % i for i in range(900)]) == integer(900)
    for i in range(900):
        del data[b"k%d" % i]
    assert r.hgetall("h") == data
    assert raw.raw("HDEL", "h", "num", *["k%d" % i for i in range(1000)]) == integer(101)
    assert raw.raw("EXISTS", "h") == integer(0)


# ---------------------------------------------------------------- HRANDFIELD

def test_hrandfield_missing(raw, raw3):
    assert raw.raw("HRANDFIELD", "nokey") == NIL
    assert raw3.raw("HRANDFIELD", "nokey") == NULL3
    assert raw.raw("HRANDFIELD", "nokey", "5") == b"*0\r\n"
    assert raw.raw("HRANDFIELD", "nokey", "-5", "WITHVALUES") == b"*0\r\n"
    assert raw3.raw("HRANDFIELD", "nokey", "5", "withvalues") == b"*0\r\n"


def test_hrandfield_errors(raw):
    raw.value("HSET", "h", "a", "1")
    assert raw.raw("HRANDFIELD", "h", "x") == NOT_INT
    assert raw.raw("HRANDFIELD", "nokey", "x") == NOT_INT
    assert raw.raw("HRANDFIELD", "h", "1", "foo") == SYNTAX
    assert raw.raw("HRANDFIELD", "h", "1", "withvalues", "x") == SYNTAX
    assert raw.raw("HRANDFIELD", "h", "-9223372036854775808") == err(
        "ERR value is out of range, value must between -9223372036854775807 and "
        "9223372036854775807")
    for n in ("-9223372036854775807", "9223372036854775807", "4611686018427387904",
              "-4611686018427387904"):
        assert raw.raw("HRANDFIELD", "h", n, "WITHVALUES") == err("ERR value is out of range")
    assert raw.raw("HRANDFIELD", "h", "4611686018427387903", "foo") == SYNTAX
    assert raw.raw("HRANDFIELD", "h", "0") == b"*0\r\n"
    assert raw.raw("HRANDFIELD", "h", "0", "WITHVALUES") == b"*0\r\n"


def test_hrandfield_whole_listpack_in_order(raw, raw3):
    # count >= size replies the whole hash in its order (insertion order).
    raw.value("HSET", "h", "c", "3", "a", "1", "b", "2")
    assert raw.raw("HRANDFIELD", "h", "3") == flat("c", "a", "b")
    assert raw.raw("HRANDFIELD", "h", "100") == flat("c", "a", "b")
    assert raw.raw("HRANDFIELD", "h", "100", "WITHVALUES") == flat("c", "3", "a", "1", "b", "2")
    assert raw3.raw("HRANDFIELD", "h", "4", "WITHVALUES") == array(
        flat("c", "3"), flat("a", "1"), flat("b", "2"))
    assert raw3.raw("HRANDFIELD", "h", "4") == flat("c", "a", "b")


@pytest.mark.parametrize("size", [5, 600])
def test_hrandfield_counts(raw, raw3, r, size):
    data = {b"f%d" % i: b"v%d" % i for i in range(size)}
    r.hset("h", mapping=data)
    one = raw.value("HRANDFIELD", "h")
    assert one in data
    for count in (1, 2, size - 1, size // 2, size // 3 + 1):
        got = raw.value("HRANDFIELD", "h", count)
        assert len(got) == count and len(set(got)) == count and set(got) <= set(data)
        got = raw.value("HRANDFIELD", "h", count, "WITHVALUES")
        assert len(got) == 2 * count
        pairs = list(zip(got[::2], got[1::2]))
        assert len(set(p[0] for p in pairs)) == count
        assert all(data[f] == v for f, v in pairs)
        got3 = raw3.value("HRANDFIELD", "h", count, "WITHVALUES")
        assert len(got3) == count and all(len(p) == 2 and data[p[0]] == p[1] for p in got3)
    whole = raw.value("HRANDFIELD", "h", size + 10)
    assert sorted(whole) == sorted(data)
    for count in (1, 3, size, 2 * size + 7):
        got = raw.value("HRANDFIELD", "h", -count)
        assert len(got) == count and set(got) <= set(data)
        got = raw.value("HRANDFIELD", "h", -count, "withvalues")
        assert len(got) == 2 * count
        assert all(data[f] == v for f, v in zip(got[::2], got[1::2]))
        got3 = raw3.value("HRANDFIELD", "h", -count, "WITHVALUES")
        assert len(got3) == count and all(data[p[0]] == p[1] for p in got3)


def test_hrandfield_negative_count_repeats(raw):
    raw.value("HSET", "h", "only", "1")
    assert raw.raw("HRANDFIELD", "h", "-3") == flat("only", "only", "only")
    assert raw.raw("HRANDFIELD", "h", "-2", "WITHVALUES") == flat("only", "1", "only", "1")
    assert raw.raw("HRANDFIELD", "h", "1") == flat("only")
    assert raw.raw("HRANDFIELD", "h") == bulk("only")


# ---------------------------------------------------------------- HSCAN

EMPTY_SCAN = b"*2\r\n$1\r\n0\r\n*0\r\n"


def test_hscan_listpack_returns_everything(raw, raw3):
    raw.value("HSET", "h", "a", "1", "b", "2", "c", "3")
    whole = array(bulk("0"), flat("a", "1", "b", "2", "c", "3"))
    assert raw.raw("HSCAN", "h", "0") == whole
    assert raw3.raw("HSCAN", "h", "0") == whole       # an array in RESP3 too
    # A listpack ignores the cursor and COUNT.
    for cursor in ("5", "-1", "", "+5", "18446744073709551615"):
        assert raw.raw("HSCAN", "h", cursor) == whole
    assert raw.raw("HSCAN", "h", "0", "COUNT", "1") == whole
    assert raw.raw("HSCAN", "h", "0", "MATCH", "a*") == array(bulk("0"), flat("a", "1"))
    assert raw.raw("HSCAN", "h", "0", "count", "1", "match", "[bc]") == \
        array(bulk("0"), flat("b", "2", "c", "3"))
    assert raw.raw("HSCAN", "h", "0", "MATCH", "zz*") == array(bulk("0"), b"*0\r\n")


def test_hscan_integer_fields_match(raw):
    raw.value("HSET", "h", "10", "a", "20", "b", "11", "c")
    assert raw.raw("HSCAN", "h", "0", "MATCH", "1*") == array(bulk("0"), flat("10", "a", "11", "c"))


def test_hscan_errors(raw):
    raw.value("HSET", "h", "a", "1")
    assert raw.raw("HSCAN", "h", "0", "MATCH") == SYNTAX
    assert raw.raw("HSCAN", "h", "0", "COUNT", "0") == SYNTAX
    assert raw.raw("HSCAN", "h", "0", "COUNT", "-1") == SYNTAX
    assert raw.raw("HSCAN", "h", "0", "COUNT", "x") == NOT_INT
    assert raw.raw("HSCAN", "h", "0", "foo", "bar") == SYNTAX
    assert raw.raw("HSCAN", "h", "0", "TYPE", "string") == SYNTAX
    assert raw.raw("HSCAN", "h", "0", "NOVALUES") == SYNTAX
    for cursor in ("x", " 1", "18446744073709551616", "1x", "0x10"):
        assert raw.raw("HSCAN", "h", cursor) == err("ERR invalid cursor")
    assert raw.raw("HSCAN", "nokey", "x") == err("ERR invalid cursor")
    assert raw.raw("HSCAN", "nokey", "5") == EMPTY_SCAN
    # A missing key answers before its options are looked at.
    assert raw.raw("HSCAN", "nokey", "0", "COUNT", "0") == EMPTY_SCAN


def hscan_all(raw, key, *opts):
    cursor, out, calls = b"0", [], 0
    while True:
        cursor, items = raw.value("HSCAN", key, cursor, *opts)
        out += items
        calls += 1
        if cursor == b"0":
            return out, calls


def test_hscan_hashtable_iterates(raw, r):
    data = {b"f%d" % i: b"v%d" % i for i in range(2000)}
    r.hset("h", mapping=data)
    assert encoding(raw, "h") == b"hashtable"
    items, calls = hscan_all(raw, "h")
    assert calls > 1
    got = dict(zip(items[::2], items[1::2]))
    assert got == data
    items, _ = hscan_all(raw, "h", "COUNT", "500", "MATCH", "f1*")
    got = dict(zip(items[::2], items[1::2]))
    assert got == {f: v for f, v in data.items() if f.startswith(b"f1")}


def test_hscan_hashtable_survives_changes(raw, r):
    # Fields present for the whole scan are returned at least once, even
    # while the table grows and shrinks between calls.
    r.hset("h", mapping={b"keep%d" % i: b"1" for i in range(700)})
    cursor, seen, step = b"0", set(), 0
    while True:
        cursor, items = raw.value("HSCAN", "h", cursor, "COUNT", "20")
        seen.update(items[::2])
        step += 1
        if step == 3:
            r.hset("h", mapping={b"tmp%d" % i: b"1" for i in range(3000)})
        if step == 8:
            r.hdel("h", *[b"tmp%d" % i for i in range(3000)])
        if cursor == b"0":
            break
    assert {b"keep%d" % i for i in range(700)} <= seen


# ---------------------------------------------------------------- keys over shards

def test_many_hashes_over_shards(raw, r):
    keys = ["hash:%d" % i for i in range(100)]
    for i, k in enumerate(keys):
        r.hset(k, mapping={"i": i, "name": k})
    for i, k in enumerate(keys):
        assert raw.raw("HMGET", k, "i", "name", "x") == array(bulk(str(i)), bulk(k), NIL)
        assert raw.raw("HINCRBY", k, "i", "1") == integer(i + 1)
    assert raw.raw("DBSIZE") == integer(100)


def test_new_hash_is_fresh(raw):
    # A created value carries the LRU clock (OBJECT IDLETIME starts near 0).
    raw.value("HSET", "h", "a", "1")
    raw.value("HINCRBY", "h2", "a", "1")
    assert raw.value("OBJECT", "IDLETIME", "h") <= 2
    assert raw.value("OBJECT", "IDLETIME", "h2") <= 2


def test_keyspace_hits_and_misses(raw):
    # Reads count keyspace hits/misses; HSET & co look the key up as writes.
    raw.value("HSET", "h", "a", "1")
    cases = [(["HGET", "h", "a"], 1, 0), (["HGET", "nokey", "a"], 0, 1),
             (["HMGET", "h", "a", "b"], 1, 0), (["HGETALL", "nokey"], 0, 1),
             (["HSET", "h", "b", "2"], 0, 0), (["HINCRBY", "h", "n", "1"], 0, 0),
             (["HDEL", "h", "zz"], 0, 0), (["HRANDFIELD", "h", "2"], 1, 0),
             (["HSCAN", "h", "0"], 1, 0), (["HEXISTS", "nokey", "a"], 0, 1)]
    for cmd, hits, misses in cases:
        raw.value("CONFIG", "RESETSTAT")
        raw.value(*cmd)
        stats = info_fields(raw, "stats")
        assert (stats["keyspace_hits"], stats["keyspace_misses"]) == (str(hits), str(misses)), cmd
