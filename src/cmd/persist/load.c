/* Loading dump.rdb: at startup, before any shard runs, into one new
 * keyspace per shard (keys go to the shard their slot maps to with this
 * run's shard count, so a restart with another count redistributes them);
 * each shard adopts its keyspace when it starts. Like a Redis master, keys
 * already expired are not loaded, and a duplicate key stops the load. */
#include "cmd/persist/persist_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "cmd/config/cfg.h"
#include "store/evict.h"
#include "store/rdbfile.h"

typedef struct loadctx {
    kv_keyspace **ks;
    int nshards, only, ndb, merge;
    long long now_ms;
    unsigned lru_clock;
    int clock_given; /* lru_clock is the live keyspace's (DEBUG RELOAD) */
    int lfu; /* an LFU maxmemory policy: the lru field holds the LFU pair */
    long long loaded, expired;
    long long key_delay_us; /* key-load-delay: a test's slow load */
    const kv_persist_fns *fns; /* function libraries go there (NULL: skipped) */
} loadctx;

static int on_function(void *arg, const char *code, size_t n, char *err, size_t errlen)
{
    loadctx *l = arg;
    if (!l->fns || !l->fns->load)
        return 0;
    return l->fns->load(l->fns->arg, code, n, err, errlen);
}

static int on_key(void *arg, int db, const char *key, size_t klen, kv_obj *val, long long expire_ms,
                  long long idle_s, int freq, char *err, size_t errlen)
{
    loadctx *l = arg;
    kv_entry *e;
    int shard, created;
    if (l->key_delay_us > 0) { /* Redis's debugDelay per key loaded */
        struct timespec ts;
        ts.tv_sec = (time_t)(l->key_delay_us / 1000000);
        ts.tv_nsec = (long)(l->key_delay_us % 1000000) * 1000;
        nanosleep(&ts, NULL);
    }
    if (db < 0 || db >= l->ndb) {
        snprintf(err, errlen, "FATAL: Data file was created with a Redis server configured to "
                 "handle more than %d databases. Exiting", l->ndb);
        kv_obj_free(val);
        return -1;
    }
    shard = kv_slot_shard(kv_key_slot(key, klen), l->nshards);
    if (l->only >= 0 && shard != l->only) {
        kv_obj_free(val);
        return 0;
    }
    if (expire_ms >= 0 && expire_ms < l->now_ms) {
        l->expired++;
        kv_obj_free(val);
        return 0;
    }
    e = kv_db_upsert(l->ks[l->only >= 0 ? 0 : shard]->db[db], key, klen, &created);
    if (!created && l->merge) {
        kv_db_persist(l->ks[l->only >= 0 ? 0 : shard]->db[db], e); /* the file's TTL, or none */
    } else if (!created) {
        snprintf(err, errlen, "RDB has duplicated key '%.*s' in DB %d", (int)(klen > 128 ? 128 : klen),
                 key, db);
        kv_obj_free(val);
        return -1;
    }
    /* Redis's objectSetLRUOrLFU: the FREQ under LFU, the IDLE otherwise. */
    if (l->lfu)
        kv_obj_set_lru(val, freq >= 0 ? kv_lfu_with_freq(l->now_ms, (unsigned)freq)
                                      : kv_lfu_fresh(l->now_ms));
    else
        kv_obj_set_lru(val, idle_s >= 0 ? kv_lru_from_idle(l->lru_clock, idle_s) : l->lru_clock);
    kv_db_set_val(l->ks[l->only >= 0 ? 0 : shard]->db[db], e, val);
    if (expire_ms >= 0)
        kv_db_set_expire(l->ks[l->only >= 0 ? 0 : shard]->db[db], e, expire_ms);
    l->loaded++;
    return 0;
}

static long long wall_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static int load_into(loadctx *l, const char *path, const kv_enc_limits *lim, const uint8_t *seed,
                     char *err, size_t errlen)
{
    kv_rdbf_load_cb cb;
    kv_rdbf_load_info info;
    memset(&cb, 0, sizeof cb);
    cb.arg = l;
    cb.key = on_key;
    cb.function = on_function;
    l->now_ms = wall_ms();
    if (!l->clock_given)
        l->lru_clock = (unsigned)(l->now_ms / 1000) & ((1u << 24) - 1);
    return kv_rdbf_load_file(path, lim, seed, 1, &cb, &info, err, errlen);
}

int kv_persist_load_startup(kv_server *srv, char *err, size_t errlen)
{
    kv_persist *p = srv->persist;
    const kv_cfg *cfg = srv->cfg;
    char path[PATH_MAX];
    loadctx l;
    long long t0 = wall_ms();
    int i, rc;
    if (!cfg)
        return 0;
    if (*kv_cfg_get(cfg, "dir"))
        snprintf(path, sizeof path, "%s/%s", kv_cfg_get(cfg, "dir"), kv_cfg_get(cfg, "dbfilename"));
    else
        snprintf(path, sizeof path, "%s", kv_cfg_get(cfg, "dbfilename"));
    memset(&l, 0, sizeof l);
    l.nshards = srv->nshards;
    l.only = -1;
    l.ndb = srv->databases;
    l.lfu = strstr(kv_cfg_get(cfg, "maxmemory-policy"), "lfu") != NULL;
    if (!(l.ks = calloc((size_t)srv->nshards, sizeof *l.ks)))
        abort();
    for (i = 0; i < srv->nshards; i++)
        l.ks[i] = kv_ks_new(srv->databases, srv->seed);
    l.key_delay_us = kv_cfg_ll(cfg, "key-load-delay");
    l.fns = &p->fns;
    rc = load_into(&l, path, &cfg->enc, srv->seed, err, errlen);
    if (rc < 0) {
        for (i = 0; i < srv->nshards; i++)
            kv_ks_free(l.ks[i]);
        free(l.ks);
        return -1;
    }
    p->preload = l.ks;
    p->npreload = srv->nshards;
    p->load_loaded = l.loaded;
    p->load_expired = l.expired;
    if (rc == 0)
        kv_shard_log(NULL, 2, "DB loaded from disk: %.3f seconds (%lld keys, %lld expired)",
                     (double)(wall_ms() - t0) / 1000, l.loaded, l.expired);
    return 0;
}

kv_keyspace *kv_persist_take_preload(kv_persist *p, int shard)
{
    kv_keyspace *ks = NULL;
    if (!p)
        return NULL;
    pthread_mutex_lock(&p->mu);
    if (shard < p->npreload) {
        ks = p->preload[shard];
        p->preload[shard] = NULL;
    }
    pthread_mutex_unlock(&p->mu);
    return ks;
}

int kv_persist_load_shard(kv_cmdstate *st, const char *path, int flush, int merge, char *err,
                          size_t errlen)
{
    loadctx l;
    kv_keyspace *into = flush ? kv_ks_new(st->srv->databases, st->srv->seed) : st->ks;
    int i, rc;
    memset(&l, 0, sizeof l);
    l.ks = &into;
    l.nshards = st->srv->nshards;
    l.only = kv_shard_id(st->shard);
    l.ndb = st->srv->databases;
    l.merge = merge;
    l.lfu = st->ks->lfu;
    /* The clock OBJECT IDLETIME will read (the tick's): a fresher one would
     * make a loaded idle time read a second short. */
    l.lru_clock = st->ks->lru_clock;
    l.clock_given = 1;
    err[0] = '\0';
    l.key_delay_us = kv_cfg_ll(st->cfg, "key-load-delay");
    if (l.only == 0) /* the libraries are the server's: one shard loads them */
        l.fns = &st->srv->persist->fns;
    rc = load_into(&l, path, &st->cfg->enc, st->srv->seed, err, errlen);
    if (rc == 1)
        snprintf(err, errlen, "Can't open the RDB file %s: No such file or directory", path);
    if (rc != 0) {
        if (flush)
            kv_ks_free(into);
        return -1;
    }
    pthread_mutex_lock(&st->srv->persist->mu); /* DEBUG RELOAD reset them first */
    st->srv->persist->load_loaded += l.loaded;
    st->srv->persist->load_expired += l.expired;
    pthread_mutex_unlock(&st->srv->persist->mu);
    if (flush) { /* the loaded databases replace the old ones */
        for (i = 0; i < st->ks->ndb; i++) {
            kv_db *t = st->ks->db[i];
            st->ks->db[i] = into->db[i];
            into->db[i] = t;
        }
        kv_ks_free(into);
    }
    return 0;
}

int kv_persist_load_file_into(const kv_server *srv, int nshards, kv_keyspace *ks, int shard,
                              const char *path, char *err, size_t errlen)
{
    loadctx l;
    int rc;
    memset(&l, 0, sizeof l);
    l.ks = &ks;
    l.nshards = nshards;
    l.only = shard;
    l.ndb = srv->databases;
    l.key_delay_us = kv_cfg_ll(srv->cfg, "key-load-delay");
    l.fns = &srv->persist->fns; /* each shard's base has them (its replay starts from none) */
    rc = load_into(&l, path, &srv->cfg->enc, srv->seed, err, errlen);
    if (rc == 1)
        snprintf(err, errlen, "Can't open the AOF base file %s: No such file or directory", path);
    return rc == 0 ? 0 : -1;
}
