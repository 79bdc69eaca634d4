/* Redis 7.0's listpack: a compact, contiguous list of string-or-integer
 * entries, byte-compatible with the blobs Redis writes in RDB/DUMP payloads
 * for small lists, hashes, sets and sorted sets (so a RESTORE of Redis's
 * payload can adopt the blob after validation). Layout: total bytes (u32),
 * entry count (u16, 65535 = unknown), entries (encoding, data, backlen), 0xFF.
 * Entry positions are pointers into the blob; any call that returns a new
 * blob pointer invalidates earlier positions. */
#ifndef KEVY_STORE_LISTPACK_H
#define KEVY_STORE_LISTPACK_H

#include <stddef.h>

/* One entry's value: a string (s, n) or, when s is NULL, the integer v. */
typedef struct kv_lpval {
    const unsigned char *s;
    size_t n;
    long long v;
} kv_lpval;

#define KV_LP_BEFORE 0
#define KV_LP_AFTER 1
#define KV_LP_REPLACE 2

unsigned char *kv_lp_new(void);
void kv_lp_free(unsigned char *lp);
size_t kv_lp_bytes(const unsigned char *lp);
size_t kv_lp_count(const unsigned char *lp);

unsigned char *kv_lp_first(unsigned char *lp);  /* NULL if empty */
unsigned char *kv_lp_last(unsigned char *lp);
unsigned char *kv_lp_next(unsigned char *lp, unsigned char *p); /* NULL past the end */
unsigned char *kv_lp_prev(unsigned char *lp, unsigned char *p); /* NULL before the start */
/* Entry at index (negative counts from the end), or NULL. */
unsigned char *kv_lp_seek(unsigned char *lp, long index);
void kv_lp_get(const unsigned char *p, kv_lpval *out);
/* Decimal/bytes of an entry: strings as they are, integers formatted into buf
 * (>= 21 bytes). */
const unsigned char *kv_lp_get_str(const unsigned char *p, unsigned char *buf, size_t *n);

/* Insert s[0..n) before/after p, or replace p (where: KV_LP_*); p NULL with
 * KV_LP_BEFORE appends. Strings that are canonical integers are stored in an
 * integer encoding, as Redis does. Returns the new blob; *newp (if not NULL)
 * gets the inserted entry's position. */
unsigned char *kv_lp_insert(unsigned char *lp, unsigned char *p, int where, const char *s,
                            size_t n, unsigned char **newp);
unsigned char *kv_lp_append(unsigned char *lp, const char *s, size_t n);
unsigned char *kv_lp_prepend(unsigned char *lp, const char *s, size_t n);
unsigned char *kv_lp_append_int(unsigned char *lp, long long v);
/* Delete the entry at p; *next (if not NULL) gets the following entry or NULL. */
unsigned char *kv_lp_delete(unsigned char *lp, unsigned char *p, unsigned char **next);
/* Delete count entries starting at index (negative from the end). */
unsigned char *kv_lp_delete_range(unsigned char *lp, long index, size_t count);
/* First entry equal to s[0..n) starting at p, looking at every (skip+1)-th
 * entry (skip 1 walks the fields of field/value pairs). NULL if none. */
unsigned char *kv_lp_find(unsigned char *lp, unsigned char *p, const char *s, size_t n,
                          unsigned skip);
/* 1 if s[0..n) equals the entry at p (integers compare by value). */
int kv_lp_equal(const unsigned char *p, const char *s, size_t n);
/* Check an untrusted blob of `size` bytes (RESTORE): 1 if every header,
 * entry and backlen is consistent and in bounds. */
int kv_lp_validate(const unsigned char *lp, size_t size);

#endif
