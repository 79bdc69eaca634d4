/* The server-wide user registry. Writers (ACL SETUSER/DELUSER, requirepass)
 * take the mutex, build a new immutable snapshot and publish it with one
 * release store; shards read the current pointer per command (an acquire
 * load, no lock) and adopt a new one outside the hot path. Old snapshots
 * are freed once no shard holds them: each shard announces the snapshot it
 * holds in a hazard slot (sequentially consistent store, then a re-check of
 * the current pointer), and a writer frees a retired snapshot only when no
 * slot names it. The ACL log lives here too, under the same mutex. */
#include "cmd/acl/acl.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct kv_acl_logent {
    long long count;
    int reason;
    char context[16];
    char *object, *user, *info;
    long long ctime_ms, created_ms;
} kv_acl_logent;

struct kv_acl {
    pthread_mutex_t mu;
    const kv_server *srv;
    kv_acl_snap *cur; /* rt/atomic.h: written under mu, read by every shard */
    kv_acl_snap *retired;
    unsigned long long next_uid, next_ver, deletions;
    const kv_acl_snap *hazard[KV_ACL_MAX_SHARDS]; /* rt/atomic.h */
    kv_acl_logent *log; /* newest first */
    size_t nlog;
    kv_acl_revlog *revlog; /* channel cuts not yet taken by every shard */
    kv_acl_hooks hooks;    /* set once by the wiring, before any shard runs */
    int pubsub_all;     /* acl-pubsub-default allchannels (rt/atomic.h) */
};

void kv_acl_set_pubsub_default(kv_acl *a, int allchannels)
{
    kv_atomic_store_relaxed(&a->pubsub_all, allchannels);
}

int kv_acl_pubsub_default(const kv_server *srv)
{
    return srv->acl && kv_atomic_load_relaxed(&srv->acl->pubsub_all);
}

void kv_acl_set_hooks(kv_acl *a, const kv_acl_hooks *h)
{
    a->hooks = *h;
}

const kv_acl_hooks *kv_acl_hooks_of(const kv_acl *a)
{
    return &a->hooks;
}

static int by_name(const void *x, const void *y)
{
    const kv_acl_user *a = *(const kv_acl_user *const *)x, *b = *(const kv_acl_user *const *)y;
    size_t n = a->namelen < b->namelen ? a->namelen : b->namelen;
    int c = memcmp(a->name, b->name, n);
    return c ? c : (a->namelen > b->namelen) - (a->namelen < b->namelen);
}

static void snap_free(kv_acl_snap *s)
{
    int i;
    for (i = 0; i < s->nusers; i++)
        if (--s->users[i]->refs == 0)
            kv_acl_user_free(s->users[i]);
    free(s->users);
    free(s);
}

/* Under mu: free the retired snapshots no shard holds. */
static void reclaim(kv_acl *a)
{
    kv_acl_snap **pp = &a->retired, *s;
    while ((s = *pp)) {
        int i, held = 0;
        for (i = 0; i < KV_ACL_MAX_SHARDS && !held; i++)
            held = kv_atomic_load_seqcst(&a->hazard[i]) == s;
        if (held) {
            pp = &s->retired_next;
            continue;
        }
        *pp = s->retired_next;
        snap_free(s);
    }
}

/* Under mu: publish users (n of them; each gains a reference). */
static void publish(kv_acl *a, kv_acl_user **users, int n, int deleted)
{
    kv_acl_snap *s = calloc(1, sizeof *s), *old = a->cur;
    int i;
    if (!s || !(s->users = malloc((size_t)(n ? n : 1) * sizeof *s->users)))
        abort();
    memcpy(s->users, users, (size_t)n * sizeof *users);
    s->nusers = n;
    qsort(s->users, (size_t)n, sizeof *s->users, by_name);
    for (i = 0; i < n; i++) {
        s->users[i]->refs++;
        if (s->users[i]->namelen == 7 && !memcmp(s->users[i]->name, "default", 7))
            s->dflt = s->users[i];
    }
    a->deletions += (unsigned long long)deleted;
    s->deletions = a->deletions;
    s->revs = kv_acl_revlog_seq(a->revlog);
    s->ver = ++a->next_ver;
    kv_atomic_store_seqcst(&a->cur, s);
    if (old) {
        old->retired_next = a->retired;
        a->retired = old;
    }
    reclaim(a);
}

static kv_acl_user *default_user(kv_acl *a)
{
    kv_acl_user *d = kv_acl_user_new(a->srv, "default", 7, KV_ACL_DEFAULT_UID);
    const char *err;
    kv_acl_user_apply(a->srv, d, "+@all", 5, &err);
    kv_acl_user_apply(a->srv, d, "~*", 2, &err);
    kv_acl_user_apply(a->srv, d, "&*", 2, &err);
    kv_acl_user_apply(a->srv, d, "on", 2, &err);
    kv_acl_user_apply(a->srv, d, "nopass", 6, &err);
    kv_acl_user_finish(d);
    return d;
}

kv_acl *kv_acl_new(const kv_server *srv)
{
    kv_acl *a = calloc(1, sizeof *a);
    kv_acl_user *d;
    if (!a)
        abort();
    pthread_mutex_init(&a->mu, NULL);
    a->srv = srv;
    a->revlog = kv_acl_revlog_new();
    a->next_uid = KV_ACL_DEFAULT_UID;
    d = default_user(a);
    publish(a, &d, 1, 0);
    return a;
}

const kv_server *kv_acl_srv(kv_acl *a)
{
    return a->srv;
}

void kv_acl_replace_all(kv_acl *a, kv_acl_user **users, int n)
{
    kv_acl_user **v = malloc((size_t)(n + 1) * sizeof *v);
    int i, dflt = 0, old = 0;
    if (!v)
        abort();
    pthread_mutex_lock(&a->mu);
    for (i = 0; i < n; i++) {
        v[i] = users[i];
        if (users[i]->uid == KV_ACL_DEFAULT_UID)
            dflt = 1;
        else
            users[i]->uid = ++a->next_uid;
    }
    if (!dflt)
        v[n++] = default_user(a);
    for (i = 0; i < a->cur->nusers; i++)
        old += a->cur->users[i]->uid != KV_ACL_DEFAULT_UID;
    publish(a, v, n, old);
    pthread_mutex_unlock(&a->mu);
    free(v);
}

void kv_acl_list_text(kv_acl *a, kv_buf *b)
{
    int i;
    pthread_mutex_lock(&a->mu);
    for (i = 0; i < a->cur->nusers; i++) {
        kv_acl_user_describe(a->srv, a->cur->users[i], b);
        kv_buf_append(b, "\n", 1);
    }
    pthread_mutex_unlock(&a->mu);
}

static void log_free(kv_acl_logent *e)
{
    free(e->object);
    free(e->user);
    free(e->info);
}

void kv_acl_free(kv_acl *a)
{
    size_t i;
    if (!a)
        return;
    while (a->retired) {
        kv_acl_snap *s = a->retired;
        a->retired = s->retired_next;
        snap_free(s);
    }
    if (a->cur)
        snap_free(a->cur);
    for (i = 0; i < a->nlog; i++)
        log_free(&a->log[i]);
    free(a->log);
    kv_acl_revlog_free(a->revlog);
    pthread_mutex_destroy(&a->mu);
    free(a);
}

const kv_acl_snap *kv_acl_current(kv_acl *a)
{
    return kv_atomic_load_acquire(&a->cur);
}

const kv_acl_user *kv_acl_find(const kv_acl_snap *s, const char *name, size_t n)
{
    int i;
    for (i = 0; i < s->nusers; i++)
        if (s->users[i]->namelen == n && !memcmp(s->users[i]->name, name, n))
            return s->users[i];
    return NULL;
}

const kv_acl_user *kv_acl_find_uid(const kv_acl_snap *s, unsigned long long uid)
{
    int i;
    for (i = 0; i < s->nusers; i++)
        if (s->users[i]->uid == uid)
            return s->users[i];
    return NULL;
}

static const kv_acl_snap *announce(kv_acl *a, int id)
{
    const kv_acl_snap *p;
    do { /* announce, then check it is still current (a hazard pointer) */
        p = kv_atomic_load_seqcst(&a->cur);
        kv_atomic_store_seqcst(&a->hazard[id], p);
    } while (kv_atomic_load_seqcst(&a->cur) != p);
    return p;
}

int kv_acl_adopt(kv_acl *a, kv_shard *sh, const kv_acl_snap **held, kv_acl_rev **revs)
{
    int id = kv_shard_id(sh);
    const kv_acl_snap *p;
    unsigned long long from;
    *revs = NULL;
    if (id < 0 || id >= KV_ACL_MAX_SHARDS)
        abort();
    if (!*held) { /* the first: the log starts for this shard at that one */
        pthread_mutex_lock(&a->mu);
        p = announce(a, id);
        kv_acl_revlog_take(a->revlog, id, p->revs, p->revs);
        pthread_mutex_unlock(&a->mu);
        *held = p;
        return 1;
    }
    from = (*held)->revs; /* before the hazard moves off it */
    p = announce(a, id);
    if (p == *held)
        return 0;
    *held = p;
    if (p->revs != from) { /* the log keeps what this shard has not taken */
        pthread_mutex_lock(&a->mu);
        *revs = kv_acl_revlog_take(a->revlog, id, from, p->revs);
        pthread_mutex_unlock(&a->mu);
    }
    return 1;
}

/* ------------------------------------------------------------- writers */

/* Under mu: the current users with `repl` replacing the one of its name
 * (added if none), or without the names in `del`. */
static kv_acl_user **users_copy(kv_acl *a, int extra, int *n)
{
    kv_acl_user **v = malloc((size_t)(a->cur->nusers + extra + 1) * sizeof *v);
    if (!v)
        abort();
    memcpy(v, a->cur->users, (size_t)a->cur->nusers * sizeof *v);
    *n = a->cur->nusers;
    return v;
}

/* Redis joins "(" ... ")" spread over arguments into one rule: the rules
 * NUL-separated in ops, or -1 with the error in err. */
static int merge_selectors(int argc, const kv_str *argv, kv_buf *ops, int *nops, char *err,
                           size_t errlen)
{
    int j;
    *nops = 0;
    for (j = 0; j < argc; j++) {
        const kv_str *s = &argv[j];
        if (s->n && s->p[0] == '(' && s->p[s->n - 1] != ')') {
            int k = j;
            kv_buf_append(ops, s->p, s->n);
            for (j++; j < argc; j++) {
                kv_buf_append(ops, " ", 1);
                kv_buf_append(ops, argv[j].p, argv[j].n);
                if (argv[j].n && argv[j].p[argv[j].n - 1] == ')')
                    break;
            }
            if (j == argc) {
                snprintf(err, errlen, "Unmatched parenthesis in acl selector starting at '%.*s'.",
                         (int)argv[k].n, argv[k].p);
                return -1;
            }
        } else {
            kv_buf_append(ops, s->p, s->n);
        }
        kv_buf_append(ops, "", 1); /* NUL-separated */
        (*nops)++;
    }
    return 0;
}

/* SETUSER name rules... (reset first: a config file's line for an existing
 * user, the default one). 0, 1 (channels cut: see kv_acl_setuser), or -1
 * with err: the whole message (modifier: NULL), or the failing rule in
 * modifier and Redis's reason in err. */
static int setuser(kv_acl *a, const kv_str *name, int argc, const kv_str *argv, int reset,
                   char *err, size_t errlen, char *modifier, size_t modlen)
{
    const kv_acl_user *old;
    kv_acl_user *u, **users;
    kv_buf ops;
    const char *op, *why;
    int nops, k, n, i, cut;
    *modifier = '\0';
    if (memchr(name->p, ' ', name->n) || memchr(name->p, '\0', name->n)) {
        snprintf(err, errlen, "Usernames can't contain spaces or null characters");
        return -1;
    }
    kv_buf_init(&ops);
    if (merge_selectors(argc, argv, &ops, &nops, err, errlen) != 0) {
        kv_buf_free(&ops);
        return -1;
    }
    pthread_mutex_lock(&a->mu);
    old = kv_acl_find(a->cur, name->p, name->n);
    u = old ? kv_acl_user_dup(old) : kv_acl_user_new(a->srv, name->p, name->n, 0);
    if (reset && old) /* a config line redefining the default user */
        kv_acl_user_apply(a->srv, u, "reset", 5, &why);
    for (k = 0, op = ops.p; k < nops; k++, op += strlen(op) + 1) {
        size_t on = strlen(op); /* rules hold no NUL: such a rule is invalid anyway */
        if (kv_acl_user_apply(a->srv, u, op, on, &why) != 0) {
            pthread_mutex_unlock(&a->mu);
            snprintf(modifier, modlen, "%s", op);
            snprintf(err, errlen, "%s", why);
            kv_acl_user_free(u);
            kv_buf_free(&ops);
            return -1;
        }
    }
    kv_acl_user_finish(u);
    if (!old)
        u->uid = ++a->next_uid;
    cut = old && kv_acl_revlog_note(a->revlog, old, u);
    users = users_copy(a, 1, &n);
    for (i = 0; i < n && users[i] != old; i++)
        ;
    users[i] = u;
    publish(a, users, i == n ? n + 1 : n, 0);
    pthread_mutex_unlock(&a->mu);
    free(users);
    kv_buf_free(&ops);
    return cut;
}

int kv_acl_setuser(kv_acl *a, kv_ctx *ctx, int argc, const kv_str *argv)
{
    char err[512], mod[512];
    int rc = setuser(a, &argv[2], argc - 3, argv + 3, 0, err, sizeof err, mod, sizeof mod);
    if (rc >= 0)
        return rc;
    if (*mod)
        kv_reply_errorf(&ctx->out, "ERR Error in ACL SETUSER modifier '%s': %s", mod, err);
    else
        kv_reply_errorf(&ctx->out, "ERR %s", err);
    return -1;
}

int kv_acl_config_user(kv_acl *a, int argc, char **argv, char *err, size_t errlen)
{
    kv_str args[256];
    char why[512], mod[512];
    int j;
    if (argc < 2 || argc > 256) {
        snprintf(err, errlen, "wrong number of arguments");
        return -1;
    }
    for (j = 1; j < argc; j++) {
        args[j - 1].p = argv[j];
        args[j - 1].n = strlen(argv[j]);
    }
    if (setuser(a, &args[0], argc - 2, args + 1, 1, why, sizeof why, mod, sizeof mod) >= 0)
        return 0;
    /* Redis checks names of commands and categories when it loads the
     * users, the rest when it reads the line: its two messages. */
    if (*mod && !strcmp(why, "Unknown command or category name in ACL"))
        snprintf(err, errlen, "Error loading ACL rule '%s' for the user named '%s': %s", mod,
                 argv[1], why);
    else
        snprintf(err, errlen, "Error in user declaration '%s': %s", argv[1], why);
    return -1;
}

long long kv_acl_deluser(kv_acl *a, kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_acl_user **users;
    long long deleted = 0;
    int j, n, i;
    for (j = 2; j < argc; j++)
        if (argv[j].n == 7 && !memcmp(argv[j].p, "default", 7)) {
            kv_reply_error(&ctx->out, "ERR The 'default' user cannot be removed");
            return -1;
        }
    pthread_mutex_lock(&a->mu);
    users = users_copy(a, 0, &n);
    for (j = 2; j < argc; j++)
        for (i = 0; i < n; i++)
            if (users[i]->namelen == argv[j].n && !memcmp(users[i]->name, argv[j].p, argv[j].n)) {
                users[i] = users[--n];
                deleted++;
                break;
            }
    if (deleted)
        publish(a, users, n, (int)deleted);
    pthread_mutex_unlock(&a->mu);
    free(users);
    return deleted;
}

void kv_acl_set_requirepass(kv_acl *a, const char *pass)
{
    kv_acl_user *u, **users;
    const char *err;
    char h[65];
    int n, i, same;
    pthread_mutex_lock(&a->mu);
    u = kv_acl_user_dup(a->cur->dflt);
    if (*pass) {
        kv_acl_sha256_hex(pass, strlen(pass), h);
        same = u->npass == 1 && !memcmp(u->pass[0], h, 64) && !(u->flags & KV_USER_NOPASS);
    } else {
        same = u->npass == 0 && (u->flags & KV_USER_NOPASS);
    }
    if (same) { /* every shard applies the setting: only the first changes it */
        pthread_mutex_unlock(&a->mu);
        kv_acl_user_free(u);
        return;
    }
    kv_acl_user_apply(a->srv, u, "resetpass", 9, &err);
    if (*pass) {
        u->flags &= ~KV_USER_NOPASS;
        free(u->pass);
        u->pass = malloc(sizeof *u->pass);
        if (!u->pass)
            abort();
        memcpy(u->pass[0], h, 65);
        u->npass = 1;
    } else {
        u->flags |= KV_USER_NOPASS;
    }
    kv_acl_user_finish(u);
    users = users_copy(a, 0, &n);
    for (i = 0; i < n; i++)
        if (users[i] == a->cur->dflt)
            users[i] = u;
    publish(a, users, n, 0);
    pthread_mutex_unlock(&a->mu);
    free(users);
}

int kv_acl_auth_ok(const kv_acl_snap *s, const kv_str *user, const kv_str *pass,
                   const kv_acl_user **out)
{
    const kv_acl_user *u = user ? kv_acl_find(s, user->p, user->n) : s->dflt;
    char h[65];
    int i;
    if (!u || !(u->flags & KV_USER_ON))
        return 0;
    *out = u;
    if (u->flags & KV_USER_NOPASS)
        return 1;
    kv_acl_sha256_hex(pass->p, pass->n, h);
    for (i = 0; i < u->npass; i++)
        if (!memcmp(u->pass[i], h, 64))
            return 1;
    return 0;
}

/* ----------------------------------------------------------------- log */

static const char *const kv_acl_reasons[] = {"", "command", "key", "auth", "channel"};

static char *dupz(const char *p, size_t n)
{
    char *s = malloc(n + 1);
    if (!s)
        abort();
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

void kv_acl_log_add(kv_acl *a, int reason, const char *ctxname, const char *object, size_t on,
                    const char *user, const char *info, long long now_ms, long long maxlen)
{
    kv_acl_logent e;
    size_t i;
    pthread_mutex_lock(&a->mu);
    /* The same denial within 60 s counts on the entry it repeats. */
    for (i = 0; i < a->nlog; i++) {
        kv_acl_logent *x = &a->log[i];
        if (x->reason == reason && !strcmp(x->context, ctxname) && strlen(x->object) == on &&
            !memcmp(x->object, object, on) && !strcmp(x->user, user) &&
            now_ms - x->ctime_ms <= 60000)
            break;
    }
    if (i < a->nlog) {
        e = a->log[i];
        e.count++;
        e.ctime_ms = now_ms;
        free(e.info);
        e.info = dupz(info, strlen(info));
        memmove(&a->log[1], &a->log[0], i * sizeof e);
    } else {
        memset(&e, 0, sizeof e);
        e.count = 1;
        e.reason = reason;
        strncpy(e.context, ctxname, sizeof e.context - 1);
        e.object = dupz(object, on);
        e.user = dupz(user, strlen(user));
        e.info = dupz(info, strlen(info));
        e.ctime_ms = e.created_ms = now_ms;
        if (!(a->log = realloc(a->log, (a->nlog + 1) * sizeof e)))
            abort();
        memmove(&a->log[1], &a->log[0], a->nlog * sizeof e);
        a->nlog++;
    }
    a->log[0] = e;
    while (a->nlog > (size_t)(maxlen > 0 ? maxlen : 0))
        log_free(&a->log[--a->nlog]);
    pthread_mutex_unlock(&a->mu);
}

void kv_acl_log_reply(kv_acl *a, kv_ctx *ctx, long long count, long long now_ms)
{
    kv_reply *r = &ctx->out;
    size_t i, n;
    pthread_mutex_lock(&a->mu);
    n = count < 0 ? 0 : (size_t)count < a->nlog ? (size_t)count : a->nlog;
    kv_reply_array(r, (long)n);
    for (i = 0; i < n; i++) {
        const kv_acl_logent *e = &a->log[i];
        kv_reply_map(r, 7);
        kv_reply_bulk_cstr(r, "count");
        kv_reply_int(r, e->count);
        kv_reply_bulk_cstr(r, "reason");
        kv_reply_bulk_cstr(r, kv_acl_reasons[e->reason]);
        kv_reply_bulk_cstr(r, "context");
        kv_reply_bulk_cstr(r, e->context);
        kv_reply_bulk_cstr(r, "object");
        kv_reply_bulk_cstr(r, e->object);
        kv_reply_bulk_cstr(r, "username");
        kv_reply_bulk_cstr(r, e->user);
        kv_reply_bulk_cstr(r, "age-seconds");
        kv_reply_double(r, (double)(now_ms - e->ctime_ms) / 1000);
        kv_reply_bulk_cstr(r, "client-info");
        kv_reply_bulk_cstr(r, e->info);
    }
    pthread_mutex_unlock(&a->mu);
}

void kv_acl_log_reset(kv_acl *a)
{
    size_t i;
    pthread_mutex_lock(&a->mu);
    for (i = 0; i < a->nlog; i++)
        log_free(&a->log[i]);
    a->nlog = 0;
    pthread_mutex_unlock(&a->mu);
}
