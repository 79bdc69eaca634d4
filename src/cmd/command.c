/* COMMAND and its subcommands. Replies about a command come from metadata
 * captured from real Redis 7.0.15 (cmdmeta_gen.c): its RESP3 bytes are sent
 * as they are to RESP3 clients and converted mechanically for RESP2, so
 * COMMAND INFO and DOCS are byte-identical to Redis for every command kevy
 * implements. Commands kevy lacks are absent, as an unknown name would be. */
#include "cmd/cmd.h"

#include <string.h>

#include "cmd/cmdmeta.h"
#include "cmd/glob.h"

static void kv_reply_resp3(kv_ctx *ctx, const char *p, size_t n)
{
    if (ctx->out.proto == 3)
        kv_reply_raw(&ctx->out, p, n);
    else
        kv_resp3_to_resp2(ctx->out.buf, p, n);
}

/* Metadata for an implemented command, by full name ("get", "command|info"). */
static const kv_cmdmeta *kv_meta(const kv_ctx *ctx, const char *name, size_t n)
{
    const kv_cmd *c = kv_cmd_find(kv_state(ctx)->srv, name, n);
    return c ? kv_cmdmeta_find(c->name, strlen(c->name)) : NULL;
}

static void kv_reply_info_of(kv_ctx *ctx, const kv_cmdmeta *m)
{
    if (m)
        kv_reply_resp3(ctx, m->info_resp3, m->info_len);
    else
        kv_reply_null(&ctx->out);
}

static void kv_cmd_command(kv_ctx *ctx, int argc, const kv_str *argv)
{
    size_t i, n = kv_cmd_count(kv_state(ctx)->srv);
    (void)argc;
    (void)argv;
    kv_reply_array(&ctx->out, (long)n);
    for (i = 0; i < n; i++) {
        const char *name = kv_cmd_at(kv_state(ctx)->srv, i)->name;
        kv_reply_info_of(ctx, kv_cmdmeta_find(name, strlen(name)));
    }
}

static void kv_cmd_command_count(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    (void)argv;
    kv_reply_int(&ctx->out, (long long)kv_cmd_count(kv_state(ctx)->srv));
}

static void kv_cmd_command_info(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int j;
    if (argc == 2) {
        kv_cmd_command(ctx, argc, argv);
        return;
    }
    kv_reply_array(&ctx->out, argc - 2);
    for (j = 2; j < argc; j++)
        kv_reply_info_of(ctx, kv_meta(ctx, argv[j].p, argv[j].n));
}

static void kv_reply_docs_pair(kv_ctx *ctx, const kv_cmdmeta *m)
{
    kv_reply_bulk_cstr(&ctx->out, m->name);
    kv_reply_resp3(ctx, m->docs_resp3, m->docs_len);
}

static void kv_cmd_command_docs(kv_ctx *ctx, int argc, const kv_str *argv)
{
    size_t i, n = kv_cmd_count(kv_state(ctx)->srv), nfound = 0;
    int j;
    if (argc == 2) {
        kv_reply_map(&ctx->out, (long)n);
        for (i = 0; i < n; i++) {
            const char *name = kv_cmd_at(kv_state(ctx)->srv, i)->name;
            kv_reply_docs_pair(ctx, kv_cmdmeta_find(name, strlen(name)));
        }
        return;
    }
    /* Unknown names are left out of the map, so count them first. */
    for (j = 2; j < argc; j++)
        nfound += kv_meta(ctx, argv[j].p, argv[j].n) != NULL;
    kv_reply_map(&ctx->out, (long)nfound);
    for (j = 2; j < argc; j++) {
        const kv_cmdmeta *m = kv_meta(ctx, argv[j].p, argv[j].n);
        if (m)
            kv_reply_docs_pair(ctx, m);
    }
}

/* Past the end of the line at p (its "\r\n"), or NULL. */
static const char *kv_next_line(const char *p, const char *end)
{
    const char *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
    return nl ? nl + 1 : NULL;
}

/* Flags of a command's first key spec, read from its COMMAND INFO bytes
 * (element 9: an array of maps, the first entry of each being "flags", a
 * set of simple strings). Returns how many were stored in out. */
static int kv_keyspec_flags(const kv_cmdmeta *m, kv_str *out, int max)
{
    const char *p = m->info_resp3, *end = p + m->info_len, *cr;
    long len;
    long long count;
    int i, nflags = 0;
    p = kv_next_line(p, end); /* past "*10" */
    for (i = 0; p && i < 8; i++) {
        if ((len = kv_resp_reply_len(p, (size_t)(end - p))) < 0)
            return 0;
        p += len;
    }
    /* "*N" of specs, then "%K" opening the first spec. */
    if (!p || *p != '*' || !(p = kv_next_line(p, end)) || *p != '%' ||
        !(p = kv_next_line(p, end)) || (size_t)(end - p) < 12 ||
        memcmp(p, "$5\r\nflags\r\n~", 12) != 0)
        return 0;
    p += 12;
    if (!(cr = memchr(p, '\r', (size_t)(end - p))) || !kv_str2ll(p, (size_t)(cr - p), &count) ||
        !(p = kv_next_line(p, end)))
        return 0;
    for (; p && count > 0 && nflags < max; count--) {
        if (*p != '+' || !(cr = memchr(p, '\r', (size_t)(end - p))))
            break;
        if (!(cr - p - 1 == 14 && memcmp(p + 1, "variable_flags", 14) == 0)) {
            out[nflags].p = p + 1;
            out[nflags].n = (size_t)(cr - p - 1);
            nflags++;
        }
        p = kv_next_line(p, end);
    }
    return nflags;
}

static void kv_getkeys(kv_ctx *ctx, int argc, const kv_str *argv, int with_flags)
{
    const kv_str *cargv = argv + 2;
    int cargc = argc - 2, first, last, step, j, nkeys = 0, nflags = 0;
    const kv_cmd *cmd = kv_cmd_lookup((void *)(uintptr_t)kv_state(ctx)->srv, cargc, cargv);
    const kv_cmdmeta *m;
    kv_str flags[8];
    if (cmd->flags & KV_CMD_UNKNOWN) {
        kv_reply_error(&ctx->out, "ERR Invalid command specified");
        return;
    }
    if (cmd->first_key <= 0) {
        kv_reply_error(&ctx->out, "ERR The command has no key arguments");
        return;
    }
    if ((cmd->arity > 0 && cmd->arity != cargc) || cargc < -cmd->arity) {
        kv_reply_error(&ctx->out, "ERR Invalid number of arguments specified for command");
        return;
    }
    first = cmd->first_key;
    last = cmd->last_key < 0 ? cargc + cmd->last_key : cmd->last_key;
    step = cmd->key_step > 0 ? cmd->key_step : 1;
    if (last >= cargc)
        last = cargc - 1;
    if (last >= first)
        nkeys = (last - first) / step + 1;
    m = kv_cmdmeta_find(cmd->name, strlen(cmd->name));
    if (with_flags && m)
        nflags = kv_keyspec_flags(m, flags, 8);
    /* SET's key flags depend on its GET option, as Redis's setGetKeys says. */
    if (with_flags && strcmp(cmd->name, "set") == 0) {
        int get = 0;
        for (j = 3; j < cargc; j++)
            get |= kv_arg_eq(&cargv[j], "get");
        flags[0].p = get ? "RW" : "OW";
        flags[0].n = 2;
        flags[1].p = get ? "access" : "update";
        flags[1].n = 6;
        flags[2].p = "update";
        flags[2].n = 6;
        nflags = get ? 3 : 2;
    }
    kv_reply_array(&ctx->out, nkeys);
    for (j = 0; j < nkeys; j++) {
        const kv_str *k = &cargv[first + j * step];
        int f;
        if (!with_flags) {
            kv_reply_bulk(&ctx->out, k->p, k->n);
            continue;
        }
        kv_reply_array(&ctx->out, 2);
        kv_reply_bulk(&ctx->out, k->p, k->n);
        kv_reply_set(&ctx->out, nflags);
        for (f = 0; f < nflags; f++)
            kv_reply_statusn(&ctx->out, flags[f].p, flags[f].n);
    }
}

static void kv_cmd_command_getkeys(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_getkeys(ctx, argc, argv, 0);
}

static void kv_cmd_command_getkeysandflags(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_getkeys(ctx, argc, argv, 1);
}

/* Does command `m` pass COMMAND LIST's filter? type: 0 none, 1 module,
 * 2 aclcat, 3 pattern. */
static int kv_list_match(const kv_cmdmeta *m, int type, const kv_str *arg)
{
    const char *const *c;
    if (type == 0)
        return 1;
    if (type == 1)
        return 0; /* no modules */
    if (type == 3)
        return kv_glob_match(arg->p, arg->n, m->name, strlen(m->name), 1);
    for (c = m->acl_categories; c && *c; c++)
        if (strlen(*c + 1) == arg->n && kv_arg_eq(arg, *c + 1))
            return 1;
    return 0;
}

static void kv_cmd_command_list(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int type = 0, j;
    const kv_str *arg = NULL;
    size_t i, k, n = kv_cmd_count(kv_state(ctx)->srv), count = 0, pass;
    for (j = 2; j < argc; j++) {
        if (kv_arg_eq(&argv[j], "filterby") && argc - 1 - j == 2) {
            if (kv_arg_eq(&argv[j + 1], "module"))
                type = 1;
            else if (kv_arg_eq(&argv[j + 1], "aclcat"))
                type = 2;
            else if (kv_arg_eq(&argv[j + 1], "pattern"))
                type = 3;
            else {
                kv_reply_syntax(ctx);
                return;
            }
            arg = &argv[j + 2];
            j += 2;
        } else {
            kv_reply_syntax(ctx);
            return;
        }
    }
    /* Two passes over commands and their subcommands: count, then reply. */
    for (pass = 0; pass < 2; pass++) {
        if (pass == 1)
            kv_reply_array(&ctx->out, (long)count);
        for (i = 0; i < n; i++) {
            const kv_cmd *c = kv_cmd_at(kv_state(ctx)->srv, i), *subs;
            size_t nsubs;
            const kv_cmdmeta *m = kv_cmdmeta_find(c->name, strlen(c->name));
            if (m && kv_list_match(m, type, arg)) {
                if (pass == 0)
                    count++;
                else
                    kv_reply_bulk_cstr(&ctx->out, c->name);
            }
            subs = kv_cmd_subs(c, &nsubs);
            for (k = 0; k < nsubs; k++) {
                m = kv_cmdmeta_find(subs[k].name, strlen(subs[k].name));
                if (!m || !kv_list_match(m, type, arg))
                    continue;
                if (pass == 0)
                    count++;
                else
                    kv_reply_bulk_cstr(&ctx->out, subs[k].name);
            }
        }
    }
}

static void kv_cmd_command_help(kv_ctx *ctx, int argc, const kv_str *argv)
{
    static const char *const lines[] = {
        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "(no subcommand)",
        "    Return details about all Redis commands.",
        "COUNT",
        "    Return the total number of commands in this Redis server.",
        "LIST",
        "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "GETKEYS <full-command>",
        "    Return the keys from a full Redis command.",
        "GETKEYSANDFLAGS <full-command>",
        "    Return the keys and the access flags from a full Redis command.",
        "HELP",
        "    Prints this help.",
    };
    size_t i;
    (void)argc;
    (void)argv;
    kv_reply_array(&ctx->out, (long)(sizeof lines / sizeof lines[0]));
    for (i = 0; i < sizeof lines / sizeof lines[0]; i++)
        kv_reply_status(&ctx->out, lines[i]);
}

/* Sorted by name. */
static const kv_cmd command_subs[] = {
    {.name = "command|count", .arity = 2, .route = KV_ROUTE_LOCAL, .exec = kv_cmd_command_count},
    {.name = "command|docs", .arity = -2, .route = KV_ROUTE_LOCAL, .exec = kv_cmd_command_docs},
    {.name = "command|getkeys", .arity = -4, .route = KV_ROUTE_LOCAL, .exec = kv_cmd_command_getkeys},
    {.name = "command|getkeysandflags", .arity = -4, .route = KV_ROUTE_LOCAL, .exec = kv_cmd_command_getkeysandflags},
    {.name = "command|help", .arity = 2, .route = KV_ROUTE_LOCAL, .exec = kv_cmd_command_help},
    {.name = "command|info", .arity = -2, .route = KV_ROUTE_LOCAL, .exec = kv_cmd_command_info},
    {.name = "command|list", .arity = -2, .route = KV_ROUTE_LOCAL, .exec = kv_cmd_command_list},
};

const kv_cmddef kv_cmds_command[] = {
    {{.name = "command", .arity = -1, .route = KV_ROUTE_LOCAL, .exec = kv_cmd_command}, KV_SUBS(command_subs)},
    KV_CMDDEF_END
};
