/* Optional CPU pinning of shard threads (Linux's pthread_setaffinity_np);
 * elsewhere a no-op. Kept apart because it needs _GNU_SOURCE. */
#if defined(__linux__)
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>

int kv_affinity_pin(int cpu);

int kv_affinity_pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu % CPU_SETSIZE, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}
#else
int kv_affinity_pin(int cpu);

int kv_affinity_pin(int cpu)
{
    (void)cpu;
    return 0;
}
#endif
