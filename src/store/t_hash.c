/* Hash values: the listpack and hashtable encodings and the operations the
 * hash commands use. A hashtable field is one allocation: the dict link, the
 * two lengths as varints, then the field and value bytes, so a small pair
 * costs one malloc chunk (Redis spends a dictEntry and two sds strings). */
#include "store/t_hash.h"

#include <stdlib.h>
#include <string.h>

#include "store/dict.h"
#include "store/mem.h"
#include "store/siphash.h"

/* The hashtable encoding's structure (the kv_obj points here). */
typedef struct hht {
    kv_dict d;
    size_t node_mem; /* allocator chunks of the nodes */
} hht;

typedef struct hnode {
    kv_dnode link;
    unsigned char b[1]; /* varint field length, varint value length, field, value */
} hnode;

#define HNODE_HDR offsetof(hnode, b)

/* ------------------------------------------------------------ varints */

static size_t varint_len(size_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static size_t varint_put(unsigned char *p, size_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (unsigned char)v;
    return n;
}

static const unsigned char *varint_get(const unsigned char *p, size_t *v)
{
    size_t r = 0;
    unsigned shift = 0;
    while (*p & 0x80) {
        r |= (size_t)(*p++ & 0x7f) << shift;
        shift += 7;
    }
    *v = r | (size_t)*p << shift;
    return p + 1;
}

/* ------------------------------------------------------------ nodes */

static void hnode_parts(const hnode *h, kv_lpval *f, kv_lpval *v)
{
    size_t fn, vn;
    const unsigned char *p = varint_get(varint_get(h->b, &fn), &vn);
    f->s = p;
    f->n = fn;
    f->v = 0;
    if (v) {
        v->s = p + fn;
        v->n = vn;
        v->v = 0;
    }
}

static size_t hnode_size(size_t fn, size_t vn)
{
    return HNODE_HDR + varint_len(fn) + varint_len(vn) + fn + vn;
}

static hnode *hnode_new(const char *f, size_t fn, const char *v, size_t vn)
{
    hnode *h = (hnode *)kv_xmalloc(hnode_size(fn, vn));
    unsigned char *p = h->b;
    p += varint_put(p, fn);
    p += varint_put(p, vn);
    if (fn)
        memcpy(p, f, fn);
    if (vn)
        memcpy(p + fn, v, vn);
    h->link.next = NULL;
    return h;
}

static uint64_t hnode_hash(const kv_dnode *n, const uint8_t seed[16])
{
    kv_lpval f;
    hnode_parts((const hnode *)n, &f, NULL);
    return kv_siphash(f.s, f.n, seed);
}

static int hnode_eq(const kv_dnode *n, const void *key, size_t klen)
{
    kv_lpval f;
    hnode_parts((const hnode *)n, &f, NULL);
    return f.n == klen && (klen == 0 || memcmp(f.s, key, klen) == 0);
}

static const kv_dict_type hnode_type = {hnode_hash, hnode_eq};

static void hnode_free(kv_dnode *n, void *arg)
{
    (void)arg;
    free(n);
}

/* ------------------------------------------------------------ basics */

void kv_hash_opts_init(kv_hash_opts *opts, const uint8_t seed[16])
{
    opts->max_lp_entries = KV_HASH_MAX_LISTPACK_ENTRIES;
    opts->max_lp_value = KV_HASH_MAX_LISTPACK_VALUE;
    opts->seed = seed;
}

kv_obj *kv_hash_new(void)
{
    return kv_obj_new(KV_TYPE_HASH, KV_ENC_LISTPACK, kv_lp_new());
}

/* Flat encodings (a listpack, or any blob) are one allocation; only the
 * hashtable has parts. */
void kv_hash_free_value(kv_obj *o)
{
    if (kv_obj_encoding(o) == KV_ENC_HT) {
        hht *t = (hht *)kv_obj_ptr(o);
        kv_dict_clear(&t->d, hnode_free, NULL);
        free(t);
    } else {
        free(kv_obj_ptr(o));
    }
}

static int is_lp(const kv_obj *o)
{
    return kv_obj_encoding(o) == KV_ENC_LISTPACK;
}

static unsigned char *lp_of(const kv_obj *o)
{
    return (unsigned char *)kv_obj_ptr(o);
}

static hht *ht_of(const kv_obj *o)
{
    return (hht *)kv_obj_ptr(o);
}

size_t kv_hash_len(const kv_obj *o)
{
    return is_lp(o) ? kv_lp_count(lp_of(o)) / 2 : kv_dict_size(&ht_of(o)->d);
}

static unsigned char *lp_find_field(unsigned char *lp, const char *f, size_t fn)
{
    unsigned char *p = kv_lp_first(lp);
    return p ? kv_lp_find(lp, p, f, fn, 1) : NULL;
}

static hnode *ht_find(hht *t, const char *f, size_t fn)
{
    return (hnode *)kv_dict_find(&t->d, f, fn, kv_dict_hash(&t->d, f, fn));
}

int kv_hash_get(kv_obj *o, const char *f, size_t fn, kv_lpval *val)
{
    if (is_lp(o)) {
        unsigned char *lp = lp_of(o), *p = lp_find_field(lp, f, fn);
        if (!p)
            return 0;
        kv_lp_get(kv_lp_next(lp, p), val);
        return 1;
    } else {
        kv_lpval fv;
        hnode *h = ht_find(ht_of(o), f, fn);
        if (!h)
            return 0;
        hnode_parts(h, &fv, val);
        return 1;
    }
}

int kv_hash_exists(kv_obj *o, const char *f, size_t fn)
{
    kv_lpval v;
    return kv_hash_get(o, f, fn, &v);
}

size_t kv_hash_strlen(kv_obj *o, const char *f, size_t fn)
{
    kv_lpval v;
    char buf[KV_LLSTR_SIZE];
    if (!kv_hash_get(o, f, fn, &v))
        return 0;
    return v.s ? v.n : kv_store_ll2str(buf, v.v);
}

/* ------------------------------------------------------------ writes */

static void pair_fn_add(void *arg, const kv_lpval *f, const kv_lpval *v);

void kv_hash_convert(kv_obj *o, const uint8_t seed[16])
{
    unsigned char *lp;
    hht *t;
    if (!is_lp(o))
        return;
    lp = lp_of(o);
    t = (hht *)kv_xmalloc(sizeof *t);
    kv_dict_init(&t->d, &hnode_type, seed);
    t->node_mem = 0;
    kv_hash_foreach(o, pair_fn_add, t);
    kv_obj_set_ptr(o, t, KV_ENC_HT);
    kv_lp_free(lp);
}

static void ht_add_new(hht *t, const char *f, size_t fn, const char *v, size_t vn, uint64_t h)
{
    hnode *n = hnode_new(f, fn, v, vn);
    t->node_mem += kv_mem_chunk(hnode_size(fn, vn));
    kv_dict_add(&t->d, &n->link, h);
}

/* The bytes of a kv_lpval, formatting integers into buf. */
static const char *val_bytes(const kv_lpval *v, char *buf, size_t *n)
{
    if (v->s) {
        *n = v->n;
        return (const char *)v->s;
    }
    *n = kv_store_ll2str(buf, v->v);
    return buf;
}

static void pair_fn_add(void *arg, const kv_lpval *f, const kv_lpval *v)
{
    hht *t = (hht *)arg;
    char fb[KV_LLSTR_SIZE], vb[KV_LLSTR_SIZE];
    size_t fn, vn;
    const char *fp = val_bytes(f, fb, &fn), *vp = val_bytes(v, vb, &vn);
    ht_add_new(t, fp, fn, vp, vn, kv_dict_hash(&t->d, fp, fn));
}

static int ht_set(hht *t, const char *f, size_t fn, const char *v, size_t vn)
{
    uint64_t h = kv_dict_hash(&t->d, f, fn);
    hnode *old = (hnode *)kv_dict_find(&t->d, f, fn, h), *n;
    kv_lpval of, ov;
    if (!old) {
        ht_add_new(t, f, fn, v, vn, h);
        return 1;
    }
    hnode_parts(old, &of, &ov);
    if (ov.n == vn) { /* same size: overwrite in place */
        if (vn)
            memcpy((unsigned char *)(uintptr_t)ov.s, v, vn);
        return 0;
    }
    n = hnode_new(f, fn, v, vn);
    kv_dict_replace(&t->d, &old->link, &n->link, h);
    t->node_mem += kv_mem_chunk(hnode_size(fn, vn));
    t->node_mem -= kv_mem_chunk(hnode_size(of.n, ov.n));
    free(old);
    return 0;
}

int kv_hash_set(kv_obj *o, const char *f, size_t fn, const char *v, size_t vn,
                const kv_hash_opts *opts)
{
    unsigned char *lp, *p;
    int added;
    if (is_lp(o) && (fn > opts->max_lp_value || vn > opts->max_lp_value))
        kv_hash_convert(o, opts->seed);
    if (!is_lp(o))
        return ht_set(ht_of(o), f, fn, v, vn);
    lp = lp_of(o);
    p = lp_find_field(lp, f, fn);
    if (p) {
        lp = kv_lp_insert(lp, kv_lp_next(lp, p), KV_LP_REPLACE, v, vn, NULL);
        added = 0;
    } else {
        lp = kv_lp_append(lp, f, fn);
        lp = kv_lp_append(lp, v, vn);
        added = 1;
    }
    kv_obj_set_ptr(o, lp, KV_ENC_LISTPACK);
    /* Checked after an update too (Redis's hashTypeSet): a hash left over
     * the limit by CONFIG SET converts on its next write. */
    if (kv_lp_count(lp) / 2 > opts->max_lp_entries)
        kv_hash_convert(o, opts->seed);
    return added;
}

int kv_hash_del(kv_obj *o, const char *f, size_t fn)
{
    if (is_lp(o)) {
        unsigned char *lp = lp_of(o), *p = lp_find_field(lp, f, fn), *next;
        if (!p)
            return 0;
        lp = kv_lp_delete(lp, p, &next);
        lp = kv_lp_delete(lp, next, NULL);
        kv_obj_set_ptr(o, lp, KV_ENC_LISTPACK);
        return 1;
    } else {
        hht *t = ht_of(o);
        kv_lpval fv, vv;
        hnode *h = (hnode *)kv_dict_unlink(&t->d, f, fn, kv_dict_hash(&t->d, f, fn));
        if (!h)
            return 0;
        hnode_parts(h, &fv, &vv);
        t->node_mem -= kv_mem_chunk(hnode_size(fv.n, vv.n));
        free(h);
        return 1;
    }
}

/* ------------------------------------------------------------ iteration */

typedef struct visit {
    kv_hash_pair_fn fn;
    void *arg;
} visit;

static void ht_visit(void *arg, kv_dnode *n)
{
    visit *vi = (visit *)arg;
    kv_lpval f, v;
    hnode_parts((const hnode *)n, &f, &v);
    vi->fn(vi->arg, &f, &v);
}

static void lp_foreach(unsigned char *lp, kv_hash_pair_fn fn, void *arg)
{
    unsigned char *p = kv_lp_first(lp);
    while (p) {
        unsigned char *vp = kv_lp_next(lp, p);
        kv_lpval f, v;
        kv_lp_get(p, &f);
        kv_lp_get(vp, &v);
        fn(arg, &f, &v);
        p = kv_lp_next(lp, vp);
    }
}

void kv_hash_foreach(kv_obj *o, kv_hash_pair_fn fn, void *arg)
{
    if (is_lp(o)) {
        lp_foreach(lp_of(o), fn, arg);
    } else {
        visit vi;
        unsigned long c = 0;
        vi.fn = fn;
        vi.arg = arg;
        /* Nothing changes between steps, so each node is seen exactly once. */
        do
            c = kv_dict_scan(&ht_of(o)->d, c, ht_visit, &vi);
        while (c != 0);
    }
}

unsigned long kv_hash_scan(kv_obj *o, unsigned long cursor, kv_hash_pair_fn fn, void *arg)
{
    visit vi;
    if (is_lp(o)) {
        lp_foreach(lp_of(o), fn, arg);
        return 0;
    }
    vi.fn = fn;
    vi.arg = arg;
    return kv_dict_scan(&ht_of(o)->d, cursor, ht_visit, &vi);
}

/* ------------------------------------------------------------ random */

/* Every pair into fields/values (arrays of kv_hash_len entries). */
typedef struct collect {
    kv_lpval *f, *v;
    size_t n;
} collect;

static void collect_fn(void *arg, const kv_lpval *f, const kv_lpval *v)
{
    collect *c = (collect *)arg;
    c->f[c->n] = *f;
    c->v[c->n] = *v;
    c->n++;
}

static size_t rnd_below(uint64_t *rng, size_t n)
{
    return (size_t)(kv_dict_rng_next(rng) % (uint64_t)n);
}

static void lp_pair_at(unsigned char *const *idx, size_t i, kv_lpval *f, kv_lpval *v)
{
    kv_lp_get(idx[2 * i], f);
    kv_lp_get(idx[2 * i + 1], v);
}

void kv_hash_random_pairs(kv_obj *o, size_t count, uint64_t *rng, kv_lpval *fields,
                          kv_lpval *values)
{
    size_t i;
    if (is_lp(o)) {
        /* One pass to index the entries, then each pick is O(1). */
        unsigned char *lp = lp_of(o), *p;
        size_t n = kv_lp_count(lp), k = 0;
        unsigned char **idx = (unsigned char **)kv_xmalloc(n * sizeof *idx);
        for (p = kv_lp_first(lp); p; p = kv_lp_next(lp, p))
            idx[k++] = p;
        for (i = 0; i < count; i++)
            lp_pair_at(idx, rnd_below(rng, n / 2), &fields[i], &values[i]);
        free(idx);
        return;
    }
    for (i = 0; i < count; i++) {
        kv_dnode *n = kv_dict_random(&ht_of(o)->d, rng);
        hnode_parts((const hnode *)n, &fields[i], &values[i]);
    }
}

/* Pointer set for picking distinct nodes: open addressing, power-of-two. */
static int ptrset_add(const void **tab, size_t mask, const void *p)
{
    size_t i = (size_t)(((uintptr_t)p >> 4) * 0x9E3779B97F4A7C15ULL) & mask;
    while (tab[i]) {
        if (tab[i] == p)
            return 0;
        i = (i + 1) & mask;
    }
    tab[i] = p;
    return 1;
}

size_t kv_hash_random_distinct(kv_obj *o, size_t count, uint64_t *rng, kv_lpval *fields,
                               kv_lpval *values)
{
    size_t size = kv_hash_len(o), i;
    collect c;
    if (count > size)
        count = size;
    if (count == size || is_lp(o) || count * 3 > size) {
        /* All pairs, then a partial shuffle picks `count` of them. */
        c.f = count == size ? fields : (kv_lpval *)kv_xmalloc(size * sizeof *c.f);
        c.v = count == size ? values : (kv_lpval *)kv_xmalloc(size * sizeof *c.v);
        c.n = 0;
        kv_hash_foreach(o, collect_fn, &c);
        if (count == size)
            return count;
        for (i = 0; i < count; i++) {
            size_t j = i + rnd_below(rng, size - i);
            kv_lpval tf = c.f[i], tv = c.v[i];
            c.f[i] = c.f[j];
            c.v[i] = c.v[j];
            c.f[j] = tf;
            c.v[j] = tv;
            fields[i] = c.f[i];
            values[i] = c.v[i];
        }
        free(c.f);
        free(c.v);
        return count;
    } else {
        /* Few of many: random nodes until count distinct ones. */
        size_t cap = 16, got = 0;
        const void **seen;
        while (cap < count * 2)
            cap *= 2;
        seen = (const void **)kv_xcalloc(cap, sizeof *seen);
        while (got < count) {
            kv_dnode *n = kv_dict_random(&ht_of(o)->d, rng);
            if (ptrset_add(seen, cap - 1, n)) {
                hnode_parts((const hnode *)n, &fields[got], &values[got]);
                got++;
            }
        }
        free(seen);
        return got;
    }
}

/* ------------------------------------------------------------ memory */

size_t kv_hash_mem(const kv_obj *o)
{
    size_t m = kv_mem_chunk(sizeof(kv_obj));
    if (is_lp(o))
        return m + kv_mem_chunk(kv_lp_bytes(lp_of(o)));
    {
        const hht *t = ht_of(o);
        size_t b = kv_dict_buckets(&t->d);
        return m + kv_mem_chunk(sizeof *t) + t->node_mem + (b ? kv_mem_chunk(b * sizeof(void *)) : 0);
    }
}
