/* RDB files (rdbfile.h): a dump.rdb written by a real redis-server 7.0.15
 * (tests/unit/data/redis-7.0.15.rdb, dataset below) loads to what Redis
 * held, and kevy's writer reproduces its bytes; images written by kevy (every
 * type and encoding, TTLs, two dbs, with and without LZF) load back; every
 * truncation fails with "Short read"; checksums, versions, opcodes and
 * unsupported content are checked; and, where redis-server is installed,
 * redis-check-rdb and a live redis-server accept what kevy writes.
 *
 * The data file was made with redis-server 7.0.15 --save '' (defaults
 * otherwise), then SAVE. db 0: SET s:str hello, s:int 12345, s:neg -7,
 * s:bigint 12345678901, s:long <100 x "a">, s:ttl v PXAT 4102444800123;
 * RPUSH l:lp a b 1 -2 hello; RPUSH l:ql e0 .. e999 (10 calls of 100);
 * SADD set:int 1 2 3 -5 100000; SADD set:ht a b c; SADD set:big 1 .. 600;
 * ZADD z:lp 1 a 2.5 b -3 c; ZADD z:sl <i m$i for i in 1..200>; ZADD z:inf
 * inf top -inf bottom 0 mid; HSET h:lp f1 v1 f2 123, PEXPIREAT h:lp
 * 4102444800456; HSET h:ht <f$i v$i for i in 1..600>; HSET h:long short x
 * long <"0123456789" x 8>. db 3: SET k3 "in db 3"; SET 123 "integer key";
 * RPUSH l3 x y z; SET t3 gone PXAT 4102444800789. The digests are Redis's
 * DEBUG DIGEST-VALUE of each key. Unit tests run from the repository root. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "store/crc64.h"
#include "store/digest.h"
#include "store/rdb.h"
#include "store/rdbfile.h"
#include "test.h"
#include "test_proc.h"

#define REDIS_FILE "tests/unit/data/redis-7.0.15.rdb"

static const uint8_t seed[16] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6};

/* ------------------------------------------------------------ a loaded set */

typedef struct entry {
    int db;
    char *key;
    size_t klen;
    kv_obj *val;
    long long expire, idle;
    int freq;
} entry;

typedef struct dataset {
    entry *e;
    size_t n, cap;
    long long ctime, used_mem;
    int aux_seen, resizes;
    uint64_t resize_keys[2];
    int stop_at; /* key callback fails at this key index (-1: never) */
} dataset;

static void ds_init(dataset *d)
{
    memset(d, 0, sizeof *d);
    d->stop_at = -1;
}

static void ds_free(dataset *d)
{
    size_t i;
    for (i = 0; i < d->n; i++) {
        free(d->e[i].key);
        kv_obj_free(d->e[i].val);
    }
    free(d->e);
    ds_init(d);
}

static int on_key(void *arg, int db, const char *key, size_t klen, kv_obj *val, long long expire,
                  long long idle, int freq, char *err, size_t errlen)
{
    dataset *d = (dataset *)arg;
    entry *e;
    if (d->stop_at >= 0 && (size_t)d->stop_at == d->n) {
        kv_obj_free(val);
        snprintf(err, errlen, "stopped by the test at key '%.*s'", (int)klen, key);
        return -1;
    }
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 16;
        d->e = (entry *)realloc(d->e, d->cap * sizeof *d->e);
    }
    e = &d->e[d->n++];
    e->db = db;
    e->key = (char *)malloc(klen + 1);
    memcpy(e->key, key, klen);
    e->key[klen] = '\0';
    e->klen = klen;
    e->val = val;
    e->expire = expire;
    e->idle = idle;
    e->freq = freq;
    return 0;
}

static void on_aux(void *arg, const char *k, size_t kn, const char *v, size_t vn)
{
    dataset *d = (dataset *)arg;
    char num[32];
    d->aux_seen++;
    if (vn >= sizeof num)
        return;
    memcpy(num, v, vn);
    num[vn] = '\0';
    if (kn == 5 && memcmp(k, "ctime", 5) == 0)
        d->ctime = atoll(num);
    if (kn == 8 && memcmp(k, "used-mem", 8) == 0)
        d->used_mem = atoll(num);
}

static void on_resize(void *arg, int db, uint64_t keys, uint64_t expires)
{
    dataset *d = (dataset *)arg;
    (void)expires;
    if (d->resizes < 2)
        d->resize_keys[d->resizes] = keys;
    d->resizes++;
    (void)db;
}

static int load(const void *p, size_t n, int verify, dataset *d, char *err, size_t errlen,
                kv_rdbf_load_info *info)
{
    kv_rdbf_load_cb cb;
    memset(&cb, 0, sizeof cb);
    cb.arg = d;
    cb.key = on_key;
    cb.aux = on_aux;
    cb.resizedb = on_resize;
    return kv_rdbf_load_mem((const unsigned char *)p, n, NULL, seed, verify, &cb, info, err,
                            errlen);
}

static const entry *find(const dataset *d, int db, const char *key)
{
    size_t i;
    for (i = 0; i < d->n; i++)
        if (d->e[i].db == db && strcmp(d->e[i].key, key) == 0)
            return &d->e[i];
    return NULL;
}

/* Redis's DEBUG DIGEST-VALUE: the value's digest, plus the TTL mark. */
static void digest_hex(const entry *e, char out[41])
{
    unsigned char d[20];
    int i;
    memset(d, 0, sizeof d);
    CHECK(kv_digest_value(d, e->val) == KV_DIGEST_OK);
    if (e->expire != -1)
        kv_digest_xor(d, "!!expire!!", 10);
    for (i = 0; i < 20; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

static int read_file(const char *path, kv_buf *b)
{
    FILE *f = fopen(path, "rb");
    char tmp[4096];
    size_t got;
    if (!f)
        return -1;
    while ((got = fread(tmp, 1, sizeof tmp, f)) > 0)
        kv_buf_append(b, tmp, got);
    fclose(f);
    return 0;
}

/* An image of d with kevy's writer, dbs in the order their keys came. */
static void write_image(kv_buf *out, const dataset *d, int compress, int with_crc)
{
    size_t i, j;
    kv_rdbf_write_header(out, 1700000000, 1234567, 0);
    for (i = 0; i < d->n; i = j) {
        uint64_t keys = 0, expires = 0;
        for (j = i; j < d->n && d->e[j].db == d->e[i].db; j++) {
            keys++;
            expires += d->e[j].expire != -1;
        }
        kv_rdbf_write_selectdb(out, d->e[i].db);
        kv_rdbf_write_resizedb(out, keys, expires);
        for (j = i; j < d->n && d->e[j].db == d->e[i].db; j++)
            CHECK(kv_rdbf_write_key_ex(out, d->e[j].key, d->e[j].klen, d->e[j].val,
                                       d->e[j].expire, d->e[j].idle, d->e[j].freq,
                                       compress) == KV_RDB_OK);
    }
    kv_rdbf_write_eof(out);
    kv_rdbf_write_crc(out, with_crc ? kv_crc64(0, out->p, out->len) : 0);
}

static int contains(const kv_buf *hay, const kv_buf *needle)
{
    size_t i;
    for (i = 0; i + needle->len <= hay->len; i++)
        if (memcmp(hay->p + i, needle->p, needle->len) == 0)
            return 1;
    return 0;
}

/* ------------------------------------------------- the file Redis wrote */

typedef struct expect {
    int db;
    const char *key, *type, *enc, *digest;
    long long expire;
} expect;

static const expect redis_keys[] = {
    {0, "h:ht", "hash", "hashtable", "bdf39d8554670e584b06a54941cce1e41c50dd55", -1},
    {0, "h:long", "hash", "hashtable", "0a280c7cdda04466e255c4589c8385f0e1d36d8c", -1},
    {0, "h:lp", "hash", "listpack", "523213f49bc7621c30caf4ccea57fd794e79dd18", 4102444800456},
    {0, "l:lp", "list", "quicklist", "095930e8721bd6e9a8cc13de727748dd9ffcf0c7", -1},
    {0, "l:ql", "list", "quicklist", "a16f7f2c4bd301485b95b32f4603742e08b8b6ec", -1},
    {0, "s:bigint", "string", "int", "01da988100ae51f642f9236f868f2091d2c38123", -1},
    {0, "s:int", "string", "int", "e1cf90774e995ae03de66e8109dc5cb9d9c2dc83", -1},
    {0, "s:long", "string", "raw", "ee6fc3a95843eb8b4bcad41a55f6b922e267675a", -1},
    {0, "s:neg", "string", "int", "220f87802dc1eca9ffb9dd7f52e30f559e135f81", -1},
    {0, "s:str", "string", "embstr", "36b23a1456b2dce2c3ed252c456761301dba8060", -1},
    {0, "s:ttl", "string", "embstr", "311b17018163335616e089f6b951c82c477335ac", 4102444800123},
    {0, "set:big", "set", "hashtable", "a72a8fb1464f3f3b86a845002e1cde89abfad61e", -1},
    {0, "set:ht", "set", "hashtable", "593c2414786d75446e97f4ea5d4b731f3313da72", -1},
    {0, "set:int", "set", "intset", "1ed7e76f32098645c31d43488139d4a78cbebd28", -1},
    {0, "z:inf", "zset", "listpack", "df940de8d9924ab030586f6576acff65ecc5d257", -1},
    {0, "z:lp", "zset", "listpack", "2dd2ef669bd842b340aed0cb20be587954151e2b", -1},
    {0, "z:sl", "zset", "skiplist", "ea486ebaf3d988233e4c6f444aca7f8a24794919", -1},
    {3, "123", "string", "embstr", "28cfcce95da72e60cd125659821b43fd1b2b7af3", -1},
    {3, "k3", "string", "embstr", "2a46b58c9b95de3f30b3e4bfdd4da9a18b3b0fe3", -1},
    {3, "l3", "list", "quicklist", "048e07d5a045cd715a87e264ec663043b62ad0a8", -1},
    {3, "t3", "string", "embstr", "f018727cd53efd60fcf7b833a11c8b0a8642fbb0", 4102444800789},
};
#define N_REDIS_KEYS (sizeof redis_keys / sizeof redis_keys[0])

/* The dataset in d holds exactly what Redis held. */
static void check_redis_dataset(const dataset *d)
{
    size_t i;
    CHECK_EQ_LL(d->n, N_REDIS_KEYS);
    for (i = 0; i < N_REDIS_KEYS; i++) {
        const expect *x = &redis_keys[i];
        const entry *e = find(d, x->db, x->key);
        char hex[41];
        CHECK(e != NULL);
        if (!e) {
            fprintf(stderr, "  missing key %d/%s\n", x->db, x->key);
            continue;
        }
        CHECK(strcmp(kv_obj_type_name(e->val), x->type) == 0);
        CHECK(strcmp(kv_obj_encoding_name(e->val), x->enc) == 0);
        CHECK_EQ_LL(e->expire, x->expire);
        digest_hex(e, hex);
        CHECK(strcmp(hex, x->digest) == 0);
        if (strcmp(hex, x->digest) != 0)
            fprintf(stderr, "  digest of %s: %s, Redis %s\n", x->key, hex, x->digest);
    }
}

static void test_redis_file(void)
{
    dataset d;
    kv_rdbf_load_cb cb;
    kv_rdbf_load_info info;
    kv_buf file, hdr;
    char err[256];
    size_t i;
    int rc;
    ds_init(&d);
    memset(&cb, 0, sizeof cb);
    cb.arg = &d;
    cb.key = on_key;
    cb.aux = on_aux;
    cb.resizedb = on_resize;
    rc = kv_rdbf_load_file(REDIS_FILE, NULL, seed, 1, &cb, &info, err, sizeof err);
    CHECK(rc == 0);
    if (rc != 0)
        fprintf(stderr, "  %s\n", err);
    CHECK_EQ_LL(info.version, 10);
    CHECK_EQ_LL(info.keys, N_REDIS_KEYS);
    CHECK_EQ_LL(d.aux_seen, 5);
    CHECK_EQ_LL(d.resizes, 2);
    CHECK_EQ_LL(d.resize_keys[0], 17);
    CHECK_EQ_LL(d.resize_keys[1], 4);
    check_redis_dataset(&d);

    /* Byte for byte what Redis wrote: the header (same ctime and used-mem)
     * and each value whose layout does not depend on a hash table's order. */
    kv_buf_init(&file);
    kv_buf_init(&hdr);
    CHECK(read_file(REDIS_FILE, &file) == 0);
    CHECK_EQ_LL(info.bytes, file.len);
    kv_rdbf_write_header(&hdr, d.ctime, d.used_mem, 0);
    kv_rdbf_write_selectdb(&hdr, 0);
    kv_rdbf_write_resizedb(&hdr, 17, 2);
    CHECK(hdr.len < file.len && memcmp(hdr.p, file.p, hdr.len) == 0);
    for (i = 0; i < d.n; i++) {
        const entry *e = &d.e[i];
        if (kv_obj_encoding(e->val) == KV_ENC_HT)
            continue;
        hdr.len = 0;
        CHECK(kv_rdbf_write_key(&hdr, e->key, e->klen, e->val, e->expire, 1) == KV_RDB_OK);
        CHECK(contains(&file, &hdr));
    }
    /* The file ends with EOF and the CRC of all before it. */
    {
        uint64_t crc = kv_crc64(0, file.p, file.len - 8);
        hdr.len = 0;
        kv_rdbf_write_eof(&hdr);
        kv_rdbf_write_crc(&hdr, crc);
        CHECK(memcmp(file.p + file.len - 9, hdr.p, 9) == 0);
    }
    kv_buf_free(&hdr);
    kv_buf_free(&file);
    ds_free(&d);
}

static void test_missing_file(void)
{
    kv_rdbf_load_cb cb;
    char err[256];
    memset(&cb, 0, sizeof cb);
    strcpy(err, "x");
    CHECK(kv_rdbf_load_file("/nonexistent-kevy-dir/dump.rdb", NULL, NULL, 1, &cb, NULL, err,
                            sizeof err) == 1);
    CHECK(err[0] == '\0');
    /* A directory cannot be read: an error naming the path. */
    CHECK(kv_rdbf_load_file("tests", NULL, NULL, 1, &cb, NULL, err, sizeof err) == -1);
    CHECK(strncmp(err, "tests: ", 7) == 0);
}

/* --------------------------------------------------- kevy's own images */

static void load_redis(dataset *d)
{
    kv_buf file;
    char err[256];
    kv_buf_init(&file);
    CHECK(read_file(REDIS_FILE, &file) == 0);
    CHECK(load(file.p, file.len, 1, d, err, sizeof err, NULL) == 0);
    kv_buf_free(&file);
}

static void add(dataset *d, int db, const char *key, size_t klen, kv_obj *val, long long expire,
                long long idle, int freq)
{
    char err[8];
    CHECK(on_key(d, db, key, klen, val, expire, idle, freq, err, sizeof err) == 0);
}

/* The Redis dataset plus keys of a third db: binary and long keys, an
 * empty string, the extreme integer, a zero expire, IDLE and FREQ. */
static void full_dataset(dataset *d)
{
    char big[200];
    ds_init(d);
    load_redis(d);
    memset(big, 'k', sizeof big);
    add(d, 5, "bin\0key\xff", 8, kv_str_new("", 0), 0, -1, -1);
    add(d, 5, big, 60, kv_str_new(big, sizeof big), -1, 42, -1);
    add(d, 5, "min", 3, kv_str_from_ll(-9223372036854775807LL - 1), 1, -1, 7);
    add(d, 5, "-12", 3, kv_str_new("0012", 4), -1, 0, 255);
}

static void same_datasets(const dataset *a, const dataset *b)
{
    size_t i;
    CHECK_EQ_LL(a->n, b->n);
    for (i = 0; i < a->n && i < b->n; i++) {
        const entry *x = &a->e[i], *y = &b->e[i];
        char hx[41], hy[41];
        CHECK_EQ_LL(x->db, y->db);
        CHECK(x->klen == y->klen && memcmp(x->key, y->key, x->klen) == 0);
        CHECK_EQ_LL(x->expire, y->expire);
        CHECK_EQ_LL(x->idle, y->idle);
        CHECK_EQ_LL(x->freq, y->freq);
        CHECK_EQ_LL(kv_obj_type(x->val), kv_obj_type(y->val));
        CHECK_EQ_LL(kv_obj_encoding(x->val), kv_obj_encoding(y->val));
        digest_hex(x, hx);
        digest_hex(y, hy);
        CHECK(strcmp(hx, hy) == 0);
        if (kv_obj_encoding(x->val) != KV_ENC_HT) {
            kv_buf bx, by;
            kv_buf_init(&bx);
            kv_buf_init(&by);
            CHECK(kv_rdb_dump(&bx, x->val) == KV_RDB_OK);
            CHECK(kv_rdb_dump(&by, y->val) == KV_RDB_OK);
            CHECK(bx.len == by.len && memcmp(bx.p, by.p, bx.len) == 0);
            kv_buf_free(&bx);
            kv_buf_free(&by);
        }
    }
}

static void test_roundtrip(void)
{
    dataset a, b;
    kv_buf img[2];
    kv_rdbf_load_info info;
    char err[256];
    int c;
    full_dataset(&a);
    for (c = 0; c < 2; c++) {
        kv_buf_init(&img[c]);
        write_image(&img[c], &a, c, 1);
        ds_init(&b);
        CHECK(load(img[c].p, img[c].len, 1, &b, err, sizeof err, &info) == 0);
        CHECK_EQ_LL(info.keys, a.n);
        CHECK_EQ_LL(info.bytes, img[c].len);
        CHECK_EQ_LL(info.version, 10);
        CHECK_EQ_LL(b.resizes, 3);
        same_datasets(&a, &b);
        ds_free(&b);
    }
    /* LZF makes a difference here (long strings, compressible listpacks). */
    CHECK(img[1].len < img[0].len);
    kv_buf_free(&img[0]);
    kv_buf_free(&img[1]);
    ds_free(&a);
}

/* A key's exact bytes: expire, type, key, body; compress 0 writes no LZF. */
static void test_write_key_bytes(void)
{
    static const unsigned char want[] = {0xfc, 0x7b, 0xd8, 0xc3, 0x2c, 0xbb, 0x03, 0x00, 0x00,
                                         0x00, 0x05, 's',  ':',  't',  't',  'l',  0x01, 'v'};
    static const unsigned char want_ex[] = {0xf8, 0x40, 0x64, 0xf9, 0xff, 0x00, 0xc0, 0x7b,
                                            0xc0, 0x01};
    char a100[100];
    kv_obj *v = kv_str_new("v", 1), *one = kv_str_new("1", 1), *big;
    kv_buf b;
    kv_buf_init(&b);
    CHECK(kv_rdbf_write_key(&b, "s:ttl", 5, v, 4102444800123LL, 1) == KV_RDB_OK);
    CHECK(b.len == sizeof want && memcmp(b.p, want, sizeof want) == 0);
    /* IDLE 100 (a 14-bit length), FREQ clamped to 255, an int-encoded key. */
    b.len = 0;
    CHECK(kv_rdbf_write_key_ex(&b, "123", 3, one, -1, 100, 300, 0) == KV_RDB_OK);
    CHECK(b.len == sizeof want_ex && memcmp(b.p, want_ex, sizeof want_ex) == 0);
    memset(a100, 'a', sizeof a100);
    big = kv_str_new(a100, sizeof a100);
    b.len = 0;
    CHECK(kv_rdbf_write_key(&b, "k", 1, big, -1, 0) == KV_RDB_OK);
    CHECK(b.len == 3 + 2 + 100 && (unsigned char)b.p[3] == 0x40 && (unsigned char)b.p[4] == 100);
    b.len = 0;
    CHECK(kv_rdbf_write_key(&b, "k", 1, big, -1, 1) == KV_RDB_OK);
    CHECK(b.len < 20 && (unsigned char)b.p[3] == 0xc3);
    /* The object saver alone: the same choice. */
    b.len = 0;
    CHECK(kv_rdb_save_object_opt(&b, big, 0) == KV_RDB_OK && b.len == 103);
    b.len = 0;
    CHECK(kv_rdb_save_object(&b, big) == KV_RDB_OK && (unsigned char)b.p[1] == 0xc3);
    /* Framing pieces. */
    b.len = 0;
    kv_rdbf_write_selectdb(&b, 3);
    kv_rdbf_write_resizedb(&b, 300, 1);
    kv_rdbf_write_eof(&b);
    kv_rdbf_write_crc(&b, 0x0102030405060708ULL);
    CHECK(b.len == 15 && memcmp(b.p, "\xfe\x03\xfb\x41\x2c\x01\xff\x08\x07\x06\x05\x04\x03\x02\x01",
                                15) == 0);
    kv_buf_free(&b);
    kv_obj_free(v);
    kv_obj_free(one);
    kv_obj_free(big);
}

static void test_header_bytes(void)
{
    static const char want[] = "REDIS0010"
                               "\xfa\x09redis-ver\x06" "7.0.15"
                               "\xfa\x0aredis-bits\xc0\x40"
                               "\xfa\x05" "ctime\xc2\x00\xf1\x53\x65"
                               "\xfa\x08used-mem\x0a" "4294967296"
                               "\xfa\x08" "aof-base\xc0\x01";
    kv_buf b;
    kv_buf_init(&b);
    kv_rdbf_write_header(&b, 1700000000, 4294967296LL, 1);
    CHECK(b.len == sizeof want - 1 && memcmp(b.p, want, b.len) == 0);
    kv_buf_free(&b);
}

/* ------------------------------------------------------------ failures */

/* Take a key out of d. */
static void drop(dataset *d, int db, const char *key)
{
    entry *e = (entry *)(uintptr_t)find(d, db, key);
    CHECK(e != NULL);
    if (!e)
        return;
    free(e->key);
    kv_obj_free(e->val);
    memmove(e, e + 1, (size_t)(d->e + d->n - (e + 1)) * sizeof *e);
    d->n--;
}

/* Load from an exact-size copy, so ASan sees any read past the end. */
static int load_copy(const void *p, size_t n, int verify, char *err, size_t errlen,
                     kv_rdbf_load_info *info)
{
    dataset d;
    void *copy = malloc(n ? n : 1);
    int rc;
    memcpy(copy, p, n);
    ds_init(&d);
    rc = load(copy, n, verify, &d, err, errlen, info);
    ds_free(&d);
    free(copy);
    return rc;
}

/* Prefixes of img, every stride-th one and all of the last 64 bytes. */
static void prefixes_short(const kv_buf *img, size_t stride)
{
    char err[256];
    size_t i;
    int bad = 0;
    for (i = 0; i < img->len; i += (img->len - i <= 64 ? 1 : stride)) {
        int rc = load_copy(img->p, i, 1, err, sizeof err, NULL);
        if (rc != -1 || strncmp(err, "Short read at offset ", 21) != 0) {
            if (bad++ < 5)
                fprintf(stderr, "  prefix of %zu bytes: rc %d, %s\n", i, rc, err);
        }
    }
    CHECK_EQ_LL(bad, 0);
}

static void test_truncations(void)
{
    dataset a;
    kv_buf img, file;
    full_dataset(&a);
    kv_buf_init(&img);
    write_image(&img, &a, 1, 1);
    prefixes_short(&img, 1);
    kv_buf_init(&file);
    CHECK(read_file(REDIS_FILE, &file) == 0);
    prefixes_short(&file, 7);
    kv_buf_free(&file);
    kv_buf_free(&img);
    ds_free(&a);
}

/* begin: the magic of version v; end: EOF and the checksum (or 0). */
static void begin(kv_buf *b, int v)
{
    char m[16];
    b->len = 0;
    snprintf(m, sizeof m, "REDIS%04d", v);
    kv_buf_append(b, m, 9);
}

static void end(kv_buf *b, int crc)
{
    kv_rdbf_write_eof(b);
    kv_rdbf_write_crc(b, crc ? kv_crc64(0, b->p, b->len) : 0);
}

static void raw(kv_buf *b, const char *bytes, size_t n)
{
    kv_buf_append(b, bytes, n);
}

static void test_checksum(void)
{
    dataset a, d;
    kv_buf b;
    kv_obj *v = kv_str_new("hello world", 11);
    char err[256], want[256];
    size_t i, at;
    uint64_t good;
    int rc, loaded = 0;
    kv_buf_init(&b);
    begin(&b, 10);
    CHECK(kv_rdbf_write_key(&b, "k", 1, v, -1, 1) == KV_RDB_OK);
    at = b.len - 5; /* inside "hello world" */
    end(&b, 1);
    CHECK(load_copy(b.p, b.len, 1, err, sizeof err, NULL) == 0);
    good = kv_crc64(0, b.p, b.len - 8);
    b.p[at] ^= 0x20;
    CHECK(load_copy(b.p, b.len, 1, err, sizeof err, NULL) == -1);
    snprintf(want, sizeof want, "Wrong RDB checksum expected: (%llx) got (%llx) at offset %zu",
             (unsigned long long)kv_crc64(0, b.p, b.len - 8), (unsigned long long)good,
             b.len - 8);
    CHECK(strcmp(err, want) == 0);
    /* Not verified: the changed value loads. */
    ds_init(&d);
    CHECK(load(b.p, b.len, 0, &d, err, sizeof err, NULL) == 0);
    CHECK(d.n == 1 && kv_str_len(d.e[0].val) == 11);
    ds_free(&d);
    /* A stored checksum of 0 means "not computed": no check. */
    memset(b.p + b.len - 8, 0, 8);
    CHECK(load_copy(b.p, b.len, 1, err, sizeof err, NULL) == 0);
    kv_buf_free(&b);
    kv_obj_free(v);

    /* Any one byte changed after the magic: the load fails (checksum or
     * format), never crashes. The big collections are left out to keep
     * this quick. */
    full_dataset(&a);
    drop(&a, 0, "set:big");
    drop(&a, 0, "h:ht");
    drop(&a, 0, "l:ql");
    kv_buf_init(&b);
    write_image(&b, &a, 1, 1);
    for (i = 9; i < b.len; i++) {
        b.p[i] ^= 0x5a;
        rc = load_copy(b.p, b.len, 1, err, sizeof err, NULL);
        if (rc == 0)
            loaded++;
        b.p[i] ^= 0x5a;
    }
    CHECK_EQ_LL(loaded, 0);
    kv_buf_free(&b);
    ds_free(&a);
}

static void test_versions(void)
{
    dataset a, d;
    kv_buf b;
    kv_rdbf_load_info info;
    char err[256];
    kv_buf_init(&b);
    begin(&b, 11);
    end(&b, 1);
    CHECK(load_copy(b.p, b.len, 1, err, sizeof err, &info) == -1);
    CHECK(strcmp(err, "Can't handle RDB format version 11 (offset 5)") == 0);
    CHECK_EQ_LL(info.version, 11);
    begin(&b, 0);
    end(&b, 1);
    CHECK(load_copy(b.p, b.len, 1, err, sizeof err, NULL) == -1);
    CHECK(strcmp(err, "Can't handle RDB format version 0 (offset 5)") == 0);
    begin(&b, 10);
    b.p[4] = 'X';
    end(&b, 1);
    CHECK(load_copy(b.p, b.len, 1, err, sizeof err, NULL) == -1);
    CHECK(strncmp(err, "Bad RDB format at offset 0: wrong signature", 43) == 0);
    CHECK(load_copy("REDIS001", 8, 1, err, sizeof err, NULL) == -1);
    CHECK(strncmp(err, "Short read at offset 0:", 23) == 0);

    /* Before version 5 there is no checksum: EOF ends the file. */
    full_dataset(&a);
    b.len = 0;
    write_image(&b, &a, 1, 1);
    memcpy(b.p + 5, "0004", 4);
    b.len -= 8;
    ds_init(&d);
    CHECK(load(b.p, b.len, 1, &d, err, sizeof err, &info) == 0);
    CHECK_EQ_LL(info.version, 4);
    CHECK_EQ_LL(info.bytes, b.len);
    same_datasets(&a, &d);
    ds_free(&d);
    /* Version 9 with its checksum; bytes after the checksum are ignored. */
    b.len = 0;
    write_image(&b, &a, 0, 1);
    memcpy(b.p + 5, "0009", 4);
    b.len -= 8;
    kv_rdbf_write_crc(&b, kv_crc64(0, b.p, b.len));
    raw(&b, "trailing", 8);
    CHECK(load_copy(b.p, b.len, 1, err, sizeof err, &info) == 0);
    CHECK_EQ_LL(info.bytes, b.len - 8);
    kv_buf_free(&b);
    ds_free(&a);
}

/* One image of type byte + rest after the magic: the exact error. */
static void expect_err(const char *body, size_t n, const char *want)
{
    kv_buf b;
    char err[256];
    kv_buf_init(&b);
    begin(&b, 10);
    raw(&b, body, n);
    end(&b, 1);
    CHECK(load_copy(b.p, b.len, 1, err, sizeof err, NULL) == -1);
    CHECK(strcmp(err, want) == 0);
    if (strcmp(err, want) != 0)
        fprintf(stderr, "  got \"%s\"\n  want \"%s\"\n", err, want);
    kv_buf_free(&b);
}

static void test_bad_content(void)
{
    expect_err("\xc8\x01k\x01v", 5, "Bad RDB format at offset 9: unknown type 200");
    expect_err("\x08\x01k\x01v", 5, "Bad RDB format at offset 9: unknown type 8");
    /* Streams load now (test_stream.c); a truncated one is a bad value. */
    expect_err("\x0f\x01k\x00", 4,
               "Bad RDB format at offset 12: invalid value of type 15 for key 'k'");
    expect_err("\x13\x01k\x00", 4,
               "Bad RDB format at offset 12: invalid value of type 19 for key 'k'");
    expect_err("\x07\x01k\x00", 4,
               "Unsupported RDB content at offset 9: module values (type 7) are not supported");
    /* A function library (245) without a callback is skipped; a cut one is short. */
    expect_err("\xf5\x7f", 2,
               "Short read at offset 10: the image ends inside the function library code");
    expect_err("\xf6\x01x", 3,
               "Unsupported RDB content at offset 9: Pre-GA function format not supported");
    expect_err("\xf7\x01\x02\x03", 4,
               "Unsupported RDB content at offset 9: module AUX data is not supported");
    expect_err("\xfe\x80\x80\x00\x00\x00", 6,
               "Bad RDB format at offset 9: SELECTDB 2147483648 out of range");
    expect_err("\xfe\x82", 2, "Bad RDB format at offset 10: invalid SELECTDB");
    expect_err("\x00\x82", 2, "Bad RDB format at offset 10: invalid key");
    expect_err("\x00\x01k\xc5", 4,
               "Bad RDB format at offset 12: invalid value of type 0 for key 'k'");
    /* A set with a member twice; a listpack blob that is not one. */
    expect_err("\x02\x01s\x02\x01" "a\x01" "a", 8,
               "Bad RDB format at offset 12: invalid value of type 2 for key 's'");
    expect_err("\x10\x03h\x01\xff\x03" "abc", 9,
               "Bad RDB format at offset 14: invalid value of type 16 for key 'h\\x01\\xff'");
    expect_err("\xfa\x01" "a\x82", 4, "Bad RDB format at offset 12: invalid AUX field value");
}

/* Opcodes the writer does not use, and how attributes stick to one key. */
static void test_opcodes(void)
{
    dataset d;
    kv_buf b;
    kv_rdbf_load_info info;
    char err[256];
    kv_buf_init(&b);
    begin(&b, 10);
    raw(&b, "\xfd\x00\xf1\x53\x65", 5);  /* EXPIRETIME 1700000000 s */
    raw(&b, "\x00\x01" "a\x01" "b", 5);
    raw(&b, "\x00\x01" "c\x01" "d", 5);  /* no expire: reset after "a" */
    raw(&b, "\xfe\x3f\xf8\x2a\xf9\x05", 6); /* SELECTDB 63, IDLE 42, FREQ 5 */
    raw(&b, "\xfa\x01" "x\xc1\x39\x30", 6);  /* AUX x = 12345 (int-encoded) */
    raw(&b, "\xfb\x05\x01", 3);
    raw(&b, "\x00\xc0\x07\x01" "e", 5);   /* key "7" int-encoded */
    raw(&b, "\xfe\x80\x7f\xff\xff\xff", 6); /* the largest db */
    raw(&b, "\x00\x01" "f\x01" "g", 5);
    end(&b, 1);
    ds_init(&d);
    CHECK(load(b.p, b.len, 1, &d, err, sizeof err, &info) == 0);
    CHECK_EQ_LL(info.keys, 4);
    CHECK(d.n == 4);
    if (d.n == 4) {
        CHECK_EQ_LL(d.e[0].expire, 1700000000000LL);
        CHECK_EQ_LL(d.e[1].expire, -1);
        CHECK(d.e[0].idle == -1 && d.e[0].freq == -1);
        CHECK(d.e[2].db == 63 && d.e[2].idle == 42 && d.e[2].freq == 5);
        CHECK(d.e[2].klen == 1 && d.e[2].key[0] == '7');
        CHECK(d.e[3].db == 2147483647 && d.e[3].idle == -1 && d.e[3].freq == -1);
    }
    CHECK(d.aux_seen == 1 && d.resizes == 1 && d.resize_keys[0] == 5);
    ds_free(&d);
    kv_buf_free(&b);
}

/* Empty collections are skipped as Redis skips them; the next key loads. */
static void test_empty_keys(void)
{
    dataset d;
    kv_buf b;
    kv_rdbf_load_info info;
    char err[256];
    kv_buf_init(&b);
    begin(&b, 10);
    raw(&b, "\x02\x02" "e1\x00", 5);                         /* SET, no member */
    raw(&b, "\x10\x02" "e2\x07\x07\x00\x00\x00\x00\x00\xff", 12); /* empty listpack */
    raw(&b, "\x12\x02" "e3\x00", 5);                         /* QUICKLIST_2, no node */
    raw(&b, "\x12\x02" "e4\x01\x02\x07\x07\x00\x00\x00\x00\x00\xff", 14); /* an empty node */
    raw(&b, "\x05\x02" "e5\x00", 5);                         /* ZSET_2 */
    raw(&b, "\x00\x02" "ok\x01" "v", 6);
    end(&b, 1);
    ds_init(&d);
    CHECK(load(b.p, b.len, 1, &d, err, sizeof err, &info) == 0);
    if (info.keys != 1)
        fprintf(stderr, "  %s\n", err);
    CHECK_EQ_LL(info.keys, 1);
    CHECK_EQ_LL(info.empty_skipped, 5);
    CHECK(d.n == 1 && strcmp(d.e[0].key, "ok") == 0);
    ds_free(&d);
    kv_buf_free(&b);
}

static int refuse(void *arg, int db, const char *key, size_t klen, kv_obj *val, long long expire,
                  long long idle, int freq, char *err, size_t errlen)
{
    (void)arg, (void)db, (void)key, (void)klen, (void)expire, (void)idle, (void)freq;
    (void)err, (void)errlen;
    kv_obj_free(val);
    return -1;
}

static void test_callbacks(void)
{
    dataset a, d;
    kv_buf b;
    kv_rdbf_load_cb cb;
    kv_rdbf_load_info info;
    char err[256];
    full_dataset(&a);
    kv_buf_init(&b);
    write_image(&b, &a, 1, 1);
    /* The callee's message is the error. */
    ds_init(&d);
    d.stop_at = 2;
    CHECK(load(b.p, b.len, 1, &d, err, sizeof err, &info) == -1);
    CHECK(strncmp(err, "stopped by the test at key '", 28) == 0);
    CHECK_EQ_LL(info.keys, 2);
    ds_free(&d);
    /* Without one, a default. */
    memset(&cb, 0, sizeof cb);
    cb.key = refuse;
    CHECK(kv_rdbf_load_mem((const unsigned char *)b.p, b.len, NULL, NULL, 1, &cb, &info, err,
                           sizeof err) == -1);
    CHECK(strncmp(err, "Loading stopped at offset ", 26) == 0);
    CHECK_EQ_LL(info.keys, 0);
    /* No callbacks at all: a check of the whole image. */
    cb.key = NULL;
    CHECK(kv_rdbf_load_mem((const unsigned char *)b.p, b.len, NULL, NULL, 1, &cb, &info, err,
                           sizeof err) == 0);
    CHECK_EQ_LL(info.keys, a.n);
    CHECK(kv_rdbf_load_mem((const unsigned char *)b.p, b.len, NULL, NULL, 1, NULL, NULL, NULL,
                           0) == 0);
    kv_buf_free(&b);
    ds_free(&a);
}

/* ------------------------------------------------- real Redis reads ours */


static int write_file(const char *path, const kv_buf *b)
{
    FILE *f = fopen(path, "wb");
    int ok;
    if (!f)
        return -1;
    ok = fwrite(b->p, 1, b->len, f) == b->len;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* Keys a shell can pass in single quotes. */
static int shell_safe(const entry *e)
{
    size_t i;
    for (i = 0; i < e->klen; i++)
        if (e->key[i] < 0x21 || e->key[i] > 0x7e || e->key[i] == '\'')
            return 0;
    return 1;
}

/* redis-server on dir/file: every key kevy wrote is there, with Redis's
 * digest of the value and the same expire; keys already expired were
 * dropped on load (Redis's policy as a master). */
static void check_with_redis(const char *dir, const char *file, const dataset *a)
{
    char cmd[1024], out[4096], hex[41];
    int port = free_port(), up;
    size_t i;
    long long db0 = 0, db3 = 0, db5 = 0;
    CHECK(port > 0);
    snprintf(cmd, sizeof cmd,
             "redis-server --port %d --bind 127.0.0.1 --dir %s --dbfilename %s --save '' "
             "--appendonly no --enable-debug-command yes --daemonize yes --logfile %s/redis.log "
             "--pidfile %s/redis.pid",
             port, dir, file, dir, dir);
    CHECK(system(cmd) == 0);
    up = redis_up(port);
    CHECK(up);
    if (!up) {
        snprintf(cmd, sizeof cmd, "tail -5 %s/redis.log >&2", dir);
        (void)system(cmd);
        return;
    }
    for (i = 0; i < a->n; i++) {
        const entry *e = &a->e[i];
        int expired = e->expire >= 0 && e->expire < 4000000000000LL;
        if (!expired)
            *(e->db == 0 ? &db0 : e->db == 3 ? &db3 : &db5) += 1;
        if (expired || !shell_safe(e))
            continue;
        snprintf(cmd, sizeof cmd, "redis-cli -p %d -n %d DEBUG DIGEST-VALUE '%s'", port, e->db,
                 e->key);
        CHECK(sh(cmd, out, sizeof out) == 0);
        digest_hex(e, hex);
        CHECK(strcmp(out, hex) == 0);
        if (strcmp(out, hex) != 0)
            fprintf(stderr, "  %s: Redis %s, kevy %s\n", e->key, out, hex);
        snprintf(cmd, sizeof cmd, "redis-cli -p %d -n %d PEXPIRETIME '%s'", port, e->db, e->key);
        CHECK(sh(cmd, out, sizeof out) == 0);
        CHECK_EQ_LL(atoll(out), e->expire);
        if (e->idle > 0) {
            snprintf(cmd, sizeof cmd, "redis-cli -p %d -n %d OBJECT IDLETIME '%s'", port, e->db,
                     e->key);
            CHECK(sh(cmd, out, sizeof out) == 0);
            CHECK(atoll(out) >= e->idle);
        }
    }
    snprintf(cmd, sizeof cmd, "redis-cli -p %d -n 0 DBSIZE", port);
    CHECK(sh(cmd, out, sizeof out) == 0 && atoll(out) == db0);
    snprintf(cmd, sizeof cmd, "redis-cli -p %d -n 3 DBSIZE", port);
    CHECK(sh(cmd, out, sizeof out) == 0 && atoll(out) == db3);
    snprintf(cmd, sizeof cmd, "redis-cli -p %d -n 5 DBSIZE", port);
    CHECK(sh(cmd, out, sizeof out) == 0 && atoll(out) == db5);
    snprintf(cmd, sizeof cmd, "redis-cli -p %d SHUTDOWN NOSAVE >/dev/null 2>&1", port);
    (void)system(cmd);
}

static void test_redis_reads_kevy_files(void)
{
    char dir[] = "/tmp/kevy-rdbfile-XXXXXX", path[256], cmd[512], out[4096];
    dataset a;
    kv_buf img;
    int c;
    if (system("command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 "
               "&& command -v redis-check-rdb >/dev/null 2>&1") != 0) {
        fprintf(stderr, "  (redis-server not installed: interop with Redis skipped)\n");
        return;
    }
    CHECK(mkdtemp(dir) != NULL);
    full_dataset(&a);
    kv_buf_init(&img);
    for (c = 0; c < 2; c++) {
        char name[32];
        img.len = 0;
        write_image(&img, &a, c, 1);
        snprintf(name, sizeof name, "kevy-lzf%d.rdb", c);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        CHECK(write_file(path, &img) == 0);
        snprintf(cmd, sizeof cmd, "redis-check-rdb %s 2>&1", path);
        CHECK(sh(cmd, out, sizeof out) == 0);
        CHECK(strstr(out, "RDB looks OK") != NULL);
        if (!strstr(out, "RDB looks OK"))
            fprintf(stderr, "%s\n", out);
        check_with_redis(dir, name, &a);
        remove(path);
    }
    snprintf(path, sizeof path, "%s/redis.log", dir);
    remove(path);
    snprintf(path, sizeof path, "%s/redis.pid", dir);
    remove(path);
    CHECK(rmdir(dir) == 0);
    kv_buf_free(&img);
    ds_free(&a);
}

TEST_MAIN("rdbfile", TEST(test_header_bytes), TEST(test_write_key_bytes),
          TEST(test_redis_file), TEST(test_missing_file), TEST(test_roundtrip),
          TEST(test_truncations), TEST(test_checksum), TEST(test_versions),
          TEST(test_bad_content), TEST(test_opcodes), TEST(test_empty_keys),
          TEST(test_callbacks), TEST(test_redis_reads_kevy_files))
