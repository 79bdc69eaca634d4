/* DEBUG DIGEST of a set value (see store/digest.h): SHA1 of every member
 * xored in, so neither the encoding nor the walk order matters; intset
 * members as their decimal digits (as Redis reads them out). */
#include "store/digest.h"

#include <stdint.h>

#include "store/t_set.h"

static int digest_member(void *arg, const kv_lpval *m)
{
    unsigned char *d = (unsigned char *)arg;
    char buf[KV_LLSTR_SIZE];
    if (m->s)
        kv_digest_xor(d, m->s, m->n);
    else
        kv_digest_xor(d, buf, kv_store_ll2str(buf, m->v));
    return 0;
}

int kv_digest_set(unsigned char d[20], const kv_obj *o)
{
    if (kv_obj_encoding(o) != KV_ENC_INTSET && kv_obj_encoding(o) != KV_ENC_HT)
        return KV_DIGEST_UNSUPPORTED;
    /* The walk only reads; the API is not const because scans may rehash. */
    kv_set_foreach((kv_obj *)(uintptr_t)o, digest_member, d);
    return KV_DIGEST_OK;
}
