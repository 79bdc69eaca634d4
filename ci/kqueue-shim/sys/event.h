/* Compile-only stand-in for BSD's <sys/event.h>, so CI on Linux can check that
 * src/rt/reactor_kqueue.c builds warning-free (it cannot run it: Debian has no
 * kqueue). Declarations follow FreeBSD's kqueue(2) manual page. */
#ifndef KV_KQUEUE_SHIM_H
#define KV_KQUEUE_SHIM_H
#include <stdint.h>
#include <time.h>

struct kevent {
    uintptr_t ident;
    short filter;
    unsigned short flags;
    unsigned int fflags;
    intptr_t data;
    void *udata;
};

#define EVFILT_READ (-1)
#define EVFILT_WRITE (-2)
#define EVFILT_USER (-11)
#define EV_ADD 0x0001
#define EV_DELETE 0x0002
#define EV_CLEAR 0x0020
#define EV_EOF 0x8000
#define EV_ERROR 0x4000
#define NOTE_TRIGGER 0x01000000

#define EV_SET(kevp, a, b, c, d, e, f) \
    do {                               \
        (kevp)->ident = (a);           \
        (kevp)->filter = (b);          \
        (kevp)->flags = (c);           \
        (kevp)->fflags = (d);          \
        (kevp)->data = (e);            \
        (kevp)->udata = (f);           \
    } while (0)

int kqueue(void);
int kevent(int kq, const struct kevent *changelist, int nchanges,
           struct kevent *eventlist, int nevents, const struct timespec *timeout);
#endif
