/* src/engine/conn.c - one connection's life on its reactor: the slot is
 * taken, the handler told, and at the end a close that frees the slot only
 * once no CQE can name it any more.
 *
 * Follows io_uring_prep_cancel(3) (IORING_ASYNC_CANCEL_FD | _ALL, and
 * _FD_FIXED for a direct descriptor), io_uring_prep_close(3) and
 * io_uring_prep_close_direct(3), and the link rules of io_uring_enter(2)
 * (IOSQE_IO_LINK / IOSQE_IO_HARDLINK). The close protocol: flush what was
 * written (unless aborting) - its last send carries the close along as a
 * link -, cancel the socket's operations and close it in one go (CANCEL
 * hard-linked to CLOSE), and free the slot under a new generation once
 * the CLOSE completed and c->nops, every operation still in flight, is
 * zero. A peer that closed first has no receive left to cancel: the CLOSE
 * goes alone. Zero-copy sends keep the older order (cancel, wait for all
 * but their notifications, then close with SO_LINGER {1, 0}).
 * Read next: src/engine/recv.c.
 */
#include "internal.h"
#include "rocket/sys.h"
#include "rocket/util.h"

/* A socket we will not serve: a regular fd is closed at once, a direct
 * descriptor through the ring (its CQE only if that fails). */
static void rk_conn_drop(struct rk_reactor *r, int fd, bool fixed)
{
	if (!fixed) {
		sys_close(fd);
		return;
	}
	struct io_uring_sqe *sqe = rk_res_sqe(r);
	sqe->opcode = IORING_OP_CLOSE;
	sqe->file_index = (uint32_t)fd + 1;
	sqe->flags = IOSQE_CQE_SKIP_SUCCESS;
	sqe->user_data = rk_ud(RK_UD_NEWCONN, 0, RK_NEWCONN_DROP);
	r->fixed_used--; /* back up if that CQE says it failed */
}

static void rk_conn_publish(struct rk_reactor *r)
{
	/* One writer (us); the acceptor reads it to pick a reactor. */
	atomic_store_explicit(&r->open_pub, r->nopen, memory_order_relaxed);
}

struct rk_conn *rk_conn_open(struct rk_reactor *r, int fd, bool fixed)
{
	const struct rk_engine_config *cfg = &r->e->cfg;
	uint32_t slot = r->stopping ? RK_NONE : rk_pool_get(&r->slots);
	if (slot == RK_NONE) {
		/* Full (or stopping): refuse rather than queue. */
		rk_conn_drop(r, fd, fixed);
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
	c->fixed = fixed;
	c->slot = slot;
	c->gen = gen;
	c->app = app;
	c->state = RK_CONN_OPEN;
	c->pend_head = c->pend_tail = c->held_head = RK_NONE;
	c->out_head = c->out_tail = c->zc_head = c->zc_tail = RK_NONE;
	if (cfg->app_state_size)
		rk_memset(app, 0,
			  cfg->app_state_clear ? cfg->app_state_clear : cfg->app_state_size);
	r->nopen++;
	rk_conn_publish(r);
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
		rk_conn_set_linger_ms(c, RK_CONN_LINGER_S * 1000);
	rk_pieces_drop(c);
	if (c->h->on_close)
		c->h->on_close(c, why);
	rk_conn_progress_close(c);
}

/* Cancel every operation on the socket (its CQE always comes: counted). */
static void rk_conn_cancel(struct rk_conn *c, uint8_t flags)
{
	struct io_uring_sqe *sqe = rk_res_sqe(c->r);
	sqe->opcode = IORING_OP_ASYNC_CANCEL;
	sqe->fd = c->fd;
	sqe->cancel_flags = IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL |
			    (c->fixed ? IORING_ASYNC_CANCEL_FD_FIXED : 0);
	sqe->flags = flags;
	sqe->user_data = rk_ud(RK_UD_CANCEL, c->slot, c->gen);
	c->nops++;
}

static void rk_conn_close_sqe(struct rk_conn *c)
{
	struct io_uring_sqe *sqe = rk_res_sqe(c->r);
	sqe->opcode = IORING_OP_CLOSE;
	if (c->fixed)
		sqe->file_index = (uint32_t)c->fd + 1; /* io_uring_prep_close_direct(3) */
	else
		sqe->fd = c->fd;
	sqe->user_data = rk_ud(RK_UD_CLOSE, c->slot, c->gen);
	c->close_sent = true;
	c->nops++;
}

/* Zero-copy: cancel, wait until only notifications are out, then close
 * with SO_LINGER {1, 0}: unsent ZC bytes are freed (and notified) only
 * when the socket drops them - reset rather than linger. (--send-zc keeps
 * regular fds: setsockopt needs one.) */
static void rk_conn_close_zc(struct rk_conn *c)
{
	if ((c->recv_armed || c->send_busy) && !c->cancel_sent) {
		c->cancel_sent = true;
		rk_conn_cancel(c, 0);
	}
	if (c->nops > c->zc_pending)
		return; /* each completion calls us again */
	if (c->zc_pending) {
		struct rk_linger lg = { 1, 0 };
		sys_setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	rk_conn_close_sqe(c);
}

bool rk_conn_finish_sqes(struct rk_conn *c, bool linked)
{
	if (c->close_sent)
		return false;
	/* A splice pair's send starts only when its fill is done
	 * (src/engine/splice.c): a cancel before that finds nothing, and the
	 * send could then wait for ever on a peer that does not read. Shut
	 * the write side first: any send on the socket, now or later, then
	 * fails at once (EPIPE). Before the zero-copy branch: its close
	 * cancels and waits for the splice the same way. */
	if (c->splice_out && c->shut_wr < RK_SHUT_SENT) {
		rk_shutdown_submit(c);
		return false; /* its CQE steps the close on */
	}
	if (c->r->send_zc || c->zc_sends) {
		rk_conn_close_zc(c);
		return false;
	}
	/* The handler's own operations may take the socket's slot only when
	 * they run (IOSQE_ASYNC, links), and so does a SPLICE into the socket
	 * (always in an io-wq worker, which looks the slot up as it starts;
	 * cancelling one that started but has not looked yet says -EALREADY):
	 * cancel them, and close once they have all ended, or they could act
	 * on the slot's next socket - another client's. */
	if (c->nuser || c->splice_out) {
		if (!c->cancel_sent && !linked) {
			c->cancel_sent = true;
			rk_conn_cancel(c, 0);
		}
		return false;
	}
	/* Something else may still run on the socket - the multishot recv, a
	 * send being aborted - holding the socket itself: cancel it all. A
	 * peer that closed first ended the recv already: nothing to cancel.
	 * HARDLINK: the CLOSE runs whatever the cancel found. */
	rk_res_sqe_room(c->r, 2);
	if (c->recv_armed || c->nops > (uint32_t)linked)
		rk_conn_cancel(c, IOSQE_IO_HARDLINK);
	rk_conn_close_sqe(c);
	c->close_linked = linked;
	return true;
}

/* The slot's last CQE is in: give everything back, reuse the slot. */
static void rk_conn_free(struct rk_conn *c)
{
	struct rk_reactor *r = c->r;
	/* FREE first: a done() the drops call may close again (a no-op now). */
	c->state = RK_CONN_FREE;
	rk_pieces_drop(c);
	rk_outq_drop(c);
	c->fd = -1;
	c->gen = (c->gen + 1) & RK_UD_GEN_MASK;
	rk_pool_put(&r->slots, c->slot);
	r->nopen--;
	rk_conn_publish(r);
	r->st.closed++;
}

/* Step the close along; called again by every completion while closing. */
void rk_conn_progress_close(struct rk_conn *c)
{
	if (c->state != RK_CONN_CLOSING)
		return;
	if (c->close_sent) {
		/* Aborted while the CLOSE waits behind a send that may never
		 * finish (a peer that does not read): cancel the send, the
		 * chain goes on. */
		if (c->aborting && c->close_linked && c->send_busy && !c->abort_cancel) {
			c->abort_cancel = true;
			rk_conn_cancel(c, 0);
		}
		if (c->close_done && !c->nops)
			rk_conn_free(c);
		return;
	}
	if (!c->aborting && c->out_head != RK_NONE) {
		rk_res_defer(c, RK_Q_FLUSH); /* the queue drains first */
		return;
	}
	/* A SHUTDOWN names the slot when io-wq runs it: close after it. */
	if (c->shut_wr == RK_SHUT_SENT)
		return;
	rk_conn_finish_sqes(c, false);
}

/* A ZC notification after the CLOSE: the last one frees the slot. */
void rk_conn_zc_after_close(struct rk_conn *c)
{
	rk_conn_progress_close(c);
}

void rk_conn_cancel_complete(struct rk_reactor *r, struct rk_conn *c,
			     const struct io_uring_cqe *cqe)
{
	/* -ENOENT/-EALREADY: nothing (more) to cancel, the ops end on their
	 * own; either way the CLOSE linked behind it runs. Tag 1: a paused
	 * receive's cancel (src/engine/recv.c), whose CQE comes only when it
	 * fails and is not counted. */
	(void)r;
	if (rk_ud_tagof(cqe->user_data) == 0)
		c->nops--;
	rk_conn_progress_close(c);
}

void rk_conn_close_complete(struct rk_reactor *r, struct rk_conn *c, const struct io_uring_cqe *cqe)
{
	/* A close can fail only for a bad fd - a bug worth counting, but
	 * nothing names the socket any more either way. */
	if (cqe->res < 0)
		r->st.close_errors++;
	else if (c->fixed)
		r->fixed_used--;
	c->nops--;
	c->close_done = true;
	rk_conn_progress_close(c);
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
	c->linger_ms = 0;
}

void rk_conn_set_linger_ms(struct rk_conn *c, uint64_t ms)
{
	ms = RK_MIN(ms, (uint64_t)UINT32_MAX);
	rk_conn_set_timeout_ms(c, ms);
	c->linger_ms = (uint32_t)ms; /* the tick moves the deadline on */
	c->linger_queued = c->queued_bytes;
}

int rk_conn_fd(const struct rk_conn *c, bool *fixed)
{
	*fixed = c->fixed;
	return c->fd;
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
