/* Incremental request parser: one command per call, multibulk or inline,
 * with Redis 7.0's exact error texts and limits. Progress inside a command is
 * kept as offsets from its first byte, so the caller may move or grow its
 * buffer between calls and a large multibulk is scanned only once. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resp/resp_int.h"

enum {
    KV_ST_START = 0,  /* nothing of the command examined yet */
    KV_ST_MBULK = 1,  /* count line done, reading "$len" headers and payloads */
    KV_ST_INLINE = 2, /* inline line, p->pos bytes searched for '\n' */
    KV_ST_STUCK = 3   /* inline line with a NUL before any '\n' (see below) */
};

/* Argument storage above this many slots is released between commands so
 * one huge MSET does not pin memory for the rest of the connection. */
#define KV_ARGV_KEEP 1024
#define KV_INLINE_KEEP 16384
#define KV_UNAUTH_MAX_ARGS 10
#define KV_UNAUTH_MAX_BULK 16384

static const kv_parse_limits kv_default_limits = {KV_PROTO_MAX_BULK_DEFAULT, 0};

static void kv_parser_oom(void)
{
    fprintf(stderr, "kevy: out of memory growing a request argv\n");
    abort();
}

void kv_parser_init(kv_parser *p)
{
    memset(p, 0, sizeof *p);
    p->bulk = -1;
    kv_buf_init(&p->inl);
}

void kv_parser_free(kv_parser *p)
{
    free(p->offs);
    free(p->argv);
    kv_buf_free(&p->inl);
    kv_parser_init(p);
}

/* Argument offset of a diverted payload: its pointer is set directly. */
#define KV_OFF_DIVERTED ((size_t)-1)

static void kv_parser_restart(kv_parser *p)
{
    p->state = KV_ST_START;
    p->multibulk = 0;
    p->bulk = -1;
    p->pos = 0;
    p->argc = 0;
    p->need = 0;
}

void kv_parser_reset(kv_parser *p)
{
    kv_parser_restart(p);
    kv_parser_divert_done(p);
}

void kv_parser_rewind(kv_parser *p)
{
    kv_parser_restart(p);
    if (p->div.state == KV_DIV_FULL)
        p->div.state = KV_DIV_AGAIN;
}

size_t kv_parser_big_bulk(const kv_parser *p, size_t min)
{
    if (p->state != KV_ST_MBULK || p->bulk < 0 || p->div.state != KV_DIV_NONE ||
        (unsigned long long)p->bulk < min || p->need == 0)
        return 0;
    return (size_t)p->bulk;
}

void kv_parser_divert(kv_parser *p, char *data, size_t have)
{
    p->div.data = data;
    p->div.len = (size_t)p->bulk;
    p->div.have = have;
    p->div.pos = p->pos;
    p->div.state = have == p->div.len + 2 ? KV_DIV_FULL : KV_DIV_FILLING;
    p->need = 0;
}

int kv_parser_divert_room(const kv_parser *p, char **dst, size_t *want)
{
    if (p->div.state != KV_DIV_FILLING)
        return 0;
    *dst = p->div.data + p->div.have;
    *want = p->div.len + 2 - p->div.have;
    return 1;
}

void kv_parser_divert_got(kv_parser *p, size_t n)
{
    p->div.have += n;
    if (p->div.have == p->div.len + 2)
        p->div.state = KV_DIV_FULL;
}

void kv_parser_divert_done(kv_parser *p)
{
    p->div.data = NULL;
    p->div.len = p->div.have = p->div.pos = 0;
    p->div.state = KV_DIV_NONE;
}

void kv_resp_argv_grow(kv_parser *p, long long total)
{
    long long cap;
    size_t *offs;
    kv_str *argv;

    if (p->argc < p->argcap)
        return;
    cap = p->argcap ? 2LL * p->argcap : 16;
    if (total > 0 && cap > total)
        cap = total;
    if (cap <= p->argc)
        cap = (long long)p->argc + 1;
    if (cap > INT_MAX)
        kv_parser_oom();
    offs = realloc(p->offs, (size_t)cap * sizeof *offs);
    if (offs == NULL)
        kv_parser_oom();
    p->offs = offs;
    argv = realloc(p->argv, (size_t)cap * sizeof *argv);
    if (argv == NULL)
        kv_parser_oom();
    p->argv = argv;
    p->argcap = (int)cap;
}

static void kv_argv_trim(kv_parser *p)
{
    if (p->argcap > KV_ARGV_KEEP) {
        free(p->offs);
        free(p->argv);
        p->offs = NULL;
        p->argv = NULL;
        p->argcap = 0;
    }
}

static kv_parse_status kv_fail(kv_parser *p, const char *msg)
{
    kv_parser_reset(p);
    p->err = msg;
    return KV_PARSE_ERROR;
}

/* Redis finds header lines with strchr on a NUL-terminated buffer, so a NUL
 * before the '\r' hides the line: it is "not found" rather than invalid. */
static int kv_has_nul(const char *buf, size_t from, size_t to)
{
    return memchr(buf + from, '\0', to - from) != NULL;
}

/* The outcome of a header line that is not (yet) usable: an error once more
 * than KV_PROTO_INLINE_MAX bytes wait behind its start, else more input. */
static kv_parse_status kv_no_line(kv_parser *p, size_t avail, const char *toobig)
{
    if (avail > KV_PROTO_INLINE_MAX)
        return kv_fail(p, toobig);
    return KV_PARSE_AGAIN;
}

/* Locate the header line starting at buf[start]. Returns 1 with *cr at its
 * '\r' when the line and the byte after the '\r' are buffered (like Redis,
 * that byte is skipped unchecked), 0 when the '\r' is the last byte buffered,
 * and -1 when there is no usable '\r': none at all, or a NUL before it. */
static int kv_find_line(const char *buf, size_t len, size_t start, size_t *cr)
{
    const char *q = memchr(buf + start, '\r', len - start);
    if (q == NULL)
        return -1;
    *cr = (size_t)(q - buf);
    if (*cr + 2 <= len)
        return 1;
    return kv_has_nul(buf, start, *cr) ? -1 : 0;
}

static void kv_publish(kv_parser *p, const char *base, size_t cmdlen,
                       size_t *consumed, int *argc, kv_str **argv)
{
    int i;
    for (i = 0; i < p->argc; i++)
        if (p->offs[i] != KV_OFF_DIVERTED)
            p->argv[i].p = base + p->offs[i];
    *consumed = cmdlen;
    *argc = p->argc;
    *argv = p->argv;
    kv_parser_restart(p); /* a diverted payload stays until the caller is done with it */
}

/* The common header: 1 to 18 canonical digits right after buf[i - 1], then
 * '\r' and one more byte. Declines (0) anything else, which the general path
 * then handles with every Redis rule; 18 digits cannot overflow. */
static int kv_fast_num(const char *buf, size_t len, size_t i, size_t *cr,
                       long long *ll)
{
    size_t start = i;
    unsigned long long v = 0;

    while (i < len && i - start < 18) {
        unsigned d = (unsigned)((unsigned char)buf[i] - '0');
        if (d > 9)
            break;
        v = v * 10 + d;
        i++;
    }
    if (i == start || i + 1 >= len || buf[i] != '\r')
        return 0;
    if (buf[start] == '0' && i - start > 1)
        return 0;
    *cr = i;
    *ll = (long long)v;
    return 1;
}

static kv_parse_status kv_parse_count(kv_parser *p, const char *buf, size_t len,
                                      const kv_parse_limits *lim,
                                      size_t *consumed)
{
    static const char toobig[] = "ERR Protocol error: too big mbulk count string";
    size_t cr = 0;
    long long ll;
    int found;

    if (!kv_fast_num(buf, len, 1, &cr, &ll)) {
        found = kv_find_line(buf, len, 0, &cr);
        if (found <= 0)
            return found < 0 ? kv_no_line(p, len, toobig) : KV_PARSE_AGAIN;
        if (!kv_str2ll(buf + 1, cr - 1, &ll)) {
            if (kv_has_nul(buf, 0, cr))
                return kv_no_line(p, len, toobig);
            return kv_fail(p, "ERR Protocol error: invalid multibulk length");
        }
    }
    if (ll > INT_MAX)
        return kv_fail(p, "ERR Protocol error: invalid multibulk length");
    if (lim->auth_required && ll > KV_UNAUTH_MAX_ARGS)
        return kv_fail(p, "ERR Protocol error: unauthenticated multibulk length");
    if (ll <= 0) {
        /* "*0" and "*-1" are empty commands the caller skips. */
        *consumed = cr + 2;
        return KV_PARSE_OK;
    }
    kv_argv_trim(p);
    p->state = KV_ST_MBULK;
    p->multibulk = ll;
    p->bulk = -1;
    p->argc = 0;
    p->pos = cr + 2;
    /* Sized from the count only up to a small bound: the count is untrusted
     * and storage grows as arguments actually arrive. */
    kv_resp_argv_grow(p, ll < 16 ? ll : 16);
    return KV_PARSE_AGAIN;
}

/* The "$<len>" header at buf[pos] under every Redis rule: 1 with *cr and *ll
 * set, or 0 with *st holding AGAIN or ERROR. */
static int kv_bulk_header(kv_parser *p, const char *buf, size_t len, size_t pos,
                          const kv_parse_limits *lim, size_t *cr, long long *ll,
                          kv_parse_status *st)
{
    static const char toobig[] = "ERR Protocol error: too big bulk count string";
    int found = kv_find_line(buf, len, pos, cr);

    if (found <= 0) {
        *st = found < 0 ? kv_no_line(p, len - pos, toobig) : KV_PARSE_AGAIN;
        return 0;
    }
    if (buf[pos] != '$') {
        if (kv_has_nul(buf, pos, *cr)) {
            *st = kv_no_line(p, len - pos, toobig);
            return 0;
        }
        kv_parser_reset(p);
        snprintf(p->errbuf, sizeof p->errbuf,
                 "ERR Protocol error: expected '$', got '%c'",
                 buf[pos] == '\n' || buf[pos] == '\r' ? ' ' : buf[pos]);
        p->err = p->errbuf;
        *st = KV_PARSE_ERROR;
        return 0;
    }
    if (!kv_str2ll(buf + pos + 1, *cr - pos - 1, ll) || *ll < 0 ||
        *ll > lim->max_bulk_len ||
        (unsigned long long)*ll > (size_t)-1 - 2 - (*cr + 2)) {
        if (kv_has_nul(buf, pos, *cr))
            *st = kv_no_line(p, len - pos, toobig);
        else
            *st = kv_fail(p, "ERR Protocol error: invalid bulk length");
        return 0;
    }
    if (lim->auth_required && *ll > KV_UNAUTH_MAX_BULK) {
        *st = kv_fail(p, "ERR Protocol error: unauthenticated bulk length");
        return 0;
    }
    return 1;
}

static kv_parse_status kv_parse_bulks(kv_parser *p, const char *buf, size_t len,
                                      const kv_parse_limits *lim,
                                      size_t *consumed, int *argc, kv_str **argv)
{
    size_t pos = p->pos, cr = 0;
    long long ll = 0;
    long long fast_max = lim->auth_required && lim->max_bulk_len > KV_UNAUTH_MAX_BULK
                             ? KV_UNAUTH_MAX_BULK
                             : lim->max_bulk_len;
    kv_parse_status st = KV_PARSE_AGAIN;

    /* Keeps pos + length + 2 in size_t range on 32-bit platforms too. */
    if ((unsigned long long)fast_max > (size_t)-1 / 4)
        fast_max = (long long)((size_t)-1 / 4);
    while (p->multibulk > 0) {
        if (p->bulk < 0) {
            if (!(pos < len && buf[pos] == '$' &&
                  kv_fast_num(buf, len, pos + 1, &cr, &ll) && ll <= fast_max) &&
                !kv_bulk_header(p, buf, len, pos, lim, &cr, &ll, &st)) {
                if (st == KV_PARSE_AGAIN)
                    p->pos = pos;
                return st;
            }
            pos = cr + 2;
            p->bulk = ll;
        }
        if (p->div.state != KV_DIV_NONE && pos == p->div.pos && (size_t)p->bulk == p->div.len) {
            /* This payload was diverted: it is elsewhere, not in buf. */
            if (p->div.state == KV_DIV_FILLING) {
                p->pos = pos;
                return KV_PARSE_AGAIN;
            }
            p->div.state = KV_DIV_FULL;
            if (p->argc == p->argcap)
                kv_resp_argv_grow(p, (long long)p->argc + p->multibulk);
            p->offs[p->argc] = KV_OFF_DIVERTED;
            p->argv[p->argc].p = p->div.data;
            p->argv[p->argc].n = p->div.len;
            p->argc++;
            p->bulk = -1;
            p->multibulk--;
            continue;
        }
        /* The payload and the two bytes after it, which are skipped unread. */
        if (len - pos < (size_t)p->bulk + 2) {
            p->pos = pos;
            p->need = pos + (size_t)p->bulk + 2;
            return KV_PARSE_AGAIN;
        }
        if (p->argc == p->argcap)
            kv_resp_argv_grow(p, (long long)p->argc + p->multibulk);
        p->offs[p->argc] = pos;
        p->argv[p->argc].n = (size_t)p->bulk;
        p->argc++;
        pos += (size_t)p->bulk + 2;
        p->bulk = -1;
        p->multibulk--;
    }
    kv_publish(p, buf, pos, consumed, argc, argv);
    return KV_PARSE_OK;
}

static kv_parse_status kv_parse_inline(kv_parser *p, const char *buf, size_t len,
                                       size_t *consumed, int *argc, kv_str **argv)
{
    const char *nl = NULL;
    size_t end, cmdlen;

    if (p->state == KV_ST_INLINE && p->pos < len) {
        nl = memchr(buf + p->pos, '\n', len - p->pos);
        end = nl ? (size_t)(nl - buf) : len;
        /* Redis searches with strchr: a NUL first means no line, forever. */
        if (kv_has_nul(buf, p->pos, end)) {
            p->state = KV_ST_STUCK;
            nl = NULL;
        }
    }
    if (nl == NULL) {
        p->pos = len;
        if (len > KV_PROTO_INLINE_MAX)
            return kv_fail(p, "ERR Protocol error: too big inline request");
        return KV_PARSE_AGAIN;
    }
    end = (size_t)(nl - buf);
    cmdlen = end + 1;
    if (end > 0 && buf[end - 1] == '\r')
        end--;
    kv_argv_trim(p);
    p->argc = 0;
    p->inl.len = 0;
    kv_buf_shrink(&p->inl, KV_INLINE_KEEP);
    if (kv_resp_split_inline(p, buf, end) != 0)
        return kv_fail(p, "ERR Protocol error: unbalanced quotes in request");
    kv_publish(p, p->inl.p, cmdlen, consumed, argc, argv);
    return KV_PARSE_OK;
}

kv_parse_status kv_parse(kv_parser *p, const char *buf, size_t len,
                         const kv_parse_limits *lim, size_t *consumed,
                         int *argc, kv_str **argv)
{
    kv_parse_status st;

    *consumed = 0;
    *argc = 0;
    *argv = p->argv;
    p->need = 0;
    p->err = NULL;
    if (lim == NULL)
        lim = &kv_default_limits;
    /* Fewer bytes than already examined breaks the calling contract; wait
     * rather than index past the buffer. */
    if (p->pos > len && p->state != KV_ST_START)
        return KV_PARSE_AGAIN;
    if (p->state == KV_ST_START) {
        /* The payload of a command done with (not rewound) is the caller's
         * to free: forget it, whatever the caller did. */
        if (p->div.state == KV_DIV_FULL)
            kv_parser_divert_done(p);
        if (len == 0)
            return KV_PARSE_AGAIN;
        if (buf[0] != '*') {
            p->state = KV_ST_INLINE;
            p->pos = 0;
        } else {
            st = kv_parse_count(p, buf, len, lim, consumed);
            if (p->state != KV_ST_MBULK)
                return st;
        }
    }
    if (p->state == KV_ST_MBULK)
        return kv_parse_bulks(p, buf, len, lim, consumed, argc, argv);
    return kv_parse_inline(p, buf, len, consumed, argc, argv);
}
