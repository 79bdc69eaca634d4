/* Conversions between replies and Lua values, as Redis 7.0 makes them: a
 * command's reply (RESP2, or RESP3 after redis.setresp(3)) becomes the
 * value redis.call returns, and the value a script returns becomes the
 * client's reply. The reply parser trusts nothing: a reply it cannot read
 * whole converts to nothing. */
#include "cmd/script/script.h"

#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 1000 /* nesting of a reply or a returned table */

/* The line at p (up to CRLF) and where the next one starts. */
static int line(const char *p, size_t n, size_t *len, size_t *next)
{
    const char *cr = memchr(p, '\r', n);
    if (!cr || (size_t)(cr - p) + 1 >= n || cr[1] != '\n')
        return -1;
    *len = (size_t)(cr - p);
    *next = *len + 2;
    return 0;
}

static long long number(const char *p, size_t n)
{
    char tmp[32];
    if (n >= sizeof tmp)
        n = sizeof tmp - 1;
    memcpy(tmp, p, n);
    tmp[n] = '\0';
    return strtoll(tmp, NULL, 10);
}

static void field(lua_State *L, const char *k)
{
    lua_pushstring(L, k);
    lua_insert(L, -2);
    lua_settable(L, -3);
}

/* A null reply: false for a RESP2 script (Redis's rule), nil for RESP3. */
static void push_null(lua_State *L, int resp)
{
    if (resp == 2)
        lua_pushboolean(L, 0);
    else
        lua_pushnil(L);
}

static size_t push(lua_State *L, const char *p, size_t n, int resp, int depth)
{
    size_t len, next, used, i;
    long long count;
    if (n < 3 || depth > MAX_DEPTH || !lua_checkstack(L, 8) || line(p, n, &len, &next) != 0)
        return 0;
    switch (p[0]) {
    case '+':
    case '-':
        lua_newtable(L);
        lua_pushlstring(L, p + 1, len - 1);
        field(L, p[0] == '+' ? "ok" : "err");
        return next;
    case ':':
        lua_pushnumber(L, (lua_Number)number(p + 1, len - 1));
        return next;
    case '_':
        push_null(L, resp);
        return next;
    case '#':
        lua_pushboolean(L, p[1] == 't');
        return next;
    case ',':
        lua_newtable(L);
        {
            char tmp[64];
            size_t m = len - 1 < sizeof tmp - 1 ? len - 1 : sizeof tmp - 1;
            memcpy(tmp, p + 1, m);
            tmp[m] = '\0';
            lua_pushnumber(L, (lua_Number)strtod(tmp, NULL));
        }
        field(L, "double");
        return next;
    case '(':
        lua_newtable(L);
        lua_pushlstring(L, p + 1, len - 1);
        field(L, "big_number");
        return next;
    case '$':
    case '=':
        count = number(p + 1, len - 1);
        if (count < 0) {
            push_null(L, resp);
            return next;
        }
        if ((size_t)count > n - next || n - next - (size_t)count < 2)
            return 0;
        if (p[0] == '$') {
            lua_pushlstring(L, p + next, (size_t)count);
        } else { /* "txt:" + text */
            lua_newtable(L);
            lua_newtable(L);
            lua_pushlstring(L, p + next, count >= 3 ? 3 : (size_t)count);
            field(L, "format");
            lua_pushlstring(L, p + next + (count >= 4 ? 4 : count), count >= 4 ? (size_t)count - 4 : 0);
            field(L, "string");
            field(L, "verbatim_string");
        }
        return next + (size_t)count + 2;
    case '*':
    case '~':
    case '%':
    case '>':
        count = number(p + 1, len - 1);
        if (count < 0) {
            push_null(L, resp);
            return next;
        }
        used = next;
        lua_newtable(L);
        if (p[0] == '~' || p[0] == '%')
            lua_newtable(L); /* the inner table of {set=...} or {map=...} */
        for (i = 0; i < (size_t)count; i++) {
            size_t u = push(L, p + used, n - used, resp, depth + 1);
            if (!u) {
                lua_pop(L, p[0] == '~' || p[0] == '%' ? 2 : 1);
                return 0;
            }
            used += u;
            if (p[0] == '%') {
                size_t v = push(L, p + used, n - used, resp, depth + 1);
                if (!v) {
                    lua_pop(L, 3);
                    return 0;
                }
                used += v;
                lua_settable(L, -3);
            } else if (p[0] == '~') {
                lua_pushboolean(L, 1);
                lua_settable(L, -3);
            } else {
                lua_rawseti(L, -2, (int)i + 1);
            }
        }
        if (p[0] == '~' || p[0] == '%')
            field(L, p[0] == '~' ? "set" : "map");
        return used;
    default:
        return 0;
    }
}

size_t kv_lua_push_reply(lua_State *L, const char *p, size_t n, int resp)
{
    return push(L, p, n, resp, 0);
}

/* t[k] of the table at idx as a string (pushed), or nothing (0). */
static int string_field(lua_State *L, int idx, const char *k)
{
    lua_pushstring(L, k);
    lua_rawget(L, idx);
    if (lua_type(L, -1) == LUA_TSTRING)
        return 1;
    lua_pop(L, 1);
    return 0;
}

static void write_value(lua_State *L, kv_reply *out, int resp, int depth);
static void write_pairs(lua_State *L, kv_reply *out, int resp, int depth, int map);

/* {map={...}} or {set={...}}: written (1), or not that (0). */
static int pairs_field(lua_State *L, int idx, const char *k, kv_reply *out, int resp, int depth)
{
    lua_pushstring(L, k);
    lua_rawget(L, idx);
    if (lua_type(L, -1) != LUA_TTABLE) {
        lua_pop(L, 1);
        return 0;
    }
    write_pairs(L, out, resp, depth, k[0] == 'm');
    lua_pop(L, 1);
    return 1;
}

/* A table with n pairs (map) or keys (set) at the top. */
static void write_pairs(lua_State *L, kv_reply *out, int resp, int depth, int map)
{
    long n = 0;
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        n++;
        lua_pop(L, 1);
    }
    if (map)
        kv_reply_map(out, n);
    else
        kv_reply_set(out, n);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pushvalue(L, -2); /* the key, for write_value to consume */
        write_value(L, out, resp, depth + 1);
        if (map)
            write_value(L, out, resp, depth + 1);
        else
            lua_pop(L, 1);
    }
}

/* Write and pop the value at the top of L. */
static void write_value(lua_State *L, kv_reply *out, int resp, int depth)
{
    int t = lua_type(L, -1);
    if (depth > MAX_DEPTH || !lua_checkstack(L, 6)) {
        kv_reply_error(out, "ERR reached lua stack limit");
        lua_pop(L, 1);
        return;
    }
    switch (t) {
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, -1, &n);
        kv_reply_bulk(out, s, n);
        break;
    }
    case LUA_TBOOLEAN:
        if (resp == 2) {
            if (lua_toboolean(L, -1))
                kv_reply_int(out, 1);
            else
                kv_reply_null(out);
        } else {
            kv_reply_bool(out, lua_toboolean(L, -1));
        }
        break;
    case LUA_TNUMBER:
        kv_reply_int(out, (long long)lua_tonumber(L, -1));
        break;
    case LUA_TTABLE: {
        int idx = lua_gettop(L);
        long j;
        if (string_field(L, idx, "err")) {
            kv_reply_error(out, lua_tostring(L, -1));
            lua_pop(L, 1);
            break;
        }
        if (string_field(L, idx, "ok")) {
            kv_reply_status(out, lua_tostring(L, -1));
            lua_pop(L, 1);
            break;
        }
        lua_pushstring(L, "double");
        lua_rawget(L, idx);
        if (lua_type(L, -1) == LUA_TNUMBER) {
            kv_reply_double(out, lua_tonumber(L, -1));
            lua_pop(L, 1);
            break;
        }
        lua_pop(L, 1);
        if (string_field(L, idx, "big_number")) {
            size_t n;
            const char *s = lua_tolstring(L, -1, &n);
            kv_reply_bignum(out, s, n);
            lua_pop(L, 1);
            break;
        }
        if (pairs_field(L, idx, "map", out, resp, depth) ||
            pairs_field(L, idx, "set", out, resp, depth))
            break;
        lua_pushstring(L, "verbatim_string");
        lua_rawget(L, idx);
        if (lua_type(L, -1) == LUA_TTABLE) {
            int v = lua_gettop(L);
            if (string_field(L, v, "format")) {
                if (string_field(L, v, "string")) {
                    size_t n;
                    const char *s = lua_tolstring(L, -1, &n);
                    kv_reply_verbatim(out, s, n, lua_tostring(L, -2));
                    lua_pop(L, 3);
                    break;
                }
                lua_pop(L, 1);
            }
        }
        lua_pop(L, 1);
        /* An array: up to the first nil, as Redis. */
        for (j = 1;; j++) {
            lua_rawgeti(L, idx, (int)j);
            if (lua_isnil(L, -1)) {
                lua_pop(L, 1);
                break;
            }
            lua_pop(L, 1);
        }
        kv_reply_array(out, j - 1);
        for (j = 1;; j++) {
            lua_rawgeti(L, idx, (int)j);
            if (lua_isnil(L, -1)) {
                lua_pop(L, 1);
                break;
            }
            write_value(L, out, resp, depth + 1);
        }
        break;
    }
    default:
        kv_reply_null(out);
        break;
    }
    lua_pop(L, 1);
}

void kv_lua_write_reply(lua_State *L, kv_reply *out, int resp)
{
    write_value(L, out, resp, 0);
}
