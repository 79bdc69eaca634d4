/* Geo commands (Redis 7.0 "geo" group): points are zset members whose
 * score is a 52-bit geohash (geohash.c). This file has GEOADD, GEODIST,
 * GEOHASH, GEOPOS, the argument parsers shared with the searches
 * (geo_search.c). */
#include "cmd/zset/geo.h"

#include <stdio.h>
#include <stdlib.h>

int kv_geo_parse_lonlat(kv_ctx *ctx, const kv_str *argv, double xy[2])
{
    int i;
    for (i = 0; i < 2; i++) {
        if (!kv_zset_parse_score(argv[i].p, argv[i].n, &xy[i])) {
            kv_reply_error(&ctx->out, "ERR value is not a valid float");
            return -1;
        }
    }
    if (xy[0] < KV_GEO_LONG_MIN || xy[0] > KV_GEO_LONG_MAX || xy[1] < KV_GEO_LAT_MIN ||
        xy[1] > KV_GEO_LAT_MAX) {
        kv_reply_errorf(&ctx->out, "ERR invalid longitude,latitude pair %f,%f", xy[0], xy[1]);
        return -1;
    }
    return 0;
}

double kv_geo_parse_unit(kv_ctx *ctx, const kv_str *u)
{
    if (kv_arg_eq(u, "m"))
        return 1;
    if (kv_arg_eq(u, "km"))
        return 1000;
    if (kv_arg_eq(u, "ft"))
        return 0.3048;
    if (kv_arg_eq(u, "mi"))
        return 1609.34;
    kv_reply_error(&ctx->out, "ERR unsupported unit provided. please use M, KM, FT, MI");
    return -1;
}

int kv_geo_parse_radius(kv_ctx *ctx, const kv_str *argv, double *conversion, double *radius)
{
    if (!kv_zset_parse_score(argv[0].p, argv[0].n, radius)) {
        kv_reply_error(&ctx->out, "ERR need numeric radius");
        return -1;
    }
    if (*radius < 0) {
        kv_reply_error(&ctx->out, "ERR radius cannot be negative");
        return -1;
    }
    *conversion = kv_geo_parse_unit(ctx, &argv[1]);
    return *conversion < 0 ? -1 : 0;
}

int kv_geo_parse_box(kv_ctx *ctx, const kv_str *argv, double *conversion, double *w, double *h)
{
    if (!kv_zset_parse_score(argv[0].p, argv[0].n, w)) {
        kv_reply_error(&ctx->out, "ERR need numeric width");
        return -1;
    }
    if (!kv_zset_parse_score(argv[1].p, argv[1].n, h)) {
        kv_reply_error(&ctx->out, "ERR need numeric height");
        return -1;
    }
    if (*h < 0 || *w < 0) {
        kv_reply_error(&ctx->out, "ERR height or width cannot be negative");
        return -1;
    }
    *conversion = kv_geo_parse_unit(ctx, &argv[2]);
    return *conversion < 0 ? -1 : 0;
}

void kv_geo_reply_coord(kv_ctx *ctx, double v)
{
    char buf[64];
    size_t n = kv_geo_fmt_coord(buf, sizeof buf, v);
    if (ctx->out.proto == 3) {
        kv_reply_raw(&ctx->out, ",", 1);
        kv_reply_raw(&ctx->out, buf, n);
        kv_reply_raw(&ctx->out, "\r\n", 2);
    } else {
        kv_reply_bulk(&ctx->out, buf, n);
    }
}

void kv_geo_reply_distance(kv_ctx *ctx, double d)
{
    char buf[512]; /* %.4f of a huge double needs over 300 digits */
    int n = snprintf(buf, sizeof buf, "%.4f", d);
    kv_reply_bulk(&ctx->out, buf, n > 0 && (size_t)n < sizeof buf ? (size_t)n : 0);
}

/* GEOADD as Redis 7.0 logs it, the ZADD it runs: "zadd" key, the options
 * as they came, then each geohash (an integer) and member. */
static void geoadd_propagate(kv_ctx *ctx, const kv_str *argv, int first, int n,
                             const double *scores)
{
    char(*num)[KV_LLSTR_SIZE];
    kv_str *a;
    int i, m = first;
    if (!kv_state(ctx)->aof)
        return;
    a = malloc((size_t)(first + 2 * n) * sizeof *a);
    num = malloc((size_t)n * sizeof *num);
    if (!a || !num)
        abort();
    a[0].p = "zadd";
    a[0].n = 4;
    for (i = 1; i < first; i++)
        a[i] = argv[i];
    for (i = 0; i < n; i++) {
        a[m].p = num[i];
        a[m++].n = (size_t)kv_ll2str(num[i], KV_LLSTR_SIZE, (long long)scores[i]);
        a[m++] = argv[first + 3 * i + 2];
    }
    kv_propagate(ctx, m, a);
    free(num);
    free(a);
}

/* GEOADD key [NX|XX] [CH] lon lat member [lon lat member ...]: ZADD with
 * geohash scores, after every coordinate is checked. */
static void kv_cmd_geoadd(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int first = 2, nx = 0, xx = 0, ch = 0, n, i, err = 0, out;
    long long added = 0, updated = 0;
    double *scores;
    kv_zset_opts opts;
    kv_obj *o;
    for (; first < argc; first++) {
        if (kv_arg_eq(&argv[first], "nx"))
            nx = 1;
        else if (kv_arg_eq(&argv[first], "xx"))
            xx = 1;
        else if (kv_arg_eq(&argv[first], "ch"))
            ch = 1;
        else
            break;
    }
    if ((argc - first) % 3 || (nx && xx) || argc == first) {
        kv_reply_syntax(ctx);
        return;
    }
    n = (argc - first) / 3;
    scores = malloc((size_t)n * sizeof *scores);
    if (!scores)
        abort();
    for (i = 0; i < n; i++) {
        double xy[2];
        kv_geo_bits h;
        if (kv_geo_parse_lonlat(ctx, &argv[first + 3 * i], xy) != 0)
            goto done;
        kv_geo_encode_wgs84(xy[0], xy[1], KV_GEO_STEP_MAX, &h);
        scores[i] = (double)kv_geo_align52(h);
    }
    o = kv_zget(ctx, &argv[1], 1, &err);
    if (err)
        goto done;
    kv_zopts(ctx, &opts);
    if (!o) {
        int created;
        kv_entry *e;
        if (xx) {
            kv_reply_int(&ctx->out, 0);
            goto done;
        }
        o = kv_zset_new_for(argv[first + 2].n, &opts);
        e = kv_db_upsert(kv_ctx_db(ctx), argv[1].p, argv[1].n, &created);
        kv_set_val(ctx, e, o);
    }
    for (i = 0; i < n; i++) {
        const kv_str *m = &argv[first + 3 * i + 2];
        kv_zset_add(o, scores[i], m->p, m->n, (nx ? KV_ZADD_NX : 0) | (xx ? KV_ZADD_XX : 0), &out,
                    NULL, &opts);
        added += !!(out & KV_ZADD_OUT_ADDED);
        updated += !!(out & KV_ZADD_OUT_UPDATED);
    }
    if (added || updated) { /* GEOADD is ZADD to Redis, counted and reported the same */
        kv_signal_modified(ctx, ctx->db, &argv[1]);
        kv_notify(ctx, KV_NOTIFY_ZSET, "zadd", ctx->db, &argv[1]);
        kv_dirty(ctx, added + updated);
        geoadd_propagate(ctx, argv, first, n, scores);
    }
    kv_reply_int(&ctx->out, ch ? added + updated : added);
done:
    free(scores);
}

static void kv_cmd_geodist(kv_ctx *ctx, int argc, const kv_str *argv)
{
    double conversion = 1, s1, s2, a[2], b[2];
    int err = 0;
    kv_obj *o;
    if (argc == 5) {
        if ((conversion = kv_geo_parse_unit(ctx, &argv[4])) < 0)
            return;
    } else if (argc > 5) {
        kv_reply_syntax(ctx);
        return;
    }
    o = kv_zget(ctx, &argv[1], 0, &err);
    if (err)
        return;
    if (!o || !kv_zset_score(o, argv[2].p, argv[2].n, &s1) ||
        !kv_zset_score(o, argv[3].p, argv[3].n, &s2)) {
        kv_reply_null(&ctx->out);
        return;
    }
    kv_geo_decode_score(s1, a);
    kv_geo_decode_score(s2, b);
    kv_geo_reply_distance(ctx, kv_geo_distance(a[0], a[1], b[0], b[1]) / conversion);
}

static void kv_cmd_geohash(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int err = 0, j;
    double s;
    kv_obj *o = kv_zget(ctx, &argv[1], 0, &err);
    if (err)
        return;
    kv_reply_array(&ctx->out, argc - 2);
    for (j = 2; j < argc; j++) {
        char buf[12];
        if (!o || !kv_zset_score(o, argv[j].p, argv[j].n, &s)) {
            kv_reply_null(&ctx->out);
            continue;
        }
        kv_geo_hash_string(s, buf);
        kv_reply_bulk(&ctx->out, buf, 11);
    }
}

static void kv_cmd_geopos(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int err = 0, j;
    double s, xy[2];
    kv_obj *o = kv_zget(ctx, &argv[1], 0, &err);
    if (err)
        return;
    kv_reply_array(&ctx->out, argc - 2);
    for (j = 2; j < argc; j++) {
        if (!o || !kv_zset_score(o, argv[j].p, argv[j].n, &s)) {
            kv_reply_null_array(&ctx->out);
            continue;
        }
        kv_geo_decode_score(s, xy);
        kv_reply_array(&ctx->out, 2);
        kv_geo_reply_coord(ctx, xy[0]);
        kv_geo_reply_coord(ctx, xy[1]);
    }
}

const kv_cmdspec kv_cmds_zset_geo[] = {
    {.name = "geoadd", .route = KV_ROUTE_KEY, .exec = kv_cmd_geoadd},
    {.name = "geodist", .route = KV_ROUTE_KEY, .exec = kv_cmd_geodist},
    {.name = "geohash", .route = KV_ROUTE_KEY, .exec = kv_cmd_geohash},
    {.name = "geopos", .route = KV_ROUTE_KEY, .exec = kv_cmd_geopos},
    KV_SPEC_END
};
