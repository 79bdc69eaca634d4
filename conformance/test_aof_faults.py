"""The append-only file when the disk refuses writes (kevy-only: the faults
are injected with kevy's test hook DEBUG KEVY-AOF-WRITE-ERRORS n, which
makes each shard's next n AOF writes fail as on a full disk). As Redis:
with appendfsync everysec the writes already acknowledged stay buffered and
are written once the disk takes them again, meanwhile every write (and
PING) is refused with -MISCONF naming the error, reads go on, and INFO says
aof_last_write_status:err; with appendfsync always the server exits rather
than reply to a write that is not on disk. Nothing acknowledged is lost.
"""
import time

import pytest

from helpers import OK, bulk, err, integer, spread_keys
from persist_helpers import persist_servers, pinfo

pytestmark = [pytest.mark.restart, pytest.mark.kevy_only]

AOF = ("--appendonly", "yes", "--enable-debug-command", "yes")
MISCONF = err("MISCONF Errors writing to the AOF file: No space left on device")


@pytest.fixture
def persist():
    yield from persist_servers()


def test_full_disk_with_everysec_refuses_writes_then_recovers(persist):
    d = persist.dir()
    srv = persist.start(d, *AOF, "--appendfsync", "everysec")
    c = persist.client(srv)
    keys = spread_keys(8, "k:")  # on every shard
    for k in keys:
        assert c.raw("SET", k, "0") == OK
    # Each shard's next 40 writes fail: every shard goes through the fault.
    assert c.raw("DEBUG", "KEVY-AOF-WRITE-ERRORS", "40") == OK
    acked, refused, pings, statuses = {}, 0, set(), set()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for i, k in enumerate(keys):
            v = "v%d" % len(acked)
            r = c.raw("SET", k, v)
            if r == OK:
                acked[k] = v
            else:
                assert r == MISCONF, r
                refused += 1
                assert c.raw("GET", k) == bulk(acked.get(k, "0"))  # reads go on
                # (The fault may clear between two requests: seen at least once.)
                pings.add(c.raw("PING"))
                statuses.add(pinfo(c, "aof_last_write_status"))
        if refused and pinfo(c, "aof_last_write_status") == "ok" and \
                all(c.raw("SET", k, acked.setdefault(k, "z")) == OK for k in keys):
            break
        time.sleep(0.05)
    assert refused, "no write was refused"
    assert MISCONF in pings  # as Redis: a health check notices
    assert "err" in statuses
    assert pinfo(c, "aof_last_write_status") == "ok"
    assert c.raw("PING") == b"+PONG\r\n"
    persist.shutdown(srv, "NOSAVE")
    srv = persist.start(d, *AOF)
    c = persist.client(srv)
    for k in keys:  # every acknowledged write survived the fault
        assert c.raw("GET", k) == bulk(acked[k])


def test_full_disk_with_always_exits_without_replying(persist):
    d = persist.dir()
    srv = persist.start(d, *AOF, "--appendfsync", "always")
    c = persist.client(srv)
    assert c.raw("SET", "k", "1") == OK
    assert c.raw("DEBUG", "KEVY-AOF-WRITE-ERRORS", "1000") == OK
    c.send("SET", "lost", "x")
    assert c.is_closed(timeout=10), "the reply of a write not on disk left"
    assert srv.wait_exit(timeout=10) == 1
    for i, (s, _) in enumerate(persist.servers):  # the exit is the behaviour under test
        if s is srv:
            persist.servers[i] = (s, True)
    assert "Can't recover from AOF write error when the AOF fsync policy is 'always'" in srv.log()
    srv = persist.start(d, *AOF)
    c = persist.client(srv)
    assert c.raw("GET", "k") == bulk("1")
    assert c.raw("EXISTS", "lost") == integer(0)
