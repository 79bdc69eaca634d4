"""Expiry: EXPIRE/PEXPIRE and their NX XX GT LT options, TTL/PTTL, lazy and
active expiration. Sleeps are short (PX 100 + sleep 0.25 style)."""

import time

import pytest

from helpers import NIL, NOT_INT, OK, bulk, err, integer, parse_info, spread_keys, wait_until

NX_XX_GT_LT = err("ERR NX and XX, GT or LT options at the same time are not compatible")
GT_LT = err("ERR GT and LT options at the same time are not compatible")


def invalid(cmd):
    return err("ERR invalid expire time in '%s' command" % cmd)


# ---------------------------------------------------------------- TTL/PTTL

def test_ttl_missing_and_persistent(raw):
    assert raw.raw("TTL", "k") == integer(-2)
    assert raw.raw("PTTL", "k") == integer(-2)
    assert raw.raw("SET", "k", "v") == OK
    assert raw.raw("TTL", "k") == integer(-1)
    assert raw.raw("PTTL", "k") == integer(-1)


def test_ttl_rounds_to_nearest_second(raw):
    assert raw.raw("SET", "k", "v") == OK
    assert raw.raw("PEXPIRE", "k", "1700") == integer(1)
    assert raw.raw("TTL", "k") == integer(2)
    assert raw.raw("PEXPIRE", "k", "1300") == integer(1)
    assert raw.raw("TTL", "k") == integer(1)
    assert raw.raw("PEXPIRE", "k", "300") == integer(1)
    assert raw.raw("TTL", "k") == integer(0)


def test_set_ex_then_ttl(raw, r):
    assert raw.raw("SET", "k", "v", "EX", "100") == OK
    assert raw.raw("TTL", "k") == integer(100)
    assert 99000 <= raw.value("PTTL", "k") <= 100000
    assert r.ttl("k") == 100


# ------------------------------------------------------------ EXPIRE basics

def test_expire_missing_key(raw):
    assert raw.raw("EXPIRE", "k", "100") == integer(0)
    assert raw.raw("PEXPIRE", "k", "100") == integer(0)
    assert raw.raw("EXISTS", "k") == integer(0)


def test_expire_sets_ttl(raw):
    assert raw.raw("SET", "k", "v") == OK
    assert raw.raw("EXPIRE", "k", "100") == integer(1)
    assert raw.raw("TTL", "k") == integer(100)
    assert raw.raw("EXPIRE", "k", "200") == integer(1)
    assert raw.raw("TTL", "k") == integer(200)
    assert raw.raw("PEXPIRE", "k", "50000") == integer(1)
    assert 49000 <= raw.value("PTTL", "k") <= 50000
    assert raw.raw("GET", "k") == bulk("v")


@pytest.mark.parametrize("cmd,value", [
    ("EXPIRE", "0"), ("EXPIRE", "-5"), ("PEXPIRE", "0"), ("PEXPIRE", "-1"),
    ("PEXPIRE", "-9223372036854775808"),
])
def test_expire_non_positive_deletes(raw, cmd, value):
    assert raw.raw("SET", "k", "v") == OK
    assert raw.raw(cmd, "k", value) == integer(1)
    assert raw.raw("EXISTS", "k") == integer(0)
    assert raw.raw("TTL", "k") == integer(-2)
    assert raw.raw("DBSIZE") == integer(0)


@pytest.mark.parametrize("cmd,value", [
    ("EXPIRE", "9223372036854775807"),
    ("EXPIRE", "9223372036854775"),
    ("EXPIRE", "9223372036854774"),
    ("EXPIRE", "-9223372036854775808"),
    ("PEXPIRE", "9223372036854775807"),
    ("PEXPIRE", "9223372036854775000"),
])
def test_expire_overflow(raw, cmd, value):
    assert raw.raw("SET", "k", "v") == OK
    assert raw.raw(cmd, "k", value) == invalid(cmd.lower())
    assert raw.raw("TTL", "k") == integer(-1)


@pytest.mark.parametrize("value", ["x", "1.5", "", " 1", "99999999999999999999"])
def test_expire_not_an_integer(raw, value):
    assert raw.raw("SET", "k", "v") == OK
    assert raw.raw("EXPIRE", "k", value) == NOT_INT
    assert raw.raw("PEXPIRE", "k", value) == NOT_INT
    assert raw.raw("TTL", "k") == integer(-1)


# ----------------------------------------------------------- NX XX GT LT

def test_expire_nx(raw):
    assert raw.raw("SET", "k", "v") == OK
    assert raw.raw("EXPIRE", "k", "100", "NX") == integer(1)
    assert raw.raw("EXPIRE", "k", "200", "NX") == integer(0)
    assert raw.raw("TTL", "k") == integer(100)
    assert raw.raw("EXPIRE", "missing", "100", "NX") == integer(0)


def test_expire_xx(raw):
    assert raw.raw("SET", "k", "v") == OK
    assert raw.raw("EXPIRE", "k", "100", "XX") == integer(0)
    assert raw.raw("TTL", "k") == integer(-1)
    assert raw.raw("EXPIRE", "k", "100") == integer(1)
    assert raw.raw("EXPIRE", "k", "200", "XX") == integer(1)
    assert raw.raw("TTL", "k") == integer(200)


def test_expire_gt(raw):
    assert raw.raw("SET", "k", "v") == OK
    # No TTL counts as infinite: GT never applies to a persistent key.
    assert raw.raw("EXPIRE", "k", "99", "GT") == integer(0)
    assert raw.raw("TTL", "k") == integer(-1)
    assert raw.raw("EXPIRE", "k", "100") == integer(1)
    assert raw.raw("EXPIRE", "k", "50", "GT") == integer(0)
    assert raw.raw("EXPIRE", "k", "99", "GT") == integer(0)
    assert raw.raw("EXPIRE", "k", "300", "GT") == integer(1)
    assert raw.raw("TTL", "k") == integer(300)


def test_expire_lt(raw):
    assert raw.raw("SET", "k", "v") == OK
    # No TTL counts as infinite: LT always applies to a persistent key.
    assert raw.raw("EXPIRE", "k", "300", "LT") == integer(1)
    assert raw.raw("EXPIRE", "k", "400", "LT") == integer(0)
    assert raw.raw("EXPIRE", "k", "100", "LT") == integer(1)
    assert raw.raw("TTL", "k") == integer(100)


def test_expire_xx_gt_together(raw):
    assert raw.raw("SET", "k", "v") == OK
    assert raw.raw("EXPIRE", "k", "100", "XX", "GT") == integer(0)
    assert raw.raw("EXPIRE", "k", "100") == integer(1)
    assert raw.raw("EXPIRE", "k", "10", "XX", "GT") == integer(0)
    assert raw.raw("EXPIRE", "k", "200", "GT", "XX") == integer(1)
    assert raw.raw("EXPIRE", "k", "150", "XX", "LT") == integer(1)
    assert raw.raw("TTL", "k") == integer(150)


def test_expire_repeated_option(raw):
    assert raw.raw("SET", "k", "v") == OK
    assert raw.raw("EXPIRE", "k", "100", "NX", "NX") == integer(1)
    assert raw.raw("EXPIRE", "k", "100", "nx", "NX") == integer(0)


def test_expire_option_with_non_positive_time(raw):
    assert raw.raw("SET", "k", "v") == OK
    assert raw.raw("EXPIRE", "k", "-1", "GT") == integer(0)
    assert raw.raw("EXPIRE", "k", "-1", "XX") == integer(0)
    assert raw.raw("EXISTS", "k") == integer(1)
    assert raw.raw("EXPIRE", "k", "-1", "LT") == integer(1)
    assert raw.raw("EXISTS", "k") == integer(0)
    assert raw.raw("SET", "k", "v") == OK
    assert raw.raw("PEXPIRE", "k", "0", "NX") == integer(1)
    assert raw.raw("EXISTS", "k") == integer(0)


@pytest.mark.parametrize("opts,reply", [
    (["NX", "XX"], NX_XX_GT_LT),
    (["XX", "NX"], NX_XX_GT_LT),
    (["NX", "GT"], NX_XX_GT_LT),
    (["nx", "lt"], NX_XX_GT_LT),
    (["GT", "LT"], GT_LT),
    (["lt", "gt"], GT_LT),
    (["XX", "GT", "LT"], GT_LT),
    (["FOO"], err("ERR Unsupported option FOO")),
    (["NX", "bar"], err("ERR Unsupported option bar")),
])
def test_expire_option_errors(raw, opts, reply):
    assert raw.raw("SET", "k", "v") == OK
    for cmd in ("EXPIRE", "PEXPIRE"):
        assert raw.raw(cmd, "k", "100", *opts) == reply
        assert raw.raw(cmd, "missing", "100", *opts) == reply
    assert raw.raw("TTL", "k") == integer(-1)


def test_pexpire_options(raw):
    assert raw.raw("SET", "k", "v") == OK
    assert raw.raw("PEXPIRE", "k", "100000", "NX") == integer(1)
    assert raw.raw("PEXPIRE", "k", "50000", "GT") == integer(0)
    assert raw.raw("PEXPIRE", "k", "50000", "LT") == integer(1)
    assert raw.raw("PEXPIRE", "k", "90000", "XX") == integer(1)
    assert 89000 <= raw.value("PTTL", "k") <= 90000


# ------------------------------------------------------- SET and the TTL

def test_set_without_keepttl_clears_ttl(raw):
    assert raw.raw("SET", "k", "v", "EX", "100") == OK
    assert raw.raw("SET", "k", "v2") == OK
    assert raw.raw("TTL", "k") == integer(-1)


def test_set_keepttl_keeps_ttl(raw):
    assert raw.raw("SET", "k", "v", "PX", "100000") == OK
    assert raw.raw("SET", "k", "v2", "KEEPTTL") == OK
    assert 99000 <= raw.value("PTTL", "k") <= 100000


def test_del_then_recreate_has_no_ttl(raw):
    assert raw.raw("SET", "k", "v", "EX", "100") == OK
    assert raw.raw("DEL", "k") == integer(1)
    assert raw.raw("SET", "k", "v") == OK
    assert raw.raw("TTL", "k") == integer(-1)


# ----------------------------------------------------- actual expiration

def test_lazy_expiry(raw):
    assert raw.raw("SET", "k", "v", "PX", "100") == OK
    assert raw.raw("SET", "p", "v") == OK
    assert raw.raw("PEXPIRE", "p", "100") == integer(1)
    time.sleep(0.25)
    assert raw.raw("GET", "k") == NIL
    assert raw.raw("EXISTS", "k", "p") == integer(0)
    assert raw.raw("TTL", "k") == integer(-2)
    assert raw.raw("PTTL", "p") == integer(-2)
    assert raw.raw("MGET", "k", "p") == b"*2\r\n$-1\r\n$-1\r\n"


def test_expired_key_behaves_as_missing_for_writes(raw):
    assert raw.raw("SET", "n", "41", "PX", "100") == OK
    assert raw.raw("SET", "s", "v", "PX", "100") == OK
    time.sleep(0.25)
    assert raw.raw("INCR", "n") == integer(1)
    assert raw.raw("TTL", "n") == integer(-1)
    assert raw.raw("SET", "s", "w", "NX") == OK
    assert raw.raw("TTL", "s") == integer(-1)
    assert raw.raw("SET", "x", "v", "PX", "100") == OK
    time.sleep(0.25)
    assert raw.raw("SET", "x", "w", "XX") == NIL
    assert raw.raw("DEL", "x") == integer(0)
    assert raw.raw("EXPIRE", "x", "100") == integer(0)


def test_active_expiry(raw):
    keys = spread_keys(200, "ax:")
    before = int(parse_info(raw.value("INFO", "stats"))["stats"]["expired_keys"])
    raw.pipeline([["SET", k, "v", "PX", "50"] for k in keys])
    assert raw.raw("SET", "stays", "v") == OK
    # Never touch the keys again: only the server's own cycle can remove them.
    assert wait_until(lambda: raw.value("DBSIZE") == 1, timeout=2.0), raw.value("DBSIZE")
    after = int(parse_info(raw.value("INFO", "stats"))["stats"]["expired_keys"])
    assert after - before == len(keys)
    assert raw.raw("GET", "stays") == bulk("v")


def test_ttl_counts_down(raw):
    assert raw.raw("SET", "k", "v", "PX", "1000") == OK
    first = raw.value("PTTL", "k")
    time.sleep(0.2)
    second = raw.value("PTTL", "k")
    assert 0 < second < first <= 1000
    assert first - second >= 150
