/* Long double <-> text with Redis's exact rules (see fmt_float.h). The
 * arithmetic is done in long double, as Redis does, so results carry the
 * same extra precision (80-bit on x86-64) before they are printed. */
#include "cmd/lib/fmt_float.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int kv_str2ld(const char *s, size_t n, long double *out)
{
    char buf[KV_LD_MAX_CHARS];
    char *end;
    long double v;
    if (n == 0 || n >= sizeof buf)
        return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    errno = 0;
    v = strtold(buf, &end);
    if (isspace((unsigned char)buf[0]) || *end != '\0' || (size_t)(end - buf) != n ||
        (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || v == 0)) ||
        errno == EINVAL || isnan(v))
        return 0;
    *out = v;
    return 1;
}

size_t kv_ld2str_human(char *buf, size_t len, long double v)
{
    int l;
    if (isinf(v)) {
        const char *s = v > 0 ? "inf" : "-inf";
        size_t sl = strlen(s);
        if (len <= sl)
            return 0;
        memcpy(buf, s, sl + 1);
        return sl;
    }
    /* 17 digits after the point: enough that most short decimals typed by a
     * user come back unchanged once the trailing zeros are trimmed. */
    l = snprintf(buf, len, "%.17Lf", v);
    if (l < 0 || (size_t)l + 1 > len)
        return 0;
    if (strchr(buf, '.') != NULL) {
        while (buf[l - 1] == '0')
            l--;
        if (buf[l - 1] == '.')
            l--;
    }
    if (l == 2 && buf[0] == '-' && buf[1] == '0') {
        buf[0] = '0';
        l = 1;
    }
    buf[l] = '\0';
    return (size_t)l;
}
