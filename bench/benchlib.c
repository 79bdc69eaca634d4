/* benchlib: the pieces kevy-queuebench and kevy-fanoutbench share (see
 * benchlib.h). Every error goes through fail(): the first one is printed,
 * the run is marked failed, and the caller unwinds. */
#include "benchlib.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static const char *prog = "bench";
static char alarm_msg[128];
static size_t alarm_len;

/* ---------------------------------------------------------------- setup */

static void on_alarm(int sig)
{
    ssize_t w;
    (void)sig;
    w = write(2, alarm_msg, alarm_len);
    (void)w;
    _exit(3);
}

void bench_init(const char *name)
{
    struct sigaction sa;
    int k;
    prog = name;
    k = snprintf(alarm_msg, sizeof alarm_msg, "%s: watchdog: the run overstayed, giving up\n",
                 name);
    alarm_len = k < 0 ? 0 : (size_t)k < sizeof alarm_msg ? (size_t)k : sizeof alarm_msg - 1;
    signal(SIGPIPE, SIG_IGN);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
}

void watchdog(unsigned seconds)
{
    alarm(seconds);
}

/* ----------------------------------------------------------------- time */

int wait_room(pthread_cond_t *cv, pthread_mutex_t *mu, const int *stop, int *waiting)
{
    struct timespec ts;
    if (is_stopped(stop))
        return -1;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 10 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    (*waiting)++;
    pthread_cond_timedwait(cv, mu, &ts);
    (*waiting)--;
    return 0;
}

int make_payload(char *buf, size_t cap, int size, long long t, int id, long long seq)
{
    int k = snprintf(buf, cap, "%lld:%d:%lld:", t, id, seq);
    if (k < size) {
        memset(buf + k, 'x', (size_t)(size - k));
        k = size;
    }
    return k;
}

long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

void sleep_us(long long us)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(us / 1000000);
    ts.tv_nsec = (long)(us % 1000000) * 1000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* -------------------------------------------------------------- errors */

static pthread_mutex_t state_mu = PTHREAD_MUTEX_INITIALIZER;
static int failed; /* under state_mu, as every flag given to get/set_flag */

int get_flag(const int *flag)
{
    int v;
    pthread_mutex_lock(&state_mu);
    v = *flag;
    pthread_mutex_unlock(&state_mu);
    return v;
}

void set_flag(int *flag)
{
    pthread_mutex_lock(&state_mu);
    *flag = 1;
    pthread_mutex_unlock(&state_mu);
}

int is_stopped(const int *flag)
{
    int v;
    pthread_mutex_lock(&state_mu);
    v = *flag || failed;
    pthread_mutex_unlock(&state_mu);
    return v;
}

int run_failed(void)
{
    return get_flag(&failed);
}

void fail(const char *fmt, ...)
{
    va_list ap;
    pthread_mutex_lock(&state_mu);
    if (!failed) {
        fprintf(stderr, "%s: ", prog);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
    }
    failed = 1;
    pthread_mutex_unlock(&state_mu);
}

/* ---------------------------------------------------------- connection */

int conn_open(conn_t *c, const char *host, const char *port, double timeout_s)
{
    struct addrinfo hints, *res = NULL, *ai;
    struct timeval tv;
    int one = 1, rc;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
        fail("%s:%s: %s", host, port, gai_strerror(rc));
        return -1;
    }
    c->fd = -1;
    c->r = c->w = 0;
    for (ai = res; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0)
            continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            c->fd = fd;
            break;
        }
        close(fd);
    }
    freeaddrinfo(res);
    if (c->fd < 0) {
        fail("connect %s:%s: %s", host, port, strerror(errno));
        return -1;
    }
    tv.tv_sec = (time_t)timeout_s;
    tv.tv_usec = (suseconds_t)((timeout_s - (double)tv.tv_sec) * 1e6);
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return 0;
}

void conn_close(conn_t *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

int conn_write(conn_t *c, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(c->fd, p, n, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            fail("send: %s", errno == EAGAIN || errno == EWOULDBLOCK ? "timed out"
                                                                   : strerror(errno));
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

int conn_fill(conn_t *c)
{
    ssize_t k;
    if (c->r > 0) {
        memmove(c->buf, c->buf + c->r, c->w - c->r);
        c->w -= c->r;
        c->r = 0;
    }
    if (c->w == sizeof c->buf) {
        fail("reply line longer than %d bytes", RBUF_SIZE);
        return -1;
    }
    for (;;) {
        k = recv(c->fd, c->buf + c->w, sizeof c->buf - c->w, 0);
        if (k > 0) {
            c->w += (size_t)k;
            return 0;
        }
        if (k < 0 && errno == EINTR)
            continue;
        if (k == 0)
            fail("server closed the connection");
        else
            fail("recv: %s", errno == EAGAIN || errno == EWOULDBLOCK ? "timed out (no reply)"
                                                                   : strerror(errno));
        return -1;
    }
}

size_t reply_ready(const conn_t *c)
{
    const char *start = c->buf + c->r, *p = start, *end = c->buf + c->w;
    long long need = 1; /* values still to read */
    while (need > 0) {
        const char *nl;
        long long n;
        char *num_end;
        if (p >= end || !(nl = memchr(p, '\n', (size_t)(end - p))))
            return 0;
        if (nl == p || nl[-1] != '\r')
            return (size_t)(nl + 1 - start); /* malformed: let the reader say so */
        need--;
        switch (*p) {
        case '$': case '=': case '!': /* bulk, verbatim, bulk error */
            n = strtoll(p + 1, &num_end, 10);
            if (num_end != nl - 1)
                return (size_t)(nl + 1 - start);
            p = nl + 1;
            if (n >= 0) {
                if (end - p < n + 2)
                    return 0;
                p += n + 2;
            }
            break;
        case '*': case '>': case '~': case '%': case '|': /* aggregates */
            n = strtoll(p + 1, &num_end, 10);
            if (num_end != nl - 1)
                return (size_t)(nl + 1 - start);
            if (n > 0)
                need += *p == '%' || *p == '|' ? 2 * n : n;
            if (*p == '|')
                need++; /* an attribute precedes the value it describes */
            p = nl + 1;
            break;
        default: /* + - : , # ( _ one line */
            p = nl + 1;
            break;
        }
    }
    return (size_t)(p - start);
}

int read_line(conn_t *c, char *type, long long *num, const char **text, size_t *len)
{
    char *nl, *end;
    for (;;) {
        char *start = c->buf + c->r;
        nl = c->w - c->r >= 2 ? memchr(start, '\n', c->w - c->r) : NULL;
        if (nl && nl > start && nl[-1] == '\r')
            break;
        if (nl) {
            fail("malformed reply line");
            return -1;
        }
        if (conn_fill(c) < 0)
            return -1;
    }
    *type = c->buf[c->r];
    if (text) {
        *text = c->buf + c->r + 1;
        *len = (size_t)(nl - 1 - (c->buf + c->r + 1));
    }
    *num = 0;
    if (*type == '$' || *type == '*' || *type == ':' || *type == '>') {
        errno = 0;
        *num = strtoll(c->buf + c->r + 1, &end, 10);
        if (errno || end != nl - 1) {
            fail("malformed number in a '%c' reply", *type);
            return -1;
        }
    }
    c->r = (size_t)(nl + 1 - c->buf);
    return 0;
}

int read_bulk_body(conn_t *c, long long n, char *dst, size_t cap)
{
    size_t need = (size_t)n + 2, got = 0;
    while (got < need) {
        size_t avail = c->w - c->r, take;
        if (avail == 0) {
            if (conn_fill(c) < 0)
                return -1;
            continue;
        }
        take = avail < need - got ? avail : need - got;
        if (dst && got < cap) {
            size_t copy = take < cap - got ? take : cap - got;
            memcpy(dst + got, c->buf + c->r, copy);
        }
        c->r += take;
        got += take;
    }
    return 0;
}

int reply_error(const char *what, char type, const char *text, size_t len)
{
    if (type == '-')
        fail("%s: server replied -%.*s", what, (int)len, text);
    else
        fail("%s: unexpected reply type '%c'", what, type);
    return -1;
}

/* ------------------------------------------------------------ commands */

static void sb_need(sbuf *b, size_t more)
{
    if (b->n + more <= b->cap)
        return;
    while (b->n + more > b->cap)
        b->cap = b->cap ? b->cap * 2 : 4096;
    if (!(b->p = realloc(b->p, b->cap))) {
        fprintf(stderr, "%s: out of memory\n", prog);
        exit(1);
    }
}

void sb_add(sbuf *b, const char *s, size_t n)
{
    sb_need(b, n);
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

void sb_arg(sbuf *b, const char *s, size_t n)
{
    char hdr[32];
    int k = snprintf(hdr, sizeof hdr, "$%zu\r\n", n);
    sb_add(b, hdr, (size_t)k);
    sb_add(b, s, n);
    sb_add(b, "\r\n", 2);
}

void sb_cmd(sbuf *b, int argc, ...)
{
    va_list ap;
    char hdr[32];
    int i, k = snprintf(hdr, sizeof hdr, "*%d\r\n", argc);
    sb_add(b, hdr, (size_t)k);
    va_start(ap, argc);
    for (i = 0; i < argc; i++) {
        const char *s = va_arg(ap, const char *);
        sb_arg(b, s, strlen(s));
    }
    va_end(ap);
}

int call_simple(conn_t *c, sbuf *b, long long *num)
{
    char t;
    long long n;
    const char *text;
    size_t len;
    if (conn_write(c, b->p, b->n) < 0 || read_line(c, &t, &n, &text, &len) < 0)
        return -1;
    if (t != '+' && t != ':')
        return reply_error("command", t, text, len);
    if (num)
        *num = n;
    return 0;
}

long long info_field(conn_t *c, const char *section, const char *field)
{
    sbuf b = {NULL, 0, 0};
    char t, *info, *at;
    long long n, v = -2;
    const char *text;
    size_t len, flen = strlen(field);
    sb_cmd(&b, 2, "INFO", section);
    if (conn_write(c, b.p, b.n) < 0 || read_line(c, &t, &n, &text, &len) < 0) {
        free(b.p);
        return -1;
    }
    free(b.p);
    if (t != '$' && t != '=')
        return reply_error("INFO", t, text, len);
    if (t == '=')
        n = strtoll(text, NULL, 10);
    if (n < 0 || !(info = malloc((size_t)n + 3)))
        return -1;
    if (read_bulk_body(c, n, info, (size_t)n + 2) < 0) {
        free(info);
        return -1;
    }
    info[n] = '\0';
    /* "field:" at the start of a line */
    for (at = info; (at = strstr(at, field)) != NULL; at += flen)
        if ((at == info || at[-1] == '\n') && at[flen] == ':') {
            v = strtoll(at + flen + 1, NULL, 10);
            break;
        }
    free(info);
    return v;
}

/* ------------------------------------------------------------ kevy only */

/* Redis Cluster's CRC16 (XMODEM: polynomial 0x1021, initial value 0). */
static unsigned crc16(const char *p, size_t n)
{
    unsigned crc = 0;
    size_t i;
    int k;
    for (i = 0; i < n; i++) {
        crc ^= (unsigned)(unsigned char)p[i] << 8;
        for (k = 0; k < 8; k++)
            crc = (crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1) & 0xFFFF;
    }
    return crc;
}

int key_shard(const char *key, size_t n, int nshards)
{
    const char *lo = memchr(key, '{', n), *hi;
    unsigned slot;
    if (lo && (hi = memchr(lo + 1, '}', n - (size_t)(lo + 1 - key))) != NULL && hi > lo + 1) {
        key = lo + 1;
        n = (size_t)(hi - lo - 1);
    }
    slot = crc16(key, n) & 16383;
    return (int)(((long)slot * nshards) >> 14);
}

int key_is_local(conn_t *c, const char *key)
{
    sbuf b = {NULL, 0, 0};
    int tries;
    sb_cmd(&b, 2, "EXISTS", key);
    for (tries = 0; tries < 5; tries++) {
        long long f0 = -1, f1, f2, d;
        if ((f0 = info_field(c, "stats", "kevy_forwarded_commands")) < 0 ||
            (f1 = info_field(c, "stats", "kevy_forwarded_commands")) < 0 ||
            call_simple(c, &b, NULL) < 0 ||
            (f2 = info_field(c, "stats", "kevy_forwarded_commands")) < 0) {
            free(b.p);
            return f0 == -2 ? -2 : -1;
        }
        d = (f2 - f1) - (f1 - f0);
        if (d == 0 || d == 1) {
            free(b.p);
            return d == 0;
        }
    }
    free(b.p);
    fail("cannot tell the shard of a connection (kevy_forwarded_commands moves by itself)");
    return -1;
}

int conn_shard(conn_t *c, int nshards)
{
    int s;
    for (s = 0; s < nshards - 1; s++) {
        char key[48];
        int i, local, k = 0;
        for (i = 0; i < 100000; i++) { /* a key homed on shard s */
            k = snprintf(key, sizeof key, "benchlib:probe:%d", i);
            if (key_shard(key, (size_t)k, nshards) == s)
                break;
        }
        if ((local = key_is_local(c, key)) < 0) {
            if (local == -2)
                fail("no kevy_forwarded_commands in INFO: not kevy");
            return -1;
        }
        if (local)
            return s;
    }
    return nshards - 1;
}

/* ----------------------------------------------------------- histogram */

static int h_index(long long v)
{
    int e = 0;
    unsigned long long u;
    if (v < 0)
        v = 0;
    if (v < H_EXACT)
        return (int)v;
    for (u = (unsigned long long)v; u > 1; u >>= 1)
        e++;
    return H_EXACT + (e - 8) * H_SUB + (int)(((unsigned long long)v >> (e - 7)) & (H_SUB - 1));
}

/* The middle of bucket i. */
static double h_value(int i)
{
    int e, m;
    double lo, width;
    if (i < H_EXACT)
        return i;
    e = (i - H_EXACT) / H_SUB + 8;
    m = (i - H_EXACT) % H_SUB;
    width = (double)(1ULL << (e - 7));
    lo = (double)(1ULL << e) + m * width;
    return lo + (width - 1) / 2;
}

void h_add(hist_t *h, long long v)
{
    h->count[h_index(v)]++;
    h->n++;
    h->sum += v;
    if (v > h->max)
        h->max = v;
}

void h_merge(hist_t *dst, const hist_t *src)
{
    int i;
    for (i = 0; i < H_LEN; i++)
        dst->count[i] += src->count[i];
    dst->n += src->n;
    dst->sum += src->sum;
    if (src->max > dst->max)
        dst->max = src->max;
}

double h_pct(const hist_t *h, double q)
{
    unsigned long long want, seen = 0;
    int i;
    if (!h->n)
        return 0;
    want = (unsigned long long)(q * (double)h->n + 0.999999);
    if (want < 1)
        want = 1;
    for (i = 0; i < H_LEN; i++) {
        seen += h->count[i];
        if (seen >= want)
            return h_value(i) > (double)h->max ? (double)h->max : h_value(i);
    }
    return (double)h->max;
}

double h_mean(const hist_t *h)
{
    return h->n ? (double)h->sum / (double)h->n : 0.0;
}

/* ------------------------------------------------------------- options */

int num_arg(const char *name, const char *s, double lo, double hi, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    if (errno || end == s || *end || *v < lo || *v > hi) {
        fprintf(stderr, "%s: %s %s: expected a number in [%g, %g]\n", prog, name, s, lo, hi);
        return -1;
    }
    return 0;
}

int int_arg(const char *name, const char *s, int lo, int hi, int *v)
{
    double d;
    if (num_arg(name, s, lo, hi, &d) < 0)
        return -1;
    if (d != (double)(int)d) {
        fprintf(stderr, "%s: %s %s: expected an integer\n", prog, name, s);
        return -1;
    }
    *v = (int)d;
    return 0;
}
