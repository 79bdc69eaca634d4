/* libFuzzer harness for the compact encodings' validators, which guard
 * RESTORE of untrusted payloads. The input, as an exact-size heap copy (so
 * ASan flags any read past it), goes to kv_lp_validate and kv_is_validate;
 * a blob either accepts must then be fully usable: walked both ways with
 * matching counts and readable entries, and still valid after edits. It is
 * also read as a list's RDB body (the first byte picks QUICKLIST_2,
 * QUICKLIST, ZIPLIST or LIST): a list that loads must save and reload to
 * the same elements. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/intset.h"
#include "store/listpack.h"
#include "store/rdb.h"
#include "store/t_list.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(c)                                                         \
    do {                                                                       \
        if (!(c)) {                                                            \
            fprintf(stderr, "fuzz_listpack: %s:%d: %s\n", __FILE__, __LINE__, #c); \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* Read every entry; the string form of an integer must read back as it. */
static void check_entry(const unsigned char *p)
{
    unsigned char buf[32];
    kv_lpval v;
    size_t n;
    const unsigned char *s = kv_lp_get_str(p, buf, &n);
    kv_lp_get(p, &v);
    if (v.s) {
        FUZZ_ASSERT(s == v.s && n == v.n);
    } else {
        FUZZ_ASSERT(n > 0 && n <= 20 && kv_lp_equal(p, (const char *)s, n));
    }
}

/* Walk both ways; returns the entry count. */
static size_t walk(unsigned char *lp)
{
    unsigned char *p, *prev = NULL;
    size_t fwd = 0, back = 0;
    for (p = kv_lp_first(lp); p; prev = p, p = kv_lp_next(lp, p)) {
        FUZZ_ASSERT(p > lp && p < lp + kv_lp_bytes(lp) - 1);
        FUZZ_ASSERT(kv_lp_prev(lp, p) == prev);
        check_entry(p);
        fwd++;
    }
    FUZZ_ASSERT(kv_lp_last(lp) == prev);
    for (p = kv_lp_last(lp); p; p = kv_lp_prev(lp, p))
        back++;
    FUZZ_ASSERT(fwd == back && fwd == kv_lp_count(lp));
    if (fwd) {
        FUZZ_ASSERT(kv_lp_seek(lp, 0) == kv_lp_first(lp));
        FUZZ_ASSERT(kv_lp_seek(lp, -1) == kv_lp_last(lp));
        FUZZ_ASSERT(kv_lp_seek(lp, (long)fwd / 2) == kv_lp_seek(lp, (long)fwd / 2 - (long)fwd));
    }
    FUZZ_ASSERT(kv_lp_seek(lp, (long)fwd) == NULL);
    return fwd;
}

/* Edits on a validated blob keep it valid and counted right. */
static void edit(unsigned char *lp, size_t n)
{
    unsigned char buf[32], *p, *np = NULL;
    size_t len;
    char copy[64];

    if (n) {
        const unsigned char *s = kv_lp_get_str(kv_lp_first(lp), buf, &len);
        int whole = len <= sizeof copy;
        if (!whole)
            len = sizeof copy;
        memcpy(copy, s, len);
        lp = kv_lp_append(lp, copy, len);
        FUZZ_ASSERT(kv_lp_equal(kv_lp_last(lp), copy, len));
        if (whole)
            FUZZ_ASSERT(kv_lp_find(lp, kv_lp_first(lp), copy, len, 0) == kv_lp_first(lp));
        lp = kv_lp_delete(lp, kv_lp_first(lp), NULL);
        p = kv_lp_seek(lp, (long)n / 2);
        lp = kv_lp_insert(lp, p, KV_LP_REPLACE, "-4097", 5, &np);
        FUZZ_ASSERT(kv_lp_equal(np, "-4097", 5));
        lp = kv_lp_insert(lp, np, KV_LP_AFTER, "x", 1, NULL);
        n++;
    }
    lp = kv_lp_append_int(lp, -1);
    lp = kv_lp_prepend(lp, "", 0);
    n += 2;
    FUZZ_ASSERT(kv_lp_validate(lp, kv_lp_bytes(lp)));
    FUZZ_ASSERT(walk(lp) == n);
    lp = kv_lp_delete_range(lp, 1, n / 2);
    FUZZ_ASSERT(kv_lp_validate(lp, kv_lp_bytes(lp)));
    FUZZ_ASSERT(walk(lp) == n - n / 2);
    kv_lp_free(lp);
}

static void fuzz_intset(const unsigned char *c, size_t size)
{
    size_t i, n;
    if (!kv_is_validate(c, size))
        return;
    n = kv_is_len(c);
    FUZZ_ASSERT(kv_is_bytes(c) == size && n > 0);
    for (i = 0; i < n; i++) {
        FUZZ_ASSERT(kv_is_find(c, kv_is_get(c, i)));
        FUZZ_ASSERT(i == 0 || kv_is_get(c, i - 1) < kv_is_get(c, i));
    }
}

/* Every element of a list, as one buffer of (length, bytes) records. */
static void list_flatten(kv_obj *o, kv_buf *out)
{
    kv_qliter it;
    kv_lpval v;
    unsigned char num[32];
    size_t n = 0;
    const kv_qlnode *node;
    for (node = kv_list_ql(o)->head; node; node = node->next)
        FUZZ_ASSERT(node->count > 0 && kv_lp_validate(node->lp, kv_lp_bytes(node->lp)));
    kv_ql_iter_at(&it, kv_list_ql(o), 0, KV_QL_HEAD);
    while (kv_ql_next(&it, &v)) {
        size_t len;
        const unsigned char *s = kv_lp_get_str(it.node->lp + it.off, num, &len);
        kv_buf_append(out, &len, sizeof len);
        kv_buf_append(out, s, len);
        n++;
    }
    FUZZ_ASSERT(n == kv_list_len(o) && n > 0);
}

static void fuzz_rdb_list(const uint8_t *data, size_t size)
{
    static const int types[4] = {KV_RDB_TYPE_LIST_QUICKLIST_2, KV_RDB_TYPE_LIST_QUICKLIST,
                                 KV_RDB_TYPE_LIST_ZIPLIST, KV_RDB_TYPE_LIST};
    unsigned char *c;
    kv_rdb_reader r;
    kv_obj *o, *o2;
    kv_buf a, b, saved;
    if (size < 1)
        return;
    c = (unsigned char *)malloc(size > 1 ? size - 1 : 1);
    if (size > 1)
        memcpy(c, data + 1, size - 1);
    kv_rdb_reader_init(&r, c, size - 1);
    o = kv_rdb_load_list(types[data[0] & 3], &r);
    free(c);
    if (o == NULL)
        return;
    kv_buf_init(&a);
    kv_buf_init(&b);
    kv_buf_init(&saved);
    list_flatten(o, &a);
    FUZZ_ASSERT(kv_rdb_save_object(&saved, o) == KV_RDB_OK);
    kv_rdb_reader_init(&r, saved.p, saved.len);
    o2 = kv_rdb_load_object(&r);
    FUZZ_ASSERT(o2 != NULL && r.pos == saved.len);
    list_flatten(o2, &b);
    FUZZ_ASSERT(a.len == b.len && memcmp(a.p, b.p, a.len) == 0);
    kv_obj_free(o);
    kv_obj_free(o2);
    kv_buf_free(&a);
    kv_buf_free(&b);
    kv_buf_free(&saved);
}

/* Validate c (size bytes, owned); if valid, walk and edit it. */
static void fuzz_listpack(unsigned char *c, size_t size)
{
    if (kv_lp_validate(c, size)) {
        FUZZ_ASSERT(kv_lp_bytes(c) == size);
        edit(c, walk(c)); /* takes ownership */
        return;
    }
    free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *c = (unsigned char *)calloc(size ? size : 1, 1);
    if (size)
        memcpy(c, data, size);
    fuzz_intset(c, size);
    fuzz_listpack(c, size);
    fuzz_rdb_list(data, size);
    /* Again with the total-size field and the EOF byte made right, so most
     * inputs reach the entry checks. */
    if (size >= 7) {
        c = (unsigned char *)malloc(size);
        memcpy(c, data, size);
        c[0] = (unsigned char)size;
        c[1] = (unsigned char)(size >> 8);
        c[2] = (unsigned char)(size >> 16);
        c[3] = (unsigned char)(size >> 24);
        c[size - 1] = 0xff;
        fuzz_listpack(c, size);
    }
    return 0;
}
