/* Quicklist: a doubly linked list of listpack nodes. Node filling, splitting
 * (LINSERT into a full node) and merging follow Redis 7.0.15's rules, checked
 * against its DUMP output, so the same commands give the same nodes. Nothing
 * merges after deletions (as in Redis): pops and trims only drop empty nodes. */
#include "store/quicklist.h"

#include <string.h>

#include "store/mem.h"

#define LP_HDR 6u
#define SIZE_SAFETY_LIMIT 8192u    /* count-limited nodes never grow past this */
#define SIZE_ESTIMATE_OVERHEAD 8u  /* per-entry overhead assumed when filling */
#define FILL_MAX 32767
#define LARGE_ELEMENT ((size_t)1 << 30)

static const size_t fill_bytes[] = {4096, 8192, 16384, 32768, 65536};

static int clamp_fill(int fill)
{
    return fill > FILL_MAX ? FILL_MAX : fill < -5 ? -5 : fill;
}

/* 1 if a node of sz bytes and cnt entries breaks the fill limit. */
static int exceeds(int fill, size_t sz, unsigned long cnt)
{
    fill = clamp_fill(fill);
    if (fill < 0)
        return sz > fill_bytes[-fill - 1];
    if (sz > SIZE_SAFETY_LIMIT)
        return 1;
    return cnt > (unsigned long)(fill == 0 ? 1 : fill);
}

static size_t node_bytes(const kv_qlnode *n)
{
    return kv_lp_bytes(n->lp);
}

/* May an element of n bytes go into node? (Redis estimates the growth as
 * n + 8 whatever the encoding, so nodes split exactly where its do.) */
static int allow_insert(const kv_qlnode *node, int fill, size_t n)
{
    if (node == NULL || n >= LARGE_ELEMENT)
        return 0;
    return !exceeds(fill, node_bytes(node) + n + SIZE_ESTIMATE_OVERHEAD,
                    (unsigned long)node->count + 1);
}

static int allow_merge(const kv_qlnode *a, const kv_qlnode *b, int fill)
{
    if (a == NULL || b == NULL)
        return 0;
    /* Redis 7.0.15 still subtracts a ziplist's header and end (11 bytes,
     * not a listpack's 7), so a merged node may end up 4 bytes over the
     * limit; kept, since it decides where nodes split. */
    return !exceeds(fill, node_bytes(a) + node_bytes(b) - 11,
                    (unsigned long)a->count + b->count);
}

/* ------------------------------------------------------------ nodes */

static kv_qlnode *node_new(unsigned char *lp, unsigned count)
{
    kv_qlnode *n = (kv_qlnode *)kv_xmalloc(sizeof *n);
    n->prev = n->next = NULL;
    n->lp = lp;
    n->count = count;
    n->spare = 0;
    return n;
}

/* Link nn after (after = 1) or before old; old NULL: the list is empty. */
static void link_node(kv_quicklist *ql, kv_qlnode *old, kv_qlnode *nn, int after)
{
    if (old == NULL) {
        ql->head = ql->tail = nn;
    } else if (after) {
        nn->prev = old;
        nn->next = old->next;
        if (old->next)
            old->next->prev = nn;
        old->next = nn;
        if (ql->tail == old)
            ql->tail = nn;
    } else {
        nn->next = old;
        nn->prev = old->prev;
        if (old->prev)
            old->prev->next = nn;
        old->prev = nn;
        if (ql->head == old)
            ql->head = nn;
    }
    ql->nodes++;
}

/* Unlink and free a node; its entries leave the count. */
static void drop_node(kv_quicklist *ql, kv_qlnode *n)
{
    if (n->prev)
        n->prev->next = n->next;
    else
        ql->head = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else
        ql->tail = n->prev;
    ql->nodes--;
    ql->count -= n->count;
    kv_lp_free(n->lp);
    free(n);
}

/* Move b's entries to the end of a and drop b. */
static void merge_into(kv_quicklist *ql, kv_qlnode *a, kv_qlnode *b)
{
    size_t ab = kv_lp_bytes(a->lp), bb = kv_lp_bytes(b->lp);
    size_t total = ab + bb - 7, cnt = (size_t)a->count + b->count;
    unsigned char *lp = (unsigned char *)kv_xrealloc(a->lp, total);
    memcpy(lp + ab - 1, b->lp + LP_HDR, bb - LP_HDR);
    lp[0] = (unsigned char)total;
    lp[1] = (unsigned char)(total >> 8);
    lp[2] = (unsigned char)(total >> 16);
    lp[3] = (unsigned char)(total >> 24);
    if (cnt > 65535)
        cnt = 65535;
    lp[4] = (unsigned char)cnt;
    lp[5] = (unsigned char)(cnt >> 8);
    a->lp = lp;
    a->count += b->count;
    b->count = 0;
    drop_node(ql, b);
}

/* After a split: try prev-prev with prev, next with next-next, then center
 * with its neighbours (Redis's order). */
static void merge_around(kv_quicklist *ql, kv_qlnode *center, int fill)
{
    kv_qlnode *prev = center->prev, *next = center->next;
    kv_qlnode *pp = prev ? prev->prev : NULL, *nn = next ? next->next : NULL;
    kv_qlnode *target;
    if (allow_merge(prev, pp, fill))
        merge_into(ql, pp, prev);
    if (allow_merge(next, nn, fill))
        merge_into(ql, next, nn);
    if (allow_merge(center, center->prev, fill)) {
        target = center->prev;
        merge_into(ql, target, center);
    } else {
        target = center;
    }
    if (allow_merge(target, target->next, fill))
        merge_into(ql, target, target->next);
}

/* ------------------------------------------------------------ list */

kv_quicklist *kv_ql_new(void)
{
    kv_quicklist *ql = (kv_quicklist *)kv_xmalloc(sizeof *ql);
    ql->head = ql->tail = NULL;
    ql->count = 0;
    ql->nodes = 0;
    return ql;
}

void kv_ql_free(kv_quicklist *ql)
{
    kv_qlnode *n, *next;
    if (ql == NULL)
        return;
    for (n = ql->head; n; n = next) {
        next = n->next;
        kv_lp_free(n->lp);
        free(n);
    }
    free(ql);
}

size_t kv_ql_count(const kv_quicklist *ql)
{
    return ql->count;
}

void kv_ql_push(kv_quicklist *ql, int fill, const char *s, size_t n, int where)
{
    kv_qlnode *node = where == KV_QL_HEAD ? ql->head : ql->tail;
    if (allow_insert(node, fill, n)) {
        node->lp = where == KV_QL_HEAD ? kv_lp_prepend(node->lp, s, n)
                                       : kv_lp_append(node->lp, s, n);
        node->count++;
    } else {
        kv_qlnode *nn = node_new(kv_lp_append(kv_lp_new(), s, n), 1);
        link_node(ql, node, nn, where == KV_QL_TAIL);
    }
    ql->count++;
}

void kv_ql_append_node(kv_quicklist *ql, unsigned char *lp)
{
    size_t cnt = kv_lp_count(lp);
    kv_qlnode *nn = node_new(lp, (unsigned)cnt);
    link_node(ql, ql->tail, nn, 1);
    ql->count += cnt;
}

/* Exact up to 2 * MEM_ENDS nodes; beyond, the nodes at both ends (where
 * pushes and pops change them) are measured and the middle ones are
 * counted at their average, so the cost stays bounded on a long list and
 * the figure is still a function of the list's contents. */
#define MEM_ENDS 8
size_t kv_ql_mem(const kv_quicklist *ql)
{
    size_t m = kv_mem_chunk(sizeof *ql), ends = 0;
    const kv_qlnode *n;
    int i;
    if (ql->nodes <= 2 * MEM_ENDS) {
        for (n = ql->head; n; n = n->next)
            m += kv_mem_chunk(sizeof *n) + kv_mem_chunk(node_bytes(n));
        return m;
    }
    for (n = ql->head, i = 0; i < MEM_ENDS; n = n->next, i++)
        ends += kv_mem_chunk(sizeof *n) + kv_mem_chunk(node_bytes(n));
    for (n = ql->tail, i = 0; i < MEM_ENDS; n = n->prev, i++)
        ends += kv_mem_chunk(sizeof *n) + kv_mem_chunk(node_bytes(n));
    return m + ends + ends / (2 * MEM_ENDS) * (ql->nodes - 2 * MEM_ENDS);
}

/* ------------------------------------------------------------ iteration */

/* Node holding index (negative: from the end) and the index inside it,
 * walking from the nearer end. NULL if out of range. */
static kv_qlnode *locate(const kv_quicklist *ql, long index, size_t *local)
{
    size_t i, c = ql->count;
    kv_qlnode *n;
    if (index < 0) {
        if ((unsigned long)-(index + 1) >= c)
            return NULL;
        i = c - (size_t)(-(index + 1)) - 1;
    } else {
        if ((size_t)index >= c)
            return NULL;
        i = (size_t)index;
    }
    if (i < c / 2) {
        for (n = ql->head; n && i >= n->count; n = n->next)
            i -= n->count;
        *local = i;
        return n;
    }
    i = c - 1 - i; /* index from the tail */
    for (n = ql->tail; n && i >= n->count; n = n->prev)
        i -= n->count;
    *local = n ? n->count - 1 - i : 0;
    return n;
}

int kv_ql_iter_at(kv_qliter *it, kv_quicklist *ql, long index, int dir)
{
    size_t local = 0;
    kv_qlnode *n = locate(ql, index, &local);
    it->ql = ql;
    it->dir = dir;
    it->started = 0;
    it->node = n;
    it->off = 0;
    if (n == NULL)
        return 0;
    it->off = (size_t)(kv_lp_seek(n->lp, (long)local) - n->lp);
    return 1;
}

/* Point the iterator at the first entry of the next node in its direction,
 * or end it. */
static void enter_next_node(kv_qliter *it, kv_qlnode *n)
{
    it->node = n;
    if (n)
        it->off = (size_t)((it->dir == KV_QL_HEAD ? kv_lp_first(n->lp) : kv_lp_last(n->lp)) - n->lp);
}

int kv_ql_next(kv_qliter *it, kv_lpval *v)
{
    if (it->node == NULL)
        return 0;
    if (it->started) {
        unsigned char *lp = it->node->lp, *q;
        q = it->dir == KV_QL_HEAD ? kv_lp_next(lp, lp + it->off) : kv_lp_prev(lp, lp + it->off);
        if (q)
            it->off = (size_t)(q - lp);
        else
            enter_next_node(it, it->dir == KV_QL_HEAD ? it->node->next : it->node->prev);
        if (it->node == NULL)
            return 0;
    }
    it->started = 1;
    kv_lp_get(it->node->lp + it->off, v);
    return 1;
}

void kv_ql_iter_delete(kv_qliter *it)
{
    kv_qlnode *n = it->node;
    unsigned char *next;
    it->started = 0;
    if (n->count == 1) {
        kv_qlnode *after = it->dir == KV_QL_HEAD ? n->next : n->prev;
        drop_node(it->ql, n);
        enter_next_node(it, after);
        return;
    }
    n->lp = kv_lp_delete(n->lp, n->lp + it->off, &next);
    n->count--;
    it->ql->count--;
    if (it->dir == KV_QL_HEAD) {
        if (next)
            it->off = (size_t)(next - n->lp);
        else
            enter_next_node(it, n->next);
    } else {
        /* whatever now sits at off (an entry or the EOF) follows the one
         * to visit next */
        unsigned char *q = kv_lp_prev(n->lp, n->lp + it->off);
        if (q)
            it->off = (size_t)(q - n->lp);
        else
            enter_next_node(it, n->prev);
    }
}

void kv_ql_iter_replace(kv_qliter *it, const char *s, size_t n)
{
    kv_qlnode *node = it->node;
    node->lp = kv_lp_insert(node->lp, node->lp + it->off, KV_LP_REPLACE, s, n, NULL);
}

/* Split node around its entry at local index idx: the entries on the far
 * side of the insertion point move to a new node, which is returned
 * (unlinked). after: node keeps 0..idx; else node keeps idx..end. */
static kv_qlnode *split(kv_qlnode *node, size_t idx, int after)
{
    size_t bytes = kv_lp_bytes(node->lp), cnt = node->count;
    size_t keep = after ? idx + 1 : cnt - idx;
    unsigned char *copy = (unsigned char *)kv_xmalloc(bytes);
    memcpy(copy, node->lp, bytes);
    if (after) {
        node->lp = kv_lp_delete_range(node->lp, (long)idx + 1, cnt);
        copy = kv_lp_delete_range(copy, 0, idx + 1);
    } else {
        node->lp = kv_lp_delete_range(node->lp, 0, idx);
        copy = kv_lp_delete_range(copy, (long)idx, cnt);
    }
    node->count = (unsigned)keep;
    return node_new(copy, (unsigned)(cnt - keep));
}

void kv_ql_iter_insert(kv_qliter *it, int fill, const char *s, size_t n, int after)
{
    kv_quicklist *ql = it->ql;
    kv_qlnode *node = it->node, *nn;
    unsigned char *lp = node->lp, *p = lp + it->off;
    int full = !allow_insert(node, fill, n);
    int at_tail = after && kv_lp_next(lp, p) == NULL;
    int at_head = !after && p == lp + LP_HDR;

    it->node = NULL; /* the iteration ends here */
    ql->count++;
    if (!full) {
        node->lp = kv_lp_insert(lp, p, after ? KV_LP_AFTER : KV_LP_BEFORE, s, n, NULL);
        node->count++;
    } else if (at_tail && allow_insert(node->next, fill, n)) {
        node->next->lp = kv_lp_prepend(node->next->lp, s, n);
        node->next->count++;
    } else if (at_head && allow_insert(node->prev, fill, n)) {
        node->prev->lp = kv_lp_append(node->prev->lp, s, n);
        node->prev->count++;
    } else if (at_tail || at_head) {
        nn = node_new(kv_lp_append(kv_lp_new(), s, n), 1);
        link_node(ql, node, nn, after);
    } else {
        size_t idx = 0;
        unsigned char *q;
        for (q = kv_lp_first(lp); q != p; q = kv_lp_next(lp, q))
            idx++;
        nn = split(node, idx, after);
        nn->lp = after ? kv_lp_prepend(nn->lp, s, n) : kv_lp_append(nn->lp, s, n);
        nn->count++;
        link_node(ql, node, nn, after);
        merge_around(ql, node, fill);
    }
}

int kv_ql_index(kv_quicklist *ql, long index, kv_lpval *v)
{
    kv_qliter it;
    return kv_ql_iter_at(&it, ql, index, KV_QL_HEAD) && kv_ql_next(&it, v);
}

void kv_ql_del_range(kv_quicklist *ql, size_t start, size_t count)
{
    size_t local = 0;
    kv_qlnode *n = start < ql->count ? locate(ql, (long)start, &local) : NULL;
    while (n && count) {
        kv_qlnode *next = n->next;
        size_t k = n->count - local;
        if (k > count)
            k = count;
        if (local == 0 && k == n->count) {
            drop_node(ql, n);
        } else {
            n->lp = kv_lp_delete_range(n->lp, (long)local, k);
            n->count -= (unsigned)k;
            ql->count -= k;
        }
        count -= k;
        local = 0;
        n = next;
    }
}
