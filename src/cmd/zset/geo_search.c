/* GEORADIUS, GEORADIUSBYMEMBER (and their _RO forms), GEOSEARCH and
 * GEOSEARCHSTORE: one parser in Redis's order of checks, one search (the 9
 * cells of geohash.c, scanned as score ranges of the zset, in Redis's
 * order so unsorted replies match), then a reply or a stored zset. With
 * STORE on another shard than the source, the home shard runs the search
 * on the source's shard (it replies the points as a pairs blob) and stores
 * them on the destination's shard. */
#include "cmd/zset/geo.h"

#include <stdlib.h>
#include <string.h>

#define G_COORDS 0x01   /* GEORADIUS: centre given as lon lat */
#define G_MEMBER 0x02   /* GEORADIUSBYMEMBER: centre is a member */
#define G_SEARCH 0x04   /* GEOSEARCH syntax */
#define G_STORECMD 0x08 /* GEOSEARCHSTORE */
#define G_NOSTORE 0x10  /* the _RO forms */

enum { SORT_NONE, SORT_ASC, SORT_DESC };

typedef struct geo_req {
    kv_geo_shape shape;
    const kv_str *storekey;
    int storedist, withdist, withhash, withcoord, any, sort;
    long long count;
    kv_obj *zobj;
} geo_req;

typedef struct geo_point {
    double lon, lat, dist, score;
    size_t off, len; /* member bytes in the arena */
} geo_point;

typedef struct geo_result {
    geo_point *v;
    size_t n, cap;
    kv_buf arena;
} geo_result;

/* ------------------------------------------------------------- parsing */

static int member_lonlat(const kv_obj *z, const kv_str *m, double xy[2])
{
    double score;
    if (!kv_zset_score(z, m->p, m->n, &score))
        return -1;
    kv_geo_decode_score(score, xy);
    return 0;
}

/* Redis's georadiusGeneric up to the search: 0 to search, 1 when the reply
 * is already written (an error, or the answer for a missing key). */
static int geo_parse(kv_ctx *ctx, int argc, const kv_str *argv, int flags, geo_req *q,
                     int *missing)
{
    int src = (flags & G_STORECMD) ? 2 : 1, base, i, err = 0;
    int frommember = 0, fromloc = 0, byradius = 0, bybox = 0;
    memset(q, 0, sizeof *q);
    *missing = 0;
    q->zobj = kv_zget(ctx, &argv[src], 0, &err);
    if (err)
        return 1;
    if (flags & G_COORDS) {
        base = 6;
        q->shape.type = KV_GEO_CIRCLE;
        if (kv_geo_parse_lonlat(ctx, &argv[2], q->shape.xy) != 0 ||
            kv_geo_parse_radius(ctx, &argv[base - 2], &q->shape.conversion, &q->shape.radius) != 0)
            return 1;
    } else if (flags & G_MEMBER) {
        base = 5;
        if (q->zobj) {
            q->shape.type = KV_GEO_CIRCLE;
            if (member_lonlat(q->zobj, &argv[2], q->shape.xy) != 0) {
                kv_reply_error(&ctx->out, "ERR could not decode requested zset member");
                return 1;
            }
            if (kv_geo_parse_radius(ctx, &argv[base - 2], &q->shape.conversion,
                                    &q->shape.radius) != 0)
                return 1;
        }
    } else {
        base = (flags & G_STORECMD) ? 3 : 2;
        if (flags & G_STORECMD)
            q->storekey = &argv[1];
    }
    for (i = base; i < argc; i++) {
        const kv_str *a = &argv[i];
        int left = argc - i - 1;
        if (kv_arg_eq(a, "withdist")) {
            q->withdist = 1;
        } else if (kv_arg_eq(a, "withhash")) {
            q->withhash = 1;
        } else if (kv_arg_eq(a, "withcoord")) {
            q->withcoord = 1;
        } else if (kv_arg_eq(a, "any")) {
            q->any = 1;
        } else if (kv_arg_eq(a, "asc")) {
            q->sort = SORT_ASC;
        } else if (kv_arg_eq(a, "desc")) {
            q->sort = SORT_DESC;
        } else if (kv_arg_eq(a, "count") && left >= 1) {
            if (kv_arg_ll_or_reply(ctx, &argv[i + 1], &q->count) != 0)
                return 1;
            if (q->count <= 0) {
                kv_reply_error(&ctx->out, "ERR COUNT must be > 0");
                return 1;
            }
            i++;
        } else if ((kv_arg_eq(a, "store") || kv_arg_eq(a, "storedist")) && left >= 1 &&
                   !(flags & (G_NOSTORE | G_SEARCH))) {
            q->storekey = &argv[i + 1];
            q->storedist = kv_arg_eq(a, "storedist");
            i++;
        } else if (kv_arg_eq(a, "storedist") && (flags & G_STORECMD)) {
            q->storedist = 1;
        } else if (kv_arg_eq(a, "frommember") && left >= 1 && (flags & G_SEARCH) && !fromloc) {
            if (q->zobj && member_lonlat(q->zobj, &argv[i + 1], q->shape.xy) != 0) {
                kv_reply_error(&ctx->out, "ERR could not decode requested zset member");
                return 1;
            }
            frommember = 1;
            i++;
        } else if (kv_arg_eq(a, "fromlonlat") && left >= 2 && (flags & G_SEARCH) &&
                   !frommember) {
            if (kv_geo_parse_lonlat(ctx, &argv[i + 1], q->shape.xy) != 0)
                return 1;
            fromloc = 1;
            i += 2;
        } else if (kv_arg_eq(a, "byradius") && left >= 2 && (flags & G_SEARCH) && !bybox) {
            if (kv_geo_parse_radius(ctx, &argv[i + 1], &q->shape.conversion,
                                    &q->shape.radius) != 0)
                return 1;
            q->shape.type = KV_GEO_CIRCLE;
            byradius = 1;
            i += 2;
        } else if (kv_arg_eq(a, "bybox") && left >= 3 && (flags & G_SEARCH) && !byradius) {
            if (kv_geo_parse_box(ctx, &argv[i + 1], &q->shape.conversion, &q->shape.width,
                                 &q->shape.height) != 0)
                return 1;
            q->shape.type = KV_GEO_BOX;
            bybox = 1;
            i += 3;
        } else {
            kv_reply_syntax(ctx);
            return 1;
        }
    }
    if (q->storekey && (q->withdist || q->withhash || q->withcoord)) {
        kv_reply_errorf(&ctx->out,
                        "ERR %s is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
                        (flags & G_STORECMD) ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS");
        return 1;
    }
    if ((flags & G_SEARCH) && !(frommember || fromloc)) {
        kv_reply_errorf(&ctx->out,
                        "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for %.*s",
                        (int)kv_arg_cstrlen(&argv[0]), argv[0].p);
        return 1;
    }
    if ((flags & G_SEARCH) && !(byradius || bybox)) {
        kv_reply_errorf(&ctx->out,
                        "ERR exactly one of BYRADIUS and BYBOX can be specified for %.*s",
                        (int)kv_arg_cstrlen(&argv[0]), argv[0].p);
        return 1;
    }
    if (q->any && !q->count) {
        kv_reply_error(&ctx->out, "ERR the ANY argument requires COUNT argument");
        return 1;
    }
    if (!q->zobj) {
        *missing = 1;
        return 0;
    }
    if (q->count != 0 && q->sort == SORT_NONE && !q->any)
        q->sort = SORT_ASC;
    return 0;
}

/* -------------------------------------------------------------- search */

static void result_push(geo_result *r, const kv_zit *it, const double xy[2], double dist)
{
    geo_point *p;
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->v = realloc(r->v, r->cap * sizeof *r->v);
        if (!r->v)
            abort();
    }
    p = &r->v[r->n++];
    p->lon = xy[0];
    p->lat = xy[1];
    p->dist = dist;
    p->score = it->score;
    p->off = r->arena.len;
    p->len = it->mlen;
    kv_buf_append(&r->arena, it->m, it->mlen);
}

/* The points of one cell: scores in [cell start, next cell start). */
static void scan_cell(const geo_req *q, kv_geo_bits cell, geo_result *r, size_t limit)
{
    kv_zrange range;
    kv_zit it;
    int more;
    range.min = (double)kv_geo_align52(cell);
    cell.bits++;
    range.max = (double)kv_geo_align52(cell);
    range.minex = 0;
    range.maxex = 1;
    for (more = kv_zit_score(&it, q->zobj, &range, 0); more && kv_zrange_lte_max(it.score, &range);
         more = kv_zit_next(&it)) {
        double xy[2], dist;
        if (kv_geo_within(&q->shape, it.score, xy, &dist))
            result_push(r, &it, xy, dist);
        if (r->n && limit && r->n >= limit)
            break;
    }
}

static void geo_search(const geo_req *q, geo_result *r)
{
    kv_geo_bits cells[9];
    size_t limit = q->any ? (size_t)q->count : 0;
    int i, last = 0;
    kv_geo_search_cells(&q->shape, cells);
    for (i = 0; i < 9; i++) {
        if (cells[i].bits == 0 && cells[i].step == 0)
            continue;
        /* Huge radii can make neighbours coincide: skip a cell equal to the
         * one scanned just before (Redis does not compare with the centre). */
        if (last && cells[i].bits == cells[last].bits && cells[i].step == cells[last].step)
            continue;
        if (r->n && limit && r->n >= limit)
            break;
        scan_cell(q, cells[i], r, limit);
        last = i;
    }
}

static int by_dist(const void *a, const void *b, void *ctx)
{
    const geo_point *x = a, *y = b;
    int desc = *(const int *)ctx;
    int c = x->dist > y->dist ? 1 : x->dist == y->dist ? 0 : -1;
    return desc ? -c : c;
}

/* ------------------------------------------------------------- results */

static void reply_points(kv_ctx *ctx, const geo_req *q, const geo_result *r, size_t n)
{
    long opts = q->withdist + q->withhash + q->withcoord;
    size_t i;
    kv_reply_array(&ctx->out, (long)n);
    for (i = 0; i < n; i++) {
        const geo_point *p = &r->v[i];
        if (opts)
            kv_reply_array(&ctx->out, opts + 1);
        kv_reply_bulk(&ctx->out, r->arena.p + p->off, p->len);
        if (q->withdist)
            kv_geo_reply_distance(ctx, p->dist / q->shape.conversion);
        if (q->withhash)
            kv_reply_int(&ctx->out, (long long)p->score);
        if (q->withcoord) {
            kv_reply_array(&ctx->out, 2);
            kv_geo_reply_coord(ctx, p->lon);
            kv_geo_reply_coord(ctx, p->lat);
        }
    }
}

static void to_pairs(const geo_req *q, const geo_result *r, size_t n, kv_zpairs *out)
{
    size_t i;
    for (i = 0; i < n; i++) {
        const geo_point *p = &r->v[i];
        kv_zpairs_push(out, r->arena.p + p->off, p->len,
                       q->storedist ? p->dist / q->shape.conversion : p->score);
    }
}

#define MODE_RUN 0  /* reply, or store locally */
#define MODE_READ 1 /* sub-command: reply the points to store as a blob */

static void georadius_generic(kv_ctx *ctx, int argc, const kv_str *argv, int flags, int mode)
{
    geo_req q;
    geo_result r;
    kv_zpairs pairs;
    size_t n = 0;
    int missing;
    if (geo_parse(ctx, argc, argv, flags, &q, &missing) != 0)
        return;
    memset(&r, 0, sizeof r);
    kv_buf_init(&r.arena);
    kv_zpairs_init(&pairs, kv_zseed(ctx));
    if (!missing) {
        geo_search(&q, &r);
        n = q.count == 0 || r.n < (size_t)q.count ? r.n : (size_t)q.count;
        if (q.sort != SORT_NONE) {
            int desc = q.sort == SORT_DESC;
            kv_zmsort(r.v, r.n, sizeof *r.v, by_dist, &desc);
        }
    }
    if (!q.storekey) {
        reply_points(ctx, &q, &r, n);
    } else {
        to_pairs(&q, &r, n, &pairs);
        if (mode == MODE_READ) {
            kv_buf b;
            kv_buf_init(&b);
            kv_zpairs_write(&b, &pairs, 'z');
            kv_reply_bulk(&ctx->out, b.p, b.len);
            kv_buf_free(&b);
        } else {
            kv_reply_int(&ctx->out, kv_zstore_pairs(ctx, q.storekey, &pairs, 1,
                                                    (flags & G_STORECMD) ? "geosearchstore"
                                                                         : "georadiusstore"));
        }
    }
    kv_zpairs_free(&pairs);
    kv_buf_free(&r.arena);
    free(r.v);
}

/* Every search command runs georadius_generic with its G_* flags, which
 * are the command's data in the table below. */
static int geo_flags(const kv_ctx *ctx)
{
    return *(const int *)kv_cmd_data(ctx);
}

static void kv_cmd_geosearch(kv_ctx *ctx, int argc, const kv_str *argv)
{
    georadius_generic(ctx, argc, argv, geo_flags(ctx), MODE_RUN);
}

/* ------------------------------------------------------ across shards */

/* Sub-commands on the source's shard: the client's argv, searched and
 * replied as the pairs to store (or the error). */
static void geo_read_radius(kv_ctx *ctx, int argc, const kv_str *argv)
{
    georadius_generic(ctx, argc, argv, G_COORDS, MODE_READ);
}

static void geo_read_member(kv_ctx *ctx, int argc, const kv_str *argv)
{
    georadius_generic(ctx, argc, argv, G_MEMBER, MODE_READ);
}

static void geo_read_search(kv_ctx *ctx, int argc, const kv_str *argv)
{
    georadius_generic(ctx, argc, argv, G_SEARCH | G_STORECMD, MODE_READ);
}

static const kv_cmd geo_sub_read[3] = {
    {.name = "georadius", .arity = -6, .flags = KV_CMD_READONLY, .exec = geo_read_radius},
    {.name = "georadiusbymember", .arity = -5, .flags = KV_CMD_READONLY, .exec = geo_read_member},
    {.name = "geosearchstore", .arity = -8, .flags = KV_CMD_READONLY, .exec = geo_read_search},
};

/* The store key's argv index (last STORE/STOREDIST wins), or 0. */
static int store_index(int argc, const kv_str *argv, int from)
{
    int i, at = 0;
    for (i = from; i < argc; i++) {
        if ((kv_arg_eq(&argv[i], "store") || kv_arg_eq(&argv[i], "storedist")) && i + 1 < argc) {
            at = i + 1;
            i++;
        }
    }
    return at;
}

static int kv_coord_geosearch(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv)
{
    int flags = geo_flags(ctx), src = (flags & G_STORECMD) ? 2 : 1, dst;
    int which = (flags & G_COORDS) ? 0 : (flags & G_MEMBER) ? 1 : 2;
    kv_str r, blob, sub[3];
    switch (kv_coord_step(co)) {
    case 0:
        kv_coord_send(co, kv_shard_of_key(ctx->shard, argv[src].p, argv[src].n), ctx->db,
                      &geo_sub_read[which], argc, argv);
        return KV_COORD_WAIT;
    case 1:
        r = kv_coord_reply(co, 0);
        if (!kv_rd_bulk(r, &blob)) {
            kv_zrelay(ctx, r); /* an error, or a reply that stores nothing */
            return KV_COORD_DONE;
        }
        dst = (flags & G_STORECMD) ? 1 : store_index(argc, argv, (flags & G_COORDS) ? 6 : 5);
        /* The store's name is the event it reports. */
        sub[0].p = (flags & G_STORECMD) ? "geosearchstore" : "georadiusstore";
        sub[0].n = strlen(sub[0].p);
        sub[1] = argv[dst];
        sub[2] = blob;
        kv_coord_send(co, kv_shard_of_key(ctx->shard, argv[dst].p, argv[dst].n), ctx->db,
                      &kv_zsub_store_each, 3, sub);
        return KV_COORD_WAIT;
    default:
        kv_zrelay(ctx, kv_coord_reply(co, 0));
        return KV_COORD_DONE;
    }
}

static int kv_getkeys_georadius(int argc, const kv_str *argv, int *pos, int max)
{
    int st = store_index(argc, argv, 5), n = 0;
    if (n < max)
        pos[n] = 1;
    n++;
    if (st) {
        if (n < max)
            pos[n] = st;
        n++;
    }
    return n;
}

static const int geo_georadius = G_COORDS, geo_georadius_ro = G_COORDS | G_NOSTORE;
static const int geo_bymember = G_MEMBER, geo_bymember_ro = G_MEMBER | G_NOSTORE;
static const int geo_plain = G_SEARCH, geo_searchstore = G_SEARCH | G_STORECMD;

/* The STORE forms are coordinated when source and destination are on
 * different shards. GEOSEARCH's own key spec finds its keys; GEORADIUS's
 * STORE key needs getkeys. */
const kv_cmdspec kv_cmds_zset_geosearch[] = {
    {.name = "georadius", .route = KV_ROUTE_COORD, .exec = kv_cmd_geosearch,
     .coord = kv_coord_geosearch, .getkeys = kv_getkeys_georadius, .data = &geo_georadius},
    {.name = "georadius_ro", .route = KV_ROUTE_KEY, .exec = kv_cmd_geosearch,
     .data = &geo_georadius_ro},
    {.name = "georadiusbymember", .route = KV_ROUTE_COORD, .exec = kv_cmd_geosearch,
     .coord = kv_coord_geosearch, .getkeys = kv_getkeys_georadius, .data = &geo_bymember},
    {.name = "georadiusbymember_ro", .route = KV_ROUTE_KEY, .exec = kv_cmd_geosearch,
     .data = &geo_bymember_ro},
    {.name = "geosearch", .route = KV_ROUTE_KEY, .exec = kv_cmd_geosearch, .data = &geo_plain},
    {.name = "geosearchstore", .route = KV_ROUTE_COORD, .exec = kv_cmd_geosearch,
     .coord = kv_coord_geosearch, .data = &geo_searchstore},
    KV_SPEC_END
};
