/* A library's code in Lua: the "#!lua name=<lib>" line, then the code run
 * once with Redis 7.0's load environment (only redis.register_function,
 * redis.log, the LOG_* levels and the version; any other global is an
 * error, every write refused). Its functions keep that environment, which
 * then reads the script globals (KEYS and ARGV excepted). FUNCTION LOAD
 * runs it in a throwaway state to check it and learn the functions; each
 * shard runs every library again in its own state after a change. */
#include "cmd/script/script.h"

#include <ctype.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BAD_NAME                                                                              \
    "Library names can only contain letters, numbers, or underscores(_) and must be at least " \
    "one character long"

#define VERSION "7.0.15"
#define VERSION_NUM 0x07000f

const char *const kv_fn_flag_names[KV_FN_NFLAGS] = {"no-writes", "allow-oom", "allow-stale",
                                                    "no-cluster", "allow-cross-slot-keys"};

/* Its environments (chunk "=kevy"): at load, the library API; at run
 * time, the globals. Arguments: the API table, the real globals. */
static const char envs[] =
    "local api, G = ...\n"
    "local error, tostring, rawget, setmetatable = error, tostring, rawget, setmetatable\n"
    "local function ro() error('Attempt to modify a readonly table', 2) end\n"
    "local function strict(t)\n"
    "  local p = {}\n"
    "  setmetatable(p, {__metatable = false, __newindex = ro, __index = function(_, k)\n"
    "    local v = rawget(t, k)\n"
    "    if v == nil then\n"
    "      error(\"Script attempted to access nonexistent global variable '\" .. tostring(k) .. \"'\", 2)\n"
    "    end\n"
    "    return v\n"
    "  end})\n"
    "  return p\n"
    "end\n"
    "local rapi = strict(api)\n"
    "local load_mt = {__metatable = false, __newindex = ro, __index = function(_, k)\n"
    "  if k == 'redis' then return rapi end\n"
    "  error(\"Script attempted to access nonexistent global variable '\" .. tostring(k) .. \"'\", 2)\n"
    "end}\n"
    "local run_mt = {__metatable = false, __newindex = ro, __index = function(_, k)\n"
    "  local v\n"
    "  if G and k ~= 'KEYS' and k ~= 'ARGV' then v = rawget(G, k) end\n"
    "  if v == nil then\n"
    "    error(\"Script attempted to access nonexistent global variable '\" .. tostring(k) .. \"'\", 2)\n"
    "  end\n"
    "  return v\n"
    "end}\n"
    "return load_mt, run_mt\n";

#define K_LOAD_MT "kevy_fn_load_mt"
#define K_RUN_MT "kevy_fn_run_mt"
#define K_COLLECT "kevy_fn_collect"
#define K_TABLE "kevy_fn_table"
#define K_GEN "kevy_fn_gen"

void kv_fnlib_free(kv_fnlib *lib)
{
    int i;
    if (!lib)
        return;
    for (i = 0; i < lib->nfn; i++) {
        free(lib->fn[i].name);
        free(lib->fn[i].desc);
    }
    free(lib->fn);
    free(lib->name);
    free(lib->code);
    free(lib);
}

void kv_fnlibs_free(kv_fnlib **libs, int n)
{
    int i;
    for (i = 0; i < n; i++)
        kv_fnlib_free(libs[i]);
    free(libs);
}

static char *dup(const char *p, size_t n)
{
    char *s = malloc(n + 1);
    if (!s)
        abort();
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* ------------------------------------------------------------ the load API */


static int flag_bit(const char *s)
{
    int i;
    for (i = 0; i < KV_FN_NFLAGS; i++)
        if (!strcmp(s, kv_fn_flag_names[i]))
            return 1 << i;
    return 0;
}

/* redis.register_function(name, callback) or ({function_name=, callback=,
 * flags=, description=}): appended to the library being loaded. */
static int l_register(lua_State *L)
{
    int argc = lua_gettop(L), fidx, didx = 0, flags = 0, nidx;
    size_t i, n;
    const char *name;
    if (argc == 1) {
        int got_name = 0, got_cb = 0;
        if (!lua_istable(L, 1))
            return kv_lua_raise(L, "calling redis.register_function with a single argument is only "
                            "applicable to Lua table (representing named arguments).");
        lua_pushnil(L);
        while (lua_next(L, 1)) { /* key at -2, value at -1 */
            const char *k;
            if (!lua_isstring(L, -2))
                return kv_lua_raise(L, "named argument key given to redis.register_function is not a "
                                "string");
            lua_pushvalue(L, -2);
            k = lua_tostring(L, -1);
            lua_pop(L, 1);
            if (!strcmp(k, "function_name")) {
                if (!lua_isstring(L, -1))
                    return kv_lua_raise(L, "function_name argument given to redis.register_function "
                                    "must be a string");
                lua_pushvalue(L, -1);
                lua_setfield(L, LUA_REGISTRYINDEX, "kevy_fn_a_name");
                got_name = 1;
            } else if (!strcmp(k, "description")) {
                if (!lua_isstring(L, -1))
                    return kv_lua_raise(L, "description argument given to redis.register_function "
                                    "must be a string");
                lua_pushvalue(L, -1);
                lua_setfield(L, LUA_REGISTRYINDEX, "kevy_fn_a_desc");
                didx = 1;
            } else if (!strcmp(k, "callback")) {
                if (!lua_isfunction(L, -1))
                    return kv_lua_raise(L, "callback argument given to redis.register_function must "
                                    "be a function");
                lua_pushvalue(L, -1);
                lua_setfield(L, LUA_REGISTRYINDEX, "kevy_fn_a_cb");
                got_cb = 1;
            } else if (!strcmp(k, "flags")) {
                if (!lua_istable(L, -1))
                    return kv_lua_raise(L, "flags argument to redis.register_function must be a table "
                                    "representing function flags");
                for (i = 1;; i++) {
                    int bit;
                    lua_rawgeti(L, -1, (int)i);
                    if (lua_isnil(L, -1)) {
                        lua_pop(L, 1);
                        break;
                    }
                    if (lua_type(L, -1) != LUA_TSTRING || !(bit = flag_bit(lua_tostring(L, -1))))
                        return kv_lua_raise(L, "unknown flag given");
                    flags |= bit;
                    lua_pop(L, 1);
                }
            } else {
                return kv_lua_raise(L, "unknown argument given to redis.register_function");
            }
            lua_pop(L, 1);
        }
        if (!got_name)
            return kv_lua_raise(L, "redis.register_function must get a function name argument");
        if (!got_cb)
            return kv_lua_raise(L, "redis.register_function must get a callback argument");
        lua_settop(L, 0);
        lua_getfield(L, LUA_REGISTRYINDEX, "kevy_fn_a_name"); /* 1 */
        lua_getfield(L, LUA_REGISTRYINDEX, "kevy_fn_a_cb");   /* 2 */
        if (didx) {
            lua_getfield(L, LUA_REGISTRYINDEX, "kevy_fn_a_desc"); /* 3 */
            didx = 3;
        }
        lua_pushnil(L);
        lua_setfield(L, LUA_REGISTRYINDEX, "kevy_fn_a_desc");
        nidx = 1;
        fidx = 2;
    } else if (argc == 2) {
        if (!lua_isstring(L, 1))
            return kv_lua_raise(L, "first argument to redis.register_function must be a string");
        if (!lua_isfunction(L, 2))
            return kv_lua_raise(L, "second argument to redis.register_function must be a function");
        nidx = 1;
        fidx = 2;
    } else {
        return kv_lua_raise(L, "wrong number of arguments to redis.register_function");
    }
    name = lua_tolstring(L, nidx, &n);
    if (!kv_fn_valid_name(name, n))
        return kv_lua_raise(L, BAD_NAME);
    lua_getfield(L, LUA_REGISTRYINDEX, K_COLLECT);
    if (!lua_istable(L, -1)) /* kept and called after its library loaded */
        return kv_lua_raise(L, "redis.register_function can only be called on FUNCTION LOAD command");
    {
        int c = lua_gettop(L), count = (int)lua_objlen(L, c), j;
        for (j = 1; j <= count; j++) {
            lua_rawgeti(L, c, j);
            lua_getfield(L, -1, "name");
            if (lua_rawequal(L, -1, nidx))
                return kv_lua_raise(L, "Function already exists in the library");
            lua_pop(L, 2);
        }
        lua_createtable(L, 0, 4);
        lua_pushvalue(L, nidx);
        lua_setfield(L, -2, "name");
        lua_pushvalue(L, fidx);
        lua_setfield(L, -2, "f");
        lua_pushnumber(L, flags);
        lua_setfield(L, -2, "flags");
        if (didx) {
            lua_pushvalue(L, didx);
            lua_setfield(L, -2, "desc");
        }
        lua_rawseti(L, c, count + 1);
    }
    return 0;
}

static int l_log(lua_State *L)
{
    return kv_lua_log(L, lua_touserdata(L, lua_upvalueindex(1)));
}

/* Make the two environments' metatables in L (once per state). */
static void setup(lua_State *L, kv_shard *log_to, int with_globals)
{
    static const char *const levels[] = {"LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE",
                                         "LOG_WARNING"};
    int i;
    lua_getfield(L, LUA_REGISTRYINDEX, K_LOAD_MT);
    if (!lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return;
    }
    lua_pop(L, 1);
    if (luaL_loadbuffer(L, envs, sizeof envs - 1, "=kevy") != 0)
        abort();
    lua_newtable(L); /* the API */
    lua_pushcfunction(L, l_register);
    lua_setfield(L, -2, "register_function");
    lua_pushlightuserdata(L, log_to);
    lua_pushcclosure(L, l_log, 1);
    lua_setfield(L, -2, "log");
    for (i = 0; i < 4; i++) {
        lua_pushnumber(L, i);
        lua_setfield(L, -2, levels[i]);
    }
    lua_pushstring(L, VERSION);
    lua_setfield(L, -2, "REDIS_VERSION");
    lua_pushnumber(L, VERSION_NUM);
    lua_setfield(L, -2, "REDIS_VERSION_NUM");
    if (with_globals)
        lua_pushvalue(L, LUA_GLOBALSINDEX);
    else
        lua_pushnil(L);
    if (lua_pcall(L, 2, 2, 0) != 0)
        abort();
    lua_setfield(L, LUA_REGISTRYINDEX, K_RUN_MT);
    lua_setfield(L, LUA_REGISTRYINDEX, K_LOAD_MT);
}

/* A library's code runs at most 500 ms, as Redis's load timeout. */
#define LOAD_TIMEOUT_US 500000

static void load_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    lua_getfield(L, LUA_REGISTRYINDEX, "kevy_fn_t0");
    if (kv_monotonic_us() - (long long)lua_tonumber(L, -1) > LOAD_TIMEOUT_US) {
        lua_pop(L, 1);
        kv_lua_raise(L, "FUNCTION LOAD timeout");
    }
    lua_pop(L, 1);
}

/* Run a library's code (after its first line): its registrations left on
 * the stack (an array of {name, f, flags, desc}), or -1 with the error. */
static int run_lib(lua_State *L, const char *code, size_t n, size_t skip, char *err,
                   size_t errlen)
{
    int env, rc;
    if (luaL_loadbuffer(L, code + skip, n - skip, "@user_function") != 0) {
        snprintf(err, errlen, "Error compiling function: %s", lua_tostring(L, -1));
        lua_pop(L, 1);
        return -1;
    }
    lua_newtable(L);
    env = lua_gettop(L);
    lua_getfield(L, LUA_REGISTRYINDEX, K_LOAD_MT);
    lua_setmetatable(L, env);
    lua_pushvalue(L, env);
    lua_setfenv(L, env - 1);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, K_COLLECT);
    lua_pushvalue(L, env - 1);
    lua_pushnumber(L, (lua_Number)kv_monotonic_us());
    lua_setfield(L, LUA_REGISTRYINDEX, "kevy_fn_t0");
    lua_sethook(L, load_hook, LUA_MASKCOUNT, 100000);
    rc = lua_pcall(L, 0, 0, 0);
    lua_sethook(L, NULL, 0, 0);
    if (rc != 0) {
        if (lua_istable(L, -1)) {
            lua_getfield(L, -1, "err");
            snprintf(err, errlen, "Error registering functions: %s",
                     lua_isstring(L, -1) ? lua_tostring(L, -1) : "ERR unknown error");
            lua_pop(L, 1);
        } else {
            snprintf(err, errlen, "Error registering functions: ERR %s",
                     lua_isstring(L, -1) ? lua_tostring(L, -1) : "unknown error");
        }
        lua_pop(L, 3);
        return -1;
    }
    lua_getfield(L, LUA_REGISTRYINDEX, K_RUN_MT);
    lua_setmetatable(L, env); /* from now on its functions read the globals */
    lua_pop(L, 2);
    lua_getfield(L, LUA_REGISTRYINDEX, K_COLLECT);
    lua_pushnil(L);
    lua_setfield(L, LUA_REGISTRYINDEX, K_COLLECT);
    if (lua_objlen(L, -1) == 0) {
        snprintf(err, errlen, "No functions registered");
        lua_pop(L, 1);
        return -1;
    }
    return 0;
}

kv_fnlib *kv_fnlib_create(const char *code, size_t n, kv_shard *sh, char *err, size_t errlen)
{
    return kv_fnlib_create_new(code, n, sh, NULL, err, errlen);
}

kv_fnlib *kv_fnlib_create_new(const char *code, size_t n, kv_shard *sh, kv_fnreg *reg,
                              char *err, size_t errlen)
{
    char name[1024], engine[1024];
    size_t skip;
    lua_State *L;
    kv_fnlib *lib;
    int i, count;
    if (kv_fnlib_meta(code, n, name, sizeof name, engine, sizeof engine, &skip, err, errlen) != 0)
        return NULL;
    if (strcasecmp(engine, "lua") != 0) {
        snprintf(err, errlen, "Engine '%s' not found", engine);
        return NULL;
    }
    if (!kv_fn_valid_name(name, strlen(name))) {
        snprintf(err, errlen, BAD_NAME);
        return NULL;
    }
    if (reg && kv_fnreg_exists(reg, name, strlen(name))) {
        snprintf(err, errlen, "Library '%s' already exists", name);
        return NULL;
    }
    if (!(L = luaL_newstate()))
        abort();
    lua_pushcfunction(L, luaopen_base);
    lua_pushstring(L, "");
    lua_call(L, 1, 0);
    setup(L, sh, 0);
    if (run_lib(L, code, n, skip, err, errlen) != 0) {
        lua_close(L);
        return NULL;
    }
    if (!(lib = calloc(1, sizeof *lib)))
        abort();
    lib->name = dup(name, strlen(name));
    lib->namelen = strlen(name);
    lib->code = dup(code, n);
    lib->codelen = n;
    count = (int)lua_objlen(L, -1);
    if (!(lib->fn = calloc((size_t)count, sizeof *lib->fn)))
        abort();
    for (i = 0; i < count; i++) {
        kv_fn *f = &lib->fn[i];
        const char *s;
        size_t sl;
        lua_rawgeti(L, -1, i + 1);
        lua_getfield(L, -1, "name");
        s = lua_tolstring(L, -1, &sl);
        f->name = dup(s, sl);
        f->namelen = sl;
        lua_getfield(L, -2, "desc");
        if (lua_isstring(L, -1)) {
            s = lua_tolstring(L, -1, &sl);
            f->desc = dup(s, sl);
            f->desclen = sl;
        }
        lua_getfield(L, -3, "flags");
        f->flags = (int)lua_tonumber(L, -1);
        lua_pop(L, 4);
    }
    lib->nfn = count;
    lua_close(L);
    return lib;
}

/* ------------------------------------------------------------ a shard's functions */

/* The table name (lower case) -> {f, flags, p} of this state, made again
 * when the server's libraries changed; pushed. */
static void push_table(kv_lua *l)
{
    lua_State *L = l->L;
    kv_fnreg *reg = kv_scripts_functions(l->st->srv->scripts);
    unsigned long long gen = kv_fnreg_gen(reg);
    kv_fnlib **libs;
    int n, i;
    lua_getfield(L, LUA_REGISTRYINDEX, K_GEN);
    if (lua_isnumber(L, -1) && (unsigned long long)lua_tonumber(L, -1) == gen) {
        lua_pop(L, 1);
        lua_getfield(L, LUA_REGISTRYINDEX, K_TABLE);
        return;
    }
    lua_pop(L, 1);
    setup(L, NULL, 1);
    libs = kv_fnreg_copy(reg, &n, &gen);
    lua_newtable(L);
    for (i = 0; i < n; i++) {
        char err[1024];
        size_t skip = 0;
        int j, count;
        const char *nl = memchr(libs[i]->code, '\n', libs[i]->codelen);
        if (nl)
            skip = (size_t)(nl - libs[i]->code);
        if (run_lib(L, libs[i]->code, libs[i]->codelen, skip, err, sizeof err) != 0) {
            kv_shard_log(l->st->shard, 3, "Library '%s' failed to load here: %s",
                         libs[i]->name, err);
            continue;
        }
        count = (int)lua_objlen(L, -1);
        for (j = 1; j <= count; j++) {
            size_t k, nl2;
            const char *s;
            char *low;
            lua_rawgeti(L, -1, j);
            lua_getfield(L, -1, "name");
            s = lua_tolstring(L, -1, &nl2);
            low = dup(s, nl2);
            for (k = 0; k < nl2; k++)
                low[k] = (char)tolower((unsigned char)low[k]);
            lua_pop(L, 1);
            lua_pushlstring(L, low, nl2);
            free(low);
            lua_insert(L, -2);
            lua_settable(L, -4); /* table[low] = entry */
        }
        lua_pop(L, 1);
    }
    kv_fnlibs_free(libs, n);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, K_TABLE);
    lua_pushnumber(L, (lua_Number)gen);
    lua_setfield(L, LUA_REGISTRYINDEX, K_GEN);
}

/* Push the entry of name (1) or nothing (0). */
static int push_entry(kv_lua *l, const char *name, size_t n)
{
    lua_State *L = l->L;
    char buf[256], *low = n < sizeof buf ? buf : malloc(n + 1);
    size_t i;
    if (!low)
        abort();
    for (i = 0; i < n; i++)
        low[i] = (char)tolower((unsigned char)name[i]);
    push_table(l);
    lua_pushlstring(L, low, n);
    if (low != buf)
        free(low);
    lua_rawget(L, -2);
    lua_remove(L, -2);
    if (lua_istable(L, -1))
        return 1;
    lua_pop(L, 1);
    return 0;
}

int kv_fn_push(kv_lua *l, const char *name, size_t n, int *flags)
{
    lua_State *L = l->L;
    if (!push_entry(l, name, n))
        return 0;
    lua_getfield(L, -1, "flags");
    *flags = (int)lua_tonumber(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, -1, "f");
    lua_remove(L, -2);
    return 1;
}

char *kv_fn_name(kv_lua *l, const char *name, size_t n)
{
    const char *s;
    size_t len;
    char *out;
    if (!push_entry(l, name, n))
        return NULL;
    lua_getfield(l->L, -1, "name");
    s = lua_tolstring(l->L, -1, &len);
    out = dup(s ? s : "", s ? len : 0);
    lua_pop(l->L, 2);
    return out;
}

int kv_fn_profile(kv_lua *l, const char *name, size_t n)
{
    int p;
    if (!push_entry(l, name, n))
        return 0;
    lua_getfield(l->L, -1, "p");
    p = (int)lua_tonumber(l->L, -1);
    lua_pop(l->L, 2);
    return p;
}

void kv_fn_set_profile(kv_lua *l, const char *name, size_t n, int p)
{
    if (!push_entry(l, name, n))
        return;
    lua_pushnumber(l->L, p);
    lua_setfield(l->L, -2, "p");
    lua_pop(l->L, 1);
}
