/* kv_local: one shard with no thread, no reactor and no socket, driven by
 * direct calls. Commands go through the very same lookup, arity, routing and
 * reply-ordering code as on a live shard, which is what makes it useful for
 * unit tests and for fuzzing the command layer in-process. */
#include "rt/internal.h"

#include <stdlib.h>

struct kv_local {
    kv_rt rt;
    kv_shard shard;
    kv_conn *conn;
};

kv_local *kv_local_new(const kv_cmdset *cmds)
{
    kv_local *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    kv_rt_config_defaults(&l->rt.cfg);
    l->rt.cfg.cmds = *cmds;
    l->rt.n = 1;
    l->rt.shards = &l->shard;
    l->rt.next_client_id = 1;
    l->rt.loglevel = KV_LOG_WARNING;
    if (kv_shard_setup(&l->shard, &l->rt, 0) < 0) {
        kv_shard_teardown(&l->shard);
        free(l);
        return NULL;
    }
    if (cmds->shard_init)
        l->shard.state = cmds->shard_init(&l->shard, cmds->udata);
    l->conn = kv_conn_new(&l->shard, -1);
    if (!l->conn)
        abort();
    l->conn->flags |= KV_CONN_FAKE | KV_CONN_HIDDEN;
    return l;
}

void kv_local_exec(kv_local *l, int argc, const kv_str *argv, kv_buf *out)
{
    kv_conn *c = l->conn;
    l->shard.now_us = kv_clock_us();
    if (argc <= 0)
        return;
    c->flags |= KV_CONN_EXEC;
    (void)kv_dispatch(c, argc, argv); /* one shard: never has to wait */
    c->flags &= ~KV_CONN_EXEC;
    kv_buf_append(out, c->out.p, c->out.len);
    c->out.len = 0;
    c->flags &= ~KV_CONN_CLOSE_AFTER_REPLY; /* QUIT: the fake client stays */
}

void kv_local_free(kv_local *l)
{
    const kv_cmdset *cs;
    if (!l)
        return;
    cs = &l->rt.cfg.cmds;
    kv_conn_free(l->conn);
    if (cs->shard_fini)
        cs->shard_fini(&l->shard, l->shard.state);
    kv_shard_teardown(&l->shard);
    free(l);
}

void *kv_local_state(kv_local *l)
{
    return l->shard.state;
}
