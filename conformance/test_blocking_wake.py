"""What wakes a blocked client: every command that can make its key a
non-empty list (for BLPOP and family) or sorted set (for BZPOPMIN and
family), in another key's place too (RENAME, COPY, RESTORE, MOVE from another
database, SWAPDB); and what does not: a key of another type appearing keeps
the client waiting (a later value of the right type serves it), so does
FLUSHALL, a command that leaves the key empty, or a write in another database.

The blocked key and the source key are on different shards of a sharded
server, so every wake-up here crosses shards there.

Not specified on purpose: Redis 7.0.15 does not wake a client when SORT ...
STORE or ZUNIONSTORE & co. overwrite a key that already holds a value of
another type (it only signals keys it adds, not ones it overwrites), while
RENAME, COPY ... REPLACE and RESTORE ... REPLACE over such a key do wake it."""

import pytest

from blocking_helpers import block, bulks, read_raw, shard_keys, still_blocked
from helpers import OK, array, bulk, integer

K, S, S2 = shard_keys("bwake:", 3)  # the blocked key, sources
PALERMO = ["13.361389", "38.115556"]
PALERMO_SCORE = "3479099956230698"  # its 52-bit geohash, the zset score
NEAR = ["FROMLONLAT", "13.36", "38.11", "BYRADIUS", "100", "km"]


LIST_GOT = bulks(K, "a")
ZSET_GOT = bulks(K, "a", "1")
GEO_GOT = bulks(K, "a", PALERMO_SCORE)

# (id, setup before blocking, the wake-up commands, the served reply)
LIST_WAKERS = [
    ("lpush", [], [["LPUSH", K, "a"]]),
    ("rpush", [], [["RPUSH", K, "a"]]),
    ("lmove", [["RPUSH", S, "a"]], [["LMOVE", S, K, "LEFT", "RIGHT"]]),
    ("rpoplpush", [["RPUSH", S, "a"]], [["RPOPLPUSH", S, K]]),
    ("blmove", [["RPUSH", S, "a"]], [["BLMOVE", S, K, "RIGHT", "LEFT", "0"]]),
    ("brpoplpush", [["RPUSH", S, "a"]], [["BRPOPLPUSH", S, K, "0"]]),
    ("rename", [["RPUSH", S, "a"]], [["RENAME", S, K]]),
    ("renamenx", [["RPUSH", S, "a"]], [["RENAMENX", S, K]]),
    ("copy", [["RPUSH", S, "a"]], [["COPY", S, K]]),
    ("restore", [], [["RESTORE", K, "0", "<list dump>"]]),
    ("sort-store", [["RPUSH", S, "a"]], [["SORT", S, "ALPHA", "STORE", K]]),
    ("sort-by-store", [["RPUSH", S, "a"]], [["SORT", S, "BY", "nosort", "STORE", K]]),
    # a key of another type appears while the client waits, then is
    # replaced by a list (deleted, then added)
    ("rename-over-string", [["RPUSH", S, "a"]], [["SET", K, "v"], ["RENAME", S, K]]),
    ("copy-replace-string", [["RPUSH", S, "a"]], [["SET", K, "v"],
                                                  ["COPY", S, K, "REPLACE"]]),
    ("restore-replace-string", [], [["SET", K, "v"],
                                    ["RESTORE", K, "0", "<list dump>", "REPLACE"]]),
    ("del-then-push", [], [["SET", K, "v"], ["DEL", K], ["RPUSH", K, "a"]]),
    ("flushall-then-push", [], [["FLUSHALL"], ["RPUSH", K, "a"]]),
    ("multi", [], [["MULTI"], ["SET", "x", "y"], ["RPUSH", K, "a"], ["EXEC"]]),
]

ZSET_WAKERS = [
    ("zadd", [], [["ZADD", K, "1", "a"]], ZSET_GOT),
    ("zadd-incr", [], [["ZADD", K, "INCR", "1", "a"]], ZSET_GOT),
    ("zincrby", [], [["ZINCRBY", K, "1", "a"]], ZSET_GOT),
    ("zunionstore", [["ZADD", S, "1", "a"]], [["ZUNIONSTORE", K, "2", S, S2]], ZSET_GOT),
    ("zinterstore", [["ZADD", S, "1", "a"], ["ZADD", S2, "0", "a"]],
     [["ZINTERSTORE", K, "2", S, S2]], ZSET_GOT),
    ("zdiffstore", [["ZADD", S, "1", "a", "2", "b"], ["ZADD", S2, "0", "b"]],
     [["ZDIFFSTORE", K, "2", S, S2]], ZSET_GOT),
    ("zrangestore", [["ZADD", S, "1", "a", "2", "b"]], [["ZRANGESTORE", K, S, "0", "0"]],
     ZSET_GOT),
    ("geoadd", [], [["GEOADD", K] + PALERMO + ["a"]], GEO_GOT),
    ("geosearchstore", [["GEOADD", S] + PALERMO + ["a"]], [["GEOSEARCHSTORE", K, S] + NEAR],
     GEO_GOT),
    ("georadius-store", [["GEOADD", S] + PALERMO + ["a"]],
     [["GEORADIUS", S, "13.36", "38.11", "100", "km", "STORE", K]], GEO_GOT),
    ("georadiusbymember-store", [["GEOADD", S] + PALERMO + ["a"]],
     [["GEORADIUSBYMEMBER", S, "a", "1", "km", "STORE", K]], GEO_GOT),
    ("rename", [["ZADD", S, "1", "a"]], [["RENAME", S, K]], ZSET_GOT),
    ("copy", [["ZADD", S, "1", "a"]], [["COPY", S, K]], ZSET_GOT),
    ("restore", [], [["RESTORE", K, "0", "<zset dump>"]], ZSET_GOT),
]


def _dumps(raw):
    assert raw.raw("RPUSH", "bwake:tmp:l", "a") == integer(1)
    assert raw.raw("ZADD", "bwake:tmp:z", "1", "a") == integer(1)
    dumps = {"<list dump>": raw.value("DUMP", "bwake:tmp:l"),
             "<zset dump>": raw.value("DUMP", "bwake:tmp:z")}
    assert raw.raw("DEL", "bwake:tmp:l", "bwake:tmp:z") == integer(2)
    return dumps


def _run(raw, c, blocking, setup, wakers):
    dumps = _dumps(raw)
    for cmd in setup:
        raw.call(*cmd)
    block(raw, c, *blocking)
    for cmd in wakers:
        _, reply = raw.call(*[dumps.get(a, a) for a in cmd])
        assert not reply.startswith(b"-"), (cmd, reply)


@pytest.mark.parametrize("setup,wakers", [w[1:] for w in LIST_WAKERS],
                         ids=[w[0] for w in LIST_WAKERS])
def test_list_wakers(raw, connect, setup, wakers):
    c = connect()
    _run(raw, c, ["BLPOP", K, "5"], setup, wakers)
    assert read_raw(c) == LIST_GOT
    assert raw.raw("EXISTS", K) == integer(0)


@pytest.mark.parametrize("setup,wakers,got", [w[1:] for w in ZSET_WAKERS],
                         ids=[w[0] for w in ZSET_WAKERS])
def test_zset_wakers(raw, connect, setup, wakers, got):
    c = connect()
    _run(raw, c, ["BZPOPMIN", K, "5"], setup, wakers)
    assert read_raw(c) == got
    assert raw.raw("EXISTS", K) == integer(0)


def test_move_from_another_database(raw, connect):
    c = connect()
    block(raw, c, "BLPOP", K, "5")
    assert raw.raw("SELECT", "1") == OK
    assert raw.raw("RPUSH", K, "a") == integer(1)
    assert still_blocked(raw, c)  # a push in db 1 is not for db 0's waiter
    assert raw.raw("MOVE", K, "0") == integer(1)
    assert read_raw(c) == LIST_GOT
    assert raw.raw("SELECT", "0") == OK
    assert raw.raw("EXISTS", K) == integer(0)


def test_swapdb_wakes_both_databases(raw, connect):
    c0, c1 = connect(), connect(3)
    assert c1.raw("SELECT", "1") == OK
    block(raw, c0, "BLPOP", K, "5")
    block(raw, c1, "BZPOPMAX", S, "5")
    assert raw.raw("SELECT", "1") == OK
    assert raw.raw("RPUSH", K, "a") == integer(1)
    assert raw.raw("SELECT", "0") == OK
    assert raw.raw("ZADD", S, "7", "m") == integer(1)
    assert still_blocked(raw, c0) and still_blocked(raw, c1)
    assert raw.raw("SWAPDB", "0", "1") == OK
    assert read_raw(c0) == LIST_GOT
    assert read_raw(c1) == array(bulk(S), bulk("m"), b",7\r\n")
    assert raw.raw("DBSIZE") == integer(0)


def test_swapdb_with_nothing_to_serve(raw, connect):
    c = connect()
    block(raw, c, "BLPOP", K, "5")
    assert raw.raw("SELECT", "1") == OK
    assert raw.raw("SET", K, "v") == OK
    assert raw.raw("SWAPDB", "0", "1") == OK  # K is now a string in db 0
    assert still_blocked(raw, c)
    assert raw.raw("SELECT", "0") == OK
    assert raw.raw("DEL", K) == integer(1)
    assert raw.raw("RPUSH", K, "a") == integer(1)
    assert read_raw(c) == LIST_GOT


# ----------------------------------------------------- what keeps waiting

@pytest.mark.parametrize("blocking,other,right", [
    (["BLPOP", K, "5"], ["SET", K, "v"], ["RPUSH", K, "a"]),
    (["BLPOP", K, "5"], ["ZADD", K, "1", "m"], ["RPUSH", K, "a"]),
    (["BRPOPLPUSH", K, S, "5"], ["SADD", K, "m"], ["RPUSH", K, "a"]),
    (["BLMPOP", "5", "1", K, "LEFT"], ["HSET", K, "f", "v"], ["RPUSH", K, "a"]),
    (["BZPOPMIN", K, "5"], ["LPUSH", K, "m"], ["ZADD", K, "1", "a"]),
    (["BZMPOP", "5", "1", K, "MAX"], ["SET", K, "v"], ["ZADD", K, "1", "a"]),
], ids=["list-string", "list-zset", "list-set", "list-hash", "zset-list", "zset-string"])
def test_wrong_type_keeps_waiting(raw, connect, blocking, other, right):
    c = connect()
    block(raw, c, *blocking)
    raw.call(*other)
    assert still_blocked(raw, c)
    assert raw.raw("DEL", K) == integer(1)
    assert still_blocked(raw, c, 0.05)
    raw.call(*right)
    assert not still_blocked(raw, c, 1)
    assert raw.raw("EXISTS", K) == integer(0)


def test_wrong_type_on_one_key_another_serves(raw, connect):
    c = connect()
    block(raw, c, "BLPOP", K, S, "5")
    assert raw.raw("SET", K, "v") == OK
    assert raw.raw("RPUSH", S, "a") == integer(1)
    assert read_raw(c) == bulks(S, "a")
    assert raw.raw("GET", K) == bulk("v")


@pytest.mark.parametrize("cmd", [
    ["LINSERT", K, "BEFORE", "x", "a"], ["LPUSHX", K, "a"], ["RPUSHX", K, "a"],
    ["SORT", S, "STORE", K], ["ZUNIONSTORE", K, "1", S], ["LMOVE", S, K, "LEFT", "LEFT"],
    ["RENAMENX", K, S], ["COPY", S, K], ["FLUSHALL"], ["FLUSHDB"],
], ids=["linsert", "lpushx", "rpushx", "sort-store-empty", "zunionstore-empty", "lmove-empty",
        "renamenx-missing", "copy-missing", "flushall", "flushdb"])
def test_commands_that_leave_the_key_empty(raw, connect, cmd):
    """LINSERT and the PUSHX need an existing list; a STORE of nothing
    deletes; nothing to move or copy. The client stays blocked."""
    c = connect()
    block(raw, c, "BLPOP", K, "5")
    raw.call(*cmd)
    assert still_blocked(raw, c)
    assert raw.raw("EXISTS", K) == integer(0)
    assert raw.raw("RPUSH", K, "a") == integer(1)
    assert read_raw(c) == LIST_GOT


def test_flushall_keeps_every_waiter(raw, connect):
    cs = [connect() for _ in range(3)]
    block(raw, cs[0], "BLPOP", K, "5")
    block(raw, cs[1], "BZPOPMIN", S, "5")
    block(raw, cs[2], "BLMOVE", S2, K, "LEFT", "LEFT", "5")
    assert raw.raw("FLUSHALL") == OK
    for c in cs:
        assert still_blocked(raw, c, 0.05)
    assert raw.raw("RPUSH", S2, "a") == integer(1)
    assert read_raw(cs[2]) == bulk("a")
    assert read_raw(cs[0]) == LIST_GOT
    assert raw.raw("FLUSHALL", "ASYNC") == OK
    assert still_blocked(raw, cs[1])
    assert raw.raw("ZADD", S, "1", "a") == integer(1)
    assert read_raw(cs[1]) == bulks(S, "a", "1")


def test_other_database_does_not_wake(raw, connect):
    c = connect()
    assert c.raw("SELECT", "3") == OK
    block(raw, c, "BLPOP", K, "5")
    assert raw.raw("RPUSH", K, "a") == integer(1)
    assert still_blocked(raw, c)
    assert raw.raw("SELECT", "3") == OK
    assert raw.raw("RPUSH", K, "b") == integer(1)
    assert read_raw(c) == bulks(K, "b")
    assert raw.raw("SELECT", "0") == OK
    assert raw.raw("LRANGE", K, "0", "-1") == bulks("a")
