"""COMMAND and its subcommands. kevy implements a subset of Redis's
commands, so nothing here depends on the full list: each test checks one
command's exact entry, or that the replies agree with each other."""

from fnmatch import fnmatchcase

import pytest

from helpers import NIL, SYNTAX, arity_err, array, bulk, err

# The commands kevy must list (every one is tested elsewhere in the suite).
IN_SCOPE = [
    "ping", "echo", "quit", "select", "hello", "auth", "get", "set", "incr", "decr",
    "incrby", "decrby", "del", "exists", "mget", "mset", "expire", "pexpire", "ttl",
    "pttl", "dbsize", "flushdb", "flushall", "command", "info", "shutdown",
]

# Exact replies of Redis 7.0.15, RESP2 and RESP3 (sets and maps there).
INFO_GET_RESP2 = (
    b'*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n'
    b':1\r\n*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\n'
    b'flags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\n'
    b'type\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\n'
    b'find_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n'
    b'$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n'
)

INFO_GET_RESP3 = (
    b'*1\r\n*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n'
    b':1\r\n~3\r\n+@read\r\n+@string\r\n+@fast\r\n~0\r\n~1\r\n%3\r\n$5\r\n'
    b'flags\r\n~2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\n'
    b'type\r\n$5\r\nindex\r\n$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:1\r\n$9\r\n'
    b'find_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n%3\r\n'
    b'$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n~0\r\n'
)

INFO_SET_RESP2 = (
    b'*1\r\n*10\r\n$3\r\nset\r\n:-3\r\n*2\r\n+write\r\n+denyoom\r\n:1\r\n:1\r\n'
    b':1\r\n*3\r\n+@write\r\n+@string\r\n+@slow\r\n*0\r\n*1\r\n*8\r\n$5\r\n'
    b'notes\r\n$48\r\nRW and ACCESS due to the optional `GET` argument\r\n'
    b'$5\r\nflags\r\n*4\r\n+RW\r\n+access\r\n+update\r\n+variable_flags\r\n'
    b'$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n'
    b'*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\n'
    b'range\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n'
    b':1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n'
)

INFO_SET_RESP3 = (
    b'*1\r\n*10\r\n$3\r\nset\r\n:-3\r\n~2\r\n+write\r\n+denyoom\r\n:1\r\n:1\r\n'
    b':1\r\n~3\r\n+@write\r\n+@string\r\n+@slow\r\n~0\r\n~1\r\n%4\r\n$5\r\n'
    b'notes\r\n$48\r\nRW and ACCESS due to the optional `GET` argument\r\n'
    b'$5\r\nflags\r\n~4\r\n+RW\r\n+access\r\n+update\r\n+variable_flags\r\n'
    b'$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n'
    b'%1\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\n'
    b'range\r\n$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n'
    b':1\r\n$5\r\nlimit\r\n:0\r\n~0\r\n'
)

DOCS_GET_RESP2 = (
    b'*2\r\n$3\r\nget\r\n*10\r\n$7\r\nsummary\r\n$22\r\n'
    b'Get the value of a key\r\n$5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n'
    b'$6\r\nstring\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n$9\r\narguments\r\n'
    b'*1\r\n*6\r\n$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n$14\r\n'
    b'key_spec_index\r\n:0\r\n'
)

DOCS_GET_RESP3 = (
    b'%1\r\n$3\r\nget\r\n%5\r\n$7\r\nsummary\r\n$22\r\n'
    b'Get the value of a key\r\n$5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n'
    b'$6\r\nstring\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n$9\r\narguments\r\n'
    b'*1\r\n%3\r\n$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n$14\r\n'
    b'key_spec_index\r\n:0\r\n'
)

DOCS_SET_RESP2 = (
    b'*2\r\n$3\r\nset\r\n*12\r\n$7\r\nsummary\r\n$29\r\n'
    b'Set the string value of a key\r\n$5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\n'
    b'group\r\n$6\r\nstring\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n$7\r\n'
    b'history\r\n*4\r\n*2\r\n$6\r\n2.6.12\r\n$44\r\n'
    b'Added the `EX`, `PX`, `NX` and `XX` options.\r\n*2\r\n$5\r\n6.0.0\r\n'
    b'$27\r\nAdded the `KEEPTTL` option.\r\n*2\r\n$5\r\n6.2.0\r\n$42\r\n'
    b'Added the `GET`, `EXAT` and `PXAT` option.\r\n*2\r\n$5\r\n7.0.0\r\n'
    b'$55\r\nAllowed the `NX` and `GET` options to be used together.\r\n$9\r\n'
    b'arguments\r\n*5\r\n*6\r\n$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\n'
    b'key\r\n$14\r\nkey_spec_index\r\n:0\r\n*4\r\n$4\r\nname\r\n$5\r\nvalue\r\n'
    b'$4\r\ntype\r\n$6\r\nstring\r\n*10\r\n$4\r\nname\r\n$9\r\ncondition\r\n'
    b'$4\r\ntype\r\n$5\r\noneof\r\n$5\r\nsince\r\n$6\r\n2.6.12\r\n$5\r\n'
    b'flags\r\n*1\r\n+optional\r\n$9\r\narguments\r\n*2\r\n*6\r\n$4\r\nname\r\n'
    b'$2\r\nnx\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$2\r\n'
    b'NX\r\n*6\r\n$4\r\nname\r\n$2\r\nxx\r\n$4\r\ntype\r\n$10\r\npure-token\r\n'
    b'$5\r\ntoken\r\n$2\r\nXX\r\n*10\r\n$4\r\nname\r\n$3\r\nget\r\n$4\r\n'
    b'type\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$3\r\nGET\r\n$5\r\nsince\r\n'
    b'$5\r\n6.2.0\r\n$5\r\nflags\r\n*1\r\n+optional\r\n*8\r\n$4\r\nname\r\n'
    b'$10\r\nexpiration\r\n$4\r\ntype\r\n$5\r\noneof\r\n$5\r\nflags\r\n*1\r\n'
    b'+optional\r\n$9\r\narguments\r\n*5\r\n*8\r\n$4\r\nname\r\n$7\r\n'
    b'seconds\r\n$4\r\ntype\r\n$7\r\ninteger\r\n$5\r\ntoken\r\n$2\r\nEX\r\n'
    b'$5\r\nsince\r\n$6\r\n2.6.12\r\n*8\r\n$4\r\nname\r\n$12\r\n'
    b'milliseconds\r\n$4\r\ntype\r\n$7\r\ninteger\r\n$5\r\ntoken\r\n$2\r\n'
    b'PX\r\n$5\r\nsince\r\n$6\r\n2.6.12\r\n*8\r\n$4\r\nname\r\n$17\r\n'
    b'unix-time-seconds\r\n$4\r\ntype\r\n$9\r\nunix-time\r\n$5\r\ntoken\r\n'
    b'$4\r\nEXAT\r\n$5\r\nsince\r\n$5\r\n6.2.0\r\n*8\r\n$4\r\nname\r\n$22\r\n'
    b'unix-time-milliseconds\r\n$4\r\ntype\r\n$9\r\nunix-time\r\n$5\r\n'
    b'token\r\n$4\r\nPXAT\r\n$5\r\nsince\r\n$5\r\n6.2.0\r\n*8\r\n$4\r\nname\r\n'
    b'$7\r\nkeepttl\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$7\r\n'
    b'KEEPTTL\r\n$5\r\nsince\r\n$5\r\n6.0.0\r\n'
)

DOCS_SET_RESP3 = (
    b'%1\r\n$3\r\nset\r\n%6\r\n$7\r\nsummary\r\n$29\r\n'
    b'Set the string value of a key\r\n$5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\n'
    b'group\r\n$6\r\nstring\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n$7\r\n'
    b'history\r\n~4\r\n*2\r\n$6\r\n2.6.12\r\n$44\r\n'
    b'Added the `EX`, `PX`, `NX` and `XX` options.\r\n*2\r\n$5\r\n6.0.0\r\n'
    b'$27\r\nAdded the `KEEPTTL` option.\r\n*2\r\n$5\r\n6.2.0\r\n$42\r\n'
    b'Added the `GET`, `EXAT` and `PXAT` option.\r\n*2\r\n$5\r\n7.0.0\r\n'
    b'$55\r\nAllowed the `NX` and `GET` options to be used together.\r\n$9\r\n'
    b'arguments\r\n*5\r\n%3\r\n$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\n'
    b'key\r\n$14\r\nkey_spec_index\r\n:0\r\n%2\r\n$4\r\nname\r\n$5\r\nvalue\r\n'
    b'$4\r\ntype\r\n$6\r\nstring\r\n%5\r\n$4\r\nname\r\n$9\r\ncondition\r\n'
    b'$4\r\ntype\r\n$5\r\noneof\r\n$5\r\nsince\r\n$6\r\n2.6.12\r\n$5\r\n'
    b'flags\r\n~1\r\n+optional\r\n$9\r\narguments\r\n*2\r\n%3\r\n$4\r\nname\r\n'
    b'$2\r\nnx\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$2\r\n'
    b'NX\r\n%3\r\n$4\r\nname\r\n$2\r\nxx\r\n$4\r\ntype\r\n$10\r\npure-token\r\n'
    b'$5\r\ntoken\r\n$2\r\nXX\r\n%5\r\n$4\r\nname\r\n$3\r\nget\r\n$4\r\n'
    b'type\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$3\r\nGET\r\n$5\r\nsince\r\n'
    b'$5\r\n6.2.0\r\n$5\r\nflags\r\n~1\r\n+optional\r\n%4\r\n$4\r\nname\r\n'
    b'$10\r\nexpiration\r\n$4\r\ntype\r\n$5\r\noneof\r\n$5\r\nflags\r\n~1\r\n'
    b'+optional\r\n$9\r\narguments\r\n*5\r\n%4\r\n$4\r\nname\r\n$7\r\n'
    b'seconds\r\n$4\r\ntype\r\n$7\r\ninteger\r\n$5\r\ntoken\r\n$2\r\nEX\r\n'
    b'$5\r\nsince\r\n$6\r\n2.6.12\r\n%4\r\n$4\r\nname\r\n$12\r\n'
    b'milliseconds\r\n$4\r\ntype\r\n$7\r\ninteger\r\n$5\r\ntoken\r\n$2\r\n'
    b'PX\r\n$5\r\nsince\r\n$6\r\n2.6.12\r\n%4\r\n$4\r\nname\r\n$17\r\n'
    b'unix-time-seconds\r\n$4\r\ntype\r\n$9\r\nunix-time\r\n$5\r\ntoken\r\n'
    b'$4\r\nEXAT\r\n$5\r\nsince\r\n$5\r\n6.2.0\r\n%4\r\n$4\r\nname\r\n$22\r\n'
    b'unix-time-milliseconds\r\n$4\r\ntype\r\n$9\r\nunix-time\r\n$5\r\n'
    b'token\r\n$4\r\nPXAT\r\n$5\r\nsince\r\n$5\r\n6.2.0\r\n%4\r\n$4\r\nname\r\n'
    b'$7\r\nkeepttl\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$7\r\n'
    b'KEEPTTL\r\n$5\r\nsince\r\n$5\r\n6.0.0\r\n'
)


# ------------------------------------------------------------- COMMAND INFO

@pytest.mark.parametrize("name,resp2,resp3", [
    ("get", INFO_GET_RESP2, INFO_GET_RESP3),
    ("set", INFO_SET_RESP2, INFO_SET_RESP3),
])
def test_command_info_exact(raw, raw3, name, resp2, resp3):
    assert raw.raw("COMMAND", "INFO", name) == resp2
    assert raw.raw("command", "info", name.upper()) == resp2
    assert raw3.raw("COMMAND", "INFO", name) == resp3


def test_command_info_unknown_name(raw, raw3):
    assert raw.raw("COMMAND", "INFO", "nosuchcommand") == array(NIL)
    assert raw3.raw("COMMAND", "INFO", "nosuchcommand") == b"*1\r\n_\r\n"


def test_command_info_several(raw, raw3):
    get_entry = INFO_GET_RESP2[len(b"*1\r\n"):]
    set_entry = INFO_SET_RESP2[len(b"*1\r\n"):]
    assert raw.raw("COMMAND", "INFO", "get", "nosuch", "SET") == \
        b"*3\r\n" + get_entry + NIL + set_entry
    get3 = INFO_GET_RESP3[len(b"*1\r\n"):]
    assert raw3.raw("COMMAND", "INFO", "nosuch", "get") == b"*2\r\n_\r\n" + get3


def test_command_info_decoded_shape(raw):
    entry = raw.value("COMMAND", "INFO", "get")[0]
    name, arity, flags, first, last, step, categories, tips, keyspecs, subcommands = entry
    assert (name, arity, flags, first, last, step) == (b"get", 2, ["readonly", "fast"], 1, 1, 1)
    assert categories == ["@read", "@string", "@fast"]
    assert tips == [] and subcommands == []
    assert len(keyspecs) == 1


@pytest.mark.parametrize("name", IN_SCOPE)
def test_command_info_in_scope(raw, name):
    entry = raw.value("COMMAND", "INFO", name)[0]
    assert isinstance(entry, list) and len(entry) == 10
    assert entry[0] == name.encode()
    assert type(entry[1]) is int and entry[1] != 0


def test_command_info_arity_matches_behaviour(raw):
    arity = {n: raw.value("COMMAND", "INFO", n)[0][1] for n in IN_SCOPE}
    assert arity["get"] == 2 and arity["set"] == -3 and arity["mset"] == -3
    assert arity["del"] == -2 and arity["exists"] == -2 and arity["mget"] == -2
    assert arity["incr"] == 2 and arity["incrby"] == 3 and arity["ttl"] == 2
    assert arity["expire"] == -3 and arity["pexpire"] == -3
    assert arity["ping"] == -1 and arity["echo"] == 2 and arity["select"] == 2
    assert arity["dbsize"] == 1 and arity["flushdb"] == -1 and arity["info"] == -1
    assert arity["command"] == -1 and arity["hello"] == -1 and arity["quit"] == -1


def test_command_info_key_positions(raw):
    def keys(name):
        return tuple(raw.value("COMMAND", "INFO", name)[0][3:6])
    assert keys("get") == (1, 1, 1)
    assert keys("set") == (1, 1, 1)
    assert keys("mset") == (1, -1, 2)
    assert keys("mget") == (1, -1, 1)
    assert keys("del") == (1, -1, 1)
    assert keys("exists") == (1, -1, 1)
    assert keys("expire") == (1, 1, 1)
    assert keys("ping") == (0, 0, 0)
    assert keys("dbsize") == (0, 0, 0)


# --------------------------------------------------- COMMAND / COUNT / LIST

def test_command_count_is_consistent(raw):
    count = raw.value("COMMAND", "COUNT")
    assert type(count) is int and count >= len(IN_SCOPE)
    everything = raw.value("COMMAND")
    assert len(everything) == count
    assert len(raw.value("COMMAND", "INFO")) == count
    names = raw.value("COMMAND", "LIST")
    # COMMAND LIST also names subcommands as "parent|sub"; COUNT does not.
    top = [n for n in names if b"|" not in n]
    assert len(top) == count
    assert len(set(names)) == len(names)
    for n in names:
        if b"|" in n:
            assert n.split(b"|")[0] in top, n
    assert sorted(e[0] for e in everything) == sorted(top)


def test_command_entries_match_command_info(raw, raw3):
    for client in (raw, raw3):
        everything = {e[0]: e for e in client.value("COMMAND")}
        for name in ("get", "set"):
            assert everything[name.encode()] == client.value("COMMAND", "INFO", name)[0]


def test_command_list_contains_in_scope(raw):
    names = raw.value("COMMAND", "LIST")
    for name in IN_SCOPE:
        assert name.encode() in names
    for n in names:
        assert n == n.lower()


@pytest.mark.parametrize("pattern", ["ge*", "GE*", "incr*", "*set", "?et", "ping", "nomatch*",
                                     "*|count", "[gs]et"])
def test_command_list_filterby_pattern(raw, pattern):
    names = raw.value("COMMAND", "LIST")
    got = raw.value("COMMAND", "LIST", "FILTERBY", "PATTERN", pattern)
    expected = [n for n in names if fnmatchcase(n.decode(), pattern.lower())]
    assert sorted(got) == sorted(expected)


def test_command_list_filterby_pattern_known(raw):
    got = raw.value("command", "list", "filterby", "pattern", "ge?")
    assert got == [b"get"]
    got = set(raw.value("COMMAND", "LIST", "FILTERBY", "PATTERN", "ge*"))
    assert b"get" in got and b"set" not in got
    assert raw.raw("COMMAND", "LIST", "FILTERBY", "PATTERN", "nomatch*") == b"*0\r\n"


@pytest.mark.parametrize("args", [
    ["FILTERBY"], ["FILTERBY", "PATTERN"], ["FILTERBY", "PATTERN", "ge*", "x"],
    ["FILTERBY", "FOO", "x"], ["FOO"], ["x", "y", "z"],
])
def test_command_list_syntax(raw, args):
    assert raw.raw("COMMAND", "LIST", *args) == SYNTAX


def test_command_unknown_subcommand(raw):
    assert raw.raw("COMMAND", "FOO") == err("ERR unknown subcommand 'FOO'. Try COMMAND HELP.")
    assert raw.raw("command", "Foo", "bar") == \
        err("ERR unknown subcommand 'Foo'. Try COMMAND HELP.")
    assert raw.raw("COMMAND", "COUNT", "x") == arity_err("command|count")


# -------------------------------------------------------------- COMMAND DOCS

@pytest.mark.parametrize("name,resp2,resp3", [
    ("get", DOCS_GET_RESP2, DOCS_GET_RESP3),
    ("set", DOCS_SET_RESP2, DOCS_SET_RESP3),
])
def test_command_docs_exact(raw, raw3, name, resp2, resp3):
    assert raw.raw("COMMAND", "DOCS", name) == resp2
    assert raw.raw("command", "docs", name.upper()) == resp2
    assert raw3.raw("COMMAND", "DOCS", name) == resp3


def test_command_docs_unknown(raw, raw3):
    assert raw.raw("COMMAND", "DOCS", "nosuchcommand") == b"*0\r\n"
    assert raw3.raw("COMMAND", "DOCS", "nosuchcommand") == b"%0\r\n"
    assert raw.raw("COMMAND", "DOCS", "get", "nosuchcommand") == DOCS_GET_RESP2


def test_command_docs_all(raw, raw3):
    count = raw.value("COMMAND", "COUNT")
    flat = raw.value("COMMAND", "DOCS")
    assert len(flat) == 2 * count
    docs = dict(zip(flat[0::2], flat[1::2]))
    assert docs[b"get"] == raw.value("COMMAND", "DOCS", "get")[1]
    docs3 = raw3.value("COMMAND", "DOCS")
    assert len(docs3) == count
    assert docs3[b"set"] == raw3.value("COMMAND", "DOCS", "set")[b"set"]


# ----------------------------------------------------------- COMMAND GETKEYS

def keys_reply(*keys):
    return array(*[bulk(k) for k in keys])


@pytest.mark.parametrize("cmd,keys", [
    (["set", "k", "v"], ["k"]),
    (["SET", "k", "v", "EX", "10"], ["k"]),
    (["GET", "k"], ["k"]),
    (["mset", "a", "1", "b", "2"], ["a", "b"]),
    (["mset", "a", "1", "b"], ["a", "b"]),  # arity is only checked as "at least 3"
    (["mget", "a", "b", "c"], ["a", "b", "c"]),
    (["del", "a", "b", "a"], ["a", "b", "a"]),
    (["exists", "x"], ["x"]),
    (["expire", "k", "10"], ["k"]),
    (["incrby", "n", "5"], ["n"]),
    (["ttl", "t"], ["t"]),
    # Commands whose keys move with their arguments.
    (["zunionstore", "d", "2", "a", "b"], ["d", "a", "b"]),
    (["zunion", "2", "a", "b"], ["a", "b"]),
    (["lmpop", "2", "a", "b", "LEFT"], ["a", "b"]),
    (["zintercard", "2", "a", "b"], ["a", "b"]),
    (["lmove", "a", "b", "LEFT", "LEFT"], ["a", "b"]),
])
def test_command_getkeys(raw, cmd, keys):
    assert raw.raw("COMMAND", "GETKEYS", *cmd) == keys_reply(*keys)


def test_command_getkeys_resp3(raw3):
    assert raw3.raw("COMMAND", "GETKEYS", "mset", "a", "1", "b", "2") == keys_reply("a", "b")


@pytest.mark.parametrize("cmd,reply", [
    (["nosuch", "x"], err("ERR Invalid command specified")),
    (["ping", "x"], err("ERR The command has no key arguments")),
    (["echo", "x"], err("ERR The command has no key arguments")),
    (["echo", "x", "y"], err("ERR The command has no key arguments")),
    (["command", "info"], err("ERR The command has no key arguments")),
    (["get", "k", "x"], err("ERR Invalid number of arguments specified for command")),
    (["set", "k"], err("ERR Invalid number of arguments specified for command")),
    (["mset", "a"], err("ERR Invalid number of arguments specified for command")),
    (["ttl", "a", "b"], err("ERR Invalid number of arguments specified for command")),
    (["zunionstore", "d", "3", "a", "b"], err("ERR Invalid arguments specified for command")),
    ([], arity_err("command|getkeys")),
    (["get"], arity_err("command|getkeys")),
    (["nosuch"], arity_err("command|getkeys")),
])
def test_command_getkeys_errors(raw, cmd, reply):
    assert raw.raw("COMMAND", "GETKEYS", *cmd) == reply


FLAG_SET = b"*2\r\n$1\r\n%s\r\n~%d\r\n%s"


def keys_and_flags(*pairs):
    """RESP3 GETKEYSANDFLAGS reply: (key, [flags]) pairs."""
    return b"*%d\r\n" % len(pairs) + b"".join(
        FLAG_SET % (k.encode(), len(f), b"".join(b"+%s\r\n" % x.encode() for x in f))
        for k, f in pairs)


@pytest.mark.parametrize("cmd,pairs", [
    (["lmove", "a", "b", "LEFT", "LEFT"], [("a", ["RW", "access", "delete"]), ("b", ["RW", "insert"])]),
    (["zunionstore", "d", "2", "a", "b"],
     [("d", ["OW", "update"]), ("a", ["RO", "access"]), ("b", ["RO", "access"])]),
    (["set", "a", "b"], [("a", ["OW", "update"])]),
    (["set", "a", "b", "GET"], [("a", ["RW", "access", "update"])]),
    (["sort", "a", "STORE", "b"], [("a", ["RO", "access"]), ("b", ["OW", "update"])]),
    (["rename", "a", "b"], [("a", ["RW", "access", "delete"]), ("b", ["OW", "update"])]),
    (["lmpop", "2", "a", "b", "LEFT"], [("a", ["RW", "access", "delete"]), ("b", ["RW", "access", "delete"])]),
])
def test_command_getkeysandflags(raw3, cmd, pairs):
    assert raw3.raw("COMMAND", "GETKEYSANDFLAGS", *cmd) == keys_and_flags(*pairs)


def test_command_redis_py(r, raw):
    assert r.command_count() == raw.value("COMMAND", "COUNT")
    assert r.command_getkeys("MSET", "a", "1", "b", "2") == ["a", "b"]


# ------------------------------------------ containers list what they have

def _subcommands(entry):
    return [s[0] for s in entry[9]] if len(entry) > 9 else []


def test_container_subcommands_are_commands(raw, raw3):
    """Every subcommand a container's COMMAND INFO and DOCS list is itself
    a command COMMAND INFO knows, and COMMAND LIST names it: kevy's
    containers list only the subcommands it implements."""
    listed = set(raw.value("COMMAND", "LIST"))
    for entry in raw.value("COMMAND"):
        subs = _subcommands(entry)
        for sub in subs:
            assert sub in listed, sub
            info = raw.value("COMMAND", "INFO", sub)[0]
            assert info is not None and info[0] == sub
        docs = raw3.value("COMMAND", "DOCS", entry[0])[entry[0]]
        assert sorted(docs.get(b"subcommands", {}).keys()) == sorted(subs)
    for n in listed:
        if b"|" in n:
            parent = raw.value("COMMAND", "INFO", n.split(b"|")[0])[0]
            assert n in _subcommands(parent), n


@pytest.mark.kevy_only
def test_container_subcommands_answer(raw):
    """Each listed subcommand runs (called with a wrong argument count, so it
    answers an arity error, never 'unknown subcommand')."""
    for entry in raw.value("COMMAND"):
        for sub in _subcommands(entry):
            info = raw.value("COMMAND", "INFO", sub)[0]
            arity = info[1]
            words = sub.decode().split("|")
            if arity > 0:
                args = words + ["x"] * (arity - 1)
            elif -arity > 2:
                args = words + ["x"] * (-arity - 3)
            else:
                continue
            reply = raw.raw(*args)
            assert reply == arity_err(sub.decode()), (sub, reply)


@pytest.mark.kevy_only
@pytest.mark.parametrize("container", ["function", "script"])
def test_scripting_containers_list_only_what_kevy_has(raw, container):
    subs = _subcommands(raw.value("COMMAND", "INFO", container)[0])
    for sub in subs:  # kevy's are harmless without arguments (FLUSH, LIST)
        reply = raw.raw(*sub.decode().split("|"))
        assert not reply.startswith(b"-ERR unknown subcommand"), (sub, reply)
    assert container.encode() + b"|flush" in subs
