/* libFuzzer harness for the RESP library. The input is parsed as a request
 * stream four ways (whole, in pseudo-random chunks chosen by the first
 * bytes, byte by byte, and chunked as a connection reads with payloads
 * diverted into their own memory) which must agree, with per-call
 * invariants checked;
 * it is also read as a reply, converted to RESP2, and the output re-checked. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kevy/resp.h"
#include "../tests/unit/resp_divert_run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(c)                                                     \
    do {                                                                   \
        if (!(c)) {                                                        \
            fprintf(stderr, "fuzz_resp: %s:%d: %s\n", __FILE__, __LINE__, #c); \
            abort();                                                       \
        }                                                                  \
    } while (0)

/* What one way of parsing produced: the commands, each re-encoded as a
 * multibulk and terminated, then how the stream ended. */
typedef struct outcome {
    kv_buf cmds;
    size_t ncmds;
    int ended_in_error;
    int too_big; /* a size error, which depends on how input was split */
    char err[80];
    size_t leftover;
} outcome;

/* A parsed command, written as a multibulk, must parse back to itself. */
static void check_roundtrip(const char *enc, size_t n, int argc, const kv_str *argv)
{
    kv_parser p;
    size_t consumed;
    int argc2, i;
    kv_str *argv2;

    if (argc == 0)
        return;
    kv_parser_init(&p);
    FUZZ_ASSERT(kv_parse(&p, enc, n, NULL, &consumed, &argc2, &argv2) == KV_PARSE_OK);
    FUZZ_ASSERT(consumed == n && argc2 == argc);
    for (i = 0; i < argc; i++)
        FUZZ_ASSERT(argv2[i].n == argv[i].n &&
                    (argv[i].n == 0 || memcmp(argv2[i].p, argv[i].p, argv[i].n) == 0));
    kv_parser_free(&p);
    /* The encoding is also one well-formed reply. */
    FUZZ_ASSERT(kv_resp_reply_len(enc, n) == (long)n);
}

/* Parse data[0..size) delivered in pieces ending at cuts[]. Every call gets
 * an exact-size private copy of the pending bytes so reads past `len` and
 * pointers kept across calls are caught by ASan. */
static void run(const uint8_t *data, size_t size, const size_t *cuts,
                size_t ncuts, const kv_parse_limits *lim, outcome *o)
{
    kv_parser p;
    size_t start = 0, avail, c = 0;

    kv_parser_init(&p);
    kv_buf_init(&o->cmds);
    o->ncmds = 0;
    o->ended_in_error = 0;
    o->too_big = 0;
    o->err[0] = '\0';
    o->leftover = 0;
    avail = ncuts ? cuts[0] : size;
    for (;;) {
        size_t len = avail - start, consumed = 12345;
        char *buf = malloc(len ? len : 1);
        int argc = -1, i;
        kv_str *argv = NULL;
        kv_parse_status st;

        if (len)
            memcpy(buf, data + start, len);
        st = kv_parse(&p, buf, len, lim, &consumed, &argc, &argv);
        if (st == KV_PARSE_OK) {
            size_t before = o->cmds.len;
            FUZZ_ASSERT(consumed > 0 && consumed <= len);
            FUZZ_ASSERT(argc >= 0 && (argc == 0 || argv != NULL));
            for (i = 0; i < argc; i++) {
                const char *lo = buf, *hi = buf + consumed;
                if (buf[0] != '*') { /* inline: unescaped into the parser */
                    lo = p.inl.p;
                    hi = p.inl.p + p.inl.len;
                    FUZZ_ASSERT(argv[i].n <= consumed);
                }
                FUZZ_ASSERT(argv[i].p >= lo && argv[i].p + argv[i].n <= hi);
            }
            kv_encode_command(&o->cmds, argc, argv);
            check_roundtrip(o->cmds.p + before, o->cmds.len - before, argc, argv);
            o->ncmds++;
            start += consumed;
        } else if (st == KV_PARSE_ERROR) {
            FUZZ_ASSERT(p.err != NULL);
            FUZZ_ASSERT(strncmp(p.err, "ERR Protocol error: ", 20) == 0);
            FUZZ_ASSERT(strchr(p.err, '\r') == NULL && strchr(p.err, '\n') == NULL);
            FUZZ_ASSERT(consumed == 0);
            o->ended_in_error = 1;
            o->too_big = strstr(p.err, "too big") != NULL;
            snprintf(o->err, sizeof o->err, "%s", p.err);
            free(buf);
            break;
        } else {
            FUZZ_ASSERT(st == KV_PARSE_AGAIN && consumed == 0);
            FUZZ_ASSERT(p.need == 0 || p.need > len);
            if (avail == size) {
                o->leftover = size - start;
                free(buf);
                break;
            }
            c++;
            avail = c < ncuts ? cuts[c] : size;
        }
        free(buf);
    }
    kv_parser_free(&p);
}

static void compare(const outcome *a, const outcome *b)
{
    if (a->too_big || b->too_big) {
        /* Size errors fire on what is buffered, so only the commands both
         * runs completed must agree. */
        size_t n = a->cmds.len < b->cmds.len ? a->cmds.len : b->cmds.len;
        FUZZ_ASSERT(n == 0 || memcmp(a->cmds.p, b->cmds.p, n) == 0);
        return;
    }
    FUZZ_ASSERT(a->ncmds == b->ncmds);
    FUZZ_ASSERT(a->cmds.len == b->cmds.len);
    FUZZ_ASSERT(a->cmds.len == 0 || memcmp(a->cmds.p, b->cmds.p, a->cmds.len) == 0);
    FUZZ_ASSERT(a->ended_in_error == b->ended_in_error);
    FUZZ_ASSERT(strcmp(a->err, b->err) == 0);
    FUZZ_ASSERT(a->leftover == b->leftover);
}

/* The same stream read as a connection reads it, big payloads apart. */
static void compare_divert(const outcome *a, const divert_result *d)
{
    FUZZ_ASSERT(d->broken == 0);
    if (a->too_big || strstr(d->err, "too big")) {
        size_t n = a->cmds.len < d->cmds.len ? a->cmds.len : d->cmds.len;
        FUZZ_ASSERT(n == 0 || memcmp(a->cmds.p, d->cmds.p, n) == 0);
        return;
    }
    FUZZ_ASSERT(a->ncmds == d->ncmds);
    FUZZ_ASSERT(a->cmds.len == d->cmds.len);
    FUZZ_ASSERT(a->cmds.len == 0 || memcmp(a->cmds.p, d->cmds.p, a->cmds.len) == 0);
    FUZZ_ASSERT(strcmp(a->err, d->err) == 0);
    FUZZ_ASSERT(a->leftover == d->leftover);
}

/* Tiny PRNG so chunking depends only on the input. */
static uint32_t next_rand(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void fuzz_requests(const uint8_t *data, size_t size)
{
    uint32_t seed = 2166136261u;
    size_t i, n = 0, *cuts = calloc(size + 1, sizeof *cuts);
    kv_parse_limits lim;
    outcome whole, chunked, bytewise;

    for (i = 0; i < size && i < 4; i++)
        seed = (seed ^ data[i]) * 16777619u;
    if (seed == 0)
        seed = 1;
    lim.max_bulk_len = (seed & 3) == 0 ? 16 : KV_PROTO_MAX_BULK_DEFAULT;
    lim.auth_required = (seed & 4) != 0;

    run(data, size, NULL, 0, &lim, &whole);

    for (i = 0; i < size;) {
        uint32_t r = next_rand(&seed);
        i += (r & 0x30) ? 1 + (r >> 8) % 8 : 1 + (r >> 8) % 300;
        if (i < size)
            cuts[n++] = i;
    }
    run(data, size, cuts, n, &lim, &chunked);
    compare(&whole, &chunked);
    kv_buf_free(&chunked.cmds);
    {
        divert_result dv;
        divert_run((const char *)data, size, cuts, n, &lim, 1 + (seed >> 3) % 64, (seed & 8) != 0,
                   &dv);
        compare_divert(&whole, &dv);
        kv_buf_free(&dv.cmds);
    }

    if (size <= 600) {
        for (i = 1; i < size; i++)
            cuts[i - 1] = i;
        run(data, size, cuts, size ? size - 1 : 0, &lim, &bytewise);
        compare(&whole, &bytewise);
        kv_buf_free(&bytewise.cmds);
    }
    kv_buf_free(&whole.cmds);
    free(cuts);
}

static void fuzz_replies(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    long len = kv_resp_reply_len(s, size);
    kv_buf out, again;
    long long v;
    int rc;

    kv_buf_init(&out);
    kv_buf_init(&again);
    FUZZ_ASSERT(len == -1 || (len > 0 && (size_t)len <= size));
    rc = kv_resp3_to_resp2(&out, s, size);
    FUZZ_ASSERT(rc == ((size_t)len == size ? 0 : -1));
    if (rc != 0)
        FUZZ_ASSERT(out.len == 0);
    if (len > 0) {
        /* A reply is complete at exactly one length: no prefix is. */
        if (len > 1)
            FUZZ_ASSERT(kv_resp_reply_len(s, (size_t)len - 1) == -1);
        out.len = 0;
        FUZZ_ASSERT(kv_resp3_to_resp2(&out, s, (size_t)len) == 0);
        /* RESP2 output is one valid reply and converts to itself. */
        FUZZ_ASSERT(kv_resp_reply_len(out.p, out.len) == (long)out.len);
        FUZZ_ASSERT(kv_resp3_to_resp2(&again, out.p, out.len) == 0);
        FUZZ_ASSERT(again.len == out.len && memcmp(again.p, out.p, out.len) == 0);
    }
    if (kv_resp_reply_int(s, size, &v)) {
        char txt[32];
        int tn = kv_ll2str(txt, sizeof txt, v);
        FUZZ_ASSERT(s[0] == ':' && len == (long)size);
        FUZZ_ASSERT((size_t)tn + 3 == size && memcmp(s + 1, txt, (size_t)tn) == 0);
    }
    /* Any line is a number only in canonical form. */
    if (size <= 24 && kv_str2ll(s, size, &v)) {
        char txt[32];
        int tn = kv_ll2str(txt, sizeof txt, v);
        FUZZ_ASSERT((size_t)tn == size && memcmp(s, txt, size) == 0);
    }
    kv_buf_free(&out);
    kv_buf_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_requests(data, size);
    fuzz_replies(data, size);
    return 0;
}
