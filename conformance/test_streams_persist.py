"""Streams in the persistence formats: a dump.rdb with streams and consumer
groups (PELs, consumers, entries-read) exchanged with Redis 7.0.15 both ways
(RDB_TYPE_STREAM_LISTPACKS_2), what the AOF logs for XADD with a generated
ID, for approximate trims and for the group commands (the exact forms Redis 7
propagates: XREADGROUP, XCLAIM and XAUTOCLAIM as XCLAIM ... FORCE JUSTID
LASTID, XGROUP SETID and CREATECONSUMER), a restart on that AOF, and an AOF
rewrite without the RDB preamble (XADD per entry, then XSETID, XGROUP
CREATE, XCLAIM per pending entry, XGROUP CREATECONSUMER) that restarts to
the same streams and groups."""

import pytest

from helpers import OK, bulk, integer, wait_until
from persist_helpers import (DUMP, aof_base_files, aof_entries, copy_dump, persist_servers,
                             pinfo, read_file)
from test_aof_propagation import AOF, In, Log, expect, serve

pytestmark = pytest.mark.restart


@pytest.fixture
def persist():
    yield from persist_servers()


NODES = ("--stream-node-max-entries", "4")


def fill(c):
    assert c.raw("CONFIG", "SET", "stream-node-max-entries", "4") == OK
    for i in range(1, 30):
        assert c.raw("XADD", "{s}a", "%d-%d" % (i, i % 3), "f%d" % (i % 2), "v", "n", str(i)) \
            == bulk("%d-%d" % (i, i % 3))
    assert c.raw("XDEL", "{s}a", "5-2", "6-0", "7-1", "8-2") == integer(4)
    assert c.raw("XADD", "{s}e", "1-1", "a", "b") == bulk("1-1")
    assert c.raw("XDEL", "{s}e", "1-1") == integer(1)
    assert c.raw("XSETID", "{s}e", "9-9", "ENTRIESADDED", "7", "MAXDELETEDID", "2-0") == OK
    groups(c)


def groups(c):
    """Groups with every part of their state: PELs over several consumers,
    a consumer without pending entries, an unknown entries-read, a numeric
    group name (an integer-encoded RDB string), a long one (compressed)."""
    k = "{s}a"
    assert c.raw("XGROUP", "CREATE", k, "g", "0") == OK
    assert c.raw("XGROUP", "CREATE", k, "12345", "$") == OK
    assert c.raw("XGROUP", "CREATE", k, "x" * 40, "10-1", "ENTRIESREAD", "7") == OK
    assert c.raw("XREADGROUP", "GROUP", "g", "alice", "COUNT", "3", "STREAMS", k, ">")[:1] == b"*"
    assert c.raw("XREADGROUP", "GROUP", "g", "bob", "COUNT", "2", "STREAMS", k, ">")[:1] == b"*"
    assert c.raw("XCLAIM", k, "g", "carol", "0", "2-2", "RETRYCOUNT", "5", "TIME", "1000",
                 "JUSTID") == b"*1\r\n$3\r\n2-2\r\n"
    assert c.raw("XGROUP", "CREATECONSUMER", k, "x" * 40, "idle") == b":1\r\n"
    assert c.raw("XGROUP", "CREATE", "{s}e", "eg", "$") == OK


def state(c):
    return [c.raw(*cmd) for cmd in (("XINFO", "STREAM", "{s}a", "FULL", "COUNT", "0"),
                                    ("XINFO", "STREAM", "{s}e", "FULL"),
                                    ("XINFO", "STREAM", "{s}e"), ("DUMP", "{s}a"),
                                    ("DUMP", "{s}e"))]


@pytest.mark.parametrize("way", ["server-to-redis", "redis-to-server"])
def test_rdb_exchange(persist, way):
    src = persist.dir("src")
    first = persist.start(src) if way == "server-to-redis" else persist.oracle(src)
    c = persist.client(first)
    fill(c)
    want = state(c)
    assert c.raw("SAVE") == OK
    dst = persist.dir("dst")
    copy_dump(src, dst, DUMP)
    second = persist.oracle(dst) if way == "server-to-redis" else persist.start(dst)
    assert state(persist.client(second)) == want


def test_aof_logs_exact_forms(persist):
    d, _, c = serve(persist)
    log = Log(d)
    k = "{t}s"
    expect(c, log, ("XADD", k, "1-1", "a", "b"), ("XADD", k, "1-1", "a", "b"))
    expect(c, log, ("XADD", k, "1-*", "a", "b"), ("XADD", k, "1-2", "a", "b"))
    r = c.raw("XADD", k, "*", "a", "b")
    gen = r.split(b"\r\n")[1]
    assert log.new() == [(b"XADD", k.encode(), gen, b"a", b"b")]
    expect(c, log, ("XADD", k, "MAXLEN", "~", "1", "9999999999999-1", "a", "b"),
           ("XADD", k, "MAXLEN", "=", "4", "9999999999999-1", "a", "b"))
    expect(c, log, ("XTRIM", k, "MAXLEN", "~", "0"), ("XTRIM", k, "MAXLEN", "=", "0"))
    expect(c, log, ("XTRIM", k, "MAXLEN", "2"))                  # nothing left to remove
    expect(c, log, ("XDEL", k, "1-1"))
    expect(c, log, ("XSETID", k, "9999999999999-5"), ("XSETID", k, "9999999999999-5"))


def test_aof_logs_group_forms(persist):
    d, _, c = serve(persist)
    log = Log(d)
    k = "{t}s"
    for i in (1, 2, 3):
        expect(c, log, ("XADD", k, "%d-1" % i, "f", "v"), ("XADD", k, "%d-1" % i, "f", "v"))
    expect(c, log, ("XGROUP", "CREATE", k, "g", "0"), ("XGROUP", "CREATE", k, "g", "0"))
    expect(c, log, ("XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", k, ">"),
           ("XCLAIM", k, "g", "alice", "0", "1-1", "TIME", In(0), "RETRYCOUNT", "1", "FORCE",
            "JUSTID", "LASTID", "1-1"), coordinated=True)
    expect(c, log, ("XREADGROUP", "GROUP", "g", "alice", "STREAMS", k, "0"))   # history
    expect(c, log, ("XREADGROUP", "GROUP", "g", "bob", "NOACK", "STREAMS", k, ">"),
           ("MULTI",), ("XGROUP", "CREATECONSUMER", k, "g", "bob"),
           ("XGROUP", "SETID", k, "g", "3-1", "ENTRIESREAD", "3"), ("EXEC",))
    expect(c, log, ("XREADGROUP", "GROUP", "g", "carol", "STREAMS", k, ">"))  # nothing new
    expect(c, log, ("XGROUP", "CREATECONSUMER", k, "g", "dave"),
           ("XGROUP", "CREATECONSUMER", k, "g", "dave"))
    expect(c, log, ("XGROUP", "DELCONSUMER", k, "g", "dave"),
           ("XGROUP", "DELCONSUMER", k, "g", "dave"))
    expect(c, log, ("XCLAIM", k, "g", "erin", "0", "1-1", "2-1"),
           ("XCLAIM", k, "g", "erin", "0", "1-1", "TIME", In(0), "RETRYCOUNT", "3", "FORCE",
            "JUSTID", "LASTID", "3-1"))
    expect(c, log, ("XCLAIM", k, "g", "erin", "0", "1-1", "JUSTID", "LASTID", "9-9"),
           ("XCLAIM", k, "g", "erin", "0", "1-1", "TIME", In(0), "RETRYCOUNT", "3", "FORCE",
            "JUSTID", "LASTID", "9-9"))
    expect(c, log, ("XCLAIM", k, "g", "erin", "0", "7-7", "LASTID", "10-10"),
           ("XGROUP", "SETID", k, "g", "10-10", "ENTRIESREAD", "3"))
    expect(c, log, ("XAUTOCLAIM", k, "g", "fred", "0", "0", "COUNT", "1"),
           ("XCLAIM", k, "g", "fred", "0", "1-1", "TIME", In(0), "RETRYCOUNT", "4", "FORCE",
            "JUSTID", "LASTID", "10-10"))
    expect(c, log, ("XCLAIM", k, "g", "erin", "0", "3-1", "FORCE", "RETRYCOUNT", "2"),
           ("XCLAIM", k, "g", "erin", "0", "3-1", "TIME", In(0), "RETRYCOUNT", "2", "FORCE",
            "JUSTID", "LASTID", "10-10"))
    expect(c, log, ("XDEL", k, "3-1"), ("XDEL", k, "3-1"))
    got = c.raw("XAUTOCLAIM", k, "g", "fred", "0", "0")
    assert got.endswith(b"*1\r\n$3\r\n3-1\r\n")
    tail = (b"FORCE", b"JUSTID", b"LASTID", b"10-10")
    assert [e[:7] + e[8:] for e in log.new()] == [    # TIME's value left out
        (b"MULTI",),
        (b"XCLAIM", k.encode(), b"g", b"fred", b"0", b"1-1", b"TIME", b"RETRYCOUNT", b"5") + tail,
        (b"XCLAIM", k.encode(), b"g", b"erin", b"0", b"3-1", b"TIME", b"RETRYCOUNT", b"2") + tail,
        (b"EXEC",)]
    expect(c, log, ("XACK", k, "g", "1-1", "7-7"), ("XACK", k, "g", "1-1", "7-7"))
    expect(c, log, ("XACK", k, "g", "1-1"))
    expect(c, log, ("XGROUP", "SETID", k, "g", "0", "ENTRIESREAD", "0"),
           ("XGROUP", "SETID", k, "g", "0", "ENTRIESREAD", "0"))
    expect(c, log, ("XGROUP", "DESTROY", k, "g"), ("XGROUP", "DESTROY", k, "g"))


def test_aof_restart_with_groups(persist):
    d = persist.dir()
    srv = persist.start(d, *AOF)
    c = persist.client(srv)
    fill(c)
    assert c.raw("XACK", "{s}a", "g", "1-1") == b":1\r\n"
    assert c.raw("XDEL", "{s}a", "3-0") == b":1\r\n"
    assert c.raw("XAUTOCLAIM", "{s}a", "g", "dan", "0", "0", "JUSTID")[:1] == b"*"
    assert c.raw("XREADGROUP", "GROUP", "g", "erin", "NOACK", "STREAMS", "{s}a", ">")[:1] == b"*"
    want = [c.raw("XINFO", "STREAM", "{s}a", "FULL"), c.raw("XINFO", "STREAM", "{s}e", "FULL")]
    persist.shutdown(srv)
    srv2 = persist.start(d, *(AOF + NODES))   # the same nodes (radix-tree figures)
    c2 = persist.client(srv2)
    assert [c2.raw("XINFO", "STREAM", "{s}a", "FULL"),
            c2.raw("XINFO", "STREAM", "{s}e", "FULL")] == nullify_seen(want, c2)


def nullify_seen(want, c):
    """Consumers come back from an AOF seen at replay time (Redis's too):
    take the seen-times from the restarted server."""
    got = [c.value("XINFO", "STREAM", "{s}a", "FULL"), c.value("XINFO", "STREAM", "{s}e", "FULL")]
    out = []
    for raw, g in zip(want, got):
        for grp in g[-1]:
            for cons in grp[-1]:
                seen = str(cons[3]).encode()
                name = cons[1]
                marker = b"$%d\r\n%s\r\n$9\r\nseen-time\r\n:" % (len(name), name)
                i = raw.index(marker) + len(marker)
                j = raw.index(b"\r\n", i)
                raw = raw[:i] + seen + raw[j:]
        out.append(raw)
    return out


def test_aof_rewrite_without_preamble(persist):
    d = persist.dir()
    srv = persist.start(d, *(AOF + ("--aof-use-rdb-preamble", "no")))
    c = persist.client(srv)
    fill(c)
    want = [c.raw("XRANGE", "{s}a", "-", "+"), c.raw("XINFO", "STREAM", "{s}e"),
            c.raw("XINFO", "STREAM", "{s}a", "FULL"), c.raw("XINFO", "STREAM", "{s}e", "FULL")]
    assert c.raw("BGREWRITEAOF")[:1] == b"+"
    assert wait_until(lambda: pinfo(c, "aof_rewrite_in_progress") == 0
                      and pinfo(c, "aof_rewrite_scheduled") == 0, timeout=20)
    # The groups' part of the rewrite, in Redis's forms and order.
    base = [e for p in aof_base_files(d) for e in aof_entries(read_file(p))
            if isinstance(e, tuple) and e[0] in (b"XGROUP", b"XCLAIM")]
    ka = b"{s}a"
    pend = [e for e in base if e[0] == b"XCLAIM"]
    assert [e for e in base if e[0] == b"XGROUP" and e[2] == ka] == [
        (b"XGROUP", b"CREATE", ka, b"12345", b"29-2", b"ENTRIESREAD", b"-1"),
        (b"XGROUP", b"CREATE", ka, b"g", b"9-0", b"ENTRIESREAD", b"-1"),
        (b"XGROUP", b"CREATE", ka, b"x" * 40, b"10-1", b"ENTRIESREAD", b"7"),
        (b"XGROUP", b"CREATECONSUMER", ka, b"x" * 40, b"idle")]
    assert [e for e in base if e[2] == b"{s}e"] == [
        (b"XGROUP", b"CREATE", b"{s}e", b"eg", b"9-9", b"ENTRIESREAD", b"-1")]
    assert [e[3] + b" " + e[5] for e in pend] == [b"alice 1-1", b"alice 3-0", b"bob 4-1",
                                                  b"bob 9-0", b"carol 2-2"]
    assert pend[-1] == (b"XCLAIM", ka, b"g", b"carol", b"0", b"2-2", b"TIME", b"1000",
                        b"RETRYCOUNT", b"5", b"JUSTID", b"FORCE")
    persist.shutdown(srv)
    srv2 = persist.start(d, *(AOF + NODES + ("--aof-use-rdb-preamble", "no")))
    c2 = persist.client(srv2)
    assert [c2.raw("XRANGE", "{s}a", "-", "+"), c2.raw("XINFO", "STREAM", "{s}e")] == want[:2]
    assert [c2.raw("XINFO", "STREAM", "{s}a", "FULL"),
            c2.raw("XINFO", "STREAM", "{s}e", "FULL")] == nullify_seen(want[2:], c2)
