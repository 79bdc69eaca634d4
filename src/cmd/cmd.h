/* The kevy command set: Redis 7.0 semantics on top of the runtime's command
 * interface. Every command family has its own file; they share this header,
 * the per-shard state (the keyspace and its counters) and the immutable
 * server description handed in by main. */
#ifndef KV_CMD_H
#define KV_CMD_H

#include "kevy/rt.h"
#include "store/db.h"
#include "store/keyspace.h"
#include "store/object.h"

#define KV_RUN_ID_LEN 40
#define KV_CMD_INDEX_SLOTS 1024

/* Open-addressed index of the command table by a hash of the lower-cased
 * name: one probe per lookup instead of a binary search. Built once before
 * the runtime starts; read-only afterwards. */
typedef struct kv_cmd_index {
    unsigned short slot[KV_CMD_INDEX_SLOTS]; /* table position + 1; 0 = empty */
} kv_cmd_index;

/* What the command set knows about the server it runs in. Written by main
 * before the runtime starts, read-only afterwards (shared by every shard). */
typedef struct kv_server {
    int databases;
    int port;
    int hz;
    int nshards;
    long long maxclients;
    long long proto_max_bulk_len;
    long long client_query_buffer_limit;
    char run_id[KV_RUN_ID_LEN + 1];
    char executable[1024];
    char config_file[1024];
    uint8_t seed[16];
    long long start_ms;
    kv_cmd_index index;
} kv_server;

/* One shard's state for the command set. */
typedef struct kv_cmdstate {
    const kv_server *srv;
    kv_keyspace *ks;
} kv_cmdstate;

/* The command set handed to the runtime (udata must point to a kv_server). */
/* Builds srv->index; fill the rest of srv before the runtime starts. */
void kv_commands_init(kv_cmdset *cs, kv_server *srv);

/* Table access (table.c). kv_cmd_lookup's udata is a kv_server whose index
 * was built by kv_cmd_index_build, or NULL (slower binary search). */
void kv_cmd_index_build(kv_cmd_index *ix);
const kv_cmd *kv_cmd_lookup(void *udata, int argc, const kv_str *argv);
size_t kv_cmd_count(void);
const kv_cmd *kv_cmd_at(size_t i);                   /* top-level commands, sorted */
const kv_cmd *kv_cmd_find(const char *name, size_t n); /* by full name, any case */
const kv_cmd *kv_cmd_subs(const kv_cmd *parent, size_t *n); /* NULL if none */

/* Shared helpers (util.c). */
static inline kv_cmdstate *kv_state(const kv_ctx *ctx)
{
    return (kv_cmdstate *)ctx->state;
}
static inline long long kv_now_ms(const kv_ctx *ctx)
{
    return kv_shard_now_ms(ctx->shard);
}
size_t kv_arg_cstrlen(const kv_str *a);          /* up to the first NUL */
int kv_arg_eq(const kv_str *a, const char *lit);  /* case-insensitive, C-string view */
int kv_arg_ll(const kv_str *a, long long *v);     /* string2ll rules */
/* Parse an integer argument or reply Redis's "value is not an integer or out
 * of range" error; returns 0 on success. */
int kv_arg_ll_or_reply(kv_ctx *ctx, const kv_str *a, long long *v);
void kv_reply_obj(kv_ctx *ctx, const kv_obj *o);  /* a string value as bulk */
void kv_reply_wrongtype(kv_ctx *ctx);
void kv_reply_syntax(kv_ctx *ctx);
kv_db *kv_ctx_db(kv_ctx *ctx);
kv_entry *kv_lookup_read(kv_ctx *ctx, const kv_str *key);
kv_entry *kv_lookup_write(kv_ctx *ctx, const kv_str *key);

/* Command families: exec functions referenced by the table. */
#define KV_DECL(fn) void fn(kv_ctx *ctx, int argc, const kv_str *argv)
KV_DECL(kv_cmd_ping);
KV_DECL(kv_cmd_echo);
KV_DECL(kv_cmd_hello);
KV_DECL(kv_cmd_auth);
KV_DECL(kv_cmd_quit);
KV_DECL(kv_cmd_select);
KV_DECL(kv_cmd_shutdown);
KV_DECL(kv_cmd_dbsize);
KV_DECL(kv_cmd_flushdb);
KV_DECL(kv_cmd_flushall);
KV_DECL(kv_cmd_info);
KV_DECL(kv_cmd_get);
KV_DECL(kv_cmd_set);
KV_DECL(kv_cmd_mget);
KV_DECL(kv_cmd_mset);
KV_DECL(kv_cmd_incr);
KV_DECL(kv_cmd_decr);
KV_DECL(kv_cmd_incrby);
KV_DECL(kv_cmd_decrby);
KV_DECL(kv_cmd_del);
KV_DECL(kv_cmd_exists);
KV_DECL(kv_cmd_expire);
KV_DECL(kv_cmd_pexpire);
KV_DECL(kv_cmd_ttl);
KV_DECL(kv_cmd_pttl);
KV_DECL(kv_cmd_command);
KV_DECL(kv_cmd_command_count);
KV_DECL(kv_cmd_command_info);
KV_DECL(kv_cmd_command_docs);
KV_DECL(kv_cmd_command_getkeys);
KV_DECL(kv_cmd_command_getkeysandflags);
KV_DECL(kv_cmd_command_list);
KV_DECL(kv_cmd_command_help);
KV_DECL(kv_cmd_unknown);
KV_DECL(kv_cmd_unknown_sub);
#undef KV_DECL

int kv_check_mset(kv_ctx *ctx, int argc, const kv_str *argv);
int kv_check_flush(kv_ctx *ctx, int argc, const kv_str *argv);
void kv_reduce_info(kv_ctx *ctx, const kv_part *parts, int nparts);

#endif
