"""Strings: GET, SET and every SET option, INCR/DECR/INCRBY/DECRBY."""

import time

import pytest

from helpers import NIL, NOT_INT, OK, SYNTAX, bulk, err, integer

INVALID_SET_EXPIRE = err("ERR invalid expire time in 'set' command")
OVERFLOW = err("ERR increment or decrement would overflow")
LLONG_MAX = 9223372036854775807
LLONG_MIN = -9223372036854775808


# ---------------------------------------------------------------- GET/SET

def test_get_missing(raw):
    assert raw.raw("GET", "nosuchkey") == NIL


def test_set_get_overwrite(raw):
    assert raw.raw("SET", "k", "v1") == OK
    assert raw.raw("GET", "k") == bulk("v1")
    assert raw.raw("SET", "k", "v2") == OK
    assert raw.raw("GET", "k") == bulk("v2")


def test_set_get_redis_py(r):
    assert r.set("k", "v") is True
    assert r.get("k") == b"v"
    assert r.set("k", "w", nx=True) is None
    assert r.set("k", "w", xx=True) is True
    assert r.get("k") == b"w"
    assert r.get("missing") is None


@pytest.mark.parametrize("key,value", [
    (b"", b"empty key"),
    (b"empty value", b""),
    (b"", b""),
    (b"nul\x00key", b"nul\x00value"),
    (b"\r\n", b"\r\n"),
    (b"*1\r\n$4\r\nPING\r\n", b"$3\r\nfoo\r\n"),
    (b"\xff\xfe\x80", bytes(range(256))),
    (b" spaced key ", b"  "),
])
def test_binary_safe_keys_and_values(raw, r, key, value):
    assert raw.raw("SET", key, value) == OK
    assert raw.raw("GET", key) == b"$%d\r\n%s\r\n" % (len(value), value)
    assert r.get(key) == value
    assert raw.raw("EXISTS", key) == integer(1)
    assert raw.raw("DEL", key) == integer(1)
    assert raw.raw("GET", key) == NIL


def test_binary_keys_are_distinct(raw):
    keys = [b"a", b"a\x00", b"a\x00b", b"A", b"a ", b""]
    for i, k in enumerate(keys):
        assert raw.raw("SET", k, str(i)) == OK
    for i, k in enumerate(keys):
        assert raw.raw("GET", k) == bulk(str(i))
    assert raw.raw("DBSIZE") == integer(len(keys))


def test_one_megabyte_value(raw, r):
    value = bytes(range(256)) * 4096
    assert raw.raw("SET", "big", value) == OK
    assert raw.raw("GET", "big") == b"$1048576\r\n" + value + b"\r\n"
    assert r.get("big") == value


def test_large_key(raw):
    key = b"k" * 100000
    assert raw.raw("SET", key, "v") == OK
    assert raw.raw("GET", key) == bulk("v")
    assert raw.raw("GET", key[:-1]) == NIL


# ---------------------------------------------------------------- SET NX/XX

def test_set_nx(raw):
    assert raw.raw("SET", "k", "v", "NX") == OK
    assert raw.raw("SET", "k", "w", "NX") == NIL
    assert raw.raw("GET", "k") == bulk("v")


def test_set_xx(raw):
    assert raw.raw("SET", "k", "v", "XX") == NIL
    assert raw.raw("EXISTS", "k") == integer(0)
    assert raw.raw("SET", "k", "v") == OK
    assert raw.raw("SET", "k", "w", "XX") == OK
    assert raw.raw("GET", "k") == bulk("w")


def test_set_nx_xx_resp3_null(raw3):
    assert raw3.raw("SET", "k", "v", "XX") == b"_\r\n"
    assert raw3.raw("SET", "k", "v") == OK
    assert raw3.raw("SET", "k", "v", "NX") == b"_\r\n"


# ------------------------------------------------------------------ SET GET

def test_set_get_option(raw):
    assert raw.raw("SET", "k", "v1", "GET") == NIL
    assert raw.raw("GET", "k") == bulk("v1")
    assert raw.raw("SET", "k", "v2", "GET") == bulk("v1")
    assert raw.raw("GET", "k") == bulk("v2")


def test_set_nx_get(raw):
    # Allowed together since 7.0: replies with the old value, sets only if absent.
    assert raw.raw("SET", "k", "v", "NX", "GET") == NIL
    assert raw.raw("GET", "k") == bulk("v")
    assert raw.raw("SET", "k", "w", "NX", "GET") == bulk("v")
    assert raw.raw("GET", "k") == bulk("v")


def test_set_xx_get(raw):
    assert raw.raw("SET", "k", "v", "XX", "GET") == NIL
    assert raw.raw("EXISTS", "k") == integer(0)
    assert raw.raw("SET", "k", "v") == OK
    assert raw.raw("SET", "k", "w", "GET", "XX") == bulk("v")
    assert raw.raw("GET", "k") == bulk("w")


def test_set_get_resp3(raw3):
    assert raw3.raw("SET", "k", "v", "GET") == b"_\r\n"
    assert raw3.raw("SET", "k", "w", "GET") == bulk("v")


# --------------------------------------------------------------- SET expiry

def test_set_ex(raw):
    assert raw.raw("SET", "k", "v", "EX", "100") == OK
    assert raw.raw("TTL", "k") == integer(100)
    pttl = raw.value("PTTL", "k")
    assert 99000 <= pttl <= 100000


def test_set_px(raw):
    assert raw.raw("SET", "k", "v", "PX", "100000") == OK
    assert 99000 <= raw.value("PTTL", "k") <= 100000
    assert raw.raw("TTL", "k") == integer(100)


def test_set_exat(raw):
    at = int(time.time()) + 100
    assert raw.raw("SET", "k", "v", "EXAT", str(at)) == OK
    assert 98 <= raw.value("TTL", "k") <= 100


def test_set_pxat(raw):
    at = int(time.time() * 1000) + 100000
    assert raw.raw("SET", "k", "v", "PXAT", str(at)) == OK
    assert 98000 <= raw.value("PTTL", "k") <= 100000


def test_set_exat_pxat_in_the_past_deletes(raw):
    assert raw.raw("SET", "k", "old") == OK
    assert raw.raw("SET", "k", "v", "EXAT", "1") == OK
    assert raw.raw("EXISTS", "k") == integer(0)
    assert raw.raw("SET", "k", "v", "PXAT", "1") == OK
    assert raw.raw("GET", "k") == NIL
    assert raw.raw("SET", "k", "v", "PXAT", "1", "GET") == NIL
    assert raw.raw("GET", "k") == NIL


def test_set_without_keepttl_clears_ttl(raw):
    assert raw.raw("SET", "k", "v", "EX", "100") == OK
    assert raw.raw("SET", "k", "w") == OK
    assert raw.raw("TTL", "k") == integer(-1)


def test_set_keepttl(raw):
    assert raw.raw("SET", "k", "v", "EX", "100") == OK
    assert raw.raw("SET", "k", "w", "KEEPTTL") == OK
    assert raw.raw("GET", "k") == bulk("w")
    assert raw.raw("TTL", "k") == integer(100)
    assert raw.raw("SET", "n", "v", "KEEPTTL") == OK
    assert raw.raw("TTL", "n") == integer(-1)


def test_set_get_keeps_nothing_of_old_ttl(raw):
    assert raw.raw("SET", "k", "v", "EX", "100") == OK
    assert raw.raw("SET", "k", "w", "GET") == bulk("v")
    assert raw.raw("TTL", "k") == integer(-1)


def test_set_repeated_options_last_wins(raw):
    # Redis accepts a repeated EX (the last one counts), NX NX, GET GET ...
    assert raw.raw("SET", "k", "v", "EX", "10", "EX", "20") == OK
    assert raw.raw("TTL", "k") == integer(20)
    assert raw.raw("SET", "k", "v", "PX", "100", "PX", "200000") == OK
    assert raw.raw("TTL", "k") == integer(200)
    assert raw.raw("SET", "k", "w", "NX", "NX") == NIL
    assert raw.raw("SET", "k", "w", "GET", "GET") == bulk("v")
    assert raw.raw("SET", "k", "x", "KEEPTTL", "KEEPTTL") == OK
    assert raw.raw("SET", "k", "y", "XX", "XX") == OK
    assert raw.raw("GET", "k") == bulk("y")


SYNTAX_CASES = [
    ["EX"],
    ["PX"],
    ["EXAT"],
    ["PXAT"],
    ["EX", "100", "PX"],
    ["NX", "XX"],
    ["XX", "NX"],
    ["EX", "10", "PX", "100"],
    ["PX", "100", "EX", "10"],
    ["EX", "10", "EXAT", "10"],
    ["EXAT", "10", "PXAT", "10"],
    ["PXAT", "10", "PX", "10"],
    ["KEEPTTL", "EX", "10"],
    ["EX", "10", "KEEPTTL"],
    ["PX", "10", "KEEPTTL"],
    ["KEEPTTL", "PXAT", "10"],
    ["FOO"],
    ["NX", "FOO"],
    ["GETT"],
    ["E"],
    ["10"],
]


@pytest.mark.parametrize("opts", SYNTAX_CASES, ids=[" ".join(o) for o in SYNTAX_CASES])
def test_set_syntax_errors(raw, opts):
    assert raw.raw("SET", "k", "v", *opts) == SYNTAX
    assert raw.raw("EXISTS", "k") == integer(0)


INVALID_EXPIRE_CASES = [
    ["EX", "0"],
    ["EX", "-1"],
    ["PX", "0"],
    ["PX", "-5"],
    ["EXAT", "0"],
    ["EXAT", "-5"],
    ["PXAT", "0"],
    ["PXAT", "-5"],
    ["EX", "9223372036854775807"],  # seconds * 1000 overflows
    ["EX", "9223372036854776"],
    ["EX", "9223372036854775"],  # now + ms overflows
    ["PX", "9223372036854775807"],
]


@pytest.mark.parametrize("opts", INVALID_EXPIRE_CASES,
                         ids=[" ".join(o) for o in INVALID_EXPIRE_CASES])
def test_set_invalid_expire_time(raw, opts):
    assert raw.raw("SET", "k", "old") == OK
    assert raw.raw("SET", "k", "v", *opts) == INVALID_SET_EXPIRE
    assert raw.raw("GET", "k") == bulk("old")


def test_set_far_absolute_expiry_is_accepted(raw):
    assert raw.raw("SET", "k", "v", "EXAT", "9223372036854775") == OK
    assert raw.raw("SET", "k", "v", "PXAT", "9223372036854775807") == OK
    assert raw.raw("GET", "k") == bulk("v")


@pytest.mark.parametrize("value", ["x", "1.5", "", " 10", "10 ", "1e3", "99999999999999999999"])
def test_set_expire_not_an_integer(raw, value):
    for opt in ("EX", "PX", "EXAT", "PXAT"):
        assert raw.raw("SET", "k", "v", opt, value) == NOT_INT
    assert raw.raw("EXISTS", "k") == integer(0)


# ---------------------------------------------------------- INCR / DECR

def test_incr_decr_basic(raw):
    assert raw.raw("INCR", "n") == integer(1)
    assert raw.raw("INCR", "n") == integer(2)
    assert raw.raw("INCRBY", "n", "10") == integer(12)
    assert raw.raw("DECR", "n") == integer(11)
    assert raw.raw("DECRBY", "n", "5") == integer(6)
    assert raw.raw("INCRBY", "n", "-10") == integer(-4)
    assert raw.raw("DECRBY", "n", "-4") == integer(0)
    assert raw.raw("GET", "n") == bulk("0")
    assert raw.raw("DECR", "m") == integer(-1)
    assert raw.raw("GET", "m") == bulk("-1")
    assert raw.raw("DECRBY", "o", "7") == integer(-7)
    assert raw.raw("INCRBY", "p", "0") == integer(0)
    assert raw.raw("GET", "p") == bulk("0")


def test_incr_redis_py(r):
    assert r.incr("n") == 1
    assert r.incrby("n", 41) == 42
    assert r.decr("n") == 41
    assert r.decrby("n", 40) == 1
    assert r.get("n") == b"1"


def test_incr_existing_string_integer(raw):
    assert raw.raw("SET", "n", "41") == OK
    assert raw.raw("INCR", "n") == integer(42)
    assert raw.raw("GET", "n") == bulk("42")
    assert raw.raw("SET", "n", "-1") == OK
    assert raw.raw("INCR", "n") == integer(0)


def test_incr_keeps_ttl(raw):
    assert raw.raw("SET", "n", "10", "EX", "100") == OK
    assert raw.raw("INCR", "n") == integer(11)
    assert raw.raw("INCRBY", "n", "5") == integer(16)
    assert raw.raw("TTL", "n") == integer(100)


@pytest.mark.parametrize("value", [
    " 1", "1 ", "01", "-0", "+1", "0x1", "", "1.5", "1e3", "-", "abc", "\x001", "1\x00",
    "00000000000000000000", "12345678901234567890",
    "9223372036854775808", "-9223372036854775809",
])
def test_incr_not_an_integer(raw, value):
    assert raw.raw("SET", "n", value) == OK
    for cmd in (["INCR", "n"], ["DECR", "n"], ["INCRBY", "n", "1"], ["DECRBY", "n", "1"]):
        assert raw.raw(*cmd) == NOT_INT
    assert raw.raw("GET", "n") == bulk(value)


@pytest.mark.parametrize("incr", [
    "x", "1.0", "", " 1", "01", "-0", "+1", "9223372036854775808",
    "-9223372036854775809", "99999999999999999999",
])
def test_incrby_bad_increment(raw, incr):
    assert raw.raw("INCRBY", "n", incr) == NOT_INT
    assert raw.raw("DECRBY", "n", incr) == NOT_INT
    assert raw.raw("EXISTS", "n") == integer(0)


def test_incr_range_edges(raw):
    assert raw.raw("SET", "n", str(LLONG_MAX - 1)) == OK
    assert raw.raw("INCR", "n") == integer(LLONG_MAX)
    assert raw.raw("GET", "n") == bulk(str(LLONG_MAX))
    assert raw.raw("INCR", "n") == OVERFLOW
    assert raw.raw("INCRBY", "n", "1") == OVERFLOW
    assert raw.raw("INCRBY", "n", str(LLONG_MAX)) == OVERFLOW
    assert raw.raw("DECRBY", "n", "-1") == OVERFLOW
    assert raw.raw("INCRBY", "n", "0") == integer(LLONG_MAX)
    assert raw.raw("GET", "n") == bulk(str(LLONG_MAX))

    assert raw.raw("SET", "n", str(LLONG_MIN + 1)) == OK
    assert raw.raw("DECR", "n") == integer(LLONG_MIN)
    assert raw.raw("GET", "n") == bulk(str(LLONG_MIN))
    assert raw.raw("DECR", "n") == OVERFLOW
    assert raw.raw("DECRBY", "n", "1") == OVERFLOW
    assert raw.raw("INCRBY", "n", "-1") == OVERFLOW
    assert raw.raw("INCRBY", "n", str(LLONG_MIN)) == OVERFLOW
    assert raw.raw("INCR", "n") == integer(LLONG_MIN + 1)

    assert raw.raw("SET", "n", str(LLONG_MIN)) == OK
    assert raw.raw("INCRBY", "n", str(LLONG_MAX)) == integer(-1)
    assert raw.raw("INCRBY", "n", str(LLONG_MIN)) == OVERFLOW
    assert raw.raw("INCRBY", "n", str(LLONG_MIN + 1)) == integer(LLONG_MIN)


def test_decrby_llong_min(raw):
    # Negating LLONG_MIN is impossible, whatever the current value.
    for start in ("0", "5", "-1"):
        assert raw.raw("SET", "n", start) == OK
        assert raw.raw("DECRBY", "n", str(LLONG_MIN)) == err("ERR decrement would overflow")
        assert raw.raw("GET", "n") == bulk(start)
    assert raw.raw("DECRBY", "missing", str(LLONG_MIN)) == err("ERR decrement would overflow")
    assert raw.raw("EXISTS", "missing") == integer(0)
    # INCRBY LLONG_MIN itself is fine from 0.
    assert raw.raw("SET", "n", "0") == OK
    assert raw.raw("INCRBY", "n", str(LLONG_MIN)) == integer(LLONG_MIN)
    assert raw.raw("DECRBY", "n", str(LLONG_MIN + 1)) == integer(-1)


def test_incr_accepts_extreme_stored_values(raw):
    assert raw.raw("SET", "n", str(LLONG_MIN)) == OK
    assert raw.raw("INCR", "n") == integer(LLONG_MIN + 1)
    assert raw.raw("SET", "n", "-9223372036854775807") == OK
    assert raw.raw("DECR", "n") == integer(LLONG_MIN)
