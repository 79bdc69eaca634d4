"""The append-only file, recovery: a restart with --appendonly yes gives back
every type, encoding and TTL (absolute: a key expires at the same moment
after a restart), however the server stopped (SHUTDOWN with or without
NOSAVE, SIGTERM, kill -9 with appendfsync always) and after rewrites;
commands whose effect is not their arguments (relative TTLs, float
increments, random pops, served blocking pops, RESTORE, MULTI/EXEC, expiry,
SWAPDB, FLUSHALL...) replay to exactly the same dataset (DEBUG DIGEST and
every value and expiry compared, after DEBUG LOADAOF and after a restart);
a torn last command is dropped with aof-load-truncated yes (and the file
cut, so later appends load) and refused with no; a MULTI without EXEC at
the end is dropped; a corrupt command in the middle, a truncated file that
is not the last one, or a bad manifest stop the start.

Files are found in either layout (persist_helpers); a test that damages a
file picks the incr file holding the commands it wrote, so on kevy it hits
the right shard. kevy-only: the log names the file and the offset, and
uses Redis's exact words for a bad manifest.
"""

import os
import re
import threading
import time

import pytest

from blocking_helpers import block
from conftest import IMPL
from helpers import NIL, OK, bulk, integer, spread_keys, wait_until
from persist_helpers import (AOF_FILENAME, AOF_REWRITE_STARTED, FAR_MS, after_load, aof_commands,
                             aof_incr_files, aof_manifests, assert_same, check_aof, digest, fill,
                             kill9, manifest_paths, persist_servers, pinfo,
                             read_file, read_manifest, snapshot, wait_aof_rewrite,
                             without_encoding)
from resp_client import encode

pytestmark = pytest.mark.restart

AOF = ("--appendonly", "yes")
DEBUG = ("--enable-debug-command", "yes")
ALWAYS = ("--appendfsync", "always")


@pytest.fixture
def persist():
    yield from persist_servers()


def restart(persist, srv, *flags):
    new = persist.start(srv.dir, *flags)
    return new, persist.client(new)


def state(c):
    return digest(c), without_encoding(snapshot(c))


def file_with(d, cmd):
    """The incr file whose commands include `cmd` (a tuple of str), and its
    bytes."""
    want = tuple(a.encode() for a in cmd)
    found = [p for p in aof_incr_files(d) if want in aof_commands(read_file(p))]
    assert len(found) == 1, (cmd, aof_incr_files(d))
    return found[0], read_file(found[0])


def write_file(path, data):
    with open(path, "wb") as f:
        f.write(data)


# ------------------------------------------------- every type survives


RESTART_HOW = ["shutdown", "shutdown-nosave", "sigterm", "kill9", "rewrite", "rewrite-no-preamble",
               "rewrite-then-writes"]


@pytest.mark.parametrize("how", RESTART_HOW)
def test_restart_recovers_every_type(persist, how):
    d = persist.dir()
    flags = AOF + ALWAYS + (("--aof-use-rdb-preamble", "no") if how.endswith("no-preamble")
                            else ())
    srv = persist.start(d, *flags)
    c = persist.client(srv)
    snap = fill(c)
    if how.startswith("rewrite"):
        assert c.raw("BGREWRITEAOF") == AOF_REWRITE_STARTED
        wait_aof_rewrite(c)
        # Loaded from the base, the values take the encoding a load gives.
        snap = after_load(snap)
    if how == "rewrite-then-writes":
        assert c.raw("SET", "str:int", "after") == OK
        assert c.raw("RPUSH", "list:small", "tail") == integer(5)
        assert c.raw("SELECT", "5") == OK
        assert c.raw("DEL", "db5:h") == integer(1)
        assert c.raw("SELECT", "0") == OK
        snap = after_load(snapshot(c))
    if how == "shutdown":
        persist.shutdown(srv)
    elif how == "shutdown-nosave":
        persist.shutdown(srv, "NOSAVE")
    elif how == "sigterm":
        persist.sigterm(srv)
    elif how == "kill9":
        kill9(persist, srv)
    else:
        persist.shutdown(srv)
    # No save points: the AOF is all there is.
    assert os.listdir(d) == ["appendonlydir"]
    srv, c = restart(persist, srv, *flags)
    assert_same(snap, snapshot(c))
    assert pinfo(c, "aof_enabled") == 1
    assert pinfo(c, "loading") == 0
    # And once more: what was loaded is logged on, not lost.
    assert c.raw("SET", "again", "1") == OK
    persist.shutdown(srv)
    srv, c = restart(persist, srv, *flags)
    assert c.raw("GET", "again") == bulk("1")
    assert c.raw("DEL", "again") == integer(1)
    assert_same(snap, snapshot(c))


@pytest.mark.parametrize("how", [(), ("NOSAVE",), ("NOW",), ("SAVE",), "SIGTERM"],
                         ids=["SHUTDOWN", "SHUTDOWN_NOSAVE", "SHUTDOWN_NOW", "SHUTDOWN_SAVE",
                              "SIGTERM"])
def test_shutdown_keeps_everything_without_save_points(persist, how):
    """appendfsync everysec (the default) and no save points: whatever the
    way out, the AOF has every acknowledged write."""
    d = persist.dir()
    srv = persist.start(d, *AOF)
    c = persist.client(srv)
    keys = spread_keys(200, "s:")
    assert c.raw("MSET", *sum(([k, k] for k in keys), [])) == OK
    assert c.raw("SELECT", "4") == OK
    assert c.raw("RPUSH", "l", "a", "b") == integer(2)
    assert c.raw("SELECT", "0") == OK
    assert c.raw("SET", "last", "v") == OK
    if how == "SIGTERM":
        persist.sigterm(srv)
    else:
        persist.shutdown(srv, *how)
    assert sorted(os.listdir(d)) == (["appendonlydir", "dump.rdb"] if how == ("SAVE",)
                                     else ["appendonlydir"])
    srv, c = restart(persist, srv, *AOF)
    assert c.value("MGET", *keys) == [k.encode() for k in keys]
    assert c.raw("GET", "last") == bulk("v")
    assert c.raw("SELECT", "4") == OK
    assert c.value("LRANGE", "l", "0", "-1") == [b"a", b"b"]


# -------------------------------------------------------- TTLs are absolute


@pytest.mark.slow
def test_ttl_is_absolute_across_restart(persist):
    d = persist.dir()
    srv = persist.start(d, *AOF, *ALWAYS)
    c = persist.client(srv)
    assert c.raw("SET", "ex", "v", "EX", "2") == OK
    assert c.raw("SET", "px", "v") == OK
    assert c.raw("PEXPIRE", "px", "1500") == integer(1)
    assert c.raw("RPUSH", "l", "a") == integer(1)
    assert c.raw("EXPIRE", "l", "1") == integer(1)
    assert c.raw("SET", "far", "v", "EX", "100000") == OK
    want = {k: c.value("PEXPIRETIME", k) for k in ("ex", "px", "l", "far")}
    time.sleep(0.3)
    persist.shutdown(srv)
    srv, c = restart(persist, srv, *AOF, *ALWAYS)
    assert {k: c.value("PEXPIRETIME", k) for k in want} == want
    # Each key expires at the moment it would have without the restart.
    for k in ("l", "px", "ex"):
        left = want[k] / 1000 - time.time()
        if left > 0.15:
            time.sleep(left - 0.1)
            assert c.raw("EXISTS", k) == integer(1), k
        time.sleep(max(0.0, want[k] / 1000 - time.time()) + 0.1)
        assert c.raw("EXISTS", k) == integer(0), k
    assert c.raw("EXISTS", "far") == integer(1)


def test_keys_expired_while_down_are_gone(persist):
    d = persist.dir()
    srv = persist.start(d, *AOF, *ALWAYS)
    c = persist.client(srv)
    for k in spread_keys(10, "short:"):
        assert c.raw("SET", k, "v", "PX", "200") == OK
    assert c.raw("SET", "long", "v", "PX", "100000") == OK
    assert c.raw("SELECT", "2") == OK
    assert c.raw("HSET", "h", "f", "v") == integer(1)
    assert c.raw("PEXPIRE", "h", "200") == integer(1)
    persist.shutdown(srv)
    time.sleep(0.3)
    srv, c = restart(persist, srv, *AOF)
    assert c.raw("DBSIZE") == integer(1)
    assert c.raw("EXISTS", "long") == integer(1)
    assert c.raw("SELECT", "2") == OK
    assert c.raw("DBSIZE") == integer(0)


# ------------------------------------------- replay gives the same dataset


def sc_set_ttl_options(c, conn):
    now = int(time.time())
    for cmd in (("SET", "a", "v", "EX", "100"), ("SET", "b", "v", "PX", "100000"),
                ("SET", "c", "v", "EXAT", str(now + 100)), ("SET", "d", "v", "PXAT", str(FAR_MS)),
                ("SETEX", "e", "100", "v"), ("PSETEX", "f", "100000", "v"),
                ("SET", "g", "v", "EX", "100"), ("SET", "g", "v2", "KEEPTTL"),
                ("SET", "h", "v", "EX", "100"), ("SET", "h", "v3"),
                ("GETEX", "a", "EX", "200"), ("GETEX", "b", "PERSIST"),
                ("GETEX", "c", "PXAT", str(FAR_MS + 5)), ("GETEX", "d"),
                ("GETEX", "g", "PX", "50000"), ("GETEX", "nosuch", "EX", "5"),
                ("SET", "i", "v", "GET", "EX", "50"), ("SET", "j", "1", "NX", "EX", "100"),
                ("SET", "j", "2", "XX", "PX", "300000"), ("GETDEL", "e"), ("SETNX", "k", "v"),
                ("GETSET", "f", "w")):
        c.call(*cmd)
    time.sleep(0.05)     # a relative TTL replayed later would end later


def sc_expire_family(c, conn):
    now = int(time.time())
    keys = spread_keys(10, "x:")
    assert c.raw("MSET", *sum(([k, "v"] for k in keys), [])) == OK
    assert c.raw("RPUSH", "l", "a") == integer(1)
    assert c.raw("SADD", "s", "a") == integer(1)
    assert c.raw("HSET", "h", "f", "v") == integer(1)
    assert c.raw("ZADD", "z", "1", "a") == integer(1)
    for cmd in (("EXPIRE", keys[0], "100"), ("PEXPIRE", keys[1], "100000"),
                ("EXPIREAT", keys[2], str(now + 100)), ("PEXPIREAT", keys[3], str(FAR_MS)),
                ("EXPIRE", keys[4], "100", "NX"), ("EXPIRE", keys[4], "200", "GT"),
                ("EXPIRE", keys[4], "50", "LT"), ("EXPIRE", keys[4], "500", "NX"),
                ("EXPIRE", keys[5], "100"), ("PERSIST", keys[5]),
                ("EXPIRE", keys[6], "-1"), ("PEXPIREAT", keys[7], "1"),
                ("EXPIREAT", keys[8], str(now - 10)), ("PEXPIRE", keys[9], "0"),
                ("EXPIRE", "l", "100"), ("PEXPIRE", "s", "100000"),
                ("EXPIREAT", "h", str(now + 99)),
                ("PEXPIREAT", "z", str(FAR_MS)), ("EXPIRE", "nosuch", "100")):
        c.call(*cmd)
    # In the past: deleted now, and after the replay.
    assert c.raw("EXISTS", *keys[6:10]) == integer(0)
    time.sleep(0.05)


def sc_float_increments(c, conn):
    assert c.raw("SET", "f", "10.5") == OK
    for _ in range(3):
        c.call("INCRBYFLOAT", "f", "0.1")
    c.call("INCRBYFLOAT", "f", "5.0e3")
    assert c.raw("SET", "g", "1", "EX", "100") == OK
    c.call("INCRBYFLOAT", "g", "0.5")                  # keeps the TTL
    c.call("INCRBYFLOAT", "new", "3")
    c.call("INCRBYFLOAT", "third", "1")
    c.call("INCRBYFLOAT", "third", "0.1")
    c.call("INCRBYFLOAT", "third", "0.2")
    assert c.raw("HSET", "h", "f", "1") == integer(1)
    for _ in range(3):
        c.call("HINCRBYFLOAT", "h", "f", "0.1")
    c.call("HINCRBYFLOAT", "h", "g", "2.5e2")
    c.call("HINCRBY", "h", "i", "7")
    for _ in range(3):
        c.call("ZINCRBY", "z", "0.1", "m")
    c.call("ZADD", "z", "INCR", "1.5", "n")
    c.call("ZADD", "z", "GT", "CH", "0.5", "m", "9", "n")


def sc_random_pops(c, conn):
    assert c.raw("SADD", "s", *(str(i) for i in range(100))) == integer(100)
    assert c.raw("SADD", "s2", *"abcdefghijklmnopqrstuvwxyz") == integer(26)
    assert c.raw("SADD", "s3", *("member:%d" % i for i in range(300))) == integer(300)
    for cmd in (("SPOP", "s"), ("SPOP", "s", "5"), ("SPOP", "s2", "3"), ("SPOP", "s2"),
                ("SPOP", "s2", "100"), ("SPOP", "s3", "10"), ("SPOP", "s3", "250"),
                ("SRANDMEMBER", "s", "3"), ("SRANDMEMBER", "s3", "-5"),
                ("SPOP", "nosuch", "3")):
        c.call(*cmd)
    assert c.raw("ZADD", "z", "1", "a", "2", "b", "3", "c") == integer(3)
    assert c.raw("HSET", "h", "a", "1", "b", "2") == integer(2)
    for cmd in (("ZRANDMEMBER", "z", "2"), ("HRANDFIELD", "h", "-3"), ("RANDOMKEY",)):
        c.call(*cmd)


def sc_list_moves(c, conn):
    assert c.raw("RPUSH", "l", *(str(i) for i in range(20))) == integer(20)
    for cmd in (("LPOP", "l"), ("LPOP", "l", "3"), ("RPOP", "l", "2"),
                ("LMOVE", "l", "l2", "LEFT", "RIGHT"), ("LMOVE", "l", "l2", "RIGHT", "LEFT"),
                ("RPOPLPUSH", "l", "l2"), ("LINSERT", "l", "BEFORE", "10", "x"),
                ("LSET", "l", "0", "y"), ("LTRIM", "l", "1", "-2"), ("LREM", "l", "0", "x"),
                ("LPUSHX", "l", "p"), ("RPUSHX", "nosuch", "p"),
                ("LMPOP", "2", "nosuch", "l", "LEFT", "COUNT", "2"),
                ("LMPOP", "1", "l2", "RIGHT"), ("LMOVE", "l2", "l2", "LEFT", "RIGHT"),
                ("RPUSH", "one", "x"), ("LPOP", "one"),
                ("BLPOP", "l", "l2", "0"), ("BRPOP", "nosuch", "l2", "0"),
                ("BLMOVE", "l", "l3", "LEFT", "LEFT", "0"),
                ("BLMPOP", "0", "1", "l", "RIGHT", "COUNT", "2")):
        c.call(*cmd)


def sc_blocking_served(c, conn):
    a = conn()
    c.call("SET", "x", "1")
    block(c, a, "BLPOP", "bl", "0")
    assert c.raw("RPUSH", "bl", "a", "b", "c") == integer(3)
    assert a.read()[0] == [b"bl", b"a"]
    block(c, a, "BLMOVE", "src", "dst", "LEFT", "RIGHT", "0")
    assert c.raw("RPUSH", "src", "x", "y") == integer(2)
    assert a.read()[0] == b"x"
    block(c, a, "BRPOPLPUSH", "src2", "dst", "0")
    assert c.raw("LPUSH", "src2", "p", "q") == integer(2)
    assert a.read()[0] == b"p"
    block(c, a, "BZPOPMIN", "bz", "0")
    assert c.raw("ZADD", "bz", "1", "m", "2", "n") == integer(2)
    assert a.read()[0] == [b"bz", b"m", b"1"]
    block(c, a, "BZPOPMAX", "bz2", "0")
    assert c.raw("ZADD", "bz2", "1", "m", "2", "n") == integer(2)
    assert a.read()[0] == [b"bz2", b"n", b"2"]
    block(c, a, "BLMPOP", "0", "2", "q1", "q2", "RIGHT", "COUNT", "2")
    assert c.raw("RPUSH", "q2", "a", "b", "c") == integer(3)
    assert a.read()[0] == [b"q2", [b"c", b"b"]]
    block(c, a, "BZMPOP", "0", "1", "bz3", "MAX", "COUNT", "2")
    assert c.raw("ZADD", "bz3", "1", "a", "2", "b", "3", "c") == integer(3)
    assert a.read()[0] == [b"bz3", [[b"c", b"3"], [b"b", b"2"]]]
    # Served inside a MULTI that pushes.
    block(c, a, "BLPOP", "bl2", "0")
    assert c.pipeline([("MULTI",), ("RPUSH", "bl2", "1"), ("RPUSH", "bl2", "2"), ("EXEC",)])[3][1] \
        == b"*2\r\n:1\r\n:2\r\n"
    assert a.read()[0] == [b"bl2", b"1"]
    # Timed out: nothing.
    assert a.raw("BLPOP", "never", "0.05") == b"*-1\r\n"


def sc_zset_ops(c, conn):
    assert c.raw("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f") == \
        integer(6)
    assert c.raw("ZADD", "z2", "1", "a", "10", "x") == integer(2)
    for cmd in (("ZPOPMIN", "z"), ("ZPOPMAX", "z", "2"), ("ZMPOP", "1", "z", "MIN", "COUNT", "1"),
                ("ZMPOP", "2", "nosuch", "z2", "MAX"), ("ZRANGESTORE", "dst", "z", "0", "-1"),
                ("ZUNIONSTORE", "u", "2", "z", "dst", "WEIGHTS", "2", "3"),
                ("ZINTERSTORE", "i", "2", "z", "u", "AGGREGATE", "MAX"),
                ("ZDIFFSTORE", "df", "2", "u", "z2"), ("ZREMRANGEBYSCORE", "u", "-inf", "(5"),
                ("ZREMRANGEBYRANK", "dst", "0", "0"), ("ZADD", "lex", "0", "a", "0", "b", "0", "c"),
                ("ZREMRANGEBYLEX", "lex", "[a", "(c"), ("ZREM", "i", "nosuch")):
        c.call(*cmd)


def sc_restore(c, conn):
    assert c.raw("SET", "src", "value") == OK
    assert c.raw("RPUSH", "srcl", "a", "b") == integer(2)
    dump = c.value("DUMP", "src")
    dumpl = c.value("DUMP", "srcl")
    for cmd, reply in ((("RESTORE", "r1", "0", dump), OK), (("RESTORE", "r2", "100000", dump), OK),
                       (("RESTORE", "r3", str(FAR_MS), dump, "ABSTTL"), OK),
                       (("RESTORE", "r1", "0", dumpl, "REPLACE"), OK),
                       (("RESTORE", "r4", "5000", dump, "IDLETIME", "10"), OK),
                       (("RESTORE", "r5", "1", dump, "ABSTTL"), OK),
                       (("RESTORE", "r6", "200000", dumpl, "REPLACE", "FREQ", "5"), OK)):
        assert c.raw(*cmd) == reply, cmd
    assert c.raw("EXISTS", "r5") == integer(0)     # its time has passed
    time.sleep(0.05)


def sc_string_edits(c, conn):
    for cmd in (("SET", "s", "hello"), ("SETRANGE", "s", "10", "world"), ("APPEND", "s", "!"),
                ("APPEND", "new", "x"), ("SETRANGE", "pad", "5", "z"),
                ("SETBIT", "b", "100", "1"), ("SETBIT", "b", "7", "1"),
                ("BITFIELD", "bf", "SET", "u8", "0", "200", "INCRBY", "u8", "0", "100"),
                ("BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "i8", "8", "200"),
                ("BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "u2", "4", "7"),
                ("MSETNX", "m1", "1", "m2", "2"), ("MSET", "m3", "3", "m4", "4"),
                ("INCR", "n"), ("DECRBY", "n", "10"), ("INCRBY", "n", "-3"), ("GETDEL", "m3"),
                ("PFADD", "hll", "a", "b", "c"), ("PFADD", "hll", "d"), ("PFCOUNT", "hll"),
                ("PFADD", "hll2", "x"), ("PFMERGE", "hll3", "hll", "hll2"),
                ("BITOP", "AND", "band", "b", "bf"), ("BITOP", "NOT", "bnot", "s"),
                ("SET", "i", "100"), ("APPEND", "i", "5"), ("INCR", "i")):
        c.call(*cmd)


def sc_keyspace(c, conn):
    for cmd in (("SET", "a", "1"), ("SET", "b", "2", "EX", "100"), ("RPUSH", "l", "x", "y"),
                ("MOVE", "a", "5"), ("COPY", "b", "b2"), ("COPY", "l", "l2", "DB", "3"),
                ("COPY", "b", "l", "REPLACE"), ("RENAME", "b2", "b3"), ("RENAMENX", "b3", "b4"),
                ("SET", "u", "1"), ("UNLINK", "u"), ("SELECT", "3"), ("SET", "x", "1"),
                ("SWAPDB", "0", "3"), ("SET", "after-swap", "db3"), ("SELECT", "0"),
                ("SET", "after-swap", "db0"), ("SELECT", "2"), ("SET", "y", "1"), ("FLUSHDB",),
                ("SET", "y2", "2"), ("SELECT", "6"), ("SET", "z", "1"), ("FLUSHDB", "ASYNC"),
                ("SELECT", "0"), ("SWAPDB", "5", "7"), ("TOUCH", "l")):
        assert not isinstance(c.value(*cmd), Exception), cmd


def sc_flushall(c, conn):
    for cmd in (("SET", "a", "1"), ("SELECT", "4"), ("SET", "b", "1"), ("FLUSHALL",),
                ("SET", "c", "1"), ("SELECT", "0"), ("SET", "d", "1"), ("FLUSHALL", "ASYNC"),
                ("SET", "e", "1"), ("SELECT", "9"), ("RPUSH", "f", "1"), ("FLUSHALL", "SYNC"),
                ("SELECT", "9"), ("SET", "g", "1"), ("SELECT", "0"), ("SET", "h", "1")):
        assert not isinstance(c.value(*cmd), Exception), cmd


def sc_multi_exec(c, conn):
    keys = spread_keys(8, "t:")
    replies = c.pipeline([("MULTI",), ("SET", keys[0], "1"), ("INCR", keys[1]),
                          ("RPUSH", keys[2], "x"), ("SADD", keys[3], "m", "n"),
                          ("EXPIRE", keys[0], "100"), ("SPOP", keys[3]),
                          ("INCRBYFLOAT", keys[4], "1.5"), ("EXEC",)])
    assert isinstance(replies[-1][0], list) and len(replies[-1][0]) == 7
    # SELECT inside the transaction.
    replies = c.pipeline([("MULTI",), ("SELECT", "2"), ("SET", keys[5], "db2"), ("SELECT", "0"),
                          ("SET", keys[6], "db0"), ("EXEC",)])
    assert replies[-1][1] == b"*4\r\n+OK\r\n+OK\r\n+OK\r\n+OK\r\n"
    # Discarded and aborted: nothing.
    c.pipeline([("MULTI",), ("SET", "discarded", "1"), ("DISCARD",)])
    c.pipeline([("MULTI",), ("SET", "aborted", "1"), ("NOSUCHCOMMAND",), ("EXEC",)])
    # An error at EXEC time: the other commands are applied.
    replies = c.pipeline([("MULTI",), ("SET", "q", "v"), ("LPUSH", "q", "x"), ("INCR", keys[7]),
                          ("EXEC",)])
    assert replies[-1][1].startswith(b"*3\r\n+OK\r\n-WRONGTYPE")
    # A failed WATCH: nothing.
    other = conn()
    assert c.raw("WATCH", "w") == OK
    assert other.raw("SET", "w", "other") == OK
    replies = c.pipeline([("MULTI",), ("SET", "w", "mine"), ("SET", "w2", "mine"), ("EXEC",)])
    assert replies[-1][1] == b"*-1\r\n"
    # Only reads: nothing written.
    c.pipeline([("MULTI",), ("GET", keys[0]), ("EXEC",)])


def sc_expiry(c, conn):
    short = spread_keys(12, "e:")
    for k in short:
        assert c.raw("SET", k, "v", "PX", "100") == OK
    assert c.raw("SET", "keep", "v") == OK
    assert c.raw("SELECT", "3") == OK
    assert c.raw("RPUSH", "l3", "a") == integer(1)
    assert c.raw("PEXPIRE", "l3", "100") == integer(1)
    assert c.raw("SELECT", "0") == OK
    time.sleep(0.25)
    # Lazily: read after the deadline.
    assert c.value("MGET", *short[:4]) == [None] * 4
    assert c.raw("EXISTS", short[4]) == integer(0)
    # Actively: the rest go by themselves.
    assert wait_until(lambda: c.value("DBSIZE") == 1, timeout=5), c.value("DBSIZE")
    assert c.raw("SELECT", "3") == OK
    assert wait_until(lambda: c.value("DBSIZE") == 0, timeout=5)
    assert c.raw("SELECT", "0") == OK
    # The same names written again, without a TTL: kept.
    assert c.raw("SET", short[0], "again") == OK
    assert c.raw("SET", short[5], "again", "EX", "1000") == OK


def sc_sets_hashes_sort_geo(c, conn):
    for cmd in (("SADD", "s1", "a", "b", "c"), ("SADD", "s2", "c", "d"),
                ("SMOVE", "s1", "s2", "a"), ("SINTERSTORE", "si", "s1", "s2"),
                ("SUNIONSTORE", "su", "s1", "s2"), ("SDIFFSTORE", "sd", "s2", "s1"),
                ("SREM", "s1", "b"), ("HSET", "h", "a", "1", "b", "2"), ("HDEL", "h", "a"),
                ("HSETNX", "h", "c", "3"), ("HMSET", "h", "d", "4"), ("HINCRBY", "h", "b", "5"),
                ("RPUSH", "nums", "3", "1", "2"), ("SORT", "nums", "STORE", "sorted"),
                ("SORT", "nums", "DESC", "LIMIT", "0", "2", "STORE", "sorted2"),
                ("GEOADD", "geo", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669",
                 "Catania"),
                ("GEOSEARCHSTORE", "gs", "geo", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km",
                 "ASC", "STOREDIST"),
                ("GEORADIUS", "geo", "15", "37", "200", "km", "STORE", "gr")):
        assert not isinstance(c.value(*cmd), Exception), cmd


def sc_scripts(c, conn):
    # A script's effects are logged, not the script: random values, a
    # SELECT inside it, keys it did not declare, a write then an error.
    keys = spread_keys(12, "lua:")
    body = ("for i, k in ipairs(KEYS) do redis.call('set', k, math.random(1000000)) end "
            "redis.call('select', 5) redis.call('rpush', 'in5', 'x') "
            "redis.call('incr', 'undeclared') return 1")
    for _ in range(3):
        assert c.raw("EVAL", body, str(len(keys)), *keys) == integer(1)
    assert c.raw("SET", "str", "abc") == OK
    body = "redis.call('set', KEYS[1], 'written') return redis.call('incr', KEYS[2])"
    assert c.raw("EVAL", body, "2", "w", "str").startswith(b"-ERR value is not an integer")
    sha = c.value("SCRIPT", "LOAD", "return redis.call('hincrby', KEYS[1], 'f', ARGV[1])")
    for i in range(4):
        assert c.raw("EVALSHA", sha, "1", "h", str(i)) == integer(sum(range(i + 1)))


SCENARIOS = {name[3:].replace("_", "-"): fn for name, fn in sorted(globals().items())
             if name.startswith("sc_")}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_replay_gives_the_same_dataset(persist, name):
    """The commands run, the dataset is recorded (DEBUG DIGEST, every value
    and absolute expiry); DEBUG LOADAOF and then a restart give it back
    exactly."""
    d = persist.dir()
    flags = AOF + ALWAYS + DEBUG
    srv = persist.start(d, *flags)
    c = persist.client(srv)
    conns = []

    def conn():
        conns.append(persist.client(srv))
        return conns[-1]

    SCENARIOS[name](c, conn)
    want = state(c)
    assert want[1], "the scenario left nothing to compare"
    for p in aof_incr_files(d):
        check_aof(p)
    assert c.raw("DEBUG", "LOADAOF") == OK
    assert state(c) == want
    assert pinfo(c, "rdb_changes_since_last_save") == 0
    persist.shutdown(srv)
    srv, c = restart(persist, srv, *flags)
    got = state(c)
    assert got[1] == want[1]
    assert got[0] == want[0]


def test_debug_loadaof_after_rewrite(persist):
    d = persist.dir()
    srv = persist.start(d, *AOF, *DEBUG)
    c = persist.client(srv)
    fill(c)
    want = state(c)
    assert c.raw("DEBUG", "LOADAOF") == OK
    assert state(c) == want
    assert c.raw("BGREWRITEAOF") == AOF_REWRITE_STARTED
    wait_aof_rewrite(c)
    assert c.raw("SET", "after", "1") == OK
    want = state(c)
    assert c.raw("DEBUG", "LOADAOF") == OK
    assert state(c) == want


# ----------------------------------------------- rewrite under writes


@pytest.mark.slow
def test_rewrite_while_clients_write(persist):
    """Writes on every shard before, during and after a rewrite: a restart
    gives exactly the dataset they left."""
    d = persist.dir()
    srv = persist.start(d, *AOF, *DEBUG)
    c = persist.client(srv)
    keys = spread_keys(400, "w:")
    assert c.raw("MSET", *sum(([k, "0"] for k in keys), [])) == OK
    stop = threading.Event()
    errors = []
    done = [0] * 4

    def writer(t):
        cc = persist.client(srv)
        i = 0
        try:
            while not stop.is_set():
                k = keys[(i * 7 + t) % len(keys)]
                cmds = [("INCR", k), ("RPUSH", "list:%d" % t, str(i)),
                        ("HSET", "hash:%d" % (i % 5), "f%d" % t, str(i))]
                if i % 10 == 0:
                    cmds += [("MULTI",), ("DECR", keys[i % 50]), ("INCR", keys[-1 - i % 50]),
                             ("EXEC",)]
                for v, w in cc.pipeline(cmds):
                    if w.startswith(b"-"):
                        errors.append(w)
                i += 1
                done[t] = i
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    try:
        time.sleep(0.3)
        # 400 keys at 1 ms each: the rewrite outlasts some writes.
        assert c.raw("CONFIG", "SET", "rdb-key-save-delay", "1000") == OK
        assert c.raw("BGREWRITEAOF") == AOF_REWRITE_STARTED
        at_start = sum(done)
        info = wait_aof_rewrite(c, timeout=30)
        during = sum(done) - at_start
        assert c.raw("CONFIG", "SET", "rdb-key-save-delay", "0") == OK
        time.sleep(0.3)
    finally:
        stop.set()
        for th in threads:
            th.join()
    assert during > 0, "no write while the rewrite ran"
    assert not errors, errors[:3]
    assert info["aof_last_bgrewrite_status"] == "ok"
    want = state(c)
    persist.shutdown(srv)
    srv, c = restart(persist, srv, *AOF, *DEBUG)
    assert state(c) == want


# ------------------------------------------------- torn and corrupt files

LAST = ("SET", "last", "v")


def written(persist, *flags):
    """A server's directory after writes ending with SET last v and a
    SHUTDOWN: (dir, the incr file holding that command, its bytes)."""
    d = persist.dir()
    srv = persist.start(d, *AOF, *ALWAYS, *flags)
    c = persist.client(srv)
    for i in range(20):
        assert c.raw("INCR", "m") == integer(i + 1)
    keys = spread_keys(50, "k:")
    assert c.raw("MSET", *sum(([k, k] for k in keys), [])) == OK
    assert c.raw("SET", *LAST[1:]) == OK
    persist.shutdown(srv)
    path, data = file_with(d, LAST)
    assert data.endswith(encode(list(LAST)))
    return d, srv, path, data


TORN = {"last-byte": 1, "half": len(encode(list(LAST))) // 2,
        "all-but-one": len(encode(list(LAST))) - 1}


@pytest.mark.parametrize("cut", list(TORN))
def test_torn_last_command_is_dropped(persist, cut):
    d, srv, path, data = written(persist)
    write_file(path, data[:-TORN[cut]])
    srv, c = restart(persist, srv, *AOF, *ALWAYS)
    assert c.raw("GET", "last") == NIL
    assert c.raw("GET", "m") == bulk("20")
    assert c.raw("DBSIZE") == integer(51)
    log = srv.log()
    assert os.path.basename(path) in log and re.search("truncat", log, re.I), log
    # The torn bytes are gone from the file: what is written next loads.
    assert c.raw("SET", "after", "1") == OK
    persist.shutdown(srv)
    for p in aof_incr_files(d):
        check_aof(p)
    srv, c = restart(persist, srv, *AOF)
    assert c.raw("GET", "after") == bulk("1")
    assert c.raw("GET", "m") == bulk("20")
    assert c.raw("DBSIZE") == integer(52)


def test_torn_last_command_refused_with_aof_load_truncated_no(persist):
    d, srv, path, data = written(persist)
    write_file(path, data[:-5])
    status, log = persist.start_failing(d, *AOF, "--aof-load-truncated", "no")
    assert status != 0
    assert os.path.basename(path) in log, log
    assert read_file(path) == data[:-5], "the file was changed"


def test_truncated_file_that_is_not_the_last_is_refused(persist):
    """Two incr files in the manifest: the first torn is fatal even with
    aof-load-truncated yes (only the last file may end torn)."""
    d, srv, path, data = written(persist)
    m = os.path.join(os.path.dirname(path), AOF_FILENAME + ".manifest")
    entries = read_manifest(m)
    assert entries[-1] == (os.path.basename(path), 1, "i")
    nxt = "%s.2.incr.aof" % AOF_FILENAME
    write_file(os.path.join(os.path.dirname(path), nxt),
               encode(["SELECT", "0"]) + encode(["SET", "last", "second-file"]))
    with open(m, "a") as f:
        f.write("file %s seq 2 type i\n" % nxt)
    srv, c = restart(persist, srv, *AOF)
    assert c.raw("GET", "last") == bulk("second-file")
    persist.shutdown(srv)
    write_file(path, data[:-3])
    status, log = persist.start_failing(d, *AOF)
    assert status != 0
    assert os.path.basename(path) in log, log


@pytest.mark.parametrize("setting", ["yes", "no"])
def test_multi_without_exec_at_the_end(persist, setting):
    d, srv, path, data = written(persist)
    path, data = file_with(d, ("INCR", "m"))
    tail = encode(["MULTI"]) + encode(["INCR", "m"]) + encode(["SET", "m", "in-multi"])
    write_file(path, data + tail)
    if setting == "no":
        status, log = persist.start_failing(d, *AOF, "--aof-load-truncated", "no")
        assert status != 0
        assert os.path.basename(path) in log, log
        return
    srv, c = restart(persist, srv, *AOF)
    assert c.raw("GET", "m") == bulk("20")
    assert c.raw("DBSIZE") == integer(52)
    log = srv.log()
    assert os.path.basename(path) in log and re.search("multi|truncat", log, re.I), log
    assert c.raw("INCR", "m") == integer(21)
    persist.shutdown(srv)
    srv, c = restart(persist, srv, *AOF)
    assert c.raw("GET", "m") == bulk("21")


def test_complete_multi_exec_at_the_end_loads(persist):
    d, srv, path, data = written(persist)
    path, data = file_with(d, ("INCR", "m"))
    write_file(path, data + encode(["MULTI"]) + encode(["INCR", "m"]) + encode(["INCR", "m"]) +
               encode(["EXEC"]))
    srv, c = restart(persist, srv, *AOF)
    assert c.raw("GET", "m") == bulk("22")


def corrupt(data, kind):
    """Damage the 10th INCR m of the file: (new bytes, offset of the damaged
    command, offset of the damaged byte)."""
    cmd = encode(["INCR", "m"])
    at = -1
    for _ in range(10):
        at = data.index(cmd, at + 1)
    if kind == "multibulk-prefix":
        pos = at
        return data[:pos] + b"?" + data[pos + 1:], at, pos
    if kind == "bulk-length":
        pos = at + len(b"*2\r\n$")
        return data[:pos] + b"x" + data[pos + 1:], at, pos
    if kind == "unknown-command":
        pos = at + len(b"*2\r\n$4\r\n")
        return data[:pos] + b"INCX" + data[pos + 4:], at, pos
    raise ValueError(kind)


CORRUPTIONS = ["multibulk-prefix", "bulk-length", "unknown-command"]


@pytest.mark.parametrize("kind", CORRUPTIONS)
def test_corrupt_command_in_the_middle_stops_startup(persist, kind):
    d, srv, _, _ = written(persist)
    path, data = file_with(d, ("INCR", "m"))
    bad, _, _ = corrupt(data, kind)
    write_file(path, bad)
    # aof-load-truncated yes (the default) does not cover it.
    status, log = persist.start_failing(d, *AOF)
    assert status != 0
    assert os.path.basename(path) in log, log
    if kind == "unknown-command":
        assert "INCX" in log, log
    assert read_file(path) == bad, "the corrupt file was changed"


def damage_manifest(d, kind):
    """Damage the first manifest; returns the file name the log must name
    (or None)."""
    m = aof_manifests(d)[0]
    folder = os.path.dirname(m)
    base, incr = manifest_paths(m, "b")[0], manifest_paths(m, "i")[-1]
    with open(m, "rb") as f:
        text = f.read()
    if kind == "missing-base":
        os.unlink(base)
        return os.path.basename(base)
    if kind == "missing-incr":
        os.unlink(incr)
        return os.path.basename(incr)
    if kind == "duplicate-base":
        other = "%s.9.base.rdb" % AOF_FILENAME
        with open(base, "rb") as src, open(os.path.join(folder, other), "wb") as dst:
            dst.write(src.read())
        text += b"file %s seq 9 type b\n" % other.encode()
    elif kind == "unknown-type":
        text += b"file %s.9.incr.aof seq 9 type x\n" % AOF_FILENAME.encode()
    elif kind == "garbage-line":
        text += b"garbage line\n"
    elif kind == "empty":
        text = b""
    else:
        raise ValueError(kind)
    write_file(m, text)
    return None


MANIFEST_DAMAGE = ["missing-base", "missing-incr", "duplicate-base", "unknown-type",
                   "garbage-line", "empty"]
MANIFEST_LOG = {       # what Redis 7.0.15 logs, exactly
    "missing-base": "Unable to obtain the AOF file %s length. stat: No such file or directory",
    "missing-incr": "Unable to obtain the AOF file %s length. stat: No such file or directory",
    "duplicate-base": "Found duplicate base file information",
    "unknown-type": "Unknown AOF file type",
    "garbage-line": "Invalid AOF manifest file format",
    "empty": "Found an empty AOF manifest",
}


@pytest.mark.parametrize("kind", MANIFEST_DAMAGE)
def test_bad_manifest_stops_startup(persist, kind):
    d, _, _, _ = written(persist)
    named = damage_manifest(d, kind)
    status, log = persist.start_failing(d, *AOF)
    assert status != 0
    if named:
        assert named in log, log
    elif kind == "duplicate-base":
        assert "duplicate" in log.lower(), log
    else:
        assert "manifest" in log.lower() or "aof file type" in log.lower(), log


# ------------------------------------------------------------ kevy only


@pytest.mark.kevy_only
@pytest.mark.parametrize("kind", MANIFEST_DAMAGE)
def test_bad_manifest_log_is_redis_text(persist, kind):
    d, _, _, _ = written(persist)
    named = damage_manifest(d, kind)
    status, log = persist.start_failing(d, *AOF)
    assert status != 0
    text = MANIFEST_LOG[kind] % named if named else MANIFEST_LOG[kind]
    assert text in log, log


@pytest.mark.kevy_only
@pytest.mark.skipif(IMPL == "redis", reason="Redis's log names no offset for a corrupt command")
@pytest.mark.parametrize("kind", CORRUPTIONS)
def test_corrupt_log_names_file_and_offset(persist, kind):
    d, _, _, _ = written(persist)
    path, data = file_with(d, ("INCR", "m"))
    bad, start, pos = corrupt(data, kind)
    write_file(path, bad)
    status, log = persist.start_failing(d, *AOF)
    assert status != 0
    assert os.path.basename(path) in log, log
    offsets = [int(x) for x in re.findall(r"offset\D{0,3}(\d+)", log, re.I)]
    end = start + len(encode(["INCR", "m"]))
    assert any(start <= o <= end for o in offsets), (start, pos, end, log)


@pytest.mark.kevy_only
def test_torn_log_names_file_and_offset(persist):
    d, srv, path, data = written(persist)
    write_file(path, data[:-3])
    srv, c = restart(persist, srv, *AOF)
    valid = len(data) - len(encode(list(LAST)))
    assert "Truncating the AOF %s at offset %d" % (os.path.basename(path), valid) in srv.log()
    assert os.path.getsize(path) == valid
