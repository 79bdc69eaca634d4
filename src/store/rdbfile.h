/* The RDB *file* layer (Redis 7.0's dump.rdb, RDB version 10) on top of the
 * object encoding of rdb.h: the pieces a snapshot writes (header with AUX
 * fields, SELECTDB, RESIZEDB, keys with their expire, EOF, checksum) and a
 * one-pass loader over an untrusted image that hands each key to a callback.
 * Pure store code: no server state, no I/O except kv_rdbf_load_file.
 *
 * A file, as Redis 7.0's rdbSaveRio writes it:
 *   "REDIS0010"
 *   AUX redis-ver, redis-bits, ctime, used-mem, aof-base (AUX = 0xFA, then
 *     two strings; numbers as their decimal text, int-encoded when it fits)
 *   per non-empty db: SELECTDB (0xFE, length), RESIZEDB (0xFB, keys,
 *     expires), then per key: [EXPIRETIME_MS (0xFC, 8 bytes LE)] [IDLE
 *     (0xF8, length) or FREQ (0xF9, 1 byte)] type byte, key string, body
 *   EOF (0xFF), then the CRC-64 (crc64.h) of every byte before it, from
 *   "REDIS" to the EOF byte included, as 8 bytes LE (0: not computed). */
#ifndef KEVY_STORE_RDBFILE_H
#define KEVY_STORE_RDBFILE_H

#include <stddef.h>
#include <stdint.h>

#include "kevy/resp.h"
#include "store/object.h"
#include "store/rdb.h"

/* Opcodes (bytes that take the place of a type byte). */
#define KV_RDB_OPCODE_FUNCTION2 245     /* a function library (7.0) */
#define KV_RDB_OPCODE_FUNCTION 246      /* 7.0 release candidates' form */
#define KV_RDB_OPCODE_MODULE_AUX 247
#define KV_RDB_OPCODE_IDLE 248          /* LRU idle seconds of the next key */
#define KV_RDB_OPCODE_FREQ 249          /* LFU counter of the next key */
#define KV_RDB_OPCODE_AUX 250
#define KV_RDB_OPCODE_RESIZEDB 251
#define KV_RDB_OPCODE_EXPIRETIME_MS 252
#define KV_RDB_OPCODE_EXPIRETIME 253    /* seconds, int32 LE (old files) */
#define KV_RDB_OPCODE_SELECTDB 254
#define KV_RDB_OPCODE_EOF 255

#define KV_RDBF_REDIS_VER "7.0.15" /* the redis-ver AUX a kevy file carries */

/* ------------------------------------------------------------- writing */

/* "REDIS0010" then the AUX fields in Redis 7.0's order: redis-ver, redis-bits
 * "64", ctime, used-mem, aof-base. */
void kv_rdbf_write_header(kv_buf *out, long long ctime_s, long long used_mem, int aof_base);
/* One AUX field (any other a caller wants, e.g. repl-id): two strings, LZF
 * if compress and it saves (as Redis's rdbSaveAuxField). */
void kv_rdbf_write_aux(kv_buf *out, const char *k, size_t kn, const char *v, size_t vn,
                       int compress);
/* An AUX field whose value is a number (rdbSaveAuxFieldStrInt). */
void kv_rdbf_write_aux_ll(kv_buf *out, const char *k, long long v);
void kv_rdbf_write_selectdb(kv_buf *out, int db);
void kv_rdbf_write_resizedb(kv_buf *out, uint64_t keys, uint64_t expires);
/* [EXPIRETIME_MS + 8 bytes LE when expire_ms >= 0] type byte, key string,
 * value body. Returns KV_RDB_OK or KV_RDB_UNSUPPORTED (out unchanged).
 * compress: 1 = LZF as Redis (rdbcompression yes), 0 = none. */
int kv_rdbf_write_key(kv_buf *out, const char *key, size_t klen, const kv_obj *o,
                      long long expire_ms, int compress);
/* The same with the eviction hints Redis writes after the expire: IDLE
 * (idle_s >= 0, under an LRU maxmemory-policy) or FREQ (freq 0..255, under
 * LFU); -1 leaves each out. */
int kv_rdbf_write_key_ex(kv_buf *out, const char *key, size_t klen, const kv_obj *o,
                         long long expire_ms, long long idle_s, int freq, int compress);
/* The EOF opcode only: whoever owns the whole stream appends the CRC-64 of
 * every byte before and including it with kv_rdbf_write_crc. */
void kv_rdbf_write_eof(kv_buf *out);
/* 8 bytes LE; crc 0 when rdbchecksum is no (loaders then skip the check). */
void kv_rdbf_write_crc(kv_buf *out, uint64_t crc);

/* ------------------------------------------------------------- loading */

typedef struct kv_rdbf_load_cb {
    void *arg;
    /* A loaded key (key is valid during the call only): val is owned by
     * the callee from now on (also when it returns -1). expire_ms -1 =
     * none; keys already expired are handed over too (dropping them is
     * the caller's policy: Redis drops them only as a master). idle_s:
     * from an IDLE opcode (-1 if none); freq: from FREQ (-1 if none).
     * Return 0 to continue, -1 to stop the load (it then fails with the
     * message the callee wrote into err, or a default one if none). */
    int (*key)(void *arg, int db, const char *key, size_t klen, kv_obj *val, long long expire_ms,
               long long idle_s, int freq, char *err, size_t errlen);
    /* Optional (may be NULL): each AUX field, each RESIZEDB hint (counts
     * from an untrusted file: bound them before sizing anything by them).
     * key may be NULL too: the values are then freed, a check of the
     * image. */
    void (*aux)(void *arg, const char *k, size_t kn, const char *v, size_t vn);
    void (*resizedb)(void *arg, int db, uint64_t keys, uint64_t expires);
    /* Optional: a function library's code (opcode 245); -1 (with err)
     * stops the load. Without it libraries are skipped. */
    int (*function)(void *arg, const char *code, size_t n, char *err, size_t errlen);
} kv_rdbf_load_cb;

typedef struct kv_rdbf_load_info {
    int version;             /* from the header */
    long long keys;          /* keys handed to cb.key */
    size_t bytes;            /* bytes consumed (the EOF opcode and checksum included) */
    long long empty_skipped; /* empty collections skipped, as Redis skips them */
} kv_rdbf_load_info;

/* Parse an RDB image held in memory, in one pass, calling cb per key. lim
 * and seed as in kv_rdb_reader (NULL: defaults / unknown). Returns 0, or -1
 * with err set to a message naming the byte offset and the problem:
 *   "Short read at offset N: ..."            the image ends inside something
 *   "Bad RDB format at offset N: ..."         malformed (e.g. unknown type 200)
 *   "Unsupported RDB content at offset N: ..." modules, streams, functions
 *   "Can't handle RDB format version 11 (offset 5)"
 *   "Wrong RDB checksum expected: (%llx) got (%llx)" (computed, then stored)
 * Version 1..10 is accepted; files of version 5 and later end with the
 * checksum, which is verified unless it is 0 or verify_crc is 0. The
 * loader trusts no length, and bytes after the checksum are ignored (as
 * Redis stops reading there). info (may be NULL) is filled in either way. */
int kv_rdbf_load_mem(const unsigned char *p, size_t n, const kv_enc_limits *lim,
                     const uint8_t *seed, int verify_crc, const kv_rdbf_load_cb *cb,
                     kv_rdbf_load_info *info, char *err, size_t errlen);
/* The same over a file (mapped read-only, or read() where it cannot be);
 * err is prefixed with the path. Returns 1 (err empty) if the file does not
 * exist, 0 on success, -1 on error. */
int kv_rdbf_load_file(const char *path, const kv_enc_limits *lim, const uint8_t *seed,
                      int verify_crc, const kv_rdbf_load_cb *cb, kv_rdbf_load_info *info,
                      char *err, size_t errlen);

#endif
