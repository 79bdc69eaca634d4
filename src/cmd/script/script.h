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
void kv_scripts_kill(kv_scripts *s, int shard);
int kv_scripts_killed(kv_scripts *s, int shard);

/* ----------------------------------------------- a shard's Lua (lua_state.c) */

/* A script's run (eval.c), as the C functions of the redis table see it. */
typedef struct kv_lrun {
    struct kv_lua *lua;
    struct lua_State *co; /* the script's coroutine */
    int co_ref;
    int keys_ref, argv_ref; /* its KEYS and ARGV (globals only it sees) */
    char sha[41];
    kv_ctx *ctx;       /* inline: the EVAL's context, calls run here at once */
    kv_coord *coord;   /* coordinated: calls yield and go through it */
    int db;            /* SELECT inside the script moves only the script */
    int resp;          /* redis.setresp */
    int readonly;      /* EVAL_RO, EVALSHA_RO */
    int whole;         /* every shard is locked (or there is one) */
    int nkeys;
    kv_str *keys;      /* KEYS: the declared keys */
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
} kv_lua;

/* The shard's state, made (or remade after SCRIPT FLUSH) on demand. */
kv_lua *kv_lua_get(kv_cmdstate *st);
void kv_lua_free(kv_lua *l);
/* A run on l ended: a retired state goes with its last run. */
void kv_lua_run_done(kv_lua *l);
/* Bytes this shard's Lua state holds (INFO used_memory_lua), 0 if none. */
long long kv_lua_memory(const kv_cmdstate *st);
/* Compile body as f_<sha> in this state if it is not there yet: 0, or -1
 * with the error text for "ERR <err>" ("Error compiling script ...", or a
 * bad "#!lua" shebang). Leaves nothing on the stack. */
int kv_lua_compile(kv_lua *l, const char *sha, const char *body, size_t n, char *err,
                   size_t errlen);
/* The shebang flags of a compiled script (KV_SCRIPT_*). */
#define KV_SCRIPT_NO_WRITES 1
int kv_lua_flags(kv_lua *l, const char *sha);
/* Push f_<sha> (1) or nothing (0). */
int kv_lua_push_function(kv_lua *l, const char *sha);

/* The count hook of every script coroutine: past busy-reply-threshold the
 * shard answers other clients (-BUSY) and a SCRIPT KILL stops the script. */
#define KV_LUA_HOOK_COUNT 10000
void kv_lua_busy_hook(struct lua_State *L, struct lua_Debug *ar);
/* Is a script of this shard busy right now (its calls made while its
 * shard answers other clients)? wrote: it wrote already. */
int kv_lua_busy(const kv_cmdstate *st, int *wrote);

/* Report a script's call as a command of its own (stats, SLOWLOG). */
void kv_lua_report(kv_ctx *ctx, const kv_cmd *cmd, int argc, const kv_str *argv,
                   const char *reply, size_t n, long long t0);
/* The line of the innermost script frame on L's stack, or -1. */
int kv_lua_script_line(struct lua_State *L);
/* Raise {err="ERR <msg>"}, as Redis's helpers fail (no position). */
int kv_lua_raise(struct lua_State *L, const char *msg);

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

#endif
