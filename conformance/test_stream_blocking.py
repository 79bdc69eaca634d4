"""XREAD BLOCK and XREADGROUP BLOCK (issue 13), as Redis 7.0.15 answers them.

Redis 7.0.15, as these tests pin down:
- XREAD BLOCK serves at once what is there (every key with entries, as
  without BLOCK); else it waits, $ meaning the stream's last ID when it
  blocked (0-0 for a missing key); woken by XADD it answers that key alone
  with the new entries; a deleted, retyped or flushed key leaves it waiting;
  a RENAME onto the key wakes it with what the renamed stream holds past its
  ID; the timeout answers a null array (RESP3 _); inside MULTI it never
  blocks;
- XREADGROUP BLOCK ">" wakes on XADD, the entries go to one waiting
  consumer and into its PEL (not with NOACK); while it waits, XGROUP DESTROY
  answers "-NOGROUP the consumer group this client was blocked on no longer
  exists", deleting the key (DEL, SET over it, FLUSHALL, RENAME away)
  "-UNBLOCKED the stream key no longer exists";
- a served client gone before its reply: the entries stay in its PEL."""

import time

import pytest

from blocking_helpers import (NIL_ARRAY, UNBLOCKED, block, client_id, read_raw, shard_keys,
                              silent, still_blocked, wait_gone)
from helpers import NULL3, OK, array, bulk, integer

UNBLOCKED_KEY = b"-UNBLOCKED the stream key no longer exists\r\n"
NOGROUP_GONE = b"-NOGROUP the consumer group this client was blocked on no longer exists\r\n"


def entry(eid, *fv):
    return array(bulk(eid), array(*[bulk(x) for x in fv]))


def keyed(key, *entries, proto=2):
    """One key's part of an XREAD reply: RESP2 [key, entries], RESP3 a map."""
    if proto == 2:
        return array(array(bulk(key), array(*entries)))
    return b"%1\r\n" + bulk(key) + array(*entries)


KEYS = shard_keys("xb:", 4)


@pytest.mark.parametrize("proto", [2, 3])
def test_xread_block_woken_by_xadd_on_other_shards(raw, connect, proto):
    a, b = KEYS[0], KEYS[1]
    raw.raw("XADD", a, "1-1", "f", "1")
    c = connect(proto)
    block(raw, c, "XREAD", "BLOCK", "0", "STREAMS", a, b, "$", "$")
    assert raw.raw("XADD", b, "5-1", "g", "2") == bulk("5-1")
    assert read_raw(c) == keyed(b, entry("5-1", "g", "2"), proto=proto)
    block(raw, c, "XREAD", "BLOCK", "0", "COUNT", "1", "STREAMS", a, b, "$", "$")
    raw.raw("MULTI")
    raw.raw("XADD", a, "6-1", "h", "3")
    raw.raw("XADD", a, "6-2", "i", "4")
    raw.raw("EXEC")
    assert read_raw(c) == keyed(a, entry("6-1", "h", "3"), proto=proto)


def test_xread_block_serves_at_once_every_key(raw):
    a, b = KEYS[0], KEYS[2]
    raw.raw("XADD", a, "1-1", "f", "1")
    raw.raw("XADD", b, "2-1", "g", "2")
    assert raw.raw("XREAD", "BLOCK", "0", "STREAMS", b, a, "0", "0") == array(
        array(bulk(b), array(entry("2-1", "g", "2"))),
        array(bulk(a), array(entry("1-1", "f", "1"))))


@pytest.mark.parametrize("proto", [2, 3])
def test_xread_block_timeout(connect, proto):
    c = connect(proto)
    t = time.monotonic()
    assert c.raw("XREAD", "BLOCK", "100", "STREAMS", KEYS[0], KEYS[1], "$", "0") == (
        NIL_ARRAY if proto == 2 else NULL3)
    assert time.monotonic() - t >= 0.09


def test_xread_block_explicit_id_waits_past_it(raw, connect):
    k = KEYS[1]
    raw.raw("XADD", k, "1-1", "f", "1")
    c = connect()
    block(raw, c, "XREAD", "BLOCK", "0", "STREAMS", k, "5-0")
    raw.raw("XADD", k, "2-0", "a", "1")
    assert still_blocked(raw, c)
    raw.raw("XADD", k, "7-0", "b", "2")
    assert read_raw(c) == keyed(k, entry("7-0", "b", "2"))


def test_xread_block_errors(raw):
    assert raw.raw("XREAD", "BLOCK", "-1", "STREAMS", "k", "$") == \
        b"-ERR timeout is negative\r\n"
    assert raw.raw("XREAD", "BLOCK", "x", "STREAMS", "k", "$") == \
        b"-ERR timeout is not an integer or out of range\r\n"
    raw.raw("SET", "str", "1")
    assert raw.raw("XREAD", "BLOCK", "0", "STREAMS", "str", "$").startswith(b"-WRONGTYPE")
    assert raw.raw("XREAD", "BLOCK", "0", "STREAMS", "k", "bad") == \
        b"-ERR Invalid stream ID specified as stream command argument\r\n"
    assert raw.raw("XREAD", "BLOCK", "0", "STREAMS", "k", ">").startswith(
        b"-ERR The > ID can be specified only")
    assert raw.raw("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "k", ">") == \
        b"-NOGROUP No such key 'k' or consumer group 'g' in XREADGROUP with GROUP option\r\n"


def test_xread_block_key_deleted_retyped_flushed_keeps_waiting(raw, connect):
    k = KEYS[2]
    raw.raw("XADD", k, "1-1", "f", "1")
    c = connect()
    block(raw, c, "XREAD", "BLOCK", "0", "STREAMS", k, "$")
    raw.raw("DEL", k)
    raw.raw("LPUSH", k, "x")
    raw.raw("FLUSHALL")
    assert still_blocked(raw, c)
    raw.raw("XADD", k, "2-1", "b", "2")
    assert read_raw(c) == keyed(k, entry("2-1", "b", "2"))


def test_xread_block_rename_onto_key_wakes(raw, connect):
    src, dst = KEYS[0], KEYS[3]
    raw.raw("XADD", src, "1-1", "a", "1")
    c = connect()
    block(raw, c, "XREAD", "BLOCK", "0", "STREAMS", dst, "$")
    assert raw.raw("RENAME", src, dst) == OK
    assert read_raw(c) == keyed(dst, entry("1-1", "a", "1"))


@pytest.mark.parametrize("proto", [2, 3])
def test_xread_block_client_unblock(raw, connect, proto):
    c = connect(proto)
    block(raw, c, "XREAD", "BLOCK", "0", "STREAMS", KEYS[0], KEYS[1], "$", "$")
    assert raw.raw("CLIENT", "UNBLOCK", str(client_id(c))) == integer(1)
    assert read_raw(c) == (NIL_ARRAY if proto == 2 else NULL3)
    block(raw, c, "XREAD", "BLOCK", "0", "STREAMS", KEYS[0], "$")
    assert raw.raw("CLIENT", "UNBLOCK", str(client_id(c)), "ERROR") == integer(1)
    assert read_raw(c) == UNBLOCKED


def test_block_inside_multi_does_not_block(raw):
    raw.raw("XADD", "s", "1-1", "a", "1")
    raw.raw("XGROUP", "CREATE", "s", "g", "$")
    assert raw.raw("MULTI") == OK
    raw.raw("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
    raw.raw("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
    raw.raw("XREAD", "BLOCK", "0", "STREAMS", "s", "0")
    assert raw.raw("EXEC") == b"*3\r\n*-1\r\n*-1\r\n" + keyed("s", entry("1-1", "a", "1"))


def test_xread_blocked_client_vanishes(raw, connect):
    k = KEYS[1]
    for _ in range(2):
        c = connect()
        block(raw, c, "XREAD", "BLOCK", "0", "STREAMS", k, KEYS[2], "$", "$")
        c.close()
        wait_gone(raw, c)
    # one that vanishes as it is served: nothing to lose, nothing breaks
    c = connect()
    block(raw, c, "XREAD", "BLOCK", "0", "STREAMS", k, "$")
    raw.raw("XADD", k, "9-1", "z", "1")
    c.close()
    other = connect()
    assert other.raw("XREAD", "STREAMS", k, "0") == keyed(k, entry("9-1", "z", "1"))
    assert raw.raw("PING") == b"+PONG\r\n"


# ------------------------------------------------------------ XREADGROUP

def test_xreadgroup_block_one_consumer_gets_it(raw, connect):
    k = KEYS[3]
    raw.raw("XGROUP", "CREATE", k, "g", "$", "MKSTREAM")
    c1, c2 = connect(), connect()
    block(raw, c1, "XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0", "STREAMS", k, ">")
    block(raw, c2, "XREADGROUP", "GROUP", "g", "c2", "BLOCK", "0", "STREAMS", k, ">")
    raw.raw("XADD", k, "1-1", "a", "1")
    assert read_raw(c1) == keyed(k, entry("1-1", "a", "1"))
    assert still_blocked(raw, c2)
    assert raw.raw("XPENDING", k, "g", "-", "+", "10", "c1").startswith(
        b"*1\r\n*4\r\n$3\r\n1-1\r\n$2\r\nc1\r\n")
    raw.raw("XADD", k, "2-1", "b", "2")
    assert read_raw(c2) == keyed(k, entry("2-1", "b", "2"))
    block(raw, c1, "XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0", "NOACK", "STREAMS", k, ">")
    raw.raw("XADD", k, "3-1", "c", "3")
    assert read_raw(c1) == keyed(k, entry("3-1", "c", "3"))
    assert raw.raw("XPENDING", k, "g").startswith(b"*4\r\n:2\r\n")


def test_xreadgroup_block_group_destroyed(raw, connect):
    k = KEYS[0]
    raw.raw("XGROUP", "CREATE", k, "g", "$", "MKSTREAM")
    c = connect()
    block(raw, c, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", k, ">")
    assert raw.raw("XGROUP", "DESTROY", k, "g") == integer(1)
    assert read_raw(c) == NOGROUP_GONE


@pytest.mark.parametrize("how", ["del", "set", "flushall", "rename"])
def test_xreadgroup_block_key_gone(raw, connect, how):
    k = KEYS[1]
    raw.raw("XGROUP", "CREATE", k, "g", "$", "MKSTREAM")
    c = connect()
    block(raw, c, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", k, ">")
    if how == "del":
        raw.raw("DEL", k)
    elif how == "set":
        raw.raw("SET", k, "x")
    elif how == "flushall":
        raw.raw("FLUSHALL")
    else:
        raw.raw("RENAME", k, KEYS[2])
    assert read_raw(c) == UNBLOCKED_KEY


def test_xreadgroup_block_replaced_by_stream_without_group(raw, connect):
    k, other = KEYS[2], KEYS[3]
    raw.raw("XGROUP", "CREATE", k, "g", "$", "MKSTREAM")
    raw.raw("XADD", other, "1-1", "a", "1")
    c = connect()
    block(raw, c, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", k, ">")
    raw.raw("RENAME", other, k)
    assert read_raw(c) == NOGROUP_GONE


def test_xreadgroup_served_client_gone_keeps_pel(raw, connect):
    k = KEYS[0]
    raw.raw("XGROUP", "CREATE", k, "g", "$", "MKSTREAM")
    c = connect()
    block(raw, c, "XREADGROUP", "GROUP", "g", "dead", "BLOCK", "0", "STREAMS", k, ">")
    c.close()  # gone as it is served, or just before: the entry is delivered
    raw.raw("XADD", k, "1-1", "a", "1")
    time.sleep(0.05)
    pend = raw.raw("XPENDING", k, "g", "-", "+", "10")
    if pend == b"*0\r\n":  # it was gone before XADD: the entry is new for the group
        assert raw.raw("XREADGROUP", "GROUP", "g", "x", "STREAMS", k, ">") == \
            keyed(k, entry("1-1", "a", "1"))
        return
    assert pend.startswith(b"*1\r\n*4\r\n$3\r\n1-1\r\n$4\r\ndead\r\n")
    assert raw.raw("XCLAIM", k, "g", "alive", "0", "1-1") == array(entry("1-1", "a", "1"))


def test_xreadgroup_blocked_client_vanishes(raw, connect):
    k = KEYS[3]
    raw.raw("XGROUP", "CREATE", k, "g", "$", "MKSTREAM")
    c = connect()
    block(raw, c, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", k, ">")
    c.close()
    wait_gone(raw, c)
    raw.raw("XADD", k, "1-1", "a", "1")
    assert raw.raw("XPENDING", k, "g") == b"*4\r\n:0\r\n$-1\r\n$-1\r\n*-1\r\n"
    assert raw.raw("XREADGROUP", "GROUP", "g", "x", "STREAMS", k, ">") == \
        keyed(k, entry("1-1", "a", "1"))
    assert silent(raw, 0)
