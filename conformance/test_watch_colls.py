"""WATCH invalidation by the list, hash, set, sorted set and geo commands:
which writes touch a watched key (Redis 7.0's signalModifiedKey) and which
no-op paths leave it alone. Every expected boolean is what Redis 7.0.15
does. The multi-key commands use keys in four different quarters of the
slot space, so on a kevy server with 2 or 4 shards the source and the
destination live on different shards and each is signalled by the step that
runs on its own shard.
"""

import pytest

from helpers import quarter_keys, slot_quarter, watch_dirtied


# A source/destination on different shards at 2 and 4 shards: S (quarter 0)
# and D (quarter 3); T (quarter 2) and U (quarter 1) are more sources.
S, U, T, D = quarter_keys("wc:")


def case(name, setup, command, watched, expected):
    return pytest.param(setup, command, watched, expected, id=name)


LIST_CASES = [
    case("lpush-new", [], ["LPUSH", "k", "a"], ["k"], True),
    case("rpush-existing", [["RPUSH", "k", "a"]], ["RPUSH", "k", "b"], ["k"], True),
    case("lpush-wrongtype", [["SET", "k", "v"]], ["LPUSH", "k", "a"], ["k"], False),
    case("lpushx-missing", [], ["LPUSHX", "k", "a"], ["k"], False),
    case("lpushx-existing", [["RPUSH", "k", "a"]], ["LPUSHX", "k", "b"], ["k"], True),
    case("rpushx-missing", [], ["RPUSHX", "k", "a"], ["k"], False),
    case("rpushx-existing", [["RPUSH", "k", "a"]], ["RPUSHX", "k", "b"], ["k"], True),
    case("lpop-missing", [], ["LPOP", "k"], ["k"], False),
    case("lpop", [["RPUSH", "k", "a", "b"]], ["LPOP", "k"], ["k"], True),
    case("lpop-last", [["RPUSH", "k", "a"]], ["LPOP", "k"], ["k"], True),
    case("lpop-count-0", [["RPUSH", "k", "a"]], ["LPOP", "k", "0"], ["k"], False),
    case("rpop-count", [["RPUSH", "k", "a", "b"]], ["RPOP", "k", "5"], ["k"], True),
    case("rpop-missing-count", [], ["RPOP", "k", "2"], ["k"], False),
    case("lset", [["RPUSH", "k", "a"]], ["LSET", "k", "0", "b"], ["k"], True),
    case("lset-same-value", [["RPUSH", "k", "a"]], ["LSET", "k", "0", "a"], ["k"], True),
    case("lset-out-of-range", [["RPUSH", "k", "a"]], ["LSET", "k", "5", "b"], ["k"], False),
    case("lset-missing", [], ["LSET", "k", "0", "b"], ["k"], False),
    case("linsert", [["RPUSH", "k", "a"]], ["LINSERT", "k", "BEFORE", "a", "b"], ["k"], True),
    case("linsert-no-pivot", [["RPUSH", "k", "a"]], ["LINSERT", "k", "AFTER", "x", "b"], ["k"],
         False),
    case("linsert-missing", [], ["LINSERT", "k", "AFTER", "x", "b"], ["k"], False),
    case("lrem", [["RPUSH", "k", "a", "b", "a"]], ["LREM", "k", "0", "a"], ["k"], True),
    case("lrem-last", [["RPUSH", "k", "a"]], ["LREM", "k", "1", "a"], ["k"], True),
    case("lrem-none", [["RPUSH", "k", "a"]], ["LREM", "k", "0", "x"], ["k"], False),
    case("lrem-missing", [], ["LREM", "k", "0", "x"], ["k"], False),
    case("ltrim", [["RPUSH", "k", "a", "b"]], ["LTRIM", "k", "0", "0"], ["k"], True),
    case("ltrim-keeps-all", [["RPUSH", "k", "a", "b"]], ["LTRIM", "k", "0", "-1"], ["k"], True),
    case("ltrim-empties", [["RPUSH", "k", "a"]], ["LTRIM", "k", "5", "6"], ["k"], True),
    case("ltrim-missing", [], ["LTRIM", "k", "0", "1"], ["k"], False),
    case("other-key", [["RPUSH", "k", "a"]], ["RPUSH", "k", "b"], ["k2"], False),
    # across shards
    case("lmove-src", [["RPUSH", S, "a", "b"]], ["LMOVE", S, D, "LEFT", "RIGHT"], [S], True),
    case("lmove-dst", [["RPUSH", S, "a", "b"]], ["LMOVE", S, D, "LEFT", "RIGHT"], [D], True),
    case("lmove-dst-exists", [["RPUSH", S, "a"], ["RPUSH", D, "x"]],
         ["LMOVE", S, D, "RIGHT", "LEFT"], [D], True),
    case("lmove-src-missing", [["RPUSH", D, "x"]], ["LMOVE", S, D, "LEFT", "LEFT"], [S, D],
         False),
    case("lmove-dst-wrongtype", [["RPUSH", S, "a"], ["SET", D, "x"]],
         ["LMOVE", S, D, "LEFT", "LEFT"], [S, D], False),
    case("lmove-same-key", [["RPUSH", S, "a", "b"]], ["LMOVE", S, S, "LEFT", "RIGHT"], [S], True),
    case("rpoplpush-src", [["RPUSH", U, "a"]], ["RPOPLPUSH", U, T], [U], True),
    case("rpoplpush-dst", [["RPUSH", U, "a"]], ["RPOPLPUSH", U, D], [D], True),
    case("rpoplpush-missing", [], ["RPOPLPUSH", U, D], [U, D], False),
    case("lmpop-second", [["RPUSH", D, "a"]], ["LMPOP", "2", S, D, "LEFT"], [D], True),
    case("lmpop-first-untouched", [["RPUSH", D, "a"]], ["LMPOP", "2", S, D, "LEFT"], [S], False),
    case("lmpop-first", [["RPUSH", S, "a"], ["RPUSH", D, "b"]],
         ["LMPOP", "2", S, D, "RIGHT", "COUNT", "3"], [D], False),
    case("lmpop-first-src", [["RPUSH", S, "a"], ["RPUSH", D, "b"]],
         ["LMPOP", "2", S, D, "RIGHT", "COUNT", "3"], [S], True),
    case("lmpop-none", [], ["LMPOP", "3", S, T, D, "LEFT"], [S, T, D], False),
]

HASH_CASES = [
    case("hset-new", [], ["HSET", "h", "f", "v"], ["h"], True),
    case("hset-same-value", [["HSET", "h", "f", "v"]], ["HSET", "h", "f", "v"], ["h"], True),
    case("hset-wrongtype", [["RPUSH", "h", "a"]], ["HSET", "h", "f", "v"], ["h"], False),
    case("hmset", [["HSET", "h", "f", "v"]], ["HMSET", "h", "f", "v"], ["h"], True),
    case("hsetnx-new-key", [], ["HSETNX", "h", "f", "v"], ["h"], True),
    case("hsetnx-new-field", [["HSET", "h", "f", "v"]], ["HSETNX", "h", "g", "v"], ["h"], True),
    case("hsetnx-exists", [["HSET", "h", "f", "v"]], ["HSETNX", "h", "f", "w"], ["h"], False),
    case("hdel", [["HSET", "h", "f", "v", "g", "w"]], ["HDEL", "h", "f"], ["h"], True),
    case("hdel-last", [["HSET", "h", "f", "v"]], ["HDEL", "h", "f", "x"], ["h"], True),
    case("hdel-absent-field", [["HSET", "h", "f", "v"]], ["HDEL", "h", "x", "y"], ["h"], False),
    case("hdel-missing", [], ["HDEL", "h", "f"], ["h"], False),
    case("hincrby", [], ["HINCRBY", "h", "f", "2"], ["h"], True),
    case("hincrby-zero", [["HSET", "h", "f", "1"]], ["HINCRBY", "h", "f", "0"], ["h"], True),
    case("hincrby-not-int", [["HSET", "h", "f", "x"]], ["HINCRBY", "h", "f", "1"], ["h"], False),
    case("hincrby-overflow", [["HSET", "h", "f", str(2 ** 63 - 1)]], ["HINCRBY", "h", "f", "1"],
         ["h"], False),
    case("hincrbyfloat", [["HSET", "h", "f", "1"]], ["HINCRBYFLOAT", "h", "f", "0.5"], ["h"],
         True),
    case("hincrbyfloat-not-float", [["HSET", "h", "f", "x"]], ["HINCRBYFLOAT", "h", "f", "1"],
         ["h"], False),
]

SET_CASES = [
    case("sadd-new", [], ["SADD", "s", "a"], ["s"], True),
    case("sadd-some-new", [["SADD", "s", "a"]], ["SADD", "s", "a", "b"], ["s"], True),
    case("sadd-nothing", [["SADD", "s", "a"]], ["SADD", "s", "a", "a"], ["s"], False),
    case("sadd-wrongtype", [["SET", "s", "v"]], ["SADD", "s", "a"], ["s"], False),
    case("srem", [["SADD", "s", "a", "b"]], ["SREM", "s", "a"], ["s"], True),
    case("srem-last", [["SADD", "s", "a"]], ["SREM", "s", "a", "x"], ["s"], True),
    case("srem-none", [["SADD", "s", "a"]], ["SREM", "s", "x"], ["s"], False),
    case("srem-missing", [], ["SREM", "s", "x"], ["s"], False),
    case("spop", [["SADD", "s", "a", "b"]], ["SPOP", "s"], ["s"], True),
    case("spop-last", [["SADD", "s", "a"]], ["SPOP", "s"], ["s"], True),
    case("spop-missing", [], ["SPOP", "s"], ["s"], False),
    case("spop-count", [["SADD", "s", "a", "b", "c"]], ["SPOP", "s", "2"], ["s"], True),
    case("spop-count-all", [["SADD", "s", "1", "2"]], ["SPOP", "s", "5"], ["s"], True),
    case("spop-count-0", [["SADD", "s", "a"]], ["SPOP", "s", "0"], ["s"], False),
    case("spop-count-missing", [], ["SPOP", "s", "3"], ["s"], False),
    # SMOVE across shards
    case("smove-src", [["SADD", S, "a", "b"]], ["SMOVE", S, D, "a"], [S], True),
    case("smove-dst", [["SADD", S, "a", "b"]], ["SMOVE", S, D, "a"], [D], True),
    case("smove-dst-has-member", [["SADD", S, "a"], ["SADD", D, "a"]], ["SMOVE", S, D, "a"],
         [D], False),
    case("smove-dst-has-member-src", [["SADD", S, "a"], ["SADD", D, "a"]], ["SMOVE", S, D, "a"],
         [S], True),
    case("smove-absent-member", [["SADD", S, "a"], ["SADD", D, "b"]], ["SMOVE", S, D, "x"],
         [S, D], False),
    case("smove-src-missing", [["SADD", D, "b"]], ["SMOVE", S, D, "b"], [S, D], False),
    case("smove-dst-wrongtype", [["SADD", S, "a"], ["SET", D, "x"]], ["SMOVE", S, D, "a"],
         [S, D], False),
    case("smove-same-key", [["SADD", S, "a"]], ["SMOVE", S, S, "a"], [S], False),
    # the STORE forms, destination on another shard than the sources
    case("sinterstore-dst", [["SADD", S, "a", "b"], ["SADD", T, "b"]],
         ["SINTERSTORE", D, S, T], [D], True),
    case("sinterstore-sources", [["SADD", S, "a", "b"], ["SADD", T, "b"]],
         ["SINTERSTORE", D, S, T], [S, T], False),
    case("sinterstore-same-result", [["SADD", S, "b"], ["SADD", D, "b"]],
         ["SINTERSTORE", D, S], [D], True),
    case("sinterstore-empty-dst-exists", [["SADD", S, "a"], ["SADD", T, "b"], ["SET", D, "x"]],
         ["SINTERSTORE", D, S, T], [D], True),
    case("sinterstore-empty-dst-missing", [["SADD", S, "a"], ["SADD", T, "b"]],
         ["SINTERSTORE", D, S, T], [D], False),
    case("sinterstore-source-missing-dst-exists", [["SADD", S, "a"], ["SADD", D, "x"]],
         ["SINTERSTORE", D, S, T], [D], True),
    case("sinterstore-source-missing-dst-missing", [["SADD", S, "a"]],
         ["SINTERSTORE", D, S, T], [D], False),
    case("sinterstore-wrongtype", [["SADD", S, "a"], ["SET", T, "x"], ["SADD", D, "y"]],
         ["SINTERSTORE", D, S, T], [D], False),
    case("sunionstore-dst", [["SADD", S, "a"], ["SADD", U, "b"]],
         ["SUNIONSTORE", D, S, U], [D], True),
    case("sunionstore-sources", [["SADD", S, "a"], ["SADD", U, "b"]],
         ["SUNIONSTORE", D, S, U], [S, U], False),
    case("sunionstore-empty-dst-exists", [["SADD", D, "x"]], ["SUNIONSTORE", D, S, U], [D], True),
    case("sunionstore-empty-dst-missing", [], ["SUNIONSTORE", D, S, U], [D], False),
    case("sdiffstore-dst", [["SADD", S, "a", "b"], ["SADD", T, "b"]],
         ["SDIFFSTORE", D, S, T], [D], True),
    case("sdiffstore-sources", [["SADD", S, "a", "b"], ["SADD", T, "b"]],
         ["SDIFFSTORE", D, S, T], [S, T], False),
    case("sdiffstore-empty-dst-exists", [["SADD", S, "a"], ["SADD", T, "a"], ["SADD", D, "x"]],
         ["SDIFFSTORE", D, S, T], [D], True),
    case("sdiffstore-empty-dst-missing", [["SADD", S, "a"], ["SADD", T, "a"]],
         ["SDIFFSTORE", D, S, T], [D], False),
    case("sdiffstore-onto-source", [["SADD", S, "a", "b"], ["SADD", T, "b"]],
         ["SDIFFSTORE", S, S, T], [S], True),
]

ZSET_CASES = [
    case("zadd-new", [], ["ZADD", "z", "1", "a"], ["z"], True),
    case("zadd-update", [["ZADD", "z", "1", "a"]], ["ZADD", "z", "2", "a"], ["z"], True),
    case("zadd-same", [["ZADD", "z", "1", "a"]], ["ZADD", "z", "1", "a"], ["z"], False),
    case("zadd-xx-missing", [], ["ZADD", "z", "XX", "1", "a"], ["z"], False),
    case("zadd-nx-exists", [["ZADD", "z", "1", "a"]], ["ZADD", "z", "NX", "2", "a"], ["z"],
         False),
    case("zincrby", [["ZADD", "z", "1", "a"]], ["ZINCRBY", "z", "1", "a"], ["z"], True),
    case("zrem", [["ZADD", "z", "1", "a", "2", "b"]], ["ZREM", "z", "a"], ["z"], True),
    case("zrem-none", [["ZADD", "z", "1", "a"]], ["ZREM", "z", "x"], ["z"], False),
    case("zpopmin", [["ZADD", "z", "1", "a"]], ["ZPOPMIN", "z"], ["z"], True),
    case("zpopmax-missing", [], ["ZPOPMAX", "z"], ["z"], False),
    case("zpopmin-count-0", [["ZADD", "z", "1", "a"]], ["ZPOPMIN", "z", "0"], ["z"], False),
    case("zremrangebyscore-none", [["ZADD", "z", "1", "a"]], ["ZREMRANGEBYSCORE", "z", "5", "6"],
         ["z"], False),
    case("zremrangebyrank", [["ZADD", "z", "1", "a"]], ["ZREMRANGEBYRANK", "z", "0", "0"], ["z"],
         True),
    case("zrangestore-dst", [["ZADD", S, "1", "a"]], ["ZRANGESTORE", D, S, "0", "-1"], [D], True),
    case("zrangestore-src", [["ZADD", S, "1", "a"]], ["ZRANGESTORE", D, S, "0", "-1"], [S],
         False),
    case("zrangestore-empty-dst-missing", [["ZADD", S, "1", "a"]],
         ["ZRANGESTORE", D, S, "5", "6"], [D], False),
    case("zrangestore-empty-dst-exists", [["ZADD", S, "1", "a"], ["SET", D, "x"]],
         ["ZRANGESTORE", D, S, "5", "6"], [D], True),
    case("zunionstore-dst", [["ZADD", S, "1", "a"], ["ZADD", U, "2", "b"]],
         ["ZUNIONSTORE", D, "2", S, U], [D], True),
    case("zunionstore-sources", [["ZADD", S, "1", "a"], ["ZADD", U, "2", "b"]],
         ["ZUNIONSTORE", D, "2", S, U], [S, U], False),
    case("zunionstore-empty-dst-missing", [], ["ZUNIONSTORE", D, "2", S, U], [D], False),
    case("zunionstore-empty-dst-exists", [["ZADD", D, "1", "x"]], ["ZUNIONSTORE", D, "2", S, U],
         [D], True),
    case("zinterstore-empty-dst-exists", [["ZADD", S, "1", "a"], ["ZADD", D, "1", "x"]],
         ["ZINTERSTORE", D, "2", S, U], [D], True),
]

GEO_CASES = [
    case("geoadd-new", [], ["GEOADD", "g", "13.36", "38.11", "a"], ["g"], True),
    case("geoadd-same", [["GEOADD", "g", "13.36", "38.11", "a"]],
         ["GEOADD", "g", "13.36", "38.11", "a"], ["g"], False),
    case("geoadd-moved", [["GEOADD", "g", "13.36", "38.11", "a"]],
         ["GEOADD", "g", "15.08", "37.50", "a"], ["g"], True),
    case("geoadd-xx-missing", [], ["GEOADD", "g", "XX", "13.36", "38.11", "a"], ["g"], False),
    case("geoadd-nx-exists", [["GEOADD", "g", "13.36", "38.11", "a"]],
         ["GEOADD", "g", "NX", "15.08", "37.50", "a"], ["g"], False),
    case("geosearchstore-dst", [["GEOADD", S, "13.36", "38.11", "a"]],
         ["GEOSEARCHSTORE", D, S, "FROMLONLAT", "13", "38", "BYRADIUS", "100", "km"], [D], True),
    case("geosearchstore-src", [["GEOADD", S, "13.36", "38.11", "a"]],
         ["GEOSEARCHSTORE", D, S, "FROMLONLAT", "13", "38", "BYRADIUS", "100", "km"], [S], False),
    case("geosearchstore-empty-dst-exists", [["GEOADD", S, "13.36", "38.11", "a"],
                                             ["SET", D, "x"]],
         ["GEOSEARCHSTORE", D, S, "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"], [D], True),
    case("geosearchstore-empty-dst-missing", [["GEOADD", S, "13.36", "38.11", "a"]],
         ["GEOSEARCHSTORE", D, S, "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"], [D], False),
    case("geosearchstore-src-missing-dst-exists", [["SET", D, "x"]],
         ["GEOSEARCHSTORE", D, S, "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"], [D], True),
    case("geosearchstore-src-missing-dst-missing", [],
         ["GEOSEARCHSTORE", D, S, "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"], [D], False),
    case("georadius-store", [["GEOADD", T, "13.36", "38.11", "a"]],
         ["GEORADIUS", T, "13", "38", "100", "km", "STORE", D], [D], True),
    case("georadiusbymember-storedist", [["GEOADD", T, "13.36", "38.11", "a"]],
         ["GEORADIUSBYMEMBER", T, "a", "100", "km", "STOREDIST", U], [U], True),
    case("georadius-store-src", [["GEOADD", T, "13.36", "38.11", "a"]],
         ["GEORADIUS", T, "13", "38", "100", "km", "STORE", D], [T], False),
]


@pytest.mark.parametrize("setup,command,watched,expected", LIST_CASES)
def test_watch_lists(connect, setup, command, watched, expected):
    assert watch_dirtied(connect, setup, command, watched) is expected


@pytest.mark.parametrize("setup,command,watched,expected", HASH_CASES)
def test_watch_hashes(connect, setup, command, watched, expected):
    assert watch_dirtied(connect, setup, command, watched) is expected


@pytest.mark.parametrize("setup,command,watched,expected", SET_CASES)
def test_watch_sets(connect, setup, command, watched, expected):
    assert watch_dirtied(connect, setup, command, watched) is expected


@pytest.mark.parametrize("setup,command,watched,expected", ZSET_CASES)
def test_watch_zsets(connect, setup, command, watched, expected):
    assert watch_dirtied(connect, setup, command, watched) is expected


@pytest.mark.parametrize("setup,command,watched,expected", GEO_CASES)
def test_watch_geo(connect, setup, command, watched, expected):
    assert watch_dirtied(connect, setup, command, watched) is expected


def test_keys_are_apart():
    """The multi-key cases rely on these names' slots (see quarter_keys)."""
    assert [slot_quarter(k) for k in (S, U, T, D)] == [0, 1, 2, 3]
    assert all("{" not in k for k in (S, U, T, D))
