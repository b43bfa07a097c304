/* src/engine/user.c - operations a connection's handler submits itself
 * (an open, a stat, a read of its own, a connect...): the engine names
 * them in user_data with the connection's slot and generation and the
 * handler's tag, counts them in c->nops so the slot outlives them, and
 * hands each completion to the handler's on_op.
 * Read next: src/engine/shutdown.c.
 */
#include "internal.h"
#include "rocket/abi/linux.h"

struct io_uring_sqe *rk_conn_op_sqe(struct rk_conn *c, uint8_t tag)
{
	if (c->state != RK_CONN_OPEN)
		return 0;
	struct io_uring_sqe *sqe = rk_res_sqe(c->r);
	sqe->user_data = rk_ud_tag(RK_UD_USER, c->slot, c->gen, tag);
	c->nops++;
	c->nuser++;
	return sqe;
}

void rk_user_complete(struct rk_reactor *r, struct rk_conn *c, const struct io_uring_cqe *cqe)
{
	(void)r;
	if (!(cqe->flags & IORING_CQE_F_MORE)) {
		c->nops--;
		c->nuser--;
	}
	if (c->h->on_op)
		c->h->on_op(c, rk_ud_tagof(cqe->user_data), cqe->res, cqe->flags);
	rk_conn_progress_close(c);
}
