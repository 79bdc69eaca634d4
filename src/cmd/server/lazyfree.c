/* Lazy free: one background thread of the server frees the values and
 * databases the shards hand it (Redis's bio lazy-free jobs). A value is
 * unreachable from every keyspace once handed over, and malloc's memory may
 * be freed by any thread, so the thread needs nothing but the pointer. The
 * thread starts on the first job; the counts are INFO's. */
#include "cmd/server/lazyfree.h"

#include <pthread.h>
#include <stdlib.h>

#include "cmd/config/cfg.h"
#include "rt/atomic.h"
#include "store/quicklist.h"
#include "store/t_hash.h"
#include "store/t_list.h"
#include "store/t_set.h"
#include "store/t_stream.h"
#include "store/t_zset.h"

typedef struct lf_job {
    struct lf_job *next;
    kv_obj *obj;     /* a value, or */
    kv_db *db;       /* a whole database */
    long long count; /* what it counts as in lazyfree_pending_objects */
} lf_job;

struct kv_lazyfree {
    pthread_mutex_t mu;
    pthread_cond_t cv;      /* jobs queued, or stop */
    pthread_cond_t idle_cv; /* the queue ran dry (drain) */
    lf_job *head, *tail;   /* under mu */
    int busy;              /* under mu: a job is being freed */
    int started, stop;     /* under mu */
    pthread_t thread;
    long long pending; /* atomic: INFO reads it without the mutex */
    long long freed;   /* atomic */
};

size_t kv_lazyfree_effort(const kv_obj *o)
{
    switch (kv_obj_type(o)) {
    case KV_TYPE_LIST:
        return kv_obj_encoding(o) == KV_ENC_QUICKLIST ? kv_list_ql(o)->nodes : 1;
    case KV_TYPE_SET:
        return kv_obj_encoding(o) == KV_ENC_HT ? kv_set_size(o) : 1;
    case KV_TYPE_ZSET:
        return kv_obj_encoding(o) == KV_ENC_SKIPLIST ? kv_zset_len(o) : 1;
    case KV_TYPE_HASH:
        return kv_obj_encoding(o) == KV_ENC_HT ? kv_hash_len(o) : 1;
    case KV_TYPE_STREAM:
        return kv_stream_rax_nodes((const kv_stream *)kv_obj_ptr(o));
    default:
        return 1;
    }
}

static void *lf_main(void *arg)
{
    kv_lazyfree *lf = arg;
    lf_job *j;
    kv_thread_name("kevy-lazyfree");
    pthread_mutex_lock(&lf->mu);
    for (;;) {
        while (!lf->head && !lf->stop)
            pthread_cond_wait(&lf->cv, &lf->mu);
        if (!lf->head)
            break; /* stopped, and nothing left */
        j = lf->head;
        lf->head = j->next;
        if (!lf->head)
            lf->tail = NULL;
        lf->busy = 1;
        pthread_mutex_unlock(&lf->mu);
        if (j->obj)
            kv_obj_free(j->obj);
        else
            kv_db_free(j->db);
        kv_atomic_fetch_add_relaxed(&lf->pending, -j->count);
        kv_atomic_fetch_add_relaxed(&lf->freed, j->count);
        free(j);
        pthread_mutex_lock(&lf->mu);
        lf->busy = 0;
        if (!lf->head)
            pthread_cond_broadcast(&lf->idle_cv);
    }
    pthread_mutex_unlock(&lf->mu);
    return NULL;
}

kv_lazyfree *kv_lazyfree_new(void)
{
    kv_lazyfree *lf = calloc(1, sizeof *lf);
    if (!lf)
        abort();
    pthread_mutex_init(&lf->mu, NULL);
    pthread_cond_init(&lf->cv, NULL);
    pthread_cond_init(&lf->idle_cv, NULL);
    return lf;
}

static void lf_push(kv_lazyfree *lf, kv_obj *o, kv_db *db, long long count)
{
    lf_job *j = malloc(sizeof *j);
    if (!j)
        abort();
    j->next = NULL;
    j->obj = o;
    j->db = db;
    j->count = count;
    kv_atomic_fetch_add_relaxed(&lf->pending, count);
    pthread_mutex_lock(&lf->mu);
    if (!lf->started) {
        if (pthread_create(&lf->thread, NULL, lf_main, lf) != 0)
            abort();
        lf->started = 1;
    }
    if (lf->tail)
        lf->tail->next = j;
    else
        lf->head = j;
    lf->tail = j;
    pthread_cond_signal(&lf->cv);
    pthread_mutex_unlock(&lf->mu);
}

void kv_lazyfree_obj(kv_lazyfree *lf, kv_obj *o)
{
    if (!o)
        return;
    if (!lf || kv_lazyfree_effort(o) <= KV_LAZYFREE_THRESHOLD) {
        kv_obj_free(o);
        return;
    }
    lf_push(lf, o, NULL, 1);
}

static void lf_drop(void *arg, kv_obj *o)
{
    kv_lazyfree_obj(arg, o);
}

void kv_lazyfree_apply(kv_cmdstate *st)
{
    const kv_cfg *cfg = st->cfg;
    unsigned lazy = 0;
    if (kv_cfg_yes(cfg, "lazyfree-lazy-expire"))
        lazy |= KV_LAZY_EXPIRE;
    if (kv_cfg_yes(cfg, "lazyfree-lazy-server-del"))
        lazy |= KV_LAZY_SERVER_DEL;
    if (kv_cfg_yes(cfg, "lazyfree-lazy-eviction"))
        lazy |= KV_LAZY_EVICT;
    /* With every setting at no the keyspace frees at once: one branch on
     * `lazy` where a value is dropped. */
    st->ks->lazy = st->srv->lazyfree ? lazy : 0;
    st->ks->drop = lf_drop;
    st->ks->drop_arg = st->srv->lazyfree;
}

void kv_lazyfree_db(kv_lazyfree *lf, kv_db *db, long long nkeys)
{
    if (!lf || nkeys == 0) { /* Redis frees an empty database at once */
        kv_db_free(db);
        return;
    }
    lf_push(lf, NULL, db, nkeys);
}

void kv_lazyfree_counts(kv_lazyfree *lf, long long *pending, long long *freed)
{
    *pending = lf ? kv_atomic_load_relaxed(&lf->pending) : 0;
    *freed = lf ? kv_atomic_load_relaxed(&lf->freed) : 0;
}

void kv_lazyfree_drain(kv_lazyfree *lf)
{
    if (!lf)
        return;
    pthread_mutex_lock(&lf->mu);
    while (lf->head || lf->busy)
        pthread_cond_wait(&lf->idle_cv, &lf->mu);
    pthread_mutex_unlock(&lf->mu);
}

void kv_lazyfree_free(kv_lazyfree *lf)
{
    if (!lf)
        return;
    pthread_mutex_lock(&lf->mu);
    lf->stop = 1;
    pthread_cond_signal(&lf->cv);
    pthread_mutex_unlock(&lf->mu);
    if (lf->started)
        pthread_join(lf->thread, NULL); /* it empties the queue before it stops */
    pthread_cond_destroy(&lf->idle_cv);
    pthread_cond_destroy(&lf->cv);
    pthread_mutex_destroy(&lf->mu);
    free(lf);
}
