/* The "listpack" encoding of sorted sets (private to t_zset*.c): member and
 * score entries alternate, pairs sorted by score then member, scores stored
 * as Redis stores them (an integer entry or d2string text). Positions are
 * member entries; any call returning a new blob invalidates them. */
#ifndef KEVY_STORE_T_ZSET_LP_H
#define KEVY_STORE_T_ZSET_LP_H

#include <stddef.h>

#include "store/t_zset.h"

size_t kv_zlp_len(const unsigned char *lp);
/* The member at position p (integers formatted into buf, >= 24 bytes). */
const char *kv_zlp_member(const unsigned char *p, char *buf, size_t *n);
/* The score of the pair whose member entry is p. */
double kv_zlp_score(unsigned char *lp, unsigned char *p);
unsigned char *kv_zlp_next(unsigned char *lp, unsigned char *p); /* next pair, NULL at the end */
unsigned char *kv_zlp_prev(unsigned char *lp, unsigned char *p);
unsigned char *kv_zlp_first(unsigned char *lp);
unsigned char *kv_zlp_last(unsigned char *lp);
unsigned char *kv_zlp_at(unsigned char *lp, size_t rank); /* 0-based */

/* The pair of member m, NULL if absent. */
unsigned char *kv_zlp_find(unsigned char *lp, const char *m, size_t n);
/* Insert a new pair where it sorts (m must be absent). */
unsigned char *kv_zlp_insert(unsigned char *lp, double score, const char *m, size_t n);
/* Delete the pair at p; *next (if not NULL) gets the following pair. */
unsigned char *kv_zlp_delete(unsigned char *lp, unsigned char *p, unsigned char **next);
/* 0-based rank of the pair at p. */
size_t kv_zlp_rank(unsigned char *lp, unsigned char *p);

unsigned char *kv_zlp_first_in(unsigned char *lp, const kv_zrange *r);
unsigned char *kv_zlp_last_in(unsigned char *lp, const kv_zrange *r);
unsigned char *kv_zlp_first_in_lex(unsigned char *lp, const kv_zlex *r);
unsigned char *kv_zlp_last_in_lex(unsigned char *lp, const kv_zlex *r);

/* Range removals; *removed gets the count. */
unsigned char *kv_zlp_del_rank(unsigned char *lp, size_t start, size_t end, size_t *removed);
unsigned char *kv_zlp_del_score(unsigned char *lp, const kv_zrange *r, size_t *removed);
unsigned char *kv_zlp_del_lex(unsigned char *lp, const kv_zlex *r, size_t *removed);

#endif
