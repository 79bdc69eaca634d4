/* Reply writers: each call appends one RESP2 or RESP3 frame to the reply
 * buffer, choosing the shape from r->proto the way Redis 7.0's addReply*
 * family does. Headers are formatted straight into reserved space (one
 * reserve per call) because these run once per reply on the hot path. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resp/resp_int.h"

/* Type byte + sign + 20 digits + CRLF, rounded up. */
#define KV_HDR_MAX 32

static char *kv_put_hdr(char *w, char type, long long v)
{
    *w++ = type;
    w += kv_resp_ll_fmt(w, v);
    *w++ = '\r';
    *w++ = '\n';
    return w;
}

static void kv_reply_hdr(kv_reply *r, char type, long long v)
{
    char *w = kv_buf_reserve(r->buf, KV_HDR_MAX);
    r->buf->len = (size_t)(kv_put_hdr(w, type, v) - r->buf->p);
}

/* One frame made of a type byte, a payload and CRLF. */
static void kv_reply_line(kv_reply *r, char type, const char *s, size_t n)
{
    char *w = kv_buf_reserve(r->buf, n + 3);
    *w++ = type;
    if (n)
        memcpy(w, s, n);
    w += n;
    *w++ = '\r';
    *w++ = '\n';
    r->buf->len = (size_t)(w - r->buf->p);
}

void kv_reply_raw(kv_reply *r, const void *p, size_t n)
{
    kv_buf_append(r->buf, p, n);
}

void kv_reply_status(kv_reply *r, const char *s)
{
    kv_reply_line(r, '+', s, strlen(s));
}

void kv_reply_statusn(kv_reply *r, const char *s, size_t n)
{
    kv_reply_line(r, '+', s, n);
}

/* An error frame with CR/LF mapped to spaces so the text cannot break the
 * framing of everything that follows it. */
static void kv_reply_error_len(kv_reply *r, const char *s, size_t n)
{
    size_t start = r->buf->len + 1, i;
    char *w;

    kv_reply_line(r, '-', s, n);
    w = r->buf->p + start;
    for (i = 0; i < n; i++)
        if (w[i] == '\r' || w[i] == '\n')
            w[i] = ' ';
    r->errors++;
}

void kv_reply_error(kv_reply *r, const char *s)
{
    kv_reply_error_len(r, s, strlen(s));
}

void kv_reply_errorf(kv_reply *r, const char *fmt, ...)
{
    char small[256], *s = small;
    va_list ap;
    size_t n, b = 0;
    int len;

    va_start(ap, fmt);
    len = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (len < 0) {
        small[0] = '\0';
    } else if ((size_t)len >= sizeof small) {
        s = malloc((size_t)len + 1);
        if (s == NULL) {
            fprintf(stderr, "kevy: out of memory formatting an error\n");
            abort();
        }
        va_start(ap, fmt);
        vsnprintf(s, (size_t)len + 1, fmt, ap);
        va_end(ap);
    }
    /* Redis's addReplyErrorFormat trims CR/LF at both ends before mapping
     * the inner ones to spaces; a %c of NUL ends the text as it does there. */
    n = strlen(s);
    while (b < n && (s[b] == '\r' || s[b] == '\n'))
        b++;
    while (n > b && (s[n - 1] == '\r' || s[n - 1] == '\n'))
        n--;
    kv_reply_error_len(r, s + b, n - b);
    if (s != small)
        free(s);
}

void kv_reply_int(kv_reply *r, long long v)
{
    kv_reply_hdr(r, ':', v);
}

void kv_reply_bulk(kv_reply *r, const void *p, size_t n)
{
    char *w = kv_buf_reserve(r->buf, n + KV_HDR_MAX);
    *w++ = '$';
    w += kv_resp_ull_fmt(w, (unsigned long long)n);
    *w++ = '\r';
    *w++ = '\n';
    if (n)
        memcpy(w, p, n);
    w += n;
    *w++ = '\r';
    *w++ = '\n';
    r->buf->len = (size_t)(w - r->buf->p);
}

void kv_reply_bulk_ref(kv_reply *r, const void *p, size_t n, kv_buf_release_fn release,
                       void *arg)
{
    kv_reply_hdr(r, '$', (long long)n);
    kv_buf_add_span(r->buf, (const char *)p, n, release, arg);
    kv_buf_append(r->buf, "\r\n", 2);
}

void kv_encode_command(kv_buf *out, int argc, const kv_str *argv)
{
    kv_reply r;
    int i;
    r.buf = out;
    r.proto = 2;
    r.errors = 0;
    kv_reply_array(&r, argc);
    for (i = 0; i < argc; i++)
        kv_reply_bulk(&r, argv[i].p, argv[i].n);
}

void kv_reply_bulk_cstr(kv_reply *r, const char *s)
{
    kv_reply_bulk(r, s, strlen(s));
}

void kv_reply_bulk_ll(kv_reply *r, long long v)
{
    char digits[KV_RESP_LL_MAX];
    kv_reply_bulk(r, digits, kv_resp_ll_fmt(digits, v));
}

void kv_reply_null(kv_reply *r)
{
    if (r->proto == 3)
        kv_buf_append(r->buf, "_\r\n", 3);
    else
        kv_buf_append(r->buf, "$-1\r\n", 5);
}

void kv_reply_null_array(kv_reply *r)
{
    if (r->proto == 3)
        kv_buf_append(r->buf, "_\r\n", 3);
    else
        kv_buf_append(r->buf, "*-1\r\n", 5);
}

void kv_reply_array(kv_reply *r, long n)
{
    kv_reply_hdr(r, '*', n);
}

void kv_reply_map(kv_reply *r, long n)
{
    if (r->proto == 3)
        kv_reply_hdr(r, '%', n);
    else
        kv_reply_hdr(r, '*', 2LL * n);
}

void kv_reply_set(kv_reply *r, long n)
{
    kv_reply_hdr(r, r->proto == 3 ? '~' : '*', n);
}

void kv_reply_push(kv_reply *r, long n)
{
    kv_reply_hdr(r, r->proto == 3 ? '>' : '*', n);
}

void kv_reply_double(kv_reply *r, double d)
{
    char txt[KV_RESP_DBL_MAX];
    size_t n = kv_resp_dbl_fmt(txt, d);

    if (r->proto == 3)
        kv_reply_line(r, ',', txt, n);
    else
        kv_reply_bulk(r, txt, n);
}

void kv_reply_bool(kv_reply *r, int v)
{
    if (r->proto == 3)
        kv_buf_append(r->buf, v ? "#t\r\n" : "#f\r\n", 4);
    else
        kv_buf_append(r->buf, v ? ":1\r\n" : ":0\r\n", 4);
}

void kv_reply_verbatim(kv_reply *r, const char *p, size_t n, const char *ext)
{
    char *w;
    int i;

    if (r->proto != 3) {
        kv_reply_bulk(r, p, n);
        return;
    }
    if (ext == NULL)
        ext = "txt";
    w = kv_buf_reserve(r->buf, n + KV_HDR_MAX + 4);
    *w++ = '=';
    w += kv_resp_ull_fmt(w, (unsigned long long)n + 4);
    *w++ = '\r';
    *w++ = '\n';
    /* Always three format bytes: a short extension is padded with spaces. */
    for (i = 0; i < 3; i++) {
        *w++ = *ext ? *ext : ' ';
        if (*ext)
            ext++;
    }
    *w++ = ':';
    if (n)
        memcpy(w, p, n);
    w += n;
    *w++ = '\r';
    *w++ = '\n';
    r->buf->len = (size_t)(w - r->buf->p);
}

void kv_reply_bignum(kv_reply *r, const char *p, size_t n)
{
    if (r->proto == 3)
        kv_reply_line(r, '(', p, n);
    else
        kv_reply_bulk(r, p, n);
}
