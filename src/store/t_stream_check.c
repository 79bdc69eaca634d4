/* Streams: checking an untrusted node (a RESTORE or RDB payload) before
 * the stream code walks it without further checks, and the radix-tree
 * node count XINFO STREAM reports (what a Redis rax holding the same node
 * keys has). */
#include "store/t_stream.h"

#include <stdlib.h>
#include <string.h>

#include "store/mem.h"

/* An element that must be an integer (a listpack may hold it as digits). */
static int get_int(const unsigned char *p, long long *v)
{
    kv_lpval lv;
    if (!p)
        return -1;
    kv_lp_get(p, &lv);
    if (!lv.s) {
        *v = lv.v;
        return 0;
    }
    return kv_store_str2ll((const char *)lv.s, lv.n, v) ? 0 : -1;
}

int kv_stream_validate_node(const unsigned char *clp, size_t size, const kv_sid *master,
                            uint64_t *live, uint64_t *deleted, kv_sid *first, kv_sid *last)
{
    unsigned char *lp = (unsigned char *)(uintptr_t)clp, *p;
    long long count, dead, mfields, flags, dms, dseq, nf, lpcount, j, total, nlive = 0;
    kv_sid id, prev = {0, 0};
    if (!kv_lp_validate(clp, size) || !(p = kv_lp_first(lp)))
        return -1;
    if (get_int(p, &count) || get_int(p = kv_lp_next(lp, p), &dead) ||
        get_int(p = kv_lp_next(lp, p), &mfields))
        return -1;
    if (count < 0 || dead < 0 || mfields < 0 || count + dead < 1 ||
        (size_t)mfields > size / 2)
        return -1;
    for (j = 0; j < mfields && p; j++)
        p = kv_lp_next(lp, p);
    if (!p || get_int(p = kv_lp_next(lp, p), &j) || j != 0)
        return -1;
    p = kv_lp_next(lp, p);
    for (total = 0; total < count + dead; total++) {
        if (get_int(p, &flags) || get_int(p = kv_lp_next(lp, p), &dms) ||
            get_int(p = kv_lp_next(lp, p), &dseq))
            return -1;
        id.ms = master->ms + (uint64_t)dms;
        id.seq = master->seq + (uint64_t)dseq;
        if (total == 0)
            *first = id;
        else if (kv_sid_cmp(&id, &prev) <= 0)
            return -1;
        prev = id;
        nf = mfields;
        if (!(flags & KV_SF_SAMEFIELDS)) {
            if (get_int(p = kv_lp_next(lp, p), &nf) || nf < 0 ||
                (size_t)nf > size / 2)
                return -1;
            for (j = 0; j < 2 * nf && p; j++)
                p = kv_lp_next(lp, p);
            lpcount = 3 + 2 * nf + 1;
        } else {
            for (j = 0; j < nf && p; j++)
                p = kv_lp_next(lp, p);
            lpcount = 3 + nf;
        }
        if (!p || get_int(p = kv_lp_next(lp, p), &j) || j != lpcount)
            return -1;
        if (!(flags & KV_SF_DELETED))
            nlive++;
        p = kv_lp_next(lp, p);
    }
    if (p || nlive != count)
        return -1;
    *live = (uint64_t)count;
    *deleted = (uint64_t)dead;
    *last = prev;
    return 0;
}

/* Rax nodes under a node at depth d whose subtree holds keys[lo, hi) (16
 * bytes each, sorted, distinct). A Redis rax is compressed: a chain of
 * one-child non-key positions is one node, a position with several
 * children one node, each key (a leaf here: every key is 16 bytes) one. */
static size_t rax_count(const unsigned char *keys, size_t lo, size_t hi, size_t d)
{
    const unsigned char *a = keys + 16 * lo, *b = keys + 16 * (hi - 1);
    size_t l = d, n, i, j;
    if (d == 16)
        return 1;
    while (l < 16 && a[l] == b[l])
        l++;
    if (l > d) /* a compressed node down to the branch point or the leaf */
        return 1 + (l == 16 ? 1 : rax_count(keys, lo, hi, l));
    n = 1; /* a branching node: one child per distinct byte */
    for (i = lo; i < hi; i = j) {
        for (j = i + 1; j < hi && keys[16 * j + d] == keys[16 * i + d]; j++)
            ;
        n += rax_count(keys, i, j, d + 1);
    }
    return n;
}

size_t kv_stream_rax_nodes(const kv_stream *s)
{
    unsigned char *keys;
    size_t i, n;
    if (s->n == 0)
        return 1; /* the empty root */
    keys = kv_xmalloc(16 * s->n);
    for (i = 0; i < s->n; i++)
        kv_sid_encode(keys + 16 * i, &kv_stream_node(s, i)->master);
    n = rax_count(keys, 0, s->n, 0);
    free(keys);
    return n;
}
