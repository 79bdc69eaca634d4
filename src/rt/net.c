/* Socket plumbing: listeners (SO_REUSEPORT so every shard accepts on the same
 * port and the kernel spreads connections), accept with the options every
 * client socket gets, and address formatting for CLIENT LIST. */
#define _DEFAULT_SOURCE
#include "rt/internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int kv_net_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -1;
    return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static void kv_net_format(const struct sockaddr_storage *ss, char *out, size_t len)
{
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
        port = ntohs(s4->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
        port = ntohs(s6->sin6_port);
    }
    snprintf(out, len, "%s:%d", host, port);
}

int kv_net_listen(const char *bind_addr, int port, int reuseport, int backlog,
                  char *err, size_t errlen)
{
    struct addrinfo hints, *res = NULL, *ai;
    char portstr[16];
    int fd = -1, one = 1, rc;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
    snprintf(portstr, sizeof portstr, "%d", port);
    rc = getaddrinfo(bind_addr, portstr, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "Could not create server TCP listening socket %s:%d: %s",
                 bind_addr, port, gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0)
            continue;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
#if defined(SO_REUSEPORT_LB)
        if (reuseport)
            setsockopt(fd, SOL_SOCKET, SO_REUSEPORT_LB, &one, sizeof one);
#elif defined(SO_REUSEPORT)
        if (reuseport)
            setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
#endif
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
            listen(fd, backlog) == 0 && kv_net_nonblock(fd) == 0)
            break;
        snprintf(err, errlen, "Could not create server TCP listening socket %s:%d: %s: %s",
                 bind_addr, port, errno == EADDRINUSE ? "bind" : "listen", strerror(errno));
        close(fd);
        fd = -1;
    }
    if (!res)
        snprintf(err, errlen, "Could not resolve %s", bind_addr);
    freeaddrinfo(res);
    return fd;
}

int kv_net_bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return -1;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -1;
}

/* tcp-keepalive: probe an idle peer after `secs`, as Redis's anetKeepAlive. */
static void kv_net_keepalive(int fd, int secs)
{
    int one = 1;
    if (secs <= 0 || setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one) < 0)
        return;
#if defined(TCP_KEEPIDLE) && defined(TCP_KEEPINTVL) && defined(TCP_KEEPCNT)
    {
        int intvl = secs / 3 > 0 ? secs / 3 : 1, cnt = 3;
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &secs, sizeof secs);
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
    }
#endif
}

int kv_net_accept(int lfd, char *peer, size_t peerlen, char *local, size_t locallen,
                  int keepalive_s)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int one = 1;
    int fd = accept(lfd, (struct sockaddr *)&ss, &len);
    if (fd < 0)
        return -1;
    if (kv_net_nonblock(fd) < 0) {
        close(fd);
        return -1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    kv_net_keepalive(fd, keepalive_s);
    kv_net_format(&ss, peer, peerlen);
    len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
        kv_net_format(&ss, local, locallen);
    else
        snprintf(local, locallen, "?:0");
    return fd;
}
