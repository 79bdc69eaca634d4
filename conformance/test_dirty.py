"""The dirty counter (INFO rdb_changes_since_last_save) counts what Redis 7.0
counts: each command adds the changes it really made, where Redis does
server.dirty++ or server.dirty += n, also inside MULTI/EXEC and whichever
shard makes the change. Cases where kevy once counted differently (it
derived the count from the reply after the fact)."""

import pytest

from helpers import parse_info, spread_keys

A, B = spread_keys(2, "dirty:")  # on different shards when there are several


def dirty(c):
    info = parse_info(c.value("INFO", "persistence"))
    return int(info["persistence"]["rdb_changes_since_last_save"])


def delta(c, setup, cmds):
    for cmd in setup:
        c.call(*cmd)
    before = dirty(c)
    for cmd in cmds:
        c.call(*cmd)
    return dirty(c) - before


CASES = [
    # strings and bitmaps: only real changes count
    ([], [["SETRANGE", "k", "0", ""]], 0),
    ([["SET", "k", "abc"]], [["SETRANGE", "k", "0", ""]], 0),
    ([], [["GETSET", "k", "v"]], 1),
    ([["SET", "k", "v"]], [["GETEX", "k"]], 0),
    ([["SET", "k", "v"]], [["GETEX", "k", "PERSIST"]], 0),
    ([["SETBIT", "b", "7", "1"]], [["SETBIT", "b", "7", "1"]], 0),
    ([], [["BITFIELD", "b", "SET", "u8", "0", "1", "SET", "u8", "8", "2", "GET", "u8", "0"]], 2),
    ([], [["BITFIELD", "b", "GET", "u8", "0"]], 0),
    ([["SETBIT", "b", "7", "1"]], [["SETBIT", "b", "7", "0"]], 1),
    ([["SETBIT", "b", "7", "1"]], [["SETBIT", "b", "100", "0"]], 1),  # grown
    ([], [["SETBIT", "b", "0", "0"]], 1),  # created
    ([["BITFIELD", "b", "SET", "u8", "0", "5"]],
     [["BITFIELD", "b", "SET", "u8", "0", "5", "SET", "u8", "0", "6", "SET", "u8", "0", "6"]], 1),
    ([["BITFIELD", "b", "SET", "u8", "0", "5"]],
     [["BITFIELD", "b", "SET", "u8", "16", "0", "SET", "u8", "0", "5"]], 2),  # grown: each counts
    ([["BITFIELD", "b", "SET", "u8", "0", "5"]],
     [["BITFIELD", "b", "INCRBY", "u8", "0", "0", "INCRBY", "u8", "0", "1"]], 1),
    ([], [["BITFIELD", "b", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "300"]], 0),
    ([["BITFIELD", "b", "SET", "u8", "0", "255"]],
     [["BITFIELD", "b", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1", "SET", "u8", "8", "0"]], 1),
    ([], [["BITOP", "AND", "{t}d", "{t}a", "{t}b"]], 0),
    ([], [["BITOP", "XOR", "d", A, B]], 0),
    # HyperLogLog: the key's creation and each changed register; a stale cache
    ([], [["PFADD", "h", "a", "b"]], 3),
    ([["PFADD", "h", "a"]], [["PFADD", "h", "a"]], 0),
    ([["PFADD", "h", "a", "b"]], [["PFCOUNT", "h"]], 1),
    # keys
    ([["SET", "a", "1"]], [["RENAME", "a", "a"]], 0),
    ([["SET", A, "1"]], [["RENAME", A, B]], 1),
    ([["SET", A, "1"], ["SET", B, "2"]], [["COPY", A, B, "REPLACE"]], 1),
    ([["SET", "a", "1"], ["SET", "b", "2"], ["SET", "c", "3"]], [["FLUSHDB"]], 3),
    ([], [["FLUSHDB"]], 0),
    ([["SET", A, "1"], ["SELECT", "1"], ["SET", B, "2"], ["SELECT", "0"]], [["FLUSHALL"]], 2),
    ([], [["FLUSHALL"]], 0),
    ([["SET", A, "1"]], [["SWAPDB", "0", "1"], ["SWAPDB", "0", "0"]], 2),
    ([["RPUSH", "{t}l", "3", "1", "2"]], [["SORT", "{t}l", "STORE", "{t}d"]], 3),
    ([["RPUSH", A, "3", "1", "2"]], [["SORT", A, "STORE", B]], 3),
    ([], [["SORT", "{t}l", "STORE", "{t}d"]], 0),
    # lists: elements popped and trimmed
    ([["RPUSH", "l", "a", "b", "c"]], [["LPOP", "l", "2"]], 2),
    ([["RPUSH", "l", "a", "b", "c"]], [["RPOP", "l", "5"]], 3),
    ([["RPUSH", "l", "a", "b", "c"]], [["RPOP", "l", "0"]], 0),
    ([["RPUSH", "l", "a", "b", "c", "d"]], [["LTRIM", "l", "1", "1"]], 3),
    ([["RPUSH", "l", "a", "b", "c", "d"]], [["LTRIM", "l", "0", "-1"]], 0),
    ([["RPUSH", "l", "a", "b"]], [["LINSERT", "l", "BEFORE", "q", "z"]], 0),
    ([["RPUSH", B, "a", "b", "c"]], [["LMPOP", "2", A, B, "RIGHT", "COUNT", "5"]], 3),
    # sets
    ([["SADD", "s", "a", "b", "c"]], [["SPOP", "s", "2"]], 2),
    ([["SADD", "s", "a", "b", "c"]], [["SPOP", "s", "5"]], 3),
    ([["SADD", "s", "a", "b", "c"]], [["SPOP", "s", "0"]], 0),
    ([["SADD", "{t}s", "a"], ["SADD", "{t}d", "b"]], [["SMOVE", "{t}s", "{t}d", "a"]], 2),
    ([["SADD", A, "a", "c"], ["SADD", B, "b"]], [["SMOVE", A, B, "a"]], 2),
    ([["SADD", "s", "a"]], [["SMOVE", "s", "s", "a"]], 0),
    ([["SADD", "{t}a", "1"], ["SADD", "{t}b", "3"]], [["SINTERSTORE", "{t}d", "{t}a", "{t}b"]], 0),
    # sorted sets and geo: members added or updated, popped, stored
    ([], [["ZADD", "z", "1", "a", "2", "b"]], 2),
    ([["ZADD", "z", "1", "a"]], [["ZADD", "z", "CH", "5", "a", "1", "q"]], 2),
    ([["ZADD", "z", "1", "a"]], [["ZADD", "z", "NX", "5", "a"]], 0),
    ([["ZADD", "z", "1", "a", "2", "b", "3", "c"]], [["ZPOPMAX", "z", "9"]], 3),
    ([["ZADD", B, "1", "a", "2", "b", "3", "c"]], [["ZMPOP", "2", A, B, "MIN", "COUNT", "2"]], 2),
    ([["ZADD", "{t}a", "1", "x"], ["ZADD", "{t}b", "1", "q"]],
     [["ZINTERSTORE", "{t}d", "2", "{t}a", "{t}b"]], 0),
    ([["ZADD", "{t}a", "1", "x"]], [["ZRANGESTORE", "{t}d", "{t}a", "5", "6"]], 0),
    ([], [["GEOADD", "g", "13.36", "38.11", "p", "15.08", "37.50", "c"]], 2),
    ([["GEOADD", "g", "13.36", "38.11", "p"]], [["GEOADD", "g", "13.36", "38.11", "p"]], 0),
    ([["GEOADD", A, "13.36", "38.11", "p", "15.08", "37.50", "c"]],
     [["GEOSEARCHSTORE", B, A, "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"]], 2),
    ([["GEOADD", "{t}g", "13.36", "38.11", "p", "15.08", "37.50", "c"]],
     [["GEORADIUS", "{t}g", "15", "37", "200", "km", "STORE", "{t}d"]], 2),
    # transactions: the queued commands count, wherever they run
    ([], [["MULTI"], ["SET", "a", "1"], ["INCR", "n"], ["EXEC"]], 2),
    ([["SET", A, "1"], ["SET", B, "2"]],
     [["MULTI"], ["DEL", A, B], ["MSET", A, "1", B, "2"], ["EXEC"]], 4),
    ([["SET", A, "1"]], [["WATCH", A, B], ["MULTI"], ["INCR", A], ["SADD", B, "1", "2"],
                        ["EXEC"]], 3),
]


@pytest.mark.parametrize("setup,cmds,changes", CASES,
                         ids=[" / ".join(" ".join(c) for c in cmds) for _, cmds, _ in CASES])
def test_dirty_counts_changes_as_redis(raw, setup, cmds, changes):
    assert delta(raw, setup, cmds) == changes
