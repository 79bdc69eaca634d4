/* DEBUG DIGEST of a stream value (see store/digest.h), as Redis 7.0's
 * xorObjectDigest: per entry, head to tail, mix(d, "<ms>.<seq>") then
 * mix(d, field) and mix(d, value) for each pair (listpack integers as
 * their decimal digits). Consumer groups are not digested. */
#include "store/digest.h"

#include <stdio.h>

#include "store/t_stream.h"

static void mix_val(unsigned char d[20], const kv_lpval *v)
{
    char buf[KV_LLSTR_SIZE];
    if (v->s)
        kv_digest_mix(d, v->s, v->n);
    else
        kv_digest_mix(d, buf, kv_store_ll2str(buf, v->v));
}

int kv_digest_stream(unsigned char d[20], const kv_obj *o)
{
    kv_sit it;
    kv_sid id;
    kv_lpval f, v;
    long long nf;
    char buf[48];
    int n;
    if (kv_obj_encoding(o) != KV_ENC_STREAM)
        return KV_DIGEST_UNSUPPORTED;
    kv_sit_start(&it, kv_stream_of(o), NULL, NULL, 0);
    while (kv_sit_next(&it, &id, &nf)) {
        n = snprintf(buf, sizeof buf, "%llu.%llu", (unsigned long long)id.ms,
                     (unsigned long long)id.seq);
        kv_digest_mix(d, buf, (size_t)n);
        while (nf-- > 0) {
            kv_sit_field(&it, &f, &v);
            mix_val(d, &f);
            mix_val(d, &v);
        }
    }
    return KV_DIGEST_OK;
}
