/* Keyspace access for commands: the client's database, lookups with lazy
 * expiry and hit/miss counting (as a read or as a write, like Redis's
 * lookupKeyRead / lookupKeyWrite), and putting a new value under a key. */
#include "cmd/core/cmd.h"

kv_db *kv_ctx_db(kv_ctx *ctx)
{
    return kv_state(ctx)->ks->db[ctx->db];
}

kv_entry *kv_lookup_read(kv_ctx *ctx, const kv_str *key)
{
    return kv_ks_lookup_read(kv_state(ctx)->ks, ctx->db, key->p, key->n, kv_now_ms(ctx));
}

kv_entry *kv_lookup_write(kv_ctx *ctx, const kv_str *key)
{
    return kv_ks_lookup_write(kv_state(ctx)->ks, ctx->db, key->p, key->n, kv_now_ms(ctx));
}

void kv_set_val(kv_ctx *ctx, kv_entry *e, kv_obj *val)
{
    /* A value put under a key is as fresh as Redis's createObject makes it
     * (OBJECT IDLETIME 0). */
    kv_obj_set_lru(val, kv_state(ctx)->ks->lru_clock);
    kv_entry_set_val(e, val);
}
