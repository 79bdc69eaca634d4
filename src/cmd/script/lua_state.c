/* A shard's Lua 5.1 state, set up as Redis 7.0 sets up its own: the base,
 * table, string, math and coroutine libraries, cjson and bit (Debian's
 * lua-cjson and lua-bitop, linked in), cmsgpack and struct (ours:
 * lua_cmsgpack.c, lua_struct.c), the redis table, and the sandbox:
 * no os, io, debug, print, dofile, loadfile, setfenv, getfenv; globals and
 * the library tables read-only ("Attempt to modify a readonly table"), and
 * reading an unknown global an error. Stock Lua has no read-only tables
 * (Redis patches its Lua): scripts see proxies whose writes fail, and
 * rawset, setmetatable, pairs and next see through them. math.random is a
 * 48-bit generator per state (C's rand() would be shared by the shards). */
#include "cmd/script/script.h"

#include <lauxlib.h>
#include <lua-bitop.h>
#include <lua-cjson.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/config/cfg.h"

#define KV_REDIS_VERSION "7.0.15"
#define KV_REDIS_VERSION_NUM 0x07000f

/* Run once in the real globals (chunk "=kevy", hidden from error
 * positions): what is easier said in Lua. Its arguments: the real globals
 * and a table to record which tables are read-only. */
static const char prelude[] =
    "local G, ro, runvar = ...\n"
    "local error, type, tostring, rawget, rawset, setmetatable, next =\n"
    "      error, type, tostring, rawget, rawset, setmetatable, next\n"
    "local co_create, co_resume, co_status, co_yield =\n"
    "      coroutine.create, coroutine.resume, coroutine.status, coroutine.yield\n"
    /* A redis.call to another shard yields the script's coroutine: pcall
     * and xpcall run their function as a coroutine of their own and pass
     * such yields up (Lua 5.1 cannot yield across a C pcall). */
    "local function finish(co, ok, ...)\n"
    "  if not ok then return false, ... end\n"
    "  if co_status(co) == 'dead' then return true, ... end\n"
    "  return finish(co, co_resume(co, co_yield(...)))\n"
    "end\n"
    /* Redis's pcall hands back an error table's text. */
    "local function caught(ok, ...)\n"
    "  if ok then return true, ... end\n"
    "  local e = ...\n"
    "  if type(e) == 'table' and type(rawget(e, 'err')) == 'string' then e = rawget(e, 'err') end\n"
    "  return false, e\n"
    "end\n"
    "G.pcall = function(f, ...)\n"
    "  local co = co_create(function(...) return f(...) end)\n"
    "  return caught(finish(co, co_resume(co, ...)))\n"
    "end\n"
    "G.xpcall = function(f, h)\n"
    "  local co = co_create(function() return f() end)\n"
    "  local function back(ok, ...)\n"
    "    if ok then return true, ... end\n"
    "    return false, h(...)\n"
    "  end\n"
    "  return back(finish(co, co_resume(co)))\n"
    "end\n"
    "local function readonly(real)\n"
    "  local p = {}\n"
    "  setmetatable(p, {__index = real, __metatable = false,\n"
    "    __newindex = function() error('Attempt to modify a readonly table', 2) end})\n"
    "  ro[p] = real\n"
    "  return p\n"
    "end\n"
    "for _, name in ipairs({'string', 'math', 'table', 'coroutine', 'redis', 'cjson', 'bit',"
    "                      'cmsgpack', 'struct'}) do\n"
    "  if G[name] then G[name] = readonly(G[name]) end\n"
    "end\n"
    "local denied = {err = 'ERR Attempt to modify a readonly table'}\n"
    "G.rawset = function(t, k, v)\n"
    "  if ro[t] then error(denied) end\n"
    "  return rawset(t, k, v)\n"
    "end\n"
    "G.setmetatable = function(t, m)\n"
    "  if ro[t] then error(denied) end\n"
    "  return setmetatable(t, m)\n"
    "end\n"
    "G.next = function(t, k) return next(ro[t] or t, k) end\n"
    "G.pairs = function(t) return next, ro[t] or t, nil end\n"
    "local proxy = {}\n"
    "local mt = {\n"
    "  __index = function(_, k)\n"
    "    if k == 'KEYS' or k == 'ARGV' then return runvar(k) end\n"
    "    local v = rawget(G, k)\n"
    "    if v == nil then\n"
    "      error(\"Script attempted to access nonexistent global variable '\" .. tostring(k) .. \"'\", 2)\n"
    "    end\n"
    "    return v\n"
    "  end,\n"
    "  __newindex = function() error('Attempt to modify a readonly table', 2) end}\n"
    "mt.__metatable = readonly(mt)\n"
    "setmetatable(proxy, mt)\n"
    "ro[proxy] = G\n"
    "G._G = proxy\n"
    "return proxy\n";

/* ------------------------------------------------------------ math.random */

/* Redis's redisLrand48: the 48-bit linear congruential generator of
 * drand48, so ranges are as Lua's math.random gives them. */
static unsigned long long next48(kv_lua *l)
{
    l->rng = (l->rng * 0x5DEECE66DULL + 0xB) & ((1ULL << 48) - 1);
    return l->rng;
}

static kv_lua *self(lua_State *L)
{
    return lua_touserdata(L, lua_upvalueindex(1));
}

/* Redis's helpers fail with an error table, not a positioned string. */
int kv_lua_raise(lua_State *L, const char *msg)
{
    lua_newtable(L);
    lua_pushstring(L, "err");
    lua_pushfstring(L, "ERR %s", msg);
    lua_settable(L, -3);
    return lua_error(L);
}

static int l_random(lua_State *L)
{
    kv_lua *l = self(L);
    /* 31 bits as lrand48, scaled as Lua 5.1 scales rand() */
    lua_Number r = (lua_Number)(next48(l) >> 17) / (lua_Number)2147483648.0;
    switch (lua_gettop(L)) {
    case 0:
        lua_pushnumber(L, r);
        return 1;
    case 1: {
        int u = luaL_checkint(L, 1);
        luaL_argcheck(L, 1 <= u, 1, "interval is empty");
        lua_pushnumber(L, (lua_Number)((long)(r * u) + 1));
        return 1;
    }
    case 2: {
        int lo = luaL_checkint(L, 1), up = luaL_checkint(L, 2);
        luaL_argcheck(L, lo <= up, 2, "interval is empty");
        lua_pushnumber(L, (lua_Number)((long)(r * (up - lo + 1)) + lo));
        return 1;
    }
    default:
        return luaL_error(L, "wrong number of arguments");
    }
}

static int l_randomseed(lua_State *L)
{
    kv_lua *l = self(L);
    l->rng = (((unsigned long long)(unsigned)luaL_checkint(L, 1)) << 16 | 0x330E) &
             ((1ULL << 48) - 1);
    return 0;
}

/* KEYS and ARGV of the running script: each run has its own, and runs
 * waiting on other shards interleave. */
static int l_runvar(lua_State *L)
{
    kv_lua *l = self(L);
    const char *k = lua_tostring(L, 1);
    if (!l->cur || !k)
        return luaL_error(L, "Script attempted to access nonexistent global variable '%s'",
                          k ? k : "?");
    kv_lua_push_runvar(l->cur, L, k[0] == 'K');
    return 1;
}

/* ------------------------------------------------------------ redis.* */

static int l_sha1hex(lua_State *L)
{
    size_t n;
    const char *s;
    char hex[41];
    if (lua_gettop(L) != 1)
        return kv_lua_raise(L, "wrong number of arguments");
    s = lua_tolstring(L, 1, &n);
    kv_sha1_hex(s ? s : "", s ? n : 0, hex);
    lua_pushstring(L, hex);
    return 1;
}

/* {err=...} / {ok=...}: what a script returns for an error or a status;
 * wrong arguments make an error table too (returned, not raised). */
static int l_error_reply(lua_State *L)
{
    const char *s, *sp;
    if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
        lua_newtable(L);
        lua_pushstring(L, "err");
        lua_pushstring(L, "ERR wrong number or type of arguments");
        lua_settable(L, -3);
        return 1;
    }
    /* "-CODE msg" or "CODE msg" keeps its code; a bare word gets ERR. */
    s = lua_tostring(L, 1);
    if (s[0] == '-')
        s++;
    sp = strchr(s, ' ');
    lua_newtable(L);
    lua_pushstring(L, "err");
    if (sp)
        lua_pushstring(L, s);
    else
        lua_pushfstring(L, "ERR %s", s);
    lua_settable(L, -3);
    return 1;
}

static int l_status_reply(lua_State *L)
{
    int bad = lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING;
    lua_newtable(L);
    lua_pushstring(L, bad ? "err" : "ok");
    if (bad)
        lua_pushstring(L, "ERR wrong number or type of arguments");
    else
        lua_pushvalue(L, 1);
    lua_settable(L, -3);
    return 1;
}

int kv_lua_log(lua_State *L, kv_shard *sh)
{
    int argc = lua_gettop(L), level, j;
    luaL_Buffer b;
    if (argc < 2)
        return kv_lua_raise(L, "redis.log() requires two arguments or more.");
    if (!lua_isnumber(L, 1))
        return kv_lua_raise(L, "First argument must be a number (log level).");
    level = (int)lua_tonumber(L, 1);
    if (level < 0 || level > 3)
        return kv_lua_raise(L, "Invalid debug level.");
    if (!sh) /* a library loading off the shards (a restore check) */
        return 0;
    luaL_buffinit(L, &b);
    for (j = 2; j <= argc; j++) {
        size_t n;
        const char *s = lua_tolstring(L, j, &n);
        if (!s)
            continue;
        if (j > 2)
            luaL_addchar(&b, ' ');
        luaL_addlstring(&b, s, n);
    }
    luaL_pushresult(&b);
    kv_shard_log(sh, level, "%s", lua_tostring(L, -1));
    return 0;
}

static int l_log(lua_State *L)
{
    return kv_lua_log(L, self(L)->st->shard);
}

static int l_noop(lua_State *L)
{
    (void)L;
    return 0;
}

static int l_set_repl(lua_State *L)
{
    int flags;
    if (lua_gettop(L) != 1)
        return kv_lua_raise(L, "redis.set_repl() requires two arguments.");
    flags = (int)lua_tonumber(L, 1);
    if (flags & ~3)
        return kv_lua_raise(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL "
                                "or REPL_NONE.");
    return 0; /* the AOF logs effects as they run (docs/compatibility.md) */
}

static int l_replicate_commands(lua_State *L)
{
    lua_pushboolean(L, 1); /* Redis 7: always effects replication */
    return 1;
}

static void set_fn(lua_State *L, kv_lua *l, const char *name, lua_CFunction f)
{
    lua_pushstring(L, name);
    lua_pushlightuserdata(L, l);
    lua_pushcclosure(L, f, 1);
    lua_settable(L, -3);
}

static void set_num(lua_State *L, const char *name, lua_Number v)
{
    lua_pushstring(L, name);
    lua_pushnumber(L, v);
    lua_settable(L, -3);
}

static void open_redis(lua_State *L, kv_lua *l)
{
    lua_newtable(L);
    set_fn(L, l, "sha1hex", l_sha1hex);
    set_fn(L, l, "error_reply", l_error_reply);
    set_fn(L, l, "status_reply", l_status_reply);
    set_fn(L, l, "log", l_log);
    set_fn(L, l, "set_repl", l_set_repl);
    set_fn(L, l, "replicate_commands", l_replicate_commands);
    set_fn(L, l, "breakpoint", l_noop);
    set_fn(L, l, "debug", l_noop);
    set_num(L, "LOG_DEBUG", 0);
    set_num(L, "LOG_VERBOSE", 1);
    set_num(L, "LOG_NOTICE", 2);
    set_num(L, "LOG_WARNING", 3);
    set_num(L, "REPL_NONE", 0);
    set_num(L, "REPL_SLAVE", 2);
    set_num(L, "REPL_REPLICA", 2);
    set_num(L, "REPL_AOF", 1);
    set_num(L, "REPL_ALL", 3);
    set_num(L, "REDIS_VERSION_NUM", KV_REDIS_VERSION_NUM);
    lua_pushstring(L, "REDIS_VERSION");
    lua_pushstring(L, KV_REDIS_VERSION);
    lua_settable(L, -3);
    kv_lua_install_calls(L, l);
    lua_setglobal(L, "redis");
}

/* ------------------------------------------------------------ the state */

static void open_lib(lua_State *L, const char *name, lua_CFunction f)
{
    lua_pushcfunction(L, f);
    lua_pushstring(L, name);
    lua_call(L, 1, 0);
}

/* A module that returns its table: made a global. */
static void open_module(lua_State *L, const char *name, lua_CFunction f)
{
    lua_pushcfunction(L, f);
    lua_pushstring(L, name);
    lua_call(L, 1, 1);
    lua_setglobal(L, name);
}

static void drop_global(lua_State *L, const char *name)
{
    lua_pushnil(L);
    lua_setglobal(L, name);
}

static kv_lua *lua_new(kv_cmdstate *st, unsigned long long gen)
{
    kv_lua *l = calloc(1, sizeof *l);
    lua_State *L;
    static const char *const gone[] = {"print", "dofile", "loadfile", "setfenv", "getfenv",
                                       "newproxy", "module", "require", "package", "os", "io",
                                       "debug", NULL};
    int i;
    if (!l || !(L = luaL_newstate()))
        abort();
    l->L = L;
    l->st = st;
    l->gen = gen;
    l->rng = 0x1234ABCD330EULL; /* redisSrand48(0)'s state */
    open_lib(L, "", luaopen_base);
    open_lib(L, LUA_TABLIBNAME, luaopen_table);
    open_lib(L, LUA_STRLIBNAME, luaopen_string);
    open_lib(L, LUA_MATHLIBNAME, luaopen_math);
    open_module(L, "cjson", luaopen_cjson);
    open_module(L, "bit", luaopen_bit);
    open_module(L, "cmsgpack", kv_lua_open_cmsgpack);
    open_module(L, "struct", kv_lua_open_struct);
    for (i = 0; gone[i]; i++)
        drop_global(L, gone[i]);
    lua_getglobal(L, "math");
    set_fn(L, l, "random", l_random);
    set_fn(L, l, "randomseed", l_randomseed);
    lua_pop(L, 1);
    open_redis(L, l);
    /* The prelude makes the proxies and returns the globals' proxy. */
    if (luaL_loadbuffer(L, prelude, sizeof prelude - 1, "=kevy") != 0)
        abort();
    lua_pushvalue(L, LUA_GLOBALSINDEX);
    lua_newtable(L);
    lua_pushlightuserdata(L, l);
    lua_pushcclosure(L, l_runvar, 1);
    if (lua_pcall(L, 3, 1, 0) != 0) {
        kv_shard_log(st->shard, 3, "Lua setup failed: %s", lua_tostring(L, -1));
        abort();
    }
    l->proxy_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return l;
}

long long kv_lua_memory(const kv_cmdstate *st)
{
    if (!st->lua)
        return 0;
    return (long long)lua_gc(st->lua->L, LUA_GCCOUNT, 0) * 1024 +
           lua_gc(st->lua->L, LUA_GCCOUNTB, 0);
}

void kv_lua_free(kv_lua *l)
{
    if (!l)
        return;
    lua_close(l->L);
    kv_lua_scripts_free(l);
    kv_buf_free(&l->callbuf);
    free(l);
}

void kv_lua_run_done(kv_lua *l)
{
    if (--l->runs == 0 && l->retired)
        kv_lua_free(l);
}

kv_lua *kv_lua_get(kv_cmdstate *st)
{
    unsigned long long gen = kv_scripts_gen(st->srv->scripts);
    if (st->lua && st->lua->gen != gen) {
        /* SCRIPT FLUSH: a new state, as Redis. Runs still waiting on other
         * shards keep the old one until they end. */
        if (st->lua->runs == 0)
            kv_lua_free(st->lua);
        else
            st->lua->retired = 1;
        st->lua = NULL;
    }
    if (!st->lua)
        st->lua = lua_new(st, gen);
    return st->lua;
}

/* "#!lua [flags=a,b]" on the first line: the flags, and how many bytes
 * to skip (the line, not its newline, so line numbers stay). */
static int shebang(const char *body, size_t n, int *flags, size_t *skip, char *err,
                   size_t errlen)
{
    static const char *const known[] = {"no-writes", "allow-oom", "allow-stale", "no-cluster",
                                        "allow-cross-slot-keys", NULL};
    const char *nl, *p, *end;
    *flags = 0;
    *skip = 0;
    if (n < 2 || body[0] != '#' || body[1] != '!')
        return 0;
    if (!(nl = memchr(body, '\n', n))) {
        snprintf(err, errlen, "Invalid script shebang");
        return -1;
    }
    *skip = (size_t)(nl - body);
    *flags = KV_SCRIPT_DECLARED;
    p = body;
    end = nl;
    while (p < end) {
        const char *w = p, *we;
        size_t wl;
        while (p < end && *p != ' ')
            p++;
        we = p;
        while (p < end && *p == ' ')
            p++;
        wl = (size_t)(we - w);
        if (w == body) {
            if (wl != 5 || memcmp(w, "#!lua", 5) != 0) {
                snprintf(err, errlen, "Unexpected engine in script shebang: %.*s", (int)wl, w);
                return -1;
            }
        } else if (wl >= 6 && !memcmp(w, "flags=", 6)) {
            const char *f = w + 6;
            while (f < we) {
                const char *fe = memchr(f, ',', (size_t)(we - f));
                size_t fl;
                int i;
                if (!fe)
                    fe = we;
                fl = (size_t)(fe - f);
                for (i = 0; known[i]; i++)
                    if (strlen(known[i]) == fl && !memcmp(known[i], f, fl))
                        break;
                if (fl && !known[i]) {
                    snprintf(err, errlen, "Unexpected flag in script shebang: %.*s", (int)fl, f);
                    return -1;
                }
                if (fl && i == 0)
                    *flags |= KV_SCRIPT_NO_WRITES;
                if (fl && i == 1)
                    *flags |= KV_SCRIPT_ALLOW_OOM;
                f = fe + 1;
            }
        } else if (wl) {
            snprintf(err, errlen, "Unknown lua shebang option: %.*s", (int)wl, w);
            return -1;
        }
    }
    return 0;
}

int kv_lua_shebang_flags(const char *body, size_t n)
{
    char err[128];
    size_t skip;
    int flags;
    return shebang(body, n, &flags, &skip, err, sizeof err) != 0 ? -1 : flags;
}

kv_lscript *kv_lua_compile(kv_lua *l, const char *sha, const char *body, size_t n, char *err,
                           size_t errlen)
{
    lua_State *L = l->L;
    kv_lscript *s = kv_lua_script(l, sha);
    size_t skip;
    int flags;
    if (s)
        return s;
    if (shebang(body, n, &flags, &skip, err, errlen) != 0)
        return NULL;
    if (luaL_loadbuffer(L, body + skip, n - skip, "@user_script") != 0) {
        snprintf(err, errlen, "Error compiling script (new function): %s", lua_tostring(L, -1));
        lua_pop(L, 1);
        return NULL;
    }
    /* The script's globals: the read-only proxy. */
    lua_rawgeti(L, LUA_REGISTRYINDEX, l->proxy_ref);
    lua_setfenv(L, -2);
    return kv_lua_script_add(l, sha, flags);
}
