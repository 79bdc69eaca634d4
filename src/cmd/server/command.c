/* COMMAND and its subcommands. Replies about a command come from metadata
 * captured from real Redis 7.0.15 (cmdmeta_gen.c): its RESP3 bytes are sent
 * as they are to RESP3 clients and converted mechanically for RESP2, so
 * COMMAND INFO and DOCS are byte-identical to Redis for every command kevy
 * implements. Commands kevy lacks are absent, as an unknown name would be. */
#include "cmd/core/cmd.h"
#include "cmd/acl/acl.h"
#include "cmd/server/svc.h"

#include <stdlib.h>
#include <string.h>

#include "cmd/lib/glob.h"

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
    return c ? kv_desc(c)->meta : NULL;
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
    for (i = 0; i < n; i++)
        kv_reply_info_of(ctx, kv_desc(kv_cmd_at(kv_state(ctx)->srv, i))->meta);
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
        for (i = 0; i < n; i++)
            kv_reply_docs_pair(ctx, kv_desc(kv_cmd_at(kv_state(ctx)->srv, i))->meta);
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

/* One key spec of a command, as much of it as GETKEYSANDFLAGS needs: its
 * flags and where its keys begin (an argument index, or after a keyword). */
typedef struct kv_keyspec {
    kv_str flags[8];
    int nflags;
    int index;      /* begin_search "index", or -1 */
    kv_str keyword; /* begin_search "keyword" (n = 0 if none) */
} kv_keyspec;

#define KV_MAX_SPECS 8

/* A RESP3 bulk string at *pp ("$n\r\n...\r\n"): its bytes, *pp moved past. */
static int kv_take_bulk(const char **pp, const char *end, kv_str *out)
{
    const char *p = *pp, *cr;
    long long n;
    if (p >= end || *p != '$' || !(cr = memchr(p, '\r', (size_t)(end - p))) ||
        !kv_str2ll(p + 1, (size_t)(cr - p - 1), &n) || n < 0 || end - (cr + 2) < n + 2)
        return -1;
    out->p = cr + 2;
    out->n = (size_t)n;
    *pp = cr + 2 + n + 2;
    return 0;
}

/* "%n", "*n" or "~n" at *pp: n, *pp moved past the line; -1 if not one. */
static long long kv_take_len(const char **pp, const char *end, const char *types)
{
    const char *p = *pp, *cr;
    long long n;
    if (p >= end || !strchr(types, *p) || !(cr = memchr(p, '\r', (size_t)(end - p))) ||
        !kv_str2ll(p + 1, (size_t)(cr - p - 1), &n) || n < 0)
        return -1;
    *pp = cr + 2;
    return n;
}

static int kv_is(const kv_str *s, const char *lit)
{
    return s->n == strlen(lit) && memcmp(s->p, lit, s->n) == 0;
}

/* begin_search's map: {type: index|keyword|unknown, spec: {...}}. */
static int kv_parse_begin(const char **pp, const char *end, kv_keyspec *ks)
{
    long long n = kv_take_len(pp, end, "%"), m;
    kv_str k, v;
    long len;
    while (n-- > 0) {
        if (kv_take_bulk(pp, end, &k) != 0)
            return -1;
        if (!kv_is(&k, "spec")) {
            if ((len = kv_resp_reply_len(*pp, (size_t)(end - *pp))) < 0)
                return -1;
            *pp += len;
            continue;
        }
        for (m = kv_take_len(pp, end, "%"); m > 0; m--) {
            if (kv_take_bulk(pp, end, &k) != 0)
                return -1;
            if (kv_is(&k, "index") && **pp == ':') {
                const char *cr = memchr(*pp, '\r', (size_t)(end - *pp));
                long long idx;
                if (!cr || !kv_str2ll(*pp + 1, (size_t)(cr - *pp - 1), &idx))
                    return -1;
                ks->index = (int)idx;
                *pp = cr + 2;
            } else if (kv_is(&k, "keyword") && kv_take_bulk(pp, end, &v) == 0) {
                ks->keyword = v;
            } else {
                if ((len = kv_resp_reply_len(*pp, (size_t)(end - *pp))) < 0)
                    return -1;
                *pp += len;
            }
        }
    }
    return 0;
}

/* The key specs in a command's COMMAND INFO bytes (element 9: a set of
 * maps). Returns how many were read. */
static int kv_keyspecs(const kv_cmdmeta *m, kv_keyspec *specs, int max)
{
    const char *p = m->info_resp3, *end = p + m->info_len;
    long long nspecs, nfields, nflags;
    long len;
    int i, n = 0;
    p = kv_next_line(p, end); /* past "*10" */
    for (i = 0; p && i < 8; i++) {
        if ((len = kv_resp_reply_len(p, (size_t)(end - p))) < 0)
            return 0;
        p += len;
    }
    if (!p || (nspecs = kv_take_len(&p, end, "*~")) < 0)
        return 0;
    for (; nspecs > 0 && n < max; nspecs--, n++) {
        kv_keyspec *ks = &specs[n];
        memset(ks, 0, sizeof *ks);
        ks->index = -1;
        if ((nfields = kv_take_len(&p, end, "%")) < 0)
            return n;
        while (nfields-- > 0) {
            kv_str k;
            if (kv_take_bulk(&p, end, &k) != 0)
                return n;
            if (kv_is(&k, "flags")) {
                if ((nflags = kv_take_len(&p, end, "~*")) < 0)
                    return n;
                for (; nflags > 0; nflags--) {
                    const char *cr = memchr(p, '\r', (size_t)(end - p));
                    if (*p != '+' || !cr)
                        return n;
                    if (!(cr - p - 1 == 14 && memcmp(p + 1, "variable_flags", 14) == 0) &&
                        ks->nflags < 8) {
                        ks->flags[ks->nflags].p = p + 1;
                        ks->flags[ks->nflags].n = (size_t)(cr - p - 1);
                        ks->nflags++;
                    }
                    p = cr + 2;
                }
            } else if (kv_is(&k, "begin_search")) {
                if (kv_parse_begin(&p, end, ks) != 0)
                    return n;
            } else {
                if ((len = kv_resp_reply_len(p, (size_t)(end - p))) < 0)
                    return n;
                p += len;
            }
        }
    }
    return n;
}

/* The spec a key at argument pos belongs to: the one whose keyword comes
 * right before it (SORT ... STORE d), else the index spec starting
 * nearest before it (ZUNIONSTORE d 2 a b: d is spec 0, a and b spec 1). */
static const kv_keyspec *kv_spec_of(const kv_keyspec *specs, int n, const kv_str *argv, int pos)
{
    const kv_keyspec *best = NULL;
    int i;
    for (i = 0; i < n; i++)
        if (specs[i].keyword.n && pos > 0 && argv[pos - 1].n == specs[i].keyword.n) {
            size_t j;
            for (j = 0; j < argv[pos - 1].n; j++) {
                char c = argv[pos - 1].p[j];
                if ((c >= 'a' && c <= 'z' ? c - 32 : c) != specs[i].keyword.p[j])
                    break;
            }
            if (j == argv[pos - 1].n)
                return &specs[i];
        }
    for (i = 0; i < n; i++)
        if (specs[i].index >= 0 && specs[i].index <= pos &&
            (!best || specs[i].index > best->index))
            best = &specs[i];
    return best ? best : (n ? &specs[0] : NULL);
}

/* Redis's ACL reading of key flags: ACCESS reads, INSERT/DELETE/UPDATE
 * write. */
static int kv_flag_access(const char *p, size_t n)
{
    kv_str f; /* the keyflags hooks spell them in lower case, as Redis prints them */
    f.p = p;
    f.n = n;
    if (kv_arg_eq(&f, "access"))
        return KV_ACL_R;
    return kv_arg_eq(&f, "insert") || kv_arg_eq(&f, "delete") || kv_arg_eq(&f, "update") ? KV_ACL_W
                                                                                       : 0;
}

int kv_command_key_access(const kv_cmd *cmd, int argc, const kv_str *argv, int j, int pos)
{
    const kv_cmddesc *d = kv_desc(cmd);
    kv_keyspec specs[KV_MAX_SPECS];
    const kv_keyspec *ks;
    const char *const *own = NULL;
    int nspecs = kv_keyspecs(d->meta, specs, KV_MAX_SPECS), spec = KV_KEYFLAGS_BY_POSITION;
    int acc = 0, f;
    if (d->keyflags)
        spec = d->keyflags(argc, argv, j, pos, &own);
    if (spec == KV_KEYFLAGS_OWN) {
        for (f = 0; own[f]; f++)
            acc |= kv_flag_access(own[f], strlen(own[f]));
        return acc;
    }
    ks = spec >= 0 && spec < nspecs ? &specs[spec] : kv_spec_of(specs, nspecs, argv, pos);
    for (f = 0; ks && f < ks->nflags; f++)
        acc |= kv_flag_access(ks->flags[f].p, ks->flags[f].n);
    return acc;
}

static void kv_getkeys(kv_ctx *ctx, int argc, const kv_str *argv, int with_flags)
{
    const kv_str *cargv = argv + 2;
    int cargc = argc - 2, j, nkeys = 0, posbuf[16], *pos = posbuf;
    const kv_cmd *cmd = kv_cmd_lookup((void *)(uintptr_t)kv_state(ctx)->srv, cargc, cargv);
    const kv_cmddesc *d;
    kv_keyspec specs[KV_MAX_SPECS];
    int nspecs = 0;
    if (cmd->flags & KV_CMD_UNKNOWN) {
        kv_reply_error(&ctx->out, "ERR Invalid command specified");
        return;
    }
    if (cmd->first_key <= 0 && !cmd->getkeys) {
        kv_reply_error(&ctx->out, "ERR The command has no key arguments");
        return;
    }
    if ((cmd->arity > 0 && cmd->arity != cargc) || cargc < -cmd->arity) {
        kv_reply_error(&ctx->out, "ERR Invalid number of arguments specified for command");
        return;
    }
    /* The same key positions the runtime routes by (getkeys included). */
    nkeys = kv_command_keys(cmd, cargc, cargv, pos, 16);
    if (nkeys > 16) {
        if (!(pos = malloc((size_t)nkeys * sizeof *pos)))
            abort();
        kv_command_keys(cmd, cargc, cargv, pos, nkeys);
    }
    if (nkeys <= 0) {
        kv_reply_error(&ctx->out, "ERR Invalid arguments specified for command");
        return;
    }
    d = kv_desc(cmd);
    if (with_flags)
        nspecs = kv_keyspecs(d->meta, specs, KV_MAX_SPECS);
    kv_reply_array(&ctx->out, nkeys);
    for (j = 0; j < nkeys; j++) {
        const kv_str *k = &cargv[pos[j]];
        const kv_keyspec *ks = NULL;
        const char *const *own = NULL;
        int f, nflags = 0, spec = KV_KEYFLAGS_BY_POSITION;
        if (!with_flags) {
            kv_reply_bulk(&ctx->out, k->p, k->n);
            continue;
        }
        /* The command's own rule first (SET ... GET, SORT ... STORE). */
        if (d->keyflags)
            spec = d->keyflags(cargc, cargv, j, pos[j], &own);
        if (spec >= 0 && spec < nspecs)
            ks = &specs[spec];
        else if (spec != KV_KEYFLAGS_OWN)
            ks = kv_spec_of(specs, nspecs, cargv, pos[j]);
        kv_reply_array(&ctx->out, 2);
        kv_reply_bulk(&ctx->out, k->p, k->n);
        if (spec == KV_KEYFLAGS_OWN) {
            while (own[nflags])
                nflags++;
            kv_reply_set(&ctx->out, nflags);
            for (f = 0; f < nflags; f++)
                kv_reply_status(&ctx->out, own[f]);
            continue;
        }
        nflags = ks ? ks->nflags : 0;
        kv_reply_set(&ctx->out, nflags);
        for (f = 0; f < nflags; f++)
            kv_reply_statusn(&ctx->out, ks->flags[f].p, ks->flags[f].n);
    }
    if (pos != posbuf)
        free(pos);
}

static void kv_cmd_command_getkeys(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_getkeys(ctx, argc, argv, 0);
}

static void kv_cmd_command_getkeysandflags(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_getkeys(ctx, argc, argv, 1);
}

/* The bit of an ACL category name ("write"), or 0 if there is none. */
static unsigned long kv_acl_bit(const kv_str *name)
{
    int i;
    for (i = 0; i < KV_ACL_COUNT; i++)
        if (strlen(kv_acl_names[i]) == name->n && kv_arg_eq(name, kv_acl_names[i]))
            return 1ul << i;
    return 0;
}

/* Does command c pass COMMAND LIST's filter? type: 0 none, 1 module,
 * 2 aclcat (acl: the category's bit), 3 pattern. */
static int kv_list_match(const kv_cmd *c, int type, const kv_str *arg, unsigned long acl)
{
    if (type == 0)
        return 1;
    if (type == 1)
        return 0; /* no modules */
    if (type == 3)
        return kv_glob_match(arg->p, arg->n, c->name, strlen(c->name), 1);
    return (kv_desc(c)->acl & acl) != 0;
}

static void kv_cmd_command_list(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int type = 0, j;
    unsigned long acl = 0;
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
            acl = type == 2 ? kv_acl_bit(arg) : 0;
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
            if (kv_list_match(c, type, arg, acl)) {
                if (pass == 0)
                    count++;
                else
                    kv_reply_bulk_cstr(&ctx->out, c->name);
            }
            subs = kv_cmd_subs(c, &nsubs);
            for (k = 0; k < nsubs; k++) {
                if (!kv_list_match(&subs[k], type, arg, acl))
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
    (void)argc;
    (void)argv;
    kv_reply_lines(ctx, lines, sizeof lines / sizeof lines[0]);
}

static const kv_cmdspec command_subs[] = {
    {.name = "command|count", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_command_count},
    {.name = "command|docs", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_command_docs},
    {.name = "command|getkeys", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_command_getkeys},
    {.name = "command|getkeysandflags", .route = KV_ROUTE_LOCAL,
     .exec = kv_cmd_command_getkeysandflags},
    {.name = "command|help", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_command_help},
    {.name = "command|info", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_command_info},
    {.name = "command|list", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_command_list},
    KV_SPEC_END
};

const kv_cmdspec kv_cmds_server_command[] = {
    {.name = "command", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_command, .subs = command_subs},
    KV_SPEC_END
};
