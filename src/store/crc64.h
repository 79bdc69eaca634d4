/* CRC-64/Jones as Redis computes it for DUMP payloads and RDB files:
 * reflected polynomial 0xad93d23594c935a9, initial value 0, no final xor.
 * crc64("123456789") == 0xe9c6d914c4b8d9ca. */
#ifndef KEVY_STORE_CRC64_H
#define KEVY_STORE_CRC64_H

#include <stddef.h>
#include <stdint.h>

/* Continue a CRC over p[0..n) (start with crc = 0). */
uint64_t kv_crc64(uint64_t crc, const void *p, size_t n);
/* The same, one bit at a time: the definition the table is checked against. */
uint64_t kv_crc64_bitwise(uint64_t crc, const void *p, size_t n);

#endif
