/* kevy-server: read the configuration, describe the server to the command
 * set, and hand both to the runtime. Everything else lives in the runtime
 * (src/rt) and the command set (src/cmd). */
#define _XOPEN_SOURCE 700
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "kevy/rt.h"
#include "server/config.h"

#define KEVY_VERSION "0.1.0"

/* Random bytes for the hash seed and run id; falls back to time and pid. */
static void kv_random_bytes(unsigned char *out, size_t n)
{
    int fd = open("/dev/urandom", O_RDONLY);
    size_t got = 0, i;
    if (fd >= 0) {
        while (got < n) {
            ssize_t r = read(fd, out + got, n - got);
            if (r <= 0)
                break;
            got += (size_t)r;
        }
        close(fd);
    }
    if (got < n) {
        unsigned long long x = (unsigned long long)time(NULL) ^ ((unsigned long long)getpid() << 32);
        for (i = got; i < n; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            out[i] = (unsigned char)(x >> 56);
        }
    }
}

static void kv_describe(kv_server *srv, const kv_config *cfg, const char *argv0)
{
    unsigned char rnd[KV_RUN_ID_LEN / 2];
    size_t i;
    memset(srv, 0, sizeof *srv);
    srv->databases = cfg->databases;
    srv->hz = cfg->hz;
    srv->maxclients = cfg->maxclients;
    srv->proto_max_bulk_len = cfg->proto_max_bulk_len;
    srv->client_query_buffer_limit = cfg->client_query_buffer_limit;
    kv_random_bytes(srv->seed, sizeof srv->seed);
    kv_random_bytes(rnd, sizeof rnd);
    for (i = 0; i < sizeof rnd; i++)
        snprintf(srv->run_id + 2 * i, 3, "%02x", rnd[i]);
    if (!realpath(argv0, srv->executable))
        snprintf(srv->executable, sizeof srv->executable, "%s", argv0);
    srv->start_ms = (long long)time(NULL) * 1000;
}

int main(int argc, char **argv)
{
    kv_config cfg;
    kv_rt_config rcfg;
    kv_server srv;
    kv_rt *rt;
    char err[512];
    int rc;

    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        kv_config_usage(argv[0]);
        return 0;
    }
    if (argc > 1 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-v"))) {
        printf("kevy-server v=%s (Redis 7.0.15 compatible) reactor=%s\n", KEVY_VERSION,
               kv_rt_backend());
        return 0;
    }
    kv_config_defaults(&cfg);
    if (kv_config_from_args(&cfg, argc - 1, argv + 1, err, sizeof err) < 0) {
        fprintf(stderr, "\n*** FATAL CONFIG ERROR (kevy %s) ***\n>>> %s\n", KEVY_VERSION, err);
        return 1;
    }
    kv_rt_config_defaults(&rcfg);
    rcfg.bind = cfg.bind;
    rcfg.port = cfg.port;
    rcfg.nshards = cfg.shards;
    rcfg.hz = cfg.hz;
    rcfg.tcp_backlog = cfg.tcp_backlog;
    rcfg.loglevel = cfg.loglevel;
    rcfg.pin_threads = cfg.pin_threads;
    rcfg.maxclients = cfg.maxclients;
    rcfg.limits.proto_max_bulk_len = cfg.proto_max_bulk_len;
    rcfg.limits.client_query_buffer_limit = cfg.client_query_buffer_limit;
    kv_describe(&srv, &cfg, argv[0]);
    kv_commands_init(&rcfg.cmds, &srv);
    rt = kv_rt_new(&rcfg, err, sizeof err);
    if (!rt) {
        fprintf(stderr, "kevy-server: %s\n", err);
        return 1;
    }
    /* Known once the runtime has bound its port; no shard runs yet. */
    srv.nshards = kv_rt_nshards(rt);
    srv.port = kv_rt_port(rt);
    rc = kv_rt_run(rt);
    kv_rt_free(rt);
    return rc == 0 ? 0 : 1;
}
