/* AOF files (aoffile.h): manifests parse, format and round-trip as Redis
 * 7.0's, with each of its error messages (every case below was checked
 * against redis-server / redis-check-aof 7.0.15); Redis's list operations
 * rebuild the manifest Redis wrote; commands written read back (binary,
 * empty, large); every truncation point and corruption is classified with
 * its offset; annotations and an open MULTI are reported; the directory
 * Redis 7.0.15 wrote (tests/unit/data/aof-redis-7.0.15/, below) reads and
 * re-encodes to its bytes; and where redis-check-aof / redis-server are
 * installed, they accept what kevy writes.
 *
 * The data directory: redis-server 7.0.15 --appendonly yes
 * --aof-use-rdb-preamble no --aof-timestamp-enabled yes
 * --aof-disable-auto-gc yes; SET k1 v1; RPUSH list a b c; HSET h f1 v1 f2
 * v2; SADD s x y z; ZADD z 1 a 2.5 b; SET ex1 v PX 100000000; SET indb3 val
 * (db 3); SET binkey "bin\0ary\r\nval"; SET empty ""; INCR counter;
 * BGREWRITEAOF; MULTI SET t1 a INCR counter EXEC; LPUSH l2 x (db 5); DEL
 * k1; EXPIRE s 1000; SET "key with space" v; SHUTDOWN. Unit tests run from
 * the repository root. */
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/aoffile.h"
#include "test.h"
#include "test_proc.h"

#define REDIS_DIR "tests/unit/data/aof-redis-7.0.15"

/* -------------------------------------------------------------- helpers */

static int read_all(const char *path, kv_buf *b)
{
    FILE *f = fopen(path, "rb");
    size_t got;
    if (!f)
        return -1;
    while ((got = fread(kv_buf_reserve(b, 65536), 1, 65536, f)) > 0)
        b->len += got;
    return fclose(f) == 0 ? 0 : -1;
}

static int write_all(const char *path, const kv_buf *b)
{
    FILE *f = fopen(path, "wb");
    int ok;
    if (!f)
        return -1;
    ok = fwrite(b->p, 1, b->len, f) == b->len;
    return fclose(f) == 0 && ok ? 0 : -1;
}

static void rm_rf(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "  (could not remove %s)\n", dir);
}

/* What the reader handed out, copied (argv lives only during the call),
 * in arrival order: order[i] >= 0 a command, < 0 annotation -order[i]-1. */
typedef struct collected {
    kv_aof_read_cb cb;
    int ncmd, nann, nord, stop_at;
    int *argc, *order;
    kv_str **args;
    char **data; /* one block per command: its arguments' bytes */
    size_t *offset, *ann_len, *ann_off;
    char **ann;
} collected;

static void collected_init(collected *c)
{
    memset(c, 0, sizeof *c);
    c->stop_at = -1;
}

static void collected_free(collected *c)
{
    int i;
    for (i = 0; i < c->ncmd; i++) {
        free(c->data[i]);
        free(c->args[i]);
    }
    free(c->data);
    for (i = 0; i < c->nann; i++)
        free(c->ann[i]);
    free(c->argc);
    free(c->order);
    free(c->args);
    free(c->offset);
    free(c->ann_len);
    free(c->ann_off);
    free(c->ann);
    collected_init(c);
}

static char *copy(const char *p, size_t n)
{
    char *d = malloc(n ? n : 1);
    if (!d)
        abort();
    if (n)
        memcpy(d, p, n);
    return d;
}

#define GROW(v, n) ((v) = realloc((v), (size_t)((n) + 1) * sizeof *(v)), (v) ? (void)0 : abort())

static void push_order(collected *c, int v)
{
    GROW(c->order, c->nord);
    c->order[c->nord++] = v;
}

static int on_cmd(void *arg, int argc, const kv_str *argv, size_t offset)
{
    collected *c = arg;
    size_t total = 0, at = 0;
    char *d;
    int j;
    if (c->ncmd == c->stop_at)
        return -1;
    GROW(c->argc, c->ncmd);
    GROW(c->args, c->ncmd);
    GROW(c->data, c->ncmd);
    GROW(c->offset, c->ncmd);
    c->argc[c->ncmd] = argc;
    c->offset[c->ncmd] = offset;
    c->args[c->ncmd] = malloc((size_t)argc * sizeof(kv_str));
    if (!c->args[c->ncmd])
        abort();
    for (j = 0; j < argc; j++)
        total += argv[j].n;
    d = c->data[c->ncmd] = malloc(total ? total : 1);
    if (!d)
        abort();
    for (j = 0; j < argc; j++) {
        memcpy(d + at, argv[j].p, argv[j].n);
        c->args[c->ncmd][j].p = d + at;
        c->args[c->ncmd][j].n = argv[j].n;
        at += argv[j].n;
    }
    push_order(c, c->ncmd++);
    return 0;
}

static void on_ann(void *arg, const char *p, size_t n, size_t offset)
{
    collected *c = arg;
    GROW(c->ann, c->nann);
    GROW(c->ann_len, c->nann);
    GROW(c->ann_off, c->nann);
    c->ann[c->nann] = copy(p, n);
    c->ann_len[c->nann] = n;
    c->ann_off[c->nann] = offset;
    push_order(c, -(c->nann++) - 1);
}

static const kv_aof_read_cb *collector(collected *c)
{
    c->cb.arg = c;
    c->cb.cmd = on_cmd;
    c->cb.annotation = on_ann;
    return &c->cb;
}

/* Everything collected written again with kevy's writer (annotations with
 * Redis's \r\n). */
static void reencode(const collected *c, kv_buf *out)
{
    int i;
    for (i = 0; i < c->nord; i++) {
        int v = c->order[i];
        if (v >= 0) {
            kv_aof_write_cmd(out, c->argc[v], c->args[v]);
        } else {
            kv_buf_append(out, "#", 1);
            kv_buf_append(out, c->ann[-v - 1], c->ann_len[-v - 1]);
            kv_buf_append(out, "\r\n", 2);
        }
    }
}

static void many_args(kv_buf *b, int n)
{
    kv_str *argv = malloc((size_t)n * sizeof *argv);
    char *digits = malloc((size_t)n * 12);
    int i;
    if (!argv || !digits)
        abort();
    argv[0] = (kv_str){"RPUSH", 5};
    for (i = 1; i < n; i++) {
        argv[i].p = digits + (size_t)i * 12;
        argv[i].n = (size_t)snprintf(digits + (size_t)i * 12, 12, "%d", i);
    }
    kv_aof_write_cmd(b, n, argv);
    free(argv);
    free(digits);
}

static int is_arg(const kv_str *s, const char *w)
{
    return s->n == strlen(w) && memcmp(s->p, w, s->n) == 0;
}

/* ------------------------------------------------------------ manifests */

static const char redis_manifest[] = "file appendonly.aof.2.base.aof seq 2 type b\n"
                                     "file appendonly.aof.1.incr.aof seq 1 type h\n"
                                     "file appendonly.aof.1.base.aof seq 1 type h\n"
                                     "file appendonly.aof.2.incr.aof seq 2 type i\n";

/* Written by redis-server 7.0.15 --appendfilename 'my "q" aof'. */
static const char redis_quoted[] = "file \"my \\\"q\\\" aof.1.base.rdb\" seq 1 type b\n"
                                   "file \"my \\\"q\\\" aof.1.incr.aof\" seq 1 type i\n";

static void test_manifest_roundtrip(void)
{
    kv_aof_manifest m;
    kv_buf b;
    char err[256];
    kv_buf_init(&b);
    CHECK(kv_aof_manifest_parse(redis_manifest, strlen(redis_manifest), &m, err, sizeof err) == 0);
    CHECK(strcmp(m.base.name, "appendonly.aof.2.base.aof") == 0);
    CHECK_EQ_LL(m.base.seq, 2);
    CHECK(m.base.type == 'b');
    CHECK_EQ_LL(m.nhist, 2);
    CHECK(strcmp(m.hist[0].name, "appendonly.aof.1.incr.aof") == 0 && m.hist[0].type == 'h');
    CHECK(strcmp(m.hist[1].name, "appendonly.aof.1.base.aof") == 0 && m.hist[1].seq == 1);
    CHECK_EQ_LL(m.nincr, 1);
    CHECK(strcmp(m.incr[0].name, "appendonly.aof.2.incr.aof") == 0 && m.incr[0].type == 'i');
    CHECK_EQ_LL(m.next_seq_base, 3);
    CHECK_EQ_LL(m.next_seq_incr, 3);
    kv_aof_manifest_format(&m, &b);
    CHECK_MEM(b.p, b.len, redis_manifest);
    kv_aof_manifest_free(&m);
    CHECK(m.base.name == NULL && m.nincr == 0 && m.nhist == 0 && m.next_seq_base == 1);

    /* Quoted names, both ways. */
    b.len = 0;
    CHECK(kv_aof_manifest_parse(redis_quoted, strlen(redis_quoted), &m, err, sizeof err) == 0);
    CHECK(strcmp(m.base.name, "my \"q\" aof.1.base.rdb") == 0);
    CHECK(strcmp(m.incr[0].name, "my \"q\" aof.1.incr.aof") == 0);
    kv_aof_manifest_format(&m, &b);
    CHECK_MEM(b.p, b.len, redis_quoted);
    kv_aof_manifest_free(&m);

    /* Manifests Redis accepts that it would not write itself. */
    b.len = 0;
    {
        const char *in = "# a comment\n\tFILE 'x y' SEQ 7 TYPE bb extra key\r\n"
                         "file a\"b c\" seq 00003 type i\n#x\n"
                         "type h seq 99999999999999999999 file \"\\x41\\n\\q\"\n";
        CHECK(kv_aof_manifest_parse(in, strlen(in), &m, err, sizeof err) == 0);
        CHECK(strcmp(m.base.name, "x y") == 0 && m.base.seq == 7);
        CHECK(strcmp(m.incr[0].name, "ab c") == 0 && m.incr[0].seq == 3);
        CHECK(strcmp(m.hist[0].name, "A\nq") == 0 && m.hist[0].seq == LLONG_MAX);
        CHECK_EQ_LL(m.next_seq_base, 8);
        CHECK_EQ_LL(m.next_seq_incr, 4);
        kv_aof_manifest_format(&m, &b);
        CHECK_MEM(b.p, b.len,
                  "file \"x y\" seq 7 type b\n"
                  "file \"A\\nq\" seq 9223372036854775807 type h\n"
                  "file \"ab c\" seq 3 type i\n");
        kv_aof_manifest_free(&m);
    }
    /* Only comments: no files, not an error. */
    CHECK(kv_aof_manifest_parse("#\n", 2, &m, err, sizeof err) == 0);
    CHECK(m.base.name == NULL && m.nincr == 0);
    kv_buf_free(&b);
}

/* Names Redis writes bare or quoted, and that read back. */
static void test_manifest_quoting(void)
{
    static const struct {
        const char *name, *written;
    } cases[] = {
        {"plain.aof", "plain.aof"},
        {"a b", "\"a b\""},
        {"q\"uote", "\"q\\\"uote\""},
        {"back\\slash", "\"back\\\\slash\""}, /* Redis refuses it on reading */
        {"ctl\n\r\t\a\b", "\"ctl\\n\\r\\t\\a\\b\""},
        {"\x01\x7f\xff", "\"\\x01\\x7f\\xff\""},
        {"it's", "\"it's\""}, /* kevy quotes: Redis's parser can't read it bare */
        {"", "\"\""},         /* nor an empty name */
        {"#hash", "#hash"},
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kv_aof_manifest m, back;
        kv_buf b;
        char want[128], err[128], name[64];
        kv_aof_manifest_init(&m);
        snprintf(name, sizeof name, "%s", cases[i].name);
        m.base.name = name;
        m.base.seq = 5;
        m.base.type = 'b';
        kv_buf_init(&b);
        kv_aof_manifest_format(&m, &b);
        snprintf(want, sizeof want, "file %s seq 5 type b\n", cases[i].written);
        CHECK_MEM(b.p, b.len, want);
        if (strchr(cases[i].name, '\\')) {
            CHECK(kv_aof_manifest_parse(b.p, b.len, &back, err, sizeof err) == -1);
            CHECK(strcmp(err, "File can't be a path, just a filename") == 0);
        } else {
            CHECK(kv_aof_manifest_parse(b.p, b.len, &back, err, sizeof err) == 0);
            CHECK(back.base.name && strcmp(back.base.name, cases[i].name) == 0);
        }
        kv_aof_manifest_free(&back);
        kv_buf_free(&b);
    }
}

static void test_manifest_errors(void)
{
    static const struct {
        const char *text;
        size_t len; /* 0: strlen */
        const char *msg;
        int line;
    } cases[] = {
        {"", 0, "Found an empty AOF manifest", 0},
        {"file a seq 1 type b", 0, "The AOF manifest file contains too long line", 0},
        {"file a seq 1 type b\nfile x\0 seq 2 type i\n", 41,
         "The AOF manifest file contains too long line", 0},
        {"\n", 0, "Invalid AOF manifest file format", 1},
        {"   \t\r\n", 0, "Invalid AOF manifest file format", 1},
        {"file a seq 1 type b\n\n", 0, "Invalid AOF manifest file format", 2},
        {"file a seq 1\n", 0, "Invalid AOF manifest file format", 1},
        {"file a seq 1 type b x\n", 0, "Invalid AOF manifest file format", 1},
        {"seq 1 type b x y\n", 0, "Invalid AOF manifest file format", 1},
        {"file a seq 0 type b\n", 0, "Invalid AOF manifest file format", 1},
        {"file a seq x type b\n", 0, "Invalid AOF manifest file format", 1},
        {"file a seq 1 type \"\"\n", 0, "Invalid AOF manifest file format", 1},
        {"file \"a seq 1 type b\n", 0, "Invalid AOF manifest file format", 1},
        {"file \"a\"b seq 1 type b\n", 0, "Invalid AOF manifest file format", 1},
        {"file a\"b seq 1 type b\n", 0, "Invalid AOF manifest file format", 1},
        {"file 'a seq 1 type b\n", 0, "Invalid AOF manifest file format", 1},
        {"file a/b seq 1 type b\n", 0, "File can't be a path, just a filename", 1},
        {"file a\\b seq 1 type b\n", 0, "File can't be a path, just a filename", 1},
        {"file ok seq x type z file ../x\n", 0, "File can't be a path, just a filename", 1},
        {"file a seq 1 type x\n", 0, "Unknown AOF file type", 1},
        {"file a seq 1 type B\n", 0, "Unknown AOF file type", 1},
        {"file a seq 1 type b\nfile b seq 2 type b\n", 0, "Found duplicate base file information",
         2},
        {"file a seq 2 type i\nfile b seq 1 type i\n", 0, "Found a non-monotonic sequence number",
         2},
        {"file a seq 2 type i\nfile b seq 2 type i\n", 0, "Found a non-monotonic sequence number",
         2},
        {"file a seq -1 type i\n", 0, "Found a non-monotonic sequence number", 1},
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kv_aof_manifest m;
        char err[256];
        int line = -1;
        size_t n = cases[i].len ? cases[i].len : strlen(cases[i].text);
        int rc = kv_aof_manifest_parse_ex(cases[i].text, n, &m, &line, err, sizeof err);
        CHECK(rc == -1);
        CHECK(strcmp(err, cases[i].msg) == 0);
        CHECK_EQ_LL(line, cases[i].line);
        if (rc != -1 || strcmp(err, cases[i].msg) != 0)
            fprintf(stderr, "  case %zu: rc %d, \"%s\"\n", i, rc, err);
        CHECK(m.base.name == NULL && m.nincr == 0 && m.nhist == 0);
    }
    /* Redis reads 1024 bytes at a time: a 1024-byte line (its '\n'
     * included) is whole, one more is too long; a '#' line that long goes
     * on as a line of its own. */
    {
        char line[1100], err[128];
        kv_aof_manifest m;
        size_t pre = strlen("file "), post = strlen(" seq 1 type b\n");
        memcpy(line, "file ", pre);
        memset(line + pre, 'n', 1024 - pre - post);
        memcpy(line + 1024 - post, " seq 1 type b\n", post);
        CHECK(kv_aof_manifest_parse(line, 1024, &m, err, sizeof err) == 0);
        CHECK(m.base.name && strlen(m.base.name) == 1024 - pre - post);
        kv_aof_manifest_free(&m);
        memmove(line + pre + 1, line + pre, 1024 - pre);
        CHECK(kv_aof_manifest_parse(line, 1025, &m, err, sizeof err) == -1);
        CHECK(strcmp(err, "The AOF manifest file contains too long line") == 0);
        memset(line, 'c', sizeof line);
        line[0] = '#';
        line[1099] = '\n';
        CHECK(kv_aof_manifest_parse(line, 1100, &m, err, sizeof err) == -1);
        CHECK(strcmp(err, "Invalid AOF manifest file format") == 0);
    }
    /* No err buffer at all. */
    {
        kv_aof_manifest m;
        CHECK(kv_aof_manifest_parse("x\n", 2, &m, NULL, 0) == -1);
    }
}

/* Redis's rewrite, replayed with the operations, writes what Redis wrote:
 * start (base 1, incr 1), BGREWRITEAOF (incr 2 opened, then base 2, the old
 * base and incr 1 to history). */
static void test_manifest_ops(void)
{
    kv_aof_manifest m, copy;
    kv_buf b;
    char err[128];
    kv_aof_manifest_init(&m);
    kv_buf_init(&b);
    CHECK(strcmp(kv_aof_manifest_new_base(&m, "appendonly.aof", 0), "appendonly.aof.1.base.aof") ==
          0);
    CHECK(strcmp(kv_aof_manifest_new_incr(&m, "appendonly.aof"), "appendonly.aof.1.incr.aof") ==
          0);
    kv_aof_manifest_dup(&copy, &m);
    CHECK(strcmp(kv_aof_manifest_new_incr(&m, "appendonly.aof"), "appendonly.aof.2.incr.aof") ==
          0);
    CHECK(strcmp(kv_aof_manifest_new_base(&m, "appendonly.aof", 0), "appendonly.aof.2.base.aof") ==
          0);
    kv_aof_manifest_incr_to_history(&m, 1);
    kv_aof_manifest_format(&m, &b);
    CHECK_MEM(b.p, b.len, redis_manifest);
    /* The copy did not move. */
    b.len = 0;
    kv_aof_manifest_format(&copy, &b);
    CHECK_MEM(b.p, b.len, "file appendonly.aof.1.base.aof seq 1 type b\n"
                          "file appendonly.aof.1.incr.aof seq 1 type i\n");
    kv_aof_manifest_free(&copy);
    /* With AOF off every incr file goes; history then cleared. */
    kv_aof_manifest_incr_to_history(&m, 0);
    CHECK_EQ_LL(m.nincr, 0);
    CHECK_EQ_LL(m.nhist, 3);
    CHECK(strcmp(m.hist[0].name, "appendonly.aof.2.incr.aof") == 0);
    kv_aof_manifest_incr_to_history(&m, 1); /* nothing left: no-op */
    kv_aof_manifest_clear_history(&m);
    CHECK(m.nhist == 0 && m.hist == NULL);
    CHECK(strcmp(kv_aof_manifest_new_incr(&m, "x"), "x.3.incr.aof") == 0);
    CHECK(strcmp(kv_aof_manifest_new_base(&m, "x", 1), "x.3.base.rdb") == 0);
    CHECK_EQ_LL(m.nhist, 1);
    CHECK(m.hist[0].type == 'h' && m.hist[0].seq == 2);
    kv_aof_manifest_free(&m);
    /* No seq left past LLONG_MAX. */
    CHECK(kv_aof_manifest_parse("file a seq 9223372036854775807 type b\n"
                                "file c seq 9223372036854775807 type i\n",
                                76, &m, err, sizeof err) == 0);
    CHECK(kv_aof_manifest_new_base(&m, "a", 1) == NULL);
    CHECK(kv_aof_manifest_new_incr(&m, "a") == NULL);
    CHECK(strcmp(m.base.name, "a") == 0 && m.nhist == 0);
    kv_aof_manifest_free(&m);
    /* Lines as the loader files them: Redis's upgrade of an old single
     * file makes it the base, seq 1. */
    b.len = 0;
    kv_aof_manifest_add(&m, "appendonly.aof", 1, 'b');
    kv_aof_manifest_add(&m, "x.7.incr.aof", 7, 'i');
    kv_aof_manifest_add(&m, "old", 3, 'q');
    kv_aof_manifest_add(&m, "appendonly.aof.2.base.rdb", 2, 'b'); /* replaces */
    kv_aof_manifest_format(&m, &b);
    CHECK_MEM(b.p, b.len, "file appendonly.aof.2.base.rdb seq 2 type b\n"
                          "file old seq 3 type h\n"
                          "file x.7.incr.aof seq 7 type i\n");
    CHECK(m.next_seq_base == 3 && m.next_seq_incr == 8 && m.hist[0].type == 'h');
    kv_aof_manifest_free(&m);
    kv_buf_free(&b);
}

static void test_names(void)
{
    char out[64];
    CHECK(kv_aof_name_base(out, sizeof out, "appendonly.aof", 12, 1) == 0);
    CHECK(strcmp(out, "appendonly.aof.12.base.rdb") == 0);
    CHECK(kv_aof_name_base(out, sizeof out, "appendonly.aof", 1, 0) == 0);
    CHECK(strcmp(out, "appendonly.aof.1.base.aof") == 0);
    CHECK(kv_aof_name_incr(out, sizeof out, "my aof", 3) == 0);
    CHECK(strcmp(out, "my aof.3.incr.aof") == 0);
    CHECK(kv_aof_name_manifest(out, sizeof out, "appendonly.aof") == 0);
    CHECK(strcmp(out, "appendonly.aof.manifest") == 0);
    CHECK(kv_aof_name_temp_incr(out, sizeof out, "appendonly.aof") == 0);
    CHECK(strcmp(out, "temp-appendonly.aof.incr") == 0);
    CHECK(kv_aof_name_incr(out, 17, "appendonly.aof", 3) == -1 && out[0] == '\0');
    CHECK(kv_aof_name_incr(out, 25, "appendonly.aof", 3) == -1); /* 25 bytes and the NUL */
    CHECK(kv_aof_name_incr(out, 26, "appendonly.aof", 3) == 0);
}

static void test_manifest_disk(void)
{
    char dir[] = "/tmp/kevy-aoffile-XXXXXX", path[256], err[512];
    kv_aof_manifest m, back;
    kv_buf b, f;
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/none", dir);
    CHECK(kv_aof_manifest_load(path, "appendonly.aof", &m, err, sizeof err) == 1);
    CHECK(m.base.name == NULL && m.next_seq_incr == 1);
    CHECK(kv_aof_manifest_load(dir, "appendonly.aof", &m, err, sizeof err) == 1);
    CHECK(kv_aof_manifest_parse(redis_quoted, strlen(redis_quoted), &m, err, sizeof err) == 0);
    CHECK(kv_aof_manifest_save(dir, "my \"q\" aof", &m, err, sizeof err) == 0);
    snprintf(path, sizeof path, "%s/my \"q\" aof.manifest", dir);
    kv_buf_init(&f);
    CHECK(read_all(path, &f) == 0);
    CHECK_MEM(f.p, f.len, redis_quoted);
    snprintf(path, sizeof path, "%s/temp-my \"q\" aof.manifest", dir);
    CHECK(access(path, F_OK) != 0);
    CHECK(kv_aof_manifest_load(dir, "my \"q\" aof", &back, err, sizeof err) == 0);
    kv_buf_init(&b);
    kv_aof_manifest_format(&back, &b);
    CHECK_MEM(b.p, b.len, redis_quoted);
    kv_aof_manifest_free(&back);
    /* Saved again over it (rename replaces). */
    kv_aof_manifest_new_incr(&m, "my \"q\" aof");
    CHECK(kv_aof_manifest_save(dir, "my \"q\" aof", &m, err, sizeof err) == 0);
    CHECK(kv_aof_manifest_load(dir, "my \"q\" aof", &back, err, sizeof err) == 0);
    CHECK_EQ_LL(back.nincr, 2);
    kv_aof_manifest_free(&back);
    /* A bad manifest: Redis's message. */
    snprintf(path, sizeof path, "%s/bad.manifest", dir);
    f.len = 0;
    kv_buf_append(&f, "file a seq 1 type q\n", 20);
    CHECK(write_all(path, &f) == 0);
    CHECK(kv_aof_manifest_load(dir, "bad", &back, err, sizeof err) == -1);
    CHECK(strcmp(err, "Unknown AOF file type") == 0);
    f.len = 0;
    CHECK(write_all(path, &f) == 0);
    CHECK(kv_aof_manifest_load(dir, "bad", &back, err, sizeof err) == -1);
    CHECK(strcmp(err, "Found an empty AOF manifest") == 0);
    /* Not readable as a file. */
    snprintf(path, sizeof path, "%s/d.manifest", dir);
    CHECK(mkdir(path, 0755) == 0);
    CHECK(kv_aof_manifest_load(dir, "d", &back, err, sizeof err) == -1);
    CHECK(strcmp(err, "Read AOF manifest failed") == 0);
    rmdir(path);
    /* Nowhere to write. */
    snprintf(path, sizeof path, "%s/none", dir);
    CHECK(kv_aof_manifest_save(path, "appendonly.aof", &m, err, sizeof err) == -1);
    CHECK(strcmp(err, "Can't open the AOF manifest file temp-appendonly.aof.manifest: No such "
                      "file or directory") == 0);
    /* A line Redis could not read back is refused. */
    free(m.base.name);
    m.base.name = malloc(400);
    memset(m.base.name, 1, 399);
    m.base.name[399] = '\0';
    CHECK(kv_aof_manifest_save(dir, "long", &m, err, sizeof err) == -1);
    CHECK(strcmp(err, "The AOF manifest file contains too long line") == 0);
    snprintf(path, sizeof path, "%s/temp-long.manifest", dir);
    CHECK(access(path, F_OK) != 0);
    snprintf(path, sizeof path, "%s/long.manifest", dir);
    CHECK(access(path, F_OK) != 0);
    /* So is one Redis would write and then not start with. */
    strcpy(m.base.name, "a/b");
    CHECK(kv_aof_manifest_save(dir, "long", &m, err, sizeof err) == -1);
    CHECK(strcmp(err, "File can't be a path, just a filename") == 0);
    kv_aof_manifest_free(&m);
    CHECK(kv_aof_manifest_save(dir, "empty", &m, err, sizeof err) == -1);
    CHECK(strcmp(err, "Found an empty AOF manifest") == 0);
    kv_buf_free(&b);
    kv_buf_free(&f);
    rm_rf(dir);
}

/* ------------------------------------------------------------- commands */

static void test_write(void)
{
    kv_buf b;
    kv_str argv[3] = {{"SET", 3}, {"k", 1}, {"", 0}};
    kv_buf_init(&b);
    kv_aof_write_cmd(&b, 3, argv);
    CHECK_MEM(b.p, b.len, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
    b.len = 0;
    kv_aof_write_select(&b, 0);
    kv_aof_write_select(&b, 15);
    CHECK_MEM(b.p, b.len, "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*2\r\n$6\r\nSELECT\r\n$2\r\n15\r\n");
    b.len = 0;
    kv_aof_write_timestamp(&b, 1796634154);
    CHECK(kv_aof_write_annotation(&b, "note") == 0);
    CHECK_MEM(b.p, b.len, "#TS:1796634154\r\n#note\r\n");
    CHECK(kv_aof_write_annotation(&b, "two\nlines") == -1);
    {
        char big[1100];
        memset(big, 'x', sizeof big);
        big[1020] = '\0';
        CHECK(kv_aof_write_annotation(&b, big) == 0); /* 1023 bytes with '#' and \r\n */
        big[1020] = 'x';
        big[1021] = '\0';
        CHECK(kv_aof_write_annotation(&b, big) == -1);
    }
    CHECK_EQ_LL(b.len, 23 + 1023);
    CHECK(kv_aof_is_rdb((const unsigned char *)"REDIS0010", 9));
    CHECK(!kv_aof_is_rdb((const unsigned char *)"REDI", 4));
    CHECK(!kv_aof_is_rdb((const unsigned char *)"*1\r\n", 4));
    kv_buf_free(&b);
}

static void test_read_roundtrip(void)
{
    kv_buf b, big;
    collected c;
    kv_str argv[4];
    char all[256];
    kv_aof_read_info info;
    char err[256];
    int i, rc;
    kv_buf_init(&b);
    kv_buf_init(&big);
    for (i = 0; i < 256; i++)
        all[i] = (char)i;
    kv_buf_reserve(&big, 3 << 20);
    for (i = 0; i < 3 << 20; i++)
        big.p[i] = (char)(i * 7 + (i >> 11));
    big.len = 3 << 20;
    kv_aof_write_timestamp(&b, 1);
    argv[0] = (kv_str){"SET", 3};
    argv[1] = (kv_str){all, 256};
    argv[2] = (kv_str){"\r\n*1\r\n$1\r\n", 10};
    kv_aof_write_cmd(&b, 3, argv);
    argv[0] = (kv_str){"", 0};
    argv[1] = (kv_str){"", 0};
    kv_aof_write_cmd(&b, 2, argv);
    argv[0] = (kv_str){"APPEND", 6};
    argv[1] = (kv_str){"big", 3};
    argv[2] = (kv_str){big.p, big.len};
    kv_aof_write_cmd(&b, 3, argv);
    CHECK(kv_aof_write_annotation(&b, "") == 0);
    many_args(&b, 5000);
    collected_init(&c);
    rc = kv_aof_read_ex((const unsigned char *)b.p, b.len, collector(&c), &info, err, sizeof err);
    CHECK(rc == KV_AOF_OK && err[0] == '\0');
    CHECK_EQ_LL(info.commands, 4);
    CHECK_EQ_LL(info.annotations, 2);
    CHECK_EQ_LL(info.valid_len, b.len);
    CHECK_EQ_LL(info.bad_offset, b.len);
    CHECK(!info.in_multi);
    CHECK_EQ_LL(c.ncmd, 4);
    CHECK(c.argc[0] == 3 && c.offset[0] == 7);
    CHECK(c.args[0][1].n == 256 && memcmp(c.args[0][1].p, all, 256) == 0);
    CHECK(c.args[0][2].n == 10 && memcmp(c.args[0][2].p, "\r\n*1\r\n$1\r\n", 10) == 0);
    CHECK(c.argc[1] == 2 && c.args[1][0].n == 0 && c.args[1][1].n == 0);
    CHECK(c.argc[2] == 3 && c.args[2][2].n == big.len &&
          memcmp(c.args[2][2].p, big.p, big.len) == 0);
    CHECK_EQ_LL(c.argc[3], 5000);
    CHECK(c.nann == 2 && c.ann_len[0] == 4 && memcmp(c.ann[0], "TS:1", 4) == 0);
    CHECK(c.ann_len[1] == 0 && c.ann_off[0] == 0);
    /* Re-encoded, the same bytes. */
    {
        kv_buf again;
        kv_buf_init(&again);
        reencode(&c, &again);
        CHECK(again.len == b.len && memcmp(again.p, b.p, b.len) == 0);
        kv_buf_free(&again);
    }
    collected_free(&c);
    /* An annotation may end in "\n" alone; nothing read at all is OK. */
    CHECK(kv_aof_read((const unsigned char *)"#x\n*1\r\n$1\r\na\r\n", 14, NULL, NULL, NULL, NULL,
                      0) == KV_AOF_OK);
    CHECK(kv_aof_read((const unsigned char *)"", 0, NULL, NULL, NULL, err, sizeof err) ==
          KV_AOF_OK);
    kv_buf_free(&b);
    kv_buf_free(&big);
}

/* The file the truncation and corruption tests cut: boundaries noted. */
static void sample_stream(kv_buf *b, size_t *ends, int *nends, int *is_cmd)
{
    kv_str a[3] = {{"SET", 3}, {"key", 3}, {"va\r\nlue", 7}};
    kv_str m[1] = {{"MULTI", 5}}, e[1] = {{"EXEC", 4}}, x[2] = {{"INCR", 4}, {"n", 1}};
    int k = 0;
#define MARK(cmd) (ends[k] = b->len, is_cmd[k++] = (cmd))
    kv_aof_write_timestamp(b, 1700000000);
    MARK(0);
    kv_aof_write_select(b, 3);
    MARK(1);
    kv_aof_write_cmd(b, 3, a);
    MARK(1);
    kv_aof_write_annotation(b, "TS:1700000001");
    MARK(0);
    kv_aof_write_cmd(b, 1, m);
    MARK(1);
    kv_aof_write_cmd(b, 2, x);
    MARK(1);
    kv_aof_write_cmd(b, 1, e);
    MARK(1);
    kv_aof_write_cmd(b, 3, a);
    MARK(1);
#undef MARK
    *nends = k;
}

static void test_read_truncation(void)
{
    kv_buf b;
    size_t ends[16], k;
    int nends, is_cmd[16];
    kv_buf_init(&b);
    sample_stream(&b, ends, &nends, is_cmd);
    for (k = 0; k <= b.len; k++) {
        kv_aof_read_info info;
        char err[256];
        size_t last_cmd = 0;
        int boundary = k == 0, j, whole = 0, rc;
        for (j = 0; j < nends && ends[j] <= k; j++) {
            boundary |= ends[j] == k;
            if (is_cmd[j]) {
                last_cmd = ends[j];
                whole++;
            }
        }
        rc = kv_aof_read_ex((const unsigned char *)b.p, k, NULL, &info, err, sizeof err);
        CHECK(rc == (boundary ? KV_AOF_OK : KV_AOF_TRUNCATED));
        CHECK_EQ_LL(info.valid_len, boundary ? k : last_cmd);
        CHECK_EQ_LL(info.bad_offset, k);
        CHECK_EQ_LL(info.commands, whole);
        if (rc == KV_AOF_TRUNCATED)
            CHECK(strncmp(err, "Unexpected end of file at offset ", 33) == 0);
        /* Inside the transaction: from the MULTI on, before its EXEC. */
        CHECK(info.in_multi == (k >= ends[4] && k < ends[6]));
        if (info.in_multi) {
            CHECK_EQ_LL(info.multi_offset, ends[3]);
            CHECK_EQ_LL(info.multi_cut, ends[2]);
        }
    }
    kv_buf_free(&b);
}

static void check_bad(const char *in, size_t bad_at, size_t valid)
{
    kv_aof_read_info info;
    char err[256], want[64];
    int rc = kv_aof_read_ex((const unsigned char *)in, strlen(in), NULL, &info, err, sizeof err);
    CHECK(rc == KV_AOF_BAD);
    CHECK_EQ_LL(info.bad_offset, bad_at);
    CHECK_EQ_LL(info.valid_len, valid);
    snprintf(want, sizeof want, "Bad file format at offset %zu: ", bad_at);
    CHECK(strncmp(err, want, strlen(want)) == 0);
    if (rc != KV_AOF_BAD || info.bad_offset != bad_at)
        fprintf(stderr, "  %s -> %d at %zu: %s\n", in, rc, info.bad_offset, err);
}

static void test_read_corruption(void)
{
    kv_buf b;
    size_t ends[16], i;
    int nends, is_cmd[16];
    check_bad("x", 0, 0);
    check_bad("*1\r\n$1\r\na\r\nREDIS", 11, 11);
    check_bad("*0\r\n", 1, 0);
    check_bad("*-1\r\n", 1, 0);
    check_bad("*01\r\n", 1, 0);
    check_bad("* 1\r\n", 1, 0);
    check_bad("*\r\n", 1, 0);
    check_bad("*1\n", 2, 0);
    check_bad("*1\rx", 3, 0);
    check_bad("*2147483648\r\n", 10, 0);
    check_bad("*1\r\nx", 4, 0);
    check_bad("*1\r\n$-1\r\n", 5, 0);
    check_bad("*1\r\n$00\r\n", 6, 0);
    check_bad("*1\r\n$1\r\nab\r\n", 9, 0);
    check_bad("*1\r\n$1\r\na\rb", 10, 0);
    check_bad("*1\r\n$99999999999999999999\r\n", 23, 0);
    check_bad("*1\r\n$1\r\na\r\n\r\n", 11, 11);
    {
        char line[1100];
        memset(line, 'a', sizeof line);
        line[0] = '#';
        line[1099] = '\0';
        check_bad(line, 1022, 0);
        line[1022] = '\n'; /* the longest line Redis reads whole */
        CHECK(kv_aof_read((const unsigned char *)line, 1023, NULL, NULL, NULL, NULL, 0) ==
              KV_AOF_OK);
    }
    /* Any byte changed: either still well-formed, or caught at or after
     * that byte, with everything before the bad byte a valid beginning. */
    kv_buf_init(&b);
    sample_stream(&b, ends, &nends, is_cmd);
    for (i = 0; i < b.len; i++) {
        static const char subst[] = {'x', '0', '9', '\r', '\n', '*', '$', '#', '\0'};
        size_t s;
        for (s = 0; s < sizeof subst; s++) {
            char keep = b.p[i];
            kv_aof_read_info info, pre;
            int rc;
            if (subst[s] == keep)
                continue;
            b.p[i] = subst[s];
            rc = kv_aof_read_ex((const unsigned char *)b.p, b.len, NULL, &info, NULL, 0);
            if (rc == KV_AOF_BAD) {
                CHECK(info.bad_offset >= i && info.bad_offset < b.len);
                CHECK(kv_aof_read_ex((const unsigned char *)b.p, info.bad_offset, NULL, &pre, NULL,
                                     0) >= KV_AOF_OK);
                CHECK_EQ_LL(pre.commands, info.commands);
                CHECK_EQ_LL(pre.valid_len == info.bad_offset ? info.valid_len : pre.valid_len,
                            info.valid_len);
            }
            b.p[i] = keep;
        }
    }
    /* The structural bytes of commands ('*', '$', the '\n's that end
     * their lines): caught exactly there. (An annotation's '\n' changed
     * makes it run on into the next line, caught later.) */
    for (i = 0; i < b.len; i++) {
        char keep = b.p[i];
        kv_aof_read_info info;
        int in_ann = i < ends[0] || (i >= ends[2] && i < ends[3]);
        if (in_ann || (keep != '*' && keep != '$' && keep != '\n'))
            continue;
        if ((i + 8 >= ends[2] && i < ends[2]) || (i + 8 >= ends[7] && i < ends[7]))
            continue; /* inside the value "va\r\nlue": any byte fits there */
        b.p[i] = 'Z';
        CHECK(kv_aof_read_ex((const unsigned char *)b.p, b.len, NULL, &info, NULL, 0) ==
              KV_AOF_BAD);
        CHECK_EQ_LL(info.bad_offset, i);
        b.p[i] = keep;
    }
    kv_buf_free(&b);
}

static void test_read_multi_and_stop(void)
{
    kv_buf b;
    kv_aof_read_info info;
    kv_str set[3] = {{"set", 3}, {"a", 1}, {"1", 1}}, multi = {"multi", 5}, exec = {"ExEc", 4};
    collected c;
    size_t before, at, multi_end;
    kv_buf_init(&b);
    kv_aof_write_cmd(&b, 3, set);
    before = b.len;
    kv_aof_write_timestamp(&b, 5);
    at = b.len;
    kv_aof_write_cmd(&b, 1, &multi);
    multi_end = b.len;
    kv_aof_write_cmd(&b, 3, set);
    kv_aof_write_cmd(&b, 1, &multi); /* nested: the outer one counts */
    kv_aof_write_cmd(&b, 3, set);
    CHECK(kv_aof_read_ex((const unsigned char *)b.p, b.len, NULL, &info, NULL, 0) == KV_AOF_OK);
    CHECK(info.in_multi && info.multi_offset == at && info.multi_cut == before);
    CHECK(kv_aof_read_ex((const unsigned char *)b.p, b.len - 3, NULL, &info, NULL, 0) ==
          KV_AOF_TRUNCATED);
    CHECK(info.in_multi && info.multi_offset == at && info.multi_cut == before);
    kv_aof_write_cmd(&b, 1, &exec);
    CHECK(kv_aof_read_ex((const unsigned char *)b.p, b.len, NULL, &info, NULL, 0) == KV_AOF_OK);
    CHECK(!info.in_multi && info.multi_offset == 0 && info.multi_cut == 0);
    /* Checked with redis-server 7.0.15 --aof-load-truncated yes: it logs
     * "Revert incomplete MULTI/EXEC transaction" and truncates this file at
     * 27, before the annotation; redis-check-aof --fix would cut at 34. */
    {
        static const char f[] = "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n#TS:5\r\n"
                                "*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n";
        CHECK(kv_aof_read_ex((const unsigned char *)f, sizeof f - 1, NULL, &info, NULL, 0) ==
              KV_AOF_OK);
        CHECK(info.in_multi && info.multi_cut == 27 && info.multi_offset == 34);
    }
    /* The callback stops the third command. */
    collected_init(&c);
    c.stop_at = 2;
    {
        char err[128];
        size_t valid, badoff;
        CHECK(kv_aof_read((const unsigned char *)b.p, b.len, collector(&c), &valid, &badoff, err,
                          sizeof err) == KV_AOF_STOPPED);
        CHECK_EQ_LL(valid, multi_end);
        CHECK_EQ_LL(badoff, b.len);
        CHECK(strncmp(err, "Stopped by the command callback at offset ", 42) == 0);
        CHECK_EQ_LL(c.ncmd, 2);
    }
    collected_free(&c);
    kv_buf_free(&b);
}

/* ------------------------------------------------ Redis's own directory */

static void test_redis_dir(void)
{
    static const struct {
        const char *name;
        int cmds;
    } files[] = {{"appendonly.aof.1.base.aof", 0},
                 {"appendonly.aof.1.incr.aof", 13},
                 {"appendonly.aof.2.base.aof", 13},
                 {"appendonly.aof.2.incr.aof", 11}};
    kv_aof_manifest m;
    kv_buf b, text;
    char err[256], path[256];
    size_t i;
    CHECK(kv_aof_manifest_load(REDIS_DIR, "appendonly.aof", &m, err, sizeof err) == 0);
    kv_buf_init(&b);
    kv_buf_init(&text);
    kv_aof_manifest_format(&m, &b);
    CHECK(read_all(REDIS_DIR "/appendonly.aof.manifest", &text) == 0);
    CHECK(b.len == text.len && memcmp(b.p, text.p, b.len) == 0);
    CHECK(strcmp(m.base.name, files[2].name) == 0 && strcmp(m.incr[0].name, files[3].name) == 0);
    for (i = 0; i < sizeof files / sizeof files[0]; i++) {
        collected c;
        kv_aof_read_info info;
        kv_buf again;
        snprintf(path, sizeof path, "%s/%s", REDIS_DIR, files[i].name);
        text.len = 0;
        CHECK(read_all(path, &text) == 0);
        CHECK(!kv_aof_is_rdb((const unsigned char *)text.p, text.len));
        collected_init(&c);
        CHECK(kv_aof_read_ex((const unsigned char *)text.p, text.len, collector(&c), &info, err,
                             sizeof err) == KV_AOF_OK);
        CHECK_EQ_LL(info.commands, files[i].cmds);
        CHECK_EQ_LL(info.annotations, 1);
        CHECK(!info.in_multi);
        CHECK(c.ann_len[0] == 13 && memcmp(c.ann[0], "TS:17966341", 11) == 0);
        if (i == 1) {
            CHECK(c.argc[10] == 3 && c.args[10][2].n == 12 &&
                  memcmp(c.args[10][2].p, "bin\0ary\r\nval", 12) == 0);
            CHECK(is_arg(&c.args[11][1], "empty") && c.args[11][2].n == 0);
        }
        if (i == 3) {
            CHECK(is_arg(&c.args[1][0], "MULTI") && is_arg(&c.args[4][0], "EXEC"));
            CHECK(is_arg(&c.args[10][1], "key with space"));
        }
        /* kevy's writer gives back Redis's bytes. */
        kv_buf_init(&again);
        reencode(&c, &again);
        CHECK(again.len == text.len && memcmp(again.p, text.p, text.len) == 0);
        kv_buf_free(&again);
        collected_free(&c);
    }
    kv_aof_manifest_free(&m);
    kv_buf_free(&b);
    kv_buf_free(&text);
}


/* ---------------------------------------- real Redis reads kevy's files */


/* A directory as kevy would write it: a RESP base (db 0 and 3) and an incr
 * file with timestamps, binary and empty arguments, a 100 KB value and a
 * transaction. Returns the incr file's bytes in incr. */
static void kevy_dir(const char *aofdir, kv_buf *incr)
{
    kv_aof_manifest m;
    kv_buf base;
    char path[512], err[256], bin[300];
    kv_str a[6];
    int i;
    kv_aof_manifest_init(&m);
    kv_buf_init(&base);
    for (i = 0; i < 300; i++)
        bin[i] = (char)(i * 31);
    kv_aof_write_timestamp(&base, 1700000000);
    kv_aof_write_select(&base, 0);
    a[0] = (kv_str){"SET", 3}, a[1] = (kv_str){"k", 1}, a[2] = (kv_str){"v", 1};
    kv_aof_write_cmd(&base, 3, a);
    a[0] = (kv_str){"RPUSH", 5}, a[1] = (kv_str){"list", 4}, a[2] = (kv_str){"a", 1};
    a[3] = (kv_str){"", 0}, a[4] = (kv_str){"c", 1};
    kv_aof_write_cmd(&base, 5, a);
    kv_aof_write_select(&base, 3);
    a[0] = (kv_str){"SET", 3}, a[1] = (kv_str){"x", 1}, a[2] = (kv_str){"in db 3", 7};
    kv_aof_write_cmd(&base, 3, a);
    snprintf(path, sizeof path, "%s/%s", aofdir, kv_aof_manifest_new_base(&m, "appendonly.aof", 0));
    CHECK(write_all(path, &base) == 0);
    kv_aof_write_timestamp(incr, 1700000001);
    kv_aof_write_select(incr, 0);
    a[0] = (kv_str){"SET", 3}, a[1] = (kv_str){bin, 300}, a[2] = (kv_str){"bin\0\r\n", 6};
    kv_aof_write_cmd(incr, 3, a);
    a[0] = (kv_str){"SET", 3}, a[1] = (kv_str){"empty", 5}, a[2] = (kv_str){"", 0};
    kv_aof_write_cmd(incr, 3, a);
    a[0] = (kv_str){"MULTI", 5};
    kv_aof_write_cmd(incr, 1, a);
    a[0] = (kv_str){"INCRBY", 6}, a[1] = (kv_str){"counter", 7}, a[2] = (kv_str){"41", 2};
    kv_aof_write_cmd(incr, 3, a);
    a[0] = (kv_str){"INCR", 4};
    kv_aof_write_cmd(incr, 2, a);
    a[0] = (kv_str){"EXEC", 4};
    kv_aof_write_cmd(incr, 1, a);
    CHECK(kv_aof_write_annotation(incr, "kevy was here") == 0);
    kv_buf_free(&base);
    kv_buf_init(&base);
    kv_buf_reserve(&base, 100000);
    memset(base.p, 'z', 100000);
    a[0] = (kv_str){"SET", 3}, a[1] = (kv_str){"big", 3}, a[2] = (kv_str){base.p, 100000};
    kv_aof_write_cmd(incr, 3, a);
    snprintf(path, sizeof path, "%s/%s", aofdir, kv_aof_manifest_new_incr(&m, "appendonly.aof"));
    CHECK(write_all(path, incr) == 0);
    CHECK(kv_aof_manifest_save(aofdir, "appendonly.aof", &m, err, sizeof err) == 0);
    kv_aof_manifest_free(&m);
    kv_buf_free(&base);
}

/* redis-check-aof on a single cut file: its verdict and its ok_up_to. */
static void check_aof_cut(const char *dir, const kv_buf *incr, size_t len, size_t want_ok,
                          const char *want_msg)
{
    char path[512], cmd[1024], out[4096], ok[64];
    kv_buf cut;
    kv_buf_init(&cut);
    kv_buf_append(&cut, incr->p, len);
    snprintf(path, sizeof path, "%s/cut.aof", dir);
    CHECK(write_all(path, &cut) == 0);
    snprintf(cmd, sizeof cmd, "redis-check-aof '%s' 2>&1", path);
    CHECK(sh(cmd, out, sizeof out) != 0);
    snprintf(ok, sizeof ok, "ok_up_to=%zu,", want_ok);
    CHECK(strstr(out, ok) != NULL);
    CHECK(strstr(out, want_msg) != NULL);
    if (!strstr(out, ok) || !strstr(out, want_msg))
        fprintf(stderr, "  redis-check-aof on %zu bytes (want %s): %s\n", len, ok, out);
    kv_buf_free(&cut);
}

static void redis_loads(const char *dir)
{
    static const struct {
        const char *cmd, *want;
    } q[] = {{"-n 0 DBSIZE", "6"},         {"GET k", "v"},
             {"LRANGE list 0 -1", "a\n\nc"}, {"GET counter", "42"},
             {"STRLEN big", "100000"},     {"GET empty", ""},
             {"-n 3 GET x", "in db 3"}};
    char cmd[1024], out[4096];
    int port = free_port(), up;
    size_t i;
    CHECK(port > 0);
    snprintf(cmd, sizeof cmd,
             "redis-server --port %d --bind 127.0.0.1 --dir %s --appendonly yes --save '' "
             "--aof-load-truncated no --daemonize yes --logfile %s/redis.log "
             "--pidfile %s/redis.pid",
             port, dir, dir, dir);
    CHECK(system(cmd) == 0);
    up = redis_up(port);
    CHECK(up);
    if (!up) {
        snprintf(cmd, sizeof cmd, "tail -5 %s/redis.log >&2", dir);
        (void)system(cmd);
        return;
    }
    for (i = 0; i < sizeof q / sizeof q[0]; i++) {
        snprintf(cmd, sizeof cmd, "redis-cli -p %d %s", port, q[i].cmd);
        CHECK(sh(cmd, out, sizeof out) == 0 && strcmp(out, q[i].want) == 0);
        if (strcmp(out, q[i].want) != 0)
            fprintf(stderr, "  %s: \"%s\", want \"%s\"\n", q[i].cmd, out, q[i].want);
    }
    snprintf(cmd, sizeof cmd, "redis-cli -p %d SHUTDOWN NOSAVE >/dev/null 2>&1", port);
    (void)system(cmd);
}

static void test_redis_tools(void)
{
    char dir[] = "/tmp/kevy-aoftools-XXXXXX", aofdir[256], cmd[1024], out[4096];
    kv_buf incr;
    kv_aof_read_info info;
    size_t i, exec_at = 0;
    if (system("command -v redis-check-aof >/dev/null 2>&1") != 0) {
        fprintf(stderr, "  (redis-check-aof not installed: it is in Debian's redis-tools; "
                        "checks with Redis skipped)\n");
        return;
    }
    CHECK(mkdtemp(dir) != NULL);
    snprintf(aofdir, sizeof aofdir, "%s/appendonlydir", dir);
    CHECK(mkdir(aofdir, 0755) == 0);
    kv_buf_init(&incr);
    kevy_dir(aofdir, &incr);
    snprintf(cmd, sizeof cmd, "redis-check-aof '%s/appendonly.aof.manifest' 2>&1", aofdir);
    CHECK(sh(cmd, out, sizeof out) == 0);
    CHECK(strstr(out, "All AOF files and manifest are valid") != NULL);
    if (!strstr(out, "All AOF files and manifest are valid"))
        fprintf(stderr, "  redis-check-aof: %s\n", out);
    /* Torn tails: redis-check-aof keeps what kevy's reader keeps. Its
     * ok_up_to is the start of the torn item, which is kevy's valid_len
     * where no annotation sits between (the big SET follows one: there
     * Redis's loader, as kevy, cuts before the annotation). */
    for (i = 0; i + 6 < incr.len; i++)
        if (memcmp(incr.p + i, "$4\r\nEXEC", 8) == 0)
            exec_at = i - 4;
    CHECK(exec_at > 0);
    CHECK(kv_aof_read_ex((const unsigned char *)incr.p, exec_at + 5, NULL, &info, NULL, 0) ==
          KV_AOF_TRUNCATED);
    CHECK(info.in_multi);
    check_aof_cut(dir, &incr, exec_at + 5, info.multi_offset, "Expected \\r\\n");
    CHECK(kv_aof_read_ex((const unsigned char *)incr.p, exec_at, NULL, &info, NULL, 0) ==
          KV_AOF_OK);
    CHECK(info.in_multi);
    check_aof_cut(dir, &incr, exec_at, info.multi_offset, "Reached EOF before reading EXEC");
    CHECK(kv_aof_read_ex((const unsigned char *)incr.p, 200, NULL, &info, NULL, 0) ==
          KV_AOF_TRUNCATED);
    check_aof_cut(dir, &incr, 200, info.valid_len, "Expected to read");
    CHECK(kv_aof_read_ex((const unsigned char *)incr.p, incr.len - 10, NULL, &info, NULL, 0) ==
          KV_AOF_TRUNCATED);
    CHECK_EQ_LL(info.valid_len, exec_at + 14);
    check_aof_cut(dir, &incr, incr.len - 10, exec_at + 14 + 16, "Expected to read");
    if (system("command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1") ==
        0)
        redis_loads(dir);
    else
        fprintf(stderr, "  (redis-server not installed: loading by Redis skipped)\n");
    kv_buf_free(&incr);
    rm_rf(dir);
}

TEST_MAIN("aoffile", TEST(test_manifest_roundtrip), TEST(test_manifest_quoting),
          TEST(test_manifest_errors), TEST(test_manifest_ops), TEST(test_names),
          TEST(test_manifest_disk), TEST(test_write), TEST(test_read_roundtrip),
          TEST(test_read_truncation), TEST(test_read_corruption),
          TEST(test_read_multi_and_stop), TEST(test_redis_dir), TEST(test_redis_tools))
