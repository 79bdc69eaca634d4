/* Per-command metadata copied from Redis 7.0.15: arity, key positions, flags,
 * ACL categories (as names and as bit sets) and the exact COMMAND INFO /
 * COMMAND DOCS reply bytes. The table and the bits are generated
 * (cmdmeta_gen.c, cmdmeta_flags.h, by tools/gen_cmdmeta.py); RESP2 replies
 * are the mechanical kv_resp3_to_resp2 conversion of these. */
#ifndef KEVY_CMD_CMDMETA_H
#define KEVY_CMD_CMDMETA_H

#include <stddef.h>

#include "cmd/core/cmdmeta_flags.h"

typedef struct kv_cmdmeta {
    const char *name;            /* "get", "command|info" */
    int arity, first_key, last_key, key_step;
    const char *const *flags;    /* NULL-terminated, Redis's flag names e.g. "readonly","fast" */
    const char *const *acl_categories; /* NULL-terminated, e.g. "@read","@string","@fast" */
    unsigned long rflags;        /* the flags as KV_RF_* bits */
    unsigned long acl;           /* the categories as KV_ACL_* bits */
    const char *info_resp3; size_t info_len;   /* COMMAND INFO element, RESP3 bytes */
    const char *docs_resp3; size_t docs_len;   /* COMMAND DOCS value for this name, RESP3 bytes */
} kv_cmdmeta;

/* The name of bit i of KV_RF_* and of KV_ACL_* ("write", "keyspace"). */
extern const char *const kv_rflag_names[KV_RF_COUNT];
extern const char *const kv_acl_names[KV_ACL_COUNT];

/* Case-insensitive lookup of name[0..len) ("GET", "command|INFO");
 * NULL if absent. */
const kv_cmdmeta *kv_cmdmeta_find(const char *name, size_t len);
/* Entries are sorted by name; kv_cmdmeta_at returns NULL past the end. */
size_t kv_cmdmeta_count(void);
const kv_cmdmeta *kv_cmdmeta_at(size_t i);

#endif
