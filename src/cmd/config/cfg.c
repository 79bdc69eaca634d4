/* Configuration values and Redis's generic parameter types (booleans,
 * integers, memory sizes, percentages, enums, strings), with Redis's
 * parsing rules and error texts. Parameters with a syntax of their own are
 * parsed in cfgspecial.c; the splitting of argument lines is here because
 * config files, flags and several special parameters share it. */
#include "cmd/config/cfg.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kevy/resp.h"

/* cfgspecial.c */
int kv_cfg_check_special(int type, const char *v, size_t n, const char *cur, char **canon,
                         char *err, size_t errlen);

static char *kv_strndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p)
        abort();
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* The parameters read on hot paths, as numbers. The names are the Redis 7.0 ones;
 * the old *-ziplist-* aliases share their values (kv_cfg_store). */
static void kv_enc_refresh(kv_cfg *c)
{
    kv_enc_limits *l = &c->enc;
    l->hash_lp_entries = (size_t)kv_cfg_ll(c, "hash-max-listpack-entries");
    l->hash_lp_value = (size_t)kv_cfg_ll(c, "hash-max-listpack-value");
    l->set_intset_entries = (size_t)kv_cfg_ll(c, "set-max-intset-entries");
    l->zset_lp_entries = (size_t)kv_cfg_ll(c, "zset-max-listpack-entries");
    l->zset_lp_value = (size_t)kv_cfg_ll(c, "zset-max-listpack-value");
    l->list_fill = (int)kv_cfg_ll(c, "list-max-listpack-size");
    l->list_compress = (int)kv_cfg_ll(c, "list-compress-depth");
    l->stream_node_bytes = (size_t)kv_cfg_ll(c, "stream-node-max-bytes");
    l->stream_node_entries = kv_cfg_ll(c, "stream-node-max-entries");
    c->busy_reply_ms = kv_cfg_ll(c, "busy-reply-threshold");
}

kv_cfg *kv_cfg_new(void)
{
    kv_cfg *c = calloc(1, sizeof *c);
    int i;
    if (!c || !(c->val = calloc((size_t)kv_ncfgdefs, sizeof *c->val)))
        abort();
    for (i = 0; i < kv_ncfgdefs; i++)
        c->val[i] = kv_strndup(kv_cfgdefs[i].def, strlen(kv_cfgdefs[i].def));
    kv_enc_refresh(c);
    return c;
}

kv_cfg *kv_cfg_clone(const kv_cfg *src)
{
    kv_cfg *c = calloc(1, sizeof *c);
    int i;
    if (!c || !(c->val = calloc((size_t)kv_ncfgdefs, sizeof *c->val)))
        abort();
    for (i = 0; i < kv_ncfgdefs; i++)
        c->val[i] = kv_strndup(src->val[i], strlen(src->val[i]));
    kv_enc_refresh(c);
    return c;
}

void kv_cfg_free(kv_cfg *c)
{
    int i;
    if (!c)
        return;
    for (i = 0; i < kv_ncfgdefs; i++)
        free(c->val[i]);
    free(c->val);
    free(c);
}

int kv_cfg_index(const char *name, size_t n)
{
    int lo = 0, hi = kv_ncfgdefs;
    char low[64];
    size_t k;
    if (n == 0 || n >= sizeof low)
        return -1;
    for (k = 0; k < n; k++) {
        if (name[k] == '\0')
            return -1;
        low[k] = (char)tolower((unsigned char)name[k]);
    }
    low[n] = '\0';
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2, c = strcmp(low, kv_cfgdefs[mid].name);
        if (c == 0)
            return mid;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

const char *kv_cfg_value(const kv_cfg *c, int i)
{
    return c->val[i];
}

const char *kv_cfg_shown(const kv_cfg *c, int i, char *buf, size_t cap)
{
    const char *v = c->val[i], *p;
    size_t n = 0;
    /* notify-keyspace-events: Redis prints no 'n' beside 'A'. */
    if (kv_cfgdefs[i].type != KV_CT_NOTIFY || !strchr(v, 'A') || !strchr(v, 'n'))
        return v;
    for (p = v; *p && n + 1 < cap; p++)
        if (*p != 'n')
            buf[n++] = *p;
    buf[n] = '\0';
    return buf;
}

const char *kv_cfg_get(const kv_cfg *c, const char *name)
{
    int i = kv_cfg_index(name, strlen(name));
    return i < 0 ? "" : c->val[i];
}

long long kv_cfg_ll(const kv_cfg *c, const char *name)
{
    return strtoll(kv_cfg_get(c, name), NULL, 10);
}

int kv_cfg_yes(const kv_cfg *c, const char *name)
{
    return strcmp(kv_cfg_get(c, name), "yes") == 0;
}

void kv_cfg_store(kv_cfg *c, int i, char *canon)
{
    int a = kv_cfgdefs[i].alias;
    if (a >= 0) {
        free(c->val[a]);
        c->val[a] = kv_strndup(canon, strlen(canon));
    }
    free(c->val[i]);
    c->val[i] = canon;
    kv_enc_refresh(c);
}

/* ---------------------------------------------------------- generic types */

int kv_cfg_memtoull(const char *s, size_t n, unsigned long long *out)
{
    static const struct { const char *unit; unsigned long long mul; } units[] = {
        {"", 1}, {"b", 1}, {"k", 1000}, {"kb", 1024}, {"m", 1000 * 1000},
        {"mb", 1024 * 1024}, {"g", 1000ULL * 1000 * 1000}, {"gb", 1024ULL * 1024 * 1024},
    };
    unsigned long long v = 0;
    size_t d = 0, i;
    int sat = 0;
    /* Digits, then a unit; strtoull's saturation on overflow is kept, and
     * the unit multiplies modulo 2^64, as Redis's memtoull does. */
    while (d < n && s[d] >= '0' && s[d] <= '9') {
        unsigned dig = (unsigned)(s[d] - '0');
        if (v > (~0ULL - dig) / 10)
            sat = 1;
        else
            v = v * 10 + dig;
        d++;
    }
    if (d >= 128)
        return -1;
    if (sat)
        v = ~0ULL;
    for (i = 0; i < sizeof units / sizeof units[0]; i++) {
        size_t ul = strlen(units[i].unit);
        if (n - d == ul && strncasecmp(s + d, units[i].unit, ul) == 0) {
            *out = v * units[i].mul;
            return 0;
        }
    }
    return -1;
}

static int kv_check_range(const kv_cfgdef *d, unsigned long long uv, char *err, size_t errlen)
{
    if (d->flags & KV_CF_UNSIGNED) {
        unsigned long long lo = (unsigned long long)d->min, hi = (unsigned long long)d->max;
        if (uv < lo || uv > hi) {
            snprintf(err, errlen, "argument must be between %llu and %llu inclusive", lo, hi);
            return -1;
        }
    } else {
        long long v = (long long)uv;
        if (v < d->min || v > d->max) {
            snprintf(err, errlen, "argument must be between %lld and %lld inclusive", d->min,
                     d->max);
            return -1;
        }
    }
    return 0;
}

static char *kv_fmt_num(const kv_cfgdef *d, unsigned long long uv)
{
    char buf[32];
    if (d->flags & KV_CF_UNSIGNED)
        snprintf(buf, sizeof buf, "%llu", uv);
    else
        snprintf(buf, sizeof buf, "%lld", (long long)uv);
    return kv_strndup(buf, strlen(buf));
}

static int kv_check_enum(const kv_cfgdef *d, const char *v, size_t n, char **canon, char *err,
                         size_t errlen)
{
    const char *e;
    size_t used;
    for (e = d->enums; *e; e += strlen(e) + 1)
        if (strlen(e) == n && strncasecmp(e, v, n) == 0) {
            *canon = kv_strndup(e, n);
            return 0;
        }
    used = (size_t)snprintf(err, errlen, "argument(s) must be one of the following: ");
    for (e = d->enums; *e && used < errlen; e += strlen(e) + 1)
        used += (size_t)snprintf(err + used, errlen - used, "%s%s", e == d->enums ? "" : ", ", e);
    return -1;
}

/* hz is clamped, not refused (Redis's CONFIG_MIN_HZ .. CONFIG_MAX_HZ). */
static long long kv_clamp(const kv_cfgdef *d, long long v)
{
    if (strcmp(d->name, "hz") == 0)
        return v < 1 ? 1 : v > 500 ? 500 : v;
    return v;
}

int kv_cfg_check(int i, const char *v, size_t n, const char *cur, char **canon, char *err,
                 size_t errlen)
{
    const kv_cfgdef *d = &kv_cfgdefs[i];
    unsigned long long uv;
    long long ll;
    char *end;
    *canon = NULL;
    switch (d->type) {
    case KV_CT_BOOL:
        if (n == 3 && strncasecmp(v, "yes", 3) == 0)
            *canon = kv_strndup("yes", 3);
        else if (n == 2 && strncasecmp(v, "no", 2) == 0)
            *canon = kv_strndup("no", 2);
        else {
            snprintf(err, errlen, "argument must be 'yes' or 'no'");
            return -1;
        }
        return 0;
    case KV_CT_INT:
        if (!kv_str2ll(v, n, &ll)) {
            snprintf(err, errlen, "argument couldn't be parsed into an integer");
            return -1;
        }
        if (kv_check_range(d, (unsigned long long)ll, err, errlen) < 0)
            return -1;
        *canon = kv_fmt_num(d, (unsigned long long)kv_clamp(d, ll));
        return 0;
    case KV_CT_MEMPERCENT:
        if (n > 1 && v[n - 1] == '%') {
            if (!kv_str2ll(v, n - 1, &ll) || ll < 0) {
                snprintf(err, errlen, "argument must be a memory or percent value");
                return -1;
            }
            if (ll > 100) {
                snprintf(err, errlen, "percentage argument must be less or equal to 100");
                return -1;
            }
            if (ll == 0) {
                *canon = kv_strndup("0", 1);
            } else {
                char buf[32];
                snprintf(buf, sizeof buf, "%lld%%", ll);
                *canon = kv_strndup(buf, strlen(buf));
            }
            return 0;
        }
        /* fall through */
    case KV_CT_MEMORY:
        if (memchr(v, '\0', n) || kv_cfg_memtoull(v, n, &uv) < 0) {
            snprintf(err, errlen, d->type == KV_CT_MEMORY ? "argument must be a memory value"
                                                          : "argument must be a memory or percent value");
            return -1;
        }
        if (kv_check_range(d, uv, err, errlen) < 0)
            return -1;
        *canon = kv_fmt_num(d, uv);
        return 0;
    case KV_CT_OCTAL: {
        char buf[64];
        long o;
        if (n == 0 || n >= sizeof buf)
            goto bad_octal;
        memcpy(buf, v, n);
        buf[n] = '\0';
        o = strtol(buf, &end, 8);
        if (*end || o < 0)
            goto bad_octal;
        snprintf(buf, sizeof buf, "%lo", o);
        *canon = kv_strndup(buf, strlen(buf));
        return 0;
    bad_octal:
        snprintf(err, errlen, "argument couldn't be parsed as an octal number");
        return -1;
    }
    case KV_CT_ENUM:
        return kv_check_enum(d, v, n, canon, err, errlen);
    case KV_CT_STRING:
        /* Redis's isValidDBfilename / isValidAOFfilename / isValidAOFdirname */
        if ((memchr(v, '/', n) || memchr(v, '\\', n)) &&
            (!strcmp(d->name, "dbfilename") || !strcmp(d->name, "appendfilename") ||
             !strcmp(d->name, "appenddirname"))) {
            snprintf(err, errlen, "%s can't be a path, just a %s", d->name,
                     strcmp(d->name, "appenddirname") ? "filename" : "dirname");
            return -1;
        }
        *canon = kv_strndup(v, n);
        return 0;
    default:
        return kv_cfg_check_special(d->type, v, n, cur, canon, err, errlen);
    }
}

/* ------------------------------------------------------- argument lines */

static int kv_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* One word starting at line[*pos]; appends its bytes to w. 0, or -1 on
 * unbalanced quotes. */
static int kv_word(const char *line, size_t n, size_t *pos, char *w, size_t *wl)
{
    size_t p = *pos;
    int inq = 0, insq = 0;
    *wl = 0;
    for (;;) {
        if (inq) {
            if (p >= n)
                return -1;
            if (line[p] == '\\' && p + 3 < n && line[p + 1] == 'x' &&
                kv_hexval(line[p + 2]) >= 0 && kv_hexval(line[p + 3]) >= 0) {
                w[(*wl)++] = (char)(kv_hexval(line[p + 2]) * 16 + kv_hexval(line[p + 3]));
                p += 4;
                continue;
            }
            if (line[p] == '\\' && p + 1 < n) {
                char c = line[++p];
                w[(*wl)++] = c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t'
                           : c == 'b' ? '\b' : c == 'a' ? '\a' : c;
                p++;
                continue;
            }
            if (line[p] == '"') {
                /* The closing quote must end the word. */
                if (p + 1 < n && !isspace((unsigned char)line[p + 1]))
                    return -1;
                p++;
                break;
            }
            w[(*wl)++] = line[p++];
        } else if (insq) {
            if (p >= n)
                return -1;
            if (line[p] == '\\' && p + 1 < n && line[p + 1] == '\'') {
                w[(*wl)++] = '\'';
                p += 2;
                continue;
            }
            if (line[p] == '\'') {
                if (p + 1 < n && !isspace((unsigned char)line[p + 1]))
                    return -1;
                p++;
                break;
            }
            w[(*wl)++] = line[p++];
        } else {
            if (p >= n || isspace((unsigned char)line[p]) || line[p] == '\0')
                break;
            if (line[p] == '"')
                inq = 1;
            else if (line[p] == '\'')
                insq = 1;
            else
                w[(*wl)++] = line[p];
            p++;
        }
    }
    *pos = p;
    return 0;
}

int kv_cfg_splitargs(const char *line, size_t n, char ***out, size_t **lens)
{
    char **args = NULL, *w = malloc(n + 1);
    size_t *ls = NULL, pos = 0, wl;
    int argc = 0;
    if (!w)
        abort();
    for (;;) {
        while (pos < n && isspace((unsigned char)line[pos]))
            pos++;
        if (pos >= n || line[pos] == '\0')
            break;
        if (kv_word(line, n, &pos, w, &wl) < 0) {
            kv_cfg_freeargs(args, ls, argc);
            free(w);
            return -1;
        }
        args = realloc(args, (size_t)(argc + 1) * sizeof *args);
        ls = realloc(ls, (size_t)(argc + 1) * sizeof *ls);
        if (!args || !ls)
            abort();
        args[argc] = kv_strndup(w, wl);
        ls[argc++] = wl;
    }
    free(w);
    *out = args;
    *lens = ls;
    return argc;
}

void kv_cfg_freeargs(char **args, size_t *lens, int n)
{
    int i;
    for (i = 0; i < n; i++)
        free(args[i]);
    free(args);
    free(lens);
}
