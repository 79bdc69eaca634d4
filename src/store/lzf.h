/* LZF, the compression Redis applies to strings longer than 20 bytes in RDB
 * files and DUMP payloads (rdbcompression yes). The format: a control byte
 * below 32 starts a literal run of ctrl+1 bytes; otherwise its top 3 bits are
 * a back-reference length - 2 (7: one more length byte follows), its low 5
 * bits and the next byte an offset - 1 of up to 8191 bytes back. */
#ifndef KEVY_STORE_LZF_H
#define KEVY_STORE_LZF_H

#include <stddef.h>

/* No valid stream expands more than this (a 3-byte reference yields at most
 * 264 bytes): a larger declared length is corrupt without decompressing. */
#define KV_LZF_MAX_RATIO 88

/* Decompress in[0..in_len) into out[0..out_len). Returns the bytes written,
 * or 0 if the stream is corrupt (a truncated run, a reference before the
 * start) or does not fit. Like liblzf, on which Redis relies: a caller that
 * knows the length checks that the result equals it. */
size_t kv_lzf_decompress(const void *in, size_t in_len, void *out, size_t out_len);

/* Compress in[0..in_len) into out[0..out_len). Returns the compressed size,
 * or 0 if it would not fit (callers then store the bytes as they are). The
 * output, and whether it fits, is byte for byte what Redis 7.0's liblzf 3.6
 * produces for the same input and output size. */
size_t kv_lzf_compress(const void *in, size_t in_len, void *out, size_t out_len);

#endif
