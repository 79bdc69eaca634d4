/* The project's one atomics header. C99 has no <stdatomic.h>, so cross-thread
 * handoffs go through GCC/Clang __atomic builtins, named here by the ordering
 * they give. ThreadSanitizer understands these builtins, so every handoff that
 * uses them is visible to it; nothing else in kevy may touch shared memory. */
#ifndef KV_ATOMIC_H
#define KV_ATOMIC_H

#include <stddef.h>
#include <stdint.h>

#if !defined(__GNUC__) && !defined(__clang__)
#error "kevy needs GCC or Clang __atomic builtins"
#endif

/* Bytes per cache line; shared counters are padded to this to avoid false
 * sharing between a producer and a consumer. */
#define KV_CACHELINE 64

#define kv_atomic_load_relaxed(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define kv_atomic_load_acquire(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define kv_atomic_load_seqcst(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define kv_atomic_store_relaxed(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define kv_atomic_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define kv_atomic_store_seqcst(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define kv_atomic_exchange_seqcst(p, v) __atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)
#define kv_atomic_fetch_add_relaxed(p, v) __atomic_fetch_add((p), (v), __ATOMIC_RELAXED)
/* A reference count's drop: the last owner sees every other's writes. */
#define kv_atomic_fetch_sub_acqrel(p, v) __atomic_fetch_sub((p), (v), __ATOMIC_ACQ_REL)

/* A hint to the CPU inside a spin loop. */
static inline void kv_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __asm__ __volatile__("pause");
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

#endif
