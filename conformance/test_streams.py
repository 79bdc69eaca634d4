"""Streams without consumer groups: XADD (NOMKSTREAM, MAXLEN/MINID with = and
~, LIMIT, explicit, "ms-*" and "*" IDs), XRANGE/XREVRANGE (exclusive and
incomplete IDs, COUNT), XLEN, XDEL, XTRIM, XSETID, XREAD without BLOCK
(keys spread over the shards), XINFO STREAM (FULL too) and HELP, and the
type's place in the keyspace (TYPE, OBJECT ENCODING, DUMP/RESTORE, COPY,
RENAME, DEBUG DIGEST-VALUE, SCAN TYPE). Exact bytes in RESP2 and RESP3;
explicit IDs keep every reply deterministic."""

import pytest

from helpers import (NIL, NOT_INT, NULL3, OK, SYNTAX, arity_err, array, bulk, err, integer,
                     spread_keys)

WRONGTYPE = err("WRONGTYPE Operation against a key holding the wrong kind of value")
BADID = err("ERR Invalid stream ID specified as stream command argument")
SMALLER = err("ERR The ID specified in XADD is equal or smaller than the target stream top item")


def entry(eid, *fv):
    return array(bulk(eid), array(*[bulk(x) for x in fv]))


def fill(raw, key="s", n=5):
    for i in range(1, n + 1):
        assert raw.raw("XADD", key, "%d-1" % i, "f", "v%d" % i) == bulk("%d-1" % i)


# ----------------------------------------------------------------- XADD


def test_xadd_ids(raw):
    assert raw.raw("XADD", "s", "1-1", "a", "1", "b", "2") == bulk("1-1")
    assert raw.raw("XADD", "s", "1-*", "a", "3") == bulk("1-2")
    assert raw.raw("XADD", "s", "5", "a", "5") == bulk("5-0")
    assert raw.raw("XADD", "s", "5-*", "a", "5") == bulk("5-1")
    assert raw.raw("XADD", "s", "1-1", "a", "5") == SMALLER
    assert raw.raw("XADD", "s", "5-1", "a", "5") == SMALLER
    assert raw.raw("XADD", "s", "0-0", "a", "5") == err(
        "ERR The ID specified in XADD must be greater than 0-0")
    assert raw.raw("XADD", "s2", "0-*", "a", "5") == bulk("0-1")
    for bad in ("abc", "1-x", "-1", "1-2-3", "(1"):
        assert raw.raw("XADD", "s", bad, "a", "b") == BADID, bad
    assert raw.raw("XADD", "s", "+6", "a", "b") == bulk("6-0")   # strtoull's rules
    assert raw.raw("XADD", "s", "007-9", "a", "b") == bulk("7-9")
    auto = raw.value("XADD", "s", "*", "a", "b")
    ms, seq = auto.split(b"-")
    assert int(ms) > 1600000000000 and seq == b"0"
    assert raw.raw("XLEN", "s") == integer(7)
    assert raw.raw("XADD", "m", "18446744073709551615-18446744073709551615", "a", "b") == \
        bulk("18446744073709551615-18446744073709551615")
    assert raw.raw("XADD", "m", "*", "a", "b") == err(
        "ERR The stream has exhausted the last possible ID, unable to add more items")


def test_xadd_arguments(raw):
    assert raw.raw("XADD", "s", "1-1", "a") == arity_err("xadd")
    assert raw.raw("XADD", "s", "1-1", "a", "b", "c") == arity_err("xadd")
    assert raw.raw("XADD", "s", "NOMKSTREAM", "1-1") == arity_err("xadd")
    assert raw.raw("XADD", "s", "NOMKSTREAM", "1-1", "a", "b") == NIL
    assert raw.raw("EXISTS", "s") == integer(0)
    assert raw.raw("XADD", "s", "MAXLEN", "2", "MINID", "1", "1-1", "a", "b") == err(
        "ERR syntax error, MAXLEN and MINID options at the same time are not compatible")
    assert raw.raw("XADD", "s", "LIMIT", "4", "1-1", "a", "b") == err(
        "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy")
    assert raw.raw("XADD", "s", "MAXLEN", "=", "4", "LIMIT", "3", "1-1", "a", "b") == err(
        "ERR syntax error, LIMIT cannot be used without the special ~ option")
    assert raw.raw("XADD", "s", "MAXLEN", "-1", "1-1", "a", "b") == err(
        "ERR The MAXLEN argument must be >= 0.")
    assert raw.raw("XADD", "s", "MAXLEN", "x", "1-1", "a", "b") == NOT_INT
    assert raw.raw("XADD", "s", "MAXLEN", "~", "1", "LIMIT", "-1", "1-1", "a", "b") == err(
        "ERR The LIMIT argument must be >= 0.")
    assert raw.raw("XADD", "s", "MINID", "x", "1-1", "a", "b") == BADID
    assert raw.raw("SET", "str", "x") == OK
    assert raw.raw("XADD", "str", "*", "a", "b") == WRONGTYPE
    assert raw.raw("XADD", "str", "0-0", "a", "b") == err(
        "ERR The ID specified in XADD must be greater than 0-0")


def test_xadd_trims(raw):
    fill(raw, n=10)
    assert raw.raw("XADD", "s", "MAXLEN", "3", "11-1", "f", "v11") == bulk("11-1")
    assert raw.raw("XRANGE", "s", "-", "+") == array(
        entry("9-1", "f", "v9"), entry("10-1", "f", "v10"), entry("11-1", "f", "v11"))
    assert raw.raw("XADD", "s", "MINID", "=", "11", "12-1", "f", "v12") == bulk("12-1")
    assert raw.raw("XLEN", "s") == integer(2)
    # ~ removes whole nodes only: one node of 100 entries stays.
    assert raw.raw("XADD", "s", "MAXLEN", "~", "1", "13-1", "f", "v13") == bulk("13-1")
    assert raw.raw("XLEN", "s") == integer(3)


def test_xadd_resp3(raw3):
    assert raw3.raw("XADD", "s", "NOMKSTREAM", "1-1", "a", "b") == NULL3
    assert raw3.raw("XADD", "s", "1-1", "a", "b") == bulk("1-1")


# ----------------------------------------------------------------- XRANGE


def test_xrange(raw):
    fill(raw)
    assert raw.raw("XRANGE", "s", "-", "+", "COUNT", "2") == array(
        entry("1-1", "f", "v1"), entry("2-1", "f", "v2"))
    assert raw.raw("XREVRANGE", "s", "+", "-", "COUNT", "2") == array(
        entry("5-1", "f", "v5"), entry("4-1", "f", "v4"))
    assert raw.raw("XRANGE", "s", "(1-1", "(3-1") == array(entry("2-1", "f", "v2"))
    assert raw.raw("XRANGE", "s", "2", "3") == array(entry("2-1", "f", "v2"),
                                                     entry("3-1", "f", "v3"))
    assert raw.raw("XREVRANGE", "s", "(4", "(2-1") == array(entry("4-1", "f", "v4"),
                                                           entry("3-1", "f", "v3"))
    assert raw.raw("XREVRANGE", "s", "(4-1", "(2-1") == array(entry("3-1", "f", "v3"))
    assert raw.raw("XRANGE", "s", "4-2", "+", "count", "-5") == NIL.replace(b"$", b"*")
    assert raw.raw("XRANGE", "s", "-", "+", "COUNT", "0") == b"*-1\r\n"
    assert raw.raw("XRANGE", "nokey", "-", "+", "COUNT", "0") == b"*0\r\n"
    assert raw.raw("XRANGE", "s", "9", "+") == b"*0\r\n"
    assert raw.raw("XRANGE", "s", "(-", "+") == BADID
    assert raw.raw("XRANGE", "s", "-", "(+") == BADID
    assert raw.raw("XRANGE", "s", "(18446744073709551615-18446744073709551615", "+") == err(
        "ERR invalid start ID for the interval")
    assert raw.raw("XRANGE", "s", "-", "(0-0") == err("ERR invalid end ID for the interval")
    assert raw.raw("XRANGE", "s", "-", "+", "COUNT") == SYNTAX
    assert raw.raw("XRANGE", "s", "-", "+", "COUNT", "x") == NOT_INT
    assert raw.raw("XRANGE", "s", "x", "+") == BADID
    assert raw.raw("SET", "str", "x") == OK
    assert raw.raw("XRANGE", "str", "-", "+") == WRONGTYPE
    assert raw.raw("XRANGE", "str", "x", "+") == BADID


def test_xrange_fields_and_integers(raw, raw3):
    assert raw.raw("XADD", "s", "1-1", "a", "1", "b", "-20") == bulk("1-1")
    assert raw.raw("XADD", "s", "2-1", "a", "2", "b", "3") == bulk("2-1")   # same fields
    assert raw.raw("XADD", "s", "3-1", "b", "x", "a", "12345678901") == bulk("3-1")
    want = array(entry("1-1", "a", "1", "b", "-20"), entry("2-1", "a", "2", "b", "3"),
                 entry("3-1", "b", "x", "a", "12345678901"))
    assert raw.raw("XRANGE", "s", "-", "+") == want
    assert raw3.raw("XRANGE", "s", "-", "+") == want


# ----------------------------------------------------------------- XDEL, XLEN


def test_xdel_xlen(raw):
    assert raw.raw("XLEN", "s") == integer(0)
    assert raw.raw("XDEL", "s", "bad") == integer(0)      # no key: IDs not parsed
    fill(raw)
    assert raw.raw("XDEL", "s", "2-1", "bad") == BADID
    assert raw.raw("XLEN", "s") == integer(5)
    assert raw.raw("XDEL", "s", "2-1", "2-1", "9-9", "1") == integer(1)
    assert raw.raw("XDEL", "s", "1-1", "3-1", "4-1", "5-1") == integer(4)
    assert raw.raw("XLEN", "s") == integer(0)
    assert raw.raw("EXISTS", "s") == integer(1)           # an empty stream stays
    assert raw.raw("TYPE", "s") == b"+stream\r\n"
    assert raw.raw("SET", "str", "x") == OK
    assert raw.raw("XLEN", "str") == WRONGTYPE
    assert raw.raw("XDEL", "str", "1-1") == WRONGTYPE


# ----------------------------------------------------------------- XTRIM


def test_xtrim(raw):
    assert raw.raw("XTRIM", "s", "MAXLEN", "1") == integer(0)
    fill(raw, n=8)
    assert raw.raw("XTRIM", "s") == arity_err("xtrim")
    assert raw.raw("XTRIM", "s", "LIMIT", "1") == err(
        "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy")
    assert raw.raw("XTRIM", "s", "LIMIT", "0") == err(
        "ERR syntax error, XTRIM must be called with a trimming strategy")
    assert raw.raw("XTRIM", "s", "NOMKSTREAM", "MAXLEN", "1") == SYNTAX
    assert raw.raw("XTRIM", "s", "MAXLEN", "1", "LIMIT", "1") == err(
        "ERR syntax error, LIMIT cannot be used without the special ~ option")
    assert raw.raw("XTRIM", "s", "MAXLEN", "~", "2") == integer(0)   # one node: nothing
    assert raw.raw("XTRIM", "s", "MAXLEN", "=", "6") == integer(2)
    assert raw.raw("XTRIM", "s", "MINID", "5") == integer(2)
    assert raw.raw("XRANGE", "s", "-", "(6-0") == array(entry("5-1", "f", "v5"))
    assert raw.raw("XTRIM", "s", "MAXLEN", "0") == integer(4)
    assert raw.raw("XLEN", "s") == integer(0)


def test_xtrim_approx_whole_nodes(raw):
    assert raw.raw("CONFIG", "SET", "stream-node-max-entries", "3") == OK
    try:
        fill(raw, n=10)           # nodes: 1-3, 4-6, 7-9, 10
        assert raw.raw("XINFO", "STREAM", "s").count(b"radix-tree-keys\r\n:4\r\n") == 1
        assert raw.raw("XTRIM", "s", "MAXLEN", "~", "5") == integer(3)
        assert raw.raw("XTRIM", "s", "MINID", "~", "9", "LIMIT", "2") == integer(0)
        assert raw.raw("XTRIM", "s", "MINID", "~", "9") == integer(3)
        assert raw.raw("XLEN", "s") == integer(4)
    finally:
        raw.raw("CONFIG", "SET", "stream-node-max-entries", "100")


# ----------------------------------------------------------------- XSETID


def test_xsetid(raw):
    assert raw.raw("XSETID", "s", "1-1") == err("ERR no such key")
    fill(raw, n=3)
    assert raw.raw("XSETID", "s", "2-1") == err(
        "ERR The ID specified in XSETID is smaller than the target stream top item")
    assert raw.raw("XSETID", "s", "5", "ENTRIESADDED", "2") == err(
        "ERR The entries_added specified in XSETID is smaller than the target stream length")
    assert raw.raw("XSETID", "s", "5", "ENTRIESADDED", "-1") == err(
        "ERR entries_added must be positive")
    assert raw.raw("XSETID", "s", "5", "MAXDELETEDID", "6") == err(
        "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
    assert raw.raw("XSETID", "s", "5", "FOO", "6") == SYNTAX
    assert raw.raw("XSETID", "s", "+") == BADID
    assert raw.raw("XSETID", "s", "10-5", "ENTRIESADDED", "42", "MAXDELETEDID", "9") == OK
    assert raw.raw("XADD", "s", "10-5", "a", "b") == SMALLER
    assert raw.raw("XADD", "s", "10-*", "a", "b") == bulk("10-6")
    info = raw.raw("XINFO", "STREAM", "s")
    assert b"$17\r\nlast-generated-id\r\n$4\r\n10-6\r\n" in info
    assert b"$20\r\nmax-deleted-entry-id\r\n$3\r\n9-0\r\n" in info
    assert b"$13\r\nentries-added\r\n:43\r\n" in info


# ----------------------------------------------------------------- XREAD


def test_xread(raw, raw3):
    fill(raw, "a", 3)
    fill(raw, "b", 2)
    assert raw.raw("XREAD", "COUNT", "1", "STREAMS", "a", "b", "1-1", "0") == array(
        array(bulk("a"), array(entry("2-1", "f", "v2"))),
        array(bulk("b"), array(entry("1-1", "f", "v1"))))
    assert raw3.raw("XREAD", "COUNT", "1", "STREAMS", "a", "b", "1-1", "0") == (
        b"%2\r\n" + bulk("a") + array(entry("2-1", "f", "v2")) +
        bulk("b") + array(entry("1-1", "f", "v1")))
    assert raw.raw("XREAD", "STREAMS", "a", "none", "b", "0", "0", "$") == array(
        array(bulk("a"), array(*[entry("%d-1" % i, "f", "v%d" % i) for i in (1, 2, 3)])))
    assert raw.raw("XREAD", "STREAMS", "a", "3-1") == b"*-1\r\n"
    assert raw3.raw("XREAD", "STREAMS", "a", "3-1") == NULL3
    assert raw.raw("XREAD", "STREAMS", "a", "b", "0") == err(
        "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be "
        "specified.")
    assert raw.raw("XREAD", "COUNT", "1", "a") == SYNTAX
    assert raw.raw("XREAD", "COUNT", "x", "STREAMS", "a", "0") == NOT_INT
    assert raw.raw("XREAD", "GROUP", "g", "c", "STREAMS", "a", "0") == err(
        "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.")
    assert raw.raw("XREAD", "NOACK", "STREAMS", "a", "0") == err(
        "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.")
    assert raw.raw("XREAD", "STREAMS", "a", ">") == err(
        "ERR The > ID can be specified only when calling XREADGROUP using the GROUP "
        "<group> <consumer> option.")
    assert raw.raw("XREAD", "STREAMS", "a", "b", "0", "x") == BADID
    assert raw.raw("SET", "str", "x") == OK
    assert raw.raw("XREAD", "STREAMS", "a", "str", "x", "0") == BADID
    assert raw.raw("XREAD", "STREAMS", "str", "a", "0", "x") == WRONGTYPE


def test_xread_across_shards(raw):
    keys = spread_keys(16, "xs:")
    for i, k in enumerate(keys):
        assert raw.raw("XADD", k, "%d-1" % (i + 1), "k", k) == bulk("%d-1" % (i + 1))
    ids = ["0"] * len(keys)
    ids[3] = "$"
    want = [array(bulk(k), array(entry("%d-1" % (i + 1), "k", k)))
            for i, k in enumerate(keys) if i != 3]
    assert raw.raw("XREAD", "STREAMS", *keys, *ids) == array(*want)
    assert raw.raw("SET", keys[9], "x") == OK
    assert raw.raw("XREAD", "STREAMS", *keys, *ids) == WRONGTYPE


# ----------------------------------------------------------------- XINFO


def test_xinfo_stream(raw, raw3):
    assert raw.raw("XINFO", "STREAM", "s") == err("ERR no such key")
    assert raw.raw("XADD", "s", "1-1", "a", "1") == bulk("1-1")
    assert raw.raw("XADD", "s", "2-2", "a", "2", "b", "3") == bulk("2-2")
    assert raw.raw("XADD", "s", "3-3", "a", "3") == bulk("3-3")
    assert raw.raw("XDEL", "s", "3-3") == integer(1)
    head = [bulk("length"), integer(2), bulk("radix-tree-keys"), integer(1),
            bulk("radix-tree-nodes"), integer(2), bulk("last-generated-id"), bulk("3-3"),
            bulk("max-deleted-entry-id"), bulk("3-3"), bulk("entries-added"), integer(3),
            bulk("recorded-first-entry-id"), bulk("1-1")]
    tail = [bulk("groups"), integer(0), bulk("first-entry"), entry("1-1", "a", "1"),
            bulk("last-entry"), entry("2-2", "a", "2", "b", "3")]
    assert raw.raw("XINFO", "STREAM", "s") == array(*(head + tail))
    assert raw3.raw("XINFO", "STREAM", "s") == b"%10\r\n" + b"".join(head + tail)
    full = head + [bulk("entries"), array(entry("1-1", "a", "1")), bulk("groups"), array()]
    assert raw.raw("XINFO", "STREAM", "s", "FULL", "COUNT", "1") == array(*full)
    assert raw.raw("XINFO", "STREAM", "s", "FULL", "COUNT", "x") == NOT_INT
    assert raw.raw("XINFO", "STREAM", "s", "FULL", "x", "1") == err(
        "ERR unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP.")
    assert raw.raw("XINFO", "STREAM", "s", "x") == err(
        "ERR unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP.")
    assert raw.raw("XDEL", "s", "1-1", "2-2") == integer(2)
    empty = raw.raw("XINFO", "STREAM", "s")
    assert empty.endswith(bulk("first-entry") + NIL + bulk("last-entry") + NIL)
    assert b"recorded-first-entry-id\r\n$3\r\n0-0\r\n" in empty
    assert raw.raw("SET", "str", "x") == OK
    assert raw.raw("XINFO", "STREAM", "str") == WRONGTYPE


def test_xinfo_help(raw):
    lines = raw.value("XINFO", "HELP")
    assert lines[0] == "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert len(lines) == 9 and lines[-1] == "    Prints this help."
    assert raw.raw("XINFO") == arity_err("xinfo")


# ----------------------------------------------------------------- keyspace


def test_stream_in_the_keyspace(raw):
    fill(raw, "{s}a", 3)
    assert raw.raw("TYPE", "{s}a") == b"+stream\r\n"
    assert raw.raw("OBJECT", "ENCODING", "{s}a") == bulk("stream")
    assert raw.raw("SCAN", "0", "TYPE", "stream", "COUNT", "1000") == array(
        bulk("0"), array(bulk("{s}a")))
    payload = raw.value("DUMP", "{s}a")
    assert raw.raw("RESTORE", "{s}b", "0", payload) == OK
    assert raw.raw("XRANGE", "{s}b", "-", "+") == raw.raw("XRANGE", "{s}a", "-", "+")
    assert raw.value("DUMP", "{s}b") == payload
    assert raw.raw("RESTORE", "{s}c", "0", payload[:5] + b"\xff" + payload[6:]) == err(
        "ERR DUMP payload version or checksum are wrong")


@pytest.mark.parametrize("cmd", ["COPY", "RENAME"])
def test_copy_rename_across_shards(raw, cmd):
    src, dst = spread_keys(2, "xc:")
    fill(raw, src, 4)
    assert raw.raw("XDEL", src, "2-1") == integer(1)
    want = raw.raw("XINFO", "STREAM", src)
    payload = raw.value("DUMP", src)
    assert raw.raw(cmd, src, dst) in (integer(1), OK)
    assert raw.raw("XINFO", "STREAM", dst) == want
    assert raw.value("DUMP", dst) == payload


def test_digest_value(server_factory):
    from resp_client import RespClient
    srv = server_factory("--enable-debug-command", "yes")
    with RespClient(srv.host, srv.port) as c:
        assert c.raw("XADD", "s", "1-1", "a", "1", "b", "xyz") == bulk("1-1")
        assert c.raw("XADD", "s", "2-5", "c", "2") == bulk("2-5")
        # Redis 7.0.15's value for this stream.
        assert c.raw("DEBUG", "DIGEST-VALUE", "s") == array(
            b"+c130542712d9b3b5fefa3eaf024e84afaa9c48cf\r\n")
        assert c.raw("COPY", "s", "{x}t") == integer(1)
        assert c.raw("DEBUG", "DIGEST-VALUE", "{x}t") == array(
            b"+c130542712d9b3b5fefa3eaf024e84afaa9c48cf\r\n")
