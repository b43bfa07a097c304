/* src/engine/recv.c - a connection's receive: one multishot recv with
 * buffer selection, its completions turned into pieces, delivery to the
 * handler one read at a time, and the release that gives buffers back.
 *
 * Follows io_uring_prep_recv_multishot(3) (buffer selection, F_MORE,
 * ENOBUFS), io_uring_prep_cancel(3) for a pause, and io_uring/net.c for
 * when the kernel ends a multishot receive on its own. A connection holds
 * at most `share` pieces (pending + held): past that its receive is
 * cancelled until the handler has caught up, so a client that sends
 * without reading its answers cannot take every buffer of the reactor.
 * Read next: src/engine/send.c.
 */
#include "internal.h"
#include "rocket/abi/linux.h"
#include "rocket/util.h"

void rk_recv_arm(struct rk_conn *c)
{
	struct rk_reactor *r = c->r;
	struct io_uring_sqe *sqe = rk_res_sqe(r);
	sqe->opcode = IORING_OP_RECV;
	/* len 0: each CQE takes a whole buffer (or what is left of an
	 * incremental one) from the group. */
	sqe->ioprio = r->recv_ioprio & ~RK_RECV_LIM;
	if (r->recv_ioprio & RK_RECV_LIM) {
		/* The kernel goes on receiving (up to 32 buffers, then more
		 * after a requeue: io_uring/net.c) before our pause can land:
		 * a limit makes the multishot end once the share is filled. */
		uint32_t held = c->npend + c->nheld;
		uint64_t bytes =
			(uint64_t)(held < r->share ? r->share - held : 1) * r->e->cfg.buffer_size;
		sqe->optlen = (uint32_t)RK_MIN(bytes, 0x7fffffffu);
	}
	sqe->flags = IOSQE_BUFFER_SELECT;
	rk_res_sqe_fd(sqe, c);
	sqe->buf_group = r->bufs.bgid;
	sqe->user_data = rk_ud(RK_UD_RECV, c->slot, c->gen);
	c->recv_ioprio = r->recv_ioprio;
	c->recv_armed = true;
	c->nops++;
}

/* Held its share: cancel the receive (this one only, by user_data). Data
 * the kernel already took still arrives; the rest waits in the socket,
 * whose window then closes on the sender. */
static void rk_recv_pause(struct rk_conn *c)
{
	struct rk_reactor *r = c->r;
	if (c->recv_paused)
		return;
	c->recv_paused = true;
	r->st.recv_pauses++;
	if (!c->recv_armed)
		return; /* it just ended (a one-shot, a multishot without F_MORE): not re-armed */
	rk_res_cancel(r, rk_ud(RK_UD_RECV, c->slot, c->gen),
		      rk_ud_tag(RK_UD_CANCEL, c->slot, c->gen, 1)); /* not counted in nops */
}

/* Caught up: receive again if paused. */
static void rk_recv_resume(struct rk_conn *c)
{
	if (!c->recv_paused || c->npend + c->nheld >= (c->r->share + 1) / 2)
		return;
	c->recv_paused = false;
	if (c->state == RK_CONN_OPEN && !c->recv_armed && !c->eof)
		rk_recv_arm(c);
}

void rk_recv_complete(struct rk_reactor *r, struct rk_conn *c, const struct io_uring_cqe *cqe)
{
	bool more = cqe->flags & IORING_CQE_F_MORE;
	if (!more) {
		c->recv_armed = false;
		c->nops--;
	}
	r->st.recv_cqes++;

	if (cqe->flags & IORING_CQE_F_BUFFER) {
		int n = rk_bufring_consume(&r->bufs, cqe, r->segs, r->bufs.count);
		bool lost = n < 0;
		for (int i = 0; i < n; i++) {
			if (c->state != RK_CONN_OPEN)
				rk_pieces_discard(r, &r->segs[i]);
			else if (rk_pieces_add(c, &r->segs[i]) < 0)
				lost = true;
		}
		if (lost && c->state == RK_CONN_OPEN) {
			/* Data we could not keep: the stream has a hole, so the
			 * connection cannot go on (counted, never silent). */
			r->st.piece_overflow++;
			rk_conn_begin_close(c, RK_CLOSE_ERROR, true);
		}
		if (cqe->res > 0) {
			r->st.bytes_in += (uint64_t)cqe->res;
			if (c->state == RK_CONN_OPEN && !c->nheld)
				rk_res_defer(c, RK_Q_DELIVER);
		}
	}

	if (c->state != RK_CONN_OPEN) {
		rk_conn_progress_close(c);
		return;
	}
	/* Its share held - or the pool of pieces running low (1-byte pieces
	 * of incremental buffers can outnumber the buffers): pause, keeping
	 * the last quarter of the pool for connections that hold nothing. */
	uint32_t held = c->npend + c->nheld;
	if (held >= r->share || (held > 1 && rk_pool_avail(&r->pieces_pool) < r->pieces_pool.n / 4))
		rk_recv_pause(c);
	if (cqe->res > 0 || (cqe->res == -ECANCELED && !c->recv_paused)) {
		/* The kernel may end a multishot recv while the peer is still
		 * there (e.g. its CQ overflowed); a pause that was lifted
		 * before its cancel landed ends it too: arm it again. */
		if (!more && !c->recv_paused) {
			r->st.rearms++;
			rk_recv_arm(c);
		}
	} else if (cqe->res == 0) {
		c->eof = true;
		rk_conn_check_eof(c);
	} else if (cqe->res == -EINVAL && c->recv_ioprio) {
		/* The kernel refused a flag: the byte limit (6.16), bundles
		 * (6.10), then multishot (6.0). Step down - once, if several
		 * receives sent with the same flags are refused - and try
		 * again; one-shot receives are re-armed after every CQE like
		 * an ended multishot. */
		if (c->recv_ioprio == r->recv_ioprio) {
			if (r->recv_ioprio & RK_RECV_LIM)
				r->recv_ioprio &= (uint16_t)~RK_RECV_LIM;
			else
				r->recv_ioprio = (r->recv_ioprio & IORING_RECVSEND_BUNDLE)
							 ? IORING_RECV_MULTISHOT
							 : 0;
		}
		rk_recv_arm(c);
	} else if (cqe->res == -ENOBUFS) {
		/* Every buffer is out: held by applications or waiting for
		 * delivery. Not the peer's fault - re-arm once some return. */
		r->st.enobufs++;
		if (!more)
			rk_res_defer(c, RK_Q_NOBUFS);
	} else if (cqe->res != -ECANCELED && !more) {
		rk_conn_begin_close(c, RK_CLOSE_ERROR, true);
	}
}

static void rk_recv_deliver(struct rk_conn *c)
{
	struct rk_reactor *r = c->r;
	if (c->state != RK_CONN_OPEN || c->nheld || !c->npend)
		return;
	unsigned n = rk_pieces_deliver(c, r->scratch, RK_DELIVER_MAX);
	c->h->on_data(c, r->scratch, n);
}

/* Delivery (one batch's receives reach the handlers together), then the
 * receives ENOBUFS stopped, as far as the ring has buffers again. */
void rk_recv_after_batch(struct rk_reactor *r)
{
	uint32_t slot;
	while ((slot = rk_res_next(r, RK_Q_DELIVER)) != RK_NONE)
		rk_recv_deliver(&r->conns[slot]);
	uint32_t avail = (uint16_t)(r->bufs.tail - r->bufs.head);
	while (avail && (slot = rk_res_next(r, RK_Q_NOBUFS)) != RK_NONE) {
		struct rk_conn *c = &r->conns[slot];
		if (c->state != RK_CONN_OPEN || c->recv_armed || c->recv_paused || c->eof)
			continue;
		r->st.rearms++;
		rk_recv_arm(c);
		avail--;
	}
	if (!avail && r->nq[RK_Q_NOBUFS]) /* the others wait for more returns */
		rk_res_stop(r, RK_Q_NOBUFS);
}

/* ---- the application's side ------------------------------------------------ */

void rk_conn_release(struct rk_conn *c)
{
	if (!c->nheld)
		return;
	rk_pieces_release_held(c);
	if (c->npend)
		rk_res_defer(c, RK_Q_DELIVER);
	else
		rk_conn_check_eof(c);
	rk_recv_resume(c);
}

unsigned rk_conn_held(struct rk_conn *c, struct rk_seg *out, unsigned max)
{
	return rk_pieces_held(c, out, max);
}
