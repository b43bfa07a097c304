/* src/engine/send.c - draining a connection's output queue: one send in
 * flight per connection, SEND for one piece of memory, SENDMSG to gather
 * several, SEND_ZC / SENDMSG_ZC with --send-zc; and the application's
 * writes into the queue.
 *
 * Follows io_uring_prep_send(3), io_uring_prep_sendmsg(3) and
 * io_uring_prep_send_zc(3): a zero-copy send posts its result (with
 * IORING_CQE_F_MORE) and later a notification (IORING_CQE_F_NOTIF) once the
 * kernel no longer reads the memory; only then are its chunks reused.
 * File ranges are read into a chunk first (src/engine/file.c), or spliced
 * (src/engine/splice.c).
 * Read next: src/engine/file.c.
 */
#include "internal.h"
#include "rocket/abi/linux.h"
#include "rocket/util.h"

static void rk_send_writable(struct rk_conn *c)
{
	if (!c->want_write || c->state != RK_CONN_OPEN || c->copied > c->r->window / 2)
		return;
	if (rk_conn_write_space(c) < c->r->window / 2 || !rk_pool_avail(&c->r->outs_pool)) {
		/* Below the window, but the free chunks hold less than half of
		 * it, or no queue entry is free: wait (rk_res_chunk_put queues
		 * the flush that calls us again), rather than be told now and
		 * ask again, for ever, within one batch - a writer that needs a
		 * response head and its reserve would, with any less. */
		rk_res_defer(c, RK_Q_CHUNK);
		return;
	}
	c->want_write = false;
	if (c->h->on_writable)
		c->h->on_writable(c);
}

static bool rk_send_idle(const struct rk_conn *c)
{
	return !(c->state == RK_CONN_FREE || c->send_busy || c->file_busy || c->close_sent ||
		 (c->aborting && c->state == RK_CONN_CLOSING));
}

/* Does the connection's queue end with this send, and is the socket to be
 * shut down or closed right after it? Then the SHUTDOWN (IOSQE_IO_LINK) or
 * the CANCEL + CLOSE (IOSQE_IO_HARDLINK: the close happens even if the
 * send fails) follow as links, in the same submission: no round through
 * this loop for the send's CQE first. MSG_WAITALL makes the kernel finish
 * a short send itself, so the link never runs after half a response. Not
 * with SEND_ZC (its close keeps the older order, src/engine/conn.c). */
static bool rk_send_last(const struct rk_conn *c, uint32_t after)
{
	if (after != RK_NONE || c->r->send_zc)
		return false;
	if (c->state == RK_CONN_CLOSING)
		return !c->aborting && !c->nuser && c->shut_wr != RK_SHUT_SENT && !c->zc_sends;
	return c->shut_wr == RK_SHUT_WANTED;
}

/* Send what the head of the queue holds in memory, gathered; the writer
 * waiting for room first, so what it adds goes out in the same send. */
static void rk_send_flush(struct rk_conn *c)
{
	struct rk_reactor *r = c->r;
	if (!rk_send_idle(c))
		return;
	rk_send_writable(c);
	if (!rk_send_idle(c)) /* it aborted */
		return;
	if (c->out_head == RK_NONE) {
		if (c->shut_wr == RK_SHUT_WANTED && c->state == RK_CONN_OPEN)
			rk_shutdown_submit(c); /* the last byte is out */
		rk_conn_progress_close(c);
		return;
	}
	const struct rk_out *h = &r->outs[c->out_head];
	if (h->kind == RK_OUT_FILE) {
		if (!rk_splice_start(c))
			rk_file_read(c, RK_NONE);
		return;
	}
	/* Copied bytes (a response head) and then a file: read its first
	 * chunk first, so both go in one send - not a lone head segment (a
	 * range spliced goes after the head's own send). */
	if (h->kind == RK_OUT_COPY && h->next != RK_NONE && r->outs[h->next].kind == RK_OUT_FILE &&
	    !rk_splice_wanted(c, &r->outs[h->next])) {
		rk_file_read(c, c->out_head);
		return;
	}
	/* One piece (the usual: a batch's answers are copied into one chunk)
	 * is a SEND straight from the entry, no msghdr touched; several are
	 * gathered into the connection's. i: the entry after those sent. */
	struct rk_sendmsg *m = 0;
	unsigned n = 0;
	uint32_t i;
	bool one =
		h->next == RK_NONE || r->outs[h->next].kind == RK_OUT_FILE || h->len > RK_SEND_MAX;
	if (one) {
		i = h->len > RK_SEND_MAX ? c->out_head : h->next;
	} else {
		m = c->msg = rk_pool_take(&r->msgs); /* one per connection at most */
		for (i = c->out_head; i != RK_NONE && n < RK_SEND_IOV; i = r->outs[i].next) {
			const struct rk_out *o = &r->outs[i];
			if (o->kind == RK_OUT_FILE)
				break;
			m->iov[n].iov_base = (void *)o->p;
			m->iov[n++].iov_len = o->len < RK_SEND_MAX ? o->len : RK_SEND_MAX;
			if (o->len > RK_SEND_MAX)
				break;
		}
	}
	bool last = rk_send_last(c, i) && rk_res_sqe_room(r, 3);
	struct io_uring_sqe *sqe = rk_res_sqe(r);
	rk_res_sqe_fd(sqe, c);
	sqe->msg_flags = MSG_NOSIGNAL; /* a closed peer gives -EPIPE, not SIGPIPE */
	if (one) {
		sqe->opcode = r->send_zc ? IORING_OP_SEND_ZC : IORING_OP_SEND;
		sqe->addr = (uint64_t)(uintptr_t)h->p;
		sqe->len = (uint32_t)(h->len < RK_SEND_MAX ? h->len : RK_SEND_MAX);
	} else {
		m->msg = (struct rk_user_msghdr){ .msg_iov = m->iov, .msg_iovlen = n };
		sqe->opcode = r->send_zc ? IORING_OP_SENDMSG_ZC : IORING_OP_SENDMSG;
		sqe->addr = (uint64_t)(uintptr_t)&m->msg;
		sqe->len = 1;
	}
	sqe->user_data = rk_ud(RK_UD_SEND, c->slot, c->gen);
	c->send_busy = true;
	c->nops++;
	r->st.sends++;
	if (!last)
		return;
	sqe->msg_flags |= MSG_WAITALL;
	if (c->state == RK_CONN_OPEN) {
		sqe->flags |= IOSQE_IO_LINK;
		rk_shutdown_submit(c);
	} else {
		sqe->flags |= IOSQE_IO_HARDLINK;
		rk_conn_finish_sqes(c, true);
	}
}

void rk_send_complete(struct rk_reactor *r, struct rk_conn *c, const struct io_uring_cqe *cqe)
{
	if (cqe->flags & IORING_CQE_F_NOTIF) {
		/* The kernel is done with a zero-copy send's memory. */
		r->st.zc_notifs++;
		c->nops--;
		c->zc_pending--;
		rk_outq_zc_done(c, ++c->zc_notified);
		if (c->state == RK_CONN_OPEN) {
			rk_send_writable(c); /* its bytes left the window */
			return;
		}
		rk_conn_progress_close(c);
		rk_conn_zc_after_close(c);
		return;
	}
	bool zc = cqe->flags & IORING_CQE_F_MORE; /* a notification follows */
	c->send_busy = false;
	if (c->msg) { /* the kernel copied it at the send's start */
		rk_pool_give(&r->msgs, c->msg);
		c->msg = 0;
	}
	if (zc) {
		c->zc_pending++;
		c->zc_sends++;
	} else
		c->nops--;
	if (cqe->res < 0) {
		if ((cqe->res == -EINVAL || cqe->res == -EOPNOTSUPP) && r->send_zc) {
			/* No zero-copy here (before 6.0, or this socket): plain
			 * sends from now on, and this one again. */
			r->send_zc = false;
			rk_res_defer(c, RK_Q_FLUSH);
			return;
		}
		if (c->state == RK_CONN_OPEN)
			rk_conn_begin_close(c, RK_CLOSE_ERROR, true);
		else {
			c->aborting = true;
			rk_conn_progress_close(c);
		}
		return;
	}
	r->st.bytes_out += (uint64_t)cqe->res;
	rk_outq_consume(c, (uint64_t)cqe->res, zc ? c->zc_sends : 0);
	/* The rest, a short send's remainder, or the shutdown it waited for. */
	if (c->out_head != RK_NONE || c->shut_wr == RK_SHUT_WANTED)
		rk_res_defer(c, RK_Q_FLUSH);
	if (c->state != RK_CONN_OPEN) {
		rk_conn_progress_close(c);
		return;
	}
	/* The writer goes on at the end of the batch, not now: the chunks
	 * this send freed go first to the connections that waited for one
	 * (rk_res_chunk_put queued them ahead of us), else a writer that
	 * always finds room again would keep them for ever. */
	if (c->want_write)
		rk_res_defer(c, RK_Q_FLUSH);
}

/* One send per connection for everything the batch wrote. */
void rk_send_after_batch(struct rk_reactor *r)
{
	uint32_t slot;
	while ((slot = rk_res_next(r, RK_Q_FLUSH)) != RK_NONE)
		rk_send_flush(&r->conns[slot]);
}

/* ---- the application's side ------------------------------------------------ */

uint32_t rk_conn_write_space(const struct rk_conn *c)
{
	const struct rk_reactor *r = c->r;
	if (c->state != RK_CONN_OPEN || c->copied >= r->window)
		return 0;
	/* What the window allows, and what the tail's chunk and the free
	 * chunks can hold. */
	uint64_t room = r->window - c->copied,
		 fits = (uint64_t)rk_pool_avail(&r->chunks) * r->e->cfg.send_buffer;
	if (c->out_tail != RK_NONE && r->outs[c->out_tail].kind == RK_OUT_COPY) {
		const struct rk_out *o = &r->outs[c->out_tail];
		fits += (uint64_t)(rk_res_chunk_addr(r, o->chunk) + r->e->cfg.send_buffer -
				   (o->p + o->len));
	}
	return (uint32_t)RK_MIN(room, fits);
}

uint64_t rk_conn_queued(const struct rk_conn *c)
{
	return c->queued_bytes;
}

/* Copy up to n bytes into the queue's tail chunk, taking a new one as
 * needed. Returns the bytes taken. */
__attribute__((noinline)) static uint32_t rk_conn_copy(struct rk_conn *c, const uint8_t *p,
						       uint32_t n)
{
	struct rk_reactor *r = c->r;
	uint32_t size = r->e->cfg.send_buffer, done = 0;
	while (done < n && c->copied < r->window) {
		struct rk_out *o = c->out_tail != RK_NONE ? &r->outs[c->out_tail] : 0;
		uint8_t *end = 0, *lim = 0;
		if (o && o->kind == RK_OUT_COPY) {
			end = (uint8_t *)(o->p + o->len);
			lim = rk_res_chunk_addr(r, o->chunk) + size;
		}
		if (end == lim) {
			/* No tail chunk with room: a new entry and chunk. */
			uint32_t k = rk_res_chunk_get(r);
			if (k == RK_NONE) {
				r->st.out_waits++;
				rk_res_defer(c, RK_Q_CHUNK);
				break;
			}
			uint32_t i = rk_outq_push(c, RK_OUT_COPY);
			if (i == RK_NONE) {
				rk_res_chunk_put(r, k);
				r->st.out_waits++;
				break;
			}
			o = &r->outs[i];
			o->chunk = k;
			o->p = end = rk_res_chunk_addr(r, k);
			lim = end + size;
		}
		uint32_t take = RK_MIN(n - done, (uint32_t)(lim - end));
		take = RK_MIN(take, r->window - c->copied);
		rk_memcpy(end, p + done, take);
		o->len += take;
		c->copied += take;
		c->queued_bytes += take;
		done += take;
	}
	return done;
}

long rk_conn_writev(struct rk_conn *c, const struct rk_seg *v, unsigned n)
{
	if (c->state != RK_CONN_OPEN || c->shut_wr)
		return -EPIPE;
	long total = 0;
	for (unsigned i = 0; i < n; i++) {
		uint32_t took = rk_conn_copy(c, v[i].p, v[i].len);
		total += took;
		if (took < v[i].len) {
			c->want_write = true;
			break;
		}
	}
	if (total)
		rk_res_defer(c, RK_Q_FLUSH);
	c->out_total += (uint64_t)total;
	return total;
}

long rk_conn_write(struct rk_conn *c, const void *p, size_t n)
{
	struct rk_seg v = { p, (uint32_t)RK_MIN(n, 0xffffffffu) };
	return rk_conn_writev(c, &v, 1);
}

static int rk_conn_lend(struct rk_conn *c, enum rk_out_kind kind, const void *p, int fd,
			uint64_t off, uint64_t len, rk_done_fn done, void *arg)
{
	if (c->state != RK_CONN_OPEN || c->shut_wr)
		return -EPIPE;
	if (!len) {
		if (done)
			done(arg, 0);
		return 0;
	}
	uint32_t i = rk_outq_push(c, kind);
	if (i == RK_NONE) {
		c->want_write = true;
		c->r->st.out_waits++;
		return -ENOBUFS;
	}
	struct rk_out *o = &c->r->outs[i];
	o->p = p;
	o->fd = fd;
	o->off = off;
	o->len = len;
	o->done = done;
	o->arg = arg;
	c->queued_bytes += len;
	c->out_total += len;
	rk_res_defer(c, RK_Q_FLUSH);
	return 0;
}

int rk_conn_send_ref(struct rk_conn *c, const void *p, size_t n, rk_done_fn done, void *arg)
{
	return rk_conn_lend(c, RK_OUT_REF, p, -1, 0, n, done, arg);
}

int rk_conn_send_file(struct rk_conn *c, int fd, uint64_t off, uint64_t len, rk_done_fn done,
		      void *arg)
{
	return rk_conn_lend(c, RK_OUT_FILE, 0, fd, off, len, done, arg);
}

void rk_conn_wait_writable(struct rk_conn *c)
{
	c->want_write = true;
	rk_res_defer(c, RK_Q_FLUSH); /* already writable: said at the batch's end */
}
