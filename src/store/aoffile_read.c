/* AOF files (aoffile.h), the reading side, over untrusted bytes: the
 * manifest read exactly as Redis 7.0's aofLoadManifestFromFile reads it
 * (its fgets line chunks, sdssplitargs quoting, atoll seqs), so kevy refuses
 * what Redis refuses with its message; and the command stream, a prefix-
 * closed grammar stopping at the first byte no well-formed file could have
 * there (BAD) or at the end inside a command (TRUNCATED). */
#include "store/aoffile.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "store/mem.h"


/* ------------------------------------------------------------- manifest */

/* The C locale's isspace / tolower: Redis runs its parsers in it, and
 * kevy must not depend on the process locale. */
static int c_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static int c_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int c_caseeq(const char *a, const char *b)
{
    while (*a && c_lower((unsigned char)*a) == c_lower((unsigned char)*b))
        a++, b++;
    return *a == '\0' && *b == '\0';
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* ------------------------------------------------- sdssplitargs grammar */

typedef struct tokens {
    char **v; /* NUL-terminated; a \x00 escape cuts them short for every
                 C-string use below, exactly as it does in Redis */
    int n, cap;
} tokens;

static void tokens_free(tokens *t)
{
    int i;
    for (i = 0; i < t->n; i++)
        free(t->v[i]);
    free(t->v);
    t->v = NULL;
    t->n = t->cap = 0;
}

static void tokens_push(tokens *t, kv_buf *b)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 8;
        t->v = kv_xrealloc(t->v, (size_t)t->cap * sizeof *t->v);
    }
    kv_buf_append(b, "", 1);
    t->v[t->n++] = b->p; /* the token takes the buffer over */
    kv_buf_init(b);
}

/* Blank-separated words; "..." with \xHH, \n \r \t \b \a and \<c> escapes;
 * '...' with \' only; a quote may open mid-word but must close at a blank
 * or the end. Inside a bare word only space, \t, \r and \n end it (\v, \f
 * do not, though they are skipped between words). -1: bad quoting. */
static int split_args(const char *s, tokens *t)
{
    kv_buf b;
    kv_buf_init(&b);
    for (;;) {
        int q = 0;
        while (*s && c_space((unsigned char)*s))
            s++;
        if (!*s)
            return 0;
        for (;;) {
            char c = *s;
            if (q == '"') {
                if (c == '\\' && s[1] == 'x' && hexval((unsigned char)s[2]) >= 0 &&
                    hexval((unsigned char)s[3]) >= 0) {
                    char byte =
                        (char)(hexval((unsigned char)s[2]) * 16 + hexval((unsigned char)s[3]));
                    kv_buf_append(&b, &byte, 1);
                    s += 4;
                    continue;
                }
                if (c == '\\' && s[1]) {
                    char e = s[1];
                    e = e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e == 'b' ? '\b'
                        : e == 'a' ? '\a' : e;
                    kv_buf_append(&b, &e, 1);
                    s += 2;
                    continue;
                }
            } else if (q == '\'' && c == '\\' && s[1] == '\'') {
                kv_buf_append(&b, "'", 1);
                s += 2;
                continue;
            }
            if (q) {
                if (c == '\0')
                    goto bad; /* unterminated */
                if (c == q) {
                    if (s[1] && !c_space((unsigned char)s[1]))
                        goto bad;
                    s++;
                    break;
                }
            } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0') {
                if (c)
                    s++;
                break;
            } else if (c == '"' || c == '\'') {
                q = c;
                s++;
                continue;
            }
            kv_buf_append(&b, &c, 1);
            s++;
        }
        tokens_push(t, &b);
    }
bad:
    kv_buf_free(&b);
    return -1;
}

/* atoll as glibc has it: blanks, a sign, digits, clamped on overflow. */
static long long c_atoll(const char *s)
{
    unsigned long long v = 0, lim;
    int neg = 0;
    while (c_space((unsigned char)*s))
        s++;
    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    lim = neg ? (unsigned long long)LLONG_MAX + 1 : (unsigned long long)LLONG_MAX;
    for (; *s >= '0' && *s <= '9'; s++) {
        unsigned d = (unsigned)(*s - '0');
        if (v > (lim - d) / 10)
            return neg ? LLONG_MIN : LLONG_MAX;
        v = v * 10 + d;
    }
    if (!neg)
        return (long long)v;
    return v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)v;
}

/* One line of Redis's manifest, already in its C-string form. Returns NULL
 * or Redis's message. */
static const char *parse_line(char *line, kv_aof_manifest *m, long long *maxseq)
{
    tokens t = {NULL, 0, 0};
    kv_aof_file f = {NULL, 0, 0}; /* f.name points into t */
    const char *why = NULL;
    int i;
    if (split_args(line, &t) != 0 || t.n < 6 || t.n % 2) {
        why = "Invalid AOF manifest file format"; /* < 6: newer fields may come */
        goto out;
    }
    for (i = 0; i < t.n; i += 2) {
        if (c_caseeq(t.v[i], "file")) {
            f.name = t.v[i + 1];
            if (strchr(f.name, '/') || strchr(f.name, '\\')) {
                why = "File can't be a path, just a filename";
                goto out;
            }
        } else if (c_caseeq(t.v[i], "seq")) {
            f.seq = c_atoll(t.v[i + 1]);
        } else if (c_caseeq(t.v[i], "type")) {
            f.type = t.v[i + 1][0];
        }
    }
    if (!f.name || !f.seq || !f.type) {
        why = "Invalid AOF manifest file format";
        goto out;
    }
    if (f.type == 'b' && m->base.name)
        why = "Found duplicate base file information";
    else if (f.type == 'i' && f.seq <= *maxseq)
        why = "Found a non-monotonic sequence number";
    else if (f.type != 'b' && f.type != 'h' && f.type != 'i')
        why = "Unknown AOF file type";
    if (why)
        goto out;
    kv_aof_manifest_add(m, f.name, f.seq, f.type);
    if (f.type == 'i')
        *maxseq = f.seq;
out:
    tokens_free(&t);
    return why;
}

int kv_aof_manifest_parse_ex(const char *text, size_t n, kv_aof_manifest *m, int *line,
                             char *err, size_t errlen)
{
    char chunk[KV_AOF_MANIFEST_MAX_LINE + 1];
    size_t pos = 0;
    long long maxseq = 0;
    int linenum = 0;
    const char *why = NULL;
    kv_aof_manifest_init(m);
    if (line)
        *line = 0;
    if (err && errlen)
        err[0] = '\0';
    if (n == 0) {
        kv_aof_set_err(err, errlen, "Found an empty AOF manifest");
        return -1;
    }
    while (pos < n) {
        /* What one fgets(buf, 1025) returns: through '\n' or 1024 bytes. */
        size_t lim = n - pos < KV_AOF_MANIFEST_MAX_LINE ? n - pos : KV_AOF_MANIFEST_MAX_LINE;
        const char *nl = memchr(text + pos, '\n', lim);
        size_t len = nl ? (size_t)(nl - (text + pos)) + 1 : lim, a, b;
        memcpy(chunk, text + pos, len);
        chunk[len] = '\0';
        pos += len;
        linenum++;
        if (chunk[0] == '#')
            continue;
        /* As a C string: a NUL byte hides the '\n' after it. */
        if (!strchr(chunk, '\n')) {
            kv_aof_set_err(err, errlen, "The AOF manifest file contains too long line");
            kv_aof_manifest_free(m);
            return -1;
        }
        for (a = 0, b = strlen(chunk); a < b && strchr(" \t\r\n", chunk[a]); a++)
            ;
        while (b > a && strchr(" \t\r\n", chunk[b - 1]))
            b--;
        chunk[b] = '\0';
        why = a == b ? "Invalid AOF manifest file format" : parse_line(chunk + a, m, &maxseq);
        if (why) {
            if (line)
                *line = linenum;
            kv_aof_set_err(err, errlen, "%s", why);
            kv_aof_manifest_free(m);
            return -1;
        }
    }
    return 0;
}

int kv_aof_manifest_parse(const char *text, size_t n, kv_aof_manifest *m, char *err,
                          size_t errlen)
{
    return kv_aof_manifest_parse_ex(text, n, m, NULL, err, errlen);
}

/* ------------------------------------------------------- command stream */

enum { STEP_OK, STEP_NEED, STEP_BAD };

/* redis-check-aof's bound (LONG_MAX - 2), and what len + 2 can hold. */
#define SIZE_MAX_ULL ((unsigned long long)SIZE_MAX)
#define LLONG_MAX_ULL ((unsigned long long)LLONG_MAX)
#define BULK_MAX ((SIZE_MAX_ULL < LLONG_MAX_ULL ? SIZE_MAX_ULL : LLONG_MAX_ULL) - 2)

typedef struct reader {
    const unsigned char *p;
    size_t n;
    size_t bad_at;   /* STEP_BAD: the offending byte */
    const char *why; /* and what was expected there */
    kv_str *argv;    /* grown as arguments really arrive, never by argc */
    size_t cap;
} reader;

static int bad(reader *r, size_t at, const char *why)
{
    r->bad_at = at;
    r->why = why;
    return STEP_BAD;
}

/* "<prefix><digits>\r\n" at *pos, value in [min, max], no sign, no leading
 * zero: each byte is judged as soon as it is seen, so the first one that
 * cannot continue a valid number is the one reported. */
static int read_number(reader *r, size_t *pos, unsigned char prefix, unsigned long long min,
                       unsigned long long max, unsigned long long *out)
{
    size_t i = *pos;
    unsigned long long v = 0;
    int digits = 0;
    if (i >= r->n)
        return STEP_NEED;
    if (r->p[i] != prefix)
        return bad(r, i, prefix == '*' ? "expected '*' or '#'" : "expected '$'");
    for (i++;; i++) {
        unsigned char c;
        if (i >= r->n)
            return STEP_NEED;
        c = r->p[i];
        if (c < '0' || c > '9')
            break;
        if (digits && v == 0)
            return bad(r, i, "a number with a leading zero");
        if (!digits && c == '0' && min > 0)
            return bad(r, i, "an argument count of 0");
        if (v > (max - (unsigned)(c - '0')) / 10)
            return bad(r, i, prefix == '*' ? "argument count out of range"
                                           : "bulk length out of range");
        v = v * 10 + (unsigned)(c - '0');
        digits++;
    }
    if (!digits)
        return bad(r, i, "expected a digit");
    if (r->p[i] != '\r')
        return bad(r, i, "expected \\r\\n after the number");
    if (++i >= r->n)
        return STEP_NEED;
    if (r->p[i] != '\n')
        return bad(r, i, "expected \\r\\n after the number");
    *pos = i + 1;
    *out = v;
    return STEP_OK;
}

/* One command at *pos (its '*' already seen); argv filled on STEP_OK. */
static int read_command(reader *r, size_t *pos, int *argc_out)
{
    size_t i = *pos;
    unsigned long long argc, len, j;
    int rc = read_number(r, &i, '*', 1, INT_MAX, &argc);
    if (rc != STEP_OK)
        return rc;
    for (j = 0; j < argc; j++) {
        /* A length may be any that fits: one past the end is a torn tail. */
        rc = read_number(r, &i, '$', 0, BULK_MAX, &len);
        if (rc != STEP_OK)
            return rc;
        if (len > r->n - i)
            return STEP_NEED;
        if (j == r->cap) {
            r->cap = r->cap ? r->cap * 2 : 16;
            r->argv = kv_xrealloc(r->argv, r->cap * sizeof *r->argv);
        }
        r->argv[j].p = (const char *)r->p + i;
        r->argv[j].n = (size_t)len;
        i += (size_t)len;
        if (i >= r->n)
            return STEP_NEED;
        if (r->p[i] != '\r')
            return bad(r, i, "expected \\r\\n after the bulk string");
        if (++i >= r->n)
            return STEP_NEED;
        if (r->p[i] != '\n')
            return bad(r, i, "expected \\r\\n after the bulk string");
        i++;
    }
    *pos = i;
    *argc_out = (int)argc;
    return STEP_OK;
}

/* A command name, case-insensitively (w in lower case). */
static int is_word(const kv_str *s, const char *w)
{
    size_t i;
    if (s->n != strlen(w))
        return 0;
    for (i = 0; i < s->n; i++) {
        if (c_lower((unsigned char)s->p[i]) != w[i])
            return 0;
    }
    return 1;
}

int kv_aof_read_ex(const unsigned char *p, size_t n, const kv_aof_read_cb *cb,
                   kv_aof_read_info *info, char *err, size_t errlen)
{
    reader r;
    kv_aof_read_info st;
    size_t pos = 0;
    int ret = KV_AOF_OK, step = STEP_OK;
    memset(&r, 0, sizeof r);
    memset(&st, 0, sizeof st);
    r.p = p;
    r.n = n;
    if (err && errlen)
        err[0] = '\0';
    while (pos < n) {
        if (p[pos] == '#') {
            size_t lim = n - pos < KV_AOF_ANNOTATION_MAX_LINE ? n - pos
                                                              : KV_AOF_ANNOTATION_MAX_LINE;
            const unsigned char *nl = memchr(p + pos, '\n', lim);
            size_t end, tn;
            if (!nl) {
                step = lim == KV_AOF_ANNOTATION_MAX_LINE
                           ? bad(&r, pos + lim - 1, "an annotation line too long")
                           : STEP_NEED;
                break;
            }
            end = (size_t)(nl - p);
            tn = end - pos - 1;
            if (tn && p[end - 1] == '\r')
                tn--;
            if (cb && cb->annotation)
                cb->annotation(cb->arg, (const char *)p + pos + 1, tn, pos);
            st.annotations++;
            pos = end + 1;
        } else {
            size_t start = pos;
            int argc = 0;
            if ((step = read_command(&r, &pos, &argc)) != STEP_OK)
                break;
            if (cb && cb->cmd && cb->cmd(cb->arg, argc, r.argv, start) != 0) {
                ret = KV_AOF_STOPPED;
                kv_aof_set_err(err, errlen, "Stopped by the command callback at offset %zu", start);
                break;
            }
            st.commands++;
            /* The transaction rule: the outermost MULTI left open counts. */
            if (!st.in_multi && is_word(&r.argv[0], "multi")) {
                st.in_multi = 1;
                st.multi_offset = start;
                st.multi_cut = st.valid_len;
            } else if (st.in_multi && is_word(&r.argv[0], "exec")) {
                st.in_multi = 0;
            }
            st.valid_len = pos;
        }
    }
    if (ret == KV_AOF_OK && step == STEP_NEED) {
        ret = KV_AOF_TRUNCATED;
        kv_aof_set_err(err, errlen,
                "Unexpected end of file at offset %zu: the %s at offset %zu is incomplete", n,
                p[pos] == '#' ? "annotation" : "command", pos);
    } else if (ret == KV_AOF_OK && step == STEP_BAD) {
        ret = KV_AOF_BAD;
        kv_aof_set_err(err, errlen, "Bad file format at offset %zu: %s, got 0x%02x", r.bad_at, r.why,
                p[r.bad_at]);
    }
    if (ret == KV_AOF_OK)
        st.valid_len = n;
    st.bad_offset = ret == KV_AOF_BAD ? r.bad_at : n;
    if (!st.in_multi)
        st.multi_offset = st.multi_cut = 0;
    free(r.argv);
    if (info)
        *info = st;
    return ret;
}

int kv_aof_read(const unsigned char *p, size_t n, const kv_aof_read_cb *cb, size_t *valid_len,
                size_t *bad_offset, char *err, size_t errlen)
{
    kv_aof_read_info info;
    int rc = kv_aof_read_ex(p, n, cb, &info, err, errlen);
    if (valid_len)
        *valid_len = info.valid_len;
    if (bad_offset)
        *bad_offset = info.bad_offset;
    return rc;
}
