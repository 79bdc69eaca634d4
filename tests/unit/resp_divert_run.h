/* A request stream read the way a connection reads it (src/rt/conn.c):
 * payloads of at least `min` bytes diverted into their own exact-size
 * memory (kv_parser_divert), one read filling the rest of a payload and,
 * like readv, the buffer after it. Shared by tests/unit/test_resp_divert.c
 * and fuzz/fuzz_resp.c. */
#ifndef KEVY_TEST_RESP_DIVERT_RUN_H
#define KEVY_TEST_RESP_DIVERT_RUN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kevy/resp.h"

typedef struct divert_result {
    kv_buf cmds;      /* every command, re-encoded */
    size_t ncmds;
    int diverted;     /* payloads read apart */
    int broken;       /* an invariant failed (a line number), else 0 */
    char err[80];     /* the protocol error that ended the stream, or "" */
    size_t leftover;  /* bytes of an incomplete last command */
} divert_result;

#define DIVERT_CHECK(o, c)                                                 \
    do {                                                                   \
        if (!(c) && !(o)->broken)                                          \
            (o)->broken = __LINE__;                                        \
    } while (0)

/* Reads end at the positions cuts[0..ncuts) (then at the end). With
 * rewind, every command is rewound once (as one that has to wait) and
 * parsed again. Each parse sees an exact-size copy of the pending bytes. */
static void divert_run(const char *s, size_t n, const size_t *cuts, size_t ncuts,
                       const kv_parse_limits *lim, size_t min, int rewind, divert_result *o)
{
    kv_parser p;
    kv_buf in;
    size_t src = 0, in_pos = 0, c = 0;
    char *blob = NULL;
    int rewound = 0;
    memset(o, 0, sizeof *o);
    kv_buf_init(&o->cmds);
    kv_parser_init(&p);
    kv_buf_init(&in);
    for (;;) {
        size_t big, want, k, end;
        char *dst;
        for (;;) {
            size_t len = in.len - in_pos, consumed = 0;
            char *buf = malloc(len ? len : 1);
            int argc = 0, i;
            kv_str *argv = NULL;
            kv_parse_status st;
            if (len)
                memcpy(buf, in.p + in_pos, len);
            st = kv_parse(&p, buf, len, lim, &consumed, &argc, &argv);
            if (st == KV_PARSE_AGAIN) {
                free(buf);
                break;
            }
            if (st == KV_PARSE_ERROR) {
                snprintf(o->err, sizeof o->err, "%s", p.err);
                free(buf);
                goto done;
            }
            DIVERT_CHECK(o, consumed > 0 && consumed <= len);
            for (i = 0; i < argc && buf[0] == '*'; i++)
                DIVERT_CHECK(o, (argv[i].p >= buf && argv[i].p + argv[i].n <= buf + consumed) ||
                                    (blob && argv[i].p == blob));
            if (rewind && !rewound && argc > 0) {
                kv_parser_rewind(&p); /* it waits, and is parsed again */
                rewound = 1;
                free(buf);
                continue;
            }
            rewound = 0;
            kv_encode_command(&o->cmds, argc, argv);
            o->ncmds++;
            in_pos += consumed;
            free(buf);
            if (blob) {
                kv_parser_divert_done(&p);
                free(blob);
                blob = NULL;
            }
        }
        if (!blob && (big = kv_parser_big_bulk(&p, min)) != 0) {
            size_t start = in_pos + p.pos, have = in.len - start;
            DIVERT_CHECK(o, start <= in.len && have < big + 2);
            blob = malloc(big + 2);
            if (!blob)
                abort();
            memcpy(blob, in.p + start, have);
            in.len = start;
            kv_parser_divert(&p, blob, have);
            o->diverted++;
        }
        if (src == n) {
            o->leftover = in.len - in_pos + p.div.have;
            break;
        }
        end = c < ncuts ? cuts[c++] : n;
        if (end <= src)
            continue;
        k = end - src;
        if (kv_parser_divert_room(&p, &dst, &want)) {
            size_t mine = k < want ? k : want;
            memcpy(dst, s + src, mine);
            kv_parser_divert_got(&p, mine);
            src += mine;
            k -= mine;
        }
        kv_buf_append(&in, s + src, k);
        src += k;
    }
done:
    free(blob);
    kv_parser_free(&p);
    kv_buf_free(&in);
}

#endif
