/* Per-shard timers: a binary min-heap of deadlines (O(log n) add, cancel
 * and expiry) over a slot table, so a timer's handle stays valid while the
 * heap reorders and a stale handle (fired or cancelled) is recognised by its
 * generation. The clock is the caller's (microseconds, monotonic), which
 * keeps this file free of time sources and testable with a fake clock. */
#ifndef KV_RT_TIMER_H
#define KV_RT_TIMER_H

#include "kevy/rt.h"

typedef struct kv_tslot kv_tslot;

typedef struct kv_timers {
    kv_tslot *slots;
    unsigned *heap; /* slot indexes, ordered by deadline */
    unsigned n;     /* timers pending (heap size) */
    unsigned cap;   /* slots allocated */
    unsigned free;  /* first free slot + 1, 0 if none */
    unsigned long long seq; /* timers ever added: ties go to the older */
} kv_timers;

void kv_timers_init(kv_timers *t);
void kv_timers_free(kv_timers *t);
/* A timer due `delay_us` after `now_us`, then every `period_us` (0: once). */
kv_timer_id kv_timers_add(kv_timers *t, long long now_us, long long delay_us,
                          long long period_us, kv_timer_fn fn, void *arg);
/* 1 if the timer was pending (it will not fire), 0 if it already fired,
 * was cancelled, or never existed. */
int kv_timers_cancel(kv_timers *t, kv_timer_id id);
/* The earliest deadline, or -1 with no timer pending. */
long long kv_timers_next(const kv_timers *t);
/* Fire every timer due at `now_us`, earliest first; a timer added by a
 * callback fires in a later call even if it is already due, so a callback
 * that re-arms itself with no delay cannot keep this loop going. Returns the
 * number fired. */
int kv_timers_run(kv_timers *t, long long now_us, kv_shard *sh);

#endif
