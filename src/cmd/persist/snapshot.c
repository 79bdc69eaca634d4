/* One shard's part of a point-in-time snapshot, taken from its own loop
 * without fork: at the cut every database marks its entries unsaved
 * (store/db.h); a walk then serializes them a slice per millisecond, and
 * any entry touched before the walk reaches it is serialized first, as it
 * was at the cut. Entries go out in chunks of one database each to the
 * saver thread (saver.c). Memory beyond the keyspace: the chunks in flight. */
#include "cmd/persist/aof_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/config/cfg.h"
#include "store/evict.h"
#include "store/rdbfile.h"

#define CHUNK_BYTES (64 * 1024)
#define BACKLOG_MAX (64u * 1024 * 1024) /* queued for the saver: the walk waits above it */
#define SLICE_US 100                    /* walk time per timer tick (every ms): 10% of the core */

typedef struct snapdb {
    kv_snap *s;
    kv_db *db;  /* NULL: nothing (left) to walk */
    int index;  /* its number at the cut (SWAPDB later does not change it) */
    int orphan; /* FLUSHDB took it out of the keyspace: freed when walked */
} snapdb;

struct kv_snap {
    kv_cmdstate *st;
    kv_savejob *job;
    snapdb *dbs;
    int ndb, cur;
    unsigned long cursor;
    kv_buf chunk;
    int chunk_db;
    long long chunk_keys;
    int compress, discard;
    long long keys;
    kv_timer_id timer;
};

static long long mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void flush_chunk(kv_snap *s)
{
    if (s->chunk.len == 0)
        return;
    kv_savejob_push(s->job, s->chunk_db, s->chunk.p, s->chunk.len, s->chunk_keys);
    kv_buf_init(&s->chunk);
    s->chunk_keys = 0;
}

/* What Redis saves beside a key: its idle time under an LRU policy, its
 * LFU counter under an LFU one, nothing otherwise. */
static long long lru_idle(const kv_cmdstate *st, const kv_obj *val)
{
    const char *p = kv_cfg_get(st->cfg, "maxmemory-policy");
    if (!strstr(p, "lru"))
        return -1;
    return (long long)(kv_lru_idle_ms(kv_obj_lru(val), st->ks->lru_clock) / 1000);
}

static int lfu_freq(const kv_cmdstate *st, const kv_obj *val)
{
    if (!st->ks->lfu)
        return -1;
    return (int)kv_lfu_value(kv_obj_lru(val), kv_shard_now_ms(st->shard), st->ks->lfu_decay_time);
}

/* The db hands over an entry not saved yet (the walk's, or one about to be
 * touched): append it as it is now, which is as it was at the cut. */
static void presave(void *arg, kv_db *db, kv_entry *e)
{
    snapdb *d = arg;
    kv_snap *s = d->s;
    long long when = kv_entry_has_expire(e) ? kv_db_get_expire(db, e) : -1;
    kv_obj *val = kv_entry_val(e);
    const char *key;
    size_t klen;
    /* An expired key would be dropped by any loader: leave it out. */
    if (s->discard || !val || (when >= 0 && when < kv_shard_now_ms(s->st->shard)))
        return;
    if (s->chunk_db != d->index) {
        flush_chunk(s);
        s->chunk_db = d->index;
    }
    key = kv_entry_key(e, &klen);
    if (s->job->resp) { /* an AOF base without the RDB preamble */
        kv_aof_write_key(&s->chunk, key, klen, val, when);
        s->keys++;
        s->chunk_keys++;
    } else if (kv_rdbf_write_key_ex(&s->chunk, key, klen, val, when, lru_idle(s->st, val),
                                    lfu_freq(s->st, val), s->compress) == KV_RDB_OK) {
        s->keys++;
        s->chunk_keys++;
    }
    if (s->chunk.len >= CHUNK_BYTES)
        flush_chunk(s);
}

static void walk_visit(void *arg, kv_entry *e)
{
    snapdb *d = arg;
    kv_db_snapshot_take(d->db, e);
}

static void db_done(snapdb *d)
{
    kv_db_snapshot_end(d->db);
    if (d->orphan)
        kv_db_free(d->db);
    d->db = NULL;
}

static void finish(kv_snap *s)
{
    kv_cmdstate *st = s->st;
    flush_chunk(s);
    kv_buf_free(&s->chunk);
    if (s->timer)
        kv_timer_cancel(st->shard, s->timer);
    kv_savejob_shard_done(s->job, s->keys);
    free(s->dbs);
    free(s);
    st->snap = NULL;
}

/* Walk until done, or until the slice is used (budget_us < 0: no limit). */
static void walk(kv_snap *s, long long budget_us)
{
    long long start = budget_us >= 0 ? mono_us() : 0;
    unsigned n = 0;
    while (s->cur < s->ndb) {
        snapdb *d = &s->dbs[s->cur];
        if (!d->db) {
            s->cur++;
            s->cursor = 0;
            continue;
        }
        s->cursor = kv_db_scan(d->db, s->cursor, walk_visit, d);
        if (s->cursor == 0) {
            db_done(d);
            continue;
        }
        if (budget_us >= 0 && (++n & 31) == 0 && mono_us() - start > budget_us)
            return;
    }
    finish(s);
}

static void on_timer(kv_shard *sh, void *arg)
{
    kv_snap *s = arg;
    (void)sh;
    if (!s->discard && kv_savejob_backlog(s->job) > BACKLOG_MAX)
        return; /* the disk is behind: the entries wait in the keyspace */
    walk(s, SLICE_US);
}

void kv_snap_begin(kv_cmdstate *st, kv_savejob *job, int sync)
{
    kv_keyspace *ks = st->ks;
    kv_snap *s = calloc(1, sizeof *s);
    int i;
    if (!s || !(s->dbs = calloc((size_t)ks->ndb, sizeof *s->dbs)))
        abort();
    s->st = st;
    s->job = job;
    s->ndb = ks->ndb;
    s->chunk_db = -1;
    s->compress = job->compress;
    kv_buf_init(&s->chunk);
    for (i = 0; i < ks->ndb; i++) {
        snapdb *d = &s->dbs[i];
        d->s = s;
        d->index = i;
        if (kv_db_size(ks->db[i]) == 0)
            continue;
        d->db = ks->db[i];
        kv_db_snapshot_begin(d->db, presave, d);
    }
    kv_savejob_cut(job, kv_shard_id(st->shard), st->dirty);
    st->snap = s;
    if (sync)
        walk(s, -1);
    else
        s->timer = kv_timer_add(st->shard, 1, 1, on_timer, s);
}

int kv_snap_take_db(kv_cmdstate *st, int db)
{
    kv_snap *s = st->snap;
    int i;
    if (!s)
        return 0;
    for (i = 0; i < s->ndb; i++) {
        snapdb *d = &s->dbs[i];
        if (d->db && d->db == st->ks->db[db] && !d->orphan) {
            d->orphan = 1;
            st->ks->db[db] = kv_db_new(st->srv->seed);
            return 1;
        }
    }
    return 0;
}

void kv_snap_cancel(kv_cmdstate *st)
{
    kv_snap *s = st->snap;
    kv_persist *p = st->srv->persist;
    int i;
    /* The job first: every shard may be done while the saver still writes. */
    pthread_mutex_lock(&p->mu);
    if (p->bg) {
        kv_savejob_cancel(p->bg);
        p->bg = NULL; /* a new BGSAVE may start at once */
    }
    pthread_mutex_unlock(&p->mu);
    if (!s)
        return;
    kv_savejob_cancel(s->job);
    /* Taken databases are dropped; any other must still be walked so that
     * every entry ends up marked (without output). */
    for (i = 0; i < s->ndb; i++)
        if (s->dbs[i].db && s->dbs[i].orphan)
            db_done(&s->dbs[i]);
    s->discard = 1;
    kv_buf_free(&s->chunk);
    kv_buf_init(&s->chunk);
    walk(s, -1);
}

static void snap_abandon(kv_cmdstate *st, kv_snap *s);

void kv_snap_free(kv_cmdstate *st)
{
    kv_snap *s = st->snap;
    if (s)
        snap_abandon(st, s);
    kv_savejob_shard_fini(st->shard, st); /* then the BGSAVEs it owns */
}

/* Shutting down mid-save: this shard's part ends, the job is cancelled. */
static void snap_abandon(kv_cmdstate *st, kv_snap *s)
{
    int i;
    /* Shutting down mid-save: the job is cancelled, its file never made. */
    kv_savejob_cancel(s->job);
    kv_savejob_shard_done(s->job, 0);
    for (i = 0; i < s->ndb; i++) {
        if (!s->dbs[i].db)
            continue;
        if (s->dbs[i].orphan)
            kv_db_free(s->dbs[i].db);
        else
            kv_db_snapshot_end(s->dbs[i].db);
    }
    if (s->timer)
        kv_timer_cancel(st->shard, s->timer);
    kv_buf_free(&s->chunk);
    free(s->dbs);
    free(s);
    st->snap = NULL;
}
