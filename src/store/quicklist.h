/* Quicklist: the list value of Redis 7.0 ("quicklist" encoding), a doubly
 * linked list of listpack nodes. Nodes fill as Redis's do, so node layout
 * (and thus DUMP payloads and memory use) matches: `fill` is
 * list-max-listpack-size, negative -1..-5 = at most 4/8/16/32/64 KiB per node,
 * positive = at most that many entries (and never over 8 KiB unless the
 * node holds a single entry). Compression (list-compress-depth) is not
 * implemented: nodes are always raw listpacks. */
#ifndef KEVY_STORE_QUICKLIST_H
#define KEVY_STORE_QUICKLIST_H

#include <stddef.h>

#include "store/listpack.h"

typedef struct kv_qlnode {
    struct kv_qlnode *prev, *next;
    unsigned char *lp;
    unsigned count;   /* entries in lp (its header saturates at 65535) */
    unsigned spare;
} kv_qlnode;

typedef struct kv_quicklist {
    kv_qlnode *head, *tail;
    size_t count;     /* entries in all nodes */
    size_t nodes;
} kv_quicklist;

#define KV_QL_HEAD 0
#define KV_QL_TAIL 1

kv_quicklist *kv_ql_new(void);
void kv_ql_free(kv_quicklist *ql);
size_t kv_ql_count(const kv_quicklist *ql);

void kv_ql_push(kv_quicklist *ql, int fill, const char *s, size_t n, int where);
/* Append a whole listpack as a new tail node (taken over; must hold at
 * least one entry and be valid), e.g. a node read from a payload. */
void kv_ql_append_node(kv_quicklist *ql, unsigned char *lp);

/* Iterator over entries from a starting index in one direction. The
 * current entry is the one last returned by kv_ql_next; deleting or
 * replacing it keeps the iterator usable. Any other change to the list
 * invalidates it. */
typedef struct kv_qliter {
    kv_quicklist *ql;
    kv_qlnode *node;
    size_t off;       /* byte offset of the next (or current) entry in node->lp */
    int dir;          /* KV_QL_HEAD: towards the tail; KV_QL_TAIL: towards the head */
    int started;      /* 0: off is the entry to return next, 1: the current one */
} kv_qliter;

/* Start at index (negative: from the end), walking towards the tail
 * (dir KV_QL_HEAD) or the head (KV_QL_TAIL). 0 if index is out of range
 * (the iterator then yields nothing). */
int kv_ql_iter_at(kv_qliter *it, kv_quicklist *ql, long index, int dir);
/* Next entry into *v (valid until the list changes); 0 at the end. */
int kv_ql_next(kv_qliter *it, kv_lpval *v);
/* Delete the current entry; the next kv_ql_next yields the following one. */
void kv_ql_iter_delete(kv_qliter *it);
void kv_ql_iter_replace(kv_qliter *it, const char *s, size_t n);
/* Insert before/after the current entry (LINSERT); ends the iteration. */
void kv_ql_iter_insert(kv_qliter *it, int fill, const char *s, size_t n, int after);

/* Entry at index into *v; 0 if out of range. */
int kv_ql_index(kv_quicklist *ql, long index, kv_lpval *v);
/* Delete count entries from index start (>= 0) on (LTRIM). */
void kv_ql_del_range(kv_quicklist *ql, size_t start, size_t count);

/* Bytes held (struct, nodes, listpacks) as glibc malloc spends them. */
size_t kv_ql_mem(const kv_quicklist *ql);

#endif
