/* Stream values in RDB form (DUMP/RESTORE, COPY, cross-shard moves, the
 * RDB file), as Redis 7.0 saves them: STREAM_LISTPACKS_2 (19), the node
 * count, per node its 16-byte big-endian master ID as a string and its
 * listpack blob, then length, last ID, first ID, max deleted ID and
 * entries added as lengths, then the consumer groups: their count, and per
 * group name, last ID, entries read, the PEL (count, per entry a raw
 * 16-byte ID, delivery time as 8 bytes little-endian, delivery count) and
 * the consumers (count, per consumer name, seen time, PEL of raw IDs).
 * kevy has no groups yet and writes a count of 0; a payload with groups is
 * refused rather than loaded without them. STREAM_LISTPACKS (15, Redis
 * 5 and 6) lacks the three 7.0 fields and entries read. Every node is
 * checked deeply (kv_stream_validate_node) and the nodes together must
 * agree with the length and the last ID, so the commands never meet an
 * inconsistent stream. */
#include "store/rdb.h"

#include <stdlib.h>
#include <string.h>

#include "store/t_stream.h"

int kv_rdb_save_stream(kv_buf *out, const kv_obj *o, int compress)
{
    const kv_stream *s = kv_stream_of(o);
    unsigned char key[16];
    size_t i;
    kv_rdb_write_type(out, KV_RDB_TYPE_STREAM_LISTPACKS_2);
    kv_rdb_write_len(out, s->n);
    for (i = 0; i < s->n; i++) {
        const kv_snode *nd = kv_stream_node(s, i);
        kv_sid_encode(key, &nd->master);
        kv_rdb_write_string_opt(out, key, sizeof key, compress);
        kv_rdb_write_string_opt(out, nd->lp, kv_lp_bytes(nd->lp), compress);
    }
    kv_rdb_write_len(out, s->length);
    kv_rdb_write_len(out, s->last_id.ms);
    kv_rdb_write_len(out, s->last_id.seq);
    kv_rdb_write_len(out, s->first_id.ms);
    kv_rdb_write_len(out, s->first_id.seq);
    kv_rdb_write_len(out, s->max_deleted.ms);
    kv_rdb_write_len(out, s->max_deleted.seq);
    kv_rdb_write_len(out, s->entries_added);
    kv_rdb_write_len(out, 0); /* consumer groups */
    return KV_RDB_OK;
}

static int read_id(kv_rdb_reader *r, kv_sid *id)
{
    return kv_rdb_read_len(r, &id->ms, NULL) || kv_rdb_read_len(r, &id->seq, NULL) ? -1 : 0;
}

/* One node: key and listpack, checked and appended to s. */
static int load_node(kv_rdb_reader *r, kv_stream *s, uint64_t *live, kv_sid *last)
{
    kv_rdb_str key;
    kv_sid master, first;
    unsigned char *lp;
    uint64_t nlive, ndead;
    size_t n;
    if (kv_rdb_read_string(r, &key) != 0)
        return -1;
    if (key.is_int || key.n != 16) {
        kv_rdb_str_free(&key);
        return -1;
    }
    kv_sid_decode((const unsigned char *)key.p, &master);
    kv_rdb_str_free(&key);
    if (!(lp = kv_rdb_read_blob(r, &n)))
        return -1;
    /* Nodes must be disjoint and ascending, each entry at or after its
     * master ID: the lookups binary-search the masters. */
    if (kv_stream_validate_node(lp, n, &master, &nlive, &ndead, &first, last) != 0 ||
        kv_sid_cmp(&first, &master) < 0 ||
        (s->n && kv_sid_cmp(&master, &kv_stream_node(s, s->n - 1)->master) <= 0)) {
        free(lp);
        return -1;
    }
    *live += nlive;
    kv_stream_push_node(s, &master, lp);
    return 0;
}

kv_obj *kv_rdb_load_stream(int rdbtype, kv_rdb_reader *r)
{
    kv_obj *o = kv_stream_new();
    kv_stream *s = kv_stream_of(o);
    uint64_t nodes, i, live = 0, groups;
    kv_sid last = {0, 0}, prev_last = {0, 0};
    /* A node takes at least 20 bytes (key and an empty listpack's header). */
    if (kv_rdb_read_len(r, &nodes, NULL) != 0 || nodes > kv_rdb_remaining(r) / 20)
        goto bad;
    for (i = 0; i < nodes; i++) {
        if (load_node(r, s, &live, &last) != 0)
            goto bad;
        if (i > 0 && kv_sid_cmp(&kv_stream_node(s, s->n - 1)->master, &prev_last) <= 0)
            goto bad;
        prev_last = last;
    }
    if (kv_rdb_read_len(r, &s->length, NULL) != 0 || read_id(r, &s->last_id) != 0)
        goto bad;
    if (rdbtype == KV_RDB_TYPE_STREAM_LISTPACKS_2) {
        if (read_id(r, &s->first_id) != 0 || read_id(r, &s->max_deleted) != 0 ||
            kv_rdb_read_len(r, &s->entries_added, NULL) != 0)
            goto bad;
    } else {
        s->entries_added = s->length;
        kv_stream_edge(s, 1, 0, &s->first_id);
        if (s->length == 0)
            s->first_id.ms = s->first_id.seq = 0;
    }
    if (s->length != live || (nodes && kv_sid_cmp(&last, &s->last_id) > 0))
        goto bad;
    if (kv_rdb_read_len(r, &groups, NULL) != 0 || groups != 0)
        goto bad; /* consumer groups: not yet */
    return o;
bad:
    kv_obj_free(o);
    return NULL;
}
