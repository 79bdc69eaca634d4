/* ACL users, server-wide: the registry of users (one mutex, taken only by
 * ACL commands, AUTH and a shard adopting a new version), published as
 * immutable snapshots that every shard reads without a lock (a pointer
 * load per command, compared with the one it holds), the permission check
 * the services run before a command, and the ACL log. docs/architecture.md
 * section 22 gives the argument. */
#ifndef KV_CMD_ACL_H
#define KV_CMD_ACL_H

#include "cmd/core/cmd.h"
#include "cmd/server/session.h"
#include "rt/atomic.h"

#define KV_ACL_MAX_SHARDS 1024
#define KV_ACL_CMD_WORDS (KV_CMD_MAX / 64)

/* Key pattern permissions (%R~, %W~; ~ is both). */
#define KV_ACL_R 1
#define KV_ACL_W 2

/* Selector flags. */
#define KV_SEL_ALLKEYS 0x1u
#define KV_SEL_ALLCHANNELS 0x2u
#define KV_SEL_ALLCMDS 0x4u /* every bit set and none cleared since +@all: no lookup */
#define KV_SEL_FUTURE 0x8u  /* +@all was the base (Redis's reserved "future commands" bit) */

/* User flags, in Redis's order for GETUSER and ACL LIST. */
#define KV_USER_ON 0x1u
#define KV_USER_NOPASS 0x2u
#define KV_USER_SKIP_SANITIZE 0x4u
#define KV_USER_SANITIZE 0x8u

typedef struct kv_acl_pat {
    char *p;
    size_t n;
    int perm; /* KV_ACL_R | KV_ACL_W (keys); 0 for channels */
} kv_acl_pat;

/* First arguments a command without subcommands may still take while its
 * bit is off (Redis 7.0's "+select|0"), as given, in order. */
typedef struct kv_acl_fa {
    unsigned pos; /* the command's index position */
    char **args;
    int nargs;
} kv_acl_fa;

typedef struct kv_acl_sel {
    unsigned flags;
    uint64_t allowed[KV_ACL_CMD_WORDS]; /* bit per command index position */
    kv_acl_pat *keys, *chans;
    int nkeys, nchans;
    kv_acl_fa *fas; /* first-argument rules, nfas commands */
    int nfas;
} kv_acl_sel;

/* A user. Immutable once in a snapshot; a change makes a new one. */
typedef struct kv_acl_user {
    char *name;
    size_t namelen;
    unsigned long long uid; /* never reused: a deleted user's clients are told apart */
    unsigned flags;
    char (*pass)[65]; /* SHA-256 hex */
    int npass;
    kv_acl_sel *sels; /* sels[0] is the root selector */
    int nsels;
    int free_pass; /* root allows everything: the check is skipped */
    int refs;      /* snapshots holding it (changed under the registry's mutex) */
} kv_acl_user;

/* Every user at one version, sorted by name. Freed once every shard has
 * adopted a later one. */
typedef struct kv_acl_snap {
    unsigned long long ver;
    unsigned long long deletions; /* users deleted before this version, in all */
    unsigned long long revs;      /* channel cuts logged before it (acl_revoke.c) */
    kv_acl_user **users;
    int nusers;
    const kv_acl_user *dflt;
    struct kv_acl_snap *retired_next;
} kv_acl_snap;

typedef struct kv_acl kv_acl;

/* A session cut off from its user (its channels were revoked): no user. */
#define KV_ACL_NO_UID 0ull

/* A change of a user's channels that may cut its subscribers off: the
 * channels its selectors allow after it, together. */
typedef struct kv_acl_rev {
    unsigned long long seq, uid;
    kv_acl_pat *chans;
    int nchans;
    struct kv_acl_rev *next;
} kv_acl_rev;

/* What the registry needs from the services, given by the wiring
 * (core/commands.c): a client's CLIENT LIST line (the log's client-info),
 * what ACL key rules key j at argv[pos] needs (KV_ACL_R: Redis's ACCESS key
 * flag, KV_ACL_W: INSERT, DELETE, UPDATE), whether a client is between
 * MULTI and EXEC (the log's context), and a client's subscriptions of one
 * kind (0 channels, 1 patterns, 2 shard channels, as pubsub.h's KV_PS_*):
 * copies in one block to free(). */
#define KV_ACL_SUB_PATTERNS 1
typedef struct kv_acl_hooks {
    void (*client_line)(kv_buf *b, kv_conn *c, long long now_ms);
    int (*key_access)(const kv_cmd *cmd, int argc, const kv_str *argv, int j, int pos);
    int (*in_multi)(kv_conn *c);
    kv_str *(*client_subs)(kv_conn *c, int kind, size_t *n);
} kv_acl_hooks;

/* acl_reg.c: the registry */
kv_acl *kv_acl_new(const kv_server *srv);
void kv_acl_set_hooks(kv_acl *a, const kv_acl_hooks *h);
const kv_acl_hooks *kv_acl_hooks_of(const kv_acl *a);
void kv_acl_free(kv_acl *a);
/* The current snapshot (an acquire load). */
const kv_acl_snap *kv_acl_current(kv_acl *a);
/* Adopt the current snapshot into *held (a shard's); 1 if it changed, with
 * *revs the channel cuts logged since the one it held (kv_acl_revs_free;
 * NULL if none). */
int kv_acl_adopt(kv_acl *a, kv_shard *sh, const kv_acl_snap **held, kv_acl_rev **revs);
const kv_acl_user *kv_acl_find(const kv_acl_snap *s, const char *name, size_t n);
const kv_acl_user *kv_acl_find_uid(const kv_acl_snap *s, unsigned long long uid);
/* ACL SETUSER: 0, 1 if it cut channels its user's subscribers may have
 * (every shard must adopt it now), or -1 with the error replied. */
int kv_acl_setuser(kv_acl *a, kv_ctx *ctx, int argc, const kv_str *argv);
/* A config file's "user <name> <rules>..." line (argv[0] is "user"): a new
 * user with those rules (the default user is reset first). 0, or -1 with
 * Redis's message. */
int kv_acl_config_user(kv_acl *a, int argc, char **argv, char *err, size_t errlen);
/* acl_file.c: the aclfile. Load: 0, or -1 with Redis's message (nothing
 * changed). Save: 0 or -1. */
int kv_acl_load_file(kv_acl *a, const char *path, char *err, size_t errlen);
int kv_acl_save_file(kv_acl *a, const char *path);
const kv_server *kv_acl_srv(kv_acl *a);
/* acl-pubsub-default: 1 if new users, reset users and new selectors get
 * allchannels (set by every shard's configuration, read by the rules). */
void kv_acl_set_pubsub_default(kv_acl *a, int allchannels);
int kv_acl_pubsub_default(const kv_server *srv);
/* Every user replaced by these (owned from now on; ids given here): the
 * default one keeps its identity (made anew if absent), the others are new
 * users, so the old ones' clients are disconnected. */
void kv_acl_replace_all(kv_acl *a, kv_acl_user **users, int n);
/* ACL LIST's lines, each ending with a newline (ACL SAVE). */
void kv_acl_list_text(kv_acl *a, kv_buf *b);
/* ACL DELUSER: the number deleted, or -1 after replying. */
long long kv_acl_deluser(kv_acl *a, kv_ctx *ctx, int argc, const kv_str *argv);
/* requirepass: the default user's password (empty: nopass), as Redis's
 * CONFIG SET requirepass does. */
void kv_acl_set_requirepass(kv_acl *a, const char *pass);
/* Does name/pass authenticate (the user is on, nopass or the password)? */
int kv_acl_auth_ok(const kv_acl_snap *s, const kv_str *user, const kv_str *pass,
                   const kv_acl_user **out);
/* The log (server-wide, under the registry's mutex). */
void kv_acl_log_add(kv_acl *a, int reason, const char *ctxname, const char *object, size_t on,
                    const char *user, const char *info, long long now_ms, long long maxlen);
void kv_acl_log_reply(kv_acl *a, kv_ctx *ctx, long long count, long long now_ms);
void kv_acl_log_reset(kv_acl *a);

/* acl_revoke.c: the log of channel cuts (the registry's, used under its
 * mutex: note one at SETUSER, 1 if logged; a shard takes those in (from,
 * to], copies, the first time none) and the sweep of a shard's subscribers
 * they cut off. */
typedef struct kv_acl_revlog kv_acl_revlog;
kv_acl_revlog *kv_acl_revlog_new(void);
void kv_acl_revlog_free(kv_acl_revlog *l);
unsigned long long kv_acl_revlog_seq(const kv_acl_revlog *l);
int kv_acl_revlog_note(kv_acl_revlog *l, const kv_acl_user *old, const kv_acl_user *nu);
kv_acl_rev *kv_acl_revlog_take(kv_acl_revlog *l, int shard, unsigned long long from,
                               unsigned long long to);
void kv_acl_revs_free(kv_acl_rev *r);
void kv_acl_revoke_sweep(kv_shard *sh, const kv_acl_hooks *h, const kv_acl_rev *revs);

/* acl_user.c: users and their rules */
/* A new user: off, no password, no commands or keys, channels as
 * acl-pubsub-default says. */
kv_acl_user *kv_acl_user_new(const kv_server *srv, const char *name, size_t n,
                             unsigned long long uid);
kv_acl_user *kv_acl_user_dup(const kv_acl_user *u);
void kv_acl_user_free(kv_acl_user *u);
/* Apply one rule (a SETUSER argument); 0, or -1 with *err set to Redis's
 * text. A selector "(...)" is one rule. */
int kv_acl_user_apply(const kv_server *srv, kv_acl_user *u, const char *op, size_t n,
                      const char **err);
void kv_acl_user_finish(kv_acl_user *u); /* free_pass */
/* A selector's command rules: bit of an index position, a command's rule
 * (+cmd or -cmd: its subcommands too, its first-argument rules dropped), a
 * category's, every command's (+@all, -@all), first-argument rules of a
 * position (NULL if none). */
int kv_acl_sel_bit(const kv_acl_sel *s, unsigned pos);
void kv_acl_sel_perm(kv_acl_sel *s, const kv_cmd *cmd, int on);
void kv_acl_sel_category(const kv_server *srv, kv_acl_sel *s, unsigned long bit, int on);
void kv_acl_sel_all(kv_acl_sel *s, int on);
const kv_acl_fa *kv_acl_sel_firstargs(const kv_acl_sel *s, unsigned pos);
void kv_acl_sha256_hex(const void *p, size_t n, char out[65]);

/* acl_describe.c: rules as text (GETUSER, LIST, SAVE, CONFIG REWRITE) */
void kv_acl_sel_describe_cmds(const kv_server *srv, const kv_acl_sel *s, kv_buf *b);
void kv_acl_user_describe(const kv_server *srv, const kv_acl_user *u, kv_buf *b); /* ACL LIST */
void kv_acl_getuser_reply(const kv_server *srv, const kv_acl_user *u, kv_reply *r);

/* acl_check.c: permissions */
#define KV_ACL_OK 0
#define KV_ACL_DENIED_CMD 1
#define KV_ACL_DENIED_KEY 2
#define KV_ACL_DENIED_AUTH 3
#define KV_ACL_DENIED_CHANNEL 4
/* May u run cmd with these arguments? KV_ACL_OK, or the denial with *errpos
 * (the denied key's or channel's argument). */
int kv_acl_permits(const kv_acl *a, const kv_acl_user *u, const kv_cmd *cmd, int argc,
                   const kv_str *argv, int *errpos);
/* The shard's snapshot (adopting a newer one, which kills this shard's
 * clients of deleted users), whether the default user needs a password, a
 * session's user (NULL: deleted), a login, logging a denial (in context
 * `where`; NULL: "toplevel" or "multi"), and the check before a command
 * (0: go on; -1: replied). */
const kv_acl_snap *kv_acl_shard_snap(kv_shard *sh, kv_cmdstate *st);
int kv_acl_need_auth(kv_shard *sh, kv_cmdstate *st);
const kv_acl_user *kv_acl_session_user(kv_shard *sh, kv_cmdstate *st, kv_session *s);
void kv_acl_session_login(kv_session *s, const kv_acl_user *u, const kv_acl_snap *snap);
void kv_acl_log_denial(kv_ctx *ctx, kv_session *s, int reason, const char *where,
                       const char *object, size_t on, const char *user);
int kv_acl_before_exec(kv_ctx *ctx, kv_session *s, const kv_cmddesc *d, int argc,
                       const kv_str *argv);
/* A script's call (redis.call, context "lua"): NULL if the script's
 * client may run it, else Redis's error, logged. ctx is the script's. */
const char *kv_acl_script_denied(kv_ctx *ctx, const kv_cmd *cmd, int argc, const kv_str *argv);
/* EXEC running a queued command: 0 if the client may still run it; else
 * 1, Redis's NOPERM written to out (the rules changed after queueing)
 * and the denial logged (context "multi"). ctx is EXEC's. */
int kv_acl_exec_denied(kv_ctx *ctx, const kv_cmd *cmd, int argc, const kv_str *argv,
                       kv_reply *out);
/* redis.acl_check_cmd: 1 if the script's client may run it. */
int kv_acl_script_allows(kv_ctx *ctx, const kv_cmd *cmd, int argc, const kv_str *argv);

#endif
