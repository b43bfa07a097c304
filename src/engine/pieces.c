/* src/engine/pieces.c - received data as chains of pieces: (buffer id,
 * offset, length), waiting for delivery (pend) or delivered and held by the
 * application until rk_conn_release() (held).
 *
 * Pieces rather than whole buffers, so that incremental buffers (6.12, one
 * buffer filled by several receives, possibly of several connections) and
 * bundles (6.10, one receive over several buffers) both work: a buffer goes
 * back to the ring after its last piece is released (src/engine/res.c
 * counts the references). Consecutive pieces of one buffer are merged, so
 * a connection receiving small segments into an incremental buffer holds
 * one piece, not one per segment.
 * Read next: src/engine/outq.c.
 */
#include "internal.h"
#include "rocket/abi/linux.h"

int rk_pieces_add(struct rk_conn *c, const struct rk_buf_seg *seg)
{
	struct rk_reactor *r = c->r;
	uint32_t off = (uint32_t)(seg->p - rk_bufring_addr(&r->bufs, seg->bid));
	int ret = 0;
	if (seg->len) {
		struct rk_piece *t = c->pend_tail != RK_NONE ? &r->pieces[c->pend_tail] : 0;
		if (t && t->bid == seg->bid && t->off + t->len == off) {
			t->len += seg->len;
		} else {
			uint32_t i = rk_res_piece_get(r);
			if (i == RK_NONE) {
				ret = -ENOBUFS;
			} else {
				r->pieces[i] =
					(struct rk_piece){ RK_NONE, off, seg->len, seg->bid };
				rk_res_buf_ref(r, seg->bid);
				if (t)
					t->next = i;
				else
					c->pend_head = i;
				c->pend_tail = i;
				c->npend++;
			}
		}
	}
	if (seg->last_use) /* the kernel is done writing it */
		rk_res_buf_unref(r, seg->bid);
	return ret;
}

void rk_pieces_discard(struct rk_reactor *r, const struct rk_buf_seg *seg)
{
	if (seg->last_use)
		rk_res_buf_unref(r, seg->bid);
}

static struct rk_seg rk_piece_seg(const struct rk_reactor *r, const struct rk_piece *p)
{
	return (struct rk_seg){ rk_bufring_addr(&r->bufs, p->bid) + p->off, p->len };
}

/* Move up to max pending pieces to held, writing them to out. */
unsigned rk_pieces_deliver(struct rk_conn *c, struct rk_seg *out, unsigned max)
{
	struct rk_reactor *r = c->r;
	unsigned n = 0;
	uint32_t i = c->pend_head, last = RK_NONE;
	while (i != RK_NONE && n < max) {
		out[n++] = rk_piece_seg(r, &r->pieces[i]);
		last = i;
		i = r->pieces[i].next;
	}
	if (!n)
		return 0;
	r->pieces[last].next = RK_NONE;
	c->held_head = c->pend_head;
	c->nheld = n;
	c->pend_head = i;
	if (i == RK_NONE)
		c->pend_tail = RK_NONE;
	c->npend -= n;
	return n;
}

unsigned rk_pieces_held(const struct rk_conn *c, struct rk_seg *out, unsigned max)
{
	const struct rk_reactor *r = c->r;
	unsigned n = 0;
	for (uint32_t i = c->held_head; i != RK_NONE && n < max; i = r->pieces[i].next)
		out[n++] = rk_piece_seg(r, &r->pieces[i]);
	return n;
}

static void rk_pieces_free_chain(struct rk_reactor *r, uint32_t i)
{
	while (i != RK_NONE) {
		uint32_t next = r->pieces[i].next;
		rk_res_buf_unref(r, r->pieces[i].bid);
		rk_res_piece_put(r, i);
		i = next;
	}
}

void rk_pieces_release_held(struct rk_conn *c)
{
	rk_pieces_free_chain(c->r, c->held_head);
	c->held_head = RK_NONE;
	c->nheld = 0;
}

void rk_pieces_drop(struct rk_conn *c)
{
	rk_pieces_release_held(c);
	rk_pieces_free_chain(c->r, c->pend_head);
	c->pend_head = c->pend_tail = RK_NONE;
	c->npend = 0;
}
