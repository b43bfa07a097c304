/* src/engine/conn.c - one connection's life on its reactor: the multishot
 * recv and its buffers, delivery to the application, the send buffer, and
 * a close that waits for every completion naming the slot.
 *
 * Follows io_uring_prep_recv_multishot(3) (buffer selection, F_MORE, ENOBUFS)
 * and io_uring_prep_cancel(3). Read next: src/engine/acceptor.c.
 */
#include "internal.h"
#include "rocket/sys.h"
#include "rocket/util.h"

static void rk_q_push(uint32_t *q, uint32_t *n, bool *queued, uint32_t slot)
{
	if (*queued)
		return;
	*queued = true;
	q[(*n)++] = slot;
}

void rk_conn_open(struct rk_reactor *r, int fd)
{
	const struct rk_engine_config *cfg = &r->e->cfg;
	if (r->stopping || !r->nfree) {
		/* Full (or stopping): refuse rather than queue. */
		sys_close(fd);
		r->st.rejected++;
		return;
	}
	uint32_t slot = r->free_slots[--r->nfree];
	struct rk_conn *c = &r->conns[slot];
	uint32_t gen = c->gen;
	void *app = c->app;
	/* An entry for this slot may still sit in a queue (a nobufs wait can
	 * outlive its connection): keep the flags, so the entry serves the
	 * new occupant instead of a second one being pushed. */
	bool qf = c->queued_flush, qd = c->queued_deliver, qn = c->queued_nobufs;
	rk_memset(c, 0, sizeof(*c));
	c->queued_flush = qf;
	c->queued_deliver = qd;
	c->queued_nobufs = qn;
	c->r = r;
	c->fd = fd;
	c->slot = slot;
	c->gen = gen;
	c->app = app;
	c->state = RK_CONN_OPEN;
	c->pend_head = c->pend_tail = c->held_head = RK_NO_BID;
	if (cfg->app_state_size)
		rk_memset(app, 0, cfg->app_state_clear ? cfg->app_state_clear : cfg->app_state_size);
	r->nopen++;
	r->st.accepted++;

	if (cfg->handler.on_open && cfg->handler.on_open(c) < 0) {
		rk_conn_begin_close(c, RK_CLOSE_APP, true);
		return;
	}
	rk_conn_arm_recv(c);
}

void rk_conn_arm_recv(struct rk_conn *c)
{
	struct rk_reactor *r = c->r;
	struct io_uring_sqe *sqe = rk_reactor_sqe(r);
	sqe->opcode = IORING_OP_RECV;
	sqe->fd = c->fd;
	/* len 0: each CQE takes a whole buffer from the group. */
	sqe->ioprio = r->recv_ioprio;
	sqe->flags = IOSQE_BUFFER_SELECT;
	sqe->buf_group = r->bufs.bgid;
	sqe->user_data = rk_ud(RK_UD_RECV, c->slot, c->gen);
	c->recv_armed = true;
}

/* Give every buffer of a chain back to the kernel. */
static void rk_conn_return_chain(struct rk_reactor *r, uint16_t bid)
{
	while (bid != RK_NO_BID) {
		uint16_t next = r->bnext[bid];
		if (rk_trace_on(r->ring.trace))
			rk_trace_buf_return(r->ring.trace, bid, r->bufs.bgid);
		rk_bufring_return(&r->bufs, bid);
		bid = next;
	}
}

static void rk_conn_drop_buffers(struct rk_conn *c)
{
	rk_conn_return_chain(c->r, c->held_head);
	rk_conn_return_chain(c->r, c->pend_head);
	c->held_head = c->pend_head = c->pend_tail = RK_NO_BID;
	c->nheld = c->npend = 0;
}

/* The peer closed and everything it sent has been handled and answered. */
static void rk_conn_check_eof(struct rk_conn *c)
{
	if (c->state == RK_CONN_OPEN && c->eof && !c->npend && !c->nheld)
		rk_conn_begin_close(c, RK_CLOSE_EOF, false);
}

void rk_conn_on_recv(struct rk_conn *c, const struct io_uring_cqe *cqe)
{
	struct rk_reactor *r = c->r;
	bool more = cqe->flags & IORING_CQE_F_MORE;
	if (!more)
		c->recv_armed = false;
	r->st.recv_cqes++;

	if (cqe->flags & IORING_CQE_F_BUFFER) {
		struct rk_buf_seg *segs = r->pieces;
		int n = rk_bufring_consume(&r->bufs, cqe, segs, r->bufs.count);
		for (int i = 0; i < n; i++) {
			uint16_t bid = segs[i].bid;
			if (c->state != RK_CONN_OPEN || !segs[i].len) {
				rk_bufring_return(&r->bufs, bid);
				continue;
			}
			r->blen[bid] = segs[i].len;
			r->bnext[bid] = RK_NO_BID;
			if (c->pend_tail == RK_NO_BID)
				c->pend_head = bid;
			else
				r->bnext[c->pend_tail] = bid;
			c->pend_tail = bid;
			c->npend++;
		}
		if (cqe->res > 0) {
			r->st.bytes_in += (uint64_t)cqe->res;
			if (c->state == RK_CONN_OPEN && !c->nheld)
				rk_q_push(r->deliver_q, &r->ndeliver, &c->queued_deliver, c->slot);
		}
	}

	if (c->state != RK_CONN_OPEN) {
		rk_conn_progress_close(c);
		return;
	}
	if (cqe->res > 0) {
		/* The kernel may end a multishot recv while the peer is still
		 * there (e.g. its CQ overflowed): arm it again. */
		if (!more) {
			r->st.rearms++;
			rk_conn_arm_recv(c);
		}
	} else if (cqe->res == 0) {
		c->eof = true;
		rk_conn_check_eof(c);
	} else if (cqe->res == -EINVAL && r->recv_ioprio) {
		/* The kernel refused a flag: bundles (6.10), then multishot
		 * (6.0). Step down and try again; one-shot receives are
		 * re-armed after every CQE like an ended multishot. */
		if (r->recv_ioprio & IORING_RECVSEND_BUNDLE)
			r->recv_ioprio = IORING_RECV_MULTISHOT;
		else
			r->recv_ioprio = 0;
		rk_conn_arm_recv(c);
	} else if (cqe->res == -ENOBUFS) {
		/* Every buffer is out: held by applications or waiting for
		 * delivery. Not the peer's fault - re-arm once some return. */
		r->st.enobufs++;
		rk_q_push(r->nobufs_q, &r->nnobufs, &c->queued_nobufs, c->slot);
	} else if (!more) {
		rk_conn_begin_close(c, RK_CLOSE_ERROR, true);
	}
}

void rk_conn_deliver(struct rk_conn *c)
{
	struct rk_reactor *r = c->r;
	c->queued_deliver = false;
	if (c->state != RK_CONN_OPEN || c->nheld || !c->npend)
		return;
	/* Move the pending chain (up to RK_DELIVER_MAX) to held; hand it over. */
	unsigned n = 0;
	uint16_t bid = c->pend_head, last = RK_NO_BID;
	while (bid != RK_NO_BID && n < RK_DELIVER_MAX) {
		r->scratch[n++] = (struct rk_seg){ rk_bufring_addr(&r->bufs, bid), r->blen[bid] };
		last = bid;
		bid = r->bnext[bid];
	}
	r->bnext[last] = RK_NO_BID;
	c->held_head = c->pend_head;
	c->nheld = n;
	c->pend_head = bid;
	if (bid == RK_NO_BID)
		c->pend_tail = RK_NO_BID;
	c->npend -= n;
	r->e->cfg.handler.on_data(c, r->scratch, n);
}

unsigned rk_conn_held(struct rk_conn *c, struct rk_seg *out, unsigned max)
{
	struct rk_reactor *r = c->r;
	unsigned n = 0;
	for (uint16_t bid = c->held_head; bid != RK_NO_BID && n < max; bid = r->bnext[bid])
		out[n++] = (struct rk_seg){ rk_bufring_addr(&r->bufs, bid), r->blen[bid] };
	return n;
}

void rk_conn_release(struct rk_conn *c)
{
	struct rk_reactor *r = c->r;
	if (!c->nheld)
		return;
	rk_conn_return_chain(r, c->held_head);
	c->held_head = RK_NO_BID;
	c->nheld = 0;
	if (c->npend)
		rk_q_push(r->deliver_q, &r->ndeliver, &c->queued_deliver, c->slot);
	else
		rk_conn_check_eof(c);
}

static void rk_conn_sbuf_take(struct rk_conn *c)
{
	struct rk_reactor *r = c->r;
	/* One buffer per slot exists, so the pool is never empty here. */
	uint32_t i = r->sbuf_free[--r->nsbuf_free];
	c->sbuf = r->sbuf_mem + (size_t)i * r->e->cfg.send_buffer;
}

/* Give the drained send buffer back to the pool. */
static void rk_conn_sbuf_put(struct rk_conn *c)
{
	struct rk_reactor *r = c->r;
	if (!c->sbuf)
		return;
	r->sbuf_free[r->nsbuf_free++] =
		(uint32_t)((size_t)(c->sbuf - r->sbuf_mem) / r->e->cfg.send_buffer);
	c->sbuf = 0;
	c->soff = c->slen = 0;
}

uint32_t rk_conn_write_space(const struct rk_conn *c)
{
	if (!c->send_busy && c->soff == c->slen)
		return c->r->e->cfg.send_buffer;
	return c->r->e->cfg.send_buffer - c->slen;
}

long rk_conn_write(struct rk_conn *c, const void *p, size_t n)
{
	struct rk_seg v = { p, (uint32_t)RK_MIN(n, 0xffffffffu) };
	return rk_conn_writev(c, &v, 1);
}

long rk_conn_writev(struct rk_conn *c, const struct rk_seg *v, unsigned n)
{
	struct rk_reactor *r = c->r;
	uint32_t cap = r->e->cfg.send_buffer;
	if (c->state != RK_CONN_OPEN)
		return -EPIPE;
	if (!c->sbuf)
		rk_conn_sbuf_take(c);
	/* Slide unsent bytes to the front while nothing is in flight. */
	if (!c->send_busy && c->soff) {
		rk_memmove(c->sbuf, c->sbuf + c->soff, c->slen - c->soff);
		c->slen -= c->soff;
		c->soff = 0;
	}
	long total = 0;
	for (unsigned i = 0; i < n; i++) {
		uint32_t room = cap - c->slen;
		uint32_t take = RK_MIN(room, v[i].len);
		rk_memcpy(c->sbuf + c->slen, v[i].p, take);
		c->slen += take;
		total += take;
		if (take < v[i].len) {
			c->want_write = true;
			break;
		}
	}
	if (total)
		rk_q_push(r->flush_q, &r->nflush, &c->queued_flush, c->slot);
	else if (!c->slen && !c->send_busy)
		rk_conn_sbuf_put(c);
	return total;
}

void rk_conn_flush(struct rk_conn *c)
{
	struct rk_reactor *r = c->r;
	c->queued_flush = false;
	if (c->state == RK_CONN_FREE || c->send_busy || c->aborting || c->soff == c->slen)
		return;
	struct io_uring_sqe *sqe = rk_reactor_sqe(r);
	sqe->opcode = IORING_OP_SEND;
	sqe->fd = c->fd;
	sqe->addr = (uint64_t)(uintptr_t)(c->sbuf + c->soff);
	sqe->len = c->slen - c->soff;
	sqe->msg_flags = MSG_NOSIGNAL; /* a closed peer gives -EPIPE, not SIGPIPE */
	sqe->user_data = rk_ud(RK_UD_SEND, c->slot, c->gen);
	c->send_busy = true;
	r->st.sends++;
}

void rk_conn_on_send(struct rk_conn *c, int res)
{
	struct rk_reactor *r = c->r;
	c->send_busy = false;
	if (res < 0) {
		rk_conn_sbuf_put(c);
		if (c->state == RK_CONN_OPEN)
			rk_conn_begin_close(c, RK_CLOSE_ERROR, true);
		else
			rk_conn_progress_close(c);
		return;
	}
	r->st.bytes_out += (uint64_t)res;
	c->soff += (uint32_t)res;
	if (c->soff == c->slen)
		rk_conn_sbuf_put(c);
	else /* a short send: continue with the rest */
		rk_q_push(r->flush_q, &r->nflush, &c->queued_flush, c->slot);

	if (c->state != RK_CONN_OPEN) {
		rk_conn_progress_close(c);
		return;
	}
	if (c->want_write && rk_conn_write_space(c)) {
		c->want_write = false;
		if (r->e->cfg.handler.on_writable)
			r->e->cfg.handler.on_writable(c);
	}
}

void rk_conn_wait_writable(struct rk_conn *c)
{
	c->want_write = true;
}

void rk_conn_close(struct rk_conn *c)
{
	rk_conn_begin_close(c, RK_CLOSE_APP, false);
}

void rk_conn_abort(struct rk_conn *c)
{
	rk_conn_begin_close(c, RK_CLOSE_APP, true);
}

void rk_conn_begin_close(struct rk_conn *c, enum rk_close_reason why, bool abort)
{
	struct rk_reactor *r = c->r;
	if (c->state != RK_CONN_OPEN) {
		if (abort)
			c->aborting = true;
		rk_conn_progress_close(c);
		return;
	}
	c->state = RK_CONN_CLOSING;
	c->why = (uint8_t)why;
	c->aborting = abort;
	rk_conn_drop_buffers(c);
	if (r->e->cfg.handler.on_close)
		r->e->cfg.handler.on_close(c, why);
	rk_conn_progress_close(c);
}

/* Step the close along: flush what was written (unless aborting), cancel
 * the recv, wait for every op naming this slot, then close the fd. */
void rk_conn_progress_close(struct rk_conn *c)
{
	struct rk_reactor *r = c->r;
	if (c->state != RK_CONN_CLOSING || c->close_sent)
		return;
	if (!c->aborting && c->soff != c->slen) {
		if (!c->send_busy)
			rk_q_push(r->flush_q, &r->nflush, &c->queued_flush, c->slot);
		return;
	}
	if ((c->recv_armed || (c->aborting && c->send_busy)) && !c->cancel_sent) {
		/* Cancel everything on this fd: the recv, and a send stuck on
		 * a peer that does not read. Its own CQE comes only if it
		 * fails (IOSQE_CQE_SKIP_SUCCESS). */
		struct io_uring_sqe *sqe = rk_reactor_sqe(r);
		sqe->opcode = IORING_OP_ASYNC_CANCEL;
		sqe->fd = c->fd;
		sqe->cancel_flags = IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL;
		sqe->flags = IOSQE_CQE_SKIP_SUCCESS;
		sqe->user_data = rk_ud(RK_UD_CANCEL, c->slot, c->gen);
		c->cancel_sent = true;
	}
	if (c->recv_armed || c->send_busy)
		return;
	rk_conn_drop_buffers(c);
	struct io_uring_sqe *sqe = rk_reactor_sqe(r);
	sqe->opcode = IORING_OP_CLOSE;
	sqe->fd = c->fd;
	sqe->user_data = rk_ud(RK_UD_CLOSE, c->slot, c->gen);
	c->close_sent = true;
}

void rk_conn_on_close_done(struct rk_conn *c)
{
	struct rk_reactor *r = c->r;
	/* Every CQE naming this slot has now been reaped: reuse it, under a
	 * new generation. */
	c->state = RK_CONN_FREE;
	c->fd = -1;
	rk_conn_sbuf_put(c);
	c->gen = (c->gen + 1) & 0xffffff;
	r->free_slots[r->nfree++] = c->slot;
	r->nopen--;
	r->st.closed++;
}

void rk_conn_set_timeout(struct rk_conn *c, uint32_t secs)
{
	c->timeout_s = secs;
	c->deadline = secs ? c->r->now_mono + secs : 0;
}

void *rk_conn_app(struct rk_conn *c)
{
	return c->app;
}

void *rk_conn_ctx(const struct rk_conn *c)
{
	return c->r->e->cfg.handler.ctx;
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
