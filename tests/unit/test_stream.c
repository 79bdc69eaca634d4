/* Stream values (src/store/t_stream.c, t_stream_check.c, rdb_stream.c):
 * IDs, node splitting at the configured limits, iteration both ways with
 * tombstones, deletion and trimming (exact and approximate), the RDB round
 * trip and the loader's refusals, the rax node count. */
#include <stdio.h>
#include <string.h>

#include "store/rdb.h"
#include "store/t_stream.h"
#include "store/t_stream_cg.h"
#include "test.h"

static void add(kv_obj *o, uint64_t ms, uint64_t seq, const char *f, const char *v, long long ents)
{
    kv_sid id = {ms, seq};
    kv_str fv[2];
    fv[0].p = f;
    fv[0].n = strlen(f);
    fv[1].p = v;
    fv[1].n = strlen(v);
    kv_stream_append(kv_stream_of(o), &id, fv, 1, 4096, ents);
}

static size_t walk(const kv_stream *s, int rev, uint64_t *first)
{
    kv_sit it;
    kv_sid id;
    long long nf;
    kv_lpval f, v;
    size_t n = 0;
    kv_sit_start(&it, s, NULL, NULL, rev);
    while (kv_sit_next(&it, &id, &nf)) {
        CHECK_EQ_LL(nf, 1);
        kv_sit_field(&it, &f, &v);
        if (n++ == 0)
            *first = id.ms;
    }
    return n;
}

static void test_ids(void)
{
    kv_sid a = {1, UINT64_MAX}, m = {UINT64_MAX, UINT64_MAX}, z = {0, 0};
    char buf[48];
    CHECK_EQ_LL(kv_sid_incr(&a), 0);
    CHECK(a.ms == 2 && a.seq == 0);
    CHECK_EQ_LL(kv_sid_incr(&m), -1);
    CHECK_EQ_LL(kv_sid_decr(&z), -1);
    CHECK_EQ_LL((long long)kv_sid_fmt(buf, &a), 3);
    CHECK(strcmp(buf, "2-0") == 0);
}

static void test_nodes_iteration_delete(void)
{
    kv_obj *o = kv_stream_new();
    kv_stream *s = kv_stream_of(o);
    uint64_t first = 0, i;
    for (i = 1; i <= 10; i++)
        add(o, i, 0, i % 2 ? "a" : "b", "v", 3);
    CHECK_EQ_LL((long long)s->n, 4); /* 3 + 3 + 3 + 1 */
    CHECK_EQ_LL((long long)walk(s, 0, &first), 10);
    CHECK_EQ_LL((long long)first, 1);
    CHECK_EQ_LL((long long)walk(s, 1, &first), 10);
    CHECK_EQ_LL((long long)first, 10);
    {
        kv_sid d = {5, 0}, x = {5, 1};
        CHECK_EQ_LL(kv_stream_delete(s, &d), 1);
        CHECK_EQ_LL(kv_stream_delete(s, &d), 0);
        CHECK_EQ_LL(kv_stream_delete(s, &x), 0);
    }
    CHECK_EQ_LL((long long)s->length, 9);
    CHECK_EQ_LL((long long)walk(s, 1, &first), 9);
    CHECK_EQ_LL(kv_stream_trim(s, KV_TRIM_MAXLEN, 5, NULL, 1, 0), 3); /* one whole node */
    CHECK_EQ_LL(kv_stream_trim(s, KV_TRIM_MAXLEN, 5, NULL, 0, 0), 1);
    CHECK_EQ_LL((long long)s->length, 5);
    CHECK(s->first_id.ms == 6);
    {
        kv_sid min = {9, 0};
        CHECK_EQ_LL(kv_stream_trim(s, KV_TRIM_MINID, 0, &min, 0, 0), 3);
    }
    CHECK_EQ_LL((long long)walk(s, 0, &first), 2);
    CHECK_EQ_LL((long long)first, 9);
    CHECK_EQ_LL((long long)kv_stream_rax_nodes(s), 6); /* as Redis for 7-0, 10-0 */
    kv_obj_free(o);
}

/* Two groups (one with an unknown entries-read), consumers with and
 * without pending entries, NACKs shared by the two PELs. */
static void add_groups(kv_stream *s)
{
    kv_sid last = {10, 10}, id;
    kv_scg *g = kv_stream_cg_create(s, "g", 1, &last, 10), *h;
    kv_sconsumer *a = kv_scg_consumer_create(g, "alice", 5, 1000);
    kv_sconsumer *b = kv_scg_consumer_create(g, "bob", 3, 2000);
    uint64_t i;
    CHECK(kv_stream_cg_create(s, "g", 1, &last, 0) == NULL);
    CHECK(kv_scg_consumer_create(g, "bob", 3, 1) == NULL);
    kv_scg_consumer_create(g, "empty", 5, 3000);
    for (i = 1; i <= 10; i++) {
        id.ms = id.seq = i;
        kv_scg_nack_add(g, &id, i % 2 ? a : b, (long long)(5000 + i));
    }
    CHECK_EQ_LL((long long)g->pel.n, 10);
    CHECK_EQ_LL((long long)a->pel.n, 5);
    id.ms = id.seq = 3;
    kv_scg_nack_move(kv_spel_find(&g->pel, &id), b);
    CHECK_EQ_LL((long long)a->pel.n, 4);
    CHECK_EQ_LL((long long)b->pel.n, 6);
    h = kv_stream_cg_create(s, "123", 3, &last, KV_SCG_INVALID_READ);
    CHECK(h != NULL && kv_stream_ngroups(s) == 2);
    CHECK(kv_stream_cgs(s)->v[0] == h); /* "123" sorts before "g" */
    kv_scg_consumer_delete(g, kv_scg_consumer_find(g, "empty", 5));
    kv_scg_consumer_create(g, "empty", 5, 3000);
}

static void test_rdb_round_trip_and_refusals(void)
{
    kv_obj *o = kv_stream_new(), *c;
    kv_buf b;
    kv_rdb_reader r;
    size_t i;
    for (i = 1; i <= 50; i++)
        add(o, i, i, "field", i % 3 ? "x" : "12345", 7);
    add_groups(kv_stream_of(o));
    kv_buf_init(&b);
    CHECK_EQ_LL(kv_rdb_save_object(&b, o), KV_RDB_OK);
    kv_rdb_reader_init(&r, b.p, b.len);
    c = kv_rdb_load_object(&r);
    CHECK(c != NULL);
    if (c) {
        kv_buf b2;
        kv_buf_init(&b2);
        kv_rdb_save_object(&b2, c);
        CHECK(b2.len == b.len && memcmp(b2.p, b.p, b.len) == 0);
        kv_buf_free(&b2);
        kv_obj_free(c);
    }
    /* Every truncation and every single-byte change either loads a
     * consistent stream or is refused; none may crash (ASan watches). */
    for (i = 0; i < b.len; i++) {
        kv_rdb_reader_init(&r, b.p, i);
        c = kv_rdb_load_object(&r);
        CHECK(c == NULL);
        kv_obj_free(c);
        b.p[i] ^= 0x5a;
        kv_rdb_reader_init(&r, b.p, b.len);
        c = kv_rdb_load_object(&r);
        if (c) {
            uint64_t f;
            CHECK_EQ_LL((long long)walk(kv_stream_of(c), 0, &f),
                        (long long)kv_stream_of(c)->length);
            kv_obj_free(c);
        }
        b.p[i] ^= 0x5a;
    }
    kv_buf_free(&b);
    kv_obj_free(o);
}

TEST_MAIN("stream", TEST(test_ids), TEST(test_nodes_iteration_delete),
          TEST(test_rdb_round_trip_and_refusals))
