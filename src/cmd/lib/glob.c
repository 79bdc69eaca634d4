/* Glob matching with Redis's syntax. Unlike a naive recursive matcher this
 * one backtracks only to the most recent '*' (a star absorbs any earlier
 * star's work), so the worst case is O(pattern * string), never exponential:
 * a hostile KEYS pattern cannot stall a shard. */
#include "cmd/lib/glob.h"

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
            i++; /* Redis compares an escaped class member exactly, even nocase */
            if ((unsigned char)pat[i] == ch)
                match = 1;
        } else if (c == ']') {
            break;
        } else if (i + 2 < plen && pat[i + 1] == '-') {
            /* Redis orders the ends before folding case: [Z-a] is 'z'..'a'. */
            int lo = c, hi = (unsigned char)pat[i + 2], x;
            if (lo > hi) {
                int t = lo;
                lo = hi;
                hi = t;
            }
            lo = kv_fold(lo, nocase);
            hi = kv_fold(hi, nocase);
            x = kv_fold(ch, nocase);
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
    /* Redis's matcher never enters its loop for an empty string, so only an
     * empty pattern matches it; KEYS and SCAN special-case a lone "*" before
     * matching, which is why KEYS * still lists the key "". */
    if (slen == 0)
        return plen == 0;
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
