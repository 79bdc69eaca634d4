/* A restart with another shard count while appendonly is yes: the AOF that
 * N shards wrote is replayed into N keyspaces (aof_load.c), every key moves
 * to the shard its slot maps to now, and a new layout for this count is
 * written beside the old one and switched in by renames, so that a crash at
 * any moment leaves one whole layout to start from (docs/architecture.md,
 * section 19). */
#include "cmd/persist/aof_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd/config/cfg.h"
#include "store/crc64.h"
#include "store/rdbfile.h"

#define NEW_SUFFIX ".kevy-new" /* the layout being written */
#define OLD_SUFFIX ".kevy-old" /* the layout being replaced */
#define FLUSH_BYTES (1u << 20)

static void top_dir(const kv_cfg *cfg, const char *suffix, char *out, size_t n)
{
    const char *dir = kv_cfg_get(cfg, "dir");
    snprintf(out, n, "%s%s%s%s", dir, *dir ? "/" : "", kv_cfg_get(cfg, "appenddirname"), suffix);
}

/* rm -r of a layout kevy wrote: two levels, plain files. */
static int remove_tree(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *de;
    char sub[PATH_MAX + 300];
    if (!d)
        return errno == ENOENT ? 0 : -1;
    while ((de = readdir(d))) {
        struct stat sb;
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
        if (lstat(sub, &sb) == 0 && S_ISDIR(sb.st_mode))
            remove_tree(sub);
        else
            unlink(sub);
    }
    closedir(d);
    return rmdir(path);
}

static int exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static void parent_of(const char *path, char *out, size_t n)
{
    char *slash;
    snprintf(out, n, "%s", path);
    slash = strrchr(out, '/');
    if (!slash)
        snprintf(out, n, ".");
    else if (slash == out)
        out[1] = '\0';
    else
        *slash = '\0';
}

/* The switch is: write NEW (its kevy-shards file last), rename the live
 * layout to OLD, rename NEW to the live name, remove OLD. A crash leaves
 * one of these states, each resolved here before anything is loaded. */
int kv_aof_reshard_recover(const kv_cfg *cfg, char *err, size_t errlen)
{
    char live[PATH_MAX], nw[PATH_MAX + 16], old[PATH_MAX + 16], marker[PATH_MAX + 32];
    char parent[PATH_MAX];
    top_dir(cfg, "", live, sizeof live);
    top_dir(cfg, NEW_SUFFIX, nw, sizeof nw);
    top_dir(cfg, OLD_SUFFIX, old, sizeof old);
    parent_of(live, parent, sizeof parent);
    snprintf(marker, sizeof marker, "%s/kevy-shards", nw);
    if (!exists(live) && exists(marker)) { /* between the two renames */
        if (rename(nw, live) != 0) {
            snprintf(err, errlen, "Can't rename %s to %s: %s", nw, live, strerror(errno));
            return -1;
        }
        kv_aof_fsync_dir(parent);
        kv_shard_log(NULL, 2, "Finished switching to the AOF layout in %s", live);
    }
    if (exists(nw)) { /* written only in part: the live layout still holds */
        kv_shard_log(NULL, 2, "Removing the unfinished AOF layout %s", nw);
        remove_tree(nw);
    }
    if (exists(old) && exists(live))
        remove_tree(old);
    return 0;
}

/* ------------------------------------------------------------ moving keys */

typedef struct mover {
    kv_db *from;
    kv_keyspace **to;
    int nshards, db;
} mover;

static void move_entry(void *arg, kv_entry *e)
{
    mover *m = arg;
    size_t klen;
    const char *key = kv_entry_key(e, &klen);
    long long when = kv_entry_has_expire(e) ? kv_db_get_expire(m->from, e) : -1;
    int created;
    kv_db *dst = m->to[kv_slot_shard(kv_key_slot(key, klen), m->nshards)]->db[m->db];
    kv_entry *ne = kv_db_upsert(dst, key, klen, &created);
    /* A key lives on one shard only: a duplicate would mean two old shards
     * held it, which their slots rule out. Keep the first. */
    if (created) {
        kv_db_set_val(dst, ne, kv_db_take_val(m->from, e));
        if (when >= 0)
            kv_db_set_expire(dst, ne, when);
    }
    kv_db_delete_entry(m->from, e); /* the scan allows deleting what it hands over */
}

static void move_all(kv_keyspace **old, int nold, kv_keyspace **nw, int nnew)
{
    int s, d;
    for (s = 0; s < nold; s++) {
        for (d = 0; d < old[s]->ndb; d++) {
            mover m;
            m.from = old[s]->db[d];
            m.to = nw;
            m.nshards = nnew;
            m.db = d;
            while (kv_db_size(m.from) > 0) {
                unsigned long cursor = 0;
                do
                    cursor = kv_db_scan(m.from, cursor, move_entry, &m);
                while (cursor != 0);
            }
        }
    }
}

/* ------------------------------------------------------ writing a layout */

typedef struct basew {
    int fd, rdb, compress, failed;
    kv_db *db;
    kv_buf buf;
    uint64_t crc;
} basew;

static void bw_flush(basew *w, int always)
{
    size_t off = 0;
    if (!always && w->buf.len < FLUSH_BYTES)
        return;
    if (w->rdb)
        w->crc = kv_crc64(w->crc, w->buf.p, w->buf.len);
    while (!w->failed && off < w->buf.len) {
        ssize_t n = write(w->fd, w->buf.p + off, w->buf.len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            w->failed = errno ? errno : EIO;
        else
            off += (size_t)n;
    }
    w->buf.len = 0;
}

static void bw_key(void *arg, kv_entry *e)
{
    basew *w = arg;
    size_t klen;
    const char *key = kv_entry_key(e, &klen);
    long long when = kv_entry_has_expire(e) ? kv_db_get_expire(w->db, e) : -1;
    if (w->rdb)
        kv_rdbf_write_key(&w->buf, key, klen, kv_entry_val(e), when, w->compress);
    else
        kv_aof_write_key(&w->buf, key, klen, kv_entry_val(e), when);
    bw_flush(w, 0);
}

/* One shard's base: an RDB with aof-base set (aof-use-rdb-preamble yes) or
 * the commands that rebuild each key, as a rewrite writes it. */
static int write_base(const kv_cfg *cfg, const kv_persist_fns *fns, kv_keyspace *ks,
                      const char *path, int rdb, char *err, size_t errlen)
{
    basew w;
    int d;
    memset(&w, 0, sizeof w);
    w.rdb = rdb;
    w.compress = kv_cfg_yes(cfg, "rdbcompression");
    kv_buf_init(&w.buf);
    w.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w.fd < 0) {
        snprintf(err, errlen, "Can't create the AOF base file %s: %s", path, strerror(errno));
        kv_buf_free(&w.buf);
        return -1;
    }
    if (rdb)
        kv_rdbf_write_header(&w.buf, (long long)time(NULL), 0, 1);
    if (fns->save) /* every shard's base holds the libraries, as each shard's log does */
        fns->save(fns->arg, &w.buf, !rdb);
    for (d = 0; d < ks->ndb; d++) {
        unsigned long cursor = 0;
        if (kv_db_size(ks->db[d]) == 0)
            continue;
        w.db = ks->db[d];
        if (rdb) {
            kv_rdbf_write_selectdb(&w.buf, d);
            kv_rdbf_write_resizedb(&w.buf, kv_db_size(w.db), kv_db_expires_size(w.db));
        } else {
            kv_aof_write_select(&w.buf, d);
        }
        do
            cursor = kv_db_scan(w.db, cursor, bw_key, &w);
        while (cursor != 0);
    }
    if (rdb) {
        kv_rdbf_write_eof(&w.buf);
        bw_flush(&w, 1);
        kv_rdbf_write_crc(&w.buf, kv_cfg_yes(cfg, "rdbchecksum") ? w.crc : 0);
    }
    bw_flush(&w, 1);
    if (!w.failed && fsync(w.fd) != 0)
        w.failed = errno;
    close(w.fd);
    kv_buf_free(&w.buf);
    if (w.failed) {
        snprintf(err, errlen, "Can't write the AOF base file %s: %s", path, strerror(w.failed));
        return -1;
    }
    return 0;
}

/* shard-<i>/ under top: the base, an empty incr file and the manifest. */
static int write_shard(const kv_cfg *cfg, const kv_persist_fns *fns, kv_keyspace *ks,
                       const char *top, int shard, char *err, size_t errlen)
{
    const char *fname = kv_cfg_get(cfg, "appendfilename");
    int rdb = kv_cfg_yes(cfg, "aof-use-rdb-preamble"), fd, rc = -1;
    char dir[PATH_MAX + 64], path[2 * PATH_MAX + 64];
    const char *name;
    kv_aof_manifest m;
    kv_aof_manifest_init(&m);
    snprintf(dir, sizeof dir, "%s/shard-%d", top, shard);
    if (mkdir(dir, 0755) != 0) {
        snprintf(err, errlen, "Can't create the AOF directory %s: %s", dir, strerror(errno));
        goto out;
    }
    if (!(name = kv_aof_manifest_new_base(&m, fname, rdb))) {
        snprintf(err, errlen, "Bad appendfilename for the AOF base file");
        goto out;
    }
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (write_base(cfg, fns, ks, path, rdb, err, errlen) != 0)
        goto out;
    if (!(name = kv_aof_manifest_new_incr(&m, fname))) {
        snprintf(err, errlen, "Bad appendfilename for the AOF incr file");
        goto out;
    }
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
        snprintf(err, errlen, "Can't create the AOF incr file %s: %s", path, strerror(errno));
        goto out;
    }
    close(fd);
    if (kv_aof_manifest_save(dir, fname, &m, err, errlen) != 0)
        goto out;
    rc = kv_aof_fsync_dir(dir) == 0 ? 0 : -1;
    if (rc != 0)
        snprintf(err, errlen, "Can't fsync the AOF directory %s: %s", dir, strerror(errno));
out:
    kv_aof_manifest_free(&m);
    return rc;
}

static int write_marker(const char *top, int nshards, char *err, size_t errlen)
{
    char path[PATH_MAX + 32];
    FILE *f;
    snprintf(path, sizeof path, "%s/kevy-shards", top);
    if (!(f = fopen(path, "w"))) {
        snprintf(err, errlen, "Can't create %s: %s", path, strerror(errno));
        return -1;
    }
    fprintf(f, "shards %d\nslots crc16-contiguous\n", nshards);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        snprintf(err, errlen, "Can't write %s: %s", path, strerror(errno));
        fclose(f);
        return -1;
    }
    fclose(f);
    return kv_aof_fsync_dir(top);
}

int kv_aof_reshard(const kv_server *srv, kv_keyspace **old, int nold, kv_keyspace **nw,
                   char *err, size_t errlen)
{
    const kv_cfg *cfg = srv->cfg;
    char live[PATH_MAX], tmp[PATH_MAX + 16], gone[PATH_MAX + 16], parent[PATH_MAX];
    int i;
    move_all(old, nold, nw, srv->nshards);
    top_dir(cfg, "", live, sizeof live);
    top_dir(cfg, NEW_SUFFIX, tmp, sizeof tmp);
    top_dir(cfg, OLD_SUFFIX, gone, sizeof gone);
    parent_of(live, parent, sizeof parent);
    remove_tree(tmp);
    remove_tree(gone);
    if (mkdir(tmp, 0755) != 0) {
        snprintf(err, errlen, "Can't create the AOF directory %s: %s", tmp, strerror(errno));
        return -1;
    }
    for (i = 0; i < srv->nshards; i++)
        if (write_shard(cfg, &srv->persist->fns, nw[i], tmp, i, err, errlen) != 0)
            return -1;
    /* The marker last: a NEW layout without it is unfinished. */
    if (write_marker(tmp, srv->nshards, err, errlen) != 0 || kv_aof_fsync_dir(parent) != 0)
        return -1;
    if (rename(live, gone) != 0 || rename(tmp, live) != 0) {
        snprintf(err, errlen, "Can't switch to the AOF layout in %s: %s", tmp, strerror(errno));
        return -1;
    }
    kv_aof_fsync_dir(parent);
    remove_tree(gone);
    kv_shard_log(NULL, 2, "The AOF was written by %d shards: its keys were redistributed over "
                 "%d and a new AOF layout written in %s", nold, srv->nshards, live);
    return 0;
}
