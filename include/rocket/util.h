/* include/rocket/util.h - the few memory and byte-order helpers the server
 * needs, without libc. They expand to compiler builtins; in the libc-free
 * build the compiler's out-of-line calls land in src/rt/mem.c.
 * Read next: include/rocket/ring.h.
 */
#ifndef ROCKET_UTIL_H
#define ROCKET_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define rk_memcpy(d, s, n)  __builtin_memcpy((d), (s), (n))
#define rk_memmove(d, s, n) __builtin_memmove((d), (s), (n))
#define rk_memset(d, c, n)  __builtin_memset((d), (c), (n))
#define rk_memcmp(a, b, n)  __builtin_memcmp((a), (b), (n))

#define RK_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define RK_MIN(a, b)     ((a) < (b) ? (a) : (b))
#define RK_MAX(a, b)     ((a) > (b) ? (a) : (b))
/* A function that runs once or seldom (set-up, teardown, statistics) in a
 * file otherwise built for speed: built for size, never inlined into the
 * hot code around it (gcc's cold implies optimizing for size; clang needs
 * minsize said). */
#ifdef __clang__
#define RK_COLD __attribute__((cold, minsize, noinline))
#else
#define RK_COLD __attribute__((cold, noinline))
#endif
#define rk_likely(x)   __builtin_expect(!!(x), 1)
#define rk_unlikely(x) __builtin_expect(!!(x), 0)

static inline uint16_t rk_htons(uint16_t v)
{
	return (uint16_t)__builtin_bswap16(v); /* both targets are little-endian */
}

static inline size_t rk_strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

static inline int rk_streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

/* Round up to a power of two (v >= 1, v <= 2^31). */
static inline uint32_t rk_pow2_ceil(uint32_t v)
{
	return v <= 1 ? 1 : 1U << (32 - __builtin_clz(v - 1));
}

#endif
