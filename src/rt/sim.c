/* kv_sim: several shards in one thread, with clients that have no socket.
 * Each shard's loop turn runs only when asked, so a test or a fuzzer picks
 * the interleaving: which client sends what, which shard moves next, when a
 * client vanishes. The turn is the live shard's own (kv_shard_turn); only
 * the reactor and the threads are missing. */
#include "rt/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kv_sim {
    kv_rt rt;
};

kv_sim *kv_sim_new(const kv_cmdset *cmds, int nshards)
{
    kv_sim *s = calloc(1, sizeof *s);
    int i;
    if (!s || nshards < 1)
        goto fail;
    kv_rt_config_defaults(&s->rt.cfg);
    s->rt.cfg.cmds = *cmds;
    s->rt.cfg.nshards = nshards;
    s->rt.n = nshards;
    s->rt.next_client_id = 1;
    s->rt.loglevel = KV_LOG_WARNING;
    if (!(s->rt.shards = calloc((size_t)nshards, sizeof *s->rt.shards)))
        goto fail;
    for (i = 0; i < nshards; i++)
        if (kv_shard_setup(&s->rt.shards[i], &s->rt, i) < 0)
            goto fail;
    for (i = 0; i < nshards; i++)
        kv_shard_start(&s->rt.shards[i]);
    return s;
fail:
    if (s) {
        for (i = 0; s->rt.shards && i < nshards; i++)
            kv_shard_teardown(&s->rt.shards[i]);
        free(s->rt.shards);
        free(s);
    }
    return NULL;
}

void kv_sim_free(kv_sim *s)
{
    int i;
    if (!s)
        return;
    /* Every shard stops before any ring is emptied: a message may name an
     * operation of another shard, and is freed without being looked at. */
    for (i = 0; i < s->rt.n; i++)
        kv_shard_finish(&s->rt.shards[i]);
    for (i = 0; i < s->rt.n; i++)
        kv_shard_teardown(&s->rt.shards[i]);
    free(s->rt.shards);
    free(s);
}

static kv_conn *kv_sim_conn(kv_sim *s, unsigned long long id)
{
    int i;
    for (i = 0; i < s->rt.n; i++) {
        kv_conn *c = kv_shard_find_conn(&s->rt.shards[i], id);
        if (c)
            return c;
    }
    return NULL;
}

unsigned long long kv_sim_connect(kv_sim *s, int shard)
{
    kv_shard *sh = &s->rt.shards[(shard % s->rt.n + s->rt.n) % s->rt.n];
    const kv_cmdset *cs = &s->rt.cfg.cmds;
    kv_conn *c;
    kv_buf refuse;
    sh->now_us = kv_clock_us();
    if (!(c = kv_conn_new(sh, -1)))
        return 0;
    c->flags |= KV_CONN_FAKE;
    snprintf(c->peer, sizeof c->peer, "127.0.0.1:%llu", 10000 + c->id % 50000);
    snprintf(c->local, sizeof c->local, "127.0.0.1:6379");
    kv_buf_init(&refuse);
    if (cs->conn_open && cs->conn_open(sh, sh->state, c, &refuse) != 0) {
        kv_buf_free(&refuse);
        kv_conn_close(c);
        return 0;
    }
    kv_buf_free(&refuse);
    return c->id;
}

int kv_sim_send(kv_sim *s, unsigned long long id, const char *p, size_t n)
{
    kv_conn *c = kv_sim_conn(s, id);
    if (!c)
        return -1;
    c->sh->now_us = kv_clock_us();
    c->sh->mono_us = kv_mono_us();
    kv_buf_append(&c->in, p, n);
    kv_conn_input(c);
    return 0;
}

int kv_sim_recv(kv_sim *s, unsigned long long id, kv_buf *out)
{
    kv_conn *c = kv_sim_conn(s, id);
    if (!c)
        return -1;
    if (c->out.len > c->out_sent) {
        kv_buf_append(out, c->out.p + c->out_sent, c->out.len - c->out_sent);
        c->sent_total += c->out.len - c->out_sent; /* as a write counts it */
    }
    c->out.len = c->out_sent = 0;
    /* What a flush does once the last reply is out (QUIT, a kill from
     * inside a command), and what it resumes (input paused on output). */
    if ((c->flags & KV_CONN_CLOSE_AFTER_REPLY) && c->inflight == 0 &&
        c->seq_done == c->seq_next) {
        kv_conn_close(c);
        return -1;
    }
    kv_shard_resume_later(c->sh, c);
    return 0;
}

void kv_sim_close(kv_sim *s, unsigned long long id)
{
    kv_conn *c = kv_sim_conn(s, id);
    if (c)
        kv_conn_close(c);
}

int kv_sim_turn(kv_sim *s, int shard)
{
    kv_shard *sh = &s->rt.shards[(shard % s->rt.n + s->rt.n) % s->rt.n];
    sh->now_us = kv_clock_us();
    sh->mono_us = kv_mono_us();
    return kv_shard_turn(sh);
}

void kv_sim_tick(kv_sim *s)
{
    int i;
    for (i = 0; i < s->rt.n; i++) {
        kv_shard *sh = &s->rt.shards[i];
        sh->now_us = kv_clock_us();
        sh->mono_us = kv_mono_us();
        kv_shard_cron(sh, NULL);
        kv_shard_turn(sh);
    }
}

/* Is anything still moving: a message in a ring or an outbox, a client to
 * resume, work in flight? */
static int kv_sim_busy(kv_sim *s)
{
    int i, j;
    for (i = 0; i < s->rt.n; i++) {
        kv_shard *sh = &s->rt.shards[i];
        if (sh->rlist || sh->inflight_total > 0)
            return 1;
        for (j = 0; j < s->rt.n; j++)
            if (sh->outbox[j].head || (j != i && kv_ring_pending(&sh->in_rings[j])))
                return 1;
    }
    return 0;
}

int kv_sim_settle(kv_sim *s, int max_rounds)
{
    int r, i;
    for (r = 0; r < max_rounds; r++) {
        if (!kv_sim_busy(s))
            return 0;
        for (i = 0; i < s->rt.n; i++)
            kv_sim_turn(s, i);
    }
    return kv_sim_busy(s) ? -1 : 0;
}

void kv_sim_gauges(kv_sim *s, kv_shard_gauges *total)
{
    int i;
    memset(total, 0, sizeof *total);
    for (i = 0; i < s->rt.n; i++) {
        kv_shard_gauges g;
        kv_shard_gauges_get(&s->rt.shards[i], &g);
        total->inflight += g.inflight;
        total->locks_held += g.locks_held;
        total->lock_waiters += g.lock_waiters;
        total->operations += g.operations;
        total->closing_clients += g.closing_clients;
    }
}
