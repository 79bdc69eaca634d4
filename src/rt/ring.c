/* SPSC ring implementation. The slot array itself is plain memory: a slot is
 * written before the release/seq_cst store of `tail` that publishes it and
 * read after the acquire load that observes it, and handed back the same way
 * through `head`, so every slot access is ordered by those pairs. */
#include "rt/ring.h"

#include <stdlib.h>
#include <string.h>

int kv_ring_init(kv_ring *r, size_t capacity)
{
    memset(r, 0, sizeof *r);
    if (capacity == 0 || (capacity & (capacity - 1)) != 0)
        return -1;
    r->slots = calloc(capacity, sizeof *r->slots);
    if (!r->slots)
        return -1;
    r->mask = capacity - 1;
    return 0;
}

void kv_ring_destroy(kv_ring *r)
{
    free(r->slots);
    r->slots = NULL;
}

int kv_ring_stage(kv_ring *r, struct kv_msg *m)
{
    size_t cap = r->mask + 1;
    if (r->tail_next - r->head_cache >= cap) {
        r->head_cache = kv_atomic_load_acquire(&r->head);
        if (r->tail_next - r->head_cache >= cap)
            return -1;
    }
    r->slots[r->tail_next & r->mask] = m;
    r->tail_next++;
    return 0;
}

int kv_ring_publish(kv_ring *r)
{
    if (r->tail_next == r->tail)
        return 0;
    kv_atomic_store_seqcst(&r->tail, r->tail_next);
    return 1;
}

size_t kv_ring_take(kv_ring *r, struct kv_msg **out, size_t max)
{
    size_t n, i;
    if (r->head == r->tail_cache) {
        r->tail_cache = kv_atomic_load_acquire(&r->tail);
        if (r->head == r->tail_cache)
            return 0;
    }
    n = r->tail_cache - r->head;
    if (n > max)
        n = max;
    for (i = 0; i < n; i++)
        out[i] = r->slots[(r->head + i) & r->mask];
    kv_atomic_store_release(&r->head, r->head + n);
    return n;
}

int kv_ring_pending(kv_ring *r)
{
    return kv_atomic_load_seqcst(&r->tail) != r->head;
}
