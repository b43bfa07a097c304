/* arch/aarch64/barrier.h - memory ordering for the shared rings on aarch64.
 *
 * Arm is weakly ordered: without barriers, loads and stores to different
 * addresses may become visible in any order. ARMv8 gives one-way barriers
 * built into the access itself (Arm ARM, B2.3):
 *   - load-acquire  = LDAR: no later access is performed before it;
 *   - store-release = STLR: no earlier access is performed after it;
 *   - full fence    = DMB ISH: all earlier accesses before all later ones,
 *                     in the inner-shareable domain (all CPUs).
 * These match the kernel's smp_load_acquire/smp_store_release/smp_mb in
 * arch/arm64/include/asm/barrier.h.
 * Read next: include/rocket/sys.h.
 */
#ifndef ROCKET_ARCH_AARCH64_BARRIER_H
#define ROCKET_ARCH_AARCH64_BARRIER_H

#include <stdint.h>

#define rk_compiler_barrier() __asm__ volatile("" ::: "memory")

static inline uint32_t rk_load_acquire_u32(const volatile uint32_t *p)
{
	uint32_t v;
	__asm__ volatile("ldar %w0, %1" : "=r"(v) : "Q"(*p) : "memory");
	return v;
}

static inline void rk_store_release_u32(volatile uint32_t *p, uint32_t v)
{
	__asm__ volatile("stlr %w1, %0" : "=Q"(*p) : "r"(v) : "memory");
}

static inline uint16_t rk_load_acquire_u16(const volatile uint16_t *p)
{
	uint16_t v;
	__asm__ volatile("ldarh %w0, %1" : "=r"(v) : "Q"(*p) : "memory");
	return v;
}

static inline void rk_store_release_u16(volatile uint16_t *p, uint16_t v)
{
	__asm__ volatile("stlrh %w1, %0" : "=Q"(*p) : "r"(v) : "memory");
}

static inline void rk_smp_mb(void)
{
	__asm__ volatile("dmb ish" ::: "memory");
}

static inline uint32_t rk_load_relaxed_u32(const volatile uint32_t *p)
{
	return *p;
}

#endif
