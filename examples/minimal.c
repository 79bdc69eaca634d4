/* The smallest embedding of libkevy-rt, mirroring kevy_rt's own example:
 * a command set in which every command answers +OK. Commands with a first
 * argument are routed to the shard owning that "key", the rest run on the
 * client's home shard; QUIT closes the connection after its reply.
 * Build: make (produces build/kevy-minimal). Run: kevy-minimal [port] [shards]. */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "kevy/rt.h"

static void ok_exec(kv_ctx *ctx, int argc, const kv_str *argv)
{
    (void)argc;
    if (argv[0].n == 4 && strncasecmp(argv[0].p, "quit", 4) == 0 && ctx->conn)
        kv_conn_close_after_reply(ctx->conn);
    kv_reply_status(&ctx->out, "OK");
}

/* Same behaviour, two routes: "keyed" when there is an argument to route by. */
static const kv_cmd keyed = {.name = "any", .arity = -1, .first_key = 1, .last_key = 1,
                             .key_step = 1, .route = KV_ROUTE_KEY, .exec = ok_exec};
static const kv_cmd local = {.name = "any", .arity = -1, .route = KV_ROUTE_LOCAL, .exec = ok_exec};

static const kv_cmd *lookup(void *udata, int argc, const kv_str *argv)
{
    (void)udata;
    if (argc >= 2 && !(argv[0].n == 4 && strncasecmp(argv[0].p, "quit", 4) == 0))
        return &keyed;
    return &local;
}

int main(int argc, char **argv)
{
    kv_rt_config cfg;
    char err[256];
    kv_rt *rt;
    int rc;

    kv_rt_config_defaults(&cfg);
    if (argc > 1)
        cfg.port = atoi(argv[1]);
    if (argc > 2)
        cfg.nshards = atoi(argv[2]);
    cfg.cmds.lookup = lookup;
    rt = kv_rt_new(&cfg, err, sizeof err);
    if (!rt) {
        fprintf(stderr, "kevy-minimal: %s\n", err);
        return 1;
    }
    rc = kv_rt_run(rt);
    kv_rt_free(rt);
    return rc == 0 ? 0 : 1;
}
