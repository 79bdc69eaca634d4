/* libFuzzer harness for the command layer: the input is a client's request
 * stream, parsed like a connection does and run command by command through
 * kv_local (the same lookup, arity, routing and reply path as a live shard).
 * Every command must produce exactly one well-formed reply, pure RESP2 while
 * the client speaks RESP2, and errors must carry an upper-case code. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "kevy/resp.h"
#include "kevy/rt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_COMMANDS 256
#define FUZZ_MAX_BULK (1024 * 1024)

#define FUZZ_ASSERT(c)                                                         \
    do {                                                                       \
        if (!(c)) {                                                            \
            fprintf(stderr, "fuzz_cmd: %s:%d: %s\n", __FILE__, __LINE__, #c);  \
            abort();                                                           \
        }                                                                      \
    } while (0)

static void print_cmd(int argc, const kv_str *argv)
{
    int i;
    fprintf(stderr, "fuzz_cmd: command:");
    for (i = 0; i < argc; i++)
        fprintf(stderr, " \"%.*s\"", (int)(argv[i].n > 80 ? 80 : argv[i].n), argv[i].p);
    fprintf(stderr, "\n");
}

static void check_reply(int argc, const kv_str *argv, const char *r, size_t n, int proto,
                        kv_buf *scratch)
{
    long len = kv_resp_reply_len(r, n);
    if (n == 0 || len != (long)n) {
        print_cmd(argc, argv);
        fprintf(stderr, "fuzz_cmd: reply of %zu bytes, one reply spans %ld: \"%.*s\"\n", n, len,
                (int)(n > 300 ? 300 : n), r);
        FUZZ_ASSERT(n > 0 && len == (long)n);
    }
    if (r[0] == '-') {
        /* "-CODE message": Redis's error replies always start with a code. */
        if (n < 4 || r[1] < 'A' || r[1] > 'Z') {
            print_cmd(argc, argv);
            fprintf(stderr, "fuzz_cmd: error without a code: \"%.*s\"\n", (int)n, r);
            FUZZ_ASSERT(0);
        }
    }
    if (proto == 2) {
        scratch->len = 0;
        FUZZ_ASSERT(kv_resp3_to_resp2(scratch, r, n) == 0);
        if (scratch->len != n || memcmp(scratch->p, r, n) != 0) {
            print_cmd(argc, argv);
            fprintf(stderr, "fuzz_cmd: RESP3 type in a RESP2 reply: \"%.*s\"\n",
                    (int)(n > 300 ? 300 : n), r);
            FUZZ_ASSERT(0);
        }
    }
}

/* argv[0] is `name` (lower-case), in any case. */
static int is_cmd(const kv_str *a, const char *name)
{
    size_t i, n = strlen(name);
    if (a->n != n)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)a->p[i];
        if ((ch >= 'A' && ch <= 'Z' ? ch + 32 : ch) != (unsigned char)name[i])
            return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kv_server srv;
    kv_cmdset cs;
    kv_local *l;
    kv_parser p;
    kv_parse_limits lim;
    kv_buf out, scratch;
    size_t pos = 0;
    int ncmds = 0, proto = 2;

    /* A fresh server per input: runs stay independent, and creating one is
     * cheap (a few small allocations). */
    kv_server_fixed(&srv, 1);
    srv.proto_max_bulk_len = FUZZ_MAX_BULK;
    kv_commands_init(&cs, &srv);
    l = kv_local_new(&cs);
    FUZZ_ASSERT(l != NULL);
    kv_parser_init(&p);
    kv_buf_init(&out);
    kv_buf_init(&scratch);
    {
        /* No save points: FLUSHALL would write dump.rdb (see below). */
        static const kv_str nosave[] = {{"config", 6}, {"set", 3}, {"save", 4}, {"", 0}};
        kv_local_exec(l, 4, nosave, &out);
        out.len = 0;
    }
    lim.max_bulk_len = FUZZ_MAX_BULK;
    lim.auth_required = 0;

    while (pos < size && ncmds < FUZZ_MAX_COMMANDS) {
        size_t consumed = 0;
        int argc = 0;
        kv_str *argv = NULL;
        kv_parse_status st = kv_parse(&p, (const char *)data + pos, size - pos, &lim,
                                      &consumed, &argc, &argv);
        if (st != KV_PARSE_OK)
            break; /* incomplete, or a protocol error: the connection ends */
        FUZZ_ASSERT(consumed > 0 && consumed <= size - pos);
        pos += consumed;
        if (argc == 0)
            continue;
        ncmds++;
        /* Commands that write dump.rdb (an fsync per input, files in the
         * working directory) are left to the conformance suite; the file
         * format is fuzzed by fuzz_rdbfile. */
        if (is_cmd(&argv[0], "save") || is_cmd(&argv[0], "bgsave") ||
            is_cmd(&argv[0], "shutdown"))
            continue;
        /* Scripts are programs: a fuzzed one may loop forever (a script runs
         * to its end), and what a script returns as an error is its own
         * text (Redis's too: `return {err='x'}` replies "-x"). The Lua
         * conversions are tested by the conformance suite. */
        if (is_cmd(&argv[0], "eval") || is_cmd(&argv[0], "evalsha") ||
            is_cmd(&argv[0], "eval_ro") || is_cmd(&argv[0], "evalsha_ro"))
            continue;
        out.len = 0;
        kv_local_exec(l, argc, argv, &out);
        /* HELLO that succeeds switches the protocol, for its own reply too:
         * a map in RESP3, an array in RESP2. */
        if (out.len > 0 && out.p[0] != '-' && is_cmd(&argv[0], "hello"))
            proto = out.p[0] == '%' ? 3 : 2;
        check_reply(argc, argv, out.p, out.len, proto, &scratch);
        /* A monitor gets the lines of its own later commands with their
         * replies (as in Redis): no longer one reply per command. */
        if (out.len > 0 && out.p[0] != '-' && is_cmd(&argv[0], "monitor"))
            break;
    }

    kv_buf_free(&out);
    kv_buf_free(&scratch);
    kv_parser_free(&p);
    kv_local_free(l);
    kv_commands_fini(&srv);
    return 0;
}
