/* include/rocket/bufring.h - a provided-buffer ring: the kernel picks the
 * buffer for each receive, we hand buffers back when we are done with them.
 *
 * Follows io_uring_register_buf_ring(3), io_uring_buf_ring_add(3) and
 * io_uring/kbuf.c. The ring is an array of io_uring_buf {addr, len, bid};
 * we are the producer (we write entries, then the tail with store-release),
 * the kernel the consumer (it moves its private head, which we never see).
 * A CQE with IORING_CQE_F_BUFFER names the buffer id it used.
 *
 * Two newer modes change what one CQE means:
 *   - bundles (IORING_RECVSEND_BUNDLE, 6.10): one CQE covers res bytes spread
 *     over consecutive ring entries, starting with the one the CQE names;
 *   - incremental (IOU_PBUF_RING_INC, 6.12): a buffer is filled in pieces;
 *     IORING_CQE_F_BUF_MORE says the kernel keeps using it, and the next
 *     piece starts where this one ended.
 * rk_bufring_consume() hides both: it turns a CQE into (pointer, length)
 * pieces with the buffer ids to give back.
 *
 * The ring entries themselves are no record of what the kernel holds: once
 * the kernel has taken an entry, a buffer given back may be written into
 * the same slot while completions that took the old one are still to be
 * read (several receives share one ring, their CQEs come in any order). So
 * we keep our own: which buffers are the kernel's, and for each buffer the
 * one published right after it (where a bundle that starts with it goes on).
 * Read next: src/ring/bufring.c.
 */
#ifndef ROCKET_BUFRING_H
#define ROCKET_BUFRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/io_uring.h"
#include "arch.h"
#include "ring.h"

#define RK_BUFRING_INC 1U /* ask for incremental consumption (6.12+) */

struct rk_bufring {
	struct io_uring_buf_ring *br; /* the shared ring (count entries) */
	uint8_t *base;                /* count * size bytes of buffer memory */
	uint32_t *inc_off;            /* incremental mode: bytes of each bid used */
	uint16_t *next;               /* per bid: the bid published right after it */
	uint8_t *kernel;              /* per bid: 1 while the kernel holds it */
	uint32_t count, size, mask;
	uint16_t bgid;    /* buffer group id, sqe->buf_group */
	uint16_t tail;    /* our tail, published by rk_bufring_publish */
	uint16_t last;    /* the bid published last (at tail - 1) */
	uint16_t head;    /* buffers the kernel let go of, as seen in
	                               * consumed CQEs: tail - head is how many
	                               * the ring still holds */
	bool incremental; /* the kernel granted IOU_PBUF_RING_INC */
	size_t ring_len, mem_len, meta_len;
	uint64_t n_returned; /* buffers given back */
};

/* One piece of received data. */
struct rk_buf_seg {
	const uint8_t *p;
	uint32_t len;
	uint16_t bid;
	bool last_use; /* return bid once done: the kernel no longer writes it */
};

/* Map `count` buffers of `size` bytes (count a power of two, at most 32768),
 * register the ring with group id bgid and add every buffer. With
 * RK_BUFRING_INC, asks for incremental consumption and falls back without
 * it on -EINVAL (b->incremental tells). Returns 0 or -errno. */
int rk_bufring_init(struct rk_bufring *b, struct rk_ring *r, uint16_t bgid, uint32_t count,
		    uint32_t size, unsigned flags);

/* Unregister (when r is still open) and unmap. */
void rk_bufring_exit(struct rk_bufring *b, struct rk_ring *r);

static inline uint8_t *rk_bufring_addr(const struct rk_bufring *b, uint16_t bid)
{
	return b->base + (size_t)bid * b->size;
}

/* Put buffer bid in the ring at tail + offset; not visible to the kernel
 * until rk_bufring_publish(), which must cover every offset from 0 up. */
static inline void rk_bufring_add(struct rk_bufring *b, uint16_t bid, uint16_t offset)
{
	uint16_t at = (uint16_t)(b->tail + offset);
	struct io_uring_buf *e = &b->br->bufs[at & b->mask];
	e->addr = (uint64_t)(uintptr_t)rk_bufring_addr(b, bid);
	e->len = b->size;
	e->bid = bid;
	if (b->inc_off)
		b->inc_off[bid] = 0;
}

/* Make the n buffers added at offsets 0..n-1 visible to the kernel. */
static inline void rk_bufring_publish(struct rk_bufring *b, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		/* Read back the bid just written: the kernel does not look at
		 * an entry past the tail, so nothing else wrote it. Link it
		 * after the one published before it: the kernel takes entries
		 * in ring order, so that is where a bundle goes on. */
		uint16_t bid = b->br->bufs[(uint16_t)(b->tail + i) & b->mask].bid;
		b->next[b->last] = bid;
		b->last = bid;
		b->kernel[bid] = 1;
	}
	b->tail = (uint16_t)(b->tail + n);
	/* Pairs with the kernel's smp_load_acquire(&br->tail) in
	 * io_ring_buffer_select()/io_ring_buffers_peek(): the entries written
	 * by rk_bufring_add() are complete before the kernel can use them. */
	rk_store_release_u16(&b->br->tail, b->tail);
}

/* Give one buffer back to the kernel. Returns 0, or -EINVAL when the
 * kernel holds it already (given back twice, or an incremental piece that
 * was not its buffer's last use): adding it again would let two receives
 * write into the same memory. */
int rk_bufring_return(struct rk_bufring *b, uint16_t bid);

/* Buffer id named by a CQE, or -1 when it carries none. */
static inline int rk_cqe_bid(const struct io_uring_cqe *cqe)
{
	if (!(cqe->flags & IORING_CQE_F_BUFFER))
		return -1;
	return (int)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
}

/* Turn a receive CQE that names a buffer into up to max pieces (more than
 * one only for a bundle; max = count is always enough). Every piece with
 * last_use must be handed back with rk_bufring_return() when the
 * application is done with it; a piece without it (incremental mode) stays
 * the kernel's, which will write the next piece after it. A CQE with
 * res <= 0 gives one empty piece. CQEs may be consumed in any order, also
 * after other buffers went back in between (the CQEs of one connection, in
 * incremental mode, in the order they came).
 * Returns the number of pieces, or -EINVAL (and changes nothing) if the CQE
 * names no buffer or one the kernel does not hold: consumed already, or
 * never given back since. */
int rk_bufring_consume(struct rk_bufring *b, const struct io_uring_cqe *cqe,
		       struct rk_buf_seg *segs, unsigned max);

#endif
