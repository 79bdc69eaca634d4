/* A consumer group's pending entries lists (PELs): the NACKs of a group, or
 * of one of its consumers, ordered by ID. Each PEL is an AVL tree threaded
 * through the NACKs themselves: a NACK is in two PELs at once (its group's
 * and its consumer's), so it carries one set of links for each, and a PEL
 * knows which set is its own. Lookup, insertion and removal are O(log n)
 * in any order (XACK of a huge PEL out of order) and never allocate. */
#ifndef KEVY_STORE_T_STREAM_PEL_H
#define KEVY_STORE_T_STREAM_PEL_H

#include <stddef.h>

#include "store/t_stream.h"

/* Which of a NACK's links a PEL uses. */
#define KV_SPEL_GROUP 0
#define KV_SPEL_CONSUMER 1

struct kv_sconsumer;
struct kv_snack;

typedef struct kv_spel_link {
    struct kv_snack *left, *right, *up;
    int height; /* of the subtree rooted here: 1 for a leaf */
} kv_spel_link;

typedef struct kv_snack {
    kv_sid id;
    long long delivery_time;  /* ms since the epoch */
    long long delivery_count;
    struct kv_sconsumer *consumer; /* NULL only while an RDB loads */
    kv_spel_link link[2];          /* indexed by KV_SPEL_* */
} kv_snack;

typedef struct kv_spel {
    kv_snack *root;
    size_t n;
    int side; /* KV_SPEL_GROUP (0, what a zeroed PEL is) or KV_SPEL_CONSUMER */
} kv_spel;

/* The NACK with id, or NULL; the first NACK >= id, or NULL. */
kv_snack *kv_spel_find(const kv_spel *p, const kv_sid *id);
kv_snack *kv_spel_seek(const kv_spel *p, const kv_sid *id);
/* In ID order: the first, the last, the one after x (NULL at the end).
 * Removing x keeps the others where they are: take the next one first. */
kv_snack *kv_spel_first(const kv_spel *p);
kv_snack *kv_spel_last(const kv_spel *p);
kv_snack *kv_spel_next(const kv_spel *p, const kv_snack *x);
/* Insert a NACK whose id is not in p; remove one that is. */
void kv_spel_insert(kv_spel *p, kv_snack *nack);
void kv_spel_remove(kv_spel *p, kv_snack *nack);
/* Free every NACK of p (the group's PEL owns them) in O(n); p is empty. */
void kv_spel_free_all(kv_spel *p);

#endif
