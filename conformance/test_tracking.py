"""Client-side caching: CLIENT TRACKING (REDIRECT, BCAST, PREFIX, OPTIN,
OPTOUT, NOLOOP), CLIENT CACHING, GETREDIR, TRACKINGINFO, the invalidation
messages (RESP3 pushes, RESP2 redirection to a __redis__:invalidate
subscriber, the null after FLUSHALL/FLUSHDB, tracking-redir-broken),
tracking-table-max-keys and the INFO fields. Bytes are Redis 7.0.15's.
On a sharded kevy, keys without a hashtag live on every shard and the
tracking client, the writer and the redirection target on different ones."""

import time

from blocking_helpers import silent
from helpers import (NOT_INT, OK, SYNTAX, arity_err, array, bulk, err, info_fields, integer,
                     spread_keys, wait_until)


def inval(*keys):
    """The RESP3 invalidation push for keys."""
    return b">2\r\n$10\r\ninvalidate\r\n" + array(*[bulk(k) for k in keys])


INVAL_NULL3 = b">2\r\n$10\r\ninvalidate\r\n_\r\n"


def message(payload):
    """The RESP2 Pub/Sub form, on __redis__:invalidate."""
    return b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n" + payload


def broken(rid):
    return b">2\r\n$21\r\ntracking-redir-broken\r\n:%d\r\n" % rid


def overlap_existing(new, old):
    return err("ERR Prefix '%s' overlaps with an existing prefix '%s'. Prefixes for a single "
               "client must not overlap." % (new, old))


def overlap_provided(a, b):
    return err("ERR Prefix '%s' overlaps with another provided prefix '%s'. Prefixes for a "
               "single client must not overlap." % (a, b))


NOT_EXIST = err("ERR The client ID you want redirect to does not exist")
CACHING_ERR = err("ERR CLIENT CACHING can be called only when the client is in tracking mode "
                  "with OPTIN or OPTOUT mode enabled")


def read_raw(c):
    return c.read()[1]


def read_pushes(c, n):
    return [read_raw(c) for _ in range(n)]


def client_id(c):
    return c.value("CLIENT", "ID")


def list_field(admin, cid, field):
    for line in admin.value("CLIENT", "LIST").decode().splitlines():
        parts = dict(p.split("=", 1) for p in line.split(" ") if "=" in p)
        if parts["id"] == str(cid):
            return parts[field]
    return None


# ------------------------------------------------------------- arguments


def test_tracking_argument_errors(raw):
    cases = [
        (("CLIENT", "TRACKING"), arity_err("client|tracking")),
        (("CLIENT", "TRACKING", "maybe"), SYNTAX),
        (("CLIENT", "TRACKING", "on", "foo"), SYNTAX),
        (("CLIENT", "TRACKING", "on", "REDIRECT"), SYNTAX),
        (("CLIENT", "TRACKING", "on", "PREFIX"), SYNTAX),
        (("CLIENT", "TRACKING", "on", "REDIRECT", "x"), NOT_INT),
        (("CLIENT", "TRACKING", "on", "REDIRECT", "0"), NOT_EXIST),
        (("CLIENT", "TRACKING", "on", "REDIRECT", "-1"), NOT_EXIST),
        (("CLIENT", "TRACKING", "on", "REDIRECT", "999999"), NOT_EXIST),
        (("CLIENT", "TRACKING", "off", "REDIRECT", "999999"), NOT_EXIST),
        # The target is checked where REDIRECT stands: a later error shows
        # only if it exists; an earlier one first.
        (("CLIENT", "TRACKING", "on", "REDIRECT", "999999", "bogus"), NOT_EXIST),
        (("CLIENT", "TRACKING", "on", "bogus", "REDIRECT", "999999"), SYNTAX),
        (("CLIENT", "TRACKING", "maybe", "REDIRECT", "999999"), NOT_EXIST),
        (("CLIENT", "TRACKING", "on", "PREFIX", "a"),
         err("ERR PREFIX option requires BCAST mode to be enabled")),
        (("CLIENT", "TRACKING", "on", "BCAST", "OPTIN"),
         err("ERR OPTIN and OPTOUT are not compatible with BCAST")),
        (("CLIENT", "TRACKING", "on", "optin", "bcast", "prefix", "a"),
         err("ERR OPTIN and OPTOUT are not compatible with BCAST")),
        (("CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT"),
         err("ERR You can't specify both OPTIN mode and OPTOUT mode")),
        (("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "foo", "PREFIX", "foob"),
         overlap_provided("foo", "foob")),
        (("CLIENT", "TRACKING", "off", "BCAST"), OK),
        (("CLIENT", "CACHING"), arity_err("client|caching")),
        (("CLIENT", "CACHING", "yes"), CACHING_ERR),
        (("CLIENT", "CACHING", "maybe"), CACHING_ERR),
        (("CLIENT", "GETREDIR", "x"), arity_err("client|getredir")),
        (("CLIENT", "TRACKINGINFO", "x"), arity_err("client|trackinginfo")),
        (("CLIENT", "GETREDIR"), integer(-1)),
    ]
    for args, want in cases:
        assert raw.raw(*args) == want, args


def test_redirect_to_a_second_client_refused(connect):
    c = connect()
    me = client_id(c)
    assert c.raw("CLIENT", "TRACKING", "on", "REDIRECT", str(me), "REDIRECT", "6") == err(
        "ERR A client can only redirect to a single other client")
    assert c.raw("CLIENT", "TRACKING", "on", "REDIRECT", str(me), "bogus") == SYNTAX


def test_mode_switch_errors(connect):
    c = connect(3)
    assert c.raw("CLIENT", "TRACKING", "on", "OPTIN") == OK
    assert c.raw("CLIENT", "CACHING", "no") == err(
        "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
    assert c.raw("CLIENT", "TRACKING", "on", "OPTOUT") == err(
        "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and "
        "then re-enabling it with a different mode.")
    assert c.raw("CLIENT", "TRACKING", "on", "BCAST") == err(
        "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and "
        "then re-enabling it with a different mode.")
    assert c.raw("CLIENT", "TRACKING", "on", "OPTIN", "OPTIN") == OK
    d = connect(3)
    assert d.raw("CLIENT", "TRACKING", "on", "OPTOUT") == OK
    assert d.raw("CLIENT", "CACHING", "yes") == err(
        "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
    assert d.raw("CLIENT", "CACHING", "maybe") == SYNTAX


def test_prefix_overlaps(connect):
    c = connect(3)
    assert c.raw("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "foo", "PREFIX", "bar") == OK
    # Redis walks the client's prefixes in order: "bar" does not overlap.
    assert c.raw("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "foob") == overlap_existing(
        "foob", "foo")
    assert c.raw("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "fo") == overlap_existing(
        "fo", "foo")
    assert c.raw("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "x", "PREFIX", "fo") == \
        overlap_existing("fo", "foo")
    assert c.raw("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "foo") == overlap_existing(
        "foo", "foo")
    assert c.raw("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "zz") == OK
    info = c.raw("CLIENT", "TRACKINGINFO")
    assert info == (b"%3\r\n$5\r\nflags\r\n~2\r\n$2\r\non\r\n$5\r\nbcast\r\n$8\r\nredirect\r\n:0"
                    b"\r\n$8\r\nprefixes\r\n*3\r\n$3\r\nbar\r\n$3\r\nfoo\r\n$2\r\nzz\r\n")
    # BCAST without PREFIX adds the empty prefix, which overlaps everything.
    assert c.raw("CLIENT", "TRACKING", "on", "BCAST") == OK
    assert c.raw("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "q") == overlap_existing("q", "")


def test_prefix_overlap_past_the_first_replies_twice(connect):
    # Redis 7.0's checkPrefixCollisionsOrReply returns the index of the
    # prefix as success: the error is followed by the OK, tracking is on.
    c = connect()
    c.send("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a", "PREFIX", "b", "PREFIX", "bc")
    assert read_raw(c) == overlap_provided("b", "bc")
    assert read_raw(c) == OK
    assert c.raw("CLIENT", "TRACKINGINFO") == (
        b"*6\r\n$5\r\nflags\r\n*2\r\n$2\r\non\r\n$5\r\nbcast\r\n$8\r\nredirect\r\n:0\r\n"
        b"$8\r\nprefixes\r\n*3\r\n$1\r\na\r\n$1\r\nb\r\n$2\r\nbc\r\n")


# ------------------------------------------------------------ TRACKINGINFO


def test_trackinginfo_off_resp2_and_resp3(connect):
    assert connect(2).raw("CLIENT", "TRACKINGINFO") == (
        b"*6\r\n$5\r\nflags\r\n*1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n")
    assert connect(3).raw("CLIENT", "TRACKINGINFO") == (
        b"%3\r\n$5\r\nflags\r\n~1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n")


def test_trackinginfo_flags(connect):
    c = connect(3)
    assert c.raw("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "foo", "PREFIX", "bar",
                 "NOLOOP") == OK
    assert c.raw("CLIENT", "TRACKINGINFO") == (
        b"%3\r\n$5\r\nflags\r\n~3\r\n$2\r\non\r\n$5\r\nbcast\r\n$6\r\nnoloop\r\n$8\r\nredirect"
        b"\r\n:0\r\n$8\r\nprefixes\r\n*2\r\n$3\r\nbar\r\n$3\r\nfoo\r\n")
    assert c.raw("CLIENT", "TRACKING", "off") == OK
    assert c.raw("CLIENT", "TRACKINGINFO") == (
        b"%3\r\n$5\r\nflags\r\n~1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n")
    assert c.raw("CLIENT", "TRACKING", "on", "OPTIN") == OK
    assert c.raw("CLIENT", "CACHING", "yes") == OK
    assert c.raw("CLIENT", "TRACKINGINFO") == (
        b"%3\r\n$5\r\nflags\r\n~3\r\n$2\r\non\r\n$5\r\noptin\r\n$11\r\ncaching-yes\r\n$8\r\n"
        b"redirect\r\n:0\r\n$8\r\nprefixes\r\n*0\r\n")
    assert c.raw("CLIENT", "GETREDIR") == integer(0)
    d = connect(3)
    assert d.raw("CLIENT", "TRACKING", "on", "OPTOUT") == OK
    assert d.raw("CLIENT", "CACHING", "no") == OK
    assert d.raw("CLIENT", "TRACKINGINFO") == (
        b"%3\r\n$5\r\nflags\r\n~3\r\n$2\r\non\r\n$6\r\noptout\r\n$10\r\ncaching-no\r\n$8\r\n"
        b"redirect\r\n:0\r\n$8\r\nprefixes\r\n*0\r\n")


def test_client_list_flags_and_redir(connect):
    admin = connect()
    t = connect(3)
    b = connect(3)
    target = connect()
    tid = client_id(target)
    assert t.raw("CLIENT", "TRACKING", "on", "REDIRECT", str(tid)) == OK
    assert b.raw("CLIENT", "TRACKING", "on", "BCAST") == OK
    assert list_field(admin, client_id(t), "flags") == "t"
    assert list_field(admin, client_id(t), "redir") == str(tid)
    assert list_field(admin, client_id(b), "flags") == "tB"
    assert list_field(admin, client_id(b), "redir") == "0"
    assert list_field(admin, tid, "redir") == "-1"
    assert t.raw("CLIENT", "INFO").count(b" flags=t ") == 1


# ------------------------------------------------------------ invalidation


def test_resp3_push_on_write(connect):
    t = connect(3)
    w = connect()
    assert t.raw("CLIENT", "TRACKING", "on") == OK
    assert t.raw("GET", "k") == b"_\r\n"
    assert w.raw("SET", "k", "1") == OK
    assert read_raw(t) == inval("k")
    # The key left the table: a second write says nothing.
    assert w.raw("SET", "k", "2") == OK
    assert silent(t)


def test_own_write_push_follows_reply(raw3):
    assert raw3.raw("CLIENT", "TRACKING", "on") == OK
    assert raw3.raw("GET", "k") == b"_\r\n"
    raw3.send("SET", "k", "1")
    assert read_raw(raw3) == OK
    assert read_raw(raw3) == inval("k")


def test_keys_on_every_shard(connect):
    keys = spread_keys(40, "trk:")
    t = connect(3)
    w = connect()
    assert t.raw("CLIENT", "TRACKING", "on") == OK
    t.value("MGET", *keys[:20])
    for k in keys[20:]:
        t.value("GET", k)
    args = []
    for k in keys:
        args += [k, "v"]
    assert w.raw("MSET", *args) == OK
    got = read_pushes(t, len(keys))
    assert sorted(got) == sorted(inval(k) for k in keys)
    assert silent(t)


def test_multi_key_read_commands_are_tracked(connect):
    t = connect(3)
    w = connect()
    assert t.raw("CLIENT", "TRACKING", "on") == OK
    t.value("EXISTS", "ex1")
    t.value("TTL", "tt")
    t.value("TYPE", "ty")
    t.value("STRLEN", "s1")
    # Not read-only: not remembered.
    t.value("SET", "g", "1", "GET")
    t.value("INCR", "i")
    assert w.raw("MSET", "g", "2", "i", "2", "ex1", "1", "tt", "1", "ty", "1", "s1", "1") == OK
    got = read_pushes(t, 4)
    assert sorted(got) == sorted([inval("ex1"), inval("tt"), inval("ty"), inval("s1")])
    assert silent(t)


def test_expiry_invalidates(raw3):
    assert raw3.raw("CLIENT", "TRACKING", "on") == OK
    assert raw3.raw("SET", "ex", "1", "PX", "30") == OK
    assert raw3.raw("GET", "ex") == bulk("1")
    assert read_raw(raw3) == inval("ex")


def test_resp2_redirect_to_subscriber(connect):
    s = connect()
    sid = client_id(s)
    t = connect()
    w = connect()
    assert t.raw("CLIENT", "TRACKING", "on", "REDIRECT", str(sid)) == OK
    assert t.raw("CLIENT", "GETREDIR") == integer(sid)
    # Not in Pub/Sub mode: a RESP2 target gets nothing.
    t.value("GET", "x")
    assert w.raw("SET", "x", "1") == OK
    assert silent(s)
    s.send("SUBSCRIBE", "__redis__:invalidate")
    assert read_raw(s) == b"*3\r\n$9\r\nsubscribe\r\n$20\r\n__redis__:invalidate\r\n:1\r\n"
    t.value("GET", "x")
    assert w.raw("SET", "x", "2") == OK
    assert read_raw(s) == message(array(bulk("x")))
    assert silent(t)
    # FLUSHALL: the null in the tracking client's protocol.
    assert w.raw("FLUSHALL") == OK
    assert read_raw(s) == message(b"$-1\r\n")


def test_redirect_to_resp3_client(connect):
    s = connect(3)
    sid = client_id(s)
    t = connect(3)
    w = connect()
    assert t.raw("CLIENT", "TRACKING", "on", "REDIRECT", str(sid)) == OK
    assert t.raw("GET", "y") == b"_\r\n"
    assert w.raw("SET", "y", "1") == OK
    assert read_raw(s) == inval("y")
    assert w.raw("FLUSHALL") == OK
    assert read_raw(s) == INVAL_NULL3
    assert silent(t)


def test_redirect_broken(connect):
    admin = connect()
    s = connect(3)
    sid = client_id(s)
    t = connect(3)
    tid = client_id(t)
    w = connect()
    assert t.raw("CLIENT", "TRACKING", "on", "REDIRECT", str(sid)) == OK
    assert t.raw("GET", "y") == b"_\r\n"
    s.close()
    assert wait_until(lambda: list_field(admin, sid, "id") is None)
    assert w.raw("SET", "y", "2") == OK
    assert read_raw(t) == broken(sid)
    assert wait_until(lambda: list_field(admin, tid, "flags") == "tR")
    assert t.raw("CLIENT", "TRACKINGINFO") == (
        b"%%3\r\n$5\r\nflags\r\n~2\r\n$2\r\non\r\n$15\r\nbroken_redirect\r\n$8\r\nredirect"
        b"\r\n:%d\r\n$8\r\nprefixes\r\n*0\r\n" % sid)
    assert t.raw("CLIENT", "GETREDIR") == integer(sid)
    # Every message that cannot be delivered says so again.
    assert w.raw("FLUSHALL") == OK
    assert read_raw(t) == broken(sid)


def test_flush_sends_null(connect):
    t = connect(3)
    b = connect(3)
    w = connect()
    assert t.raw("CLIENT", "TRACKING", "on") == OK
    assert b.raw("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "zz") == OK
    t.value("GET", "k")
    assert w.raw("FLUSHALL") == OK
    assert read_raw(t) == INVAL_NULL3
    assert read_raw(b) == INVAL_NULL3
    assert w.raw("FLUSHDB") == OK
    assert read_raw(t) == INVAL_NULL3
    assert read_raw(b) == INVAL_NULL3
    # The table went with the flush: the key is no longer tracked.
    assert w.raw("SET", "k", "1") == OK
    assert silent(t)
    t.send("FLUSHDB")
    assert read_raw(t) == OK
    assert read_raw(t) == INVAL_NULL3


def test_resp2_tracker_without_redirect_gets_nothing(connect):
    t = connect()
    w = connect()
    assert t.raw("CLIENT", "TRACKING", "on") == OK
    assert t.raw("GET", "k") == b"$-1\r\n"
    assert w.raw("SET", "k", "1") == OK
    assert w.raw("FLUSHALL") == OK
    assert silent(t)


# ------------------------------------------------------- OPTIN / OPTOUT


def test_optin(connect):
    o = connect(3)
    w = connect()
    assert o.raw("CLIENT", "TRACKING", "on", "OPTIN") == OK
    o.value("GET", "k1")
    assert o.raw("CLIENT", "CACHING", "yes") == OK
    o.value("CLIENT", "ID")  # a CLIENT command keeps CACHING for the next one
    o.value("GET", "k2")
    o.value("GET", "k3")
    assert w.raw("MSET", "k1", "1", "k2", "2", "k3", "3") == OK
    assert read_raw(o) == inval("k2")
    assert silent(o)
    # Inside MULTI it lasts until EXEC.
    assert o.raw("CLIENT", "CACHING", "yes") == OK
    assert o.raw("MULTI") == OK
    assert o.raw("GET", "k1") == b"+QUEUED\r\n"
    assert o.raw("GET", "k2") == b"+QUEUED\r\n"
    o.value("EXEC")
    o.value("GET", "k3")
    assert w.raw("MSET", "k1", "1", "k2", "2", "k3", "3") == OK
    assert sorted(read_pushes(o, 2)) == sorted([inval("k1"), inval("k2")])
    assert silent(o)


def test_optout(connect):
    p = connect(3)
    w = connect()
    assert p.raw("CLIENT", "TRACKING", "on", "OPTOUT") == OK
    p.value("GET", "k1")
    assert p.raw("CLIENT", "CACHING", "no") == OK
    p.value("GET", "k2")
    p.value("GET", "k3")
    assert w.raw("MSET", "k1", "1", "k2", "2", "k3", "3") == OK
    assert sorted(read_pushes(p, 2)) == sorted([inval("k1"), inval("k3")])
    assert silent(p)


def test_noloop(connect):
    q = connect(3)
    w = connect()
    assert q.raw("CLIENT", "TRACKING", "on", "NOLOOP") == OK
    q.value("GET", "z")
    assert q.raw("SET", "z", "1") == OK
    assert silent(q)
    q.value("GET", "z")
    assert w.raw("SET", "z", "2") == OK
    assert read_raw(q) == inval("z")


def test_off_then_on_keeps_remembered_keys(connect):
    # Redis forgets a client's keys lazily: they still count once it is
    # tracking again.
    q = connect(3)
    w = connect()
    assert q.raw("CLIENT", "TRACKING", "on") == OK
    q.value("GET", "zz")
    assert q.raw("CLIENT", "TRACKING", "off") == OK
    assert q.raw("CLIENT", "TRACKING", "on") == OK
    assert w.raw("SET", "zz", "1") == OK
    assert read_raw(q) == inval("zz")


def test_tracking_off_stops_messages(connect):
    q = connect(3)
    w = connect()
    assert q.raw("CLIENT", "TRACKING", "on") == OK
    q.value("GET", "k")
    assert q.raw("CLIENT", "TRACKING", "off") == OK
    assert w.raw("SET", "k", "1") == OK
    assert silent(q)


# -------------------------------------------------------------- BCAST


def test_bcast_groups_keys_per_prefix(connect):
    # Keys in one slot: on kevy they are written by one shard, in one turn.
    a = connect(3)
    n = connect(3)
    e = connect(3)
    w = connect()
    assert a.raw("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "{t}foo", "PREFIX", "{t}bar") == OK
    assert n.raw("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "{t}foo", "NOLOOP") == OK
    assert e.raw("CLIENT", "TRACKING", "on", "BCAST") == OK
    assert w.raw("SET", "{t}foo1", "x") == OK
    for c in (a, n, e):
        assert read_raw(c) == inval("{t}foo1")
    assert w.raw("MSET", "{t}foo2", "x", "{t}bar1", "y", "{t}foo0", "z", "{t}baz", "q") == OK
    assert read_raw(a) == inval("{t}bar1")
    assert read_raw(a) == inval("{t}foo0", "{t}foo2")
    assert read_raw(n) == inval("{t}foo0", "{t}foo2")
    assert read_raw(e) == inval("{t}bar1", "{t}baz", "{t}foo0", "{t}foo2")
    # NOLOOP: its own writes are left out.
    assert n.raw("SET", "{t}foo5", "1") == OK
    assert read_raw(a) == inval("{t}foo5")
    assert silent(n)


def test_bcast_across_shards(connect):
    keys = spread_keys(30, "bc:")
    b = connect(3)
    w = connect()
    assert b.raw("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "bc:") == OK
    for k in keys:
        assert w.raw("SET", k, "1") == OK
    seen = []
    while len(seen) < len(keys):
        push = b.read()[0]
        assert push[0] == b"invalidate"
        seen += push[1]
    assert sorted(seen) == sorted(k.encode() for k in keys)
    assert w.raw("SET", "other", "1") == OK
    assert silent(b)


def test_bcast_resp2_redirect(connect):
    s = connect()
    sid = client_id(s)
    s.send("SUBSCRIBE", "__redis__:invalidate")
    read_raw(s)
    b = connect()
    w = connect()
    assert b.raw("CLIENT", "TRACKING", "on", "BCAST", "REDIRECT", str(sid), "PREFIX", "p:") == OK
    assert w.raw("SET", "p:1", "1") == OK
    assert read_raw(s) == message(array(bulk("p:1")))


def test_bcast_client_gone_leaves_no_prefix(connect):
    admin = connect()
    b = connect(3)
    assert b.raw("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a", "PREFIX", "b") == OK
    assert wait_until(lambda: info_fields(admin, "stats")["tracking_total_prefixes"] == "2")
    b.close()
    assert wait_until(lambda: info_fields(admin, "stats")["tracking_total_prefixes"] == "0")
    assert wait_until(lambda: info_fields(admin, "clients")["tracking_clients"] == "0")


# --------------------------------------------------- clients that go away


def test_tracking_client_disconnects(connect):
    admin = connect()
    t = connect(3)
    w = connect()
    assert t.raw("CLIENT", "TRACKING", "on") == OK
    assert wait_until(lambda: info_fields(admin, "clients")["tracking_clients"] == "1")
    t.value("MGET", *spread_keys(10, "gone:"))
    t.close()
    assert wait_until(lambda: info_fields(admin, "clients")["tracking_clients"] == "0")
    for k in spread_keys(10, "gone:"):
        assert w.raw("SET", k, "1") == OK
    assert w.raw("PING") == b"+PONG\r\n"


# ------------------------------------------------------- table and INFO


def test_info_fields(connect):
    admin = connect()
    t = connect(3)
    u = connect(3)
    b = connect(3)
    assert t.raw("CLIENT", "TRACKING", "on") == OK
    assert u.raw("CLIENT", "TRACKING", "on") == OK
    assert b.raw("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "x", "PREFIX", "y") == OK
    t.value("MGET", "k1", "k2", "k3")
    u.value("GET", "k1")

    def fields():
        st = info_fields(admin, "stats")
        return (info_fields(admin, "clients")["tracking_clients"], st["tracking_total_keys"],
                st["tracking_total_items"], st["tracking_total_prefixes"])

    assert wait_until(lambda: fields() == ("3", "3", "4", "2")), fields()
    assert admin.raw("SET", "k1", "v") == OK
    assert wait_until(lambda: fields() == ("3", "2", "2", "2")), fields()


def test_tracking_table_max_keys_evicts(connect):
    admin = connect()
    t = connect(3)
    old = admin.value("CONFIG", "GET", "tracking-table-max-keys")[1]
    try:
        assert admin.raw("CONFIG", "SET", "tracking-table-max-keys", "1") == OK
        assert t.raw("CLIENT", "TRACKING", "on") == OK
        assert t.raw("GET", "a") == b"_\r\n"
        assert t.raw("GET", "b") == b"_\r\n"
        t.send("PING")
        got = []
        while True:
            v, r = t.read()
            if r == b"+PONG\r\n":
                continue
            got.append(r)
            break
        assert got[0] in (inval("a"), inval("b"))
        assert wait_until(lambda: int(info_fields(admin, "stats")["tracking_total_keys"]) <= 1)
    finally:
        assert admin.raw("CONFIG", "SET", "tracking-table-max-keys", old) == OK
        time.sleep(0.2)  # kevy's shards pick the limit up at their next tick


def test_read_over_several_shards_is_tracked(connect):
    # SINTER over keys of every shard: a coordination on a sharded kevy.
    keys = spread_keys(6, "si:")
    t = connect(3)
    w = connect()
    assert t.raw("CLIENT", "TRACKING", "on") == OK
    assert t.raw("SINTER", *keys) == b"~0\r\n"
    for k in keys:
        assert w.raw("SADD", k, "m") == integer(1)
    assert sorted(read_pushes(t, len(keys))) == sorted(inval(k) for k in keys)
    assert silent(t)


def test_reset_turns_tracking_off(connect):
    admin = connect()
    t = connect(3)
    w = connect()
    assert t.raw("CLIENT", "TRACKING", "on") == OK
    t.value("GET", "k")
    assert t.raw("RESET") == b"+RESET\r\n"
    assert t.raw("CLIENT", "TRACKINGINFO") == (
        b"*6\r\n$5\r\nflags\r\n*1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n")
    assert t.raw("HELLO", "3")[:1] == b"%"
    t.value("GET", "k2")
    assert w.raw("MSET", "k", "1", "k2", "2") == OK
    assert silent(t)
    assert wait_until(lambda: info_fields(admin, "clients")["tracking_clients"] == "0")
