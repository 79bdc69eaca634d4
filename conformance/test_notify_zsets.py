"""Keyspace notifications of the sorted-set and geo commands, as Redis
7.0.15 sends them: "zadd" when ZADD (or GEOADD, which is ZADD to Redis)
added or updated a member, "zincr" for ZINCRBY and ZADD INCR, "zrem",
"zremrangebyscore"/"zremrangebyrank"/"zremrangebylex", "zpopmin"/"zpopmax"
for every pop (ZMPOP and the blocking forms too), each followed by the
generic "del" when it emptied the key; the STORE forms report their own
name ("zunionstore", "zinterstore", "zdiffstore", "zrangestore",
"georadiusstore" for GEORADIUS[BYMEMBER] STORE, "geosearchstore"), or
"del" when an empty result deleted an existing destination. A command
that changes nothing reports nothing.

Every key is under the hashtag {t}: one shard holds them all, so the events
of a test arrive in order and the marker write fences them."""

from blocking_helpers import block, read_raw
from helpers import array, bulk
from notify_helpers import events, keyspace_events



Z, D = "{t}z", "{t}d"


# ------------------------------------------------------------- ZADD

def test_zadd(server, r):
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("ZADD", Z, "1", "a", "2", "b")) == events(("zadd", Z))
        assert ev.run(("ZADD", Z, "1", "a")) == []  # same score: no change
        assert ev.run(("ZADD", Z, "5", "a")) == events(("zadd", Z))  # an update
        assert ev.run(("ZADD", Z, "CH", "5", "a", "2", "b")) == []
        # the last of a member's pairs wins: an update
        assert ev.run(("ZADD", Z, "6", "a", "7", "a")) == events(("zadd", Z))


def test_zadd_conditions_not_applied(server, r):
    r.zadd(Z, {"a": 5})
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("ZADD", Z, "NX", "1", "a"), ("ZADD", Z, "XX", "1", "new"),
                      ("ZADD", Z, "GT", "1", "a"), ("ZADD", Z, "LT", "9", "a"),
                      ("ZADD", "{t}none", "XX", "1", "a")) == []
        assert ev.run(("ZADD", Z, "GT", "9", "a")) == events(("zadd", Z))
        assert ev.run(("ZADD", Z, "LT", "1", "a")) == events(("zadd", Z))
        assert ev.run(("ZADD", Z, "NX", "1", "b")) == events(("zadd", Z))
        assert ev.run(("ZADD", Z, "XX", "2", "b")) == events(("zadd", Z))


def test_zincrby_and_zadd_incr(server, r):
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("ZINCRBY", Z, "1", "a")) == events(("zincr", Z))
        assert ev.run(("ZADD", Z, "INCR", "2", "a")) == events(("zincr", Z))
        assert ev.run(("ZADD", Z, "XX", "INCR", "2", "a")) == events(("zincr", Z))
        # not applied, or the score did not move: nothing
        assert ev.run(("ZADD", Z, "NX", "INCR", "1", "a"), ("ZINCRBY", Z, "0", "a"),
                      ("ZADD", Z, "GT", "INCR", "-1", "a")) == []


def test_zincr_to_nan_reports_nothing(server, r):
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("ZADD", Z, "INCR", "+inf", "a")) == events(("zincr", Z))
        assert ev.run(("ZINCRBY", Z, "-inf", "a")) == []


def test_zadd_errors_report_nothing(server, r):
    r.set("{t}str", "x")
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("ZADD", "{t}str", "1", "a"), ("ZADD", Z, "x", "a"),
                      ("ZADD", Z, "NX", "XX", "1", "a"), ("ZINCRBY", "{t}str", "1", "a")) == []


# ------------------------------------------------------------- removals

def test_zrem(server, r):
    r.zadd(Z, {"a": 1, "b": 2, "c": 3})
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("ZREM", Z, "nope")) == []
        assert ev.run(("ZREM", Z, "a", "nope")) == events(("zrem", Z))
        assert ev.run(("ZREM", Z, "b", "c", "d")) == events(("zrem", Z), ("del", Z))
        assert ev.run(("ZREM", Z, "a")) == []


def test_zremrange(server, r):
    r.zadd(Z, {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5})
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("ZREMRANGEBYSCORE", Z, "10", "20"), ("ZREMRANGEBYRANK", Z, "7", "9"),
                      ("ZREMRANGEBYRANK", Z, "3", "1"), ("ZREMRANGEBYLEX", Z, "[x", "[y")) == []
        assert ev.run(("ZREMRANGEBYSCORE", Z, "-inf", "1")) == events(("zremrangebyscore", Z))
        assert ev.run(("ZREMRANGEBYRANK", Z, "0", "0")) == events(("zremrangebyrank", Z))
        assert ev.run(("ZREMRANGEBYLEX", Z, "[c", "[c")) == events(("zremrangebylex", Z))
        assert ev.run(("ZREMRANGEBYLEX", Z, "-", "+")) == \
            events(("zremrangebylex", Z), ("del", Z))
        r.zadd(Z, {"a": 1})
        ev.collect()
        assert ev.run(("ZREMRANGEBYRANK", Z, "0", "-1")) == \
            events(("zremrangebyrank", Z), ("del", Z))
        r.zadd(Z, {"a": 1})
        ev.collect()
        assert ev.run(("ZREMRANGEBYSCORE", Z, "-inf", "+inf")) == \
            events(("zremrangebyscore", Z), ("del", Z))


# ------------------------------------------------------------- pops

def test_zpop(server, r):
    r.zadd(Z, {"a": 1, "b": 2, "c": 3, "d": 4})
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("ZPOPMIN", Z, "0"), ("ZPOPMAX", Z, "0")) == []
        assert ev.run(("ZPOPMIN", Z)) == events(("zpopmin", Z))
        assert ev.run(("ZPOPMAX", Z, "2")) == events(("zpopmax", Z))
        assert ev.run(("ZPOPMIN", Z, "5")) == events(("zpopmin", Z), ("del", Z))
        assert ev.run(("ZPOPMIN", Z), ("ZPOPMAX", Z, "2")) == []


def test_zmpop(server, r):
    r.zadd(Z, {"a": 1, "b": 2, "c": 3})
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("ZMPOP", "2", "{t}none", Z, "MAX")) == events(("zpopmax", Z))
        assert ev.run(("ZMPOP", "1", Z, "MIN", "COUNT", "5")) == \
            events(("zpopmin", Z), ("del", Z))
        assert ev.run(("ZMPOP", "2", "{t}none", Z, "MIN")) == []


# ------------------------------------------------------------- stores

def test_set_operation_stores(server, r):
    r.zadd("{t}a", {"x": 1, "y": 2})
    r.zadd("{t}b", {"y": 1, "z": 2})
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("ZUNIONSTORE", D, "2", "{t}a", "{t}b")) == events(("zunionstore", D))
        assert ev.run(("ZINTERSTORE", D, "2", "{t}a", "{t}b")) == events(("zinterstore", D))
        assert ev.run(("ZDIFFSTORE", D, "2", "{t}a", "{t}b")) == events(("zdiffstore", D))
        assert ev.run(("ZRANGESTORE", D, "{t}a", "0", "-1")) == events(("zrangestore", D))
        assert ev.run(("ZUNION", "2", "{t}a", "{t}b"), ("ZINTERCARD", "2", "{t}a", "{t}b"),
                      ("ZRANGE", "{t}a", "0", "-1")) == []


def test_stores_of_an_empty_result(server, r):
    r.zadd("{t}a", {"x": 1})
    r.set("{t}str", "v")
    with keyspace_events(server, "KEA") as ev:
        # no destination: nothing changes
        assert ev.run(("ZINTERSTORE", D, "2", "{t}a", "{t}none"),
                      ("ZUNIONSTORE", D, "1", "{t}none"),
                      ("ZRANGESTORE", D, "{t}a", "5", "9")) == []
        r.zadd(D, {"m": 1})
        ev.collect()
        assert ev.run(("ZDIFFSTORE", D, "2", "{t}a", "{t}a")) == events(("del", D))
        r.zadd(D, {"m": 1})
        ev.collect()
        assert ev.run(("ZRANGESTORE", D, "{t}a", "5", "9")) == events(("del", D))
        assert ev.run(("ZINTERSTORE", "{t}str", "2", "{t}a", "{t}none")) == \
            events(("del", "{t}str"))


# ------------------------------------------------------------- geo

def test_geoadd_is_zadd(server, r):
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("GEOADD", Z, "13.36", "38.11", "a", "15.08", "37.50", "b")) == \
            events(("zadd", Z))
        assert ev.run(("GEOADD", Z, "13.36", "38.11", "a"),
                      ("GEOADD", Z, "XX", "1", "1", "new"),
                      ("GEOADD", Z, "NX", "1", "1", "a")) == []
        assert ev.run(("GEOADD", Z, "CH", "13.37", "38.11", "a")) == events(("zadd", Z))
        assert ev.run(("GEOADD", Z, "XX", "13.38", "38.11", "a")) == events(("zadd", Z))


def test_geo_stores(server, r):
    r.geoadd(Z, [13.36, 38.11, "a", 15.08, 37.50, "b"])
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("GEOSEARCHSTORE", D, Z, "FROMLONLAT", "15", "37", "BYRADIUS", "200",
                       "km")) == events(("geosearchstore", D))
        assert ev.run(("GEOSEARCHSTORE", D, Z, "FROMLONLAT", "15", "37", "BYRADIUS", "200",
                       "km", "STOREDIST")) == events(("geosearchstore", D))
        assert ev.run(("GEORADIUS", Z, "15", "37", "200", "km", "STORE", D)) == \
            events(("georadiusstore", D))
        assert ev.run(("GEORADIUS", Z, "15", "37", "200", "km", "STOREDIST", D)) == \
            events(("georadiusstore", D))
        assert ev.run(("GEORADIUSBYMEMBER", Z, "a", "200", "km", "STORE", D)) == \
            events(("georadiusstore", D))
        assert ev.run(("GEOSEARCH", Z, "FROMMEMBER", "a", "BYRADIUS", "1", "km"),
                      ("GEORADIUS_RO", Z, "15", "37", "200", "km")) == []


def test_geo_stores_of_an_empty_result(server, r):
    r.geoadd(Z, [13.36, 38.11, "a"])
    r.zadd(D, {"m": 1})
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("GEOSEARCHSTORE", D, Z, "FROMLONLAT", "0", "0", "BYRADIUS", "1",
                       "km")) == events(("del", D))
        assert ev.run(("GEOSEARCHSTORE", D, Z, "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"),
                      ("GEORADIUS", Z, "0", "0", "1", "km", "STORE", D),
                      ("GEORADIUS", "{t}none", "0", "0", "1", "km", "STORE", D)) == []
        r.zadd(D, {"m": 1})
        ev.collect()
        assert ev.run(("GEORADIUS", Z, "0", "0", "1", "m", "STOREDIST", D)) == events(("del", D))


# ------------------------------------------------------------- classes

def test_keyspace_zset_class_only(server, r):
    with keyspace_events(server, "Kz") as ev:
        assert ev.run(("ZADD", Z, "1", "a"), ("ZINCRBY", Z, "1", "a"), ("ZPOPMAX", Z)) == [
            ("__keyspace@0__:" + Z, "zadd"), ("__keyspace@0__:" + Z, "zincr"),
            ("__keyspace@0__:" + Z, "zpopmax")]


def test_keyevent_generic_class_only(server, r):
    with keyspace_events(server, "Eg") as ev:
        assert ev.run(("ZADD", Z, "1", "a"), ("ZREM", Z, "a")) == [("__keyevent@0__:del", Z)]


# ------------------------------------------------------------- blocking

def test_bzpopmin_with_data_reports_the_pop(server, r):
    r.zadd(Z, {"a": 1})
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("BZPOPMIN", Z, "0")) == events(("zpopmin", Z), ("del", Z))


def test_bzpopmin_served_by_zadd(server, r, connect):
    c = connect()
    with keyspace_events(server, "KEA") as ev:
        block(ev.admin, c, "BZPOPMIN", Z, "0")
        ev.admin.call("ZADD", Z, "1", "a")
        assert read_raw(c) == array(bulk(Z), bulk("a"), bulk("1"))
        assert ev.collect() == events(("zadd", Z), ("zpopmin", Z), ("del", Z))


def test_bzpopmax_served_leaves_the_rest(server, r, connect):
    c = connect()
    with keyspace_events(server, "KEA") as ev:
        block(ev.admin, c, "BZPOPMAX", "{t}other", Z, "0")
        ev.admin.call("ZADD", Z, "1", "a", "2", "b")
        assert read_raw(c) == array(bulk(Z), bulk("b"), bulk("2"))
        assert ev.collect() == events(("zadd", Z), ("zpopmax", Z))


def test_bzmpop_served_by_zincrby(server, r, connect):
    c = connect()
    with keyspace_events(server, "KEA") as ev:
        block(ev.admin, c, "BZMPOP", "0", "1", Z, "MIN", "COUNT", "3")
        ev.admin.call("ZINCRBY", Z, "2", "a")
        assert read_raw(c) == array(bulk(Z), array(array(bulk("a"), bulk("2"))))
        assert ev.collect() == events(("zincr", Z), ("zpopmin", Z), ("del", Z))


def test_bzpopmin_served_by_a_store(server, r, connect):
    c = connect()
    r.zadd("{t}a", {"x": 1, "y": 2})
    with keyspace_events(server, "KEA") as ev:
        block(ev.admin, c, "BZPOPMIN", Z, "0")
        ev.admin.call("ZUNIONSTORE", Z, "1", "{t}a")
        assert read_raw(c) == array(bulk(Z), bulk("x"), bulk("1"))
        assert ev.collect() == events(("zunionstore", Z), ("zpopmin", Z))
