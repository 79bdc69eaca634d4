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

/* Argument `keep` (or none: -1) is not copied: its entry keeps pointing
 * where it did. */
static kv_str *kv_argv_copy_but(void *mem, int argc, const kv_str *argv, int keep)
{
    kv_str *out = mem;
    char *p = (char *)(out + argc);
    int i;
    for (i = 0; i < argc; i++) {
        if (i == keep) {
            out[i] = argv[i];
            continue;
        }
        if (argv[i].n)
            memcpy(p, argv[i].p, argv[i].n);
        out[i].p = p;
        out[i].n = argv[i].n;
        p += argv[i].n;
    }
    return out;
}

kv_str *kv_argv_copy_into(void *mem, int argc, const kv_str *argv)
{
    return kv_argv_copy_but(mem, argc, argv, -1);
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
    const kv_blob *b = req->blob;
    int i, bi = -1;
    kv_msg *m;
    kv_msg_exec *x;
    for (i = 0; b && i < req->argc; i++)
        if (req->argv[i].p == b->p && req->argv[i].n == b->n) {
            bi = i;
            break;
        }
    /* A big value crosses the ring by reference: moved, not copied. */
    m = kv_msg_alloc(kind, from, kv_argv_bytes(req->argc, req->argv) - (bi < 0 ? 0 : b->n));
    x = &m->as.exec;
    x->req = *req;
    x->req.argv = kv_argv_copy_but(m + 1, req->argc, req->argv, bi);
    x->req.blob = NULL;
    if (bi >= 0) {
        b->ops->ref(b->h);
        x->blob = *b;
        x->req.blob = &x->blob;
    }
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
    if (m->kind == KV_MSG_EXEC || m->kind == KV_MSG_REPLY || m->kind == KV_MSG_CAST) {
        kv_buf_free(&m->as.exec.reply);
        if (m->as.exec.blob.h)
            m->as.exec.blob.ops->unref(m->as.exec.blob.h);
    }
    free(m);
}
