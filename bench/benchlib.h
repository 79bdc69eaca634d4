/* benchlib: what kevy's load generators (kevy-queuebench, kevy-fanoutbench)
 * share: the clock, the run's error and stop flags, a watchdog, blocking
 * connections with timeouts, a RESP reader, command building, kevy's shard
 * probe (kevy_forwarded_commands), a latency histogram and option parsing.
 * C99 + POSIX + pthreads, no external library. */
#ifndef KEVY_BENCHLIB_H
#define KEVY_BENCHLIB_H

#include <pthread.h>
#include <stddef.h>

#define RBUF_SIZE (64 * 1024)

/* ---------------------------------------------------------------- setup */

/* Name the program (the prefix of every message), ignore SIGPIPE and
 * install the watchdog's handler. Call first. */
void bench_init(const char *prog);
/* End the process (exit status 3) unless watchdog(0) comes first. */
void watchdog(unsigned seconds);

/* ----------------------------------------------------------------- time */

long long now_us(void); /* CLOCK_MONOTONIC, microseconds */
/* A closed loop's producer waiting for room (mu held): -1 at once if *stop
 * is raised, else waits on cv for at most 10 ms (counted in *waiting, so
 * consumers know to signal) and returns 0 to look again. */
int wait_room(pthread_cond_t *cv, pthread_mutex_t *mu, const int *stop, int *waiting);
/* A payload: "<t>:<id>:<seq>:" padded with 'x' to `size` bytes (cap must
 * hold size + 64); its length. */
int make_payload(char *buf, size_t cap, int size, long long t, int id, long long seq);
void sleep_us(long long us);

/* ---------------------------------------------------------- run's flags */

/* Flags shared by threads, under one mutex: the run failed (fail()), and
 * whatever stop flags a program keeps. */
int get_flag(const int *flag);
void set_flag(int *flag);
int is_stopped(const int *flag); /* *flag, or the run failed */
int run_failed(void);
/* Report the first error only ("<prog>: ..." on stderr); the run failed. */
void fail(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* ---------------------------------------------------------- connection */

typedef struct {
    int fd;
    size_t r, w; /* unread bytes are buf[r..w) */
    char buf[RBUF_SIZE];
} conn_t;

/* TCP_NODELAY, and send/receive timeouts of timeout_s. */
int conn_open(conn_t *c, const char *host, const char *port, double timeout_s);
void conn_close(conn_t *c);
int conn_write(conn_t *c, const char *p, size_t n);
/* One recv() into the buffer (compacting it first); blocks until data. */
int conn_fill(conn_t *c);
/* The length of the first whole reply in the buffer, 0 when it is not all
 * there yet (a malformed one counts as whole: the reader reports it). */
size_t reply_ready(const conn_t *c);

/* One "<type><text>\r\n" line: *type and the number after it in *num (for
 * + and - lines, the text is in *text and *len). */
int read_line(conn_t *c, char *type, long long *num, const char **text, size_t *len);
/* The n bytes of a bulk string and its CRLF: copied to dst (up to cap
 * bytes; the rest is skipped) when dst is not NULL. */
int read_bulk_body(conn_t *c, long long n, char *dst, size_t cap);
/* fail() with what an unexpected reply says; returns -1. */
int reply_error(const char *what, char type, const char *text, size_t len);

/* ------------------------------------------------------------ commands */

typedef struct {
    char *p;
    size_t n, cap;
} sbuf;

void sb_add(sbuf *b, const char *s, size_t n);
void sb_arg(sbuf *b, const char *s, size_t n);    /* one bulk string */
void sb_cmd(sbuf *b, int argc, ...);              /* argc NUL-terminated args */
/* Send b and expect a simple or integer reply (its number in *num). */
int call_simple(conn_t *c, sbuf *b, long long *num);
/* A numeric field of INFO <section>; -2: no such field (not kevy). */
long long info_field(conn_t *c, const char *section, const char *field);

/* ------------------------------------------------------------ kevy only */

/* kevy's home shard of a key: (CRC16(key) & 16383) * nshards >> 14, as
 * src/rt/slot.c (the first non-empty {hashtag} if there is one). */
int key_shard(const char *key, size_t n, int nshards);
/* Is key on this connection's shard? 1 yes, 0 no, -1 error, -2 not kevy.
 * INFO, INFO, EXISTS key, INFO on c: kevy_forwarded_commands (summed over
 * the shards) grows by one more when EXISTS went to another shard; the
 * first difference cancels INFO's own fan-out. Needs a quiet server. */
int key_is_local(conn_t *c, const char *key);
/* This connection's shard among nshards (kevy): -1 on error. */
int conn_shard(conn_t *c, int nshards);

/* --place-consumers / --place-producers: where a client connects relative
 * to the key's shard. "any", "local", "remote" -> PLACE_*, or -1. */
enum { PLACE_ANY, PLACE_LOCAL, PLACE_REMOTE };
int parse_place(const char *s);
const char *place_name(int place);
/* Open n connections to host:port that satisfy `place` for key (kevy only
 * unless PLACE_ANY), before the clock starts; *reconnects counts the
 * connections rejected on the way. 0, or -1 (failed). */
int open_placed_all(conn_t *conns, int n, const char *host, const char *port, double timeout_s,
                    const char *key, int place, long *reconnects);

/* ----------------------------------------------------------- histogram */

/* Log-linear buckets in microseconds: exact below 256, then 128 sub-buckets
 * per power of two (under 1% error). */
#define H_EXACT 256
#define H_SUB 128
#define H_LEN (H_EXACT + (63 - 8) * H_SUB)

typedef struct {
    unsigned long long count[H_LEN];
    unsigned long long n;
    long long max, sum;
} hist_t;

void h_add(hist_t *h, long long v);
void h_merge(hist_t *dst, const hist_t *src);
double h_pct(const hist_t *h, double q); /* q in [0, 1] */
double h_mean(const hist_t *h);

/* ------------------------------------------------------------- options */

/* A number (int_arg: an integer) in [lo, hi]; -1 after a message. */
int num_arg(const char *name, const char *s, double lo, double hi, double *v);
int int_arg(const char *name, const char *s, int lo, int hi, int *v);

#endif
