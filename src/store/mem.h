/* Private allocation helpers for the store: allocation failure aborts (as
 * Redis's zmalloc does by default), and kv_mem_chunk models what glibc malloc
 * really spends on a request, so memory estimates match what RSS shows. */
#ifndef KEVY_STORE_MEM_H
#define KEVY_STORE_MEM_H

#include <stdio.h>
#include <stdlib.h>

static inline void *kv_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL) {
        fprintf(stderr, "kevy: out of memory allocating %zu bytes\n", n);
        abort();
    }
    return p;
}

static inline void *kv_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL) {
        fprintf(stderr, "kevy: out of memory allocating %zu x %zu bytes\n", n, size);
        abort();
    }
    return p;
}

static inline void *kv_xrealloc(void *old, size_t n)
{
    void *p = realloc(old, n ? n : 1);
    if (p == NULL) {
        fprintf(stderr, "kevy: out of memory allocating %zu bytes\n", n);
        abort();
    }
    return p;
}

/* glibc: 8 bytes of chunk header, 16-byte granularity, 32-byte minimum. */
static inline size_t kv_mem_chunk(size_t n)
{
    size_t c = (n + 8 + 15) & ~(size_t)15;
    return c < 32 ? 32 : c;
}

#endif
