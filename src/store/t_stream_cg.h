/* Consumer groups of a stream (kv_stream.cgroups), Redis 7.0.15's model:
 * each group has a last-delivered ID, an entries-read counter (-1: not
 * known), a global PEL of pending entries (NACKs) and consumers, each with
 * a seen-time and its own PEL holding the same NACKs. Groups and
 * consumers are vectors sorted as Redis's rax orders them (bytewise names),
 * searched by bisection; PELs are trees (t_stream_pel.h). See
 * docs/architecture.md section 20. The commands are in src/cmd/stream/. */
#ifndef KEVY_STORE_T_STREAM_CG_H
#define KEVY_STORE_T_STREAM_CG_H

#include <stddef.h>
#include <stdint.h>

#include "store/t_stream.h"
#include "store/t_stream_pel.h"

/* Redis's SCG_INVALID_ENTRIES_READ. */
#define KV_SCG_INVALID_READ (-1LL)

typedef struct kv_sconsumer {
    char *name;
    size_t nlen;
    long long seen_time;
    kv_spel pel; /* shares the group's NACKs (KV_SPEL_CONSUMER) */
} kv_sconsumer;

typedef struct kv_scg {
    char *name;
    size_t nlen;
    kv_sid last_id;
    long long entries_read;
    kv_spel pel; /* owns the NACKs */
    kv_sconsumer **cons;
    size_t ncons, ccap;
} kv_scg;

typedef struct kv_scgroups {
    kv_scg **v;
    size_t n, cap;
} kv_scgroups;

static inline kv_scgroups *kv_stream_cgs(const kv_stream *s)
{
    return (kv_scgroups *)s->cgroups;
}
static inline size_t kv_stream_ngroups(const kv_stream *s)
{
    return s->cgroups ? kv_stream_cgs(s)->n : 0;
}

void kv_stream_cg_free_all(kv_stream *s);
size_t kv_stream_cg_mem(const kv_stream *s);

kv_scg *kv_stream_cg_find(const kv_stream *s, const char *name, size_t n);
/* A new group, NULL if the name is taken. */
kv_scg *kv_stream_cg_create(kv_stream *s, const char *name, size_t n, const kv_sid *last,
                            long long entries_read);
void kv_stream_cg_destroy(kv_stream *s, kv_scg *cg);

kv_sconsumer *kv_scg_consumer_find(const kv_scg *cg, const char *name, size_t n);
/* A new consumer seen at now, NULL if the name is taken. */
kv_sconsumer *kv_scg_consumer_create(kv_scg *cg, const char *name, size_t n, long long now);
/* Remove a consumer and its pending entries from the group. */
void kv_scg_consumer_delete(kv_scg *cg, kv_sconsumer *c);

/* A NACK of id for consumer (which may be NULL) delivered at now, count 1,
 * added to the group's PEL (and the consumer's); id must not be pending. */
kv_snack *kv_scg_nack_add(kv_scg *cg, const kv_sid *id, kv_sconsumer *c, long long now);
/* Drop a pending entry from both PELs and free it. */
void kv_scg_nack_del(kv_scg *cg, kv_snack *nack);
/* Give a NACK to another consumer (moves it between consumer PELs). */
void kv_scg_nack_move(kv_snack *nack, kv_sconsumer *to);

/* 7.0's lag arithmetic: streamEstimateDistanceFromFirstEverEntry (-1 when
 * not obtainable), streamRangeHasTombstones (end NULL: to the end), and
 * the group's lag (0 with *valid, or *valid 0: reply null). */
long long kv_stream_estimate_read(const kv_stream *s, const kv_sid *id);
int kv_stream_range_has_tombstones(const kv_stream *s, const kv_sid *start, const kv_sid *end);
long long kv_stream_cg_lag(const kv_stream *s, const kv_scg *cg, int *valid);
/* Does a live entry with this ID exist? */
int kv_stream_entry_exists(const kv_stream *s, const kv_sid *id);

#endif
