/* Single-producer/single-consumer ring of message pointers: one per ordered
 * pair of shards. The producer fills slots privately and publishes a whole
 * loop turn's batch with one store of `tail`; the consumer takes everything
 * published with one load. Head and tail live on separate cache lines, and
 * each side caches the other's index so the shared line is touched rarely. */
#ifndef KV_RING_H
#define KV_RING_H

#include <stddef.h>

#include "rt/atomic.h"

struct kv_msg;

typedef struct kv_ring {
    /* producer's line */
    size_t tail;       /* published end: written by the producer only */
    size_t tail_next;  /* filled but not yet published (producer-private) */
    size_t head_cache; /* producer's last view of head */
    char pad0[KV_CACHELINE - 3 * sizeof(size_t)];
    /* consumer's line */
    size_t head;       /* consumed up to here: written by the consumer only */
    size_t tail_cache; /* consumer's last view of tail */
    char pad1[KV_CACHELINE - 2 * sizeof(size_t)];
    size_t mask;
    struct kv_msg **slots;
} kv_ring;

/* capacity must be a power of two. Returns 0, or -1 without memory. */
int kv_ring_init(kv_ring *r, size_t capacity);
void kv_ring_destroy(kv_ring *r);

/* Producer: stage one message; returns 0, or -1 if the ring is full. */
int kv_ring_stage(kv_ring *r, struct kv_msg *m);
/* Producer: make every staged message visible. Sequentially consistent so
 * the producer's following check of the consumer's "parked" flag cannot be
 * reordered before it (see shard.c, parking). Returns 1 if anything new. */
int kv_ring_publish(kv_ring *r);

/* Consumer: take up to max published messages, oldest first. */
size_t kv_ring_take(kv_ring *r, struct kv_msg **out, size_t max);
/* Consumer: anything published and not yet taken? Sequentially consistent,
 * for the re-check after announcing "parked". */
int kv_ring_pending(kv_ring *r);

#endif
