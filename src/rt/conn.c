/* A client connection on its home shard: its life (the id map, closing,
 * the reaper's free), reading and parsing pipelined input (big arguments
 * read apart), and the periodic checks (idle timeout, output limits).
 * Input processing pauses, without a syscall, while the connection waits
 * on another shard, a lock, CLIENT PAUSE or a suspended command, or has too
 * much unsent output. Writing is conn_out.c's; reply order order.c's. */
#define _DEFAULT_SOURCE
#include "rt/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

static void kv_list_unlink(kv_conn **head, kv_conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        *head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

static void kv_list_push(kv_conn **head, kv_conn *c)
{
    c->prev = NULL;
    c->next = *head;
    if (*head)
        (*head)->prev = c;
    *head = c;
}

/* ------------------------------------------------- id -> connection map */

static size_t kv_id_slot(unsigned long long id, size_t cap)
{
    return (size_t)((id * 0x9e3779b97f4a7c15ULL) >> 32) & (cap - 1);
}

static void kv_byid_put(kv_shard *sh, kv_conn *c)
{
    size_t i;
    if ((sh->byid_used + 1) * 2 > sh->byid_cap) {
        size_t cap = sh->byid_cap ? sh->byid_cap * 2 : 64, k;
        kv_conn **t = calloc(cap, sizeof *t);
        if (!t)
            abort();
        for (k = 0; k < sh->byid_cap; k++) {
            kv_conn *o = sh->byid[k];
            if (o) {
                for (i = kv_id_slot(o->id, cap); t[i]; i = (i + 1) & (cap - 1))
                    ;
                t[i] = o;
            }
        }
        free(sh->byid);
        sh->byid = t;
        sh->byid_cap = cap;
    }
    for (i = kv_id_slot(c->id, sh->byid_cap); sh->byid[i]; i = (i + 1) & (sh->byid_cap - 1))
        ;
    sh->byid[i] = c;
    sh->byid_used++;
}

/* Linear probing deletion by backward shift: no tombstones to clean up. */
static void kv_byid_del(kv_shard *sh, const kv_conn *c)
{
    size_t mask = sh->byid_cap - 1, i, j;
    if (!sh->byid_cap)
        return;
    for (i = kv_id_slot(c->id, sh->byid_cap); sh->byid[i] != c; i = (i + 1) & mask)
        if (!sh->byid[i])
            return;
    sh->byid[i] = NULL;
    sh->byid_used--;
    for (j = (i + 1) & mask; sh->byid[j]; j = (j + 1) & mask) {
        size_t home = kv_id_slot(sh->byid[j]->id, sh->byid_cap);
        /* Move j back into the hole if its home is not in (i, j]. */
        if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
            sh->byid[i] = sh->byid[j];
            sh->byid[j] = NULL;
            i = j;
        }
    }
}

kv_conn *kv_shard_find_conn(kv_shard *sh, unsigned long long id)
{
    size_t i;
    if (!sh->byid_cap)
        return NULL;
    for (i = kv_id_slot(id, sh->byid_cap); sh->byid[i]; i = (i + 1) & (sh->byid_cap - 1))
        if (sh->byid[i]->id == id)
            return sh->byid[i];
    return NULL;
}

/* ------------------------------------------------------------- lifecycle */

static void kv_conn_on_event(kv_shard *sh, kv_io *io, unsigned events);

kv_conn *kv_conn_new(kv_shard *sh, int fd)
{
    kv_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->io.on_event = kv_conn_on_event;
    c->sh = sh;
    c->fd = fd;
    c->id = kv_atomic_fetch_add_relaxed(&sh->rt->next_client_id, 1ULL);
    c->proto = 2;
    c->busy = KV_BUSY_NONE;
    c->created_ms = c->last_ms = sh->now_us / 1000;
    kv_buf_init(&c->in);
    kv_buf_init(&c->out);
    kv_parser_init(&c->parser);
    c->last_cmd = "NULL";
    kv_list_push(&sh->conns, c);
    kv_byid_put(sh, c);
    kv_atomic_fetch_add_relaxed(&sh->rt->nclients, 1);
    sh->stats.connected_clients++;
    sh->stats.total_connections_received++;
    return c;
}

/* The command that had a big argument read apart is done with it. */
static void kv_conn_bigarg_done(kv_conn *c)
{
    kv_parser_divert_done(&c->parser);
    c->bigarg.ops->unref(c->bigarg.h);
    c->bigarg.h = NULL;
}

static void kv_conn_release_buffers(kv_conn *c)
{
    size_t i;
    if (c->bigarg.h)
        kv_conn_bigarg_done(c);
    kv_buf_free(&c->in);
    kv_buf_free(&c->out);
    kv_parser_free(&c->parser);
    for (i = 0; i < c->pend_cap; i++) {
        kv_buf_free(&c->pend[i].buf);
        kv_buf_free(&c->pend[i].after);
    }
    free(c->pend);
    c->pend = NULL;
    c->pend_cap = 0;
    free(c->tracked);
    c->tracked = NULL;
    c->ntracked = c->tracked_cap = 0;
    kv_conn_suspend_free(c);
    c->in_pos = c->out_sent = 0;
    c->out_span = c->out_span_off = c->out_span_sent = 0;
}

void kv_conn_close(kv_conn *c)
{
    kv_shard *sh = c->sh;
    const kv_cmdset *cs = &sh->rt->cfg.cmds;
    if (c->flags & KV_CONN_CLOSED)
        return;
    c->flags |= KV_CONN_CLOSED;
    if (c->fd >= 0) {
        if (sh->reactor)
            kv_reactor_del(sh->reactor, c->fd);
        close(c->fd);
        c->fd = -1;
    }
    if (cs->conn_closed)
        cs->conn_closed(sh, sh->state, c);
    c->data = NULL;
    kv_conn_release_buffers(c);
    kv_cmem_forget(c);
    kv_list_unlink(&sh->conns, c);
    kv_list_push(&sh->closed, c);
    kv_byid_del(sh, c);
    kv_atomic_fetch_add_relaxed(&sh->rt->nclients, -1);
    sh->stats.connected_clients--;
}

void kv_conn_free(kv_conn *c)
{
    if (!(c->flags & KV_CONN_CLOSED))
        kv_conn_close(c);
    kv_conn_release_buffers(c); /* anything written after the close */
    kv_list_unlink(&c->sh->closed, c);
    free(c);
}

/* ---------------------------------------------------------------- input */

static void kv_conn_protocol_error(kv_conn *c, const char *err)
{
    unsigned long long seq = c->seq_next++;
    kv_reply r;
    r.buf = kv_conn_reply_buf(c, seq);
    r.proto = c->proto;
    r.errors = 0;
    kv_reply_error(&r, err);
    c->sh->stats.total_error_replies++;
    kv_rt_log(c->sh->rt, KV_LOG_VERBOSE, "Protocol error (%s) from client: id=%llu addr=%s",
              err, c->id, c->peer);
    c->flags |= KV_CONN_CLOSE_AFTER_REPLY;
    kv_conn_reply_done(c, seq, NULL);
}

/* Execute every complete command buffered. Returns 1 if more input may be
 * taken now, 0 if the connection paused (waiting, closing, output full). */
static int kv_conn_process(kv_conn *c)
{
    kv_shard *sh = c->sh;
    const unsigned paused = KV_CONN_CLOSED | KV_CONN_CLOSE_AFTER_REPLY | KV_CONN_WAITING |
                            KV_CONN_DEFERRED | KV_CONN_LOCKWAIT | KV_CONN_SUSPENDED;
    kv_parse_limits lim;
    lim.max_bulk_len = sh->lim.proto_max_bulk_len;
    lim.auth_required = (c->flags & KV_CONN_AUTH_REQ) != 0;
    while (!(c->flags & paused)) {
        size_t consumed = 0;
        int argc = 0;
        kv_str *argv = NULL;
        kv_parse_status st;
        if (kv_conn_unsent(c) > kv_conn_pause_at(c)) {
            kv_cmem_touch(c);
            return 0;
        }
        if (c->in_pos == c->in.len)
            break;
        /* Clients over maxmemory-clients go before another command runs,
         * this one too if it is the largest (Redis's processCommand). */
        if (kv_cevict_check(sh) && (c->flags & KV_CONN_CLOSED))
            return 0;
        st = kv_parse(&c->parser, c->in.p + c->in_pos, c->in.len - c->in_pos, &lim, &consumed,
                      &argc, &argv);
        if (st == KV_PARSE_AGAIN)
            break;
        if (st == KV_PARSE_ERROR) {
            kv_conn_protocol_error(c, c->parser.err);
            return 0;
        }
        if (argc > 0) {
            int wait;
            /* While its command runs, a connection killed (CLIENT KILL from
             * inside it) is closed after the reply, not under our feet. */
            c->flags |= KV_CONN_EXEC;
            wait = kv_dispatch(c, argc, argv);
            c->flags &= ~KV_CONN_EXEC;
            if (c->flags & KV_CONN_CLOSED)
                return 0; /* its buffers are gone */
            if (wait) {
                /* Must wait (in-flight work, or deferred): the command stays
                 * buffered and is parsed again on resume. */
                kv_parser_rewind(&c->parser);
                break;
            }
        }
        c->in_pos += consumed;
        if (c->bigarg.h)
            kv_conn_bigarg_done(c);
        lim.auth_required = (c->flags & KV_CONN_AUTH_REQ) != 0; /* AUTH may change it */
    }
    /* Compact: drop executed bytes, keeping a partial command at the front
     * (the parser keeps offsets relative to it, so moving it is safe). */
    if (c->in_pos == c->in.len) {
        c->in.len = c->in_pos = 0; /* the space stays for the next command (see tick) */
    } else if (c->in_pos > 0 && (c->in_pos >= 64 * 1024 || c->in_pos * 2 >= c->in.len)) {
        kv_buf_consume(&c->in, c->in_pos);
        c->in_pos = 0;
    }
    kv_cmem_touch(c); /* replies, MULTI queue, subscriptions: client eviction weighs them */
    return !(c->flags & paused) && kv_conn_unsent(c) <= kv_conn_pause_at(c);
}

/* Query buffer bytes, a big argument read apart included. */
static size_t kv_conn_qbuf(const kv_conn *c)
{
    return c->in.len - c->in_pos + c->parser.div.have;
}

/* The command waits for a big argument: read it apart, into memory the
 * command can keep as the value (kv_blob_ops), moving what came already.
 * Like Redis, the whole size is asked for on the client's word (up to
 * proto-max-bulk-len); the pages are only touched as bytes arrive, and the
 * query buffer limit and client eviction count it. */
static void kv_conn_divert(kv_conn *c, const kv_blob_ops *ops, size_t len)
{
    size_t start = c->in_pos + c->parser.pos; /* the payload's first byte */
    size_t have = c->in.len - start;
    char *data;
    c->bigarg.h = ops->alloc(len + 2, &data);
    c->bigarg.ops = ops;
    c->bigarg.p = data;
    c->bigarg.n = len;
    memcpy(data, c->in.p + start, have);
    c->in.len = start;
    kv_parser_divert(&c->parser, data, have);
}

void kv_conn_input(kv_conn *c)
{
    kv_shard *sh = c->sh;
    const kv_blob_ops *blobs = sh->rt->cfg.cmds.blobs;
    size_t budget = KV_READ_TURN_MAX;
    if (c->flags & KV_CONN_FAKE) {
        kv_conn_process(c); /* its input is already buffered */
        return;
    }
    /* A suspended client (blocked) is still read, its input kept for
     * later, so that its going away is seen: as Redis reads a blocked
     * client's socket, within the query buffer limit. */
    while ((kv_conn_process(c) || (c->flags & (KV_CONN_SUSPENDED | KV_CONN_CLOSED)) ==
                                      KV_CONN_SUSPENDED) &&
           (c->flags & KV_CONN_READABLE)) {
        size_t want = KV_READ_CHUNK, big;
        size_t pending = c->in.len - c->in_pos;
        ssize_t n;
        char *dst;
        int apart;
        if (budget == 0) {
            kv_shard_resume_later(sh, c); /* fairness: others get this turn */
            return;
        }
        if (blobs && !c->bigarg.h && !(c->flags & KV_CONN_SUSPENDED) &&
            (big = kv_parser_big_bulk(&c->parser, blobs->min)) != 0)
            kv_conn_divert(c, blobs, big);
        apart = kv_parser_divert_room(&c->parser, &dst, &want);
        /* A big bulk announces its size: read it in large steps, but grow
         * the buffer only as bytes arrive, never on the client's word alone. */
        if (!apart && c->parser.need > pending) {
            size_t rest = c->parser.need - pending;
            size_t step = c->in.cap > want ? c->in.cap : want;
            want = rest < step ? rest : step;
            if (want < KV_READ_CHUNK)
                want = KV_READ_CHUNK;
        }
        if (apart) {
            /* The rest of the big argument into its own memory, and in the
             * same call what follows it (the next command) into the buffer,
             * as if it had been there: one read per value, not two. */
            struct iovec iov[2];
            iov[0].iov_base = dst;
            iov[0].iov_len = want;
            iov[1].iov_base = kv_buf_reserve(&c->in, KV_READ_CHUNK);
            iov[1].iov_len = KV_READ_CHUNK;
            n = readv(c->fd, iov, 2);
            if (n > 0) {
                size_t mine = (size_t)n < want ? (size_t)n : want;
                kv_parser_divert_got(&c->parser, mine);
                c->in.len += (size_t)n - mine;
            }
            want += KV_READ_CHUNK;
        } else {
            dst = kv_buf_reserve(&c->in, want);
            n = read(c->fd, dst, want);
            if (n > 0)
                c->in.len += (size_t)n;
        }
        if (n > 0) {
            /* A short read drained the socket: with edge-triggered events,
             * bytes arriving later raise a new event, so skip the read that
             * would only say EAGAIN (a third of the syscalls at -P 1). */
            if ((size_t)n < want)
                c->flags &= ~KV_CONN_READABLE;
            if (c->in.len > c->in_peak)
                c->in_peak = c->in.len;
            budget = (size_t)n >= budget ? 0 : budget - (size_t)n;
            sh->stats.total_net_input_bytes += n;
            sh->stats.total_reads_processed++;
            c->last_ms = sh->now_us / 1000;
            if ((long long)kv_conn_qbuf(c) > sh->stats.max_input_buffer)
                sh->stats.max_input_buffer = (long long)kv_conn_qbuf(c);
            if ((long long)kv_conn_qbuf(c) > sh->lim.client_query_buffer_limit) {
                kv_rt_log(sh->rt, KV_LOG_WARNING,
                          "Closing client that reached max query buffer length: id=%llu addr=%s (qbuf=%zu)",
                          c->id, c->peer, kv_conn_qbuf(c));
                kv_conn_close(c);
                return;
            }
            kv_cmem_touch(c);
            continue;
        }
        if (n == 0) {
            kv_conn_close(c);
            return;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            c->flags &= ~KV_CONN_READABLE;
            break;
        }
        kv_conn_close(c);
        return;
    }
}

/* In-flight work came back: pick up input where it stopped. */
void kv_conn_resume(kv_conn *c)
{
    if (c->flags & KV_CONN_WAITING) {
        c->flags &= ~KV_CONN_WAITING;
        kv_shard_resume_later(c->sh, c);
    }
}

static void kv_conn_on_event(kv_shard *sh, kv_io *io, unsigned events)
{
    kv_conn *c = (kv_conn *)io; /* io is its first member */
    (void)sh;
    if (c->flags & KV_CONN_CLOSED)
        return;
    if ((events & KV_EV_WRITE) && kv_conn_unsent(c) > 0 && kv_conn_flush(c) < 0)
        return;
    if (events & KV_EV_READ) {
        c->flags |= KV_CONN_READABLE;
        kv_conn_input(c);
    }
}

/* Periodic checks (the shard's tick): idle timeout and the soft output
 * limit, which must fire even if the client never becomes writable. */
/* An empty buffer over 64 KiB goes when it is more than twice the most the
 * connection used since the previous tick, as Redis's clientsCron resizes
 * query and reply buffers: a client streaming big values keeps its space
 * instead of freeing and faulting in megabytes with every command (the
 * allocator handed such buffers back to the kernel each time), and one
 * that stopped gives it back within two ticks. */
static void kv_buf_trim(kv_buf *b, size_t *peak)
{
    if (kv_buf_empty(b) && b->cap > 64 * 1024 && b->cap > 2 * *peak)
        kv_buf_free(b);
    *peak = 0;
}

void kv_conn_tick(kv_conn *c)
{
    kv_shard *sh = c->sh;
    long long now = sh->now_us / 1000;
    if (c->flags & (KV_CONN_CLOSED | KV_CONN_FAKE))
        return;
    kv_buf_trim(&c->in, &c->in_peak);
    kv_buf_trim(&c->out, &c->out_peak);
    if (kv_conn_check_output(c) < 0)
        return;
    kv_cmem_update(c); /* INFO's mem_clients_normal, limit or not (Redis's clientsCron) */
    /* A suspended command (a blocked client) has a timeout of its own. */
    if (sh->lim.idle_timeout_s > 0 && c->inflight == 0 &&
        !(c->flags & (KV_CONN_NO_TIMEOUT | KV_CONN_SUSPENDED)) &&
        now - c->last_ms > sh->lim.idle_timeout_s * 1000) {
        kv_rt_log(sh->rt, KV_LOG_VERBOSE, "Closing idle client id=%llu addr=%s", c->id, c->peer);
        kv_conn_close(c);
    }
}

/* ------------------------------------------------------------ accessors */

unsigned long long kv_conn_id(const kv_conn *c) { return c->id; }
int kv_conn_proto(const kv_conn *c) { return c->proto; }
void kv_conn_set_proto(kv_conn *c, int proto) { c->proto = proto; }
int kv_conn_db(const kv_conn *c) { return c->db; }
void kv_conn_set_db(kv_conn *c, int db) { c->db = db; }
void kv_conn_close_after_reply(kv_conn *c) { c->flags |= KV_CONN_CLOSE_AFTER_REPLY; }
void *kv_conn_data(const kv_conn *c) { return c->data; }
void kv_conn_set_data(kv_conn *c, void *data) { c->data = data; }
const char *kv_conn_peer(const kv_conn *c) { return c->peer; }
const char *kv_conn_local(const kv_conn *c) { return c->local; }

void kv_conn_shutdown_server(kv_conn *c)
{
    if (c == c->sh->internal) { /* the server's own client (a signal) */
        kv_rt_stop(c->sh->rt);
        return;
    }
    c->flags |= KV_CONN_CLOSE_AFTER_REPLY;
    if (!(c->flags & KV_CONN_FAKE))
        kv_rt_stop(c->sh->rt);
}

void kv_conn_kill(kv_conn *c)
{
    if (c->flags & KV_CONN_EXEC)
        c->flags |= KV_CONN_CLOSE_AFTER_REPLY | KV_CONN_KILLED;
    else
        kv_conn_close(c);
}

void kv_conn_set_auth_required(kv_conn *c, int required)
{
    if (required)
        c->flags |= KV_CONN_AUTH_REQ;
    else
        c->flags &= ~KV_CONN_AUTH_REQ;
}

void kv_conn_set_req_flags(kv_conn *c, unsigned flags)
{
    c->req_flags = flags;
}

void kv_conn_set_pubsub(kv_conn *c, int on)
{
    if (on)
        c->flags |= KV_CONN_PUBSUB;
    else
        c->flags &= ~KV_CONN_PUBSUB;
}

void kv_conn_set_no_timeout(kv_conn *c, int exempt)
{
    if (exempt)
        c->flags |= KV_CONN_NO_TIMEOUT;
    else
        c->flags &= ~KV_CONN_NO_TIMEOUT;
}

void kv_conn_set_no_evict(kv_conn *c, int exempt)
{
    if (exempt)
        c->flags |= KV_CONN_NO_EVICT;
    else
        c->flags &= ~KV_CONN_NO_EVICT;
    kv_cmem_update(c); /* into or out of the evictable sum */
}

void kv_conn_set_reply_mode(kv_conn *c, int mode)
{
    c->reply_mode = mode;
}

void kv_conn_get_info(const kv_conn *c, kv_conn_info *out)
{
    memset(out, 0, sizeof *out);
    out->id = c->id;
    out->fd = c->fd;
    out->peer = c->peer;
    out->local = c->local;
    out->created_ms = c->created_ms;
    out->last_ms = c->last_ms;
    out->db = c->db;
    out->proto = c->proto;
    out->qbuf = kv_conn_qbuf(c);
    out->qbuf_free = c->in.cap - c->in.len;
    out->obuf = kv_conn_unsent(c);
    out->obuf_cap = kv_conn_out_mem(c);
    out->pending_replies = (int)(c->seq_next - c->seq_done);
    out->writing = kv_conn_unsent(c) > 0;
    out->last_cmd = c->last_cmd;
}
