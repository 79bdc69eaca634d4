"""Blocked clients and the other clients around them: CLIENT UNBLOCK
(TIMEOUT and ERROR, and its errors), WAIT as a server without replicas
answers it, CLIENT KILL of a blocked client, a blocked client that goes away
(what it waited for is not lost), CLIENT PAUSE while clients are blocked,
SHUTDOWN with blocked clients.

Redis 7.0.15, as these tests pin down:
- CLIENT UNBLOCK answers 1 only for a client blocked by a blocking command
  (or WAIT); TIMEOUT makes it answer its timeout reply, ERROR makes it
  answer "-UNBLOCKED client unblocked via CLIENT UNBLOCK"; the reason is
  checked before the id, which must be an integer;
- WAIT parses numreplicas before the timeout (milliseconds, an integer);
  with no replicas it answers 0: at once for numreplicas <= 0 or inside
  MULTI, after the timeout otherwise, never for timeout 0 (until CLIENT
  UNBLOCK);
- CLIENT PAUSE WRITE holds the writes that would serve a blocked client and
  a new blocking command (a write command), but blocked clients still time
  out and can be unblocked; WAIT is not held;
- SHUTDOWN closes blocked clients' connections without a reply.
- Not specified: Redis 7.0.15 crashes (a panic in
  replyToBlockedClientTimedOut) on CLIENT UNBLOCK of a client held by
  CLIENT PAUSE; the kevy-only test below asks for 0 instead."""

import socket
import time

import pytest

from blocking_helpers import (BLOCKERS, NIL_ARRAY, UNBLOCKED, bcmd, block, bulks, client_id, fill,
                              is_blocked, length, read_raw, served, served_first, shard_keys,
                              silent, still_blocked, timed_out, timed_raw, wait_gone)
from helpers import OK, array, err, integer
from resp_client import RespClient, ServerClosed

BOUND = 0.4  # see test_blocking_serve.py: Redis times out on its 10 Hz cron


def unblock(admin, c, *reason):
    return admin.raw("CLIENT", "UNBLOCK", str(client_id(c)), *reason)


# ------------------------------------------------------------ CLIENT UNBLOCK

@pytest.mark.parametrize("name", BLOCKERS)
@pytest.mark.parametrize("proto", [2, 3])
def test_unblock_timeout_and_error(raw, connect, name, proto):
    c = connect(proto)
    block(raw, c, *bcmd(name, "k", "0"))
    assert unblock(raw, c) == integer(1)
    assert read_raw(c) == timed_out(proto)
    block(raw, c, *bcmd(name, "k", "5"))
    assert unblock(raw, c, "TIMEOUT") == integer(1)
    assert read_raw(c) == timed_out(proto)
    block(raw, c, *bcmd(name, "k", "5"))
    assert unblock(raw, c, "error") == integer(1)
    assert read_raw(c) == UNBLOCKED
    assert unblock(raw, c, "ERROR") == integer(0)
    # unblocked means gone from the key's queue: the next element stays
    assert fill(raw, name, "k", "a") == integer(1)
    assert silent(c)
    assert c.raw(*bcmd(name, "k", "0")) == served(name, "k", "a", proto)


def test_unblock_one_of_several(raw, connect):
    a, b = connect(), connect()
    block(raw, a, "BLPOP", "k", "5")
    block(raw, b, "BLPOP", "k", "5")
    assert unblock(raw, a, "ERROR") == integer(1)
    assert read_raw(a) == UNBLOCKED
    assert still_blocked(raw, b)
    assert raw.raw("RPUSH", "k", "x") == integer(1)
    assert read_raw(b) == bulks("k", "x")
    assert a.raw("PING") == b"+PONG\r\n"


def test_unblock_not_blocked(raw, connect):
    c = connect()
    assert unblock(raw, c) == integer(0)
    assert unblock(raw, c, "ERROR") == integer(0)
    assert raw.raw("CLIENT", "UNBLOCK", str(client_id(raw))) == integer(0)
    for cid in ("0", "-1", "-5", "999999999"):
        assert raw.raw("CLIENT", "UNBLOCK", cid) == integer(0)
        assert raw.raw("CLIENT", "UNBLOCK", cid, "ERROR") == integer(0)
    assert c.raw("PING") == b"+PONG\r\n"


def test_unblock_errors(raw):
    notint = err("ERR value is not an integer or out of range")
    reason = err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
    assert raw.raw("CLIENT", "UNBLOCK") == \
        err("ERR wrong number of arguments for 'client|unblock' command")
    for cid in ("x", "", "1.5", "99999999999999999999", " 1"):
        assert raw.raw("CLIENT", "UNBLOCK", cid) == notint, cid
    assert raw.raw("CLIENT", "UNBLOCK", "1", "foo") == reason
    assert raw.raw("CLIENT", "UNBLOCK", "x", "foo") == reason  # reason first
    assert raw.raw("CLIENT", "UNBLOCK", "1", "TIMEOUT", "x") == err(
        "ERR unknown subcommand or wrong number of arguments for 'UNBLOCK'. Try CLIENT HELP.")
    assert raw.raw("client", "unblock", "1", "timeout", "x") == err(
        "ERR unknown subcommand or wrong number of arguments for 'unblock'. Try CLIENT HELP.")


def test_unblock_from_a_connection_on_another_shard(raw, connect):
    """Whichever shards the blocked client and the unblocker live on."""
    waiters = [connect(3) for _ in range(6)]
    keys = shard_keys("bunb:", 6)
    for w, k in zip(waiters, keys):
        block(raw, w, "BZPOPMIN", k, "5")
    others = [connect() for _ in range(6)]
    for w, o in zip(waiters, others):
        assert unblock(o, w, "ERROR") == integer(1)
        assert read_raw(w) == UNBLOCKED


# ---------------------------------------------------------------- WAIT

def test_wait_without_replicas(raw, raw3):
    for c in (raw, raw3):
        assert c.raw("WAIT", "0", "0") == integer(0)
        assert c.raw("WAIT", "-1", "100") == integer(0)
        assert c.raw("WAIT", "0", "9223372036854775807") == integer(0)
        reply, dt = timed_raw(c, "WAIT", "1", "100")
        assert reply == integer(0) and dt >= 0.1


def test_wait_timeout_precision(raw):
    times = []
    for _ in range(3):
        reply, dt = timed_raw(raw, "WAIT", "2", "100")
        assert reply == integer(0) and dt >= 0.1
        times.append(dt)
    assert sorted(times)[1] < BOUND, times


def test_wait_errors(raw):
    notint = err("ERR value is not an integer or out of range")
    tnotint = err("ERR timeout is not an integer or out of range")
    assert raw.raw("WAIT", "x", "0") == notint
    assert raw.raw("WAIT", "1.5", "0") == notint
    assert raw.raw("WAIT", "99999999999999999999", "0") == notint
    assert raw.raw("WAIT", "x", "-1") == notint      # numreplicas first
    assert raw.raw("WAIT", "0", "x") == tnotint
    assert raw.raw("WAIT", "0", "1.5") == tnotint
    assert raw.raw("WAIT", "0", "9223372036854775808") == tnotint
    assert raw.raw("WAIT", "0", "-1") == err("ERR timeout is negative")
    assert raw.raw("WAIT", "1", "-1") == err("ERR timeout is negative")


def test_wait_zero_blocks_until_unblocked(raw, connect):
    c = connect(3)
    block(raw, c, "WAIT", "1", "0")
    assert still_blocked(raw, c, 0.3)
    assert unblock(raw, c) == integer(1)
    assert read_raw(c) == integer(0)
    block(raw, c, "WAIT", "5", "0")
    assert unblock(raw, c, "ERROR") == integer(1)
    assert read_raw(c) == UNBLOCKED
    block(raw, c, "WAIT", "1", "10000")
    assert unblock(raw, c, "TIMEOUT") == integer(1)
    assert read_raw(c) == integer(0)


def test_wait_in_multi(raw):
    assert raw.raw("MULTI") == OK
    assert raw.raw("WAIT", "1", "0") == b"+QUEUED\r\n"
    assert raw.raw("WAIT", "0", "x") == b"+QUEUED\r\n"
    reply, dt = timed_raw(raw, "EXEC")
    assert reply == array(integer(0), err("ERR timeout is not an integer or out of range"))
    assert dt < 1


# ------------------------------------------------- kills and disconnects

def test_kill_a_blocked_client(raw, connect):
    k1, k2 = shard_keys("bkill:", 2)
    a, b = connect(), connect()
    block(raw, a, "BLPOP", k1, k2, "0")
    block(raw, b, "BLPOP", k2, "5")
    assert raw.raw("CLIENT", "KILL", "ID", str(client_id(a))) == integer(1)
    assert a.is_closed()
    # b is now first in line on k2, and nothing waits on k1 any more
    assert raw.raw("RPUSH", k1, "x") == integer(1)
    assert raw.raw("RPUSH", k2, "y") == integer(1)
    assert read_raw(b) == bulks(k2, "y")
    assert raw.raw("LRANGE", k1, "0", "-1") == bulks("x")


@pytest.mark.parametrize("name", BLOCKERS)
def test_disconnected_waiter_loses_nothing(raw, connect, name):
    a, b = connect(), connect(3)
    block(raw, a, *bcmd(name, "k", "0"))
    block(raw, b, *bcmd(name, "k", "5"))
    a.close()
    wait_gone(raw, a)
    assert fill(raw, name, "k", "a", "b") == integer(2)
    assert read_raw(b) == served_first(name, "k", 3)
    assert length(raw, name, "k") == integer(1)


def test_many_disconnected_waiters(raw, connect):
    """Only waiters still connected get anything; every element is somewhere."""
    keys = shard_keys("bdisc:", 4)
    gone = [connect() for _ in range(8)]
    for i, c in enumerate(gone):
        block(raw, c, "BRPOP", keys[i % 4], keys[(i + 1) % 4], "0")
    stay = connect()
    block(raw, stay, "BLPOP", keys[0], "5")
    for c in gone:
        c.close()
    for c in gone:
        wait_gone(raw, c)
    for k in keys:
        assert raw.raw("RPUSH", k, "x", "y") == integer(2)
    assert read_raw(stay) == bulks(keys[0], "x")
    assert [raw.raw("LLEN", k) for k in keys] == [integer(1)] + [integer(2)] * 3


def test_disconnect_while_blocked_then_reconnect(raw, connect):
    for _ in range(20):
        c = connect()
        block(raw, c, "BLMOVE", "k", "d", "LEFT", "RIGHT", "0")
        c.close()
        wait_gone(raw, c)
    assert raw.raw("RPUSH", "k", "a") == integer(1)
    assert raw.raw("LRANGE", "k", "0", "-1") == bulks("a")
    assert raw.raw("EXISTS", "d") == integer(0)


# ---------------------------------------------------------- CLIENT PAUSE

@pytest.fixture
def unpause(raw):
    yield
    raw.call("CLIENT", "UNPAUSE")


def test_pause_write_holds_the_push_not_the_waiter(raw, connect, unpause):
    c, w = connect(), connect()
    block(raw, c, "BLPOP", "k", "5")
    assert raw.raw("CLIENT", "PAUSE", "5000", "WRITE") == OK
    w.send("RPUSH", "k", "a")
    assert silent(w, 0.3)
    assert still_blocked(raw, c, 0.05)
    assert raw.raw("CLIENT", "UNPAUSE") == OK
    assert read_raw(w) == integer(1)
    assert read_raw(c) == bulks("k", "a")


@pytest.mark.parametrize("mode", ["WRITE", "ALL"])
def test_blocked_clients_time_out_during_pause(raw, connect, unpause, mode):
    c = connect()
    block(raw, c, "BLPOP", "k", "0.4")
    # short: under PAUSE ALL even CLIENT UNPAUSE waits for the pause to end
    assert raw.raw("CLIENT", "PAUSE", "1500", mode) == OK
    t = time.monotonic()
    assert read_raw(c) == NIL_ARRAY
    assert time.monotonic() - t < 1.2  # not held until the pause ends


def test_blocked_client_unblocked_during_pause(raw, connect, unpause):
    c = connect()
    block(raw, c, "BZPOPMAX", "z", "5")
    assert raw.raw("CLIENT", "PAUSE", "5000", "WRITE") == OK
    assert unblock(raw, c, "ERROR") == integer(1)
    assert read_raw(c) == UNBLOCKED


def test_pause_write_holds_a_new_blocking_command(raw, connect, unpause):
    """Blocking pops are write commands: held even when the key has data."""
    assert raw.raw("RPUSH", "k", "a") == integer(1)
    c = connect()
    client_id(c)
    assert raw.raw("CLIENT", "PAUSE", "5000", "WRITE") == OK
    c.send("BLPOP", "k", "5")
    assert silent(c, 0.3)
    assert raw.raw("LLEN", "k") == integer(1)
    assert raw.raw("CLIENT", "UNPAUSE") == OK
    assert read_raw(c) == bulks("k", "a")


def test_wait_is_not_held_by_pause_write(raw, connect, unpause):
    c = connect()
    assert raw.raw("CLIENT", "PAUSE", "5000", "WRITE") == OK
    reply, dt = timed_raw(c, "WAIT", "0", "0")
    assert reply == integer(0) and dt < 0.3


# -------------------------------------------------------------- SHUTDOWN

@pytest.mark.restart
def test_shutdown_closes_blocked_clients(server_factory):
    srv = server_factory()
    with RespClient(srv.host, srv.port) as admin, RespClient(srv.host, srv.port) as a, \
            RespClient(srv.host, srv.port) as w:
        block(admin, a, "BLPOP", "k", "0")
        block(admin, w, "WAIT", "1", "0")
        admin.send("SHUTDOWN", "NOSAVE")
        assert admin.is_closed(timeout=10)
        assert a.is_closed(timeout=5)
        assert w.is_closed(timeout=5)
    assert srv.wait_exit(timeout=10) == 0


# ------------------------------------------------------------ kevy only

def _exactly_once(raw, c, elem):
    """Waiter c on "k" either reads elem, or the server closes it first and
    elem is back in "k": never both, never neither."""
    try:
        got = [read_raw(c)]
    except (ServerClosed, ConnectionError):
        got = []
    wait_gone(raw, c)
    # The put-back is a message of its own to the key's shard: it may land
    # just after the client is gone. Wait for it (when the reply came, a
    # wrong put-back gets the same time to show up).
    deadline = time.monotonic() + (0.1 if got else 5.0)
    left = raw.value("LRANGE", "k", "0", "-1")
    while left != [elem.encode()] and time.monotonic() < deadline:
        time.sleep(0.005)
        left = raw.value("LRANGE", "k", "0", "-1")
    assert (got == [bulks("k", elem)]) != (left == [elem.encode()]), (got, left)
    assert raw.raw("DEL", "k") in (integer(0), integer(1))


@pytest.mark.kevy_only
def test_kill_right_after_the_push_loses_nothing(raw, connect):
    """RPUSH and CLIENT KILL of the waiter in one write: Redis serves the
    waiter, then frees it with the reply unsent, and the element is lost.
    kevy either delivers it before the connection closes or puts it back."""
    for i in range(20):
        c = connect()
        block(raw, c, "BLPOP", "k", "0")
        raw.send_many([["RPUSH", "k", "e%d" % i], ["CLIENT", "KILL", "ID", str(client_id(c))]])
        assert raw.read()[1] == integer(1)
        assert raw.read()[1] == integer(1)
        _exactly_once(raw, c, "e%d" % i)


@pytest.mark.kevy_only
def test_half_closed_waiter_loses_nothing(raw, connect):
    """A waiter that shuts its sending side down right after the push: the
    element is either in the reply it still reads, or back in the list."""
    for i in range(20):
        c = connect()
        block(raw, c, "BRPOP", "k", "0")
        c.sock.shutdown(socket.SHUT_WR)
        assert raw.raw("RPUSH", "k", "e%d" % i) == integer(1)
        _exactly_once(raw, c, "e%d" % i)


@pytest.mark.kevy_only
def test_unblock_of_a_paused_client_is_refused(raw, connect, unpause):
    """Redis 7.0.15 crashes here; kevy answers 0 (the client waits for the
    pause, not in a blocking command) and the held command runs later."""
    c = connect()
    client_id(c)
    assert raw.raw("CLIENT", "PAUSE", "5000", "WRITE") == OK
    c.send("SET", "k", "v")
    assert silent(c, 0.2)
    assert unblock(raw, c) == integer(0)
    assert unblock(raw, c, "ERROR") == integer(0)
    assert raw.raw("CLIENT", "UNPAUSE") == OK
    assert read_raw(c) == OK
    assert not is_blocked(raw, c)
