/* Glob matching with Redis's syntax. Unlike a naive recursive matcher this
 * one backtracks only to the most recent '*' (a star absorbs any earlier
 * star's work), so the worst case is O(pattern * string), never exponential:
 * a hostile KEYS pattern cannot stall a shard. */
#include "cmd/glob.h"

static int kv_fold(int c, int nocase)
{
    return nocase && c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Match one character against the class starting after '[' at pat[*pi];
 * advances *pi past the closing ']' (or to the end if unterminated). */
static int kv_class_match(const char *pat, size_t plen, size_t *pi, int ch, int nocase)
{
    size_t i = *pi;
    int neg = 0, match = 0;
    if (i < plen && pat[i] == '^') {
        neg = 1;
        i++;
    }
    for (; i < plen; i++) {
        int c = (unsigned char)pat[i];
        if (c == '\\' && i + 1 < plen) {
            i++;
            if (kv_fold((unsigned char)pat[i], nocase) == kv_fold(ch, nocase))
                match = 1;
        } else if (c == ']') {
            break;
        } else if (i + 2 < plen && pat[i + 1] == '-') {
            int lo = kv_fold(c, nocase), hi = kv_fold((unsigned char)pat[i + 2], nocase);
            int x = kv_fold(ch, nocase);
            if (lo > hi) {
                int t = lo;
                lo = hi;
                hi = t;
            }
            if (x >= lo && x <= hi)
                match = 1;
            i += 2;
        } else if (kv_fold(c, nocase) == kv_fold(ch, nocase)) {
            match = 1;
        }
    }
    /* Redis treats an unterminated class as ending at the pattern's end. */
    *pi = i < plen ? i + 1 : plen;
    return neg ? !match : match;
}

int kv_glob_match(const char *pat, size_t plen, const char *str, size_t slen, int nocase)
{
    size_t p = 0, s = 0, star_p = (size_t)-1, star_s = 0;
    while (s < slen) {
        if (p < plen) {
            int c = (unsigned char)pat[p];
            if (c == '*') {
                while (p < plen && pat[p] == '*')
                    p++;
                if (p == plen)
                    return 1;
                star_p = p;
                star_s = s;
                continue;
            }
            if (c == '?') {
                p++;
                s++;
                continue;
            }
            if (c == '[') {
                size_t q = p + 1;
                if (kv_class_match(pat, plen, &q, (unsigned char)str[s], nocase)) {
                    p = q;
                    s++;
                    continue;
                }
            } else {
                if (c == '\\' && p + 1 < plen)
                    c = (unsigned char)pat[++p];
                if (kv_fold(c, nocase) == kv_fold((unsigned char)str[s], nocase)) {
                    p++;
                    s++;
                    continue;
                }
            }
        }
        if (star_p == (size_t)-1)
            return 0;
        p = star_p;
        s = ++star_s;
    }
    while (p < plen && pat[p] == '*')
        p++;
    return p == plen;
}
