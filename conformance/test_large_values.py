"""Big string values (16 KiB and more). kevy sends them from where they are
stored instead of copying them into the reply, so every reply must still
carry the bytes the value had when its command ran, whatever happens to the
key afterwards: on the client's own shard and on another one, with partial
writes to a slow reader, inside MULTI and scripts, with CLIENT REPLY, and
when the client vanishes before reading."""

import socket
import time

import pytest

from helpers import OK, bulk, integer, key_in_quarter, quarter_keys, rss_bytes
from persist_helpers import persist_servers
from resp_client import RespClient, encode

BIG = 100 * 1024
NIL = b"$-1\r\n"


@pytest.fixture
def persist():
    yield from persist_servers()


def val(tag, n=BIG):
    return (tag * (n // len(tag) + 1))[:n]


@pytest.mark.parametrize("key", quarter_keys("big:"))
def test_a_reply_keeps_the_value_its_command_read(raw, key):
    a, b = val(b"a1"), val(b"b2")
    assert raw.raw("SET", key, a) == OK
    replies = [wire for _, wire in raw.pipeline([
        ["GET", key], ["APPEND", key, "xyz"], ["GET", key],
        ["SETRANGE", key, 0, "Z"], ["GET", key],
        ["SETBIT", key, 7, 1], ["GET", key],
        ["GETSET", key, b], ["SET", key, a, "GET"], ["GETEX", key, "PX", 100000],
        ["GETDEL", key], ["GET", key]])]
    appended = a + b"xyz"
    ranged = b"Z" + appended[1:]
    bit = bytes([ranged[0] | 1]) + ranged[1:]
    assert replies == [
        bulk(a), integer(BIG + 3), bulk(appended),
        integer(BIG + 3), bulk(ranged),
        integer(0), bulk(bit),
        bulk(bit), bulk(b), bulk(a),
        bulk(a), NIL]


def test_mget_and_resp3_send_every_big_value(connect):
    keys = quarter_keys("mbig:") + ["{mb}1", "{mb}2"]
    values = [val(b"%d" % i, BIG + i) for i in range(len(keys))]
    c2, c3 = connect(2), connect(3)
    for k, v in zip(keys, values):
        assert c2.raw("SET", k, v) == OK
    assert c2.raw("MGET", *keys) == b"*%d\r\n" % len(keys) + b"".join(bulk(v) for v in values)
    assert c2.raw("MGET", "{mb}1", "{mb}2") == b"*2\r\n" + bulk(values[-2]) + bulk(values[-1])
    for k, v in zip(keys, values):
        assert c3.raw("GET", k) == bulk(v)


def test_multi_and_scripts_see_the_value_of_their_turn(raw):
    a = val(b"m")
    assert raw.raw("SET", "{mx}k", a) == OK
    assert raw.raw("MULTI") == OK
    for cmd in (["GET", "{mx}k"], ["APPEND", "{mx}k", "!"], ["GET", "{mx}k"], ["DEL", "{mx}k"]):
        assert raw.raw(*cmd) == b"+QUEUED\r\n"
    assert raw.raw("EXEC") == b"*4\r\n" + bulk(a) + integer(BIG + 1) + bulk(a + b"!") + integer(1)
    assert raw.raw("SET", "{mx}k", a) == OK
    assert raw.raw("EVAL", "return redis.call('GET', KEYS[1])", 1, "{mx}k") == bulk(a)
    assert raw.raw("EVAL", "local v = redis.call('GET', KEYS[1]); redis.call('DEL', KEYS[1]);"
                   " return v", 1, "{mx}k") == bulk(a)


@pytest.mark.parametrize("key", quarter_keys("rbig:"))
def test_client_reply_skip_and_off_drop_big_replies(raw, key):
    a = val(b"r")
    assert raw.raw("SET", key, a) == OK
    raw.send_many([["CLIENT", "REPLY", "SKIP"], ["GET", key], ["GET", key],
                   ["CLIENT", "REPLY", "OFF"], ["GET", key], ["APPEND", key, "q"], ["GET", key],
                   ["CLIENT", "REPLY", "ON"], ["STRLEN", key]])
    assert [v for v, _ in raw.read_many(3)] == [a, "OK", BIG + 1]


@pytest.mark.parametrize("key", quarter_keys("sbig:"))
def test_a_slow_reader_gets_every_byte_while_the_key_changes(server, raw, key):
    # A small receive window makes the server write each reply in many
    # pieces; meanwhile another client rewrites and deletes the key.
    big = 1024 * 1024
    a = val(b"slow", big)
    assert raw.raw("SET", key, a) == OK
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
    s.connect((server.host, server.port))
    slow = RespClient.from_socket(s, timeout=30)
    cmds = []
    for i in range(6):
        cmds += [["GET", key], ["PING"], ["ECHO", "e%d" % i]]
    slow.send_many(cmds)
    time.sleep(0.2)  # the server is stuck writing the first replies
    assert raw.raw("SET", key, val(b"new", big)) == OK
    assert raw.raw("APPEND", key, "tail") == integer(big + 4)
    assert raw.raw("DEL", key) == integer(1)
    got = [v for v, _ in slow.read_many(len(cmds))]
    want = []
    for i in range(6):
        want += [a, "PONG", b"e%d" % i]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g == w
    slow.close()


@pytest.mark.parametrize("key", quarter_keys("vbig:"))
def test_a_client_that_vanishes_mid_reply_leaves_the_server_whole(server, raw, key):
    a = val(b"v", 1024 * 1024)
    assert raw.raw("SET", key, a) == OK
    for how in ("close", "reset"):
        s = socket.create_connection((server.host, server.port))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
        if how == "reset":  # an RST instead of a FIN
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.sendall(encode(["GET", key]) * 20)
        s.recv(1000)
        time.sleep(0.05)
        s.close()
        assert raw.raw("APPEND", key, "x") == integer(len(a) + 1)
        a += b"x"
    assert raw.raw("DEL", key) == integer(1)
    assert raw.raw("PING") == b"+PONG\r\n"


def _send_slowly(sock, data, piece):
    for i in range(0, len(data), piece):
        sock.sendall(data[i:i + piece])
        time.sleep(0.001)


@pytest.mark.parametrize("piece", [1000, 70000])
def test_big_arguments_arriving_in_pieces_are_stored_whole(server, raw, piece):
    # Values of 32 KB and more are read straight into the memory that keeps
    # them: with options after them, several in one command, on every
    # shard, in a pipeline whose commands wait for each other.
    keys = quarter_keys("in:")
    vals = [val(b"%d" % i, 40000 + 17 * i) for i in range(len(keys))]
    cmds = []
    for k, v in zip(keys, vals):
        cmds += [["SET", k, v, "EX", 1000], ["STRLEN", k]]
    cmds += [["MSET", "{in}a", vals[0], "{in}b", vals[1]], ["SETEX", "{in}c", 100, vals[2]],
             ["SET", "{in}d", vals[3], "GET"], ["GETSET", "{in}d", vals[2]], ["PING"]]
    s = socket.create_connection((server.host, server.port))
    c = RespClient.from_socket(s, timeout=30)
    _send_slowly(s, b"".join(encode(cmd) for cmd in cmds), piece)
    got = [w for _, w in c.read_many(len(cmds))]
    want = []
    for v in vals:
        want += [OK, integer(len(v))]
    want += [OK, OK, NIL, bulk(vals[3]), b"+PONG\r\n"]
    assert got == want
    for k, v in zip(keys, vals):
        assert raw.raw("GET", k) == bulk(v)
        assert 0 < raw.value("TTL", k) <= 1000
    assert raw.raw("MGET", "{in}a", "{in}b", "{in}c", "{in}d") == (
        b"*4\r\n" + bulk(vals[0]) + bulk(vals[1]) + bulk(vals[2]) + bulk(vals[2]))
    # The stored value is written to without touching what a reply sent.
    assert raw.raw("APPEND", keys[0], "!") == integer(len(vals[0]) + 1)
    assert raw.raw("GET", keys[0]) == bulk(vals[0] + b"!")
    c.close()


@pytest.mark.parametrize("key", quarter_keys("gone:"))
def test_a_client_that_vanishes_mid_argument_leaves_nothing(server, raw, key):
    cmd = encode(["SET", key, val(b"z", 100000)])
    for sent in (40, 20000, len(cmd) - 3):  # the header, some, all but the CRLF
        s = socket.create_connection((server.host, server.port))
        s.sendall(cmd[:sent])
        time.sleep(0.05)
        s.close()
    assert raw.raw("EXISTS", key) == integer(0)
    assert raw.raw("SET", key, val(b"w")) == OK
    assert raw.raw("GET", key) == bulk(val(b"w"))


@pytest.mark.restart
def test_a_big_argument_counts_toward_the_query_buffer_limit(server_factory):
    srv = server_factory("--client-query-buffer-limit", "1mb")
    with RespClient(srv.host, srv.port) as c:
        assert c.raw("SET", "fits", val(b"f", 900 * 1024)) == OK
        assert c.raw("GET", "fits") == bulk(val(b"f", 900 * 1024))
    s = socket.create_connection((srv.host, srv.port))
    c = RespClient.from_socket(s)
    try:
        s.sendall(encode(["SET", "big", val(b"b", 3 * 1024 * 1024)]))
    except OSError:
        pass
    assert c.is_closed()
    with RespClient(srv.host, srv.port) as c:
        assert c.raw("EXISTS", "big") == integer(0)


@pytest.mark.restart
@pytest.mark.parametrize("key", [key_in_quarter("nr:", 0), key_in_quarter("nr:", 3)])
def test_a_client_that_does_not_read_big_replies_stays_bounded(server_factory, key):
    # No output limit (the default). kevy stops parsing a client's input
    # while 4 MiB of its replies wait, spans counted, and sends big values
    # from where they are stored, so the server barely grows; Redis buffers
    # every reply (the memory check is kevy's alone). Either way each reply
    # is whole, and once one shows the new value no later one shows the old.
    srv = server_factory()
    big = 1024 * 1024
    old, new, n = val(b"old", big), val(b"new", big), 100
    with RespClient(srv.host, srv.port) as c:
        assert c.raw("SET", key, old) == OK
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
        s.connect((srv.host, srv.port))
        base = rss_bytes(srv.pid)
        s.sendall(encode(["GET", key]) * n)
        time.sleep(1.0)
        if srv.impl == "kevy":
            grown = rss_bytes(srv.pid) - base
            assert grown < 64 * 1024 * 1024, "server grew by %d MB" % (grown >> 20)
        assert c.raw("SET", key, new) == OK
        assert c.raw("DEL", key) == integer(1)
        reader = RespClient.from_socket(s, timeout=60)
        got = [v for v, _ in reader.read_many(n)]
        assert got[0] == old
        seen_new = False
        for g in got:
            assert g in (old, new, None)
            if g != old:
                seen_new = True
            assert not (seen_new and g == old)
        reader.close()


@pytest.mark.restart
@pytest.mark.parametrize("fmt", ["aof", "rdb"])
def test_big_values_kept_without_a_copy_are_persisted(persist, fmt):
    # A value read straight into its memory, on the client's shard or sent
    # to another by reference, is what the AOF logs and a save writes.
    d = persist.dir()
    flags = ("--appendonly", "yes") if fmt == "aof" else ("--appendonly", "no")
    srv = persist.start(d, *flags)
    keys = quarter_keys("p:")
    vals = [val(b"p%d" % i, 40000 + 1000 * i) for i in range(len(keys))]
    s = socket.create_connection((srv.host, srv.port))
    c = RespClient.from_socket(s, timeout=30)
    cmds = [["SET", k, v] for k, v in zip(keys, vals)] + [["APPEND", keys[0], "+"]]
    _send_slowly(s, b"".join(encode(cmd) for cmd in cmds), 3000)
    assert [w for _, w in c.read_many(len(cmds))] == [OK] * len(keys) + [integer(len(vals[0]) + 1)]
    c.close()
    persist.shutdown(srv, "SAVE" if fmt == "rdb" else "NOSAVE")
    srv = persist.start(d, *flags)
    c = persist.client(srv)
    assert c.raw("GET", keys[0]) == bulk(vals[0] + b"+")
    for k, v in zip(keys[1:], vals[1:]):
        assert c.raw("GET", k) == bulk(v)
