/* Pub/Sub across shards. Every shard keeps a directory: for each channel and
 * pattern, how many subscribers each shard has (a replica on every shard,
 * updated before SUBSCRIBE and UNSUBSCRIBE reply), and for each shard
 * channel the same counts on the channel's owner only. PUBLISH reads the
 * replica on the publisher's shard, replies the total at once and sends one
 * delivery per shard with receivers; that shard pushes to its own clients.
 * Keyspace notifications and invalidations publish through the same path. */
#ifndef KV_CMD_PUBSUB_H
#define KV_CMD_PUBSUB_H

#include "cmd/core/cmd.h"

#define KV_PS_CHANNEL 0
#define KV_PS_PATTERN 1
#define KV_PS_SHARD 2
#define KV_PS_KINDS 3

typedef struct kv_pubsub kv_pubsub;
typedef struct kv_psclient kv_psclient;

kv_pubsub *kv_pubsub_new(kv_shard *sh, const uint8_t seed[16]);
void kv_pubsub_free(kv_pubsub *ps);

/* Publish on channel `ch` from this shard: the receivers on every shard
 * (channel and pattern subscribers), counted from this shard's directory.
 * Deliveries leave in call order, so one shard's messages reach each
 * subscriber in the order they were published. ctx: the command publishing
 * (its own client sees the message before the reply), or NULL. */
long long kv_pubsub_publish(kv_ctx *ctx, kv_shard *sh, kv_pubsub *ps, const char *ch, size_t chn,
                            const char *msg, size_t msgn);
/* Is anyone subscribed to anything, anywhere (a replica says)? One load:
 * keyspace notifications skip the message building when it says no. */
int kv_pubsub_listened(const kv_pubsub *ps);

/* INFO: channels and patterns with subscribers (the directory's), shard
 * channels owned here with subscribers. */
void kv_pubsub_counts(const kv_pubsub *ps, long long *channels, long long *patterns,
                      long long *shard_channels);
/* CLIENT LIST's sub, psub and ssub of a client of this shard. */
void kv_pubsub_client_counts(const kv_conn *c, long long *sub, long long *psub,
                             long long *ssub);
/* Does the client have any subscription (Redis's CLIENT_PUBSUB)? */
int kv_pubsub_client_active(const kv_conn *c);
/* Copies of a client's names of one kind (KV_PS_*), in one block to free()
 * (ACL checks them when its user's channels change); NULL if none. */
kv_str *kv_pubsub_client_names(kv_conn *c, int kind, size_t *n);
/* The client leaves every channel (RESET, disconnection): the directories
 * learn it without waiting. */
void kv_pubsub_client_reset(kv_shard *sh, kv_cmdstate *st, kv_conn *c);
/* Free the client's sets (after kv_pubsub_client_reset). */
void kv_psclient_free(kv_psclient *pc);

#endif
