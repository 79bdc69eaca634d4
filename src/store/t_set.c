/* Set values: the intset and hashtable encodings and the operations the set
 * commands use. A hashtable member is one allocation (dict link, varint
 * length, bytes): a short member costs one 32-byte malloc chunk where Redis
 * spends a dictEntry and an sds string. */
#include "store/t_set.h"

#include <stdlib.h>
#include <string.h>

#include "store/dict.h"
#include "store/mem.h"
#include "store/siphash.h"

typedef struct sht {
    kv_dict d;
    size_t node_mem; /* allocator chunks of the nodes */
} sht;

typedef struct snode {
    kv_dnode link;
    unsigned char b[1]; /* varint length, bytes */
} snode;

#define SNODE_HDR offsetof(snode, b)

static size_t varint_len(size_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static void snode_member(const snode *s, kv_lpval *m)
{
    const unsigned char *p = s->b;
    size_t r = 0;
    unsigned shift = 0;
    while (*p & 0x80) {
        r |= (size_t)(*p++ & 0x7f) << shift;
        shift += 7;
    }
    m->n = r | (size_t)*p << shift;
    m->s = p + 1;
    m->v = 0;
}

static size_t snode_size(size_t n)
{
    return SNODE_HDR + varint_len(n) + n;
}

static snode *snode_new(const char *m, size_t n)
{
    snode *s = (snode *)kv_xmalloc(snode_size(n));
    unsigned char *p = s->b;
    size_t v = n;
    while (v >= 0x80) {
        *p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    if (n)
        memcpy(p, m, n);
    s->link.next = NULL;
    return s;
}

static uint64_t snode_hash(const kv_dnode *n, const uint8_t seed[16])
{
    kv_lpval m;
    snode_member((const snode *)n, &m);
    return kv_siphash(m.s, m.n, seed);
}

static int snode_eq(const kv_dnode *n, const void *key, size_t klen)
{
    kv_lpval m;
    snode_member((const snode *)n, &m);
    return m.n == klen && (klen == 0 || memcmp(m.s, key, klen) == 0);
}

static const kv_dict_type snode_type = {snode_hash, snode_eq};

static void snode_free(kv_dnode *n, void *arg)
{
    (void)arg;
    free(n);
}

/* ------------------------------------------------------------ basics */

void kv_set_opts_init(kv_set_opts *opts, const uint8_t seed[16])
{
    opts->max_intset_entries = KV_SET_MAX_INTSET_ENTRIES;
    opts->seed = seed;
}

static int is_is(const kv_obj *o)
{
    return kv_obj_encoding(o) == KV_ENC_INTSET;
}

static unsigned char *is_of(const kv_obj *o)
{
    return (unsigned char *)kv_obj_ptr(o);
}

static sht *ht_of(const kv_obj *o)
{
    return (sht *)kv_obj_ptr(o);
}

static sht *sht_new(const uint8_t seed[16])
{
    sht *t = (sht *)kv_xmalloc(sizeof *t);
    kv_dict_init(&t->d, &snode_type, seed);
    t->node_mem = 0;
    return t;
}

kv_obj *kv_set_new(void)
{
    return kv_obj_new(KV_TYPE_SET, KV_ENC_INTSET, kv_is_new());
}

kv_obj *kv_set_new_for(const char *m, size_t n, const kv_set_opts *opts)
{
    long long v;
    if (kv_store_str2ll(m, n, &v))
        return kv_set_new();
    return kv_obj_new(KV_TYPE_SET, KV_ENC_HT, sht_new(opts->seed));
}

/* Flat encodings (intset, or any blob such as a listpack) are one
 * allocation; only the hashtable has parts. */
void kv_set_free_value(kv_obj *o)
{
    if (kv_obj_encoding(o) == KV_ENC_HT) {
        sht *t = ht_of(o);
        kv_dict_clear(&t->d, snode_free, NULL);
        free(t);
    } else {
        free(kv_obj_ptr(o));
    }
}

size_t kv_set_size(const kv_obj *o)
{
    return is_is(o) ? kv_is_len(is_of(o)) : kv_dict_size(&ht_of(o)->d);
}

/* ------------------------------------------------------------ hashtable */

static int ht_add(sht *t, const char *m, size_t n)
{
    uint64_t h = kv_dict_hash(&t->d, m, n);
    snode *s;
    if (kv_dict_find(&t->d, m, n, h))
        return 0;
    s = snode_new(m, n);
    t->node_mem += kv_mem_chunk(snode_size(n));
    kv_dict_add(&t->d, &s->link, h);
    return 1;
}

static int ht_remove(sht *t, const char *m, size_t n)
{
    kv_dnode *d = kv_dict_unlink(&t->d, m, n, kv_dict_hash(&t->d, m, n));
    if (!d)
        return 0;
    t->node_mem -= kv_mem_chunk(snode_size(n));
    free(d);
    return 1;
}

static int ht_has(sht *t, const char *m, size_t n)
{
    return kv_dict_find(&t->d, m, n, kv_dict_hash(&t->d, m, n)) != NULL;
}

void kv_set_convert(kv_obj *o, const uint8_t seed[16])
{
    unsigned char *is;
    sht *t;
    size_t i, len;
    if (!is_is(o))
        return;
    is = is_of(o);
    t = sht_new(seed);
    len = kv_is_len(is);
    for (i = 0; i < len; i++) {
        char buf[KV_LLSTR_SIZE];
        size_t n = kv_store_ll2str(buf, (long long)kv_is_get(is, i));
        ht_add(t, buf, n);
    }
    kv_obj_set_ptr(o, t, KV_ENC_HT);
    kv_is_free(is);
}

/* ------------------------------------------------------------ members */

static int is_add(kv_obj *o, long long v, const kv_set_opts *opts)
{
    int added = 0;
    unsigned char *is = kv_is_add(is_of(o), (int64_t)v, &added);
    kv_obj_set_ptr(o, is, KV_ENC_INTSET);
    if (added && kv_is_len(is) > opts->max_intset_entries)
        kv_set_convert(o, opts->seed);
    return added;
}

int kv_set_add(kv_obj *o, const char *m, size_t n, const kv_set_opts *opts)
{
    long long v;
    if (is_is(o)) {
        if (kv_store_str2ll(m, n, &v))
            return is_add(o, v, opts);
        kv_set_convert(o, opts->seed);
    }
    return ht_add(ht_of(o), m, n);
}

int kv_set_add_val(kv_obj *o, const kv_lpval *m, const kv_set_opts *opts)
{
    char buf[KV_LLSTR_SIZE];
    if (m->s)
        return kv_set_add(o, (const char *)m->s, m->n, opts);
    if (is_is(o))
        return is_add(o, m->v, opts);
    return ht_add(ht_of(o), buf, kv_store_ll2str(buf, m->v));
}

int kv_set_remove(kv_obj *o, const char *m, size_t n)
{
    long long v;
    if (is_is(o)) {
        int removed = 0;
        if (!kv_store_str2ll(m, n, &v))
            return 0;
        kv_obj_set_ptr(o, kv_is_remove(is_of(o), (int64_t)v, &removed), KV_ENC_INTSET);
        return removed;
    }
    return ht_remove(ht_of(o), m, n);
}

int kv_set_remove_val(kv_obj *o, const kv_lpval *m)
{
    char buf[KV_LLSTR_SIZE];
    if (m->s)
        return kv_set_remove(o, (const char *)m->s, m->n);
    return kv_set_remove(o, buf, kv_store_ll2str(buf, m->v));
}

int kv_set_ismember(kv_obj *o, const char *m, size_t n)
{
    long long v;
    if (is_is(o))
        return kv_store_str2ll(m, n, &v) && kv_is_find(is_of(o), (int64_t)v);
    return ht_has(ht_of(o), m, n);
}

int kv_set_ismember_val(kv_obj *o, const kv_lpval *m)
{
    char buf[KV_LLSTR_SIZE];
    if (m->s)
        return kv_set_ismember(o, (const char *)m->s, m->n);
    if (is_is(o))
        return kv_is_find(is_of(o), (int64_t)m->v);
    return ht_has(ht_of(o), buf, kv_store_ll2str(buf, m->v));
}

/* ------------------------------------------------------------ iteration */

typedef struct visit {
    kv_set_member_fn fn;
    void *arg;
    int stop;
} visit;

static void ht_visit(void *arg, kv_dnode *n)
{
    visit *vi = (visit *)arg;
    kv_lpval m;
    if (vi->stop)
        return;
    snode_member((const snode *)n, &m);
    vi->stop = vi->fn(vi->arg, &m) != 0;
}

static void is_foreach(const unsigned char *is, kv_set_member_fn fn, void *arg, int stoppable)
{
    size_t i, len = kv_is_len(is);
    for (i = 0; i < len; i++) {
        kv_lpval m;
        m.s = NULL;
        m.n = 0;
        m.v = (long long)kv_is_get(is, i);
        if (fn(arg, &m) && stoppable)
            return;
    }
}

void kv_set_foreach(kv_obj *o, kv_set_member_fn fn, void *arg)
{
    visit vi;
    unsigned long c = 0;
    if (is_is(o)) {
        is_foreach(is_of(o), fn, arg, 1);
        return;
    }
    vi.fn = fn;
    vi.arg = arg;
    vi.stop = 0;
    /* Nothing changes between steps, so each node is seen exactly once. */
    do
        c = kv_dict_scan(&ht_of(o)->d, c, ht_visit, &vi);
    while (c != 0 && !vi.stop);
}

unsigned long kv_set_scan(kv_obj *o, unsigned long cursor, kv_set_member_fn fn, void *arg)
{
    visit vi;
    if (is_is(o)) {
        is_foreach(is_of(o), fn, arg, 0);
        return 0;
    }
    vi.fn = fn;
    vi.arg = arg;
    vi.stop = 0;
    return kv_dict_scan(&ht_of(o)->d, cursor, ht_visit, &vi);
}

/* ------------------------------------------------------------ random */

static size_t rnd_below(uint64_t *rng, size_t n)
{
    return (size_t)(kv_dict_rng_next(rng) % (uint64_t)n);
}

static void int_member(kv_lpval *m, long long v)
{
    m->s = NULL;
    m->n = 0;
    m->v = v;
}

void kv_set_random_members(kv_obj *o, size_t count, uint64_t *rng, kv_lpval *out)
{
    size_t i;
    for (i = 0; i < count; i++) {
        if (is_is(o)) {
            const unsigned char *is = is_of(o);
            int_member(&out[i], (long long)kv_is_get(is, rnd_below(rng, kv_is_len(is))));
        } else {
            snode_member((const snode *)kv_dict_random(&ht_of(o)->d, rng), &out[i]);
        }
    }
}

typedef struct collect {
    kv_lpval *out;
    size_t n;
} collect;

static int collect_fn(void *arg, const kv_lpval *m)
{
    collect *c = (collect *)arg;
    c->out[c->n++] = *m;
    return 0;
}

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

size_t kv_set_random_distinct(kv_obj *o, size_t count, uint64_t *rng, kv_lpval *out)
{
    size_t size = kv_set_size(o), i;
    if (count > size)
        count = size;
    if (count == size || is_is(o) || count * 3 > size) {
        /* All members, then a partial shuffle picks `count` of them. */
        collect c;
        c.out = count == size ? out : (kv_lpval *)kv_xmalloc(size * sizeof *c.out);
        c.n = 0;
        kv_set_foreach(o, collect_fn, &c);
        if (count == size)
            return count;
        for (i = 0; i < count; i++) {
            size_t j = i + rnd_below(rng, size - i);
            kv_lpval t = c.out[i];
            c.out[i] = c.out[j];
            c.out[j] = t;
            out[i] = c.out[i];
        }
        free(c.out);
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
            if (ptrset_add(seen, cap - 1, n))
                snode_member((const snode *)n, &out[got++]);
        }
        free(seen);
        return got;
    }
}

/* ------------------------------------------------------------ memory */

size_t kv_set_mem(const kv_obj *o)
{
    size_t m = kv_mem_chunk(sizeof(kv_obj));
    if (is_is(o))
        return m + kv_mem_chunk(kv_is_bytes(is_of(o)));
    {
        const sht *t = ht_of(o);
        size_t b = kv_dict_buckets(&t->d);
        return m + kv_mem_chunk(sizeof *t) + t->node_mem + (b ? kv_mem_chunk(b * sizeof(void *)) : 0);
    }
}
