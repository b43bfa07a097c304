/* src/engine/res.c - a reactor's resources, lent to the connection code
 * above: SQEs, the after-batch queues, and LIFO pools of send chunks,
 * output-queue entries and received pieces; and the reference counts that
 * say when a provided buffer may go back to the kernel.
 *
 * The reactor owns all of it; connection files only ask through these
 * functions (they never index a pool or a queue themselves). A provided
 * buffer carries one reference for the kernel while it may still write it
 * (io_uring/kbuf.c: until the CQE that uses it up, which in incremental mode
 * is the one without IORING_CQE_F_BUF_MORE) and one per piece the engine
 * keeps; the last one to go returns it to the ring (io_uring_buf_ring_add(3)).
 * Read next: src/engine/pieces.c.
 */
#include "internal.h"
#include "rocket/sys.h"

/* An SQE. A full SQ is submitted (under SQPOLL: waited for in the kernel,
 * IORING_ENTER_SQ_WAIT) by rk_ring_get_sqe_wait(); only a persistent ring
 * error makes it give up, and then there is nothing better than to count
 * it and try again a millisecond later - a caller in the middle of a
 * completion cannot do without its SQE. */
struct io_uring_sqe *rk_res_sqe(struct rk_reactor *r)
{
	for (;;) {
		struct io_uring_sqe *sqe = rk_ring_get_sqe_wait(&r->ring);
		if (sqe)
			return sqe;
		r->st.submit_errors++;
		struct __kernel_timespec ms = { .tv_nsec = 1000 * 1000 };
		sys_nanosleep(&ms);
	}
}

void rk_res_cancel(struct rk_reactor *r, uint64_t target, uint64_t ud)
{
	struct io_uring_sqe *sqe = rk_res_sqe(r);
	sqe->opcode = IORING_OP_ASYNC_CANCEL;
	sqe->addr = target;
	sqe->flags = IOSQE_CQE_SKIP_SUCCESS;
	sqe->user_data = ud;
}

bool rk_res_sqe_room(struct rk_reactor *r, uint32_t n)
{
	return rk_ring_sq_room(&r->ring, n);
}

void rk_res_sqe_fd(struct io_uring_sqe *sqe, const struct rk_conn *c)
{
	sqe->fd = c->fd;
	if (c->fixed)
		sqe->flags |= IOSQE_FIXED_FILE;
}

/* Queue work for the end of this batch, once per connection and queue. */
void rk_res_defer(struct rk_conn *c, enum rk_q q)
{
	struct rk_reactor *r = c->r;
	if (c->queued[q])
		return;
	c->queued[q] = true;
	if (r->nq[q] == r->nconns) {
		/* Full of entries a pass under way has taken, whose slots a
		 * handler queued again: drop those. The entries not taken
		 * are of distinct slots, c not among them: room is made. */
		rk_res_stop(r, q);
	}
	r->q[q][r->nq[q]++] = c->slot;
}

uint32_t rk_res_next(struct rk_reactor *r, enum rk_q q)
{
	if (r->qpos[q] >= r->nq[q]) {
		r->nq[q] = r->qpos[q] = 0;
		return RK_NONE;
	}
	uint32_t slot = r->q[q][r->qpos[q]++];
	r->conns[slot].queued[q] = false;
	return slot;
}

void rk_res_stop(struct rk_reactor *r, enum rk_q q)
{
	uint32_t at = r->qpos[q], n = r->nq[q] - at;
	for (uint32_t i = 0; i < n; i++)
		r->q[q][i] = r->q[q][at + i];
	r->nq[q] = n;
	r->qpos[q] = 0;
}

bool rk_res_pending(const struct rk_reactor *r)
{
	return r->nq[RK_Q_DELIVER] || r->nq[RK_Q_FLUSH];
}

uint32_t rk_res_chunk_get(struct rk_reactor *r)
{
	return rk_pool_get(&r->chunks);
}

void rk_res_chunk_put(struct rk_reactor *r, uint32_t i)
{
	rk_pool_put(&r->chunks, i);
	/* A connection waits for a chunk: its flush (or writer) goes on. */
	if (r->nq[RK_Q_CHUNK]) {
		for (uint32_t k = 0; k < r->nq[RK_Q_CHUNK]; k++) {
			struct rk_conn *c = &r->conns[r->q[RK_Q_CHUNK][k]];
			c->queued[RK_Q_CHUNK] = false;
			rk_res_defer(c, RK_Q_FLUSH);
		}
		r->nq[RK_Q_CHUNK] = 0;
	}
}

uint8_t *rk_res_chunk_addr(const struct rk_reactor *r, uint32_t i)
{
	return rk_pool_addr(&r->chunks, i);
}

uint32_t rk_res_out_get(struct rk_reactor *r)
{
	return rk_pool_get(&r->outs_pool);
}

static void rk_res_wake_chunk(struct rk_reactor *r)
{
	for (uint32_t k = 0; k < r->nq[RK_Q_CHUNK]; k++) {
		struct rk_conn *c = &r->conns[r->q[RK_Q_CHUNK][k]];
		c->queued[RK_Q_CHUNK] = false;
		rk_res_defer(c, RK_Q_FLUSH);
	}
	r->nq[RK_Q_CHUNK] = 0;
}

void rk_res_out_put(struct rk_reactor *r, uint32_t i)
{
	rk_pool_put(&r->outs_pool, i);
	rk_res_wake_chunk(r);
}

uint32_t rk_res_piece_get(struct rk_reactor *r)
{
	return rk_pool_get(&r->pieces_pool);
}

void rk_res_piece_put(struct rk_reactor *r, uint32_t i)
{
	rk_pool_put(&r->pieces_pool, i);
}

void rk_res_buf_ref(struct rk_reactor *r, uint16_t bid)
{
	r->bref[bid]++;
}

void rk_res_buf_unref(struct rk_reactor *r, uint16_t bid)
{
	if (--r->bref[bid])
		return;
	/* Back in the ring, the kernel holds it again. */
	r->bref[bid] = 1;
	if (rk_trace_on(r->ring.trace))
		rk_trace_buf_return(r->ring.trace, bid, r->bufs.bgid);
	rk_bufring_return(&r->bufs, bid);
}
