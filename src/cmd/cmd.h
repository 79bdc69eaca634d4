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
#define KV_CMD_MAX 512
#define KV_CMD_INDEX_SLOTS 2048

/* A command family's table entry: the runtime's kv_cmd plus subcommands.
 * Each family file owns one table ending with KV_CMDDEF_END; table.c merges
 * them into one sorted, hashed index at startup. */
typedef struct kv_cmddef {
    kv_cmd cmd;         /* first member: a kv_cmd* of an entry converts back */
    const kv_cmd *subs; /* sorted by name, NULL if none */
    size_t nsubs;
} kv_cmddef;

#define KV_CMDDEF_END {{.name = NULL}, NULL, 0}
/* Shorthands for table entries (designated initializers keep them readable). */
#define KV_KEYS(f, l, s) .first_key = (f), .last_key = (l), .key_step = (s)
#define KV_SUBS(a) (a), sizeof(a) / sizeof((a)[0])

/* Every command by name: sorted for COMMAND's listings, and an
 * open-addressed hash of the lower-cased name for one-probe lookups. Built
 * once before the runtime starts; read-only afterwards. */
typedef struct kv_cmd_index {
    const kv_cmddef *sorted[KV_CMD_MAX];
    size_t n;
    unsigned short slot[KV_CMD_INDEX_SLOTS]; /* position in sorted + 1; 0 = empty */
} kv_cmd_index;

/* The families (one per file). */
extern const kv_cmddef kv_cmds_server[];
extern const kv_cmddef kv_cmds_command[];
extern const kv_cmddef kv_cmds_strings[];
extern const kv_cmddef kv_cmds_keys[];
extern const kv_cmddef kv_cmds_bitops[];
extern const kv_cmddef kv_cmds_hll[];
extern const kv_cmddef kv_cmds_lists[];
extern const kv_cmddef kv_cmds_hashes[];
extern const kv_cmddef kv_cmds_sets[];
extern const kv_cmddef kv_cmds_zsets[];
extern const kv_cmddef kv_cmds_geo[];
extern const kv_cmddef kv_cmds_sort[];
extern const kv_cmddef kv_cmds_multi[];
extern const kv_cmddef kv_cmds_config[];
extern const kv_cmddef kv_cmds_client[];
extern const kv_cmddef kv_cmds_slowlog[];
extern const kv_cmddef kv_cmds_debug[];
extern const kv_cmddef kv_cmds_admin[];

/* Counters every shard updates, only through __atomic builtins. */
typedef struct kv_shared {
    unsigned long long slowlog_next_id;
} kv_shared;

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
    const struct kv_cfg *cfg; /* startup configuration (NULL: Redis's defaults) */
    kv_shared *shared;        /* NULL: per-shard counters only */
} kv_server;

/* One shard's state for the command set. */
typedef struct kv_cmdstate {
    const kv_server *srv;
    kv_keyspace *ks;
    struct kv_svc *svc; /* server services: config copy, stats, slowlog (svc.h) */
    struct kv_watchreg *watch; /* WATCHed keys on this shard (watch.h) */
} kv_cmdstate;

/* The command set handed to the runtime (udata must point to a kv_server). */
/* Builds srv->index; fill the rest of srv before the runtime starts. */
void kv_commands_init(kv_cmdset *cs, kv_server *srv);
/* A server description with fixed values (seed, run id, start time), for
 * in-process runs (tests, fuzzers) that must be reproducible. */
void kv_server_fixed(kv_server *srv, int nshards);

/* Table access (table.c). kv_cmd_lookup's udata is the kv_server. */
void kv_cmd_index_build(kv_cmd_index *ix);
const kv_cmd *kv_cmd_lookup(void *udata, int argc, const kv_str *argv);
size_t kv_cmd_count(const kv_server *srv);
const kv_cmd *kv_cmd_at(const kv_server *srv, size_t i);       /* by name */
const kv_cmd *kv_cmd_find(const kv_server *srv, const char *name, size_t n); /* "config|get", any case */
const kv_cmd *kv_cmd_subs(const kv_cmd *parent, size_t *n);    /* NULL if none */

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
/* A HELP reply: the lines as an array of simple strings. */
void kv_reply_lines(kv_ctx *ctx, const char *const *lines, size_t n);
/* A container (CLIENT, CONFIG...) called without a subcommand: Redis's
 * arity error. */
void kv_cmd_container(kv_ctx *ctx, int argc, const kv_str *argv);
/* Put val (owned from now on) under e, stamped as just created. */
void kv_set_val(kv_ctx *ctx, kv_entry *e, kv_obj *val);

/* Used across family files. */
void kv_cmd_info(kv_ctx *ctx, int argc, const kv_str *argv);
void kv_reduce_info(kv_ctx *ctx, const kv_part *parts, int nparts);

#endif
