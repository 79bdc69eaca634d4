"""WATCH invalidation by the string, bitmap, HyperLogLog and keyspace
commands: which writes touch a watched key (Redis 7.0's signalModifiedKey)
and which no-op paths leave it alone. Every expected boolean is what Redis
7.0.15 does. Two-key commands use keys in different quarters of the slot
space, so on a kevy server with 2 or 4 shards the source and the destination
live on different shards, and each is signalled by the step that runs on its
own shard; S and S2 share a quarter (one shard at any count) for the
single-shard paths.
"""

import time

import pytest

from helpers import quarter_keys, watch_dirtied


# S, S2 in quarter 0; U in 1; T in 2; D, D2 in 3.
S, S2, U, _, T, _, D, D2 = quarter_keys("wk:", 2)


def case(name, setup, command, watched, expected):
    return pytest.param(setup, command, watched, expected, id=name)


STRING_CASES = [
    case("set-new", [], ["SET", "k", "v"], ["k"], True),
    case("set-same-value", [["SET", "k", "v"]], ["SET", "k", "v"], ["k"], True),
    case("set-keepttl", [["SET", "k", "v", "EX", "100"]], ["SET", "k", "w", "KEEPTTL"], ["k"],
         True),
    case("set-pxat-past", [["SET", "k", "v"]], ["SET", "k", "w", "PXAT", "1"], ["k"], True),
    case("set-nx-exists", [["SET", "k", "v"]], ["SET", "k", "w", "NX"], ["k"], False),
    case("set-nx-missing", [], ["SET", "k", "w", "NX"], ["k"], True),
    case("set-xx-missing", [], ["SET", "k", "w", "XX"], ["k"], False),
    case("set-xx-get-missing", [], ["SET", "k", "w", "XX", "GET"], ["k"], False),
    case("set-xx-exists", [["SET", "k", "v"]], ["SET", "k", "w", "XX"], ["k"], True),
    case("set-get", [["SET", "k", "v"]], ["SET", "k", "w", "GET"], ["k"], True),
    case("set-get-wrongtype", [["SADD", "k", "a"]], ["SET", "k", "w", "GET"], ["k"], False),
    case("set-bad-expire", [["SET", "k", "v"]], ["SET", "k", "w", "EX", "0"], ["k"], False),
    case("set-other-key", [["SET", "k", "v"]], ["SET", "k2", "w"], ["k"], False),
    case("setnx-missing", [], ["SETNX", "k", "v"], ["k"], True),
    case("setnx-exists", [["SET", "k", "v"]], ["SETNX", "k", "w"], ["k"], False),
    case("setex", [["SET", "k", "v"]], ["SETEX", "k", "100", "w"], ["k"], True),
    case("setex-bad-time", [["SET", "k", "v"]], ["SETEX", "k", "0", "w"], ["k"], False),
    case("psetex", [], ["PSETEX", "k", "100000", "w"], ["k"], True),
    case("getset", [["SET", "k", "v"]], ["GETSET", "k", "w"], ["k"], True),
    case("getset-missing", [], ["GETSET", "k", "w"], ["k"], True),
    case("getset-wrongtype", [["SADD", "k", "a"]], ["GETSET", "k", "w"], ["k"], False),
    case("getdel", [["SET", "k", "v"]], ["GETDEL", "k"], ["k"], True),
    case("getdel-missing", [], ["GETDEL", "k"], ["k"], False),
    case("getex-plain", [["SET", "k", "v", "EX", "100"]], ["GETEX", "k"], ["k"], False),
    case("getex-ex", [["SET", "k", "v"]], ["GETEX", "k", "EX", "100"], ["k"], True),
    case("getex-pxat-past", [["SET", "k", "v"]], ["GETEX", "k", "PXAT", "1"], ["k"], True),
    case("getex-persist", [["SET", "k", "v", "EX", "100"]], ["GETEX", "k", "PERSIST"], ["k"],
         True),
    case("getex-persist-no-ttl", [["SET", "k", "v"]], ["GETEX", "k", "PERSIST"], ["k"], False),
    case("getex-missing", [], ["GETEX", "k", "EX", "100"], ["k"], False),
    case("getex-bad-time", [["SET", "k", "v"]], ["GETEX", "k", "EX", "0"], ["k"], False),
    case("incr", [["SET", "k", "1"]], ["INCR", "k"], ["k"], True),
    case("incr-missing", [], ["INCR", "k"], ["k"], True),
    case("incr-not-int", [["SET", "k", "x"]], ["INCR", "k"], ["k"], False),
    case("incr-overflow", [["SET", "k", str(2 ** 63 - 1)]], ["INCR", "k"], ["k"], False),
    case("decr", [["SET", "k", "1"]], ["DECR", "k"], ["k"], True),
    case("incrby-zero", [["SET", "k", "1"]], ["INCRBY", "k", "0"], ["k"], True),
    case("decrby", [], ["DECRBY", "k", "5"], ["k"], True),
    case("decrby-wrongtype", [["SADD", "k", "a"]], ["DECRBY", "k", "5"], ["k"], False),
    case("incrbyfloat", [["SET", "k", "1"]], ["INCRBYFLOAT", "k", "1.5"], ["k"], True),
    case("incrbyfloat-not-float", [["SET", "k", "x"]], ["INCRBYFLOAT", "k", "1"], ["k"], False),
    case("append", [["SET", "k", "v"]], ["APPEND", "k", "w"], ["k"], True),
    case("append-empty", [["SET", "k", "v"]], ["APPEND", "k", ""], ["k"], True),
    case("append-empty-missing", [], ["APPEND", "k", ""], ["k"], True),
    case("append-wrongtype", [["SADD", "k", "a"]], ["APPEND", "k", "w"], ["k"], False),
    case("setrange", [["SET", "k", "abc"]], ["SETRANGE", "k", "1", "x"], ["k"], True),
    case("setrange-same-bytes", [["SET", "k", "abc"]], ["SETRANGE", "k", "0", "a"], ["k"], True),
    case("setrange-missing", [], ["SETRANGE", "k", "2", "x"], ["k"], True),
    case("setrange-empty", [["SET", "k", "abc"]], ["SETRANGE", "k", "1", ""], ["k"], False),
    case("setrange-empty-missing", [], ["SETRANGE", "k", "1", ""], ["k"], False),
    case("setrange-negative", [["SET", "k", "abc"]], ["SETRANGE", "k", "-1", "x"], ["k"], False),
    case("setrange-wrongtype", [["SADD", "k", "a"]], ["SETRANGE", "k", "0", "x"], ["k"], False),
    case("get", [["SET", "k", "v"]], ["GET", "k"], ["k"], False),
    case("strlen-getrange", [["SET", "k", "v"]], ["GETRANGE", "k", "0", "-1"], ["k"], False),
    case("lcs", [["SET", S, "abc"], ["SET", D, "bcd"]], ["LCS", S, D], [S, D], False),
    # MSET / MSETNX across shards
    case("mset-src", [], ["MSET", S, "a", D, "b"], [S], True),
    case("mset-dst", [["SET", D, "x"]], ["MSET", S, "a", D, "b"], [D], True),
    case("mset-other", [], ["MSET", S, "a", D, "b"], [U], False),
    case("mget", [["SET", S, "a"]], ["MGET", S, D], [S, D], False),
    case("msetnx", [], ["MSETNX", S, "a", D, "b"], [D], True),
    case("msetnx-first", [], ["MSETNX", S, "a", D, "b"], [S], True),
    case("msetnx-one-exists", [["SET", S, "x"]], ["MSETNX", S, "a", D, "b"], [S, D], False),
    case("msetnx-same-shard", [], ["MSETNX", S, "a", S2, "b"], [S2], True),
]

BITMAP_CASES = [
    case("setbit-new", [], ["SETBIT", "k", "0", "0"], ["k"], True),
    case("setbit-change", [["SET", "k", "a"]], ["SETBIT", "k", "0", "1"], ["k"], True),
    case("setbit-clear", [["SET", "k", "a"]], ["SETBIT", "k", "1", "0"], ["k"], True),
    case("setbit-same", [["SET", "k", "a"]], ["SETBIT", "k", "1", "1"], ["k"], False),
    case("setbit-same-zero", [["SET", "k", "a"]], ["SETBIT", "k", "0", "0"], ["k"], False),
    case("setbit-grows", [["SET", "k", "a"]], ["SETBIT", "k", "100", "0"], ["k"], True),
    case("setbit-wrongtype", [["SADD", "k", "a"]], ["SETBIT", "k", "0", "1"], ["k"], False),
    case("setbit-bad-bit", [["SET", "k", "a"]], ["SETBIT", "k", "0", "2"], ["k"], False),
    case("getbit-bitcount", [["SET", "k", "a"]], ["BITCOUNT", "k"], ["k"], False),
    case("bitpos", [["SET", "k", "a"]], ["BITPOS", "k", "1"], ["k"], False),
    case("bitfield-new", [], ["BITFIELD", "k", "SET", "u8", "0", "0"], ["k"], True),
    case("bitfield-set", [["SET", "k", "a"]], ["BITFIELD", "k", "SET", "u8", "0", "98"], ["k"],
         True),
    case("bitfield-set-same", [["SET", "k", "a"]], ["BITFIELD", "k", "SET", "u8", "0", "97"],
         ["k"], False),
    case("bitfield-set-back", [["SET", "k", "a"]],
         ["BITFIELD", "k", "SET", "u8", "0", "98", "SET", "u8", "0", "97"], ["k"], True),
    case("bitfield-incrby-zero", [["SET", "k", "a"]], ["BITFIELD", "k", "INCRBY", "u8", "0", "0"],
         ["k"], False),
    case("bitfield-incrby", [["SET", "k", "a"]], ["BITFIELD", "k", "INCRBY", "i5", "3", "-1"],
         ["k"], True),
    case("bitfield-wrap-same", [["SET", "k", "a"]],
         ["BITFIELD", "k", "OVERFLOW", "WRAP", "INCRBY", "u8", "0", "256"], ["k"], False),
    case("bitfield-sat-same", [["SETBIT", "k", "7", "1"]],
         ["BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "u1", "7", "5"], ["k"], False),
    case("bitfield-sat", [["SET", "k", "a"]],
         ["BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "u8", "0", "500"], ["k"], True),
    case("bitfield-grows-same", [["SET", "k", "a"]], ["BITFIELD", "k", "SET", "u8", "8", "0"],
         ["k"], True),
    case("bitfield-fail", [["SET", "k", "a"]],
         ["BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "200"], ["k"], False),
    case("bitfield-fail-grows", [["SET", "k", "a"]],
         ["BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "100", "300"], ["k"], False),
    case("bitfield-fail-then-set", [["SET", "k", "a"]],
         ["BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "200",
          "SET", "u8", "0", "1"], ["k"], True),
    case("bitfield-get", [["SET", "k", "a"]], ["BITFIELD", "k", "GET", "u8", "100"], ["k"],
         False),
    case("bitfield-wrongtype", [["SADD", "k", "a"]], ["BITFIELD", "k", "SET", "u8", "0", "1"],
         ["k"], False),
    case("bitfield-ro", [["SET", "k", "a"]], ["BITFIELD_RO", "k", "GET", "u8", "0"], ["k"],
         False),
    # BITOP: the destination on another shard than the sources
    case("bitop-dst", [["SET", S, "a"], ["SET", T, "b"]], ["BITOP", "OR", D, S, T], [D], True),
    case("bitop-same-value", [["SET", S, "a"], ["SET", D, "a"]], ["BITOP", "AND", D, S], [D],
         True),
    case("bitop-sources", [["SET", S, "a"], ["SET", T, "b"]], ["BITOP", "OR", D, S, T], [S, T],
         False),
    case("bitop-empty-dst-exists", [["SET", D, "x"]], ["BITOP", "AND", D, S, T], [D], True),
    case("bitop-empty-dst-missing", [], ["BITOP", "AND", D, S, T], [D], False),
    case("bitop-not", [["SET", U, "a"]], ["BITOP", "NOT", D2, U], [D2], True),
    case("bitop-wrongtype", [["SET", S, "a"], ["SADD", T, "b"], ["SET", D, "x"]],
         ["BITOP", "OR", D, S, T], [D], False),
    case("bitop-same-shard", [["SET", S, "a"]], ["BITOP", "OR", S2, S], [S2], True),
]

# Enough elements for a dense HyperLogLog (past hll-sparse-max-bytes).
MANY = ["e%d" % i for i in range(4000)]

HLL_CASES = [
    case("pfadd-new", [], ["PFADD", "h", "a"], ["h"], True),
    case("pfadd-new-no-elements", [], ["PFADD", "h"], ["h"], True),
    case("pfadd-no-change", [["PFADD", "h", "a"]], ["PFADD", "h", "a"], ["h"], False),
    case("pfadd-no-elements", [["PFADD", "h", "a"]], ["PFADD", "h"], ["h"], False),
    case("pfadd-change", [["PFADD", "h", "a"]], ["PFADD", "h", "b"], ["h"], True),
    case("pfadd-dense-no-change", [["PFADD", "h"] + MANY], ["PFADD", "h", "e1", "e2"], ["h"],
         False),
    case("pfadd-dense-change", [["PFADD", "h"] + MANY], ["PFADD", "h", "new-one"], ["h"], True),
    case("pfadd-wrongtype", [["SADD", "h", "a"]], ["PFADD", "h", "a"], ["h"], False),
    case("pfadd-not-hll", [["SET", "h", "a"]], ["PFADD", "h", "a"], ["h"], False),
    # PFCOUNT writes the cached cardinality when it was stale
    case("pfcount-stale-cache", [["PFADD", "h", "a"]], ["PFCOUNT", "h"], ["h"], True),
    case("pfcount-cached", [["PFADD", "h", "a"], ["PFCOUNT", "h"]], ["PFCOUNT", "h"], ["h"],
         False),
    case("pfcount-missing", [], ["PFCOUNT", "h"], ["h"], False),
    case("pfcount-several", [["PFADD", S, "a"], ["PFADD", D, "b"]], ["PFCOUNT", S, D], [S, D],
         False),
    # PFMERGE writes its destination even when nothing changes
    case("pfmerge-dst", [["PFADD", S, "a"], ["PFADD", T, "b"]], ["PFMERGE", D, S, T], [D], True),
    case("pfmerge-sources", [["PFADD", S, "a"], ["PFADD", T, "b"]], ["PFMERGE", D, S, T],
         [S, T], False),
    case("pfmerge-no-change", [["PFADD", S, "a"], ["PFADD", D, "a"], ["PFCOUNT", D]],
         ["PFMERGE", D, S], [D], True),
    case("pfmerge-dst-only", [["PFADD", D, "a"], ["PFCOUNT", D]], ["PFMERGE", D], [D], True),
    case("pfmerge-missing", [], ["PFMERGE", D, S], [D], True),
    case("pfmerge-wrongtype", [["SADD", S, "a"], ["PFADD", D, "a"]], ["PFMERGE", D, S], [D],
         False),
    case("pfmerge-same-shard", [["PFADD", S, "a"]], ["PFMERGE", S2, S], [S2], True),
]

KEYSPACE_CASES = [
    case("del", [["SET", "k", "v"]], ["DEL", "k"], ["k"], True),
    case("del-missing", [], ["DEL", "k"], ["k"], False),
    case("del-several", [["SET", S, "v"], ["SET", D, "v"]], ["DEL", S, D, U], [D], True),
    case("del-several-missing-one", [["SET", S, "v"]], ["DEL", S, D], [D], False),
    case("unlink", [["SADD", "k", "a"]], ["UNLINK", "k"], ["k"], True),
    case("unlink-missing", [], ["UNLINK", "k"], ["k"], False),
    case("touch", [["SET", "k", "v"]], ["TOUCH", "k"], ["k"], False),
    case("exists-type-ttl", [["SET", "k", "v", "EX", "100"]], ["TTL", "k"], ["k"], False),
    case("expire", [["SET", "k", "v"]], ["EXPIRE", "k", "100"], ["k"], True),
    case("expire-missing", [], ["EXPIRE", "k", "100"], ["k"], False),
    case("expire-past", [["SET", "k", "v"]], ["EXPIRE", "k", "-1"], ["k"], True),
    case("expire-nx-refused", [["SET", "k", "v", "EX", "100"]], ["EXPIRE", "k", "1000", "NX"],
         ["k"], False),
    case("expire-nx-past-refused", [["SET", "k", "v", "EX", "100"]], ["EXPIRE", "k", "-1", "NX"],
         ["k"], False),
    case("expire-xx-refused", [["SET", "k", "v"]], ["EXPIRE", "k", "100", "XX"], ["k"], False),
    case("expire-gt-refused", [["SET", "k", "v", "EX", "100"]], ["EXPIRE", "k", "10", "GT"],
         ["k"], False),
    case("expire-gt", [["SET", "k", "v", "EX", "100"]], ["EXPIRE", "k", "1000", "GT"], ["k"],
         True),
    case("expire-lt-refused", [["SET", "k", "v", "EX", "100"]], ["EXPIRE", "k", "1000", "LT"],
         ["k"], False),
    case("expire-bad-option", [["SET", "k", "v"]], ["EXPIRE", "k", "100", "YY"], ["k"], False),
    case("pexpire", [["SET", "k", "v"]], ["PEXPIRE", "k", "100000"], ["k"], True),
    case("expireat", [["SET", "k", "v"]], ["EXPIREAT", "k", "4000000000"], ["k"], True),
    case("pexpireat-past-lt", [["SET", "k", "v", "EX", "100"]], ["PEXPIREAT", "k", "1", "LT"],
         ["k"], True),
    case("persist", [["SET", "k", "v", "EX", "100"]], ["PERSIST", "k"], ["k"], True),
    case("persist-no-ttl", [["SET", "k", "v"]], ["PERSIST", "k"], ["k"], False),
    case("persist-missing", [], ["PERSIST", "k"], ["k"], False),
    # RENAME / RENAMENX: across shards and on one shard
    case("rename-src", [["SET", S, "v"]], ["RENAME", S, D], [S], True),
    case("rename-onto-watched", [["SET", S, "v"]], ["RENAME", S, D], [D], True),
    case("rename-onto-existing", [["SET", S, "v"], ["SADD", D, "a"]], ["RENAME", S, D], [D],
         True),
    case("rename-missing", [["SET", D, "v"]], ["RENAME", S, D], [S, D], False),
    case("rename-same-key", [["SET", S, "v"]], ["RENAME", S, S], [S], False),
    case("rename-same-shard-src", [["SET", S, "v"]], ["RENAME", S, S2], [S], True),
    case("rename-same-shard-dst", [["SET", S, "v"]], ["RENAME", S, S2], [S2], True),
    case("renamenx", [["SET", S, "v"]], ["RENAMENX", S, D], [D], True),
    case("renamenx-src", [["SET", S, "v"]], ["RENAMENX", S, D], [S], True),
    case("renamenx-dst-exists", [["SET", S, "v"], ["SET", D, "w"]], ["RENAMENX", S, D], [S, D],
         False),
    case("renamenx-same-shard-dst-exists", [["SET", S, "v"], ["SET", S2, "w"]],
         ["RENAMENX", S, S2], [S, S2], False),
    case("renamenx-same-shard", [["SET", S, "v"]], ["RENAMENX", S, S2], [S2], True),
    # COPY
    case("copy-dst", [["SET", S, "v"]], ["COPY", S, D], [D], True),
    case("copy-src", [["SET", S, "v"]], ["COPY", S, D], [S], False),
    case("copy-dst-exists", [["SET", S, "v"], ["SET", D, "w"]], ["COPY", S, D], [D], False),
    case("copy-replace", [["SET", S, "v"], ["SET", D, "w"]], ["COPY", S, D, "REPLACE"], [D],
         True),
    case("copy-missing", [["SET", D, "w"]], ["COPY", S, D, "REPLACE"], [D], False),
    case("copy-same-shard", [["SET", S, "v"]], ["COPY", S, S2], [S2], True),
    case("copy-same-shard-exists", [["SET", S, "v"], ["SET", S2, "w"]], ["COPY", S, S2], [S2],
         False),
    case("copy-other-db-not-here", [["SET", S, "v"]], ["COPY", S, D, "DB", "1"], [D], False),
    # MOVE, seen from the source's db
    case("move", [["SET", "k", "v"]], ["MOVE", "k", "1"], ["k"], True),
    case("move-missing", [], ["MOVE", "k", "1"], ["k"], False),
    case("move-exists-there", [["SELECT", "1"], ["SET", "k", "w"], ["SELECT", "0"],
                               ["SET", "k", "v"]], ["MOVE", "k", "1"], ["k"], False),
]


@pytest.mark.parametrize("setup,command,watched,expected", STRING_CASES)
def test_string_commands(connect, setup, command, watched, expected):
    assert watch_dirtied(connect, setup, command, watched) is expected


@pytest.mark.parametrize("setup,command,watched,expected", BITMAP_CASES)
def test_bitmap_commands(connect, setup, command, watched, expected):
    assert watch_dirtied(connect, setup, command, watched) is expected


@pytest.mark.parametrize("setup,command,watched,expected", HLL_CASES)
def test_hyperloglog_commands(connect, setup, command, watched, expected):
    assert watch_dirtied(connect, setup, command, watched) is expected


@pytest.mark.parametrize("setup,command,watched,expected", KEYSPACE_CASES)
def test_keyspace_commands(connect, setup, command, watched, expected):
    assert watch_dirtied(connect, setup, command, watched) is expected


@pytest.mark.parametrize("setup,command,watched,expected", [
    case("move-dst-db", [["SET", "k", "v"]], ["MOVE", "k", "1"], ["k"], True),
    case("move-missing", [], ["MOVE", "k", "1"], ["k"], False),
    case("move-exists-there", [["SELECT", "1"], ["SET", "k", "w"], ["SELECT", "0"],
                               ["SET", "k", "v"]], ["MOVE", "k", "1"], ["k"], False),
    case("copy-db", [["SET", S, "v"]], ["COPY", S, D, "DB", "1"], [D], True),
    case("copy-db-same-name", [["SET", S, "v"]], ["COPY", S, S, "DB", "1"], [S], True),
    case("copy-db-exists", [["SET", S, "v"], ["SELECT", "1"], ["SET", D, "w"], ["SELECT", "0"]],
         ["COPY", S, D, "DB", "1"], [D], False),
    case("copy-db-replace", [["SET", S, "v"], ["SELECT", "1"], ["SET", D, "w"], ["SELECT", "0"]],
         ["COPY", S, D, "DB", "1", "REPLACE"], [D], True),
    case("db0-write-not-db1", [["SET", "k", "v"]], ["SET", "k", "w"], ["k"], False),
])
def test_other_database(connect, setup, command, watched, expected):
    assert watch_dirtied(connect, setup, command, watched, db=1) is expected


@pytest.mark.parametrize("setup,command,watched,expected", [
    case("restore-new", [], ["RESTORE", "k", "0", "PAYLOAD"], ["k"], True),
    case("restore-ttl", [], ["RESTORE", "k", "100000", "PAYLOAD"], ["k"], True),
    case("restore-replace", [["SET", "k", "old"]], ["RESTORE", "k", "0", "PAYLOAD", "REPLACE"],
         ["k"], True),
    case("restore-busy", [["SET", "k", "old"]], ["RESTORE", "k", "0", "PAYLOAD"], ["k"], False),
    case("restore-bad-payload", [], ["RESTORE", "k", "0", "garbage"], ["k"], False),
    case("restore-expired", [], ["RESTORE", "k", "1", "PAYLOAD", "ABSTTL"], ["k"], False),
    case("restore-expired-replace", [["SET", "k", "old"]],
         ["RESTORE", "k", "1", "PAYLOAD", "ABSTTL", "REPLACE"], ["k"], True),
])
def test_restore(connect, setup, command, watched, expected):
    c = connect(2)
    assert c.value("SET", "wk:payload", "hello") == "OK"
    payload = c.value("DUMP", "wk:payload")
    assert c.value("DEL", "wk:payload") == 1
    command = [payload if a == "PAYLOAD" else a for a in command]
    assert watch_dirtied(connect, setup, command, watched) is expected


def test_expiry_of_a_watched_key(connect):
    # The TTL is set before the WATCH; the key then expires on its own.
    writer, watcher = connect(2), connect(2)
    assert writer.value("SET", "wx", "v", "PX", "100") == "OK"
    assert watcher.value("WATCH", "wx") == "OK"
    time.sleep(0.3)
    assert writer.value("GET", "wx") is None  # expired (lazily, if not yet)
    assert watcher.value("MULTI") == "OK"
    assert watcher.value("PING") == "QUEUED"
    assert watcher.value("EXEC") is None


def test_expiry_set_then_elapsed(connect):
    # PEXPIRE itself dirties the watch; here it ran before the WATCH and
    # the key's time runs out between WATCH and EXEC.
    writer, watcher = connect(2), connect(2)
    assert writer.value("SET", "wz", "v") == "OK"
    assert writer.value("PEXPIRE", "wz", "100") == 1
    assert watcher.value("WATCH", "wz") == "OK"
    time.sleep(0.3)
    assert watcher.value("MULTI") == "OK"
    assert watcher.value("PING") == "QUEUED"
    assert watcher.value("EXEC") is None
