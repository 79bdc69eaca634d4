/* The reactor: one small readiness interface with one file per backend
 * (reactor_epoll.c, reactor_kqueue.c), chosen at compile time like Redis's ae.
 * Registrations are edge-triggered, so a connection that pauses reading costs
 * no syscall; the reactor also owns the cross-thread wakeup (eventfd or
 * EVFILT_USER) so a parked shard can be woken by another shard. */
#ifndef KV_REACTOR_H
#define KV_REACTOR_H

#define KV_EV_READ 1u
#define KV_EV_WRITE 2u
#define KV_EV_ERROR 4u /* hang-up or error: the owner should read to find out */

typedef struct kv_reactor kv_reactor;

typedef struct kv_event {
    void *udata;
    unsigned events;
} kv_event;

kv_reactor *kv_reactor_new(void);
void kv_reactor_free(kv_reactor *r);
/* Watch fd for `events` (KV_EV_READ | KV_EV_WRITE), edge-triggered. */
int kv_reactor_add(kv_reactor *r, int fd, unsigned events, void *udata);
int kv_reactor_del(kv_reactor *r, int fd);
/* Wait up to timeout_ms (-1 forever, 0 poll). Wakeups are consumed here and
 * not reported as events. Returns the number of events, or -1 on error. */
int kv_reactor_wait(kv_reactor *r, kv_event *evs, int max, int timeout_ms);
/* Interrupt a wait, from any thread. Async-signal-safe. */
void kv_reactor_wake(kv_reactor *r);
/* Backend name for INFO's multiplexing_api. */
const char *kv_reactor_name(void);

#endif
