/* SORT and SORT_RO (Redis 7.0 "generic" group) on one shard, their key
 * positions and lock sets, and the sub-commands the cross-shard
 * coordination (sort_shards.c) sends. A BY or GET pattern can name any key,
 * so a SORT using one locks every shard whole when the server has several. */
#include "cmd/keys/sort.h"
#include "cmd/keys/keys.h"

#include <stdlib.h>
#include <string.h>

#include "cmd/zset/zset.h"
#include "store/t_hash.h"
#include "store/t_zset.h"

/* ------------------------------------------------------------ lookups */

int kv_sort_fetch(kv_ctx *ctx, const kv_str *key, const kv_str *field, int hashf,
                  char num[KV_LLSTR_SIZE], kv_str *out)
{
    kv_entry *e = kv_lookup_read(ctx, key);
    kv_obj *o = e ? kv_entry_val(e) : NULL;
    if (!o)
        return 0;
    if (hashf) {
        kv_lpval v;
        if (kv_obj_type(o) != KV_TYPE_HASH || !kv_hash_get(o, field->p, field->n, &v))
            return 0;
        if (v.s) {
            out->p = (const char *)v.s;
            out->n = v.n;
        } else {
            out->p = num;
            out->n = kv_store_ll2str(num, v.v);
        }
        return 1;
    }
    if (kv_obj_type(o) != KV_TYPE_STRING)
        return 0;
    out->p = kv_str_ptr(o, num, &out->n);
    return 1;
}

/* Looking up pattern keys here, with the job's arena for the values. A key
 * on another shard cannot happen (lockkeys sends such a SORT to the
 * coordination, inside EXEC too); if it ever did, it is reported rather
 * than read as missing. */
typedef struct local {
    kv_ctx *ctx;
    kv_sortjob *j;
    kv_buf key;
    int remote;
} local;

static int local_get(local *l, const kv_str *pat, const kv_sortel *el, kv_str *out)
{
    kv_str key, field;
    char num[KV_LLSTR_SIZE];
    int hashf, kind = kv_sort_pattern(pat, el->p, el->n, &l->key, &key, &field, &hashf);
    if (kind == KV_SORTPAT_SELF) {
        out->p = el->p;
        out->n = el->n;
        return 1;
    }
    if (kind == KV_SORTPAT_NONE)
        return 0;
    if (kv_shard_count(l->ctx->shard) > 1 &&
        kv_shard_of_key(l->ctx->shard, key.p, key.n) != kv_shard_id(l->ctx->shard)) {
        l->remote = 1;
        return 0;
    }
    if (!kv_sort_fetch(l->ctx, &key, &field, hashf, num, out))
        return 0;
    out->p = kv_sortjob_copy(l->j, out->p, out->n);
    return 1;
}

/* The source's elements into j, or -1 after replying WRONGTYPE. A zset is
 * converted to a skiplist for good, as Redis does for SORT. */
static int load_source(kv_ctx *ctx, const kv_str *key, kv_sortjob *j)
{
    kv_entry *e = kv_lookup_read(ctx, key);
    kv_obj *o = e ? kv_entry_val(e) : NULL;
    unsigned t = o ? kv_obj_type(o) : KV_TYPE_LIST;
    if (t != KV_TYPE_LIST && t != KV_TYPE_SET && t != KV_TYPE_ZSET) {
        kv_reply_wrongtype(ctx);
        return -1;
    }
    if (t == KV_TYPE_ZSET)
        kv_zset_convert(o, KV_ENC_SKIPLIST, kv_zseed(ctx));
    kv_sortjob_load(j, o);
    return 0;
}

/* RUN_FULL: the command itself (STORE included). RUN_FINAL: the same but
 * replying the items even with STORE, whose destination is elsewhere.
 * RUN_LOAD: only the source's elements, for a coordination to sort. */
enum { RUN_FULL, RUN_FINAL, RUN_LOAD };

static void sort_run(kv_ctx *ctx, int argc, const kv_str *argv, int mode)
{
    kv_sortjob j;
    local l;
    kv_str *items = NULL, val;
    size_t i, n, k;
    int g, forced;
    kv_sortjob_init(&j);
    memset(&l, 0, sizeof l);
    l.ctx = ctx;
    l.j = &j;
    kv_buf_init(&l.key);
    if (kv_sortreq_parse(ctx, argc, argv, &j.q) != 0)
        goto out;
    forced = j.q.dontsort;
    if (load_source(ctx, &argv[1], &j) != 0)
        goto out;
    if (mode == RUN_LOAD) {
        /* [forced ALPHA, start, end, elements...] for the coordination */
        kv_reply_array(&ctx->out, (long)j.n + 3);
        kv_reply_int(&ctx->out, forced && !j.q.dontsort);
        kv_reply_int(&ctx->out, j.start);
        kv_reply_int(&ctx->out, j.end);
        for (i = 0; i < j.n; i++)
            kv_reply_bulk(&ctx->out, j.v[i].p, j.v[i].n);
        goto out;
    }
    if (!j.q.dontsort) {
        for (i = 0; i < j.n; i++) {
            if (!j.q.by)
                kv_sortjob_by(&j, i, j.v[i].p, j.v[i].n);
            else if (local_get(&l, &argv[j.q.by], &j.v[i], &val))
                kv_sortjob_by(&j, i, val.p, val.n);
            else
                kv_sortjob_by(&j, i, NULL, 0);
        }
        if (!j.converr && !l.remote)
            kv_sortjob_sort(&j);
    }
    n = kv_sortjob_nout(&j);
    if (!j.converr && !l.remote) {
        if (!(items = malloc((n ? n : 1) * sizeof *items)))
            abort();
        for (k = 0, i = (size_t)j.start; k < n; i++) {
            if (!j.q.ngets) {
                items[k].p = j.v[i].p;
                items[k++].n = j.v[i].n;
            }
            for (g = 0; g < j.q.ngets; g++, k++)
                if (!local_get(&l, &argv[j.q.gets[g]], &j.v[i], &items[k]))
                    items[k].p = NULL;
        }
    }
    if (l.remote)
        kv_reply_error(&ctx->out, "ERR SORT BY/GET patterns naming keys on other shards are not "
                                  "supported inside a transaction");
    else if (j.converr)
        kv_reply_error(&ctx->out, "ERR One or more scores can't be converted into double");
    else if (j.q.store && mode == RUN_FULL)
        kv_sort_store_items(ctx, &argv[j.q.store], items, n);
    else
        kv_sort_reply_items(ctx, items, n);
out:
    free(items);
    kv_buf_free(&l.key);
    kv_sortjob_free(&j);
}

static void kv_cmd_sort(kv_ctx *ctx, int argc, const kv_str *argv)
{
    sort_run(ctx, argc, argv, RUN_FULL);
}

/* ------------------------------------------------------------ sub-commands */

static void kv_cmd_sort_final(kv_ctx *ctx, int argc, const kv_str *argv)
{
    sort_run(ctx, argc, argv, RUN_FINAL);
}

static void kv_cmd_sort_load(kv_ctx *ctx, int argc, const kv_str *argv)
{
    sort_run(ctx, argc, argv, RUN_LOAD);
}

/* argv: name, then per value a key and "s" (a string key) or "h" followed
 * by the hash field. Replies the values in order, nil where missing. */
static void kv_cmd_sort_get(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int i;
    kv_reply_array(&ctx->out, (argc - 1) / 2);
    for (i = 1; i + 1 < argc; i += 2) {
        kv_str field, val;
        char num[KV_LLSTR_SIZE];
        int hashf = argv[i + 1].n > 0 && argv[i + 1].p[0] == 'h';
        field.p = argv[i + 1].p + 1;
        field.n = argv[i + 1].n > 0 ? argv[i + 1].n - 1 : 0;
        if (kv_sort_fetch(ctx, &argv[i], &field, hashf, num, &val))
            kv_reply_bulk(&ctx->out, val.p, val.n);
        else
            kv_reply_null(&ctx->out);
    }
}

/* argv: name, dst, items... Its argv is no Redis command: the AOF logs
 * the list it made (or the deletion). */
static void kv_cmd_sort_store(kv_ctx *ctx, int argc, const kv_str *argv)
{
    long long dirty = kv_state(ctx)->dirty;
    kv_sort_store_items(ctx, &argv[1], argv + 2, (size_t)(argc - 2));
    if (kv_state(ctx)->dirty != dirty)
        kv_propagate_key(ctx, &argv[1]);
}

const kv_cmd kv_sub_sort_full = {.name = "sort", .arity = -2, .exec = kv_cmd_sort};
const kv_cmd kv_sub_sort_final = {.name = "sort", .arity = -2, .exec = kv_cmd_sort_final};
const kv_cmd kv_sub_sort_load = {.name = "sort", .arity = -2, .exec = kv_cmd_sort_load};
const kv_cmd kv_sub_sort_get = {.name = "sort", .arity = -1, .exec = kv_cmd_sort_get};
const kv_cmd kv_sub_sort_store = {.name = "sort", .arity = -2, .exec = kv_cmd_sort_store};

/* ------------------------------------------------------------ keys */

/* Redis's sortGetKeys: the source, and the last STORE key found while
 * skipping the arguments of LIMIT, GET and BY (unknown words skip none). */
static int kv_sort_getkeys(int argc, const kv_str *argv, int *pos, int max)
{
    int i, store = 0;
    if (max > 0)
        pos[0] = 1;
    for (i = 2; i < argc; i++) {
        if (kv_arg_eq(&argv[i], "limit"))
            i += 2;
        else if (kv_arg_eq(&argv[i], "get") || kv_arg_eq(&argv[i], "by"))
            i += 1;
        else if (kv_arg_eq(&argv[i], "store") && i + 1 < argc)
            store = i + 1;
    }
    if (store && max > 1)
        pos[1] = store;
    return store ? 2 : 1;
}

/* The source and the destination; every shard whole when a pattern names
 * keys to look up, since they can be anywhere. */
static int kv_sort_lockkeys(kv_ctx *ctx, int argc, const kv_str *argv, kv_str *keys, int max,
                            int *whole)
{
    kv_sortreq q;
    int n = 1;
    (void)ctx;
    *whole = 0;
    if (max > 0)
        keys[0] = argv[1];
    if (kv_sortreq_parse(NULL, argc, argv, &q) == 0) {
        if (q.store) {
            if (max > 1)
                keys[1] = argv[q.store];
            n = 2;
        }
        *whole = kv_sortreq_by_lookups(&q) || kv_sortreq_get_lookups(&q, argv);
    }
    kv_sortreq_free(&q);
    return n;
}

/* COMMAND GETKEYSANDFLAGS: SORT's STORE key has the flags of its third key
 * spec, whose begin_search is "unknown" (Redis's sortGetKeys). */
static int kv_sort_keyflags(int argc, const kv_str *argv, int j, int pos,
                            const char *const **flags)
{
    (void)argc;
    (void)argv;
    (void)pos;
    (void)flags;
    return j > 0 ? 2 : KV_KEYFLAGS_BY_POSITION;
}

const kv_cmdspec kv_cmds_keys_sort[] = {
    {.name = "sort", .route = KV_ROUTE_COORD, .exec = kv_cmd_sort, .coord = kv_coord_sort,
     .getkeys = kv_sort_getkeys, .lockkeys = kv_sort_lockkeys, .keyflags = kv_sort_keyflags},
    {.name = "sort_ro", .route = KV_ROUTE_COORD, .exec = kv_cmd_sort, .coord = kv_coord_sort,
     .lockkeys = kv_sort_lockkeys},
    KV_SPEC_END
};
