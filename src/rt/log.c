/* Server log lines in Redis's format ("pid:M 25 Nov 2026 09:00:00.123 * msg")
 * so log-scraping tools written for Redis keep working. One write(2) per
 * line keeps lines from different shards whole. */
#include "rt/internal.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static void kv_vlog(const kv_rt *rt, int level, const char *fmt, va_list ap);

void kv_rt_log(const kv_rt *rt, int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kv_vlog(rt, level, fmt, ap);
    va_end(ap);
}

void kv_shard_log(const kv_shard *sh, int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kv_vlog(sh ? sh->rt : NULL, level, fmt, ap);
    va_end(ap);
}

static void kv_vlog(const kv_rt *rt, int level, const char *fmt, va_list ap)
{
    static const char marks[] = ".-*#";
    char line[1024];
    struct timeval tv;
    struct tm tm;
    int n, m;
    ssize_t rc;

    if (rt && level < rt->loglevel)
        return;
    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    n = snprintf(line, sizeof line, "%ld:M ", (long)getpid());
    n += (int)strftime(line + n, sizeof line - (size_t)n, "%d %b %Y %H:%M:%S", &tm);
    n += snprintf(line + n, sizeof line - (size_t)n, ".%03d %c ",
                  (int)(tv.tv_usec / 1000), marks[level & 3]);
    m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    if (m < 0)
        m = 0;
    n += m;
    if ((size_t)n > sizeof line - 2)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    rc = write(STDERR_FILENO, line, (size_t)n);
    (void)rc;
}
