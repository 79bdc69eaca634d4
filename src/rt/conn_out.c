/* A connection's output: what is unsent (its own bytes and spans, the big
 * values it sends from where they are stored), writing it with one send or
 * one gathering sendmsg per call across partial writes, releasing each span
 * once written, and the output limits (client-output-buffer-limit, and the
 * unsent size at which input stops being parsed). */
#define _DEFAULT_SOURCE
#include "rt/internal.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#ifdef MSG_NOSIGNAL
#define KV_SEND_FLAGS MSG_NOSIGNAL
#else
#define KV_SEND_FLAGS 0
#endif

/* Pieces gathered per write while big values are sent from where they are
 * stored (POSIX guarantees at least 16; Linux takes 1024). */
#define KV_IOV_MAX 64

size_t kv_conn_unsent(const kv_conn *c)
{
    return kv_buf_size(&c->out) - c->out_sent - c->out_span_sent;
}

size_t kv_conn_out_mem(const kv_conn *c)
{
    return c->out.cap + kv_buf_size(&c->out) - c->out.len - c->out_span_sent;
}

/* Unsent output at which input stops being parsed. With a normal-client
 * output limit above KV_OUTPUT_PAUSE the client may queue up to that limit,
 * as in Redis, and is then closed by it; otherwise pausing bounds it. */
size_t kv_conn_pause_at(const kv_conn *c)
{
    const kv_limits *l = &c->sh->lim;
    long long lim = l->obuf_hard > l->obuf_soft ? l->obuf_hard : l->obuf_soft;
    return lim > (long long)KV_OUTPUT_PAUSE ? (size_t)lim : KV_OUTPUT_PAUSE;
}

/* client-output-buffer-limit for the client's class (normal or pubsub):
 * over the hard limit, or over the soft one for longer than its seconds,
 * the client is closed (as Redis does, with a log line). Returns -1 if it
 * was. */
int kv_conn_check_output(kv_conn *c)
{
    kv_shard *sh = c->sh;
    long long unsent = (long long)kv_conn_unsent(c), now = sh->now_us / 1000;
    int ps = (c->flags & KV_CONN_PUBSUB) != 0;
    long long hard = ps ? sh->lim.pubsub_hard : sh->lim.obuf_hard;
    long long soft = ps ? sh->lim.pubsub_soft : sh->lim.obuf_soft;
    long long soft_s = ps ? sh->lim.pubsub_soft_seconds : sh->lim.obuf_soft_seconds;
    const char *why = NULL;
    if (hard > 0 && unsent > hard)
        why = "hard";
    if (soft > 0 && unsent > soft) {
        if (!c->obuf_soft_since_ms)
            c->obuf_soft_since_ms = now;
        else if (now - c->obuf_soft_since_ms > soft_s * 1000)
            why = "soft";
    } else {
        c->obuf_soft_since_ms = 0;
    }
    if (!why)
        return 0;
    kv_rt_log(sh->rt, KV_LOG_WARNING,
              "Client id=%llu addr=%s closed for overcoming of output buffer limits (%s).",
              c->id, c->peer, why);
    kv_conn_close(c);
    return -1;
}

/* Write what is unsent: one send of the own bytes, or, while spans remain,
 * one sendmsg gathering bytes and spans in order. */
static ssize_t kv_conn_write(kv_conn *c)
{
    const kv_buf_spans *sp = c->out.spans;
    struct iovec iov[KV_IOV_MAX];
    struct msghdr msg;
    size_t pos = c->out_sent, i = c->out_span, off = c->out_span_off;
    int n = 0;
    if (!sp || i == sp->count)
        return send(c->fd, c->out.p + pos, c->out.len - pos, KV_SEND_FLAGS);
    while (n < KV_IOV_MAX) {
        size_t end = i < sp->count ? sp->s[i].at : c->out.len;
        if (pos < end) {
            iov[n].iov_base = c->out.p + pos;
            iov[n++].iov_len = end - pos;
            pos = end;
        }
        if (i == sp->count || n == KV_IOV_MAX)
            break;
        iov[n].iov_base = (char *)(uintptr_t)(sp->s[i].p + off);
        iov[n++].iov_len = sp->s[i].n - off;
        i++;
        off = 0;
    }
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = iov;
    msg.msg_iovlen = (size_t)n;
    return sendmsg(c->fd, &msg, KV_SEND_FLAGS);
}

/* n more bytes are written: a span written in full is let go at once (the
 * value it holds may be gone from the keyspace already). */
static void kv_conn_advance(kv_conn *c, size_t n)
{
    kv_buf_spans *sp = c->out.spans;
    while (n > 0) {
        size_t end = sp && c->out_span < sp->count ? sp->s[c->out_span].at : c->out.len;
        size_t k;
        kv_buf_span *s;
        if (c->out_sent < end) {
            k = n < end - c->out_sent ? n : end - c->out_sent;
            c->out_sent += k;
            n -= k;
            continue;
        }
        s = &sp->s[c->out_span];
        k = n < s->n - c->out_span_off ? n : s->n - c->out_span_off;
        c->out_span_off += k;
        c->out_span_sent += k;
        n -= k;
        if (c->out_span_off == s->n) {
            s->release(s->arg);
            s->release = NULL;
            c->out_span++;
            c->out_span_off = 0;
        }
    }
}

int kv_conn_flush(kv_conn *c)
{
    kv_shard *sh = c->sh;
    int was_paused = kv_conn_unsent(c) > kv_conn_pause_at(c);
    if (kv_conn_check_output(c) < 0)
        return -1;
    while (kv_conn_unsent(c) > 0) {
        ssize_t n = kv_conn_write(c);
        if (n > 0) {
            kv_conn_advance(c, (size_t)n);
            c->sent_total += (unsigned long long)n;
            sh->stats.total_net_output_bytes += n;
            sh->stats.total_writes_processed++;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break; /* the edge-triggered write event brings us back */
        kv_conn_close(c);
        return -1;
    }
    if ((long long)c->out.len > sh->stats.max_output_buffer)
        sh->stats.max_output_buffer = (long long)c->out.len;
    if (kv_conn_unsent(c) == 0) {
        if (c->out.len > c->out_peak)
            c->out_peak = c->out.len;
        kv_buf_clear(&c->out); /* the space stays for the next reply (see tick) */
        c->out_sent = c->out_span = c->out_span_off = c->out_span_sent = 0;
        if ((c->flags & KV_CONN_CLOSE_AFTER_REPLY) && c->inflight == 0 &&
            c->seq_done == c->seq_next) {
            kv_conn_close(c);
            return -1;
        }
    }
    if (was_paused && kv_conn_unsent(c) <= kv_conn_pause_at(c))
        kv_shard_resume_later(sh, c);
    return 0;
}
