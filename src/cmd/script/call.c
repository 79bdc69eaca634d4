/* redis.call and redis.pcall: a command from a script, checked as Redis
 * checks it (known, arity, allowed in scripts, no writes in a read-only
 * script), then run. A script whose keys are all here runs its calls at
 * once, like EXEC's queue on one shard; a coordinated one yields and its
 * coordination sends the call to its shard (eval.c). A call on a key the
 * script does not hold (not declared, and not every shard locked) stops
 * the script so that it runs again with every shard locked. */
#include "cmd/script/script.h"

#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/acl/acl.h"
#include "cmd/persist/persist.h"

static kv_lua *self(lua_State *L)
{
    return lua_touserdata(L, lua_upvalueindex(1));
}

/* The call failed: {err=msg} pushed, to raise or return. */
static int fail(lua_State *L, const char *msg)
{
    lua_newtable(L);
    lua_pushstring(L, "err");
    lua_pushstring(L, msg);
    lua_settable(L, -3);
    return -1;
}

static int declared(const kv_lrun *r, const kv_str *k)
{
    int i;
    for (i = 0; i < r->nkeys; i++)
        if (r->keys[i].n == k->n && !memcmp(r->keys[i].p, k->p, k->n))
            return 1;
    return 0;
}

/* Does the script hold what cmd touches? Counts undeclared keys. */
static int covered(kv_lrun *r, kv_cmdstate *st, const kv_cmd *cmd, int argc, const kv_str *argv)
{
    int pos[64], n, i, ok = 1;
    int single = st->srv->nshards <= 1;
    if (cmd->route == KV_ROUTE_ALL || cmd->route == KV_ROUTE_CUSTOM || (cmd->flags & KV_CMD_WHOLE))
        return r->whole || single;
    n = kv_command_keys(cmd, argc, argv, pos, 64);
    if (n > 64)
        return r->whole || single;
    for (i = 0; i < n; i++)
        if (!declared(r, &argv[pos[i]])) {
            r->undeclared = 1;
            if (!r->whole && !single)
                ok = 0;
        }
    return ok;
}

void kv_lua_report(kv_ctx *ctx, const kv_cmd *cmd, int argc, const kv_str *argv,
                   const char *reply, size_t n, long long t0)
{
    kv_cmdstate *st = kv_state(ctx);
    kv_exec_info info;
    if (!st->report)
        return;
    memset(&info, 0, sizeof info);
    info.cmd = cmd;
    info.argc = argc;
    info.argv = argv;
    info.start_us = kv_shard_now_us(ctx->shard);
    info.duration_us = kv_monotonic_us() - t0;
    info.reply = reply;
    info.reply_len = n;
    st->report(ctx->shard, st, ctx->conn, &info);
}

/* Run cmd here, now (every key it touches is on this shard). */
static void run_here(kv_lrun *r, const kv_cmd *cmd, int argc, const kv_str *argv, kv_buf *out)
{
    kv_ctx sub = *r->ctx;
    sub.cmd = cmd;
    sub.db = r->db;
    sub.may_suspend = 0; /* nothing blocks inside a script */
    sub.out.buf = out;
    sub.out.proto = r->resp;
    sub.out.errors = 0;
    if (cmd->check && cmd->check(&sub, argc, argv) != 0)
        return;
    if (cmd->route == KV_ROUTE_ALL) {
        kv_buf part;
        kv_part p;
        kv_buf_init(&part);
        sub.out.buf = &part;
        cmd->exec(&sub, argc, argv);
        p.reply = part.p ? part.p : "";
        p.len = part.len;
        p.shard = kv_shard_id(sub.shard);
        p.keys = NULL;
        p.nkeys = 0;
        sub.out.buf = out;
        cmd->reduce(&sub, &p, 1);
        kv_buf_free(&part);
    } else {
        cmd->exec(&sub, argc, argv);
    }
    kv_aof_executed(&sub, argc, argv);
}

/* The reply as a value pushed: 1, or -1 for an error reply ({err=...}). */
static int push_result(lua_State *L, kv_lrun *r, const char *p, size_t n)
{
    if (!kv_lua_push_reply(L, p, n, r->resp))
        return fail(L, "ERR kevy: unreadable reply from a command");
    return n > 0 && p[0] == '-' ? -1 : 1;
}

/* SELECT inside a script: the script's database, not the client's. */
static int select_db(lua_State *L, kv_lrun *r, kv_cmdstate *st, const kv_str *arg)
{
    char tmp[32];
    char *end;
    long long db;
    size_t n = arg->n < sizeof tmp - 1 ? arg->n : sizeof tmp - 1;
    memcpy(tmp, arg->p, n);
    tmp[n] = '\0';
    db = strtoll(tmp, &end, 10);
    if (n == 0 || *end)
        return fail(L, "ERR value is not an integer or out of range");
    if (db < 0 || db >= st->srv->databases)
        return fail(L, "ERR DB index is out of range");
    r->db = (int)db;
    lua_newtable(L);
    lua_pushstring(L, "ok");
    lua_pushstring(L, "OK");
    lua_settable(L, -3);
    return 1;
}

int kv_lua_script_line(lua_State *L)
{
    lua_Debug ar;
    int level;
    for (level = 0; lua_getstack(L, level, &ar); level++) {
        lua_getinfo(L, "Sl", &ar);
        if (!strcmp(ar.source, "@user_script") || !strcmp(ar.source, "@user_function"))
            return ar.currentline;
    }
    return -1;
}

/* 1: the value is pushed; -1: an error table is; 0: it yielded. */
static int prim(lua_State *L, int raise)
{
    kv_lua *l = self(L);
    kv_lrun *r = l->cur;
    kv_cmdstate *st = l->st;
    int argc = lua_gettop(L), i;
    kv_str argvbuf[16], *argv = argvbuf;
    const kv_cmd *cmd;
    if (!r)
        return fail(L, "ERR redis.call is only available to a running script");
    if (argc == 0)
        return fail(L, "ERR Please specify at least one argument for this redis lib call");
    if (argc > 16 && !(argv = malloc((size_t)argc * sizeof *argv)))
        abort();
    for (i = 0; i < argc; i++) {
        int t = lua_type(L, i + 1);
        if (t != LUA_TSTRING && t != LUA_TNUMBER) {
            if (argv != argvbuf)
                free(argv);
            return fail(L, "ERR Lua redis lib command arguments must be strings or integers");
        }
        argv[i].p = lua_tolstring(L, i + 1, &argv[i].n); /* a number becomes its text */
    }
    cmd = kv_cmd_lookup((void *)(uintptr_t)st->srv, argc, argv);
    if (cmd->flags & KV_CMD_UNKNOWN) {
        if (argv != argvbuf)
            free(argv);
        return fail(L, "ERR Unknown Redis command called from script");
    }
    if ((cmd->arity > 0 && argc != cmd->arity) || (cmd->arity < 0 && argc < -cmd->arity)) {
        if (argv != argvbuf)
            free(argv);
        return fail(L, "ERR Wrong number of args calling Redis command from script");
    }
    if (cmd->flags & KV_CMD_NOSCRIPT) {
        if (argv != argvbuf)
            free(argv);
        return fail(L, "ERR This Redis command is not allowed from script");
    }
    if ((cmd->flags & KV_CMD_WRITE) && r->readonly) {
        if (argv != argvbuf)
            free(argv);
        return fail(L, "ERR Write commands are not allowed from read-only scripts.");
    }
    { /* ACL: the script's client's rules (acl/acl_check.c) */
        const char *denied = kv_acl_script_denied(r->coord ? r->step_ctx : r->ctx, cmd, argc,
                                                  argv);
        if (denied) {
            if (argv != argvbuf)
                free(argv);
            return fail(L, denied);
        }
    }
    if (!strcmp(cmd->name, "select")) {
        int rc = select_db(L, r, st, &argv[1]);
        if (argv != argvbuf)
            free(argv);
        return rc;
    }
    if (!covered(r, st, cmd, argc, argv)) {
        if (argv != argvbuf)
            free(argv);
        r->escalate = 1;
        return 0; /* eval.c stops here and runs the script again */
    }
    /* Over maxmemory when the script started: deny-oom commands are
     * refused until it has written (then it cannot stop half-way). */
    if (r->oom && !r->wrote && (kv_desc(cmd)->rflags & KV_RF_DENYOOM)) {
        if (argv != argvbuf)
            free(argv);
        return fail(L, "OOM command not allowed when used memory > 'maxmemory'.");
    }
    if (cmd->flags & KV_CMD_WRITE)
        r->wrote = 1;
    if (!r->coord) {
        kv_buf *out = &l->callbuf; /* calls never nest: a script runs no script */
        int rc;
        long long t0 = kv_monotonic_us();
        out->len = 0;
        run_here(r, cmd, argc, argv, out);
        /* A script's calls count as calls (commandstats, SLOWLOG), as Redis's. */
        kv_lua_report(r->ctx, cmd, argc, argv, out->p ? out->p : "", out->len, t0);
        if (argv != argvbuf)
            free(argv);
        rc = push_result(L, r, out->p ? out->p : "", out->len);
        if (out->cap > 65536) /* a big reply's room is not kept */
            kv_buf_free(out);
        return rc;
    }
    /* Coordinated: the call waits in the run (its bytes copied), the
     * coordination sends it and resumes the script with its reply. */
    {
        size_t total = 0, off = 0;
        for (i = 0; i < argc; i++)
            total += argv[i].n;
        r->pbuf.len = 0;
        kv_buf_reserve(&r->pbuf, total ? total : 1);
        free(r->pargv);
        if (!(r->pargv = malloc((size_t)argc * sizeof *r->pargv)))
            abort();
        for (i = 0; i < argc; i++) {
            memcpy(r->pbuf.p + off, argv[i].p, argv[i].n);
            off += argv[i].n;
        }
        r->pbuf.len = off;
        for (i = 0, off = 0; i < argc; i++) {
            r->pargv[i].p = r->pbuf.p + off;
            r->pargv[i].n = argv[i].n;
            off += argv[i].n;
        }
        r->pargc = argc;
        r->pcmd = cmd;
        r->call_t0 = kv_monotonic_us();
        r->call_thread = L;
        r->call_raise = raise;
        r->call_line = kv_lua_script_line(L);
        if (r->call_line < 0)
            r->call_line = kv_lua_script_line(r->co);
    }
    if (argv != argvbuf)
        free(argv);
    return 0;
}

static int l_call(lua_State *L)
{
    int rc = prim(L, 1);
    if (rc == 0)
        return lua_yield(L, 0);
    if (rc < 0)
        return lua_error(L); /* from C: the script's frame stays, for its line */
    return 1;
}

static int l_pcall(lua_State *L)
{
    int rc = prim(L, 0);
    return rc == 0 ? lua_yield(L, 0) : 1;
}

/* A coordinated redis.call whose reply is an error raises it in the
 * script at the instruction after the call (a yielded C function cannot
 * raise once resumed): a one-shot count hook on the thread that called. */
static int raise_key;

static void raise_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    lua_sethook(L, kv_lua_busy_hook, LUA_MASKCOUNT, KV_LUA_HOOK_COUNT);
    lua_pushlightuserdata(L, &raise_key);
    lua_rawget(L, LUA_REGISTRYINDEX);
    lua_pushlightuserdata(L, &raise_key);
    lua_pushnil(L);
    lua_rawset(L, LUA_REGISTRYINDEX);
    lua_error(L);
}

int kv_lua_push_call_reply(lua_State *co, kv_lrun *r, const char *p, size_t n)
{
    int rc = push_result(co, r, p, n);
    r->pcmd = NULL;
    if (rc < 0 && r->call_raise) {
        lua_pushvalue(co, -1);
        luaL_unref(co, LUA_REGISTRYINDEX, r->raised_ref);
        r->raised_ref = luaL_ref(co, LUA_REGISTRYINDEX); /* its line is the call's */
        lua_pushlightuserdata(co, &raise_key);
        lua_insert(co, -2);
        lua_rawset(co, LUA_REGISTRYINDEX);
        lua_pushnil(co);
        lua_sethook(r->call_thread, raise_hook, LUA_MASKCOUNT, 1);
    }
    return 1;
}

static int l_setresp(lua_State *L)
{
    kv_lua *l = self(L);
    int v;
    if (lua_gettop(L) != 1)
        return kv_lua_raise(L, "redis.setresp() requires one argument.");
    v = (int)lua_tonumber(L, 1);
    if (v != 2 && v != 3)
        return kv_lua_raise(L, "RESP version must be 2 or 3.");
    if (l->cur)
        l->cur->resp = v;
    return 0;
}

static int l_acl_check_cmd(lua_State *L)
{
    kv_lua *l = self(L);
    int argc = lua_gettop(L), i, ok;
    kv_str buf[8], *argv = buf;
    const kv_cmd *cmd;
    if (argc < 1)
        return kv_lua_raise(L, "Please specify at least one argument for this redis lib call");
    for (i = 0; i < argc; i++)
        if (lua_type(L, i + 1) != LUA_TSTRING && lua_type(L, i + 1) != LUA_TNUMBER)
            return kv_lua_raise(L, "Lua redis lib command arguments must be strings or integers");
    if (argc > 8 && !(argv = malloc((size_t)argc * sizeof *argv)))
        abort();
    for (i = 0; i < argc; i++)
        argv[i].p = lua_tolstring(L, i + 1, &argv[i].n);
    cmd = kv_cmd_lookup((void *)(uintptr_t)l->st->srv, argc, argv);
    ok = !(cmd->flags & KV_CMD_UNKNOWN) &&
         kv_acl_script_allows(!l->cur ? NULL : l->cur->coord ? l->cur->step_ctx : l->cur->ctx,
                              cmd, argc, argv);
    if (argv != buf)
        free(argv);
    if (cmd->flags & KV_CMD_UNKNOWN)
        return kv_lua_raise(L, "Invalid command passed to redis.acl_check_cmd()");
    lua_pushboolean(L, ok); /* the script's client's ACL rules */
    return 1;
}

void kv_lua_install_calls(lua_State *L, kv_lua *l)
{
    static const struct {
        const char *name;
        lua_CFunction fn;
    } fns[] = {{"call", l_call}, {"pcall", l_pcall}, {"setresp", l_setresp},
               {"acl_check_cmd", l_acl_check_cmd}};
    size_t i;
    for (i = 0; i < sizeof fns / sizeof fns[0]; i++) { /* into the redis table at the top */
        lua_pushlightuserdata(L, l);
        lua_pushcclosure(L, fns[i].fn, 1);
        lua_setfield(L, -2, fns[i].name);
    }
}
