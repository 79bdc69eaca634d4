/* CONFIG GET / SET / RESETSTAT / REWRITE / HELP. GET reads the home shard's
 * copy (every shard holds the same values); SET is checked once on the home
 * shard (names, immutability, duplicates, then every value, so nothing
 * changes unless everything is valid), then runs on every shard, each
 * updating its own copy and applying it (limits, maxclients, slowlog,
 * requirepass...), and restoring it all if applying fails (the AOF). REWRITE writes the home shard's values back into the
 * configuration file the server was started with. */
#define _POSIX_C_SOURCE 200809L
#include "cmd/acl/acl.h"
#include "cmd/persist/persist.h"
#include "cmd/server/evict.h"
#include "cmd/server/svc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/lib/glob.h"
#include "cmd/pubsub/notify.h"

/* ------------------------------------------------------------------- GET */

typedef struct kv_match {
    const char *key; /* as replied: the pattern as typed, or the name */
    size_t keylen;
    int idx;
} kv_match;

static int kv_matched(const kv_match *m, int n, const char *key, size_t len)
{
    int i, k;
    for (i = 0; i < n; i++) {
        if (m[i].keylen != len)
            continue;
        for (k = 0; k < (int)len; k++) {
            char a = key[k], b = m[i].key[k];
            if (a >= 'A' && a <= 'Z')
                a = (char)(a + 32);
            if (b >= 'A' && b <= 'Z')
                b = (char)(b + 32);
            if (a != b)
                break;
        }
        if (k == (int)len)
            return 1;
    }
    return 0;
}

/* An exact name is replied as typed; a pattern matches every parameter
 * but the hidden ones; each key once (case-insensitively). */
static void kv_cmd_config_get(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_svc *sv = kv_svc_of(ctx);
    kv_match *m = malloc((size_t)kv_ncfgdefs * sizeof *m);
    int n = 0, j, i;
    if (!m)
        abort();
    for (j = 2; j < argc; j++) {
        const kv_str *pat = &argv[j];
        size_t plen = kv_arg_cstrlen(pat);
        if (!memchr(pat->p, '*', plen) && !memchr(pat->p, '?', plen) &&
            !memchr(pat->p, '[', plen)) {
            i = kv_cfg_index(pat->p, plen);
            if (i >= 0 && !kv_matched(m, n, pat->p, plen)) {
                m[n].key = pat->p;
                m[n].keylen = plen;
                m[n++].idx = i;
            }
            continue;
        }
        for (i = 0; i < kv_ncfgdefs && n < kv_ncfgdefs; i++) {
            const char *name = kv_cfgdefs[i].name;
            size_t nl = strlen(name);
            if ((kv_cfgdefs[i].flags & KV_CF_HIDDEN) || kv_matched(m, n, name, nl) ||
                !kv_glob_match(pat->p, plen, name, nl, 1))
                continue;
            m[n].key = name;
            m[n].keylen = nl;
            m[n++].idx = i;
        }
    }
    kv_reply_map(&ctx->out, n);
    for (i = 0; i < n; i++) {
        char shown[32];
        kv_reply_bulk(&ctx->out, m[i].key, m[i].keylen);
        kv_reply_bulk_cstr(&ctx->out, kv_cfg_shown(sv->cfg, m[i].idx, shown, sizeof shown));
    }
    free(m);
}

/* ------------------------------------------------------------------- SET */

typedef struct kv_setpair {
    int idx;
    char *canon;
} kv_setpair;

static void kv_set_failed(kv_ctx *ctx, const char *name, const char *why)
{
    kv_reply_errorf(&ctx->out, "ERR CONFIG SET failed (possibly related to argument '%s') - %s",
                    name, why);
}

static void kv_pairs_free(kv_setpair *p, int n)
{
    int i;
    for (i = 0; i < n; i++)
        free(p[i].canon);
    free(p);
}

/* Whether chdir(path) would work, without moving: every shard checks the
 * same way before any changes its copy. 0, or -1 with errno as chdir's. */
static int kv_config_dir_check(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return access(path, X_OK);
}

/* Everything CONFIG SET checks before changing anything. Returns the
 * pairs (canonical values made) or NULL with the error replied. The
 * protected-config check needs the client, so only the home shard's
 * check does it. */
static kv_setpair *kv_config_set_prepare(kv_ctx *ctx, int argc, const kv_str *argv, int *np,
                                         int check_protected)
{
    kv_svc *sv = kv_svc_of(ctx);
    int n = (argc - 2) / 2, i, k;
    kv_setpair *p;
    char err[512];
    if ((argc - 2) % 2) {
        kv_reply_syntax(ctx);
        return NULL;
    }
    if (!(p = calloc((size_t)n, sizeof *p)))
        abort();
    for (i = 0; i < n; i++) {
        const kv_str *name = &argv[2 + 2 * i];
        const kv_cfgdef *d;
        p[i].idx = kv_cfg_index(name->p, kv_arg_cstrlen(name));
        if (p[i].idx < 0) {
            kv_reply_errorf(&ctx->out, "ERR Unknown option or number of arguments for CONFIG "
                                       "SET - '%.*s'", (int)kv_arg_cstrlen(name), name->p);
            goto fail;
        }
        d = &kv_cfgdefs[p[i].idx];
        /* Names as typed here; the value checks below say the real name. */
        snprintf(err, sizeof err, "%.*s", (int)kv_arg_cstrlen(name), name->p);
        if (d->flags & KV_CF_IMMUTABLE) {
            kv_set_failed(ctx, err, "can't set immutable config");
            goto fail;
        }
        if ((d->flags & KV_CF_PROTECTED) && check_protected &&
            !(sv->protected_configs == 1 ||
              (sv->protected_configs == 2 && ctx->conn &&
               kv_peer_is_loopback(kv_conn_peer(ctx->conn))))) {
            kv_set_failed(ctx, err, "can't set protected config");
            goto fail;
        }
        for (k = 0; k < i; k++)
            if (p[k].idx == p[i].idx) {
                kv_set_failed(ctx, err, "duplicate parameter");
                goto fail;
            }
    }
    for (i = 0; i < n; i++) {
        const kv_str *v = &argv[3 + 2 * i];
        const kv_cfgdef *d = &kv_cfgdefs[p[i].idx];
        if (kv_cfg_check(p[i].idx, v->p, v->n, kv_cfg_value(sv->cfg, p[i].idx), &p[i].canon, err,
                         sizeof err) < 0) {
            kv_set_failed(ctx, d->name, err);
            goto fail;
        }
        if (d->type == KV_CT_DIR && kv_config_dir_check(p[i].canon) != 0) {
            kv_set_failed(ctx, d->name, strerror(errno));
            goto fail;
        }
        if (!strcmp(d->name, "activedefrag") && !strcmp(p[i].canon, "yes")) {
            kv_set_failed(ctx, d->name,
                          "Active defragmentation cannot be enabled: it requires a Redis server "
                          "compiled with a modified Jemalloc like the one shipped by default "
                          "with the Redis source distribution");
            goto fail;
        }
    }
    *np = n;
    return p;
fail:
    kv_pairs_free(p, n);
    return NULL;
}

static int kv_check_config_set(kv_ctx *ctx, int argc, const kv_str *argv)
{
    int n;
    kv_setpair *p = kv_config_set_prepare(ctx, argc, argv, &n, 1);
    if (!p)
        return -1;
    kv_pairs_free(p, n);
    return 0;
}

/* Everything CONFIG SET's values change on this shard; -1 with the name of
 * the parameter to blame and Redis's reason if one could not take effect
 * (the AOF could not be turned on). */
static int kv_config_apply(kv_ctx *ctx, const char **blame, const char **why)
{
    kv_svc *sv = kv_svc_of(ctx);
    kv_svc_apply(sv, ctx->shard);
    kv_evict_apply(kv_state(ctx)); /* maxmemory, its policy, LFU parameters */
    kv_state(ctx)->notify = kv_notify_parse(kv_cfg_get(sv->cfg, "notify-keyspace-events"));
    if (kv_aof_config(kv_state(ctx)) != 0) { /* appendonly, appendfsync... on this shard */
        *blame = "appendonly";
        *why = "Unable to turn on AOF. Check server logs.";
        return -1;
    }
    return 0;
}

/* Every value was checked before: what is left to fail is applying them.
 * Then, as Redis 7 does, every parameter of the call gets its old value
 * back and is applied again, so the call changes all or nothing. */
static void kv_cmd_config_set(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_svc *sv = kv_svc_of(ctx);
    int n, i, home = kv_shard_id(ctx->shard) == ctx->home;
    const char *blame = NULL, *why = NULL;
    kv_setpair *p = kv_config_set_prepare(ctx, argc, argv, &n, 0);
    char **old;
    if (!p)
        return;
    if (!(old = calloc((size_t)n, sizeof *old)))
        abort();
    for (i = 0; i < n; i++) {
        const kv_cfgdef *d = &kv_cfgdefs[p[i].idx];
        const char *cur = kv_cfg_value(sv->cfg, p[i].idx);
        if (!(old[i] = malloc(strlen(cur) + 1)))
            abort();
        strcpy(old[i], cur);
        /* The working directory is the process's: one shard changes it.
         * The check made sure it is a directory we may enter. */
        if (d->type == KV_CT_DIR && home && chdir(p[i].canon) != 0 && !blame) {
            blame = d->name;
            why = strerror(errno);
        }
        kv_cfg_store(sv->cfg, p[i].idx, p[i].canon);
        p[i].canon = NULL;
    }
    if (blame || kv_config_apply(ctx, &blame, &why) != 0) {
        const char *ignore_blame, *ignore_why;
        for (i = 0; i < n; i++) {
            if (kv_cfgdefs[p[i].idx].type == KV_CT_DIR && home && chdir(old[i]) != 0)
                kv_shard_log(ctx->shard, 3, "Failed restoring the working directory %s", old[i]);
            kv_cfg_store(sv->cfg, p[i].idx, old[i]);
            old[i] = NULL;
        }
        (void)kv_config_apply(ctx, &ignore_blame, &ignore_why);
        kv_set_failed(ctx, blame, why);
    } else {
        kv_reply_status(&ctx->out, "OK");
    }
    for (i = 0; i < n; i++)
        free(old[i]);
    free(old);
    kv_pairs_free(p, n);
}

/* ----------------------------------------------- RESETSTAT, REWRITE, HELP */

static void kv_cmd_config_resetstat(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_cmdstate *st = kv_state(ctx);
    (void)argc;
    (void)argv;
    kv_stat_reset(st->svc, ctx->shard, st->ks);
    kv_evict_reset_stats(st);
    kv_reply_status(&ctx->out, "OK");
}

static void kv_cmd_config_rewrite(kv_ctx *ctx, int argc, const kv_str *argv)
{
    const kv_server *srv = kv_state(ctx)->srv;
    const kv_cfg *cfg = kv_svc_of(ctx)->cfg;
    char err[600];
    kv_buf users;
    int rc;
    (void)argc;
    (void)argv;
    if (!srv->config_file[0]) {
        kv_reply_error(&ctx->out, "ERR The server is running without a config file");
        return;
    }
    kv_buf_init(&users); /* the ACL users, unless an aclfile keeps them */
    if (srv->acl && !*kv_cfg_get(cfg, "aclfile"))
        kv_acl_list_text(srv->acl, &users);
    kv_buf_append(&users, "", 1);
    rc = kv_config_rewrite(srv->config_file, cfg, users.p, err, sizeof err);
    kv_buf_free(&users);
    if (rc < 0) {
        kv_reply_errorf(&ctx->out, "ERR Rewriting config file: %s", err);
        return;
    }
    kv_reply_status(&ctx->out, "OK");
}

static void kv_cmd_config_help(kv_ctx *ctx, int argc, const kv_str *argv)
{
    static const char *const lines[] = {
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.",
        "HELP",
        "    Prints this help.",
    };
    (void)argc;
    (void)argv;
    kv_reply_lines(ctx, lines, sizeof lines / sizeof lines[0]);
}

static const kv_cmdspec kv_config_subs[] = {
    {.name = "config|get", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_config_get},
    {.name = "config|help", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_config_help},
    {.name = "config|resetstat", .route = KV_ROUTE_ALL, .exec = kv_cmd_config_resetstat,
     .reduce = kv_reduce_first},
    {.name = "config|rewrite", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_config_rewrite},
    /* Whole: every shard changes at one moment (appendonly's first cut). */
    {.name = "config|set", .flags = KV_CMD_WHOLE, .route = KV_ROUTE_ALL, .exec = kv_cmd_config_set,
     .reduce = kv_reduce_first, .check = kv_check_config_set},
    KV_SPEC_END
};

const kv_cmdspec kv_cmds_server_config[] = {
    {.name = "config", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_container, .subs = kv_config_subs},
    KV_SPEC_END
};
