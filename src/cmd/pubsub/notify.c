/* Keyspace notifications: the flag letters, and the two messages an
 * enabled event publishes (notify.h). */
#include "cmd/pubsub/notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/pubsub/pubsub.h"

int kv_notify_parse(const char *letters)
{
    int flags = 0;
    for (; letters && *letters; letters++) {
        switch (*letters) {
        case 'A':
            flags |= KV_NOTIFY_GENERIC | KV_NOTIFY_STRING | KV_NOTIFY_LIST | KV_NOTIFY_SET |
                     KV_NOTIFY_HASH | KV_NOTIFY_ZSET | KV_NOTIFY_EXPIRED | KV_NOTIFY_EVICTED |
                     KV_NOTIFY_STREAM | KV_NOTIFY_MODULE;
            break;
        case 'g': flags |= KV_NOTIFY_GENERIC; break;
        case '$': flags |= KV_NOTIFY_STRING; break;
        case 'l': flags |= KV_NOTIFY_LIST; break;
        case 's': flags |= KV_NOTIFY_SET; break;
        case 'h': flags |= KV_NOTIFY_HASH; break;
        case 'z': flags |= KV_NOTIFY_ZSET; break;
        case 'x': flags |= KV_NOTIFY_EXPIRED; break;
        case 'e': flags |= KV_NOTIFY_EVICTED; break;
        case 'K': flags |= KV_NOTIFY_KEYSPACE; break;
        case 'E': flags |= KV_NOTIFY_KEYEVENT; break;
        case 't': flags |= KV_NOTIFY_STREAM; break;
        case 'm': flags |= KV_NOTIFY_KEY_MISS; break;
        case 'd': flags |= KV_NOTIFY_MODULE; break;
        case 'n': flags |= KV_NOTIFY_NEW; break;
        default: break; /* the configuration already refused it */
        }
    }
    /* Neither K nor E: nothing is ever published (Redis's rule). */
    if (!(flags & (KV_NOTIFY_KEYSPACE | KV_NOTIFY_KEYEVENT)))
        return 0;
    return flags;
}

void kv_notify_publish(kv_shard *sh, kv_ctx *ctx, int type, const char *event, int db,
                       const char *key, size_t klen)
{
    kv_cmdstate *st = kv_shard_state(sh);
    size_t elen = strlen(event);
    char head[48];
    char *ch;
    int hn;
    (void)type;
    if (!kv_pubsub_listened(st->ps))
        return; /* nobody subscribed to anything: nothing to build */
    if (st->notify & KV_NOTIFY_KEYSPACE) {
        hn = snprintf(head, sizeof head, "__keyspace@%d__:", db);
        if (!(ch = malloc((size_t)hn + klen)))
            abort();
        memcpy(ch, head, (size_t)hn);
        memcpy(ch + hn, key, klen);
        kv_pubsub_publish(ctx, sh, st->ps, ch, (size_t)hn + klen, event, elen);
        free(ch);
    }
    if (st->notify & KV_NOTIFY_KEYEVENT) {
        hn = snprintf(head, sizeof head, "__keyevent@%d__:", db);
        if (!(ch = malloc((size_t)hn + elen)))
            abort();
        memcpy(ch, head, (size_t)hn);
        memcpy(ch + hn, event, elen);
        kv_pubsub_publish(ctx, sh, st->ps, ch, (size_t)hn + elen, key, klen);
        free(ch);
    }
}
