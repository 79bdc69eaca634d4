/* Messages between shards (msg.h), and argv copies. A message is one
 * allocation: the header, its payload, the argument array and its bytes.
 * A request's message comes back to its sender with the reply, which frees
 * it, so allocation and release happen on the same thread. */
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

static kv_msg *kv_msg_alloc(kv_msg_kind kind, int from, size_t extra)
{
    kv_msg *m = malloc(sizeof *m + extra);
    if (!m)
        abort();
    memset(m, 0, sizeof *m);
    m->kind = kind;
    m->from = from;
    return m;
}

kv_msg *kv_msg_exec_new(kv_msg_kind kind, int from, const kv_req *req, const kv_done *done)
{
    kv_msg *m = kv_msg_alloc(kind, from, kv_argv_bytes(req->argc, req->argv));
    kv_msg_exec *x = &m->as.exec;
    x->req = *req;
    x->req.argv = kv_argv_copy_into(m + 1, req->argc, req->argv);
    if (done)
        x->done = *done;
    kv_buf_init(&x->reply);
    return m;
}

kv_msg *kv_msg_push_new(int from, unsigned long long client_id, const char *p, size_t n)
{
    kv_msg *m = kv_msg_alloc(KV_MSG_PUSH, from, n);
    char *bytes = (char *)(m + 1);
    if (n)
        memcpy(bytes, p, n);
    m->as.push.client_id = client_id;
    m->as.push.bytes.p = bytes;
    m->as.push.bytes.n = n;
    return m;
}

kv_msg *kv_msg_lock_new(kv_msg_kind kind, int from, unsigned long long txn, struct kv_txn *t,
                        int whole, int nkeys, const kv_str *keys)
{
    kv_msg *m = kv_msg_alloc(kind, from, kv_argv_bytes(nkeys, keys));
    kv_msg_lock *l = &m->as.lock;
    l->txn = txn;
    l->t = t;
    l->whole = whole;
    l->nkeys = nkeys;
    l->keys = kv_argv_copy_into(m + 1, nkeys, keys);
    return m;
}

void kv_msg_free(kv_msg *m)
{
    if (m->kind == KV_MSG_EXEC || m->kind == KV_MSG_REPLY || m->kind == KV_MSG_CAST)
        kv_buf_free(&m->as.exec.reply);
    free(m);
}
