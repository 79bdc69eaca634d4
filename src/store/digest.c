/* DEBUG DIGEST's primitives and the per-value dispatch (see digest.h);
 * strings are digested here, collections by their modules. */
#include "store/digest.h"

#include "store/sha1.h"

void kv_digest_xor(unsigned char d[20], const void *p, size_t n)
{
    unsigned char h[20];
    int i;
    kv_sha1(p, n, h);
    for (i = 0; i < 20; i++)
        d[i] ^= h[i];
}

void kv_digest_mix(unsigned char d[20], const void *p, size_t n)
{
    kv_digest_xor(d, p, n);
    kv_sha1(d, 20, d);
}

int kv_digest_value(unsigned char d[20], const kv_obj *o)
{
    unsigned type = kv_obj_type(o);
    unsigned char be[4];
    char buf[KV_LLSTR_SIZE];
    const char *p;
    size_t n;
    be[0] = (unsigned char)(type >> 24);
    be[1] = (unsigned char)(type >> 16);
    be[2] = (unsigned char)(type >> 8);
    be[3] = (unsigned char)type;
    kv_digest_mix(d, be, 4);
    switch (type) {
    case KV_TYPE_STRING:
        p = kv_str_ptr(o, buf, &n);
        kv_digest_mix(d, p, n);
        return KV_DIGEST_OK;
    case KV_TYPE_LIST:
        return kv_digest_list(d, o);
    case KV_TYPE_SET:
        return kv_digest_set(d, o);
    case KV_TYPE_ZSET:
        return kv_digest_zset(d, o);
    case KV_TYPE_HASH:
        return kv_digest_hash(d, o);
    case KV_TYPE_STREAM:
        return kv_digest_stream(d, o);
    default:
        return KV_DIGEST_UNSUPPORTED;
    }
}
