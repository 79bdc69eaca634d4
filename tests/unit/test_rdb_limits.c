/* Encoding limits in the RDB loaders (kv_rdb_reader's lim and keep): Redis
 * 7.0's encoding choices at small, live thresholds for each body type,
 * "keep" rebuilding what was saved (COPY, moves between shards), a list's
 * own fill (loaded lists take the reader's; kv_rdb_dup keeps the
 * original's), the reader's dict seed and the parsed copy the
 * configuration keeps (kv_cfg.enc). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cmd/config/cfg.h"
#include "store/rdb.h"
#include "store/t_hash.h"
#include "store/t_list.h"
#include "store/t_set.h"
#include "store/t_zset.h"
#include "test.h"

static const uint8_t seed[16] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3};

/* Save o, load it back with lim and keep; o is freed. */
static kv_obj *reload(kv_obj *o, const kv_enc_limits *lim, int keep)
{
    kv_buf b;
    kv_obj *c = NULL;
    kv_buf_init(&b);
    CHECK(kv_rdb_dump(&b, o) == KV_RDB_OK);
    c = kv_rdb_payload_load_enc(b.p, b.len, lim, keep, NULL);
    CHECK(c != NULL);
    kv_buf_free(&b);
    kv_obj_free(o);
    return c;
}

static unsigned enc_after(kv_obj *o, const kv_enc_limits *lim, int keep)
{
    kv_obj *c = reload(o, lim, keep);
    unsigned e = c ? kv_obj_encoding(c) : 99;
    kv_obj_free(c);
    return e;
}

/* A hash of n fields "f<i>" with value v, in the encoding enc. */
static kv_obj *hash_of(int n, const char *v, unsigned enc)
{
    kv_obj *o = kv_hash_new();
    kv_hash_opts opts;
    char f[16];
    int i;
    kv_hash_opts_init(&opts, seed);
    opts.max_lp_entries = opts.max_lp_value = 100000; /* built as asked */
    for (i = 0; i < n; i++)
        kv_hash_set(o, f, (size_t)sprintf(f, "f%d", i), v, strlen(v), &opts);
    if (enc == KV_ENC_HT)
        kv_hash_convert(o, seed);
    CHECK(kv_obj_encoding(o) == enc);
    return o;
}

static kv_obj *set_of(int n, unsigned enc)
{
    kv_obj *o = kv_set_new();
    kv_set_opts opts;
    char m[16];
    int i;
    kv_set_opts_init(&opts, seed);
    opts.max_intset_entries = 100000;
    for (i = 0; i < n; i++)
        kv_set_add(o, m, (size_t)sprintf(m, "%d", i), &opts);
    if (enc == KV_ENC_HT)
        kv_set_convert(o, seed);
    CHECK(kv_obj_encoding(o) == enc);
    return o;
}

static kv_obj *zset_of(int n, const char *prefix, unsigned enc)
{
    kv_obj *o = kv_zset_new(enc, seed);
    kv_zset_opts opts;
    char m[80];
    int i, out;
    kv_zset_opts_init(&opts, seed);
    opts.max_lp_entries = opts.max_lp_value = 100000;
    for (i = 0; i < n; i++)
        kv_zset_add(o, i, m, (size_t)sprintf(m, "%s%d", prefix, i), 0, &out, NULL, &opts);
    CHECK(kv_obj_encoding(o) == enc);
    return o;
}

static void test_hash_limits(void)
{
    kv_enc_limits lim;
    kv_enc_limits_default(&lim);
    lim.hash_lp_entries = 2;
    lim.hash_lp_value = 3;
    /* LISTPACK bodies: by the entry count only. */
    CHECK(enc_after(hash_of(2, "v", KV_ENC_LISTPACK), &lim, 0) == KV_ENC_LISTPACK);
    CHECK(enc_after(hash_of(3, "v", KV_ENC_LISTPACK), &lim, 0) == KV_ENC_HT);
    CHECK(enc_after(hash_of(1, "long", KV_ENC_LISTPACK), &lim, 0) == KV_ENC_LISTPACK);
    /* HASH bodies: the count and every field's and value's length. */
    CHECK(enc_after(hash_of(2, "abc", KV_ENC_HT), &lim, 0) == KV_ENC_LISTPACK);
    CHECK(enc_after(hash_of(3, "v", KV_ENC_HT), &lim, 0) == KV_ENC_HT);
    CHECK(enc_after(hash_of(1, "abcd", KV_ENC_HT), &lim, 0) == KV_ENC_HT);
    lim.hash_lp_entries = 0;
    CHECK(enc_after(hash_of(1, "v", KV_ENC_HT), &lim, 0) == KV_ENC_HT);
    CHECK(enc_after(hash_of(1, "v", KV_ENC_HT), NULL, 0) == KV_ENC_LISTPACK);
    /* keep: as saved, whatever the limits. */
    CHECK(enc_after(hash_of(1, "v", KV_ENC_HT), NULL, 1) == KV_ENC_HT);
    CHECK(enc_after(hash_of(5, "long", KV_ENC_LISTPACK), &lim, 1) == KV_ENC_LISTPACK);
}

static void test_set_limits(void)
{
    kv_enc_limits lim;
    kv_enc_limits_default(&lim);
    lim.set_intset_entries = 3;
    CHECK(enc_after(set_of(3, KV_ENC_INTSET), &lim, 0) == KV_ENC_INTSET);
    CHECK(enc_after(set_of(4, KV_ENC_INTSET), &lim, 0) == KV_ENC_HT);
    CHECK(enc_after(set_of(3, KV_ENC_HT), &lim, 0) == KV_ENC_INTSET);
    CHECK(enc_after(set_of(4, KV_ENC_HT), &lim, 0) == KV_ENC_HT);
    CHECK(enc_after(set_of(2, KV_ENC_HT), NULL, 1) == KV_ENC_HT);
    CHECK(enc_after(set_of(9, KV_ENC_INTSET), &lim, 1) == KV_ENC_INTSET);
}

static void test_zset_limits(void)
{
    kv_enc_limits lim;
    kv_enc_limits_default(&lim);
    lim.zset_lp_entries = 3;
    lim.zset_lp_value = 4;
    CHECK(enc_after(zset_of(3, "m", KV_ENC_LISTPACK), &lim, 0) == KV_ENC_LISTPACK);
    CHECK(enc_after(zset_of(4, "m", KV_ENC_LISTPACK), &lim, 0) == KV_ENC_SKIPLIST);
    CHECK(enc_after(zset_of(1, "long", KV_ENC_LISTPACK), &lim, 0) == KV_ENC_LISTPACK);
    CHECK(enc_after(zset_of(3, "m", KV_ENC_SKIPLIST), &lim, 0) == KV_ENC_LISTPACK);
    CHECK(enc_after(zset_of(4, "m", KV_ENC_SKIPLIST), &lim, 0) == KV_ENC_SKIPLIST);
    CHECK(enc_after(zset_of(1, "long", KV_ENC_SKIPLIST), &lim, 0) == KV_ENC_SKIPLIST);
    CHECK(enc_after(zset_of(2, "m", KV_ENC_SKIPLIST), NULL, 1) == KV_ENC_SKIPLIST);
    CHECK(enc_after(zset_of(9, "m", KV_ENC_LISTPACK), &lim, 1) == KV_ENC_LISTPACK);
}

static void test_list_fill(void)
{
    kv_enc_limits lim;
    kv_list_opts opts;
    kv_obj *o, *c;
    int i;
    kv_enc_limits_default(&lim);
    kv_list_opts_init(&opts);
    o = kv_list_new(NULL);
    CHECK_EQ_LL(kv_list_fill(o), KV_LIST_MAX_LISTPACK_SIZE);
    kv_list_set_fill(o, 100000);
    CHECK_EQ_LL(kv_list_fill(o), 32767);
    kv_list_set_fill(o, -10);
    CHECK_EQ_LL(kv_list_fill(o), -5);
    kv_list_set_fill(o, 0);
    CHECK_EQ_LL(kv_list_fill(o), 0);
    kv_obj_free(o);

    opts.fill = 1;
    o = kv_list_new(&opts);
    for (i = 0; i < 5; i++)
        kv_list_push(o, "abc", 3, KV_QL_TAIL);
    CHECK_EQ_LL(kv_list_ql(o)->nodes, 5);
    /* A copy keeps the fill; a load takes the reader's, nodes as saved. */
    c = kv_rdb_dup(o, NULL);
    CHECK(c && kv_list_fill(c) == 1 && kv_list_ql(c)->nodes == 5);
    kv_obj_free(c);
    lim.list_fill = 3;
    c = reload(o, &lim, 0);
    CHECK(c && kv_list_fill(c) == 3 && kv_list_ql(c)->nodes == 5);
    if (c) {
        kv_list_push(c, "x", 1, KV_QL_TAIL);
        kv_list_push(c, "y", 1, KV_QL_TAIL);
        kv_list_push(c, "z", 1, KV_QL_TAIL);
        CHECK_EQ_LL(kv_list_ql(c)->nodes, 6);
    }
    kv_obj_free(c);
}

static void test_dup_keeps_encoding(void)
{
    kv_obj *objs[] = {hash_of(1, "v", KV_ENC_HT), set_of(1, KV_ENC_HT),
                      zset_of(1, "m", KV_ENC_SKIPLIST), hash_of(600, "v", KV_ENC_LISTPACK),
                      set_of(600, KV_ENC_INTSET), zset_of(200, "m", KV_ENC_LISTPACK)};
    size_t i;
    for (i = 0; i < sizeof objs / sizeof objs[0]; i++) {
        kv_obj *c = kv_rdb_dup(objs[i], NULL);
        CHECK(c && kv_obj_encoding(c) == kv_obj_encoding(objs[i]));
        kv_obj_free(c);
        kv_obj_free(objs[i]);
    }
}

/* The reader's seed (commands pass the server's): kv_rdb_seed copies it,
 * and tables loaded with the same seed come out alike, so they DUMP to the
 * same bytes (their walk order follows the seed). */
static void test_seed(void)
{
    kv_obj *objs[] = {hash_of(600, "v", KV_ENC_HT), set_of(600, KV_ENC_HT)};
    kv_rdb_reader r;
    uint8_t out[16];
    size_t i;
    kv_rdb_reader_init(&r, "", 0);
    CHECK(r.seed == NULL);
    r.seed = seed;
    kv_rdb_seed(&r, out);
    CHECK(memcmp(out, seed, sizeof out) == 0);
    for (i = 0; i < sizeof objs / sizeof objs[0]; i++) {
        kv_buf b, x, y;
        kv_obj *c, *d;
        kv_buf_init(&b);
        kv_buf_init(&x);
        kv_buf_init(&y);
        CHECK(kv_rdb_dump(&b, objs[i]) == KV_RDB_OK);
        c = kv_rdb_payload_load_enc(b.p, b.len, NULL, 0, seed);
        d = kv_rdb_payload_load_enc(b.p, b.len, NULL, 0, seed);
        CHECK(c && d && kv_obj_encoding(c) == KV_ENC_HT && kv_obj_encoding(d) == KV_ENC_HT);
        if (c && d) {
            CHECK(kv_rdb_dump(&x, c) == KV_RDB_OK && kv_rdb_dump(&y, d) == KV_RDB_OK);
            CHECK(x.len == b.len && y.len == b.len && memcmp(x.p, y.p, x.len) == 0);
        }
        kv_obj_free(c);
        kv_obj_free(d);
        kv_obj_free(objs[i]);
        kv_buf_free(&b);
        kv_buf_free(&x);
        kv_buf_free(&y);
    }
}

static void test_cfg_enc(void)
{
    kv_cfg *c = kv_cfg_new(), *d;
    kv_enc_limits def;
    int i = kv_cfg_index("zset-max-ziplist-value", 22);
    char *canon = NULL, err[128];
    kv_enc_limits_default(&def);
    CHECK(memcmp(&c->enc, &def, sizeof def) == 0);
    CHECK(i >= 0 && kv_cfg_check(i, "1kb", 3, "", &canon, err, sizeof err) == 0);
    kv_cfg_store(c, i, canon);
    CHECK_EQ_LL(c->enc.zset_lp_value, 1024);
    i = kv_cfg_index("list-max-listpack-size", 22);
    CHECK(i >= 0 && kv_cfg_check(i, "-5", 2, "", &canon, err, sizeof err) == 0);
    kv_cfg_store(c, i, canon);
    CHECK_EQ_LL(c->enc.list_fill, -5);
    d = kv_cfg_clone(c);
    CHECK(d->enc.zset_lp_value == 1024 && d->enc.list_fill == -5 &&
          d->enc.hash_lp_entries == def.hash_lp_entries);
    kv_cfg_free(d);
    kv_cfg_free(c);
}

TEST_MAIN("rdb_limits", TEST(test_hash_limits), TEST(test_set_limits), TEST(test_zset_limits),
          TEST(test_list_fill), TEST(test_dup_keeps_encoding), TEST(test_seed),
          TEST(test_cfg_enc))
