/* Messages between shards, and argv copies. A message is one allocation:
 * the struct, its argv array and the argument bytes; the shard that sent a
 * request receives it back with the reply and frees it, so allocation and
 * release happen on the same thread. */
#include "rt/internal.h"

#include <stdlib.h>
#include <string.h>

size_t kv_argv_bytes(int argc, const kv_str *argv)
{
    size_t bytes = (size_t)argc * sizeof(kv_str), i;
    for (i = 0; i < (size_t)argc; i++)
        bytes += argv[i].n;
    return bytes;
}

kv_str *kv_argv_copy_into(void *mem, int argc, const kv_str *argv)
{
    kv_str *out = mem;
    char *p = (char *)(out + argc);
    int i;
    for (i = 0; i < argc; i++) {
        if (argv[i].n)
            memcpy(p, argv[i].p, argv[i].n);
        out[i].p = p;
        out[i].n = argv[i].n;
        p += argv[i].n;
    }
    return out;
}

kv_msg *kv_msg_new(int argc, const kv_str *argv)
{
    kv_msg *m = malloc(sizeof *m + kv_argv_bytes(argc, argv));
    if (!m)
        abort();
    memset(m, 0, sizeof *m);
    m->argc = argc;
    m->argv = kv_argv_copy_into(m + 1, argc, argv);
    kv_buf_init(&m->reply);
    return m;
}

void kv_msg_free(kv_msg *m)
{
    kv_buf_free(&m->reply);
    free(m);
}
