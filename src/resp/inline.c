/* Inline requests ("SET k v\r\n" typed into telnet): split a line into
 * arguments with the quoting rules of Redis's sdssplitargs, so quoted,
 * escaped and \xHH arguments reach commands exactly as Redis would see them.
 * Not a hot path; clarity over speed, but no allocation per argument. */
#include "resp/resp_int.h"

/* isspace() in the C locale, without its locale and sign pitfalls. */
static int kv_is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
           c == '\r';
}

static int kv_hex_val(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The line holds no NUL (the parser stops at one), so 0 can stand for "past
 * the end" just as the terminator does in Redis's C-string scan. */
static int kv_at(const char *s, size_t n, size_t i)
{
    return i < n ? (unsigned char)s[i] : 0;
}

static char kv_unescape(int c)
{
    switch (c) {
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'b': return '\b';
    case 'a': return '\a';
    default: return (char)c;
    }
}

enum { KV_Q_NONE, KV_Q_DOUBLE, KV_Q_SINGLE };

int kv_resp_split_inline(kv_parser *p, const char *s, size_t n)
{
    /* Unescaping only shrinks text, so one reservation holds every argument
     * and the output pointer never moves while we write. */
    char *out = kv_buf_reserve(&p->inl, n + 1);
    size_t i = 0, w = 0;

    for (;;) {
        size_t start;
        int quote = KV_Q_NONE, done = 0;

        while (i < n && kv_is_space((unsigned char)s[i]))
            i++;
        if (i >= n)
            break;
        start = w;
        while (!done) {
            int c = kv_at(s, n, i);
            if (quote == KV_Q_DOUBLE) {
                int h1 = kv_hex_val(kv_at(s, n, i + 2));
                int h2 = kv_hex_val(kv_at(s, n, i + 3));
                if (c == '\\' && kv_at(s, n, i + 1) == 'x' && h1 >= 0 && h2 >= 0) {
                    out[w++] = (char)(h1 * 16 + h2);
                    i += 4;
                } else if (c == '\\' && kv_at(s, n, i + 1)) {
                    out[w++] = kv_unescape(kv_at(s, n, i + 1));
                    i += 2;
                } else if (c == '"') {
                    /* A closing quote must end the argument. */
                    if (kv_at(s, n, i + 1) && !kv_is_space(kv_at(s, n, i + 1)))
                        return -1;
                    i++;
                    done = 1;
                } else if (c == 0) {
                    return -1;
                } else {
                    out[w++] = (char)c;
                    i++;
                }
            } else if (quote == KV_Q_SINGLE) {
                if (c == '\\' && kv_at(s, n, i + 1) == '\'') {
                    out[w++] = '\'';
                    i += 2;
                } else if (c == '\'') {
                    if (kv_at(s, n, i + 1) && !kv_is_space(kv_at(s, n, i + 1)))
                        return -1;
                    i++;
                    done = 1;
                } else if (c == 0) {
                    return -1;
                } else {
                    out[w++] = (char)c;
                    i++;
                }
            } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == 0) {
                /* Only these end a bare word; \v and \f stay inside it even
                 * though they are skipped between words. */
                if (c)
                    i++;
                done = 1;
            } else {
                if (c == '"')
                    quote = KV_Q_DOUBLE;
                else if (c == '\'')
                    quote = KV_Q_SINGLE;
                else
                    out[w++] = (char)c;
                i++;
            }
        }
        kv_resp_argv_grow(p, 0);
        p->offs[p->argc] = start;
        p->argv[p->argc].n = w - start;
        p->argc++;
    }
    p->inl.len = w;
    return 0;
}
