/* src/engine/reactor.c - a reactor thread: its ring, its buffer ring, its
 * connection table, and the loop that reaps completions in batches.
 *
 * Follows io_uring(7) ("CQE ordering", batching) and io_uring_enter(2): the
 * loop submits and waits in one enter, then handles up to `batch` CQEs -
 * each through one table, kind -> completion function, made from
 * src/engine/ops.def - then does the batch's deferred work: deliveries,
 * receives starved by ENOBUFS, one send per connection.
 * Read next: src/engine/acceptor.c.
 */
#include "internal.h"
#include "rocket/fmt.h"
#include "rocket/sys.h"
#include "rocket/util.h"

static void rk_reactor_arm_tick(struct rk_reactor *r)
{
	struct io_uring_sqe *sqe = rk_res_sqe(r);
	r->tick_ts = (struct __kernel_timespec){ .tv_nsec = RK_TICK_MS * 1000000 };
	sqe->opcode = IORING_OP_TIMEOUT;
	sqe->fd = -1;
	sqe->addr = (uint64_t)(uintptr_t)&r->tick_ts;
	sqe->len = 1;
	/* 6.4: one SQE fires every tick until cancelled. Older kernels
	 * refuse the flag (-EINVAL); from then on a plain timeout is
	 * re-armed after each tick. */
	sqe->timeout_flags = r->tick_oneshot ? 0 : IORING_TIMEOUT_MULTISHOT;
	sqe->user_data = rk_ud(RK_UD_TICK, 0, 0);
}

RK_COLD void rk_reactor_tick(struct rk_reactor *r, struct rk_conn *unused,
			     const struct io_uring_cqe *cqe)
{
	(void)unused;
	const struct rk_handler *h = &r->e->cfg.handler;
	r->now_mono = rk_now_mono();
	if (!(cqe->flags & IORING_CQE_F_MORE)) {
		if (cqe->res == -EINVAL && !r->tick_oneshot) {
			/* Refused at once, so no tick has passed. */
			r->tick_oneshot = true;
			rk_reactor_arm_tick(r);
			return;
		}
		rk_reactor_arm_tick(r);
	}
	if (r->accept_paused)
		rk_accept_tick(r);
	struct __kernel_timespec now;
	sys_clock_gettime(CLOCK_REALTIME, &now);
	if (now.tv_sec != r->unix_sec) {
		/* Once a second: the access log's buffer goes out, idle send
		 * chunks go back, and the application's tick. */
		rk_log_drain(r);
		rk_pool_trim(&r->chunks);
		if (h->on_tick)
			h->on_tick(h->ctx, r->state, now.tv_sec);
	}
	r->unix_sec = now.tv_sec;
	/* Timeouts: a scan of the slots in use every RK_TICK_MS is cheaper
	 * than a timer per connection. A deadline set since the last tick
	 * (-ms) is stamped from this tick's clock, read after it was set:
	 * it can fire late, never early. Closing connections count too. */
	for (uint32_t i = 0; i < r->conn_hi; i++) {
		struct rk_conn *c = &r->conns[i];
		int64_t d = c->deadline;
		if (c->state == RK_CONN_FREE || !d)
			continue;
		if (d < 0) {
			c->deadline = r->now_mono - d;
			continue;
		}
		if (c->linger_ms && c->queued_bytes != c->linger_queued) {
			c->linger_queued = c->queued_bytes; /* bytes went out */
			c->deadline = r->now_mono + c->linger_ms;
			continue;
		}
		if (d > r->now_mono)
			continue;
		if (c->state == RK_CONN_CLOSING) {
			c->deadline = 0; /* the linger is over: drop what is unsent */
			rk_conn_begin_close(c, RK_CLOSE_TIMEOUT, true);
			continue;
		}
		rk_conn_timeout_expired(c);
	}
	if (r->stopping && r->now_mono >= r->stop_deadline) {
		/* Graceful time is over: abort what is left. */
		for (uint32_t i = 0; i < r->nconns; i++)
			if (r->conns[i].state != RK_CONN_FREE)
				rk_conn_begin_close(&r->conns[i], RK_CLOSE_SHUTDOWN, true);
	}
}

static RK_COLD void rk_reactor_stop(struct rk_reactor *r)
{
	r->stopping = true;
	rk_accept_stop(r);
	r->stop_deadline = rk_now_mono() + RK_STOP_GRACE_MS;
	for (uint32_t i = 0; i < r->nconns; i++)
		if (r->conns[i].state == RK_CONN_OPEN)
			rk_conn_begin_close(&r->conns[i], RK_CLOSE_SHUTDOWN, false);
}

RK_COLD void rk_reactor_print_stats(struct rk_reactor *r)
{
	const struct rk_reactor_stats *s = &r->st;
	uint64_t cq = s->cqes ? s->cqes : 1;
	rk_dprint(2,
		  "reactor %u: conns %llu closed %llu rejected %llu | in %llu B out %llu B | "
		  "requests %llu | sends %llu | enobufs %llu rearms %llu stale %llu | "
		  "cqes %llu enters %llu (%llu.%02llu per 100 cqe) cq-overflows %llu | "
		  "recv-pauses %llu file-reads %llu file-short %llu splices %llu zc-notifs %llu "
		  "out-waits %llu | "
		  "log %llu lost %llu | fixed free %llu/%llu\n",
		  r->id, (unsigned long long)s->accepted, (unsigned long long)s->closed,
		  (unsigned long long)s->rejected, (unsigned long long)s->bytes_in,
		  (unsigned long long)s->bytes_out, (unsigned long long)s->requests,
		  (unsigned long long)s->sends, (unsigned long long)s->enobufs,
		  (unsigned long long)s->rearms, (unsigned long long)s->stale_cqes,
		  (unsigned long long)s->cqes, (unsigned long long)r->ring.n_enter,
		  (unsigned long long)(r->ring.n_enter * 100 / cq),
		  (unsigned long long)(r->ring.n_enter * 10000 / cq % 100),
		  (unsigned long long)r->ring.n_overflow, (unsigned long long)s->recv_pauses,
		  (unsigned long long)s->file_reads, (unsigned long long)s->file_short,
		  (unsigned long long)s->splices, (unsigned long long)s->zc_notifs,
		  (unsigned long long)s->out_waits, (unsigned long long)s->log_lines,
		  (unsigned long long)s->log_dropped, (unsigned long long)s->fixed_free,
		  (unsigned long long)s->fixed_slots);
}

RK_COLD void rk_reactor_ctrl(struct rk_reactor *r, struct rk_conn *c,
			     const struct io_uring_cqe *cqe)
{
	(void)c;
	if (cqe->res == RK_CTRL_STOP)
		rk_reactor_stop(r);
	else if (cqe->res == RK_CTRL_STATS)
		rk_reactor_print_stats(r);
}

/* An acceptor's kind in a reactor's ring: nobody sends one; count it. */
void rk_op_none(struct rk_reactor *r, struct rk_conn *c, const struct io_uring_cqe *cqe)
{
	(void)c, (void)cqe;
	r->st.stale_cqes++;
}

static const struct {
	rk_op_fn fn;
	uint8_t scope;
} rk_reactor_ops[RK_UD_KINDS] = {
#define RK_OP(name, scope, f) [RK_UD_##name] = { f, RK_SCOPE_##scope },
#include "ops.def"
#undef RK_OP
};

void rk_reactor_handle_cqe(struct rk_reactor *r, const struct io_uring_cqe *cqe)
{
	uint64_t ud = cqe->user_data;
	uint32_t kind = rk_ud_kind(ud);
	r->st.cqes++;
	if (rk_trace_on(r->ring.trace))
		rk_trace_cqe(r->ring.trace, cqe);
	if (kind >= RK_UD_KINDS || !rk_reactor_ops[kind].fn) {
		rk_op_none(r, 0, cqe);
		return;
	}
	if (rk_reactor_ops[kind].scope != RK_SCOPE_CONN) {
		rk_reactor_ops[kind].fn(r, 0, cqe);
		return;
	}
	uint32_t slot = rk_ud_slot(ud);
	struct rk_conn *c = slot < r->nconns ? &r->conns[slot] : 0;
	if (!c || c->state == RK_CONN_FREE || c->gen != rk_ud_gen(ud)) {
		/* Cannot happen while slots are freed only after their last
		 * CQE; if it ever does, the buffer still goes home and the
		 * slot's new occupant never sees it. */
		r->st.stale_cqes++;
		if (cqe->flags & IORING_CQE_F_BUFFER) {
			int n = rk_bufring_consume(&r->bufs, cqe, r->segs, r->bufs.count);
			for (int i = 0; i < n; i++)
				rk_pieces_discard(r, &r->segs[i]);
		}
		return;
	}
	rk_reactor_ops[kind].fn(r, c, cqe);
}

/* Work that waits for the end of a batch: delivery (so one batch's
 * receives reach the application together), ENOBUFS re-arms, then one
 * send per connection for everything the batch wrote. */
void rk_reactor_after_batch(struct rk_reactor *r)
{
	rk_recv_after_batch(r);
	rk_send_after_batch(r);
}

static RK_COLD int rk_reactor_setup(struct rk_reactor *r)
{
	const struct rk_engine_config *cfg = &r->e->cfg;
	if (cfg->pin)
		rk_thread_pin((int)(r->id % (uint32_t)rk_cpu_count()));
	struct rk_ring_config rc = {
		.sq_entries = cfg->ring_entries,
		.cq_entries = cfg->cq_entries ? cfg->cq_entries : cfg->ring_entries * 4,
		.sqpoll = cfg->sqpoll,
		.sqpoll_cpu = cfg->sqpoll_cpu,
		.sq_idle_ms = cfg->sq_idle_ms,
		.no_defer_taskrun = cfg->no_defer_taskrun,
	};
	int ret = rk_ring_init(&r->ring, &rc);
	if (ret < 0)
		return ret;
	ret = rk_bufring_init(&r->bufs, &r->ring, 0, cfg->buffers, cfg->buffer_size,
			      cfg->incremental ? RK_BUFRING_INC : 0);
	if (ret < 0) {
		rk_ring_exit(&r->ring);
		return ret;
	}
	/* A sparse fixed-file table (5.19) for direct descriptors; without it
	 * the engine falls back to regular fds for everyone. */
	uint32_t nfixed = r->e->fixed_per_reactor;
	if (nfixed && rk_ring_files_sparse(&r->ring, nfixed) == 0)
		r->nfixed = nfixed;
	if (cfg->accept_mode == RK_ACCEPT_REACTOR)
		rk_accept_start(r);
	r->recv_ioprio =
		IORING_RECV_MULTISHOT | (cfg->bundle ? IORING_RECVSEND_BUNDLE : 0) | RK_RECV_LIM;
	r->send_zc = cfg->send_zc;
	/* Every buffer starts in the ring: the kernel's reference. */
	for (uint32_t i = 0; i < cfg->buffers; i++)
		r->bref[i] = 1;
	r->now_mono = rk_now_mono();
	rk_engine_trace_init(r->e, &r->ring, &r->trace, "reactor %u", r->id);
	rk_reactor_arm_tick(r);
	rk_splice_init(r);
	return 0;
}

static void rk_reactor_finish(struct rk_reactor *r);

int rk_reactor_main(void *arg)
{
	struct rk_reactor *r = arg;
	const struct rk_engine_config *cfg = &r->e->cfg;
	int ret = rk_reactor_setup(r);
	/* Publish our ring fd (or the error): the acceptor waits for it.
	 * Release pairs with the acceptor's acquire load. */
	atomic_store_explicit(&r->ring_fd, ret < 0 ? ret : r->ring.fd, memory_order_release);
	if (ret < 0)
		return ret;
	if (cfg->handler.on_reactor_start)
		cfg->handler.on_reactor_start(cfg->handler.ctx, r->state, r->id);

	uint32_t batch = cfg->batch;
	/* Serve; once stopping, until every connection is closed, every
	 * reactor-owned accept has ended and every access-log line is written. */
	while (!r->stopping || r->nopen || r->accept_armed || rk_log_drain(r)) {
		/* Submit what the last batch queued (its sends go out now, not
		 * after the whole CQ is drained) and, when no completion is
		 * waiting, sleep until one arrives: one enter per loop. */
		bool idle = !rk_ring_cq_ready(&r->ring) && !rk_res_pending(r);
		int ret = rk_ring_submit_wait(&r->ring, idle ? 1 : 0, 0);
		if (ret < 0 && ret != -ETIME) {
			/* Counted; the loop goes on with what the CQ holds.
			 * -EBADR (the kernel dropped CQEs it could not post) is
			 * said once; -EBUSY/-EAGAIN pass; a persistent error
			 * (rk_ring_error_persistent) must not turn the loop into
			 * a spin: pause a millisecond each time nothing is ready. */
			r->st.submit_errors++;
			if (!rk_ring_cq_ready(&r->ring)) {
				struct __kernel_timespec ms = { .tv_nsec = 1000 * 1000 };
				sys_nanosleep(&ms);
			}
		}
		uint32_t n = rk_ring_cq_ready(&r->ring);
		if (n > batch)
			n = batch;
		for (uint32_t i = 0; i < n; i++)
			rk_reactor_handle_cqe(r, rk_ring_cqe(&r->ring, i));
		rk_ring_cq_advance(&r->ring, n);
		rk_reactor_after_batch(r);
	}
	rk_reactor_finish(r);
	return 0;
}

/* Tell the acceptor we are done, through its ring like everything else;
 * wait for our own CQE so the message is out before the ring goes away. */
static RK_COLD void rk_reactor_finish(struct rk_reactor *r)
{
	const struct rk_engine_config *cfg = &r->e->cfg;
	struct io_uring_sqe *sqe = rk_res_sqe(r);
	rk_prep_msg_ring(sqe, atomic_load_explicit(&r->e->acc_fd, memory_order_acquire),
			 RK_CTRL_DONE, rk_ud(RK_UD_CTRL, r->id, 0));
	sqe->user_data = rk_ud(RK_UD_CTRL, r->id, 0);
	rk_ring_submit_wait(&r->ring, 1, 0);
	if (cfg->handler.on_reactor_stop)
		cfg->handler.on_reactor_stop(cfg->handler.ctx, r->state, r->id);
	rk_splice_exit(r);
	r->st.enters = r->ring.n_enter;
	r->st.overflows = r->ring.n_overflow;
	/* Every slot of the fixed table should be empty again: the kernel
	 * says, slot by slot (our count, fixed_used, could be wrong too). */
	r->st.fixed_slots = r->nfixed;
	int nfree = r->nfixed ? rk_ring_files_free(&r->ring, r->nfixed) : 0;
	r->st.fixed_free = nfree > 0 ? (uint64_t)nfree : 0;
	if (!cfg->quiet)
		rk_reactor_print_stats(r);
	if (cfg->accept_mode == RK_ACCEPT_REACTOR)
		rk_accept_close(r);
	rk_bufring_exit(&r->bufs, &r->ring);
	rk_ring_exit(&r->ring);
}
