/* Server configuration: Redis directive names and value syntax (memory units
 * such as 1gb, yes/no booleans, enums), shared by command-line flags
 * ("--port 7000") and, later, redis.conf-style files, so both accept exactly
 * the same things and give the same errors. */
#ifndef KV_SERVER_CONFIG_H
#define KV_SERVER_CONFIG_H

#include <stddef.h>

typedef struct kv_config {
    char bind[256];
    int port;
    int shards;
    int databases;
    int hz;
    int tcp_backlog;
    int loglevel; /* 0 debug .. 3 warning */
    int pin_threads;
    long long maxclients;
    long long proto_max_bulk_len;
    long long client_query_buffer_limit;
} kv_config;

void kv_config_defaults(kv_config *c);
/* Apply one directive. Returns 0, or -1 with a Redis-style reason in err. */
int kv_config_set(kv_config *c, const char *name, int argc, char **argv, char *err,
                  size_t errlen);
/* Apply "--name value ..." command-line flags (argv without the program
 * name). Returns 0, or -1 with err naming the offending flag. */
int kv_config_from_args(kv_config *c, int argc, char **argv, char *err, size_t errlen);
/* Print every directive with its default and meaning (for --help). */
void kv_config_usage(const char *prog);
/* Redis's memtoull: "1gb" = 1024^3, "1g" = 1000^3, plain bytes. -1 if bad. */
long long kv_config_memtoll(const char *s);

#endif
