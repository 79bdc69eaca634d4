/* List values (kv_obj type KV_TYPE_LIST). Redis 7.0.15 keeps every list,
 * however small, as a "quicklist" (OBJECT ENCODING says so; the "listpack"
 * list encoding arrived in 7.2), so lists here are always KV_ENC_QUICKLIST
 * with a kv_quicklist behind them. The commands are in src/cmd/lists.c. */
#ifndef KEVY_STORE_T_LIST_H
#define KEVY_STORE_T_LIST_H

#include <stddef.h>

#include "store/object.h"
#include "store/quicklist.h"

/* Redis 7.0.15's defaults (CONFIG GET list-max-listpack-size,
 * list-compress-depth); the live values are the server's configuration. */
#define KV_LIST_MAX_LISTPACK_SIZE (-2)
#define KV_LIST_COMPRESS_DEPTH 0

typedef struct kv_list_opts {
    int fill;           /* list-max-listpack-size */
    int compress_depth; /* list-compress-depth: accepted, not applied */
} kv_list_opts;

/* Redis's defaults. */
void kv_list_opts_init(kv_list_opts *opts);

/* An empty list whose nodes fill by opts->fill (NULL: the default). As in
 * Redis, a list keeps the fill it was created with: a later CONFIG SET
 * changes only lists created after it. */
kv_obj *kv_list_new(const kv_list_opts *opts);
kv_quicklist *kv_list_ql(const kv_obj *o);
size_t kv_list_len(const kv_obj *o);
/* The list's fill (clamped to what a quicklist takes, -5 .. 32767), for
 * every insertion into it. */
int kv_list_fill(const kv_obj *o);
void kv_list_set_fill(kv_obj *o, int fill);
void kv_list_push(kv_obj *o, const char *s, size_t n, int where);
/* Bytes the value occupies (header, quicklist, nodes, listpacks). */
size_t kv_list_mem(const kv_obj *o);

#endif
