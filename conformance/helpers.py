"""Small shared helpers for the conformance tests (no fixtures here)."""

import time


def err(message):
    """The exact wire bytes of an error reply."""
    return b"-" + message.encode() + b"\r\n"


def arity_err(name):
    return err("ERR wrong number of arguments for '%s' command" % name)


def bulk(data):
    if isinstance(data, str):
        data = data.encode()
    return b"$%d\r\n%s\r\n" % (len(data), data)


def array(*items):
    """RESP2 array of already-encoded items."""
    return b"*%d\r\n" % len(items) + b"".join(items)


def integer(n):
    return b":%d\r\n" % n


NIL = b"$-1\r\n"
NULL3 = b"_\r\n"
OK = b"+OK\r\n"

SYNTAX = err("ERR syntax error")
NOT_INT = err("ERR value is not an integer or out of range")


def spread_keys(n=200, prefix="k:"):
    """Keys whose CRC16 slots spread over the whole slot space, so on a
    sharded server they land on every shard."""
    return ["%s%d" % (prefix, i) for i in range(n)]


def parse_info(body):
    """INFO text -> {section name (lower case): {field: value}}."""
    if isinstance(body, bytes):
        body = body.decode()
    sections = {}
    current = None
    for line in body.split("\r\n"):
        if line.startswith("# "):
            current = sections.setdefault(line[2:].lower(), {})
        elif line and current is not None:
            k, _, v = line.partition(":")
            current[k] = v
    return sections


def info_fields(client, section):
    """One INFO section, read with a raw client, as {field: str value}."""
    body = client.value("INFO", section)
    return parse_info(body).get(section.lower(), {})


def wait_until(predicate, timeout=2.0, interval=0.02):
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def watch_dirtied(connect, setup, command, watched):
    """Does `command` invalidate a WATCH on the keys `watched`?

    A fresh connection runs the `setup` commands (a list of argument lists),
    a second one WATCHes `watched`, the first runs `command`, and the
    watcher's MULTI/PING/EXEC tells: None from EXEC (True here) means the
    watch was invalidated, ["PONG"] (False) means it was not. The two
    connections may sit on different shards of a kevy server, so this also
    checks that a write reaches watchers on another shard."""
    writer, watcher = connect(2), connect(2)
    for args in setup:
        writer.value(*args)
    assert watcher.value("WATCH", *watched) == "OK"
    writer.value(*command)
    assert watcher.value("MULTI") == "OK"
    assert watcher.value("PING") == "QUEUED"
    reply = watcher.value("EXEC")
    writer.close()
    watcher.close()
    assert reply is None or reply == ["PONG"], reply
    return reply is None
