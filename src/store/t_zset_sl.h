/* The "skiplist" encoding of sorted sets (private to t_zset*.c): a skiplist
 * ordered by (score, member) whose links carry spans, so ranks cost
 * O(log n), and a dict from member to node for O(1) score lookups. Each
 * member is one allocation: the node, its dict link and its bytes. */
#ifndef KEVY_STORE_T_ZSET_SL_H
#define KEVY_STORE_T_ZSET_SL_H

#include <stddef.h>
#include <stdint.h>

#include "store/dict.h"
#include "store/t_zset.h"

typedef struct kv_zsl_node kv_zsl_node;
typedef struct kv_zsl kv_zsl;

kv_zsl *kv_zsl_new(const uint8_t seed[16]);
void kv_zsl_free(kv_zsl *z);
size_t kv_zsl_len(const kv_zsl *z);
size_t kv_zsl_mem(const kv_zsl *z);

const char *kv_zsl_member(const kv_zsl_node *x, size_t *n);
double kv_zsl_score(const kv_zsl_node *x);
kv_zsl_node *kv_zsl_next(const kv_zsl_node *x); /* toward higher scores */
kv_zsl_node *kv_zsl_prev(const kv_zsl_node *x);
kv_zsl_node *kv_zsl_first(const kv_zsl *z);
kv_zsl_node *kv_zsl_last(const kv_zsl *z);

kv_zsl_node *kv_zsl_find(const kv_zsl *z, const char *m, size_t n);
/* m must be absent. */
kv_zsl_node *kv_zsl_insert(kv_zsl *z, double score, const char *m, size_t n);
/* Move x to its place for a new score (in place when the order holds). */
void kv_zsl_update(kv_zsl *z, kv_zsl_node *x, double score);
void kv_zsl_delete(kv_zsl *z, kv_zsl_node *x);

/* 1-based rank of x; the node at a 1-based rank (NULL if out of range). */
size_t kv_zsl_rank(const kv_zsl *z, const kv_zsl_node *x);
kv_zsl_node *kv_zsl_at(const kv_zsl *z, size_t rank);

/* First / last node inside a range, NULL if none. */
kv_zsl_node *kv_zsl_first_in(const kv_zsl *z, const kv_zrange *r);
kv_zsl_node *kv_zsl_last_in(const kv_zsl *z, const kv_zrange *r);
kv_zsl_node *kv_zsl_first_in_lex(const kv_zsl *z, const kv_zlex *r);
kv_zsl_node *kv_zsl_last_in_lex(const kv_zsl *z, const kv_zlex *r);

/* Remove ranges in one pass each; return how many went. */
size_t kv_zsl_del_rank(kv_zsl *z, size_t start, size_t end); /* 1-based, inclusive */
size_t kv_zsl_del_score(kv_zsl *z, const kv_zrange *r);
size_t kv_zsl_del_lex(kv_zsl *z, const kv_zlex *r);

/* One dict SCAN step over the members. */
unsigned long kv_zsl_scan(kv_zsl *z, unsigned long cursor,
                          void (*fn)(void *arg, const kv_zsl_node *x), void *arg);

#endif
