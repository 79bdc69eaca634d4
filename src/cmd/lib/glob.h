/* Redis-style glob matching (stringmatchlen): '*', '?', '[...]' classes with
 * '^' negation and 'a-z' ranges, and '\' escapes. Binary safe. */
#ifndef KV_GLOB_H
#define KV_GLOB_H

#include <stddef.h>

/* 1 if str matches pattern; nocase folds ASCII letters. */
int kv_glob_match(const char *pat, size_t plen, const char *str, size_t slen, int nocase);

#endif
