/* RDB files (rdbfile.h): the pieces a snapshot writes, byte for byte as
 * Redis 7.0's rdbSaveRio lays them out, and kv_rdbf_load_file, which maps
 * a file and hands it to the in-memory loader (rdbfile_load.c). Values go
 * through rdb.c's object encoding; this file adds only the framing. */
#include "store/rdbfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------- writing */

static void put_u8(kv_buf *out, unsigned v)
{
    unsigned char c = (unsigned char)v;
    kv_buf_append(out, &c, 1);
}

static void put_le64(kv_buf *out, uint64_t v)
{
    unsigned char b[8];
    int i;
    for (i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    kv_buf_append(out, b, 8);
}

void kv_rdbf_write_aux(kv_buf *out, const char *k, size_t kn, const char *v, size_t vn,
                       int compress)
{
    put_u8(out, KV_RDB_OPCODE_AUX);
    kv_rdb_write_string_opt(out, k, kn, compress);
    kv_rdb_write_string_opt(out, v, vn, compress);
}

/* Redis formats the number and saves the text as any string, so it comes
 * out int-encoded when it fits 32 bits and as digits otherwise (at most 20
 * of them: never long enough for LZF). */
void kv_rdbf_write_aux_ll(kv_buf *out, const char *k, long long v)
{
    char d[KV_LLSTR_SIZE];
    size_t n = kv_store_ll2str(d, v);
    kv_rdbf_write_aux(out, k, strlen(k), d, n, 1);
}

void kv_rdbf_write_header(kv_buf *out, long long ctime_s, long long used_mem, int aof_base)
{
    char magic[16];
    int n = snprintf(magic, sizeof magic, "REDIS%04d", KV_RDB_VERSION);
    kv_buf_append(out, magic, (size_t)n);
    kv_rdbf_write_aux(out, "redis-ver", 9, KV_RDBF_REDIS_VER, strlen(KV_RDBF_REDIS_VER), 1);
    kv_rdbf_write_aux_ll(out, "redis-bits", 64);
    kv_rdbf_write_aux_ll(out, "ctime", ctime_s);
    kv_rdbf_write_aux_ll(out, "used-mem", used_mem);
    kv_rdbf_write_aux_ll(out, "aof-base", aof_base);
}

void kv_rdbf_write_selectdb(kv_buf *out, int db)
{
    put_u8(out, KV_RDB_OPCODE_SELECTDB);
    kv_rdb_write_len(out, (uint64_t)db);
}

void kv_rdbf_write_resizedb(kv_buf *out, uint64_t keys, uint64_t expires)
{
    put_u8(out, KV_RDB_OPCODE_RESIZEDB);
    kv_rdb_write_len(out, keys);
    kv_rdb_write_len(out, expires);
}

int kv_rdbf_write_key_ex(kv_buf *out, const char *key, size_t klen, const kv_obj *o,
                         long long expire_ms, long long idle_s, int freq, int compress)
{
    size_t start = out->len, kpos, kend;
    char t;
    if (expire_ms >= 0) {
        put_u8(out, KV_RDB_OPCODE_EXPIRETIME_MS);
        put_le64(out, (uint64_t)expire_ms);
    }
    if (idle_s >= 0) {
        put_u8(out, KV_RDB_OPCODE_IDLE);
        kv_rdb_write_len(out, (uint64_t)idle_s);
    }
    if (freq >= 0) {
        put_u8(out, KV_RDB_OPCODE_FREQ);
        put_u8(out, freq > 255 ? 255u : (unsigned)freq);
    }
    /* The file wants type, key, body; the object saver writes type and body
     * together. Writing the key first and then moving the one type byte in
     * front of it costs a move of the key, never of the (large) body. */
    kpos = out->len;
    kv_rdb_write_string_opt(out, key, klen, compress);
    kend = out->len;
    if (kv_rdb_save_object_opt(out, o, compress) != KV_RDB_OK) {
        out->len = start;
        return KV_RDB_UNSUPPORTED;
    }
    t = out->p[kend];
    memmove(out->p + kpos + 1, out->p + kpos, kend - kpos);
    out->p[kpos] = t;
    return KV_RDB_OK;
}

int kv_rdbf_write_key(kv_buf *out, const char *key, size_t klen, const kv_obj *o,
                      long long expire_ms, int compress)
{
    return kv_rdbf_write_key_ex(out, key, klen, o, expire_ms, -1, -1, compress);
}

void kv_rdbf_write_eof(kv_buf *out)
{
    put_u8(out, KV_RDB_OPCODE_EOF);
}

void kv_rdbf_write_crc(kv_buf *out, uint64_t crc)
{
    put_le64(out, crc);
}

/* ------------------------------------------------------------- loading */

/* The whole file through read(), for what cannot be mapped (an empty file,
 * a pipe, a file system without mmap). 0, or -1 with errno set. */
static int read_all(int fd, kv_buf *b)
{
    for (;;) {
        ssize_t got;
        kv_buf_reserve(b, 65536);
        got = read(fd, b->p + b->len, b->cap - b->len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return -1;
        if (got == 0)
            return 0;
        b->len += (size_t)got;
    }
}

int kv_rdbf_load_file(const char *path, const kv_enc_limits *lim, const uint8_t *seed,
                      int verify_crc, const kv_rdbf_load_cb *cb, kv_rdbf_load_info *info,
                      char *err, size_t errlen)
{
    struct stat st;
    void *map = MAP_FAILED;
    size_t size = 0;
    kv_buf b;
    char msg[1024];
    int fd, rc;
    if (errlen)
        err[0] = '\0';
    if (info)
        memset(info, 0, sizeof *info);
    if ((fd = open(path, O_RDONLY)) < 0) {
        if (errno == ENOENT)
            return 1;
        if (errlen)
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    kv_buf_init(&b);
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        (uintmax_t)st.st_size <= SIZE_MAX) {
        size = (size_t)st.st_size;
        /* A file truncated by someone else while mapped would fault: the
         * snapshot writer renames complete files into place, never edits. */
        map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map != MAP_FAILED)
            (void)posix_madvise(map, size, POSIX_MADV_SEQUENTIAL);
    }
    if (map == MAP_FAILED && read_all(fd, &b) != 0) {
        if (errlen)
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        kv_buf_free(&b);
        return -1;
    }
    close(fd);
    msg[0] = '\0';
    if (map != MAP_FAILED)
        rc = kv_rdbf_load_mem((const unsigned char *)map, size, lim, seed, verify_crc, cb, info,
                              msg, sizeof msg);
    else
        rc = kv_rdbf_load_mem((const unsigned char *)b.p, b.len, lim, seed, verify_crc, cb, info,
                              msg, sizeof msg);
    if (rc != 0 && errlen)
        snprintf(err, errlen, "%s: %s", path, msg);
    if (map != MAP_FAILED)
        munmap(map, size);
    kv_buf_free(&b);
    return rc == 0 ? 0 : -1;
}
