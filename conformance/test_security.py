"""Security and limits: requirepass with AUTH and HELLO AUTH (Redis's
NOAUTH / WRONGPASS errors, the unauthenticated request limits), protected
mode, maxclients, the idle timeout, tcp-keepalive, and
client-output-buffer-limit for normal clients (a client that pipelines
GETs of a 10 MB value without reading is disconnected while the server's
memory stays bounded)."""

import socket
import time

import pytest

from helpers import OK, SYNTAX, bulk, err, integer, rss_bytes, wait_until
from resp_client import RespClient, ServerClosed, encode

NOAUTH = err("NOAUTH Authentication required.")
WRONGPASS = err("WRONGPASS invalid username-password pair or user is disabled.")
HELLO_NOAUTH = err("NOAUTH HELLO must be called with the client already authenticated, "
                   "otherwise the HELLO AUTH <user> <pass> option can be used to authenticate "
                   "the client and select the RESP protocol version at the same time")


def connect_to(srv):
    return RespClient(srv.host, srv.port)


@pytest.fixture
def secured(server_factory):
    """A dedicated server whose new connections need the password (set
    live: the suite's start-up check is an unauthenticated PING; a
    password from a config file is covered in test_config.py)."""
    srv = server_factory()
    with connect_to(srv) as c:
        assert c.raw("CONFIG", "SET", "requirepass", "s3cret") == OK
    return srv


# -------------------------------------------------------------- requirepass

@pytest.mark.restart
def test_commands_need_auth(secured):
    with connect_to(secured) as c:
        assert c.raw("PING") == NOAUTH
        assert c.raw("GET", "k") == NOAUTH
        assert c.raw("CONFIG", "GET", "requirepass") == NOAUTH
        assert c.raw("CLIENT", "ID") == NOAUTH
        # unknown commands and arity errors come first, as in Redis
        assert c.raw("NOSUCH").startswith(b"-ERR unknown command 'NOSUCH'")
        assert c.raw("GET") == err("ERR wrong number of arguments for 'get' command")
        assert c.raw("AUTH") == err("ERR wrong number of arguments for 'auth' command")
        assert c.raw("AUTH", "a", "b", "c") == SYNTAX
        assert c.raw("AUTH", "bad") == WRONGPASS
        assert c.raw("AUTH", "default", "bad") == WRONGPASS
        assert c.raw("AUTH", "other", "s3cret") == WRONGPASS
        assert c.raw("PING") == NOAUTH
        assert c.raw("AUTH", "s3cret") == OK
        assert c.raw("PING") == b"+PONG\r\n"
        assert c.raw("AUTH", "wrong") == WRONGPASS
        assert c.raw("PING") == b"+PONG\r\n"  # a failed AUTH does not log out
    with connect_to(secured) as c:
        assert c.raw("AUTH", "default", "s3cret") == OK
        assert c.raw("SET", "k", "v") == OK


@pytest.mark.restart
def test_quit_and_reset_need_no_auth(secured):
    with connect_to(secured) as c:
        assert c.raw("RESET") == b"+RESET\r\n"
        assert c.raw("AUTH", "s3cret") == OK
        assert c.raw("RESET") == b"+RESET\r\n"
        assert c.raw("GET", "k") == NOAUTH  # RESET logs out
        assert c.raw("QUIT") == OK
        assert c.is_closed()


@pytest.mark.restart
def test_hello_auth(secured):
    with connect_to(secured) as c:
        assert c.raw("HELLO") == HELLO_NOAUTH
        assert c.raw("HELLO", "3") == HELLO_NOAUTH
        assert c.raw("HELLO", "2", "SETNAME", "x") == HELLO_NOAUTH
        assert c.raw("HELLO", "3", "AUTH", "default", "bad") == WRONGPASS
        assert c.raw("HELLO", "3", "AUTH", "x") == err("ERR Syntax error in HELLO option 'AUTH'")
        assert c.raw("HELLO", "AUTH", "default", "s3cret") == \
            err("ERR Protocol version is not an integer or out of range")
        value = c.value("HELLO", "3", "AUTH", "default", "s3cret", "SETNAME", "nm")
        assert value[b"proto"] == 3
        assert c.raw("CLIENT", "GETNAME") == bulk("nm")
        assert c.raw("PING") == b"+PONG\r\n"


@pytest.mark.restart
def test_unauthenticated_request_limits(secured):
    with connect_to(secured) as c:
        c.send_raw(b"*20\r\n")
        assert c.read()[1] == err("ERR Protocol error: unauthenticated multibulk length")
        assert c.is_closed()
    with connect_to(secured) as c:
        c.send_raw(b"*2\r\n$4\r\nAUTH\r\n$20000\r\n")
        assert c.read()[1] == err("ERR Protocol error: unauthenticated bulk length")
        assert c.is_closed()
    with connect_to(secured) as c:
        assert c.raw("AUTH", "s3cret") == OK
        assert c.raw("MSET", *["k%d" % i if j == 0 else "v" for i in range(20) for j in range(2)]) == OK
        assert c.raw("ECHO", "x" * 20000) == bulk("x" * 20000)


@pytest.mark.restart
def test_requirepass_set_and_cleared_live(server_factory):
    srv = server_factory()
    old = [connect_to(srv) for _ in range(6)]
    admin = old[0]
    assert admin.raw("CONFIG", "SET", "requirepass", "pw") == OK
    # connections made before stay authenticated, on every shard
    for c in old:
        assert c.raw("PING") == b"+PONG\r\n"
    new = [connect_to(srv) for _ in range(6)]
    for c in new:
        assert c.raw("PING") == NOAUTH
    assert admin.raw("CONFIG", "SET", "requirepass", "") == OK
    for c in new:
        assert c.raw("PING") == b"+PONG\r\n"
    for c in old + new:
        c.close()


def test_auth_without_password(raw):
    assert raw.raw("AUTH", "x") == err(
        "ERR AUTH <password> called without any password configured for the default user. "
        "Are you sure your configuration is correct?")
    assert raw.raw("AUTH", "default", "anything") == OK
    assert raw.raw("AUTH", "nobody", "x") == WRONGPASS


# ------------------------------------------------------------ protected mode

DENIED = ("-DENIED Redis is running in protected mode because protected mode is enabled and no "
          "password is set for the default user. In this mode connections are only accepted "
          "from the loopback interface. If you want to connect from external computers to Redis "
          "you may adopt one of the following solutions: 1) Just disable protected mode sending "
          "the command 'CONFIG SET protected-mode no' from the loopback interface by connecting "
          "to Redis from the same host the server is running, however MAKE SURE Redis is not "
          "publicly accessible from internet if you do so. Use CONFIG REWRITE to make this "
          "change permanent. 2) Alternatively you can just disable the protected mode by "
          "editing the Redis configuration file, and setting the protected mode option to 'no', "
          "and then restarting the server. 3) If you started the server manually just for "
          "testing, restart it with the '--protected-mode no' option. 4) Setup a an "
          "authentication password for the default user. NOTE: You only need to do one of the "
          "above things in order for the server to start accepting connections from the "
          "outside.\r\n").encode()


def _local_address():
    """A non-loopback address of this machine, or None."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))
            addr = s.getsockname()[0]
    except OSError:
        return None
    return None if addr.startswith("127.") else addr


def _first_reply(host, port, ping=True):
    """The first reply on a new connection (to PING if ping, else what the
    server says on its own before closing)."""
    with socket.create_connection((host, port), timeout=5) as s:
        if ping:
            s.sendall(b"PING\r\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return data
            data += chunk
            if ping and data.endswith(b"\r\n"):
                return data


@pytest.mark.restart
def test_protected_mode(server_factory):
    addr = _local_address()
    if addr is None:
        pytest.skip("this machine has no non-loopback address to connect from")
    srv = server_factory("--bind", "0.0.0.0")
    assert _first_reply("127.0.0.1", srv.port) == b"+PONG\r\n"
    assert _first_reply(addr, srv.port, ping=False) == DENIED
    with RespClient("127.0.0.1", srv.port) as c:
        assert c.raw("CONFIG", "SET", "requirepass", "pw") == OK
        assert _first_reply(addr, srv.port) == NOAUTH
        assert c.raw("CONFIG", "SET", "requirepass", "", "protected-mode", "no") == OK
        assert _first_reply(addr, srv.port) == b"+PONG\r\n"
        assert c.raw("CONFIG", "SET", "protected-mode", "yes") == OK
        assert _first_reply(addr, srv.port, ping=False) == DENIED


# --------------------------------------------------------------- maxclients

@pytest.mark.restart
def test_maxclients(server_factory):
    srv = server_factory("--maxclients", "3")
    first = connect_to(srv)
    # the start-up check's connection may still be closing on another core
    assert wait_until(lambda: b"connected_clients:1\r\n" in first.value("INFO", "clients"))
    keep = [first, connect_to(srv), connect_to(srv)]
    for c in keep:
        assert c.raw("PING") == b"+PONG\r\n"
    with socket.create_connection((srv.host, srv.port), timeout=5) as s:
        data = b""
        while not data.endswith(b"\r\n"):
            chunk = s.recv(1024)
            if not chunk:
                break
            data += chunk
        assert data == b"-ERR max number of clients reached\r\n"
    assert wait_until(lambda: b"connected_clients:3\r\n" in first.value("INFO", "clients"))
    assert keep[0].raw("CONFIG", "SET", "maxclients", "10") == OK
    extra = connect_to(srv)
    assert extra.raw("PING") == b"+PONG\r\n"
    for c in keep + [extra]:
        c.close()


# ------------------------------------------------------------------ timeout

@pytest.mark.restart
@pytest.mark.slow
def test_idle_timeout(server_factory):
    srv = server_factory("--timeout", "1")
    idle = [connect_to(srv) for _ in range(4)]
    busy = connect_to(srv)
    mon = connect_to(srv)
    assert mon.raw("MONITOR") == OK
    for c in idle:
        assert c.raw("PING") == b"+PONG\r\n"
    deadline = time.monotonic() + 3.5
    while time.monotonic() < deadline:
        assert busy.raw("PING") == b"+PONG\r\n"
        time.sleep(0.2)
    for c in idle:
        assert c.is_closed(timeout=3)
    assert busy.raw("PING") == b"+PONG\r\n"
    # monitors are exempt; their stream still flows
    lines = []
    while True:
        value, _ = mon.read()
        lines.append(value)
        if len(lines) > 3:
            break
    assert all('"PING"' in v for v in lines)
    busy.close()
    mon.close()


@pytest.mark.restart
def test_timeout_set_live(server_factory):
    srv = server_factory()
    admin, idle = connect_to(srv), connect_to(srv)
    assert idle.raw("PING") == b"+PONG\r\n"
    assert admin.raw("CONFIG", "SET", "timeout", "1") == OK
    assert idle.is_closed(timeout=4)
    admin.close()


def test_tcp_keepalive_config(raw, server):
    assert raw.value("CONFIG", "GET", "tcp-keepalive") == [b"tcp-keepalive", b"300"]
    assert raw.raw("CONFIG", "SET", "tcp-keepalive", "60") == OK
    assert raw.value("CONFIG", "GET", "tcp-keepalive") == [b"tcp-keepalive", b"60"]
    with RespClient(server.host, server.port) as c:
        assert c.raw("PING") == b"+PONG\r\n"
    assert raw.raw("CONFIG", "SET", "tcp-keepalive", "300") == OK


# ----------------------------------------------------- output buffer limit

def _closed_without_reading_much(s, limit):
    """Drain the socket until EOF; True if it ends before `limit` bytes."""
    got = 0
    s.settimeout(20)
    while True:
        try:
            chunk = s.recv(1 << 20)
        except ConnectionResetError:
            return True
        if not chunk:
            return got < limit
        got += len(chunk)
        if got >= limit:
            return False


@pytest.mark.restart
@pytest.mark.slow
@pytest.mark.parametrize("how", ["flag", "config-set"])
def test_output_buffer_limit_disconnects_a_client_that_does_not_read(server_factory, how):
    limit = "normal 32mb 0 0"
    srv = server_factory(*(["--client-output-buffer-limit", limit] if how == "flag" else []))
    value = b"v" * (10 * 1024 * 1024)
    with connect_to(srv) as admin:
        if how == "config-set":
            assert admin.raw("CONFIG", "SET", "client-output-buffer-limit", limit) == OK
        keys = ["big:%d" % i for i in range(8)] + ["{t}big"]
        for k in keys:
            assert admin.raw("SET", k, value) == OK
        for k in keys[:3]:
            base = rss_bytes(srv.pid)
            s = socket.create_connection((srv.host, srv.port))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
            n = 200  # 2 GB of replies if nothing stopped them
            s.sendall(encode(["GET", k]) * n)
            # closed by the limit (the server sees it), then EOF here
            assert wait_until(lambda: admin.value("CLIENT", "LIST").count(b"id=") == 1,
                              timeout=20)
            grown = rss_bytes(srv.pid) - base
            assert grown < 400 * 1024 * 1024, "server grew by %d MB" % (grown >> 20)
            assert _closed_without_reading_much(s, n * len(value) // 2)
            s.close()
        assert admin.raw("PING") == b"+PONG\r\n"


@pytest.mark.restart
def test_output_buffer_limit_lets_a_reading_client_be(server_factory):
    srv = server_factory("--client-output-buffer-limit", "normal 32mb 0 0")
    value = b"v" * (1024 * 1024)
    with connect_to(srv) as c:
        assert c.raw("SET", "big", value) == OK
        replies = c.pipeline([["GET", "big"]] * 20)
        assert all(wire == bulk(value) for _, wire in replies)
