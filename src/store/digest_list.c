/* DEBUG DIGEST of a list value (see store/digest.h): every element mixed
 * in order, head to tail, integers as their decimal digits (as Redis reads
 * them back out of a listpack). */
#include "store/digest.h"

#include "store/t_list.h"

int kv_digest_list(unsigned char d[20], const kv_obj *o)
{
    kv_qliter it;
    kv_lpval v;
    if (kv_obj_encoding(o) != KV_ENC_QUICKLIST)
        return KV_DIGEST_UNSUPPORTED;
    kv_ql_iter_at(&it, kv_list_ql(o), 0, KV_QL_HEAD);
    while (kv_ql_next(&it, &v)) {
        unsigned char num[32];
        size_t n;
        const unsigned char *s = kv_lp_get_str(it.node->lp + it.off, num, &n);
        kv_digest_mix(d, s, n);
    }
    return KV_DIGEST_OK;
}
