/* Blocking commands (BLPOP and family, BZPOPMIN and family, WAIT): the
 * engine the families plug into. A blocked client waits on its home shard
 * (suspended: kv_ctx_suspend); each shard owning one of its keys keeps it in
 * that key's FIFO of waiters (waiters.c). When a key becomes non-empty the
 * owner serves its first waiter after the unit of work that filled it
 * (after_command): inline when the client and everything the serve touches
 * are on that shard, else by telling the client's home, which serves it
 * under the keys' locks and undoes the pop if the client went away
 * (blocked.c). docs/architecture.md section 15 has the protocol. */
#ifndef KV_CMD_BLOCK_H
#define KV_CMD_BLOCK_H

#include "cmd/core/cmd.h"

/* What a family says of one blocking command (its descriptor's data). */
typedef struct kv_blocker kv_blocker;

/* A blocking command's arguments, as its parse found them. */
typedef struct kv_blockargs {
    int nkeys;
    int *keyidx;          /* argv index of each key, in argument order (room for argc) */
    int dst;              /* argv index of BLMOVE's destination, 0 if none */
    long long timeout_ms; /* 0: wait forever */
} kv_blockargs;

struct kv_blocker {
    int type; /* the value type a ready key holds: KV_TYPE_LIST, KV_TYPE_ZSET; 0 (WAIT): none */
    /* Syntax and timeout (Redis's errors, replied); 0 or -1. */
    int (*parse)(kv_ctx *ctx, int argc, const kv_str *argv, kv_blockargs *a);
    /* The request that serves the client from the key at argv[keyi], the
     * non-blocking form on that key: fills sub (room for argc + 4 entries;
     * scratch holds 64 bytes for numbers) and returns its argc, *cmd its
     * command. Its reply is the client's, or a null reply if the key cannot
     * serve (missing: a race lost). A COORD command (LMOVE) runs nested.
     * later: a blocked client served (0: served as the command ran), which
     * the AOF may log differently, as Redis does (BLMOVE's sides). */
    int (*serve)(int argc, const kv_str *argv, int keyi, int later, kv_str *sub, char *scratch,
                 const kv_cmd **cmd);
    /* The request that puts back what a serve replying r took (the client
     * went away before its reply): fills sub (room for 2 * elements + 4),
     * returns its argc, 0 if nothing to undo. Element bytes point into r. */
    int (*undo)(int argc, const kv_str *argv, int keyi, kv_str r, int proto, kv_str *sub,
                char *scratch, const kv_cmd **cmd);
    /* The reply for "no element" inside MULTI (it never blocks there), and
     * when the block times out or CLIENT UNBLOCK ends it (a null array for
     * every pop, even BLMOVE's, as in Redis). */
    void (*none)(kv_reply *out);
    void (*timeout)(kv_reply *out);
    /* Streams (NULL for the others, whose key is ready when it holds a
     * value of `type`, WRONGTYPE when another): is the key at argv[keyi],
     * holding o (NULL: missing), ready for this command? 1: serve it now
     * (data, or an answer such as an error: XREADGROUP's key gone), 0: not
     * (keep waiting), -1: WRONGTYPE. later: a blocked client looked at
     * after a change, else the command as it runs. The engine asks it
     * wherever it would look at the key's existence, the key's owner
     * included (such a registration carries the command's arguments). */
    int (*ready)(const kv_obj *o, int argc, const kv_str *argv, int keyi, int later);
    /* What the client waits for on argv[keyi] is fixed when it blocks
     * (XREAD's $: the stream's last ID then): the argv index to rewrite
     * (0: none), and fix writes its new text (into buf, 48 bytes) to *out. */
    int (*waitarg)(int argc, const kv_str *argv, int keyi);
    void (*fix)(const kv_obj *o, const kv_str *arg, char *buf, kv_str *out);
};

/* Is the key at argv[keyi], holding o (NULL: missing), ready for b (its
 * ready hook, else "holds a value of b's type")? 1, 0, -1: WRONGTYPE. */
int kv_block_key_ready(const kv_blocker *b, const kv_obj *o, int argc, const kv_str *argv,
                       int keyi, int later);

/* Per shard: the waiters on this shard's keys (waiters.c). */
typedef struct kv_blockreg kv_blockreg;
kv_blockreg *kv_blockreg_new(kv_shard *sh);
void kv_blockreg_free(kv_blockreg *r);

/* A key was modified (kv_signal_modified): if clients wait on it, it is
 * looked at after the current unit of work. One branch when nobody waits. */
void kv_block_touch_slow(kv_ctx *ctx, int db, const kv_str *key);
static inline void kv_block_touch(kv_ctx *ctx, int db, const kv_str *key)
{
    if (kv_state(ctx)->blk_keys)
        kv_block_touch_slow(ctx, db, key);
}
/* SWAPDB: every key waited on in these databases is looked at. */
void kv_block_touch_db(kv_shard *sh, kv_cmdstate *st, int a, int b);
/* The after_command hook: serve the waiters of keys that became ready. */
void kv_block_serve_ready(kv_shard *sh, kv_cmdstate *st);

/* A blocking command's exec (every key on the home shard) and coord (keys
 * spread): serve at once from the first non-empty key in argument order,
 * or answer "none" inside MULTI, or block. */
void kv_block_exec(kv_ctx *ctx, int argc, const kv_str *argv, const kv_blocker *b);
int kv_block_coord(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv, const kv_blocker *b);
/* A timeout argument as Redis 7.0.15 reads one: seconds as a long double
 * (BLPOP...), rounded up to milliseconds, or milliseconds as an integer
 * (WAIT); 0 waits forever. Errors replied (when ctx is given) with Redis's
 * texts; 0 or -1. */
int kv_block_timeout_arg(kv_ctx *ctx, const kv_str *arg, int seconds, long long *ms);
/* Shared by the families: keys 1..argc-2 then a timeout in seconds
 * (BLPOP, BZPOPMIN...); "timeout numkeys key... <side> [COUNT n]" (BLMPOP,
 * BZMPOP: side_ok checks the side word), checked in Redis's order (numkeys,
 * side, COUNT, then the timeout); the "none" replies. */
int kv_block_parse_keys(kv_ctx *ctx, int argc, const kv_str *argv, kv_blockargs *a);
int kv_block_parse_mpop(kv_ctx *ctx, int argc, const kv_str *argv, kv_blockargs *a,
                        int (*side_ok)(const kv_str *side));
/* The serve request of BLMPOP/BZMPOP "timeout numkeys key... <side>
 * [COUNT n]" from argv[keyi]: "<name> 1 <key> <side> [COUNT n]". */
int kv_block_serve_mpop(const char *name, int argc, const kv_str *argv, int keyi, kv_str *sub);
void kv_block_none_array(kv_reply *out);
void kv_block_none_bulk(kv_reply *out);
/* The exec and coord of a blocking command whose descriptor data is its
 * kv_blocker: the table entry is KV_BLOCKING("name", blocker). */
void kv_block_cmd(kv_ctx *ctx, int argc, const kv_str *argv);
int kv_block_cmd_coord(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv);
#define KV_BLOCKING(nm, b)                                                                    \
    {.name = nm, .flags = KV_CMD_DELEGATES, .route = KV_ROUTE_COORD, .exec = kv_block_cmd,   \
     .coord = kv_block_cmd_coord, .lockkeys = kv_block_lockkeys, .data = &(b)}
/* The lockkeys hook of every blocking command: its keys and destination
 * (it always runs on its client's home shard). */
int kv_block_lockkeys(kv_ctx *ctx, int argc, const kv_str *argv, kv_str *keys, int max,
                      int *whole);

/* The client side, on the client's home shard (blocked.c). */
/* How a client's block ended (its session's block_end, for the statistics
 * of the reply that ends it: svc.c). */
#define KV_BLOCK_END_SERVED 0
#define KV_BLOCK_END_TIMEOUT 1  /* its timeout */
#define KV_BLOCK_END_UNBLOCK 2  /* CLIENT UNBLOCK, TIMEOUT or ERROR: a failed call */
/* Is this client blocked (CLIENT LIST's flag b)? */
int kv_block_client_blocked(kv_conn *c);
/* CLIENT UNBLOCK: 1 if the client was blocked here (it gets a timeout's
 * reply, or with error the UNBLOCKED error), else 0. */
int kv_block_unblock(kv_shard *sh, kv_cmdstate *st, unsigned long long id, int error);
/* CLIENT UNBLOCK's check and exec (a client subcommand, run on every
 * shard: the one holding the client answers 1). */
int kv_check_client_unblock(kv_ctx *ctx, int argc, const kv_str *argv);
void kv_cmd_client_unblock(kv_ctx *ctx, int argc, const kv_str *argv);
/* The connection closed: its registrations go, a serve in flight undoes. */
void kv_block_client_gone(kv_shard *sh, kv_cmdstate *st, kv_conn *c);

/* Internal commands between shards (the protocol of section 15). */
extern const kv_cmd kv_blk_probe;    /* key type -> :0 missing, :1 that type, WRONGTYPE */
extern const kv_cmd kv_blk_register; /* home id seq type local key... */
extern const kv_cmd kv_blk_unregister; /* id seq */
extern const kv_cmd kv_blk_ready;    /* owner id seq db key: to the client's home */
extern const kv_cmd kv_blk_outcome;  /* id seq db key result: back to the owner */
extern const kv_cmd kv_blk_serve;    /* key [dst] keyi: run at home with resume_cmd */

/* ------------------------------------------- between the engine's files */

/* waiters.c is the side of the shard owning a key; blocked.c the side of
 * the blocked client's home shard; engine.c the command when it runs. */
/* What became of a waiter the owner offered a key to. */
#define KV_SERVE_DONE 1 /* served (or its block ended): forget the registration */
#define KV_SERVE_GONE 2 /* its client or block is gone: forget it */
#define KV_SERVE_LOST 3 /* the key was empty by then: keep waiting */
#define KV_SERVE_BUSY 4 /* a serve from another key is in flight: keep it; its
                           home retouches the keys if that serve fails */

/* How a registration is served (engine.c decides, waiters.c does it). */
#define KV_REG_REMOTE 0 /* READY to the home, which serves under the keys' locks */
#define KV_REG_LOCAL 1  /* the home is here, and so is the destination: at once */
#define KV_REG_DIRECT 2 /* every key and the destination are here, the home is
                           not: served here, the reply sent home (blk-served);
                           kept until the home takes it (blk-taken) or ends
                           the block (blk-unregister: the pop is undone) */

/* A direct registration's copy of what it needs to serve (NULL: not direct). */
typedef struct kv_blockdirect {
    const kv_blocker *b;
    int proto;
    int argc;
    const kv_str *argv;
} kv_blockdirect;

/* Registrations on this shard (waiters.c). */
void kv_blockreg_add(kv_shard *sh, kv_cmdstate *st, const kv_ticket *t, int type, int mode,
                     int db, int n, const kv_str *keys, const int *keyidx,
                     const kv_blockdirect *d);
void kv_blockreg_remove(kv_cmdstate *st, unsigned long long id, unsigned long long seq);
void kv_blockreg_retouch(kv_shard *sh, kv_cmdstate *st, unsigned long long id,
                         unsigned long long seq);
extern const kv_cmd kv_blk_retouch; /* id seq */

/* The owner is the client's home and the serve needs no other shard:
 * serve it here and now (blocked.c); KV_SERVE_*. */
int kv_block_serve_here(kv_shard *sh, kv_cmdstate *st, const kv_ticket *t, int keyi, int db);
/* Run b's serve request for argv[keyi] on this shard, its reply (in proto)
 * into out; 1 if it served (a reply that is not null: an element, or an
 * error such as BLMOVE's WRONGTYPE destination). Outside any command:
 * what it changed is logged here. later: as for kv_blocker's serve. */
int kv_block_run_serve(kv_shard *sh, kv_cmdstate *st, const kv_blocker *b, int argc,
                       const kv_str *argv, int keyi, int later, int db, int proto,
                       unsigned long long client_id, kv_buf *out);
/* Put back what the serve replying (r, n) took from argv[keyi], on the
 * key's shard (after any transaction holding the key). Nothing for a move
 * or an error. */
void kv_block_run_undo(kv_shard *sh, const kv_blocker *b, int argc, const kv_str *argv, int keyi,
                       int db, int proto, const char *r, size_t n);
/* A command's arguments in one allocation (free() frees it). */
kv_str *kv_block_argv_dup(int argc, const kv_str *argv);
extern const kv_cmd kv_blk_served; /* owner id seq keyi reply: to the home */
extern const kv_cmd kv_blk_try;    /* blk-register's arguments: register, serve if ready */
extern const kv_cmd kv_blk_taken;  /* id seq: the home took a direct serve */

/* Begin a block for the client running ctx's command (its ticket taken):
 * copies the command, arms the timeout, counts the client as blocked.
 * owners: the shards its keys were registered on. */
void kv_block_begin(kv_ctx *ctx, kv_conn *c, const kv_ticket *t, const kv_blocker *b, int argc,
                    const kv_str *argv, const kv_blockargs *a, const int *owners, int nowners);

/* A blocking command served at once (it never blocked) by the reply
 * (r, n) taken from argv[keyi]: kept as a served block is, so that a close
 * before the reply leaves puts the element back. t: its ticket. */
void kv_block_keep_reply(kv_ctx *ctx, const kv_ticket *t, const kv_blocker *b, int argc,
                         const kv_str *argv, int keyi, const char *r, size_t n);

/* A context for an internal request run on this shard for a client. */
void kv_block_ctx(kv_ctx *ctx, kv_shard *sh, kv_cmdstate *st, const kv_cmd *cmd, int db,
                  int proto, unsigned long long client_id, kv_buf *out);
/* Is this reply a null ($-1, *-1, _)? */
int kv_block_is_null(const char *p, size_t n);

#endif
