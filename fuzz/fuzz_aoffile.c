/* libFuzzer harness for the AOF file layer (aoffile.h): arbitrary bytes as
 * an incr file and as a manifest. The reader must keep its promises: a
 * verdict from the four, offsets within the input, the bytes before a bad
 * byte reading as a valid beginning with the same commands, a truncated
 * file's valid part reading whole, and what it read written back reading
 * to the same stream. A manifest that parses must format to text that parses
 * to the same manifest and formats to the same text, also after Redis's
 * rewrite operations. Inputs are read from an exact-size copy. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/aoffile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(c)                                                            \
    do {                                                                          \
        if (!(c)) {                                                               \
            fprintf(stderr, "fuzz_aoffile: %s:%d: %s\n", __FILE__, __LINE__, #c); \
            abort();                                                              \
        }                                                                         \
    } while (0)

typedef struct sink {
    const unsigned char *base;
    size_t n, last_off;
    long long cmds, anns;
    int stop_at; /* stop at this command (-1: never) */
    kv_buf out;  /* the stream written again */
} sink;

static int on_cmd(void *arg, int argc, const kv_str *argv, size_t off)
{
    sink *s = (sink *)arg;
    int i;
    FUZZ_ASSERT(argc >= 1);
    FUZZ_ASSERT(off < s->n && (s->cmds + s->anns == 0 || off > s->last_off));
    FUZZ_ASSERT(s->base[off] == '*');
    for (i = 0; i < argc; i++)
        FUZZ_ASSERT((const unsigned char *)argv[i].p >= s->base + off &&
                    (const unsigned char *)argv[i].p + argv[i].n <= s->base + s->n);
    if (s->cmds == s->stop_at)
        return -1;
    s->last_off = off;
    s->cmds++;
    kv_aof_write_cmd(&s->out, argc, argv);
    return 0;
}

static void on_ann(void *arg, const char *p, size_t n, size_t off)
{
    sink *s = (sink *)arg;
    FUZZ_ASSERT(off < s->n && s->base[off] == '#');
    FUZZ_ASSERT((const unsigned char *)p == s->base + off + 1 && off + 1 + n < s->n);
    FUZZ_ASSERT(memchr(p, '\n', n) == NULL);
    s->last_off = off;
    s->anns++;
    /* Redis's \r\n where the line allows it: a 1021-byte text was read
     * from a line ending in '\n' alone (and does not end in '\r'). */
    kv_buf_append(&s->out, "#", 1);
    kv_buf_append(&s->out, p, n);
    if (n + 3 <= KV_AOF_ANNOTATION_MAX_LINE)
        kv_buf_append(&s->out, "\r\n", 2);
    else
        kv_buf_append(&s->out, "\n", 1);
}

static int read_into(sink *s, const unsigned char *p, size_t n, int stop_at,
                     kv_aof_read_info *info)
{
    kv_aof_read_cb cb;
    char err[256];
    int rc;
    memset(s, 0, sizeof *s);
    s->base = p;
    s->n = n;
    s->stop_at = stop_at;
    kv_buf_init(&s->out);
    cb.arg = s;
    cb.cmd = on_cmd;
    cb.annotation = on_ann;
    err[0] = 'x';
    rc = kv_aof_read_ex(p, n, &cb, info, err, sizeof err);
    FUZZ_ASSERT(rc == KV_AOF_OK || rc == KV_AOF_TRUNCATED || rc == KV_AOF_BAD ||
                rc == KV_AOF_STOPPED);
    FUZZ_ASSERT(info->commands == s->cmds && info->annotations == s->anns);
    FUZZ_ASSERT(info->valid_len <= n && info->bad_offset <= n);
    FUZZ_ASSERT(rc == KV_AOF_OK ? err[0] == '\0' : err[0] != '\0' && err[0] != 'x');
    if (rc == KV_AOF_OK)
        FUZZ_ASSERT(info->valid_len == n);
    FUZZ_ASSERT(rc == KV_AOF_BAD ? info->bad_offset < n : info->bad_offset == n);
    if (info->in_multi)
        FUZZ_ASSERT(info->multi_cut <= info->multi_offset && info->multi_offset < info->valid_len);
    return rc;
}

static void check_stream(const unsigned char *p, size_t n)
{
    kv_aof_read_info info, again;
    sink s, t;
    int rc = read_into(&s, p, n, -1, &info), rc2;
    if (rc == KV_AOF_BAD || rc == KV_AOF_TRUNCATED) {
        /* The part before the bad byte is a valid beginning holding the
         * same commands; a truncated file's valid part reads whole. */
        size_t cut = rc == KV_AOF_BAD ? info.bad_offset : info.valid_len;
        rc2 = read_into(&t, p, cut, -1, &again);
        FUZZ_ASSERT(rc2 == KV_AOF_OK || (rc == KV_AOF_BAD && rc2 == KV_AOF_TRUNCATED));
        FUZZ_ASSERT(again.commands == info.commands);
        FUZZ_ASSERT(again.valid_len == (rc2 == KV_AOF_OK ? cut : info.valid_len));
        FUZZ_ASSERT(again.in_multi == info.in_multi && again.multi_offset == info.multi_offset);
        kv_buf_free(&t.out);
    }
    /* What was read, written again with kevy's writer, reads the same; as
     * Redis writes lines, that is a fixed point. */
    rc2 = read_into(&t, (const unsigned char *)s.out.p, s.out.len, -1, &again);
    FUZZ_ASSERT(rc2 == KV_AOF_OK);
    FUZZ_ASSERT(again.commands == info.commands && again.annotations == info.annotations);
    FUZZ_ASSERT(again.in_multi == info.in_multi);
    FUZZ_ASSERT(t.out.len == s.out.len && (!s.out.len || memcmp(t.out.p, s.out.p, s.out.len) == 0));
    kv_buf_free(&t.out);
    /* Stopping: only what came before the stop is counted. */
    if (info.commands > 0) {
        int at = (int)(info.commands / 2);
        rc2 = read_into(&t, p, n, at, &again);
        FUZZ_ASSERT(rc2 == KV_AOF_STOPPED && again.commands == at);
        kv_buf_free(&t.out);
    }
    kv_buf_free(&s.out);
}

static void same_manifest(const kv_aof_manifest *a, const kv_aof_manifest *b)
{
    int i;
    FUZZ_ASSERT((a->base.name == NULL) == (b->base.name == NULL));
    if (a->base.name)
        FUZZ_ASSERT(strcmp(a->base.name, b->base.name) == 0 && a->base.seq == b->base.seq);
    FUZZ_ASSERT(a->nincr == b->nincr && a->nhist == b->nhist);
    for (i = 0; i < a->nincr; i++)
        FUZZ_ASSERT(strcmp(a->incr[i].name, b->incr[i].name) == 0 &&
                    a->incr[i].seq == b->incr[i].seq && b->incr[i].type == 'i');
    for (i = 0; i < a->nhist; i++)
        FUZZ_ASSERT(strcmp(a->hist[i].name, b->hist[i].name) == 0 &&
                    a->hist[i].seq == b->hist[i].seq && b->hist[i].type == 'h');
    FUZZ_ASSERT(a->next_seq_base == b->next_seq_base && a->next_seq_incr == b->next_seq_incr);
}

static int lines_fit(const kv_buf *b)
{
    size_t pos = 0;
    while (pos < b->len) {
        const char *nl = memchr(b->p + pos, '\n', b->len - pos);
        FUZZ_ASSERT(nl != NULL);
        if ((size_t)(nl - (b->p + pos)) + 1 > KV_AOF_MANIFEST_MAX_LINE)
            return 0;
        pos = (size_t)(nl - b->p) + 1;
    }
    return 1;
}

/* format -> parse -> format is stable wherever Redis could read the lines
 * (names full of escaped bytes can outgrow its 1024-byte line). */
static void round_trip(const kv_aof_manifest *m)
{
    kv_aof_manifest back;
    kv_buf t1, t2;
    char err[128];
    kv_buf_init(&t1);
    kv_buf_init(&t2);
    kv_aof_manifest_format(m, &t1);
    if (lines_fit(&t1)) {
        int rc = kv_aof_manifest_parse(t1.p, t1.len, &back, err, sizeof err);
        if (t1.len == 0) {
            FUZZ_ASSERT(rc == -1 && strcmp(err, "Found an empty AOF manifest") == 0);
        } else {
            FUZZ_ASSERT(rc == 0);
            same_manifest(m, &back);
            kv_aof_manifest_format(&back, &t2);
            FUZZ_ASSERT(t1.len == t2.len && (!t1.len || memcmp(t1.p, t2.p, t1.len) == 0));
            kv_aof_manifest_free(&back);
        }
    }
    kv_buf_free(&t1);
    kv_buf_free(&t2);
}

static void check_manifest(const char *p, size_t n)
{
    kv_aof_manifest m, copy;
    char err[128];
    int line = -1;
    err[0] = 'x';
    if (kv_aof_manifest_parse_ex(p, n, &m, &line, err, sizeof err) != 0) {
        FUZZ_ASSERT(err[0] != '\0' && err[0] != 'x');
        FUZZ_ASSERT(m.base.name == NULL && m.nincr == 0 && m.nhist == 0);
        FUZZ_ASSERT(line >= 0);
        return;
    }
    FUZZ_ASSERT(line == 0);
    round_trip(&m);
    /* A rewrite as Redis does it, on a copy. */
    kv_aof_manifest_dup(&copy, &m);
    if (kv_aof_manifest_new_incr(&copy, "appendonly.aof") &&
        kv_aof_manifest_new_base(&copy, "appendonly.aof", (int)(n & 1))) {
        kv_aof_manifest_incr_to_history(&copy, 1);
        round_trip(&copy);
        kv_aof_manifest_clear_history(&copy);
        round_trip(&copy);
    }
    kv_aof_manifest_free(&copy);
    round_trip(&m); /* untouched by the copy's changes */
    kv_aof_manifest_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *copy = (unsigned char *)malloc(size ? size : 1);
    if (!copy)
        abort();
    memcpy(copy, data, size);
    check_stream(copy, size);
    check_manifest((const char *)copy, size);
    free(copy);
    return 0;
}
