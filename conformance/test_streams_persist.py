"""Streams in the persistence formats: a dump.rdb with streams exchanged with
Redis 7.0.15 both ways (RDB_TYPE_STREAM_LISTPACKS_2), what the AOF logs for
XADD with a generated ID and for approximate trims (the exact forms Redis 7
propagates), and an AOF rewrite without the RDB preamble (XADD per entry,
then XSETID) that restarts to the same streams."""

import pytest

from helpers import OK, bulk, integer, wait_until
from persist_helpers import DUMP, copy_dump, persist_servers, pinfo
from test_aof_propagation import AOF, Log, expect, serve

pytestmark = pytest.mark.restart


@pytest.fixture
def persist():
    yield from persist_servers()


def fill(c):
    assert c.raw("CONFIG", "SET", "stream-node-max-entries", "4") == OK
    for i in range(1, 30):
        assert c.raw("XADD", "{s}a", "%d-%d" % (i, i % 3), "f%d" % (i % 2), "v", "n", str(i)) \
            == bulk("%d-%d" % (i, i % 3))
    assert c.raw("XDEL", "{s}a", "5-2", "6-0", "7-1", "8-2") == integer(4)
    assert c.raw("XADD", "{s}e", "1-1", "a", "b") == bulk("1-1")
    assert c.raw("XDEL", "{s}e", "1-1") == integer(1)
    assert c.raw("XSETID", "{s}e", "9-9", "ENTRIESADDED", "7", "MAXDELETEDID", "2-0") == OK


def state(c):
    return [c.raw(*cmd) for cmd in (("XINFO", "STREAM", "{s}a", "FULL", "COUNT", "0"),
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


def test_aof_rewrite_without_preamble(persist):
    d = persist.dir()
    srv = persist.start(d, *(AOF + ("--aof-use-rdb-preamble", "no")))
    c = persist.client(srv)
    fill(c)
    want = [c.raw("XRANGE", "{s}a", "-", "+"), c.raw("XINFO", "STREAM", "{s}e")]
    assert c.raw("BGREWRITEAOF")[:1] == b"+"
    wait_until(lambda: pinfo(c, "aof_rewrite_in_progress") == "0"
               and pinfo(c, "aof_rewrite_scheduled") == "0", timeout=20)
    persist.shutdown(srv)
    srv2 = persist.start(d, *(AOF + ("--aof-use-rdb-preamble", "no")))
    c2 = persist.client(srv2)
    assert [c2.raw("XRANGE", "{s}a", "-", "+"), c2.raw("XINFO", "STREAM", "{s}e")] == want
