"""Lua scripting, the EVAL family and SCRIPT: Redis 7.0's replies byte for
byte. Argument errors, the conversions both ways (RESP2 and RESP3, the
script's redis.setresp and the client's protocol), error texts with the
script's name and line, the sandbox (read-only globals, missing libraries),
the redis.* helpers, the script cache (EVALSHA, SCRIPT LOAD / EXISTS /
FLUSH), read-only scripts, and SELECT inside a script. Keys are spread so
that on kevy a script's calls go to every shard."""

import hashlib

import pytest

from helpers import NIL, NULL3, OK, arity_err, bulk, err, integer, spread_keys

NOSCRIPT = err("NOSCRIPT No matching script. Please use EVAL.")


def sha(body):
    return hashlib.sha1(body.encode()).hexdigest()


def located(message, body, line=1):
    """An error raised by a script: Redis appends its name and line."""
    return err("%s script: %s, on @user_script:%d." % (message, sha(body), line))


# ------------------------------------------------------------ arguments


def test_numkeys_errors(raw):
    assert raw.raw("EVAL", "return 1", "x") == err("ERR value is not an integer or out of range")
    assert raw.raw("EVAL", "return 1", "-1") == err("ERR Number of keys can't be negative")
    assert raw.raw("EVAL", "return 1", "2", "a") == \
        err("ERR Number of keys can't be greater than number of args")
    assert raw.raw("EVAL", "return 1") == arity_err("eval")
    assert raw.raw("EVALSHA", "x") == arity_err("evalsha")


def test_evalsha_unknown(raw):
    assert raw.raw("EVALSHA", "0123456789012345678901234567890123456789", "0") == NOSCRIPT
    assert raw.raw("EVALSHA", "abc", "0") == NOSCRIPT
    assert raw.raw("EVALSHA_RO", "ffffffffffffffffffffffffffffffffffffffff", "0") == NOSCRIPT


def test_compile_error(raw):
    assert raw.raw("EVAL", "syntax error here", "0") == \
        err("ERR Error compiling script (new function): user_script:1: '=' expected near 'error'")
    assert raw.raw("SCRIPT", "LOAD", "return (") == \
        err("ERR Error compiling script (new function): user_script:1: unexpected symbol "
            "near '<eof>'")


# ------------------------------------------------------------ KEYS and ARGV


def test_keys_and_argv(raw):
    body = "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], #KEYS, #ARGV}"
    assert raw.raw("EVAL", body, "2", "k1", "k2", "a1", "a2") == \
        b"*6\r\n" + bulk("k1") + bulk("k2") + bulk("a1") + bulk("a2") + integer(2) + integer(2)
    assert raw.raw("EVAL", "return #KEYS + #ARGV", "0") == integer(0)


def test_calls_on_keys_of_every_shard(raw):
    keys = spread_keys(16, "s:")
    body = ("for i, k in ipairs(KEYS) do redis.call('set', k, ARGV[i]) end "
            "local t = {} for i, k in ipairs(KEYS) do t[i] = redis.call('get', k) end return t")
    vals = ["v%d" % i for i in range(16)]
    assert raw.raw("EVAL", body, "16", *keys, *vals) == \
        b"*16\r\n" + b"".join(bulk(v) for v in vals)
    assert raw.raw("MGET", *keys) == b"*16\r\n" + b"".join(bulk(v) for v in vals)


# ------------------------------------------------------------ Lua -> reply


CONVERSIONS = [
    ("return 1", integer(1)),
    ("return 3.99", integer(3)),
    ("return -3.99", integer(-3)),
    ("return 'x'", bulk("x")),
    ("return true", integer(1)),
    ("return false", NIL),
    ("return nil", NIL),
    ("return {1, 2, {3, 'x'}, nil, 5}", b"*3\r\n:1\r\n:2\r\n*2\r\n:3\r\n$1\r\nx\r\n"),
    ("return {1, false, true}", b"*3\r\n:1\r\n$-1\r\n:1\r\n"),
    ("return {err = 'My Error'}", err("My Error")),
    ("return {ok = 'fine'}", b"+fine\r\n"),
    ("return redis.error_reply('E1 bad')", err("E1 bad")),
    ("return redis.status_reply('S1')", b"+S1\r\n"),
    ("return {double = 3.5}", bulk("3.5")),
    ("return {map = {a = 1}}", b"*2\r\n$1\r\na\r\n:1\r\n"),
    ("return {set = {a = true}}", b"*1\r\n$1\r\na\r\n"),
    ("return {big_number = '123'}", bulk("123")),
    ("return {}", b"*0\r\n"),
    ("return 1, 2", integer(1)),
]


@pytest.mark.parametrize("body,want", CONVERSIONS)
def test_lua_to_resp2(raw, body, want):
    assert raw.raw("EVAL", body, "0") == want


CONVERSIONS3 = [
    ("return false", NULL3),
    ("return nil", NULL3),
    ("return true", integer(1)),
    ("redis.setresp(3) return true", b"#t\r\n"),
    ("redis.setresp(3) return false", b"#f\r\n"),
    ("return {1, false}", b"*2\r\n:1\r\n_\r\n"),
    ("return {double = 3.5}", b",3.5\r\n"),
    ("return {map = {a = 1}}", b"%1\r\n$1\r\na\r\n:1\r\n"),
    ("return {set = {a = true}}", b"~1\r\n$1\r\na\r\n"),
    ("return {big_number = '123'}", b"(123\r\n"),
]


@pytest.mark.parametrize("body,want", CONVERSIONS3)
def test_lua_to_resp3(raw3, body, want):
    assert raw3.raw("EVAL", body, "0") == want


# ------------------------------------------------------------ reply -> Lua


def test_reply_to_lua_resp2(raw):
    assert raw.raw("SET", "s", "abc") == OK
    assert raw.raw("EVAL", "return type(redis.call('get', KEYS[1]))", "1", "nokey") == \
        bulk("boolean")
    assert raw.raw("EVAL", "return redis.call('get', KEYS[1])", "1", "nokey") == NIL
    assert raw.raw("EVAL", "return type(redis.call('incr', KEYS[1]))", "1", "n") == \
        bulk("number")
    assert raw.raw("EVAL", "local t = redis.call('set', KEYS[1], 'v') return t.ok", "1", "s") == \
        bulk("OK")
    assert raw.raw("EVAL", "return redis.call('set', KEYS[1], 'v')", "1", "s") == OK
    assert raw.raw("RPUSH", "l", "a", "b") == integer(2)
    assert raw.raw("EVAL", "return redis.call('lrange', KEYS[1], 0, -1)", "1", "l") == \
        b"*2\r\n" + bulk("a") + bulk("b")
    assert raw.raw("EVAL", "return redis.pcall('incr', KEYS[1])", "1", "s") == \
        err("ERR value is not an integer or out of range")
    assert raw.raw("EVAL", "local e = redis.pcall('incr', KEYS[1]) return e.err", "1", "s") == \
        bulk("ERR value is not an integer or out of range")


def test_reply_to_lua_resp3(raw):
    assert raw.raw("HSET", "h", "f", "v") == integer(1)
    body = "redis.setresp(3) return redis.call('hgetall', KEYS[1])"
    assert raw.raw("EVAL", body, "1", "h") == b"*2\r\n" + bulk("f") + bulk("v")
    body = "redis.setresp(3) local t = redis.call('hgetall', KEYS[1]) return t.map.f"
    assert raw.raw("EVAL", body, "1", "h") == bulk("v")
    body = "redis.setresp(3) return type(redis.call('get', KEYS[1]))"
    assert raw.raw("EVAL", body, "1", "nokey") == bulk("nil")
    assert raw.raw("EVAL", "redis.setresp(4)", "0") == \
        located("ERR RESP version must be 2 or 3.", "redis.setresp(4)")


# ------------------------------------------------------------ errors


def test_error_texts(raw):
    assert raw.raw("SET", "s", "abc") == OK
    body = "return redis.call('incr', KEYS[1])"
    assert raw.raw("EVAL", body, "1", "s") == \
        located("ERR value is not an integer or out of range", body)
    body = "local x = 1\nredis.call('incr', KEYS[1])\nreturn x"
    assert raw.raw("EVAL", body, "1", "s") == \
        located("ERR value is not an integer or out of range", body, 2)
    body = "error('boom')"
    assert raw.raw("EVAL", body, "0") == located("ERR user_script:1: boom", body)
    body = "error({err = 'X boom'})"
    assert raw.raw("EVAL", body, "0") == located("X boom", body)
    body = "return redis.call('nosuch')"
    assert raw.raw("EVAL", body, "0") == located("ERR Unknown Redis command called from script",
                                                 body)
    body = "return redis.call('get')"
    assert raw.raw("EVAL", body, "0") == \
        located("ERR Wrong number of args calling Redis command from script", body)
    for call in ("'subscribe', 'x'", "'multi'", "'eval', 'return 1', '0'", "'watch', 'k'"):
        body = "return redis.call(%s)" % call
        assert raw.raw("EVAL", body, "0") == \
            located("ERR This Redis command is not allowed from script", body)
    body = "return redis.call({})"
    assert raw.raw("EVAL", body, "0") == \
        located("ERR Lua redis lib command arguments must be strings or integers", body)
    body = "return redis.call()"
    assert raw.raw("EVAL", body, "0") == \
        located("ERR Please specify at least one argument for this redis lib call", body)


def test_pcall_catches_call_errors(raw):
    assert raw.raw("SET", "s", "abc") == OK
    # Redis's pcall gives an error table's text.
    body = "local ok, e = pcall(redis.call, 'incr', KEYS[1]) return {tostring(ok), e}"
    assert raw.raw("EVAL", body, "1", "s") == \
        b"*2\r\n" + bulk("false") + bulk("ERR value is not an integer or out of range")
    body = "local ok, e = pcall(function() error({err = 'abc'}) end) return e"
    assert raw.raw("EVAL", body, "0") == bulk("abc")
    body = "local ok, e = pcall(function() error('x') end) return e"
    assert raw.raw("EVAL", body, "0") == bulk("user_script:1: x")
    body = "return {pcall(function() return 1, 2 end)}"
    assert raw.raw("EVAL", body, "0") == b"*3\r\n:1\r\n:1\r\n:2\r\n"
    body = ("local ok, e = pcall(function() return redis.call('get', KEYS[1]) end) "
            "return {tostring(ok), e}")
    assert raw.raw("EVAL", body, "1", "s") == b"*2\r\n" + bulk("true") + bulk("abc")


# ------------------------------------------------------------ the sandbox


def test_globals_are_read_only(raw):
    body = "x = 1"
    assert raw.raw("EVAL", body, "0") == \
        located("ERR user_script:1: Attempt to modify a readonly table", body)
    body = "return x"
    assert raw.raw("EVAL", body, "0") == \
        located("ERR user_script:1: Script attempted to access nonexistent global variable 'x'",
                body)
    body = "string.len = nil"
    assert raw.raw("EVAL", body, "0") == \
        located("ERR user_script:1: Attempt to modify a readonly table", body)
    body = "redis.call = nil"
    assert raw.raw("EVAL", body, "0") == \
        located("ERR user_script:1: Attempt to modify a readonly table", body)
    # Nothing leaked: the next script sees the same globals.
    assert raw.raw("EVAL", "return type(redis.call)", "0") == bulk("function")


@pytest.mark.parametrize("name", ["os", "io", "debug", "print", "require", "setfenv",
                                  "getfenv", "dofile", "loadfile", "module", "newproxy",
                                  "package"])
def test_missing_libraries(raw, name):
    body = "return type(%s)" % name
    assert raw.raw("EVAL", body, "0") == located(
        "ERR user_script:1: Script attempted to access nonexistent global variable '%s'" % name,
        body)


@pytest.mark.parametrize("expr,want", [
    ("type(coroutine)", "table"), ("type(loadstring)", "function"), ("type(load)", "function"),
    ("type(unpack)", "function"), ("type(rawset)", "function"), ("type(cjson)", "table"),
    ("type(bit)", "table"), ("type(_G)", "table"), ("_VERSION", "Lua 5.1"),
    ("type(string.dump)", "function"), ("type(table.getn)", "function"),
])
def test_present_libraries(raw, expr, want):
    assert raw.raw("EVAL", "return %s" % expr, "0") == bulk(want)


def test_libraries_work(raw):
    assert raw.raw("EVAL", "return cjson.encode({1, 2, 'x'})", "0") == bulk('[1,2,"x"]')
    assert raw.raw("EVAL", "return cjson.decode('{\"a\":[1,2]}').a[2]", "0") == integer(2)
    assert raw.raw("EVAL", "return bit.band(12, 10)", "0") == integer(8)
    assert raw.raw("EVAL", "return bit.tohex(255)", "0") == bulk("000000ff")
    assert raw.raw("EVAL", "return string.format('%05.1f', 3.14159)", "0") == bulk("003.1")
    assert raw.raw("EVAL", "return table.concat({'a', 'b'}, '-')", "0") == bulk("a-b")
    assert raw.raw("EVAL", "return loadstring('return 7')()", "0") == integer(7)


def test_math_random_is_redis_sequence(server_factory):
    # A fresh server: Redis's generator starts from the same seed, so the
    # first values are the same on every start.
    from resp_client import RespClient
    srv = server_factory()
    with RespClient(srv.host, srv.port) as c:
        got = [c.raw("EVAL", "return math.random(1000)", "0") for _ in range(3)]
    assert got == [integer(397), integer(841), integer(354)]


# ------------------------------------------------------------ redis.*


def test_redis_helpers(raw):
    assert raw.raw("EVAL", "return redis.sha1hex('')", "0") == \
        bulk("da39a3ee5e6b4b0d3255bfef95601890afd80709")
    assert raw.raw("EVAL", "return redis.sha1hex('abc')", "0") == \
        bulk("a9993e364706816aba3e25717850c26c9cd0d89d")
    assert raw.raw("EVAL", "return redis.REDIS_VERSION", "0") == bulk("7.0.15")
    assert raw.raw("EVAL", "return redis.REDIS_VERSION_NUM", "0") == integer(0x07000f)
    assert raw.raw("EVAL", "return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, "
                   "redis.LOG_WARNING}", "0") == b"*4\r\n:0\r\n:1\r\n:2\r\n:3\r\n"
    assert raw.raw("EVAL", "return {redis.REPL_NONE, redis.REPL_SLAVE, redis.REPL_REPLICA, "
                   "redis.REPL_AOF, redis.REPL_ALL}", "0") == \
        b"*5\r\n:0\r\n:2\r\n:2\r\n:1\r\n:3\r\n"
    assert raw.raw("EVAL", "redis.log(redis.LOG_NOTICE, 'hello from a script') return 1",
                   "0") == integer(1)
    assert raw.raw("EVAL", "return redis.replicate_commands()", "0") == integer(1)
    assert raw.raw("EVAL", "redis.set_repl(redis.REPL_ALL) return 1", "0") == integer(1)
    assert raw.raw("EVAL", "redis.breakpoint() redis.debug('x') return 1", "0") == integer(1)
    assert raw.raw("EVAL", "return redis.acl_check_cmd('get', 'k')", "0") == integer(1)
    body = "return redis.log()"
    assert raw.raw("EVAL", body, "0") == \
        located("ERR redis.log() requires two arguments or more.", body)
    body = "return redis.log('x', 'y')"
    assert raw.raw("EVAL", body, "0") == \
        located("ERR First argument must be a number (log level).", body)
    body = "return redis.sha1hex()"
    assert raw.raw("EVAL", body, "0") == located("ERR wrong number of arguments", body)
    body = "redis.set_repl(99)"
    assert raw.raw("EVAL", body, "0") == located(
        "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.", body)


@pytest.mark.parametrize("arg,want", [
    ("'E1 bad'", "E1 bad"), ("'bad'", "ERR bad"), ("'-x bad'", "x bad"),
    ("", "ERR wrong number or type of arguments"), ("1", "ERR wrong number or type of arguments"),
])
def test_error_reply_forms(raw, arg, want):
    assert raw.raw("EVAL", "return redis.error_reply(%s)" % arg, "0") == err(want)


def test_raised_non_strings(raw):
    for body, want in (("error()", "ERR nil"), ("error(nil)", "ERR nil"),
                       ("error(12)", "ERR user_script:1: 12")):
        assert raw.raw("EVAL", body, "0") == located(want, body)
    body = "rawset(_G, 'y', 1)"
    assert raw.raw("EVAL", body, "0") == located("ERR Attempt to modify a readonly table", body)
    body = "getmetatable(_G).__index = nil"
    assert raw.raw("EVAL", body, "0") == \
        located("ERR user_script:1: Attempt to modify a readonly table", body)


def test_select_inside_a_script(raw):
    body = "redis.call('select', 9) redis.call('set', KEYS[1], 'nine') return 1"
    assert raw.raw("EVAL", body, "1", "k") == integer(1)
    assert raw.raw("GET", "k") == NIL  # the client's database did not move
    assert raw.raw("SELECT", "9") == OK
    assert raw.raw("GET", "k") == bulk("nine")
    assert raw.raw("SELECT", "0") == OK


# ------------------------------------------------------------ the cache


def test_script_load_exists_evalsha(raw):
    body = "return 'cached'"
    assert raw.raw("SCRIPT", "LOAD", body) == bulk(sha(body))
    assert raw.raw("SCRIPT", "EXISTS", sha(body), "ffff") == b"*2\r\n:1\r\n:0\r\n"
    assert raw.raw("EVALSHA", sha(body), "0") == bulk("cached")
    assert raw.raw("EVALSHA", sha(body).upper(), "0") == bulk("cached")
    body2 = "return 'by eval'"
    assert raw.raw("EVAL", body2, "0") == bulk("by eval")
    assert raw.raw("EVALSHA", sha(body2), "0") == bulk("by eval")  # EVAL caches too


def test_evalsha_from_every_connection(connect):
    # A script loaded by one client runs by name on any other (on kevy,
    # clients of other shards).
    body = "return ARGV[1] .. '!'"
    first = connect()
    assert first.raw("SCRIPT", "LOAD", body) == bulk(sha(body))
    for _ in range(8):
        assert connect().raw("EVALSHA", sha(body), "0", "hi") == bulk("hi!")


def test_script_flush(raw, connect):
    body = "return 'to flush'"
    assert raw.raw("SCRIPT", "LOAD", body) == bulk(sha(body))
    assert raw.raw("SCRIPT", "FLUSH", "bad") == err("ERR SCRIPT FLUSH only support SYNC|ASYNC "
                                                    "option")
    assert raw.raw("SCRIPT", "FLUSH") == OK
    assert raw.raw("SCRIPT", "EXISTS", sha(body)) == b"*1\r\n:0\r\n"
    for _ in range(4):
        assert connect().raw("EVALSHA", sha(body), "0") == NOSCRIPT
    assert raw.raw("SCRIPT", "FLUSH", "ASYNC") == OK
    assert raw.raw("SCRIPT", "FLUSH", "SYNC") == OK


def test_script_kill_and_help(raw):
    assert raw.raw("SCRIPT", "KILL") == err("NOTBUSY No scripts in execution right now.")
    help_reply = raw.raw("SCRIPT", "HELP")
    assert help_reply.startswith(b"*17\r\n+SCRIPT <subcommand> [<arg> [value] [opt] ...]. "
                                 b"Subcommands are:\r\n")
    assert raw.raw("SCRIPT", "DEBUG", "NO") == OK


# ------------------------------------------------------------ read-only scripts


def test_eval_ro_refuses_writes(raw):
    body = "return redis.call('set', KEYS[1], 'v')"
    assert raw.raw("EVAL_RO", body, "1", "k") == \
        located("ERR Write commands are not allowed from read-only scripts.", body)
    assert raw.raw("GET", "k") == NIL
    assert raw.raw("SET", "k", "v") == OK
    assert raw.raw("EVAL_RO", "return redis.call('get', KEYS[1])", "1", "k") == bulk("v")
    assert raw.raw("SCRIPT", "LOAD", body) == bulk(sha(body))
    assert raw.raw("EVALSHA_RO", sha(body), "1", "k") == \
        located("ERR Write commands are not allowed from read-only scripts.", body)


# ------------------------------------------------------------ in MULTI


def test_eval_inside_multi(raw):
    assert raw.raw("MULTI") == OK
    assert raw.raw("EVAL", "return redis.call('incr', KEYS[1])", "1", "n") == b"+QUEUED\r\n"
    assert raw.raw("EVAL", "return redis.call('incr', KEYS[1])", "1", "m") == b"+QUEUED\r\n"
    assert raw.raw("EXEC") == b"*2\r\n:1\r\n:1\r\n"


def test_dirty_counts_the_script_writes(r):
    before = r.info("persistence")["rdb_changes_since_last_save"]
    r.eval("redis.call('set', KEYS[1], 1) redis.call('set', KEYS[2], 2) return 1", 2, "a", "b")
    assert r.info("persistence")["rdb_changes_since_last_save"] - before == 2


# ------------------------------------------------------------ shebang


def test_shebang(raw):
    body = "#!lua\nerror('x')"
    assert raw.raw("EVAL", body, "0") == located("ERR user_script:2: x", body, 2)
    body = "#!lua flags=no-writes\nreturn redis.call('set', KEYS[1], 'v')"
    assert raw.raw("EVAL", body, "1", "k") == \
        located("ERR Write commands are not allowed from read-only scripts.", body, 2)
    assert raw.raw("SCRIPT", "LOAD", body) == bulk(sha(body))
    assert raw.raw("EVALSHA", sha(body), "1", "k") == \
        located("ERR Write commands are not allowed from read-only scripts.", body, 2)
    body = "#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])"
    assert raw.raw("EVAL", body, "1", "k") == NIL
    body = ("#!lua flags=no-writes,allow-oom,allow-stale,no-cluster,allow-cross-slot-keys\n"
            "return 1")
    assert raw.raw("EVAL", body, "0") == integer(1)
    assert raw.raw("EVAL", "#!lua flags=\nreturn 1", "0") == integer(1)
    assert raw.raw("EVAL", "#!lua flags=bad\nreturn 1", "0") == \
        err("ERR Unexpected flag in script shebang: bad")
    assert raw.raw("EVAL", "#!luax\nreturn 1", "0") == \
        err("ERR Unexpected engine in script shebang: #!luax")
    assert raw.raw("EVAL", "#! lua\nreturn 1", "0") == \
        err("ERR Unexpected engine in script shebang: #!")
    assert raw.raw("EVAL", "#!lua name=foo\nreturn 1", "0") == \
        err("ERR Unknown lua shebang option: name=foo")
    assert raw.raw("EVAL", "#!lua", "0") == err("ERR Invalid script shebang")
    assert raw.raw("SCRIPT", "LOAD", "#!lua flags=bad\nreturn 1") == \
        err("ERR Unexpected flag in script shebang: bad")


def test_info_counts_cached_scripts(raw):
    from helpers import info_fields
    assert raw.raw("SCRIPT", "FLUSH") == OK
    assert raw.raw("SCRIPT", "LOAD", "return 'one'") == bulk(sha("return 'one'"))
    assert raw.raw("EVAL", "return 'two'", "0") == bulk("two")
    mem = info_fields(raw, "memory")
    assert mem["number_of_cached_scripts"] == "2"
    assert int(mem["used_memory_scripts_eval"]) > 0
    assert int(mem["used_memory_lua"]) > 0
    assert int(mem["used_memory_vm_total"]) > int(mem["used_memory_lua"])
    assert raw.raw("SCRIPT", "FLUSH") == OK
    assert info_fields(raw, "memory")["number_of_cached_scripts"] == "0"


def test_calls_count_in_commandstats(raw):
    from helpers import info_fields
    assert raw.raw("CONFIG", "RESETSTAT") == OK
    body = "redis.call('set', KEYS[1], 1) redis.call('set', KEYS[2], 2) return redis.call('get', KEYS[1])"
    assert raw.raw("EVAL", body, "2", "cs:a", "cs:b") == bulk("1")
    stats = info_fields(raw, "commandstats")
    assert stats["cmdstat_set"].startswith("calls=2,")
    assert stats["cmdstat_get"].startswith("calls=1,")
    assert stats["cmdstat_eval"].startswith("calls=1,")
