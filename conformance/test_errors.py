"""Generic command errors: unknown commands, wrong arity, case of names."""

import pytest

from helpers import NIL, OK, arity_err, bulk, err, integer


def unknown(name, args_part):
    return err("ERR unknown command '%s', with args beginning with: %s" % (name, args_part))


# -------------------------------------------------------- unknown commands

def test_unknown_command_no_args(raw):
    assert raw.raw("FOO") == unknown("FOO", "")


def test_unknown_command_with_args(raw):
    assert raw.raw("FOO", "a", "b") == unknown("FOO", "'a' 'b' ")
    assert raw.raw("fOo", "a b", "c") == unknown("fOo", "'a b' 'c' ")
    assert raw.raw("FOO", "") == unknown("FOO", "'' ")


def test_unknown_command_empty_name(raw):
    assert raw.raw("") == unknown("", "")
    assert raw.raw("", "") == unknown("", "'' ")


def test_unknown_command_name_truncated_to_128(raw):
    name = "A" * 200
    assert raw.raw(name) == unknown("A" * 128, "")
    assert raw.raw(name, "x") == unknown("A" * 128, "'x' ")


def test_unknown_command_long_argument_truncated(raw):
    assert raw.raw("FOO", "b" * 200) == unknown("FOO", "'%s' " % ("b" * 128))


def test_unknown_command_args_stop_after_128_chars(raw):
    # Each argument is printed as 'arg' plus a space, cut so the list stays
    # within 128 characters; arguments after that are left out.
    assert raw.raw("FOO", "b" * 100, "c" * 100, "d") == \
        unknown("FOO", "'%s' '%s' " % ("b" * 100, "c" * 25))
    args = [chr(ord("a") + i) for i in range(26)] + ["a" * 42, "b" * 50]
    expected = "".join("'%s' " % a for a in args[:26]) + "'%s' " % ("a" * 24)
    assert raw.raw("FOO", *args) == unknown("FOO", expected)


def test_unknown_command_newlines_become_spaces(raw):
    assert raw.raw("FOO", "a\nb", "c\r\nd") == unknown("FOO", "'a b' 'c  d' ")
    assert raw.raw("FO\nO", "x") == unknown("FO O", "'x' ")


def test_unknown_command_binary_argument(raw):
    # Bytes are copied as they are, up to the first NUL (C string formatting).
    assert raw.raw("FOO", b"\xff\x01z") == \
        b"-ERR unknown command 'FOO', with args beginning with: '\xff\x01z' \r\n"
    assert raw.raw("FOO", b"\xff\x00z", b"y") == \
        b"-ERR unknown command 'FOO', with args beginning with: '\xff' 'y' \r\n"


def test_unknown_command_keeps_connection(raw):
    assert raw.raw("NOSUCHCOMMAND") == unknown("NOSUCHCOMMAND", "")
    assert raw.raw("PING") == b"+PONG\r\n"


def test_unknown_command_redis_py(r):
    import redis
    with pytest.raises(redis.ResponseError) as e:
        r.execute_command("NOSUCHCOMMAND", "x")
    assert str(e.value) == "unknown command 'NOSUCHCOMMAND', with args beginning with: 'x' "


# ------------------------------------------------------------ wrong arity

ARITY_CASES = [
    ("ping", ["PING", "a", "b"]),
    ("echo", ["ECHO"]),
    ("echo", ["ECHO", "a", "b"]),
    ("select", ["SELECT"]),
    ("select", ["SELECT", "0", "1"]),
    ("auth", ["AUTH"]),
    ("get", ["GET"]),
    ("get", ["GET", "a", "b"]),
    ("set", ["SET"]),
    ("set", ["SET", "k"]),
    ("incr", ["INCR"]),
    ("incr", ["INCR", "a", "b"]),
    ("decr", ["DECR"]),
    ("decr", ["DECR", "a", "b"]),
    ("incrby", ["INCRBY", "k"]),
    ("incrby", ["INCRBY", "k", "1", "2"]),
    ("decrby", ["DECRBY", "k"]),
    ("decrby", ["DECRBY", "k", "1", "2"]),
    ("del", ["DEL"]),
    ("exists", ["EXISTS"]),
    ("mget", ["MGET"]),
    ("mset", ["MSET"]),
    ("mset", ["MSET", "a"]),
    ("mset", ["MSET", "a", "1", "b"]),
    ("expire", ["EXPIRE"]),
    ("expire", ["EXPIRE", "k"]),
    ("pexpire", ["PEXPIRE", "k"]),
    ("ttl", ["TTL"]),
    ("ttl", ["TTL", "a", "b"]),
    ("pttl", ["PTTL"]),
    ("pttl", ["PTTL", "a", "b"]),
    ("dbsize", ["DBSIZE", "x"]),
    ("command|count", ["COMMAND", "COUNT", "x"]),
    ("command|getkeys", ["COMMAND", "GETKEYS"]),
    ("command|getkeys", ["COMMAND", "GETKEYS", "get"]),
]


@pytest.mark.parametrize("name,cmd", ARITY_CASES, ids=[" ".join(c) for _, c in ARITY_CASES])
def test_wrong_arity(raw, name, cmd):
    assert raw.raw(*cmd) == arity_err(name)


def test_wrong_arity_names_the_command_in_lower_case(raw):
    assert raw.raw("GeT") == arity_err("get")
    assert raw.raw("gEt", "a", "b") == arity_err("get")
    assert raw.raw("command", "COUNT", "x") == arity_err("command|count")


def test_wrong_arity_does_not_execute(raw):
    assert raw.raw("SET", "k") == arity_err("set")
    assert raw.raw("MSET", "a", "1", "b") == arity_err("mset")
    assert raw.raw("EXISTS", "k", "a", "b") == integer(0)


# -------------------------------------------------------- case-insensitive

def test_command_names_are_case_insensitive(raw):
    assert raw.raw("pInG") == b"+PONG\r\n"
    assert raw.raw("sEt", "k", "v") == OK
    assert raw.raw("GeT", "k") == bulk("v")
    assert raw.raw("get", "k") == bulk("v")
    assert raw.raw("eXiStS", "k") == integer(1)
    assert raw.raw("iNcRbY", "n", "5") == integer(5)
    assert raw.raw("SeLeCt", "0") == OK
    assert raw.raw("DeL", "k") == integer(1)
    assert raw.raw("GET", "k") == NIL


def test_options_are_case_insensitive(raw):
    assert raw.raw("SET", "k", "v", "ex", "100") == OK
    assert raw.raw("ttl", "k") == integer(100)
    assert raw.raw("set", "k", "w", "Nx") == NIL
    assert raw.raw("set", "k", "x", "KeepTtl") == OK
    assert raw.raw("ttl", "k") == integer(100)
    assert raw.raw("set", "k", "w", "xX", "gEt") == bulk("x")
    assert raw.raw("expire", "k", "200", "lt") == integer(1)
    assert raw.raw("expire", "k", "300", "gT") == integer(1)
    assert raw.raw("flushdb", "aSyNc") == OK
