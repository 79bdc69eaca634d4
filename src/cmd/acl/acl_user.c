/* A user and its rules: applying ACL SETUSER's rules to a (private, not yet
 * published) user. Command rules become one bit per command of kevy's index
 * (its position), plus Redis 7.0's first-argument rules ("+select|0") for
 * commands without subcommands; acl_describe.c turns them back into rules. */
#include "cmd/acl/acl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { E_NOENT = 1, E_INVAL, E_KEYS, E_CHANS, E_NOPASS, E_HASH, E_CHILD };

static const char *const kv_acl_errs[] = {
    "",
    "Unknown command or category name in ACL",
    "Syntax error",
    "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not "
    "have any effect. Try 'resetkeys' to start with an empty list of patterns",
    "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does "
    "not have any effect. Try 'resetchannels' to start with an empty list of channels",
    "The password you are trying to remove from the user does not exist",
    "The password hash must be exactly 64 characters and contain only lowercase hexadecimal "
    "characters",
    "Allowing first-arg of a subcommand is not supported",
};

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        abort();
    return p;
}

static char *xdup(const char *p, size_t n)
{
    char *s = xmalloc(n + 1);
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* ------------------------------------------------------------- lifecycle */

static void pats_free(kv_acl_pat *p, int n)
{
    int i;
    for (i = 0; i < n; i++)
        free(p[i].p);
    free(p);
}

static kv_acl_pat *pats_dup(const kv_acl_pat *p, int n)
{
    kv_acl_pat *q = xmalloc((size_t)n * sizeof *q);
    int i;
    for (i = 0; i < n; i++) {
        q[i] = p[i];
        q[i].p = xdup(p[i].p, p[i].n);
    }
    return q;
}

static void fa_clear(kv_acl_fa *f)
{
    int i;
    for (i = 0; i < f->nargs; i++)
        free(f->args[i]);
    free(f->args);
}

static void fa_reset_all(kv_acl_sel *s)
{
    int i;
    for (i = 0; i < s->nfas; i++)
        fa_clear(&s->fas[i]);
    free(s->fas);
    s->fas = NULL;
    s->nfas = 0;
}

static void sel_clear(kv_acl_sel *s)
{
    pats_free(s->keys, s->nkeys);
    pats_free(s->chans, s->nchans);
    fa_reset_all(s);
    memset(s, 0, sizeof *s);
}

static void sel_copy(kv_acl_sel *d, const kv_acl_sel *s)
{
    int i, j;
    *d = *s;
    d->keys = pats_dup(s->keys, s->nkeys);
    d->chans = pats_dup(s->chans, s->nchans);
    d->fas = s->nfas ? xmalloc((size_t)s->nfas * sizeof *d->fas) : NULL;
    for (i = 0; i < s->nfas; i++) {
        d->fas[i] = s->fas[i];
        d->fas[i].args = xmalloc((size_t)s->fas[i].nargs * sizeof(char *));
        for (j = 0; j < s->fas[i].nargs; j++)
            d->fas[i].args[j] = xdup(s->fas[i].args[j], strlen(s->fas[i].args[j]));
    }
}

kv_acl_user *kv_acl_user_new(const kv_server *srv, const char *name, size_t n,
                             unsigned long long uid)
{
    kv_acl_user *u = xmalloc(sizeof *u);
    memset(u, 0, sizeof *u);
    u->name = xdup(name, n);
    u->namelen = n;
    u->uid = uid;
    u->sels = xmalloc(sizeof *u->sels);
    memset(u->sels, 0, sizeof *u->sels);
    u->nsels = 1; /* off, no password, no commands or keys */
    if (kv_acl_pubsub_default(srv))
        u->sels[0].flags |= KV_SEL_ALLCHANNELS;
    return u;
}

kv_acl_user *kv_acl_user_dup(const kv_acl_user *u)
{
    kv_acl_user *v = xmalloc(sizeof *v);
    int i;
    *v = *u;
    v->refs = 0;
    v->name = xdup(u->name, u->namelen);
    v->pass = xmalloc((size_t)u->npass * sizeof *v->pass);
    if (u->npass)
        memcpy(v->pass, u->pass, (size_t)u->npass * sizeof *v->pass);
    v->sels = xmalloc((size_t)u->nsels * sizeof *v->sels);
    for (i = 0; i < u->nsels; i++)
        sel_copy(&v->sels[i], &u->sels[i]);
    return v;
}

void kv_acl_user_free(kv_acl_user *u)
{
    int i;
    if (!u)
        return;
    for (i = 0; i < u->nsels; i++)
        sel_clear(&u->sels[i]);
    free(u->sels);
    free(u->pass);
    free(u->name);
    free(u);
}

void kv_acl_user_finish(kv_acl_user *u)
{
    const kv_acl_sel *r = &u->sels[0];
    unsigned all = KV_SEL_ALLKEYS | KV_SEL_ALLCHANNELS | KV_SEL_ALLCMDS;
    u->free_pass = (r->flags & all) == all;
}

/* ------------------------------------------------ first-argument rules */

const kv_acl_fa *kv_acl_sel_firstargs(const kv_acl_sel *s, unsigned pos)
{
    int i;
    for (i = 0; i < s->nfas; i++)
        if (s->fas[i].pos == pos)
            return &s->fas[i];
    return NULL;
}

/* Redis's ACLResetFirstArgsForCommand: any rule on the command itself (or
 * a category holding it) drops them. */
static void fa_reset(kv_acl_sel *s, unsigned pos)
{
    int i;
    for (i = 0; i < s->nfas; i++)
        if (s->fas[i].pos == pos) {
            fa_clear(&s->fas[i]);
            s->fas[i] = s->fas[--s->nfas];
            return;
        }
}

/* Redis's ACLAddAllowedFirstArg: each argument once, compared in any case;
 * the command's bit is left as it is. */
static void fa_add(kv_acl_sel *s, unsigned pos, const char *arg, size_t n)
{
    kv_acl_fa *f = NULL;
    int i;
    for (i = 0; i < s->nfas && !f; i++)
        if (s->fas[i].pos == pos)
            f = &s->fas[i];
    if (!f) {
        if (!(s->fas = realloc(s->fas, (size_t)(s->nfas + 1) * sizeof *s->fas)))
            abort();
        f = &s->fas[s->nfas++];
        memset(f, 0, sizeof *f);
        f->pos = pos;
    }
    for (i = 0; i < f->nargs; i++)
        if (strlen(f->args[i]) == n && !strncasecmp(f->args[i], arg, n))
            return;
    if (!(f->args = realloc(f->args, (size_t)(f->nargs + 1) * sizeof *f->args)))
        abort();
    f->args[f->nargs++] = xdup(arg, n);
}

/* -------------------------------------------------------- command bits */

static void bit_set(kv_acl_sel *s, unsigned pos, int on)
{
    if (on) {
        s->allowed[pos / 64] |= 1ull << (pos % 64);
    } else {
        s->allowed[pos / 64] &= ~(1ull << (pos % 64));
        s->flags &= ~KV_SEL_ALLCMDS;
    }
}

int kv_acl_sel_bit(const kv_acl_sel *s, unsigned pos)
{
    return (int)((s->allowed[pos / 64] >> (pos % 64)) & 1);
}

/* Redis's ACLChangeSelectorPerm: a container takes its subcommands along. */
void kv_acl_sel_perm(kv_acl_sel *s, const kv_cmd *cmd, int on)
{
    size_t n = 0, i;
    const kv_cmd *subs = kv_cmd_subs(cmd, &n);
    bit_set(s, kv_desc(cmd)->pos, on);
    fa_reset(s, kv_desc(cmd)->pos);
    for (i = 0; subs && i < n; i++)
        bit_set(s, kv_desc(&subs[i])->pos, on);
}

void kv_acl_sel_category(const kv_server *srv, kv_acl_sel *s, unsigned long bit, int on)
{
    const kv_cmd_index *ix = &srv->index;
    unsigned i;
    for (i = 0; i < ix->ncmd; i++)
        if (ix->desc[i].acl & bit)
            kv_acl_sel_perm(s, &ix->cmd[i], on);
}

static int category_bit(const char *name, size_t n, unsigned long *bit)
{
    int i;
    for (i = 0; i < KV_ACL_COUNT; i++)
        if (strlen(kv_acl_names[i]) == n && !strncasecmp(kv_acl_names[i], name, n)) {
            *bit = 1ul << i;
            return 0;
        }
    return -1;
}

void kv_acl_sel_all(kv_acl_sel *s, int on)
{
    memset(s->allowed, on ? 0xff : 0, sizeof s->allowed);
    fa_reset_all(s);
    if (on)
        s->flags |= KV_SEL_ALLCMDS | KV_SEL_FUTURE;
    else
        s->flags &= ~(KV_SEL_ALLCMDS | KV_SEL_FUTURE);
}

/* +cmd, -cmd, +cmd|sub, -cmd|sub, and +cmd|firstarg for a command without
 * subcommands, in Redis 7.0's order of checks (ACLSetSelector). */
static int cmd_rule(const kv_server *srv, kv_acl_sel *s, const char *name, size_t n, int on)
{
    const char *bar = NULL;
    const kv_cmd *cmd;
    size_t i, nsubs = 0, top;
    for (i = 0; on && i < n; i++)
        if (name[i] == '|')
            bar = name + i; /* Redis splits "+a|b|c" at the last bar */
    if (!bar) { /* "-a|b" names a subcommand or nothing */
        if (!(cmd = kv_cmd_find(srv, name, n)))
            return E_NOENT;
        kv_acl_sel_perm(s, cmd, on);
        return 0;
    }
    top = (size_t)(bar - name);
    if (!(cmd = kv_cmd_find(srv, name, top)))
        return E_NOENT;
    if (memchr(name, '|', top))
        return E_CHILD; /* "+config|get|x" */
    if (top + 1 == n)
        return E_INVAL;
    if (kv_cmd_subs(cmd, &nsubs)) {
        if (!(cmd = kv_cmd_find(srv, name, n)))
            return E_NOENT;
        kv_acl_sel_perm(s, cmd, 1);
        return 0;
    }
    fa_add(s, kv_desc(cmd)->pos, bar + 1, n - top - 1);
    return 0;
}

/* ------------------------------------------------------------ patterns */

static int pat_find(const kv_acl_pat *p, int n, const char *s, size_t len)
{
    int i;
    for (i = 0; i < n; i++)
        if (p[i].n == len && !memcmp(p[i].p, s, len))
            return i;
    return -1;
}

static void pat_add(kv_acl_pat **p, int *n, const char *s, size_t len, int perm)
{
    int i = pat_find(*p, *n, s, len);
    if (i >= 0) {
        (*p)[i].perm |= perm;
        return;
    }
    *p = realloc(*p, (size_t)(*n + 1) * sizeof **p);
    if (!*p)
        abort();
    (*p)[*n].p = xdup(s, len);
    (*p)[*n].n = len;
    (*p)[*n].perm = perm;
    (*n)++;
}

static int is(const char *op, size_t n, const char *lit)
{
    return strlen(lit) == n && !strncasecmp(op, lit, n);
}

/* One rule of a selector (Redis's ACLSetSelector). */
static int sel_apply(const kv_server *srv, kv_acl_sel *s, const char *op, size_t n)
{
    unsigned long bit;
    if (is(op, n, "allkeys") || (n == 2 && !memcmp(op, "~*", 2))) {
        s->flags |= KV_SEL_ALLKEYS;
        pats_free(s->keys, s->nkeys);
        s->keys = NULL, s->nkeys = 0;
    } else if (is(op, n, "resetkeys")) {
        s->flags &= ~KV_SEL_ALLKEYS;
        pats_free(s->keys, s->nkeys);
        s->keys = NULL, s->nkeys = 0;
    } else if (is(op, n, "allchannels") || (n == 2 && !memcmp(op, "&*", 2))) {
        s->flags |= KV_SEL_ALLCHANNELS;
        pats_free(s->chans, s->nchans);
        s->chans = NULL, s->nchans = 0;
    } else if (is(op, n, "resetchannels")) {
        s->flags &= ~KV_SEL_ALLCHANNELS;
        pats_free(s->chans, s->nchans);
        s->chans = NULL, s->nchans = 0;
    } else if (is(op, n, "allcommands") || is(op, n, "+@all")) {
        kv_acl_sel_all(s, 1);
    } else if (is(op, n, "nocommands") || is(op, n, "-@all")) {
        kv_acl_sel_all(s, 0);
    } else if (n && (op[0] == '~' || op[0] == '%')) {
        size_t off = 1;
        int perm = 0, tilde = op[0] == '~';
        if (s->flags & KV_SEL_ALLKEYS)
            return E_KEYS;
        if (tilde) {
            perm = KV_ACL_R | KV_ACL_W;
        } else {
            for (; off < n; off++) {
                char c = (char)toupper((unsigned char)op[off]);
                if (c == 'R' && !(perm & KV_ACL_R))
                    perm |= KV_ACL_R;
                else if (c == 'W' && !(perm & KV_ACL_W))
                    perm |= KV_ACL_W;
                else if (op[off] == '~') {
                    tilde = 1;
                    off++;
                    break;
                } else
                    return E_INVAL;
            }
            if (!tilde || !perm)
                return E_INVAL;
        }
        pat_add(&s->keys, &s->nkeys, op + off, n - off, perm);
    } else if (n && op[0] == '&') {
        if (s->flags & KV_SEL_ALLCHANNELS)
            return E_CHANS;
        if (pat_find(s->chans, s->nchans, op + 1, n - 1) < 0)
            pat_add(&s->chans, &s->nchans, op + 1, n - 1, 0);
    } else if (n > 1 && (op[0] == '+' || op[0] == '-') && op[1] == '@') {
        if (category_bit(op + 2, n - 2, &bit) != 0)
            return E_NOENT;
        kv_acl_sel_category(srv, s, bit, op[0] == '+');
    } else if (n > 1 && (op[0] == '+' || op[0] == '-')) {
        return cmd_rule(srv, s, op + 1, n - 1, op[0] == '+');
    } else {
        return E_INVAL;
    }
    return 0;
}

/* --------------------------------------------------------------- users */

static int hex64(const char *p, size_t n)
{
    size_t i;
    if (n != 64)
        return 0;
    for (i = 0; i < n; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
            return 0;
    return 1;
}

static int pass_find(const kv_acl_user *u, const char *h)
{
    int i;
    for (i = 0; i < u->npass; i++)
        if (!memcmp(u->pass[i], h, 64))
            return i;
    return -1;
}

static void pass_add(kv_acl_user *u, const char *h)
{
    if (pass_find(u, h) >= 0)
        return;
    u->pass = realloc(u->pass, (size_t)(u->npass + 1) * sizeof *u->pass);
    if (!u->pass)
        abort();
    memcpy(u->pass[u->npass], h, 64);
    u->pass[u->npass][64] = '\0';
    u->npass++;
}

static int pass_del(kv_acl_user *u, const char *h)
{
    int i = pass_find(u, h);
    if (i < 0)
        return E_NOPASS;
    memmove(u->pass[i], u->pass[i + 1], (size_t)(u->npass - i - 1) * sizeof *u->pass);
    u->npass--;
    return 0;
}

static void clear_selectors(kv_acl_user *u)
{
    int i;
    for (i = 1; i < u->nsels; i++)
        sel_clear(&u->sels[i]);
    u->nsels = 1;
}

/* "(rule rule ...)": a new selector. */
static int selector_rule(const kv_server *srv, kv_acl_user *u, const char *op, size_t n)
{
    kv_acl_sel s;
    size_t i = 1, end = n - 1;
    int err = 0;
    memset(&s, 0, sizeof s);
    if (kv_acl_pubsub_default(srv))
        s.flags |= KV_SEL_ALLCHANNELS;
    while (i < end && !err) {
        size_t j;
        while (i < end && op[i] == ' ')
            i++;
        for (j = i; j < end && op[j] != ' '; j++)
            ;
        if (j > i)
            err = sel_apply(srv, &s, op + i, j - i);
        i = j;
    }
    if (err) {
        sel_clear(&s);
        return err;
    }
    u->sels = realloc(u->sels, (size_t)(u->nsels + 1) * sizeof *u->sels);
    if (!u->sels)
        abort();
    u->sels[u->nsels++] = s;
    return 0;
}

static int user_apply(const kv_server *srv, kv_acl_user *u, const char *op, size_t n)
{
    char h[65];
    if (is(op, n, "on")) {
        u->flags |= KV_USER_ON;
    } else if (is(op, n, "off")) {
        u->flags &= ~KV_USER_ON;
    } else if (is(op, n, "skip-sanitize-payload")) {
        u->flags = (u->flags & ~KV_USER_SANITIZE) | KV_USER_SKIP_SANITIZE;
    } else if (is(op, n, "sanitize-payload")) {
        u->flags = (u->flags & ~KV_USER_SKIP_SANITIZE) | KV_USER_SANITIZE;
    } else if (is(op, n, "nopass")) {
        u->flags |= KV_USER_NOPASS;
        u->npass = 0;
    } else if (is(op, n, "resetpass")) {
        u->flags &= ~KV_USER_NOPASS;
        u->npass = 0;
    } else if (n && op[0] == '>') {
        kv_acl_sha256_hex(op + 1, n - 1, h);
        pass_add(u, h);
        u->flags &= ~KV_USER_NOPASS;
    } else if (n && op[0] == '#') {
        if (!hex64(op + 1, n - 1))
            return E_HASH;
        pass_add(u, op + 1);
        u->flags &= ~KV_USER_NOPASS;
    } else if (n && op[0] == '<') {
        kv_acl_sha256_hex(op + 1, n - 1, h);
        return pass_del(u, h);
    } else if (n && op[0] == '!') {
        if (!hex64(op + 1, n - 1))
            return E_HASH;
        return pass_del(u, op + 1);
    } else if (is(op, n, "clearselectors")) {
        clear_selectors(u);
    } else if (is(op, n, "reset")) {
        u->flags &= ~(KV_USER_NOPASS | KV_USER_ON | KV_USER_SKIP_SANITIZE);
        u->flags |= KV_USER_SANITIZE;
        u->npass = 0;
        clear_selectors(u);
        sel_clear(&u->sels[0]);
        if (kv_acl_pubsub_default(srv))
            u->sels[0].flags |= KV_SEL_ALLCHANNELS;
    } else if (n >= 2 && op[0] == '(' && op[n - 1] == ')') {
        return selector_rule(srv, u, op, n);
    } else {
        return sel_apply(srv, &u->sels[0], op, n);
    }
    return 0;
}

int kv_acl_user_apply(const kv_server *srv, kv_acl_user *u, const char *op, size_t n,
                      const char **err)
{
    int e = user_apply(srv, u, op, n);
    *err = kv_acl_errs[e];
    return e ? -1 : 0;
}
