/* List values: creation, release and size of the quicklist behind a list
 * object. (The commands are in src/cmd/lists.c; the structure itself in
 * quicklist.c.) */
#include "store/t_list.h"

#include <stdlib.h>

#include "store/listpack.h"
#include "store/mem.h"

void kv_list_opts_init(kv_list_opts *opts)
{
    opts->fill = KV_LIST_MAX_LISTPACK_SIZE;
    opts->compress_depth = KV_LIST_COMPRESS_DEPTH;
}

kv_obj *kv_list_new(void)
{
    return kv_obj_new(KV_TYPE_LIST, KV_ENC_QUICKLIST, kv_ql_new());
}

kv_quicklist *kv_list_ql(const kv_obj *o)
{
    return (kv_quicklist *)kv_obj_ptr(o);
}

size_t kv_list_len(const kv_obj *o)
{
    if (kv_obj_encoding(o) == KV_ENC_LISTPACK)
        return kv_lp_count((const unsigned char *)kv_obj_ptr(o));
    return kv_ql_count(kv_list_ql(o));
}

void kv_list_push(kv_obj *o, const char *s, size_t n, int where, const kv_list_opts *opts)
{
    kv_ql_push(kv_list_ql(o), opts->fill, s, n, where);
}

/* A bare listpack is not made here, but a loader may hand one over; both
 * encodings are released correctly. */
void kv_list_free_value(kv_obj *o)
{
    if (kv_obj_encoding(o) == KV_ENC_QUICKLIST)
        kv_ql_free(kv_list_ql(o));
    else
        free(kv_obj_ptr(o));
}

size_t kv_list_mem(const kv_obj *o)
{
    size_t hdr = kv_mem_chunk(sizeof(kv_obj));
    if (kv_obj_encoding(o) == KV_ENC_QUICKLIST)
        return hdr + kv_ql_mem(kv_list_ql(o));
    return hdr + kv_mem_chunk(kv_lp_bytes((const unsigned char *)kv_obj_ptr(o)));
}
