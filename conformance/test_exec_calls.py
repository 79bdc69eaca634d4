"""The commands EXEC runs are calls of their own, as Redis's call() makes
each: INFO commandstats and errorstats count them, SLOWLOG logs them (and
not EXEC), MONITOR shows them after MULTI and before EXEC. The keys are
spread so that, on kevy, the transaction spans shards."""

import re

import pytest

from helpers import OK, err, integer

LINE = re.compile(rb'\+(\d+)\.(\d{6}) \[(\d+) ([0-9.:]+)\] (.*)\r\n')


def stats(c, section):
    text = c.value("INFO", section).decode()
    out = {}
    for line in text.split("\r\n"):
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            out[k] = dict(p.split("=") for p in v.split(","))
    return out


def run_transaction(c):
    assert c.raw("MULTI") == OK
    for args in (("SET", "a", "1"), ("LPUSH", "a", "x"), ("GET", "b"), ("BZPOPMIN", "z", "0")):
        assert c.raw(*args) == b"+QUEUED\r\n"
    value, wire = c.call("EXEC")
    assert wire == (b"*4\r\n+OK\r\n-WRONGTYPE Operation against a key holding the wrong kind "
                    b"of value\r\n$-1\r\n*-1\r\n")


@pytest.fixture
def fresh(connect):
    c = connect()
    old = c.value("CONFIG", "GET", "slowlog-*")
    assert c.raw("CONFIG", "SET", "slowlog-log-slower-than", "0", "slowlog-max-len", "128") == OK
    assert c.raw("CONFIG", "RESETSTAT") == OK
    assert c.raw("SLOWLOG", "RESET") == OK
    yield c
    c.call("CONFIG", "SET", *old)
    c.call("SLOWLOG", "RESET")


def test_commandstats_and_errorstats_count_queued_commands(fresh, connect):
    run_transaction(connect())
    cs = stats(fresh, "commandstats")
    for name, failed in (("set", "0"), ("lpush", "1"), ("get", "0"), ("bzpopmin", "0"),
                         ("multi", "0"), ("exec", "0")):
        assert cs["cmdstat_" + name]["calls"] == "1", name
        assert cs["cmdstat_" + name]["rejected_calls"] == "0", name
        assert cs["cmdstat_" + name]["failed_calls"] == failed, name
    assert stats(fresh, "errorstats") == {"errorstat_WRONGTYPE": {"count": "1"}}


def test_slowlog_logs_queued_commands_not_exec(fresh, connect):
    run_transaction(connect())
    logged = [e[3] for e in fresh.value("SLOWLOG", "GET", "-1")]
    assert logged[:5] == [[b"BZPOPMIN", b"z", b"0"], [b"GET", b"b"], [b"LPUSH", b"a", b"x"],
                          [b"SET", b"a", b"1"], [b"MULTI"]]
    assert [b"EXEC"] not in logged


def test_monitor_shows_queued_commands_between_multi_and_exec(connect):
    mon = connect()
    assert mon.raw("MONITOR") == OK
    run_transaction(connect())
    lines = []
    for _ in range(6):
        match = LINE.fullmatch(mon.read()[1])
        assert match
        lines.append(match.group(5))
    assert lines == [b'"MULTI"', b'"SET" "a" "1"', b'"LPUSH" "a" "x"', b'"GET" "b"',
                     b'"BZPOPMIN" "z" "0"', b'"EXEC"']


def test_aborted_and_discarded_transactions_run_nothing(fresh, connect):
    c = connect()
    assert c.raw("MULTI") == OK
    assert c.raw("SET", "a", "1") == b"+QUEUED\r\n"
    assert c.raw("DISCARD") == OK
    assert c.raw("MULTI") == OK
    assert c.raw("GET", "a") == b"+QUEUED\r\n"
    assert c.raw("GET") == err("ERR wrong number of arguments for 'get' command")
    assert c.raw("EXEC") == err("EXECABORT Transaction discarded because of previous errors.")
    cs = stats(fresh, "commandstats")
    assert "cmdstat_set" not in cs
    assert cs["cmdstat_get"] == {"calls": "0", "usec": "0", "usec_per_call": "0.00",
                                 "rejected_calls": "1", "failed_calls": "0"}
    assert c.raw("EXISTS", "a") == integer(0)
