/* src/lib/pool.c - include/rocket/pool.h's out-of-line part: setting a
 * pool up, items by address (the HTTP layer's areas, off the request's
 * path), and giving back the memory of the idle items.
 *
 * Follows madvise(2): MADV_DONTNEED on private anonymous memory drops the
 * pages at once (RSS falls) and the next touch reads zeros - unlike
 * MADV_FREE, which leaves RSS as it is until the kernel is short of memory.
 * Only whole pages inside an item are given back; the areas are sized in
 * whole pages so that is all of them.
 * Read next: src/engine/res.c.
 */
#include "rocket/pool.h"
#include "rocket/sys.h"
#include "rocket/util.h"

void rk_pool_init(struct rk_pool *p, uint32_t *stack, uint32_t n, void *mem, size_t size)
{
	/* Without memory (size 1) there is nothing to give back: no trim. */
	*p = (struct rk_pool){ .stack = stack, .mem = mem, .size = size, .n = n };
	p->keep = p->clean = (uint32_t)RK_MAX(RK_POOL_KEEP_BYTES / size, 4u);
}

void *rk_pool_take(struct rk_pool *p)
{
	uint32_t i = rk_pool_get(p);
	return i == RK_POOL_NONE ? 0 : rk_pool_addr(p, i);
}

void rk_pool_give(struct rk_pool *p, void *item)
{
	rk_pool_put(p, (uint32_t)((size_t)((uint8_t *)item - p->mem) / p->size));
}

/* Drop the whole pages of item i. */
static void rk_pool_advise(const struct rk_pool *p, uint32_t i)
{
	uintptr_t a = (uintptr_t)rk_pool_addr(p, i), b = a + p->size;
	a = (a + RK_PAGE - 1) & ~(uintptr_t)(RK_PAGE - 1);
	b &= ~(uintptr_t)(RK_PAGE - 1);
	if (b > a)
		sys_madvise((void *)a, b - a, MADV_DONTNEED);
}

void rk_pool_trim(struct rk_pool *p)
{
	/* stack[0, low) lay untouched since the last trim; of what was given
	 * back before, only what lies below low still is. */
	uint32_t low = p->low, from = RK_MAX(RK_MIN(p->clean, low), p->keep);
	p->low = p->nfree;
	if (low <= from) {
		p->clean = RK_MIN(p->clean, low);
		return;
	}
	p->clean = low;
	for (uint32_t k = from; k < low; k++)
		rk_pool_advise(p, p->stack[k]);
}
