/* libFuzzer harness for the cmsgpack and struct libraries of scripts: the
 * first byte picks cmsgpack (the rest is MessagePack) or struct (the rest
 * is a format, a zero byte, then data). Any input may fail with a Lua
 * error, never crash; values unpacked must pack and unpack again. */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/script/script.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char msgpack_code[] =
    "local s = ...\n"
    "local off, n = 0, 0\n"
    "repeat off = cmsgpack.unpack_one(s, off) n = n + 1 until off == -1 or n > 64\n"
    "local t = {pcall(cmsgpack.unpack, s)}\n"
    "if not t[1] or #t < 2 then return end\n"
    "local p = cmsgpack.pack(unpack(t, 2))\n"
    "local ok, e = pcall(cmsgpack.unpack, p)\n"
    "if not ok and not tostring(e):find('table index is') then\n"
    "  error('repacked values do not unpack: ' .. tostring(e), 0)\n"
    "end\n"
    "return 'checked'\n";

static const char struct_code[] =
    "local f, d = ...\n"
    "pcall(struct.size, f)\n"
    "pcall(struct.unpack, f, d)\n"
    "pcall(struct.unpack, f, d, 2)\n"
    "local ok, s = pcall(struct.pack, f, 1, -2, 3.5, d, 'abc', 2^40, -1, 7)\n"
    "if ok then pcall(struct.unpack, f, s) end\n"
    "return 'checked'\n";

static lua_State *state(void)
{
    static lua_State *L;
    if (!L) {
        L = luaL_newstate();
        luaL_openlibs(L);
        lua_pushcfunction(L, kv_lua_open_cmsgpack);
        lua_call(L, 0, 1);
        lua_setglobal(L, "cmsgpack");
        lua_pushcfunction(L, kv_lua_open_struct);
        lua_call(L, 0, 1);
        lua_setglobal(L, "struct");
    }
    return L;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lua_State *L = state();
    const char *p = (const char *)data + 1;
    int nargs = 1;
    if (size < 1)
        return 0;
    lua_settop(L, 0);
    if (data[0] & 1) {
        const char *z = memchr(p, '\0', size - 1);
        size_t flen = z ? (size_t)(z - p) : size - 1;
        if (flen > 64) /* a long format only repeats what short ones do */
            return 0;
        luaL_loadbuffer(L, struct_code, sizeof struct_code - 1, "=struct");
        lua_pushlstring(L, p, flen);
        lua_pushlstring(L, z ? z + 1 : "", z ? size - 1 - flen - 1 : 0);
        nargs = 2;
    } else {
        luaL_loadbuffer(L, msgpack_code, sizeof msgpack_code - 1, "=msgpack");
        lua_pushlstring(L, p, size - 1);
    }
    if (lua_pcall(L, nargs, 1, 0) != 0) {
        const char *e = lua_tostring(L, -1);
        /* only the library's own failures of unpack_one's loop are fine */
        if (!e || strstr(e, "repacked values do not unpack")) {
            fprintf(stderr, "fuzz_lualibs: %s\n", e ? e : "?");
            abort();
        }
    }
    lua_settop(L, 0);
    lua_gc(L, LUA_GCCOLLECT, 0);
    return 0;
}
