/* Reply order on a connection: every command takes the next sequence
 * number; a reply completed in order goes straight to the output buffer,
 * one completed early waits in a ring of pending slots until every earlier
 * one is out. Pushes (kv_shard_push) take their place after the replies of
 * the commands issued when they arrive; a suspended command's reply comes
 * later in its own slot. tests/unit/test_order.c drives random orders. */
#include "rt/internal.h"

#include <stdlib.h>

static kv_pending *kv_conn_slot(kv_conn *c, unsigned long long seq)
{
    size_t need = (size_t)(seq - c->seq_done) + 1;
    if (need > c->pend_cap) {
        size_t cap = c->pend_cap ? c->pend_cap : 8, i;
        kv_pending *p;
        while (cap < need)
            cap *= 2;
        p = calloc(cap, sizeof *p);
        if (!p)
            abort();
        /* Unwrap the old ring so slot 0 is seq_done again. */
        for (i = 0; i < c->pend_cap; i++)
            p[i] = c->pend[(c->pend_head + i) % c->pend_cap];
        for (i = c->pend_cap; i < cap; i++) {
            kv_buf_init(&p[i].buf);
            kv_buf_init(&p[i].after);
        }
        free(c->pend);
        c->pend = p;
        c->pend_cap = cap;
        c->pend_head = 0;
    }
    return &c->pend[(c->pend_head + (size_t)(seq - c->seq_done)) % c->pend_cap];
}

kv_buf *kv_conn_reply_buf(kv_conn *c, unsigned long long seq)
{
    if (seq == c->seq_done)
        return &c->out;
    return &kv_conn_slot(c, seq)->buf;
}

static void kv_conn_take(kv_conn *c, kv_buf *src)
{
    if (kv_buf_empty(&c->out) && src->cap > c->out.cap) {
        kv_buf t = c->out; /* a big reply: adopt its buffer, no copy */
        c->out = *src;
        *src = t;
    } else {
        kv_buf_move(&c->out, src); /* spans (big values) move, not copied */
    }
    kv_buf_clear(src);
}

/* Reply seq_done is all in `out` now: note where it ends, if asked. */
static void kv_conn_tracked_out(kv_conn *c)
{
    int i;
    for (i = 0; i < c->ntracked; i++)
        if (c->tracked[i].seq == c->seq_done) {
            c->tracked[i].end = c->sent_total + kv_conn_unsent(c);
            c->tracked[i].out = 1;
        }
}

void kv_conn_track_reply(kv_conn *c, unsigned long long seq)
{
    if (c->ntracked == c->tracked_cap) {
        int cap = c->tracked_cap ? 2 * c->tracked_cap : 4;
        struct kv_tracked *t = realloc(c->tracked, (size_t)cap * sizeof *t);
        if (!t)
            abort();
        c->tracked = t;
        c->tracked_cap = cap;
    }
    c->tracked[c->ntracked].seq = seq;
    c->tracked[c->ntracked].end = 0;
    c->tracked[c->ntracked].out = 0;
    c->ntracked++;
}

int kv_conn_reply_sent(kv_conn *c, unsigned long long seq)
{
    int i;
    for (i = 0; i < c->ntracked; i++) {
        if (c->tracked[i].seq != seq)
            continue;
        if (!c->tracked[i].out || c->sent_total < c->tracked[i].end)
            return 0;
        c->tracked[i] = c->tracked[--c->ntracked];
        return 1;
    }
    return 1;
}

void kv_conn_reply_done(kv_conn *c, unsigned long long seq, kv_buf *src)
{
    if (c->flags & KV_CONN_CLOSED)
        return;
    if (seq != c->seq_done) {
        kv_pending *slot = kv_conn_slot(c, seq);
        if (src) {
            kv_buf t = slot->buf;
            slot->buf = *src;
            *src = t;
            kv_buf_clear(src);
        }
        slot->ready = 1;
        return;
    }
    if (src)
        kv_conn_take(c, src);
    for (;;) {
        kv_pending *slot;
        /* Pushes that arrived while this reply was pending follow it. */
        if (c->pend_cap && c->pend[c->pend_head].after.len)
            kv_conn_take(c, &c->pend[c->pend_head].after);
        if (c->ntracked)
            kv_conn_tracked_out(c);
        c->seq_done++;
        if (c->pend_cap)
            c->pend_head = (c->pend_head + 1) % c->pend_cap;
        if (c->seq_done == c->seq_next || !c->pend_cap)
            break;
        slot = &c->pend[c->pend_head];
        if (!slot->ready)
            break;
        kv_conn_take(c, &slot->buf);
        slot->ready = 0;
    }
    kv_shard_write_later(c->sh, c);
    kv_cmem_touch(c);
}

void kv_conn_push(kv_conn *c, const char *p, size_t n)
{
    if (c->flags & KV_CONN_CLOSED)
        return;
    if (c->seq_done == c->seq_next) {
        kv_buf_append(&c->out, p, n);
        kv_shard_write_later(c->sh, c);
    } else {
        /* Behind the reply of the last command issued, still pending. */
        kv_buf_append(&kv_conn_slot(c, c->seq_next - 1)->after, p, n);
    }
    kv_cmem_touch(c); /* a subscriber's messages count toward client eviction */
}
