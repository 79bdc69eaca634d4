/* Scripting (EVAL family, SCRIPT): what src/cmd/script/ shares. Bodies are
 * known server-wide by SHA-1 (registry.c); each shard compiles them into
 * its own Lua 5.1 state (lua_state.c) and runs a script as a coroutine
 * (eval.c) whose redis.call runs commands here or, when a script's keys
 * span shards, yields to the coordination that sends them (call.c). */
#ifndef KV_CMD_SCRIPT_H
#define KV_CMD_SCRIPT_H

#include <stddef.h>

#include "cmd/core/cmd.h"

struct lua_State;
struct lua_Debug;

/* SCRIPT's subcommands (script_cmd.c). */
extern const kv_cmdspec kv_script_subs[];

/* A script's name: the SHA-1 of its body in lower-case hex (registry.c). */
void kv_sha1_hex(const void *data, size_t n, char out[41]);

/* ----------------------------------------------- server-wide (registry.c) */

typedef struct kv_scripts kv_scripts;
kv_scripts *kv_scripts_new(void);
void kv_scripts_free(kv_scripts *s);
/* Remember body under sha (no-op if known). */
void kv_scripts_add(kv_scripts *s, const char *sha, const char *body, size_t n);
/* A malloc'd copy of the body of sha (40 hex, any case), or NULL. */
char *kv_scripts_get(kv_scripts *s, const char *sha, size_t shalen, size_t *n);
int kv_scripts_exists(kv_scripts *s, const char *sha, size_t shalen);
/* SCRIPT FLUSH: forget every body; shards see the generation change and
 * start a new Lua state before their next script. */
void kv_scripts_flush(kv_scripts *s);
unsigned long long kv_scripts_gen(kv_scripts *s);
void kv_scripts_stats(kv_scripts *s, long long *count, long long *bytes);
/* Busy scripts (past busy-reply-threshold), seen from every shard: a
 * shard's script is busy (and has written); the first busy shard or -1;
 * SCRIPT KILL's request, and whether one is pending for a shard. */
#define KV_SCRIPT_MAX_SHARDS 1024
#define KV_SCRIPT_UNKILLABLE                                                                  \
    "UNKILLABLE Sorry the script already executed write commands against the dataset. You "   \
    "can either wait the script termination or kill the server in a hard way using the "      \
    "SHUTDOWN NOSAVE command."
#define KV_SCRIPT_BUSY                                                                        \
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
void kv_scripts_set_busy(kv_scripts *s, int shard, int busy, int wrote);
int kv_scripts_busy(kv_scripts *s, int *wrote);
/* SCRIPT KILL (functions 0) / FUNCTION KILL (1): ask every busy script of
 * that kind that has not written to stop (several shards may each run one;
 * Redis runs one at most). Returns how many of that kind are busy; *other:
 * how many of the other kind; *unkillable: of that kind, how many wrote. */
int kv_scripts_kill_kind(kv_scripts *s, int functions, int *other, int *unkillable);
int kv_scripts_killed(kv_scripts *s, int shard);

/* ----------------------------------------------- a shard's Lua (lua_state.c) */

/* A script's run (eval.c), as the C functions of the redis table see it. */
/* A script compiled in a shard's state (lua_cache.c). */
typedef struct kv_lscript {
    char sha[40];
    int fn_ref;  /* the function, in the state's registry */
    int flags;   /* KV_SCRIPT_* of its shebang */
    int profile; /* what its runs showed of its keys (eval.c's PROFILE_*), 0 before one */
} kv_lscript;

typedef struct kv_lrun {
    struct kv_lua *lua;
    kv_lscript *script; /* NULL for a function */
    struct lua_State *co; /* the script's coroutine */
    int co_ref;
    /* Its KEYS and ARGV (globals only it sees), made when the script first
     * reads them (LUA_NOREF until then): many scripts never read ARGV. */
    int keys_ref, argv_ref;
    char sha[41];
    kv_ctx *ctx;       /* inline: the EVAL's context, calls run here at once */
    kv_coord *coord;   /* coordinated: calls yield and go through it */
    kv_ctx *step_ctx;  /* coordinated: the running step's context (ACL checks of calls) */
    int db;            /* SELECT inside the script moves only the script */
    int resp;          /* redis.setresp */
    int readonly;      /* EVAL_RO, EVALSHA_RO */
    int whole;         /* every shard is locked (or there is one) */
    int nkeys, nargs;
    const kv_str *keys; /* KEYS: the declared keys (in the command's argv, which
                           outlives the run) */
    const kv_str *args; /* ARGV */
    int wrote;         /* a write command ran */
    int escalate;      /* a call needs keys it does not hold: stop, rerun whole */
    int undeclared;    /* it touched a key outside KEYS */
    /* coordinated: the call waiting for its reply */
    const kv_cmd *pcmd;
    int pargc;
    kv_str *pargv;
    kv_buf pbuf;
    struct lua_State *call_thread; /* the thread that called (pcall runs its own) */
    int call_raise;                /* redis.call, not redis.pcall */
    int call_line;                 /* the script's line that called */
    int raised_ref;                /* the error raised for it, if any */
    long long call_t0;             /* when it was sent */
    long long start_us;            /* when the script started (busy-reply-threshold) */
    long long busy_us;             /* busy-reply-threshold, in microseconds */
    int busy;                      /* past it: other clients get -BUSY */
    int oom;                       /* over maxmemory when it started: deny-oom calls refused
                                      until it writes (Redis's script_oom) */
    /* FCALL: the function's name (NULL for a script) and the command, for
     * FUNCTION STATS. A function gets KEYS and ARGV as its arguments. */
    char *fname;
    int cargc;
    kv_str *cargv;
    char *cbytes;
} kv_lrun;

typedef struct kv_lua {
    struct lua_State *L;
    unsigned long long gen;  /* the registry generation this state was made for */
    kv_lrun *cur;            /* the run being resumed right now */
    unsigned long long rng;  /* math.random's state (48 bits, as Redis's) */
    kv_cmdstate *st;
    int proxy_ref;           /* the read-only globals every script sees */
    int runs;                /* runs alive on this state (some wait on other shards) */
    int retired;             /* replaced after SCRIPT FLUSH: freed with its last run */
    kv_lscript **scripts;    /* open addressing by SHA-1 (lua_cache.c) */
    size_t nscripts, script_cap;
    /* A coroutine whose run ended normally, kept for the next run: making
     * one per run (a thread, its stack, a reference) was a tenth of a short
     * EVALSHA's cost, most of it in the collector. */
    struct lua_State *idle_co;
    int idle_co_ref;
    kv_buf callbuf; /* the reply of the redis.call running here */
} kv_lua;

/* Push the run's KEYS (keys 1) or ARGV table, made on first use (eval.c). */
void kv_lua_push_runvar(kv_lrun *r, struct lua_State *L, int keys);

/* The shard's state, made (or remade after SCRIPT FLUSH) on demand. */
kv_lua *kv_lua_get(kv_cmdstate *st);
void kv_lua_free(kv_lua *l);
/* A run on l ended: a retired state goes with its last run. */
void kv_lua_run_done(kv_lua *l);
/* Bytes this shard's Lua state holds (INFO used_memory_lua), 0 if none. */
long long kv_lua_memory(const kv_cmdstate *st);
/* Compile body as the script sha in this state if it is not there yet:
 * its record, or NULL with the error text for "ERR <err>" ("Error
 * compiling script ...", or a bad "#!lua" shebang). Leaves nothing on the
 * stack. */
kv_lscript *kv_lua_compile(kv_lua *l, const char *sha, const char *body, size_t n, char *err,
                           size_t errlen);
/* The compiled scripts (lua_cache.c): find one (sha: 40 lower-case hex),
 * add one (pops its function), free the table with the state. */
kv_lscript *kv_lua_script(const kv_lua *l, const char *sha);
kv_lscript *kv_lua_script_add(kv_lua *l, const char *sha, int flags);
void kv_lua_scripts_free(kv_lua *l);
/* The shebang flags of a compiled script (KV_SCRIPT_*). */
#define KV_SCRIPT_NO_WRITES 1
#define KV_SCRIPT_ALLOW_OOM 2
#define KV_SCRIPT_DECLARED 0x100 /* it has a "#!lua" line: its flags are its own */
/* The shebang flags of a script's body (KV_SCRIPT_*; 0 without one), or
 * -1 for a malformed shebang. */
int kv_lua_shebang_flags(const char *body, size_t n);

/* The count hook of every script coroutine: past busy-reply-threshold the
 * shard answers other clients (-BUSY) and a SCRIPT KILL stops the script. */
#define KV_LUA_HOOK_COUNT 10000
void kv_lua_busy_hook(struct lua_State *L, struct lua_Debug *ar);
/* Is a script of this shard busy right now (its calls made while its
 * shard answers other clients)? wrote: it wrote already. */
int kv_lua_busy(const kv_cmdstate *st, int *wrote);
/* The -BUSY text for others while it runs: SCRIPT KILL's or, for a
 * function, FUNCTION KILL's; the same for the first busy shard. */
const char *kv_lua_busy_text(const kv_cmdstate *st);
const char *kv_scripts_busy_text(kv_scripts *s);

/* Report a script's call as a command of its own (stats, SLOWLOG). */
void kv_lua_report(kv_ctx *ctx, const kv_cmd *cmd, int argc, const kv_str *argv,
                   const char *reply, size_t n, long long t0);
/* The line of the innermost script frame on L's stack, or -1. */
int kv_lua_script_line(struct lua_State *L);
/* Raise {err="ERR <msg>"}, as Redis's helpers fail (no position). */
int kv_lua_raise(struct lua_State *L, const char *msg);
/* redis.log(level, ...): Redis's checks and errors, then a line in sh's
 * log (none without a shard). */
int kv_lua_log(struct lua_State *L, kv_shard *sh);

/* The cmsgpack and struct libraries of Redis's scripts (lua_cmsgpack.c,
 * lua_struct.c): push the library's table. */
int kv_lua_open_cmsgpack(struct lua_State *L);
int kv_lua_open_struct(struct lua_State *L);

/* ----------------------------------------------- conversions (lua_conv.c) */

/* Push the Lua value of one RESP reply (p, n) as Redis converts a command's
 * reply for a script (resp: the script's redis.setresp). Returns the bytes
 * used, or 0 if p does not hold a whole reply. */
size_t kv_lua_push_reply(struct lua_State *L, const char *p, size_t n, int resp);
/* Write and pop the value at the top of L's stack as the client's reply
 * (Redis's luaReplyToRedisReply; resp: the script's redis.setresp). */
void kv_lua_write_reply(struct lua_State *L, kv_reply *out, int resp);

/* ----------------------------------------------- calls (call.c) */

/* Install redis.call, redis.pcall, redis.setresp and redis.acl_check_cmd
 * in the redis table at the top of L. */
void kv_lua_install_calls(struct lua_State *L, kv_lua *l);
/* The reply of the call a coordinated script waits for, pushed on its
 * coroutine (an error for redis.call is raised where it was called);
 * returns the number of values pushed. */
int kv_lua_push_call_reply(struct lua_State *co, kv_lrun *r, const char *p, size_t n);

/* ================================================ functions (FUNCTION, FCALL)
 * Libraries are server-wide (function_reg.c, beside the script bodies); a
 * library's code runs once in a throwaway Lua state to check it and learn
 * its functions (function_lib.c), and again in each shard's own state when
 * that shard first calls a function after a change. FCALL runs through
 * EVAL's machinery (eval.c). */

/* A function's flags (redis.register_function's), in Redis's order. */
#define KV_FN_NO_WRITES 1 /* = KV_SCRIPT_NO_WRITES */
#define KV_FN_ALLOW_OOM 2
#define KV_FN_ALLOW_STALE 4
#define KV_FN_NO_CLUSTER 8
#define KV_FN_CROSS_SLOT 16
#define KV_FN_NFLAGS 5
extern const char *const kv_fn_flag_names[KV_FN_NFLAGS];

typedef struct kv_fn {
    char *name;
    size_t namelen;
    char *desc; /* NULL: none given */
    size_t desclen;
    int flags;
} kv_fn;

typedef struct kv_fnlib {
    char *name;
    size_t namelen;
    char *code; /* the whole code, "#!lua" line included */
    size_t codelen;
    int nfn;
    kv_fn *fn;
} kv_fnlib;

void kv_fnlib_free(kv_fnlib *lib);
void kv_fnlibs_free(kv_fnlib **libs, int n);

/* ------------------------------------------------ function_lib.c */

/* function_meta.c: the first line's library name and engine (skip: the
 * bytes of that line, its newline kept so that line numbers count it); 0,
 * or -1 with the error after "ERR ". */
int kv_fnlib_meta(const char *code, size_t n, char *name, size_t namecap, char *engine,
                  size_t engcap, size_t *skip, char *err, size_t errlen);
/* Letters, digits and '_', at least one. */
int kv_fn_valid_name(const char *s, size_t n);

/* Check code as FUNCTION LOAD does (metadata, engine, name, compile, run
 * its registrations in a throwaway state): the library, or NULL with the
 * error text after "ERR ". sh (may be NULL) is where redis.log writes. */
kv_fnlib *kv_fnlib_create(const char *code, size_t n, kv_shard *sh, char *err, size_t errlen);
/* The same, refusing first (before compiling) a library of reg's name. */
struct kv_fnreg;
kv_fnlib *kv_fnlib_create_new(const char *code, size_t n, kv_shard *sh, struct kv_fnreg *reg,
                              char *err, size_t errlen);
/* Push the function name (any case) of this shard's state, compiling the
 * server's libraries again first if they changed: 1 with *flags, or 0
 * (nothing pushed). */
int kv_fn_push(kv_lua *l, const char *name, size_t n, int *flags);
/* The name as its library registered it (malloc'd), or NULL. */
char *kv_fn_name(kv_lua *l, const char *name, size_t n);
/* A function's lock profile on this shard (eval.c's PROFILE_*), 0 if not
 * learned since its library was last loaded here. */
int kv_fn_profile(kv_lua *l, const char *name, size_t n);
void kv_fn_set_profile(kv_lua *l, const char *name, size_t n, int p);

/* ------------------------------------------------ function_reg.c */

typedef struct kv_fnreg kv_fnreg;
kv_fnreg *kv_fnreg_new(void);
void kv_fnreg_free(kv_fnreg *r);
/* The functions of the server (kept beside the script bodies). */
kv_fnreg *kv_scripts_functions(kv_scripts *s);

#define KV_FN_APPEND 0
#define KV_FN_REPLACE 1
#define KV_FN_FLUSH 2
/* Add libs as one change (all or none; ownership taken either way):
 * APPEND refuses an existing library, REPLACE replaces it, FLUSH drops
 * every library first. 0, or -1 with the error after "ERR ". */
int kv_fnreg_add(kv_fnreg *r, kv_fnlib **libs, int n, int policy, char *err, size_t errlen);
int kv_fnreg_delete(kv_fnreg *r, const char *name, size_t n); /* 0, or -1: not found */
void kv_fnreg_flush(kv_fnreg *r);
unsigned long long kv_fnreg_gen(kv_fnreg *r);
/* A copy of every library, by name, and the generation it is of. */
kv_fnlib **kv_fnreg_copy(kv_fnreg *r, int *n, unsigned long long *gen);
void kv_fnreg_counts(kv_fnreg *r, long long *libs, long long *fns, long long *bytes);
int kv_fnreg_exists(kv_fnreg *r, const char *name, size_t n);

/* A change (FUNCTION LOAD...) runs on every shard: the first part of a
 * transaction to come makes it (fn: its reply in out, 1 if it changed
 * anything) and the others get the same verdict. */
typedef int (*kv_fn_change_fn)(kv_ctx *ctx, int argc, const kv_str *argv, kv_buf *out);
int kv_fnreg_verdict(kv_fnreg *r, kv_ctx *ctx, int argc, const kv_str *argv, kv_fn_change_fn fn,
                     kv_buf *out);

/* The function a shard runs (FUNCTION STATS), argc 0 when none. */
void kv_fnreg_set_running(kv_fnreg *r, int shard, const char *name, int argc,
                          const kv_str *argv, long long start_ms);
int kv_fnreg_running(kv_fnreg *r, int shard);
/* FUNCTION STATS' running_script: the map, or a null. */
void kv_fnreg_reply_running(kv_fnreg *r, kv_reply *out, long long now_ms);

/* ------------------------------------------------ function.c */

/* The RDB form of the libraries (opcode 245 + code, per library) appended
 * to out: FUNCTION DUMP's body, dump.rdb and AOF bases. */
void kv_fn_rdb_save(kv_scripts *s, kv_buf *out);
/* The libraries as saves and loads see them (persist.h's hooks). */
struct kv_persist_fns;
void kv_fn_persist_fns(kv_scripts *s, struct kv_persist_fns *out);
/* A library's code read from an RDB (startup loads, AOF bases): added,
 * replacing one of the same name. 0, or -1 with the error. */
int kv_fn_rdb_load(kv_scripts *s, const char *code, size_t n, char *err, size_t errlen);

#define KV_FN_BUSY                                                                            \
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."

#endif
