"""kevy-only behaviour: things Redis has no counterpart for (shards, the port
probe, command-line handling) or where kevy promises more than Redis does
(memory stays bounded when a client stops reading)."""

import binascii
import os
import signal
import socket
import subprocess
import time

import pytest

from conftest import SHARDS, _server_bin
from helpers import rss_bytes
from resp_client import RespClient

pytestmark = pytest.mark.kevy_only


def _info_fields(client, section):
    value, _ = client.call("INFO", section)
    text = bytes(value).decode()
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def test_help_lists_every_flag():
    out = subprocess.run([_server_bin(), "--help"], capture_output=True, timeout=10)
    assert out.returncode == 0
    text = out.stdout.decode()
    for flag in ("--bind", "--port", "--shards", "--databases", "--hz", "--loglevel",
                 "--proto-max-bulk-len", "--client-query-buffer-limit", "--maxclients",
                 "--pin-threads", "--tcp-backlog", "--help", "--version"):
        assert flag in text, flag


@pytest.mark.parametrize("args,reason", [
    (["--port", "abc"], "argument couldn't be parsed into an integer"),
    (["--port", "70000"], "argument must be between 0 and 65535 inclusive"),
    (["--proto-max-bulk-len", "1kb"], "argument must be between 1048576"),
    (["--nosuch", "1"], "Bad directive or wrong number of arguments"),
    (["--loglevel", "loud"], "argument(s) must be one of the following"),
])
def test_bad_flags_refuse_to_start(args, reason):
    out = subprocess.run([_server_bin()] + args, capture_output=True, timeout=10)
    assert out.returncode == 1
    assert reason in out.stderr.decode()


@pytest.mark.restart
def test_port_in_use_is_an_error(server_factory):
    """SO_REUSEPORT would let a second kevy silently share the port; the
    probe bind makes it fail like Redis does."""
    srv = server_factory()
    out = subprocess.run([_server_bin(), "--port", str(srv.port), "--shards", "1"],
                         capture_output=True, timeout=10)
    assert out.returncode == 1
    assert "Address already in use" in out.stderr.decode()
    with RespClient(srv.host, srv.port) as c:
        assert c.raw("PING") == b"+PONG\r\n"


@pytest.mark.restart
def test_sigterm_exits_cleanly(server_factory):
    srv = server_factory()
    with RespClient(srv.host, srv.port) as c:
        assert c.raw("SET", "k", "v") == b"+OK\r\n"
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.wait_exit(10) == 0
    assert "Received SIGTERM" in srv.log()


def test_info_reports_shards(raw):
    fields = _info_fields(raw, "server")
    assert int(fields["kevy_shards"]) == SHARDS


def test_keys_on_other_shards_are_forwarded(raw):
    before = int(_info_fields(raw, "stats")["kevy_forwarded_commands"])
    for i in range(64):
        assert raw.raw("SET", "fw:%d" % i, "x") == b"+OK\r\n"
    after = int(_info_fields(raw, "stats")["kevy_forwarded_commands"])
    # INFO itself fans out to every other shard once.
    if SHARDS == 1:
        assert after == before
    else:
        assert after - before > 64 // SHARDS // 2


def _slot(key):
    """Redis Cluster's key slot (CRC16/XMODEM of the key or its {hashtag})."""
    start = key.find(b"{")
    if start >= 0:
        end = key.find(b"}", start + 1)
        if end > start + 1:
            key = key[start + 1:end]
    return binascii.crc_hqx(key, 0) & 16383


def _key_on_shard(shard, nshards, prefix):
    i = 0
    while True:
        key = b"%s:%d" % (prefix, i)
        if _slot(key) * nshards >> 14 == shard:
            return key
        i += 1


@pytest.mark.restart
@pytest.mark.slow
def test_client_that_stops_reading_cannot_grow_the_server(server_factory):
    """400 pipelined GETs of a 1 MB value would be 400 MB of replies; kevy
    stops reading that client's input while its unsent output is large, and
    keeps few commands in flight to another shard, so the server's memory
    stays bounded whichever shard holds the key, and every reply arrives."""
    srv = server_factory()
    value = b"v" * (1024 * 1024)
    keys = [_key_on_shard(s, SHARDS, b"big") for s in range(SHARDS)]
    with RespClient(srv.host, srv.port) as c:
        for key in keys:
            assert c.raw("SET", key, value) == b"+OK\r\n"
    expected = b"$%d\r\n%s\r\n" % (len(value), value)
    for key in keys:
        base = rss_bytes(srv.pid)
        s = socket.create_connection((srv.host, srv.port))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        n = 400
        s.sendall(b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" % (len(key), key) * n)
        time.sleep(1.0)
        grown = rss_bytes(srv.pid) - base
        assert grown < 100 * 1024 * 1024, "server grew by %d MB (key %r)" % (grown >> 20, key)
        got = 0
        buf = b""
        s.settimeout(30)
        while got < n:
            chunk = s.recv(1 << 20)
            assert chunk, "connection closed after %d replies" % got
            buf += chunk
            while len(buf) >= len(expected):
                assert buf[:len(expected)] == expected
                buf = buf[len(expected):]
                got += 1
        s.close()
    assert os.path.exists("/proc/%d" % srv.pid)
