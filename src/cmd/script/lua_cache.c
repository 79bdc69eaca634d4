/* The scripts one shard's Lua state has compiled, by SHA-1: the function's
 * registry reference, its shebang flags and what its runs taught about its
 * keys. A table in C rather than named registry fields, so an EVALSHA finds
 * its script with one probe and builds no string; records are allocated
 * one by one so a run may keep a pointer to its own across a growth. */
#include "cmd/script/script.h"

#include <lauxlib.h>
#include <lua.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The SHA-1 is already uniform: eight of its hex digits, mixed, make the
 * hash. */
static size_t sha_hash(const char *sha)
{
    uint64_t h;
    memcpy(&h, sha, sizeof h);
    h *= 0x9E3779B97F4A7C15ULL;
    return (size_t)(h >> 32);
}

kv_lscript *kv_lua_script(const kv_lua *l, const char *sha)
{
    size_t mask, i;
    if (l->nscripts == 0)
        return NULL;
    mask = l->script_cap - 1;
    for (i = sha_hash(sha) & mask; l->scripts[i]; i = (i + 1) & mask)
        if (memcmp(l->scripts[i]->sha, sha, 40) == 0)
            return l->scripts[i];
    return NULL;
}

static void place(kv_lscript **slots, size_t cap, kv_lscript *s)
{
    size_t i;
    for (i = sha_hash(s->sha) & (cap - 1); slots[i]; i = (i + 1) & (cap - 1))
        ;
    slots[i] = s;
}

/* Pops the compiled function into a new record (the script must not be
 * known yet). Grows at half full, so probes stay short. */
kv_lscript *kv_lua_script_add(kv_lua *l, const char *sha, int flags)
{
    kv_lscript *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    if (2 * (l->nscripts + 1) > l->script_cap) {
        size_t cap = l->script_cap ? 2 * l->script_cap : 16, i;
        kv_lscript **slots = calloc(cap, sizeof *slots);
        if (!slots)
            abort();
        for (i = 0; i < l->script_cap; i++)
            if (l->scripts[i])
                place(slots, cap, l->scripts[i]);
        free(l->scripts);
        l->scripts = slots;
        l->script_cap = cap;
    }
    memcpy(s->sha, sha, 40);
    s->flags = flags;
    s->fn_ref = luaL_ref(l->L, LUA_REGISTRYINDEX);
    place(l->scripts, l->script_cap, s);
    l->nscripts++;
    return s;
}

/* With the state: its references go with lua_close. */
void kv_lua_scripts_free(kv_lua *l)
{
    size_t i;
    for (i = 0; i < l->script_cap; i++)
        free(l->scripts[i]);
    free(l->scripts);
    l->scripts = NULL;
    l->nscripts = l->script_cap = 0;
}
