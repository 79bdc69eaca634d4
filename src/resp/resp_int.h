/* Private helpers shared by the files of the RESP library: fast decimal
 * formatting for the writers and argv growth for the two request parsers.
 * Not installed; nothing outside src/resp includes it. */
#ifndef KEVY_RESP_INT_H
#define KEVY_RESP_INT_H

#include "kevy/resp.h"

/* Longest decimal a long long can need, sign included (no terminator). */
#define KV_RESP_LL_MAX 20
/* Enough for any "%.17g" double, "inf" or "nan", plus a terminator. */
#define KV_RESP_DBL_MAX 40

/* Write the decimal form of v at dst (no terminator); returns its length. */
size_t kv_resp_ull_fmt(char *dst, unsigned long long v);
size_t kv_resp_ll_fmt(char *dst, long long v);
/* Format d as Redis 7.0's addReplyDouble does ("%.17g", "inf", "-inf");
 * dst holds KV_RESP_DBL_MAX bytes; returns the length, terminator excluded. */
size_t kv_resp_dbl_fmt(char *dst, double d);

/* Make room for one more argument in p->offs / p->argv. `total` is the
 * argument count announced by the request (0 if unknown), used to cap growth
 * so a multibulk never allocates past what it has declared. */
void kv_resp_argv_grow(kv_parser *p, long long total);
/* Split an inline request line s[0..n) (no CR/LF terminator) into p->argv
 * the way redis-cli style quoting works (sdssplitargs rules). Arguments are
 * unescaped into p->inl; p->offs holds offsets into it and p->argv[i].n the
 * lengths. Returns 0, or -1 for unbalanced quotes. */
int kv_resp_split_inline(kv_parser *p, const char *s, size_t n);

#endif
