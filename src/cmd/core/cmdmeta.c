/* Lookup over the generated command-metadata table (cmdmeta_gen.c). The
 * generator emits the table sorted by lower-case name, so a binary search
 * with a case-folding compare finds "GET" and "Command|Info" alike. */
#include "cmd/core/cmdmeta.h"

static unsigned char kv_cmdmeta_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* <0, 0, >0 as name[0..len) sorts before, equal to, after the table name. */
static int kv_cmdmeta_cmp(const char *name, size_t len, const char *entry)
{
    size_t i;
    for (i = 0; i < len; i++) {
        unsigned char a = kv_cmdmeta_lower((unsigned char)name[i]);
        unsigned char b = (unsigned char)entry[i];
        if (b == '\0')
            return 1;
        if (a != b)
            return a < b ? -1 : 1;
    }
    return entry[len] == '\0' ? 0 : -1;
}

const kv_cmdmeta *kv_cmdmeta_find(const char *name, size_t len)
{
    size_t lo = 0, hi = kv_cmdmeta_count();
    if (name == NULL)
        return NULL;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const kv_cmdmeta *m = kv_cmdmeta_at(mid);
        int c = kv_cmdmeta_cmp(name, len, m->name);
        if (c == 0)
            return m;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}
