/* Client memory and client eviction (Redis 7.0's maxmemory-clients): what
 * each connection holds, the shard's sum published for the other shards,
 * and, when the server's sum reaches the limit, closing this shard's
 * largest evictable clients (docs/architecture.md, "Memory limit and
 * eviction", client eviction). */
#include "rt/internal.h"

#include <stdlib.h>

struct kv_cmemslot {
    long long used;      /* this shard's clients, all of them */
    long long evictable; /* those eviction may close */
    long long largest;   /* its largest evictable client (at least: exact after a scan) */
    char pad[64 - 3 * sizeof(long long)];
};

int kv_cmem_setup(kv_shard *sh)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, sizeof(kv_cmemslot)) != 0)
        return -1;
    sh->cmem_pub = p;
    sh->cmem_pub->used = sh->cmem_pub->evictable = sh->cmem_pub->largest = 0;
    return 0;
}

void kv_cmem_teardown(kv_shard *sh)
{
    free(sh->cmem_pub);
    sh->cmem_pub = NULL;
}

/* Redis's getClientMemoryUsage for kevy's connection: the structure, the
 * query buffer, the parser's argument arrays, the output buffer, replies
 * waiting for earlier ones, and what the command set keeps for it (MULTI
 * queue, watched keys, subscriptions). Arguments point into the query
 * buffer, so they are not counted twice. */
size_t kv_conn_memory(kv_conn *c)
{
    const kv_cmdset *cs = &c->sh->rt->cfg.cmds;
    size_t m = sizeof *c + c->in.cap + kv_conn_out_mem(c) + c->parser.inl.cap, i;
    m += (size_t)c->parser.argcap * (sizeof(size_t) + sizeof(kv_str));
    if (c->bigarg.h)
        m += c->bigarg.n + 2; /* a big argument read apart */
    m += c->pend_cap * sizeof(kv_pending) + (size_t)c->tracked_cap * sizeof *c->tracked;
    for (i = 0; i < c->pend_cap; i++)
        m += c->pend[i].buf.cap + c->pend[i].after.cap + kv_buf_size(&c->pend[i].buf) -
             c->pend[i].buf.len;
    if (cs->conn_mem && c->data)
        m += cs->conn_mem(c->sh, c->sh->state, c);
    return m;
}

static int evictable(const kv_conn *c)
{
    return !(c->flags & (KV_CONN_NO_EVICT | KV_CONN_CLOSED | KV_CONN_FAKE | KV_CONN_HIDDEN));
}

/* Only this shard writes its slot (plain relaxed stores); the others read
 * it relaxed: a figure a turn old is good enough, each shard corrects its
 * own. */
static void publish(kv_shard *sh)
{
    sh->stats.clients_memory = sh->cmem;
    if (sh->cmem_pub) {
        kv_atomic_store_relaxed(&sh->cmem_pub->used, sh->cmem);
        kv_atomic_store_relaxed(&sh->cmem_pub->evictable, sh->cmem_evictable);
        kv_atomic_store_relaxed(&sh->cmem_pub->largest, sh->cmem_largest);
    }
}

void kv_cmem_update(kv_conn *c)
{
    kv_shard *sh = c->sh;
    long long m, ev;
    if (c->flags & (KV_CONN_CLOSED | KV_CONN_FAKE))
        return;
    m = (long long)kv_conn_memory(c);
    ev = evictable(c) ? m : 0;
    sh->cmem += m - c->mem;
    sh->cmem_evictable += ev - c->mem_ev;
    c->mem = m;
    c->mem_ev = ev;
    if (ev > sh->cmem_largest) /* shrinking is seen by the next scan */
        sh->cmem_largest = ev;
    publish(sh);
}

void kv_cmem_forget(kv_conn *c)
{
    kv_shard *sh = c->sh;
    sh->cmem -= c->mem;
    sh->cmem_evictable -= c->mem_ev;
    c->mem = c->mem_ev = 0;
    publish(sh);
}

void kv_cmem_refresh(kv_shard *sh)
{
    kv_conn *c;
    for (c = sh->conns; c; c = c->next)
        kv_cmem_update(c);
}

/* The server's sum: this shard's figure and the others' published ones;
 * *defer is set when another shard has a larger evictable client than
 * `largest` (ties go to the lower shard id): that one evicts first. */
static long long server_sum(kv_shard *sh, long long largest, int *defer)
{
    long long sum = sh->cmem;
    int i;
    *defer = -1;
    for (i = 0; i < sh->n; i++) {
        const kv_cmemslot *s = sh->rt->shards[i].cmem_pub;
        long long big;
        if (i == sh->id || !s)
            continue;
        sum += kv_atomic_load_relaxed(&s->used);
        big = kv_atomic_load_relaxed(&s->largest);
        if (big > largest || (big == largest && big > 0 && i < sh->id))
            *defer = i;
    }
    return sum;
}

/* Another shard holds the server's largest evictable client: it evicts
 * first, woken in case it is idle (at most once a millisecond). */
static void wake_peer(kv_shard *sh, int peer)
{
    kv_shard *p = &sh->rt->shards[peer];
    if (p->reactor && sh->now_us - sh->cmem_woke_us >= 1000) {
        sh->cmem_woke_us = sh->now_us;
        kv_reactor_wake(p->reactor);
    }
}

static int by_mem_desc(const void *a, const void *b)
{
    long long ma = (*(kv_conn *const *)a)->mem_ev, mb = (*(kv_conn *const *)b)->mem_ev;
    return ma < mb ? 1 : ma > mb ? -1 : 0;
}

/* Redis's evictClients over the shards: while the server's sum is at or
 * over the limit, the largest evictable client of the server goes. Each
 * shard publishes its largest; the shard holding the largest closes it,
 * the others wait (and wake that shard, which may be idle), so the clients
 * evicted are the server's largest, whichever shard they are on, and two
 * shards do not both evict for the same excess. */
int kv_cevict_run(kv_shard *sh)
{
    long long limit = sh->lim.maxmemory_clients, sum;
    kv_conn **cand, *c;
    size_t n = 0, cap = 0, i;
    int evicted = 0, defer;
    if (!limit)
        return 0;
    if (sh->cmem_evictable <= 0) {
        if (sh->cmem_largest) { /* nothing here: no shard waits for us */
            sh->cmem_largest = 0;
            publish(sh);
        }
        return 0;
    }
    if (server_sum(sh, sh->cmem_largest, &defer) < limit)
        return 0;
    if (defer >= 0) { /* ours is at most cmem_largest: no need to look */
        wake_peer(sh, defer);
        return 0;
    }
    for (c = sh->conns; c; c = c->next)
        cap += c->mem_ev > 0;
    if (!cap || !(cand = malloc(cap * sizeof *cand)))
        return 0;
    for (c = sh->conns; c && n < cap; c = c->next)
        if (c->mem_ev > 0) {
            kv_conn_hold(c); /* closing one runs hooks: each is checked again */
            cand[n++] = c;
        }
    qsort(cand, n, sizeof *cand, by_mem_desc);
    sh->cmem_largest = cand[0]->mem_ev; /* exact again */
    publish(sh);
    for (i = 0; i < n; i++) {
        c = cand[i];
        if (!(c->flags & KV_CONN_CLOSED) && c->mem_ev > 0) {
            sum = server_sum(sh, c->mem_ev, &defer);
            if (sum < limit)
                break;
            if (defer >= 0) {
                wake_peer(sh, defer);
                break;
            }
            kv_rt_log(sh->rt, KV_LOG_NOTICE, "Evicting client: id=%llu addr=%s tot-mem=%lld",
                      c->id, c->peer, c->mem);
            sh->stats.evicted_clients++;
            evicted++;
            kv_conn_kill(c); /* now, or after its reply if its command is running */
            sh->cmem_largest = i + 1 < n ? cand[i + 1]->mem_ev : 0;
            publish(sh);
        }
    }
    for (i = 0; i < n; i++)
        kv_conn_drop(cand[i]);
    free(cand);
    return evicted;
}
