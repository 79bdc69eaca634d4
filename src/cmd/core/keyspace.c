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
    kv_entry *e = kv_ks_lookup_read(kv_state(ctx)->ks, ctx->db, key->p, key->n, kv_now_ms(ctx));
    /* Redis's lookupKeyRead reports a miss after a lazy expiry's "expired". */
    if (!e)
        kv_notify(ctx, KV_NOTIFY_KEY_MISS, "keymiss", ctx->db, key);
    return e;
}

kv_entry *kv_lookup_write(kv_ctx *ctx, const kv_str *key)
{
    return kv_ks_lookup_write(kv_state(ctx)->ks, ctx->db, key->p, key->n, kv_now_ms(ctx));
}

/* Redis's dbAdd reports every key new to the keyspace. */
static void kv_notify_new(kv_ctx *ctx, int db, kv_entry *e)
{
    kv_str key;
    key.p = kv_entry_key(e, &key.n);
    kv_notify(ctx, KV_NOTIFY_NEW, "new", db, &key);
}

void kv_set_val(kv_ctx *ctx, kv_entry *e, kv_obj *val)
{
    kv_cmdstate *st = kv_state(ctx);
    /* An entry without a value was just created: the key is new (asked
     * only when someone listens for it: the class is off by default). */
    int fresh = (st->notify & KV_NOTIFY_NEW) && kv_entry_val(e) == NULL;
    /* A value put under a key is as fresh as Redis's createObject makes it
     * (OBJECT IDLETIME 0). */
    kv_obj_set_lru(val, kv_ks_fresh_lru(st->ks, kv_now_ms(ctx)));
    /* Redis's dbOverwrite: under LFU the key keeps its access frequency. */
    if (st->ks->lfu && kv_entry_val(e))
        kv_obj_set_lru(val, kv_obj_lru(kv_entry_val(e)));
    /* Redis's dbOverwrite under lazyfree-lazy-server-del: the old value
     * may go to the lazy-free thread. */
    if ((st->ks->lazy & KV_LAZY_SERVER_DEL) && kv_entry_val(e) && kv_entry_val(e) != val)
        kv_ks_drop(st->ks, KV_LAZY_SERVER_DEL, kv_db_take_val(kv_ctx_db(ctx), e));
    kv_db_set_val(kv_ctx_db(ctx), e, val);
    if (fresh)
        kv_notify_new(ctx, ctx->db, e);
}

/* Redis 7.0's objectSetLRUOrLFU for IDLETIME under an LRU policy: the
 * stamp that makes OBJECT IDLETIME read `idle`. A stamp before the clock's
 * start moves up by one clock period (2^24 - 1 s) and keeps its low 24
 * bits, so huge idle times read back as Redis's do (its arithmetic, which
 * wraps for absurd values, too). */
unsigned kv_lru_from_idle(unsigned clock, long long idle)
{
    long long secs = (long long)((unsigned long long)idle * 1000ULL) / 1000;
    long long abs = (long long)clock - secs;
    if (abs < 0)
        abs += ((1u << 24) - 1);
    return (unsigned)((unsigned long long)abs & 0xffffffULL);
}
