/* src/engine/conn.c - one connection's life on its reactor: the slot is
 * taken, the handler told, and at the end a close that waits for every
 * operation naming the slot before the socket is closed and the slot
 * reused.
 *
 * Follows io_uring_prep_cancel(3) (IORING_ASYNC_CANCEL_FD | _ALL) and
 * io_uring_prep_close(3). The close protocol: flush what was written
 * (unless aborting), cancel the socket's operations, wait until c->nops is
 * zero, give back pieces and queue entries, close, and only the CLOSE
 * completion frees the slot under a new generation.
 * Read next: src/engine/recv.c.
 */
#include "internal.h"
#include "rocket/sys.h"
#include "rocket/util.h"

struct rk_conn *rk_conn_open(struct rk_reactor *r, int fd)
{
	const struct rk_engine_config *cfg = &r->e->cfg;
	uint32_t slot = r->stopping ? RK_NONE : rk_pool_get(&r->slots);
	if (slot == RK_NONE) {
		/* Full (or stopping): refuse rather than queue. */
		sys_close(fd);
		r->st.rejected++;
		return 0;
	}
	struct rk_conn *c = &r->conns[slot];
	if (slot >= r->conn_hi)
		r->conn_hi = slot + 1;
	uint32_t gen = c->gen;
	void *app = r->app_mem ? r->app_mem + (size_t)slot * r->app_stride : 0;
	/* An entry for this slot may still sit in an after-batch queue (a
	 * nobufs wait can outlive its connection): keep the flags, so the
	 * entry serves the new occupant instead of a second one being pushed. */
	bool queued[RK_NQ];
	rk_memcpy(queued, c->queued, sizeof(queued));
	rk_memset(c, 0, sizeof(*c));
	rk_memcpy(c->queued, queued, sizeof(queued));
	c->r = r;
	c->h = &cfg->handler;
	c->ctx = cfg->handler.ctx;
	c->fd = fd;
	c->slot = slot;
	c->gen = gen;
	c->app = app;
	c->state = RK_CONN_OPEN;
	c->pend_head = c->pend_tail = c->held_head = RK_NONE;
	c->out_head = c->out_tail = c->zc_head = c->zc_tail = RK_NONE;
	if (cfg->app_state_size)
		rk_memset(app, 0, cfg->app_state_clear ? cfg->app_state_clear : cfg->app_state_size);
	r->nopen++;
	r->st.accepted++;
	/* The access log's host, asked now: once the socket is closing the
	 * kernel may no longer know the peer (getpeername(2): ENOTCONN). */
	if (cfg->log_fd >= 0)
		rk_conn_peer(c);

	if (cfg->handler.on_open && cfg->handler.on_open(c) < 0) {
		rk_conn_begin_close(c, RK_CLOSE_APP, true);
		return 0;
	}
	return c;
}

/* The peer closed and everything it sent has been handled and answered. */
void rk_conn_check_eof(struct rk_conn *c)
{
	if (c->state == RK_CONN_OPEN && c->eof && !c->npend && !c->nheld)
		rk_conn_begin_close(c, RK_CLOSE_EOF, false);
}

void rk_conn_begin_close(struct rk_conn *c, enum rk_close_reason why, bool abort)
{
	if (c->state != RK_CONN_OPEN) {
		if (abort)
			c->aborting = true;
		rk_conn_progress_close(c);
		return;
	}
	c->state = RK_CONN_CLOSING;
	c->why = (uint8_t)why;
	c->aborting = abort;
	/* A graceful close waits for the queue to drain: bounded, so a peer
	 * that never reads cannot hold the slot (the tick aborts it). */
	if (!abort && !c->deadline)
		rk_conn_set_timeout_ms(c, RK_CONN_LINGER_S * 1000);
	rk_pieces_drop(c);
	if (c->h->on_close)
		c->h->on_close(c, why);
	rk_conn_progress_close(c);
}

/* Step the close along; called again by every completion while closing. */
void rk_conn_progress_close(struct rk_conn *c)
{
	struct rk_reactor *r = c->r;
	if (c->state != RK_CONN_CLOSING || c->close_sent)
		return;
	if (!c->aborting && c->out_head != RK_NONE) {
		rk_res_defer(c, RK_Q_FLUSH); /* the queue drains first */
		return;
	}
	if ((c->recv_armed || c->send_busy) && !c->cancel_sent) {
		/* Cancel everything on this fd: the recv, and a send stuck on
		 * a peer that does not read. Its own CQE comes only if it
		 * fails (IOSQE_CQE_SKIP_SUCCESS), and then before the CLOSE's. */
		struct io_uring_sqe *sqe = rk_res_sqe(r);
		sqe->opcode = IORING_OP_ASYNC_CANCEL;
		sqe->fd = c->fd;
		sqe->cancel_flags = IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL;
		sqe->flags = IOSQE_CQE_SKIP_SUCCESS;
		sqe->user_data = rk_ud(RK_UD_CANCEL, c->slot, c->gen);
		c->cancel_sent = true;
	}
	if (c->nops > c->zc_pending)
		return; /* each completion calls us again */
	c->close_sent = true; /* before the drops: a done() may close again */
	rk_pieces_drop(c);
	rk_outq_drop(c);
	if (c->zc_pending) {
		/* Unsent ZC bytes are freed (and notified) only when the socket
		 * drops them: reset rather than linger. */
		struct rk_linger lg = { 1, 0 };
		sys_setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	struct io_uring_sqe *sqe = rk_res_sqe(r);
	sqe->opcode = IORING_OP_CLOSE;
	sqe->fd = c->fd;
	sqe->user_data = rk_ud(RK_UD_CLOSE, c->slot, c->gen);
	c->nops++;
}

static void rk_conn_free(struct rk_conn *c)
{
	struct rk_reactor *r = c->r;
	c->state = RK_CONN_FREE;
	c->fd = -1;
	c->gen = (c->gen + 1) & RK_UD_GEN_MASK;
	rk_pool_put(&r->slots, c->slot);
	r->nopen--;
	r->st.closed++;
}

/* A ZC notification after the CLOSE: the last one frees the slot. */
void rk_conn_zc_after_close(struct rk_conn *c)
{
	if (c->close_sent && c->fd < 0 && !c->nops)
		rk_conn_free(c);
}

void rk_conn_cancel_complete(struct rk_reactor *r, struct rk_conn *c,
			     const struct io_uring_cqe *cqe)
{
	/* A failed cancel (-ENOENT/-EALREADY): the ops end on their own. */
	(void)r, (void)c, (void)cqe;
}

void rk_conn_close_complete(struct rk_reactor *r, struct rk_conn *c,
			    const struct io_uring_cqe *cqe)
{
	/* A close can fail only for a bad fd - a bug worth counting, but the
	 * slot is free either way: nothing else names it any more. */
	if (cqe->res < 0)
		r->st.close_errors++;
	c->nops--;
	c->fd = -1;
	if (!c->nops)
		rk_conn_free(c);
}

/* The tick found this connection's deadline passed. */
void rk_conn_timeout_expired(struct rk_conn *c)
{
	c->deadline = 0;
	if (c->h->on_timeout)
		c->h->on_timeout(c);
	else
		rk_conn_begin_close(c, RK_CLOSE_TIMEOUT, true);
}

/* ---- the application's side ------------------------------------------------ */

void rk_conn_close(struct rk_conn *c)
{
	rk_conn_begin_close(c, RK_CLOSE_APP, false);
}

void rk_conn_abort(struct rk_conn *c)
{
	rk_conn_begin_close(c, RK_CLOSE_APP, true);
}

void rk_conn_set_timeout_ms(struct rk_conn *c, uint64_t ms)
{
	/* Stamped by the next tick (rk_reactor_tick): no clock read here. */
	c->deadline = -(int64_t)RK_MIN(ms, (uint64_t)1 << 62);
}

void rk_conn_set_handler(struct rk_conn *c, const struct rk_handler *h, void *ctx)
{
	c->h = h;
	c->ctx = ctx;
}

void *rk_conn_app(struct rk_conn *c)
{
	return c->app;
}

void *rk_conn_ctx(const struct rk_conn *c)
{
	return c->ctx;
}

void *rk_conn_reactor_state(struct rk_conn *c)
{
	return c->r->state;
}

uint32_t rk_conn_reactor_id(const struct rk_conn *c)
{
	return c->r->id;
}

void rk_conn_count_request(struct rk_conn *c, uint32_t n)
{
	c->r->st.requests += n;
}

uint64_t rk_conn_out_total(const struct rk_conn *c)
{
	return c->out_total;
}
