/* src/engine/newconn.c - a socket handed over by the acceptor: its
 * IORING_OP_MSG_RING lands in this reactor's CQ with res = the fd
 * (io_uring_prep_msg_ring(3)); the connection opens and its receive is
 * armed.
 * Read next: src/engine/reactor.c.
 */
#include "internal.h"
#include "rocket/abi/linux.h"

void rk_newconn_complete(struct rk_reactor *r, struct rk_conn *c, const struct io_uring_cqe *cqe)
{
	(void)c;
	if (cqe->res < 0)
		return;
	c = rk_conn_open(r, cqe->res);
	if (c && c->state == RK_CONN_OPEN)
		rk_recv_arm(c);
}
