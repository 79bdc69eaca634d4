"""Connection commands: PING, ECHO, QUIT, SELECT, HELLO, AUTH (no password)."""

import re

import pytest

from helpers import NIL, NOT_INT, NULL3, OK, arity_err, bulk, err, integer, parse_info


# ------------------------------------------------------------------ PING

def test_ping(raw):
    assert raw.raw("PING") == b"+PONG\r\n"
    assert raw.raw("PING", "hello") == bulk("hello")
    assert raw.raw("PING", "") == b"$0\r\n\r\n"
    assert raw.raw("PING", b"a\x00\r\nb") == b"$5\r\na\x00\r\nb\r\n"
    assert raw.raw("PING", "a", "b") == arity_err("ping")


def test_ping_resp3(raw3):
    assert raw3.raw("PING") == b"+PONG\r\n"
    assert raw3.raw("PING", "x") == bulk("x")
    assert raw3.raw("PING", "a", "b") == arity_err("ping")


def test_ping_redis_py(r):
    assert r.ping() is True


# ------------------------------------------------------------------ ECHO

def test_echo(raw):
    assert raw.raw("ECHO", "hello") == bulk("hello")
    assert raw.raw("ECHO", "") == b"$0\r\n\r\n"
    assert raw.raw("ECHO", b"\x00\xff\r\n") == b"$4\r\n\x00\xff\r\n\r\n"
    assert raw.raw("ECHO") == arity_err("echo")
    assert raw.raw("ECHO", "a", "b") == arity_err("echo")


def test_echo_large(raw):
    payload = bytes(range(256)) * 4096  # 1 MiB
    assert raw.raw("ECHO", payload) == b"$1048576\r\n" + payload + b"\r\n"


# ------------------------------------------------------------------ QUIT

def test_quit_replies_ok_then_closes(raw):
    assert raw.raw("QUIT") == OK
    assert raw.is_closed()


def test_quit_ignores_arguments(raw):
    assert raw.raw("QUIT", "now", "please") == OK
    assert raw.is_closed()


def test_quit_drops_pipelined_commands_after_it(raw, r):
    raw.send_many([["SET", "before", "1"], ["QUIT"], ["SET", "after", "1"]])
    assert raw.read()[1] == OK
    assert raw.read()[1] == OK
    assert raw.is_closed()
    assert r.get("before") == b"1"
    assert r.get("after") is None


# ---------------------------------------------------------------- SELECT

def test_select_range(raw):
    for db in range(16):
        assert raw.raw("SELECT", str(db)) == OK
    assert raw.raw("SELECT", "16") == err("ERR DB index is out of range")
    assert raw.raw("SELECT", "-1") == err("ERR DB index is out of range")
    assert raw.raw("SELECT", "2147483647") == err("ERR DB index is out of range")
    assert raw.raw("SELECT", "-2147483648") == err("ERR DB index is out of range")


@pytest.mark.parametrize("arg", ["2147483648", "-2147483649", "9999999999999"])
def test_select_outside_int_range(raw, arg):
    # Redis parses the index as a long long, then range-checks it as an int.
    assert raw.raw("SELECT", arg) == err(
        "ERR value is out of range, value must between -2147483648 and 2147483647")


@pytest.mark.parametrize("arg", ["x", "1.5", "", " 1", "0x1", "99999999999999999999"])
def test_select_not_an_integer(raw, arg):
    assert raw.raw("SELECT", arg) == NOT_INT


def test_select_arity(raw):
    assert raw.raw("SELECT") == arity_err("select")
    assert raw.raw("SELECT", "0", "1") == arity_err("select")


def test_keys_are_per_db(raw, connect):
    assert raw.raw("SET", "k", "zero") == OK
    assert raw.raw("SELECT", "1") == OK
    assert raw.raw("GET", "k") == NIL
    assert raw.raw("SET", "k", "one") == OK
    assert raw.raw("DBSIZE") == integer(1)
    assert raw.raw("SELECT", "15") == OK
    assert raw.raw("EXISTS", "k") == integer(0)
    assert raw.raw("SELECT", "0") == OK
    assert raw.raw("GET", "k") == bulk("zero")
    # A new connection starts in db 0.
    other = connect()
    assert other.raw("GET", "k") == bulk("zero")
    # A failed SELECT leaves the current db unchanged.
    assert raw.raw("SELECT", "1") == OK
    assert raw.raw("SELECT", "16") == err("ERR DB index is out of range")
    assert raw.raw("GET", "k") == bulk("one")


def test_select_is_per_connection(connect):
    a, b = connect(), connect()
    assert a.raw("SELECT", "3") == OK
    assert a.raw("SET", "k", "in3") == OK
    assert b.raw("GET", "k") == NIL
    assert b.raw("SELECT", "3") == OK
    assert b.raw("GET", "k") == bulk("in3")


# ----------------------------------------------------------------- HELLO

def hello_bytes(proto, server, version, client_id):
    head = b"%7\r\n" if proto == 3 else b"*14\r\n"
    return (head + bulk("server") + bulk(server) + bulk("version") + bulk(version)
            + bulk("proto") + integer(proto) + bulk("id") + integer(client_id)
            + bulk("mode") + bulk("standalone") + bulk("role") + bulk("master")
            + bulk("modules") + b"*0\r\n")


def check_hello(value, raw, proto):
    """The exact HELLO reply; server name, version and id are read back and
    checked for type and form, everything else byte for byte."""
    if proto == 3:
        assert isinstance(value, dict)
        assert list(value.keys()) == [b"server", b"version", b"proto", b"id",
                                      b"mode", b"role", b"modules"]
        fields = value
    else:
        assert isinstance(value, list) and len(value) == 14
        fields = dict(zip(value[0::2], value[1::2]))
        assert value[0::2] == [b"server", b"version", b"proto", b"id",
                               b"mode", b"role", b"modules"]
    assert isinstance(fields[b"server"], bytes) and fields[b"server"]
    assert re.fullmatch(rb"\d+\.\d+\.\d+", fields[b"version"]), fields[b"version"]
    assert type(fields[b"id"]) is int and fields[b"id"] > 0
    assert raw == hello_bytes(proto, fields[b"server"], fields[b"version"], fields[b"id"])
    return fields


def test_hello_no_args_is_resp2(raw):
    value, wire = raw.call("HELLO")
    check_hello(value, wire, 2)


def test_hello_2(raw):
    value, wire = raw.call("HELLO", "2")
    check_hello(value, wire, 2)
    assert raw.raw("GET", "missing") == NIL


def test_hello_3_switches_to_resp3(raw):
    value, wire = raw.call("HELLO", "3")
    check_hello(value, wire, 3)
    assert raw.raw("GET", "missing") == NULL3
    assert raw.raw("MGET", "a", "b") == b"*2\r\n_\r\n_\r\n"
    assert raw.raw("PING") == b"+PONG\r\n"
    # HELLO without a version reports the current protocol, as a map.
    value, wire = raw.call("HELLO")
    check_hello(value, wire, 3)
    # And back to RESP2.
    value, wire = raw.call("HELLO", "2")
    check_hello(value, wire, 2)
    assert raw.raw("GET", "missing") == NIL


def test_hello_version_matches_info(raw):
    fields = check_hello(*raw.call("HELLO", "3"), 3)
    info = parse_info(raw.value("INFO", "server"))["server"]
    assert info["redis_version"].encode() == fields[b"version"]


def test_hello_ids_differ_per_connection(connect):
    a, b = connect(), connect()
    ida = check_hello(*a.call("HELLO", "3"), 3)[b"id"]
    idb = check_hello(*b.call("HELLO", "3"), 3)[b"id"]
    assert ida != idb
    # The id is stable for a connection.
    assert check_hello(*a.call("HELLO", "2"), 2)[b"id"] == ida


@pytest.mark.parametrize("version", ["4", "1", "0", "-1", "9223372036854775807"])
def test_hello_unsupported_version(raw, version):
    assert raw.raw("HELLO", version) == err("NOPROTO unsupported protocol version")
    assert raw.raw("GET", "missing") == NIL  # still RESP2


@pytest.mark.parametrize("version", ["x", "3.0", "02", " 3", "", "99999999999999999999"])
def test_hello_version_not_an_integer(raw, version):
    assert raw.raw("HELLO", version) == \
        err("ERR Protocol version is not an integer or out of range")


def test_hello_bad_options(raw):
    assert raw.raw("HELLO", "3", "FOO") == err("ERR Syntax error in HELLO option 'FOO'")
    assert raw.raw("HELLO", "3", "SETNAME") == \
        err("ERR Syntax error in HELLO option 'SETNAME'")
    assert raw.raw("HELLO", "3", "setname") == \
        err("ERR Syntax error in HELLO option 'setname'")
    assert raw.raw("HELLO", "3", "SETNAME", "x", "bar") == \
        err("ERR Syntax error in HELLO option 'bar'")
    assert raw.raw("HELLO", "2", "AUTH", "default") == \
        err("ERR Syntax error in HELLO option 'AUTH'")
    # A failed HELLO does not switch the protocol.
    assert raw.raw("GET", "missing") == NIL


def test_hello_setname(raw):
    check_hello(*raw.call("HELLO", "3", "SETNAME", "myname"), 3)
    check_hello(*raw.call("hello", "2", "setname", "other-name_1"), 2)
    check_hello(*raw.call("HELLO", "3", "SETNAME", ""), 3)


@pytest.mark.parametrize("name", ["a b", "a\nb", "a\x01b", "\x7f"])
def test_hello_setname_invalid(raw, name):
    assert raw.raw("HELLO", "3", "SETNAME", name) == \
        err("ERR Client names cannot contain spaces, newlines or special characters.")
    assert raw.raw("GET", "missing") == NIL  # still RESP2


def test_hello_auth_default_user_without_password(raw):
    # With no requirepass the default user accepts any password.
    check_hello(*raw.call("HELLO", "3", "AUTH", "default", "anything"), 3)
    check_hello(*raw.call("HELLO", "2", "AUTH", "default", "x", "SETNAME", "n"), 2)


def test_hello_auth_unknown_user(raw):
    assert raw.raw("HELLO", "3", "AUTH", "nosuchuser", "pw") == \
        err("WRONGPASS invalid username-password pair or user is disabled.")
    assert raw.raw("GET", "missing") == NIL  # still RESP2


# ------------------------------------------------------------------ AUTH

def test_auth_without_requirepass(raw):
    assert raw.raw("AUTH", "secret") == err(
        "ERR AUTH <password> called without any password configured for the "
        "default user. Are you sure your configuration is correct?")
    assert raw.raw("AUTH", "default", "anything") == OK
    assert raw.raw("AUTH", "nosuchuser", "pw") == \
        err("WRONGPASS invalid username-password pair or user is disabled.")
    assert raw.raw("AUTH") == arity_err("auth")
    assert raw.raw("AUTH", "a", "b", "c") == err("ERR syntax error")
    assert raw.raw("PING") == b"+PONG\r\n"


# ------------------------------------------------------- RESP3 reply shapes

def test_resp3_basic_shapes(raw3):
    assert raw3.raw("GET", "k") == NULL3
    assert raw3.raw("SET", "k", "v") == OK
    assert raw3.raw("GET", "k") == bulk("v")
    assert raw3.raw("INCR", "n") == integer(1)
    assert raw3.raw("EXISTS", "k", "n", "x") == integer(2)
    assert raw3.raw("TTL", "x") == integer(-2)
    assert raw3.raw("MGET", "k", "x") == b"*2\r\n" + bulk("v") + NULL3
    assert raw3.raw("ECHO", "") == b"$0\r\n\r\n"
    assert raw3.raw("INCR", "k") == NOT_INT
    assert raw3.raw("SELECT", "16") == err("ERR DB index is out of range")
    assert raw3.raw("DEL", "k", "n") == integer(2)
    assert raw3.raw("DBSIZE") == integer(0)
    assert raw3.raw("FLUSHALL") == OK
