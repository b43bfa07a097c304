/* src/ring/bufring.c - set up, register and read a provided-buffer ring.
 *
 * Follows io_uring_register_buf_ring(3) and io_uring/kbuf.c (how the kernel
 * selects, commits and, in incremental mode, partly consumes a buffer).
 * Read next: include/rocket/trace.h.
 */
#include "rocket/bufring.h"
#include "rocket/sys.h"
#include "rocket/util.h"

/* The ring and its bookkeeping are faulted in now (MAP_POPULATE); the
 * buffer memory is left to fault in on first use, so start-up stays fast
 * and an idle server keeps only the buffers it has actually used. */
static void *rk_bufring_map(size_t len, bool populate)
{
	return sys_mmap(0, len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | (populate ? MAP_POPULATE : 0), -1, 0);
}

static size_t rk_page_round(size_t n)
{
	return (n + 4095) & ~(size_t)4095;
}

RK_COLD int rk_bufring_init(struct rk_bufring *b, struct rk_ring *r, uint16_t bgid, uint32_t count,
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
	b->br = rk_bufring_map(b->ring_len, true);
	if (rk_is_err(b->br)) {
		ret = rk_ptr_err(b->br);
		b->br = 0;
		goto fail;
	}
	b->mem_len = rk_page_round((size_t)count * size);
	b->base = rk_bufring_map(b->mem_len, false);
	if (rk_is_err(b->base)) {
		ret = rk_ptr_err(b->base);
		b->base = 0;
		goto fail;
	}

	/* Per-buffer bookkeeping: the incremental offsets (used only when
	 * the kernel grants IOU_PBUF_RING_INC), the successor links and who
	 * holds each buffer. */
	b->meta_len = rk_page_round((size_t)count * (sizeof(uint32_t) + sizeof(uint16_t) + 1));
	uint32_t *meta = rk_bufring_map(b->meta_len, true);
	if (rk_is_err(meta)) {
		ret = rk_ptr_err(meta);
		goto fail;
	}
	b->next = (uint16_t *)(meta + count);
	b->kernel = (uint8_t *)(b->next + count);

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

	if (b->incremental)
		b->inc_off = meta;

	for (uint32_t i = 0; i < count; i++)
		rk_bufring_add(b, (uint16_t)i, (uint16_t)i);
	rk_bufring_publish(b, (uint16_t)count);
	return 0;
fail:
	rk_bufring_exit(b, 0);
	return ret;
}

RK_COLD void rk_bufring_exit(struct rk_bufring *b, struct rk_ring *r)
{
	if (r && r->fd >= 0 && b->br) {
		struct io_uring_buf_reg reg = { .bgid = b->bgid };
		rk_ring_register(r, IORING_UNREGISTER_PBUF_RING, &reg, 1);
	}
	if (b->next) /* the meta mapping starts count words before next */
		sys_munmap((uint32_t *)b->next - b->count, b->meta_len);
	if (b->base)
		sys_munmap(b->base, b->mem_len);
	if (b->br)
		sys_munmap(b->br, b->ring_len);
	rk_memset(b, 0, sizeof(*b));
}

int rk_bufring_return(struct rk_bufring *b, uint16_t bid)
{
	if (bid >= b->count || b->kernel[bid])
		return -EINVAL;
	rk_bufring_add(b, bid, 0);
	rk_bufring_publish(b, 1);
	b->n_returned++;
	return 0;
}

int rk_bufring_consume(struct rk_bufring *b, const struct io_uring_cqe *cqe,
		       struct rk_buf_seg *segs, unsigned max)
{
	int bid = rk_cqe_bid(cqe);
	if (bid < 0 || (uint32_t)bid >= b->count || !max)
		return -EINVAL;
	uint32_t res = cqe->res > 0 ? (uint32_t)cqe->res : 0;
	bool more = cqe->flags & IORING_CQE_F_BUF_MORE;

	/* The kernel hands out buffers in ring order. A bundle (6.10) covers
	 * res bytes over consecutive ring entries starting with the one the
	 * CQE names, each filled whole before the next: the buffers published
	 * after it, in the order next[] remembers. Those links stay valid
	 * until the CQE is consumed, as each buffer of the bundle is the
	 * kernel's until then and only a buffer given back gets a new link.
	 * Incremental mode (6.12): a buffer is filled from where its last
	 * piece ended (inc_off); the kernel lets go of it when it is full,
	 * and says with IORING_CQE_F_BUF_MORE that it keeps the last one.
	 * First find the pieces and check that the kernel holds every one of
	 * them; only then change anything. */
	unsigned n = 0;
	uint16_t cur = (uint16_t)bid;
	for (;;) {
		if (!b->kernel[cur])
			return -EINVAL;
		uint32_t off = b->inc_off ? b->inc_off[cur] : 0;
		uint32_t len = RK_MIN(res, b->size - off);
		res -= len;
		bool last = !res || n + 1 == max;
		bool done = true;
		if (b->inc_off) {
			/* A zero-byte completion (EOF) does not move the
			 * kernel's head in incremental mode (io_kbuf_inc_commit
			 * commits nothing) yet carries no BUF_MORE: the
			 * buffer is still in the ring, do not add it twice. */
			done = last ? !more && len : true;
		}
		segs[n++] = (struct rk_buf_seg){ rk_bufring_addr(b, cur) + off, len, cur, done };
		if (last)
			break;
		cur = b->next[cur];
	}
	for (unsigned i = 0; i < n; i++) {
		uint16_t id = segs[i].bid;
		if (b->inc_off)
			b->inc_off[id] =
				(uint32_t)(segs[i].p - rk_bufring_addr(b, id)) + segs[i].len;
		if (segs[i].last_use) {
			b->kernel[id] = 0;
			b->head++;
		}
	}
	return (int)n;
}
