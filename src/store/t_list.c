/* List values: creation (each list keeps its own node fill), release and
 * size of the quicklist behind a list
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

/* The fill lives in the header's spare 32-bit field (object.h: unused by
 * collections), biased so that 0, a header no list constructor set, reads
 * as the default. Stored clamped, as Redis's quicklistSetFill does. */
#define FILL_BIAS 6

void kv_list_set_fill(kv_obj *o, int fill)
{
    fill = fill > 32767 ? 32767 : fill < -5 ? -5 : fill;
    o->len = (uint32_t)(fill + FILL_BIAS);
}

int kv_list_fill(const kv_obj *o)
{
    return o->len ? (int)o->len - FILL_BIAS : KV_LIST_MAX_LISTPACK_SIZE;
}

kv_obj *kv_list_new(const kv_list_opts *opts)
{
    kv_obj *o = kv_obj_new(KV_TYPE_LIST, KV_ENC_QUICKLIST, kv_ql_new());
    kv_list_set_fill(o, opts ? opts->fill : KV_LIST_MAX_LISTPACK_SIZE);
    return o;
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

void kv_list_push(kv_obj *o, const char *s, size_t n, int where)
{
    kv_ql_push(kv_list_ql(o), kv_list_fill(o), s, n, where);
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
