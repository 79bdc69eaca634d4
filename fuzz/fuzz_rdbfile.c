/* libFuzzer harness for the RDB file loader (rdbfile.h): arbitrary bytes as
 * a whole dump.rdb image, loaded with and without the checksum check (the
 * first byte picks the default or tiny encoding limits, so conversions run
 * too). Every key handed over is freed by the callback, which also checks
 * what the loader promises: a message on failure, consumed bytes within the
 * input, a key stream that writes back to an image loading to as many keys.
 * Inputs are loaded from an exact-size copy so any overread is reported. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/crc64.h"
#include "store/rdbfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(c)                                                            \
    do {                                                                          \
        if (!(c)) {                                                               \
            fprintf(stderr, "fuzz_rdbfile: %s:%d: %s\n", __FILE__, __LINE__, #c); \
            abort();                                                              \
        }                                                                         \
    } while (0)

/* The keys of one load, written again as they arrive (kevy's writer). */
typedef struct sink {
    kv_buf out;
    long long keys, written;
    int last_db;
} sink;

static int on_key(void *arg, int db, const char *key, size_t klen, kv_obj *val, long long expire,
                  long long idle, int freq, char *err, size_t errlen)
{
    sink *s = (sink *)arg;
    (void)err, (void)errlen;
    FUZZ_ASSERT(db >= 0);
    FUZZ_ASSERT(freq >= -1 && freq <= 255);
    FUZZ_ASSERT(idle >= -1);
    s->keys++;
    if (db != s->last_db) {
        kv_rdbf_write_selectdb(&s->out, db);
        s->last_db = db;
    }
    /* Whatever loads is of a type the writer knows. */
    FUZZ_ASSERT(kv_rdbf_write_key_ex(&s->out, key, klen, val, expire, idle, freq,
                                     (int)(s->keys & 1)) == KV_RDB_OK);
    s->written++;
    kv_obj_free(val);
    return 0;
}

static void on_aux(void *arg, const char *k, size_t kn, const char *v, size_t vn)
{
    (void)arg;
    FUZZ_ASSERT(kn == 0 || k != NULL);
    FUZZ_ASSERT(vn == 0 || v != NULL);
}

static void on_resize(void *arg, int db, uint64_t keys, uint64_t expires)
{
    (void)arg, (void)keys, (void)expires;
    FUZZ_ASSERT(db >= 0);
}

static int count_key(void *arg, int db, const char *key, size_t klen, kv_obj *val,
                     long long expire, long long idle, int freq, char *err, size_t errlen)
{
    (void)db, (void)key, (void)klen, (void)expire, (void)idle, (void)freq, (void)err, (void)errlen;
    ++*(long long *)arg;
    kv_obj_free(val);
    return 0;
}

/* What was written back must load, with its checksum, to the same count. */
static void reload(sink *s)
{
    kv_rdbf_load_cb cb;
    kv_rdbf_load_info info;
    kv_buf img;
    long long n = 0;
    char err[256];
    kv_buf_init(&img);
    kv_rdbf_write_header(&img, 0, 0, 0);
    kv_buf_append(&img, s->out.p, s->out.len);
    kv_rdbf_write_eof(&img);
    kv_rdbf_write_crc(&img, kv_crc64(0, img.p, img.len));
    memset(&cb, 0, sizeof cb);
    cb.arg = &n;
    cb.key = count_key;
    if (kv_rdbf_load_mem((const unsigned char *)img.p, img.len, NULL, NULL, 1, &cb, &info, err,
                         sizeof err) != 0) {
        fprintf(stderr, "fuzz_rdbfile: reload failed: %s\n", err);
        abort();
    }
    FUZZ_ASSERT(n == s->written && info.bytes == img.len);
    kv_buf_free(&img);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t seed[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    kv_enc_limits tiny, *lim = NULL;
    unsigned char *copy;
    int verify;
    if (size > 0 && (data[0] & 1)) {
        kv_enc_limits_default(&tiny);
        tiny.hash_lp_entries = tiny.zset_lp_entries = 2;
        tiny.hash_lp_value = tiny.zset_lp_value = 4;
        tiny.set_intset_entries = 2;
        tiny.list_fill = 2;
        lim = &tiny;
    }
    copy = (unsigned char *)malloc(size ? size : 1);
    if (!copy)
        abort();
    memcpy(copy, data, size);
    for (verify = 0; verify < 2; verify++) {
        kv_rdbf_load_cb cb;
        kv_rdbf_load_info info;
        sink s;
        char err[256];
        int rc;
        memset(&s, 0, sizeof s);
        kv_buf_init(&s.out);
        s.last_db = -1;
        memset(&cb, 0, sizeof cb); /* libraries (245) are skipped */
        cb.arg = &s;
        cb.key = on_key;
        cb.aux = on_aux;
        cb.resizedb = on_resize;
        err[0] = 'x';
        rc = kv_rdbf_load_mem(copy, size, lim, seed, verify, &cb, &info, err, sizeof err);
        FUZZ_ASSERT(rc == 0 || rc == -1);
        FUZZ_ASSERT(info.bytes <= size);
        FUZZ_ASSERT(info.keys == s.keys);
        if (rc == 0) {
            FUZZ_ASSERT(info.version >= 1 && info.version <= KV_RDB_VERSION);
            reload(&s);
        } else {
            FUZZ_ASSERT(err[0] != '\0' && err[0] != 'x');
        }
        kv_buf_free(&s.out);
    }
    free(copy);
    return 0;
}
