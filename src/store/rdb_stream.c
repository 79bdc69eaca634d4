/* Stream values in RDB form (DUMP/RESTORE, COPY, cross-shard moves, the
 * RDB file), as Redis 7.0 saves them: STREAM_LISTPACKS_2 (19), the node
 * count, per node its 16-byte big-endian master ID as a string and its
 * listpack blob, then length, last ID, first ID, max deleted ID and
 * entries added as lengths, then the consumer groups: their count, and per
 * group name, last ID, entries read, the PEL (count, per entry a raw
 * 16-byte ID, delivery time as 8 bytes little-endian, delivery count) and
 * the consumers (count, per consumer name, seen time as 8 bytes, PEL of
 * raw IDs). STREAM_LISTPACKS (15, Redis 5 and 6) lacks the three 7.0
 * fields and entries read (estimated on load, as Redis does). Every node
 * is checked deeply (kv_stream_validate_node) and the nodes together must
 * agree with the length and the last ID; group and consumer names are
 * unique, every consumer's entry is in its group's PEL exactly once and
 * every group PEL entry has a consumer, so the commands never meet an
 * inconsistent stream. */
#include "store/rdb.h"

#include <stdlib.h>
#include <string.h>

#include "store/t_stream.h"
#include "store/t_stream_cg.h"

/* Redis's rdbSaveMillisecondTime: 8 bytes, little-endian. */
static void write_ms(kv_buf *out, long long ms)
{
    unsigned char b[8];
    int i;
    for (i = 0; i < 8; i++)
        b[i] = (unsigned char)((unsigned long long)ms >> (8 * i));
    kv_buf_append(out, b, 8);
}

static void write_raw_id(kv_buf *out, const kv_sid *id)
{
    unsigned char key[16];
    kv_sid_encode(key, id);
    kv_buf_append(out, key, sizeof key);
}

static void save_groups(kv_buf *out, const kv_stream *s, int compress)
{
    size_t i, j, n = kv_stream_ngroups(s);
    const kv_snack *nack;
    kv_rdb_write_len(out, n);
    for (i = 0; i < n; i++) {
        const kv_scg *cg = kv_stream_cgs(s)->v[i];
        kv_rdb_write_string_opt(out, cg->name, cg->nlen, compress);
        kv_rdb_write_len(out, cg->last_id.ms);
        kv_rdb_write_len(out, cg->last_id.seq);
        kv_rdb_write_len(out, (uint64_t)cg->entries_read);
        kv_rdb_write_len(out, cg->pel.n);
        for (nack = kv_spel_first(&cg->pel); nack; nack = kv_spel_next(&cg->pel, nack)) {
            write_raw_id(out, &nack->id);
            write_ms(out, nack->delivery_time);
            kv_rdb_write_len(out, (uint64_t)nack->delivery_count);
        }
        kv_rdb_write_len(out, cg->ncons);
        for (j = 0; j < cg->ncons; j++) {
            const kv_sconsumer *c = cg->cons[j];
            kv_rdb_write_string_opt(out, c->name, c->nlen, compress);
            write_ms(out, c->seen_time);
            kv_rdb_write_len(out, c->pel.n);
            for (nack = kv_spel_first(&c->pel); nack; nack = kv_spel_next(&c->pel, nack))
                write_raw_id(out, &nack->id);
        }
    }
}

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
    save_groups(out, s, compress);
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

static int read_ms(kv_rdb_reader *r, long long *ms)
{
    const unsigned char *p;
    unsigned long long v = 0;
    int i;
    if (kv_rdb_read_bytes(r, 8, &p) != 0)
        return -1;
    for (i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    *ms = (long long)v;
    return 0;
}

static int read_raw_id(kv_rdb_reader *r, kv_sid *id)
{
    const unsigned char *p;
    if (kv_rdb_read_bytes(r, 16, &p) != 0)
        return -1;
    kv_sid_decode(p, id);
    return 0;
}

/* A name: a string (an integer-encoded one as its digits) into buf. */
static int read_name(kv_rdb_reader *r, kv_rdb_str *s, char num[24], const char **p, size_t *n)
{
    if (kv_rdb_read_string(r, s) != 0)
        return -1;
    if (s->is_int) {
        *n = kv_store_ll2str(num, s->ll);
        *p = num;
    } else {
        *p = s->p;
        *n = s->n;
    }
    return 0;
}

static int load_consumers(kv_rdb_reader *r, kv_scg *cg)
{
    uint64_t ncons, npel, i, j;
    const kv_snack *pending;
    if (kv_rdb_read_len(r, &ncons, NULL) != 0 || ncons > kv_rdb_remaining(r))
        return -1;
    for (i = 0; i < ncons; i++) {
        kv_rdb_str name;
        char num[24];
        const char *p;
        size_t n;
        long long seen;
        kv_sconsumer *c;
        if (read_name(r, &name, num, &p, &n) != 0)
            return -1;
        c = kv_scg_consumer_create(cg, p, n, 0);
        kv_rdb_str_free(&name);
        if (!c || read_ms(r, &seen) != 0)
            return -1; /* a duplicate consumer */
        c->seen_time = seen;
        if (kv_rdb_read_len(r, &npel, NULL) != 0 || npel > kv_rdb_remaining(r) / 16)
            return -1;
        for (j = 0; j < npel; j++) {
            kv_sid id;
            kv_snack *nack;
            if (read_raw_id(r, &id) != 0)
                return -1;
            /* In the group's PEL, and no one else's. */
            if (!(nack = kv_spel_find(&cg->pel, &id)) || nack->consumer)
                return -1;
            nack->consumer = c;
            kv_spel_insert(&c->pel, nack);
        }
    }
    for (pending = kv_spel_first(&cg->pel); pending;
         pending = kv_spel_next(&cg->pel, pending))
        if (!pending->consumer)
            return -1; /* Redis: "Stream CG PEL entry without consumer" */
    return 0;
}

static int load_group(int rdbtype, kv_rdb_reader *r, kv_stream *s)
{
    kv_rdb_str name;
    char num[24];
    const char *p;
    size_t n;
    kv_sid last;
    uint64_t read = 0, npel, i;
    long long entries_read;
    kv_scg *cg;
    if (read_name(r, &name, num, &p, &n) != 0)
        return -1;
    if (read_id(r, &last) != 0 ||
        (rdbtype == KV_RDB_TYPE_STREAM_LISTPACKS_2 && kv_rdb_read_len(r, &read, NULL) != 0)) {
        kv_rdb_str_free(&name);
        return -1;
    }
    entries_read = rdbtype == KV_RDB_TYPE_STREAM_LISTPACKS_2 ? (long long)read
                                                             : kv_stream_estimate_read(s, &last);
    cg = kv_stream_cg_create(s, p, n, &last, entries_read);
    kv_rdb_str_free(&name);
    if (!cg)
        return -1; /* a duplicate group */
    if (kv_rdb_read_len(r, &npel, NULL) != 0 || npel > kv_rdb_remaining(r) / 25)
        return -1;
    for (i = 0; i < npel; i++) {
        kv_sid id;
        long long when;
        uint64_t count;
        kv_snack *nack;
        if (read_raw_id(r, &id) != 0 || read_ms(r, &when) != 0 ||
            kv_rdb_read_len(r, &count, NULL) != 0 || kv_spel_find(&cg->pel, &id))
            return -1;
        nack = kv_scg_nack_add(cg, &id, NULL, when);
        nack->delivery_count = (long long)count;
    }
    return load_consumers(r, cg);
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
    if (kv_rdb_read_len(r, &groups, NULL) != 0 || groups > kv_rdb_remaining(r))
        goto bad;
    for (i = 0; i < groups; i++)
        if (load_group(rdbtype, r, s) != 0)
            goto bad;
    return o;
bad:
    kv_obj_free(o);
    return NULL;
}
