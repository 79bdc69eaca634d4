"""The keymiss event (class m) of the collection commands: which of them
look a missing key up as a read (keymiss, and INFO keyspace_misses) and
which as a write (nothing), as Redis 7.0.15 does. Every command runs on
missing keys; the expected keys are Redis's, in order."""

import pytest

from helpers import info_fields
from notify_helpers import keyspace_events

MISSING = ("{t}a", "{t}b", "{t}c", "{t}d", "{t}e", "{t}g")

CASES = [
    (('LPUSHX', '{t}a', 'x'), ()),
    (('RPUSHX', '{t}a', 'x'), ()),
    (('LINSERT', '{t}a', 'BEFORE', 'p', 'x'), ()),
    (('LSET', '{t}a', '0', 'x'), ()),
    (('LREM', '{t}a', '0', 'x'), ()),
    (('LTRIM', '{t}a', '0', '1'), ()),
    (('LPOP', '{t}a'), ()),
    (('RPOP', '{t}a', '2'), ()),
    (('LMOVE', '{t}a', '{t}b', 'LEFT', 'RIGHT'), ()),
    (('RPOPLPUSH', '{t}a', '{t}b'), ()),
    (('LMPOP', '2', '{t}a', '{t}b', 'LEFT'), ()),
    (('LRANGE', '{t}a', '0', '-1'), ('{t}a',)),
    (('LLEN', '{t}a'), ('{t}a',)),
    (('LINDEX', '{t}a', '0'), ('{t}a',)),
    (('LPOS', '{t}a', 'x'), ('{t}a',)),
    (('HDEL', '{t}a', 'f'), ()),
    (('HSETNX', '{t}a', 'f', 'v'), ()),
    (('HGET', '{t}a', 'f'), ('{t}a',)),
    (('HGETALL', '{t}a'), ('{t}a',)),
    (('HLEN', '{t}a'), ('{t}a',)),
    (('HSTRLEN', '{t}a', 'f'), ('{t}a',)),
    (('HEXISTS', '{t}a', 'f'), ('{t}a',)),
    (('HMGET', '{t}a', 'f'), ('{t}a',)),
    (('HRANDFIELD', '{t}a'), ('{t}a',)),
    (('HKEYS', '{t}a'), ('{t}a',)),
    (('HVALS', '{t}a'), ('{t}a',)),
    (('HSCAN', '{t}a', '0'), ('{t}a',)),
    (('HINCRBY', '{t}c', 'f', '1'), ()),
    (('SREM', '{t}a', 'm'), ()),
    (('SPOP', '{t}a'), ()),
    (('SMOVE', '{t}a', '{t}b', 'm'), ()),
    (('SINTERSTORE', '{t}d', '{t}a', '{t}b'), ('{t}a', '{t}b')),
    (('SUNIONSTORE', '{t}d', '{t}a'), ('{t}a',)),
    (('SDIFFSTORE', '{t}d', '{t}a', '{t}b'), ('{t}a', '{t}b')),
    (('SMEMBERS', '{t}a'), ('{t}a',)),
    (('SISMEMBER', '{t}a', 'm'), ('{t}a',)),
    (('SMISMEMBER', '{t}a', 'm'), ('{t}a',)),
    (('SCARD', '{t}a'), ('{t}a',)),
    (('SINTER', '{t}a', '{t}b'), ('{t}a', '{t}b')),
    (('SUNION', '{t}a', '{t}b'), ('{t}a', '{t}b')),
    (('SDIFF', '{t}a', '{t}b'), ('{t}a', '{t}b')),
    (('SINTERCARD', '2', '{t}a', '{t}b'), ('{t}a', '{t}b')),
    (('SRANDMEMBER', '{t}a'), ('{t}a',)),
    (('SSCAN', '{t}a', '0'), ('{t}a',)),
    (('ZREM', '{t}a', 'm'), ()),
    (('ZPOPMIN', '{t}a'), ()),
    (('ZREMRANGEBYSCORE', '{t}a', '0', '1'), ()),
    (('ZREMRANGEBYRANK', '{t}a', '0', '1'), ()),
    (('ZREMRANGEBYLEX', '{t}a', '-', '+'), ()),
    (('ZUNIONSTORE', '{t}d', '2', '{t}a', '{t}b'), ('{t}a', '{t}b')),
    (('ZINTERSTORE', '{t}d', '2', '{t}a', '{t}b'), ('{t}a', '{t}b')),
    (('ZDIFFSTORE', '{t}d', '2', '{t}a', '{t}b'), ('{t}a', '{t}b')),
    (('ZRANGESTORE', '{t}d', '{t}a', '0', '-1'), ('{t}a',)),
    (('ZRANGE', '{t}a', '0', '-1'), ('{t}a',)),
    (('ZSCORE', '{t}a', 'm'), ('{t}a',)),
    (('ZMSCORE', '{t}a', 'm'), ('{t}a',)),
    (('ZCARD', '{t}a'), ('{t}a',)),
    (('ZRANK', '{t}a', 'm'), ('{t}a',)),
    (('ZCOUNT', '{t}a', '0', '1'), ('{t}a',)),
    (('ZLEXCOUNT', '{t}a', '-', '+'), ('{t}a',)),
    (('ZUNION', '2', '{t}a', '{t}b'), ('{t}a', '{t}b')),
    (('ZINTER', '2', '{t}a', '{t}b'), ('{t}a', '{t}b')),
    (('ZDIFF', '2', '{t}a', '{t}b'), ('{t}a', '{t}b')),
    (('ZINTERCARD', '2', '{t}a', '{t}b'), ('{t}a', '{t}b')),
    (('ZRANDMEMBER', '{t}a'), ('{t}a',)),
    (('ZMPOP', '1', '{t}a', 'MIN'), ()),
    (('ZSCAN', '{t}a', '0'), ('{t}a',)),
    (('ZRANGEBYSCORE', '{t}a', '0', '1'), ('{t}a',)),
    (('ZREVRANGE', '{t}a', '0', '1'), ('{t}a',)),
    (('ZINCRBY', '{t}e', '1', 'm'), ()),
    (('GEOADD', '{t}g', '1', '1', 'm'), ()),
    (('GEOPOS', '{t}a', 'm'), ('{t}a',)),
    (('GEODIST', '{t}a', 'm', 'n'), ('{t}a',)),
    (('GEOHASH', '{t}a', 'm'), ('{t}a',)),
    (('GEOSEARCH', '{t}a', 'FROMLONLAT', '1', '1', 'BYRADIUS', '1', 'km'), ('{t}a',)),
    (('GEOSEARCHSTORE', '{t}d', '{t}a', 'FROMLONLAT', '1', '1', 'BYRADIUS', '1', 'km'), ('{t}a',)),
    (('GEORADIUS', '{t}a', '1', '1', '1', 'km'), ('{t}a',)),
    (('SORT', '{t}a'), ('{t}a',)),
    (('SORT_RO', '{t}a'), ('{t}a',)),
    (('SORT', '{t}a', 'STORE', '{t}d'), ('{t}a',)),
    (('BLPOP', '{t}a', '0.01'), ()),
    (('BZPOPMIN', '{t}a', '0.01'), ()),
    (('BLMOVE', '{t}a', '{t}b', 'LEFT', 'LEFT', '0.01'), ()),
]


@pytest.fixture(scope="module")
def keymiss_log(server):
    with keyspace_events(server, "Km") as ev:
        yield ev


@pytest.mark.parametrize("cmd,keys", CASES, ids=[" ".join(c[0][:2]) for c in CASES])
def test_keymiss_of_collection_commands(keymiss_log, cmd, keys):
    ev = keymiss_log
    ev.admin.call("DEL", *MISSING)
    assert ev.collect(quiet=0.05) == []
    assert ev.run(cmd, quiet=0.15) == [("__keyspace@0__:%s" % k, "keymiss") for k in keys]


def test_zunionstore_sources_count_as_misses(connect):
    """ZUNIONSTORE reads its sources (kevy once looked them up as writes:
    no keymiss, no keyspace_misses)."""
    c = connect()
    before = int(info_fields(c, "stats")["keyspace_misses"])
    c.call("ZUNIONSTORE", "{t}d", "2", "{t}a", "{t}b")
    assert int(info_fields(c, "stats")["keyspace_misses"]) - before == 2
