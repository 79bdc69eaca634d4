/* One database (see db.h for the layout and why TTLs live in a side table).
 * Entries are created and destroyed only here, so their memory is counted
 * exactly; values are counted as they are attached, detached and touched
 * (a small list of entries whose value may have changed in place, measured
 * again before the figure is read). */
#include "store/db.h"

#include <string.h>
#include <time.h>

#include "store/dict.h"
#include "store/mem.h"
#include "store/siphash.h"

#define E_TTL 1u          /* header bit: the key has a node in db->expires */
#define E_LONG 2u         /* header bit: length stored as size_t after the header byte */
#define E_SHORT_MAX 63u   /* longest key whose length fits in the header byte */

struct kv_entry {
    kv_dnode node;        /* first: a kv_dnode* is a kv_entry* */
    uintptr_t val;        /* the kv_obj*, its low bit the snapshot mark (E_MARK) */
    unsigned char k[1];   /* header byte, [size_t length], key bytes */
};

typedef struct expnode {
    kv_dnode node;
    kv_entry *e;
    long long when;
} expnode;

#define TOUCHED_MAX 8

struct kv_db {
    kv_dict keys;
    kv_dict expires;
    uint64_t rng;
    unsigned long expire_cursor;
    size_t entry_mem;     /* allocator chunks of entries and expire nodes */
    /* Values: the sum of each attached value's size as last measured. A
     * touched entry (its value may be changing in place) keeps the size it
     * was counted at beside it until it is measured again. */
    long long val_mem;
    int ntouched;
    kv_entry *touched[TOUCHED_MAX];
    size_t touched_mem[TOUCHED_MAX];
    /* Snapshot (see db.h): entries whose mark differs from `mark` are not
     * saved yet; presave is called before one is read, changed or deleted. */
    uintptr_t mark;
    kv_db_presave_fn presave;
    void *presave_arg;
};

/* Values are malloc'd (at least 8-byte aligned), so the low bit of the
 * pointer is free: it carries the entry's snapshot mark at no memory cost. */
#define E_MARK ((uintptr_t)1)

static kv_obj *eval(const kv_entry *e) { return (kv_obj *)(e->val & ~E_MARK); }
static void eset(kv_entry *e, kv_obj *o) { e->val = (uintptr_t)o | (e->val & E_MARK); }

/* The entry is about to be read, changed or deleted while a snapshot runs
 * and has not been saved: save it first (its value as of the snapshot). */
static void presave(kv_db *db, kv_entry *e)
{
    if (db->presave && (e->val & E_MARK) != db->mark) {
        e->val ^= E_MARK;
        db->presave(db->presave_arg, db, e);
    }
}

#define ENTRY_HDR offsetof(kv_entry, k)
#define EXPIRE_CYCLE_KEYS 20
#define EXPIRE_ACCEPTABLE_STALE 10

static size_t entry_size(size_t klen)
{
    return ENTRY_HDR + 1 + (klen > E_SHORT_MAX ? sizeof(size_t) : 0) + klen;
}

static const char *ekey(const kv_entry *e, size_t *klen)
{
    if (!(e->k[0] & E_LONG)) {
        *klen = e->k[0] >> 2;
        return (const char *)e->k + 1;
    }
    memcpy(klen, e->k + 1, sizeof(size_t));
    return (const char *)e->k + 1 + sizeof(size_t);
}

static uint64_t key_hash_node(const kv_dnode *n, const uint8_t seed[16])
{
    size_t klen;
    const char *k = ekey((const kv_entry *)n, &klen);
    return kv_siphash(k, klen, seed);
}

static int key_eq(const kv_dnode *n, const void *key, size_t klen)
{
    const kv_entry *e = (const kv_entry *)n;
    size_t elen;
    const char *k;
    if (!(e->k[0] & E_LONG)) {
        if ((size_t)(e->k[0] >> 2) != klen)
            return 0;
        return memcmp(e->k + 1, key, klen) == 0;
    }
    k = ekey(e, &elen);
    return elen == klen && memcmp(k, key, klen) == 0;
}

/* Entry addresses are not attacker-chosen, so a fast mixer is enough; the
 * murmur3 finaliser spreads the low bits allocation leaves regular. */
static uint64_t ptr_hash(const kv_entry *e)
{
    uint64_t x = (uint64_t)(uintptr_t)e;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static uint64_t exp_hash_node(const kv_dnode *n, const uint8_t seed[16])
{
    (void)seed;
    return ptr_hash(((const expnode *)n)->e);
}

static int exp_eq(const kv_dnode *n, const void *key, size_t klen)
{
    const kv_entry *e;
    (void)klen;
    memcpy(&e, key, sizeof e);
    return ((const expnode *)n)->e == e;
}

static const kv_dict_type key_type = {key_hash_node, key_eq};
static const kv_dict_type exp_type = {exp_hash_node, exp_eq};

kv_db *kv_db_new(const uint8_t seed[16])
{
    kv_db *db = (kv_db *)kv_xmalloc(sizeof *db);
    uint64_t s = 0;
    kv_dict_init(&db->keys, &key_type, seed);
    kv_dict_init(&db->expires, &exp_type, seed);
    if (seed)
        memcpy(&s, seed, sizeof s);
    db->rng = s ^ 0x6a09e667f3bcc909ULL;
    db->expire_cursor = 0;
    db->entry_mem = 0;
    db->val_mem = 0;
    db->ntouched = 0;
    db->mark = 0;
    db->presave = NULL;
    db->presave_arg = NULL;
    return db;
}

static void free_expnode(kv_dnode *n, void *arg)
{
    (void)arg;
    free(n);
}

static void free_entry(kv_dnode *n, void *arg)
{
    kv_entry *e = (kv_entry *)n;
    (void)arg;
    kv_obj_free(eval(e));
    free(e);
}

void kv_db_clear(kv_db *db)
{
    kv_dict_clear(&db->expires, free_expnode, NULL);
    kv_dict_clear(&db->keys, free_entry, NULL);
    db->expire_cursor = 0;
    db->entry_mem = 0;
    db->val_mem = 0;
    db->ntouched = 0;
}

void kv_db_free(kv_db *db)
{
    if (db == NULL)
        return;
    kv_db_clear(db);
    free(db);
}

size_t kv_db_size(const kv_db *db) { return kv_dict_size(&db->keys); }
size_t kv_db_expires_size(const kv_db *db) { return kv_dict_size(&db->expires); }

uint64_t kv_db_hash(const kv_db *db, const char *key, size_t klen)
{
    return kv_dict_hash(&db->keys, key, klen);
}

kv_entry *kv_db_lookup_h(kv_db *db, const char *key, size_t klen, uint64_t hash)
{
    kv_entry *e = (kv_entry *)kv_dict_find(&db->keys, key, klen, hash);
    if (e && db->presave)
        presave(db, e);
    return e;
}

kv_entry *kv_db_lookup(kv_db *db, const char *key, size_t klen)
{
    return kv_db_lookup_h(db, key, klen, kv_db_hash(db, key, klen));
}

kv_entry *kv_db_upsert_h(kv_db *db, const char *key, size_t klen, uint64_t hash, int *created)
{
    kv_entry *e = kv_db_lookup_h(db, key, klen, hash);
    size_t size;
    if (e) {
        *created = 0;
        kv_db_touch(db, e);
        return e;
    }
    size = entry_size(klen);
    e = (kv_entry *)kv_xmalloc(size);
    e->val = db->mark; /* no value yet; created after any running snapshot began */
    if (klen <= E_SHORT_MAX) {
        e->k[0] = (unsigned char)(klen << 2);
        memcpy(e->k + 1, key, klen);
    } else {
        e->k[0] = E_LONG;
        memcpy(e->k + 1, &klen, sizeof klen);
        memcpy(e->k + 1 + sizeof klen, key, klen);
    }
    kv_dict_add(&db->keys, &e->node, hash);
    db->entry_mem += kv_mem_chunk(size);
    *created = 1;
    return e;
}

kv_entry *kv_db_upsert(kv_db *db, const char *key, size_t klen, int *created)
{
    return kv_db_upsert_h(db, key, klen, kv_db_hash(db, key, klen), created);
}

kv_obj *kv_entry_val(const kv_entry *e) { return eval(e); }

/* ------------------------------------------------------------ memory account */

static size_t val_size(const kv_entry *e)
{
    return eval(e) ? kv_obj_mem(eval(e)) : 0;
}

static int touched_at(const kv_db *db, const kv_entry *e)
{
    int i;
    for (i = 0; i < db->ntouched; i++)
        if (db->touched[i] == e)
            return i;
    return -1;
}

/* Measure the touched values again and forget them. */
static void flush_touched(kv_db *db)
{
    int i;
    for (i = 0; i < db->ntouched; i++)
        db->val_mem += (long long)val_size(db->touched[i]) - (long long)db->touched_mem[i];
    db->ntouched = 0;
}

void kv_db_touch(kv_db *db, kv_entry *e)
{
    if (db->ntouched && touched_at(db, e) >= 0)
        return;
    if (db->ntouched == TOUCHED_MAX)
        flush_touched(db);
    db->touched[db->ntouched] = e;
    db->touched_mem[db->ntouched++] = val_size(e);
}

/* e's value leaves the account (freed, replaced or detached): what it was
 * counted at. A touched entry stays listed, now counted at 0. */
static void uncount(kv_db *db, kv_entry *e)
{
    int i = db->ntouched ? touched_at(db, e) : -1;
    if (i >= 0) {
        db->val_mem -= (long long)db->touched_mem[i];
        db->touched_mem[i] = 0;
    } else {
        db->val_mem -= (long long)val_size(e);
    }
}

/* A value joins the account, and its entry is touched: commands fill a
 * new collection after attaching it (LPUSH, SADD...). */
static void count(kv_db *db, kv_entry *e)
{
    int i = db->ntouched ? touched_at(db, e) : -1;
    size_t m = val_size(e);
    db->val_mem += (long long)m;
    if (i >= 0) {
        db->touched_mem[i] = m;
        return;
    }
    if (db->ntouched == TOUCHED_MAX)
        flush_touched(db);
    db->touched[db->ntouched] = e;
    db->touched_mem[db->ntouched++] = m;
}

void kv_db_set_val(kv_db *db, kv_entry *e, kv_obj *val)
{
    if (eval(e) == val)
        return;
    uncount(db, e);
    kv_obj_free(eval(e));
    eset(e, val);
    count(db, e);
}

kv_obj *kv_db_take_val(kv_db *db, kv_entry *e)
{
    kv_obj *v = eval(e);
    uncount(db, e);
    eset(e, NULL);
    return v;
}

const char *kv_entry_key(const kv_entry *e, size_t *klen) { return ekey(e, klen); }
int kv_entry_has_expire(const kv_entry *e) { return (e->k[0] & E_TTL) != 0; }

/* ------------------------------------------------------------ expiry */

static expnode *find_exp(const kv_db *db, const kv_entry *e)
{
    return (expnode *)kv_dict_find_ro(&db->expires, &e, sizeof e, ptr_hash(e));
}

long long kv_db_get_expire(const kv_db *db, const kv_entry *e)
{
    const expnode *x;
    if (!(e->k[0] & E_TTL))
        return -1;
    x = find_exp(db, e);
    return x ? x->when : -1;
}

int kv_db_is_expired(const kv_db *db, const kv_entry *e, long long now_ms)
{
    long long when = kv_db_get_expire(db, e);
    return when >= 0 && now_ms > when;
}

void kv_db_set_expire(kv_db *db, kv_entry *e, long long when_ms)
{
    expnode *x;
    if (e->k[0] & E_TTL) {
        x = find_exp(db, e);
        if (x) {
            x->when = when_ms;
            return;
        }
    }
    x = (expnode *)kv_xmalloc(sizeof *x);
    x->e = e;
    x->when = when_ms;
    kv_dict_add(&db->expires, &x->node, ptr_hash(e));
    db->entry_mem += kv_mem_chunk(sizeof *x);
    e->k[0] |= E_TTL;
}

int kv_db_persist(kv_db *db, kv_entry *e)
{
    kv_dnode *n;
    if (!(e->k[0] & E_TTL))
        return 0;
    e->k[0] &= (unsigned char)~E_TTL;
    n = kv_dict_unlink(&db->expires, &e, sizeof e, ptr_hash(e));
    if (n == NULL)
        return 0;
    free(n);
    db->entry_mem -= kv_mem_chunk(sizeof(expnode));
    return 1;
}

/* e is already unlinked from db->keys. */
static void entry_destroy(kv_db *db, kv_entry *e)
{
    size_t klen;
    int i;
    uncount(db, e);
    if (db->ntouched && (i = touched_at(db, e)) >= 0) {
        db->touched[i] = db->touched[db->ntouched - 1];
        db->touched_mem[i] = db->touched_mem[db->ntouched - 1];
        db->ntouched--;
    }
    kv_db_persist(db, e);
    ekey(e, &klen);
    db->entry_mem -= kv_mem_chunk(entry_size(klen));
    kv_obj_free(eval(e));
    free(e);
}

int kv_db_delete(kv_db *db, const char *key, size_t klen)
{
    kv_dnode *n = kv_dict_unlink(&db->keys, key, klen, kv_db_hash(db, key, klen));
    if (n == NULL)
        return 0;
    presave(db, (kv_entry *)n); /* unlinked but whole: its TTL is still found */
    entry_destroy(db, (kv_entry *)n);
    return 1;
}

void kv_db_delete_entry(kv_db *db, kv_entry *e)
{
    size_t klen;
    const char *k;
    presave(db, e);
    k = ekey(e, &klen);
    kv_dict_unlink(&db->keys, k, klen, kv_db_hash(db, k, klen));
    entry_destroy(db, e);
}

kv_obj *kv_db_unlink_entry(kv_db *db, kv_entry *e)
{
    size_t klen;
    const char *k;
    kv_obj *v;
    presave(db, e); /* a snapshot saves it whole before the value leaves */
    k = ekey(e, &klen);
    kv_dict_unlink(&db->keys, k, klen, kv_db_hash(db, k, klen));
    v = kv_db_take_val(db, e);
    entry_destroy(db, e);
    return v;
}

static long long mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

typedef struct cycle_ctx {
    kv_db *db;
    long long now;
    size_t sampled, expired;
    void (*on_expire)(void *arg, const char *key, size_t klen);
    void *arg;
    kv_db_drop_fn drop;
    void *drop_arg;
} cycle_ctx;

static void cycle_visit(void *arg, kv_dnode *n)
{
    cycle_ctx *c = (cycle_ctx *)arg;
    expnode *x = (expnode *)n;
    c->sampled++;
    if (c->now > x->when) {
        kv_entry *e = x->e;
        if (c->on_expire) {
            size_t klen;
            const char *k = ekey(e, &klen);
            c->on_expire(c->arg, k, klen);
        }
        /* unlinks x: the scan allows that */
        if (c->drop)
            c->drop(c->drop_arg, kv_db_unlink_entry(c->db, e));
        else
            kv_db_delete_entry(c->db, e);
        c->expired++;
    }
}

size_t kv_db_expire_cycle_ex(kv_db *db, long long now_ms, long long time_budget_us,
                             void (*on_expire)(void *arg, const char *key, size_t klen),
                             void *arg, kv_expire_stats *st)
{
    return kv_db_expire_cycle_drop(db, now_ms, time_budget_us, on_expire, arg, st, NULL, NULL);
}

size_t kv_db_expire_cycle_drop(kv_db *db, long long now_ms, long long time_budget_us,
                               void (*on_expire)(void *arg, const char *key, size_t klen),
                               void *arg, kv_expire_stats *st, kv_db_drop_fn drop,
                               void *drop_arg)
{
    long long start = mono_us();
    unsigned iteration = 0;
    size_t total = 0;
    cycle_ctx c;

    c.db = db;
    c.now = now_ms;
    c.on_expire = on_expire;
    c.arg = arg;
    c.drop = drop;
    c.drop_arg = drop_arg;
    if (st) {
        st->sampled = st->expired = 0;
        st->time_cap_reached = 0;
    }
    for (;;) {
        size_t num = kv_dict_size(&db->expires), buckets = 0, max_buckets;
        if (num == 0)
            break;
        if (num > EXPIRE_CYCLE_KEYS)
            num = EXPIRE_CYCLE_KEYS;
        max_buckets = num * 20;
        c.sampled = c.expired = 0;
        while (c.sampled < num && buckets < max_buckets && kv_dict_size(&db->expires)) {
            db->expire_cursor = kv_dict_scan(&db->expires, db->expire_cursor, cycle_visit, &c);
            buckets++;
        }
        total += c.expired;
        if (st) {
            st->sampled += c.sampled;
            st->expired += c.expired;
        }
        if ((++iteration & 15) == 0 && mono_us() - start > time_budget_us) {
            if (st)
                st->time_cap_reached = 1;
            break;
        }
        if (c.sampled != 0 && c.expired * 100 / c.sampled <= EXPIRE_ACCEPTABLE_STALE)
            break;
    }
    return total;
}

size_t kv_db_expire_cycle(kv_db *db, long long now_ms, long long time_budget_us,
                          void (*on_expire)(void *arg, const char *key, size_t klen),
                          void *arg)
{
    return kv_db_expire_cycle_ex(db, now_ms, time_budget_us, on_expire, arg, NULL);
}

/* ------------------------------------------------------------ iteration */

typedef struct scan_ctx {
    void (*fn)(void *arg, kv_entry *e);
    void *arg;
} scan_ctx;

static void scan_visit(void *arg, kv_dnode *n)
{
    scan_ctx *c = (scan_ctx *)arg;
    c->fn(c->arg, (kv_entry *)n);
}

unsigned long kv_db_scan(kv_db *db, unsigned long cursor,
                         void (*fn)(void *arg, kv_entry *e), void *arg)
{
    scan_ctx c;
    c.fn = fn;
    c.arg = arg;
    return kv_dict_scan(&db->keys, cursor, scan_visit, &c);
}

kv_entry *kv_db_random(kv_db *db)
{
    return (kv_entry *)kv_dict_random(&db->keys, &db->rng);
}

void kv_db_set_room(kv_db *db, size_t room)
{
    size_t b = kv_dict_buckets(&db->keys);
    db->keys.capped = b && kv_mem_chunk(2 * b * sizeof(void *)) > room;
}

size_t kv_db_sample_keys(kv_db *db, kv_entry **out, size_t count)
{
    kv_dnode *local[32], **buf = count <= 32 ? local : (kv_dnode **)kv_xmalloc(count * sizeof *buf);
    size_t got = kv_dict_sample(&db->keys, buf, count, &db->rng), i;
    for (i = 0; i < got; i++)
        out[i] = (kv_entry *)buf[i];
    if (buf != local)
        free(buf);
    return got;
}

size_t kv_db_sample_expires(kv_db *db, kv_entry **out, size_t count)
{
    kv_dnode *local[32], **buf = count <= 32 ? local : (kv_dnode **)kv_xmalloc(count * sizeof *buf);
    size_t got = kv_dict_sample(&db->expires, buf, count, &db->rng), i;
    for (i = 0; i < got; i++)
        out[i] = ((expnode *)buf[i])->e;
    if (buf != local)
        free(buf);
    return got;
}

int kv_db_rehash_step(kv_db *db, int nbuckets)
{
    int a = kv_dict_rehash_step(&db->keys, nbuckets);
    int b = kv_dict_rehash_step(&db->expires, nbuckets);
    return a || b;
}

static size_t tables_mem(const kv_db *db)
{
    return kv_mem_chunk(sizeof *db) + db->entry_mem +
           (kv_dict_buckets(&db->keys) ? kv_mem_chunk(kv_dict_buckets(&db->keys) * sizeof(void *)) : 0) +
           (kv_dict_buckets(&db->expires) ? kv_mem_chunk(kv_dict_buckets(&db->expires) * sizeof(void *)) : 0);
}

size_t kv_db_memory(kv_db *db)
{
    if (db->ntouched)
        flush_touched(db);
    return tables_mem(db) + (db->val_mem > 0 ? (size_t)db->val_mem : 0);
}

static void recount_visit(void *arg, kv_dnode *n)
{
    *(size_t *)arg += val_size((const kv_entry *)n);
}

size_t kv_db_memory_recount(kv_db *db)
{
    size_t vals = 0;
    unsigned long c = 0;
    do
        c = kv_dict_scan(&db->keys, c, recount_visit, &vals);
    while (c);
    return tables_mem(db) + vals;
}

size_t kv_db_entry_mem(const kv_db *db, const kv_entry *e)
{
    size_t klen;
    (void)db;
    ekey(e, &klen);
    return kv_mem_chunk(entry_size(klen)) +
           ((e->k[0] & E_TTL) ? kv_mem_chunk(sizeof(expnode)) : 0);
}

void kv_db_overhead(const kv_db *db, size_t *main, size_t *expires)
{
    size_t kb = kv_dict_buckets(&db->keys), xb = kv_dict_buckets(&db->expires);
    size_t xnodes = kv_dict_size(&db->expires) * kv_mem_chunk(sizeof(expnode));
    *main = (kb ? kv_mem_chunk(kb * sizeof(void *)) : 0) + db->entry_mem - xnodes;
    *expires = (xb ? kv_mem_chunk(xb * sizeof(void *)) : 0) + xnodes;
}

/* ------------------------------------------------------------ snapshots */

void kv_db_snapshot_begin(kv_db *db, kv_db_presave_fn fn, void *arg)
{
    db->mark ^= E_MARK; /* every entry now differs: none is saved */
    db->presave = fn;
    db->presave_arg = arg;
}

void kv_db_snapshot_end(kv_db *db)
{
    db->presave = NULL;
    db->presave_arg = NULL;
}

void kv_db_snapshot_take(kv_db *db, kv_entry *e)
{
    presave(db, e);
}
