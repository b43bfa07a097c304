/* include/rocket/pool.h - a pool of n items handed out LIFO: the engine's
 * connection slots, send chunks, queue entries and pieces, the HTTP
 * session's areas and access-log slots.
 *
 * Nothing is touched at start-up: items never used yet come from a
 * high-water index (`fresh`), so a pool of 16,384 costs no page until used.
 * Freed items go on a stack and the most recently freed goes out first, so
 * only as many stay resident as were busy at once. A pool with memory
 * (items of `size` bytes at `mem`, page-aligned) gives memory back when it
 * shrinks: rk_pool_trim(), once a second, drops the pages (madvise(2)
 * MADV_DONTNEED) of the items that lay at the bottom of the stack, unused,
 * for the whole second - all of them but the `keep` deepest. The stack's
 * bottom is exactly what LIFO leaves idle, so the trim looks at nothing
 * else. Read next: src/lib/pool.c.
 */
#ifndef ROCKET_POOL_H
#define ROCKET_POOL_H

#include <stddef.h>
#include <stdint.h>

#define RK_POOL_NONE 0xffffffffu
/* Bytes of idle items a trimmed pool keeps resident, for the next burst. */
#define RK_POOL_KEEP_BYTES (1u << 20)
#define RK_PAGE            4096u

struct rk_pool {
	uint32_t *stack; /* n slots; [0, nfree) holds the freed items */
	uint8_t *mem;    /* NULL: no memory to give back */
	size_t size;     /* bytes of one item at mem */
	uint32_t n, fresh, nfree;
	uint32_t low;   /* the fewest free since the last trim */
	uint32_t clean; /* stack[keep, clean) were given back and not used since */
	uint32_t keep;
};

/* mem NULL (and size 1): a pool of indexes only, never trimmed. */
void rk_pool_init(struct rk_pool *p, uint32_t *stack, uint32_t n, void *mem, size_t size);
/* Once a second: give back what lay idle (see above). */
void rk_pool_trim(struct rk_pool *p);

/* An item, or RK_POOL_NONE when all n are out. Inline, like put: a
 * request takes and gives back several (pieces, chunks, entries). */
static inline uint32_t rk_pool_get(struct rk_pool *p)
{
	if (!p->nfree)
		return p->fresh < p->n ? p->fresh++ : RK_POOL_NONE;
	if (--p->nfree < p->low)
		p->low = p->nfree;
	return p->stack[p->nfree];
}

static inline void rk_pool_put(struct rk_pool *p, uint32_t i)
{
	p->stack[p->nfree++] = i;
}

/* How many rk_pool_get() would still hand out. */
static inline uint32_t rk_pool_avail(const struct rk_pool *p)
{
	return p->nfree + p->n - p->fresh;
}

static inline void *rk_pool_addr(const struct rk_pool *p, uint32_t i)
{
	return p->mem + (size_t)i * p->size;
}

/* The same by address, for pools with memory: NULL when all are out. */
void *rk_pool_take(struct rk_pool *p);
void rk_pool_give(struct rk_pool *p, void *item);

#endif
