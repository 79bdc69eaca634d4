/* Startup configuration: a redis.conf-style file (Redis's directive names
 * and syntax: quoting, units, repeated save / client-output-buffer-limit
 * lines, include) followed by "--name value" flags that override it, as in
 * `kevy-server kevy.conf --port 7000`. Every Redis parameter is checked by
 * the same code as CONFIG SET (src/cmd/cfg.c), so both give the same
 * errors; kevy's own directives (shards, pin-threads) are handled here. */
#ifndef KV_SERVER_CONFIG_H
#define KV_SERVER_CONFIG_H

#include <stddef.h>

#include "cmd/config/cfg.h"

typedef struct kv_config {
    kv_cfg *cfg;       /* Redis's parameters */
    int shards;        /* 0: one per online CPU */
    int pin_threads;
    char file[1024];   /* absolute path of the configuration file, or "" */
    int save_lines;    /* "save" directives seen (they accumulate) */
    int bind_set;      /* a bind directive was given */
    /* "user" directives (ACL users), applied once the command set exists */
    struct kv_config_user {
        int argc;
        char **argv;
    } *users;
    int nusers;
} kv_config;

void kv_config_init(kv_config *c);
void kv_config_free(kv_config *c);

/* Apply one directive (name and its arguments). Returns 0, or -1 with
 * Redis's reason in err. */
int kv_config_directive(kv_config *c, int argc, char **argv, char *err, size_t errlen);

/* Load `[file] [--name value ...]` (argv without the program name). On
 * failure returns -1 with the complete report in err (Redis's "FATAL
 * CONFIG FILE ERROR" text, the line and the reason). */
int kv_config_load(kv_config *c, int argc, char **argv, char *err, size_t errlen);

/* Print every directive with its default (for --help). */
void kv_config_usage(const char *prog);

#endif
