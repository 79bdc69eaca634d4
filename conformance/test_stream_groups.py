"""Stream consumer groups, Redis 7.0.15's: XGROUP CREATE (MKSTREAM,
ENTRIESREAD) / SETID / DESTROY / CREATECONSUMER / DELCONSUMER / HELP,
XREADGROUP (GROUP, COUNT, NOACK, ">" and history, keys over the shards),
XACK, XPENDING (summary, extended, IDLE, consumer), XCLAIM (IDLE, TIME,
RETRYCOUNT, FORCE, JUSTID, LASTID), XAUTOCLAIM (COUNT, JUSTID, deleted
entries), XINFO GROUPS / CONSUMERS / STREAM FULL with entries-read and lag,
and what they do to WATCH, keyspace events, dirty, DUMP/RESTORE and DEBUG
DIGEST-VALUE. Exact bytes in RESP2 and RESP3; times (idle, delivery and
seen times) are checked against bounds."""

import time

import pytest

from helpers import (NIL, NOT_INT, NULL3, OK, SYNTAX, arity_err, array, bulk, dec, err,
                     integer, info_fields, spread_keys, watch_dirtied)
from notify_helpers import keyspace_events

WRONGTYPE = err("WRONGTYPE Operation against a key holding the wrong kind of value")
BADID = err("ERR Invalid stream ID specified as stream command argument")
NOKEY = err("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may "
            "want to use the MKSTREAM option to create an empty stream automatically.")
NILARR = b"*-1\r\n"


def entry(eid, *fv):
    return array(bulk(eid), array(*[bulk(x) for x in fv]))


def fill(raw, key="s", n=3):
    for i in range(1, n + 1):
        assert raw.raw("XADD", key, "%d-1" % i, "f", "v%d" % i) == bulk("%d-1" % i)


def nogroup(group, key):
    return err("NOGROUP No such consumer group '%s' for key name '%s'" % (group, key))


def nokeygroup(key, group):
    return err("NOGROUP No such key '%s' or consumer group '%s'" % (key, group))


def groups_info(name, consumers, pending, last, read, lag):
    return [bulk("name"), bulk(name), bulk("consumers"), integer(consumers), bulk("pending"),
            integer(pending), bulk("last-delivered-id"), bulk(last), bulk("entries-read"),
            NIL if read is None else integer(read), bulk("lag"),
            NIL if lag is None else integer(lag)]


def val(client, *args):
    """A reply as Python values, strings decoded."""
    return dec(client.value(*args))


def now_ms():
    return int(time.time() * 1000)


# ------------------------------------------------------------ XGROUP


def test_xgroup_create(raw, raw3):
    assert raw.raw("XGROUP", "CREATE", "s", "g", "$") == NOKEY
    assert raw.raw("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM") == OK
    assert raw.raw("TYPE", "s") == b"+stream\r\n"
    assert raw.raw("XLEN", "s") == integer(0)
    assert raw.raw("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM") == err(
        "BUSYGROUP Consumer Group name already exists")
    fill(raw)
    assert raw.raw("XGROUP", "CREATE", "s", "g2", "0", "ENTRIESREAD", "-5") == err(
        "ERR value for ENTRIESREAD must be positive or -1")
    assert raw.raw("XGROUP", "CREATE", "s", "g2", "0", "ENTRIESREAD", "x") == NOT_INT
    assert raw.raw("XGROUP", "CREATE", "s", "g2", "0", "foo") == err(
        "ERR unknown subcommand or wrong number of arguments for 'CREATE'. Try XGROUP HELP.")
    assert raw.raw("XGROUP", "CREATE", "s", "g2", "bad") == BADID
    assert raw.raw("XGROUP", "CREATE", "s", "g2", "-") == BADID
    assert raw.raw("XGROUP", "CREATE", "nokey", "g2", "bad", "MKSTREAM") == BADID
    assert raw.raw("EXISTS", "nokey") == integer(0)
    assert raw.raw("XGROUP", "CREATE", "s", "g2", "0", "ENTRIESREAD", "-1") == OK
    assert raw.raw("XGROUP", "CREATE", "s", "g3", "2-1", "ENTRIESREAD", "2") == OK
    assert raw.raw("XGROUP", "CREATE", "s", "a", "1") == OK
    assert raw.raw("XGROUP", "CREATE", "s", "ga", "$", "MKSTREAM") == OK
    assert raw.raw("XGROUP", "CREATE", "s") == arity_err("xgroup|create")
    assert raw.raw("XGROUP") == arity_err("xgroup")
    assert raw.raw("XGROUP", "foo") == err("ERR unknown subcommand 'foo'. Try XGROUP HELP.")
    assert raw.raw("SET", "str", "x") == OK
    assert raw.raw("XGROUP", "CREATE", "str", "g", "0") == WRONGTYPE
    assert raw.raw("XGROUP", "CREATE", "str", "g", "0", "MKSTREAM") == WRONGTYPE
    # Groups in name order (bytewise, a prefix first), 7.0's six fields.
    want = [array(*groups_info("a", 0, 0, "1-0", None, 3)),
            array(*groups_info("g", 0, 0, "0-0", None, 3)),
            array(*groups_info("g2", 0, 0, "0-0", None, 3)),
            array(*groups_info("g3", 0, 0, "2-1", 2, 1)),
            array(*groups_info("ga", 0, 0, "3-1", None, 0))]
    assert raw.raw("XINFO", "GROUPS", "s") == array(*want)
    assert raw3.raw("XINFO", "GROUPS", "s")[:4] == b"*5\r\n"
    assert raw3.raw("XINFO", "GROUPS", "s").count(b"%6\r\n") == 5
    assert raw3.raw("XINFO", "GROUPS", "s").count(b"_\r\n") == 4


def test_xgroup_setid_destroy(raw):
    fill(raw)
    assert raw.raw("XGROUP", "SETID", "nokey", "g", "0") == NOKEY
    assert raw.raw("XGROUP", "SETID", "s", "g", "0") == nogroup("g", "s")
    assert raw.raw("XGROUP", "CREATE", "s", "g", "0") == OK
    assert raw.raw("XGROUP", "SETID", "s", "g", "2-1", "ENTRIESREAD", "2") == OK
    assert val(raw, "XINFO", "GROUPS", "s")[0][6:] == ["last-delivered-id", "2-1",
                                                       "entries-read", 2, "lag", 1]
    assert raw.raw("XGROUP", "SETID", "s", "g", "$") == OK
    assert val(raw, "XINFO", "GROUPS", "s")[0][6:] == ["last-delivered-id", "3-1",
                                                       "entries-read", None, "lag", 0]
    assert raw.raw("XGROUP", "SETID", "s", "g", "-") == OK   # not strict: 0-0
    assert val(raw, "XINFO", "GROUPS", "s")[0][7] == "0-0"
    assert raw.raw("XGROUP", "SETID", "s", "g", "0", "ENTRIESREAD", "-2") == err(
        "ERR value for ENTRIESREAD must be positive or -1")
    assert raw.raw("XGROUP", "SETID", "s", "g", "1-1", "x") == err(
        "ERR unknown subcommand or wrong number of arguments for 'SETID'. Try XGROUP HELP.")
    assert raw.raw("XGROUP", "SETID", "s", "g", "1-1", "x", "1") == err(
        "ERR unknown subcommand or wrong number of arguments for 'SETID'. Try XGROUP HELP.")
    assert raw.raw("XGROUP", "SETID", "s", "g", "x") == BADID
    assert raw.raw("XGROUP", "DESTROY", "s", "nog") == integer(0)
    assert raw.raw("XGROUP", "DESTROY", "nokey", "g") == NOKEY
    assert raw.raw("XGROUP", "DESTROY", "s", "g") == integer(1)
    assert raw.raw("XGROUP", "DESTROY", "s", "g") == integer(0)
    assert raw.raw("XINFO", "GROUPS", "s") == array()
    assert raw.raw("XGROUP", "DESTROY", "s") == arity_err("xgroup|destroy")


def test_xgroup_consumers(raw):
    fill(raw)
    assert raw.raw("XGROUP", "CREATE", "s", "g", "0") == OK
    assert raw.raw("XGROUP", "CREATECONSUMER", "s", "nog", "c") == nogroup("nog", "s")
    assert raw.raw("XGROUP", "CREATECONSUMER", "nokey", "g", "c") == NOKEY
    assert raw.raw("XGROUP", "CREATECONSUMER", "s", "g", "c") == integer(1)
    assert raw.raw("XGROUP", "CREATECONSUMER", "s", "g", "c") == integer(0)
    assert raw.raw("XGROUP", "CREATECONSUMER", "s", "g", "b") == integer(1)
    got = val(raw, "XINFO", "CONSUMERS", "s", "g")
    assert [(c[1], c[3]) for c in got] == [("b", 0), ("c", 0)]
    assert all(c[0] == "name" and c[2] == "pending" and c[4] == "idle" and 0 <= c[5] < 5000
               for c in got)
    assert raw.raw("XREADGROUP", "GROUP", "g", "c", "COUNT", "2", "STREAMS", "s", ">")[:4] == \
        b"*1\r\n"
    assert raw.raw("XGROUP", "DELCONSUMER", "s", "g", "zz") == integer(0)
    assert raw.raw("XGROUP", "DELCONSUMER", "s", "g", "c") == integer(2)
    assert raw.raw("XPENDING", "s", "g") == array(integer(0), NIL, NIL, NILARR)
    assert raw.raw("XGROUP", "DELCONSUMER", "s", "nog", "c") == nogroup("nog", "s")
    assert raw.raw("XGROUP", "CREATECONSUMER", "s", "g") == arity_err("xgroup|createconsumer")
    assert raw.raw("XINFO", "CONSUMERS", "s", "nog") == nogroup("nog", "s")
    assert raw.raw("XINFO", "CONSUMERS", "nokey", "g") == err("ERR no such key")
    assert raw.raw("XINFO", "CONSUMERS", "s") == arity_err("xinfo|consumers")
    assert raw.raw("XINFO", "GROUPS", "nokey") == err("ERR no such key")
    assert raw.raw("XINFO", "GROUPS", "s", "x") == arity_err("xinfo|groups")
    assert raw.raw("SET", "str", "x") == OK
    assert raw.raw("XINFO", "GROUPS", "str") == WRONGTYPE
    assert raw.raw("XGROUP", "DELCONSUMER", "str", "g", "c") == WRONGTYPE


def test_xgroup_help(raw):
    lines = val(raw, "XGROUP", "HELP")
    assert lines[0] == "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert lines[1] == "CREATE <key> <groupname> <id|$> [option]"
    assert len(lines) == 17 and lines[-1] == "    Prints this help."
    assert raw.raw("XGROUP", "HELP", "x") == arity_err("xgroup|help")


# -------------------------------------------------------- XREADGROUP


def test_xreadgroup_new_and_history(raw, raw3):
    fill(raw)
    assert raw.raw("XGROUP", "CREATE", "s", "g", "0") == OK
    assert raw.raw("XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", ">") == \
        array(array(bulk("s"), array(entry("1-1", "f", "v1"))))
    assert raw3.raw("XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">") == (
        b"%1\r\n" + bulk("s") + array(entry("2-1", "f", "v2"), entry("3-1", "f", "v3")))
    assert raw.raw("XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">") == NILARR
    assert raw3.raw("XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">") == NULL3
    # History: the consumer's own pending entries after the ID.
    assert raw.raw("XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", "0") == \
        array(array(bulk("s"), array(entry("2-1", "f", "v2"), entry("3-1", "f", "v3"))))
    assert raw.raw("XREADGROUP", "GROUP", "g", "bob", "COUNT", "1", "STREAMS", "s", "2-1") == \
        array(array(bulk("s"), array(entry("3-1", "f", "v3"))))
    assert raw.raw("XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", "3-1") == \
        array(array(bulk("s"), array()))
    assert raw.raw("XREADGROUP", "GROUP", "g", "carol", "STREAMS", "s", "0") == \
        array(array(bulk("s"), array()))
    # A pending entry deleted from the stream: [id, nil].
    assert raw.raw("XDEL", "s", "2-1") == integer(1)
    assert raw.raw("XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", "0") == \
        array(array(bulk("s"), array(array(bulk("2-1"), NILARR), entry("3-1", "f", "v3"))))
    assert raw3.raw("XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", "0") == (
        b"%1\r\n" + bulk("s") + array(array(bulk("2-1"), NULL3), entry("3-1", "f", "v3")))
    pend = val(raw, "XPENDING", "s", "g", "-", "+", "10")
    assert [(p[0], p[1], p[3]) for p in pend] == [
        ("1-1", "alice", 1), ("2-1", "bob", 2), ("3-1", "bob", 5)]
    assert val(raw, "XINFO", "GROUPS", "s")[0] == [
        "name", "g", "consumers", 3, "pending", 3, "last-delivered-id", "3-1",
        "entries-read", 3, "lag", 0]


def test_xreadgroup_noack_and_redelivery(raw):
    fill(raw)
    assert raw.raw("XGROUP", "CREATE", "s", "g", "0") == OK
    assert raw.raw("XREADGROUP", "GROUP", "g", "a", "NOACK", "COUNT", "2", "STREAMS", "s",
                   ">") == array(array(bulk("s"), array(entry("1-1", "f", "v1"),
                                                         entry("2-1", "f", "v2"))))
    assert raw.raw("XPENDING", "s", "g") == array(integer(0), NIL, NIL, NILARR)
    assert raw.raw("XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">") == \
        array(array(bulk("s"), array(entry("3-1", "f", "v3"))))
    # SETID back: an entry pending for a goes to b, its count back to 1.
    assert raw.raw("XGROUP", "SETID", "s", "g", "0") == OK
    assert raw.raw("XREADGROUP", "GROUP", "g", "b", "STREAMS", "s", ">")[:4] == b"*1\r\n"
    pend = val(raw, "XPENDING", "s", "g", "-", "+", "10")
    assert [(p[0], p[1], p[3]) for p in pend] == [("1-1", "b", 1), ("2-1", "b", 1),
                                                 ("3-1", "b", 1)]
    assert val(raw, "XINFO", "GROUPS", "s")[0][1:] == [
        "g", "consumers", 2, "pending", 3, "last-delivered-id", "3-1", "entries-read", 3,
        "lag", 0]


def test_xreadgroup_errors(raw):
    fill(raw)
    assert raw.raw("XGROUP", "CREATE", "s", "g", "0") == OK
    assert raw.raw("SET", "str", "x") == OK
    assert raw.raw("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s") == arity_err("xreadgroup")
    assert raw.raw("XREADGROUP", "COUNT", "1", "STREAMS", "s", ">", "s", ">") == err(
        "ERR Missing GROUP option for XREADGROUP")
    assert raw.raw("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">", "x") == err(
        "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be "
        "specified.")
    assert raw.raw("XREADGROUP", "GROUP", "g", "c", "FOO", "STREAMS", "s", ">") == SYNTAX
    assert raw.raw("XREADGROUP", "GROUP", "g", "c", "COUNT", "x", "STREAMS", "s", ">") == \
        NOT_INT
    assert raw.raw("XREADGROUP", "GROUP", "nog", "c", "STREAMS", "s", ">") == err(
        "NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP option")
    assert raw.raw("XREADGROUP", "GROUP", "g", "c", "STREAMS", "nokey", ">") == err(
        "NOGROUP No such key 'nokey' or consumer group 'g' in XREADGROUP with GROUP option")
    assert raw.raw("XREADGROUP", "GROUP", "g", "c", "STREAMS", "str", ">") == WRONGTYPE
    assert raw.raw("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "$") == err(
        "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the "
        "history of this consumer by specifying a proper ID, or use the > ID to get new "
        "messages. The $ ID would just return an empty result set.")
    assert raw.raw("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "x") == BADID
    # Every key is checked before any is served.
    assert raw.raw("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "nokey", ">", ">") == err(
        "NOGROUP No such key 'nokey' or consumer group 'g' in XREADGROUP with GROUP option")
    assert raw.raw("XPENDING", "s", "g") == array(integer(0), NIL, NIL, NILARR)
    assert raw.raw("XINFO", "CONSUMERS", "s", "g") == array()


def test_xreadgroup_consumer_only_where_served(raw):
    fill(raw, n=1)
    assert raw.raw("XGROUP", "CREATE", "s", "g", "$") == OK
    assert raw.raw("XREADGROUP", "GROUP", "g", "carol", "STREAMS", "s", ">") == NILARR
    assert raw.raw("XINFO", "CONSUMERS", "s", "g") == array()
    assert raw.raw("XREADGROUP", "GROUP", "g", "dan", "STREAMS", "s", "0") == \
        array(array(bulk("s"), array()))
    assert val(raw, "XINFO", "CONSUMERS", "s", "g")[0][:4] == ["name", "dan", "pending", 0]


def test_xreadgroup_across_shards(raw):
    keys = spread_keys(8, "xg:")
    for i, k in enumerate(keys):
        assert raw.raw("XADD", k, "%d-1" % (i + 1), "k", k) == bulk("%d-1" % (i + 1))
        assert raw.raw("XGROUP", "CREATE", k, "g", "0") == OK
    want = [array(bulk(k), array(entry("%d-1" % (i + 1), "k", k))) for i, k in enumerate(keys)]
    assert raw.raw("XREADGROUP", "GROUP", "g", "c", "STREAMS", *keys, *([">"] * 8)) == \
        array(*want)
    assert raw.raw("XREADGROUP", "GROUP", "g", "c", "STREAMS", *keys, *([">"] * 8)) == NILARR
    assert raw.raw("XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", *keys,
                   *(["0"] * 8)) == array(*want)
    assert raw.raw("XGROUP", "DESTROY", keys[5], "g") == integer(1)
    assert raw.raw("XADD", keys[0], "100-1", "a", "b") == bulk("100-1")
    assert raw.raw("XREADGROUP", "GROUP", "g", "c", "STREAMS", *keys, *([">"] * 8)) == err(
        "NOGROUP No such key '%s' or consumer group 'g' in XREADGROUP with GROUP option"
        % keys[5])
    ids = [">"] * 8
    ids[6] = "x"
    assert raw.raw("XREADGROUP", "GROUP", "g", "c", "STREAMS", *keys[:5], *ids[:5]) == \
        array(array(bulk(keys[0]), array(entry("100-1", "a", "b"))))
    ids = [">"] * 5 + ["x"]
    assert raw.raw("XREADGROUP", "GROUP", "g", "c", "STREAMS", *keys[:4], keys[6], keys[7],
                   *ids) == BADID


# ------------------------------------------------------------- XACK


def test_xack(raw):
    fill(raw)
    assert raw.raw("XACK", "s", "g", "1-1") == integer(0)
    assert raw.raw("XACK", "nokey", "g", "x") == integer(0)
    assert raw.raw("XGROUP", "CREATE", "s", "g", "0") == OK
    assert raw.raw("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")[:4] == b"*1\r\n"
    assert raw.raw("XACK", "s", "g", "1-1", "x") == BADID
    assert raw.raw("XACK", "s", "g", "1-1", "1-1", "3-1", "9-9") == integer(2)
    assert raw.raw("XACK", "s", "g", "1-1") == integer(0)
    assert val(raw, "XPENDING", "s", "g") == [1, "2-1", "2-1", [["c", "1"]]]
    assert raw.raw("XACK", "s", "g") == arity_err("xack")
    assert raw.raw("SET", "str", "x") == OK
    assert raw.raw("XACK", "str", "g", "1-1") == WRONGTYPE


# ---------------------------------------------------------- XPENDING


def test_xpending(raw, raw3):
    fill(raw, n=4)
    assert raw.raw("XGROUP", "CREATE", "s", "g", "0") == OK
    assert raw.raw("XREADGROUP", "GROUP", "g", "b", "COUNT", "1", "STREAMS", "s", ">")[:1] == \
        b"*"
    assert raw.raw("XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">")[:1] == b"*"
    assert raw.raw("XGROUP", "CREATECONSUMER", "s", "g", "idle") == integer(1)
    assert raw.raw("XPENDING", "s", "g") == array(
        integer(4), bulk("1-1"), bulk("4-1"),
        array(array(bulk("a"), bulk("3")), array(bulk("b"), bulk("1"))))
    assert raw3.raw("XPENDING", "s", "g")[:4] == b"*4\r\n"
    t0 = now_ms()
    got = val(raw, "XPENDING", "s", "g", "-", "+", "10")
    assert [(p[0], p[1], p[3]) for p in got] == [("1-1", "b", 1), ("2-1", "a", 1),
                                                 ("3-1", "a", 1), ("4-1", "a", 1)]
    assert all(0 <= p[2] <= now_ms() - t0 + 5000 for p in got)
    assert [p[0] for p in val(raw, "XPENDING", "s", "g", "(1-1", "(4-1", "10")] == ["2-1",
                                                                                  "3-1"]
    assert [p[0] for p in val(raw, "XPENDING", "s", "g", "-", "+", "2")] == ["1-1", "2-1"]
    assert [p[0] for p in val(raw, "XPENDING", "s", "g", "-", "+", "10", "b")] == ["1-1"]
    assert raw.raw("XPENDING", "s", "g", "-", "+", "10", "idle") == array()
    assert raw.raw("XPENDING", "s", "g", "-", "+", "10", "nosuch") == array()
    assert raw.raw("XPENDING", "s", "g", "-", "+", "-5") == array()
    assert raw.raw("XPENDING", "s", "g", "IDLE", "100000", "-", "+", "10") == array()
    assert len(val(raw, "XPENDING", "s", "g", "IDLE", "0", "-", "+", "10", "a")) == 3
    time.sleep(0.05)
    assert len(val(raw, "XPENDING", "s", "g", "IDLE", "20", "-", "+", "10")) == 4
    assert raw.raw("XPENDING", "s", "g", "-") == SYNTAX
    assert raw.raw("XPENDING", "s", "g", "IDLE", "5", "-", "+") == SYNTAX
    assert raw.raw("XPENDING", "s", "g", "IDLE", "x", "-", "+", "1") == NOT_INT
    assert raw.raw("XPENDING", "s", "g", "-", "+", "x") == NOT_INT
    assert raw.raw("XPENDING", "s", "g", "x", "+", "1") == BADID
    assert raw.raw("XPENDING", "s", "g", "(-", "+", "1") == BADID
    assert raw.raw("XPENDING", "s", "g", "(18446744073709551615-18446744073709551615", "+",
                   "1") == err("ERR invalid start ID for the interval")
    assert raw.raw("XPENDING", "s", "g", "-", "(0-0", "1") == err(
        "ERR invalid end ID for the interval")
    assert raw.raw("XPENDING", "s", "g", "-", "+", "1", "a", "b", "c", "d") == SYNTAX
    assert [p[0] for p in val(raw, "XPENDING", "s", "g", "-", "+", "1", "b", "x", "y")] == \
        ["1-1"]
    assert raw.raw("XPENDING", "s", "nog") == nokeygroup("s", "nog")
    assert raw.raw("XPENDING", "nokey", "g", "-", "+", "1") == nokeygroup("nokey", "g")
    assert raw.raw("XPENDING", "s") == arity_err("xpending")
    assert raw.raw("SET", "str", "x") == OK
    assert raw.raw("XPENDING", "str", "g") == WRONGTYPE


# ------------------------------------------------------------ XCLAIM


def test_xclaim(raw):
    fill(raw)
    assert raw.raw("XGROUP", "CREATE", "s", "g", "0") == OK
    assert raw.raw("XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">")[:1] == b"*"
    assert raw.raw("XCLAIM", "s", "g", "b", "0", "1-1", "2-1") == array(
        entry("1-1", "f", "v1"), entry("2-1", "f", "v2"))
    assert raw.raw("XCLAIM", "s", "g", "b", "100000", "3-1") == array()   # not idle enough
    assert raw.raw("XCLAIM", "s", "g", "b", "0", "9-9") == array()        # not pending
    assert raw.raw("XCLAIM", "s", "g", "b", "0", "3-1", "JUSTID") == array(bulk("3-1"))
    got = {p[0]: p for p in val(raw, "XPENDING", "s", "g", "-", "+", "10")}
    assert [(got[i][1], got[i][3]) for i in ("1-1", "2-1", "3-1")] == [("b", 2), ("b", 2),
                                                                      ("b", 1)]
    assert raw.raw("XCLAIM", "s", "g", "c", "0", "1-1", "RETRYCOUNT", "7", "IDLE", "60000",
                   "JUSTID") == array(bulk("1-1"))
    p = val(raw, "XPENDING", "s", "g", "1-1", "1-1", "1")[0]
    assert p[1] == "c" and p[3] == 7 and 60000 <= p[2] < 65000
    assert raw.raw("XCLAIM", "s", "g", "c", "0", "2-1", "TIME", "1000", "JUSTID") == \
        array(bulk("2-1"))
    assert val(raw, "XINFO", "STREAM", "s", "FULL")[-1][0][11][1][2] == 1000
    assert raw.raw("XCLAIM", "s", "g", "c", "0", "1-1", "TIME", str(now_ms() + 10 ** 8),
                   "JUSTID") == array(bulk("1-1"))    # a time in the future is now
    assert 0 <= val(raw, "XPENDING", "s", "g", "1-1", "1-1", "1")[0][2] < 5000
    # FORCE makes a pending entry of one that exists; LASTID moves the group on.
    assert raw.raw("XACK", "s", "g", "3-1") == integer(1)
    assert raw.raw("XCLAIM", "s", "g", "d", "0", "3-1") == array()
    assert raw.raw("XCLAIM", "s", "g", "d", "0", "3-1", "FORCE", "LASTID", "9-9") == \
        array(entry("3-1", "f", "v3"))
    assert val(raw, "XPENDING", "s", "g", "3-1", "3-1", "1")[0][3] == 2
    assert val(raw, "XINFO", "GROUPS", "s")[0][7] == "9-9"
    assert raw.raw("XCLAIM", "s", "g", "d", "0", "8-8", "FORCE") == array()  # no such entry
    # A pending entry deleted from the stream leaves the PEL.
    assert raw.raw("XDEL", "s", "2-1") == integer(1)
    assert raw.raw("XCLAIM", "s", "g", "d", "0", "2-1", "1-1", "JUSTID") == array(bulk("1-1"))
    assert [p[0] for p in val(raw, "XPENDING", "s", "g", "-", "+", "10")] == ["1-1", "3-1"]


def test_xclaim_errors(raw):
    fill(raw)
    assert raw.raw("XGROUP", "CREATE", "s", "g", "0") == OK
    assert raw.raw("SET", "str", "x") == OK
    assert raw.raw("XCLAIM", "s", "nog", "c", "x", "1-1") == nokeygroup("s", "nog")
    assert raw.raw("XCLAIM", "nokey", "g", "c", "0", "1-1") == nokeygroup("nokey", "g")
    assert raw.raw("XCLAIM", "str", "g", "c", "0", "1-1") == WRONGTYPE
    assert raw.raw("XCLAIM", "s", "g", "c", "x", "1-1") == err(
        "ERR Invalid min-idle-time argument for XCLAIM")
    assert raw.raw("XCLAIM", "s", "g", "c", "0", "1-1", "foo") == err(
        "ERR Unrecognized XCLAIM option 'foo'")
    assert raw.raw("XCLAIM", "s", "g", "c", "0", "x") == err(
        "ERR Unrecognized XCLAIM option 'x'")
    assert raw.raw("XCLAIM", "s", "g", "c", "0", "1-1", "IDLE") == err(
        "ERR Unrecognized XCLAIM option 'IDLE'")
    assert raw.raw("XCLAIM", "s", "g", "c", "0", "1-1", "IDLE", "x") == err(
        "ERR Invalid IDLE option argument for XCLAIM")
    assert raw.raw("XCLAIM", "s", "g", "c", "0", "1-1", "TIME", "x") == err(
        "ERR Invalid TIME option argument for XCLAIM")
    assert raw.raw("XCLAIM", "s", "g", "c", "0", "1-1", "RETRYCOUNT", "x") == err(
        "ERR Invalid RETRYCOUNT option argument for XCLAIM")
    assert raw.raw("XCLAIM", "s", "g", "c", "0", "1-1", "LASTID", "x") == BADID
    assert raw.raw("XCLAIM", "s", "g", "c", "0") == arity_err("xclaim")
    assert raw.raw("XINFO", "CONSUMERS", "s", "g") == array()


# -------------------------------------------------------- XAUTOCLAIM


def test_xautoclaim(raw, raw3):
    fill(raw, n=5)
    assert raw.raw("XGROUP", "CREATE", "s", "g", "0") == OK
    assert raw.raw("XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">")[:1] == b"*"
    assert raw.raw("XAUTOCLAIM", "s", "g", "b", "0", "0", "COUNT", "2") == array(
        bulk("3-1"), array(entry("1-1", "f", "v1"), entry("2-1", "f", "v2")), array())
    assert raw3.raw("XAUTOCLAIM", "s", "g", "b", "0", "3-1", "COUNT", "1", "JUSTID") == array(
        bulk("4-1"), array(bulk("3-1")), array())
    assert raw.raw("XAUTOCLAIM", "s", "g", "b", "100000", "0") == array(
        bulk("0-0"), array(), array())
    assert raw.raw("XDEL", "s", "2-1", "4-1") == integer(2)
    # Deleted entries leave the PEL, are reported, and count against COUNT.
    assert raw.raw("XAUTOCLAIM", "s", "g", "c", "0", "(1-1", "COUNT", "2") == array(
        bulk("4-1"), array(entry("3-1", "f", "v3")), array(bulk("2-1")))
    assert raw.raw("XAUTOCLAIM", "s", "g", "c", "0", "0", "JUSTID") == array(
        bulk("0-0"), array(bulk("1-1"), bulk("3-1"), bulk("5-1")), array(bulk("4-1")))
    got = val(raw, "XPENDING", "s", "g", "-", "+", "10")
    assert [(p[0], p[1], p[3]) for p in got] == [("1-1", "c", 2), ("3-1", "c", 2),
                                                 ("5-1", "c", 1)]
    assert raw.raw("XAUTOCLAIM", "s", "g", "c", "0", "9-9") == array(bulk("0-0"), array(),
                                                                    array())


def test_xautoclaim_errors(raw):
    fill(raw)
    assert raw.raw("XGROUP", "CREATE", "s", "g", "0") == OK
    assert raw.raw("SET", "str", "x") == OK
    assert raw.raw("XAUTOCLAIM", "s", "g", "c", "x", "0") == err(
        "ERR Invalid min-idle-time argument for XAUTOCLAIM")
    assert raw.raw("XAUTOCLAIM", "s", "g", "c", "0", "x") == BADID
    assert raw.raw("XAUTOCLAIM", "s", "g", "c", "0", "(18446744073709551615-18446744073709551615"
                   ) == err("ERR invalid start ID for the interval")
    for bad in ("0", "x", "-1", "9223372036854775807"):
        assert raw.raw("XAUTOCLAIM", "s", "g", "c", "0", "0", "COUNT", bad) == err(
            "ERR COUNT must be > 0")
    assert raw.raw("XAUTOCLAIM", "s", "g", "c", "0", "0", "foo") == SYNTAX
    assert raw.raw("XAUTOCLAIM", "s", "g", "c", "0", "0", "COUNT") == SYNTAX
    assert raw.raw("XAUTOCLAIM", "nokey", "g", "c", "x", "0") == err(
        "ERR Invalid min-idle-time argument for XAUTOCLAIM")
    assert raw.raw("XAUTOCLAIM", "s", "nog", "c", "0", "0") == nokeygroup("s", "nog")
    assert raw.raw("XAUTOCLAIM", "str", "g", "c", "0", "0") == WRONGTYPE
    assert raw.raw("XAUTOCLAIM", "s", "g", "c", "0") == arity_err("xautoclaim")


# ------------------------------------------------------------- XINFO


def test_xinfo_full_and_lag(raw, raw3):
    fill(raw)
    assert raw.raw("XGROUP", "CREATE", "s", "g", "0") == OK
    assert raw.raw("XGROUP", "CREATE", "s", "h", "$") == OK
    assert raw.raw("XINFO", "STREAM", "s").count(bulk("groups") + integer(2)) == 1
    t0 = now_ms()
    assert raw.raw("XREADGROUP", "GROUP", "g", "a", "COUNT", "2", "STREAMS", "s", ">")[:1] == \
        b"*"
    t1 = now_ms()
    full = val(raw, "XINFO", "STREAM", "s", "FULL")
    assert full[14:16] == ["entries", [["1-1", ["f", "v1"]], ["2-1", ["f", "v2"]],
                                       ["3-1", ["f", "v3"]]]]
    g, h = full[17]
    assert g[:12] == ["name", "g", "last-delivered-id", "2-1", "entries-read", 2, "lag", 1,
                      "pel-count", 2, "pending", g[11]]
    assert [(p[0], p[1], p[3]) for p in g[11]] == [("1-1", "a", 1), ("2-1", "a", 1)]
    assert all(t0 <= p[2] <= t1 + 1 for p in g[11])
    c = g[13][0]
    assert c[:4] == ["name", "a", "seen-time", c[3]] and t0 <= c[3] <= t1 + 1
    assert c[4:7] == ["pel-count", 2, "pending"]
    assert [(p[0], p[2]) for p in c[7]] == [("1-1", 1), ("2-1", 1)]
    assert h == ["name", "h", "last-delivered-id", "3-1", "entries-read", None, "lag", 0,
                 "pel-count", 0, "pending", [], "consumers", []]
    one = val(raw, "XINFO", "STREAM", "s", "FULL", "COUNT", "1")[17][0]
    assert len(one[11]) == 1 and len(one[13][0][7]) == 1
    r3 = raw3.raw("XINFO", "STREAM", "s", "FULL")
    assert r3.startswith(b"%9\r\n") and r3.count(b"%7\r\n") == 2 and r3.count(b"%4\r\n") == 1
    # Lag: a tombstone after the group's last ID makes it unknown (nil).
    assert raw.raw("XDEL", "s", "3-1") == integer(1)
    assert val(raw, "XINFO", "GROUPS", "s")[0][8:] == ["entries-read", 2, "lag", None]
    assert raw.raw("XADD", "s", "4-1", "f", "v4") == bulk("4-1")
    assert raw.raw("XGROUP", "SETID", "s", "g", "1-1") == OK
    assert val(raw, "XINFO", "GROUPS", "s")[0][8:] == ["entries-read", None, "lag", None]
    assert raw.raw("XGROUP", "SETID", "s", "g", "0") == OK
    assert val(raw, "XINFO", "GROUPS", "s")[0][8:] == ["entries-read", None, "lag", None]
    assert raw.raw("XGROUP", "SETID", "s", "g", "4-1") == OK
    assert val(raw, "XINFO", "GROUPS", "s")[0][8:] == ["entries-read", None, "lag", 0]
    # Past the last tombstone the counter just counts on (Redis's quirk:
    # the deleted 3-1 is never subtracted, so the lag stays 1).
    assert raw.raw("XGROUP", "SETID", "s", "g", "2-1", "ENTRIESREAD", "2") == OK
    assert raw.raw("XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">")[:1] == b"*"
    assert val(raw, "XINFO", "GROUPS", "s")[0][8:] == ["entries-read", 3, "lag", 1]
    # An emptied stream.
    assert raw.raw("XDEL", "s", "1-1", "2-1", "4-1") == integer(3)
    assert raw.raw("XGROUP", "SETID", "s", "h", "0") == OK
    assert val(raw, "XINFO", "GROUPS", "s")[1][8:] == ["entries-read", None, "lag", 0]
    assert raw.raw("XGROUP", "SETID", "s", "h", "5-1") == OK
    assert val(raw, "XINFO", "GROUPS", "s")[1][8:] == ["entries-read", None, "lag", None]


def test_xinfo_help_lists_groups(raw):
    lines = val(raw, "XINFO", "HELP")
    assert "GROUPS <key>" in lines and "CONSUMERS <key> <groupname>" in lines


# ---------------------------------------- keyspace, WATCH, dirty, DUMP


def setup_group():
    return [["XADD", "{t}s", "1-1", "a", "1"], ["XADD", "{t}s", "2-1", "b", "2"],
            ["XGROUP", "CREATE", "{t}s", "g", "0"],
            ["XREADGROUP", "GROUP", "g", "c1", "COUNT", "1", "STREAMS", "{t}s", ">"]]


@pytest.mark.parametrize("cmd,dirtied", [
    (("XGROUP", "CREATE", "{t}s", "g2", "0"), False),
    (("XGROUP", "CREATE", "{t}s2", "g2", "0", "MKSTREAM"), True),
    (("XGROUP", "SETID", "{t}s", "g", "0"), False),
    (("XGROUP", "DESTROY", "{t}s", "g"), False),
    (("XGROUP", "CREATECONSUMER", "{t}s", "g", "c2"), False),
    (("XGROUP", "DELCONSUMER", "{t}s", "g", "c1"), False),
    (("XREADGROUP", "GROUP", "g", "new", "STREAMS", "{t}s", ">"), False),
    (("XACK", "{t}s", "g", "1-1"), False),
    (("XCLAIM", "{t}s", "g", "new", "0", "1-1"), False),
    (("XAUTOCLAIM", "{t}s", "g", "new", "0", "0"), False),
], ids=lambda v: "-".join(v[:2]) if isinstance(v, tuple) else str(v))
def test_watch(connect, cmd, dirtied):
    assert watch_dirtied(connect, setup_group(), cmd, ["{t}s", "{t}s2"]) is dirtied


@pytest.mark.parametrize("cmd,events,dirty", [
    (("XGROUP", "CREATE", "{t}s", "g2", "0"), ["xgroup-create"], 1),
    (("XGROUP", "CREATE", "{t}s", "g", "0"), [], 0),
    (("XGROUP", "SETID", "{t}s", "g", "0"), ["xgroup-setid"], 1),
    (("XGROUP", "DESTROY", "{t}s", "g"), ["xgroup-destroy"], 1),
    (("XGROUP", "DESTROY", "{t}s", "nog"), [], 0),
    (("XGROUP", "CREATECONSUMER", "{t}s", "g", "c2"), ["xgroup-createconsumer"], 1),
    (("XGROUP", "CREATECONSUMER", "{t}s", "g", "c1"), [], 0),
    (("XGROUP", "DELCONSUMER", "{t}s", "g", "c1"), ["xgroup-delconsumer"], 1),
    (("XGROUP", "DELCONSUMER", "{t}s", "g", "zz"), [], 0),
    (("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "{t}s", ">"), [], 1),
    (("XREADGROUP", "GROUP", "g", "new", "STREAMS", "{t}s", ">"), ["xgroup-createconsumer"], 2),
    (("XREADGROUP", "GROUP", "g", "new", "STREAMS", "{t}s", "0"), ["xgroup-createconsumer"], 2),
    (("XACK", "{t}s", "g", "1-1"), [], 1),
    (("XACK", "{t}s", "g", "9-1"), [], 0),
    (("XCLAIM", "{t}s", "g", "new", "0", "1-1"), ["xgroup-createconsumer"], 2),
    (("XCLAIM", "{t}s", "g", "new", "0", "2-1"), [], 0),
    (("XCLAIM", "{t}s", "g", "new", "0", "2-1", "FORCE"), ["xgroup-createconsumer"], 2),
    (("XCLAIM", "{t}s", "g", "c1", "0", "5-1", "LASTID", "9-9"), [], 1),
    (("XAUTOCLAIM", "{t}s", "g", "c1", "0", "0"), [], 1),
], ids=lambda v: "-".join(v[:3]) if isinstance(v, tuple) else str(v))
def test_events_and_dirty(server, connect, cmd, events, dirty):
    c = connect(2)
    for args in setup_group():
        c.value(*args)
    with keyspace_events(server, "KEA") as ev:
        before = int(info_fields(c, "persistence")["rdb_changes_since_last_save"])
        got = ev.run(cmd)
        after = int(info_fields(c, "persistence")["rdb_changes_since_last_save"])
    assert [e for ch, e in got if ch.startswith("__keyspace")] == events
    assert after - before - 1 == dirty   # the marker's SET counts one


def test_dump_restore_digest(raw):
    fill(raw, "{t}s")
    d0 = raw.raw("DEBUG", "DIGEST-VALUE", "{t}s")
    assert raw.raw("XGROUP", "CREATE", "{t}s", "g", "0", "ENTRIESREAD", "0") == OK
    assert raw.raw("XGROUP", "CREATE", "{t}s", "123", "$") == OK
    assert raw.raw("XREADGROUP", "GROUP", "g", "a", "COUNT", "2", "STREAMS", "{t}s", ">")[:1] \
        == b"*"
    assert raw.raw("XGROUP", "CREATECONSUMER", "{t}s", "g", "empty") == integer(1)
    assert raw.raw("DEBUG", "DIGEST-VALUE", "{t}s") == d0   # groups are not digested
    full = raw.raw("XINFO", "STREAM", "{t}s", "FULL")
    payload = raw.value("DUMP", "{t}s")
    assert raw.raw("RESTORE", "{t}r", "0", payload) == OK
    assert raw.raw("XINFO", "STREAM", "{t}r", "FULL") == full
    assert raw.raw("COPY", "{t}s", "{t}c") == integer(1)
    assert raw.raw("XINFO", "STREAM", "{t}c", "FULL") == full
    assert raw.raw("XACK", "{t}c", "g", "1-1") == integer(1)
    assert raw.raw("XINFO", "STREAM", "{t}s", "FULL") == full      # a deep copy
    assert raw.raw("DEL", "{t}s", "{t}r", "{t}c") == integer(3)
