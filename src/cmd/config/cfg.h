/* Configuration values: one copy per shard (CONFIG SET runs on every shard
 * and each updates its own), holding every parameter of cfgtab.h as the
 * canonical text CONFIG GET prints. Parsing and validation follow Redis's
 * rules and error texts, shared by CONFIG SET, config files and flags. */
#ifndef KV_CMD_CFG_H
#define KV_CMD_CFG_H

#include <stddef.h>

#include "cmd/config/cfgtab.h"
#include "store/rdb.h"

typedef struct kv_cfg {
    char **val; /* kv_ncfgdefs canonical values, owned */
    /* The collection encoding parameters (hash-max-listpack-entries, ...)
     * parsed, kept current by kv_cfg_store: commands read them on every
     * write that may convert a value. */
    kv_enc_limits enc;
    long long busy_reply_ms; /* busy-reply-threshold: read by every script run */
} kv_cfg;

kv_cfg *kv_cfg_new(void); /* every parameter at Redis's default */
kv_cfg *kv_cfg_clone(const kv_cfg *c);
void kv_cfg_free(kv_cfg *c);

/* Index of a parameter by name (any case), or -1. */
int kv_cfg_index(const char *name, size_t n);
const char *kv_cfg_value(const kv_cfg *c, int i);
/* By name, for the parameters kevy applies; "" for an unknown name. */
const char *kv_cfg_get(const kv_cfg *c, const char *name);
long long kv_cfg_ll(const kv_cfg *c, const char *name); /* numeric parameters */
int kv_cfg_yes(const kv_cfg *c, const char *name);      /* booleans */

/* Check `v` as a value of parameter i and make its canonical text in
 * *canon (malloc'd). `cur` is the current value (client-output-buffer-limit
 * changes only the classes it names). Returns 0, or -1 with Redis's reason
 * in err ("argument must be 'yes' or 'no'"). */
int kv_cfg_check(int i, const char *v, size_t n, const char *cur, char **canon, char *err,
                 size_t errlen);
/* Store a canonical value (taking it) under i and its alias (and refresh
 * enc). */
void kv_cfg_store(kv_cfg *c, int i, char *canon);

/* Parameter i's value as Redis shows it (CONFIG GET, REWRITE): the stored
 * one, but for notify-keyspace-events's 'n' beside 'A'. buf: 32 bytes. */
const char *kv_cfg_shown(const kv_cfg *c, int i, char *buf, size_t cap);

/* One class of a canonical client-output-buffer-limit: hard, soft, seconds. */
int kv_cfg_cobl_class(const char *canon, const char *cls, long long out[3]);
/* Redis's memtoull: "1gb" = 1024^3, "1g" = 1000^3, digits with no sign.
 * Returns 0, or -1 if malformed. */
int kv_cfg_memtoull(const char *s, size_t n, unsigned long long *out);

/* Redis's sdssplitargs: whitespace-separated words, "double quotes" with
 * \n \r \t \b \a \xHH escapes, 'single quotes' with \'. Returns the count
 * (words in *out, malloc'd, NUL-ended, lengths in *lens), or -1 on
 * unbalanced quotes. Free with kv_cfg_freeargs. */
int kv_cfg_splitargs(const char *line, size_t n, char ***out, size_t **lens);
void kv_cfg_freeargs(char **args, size_t *lens, int n);

/* cfgrewrite.c: CONFIG REWRITE of the file at path with cfg's values and
 * the ACL users' lines (each "user ..." ending with a newline; "" drops
 * the file's, as Redis does with an aclfile); 0, or -1 with the reason in
 * err. */
int kv_config_rewrite(const char *path, const kv_cfg *cfg, const char *users, char *err,
                      size_t errlen);

#endif
