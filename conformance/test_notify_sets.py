"""Keyspace notifications of the set commands, as Redis 7.0.15 sends them:
"sadd" and "srem" when members were added or removed (then the generic
"del" when SREM emptied the set), "spop" (then "del"), SMOVE's "srem" on
the source (and its "del") before "sadd" on the destination (none when the
destination had the member; nothing at all when source and destination are
one set), and the STORE forms' "sinterstore"/"sunionstore"/"sdiffstore",
or "del" when an empty result deleted an existing destination. SINTERCARD
and a command that changes nothing report nothing.

Every key is under the hashtag {t}: one shard holds them all, so the events
of a test arrive in order and the marker write fences them."""

from notify_helpers import events, keyspace_events



S, D = "{t}s", "{t}d"


def test_sadd(server, r):
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("SADD", S, "a", "b")) == events(("sadd", S))
        assert ev.run(("SADD", S, "a", "b")) == []  # all there already
        assert ev.run(("SADD", S, "a", "c")) == events(("sadd", S))


def test_srem(server, r):
    r.sadd(S, "a", "b", "c")
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("SREM", S, "nope")) == []
        assert ev.run(("SREM", S, "a", "nope")) == events(("srem", S))
        assert ev.run(("SREM", S, "b", "c", "d")) == events(("srem", S), ("del", S))
        assert ev.run(("SREM", S, "a")) == []


def test_spop_single(server, r):
    r.sadd(S, "a", "b")
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("SPOP", S)) == events(("spop", S))
        assert ev.run(("SPOP", S)) == events(("spop", S), ("del", S))
        assert ev.run(("SPOP", S)) == []


def test_spop_with_count(server, r):
    r.sadd(S, *[str(i) for i in range(10)])
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("SPOP", S, "0")) == []
        assert ev.run(("SPOP", S, "2")) == events(("spop", S))
        # most of it: the few members left are kept in a new set
        assert ev.run(("SPOP", S, "7")) == events(("spop", S))
        assert ev.run(("SPOP", S, "5")) == events(("spop", S), ("del", S))
        assert ev.run(("SPOP", S, "5")) == []


def test_spop_count_equal_to_size(server, r):
    r.sadd(S, "a", "b", "c")
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("SPOP", S, "3")) == events(("spop", S), ("del", S))


def test_smove(server, r):
    r.sadd(S, "a", "b", "c")
    r.sadd(D, "b")
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("SMOVE", S, D, "a")) == events(("srem", S), ("sadd", D))
        # the destination already has it: only the source changes
        assert ev.run(("SMOVE", S, D, "b")) == events(("srem", S))
        assert ev.run(("SMOVE", S, "{t}new", "c")) == \
            events(("srem", S), ("del", S), ("sadd", "{t}new"))
        assert ev.run(("SMOVE", S, D, "c"), ("SMOVE", D, S, "nope")) == []


def test_smove_onto_itself_reports_nothing(server, r):
    r.sadd(S, "a")
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("SMOVE", S, S, "a"), ("SMOVE", S, S, "b")) == []


def test_smove_wrongtype_reports_nothing(server, r):
    r.sadd(S, "a")
    r.set("{t}str", "x")
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("SMOVE", S, "{t}str", "a")) == []
    assert r.smembers(S) == {b"a"}


def test_store_forms(server, r):
    r.sadd("{t}a", "1", "2")
    r.sadd("{t}b", "2", "3")
    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("SINTERSTORE", D, "{t}a", "{t}b")) == events(("sinterstore", D))
        assert ev.run(("SUNIONSTORE", D, "{t}a", "{t}b")) == events(("sunionstore", D))
        assert ev.run(("SDIFFSTORE", D, "{t}a", "{t}b")) == events(("sdiffstore", D))
        assert ev.run(("SINTERCARD", "2", "{t}a", "{t}b"), ("SINTER", "{t}a", "{t}b")) == []


def test_store_of_an_empty_result(server, r):
    r.sadd("{t}a", "1")
    r.set("{t}str", "x")
    with keyspace_events(server, "KEA") as ev:
        # no destination: nothing changes
        assert ev.run(("SINTERSTORE", D, "{t}a", "{t}none"),
                      ("SUNIONSTORE", D, "{t}none", "{t}none2"),
                      ("SDIFFSTORE", D, "{t}a", "{t}a")) == []
        assert ev.run(("SUNIONSTORE", D, "{t}a")) == events(("sunionstore", D))
        # an existing destination is deleted, whatever it held
        assert ev.run(("SDIFFSTORE", D, "{t}a", "{t}a")) == events(("del", D))
        assert ev.run(("SINTERSTORE", "{t}str", "{t}a", "{t}none")) == events(("del", "{t}str"))


def test_keyspace_set_class_only(server, r):
    with keyspace_events(server, "Ks") as ev:
        assert ev.run(("SADD", S, "a"), ("SREM", S, "a")) == [
            ("__keyspace@0__:" + S, "sadd"), ("__keyspace@0__:" + S, "srem")]


def test_keyevent_generic_class_only(server, r):
    r.sadd(S, "a")
    with keyspace_events(server, "Eg") as ev:
        assert ev.run(("SADD", D, "x"), ("SMOVE", S, D, "a"), ("SPOP", D, "5")) == [
            ("__keyevent@0__:del", S), ("__keyevent@0__:del", D)]
