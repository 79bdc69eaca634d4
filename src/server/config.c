/* Reading the startup configuration: config files line by line (Redis's
 * splitting and quoting rules, comments, include with glob patterns) and
 * command-line flags, which Redis treats as more lines after the file's.
 * Values go through the CONFIG SET checks (cmd/cfg.c); the parameters
 * with a syntax of their own take all of a line's words, the others exactly
 * one. */
#define _DEFAULT_SOURCE
#include "server/config.h"

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "kevy/resp.h"

#define KEVY_VERSION "0.1.0"
#define KV_INCLUDE_DEPTH 16

void kv_config_init(kv_config *c)
{
    memset(c, 0, sizeof *c);
    c->cfg = kv_cfg_new();
}

static int kv_fail(char *err, size_t errlen, const char *msg)
{
    snprintf(err, errlen, "%s", msg);
    return -1;
}

void kv_config_free(kv_config *c)
{
    int i, j;
    kv_cfg_free(c->cfg);
    c->cfg = NULL;
    for (i = 0; i < c->nusers; i++) {
        for (j = 0; j < c->users[i].argc; j++)
            free(c->users[i].argv[j]);
        free(c->users[i].argv);
    }
    free(c->users);
    c->users = NULL;
    c->nusers = 0;
}

/* "user <name> <rules>...": kept for the ACL registry (cmd/acl), which
 * checks the rules when the server starts; a user may be declared once. */
static int kv_user_directive(kv_config *c, int argc, char **argv, char *err, size_t errlen)
{
    struct kv_config_user *u;
    int i, j;
    if (argc < 2)
        return kv_fail(err, errlen, "Bad directive or wrong number of arguments");
    for (i = 0; i < c->nusers; i++)
        if (!strcmp(c->users[i].argv[1], argv[1])) {
            snprintf(err, errlen, "Error in user declaration '%s': Duplicate user found. A user "
                                  "can only be defined once in config files", argv[1]);
            return -1;
        }
    if (!(c->users = realloc(c->users, (size_t)(c->nusers + 1) * sizeof *c->users)))
        abort();
    u = &c->users[c->nusers++];
    u->argc = argc;
    if (!(u->argv = malloc((size_t)argc * sizeof *u->argv)))
        abort();
    for (j = 0; j < argc; j++)
        if (!(u->argv[j] = strdup(argv[j])))
            abort();
    return 0;
}

/* kevy's own directives. */
static int kv_kevy_directive(kv_config *c, int argc, char **argv, char *err, size_t errlen)
{
    long long v;
    if (!strcasecmp(argv[0], "shards")) {
        if (argc != 2)
            return kv_fail(err, errlen, "wrong number of arguments");
        if (!kv_str2ll(argv[1], strlen(argv[1]), &v))
            return kv_fail(err, errlen, "argument couldn't be parsed into an integer");
        if (v < 0 || v > 1024)
            return kv_fail(err, errlen, "argument must be between 0 and 1024 inclusive");
        c->shards = (int)v;
        return 0;
    }
    if (argc != 2)
        return kv_fail(err, errlen, "wrong number of arguments");
    if (!strcasecmp(argv[1], "yes") || !strcasecmp(argv[1], "no")) {
        c->pin_threads = !strcasecmp(argv[1], "yes");
        return 0;
    }
    return kv_fail(err, errlen, "argument must be 'yes' or 'no'");
}

static int kv_is_multiword(int type)
{
    return type == KV_CT_SAVE || type == KV_CT_COBL || type == KV_CT_OOMVALS ||
           type == KV_CT_BIND || type == KV_CT_PERCENTILES || type == KV_CT_REPLICAOF;
}

int kv_config_directive(kv_config *c, int argc, char **argv, char *err, size_t errlen)
{
    int i, rc;
    const kv_cfgdef *d;
    char *value, *canon = NULL;
    size_t len = 0, k;
    if (!strcasecmp(argv[0], "shards") || !strcasecmp(argv[0], "pin-threads"))
        return kv_kevy_directive(c, argc, argv, err, errlen);
    if (!strcasecmp(argv[0], "user"))
        return kv_user_directive(c, argc, argv, err, errlen);
    i = kv_cfg_index(argv[0], strlen(argv[0]));
    if (i < 0)
        return kv_fail(err, errlen, "Bad directive or wrong number of arguments");
    d = &kv_cfgdefs[i];
    if (d->type == KV_CT_SAVE && argc == 1) {
        argv[argc] = ""; /* "--save" alone means no save points */
        argc = 2;
    }
    if (argc < 2 || (argc != 2 && !kv_is_multiword(d->type)))
        return kv_fail(err, errlen, "wrong number of arguments");
    /* The words of a multi-word parameter are one value. */
    for (k = 1; k < (size_t)argc; k++)
        len += strlen(argv[k]) + 1;
    if (!(value = malloc(len + 1)))
        abort();
    value[0] = '\0';
    for (k = 1; k < (size_t)argc; k++) {
        if (k > 1)
            strcat(value, " ");
        strcat(value, argv[k]);
    }
    /* save lines accumulate; "save ''" clears them. */
    if (d->type == KV_CT_SAVE && c->save_lines++ > 0 && *value) {
        const char *cur = kv_cfg_value(c->cfg, i);
        char *joined = malloc(strlen(cur) + strlen(value) + 2);
        if (!joined)
            abort();
        sprintf(joined, "%s%s%s", cur, *cur ? " " : "", value);
        free(value);
        value = joined;
    }
    rc = kv_cfg_check(i, value, strlen(value), kv_cfg_value(c->cfg, i), &canon, err, errlen);
    free(value);
    if (rc < 0)
        return -1;
    if (d->type == KV_CT_BIND)
        c->bind_set = 1;
    if (d->type == KV_CT_DIR && chdir(canon) != 0) {
        snprintf(err, errlen, "Can't chdir to '%s': %s", canon, strerror(errno));
        free(canon);
        return -1;
    }
    kv_cfg_store(c->cfg, i, canon);
    return 0;
}

/* ----------------------------------------------------------- reporting */

static void kv_report(char *err, size_t errlen, int line, const char *shown, const char *why)
{
    snprintf(err, errlen,
             "\n*** FATAL CONFIG FILE ERROR (kevy " KEVY_VERSION ") ***\n"
             "Reading the configuration file, at line %d\n>>> '%s'\n%s",
             line, shown, why);
}

/* The directive as Redis echoes it: its name, then each argument quoted. */
static void kv_shown(char *out, size_t len, int argc, char **argv)
{
    size_t used = (size_t)snprintf(out, len, "%s", argv[0]);
    int j;
    for (j = 1; j < argc && used < len; j++)
        used += (size_t)snprintf(out + used, len - used, " \"%s\"", argv[j]);
}

/* ------------------------------------------------------------- files */

static int kv_load_file(kv_config *c, const char *path, int depth, char *err, size_t errlen);

static int kv_load_text(kv_config *c, const char *text, size_t n, int first_line, int depth,
                        char *err, size_t errlen)
{
    size_t pos = 0;
    int line = first_line;
    while (pos < n) {
        const char *p = text + pos, *nl = memchr(p, '\n', n - pos);
        size_t len = nl ? (size_t)(nl - p) : n - pos;
        char **argv = NULL, reason[600], shown[1200];
        size_t *lens = NULL, i = 0;
        int argc, rc;
        pos += len + (nl ? 1 : 0);
        while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
            i++;
        if (i == len || p[i] == '#') {
            line++;
            continue;
        }
        argc = kv_cfg_splitargs(p, len, &argv, &lens);
        if (argc < 0) {
            char raw[1200];
            snprintf(raw, sizeof raw, "%.*s", (int)len, p);
            kv_report(err, errlen, line, raw, "Unbalanced quotes in configuration line");
            return -1;
        }
        if (argc == 0) {
            line++;
            continue;
        }
        /* One spare slot: kv_config_directive may add an empty argument. */
        if (!(argv = realloc(argv, (size_t)(argc + 1) * sizeof *argv)))
            abort();
        if (!strcasecmp(argv[0], "include") && argc == 2)
            rc = kv_load_file(c, argv[1], depth + 1, err, errlen);
        else
            rc = kv_config_directive(c, argc, argv, reason, sizeof reason);
        if (rc < 0 && strcasecmp(argv[0], "include") != 0) {
            /* Redis shows the line as written, trimmed. */
            size_t end = len;
            while (end > i && (p[end - 1] == ' ' || p[end - 1] == '\t' || p[end - 1] == '\r'))
                end--;
            snprintf(shown, sizeof shown, "%.*s", (int)(end - i), p + i);
            kv_report(err, errlen, line, shown, reason);
        }
        kv_cfg_freeargs(argv, lens, argc);
        if (rc < 0)
            return -1;
        line++;
    }
    return 0;
}

static int kv_load_one(kv_config *c, const char *path, int depth, char *err, size_t errlen)
{
    FILE *f;
    char chunk[4096];
    size_t n, len = 0, cap = 0;
    char *text = NULL;
    int rc;
    if (depth > KV_INCLUDE_DEPTH) {
        snprintf(err, errlen, "Fatal error, too many nested includes at '%s'", path);
        return -1;
    }
    if (!(f = fopen(path, "r"))) {
        snprintf(err, errlen, "Fatal error, can't open config file '%s': %s", path,
                 strerror(errno));
        return -1;
    }
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + n > cap) {
            cap = (len + n) * 2;
            if (!(text = realloc(text, cap)))
                abort();
        }
        memcpy(text + len, chunk, n);
        len += n;
    }
    fclose(f);
    rc = kv_load_text(c, text ? text : "", len, 1, depth, err, errlen);
    free(text);
    return rc;
}

/* include accepts glob patterns: matching files in order; none is fine. */
static int kv_load_file(kv_config *c, const char *path, int depth, char *err, size_t errlen)
{
    glob_t g;
    size_t i;
    int rc = 0;
    if (!strpbrk(path, "*?["))
        return kv_load_one(c, path, depth, err, errlen);
    memset(&g, 0, sizeof g);
    if (glob(path, 0, NULL, &g) != 0) {
        globfree(&g);
        return 0;
    }
    for (i = 0; i < g.gl_pathc && rc == 0; i++)
        rc = kv_load_one(c, g.gl_pathv[i], depth, err, errlen);
    globfree(&g);
    return rc;
}

/* ---------------------------------------------------------- arguments */

int kv_config_load(kv_config *c, int argc, char **argv, char *err, size_t errlen)
{
    int i = 0, line;
    if (argc > 0 && strncmp(argv[0], "--", 2) != 0) {
        if (!realpath(argv[0], c->file))
            snprintf(c->file, sizeof c->file, "%s", argv[0]);
        if (kv_load_file(c, c->file, 0, err, errlen) < 0)
            return -1;
        i = 1;
    }
    /* Flags are more lines after the file's, one per option; Redis counts
     * them from the line after an empty one. */
    line = 2;
    while (i < argc) {
        char *args[256], reason[600], shown[1200];
        int n = 0;
        if (strncmp(argv[i], "--", 2) != 0 || !argv[i][2]) {
            snprintf(reason, sizeof reason, "'%s': expected a --flag", argv[i]);
            kv_report(err, errlen, line, argv[i], reason);
            return -1;
        }
        args[n++] = argv[i] + 2;
        i++;
        while (i < argc && strncmp(argv[i], "--", 2) != 0 && n < 254)
            args[n++] = argv[i++];
        args[n] = NULL;
        if (kv_config_directive(c, n, args, reason, sizeof reason) < 0) {
            kv_shown(shown, sizeof shown, n, args);
            kv_report(err, errlen, line, shown, reason);
            return -1;
        }
        line++;
    }
    return 0;
}

void kv_config_usage(const char *prog)
{
    int i;
    printf("Usage: %s [/path/to/kevy.conf] [--<directive> <value> ...]\n"
           "       %s --help | --version\n\n"
           "A Redis 7.0-compatible, thread-per-core key-value server. The configuration\n"
           "file uses redis.conf's syntax; flags override it. Every Redis 7.0 directive\n"
           "is accepted (memory values: 1mb, 1gb...); CONFIG GET/SET reach them live.\n\n"
           "kevy's own directives:\n"
           "  --%-35s %s\n  --%-35s %s\n\nRedis directives (default):\n",
           prog, prog, "shards <n>", "shard threads (default 0: one per online CPU)",
           "pin-threads <yes|no>", "pin shard i to CPU i (default no)");
    for (i = 0; i < kv_ncfgdefs; i++) {
        const kv_cfgdef *d = &kv_cfgdefs[i];
        if (d->flags & KV_CF_HIDDEN)
            continue;
        printf("  --%-35s %s%s%s\n", d->name, *d->def ? "\"" : "(empty)",
               *d->def ? d->def : "", *d->def ? "\"" : "");
    }
    printf("  --%-35s %s\n  --%-35s %s\n", "help", "show this text", "version",
           "print the version and exit");
}
