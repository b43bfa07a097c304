/* src/ring/bufring.c - set up, register and read a provided-buffer ring.
 *
 * Follows io_uring_register_buf_ring(3) and io_uring/kbuf.c (how the kernel
 * selects, commits and, in incremental mode, partly consumes a buffer).
 * Read next: include/rocket/engine.h.
 */
#include "rocket/bufring.h"
#include "rocket/sys.h"
#include "rocket/util.h"

static void *rk_bufring_map(size_t len)
{
	return sys_mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
			-1, 0);
}

static size_t rk_page_round(size_t n)
{
	return (n + 4095) & ~(size_t)4095;
}

int rk_bufring_init(struct rk_bufring *b, struct rk_ring *r, uint16_t bgid, uint32_t count,
		    uint32_t size, unsigned flags)
{
	int ret;
	rk_memset(b, 0, sizeof(*b));
	/* The kernel wants a power of two, at most 2^15 entries. */
	if (!count || (count & (count - 1)) || count > 32768 || !size)
		return -EINVAL;
	b->count = count;
	b->size = size;
	b->mask = count - 1;
	b->bgid = bgid;

	/* The ring must be page aligned: mmap gives us that. */
	b->ring_len = rk_page_round(count * sizeof(struct io_uring_buf));
	b->br = rk_bufring_map(b->ring_len);
	if (rk_is_err(b->br)) {
		ret = rk_ptr_err(b->br);
		b->br = 0;
		goto fail;
	}
	b->mem_len = rk_page_round((size_t)count * size);
	b->base = rk_bufring_map(b->mem_len);
	if (rk_is_err(b->base)) {
		ret = rk_ptr_err(b->base);
		b->base = 0;
		goto fail;
	}

	struct io_uring_buf_reg reg = {
		.ring_addr = (uint64_t)(uintptr_t)b->br,
		.ring_entries = count,
		.bgid = bgid,
	};
	ret = -EINVAL;
	if (flags & RK_BUFRING_INC) {
		reg.flags = IOU_PBUF_RING_INC;
		ret = rk_ring_register(r, IORING_REGISTER_PBUF_RING, &reg, 1);
		b->incremental = ret == 0;
	}
	if (ret == -EINVAL) { /* no INC asked, or a kernel before 6.12 */
		reg.flags = 0;
		ret = rk_ring_register(r, IORING_REGISTER_PBUF_RING, &reg, 1);
	}
	if (ret < 0)
		goto fail;

	if (b->incremental) {
		b->inc_len = rk_page_round(count * sizeof(uint32_t));
		b->inc_off = rk_bufring_map(b->inc_len);
		if (rk_is_err(b->inc_off)) {
			ret = rk_ptr_err(b->inc_off);
			b->inc_off = 0;
			rk_bufring_exit(b, r);
			return ret;
		}
	}

	for (uint32_t i = 0; i < count; i++)
		rk_bufring_add(b, (uint16_t)i, (uint16_t)i);
	rk_bufring_publish(b, (uint16_t)count);
	return 0;
fail:
	rk_bufring_exit(b, 0);
	return ret;
}

void rk_bufring_exit(struct rk_bufring *b, struct rk_ring *r)
{
	if (r && r->fd >= 0 && b->br) {
		struct io_uring_buf_reg reg = { .bgid = b->bgid };
		rk_ring_register(r, IORING_UNREGISTER_PBUF_RING, &reg, 1);
	}
	if (b->inc_off)
		sys_munmap(b->inc_off, b->inc_len);
	if (b->base)
		sys_munmap(b->base, b->mem_len);
	if (b->br)
		sys_munmap(b->br, b->ring_len);
	rk_memset(b, 0, sizeof(*b));
}

int rk_bufring_consume(struct rk_bufring *b, const struct io_uring_cqe *cqe,
		       struct rk_buf_seg *segs, unsigned max)
{
	int bid = rk_cqe_bid(cqe);
	if (bid < 0 || (uint32_t)bid >= b->count || !max)
		return -EINVAL;
	uint32_t res = cqe->res > 0 ? (uint32_t)cqe->res : 0;

	if (b->incremental) {
		/* The kernel filled this buffer from where the last piece
		 * ended. F_BUF_MORE: it will keep filling it, so it is not
		 * ours to return yet; only then does its ring head move. */
		uint32_t off = b->inc_off[bid];
		bool more = cqe->flags & IORING_CQE_F_BUF_MORE;
		segs[0] = (struct rk_buf_seg){ rk_bufring_addr(b, (uint16_t)bid) + off, res,
					       (uint16_t)bid, !more };
		b->inc_off[bid] = off + res;
		if (!more)
			b->head++;
		return 1;
	}

	/* One buffer per CQE, or a bundle: res bytes over consecutive ring
	 * entries starting at the kernel's head, which b->head mirrors (each
	 * buffer is filled whole before the next, so ceil(res / size) of them).
	 * The entries between b->head and the kernel's head are not written
	 * again before we return those buffers, so they still name them. */
	unsigned n = 0;
	uint16_t cur = (uint16_t)bid;
	do {
		uint32_t len = RK_MIN(res, b->size);
		segs[n++] = (struct rk_buf_seg){ rk_bufring_addr(b, cur), len, cur, true };
		res -= len;
		b->head++;
		cur = b->br->bufs[b->head & b->mask].bid;
	} while (res && n < max);
	return (int)n;
}
