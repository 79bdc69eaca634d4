"""Functions (Redis 7.0): FUNCTION LOAD / DELETE / LIST / DUMP / RESTORE /
FLUSH / STATS / KILL / HELP, FCALL and FCALL_RO, redis.register_function
in both forms with its flags, the "#!lua name=" line, and Redis 7.0.15's
error texts byte for byte. Libraries are server-wide: on kevy a function
loaded on one connection runs on every shard, with keys anywhere. Busy
functions (FUNCTION STATS, FUNCTION KILL) and persistence (dump.rdb both
ways with Redis, the AOF, its rewrites) have their own servers below."""

import threading
import time

import pytest

from helpers import (NIL, NULL3, OK, arity_err, array, bulk, crc64, err, integer, spread_keys,
                     wait_busy)
from resp_client import RespClient, ServerClosed

LIB = "#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return args[1] end)"
# Redis 7.0.15's FUNCTION DUMP of LIB alone: opcode 245, the code (LZF), RDB 10, CRC-64.
LIB_DUMP = bytes.fromhex(
    "f5c34056405b1f23216c7561206e616d653d6d796c69620a72656469732e72656769737465725f0b66756e6374"
    "696f6e28276d79400b02272c2040066012116b6579732c2061726773292072657475726e600c075b315d20656e"
    "64290a008d5936adc6e707da")
RW = """#!lua name=rw
redis.register_function('setget', function(keys, args)
  redis.call('set', keys[1], args[1])
  return redis.call('get', keys[1])
end)
redis.register_function{function_name='getter', callback=function(keys)
  return redis.call('get', keys[1]) end, flags={'no-writes'}, description='reads'}
"""


def lib(name, *bodies):
    return "#!lua name=%s\n%s" % (name, "\n".join(bodies))


def fn(name, body="return 1"):
    return "redis.register_function('%s', function(keys, args) %s end)" % (name, body)


def loaded(c, code, *opts):
    r = c.raw("FUNCTION", "LOAD", *opts, code)
    assert r.startswith(b"$"), r
    return r


@pytest.fixture(autouse=True)
def _flush_functions(request):
    """FLUSHALL leaves functions: every test starts with none."""
    if "raw" in request.fixturenames or "raw3" in request.fixturenames:
        c = request.getfixturevalue("connect")(2)
        assert c.raw("FUNCTION", "FLUSH") == OK
    yield


# ------------------------------------------------------------ LOAD


def test_load_and_fcall(raw):
    assert raw.raw("FUNCTION", "LOAD", LIB) == bulk("mylib")
    assert raw.raw("FCALL", "myfunc", "0", "hello") == bulk("hello")
    assert raw.raw("FCALL", "MYFUNC", "0", "x") == bulk("x")  # names in any case
    assert raw.raw("FCALL", "myfunc", "0") == NIL
    assert raw.raw("FUNCTION", "LOAD", RW) == bulk("rw")
    for k in spread_keys(20, "fk:"):
        assert raw.raw("FCALL", "setget", "1", k, "v" + k) == bulk("v" + k)
        assert raw.raw("FCALL_RO", "getter", "1", k) == bulk("v" + k)
        assert raw.raw("GET", k) == bulk("v" + k)


def test_load_errors(raw):
    cases = [
        ("return 1", "ERR Missing library metadata"),
        ("#!lua name=x", "ERR Invalid library metadata"),
        ("#!lua\n" + fn("f"), "ERR Library name was not given"),
        ("#!lua name=x foo=bar\n" + fn("f"), "ERR Invalid metadata value given: foo=bar"),
        ("#!lua name=x foo\n" + fn("f"), "ERR Invalid metadata value given: foo"),
        ("#!lua name=x name=y\n" + fn("f"),
         "ERR Invalid metadata value, name argument was given multiple times"),
        ("#!js name=x\n" + fn("f"), "ERR Engine 'js' not found"),
        ("#!lua name=a-b\n" + fn("f"),
         "ERR Library names can only contain letters, numbers, or underscores(_) and must be "
         "at least one character long"),
        ("#!lua name=x\n", "ERR No functions registered"),
        ("#!lua name=x\nreturn 1", "ERR No functions registered"),
        ("#!lua name=x\nlocal a = \n", "ERR Error compiling function: user_function:3: "
         "unexpected symbol near '<eof>'"),
        ("#!lua name=x\nerror('boom')", "ERR Error registering functions: ERR user_function:2: "
         "Script attempted to access nonexistent global variable 'error'"),
        ("#!lua name=x\nlocal s = string.format('%d', 1)", "ERR Error registering functions: "
         "ERR user_function:2: Script attempted to access nonexistent global variable 'string'"),
        ("#!lua name=x\nredis.call('set', 'k', 'v')", "ERR Error registering functions: "
         "ERR user_function:2: Script attempted to access nonexistent global variable 'call'"),
        ("#!lua name=x\nx = 5", "ERR Error registering functions: ERR user_function:2: "
         "Attempt to modify a readonly table"),
        ("#!lua name=x\nlocal a = nil + 1", "ERR Error registering functions: "
         "ERR user_function:2: attempt to perform arithmetic on a nil value"),
    ]
    for code, want in cases:
        assert raw.raw("FUNCTION", "LOAD", code) == err(want), code
    assert raw.raw("FUNCTION", "LOAD") == arity_err("function|load")
    assert raw.raw("FUNCTION", "LOAD", "foo", LIB) == err("ERR Unknown option given: foo")
    assert raw.raw("FUNCTION", "LOAD", "REPLACE") == err("ERR Missing library metadata")
    assert raw.raw("FUNCTION", "LIST") == b"*0\r\n"  # nothing was loaded


def test_load_timeout(raw):
    """A library's code runs at most 500 ms."""
    t0 = time.monotonic()
    assert raw.raw("FUNCTION", "LOAD", lib("x", "local i = 0 while true do i = i + 1 end")) == \
        err("ERR Error registering functions: ERR FUNCTION LOAD timeout")
    assert 0.4 < time.monotonic() - t0 < 5
    assert raw.raw("FUNCTION", "LIST") == b"*0\r\n"


def test_load_api(raw):
    """At load time only redis.register_function, redis.log, the LOG_*
    levels and the version exist."""
    code = lib("api", "redis.log(redis.LOG_NOTICE, 'loading', redis.REDIS_VERSION)",
               "local v = redis.REDIS_VERSION_NUM",
               fn("ver", "return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM}"))
    assert raw.raw("FUNCTION", "LOAD", code) == bulk("api")
    assert raw.raw("FCALL", "ver", "0") == array(bulk("7.0.15"), integer(0x07000f))
    assert raw.raw("FUNCTION", "LOAD", lib("x", "local t = redis.setresp")) == \
        err("ERR Error registering functions: ERR user_function:2: Script attempted to access "
            "nonexistent global variable 'setresp'")


def test_register_function_errors(raw):
    pre = "ERR Error registering functions: ERR "
    cases = [
        ("redis.register_function('f9')", "calling redis.register_function with a single "
         "argument is only applicable to Lua table (representing named arguments)."),
        ("redis.register_function('f9', 'x')",
         "second argument to redis.register_function must be a function"),
        ("redis.register_function('f9', function() end, 'x')",
         "wrong number of arguments to redis.register_function"),
        ("redis.register_function()", "wrong number of arguments to redis.register_function"),
        ("redis.register_function{function_name='f9'}",
         "redis.register_function must get a callback argument"),
        ("redis.register_function{callback=function() end}",
         "redis.register_function must get a function name argument"),
        ("redis.register_function{function_name='f9', callback=function() end, foo=1}",
         "unknown argument given to redis.register_function"),
        ("redis.register_function{[1]=2}", "unknown argument given to redis.register_function"),
        ("redis.register_function{function_name='f9', callback=function() end, "
         "flags='no-writes'}",
         "flags argument to redis.register_function must be a table representing function flags"),
        ("redis.register_function{function_name='f9', callback=function() end, flags={'bad'}}",
         "unknown flag given"),
        ("redis.register_function{function_name='f9', callback=function() end, flags={1}}",
         "unknown flag given"),
        ("redis.register_function{function_name=function() end}",
         "function_name argument given to redis.register_function must be a string"),
        ("redis.register_function{function_name='x', description={}}",
         "description argument given to redis.register_function must be a string"),
        ("redis.register_function{function_name='x', callback=2}",
         "callback argument given to redis.register_function must be a function"),
        (fn("x") + "\n" + fn("x"), "Function already exists in the library"),
        (fn("a b"), "Library names can only contain letters, numbers, or underscores(_) and "
         "must be at least one character long"),
        (fn(""), "Library names can only contain letters, numbers, or underscores(_) and must "
         "be at least one character long"),
    ]
    for body, want in cases:
        assert raw.raw("FUNCTION", "LOAD", lib("reg", body)) == err(pre + want), body
    assert raw.raw("FUNCTION", "LIST") == b"*0\r\n"


def test_exists_replace_and_collisions(raw):
    assert raw.raw("FUNCTION", "LOAD", LIB) == bulk("mylib")
    assert raw.raw("FUNCTION", "LOAD", LIB) == err("ERR Library 'mylib' already exists")
    assert raw.raw("FUNCTION", "LOAD", lib("mylib", "syntax error")) == \
        err("ERR Library 'mylib' already exists")
    assert raw.raw("FUNCTION", "LOAD", lib("lib2", fn("myfunc"))) == \
        err("ERR Function myfunc already exists")
    assert raw.raw("FUNCTION", "LOAD", lib("lib2", fn("MyFunc"))) == \
        err("ERR Function MyFunc already exists")
    new = lib("mylib", fn("myfunc", "return 'new'"), fn("second", "return 2"))
    assert raw.raw("FUNCTION", "LOAD", "REPLACE", new) == bulk("mylib")
    assert raw.raw("FCALL", "myfunc", "0") == bulk("new")
    assert raw.raw("FCALL", "second", "0") == integer(2)
    # a replacement that fails leaves the old library
    assert raw.raw("FUNCTION", "LOAD", "replace", lib("mylib", "x = ")) == \
        err("ERR Error compiling function: user_function:2: unexpected symbol near '<eof>'")
    assert raw.raw("FCALL", "second", "0") == integer(2)
    assert raw.raw("FUNCTION", "LOAD", "REPLACE", lib("mylib", fn("third"))) == bulk("mylib")
    assert raw.raw("FCALL", "second", "0") == err("ERR Function not found")
    assert raw.raw("FCALL", "third", "0") == integer(1)


# ------------------------------------------------------------ FCALL


def test_fcall_errors(raw):
    assert raw.raw("FCALL", "nosuch", "0") == err("ERR Function not found")
    assert raw.raw("FCALL", "nosuch", "x") == err("ERR Function not found")
    assert raw.raw("FCALL_RO", "nosuch", "0") == err("ERR Function not found")
    assert raw.raw("FCALL") == arity_err("fcall")
    assert raw.raw("FCALL", "x") == arity_err("fcall")
    assert raw.raw("FUNCTION", "LOAD", LIB) == bulk("mylib")
    assert raw.raw("FCALL", "myfunc", "a") == err("ERR Bad number of keys provided")
    assert raw.raw("FCALL", "myfunc", "-1") == err("ERR Number of keys can't be negative")
    assert raw.raw("FCALL", "myfunc", "3", "a") == \
        err("ERR Number of keys can't be greater than number of args")
    assert raw.raw("FCALL_RO", "myfunc", "0", "a") == \
        err("ERR Can not execute a script with write flag using *_ro command.")


def test_fcall_runtime(raw):
    code = lib("rt", fn("boom", "return error('bad')"),
               fn("reply_err", "return redis.error_reply('MY err')"),
               fn("keys_global", "return KEYS"),
               fn("set_global", "x = 1"),
               fn("status", "return redis.status_reply('FINE')"),
               fn("tbl", "return {1, 'two', {3}}"),
               "redis.register_function{function_name='ro_write', callback=function(keys) "
               "return redis.call('set', keys[1], 'v') end, flags={'no-writes'}}")
    assert raw.raw("FUNCTION", "LOAD", code) == bulk("rt")
    assert raw.raw("FCALL", "boom", "0") == \
        err("ERR user_function:2: bad script: boom, on @user_function:2.")
    assert raw.raw("FCALL", "BOOM", "0") == \
        err("ERR user_function:2: bad script: boom, on @user_function:2.")
    assert raw.raw("FCALL", "reply_err", "0") == err("MY err")
    assert raw.raw("FCALL", "keys_global", "0") == \
        err("ERR user_function:4: Script attempted to access nonexistent global variable "
            "'KEYS' script: keys_global, on @user_function:4.")
    assert raw.raw("FCALL", "set_global", "0") == \
        err("ERR user_function:5: Attempt to modify a readonly table script: set_global, on "
            "@user_function:5.")
    assert raw.raw("FCALL", "status", "0") == b"+FINE\r\n"
    assert raw.raw("FCALL", "tbl", "0") == array(integer(1), bulk("two"), array(integer(3)))
    want = err("ERR Write commands are not allowed from read-only scripts. script: ro_write, "
               "on @user_function:8.")
    assert raw.raw("FCALL", "ro_write", "1", "k") == want
    assert raw.raw("FCALL_RO", "ro_write", "1", "k") == want
    assert raw.raw("EXISTS", "k") == integer(0)


def test_fcall_in_multi(raw):
    assert raw.raw("FUNCTION", "LOAD", RW) == bulk("rw")
    keys = spread_keys(6, "fm:")
    assert raw.raw("MULTI") == OK
    for k in keys:
        assert raw.raw("FCALL", "setget", "1", k, k) == b"+QUEUED\r\n"
    assert raw.raw("EXEC") == array(*[bulk(k) for k in keys])


def test_changes_in_multi(raw):
    """Changes and calls queued together run in order, each change with
    its own verdict (on kevy each runs on every shard)."""
    assert raw.raw("MULTI") == OK
    for cmd in (("FUNCTION", "LOAD", lib("a", fn("fa", "return redis.call('incr', keys[1])"))),
                ("FCALL", "fa", "1", "x"), ("FCALL", "fa", "1", "y"),
                ("FUNCTION", "LOAD", lib("a", fn("fb"))), ("FUNCTION", "DELETE", "a"),
                ("FUNCTION", "DELETE", "a")):
        assert raw.raw(*cmd) == b"+QUEUED\r\n"
    assert raw.raw("EXEC") == array(bulk("a"), integer(1), integer(1),
                                    err("ERR Library 'a' already exists"), OK,
                                    err("ERR Library not found"))
    assert raw.raw("FUNCTION", "LIST") == b"*0\r\n"


def test_fcall_undeclared_keys(raw):
    """A function may touch keys it did not declare (Redis allows it
    outside cluster mode); on kevy it then locks every shard."""
    code = lib("und", fn("fill", "for i, k in ipairs(args) do redis.call('set', k, i) end "
                                 "return #args"))
    assert raw.raw("FUNCTION", "LOAD", code) == bulk("und")
    keys = spread_keys(30, "fu:")
    assert raw.raw("FCALL", "fill", "0", *keys) == integer(30)
    assert raw.raw("MGET", *keys) == array(*[bulk(str(i + 1)) for i in range(30)])


def test_fcall_resp3(raw3):
    code = lib("r3", fn("m", "redis.setresp(3) return redis.call('hgetall', keys[1])"))
    assert raw3.raw("FUNCTION", "LOAD", code) == bulk("r3")
    assert raw3.raw("HSET", "h", "a", "1") == integer(1)
    assert raw3.raw("FCALL", "m", "1", "h") == b"%1\r\n" + bulk("a") + bulk("1")


# ------------------------------------------------------------ LIST, DELETE, FLUSH


def one_lib(name, fns, code=None):
    items = [bulk("library_name"), bulk(name), bulk("engine"), bulk("LUA"), bulk("functions"),
             array(*fns)]
    if code is not None:
        items += [bulk("library_code"), bulk(code)]
    return array(*items)


def one_fn(name, desc=None, flags=()):
    return array(bulk("name"), bulk(name), bulk("description"),
                 NIL if desc is None else bulk(desc), bulk("flags"),
                 array(*[b"+%s\r\n" % f.encode() for f in flags]))


def test_list(raw):
    assert raw.raw("FUNCTION", "LIST") == b"*0\r\n"
    assert raw.raw("FUNCTION", "LOAD", RW) == bulk("rw")
    fns = raw.raw("FUNCTION", "LIST")
    setget = one_fn("setget")
    getter = one_fn("getter", "reads", ["no-writes"])
    assert fns in (array(one_lib("rw", [setget, getter])), array(one_lib("rw", [getter, setget])))
    flags = "{'allow-cross-slot-keys', 'no-cluster', 'allow-stale', 'allow-oom', 'no-writes'}"
    code = lib("flags", "redis.register_function{function_name='g', callback=function() return "
                        "1 end, flags=%s, description='d'}" % flags)
    assert raw.raw("FUNCTION", "LOAD", code) == bulk("flags")
    want = one_lib("flags", [one_fn("g", "d", ["no-writes", "allow-oom", "allow-stale",
                                              "no-cluster", "allow-cross-slot-keys"])])
    assert raw.raw("FUNCTION", "LIST", "LIBRARYNAME", "fl*") == array(want)
    assert raw.raw("FUNCTION", "LIST", "libraryname", "FLAGS") == array(want)
    with_code = one_lib("flags", [one_fn("g", "d", ["no-writes", "allow-oom", "allow-stale",
                                                   "no-cluster", "allow-cross-slot-keys"])],
                        code)
    assert raw.raw("FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "flags") == array(with_code)
    assert raw.raw("FUNCTION", "LIST", "LIBRARYNAME", "nomatch*") == b"*0\r\n"
    assert raw.raw("FUNCTION", "LIST", "LIBRARYNAME") == \
        err("ERR library name argument was not given")
    assert raw.raw("FUNCTION", "LIST", "WITHCODE", "WITHCODE") == \
        err("ERR Unknown argument WITHCODE")
    assert raw.raw("FUNCTION", "LIST", "foo") == err("ERR Unknown argument foo")
    assert raw.raw("FUNCTION", "LIST", "LIBRARYNAME", "a", "LIBRARYNAME", "b") == \
        err("ERR Unknown argument LIBRARYNAME")


def test_list_resp3(raw3):
    code = lib("l3", "redis.register_function{function_name='f', callback=function() return 1 "
                     "end, flags={'no-writes'}}")
    assert raw3.raw("FUNCTION", "LOAD", code) == bulk("l3")
    assert raw3.raw("FUNCTION", "LIST") == (
        b"*1\r\n%3\r\n" + bulk("library_name") + bulk("l3") + bulk("engine") + bulk("LUA") +
        bulk("functions") + b"*1\r\n%3\r\n" + bulk("name") + bulk("f") + bulk("description") +
        NULL3 + bulk("flags") + b"~1\r\n+no-writes\r\n")


def test_delete_and_flush(raw):
    assert raw.raw("FUNCTION", "DELETE", "mylib") == err("ERR Library not found")
    assert raw.raw("FUNCTION", "LOAD", LIB) == bulk("mylib")
    assert raw.raw("FUNCTION", "DELETE", "MYLIB") == err("ERR Library not found")
    assert raw.raw("FUNCTION", "DELETE", "mylib") == OK
    assert raw.raw("FCALL", "myfunc", "0") == err("ERR Function not found")
    assert raw.raw("FUNCTION", "DELETE") == arity_err("function|delete")
    assert raw.raw("FUNCTION", "DELETE", "a", "b") == arity_err("function|delete")
    assert raw.raw("FUNCTION", "LOAD", LIB) == bulk("mylib")
    assert raw.raw("FUNCTION", "LOAD", RW) == bulk("rw")
    assert raw.raw("FUNCTION", "FLUSH", "foo") == \
        err("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
    assert raw.raw("FUNCTION", "FLUSH", "a", "b") == \
        err("ERR unknown subcommand or wrong number of arguments for 'FLUSH'. Try FUNCTION HELP.")
    assert raw.raw("FUNCTION", "FLUSH", "ASYNC") == OK
    assert raw.raw("FUNCTION", "LIST") == b"*0\r\n"
    assert raw.raw("FCALL", "setget", "1", "k", "v") == err("ERR Function not found")
    assert raw.raw("FUNCTION", "LOAD", LIB) == bulk("mylib")
    assert raw.raw("FUNCTION", "FLUSH", "sync") == OK
    assert raw.raw("FCALL", "myfunc", "0") == err("ERR Function not found")


def test_flushall_keeps_functions(raw):
    assert raw.raw("FUNCTION", "LOAD", LIB) == bulk("mylib")
    assert raw.raw("FLUSHALL") == OK
    assert raw.raw("SCRIPT", "FLUSH") == OK
    assert raw.raw("FCALL", "myfunc", "0", "still") == bulk("still")


def test_stats_and_kill_idle(raw):
    assert raw.raw("FUNCTION", "STATS") == array(
        bulk("running_script"), NIL, bulk("engines"),
        array(bulk("LUA"), array(bulk("libraries_count"), integer(0), bulk("functions_count"),
                                 integer(0))))
    assert raw.raw("FUNCTION", "LOAD", LIB) == bulk("mylib")
    assert raw.raw("FUNCTION", "LOAD", RW) == bulk("rw")
    assert raw.raw("FUNCTION", "STATS") == array(
        bulk("running_script"), NIL, bulk("engines"),
        array(bulk("LUA"), array(bulk("libraries_count"), integer(2), bulk("functions_count"),
                                 integer(3))))
    assert raw.raw("FUNCTION", "KILL") == err("NOTBUSY No scripts in execution right now.")
    assert raw.raw("FUNCTION", "STATS", "x") == arity_err("function|stats")
    assert raw.raw("FUNCTION", "KILL", "x") == arity_err("function|kill")


def test_help(raw):
    r = raw.raw("FUNCTION", "HELP")
    assert r.startswith(b"*40\r\n+FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands "
                        b"are:\r\n+LOAD [REPLACE] <FUNCTION CODE>\r\n")
    assert r.endswith(b"+HELP\r\n+    Prints this help.\r\n")


# ------------------------------------------------------------ DUMP, RESTORE


def test_dump_is_redis_bytes(raw):
    empty = b"\x0a\x00"
    assert raw.raw("FUNCTION", "DUMP") == bulk(empty + crc64(empty).to_bytes(8, "little"))
    assert raw.raw("FUNCTION", "LOAD", LIB) == bulk("mylib")
    assert raw.raw("FUNCTION", "DUMP") == bulk(LIB_DUMP)


def test_restore(raw):
    assert raw.raw("FUNCTION", "RESTORE", LIB_DUMP) == OK  # Redis's own payload
    assert raw.raw("FCALL", "myfunc", "0", "r") == bulk("r")
    assert raw.raw("FUNCTION", "RESTORE", LIB_DUMP) == err("ERR Library mylib already exists")
    assert raw.raw("FUNCTION", "RESTORE", LIB_DUMP, "APPEND") == \
        err("ERR Library mylib already exists")
    assert raw.raw("FUNCTION", "RESTORE", LIB_DUMP, "REPLACE") == OK
    assert raw.raw("FUNCTION", "LOAD", RW) == bulk("rw")
    assert raw.raw("FUNCTION", "RESTORE", LIB_DUMP, "FLUSH") == OK
    assert raw.raw("FCALL", "setget", "1", "k", "v") == err("ERR Function not found")
    assert raw.raw("FCALL", "myfunc", "0", "r") == bulk("r")
    assert raw.raw("FUNCTION", "RESTORE", "abc") == \
        err("ERR DUMP payload version or checksum are wrong")
    bad = bytearray(LIB_DUMP)
    bad[5] ^= 1
    assert raw.raw("FUNCTION", "RESTORE", bytes(bad)) == \
        err("ERR DUMP payload version or checksum are wrong")
    assert raw.raw("FUNCTION", "RESTORE", LIB_DUMP, "foo") == \
        err("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
    assert raw.raw("FUNCTION", "RESTORE", LIB_DUMP, "a", "b") == \
        err("ERR unknown subcommand or wrong number of arguments for 'RESTORE'. Try FUNCTION "
            "HELP.")
    key_dump = raw.raw("DUMP", "nokey")
    assert key_dump == NIL
    assert raw.raw("SET", "s", "v") == OK
    s_dump = raw.raw("DUMP", "s")
    payload = s_dump[s_dump.index(b"\r\n") + 2:-2]
    assert raw.raw("FUNCTION", "RESTORE", payload) == err("ERR given type is not a function")
    # a function in the payload that clashes with another library's
    assert raw.raw("FUNCTION", "FLUSH") == OK
    assert raw.raw("FUNCTION", "LOAD", lib("other", fn("myfunc"))) == bulk("other")
    assert raw.raw("FUNCTION", "RESTORE", LIB_DUMP) == err("ERR Function myfunc already exists")
    assert raw.raw("FUNCTION", "RESTORE", LIB_DUMP, "REPLACE") == \
        err("ERR Function myfunc already exists")
    assert raw.raw("FUNCTION", "RESTORE", LIB_DUMP, "FLUSH") == OK
    assert raw.raw("FUNCTION", "LIST", "LIBRARYNAME", "other") == b"*0\r\n"


def test_dump_restore_round_trip(raw):
    assert raw.raw("FUNCTION", "LOAD", LIB) == bulk("mylib")
    assert raw.raw("FUNCTION", "LOAD", RW) == bulk("rw")
    d = raw.raw("FUNCTION", "DUMP")
    payload = d[d.index(b"\r\n") + 2:-2]
    listed = sorted_list(raw)
    assert raw.raw("FUNCTION", "FLUSH") == OK
    assert raw.raw("FUNCTION", "RESTORE", payload) == OK
    assert sorted_list(raw) == listed
    assert raw.raw("FCALL", "setget", "1", "k", "v") == bulk("v")


def sorted_list(c):
    """FUNCTION LIST WITHCODE, libraries and their functions sorted (Redis's
    order is its dicts')."""
    out = []
    for x in c.call("FUNCTION", "LIST", "WITHCODE")[0]:
        d = dict(zip(x[::2], x[1::2]))
        d[b"functions"] = sorted(repr(f) for f in d[b"functions"])
        out.append(repr(sorted(d.items())))
    return sorted(out)


# ------------------------------------------------------------ busy functions


LOOP_LIB = lib("slow", fn("spin", "local i = 0 while true do i = i + 1 end"),
               fn("wspin", "redis.call('set', keys[1], '1') local i = 0 while true do "
                           "i = i + 1 end"))
FN_BUSY = err("BUSY Redis is busy running a script. You can only call FUNCTION KILL or "
              "SHUTDOWN NOSAVE.")
SCRIPT_BUSY = err("BUSY Redis is busy running a script. You can only call SCRIPT KILL or "
                  "SHUTDOWN NOSAVE.")
UNKILLABLE = err("UNKILLABLE Sorry the script already executed write commands against the "
                 "dataset. You can either wait the script termination or kill the server in a "
                 "hard way using the SHUTDOWN NOSAVE command.")


def start_busy(srv, *cmd):
    with RespClient(srv.host, srv.port) as c:
        assert c.raw("CONFIG", "SET", "busy-reply-threshold", "100") == OK
        c.raw("FUNCTION", "LOAD", "REPLACE", LOOP_LIB)
    result = {}

    def run():
        c = RespClient(srv.host, srv.port, timeout=30)
        try:
            result["reply"] = c.raw(*cmd)
        except (ServerClosed, OSError) as e:
            result["reply"] = e
        finally:
            c.close()

    t = threading.Thread(target=run)
    t.start()
    return t, result


def test_function_kill(server_factory):
    srv = server_factory()
    t, result = start_busy(srv, "FCALL", "spin", "1", "key", "arg1")
    wait_busy(srv, FN_BUSY)
    with RespClient(srv.host, srv.port) as c:
        stats = c.call("FUNCTION", "STATS")[0]
        assert stats[0] == b"running_script"
        running = stats[1]
        assert running[:4] == [b"name", b"spin", b"command",
                               [b"FCALL", b"spin", b"1", b"key", b"arg1"]]
        assert running[4] == b"duration_ms" and running[5] >= 100
        assert stats[2:] == [b"engines", [b"LUA", [b"libraries_count", 1,
                                                   b"functions_count", 2]]]
        assert c.raw("SCRIPT", "KILL") == FN_BUSY
        assert c.raw("FUNCTION", "KILL") == OK
    t.join(10)
    assert result["reply"] == err("ERR Script killed by user with SCRIPT KILL... script: spin, "
                                  "on @user_function:2.")
    with RespClient(srv.host, srv.port) as c:
        assert c.raw("PING") == b"+PONG\r\n"
        assert c.raw("FUNCTION", "KILL") == err("NOTBUSY No scripts in execution right now.")
        assert c.call("FUNCTION", "STATS")[0][1] is None


def test_function_kill_refuses_a_script_and_unkillable(server_factory):
    srv = server_factory()
    t, result = start_busy(srv, "EVAL", "local i = 0 while true do i = i + 1 end", "0")
    wait_busy(srv, SCRIPT_BUSY)
    with RespClient(srv.host, srv.port) as c:
        assert c.raw("FUNCTION", "KILL") == SCRIPT_BUSY
        assert c.raw("FUNCTION", "STATS") == SCRIPT_BUSY
        assert c.raw("SCRIPT", "KILL") == OK
    t.join(10)
    t, result = start_busy(srv, "FCALL", "wspin", "1", "w")
    wait_busy(srv, FN_BUSY)
    with RespClient(srv.host, srv.port) as c:
        assert c.raw("FUNCTION", "KILL") == UNKILLABLE
        assert c.raw("SHUTDOWN") == FN_BUSY
        c.send("SHUTDOWN", "NOSAVE")
        assert c.is_closed(timeout=10)
    assert srv.proc.wait(timeout=10) == 0
    t.join(10)
    assert isinstance(result["reply"], (ServerClosed, OSError))


def test_busy_function_client_vanishes(server_factory):
    """The client of a busy function goes away: FUNCTION KILL still ends
    it and the server serves everyone after."""
    srv = server_factory()
    with RespClient(srv.host, srv.port) as c:
        assert c.raw("CONFIG", "SET", "busy-reply-threshold", "100") == OK
        loaded(c, LOOP_LIB)
    c = RespClient(srv.host, srv.port)
    c.send("FCALL", "spin", "0")
    wait_busy(srv, FN_BUSY)
    c.close()
    with RespClient(srv.host, srv.port) as k:
        assert k.raw("FUNCTION", "KILL") == OK
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with RespClient(srv.host, srv.port) as p:
            if p.raw("PING") == b"+PONG\r\n" and p.call("FUNCTION", "STATS")[0][1] is None:
                return
        time.sleep(0.02)
    raise AssertionError("the server stayed busy")


# ------------------------------------------------------------ persistence

AOF = ("--appendonly", "yes", "--appendfsync", "always")


@pytest.fixture
def persist():
    from persist_helpers import persist_servers
    yield from persist_servers()


def fill_functions(c):
    """Libraries made by each kind of change, and keys written by them."""
    assert c.raw("FUNCTION", "LOAD", LIB) == bulk("mylib")
    assert c.raw("FUNCTION", "LOAD", RW) == bulk("rw")
    assert c.raw("FUNCTION", "LOAD", lib("gone", fn("gonefn"))) == bulk("gone")
    assert c.raw("FUNCTION", "DELETE", "gone") == OK
    assert c.raw("FUNCTION", "LOAD", "REPLACE", lib("mylib", fn("myfunc", "return 'v2'"))) == \
        bulk("mylib")
    for k in spread_keys(8, "pk:"):
        assert c.raw("FCALL", "setget", "1", k, "v" + k) == bulk("v" + k)


def fn_state(c):
    keys = spread_keys(8, "pk:")
    return [sorted_list(c), c.raw("FCALL", "myfunc", "0"), c.raw("MGET", *keys),
            c.raw("FCALL", "gonefn", "0")]


@pytest.mark.restart
def test_rdb_restart_keeps_libraries(persist):
    d = persist.dir()
    srv = persist.start(d)
    c = persist.client(srv)
    fill_functions(c)
    want = fn_state(c)
    assert want[1] == bulk("v2") and want[3] == err("ERR Function not found")
    persist.shutdown(srv, "SAVE")
    srv2 = persist.start(d)
    assert fn_state(persist.client(srv2)) == want


@pytest.mark.restart
@pytest.mark.parametrize("way", ["server-to-redis", "redis-to-server"])
def test_rdb_exchange(persist, way):
    from persist_helpers import DUMP, copy_dump
    src = persist.dir("src")
    first = persist.start(src) if way == "server-to-redis" else persist.oracle(src)
    c = persist.client(first)
    fill_functions(c)
    want = fn_state(c)
    assert c.raw("SAVE") == OK
    dst = persist.dir("dst")
    copy_dump(src, dst, DUMP)
    second = persist.oracle(dst) if way == "server-to-redis" else persist.start(dst)
    c2 = persist.client(second)
    assert fn_state(c2) == want
    # with one library left, the payloads are the same bytes on both sides
    assert c2.raw("FUNCTION", "DELETE", "rw") == OK
    assert c.raw("FUNCTION", "DELETE", "rw") == OK
    assert c2.raw("FUNCTION", "DUMP") == c.raw("FUNCTION", "DUMP")


@pytest.mark.restart
def test_aof_replays_function_changes(persist):
    d = persist.dir()
    srv = persist.start(d, *AOF)
    c = persist.client(srv)
    fill_functions(c)
    assert c.raw("FUNCTION", "RESTORE", LIB_DUMP, "REPLACE") == OK
    assert c.raw("FUNCTION", "LOAD", lib("extra", fn("extrafn", "return 7"))) == bulk("extra")
    want = fn_state(c) + [c.raw("FCALL", "extrafn", "0")]
    persist.shutdown(srv)
    srv2 = persist.start(d, *AOF)
    c2 = persist.client(srv2)
    assert fn_state(c2) + [c2.raw("FCALL", "extrafn", "0")] == want
    assert c2.raw("FUNCTION", "FLUSH") == OK
    persist.shutdown(srv2)
    c3 = persist.client(persist.start(d, *AOF))
    assert c3.raw("FUNCTION", "LIST") == b"*0\r\n"
    assert c3.raw("MGET", *spread_keys(8, "pk:")) == want[2]


@pytest.mark.restart
@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_aof_rewrite_keeps_libraries(persist, preamble):
    from persist_helpers import pinfo
    from helpers import wait_until
    d = persist.dir()
    flags = AOF + ("--aof-use-rdb-preamble", preamble)
    srv = persist.start(d, *flags)
    c = persist.client(srv)
    fill_functions(c)
    assert c.raw("BGREWRITEAOF")[:1] == b"+"
    assert wait_until(lambda: pinfo(c, "aof_rewrite_in_progress") == 0
                      and pinfo(c, "aof_rewrite_scheduled") == 0, timeout=20)
    assert c.raw("FUNCTION", "LOAD", lib("after", fn("afterfn", "return 8"))) == bulk("after")
    want = fn_state(c) + [c.raw("FCALL", "afterfn", "0")]
    persist.shutdown(srv)
    c2 = persist.client(persist.start(d, *flags))
    assert fn_state(c2) + [c2.raw("FCALL", "afterfn", "0")] == want


def test_command_info_lists_subcommands(raw):
    info = raw.call("COMMAND", "INFO", "FUNCTION", "FCALL", "FCALL_RO")[0]
    subs = sorted(s[0] for s in info[0][9])
    assert subs == [b"function|" + s for s in (b"delete", b"dump", b"flush", b"help", b"kill",
                                               b"list", b"load", b"restore", b"stats")]
    assert info[1][:6] == [b"fcall", -3, ["noscript", "stale", "skip_monitor",
                                          "no_mandatory_keys", "movablekeys"], 0, 0, 0]
    assert info[2][0] == b"fcall_ro"
    docs = raw.call("COMMAND", "DOCS", "FUNCTION")[0]
    d = dict(zip(docs[1][::2], docs[1][1::2]))
    assert sorted(d[b"subcommands"][::2]) == subs


def test_changes_count_as_one_change(raw):
    """rdb_changes_since_last_save moves by one per change (on kevy: once,
    not once per shard), not at all for a refused one."""
    def dirty():
        info = raw.call("INFO", "persistence")[0].decode()
        return int(info.split("rdb_changes_since_last_save:")[1].split("\r\n")[0])
    d0 = dirty()
    assert raw.raw("FUNCTION", "LOAD", LIB) == bulk("mylib")
    assert dirty() == d0 + 1
    assert raw.raw("FUNCTION", "LOAD", LIB) == err("ERR Library 'mylib' already exists")
    assert raw.raw("FUNCTION", "DELETE", "nosuch") == err("ERR Library not found")
    assert dirty() == d0 + 1
    assert raw.raw("FUNCTION", "RESTORE", LIB_DUMP, "REPLACE") == OK
    assert raw.raw("FUNCTION", "DELETE", "mylib") == OK
    assert raw.raw("FUNCTION", "FLUSH") == OK
    assert dirty() == d0 + 4


@pytest.mark.restart
def test_aof_restart_with_another_shard_count(persist):
    """kevy rewrites the AOF for a new shard count: every new base holds
    the libraries (on Redis: a plain restart)."""
    d = persist.dir()
    srv = persist.start(d, *AOF, shards=2)
    c = persist.client(srv)
    fill_functions(c)
    want = fn_state(c)
    persist.shutdown(srv)
    srv = persist.start(d, *AOF, shards=4)
    c = persist.client(srv)
    assert fn_state(c) == want
    assert c.raw("FUNCTION", "DELETE", "mylib") == OK
    want = fn_state(c)
    assert want[1] == err("ERR Function not found")
    persist.shutdown(srv)
    c = persist.client(persist.start(d, *AOF, shards=1))
    assert fn_state(c) == want
