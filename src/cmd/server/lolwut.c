/* LOLWUT: computer art and the version, as Redis 7.0 answers it. VERSION 5
 * draws Georg Nees's "Schotter" (squares that tumble more row by row) in
 * Braille dots, VERSION 6 a city skyline in four ANSI greys; any other
 * version only the version line. Both drawings are random, as in Redis:
 * the canvas sizes, clamps, line structure and credits are Redis's. */
#include "cmd/core/cmd.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KV_LOLWUT_VERSION "Redis ver. 7.0.15\n"

/* ---------------------------------------------------------------- canvas */

typedef struct lw_canvas {
    int w, h;
    unsigned char *px; /* w*h pixels: a dot on/off (v5) or a grey 0..3 (v6) */
} lw_canvas;

static void lw_init(lw_canvas *c, int w, int h)
{
    c->w = w;
    c->h = h;
    c->px = calloc((size_t)(w > 0 ? w : 1) * (size_t)(h > 0 ? h : 1), 1);
    if (!c->px)
        abort();
}

static void lw_set(lw_canvas *c, int x, int y, unsigned char v)
{
    if (x >= 0 && y >= 0 && x < c->w && y < c->h)
        c->px[(size_t)y * (size_t)c->w + (size_t)x] = v;
}

static unsigned char lw_get(const lw_canvas *c, int x, int y)
{
    if (x < 0 || y < 0 || x >= c->w || y >= c->h)
        return 0;
    return c->px[(size_t)y * (size_t)c->w + (size_t)x];
}

/* xorshift64*: the drawing's randomness stays in the call. */
static uint64_t lw_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

static void lw_puts(kv_buf *b, const char *s) { kv_buf_append(b, s, strlen(s)); }

static float lw_unit(uint64_t *s) { return (float)(lw_next(s) >> 40) / (float)(1 << 24); }

/* ------------------------------------------------------- version 5 */

static void lw_line(lw_canvas *c, int x0, int y0, int x1, int y1)
{
    int dx = abs(x1 - x0), dy = -abs(y1 - y0);
    int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, e = dx + dy;
    for (;;) {
        int e2 = 2 * e; /* both steps judge the same error (Bresenham) */
        lw_set(c, x0, y0, 1);
        if (x0 == x1 && y0 == y1)
            return;
        if (e2 >= dy) {
            e += dy;
            x0 += sx;
        }
        if (e2 <= dx) {
            e += dx;
            y0 += sy;
        }
    }
}

/* A square of side `side` centred on (x, y), turned by `angle` radians. */
static void lw_square(lw_canvas *c, int x, int y, float side, float angle)
{
    int px[4], py[4], i;
    float r = side / 2.0f * 1.41421356f;
    for (i = 0; i < 4; i++) {
        float a = angle + 0.78539816f + (float)i * 1.57079633f;
        px[i] = (int)lrintf((float)x + r * cosf(a));
        py[i] = (int)lrintf((float)y + r * sinf(a));
    }
    for (i = 0; i < 4; i++)
        lw_line(c, px[i], py[i], px[(i + 1) % 4], py[(i + 1) % 4]);
}

/* Redis's sizes: 2x4 dots per character, a 2-dot margin on wide canvases,
 * the height following from the float side of a square. */
static void lw_schotter(lw_canvas *c, int cols, int per_row, int per_col, uint64_t *rng)
{
    int width = cols * 2, pad = width > 4 ? 2 : 0, x, y;
    float side = (float)(width - pad * 2) / (float)per_row;
    lw_init(c, width, (int)(side * (float)per_col + (float)(pad * 2)));
    for (y = 0; y < per_col; y++) {
        for (x = 0; x < per_row; x++) {
            float sx = (float)x * side + side / 2 + (float)pad;
            float sy = (float)y * side + side / 2 + (float)pad;
            float angle = 0;
            if (y > 1) { /* the lower the row, the more it tumbles */
                float k = (float)y / (float)per_col;
                angle = (lw_unit(rng) * 2 - 1) * k;
                sx += (lw_unit(rng) * 2 - 1) * k * side / 3;
                sy += (lw_unit(rng) * 2 - 1) * k * side / 3;
            }
            lw_square(c, (int)sx, (int)sy, side, angle);
        }
    }
}

/* Braille: dots (0,0) (0,1) (0,2) (1,0) (1,1) (1,2) (0,3) (1,3) are bits 0-7
 * of U+2800's offset. A newline ends every row except one whose last dot
 * row is the canvas's last (Redis's renderer). */
static void lw_render_braille(const lw_canvas *c, kv_buf *out)
{
    static const int bx[8] = {0, 0, 0, 1, 1, 1, 0, 1}, by[8] = {0, 1, 2, 0, 1, 2, 3, 3};
    int x, y, i;
    for (y = 0; y < c->h; y += 4) {
        for (x = 0; x < c->w; x += 2) {
            unsigned bits = 0;
            char u[3];
            for (i = 0; i < 8; i++)
                if (lw_get(c, x + bx[i], y + by[i]))
                    bits |= 1u << i;
            u[0] = (char)0xE2;
            u[1] = (char)(0xA0 | (bits >> 6));
            u[2] = (char)(0x80 | (bits & 0x3F));
            kv_buf_append(out, u, 3);
        }
        if (y != c->h - 1)
            kv_buf_append(out, "\n", 1);
    }
}

/* ------------------------------------------------------- version 6 */

/* Buildings in three depths (light, dark, black), lit windows on the near
 * ones, against a white sky: the greys are Redis's four ANSI pairs. */
static void lw_skyline(lw_canvas *c, int cols, int rows, uint64_t *rng)
{
    int depth, x, y;
    lw_init(c, cols, rows); /* 0: sky */
    for (depth = 1; depth <= 3; depth++) {
        x = -(int)(lw_next(rng) % 4);
        while (x < cols) {
            int bw = 3 + (int)(lw_next(rng) % 6), gap = (int)(lw_next(rng) % (unsigned)(2 + depth));
            int top = rows - 1 - (int)((float)rows * (0.25f + 0.55f * lw_unit(rng)) / (float)depth);
            int i;
            for (i = 0; i < bw; i++) {
                for (y = top < 0 ? 0 : top; y < rows; y++) {
                    int lit = depth == 3 && i % 2 == 1 && i < bw - 1 && y > top + 1 &&
                              y % 2 == 0 && (lw_next(rng) & 3) == 0;
                    lw_set(c, x + i, y, (unsigned char)(lit ? 1 : depth));
                }
            }
            x += bw + gap;
        }
    }
}

static void lw_render_ansi(const lw_canvas *c, kv_buf *out)
{
    static const char *const pair[4] = {"97;107", "37;47", "90;100", "30;40"};
    int x, y;
    for (y = 0; y < c->h; y++) {
        for (x = 0; x < c->w; x++) {
            lw_puts(out, "\x1b[0;");
            lw_puts(out, pair[lw_get(c, x, y) & 3]);
            lw_puts(out, "m \x1b[0m");
        }
        kv_buf_append(out, "\n", 1);
    }
}

/* ----------------------------------------------------------- command */

static long long lw_clamp(long long v, long long lo, long long hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* LOLWUT [VERSION v [args...]]: v5 takes cols, squares per row and per
 * column; v6 cols and rows. Each argument parsed as Redis does (an error
 * for a non-integer) and clamped. */
static void kv_cmd_lolwut(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long ver = 7, p[3] = {0, 0, 0};
    static const long long def5[3] = {66, 8, 12}, def6[2] = {80, 20};
    uint64_t rng = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ULL ^ (uint64_t)(uintptr_t)ctx;
    lw_canvas c;
    kv_buf out;
    int i, nparams = 0;
    if (argc >= 3 && kv_arg_eq(&argv[1], "version") && kv_arg_ll_or_reply(ctx, &argv[2], &ver) != 0)
        return;
    if (ver == 5 || ver == 6) {
        nparams = ver == 5 ? 3 : 2;
        for (i = 0; i < nparams; i++) {
            p[i] = ver == 5 ? def5[i] : def6[i];
            if (argc > 3 + i && kv_arg_ll_or_reply(ctx, &argv[3 + i], &p[i]) != 0)
                return;
        }
    }
    kv_buf_init(&out);
    rng |= 1;
    if (ver == 5) {
        lw_schotter(&c, (int)lw_clamp(p[0], 1, 1000), (int)lw_clamp(p[1], 1, 200),
                    (int)lw_clamp(p[2], 1, 200), &rng);
        lw_render_braille(&c, &out);
        free(c.px);
        lw_puts(&out, "\nGeorg Nees - schotter, plotter on paper, 1968. " KV_LOLWUT_VERSION);
    } else if (ver == 6) {
        lw_skyline(&c, (int)lw_clamp(p[0], 1, 1000), (int)lw_clamp(p[1], 1, 1000), &rng);
        lw_render_ansi(&c, &out);
        free(c.px);
        lw_puts(&out, "Dedicated to the 8 bit game developers of past and present.\n"
                          "Original 8 bit image from Plaguemon by hikikomori. " KV_LOLWUT_VERSION);
    } else {
        lw_puts(&out, KV_LOLWUT_VERSION);
    }
    kv_reply_verbatim(&ctx->out, out.p, out.len, "txt");
    kv_buf_free(&out);
}

const kv_cmdspec kv_cmds_server_lolwut[] = {
    {.name = "lolwut", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_lolwut},
    KV_SPEC_END
};
