/* struct: binary packing for scripts, with the behaviour of the version of
 * Roberto Ierusalimschy's struct library that Redis 7.0 embeds, written
 * here from its documentation and Redis's observable replies.
 *
 * struct.pack(fmt, ...) -> string; struct.unpack(fmt, s [, pos]) -> the
 * values, then the position after them; struct.size(fmt) -> bytes.
 * The format, one option after another:
 *   >  big endian          <  little endian (the default: native)
 *   !n alignment n (a power of 2; ! alone: 8); the default is 1, packed
 *   b B  signed/unsigned char    h H  short (2)    l L  long (8)
 *   T    size_t (8)              i[n] I[n] int of n bytes (default 4,
 *                                          at most 32)
 *   f d  float, double           x  one zero byte of padding
 *   c[n] n bytes of a string (default 1); to pack, c0 is the whole
 *        string; to unpack, c0 takes its length from the number unpacked
 *        just before it
 *   s    a zero-terminated string          ' '  ignored
 * Anything else is "invalid format option" (Redis's has no '='); struct.size
 * counts unknown letters and digits as 0 bytes, as Redis's does. Numbers are
 * converted as the x86-64 build of Redis converts them, with its out of
 * range results (2^64 packs as 0, NaN as 2^63); integers wider than 8
 * bytes pack 8 bytes of value and unpack their low 8, the sign taken from
 * bit 8n-1 modulo 64 (x86's shift). */
#include "cmd/script/script.h"

#include <lauxlib.h>
#include <limits.h>
#include <lua.h>
#include <stdint.h>
#include <string.h>

#define ST_MAXINTSIZE 32
#define ST_MAXALIGN 8
enum { ST_BIG = 0, ST_LITTLE = 1 };

typedef struct st_header {
    int endian;
    int align;
} st_header;

static int native_endian(void)
{
    const uint16_t one = 1;
    unsigned char c;
    memcpy(&c, &one, 1);
    return c ? ST_LITTLE : ST_BIG;
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int is_alnum(int c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* ------------------------------------------- conversions as on x86-64 */

/* (int64_t)d as cvttsd2si computes it: NaN and out of range give
 * INT64_MIN. */
static uint64_t to_i64(double d)
{
    if (d != d || d >= 9223372036854775808.0 || d < -9223372036854775808.0)
        return (uint64_t)1 << 63;
    return (uint64_t)(int64_t)d;
}

/* (uint64_t)d as gcc's x86-64 code computes it: below 2^63 (and NaN) as
 * the signed conversion, above by subtracting 2^63 and flipping the top
 * bit (2^64 and beyond: 0). */
static uint64_t to_u64(double d)
{
    if (d >= 9223372036854775808.0)
        return to_i64(d - 9223372036854775808.0) ^ ((uint64_t)1 << 63);
    return to_i64(d);
}

/* ------------------------------------------------------------ options */

static int getnum(lua_State *L, const char **fmt, int df)
{
    int a = 0;
    if (!is_digit(**fmt))
        return df;
    do {
        int d = **fmt - '0';
        if (a > INT_MAX / 10 || a * 10 > INT_MAX - d)
            luaL_error(L, "integral size overflow");
        a = a * 10 + d;
        (*fmt)++;
    } while (is_digit(**fmt));
    return a;
}

/* The size of an option (0 for the control options and unknown ones). */
static size_t optsize(lua_State *L, int opt, const char **fmt)
{
    switch (opt) {
    case 'b':
    case 'B':
    case 'x':
        return 1;
    case 'h':
    case 'H':
        return 2;
    case 'f':
        return 4;
    case 'l':
    case 'L':
    case 'T':
    case 'd':
        return 8;
    case 'c':
        return (size_t)getnum(L, fmt, 1);
    case 'i':
    case 'I': {
        int sz = getnum(L, fmt, 4);
        if (sz > ST_MAXINTSIZE)
            luaL_error(L, "integral size %d is larger than limit of %d", sz, ST_MAXINTSIZE);
        return (size_t)sz;
    }
    default:
        return 0;
    }
}

/* Padding before an item of size at offset len (sizes that are not a
 * power of 2 give the odd padding Redis's gives). */
static size_t toalign(size_t len, const st_header *h, int opt, size_t size)
{
    if (size == 0 || opt == 'c')
        return 0;
    if (size > (size_t)h->align)
        size = (size_t)h->align;
    return (size - (len & (size - 1))) & (size - 1);
}

static void controloptions(lua_State *L, int opt, const char **fmt, st_header *h)
{
    switch (opt) {
    case ' ':
        return;
    case '>':
        h->endian = ST_BIG;
        return;
    case '<':
        h->endian = ST_LITTLE;
        return;
    case '!': {
        int a = getnum(L, fmt, ST_MAXALIGN);
        if (a <= 0 || (a & (a - 1)) != 0)
            luaL_error(L, "alignment %d is not a power of 2", a);
        h->align = a;
        return;
    }
    default:
        luaL_argerror(L, 1, lua_pushfstring(L, "invalid format option '%c'", opt));
    }
}

static void defaults(st_header *h)
{
    h->endian = native_endian();
    h->align = 1;
}

/* ------------------------------------------------------------ pack */

/* v in size bytes (at most 8 of them carry value, the others are 0). */
static void put_int(luaL_Buffer *b, uint64_t v, int endian, size_t size)
{
    char buf[ST_MAXINTSIZE];
    size_t i;
    for (i = 0; i < size; i++) {
        buf[endian == ST_LITTLE ? i : size - 1 - i] = (char)(v & 0xff);
        v >>= 8;
    }
    luaL_addlstring(b, buf, size);
}

static int st_pack(lua_State *L)
{
    const char *fmt = luaL_checkstring(L, 1);
    st_header h;
    luaL_Buffer b;
    int arg = 2;
    size_t total = 0;
    defaults(&h);
    lua_pushnil(L); /* keeps the arguments apart from the buffer */
    luaL_buffinit(L, &b);
    while (*fmt) {
        int opt = *fmt++;
        size_t size = optsize(L, opt, &fmt);
        size_t pad = toalign(total, &h, opt, size);
        total += pad;
        while (pad-- > 0)
            luaL_addchar(&b, '\0');
        switch (opt) {
        case 'b':
        case 'B':
        case 'h':
        case 'H':
        case 'l':
        case 'L':
        case 'T':
        case 'i':
        case 'I': {
            lua_Number n = luaL_checknumber(L, arg++);
            put_int(&b, n < 0 ? to_i64(n) : to_u64(n), h.endian, size);
            break;
        }
        case 'x':
            luaL_addchar(&b, '\0');
            break;
        case 'f': {
            float f = (float)luaL_checknumber(L, arg++);
            uint32_t u;
            memcpy(&u, &f, 4);
            put_int(&b, u, h.endian, 4);
            break;
        }
        case 'd': {
            double d = luaL_checknumber(L, arg++);
            uint64_t u;
            memcpy(&u, &d, 8);
            put_int(&b, u, h.endian, 8);
            break;
        }
        case 'c':
        case 's': {
            size_t l;
            const char *s = luaL_checklstring(L, arg++, &l);
            if (size == 0)
                size = l;
            luaL_argcheck(L, l >= size, arg, "string too short");
            luaL_addlstring(&b, s, size);
            if (opt == 's') {
                luaL_addchar(&b, '\0');
                size++;
            }
            break;
        }
        default:
            controloptions(L, opt, &fmt, &h);
        }
        total += size;
    }
    luaL_pushresult(&b);
    return 1;
}

/* ------------------------------------------------------------ unpack */

static uint64_t get_uint(const char *p, int endian, size_t size)
{
    uint64_t v = 0;
    size_t i;
    for (i = 0; i < size; i++)
        v = v << 8 | (unsigned char)p[endian == ST_BIG ? i : size - 1 - i];
    return v;
}

static lua_Number get_int(const char *p, int endian, int issigned, size_t size)
{
    uint64_t v = get_uint(p, endian, size), mask;
    if (!issigned)
        return (lua_Number)v;
    /* The sign bit: the top bit of the size, shifted as x86 shifts (by the
     * count modulo 64: the top bit of the 8 low bytes when wider). */
    mask = ~(uint64_t)0 << ((size * 8 - 1) & 63);
    if (v & mask)
        v |= mask;
    return (lua_Number)(int64_t)v;
}

static int st_unpack(lua_State *L)
{
    const char *fmt = luaL_checkstring(L, 1);
    size_t ld;
    const char *data = luaL_checklstring(L, 2, &ld);
    size_t pos = (size_t)luaL_optinteger(L, 3, 1);
    st_header h;
    int n = 0;
    /* Only 0 is refused here: a negative position wraps, fails the length
     * check below, or with an empty format comes back as it went in. */
    luaL_argcheck(L, pos > 0, 3, "offset must be 1 or greater");
    pos--;
    defaults(&h);
    while (*fmt) {
        int opt = *fmt++;
        size_t size = optsize(L, opt, &fmt);
        pos += toalign(pos, &h, opt, size);
        luaL_argcheck(L, size <= ld && pos <= ld - size, 2, "data string too short");
        luaL_checkstack(L, 2, "too many results");
        switch (opt) {
        case 'b':
        case 'B':
        case 'h':
        case 'H':
        case 'l':
        case 'L':
        case 'T':
        case 'i':
        case 'I':
            lua_pushnumber(L, get_int(data + pos, h.endian, opt >= 'a', size));
            n++;
            break;
        case 'x':
            break;
        case 'f': {
            uint32_t u = (uint32_t)get_uint(data + pos, h.endian, 4);
            float f;
            memcpy(&f, &u, 4);
            lua_pushnumber(L, (lua_Number)f);
            n++;
            break;
        }
        case 'd': {
            uint64_t u = get_uint(data + pos, h.endian, 8);
            double d;
            memcpy(&d, &u, 8);
            lua_pushnumber(L, d);
            n++;
            break;
        }
        case 'c':
            if (size == 0) {
                if (n == 0 || !lua_isnumber(L, -1))
                    luaL_error(L, "format 'c0' needs a previous size");
                size = (size_t)to_u64(lua_tonumber(L, -1));
                lua_pop(L, 1);
                n--;
                luaL_argcheck(L, size <= ld && pos <= ld - size, 2, "data string too short");
            }
            lua_pushlstring(L, data + pos, size);
            n++;
            break;
        case 's': {
            const char *e = memchr(data + pos, '\0', ld - pos);
            if (!e)
                luaL_error(L, "unfinished string in data");
            size = (size_t)(e - (data + pos)) + 1;
            lua_pushlstring(L, data + pos, size - 1);
            n++;
            break;
        }
        default:
            controloptions(L, opt, &fmt, &h);
        }
        pos += size;
    }
    lua_pushinteger(L, (lua_Integer)(pos + 1));
    return n + 1;
}

/* ------------------------------------------------------------ size */

static int st_size(lua_State *L)
{
    const char *fmt = luaL_checkstring(L, 1);
    st_header h;
    size_t pos = 0;
    defaults(&h);
    while (*fmt) {
        int opt = *fmt++;
        size_t size = optsize(L, opt, &fmt);
        pos += toalign(pos, &h, opt, size);
        if (opt == 's')
            luaL_argerror(L, 1, "option 's' has no fixed size");
        else if (opt == 'c' && size == 0)
            luaL_argerror(L, 1, "option 'c0' has no fixed size");
        if (!is_alnum(opt))
            controloptions(L, opt, &fmt, &h);
        pos += size;
    }
    lua_pushinteger(L, (lua_Integer)pos);
    return 1;
}

int kv_lua_open_struct(lua_State *L)
{
    lua_createtable(L, 0, 3);
    lua_pushcfunction(L, st_pack);
    lua_setfield(L, -2, "pack");
    lua_pushcfunction(L, st_unpack);
    lua_setfield(L, -2, "unpack");
    lua_pushcfunction(L, st_size);
    lua_setfield(L, -2, "size");
    return 1;
}
