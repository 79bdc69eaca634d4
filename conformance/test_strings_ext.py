"""Strings beyond GET/SET/INCR: APPEND, GETDEL, GETEX, GETRANGE/SUBSTR,
SETRANGE, STRLEN, SETNX, SETEX, PSETEX, GETSET, INCRBYFLOAT and LCS.

Exact bytes and error texts of Redis 7.0.15, including its checking order
(which argument is validated before the key is looked up), RESP3 shapes,
and LCS between keys on different shards."""

import random
import time

import pytest

from helpers import NIL, NOT_INT, NULL3, OK, SYNTAX, arity_err, array, bulk, err, integer
from resp_client import RespClient

EMPTY = b"$0\r\n\r\n"
NOT_FLOAT = err("ERR value is not a valid float")
NAN_INF = err("ERR increment would produce NaN or Infinity")
TOO_BIG = err("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
OFFSET_RANGE = err("ERR offset is out of range")
LCS_TYPES = err("ERR The specified keys must contain string values")
LCS_BOTH = err("ERR If you want both the length and indexes, please just use IDX.")
LCS_MEM = err("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")


def invalid_expire(cmd):
    return err("ERR invalid expire time in '%s' command" % cmd)


def key_pairs(n=40):
    """Pairs of keys with different hash tags: on a sharded server many
    pairs have their two keys on different shards."""
    return [("a:{%d}" % i, "b:{%d}" % (i * 7 + 3)) for i in range(n)]


# ------------------------------------------------------------------ APPEND

def test_append_creates_and_extends(raw):
    assert raw.raw("APPEND", "k", "Hello") == integer(5)
    assert raw.raw("APPEND", "k", " World") == integer(11)
    assert raw.raw("GET", "k") == bulk("Hello World")
    assert raw.raw("APPEND", "k", "") == integer(11)
    assert raw.raw("GET", "k") == bulk("Hello World")


def test_append_empty_to_missing_creates_empty_key(raw):
    assert raw.raw("APPEND", "k", "") == integer(0)
    assert raw.raw("EXISTS", "k") == integer(1)
    assert raw.raw("GET", "k") == EMPTY


def test_append_binary(raw):
    data = bytes(range(256))
    assert raw.raw("APPEND", "k", data) == integer(256)
    assert raw.raw("APPEND", "k", b"\x00\r\n") == integer(259)
    assert raw.raw("GET", "k") == bulk(data + b"\x00\r\n")


def test_append_to_integer_value(raw):
    assert raw.raw("SET", "n", "12345") == OK
    assert raw.raw("APPEND", "n", "6") == integer(6)
    assert raw.raw("GET", "n") == bulk("123456")
    assert raw.raw("INCR", "n") == integer(123457)
    assert raw.raw("APPEND", "n", "x") == integer(7)
    assert raw.raw("INCR", "n") == NOT_INT


def test_append_keeps_ttl(raw):
    assert raw.raw("SET", "k", "v", "EX", "100") == OK
    assert raw.raw("APPEND", "k", "w") == integer(2)
    assert raw.raw("TTL", "k") == integer(100)


def test_append_many_times(raw):
    for i in range(200):
        assert raw.raw("APPEND", "k", "%03d" % i) == integer(3 * (i + 1))
    assert raw.raw("GET", "k") == bulk("".join("%03d" % i for i in range(200)))


# -------------------------------------------------------------- STRLEN

def test_strlen(raw):
    assert raw.raw("STRLEN", "nokey") == integer(0)
    assert raw.raw("SET", "k", "hello") == OK
    assert raw.raw("STRLEN", "k") == integer(5)
    assert raw.raw("SET", "k", "") == OK
    assert raw.raw("STRLEN", "k") == integer(0)
    assert raw.raw("SET", "n", "-12345") == OK
    assert raw.raw("STRLEN", "n") == integer(6)
    assert raw.raw("SET", "b", b"\x00" * 1000) == OK
    assert raw.raw("STRLEN", "b") == integer(1000)
    assert raw.raw("STRLEN") == arity_err("strlen")


# ------------------------------------------------------- GETRANGE / SUBSTR

GETRANGE_CASES = [
    ("0", "-1", "Hello World"),
    ("0", "4", "Hello"),
    ("-3", "-1", "rld"),
    ("-1", "-3", ""),
    ("5", "3", ""),
    ("-100", "2", "Hel"),
    ("2", "100", "llo World"),
    ("100", "200", ""),
    ("0", "-100", "H"),
    ("-100", "-200", ""),
    ("-100", "-100", "H"),
    ("10", "10", "d"),
    ("11", "11", ""),
    ("-9223372036854775808", "9223372036854775807", "Hello World"),
    ("9223372036854775807", "-9223372036854775808", ""),
]


@pytest.mark.parametrize("cmd", ["GETRANGE", "SUBSTR"])
@pytest.mark.parametrize("start,end,want", GETRANGE_CASES)
def test_getrange(raw, cmd, start, end, want):
    assert raw.raw("SET", "k", "Hello World") == OK
    assert raw.raw(cmd, "k", start, end) == bulk(want)


def test_getrange_missing_and_empty(raw):
    assert raw.raw("GETRANGE", "nokey", "0", "-1") == EMPTY
    assert raw.raw("SUBSTR", "nokey", "1", "2") == EMPTY
    assert raw.raw("SET", "e", "") == OK
    for start, end in [("0", "-1"), ("0", "0"), ("-1", "0"), ("5", "10")]:
        assert raw.raw("GETRANGE", "e", start, end) == EMPTY


def test_getrange_integer_value(raw):
    assert raw.raw("SET", "n", "12345") == OK
    assert raw.raw("GETRANGE", "n", "1", "2") == bulk("23")
    assert raw.raw("GETRANGE", "n", "-2", "-1") == bulk("45")


def test_getrange_bad_indexes_checked_before_the_key(raw):
    assert raw.raw("GETRANGE", "nokey", "a", "b") == NOT_INT
    assert raw.raw("SET", "k", "v") == OK
    assert raw.raw("GETRANGE", "k", "a", "0") == NOT_INT
    assert raw.raw("GETRANGE", "k", "0", "1.5") == NOT_INT
    assert raw.raw("GETRANGE", "k", "0", "99999999999999999999") == NOT_INT
    assert raw.raw("GETRANGE", "k", "0") == arity_err("getrange")
    assert raw.raw("SUBSTR", "k", "0", "1", "2") == arity_err("substr")


def test_getrange_binary(raw):
    data = bytes(range(256))
    assert raw.raw("SET", "k", data) == OK
    assert raw.raw("GETRANGE", "k", "10", "20") == bulk(data[10:21])
    assert raw.raw("GETRANGE", "k", "-16", "-1") == bulk(data[-16:])


# ------------------------------------------------------------ SETRANGE

def test_setrange_overwrite_and_pad(raw):
    assert raw.raw("SET", "k", "Hello World") == OK
    assert raw.raw("SETRANGE", "k", "6", "Redis") == integer(11)
    assert raw.raw("GET", "k") == bulk("Hello Redis")
    assert raw.raw("SETRANGE", "k", "0", "J") == integer(11)
    assert raw.raw("GET", "k") == bulk("Jello Redis")
    assert raw.raw("SETRANGE", "k", "15", "!") == integer(16)
    assert raw.raw("GET", "k") == bulk(b"Jello Redis\x00\x00\x00\x00!")


def test_setrange_missing_key_zero_padded(raw):
    assert raw.raw("SETRANGE", "k", "3", "ab") == integer(5)
    assert raw.raw("GET", "k") == bulk(b"\x00\x00\x00ab")
    assert raw.raw("SETRANGE", "k2", "0", "xyz") == integer(3)
    assert raw.raw("GET", "k2") == bulk("xyz")


def test_setrange_empty_value(raw):
    # Nothing to write: a missing key is not created and no limit applies.
    assert raw.raw("SETRANGE", "k", "5", "") == integer(0)
    assert raw.raw("EXISTS", "k") == integer(0)
    assert raw.raw("SETRANGE", "k", "536870912", "") == integer(0)
    assert raw.raw("SETRANGE", "k", "9223372036854775807", "") == integer(0)
    assert raw.raw("EXISTS", "k") == integer(0)
    assert raw.raw("SET", "k", "Hello") == OK
    assert raw.raw("SETRANGE", "k", "100", "") == integer(5)
    assert raw.raw("SETRANGE", "k", "536870912", "") == integer(5)
    assert raw.raw("GET", "k") == bulk("Hello")


def test_setrange_errors(raw):
    assert raw.raw("SETRANGE", "k", "-1", "x") == OFFSET_RANGE
    assert raw.raw("SETRANGE", "k", "-1", "") == OFFSET_RANGE
    assert raw.raw("SETRANGE", "k", "a", "x") == NOT_INT
    assert raw.raw("SETRANGE", "k", "1.0", "x") == NOT_INT
    assert raw.raw("SETRANGE", "k", "536870912", "x") == TOO_BIG
    assert raw.raw("SETRANGE", "k", "536870911", "xx") == TOO_BIG
    assert raw.raw("SETRANGE", "k", "9223372036854775807", "x") == TOO_BIG
    assert raw.raw("EXISTS", "k") == integer(0)
    assert raw.raw("SET", "k", "v") == OK
    assert raw.raw("SETRANGE", "k", "536870911", "xx") == TOO_BIG
    assert raw.raw("SETRANGE", "k", "9223372036854775807", "x") == TOO_BIG
    assert raw.raw("GET", "k") == bulk("v")
    assert raw.raw("SETRANGE", "k", "0") == arity_err("setrange")


def test_setrange_integer_value_and_ttl(raw):
    assert raw.raw("SET", "n", "12345", "EX", "100") == OK
    assert raw.raw("SETRANGE", "n", "1", "x") == integer(5)
    assert raw.raw("GET", "n") == bulk("1x345")
    assert raw.raw("TTL", "n") == integer(100)
    assert raw.raw("SETRANGE", "n", "1", "2") == integer(5)
    assert raw.raw("INCR", "n") == integer(12346)


def test_setrange_binary(raw):
    assert raw.raw("SETRANGE", "k", "2", b"\x00\xff\r\n") == integer(6)
    assert raw.raw("GET", "k") == bulk(b"\x00\x00\x00\xff\r\n")


def test_limits_follow_proto_max_bulk_len(server_factory):
    srv = server_factory("--proto-max-bulk-len", "1mb")
    mb = 1024 * 1024
    with RespClient(srv.host, srv.port) as c:
        assert c.raw("SETRANGE", "k", str(mb - 1), "x") == integer(mb)
        assert c.raw("SETRANGE", "k", str(mb), "x") == TOO_BIG
        assert c.raw("SETRANGE", "k", str(mb - 1), "xy") == TOO_BIG
        assert c.raw("APPEND", "k", "y") == TOO_BIG
        assert c.raw("STRLEN", "k") == integer(mb)
        assert c.raw("SETRANGE", "j", str(mb - 10), "0123456789") == integer(mb)
        assert c.raw("SETRANGE", "j2", str(mb - 10), "0123456789a") == TOO_BIG
        assert c.raw("EXISTS", "j2") == integer(0)
        assert c.raw("SET", "s", "abc") == OK
        assert c.raw("APPEND", "s", b"x" * (mb - 3)) == integer(mb)
        assert c.raw("APPEND", "s", "") == integer(mb)
        assert c.raw("APPEND", "s", "z") == TOO_BIG
        # LCS's table (alen+1)*(blen+1)*4 bytes is bounded by the same limit.
        assert c.raw("SET", "a", b"x" * 511) == OK
        assert c.raw("SET", "b", b"x" * 511) == OK
        assert c.raw("LCS", "a", "b", "LEN") == integer(511)
        assert c.raw("SET", "b", b"x" * 512) == OK
        assert c.raw("LCS", "a", "b", "LEN") == LCS_MEM
        assert c.raw("LCS", "a", "b") == LCS_MEM
        assert c.raw("LCS", "a", "b", "IDX") == LCS_MEM


# --------------------------------------------------------------- GETDEL

def test_getdel(raw, raw3):
    assert raw.raw("GETDEL", "k") == NIL
    assert raw3.raw("GETDEL", "k") == NULL3
    assert raw.raw("SET", "k", "v", "EX", "100") == OK
    assert raw.raw("GETDEL", "k") == bulk("v")
    assert raw.raw("EXISTS", "k") == integer(0)
    assert raw.raw("GETDEL", "k") == NIL
    assert raw.raw("SET", "n", "42") == OK
    assert raw3.raw("GETDEL", "n") == bulk("42")
    assert raw.raw("GETDEL") == arity_err("getdel")
    assert raw.raw("GETDEL", "a", "b") == arity_err("getdel")


# ---------------------------------------------------------------- GETEX

def test_getex_no_options_keeps_ttl(raw):
    assert raw.raw("SET", "k", "v", "EX", "100") == OK
    assert raw.raw("GETEX", "k") == bulk("v")
    assert raw.raw("TTL", "k") == integer(100)
    assert raw.raw("SET", "p", "v") == OK
    assert raw.raw("GETEX", "p") == bulk("v")
    assert raw.raw("TTL", "p") == integer(-1)


def test_getex_missing(raw, raw3):
    assert raw.raw("GETEX", "k") == NIL
    assert raw3.raw("GETEX", "k") == NULL3
    assert raw.raw("GETEX", "k", "EX", "100") == NIL
    # The time is only checked once the key is found.
    assert raw.raw("GETEX", "k", "EX", "abc") == NIL
    assert raw.raw("GETEX", "k", "EX", "0") == NIL
    assert raw.raw("EXISTS", "k") == integer(0)


def test_getex_ex_px(raw):
    assert raw.raw("SET", "k", "v") == OK
    assert raw.raw("GETEX", "k", "EX", "100") == bulk("v")
    assert raw.raw("TTL", "k") == integer(100)
    assert raw.raw("GETEX", "k", "px", "50000") == bulk("v")
    assert 49000 <= raw.value("PTTL", "k") <= 50000
    assert raw.raw("GETEX", "k", "ex", "100", "EX", "200") == bulk("v")
    assert raw.raw("TTL", "k") == integer(200)


def test_getex_exat_pxat(raw):
    assert raw.raw("SET", "k", "v") == OK
    at = int(time.time()) + 100
    assert raw.raw("GETEX", "k", "EXAT", str(at)) == bulk("v")
    assert 98 <= raw.value("TTL", "k") <= 100
    at = int(time.time() * 1000) + 100000
    assert raw.raw("GETEX", "k", "PXAT", str(at)) == bulk("v")
    assert 98000 <= raw.value("PTTL", "k") <= 100000
    assert raw.raw("GETEX", "k", "PXAT", "9223372036854775807") == bulk("v")
    assert raw.raw("GETEX", "k", "EXAT", "99999999999") == bulk("v")
    left = 99999999999 - int(time.time())
    assert left - 2 <= raw.value("TTL", "k") <= left + 1


def test_getex_past_absolute_time_deletes(raw):
    assert raw.raw("SET", "k", "v") == OK
    assert raw.raw("GETEX", "k", "EXAT", "1") == bulk("v")
    assert raw.raw("EXISTS", "k") == integer(0)
    assert raw.raw("SET", "k", "w") == OK
    assert raw.raw("GETEX", "k", "PXAT", str(int(time.time() * 1000) - 1000)) == bulk("w")
    assert raw.raw("GET", "k") == NIL


def test_getex_persist(raw):
    assert raw.raw("SET", "k", "v", "EX", "100") == OK
    assert raw.raw("GETEX", "k", "PERSIST") == bulk("v")
    assert raw.raw("TTL", "k") == integer(-1)
    assert raw.raw("GETEX", "k", "persist", "PERSIST") == bulk("v")
    assert raw.raw("TTL", "k") == integer(-1)


GETEX_SYNTAX = [
    ("foo",), ("EX",), ("PX",), ("EXAT",), ("PXAT",),
    ("EX", "100", "PX", "100"), ("EX", "100", "EXAT", "100"), ("PX", "1", "PXAT", "1"),
    ("EX", "100", "PERSIST"), ("PERSIST", "EX", "100"), ("PERSIST", "PXAT", "100"),
    ("KEEPTTL",), ("NX",), ("XX",), ("GET",), ("EX", "100", "foo"),
]


@pytest.mark.parametrize("opts", GETEX_SYNTAX, ids=[" ".join(o) for o in GETEX_SYNTAX])
def test_getex_syntax_errors(raw, opts):
    # Checked before the key: a missing key gets the error too.
    assert raw.raw("GETEX", "nokey", *opts) == SYNTAX
    assert raw.raw("SET", "k", "v", "EX", "100") == OK
    assert raw.raw("GETEX", "k", *opts) == SYNTAX
    assert raw.raw("TTL", "k") == integer(100)


def test_getex_options_read_as_c_strings(raw):
    assert raw.raw("SET", "k", "v", "EX", "100") == OK
    assert raw.raw("GETEX", "k", b"persist\x00junk") == bulk("v")
    assert raw.raw("TTL", "k") == integer(-1)
    assert raw.raw("GETEX", "k", b"ex\x00", "50") == bulk("v")
    assert raw.raw("TTL", "k") == integer(50)


@pytest.mark.parametrize("opts", [
    ("EX", "0"), ("EX", "-1"), ("PX", "0"), ("PX", "-100"), ("EXAT", "0"), ("PXAT", "-1"),
    ("EX", "9223372036854775807"), ("EXAT", "9223372036854775807"),
    ("PX", "9223372036854775807"), ("EX", "9223372036854776"),
])
def test_getex_invalid_expire_time(raw, opts):
    assert raw.raw("SET", "k", "v") == OK
    assert raw.raw("GETEX", "k", *opts) == invalid_expire("getex")
    assert raw.raw("TTL", "k") == integer(-1)


@pytest.mark.parametrize("value", ["abc", "1.5", "", " 1", "99999999999999999999"])
def test_getex_expire_not_an_integer(raw, value):
    assert raw.raw("SET", "k", "v") == OK
    assert raw.raw("GETEX", "k", "EX", value) == NOT_INT
    assert raw.raw("GET", "k") == bulk("v")


# -------------------------------------------------------------- SETNX

def test_setnx(raw):
    assert raw.raw("SETNX", "k", "v") == integer(1)
    assert raw.raw("SETNX", "k", "w") == integer(0)
    assert raw.raw("GET", "k") == bulk("v")
    assert raw.raw("SETNX", "e", "") == integer(1)
    assert raw.raw("GET", "e") == EMPTY
    assert raw.raw("SETNX", "k") == arity_err("setnx")


def test_setnx_after_expiry(raw):
    assert raw.raw("SET", "k", "v", "PX", "20") == OK
    time.sleep(0.05)
    assert raw.raw("SETNX", "k", "w") == integer(1)
    assert raw.raw("GET", "k") == bulk("w")
    assert raw.raw("TTL", "k") == integer(-1)


def test_setnx_keeps_existing_ttl(raw):
    assert raw.raw("SET", "k", "v", "EX", "100") == OK
    assert raw.raw("SETNX", "k", "w") == integer(0)
    assert raw.raw("TTL", "k") == integer(100)


# ------------------------------------------------------- SETEX / PSETEX

def test_setex(raw):
    assert raw.raw("SETEX", "k", "100", "v") == OK
    assert raw.raw("GET", "k") == bulk("v")
    assert raw.raw("TTL", "k") == integer(100)
    assert raw.raw("SETEX", "k", "200", "w") == OK
    assert raw.raw("TTL", "k") == integer(200)
    assert raw.raw("GET", "k") == bulk("w")


def test_psetex(raw):
    assert raw.raw("PSETEX", "k", "100000", "v") == OK
    assert raw.raw("GET", "k") == bulk("v")
    assert 99000 <= raw.value("PTTL", "k") <= 100000
    assert raw.raw("PSETEX", "k", "9223372036854775", "w") == OK
    assert raw.raw("GET", "k") == bulk("w")


def test_psetex_expires(raw):
    assert raw.raw("PSETEX", "k", "20", "v") == OK
    time.sleep(0.05)
    assert raw.raw("GET", "k") == NIL


@pytest.mark.parametrize("cmd", ["SETEX", "PSETEX"])
@pytest.mark.parametrize("t", ["0", "-5", "9223372036854775807"])
def test_setex_invalid_expire_time(raw, cmd, t):
    assert raw.raw("SET", "k", "old") == OK
    assert raw.raw(cmd, "k", t, "v") == invalid_expire(cmd.lower())
    assert raw.raw("GET", "k") == bulk("old")


@pytest.mark.parametrize("cmd", ["SETEX", "PSETEX"])
@pytest.mark.parametrize("t", ["abc", "1.5", "", "99999999999999999999"])
def test_setex_not_an_integer(raw, cmd, t):
    assert raw.raw(cmd, "k", t, "v") == NOT_INT
    assert raw.raw("EXISTS", "k") == integer(0)


def test_setex_arity(raw):
    assert raw.raw("SETEX", "k", "10") == arity_err("setex")
    assert raw.raw("PSETEX", "k", "10", "v", "x") == arity_err("psetex")


# --------------------------------------------------------------- GETSET

def test_getset(raw, raw3):
    assert raw.raw("GETSET", "k", "a") == NIL
    assert raw3.raw("GETSET", "k2", "a") == NULL3
    assert raw.raw("GETSET", "k", "b") == bulk("a")
    assert raw.raw("GET", "k") == bulk("b")
    assert raw.raw("SET", "n", "10") == OK
    assert raw.raw("GETSET", "n", "11") == bulk("10")
    assert raw.raw("INCR", "n") == integer(12)


def test_getset_drops_ttl(raw):
    assert raw.raw("SET", "k", "v", "EX", "100") == OK
    assert raw.raw("GETSET", "k", "w") == bulk("v")
    assert raw.raw("TTL", "k") == integer(-1)


def test_getset_binary(raw):
    assert raw.raw("GETSET", "k", b"\x00\xff") == NIL
    assert raw.raw("GETSET", "k", b"") == bulk(b"\x00\xff")
    assert raw.raw("GET", "k") == EMPTY


# --------------------------------------------------------- INCRBYFLOAT

def test_incrbyfloat_sequence(raw):
    # Each step re-reads the 17-decimal text, so rounding accumulates.
    want = ["0.1", "0.2", "0.3", "100000.29999999999999716", "100000.39999999999999858",
            "0.39999999999999858", "-0.00000000000000142", "-0.00000000000000142"]
    incrs = ["0.1", "0.1", "0.1", "1e5", "0.1", "-100000", "-0.4", "-1e-30"]
    for incr, w in zip(incrs, want):
        assert raw.raw("INCRBYFLOAT", "k", incr) == bulk(w)
    assert raw.raw("GET", "k") == bulk("-0.00000000000000142")


INCRBYFLOAT_CASES = [
    (None, "3", "3"),
    (None, "-0", "0"),
    (None, "-0.0", "0"),
    (None, "5.0e3", "5000"),
    (None, "0x10", "16"),
    (None, "+1", "1"),
    (None, ".5", "0.5"),
    (None, "5.", "5"),
    (None, "1.5e-300", "0"),
    (None, "-1e-30", "0"),
    (None, "3.0000000000000000001", "3"),
    (None, "1e17", "100000000000000000"),
    (None, "123456789012345678901234567890", "123456789012345678899921813504"),
    (None, "1e300", "1000000000000000000008997324079559193870523944273290747938260082321"
                     "265646596180935755849152083750497190350372508614274835903592556184672"
                     "983913096260520748646287327135641843653294084255107606016789726652932"
                     "370030551382947620994540294772781889620606179267611627097410650567187"
                     "386105690089424915104006144"),
    ("10", "1.5", "11.5"),
    ("10.5", "-10.5", "0"),
    ("10", "-11", "-1"),
    ("1e17", "1", "100000000000000001"),
    ("5", "-0.25", "4.75"),
    ("3.0e3", "1.0e3", "4000"),
    ("-1.5", "1.5", "0"),
    ("0.1", "0.2", "0.3"),
    ("1.1", "2.2", "3.3"),
    ("9223372036854775807", "1", "9223372036854775808"),
    ("-9223372036854775808", "-1", "-9223372036854775809"),
]


@pytest.mark.parametrize("start,incr,want", INCRBYFLOAT_CASES)
def test_incrbyfloat_values(raw, start, incr, want):
    if start is not None:
        assert raw.raw("SET", "k", start) == OK
    assert raw.raw("INCRBYFLOAT", "k", incr) == bulk(want)
    assert raw.raw("GET", "k") == bulk(want)


def test_incrbyfloat_huge_values(raw):
    big = raw.value("INCRBYFLOAT", "k", "1e4000")
    assert len(big) == 4000 and big.startswith(b"99999999999999999999654638730996")
    assert raw.raw("GET", "k") == bulk(big)
    top = raw.value("INCRBYFLOAT", "h", "1.18e4932")
    assert len(top) == 4933 and top.startswith(b"11800000000000000000")
    assert raw.raw("INCRBYFLOAT", "h", "1.18e4932") == NAN_INF
    low = raw.value("INCRBYFLOAT", "l", "-1.18e4932")
    assert len(low) == 4934 and low.startswith(b"-11800000000000000000")


@pytest.mark.parametrize("incr", [
    "abc", "nan", "NaN", "-nan", "", " 1", "1 ", "1\x00abc", b"1\x00", "1e5000", "-1e5000",
    "1e-5000", "1.5.5", "--1", "1e", "0x",
])
def test_incrbyfloat_invalid_increment(raw, incr):
    assert raw.raw("INCRBYFLOAT", "k", incr) == NOT_FLOAT
    assert raw.raw("SET", "j", "1") == OK
    assert raw.raw("INCRBYFLOAT", "j", incr) == NOT_FLOAT
    assert raw.raw("GET", "j") == bulk("1")
    assert raw.raw("EXISTS", "k") == integer(0)


@pytest.mark.parametrize("value", [
    "abc", "", " 1", "1 ", b"1.5\x00", "nan", "1e5000", "1..2",
])
def test_incrbyfloat_invalid_stored_value(raw, value):
    assert raw.raw("SET", "k", value) == OK
    assert raw.raw("INCRBYFLOAT", "k", "1") == NOT_FLOAT
    assert raw.raw("GET", "k") == bulk(value)


@pytest.mark.parametrize("start,incr", [
    (None, "inf"), (None, "-inf"), (None, "infinity"), (None, "+inf"), ("inf", "1"),
    ("inf", "-inf"), ("-inf", "0"), ("1e4932", "1e4932"), ("-1e4932", "-1e4932"),
])
def test_incrbyfloat_nan_or_infinity(raw, start, incr):
    if start is not None:
        assert raw.raw("SET", "k", start) == OK
    assert raw.raw("INCRBYFLOAT", "k", incr) == NAN_INF
    if start is None:
        assert raw.raw("EXISTS", "k") == integer(0)
    else:
        assert raw.raw("GET", "k") == bulk(start)


def test_incrbyfloat_input_length_limit(raw):
    # Redis reads at most 5119 characters as a float.
    assert raw.raw("INCRBYFLOAT", "k", b"1." + b"0" * 5117) == bulk("1")
    assert raw.raw("INCRBYFLOAT", "k", b"1." + b"0" * 5118) == NOT_FLOAT
    assert raw.raw("SET", "j", b"1." + b"0" * 5118) == OK
    assert raw.raw("INCRBYFLOAT", "j", "1") == NOT_FLOAT
    assert raw.raw("SET", "j", b"1." + b"0" * 5117) == OK
    assert raw.raw("INCRBYFLOAT", "j", "1") == bulk("2")


def test_incrbyfloat_keeps_ttl(raw):
    assert raw.raw("SET", "k", "10", "EX", "100") == OK
    assert raw.raw("INCRBYFLOAT", "k", "1.5") == bulk("11.5")
    assert raw.raw("TTL", "k") == integer(100)


def test_incrbyfloat_result_works_with_incr(raw):
    assert raw.raw("INCRBYFLOAT", "k", "2.5") == bulk("2.5")
    assert raw.raw("INCRBYFLOAT", "k", "0.5") == bulk("3")
    assert raw.raw("INCR", "k") == integer(4)
    assert raw.raw("INCRBYFLOAT", "k", "1") == bulk("5")
    assert raw.raw("APPEND", "k", "0") == integer(2)
    assert raw.raw("INCRBYFLOAT", "k", "0.5") == bulk("50.5")


def test_incrbyfloat_resp3_is_a_bulk(raw3):
    assert raw3.raw("INCRBYFLOAT", "k", "1.5") == bulk("1.5")
    assert raw3.raw("INCRBYFLOAT", "k", "abc") == NOT_FLOAT


def test_incrbyfloat_redis_py(r):
    assert r.incrbyfloat("k", 1.5) == 1.5
    assert r.incrbyfloat("k", -0.25) == 1.25
    assert r.get("k") == b"1.25"


def test_incrbyfloat_arity(raw):
    assert raw.raw("INCRBYFLOAT", "k") == arity_err("incrbyfloat")
    assert raw.raw("INCRBYFLOAT", "k", "1", "2") == arity_err("incrbyfloat")


# ------------------------------------------------------------------ LCS

def lcs_model(a, b, minlen=0, withlen=False):
    """Redis's LCS: the DP table, walked back from the end; on ties the
    walk drops a byte of the second string. Returns (lcs, ranges, len)."""
    la, lb = len(a), len(b)
    t = [[0] * (lb + 1) for _ in range(la + 1)]
    for i in range(1, la + 1):
        for j in range(1, lb + 1):
            if a[i - 1] == b[j - 1]:
                t[i][j] = t[i - 1][j - 1] + 1
            else:
                t[i][j] = max(t[i - 1][j], t[i][j - 1])
    i, j, out, ranges, cur = la, lb, [], [], None
    while i > 0 and j > 0:
        emit = False
        if a[i - 1] == b[j - 1]:
            out.append(a[i - 1])
            if cur is None:
                cur = [i - 1, i - 1, j - 1, j - 1]
            else:
                cur[0] -= 1
                cur[2] -= 1
            emit = cur[0] == 0 or cur[2] == 0
            i -= 1
            j -= 1
        else:
            if t[i - 1][j] > t[i][j - 1]:
                i -= 1
            else:
                j -= 1
            emit = cur is not None
        if emit:
            mlen = cur[1] - cur[0] + 1
            if minlen == 0 or mlen >= minlen:
                ranges.append(cur)
            cur = None
    return bytes(reversed(out)), ranges, t[la][lb]


def lcs_idx_reply(ranges, total, withlen, proto=2):
    items = []
    for a0, a1, b0, b1 in ranges:
        parts = [array(integer(a0), integer(a1)), array(integer(b0), integer(b1))]
        if withlen:
            parts.append(integer(a1 - a0 + 1))
        items.append(array(*parts))
    head = b"*4\r\n" if proto == 2 else b"%2\r\n"
    return head + bulk("matches") + array(*items) + bulk("len") + integer(total)


def test_lcs_documented_example(raw, raw3):
    assert raw.raw("MSET", "key1", "ohmytext", "key2", "mynewtext") == OK
    assert raw.raw("LCS", "key1", "key2") == bulk("mytext")
    assert raw.raw("LCS", "key1", "key2", "LEN") == integer(6)
    want = (b"*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n"
            b"*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n")
    assert raw.raw("LCS", "key1", "key2", "IDX") == want
    assert raw3.raw("LCS", "key1", "key2", "IDX") == b"%2" + want[2:]
    assert raw.raw("LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN") == (
        b"*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n"
        b"$3\r\nlen\r\n:6\r\n")
    assert raw3.raw("LCS", "key1", "key2", "idx", "withmatchlen") == (
        b"%2\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n"
        b"*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:6\r\n")


def test_lcs_missing_keys_are_empty(raw, raw3):
    assert raw.raw("LCS", "a", "b") == EMPTY
    assert raw.raw("LCS", "a", "b", "LEN") == integer(0)
    assert raw.raw("LCS", "a", "b", "IDX") == b"*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n"
    assert raw3.raw("LCS", "a", "b", "IDX") == b"%2\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n"
    assert raw.raw("SET", "a", "hello") == OK
    assert raw.raw("LCS", "a", "nokey") == EMPTY
    assert raw.raw("LCS", "nokey", "a", "LEN") == integer(0)
    assert raw.raw("LCS", "a", "a") == bulk("hello")


def test_lcs_options(raw):
    assert raw.raw("MSET", "x", "ABCBDAB", "y", "BDCABA") == OK
    assert raw.raw("LCS", "x", "y") == bulk("BDAB")
    assert raw.raw("LCS", "y", "x") == bulk("BCBA")
    assert raw.raw("LCS", "x", "y", "LEN", "LEN") == integer(4)
    assert raw.raw("LCS", "x", "y", "WITHMATCHLEN") == bulk("BDAB")
    assert raw.raw("LCS", "x", "y", "WITHMATCHLEN", "LEN") == integer(4)
    assert raw.raw("LCS", "x", "y", "MINMATCHLEN", "-5", "IDX") == \
        raw.raw("LCS", "x", "y", "IDX")
    assert raw.raw("LCS", "x", "y", "minmatchlen", "2", "minmatchlen", "3", "idx") == \
        lcs_idx_reply([], 4, False)
    assert raw.raw("LCS", "x", "y", "IDX", "WITHMATCHLEN") == \
        lcs_idx_reply([[5, 6, 3, 4], [3, 4, 0, 1]], 4, True)
    assert raw.raw("LCS", "x", "y", b"len\x00junk") == integer(4)


def test_lcs_errors(raw):
    assert raw.raw("MSET", "a", "abc", "b", "abd") == OK
    assert raw.raw("LCS", "a", "b", "LEN", "IDX") == LCS_BOTH
    assert raw.raw("LCS", "a", "b", "IDX", "LEN") == LCS_BOTH
    assert raw.raw("LCS", "a", "b", "foo") == SYNTAX
    assert raw.raw("LCS", "a", "b", "MINMATCHLEN") == SYNTAX
    assert raw.raw("LCS", "a", "b", "MINMATCHLEN", "abc") == NOT_INT
    assert raw.raw("LCS", "a", "b", "MINMATCHLEN", "1.5", "IDX") == NOT_INT
    assert raw.raw("LCS", "a", "b", "IDX", "foo", "LEN") == SYNTAX
    assert raw.raw("LCS", "nokey1", "nokey2", "foo") == SYNTAX
    assert raw.raw("LCS", "a") == arity_err("lcs")


def test_lcs_binary_and_integers(raw):
    assert raw.raw("MSET", "n", "1234", "m", "2345") == OK
    assert raw.raw("LCS", "n", "m") == bulk("234")
    a = b"\x00\x01\xff\r\n\x00"
    b = b"\xff\x00\r\x00"
    assert raw.raw("MSET", "a", a, "b", b) == OK
    want, _, n = lcs_model(a, b)
    assert raw.raw("LCS", "a", "b") == bulk(want)
    assert raw.raw("LCS", "a", "b", "LEN") == integer(n)


def test_lcs_random_against_model(raw):
    rnd = random.Random(7)
    for _ in range(60):
        a = bytes(rnd.choice(b"ACGT") for _ in range(rnd.randint(0, 40)))
        b = bytes(rnd.choice(b"ACGT") for _ in range(rnd.randint(0, 40)))
        minlen = rnd.choice([0, 0, 1, 2, 3])
        withlen = rnd.choice([False, True])
        assert raw.raw("MSET", "a", a, "b", b) == OK
        lcs, ranges, total = lcs_model(a, b, minlen, withlen)
        assert raw.raw("LCS", "a", "b") == bulk(lcs)
        assert raw.raw("LCS", "a", "b", "LEN") == integer(total)
        opts = ["IDX", "MINMATCHLEN", str(minlen)] + (["WITHMATCHLEN"] if withlen else [])
        assert raw.raw("LCS", "a", "b", *opts) == lcs_idx_reply(ranges, total, withlen)


def test_lcs_keys_on_different_shards(raw, raw3):
    pairs = key_pairs()
    for i, (ka, kb) in enumerate(pairs):
        if i % 3 != 2:
            assert raw.raw("SET", ka, "ohmytext") == OK
        if i % 3 != 1:
            assert raw.raw("SET", kb, "mynewtext") == OK
    for i, (ka, kb) in enumerate(pairs):
        if i % 3 == 0:
            assert raw.raw("LCS", ka, kb) == bulk("mytext")
            assert raw.raw("LCS", kb, ka) == bulk("mytext")
            assert raw.raw("LCS", ka, kb, "LEN") == integer(6)
            assert raw3.raw("LCS", ka, kb, "IDX", "WITHMATCHLEN") == lcs_idx_reply(
                [[4, 7, 5, 8], [2, 3, 0, 1]], 6, True, proto=3)
            assert raw.raw("LCS", ka, kb, "IDX", "LEN") == LCS_BOTH
            assert raw.raw("LCS", ka, kb, "MINMATCHLEN", "x") == NOT_INT
        else:
            assert raw.raw("LCS", ka, kb) == EMPTY
            assert raw.raw("LCS", ka, kb, "IDX") == lcs_idx_reply([], 0, False)


def test_lcs_random_pairs_across_shards(raw):
    rnd = random.Random(11)
    for ka, kb in key_pairs(25):
        a = bytes(rnd.choice(b"xyz") for _ in range(rnd.randint(0, 30)))
        b = bytes(rnd.choice(b"xyz") for _ in range(rnd.randint(0, 30)))
        assert raw.raw("SET", ka, a) == OK
        assert raw.raw("SET", kb, b) == OK
        lcs, ranges, total = lcs_model(a, b, 2, True)
        assert raw.raw("LCS", ka, kb) == bulk(lcs)
        assert raw.raw("LCS", ka, kb, "IDX", "MINMATCHLEN", "2", "WITHMATCHLEN") == \
            lcs_idx_reply(ranges, total, True)


def test_lcs_redis_py(r):
    r.mset({"k1": "ohmytext", "k2": "mynewtext"})
    assert r.execute_command("LCS", "k1", "k2") == b"mytext"
    assert r.execute_command("LCS", "k1", "k2", "LEN") == 6
