/* Per-shard timers (see timer.h). A handle is (generation << 32 | slot + 1):
 * freeing a slot bumps its generation, so cancelling a timer that already
 * fired is a harmless no-op even after the slot is reused. Ties between
 * equal deadlines go to the older timer (insertion sequence), which also
 * lets kv_timers_run stop before timers its own callbacks added. */
#include "rt/timer.h"

#include <stdlib.h>
#include <string.h>

struct kv_tslot {
    long long when;   /* deadline, microseconds */
    long long period; /* 0: one-shot */
    unsigned long long seq;
    kv_timer_fn fn;
    void *arg;
    unsigned pos;     /* index in the heap while pending */
    unsigned gen;
    unsigned next_free;
    int pending;
};

void kv_timers_init(kv_timers *t)
{
    memset(t, 0, sizeof *t);
}

void kv_timers_free(kv_timers *t)
{
    free(t->slots);
    free(t->heap);
    memset(t, 0, sizeof *t);
}

static int kv_before(const kv_timers *t, unsigned a, unsigned b)
{
    const kv_tslot *x = &t->slots[a], *y = &t->slots[b];
    return x->when < y->when || (x->when == y->when && x->seq < y->seq);
}

static void kv_heap_set(kv_timers *t, unsigned pos, unsigned slot)
{
    t->heap[pos] = slot;
    t->slots[slot].pos = pos;
}

static void kv_sift_up(kv_timers *t, unsigned pos)
{
    unsigned slot = t->heap[pos];
    while (pos > 0) {
        unsigned parent = (pos - 1) / 2;
        if (!kv_before(t, slot, t->heap[parent]))
            break;
        kv_heap_set(t, pos, t->heap[parent]);
        pos = parent;
    }
    kv_heap_set(t, pos, slot);
}

static void kv_sift_down(kv_timers *t, unsigned pos)
{
    unsigned slot = t->heap[pos];
    for (;;) {
        unsigned child = 2 * pos + 1;
        if (child >= t->n)
            break;
        if (child + 1 < t->n && kv_before(t, t->heap[child + 1], t->heap[child]))
            child++;
        if (!kv_before(t, t->heap[child], slot))
            break;
        kv_heap_set(t, pos, t->heap[child]);
        pos = child;
    }
    kv_heap_set(t, pos, slot);
}

static void kv_heap_remove(kv_timers *t, unsigned pos)
{
    unsigned last = t->heap[--t->n];
    if (pos == t->n)
        return;
    kv_heap_set(t, pos, last);
    if (pos > 0 && kv_before(t, last, t->heap[(pos - 1) / 2]))
        kv_sift_up(t, pos);
    else
        kv_sift_down(t, pos);
}

static void kv_slot_release(kv_timers *t, unsigned slot)
{
    kv_tslot *s = &t->slots[slot];
    s->pending = 0;
    s->gen++;
    s->fn = NULL;
    s->arg = NULL;
    s->next_free = t->free;
    t->free = slot + 1;
}

static unsigned kv_slot_take(kv_timers *t)
{
    unsigned slot;
    if (!t->free) {
        unsigned cap = t->cap ? t->cap * 2 : 16, i;
        kv_tslot *s = realloc(t->slots, cap * sizeof *s);
        unsigned *h = realloc(t->heap, cap * sizeof *h);
        if (!s || !h)
            abort();
        memset(s + t->cap, 0, (cap - t->cap) * sizeof *s);
        t->slots = s;
        t->heap = h;
        for (i = cap; i > t->cap; i--) {
            s[i - 1].next_free = t->free;
            t->free = i;
        }
        t->cap = cap;
    }
    slot = t->free - 1;
    t->free = t->slots[slot].next_free;
    return slot;
}

kv_timer_id kv_timers_add(kv_timers *t, long long now_us, long long delay_us,
                          long long period_us, kv_timer_fn fn, void *arg)
{
    unsigned slot = kv_slot_take(t);
    kv_tslot *s = &t->slots[slot];
    s->when = now_us + (delay_us > 0 ? delay_us : 0);
    s->period = period_us > 0 ? period_us : 0;
    s->seq = ++t->seq;
    s->fn = fn;
    s->arg = arg;
    s->pending = 1;
    t->heap[t->n] = slot;
    s->pos = t->n++;
    kv_sift_up(t, s->pos);
    return ((unsigned long long)s->gen << 32) | (slot + 1);
}

/* The slot a handle names, if that timer is still pending. */
static kv_tslot *kv_timer_slot(kv_timers *t, kv_timer_id id, unsigned *slot)
{
    unsigned idx = (unsigned)(id & 0xffffffffu);
    kv_tslot *s;
    if (idx == 0 || idx > t->cap)
        return NULL;
    s = &t->slots[idx - 1];
    if (!s->pending || s->gen != (unsigned)(id >> 32))
        return NULL;
    *slot = idx - 1;
    return s;
}

int kv_timers_cancel(kv_timers *t, kv_timer_id id)
{
    unsigned slot;
    kv_tslot *s = kv_timer_slot(t, id, &slot);
    if (!s)
        return 0;
    kv_heap_remove(t, s->pos);
    kv_slot_release(t, slot);
    return 1;
}

long long kv_timers_next(const kv_timers *t)
{
    return t->n ? t->slots[t->heap[0]].when : -1;
}

int kv_timers_run(kv_timers *t, long long now_us, kv_shard *sh)
{
    unsigned long long last = t->seq; /* timers added from here on wait */
    int fired = 0;
    while (t->n) {
        unsigned slot = t->heap[0];
        kv_tslot *s = &t->slots[slot];
        kv_timer_fn fn;
        void *arg;
        if (s->when > now_us || s->seq > last)
            break;
        fn = s->fn;
        arg = s->arg;
        if (s->period) {
            /* Re-armed before the call, so the callback may cancel it; a
             * timer that fell behind skips the beats it missed. */
            s->when += s->period;
            if (s->when <= now_us)
                s->when = now_us + s->period;
            s->seq = ++t->seq;
            kv_sift_down(t, 0);
        } else {
            kv_heap_remove(t, 0);
            kv_slot_release(t, slot);
        }
        fn(sh, arg);
        fired++;
    }
    return fired;
}
