/* Keyspace notifications' implementation: the flag letters of
 * notify-keyspace-events, and the publisher a shard's state calls for an
 * enabled event (the interface, kv_notify, is in core/cmd.h). */
#ifndef KV_CMD_NOTIFY_H
#define KV_CMD_NOTIFY_H

#include "cmd/core/cmd.h"

/* The KV_NOTIFY_* flags of a notify-keyspace-events value ("" when none). */
int kv_notify_parse(const char *letters);

/* kv_cmdstate.notify_publish: publish the event's two messages. */
void kv_notify_publish(kv_shard *sh, kv_ctx *ctx, int type, const char *event, int db,
                       const char *key, size_t klen);

#endif
