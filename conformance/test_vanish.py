"""Clients that go away while their command waits: for a lock another
transaction holds, for CLIENT PAUSE to end, for work on another shard. The
server must forget them and keep serving everyone else (on kevy each case
was once a use-after-free or a hung connection; each test failed before its
fix). They hold on Redis too: there they are plain sequences of commands.

The long randomized version of all this is test_chaos.py."""

import time

from helpers import OK, spread_keys, wait_until
from resp_client import encode


def _client_id(c):
    return c.value("CLIENT", "ID")


def _alive(connect):
    fresh = connect()
    return fresh.call("PING")[0] == "PONG"


def test_exec_with_cross_shard_coordinations_keeps_the_connection(raw):
    """A coordination nested in EXEC (RENAME of keys on two shards) once
    left the connection counted as busy forever: EXEC answered, then the
    next command never did."""
    a, b, c = spread_keys(3, "vanish:ren:")
    assert raw.raw("SET", a, "v") == OK
    assert raw.raw("MULTI") == OK
    for cmd in (["RENAME", a, b], ["RENAME", b, c], ["SMOVE", "vanish:s1", "vanish:s2", "m"]):
        assert raw.raw(*cmd) == b"+QUEUED\r\n"
    assert raw.raw("EXEC") == b"*3\r\n+OK\r\n+OK\r\n:0\r\n"
    assert raw.raw("PING") == b"+PONG\r\n"
    assert raw.raw("GET", c) == b"$1\r\nv\r\n"


def test_paused_client_killed_while_waiting(raw, connect):
    """A client held by CLIENT PAUSE, then killed: the pause's retry list
    once kept a pointer to the freed connection."""
    victim = connect()
    vid = _client_id(victim)
    assert raw.raw("CLIENT", "PAUSE", "400", "WRITE") == OK
    victim.send("SET", "vanish:paused", "1")
    time.sleep(0.05)
    assert raw.value("CLIENT", "KILL", "ID", vid) == 1
    time.sleep(0.2)  # the retry runs at every tick while the pause lasts
    assert raw.raw("CLIENT", "UNPAUSE") == OK
    assert _alive(connect)


def test_paused_client_disconnects_while_waiting(raw, connect):
    victim = connect()
    vid = b"id=%d " % _client_id(victim)
    assert raw.raw("CLIENT", "PAUSE", "300", "WRITE") == OK
    victim.send("SET", "vanish:paused2", "1")
    time.sleep(0.05)
    victim.close()
    time.sleep(0.35)
    assert _alive(connect)
    assert wait_until(lambda: vid not in raw.value("CLIENT", "LIST"))


def test_lock_waiter_killed_while_transaction_runs(raw, connect):
    """A long cross-shard EXEC holds its keys' locks; clients whose
    commands touch those keys wait for them, and are killed meanwhile. When
    the transaction released its locks the lock queue once woke a freed
    connection."""
    keys = spread_keys(8, "vanish:lock:")
    steps = 4000  # each step on another shard is a round trip: the locks stay held
    body = [encode(["MULTI"])]
    body += [encode(["INCR", keys[i % len(keys)]]) for i in range(steps)]
    body.append(encode(["EXEC"]))
    raw.send_raw(b"".join(body))
    waiters = [connect() for _ in range(12)]
    ids = [_client_id(w) for w in waiters]
    for w in waiters:
        w.send("GET", keys[0])
        w.send("EXISTS", keys[1], keys[2], keys[3])
    for i in ids:
        raw_kill = connect()
        raw_kill.value("CLIENT", "KILL", "ID", i)
    replies = [value for value, _ in raw.read_many(steps + 2)]
    assert replies[0] == "OK"
    assert replies[-1] == [i // len(keys) + 1 for i in range(steps)]
    assert _alive(connect)
    total = sum(int(v or 0) for v in raw.value("MGET", *keys))
    assert total == steps
