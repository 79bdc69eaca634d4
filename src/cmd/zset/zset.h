/* Shared by the sorted set and geo command files (pairs.c implements it):
 * zset lookups and "pairs", a flat member/score list with an optional hash
 * index. Pairs carry results (ZUNIONSTORE, ZRANGESTORE, GEO STORE) and
 * values that travel between shards as one serialized bulk. */
#ifndef KV_CMD_ZSET_H
#define KV_CMD_ZSET_H

#include "cmd/core/cmd.h"
#include "cmd/multi/watch.h"
#include "store/t_zset.h"

/* The SipHash seed for zset dicts (the server's). */
const uint8_t *kv_zseed(const kv_ctx *ctx);
/* The options zset writes use: the shard's live zset-max-listpack-*. */
void kv_zopts(const kv_ctx *ctx, kv_zset_opts *opts);
/* The zset at key, NULL if absent. A value of another type replies
 * WRONGTYPE and sets *err (*err is left alone otherwise). */
kv_obj *kv_zget(kv_ctx *ctx, const kv_str *key, int write, int *err);
/* The same, accepting sets too (inputs of ZUNIONSTORE and friends). */
kv_obj *kv_zget_any(kv_ctx *ctx, const kv_str *key, int write, int *err);

/* ------------------------------------------------------------- pairs */

typedef struct kv_zpair {
    size_t off; /* member bytes at arena + off */
    size_t len;
    double score;
} kv_zpair;

typedef struct kv_zpairs {
    kv_buf arena;
    kv_zpair *v;
    size_t n, cap;
    size_t maxlen;   /* longest member */
    size_t *index;   /* open addressing: position + 1, 0 = empty */
    size_t nindex;   /* slots, a power of two; 0 = no index */
    const uint8_t *seed;
} kv_zpairs;

void kv_zpairs_init(kv_zpairs *p, const uint8_t *seed);
void kv_zpairs_free(kv_zpairs *p);
const char *kv_zpairs_member(const kv_zpairs *p, size_t i);
/* Append without looking for duplicates. */
void kv_zpairs_push(kv_zpairs *p, const char *m, size_t n, double score);
/* The score slot of member m, NULL if absent (indexes on first use). */
double *kv_zpairs_find(kv_zpairs *p, const char *m, size_t n);
/* Add m if absent: returns its score slot; *added says whether it was new. */
double *kv_zpairs_upsert(kv_zpairs *p, const char *m, size_t n, double score, int *added);
/* Sort by (score, member). */
void kv_zpairs_sort(kv_zpairs *p);
/* A stable merge sort with a context (equal keys keep their order, as in
 * glibc's qsort, which Redis uses). */
void kv_zmsort(void *base, size_t n, size_t size,
               int (*cmp)(const void *a, const void *b, void *ctx), void *ctx);

/* Wire form: a type byte ('z' scores follow members, 's' set members, 'n'
 * no key), then per member: 4-byte length, bytes, and for 'z' 8 bytes of
 * score. Parse returns the type byte, or -1 if malformed. */
void kv_zpairs_write(kv_buf *out, const kv_zpairs *p, int type);
int kv_zpairs_read(kv_zpairs *p, const char *blob, size_t n);
/* Serialize a local value (zset, or set with score 1) or 'n' when NULL. */
void kv_zobj_write(kv_buf *out, kv_obj *o);

/* The array header of a ZRANGE-shaped reply of n elements. */
void kv_zreply_range_len(kv_ctx *ctx, size_t n, int withscores);
/* Reply the pairs as ZRANGE does (in their order). */
void kv_zreply_pairs(kv_ctx *ctx, const kv_zpairs *p, int withscores);
/* Store sorted pairs at dst as a new zset (listpack when small enough for
 * the live limits, as Redis's stored results) with the keyspace event
 * `event` ("zunionstore", "georadiusstore"...), deleting dst ("del") when
 * there are none. Returns n. Redis counts a stored result as one change
 * (ZUNIONSTORE, ZRANGESTORE) or, with per_member, one per member (GEO...
 * STORE); the deletion of dst as one. */
long long kv_zstore_pairs(kv_ctx *ctx, const kv_str *dst, const kv_zpairs *p, int per_member,
                          const char *event);
/* Sub-commands: "<event> dst blob" stores the blob's pairs, counted as one
 * change, or one per member (_each); the name is the event to report, one
 * of kv_zstore_event's. */
extern const kv_cmd kv_zsub_store;
extern const kv_cmd kv_zsub_store_each;
/* The store event named `name` as a static string ("zunionstore",
 * "zinterstore", "zdiffstore", "zrangestore", "georadiusstore",
 * "geosearchstore"); "zunionstore" if it is none of them. */
const char *kv_zstore_event(const kv_str *name);
/* ZMPOP 1 key MIN|MAX [COUNT n] as a request (BZMPOP serves with it). */
extern const kv_cmd kv_zsub_zmpop;
/* Pass a sub-command's reply on to the client (errors counted as such). */
void kv_zrelay(kv_ctx *ctx, kv_str r);

/* A score as Redis replies it (kv_reply_double: bulk, or RESP3 double). */
void kv_zreply_member_score(kv_ctx *ctx, const char *m, size_t n, double score, int withscores);

/* zsetops.c: the keys of "<cmd> numkeys key..." (ZUNION, ZINTER, ZDIFF,
 * ZINTERCARD, ZMPOP). */
int kv_zgetkeys_numkeys(int argc, const kv_str *argv, int *pos, int max);

#endif
