/* kevy-server: read the configuration (file, then flags), describe the
 * server to the command set, and hand both to the runtime. Everything else
 * lives in the runtime (src/rt) and the command set (src/cmd). */
#define _XOPEN_SOURCE 700
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/acl/acl.h"
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

static void kv_set(kv_cfg *cfg, const char *name, const char *value)
{
    int i = kv_cfg_index(name, strlen(name));
    char *copy = malloc(strlen(value) + 1);
    if (!copy)
        abort();
    strcpy(copy, value);
    kv_cfg_store(cfg, i, copy);
}

static void kv_describe(kv_server *srv, const kv_config *cfg, const char *argv0)
{
    unsigned char rnd[KV_RUN_ID_LEN / 2];
    long long hz = kv_cfg_ll(cfg->cfg, "hz");
    size_t i;
    memset(srv, 0, sizeof *srv);
    srv->databases = (int)kv_cfg_ll(cfg->cfg, "databases");
    srv->hz = (int)hz;
    srv->maxclients = kv_cfg_ll(cfg->cfg, "maxclients");
    srv->proto_max_bulk_len = kv_cfg_ll(cfg->cfg, "proto-max-bulk-len");
    srv->client_query_buffer_limit = kv_cfg_ll(cfg->cfg, "client-query-buffer-limit");
    snprintf(srv->config_file, sizeof srv->config_file, "%s", cfg->file);
    kv_random_bytes(srv->seed, sizeof srv->seed);
    kv_random_bytes(rnd, sizeof rnd);
    for (i = 0; i < sizeof rnd; i++)
        snprintf(srv->run_id + 2 * i, 3, "%02x", rnd[i]);
    if (!realpath(argv0, srv->executable))
        snprintf(srv->executable, sizeof srv->executable, "%s", argv0);
    srv->start_ms = (long long)time(NULL) * 1000;
    srv->cfg = cfg->cfg;
}

/* The runtime listens on one address: the first of `bind`. */
static void kv_first_bind(const char *bind, char *out, size_t len)
{
    size_t n = strcspn(bind, " ");
    if (*bind == '-') {
        bind++;
        n--;
    }
    if (n == 1 && *bind == '*')
        snprintf(out, len, "0.0.0.0");
    else if (n == 3 && !strncmp(bind, "::*", 3))
        snprintf(out, len, "::");
    else
        snprintf(out, len, "%.*s", (int)n, bind);
}

static int kv_loglevel(const char *name)
{
    static const char *const levels[] = {"debug", "verbose", "notice", "warning"};
    int i;
    for (i = 0; i < 4; i++)
        if (!strcmp(name, levels[i]))
            return i;
    return 2;
}

/* daemonize yes: detach before any thread exists. */
static void kv_daemonize(void)
{
    pid_t pid = fork();
    int fd;
    if (pid < 0)
        return;
    if (pid > 0)
        _exit(0);
    setsid();
    if ((fd = open("/dev/null", O_RDWR)) >= 0) {
        dup2(fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        if (fd > STDERR_FILENO)
            close(fd);
    }
}

int main(int argc, char **argv)
{
    kv_config cfg;
    kv_rt_config rcfg;
    kv_server srv;
    kv_shared shared;
    kv_rt *rt;
    char err[2048], bind[256], cwd[PATH_MAX], port[16];
    const char *logfile, *pidfile;
    long long cobl[3] = {0, 0, 0};
    int rc, i;

    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        kv_config_usage(argv[0]);
        return 0;
    }
    if (argc > 1 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-v"))) {
        printf("kevy-server v=%s (Redis 7.0.15 compatible) reactor=%s\n", KEVY_VERSION,
               kv_rt_backend());
        return 0;
    }
    kv_config_init(&cfg);
    if (kv_config_load(&cfg, argc - 1, argv + 1, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        kv_config_free(&cfg);
        return 1;
    }
    /* kevy listens on loopback unless told otherwise (protected by default). */
    if (!cfg.bind_set)
        kv_set(cfg.cfg, "bind", "127.0.0.1");
    /* dir is absolute (CONFIG GET shows it so); --dir or the file wins. */
    if (!*kv_cfg_get(cfg.cfg, "dir") && getcwd(cwd, sizeof cwd))
        kv_set(cfg.cfg, "dir", cwd);
    if (kv_cfg_yes(cfg.cfg, "daemonize"))
        kv_daemonize();
    logfile = kv_cfg_get(cfg.cfg, "logfile");
    if (*logfile && !freopen(logfile, "a", stderr)) {
        fprintf(stdout, "Can't open the log file: %s\n", logfile);
        kv_config_free(&cfg);
        return 1;
    }

    kv_rt_config_defaults(&rcfg);
    kv_first_bind(kv_cfg_get(cfg.cfg, "bind"), bind, sizeof bind);
    rcfg.bind = bind;
    rcfg.port = (int)kv_cfg_ll(cfg.cfg, "port");
    rcfg.nshards = cfg.shards;
    rcfg.hz = (int)kv_cfg_ll(cfg.cfg, "hz");
    rcfg.tcp_backlog = (int)kv_cfg_ll(cfg.cfg, "tcp-backlog");
    rcfg.loglevel = kv_loglevel(kv_cfg_get(cfg.cfg, "loglevel"));
    rcfg.pin_threads = cfg.pin_threads;
    rcfg.cpulist = kv_cfg_get(cfg.cfg, "server_cpulist");
    rcfg.maxclients = kv_cfg_ll(cfg.cfg, "maxclients");
    rcfg.limits.proto_max_bulk_len = kv_cfg_ll(cfg.cfg, "proto-max-bulk-len");
    rcfg.limits.client_query_buffer_limit = kv_cfg_ll(cfg.cfg, "client-query-buffer-limit");
    kv_cfg_cobl_class(kv_cfg_get(cfg.cfg, "client-output-buffer-limit"), "normal", cobl);
    rcfg.limits.obuf_hard = cobl[0];
    rcfg.limits.obuf_soft = cobl[1];
    rcfg.limits.obuf_soft_seconds = cobl[2];
    kv_cfg_cobl_class(kv_cfg_get(cfg.cfg, "client-output-buffer-limit"), "pubsub", cobl);
    rcfg.limits.pubsub_hard = cobl[0];
    rcfg.limits.pubsub_soft = cobl[1];
    rcfg.limits.pubsub_soft_seconds = cobl[2];
    rcfg.limits.idle_timeout_s = kv_cfg_ll(cfg.cfg, "timeout");
    rcfg.limits.tcp_keepalive_s = (int)kv_cfg_ll(cfg.cfg, "tcp-keepalive");
    kv_describe(&srv, &cfg, argv[0]);
    memset(&shared, 0, sizeof shared);
    srv.shared = &shared;
    kv_commands_init(&rcfg.cmds, &srv);
    /* ACL users: the config's "user" lines, or the aclfile, not both */
    kv_acl_set_pubsub_default(srv.acl,
                              !strcmp(kv_cfg_get(cfg.cfg, "acl-pubsub-default"), "allchannels"));
    if (cfg.nusers && *kv_cfg_get(cfg.cfg, "aclfile")) {
        snprintf(err, sizeof err, "Configuring Redis with users defined in redis.conf and at "
                                  "the same setting an ACL file path is invalid. This setup is "
                                  "very likely to lead to configuration errors and security "
                                  "holes, please define either an ACL file or declare users "
                                  "directly in your redis.conf, but not both.");
        i = -1;
    } else if (*kv_cfg_get(cfg.cfg, "aclfile")) {
        char why[1800];
        i = kv_acl_load_file(srv.acl, kv_cfg_get(cfg.cfg, "aclfile"), why, sizeof why);
        if (i != 0)
            snprintf(err, sizeof err, "Aborting startup because of ACL errors: %s", why);
    } else {
        for (i = 0; i < cfg.nusers; i++)
            if (kv_acl_config_user(srv.acl, cfg.users[i].argc, cfg.users[i].argv, err,
                                   sizeof err) != 0)
                break;
        i = i < cfg.nusers ? -1 : 0;
    }
    if (i != 0) {
        fprintf(stderr, "kevy-server: %s\n", err);
        kv_commands_fini(&srv);
        kv_config_free(&cfg);
        return 1;
    }
    rt = kv_rt_new(&rcfg, err, sizeof err);
    if (!rt) {
        fprintf(stderr, "kevy-server: %s\n", err);
        kv_commands_fini(&srv);
        kv_config_free(&cfg);
        return 1;
    }
    /* Known once the runtime has bound its port; no shard runs yet. */
    srv.nshards = kv_rt_nshards(rt);
    srv.port = kv_rt_port(rt);
    if (kv_commands_load(&rcfg.cmds, &srv, err, sizeof err) != 0) {
        fprintf(stderr, "kevy-server: %s\n", err);
        kv_rt_free(rt);
        kv_commands_fini(&srv);
        kv_config_free(&cfg);
        return 1;
    }
    snprintf(port, sizeof port, "%d", srv.port);
    kv_set(cfg.cfg, "port", port);
    pidfile = kv_cfg_get(cfg.cfg, "pidfile");
    if (*pidfile) {
        FILE *f = fopen(pidfile, "w");
        if (f) {
            fprintf(f, "%ld\n", (long)getpid());
            fclose(f);
        }
    }
    rc = kv_rt_run(rt);
    kv_rt_free(rt);
    kv_commands_fini(&srv);
    if (*pidfile)
        unlink(pidfile);
    kv_config_free(&cfg);
    return rc == 0 ? 0 : 1;
}
