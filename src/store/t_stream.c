/* Stream values: the node vector, IDs, appending, deleting, trimming and
 * iterating entries in Redis 7.0's stream listpack node format (see
 * t_stream.h for the layout; validation and statistics are in
 * t_stream_check.c). */
#include "store/t_stream.h"

#include <stdio.h>
#include <string.h>

#include "store/mem.h"
#include "store/t_stream_cg.h"

/* ------------------------------------------------------------- IDs */

int kv_sid_cmp(const kv_sid *a, const kv_sid *b)
{
    if (a->ms != b->ms)
        return a->ms < b->ms ? -1 : 1;
    if (a->seq != b->seq)
        return a->seq < b->seq ? -1 : 1;
    return 0;
}

int kv_sid_incr(kv_sid *id)
{
    if (id->seq != UINT64_MAX) {
        id->seq++;
        return 0;
    }
    if (id->ms == UINT64_MAX) {
        id->ms = id->seq = 0;
        return -1;
    }
    id->ms++;
    id->seq = 0;
    return 0;
}

int kv_sid_decr(kv_sid *id)
{
    if (id->seq != 0) {
        id->seq--;
        return 0;
    }
    if (id->ms == 0) {
        id->ms = id->seq = UINT64_MAX;
        return -1;
    }
    id->ms--;
    id->seq = UINT64_MAX;
    return 0;
}

size_t kv_sid_fmt(char *buf, const kv_sid *id)
{
    return (size_t)snprintf(buf, 42, "%llu-%llu", (unsigned long long)id->ms,
                            (unsigned long long)id->seq);
}

void kv_sid_encode(unsigned char out[16], const kv_sid *id)
{
    int i;
    for (i = 0; i < 8; i++) {
        out[i] = (unsigned char)(id->ms >> (56 - 8 * i));
        out[8 + i] = (unsigned char)(id->seq >> (56 - 8 * i));
    }
}

void kv_sid_decode(const unsigned char in[16], kv_sid *id)
{
    int i;
    id->ms = id->seq = 0;
    for (i = 0; i < 8; i++) {
        id->ms = (id->ms << 8) | in[i];
        id->seq = (id->seq << 8) | in[8 + i];
    }
}

/* ------------------------------------------------------------- helpers */

/* An element that holds an integer (written by this module or validated). */
static long long lp_int(const unsigned char *p)
{
    kv_lpval v;
    long long ll = 0;
    kv_lp_get(p, &v);
    if (!v.s)
        return v.v;
    kv_store_str2ll((const char *)v.s, v.n, &ll);
    return ll;
}

static unsigned char *lp_replace_int(unsigned char *lp, unsigned char **p, long long v)
{
    char buf[KV_LLSTR_SIZE];
    size_t n = kv_store_ll2str(buf, v);
    return kv_lp_insert(lp, *p, KV_LP_REPLACE, buf, n, p);
}

/* Skip n elements from p (NULL stays NULL). */
static unsigned char *lp_skip(unsigned char *lp, unsigned char *p, long long n)
{
    while (p && n-- > 0)
        p = kv_lp_next(lp, p);
    return p;
}

/* The first entry's flags of a node; *mfields the master fields' count. */
static unsigned char *node_entries(unsigned char *lp, long long *mfields)
{
    unsigned char *p = kv_lp_next(lp, kv_lp_next(lp, kv_lp_first(lp))); /* count, deleted */
    *mfields = lp_int(p);
    return lp_skip(lp, p, *mfields + 2); /* fields, the 0 terminator */
}

/* The entry whose flags are at p: its ID, flags and fields; returns the
 * element after its lp-count. */
static unsigned char *entry_read(unsigned char *lp, unsigned char *p, const kv_sid *master,
                                 long long mfields, kv_sid *id, int *flags, long long *nf)
{
    *flags = (int)lp_int(p);
    p = kv_lp_next(lp, p);
    id->ms = master->ms + (uint64_t)lp_int(p);
    p = kv_lp_next(lp, p);
    id->seq = master->seq + (uint64_t)lp_int(p);
    p = kv_lp_next(lp, p);
    if (*flags & KV_SF_SAMEFIELDS) {
        *nf = mfields;
        return lp_skip(lp, p, mfields + 1);
    }
    *nf = lp_int(p);
    return lp_skip(lp, p, 2 * *nf + 2);
}

/* ------------------------------------------------------------- nodes */

kv_obj *kv_stream_new(void)
{
    kv_stream *s = kv_xcalloc(1, sizeof *s);
    return kv_obj_new(KV_TYPE_STREAM, KV_ENC_STREAM, s);
}

void kv_stream_free_value(kv_obj *o)
{
    kv_stream *s = kv_stream_of(o);
    size_t i;
    if (kv_obj_encoding(o) != KV_ENC_STREAM) { /* not built here: a plain block */
        free(s);
        return;
    }
    if (!s)
        return;
    for (i = 0; i < s->n; i++)
        kv_lp_free(s->nodes[s->head + i].lp);
    free(s->nodes);
    kv_stream_cg_free_all(s);
    free(s);
}

kv_snode *kv_stream_node(const kv_stream *s, size_t i)
{
    return &s->nodes[s->head + i];
}

long kv_stream_find_node(const kv_stream *s, const kv_sid *id)
{
    long lo = 0, hi = (long)s->n - 1, found = -1;
    while (lo <= hi) {
        long mid = lo + (hi - lo) / 2;
        if (kv_sid_cmp(&kv_stream_node(s, (size_t)mid)->master, id) <= 0) {
            found = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return found;
}

void kv_stream_push_node(kv_stream *s, const kv_sid *master, unsigned char *lp)
{
    kv_snode *nd;
    if (s->head + s->n == s->cap) {
        if (s->head > 0 && s->head >= s->n) { /* mostly trimmed: slide back */
            memmove(s->nodes, s->nodes + s->head, s->n * sizeof *s->nodes);
            s->head = 0;
        } else {
            s->cap = s->cap ? s->cap * 2 : 4;
            s->nodes = kv_xrealloc(s->nodes, s->cap * sizeof *s->nodes);
        }
    }
    nd = &s->nodes[s->head + s->n++];
    nd->master = *master;
    nd->lp = lp;
}

static void node_remove(kv_stream *s, size_t i)
{
    kv_lp_free(kv_stream_node(s, i)->lp);
    if (i == 0) {
        s->head++;
    } else {
        kv_snode *nd = kv_stream_node(s, i);
        memmove(nd, nd + 1, (s->n - i - 1) * sizeof *nd);
    }
    if (--s->n == 0)
        s->head = 0;
}

/* ------------------------------------------------------------- adding */

int kv_stream_next_id(const kv_stream *s, const kv_sid *use_id, int seq_given, uint64_t now_ms,
                      kv_sid *out)
{
    if (!use_id) {
        if (now_ms > s->last_id.ms) {
            out->ms = now_ms;
            out->seq = 0;
        } else {
            *out = s->last_id;
            kv_sid_incr(out);
        }
        return 0;
    }
    *out = *use_id;
    if (!seq_given) {
        if (s->last_id.ms == use_id->ms) {
            if (s->last_id.seq == UINT64_MAX)
                return -1;
            out->seq = s->last_id.seq + 1;
        } else {
            out->seq = 0;
        }
    }
    return kv_sid_cmp(out, &s->last_id) <= 0 ? -1 : 0;
}

void kv_stream_append(kv_stream *s, const kv_sid *id, const kv_str *fv, size_t npairs,
                      size_t max_bytes, long long max_entries)
{
    kv_snode *tail = s->n ? kv_stream_node(s, s->n - 1) : NULL;
    unsigned char *lp = tail ? tail->lp : NULL, *p;
    size_t i, total = 0;
    int flags = 0;
    long long mfields, lpcount;
    for (i = 0; i < 2 * npairs; i++)
        total += fv[i].n;
    if (lp) {
        if (max_bytes == 0 || max_bytes > KV_STREAM_LP_MAX)
            max_bytes = KV_STREAM_LP_MAX;
        p = kv_lp_first(lp);
        if (kv_lp_bytes(lp) + total >= max_bytes ||
            (max_entries && lp_int(p) + lp_int(kv_lp_next(lp, p)) >= max_entries))
            lp = NULL;
    }
    if (!lp) { /* a new node: the master entry takes this entry's fields */
        lp = kv_lp_new();
        lp = kv_lp_append_int(lp, 1);
        lp = kv_lp_append_int(lp, 0);
        lp = kv_lp_append_int(lp, (long long)npairs);
        for (i = 0; i < npairs; i++)
            lp = kv_lp_append(lp, fv[2 * i].p, fv[2 * i].n);
        lp = kv_lp_append_int(lp, 0);
        kv_stream_push_node(s, id, lp);
        tail = kv_stream_node(s, s->n - 1);
        flags = KV_SF_SAMEFIELDS;
    } else {
        p = kv_lp_first(lp);
        lp = lp_replace_int(lp, &p, lp_int(p) + 1);
        p = kv_lp_next(lp, kv_lp_next(lp, p));
        mfields = lp_int(p);
        if ((size_t)mfields == npairs) {
            for (i = 0; i < npairs; i++) {
                p = kv_lp_next(lp, p);
                if (!kv_lp_equal(p, fv[2 * i].p, fv[2 * i].n))
                    break;
            }
            if (i == npairs)
                flags = KV_SF_SAMEFIELDS;
        }
    }
    lp = kv_lp_append_int(lp, flags);
    lp = kv_lp_append_int(lp, (long long)(id->ms - tail->master.ms));
    lp = kv_lp_append_int(lp, (long long)(id->seq - tail->master.seq));
    if (!(flags & KV_SF_SAMEFIELDS))
        lp = kv_lp_append_int(lp, (long long)npairs);
    for (i = 0; i < npairs; i++) {
        if (!(flags & KV_SF_SAMEFIELDS))
            lp = kv_lp_append(lp, fv[2 * i].p, fv[2 * i].n);
        lp = kv_lp_append(lp, fv[2 * i + 1].p, fv[2 * i + 1].n);
    }
    lpcount = (long long)npairs + 3;
    if (!(flags & KV_SF_SAMEFIELDS))
        lpcount += (long long)npairs + 1;
    tail->lp = kv_lp_append_int(lp, lpcount);
    s->length++;
    s->entries_added++;
    s->last_id = *id;
    if (s->length == 1)
        s->first_id = *id;
}

/* ------------------------------------------------------------- removing */

/* Mark the entry whose flags are at *p deleted and update node i's
 * counts, removing the node when it has no live entry left. */
static void mark_deleted(kv_stream *s, size_t i, unsigned char *p, int flags)
{
    kv_snode *nd = kv_stream_node(s, i);
    unsigned char *lp = nd->lp, *c;
    long long live;
    lp = lp_replace_int(lp, &p, flags | KV_SF_DELETED);
    c = kv_lp_first(lp);
    live = lp_int(c);
    s->length--;
    if (live == 1) {
        nd->lp = lp;
        node_remove(s, i);
        return;
    }
    lp = lp_replace_int(lp, &c, live - 1);
    c = kv_lp_next(lp, c);
    lp = lp_replace_int(lp, &c, lp_int(c) + 1);
    nd->lp = lp;
}

int kv_stream_delete(kv_stream *s, const kv_sid *id)
{
    long i = kv_stream_find_node(s, id);
    kv_snode *nd;
    unsigned char *p, *next;
    long long mfields, nf;
    kv_sid cur;
    int flags;
    if (i < 0)
        return 0;
    nd = kv_stream_node(s, (size_t)i);
    for (p = node_entries(nd->lp, &mfields); p; p = next) {
        next = entry_read(nd->lp, p, &nd->master, mfields, &cur, &flags, &nf);
        if (kv_sid_cmp(&cur, id) > 0)
            return 0;
        if (kv_sid_cmp(&cur, id) == 0) {
            if (flags & KV_SF_DELETED)
                return 0;
            mark_deleted(s, (size_t)i, p, flags);
            return 1;
        }
    }
    return 0;
}

/* The last entry's ID of a node (tombstones included). */
static void node_last_id(unsigned char *lp, const kv_sid *master, kv_sid *id)
{
    unsigned char *p = kv_lp_last(lp);
    long long n = lp_int(p);
    while (n-- > 0)
        p = kv_lp_prev(lp, p);
    p = kv_lp_next(lp, p); /* past the flags */
    id->ms = master->ms + (uint64_t)lp_int(p);
    p = kv_lp_next(lp, p);
    id->seq = master->seq + (uint64_t)lp_int(p);
}

long long kv_stream_trim(kv_stream *s, int strategy, uint64_t maxlen, const kv_sid *minid,
                         int approx, long long limit)
{
    long long deleted = 0;
    while (s->n) {
        kv_snode *nd = kv_stream_node(s, 0);
        unsigned char *lp = nd->lp, *p, *next, *c;
        long long live, dead, mfields, nf, removed = 0;
        int remove, flags;
        kv_sid last, cur;
        if (strategy == KV_TRIM_MAXLEN && s->length <= maxlen)
            break;
        live = lp_int(kv_lp_first(lp));
        if (limit && deleted + live > limit)
            break;
        if (strategy == KV_TRIM_MAXLEN) {
            remove = s->length - (uint64_t)live >= maxlen;
        } else {
            node_last_id(lp, &nd->master, &last);
            remove = kv_sid_cmp(&last, minid) < 0;
        }
        if (remove) {
            node_remove(s, 0);
            s->length -= (uint64_t)live;
            deleted += live;
            continue;
        }
        if (approx)
            break;
        /* Mark this node's leading entries deleted, then stop. */
        for (p = node_entries(lp, &mfields); p; p = next) {
            size_t off;
            next = entry_read(lp, p, &nd->master, mfields, &cur, &flags, &nf);
            if (strategy == KV_TRIM_MAXLEN ? s->length <= maxlen : kv_sid_cmp(&cur, minid) >= 0)
                break;
            if (flags & KV_SF_DELETED)
                continue;
            off = next ? (size_t)(next - lp) : 0;
            lp = lp_replace_int(lp, &p, flags | KV_SF_DELETED);
            next = off ? lp + off : NULL;
            removed++;
            s->length--;
        }
        c = kv_lp_first(lp);
        lp = lp_replace_int(lp, &c, live - removed);
        c = kv_lp_next(lp, c);
        dead = lp_int(c);
        lp = lp_replace_int(lp, &c, dead + removed);
        nd->lp = lp;
        deleted += removed;
        break;
    }
    if (s->length == 0)
        s->first_id.ms = s->first_id.seq = 0;
    else if (deleted)
        kv_stream_edge(s, 1, 0, &s->first_id);
    return deleted;
}

/* ------------------------------------------------------------- iteration */

static int node_load(kv_sit *it)
{
    const kv_snode *nd;
    unsigned char *p;
    if (it->node < 0 || (size_t)it->node >= it->s->n)
        return 0;
    nd = kv_stream_node(it->s, (size_t)it->node);
    it->lp = nd->lp;
    it->master = nd->master;
    p = kv_lp_next(it->lp, kv_lp_next(it->lp, kv_lp_first(it->lp)));
    it->master_fields = lp_int(p);
    it->mfields = kv_lp_next(it->lp, p);
    it->p = it->rev ? kv_lp_last(it->lp) : lp_skip(it->lp, p, it->master_fields + 2);
    return 1;
}

void kv_sit_start(kv_sit *it, const kv_stream *s, const kv_sid *start, const kv_sid *end,
                  int rev)
{
    static const kv_sid lo = {0, 0}, hi = {UINT64_MAX, UINT64_MAX};
    memset(it, 0, sizeof *it);
    it->s = s;
    it->start = start ? *start : lo;
    it->end = end ? *end : hi;
    it->rev = rev;
    it->node = kv_stream_find_node(s, rev ? &it->end : &it->start);
    if (!rev && it->node < 0)
        it->node = 0;
}

int kv_sit_next(kv_sit *it, kv_sid *id, long long *nfields)
{
    for (;;) {
        unsigned char *e, *p;
        long long nf;
        int flags;
        if (!it->lp && !node_load(it))
            return 0;
        if (it->rev) {
            long long n = lp_int(it->p);
            if (n == 0) { /* the master entry's terminator */
                it->node--;
                it->lp = NULL;
                continue;
            }
            for (e = it->p; n-- > 0;)
                e = kv_lp_prev(it->lp, e);
            entry_read(it->lp, e, &it->master, it->master_fields, id, &flags, &nf);
            it->p = kv_lp_prev(it->lp, e);
        } else {
            if (!it->p) {
                it->node++;
                it->lp = NULL;
                continue;
            }
            e = it->p;
            it->p = entry_read(it->lp, e, &it->master, it->master_fields, id, &flags, &nf);
        }
        if ((flags & KV_SF_DELETED) && !it->tombstones)
            continue;
        if (it->rev ? kv_sid_cmp(id, &it->end) > 0 : kv_sid_cmp(id, &it->start) < 0)
            continue;
        if (it->rev ? kv_sid_cmp(id, &it->start) < 0 : kv_sid_cmp(id, &it->end) > 0) {
            it->node = -1;
            it->lp = NULL;
            return 0;
        }
        p = lp_skip(it->lp, e, 3);
        it->flags = flags;
        if (flags & KV_SF_SAMEFIELDS) {
            it->fcur = it->mfields;
            it->vcur = p;
        } else {
            it->fcur = kv_lp_next(it->lp, p);
            it->vcur = NULL;
        }
        *nfields = nf;
        return 1;
    }
}

void kv_sit_field(kv_sit *it, kv_lpval *field, kv_lpval *value)
{
    if (it->flags & KV_SF_SAMEFIELDS) {
        kv_lp_get(it->fcur, field);
        kv_lp_get(it->vcur, value);
        it->fcur = kv_lp_next(it->lp, it->fcur);
        it->vcur = kv_lp_next(it->lp, it->vcur);
    } else {
        unsigned char *v = kv_lp_next(it->lp, it->fcur);
        kv_lp_get(it->fcur, field);
        kv_lp_get(v, value);
        it->fcur = kv_lp_next(it->lp, v);
    }
}

int kv_stream_edge(const kv_stream *s, int first, int tombstones, kv_sid *out)
{
    kv_sit it;
    long long nf;
    kv_sit_start(&it, s, NULL, NULL, !first);
    it.tombstones = tombstones;
    if (kv_sit_next(&it, out, &nf))
        return 1;
    out->ms = out->seq = first ? UINT64_MAX : 0;
    return 0;
}

size_t kv_stream_mem(const kv_obj *o)
{
    const kv_stream *s = kv_stream_of(o);
    size_t m = kv_mem_chunk(sizeof(kv_obj)) + kv_mem_chunk(sizeof *s), i;
    if (s->cap)
        m += kv_mem_chunk(s->cap * sizeof *s->nodes);
    for (i = 0; i < s->n; i++)
        m += kv_mem_chunk(kv_lp_bytes(kv_stream_node(s, i)->lp));
    return m + kv_stream_cg_mem(s);
}
