/* src/rt/mem.c - memcpy, memmove, memset, memcmp for the libc-free build.
 *
 * Even with -ffreestanding the compiler emits calls to these four for struct
 * copies, large initialisers and rk_memcpy() & co (include/rocket/util.h);
 * the C standard (5.1.2.1) and GCC's manual ("-ffreestanding") require the
 * environment to provide them. Only linked into build/rocket.
 * Read next: src/rt/thread.c.
 */
#include <stddef.h>
#include <stdint.h>

/* Without this, GCC recognises the byte loops below as "a memset/memcpy"
 * and replaces them with a call to ... memset/memcpy: endless recursion.
 * Clang does not need it: -fno-builtin (and -ffreestanding) turn off its
 * loop-idiom pass for the whole file. */
#if defined(__GNUC__) && !defined(__clang__)
#define RT_MEM_FN __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define RT_MEM_FN
#endif

/* Word-sized access at any alignment: x86-64 and ARMv8 (on normal memory)
 * both allow unaligned loads and stores. may_alias lets a word read any type. */
typedef uint64_t __attribute__((may_alias, aligned(1))) rt_word;
#define RT_W sizeof(rt_word)

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

RT_MEM_FN void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	for (; n >= RT_W; n -= RT_W, d += RT_W, s += RT_W)
		*(rt_word *)d = *(const rt_word *)s;
	while (n--)
		*d++ = *s++;
	return dst;
}

RT_MEM_FN void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	/* Forward is safe when dst starts below src; otherwise copy from the
	 * end so no byte is overwritten before it is read. uintptr_t: the two
	 * pointers may point into different objects. */
	if ((uintptr_t)d <= (uintptr_t)s || (uintptr_t)d >= (uintptr_t)s + n) {
		for (; n >= RT_W; n -= RT_W, d += RT_W, s += RT_W)
			*(rt_word *)d = *(const rt_word *)s;
		while (n--)
			*d++ = *s++;
	} else {
		d += n;
		s += n;
		for (; n >= RT_W; n -= RT_W) {
			d -= RT_W;
			s -= RT_W;
			*(rt_word *)d = *(const rt_word *)s;
		}
		while (n--)
			*--d = *--s;
	}
	return dst;
}

RT_MEM_FN void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;
	uint64_t w = (unsigned char)c * 0x0101010101010101ULL;

	for (; n >= RT_W; n -= RT_W, d += RT_W)
		*(rt_word *)d = w;
	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}

RT_MEM_FN int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	/* Skip equal words, then find the first differing byte. */
	for (; n >= RT_W && *(const rt_word *)x == *(const rt_word *)y; n -= RT_W)
		x += RT_W, y += RT_W;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}
