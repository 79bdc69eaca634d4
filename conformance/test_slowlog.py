"""SLOWLOG GET / LEN / RESET / HELP: one log for the whole server, whichever
shard a client lives on; slowlog-log-slower-than and slowlog-max-len;
Redis's argument trimming and redaction; ids unique and increasing."""

import pytest

from helpers import OK, bulk, err, integer


@pytest.fixture
def slow(server, connect):
    """Log every command; the settings are put back afterwards."""
    c = connect()
    old = c.value("CONFIG", "GET", "slowlog-*")
    assert c.raw("CONFIG", "SET", "slowlog-log-slower-than", "0", "slowlog-max-len", "128") == OK
    assert c.raw("SLOWLOG", "RESET") == OK
    yield c
    c.call("CONFIG", "SET", *old)
    c.call("SLOWLOG", "RESET")


def entries(c, count="-1"):
    return c.value("SLOWLOG", "GET", count)


def test_entry_format(slow, connect):
    other = connect()
    assert other.raw("CLIENT", "SETNAME", "logger") == OK
    assert other.raw("SET", "k", "v") == OK
    addr = [l for l in slow.value("CLIENT", "LIST").decode().split("\n")
            if "name=logger" in l][0].split(" ")[1][5:]
    e = [x for x in entries(slow) if x[3] == [b"SET", b"k", b"v"]]
    assert len(e) == 1
    sid, ts, dur, args, a, name = e[0]
    assert isinstance(sid, int) and isinstance(ts, int) and isinstance(dur, int)
    assert dur >= 0 and ts > 1600000000
    assert a == addr.encode() and name == b"logger"


def test_get_reply_bytes(slow):
    assert slow.raw("SLOWLOG", "RESET") == OK
    wire = slow.raw("SLOWLOG", "GET", "1")
    assert wire.startswith(b"*1\r\n*6\r\n:")
    assert b"*2\r\n$7\r\nSLOWLOG\r\n$5\r\nRESET\r\n" in wire
    assert slow.raw("SLOWLOG", "GET", "0") == b"*0\r\n"


def test_len_and_reset(slow):
    # the RESET itself is logged after it ran
    assert slow.raw("SLOWLOG", "RESET") == OK
    assert slow.raw("SLOWLOG", "LEN") == integer(1)
    for i in range(5):
        slow.raw("SET", "k:%d" % i, "v")
    assert slow.raw("SLOWLOG", "LEN") == integer(7)


def test_every_shard_logs_into_one_log(slow, connect):
    clients = [connect() for _ in range(12)]
    assert slow.raw("SLOWLOG", "RESET") == OK
    for i, c in enumerate(clients):
        assert c.raw("SET", "key:%d" % i, "v%d" % i) == OK
    got = entries(slow)
    sets = [e for e in got if e[3][0] == b"SET"]
    assert [e[3] for e in sets] == [[b"SET", b"key:%d" % i, b"v%d" % i]
                                    for i in reversed(range(12))]
    ids = [e[0] for e in got]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)


def test_count_argument(slow):
    for i in range(15):
        slow.raw("PING")
    assert len(entries(slow, "3")) == 3
    assert len(slow.value("SLOWLOG", "GET")) == 10
    everything = entries(slow)
    assert len(everything) >= 16
    three = entries(slow, "3")
    assert three[0][3] == [b"SLOWLOG", b"GET", b"-1"] and three[1:] == everything[:2]


def test_max_len(slow):
    assert slow.raw("CONFIG", "SET", "slowlog-max-len", "3") == OK
    for i in range(10):
        slow.raw("SET", "m:%d" % i, "v")
    assert slow.raw("SLOWLOG", "LEN") == integer(3)
    got = entries(slow)
    assert [e[3] for e in got] == [[b"SLOWLOG", b"LEN"], [b"SET", b"m:9", b"v"],
                                   [b"SET", b"m:8", b"v"]]


def test_slower_than_disables_and_thresholds(slow):
    assert slow.raw("CONFIG", "SET", "slowlog-log-slower-than", "-1") == OK
    assert slow.raw("SLOWLOG", "RESET") == OK
    slow.raw("SET", "a", "b")
    assert slow.raw("SLOWLOG", "LEN") == integer(0)
    assert slow.raw("CONFIG", "SET", "slowlog-log-slower-than", "10000000") == OK
    slow.raw("SET", "a", "b")
    assert slow.raw("SLOWLOG", "LEN") == integer(0)


def test_trimming(slow):
    slow.raw("RPUSH", "l", *[str(i) for i in range(40)])
    slow.raw("SET", "s", "x" * 200)
    got = entries(slow, "2")
    assert got[1][3] == [b"RPUSH", b"l"] + [str(i).encode() for i in range(29)] + \
        [b"... (11 more arguments)"]
    assert got[0][3] == [b"SET", b"s", b"x" * 128 + b"... (72 more bytes)"]


def test_exactly_32_arguments_are_kept(slow):
    slow.raw("RPUSH", "l", *[str(i) for i in range(30)])
    assert entries(slow, "1")[0][3] == [b"RPUSH", b"l"] + [str(i).encode() for i in range(30)]


def test_auth_is_redacted(slow):
    slow.call("AUTH", "secret")
    slow.call("AUTH", "default", "secret")
    slow.call("HELLO", "2", "AUTH", "default", "secret", "SETNAME", "n")
    got = [e[3] for e in entries(slow, "3")]
    assert got == [[b"HELLO", b"2", b"AUTH", b"(redacted)", b"(redacted)", b"SETNAME", b"n"],
                   [b"AUTH", b"(redacted)", b"(redacted)"], [b"AUTH", b"(redacted)"]]


def test_rejected_commands_are_not_logged(slow):
    assert slow.raw("SLOWLOG", "RESET") == OK
    slow.call("GET")
    slow.call("NOSUCHCOMMAND")
    slow.call("SET", "k", "v", "BADOPTION")  # ran, and failed
    got = [e[3] for e in entries(slow)]
    assert got == [[b"SET", b"k", b"v", b"BADOPTION"], [b"SLOWLOG", b"RESET"]]


def test_errors(slow):
    for bad in ("x", "-2", "99999999999999999999", "1.5"):
        assert slow.raw("SLOWLOG", "GET", bad) == err("ERR count should be greater than or equal to -1")
    assert slow.raw("SLOWLOG", "GET", "1", "2") == err(
        "ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP.")
    assert slow.raw("SLOWLOG", "LEN", "x") == err("ERR wrong number of arguments for 'slowlog|len' command")
    assert slow.raw("SLOWLOG", "RESET", "x") == err("ERR wrong number of arguments for 'slowlog|reset' command")
    assert slow.raw("SLOWLOG") == err("ERR wrong number of arguments for 'slowlog' command")
    assert slow.raw("SLOWLOG", "FOO") == err("ERR unknown subcommand 'FOO'. Try SLOWLOG HELP.")


def test_help(raw):
    lines = [
        "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET [<count>]",
        "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
        "    Entries are made of:",
        "    id, timestamp, time in microseconds, arguments array, client IP and port,",
        "    client name",
        "LEN",
        "    Return the length of the slowlog.",
        "RESET",
        "    Reset the slowlog.",
        "HELP",
        "    Prints this help.",
    ]
    assert raw.raw("SLOWLOG", "HELP") == \
        b"*12\r\n" + b"".join(b"+" + l.encode() + b"\r\n" for l in lines)


def test_resp3(slow, raw3):
    value, wire = raw3.call("SLOWLOG", "GET", "1")
    assert wire.startswith(b"*1\r\n*6\r\n:")
    assert raw3.raw("SLOWLOG", "LEN")[:1] == b":"
