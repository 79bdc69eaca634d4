/* The stream family's shared pieces (src/cmd/stream/): ID parsing with
 * Redis 7.0's rules and error text, lookups, and the replies of entries
 * and ranges that XRANGE, XREAD and XINFO share. */
#ifndef KV_CMD_STREAM_H
#define KV_CMD_STREAM_H

#include "cmd/core/cmd.h"
#include "store/t_stream.h"

/* Redis's streamGenericParseIDOrReply: "-" and "+" (refused when strict),
 * "<ms>" (seq = missing_seq), "<ms>-<seq>", and with seq_given non-NULL
 * "<ms>-*" (*seq_given 0). 0, or -1 after replying "Invalid stream ID". */
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

#endif
