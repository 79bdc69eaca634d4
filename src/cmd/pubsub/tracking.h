/* Client-side caching (Redis's tracking.c) across shards. The tracking
 * table lives on each key's owner shard: key -> the (home shard, client id)
 * pairs that may have it cached, filled where the read ran (the runtime's
 * `ran` hook, for requests carrying KV_TRK_REQ), emptied where the write
 * runs (kv_signal_modified, expiry, FLUSHALL/FLUSHDB, tracking-table-max-keys
 * eviction). An invalidation travels to the tracking client's home shard,
 * which knows the client's mode (RESP3 push, REDIRECT, NOLOOP, BCAST) and
 * sends the bytes; a redirection goes on to the target's home. BCAST
 * prefixes are replicated on every shard (updated before CLIENT TRACKING
 * replies, as SUBSCRIBE updates the Pub/Sub directories); the keys a shard's
 * writes touch are grouped per prefix and sent at the end of its loop turn.
 * docs/architecture.md "Client-side caching". */
#ifndef KV_CMD_TRACKING_H
#define KV_CMD_TRACKING_H

#include "cmd/core/cmd.h"

/* The request flag (kv_conn_set_req_flags): remember the keys this command
 * reads (tracking on, not BCAST, and OPTIN/OPTOUT/CACHING agree). */
#define KV_TRK_REQ 0x1u

/* A client's tracking state (Redis's CLIENT_TRACKING_* flags and fields). */
#define KV_TRK_ON 0x01u
#define KV_TRK_BCAST 0x02u
#define KV_TRK_OPTIN 0x04u
#define KV_TRK_OPTOUT 0x08u
#define KV_TRK_NOLOOP 0x10u
#define KV_TRK_CACHING 0x20u     /* CLIENT CACHING yes (OPTIN) / no (OPTOUT) given */
#define KV_TRK_BROKEN 0x40u      /* the redirection target is gone */

typedef struct kv_trkclient {
    unsigned flags;
    unsigned long long redir; /* REDIRECT id; 0: none */
    int redir_home;           /* the target's home shard */
    int caching_ends;         /* the previous command ends CLIENT CACHING's effect */
    kv_str *prefixes;         /* BCAST prefixes, sorted (Redis's rax order); owned */
    size_t nprefixes;
} kv_trkclient;

typedef struct kv_tracking kv_tracking;

kv_tracking *kv_tracking_new(kv_cmdstate *st); /* after st->shard, srv and cfg */
void kv_tracking_free(kv_tracking *t);

/* The runtime's `ran` hook: remember the keys of a read-only command. */
void kv_tracking_ran(kv_ctx *ctx, int argc, const kv_str *argv);
/* A key changed on this shard (Redis's trackingInvalidateKey with bcast):
 * writer_home/writer_id name the client that changed it (0: expiry).
 * Callers test kv_cmdstate.trk_live first, so an untracked write costs one
 * branch. */
void kv_tracking_touch(kv_cmdstate *st, const char *key, size_t n, int writer_home,
                       unsigned long long writer_id);
/* FLUSHALL/FLUSHDB, on every shard: this shard's table goes, and its own
 * tracking clients get the null invalidation. */
void kv_tracking_flush(kv_ctx *ctx);
/* End of a loop turn: BCAST invalidations for the keys written during it. */
void kv_tracking_turn_end(kv_shard *sh, void *state);
/* Periodic: tracking-table-max-keys. */
void kv_tracking_tick(kv_shard *sh, kv_cmdstate *st);
/* INFO: tracking_clients (this shard's), tracking_total_keys/items (owned
 * here), tracking_total_prefixes (every shard has them all). */
void kv_tracking_counts(const kv_tracking *t, long long *clients, long long *keys,
                        long long *items, long long *prefixes);

/* The home side (tracking_cmd.c). */
/* before_exec, on the home shard, once the command is admitted (verdict:
 * KV_EXEC_RUN or KV_EXEC_QUEUED): the flags this command carries. */
void kv_tracking_before_exec(kv_ctx *ctx, int verdict);
/* The client disconnected or RESET: tracking off, its prefixes leave
 * every shard, its state is freed. */
void kv_tracking_client_gone(kv_shard *sh, kv_cmdstate *st, kv_conn *c);
void kv_trkclient_free(kv_trkclient *tc);
/* CLIENT LIST: the flag letters it adds ("t", "R", "B"), and redir=. */
size_t kv_tracking_list_flags(const kv_conn *c, char *out);
long long kv_tracking_redir(const kv_conn *c);

/* What tracking.c and tracking_cmd.c share. */
/* This shard's tracking-client count (tracking_clients). */
void kv_trk_home_count(kv_tracking *t, int delta);
/* This shard's copy of the prefix table: client (home, id) in or out. */
void kv_trk_prefix_add(kv_tracking *t, const char *p, size_t n, int home, unsigned long long id);
void kv_trk_prefix_del(kv_tracking *t, const char *p, size_t n, int home, unsigned long long id);
/* Send a client's prefix changes to every other shard: through the
 * coordination (waited for) or cast (co NULL). Returns how many were sent. */
int kv_trk_prefix_send(kv_shard *sh, kv_coord *co, int add, unsigned long long id,
                       const kv_str *prefixes, size_t n);
/* The tracking client of this shard, or NULL. */
kv_trkclient *kv_trk_of(kv_conn *c);

/* CLIENT TRACKING (KV_ROUTE_COORD, KV_CMD_COORD_ALWAYS: the redirection
 * target is looked for on every shard, BCAST prefixes reach every shard
 * before the reply), CACHING, GETREDIR, TRACKINGINFO (tracking_cmd.c). */
void kv_cmd_client_tracking(kv_ctx *ctx, int argc, const kv_str *argv);
int kv_coord_client_tracking(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv);
void kv_cmd_client_caching(kv_ctx *ctx, int argc, const kv_str *argv);
void kv_cmd_client_getredir(kv_ctx *ctx, int argc, const kv_str *argv);
void kv_cmd_client_trackinginfo(kv_ctx *ctx, int argc, const kv_str *argv);

#endif
