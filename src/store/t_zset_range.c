/* Score and lex intervals of sorted sets, and the number texts Redis uses
 * for them: how arguments parse (strtod with Redis's extra rules, which
 * differ between scores and range ends) and how a listpack stores a score. */
#include "store/t_zset.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ intervals */

int kv_zrange_empty(const kv_zrange *r)
{
    return r->min > r->max || (r->min == r->max && (r->minex || r->maxex));
}

int kv_zrange_gte_min(double v, const kv_zrange *r)
{
    return r->minex ? v > r->min : v >= r->min;
}

int kv_zrange_lte_max(double v, const kv_zrange *r)
{
    return r->maxex ? v < r->max : v <= r->max;
}

static int mcmp(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c)
        return c;
    return an < bn ? -1 : an > bn;
}

/* Compare two lex range ends as Redis does ("-" below all, "+" above all). */
static int lex_end_cmp(int ak, const char *a, size_t an, int bk, const char *b, size_t bn)
{
    if (ak == bk && ak != KV_ZLEX_STR)
        return 0;
    if (ak == KV_ZLEX_MIN || bk == KV_ZLEX_MAX)
        return -1;
    if (ak == KV_ZLEX_MAX || bk == KV_ZLEX_MIN)
        return 1;
    return mcmp(a, an, b, bn);
}

int kv_zlex_empty(const kv_zlex *r)
{
    int c = lex_end_cmp(r->minkind, r->min, r->minlen, r->maxkind, r->max, r->maxlen);
    return c > 0 || (c == 0 && (r->minex || r->maxex));
}

int kv_zlex_gte_min(const char *m, size_t n, const kv_zlex *r)
{
    int c = lex_end_cmp(KV_ZLEX_STR, m, n, r->minkind, r->min, r->minlen);
    return r->minex ? c > 0 : c >= 0;
}

int kv_zlex_lte_max(const char *m, size_t n, const kv_zlex *r)
{
    int c = lex_end_cmp(KV_ZLEX_STR, m, n, r->maxkind, r->max, r->maxlen);
    return r->maxex ? c < 0 : c <= 0;
}

/* --------------------------------------------------------------- texts */

size_t kv_zset_d2str(char *buf, double d)
{
    int n;
    if (isnan(d)) {
        memcpy(buf, "nan", 4);
        return 3;
    }
    if (isinf(d)) {
        memcpy(buf, d > 0 ? "inf" : "-inf", d > 0 ? 4 : 5);
        return d > 0 ? 3 : 4;
    }
    /* Integral values within +-LLONG_MAX/2 print as integers (-0 as "0"). */
    if (d >= (double)(-LLONG_MAX / 2) && d <= (double)(LLONG_MAX / 2)) {
        long long ll = (long long)d;
        if ((double)ll == d) {
            n = snprintf(buf, KV_ZSET_D2STR_MAX, "%lld", ll);
            return (size_t)n;
        }
    }
    n = snprintf(buf, KV_ZSET_D2STR_MAX, "%.17g", d);
    return (size_t)n;
}

/* strtod over p[0..n) as a C string (an embedded NUL ends it, as it ends
 * Redis's sds for strtod); *end_ok = 1 if parsing stopped at that end. */
static double strtod_n(const char *p, size_t n, int *full, int *end_nul, int *err)
{
    char small[128], *buf = small, *end;
    double v;
    if (n >= sizeof small)
        buf = (char *)malloc(n + 1);
    if (!buf)
        abort();
    memcpy(buf, p, n);
    buf[n] = '\0';
    errno = 0;
    v = strtod(buf, &end);
    *err = errno;
    *full = (size_t)(end - buf) == n;
    *end_nul = *end == '\0';
    if (buf != small)
        free(buf);
    return v;
}

int kv_zset_parse_score(const char *p, size_t n, double *out)
{
    int full, nul, err;
    double v;
    if (n == 0 || isspace((unsigned char)p[0]))
        return 0;
    v = strtod_n(p, n, &full, &nul, &err);
    if (!full || isnan(v) ||
        (err == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || fpclassify(v) == FP_ZERO)))
        return 0;
    *out = v;
    return 1;
}

/* One end of a score range: "(x" excludes x; strtod may skip leading
 * spaces, and anything up to a NUL byte must be the number. */
static int parse_range_end(const char *p, size_t n, double *v, int *ex)
{
    int full, nul, err;
    *ex = 0;
    if (n > 0 && p[0] == '(') {
        *ex = 1;
        p++;
        n--;
    }
    *v = strtod_n(p, n, &full, &nul, &err);
    return nul && !isnan(*v);
}

int kv_zset_parse_range(const char *minp, size_t minn, const char *maxp, size_t maxn,
                        kv_zrange *r)
{
    return parse_range_end(minp, minn, &r->min, &r->minex) &&
           parse_range_end(maxp, maxn, &r->max, &r->maxex);
}

static int parse_lex_end(const char *p, size_t n, const char **s, size_t *sn, int *kind,
                         int *ex)
{
    if (n == 0)
        return 0;
    *s = NULL;
    *sn = 0;
    switch (p[0]) {
    case '+':
    case '-':
        /* Redis reads these as C strings: "+\0junk" is "+". */
        if (n > 1 && p[1] != '\0')
            return 0;
        *kind = p[0] == '+' ? KV_ZLEX_MAX : KV_ZLEX_MIN;
        *ex = 1;
        return 1;
    case '(':
    case '[':
        *kind = KV_ZLEX_STR;
        *ex = p[0] == '(';
        *s = p + 1;
        *sn = n - 1;
        return 1;
    default:
        return 0;
    }
}

int kv_zset_parse_lex(const char *minp, size_t minn, const char *maxp, size_t maxn,
                      kv_zlex *r)
{
    return parse_lex_end(minp, minn, &r->min, &r->minlen, &r->minkind, &r->minex) &&
           parse_lex_end(maxp, maxn, &r->max, &r->maxlen, &r->maxkind, &r->maxex);
}
