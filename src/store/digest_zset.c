/* DEBUG DIGEST of a zset value (see store/digest.h for what to compute):
 * each member and its score ("%.17g", glibc's "inf"/"-inf") are mixed into
 * an element digest, whose SHA1 is xored in (Redis's xorDigest), so the
 * result does not depend on the encoding or on the order of a walk. */
#include "store/digest.h"

#include <stdio.h>
#include <string.h>

#include "store/t_zset.h"

int kv_digest_zset(unsigned char d[20], const kv_obj *o)
{
    kv_zit it;
    int more;
    for (more = kv_zit_rank(&it, o, 0, 0); more; more = kv_zit_next(&it)) {
        unsigned char e[20];
        char buf[64];
        int n = snprintf(buf, sizeof buf, "%.17g", it.score);
        memset(e, 0, sizeof e);
        kv_digest_mix(e, it.m, it.mlen);
        kv_digest_mix(e, buf, (size_t)n);
        kv_digest_xor(d, e, sizeof e);
    }
    return KV_DIGEST_OK;
}
