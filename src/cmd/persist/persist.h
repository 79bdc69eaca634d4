/* RDB persistence: the server-wide save state (kv_persist, shared by the
 * shards behind its own mutex), point-in-time snapshots taken by every
 * shard from its own loop (snapshot.c), the thread that writes them to one
 * dump.rdb (saver.c), loading at startup and on DEBUG RELOAD (load.c), and
 * the commands (save_cmd.c). docs/architecture.md section 18 has the why. */
#ifndef KV_CMD_PERSIST_H
#define KV_CMD_PERSIST_H

#include <stddef.h>

#include "cmd/core/cmd.h"

typedef struct kv_persist kv_persist;
typedef struct kv_savejob kv_savejob;
typedef struct kv_snap kv_snap;

/* ----------------------------------------------------------- shared state */

/* Created by kv_commands_init for srv->nshards (at most KV_PERSIST_MAX_SHARDS). */
#define KV_PERSIST_MAX_SHARDS 1024
kv_persist *kv_persist_new(void);
void kv_persist_free(kv_persist *p);

/* The function libraries, server-wide state of the scripting family
 * (script/function.c), as saves and loads see them: save appends them as
 * RDB records (opcode 245 + code) or, for an AOF base of commands, as
 * FUNCTION LOAD commands; load adds one library's code (replacing one of
 * its name); reset drops them all. Set once at startup, before any shard. */
typedef struct kv_persist_fns {
    void (*save)(void *arg, kv_buf *out, int resp);
    int (*load)(void *arg, const char *code, size_t n, char *err, size_t errlen);
    void (*reset)(void *arg);
    void *arg;
} kv_persist_fns;
void kv_persist_set_fns(kv_persist *p, const kv_persist_fns *fns);

/* What INFO persistence and LASTSAVE report (a consistent copy). */
typedef struct kv_persist_info {
    int bgsave_in_progress;
    long long lastsave_s;          /* rdb_last_save_time */
    int last_bgsave_ok;            /* rdb_last_bgsave_status */
    long long last_bgsave_time_s;  /* -1: none yet */
    long long current_bgsave_start_ms; /* -1: none running */
    long long saves;               /* rdb_saves */
    long long keys_processed, keys_total;
    long long load_keys_loaded, load_keys_expired;
} kv_persist_info;
void kv_persist_get_info(kv_persist *p, kv_persist_info *out);
/* This shard's changes since the last successful save (INFO sums them). */
long long kv_persist_changes(const kv_cmdstate *st);

/* ------------------------------------------------------------ saving */

/* A save to dir/dbfilename of the shard's configuration. sync: the caller
 * waits for it (kv_savejob_wait); else its end is reported to the shard
 * that started it (sh), which records the result. Returns NULL (err set)
 * if the file cannot be created. nshards: how many shards will join. */
kv_savejob *kv_savejob_start(kv_shard *sh, kv_cmdstate *st, int nshards, int sync, char *err,
                             size_t errlen);
/* Wait for a sync job's file; 0 if it was written, -1 (err set) if not.
 * Frees the job and records the result. */
int kv_savejob_wait(kv_cmdstate *st, kv_savejob *job, char *err, size_t errlen);

/* Snapshots (snapshot.c). Begin this shard's part of job, under the locks
 * that make the moment the same on every shard; sync: serialize it all now. */
void kv_snap_begin(kv_cmdstate *st, kv_savejob *job, int sync);
/* FLUSHDB / FLUSHALL of db while a snapshot may be running: the snapshot
 * keeps the old contents (they are what it must save); returns 1 if it took
 * the db (then ks->db[db] is a new, empty one), 0 if the caller clears it. */
int kv_snap_take_db(kv_cmdstate *st, int db);
/* Abandon this shard's part of a running BGSAVE (FLUSHALL, as Redis kills
 * its child): the job is cancelled and leaves no file. */
void kv_snap_cancel(kv_cmdstate *st);
void kv_snap_free(kv_cmdstate *st); /* shard_fini */

/* FLUSHALL's part on each shard, after it emptied its databases: with
 * `save` points set, the home shard writes an empty dump.rdb (Redis's
 * flushAllDataAndResetRDB) and every shard counts its changes as saved. */
void kv_persist_flushall_save(kv_ctx *ctx);

/* Called by each shard's tick: publishes its dirty counter; shard 0 starts
 * a BGSAVE when a `save` point is reached (or one was scheduled). */
void kv_persist_tick(kv_shard *sh, kv_cmdstate *st);

/* stop-writes-on-bgsave-error: 1 (reply written) if the write must be refused. */
int kv_persist_refuse_write(kv_ctx *ctx);

/* ------------------------------------------------------------ loading */

/* At startup, before the shards run: read dir/dbfilename into one new
 * keyspace per shard (keys by slot), which shard_init adopts with
 * kv_persist_take_preload. 0, or -1 with err naming the file and offset. */
int kv_persist_load_startup(kv_server *srv, char *err, size_t errlen);
kv_keyspace *kv_persist_take_preload(kv_persist *p, int shard);
/* DEBUG RELOAD's second half: this shard loads its keys from path into its
 * keyspace, emptied first if flush; without merge a key already there is
 * an error (Redis's duplicate key), with it the file's value wins.
 * 0, or -1 with err. */
int kv_persist_load_shard(kv_cmdstate *st, const char *path, int flush, int merge, char *err,
                          size_t errlen);
/* DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: on one shard, and across shards
 * (DEBUG's coordination hands it over). */
void kv_persist_reload_exec(kv_ctx *ctx, int argc, const kv_str *argv);
int kv_persist_reload_coord(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv);

/* ------------------------------------------------------ append-only file */

typedef struct kv_aof kv_aof;
/* Open this shard's AOF (appendonly yes): create the directory, an empty
 * base and the first incr file when there are none and create is set. */
int kv_aof_open_shard(kv_cmdstate *st, int create, char *err, size_t errlen);
void kv_aof_close_shard(kv_cmdstate *st); /* flush, fsync, close */
/* The runtime's executed hook and turn_end's group commit. */
void kv_aof_executed(kv_ctx *ctx, int argc, const kv_str *argv);
void kv_aof_turn_end(kv_shard *sh, kv_cmdstate *st);
/* The buffer written (and fsynced as the policy says) in the middle of a
 * command, before replies leave early; what the command has open (a
 * script's MULTI) stays open: a crash leaves it torn, cut at load. */
void kv_aof_mid_turn_flush(kv_shard *sh, kv_cmdstate *st);
/* The runtime's txn_end hook: the commit of a transaction over shards. */
void kv_aof_txn_end(kv_shard *sh, void *state, unsigned long long txn, const kv_cmd *cmd);
/* Between these (on 1, off 0) what kv_aof_log logs is not part of any
 * command (active expiry in the tick): never wrapped with one. */
void kv_aof_outside(kv_cmdstate *st, int on);
/* DEBUG KEVY-AOF-WRITE-ERRORS n (kevy's test hook, enable-debug-command):
 * this shard's next n AOF writes fail as on a full disk. */
void kv_aof_inject_write_errors(kv_cmdstate *st, long long n);
/* DEBUG KEVY-AOF-SLOW-FSYNC ms (the same kind of hook): every later
 * everysec fsync of this shard takes ms longer, as on a busy disk. */
void kv_aof_slow_fsync(kv_cmdstate *st, long long ms);
/* DEBUG KEVY-AOF-FSYNC-ERRORS n: the next n everysec fsyncs fail (EIO). */
void kv_aof_fail_fsync(kv_cmdstate *st, long long n);
/* INFO's aof_pending_bio_fsync (an fsync running) and aof_delayed_fsync. */
void kv_aof_info_fsync(kv_cmdstate *st, long long *pending, long long *delayed);
/* A change made outside any command (an expired key's DEL, a blocked
 * client served) logged on this shard. */
void kv_aof_log(kv_cmdstate *st, int db, int argc, const kv_str *argv);
/* Startup with appendonly yes: replay each shard's AOF into its keyspace
 * (instead of dump.rdb, as Redis). 0, or -1 with err. */
int kv_aof_load_startup(const kv_cmdset *cs, kv_server *srv, char *err, size_t errlen);
/* EXEC running its queue on one shard: open (1) and close (0) the
 * MULTI ... EXEC frame its changes are logged in (nothing if none). */
void kv_aof_multi(kv_ctx *ctx, int open);
/* The command set replays run in-process (kv_commands_load gives it). */
void kv_persist_use_cmdset(kv_persist *p, const kv_cmdset *cs);
/* DEBUG LOADAOF's part on each shard (DEBUG's coordination sends it). */
extern const kv_cmd kv_persist_loadaof_cmd;
extern const kv_cmd kv_persist_aofflush_cmd; /* ...after this one on every shard */
/* BGREWRITEAOF on this shard: 0 started, 1 scheduled (a BGSAVE runs
 * here), -1 with err. */
int kv_aof_rewrite_start(kv_cmdstate *st, int in_exec, char *err, size_t errlen);
/* CONFIG SET: apply appendonly, appendfsync, aof-timestamp-enabled here;
 * -1 if appendonly is yes but the AOF could not be turned on (logged). */
int kv_aof_config(kv_cmdstate *st);
/* Each tick: a rewrite scheduled behind a BGSAVE starts. */
void kv_aof_tick(kv_cmdstate *st);
/* INFO: 1 if this shard's AOF is open, its incr file's size, its base's
 * size, bytes buffered, 1 after a write error. */
void kv_aof_info(const kv_cmdstate *st, long long *on, long long *size, long long *base,
                 long long *buf, long long *werr);
/* INFO: a rewrite runs here, one is scheduled, the last failed, rewrites
 * done, consecutive failures, seconds the last took, seconds this one has
 * run. */
void kv_aof_rewrite_info(const kv_cmdstate *st, long long *running, long long *scheduled,
                         long long *failed, long long *done, long long *fails, long long *last_s,
                         long long *cur_s);
/* shard_init: open this shard's AOF when appendonly is yes (not while the
 * startup replay runs); exits the process if it cannot, as Redis does. */
void kv_aof_shard_init(kv_cmdstate *st);

/* The file a save writes: dir/dbfilename from st's configuration. */
void kv_persist_path(const kv_cmdstate *st, char *out, size_t n);

#endif
