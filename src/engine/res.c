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

/* An SQE, zeroed: the SQ's next (inline here, one call for the caller),
 * or, the SQ full, one after a submit (under SQPOLL: waited for in the
 * kernel, IORING_ENTER_SQ_WAIT) by rk_ring_get_sqe_wait(); only a
 * persistent ring error makes that give up, and then there is nothing
 * better than to count it and try again a millisecond later - a caller in
 * the middle of a completion cannot do without its SQE. */
struct io_uring_sqe *rk_res_sqe(struct rk_reactor *r)
{
	struct io_uring_sqe *sqe = rk_ring_get_sqe(&r->ring);
	if (sqe)
		return sqe;
	for (;;) {
		sqe = rk_ring_get_sqe_wait(&r->ring);
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

void rk_res_queue(struct rk_conn *c, enum rk_q q)
{
	struct rk_reactor *r = c->r;
	c->queued[q] = true;
	if (r->nq[q] == r->nconns) {
		/* Full of entries a pass under way has taken, whose slots a
		 * handler queued again: drop those. The entries not taken
		 * are of distinct slots, c not among them: room is made. */
		rk_res_stop(r, q);
	}
	r->q[q][r->nq[q]++] = c->slot;
}

void rk_res_stop(struct rk_reactor *r, enum rk_q q)
{
	uint32_t at = r->qpos[q], n = r->nq[q] - at;
	for (uint32_t i = 0; i < n; i++)
		r->q[q][i] = r->q[q][at + i];
	r->nq[q] = n;
	r->qpos[q] = 0;
}

/* Chunks or queue entries came back: the connections that waited for
 * one flush (or write) again. */
void rk_res_wake_chunk(struct rk_reactor *r)
{
	for (uint32_t k = 0; k < r->nq[RK_Q_CHUNK]; k++) {
		struct rk_conn *c = &r->conns[r->q[RK_Q_CHUNK][k]];
		c->queued[RK_Q_CHUNK] = false;
		rk_res_defer(c, RK_Q_FLUSH);
	}
	r->nq[RK_Q_CHUNK] = 0;
}

void rk_res_buf_return(struct rk_reactor *r, uint16_t bid)
{
	/* Back in the ring, the kernel holds it again. */
	r->bref[bid] = 1;
	if (rk_trace_on(r->ring.trace))
		rk_trace_buf_return(r->ring.trace, bid, r->bufs.bgid);
	rk_bufring_return(&r->bufs, bid);
}
