/* kv_buf: the growable byte buffer behind every reply and request queue.
 * Growth is geometric so appending n bytes one piece at a time stays O(n);
 * allocation failure aborts, like Redis's zmalloc, because every size that
 * reaches here was already bounded by a configured limit. */
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
}

void kv_buf_free(kv_buf *b)
{
    free(b->p);
    kv_buf_init(b);
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
    if (b->len == 0 && b->cap > keep)
        kv_buf_free(b);
}
