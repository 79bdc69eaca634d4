"""Pipelining: replies come back in request order and each command sees the
effects of the ones before it, even when consecutive commands hit keys that
live on different shards."""

import threading

from helpers import NIL, OK, bulk, err, integer, spread_keys
from resp_client import encode

KEYS = spread_keys(1000, "p:")


def send_in_background(client, payload):
    """One write of the whole payload, from a thread, so a server that stops
    reading while its replies are unread cannot deadlock the test."""
    failure = []

    def run():
        try:
            client.send_raw(payload)
        except OSError as e:  # reported by the reader's assertions too
            failure.append(e)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, failure


def test_ten_thousand_pipelined_commands(raw):
    cmds, expected = [], []
    value = {}
    for i in range(10000):
        k = KEYS[(i * 7) % len(KEYS)]
        op = i % 4
        if op == 0:
            cmds.append(["SET", k, str(i)])
            expected.append(OK)
            value[k] = i
        elif op == 1:
            cmds.append(["INCR", k])
            value[k] = value.get(k, 0) + 1
            expected.append(integer(value[k]))
        elif op == 2:
            cmds.append(["GET", k])
            expected.append(bulk(str(value[k])) if k in value else NIL)
        else:
            cmds.append(["INCRBY", k, "-3"])
            value[k] = value.get(k, 0) - 3
            expected.append(integer(value[k]))
    payload = b"".join(encode(c) for c in cmds)
    t, failure = send_in_background(raw, payload)
    for i, exp in enumerate(expected):
        got = raw.read()[1]
        assert got == exp, (i, cmds[i], got, exp)
    t.join(10)
    assert not failure
    assert raw.raw("DBSIZE") == integer(len(value))
    assert raw.raw("MGET", *value) == b"*%d\r\n" % len(value) + b"".join(
        bulk(str(v)) for v in value.values())


def test_program_order_interleaved_keys(raw):
    keys = KEYS[:50]
    cmds, expected = [], []
    steps = [
        (lambda k: ["SET", k, "10"], lambda k: OK),
        (lambda k: ["GET", k], lambda k: bulk("10")),
        (lambda k: ["INCR", k], lambda k: integer(11)),
        (lambda k: ["GET", k], lambda k: bulk("11")),
        (lambda k: ["DEL", k], lambda k: integer(1)),
        (lambda k: ["GET", k], lambda k: NIL),
        (lambda k: ["EXISTS", k], lambda k: integer(0)),
        (lambda k: ["INCR", k], lambda k: integer(1)),
        (lambda k: ["SET", k, "v" + k, "GET"], lambda k: bulk("1")),
    ]
    # Step by step, each step over all keys: consecutive commands touch keys
    # in different slots, while each key sees its own commands in order.
    for make, reply in steps:
        for k in keys:
            cmds.append(make(k))
            expected.append(reply(k))
    replies = raw.pipeline(cmds)
    for i, ((_, got), exp) in enumerate(zip(replies, expected)):
        assert got == exp, (i, cmds[i], got, exp)
    assert raw.raw("MGET", *keys) == b"*50\r\n" + b"".join(bulk("v" + k) for k in keys)


def test_pipeline_multi_key_commands_in_order(raw):
    a, b, c = KEYS[1], KEYS[2], KEYS[3]
    replies = raw.pipeline([
        ["MSET", a, "1", b, "2", c, "3"],
        ["MGET", a, b, c],
        ["DEL", a, c],
        ["EXISTS", a, b, c],
        ["MSET", a, "x", c, "y"],
        ["MGET", c, b, a],
        ["INCR", b],
        ["DBSIZE"],
        ["FLUSHDB"],
        ["MGET", a, b, c],
    ])
    assert [w for _, w in replies] == [
        OK,
        b"*3\r\n" + bulk("1") + bulk("2") + bulk("3"),
        integer(2),
        integer(1),
        OK,
        b"*3\r\n" + bulk("y") + bulk("2") + bulk("x"),
        integer(3),
        integer(3),
        OK,
        b"*3\r\n" + NIL + NIL + NIL,
    ]


def test_pipeline_errors_do_not_break_order(raw):
    replies = raw.pipeline([
        ["SET", "s", "abc"],
        ["INCR", "s"],
        ["NOSUCH"],
        ["GET"],
        ["GET", "s"],
        ["SELECT", "1"],
        ["GET", "s"],
        ["SELECT", "0"],
        ["GET", "s"],
    ])
    assert [w for _, w in replies] == [
        OK,
        err("ERR value is not an integer or out of range"),
        err("ERR unknown command 'NOSUCH', with args beginning with: "),
        err("ERR wrong number of arguments for 'get' command"),
        bulk("abc"),
        OK,
        NIL,
        OK,
        bulk("abc"),
    ]


def test_pipeline_select_applies_to_following_commands(raw):
    cmds = []
    for db in range(16):
        cmds += [["SELECT", str(db)], ["SET", KEYS[db], str(db)], ["INCR", KEYS[db]]]
    cmds += [["SELECT", "0"], ["DBSIZE"]]
    replies = raw.pipeline(cmds)
    for db in range(16):
        assert replies[3 * db + 2][1] == integer(db + 1)
    assert replies[-1][1] == integer(1)
    for db in range(16):
        assert raw.raw("SELECT", str(db)) == OK
        assert raw.raw("MGET", *KEYS[:16]) == b"*16\r\n" + b"".join(
            bulk(str(db + 1)) if i == db else NIL for i in range(16))


def test_pipeline_byte_at_a_time(raw):
    payload = b"".join(encode(c) for c in [["SET", "k", "v"], ["GET", "k"], ["PING"]])
    for i in range(len(payload)):
        raw.send_raw(payload[i:i + 1])
    assert [raw.read()[1] for _ in range(3)] == [OK, bulk("v"), b"+PONG\r\n"]


def test_pipeline_redis_py(r):
    p = r.pipeline(transaction=False)
    for k in KEYS[:300]:
        p.set(k, k)
        p.get(k)
        p.delete(k)
    res = p.execute()
    assert res == [x for k in KEYS[:300] for x in (True, k.encode(), 1)]
