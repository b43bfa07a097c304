/* arch/x86_64/barrier.h - memory ordering for the shared rings on x86-64.
 *
 * x86-64 is TSO (Intel SDM vol. 3, 8.2.2): loads are not reordered with
 * other loads, stores are not reordered with other stores or with older
 * loads. The one reordering allowed: a load may pass an older store to a
 * different address. Hence:
 *   - load-acquire  = a plain load, then a compiler barrier (the CPU keeps
 *                     later accesses after it; the compiler must too);
 *   - store-release = a compiler barrier, then a plain store (earlier loads
 *                     and stores already stay before it);
 *   - full fence    = a locked instruction, ordering the earlier store before
 *                     the later load (the one reordering TSO allows).
 * The kernel's smp_load_acquire/smp_store_release/smp_mb
 * (arch/x86/include/asm/barrier.h) do exactly this.
 * Read next: arch/aarch64/syscall.h.
 */
#ifndef ROCKET_ARCH_X86_64_BARRIER_H
#define ROCKET_ARCH_X86_64_BARRIER_H

#include <stdint.h>

#define rk_compiler_barrier() __asm__ volatile("" ::: "memory")

static inline uint32_t rk_load_acquire_u32(const volatile uint32_t *p)
{
	uint32_t v = *p;
	rk_compiler_barrier();
	return v;
}

static inline void rk_store_release_u32(volatile uint32_t *p, uint32_t v)
{
	rk_compiler_barrier();
	*p = v;
}

static inline void rk_store_release_u16(volatile uint16_t *p, uint16_t v)
{
	rk_compiler_barrier();
	*p = v;
}

static inline uint16_t rk_load_acquire_u16(const volatile uint16_t *p)
{
	uint16_t v = *p;
	rk_compiler_barrier();
	return v;
}

/* A locked add to the stack top is as strong as mfence for ordinary memory
 * and cheaper on most cores; the kernel's smp_mb() does the same. */
static inline void rk_smp_mb(void)
{
	__asm__ volatile("lock; addl $0,-4(%%rsp)" ::: "memory", "cc");
}

/* Relaxed load of a word another thread (or the kernel) writes. */
static inline uint32_t rk_load_relaxed_u32(const volatile uint32_t *p)
{
	return *p;
}

#endif
