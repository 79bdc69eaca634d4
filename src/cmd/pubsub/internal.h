/* What the Pub/Sub files share: the per-shard tables (registry.c) and a
 * client's own sets, for the commands (subscribe.c, pubsub_cmd.c). */
#ifndef KV_CMD_PUBSUB_INTERNAL_H
#define KV_CMD_PUBSUB_INTERNAL_H

#include "cmd/pubsub/pubsub.h"
#include "store/dict.h"

/* A channel, pattern or shard channel with subscribers somewhere. */
typedef struct kv_psent {
    kv_dnode node;
    int kind;            /* KV_PS_* */
    long long total;     /* subscribers the directory knows of, every shard */
    int *counts;         /* ... per shard (for a shard channel: on its owner only) */
    unsigned long long *ids; /* this shard's subscribers */
    size_t nids, capids;
    size_t patidx;       /* a pattern's place in kv_pubsub.pats */
    size_t n;
    char name[];
} kv_psent;

struct kv_pubsub {
    int self, nshards;
    uint8_t seed[16];
    kv_dict d[KV_PS_KINDS];
    long long active[KV_PS_KINDS]; /* entries with total > 0 */
    kv_psent **pats;     /* every pattern entry, for PUBLISH's matching */
    size_t npats, cappats;
    char *mark;          /* per shard: a delivery goes there (scratch) */
};

/* A client's subscriptions, one set per kind. */
typedef struct kv_psname {
    kv_dnode node;
    size_t n;
    char name[];
} kv_psname;

struct kv_psclient {
    kv_dict d[KV_PS_KINDS];
};

kv_psent *kv_ps_find(kv_pubsub *ps, int kind, const char *name, size_t n);
/* The directory: `shard` has delta more (or fewer) subscribers. */
void kv_ps_dir_add(kv_pubsub *ps, int kind, const char *name, size_t n, int shard, int delta);
/* This shard's subscriber lists. */
void kv_ps_local_add(kv_pubsub *ps, int kind, const char *name, size_t n, unsigned long long id);
void kv_ps_local_del(kv_pubsub *ps, int kind, const char *name, size_t n, unsigned long long id);
/* Push a message to this shard's subscribers of `ch` (and of the patterns
 * matching it, for a channel). */
void kv_ps_deliver_local(kv_ctx *ctx, kv_shard *sh, kv_pubsub *ps, int kind, const char *ch,
                         size_t chn, const char *msg, size_t msgn);
/* SPUBLISH on the channel's owner (ctx as kv_pubsub_publish's). */
long long kv_ps_spublish(kv_ctx *ctx, kv_shard *sh, kv_pubsub *ps, const char *ch, size_t chn,
                         const char *msg, size_t msgn);

kv_psclient *kv_psclient_new(const uint8_t seed[16]);
/* 1 if added (was not there) / removed (was there). */
int kv_psclient_add(kv_psclient *pc, int kind, const char *name, size_t n);
int kv_psclient_del(kv_psclient *pc, int kind, const char *name, size_t n);
size_t kv_psclient_count(const kv_psclient *pc, int kind);
/* Copies of the names of one kind, in one block to free(). */
kv_str *kv_psclient_names(kv_psclient *pc, int kind, size_t *n);

#endif
