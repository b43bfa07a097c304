/* src/engine/acceptor.c - the acceptor: one multishot accept per listening
 * socket, hand-off of each new socket to a reactor with IORING_OP_MSG_RING,
 * and the signalfd.
 *
 * Follows io_uring_prep_multishot_accept(3) (re-arm when a CQE comes without
 * IORING_CQE_F_MORE), io_uring_prep_msg_ring(3) and signalfd(2).
 * Read next: src/engine/reactor.c.
 */
#include "internal.h"
#include "rocket/fmt.h"
#include "rocket/sys.h"
#include "rocket/util.h"

struct rk_acceptor {
	struct rk_engine *e;
	struct rk_ring *ring;
	int sigfd;
	uint32_t next;            /* round-robin cursor */
	bool oneshot;             /* the kernel refused multishot accept (< 5.19) */
	bool stopping;
	struct rk_signalfd_siginfo si;
	struct __kernel_timespec backoff;
	uint32_t reactors_done;
	uint64_t accepted, handoff_failed, accept_errors;
};

static struct io_uring_sqe *rk_acc_sqe(struct rk_acceptor *a)
{
	struct io_uring_sqe *sqe;
	while (!(sqe = rk_ring_get_sqe(a->ring)))
		rk_ring_submit(a->ring);
	return sqe;
}

/* Listener i of cfg.listen_fds; its index rides in the user_data's slot. */
static void rk_acc_arm_accept(struct rk_acceptor *a, uint32_t i)
{
	struct io_uring_sqe *sqe = rk_acc_sqe(a);
	sqe->opcode = IORING_OP_ACCEPT;
	sqe->fd = a->e->cfg.listen_fds[i];
	/* One SQE, a CQE per connection (5.19); one-shot on older kernels. */
	sqe->ioprio = a->oneshot ? 0 : IORING_ACCEPT_MULTISHOT;
	sqe->accept_flags = SOCK_CLOEXEC;
	sqe->user_data = rk_ud(RK_UD_ACCEPT, i, 0);
}

static void rk_acc_arm_signal(struct rk_acceptor *a)
{
	struct io_uring_sqe *sqe = rk_acc_sqe(a);
	sqe->opcode = IORING_OP_READ;
	sqe->fd = a->sigfd;
	sqe->addr = (uint64_t)(uintptr_t)&a->si;
	sqe->len = sizeof(a->si);
	sqe->off = (uint64_t)-1;
	sqe->user_data = rk_ud(RK_UD_SIGNAL, 0, 0);
}

/* Post a CQE into a reactor's ring: res = value, user_data = ud. The
 * reactor, asleep in io_uring_enter, wakes at once. Our own CQE comes only
 * on failure (IOSQE_CQE_SKIP_SUCCESS), carrying `mine`. */
static void rk_acc_msg(struct rk_acceptor *a, int ring_fd, uint32_t value, uint64_t ud,
		       uint64_t mine)
{
	struct io_uring_sqe *sqe = rk_acc_sqe(a);
	rk_prep_msg_ring(sqe, ring_fd, value, ud);
	sqe->flags = IOSQE_CQE_SKIP_SUCCESS;
	sqe->user_data = mine;
}

static void rk_acc_broadcast(struct rk_acceptor *a, enum rk_ctrl what)
{
	for (uint32_t i = 0; i < a->e->nreactors; i++)
		rk_acc_msg(a, a->e->reactors[i].ring.fd, what, rk_ud(RK_UD_CTRL, 0, 0),
			   rk_ud(RK_UD_CTRL, 0, 0));
}

static void rk_acc_stop(struct rk_acceptor *a)
{
	if (a->stopping)
		return;
	a->stopping = true;
	/* Stop accepting first (rk_engine_run closes the listener after
	 * us), then tell each reactor to finish its connections. */
	for (uint32_t i = 0; i < a->e->cfg.nlisten; i++) {
		struct io_uring_sqe *sqe = rk_acc_sqe(a);
		sqe->opcode = IORING_OP_ASYNC_CANCEL;
		sqe->fd = a->e->cfg.listen_fds[i];
		sqe->cancel_flags = IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL;
		sqe->flags = IOSQE_CQE_SKIP_SUCCESS;
		sqe->user_data = rk_ud(RK_UD_CTRL, 0, 0);
	}
	rk_acc_broadcast(a, RK_CTRL_STOP);
}

static void rk_acc_on_accept(struct rk_acceptor *a, const struct io_uring_cqe *cqe)
{
	uint32_t li = rk_ud_slot(cqe->user_data); /* which listener */
	if (cqe->res >= 0) {
		/* Round-robin: reactor loads even out over many connections. */
		struct rk_reactor *r = &a->e->reactors[a->next++ % a->e->nreactors];
		a->accepted++;
		rk_acc_msg(a, r->ring.fd, (uint32_t)cqe->res, rk_ud(RK_UD_NEWCONN, 0, 0),
			   rk_ud(RK_UD_HANDOFF, (uint32_t)cqe->res, 0));
	} else if (cqe->res == -EINVAL && !a->oneshot) {
		a->oneshot = true; /* unknown ioprio flag: a kernel before 5.19 */
	} else if (cqe->res != -ECANCELED) {
		a->accept_errors++;
	}
	if (cqe->flags & IORING_CQE_F_MORE || a->stopping)
		return;
	if (cqe->res == -EMFILE || cqe->res == -ENFILE || cqe->res == -ENOMEM ||
	    cqe->res == -ENOBUFS) {
		/* Out of descriptors or memory: pause 50 ms instead of
		 * spinning on an accept that fails at once. */
		struct io_uring_sqe *sqe = rk_acc_sqe(a);
		a->backoff = (struct __kernel_timespec){ .tv_nsec = 50 * 1000 * 1000 };
		sqe->opcode = IORING_OP_TIMEOUT;
		sqe->fd = -1;
		sqe->addr = (uint64_t)(uintptr_t)&a->backoff;
		sqe->len = 1;
		sqe->user_data = rk_ud(RK_UD_BACKOFF, li, 0);
		return;
	}
	rk_acc_arm_accept(a, li);
}

static void rk_acc_handle(struct rk_acceptor *a, const struct io_uring_cqe *cqe)
{
	if (rk_trace_on(a->ring->trace))
		rk_trace_cqe(a->ring->trace, cqe);
	switch (rk_ud_kind(cqe->user_data)) {
	case RK_UD_ACCEPT:
		rk_acc_on_accept(a, cqe);
		break;
	case RK_UD_HANDOFF:
		/* The message did not reach the reactor: the socket is ours
		 * to close. */
		a->handoff_failed++;
		sys_close((int)rk_ud_slot(cqe->user_data));
		break;
	case RK_UD_BACKOFF:
		if (!a->stopping)
			rk_acc_arm_accept(a, rk_ud_slot(cqe->user_data));
		break;
	case RK_UD_SIGNAL:
		if (cqe->res == (int)sizeof(a->si)) {
			if (a->si.ssi_signo == SIGUSR1)
				rk_acc_broadcast(a, RK_CTRL_STATS);
			else
				rk_acc_stop(a);
		}
		if (!a->stopping)
			rk_acc_arm_signal(a);
		break;
	case RK_UD_CTRL:
		/* From rk_engine_stop(), or a reactor saying it has finished,
		 * both through MSG_RING into our ring. */
		if (cqe->res == RK_CTRL_STOP)
			rk_acc_stop(a);
		else if (cqe->res == RK_CTRL_DONE)
			a->reactors_done++;
		break;
	}
}

/* Runs on the thread that called rk_engine_run(). */
int rk_acceptor_run(struct rk_engine *e, int sigfd)
{
	struct rk_acceptor a = { .e = e, .ring = &e->acc, .sigfd = sigfd };
	for (uint32_t i = 0; i < e->cfg.nlisten; i++)
		rk_acc_arm_accept(&a, i);
	if (sigfd >= 0)
		rk_acc_arm_signal(&a);

	/* Serve until stopped, then until every reactor has said it is done. */
	while (!a.stopping || a.reactors_done < e->nreactors) {
		rk_ring_submit_wait(a.ring, 1, 0);
		uint32_t n = rk_ring_cq_ready(a.ring);
		for (uint32_t i = 0; i < n; i++)
			rk_acc_handle(&a, rk_ring_cqe(a.ring, i));
		rk_ring_cq_advance(a.ring, n);
	}
	rk_ring_submit(a.ring);
	if (!e->cfg.quiet)
		rk_dprint(2, "acceptor: accepted %llu | hand-offs failed %llu | accept errors %llu\n",
			  (unsigned long long)a.accepted, (unsigned long long)a.handoff_failed,
			  (unsigned long long)a.accept_errors);
	return 0;
}
