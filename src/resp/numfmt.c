/* Number <-> text with Redis's exact rules: kv_str2ll accepts only the
 * canonical decimal form (what string2ll accepts), kv_ll2str writes it, and
 * the writers format doubles the way Redis 7.0 does ("%.17g").
 * Digits are emitted two at a time from a pair table: replies are hot. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "resp/resp_int.h"

static const char kv_digit_pairs[201] =
    "0001020304050607080910111213141516171819"
    "2021222324252627282930313233343536373839"
    "4041424344454647484950515253545556575859"
    "6061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

static size_t kv_ull_digits(unsigned long long v)
{
    size_t n = 1;
    for (;;) {
        if (v < 10)
            return n;
        if (v < 100)
            return n + 1;
        if (v < 1000)
            return n + 2;
        if (v < 10000)
            return n + 3;
        v /= 10000;
        n += 4;
    }
}

size_t kv_resp_ull_fmt(char *dst, unsigned long long v)
{
    size_t len = kv_ull_digits(v), i = len;

    while (v >= 100) {
        unsigned idx = (unsigned)(v % 100) * 2;
        v /= 100;
        dst[--i] = kv_digit_pairs[idx + 1];
        dst[--i] = kv_digit_pairs[idx];
    }
    if (v >= 10) {
        dst[--i] = kv_digit_pairs[v * 2 + 1];
        dst[--i] = kv_digit_pairs[v * 2];
    } else {
        dst[--i] = (char)('0' + v);
    }
    return len;
}

size_t kv_resp_ll_fmt(char *dst, long long v)
{
    /* Negate in unsigned arithmetic so LLONG_MIN needs no special case. */
    if (v < 0) {
        dst[0] = '-';
        return 1 + kv_resp_ull_fmt(dst + 1, 0ULL - (unsigned long long)v);
    }
    return kv_resp_ull_fmt(dst, (unsigned long long)v);
}

int kv_ll2str(char *dst, size_t dstlen, long long v)
{
    char tmp[KV_RESP_LL_MAX];
    size_t n = kv_resp_ll_fmt(tmp, v);

    /* Like ll2string: all or nothing, always terminated when there is room. */
    if (n >= dstlen) {
        if (dstlen > 0)
            dst[0] = '\0';
        return 0;
    }
    memcpy(dst, tmp, n);
    dst[n] = '\0';
    return (int)n;
}

int kv_str2ll(const char *s, size_t n, long long *out)
{
    unsigned long long v = 0, lim = (unsigned long long)LLONG_MAX;
    size_t i = 0;
    int neg = 0;

    /* 21+ characters can never be a canonical long long. */
    if (n == 0 || n > 20)
        return 0;
    if (n == 1 && s[0] == '0') {
        if (out)
            *out = 0;
        return 1;
    }
    if (s[0] == '-') {
        neg = 1;
        lim += 1; /* |LLONG_MIN| */
        i = 1;
        if (n == 1)
            return 0;
    }
    /* No leading zeros, no "-0", no '+', no spaces. */
    if (s[i] < '1' || s[i] > '9')
        return 0;
    for (; i < n; i++) {
        unsigned d = (unsigned)((unsigned char)s[i] - '0');
        if (d > 9)
            return 0;
        if (v > (lim - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    if (out) {
        if (!neg)
            *out = (long long)v;
        else if (v == (unsigned long long)LLONG_MAX + 1)
            *out = LLONG_MIN;
        else
            *out = -(long long)v;
    }
    return 1;
}

size_t kv_resp_dbl_fmt(char *dst, double d)
{
    int n;

    /* Spelled out because libcs disagree on how they print infinity. */
    if (isinf(d)) {
        if (d > 0) {
            memcpy(dst, "inf", 4);
            return 3;
        }
        memcpy(dst, "-inf", 5);
        return 4;
    }
    n = snprintf(dst, KV_RESP_DBL_MAX, "%.17g", d);
    if (n < 0 || n >= KV_RESP_DBL_MAX) {
        /* Cannot happen for %.17g; keep the output well formed anyway. */
        memcpy(dst, "nan", 4);
        return 3;
    }
    return (size_t)n;
}
