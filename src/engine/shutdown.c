/* src/engine/shutdown.c - the first stage of a close: shutdown(2) of the
 * write side (SHUT_WR) once the output queue has drained, so the peer
 * reads EOF right after the last byte while the socket still receives.
 *
 * Follows io_uring_prep_shutdown(3) (IORING_OP_SHUTDOWN, 5.11) and
 * RFC 9112 §9.6 (staged close). rk_conn_shutdown_write() asks; send.c
 * submits once nothing is queued or in flight.
 * Read next: src/engine/log.c.
 */
#include "internal.h"
#include "rocket/abi/linux.h"

void rk_conn_shutdown_write(struct rk_conn *c)
{
	if (c->state != RK_CONN_OPEN || c->shut_wr)
		return;
	c->shut_wr = RK_SHUT_WANTED;
	rk_res_defer(c, RK_Q_FLUSH); /* send.c: now, or linked behind the last send */
}

void rk_shutdown_submit(struct rk_conn *c)
{
	struct io_uring_sqe *sqe = rk_res_sqe(c->r);
	sqe->opcode = IORING_OP_SHUTDOWN;
	rk_res_sqe_fd(sqe, c);
	sqe->len = SHUT_WR;
	sqe->user_data = rk_ud(RK_UD_SHUTDOWN, c->slot, c->gen);
	c->shut_wr = RK_SHUT_SENT;
	c->nops++;
}

void rk_shutdown_complete(struct rk_reactor *r, struct rk_conn *c, const struct io_uring_cqe *cqe)
{
	/* A failure (-ENOTCONN: the peer reset first) needs nothing here: the
	 * receive sees the end of the connection and closes it. */
	(void)r, (void)cqe;
	c->nops--;
	c->shut_wr = RK_SHUT_DONE;
	rk_conn_progress_close(c);
}
