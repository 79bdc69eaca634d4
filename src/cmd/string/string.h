/* What the string family's files share (strings, bitmaps, HyperLogLog and
 * LCS; each file owns its commands' table): the string size limit, the bit
 * offset and bitfield arithmetic rules, and the sub-commands that move
 * string values between shards for LCS and BITOP. (Long double text rules:
 * lib/fmt_float.h.) */
#ifndef KV_CMD_STRING_H
#define KV_CMD_STRING_H

#include <stdint.h>

#include "cmd/core/cmd.h"

/* ----------------------------------------------------------- range.c */

/* Redis's checkStringLength: 0 if a string of `size` bytes is allowed,
 * else -1 after replying the proto-max-bulk-len error. */
int kv_check_string_length(kv_ctx *ctx, unsigned long long size);
/* A new "raw" string of n zero bytes, allocated at exactly that size (as
 * Redis's sdsnewlen(NULL, n) for SETRANGE and SETBIT on a missing key). */
kv_obj *kv_new_zeroed_string(size_t n);

/* --------------------------------------------- bitmap.c, bitfield.c */

/* A bit offset argument (getBitOffsetFromArgument): a non-negative integer,
 * or with `bits` > 0 also "#n" meaning n * bits (wrapping like Redis's
 * 64-bit multiply), whose byte must be below proto-max-bulk-len. 0 on
 * success, else -1 after replying "bit offset is not an integer...". */
int kv_bit_offset(kv_ctx *ctx, const kv_str *a, int bits, uint64_t *off);
/* lookupStringForBitCommand: the string under key grown (zero filled) to
 * hold bit `maxbit`, created if missing; always "raw" afterwards. NULL
 * after replying WRONGTYPE. Returns the writable bytes; *len its length. */
unsigned char *kv_bit_string_grow(kv_ctx *ctx, const kv_str *key, uint64_t maxbit, size_t *len);

enum { KV_BF_WRAP = 0, KV_BF_SAT = 1, KV_BF_FAIL = 2 };

/* `bits` (1..64) bits at bit `off` of p, most significant bit first. */
uint64_t kv_bf_get(const unsigned char *p, uint64_t off, int bits);
void kv_bf_set(unsigned char *p, uint64_t off, int bits, uint64_t v);
/* The low `bits` bits of v as a two's complement number. */
int64_t kv_bf_signed(uint64_t v, int bits);
/* value + incr for an i<bits> field (1..64): 0 if it fits (*res = the
 * sum), else 1 (above the range) or -1 (below) with *res = the wrapped
 * (KV_BF_WRAP) or saturated (KV_BF_SAT) value; *res is not set for
 * KV_BF_FAIL. SET checks its value with incr 0. */
int kv_bf_signed_add(int64_t value, int64_t incr, int bits, int ow, int64_t *res);
/* The same for u<bits> (1..63). A value above the range (a SET of a
 * negative number, as uint64) is an overflow upward, as in Redis. */
int kv_bf_unsigned_add(uint64_t value, int64_t incr, int bits, int ow, uint64_t *res);

/* --------------------------------------- transfer.c: values between shards */

/* Sub-command `name key...`: an array with one bulk per key, whose first
 * byte says what the key holds: 'S' then the string's bytes, 'N' (no such
 * key) or 'W' (another type). Keys are looked up like reads. */
extern const kv_cmd kv_sub_strvals;
/* Sub-command `name key [value]`: store value as a "raw" string (dropping
 * any TTL), or delete the key when no value is given; replies the stored
 * length. */
extern const kv_cmd kv_sub_strstore;

enum { KV_SV_MISSING = 'N', KV_SV_STRING = 'S', KV_SV_WRONGTYPE = 'W' };
typedef struct kv_strval {
    int kind;      /* KV_SV_* */
    const char *p; /* the bytes, for KV_SV_STRING */
    size_t n;
} kv_strval;
/* Parse a kv_sub_strvals reply into out[0..max); returns the element count,
 * or -1 if the reply is not one (an error from the sub-command). */
int kv_strvals_parse(kv_str reply, kv_strval *out, int max);

#endif
