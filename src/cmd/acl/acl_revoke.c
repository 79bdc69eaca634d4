/* Pub/Sub clients cut off by a change of their user's channels (Redis 7.0's
 * ACLKillPubsubClientsIfNeeded): SETUSER logs each such change in order; a
 * shard adopting a snapshot takes the entries since the one it held (it may
 * skip snapshots, never entries) and closes its own subscribers they cut
 * off. An entry is freed once every shard has taken it. */
#include "cmd/acl/acl.h"
#include "cmd/lib/glob.h"

#include <stdlib.h>
#include <string.h>

struct kv_acl_revlog {
    kv_acl_rev *head, *tail; /* oldest first */
    unsigned long long seq;  /* entries so far */
    unsigned long long taken[KV_ACL_MAX_SHARDS];
    unsigned char started[KV_ACL_MAX_SHARDS]; /* the shard has adopted a snapshot */
};

kv_acl_revlog *kv_acl_revlog_new(void)
{
    kv_acl_revlog *l = calloc(1, sizeof *l);
    if (!l)
        abort();
    return l;
}

static kv_acl_rev *rev_new(unsigned long long seq, unsigned long long uid)
{
    kv_acl_rev *r = calloc(1, sizeof *r);
    if (!r)
        abort();
    r->seq = seq;
    r->uid = uid;
    return r;
}

static void rev_add_chans(kv_acl_rev *r, const kv_acl_pat *p, int n)
{
    int i;
    if (!n)
        return;
    if (!(r->chans = realloc(r->chans, (size_t)(r->nchans + n) * sizeof *r->chans)))
        abort();
    for (i = 0; i < n; i++) {
        kv_acl_pat *q = &r->chans[r->nchans++];
        *q = p[i];
        if (!(q->p = malloc(p[i].n + 1)))
            abort();
        memcpy(q->p, p[i].p, p[i].n + 1);
    }
}

void kv_acl_revs_free(kv_acl_rev *r)
{
    while (r) {
        kv_acl_rev *next = r->next;
        int i;
        for (i = 0; i < r->nchans; i++)
            free(r->chans[i].p);
        free(r->chans);
        free(r);
        r = next;
    }
}

void kv_acl_revlog_free(kv_acl_revlog *l)
{
    if (!l)
        return;
    kv_acl_revs_free(l->head);
    free(l);
}

unsigned long long kv_acl_revlog_seq(const kv_acl_revlog *l)
{
    return l->seq;
}

/* Redis scans the user's clients unless a selector of the new user has
 * allchannels, or the old one had neither allchannels nor a channel (it
 * compares channels by pointer, so a superset of the old list still
 * scans); the scan checks against every selector's channels together. */
int kv_acl_revlog_note(kv_acl_revlog *l, const kv_acl_user *old, const kv_acl_user *nu)
{
    kv_acl_rev *r;
    int i, had = 0;
    for (i = 0; i < nu->nsels; i++)
        if (nu->sels[i].flags & KV_SEL_ALLCHANNELS)
            return 0;
    for (i = 0; i < old->nsels; i++)
        had |= (old->sels[i].flags & KV_SEL_ALLCHANNELS) || old->sels[i].nchans;
    if (!had)
        return 0;
    r = rev_new(++l->seq, old->uid);
    for (i = 0; i < nu->nsels; i++)
        rev_add_chans(r, nu->sels[i].chans, nu->sels[i].nchans);
    if (l->tail)
        l->tail->next = r;
    else
        l->head = r;
    l->tail = r;
    return 1;
}

/* Entries every started shard has taken are no longer needed. */
static void prune(kv_acl_revlog *l)
{
    unsigned long long min = l->seq;
    int i;
    for (i = 0; i < KV_ACL_MAX_SHARDS; i++)
        if (l->started[i] && l->taken[i] < min)
            min = l->taken[i];
    while (l->head && l->head->seq <= min) {
        kv_acl_rev *r = l->head;
        l->head = r->next;
        r->next = NULL;
        kv_acl_revs_free(r);
    }
    if (!l->head)
        l->tail = NULL;
}

kv_acl_rev *kv_acl_revlog_take(kv_acl_revlog *l, int shard, unsigned long long from,
                               unsigned long long to)
{
    kv_acl_rev *out = NULL, **tail = &out;
    const kv_acl_rev *r;
    for (r = l->head; l->started[shard] && r && r->seq <= to; r = r->next) {
        if (r->seq <= from)
            continue;
        *tail = rev_new(r->seq, r->uid);
        rev_add_chans(*tail, r->chans, r->nchans);
        tail = &(*tail)->next;
    }
    l->started[shard] = 1; /* a shard's first snapshot: it has no subscribers yet */
    l->taken[shard] = to;
    prune(l);
    return out;
}

/* ---------------------------------------------------------- the sweep */

struct kv_acl_cut {
    const kv_acl_hooks *h;
    const kv_acl_rev *revs;
};

/* Redis's ACLCheckChannelAgainstList: a pattern subscription must be one
 * of the channels literally, a channel must match one. */
static int allowed(const kv_acl_rev *r, const kv_str *name, int literal)
{
    int i;
    for (i = 0; i < r->nchans; i++) {
        const kv_acl_pat *p = &r->chans[i];
        if (literal ? (p->n == name->n && !memcmp(p->p, name->p, name->n))
                    : kv_glob_match(p->p, p->n, name->p, name->n, 0))
            return 1;
    }
    return 0;
}

static int cut_off(const kv_acl_hooks *h, kv_conn *c, const kv_acl_rev *r)
{
    int kind, cut = 0;
    for (kind = 0; kind < 3 && !cut; kind++) {
        size_t n = 0, i;
        kv_str *names = h->client_subs(c, kind, &n);
        for (i = 0; i < n && !cut; i++)
            cut = !allowed(r, &names[i], kind == KV_ACL_SUB_PATTERNS);
        free(names);
    }
    return cut;
}

static void sweep_one(void *arg, kv_conn *c)
{
    const struct kv_acl_cut *cut = arg;
    kv_session *s = kv_conn_data(c);
    const kv_acl_rev *r;
    if (!s || !s->ps)
        return;
    for (r = cut->revs; r; r = r->next)
        if (r->uid == s->acl_uid && cut_off(cut->h, c, r)) {
            /* gone for every later command: one already running still
             * replies (the ACL SETUSER that cut its own client off) */
            s->acl_uid = KV_ACL_NO_UID;
            s->acl_ver = 0;
            kv_conn_kill(c);
            return;
        }
}

void kv_acl_revoke_sweep(kv_shard *sh, const kv_acl_hooks *h, const kv_acl_rev *revs)
{
    struct kv_acl_cut cut;
    cut.h = h;
    cut.revs = revs;
    kv_shard_foreach_conn(sh, sweep_one, &cut);
}
