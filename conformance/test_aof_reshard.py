"""The append-only file across a change of shard count (kevy only: Redis has
one AOF). A restart with appendonly yes and another --shards loads every key
the old shards logged, moves each to the shard its slot maps to now, and
writes the AOF again for the new count (one Redis 7.0 AOF directory per
shard, each valid for redis-check-aof); later writes and restarts go on
from there. The switch between layouts survives a crash at any step: a
complete new layout whose rename did not happen is finished at the next
start, a partial one is discarded, a leftover old one removed.
"""

import os
import re
import shutil

import pytest

from conftest import IMPL
from helpers import OK, bulk, integer
from persist_helpers import (aof_manifests, aof_root, check_aof, fill, persist_servers, read_file,
                             read_manifest, snapshot, without_encoding)

pytestmark = [pytest.mark.restart, pytest.mark.kevy_only,
              pytest.mark.skipif(IMPL == "redis", reason="kevy's per-shard AOF layout")]

AOF = ("--appendonly", "yes")


@pytest.fixture
def persist():
    yield from persist_servers()


def layout_shards(d):
    return int(re.findall(rb"shards (\d+)", read_file(os.path.join(aof_root(d), "kevy-shards")))[0])


def assert_layout(d, shards):
    root = aof_root(d)
    assert layout_shards(d) == shards
    assert sorted(x for x in os.listdir(root) if x.startswith("shard-")) == \
        sorted("shard-%d" % i for i in range(shards))
    for m in aof_manifests(d):
        check_aof(m)
    leftovers = [x for x in os.listdir(os.path.dirname(root)) if ".kevy-" in x]
    assert leftovers == []


def write_more(c, tag):
    """Writes whose keys land on every shard, a cross-shard transaction and
    a TTL among them."""
    assert c.raw("MSET", *[a for i in range(40) for a in ("%s:%d" % (tag, i), str(i))]) == OK
    assert c.raw("MULTI") == OK
    c.raw("INCRBY", "%s:acct:a" % tag, "-5")
    c.raw("INCRBY", "%s:acct:b" % tag, "5")
    c.raw("RPUSH", "%s:list" % tag, "x", "y")
    c.raw("EXEC")
    assert c.raw("SET", "%s:ttl" % tag, "v", "PX", "600000") == OK


@pytest.mark.parametrize("before,after", [(4, 2), (2, 3), (1, 4), (4, 1)])
@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_restart_with_another_shard_count(persist, before, after, preamble):
    d = persist.dir()
    flags = AOF + ("--aof-use-rdb-preamble", preamble)
    srv = persist.start(d, *flags, shards=before)
    c = persist.client(srv)
    fill(c)
    write_more(c, "a")
    want = without_encoding(snapshot(c))
    ttl = int(c.raw("PTTL", "a:ttl")[1:-2])
    persist.shutdown(srv, "NOSAVE")

    srv = persist.start(d, *flags, shards=after)
    c = persist.client(srv)
    assert without_encoding(snapshot(c)) == want
    assert 0 < int(c.raw("PTTL", "a:ttl")[1:-2]) <= ttl
    assert_layout(d, after)
    for m in aof_manifests(d):
        assert [(s, t) for _, s, t in read_manifest(m)] == [(1, "b"), (1, "i")]
    assert "redistributed over %d" % after in srv.log()

    # It goes on from the new layout: writes logged, another restart, and
    # back to the first count.
    write_more(c, "b")
    want = without_encoding(snapshot(c))
    persist.shutdown(srv, "NOSAVE")
    srv = persist.start(d, *flags, shards=after)
    c = persist.client(srv)
    assert without_encoding(snapshot(c)) == want
    assert "redistributed" not in srv.log()
    persist.shutdown(srv, "NOSAVE")
    srv = persist.start(d, *flags, shards=before)
    c = persist.client(srv)
    assert without_encoding(snapshot(c)) == want
    assert_layout(d, before)


def stopped_layout(persist, shards=2):
    """A directory with an AOF written by `shards` shards and what it holds."""
    d = persist.dir()
    srv = persist.start(d, *AOF, shards=shards)
    c = persist.client(srv)
    write_more(c, "k")
    want = without_encoding(snapshot(c))
    persist.shutdown(srv, "NOSAVE")
    return d, want


def test_switch_interrupted_between_the_renames_is_finished(persist):
    # The crash came after the live layout was renamed away and before the
    # new one took its name: the new one is complete (its kevy-shards file
    # is written last) and is what the next start loads.
    d, want = stopped_layout(persist)
    root = aof_root(d)
    os.rename(root, root + ".kevy-new")
    srv = persist.start(d, *AOF, shards=2)
    c = persist.client(srv)
    assert without_encoding(snapshot(c)) == want
    assert_layout(d, 2)


def test_unfinished_new_layout_is_discarded(persist):
    # The crash came while the new layout was written: no kevy-shards file
    # in it yet, so the live one holds and the partial one goes.
    d, want = stopped_layout(persist)
    root = aof_root(d)
    part = os.path.join(root + ".kevy-new", "shard-0")
    os.makedirs(part)
    with open(os.path.join(part, "appendonly.aof.1.base.rdb"), "wb") as f:
        f.write(b"REDIS0010 torn")
    srv = persist.start(d, *AOF, shards=2)
    c = persist.client(srv)
    assert without_encoding(snapshot(c)) == want
    assert_layout(d, 2)


def test_leftover_old_layout_is_removed(persist):
    # The crash came after the switch, before the old layout was deleted.
    d, want = stopped_layout(persist)
    root = aof_root(d)
    shutil.copytree(root, root + ".kevy-old")
    srv = persist.start(d, *AOF, shards=2)
    c = persist.client(srv)
    assert without_encoding(snapshot(c)) == want
    assert_layout(d, 2)


def test_bad_layout_file_stops_startup(persist):
    d, _ = stopped_layout(persist)
    with open(os.path.join(aof_root(d), "kevy-shards"), "wb") as f:
        f.write(b"shards zero\n")
    status, log = persist.start_failing(d, *AOF, "--shards", "2")
    assert status != 0
    assert "Bad AOF layout file" in log and "kevy-shards" in log


def test_reshard_keeps_a_transaction_whole(persist):
    # A transaction over shards logged by 4 shards replays whole on 3.
    d = persist.dir()
    srv = persist.start(d, *AOF, "--appendfsync", "always", shards=4)
    c = persist.client(srv)
    assert c.raw("MSET", "{x}a", "10", "{y}b", "10", "{z}c", "10") == OK
    for _ in range(5):
        assert c.raw("MULTI") == OK
        c.raw("DECRBY", "{x}a", "2")
        c.raw("INCRBY", "{y}b", "1")
        c.raw("INCRBY", "{z}c", "1")
        c.raw("EXEC")
    persist.shutdown(srv, "NOSAVE")
    srv = persist.start(d, *AOF, shards=3)
    c = persist.client(srv)
    assert c.raw("MGET", "{x}a", "{y}b", "{z}c") == b"*3\r\n" + bulk("0") + bulk("15") + bulk("15")
    assert c.raw("DBSIZE") == integer(3)
