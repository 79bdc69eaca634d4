/* cmsgpack: MessagePack for scripts, with the behaviour of the library Redis
 * 7.0 embeds (lua-cmsgpack 0.4.0), written here from the MessagePack
 * specification and Redis's observable replies.
 *
 * pack(v1, ...) concatenates the encoding of each argument:
 *   nil (and functions, userdata, threads) 0xc0; false 0xc2, true 0xc3;
 *   a number that is a whole value in int64 range: the smallest form
 *     (positive: fixint, uint8/16/32/64; negative: negative fixint,
 *     int8/16/32/64); other numbers float32 when the float is exact
 *     (infinities included), else float64;
 *   strings fixstr, str8, str16, str32 (never bin);
 *   a table whose keys are exactly 1..n an array (fixarray, array16/32;
 *     the empty table too), any other a map (fixmap, map16/32) in next()
 *     order; a table 16 tables deep is written as nil (cycles end).
 * unpack(s) returns every value of s; unpack_one(s [, offset]) and
 * unpack_limit(s, limit [, offset]) return first the offset of the next
 * value (-1 at the end of s), then the values. Numbers come back as Lua
 * numbers (64-bit integers rounded to doubles; uint 64 read as int 64, so
 * 2^63 and above come back negative, as in Redis); bin, ext and 0xc1 are
 * "Bad data format in input.". */
#include "cmd/script/script.h"

#include <lauxlib.h>
#include <limits.h>
#include <lua.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MP_MAX_NESTING 16
#define MP_BUF_META "kevy.cmsgpack.buf"

/* ------------------------------------------------------------ encoding */

/* The output buffer: a userdata, so an error raised while packing cannot
 * leak it (its __gc frees the bytes). */
typedef struct mp_buf {
    unsigned char *p;
    size_t len, cap;
} mp_buf;

static int buf_gc(lua_State *L)
{
    mp_buf *b = lua_touserdata(L, 1);
    free(b->p);
    b->p = NULL;
    return 0;
}

static void put(lua_State *L, mp_buf *b, const void *s, size_t n)
{
    if (b->cap - b->len < n) {
        size_t cap = b->cap ? b->cap : 64;
        unsigned char *p;
        while (cap - b->len < n)
            cap *= 2;
        if (!(p = realloc(b->p, cap)))
            luaL_error(L, "not enough memory");
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

/* A type byte then v in n big-endian bytes. */
static void put_be(lua_State *L, mp_buf *b, unsigned char type, uint64_t v, int n)
{
    unsigned char h[9];
    int i;
    h[0] = type;
    for (i = n; i >= 1; i--) {
        h[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
    put(L, b, h, (size_t)n + 1);
}

static void enc_int(lua_State *L, mp_buf *b, int64_t i)
{
    unsigned char c;
    if (i >= 0) {
        if (i <= 127) {
            c = (unsigned char)i;
            put(L, b, &c, 1);
        } else if (i <= 0xff) {
            put_be(L, b, 0xcc, (uint64_t)i, 1);
        } else if (i <= 0xffff) {
            put_be(L, b, 0xcd, (uint64_t)i, 2);
        } else if (i <= 0xffffffffLL) {
            put_be(L, b, 0xce, (uint64_t)i, 4);
        } else {
            put_be(L, b, 0xcf, (uint64_t)i, 8);
        }
    } else if (i >= -32) {
        c = (unsigned char)(0x100 + i);
        put(L, b, &c, 1);
    } else if (i >= -128) {
        put_be(L, b, 0xd0, (uint64_t)i, 1);
    } else if (i >= -32768) {
        put_be(L, b, 0xd1, (uint64_t)i, 2);
    } else if (i >= -2147483648LL) {
        put_be(L, b, 0xd2, (uint64_t)i, 4);
    } else {
        put_be(L, b, 0xd3, (uint64_t)i, 8);
    }
}

static void enc_number(lua_State *L, mp_buf *b, lua_Number n)
{
    /* A whole number in int64 range (-0.0 too) is an integer. */
    if (n >= -9223372036854775808.0 && n < 9223372036854775808.0 &&
        (lua_Number)(int64_t)n == n) {
        enc_int(L, b, (int64_t)n);
        return;
    }
    /* float32 when it holds n exactly (infinities too, NaN never) */
    if (isinf(n) || (fabs(n) <= 3.4028234663852886e38 && (lua_Number)(float)n == n)) {
        float f = (float)n;
        uint32_t u;
        memcpy(&u, &f, 4);
        put_be(L, b, 0xca, u, 4);
    } else {
        uint64_t u;
        memcpy(&u, &n, 8);
        put_be(L, b, 0xcb, u, 8);
    }
}

static void enc_string(lua_State *L, mp_buf *b, const char *s, size_t n)
{
    if (n < 32) {
        unsigned char c = (unsigned char)(0xa0 | n);
        put(L, b, &c, 1);
    } else if (n <= 0xff) {
        put_be(L, b, 0xd9, n, 1);
    } else if (n <= 0xffff) {
        put_be(L, b, 0xda, n, 2);
    } else {
        put_be(L, b, 0xdb, n, 4);
    }
    put(L, b, s, n);
}

/* An array is a table whose keys are positive whole numbers (as C ints)
 * numbering exactly as many as the largest: 1..n, the empty table too. */
static int is_array(lua_State *L, size_t *len)
{
    long long count = 0;
    int max = 0;
    luaL_checkstack(L, 2, "in function table_is_an_array");
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_Number k;
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TNUMBER || (k = lua_tonumber(L, -1)) <= 0 || k != k ||
            k >= 2147483648.0 || (lua_Number)(int)k != k) {
            lua_pop(L, 1);
            return 0;
        }
        if ((int)k > max)
            max = (int)k;
        count++;
    }
    *len = (size_t)count;
    return max == count;
}

static void put_header(lua_State *L, mp_buf *b, size_t n, unsigned char fix,
                       unsigned char t16, unsigned char t32)
{
    if (n <= 15) {
        unsigned char c = (unsigned char)(fix | n);
        put(L, b, &c, 1);
    } else if (n <= 0xffff) {
        put_be(L, b, t16, n, 2);
    } else {
        put_be(L, b, t32, n, 4);
    }
}

static void enc_value(lua_State *L, mp_buf *b, int level);

static void enc_table(lua_State *L, mp_buf *b, int level)
{
    size_t n, i;
    if (is_array(L, &n)) {
        put_header(L, b, n, 0x90, 0xdc, 0xdd);
        luaL_checkstack(L, 1, "in function mp_encode_lua_table_as_array");
        for (i = 1; i <= n; i++) {
            lua_rawgeti(L, -1, (int)i);
            enc_value(L, b, level + 1);
        }
        return;
    }
    n = 0;
    luaL_checkstack(L, 3, "in function mp_encode_lua_table_as_map");
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pop(L, 1);
        n++;
    }
    put_header(L, b, n, 0x80, 0xde, 0xdf);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pushvalue(L, -2);
        enc_value(L, b, level + 1); /* the key */
        enc_value(L, b, level + 1); /* the value */
    }
}

/* Encode and pop the value at the top of the stack. */
static void enc_value(lua_State *L, mp_buf *b, int level)
{
    unsigned char c;
    switch (lua_type(L, -1)) {
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, -1, &n);
        enc_string(L, b, s, n);
        break;
    }
    case LUA_TBOOLEAN:
        c = lua_toboolean(L, -1) ? 0xc3 : 0xc2;
        put(L, b, &c, 1);
        break;
    case LUA_TNUMBER:
        enc_number(L, b, lua_tonumber(L, -1));
        break;
    case LUA_TTABLE:
        if (level < MP_MAX_NESTING) {
            enc_table(L, b, level);
        } else { /* too deep (a cycle perhaps): nil */
            c = 0xc0;
            put(L, b, &c, 1);
        }
        break;
    default: /* nil, functions, userdata, threads */
        c = 0xc0;
        put(L, b, &c, 1);
        break;
    }
    lua_pop(L, 1);
}

static int mp_pack(lua_State *L)
{
    int nargs = lua_gettop(L), i;
    mp_buf *b;
    if (nargs == 0)
        return luaL_argerror(L, 0, "MessagePack pack needs input.");
    if (!lua_checkstack(L, nargs))
        return luaL_argerror(L, 0, "Too many arguments for MessagePack pack.");
    b = lua_newuserdata(L, sizeof *b);
    memset(b, 0, sizeof *b);
    luaL_getmetatable(L, MP_BUF_META);
    lua_setmetatable(L, -2);
    for (i = 1; i <= nargs; i++) {
        luaL_checkstack(L, 1, "in function mp_check");
        lua_pushvalue(L, i);
        enc_value(L, b, 0);
    }
    lua_pushlstring(L, b->p ? (const char *)b->p : "", b->len);
    return 1;
}

/* ------------------------------------------------------------ decoding */

enum { MP_OK, MP_EOF, MP_BADFMT };

typedef struct mp_cur {
    const unsigned char *p;
    size_t left;
    int err;
} mp_cur;

static uint64_t get_be(const unsigned char *p, int n)
{
    uint64_t v = 0;
    int i;
    for (i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static void dec_value(lua_State *L, mp_cur *c);

static void dec_array(lua_State *L, mp_cur *c, size_t n)
{
    lua_Number index = 1;
    lua_newtable(L);
    luaL_checkstack(L, 1, "in function mp_decode_to_lua_array");
    while (n--) {
        lua_pushnumber(L, index++);
        dec_value(L, c);
        if (c->err)
            return;
        lua_settable(L, -3);
    }
}

static void dec_map(lua_State *L, mp_cur *c, size_t n)
{
    lua_newtable(L);
    while (n--) {
        dec_value(L, c); /* the key */
        if (c->err)
            return;
        dec_value(L, c); /* the value */
        if (c->err)
            return;
        lua_settable(L, -3);
    }
}

/* Consume n bytes (the type byte included), or fail with MP_EOF. */
#define NEED(c, n)                                                                            \
    do {                                                                                      \
        if ((c)->left < (size_t)(n)) {                                                        \
            (c)->err = MP_EOF;                                                                \
            return;                                                                           \
        }                                                                                     \
    } while (0)
#define TAKE(c, n) ((c)->p += (n), (c)->left -= (n))

static void dec_string(lua_State *L, mp_cur *c, int hdr, size_t n)
{
    NEED(c, hdr + n);
    lua_pushlstring(L, (const char *)c->p + hdr, n);
    TAKE(c, hdr + n);
}

static void dec_value(lua_State *L, mp_cur *c)
{
    unsigned t;
    NEED(c, 1);
    /* One more slot for each value: a stream of many values grows the
     * stack as it goes, to Lua's limit. */
    luaL_checkstack(L, 1, "too many return values at once; use unpack_one or unpack_limit "
                          "instead.");
    t = c->p[0];
    switch (t) {
    case 0xc0:
        lua_pushnil(L);
        TAKE(c, 1);
        return;
    case 0xc2:
    case 0xc3:
        lua_pushboolean(L, t == 0xc3);
        TAKE(c, 1);
        return;
    case 0xcc: /* uint 8, 16, 32, 64 (uint 64 read as int 64, as Redis) */
    case 0xcd:
    case 0xce:
    case 0xcf: {
        int n = 1 << (t - 0xcc);
        NEED(c, 1 + n);
        lua_pushnumber(L, (lua_Number)(int64_t)get_be(c->p + 1, n));
        TAKE(c, 1 + n);
        return;
    }
    case 0xd0: /* int 8, 16, 32, 64 */
    case 0xd1:
    case 0xd2:
    case 0xd3: {
        int n = 1 << (t - 0xd0);
        uint64_t u, sign;
        NEED(c, 1 + n);
        u = get_be(c->p + 1, n);
        sign = (uint64_t)1 << (n * 8 - 1);
        u = (u ^ sign) - sign; /* sign-extended */
        lua_pushnumber(L, (lua_Number)(int64_t)u);
        TAKE(c, 1 + n);
        return;
    }
    case 0xca: {
        uint32_t u;
        float f;
        NEED(c, 5);
        u = (uint32_t)get_be(c->p + 1, 4);
        memcpy(&f, &u, 4);
        lua_pushnumber(L, (lua_Number)f);
        TAKE(c, 5);
        return;
    }
    case 0xcb: {
        uint64_t u;
        double d;
        NEED(c, 9);
        u = get_be(c->p + 1, 8);
        memcpy(&d, &u, 8);
        lua_pushnumber(L, (lua_Number)d);
        TAKE(c, 9);
        return;
    }
    case 0xd9:
        NEED(c, 2);
        dec_string(L, c, 2, (size_t)get_be(c->p + 1, 1));
        return;
    case 0xda:
        NEED(c, 3);
        dec_string(L, c, 3, (size_t)get_be(c->p + 1, 2));
        return;
    case 0xdb:
        NEED(c, 5);
        dec_string(L, c, 5, (size_t)get_be(c->p + 1, 4));
        return;
    case 0xdc:
    case 0xde: {
        size_t n;
        NEED(c, 3);
        n = (size_t)get_be(c->p + 1, 2);
        TAKE(c, 3);
        if (t == 0xdc)
            dec_array(L, c, n);
        else
            dec_map(L, c, n);
        return;
    }
    case 0xdd:
    case 0xdf: {
        size_t n;
        NEED(c, 5);
        n = (size_t)get_be(c->p + 1, 4);
        TAKE(c, 5);
        if (t == 0xdd)
            dec_array(L, c, n);
        else
            dec_map(L, c, n);
        return;
    }
    default:
        break;
    }
    if (t <= 0x7f) { /* positive fixint */
        lua_pushnumber(L, (lua_Number)t);
        TAKE(c, 1);
    } else if (t >= 0xe0) { /* negative fixint */
        lua_pushnumber(L, (lua_Number)((int)t - 256));
        TAKE(c, 1);
    } else if (t >= 0xa0 && t <= 0xbf) { /* fixstr */
        dec_string(L, c, 1, t & 0x1f);
    } else if (t >= 0x90 && t <= 0x9f) { /* fixarray */
        TAKE(c, 1);
        dec_array(L, c, t & 0x0f);
    } else if (t >= 0x80 && t <= 0x8f) { /* fixmap */
        TAKE(c, 1);
        dec_map(L, c, t & 0x0f);
    } else { /* 0xc1, bin, ext */
        c->err = MP_BADFMT;
    }
}

/* v as a C int (wrapping), as Redis's error texts print it. */
static int as_int(lua_Integer v)
{
    return (int)(unsigned)(unsigned long long)v;
}

/* Decode up to limit values of s from offset; limit and offset both 0:
 * every value, and no offset returned. Otherwise the offset of the next
 * value (-1 at the end) comes first. Only s is on the stack. */
static int unpack_from(lua_State *L, lua_Integer limit, lua_Integer offset)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    int all = !limit && !offset;
    lua_Integer cnt;
    mp_cur c;
    /* Redis's texts: the numbers cut to ints, the length named the limit */
    if (offset < 0 || limit < 0)
        return luaL_error(L, "Invalid request to unpack with offset of %d and limit of %d.",
                          as_int(offset), as_int((lua_Integer)len));
    if ((size_t)offset > len)
        return luaL_error(L, "Start offset %d greater than input length %d.", as_int(offset),
                          as_int((lua_Integer)len));
    if (all)
        limit = INT_MAX;
    c.p = (const unsigned char *)s + offset;
    c.left = len - (size_t)offset;
    c.err = MP_OK;
    for (cnt = 0; c.left > 0 && cnt < limit; cnt++) {
        dec_value(L, &c);
        if (c.err == MP_EOF)
            return luaL_error(L, "Missing bytes in input.");
        if (c.err == MP_BADFMT)
            return luaL_error(L, "Bad data format in input.");
    }
    if (all)
        return (int)cnt;
    luaL_checkstack(L, 1, "in function mp_unpack_full");
    lua_pushinteger(L, c.left == 0 ? -1 : (lua_Integer)(len - c.left));
    lua_insert(L, 2);
    return (int)cnt + 1;
}

static int mp_unpack(lua_State *L)
{
    return unpack_from(L, 0, 0);
}

static int mp_unpack_one(lua_State *L)
{
    lua_Integer offset = luaL_optinteger(L, 2, 0);
    lua_pop(L, lua_gettop(L) - 1); /* only s (nothing if there is none) */
    return unpack_from(L, 1, offset);
}

static int mp_unpack_limit(lua_State *L)
{
    lua_Integer limit = luaL_checkinteger(L, 2);
    lua_Integer offset = luaL_optinteger(L, 3, 0);
    lua_pop(L, lua_gettop(L) - 1);
    return unpack_from(L, limit, offset);
}

int kv_lua_open_cmsgpack(lua_State *L)
{
    /* In the order and sizes Redis fills its table, so pairs() walks it
     * the same way. */
    static const luaL_Reg fns[] = {{"pack", mp_pack},
                                   {"unpack", mp_unpack},
                                   {"unpack_one", mp_unpack_one},
                                   {"unpack_limit", mp_unpack_limit},
                                   {NULL, NULL}};
    static const char *const info[][2] = {
        {"_NAME", "cmsgpack"},
        {"_VERSION", "lua-cmsgpack 0.4.0"},
        {"_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo"},
        {"_DESCRIPTION", "MessagePack C implementation for Lua"}};
    int i;
    if (luaL_newmetatable(L, MP_BUF_META)) {
        lua_pushcfunction(L, buf_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
    lua_createtable(L, 0, 4);
    for (i = 0; fns[i].name; i++) {
        lua_pushcfunction(L, fns[i].func);
        lua_setfield(L, -2, fns[i].name);
    }
    for (i = 0; i < 4; i++) {
        lua_pushstring(L, info[i][1]);
        lua_setfield(L, -2, info[i][0]);
    }
    return 1;
}
