/* FUNCTION LOAD, DELETE, FLUSH, RESTORE (every shard), LIST, DUMP, STATS,
 * KILL, HELP, and the libraries' RDB form (opcode 245 + the code, as
 * Redis writes it: FUNCTION DUMP's payload, dump.rdb, AOF bases).
 * A change runs on every shard under whole-shard locks, so that each
 * shard's AOF logs it in order with that shard's writes (a replay of any
 * one shard's files rebuilds the libraries); the first part to run makes
 * the change and the others take its verdict (function_reg.c). */
#include "cmd/script/script.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/lib/glob.h"
#include "cmd/persist/persist.h"
#include "store/crc64.h"
#include "store/rdb.h"
#include "store/rdbfile.h"

static kv_fnreg *reg_of(kv_ctx *ctx)
{
    return kv_scripts_functions(kv_state(ctx)->srv->scripts);
}

/* ------------------------------------------------------------ RDB form */

void kv_fn_rdb_save(kv_scripts *s, kv_buf *out)
{
    int n, i;
    kv_fnlib **libs = kv_fnreg_copy(kv_scripts_functions(s), &n, NULL);
    for (i = 0; i < n; i++) {
        kv_rdb_write_type(out, KV_RDB_OPCODE_FUNCTION2);
        kv_rdb_write_string(out, libs[i]->code, libs[i]->codelen);
    }
    kv_fnlibs_free(libs, n);
}

int kv_fn_rdb_load(kv_scripts *s, const char *code, size_t n, char *err, size_t errlen)
{
    kv_fnlib **one = malloc(sizeof *one);
    if (!one)
        abort();
    if (!(one[0] = kv_fnlib_create(code, n, NULL, err, errlen))) {
        free(one);
        return -1;
    }
    return kv_fnreg_add(kv_scripts_functions(s), one, 1, KV_FN_REPLACE, err, errlen);
}

/* The libraries of a FUNCTION RESTORE payload (after its checks); NULL
 * with the error. */
static kv_fnlib **parse_payload(const char *p, size_t n, int *count, char *err, size_t errlen)
{
    kv_rdb_reader r;
    kv_fnlib **libs = NULL;
    int cnt = 0;
    kv_rdb_reader_init(&r, p, n);
    while (kv_rdb_remaining(&r) > 0) {
        unsigned t;
        kv_rdb_str s;
        kv_fnlib *lib;
        if (kv_rdb_read_u8(&r, &t) != 0) {
            snprintf(err, errlen, "payload is not a valid function payload");
            goto fail;
        }
        if (t == KV_RDB_OPCODE_FUNCTION) {
            snprintf(err, errlen, "Pre-GA function format not supported");
            goto fail;
        }
        if (t != KV_RDB_OPCODE_FUNCTION2) {
            snprintf(err, errlen, "given type is not a function");
            goto fail;
        }
        if (kv_rdb_read_string(&r, &s) != 0) {
            snprintf(err, errlen, "Failed loading library payload");
            goto fail;
        }
        lib = kv_fnlib_create(s.p, s.n, NULL, err, errlen);
        kv_rdb_str_free(&s);
        if (!lib)
            goto fail;
        if (!(libs = realloc(libs, (size_t)(cnt + 1) * sizeof *libs)))
            abort();
        libs[cnt++] = lib;
    }
    *count = cnt;
    if (!libs && !(libs = malloc(sizeof *libs)))
        abort();
    return libs;
fail:
    kv_fnlibs_free(libs, cnt);
    return NULL;
}

/* ------------------------------------------------------------ changes */

/* One change, made once (shared verdict per transaction part): the RESP
 * reply in out, 1 if it changed the libraries. */
static int change(kv_ctx *ctx, int argc, const kv_str *argv, kv_buf *out)
{
    kv_fnreg *reg = reg_of(ctx);
    kv_reply rep;
    char err[1200];
    const char *sub = argv[1].p;
    memset(&rep, 0, sizeof rep);
    rep.buf = out;
    rep.proto = ctx->out.proto;
    if (sub[0] == 'l' || sub[0] == 'L') { /* LOAD [REPLACE] code */
        int replace = 0, j;
        kv_fnlib **one;
        for (j = 2; j < argc - 1; j++) {
            if (kv_arg_eq(&argv[j], "replace")) {
                replace = 1;
            } else {
                kv_reply_errorf(&rep, "ERR Unknown option given: %.*s",
                                (int)kv_arg_cstrlen(&argv[j]), argv[j].p);
                return 0;
            }
        }
        if (!(one = malloc(sizeof *one)))
            abort();
        if (!(one[0] = kv_fnlib_create_new(argv[argc - 1].p, argv[argc - 1].n, ctx->shard,
                                           replace ? NULL : reg, err, sizeof err))) {
            free(one);
            kv_reply_errorf(&rep, "ERR %s", err);
            return 0;
        }
        {
            char name[1024];
            snprintf(name, sizeof name, "%s", one[0]->name);
            if (!replace && kv_fnreg_exists(reg, one[0]->name, one[0]->namelen)) {
                kv_reply_errorf(&rep, "ERR Library '%s' already exists", name);
                kv_fnlibs_free(one, 1);
                return 0;
            }
            if (kv_fnreg_add(reg, one, 1, replace ? KV_FN_REPLACE : KV_FN_APPEND, err,
                             sizeof err) != 0) {
                kv_reply_errorf(&rep, "ERR %s", err);
                return 0;
            }
            kv_reply_bulk_cstr(&rep, name);
        }
        return 1;
    }
    if (sub[0] == 'd' || sub[0] == 'D') { /* DELETE name */
        if (kv_fnreg_delete(reg, argv[2].p, argv[2].n) != 0) {
            kv_reply_error(&rep, "ERR Library not found");
            return 0;
        }
        kv_reply_status(&rep, "OK");
        return 1;
    }
    if (sub[0] == 'f' || sub[0] == 'F') { /* FLUSH [ASYNC|SYNC] */
        if (argc > 3) {
            kv_reply_errorf(&rep, "ERR unknown subcommand or wrong number of arguments for "
                                  "'%.*s'. Try FUNCTION HELP.", (int)kv_arg_cstrlen(&argv[1]),
                            argv[1].p);
            return 0;
        }
        if (argc == 3 && !kv_arg_eq(&argv[2], "sync") && !kv_arg_eq(&argv[2], "async")) {
            kv_reply_error(&rep, "ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
            return 0;
        }
        kv_fnreg_flush(reg);
        kv_reply_status(&rep, "OK");
        return 1;
    }
    { /* RESTORE payload [FLUSH|APPEND|REPLACE] */
        int policy = KV_FN_APPEND, count = 0;
        const unsigned char *p = (const unsigned char *)argv[2].p;
        size_t n = argv[2].n;
        kv_fnlib **libs;
        uint64_t crc = 0;
        int i;
        if (argc > 4) {
            kv_reply_errorf(&rep, "ERR unknown subcommand or wrong number of arguments for "
                                  "'%.*s'. Try FUNCTION HELP.", (int)kv_arg_cstrlen(&argv[1]),
                            argv[1].p);
            return 0;
        }
        if (argc == 4) {
            if (kv_arg_eq(&argv[3], "flush")) {
                policy = KV_FN_FLUSH;
            } else if (kv_arg_eq(&argv[3], "append")) {
                policy = KV_FN_APPEND;
            } else if (kv_arg_eq(&argv[3], "replace")) {
                policy = KV_FN_REPLACE;
            } else {
                kv_reply_error(&rep, "ERR Wrong restore policy given, value should be either "
                                     "FLUSH, APPEND or REPLACE.");
                return 0;
            }
        }
        if (n >= 10)
            for (i = 0; i < 8; i++)
                crc |= (uint64_t)p[n - 8 + i] << (8 * i);
        if (n < 10 || (p[n - 10] | p[n - 9] << 8) > KV_RDB_VERSION ||
            kv_crc64(0, p, n - 8) != crc) {
            kv_reply_error(&rep, "ERR DUMP payload version or checksum are wrong");
            return 0;
        }
        if (!(libs = parse_payload((const char *)p, n - 10, &count, err, sizeof err))) {
            kv_reply_errorf(&rep, "ERR %s", err);
            return 0;
        }
        if (policy == KV_FN_APPEND)
            for (i = 0; i < count; i++)
                if (kv_fnreg_exists(reg, libs[i]->name, libs[i]->namelen)) {
                    kv_reply_errorf(&rep, "ERR Library %s already exists", libs[i]->name);
                    kv_fnlibs_free(libs, count);
                    return 0;
                }
        if (kv_fnreg_add(reg, libs, count, policy, err, sizeof err) != 0) {
            kv_reply_errorf(&rep, "ERR %s", err);
            return 0;
        }
        kv_reply_status(&rep, "OK");
        return 1;
    }
}

/* Each shard's part: the shared verdict; a change is logged by every
 * shard and counted once. */
static void kv_cmd_function_change(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_buf out;
    int changed;
    kv_buf_init(&out);
    changed = kv_fnreg_verdict(reg_of(ctx), ctx, argc, argv, change, &out);
    if (changed) {
        if (kv_shard_id(ctx->shard) == ctx->home)
            kv_dirty(ctx, 1);
        kv_propagate(ctx, argc, argv);
    }
    kv_reply_raw(&ctx->out, out.p ? out.p : "", out.len); /* the reduce counts an error */
    kv_buf_free(&out);
}

/* ------------------------------------------------------------ reading */

static void reply_lib(kv_ctx *ctx, const kv_fnlib *lib, int withcode)
{
    int i, b;
    kv_reply_map(&ctx->out, withcode ? 4 : 3);
    kv_reply_bulk_cstr(&ctx->out, "library_name");
    kv_reply_bulk(&ctx->out, lib->name, lib->namelen);
    kv_reply_bulk_cstr(&ctx->out, "engine");
    kv_reply_bulk_cstr(&ctx->out, "LUA");
    kv_reply_bulk_cstr(&ctx->out, "functions");
    kv_reply_array(&ctx->out, lib->nfn);
    for (i = 0; i < lib->nfn; i++) {
        const kv_fn *f = &lib->fn[i];
        int nflags = 0;
        for (b = 0; b < KV_FN_NFLAGS; b++)
            nflags += (f->flags >> b) & 1;
        kv_reply_map(&ctx->out, 3);
        kv_reply_bulk_cstr(&ctx->out, "name");
        kv_reply_bulk(&ctx->out, f->name, f->namelen);
        kv_reply_bulk_cstr(&ctx->out, "description");
        if (f->desc)
            kv_reply_bulk(&ctx->out, f->desc, f->desclen);
        else
            kv_reply_null(&ctx->out);
        kv_reply_bulk_cstr(&ctx->out, "flags");
        kv_reply_set(&ctx->out, nflags);
        for (b = 0; b < KV_FN_NFLAGS; b++)
            if (f->flags & (1 << b))
                kv_reply_status(&ctx->out, kv_fn_flag_names[b]);
    }
    if (withcode) {
        kv_reply_bulk_cstr(&ctx->out, "library_code");
        kv_reply_bulk(&ctx->out, lib->code, lib->codelen);
    }
}

static void kv_cmd_function_list(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int j, withcode = 0, n, i, shown = 0;
    const kv_str *pattern = NULL;
    kv_fnlib **libs;
    for (j = 2; j < argc; j++) {
        if (!withcode && kv_arg_eq(&argv[j], "withcode")) {
            withcode = 1;
        } else if (!pattern && kv_arg_eq(&argv[j], "libraryname")) {
            if (j >= argc - 1) {
                kv_reply_error(&ctx->out, "ERR library name argument was not given");
                return;
            }
            pattern = &argv[++j];
        } else {
            kv_reply_errorf(&ctx->out, "ERR Unknown argument %.*s",
                            (int)kv_arg_cstrlen(&argv[j]), argv[j].p);
            return;
        }
    }
    libs = kv_fnreg_copy(reg_of(ctx), &n, NULL);
    for (i = 0; i < n; i++)
        if (!pattern || kv_glob_match(pattern->p, pattern->n, libs[i]->name, libs[i]->namelen, 1))
            libs[shown++] = libs[i];
        else
            kv_fnlib_free(libs[i]);
    kv_reply_array(&ctx->out, shown);
    for (i = 0; i < shown; i++)
        reply_lib(ctx, libs[i], withcode);
    kv_fnlibs_free(libs, shown);
}

static void kv_cmd_function_dump(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_buf b;
    uint64_t crc;
    unsigned char tail[8];
    int i;
    (void)argc;
    (void)argv;
    kv_buf_init(&b);
    kv_fn_rdb_save(kv_state(ctx)->srv->scripts, &b);
    tail[0] = KV_RDB_VERSION & 0xff;
    tail[1] = (KV_RDB_VERSION >> 8) & 0xff;
    kv_buf_append(&b, tail, 2);
    crc = kv_crc64(0, b.p, b.len);
    for (i = 0; i < 8; i++)
        tail[i] = (unsigned char)(crc >> (8 * i));
    kv_buf_append(&b, tail, 8);
    kv_reply_bulk(&ctx->out, b.p, b.len);
    kv_buf_free(&b);
}

static void kv_cmd_function_stats(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_cmdstate *st = kv_state(ctx);
    long long libs, fns;
    int busy = kv_scripts_busy(st->srv->scripts, NULL);
    (void)argc;
    (void)argv;
    if (busy >= 0 && !kv_fnreg_running(reg_of(ctx), busy)) {
        kv_reply_error(&ctx->out, KV_SCRIPT_BUSY); /* an EVAL script, as Redis answers */
        return;
    }
    kv_fnreg_counts(reg_of(ctx), &libs, &fns, NULL);
    kv_reply_map(&ctx->out, 2);
    kv_reply_bulk_cstr(&ctx->out, "running_script");
    kv_fnreg_reply_running(reg_of(ctx), &ctx->out, kv_shard_now_ms(ctx->shard));
    kv_reply_bulk_cstr(&ctx->out, "engines");
    kv_reply_map(&ctx->out, 1);
    kv_reply_bulk_cstr(&ctx->out, "LUA");
    kv_reply_map(&ctx->out, 2);
    kv_reply_bulk_cstr(&ctx->out, "libraries_count");
    kv_reply_int(&ctx->out, libs);
    kv_reply_bulk_cstr(&ctx->out, "functions_count");
    kv_reply_int(&ctx->out, fns);
}

/* Any shard may ask: the busy function's shard sees it in its hook. */
static void kv_cmd_function_kill(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int other, unkillable;
    int n = kv_scripts_kill_kind(kv_state(ctx)->srv->scripts, 1, &other, &unkillable);
    (void)argc;
    (void)argv;
    if (n == 0 && other == 0)
        kv_reply_error(&ctx->out, "NOTBUSY No scripts in execution right now.");
    else if (n == 0)
        kv_reply_error(&ctx->out, KV_SCRIPT_BUSY); /* EVAL scripts only: SCRIPT KILL's */
    else if (unkillable)
        kv_reply_error(&ctx->out, KV_SCRIPT_UNKILLABLE); /* the others were stopped */
    else
        kv_reply_status(&ctx->out, "OK");
}

static void kv_cmd_function_help(kv_ctx *ctx, int argc, const kv_str *argv)
{
    static const char *const lines[] = {
        "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "LOAD [REPLACE] <FUNCTION CODE>",
        "    Create a new library with the given library name and code.",
        "DELETE <LIBRARY NAME>",
        "    Delete the given library.",
        "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
        "    Return general information on all the libraries:",
        "    * Library name",
        "    * The engine used to run the Library",
        "    * Library description",
        "    * Functions list",
        "    * Library code (if WITHCODE is given)",
        "    It also possible to get only function that matches a pattern using LIBRARYNAME "
        "argument.",
        "STATS",
        "    Return information about the current function running:",
        "    * Function name",
        "    * Command used to run the function",
        "    * Duration in MS that the function is running",
        "    If no function is running, return nil",
        "    In addition, returns a list of available engines.",
        "KILL",
        "    Kill the current running function.",
        "FLUSH [ASYNC|SYNC]",
        "    Delete all the libraries.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the libraries.",
        "    * SYNC: Synchronously flush the libraries.",
        "DUMP",
        "    Return a serialized payload representing the current libraries, can be restored "
        "using FUNCTION RESTORE command",
        "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
        "    Restore the libraries represented by the given payload, it is possible to give a "
        "restore policy to",
        "    control how to handle existing libraries (default APPEND):",
        "    * FLUSH: delete all existing libraries.",
        "    * APPEND: appends the restored libraries to the existing libraries. On collision, "
        "abort.",
        "    * REPLACE: appends the restored libraries to the existing libraries, On collision, "
        "replace the old",
        "      libraries with the new libraries (notice that even on this option there is a "
        "chance of failure",
        "      in case of functions name collision with another library).",
        "HELP",
        "    Prints this help.",
    };
    (void)argc;
    (void)argv;
    kv_reply_lines(ctx, lines, sizeof lines / sizeof lines[0]);
}

#define CHANGE(n)                                                                               \
    {.name = n, .flags = KV_CMD_WHOLE, .route = KV_ROUTE_ALL, .exec = kv_cmd_function_change,  \
     .reduce = kv_reduce_first}

static const kv_cmdspec kv_function_subs[] = {
    CHANGE("function|delete"),
    {.name = "function|dump", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_function_dump},
    CHANGE("function|flush"),
    {.name = "function|help", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_function_help},
    {.name = "function|kill", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_function_kill},
    {.name = "function|list", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_function_list},
    CHANGE("function|load"),
    CHANGE("function|restore"),
    {.name = "function|stats", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_function_stats},
    KV_SPEC_END
};

const kv_cmdspec kv_cmds_function[] = {
    {.name = "function", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_container,
     .subs = kv_function_subs},
    KV_SPEC_END
};

/* ------------------------------------------------------------ persistence */

static void persist_save(void *arg, kv_buf *out, int resp)
{
    kv_fnlib **libs;
    int n, i;
    char head[64];
    if (!resp) {
        kv_fn_rdb_save(arg, out);
        return;
    }
    /* An AOF base of commands: FUNCTION LOAD per library, as Redis's
     * rewrite writes them. */
    libs = kv_fnreg_copy(kv_scripts_functions(arg), &n, NULL);
    for (i = 0; i < n; i++) {
        int h = snprintf(head, sizeof head, "*3\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n$%zu\r\n",
                         libs[i]->codelen);
        kv_buf_append(out, head, (size_t)h);
        kv_buf_append(out, libs[i]->code, libs[i]->codelen);
        kv_buf_append(out, "\r\n", 2);
    }
    kv_fnlibs_free(libs, n);
}

static int persist_load(void *arg, const char *code, size_t n, char *err, size_t errlen)
{
    return kv_fn_rdb_load(arg, code, n, err, errlen);
}

static void persist_reset(void *arg)
{
    kv_fnreg_flush(kv_scripts_functions(arg));
}

void kv_fn_persist_fns(kv_scripts *s, kv_persist_fns *out)
{
    out->save = persist_save;
    out->load = persist_load;
    out->reset = persist_reset;
    out->arg = s;
}
