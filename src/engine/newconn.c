/* src/engine/newconn.c - a socket handed over by the acceptor: its
 * IORING_OP_MSG_RING lands in this reactor's CQ (io_uring_prep_msg_ring(3),
 * io_uring_prep_msg_ring_fd(3)). With IORING_MSG_DATA res is a regular fd;
 * with IORING_MSG_SEND_FD the kernel has already installed the socket in
 * our fixed-file table and res is its slot. The connection opens and its
 * receive is armed. The same kind names the CLOSE of a socket we refused
 * (its CQE comes only if that close fails).
 * Read next: src/engine/accept.c.
 */
#include "internal.h"
#include "rocket/abi/linux.h"

void rk_newconn_complete(struct rk_reactor *r, struct rk_conn *c, const struct io_uring_cqe *cqe)
{
	uint32_t what = rk_ud_gen(cqe->user_data);
	if (what == RK_NEWCONN_DROP) {
		r->st.close_errors++;
		r->fixed_used++; /* the slot still holds it */
		return;
	}
	if (cqe->res < 0)
		return;
	r->fixed_used += what == RK_NEWCONN_FIXED;
	c = rk_conn_open(r, cqe->res, what == RK_NEWCONN_FIXED);
	/* Taken: the acceptor counts this one as arrived (least-loaded). */
	atomic_store_explicit(&r->taken_pub, (uint32_t)(r->st.accepted + r->st.rejected),
			      memory_order_relaxed);
	if (c && c->state == RK_CONN_OPEN)
		rk_recv_arm(c);
}
