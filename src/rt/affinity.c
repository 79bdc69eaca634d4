/* CPU pinning and thread names (Linux: pthread_setaffinity_np, prctl);
 * elsewhere no-ops. Kept apart because it needs _GNU_SOURCE. The cpu list
 * format is Redis's *_cpulist one (util-linux's taskset): "0,2,3", "0,2-3",
 * "0-20:2" (a range with a stride). */
#if defined(__linux__)
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>
#endif
#include <ctype.h>
#include <stdlib.h>

#include "kevy/rt.h"

int kv_affinity_pin(int cpu);

/* A decimal number at *p (digits only), advancing *p; -1 if none. */
static long number(const char **p)
{
    long v = 0;
    if (!isdigit((unsigned char)**p))
        return -1;
    while (isdigit((unsigned char)**p)) {
        v = v * 10 + (**p - '0');
        if (v > 1L << 20)
            return -1;
        (*p)++;
    }
    return v;
}

int kv_cpulist_parse(const char *list, int *cpus, int max)
{
    const char *p = list;
    int n = 0;
    if (!p || !*p)
        return -1;
    for (;;) {
        long a = number(&p), b, step = 1;
        if (a < 0)
            return -1;
        b = a;
        if (*p == '-') {
            p++;
            if ((b = number(&p)) < 0)
                return -1;
            if (*p == ':') {
                p++;
                if ((step = number(&p)) <= 0)
                    return -1;
            }
        }
        if (a > b)
            return -1;
        for (; a <= b; a += step) {
            if (n < max)
                cpus[n] = (int)a;
            n++;
        }
        if (*p == '\0')
            return n;
        if (*p++ != ',')
            return -1;
    }
}

#if defined(__linux__)
static int apply(const int *cpus, int n)
{
    cpu_set_t set;
    int i;
    CPU_ZERO(&set);
    for (i = 0; i < n; i++)
        CPU_SET(cpus[i] % CPU_SETSIZE, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0 ? 0 : -1;
}

void kv_thread_name(const char *name)
{
    prctl(PR_SET_NAME, name, 0, 0, 0); /* at most 15 bytes are kept */
}
#else
static int apply(const int *cpus, int n)
{
    (void)cpus;
    (void)n;
    return 0;
}

void kv_thread_name(const char *name)
{
    (void)name;
}
#endif

int kv_affinity_pin(int cpu)
{
    return apply(&cpu, 1);
}

int kv_thread_set_cpus(const char *cpulist, int nth)
{
    int cpus[1024], n;
    if (!cpulist || !*cpulist)
        return 0;
    n = kv_cpulist_parse(cpulist, cpus, 1024);
    if (n <= 0) {
        kv_shard_log(NULL, 3, "Ignoring the malformed cpu list \"%s\"", cpulist);
        return -1;
    }
    if (n > 1024)
        n = 1024;
    if (nth >= 0)
        return apply(&cpus[nth % n], 1);
    return apply(cpus, n);
}
