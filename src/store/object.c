/* Value headers and the string encodings (int, embstr, raw). Strings change
 * encoding in place (the header never moves), so commands such as INCR and
 * APPEND can mutate a value stored in a db without touching the db. */
#include "store/object.h"

#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "rt/atomic.h"
#include "store/mem.h"
#include "store/t_hash.h"
#include "store/t_list.h"
#include "store/t_set.h"
#include "store/t_stream.h"
#include "store/t_zset.h"

#define EMB_OFF offsetof(kv_obj, u)

/* Growable bytes behind a "raw" string. A reply sent without a copy holds
 * a reference (kv_str_share), possibly on another shard's thread: the value
 * is one reference, each such reply another; the last one frees it, and the
 * value copies the bytes before writing while anyone else holds them. */
typedef struct rawbuf {
    size_t len, cap;
    unsigned refs;
    char b[1];          /* cap + 1 bytes: the contents, then a NUL */
} rawbuf;

#define RAW_HDR offsetof(rawbuf, b)
#define RAW_GREEDY_MAX ((size_t)1024 * 1024)

#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void raw_release_shared(rawbuf *r)
{
    if (kv_atomic_fetch_sub_acqrel(&r->refs, 1u) == 1u)
        free(r);
}

/* The common case, a value nobody else holds, costs no locked instruction:
 * with one reference, held by the caller, nobody can add another (only the
 * holder of the value does that, on its own thread). */
static void raw_release(rawbuf *r)
{
    if (kv_atomic_load_acquire(&r->refs) == 1u)
        free(r);
    else
        raw_release_shared(r);
}

static char *emb_bytes(const kv_obj *o)
{
    return (char *)(uintptr_t)o + EMB_OFF;
}

unsigned kv_obj_type(const kv_obj *o) { return o->type; }
unsigned kv_obj_encoding(const kv_obj *o) { return o->encoding; }
unsigned kv_obj_lru(const kv_obj *o) { return o->lru; }
void kv_obj_set_lru(kv_obj *o, unsigned lru) { o->lru = lru & 0xffffffu; }
void *kv_obj_ptr(const kv_obj *o) { return o->u.ptr; }

const char *kv_obj_encoding_name(const kv_obj *o)
{
    static const char *const names[] = {
        "raw", "int", "hashtable", "zipmap", "linkedlist", "ziplist",
        "intset", "skiplist", "embstr", "quicklist", "stream", "listpack"};
    return o->encoding < sizeof names / sizeof names[0] ? names[o->encoding] : "unknown";
}

const char *kv_obj_type_name(const kv_obj *o)
{
    switch (o->type) {
    case KV_TYPE_STRING: return "string";
    case KV_TYPE_LIST: return "list";
    case KV_TYPE_SET: return "set";
    case KV_TYPE_ZSET: return "zset";
    case KV_TYPE_HASH: return "hash";
    case KV_TYPE_STREAM: return "stream";
    default: return "unknown";
    }
}

static kv_obj *obj_alloc(size_t size, unsigned type, unsigned enc)
{
    kv_obj *o = (kv_obj *)kv_xmalloc(size < sizeof(kv_obj) ? sizeof(kv_obj) : size);
    o->type = type & 0xfu;
    o->encoding = enc & 0xfu;
    o->lru = 0;
    o->len = 0;
    return o;
}

kv_obj *kv_obj_new(unsigned type, unsigned encoding, void *ptr)
{
    kv_obj *o = obj_alloc(sizeof(kv_obj), type, encoding);
    o->u.ptr = ptr;
    return o;
}

void kv_obj_set_ptr(kv_obj *o, void *ptr, unsigned encoding)
{
    o->u.ptr = ptr;
    o->encoding = encoding & 0xfu;
}

void kv_obj_free(kv_obj *o)
{
    if (o == NULL)
        return;
    switch (o->type) {
    case KV_TYPE_STRING:
        if (o->encoding == KV_ENC_RAW)
            raw_release((rawbuf *)o->u.ptr);
        else if (o->encoding != KV_ENC_INT && o->encoding != KV_ENC_EMBSTR)
            free(o->u.ptr);
        break;
    /* Each collection's module knows how its encodings are built. */
    case KV_TYPE_LIST:
        kv_list_free_value(o);
        break;
    case KV_TYPE_HASH:
        kv_hash_free_value(o);
        break;
    case KV_TYPE_SET:
        kv_set_free_value(o);
        break;
    case KV_TYPE_ZSET:
        kv_zset_free_value(o);
        break;
    case KV_TYPE_STREAM:
        kv_stream_free_value(o);
        break;
    default:
        free(o->u.ptr);
        break;
    }
    free(o);
}

size_t kv_obj_mem(const kv_obj *o)
{
    size_t hdr = kv_mem_chunk(sizeof(kv_obj));
    /* Collections measure themselves (header included), each in O(1) or
     * O(nodes), never O(elements). */
    switch (o->type) {
    case KV_TYPE_LIST:
        return kv_list_mem(o);
    case KV_TYPE_SET:
        return kv_set_mem(o);
    case KV_TYPE_ZSET:
        return kv_zset_mem(o);
    case KV_TYPE_HASH:
        return kv_hash_mem(o);
    case KV_TYPE_STREAM:
        return kv_stream_mem(o);
    case KV_TYPE_STRING:
        break;
    default:
        return hdr;
    }
    switch (o->encoding) {
    case KV_ENC_EMBSTR: {
        size_t n = EMB_OFF + o->len + 1;
        return kv_mem_chunk(n < sizeof(kv_obj) ? sizeof(kv_obj) : n);
    }
    case KV_ENC_RAW:
        return hdr + kv_mem_chunk(RAW_HDR + ((const rawbuf *)o->u.ptr)->cap + 1);
    default:
        return hdr;
    }
}

/* ------------------------------------------------------------ numbers */

int kv_store_str2ll(const char *p, size_t n, long long *out)
{
    unsigned long long v = 0;
    int neg = 0;
    size_t i = 0;

    if (n == 0)
        return 0;
    if (n == 1 && p[0] == '0') {
        *out = 0;
        return 1;
    }
    if (p[0] == '-') {
        neg = 1;
        i = 1;
        if (n == 1)
            return 0;
    }
    if (p[i] < '1' || p[i] > '9')
        return 0;
    for (; i < n; i++) {
        unsigned d;
        if (p[i] < '0' || p[i] > '9')
            return 0;
        d = (unsigned)(p[i] - '0');
        if (v > (ULLONG_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    if (neg) {
        if (v > (unsigned long long)LLONG_MAX + 1)
            return 0;
        *out = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)v;
    } else {
        if (v > (unsigned long long)LLONG_MAX)
            return 0;
        *out = (long long)v;
    }
    return 1;
}

size_t kv_store_ll2str(char *buf, long long v)
{
    char tmp[KV_LLSTR_SIZE];
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    size_t n = 0, len = 0;

    do {
        tmp[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    if (v < 0)
        buf[len++] = '-';
    while (n)
        buf[len++] = tmp[--n];
    buf[len] = '\0';
    return len;
}

/* ------------------------------------------------------------ strings */

static rawbuf *raw_alloc(const char *p, size_t len, size_t cap)
{
    rawbuf *r = (rawbuf *)kv_xmalloc(RAW_HDR + cap + 1);
    r->len = len;
    r->cap = cap;
    r->refs = 1;
    if (len)
        memcpy(r->b, p, len);
    r->b[len] = '\0';
    return r;
}

kv_obj *kv_str_new_raw(const char *p, size_t n)
{
    kv_obj *o = obj_alloc(sizeof(kv_obj), KV_TYPE_STRING, KV_ENC_RAW);
    o->u.ptr = raw_alloc(p, n, n);
    return o;
}

static kv_obj *embstr_new(const char *p, size_t n)
{
    kv_obj *o = obj_alloc(EMB_OFF + n + 1, KV_TYPE_STRING, KV_ENC_EMBSTR);
    char *b = emb_bytes(o);
    o->len = (uint32_t)n;
    if (n)
        memcpy(b, p, n);
    b[n] = '\0';
    return o;
}

kv_obj *kv_str_new_embstr(const char *p, size_t n)
{
    return n <= KV_EMBSTR_MAX ? embstr_new(p, n) : kv_str_new_raw(p, n);
}

kv_obj *kv_str_from_ll(long long v)
{
    kv_obj *o = obj_alloc(sizeof(kv_obj), KV_TYPE_STRING, KV_ENC_INT);
    o->u.ll = v;
    return o;
}

kv_obj *kv_str_new(const char *p, size_t n)
{
    long long v;
    if (n <= 20 && kv_store_str2ll(p, n, &v))
        return kv_str_from_ll(v);
    if (n <= KV_EMBSTR_MAX)
        return embstr_new(p, n);
    return kv_str_new_raw(p, n);
}

kv_obj *kv_str_dup(const kv_obj *o)
{
    kv_obj *c;
    switch (o->encoding) {
    case KV_ENC_INT:
        c = kv_str_from_ll(o->u.ll);
        break;
    case KV_ENC_EMBSTR:
        c = embstr_new(emb_bytes(o), o->len);
        break;
    default: {
        const rawbuf *r = (const rawbuf *)o->u.ptr;
        c = kv_str_new_raw(r->b, r->len);
        break;
    }
    }
    c->lru = o->lru;
    return c;
}

size_t kv_str_len(const kv_obj *o)
{
    char buf[KV_LLSTR_SIZE];
    switch (o->encoding) {
    case KV_ENC_INT:
        return kv_store_ll2str(buf, o->u.ll);
    case KV_ENC_EMBSTR:
        return o->len;
    default:
        return ((const rawbuf *)o->u.ptr)->len;
    }
}

const char *kv_str_ptr(const kv_obj *o, char *buf, size_t *len)
{
    switch (o->encoding) {
    case KV_ENC_INT:
        *len = kv_store_ll2str(buf, o->u.ll);
        return buf;
    case KV_ENC_EMBSTR:
        *len = o->len;
        return emb_bytes(o);
    default: {
        const rawbuf *r = (const rawbuf *)o->u.ptr;
        *len = r->len;
        return r->b;
    }
    }
}

int kv_str_to_ll(const kv_obj *o, long long *v)
{
    char buf[KV_LLSTR_SIZE];
    const char *p;
    size_t n;
    if (o->encoding == KV_ENC_INT) {
        *v = o->u.ll;
        return 1;
    }
    p = kv_str_ptr(o, buf, &n);
    return kv_store_str2ll(p, n, v);
}

const char *kv_str_share(const kv_obj *o, size_t *len, void **ref)
{
    rawbuf *r;
    if (o->encoding != KV_ENC_RAW)
        return NULL;
    r = (rawbuf *)o->u.ptr;
    /* Only the value's own shard adds references, and it holds one. */
    kv_atomic_fetch_add_relaxed(&r->refs, 1u);
    *len = r->len;
    *ref = r;
    return r->b;
}

void kv_str_unref(void *ref)
{
    raw_release((rawbuf *)ref);
}

void *kv_str_blob_alloc(size_t n, char **data)
{
    rawbuf *r = (rawbuf *)kv_xmalloc(RAW_HDR + (n ? n : 1));
    r->len = 0;
    r->cap = n ? n - 1 : 0;
    r->refs = 1;
    *data = r->b;
    return r;
}

void kv_str_blob_ref(void *blob)
{
    kv_atomic_fetch_add_relaxed(&((rawbuf *)blob)->refs, 1u);
}

kv_obj *kv_str_adopt(void *blob, size_t len)
{
    kv_obj *o = obj_alloc(sizeof(kv_obj), KV_TYPE_STRING, KV_ENC_RAW);
    rawbuf *r = (rawbuf *)blob;
    kv_atomic_fetch_add_relaxed(&r->refs, 1u);
    r->len = len;
    r->cap = len; /* the allocation has len + 2 bytes: the NUL fits */
    r->b[len] = '\0';
    o->u.ptr = r;
    return o;
}

void kv_str_set_ll(kv_obj *o, long long v)
{
    if (o->encoding == KV_ENC_RAW)
        raw_release((rawbuf *)o->u.ptr);
    o->encoding = KV_ENC_INT;
    o->len = 0;
    o->u.ll = v;
}

/* Turn o into "raw" with room for `need` bytes; greedy growth (double up to
 * 1 MiB, then +1 MiB) makes repeated APPENDs amortised O(1). */
static rawbuf *raw_reserve(kv_obj *o, size_t need)
{
    rawbuf *r;
    if (o->encoding != KV_ENC_RAW) {
        char buf[KV_LLSTR_SIZE];
        size_t len;
        const char *p = kv_str_ptr(o, buf, &len);
        r = raw_alloc(p, len, need > len ? need : len);
        o->encoding = KV_ENC_RAW;
        o->len = 0;
        o->u.ptr = r;
        return r;
    }
    r = (rawbuf *)o->u.ptr;
    if (kv_atomic_load_acquire(&r->refs) != 1u) {
        /* A reply in flight still sends these bytes: write a copy. */
        rawbuf *c = raw_alloc(r->b, r->len, need > r->cap ? need : r->cap);
        raw_release(r);
        o->u.ptr = c;
        return c;
    }
    if (need > r->cap) {
        size_t cap = need < RAW_GREEDY_MAX ? need * 2 : need + RAW_GREEDY_MAX;
        r = (rawbuf *)kv_xrealloc(r, RAW_HDR + cap + 1);
        r->cap = cap;
        o->u.ptr = r;
    }
    return r;
}

void kv_str_append(kv_obj *o, const char *p, size_t n)
{
    size_t len = kv_str_len(o);
    rawbuf *r = raw_reserve(o, len + n);
    if (n)
        memcpy(r->b + r->len, p, n);
    r->len += n;
    r->b[r->len] = '\0';
}

char *kv_str_grow(kv_obj *o, size_t minlen)
{
    size_t len = kv_str_len(o);
    rawbuf *r = raw_reserve(o, minlen > len ? minlen : len);
    if (minlen > r->len) {
        memset(r->b + r->len, 0, minlen - r->len);
        r->len = minlen;
        r->b[minlen] = '\0';
    }
    return r->b;
}
