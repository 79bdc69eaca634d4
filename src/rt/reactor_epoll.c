/* Linux reactor backend: epoll, edge-triggered, with an eventfd as the
 * cross-thread wakeup. The eventfd is level-registered and drained on every
 * wakeup, so a burst of wakes costs the sleeper one read. */
#define _GNU_SOURCE
#include "rt/reactor.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define KV_EPOLL_BATCH 256

struct kv_reactor {
    int epfd;
    int wakefd;
    struct epoll_event evs[KV_EPOLL_BATCH];
};

kv_reactor *kv_reactor_new(void)
{
    struct epoll_event ev;
    kv_reactor *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->epfd = epoll_create1(EPOLL_CLOEXEC);
    r->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (r->epfd < 0 || r->wakefd < 0)
        goto fail;
    ev.events = EPOLLIN;
    ev.data.ptr = r; /* the reactor itself marks the wakeup */
    if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->wakefd, &ev) < 0)
        goto fail;
    return r;
fail:
    kv_reactor_free(r);
    return NULL;
}

void kv_reactor_free(kv_reactor *r)
{
    if (!r)
        return;
    if (r->epfd >= 0)
        close(r->epfd);
    if (r->wakefd >= 0)
        close(r->wakefd);
    free(r);
}

int kv_reactor_add(kv_reactor *r, int fd, unsigned events, void *udata)
{
    struct epoll_event ev;
    ev.events = EPOLLET | EPOLLRDHUP;
    if (events & KV_EV_READ)
        ev.events |= EPOLLIN;
    if (events & KV_EV_WRITE)
        ev.events |= EPOLLOUT;
    ev.data.ptr = udata;
    return epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev);
}

int kv_reactor_del(kv_reactor *r, int fd)
{
    struct epoll_event ev = {0, {0}};
    return epoll_ctl(r->epfd, EPOLL_CTL_DEL, fd, &ev);
}

int kv_reactor_wait(kv_reactor *r, kv_event *evs, int max, int timeout_ms)
{
    int i, n, out = 0;
    if (max > KV_EPOLL_BATCH)
        max = KV_EPOLL_BATCH;
    n = epoll_wait(r->epfd, r->evs, max, timeout_ms);
    if (n < 0)
        return errno == EINTR ? 0 : -1;
    for (i = 0; i < n; i++) {
        uint32_t e = r->evs[i].events;
        if (r->evs[i].data.ptr == r) {
            uint64_t v;
            ssize_t rc = read(r->wakefd, &v, sizeof v);
            (void)rc; /* EAGAIN: another reader drained it, fine */
            continue;
        }
        evs[out].udata = r->evs[i].data.ptr;
        evs[out].events = 0;
        if (e & (EPOLLIN | EPOLLRDHUP))
            evs[out].events |= KV_EV_READ;
        if (e & EPOLLOUT)
            evs[out].events |= KV_EV_WRITE;
        if (e & (EPOLLERR | EPOLLHUP))
            evs[out].events |= KV_EV_ERROR | KV_EV_READ;
        out++;
    }
    return out;
}

void kv_reactor_wake(kv_reactor *r)
{
    uint64_t one = 1;
    ssize_t rc = write(r->wakefd, &one, sizeof one);
    (void)rc; /* EAGAIN means the counter is saturated: already awake */
}

const char *kv_reactor_name(void)
{
    return "epoll";
}
