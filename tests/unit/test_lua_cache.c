/* The compiled-script table of a shard's Lua state (src/cmd/script/
 * lua_cache.c): every script added is found by its SHA-1 with its own
 * function and flags through many growths, records keep their address (a
 * run holds a pointer to its own), and unknown SHA-1s are not found. */
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <string.h>

#include "cmd/script/script.h"
#include "test.h"

#define N 3000

static void sha_of(int i, char out[41])
{
    kv_sha1_hex(&i, sizeof i, out);
}

static void test_add_find(void)
{
    kv_lua l;
    kv_lscript *rec[N];
    char sha[41];
    int i, found = 0, right = 0, stable = 0;
    memset(&l, 0, sizeof l);
    l.L = luaL_newstate();
    CHECK(kv_lua_script(&l, "0000000000000000000000000000000000000000") == NULL);
    for (i = 0; i < N; i++) {
        sha_of(i, sha);
        CHECK(kv_lua_script(&l, sha) == NULL);
        lua_pushinteger(l.L, i); /* stands for the compiled function */
        rec[i] = kv_lua_script_add(&l, sha, i & 3);
    }
    CHECK_EQ_LL(lua_gettop(l.L), 0); /* each add took its value */
    CHECK_EQ_LL(l.nscripts, N);
    CHECK(2 * l.nscripts <= l.script_cap);
    for (i = 0; i < N; i++) {
        kv_lscript *s;
        sha_of(i, sha);
        s = kv_lua_script(&l, sha);
        if (!s)
            continue;
        found++;
        stable += s == rec[i];
        lua_rawgeti(l.L, LUA_REGISTRYINDEX, s->fn_ref);
        right += lua_tointeger(l.L, -1) == i && s->flags == (i & 3) && s->profile == 0 &&
                 memcmp(s->sha, sha, 40) == 0;
        lua_pop(l.L, 1);
    }
    CHECK_EQ_LL(found, N);
    CHECK_EQ_LL(stable, N);
    CHECK_EQ_LL(right, N);
    for (i = N; i < N + 100; i++) { /* never added */
        sha_of(i, sha);
        CHECK(kv_lua_script(&l, sha) == NULL);
    }
    kv_lua_scripts_free(&l);
    CHECK_EQ_LL(l.nscripts, 0);
    lua_close(l.L);
}

int main(void)
{
    static const test_case cases[] = {
        {"add and find through growth", test_add_find},
    };
    return test_run("lua_cache", cases, sizeof cases / sizeof cases[0]);
}
