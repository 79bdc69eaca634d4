"""kevy's per-shard AOF: a shard's old files (history) go only once every
shard's rewrite of the same cut is done, its new manifest on disk. A shard
whose rewrite did not finish still loads its old incr file, whose blocks of
transactions over several shards count only with their commits, which may
sit in another shard's old file. The crash proof (test_aof_crash.py) once
found accounts that no longer summed up after a kill: one shard had
deleted its history while another was still writing its new manifest.
Here one shard's rewrite fails (a directory where its new base goes) and
the others must keep their history until a later rewrite succeeds."""

import os
import random
import time

import pytest

from helpers import OK, spread_keys
from persist_helpers import (AOF_FILENAME, aof_root, kill9, persist_servers, read_manifest,
                             wait_aof_rewrite)
from resp_client import RespClient

pytestmark = [pytest.mark.restart, pytest.mark.kevy_only]  # kevy's per-shard AOF layout

ACCOUNTS = spread_keys(16, "gc:acct:")
START = 1000


@pytest.fixture
def persist():
    yield from persist_servers()


def transfers(srv, n, rnd):
    """n transfers over random pairs of accounts, from several connections
    (so that transactions have homes on every shard)."""
    conns = [RespClient(srv.host, srv.port) for _ in range(8)]
    try:
        for i in range(n):
            a, b = rnd.sample(ACCOUNTS, 2)
            amount = str(rnd.randint(1, 50))
            replies = conns[i % len(conns)].pipeline(
                [("MULTI",), ("DECRBY", a, amount), ("INCRBY", b, amount), ("EXEC",)])
            assert isinstance(replies[3][0], list), replies
    finally:
        for c in conns:
            c.close()


def manifest(d, shard):
    return read_manifest(os.path.join(aof_root(d), "shard-%d" % shard,
                                      AOF_FILENAME + ".manifest"))


def test_history_stays_while_one_shards_rewrite_failed(persist):
    rnd = random.Random(7)
    d = persist.dir()
    flags = ("--appendonly", "yes", "--appendfsync", "always")
    srv = persist.start(d, *flags, shards=2)
    c = persist.client(srv)
    assert c.raw("MSET", *sum(([k, str(START)] for k in ACCOUNTS), [])) == OK
    transfers(srv, 200, rnd)
    want = c.value("MGET", *ACCOUNTS)
    # Shard 1 cannot write its next base: a directory has its name.
    base_seq = [s for _, s, t in manifest(d, 1) if t == "b"][0]
    blocker = os.path.join(aof_root(d), "shard-1", "%s.%d.base.rdb" % (AOF_FILENAME,
                                                                        base_seq + 1))
    os.mkdir(blocker)
    assert c.raw("BGREWRITEAOF").startswith(b"+Background append only file rewriting")
    info = wait_aof_rewrite(c)
    assert info["aof_last_bgrewrite_status"] == "err"
    # Shard 0 finished, but keeps its old files: shard 1 still loads its
    # old incr file, whose blocks may need shard 0's old commits.
    time.sleep(0.5)  # several ticks, where old files are collected
    kinds = [t for _, _, t in manifest(d, 0)]
    assert kinds.count("h") == 2 and kinds[0] == "b" and kinds[-1] == "i", manifest(d, 0)
    for name, _, _ in manifest(d, 0):
        assert os.path.isfile(os.path.join(aof_root(d), "shard-0", name)), name
    assert [t for _, _, t in manifest(d, 1)] == ["b", "i", "i"], manifest(d, 1)
    # Killed now, nothing is half applied.
    kill9(persist, srv)
    os.rmdir(blocker)
    srv = persist.start(d, *flags, shards=2)
    c = persist.client(srv)
    assert c.value("MGET", *ACCOUNTS) == want
    # A rewrite that succeeds everywhere collects every shard's history.
    transfers(srv, 50, rnd)
    want = c.value("MGET", *ACCOUNTS)
    assert sum(int(v) for v in want) == START * len(ACCOUNTS)
    assert c.raw("BGREWRITEAOF").startswith(b"+Background append only file rewriting")
    assert wait_aof_rewrite(c)["aof_last_bgrewrite_status"] == "ok"
    for shard in (0, 1):
        assert [t for _, _, t in manifest(d, shard)] == ["b", "i"], manifest(d, shard)
    kill9(persist, srv)
    srv = persist.start(d, *flags, shards=2)
    assert persist.client(srv).value("MGET", *ACCOUNTS) == want
