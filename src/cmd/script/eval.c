/* EVAL, EVALSHA, EVAL_RO, EVALSHA_RO: a script runs as one atomic step on
 * its client's home shard, in a coroutine of that shard's Lua state.
 * Atomic how (docs/architecture.md, scripting): its declared keys are
 * locked by the runtime like any multi-key command's; with one shard, or
 * with every key here, its calls run at once in its exec; otherwise it is a
 * coordination whose calls yield and are sent to their shards. A script
 * that touches a key it did not declare needs every shard locked: the
 * first run of a script on a shard takes them all and learns whether it
 * stays within KEYS; one that strays later is stopped and run again with
 * every shard locked, if it wrote nothing yet. */
#include "cmd/script/script.h"

#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/config/cfg.h"
#include "cmd/persist/persist.h"

#define PROFILE_DECLARED 1 /* stayed within KEYS so far */
#define PROFILE_STRAYS 2   /* touched other keys: always every shard */

static int hook_key; /* the registry holds the kv_lua of its state under it */

typedef struct evalargs {
    char sha[41];
    const char *body; /* EVAL only */
    size_t blen;
    long long numkeys;
    int sha_form, ro;
    int fn;              /* FCALL, FCALL_RO: argv[1] names a function */
    const char *fname;
    size_t fnlen;
    const char *keys_err; /* FCALL: a bad numkeys, told after "Function not found" */
} evalargs;

/* numkeys and the script's name; 0, or -1 with the error replied (if
 * out) as Redis words it. */
static int parse(const kv_cmd *cmd, int argc, const kv_str *argv, evalargs *a, kv_reply *out)
{
    size_t i;
    memset(a, 0, sizeof a[0]);
    a->sha_form = strncmp(cmd->name, "evalsha", 7) == 0;
    a->ro = strstr(cmd->name, "_ro") != NULL;
    if (strncmp(cmd->name, "fcall", 5) == 0) {
        a->fn = 1;
        a->fname = argv[1].p;
        a->fnlen = argv[1].n;
        if (argc < 3 || !kv_arg_ll(&argv[2], &a->numkeys))
            a->keys_err = "ERR Bad number of keys provided";
        else if (a->numkeys > argc - 3)
            a->keys_err = "ERR Number of keys can't be greater than number of args";
        else if (a->numkeys < 0)
            a->keys_err = "ERR Number of keys can't be negative";
        if (a->keys_err)
            a->numkeys = 0;
        return out || !a->keys_err ? 0 : -1;
    }
    if (argc < 3 || !kv_arg_ll(&argv[2], &a->numkeys)) {
        if (out)
            kv_reply_error(out, "ERR value is not an integer or out of range");
        return -1;
    }
    if (a->numkeys > argc - 3) {
        if (out)
            kv_reply_error(out, "ERR Number of keys can't be greater than number of args");
        return -1;
    }
    if (a->numkeys < 0) {
        if (out)
            kv_reply_error(out, "ERR Number of keys can't be negative");
        return -1;
    }
    if (a->sha_form) {
        size_t n = argv[1].n < 40 ? argv[1].n : 40;
        for (i = 0; i < n; i++)
            a->sha[i] = (char)((argv[1].p[i] >= 'A' && argv[1].p[i] <= 'Z') ? argv[1].p[i] + 32
                                                                            : argv[1].p[i]);
        a->sha[n] = '\0';
        if (argv[1].n != 40)
            a->sha[0] = '\0'; /* never a script's name */
    } else {
        a->body = argv[1].p;
        a->blen = argv[1].n;
        kv_sha1_hex(a->body, a->blen, a->sha);
    }
    return 0;
}

static int eval_getkeys(int argc, const kv_str *argv, int *pos, int max)
{
    long long nk;
    int i;
    if (argc < 3 || !kv_arg_ll(&argv[2], &nk) || nk < 0 || nk > argc - 3)
        return -1;
    for (i = 0; i < nk && i < max; i++)
        pos[i] = 3 + i;
    return (int)nk;
}

/* ------------------------------------------------------------ profiles */

static int profile(kv_lua *l, const char *sha)
{
    kv_lscript *sc = kv_lua_script(l, sha);
    return sc ? sc->profile : 0;
}

/* The profile of what a run or the arguments name: a script by SHA-1, or
 * a function (kept with its library's compiled form on this shard). */
static int args_profile(kv_lua *l, const evalargs *a)
{
    return a->fn ? kv_fn_profile(l, a->fname, a->fnlen) : profile(l, a->sha);
}

static int run_profile(kv_lrun *r)
{
    return r->fname ? kv_fn_profile(r->lua, r->fname, strlen(r->fname)) : r->script->profile;
}

static void run_set_profile(kv_lrun *r, int p)
{
    if (r->fname)
        kv_fn_set_profile(r->lua, r->fname, strlen(r->fname), p);
    else
        r->script->profile = p;
}

/* Declared keys, or every shard for a script not known to stay within
 * them (its first run here included). */
static int eval_lockkeys(kv_ctx *ctx, int argc, const kv_str *argv, kv_str *keys, int max,
                         int *whole)
{
    kv_cmdstate *st = kv_state(ctx);
    evalargs a;
    int i;
    *whole = 0;
    if (parse(ctx->cmd, argc, argv, &a, NULL) != 0)
        return 0;
    if (st->srv->nshards > 1 && args_profile(kv_lua_get(st), &a) != PROFILE_DECLARED)
        *whole = 1;
    for (i = 0; i < a.numkeys && i < max; i++)
        keys[i] = argv[3 + i];
    return (int)a.numkeys;
}

/* ------------------------------------------------------------ a run */

static void run_free(void *p)
{
    kv_lrun *r = p;
    if (!r)
        return;
    if (r->lua) {
        kv_lua *l = r->lua;
        if (lua_status(r->co) == 0 && !l->idle_co && !l->retired) {
            lua_settop(r->co, 0); /* ended normally: the next run resumes it again */
            l->idle_co = r->co;
            l->idle_co_ref = r->co_ref;
        } else {
            luaL_unref(l->L, LUA_REGISTRYINDEX, r->co_ref);
        }
        luaL_unref(r->lua->L, LUA_REGISTRYINDEX, r->keys_ref);
        luaL_unref(r->lua->L, LUA_REGISTRYINDEX, r->argv_ref);
        luaL_unref(r->lua->L, LUA_REGISTRYINDEX, r->raised_ref);
        kv_lua_run_done(r->lua);
    }
    free(r->fname);
    free(r->cargv);
    free(r->cbytes);
    free(r->pargv);
    kv_buf_free(&r->pbuf);
    free(r);
}

/* A table of strings from argv, as a global of the run (KEYS, ARGV). */
static void push_strings(lua_State *L, const kv_str *v, int n)
{
    int i;
    lua_createtable(L, n, 0);
    for (i = 0; i < n; i++) {
        lua_pushlstring(L, v[i].p, v[i].n);
        lua_rawseti(L, -2, i + 1);
    }
}

void kv_lua_push_runvar(kv_lrun *r, lua_State *L, int keys)
{
    int *ref = keys ? &r->keys_ref : &r->argv_ref;
    if (*ref != LUA_NOREF) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, *ref);
        return;
    }
    push_strings(L, keys ? r->keys : r->args, keys ? r->nkeys : r->nargs);
    lua_pushvalue(L, -1);
    *ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

/* Find or compile the function, make the run; NULL with the error replied. */
static kv_lrun *start(kv_ctx *ctx, const evalargs *a, int argc, const kv_str *argv)
{
    kv_cmdstate *st = kv_state(ctx);
    kv_lua *l = kv_lua_get(st);
    lua_State *L = l->L;
    kv_lrun *r;
    kv_lscript *sc = NULL;
    char err[1024];
    int i;
    int fnflags = 0;
    if (a->fn) {
        if (!kv_fn_push(l, a->fname, a->fnlen, &fnflags)) {
            kv_reply_error(&ctx->out, "ERR Function not found");
            return NULL;
        }
        if (a->keys_err || (a->ro && !(fnflags & KV_FN_NO_WRITES))) {
            lua_pop(L, 1);
            kv_reply_error(&ctx->out, a->keys_err ? a->keys_err
                                                  : "ERR Can not execute a script with write "
                                                    "flag using *_ro command.");
            return NULL;
        }
    } else if (!a->sha[0]) {
        kv_reply_error(&ctx->out, "NOSCRIPT No matching script. Please use EVAL.");
        return NULL;
    } else if (!(sc = kv_lua_script(l, a->sha))) {
        size_t n = 0;
        char *body = a->body ? NULL : kv_scripts_get(st->srv->scripts, a->sha, 40, &n);
        if (!a->body && !body) {
            kv_reply_error(&ctx->out, "NOSCRIPT No matching script. Please use EVAL.");
            return NULL;
        }
        sc = kv_lua_compile(l, a->sha, a->body ? a->body : body, a->body ? a->blen : n, err,
                            sizeof err);
        free(body);
        if (!sc) {
            kv_reply_errorf(&ctx->out, "ERR %s", err);
            return NULL;
        }
        if (a->body)
            kv_scripts_add(st->srv->scripts, a->sha, a->body, a->blen);
    }
    if (sc)
        lua_rawgeti(L, LUA_REGISTRYINDEX, sc->fn_ref);
    if (!(r = calloc(1, sizeof *r)))
        abort();
    r->lua = l;
    r->script = sc;
    l->runs++;
    r->raised_ref = LUA_NOREF;
    memcpy(r->sha, a->sha, 41);
    r->db = ctx->db;
    r->resp = 2;
    if (a->fn) {
        size_t total = 0, off = 0;
        r->readonly = a->ro || (fnflags & KV_FN_NO_WRITES);
        /* errors and FUNCTION STATS name it as its library does (as typed
         * if its library went meanwhile: another shard's change) */
        if (!(r->fname = kv_fn_name(l, a->fname, a->fnlen))) {
            if (!(r->fname = malloc(a->fnlen + 1)))
                abort();
            memcpy(r->fname, a->fname, a->fnlen);
            r->fname[a->fnlen] = '\0';
        }
        if (!(r->cargv = malloc((size_t)argc * sizeof *r->cargv)))
            abort();
        for (i = 0; i < argc; i++)
            total += argv[i].n;
        if (!(r->cbytes = malloc(total + 1)))
            abort();
        for (i = 0; i < argc; i++) { /* FUNCTION STATS shows the command */
            memcpy(r->cbytes + off, argv[i].p, argv[i].n);
            r->cargv[i].p = r->cbytes + off;
            r->cargv[i].n = argv[i].n;
            off += argv[i].n;
        }
        r->cargc = argc;
    } else {
        r->readonly = a->ro || (sc->flags & KV_SCRIPT_NO_WRITES);
    }
    r->whole = st->srv->nshards <= 1;
    r->nkeys = (int)a->numkeys;
    r->keys = argv + 3;
    r->nargs = argc - 3 - r->nkeys;
    r->args = argv + 3 + r->nkeys;
    r->keys_ref = r->argv_ref = LUA_NOREF;
    kv_buf_init(&r->pbuf);
    r->start_us = kv_monotonic_us();
    r->busy_us = st->cfg->busy_reply_ms * 1000;
    /* a function's allow-oom flag is the same bit as the shebang's */
    r->oom = !((r->fname ? fnflags : sc->flags) & KV_SCRIPT_ALLOW_OOM) && st->oom &&
             st->oom(st);
    if (l->idle_co) {
        r->co = l->idle_co;
        r->co_ref = l->idle_co_ref;
        l->idle_co = NULL;
    } else {
        lua_pushlightuserdata(L, &hook_key);
        lua_pushlightuserdata(L, l);
        lua_rawset(L, LUA_REGISTRYINDEX);
        r->co = lua_newthread(L);
        lua_sethook(r->co, kv_lua_busy_hook, LUA_MASKCOUNT, KV_LUA_HOOK_COUNT);
        r->co_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    lua_xmove(L, r->co, 1); /* the function */
    if (r->fname) { /* a function gets them as its arguments */
        push_strings(r->co, r->keys, r->nkeys);
        push_strings(r->co, r->args, r->nargs);
    }
    return r;
}

/* Redis's error text: the message, then where in the script it came from. */
static void reply_error(kv_lrun *r, kv_reply *out)
{
    lua_State *co = r->co;
    kv_buf b;
    int line = kv_lua_script_line(co);
    if (r->raised_ref != LUA_NOREF) { /* a coordinated call's error: where it was called */
        lua_rawgeti(co, LUA_REGISTRYINDEX, r->raised_ref);
        if (lua_rawequal(co, -1, -2))
            line = r->call_line;
        lua_pop(co, 1);
    }
    kv_buf_init(&b);
    if (lua_type(co, -1) == LUA_TTABLE) {
        lua_getfield(co, -1, "err");
        if (lua_type(co, -1) == LUA_TSTRING)
            kv_buf_append(&b, lua_tostring(co, -1), lua_objlen(co, -1));
        else
            kv_buf_append(&b, "ERR unknown error", 17);
        lua_pop(co, 1);
    } else {
        size_t n;
        const char *s = lua_tolstring(co, -1, &n);
        kv_buf_append(&b, "ERR ", 4);
        if (!s)
            s = luaL_typename(co, -1), n = strlen(s);
        kv_buf_append(&b, s, n);
    }
    if (line >= 0) {
        char tail[128];
        int t;
        kv_buf_append(&b, " script: ", 9);
        if (r->fname)
            kv_buf_append(&b, r->fname, strlen(r->fname));
        else
            kv_buf_append(&b, r->sha, 40);
        t = snprintf(tail, sizeof tail, ", on @user_%s:%d.", r->fname ? "function" : "script",
                     line);
        kv_buf_append(&b, tail, (size_t)t);
    }
    kv_buf_append(&b, "", 1);
    kv_reply_error(out, b.p);
    kv_buf_free(&b);
}

/* ------------------------------------------------------------ busy scripts */

const char *kv_lua_busy_text(const kv_cmdstate *st)
{
    const kv_lrun *r = st->lua ? st->lua->cur : NULL;
    return r && r->fname ? KV_FN_BUSY : KV_SCRIPT_BUSY;
}

const char *kv_scripts_busy_text(kv_scripts *s)
{
    int shard = kv_scripts_busy(s, NULL);
    return shard >= 0 && kv_fnreg_running(kv_scripts_functions(s), shard) ? KV_FN_BUSY
                                                                           : KV_SCRIPT_BUSY;
}

int kv_lua_busy(const kv_cmdstate *st, int *wrote)
{
    const kv_lrun *r = st->lua ? st->lua->cur : NULL;
    if (!r || !r->busy)
        return 0;
    if (wrote)
        *wrote = r->wrote;
    return 1;
}

static void not_busy(kv_lrun *r);

void kv_lua_busy_hook(lua_State *L, lua_Debug *ar)
{
    kv_lua *l;
    kv_lrun *r;
    kv_cmdstate *st;
    int shard;
    (void)ar;
    lua_pushlightuserdata(L, &hook_key);
    lua_rawget(L, LUA_REGISTRYINDEX);
    l = lua_touserdata(L, -1);
    lua_pop(L, 1);
    if (!l || !(r = l->cur))
        return;
    st = l->st;
    shard = kv_shard_id(st->shard);
    if (!r->busy) {
        long long ran = kv_monotonic_us() - r->start_us;
        if (r->busy_us <= 0 || ran < r->busy_us)
            return;
        r->busy = 1;
        kv_shard_log(st->shard, 3, "Slow script detected: still in execution after %lld "
                     "milliseconds. You can try killing the script using the SCRIPT KILL "
                     "command. Script name is: %s.", ran / 1000, r->fname ? r->fname : r->sha);
        if (r->fname) /* FUNCTION STATS and KILL, on any shard */
            kv_fnreg_set_running(kv_scripts_functions(st->srv->scripts), shard, r->fname,
                                 r->cargc, r->cargv, kv_shard_now_ms(st->shard) - ran / 1000);
    }
    kv_scripts_set_busy(st->srv->scripts, shard, 1, r->wrote);
    if (kv_scripts_killed(st->srv->scripts, shard) && !r->wrote) {
        not_busy(r);
        kv_lua_raise(L, "Script killed by user with SCRIPT KILL...");
    }
    kv_shard_poll_busy(st->shard);
}

/* A run ends: it is not busy any more. */
static void not_busy(kv_lrun *r)
{
    if (r->busy) {
        kv_cmdstate *st = r->lua->st;
        r->busy = 0;
        if (r->fname)
            kv_fnreg_set_running(kv_scripts_functions(st->srv->scripts), kv_shard_id(st->shard),
                                 NULL, 0, NULL, 0);
        kv_scripts_set_busy(st->srv->scripts, kv_shard_id(st->shard), 0, 0);
    }
}

#define RUN_DONE 1
#define RUN_WAIT 0
#define RUN_AGAIN 2 /* it needs every shard: run it again */

/* Resume the script with nargs values pushed on its coroutine. */
static int drive(kv_lrun *r, int nargs, kv_reply *out)
{
    lua_State *co = r->co;
    kv_lua *l = r->lua;
    kv_lrun *outer = l->cur;
    int rc;
    l->cur = r;
    rc = lua_resume(co, nargs);
    l->cur = outer;
    if (rc != LUA_YIELD || r->escalate)
        not_busy(r);
    if (rc == LUA_YIELD) {
        if (r->escalate)
            return RUN_AGAIN;
        if (r->pcmd && r->coord)
            return RUN_WAIT;
        lua_settop(co, 0);
        lua_pushstring(co, "attempt to yield across metamethod/C-call boundary");
        rc = LUA_ERRRUN;
    }
    if (rc == 0) {
        if (lua_gettop(co) == 0)
            lua_pushnil(co);
        lua_settop(co, 1);
        kv_lua_write_reply(co, out, r->resp);
        return RUN_DONE;
    }
    reply_error(r, out);
    return RUN_DONE;
}

/* Start the script's coroutine (its function alone on its stack). */
static int first(kv_lrun *r, kv_reply *out)
{
    return drive(r, r->fname ? 2 : 0, out); /* a function: (keys, args) */
}

/* ------------------------------------------------------------ running again */

typedef struct again {
    kv_ticket t;
    const kv_cmd *cmd;
    int argc;
    kv_str *argv;
    char *bytes;
} again;

static void again_fire(kv_shard *sh, void *arg)
{
    again *g = arg;
    kv_shard_resume_cmd(sh, &g->t, g->cmd, g->argc, g->argv);
    free(g->argv);
    free(g->bytes);
    free(g);
}

static void run_again(kv_shard *sh, const kv_ticket *t, const kv_cmd *cmd, int argc,
                      const kv_str *argv)
{
    again *g = calloc(1, sizeof *g);
    size_t total = 0, off = 0;
    int i;
    if (!g)
        abort();
    for (i = 0; i < argc; i++)
        total += argv[i].n;
    if (!(g->argv = malloc((size_t)argc * sizeof *g->argv)) || !(g->bytes = malloc(total + 1)))
        abort();
    for (i = 0; i < argc; i++) {
        memcpy(g->bytes + off, argv[i].p, argv[i].n);
        g->argv[i].p = g->bytes + off;
        g->argv[i].n = argv[i].n;
        off += argv[i].n;
    }
    g->t = *t;
    g->cmd = cmd;
    g->argc = argc;
    kv_timer_add(sh, 0, 0, again_fire, g);
}

static void strayed(kv_ctx *ctx, kv_lrun *r)
{
    run_set_profile(r, PROFILE_STRAYS);
    kv_reply_error(&ctx->out, "ERR kevy: the script wrote, then used a key it did not declare "
                              "while other shards were not locked; it will lock every shard "
                              "from now on (declare every key in KEYS to avoid this)");
}

static void learned(kv_lrun *r)
{
    if (r->whole && run_profile(r) == 0)
        run_set_profile(r, r->undeclared ? PROFILE_STRAYS : PROFILE_DECLARED);
}

/* ------------------------------------------------------------ the commands */

/* Every key here (or one shard): the calls run at once. */
static void kv_cmd_eval(kv_ctx *ctx, int argc, const kv_str *argv)
{
    evalargs a;
    kv_lrun *r;
    int rc;
    if (parse(ctx->cmd, argc, argv, &a, &ctx->out) != 0 || !(r = start(ctx, &a, argc, argv)))
        return;
    r->ctx = ctx;
    kv_aof_multi(ctx, 1); /* its effects, as one transaction (Redis 7) */
    rc = first(r, &ctx->out);
    kv_aof_multi(ctx, 0);
    if (rc == RUN_AGAIN) {
        kv_ticket t;
        if (r->wrote || kv_ctx_suspend(ctx, &t) != 0) {
            strayed(ctx, r);
        } else {
            run_set_profile(r, PROFILE_STRAYS);
            run_again(ctx->shard, &t, ctx->cmd, argc, argv);
        }
    } else {
        learned(r);
    }
    run_free(r);
}

/* Keys over several shards, or every shard: a coordination. */
static int kv_coord_eval(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv)
{
    kv_lrun *r = kv_coord_data(co);
    int rc;
    if (kv_coord_step(co) == 0) {
        evalargs a;
        if (parse(ctx->cmd, argc, argv, &a, &ctx->out) != 0 || !(r = start(ctx, &a, argc, argv)))
            return KV_COORD_DONE;
        kv_coord_set_data(co, r, run_free);
        r->coord = co;
        r->step_ctx = ctx;
        r->whole = kv_shard_count(ctx->shard) <= 1 || run_profile(r) != PROFILE_DECLARED;
        rc = first(r, &ctx->out);
    } else {
        kv_str rep = kv_coord_reply(co, 0);
        r->coord = co;
        r->step_ctx = ctx;
        kv_lua_report(ctx, r->pcmd, r->pargc, r->pargv, rep.p, rep.n, r->call_t0);
        rc = drive(r, kv_lua_push_call_reply(r->co, r, rep.p, rep.n), &ctx->out);
    }
    if (rc == RUN_WAIT) {
        kv_coord_set_sub_proto(co, r->resp);
        kv_coord_send_cmd(co, r->db, r->pcmd, r->pargc, r->pargv);
        return KV_COORD_WAIT;
    }
    if (rc == RUN_AGAIN) {
        kv_ticket t;
        if (r->wrote || kv_coord_suspend(co, &t) != 0) {
            strayed(ctx, r);
            return KV_COORD_DONE;
        }
        run_set_profile(r, PROFILE_STRAYS);
        run_again(ctx->shard, &t, ctx->cmd, argc, argv);
        return KV_COORD_SUSPENDED;
    }
    learned(r);
    return KV_COORD_DONE;
}

#define EVAL_SPEC(n)                                                                            \
    {.name = n, .route = KV_ROUTE_COORD, .exec = kv_cmd_eval, .coord = kv_coord_eval,          \
     .getkeys = eval_getkeys, .lockkeys = eval_lockkeys, .dirty = KV_DIRTY_WRITES}

const kv_cmdspec kv_cmds_script[] = {
    EVAL_SPEC("eval"),
    EVAL_SPEC("eval_ro"),
    EVAL_SPEC("evalsha"),
    EVAL_SPEC("evalsha_ro"),
    EVAL_SPEC("fcall"),
    EVAL_SPEC("fcall_ro"),
    {.name = "script", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_container, .subs = kv_script_subs},
    KV_SPEC_END
};
