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
 * list-compress-depth). The one place these live: kv_list_opts_init copies
 * them; CONFIG SET will write kv_list_opts instead. */
#define KV_LIST_MAX_LISTPACK_SIZE (-2)
#define KV_LIST_COMPRESS_DEPTH 0

typedef struct kv_list_opts {
    int fill;           /* list-max-listpack-size */
    int compress_depth; /* list-compress-depth: accepted, not applied */
} kv_list_opts;

void kv_list_opts_init(kv_list_opts *opts);

kv_obj *kv_list_new(void);
kv_quicklist *kv_list_ql(const kv_obj *o);
size_t kv_list_len(const kv_obj *o);
void kv_list_push(kv_obj *o, const char *s, size_t n, int where, const kv_list_opts *opts);
/* Bytes the value occupies (header, quicklist, nodes, listpacks). */
size_t kv_list_mem(const kv_obj *o);

#endif
