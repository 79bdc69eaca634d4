/* Loading the append-only files at startup (appendonly yes: they, not
 * dump.rdb, are the data, as in Redis): each shard's base (an RDB, or
 * commands) then its incr files in order, replayed through a one-shard
 * in-process server (kv_local) whose keyspace is that shard's. Nothing
 * expires while replaying. A torn tail of the last file is cut off when
 * aof-load-truncated allows it, with a MULTI left open at the end; a bad
 * byte anywhere else stops startup naming the file and the offset. */
#include "cmd/persist/aof_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cmd/config/cfg.h"
#include "cmd/multi/watch.h"
#include "store/rdbfile.h"

/* The commits found in every shard's files: "<run>:<txn>" strings, sorted. */
typedef struct commits {
    char (*id)[40];
    size_t n, cap;
} commits;

typedef struct replay {
    const commits *commits;
    int tx_state;    /* 0, 1: a tagged block's MULTI comes (committed), 2: (not), 3: skipping */
    size_t ann_end;  /* where the last whole annotation's text ends */
    long long key_delay_us; /* key-load-delay, per command replayed (Redis) */
    kv_local *local;
    kv_buf out;
    const char *path;
    long long cmds;
    int stopped; /* on_cmd wrote err */
    char *err;
    size_t errlen;
} replay;

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static int commit_cmp(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

static int committed(const commits *c, const char *p, size_t n)
{
    char key[40];
    if (!c || n >= sizeof key)
        return 0;
    memcpy(key, p, n);
    key[n] = '\0';
    return c->n && bsearch(key, c->id, c->n, sizeof c->id[0], commit_cmp) != NULL;
}

/* A "#kevy-tx:" tag announces a block of a transaction over shards. */
static void on_annotation(void *arg, const char *p, size_t n, size_t offset)
{
    replay *r = arg;
    size_t tl = strlen(KV_AOF_TX_TAG);
    r->ann_end = offset + 1 + n;
    if (n > tl && !memcmp(p, KV_AOF_TX_TAG, tl))
        r->tx_state = committed(r->commits, p + tl, n - tl) ? 1 : 2;
}

static int is_name(const kv_str *a, const char *name)
{
    return a->n == strlen(name) && !strncasecmp(a->p, name, a->n);
}

static int on_cmd(void *arg, int argc, const kv_str *argv, size_t offset)
{
    replay *r = arg;
    if (r->tx_state == 2 && is_name(&argv[0], "multi")) {
        r->tx_state = 3; /* its commit never reached the disk: the block goes */
        return 0;
    }
    if (r->tx_state == 3) {
        if (is_name(&argv[0], "exec"))
            r->tx_state = 0;
        return 0;
    }
    r->tx_state = 0;
    if (r->key_delay_us > 0) {
        struct timespec ts;
        ts.tv_sec = (time_t)(r->key_delay_us / 1000000);
        ts.tv_nsec = (long)(r->key_delay_us % 1000000) * 1000;
        nanosleep(&ts, NULL);
    }
    r->out.len = 0;
    kv_local_exec(r->local, argc, argv, &r->out);
    r->cmds++;
    /* Redis stops at a command it does not know; other errors (a command
     * that failed when it ran too) are replayed as they came. */
    if (r->out.len > 15 && !memcmp(r->out.p, "-ERR unknown command", 20 < r->out.len ? 20 : 15)) {
        snprintf(r->err, r->errlen, "Unknown command '%.*s' reading the append only file %s "
                 "(%s, offset %zu)", (int)(argv[0].n > 64 ? 64 : argv[0].n), argv[0].p,
                 base_name(r->path), r->path, offset);
        r->stopped = 1;
        return -1;
    }
    return 0;
}

/* Map a file read-only (an empty file maps to nothing). */
static int map_file(const char *path, unsigned char **p, size_t *n, char *err, size_t errlen)
{
    struct stat sb;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    *p = NULL;
    *n = 0;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        snprintf(err, errlen, "Can't open the append-only file %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *n = (size_t)sb.st_size;
    if (*n) {
        void *m = mmap(NULL, *n, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            snprintf(err, errlen, "Can't read the append-only file %s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        *p = m;
    }
    close(fd);
    return 0;
}

/* Replay one file of commands. last: the newest file, whose torn tail may
 * be cut (truncate_ok). */
static int replay_file(replay *r, const char *path, int last, int truncate_ok)
{
    unsigned char *p;
    size_t n, valid, bad;
    kv_aof_read_cb cb;
    kv_aof_read_info info;
    int rc;
    if (map_file(path, &p, &n, r->err, r->errlen) != 0)
        return -1;
    memset(&cb, 0, sizeof cb);
    cb.arg = r;
    cb.cmd = on_cmd;
    cb.annotation = on_annotation;
    r->path = path;
    r->tx_state = 0;
    {
        char why[512];
        r->stopped = 0;
        r->ann_end = 0;
        rc = kv_aof_read_ex(p, n, &cb, &info, why, sizeof why);
        if (!r->stopped)
            snprintf(r->err, r->errlen, "%s", why);
    }
    valid = info.valid_len;
    /* A torn tail is cut after the last whole annotation too: a commit
     * there is what makes other shards' blocks count. */
    if (rc == KV_AOF_TRUNCATED && r->ann_end > valid && r->ann_end < n) {
        size_t e = r->ann_end + (p[r->ann_end] == '\r' ? 2 : 1);
        if (e <= n)
            valid = e;
    }
    if (p)
        munmap(p, n);
    bad = info.bad_offset;
    if (info.in_multi) { /* a MULTI without its EXEC: its queue is dropped */
        static const kv_str discard[1] = {{"DISCARD", 7}};
        r->out.len = 0;
        kv_local_exec(r->local, 1, discard, &r->out);
        if (rc == KV_AOF_OK) {
            kv_shard_log(NULL, 3, KV_AOF_MSG_REVERT_MULTI, base_name(path));
            if (!last || !truncate_ok) {
                snprintf(r->err, r->errlen, "Unexpected end of file reading the append only "
                         "file %s (%s, offset %zu): a MULTI without its EXEC. You can: 1) Make "
                         "a backup of your AOF file, then use ./redis-check-aof --fix "
                         "<filename.manifest>. 2) Alternatively you can set the "
                         "'aof-load-truncated' configuration option to yes and restart the "
                         "server.", base_name(path), path, info.multi_offset);
                return -1;
            }
            kv_shard_log(NULL, 3, "!!! Truncating the AOF %s at offset %zu !!!", base_name(path),
                         info.multi_cut);
            if (truncate(path, (off_t)info.multi_cut) != 0) {
                snprintf(r->err, r->errlen, "Error truncating the AOF file %s: %s", path,
                         strerror(errno));
                return -1;
            }
        }
    }
    if (rc == KV_AOF_STOPPED)
        return -1;
    if (rc == KV_AOF_BAD) {
        char why[256];
        snprintf(why, sizeof why, "%s", r->err);
        snprintf(r->err, r->errlen, "Bad file format reading the append only file %s (%s, "
                 "offset %zu: %s): make a backup of your AOF file, then use ./redis-check-aof "
                 "--fix <filename.manifest>", base_name(path), path, bad, why);
        return -1;
    }
    if (rc == KV_AOF_TRUNCATED) {
        if (!last || !truncate_ok) {
            if (!last)
                snprintf(r->err, r->errlen, "Fatal error: the truncated file is not the last "
                         "file (%s, offset %zu)", path, valid);
            else
                snprintf(r->err, r->errlen, "Unexpected end of file reading the append only "
                         "file %s (%s, offset %zu). You can: 1) Make a backup of your AOF file, "
                         "then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively "
                         "you can set the 'aof-load-truncated' configuration option to yes and "
                         "restart the server.", base_name(path), path, valid);
            return -1;
        }
        if (truncate(path, (off_t)valid) != 0) {
            snprintf(r->err, r->errlen, "Error truncating the AOF file %s: %s", path,
                     strerror(errno));
            return -1;
        }
        kv_shard_log(NULL, 3, "!!! Warning: short read while loading the AOF file %s!!!",
                     base_name(path));
        kv_shard_log(NULL, 3, "!!! Truncating the AOF %s at offset %zu !!!", base_name(path),
                     valid);
        kv_shard_log(NULL, 3, "AOF %s loaded anyway because aof-load-truncated is enabled",
                     base_name(path));
    }
    return 0;
}

static void on_commit(void *arg, const char *p, size_t n, size_t offset)
{
    commits *c = arg;
    size_t tl = strlen(KV_AOF_COMMIT_TAG);
    (void)offset;
    if (n <= tl || memcmp(p, KV_AOF_COMMIT_TAG, tl) || n - tl >= sizeof c->id[0])
        return;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 64;
        if (!(c->id = realloc(c->id, c->cap * sizeof c->id[0])))
            abort();
    }
    memcpy(c->id[c->n], p + tl, n - tl);
    c->id[c->n][n - tl] = '\0';
    c->n++;
}

/* Every commit in every shard's incr files (a torn tail reads up to it). */
static void collect_commits(const kv_cfg *cfg, int nshards, commits *c)
{
    char dir[PATH_MAX], path[PATH_MAX + 600], err[256];
    kv_aof_read_cb cb;
    int s, i;
    memset(&cb, 0, sizeof cb);
    cb.arg = c;
    cb.annotation = on_commit;
    for (s = 0; s < nshards; s++) {
        kv_aof_manifest m;
        kv_aof_dir(cfg, s, dir, sizeof dir);
        if (kv_aof_manifest_load(dir, kv_cfg_get(cfg, "appendfilename"), &m, err,
                                 sizeof err) != 0)
            continue;
        /* History too: a shard done rewriting keeps its old incr files
         * until every shard is, for the commits in them. */
        for (i = 0; i < m.nincr + m.nhist; i++) {
            const char *name = i < m.nincr ? m.incr[i].name : m.hist[i - m.nincr].name;
            size_t nl = strlen(name);
            unsigned char *p;
            size_t n;
            if (nl < 9 || strcmp(name + nl - 9, ".incr.aof") != 0)
                continue;
            snprintf(path, sizeof path, "%s/%s", dir, name);
            if (map_file(path, &p, &n, err, sizeof err) != 0)
                continue;
            kv_aof_read(p, n, &cb, NULL, NULL, NULL, 0);
            if (p)
                munmap(p, n);
        }
        kv_aof_manifest_free(&m);
    }
    if (c->n)
        qsort(c->id, c->n, sizeof c->id[0], commit_cmp);
}

/* One shard's files (of a layout of nshards) into ks. */
static int load_shard_cfg(const kv_cmdset *cs, const kv_server *srv, const kv_cfg *cfg, int shard,
                          int nshards, const commits *cm, kv_keyspace *ks, char *err,
                          size_t errlen, int fn_reset)
{
    const char *fname = kv_cfg_get(cfg, "appendfilename");
    char dir[PATH_MAX], path[PATH_MAX + 600];
    kv_aof_manifest m;
    replay r;
    kv_cmdstate *st;
    kv_keyspace *own;
    int rc, i, truncate_ok = kv_cfg_yes(cfg, "aof-load-truncated");
    if (!cfg)
        return 0;
    kv_aof_dir(cfg, shard, dir, sizeof dir);
    rc = kv_aof_manifest_load(dir, fname, &m, err, errlen);
    if (rc != 0)
        return rc < 0 ? -1 : 0; /* none: an empty start */
    /* Every shard's files hold the whole history of the function libraries
     * (a change runs and is logged on every shard): each shard's replay at
     * startup starts from none, and they all end with the same ones. */
    if (fn_reset && srv->persist->fns.reset)
        srv->persist->fns.reset(srv->persist->fns.arg);
    /* Redis checks every file the manifest names before loading any. */
    for (i = -1; i < m.nincr; i++) {
        struct stat sb;
        const char *name = i < 0 ? m.base.name : m.incr[i].name;
        if (!name)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, name);
        if (stat(path, &sb) != 0) {
            snprintf(err, errlen, "Unable to obtain the AOF file %s length. stat: %s (%s)", name,
                     strerror(errno), path);
            kv_aof_manifest_free(&m);
            return -1;
        }
    }
    memset(&r, 0, sizeof r);
    r.key_delay_us = kv_cfg_ll(cfg, "key-load-delay");
    r.commits = cm;
    r.err = err;
    r.errlen = errlen;
    kv_buf_init(&r.out);
    if (!(r.local = kv_local_new(cs)))
        abort();
    st = kv_local_state(r.local);
    own = st->ks; /* the local server works on this shard's keyspace */
    st->ks = ks;
    ks->loading = 1;
    rc = 0;
    if (m.base.name) {
        size_t blen = strlen(m.base.name);
        snprintf(path, sizeof path, "%s/%s", dir, m.base.name);
        if (blen > 4 && !strcmp(m.base.name + blen - 4, ".rdb"))
            rc = kv_persist_load_file_into(srv, nshards, ks, shard, path, err, errlen);
        else
            rc = replay_file(&r, path, m.nincr == 0, truncate_ok);
    }
    for (i = 0; rc == 0 && i < m.nincr; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, m.incr[i].name);
        rc = replay_file(&r, path, i == m.nincr - 1, truncate_ok);
    }
    ks->loading = 0;
    /* Redis's first active-expiry cycle would take these at once. */
    {
        struct timeval tv;
        gettimeofday(&tv, NULL);
        kv_ks_purge_expired(ks, (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000);
    }
    st->ks = own;
    kv_local_free(r.local);
    kv_buf_free(&r.out);
    kv_aof_manifest_free(&m);
    if (rc == 0)
        kv_shard_log(NULL, 2, "Shard %d: AOF loaded (%lld commands)", shard, r.cmds);
    return rc;
}

/* The shard count the files were written with (this run's for a new AOF,
 * whose layout is recorded now); -1 with err if it cannot be read. */
static int layout_shards(const kv_server *srv, char *err, size_t errlen)
{
    const kv_cfg *cfg = srv->cfg;
    const char *dir = kv_cfg_get(cfg, "dir");
    char path[PATH_MAX];
    FILE *f;
    int n = -1;
    snprintf(path, sizeof path, "%s%s%s/kevy-shards", dir, *dir ? "/" : "",
             kv_cfg_get(cfg, "appenddirname"));
    if (!(f = fopen(path, "r"))) {
        if (errno != ENOENT) {
            snprintf(err, errlen, "Can't read %s: %s", path, strerror(errno));
            return -1;
        }
        if (kv_aof_layout_write(cfg, srv->nshards) != 0) {
            snprintf(err, errlen, "Can't write %s: %s", path, strerror(errno));
            return -1;
        }
        return srv->nshards;
    }
    if (fscanf(f, "shards %d", &n) != 1 || n < 1 || n > KV_PERSIST_MAX_SHARDS)
        n = -1;
    fclose(f);
    if (n < 0)
        snprintf(err, errlen, "Bad AOF layout file %s: expected 'shards <count>'", path);
    return n;
}

static void free_all(kv_keyspace **ks, int n)
{
    int i;
    for (i = 0; i < n; i++)
        if (ks[i])
            kv_ks_free(ks[i]);
    free(ks);
}

int kv_aof_load_startup(const kv_cmdset *cs, kv_server *srv, char *err, size_t errlen)
{
    kv_persist *p = srv->persist;
    kv_keyspace **ks, **now;
    commits cm;
    char top[PATH_MAX];
    const char *dir = kv_cfg_get(srv->cfg, "dir");
    int i, nold, rc = 0;
    if (kv_aof_reshard_recover(srv->cfg, err, errlen) != 0)
        return -1;
    snprintf(top, sizeof top, "%s%s%s", dir, *dir ? "/" : "", kv_cfg_get(srv->cfg, "appenddirname"));
    if (mkdir(top, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "Can't create the AOF directory %s: %s", top, strerror(errno));
        return -1;
    }
    if ((nold = layout_shards(srv, err, errlen)) < 0)
        return -1;
    if (!(ks = calloc((size_t)nold, sizeof *ks)))
        abort();
    p->loading_aof = 1; /* the replaying servers open no AOF of their own */
    p->cmdset = cs;
    memset(&cm, 0, sizeof cm);
    collect_commits(srv->cfg, nold, &cm);
    for (i = 0; rc == 0 && i < nold; i++) {
        ks[i] = kv_ks_new(srv->databases, srv->seed);
        rc = load_shard_cfg(cs, srv, srv->cfg, i, nold, &cm, ks[i], err, errlen, 1);
    }
    free(cm.id);
    p->loading_aof = 0;
    if (rc != 0) {
        free_all(ks, nold);
        return -1;
    }
    if (nold != srv->nshards) { /* another shard count: keys move by slot */
        if (!(now = calloc((size_t)srv->nshards, sizeof *now)))
            abort();
        for (i = 0; i < srv->nshards; i++)
            now[i] = kv_ks_new(srv->databases, srv->seed);
        rc = kv_aof_reshard(srv, ks, nold, now, err, errlen);
        free_all(ks, nold);
        if (rc != 0) {
            free_all(now, srv->nshards);
            return -1;
        }
        ks = now;
    }
    p->preload = ks;
    p->npreload = srv->nshards;
    return 0;
}

/* ------------------------------------------------------------ DEBUG LOADAOF */

/* This shard's part: its AOF flushed and fsync'd, then its keyspace
 * replaced by what its files replay to (Redis: flush, empty, load). */
static void kv_cmd_loadaof_part(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_cmdstate *st = kv_state(ctx);
    kv_persist *p = st->srv->persist;
    kv_keyspace *ks;
    char err[1024];
    int i, rc;
    (void)argc;
    (void)argv;
    if (!st->aof || !p->cmdset) {
        kv_reply_error(&ctx->out, "ERR the AOF is off");
        return;
    }
    kv_aof_flush(st, 1);
    ks = kv_ks_new(st->srv->databases, st->srv->seed);
    pthread_mutex_lock(&p->mu);
    p->loading_aof++;
    pthread_mutex_unlock(&p->mu);
    {
        commits cm;
        memset(&cm, 0, sizeof cm);
        collect_commits(st->cfg, st->srv->nshards, &cm);
        rc = load_shard_cfg(p->cmdset, st->srv, st->cfg, kv_shard_id(ctx->shard),
                            st->srv->nshards, &cm, ks, err, sizeof err, 0);
        free(cm.id);
    }
    pthread_mutex_lock(&p->mu);
    p->loading_aof--;
    pthread_mutex_unlock(&p->mu);
    if (rc != 0) {
        kv_shard_log(ctx->shard, 3, "%s", err);
        kv_ks_free(ks);
        kv_reply_error(&ctx->out, "ERR Error trying to load the AOF files, check server logs.");
        return;
    }
    for (i = 0; i < st->ks->ndb; i++) { /* the loaded databases replace the old ones */
        kv_db *t = st->ks->db[i];
        kv_watch_touch_db(st->watch, st->ks, i, -1);
        st->ks->db[i] = ks->db[i];
        ks->db[i] = t;
    }
    kv_ks_free(ks);
    pthread_mutex_lock(&p->mu); /* Redis: what was just loaded is not a change */
    p->saved_dirty[kv_shard_id(ctx->shard)] = st->dirty;
    pthread_mutex_unlock(&p->mu);
    kv_reply_status(&ctx->out, "OK");
}

const kv_cmd kv_persist_loadaof_cmd = {.name = "persist|loadaof", .arity = 1,
                                       .exec = kv_cmd_loadaof_part};

/* First every shard's buffer on disk: a shard's load reads every shard's
 * commits. */
static void kv_cmd_aofflush_part(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    (void)argv;
    if (kv_state(ctx)->aof)
        kv_aof_flush(kv_state(ctx), 1);
    kv_reply_status(&ctx->out, "OK");
}

const kv_cmd kv_persist_aofflush_cmd = {.name = "persist|aofflush", .arity = 1,
                                        .exec = kv_cmd_aofflush_part};
