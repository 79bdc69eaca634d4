"""The wire protocol, byte by byte: malformed requests get Redis's exact
"Protocol error" line and the connection is closed (after the replies of the
commands before the bad one); inline commands; limits set by flags."""

import socket
import struct

import pytest

from helpers import NIL, OK, bulk, err, integer


def proto_err(message):
    return err("ERR Protocol error: " + message)


def send(client, payload):
    # The server may close while a long payload is still being sent.
    try:
        client.send_raw(payload)
    except OSError:
        pass


def expect_close(connect, payload, message, before=()):
    c = connect()
    send(c, payload)
    for exp in before:
        assert c.read()[1] == exp
    assert c.read()[1] == proto_err(message)
    assert c.is_closed()
    # The server goes on serving new connections.
    assert connect().raw("PING") == b"+PONG\r\n"


# ------------------------------------------------------------ multibulk errors

@pytest.mark.parametrize("payload", [
    b"*3000000000\r\n",
    b"*abc\r\n",
    b"*\r\n",
    b"*+1\r\n$4\r\nPING\r\n",
    b"*01\r\n$4\r\nPING\r\n",
    b"*1 \r\n$4\r\nPING\r\n",
    b"*1\n$4\r\nPING\r\n",
    b"*99999999999999999999\r\n",
])
def test_invalid_multibulk_length(connect, payload):
    expect_close(connect, payload, "invalid multibulk length")


@pytest.mark.parametrize("payload", [
    b"*1\r\n$abc\r\n",
    b"*1\r\n$-1\r\n",
    b"*1\r\n$\r\n",
    b"*1\r\n$+3\r\nfoo\r\n",
    b"*1\r\n$04\r\nPING\r\n",
    b"*2\r\n$4\r\nPING\r\n$-1\r\n",
    b"*1\r\n$536870913\r\n",  # one byte over the default proto-max-bulk-len (512mb)
])
def test_invalid_bulk_length(connect, payload):
    expect_close(connect, payload, "invalid bulk length")


def test_bulk_of_exactly_512mb_is_accepted_header(connect):
    c = connect()
    c.send_raw(b"*1\r\n$536870912\r\n")
    # Nothing to answer yet: the server waits for the data.
    assert not c.is_closed(timeout=0.3)


def test_expected_dollar(connect):
    expect_close(connect, b"*1\r\nx\r\n", "expected '$', got 'x'")
    expect_close(connect, b"*2\r\n$4\r\nPING\r\n*1\r\n", "expected '$', got '*'")
    expect_close(connect, b"*1\r\n:1\r\n", "expected '$', got ':'")


def test_too_big_mbulk_count_string(connect):
    expect_close(connect, b"*" + b"1" * 70000, "too big mbulk count string")


def test_too_big_bulk_count_string(connect):
    expect_close(connect, b"*1\r\n$" + b"1" * 70000, "too big bulk count string")


def test_error_after_earlier_commands_are_answered(connect, r):
    payload = (b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"
               b"PING\r\n"
               b"*1\r\n$3\r\nGET\r\n"  # arity error, connection stays
               b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
               b"*1\r\nx\r\n"
               b"*3\r\n$3\r\nSET\r\n$5\r\nafter\r\n$1\r\nv\r\n")
    expect_close(connect, payload, "expected '$', got 'x'", before=[
        OK, b"+PONG\r\n", err("ERR wrong number of arguments for 'get' command"), bulk("v")])
    assert r.get("after") is None


# ------------------------------------------------------------ inline errors

@pytest.mark.parametrize("line", [
    b'SET k "abc\r\n',
    b"SET k 'abc\r\n",
    b'SET k "a"b\r\n',
    b"ECHO 'a'b\r\n",
    b'ECHO "\r\n',
])
def test_unbalanced_quotes(connect, line):
    expect_close(connect, line, "unbalanced quotes in request")


def test_too_big_inline_request(connect):
    expect_close(connect, b"x" * 70000, "too big inline request")


def test_inline_error_after_earlier_commands(connect):
    expect_close(connect, b"PING\r\nECHO hi\r\nSET k 'v\r\nPING\r\n",
                 "unbalanced quotes in request", before=[b"+PONG\r\n", bulk("hi")])


# ------------------------------------------------------- ignored requests

@pytest.mark.parametrize("payload", [
    b"*0\r\n", b"*-1\r\n", b"*-5\r\n", b"\r\n", b"\n", b"\r\n\r\n\n", b"   \r\n",
    b"*0\r\n*-1\r\n\r\n\n",
])
def test_empty_requests_are_ignored(raw, payload):
    raw.send_raw(payload + b"PING\r\n")
    assert raw.read()[1] == b"+PONG\r\n"
    assert raw.pending() == b""
    assert raw.raw("PING") == b"+PONG\r\n"


def test_empty_multibulk_between_commands(raw):
    raw.send_raw(b"*1\r\n$4\r\nPING\r\n*0\r\n*1\r\n$4\r\nPING\r\n")
    assert [raw.read()[1] for _ in range(2)] == [b"+PONG\r\n", b"+PONG\r\n"]


# --------------------------------------------------------------- inline

@pytest.mark.parametrize("line,reply", [
    (b"PING\r\n", b"+PONG\r\n"),
    (b"PING\n", b"+PONG\r\n"),
    (b"  PING   \r\n", b"+PONG\r\n"),
    (b"ping hello\r\n", bulk("hello")),
    (b"ECHO\tab\r\n", bulk("ab")),
    (b'ECHO "hello world"\r\n', bulk("hello world")),
    (b'ECHO ""\r\n', bulk("")),
    (b"ECHO ''\r\n", bulk("")),
    (b'ECHO "a\\x41\\n"\r\n', bulk(b"aA\n")),
    (b'ECHO "\\t\\r\\a\\b\\\\\\"\\q"\r\n', bulk(b'\t\r\x07\x08\\"q')),
    (b'ECHO "\\xZZ"\r\n', bulk("xZZ")),
    (b"ECHO 'b\\'c'\r\n", bulk("b'c")),
    (b"ECHO 'a\\nb'\r\n", bulk(b"a\\nb")),
    (b'ECHO a"b c"\r\n', bulk("ab c")),
    (b"ECHO a\rb\r\n", err("ERR wrong number of arguments for 'echo' command")),
    (b'""\r\n', err("ERR unknown command '', with args beginning with: ")),
    (b"$3\r\n", err("ERR unknown command '$3', with args beginning with: ")),
    (b"+PING\r\n", err("ERR unknown command '+PING', with args beginning with: ")),
])
def test_inline_commands(raw, line, reply):
    raw.send_raw(line)
    assert raw.read()[1] == reply
    assert raw.raw("PING") == b"+PONG\r\n"


def test_inline_set_get(raw):
    raw.send_raw(b"SET  k   v\r\nGET k\r\nINCR n\r\nSET \"sp ace\" \"va lue\"\r\n"
                 b"GET \"sp ace\"\r\n")
    assert [raw.read()[1] for _ in range(5)] == [
        OK, bulk("v"), integer(1), OK, bulk("va lue")]


def test_inline_and_multibulk_mixed(raw):
    raw.send_raw(b"*1\r\n$4\r\nPING\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$1\r\nx\r\nECHO y\n")
    assert [raw.read()[1] for _ in range(4)] == [
        b"+PONG\r\n", b"+PONG\r\n", bulk("x"), bulk("y")]


# ------------------------------------------------------------ bulk parsing

def test_bulk_terminator_is_skipped_not_checked(raw):
    # Redis takes the two bytes after a bulk as its CRLF without looking.
    raw.send_raw(b"*2\r\n$4\r\nECHO\r\n$3\r\nabcXY*1\r\n$4\r\nPING\r\n")
    assert [raw.read()[1] for _ in range(2)] == [bulk("abc"), b"+PONG\r\n"]


def test_partial_request_waits(raw):
    raw.send_raw(b"*2\r\n$4\r\nECHO\r\n$5\r\nhel")
    assert not raw.is_closed(timeout=0.2)
    raw.send_raw(b"lo\r\n")
    assert raw.read()[1] == bulk("hello")


def test_empty_bulk_command_name(raw):
    raw.send_raw(b"*1\r\n$0\r\n\r\n")
    assert raw.read()[1] == err("ERR unknown command '', with args beginning with: ")


def test_large_multibulk(raw):
    n = 50000
    payload = b"*%d\r\n$4\r\nMSET\r\n" % (2 * n + 1)
    payload += b"".join(b"$%d\r\nk%d\r\n$1\r\nv\r\n" % (len(b"k%d" % i), i) for i in range(n))
    raw.send_raw(payload)
    assert raw.read()[1] == OK
    assert raw.raw("DBSIZE") == integer(n)


# ----------------------------------------------------- limits set by flags

@pytest.mark.restart
def test_client_query_buffer_limit(server_factory):
    srv = server_factory("--client-query-buffer-limit", "1mb")
    from resp_client import RespClient
    c = RespClient(srv.host, srv.port)
    partial = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3000000\r\n" + b"x" * 2999000
    send(c, partial)
    assert c.is_closed(timeout=5)
    c.close()
    with RespClient(srv.host, srv.port) as fresh:
        assert fresh.raw("PING") == b"+PONG\r\n"
        assert fresh.raw("GET", "k") == NIL
        # A request under the limit is fine.
        value = b"y" * 900000
        assert fresh.raw("SET", "k", value) == OK
        assert fresh.raw("GET", "k") == b"$900000\r\n" + value + b"\r\n"


@pytest.mark.restart
def test_proto_max_bulk_len(server_factory):
    srv = server_factory("--proto-max-bulk-len", "1mb")
    from resp_client import RespClient

    clients = []

    def connect():
        clients.append(RespClient(srv.host, srv.port))
        return clients[-1]

    try:
        expect_close(connect, b"*1\r\n$1048577\r\n", "invalid bulk length")
        c = connect()
        value = b"z" * 1048576
        assert c.raw("SET", "k", value) == OK
        assert c.raw("GET", "k") == b"$1048576\r\n" + value + b"\r\n"
    finally:
        for c in clients:
            c.close()


def test_server_survives_abrupt_disconnects(server, connect):
    for payload in (b"*2\r\n$3\r\nGET\r\n", b"*1\r\n$4\r\nPI", b"SET k 'v"):
        s = socket.create_connection((server.host, server.port))
        s.sendall(payload)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()  # RST
    assert connect().raw("PING") == b"+PONG\r\n"
