/* libFuzzer harness for RESTORE's input: the bytes are a DUMP payload. The
 * checksum is verified (to exercise it) but the value is loaded either way,
 * so the loaders see arbitrary bodies (every type byte reaches its loader:
 * strings, lists, sets, sorted sets, hashes). A loaded value must serialize
 * again into a payload that passes the check and loads to the same bytes
 * (hashtable hashes and sets, whose walk order follows a random seed: the
 * same length and DEBUG DIGEST), in the same encoding. The input is also fed
 * to the primitive readers and to LZF directly. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/digest.h"
#include "store/lzf.h"
#include "store/rdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(c)                                                        \
    do {                                                                      \
        if (!(c)) {                                                           \
            fprintf(stderr, "fuzz_rdb: %s:%d: %s\n", __FILE__, __LINE__, #c); \
            abort();                                                          \
        }                                                                     \
    } while (0)

/* Hashtable-encoded hashes and sets are walked in an order that depends on
 * their dict's seed, which differs between two loads. */
static int seed_ordered(const kv_obj *o)
{
    return (kv_obj_type(o) == KV_TYPE_HASH || kv_obj_type(o) == KV_TYPE_SET) &&
           kv_obj_encoding(o) == KV_ENC_HT;
}

/* Values are compared through their serialization and their digest. */
static void roundtrip(kv_obj *o)
{
    kv_buf a, b;
    kv_obj *again;
    kv_buf_init(&a);
    kv_buf_init(&b);
    if (kv_rdb_dump(&a, o) == KV_RDB_OK) {
        FUZZ_ASSERT(kv_rdb_payload_check(a.p, a.len) == 0);
        again = kv_rdb_payload_load(a.p, a.len);
        FUZZ_ASSERT(again != NULL);
        FUZZ_ASSERT(kv_obj_type(again) == kv_obj_type(o));
        FUZZ_ASSERT(kv_rdb_dump(&b, again) == KV_RDB_OK);
        FUZZ_ASSERT(a.len == b.len);
        FUZZ_ASSERT(seed_ordered(o) || memcmp(a.p, b.p, a.len) == 0);
        FUZZ_ASSERT(kv_obj_encoding(o) == kv_obj_encoding(again));
        {
            unsigned char x[20], y[20];
            memset(x, 0, sizeof x);
            memset(y, 0, sizeof y);
            if (kv_digest_value(x, o) == KV_DIGEST_OK) {
                FUZZ_ASSERT(kv_digest_value(y, again) == KV_DIGEST_OK);
                FUZZ_ASSERT(memcmp(x, y, sizeof x) == 0);
            }
        }
        if (kv_obj_type(o) == KV_TYPE_STRING) {
            char x[KV_LLSTR_SIZE], y[KV_LLSTR_SIZE];
            size_t xn, yn;
            const char *xp = kv_str_ptr(o, x, &xn), *yp = kv_str_ptr(again, y, &yn);
            FUZZ_ASSERT(xn == yn && memcmp(xp, yp, xn) == 0);
            FUZZ_ASSERT(kv_obj_encoding(o) == kv_obj_encoding(again));
        }
        kv_obj_free(again);
    }
    kv_buf_free(&a);
    kv_buf_free(&b);
}

/* Walk the bytes with the primitive readers until one fails. */
static void primitives(const uint8_t *data, size_t size)
{
    kv_rdb_reader r;
    unsigned op;
    kv_rdb_reader_init(&r, data, size);
    while (kv_rdb_read_u8(&r, &op) == 0) {
        uint64_t len;
        int enc;
        double d;
        kv_rdb_str s;
        unsigned char *blob;
        size_t n;
        int rc;
        switch (op & 3) {
        case 0:
            rc = kv_rdb_read_len(&r, &len, &enc);
            break;
        case 1:
            if ((rc = kv_rdb_read_string(&r, &s)) == 0) {
                FUZZ_ASSERT(s.n == 0 || s.p != NULL);
                kv_rdb_str_free(&s);
            }
            break;
        case 2:
            rc = (op & 4) ? kv_rdb_read_double_bin(&r, &d) : kv_rdb_read_double_str(&r, &d);
            break;
        default:
            if ((blob = kv_rdb_read_blob(&r, &n)) != NULL)
                free(blob);
            rc = blob ? 0 : -1;
            break;
        }
        if (rc != 0)
            break;
        FUZZ_ASSERT(r.pos <= r.len);
    }
}

static void lzf(const uint8_t *data, size_t size)
{
    size_t cap, got;
    unsigned char *out, *back;
    if (size < 2)
        return;
    cap = ((size_t)data[0] << 8 | data[1]) + 1;
    out = malloc(cap);
    if (!out)
        abort();
    got = kv_lzf_decompress(data + 2, size - 2, out, cap);
    FUZZ_ASSERT(got <= cap);
    /* Whatever compresses must decompress to itself. */
    back = malloc(size + 1);
    if (!back)
        abort();
    got = kv_lzf_compress(data, size, out, cap);
    if (got) {
        FUZZ_ASSERT(got <= cap);
        FUZZ_ASSERT(kv_lzf_decompress(out, got, back, size) == size);
        FUZZ_ASSERT(memcmp(back, data, size) == 0);
    }
    free(back);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kv_obj *o;
    (void)kv_rdb_payload_check(data, size);
    if ((o = kv_rdb_payload_load(data, size)) != NULL) {
        roundtrip(o);
        kv_obj_free(o);
    }
    primitives(data, size);
    lzf(data, size);
    return 0;
}
