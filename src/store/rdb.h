/* Redis's serialization format (RDB object encoding, version 10 = Redis 7.0)
 * for DUMP/RESTORE payloads and for moving values between shards. rdb.c has
 * the primitives, strings and the payload framing; each collection type's
 * body lives in its own file (rdb_list.c, rdb_hash.c, rdb_set.c, rdb_zset.c)
 * so the type's author owns it. Readers treat every byte as untrusted.
 *
 * A DUMP payload is: one RDB type byte, the object's body, the RDB version
 * as 2 bytes little-endian, then the CRC-64/Jones (crc64.h) of everything
 * before it as 8 bytes little-endian. Redis accepts any version <= its own.
 *
 * Primitives, as Redis writes them (all multi-byte lengths big-endian):
 *  - length: 00xxxxxx (6 bits), 01xxxxxx xxxxxxxx (14 bits), 0x80 + u32,
 *    0x81 + u64. A byte 11xxxxxx announces a special string encoding
 *    (below); where a plain length is expected Redis reads its low 6 bits
 *    as the length, and so does kv_rdb_read_len.
 *  - string: a length then the bytes, or 0xC0 int8, 0xC1 int16 LE, 0xC2
 *    int32 LE (strings of at most 11 bytes that are canonical integers), or
 *    0xC3 LZF: compressed length, original length, the LZF bytes (strings
 *    over 20 bytes when compression saves at least 4 bytes).
 *  - double, ZSET_2 and later: 8 bytes, IEEE 754 little-endian. Old ZSET
 *    (type 3): one length byte (253 NaN, 254 +inf, 255 -inf) then that many
 *    ASCII bytes of "%.17g".
 *  - blobs (listpack, intset, ziplist, zipmap): a string (so possibly LZF)
 *    whose bytes are the structure exactly as Redis keeps it in memory.
 *
 * Bodies by type (what each rdb_<type>.c reads and writes):
 *  list:  QUICKLIST_2 (18, what 7.0 writes): node count, then per node a
 *         container length (1 plain: the blob is one element; 2 packed: the
 *         blob is a listpack). QUICKLIST (14): node count, each a ziplist
 *         blob. ZIPLIST (10): one ziplist. LIST (1): count, then strings.
 *  set:   INTSET (11): an intset blob (intset.h). SET (2): count, strings.
 *  hash:  LISTPACK (16): a listpack of field, value, ... HASH (4): pair
 *         count, then field and value strings. ZIPLIST (13) / ZIPMAP (9):
 *         older blobs to convert.
 *  zset:  LISTPACK (17): a listpack of member, score, ... (scores as
 *         listpack strings or integers). ZSET_2 (5): count, then member
 *         string and binary double, highest score first as Redis writes it.
 *         ZSET (3): the same with string doubles. ZIPLIST (12): older blob.
 * Ziplist blobs of all three types go through one walker (rdb_ziplist.h).
 * Loaders must reject (return NULL): empty collections (Redis refuses them
 * too), blobs that fail kv_lp_validate / kv_is_validate (kevy always
 * validates deeply: payloads come from clients), duplicate members or
 * fields, and counts that exceed what the remaining bytes can hold. A
 * ziplist is: zlbytes u32, zltail u32, zllen u16, entries (prevlen: 1 byte,
 * or 0xFE + u32; encoding; data), 0xFF, all little-endian. */
#ifndef KEVY_STORE_RDB_H
#define KEVY_STORE_RDB_H

#include <stddef.h>
#include <stdint.h>

#include "kevy/resp.h"
#include "store/listpack.h"
#include "store/object.h"

#define KV_RDB_VERSION 10
#define KV_RDB_FOOTER 10 /* version (2) + CRC-64 (8) */

/* RDB object type bytes (Redis 7.0 knows 0..7 and 9..19). */
enum {
    KV_RDB_TYPE_STRING = 0,
    KV_RDB_TYPE_LIST = 1,
    KV_RDB_TYPE_SET = 2,
    KV_RDB_TYPE_ZSET = 3,
    KV_RDB_TYPE_HASH = 4,
    KV_RDB_TYPE_ZSET_2 = 5,
    KV_RDB_TYPE_MODULE = 6,
    KV_RDB_TYPE_MODULE_2 = 7,
    KV_RDB_TYPE_HASH_ZIPMAP = 9,
    KV_RDB_TYPE_LIST_ZIPLIST = 10,
    KV_RDB_TYPE_SET_INTSET = 11,
    KV_RDB_TYPE_ZSET_ZIPLIST = 12,
    KV_RDB_TYPE_HASH_ZIPLIST = 13,
    KV_RDB_TYPE_LIST_QUICKLIST = 14,
    KV_RDB_TYPE_STREAM_LISTPACKS = 15,
    KV_RDB_TYPE_HASH_LISTPACK = 16,
    KV_RDB_TYPE_ZSET_LISTPACK = 17,
    KV_RDB_TYPE_LIST_QUICKLIST_2 = 18,
    KV_RDB_TYPE_STREAM_LISTPACKS_2 = 19
};

#define KV_RDB_QUICKLIST_PLAIN 1
#define KV_RDB_QUICKLIST_PACKED 2

/* Save results. */
#define KV_RDB_OK 0
#define KV_RDB_UNSUPPORTED (-1) /* kevy cannot serialize this type (yet) */

/* ------------------------------------------------------------- writing */

void kv_rdb_write_type(kv_buf *out, int type);
void kv_rdb_write_len(kv_buf *out, uint64_t len);
/* Redis's rdbSaveRawString: int-encoded when the bytes are a canonical
 * integer of at most 11 chars that fits 32 bits, LZF when longer than 20
 * bytes and compression saves at least 4 bytes, else length + bytes. Use it
 * for elements and for blobs alike. */
void kv_rdb_write_string(kv_buf *out, const void *p, size_t n);
/* The same with LZF only when compress is set (compress 0: Redis's
 * `rdbcompression no`, where strings and blobs are written as they are). */
void kv_rdb_write_string_opt(kv_buf *out, const void *p, size_t n, int compress);
/* An integer value (rdbSaveLongLongAsStringObject): int-encoded if it fits
 * 32 bits, else its decimal digits, never compressed. */
void kv_rdb_write_ll(kv_buf *out, long long v);
/* A listpack or set entry: its string, or its integer as kv_rdb_write_ll. */
void kv_rdb_write_lpval(kv_buf *out, const kv_lpval *v);
void kv_rdb_write_lpval_opt(kv_buf *out, const kv_lpval *v, int compress);
void kv_rdb_write_double_bin(kv_buf *out, double d);
void kv_rdb_write_double_str(kv_buf *out, double d);

/* ------------------------------------------------------------- reading */

/* The encoding settings a loaded value is built with, as Redis applies its
 * live *-max-* parameters when it loads a value: CONFIG SET writes the
 * server's copy (cmd/cfg.h), commands read the same fields. */
typedef struct kv_enc_limits {
    size_t hash_lp_entries, hash_lp_value; /* hash-max-listpack-entries / -value */
    size_t set_intset_entries;             /* set-max-intset-entries */
    size_t zset_lp_entries, zset_lp_value; /* zset-max-listpack-entries / -value */
    int list_fill;                         /* list-max-listpack-size */
    int list_compress;                     /* list-compress-depth (not applied) */
    size_t stream_node_bytes;              /* stream-node-max-bytes */
    long long stream_node_entries;         /* stream-node-max-entries */
} kv_enc_limits;

/* Redis 7.0.15's defaults (the KV_*_MAX_* constants of t_*.h). */
void kv_enc_limits_default(kv_enc_limits *l);

/* A bounded cursor over untrusted bytes. Reads return 0, or -1 when the
 * data is malformed or would run past the end (pos then means nothing).
 * lim (NULL: the defaults) decides the encodings of loaded collections as
 * Redis's loader decides them; keep set means "rebuild what was saved"
 * instead (a value moving between shards or copied, which Redis never
 * re-encodes): compact bodies stay compact, table bodies become tables.
 * seed (16 bytes, NULL: unknown) keys the SipHash of the dicts a load
 * builds; commands set the server's, as their own new values get it. */
typedef struct kv_rdb_reader {
    const unsigned char *p;
    size_t len;
    size_t pos;
    const kv_enc_limits *lim;
    int keep;
    const uint8_t *seed;
} kv_rdb_reader;

/* A reader with the default limits, keep off, no seed (set the fields
 * after). */
void kv_rdb_reader_init(kv_rdb_reader *r, const void *p, size_t len);
/* The limits in force for r (never NULL). */
const kv_enc_limits *kv_rdb_limits(const kv_rdb_reader *r);
/* The seed for a dict built from r: a copy of r->seed, or without one a
 * seed derived from the clock and a fresh heap address (what no client
 * can predict), as the rdb API works without a server too. */
void kv_rdb_seed(const kv_rdb_reader *r, uint8_t out[16]);
size_t kv_rdb_remaining(const kv_rdb_reader *r);
int kv_rdb_read_u8(kv_rdb_reader *r, unsigned *v);
int kv_rdb_read_bytes(kv_rdb_reader *r, size_t n, const unsigned char **p);
/* A length. isencoded (may be NULL) is set to 1 when the byte was 11xxxxxx
 * (then *len is the 6-bit encoding number). */
int kv_rdb_read_len(kv_rdb_reader *r, uint64_t *len, int *isencoded);

/* A string in any of its encodings. p/n are valid until kv_rdb_str_free
 * and point into the reader's bytes (plain), into ibuf (integers: is_int is
 * set and ll holds the value) or into heap (LZF). */
typedef struct kv_rdb_str {
    const char *p;
    size_t n;
    int is_int;
    long long ll;
    char *heap;
    char ibuf[KV_LLSTR_SIZE];
} kv_rdb_str;

int kv_rdb_read_string(kv_rdb_reader *r, kv_rdb_str *s);
void kv_rdb_str_free(kv_rdb_str *s);
/* A string as a malloc'd copy (blobs to adopt after validation); NULL on
 * malformed data. */
unsigned char *kv_rdb_read_blob(kv_rdb_reader *r, size_t *n);
int kv_rdb_read_double_bin(kv_rdb_reader *r, double *d);
int kv_rdb_read_double_str(kv_rdb_reader *r, double *d);

/* ------------------------------------------------------------- objects */

/* Type byte and body of a value; KV_RDB_UNSUPPORTED leaves out unchanged. */
int kv_rdb_save_object(kv_buf *out, const kv_obj *o);
/* The same; compress 0 writes no LZF anywhere (rdbcompression no), 1 is
 * kv_rdb_save_object (LZF where it saves 4 bytes, as Redis by default). */
int kv_rdb_save_object_opt(kv_buf *out, const kv_obj *o, int compress);
/* Type byte and body; NULL if malformed or of a type kevy cannot build.
 * Strings come back in the encoding SET would give them. */
kv_obj *kv_rdb_load_object(kv_rdb_reader *r);
/* The same after the type byte t was read (an RDB file has the key in
 * between). */
kv_obj *kv_rdb_load_value(int t, kv_rdb_reader *r);
/* A deep copy (COPY): strings directly, other types through save + load
 * with keep set, so the copy has the original's encoding (and a list its
 * node fill), as Redis's COPY duplicates; new hash tables keyed with seed
 * (NULL: see kv_rdb_seed). NULL if unsupported. */
kv_obj *kv_rdb_dup(const kv_obj *o, const uint8_t *seed);

/* Collections, one file each. save: write the type byte and the body (LZF
 * for strings and blobs only if compress) and return KV_RDB_OK, or
 * KV_RDB_UNSUPPORTED (rdb.c rolls out back). load:
 * called after the type byte `rdbtype` was read; a new value or NULL. */
int kv_rdb_save_list(kv_buf *out, const kv_obj *o, int compress);
int kv_rdb_save_set(kv_buf *out, const kv_obj *o, int compress);
int kv_rdb_save_zset(kv_buf *out, const kv_obj *o, int compress);
int kv_rdb_save_hash(kv_buf *out, const kv_obj *o, int compress);
int kv_rdb_save_stream(kv_buf *out, const kv_obj *o, int compress);
kv_obj *kv_rdb_load_list(int rdbtype, kv_rdb_reader *r);
kv_obj *kv_rdb_load_set(int rdbtype, kv_rdb_reader *r);
kv_obj *kv_rdb_load_zset(int rdbtype, kv_rdb_reader *r);
kv_obj *kv_rdb_load_hash(int rdbtype, kv_rdb_reader *r);
kv_obj *kv_rdb_load_stream(int rdbtype, kv_rdb_reader *r); /* rdb_stream.c */

/* ------------------------------------------------------- DUMP payloads */

/* Append o's payload (type, body, version, CRC); KV_RDB_UNSUPPORTED leaves
 * out unchanged. */
int kv_rdb_dump(kv_buf *out, const kv_obj *o);
/* Redis's verifyDumpPayload: 0 if at least 10 bytes, version <= ours and
 * the CRC matches; -1 otherwise. */
int kv_rdb_payload_check(const void *p, size_t n);
/* The value in a payload (checked or not). Like Redis, the object is read
 * from the whole buffer, footer included, and trailing bytes are ignored.
 * NULL: "Bad data format". */
kv_obj *kv_rdb_payload_load(const void *p, size_t n);
/* The same with limits lim (NULL: the defaults), keep and seed (NULL:
 * unknown) as in the reader. */
kv_obj *kv_rdb_payload_load_enc(const void *p, size_t n, const kv_enc_limits *lim, int keep,
                                const uint8_t *seed);

#endif
