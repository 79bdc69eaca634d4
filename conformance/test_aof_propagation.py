"""What the append-only file logs for each write command: a form that
replays to the same data and TTLs, exactly as Redis 7.0.15 propagates it
(the argv it writes to its incr file is the reference: command-name case
included where Redis rewrites). Relative times become absolute (SET ...
PXAT, PEXPIREAT, RESTORE ... ABSTTL), a time already past becomes the
deletion (DEL, or UNLINK with lazyfree-lazy-expire/-user-del), a random or
computed result becomes what it was (SREM per member SPOP took, SET ...
KEEPTTL and HSET for the float increments), a blocking or multi-key pop
its plain form (LPOP/RPOP/ZPOPMIN/ZPOPMAX key [count], LMOVE, RPOPLPUSH),
GEOADD the ZADD it runs.

Then the datasets: after a workload of every such command (on kevy with
keys on different shards, so the internal parts of RENAME, COPY, SMOVE,
LMOVE, the STORE commands... log what reproduces their effect on each
shard), a restart on the AOF gives the same keys, values and expire times
(and DEBUG DIGEST). A replay keeps an expire time that has passed since it
was logged (Redis's loading never deletes), so what came after it in the
log applies to the key as it was.

Every test starts its own servers (persist_helpers). Files are read in
either layout: Redis's one incr file, or kevy's one per shard (the exact
forms use one {hashtag}, so on kevy they are all in one shard's file).
"""

import threading
import time

import pytest

from blocking_helpers import block, read_raw, shard_keys
from conftest import IMPL
from helpers import OK, bulk, integer
from persist_helpers import (FAR_MS, aof_entries, aof_incr_files, assert_same, digest,
                             persist_servers, read_file, snapshot, without_encoding)

pytestmark = pytest.mark.restart

AOF = ("--appendonly", "yes", "--appendfsync", "always", "--enable-debug-command", "yes")
FAR_S = FAR_MS // 1000


@pytest.fixture
def persist():
    yield from persist_servers()


def serve(persist, *flags):
    d = persist.dir()
    srv = persist.start(d, *(AOF + flags))
    return d, srv, persist.client(srv)


def now_ms():
    return int(time.time() * 1000)


class Near:
    """An absolute time in ms (a bulk of digits) within [lo, hi]."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def __eq__(self, other):
        return isinstance(other, bytes) and other.isdigit() and self.lo <= int(other) <= self.hi

    def __repr__(self):
        return "<ms %d..%d>" % (self.lo, self.hi)


class In:
    """now + delta ms, now being when the command ran."""

    def __init__(self, delta):
        self.delta = delta


def b(x):
    return x if isinstance(x, (bytes, Near)) else str(x).encode()


class Log:
    """The commands logged since the last look, every incr file in turn,
    SELECTs (and annotations) left out; names as written (case kept)."""

    def __init__(self, d):
        self.d = d
        self.seen = {}

    def new(self):
        out = []
        for p in aof_incr_files(self.d):
            data = read_file(p)
            old = self.seen.get(p, 0)
            self.seen[p] = len(data)
            out += [e for e in aof_entries(data[old:])
                    if isinstance(e, tuple) and e[0].upper() != b"SELECT"]
        return out


def expect(c, log, cmd, *want, reply=None, coordinated=False):
    """Run cmd; the commands it logged are `want` (tuples; In(delta) for a
    time from now). coordinated: a command kevy may run as a coordination
    over shards (its key on another shard than the client's); its effects
    are then logged as one transaction block (MULTI ... EXEC, annotated
    kevy-tx), which replays as the same effects."""
    t0 = now_ms()
    r = c.raw(*cmd)
    t1 = now_ms()
    if reply is not None:
        assert r == reply, (cmd, r)
    assert not r.startswith(b"-"), (cmd, r)
    exp = [tuple(Near(t0 + x.delta, t1 + x.delta + 1) if isinstance(x, In) else b(x)
                 for x in w) for w in want]
    got = log.new()
    if (coordinated and exp[:1] != [(b"MULTI",)] and got[:1] == [(b"MULTI",)]
            and got[-1:] == [(b"EXEC",)]):
        got = got[1:-1]
    assert got == exp, "%r logged %r, want %r" % (cmd, got, exp)
    return r


# ---------------------------------------------------------- exact forms


def test_strings_and_expire_times(persist):
    d, _, c = serve(persist)
    log = Log(d)
    k = "{t}k"
    expect(c, log, ("SET", k, "v", "EX", "100"), ("SET", k, "v", "PXAT", In(100000)))
    expect(c, log, ("set", k, "v", "px", "100000"), ("SET", k, "v", "PXAT", In(100000)))
    expect(c, log, ("SET", k, "v", "EXAT", FAR_S), ("SET", k, "v", "PXAT", FAR_S * 1000))
    expect(c, log, ("set", k, "v", "PXAT", FAR_MS), ("SET", k, "v", "PXAT", FAR_MS))
    expect(c, log, ("SET", k, "w", "EX", "100", "GET"), ("SET", k, "w", "PXAT", In(100000)),
           reply=bulk("v"))
    expect(c, log, ("SET", k, "x", "NX", "EX", "100"), reply=b"$-1\r\n")
    expect(c, log, ("SET", "{t}k2", "v", "NX", "EX", "100"),
           ("SET", "{t}k2", "v", "PXAT", In(100000)))
    expect(c, log, ("SET", k, "v", "XX", "PX", "100000"), ("SET", k, "v", "PXAT", In(100000)))
    expect(c, log, ("SET", "{t}none", "v", "XX", "PX", "100000"), reply=b"$-1\r\n")
    expect(c, log, ("set", k, "v", "KEEPTTL"), ("set", k, "v", "KEEPTTL"))
    expect(c, log, ("set", k, "v", "KEEPTTL", "GET"), ("set", k, "v", "KEEPTTL"))
    expect(c, log, ("set", k, "w", "get", "GET", "xx"), ("set", k, "w", "xx"))
    expect(c, log, ("SETEX", k, "100", "v"), ("SET", k, "v", "PXAT", In(100000)))
    expect(c, log, ("PSETEX", k, "100000", "v"), ("SET", k, "v", "PXAT", In(100000)))
    expect(c, log, ("SET", k, "v"), ("SET", k, "v"))
    expect(c, log, ("GETEX", k, "EX", "100"), ("PEXPIREAT", k, In(100000)))
    expect(c, log, ("getex", k, "px", "100000"), ("PEXPIREAT", k, In(100000)))
    expect(c, log, ("GETEX", k, "EXAT", FAR_S), ("PEXPIREAT", k, FAR_S * 1000))
    expect(c, log, ("GETEX", k, "PXAT", FAR_MS), ("PEXPIREAT", k, FAR_MS))
    expect(c, log, ("GETEX", k, "PERSIST"), ("PERSIST", k))
    expect(c, log, ("GETEX", k, "PERSIST"))                  # no TTL: no change
    expect(c, log, ("GETEX", k))
    expect(c, log, ("GETEX", k, "EXAT", "1"), ("DEL", k), reply=bulk("v"))
    expect(c, log, ("SET", k, "v"), ("SET", k, "v"))
    expect(c, log, ("GETDEL", k), ("DEL", k), reply=bulk("v"))
    expect(c, log, ("GETDEL", k))
    expect(c, log, ("SET", "{t}f", "1.5"), ("SET", "{t}f", "1.5"))
    expect(c, log, ("INCRBYFLOAT", "{t}f", "2"), ("SET", "{t}f", "3.5", "KEEPTTL"))
    expect(c, log, ("incrbyfloat", "{t}f", "1e2"), ("SET", "{t}f", "103.5", "KEEPTTL"))
    expect(c, log, ("INCRBYFLOAT", "{t}f", "0.1"), ("SET", "{t}f", "103.6", "KEEPTTL"))
    expect(c, log, ("HSET", "{t}h", "a", "1.5"), ("HSET", "{t}h", "a", "1.5"))
    expect(c, log, ("HINCRBYFLOAT", "{t}h", "a", "2.5"), ("HSET", "{t}h", "a", "4"))
    expect(c, log, ("hincrbyfloat", "{t}h", "b", "3e0"), ("HSET", "{t}h", "b", "3"))
    # A SET whose time has passed is still the SET (the key expires later:
    # not here, with active expiry off).
    assert c.raw("DEBUG", "SET-ACTIVE-EXPIRE", "0") == OK
    expect(c, log, ("SET", "{t}p", "v", "EXAT", "1"), ("SET", "{t}p", "v", "PXAT", "1000"))
    expect(c, log, ("set", "{t}q", "v", "pxat", "5"), ("SET", "{t}q", "v", "PXAT", "5"))


def test_expire_family(persist):
    d, _, c = serve(persist)
    log = Log(d)
    k = "{t}k"
    expect(c, log, ("SET", k, "v"), ("SET", k, "v"))
    expect(c, log, ("EXPIRE", k, "100"), ("PEXPIREAT", k, In(100000)), reply=integer(1))
    expect(c, log, ("pexpire", k, "100000"), ("PEXPIREAT", k, In(100000)))
    expect(c, log, ("EXPIREAT", k, FAR_S), ("PEXPIREAT", k, FAR_S * 1000))
    expect(c, log, ("pexpireat", k, FAR_MS), ("pexpireat", k, FAR_MS))   # as it ran
    expect(c, log, ("EXPIRE", k, "100", "GT"), reply=integer(0))
    expect(c, log, ("expire", k, "100", "lt"), ("PEXPIREAT", k, In(100000), "lt"))
    expect(c, log, ("EXPIRE", k, "200", "XX", "GT", "xx"), ("PEXPIREAT", k, In(200000), "XX",
                                                             "GT", "xx"))
    expect(c, log, ("EXPIRE", k, "-1"), ("DEL", k), reply=integer(1))
    expect(c, log, ("SET", k, "v"), ("SET", k, "v"))
    expect(c, log, ("PEXPIREAT", k, "1"), ("DEL", k))
    expect(c, log, ("SET", k, "v"), ("SET", k, "v"))
    expect(c, log, ("EXPIREAT", k, "1"), ("DEL", k))
    expect(c, log, ("EXPIRE", k, "10"), reply=integer(0))   # no such key
    expect(c, log, ("SET", k, "v"), ("SET", k, "v"))
    expect(c, log, ("EXPIRE", k, "100", "NX"), ("PEXPIREAT", k, In(100000), "NX"))
    expect(c, log, ("PERSIST", k), ("PERSIST", k))
    expect(c, log, ("PERSIST", k))


def test_restore_logs_an_absolute_ttl(persist):
    d, _, c = serve(persist)
    log = Log(d)
    assert c.raw("SET", "{t}src", "value") == OK
    payload = c.value("DUMP", "{t}src")
    log.new()
    expect(c, log, ("restore", "{t}r1", "0", payload), ("restore", "{t}r1", "0", payload))
    expect(c, log, ("RESTORE", "{t}r2", "100000", payload),
           ("RESTORE", "{t}r2", In(100000), payload, "ABSTTL"))
    expect(c, log, ("RESTORE", "{t}r3", FAR_MS, payload, "ABSTTL"),
           ("RESTORE", "{t}r3", FAR_MS, payload, "ABSTTL"))
    expect(c, log, ("restore", "{t}r1", "100000", payload, "REPLACE", "IDLETIME", "10"),
           ("restore", "{t}r1", In(100000), payload, "REPLACE", "IDLETIME", "10", "ABSTTL"))
    # Already expired: nothing is created; a key it replaced is deleted.
    expect(c, log, ("RESTORE", "{t}r4", "1", payload, "ABSTTL"), reply=OK)
    expect(c, log, ("RESTORE", "{t}r3", "1", payload, "ABSTTL", "REPLACE"), ("DEL", "{t}r3"),
           reply=OK)


def test_random_pops_log_what_they_took(persist):
    d, _, c = serve(persist)
    log = Log(d)
    s = "{t}s"
    expect(c, log, ("SADD", s, "a"), ("SADD", s, "a"))
    expect(c, log, ("SPOP", s), ("SREM", s, "a"), reply=bulk("a"))
    expect(c, log, ("SPOP", s))
    expect(c, log, ("SADD", s, "a", "b", "c"), ("SADD", s, "a", "b", "c"))
    expect(c, log, ("SPOP", s, "0"))
    expect(c, log, ("SRANDMEMBER", s, "2"))
    expect(c, log, ("SPOP", s, "3"), ("DEL", s))              # the whole set
    expect(c, log, ("SADD", s, "a", "b", "c"), ("SADD", s, "a", "b", "c"))
    expect(c, log, ("SPOP", s, "10"), ("DEL", s))
    for n, count in ((10, "3"), (10, "8"), (300, "20")):  # both of Redis's strategies
        members = ["m%d" % i for i in range(n)]
        assert c.raw("SADD", s, *members) == integer(n)
        log.new()
        popped = c.value("SPOP", s, count)
        got = [e for e in log.new() if e[0] not in (b"MULTI", b"EXEC")]
        assert got == [(b"SREM", s.encode(), m) for m in popped], (got, popped)
        assert c.raw("DEL", s) == integer(1)
        log.new()


def test_spop_with_count_is_one_transaction(persist):
    d, _, c = serve(persist)
    log = Log(d)
    assert c.raw("SADD", "{t}s", *("m%d" % i for i in range(10))) == integer(10)
    log.new()
    popped = c.value("SPOP", "{t}s", "3")
    assert log.new() == [(b"MULTI",)] + [(b"SREM", b"{t}s", m) for m in popped] + [(b"EXEC",)]


def test_a_key_expired_inside_a_command(persist):
    """The deletion of a key a command finds expired is logged before the
    command, the two in one MULTI/EXEC, and the command is logged too."""
    d, _, c = serve(persist)
    log = Log(d)
    assert c.raw("DEBUG", "SET-ACTIVE-EXPIRE", "0") == OK
    assert c.raw("SET", "{t}k1", "v") == OK
    assert c.raw("SET", "{t}k2", "v", "PX", "30") == OK
    time.sleep(0.1)
    log.new()
    assert c.raw("DEL", "{t}k1", "{t}k2") == integer(1)
    assert log.new() == [(b"MULTI",), (b"DEL", b"{t}k2"), (b"DEL", b"{t}k1", b"{t}k2"),
                         (b"EXEC",)]


def test_multi_pops_and_blocking_pops_at_once(persist):
    d, _, c = serve(persist)
    log = Log(d)
    l, l2, z = "{t}l", "{t}l2", "{t}z"
    expect(c, log, ("RPUSH", l, "a", "b", "c", "d"), ("RPUSH", l, "a", "b", "c", "d"))
    expect(c, log, ("LMPOP", "1", l, "LEFT"), ("LPOP", l, "1"))
    expect(c, log, ("lmpop", "2", "{t}no", l, "right", "COUNT", "2"), ("RPOP", l, "2"))
    expect(c, log, ("LMPOP", "1", l, "LEFT", "COUNT", "5"), ("LPOP", l, "1"))
    expect(c, log, ("ZADD", z, "1", "a", "2", "b", "3", "c", "4", "d"),
           ("ZADD", z, "1", "a", "2", "b", "3", "c", "4", "d"))
    expect(c, log, ("ZMPOP", "1", z, "MIN"), ("ZPOPMIN", z, "1"))
    expect(c, log, ("zmpop", "1", z, "max", "COUNT", "2"), ("ZPOPMAX", z, "2"))
    expect(c, log, ("ZMPOP", "1", z, "MIN", "COUNT", "5"), ("ZPOPMIN", z, "1"))
    expect(c, log, ("RPUSH", l, "a", "b", "c"), ("RPUSH", l, "a", "b", "c"))
    expect(c, log, ("BLPOP", l, "0"), ("LPOP", l))
    expect(c, log, ("BRPOP", "{t}no", l, "0"), ("RPOP", l))
    expect(c, log, ("RPUSH", l, "a", "b"), ("RPUSH", l, "a", "b"))
    expect(c, log, ("BLMOVE", l, l2, "left", "RIGHT", "0"), ("LMOVE", l, l2, "left", "RIGHT"))
    expect(c, log, ("brpoplpush", l, l2, "0"), ("RPOPLPUSH", l, l2))
    expect(c, log, ("LMOVE", l, l2, "RIGHT", "LEFT"), ("LMOVE", l, l2, "RIGHT", "LEFT"))
    expect(c, log, ("BLMPOP", "0", "1", l2, "LEFT", "COUNT", "2"), ("LPOP", l2, "2"))
    expect(c, log, ("ZADD", z, "1", "a", "2", "b", "3", "c", "4", "d"),
           ("ZADD", z, "1", "a", "2", "b", "3", "c", "4", "d"))
    expect(c, log, ("BZPOPMIN", z, "0"), ("ZPOPMIN", z))
    expect(c, log, ("BZPOPMAX", z, "0"), ("ZPOPMAX", z))
    expect(c, log, ("BZMPOP", "0", "1", z, "MIN", "COUNT", "5"), ("ZPOPMIN", z, "2"))
    # Popping nothing logs nothing.
    expect(c, log, ("LMPOP", "1", "{t}no", "LEFT"))
    expect(c, log, ("ZMPOP", "1", "{t}no", "MIN"))


def test_blocked_clients_served_later(persist):
    d, srv, c = serve(persist)
    log = Log(d)
    w = persist.client(srv)

    def served(cmd, push, *want):
        block(c, w, *cmd)
        log.new()
        c.raw(*push)
        reply = read_raw(w)
        assert not reply.startswith(b"-") and reply not in (b"*-1\r\n", b"$-1\r\n"), reply
        assert log.new() == [tuple(b(x) for x in push)] + [tuple(b(x) for x in e) for e in want]

    served(("BLPOP", "{t}a", "0"), ("RPUSH", "{t}a", "x", "y"), ("LPOP", "{t}a"))
    served(("BRPOP", "{t}b", "0"), ("RPUSH", "{t}b", "x"), ("RPOP", "{t}b"))
    served(("BLMOVE", "{t}c", "{t}d", "LEFT", "RIGHT", "0"), ("RPUSH", "{t}c", "x", "y"),
           ("LMOVE", "{t}c", "{t}d", "left", "right"))
    served(("BRPOPLPUSH", "{t}e", "{t}d", "0"), ("RPUSH", "{t}e", "x"),
           ("RPOPLPUSH", "{t}e", "{t}d"))
    served(("BLMPOP", "0", "2", "{t}no", "{t}f", "RIGHT", "COUNT", "5"),
           ("RPUSH", "{t}f", "x", "y", "z"), ("RPOP", "{t}f", "3"))
    served(("BZPOPMIN", "{t}g", "0"), ("ZADD", "{t}g", "1", "a", "2", "b"), ("ZPOPMIN", "{t}g"))
    served(("BZPOPMAX", "{t}h", "0"), ("ZADD", "{t}h", "1", "a", "2", "b"), ("ZPOPMAX", "{t}h"))
    served(("BZMPOP", "0", "1", "{t}i", "MAX", "COUNT", "10"),
           ("ZADD", "{t}i", "1", "a", "2", "b", "3", "c"), ("ZPOPMAX", "{t}i", "3"))


def test_geoadd_logs_the_zadd_it_runs(persist):
    d, _, c = serve(persist)
    log = Log(d)
    g = "{t}g"
    expect(c, log, ("GEOADD", g, "13.361389", "38.115556", "Palermo", "15.087269", "37.502669",
                    "Catania"),
           ("zadd", g, "3479099956230698", "Palermo", "3479447370796909", "Catania"))
    expect(c, log, ("GEOADD", g, "XX", "CH", "13.361389", "38.115556", "Palermo"))
    expect(c, log, ("geoadd", g, "nx", "ch", "13.361389", "38.115556", "P2", "15", "37", "Palermo"),
           ("zadd", g, "nx", "ch", "3479099956230698", "P2", "3476504601741708", "Palermo"))


def test_whole_database_commands_always_logged(persist):
    """FLUSHDB and FLUSHALL are logged even on an empty database (Redis
    forces it); SWAPDB too, even of a database with itself. (kevy: each
    shard logs its part, in the MULTI/EXEC of a transaction over shards.)"""
    d, _, c = serve(persist)
    log = Log(d)
    for cmd in (("FLUSHDB",), ("flushall",), ("SWAPDB", "0", "0"), ("swapdb", "0", "1"),
                ("FLUSHDB", "ASYNC")):
        assert c.raw(*cmd) == OK
        got = log.new()
        if IMPL != "redis":
            got = [e for e in got if e not in ((b"MULTI",), (b"EXEC",))]
        assert got and set(got) == {tuple(b(x) for x in cmd)}, (cmd, got)


def test_lazyfree_deletions_log_unlink(persist):
    d, _, c = serve(persist, "--lazyfree-lazy-expire", "yes", "--lazyfree-lazy-user-del", "yes",
                    "--lazyfree-lazy-server-del", "yes")
    log = Log(d)
    k = "{t}k"
    expect(c, log, ("SET", k, "v"), ("SET", k, "v"))
    expect(c, log, ("EXPIRE", k, "-1"), ("UNLINK", k))
    expect(c, log, ("SET", k, "v"), ("SET", k, "v"))
    expect(c, log, ("GETEX", k, "PXAT", "1"), ("UNLINK", k))
    expect(c, log, ("SET", k, "v"), ("SET", k, "v"))
    expect(c, log, ("GETDEL", k), ("UNLINK", k))
    expect(c, log, ("SADD", "{t}s", "a", "b"), ("SADD", "{t}s", "a", "b"))
    expect(c, log, ("SPOP", "{t}s", "5"), ("DEL", "{t}s"))   # always DEL
    assert c.raw("SET", k, "v") == OK
    payload = c.value("DUMP", k)
    log.new()
    expect(c, log, ("RESTORE", k, "1", payload, "ABSTTL", "REPLACE"), ("DEL", k))


# ------------------------------------------------------- replayed datasets


def restart_same(persist, srv, c):
    """Restart on the same directory; the dataset (values and absolute
    expire times) and DEBUG DIGEST come back as they were."""
    want, dig = without_encoding(snapshot(c)), digest(c)
    persist.shutdown(srv)
    new = persist.start(srv.dir, *AOF)
    c2 = persist.client(new)
    assert_same(want, without_encoding(snapshot(c2)))
    assert digest(c2) == dig
    return new, c2


def test_workload_replays_to_the_same_dataset(persist):
    """Every command whose logged form is not its argv, on keys spread over
    shards (kevy: the internal parts of a command across shards log what
    reproduces their effect on each shard)."""
    _, srv, c = serve(persist)
    k = shard_keys("w:", 12)   # neighbours on different shards
    ok = [OK, integer(0), integer(1)]

    def run(*cmd):
        r = c.raw(*cmd)
        assert not r.startswith(b"-"), (cmd, r)
        return r

    run("SET", k[0], "v", "EX", "1000")
    run("SET", k[1], "v", "PX", "1000000", "GET")
    run("SETEX", k[2], "1000", "v")
    run("PSETEX", k[3], "1000000", "v")
    run("SET", k[4], "v")
    run("GETEX", k[4], "EX", "1000")
    run("SET", k[5], "1.1")
    run("INCRBYFLOAT", k[5], "0.2")
    run("EXPIRE", k[5], "1000")
    run("INCRBYFLOAT", k[5], "1e3")
    run("HSET", k[6], "f", "1")
    run("HINCRBYFLOAT", k[6], "f", "0.25")
    run("SADD", k[7], *("m%d" % i for i in range(50)))
    run("SPOP", k[7])
    run("SPOP", k[7], "5")
    run("SPOP", k[7], "40")
    run("SADD", k[8], "a", "b")
    run("SPOP", k[8], "2")
    # Across shards (one shard when the server has one).
    run("MSET", "a:1", "x", "a:2", "y")
    run("MSETNX", k[0] + "n", "1", k[1] + "n", "2")
    run("RPUSH", k[9], "1", "2", "3", "4", "5")
    run("LMOVE", k[9], k[10], "LEFT", "RIGHT")
    run("RPOPLPUSH", k[9], k[10])
    run("LMPOP", "2", k[11], k[9], "RIGHT", "COUNT", "2")
    run("ZADD", "z:a", "1", "a", "2", "b", "3", "c")
    run("ZADD", "z:b", "2", "b", "5", "e")
    run("ZMPOP", "2", "z:none", "z:a", "MAX")
    run("ZUNIONSTORE", k[11] + "zu", "2", "z:a", "z:b", "WEIGHTS", "2", "3")
    run("ZINTERSTORE", k[8] + "zi", "2", "z:a", "z:b")
    run("ZDIFFSTORE", k[7] + "zd", "2", "z:a", "z:b")
    run("ZRANGESTORE", k[6] + "zr", "z:b", "0", "-1")
    run("SADD", "s:a", "1", "2", "3", "x")
    run("SADD", "s:b", "2", "3", "y")
    run("SINTERSTORE", k[5] + "si", "s:a", "s:b")
    run("SUNIONSTORE", k[4] + "su", "s:a", "s:b")
    run("SDIFFSTORE", k[3] + "sd", "s:a", "s:b")
    run("SET", k[2] + "sx", "old")
    run("SINTERSTORE", k[2] + "sx", "s:a", "s:none")    # empty: deletes it
    run("SMOVE", "s:a", k[1] + "sm", "x")
    run("GEOADD", "geo", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania")
    run("GEORADIUS", "geo", "15", "37", "200", "km", "STORE", k[0] + "gr")
    run("GEOSEARCHSTORE", k[1] + "gs", "geo", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km")
    run("RPUSH", "sort:src", "3", "1", "2")
    run("SORT", "sort:src", "STORE", k[2] + "so")
    run("SET", "w_1", "30")
    run("SET", "w_2", "10")
    run("SET", "w_3", "20")
    run("SORT", "sort:src", "BY", "w_*", "STORE", k[3] + "sb")
    run("SET", "bits:a", "\xff\x0f")
    run("SET", "bits:b", "\x0f")
    run("BITOP", "AND", k[4] + "bo", "bits:a", "bits:b")
    run("PFADD", "hll:a", "a", "b", "c")
    run("PFADD", "hll:b", "c", "d")
    run("PFMERGE", k[5] + "pf", "hll:a", "hll:b")
    run("PFCOUNT", k[5] + "pf")
    run("SET", "ren:a", "1", "PX", "5000000")
    run("RENAME", "ren:a", k[6] + "rn")
    run("HSET", "ren:b", "f", "v")
    run("RENAMENX", "ren:b", k[7] + "rx")
    run("COPY", k[7] + "rx", k[8] + "cp")
    run("COPY", k[6] + "rn", k[9] + "cpdb", "DB", "3")
    run("MOVE", k[8] + "cp", "4")
    payload = c.value("DUMP", k[7] + "rx")
    run("RESTORE", "res:1", "3000000", payload)
    run("RESTORE", "res:2", "0", payload, "REPLACE")
    run("SELECT", "2")
    run("SET", "db2", "v", "EX", "1000")
    run("SELECT", "0")
    run("SWAPDB", "2", "5")
    assert c.raw("PERSIST", "nosuch") in ok
    srv, c = restart_same(persist, srv, c)
    # And once more, after a second life on the same files.
    run("SET", k[10], "v", "EXAT", FAR_S)
    restart_same(persist, srv, c)


def test_blocked_serves_replay(persist):
    """Blocked clients served after the push, their keys and destinations
    on different shards (kevy), and at once."""
    _, srv, c = serve(persist)
    k = shard_keys("b:", 8)
    waiters = []

    def blocked(*cmd):
        w = persist.client(srv)
        block(c, w, *cmd)
        waiters.append(w)

    blocked("BLPOP", k[0], "0")
    blocked("BLMOVE", k[1], k[2], "RIGHT", "LEFT", "0")
    blocked("BRPOPLPUSH", k[3], k[4], "0")
    blocked("BLMPOP", "0", "2", k[5], k[6], "LEFT", "COUNT", "2")
    blocked("BZPOPMAX", "bz:" + k[7], "0")
    blocked("BZMPOP", "0", "1", "bzm:" + k[0], "MIN", "COUNT", "2")
    for cmd in (("RPUSH", k[0], "a", "b"), ("RPUSH", k[1], "c", "d"), ("RPUSH", k[3], "e"),
                ("RPUSH", k[6], "f", "g", "h"), ("ZADD", "bz:" + k[7], "1", "x", "2", "y"),
                ("ZADD", "bzm:" + k[0], "1", "x", "2", "y", "3", "z")):
        assert not c.raw(*cmd).startswith(b"-")
    for w in waiters:
        r = read_raw(w)
        assert not r.startswith(b"-") and r != b"*-1\r\n", r
    assert c.raw("RPUSH", k[2], "n") == integer(2)
    assert c.raw("BLMOVE", k[2], k[5], "LEFT", "LEFT", "0") == bulk("d")
    assert c.raw("BRPOPLPUSH", k[4], k[1], "0") == bulk("e")
    restart_same(persist, srv, c)


def test_replay_keeps_an_expire_time_that_has_passed(persist):
    """A TTL logged while in the future is kept by the replay even when it
    has passed since (Redis's loading never deletes on an expire command),
    so the commands after it apply to the key as it was, and the key
    expires after the load."""
    _, srv, c = serve(persist)
    assert c.raw("SET", "k", "v") == OK
    assert c.raw("PEXPIRE", "k", "1500") == integer(1)
    assert c.raw("APPEND", "k", "x") == integer(2)
    assert c.raw("SET", "g", "v") == OK
    assert c.raw("GETEX", "g", "PX", "1500") == bulk("v")
    assert c.raw("APPEND", "g", "y") == integer(2)
    assert c.raw("SET", "r", "v") == OK
    payload = c.value("DUMP", "r")
    assert c.raw("RESTORE", "r2", "1500", payload) == OK
    assert c.raw("APPEND", "r2", "z") == integer(2)
    persist.shutdown(srv)
    time.sleep(1.7)
    srv = persist.start(srv.dir, *AOF)
    c = persist.client(srv)
    for key in ("k", "g", "r2"):
        assert c.raw("EXISTS", key) == integer(0), key
    assert c.raw("GET", "r") == bulk("v")


def test_concurrent_writers_replay(persist):
    """Clients writing at once (kevy: on several shards' loops): the
    replayed dataset is the one they left."""
    _, srv, c = serve(persist)
    keys = shard_keys("c:", 8)
    errors = []

    def writer(i):
        w = persist.client(srv)
        try:
            for j in range(60):
                k = keys[(i + j) % len(keys)]
                for cmd in (("INCRBYFLOAT", k + "f", "0.5"), ("SADD", k + "s", str(j)),
                            ("SPOP", k + "s"), ("RPUSH", k + "l", str(j)),
                            ("LMOVE", k + "l", keys[(i + j + 1) % len(keys)] + "l", "LEFT",
                             "RIGHT"), ("SET", k + "x", str(j), "PX", "900000"),
                            ("HINCRBYFLOAT", k + "h", "f", "1.5")):
                    r = w.raw(*cmd)
                    if r.startswith(b"-"):
                        errors.append((cmd, r))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:5]
    restart_same(persist, srv, c)
