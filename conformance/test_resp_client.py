"""Self-test of the raw client's decoder on canned bytes (no server needed):
every RESP2/RESP3 type decodes to its own Python type, raw bytes are exact."""

import math
import socket

import pytest

from resp_client import (BigNum, Double, Map, Push, RespClient, RespError, RSet, ServerClosed,
                         Verbatim, encode)


@pytest.fixture
def pair():
    a, b = socket.socketpair()
    client = RespClient.from_socket(a, timeout=2)
    yield client, b
    client.close()
    b.close()


CASES = [
    (b"+OK\r\n", "OK", str),
    (b"-ERR bad\r\n", RespError("ERR bad"), RespError),
    (b"!9\r\nERR b\r\nad\r\n", RespError("ERR b\r\nad"), RespError),
    (b":-42\r\n", -42, int),
    (b"$5\r\nhe\r\nl\r\n", b"he\r\nl", bytes),
    (b"$0\r\n\r\n", b"", bytes),
    (b"$-1\r\n", None, type(None)),
    (b"*-1\r\n", None, type(None)),
    (b"_\r\n", None, type(None)),
    (b"*2\r\n:1\r\n$1\r\na\r\n", [1, b"a"], list),
    (b"%2\r\n$1\r\na\r\n:1\r\n*1\r\n:2\r\n#t\r\n", {b"a": 1, (2,): True}, Map),
    (b"~2\r\n+b\r\n+a\r\n", ["b", "a"], RSet),
    (b">2\r\n$7\r\nmessage\r\n$1\r\nx\r\n", [b"message", b"x"], Push),
    (b",3.5\r\n", 3.5, Double),
    (b",-inf\r\n", -math.inf, Double),
    (b"#f\r\n", False, bool),
    (b"(12345678901234567890123\r\n", 12345678901234567890123, BigNum),
    (b"=8\r\ntxt:ab\r\n\r\n", b"ab\r\n", Verbatim),
]


@pytest.mark.parametrize("wire,value,kind", CASES, ids=[repr(c[0][:12]) for c in CASES])
def test_decode(pair, wire, value, kind):
    client, server = pair
    server.sendall(wire)
    got, raw = client.read()
    assert type(got) is kind
    assert got == value
    assert raw == wire
    assert client.pending() == b""


def test_verbatim_format(pair):
    client, server = pair
    server.sendall(b"=7\r\nmkd:# x\r\n")
    got, _ = client.read()
    assert got.format == b"mkd" and got == b"# x"


def test_attribute_is_skipped(pair):
    client, server = pair
    wire = b"|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n"
    server.sendall(wire)
    assert client.read() == (b"v", wire)


def test_split_delivery_and_pipelining(pair):
    client, server = pair
    wire = b"+A\r\n$3\r\nbcd\r\n*1\r\n:9\r\n"
    for i in range(len(wire)):
        server.sendall(wire[i:i + 1])
    assert client.read_many(3) == [("A", b"+A\r\n"), (b"bcd", b"$3\r\nbcd\r\n"),
                                   ([9], b"*1\r\n:9\r\n")]


def test_large_pipelined_replies_keep_raw_bytes(pair):
    client, server = pair
    big = b"x" * 100000
    wire = b"".join(b"$%d\r\n%s\r\n" % (len(big), big) for _ in range(5))
    sender = __import__("threading").Thread(target=server.sendall, args=(wire,))
    sender.start()
    for _ in range(5):
        got, raw = client.read()
        assert got == big and raw == b"$100000\r\n" + big + b"\r\n"
    sender.join()


def test_close_detection(pair):
    client, server = pair
    server.sendall(b"+OK\r\n")
    server.close()
    assert client.read()[0] == "OK"
    assert client.is_closed(timeout=1)
    with pytest.raises(ServerClosed):
        client.read()


def test_open_connection_is_not_closed(pair):
    client, _ = pair
    assert client.is_closed(timeout=0.1) is False


def test_encode():
    assert encode(["SET", b"k\x00", 5]) == b"*3\r\n$3\r\nSET\r\n$2\r\nk\x00\r\n$1\r\n5\r\n"
    assert encode([]) == b"*0\r\n"
