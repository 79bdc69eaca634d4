/* Table-driven configuration: each directive names its type, range and field,
 * so parsing, validation, --help and (later) CONFIG GET/SET all read the same
 * table. Error texts follow Redis's config errors. */
#include "server/config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum { T_INT, T_MEM, T_BOOL, T_STR, T_LOGLEVEL } kv_ctype;

typedef struct kv_directive {
    const char *name;
    kv_ctype type;
    size_t off;
    long long min, max;
    const char *help;
} kv_directive;

#define OFF(f) offsetof(kv_config, f)

static const kv_directive kv_directives[] = {
    {"bind", T_STR, OFF(bind), 0, 0, "address to listen on (default 127.0.0.1)"},
    {"port", T_INT, OFF(port), 0, 65535, "TCP port (default 6379; 0 picks a free one)"},
    {"shards", T_INT, OFF(shards), 0, 1024, "shard threads (default 0: one per online CPU)"},
    {"databases", T_INT, OFF(databases), 1, INT_MAX, "number of databases (default 16)"},
    {"hz", T_INT, OFF(hz), 1, 500, "background task frequency (default 10)"},
    {"tcp-backlog", T_INT, OFF(tcp_backlog), 0, INT_MAX, "listen backlog (default 511)"},
    {"loglevel", T_LOGLEVEL, OFF(loglevel), 0, 3, "debug, verbose, notice or warning (default notice)"},
    {"pin-threads", T_BOOL, OFF(pin_threads), 0, 1, "pin shard i to CPU i (default no)"},
    {"maxclients", T_INT, OFF(maxclients), 1, LLONG_MAX, "reported in INFO (default 10000)"},
    {"proto-max-bulk-len", T_MEM, OFF(proto_max_bulk_len), 1024 * 1024, LLONG_MAX,
     "largest bulk string in a request (default 512mb)"},
    {"client-query-buffer-limit", T_MEM, OFF(client_query_buffer_limit), 1024 * 1024, LLONG_MAX,
     "largest pending request per client (default 1gb)"},
};

#define NDIRECTIVES (sizeof kv_directives / sizeof kv_directives[0])

void kv_config_defaults(kv_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->bind, sizeof c->bind, "127.0.0.1");
    c->port = 6379;
    c->databases = 16;
    c->hz = 10;
    c->tcp_backlog = 511;
    c->loglevel = 2;
    c->maxclients = 10000;
    c->proto_max_bulk_len = 512LL * 1024 * 1024;
    c->client_query_buffer_limit = 1024LL * 1024 * 1024;
}

long long kv_config_memtoll(const char *s)
{
    static const struct { const char *unit; long long mul; } units[] = {
        {"", 1}, {"b", 1}, {"k", 1000}, {"kb", 1024}, {"m", 1000 * 1000},
        {"mb", 1024 * 1024}, {"g", 1000LL * 1000 * 1000}, {"gb", 1024LL * 1024 * 1024},
    };
    char *end;
    long long v;
    size_t i;
    if (!*s || *s == '-' || *s == '+' || *s == ' ')
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || end == s)
        return -1;
    for (i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcasecmp(end, units[i].unit) == 0) {
            if (v > LLONG_MAX / units[i].mul)
                return -1;
            return v * units[i].mul;
        }
    }
    return -1;
}

static int kv_parse_ll(const char *s, long long *v)
{
    char *end;
    if (!*s)
        return -1;
    errno = 0;
    *v = strtoll(s, &end, 10);
    return errno || *end ? -1 : 0;
}

int kv_config_set(kv_config *c, const char *name, int argc, char **argv, char *err,
                  size_t errlen)
{
    size_t i;
    char *field;
    long long v;
    for (i = 0; i < NDIRECTIVES; i++)
        if (strcasecmp(name, kv_directives[i].name) == 0)
            break;
    if (i == NDIRECTIVES || argc != 1) {
        snprintf(err, errlen, "Bad directive or wrong number of arguments");
        return -1;
    }
    field = (char *)c + kv_directives[i].off;
    switch (kv_directives[i].type) {
    case T_STR:
        if (strlen(argv[0]) >= sizeof c->bind) {
            snprintf(err, errlen, "argument too long");
            return -1;
        }
        snprintf(field, sizeof c->bind, "%s", argv[0]);
        return 0;
    case T_BOOL:
        if (strcasecmp(argv[0], "yes") && strcasecmp(argv[0], "no")) {
            snprintf(err, errlen, "argument must be 'yes' or 'no'");
            return -1;
        }
        *(int *)(void *)field = strcasecmp(argv[0], "yes") == 0;
        return 0;
    case T_LOGLEVEL: {
        static const char *const levels[] = {"debug", "verbose", "notice", "warning"};
        int l;
        for (l = 0; l < 4; l++)
            if (strcasecmp(argv[0], levels[l]) == 0)
                break;
        if (l == 4) {
            snprintf(err, errlen, "argument(s) must be one of the following: debug, verbose, notice, warning, nothing");
            return -1;
        }
        *(int *)(void *)field = l;
        return 0;
    }
    case T_INT:
    case T_MEM:
        if (kv_directives[i].type == T_MEM)
            v = kv_config_memtoll(argv[0]);
        if ((kv_directives[i].type == T_MEM && v < 0) ||
            (kv_directives[i].type == T_INT && kv_parse_ll(argv[0], &v) < 0)) {
            snprintf(err, errlen, "argument couldn't be parsed into an integer");
            return -1;
        }
        if (v < kv_directives[i].min || v > kv_directives[i].max) {
            snprintf(err, errlen, "argument must be between %lld and %lld inclusive",
                     kv_directives[i].min, kv_directives[i].max);
            return -1;
        }
        if (kv_directives[i].off == OFF(maxclients) || kv_directives[i].type == T_MEM)
            *(long long *)(void *)field = v;
        else
            *(int *)(void *)field = (int)v;
        return 0;
    }
    return -1;
}

int kv_config_from_args(kv_config *c, int argc, char **argv, char *err, size_t errlen)
{
    int i = 0;
    while (i < argc) {
        char reason[200];
        const char *name = argv[i];
        int nvals = 0;
        if (strncmp(name, "--", 2) != 0 || !name[2]) {
            snprintf(err, errlen, "'%s': expected a --flag", name);
            return -1;
        }
        while (i + 1 + nvals < argc && strncmp(argv[i + 1 + nvals], "--", 2) != 0)
            nvals++;
        if (kv_config_set(c, name + 2, nvals, argv + i + 1, reason, sizeof reason) < 0) {
            snprintf(err, errlen, "'%s%s%s': %s", name, nvals ? " " : "", nvals ? argv[i + 1] : "",
                     reason);
            return -1;
        }
        i += 1 + nvals;
    }
    return 0;
}

void kv_config_usage(const char *prog)
{
    size_t i;
    printf("Usage: %s [--<directive> <value> ...]\n"
           "       %s --help | --version\n\n"
           "A Redis 7.0-compatible, thread-per-core key-value server.\n"
           "Directives use Redis's names and value syntax (memory: 1mb, 1gb...).\n\n",
           prog, prog);
    for (i = 0; i < NDIRECTIVES; i++)
        printf("  --%-27s %s\n", kv_directives[i].name, kv_directives[i].help);
    printf("  --%-27s %s\n  --%-27s %s\n", "help", "show this text", "version",
           "print the version and exit");
}
