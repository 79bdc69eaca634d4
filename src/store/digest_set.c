/* DEBUG DIGEST of a set value (see store/digest.h for what to compute).
 * A stub until the set module digests its elements: DEBUG DIGEST and
 * DIGEST-VALUE then reply an error for datasets holding sets. */
#include "store/digest.h"

int kv_digest_set(unsigned char d[20], const kv_obj *o)
{
    (void)d;
    (void)o;
    return KV_DIGEST_UNSUPPORTED;
}
