"""Keyspace notifications of the list commands, as Redis 7.0.15 sends them:
the event of each change ("lpush", "rpush", "linsert", "lset", "lrem",
"ltrim", "lpop", "rpop"), then the generic "del" when it emptied the list;
LMOVE/RPOPLPUSH report the destination's push before the source's pop; a
command that changes nothing reports nothing. A blocked client served later
reports its pop after the events of the command that served it.

Every key is under the hashtag {t}: one shard holds them all, so the events
of a test arrive in order and the marker write fences them."""

from blocking_helpers import block, read_raw
from helpers import array, bulk
from notify_helpers import events, keyspace_events



L, S, D = "{t}l", "{t}s", "{t}d"


# ------------------------------------------------------------- pushes

def test_push_variants(server, r):
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("LPUSH", L, "a", "b")) == events(("lpush", L))
        assert ev.run(("RPUSH", L, "c")) == events(("rpush", L))
        assert ev.run(("LPUSHX", L, "z")) == events(("lpush", L))
        assert ev.run(("RPUSHX", L, "y")) == events(("rpush", L))
        # X forms on a missing key change nothing
        assert ev.run(("LPUSHX", "{t}none", "a"), ("RPUSHX", "{t}none", "a")) == []


def test_push_wrongtype_reports_nothing(server, r):
    r.set("{t}str", "x")
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("LPUSH", "{t}str", "a"), ("RPUSHX", "{t}str", "a")) == []


# ------------------------------------------------------------- editing

def test_linsert(server, r):
    r.rpush(L, "a", "c")
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("LINSERT", L, "BEFORE", "c", "b")) == events(("linsert", L))
        assert ev.run(("LINSERT", L, "AFTER", "nope", "x")) == []
        assert ev.run(("LINSERT", "{t}none", "AFTER", "a", "x")) == []
    assert r.lrange(L, 0, -1) == [b"a", b"b", b"c"]


def test_lset(server, r):
    r.rpush(L, "a", "b")
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("LSET", L, "-1", "z")) == events(("lset", L))
        assert ev.run(("LSET", L, "5", "z")) == []  # out of range: an error


def test_lrem(server, r):
    r.rpush(L, "a", "b", "a", "c")
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("LREM", L, "0", "nope")) == []
        assert ev.run(("LREM", L, "0", "a")) == events(("lrem", L))
        assert ev.run(("LREM", L, "-1", "b")) == events(("lrem", L))
        assert ev.run(("LREM", L, "1", "c")) == events(("lrem", L), ("del", L))
        assert ev.run(("LREM", L, "1", "c")) == []
    assert r.exists(L) == 0


def test_ltrim(server, r):
    r.rpush(L, "a", "b", "c")
    with keyspace_events(server, "KEA") as ev:
        # an existing list is reported even when nothing was trimmed
        assert ev.run(("LTRIM", L, "0", "-1")) == events(("ltrim", L))
        assert ev.run(("LTRIM", L, "1", "1")) == events(("ltrim", L))
        assert ev.run(("LTRIM", L, "5", "10")) == events(("ltrim", L), ("del", L))
        assert ev.run(("LTRIM", L, "0", "-1")) == []


# ------------------------------------------------------------- pops

def test_pop_single(server, r):
    r.rpush(L, "a", "b", "c")
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("LPOP", L)) == events(("lpop", L))
        assert ev.run(("RPOP", L)) == events(("rpop", L))
        assert ev.run(("RPOP", L)) == events(("rpop", L), ("del", L))
        assert ev.run(("LPOP", L), ("RPOP", L)) == []


def test_pop_with_count(server, r):
    r.rpush(L, "a", "b", "c", "d")
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("LPOP", L, "0"), ("RPOP", L, "0")) == []
        assert ev.run(("LPOP", L, "2")) == events(("lpop", L))
        # a count past the length pops the last elements: one event, then del
        assert ev.run(("RPOP", L, "10")) == events(("rpop", L), ("del", L))
        assert ev.run(("LPOP", L, "3")) == []


def test_lmpop(server, r):
    r.rpush(S, "a", "b", "c")
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("LMPOP", "2", "{t}none", S, "RIGHT")) == events(("rpop", S))
        assert ev.run(("LMPOP", "1", S, "LEFT", "COUNT", "5")) == events(("lpop", S), ("del", S))
        assert ev.run(("LMPOP", "2", "{t}none", S, "LEFT")) == []


# ------------------------------------------------------------- moves

def test_lmove_reports_the_push_before_the_pop(server, r):
    r.rpush(S, "a", "b")
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("LMOVE", S, D, "LEFT", "RIGHT")) == events(("rpush", D), ("lpop", S))
        assert ev.run(("RPOPLPUSH", S, D)) == events(("lpush", D), ("rpop", S), ("del", S))
        assert ev.run(("LMOVE", S, D, "LEFT", "LEFT"), ("RPOPLPUSH", S, D)) == []
    assert r.lrange(D, 0, -1) == [b"b", b"a"]


def test_lmove_rotation_on_one_key(server, r):
    r.rpush(L, "a", "b")
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("LMOVE", L, L, "RIGHT", "LEFT")) == events(("lpush", L), ("rpop", L))
        assert ev.run(("RPOPLPUSH", L, L)) == events(("lpush", L), ("rpop", L))
        # a one-element list rotated onto itself is never empty: no del
        r.delete(L)
        r.rpush(L, "x")
        ev.collect()
        assert ev.run(("LMOVE", L, L, "LEFT", "RIGHT")) == events(("rpush", L), ("lpop", L))


def test_lmove_to_wrongtype_reports_nothing(server, r):
    r.rpush(S, "a")
    r.set(D, "x")
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("LMOVE", S, D, "LEFT", "RIGHT"), ("RPOPLPUSH", S, D)) == []
    assert r.lrange(S, 0, -1) == [b"a"]


# ------------------------------------------------------------- classes

def test_keyspace_list_class_only(server, r):
    r.rpush(L, "a")
    with keyspace_events(server, "Kl") as ev:
        assert ev.run(("RPUSH", L, "b"), ("LPOP", L, "5")) == [
            ("__keyspace@0__:" + L, "rpush"), ("__keyspace@0__:" + L, "lpop")]


def test_keyevent_generic_class_only(server, r):
    r.rpush(L, "a", "b")
    with keyspace_events(server, "Eg") as ev:
        assert ev.run(("LPOP", L), ("RPUSH", L, "c"), ("LTRIM", L, "9", "9")) == [
            ("__keyevent@0__:del", L)]


def test_list_events_off_without_l(server, r):
    r.rpush(L, "a")
    with keyspace_events(server, "KEg$") as ev:
        assert ev.run(("RPUSH", L, "b"), ("LSET", L, "0", "z"), ("RPOP", L, "2")) == \
            events(("del", L))


# ------------------------------------------------------------- blocking

def test_blpop_with_data_reports_the_pop(server, r):
    r.rpush(L, "a")
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("BLPOP", L, "0")) == events(("lpop", L), ("del", L))


def test_blpop_served_by_a_push(server, r, connect):
    c = connect()
    with keyspace_events(server, "KEA") as ev:
        block(ev.admin, c, "BLPOP", L, "0")
        ev.admin.call("LPUSH", L, "a")
        assert read_raw(c) == array(bulk(L), bulk("a"))
        assert ev.collect() == events(("lpush", L), ("lpop", L), ("del", L))


def test_brpop_served_leaves_the_rest(server, r, connect):
    c = connect()
    with keyspace_events(server, "KEA") as ev:
        block(ev.admin, c, "BRPOP", "{t}other", L, "0")
        ev.admin.call("RPUSH", L, "a", "b")
        assert read_raw(c) == array(bulk(L), bulk("b"))
        assert ev.collect() == events(("rpush", L), ("rpop", L))
    assert r.lrange(L, 0, -1) == [b"a"]


def test_blmove_served_by_a_push(server, r, connect):
    c = connect()
    with keyspace_events(server, "KEA") as ev:
        block(ev.admin, c, "BLMOVE", S, D, "RIGHT", "LEFT", "0")
        ev.admin.call("RPUSH", S, "a")
        assert read_raw(c) == bulk("a")
        assert ev.collect() == events(("rpush", S), ("lpush", D), ("rpop", S), ("del", S))


def test_brpoplpush_served_by_a_push(server, r, connect):
    c = connect()
    r.rpush(D, "x")
    with keyspace_events(server, "KEA") as ev:
        block(ev.admin, c, "BRPOPLPUSH", S, D, "0")
        ev.admin.call("LPUSH", S, "a", "b")
        assert read_raw(c) == bulk("a")
        assert ev.collect() == events(("lpush", S), ("lpush", D), ("rpop", S))


def test_blmpop_served_by_a_push(server, r, connect):
    c = connect()
    with keyspace_events(server, "KEA") as ev:
        block(ev.admin, c, "BLMPOP", "0", "2", "{t}other", L, "LEFT", "COUNT", "2")
        ev.admin.call("RPUSH", L, "a", "b", "c")
        assert read_raw(c) == array(bulk(L), array(bulk("a"), bulk("b")))
        assert ev.collect() == events(("rpush", L), ("lpop", L))


def test_blpop_served_by_a_move(server, r, connect):
    c = connect()
    r.rpush(S, "a")
    with keyspace_events(server, "KEA") as ev:
        block(ev.admin, c, "BLPOP", L, "0")
        ev.admin.call("LMOVE", S, L, "LEFT", "RIGHT")
        assert read_raw(c) == array(bulk(L), bulk("a"))
        assert ev.collect() == events(("rpush", L), ("lpop", S), ("del", S),
                                      ("lpop", L), ("del", L))


def test_blpop_served_after_exec(server, r, connect):
    c = connect()
    with keyspace_events(server, "KEA") as ev:
        block(ev.admin, c, "BLPOP", L, "0")
        ev.admin.call("MULTI")
        ev.admin.call("RPUSH", L, "a")
        ev.admin.call("RPUSH", L, "b")
        ev.admin.call("EXEC")
        assert read_raw(c) == array(bulk(L), bulk("a"))
        assert ev.collect() == events(("rpush", L), ("rpush", L), ("lpop", L))
