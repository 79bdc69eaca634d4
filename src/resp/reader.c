/* Reading complete replies: measure one (kv_resp_reply_len), read an integer
 * reply, and down-convert RESP3 to RESP2. Used when a command's replies from
 * several shards are combined, so every length is checked against the bytes
 * present and nesting is walked with a counter, never recursion. */
#include <limits.h>
#include <string.h>

#include "resp/resp_int.h"

/* One frame: a scalar reply, or the header of an aggregate. */
typedef struct kv_frame {
    char type;
    size_t end;      /* offset just past the frame (past the header only
                      * for an aggregate) */
    long long count; /* aggregate children; -1 for "*-1" */
    size_t data;     /* line text, or bulk payload, offset ... */
    size_t dlen;     /* ... and length */
} kv_frame;

static int kv_is_aggregate(char t)
{
    return t == '*' || t == '%' || t == '~' || t == '>' || t == '|';
}

/* A RESP3 double: digits and the signs/points/exponents of "%.17g", or
 * inf / nan with an optional '-' (glibc prints "-nan"). */
static int kv_valid_double(const char *s, size_t n)
{
    size_t i = 0;
    if (n == 0)
        return 0;
    if (s[0] == '-')
        i = 1;
    if ((n - i == 3 && memcmp(s + i, "inf", 3) == 0) ||
        (n - i == 3 && memcmp(s + i, "nan", 3) == 0))
        return 1;
    for (i = 0; i < n; i++)
        if (!strchr("0123456789+-.eE", s[i]) || s[i] == '\0')
            return 0;
    return 1;
}

static int kv_valid_bignum(const char *s, size_t n)
{
    size_t i = (n > 0 && s[0] == '-') ? 1 : 0;
    if (i == n)
        return 0;
    for (; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* Parse the frame at p[pos]; 1 if it is complete and well formed. */
static int kv_read_frame(const char *p, size_t n, size_t pos, kv_frame *f)
{
    const char *q;
    size_t cr;
    long long ll;

    if (pos >= n)
        return 0;
    q = memchr(p + pos, '\r', n - pos);
    if (q == NULL || (size_t)(q - p) + 1 >= n || q[1] != '\n')
        return 0;
    cr = (size_t)(q - p);
    f->type = p[pos];
    f->end = cr + 2;
    f->count = 0;
    f->data = pos + 1;
    f->dlen = cr - pos - 1;
    switch (f->type) {
    case '+':
    case '-':
        return 1;
    case ':':
        return kv_str2ll(p + f->data, f->dlen, &ll);
    case '_':
        return f->dlen == 0;
    case '#':
        return f->dlen == 1 && (p[f->data] == 't' || p[f->data] == 'f');
    case ',':
        return kv_valid_double(p + f->data, f->dlen);
    case '(':
        return kv_valid_bignum(p + f->data, f->dlen);
    case '$':
    case '!':
    case '=':
        if (!kv_str2ll(p + f->data, f->dlen, &ll))
            return 0;
        if (ll == -1 && f->type == '$') {
            f->count = -1;
            f->dlen = 0;
            return 1;
        }
        /* The payload plus CRLF must fit in what is left. */
        if (ll < 0 || (unsigned long long)ll > n - f->end ||
            n - f->end - (size_t)ll < 2)
            return 0;
        f->data = f->end;
        f->dlen = (size_t)ll;
        f->end += (size_t)ll;
        if (p[f->end] != '\r' || p[f->end + 1] != '\n')
            return 0;
        f->end += 2;
        /* Verbatim text starts with a three-byte format and ':'. */
        return f->type != '=' || (ll >= 4 && p[f->data + 3] == ':');
    case '*':
    case '%':
    case '~':
    case '>':
    case '|':
        if (!kv_str2ll(p + f->data, f->dlen, &ll))
            return 0;
        if (ll < 0 && !(ll == -1 && f->type == '*'))
            return 0;
        /* Each child takes at least 3 bytes; also keeps 2*count in range. */
        if (ll > (long long)(n - f->end))
            return 0;
        f->count = ll;
        return 1;
    default:
        return 0;
    }
}

/* Children an aggregate frame adds to the walk: maps and attributes hold
 * pairs, and an attribute is followed by the reply it annotates. */
static unsigned long long kv_children(const kv_frame *f)
{
    unsigned long long c = f->count > 0 ? (unsigned long long)f->count : 0;
    if (f->type == '%')
        return 2 * c;
    if (f->type == '|')
        return 2 * c + 1;
    return c;
}

/* Walk `pending` complete replies from p[pos]; returns the offset past them
 * or -1. A counter replaces a stack: only the number of replies still owed
 * matters for finding where they end. */
static long long kv_skip(const char *p, size_t n, size_t pos,
                         unsigned long long pending)
{
    kv_frame f;

    while (pending > 0) {
        if (!kv_read_frame(p, n, pos, &f))
            return -1;
        pos = f.end;
        pending--;
        if (kv_is_aggregate(f.type))
            pending += kv_children(&f);
        if (pending > (n - pos) / 3)
            return -1;
    }
    return (long long)pos;
}

long kv_resp_reply_len(const char *p, size_t n)
{
    long long end = kv_skip(p, n, 0, 1);
    if (end < 0 || end > LONG_MAX)
        return -1;
    return (long)end;
}

int kv_resp_reply_int(const char *p, size_t n, long long *v)
{
    kv_frame f;

    if (!kv_read_frame(p, n, 0, &f) || f.type != ':' || f.end != n)
        return 0;
    return kv_str2ll(p + f.data, f.dlen, v);
}

static void kv_emit_bulk(kv_buf *out, const char *s, size_t n)
{
    kv_reply r;
    r.buf = out;
    r.proto = 2;
    r.errors = 0;
    kv_reply_bulk(&r, s, n);
}

static void kv_emit_count(kv_buf *out, long long v)
{
    char *w = kv_buf_reserve(out, KV_RESP_LL_MAX + 3);
    w[0] = '*';
    w += 1 + kv_resp_ll_fmt(w + 1, v);
    w[0] = '\r';
    w[1] = '\n';
    out->len = (size_t)(w + 2 - out->p);
}

static void kv_emit(kv_buf *out, const char *p, size_t pos, const kv_frame *f)
{
    size_t i, start;

    switch (f->type) {
    case '_':
        kv_buf_append(out, "$-1\r\n", 5);
        break;
    case '#':
        kv_buf_append(out, p[f->data] == 't' ? ":1\r\n" : ":0\r\n", 4);
        break;
    case ',':
    case '(':
        kv_emit_bulk(out, p + f->data, f->dlen);
        break;
    case '=':
        kv_emit_bulk(out, p + f->data + 4, f->dlen - 4);
        break;
    case '!':
        /* RESP2 has no blob error: a simple error cannot hold CR/LF. */
        start = out->len + 1;
        kv_buf_append(out, "-", 1);
        kv_buf_append(out, p + f->data, f->dlen);
        kv_buf_append(out, "\r\n", 2);
        for (i = 0; i < f->dlen; i++)
            if (out->p[start + i] == '\r' || out->p[start + i] == '\n')
                out->p[start + i] = ' ';
        break;
    case '%':
        kv_emit_count(out, 2 * f->count);
        break;
    case '~':
    case '>':
        kv_emit_count(out, f->count);
        break;
    default:
        /* + - : $ * are the same in both protocols. */
        kv_buf_append(out, p + pos, f->end - pos);
        break;
    }
}

int kv_resp3_to_resp2(kv_buf *out, const char *p, size_t n)
{
    unsigned long long pending = 1;
    size_t pos = 0;
    kv_frame f;
    long long skip;
    size_t orig = out->len;

    /* Validate first so a malformed reply leaves `out` untouched and the
     * walk below can rely on every frame being complete. */
    if (kv_resp_reply_len(p, n) != (long)n)
        return -1;
    while (pending > 0) {
        if (!kv_read_frame(p, n, pos, &f))
            goto bad;
        if (f.type == '|') {
            /* Attributes have no RESP2 form: drop them with their pairs. */
            skip = kv_skip(p, n, f.end, 2ULL * (unsigned long long)f.count);
            if (skip < 0)
                goto bad;
            pos = (size_t)skip;
            continue;
        }
        kv_emit(out, p, pos, &f);
        pos = f.end;
        pending--;
        if (kv_is_aggregate(f.type))
            pending += kv_children(&f);
    }
    if (pos != n)
        goto bad;
    return 0;
bad:
    out->len = orig;
    return -1;
}
