/* What the files of src/cmd/persist share: the server-wide save state and
 * a save job (the chunks shards hand the saver thread). Not for families. */
#ifndef KV_CMD_PERSIST_INT_H
#define KV_CMD_PERSIST_INT_H

#include <limits.h>
#include <pthread.h>

#include "cmd/persist/persist.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

/* Redis's CONFIG_BGSAVE_RETRY_DELAY: after a failed BGSAVE the `save`
 * points wait this long before trying again. */
#define KV_BGSAVE_RETRY_DELAY_MS 5000

/* One shard's AOF rewrite counters (INFO), kept while the AOF is off too;
 * only that shard touches its entry. */
typedef struct kv_aof_stats {
    int err;               /* the last rewrite failed */
    long long done, failures, last_s;
} kv_aof_stats;

enum { KV_AOF_CUTTING, KV_AOF_AT_CUT, KV_AOF_CUT_FAILED };

struct kv_persist {
    pthread_mutex_t mu;          /* guards everything below but `dirty` */
    kv_savejob *bg;              /* the BGSAVE running, NULL if none */
    int bg_scheduled;            /* BGSAVE SCHEDULE waits for the running one */
    long long lastsave_s;
    int bgsave_err;              /* the last BGSAVE failed: rt/atomic.h only (every write reads it) */
    int aof_write_err;           /* shards that cannot write their AOF: rt/atomic.h only */
    int aof_errno;               /* the last such error (rt/atomic.h) */
    long long last_bgsave_time_s;
    long long last_try_ms;       /* when the last BGSAVE started (retry delay) */
    long long saves;
    long long load_loaded, load_expired;
    unsigned long long seq;      /* temp file names */
    kv_savejob *pending;         /* the job a save coordination hands its shards */
    kv_savejob *live;            /* every BGSAVE not yet recorded by its owner */
    int loading_aof;             /* startup replay: its in-process servers log nothing */
    int aof_rewriting;           /* shards rewriting their AOF (each walks a snapshot) */
    /* Per shard, KV_AOF_AT_CUT unless a rewrite began on it and its new
     * manifest is not on disk: KV_AOF_CUTTING while it runs,
     * KV_AOF_CUT_FAILED once it failed (until one succeeds). Old files of
     * any shard go only while every shard is at its cut: one that is not
     * may load a block whose commit is in another's old file. */
    unsigned char aof_at_cut[KV_PERSIST_MAX_SHARDS];
    int aof_rw_scheduled;        /* a rewrite of every shard waits (a BGSAVE, EXEC, a SAVE) */
    const kv_cmdset *cmdset;     /* replays run it in-process (set at the startup load) */
    /* Per shard: the dirty counter at the cut of the last successful save
     * (rdb_changes_since_last_save is dirty - this), and the counter as the
     * shard last published it (rt/atomic.h only; read by shard 0's tick). */
    long long saved_dirty[KV_PERSIST_MAX_SHARDS];
    kv_aof_stats aofst[KV_PERSIST_MAX_SHARDS];
    /* Each shard's AOF size and its size after its last rewrite, published
     * by its tick (rt/atomic.h) for auto-aof-rewrite-percentage. */
    long long aof_size[KV_PERSIST_MAX_SHARDS], aof_rw_base[KV_PERSIST_MAX_SHARDS];
    long long dirty[KV_PERSIST_MAX_SHARDS];
    kv_keyspace **preload;       /* startup load, one per shard, adopted once */
    int npreload;
    kv_persist_fns fns;          /* the function libraries (fixed before the shards run) */
};

/* One piece of a snapshot: whole entries of one database. */
typedef struct kv_chunk {
    struct kv_chunk *next;
    int db;
    size_t len;
    long long keys;
    char *bytes;
} kv_chunk;

struct kv_savejob {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    kv_chunk *head, *tail;
    size_t queued;               /* bytes waiting for the saver */
    int shards_left;             /* shards still serializing */
    int cancelled;               /* FLUSHALL: leave no file */
    int done, ok;
    char err[512];
    long long keys;              /* entries written (shards add theirs) */
    long long cut_dirty[KV_PERSIST_MAX_SHARDS];
    unsigned char cut_set[KV_PERSIST_MAX_SHARDS]; /* the shard joined: record its cut */
    /* Read-only once the thread runs. */
    char path[PATH_MAX], tmp[PATH_MAX];
    int fd, compress, checksum, sync;
    long long key_delay_us;      /* rdb-key-save-delay: a test's slow disk */
    int incremental_fsync;       /* fsync every 4 MB written */
    size_t unsynced;             /* bytes written since the last fsync (saver thread) */
    long long start_ms;
    pthread_t thread;
    int pipefd[2];               /* async: the saver's "done" to the owner shard */
    kv_fdwatch *watch;
    kv_persist *persist;
    int owner;                   /* the shard that records the end (async) */
    int aof_base;                /* an AOF rewrite's base (aux aof-base 1) */
    int resp;                    /* ...written as commands (aof-use-rdb-preamble no) */
    char cpulist[256];           /* bgsave_cpulist or aof_rewrite_cpulist */
    void (*done_fn)(kv_shard *sh, kv_cmdstate *st, kv_savejob *job);
    struct kv_savejob *next_live;
    kv_buf fnbuf;                /* the function libraries at the cut, written first */
};

/* saver.c, for snapshot.c: hand over a chunk (bytes owned by the job from
 * now on), report this shard finished (with its key count), and the bytes
 * still queued (a shard's walk waits while it is high). */
void kv_savejob_push(kv_savejob *job, int db, char *bytes, size_t len, long long keys);
void kv_savejob_shard_done(kv_savejob *job, long long keys);
size_t kv_savejob_backlog(kv_savejob *job);
/* Leave no file (FLUSHALL, SHUTDOWN, DEBUG RELOAD during a BGSAVE). */
void kv_savejob_cancel(kv_savejob *job);
void kv_savejob_cut(kv_savejob *job, int shard, long long dirty);

void kv_savejob_free(kv_savejob *job); /* after its thread was joined */
/* A job writing path (NULL: dir/dbfilename) whose end calls done on the
 * owner shard instead of recording an RDB save (an AOF rewrite's base). */
typedef void (*kv_savejob_done_fn)(kv_shard *sh, kv_cmdstate *st, kv_savejob *job);
kv_savejob *kv_savejob_start_to(kv_shard *sh, kv_cmdstate *st, int nshards, int sync,
                                const char *path, kv_savejob_done_fn done, int resp, char *err,
                                size_t errlen);
/* shard_fini: the BGSAVEs this shard owns end with it (after kv_snap_free). */
void kv_savejob_shard_fini(kv_shard *sh, kv_cmdstate *st);

/* save_cmd.c: start a BGSAVE from a tick (the server's own client). */
int kv_persist_bgsave_from_tick(kv_shard *sh, kv_cmdstate *st);

/* load.c: an RDB file's keys of one shard (of a layout of nshards) into
 * ks (an AOF's base). */
int kv_persist_load_file_into(const kv_server *srv, int nshards, kv_keyspace *ks, int shard,
                              const char *path, char *err, size_t errlen);

/* state.c: the save's result, recorded in the server's state. */
void kv_persist_record(kv_persist *p, const kv_savejob *job, int nshards, long long now_ms);

#endif
