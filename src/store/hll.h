/* HyperLogLog in Redis 7.0's string layout, so a value can be moved between
 * kevy and Redis with GET/SET: a 16-byte header ("HYLL", encoding, 3 unused
 * bytes, 8-byte little-endian cached cardinality whose top bit marks it
 * stale), then 16384 6-bit registers either dense (12288 bytes) or sparse
 * (ZERO / XZERO / VAL run-length opcodes). Values come from clients, so
 * every reader here validates before it trusts a length. */
#ifndef KEVY_STORE_HLL_H
#define KEVY_STORE_HLL_H

#include <stddef.h>
#include <stdint.h>

#define KV_HLL_P 14                           /* index bits */
#define KV_HLL_Q 50                           /* bits left for the run of zeros */
#define KV_HLL_REGISTERS (1u << KV_HLL_P)     /* 16384 */
#define KV_HLL_BITS 6
#define KV_HLL_HDR_SIZE 16
#define KV_HLL_DENSE_SIZE (KV_HLL_HDR_SIZE + (KV_HLL_REGISTERS * KV_HLL_BITS + 7) / 8)
#define KV_HLL_DENSE 0
#define KV_HLL_SPARSE 1
/* Redis's hll-sparse-max-bytes default: a sparse value that would grow past
 * it (header included) is promoted to dense. */
#define KV_HLL_SPARSE_MAX_BYTES 3000
#define KV_HLL_SEED 0xadc83b19ULL

/* A value being modified: its bytes in a private growable buffer. */
typedef struct kv_hll {
    unsigned char *p;
    size_t len, cap;
} kv_hll;

/* MurmurHash64A (Austin Appleby), blocks read little-endian on any host. */
uint64_t kv_murmur64a(const void *key, size_t len, uint64_t seed);
/* The register an element lands in (*index) and the value it proposes:
 * one plus the number of trailing zeros of the remaining hash bits (1..51). */
unsigned kv_hll_pattern(const void *ele, size_t n, unsigned *index);

/* 1 if the bytes may be used as an HLL (Redis's isHLLObjectOrReply): at
 * least a header, the magic, encoding dense or sparse, and a dense value of
 * exactly KV_HLL_DENSE_SIZE bytes. Sparse bodies are checked when walked. */
int kv_hll_valid(const unsigned char *p, size_t n);
int kv_hll_encoding(const unsigned char *p);

/* The cached cardinality: 1 and *card if it is valid, else 0. */
int kv_hll_cache_get(const unsigned char *hdr, uint64_t *card);
void kv_hll_cache_set(unsigned char *hdr, uint64_t card);
/* Marks the cache stale, keeping the other bits (as Redis does). */
void kv_hll_cache_invalidate(unsigned char *hdr);

/* Dense registers (regs points just past the header). dense_set raises the
 * register to count if that is larger: 1 if it changed. */
unsigned kv_hll_dense_get(const unsigned char *regs, unsigned index);
int kv_hll_dense_set(unsigned char *regs, unsigned index, unsigned count);

/* Working values. kv_hll_new: an empty sparse HLL (one XZERO), cache 0. */
void kv_hll_new(kv_hll *h);
void kv_hll_from(kv_hll *h, const void *p, size_t n);  /* copies; p must be valid */
void kv_hll_free(kv_hll *h);
/* Add an element / raise one register (count 0..63; more is taken as 63).
 * 1 if a register changed, 0 if not, -1 if a sparse body is corrupt (then h
 * is left as it was). A sparse value is promoted when a register exceeds 32
 * or its size would pass max_bytes. */
int kv_hll_add(kv_hll *h, const void *ele, size_t n, size_t max_bytes);
int kv_hll_set(kv_hll *h, unsigned index, unsigned count, size_t max_bytes);
/* Sparse to dense (no-op when dense): 0, or -1 if the body is corrupt. */
int kv_hll_to_dense(kv_hll *h);

/* max[i] = max(max[i], register i) over a valid value: 0, or -1 if its
 * sparse body is corrupt (max may then be partly updated). */
int kv_hll_merge(uint8_t *max, const unsigned char *p, size_t n);

/* Cardinality from the registers of a valid value: 0, or -1 if its sparse
 * body is corrupt. Ignores the cache. */
int kv_hll_count(const unsigned char *p, size_t n, uint64_t *card);
/* Cardinality of KV_HLL_REGISTERS 8-bit registers (a merge result). */
uint64_t kv_hll_count_raw(const uint8_t *regs);
/* Ertl's improved estimator over a histogram of register values; entries
 * above Q+1 are ignored, as in Redis. */
uint64_t kv_hll_estimate(const unsigned long histo[64]);

#endif
