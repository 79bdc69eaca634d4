/* Parameters with a value syntax of their own (save, bind,
 * client-output-buffer-limit, notify-keyspace-events, oom-score-adj-values,
 * latency-tracking-info-percentiles, dir, replicaof): Redis's checks, error
 * texts and canonical forms, as CONFIG GET prints them afterwards. */
#define _DEFAULT_SOURCE
#include "cmd/config/cfg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "kevy/resp.h"

int kv_cfg_check_special(int type, const char *v, size_t n, const char *cur, char **canon,
                         char *err, size_t errlen);

/* A growing canonical text. */
typedef struct kv_text {
    char *p;
    size_t len, cap;
} kv_text;

static void kv_text_add(kv_text *t, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void kv_text_add(kv_text *t, const char *fmt, ...)
{
    va_list ap;
    int k;
    for (;;) {
        va_start(ap, fmt);
        k = vsnprintf(t->p ? t->p + t->len : NULL, t->p ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (k < 0)
            abort();
        if (t->p && t->len + (size_t)k < t->cap)
            break;
        t->cap = t->cap * 2 + (size_t)k + 32;
        if (!(t->p = realloc(t->p, t->cap)))
            abort();
    }
    t->len += (size_t)k;
}

static char *kv_text_done(kv_text *t)
{
    if (!t->p)
        kv_text_add(t, "%s", "");
    return t->p;
}

/* Whole-word strtoll, as Redis checks these values (leading spaces and a
 * sign allowed by strtoll, nothing after the digits). */
static int kv_word_ll(const char *s, long long *v)
{
    char *end;
    errno = 0;
    *v = strtoll(s, &end, 10);
    return end != s && *end == '\0' && errno == 0 ? 0 : -1;
}

static int kv_fail(char *err, size_t errlen, const char *msg)
{
    snprintf(err, errlen, "%s", msg);
    return -1;
}

/* Redis checks save points with strtoll and "nothing after the digits":
 * "+2" and "0100" pass, an empty word reads 0. */
static long long kv_save_ll(const char *s, int *bad)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end)
        *bad = 1;
    return v;
}

static int kv_check_save(char **a, int argc, char **canon, char *err, size_t errlen)
{
    kv_text t = {NULL, 0, 0};
    long long v[2];
    int j;
    if (argc & 1)
        return kv_fail(err, errlen, "Invalid save parameters");
    for (j = 0; j < argc; j++) {
        int bad = 0;
        v[j & 1] = kv_save_ll(a[j], &bad);
        if (bad || ((j & 1) == 0 && v[0] < 1) || ((j & 1) == 1 && v[1] < 0))
            return kv_fail(err, errlen, "Invalid save parameters");
    }
    for (j = 0; j < argc; j += 2) {
        int bad = 0;
        v[0] = kv_save_ll(a[j], &bad);
        v[1] = kv_save_ll(a[j + 1], &bad);
        kv_text_add(&t, "%s%lld %d", j ? " " : "", v[0], (int)v[1]);
    }
    *canon = kv_text_done(&t);
    return 0;
}

/* Client classes in Redis's order; "replica" is another name of "slave". */
static const char *const kv_classes[3] = {"normal", "slave", "pubsub"};

static int kv_class_index(const char *name)
{
    if (!strcasecmp(name, "normal"))
        return 0;
    if (!strcasecmp(name, "slave") || !strcasecmp(name, "replica"))
        return 1;
    if (!strcasecmp(name, "pubsub"))
        return 2;
    return -1;
}

int kv_cfg_cobl_class(const char *canon, const char *cls, long long out[3])
{
    int want = kv_class_index(cls), k = 0;
    const char *p = canon;
    char name[16];
    long long h, s, secs;
    int used;
    while (sscanf(p, "%15s %lld %lld %lld%n", name, &h, &s, &secs, &used) == 4) {
        if (kv_class_index(name) == want) {
            out[0] = h;
            out[1] = s;
            out[2] = secs;
            return 0;
        }
        p += used;
        if (++k > 3)
            break;
    }
    return -1;
}

static int kv_check_cobl(char **a, int argc, const char *cur, char **canon, char *err,
                         size_t errlen)
{
    long long lim[3][3] = {{0, 0, 0}, {268435456, 67108864, 60}, {33554432, 8388608, 60}};
    kv_text t = {NULL, 0, 0};
    int j, k;
    if (argc % 4 != 0)
        return kv_fail(err, errlen, "Wrong number of arguments in buffer limit configuration.");
    for (k = 0; k < 3; k++)
        if (cur)
            kv_cfg_cobl_class(cur, kv_classes[k], lim[k]);
    /* Everything is checked before anything changes. */
    for (j = 0; j < argc; j += 4) {
        unsigned long long hard, soft;
        long long secs;
        int cls = kv_class_index(a[j]);
        if (cls < 0)
            return kv_fail(err, errlen,
                           "Invalid client class specified in buffer limit configuration.");
        if (kv_cfg_memtoull(a[j + 1], strlen(a[j + 1]), &hard) < 0 ||
            kv_cfg_memtoull(a[j + 2], strlen(a[j + 2]), &soft) < 0 ||
            !kv_str2ll(a[j + 3], strlen(a[j + 3]), &secs) || secs < 0)
            return kv_fail(err, errlen,
                           "Error in hard, soft or soft_seconds setting in buffer limit configuration.");
    }
    for (j = 0; j < argc; j += 4) {
        unsigned long long hard, soft;
        int cls = kv_class_index(a[j]);
        kv_cfg_memtoull(a[j + 1], strlen(a[j + 1]), &hard);
        kv_cfg_memtoull(a[j + 2], strlen(a[j + 2]), &soft);
        lim[cls][0] = (long long)hard;
        lim[cls][1] = (long long)soft;
        lim[cls][2] = strtoll(a[j + 3], NULL, 10);
    }
    for (k = 0; k < 3; k++)
        kv_text_add(&t, "%s%s %llu %llu %lld", k ? " " : "", kv_classes[k],
                    (unsigned long long)lim[k][0], (unsigned long long)lim[k][1], lim[k][2]);
    *canon = kv_text_done(&t);
    return 0;
}

/* notify-keyspace-events: Redis's flag letters in its order ('A' stands
 * for g$lshzxetd). 'n' is kept after 'A' here, though Redis does not print
 * it there (kv_cfg_shown): the class stays on, as in Redis. */
static int kv_check_notify(const char *v, size_t n, char **canon, char *err, size_t errlen)
{
    static const char order[] = "g$lshzxetdn";
    unsigned flags = 0;
    size_t i;
    kv_text t = {NULL, 0, 0};
    for (i = 0; i < n; i++) {
        const char *f = strchr(order, v[i]);
        if (v[i] == 'A')
            flags |= 0x3ffu; /* every class but 'n' */
        else if (v[i] == 'K')
            flags |= 1u << 12;
        else if (v[i] == 'E')
            flags |= 1u << 13;
        else if (v[i] == 'm')
            flags |= 1u << 14;
        else if (v[i] && f)
            flags |= 1u << (f - order);
        else
            return kv_fail(err, errlen, "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
    }
    if ((flags & 0x3ffu) == 0x3ffu) {
        kv_text_add(&t, "A");
        if (flags & (1u << 10))
            kv_text_add(&t, "n");
    } else {
        for (i = 0; order[i]; i++)
            if (flags & (1u << i))
                kv_text_add(&t, "%c", order[i]);
    }
    if (flags & (1u << 12))
        kv_text_add(&t, "K");
    if (flags & (1u << 13))
        kv_text_add(&t, "E");
    if (flags & (1u << 14))
        kv_text_add(&t, "m");
    *canon = kv_text_done(&t);
    return 0;
}

static int kv_check_oomvals(char **a, int argc, char **canon, char *err, size_t errlen)
{
    long long v[3];
    int j;
    kv_text t = {NULL, 0, 0};
    if (argc != 3)
        return kv_fail(err, errlen, "wrong number of arguments");
    for (j = 0; j < 3; j++)
        if (kv_word_ll(a[j], &v[j]) < 0 || v[j] < -2000 || v[j] > 2000)
            return kv_fail(err, errlen,
                           "Invalid oom-score-adj-values, elements must be between -2000 and 2000.");
    kv_text_add(&t, "%lld %lld %lld", v[0], v[1], v[2]);
    *canon = kv_text_done(&t);
    return 0;
}

static int kv_check_bind(char **a, int argc, char **canon, char *err, size_t errlen)
{
    kv_text t = {NULL, 0, 0};
    int j;
    if (argc > 16)
        return kv_fail(err, errlen, "Too many bind addresses specified.");
    for (j = 0; j < argc; j++) {
        const char *addr = a[j][0] == '-' ? a[j] + 1 : a[j];
        unsigned char buf[16];
        if (strcmp(addr, "*") && strcmp(addr, "::*") && inet_pton(AF_INET, addr, buf) != 1 &&
            inet_pton(AF_INET6, addr, buf) != 1) {
            free(t.p);
            return kv_fail(err, errlen, "Failed to bind to specified addresses.");
        }
        kv_text_add(&t, "%s%s", j ? " " : "", a[j]);
    }
    *canon = kv_text_done(&t);
    return 0;
}

static int kv_check_percentiles(char **a, int argc, char **canon, char *err, size_t errlen)
{
    kv_text t = {NULL, 0, 0};
    int j;
    for (j = 0; j < argc; j++) {
        char *end, buf[64];
        double d = strtod(a[j], &end);
        size_t len;
        if (end == a[j] || *end) {
            free(t.p);
            return kv_fail(err, errlen, "Invalid latency-tracking-info-percentiles parameters");
        }
        if (d < 0.0 || d > 100.0) {
            free(t.p);
            return kv_fail(err, errlen,
                           "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]");
        }
        /* %f without its trailing zeros: 50, 99.9, 99.999. */
        snprintf(buf, sizeof buf, "%f", d);
        len = strlen(buf);
        while (len > 0 && buf[len - 1] == '0')
            buf[--len] = '\0';
        if (len > 0 && buf[len - 1] == '.')
            buf[--len] = '\0';
        kv_text_add(&t, "%s%s", j ? " " : "", buf);
    }
    *canon = kv_text_done(&t);
    return 0;
}

static int kv_check_dir(const char *v, char **canon, char *err, size_t errlen)
{
    char path[PATH_MAX];
    struct stat st;
    if (!realpath(v, path) || stat(path, &st) != 0)
        return kv_fail(err, errlen, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return kv_fail(err, errlen, strerror(ENOTDIR));
    if (!(*canon = malloc(strlen(path) + 1)))
        abort();
    memcpy(*canon, path, strlen(path) + 1);
    return 0;
}

/* Redis splits these values on single spaces (sdssplitlen): "a  b" has an
 * empty word in the middle, which every parser below refuses; "" has none. */
static int kv_split_spaces(const char *v, size_t n, char ***out)
{
    char **a;
    int argc = 0;
    size_t start = 0, i;
    *out = NULL;
    if (n == 0)
        return 0;
    if (!(a = malloc((n + 1) * sizeof *a)))
        abort();
    for (i = 0; i <= n; i++) {
        if (i == n || v[i] == ' ') {
            if (!(a[argc] = malloc(i - start + 1)))
                abort();
            memcpy(a[argc], v + start, i - start);
            a[argc++][i - start] = '\0';
            start = i + 1;
        }
    }
    *out = a;
    return argc;
}

static void kv_free_words(char **a, int n)
{
    int i;
    for (i = 0; i < n; i++)
        free(a[i]);
    free(a);
}

int kv_cfg_check_special(int type, const char *v, size_t n, const char *cur, char **canon,
                         char *err, size_t errlen)
{
    char **a = NULL;
    int argc, rc = -1;
    if (type == KV_CT_NOTIFY)
        return kv_check_notify(v, n, canon, err, errlen);
    if (type == KV_CT_DIR) {
        char *s = malloc(n + 1);
        if (!s)
            abort();
        memcpy(s, v, n);
        s[n] = '\0';
        rc = kv_check_dir(s, canon, err, errlen);
        free(s);
        return rc;
    }
    argc = kv_split_spaces(v, n, &a);
    switch (type) {
    case KV_CT_SAVE:
        rc = kv_check_save(a, argc, canon, err, errlen);
        break;
    case KV_CT_COBL:
        rc = kv_check_cobl(a, argc, cur, canon, err, errlen);
        break;
    case KV_CT_OOMVALS:
        rc = kv_check_oomvals(a, argc, canon, err, errlen);
        break;
    case KV_CT_BIND:
        rc = kv_check_bind(a, argc, canon, err, errlen);
        break;
    case KV_CT_PERCENTILES:
        rc = kv_check_percentiles(a, argc, canon, err, errlen);
        break;
    case KV_CT_REPLICAOF:
        if (argc != 2) {
            rc = kv_fail(err, errlen, "wrong number of arguments");
        } else {
            kv_text t = {NULL, 0, 0};
            kv_text_add(&t, "%s %s", a[0], a[1]);
            *canon = kv_text_done(&t);
            rc = 0;
        }
        break;
    default:
        rc = kv_fail(err, errlen, "unsupported parameter");
        break;
    }
    kv_free_words(a, argc);
    return rc;
}
