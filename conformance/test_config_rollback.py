"""CONFIG SET with several parameters is all or nothing, as in Redis 7:
a value that does not parse, a directory that cannot be entered or an AOF
that cannot be turned on leaves every parameter of the call as it was,
whichever position the failing one has, with Redis's error text."""

import os

import pytest

from helpers import OK, err
from resp_client import RespClient


def failed(name, why):
    return err("ERR CONFIG SET failed (possibly related to argument '%s') - %s" % (name, why))


def get1(c, name):
    return c.value("CONFIG", "GET", name)[1]


def test_bad_value_changes_nothing(raw):
    assert raw.raw("CONFIG", "SET", "maxmemory-samples", "5", "hz", "10") == OK
    assert raw.raw("CONFIG", "SET", "maxmemory-samples", "7", "hz", "bad") == failed(
        "hz", "argument couldn't be parsed into an integer")
    assert get1(raw, "maxmemory-samples") == b"5"
    assert raw.raw("CONFIG", "SET", "hz", "bad", "maxmemory-samples", "7") == failed(
        "hz", "argument couldn't be parsed into an integer")
    assert get1(raw, "maxmemory-samples") == b"5"
    assert get1(raw, "hz") == b"10"


@pytest.mark.restart
def test_dir_that_cannot_be_entered_rolls_back(server_factory):
    srv = server_factory("--enable-protected-configs", "yes")
    afile = os.path.join(srv.workdir, "afile")
    with open(afile, "w"):
        pass
    with RespClient(srv.host, srv.port) as c:
        assert c.raw("CONFIG", "SET", "maxmemory-samples", "7", "dir", "/nonexistent/x") == \
            failed("dir", "No such file or directory")
        assert get1(c, "maxmemory-samples") == b"5"
        assert c.raw("CONFIG", "SET", "dir", afile, "maxmemory-samples", "7") == \
            failed("dir", "Not a directory")
        assert get1(c, "maxmemory-samples") == b"5"
        assert get1(c, "dir") == os.path.realpath(srv.workdir).encode()
        assert c.raw("CONFIG", "SET", "maxmemory-samples", "7", "dir", "/tmp") == OK
        assert get1(c, "maxmemory-samples") == b"7"
        assert get1(c, "dir") == b"/tmp"


@pytest.mark.restart
def test_aof_that_cannot_start_rolls_back(server_factory):
    srv = server_factory()
    # A file where the AOF directory must go: turning the AOF on fails.
    with open(os.path.join(srv.workdir, "appendonlydir"), "w"):
        pass
    with RespClient(srv.host, srv.port) as c:
        assert c.raw("CONFIG", "SET", "hz", "10") == OK
        why = "Unable to turn on AOF. Check server logs."
        assert c.raw("CONFIG", "SET", "maxmemory-samples", "7", "appendonly", "yes",
                     "hz", "20") == failed("appendonly", why)
        assert get1(c, "maxmemory-samples") == b"5"
        assert get1(c, "appendonly") == b"no"
        assert get1(c, "hz") == b"10"
        assert c.raw("CONFIG", "SET", "appendonly", "yes", "maxmemory-samples", "8") == \
            failed("appendonly", why)
        assert get1(c, "maxmemory-samples") == b"5"
        info = c.value("INFO", "persistence").decode()
        assert "aof_enabled:0" in info
        assert c.raw("PING") == b"+PONG\r\n"
