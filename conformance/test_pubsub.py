"""Pub/Sub: SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and their UNSUBSCRIBEs,
PUBLISH, SPUBLISH, PUBSUB, the RESP2 subscribed context and RESP3 pushes.
Replies are Redis 7.0.15's bytes. Ordering across shards, counts and slow
subscribers are in test_pubsub_shards.py."""

import pytest

from helpers import NIL, NULL3, OK, arity_err, array, bulk, err, integer


def frame(kind, *items, proto=2):
    """A subscription reply or message: *n (RESP2) or >n (RESP3)."""
    head = b"*" if proto == 2 else b">"
    body = b"".join(x if isinstance(x, bytes) and x[:1] in b":$_" and x.endswith(b"\r\n")
                    else bulk(x) for x in items)
    return head + b"%d\r\n" % (len(items) + 1) + bulk(kind) + body


def sub_reply(kind, name, count, proto=2):
    return frame(kind, name, integer(count), proto=proto)


def read_raw(c, n=1):
    return b"".join(c.read()[1] for _ in range(n))


CONTEXT_ERR = ("ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / "
               "QUIT / RESET are allowed in this context")


# ------------------------------------------------------------ subscribing


def test_subscribe_replies_count_each_channel(raw):
    raw.send("SUBSCRIBE", "a", "b", "a")
    assert read_raw(raw, 3) == (sub_reply("subscribe", "a", 1) + sub_reply("subscribe", "b", 2)
                                + sub_reply("subscribe", "a", 2))


def test_psubscribe_counts_with_channels(raw):
    raw.send("SUBSCRIBE", "a")
    raw.send("PSUBSCRIBE", "p*", "q*")
    assert read_raw(raw, 3) == (sub_reply("subscribe", "a", 1) + sub_reply("psubscribe", "p*", 2)
                                + sub_reply("psubscribe", "q*", 3))


def test_ssubscribe_counts_apart(raw):
    raw.send("SUBSCRIBE", "a")
    raw.send("SSUBSCRIBE", "x", "{a}y", "x")
    assert read_raw(raw, 4) == (sub_reply("subscribe", "a", 1) + sub_reply("ssubscribe", "x", 1)
                                + sub_reply("ssubscribe", "{a}y", 2)
                                + sub_reply("ssubscribe", "x", 2))


def test_unsubscribe_named_and_unknown(raw):
    raw.send("SUBSCRIBE", "a", "b")
    read_raw(raw, 2)
    raw.send("UNSUBSCRIBE", "zz", "a")
    assert read_raw(raw, 2) == sub_reply("unsubscribe", "zz", 2) + sub_reply("unsubscribe", "a", 1)


@pytest.mark.parametrize("cmd", ["UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE"])
def test_unsubscribe_all_when_none(connect, cmd):
    c2, c3 = connect(2), connect(3)
    assert c2.raw(cmd) == frame(cmd.lower(), NIL, integer(0))
    assert c3.raw(cmd) == frame(cmd.lower(), NULL3, integer(0), proto=3)


def test_unsubscribe_all_lists_every_channel(raw):
    raw.send("SUBSCRIBE", "a", "b", "c")
    raw.send("PSUBSCRIBE", "p*")
    read_raw(raw, 4)
    raw.send("UNSUBSCRIBE")
    got = [raw.read()[0] for _ in range(3)]
    # One reply per channel, in the server's set order, counting down.
    assert sorted(g[1] for g in got) == [b"a", b"b", b"c"]
    assert [g[2] for g in got] == [3, 2, 1]  # the pattern still counts
    assert all(g[0] == b"unsubscribe" for g in got)
    raw.send("PUNSUBSCRIBE")
    assert raw.read()[1] == sub_reply("punsubscribe", "p*", 0)


def test_sunsubscribe_counts_shard_channels_only(raw):
    raw.send("SUBSCRIBE", "a")
    raw.send("SSUBSCRIBE", "x", "y")
    read_raw(raw, 3)
    raw.send("SUNSUBSCRIBE", "x", "zz")
    assert read_raw(raw, 2) == sub_reply("sunsubscribe", "x", 1) + sub_reply("sunsubscribe", "zz", 1)


@pytest.mark.parametrize("cmd", ["SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "PUBLISH", "SPUBLISH"])
def test_arity(raw, cmd):
    assert raw.raw(cmd) == arity_err(cmd.lower())


# ------------------------------------------------------- the RESP2 context


def test_resp2_subscribed_context_refuses_other_commands(raw):
    raw.send("SUBSCRIBE", "a")
    read_raw(raw)
    assert raw.raw("GET", "x") == err(CONTEXT_ERR % "get")
    assert raw.raw("PUBLISH", "a", "m") == err(CONTEXT_ERR % "publish")
    assert raw.raw("CLIENT", "INFO") == err(CONTEXT_ERR % "client|info")
    assert raw.raw("PUBSUB", "NUMPAT") == err(CONTEXT_ERR % "pubsub|numpat")
    assert raw.raw("HELLO", "3") == err(CONTEXT_ERR % "hello")
    # Arity and unknown names answer their own errors first.
    assert raw.raw("SUBSCRIBE") == arity_err("subscribe")
    assert raw.raw("PUBSUB", "FOO") == err("ERR unknown subcommand 'FOO'. Try PUBSUB HELP.")


def test_resp2_subscribed_ping(raw):
    raw.send("PSUBSCRIBE", "x*")
    read_raw(raw)
    assert raw.raw("PING") == array(bulk("pong"), bulk(""))
    assert raw.raw("PING", "hi") == array(bulk("pong"), bulk("hi"))


def test_leaving_the_last_channel_leaves_the_context(raw):
    raw.send("SUBSCRIBE", "a")
    raw.send("SSUBSCRIBE", "s")
    read_raw(raw, 2)
    raw.send("UNSUBSCRIBE")
    read_raw(raw)
    assert raw.raw("GET", "x") == err(CONTEXT_ERR % "get")  # the shard channel still holds it
    raw.send("SUNSUBSCRIBE")
    read_raw(raw)
    assert raw.raw("GET", "x") == NIL
    assert raw.raw("PING") == b"+PONG\r\n"


def test_reset_leaves_every_channel(raw, connect):
    raw.send("SUBSCRIBE", "a")
    raw.send("PSUBSCRIBE", "a*")
    raw.send("SSUBSCRIBE", "s")
    read_raw(raw, 3)
    assert raw.raw("RESET") == b"+RESET\r\n"
    assert raw.raw("GET", "x") == NIL
    other = connect()
    assert other.raw("PUBLISH", "a", "m") == integer(0)
    assert other.raw("SPUBLISH", "s", "m") == integer(0)
    assert other.raw("PUBSUB", "NUMSUB", "a") == array(bulk("a"), integer(0))


def test_quit_allowed_in_context(raw):
    raw.send("SUBSCRIBE", "a")
    read_raw(raw)
    assert raw.raw("QUIT") == OK
    assert raw.is_closed()


def test_subscribe_inside_multi(raw, connect):
    assert raw.raw("MULTI") == OK
    assert raw.raw("SUBSCRIBE", "q") == b"+QUEUED\r\n"
    assert raw.raw("EXEC") == b"*1\r\n" + sub_reply("subscribe", "q", 1)
    assert raw.raw("PING") == array(bulk("pong"), bulk(""))
    assert connect().raw("PUBLISH", "q", "m") == integer(1)
    assert raw.read()[1] == frame("message", "q", "m")


# ------------------------------------------------------------------ RESP3


def test_resp3_push_frames_and_any_command(raw3, connect):
    assert raw3.raw("SUBSCRIBE", "q") == sub_reply("subscribe", "q", 1, proto=3)
    assert raw3.raw("GET", "x") == NULL3
    assert raw3.raw("PING") == b"+PONG\r\n"
    assert connect().raw("PUBLISH", "q", "hello") == integer(1)
    assert raw3.read()[1] == frame("message", "q", "hello", proto=3)


def test_resp3_publish_to_itself_push_comes_first(raw3):
    raw3.send("SUBSCRIBE", "q")
    raw3.read()
    raw3.send("PUBLISH", "q", "me")
    assert read_raw(raw3, 2) == frame("message", "q", "me", proto=3) + integer(1)


def test_hello_2_keeps_subscriptions(raw3, connect):
    raw3.send("SUBSCRIBE", "q")
    raw3.read()
    raw3.call("HELLO", "2")
    assert raw3.raw("GET", "x") == err(CONTEXT_ERR % "get")
    assert connect().raw("PUBLISH", "q", "m") == integer(1)
    assert raw3.read()[1] == frame("message", "q", "m")


# --------------------------------------------------------------- messages


def test_message_and_pmessage(raw, connect):
    raw.send("SUBSCRIBE", "news")
    raw.send("PSUBSCRIBE", "n*", "x*")
    read_raw(raw, 3)
    assert connect().raw("PUBLISH", "news", "hi") == integer(2)
    assert read_raw(raw, 2) == (frame("message", "news", "hi")
                                + frame("pmessage", "n*", "news", "hi"))


def test_binary_safe_names_and_payloads(raw, connect):
    ch = b"c\x00h\r\n\xff"
    msg = b"\r\n\x00*3\r\n"
    raw.send("SUBSCRIBE", ch)
    assert raw.read()[1] == sub_reply("subscribe", ch, 1)
    assert connect().raw("PUBLISH", ch, msg) == integer(1)
    assert raw.read()[1] == frame("message", ch, msg)


@pytest.mark.parametrize("pattern,channel,match", [
    ("h?llo", "hello", True), ("h?llo", "hllo", False),
    ("h*llo", "heeeello", True), ("h[ae]llo", "hallo", True), ("h[ae]llo", "hillo", False),
    ("h[^e]llo", "hallo", True), ("h[^e]llo", "hello", False), ("h[a-b]llo", "hbllo", True),
    ("h\\*llo", "h*llo", True), ("h\\*llo", "hallo", False), ("*", "", False),  # Redis's matcher: an empty name matches nothing
])
def test_glob_patterns(connect, pattern, channel, match):
    sub, pub = connect(), connect()
    sub.send("PSUBSCRIBE", pattern)
    sub.read()
    assert pub.raw("PUBLISH", channel, "m") == integer(1 if match else 0)
    if match:
        assert sub.read()[1] == frame("pmessage", pattern, channel, "m")


def test_spublish_reaches_shard_subscribers(connect):
    subs = [connect() for _ in range(6)]
    for i, s in enumerate(subs):
        s.send("SSUBSCRIBE", "sc%d" % (i % 3))
        assert s.read()[1] == sub_reply("ssubscribe", "sc%d" % (i % 3), 1)
    pub = connect()
    for j in range(3):
        assert pub.raw("SPUBLISH", "sc%d" % j, "m%d" % j) == integer(2)
    for i, s in enumerate(subs):
        assert s.read()[1] == frame("smessage", "sc%d" % (i % 3), "m%d" % (i % 3))
    # PUBLISH does not reach shard channels, nor patterns shard messages.
    assert pub.raw("PUBLISH", "sc0", "x") == integer(0)


# ----------------------------------------------------------------- PUBSUB


def test_pubsub_introspection(connect):
    a, b, q = connect(), connect(), connect()
    a.send("SUBSCRIBE", "ch1", "ch2")
    a.send("PSUBSCRIBE", "p*", "q*")
    b.send("SUBSCRIBE", "ch1")
    b.send("PSUBSCRIBE", "p*")
    b.send("SSUBSCRIBE", "s1", "s2")
    read_raw(a, 4)
    read_raw(b, 4)
    assert sorted(q.value("PUBSUB", "CHANNELS")) == [b"ch1", b"ch2"]
    assert q.value("PUBSUB", "CHANNELS", "*2") == [b"ch2"]
    assert q.raw("PUBSUB", "NUMSUB", "ch1", "ch2", "zz") == array(
        bulk("ch1"), integer(2), bulk("ch2"), integer(1), bulk("zz"), integer(0))
    assert q.raw("PUBSUB", "NUMSUB") == b"*0\r\n"
    assert q.raw("PUBSUB", "NUMPAT") == integer(2)  # distinct patterns
    assert sorted(q.value("PUBSUB", "SHARDCHANNELS")) == [b"s1", b"s2"]
    assert q.value("PUBSUB", "SHARDCHANNELS", "*1") == [b"s1"]
    assert q.raw("PUBSUB", "SHARDNUMSUB", "s1", "zz") == array(
        bulk("s1"), integer(1), bulk("zz"), integer(0))
    assert q.raw("PUBSUB", "SHARDNUMSUB") == b"*0\r\n"


def test_pubsub_resp3_shapes(connect):
    a, q = connect(), connect(3)
    a.send("SUBSCRIBE", "ch1")
    a.read()
    assert q.raw("PUBSUB", "NUMSUB", "ch1") == array(bulk("ch1"), integer(1))
    assert q.raw("PUBSUB", "CHANNELS") == array(bulk("ch1"))


def test_pubsub_errors(raw):
    sub_err = "ERR unknown subcommand or wrong number of arguments for '%s'. Try PUBSUB HELP."
    assert raw.raw("PUBSUB", "CHANNELS", "a", "b") == err(sub_err % "CHANNELS")
    assert raw.raw("PUBSUB", "SHARDCHANNELS", "a", "b") == err(sub_err % "SHARDCHANNELS")
    assert raw.raw("PUBSUB", "NUMPAT", "x") == arity_err("pubsub|numpat")
    assert raw.raw("PUBSUB", "FOO") == err("ERR unknown subcommand 'FOO'. Try PUBSUB HELP.")
    assert raw.raw("PUBSUB") == arity_err("pubsub")


def test_pubsub_help(raw):
    lines = raw.value("PUBSUB", "HELP")
    assert lines[0] == "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert len(lines) == 14
    assert lines[-2:] == ["HELP", "    Prints this help."]


# --------------------------------------------------------- client, info


def test_client_list_fields_and_type(connect):
    s = connect()
    s.send("SUBSCRIBE", "a", "b")
    s.send("PSUBSCRIBE", "p*")
    s.send("SSUBSCRIBE", "x")
    read_raw(s, 4)
    q = connect()
    line = [ln for ln in q.value("CLIENT", "LIST", "TYPE", "pubsub").decode().splitlines()]
    assert len(line) == 1
    assert " flags=P " in line[0] and " sub=2 psub=1 ssub=1 " in line[0]
    normal = q.value("CLIENT", "LIST", "TYPE", "normal").decode()
    assert " sub=2 " not in normal and "flags=N" in normal
    assert q.raw("CLIENT", "KILL", "TYPE", "pubsub") == integer(1)
    assert s.is_closed()


def test_info_pubsub_fields(connect):
    from helpers import info_fields
    s = connect()
    s.send("SUBSCRIBE", "a", "b")
    s.send("PSUBSCRIBE", "p*")
    s.send("SSUBSCRIBE", "x", "y", "z")
    read_raw(s, 6)
    st = info_fields(connect(), "stats")
    assert (st["pubsub_channels"], st["pubsub_patterns"], st["pubsubshard_channels"]) == (
        "2", "1", "3")


def test_subscriber_exempt_from_timeout(connect):
    q = connect()
    old = q.value("CONFIG", "GET", "timeout")[1]
    try:
        assert q.raw("CONFIG", "SET", "timeout", "1") == OK
        s, idle = connect(), connect()
        s.send("SUBSCRIBE", "a")
        s.read()
        assert idle.raw("PING") == b"+PONG\r\n"
        assert idle.is_closed(timeout=5.0)
        assert connect().raw("PUBLISH", "a", "still") == integer(1)
        assert s.read()[1] == frame("message", "a", "still")
    finally:
        connect().call("CONFIG", "SET", "timeout", old)
