"""Blocked clients being served: reply shapes of every blocking command in
RESP2 and RESP3 (the same bytes as when the key had data at call time), the
timeout reply and its precision, who is served first, and when.

What Redis 7.0.15 does, and these tests pin down:
- clients blocked on one key are served first-blocked, first-served; a
  variadic push serves as many of them as it has elements, in that order;
- keys that became ready are handled after the whole command or MULTI/EXEC
  that readied them, in the order they were readied (not in the order a
  client named them): a transaction that pushes to k3 then k1 serves a client
  blocked on "k1 k2 k3" from k3;
- a transaction that pushes and then empties the key wakes nobody;
- an element moved by BLMOVE/BRPOPLPUSH into a key others wait on serves
  them in turn (chains, a circular pair, a self-referencing BLMOVE k k).
Keys that the order depends on share a {hashtag} so that a sharded server
holds them together; keys whose order does not matter are spread over the
shards."""

import pytest

from blocking_helpers import (BLOCKERS, LIST_BLOCKERS, NIL_ARRAY, TAKES, WRONGTYPE, bcmd, block,
                              bulks, client_id, fill, read_raw, score, served_first, shard_keys,
                              still_blocked, timed_out, timed_raw, wait_blocked)
from helpers import NULL3, OK, array, bulk, integer

BOUND = 0.4  # seconds a 0.1 s timeout may take: Redis checks timeouts on its
# 10 Hz cron, so 100 to 200 ms is normal; the rest is slack for a loaded
# 2-core CI machine. The median of several tries is checked, never one.


# ------------------------------------------------------------- reply shapes

@pytest.mark.parametrize("name", BLOCKERS)
@pytest.mark.parametrize("proto", [2, 3])
def test_served_reply_after_blocking(raw, connect, name, proto):
    c = connect(proto)
    block(raw, c, *bcmd(name, "k", "5"))
    assert fill(raw, name, "k", "a", "b") == integer(2)
    got = TAKES[name]
    assert read_raw(c) == served_first(name, "k", proto)
    rest = "b" if got == "a" else "a"
    if name in LIST_BLOCKERS:
        assert raw.raw("LRANGE", "k", "0", "-1") == bulks(rest)
    else:
        assert raw.raw("ZRANGE", "k", "0", "-1") == bulks(rest)
    if name in ("BLMOVE", "BRPOPLPUSH"):
        assert raw.raw("LRANGE", "k:dst", "0", "-1") == bulks(got)


@pytest.mark.parametrize("proto", [2, 3])
def test_served_shapes_with_count_and_scores(raw, connect, proto):
    """Shapes whose bytes are easy to get wrong, blocked then served."""
    c = connect(proto)
    cases = [
        (["BRPOP", "k", "5"], ["RPUSH", "k", "a", "b"], bulks("k", "b")),
        (["BRPOPLPUSH", "k", "d", "5"], ["RPUSH", "k", "a", "b"], bulk("b")),
        (["BLMOVE", "k", "d", "RIGHT", "LEFT", "5"], ["RPUSH", "k", "a", "b"], bulk("b")),
        (["BLMPOP", "5", "1", "k", "RIGHT", "COUNT", "2"], ["RPUSH", "k", "a", "b", "c"],
         array(bulk("k"), bulks("c", "b"))),
        (["BLMPOP", "5", "1", "k", "LEFT", "COUNT", "5"], ["RPUSH", "k", "a", "b", "c"],
         array(bulk("k"), bulks("a", "b", "c"))),
        (["BZPOPMAX", "k", "5"], ["ZADD", "k", "1.5", "a", "2", "b"],
         array(bulk("k"), bulk("b"), score("2", proto))),
        (["BZPOPMIN", "k", "5"], ["ZADD", "k", "1.5", "a", "2", "b"],
         array(bulk("k"), bulk("a"), score("1.5", proto))),
        (["BZPOPMIN", "k", "5"], ["ZADD", "k", "-inf", "a"],
         array(bulk("k"), bulk("a"), score("-inf", proto))),
        (["BZMPOP", "5", "1", "k", "MAX", "COUNT", "2"],
         ["ZADD", "k", "1.5", "a", "2", "b", "3", "c"],
         array(bulk("k"), array(array(bulk("c"), score("3", proto)),
                                array(bulk("b"), score("2", proto))))),
        (["BZMPOP", "5", "1", "k", "MIN", "COUNT", "9"], ["ZADD", "k", "1.5", "a", "inf", "c"],
         array(bulk("k"), array(array(bulk("a"), score("1.5", proto)),
                                array(bulk("c"), score("inf", proto))))),
    ]
    for cmd, fill_cmd, reply in cases:
        assert raw.raw("DEL", "k", "d") in (integer(0), integer(1), integer(2))
        block(raw, c, *cmd)
        raw.raw(*fill_cmd)
        assert read_raw(c) == reply, cmd
        # the same bytes as when the data is already there
        assert raw.raw("DEL", "k", "d") in (integer(0), integer(1), integer(2))
        raw.raw(*fill_cmd)
        assert c.raw(*cmd) == reply, cmd


def test_blmove_directions_after_blocking(raw, connect):
    c = connect()
    src, dst = shard_keys("bdir:", 2)
    for wf, wt, got, dst_after in (("LEFT", "LEFT", "a", ["a", "x"]),
                                   ("LEFT", "RIGHT", "a", ["x", "a"]),
                                   ("RIGHT", "LEFT", "c", ["c", "x"]),
                                   ("RIGHT", "RIGHT", "c", ["x", "c"])):
        assert raw.raw("DEL", src, dst) in (integer(0), integer(1), integer(2))
        assert raw.raw("RPUSH", dst, "x") == integer(1)
        block(raw, c, "BLMOVE", src, dst, wf, wt, "5")
        assert raw.raw("RPUSH", src, "a", "b", "c") == integer(3)
        assert read_raw(c) == bulk(got)
        assert raw.raw("LRANGE", dst, "0", "-1") == bulks(*dst_after)
        assert raw.raw("LLEN", src) == integer(2)


# ---------------------------------------------------------------- timeouts

@pytest.mark.parametrize("name", BLOCKERS)
@pytest.mark.parametrize("proto", [2, 3])
def test_timeout_reply(connect, name, proto):
    c = connect(proto)
    reply, dt = timed_raw(c, *bcmd(name, "k", "0.05"))
    assert reply == timed_out(proto) and dt >= 0.05
    assert c.raw("EXISTS", "k", "k:dst") == integer(0)


@pytest.mark.slow
def test_timeout_precision(raw):
    """A 0.1 s timeout never answers early; it answers within BOUND (the
    median of 5 tries, so one stall of a loaded machine does not fail it)."""
    times = []
    for _ in range(5):
        reply, dt = timed_raw(raw, "BLPOP", "k", "0.1")
        assert reply == NIL_ARRAY
        assert dt >= 0.1
        times.append(dt)
    assert sorted(times)[2] < BOUND, times


@pytest.mark.kevy_only
@pytest.mark.parametrize("which", [0, 1])
def test_timeout_precision_on_kevy(raw, which):
    """kevy times a block out with a millisecond timer of its own, not a
    10 Hz cron: a 0.1 s timeout answers within 100 to 150 ms (median of 5).
    The two keys are on different shards (with 2 or 4): one of them is not
    on the client's shard."""
    key = shard_keys("tp:", 2)[which]
    times = []
    for _ in range(5):
        reply, dt = timed_raw(raw, "BLPOP", key, "0.1")
        assert reply == NIL_ARRAY
        assert dt >= 0.1
        times.append(dt)
    assert sorted(times)[2] < 0.15, times


def test_timeouts_of_several_clients_are_independent(raw, connect):
    short, long_ = connect(), connect(3)
    block(raw, long_, "BZPOPMIN", "z", "3")
    reply, dt = timed_raw(short, "BLPOP", "k", "0.2")
    assert reply == NIL_ARRAY and 0.2 <= dt < 2
    assert still_blocked(raw, long_)
    assert raw.raw("ZADD", "z", "1", "m") == integer(1)
    assert read_raw(long_) == array(bulk("z"), bulk("m"), b",1\r\n")


def test_pipelined_commands_wait_for_the_blocked_one(raw, connect):
    c = connect()
    client_id(c)
    c.send_many([["BLPOP", "k", "5"], ["PING"], ["LLEN", "k"]])
    wait_blocked(raw, c)
    assert raw.raw("RPUSH", "k", "a", "b") == integer(2)
    assert read_raw(c) == bulks("k", "a")
    assert read_raw(c) == b"+PONG\r\n"
    assert read_raw(c) == integer(1)
    c.send_many([["BRPOP", "k2", "0.05"], ["ECHO", "x"]])
    assert read_raw(c) == NIL_ARRAY
    assert read_raw(c) == bulk("x")


# ---------------------------------------------------------------- fairness

def test_first_blocked_first_served(raw, connect):
    cs = [connect() for _ in range(4)]
    for c in cs:
        block(raw, c, "BLPOP", "k", "5")
    assert raw.raw("RPUSH", "k", "a") == integer(1)
    assert read_raw(cs[0]) == bulks("k", "a")
    assert raw.raw("RPUSH", "k", "b", "c") == integer(2)
    assert read_raw(cs[1]) == bulks("k", "b")
    assert read_raw(cs[2]) == bulks("k", "c")
    assert still_blocked(raw, cs[3])
    assert raw.raw("EXISTS", "k") == integer(0)
    assert raw.raw("LPUSH", "k", "d") == integer(1)
    assert read_raw(cs[3]) == bulks("k", "d")


def test_variadic_push_serves_mixed_waiters_in_order(raw, connect):
    cs = [connect() for _ in range(4)]
    block(raw, cs[0], "BRPOP", "k", "5")
    block(raw, cs[1], "BLPOP", "k", "5")
    block(raw, cs[2], "BLMOVE", "k", "d", "LEFT", "LEFT", "5")
    block(raw, cs[3], "BLMPOP", "5", "1", "k", "RIGHT", "COUNT", "2")
    assert raw.raw("RPUSH", "k", "a", "b", "c", "d", "e", "f") == integer(6)
    assert read_raw(cs[0]) == bulks("k", "f")
    assert read_raw(cs[1]) == bulks("k", "a")
    assert read_raw(cs[2]) == bulk("b")
    assert read_raw(cs[3]) == array(bulk("k"), bulks("e", "d"))
    assert raw.raw("LRANGE", "k", "0", "-1") == bulks("c")
    assert raw.raw("LRANGE", "d", "0", "-1") == bulks("b")


def test_variadic_zadd_serves_zset_waiters_in_order(raw, connect):
    cs = [connect() for _ in range(3)]
    block(raw, cs[0], "BZPOPMAX", "z", "5")
    block(raw, cs[1], "BZMPOP", "5", "1", "z", "MIN", "COUNT", "2")
    block(raw, cs[2], "BZPOPMIN", "z", "5")
    assert raw.raw("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e") == integer(5)
    assert read_raw(cs[0]) == bulks("z", "e", "5")
    assert read_raw(cs[1]) == array(bulk("z"), array(bulks("a", "1"), bulks("b", "2")))
    assert read_raw(cs[2]) == bulks("z", "c", "3")
    assert raw.raw("ZRANGE", "z", "0", "-1") == bulks("d")


def test_push_serves_only_as_many_as_it_has_elements(raw, connect):
    cs = [connect() for _ in range(3)]
    for c in cs:
        block(raw, c, "BLMPOP", "5", "1", "k", "LEFT", "COUNT", "2")
    assert raw.raw("RPUSH", "k", "a", "b", "c") == integer(3)
    assert read_raw(cs[0]) == array(bulk("k"), bulks("a", "b"))
    assert read_raw(cs[1]) == array(bulk("k"), bulks("c"))
    assert still_blocked(raw, cs[2])


def test_fifo_across_clients_on_many_shards(raw, connect):
    """Waiters whose connections may live on different shards of a sharded
    server still queue in blocking order on the key."""
    key = shard_keys("bfifo:", 1)[0]
    cs = [connect(2 if i % 2 else 3) for i in range(8)]
    for c in cs:
        block(raw, c, "BRPOP", key, "5")
    for i, c in enumerate(cs):
        assert raw.raw("RPUSH", key, "e%d" % i) == integer(1)
        assert read_raw(c) == bulks(key, "e%d" % i)


def test_a_client_on_several_keys_keeps_its_place(raw, connect):
    """A client blocked on k1 k2 first is first in line on k2 too."""
    k1, k2 = shard_keys("bplace:", 2)
    a, b = connect(), connect()
    block(raw, a, "BLPOP", k1, k2, "5")
    block(raw, b, "BLPOP", k2, "5")
    assert raw.raw("RPUSH", k2, "v") == integer(1)
    assert read_raw(a) == bulks(k2, "v")
    assert still_blocked(raw, b)
    assert raw.raw("RPUSH", k1, "w") == integer(1)
    assert raw.raw("RPUSH", k2, "x") == integer(1)
    assert read_raw(b) == bulks(k2, "x")
    assert raw.raw("LRANGE", k1, "0", "-1") == bulks("w")


# ------------------------------------------ readiness after the transaction

def test_keys_readied_by_one_transaction_serve_in_readiness_order(raw, connect):
    c = connect()
    block(raw, c, "BLPOP", "{t}1", "{t}2", "{t}3", "5")
    assert raw.raw("MULTI") == OK
    raw.raw("RPUSH", "{t}3", "x3")
    raw.raw("RPUSH", "{t}1", "x1")
    assert raw.raw("EXEC") == array(integer(1), integer(1))
    assert read_raw(c) == bulks("{t}3", "x3")
    assert raw.raw("LRANGE", "{t}1", "0", "-1") == bulks("x1")


@pytest.mark.parametrize("first", ["{t}1", "{t}2"])
def test_transaction_order_decides_who_is_served(raw, connect, first):
    """a waits on {t}1 {t}2 (blocked first), b on {t}2. Readying {t}1 first
    gives a {t}1's element and b {t}2's; readying {t}2 first gives a {t}2's
    element and leaves {t}1's element to nobody."""
    a, b = connect(), connect()
    block(raw, a, "BLPOP", "{t}1", "{t}2", "5")
    block(raw, b, "BLPOP", "{t}2", "5")
    second = "{t}2" if first == "{t}1" else "{t}1"
    assert raw.raw("MULTI") == OK
    raw.raw("RPUSH", first, "x" + first)
    raw.raw("RPUSH", second, "x" + second)
    assert raw.raw("EXEC") == array(integer(1), integer(1))
    if first == "{t}1":
        assert read_raw(a) == bulks("{t}1", "x{t}1")
        assert read_raw(b) == bulks("{t}2", "x{t}2")
        assert raw.raw("EXISTS", "{t}1", "{t}2") == integer(0)
    else:
        assert read_raw(a) == bulks("{t}2", "x{t}2")
        assert still_blocked(raw, b)
        assert raw.raw("LRANGE", "{t}1", "0", "-1") == bulks("x{t}1")


@pytest.mark.parametrize("order", [("{t}2", "{t}1"), ("{t}1", "{t}2")])
def test_waiters_on_different_keys_served_in_readiness_order(raw, connect, order):
    """Two movers into one key: the destination's order shows who went first."""
    x, y = connect(), connect()
    block(raw, x, "BLMOVE", "{t}1", "{t}3", "LEFT", "RIGHT", "5")
    block(raw, y, "BLMOVE", "{t}2", "{t}3", "LEFT", "RIGHT", "5")
    assert raw.raw("MULTI") == OK
    for k in order:
        raw.raw("RPUSH", k, "v" + k[-1])
    assert raw.raw("EXEC") == array(integer(1), integer(1))
    assert read_raw(x) == bulk("v1")
    assert read_raw(y) == bulk("v2")
    assert raw.raw("LRANGE", "{t}3", "0", "-1") == bulks(*["v" + k[-1] for k in order])


def test_push_then_delete_in_one_transaction_wakes_nobody(raw, connect):
    c = connect()
    block(raw, c, "BLPOP", "{t}k", "5")
    for undo in (["DEL", "{t}k"], ["LPOP", "{t}k"], ["RENAME", "{t}k", "{t}other"]):
        assert raw.raw("MULTI") == OK
        raw.raw("LPUSH", "{t}k", "a")
        raw.raw(*undo)
        assert raw.raw("EXEC").startswith(b"*2\r\n:1\r\n")
        assert still_blocked(raw, c), undo
    # all that is left when EXEC ends is what gets served
    assert raw.raw("MULTI") == OK
    raw.raw("LPUSH", "{t}k", "a", "b")
    raw.raw("LPOP", "{t}k")
    raw.raw("RPUSH", "{t}k", "c")
    assert raw.raw("EXEC") == array(integer(2), bulk("b"), integer(2))
    assert read_raw(c) == bulks("{t}k", "a")
    assert raw.raw("LRANGE", "{t}k", "0", "-1") == bulks("c")


def test_transaction_serves_from_the_final_state(raw, connect):
    cs = [connect() for _ in range(3)]
    for c in cs:
        block(raw, c, "BLPOP", "k", "5")
    assert raw.raw("MULTI") == OK
    raw.raw("RPUSH", "k", "a")
    raw.raw("RPUSH", "k", "b")
    raw.raw("LPUSH", "k", "z")
    assert raw.raw("EXEC") == array(integer(1), integer(2), integer(3))
    assert [read_raw(c) for c in cs] == [bulks("k", "z"), bulks("k", "a"), bulks("k", "b")]


def test_zset_readied_then_emptied_in_transaction(raw, connect):
    c = connect(3)
    block(raw, c, "BZPOPMIN", "{t}z", "5")
    assert raw.raw("MULTI") == OK
    raw.raw("ZADD", "{t}z", "1", "a")
    raw.raw("ZREM", "{t}z", "a")
    assert raw.raw("EXEC") == array(integer(1), integer(1))
    assert still_blocked(raw, c)
    assert raw.raw("ZADD", "{t}z", "2", "b") == integer(1)
    assert read_raw(c) == array(bulk("{t}z"), bulk("b"), b",2\r\n")


# ------------------------------------------------------------------ moves

def test_chain_of_moves(raw, connect):
    a, b, c, d = shard_keys("bchain:", 4)
    m1, m2, p = connect(), connect(), connect()
    block(raw, m1, "BLMOVE", a, b, "LEFT", "RIGHT", "5")
    block(raw, m2, "BRPOPLPUSH", b, c, "5")
    block(raw, p, "BLPOP", d, c, "5")
    assert raw.raw("RPUSH", a, "x") == integer(1)
    assert read_raw(m1) == bulk("x")
    assert read_raw(m2) == bulk("x")
    assert read_raw(p) == bulks(c, "x")
    assert raw.raw("EXISTS", a, b, c, d) == integer(0)


def test_circular_moves(raw, connect):
    a, b = shard_keys("bcirc:", 2)
    m1, m2 = connect(), connect()
    block(raw, m1, "BRPOPLPUSH", a, b, "5")
    block(raw, m2, "BRPOPLPUSH", b, a, "5")
    assert raw.raw("RPUSH", a, "x") == integer(1)
    assert read_raw(m1) == bulk("x")
    assert read_raw(m2) == bulk("x")
    assert raw.raw("LRANGE", a, "0", "-1") == bulks("x")
    assert raw.raw("EXISTS", b) == integer(0)


def test_self_referencing_move(raw, connect):
    m, p = connect(), connect()
    block(raw, m, "BLMOVE", "k", "k", "LEFT", "RIGHT", "5")
    block(raw, p, "BLPOP", "k", "5")
    assert raw.raw("RPUSH", "k", "x", "y") == integer(2)
    assert read_raw(m) == bulk("x")
    # the rotated list then serves the next waiter
    assert read_raw(p) == bulks("k", "y")
    assert raw.raw("LRANGE", "k", "0", "-1") == bulks("x")


def test_move_into_a_wrong_type_destination_after_blocking(raw, connect):
    """The source had no data at call time, so the destination's type was
    not looked at: the client blocks, and when an element comes it gets
    WRONGTYPE, the element stays, and the next waiter gets it."""
    src, dst = shard_keys("bwdst:", 2)
    assert raw.raw("SET", dst, "str") == OK
    m, p = connect(), connect()
    block(raw, m, "BLMOVE", src, dst, "LEFT", "RIGHT", "5")
    block(raw, p, "BLPOP", src, "5")
    assert raw.raw("RPUSH", src, "x") == integer(1)
    assert read_raw(m) == WRONGTYPE
    assert read_raw(p) == bulks(src, "x")
    assert raw.raw("GET", dst) == bulk("str")


def test_wrong_type_destination_alone_keeps_the_element(raw, connect):
    src, dst = shard_keys("bwdst2:", 2)
    assert raw.raw("SET", dst, "str") == OK
    m = connect()
    block(raw, m, "BRPOPLPUSH", src, dst, "5")
    assert raw.raw("RPUSH", src, "x") == integer(1)
    assert read_raw(m) == WRONGTYPE
    assert raw.raw("LRANGE", src, "0", "-1") == bulks("x")


def test_timeout_of_a_move_leaves_both_keys(connect):
    c = connect(3)
    reply, _ = timed_raw(c, "BLMOVE", "k", "d", "LEFT", "RIGHT", "0.05")
    assert reply == NULL3
    assert c.raw("EXISTS", "k", "d") == integer(0)
