/* The ACL file (aclfile): ACL LOAD and the startup load read it, every line
 * "user <name> <rules>...", checked whole before anything changes (Redis's
 * messages, all errors of the file at once); ACL SAVE writes ACL LIST's
 * lines to a temporary file renamed over it. Loading replaces every user:
 * the default user keeps its identity, every other one is new, so clients
 * of the old users are disconnected as Redis does. */
#include "cmd/acl/acl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KV_ACL_LINE_ARGS 1024

/* Words of a line, split on spaces and tabs (what ACL SAVE writes). */
static int split(char *line, char **argv, int max)
{
    int n = 0;
    char *p = line;
    while (*p && n < max) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        argv[n++] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        if (*p)
            *p++ = '\0';
    }
    return n;
}

static void errcat(kv_buf *e, const char *fmt, const char *a, const char *b, int line,
                   const char *c)
{
    char tmp[1024];
    int n = snprintf(tmp, sizeof tmp, fmt, a, line, b, c);
    kv_buf_append(e, tmp, (size_t)(n < (int)sizeof tmp ? n : (int)sizeof tmp - 1));
}

int kv_acl_load_file(kv_acl *a, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    kv_buf text, errs, ops;
    kv_acl_user **users = NULL, *u;
    int nusers = 0, linenum = 0, i, rc = -1;
    char *line, *next, **argv;
    const char *why;
    if (!f) {
        snprintf(err, errlen, "Error loading ACLs, opening file '%s': %s", path, strerror(errno));
        return -1;
    }
    kv_buf_init(&text);
    kv_buf_init(&errs);
    kv_buf_init(&ops);
    for (;;) {
        char chunk[4096];
        size_t n = fread(chunk, 1, sizeof chunk, f);
        if (n == 0)
            break;
        kv_buf_append(&text, chunk, n);
    }
    fclose(f);
    kv_buf_append(&text, "", 1);
    if (!(argv = malloc(KV_ACL_LINE_ARGS * sizeof *argv)))
        abort();
    for (line = text.p; line; line = next) {
        int argc, j, dup = 0;
        size_t len;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        linenum++;
        len = strlen(line);
        while (len && strchr(" \t\r", line[len - 1]))
            line[--len] = '\0';
        while (*line == ' ' || *line == '\t')
            line++;
        if (!*line)
            continue;
        argc = split(line, argv, KV_ACL_LINE_ARGS);
        if (argc < 2 || strcmp(argv[0], "user")) {
            errcat(&errs, "%s:%d should start with user keyword followed by the username. ", path,
                   "", linenum, "");
            continue;
        }
        if (errs.len)
            continue; /* the rest cannot change the outcome */
        for (j = 0; j < nusers; j++)
            dup |= !strcmp(users[j]->name, argv[1]);
        if (dup) {
            char tmp[512];
            snprintf(tmp, sizeof tmp, "WARNING: Duplicate user '%s' found on line %d. ", argv[1],
                     linenum);
            kv_buf_append(&errs, tmp, strlen(tmp));
            continue;
        }
        u = kv_acl_user_new(kv_acl_srv(a), argv[1], strlen(argv[1]), 0);
        if (!strcmp(argv[1], "default"))
            u->uid = KV_ACL_DEFAULT_UID;
        users = realloc(users, (size_t)(nusers + 1) * sizeof *users);
        if (!users)
            abort();
        users[nusers++] = u;
        for (j = 2; j < argc; j++) {
            /* a selector's words are one rule */
            kv_buf *r = &ops;
            int k = j;
            r->len = 0;
            kv_buf_append(r, argv[j], strlen(argv[j]));
            if (argv[j][0] == '(' && argv[j][strlen(argv[j]) - 1] != ')')
                for (k = j + 1; k < argc; k++) {
                    kv_buf_append(r, " ", 1);
                    kv_buf_append(r, argv[k], strlen(argv[k]));
                    if (argv[k][strlen(argv[k]) - 1] == ')')
                        break;
                }
            if (k == argc) {
                errcat(&errs, "%s:%d: Unmatched parenthesis in selector definition.", path, "",
                       linenum, "");
                break;
            }
            kv_buf_append(r, "", 1);
            if (kv_acl_user_apply(kv_acl_srv(a), u, r->p, r->len - 1, &why) != 0) {
                if (!strcmp(why, "Unknown command or category name in ACL"))
                    errcat(&errs, "%s:%d: Error in applying operation '%s': %s. ", path, r->p,
                           linenum, why);
                else
                    errcat(&errs, "%s:%d: %s%s. ", path, why, linenum, "");
                break;
            }
            j = k;
        }
    }
    if (errs.len) {
        snprintf(err, errlen,
                 "%.*sWARNING: ACL errors detected, no change to the previously active ACL rules "
                 "was performed",
                 (int)errs.len, errs.p);
    } else {
        for (i = 0; i < nusers; i++)
            kv_acl_user_finish(users[i]);
        kv_acl_replace_all(a, users, nusers);
        nusers = 0;
        rc = 0;
    }
    for (i = 0; i < nusers; i++)
        kv_acl_user_free(users[i]);
    free(users);
    free(argv);
    kv_buf_free(&ops);
    kv_buf_free(&errs);
    kv_buf_free(&text);
    return rc;
}

int kv_acl_save_file(kv_acl *a, const char *path)
{
    char tmp[4096];
    FILE *f;
    kv_buf b;
    int ok;
    snprintf(tmp, sizeof tmp, "%s.kevy-tmp", path);
    if (!(f = fopen(tmp, "w")))
        return -1;
    kv_buf_init(&b);
    kv_acl_list_text(a, &b);
    ok = fwrite(b.p ? b.p : "", 1, b.len, f) == b.len;
    ok &= fflush(f) == 0;
    ok &= fclose(f) == 0;
    kv_buf_free(&b);
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        return -1;
    }
    return 0;
}
