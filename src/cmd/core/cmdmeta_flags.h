/* GENERATED FILE - DO NOT EDIT. Made by tools/gen_cmdmeta.py from Redis 7.0.15:
 * its command flags (KV_RF_*) and ACL categories (KV_ACL_*) as bits, in
 * Redis's order; kv_rflag_names / kv_acl_names (cmdmeta_gen.c) name bit i. */
#ifndef KEVY_CMD_CMDMETA_FLAGS_H
#define KEVY_CMD_CMDMETA_FLAGS_H

#define KV_RF_WRITE (1ul << 0)
#define KV_RF_READONLY (1ul << 1)
#define KV_RF_DENYOOM (1ul << 2)
#define KV_RF_MODULE (1ul << 3)
#define KV_RF_ADMIN (1ul << 4)
#define KV_RF_PUBSUB (1ul << 5)
#define KV_RF_NOSCRIPT (1ul << 6)
#define KV_RF_BLOCKING (1ul << 7)
#define KV_RF_LOADING (1ul << 8)
#define KV_RF_STALE (1ul << 9)
#define KV_RF_SKIP_MONITOR (1ul << 10)
#define KV_RF_SKIP_SLOWLOG (1ul << 11)
#define KV_RF_FAST (1ul << 12)
#define KV_RF_NO_AUTH (1ul << 13)
#define KV_RF_MAY_REPLICATE (1ul << 14)
#define KV_RF_SENTINEL (1ul << 15)
#define KV_RF_ONLY_SENTINEL (1ul << 16)
#define KV_RF_NO_MANDATORY_KEYS (1ul << 17)
#define KV_RF_PROTECTED (1ul << 18)
#define KV_RF_MODULE_GETKEYS (1ul << 19)
#define KV_RF_MODULE_NO_CLUSTER (1ul << 20)
#define KV_RF_NO_ASYNC_LOADING (1ul << 21)
#define KV_RF_NO_MULTI (1ul << 22)
#define KV_RF_MOVABLEKEYS (1ul << 23)
#define KV_RF_ALLOW_BUSY (1ul << 24)
#define KV_RF_MODULE_GETCHANNELS (1ul << 25)
#define KV_RF_COUNT 26

#define KV_ACL_KEYSPACE (1ul << 0)
#define KV_ACL_READ (1ul << 1)
#define KV_ACL_WRITE (1ul << 2)
#define KV_ACL_SET (1ul << 3)
#define KV_ACL_SORTEDSET (1ul << 4)
#define KV_ACL_LIST (1ul << 5)
#define KV_ACL_HASH (1ul << 6)
#define KV_ACL_STRING (1ul << 7)
#define KV_ACL_BITMAP (1ul << 8)
#define KV_ACL_HYPERLOGLOG (1ul << 9)
#define KV_ACL_GEO (1ul << 10)
#define KV_ACL_STREAM (1ul << 11)
#define KV_ACL_PUBSUB (1ul << 12)
#define KV_ACL_ADMIN (1ul << 13)
#define KV_ACL_FAST (1ul << 14)
#define KV_ACL_SLOW (1ul << 15)
#define KV_ACL_BLOCKING (1ul << 16)
#define KV_ACL_DANGEROUS (1ul << 17)
#define KV_ACL_CONNECTION (1ul << 18)
#define KV_ACL_TRANSACTION (1ul << 19)
#define KV_ACL_SCRIPTING (1ul << 20)
#define KV_ACL_COUNT 21

#endif
