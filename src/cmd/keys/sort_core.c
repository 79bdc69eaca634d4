/* SORT's algorithm, independent of where the values come from: option
 * parsing, BY/GET pattern substitution, loading the source's elements,
 * computing sort keys and sorting them with Redis 7.0's comparison rules,
 * and writing the result (reply or STORE). Elements and looked-up values
 * are copied into an arena, so a job can outlive a coordination step. */
#include "cmd/keys/sort.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/list/list.h"
#include "cmd/multi/watch.h"
#include "store/t_set.h"
#include "store/t_zset.h"

/* ------------------------------------------------------------ options */

static int has_star(const kv_str *a)
{
    return memchr(a->p, '*', kv_arg_cstrlen(a)) != NULL;
}

int kv_sortreq_parse(kv_ctx *ctx, int argc, const kv_str *argv, kv_sortreq *q)
{
    int j;
    memset(q, 0, sizeof *q);
    q->ro = kv_arg_eq(&argv[0], "sort_ro");
    q->lcount = -1;
    q->gets = malloc((size_t)argc * sizeof *q->gets);
    if (!q->gets)
        abort();
    for (j = 2; j < argc; j++) {
        int left = argc - j - 1;
        if (kv_arg_eq(&argv[j], "asc")) {
            q->desc = 0;
        } else if (kv_arg_eq(&argv[j], "desc")) {
            q->desc = 1;
        } else if (kv_arg_eq(&argv[j], "alpha")) {
            q->alpha = 1;
        } else if (kv_arg_eq(&argv[j], "limit") && left >= 2) {
            if (!kv_arg_ll(&argv[j + 1], &q->lstart) || !kv_arg_ll(&argv[j + 2], &q->lcount)) {
                if (ctx)
                    kv_reply_error(&ctx->out, "ERR value is not an integer or out of range");
                return -1;
            }
            j += 2;
        } else if (!q->ro && kv_arg_eq(&argv[j], "store") && left >= 1) {
            q->store = ++j;
        } else if (kv_arg_eq(&argv[j], "by") && left >= 1) {
            q->by = ++j;
            /* Once a BY without '*' is seen nothing is sorted, whatever
             * BY follows (Redis never clears the flag). */
            if (!has_star(&argv[j]))
                q->dontsort = 1;
        } else if (kv_arg_eq(&argv[j], "get") && left >= 1) {
            q->gets[q->ngets++] = ++j;
        } else {
            if (ctx)
                kv_reply_syntax(ctx);
            return -1;
        }
    }
    return 0;
}

void kv_sortreq_free(kv_sortreq *q)
{
    free(q->gets);
    q->gets = NULL;
}

static int pat_self(const kv_str *pat)
{
    return pat->n >= 1 && pat->p[0] == '#' && (pat->n == 1 || pat->p[1] == '\0');
}

int kv_sortreq_by_lookups(const kv_sortreq *q)
{
    return q->by && !q->dontsort;
}

int kv_sortreq_get_lookups(const kv_sortreq *q, const kv_str *argv)
{
    int g;
    for (g = 0; g < q->ngets; g++)
        if (!pat_self(&argv[q->gets[g]]) && has_star(&argv[q->gets[g]]))
            return 1;
    return 0;
}

/* ------------------------------------------------------------ patterns */

/* The pattern is read as Redis reads a C string: "#" alone (up to a NUL) is
 * the element; the first '*' before any NUL is replaced by the element; a
 * "->" after it, followed by at least one byte, splits off a hash field
 * (everything after the arrow, NULs included). */
int kv_sort_pattern(const kv_str *pat, const char *el, size_t n, kv_buf *buf, kv_str *key,
                    kv_str *field, int *hashf)
{
    size_t clen = kv_arg_cstrlen(pat), star, i, post;
    const char *p;
    *hashf = 0;
    if (pat_self(pat))
        return KV_SORTPAT_SELF;
    p = memchr(pat->p, '*', clen);
    if (!p)
        return KV_SORTPAT_NONE;
    star = (size_t)(p - pat->p);
    post = pat->n - star - 1;
    for (i = star + 1; i + 2 < clen; i++) {
        if (pat->p[i] == '-' && pat->p[i + 1] == '>') {
            *hashf = 1;
            field->p = pat->p + i + 2;
            field->n = pat->n - i - 2;
            post = i - star - 1;
            break;
        }
    }
    buf->len = 0;
    kv_buf_append(buf, pat->p, star);
    kv_buf_append(buf, el, n);
    kv_buf_append(buf, pat->p + star + 1, post);
    key->p = buf->p ? buf->p : "";
    key->n = buf->len;
    return KV_SORTPAT_KEY;
}

/* ------------------------------------------------------------ the job */

struct kv_sortchunk {
    kv_sortchunk *next;
    size_t used, cap;
    char data[];
};

void kv_sortjob_init(kv_sortjob *j)
{
    memset(j, 0, sizeof *j);
}

void kv_sortjob_free(kv_sortjob *j)
{
    while (j->arena) {
        kv_sortchunk *c = j->arena;
        j->arena = c->next;
        free(c);
    }
    free(j->v);
    kv_sortreq_free(&j->q);
    memset(j, 0, sizeof *j);
}

const char *kv_sortjob_copy(kv_sortjob *j, const char *p, size_t n)
{
    kv_sortchunk *c = j->arena;
    char *dst;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > 65536 ? n : 65536;
        c = malloc(sizeof *c + cap);
        if (!c)
            abort();
        c->used = 0;
        c->cap = cap;
        c->next = j->arena;
        j->arena = c;
    }
    dst = c->data + c->used;
    if (n)
        memcpy(dst, p, n);
    c->used += n;
    return dst;
}

void kv_sortjob_push(kv_sortjob *j, const char *p, size_t n)
{
    kv_sortel *e;
    if (j->n == j->cap) {
        size_t cap = j->cap ? j->cap * 2 : 16;
        kv_sortel *v = realloc(j->v, cap * sizeof *v);
        if (!v)
            abort();
        j->v = v;
        j->cap = cap;
    }
    e = &j->v[j->n++];
    memset(e, 0, sizeof *e);
    e->p = kv_sortjob_copy(j, p, n);
    e->n = n;
}

static void push_lpval(kv_sortjob *j, const kv_lpval *v)
{
    char num[KV_LLSTR_SIZE];
    if (v->s)
        kv_sortjob_push(j, (const char *)v->s, v->n);
    else
        kv_sortjob_push(j, num, kv_store_ll2str(num, v->v));
}

static int set_member_fn(void *arg, const kv_lpval *m)
{
    push_lpval((kv_sortjob *)arg, m);
    return 0;
}

static size_t obj_len(kv_obj *o)
{
    if (!o)
        return 0;
    switch (kv_obj_type(o)) {
    case KV_TYPE_LIST:
        return kv_list_len(o);
    case KV_TYPE_SET:
        return kv_set_size(o);
    default:
        return kv_zset_len(o);
    }
}

void kv_sortjob_load(kv_sortjob *j, kv_obj *o)
{
    long long len = (long long)obj_len(o), i;
    unsigned type = o ? kv_obj_type(o) : KV_TYPE_LIST;
    kv_sortreq *q = &j->q;
    /* The LIMIT range, clamped as Redis does (without its overflows). */
    j->start = q->lstart < 0 ? 0 : q->lstart;
    if (j->start >= len) {
        j->start = len - 1;
        j->end = len - 2;
    } else if (q->lcount < 0 || q->lcount > len - j->start) {
        j->end = len - 1;
    } else {
        j->end = j->start + q->lcount - 1;
    }
    if (q->dontsort && type == KV_TYPE_SET && q->store) {
        /* An unsorted set would store in hash order: sort it ALPHA. */
        q->dontsort = 0;
        q->alpha = 1;
        q->by = 0;
    }
    if (!o)
        return;
    if (q->dontsort && type != KV_TYPE_SET) {
        /* Just the range, in the value's order (reversed for DESC). */
        long long count = j->end - j->start + 1;
        if (count > 0 && type == KV_TYPE_LIST) {
            kv_qliter it;
            kv_lpval v;
            kv_ql_iter_at(&it, kv_list_ql(o), q->desc ? -1 - j->start : j->start,
                          q->desc ? KV_QL_TAIL : KV_QL_HEAD);
            for (i = 0; i < count && kv_ql_next(&it, &v); i++)
                push_lpval(j, &v);
        } else if (count > 0) {
            kv_zit it;
            int more = kv_zit_rank(&it, o, (size_t)j->start, q->desc);
            for (i = 0; i < count && more; i++, more = kv_zit_next(&it))
                kv_sortjob_push(j, it.m, it.mlen);
        }
        if (count > 0) {
            j->start = 0;
            j->end = (long long)j->n - 1;
        }
        return;
    }
    if (type == KV_TYPE_LIST) {
        kv_qliter it;
        kv_lpval v;
        kv_ql_iter_at(&it, kv_list_ql(o), 0, KV_QL_HEAD);
        while (kv_ql_next(&it, &v))
            push_lpval(j, &v);
    } else if (type == KV_TYPE_SET) {
        kv_set_foreach(o, set_member_fn, j);
    } else if (len > 0) {
        kv_zit it;
        int more = kv_zit_rank(&it, o, 0, 0);
        for (; more; more = kv_zit_next(&it))
            kv_sortjob_push(j, it.m, it.mlen);
    }
}

/* Redis reads a number with strtod over the C string (up to a NUL): the
 * whole of it must parse, without overflow, underflow or NaN. */
static int parse_score(const char *p, size_t n, double *out)
{
    char small[64], *s = small, *end;
    const char *nul = memchr(p, '\0', n);
    int ok;
    if (nul)
        n = (size_t)(nul - p);
    if (n >= sizeof small && !(s = malloc(n + 1)))
        abort();
    memcpy(s, p, n);
    s[n] = '\0';
    errno = 0;
    *out = strtod(s, &end);
    ok = *end == '\0' && errno != ERANGE && !isnan(*out);
    if (s != small)
        free(s);
    return ok;
}

void kv_sortjob_by(kv_sortjob *j, size_t i, const char *val, size_t n)
{
    kv_sortel *e = &j->v[i];
    if (!val)
        return; /* missing: score 0, or ALPHA's "no value" */
    if (j->q.alpha) {
        if (j->q.by) {
            e->cmp = kv_sortjob_copy(j, val, n);
            e->cmpn = n;
        }
    } else if (!parse_score(val, n, &e->score)) {
        j->converr = 1;
    }
}

/* ------------------------------------------------------------ sorting */

/* Binary order: bytes, then the shorter first (compareStringObjects). */
static int cmp_binary(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : an < bn ? -1 : an > bn ? 1 : 0;
}

/* Redis uses strcoll over C strings without STORE; kevy collates bytes as
 * the C (and C.UTF-8) locale does, up to the first NUL. */
static int cmp_coll(const char *a, size_t an, const char *b, size_t bn)
{
    const char *na = memchr(a, '\0', an), *nb = memchr(b, '\0', bn);
    return cmp_binary(a, na ? (size_t)(na - a) : an, b, nb ? (size_t)(nb - b) : bn);
}

static int el_cmp(const kv_sortreq *q, const kv_sortel *a, const kv_sortel *b)
{
    int c;
    if (!q->alpha) {
        c = a->score > b->score ? 1 : a->score < b->score ? -1 : cmp_binary(a->p, a->n, b->p, b->n);
    } else if (q->by) {
        if (!a->cmp || !b->cmp)
            c = a->cmp == b->cmp ? 0 : !a->cmp ? -1 : 1;
        else
            c = q->store ? cmp_binary(a->cmp, a->cmpn, b->cmp, b->cmpn)
                         : cmp_coll(a->cmp, a->cmpn, b->cmp, b->cmpn);
    } else {
        c = q->store ? cmp_binary(a->p, a->n, b->p, b->n) : cmp_coll(a->p, a->n, b->p, b->n);
    }
    return q->desc ? -c : c;
}

/* Stable merge sort, as glibc's qsort is in practice: elements comparing
 * equal (ALPHA BY ties) keep the source's order. */
static void merge_sort(const kv_sortreq *q, kv_sortel *v, kv_sortel *tmp, size_t n)
{
    size_t mid = n / 2, i = 0, k = mid, o = 0;
    if (n < 2)
        return;
    merge_sort(q, v, tmp, mid);
    merge_sort(q, v + mid, tmp, n - mid);
    while (i < mid && k < n)
        tmp[o++] = el_cmp(q, &v[k], &v[i]) < 0 ? v[k++] : v[i++];
    while (i < mid)
        tmp[o++] = v[i++];
    memcpy(v, tmp, o * sizeof *v);
}

void kv_sortjob_sort(kv_sortjob *j)
{
    kv_sortel *tmp;
    if (j->n < 2)
        return;
    if (!(tmp = malloc(j->n * sizeof *tmp)))
        abort();
    merge_sort(&j->q, j->v, tmp, j->n);
    free(tmp);
}

size_t kv_sortjob_nout(const kv_sortjob *j)
{
    size_t range = j->end >= j->start ? (size_t)(j->end - j->start + 1) : 0;
    return j->q.ngets ? range * (size_t)j->q.ngets : range;
}

/* ------------------------------------------------------------ output */

void kv_sort_reply_items(kv_ctx *ctx, const kv_str *items, size_t n)
{
    size_t i;
    kv_reply_array(&ctx->out, (long)n);
    for (i = 0; i < n; i++) {
        if (items[i].p)
            kv_reply_bulk(&ctx->out, items[i].p, items[i].n);
        else
            kv_reply_null(&ctx->out);
    }
}

void kv_sort_store_items(kv_ctx *ctx, const kv_str *dst, const kv_str *items, size_t n)
{
    kv_db *db = kv_ctx_db(ctx);
    kv_entry *e = kv_lookup_write(ctx, dst);
    kv_obj *o;
    size_t i;
    int created;
    if (n == 0) {
        if (e) { /* dbDelete: lazy under lazyfree-lazy-server-del */
            kv_ks_delete_entry(kv_state(ctx)->ks, ctx->db, e, KV_LAZY_SERVER_DEL);
            kv_signal_modified(ctx, ctx->db, dst);
            kv_notify(ctx, KV_NOTIFY_GENERIC, "del", ctx->db, dst);
            kv_dirty(ctx, 1);
        }
        kv_reply_int(&ctx->out, 0);
        return;
    }
    /* Redis 7.0's SORT STORE makes its list without applying
     * list-max-listpack-size: the quicklist default fill (-2) it is. */
    o = kv_list_new(NULL);
    for (i = 0; i < n; i++)
        kv_list_push(o, items[i].p ? items[i].p : "", items[i].p ? items[i].n : 0, KV_QL_TAIL);
    kv_obj_set_lru(o, kv_ks_fresh_lru(kv_state(ctx)->ks, kv_now_ms(ctx)));
    if (e)
        kv_db_persist(db, e);
    else
        e = kv_db_upsert(db, dst->p, dst->n, &created);
    kv_set_val(ctx, e, o);
    kv_signal_modified(ctx, ctx->db, dst);
    kv_notify(ctx, KV_NOTIFY_LIST, "sortstore", ctx->db, dst);
    kv_dirty(ctx, (long long)n); /* Redis counts every stored element */
    kv_reply_int(&ctx->out, (long long)n);
}
