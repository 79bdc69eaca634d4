/* What the AOF files of src/cmd/persist share: a shard's append-only file
 * (its directory, manifest, open incr file, the turn's buffer) and the
 * everysec fsync thread. Not for families (they use kv_propagate). */
#ifndef KV_CMD_PERSIST_AOF_INT_H
#define KV_CMD_PERSIST_AOF_INT_H

#include "cmd/persist/persist_int.h"
#include "store/aoffile.h"

#define KV_FSYNC_NO 0
#define KV_FSYNC_EVERYSEC 1
#define KV_FSYNC_ALWAYS 2

struct kv_cfg;

struct kv_aof {
    char dir[PATH_MAX];     /* <dir>/<appenddirname>/shard-<i> */
    kv_aof_manifest m;
    int fd;                 /* the last incr file, O_APPEND */
    kv_buf buf;             /* this turn's commands, written at turn_end */
    int db;                 /* the database the file is at (last SELECT) */
    int in_multi;           /* EXEC runs its queue: frame what it changes */
    int tx_open;            /* a transaction part's block: MULTI written, EXEC owed */
    /* What the running command logged: more than one entry is wrapped in
     * MULTI ... EXEC, as Redis 7.0 does (SPOP's SREMs, an expired key's DEL
     * and the command). */
    int cmd_n, cmd_wrapped;
    size_t cmd_start;       /* where its first entry starts in buf */
    int outside;            /* logging outside any command (active expiry) */
    int force_fsync;        /* a transaction part was logged: on disk before it replies */
    char runid[9];          /* this run's tag on transaction ids */
    int multi_logged;       /* ...and MULTI was written */
    int policy, timestamps;
    int no_fsync_on_rewrite; /* no-appendfsync-on-rewrite */
    long long last_ts;      /* last "#TS:" second written */
    long long size;         /* bytes in the incr file */
    long long base_size;    /* bytes in the base file when opened */
    int write_err;          /* errno of the last failed write, 0 if fine */
    long long inject_errors; /* a test's full disk: that many writes fail */
    int unsynced;           /* everysec: written since the last fsync */
    long long last_fsync_ms;
    /* everysec with a slow disk (Redis's aof_flush_postponed_start): the
     * time writes were first held back for a running fsync, 0 if not */
    long long postponed_ms;
    long long delayed_fsync; /* writes done anyway after 2 s (INFO) */
    /* rewrites (aof_rewrite.c) */
    int rewriting;
    int gc_pending;         /* the rewrite is done; its old files wait for the other shards */
    int first;              /* turned on at run time: no manifest until the base is done */
    int offline;            /* BGREWRITEAOF with appendonly no: a base, no logging */
    int preamble;           /* the running rewrite's base is an RDB */
    long long rewrite_start_ms;
    long long rw_base;      /* the AOF's size after the last rewrite (or the load) */
    /* everysec: the fsync thread (Redis's bio) */
    pthread_t bio;
    int bio_started, bio_pending, bio_stop;
    long long bio_slow_ms;  /* DEBUG KEVY-AOF-SLOW-FSYNC: each fsync takes that long */
    long long bio_fail;     /* DEBUG KEVY-AOF-FSYNC-ERRORS: that many fsyncs fail (EIO) */
    int bio_err;            /* errno of the thread's last fsync, 0 if it worked */
    int fsync_failed;       /* the shard counts as failing (MISCONF) for it */
    char bio_cpulist[256];  /* the fsync thread's CPUs (bio_cpulist) */
    pthread_mutex_t bio_mu;
    pthread_cond_t bio_cv;
};

int kv_aof_policy(const char *appendfsync);
/* The annotations framing transactions over several shards (section 19):
 * "#kevy-tx:<run>:<txn>" before a part's MULTI ... EXEC block on each
 * shard, "#kevy-commit:<run>:<txn>" on the home shard once every part is on
 * disk. A block is replayed only if its commit is found. */
#define KV_AOF_TX_TAG "kevy-tx:"
#define KV_AOF_COMMIT_TAG "kevy-commit:"
/* A key as the commands that rebuild it (aof_base.c). */
void kv_aof_write_key(kv_buf *out, const char *key, size_t klen, kv_obj *o, long long expire_ms);
/* <dir>/<appenddirname>/kevy-shards: created with this count if missing. */
int kv_aof_layout_write(const struct kv_cfg *cfg, int nshards);
int kv_aof_make_dirs(const char *path);
/* aof_reshard.c: before loading, finish or discard a layout switch a crash
 * interrupted; 0, or -1 with err. */
int kv_aof_reshard_recover(const struct kv_cfg *cfg, char *err, size_t errlen);
/* Move every key of old[0..nold) into nw (srv->nshards keyspaces, by slot;
 * old ends empty), write the AOF layout for srv->nshards from nw and
 * switch to it; 0, or -1 with err (the old layout is then still live). */
int kv_aof_reshard(const kv_server *srv, kv_keyspace **old, int nold, kv_keyspace **nw,
                   char *err, size_t errlen);
void kv_aof_dir(const struct kv_cfg *cfg, int shard, char *out, size_t n);
int kv_aof_fsync_dir(const char *dir);
/* Write the buffer (and fsync as the policy says, or always if
 * force_fsync); 0, or -1 after a write error (the rest stays buffered). */
int kv_aof_flush(kv_cmdstate *st, int force_fsync);
/* aof_fsync.c: the thread started; is an fsync of it running now? */
void kv_aof_bio_start(kv_aof *a);
int kv_aof_bio_busy(kv_aof *a);
/* everysec: ask the thread for an fsync; -1 if one is still running. */
int kv_aof_bio_fsync(kv_cmdstate *st);
void kv_aof_bio_stop(kv_aof *a);
void kv_aof_clear_write_err(kv_cmdstate *st);
/* everysec: the fsync thread's last result, turned into MISCONF (tick). */
void kv_aof_check_fsync(kv_cmdstate *st);

#endif
