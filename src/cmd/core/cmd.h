/* The command interface every command family shares: the server
 * description and each shard's state, the table entry a family writes for a
 * command (kv_cmdspec) and the descriptor built from it (kv_cmddesc), the
 * dirty counter, and the argument, reply and keyspace helpers (args.c,
 * keyspace.c). Everything here depends on no family and no service. */
#ifndef KV_CMD_CORE_H
#define KV_CMD_CORE_H

#include <stdint.h>

#include "cmd/core/cmdmeta.h"
#include "kevy/rt.h"
#include "store/db.h"
#include "store/keyspace.h"
#include "store/object.h"

#define KV_RUN_ID_LEN 40
#define KV_CMD_MAX 512           /* commands and subcommands together */
#define KV_CMD_INDEX_SLOTS 1024  /* hash slots for top-level names (power of 2) */

/* ------------------------------------------------------- family tables */

/* What a command family states about one command; each family file owns a
 * table of these ending with KV_SPEC_END (listed in core/families.h). Redis's
 * facts (arity, key positions, flags, ACL categories) are not repeated here:
 * the descriptor takes them from the captured metadata (cmdmeta_gen.c). */
typedef struct kv_cmdspec kv_cmdspec;

/* Optional hooks for the services, on the few commands that need one. */
/* before_exec, after authentication, before MULTI queueing or CLIENT PAUSE:
 * RESET and CLIENT REPLY ON turn replies back on before they reply. */
typedef void (*kv_prepare_fn)(kv_ctx *ctx, int argc, const kv_str *argv);
/* 1 if argument j is hidden as "(redacted)" in MONITOR and SLOWLOG. */
typedef int (*kv_redact_fn)(int argc, const kv_str *argv, int j);
/* COMMAND GETKEYSANDFLAGS for key number j at argv[pos], where the key specs
 * alone cannot tell: the index of the key spec whose flags apply,
 * KV_KEYFLAGS_OWN with *flags set to a NULL-ended list of flag names, or
 * KV_KEYFLAGS_BY_POSITION for the spec found from the key's position. */
#define KV_KEYFLAGS_OWN (-1)
#define KV_KEYFLAGS_BY_POSITION (-2)
typedef int (*kv_keyflags_fn)(int argc, const kv_str *argv, int j, int pos,
                              const char *const **flags);

/* The dirty policy: how a command's changes reach the dirty counter
 * (Redis's server.dirty, INFO's rdb_changes_since_last_save). */
#define KV_DIRTY_AUTO 0   /* in a kv_cmdspec: WRITES if Redis flags the command "write", else NONE */
#define KV_DIRTY_NONE 1   /* changes no data: never counts */
#define KV_DIRTY_WRITES 2 /* counts each change itself, with kv_dirty where it makes it, on the
                             shard that makes it (next to kv_signal_modified) */

/* kevy's own roles for a command, where Redis compares command procedures. */
#define KV_CMDF_PROTECTED 0x10000u  /* refused unless enable-debug-command allows it (DEBUG) */
#define KV_CMDF_MULTI_RUNS 0x20000u /* inside MULTI it runs at once instead of being queued */
#define KV_CMDF_PUBSUB_CTX 0x40000u /* allowed to a RESP2 client with subscriptions */
/* Inside MULTI over maxmemory it still runs (Redis's exceptions to the OOM
 * refusal while queueing: EXEC, DISCARD, QUIT, RESET). */
#define KV_CMDF_MULTI_OOM_OK 0x1000000u
/* Channel arguments, for ACL channel rules (Redis's getchannels). */
#define KV_CMDF_CHAN1 0x80000u    /* argv[1] is a channel (PUBLISH, SPUBLISH) */
#define KV_CMDF_CHANS 0x100000u   /* argv[1..] are channels (SUBSCRIBE, SSUBSCRIBE) */
#define KV_CMDF_CHANPAT 0x200000u /* ... patterns, matched literally (PSUBSCRIBE) */

struct kv_cmdspec {
    const char *name;    /* full lower-case name: "get", "config|get" */
    kv_route route;
    unsigned flags;      /* KV_CMD_WHOLE (see kevy/rt.h) and KV_CMDF_* */
    kv_exec_fn exec;
    kv_reduce_fn reduce; /* KV_ROUTE_KEYS and KV_ROUTE_ALL */
    kv_check_fn check;
    kv_coord_fn coord;   /* KV_ROUTE_COORD */
    kv_target_fn target; /* KV_ROUTE_CUSTOM */
    kv_getkeys_fn getkeys;
    kv_lockkeys_fn lockkeys;
    kv_prepare_fn prepare;
    kv_redact_fn redact;
    kv_keyflags_fn keyflags;
    const void *data;    /* the family's own data: which variant a shared exec runs */
    int arity;           /* 0: Redis's; kevy's own only where it checks arity itself (EXEC) */
    int dirty;           /* KV_DIRTY_* */
    const kv_cmdspec *subs; /* a container's subcommands, ending with KV_SPEC_END */
};

#define KV_SPEC_END {.name = NULL}

/* ------------------------------------------------------------ descriptor */

/* One command, everything known about it: built once at startup by
 * kv_commands_init from the family's kv_cmdspec and Redis's metadata, and
 * immutable afterwards. The runtime sees only `cmd`, whose opaque `meta`
 * points back here; a service reaches the descriptor from a kv_cmd with
 * kv_desc (NULL for unknown names and internal sub-commands). */
typedef struct kv_cmddesc {
    const kv_cmd *cmd;    /* the runtime's entry: name, arity, key spec, route, exec... */
    unsigned long rflags; /* Redis's command flags: KV_RF_* (cmdmeta_flags.h) */
    unsigned long acl;    /* Redis's ACL categories: KV_ACL_* */
    unsigned flags;       /* KV_CMDF_* */
    int dirty;            /* KV_DIRTY_NONE or KV_DIRTY_WRITES */
    const void *data;
    kv_prepare_fn prepare;
    kv_redact_fn redact;
    kv_keyflags_fn keyflags;
    const kv_cmdmeta *meta; /* COMMAND INFO / DOCS bytes */
    const kv_cmd *subs;   /* a container's subcommands, sorted by name; NULL if none */
    size_t nsubs;
    unsigned short pos;   /* this command's place in kv_cmd_index.cmd */
    unsigned short rank;  /* its place among every command name, sorted (INFO's order) */
} kv_cmddesc;

static inline const kv_cmddesc *kv_desc(const kv_cmd *cmd)
{
    return (const kv_cmddesc *)cmd->meta;
}
/* The running command's family data (kv_cmdspec.data). */
static inline const void *kv_cmd_data(const kv_ctx *ctx)
{
    return kv_desc(ctx->cmd)->data;
}

/* Every command and subcommand: the runtime's entries (a container's
 * subcommands contiguous and sorted by name) with their descriptors beside
 * them, the top-level names sorted for COMMAND's listings, and an
 * open-addressed hash of the lower-cased top-level names for one-probe
 * lookups. Built once before the runtime starts; read-only afterwards. */
typedef struct kv_cmd_slot {
    const kv_cmd *cmd; /* NULL: empty */
    int container;     /* it has subcommands (read without touching its descriptor) */
} kv_cmd_slot;

typedef struct kv_cmd_index {
    kv_cmd cmd[KV_CMD_MAX];
    kv_cmddesc desc[KV_CMD_MAX]; /* desc[i] describes cmd[i] */
    unsigned short ncmd;
    unsigned short ntop;
    unsigned short top[KV_CMD_MAX]; /* top-level commands by name: positions in cmd */
    kv_cmd_slot slot[KV_CMD_INDEX_SLOTS];
} kv_cmd_index;

/* Counters every shard updates, only through rt/atomic.h. */
typedef struct kv_shared {
    unsigned long long slowlog_next_id;
    long long tracking_keys; /* keys in every shard's tracking table (tracking-table-max-keys) */
    /* maxmemory: what each shard's keyspace holds (server/evict.h), one
     * slot per shard, made by kv_commands_load; NULL before. */
    struct kv_memslot *mem;
    int nmem;
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
    kv_cmd_index index;       /* built by kv_commands_init: srv must not move afterwards */
    const struct kv_cfg *cfg; /* startup configuration (NULL: Redis's defaults) */
    kv_shared *shared;        /* NULL: per-shard counters only */
    /* RDB save state shared by the shards (persist/persist.h; its own
     * mutex): the pointer is fixed, the object is not read-only. */
    struct kv_persist *persist;
    /* Script bodies by SHA-1 (script/script.h; its own mutex). */
    struct kv_scripts *scripts;
    /* Values freed off the shards (server/lazyfree.h; its own mutex). */
    struct kv_lazyfree *lazyfree;
    /* ACL users (acl/acl.h; its own mutex, lock-free snapshots). */
    struct kv_acl *acl;
} kv_server;

/* One shard's state for the command set. */
typedef struct kv_cmdstate {
    const kv_server *srv;
    kv_keyspace *ks;
    struct kv_cfg *cfg; /* this shard's live configuration (config/cfg.h; CONFIG SET
                           changes every shard's copy) */
    struct kv_svc *svc; /* server services: stats, slowlog, monitors (server/svc.h) */
    struct kv_watchreg *watch; /* WATCHed keys on this shard (multi/watch.h) */
    struct kv_pubsub *ps;      /* Pub/Sub directory and subscribers (pubsub/pubsub.h) */
    /* Client-side caching (pubsub/tracking.h): the tracking table of this
     * shard's keys and the BCAST prefixes; trk_live counts both (0: writes
     * pay one branch). */
    struct kv_tracking *trk;
    size_t trk_live;
    int notify;                /* notify-keyspace-events as KV_NOTIFY_* (below) */
    /* Publishes an enabled event (pubsub/notify.c installs it). */
    void (*notify_publish)(kv_shard *sh, kv_ctx *ctx, int type, const char *event, int db,
                           const char *key, size_t klen);
    kv_shard *shard;           /* the shard this state belongs to */
    long long dirty; /* changes made on this shard (never reset; INFO sums the shards) */
    struct kv_snap *snap; /* this shard's part of a running save (persist/), or NULL */
    /* The append-only file of this shard (persist/aof.c), or NULL; the
     * dirty counter when the AOF last logged; a command said what to log
     * (kv_propagate). */
    struct kv_aof *aof;
    long long aof_mark;
    int aof_propagated;
    /* Blocking commands (block/block.h): waiters on this shard's keys, how
     * many keys they wait on (0: writes pay one branch), and the clients of
     * this shard that are blocked (INFO blocked_clients). */
    struct kv_blockreg *blk;
    size_t blk_keys;
    size_t blk_regs; /* registrations here, served ones awaiting their home included */
    long long blocked_clients;
    long long blocked_with_timeout; /* INFO clients_in_timeout_table */
    /* A command run by another (EXEC's queue), reported as a call of its
     * own, as Redis's call() counts each: statistics, SLOWLOG, MONITOR. */
    void (*report)(kv_shard *sh, void *state, kv_conn *c, const kv_exec_info *info);
    struct kv_lua *lua; /* this shard's Lua state (script/script.h), made on first use */
    /* ACL (acl/acl.h): the users' snapshot this shard holds, and the
     * deletions it had seen when it took it */
    const struct kv_acl_snap *acl_snap;
    unsigned long long acl_deletions;
    struct kv_evict *ev; /* maxmemory and eviction on this shard (server/evict.h) */
    /* Installed by server/evict.c, so neither the services nor scripting
     * depend on it: refuse the running command with -OOM (1: replied), and
     * "over maxmemory even after evicting" (a script's deny-oom writes). */
    int (*oom_refuse)(kv_ctx *ctx, int argc, const kv_str *argv);
    int (*oom)(struct kv_cmdstate *st);
} kv_cmdstate;

/* Keyspace notifications (notify-keyspace-events): a write reports each
 * event with kv_notify next to kv_signal_modified, on the shard that made
 * the change, exactly where Redis calls notifyKeyspaceEvent(type, event,
 * key, dbid); with the event's class off (the default: all off) that is one
 * load and one branch. An enabled event is published on
 * __keyspace@<db>__:<key> and/or __keyevent@<db>__:<event> through the
 * Pub/Sub directory, to subscribers on every shard (pubsub/notify.c).
 * Redis's NOTIFY_* bits (server.h), in its order. */
#define KV_NOTIFY_KEYSPACE (1 << 0) /* K */
#define KV_NOTIFY_KEYEVENT (1 << 1) /* E */
#define KV_NOTIFY_GENERIC (1 << 2)  /* g */
#define KV_NOTIFY_STRING (1 << 3)   /* $ */
#define KV_NOTIFY_LIST (1 << 4)     /* l */
#define KV_NOTIFY_SET (1 << 5)      /* s */
#define KV_NOTIFY_HASH (1 << 6)     /* h */
#define KV_NOTIFY_ZSET (1 << 7)     /* z */
#define KV_NOTIFY_EXPIRED (1 << 8)  /* x */
#define KV_NOTIFY_EVICTED (1 << 9)  /* e */
#define KV_NOTIFY_STREAM (1 << 10)  /* t */
#define KV_NOTIFY_KEY_MISS (1 << 11) /* m (not part of A) */
#define KV_NOTIFY_MODULE (1 << 13)  /* d */
#define KV_NOTIFY_NEW (1 << 14)     /* n (not part of A) */

static inline void kv_notify(kv_ctx *ctx, int type, const char *event, int db, const kv_str *key)
{
    kv_cmdstate *st = (kv_cmdstate *)ctx->state;
    if (st->notify & type)
        st->notify_publish(ctx->shard, ctx, type, event, db, key->p, key->n);
}

/* The same from the keyspace's own work (expiry, eviction): no command. */
static inline void kv_notify_sh(kv_shard *sh, kv_cmdstate *st, int type, const char *event, int db,
                                const char *key, size_t klen)
{
    if (st->notify & type)
        st->notify_publish(sh, NULL, type, event, db, key, klen);
}

/* Table access (table.c). kv_cmd_index_build fills ix from the family
 * tables (each a KV_SPEC_END-ended array); it aborts with a message if a
 * command is unknown to Redis's metadata or the index is full.
 * kv_cmd_lookup's udata is the kv_server. */
void kv_cmd_index_build(kv_cmd_index *ix, const kv_cmdspec *const *tables, size_t ntables);
/* desc.c: one entry of the index, cmd and d, from s and Redis's metadata. */
void kv_desc_build(kv_cmd *cmd, kv_cmddesc *d, const kv_cmdspec *s);
const kv_cmd *kv_cmd_lookup(void *udata, int argc, const kv_str *argv);
size_t kv_cmd_count(const kv_server *srv);
const kv_cmd *kv_cmd_at(const kv_server *srv, size_t i);       /* by name */
const kv_cmd *kv_cmd_find(const kv_server *srv, const char *name, size_t n); /* "config|get", any case */
const kv_cmd *kv_cmd_subs(const kv_cmd *parent, size_t *n);    /* NULL if none */

/* Shared helpers (args.c, keyspace.c). */
static inline kv_cmdstate *kv_state(const kv_ctx *ctx)
{
    return (kv_cmdstate *)ctx->state;
}
/* Redis's server.dirty: a command adds the changes it makes, where it makes
 * them (next to kv_signal_modified), as Redis's commands do server.dirty++
 * and server.dirty += n. Each shard counts the writes it runs. */
static inline void kv_dirty(kv_ctx *ctx, long long n)
{
    kv_state(ctx)->dirty += n;
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
/* A database index (Redis's getIntFromObjectOrReply, then its range check:
 * SELECT, MOVE, COPY DB): 0, or -1 after replying. */
int kv_arg_db_or_reply(kv_ctx *ctx, const kv_str *a, int *db);
/* Strings of at least this many bytes are replied without a copy where the
 * reply goes straight to the socket (kv_ctx.ref_buf). */
#define KV_REPLY_REF_MIN (16 * 1024)
void kv_reply_obj(kv_ctx *ctx, const kv_obj *o);  /* a string value as bulk */
/* An argument as a string value (kv_str_new's encodings); a big one read
 * into its own memory (kv_ctx.arg_blob) is kept as it is, not copied. */
kv_obj *kv_arg_value(kv_ctx *ctx, const kv_str *a);
void kv_reply_wrongtype(kv_ctx *ctx);
/* "ERR unknown subcommand or wrong number of arguments for '<sub>'. Try
 * <CONTAINER> HELP.": a subcommand given too many arguments; returns -1. */
int kv_reply_sub_arity(kv_ctx *ctx, const char *container, const kv_str *sub);
void kv_reply_syntax(kv_ctx *ctx);
kv_db *kv_ctx_db(kv_ctx *ctx);
kv_entry *kv_lookup_read(kv_ctx *ctx, const kv_str *key);
kv_entry *kv_lookup_write(kv_ctx *ctx, const kv_str *key);
/* A lockkeys hook (KV_ROUTE_COORD) asking for every shard whole: the
 * command runs at one moment of the whole keyspace (SAVE, DEBUG). */
int kv_lockkeys_whole(kv_ctx *ctx, int argc, const kv_str *argv, kv_str *keys, int max,
                      int *whole);
/* A HELP reply: the lines as an array of simple strings. */
void kv_reply_lines(kv_ctx *ctx, const char *const *lines, size_t n);
/* A container (CLIENT, CONFIG...) called without a subcommand: Redis's
 * arity error. */
void kv_cmd_container(kv_ctx *ctx, int argc, const kv_str *argv);
/* The LRU stamp that makes OBJECT IDLETIME read `idle` seconds at clock
 * (RESTORE IDLETIME, an RDB's IDLE). */
unsigned kv_lru_from_idle(unsigned clock, long long idle);
/* What the append-only file logs for the running command, when it is not
 * the command as it ran (Redis's rewriteClientCommandVector/alsoPropagate):
 * relative TTLs as absolute ones, a random pick as what was picked, a
 * blocking form as the plain one. Each call logs one command, in order, in
 * the command's database; without a call, a command that changed data is
 * logged as it ran. Costs one branch while the AOF is off. */
void kv_propagate(kv_ctx *ctx, int argc, const kv_str *argv);
/* The command itself is never logged, only what it kv_propagate'd (Redis's
 * preventCommandPropagation: XREADGROUP, XCLAIM, XAUTOCLAIM). */
void kv_propagate_none(kv_ctx *ctx);
/* Put val (owned from now on) under e, stamped as just created. */
void kv_set_val(kv_ctx *ctx, kv_entry *e, kv_obj *val);

/* Reading a sub-command's reply (kv_coord_reply), with kv_str2ll's rules
 * (an integer reply: kv_resp_reply_int). kv_rd_line: a "<type><n>\r\n" line
 * at *pp (RESP3's null "_\r\n" with n 0): 0 with *type, *n and *pp moved
 * past it, or -1. kv_rd_header: the same line for one expected type ('*',
 * '$', ':'...). kv_rd_bulk: a bulk reply's bytes: 1, or 0 for a null or
 * any other reply. */
int kv_rd_line(const char **pp, const char *end, char *type, long long *n);
int kv_rd_header(const char **pp, const char *end, char lead, long long *n);
int kv_rd_bulk(kv_str r, kv_str *out);
/* The bulk string at *pp, *pp moved past it: 0, or -1 if there is none. */
int kv_rd_bulk_at(const char **pp, const char *end, kv_str *out);

#endif
