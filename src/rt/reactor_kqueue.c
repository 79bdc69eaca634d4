/* BSD/macOS reactor backend: kqueue with EV_CLEAR (edge-triggered) and an
 * EVFILT_USER event as the cross-thread wakeup, which needs no extra file
 * descriptor. On Linux it builds against libkqueue (make REACTOR=kqueue). */
#include "rt/reactor.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/event.h>
#include <sys/time.h>
#include <unistd.h>

#define KV_KQ_BATCH 256
#define KV_KQ_WAKE_IDENT 1

struct kv_reactor {
    int kq;
    struct kevent evs[KV_KQ_BATCH];
};

kv_reactor *kv_reactor_new(void)
{
    struct kevent ch;
    kv_reactor *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->kq = kqueue();
    if (r->kq < 0) {
        free(r);
        return NULL;
    }
    EV_SET(&ch, KV_KQ_WAKE_IDENT, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
    if (kevent(r->kq, &ch, 1, NULL, 0, NULL) < 0) {
        kv_reactor_free(r);
        return NULL;
    }
    return r;
}

void kv_reactor_free(kv_reactor *r)
{
    if (!r)
        return;
    if (r->kq >= 0)
        close(r->kq);
    free(r);
}

int kv_reactor_add(kv_reactor *r, int fd, unsigned events, void *udata)
{
    struct kevent ch[2];
    int n = 0;
    if (events & KV_EV_READ) {
        EV_SET(&ch[n], fd, EVFILT_READ, EV_ADD | EV_CLEAR, 0, 0, udata);
        n++;
    }
    if (events & KV_EV_WRITE) {
        EV_SET(&ch[n], fd, EVFILT_WRITE, EV_ADD | EV_CLEAR, 0, 0, udata);
        n++;
    }
    return kevent(r->kq, ch, n, NULL, 0, NULL) < 0 ? -1 : 0;
}

int kv_reactor_del(kv_reactor *r, int fd)
{
    struct kevent ch[2];
    EV_SET(&ch[0], fd, EVFILT_READ, EV_DELETE, 0, 0, NULL);
    EV_SET(&ch[1], fd, EVFILT_WRITE, EV_DELETE, 0, 0, NULL);
    /* One of the two may not be registered; closing the fd drops both anyway. */
    (void)kevent(r->kq, &ch[0], 1, NULL, 0, NULL);
    (void)kevent(r->kq, &ch[1], 1, NULL, 0, NULL);
    return 0;
}

int kv_reactor_wait(kv_reactor *r, kv_event *evs, int max, int timeout_ms)
{
    struct timespec ts, *tsp = NULL;
    int i, n, out = 0;
    if (max > KV_KQ_BATCH)
        max = KV_KQ_BATCH;
    if (timeout_ms >= 0) {
        ts.tv_sec = timeout_ms / 1000;
        ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
        tsp = &ts;
    }
    n = kevent(r->kq, NULL, 0, r->evs, max, tsp);
    if (n < 0)
        return errno == EINTR ? 0 : -1;
    for (i = 0; i < n; i++) {
        struct kevent *e = &r->evs[i];
        if (e->filter == EVFILT_USER)
            continue;
        /* A fd with both filters firing yields two entries; the owner copes. */
        evs[out].udata = e->udata;
        evs[out].events = e->filter == EVFILT_WRITE ? KV_EV_WRITE : KV_EV_READ;
        if (e->flags & (EV_EOF | EV_ERROR))
            evs[out].events |= KV_EV_ERROR | KV_EV_READ;
        out++;
    }
    return out;
}

void kv_reactor_wake(kv_reactor *r)
{
    struct kevent ch;
    EV_SET(&ch, KV_KQ_WAKE_IDENT, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
    (void)kevent(r->kq, &ch, 1, NULL, 0, NULL);
}

const char *kv_reactor_name(void)
{
    return "kqueue";
}
