/* Sorted set values with Redis 7.0's two encodings: "listpack" (member,score
 * entry pairs sorted by score then member, for small sets) and "skiplist"
 * (a skiplist with spans, for O(log n) rank queries, plus a member -> node
 * dict). Commands see only this API; which encoding a value has is decided
 * here, with Redis's thresholds and conversion points. */
#ifndef KEVY_STORE_T_ZSET_H
#define KEVY_STORE_T_ZSET_H

#include <stddef.h>
#include <stdint.h>

#include "store/object.h"

/* Redis's zset-max-listpack-entries / zset-max-listpack-value defaults: a
 * listpack holds at most this many members, each at most this many bytes.
 * The live values are the server's configuration, passed in kv_zset_opts. */
#define KV_ZSET_MAX_LISTPACK_ENTRIES 128
#define KV_ZSET_MAX_LISTPACK_VALUE 64

/* What an operation that may convert a zset needs: the conversion limits
 * and the SipHash key of a new skiplist's dict. */
typedef struct kv_zset_opts {
    size_t max_lp_entries;
    size_t max_lp_value;
    const uint8_t *seed; /* 16 bytes */
} kv_zset_opts;

/* Redis's defaults with the given dict seed. */
void kv_zset_opts_init(kv_zset_opts *opts, const uint8_t seed[16]);

/* Bytes kv_zset_d2str may write (with the NUL). */
#define KV_ZSET_D2STR_MAX 32

/* A score interval; min/max are excluded when minex/maxex ("(1.5"). */
typedef struct kv_zrange {
    double min, max;
    int minex, maxex;
} kv_zrange;

/* A lex interval over members (memcmp order, shorter first on a tie). An end
 * is "-" (below everything), "+" (above everything) or a string, excluded
 * when *ex ("(a") and included otherwise ("[a"). */
#define KV_ZLEX_STR 0
#define KV_ZLEX_MIN 1 /* "-" */
#define KV_ZLEX_MAX 2 /* "+" */
typedef struct kv_zlex {
    const char *min, *max;
    size_t minlen, maxlen;
    int minkind, maxkind;
    int minex, maxex;
} kv_zlex;

/* ZADD's input flags and output bits. */
#define KV_ZADD_INCR 0x01
#define KV_ZADD_NX 0x02
#define KV_ZADD_XX 0x04
#define KV_ZADD_GT 0x08
#define KV_ZADD_LT 0x10
#define KV_ZADD_OUT_NOP 0x01     /* nothing done (NX/XX/GT/LT said no) */
#define KV_ZADD_OUT_NAN 0x02     /* INCR made NaN: nothing done */
#define KV_ZADD_OUT_ADDED 0x04   /* a new member */
#define KV_ZADD_OUT_UPDATED 0x08 /* an existing member's score changed */

/* An empty zset with the given encoding (KV_ENC_LISTPACK or KV_ENC_SKIPLIST).
 * `seed` keys the SipHash of a skiplist's member dict (the server's random
 * seed, so clients cannot flood one bucket); calls that may turn a listpack
 * into a skiplist take it too, since a listpack has nowhere to keep it. */
kv_obj *kv_zset_new(unsigned encoding, const uint8_t seed[16]);
/* The empty zset Redis 7.0's ZADD creates for a missing key whose first
 * member is mlen bytes long: a skiplist when zset-max-listpack-entries is 0
 * or the member is longer than zset-max-listpack-value, else a listpack. */
kv_obj *kv_zset_new_for(size_t mlen, const kv_zset_opts *opts);
size_t kv_zset_len(const kv_obj *o);

/* Add or update (Redis's zsetAdd): returns 1, or 0 when INCR produced NaN
 * (*out has KV_ZADD_OUT_NAN). *newscore (may be NULL) gets the resulting
 * score. Converts a listpack to a skiplist when the member is too long or
 * the listpack would grow past its limit. */
int kv_zset_add(kv_obj *o, double score, const char *m, size_t n, int flags, int *out,
                double *newscore, const kv_zset_opts *opts);
/* 1 and *score if m is a member. */
int kv_zset_score(const kv_obj *o, const char *m, size_t n, double *score);
int kv_zset_del(kv_obj *o, const char *m, size_t n);
/* 0-based rank (from the highest score when rev), -1 if absent. */
long long kv_zset_rank(const kv_obj *o, const char *m, size_t n, int rev, double *score);

/* Counts and removals over ranges; ranks are 0-based, inclusive and valid.
 * A lex count over members with different scores follows Redis's rank
 * arithmetic, which can even be negative. */
long long kv_zset_count(const kv_obj *o, const kv_zrange *r);
long long kv_zset_lexcount(const kv_obj *o, const kv_zlex *r);
size_t kv_zset_del_rank(kv_obj *o, size_t start, size_t end);
size_t kv_zset_del_score(kv_obj *o, const kv_zrange *r);
size_t kv_zset_del_lex(kv_obj *o, const kv_zlex *r);

/* Change the encoding (both directions). */
void kv_zset_convert(kv_obj *o, unsigned encoding, const uint8_t seed[16]);
/* Redis's zsetConvertToListpackIfNeeded, for stored results (ZUNIONSTORE,
 * GEORADIUS STORE): a skiplist small enough for opts' limits becomes a
 * listpack. maxlen is the longest member's length. */
void kv_zset_shrink_if_small(kv_obj *o, size_t maxlen, const kv_zset_opts *opts);
/* Bytes the value occupies (header included), by allocator chunks. */
size_t kv_zset_mem(const kv_obj *o);

/* Interval tests. */
int kv_zrange_empty(const kv_zrange *r);
int kv_zrange_gte_min(double v, const kv_zrange *r);
int kv_zrange_lte_max(double v, const kv_zrange *r);
int kv_zlex_empty(const kv_zlex *r);
int kv_zlex_gte_min(const char *m, size_t n, const kv_zlex *r);
int kv_zlex_lte_max(const char *m, size_t n, const kv_zlex *r);

/* ------------------------------------------------------------ iteration */

/* A cursor over a zset in score order (highest first when rev). The current
 * element is (m, mlen, score) while kv_zit_* returned 1. It stays valid
 * until the zset is modified; an integer-encoded listpack member is
 * formatted into buf. */
typedef struct kv_zit {
    const kv_obj *o;
    unsigned char *lp; /* listpack: the member entry */
    void *node;        /* skiplist: the node */
    int rev;
    const char *m;
    size_t mlen;
    double score;
    char buf[KV_ZSET_D2STR_MAX];
} kv_zit;

/* Position at the element of 0-based rank `rank` in the iteration order. */
int kv_zit_rank(kv_zit *it, const kv_obj *o, size_t rank, int rev);
/* Position at the first element inside the range in the iteration order
 * (the lowest when !rev, the highest when rev); 0 if none. The caller stops
 * when an element leaves the range (kv_zrange_lte_max / gte_min). */
int kv_zit_score(kv_zit *it, const kv_obj *o, const kv_zrange *r, int rev);
int kv_zit_lex(kv_zit *it, const kv_obj *o, const kv_zlex *r, int rev);
/* Step in the iteration order; 0 past the end. */
int kv_zit_next(kv_zit *it);

/* ZSCAN: one step over the members. A listpack is reported whole (returns
 * cursor 0); a skiplist walks its dict with kv_dict_scan's guarantee. The
 * score text fn gets is what Redis's ZSCAN replies: the listpack's stored
 * entry, or "%.17g" for a skiplist. */
typedef void (*kv_zscan_fn)(void *arg, const char *m, size_t mlen, const char *score,
                            size_t slen);
unsigned long kv_zset_scan(kv_obj *o, unsigned long cursor, kv_zscan_fn fn, void *arg);

/* ------------------------------------------------------- score formats */

/* The text a listpack stores for a score (Redis's d2string): "inf"/"-inf",
 * the integer when the score is integral and |score| <= LLONG_MAX/2, else
 * "%.17g". Returns the length. */
size_t kv_zset_d2str(char *buf, double score);
/* Redis's getDoubleFromObject: the whole string must be a number (strtod),
 * no leading space, no NaN, no overflow or underflow to zero. 1 if valid. */
int kv_zset_parse_score(const char *p, size_t n, double *out);
/* A score range end as ZRANGEBYSCORE/ZCOUNT take it ("(1.5", "-inf"). */
int kv_zset_parse_range(const char *minp, size_t minn, const char *maxp, size_t maxn,
                        kv_zrange *r);
/* A lex range as ZRANGEBYLEX takes it ("[a", "(a", "-", "+"). */
int kv_zset_parse_lex(const char *minp, size_t minn, const char *maxp, size_t maxn,
                      kv_zlex *r);

#endif
