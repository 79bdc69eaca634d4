/* Stream values (kv_obj type KV_TYPE_STREAM, encoding "stream"): Redis
 * 7.0's layout, so RDB payloads carry the nodes byte for byte. Entries
 * live in listpack nodes in Redis's stream node format (a master entry
 * with the node's counts and field names, then per entry flags, ms and seq
 * deltas from the node's master ID, fields or values, lp-count), indexed
 * by master ID in a sorted vector (docs/architecture.md section 20). The
 * commands are in src/cmd/stream/; this module owns the structure. */
#ifndef KEVY_STORE_T_STREAM_H
#define KEVY_STORE_T_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "kevy/resp.h"
#include "store/listpack.h"
#include "store/object.h"

/* Redis 7.0.15's defaults (stream-node-max-bytes / -entries). */
#define KV_STREAM_NODE_MAX_BYTES 4096
#define KV_STREAM_NODE_MAX_ENTRIES 100
/* A node never grows past 1 GiB; an entry whose fields and values add up
 * to more is refused (Redis's STREAM_LISTPACK_MAX_SIZE). */
#define KV_STREAM_LP_MAX ((size_t)1 << 30)

#define KV_SF_DELETED 1    /* the entry is a tombstone */
#define KV_SF_SAMEFIELDS 2 /* the entry has the master entry's fields */

typedef struct kv_sid {
    uint64_t ms, seq;
} kv_sid;

/* One node: its master ID (the first entry it was created with) and its
 * listpack. */
typedef struct kv_snode {
    kv_sid master;
    unsigned char *lp;
} kv_snode;

/* Nodes in ascending master ID: nodes[head .. head + n) of cap slots, so
 * trimming from the head moves nothing. cgroups holds the consumer groups
 * (t_stream_cg.h), NULL while there are none. */
typedef struct kv_stream {
    kv_snode *nodes;
    size_t head, n, cap;
    uint64_t length;
    kv_sid last_id;        /* the last ID ever added (or set by XSETID) */
    kv_sid first_id;       /* the first live entry's ID, 0-0 when empty */
    kv_sid max_deleted;    /* the largest ID ever removed by XDEL */
    uint64_t entries_added; /* entries ever added */
    void *cgroups;
} kv_stream;

int kv_sid_cmp(const kv_sid *a, const kv_sid *b);
/* ID + 1 / ID - 1; -1 (and the ID wraps) at the last / first possible ID. */
int kv_sid_incr(kv_sid *id);
int kv_sid_decr(kv_sid *id);
/* "<ms>-<seq>" into buf (>= 42 bytes); returns the length. */
size_t kv_sid_fmt(char *buf, const kv_sid *id);
/* The 16-byte big-endian form (a node's key in RDB) and back. */
void kv_sid_encode(unsigned char out[16], const kv_sid *id);
void kv_sid_decode(const unsigned char in[16], kv_sid *id);

kv_obj *kv_stream_new(void);
static inline kv_stream *kv_stream_of(const kv_obj *o)
{
    return (kv_stream *)kv_obj_ptr(o);
}
kv_snode *kv_stream_node(const kv_stream *s, size_t i);
/* Index of the last node whose master ID is <= id, or -1. */
long kv_stream_find_node(const kv_stream *s, const kv_sid *id);
/* Adopt a loaded node (RDB) after the last one. */
void kv_stream_push_node(kv_stream *s, const kv_sid *master, unsigned char *lp);

/* The ID an XADD would add: use_id NULL is "*" (now_ms, never going
 * back), seq_given 0 is "<ms>-*". 0, or -1 when the ID is not greater than
 * the last one (or no greater one exists). */
int kv_stream_next_id(const kv_stream *s, const kv_sid *use_id, int seq_given, uint64_t now_ms,
                      kv_sid *out);
/* Append an entry with ID id (greater than last_id) made of npairs field,
 * value pairs fv[0], fv[1], ..., starting a new node when the tail node has
 * max_bytes or more (with the new entry's bytes) or max_entries entries
 * (0: no limit), as Redis 7.0 does. */
void kv_stream_append(kv_stream *s, const kv_sid *id, const kv_str *fv, size_t npairs,
                      size_t max_bytes, long long max_entries);
/* XDEL of one ID: 1 if a live entry was removed (counts, max_deleted and
 * first_id are the caller's: see kv_stream_after_delete). */
int kv_stream_delete(kv_stream *s, const kv_sid *id);

/* Trimming (XTRIM, XADD's MAXLEN/MINID), Redis 7.0's streamTrim: whole
 * nodes from the head, then (unless approx) entries of the next node are
 * marked deleted; limit > 0 caps the entries removed (whole nodes only).
 * Returns the entries removed; first_id is kept current. */
#define KV_TRIM_MAXLEN 1
#define KV_TRIM_MINID 2
long long kv_stream_trim(kv_stream *s, int strategy, uint64_t maxlen, const kv_sid *minid,
                         int approx, long long limit);

/* Edge IDs: the first or last entry; tombstones 1 counts deleted ones.
 * Without one: first gives the largest ID, last 0-0 (Redis's
 * streamGetEdgeID); the result is 1 if an entry was found. */
int kv_stream_edge(const kv_stream *s, int first, int tombstones, kv_sid *out);

/* Iteration over [start, end] (inclusive), forward or reverse, live
 * entries only unless tombstones is set. The stream must not change while
 * an iterator runs. */
typedef struct kv_sit {
    const kv_stream *s;
    kv_sid start, end;
    int rev, tombstones;
    long node;                 /* current node index; out of range: done */
    unsigned char *lp;         /* its listpack, NULL: load the node */
    unsigned char *p;          /* forward: next entry's flags; reverse: prev lp-count */
    kv_sid master;
    long long master_fields;
    unsigned char *mfields;    /* the master entry's first field */
    int flags;                 /* the current entry's */
    unsigned char *fcur, *vcur; /* its next field and value */
} kv_sit;

void kv_sit_start(kv_sit *it, const kv_stream *s, const kv_sid *start, const kv_sid *end,
                  int rev);
/* The next entry: 1 with its ID and number of fields, 0 at the end. */
int kv_sit_next(kv_sit *it, kv_sid *id, long long *nfields);
/* The current entry's next field and value (call nfields times). */
void kv_sit_field(kv_sit *it, kv_lpval *field, kv_lpval *value);

/* Check one node of an untrusted payload: a valid listpack in the stream
 * node format; *live and *deleted get its counts, *first and *last its
 * entries' IDs (which must be in strictly ascending order), *master is
 * the node key. 0 if valid. */
int kv_stream_validate_node(const unsigned char *lp, size_t size, const kv_sid *master,
                            uint64_t *live, uint64_t *deleted, kv_sid *first, kv_sid *last);

/* Radix-tree statistics XINFO reports: keys (nodes) and the node count a
 * Redis rax holding these node keys has. */
size_t kv_stream_rax_nodes(const kv_stream *s);

/* Bytes the value occupies, as glibc malloc spends them. */
size_t kv_stream_mem(const kv_obj *o);

#endif
