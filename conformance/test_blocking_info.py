"""What the server says about blocked clients: INFO clients
(blocked_clients, clients_in_timeout_table), CLIENT LIST (flags=b, cmd=),
INFO commandstats and errorstats, SLOWLOG and MONITOR.

Redis 7.0.15, as these tests pin down:
- clients_in_timeout_table counts blocked clients with a timeout other
  than 0; blocked_clients counts all of them, WAIT included;
- commandstats count a blocking command once, when it is called: a client
  still blocked is already counted, being served or timing out adds no call;
  CLIENT UNBLOCK adds a failed call to the unblocked command whether the
  reason is TIMEOUT or ERROR (only ERROR is an error reply in errorstats);
  an error given when served (WRONGTYPE from a BLMOVE destination) is a
  failed call and an error reply;
- SLOWLOG logs a blocking command when it is served, after the command that
  served it, with its own arguments and client, and without the time it
  waited; a timed-out or disconnected one is not logged;
- MONITOR shows a blocking command once, when it is called (so before the
  push that serves it), never when it is served."""

import contextlib
import re
import time

import pytest

from blocking_helpers import (UNBLOCKED, WRONGTYPE, block, bulks, client_id, client_line,
                              read_raw, silent, wait_blocked, wait_gone)
from helpers import OK, array, bulk, info_fields, integer, wait_until


def settled(read, timeout=2.0):
    """A counter once it stops moving (a previous test's clients may still
    be on their way out)."""
    last = [read()]

    def still():
        time.sleep(0.05)
        now = read()
        same = now == last[0]
        last[0] = now
        return same

    wait_until(still, timeout=timeout, interval=0)
    return last[0]


def clients_info(c):
    f = info_fields(c, "clients")
    return int(f["blocked_clients"]), int(f["clients_in_timeout_table"])


# ------------------------------------------------------------- INFO clients

def test_info_counts_blocked_clients(raw, connect):
    b0, t0 = settled(lambda: clients_info(raw))
    cs = [connect() for _ in range(4)]
    block(raw, cs[0], "BLPOP", "k", "0")
    assert clients_info(raw) == (b0 + 1, t0)
    block(raw, cs[1], "BZPOPMIN", "z", "30")
    assert clients_info(raw) == (b0 + 2, t0 + 1)
    block(raw, cs[2], "WAIT", "1", "0")
    assert clients_info(raw) == (b0 + 3, t0 + 1)
    block(raw, cs[3], "WAIT", "1", "30000")
    assert clients_info(raw) == (b0 + 4, t0 + 2)
    assert raw.raw("RPUSH", "k", "a") == integer(1)
    assert read_raw(cs[0]) == bulks("k", "a")
    assert clients_info(raw) == (b0 + 3, t0 + 2)
    assert raw.raw("CLIENT", "UNBLOCK", str(client_id(cs[1]))) == integer(1)
    assert read_raw(cs[1]) == b"*-1\r\n"
    assert clients_info(raw) == (b0 + 2, t0 + 1)
    cs[2].close()
    cs[3].close()
    wait_gone(raw, cs[2])
    wait_gone(raw, cs[3])
    assert clients_info(raw) == (b0, t0)


def test_info_after_timeout_and_kill(raw, connect):
    b0, t0 = settled(lambda: clients_info(raw))
    a, b = connect(), connect()
    block(raw, b, "BRPOPLPUSH", "k", "d", "10")
    assert clients_info(raw) == (b0 + 1, t0 + 1)
    assert a.raw("BLMPOP", "0.1", "1", "k", "LEFT") == b"*-1\r\n"
    assert clients_info(raw) == (b0 + 1, t0 + 1)
    assert raw.raw("CLIENT", "KILL", "ID", str(client_id(b))) == integer(1)
    assert clients_info(raw) == (b0, t0)


# -------------------------------------------------------------- CLIENT LIST

@pytest.mark.parametrize("cmd", [
    ["BLPOP", "k", "0"], ["BRPOP", "a", "b", "5"], ["BRPOPLPUSH", "a", "b", "5"],
    ["BLMOVE", "a", "b", "LEFT", "LEFT", "5"], ["BLMPOP", "5", "2", "a", "b", "RIGHT"],
    ["BZPOPMIN", "z", "5"], ["BZPOPMAX", "z", "0"], ["BZMPOP", "0", "1", "z", "MAX"],
    ["WAIT", "1", "0"], ["blpop", "k", "0"],
])
def test_client_list_shows_blocked(raw, connect, cmd):
    c = connect()
    block(raw, c, *cmd)
    line = client_line(raw, c)
    assert line["flags"] == "b" and line["cmd"] == cmd[0].lower(), line
    assert raw.raw("CLIENT", "UNBLOCK", str(client_id(c))) == integer(1)
    read_raw(c)
    line = client_line(raw, c)
    assert line["flags"] == "N" and line["cmd"] == cmd[0].lower(), line


def test_client_info_after_being_served(raw, connect):
    c = connect()
    client_id(c)
    c.send_many([["BLPOP", "k", "5"], ["CLIENT", "INFO"]])
    wait_blocked(raw, c)
    assert client_line(raw, c)["cmd"] == "blpop"
    assert raw.raw("RPUSH", "k", "a") == integer(1)
    assert read_raw(c) == bulks("k", "a")
    info = c.read()[0].decode()
    assert " flags=N " in info and " cmd=client|info " in info


# -------------------------------------------------------- commandstats

def cmdstat(c, name):
    text = info_fields(c, "commandstats").get("cmdstat_" + name, "")
    fields = dict(kv.split("=") for kv in text.split(",")) if text else {}
    return {k: int(fields.get(k, 0)) for k in ("calls", "rejected_calls", "failed_calls")}


def errorstat(c, code):
    text = info_fields(c, "errorstats").get("errorstat_" + code, "count=0")
    return int(text.split("=")[1])


def delta(before, after):
    return {k: after[k] - before[k] for k in before}


def test_commandstats_count_the_call_when_it_is_made(raw, connect):
    c = connect()
    s0 = cmdstat(raw, "blpop")
    block(raw, c, "BLPOP", "k", "5")
    assert delta(s0, cmdstat(raw, "blpop")) == {"calls": 1, "rejected_calls": 0, "failed_calls": 0}
    assert raw.raw("RPUSH", "k", "a") == integer(1)
    assert read_raw(c) == bulks("k", "a")
    assert delta(s0, cmdstat(raw, "blpop"))["calls"] == 1
    assert c.raw("BLPOP", "k", "0.05") == b"*-1\r\n"
    assert delta(s0, cmdstat(raw, "blpop")) == {"calls": 2, "rejected_calls": 0, "failed_calls": 0}
    block(raw, c, "BLPOP", "k", "5")
    c.close()
    wait_gone(raw, c)
    assert delta(s0, cmdstat(raw, "blpop")) == {"calls": 3, "rejected_calls": 0, "failed_calls": 0}


def test_commandstats_in_multi_and_errors(raw):
    s0 = cmdstat(raw, "bzpopmin")
    assert raw.raw("MULTI") == OK
    raw.raw("BZPOPMIN", "z", "0")
    assert raw.raw("EXEC") == array(b"*-1\r\n")
    assert delta(s0, cmdstat(raw, "bzpopmin"))["calls"] == 1
    assert raw.raw("BZPOPMIN", "z", "x").startswith(b"-ERR timeout")
    assert delta(s0, cmdstat(raw, "bzpopmin")) == {"calls": 2, "rejected_calls": 0,
                                                   "failed_calls": 1}
    assert raw.raw("BZPOPMIN", "z").startswith(b"-ERR wrong number")
    assert delta(s0, cmdstat(raw, "bzpopmin")) == {"calls": 2, "rejected_calls": 1,
                                                   "failed_calls": 1}


def test_commandstats_and_errorstats_of_client_unblock(raw, connect):
    c = connect()
    s0, e0 = cmdstat(raw, "brpop"), errorstat(raw, "UNBLOCKED")
    block(raw, c, "BRPOP", "k", "5")
    assert raw.raw("CLIENT", "UNBLOCK", str(client_id(c)), "TIMEOUT") == integer(1)
    assert read_raw(c) == b"*-1\r\n"
    assert delta(s0, cmdstat(raw, "brpop")) == {"calls": 1, "rejected_calls": 0, "failed_calls": 1}
    assert errorstat(raw, "UNBLOCKED") == e0
    block(raw, c, "BRPOP", "k", "5")
    assert raw.raw("CLIENT", "UNBLOCK", str(client_id(c)), "ERROR") == integer(1)
    assert read_raw(c) == UNBLOCKED
    assert delta(s0, cmdstat(raw, "brpop")) == {"calls": 2, "rejected_calls": 0, "failed_calls": 2}
    assert errorstat(raw, "UNBLOCKED") == e0 + 1


def test_commandstats_of_an_error_when_served(raw, connect):
    c = connect()
    assert raw.raw("SET", "d", "str") == OK
    s0, e0 = cmdstat(raw, "blmove"), errorstat(raw, "WRONGTYPE")
    block(raw, c, "BLMOVE", "k", "d", "LEFT", "RIGHT", "5")
    assert raw.raw("RPUSH", "k", "a") == integer(1)
    assert read_raw(c) == WRONGTYPE
    assert delta(s0, cmdstat(raw, "blmove")) == {"calls": 1, "rejected_calls": 0,
                                                 "failed_calls": 1}
    assert errorstat(raw, "WRONGTYPE") == e0 + 1


# ---------------------------------------------------------------- SLOWLOG

@contextlib.contextmanager
def slowlog(c, slower_than):
    """Set slowlog-log-slower-than and an empty log; put both back after."""
    old = c.value("CONFIG", "GET", "slowlog-*")
    assert c.raw("CONFIG", "SET", "slowlog-log-slower-than", str(slower_than),
                 "slowlog-max-len", "128") == OK
    assert c.raw("SLOWLOG", "RESET") == OK
    try:
        yield
    finally:
        c.call("CONFIG", "SET", *old)
        c.call("SLOWLOG", "RESET")


def logged(c):
    """SLOWLOG entries, oldest first, as (args, client addr, client name)."""
    return [(e[3], e[4], e[5]) for e in reversed(c.value("SLOWLOG", "GET", "-1"))]


def only(entries, *names):
    return [e for e in entries if e[0] and e[0][0] in names]


def test_slowlog_logs_a_served_blocking_command_when_served(raw, connect):
    c = connect()
    assert c.raw("CLIENT", "SETNAME", "waiter") == OK
    addr = client_line(raw, c)["addr"].encode()
    with slowlog(raw, 0):
        block(raw, c, "BLPOP", "k", "5")
        assert only(logged(raw), b"BLPOP") == []
        assert raw.raw("RPUSH", "k", "a") == integer(1)
        assert read_raw(c) == bulks("k", "a")
        # Redis logs the push, then the pop it served. kevy logs each
        # command on its client's shard when its reply is complete, and the
        # two clients may live on different shards: either order (noted in
        # docs/compatibility.md under SLOWLOG).
        assert sorted(only(logged(raw), b"BLPOP", b"RPUSH")) == [
            ([b"BLPOP", b"k", b"5"], addr, b"waiter"),
            ([b"RPUSH", b"k", b"a"], client_line(raw, raw)["addr"].encode(), b"")]
        block(raw, c, "BLMOVE", "k", "d", "LEFT", "RIGHT", "5")
        assert raw.raw("RPUSH", "k", "b") == integer(1)
        assert read_raw(c) == bulk("b")
        assert only(logged(raw), b"BLMOVE") == [
            ([b"BLMOVE", b"k", b"d", b"LEFT", b"RIGHT", b"5"], addr, b"waiter")]


def test_slowlog_skips_timeouts_and_disconnects(raw, connect):
    c, gone = connect(), connect()
    with slowlog(raw, 0):
        assert c.raw("BLPOP", "k", "0.05") == b"*-1\r\n"
        assert c.raw("BZMPOP", "0.05", "1", "z", "MIN") == b"*-1\r\n"
        block(raw, gone, "BRPOP", "k", "5")
        gone.close()
        wait_gone(raw, gone)
        assert only(logged(raw), b"BLPOP", b"BZMPOP", b"BRPOP") == []


def test_slowlog_does_not_count_the_wait(raw, connect):
    c = connect()
    with slowlog(raw, 100000):  # 100 ms
        block(raw, c, "BLPOP", "k", "5")
        time.sleep(0.3)
        assert raw.raw("RPUSH", "k", "a") == integer(1)
        assert read_raw(c) == bulks("k", "a")
        assert c.raw("BLPOP", "k", "0.2") == b"*-1\r\n"
        assert only(logged(raw), b"BLPOP") == []


# ---------------------------------------------------------------- MONITOR

MONITOR_LINE = re.compile(rb'\+\d+\.\d{6} \[(\d+) \S+\] (.*)\r\n')


def monitored(m):
    """The command part of every MONITOR line that arrives until it is quiet."""
    out = []
    while not silent(m, 0.3):
        wire = m.read()[1]
        match = MONITOR_LINE.fullmatch(wire)
        assert match, wire
        out.append(match.group(2))
    return out


def test_monitor_shows_a_blocking_command_once_when_called(raw, connect):
    m, c = connect(), connect()
    client_id(c)
    assert m.raw("MONITOR") == OK
    # Each line is read before the next command is sent: the clients may
    # live on different shards, whose MONITOR lines kevy orders only per
    # shard (docs/compatibility.md), and this is about when a line comes.
    block(raw, c, "BLPOP", "k", "5")
    assert commands(monitored(m)) == [b'"BLPOP" "k" "5"']  # when called
    assert raw.raw("RPUSH", "k", "a") == integer(1)
    assert read_raw(c) == bulks("k", "a")
    assert commands(monitored(m)) == [b'"RPUSH" "k" "a"']  # not again when served
    assert c.raw("BLPOP", "k", "0.05") == b"*-1\r\n"
    assert c.raw("WAIT", "0", "0") == integer(0)
    assert commands(monitored(m)) == [b'"BLPOP" "k" "0.05"', b'"WAIT" "0" "0"']


def commands(lines):
    return [l for l in lines if not l.startswith(b'"CLIENT"')]
