/* The table of Redis 7.0's configuration parameters (cfgtab_gen.c, generated
 * by tools/gen_config.py from a real redis-server): each parameter's value
 * syntax, bounds, default, flags and alias. cfg.c parses and prints values
 * by these descriptions; nothing else in kevy hard-codes parameter lists. */
#ifndef KV_CMD_CFGTAB_H
#define KV_CMD_CFGTAB_H

#include <stddef.h>

/* Value syntaxes. The first ones are Redis's generic config types; the rest
 * are parameters with a syntax of their own. */
enum {
    KV_CT_BOOL,        /* yes | no */
    KV_CT_INT,         /* string2ll rules, [min, max] */
    KV_CT_MEMORY,      /* 1gb, 1g, 1024 ... (memtoull), [min, max] */
    KV_CT_MEMPERCENT,  /* a memory value or "N%" (0..100) */
    KV_CT_OCTAL,       /* unixsocketperm */
    KV_CT_ENUM,        /* one of `enums` */
    KV_CT_STRING,
    KV_CT_SAVE,        /* "<seconds> <changes> ..." */
    KV_CT_COBL,        /* client-output-buffer-limit "<class> <hard> <soft> <secs> ..." */
    KV_CT_NOTIFY,      /* notify-keyspace-events flag letters */
    KV_CT_OOMVALS,     /* three integers in [-2000, 2000] */
    KV_CT_BIND,        /* addresses, optionally prefixed with '-' */
    KV_CT_PERCENTILES, /* latency-tracking-info-percentiles: doubles in [0, 100] */
    KV_CT_DIR,         /* a directory; the server chdirs to it */
    KV_CT_REPLICAOF    /* "<host> <port>" (startup only) */
};

#define KV_CF_IMMUTABLE 0x01u /* CONFIG SET refuses it */
#define KV_CF_PROTECTED 0x02u /* CONFIG SET needs enable-protected-configs */
#define KV_CF_HIDDEN 0x04u    /* not matched by CONFIG GET patterns */
#define KV_CF_UNSIGNED 0x08u  /* min/max and values are unsigned long long */

typedef struct kv_cfgdef {
    const char *name;  /* lower case */
    int type;          /* KV_CT_* */
    unsigned flags;    /* KV_CF_* */
    long long min, max; /* numeric bounds (max -1 with KV_CF_UNSIGNED: ULLONG_MAX) */
    const char *enums; /* KV_CT_ENUM: "a\0b\0c\0" in Redis's order */
    const char *def;   /* default, as CONFIG GET prints it */
    int alias;         /* index of the other name of the same setting, or -1 */
} kv_cfgdef;

/* Sorted by name. */
extern const kv_cfgdef kv_cfgdefs[];
extern const int kv_ncfgdefs;

#endif
