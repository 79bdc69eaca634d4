/* What the two halves of client-side caching's shard side share: the
 * tracking table and prefix table (tracking.c: keys, delivery;
 * tracking_bcast.c: BCAST prefixes and their grouped messages). */
#ifndef KV_CMD_TRACKING_INT_H
#define KV_CMD_TRACKING_INT_H

#include "cmd/pubsub/tracking.h"
#include "store/dict.h"

/* A client, as the messages carry it (packed, zero-filled). */
typedef struct kv_trkref {
    unsigned long long id;
    long long home;
} kv_trkref;

/* One key with the clients that may have it cached. */
typedef struct kv_trkkey {
    kv_dnode node;
    kv_trkref *refs;
    size_t nrefs, cap;
    size_t n;
    char key[];
} kv_trkkey;

/* A key written during this loop turn under a prefix, and by whom (NOLOOP
 * leaves out a client's own writes). */
typedef struct kv_trkpend {
    size_t off, n;     /* in kv_trkpfx.text */
    const char *k;     /* text + off, once the text stops growing (sorting) */
    unsigned long seq; /* later writes win on equal keys */
    kv_trkref writer;
} kv_trkpend;

typedef struct kv_trkpfx {
    char *p;
    size_t n;
    kv_trkref *clients;
    size_t nclients, cap;
    kv_trkpend *keys;
    size_t nkeys, capkeys;
    kv_buf text;
} kv_trkpfx;

struct kv_tracking {
    kv_cmdstate *st;
    int self;
    kv_dict keys;
    long long items;
    kv_trkpfx **pfx; /* sorted by bytes: the order Redis sends them in */
    size_t npfx, cappfx;
    int pending;     /* some prefix has keys to send */
    unsigned long seq;
    long long home_clients;
    long long max_keys;
    long long *shared_keys; /* every shard's table keys, or NULL */
    uint64_t rng;
};

/* A kv_str over raw bytes (a message's packed argument). */
kv_str kv_trk_packed(const void *p, size_t n);
kv_trkref kv_trk_ref(int home, unsigned long long id);
/* Refresh kv_cmdstate.trk_live: is anything tracked or prefixed here? */
void kv_trk_live(kv_tracking *t);
void kv_trkpfx_free(kv_trkpfx *p);
/* Send an invalidation payload to tracking client c of this shard (its own
 * connection, or its redirection target). */
void kv_trk_send(kv_shard *sh, kv_conn *c, const kv_trkclient *tc, const char *payload,
                 size_t n);
/* A key written under prefix x during this loop turn (tracking_bcast.c). */
void kv_trk_pend(kv_tracking *t, kv_trkpfx *x, const char *key, size_t n, kv_trkref w);

#endif
