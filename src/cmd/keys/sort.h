/* SORT and SORT_RO, shared by their files: sort_core.c has the options, the
 * BY/GET patterns and the algorithm as pure steps over a vector of copied
 * elements; sort.c runs them on one shard (and holds their table entries and
 * the sub-commands); sort_shards.c runs them over keys on several shards. */
#ifndef KV_CMD_SORT_H
#define KV_CMD_SORT_H

#include "cmd/core/cmd.h"

/* The options, parsed in Redis's order (the last BY and STORE win). */
typedef struct kv_sortreq {
    int ro;                   /* SORT_RO: STORE is not an option */
    int desc, alpha;
    int dontsort;             /* a BY without '*' was given: no sorting */
    long long lstart, lcount; /* LIMIT; lcount < 0: up to the end */
    int by;                   /* argv index of the BY pattern, 0: none */
    int store;                /* argv index of the STORE key, 0: none */
    int ngets;
    int *gets;                /* argv indexes of the GET patterns */
} kv_sortreq;

/* Parse argv (argv[0] "sort" or "sort_ro"); on error reply it (when ctx is
 * given) and return -1. kv_sortreq_free releases q.gets either way. */
int kv_sortreq_parse(kv_ctx *ctx, int argc, const kv_str *argv, kv_sortreq *q);
void kv_sortreq_free(kv_sortreq *q);
/* Does the BY pattern, or any GET pattern, name keys to look up? */
int kv_sortreq_by_lookups(const kv_sortreq *q);
int kv_sortreq_get_lookups(const kv_sortreq *q, const kv_str *argv);

/* What a pattern names for one element. */
#define KV_SORTPAT_NONE 0 /* nothing: no '*' (GET replies nil) */
#define KV_SORTPAT_SELF 1 /* "#": the element itself */
#define KV_SORTPAT_KEY 2  /* a key (*key, in buf), and a hash field when *hashf */
int kv_sort_pattern(const kv_str *pat, const char *el, size_t n, kv_buf *buf, kv_str *key,
                    kv_str *field, int *hashf);

typedef struct kv_sortchunk kv_sortchunk;

/* One element being sorted, with what it is sorted by. */
typedef struct kv_sortel {
    const char *p; /* the element's bytes, in the job's arena */
    size_t n;
    double score;    /* numeric sort */
    const char *cmp; /* ALPHA BY: the pattern's value; NULL if missing */
    size_t cmpn;
} kv_sortel;

typedef struct kv_sortjob {
    kv_sortreq q;
    kv_sortel *v;
    size_t n, cap;
    long long start, end; /* the range of v to output, inclusive */
    int converr;          /* a value was not a number */
    kv_sortchunk *arena;
} kv_sortjob;

void kv_sortjob_init(kv_sortjob *j);
void kv_sortjob_free(kv_sortjob *j); /* frees j->q.gets too */
/* Copy bytes into the job's arena (stable until the job is freed). */
const char *kv_sortjob_copy(kv_sortjob *j, const char *p, size_t n);
void kv_sortjob_push(kv_sortjob *j, const char *p, size_t n); /* copies */

/* Load the elements of the source value o (NULL: missing, an empty list),
 * as Redis does: with no sorting to do, a list or zset gives just the LIMIT
 * range in its order (reversed for DESC), and a set with STORE is sorted
 * ALPHA instead. Sets start/end. o must be a list, set or skiplist zset. */
void kv_sortjob_load(kv_sortjob *j, kv_obj *o);
/* Set element i's sort key from its BY value (val NULL: the key is missing;
 * without BY, pass the element itself). */
void kv_sortjob_by(kv_sortjob *j, size_t i, const char *val, size_t n);
void kv_sortjob_sort(kv_sortjob *j);
/* Number of output items: the range, times the GETs if any. */
size_t kv_sortjob_nout(const kv_sortjob *j);

/* Output: the items (p NULL: nil) as the client's array reply, or stored
 * as a list at dst (nils as empty strings; an empty result deletes dst),
 * replying the count. */
void kv_sort_reply_items(kv_ctx *ctx, const kv_str *items, size_t n);
void kv_sort_store_items(kv_ctx *ctx, const kv_str *dst, const kv_str *items, size_t n);

/* The value a pattern key names here (a string, or a hash's field); 0 if
 * missing or of another type. out points into the value or into num. */
int kv_sort_fetch(kv_ctx *ctx, const kv_str *key, const kv_str *field, int hashf,
                  char num[KV_LLSTR_SIZE], kv_str *out);

int kv_coord_sort(kv_ctx *ctx, kv_coord *co, int argc, const kv_str *argv);

/* Sub-commands the coordination sends (sort.c). */
extern const kv_cmd kv_sub_sort_full;  /* argv as the client's: the whole SORT */
extern const kv_cmd kv_sub_sort_final; /* the same, replying the items, never storing */
extern const kv_cmd kv_sub_sort_load;  /* the same: [forced alpha, start, end, elements...] */
extern const kv_cmd kv_sub_sort_get;   /* name, (key, "s" | "h" field)...: the values */
extern const kv_cmd kv_sub_sort_store; /* name, dst, items...: store, reply the count */

#endif
