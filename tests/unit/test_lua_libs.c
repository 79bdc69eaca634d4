/* The cmsgpack and struct libraries of scripts (src/cmd/script/lua_cmsgpack.c,
 * lua_struct.c) in a bare Lua state: fixed encodings, pack(unpack(x)) == x
 * for random values written in the smallest MessagePack forms, random bytes
 * unpacked only to values or to the library's known errors, and struct
 * round trips of random integers. The exact replies against Redis are in
 * conformance/test_scripting_libs.py. */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdint.h>
#include <string.h>

#include "cmd/script/script.h"
#include "test.h"

static unsigned long long rng = 88172645463325252ULL;

static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static lua_State *new_state(void)
{
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    lua_pushcfunction(L, kv_lua_open_cmsgpack);
    lua_call(L, 0, 1);
    lua_setglobal(L, "cmsgpack");
    lua_pushcfunction(L, kv_lua_open_struct);
    lua_call(L, 0, 1);
    lua_setglobal(L, "struct");
    return L;
}

/* Run code with s as its argument (...): 1 and the string it returns, or
 * 0 and the error text, left on the stack. */
static int run(lua_State *L, const char *code, const char *s, size_t n)
{
    lua_settop(L, 0);
    if (luaL_loadstring(L, code) != 0)
        return 0;
    lua_pushlstring(L, s, n);
    return lua_pcall(L, 1, 1, 0) == 0;
}

static int ends_with(const char *s, const char *end)
{
    size_t n = s ? strlen(s) : 0, m = strlen(end);
    return n >= m && !strcmp(s + n - m, end);
}

static void test_fixed(void)
{
    lua_State *L = new_state();
    size_t n;
    const char *s;
    CHECK(run(L, "return cmsgpack.pack(nil, true, 127, 128, -33, 1.5, 'ab', {1}, {a=2})", "", 0));
    s = lua_tolstring(L, -1, &n);
    CHECK_EQ_LL(n, 21);
    CHECK(s && !memcmp(s, "\xc0\xc3\x7f\xcc\x80\xd0\xdf\xca\x3f\xc0\x00\x00\xa2"
                          "ab\x91\x01\x81\xa1" "a\x02", 21));
    CHECK(run(L, "local t = {} t[1] = t return cmsgpack.pack(t)", "", 0));
    CHECK_MEM(lua_tostring(L, -1), lua_objlen(L, -1),
              "\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\xc0");
    CHECK(run(L, "local a, b, c = cmsgpack.unpack_one(..., 1) return a .. ',' .. b", "\x01\x02",
              2));
    CHECK_MEM(lua_tostring(L, -1), lua_objlen(L, -1), "-1,2");
    CHECK(!run(L, "return cmsgpack.unpack(...)", "\x92\x01", 2));
    CHECK(ends_with(lua_tostring(L, -1), "]:1: Missing bytes in input."));
    CHECK(!run(L, "return cmsgpack.unpack(...)", "\xc4\x00", 2));
    CHECK(ends_with(lua_tostring(L, -1), "]:1: Bad data format in input."));
    /* i3 under !4 is aligned to (3 - (1 & 2)) & 2 = 2, as Redis's */
    CHECK(run(L, "return struct.pack('>!4bi3c2s', 1, -2, 'xy', 'z')", "", 0));
    CHECK_EQ_LL(lua_objlen(L, -1), 10);
    CHECK(!memcmp(lua_tostring(L, -1), "\x01\0\0\xff\xff\xfexyz\0", 10));
    CHECK(run(L, "return table.concat({struct.unpack('<hc0', ...)}, ',')", "\x02\x00xyz", 5));
    CHECK_MEM(lua_tostring(L, -1), lua_objlen(L, -1), "xy,5");
    CHECK(!run(L, "return struct.size('!3')", "", 0));
    CHECK_MEM(lua_tostring(L, -1), lua_objlen(L, -1),
              "[string \"return struct.size('!3')\"]:1: alignment 3 is not a power of 2");
    lua_close(L);
}

/* ------------------------------------------- canonical random values */

typedef struct out {
    unsigned char b[1 << 16];
    size_t n;
} out;

static void put(out *o, const void *p, size_t n)
{
    if (o->n + n <= sizeof o->b)
        memcpy(o->b + o->n, p, n);
    o->n += n;
}

static void put_be(out *o, unsigned char t, uint64_t v, int n)
{
    unsigned char h[9];
    int i;
    h[0] = t;
    for (i = n; i >= 1; i--, v >>= 8)
        h[i] = (unsigned char)v;
    put(o, h, (size_t)n + 1);
}

/* A value in the form cmsgpack.pack writes it (no maps: their order is
 * next()'s; no uint 64 from 2^63: it reads back negative; no nil inside an
 * array: it would leave a hole). */
static void gen(out *o, int depth)
{
    static const unsigned char consts[] = {0xc0, 0xc2, 0xc3};
    unsigned k = rnd(depth < 4 ? 9 : 7);
    unsigned char c;
    switch (k) {
    case 0:
        put(o, &consts[rnd(depth ? 2 : 3) + (depth ? 1 : 0)], 1);
        break;
    case 1: /* fixints */
        c = (unsigned char)(rnd(2) ? rnd(128) : 0xe0 + rnd(32));
        put(o, &c, 1);
        break;
    case 2: { /* unsigned, the smallest form that holds it */
        static const uint64_t lo[] = {128, 256, 65536, 4294967296ULL, 1ULL << 52};
        int i = (int)rnd(4);
        uint64_t r = (uint64_t)rnd(1u << 31) << 31 | rnd(1u << 31);
        put_be(o, (unsigned char)(0xcc + i), lo[i] + r % (lo[i + 1] - lo[i]), 1 << i);
        break;
    }
    case 3: { /* negative: int 8/16/32 */
        int i = (int)rnd(3);
        int64_t v = i == 0 ? -33 - (int64_t)rnd(96) : i == 1 ? -129 - (int64_t)rnd(32640)
                                                            : -32769 - (int64_t)rnd(1u << 30);
        put_be(o, (unsigned char)(0xd0 + i), (uint64_t)v, 1 << i);
        break;
    }
    case 4: { /* a float that is not whole: float32 if exact */
        double d = (rnd(2000000) - 1000000) / 1024.0 + 1.0 / 2048;
        float f = (float)d;
        uint64_t u;
        if ((double)f == d) {
            uint32_t v;
            memcpy(&v, &f, 4);
            put_be(o, 0xca, v, 4);
        } else {
            memcpy(&u, &d, 8);
            put_be(o, 0xcb, u, 8);
        }
        break;
    }
    case 5:
    case 6: { /* strings */
        size_t n = rnd(4) ? rnd(40) : rnd(300), i;
        if (n < 32)
            c = (unsigned char)(0xa0 | n), put(o, &c, 1);
        else if (n <= 0xff)
            put_be(o, 0xd9, n, 1);
        else
            put_be(o, 0xda, n, 2);
        for (i = 0; i < n; i++) {
            c = (unsigned char)rnd(256);
            put(o, &c, 1);
        }
        break;
    }
    default: { /* arrays without nils (a nil would leave a hole) */
        size_t n = rnd(20), i;
        if (n <= 15)
            c = (unsigned char)(0x90 | n), put(o, &c, 1);
        else
            put_be(o, 0xdc, n, 2);
        for (i = 0; i < n; i++)
            gen(o, depth + 1);
    }
    }
}

static void test_canonical_round_trips(void)
{
    lua_State *L = new_state();
    static out o;
    int i, bad = 0;
    for (i = 0; i < 3000; i++) {
        int j, nv = 1 + (int)rnd(4);
        size_t n;
        const char *s;
        o.n = 0;
        for (j = 0; j < nv; j++)
            gen(&o, 0);
        if (o.n > sizeof o.b)
            continue;
        if (!run(L, "return cmsgpack.pack(cmsgpack.unpack(...))", (const char *)o.b, o.n)) {
            bad++;
            continue;
        }
        s = lua_tolstring(L, -1, &n);
        if (n != o.n || memcmp(s, o.b, n) != 0)
            bad++;
    }
    CHECK_EQ_LL(bad, 0);
    lua_close(L);
}

/* Random bytes: values or one of the library's errors, nothing else. */
static void test_random_bytes(void)
{
    lua_State *L = new_state();
    static const char *const known[] = {"Missing bytes in input.", "Bad data format in input.",
                                        "table index is nil", "table index is NaN", NULL};
    unsigned char b[64];
    int i, odd = 0;
    for (i = 0; i < 20000; i++) {
        size_t n = rnd(sizeof b), j;
        for (j = 0; j < n; j++)
            b[j] = (unsigned char)(rnd(3) ? rnd(256) : 0x90 + rnd(0x10));
        if (!run(L, "local s, off, k = ..., 0, 0 "
                    "repeat off = cmsgpack.unpack_one(s, off) k = k + 1 until off == -1 "
                    "return k",
                 (const char *)b, n)) {
            const char *e = lua_tostring(L, -1);
            int x;
            for (x = 0; known[x]; x++)
                if (ends_with(e, known[x]))
                    break;
            if (!known[x])
                odd++;
        }
    }
    CHECK_EQ_LL(odd, 0);
    lua_close(L);
}

static void test_struct_round_trips(void)
{
    lua_State *L = new_state();
    static const char *const opts[] = {"b", "B", "h", "H", "i", "I", "l", "i3", "I3", "I7", "i5"};
    static const int bits[] = {8, 8, 16, 16, 32, 32, 53, 24, 24, 53, 40};
    static const int sgn[] = {1, 0, 1, 0, 1, 0, 1, 1, 0, 0, 1};
    int i, bad = 0;
    for (i = 0; i < 2000; i++) {
        int k = (int)rnd(11);
        char code[200];
        long long v = (long long)(((unsigned long long)rnd(1u << 31) << 31 | rnd(1u << 31)) &
                                  ((1ULL << (bits[k] - sgn[k])) - 1));
        if (sgn[k] && rnd(2))
            v = -v - 1;
        snprintf(code, sizeof code,
                 "local f = '%s!%d%s' local s = struct.pack(f, %lld) "
                 "local v, pos = struct.unpack(f, s) "
                 "return tostring(v == %lld and pos == #s + 1 and #s == struct.size(f))",
                 rnd(2) ? "<" : ">", 1 << rnd(4), opts[k], v, v);
        if (!run(L, code, "", 0) || strcmp(lua_tostring(L, -1), "true") != 0)
            bad++;
    }
    CHECK_EQ_LL(bad, 0);
    lua_close(L);
}

int main(void)
{
    static const test_case cases[] = {
        {"fixed encodings and errors", test_fixed},
        {"pack(unpack(x)) == x", test_canonical_round_trips},
        {"random bytes", test_random_bytes},
        {"struct round trips", test_struct_round_trips},
    };
    return test_run("lua_libs", cases, sizeof cases / sizeof cases[0]);
}
