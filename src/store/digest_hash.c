/* DEBUG DIGEST of a hash value (see store/digest.h): per field, a digest
 * with the field then the value mixed in, whose SHA1 is xored into d (Redis
 * calls xorDigest on the 20 bytes), so the order of the walk does not
 * matter; listpack integers as their decimal digits. */
#include "store/digest.h"

#include <stdint.h>
#include <string.h>

#include "store/t_hash.h"

static void mix_val(unsigned char e[20], const kv_lpval *v)
{
    char buf[KV_LLSTR_SIZE];
    if (v->s)
        kv_digest_mix(e, v->s, v->n);
    else
        kv_digest_mix(e, buf, kv_store_ll2str(buf, v->v));
}

static void digest_pair(void *arg, const kv_lpval *f, const kv_lpval *v)
{
    unsigned char e[20];
    memset(e, 0, sizeof e);
    mix_val(e, f);
    mix_val(e, v);
    kv_digest_xor((unsigned char *)arg, e, sizeof e);
}

int kv_digest_hash(unsigned char d[20], const kv_obj *o)
{
    if (kv_obj_encoding(o) != KV_ENC_LISTPACK && kv_obj_encoding(o) != KV_ENC_HT)
        return KV_DIGEST_UNSUPPORTED;
    /* The walk only reads; the API is not const because scans may rehash. */
    kv_hash_foreach((kv_obj *)(uintptr_t)o, digest_pair, d);
    return KV_DIGEST_OK;
}
