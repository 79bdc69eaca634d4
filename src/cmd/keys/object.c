/* OBJECT ENCODING, FREQ, IDLETIME, REFCOUNT and HELP. Lookups do not touch
 * the value's LRU stamp (Redis's LOOKUP_NOTOUCH) but count keyspace hits and
 * misses as Redis does. FREQ answers under an LFU maxmemory policy and
 * IDLETIME under the others, with Redis's errors otherwise. */
#include "cmd/keys/keys.h"
#include "store/evict.h"

#include <limits.h>

/* Redis shares the values 0..9999 (OBJ_SHARED_INTEGERS) of int-encoded
 * strings, whose refcount reads INT_MAX. */
#define SHARED_INTEGERS 10000

/* An int-encoded string's spare length field (unused by that encoding, and
 * reset to 0 whenever the value changes) marks a duplicate Redis would not
 * share: COPY's dupStringObject. */
int kv_obj_shared_int(const kv_obj *o)
{
    long long v;
    if (kv_obj_type(o) != KV_TYPE_STRING || kv_obj_encoding(o) != KV_ENC_INT || o->len != 0)
        return 0;
    return kv_str_to_ll(o, &v) && v >= 0 && v < SHARED_INTEGERS;
}

void kv_obj_mark_unshared(kv_obj *o)
{
    if (kv_obj_type(o) == KV_TYPE_STRING && kv_obj_encoding(o) == KV_ENC_INT)
        o->len = 1;
}

/* The value under argv[2], or NULL after replying a null. */
static kv_obj *object_lookup(kv_ctx *ctx, const kv_str *argv)
{
    kv_entry *e = kv_lookup_read_nonotify(ctx, &argv[2]);
    if (!e) {
        kv_reply_null(&ctx->out);
        return NULL;
    }
    return kv_entry_val(e);
}

static void kv_cmd_object_encoding(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_obj *o = object_lookup(ctx, argv);
    (void)argc;
    if (o)
        kv_reply_bulk_cstr(&ctx->out, kv_obj_encoding_name(o));
}

static void kv_cmd_object_refcount(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_obj *o = object_lookup(ctx, argv);
    (void)argc;
    if (o)
        kv_reply_int(&ctx->out, kv_obj_shared_int(o) ? INT_MAX : 1);
}

/* Redis's estimateObjectIdleTime, in seconds: the LRU clock wraps every
 * 2^24 s and Redis's wrapped difference is one short of modular. */
static void kv_cmd_object_idletime(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_obj *o = object_lookup(ctx, argv);
    unsigned clock = kv_state(ctx)->ks->lru_clock, lru;
    (void)argc;
    if (!o)
        return;
    if (kv_state(ctx)->ks->lfu) {
        kv_reply_error(&ctx->out,
                       "ERR An LFU maxmemory policy is selected, idle time not tracked. Please "
                       "note that when switching between policies at runtime LRU and LFU data "
                       "will take some time to adjust.");
        return;
    }
    lru = kv_obj_lru(o);
    kv_reply_int(&ctx->out, clock >= lru ? (long long)(clock - lru)
                                         : (long long)clock + (KV_LRU_CLOCK_MAX - lru));
}

static void kv_cmd_object_freq(kv_ctx *ctx, int argc, const kv_str *argv)
{
    kv_obj *o = object_lookup(ctx, argv);
    kv_keyspace *ks = kv_state(ctx)->ks;
    (void)argc;
    if (o && ks->lfu)
        kv_reply_int(&ctx->out, kv_lfu_value(kv_obj_lru(o), kv_now_ms(ctx), ks->lfu_decay_time));
    else if (o)
        kv_reply_error(&ctx->out,
                       "ERR An LFU maxmemory policy is not selected, access frequency not "
                       "tracked. Please note that when switching between policies at runtime "
                       "LRU and LFU data will take some time to adjust.");
}

static void kv_cmd_object_help(kv_ctx *ctx, int argc, const kv_str *argv)
{
    static const char *const lines[] = {
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help.",
    };
    (void)argc;
    (void)argv;
    kv_reply_lines(ctx, lines, sizeof lines / sizeof lines[0]);
}

static const kv_cmdspec object_subs[] = {
    {.name = "object|encoding", .route = KV_ROUTE_KEY, .exec = kv_cmd_object_encoding},
    {.name = "object|freq", .route = KV_ROUTE_KEY, .exec = kv_cmd_object_freq},
    {.name = "object|help", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_object_help},
    {.name = "object|idletime", .route = KV_ROUTE_KEY, .exec = kv_cmd_object_idletime},
    {.name = "object|refcount", .route = KV_ROUTE_KEY, .exec = kv_cmd_object_refcount},
    KV_SPEC_END
};

/* OBJECT's own entry runs only with no subcommand, which arity refuses. */
const kv_cmdspec kv_cmds_keys_object[] = {
    {.name = "object", .route = KV_ROUTE_LOCAL, .exec = kv_cmd_container, .subs = object_subs},
    KV_SPEC_END
};
