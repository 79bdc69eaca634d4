"""Keyspace notifications of the hash commands, as Redis 7.0.15 sends them:
"hset" for HSET/HMSET (even when every value was already there) and for an
HSETNX that set, "hincrby", "hincrbyfloat", "hdel" then the generic "del"
when HDEL emptied the hash; a command that changes nothing (HSETNX on an
existing field, HDEL of missing fields, an error) reports nothing.

Every key is under the hashtag {t}: one shard holds them all, so the events
of a test arrive in order and the marker write fences them."""

from notify_helpers import events, keyspace_events



H = "{t}h"


def test_hset_and_hmset(server, r):
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("HSET", H, "a", "1", "b", "2")) == events(("hset", H))
        # nothing new, nothing changed: still reported
        assert ev.run(("HSET", H, "a", "1")) == events(("hset", H))
        assert ev.run(("HMSET", H, "a", "1", "c", "3")) == events(("hset", H))


def test_hsetnx(server, r):
    r.hset(H, "a", "1")
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("HSETNX", H, "a", "2")) == []
        assert ev.run(("HSETNX", H, "b", "2")) == events(("hset", H))
        assert ev.run(("HSETNX", "{t}new", "f", "v")) == events(("hset", "{t}new"))


def test_hincrby_and_hincrbyfloat(server, r):
    r.hset(H, "s", "x")
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("HINCRBY", H, "n", "5")) == events(("hincrby", H))
        assert ev.run(("HINCRBY", H, "n", "-5")) == events(("hincrby", H))
        assert ev.run(("HINCRBYFLOAT", H, "f", "1.5")) == events(("hincrbyfloat", H))
        assert ev.run(("HINCRBYFLOAT", "{t}new", "f", "0")) == \
            events(("hincrbyfloat", "{t}new"))
        # errors change nothing
        assert ev.run(("HINCRBY", H, "s", "1"), ("HINCRBYFLOAT", H, "s", "1"),
                      ("HINCRBY", H, "n", "x")) == []
    assert r.hget(H, "n") == b"0"


def test_hincrby_overflow_reports_nothing(server, r):
    r.hset(H, "n", str(2 ** 63 - 1))
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("HINCRBY", H, "n", "1")) == []


def test_hdel(server, r):
    r.hset(H, mapping={"a": "1", "b": "2", "c": "3"})
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("HDEL", H, "nope")) == []
        assert ev.run(("HDEL", H, "a", "nope")) == events(("hdel", H))
        assert ev.run(("HDEL", H, "b", "c", "d")) == events(("hdel", H), ("del", H))
        assert ev.run(("HDEL", H, "b")) == []
    assert r.exists(H) == 0


def test_wrongtype_reports_nothing(server, r):
    r.set("{t}str", "x")
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("HSET", "{t}str", "a", "1"), ("HSETNX", "{t}str", "a", "1"),
                      ("HINCRBY", "{t}str", "a", "1"), ("HDEL", "{t}str", "a")) == []


def test_keyspace_hash_class_only(server, r):
    with keyspace_events(server, "Kh") as ev:
        assert ev.run(("HSET", H, "a", "1"), ("HINCRBY", H, "n", "1"),
                      ("HDEL", H, "a", "n")) == [
            ("__keyspace@0__:" + H, "hset"), ("__keyspace@0__:" + H, "hincrby"),
            ("__keyspace@0__:" + H, "hdel")]


def test_keyevent_generic_class_only(server, r):
    with keyspace_events(server, "Eg") as ev:
        assert ev.run(("HSET", H, "a", "1"), ("HDEL", H, "a")) == [("__keyevent@0__:del", H)]


def test_hash_events_off_without_h(server, r):
    with keyspace_events(server, "KE$") as ev:
        assert ev.run(("HSET", H, "a", "1"), ("HINCRBYFLOAT", H, "f", "2"),
                      ("HDEL", H, "a", "f")) == []
