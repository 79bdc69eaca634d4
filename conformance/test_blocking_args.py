"""Blocking commands before they block: arity and syntax errors, the timeout
argument, BLMPOP/BZMPOP numkeys and COUNT, WRONGTYPE at call time, immediate
service when a key has data (keys looked at in argument order), and MULTI,
inside which a blocking command never blocks.

Redis 7.0.15 reads a blocking pop's timeout as a long double number of
seconds (strtold: decimals, exponents, hex, "inf" all parse), multiplies it
by 1000, rounds up (ceill) and casts to long long milliseconds:
- beyond LLONG_MAX ms (1e20, inf, even 1e400, which a long double holds) the
  cast gives LLONG_MIN on x86-64, answered "timeout is negative" (7.0.15 has
  no "timeout is out of range", later versions do): a server that wants the
  same answer must check the range itself;
- a value strtold cannot hold (1e5000, 1e-5000), or NaN, is "not a float";
- a tiny negative value such as -0.0001 rounds up to 0 ms: block forever."""

import pytest

from blocking_helpers import (BLOCKERS, LIST_BLOCKERS, NIL_ARRAY, QUEUED, WRONGTYPE, bcmd, block,
                              client_id, fill, length, read_raw, served, shard_keys,
                              still_blocked, timed_raw)
from helpers import NIL, NULL3, OK, SYNTAX, arity_err, array, bulk, err, integer

NOT_FLOAT = err("ERR timeout is not a float or out of range")
NEGATIVE = err("ERR timeout is negative")
NUMKEYS = err("ERR numkeys should be greater than 0")
COUNT_ERR = err("ERR count should be greater than 0")

# Each timeout string with Redis 7.0.15's verdict (see the module docstring).
NOT_A_FLOAT = ["x", "", " 1", "1 ", "1,5", "0.5e", "0.1x", "nan", "-nan", "1e5000", "1e-5000"]
NEGATIVES = ["-1", "-0.5", "-inf", "inf", "+inf", "infinity", "1e20", "9.3e15", "1e308",
             "1e400", "9223372036854776"]
# 0.0001 s is 0.1 ms, rounded up to a 1 ms timeout: answered at once with
# the timeout reply.
TINY = ["0.0001", ".0001", "+0.0001", "1e-4", "1e-400", "0x1p-20"]


# ---------------------------------------------------------------- arity

@pytest.mark.parametrize("args", [
    ["BLPOP"], ["BLPOP", "k"], ["BRPOP", "k"], ["BRPOPLPUSH", "a", "b"],
    ["BRPOPLPUSH", "a", "b", "0", "x"], ["BLMOVE", "a", "b", "LEFT", "RIGHT"],
    ["BLMOVE", "a", "b", "LEFT", "RIGHT", "0", "x"], ["BLMPOP"], ["BLMPOP", "0"],
    ["BLMPOP", "0", "1"], ["BLMPOP", "0", "1", "k"], ["BZPOPMIN", "k"], ["BZPOPMAX"],
    ["BZMPOP", "0", "1", "k"], ["WAIT"], ["WAIT", "0"], ["WAIT", "0", "0", "x"],
])
def test_arity(raw, args):
    assert raw.raw(*args) == arity_err(args[0].lower())


def test_arity_error_aborts_multi(raw):
    assert raw.raw("MULTI") == OK
    assert raw.raw("BLPOP", "k") == arity_err("blpop")
    assert raw.raw("EXEC") == err("EXECABORT Transaction discarded because of previous errors.")


# -------------------------------------------------------------- timeouts

@pytest.mark.parametrize("name", BLOCKERS)
def test_timeout_not_a_float(raw, name):
    for t in NOT_A_FLOAT:
        assert raw.raw(*bcmd(name, "k", t)) == NOT_FLOAT, t


@pytest.mark.parametrize("name", BLOCKERS)
def test_timeout_negative_or_overflowing(raw, name):
    for t in NEGATIVES:
        assert raw.raw(*bcmd(name, "k", t)) == NEGATIVE, t


@pytest.mark.parametrize("name", BLOCKERS)
def test_timeout_checked_before_the_keys(raw, name):
    """A bad timeout is an error even when the key has data, which stays."""
    fill(raw, name, "k", "a")
    assert raw.raw(*bcmd(name, "k", "x")) == NOT_FLOAT
    assert raw.raw(*bcmd(name, "k", "-1")) == NEGATIVE
    assert length(raw, name, "k") == integer(1)
    assert raw.raw("EXISTS", "k:dst") == integer(0)


def test_tiny_timeouts_are_one_millisecond(raw, raw3):
    for t in TINY:
        assert raw.raw("BLPOP", "k", t) == NIL_ARRAY, t
    assert raw3.raw("BZMPOP", "0.0001", "1", "k", "MIN") == NULL3


@pytest.mark.parametrize("t", ["0", "0.0", "-0", "-0.0001", "0e0"])
def test_zero_and_tiny_negative_timeouts_block_forever(raw, connect, t):
    """-0.0001 s is -0.1 ms, rounded up to 0: block forever, not an error."""
    c = connect()
    block(raw, c, "BLPOP", "k", t)
    assert still_blocked(raw, c, 0.3)
    assert raw.raw("RPUSH", "k", "a") == integer(1)
    assert read_raw(c) == array(bulk("k"), bulk("a"))


@pytest.mark.parametrize("t", ["1e15", "0x10", "3.5", "86400"])
def test_large_and_odd_timeouts_block(raw, connect, t):
    c = connect()
    block(raw, c, "BRPOP", "k", t)
    assert still_blocked(raw, c)
    assert raw.raw("CLIENT", "UNBLOCK", str(client_id(c))) == integer(1)
    assert read_raw(c) == NIL_ARRAY


def test_timeout_with_data_is_not_waited_for(raw):
    assert raw.raw("RPUSH", "k", "a", "b") == integer(2)
    reply, dt = timed_raw(raw, "BLPOP", "k", "0x10")
    assert reply == array(bulk("k"), bulk("a")) and dt < 1


# ------------------------------------------------------ BLMPOP and BZMPOP

@pytest.mark.parametrize("name,where,other", [("BLMPOP", "LEFT", "MIN"),
                                               ("BZMPOP", "MIN", "LEFT")])
def test_mpop_errors(raw, name, where, other):
    cases = [
        (["0", "1", "k", "UP"], SYNTAX),
        (["0", "1", "k", other], SYNTAX),
        (["0", "0", "k", where], NUMKEYS),
        (["0", "-1", "k", where], NUMKEYS),
        (["0", "x", "k", where], NUMKEYS),
        (["0", "99999999999999999999", "k", where], NUMKEYS),
        (["0", "2", "k", where], SYNTAX),             # numkeys beyond the arguments
        (["0", "2147483648", "k", where], SYNTAX),
        (["0", "1", "k", where, "COUNT"], SYNTAX),
        (["0", "1", "k", where, "COUNT", "0"], COUNT_ERR),
        (["0", "1", "k", where, "COUNT", "-1"], COUNT_ERR),
        (["0", "1", "k", where, "COUNT", "x"], COUNT_ERR),
        (["0", "1", "k", where, "COUNT", "9223372036854775808"], COUNT_ERR),
        (["0", "1", "k", where, "COUNT", "1", "COUNT", "2"], SYNTAX),
        (["0", "1", "k", where, "COUNT", "1", "x"], SYNTAX),
        (["0", "1", "k", where, "foo"], SYNTAX),
        # the timeout is parsed after everything else
        (["x", "0", "k", where], NUMKEYS),
        (["-1", "1", "k", "UP"], SYNTAX),
        (["x", "1", "k", where, "COUNT", "0"], COUNT_ERR),
        (["-1", "1", "k", where, "COUNT", "0"], COUNT_ERR),
        (["x", "1", "k", where], NOT_FLOAT),
        (["-1", "1", "k", where], NEGATIVE),
    ]
    for args, reply in cases:
        assert raw.raw(name, *args) == reply, args


def test_blmove_syntax_before_timeout(raw):
    assert raw.raw("BLMOVE", "a", "b", "UP", "LEFT", "0") == SYNTAX
    assert raw.raw("BLMOVE", "a", "b", "LEFT", "UP", "x") == SYNTAX
    assert raw.raw("BLMOVE", "a", "b", "UP", "LEFT", "-1") == SYNTAX
    assert raw.raw("BLMOVE", "a", "b", "LEFT", "RIGHT", "x") == NOT_FLOAT
    assert raw.raw("blmove", "a", "b", "left", "right", "0.0001") == NIL_ARRAY


# -------------------------------------------------- WRONGTYPE at call time

def test_wrongtype_at_call_time(raw):
    s, l, z, e = shard_keys("bwt:", 4)
    assert raw.raw("SET", s, "v") == OK
    assert raw.raw("RPUSH", l, "a") == integer(1)
    assert raw.raw("ZADD", z, "1", "m") == integer(1)
    for args in (["BLPOP", s, "0"], ["BRPOP", e, s, l, "0"], ["BLPOP", z, "0"],
                 ["BRPOPLPUSH", s, e, "0"], ["BLMOVE", z, e, "LEFT", "LEFT", "0"],
                 ["BLMPOP", "0", "3", e, s, l, "LEFT"], ["BZPOPMIN", s, "0"],
                 ["BZPOPMAX", e, l, z, "0"], ["BZMPOP", "0", "2", l, z, "MAX"]):
        assert raw.raw(*args) == WRONGTYPE, args
    assert raw.raw("LLEN", l) == integer(1)
    assert raw.raw("ZCARD", z) == integer(1)


def test_key_with_data_before_a_wrong_type_one_is_served(raw):
    s, l, z = shard_keys("bwt2:", 3)
    assert raw.raw("SET", s, "v") == OK
    assert raw.raw("RPUSH", l, "a", "b") == integer(2)
    assert raw.raw("ZADD", z, "1", "m") == integer(1)
    assert raw.raw("BLPOP", l, s, "0") == array(bulk(l), bulk("a"))
    assert raw.raw("BLMPOP", "0", "2", l, s, "LEFT") == array(bulk(l), array(bulk("b")))
    assert raw.raw("BZPOPMIN", z, s, "0") == array(bulk(z), bulk("m"), bulk("1"))


def test_move_to_a_wrong_type_destination_is_refused(raw):
    src, dst = shard_keys("bwt3:", 2)
    assert raw.raw("RPUSH", src, "a") == integer(1)
    assert raw.raw("SET", dst, "v") == OK
    assert raw.raw("BRPOPLPUSH", src, dst, "0") == WRONGTYPE
    assert raw.raw("BLMOVE", src, dst, "LEFT", "RIGHT", "0") == WRONGTYPE
    assert raw.raw("LRANGE", src, "0", "-1") == array(bulk("a"))
    assert raw.raw("GET", dst) == bulk("v")


# ------------------------------------------------ immediate service, order

def test_keys_are_looked_at_in_argument_order(raw):
    k1, k2, k3 = shard_keys("bord:", 3)
    assert raw.raw("RPUSH", k2, "b1", "b2") == integer(2)
    assert raw.raw("RPUSH", k3, "c1") == integer(1)
    assert raw.raw("BLPOP", k1, k2, k3, "0") == array(bulk(k2), bulk("b1"))
    assert raw.raw("BRPOP", k3, k2, "0") == array(bulk(k3), bulk("c1"))
    assert raw.raw("BRPOP", k1, k3, k2, "0") == array(bulk(k2), bulk("b2"))
    assert raw.raw("EXISTS", k1, k2, k3) == integer(0)
    # BLMPOP takes COUNT from the first non-empty key only
    assert raw.raw("RPUSH", k2, "x", "y") == integer(2)
    assert raw.raw("RPUSH", k3, "z") == integer(1)
    assert raw.raw("BLMPOP", "0", "3", k1, k2, k3, "LEFT", "COUNT", "10") == \
        array(bulk(k2), array(bulk("x"), bulk("y")))
    assert raw.raw("BLMPOP", "0", "3", k1, k2, k3, "RIGHT", "COUNT", "10") == \
        array(bulk(k3), array(bulk("z")))


def test_zset_keys_in_argument_order(raw, raw3):
    z1, z2, z3 = shard_keys("bzord:", 3)
    assert raw.raw("ZADD", z2, "1", "a", "2", "b", "3", "c") == integer(3)
    assert raw.raw("ZADD", z3, "0", "x") == integer(1)
    assert raw.raw("BZPOPMIN", z1, z3, z2, "0") == array(bulk(z3), bulk("x"), bulk("0"))
    assert raw.raw("BZPOPMAX", z1, z2, "0") == array(bulk(z2), bulk("c"), bulk("3"))
    assert raw3.raw("BZMPOP", "0", "2", z1, z2, "MIN", "COUNT", "5") == \
        array(bulk(z2), array(array(bulk("a"), b",1\r\n"), array(bulk("b"), b",2\r\n")))
    assert raw.raw("EXISTS", z1, z2, z3) == integer(0)


def test_same_key_twice(raw, connect):
    assert raw.raw("RPUSH", "k", "a") == integer(1)
    assert raw.raw("BLPOP", "k", "k", "0") == array(bulk("k"), bulk("a"))
    c = connect()
    block(raw, c, "BLPOP", "k", "k", "5")
    assert raw.raw("RPUSH", "k", "a", "b") == integer(2)
    assert read_raw(c) == array(bulk("k"), bulk("a"))
    assert raw.raw("LRANGE", "k", "0", "-1") == array(bulk("b"))


# ---------------------------------------------------------------- MULTI

# Inside MULTI a blocking command answers as its non-blocking form would on
# an empty key: null array for the pops, null bulk for the moves (RESP2).
MULTI_NULL2 = {"BRPOPLPUSH": NIL, "BLMOVE": NIL}


@pytest.mark.parametrize("name", BLOCKERS)
@pytest.mark.parametrize("proto", [2, 3])
def test_multi_never_blocks(connect, name, proto):
    c = connect(proto)
    for t in ("0", "5"):
        assert c.raw("MULTI") == OK
        assert c.raw(*bcmd(name, "k", t)) == QUEUED
        reply, dt = timed_raw(c, "EXEC")
        null = MULTI_NULL2.get(name, NIL_ARRAY) if proto == 2 else NULL3
        assert reply == b"*1\r\n" + null and dt < 1


@pytest.mark.parametrize("name", BLOCKERS)
def test_multi_serves_data_pushed_in_the_transaction(raw, raw3, name):
    for c, proto in ((raw, 2), (raw3, 3)):
        assert c.raw("DEL", "k", "k:dst") in (integer(0), integer(1))
        assert c.raw("MULTI") == OK
        assert c.raw(*["ZADD", "k", "1", "a"] if name not in LIST_BLOCKERS
                     else ["RPUSH", "k", "a"]) == QUEUED
        assert c.raw(*bcmd(name, "k", "0")) == QUEUED
        assert c.raw(*bcmd(name, "k", "0")) == QUEUED
        null = MULTI_NULL2.get(name, NIL_ARRAY) if proto == 2 else NULL3
        assert c.raw("EXEC") == array(integer(1), served(name, "k", "a", proto), null)
        assert c.raw("EXISTS", "k") == integer(0)


def test_multi_sees_data_pushed_before_exec(raw, connect):
    c = connect()
    assert c.raw("MULTI") == OK
    assert c.raw("BLPOP", "k", "0") == QUEUED
    assert raw.raw("RPUSH", "k", "a", "b") == integer(2)
    assert c.raw("EXEC") == array(array(bulk("k"), bulk("a")))


def test_multi_runtime_errors(raw):
    assert raw.raw("SET", "s", "v") == OK
    assert raw.raw("MULTI") == OK
    for args in (["BLPOP", "k", "-1"], ["BLPOP", "k", "x"], ["BLMPOP", "0", "0", "k", "LEFT"],
                 ["BLPOP", "s", "0"], ["BZPOPMIN", "k", "0"]):
        assert raw.raw(*args) == QUEUED
    assert raw.raw("EXEC") == array(NEGATIVE, NOT_FLOAT, NUMKEYS, WRONGTYPE, NIL_ARRAY)
