/* Helpers for unit tests that drive a real program (the Debian
 * redis-server and redis-check-* binaries): run a shell command, and find
 * a free TCP port on loopback. */
#ifndef KEVY_TEST_PROC_H
#define KEVY_TEST_PROC_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Run cmd with the shell; its output (trailing newlines cut) into out.
 * Returns pclose's status, or -1. */
static inline int sh(const char *cmd, char *out, size_t cap)
{
    FILE *f = popen(cmd, "r");
    size_t n = 0, got;
    if (!f)
        return -1;
    while (n + 1 < cap && (got = fread(out + n, 1, cap - 1 - n, f)) > 0)
        n += got;
    out[n] = '\0';
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
        out[--n] = '\0';
    return pclose(f);
}

/* A port nobody listens on right now (a race with others is possible). */
static inline int free_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;
    if (fd < 0)
        return -1;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* Wait up to 5 s for a redis-server on port to answer PING: 1 if it did. */
static inline int redis_up(int port)
{
    char cmd[96], out[64];
    int tries;
    for (tries = 0; tries < 100; tries++) {
        snprintf(cmd, sizeof cmd, "redis-cli -p %d PING 2>/dev/null", port);
        if (sh(cmd, out, sizeof out) == 0 && strcmp(out, "PONG") == 0)
            return 1;
        {
            struct timespec ts = {0, 50000000};
            nanosleep(&ts, NULL);
        }
    }
    return 0;
}

#endif
