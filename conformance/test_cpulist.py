"""Redis's CPU list settings, as kevy maps them to its threads (kevy only,
Linux: read back from /proc). server_cpulist: the shard threads (with
pin-threads, shard i on the list's i-th CPU); bgsave_cpulist: the thread
that writes a BGSAVE's file (Redis's forked child); aof_rewrite_cpulist:
the one that writes a rewrite's base; bio_cpulist: the everysec fsync
thread. A malformed list is logged and ignored, as in Redis.
"""

import os
import sys
import time

import pytest

from conftest import IMPL
from helpers import OK, integer
from persist_helpers import AOF_REWRITE_STARTED, persist_servers, wait_aof_rewrite, wait_bgsave

pytestmark = [pytest.mark.restart, pytest.mark.kevy_only,
              pytest.mark.skipif(IMPL == "redis" or not sys.platform.startswith("linux"),
                                 reason="kevy's threads, read from Linux's /proc")]

CPUS = sorted(os.sched_getaffinity(0))
A = CPUS[0]
B = CPUS[1] if len(CPUS) > 1 else CPUS[0]


@pytest.fixture
def persist():
    yield from persist_servers()


def threads(srv):
    """{thread name: [allowed CPU list, ...]} of the server's threads."""
    out = {}
    base = "/proc/%d/task" % srv.proc.pid
    for tid in os.listdir(base):
        try:
            with open(os.path.join(base, tid, "comm")) as f:
                name = f.read().strip()
            with open(os.path.join(base, tid, "status")) as f:
                allowed = [ln.split(":", 1)[1].strip() for ln in f
                           if ln.startswith("Cpus_allowed_list:")][0]
        except OSError:  # it ended meanwhile
            continue
        out.setdefault(name, []).append(allowed)
    return out


def wait_thread(srv, name, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        t = threads(srv)
        if name in t:
            return t[name]
        time.sleep(0.01)
    pytest.fail("no thread %s among %s" % (name, sorted(threads(srv))))


def test_each_cpulist_places_its_threads(persist):
    d = persist.dir()
    srv = persist.start(d, "--appendonly", "yes", "--server_cpulist", str(B),
                        "--bgsave_cpulist", str(A), "--aof_rewrite_cpulist", str(A),
                        "--bio_cpulist", str(A), "--rdb-key-save-delay", "3000", shards=2)
    c = persist.client(srv)
    t = threads(srv)
    assert t["kevy-shard-0"] == [str(B)] and t["kevy-shard-1"] == [str(B)]
    for i in range(300):
        assert c.raw("SET", "k%d" % i, "v") == OK
    assert set(wait_thread(srv, "kevy-aof-fsync")) == {str(A)}  # each shard's first fsync
    assert c.raw("BGSAVE") == b"+Background saving started\r\n"
    assert set(wait_thread(srv, "kevy-bgsave")) == {str(A)}
    wait_bgsave(c)
    assert c.raw("BGREWRITEAOF") == AOF_REWRITE_STARTED
    assert set(wait_thread(srv, "kevy-aofrewrite")) == {str(A)}
    wait_aof_rewrite(c)
    assert c.raw("DBSIZE") == integer(300)


def test_pin_threads_takes_the_cpus_of_server_cpulist_in_order(persist):
    d = persist.dir()
    srv = persist.start(d, "--pin-threads", "yes", "--server_cpulist", "%d,%d" % (B, A), shards=2)
    t = threads(srv)
    assert t["kevy-shard-0"] == [str(B)] and t["kevy-shard-1"] == [str(A)]


@pytest.mark.parametrize("bad", ["x", "1-", "3-1", "0-4:0", "0,,1", "-1"])
def test_malformed_cpulist_is_ignored(persist, bad):
    d = persist.dir()
    srv = persist.start(d, "--server_cpulist", bad, shards=1)
    assert persist.client(srv).raw("PING") == b"+PONG\r\n"
    assert 'Ignoring the malformed cpu list "%s"' % bad in srv.log()
    # The shard runs where it would have without the setting.
    with open("/proc/%d/status" % srv.proc.pid) as f:
        mine = [ln for ln in f if ln.startswith("Cpus_allowed_list:")]
    assert threads(srv)["kevy-shard-0"] == [mine[0].split(":", 1)[1].strip()]
