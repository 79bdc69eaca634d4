/* kv_buf: the growable byte buffer behind every reply and request queue.
 * Growth is geometric so appending n bytes one piece at a time stays O(n);
 * allocation failure aborts, like Redis's zmalloc, because every size that
 * reaches here was already bounded by a configured limit. A reply buffer may
 * also refer to big values it does not copy (spans), released when dropped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kevy/resp.h"

#define KV_BUF_MIN 64

static void kv_buf_oom(size_t n)
{
    fprintf(stderr, "kevy: out of memory allocating %zu bytes\n", n);
    abort();
}

void kv_buf_init(kv_buf *b)
{
    b->p = NULL;
    b->len = 0;
    b->cap = 0;
    b->spans = NULL;
}

static void kv_buf_release_from(kv_buf *b, size_t first)
{
    kv_buf_spans *sp = b->spans;
    size_t i;
    for (i = first; i < sp->count; i++) {
        sp->bytes -= sp->s[i].n;
        if (sp->s[i].release) /* NULL: let go already (written) */
            sp->s[i].release(sp->s[i].arg);
    }
    sp->count = first;
}

void kv_buf_free(kv_buf *b)
{
    if (b->spans) {
        kv_buf_release_from(b, 0);
        free(b->spans);
    }
    free(b->p);
    kv_buf_init(b);
}

void kv_buf_clear(kv_buf *b)
{
    if (b->spans)
        kv_buf_release_from(b, 0);
    b->len = 0;
}

void kv_buf_truncate(kv_buf *b, size_t n)
{
    if (n >= b->len)
        n = b->len;
    if (b->spans) {
        size_t keep = b->spans->count;
        while (keep > 0 && b->spans->s[keep - 1].at >= n)
            keep--;
        kv_buf_release_from(b, keep);
    }
    b->len = n;
}

void kv_buf_add_span(kv_buf *b, const char *p, size_t n, kv_buf_release_fn release, void *arg)
{
    kv_buf_spans *sp = b->spans;
    if (!sp || sp->count == sp->cap) {
        size_t cap = sp ? sp->cap * 2 : 4;
        sp = realloc(sp, sizeof *sp + cap * sizeof sp->s[0]);
        if (sp == NULL)
            kv_buf_oom(cap * sizeof sp->s[0]);
        if (!b->spans)
            sp->count = sp->bytes = 0;
        sp->cap = cap;
        b->spans = sp;
    }
    sp->s[sp->count].at = b->len;
    sp->s[sp->count].p = p;
    sp->s[sp->count].n = n;
    sp->s[sp->count].release = release;
    sp->s[sp->count].arg = arg;
    sp->count++;
    sp->bytes += n;
}

void kv_buf_move(kv_buf *dst, kv_buf *src)
{
    size_t base = dst->len, i;
    kv_buf_append(dst, src->p, src->len);
    if (src->spans) {
        kv_buf_spans *sp = src->spans;
        for (i = 0; i < sp->count; i++) {
            size_t len = dst->len;
            dst->len = base + sp->s[i].at; /* where the span goes */
            kv_buf_add_span(dst, sp->s[i].p, sp->s[i].n, sp->s[i].release, sp->s[i].arg);
            dst->len = len;
        }
        sp->count = sp->bytes = 0; /* dst releases them now */
    }
    src->len = 0;
}

int kv_buf_empty(const kv_buf *b)
{
    return b->len == 0 && (!b->spans || b->spans->count == 0);
}

size_t kv_buf_size(const kv_buf *b)
{
    return b->len + (b->spans ? b->spans->bytes : 0);
}

char *kv_buf_reserve(kv_buf *b, size_t extra)
{
    size_t want, cap;
    char *np;

    if (b->p != NULL && b->cap - b->len >= extra)
        return b->p + b->len;
    if (extra > (size_t)-1 - b->len)
        kv_buf_oom((size_t)-1);
    want = b->len + extra;
    cap = b->cap < KV_BUF_MIN ? KV_BUF_MIN : b->cap;
    while (cap < want)
        cap = cap > (size_t)-1 / 2 ? want : cap * 2;
    np = realloc(b->p, cap);
    if (np == NULL)
        kv_buf_oom(cap);
    b->p = np;
    b->cap = cap;
    return b->p + b->len;
}

void kv_buf_append(kv_buf *b, const void *p, size_t n)
{
    char *w = kv_buf_reserve(b, n);
    if (n) {
        memcpy(w, p, n);
        b->len += n;
    }
}

void kv_buf_consume(kv_buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
}

void kv_buf_shrink(kv_buf *b, size_t keep)
{
    if (kv_buf_empty(b) && b->cap > keep)
        kv_buf_free(b);
}
