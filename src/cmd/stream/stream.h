/* The stream family's shared pieces (src/cmd/stream/): ID parsing with
 * Redis 7.0's rules and error text, lookups, and the replies of entries
 * and ranges that XRANGE, XREAD and XINFO share. */
#ifndef KV_CMD_STREAM_H
#define KV_CMD_STREAM_H

#include "cmd/core/cmd.h"
#include "store/t_stream.h"

/* Redis's streamGenericParseIDOrReply: "-" and "+" (refused when strict),
 * "<ms>" (seq = missing_seq), "<ms>-<seq>", and with seq_given non-NULL
 * "<ms>-*" (*seq_given 0). 0, or -1 after replying "Invalid stream ID"
 * (ctx NULL: -1 without a reply). */
int kv_stream_parse_id(kv_ctx *ctx, const kv_str *a, kv_sid *id, uint64_t missing_seq,
                       int strict, int *seq_given);
/* The stream at key for reading: *o NULL if missing; -1 after WRONGTYPE. */
int kv_stream_read(kv_ctx *ctx, const kv_str *key, kv_obj **o);
void kv_reply_sid(kv_reply *r, const kv_sid *id);
/* Entries of [start, end] (at most count, 0: all) as an array of [id,
 * [field, value...]]; returns how many. */
size_t kv_stream_reply_range(kv_ctx *ctx, const kv_stream *s, const kv_sid *start,
                             const kv_sid *end, size_t count, int rev);
/* The same without the array header: one [id, fields] per entry, at most
 * count; for XINFO's first-entry and last-entry. */
size_t kv_stream_reply_entries(kv_reply *r, const kv_stream *s, const kv_sid *start,
                               const kv_sid *end, size_t count, int rev);

/* A reply whose length is known only at its end (Redis's deferred
 * lengths): write the elements to d->r, then kv_defer_end puts the array
 * (or map, or RESP2 pairs) header and the elements on out. */
typedef struct kv_defer {
    kv_buf buf;
    kv_reply r;
} kv_defer;
static inline kv_reply *kv_defer_start(kv_defer *d, const kv_reply *out)
{
    kv_buf_init(&d->buf);
    d->r.buf = &d->buf;
    d->r.proto = out->proto;
    d->r.errors = 0;
    return &d->r;
}
static inline void kv_defer_end(kv_defer *d, kv_reply *out, long n)
{
    kv_reply_array(out, n);
    kv_reply_raw(out, d->buf.p, d->buf.len);
    out->errors += d->r.errors;
    kv_buf_free(&d->buf);
}
/* The stream at key for writing (lookup_write); *o NULL if missing; -1
 * after WRONGTYPE. */
int kv_stream_write(kv_ctx *ctx, const kv_str *key, kv_obj **o);
/* An argument as Redis's "%s" prints it: up to its first NUL. */
#define KV_ARGF(a) (int)kv_arg_cstrlen(a), (a)->p
/* Redis's streamParseIntervalIDOrReply: "(" makes the bound exclusive. */
int kv_stream_parse_bound(kv_ctx *ctx, const kv_str *a, kv_sid *id, int *excl,
                          uint64_t missing);
/* One entry [id, [field, value...]] (exactly id), or nothing: 1 if it
 * was there. */
int kv_stream_reply_one(kv_reply *r, const kv_stream *s, const kv_sid *id);

/* xclaim.c: what XREADGROUP, XCLAIM and XAUTOCLAIM log in place of
 * themselves (with kv_propagate_none), as Redis 7.0 propagates them. */
struct kv_scg;
struct kv_snack;
struct kv_sconsumer;
void kv_stream_propagate_xclaim(kv_ctx *ctx, const kv_str *key, const kv_str *group,
                                const struct kv_scg *cg, const kv_sid *id,
                                const struct kv_snack *nack);
void kv_stream_propagate_setid(kv_ctx *ctx, const kv_str *key, const kv_str *group,
                               const struct kv_scg *cg);
void kv_stream_propagate_consumer(kv_ctx *ctx, const kv_str *key, const kv_str *group,
                                  const struct kv_sconsumer *c);
/* The named consumer, created (dirty, xgroup-createconsumer) if new. */
struct kv_sconsumer *kv_stream_consumer_get(kv_ctx *ctx, struct kv_scg *cg, const kv_str *key,
                                            const kv_str *name, int *created);

/* XREAD and XREADGROUP (xread.c, xreadgroup.c): exec, coord and keys;
 * with BLOCK (kv_stream_has_block) they are the blocking engine's, with
 * these blockers (xblock.c). */
void kv_stream_xread_cmd(kv_ctx *ctx, int argc, const kv_str *argv);
int kv_stream_xread_coord(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv);

/* Their arguments (xread_args.c): "XREAD[GROUP] [GROUP g c] [BLOCK ms]
 * [COUNT n] [NOACK] STREAMS key... id...". Positions are argv indexes,
 * 0 when absent. */
typedef struct kv_xread_args {
    long long count;      /* COUNT's value, negative made 0; 0 also when absent */
    long long timeout_ms; /* BLOCK's milliseconds; 0: forever */
    int count_arg;        /* COUNT's value */
    int block;            /* BLOCK's value */
    int group;            /* the group name (the consumer's follows) */
    int noack;            /* NOACK itself */
    int streams;          /* the first key */
    int nkeys;
} kv_xread_args;
/* Redis 7.0.15's option parsing for XREAD (KV_XREAD_PLAIN: GROUP and
 * NOACK refused) and XREADGROUP (KV_XREAD_GROUP: GROUP required), or
 * either (KV_XREAD_ANY: where things are in arguments already checked):
 * the first bad option's error, replied (ctx NULL: silent); 0 or -1.
 * The positions read before an error are set. */
#define KV_XREAD_PLAIN 0
#define KV_XREAD_GROUP 1
#define KV_XREAD_ANY 2
int kv_stream_xread_parse(kv_ctx *ctx, int argc, const kv_str *argv, int kind,
                          kv_xread_args *a);
int kv_stream_xread_getkeys(int argc, const kv_str *argv, int *pos, int max);
/* Their lockkeys hook: BLOCK's lock set (the blocking engine's), else -1:
 * routed by the keys (a non-blocking read runs where its keys are). */
int kv_stream_xread_lockkeys(kv_ctx *ctx, int argc, const kv_str *argv, kv_str *keys, int max,
                             int *whole);
/* XREAD / XREADGROUP over shards: the per-key replies (coordination
 * replies 0..nkeys-1) joined as one (xread.c). */
int kv_stream_merge_replies(kv_ctx *ctx, kv_coord *co, int nkeys);
void kv_stream_xreadgroup_cmd(kv_ctx *ctx, int argc, const kv_str *argv);
int kv_stream_xreadgroup_coord(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv);
int kv_stream_has_block(int argc, const kv_str *argv);
struct kv_blocker;
extern const struct kv_blocker kv_xread_blocker, kv_xreadgroup_blocker;

#endif
