/* src/engine/acceptor.c - the acceptor: one multishot accept per listening
 * socket, hand-off of each new socket to the least-loaded reactor with
 * IORING_OP_MSG_RING, the signals (SIGINT/SIGTERM stop, SIGUSR1 prints the
 * stats, SIGHUP opens the access log again), and the order in which a stop
 * winds everything down.
 *
 * Follows io_uring_prep_multishot_accept(3) (re-arm when a CQE comes without
 * IORING_CQE_F_MORE) and its _direct form (the socket goes into our fixed-
 * file table, IORING_FILE_INDEX_ALLOC), io_uring_prep_msg_ring(3) and
 * io_uring_prep_msg_ring_fd(3) with io_uring/msg_ring.c: IORING_MSG_DATA
 * messages of one submitter reach a ring in submission order; an
 * IORING_MSG_SEND_FD takes a reference to our slot's file, installs it in
 * the reactor's table from the reactor's own task and completes here only
 * after that - our slot keeps its file until we close it (a CLOSE hard-
 * linked behind the message). Also io_uring_prep_cancel(3), signalfd(2),
 * dup3(2).
 * Read next: include/rocket/listen.h.
 */
#include "internal.h"
#include "rocket/fmt.h"
#include "rocket/sys.h"
#include "rocket/util.h"

/* The acceptor's own operations: slot 0 of a kind is the operation, slot 1
 * a cancel of it (IOSQE_CQE_SKIP_SUCCESS: a CQE only when the cancel finds
 * nothing, and then the operation's own final CQE is on its way). */
enum { RK_ACC_OP = 0, RK_ACC_CANCEL = 1 };
/* Generation 1 on RK_UD_CTRL marks our own message that failed (slot = the
 * reactor); reactors and rk_engine_stop() send generation 0. */
enum { RK_ACC_MSG_FAILED = 1 };
/* RK_UD_HANDOFF: slot = the fd or our table's slot, generation = the
 * reactor (RK_ACC_NO_REACTOR for none), tag = what. */
enum { RK_ACC_FD_MSG = 0, RK_ACC_FIXED_MSG = 1, RK_ACC_SLOT_CLOSE = 2 };
#define RK_ACC_NO_REACTOR 0xffffffu

#define RK_ACC_BACKOFF_NS (50 * 1000 * 1000) /* pause after an accept error */
#define RK_ACC_RETRIES    100                /* cancels and STOPs sent again */

struct rk_acceptor {
	struct rk_engine *e;
	struct rk_ring *ring;
	int sigfd;
	uint32_t next;       /* where the least-loaded scan starts: ties go round */
	uint32_t *sent;      /* per reactor: NEWCONN messages sent (after the struct) */
	bool direct;         /* accept into our table, hand off with MSG_SEND_FD */
	uint32_t slots_busy; /* closes of our table's slots in flight */
	bool oneshot;        /* the kernel refused multishot accept (< 5.19) */
	bool multishot_seen; /* a CQE with F_MORE came: multishot works */
	bool stopping;       /* no more hand-offs: new sockets are closed here */
	bool stop_sent;      /* every reactor has been sent STOP */
	bool finishing;      /* every reactor is done: cancel what is left */
	bool log_told;       /* a failed access-log write was reported */
	/* Per listener (bit i: cfg.listen_fds[i], whose index rides in the
	 * user_data's tag): its accept may still post CQEs, its pause runs. */
	uint32_t accept_armed;
	uint32_t backoff_armed;
	bool signal_armed;
	uint32_t reactors_done;
	uint32_t retries;
	/* The kernel writes si and reads backoff while those operations are in
	 * flight. The whole struct lives in a mapping of its own that is
	 * unmapped only once neither is (see rk_acceptor_run), never in a stack
	 * frame that returns under a read. */
	struct rk_signalfd_siginfo si;
	struct __kernel_timespec backoff;
	uint64_t accepted, handoff_failed, accept_errors, rearms, closed_stopping;
	uint64_t signals_absorbed, ring_errors;
};

/* An SQE, or NULL when the ring refuses SQEs for good (counted). */
static struct io_uring_sqe *rk_acc_sqe(struct rk_acceptor *a)
{
	struct io_uring_sqe *sqe = rk_ring_get_sqe_wait(a->ring);
	if (!sqe)
		a->ring_errors++;
	return sqe;
}

static void rk_acc_arm_accept(struct rk_acceptor *a, uint8_t li)
{
	struct io_uring_sqe *sqe = rk_acc_sqe(a);
	if (!sqe)
		return;
	sqe->opcode = IORING_OP_ACCEPT;
	sqe->fd = a->e->cfg.listen_fds[li];
	/* One SQE, a CQE per connection (5.19); one-shot on older kernels. */
	sqe->ioprio = a->oneshot ? 0 : IORING_ACCEPT_MULTISHOT;
	/* A direct descriptor is no fd, so has no close-on-exec (the kernel
	 * refuses SOCK_CLOEXEC with it); res is then the slot. */
	if (a->direct)
		sqe->file_index = IORING_FILE_INDEX_ALLOC;
	else
		sqe->accept_flags = SOCK_CLOEXEC;
	sqe->user_data = rk_ud_tag(RK_UD_ACCEPT, RK_ACC_OP, 0, li);
	a->accept_armed |= 1u << li;
}

static void rk_acc_arm_signal(struct rk_acceptor *a)
{
	struct io_uring_sqe *sqe = rk_acc_sqe(a);
	if (!sqe)
		return;
	sqe->opcode = IORING_OP_READ;
	sqe->fd = a->sigfd;
	sqe->addr = (uint64_t)(uintptr_t)&a->si;
	sqe->len = sizeof(a->si);
	sqe->off = (uint64_t)-1;
	sqe->user_data = rk_ud(RK_UD_SIGNAL, RK_ACC_OP, 0);
	a->signal_armed = true;
}

/* Out of descriptors or memory, or any other accept error: pause before
 * the next try instead of spinning on an accept that fails at once. */
static void rk_acc_arm_backoff(struct rk_acceptor *a, uint8_t li)
{
	struct io_uring_sqe *sqe = rk_acc_sqe(a);
	if (!sqe)
		return;
	a->backoff = (struct __kernel_timespec){ .tv_nsec = RK_ACC_BACKOFF_NS };
	sqe->opcode = IORING_OP_TIMEOUT;
	sqe->fd = -1;
	sqe->addr = (uint64_t)(uintptr_t)&a->backoff;
	sqe->len = 1;
	sqe->user_data = rk_ud_tag(RK_UD_BACKOFF, RK_ACC_OP, 0, li);
	a->backoff_armed |= 1u << li;
}

/* Cancel our operation of this kind (matched by its user_data; li: the
 * listener's, for accepts and pauses). */
static void rk_acc_cancel(struct rk_acceptor *a, enum rk_ud_kind kind, uint8_t li)
{
	struct io_uring_sqe *sqe = rk_acc_sqe(a);
	if (!sqe)
		return;
	sqe->opcode = IORING_OP_ASYNC_CANCEL;
	sqe->fd = -1;
	sqe->addr = rk_ud_tag(kind, RK_ACC_OP, 0, li);
	sqe->flags = IOSQE_CQE_SKIP_SUCCESS;
	sqe->user_data = rk_ud_tag(kind, RK_ACC_CANCEL, 0, li);
}

/* The ring fd reactor i published when it started. Read only before that
 * reactor has said DONE: after that it closes its ring, and the number may
 * name another file (or another engine's ring) at any moment. */
static int rk_acc_reactor_fd(struct rk_acceptor *a, uint32_t i)
{
	return atomic_load_explicit(&a->e->reactors[i].ring_fd, memory_order_acquire);
}

/* Post a CQE into a reactor's ring: res = value, user_data = ud. The
 * reactor, asleep in io_uring_enter, wakes at once. Our own CQE comes only
 * on failure (IOSQE_CQE_SKIP_SUCCESS), carrying `mine`. */
static bool rk_acc_msg(struct rk_acceptor *a, int ring_fd, uint32_t value, uint64_t ud,
		       uint64_t mine)
{
	struct io_uring_sqe *sqe = rk_acc_sqe(a);
	if (!sqe)
		return false;
	rk_prep_msg_ring(sqe, ring_fd, value, ud);
	sqe->flags = IOSQE_CQE_SKIP_SUCCESS;
	sqe->user_data = mine;
	return true;
}

static void rk_acc_msg_reactor(struct rk_acceptor *a, uint32_t i, enum rk_ctrl what)
{
	rk_acc_msg(a, rk_acc_reactor_fd(a, i), what, rk_ud(RK_UD_CTRL, 0, 0),
		   rk_ud(RK_UD_CTRL, i, RK_ACC_MSG_FAILED));
}

/* Close a slot of our table (its CQE always comes: slots_busy counts). */
static void rk_acc_close_slot(struct rk_acceptor *a, uint32_t slot, uint32_t reactor)
{
	struct io_uring_sqe *sqe = rk_acc_sqe(a);
	if (!sqe)
		return;
	sqe->opcode = IORING_OP_CLOSE;
	sqe->file_index = slot + 1;
	sqe->user_data = rk_ud_tag(RK_UD_HANDOFF, slot, reactor, RK_ACC_SLOT_CLOSE);
	a->slots_busy++;
}

/* Tell every reactor to stop, once no accepted socket can follow: the
 * accept has posted its last CQE, so every NEWCONN message was queued in
 * our SQ before these, and a ring receives the messages of one submitter
 * in submission order. A MSG_SEND_FD travels another way (task work on
 * the reactor's thread, not its ring's list), so with direct descriptors
 * we also wait until every one has completed - each slot's linked CLOSE
 * has posted its CQE - and so is in its reactor's CQ. A reactor thus never
 * sees a connection after STOP (it could have exited already). */
static void rk_acc_stop_reactors(struct rk_acceptor *a)
{
	if (a->stop_sent || a->accept_armed || a->slots_busy)
		return;
	a->stop_sent = true;
	for (uint32_t i = 0; i < a->e->nreactors; i++)
		rk_acc_msg_reactor(a, i, RK_CTRL_STOP);
}

static void rk_acc_stop(struct rk_acceptor *a)
{
	if (a->stopping)
		return;
	a->stopping = true;
	/* Stop accepting (rk_engine_run closes the listener after us). CQEs
	 * the accept still posts meanwhile carry sockets nobody will serve:
	 * rk_acc_on_accept closes them. */
	for (uint8_t li = 0; li < a->e->cfg.nlisten; li++) {
		if (a->accept_armed & (1u << li))
			rk_acc_cancel(a, RK_UD_ACCEPT, li);
		if (a->backoff_armed & (1u << li))
			rk_acc_cancel(a, RK_UD_BACKOFF, li);
	}
	rk_acc_stop_reactors(a);
}

/* The reactor with the fewest connections: open ones (each reactor
 * publishes its count) plus those we sent that it has not taken yet.
 * Relaxed loads: each counter has one writer, and a stale value only makes
 * the choice a little less exact. Ties go round-robin from `next`. */
static uint32_t rk_acc_pick(struct rk_acceptor *a)
{
	uint32_t n = a->e->nreactors, best = a->next % n, best_load = 0xffffffffu;
	for (uint32_t k = 0; k < n; k++) {
		uint32_t i = (a->next + k) % n;
		struct rk_reactor *r = &a->e->reactors[i];
		uint32_t load = atomic_load_explicit(&r->open_pub, memory_order_relaxed) +
				a->sent[i] -
				atomic_load_explicit(&r->taken_pub, memory_order_relaxed);
		if (load < best_load) {
			best = i;
			best_load = load;
		}
	}
	return best;
}

/* Hand socket s (a regular fd, or with direct descriptors our slot) to
 * reactor i: IORING_MSG_DATA with res = the fd, or IORING_MSG_SEND_FD of
 * our slot into the reactor's table (its CQE: res = its slot) with the
 * CLOSE of our slot hard-linked behind - closed whether the message went
 * or not, in the same submission (a link does not cross one). */
static void rk_acc_send(struct rk_acceptor *a, int s, uint32_t i)
{
	a->next = i + 1;
	a->sent[i]++;
	if (a->direct)
		rk_ring_sq_room(a->ring, 2);
	struct io_uring_sqe *sqe = rk_acc_sqe(a);
	if (sqe) {
		rk_prep_msg_ring(
			sqe, rk_acc_reactor_fd(a, i), (uint32_t)s,
			rk_ud(RK_UD_NEWCONN, 0, a->direct ? RK_NEWCONN_FIXED : RK_NEWCONN_FD));
		sqe->flags = IOSQE_CQE_SKIP_SUCCESS;
		sqe->user_data = rk_ud_tag(RK_UD_HANDOFF, (uint32_t)s, i,
					   a->direct ? RK_ACC_FIXED_MSG : RK_ACC_FD_MSG);
		if (a->direct) {
			sqe->addr = IORING_MSG_SEND_FD;
			sqe->len = 0;
			sqe->addr3 = (uint64_t)s;
			sqe->file_index = IORING_FILE_INDEX_ALLOC;
			sqe->flags |= IOSQE_IO_HARDLINK;
		}
	} else {
		a->handoff_failed++;
		a->sent[i]--;
		if (!a->direct)
			sys_close(s);
	}
	if (a->direct)
		rk_acc_close_slot(a, (uint32_t)s, RK_ACC_NO_REACTOR);
}

static void rk_acc_on_accept(struct rk_acceptor *a, const struct io_uring_cqe *cqe)
{
	uint8_t li = rk_ud_tagof(cqe->user_data);
	bool more = cqe->flags & IORING_CQE_F_MORE;
	if (more)
		a->multishot_seen = true;
	else
		a->accept_armed &= ~(1u << li);

	if (cqe->res >= 0 && a->stopping) {
		if (a->direct)
			rk_acc_close_slot(a, (uint32_t)cqe->res, RK_ACC_NO_REACTOR);
		else
			sys_close(cqe->res);
		a->closed_stopping++;
	} else if (cqe->res >= 0) {
		a->accepted++;
		rk_acc_send(a, cqe->res, rk_acc_pick(a));
	} else if (cqe->res == -EINVAL && !a->oneshot && !a->multishot_seen && !a->stopping) {
		/* Unknown ioprio flag: a kernel before 5.19. */
		a->oneshot = true;
		rk_acc_arm_accept(a, li);
		return;
	} else if (cqe->res != -ECANCELED || !a->stopping) {
		a->accept_errors++;
	}
	if (more)
		return;
	if (a->stopping) {
		rk_acc_stop_reactors(a);
		return;
	}
	if (cqe->res >= 0) {
		/* The multishot ended with a socket (its CQE did not fit the
		 * CQ and went to the overflow list), or one-shot mode. */
		a->rearms++;
		rk_acc_arm_accept(a, li);
		return;
	}
	/* Any error ended the multishot: EMFILE/ENFILE (a full table)/ENOMEM/
	 * ENOBUFS, a listener that was shut down (-EINVAL), ... Trying again
	 * at once would fail at once, over and over. */
	rk_acc_arm_backoff(a, li);
}

static void rk_acc_print_stats(const struct rk_acceptor *a)
{
	rk_dprint(2,
		  "acceptor: accepted %llu | hand-offs failed %llu | accept errors %llu | "
		  "re-arms %llu | closed while stopping %llu | signals absorbed %llu | "
		  "ring errors %llu\n",
		  (unsigned long long)a->accepted, (unsigned long long)a->handoff_failed,
		  (unsigned long long)a->accept_errors, (unsigned long long)a->rearms,
		  (unsigned long long)a->closed_stopping, (unsigned long long)a->signals_absorbed,
		  (unsigned long long)a->ring_errors);
}

/* SIGHUP: the access log's path again (logrotate has moved the old file).
 * The new file takes the old one's fd number (dup3(2) swaps it
 * atomically), so the reactors write on as they were: a write already in
 * flight ends in the old file, every later one in the new. Opened as the
 * user the server runs as, inside --chroot. */
static void rk_acc_reopen_log(struct rk_acceptor *a)
{
	const struct rk_engine_config *c = &a->e->cfg;
	if (!c->log_path)
		return;
	int fd = sys_openat(AT_FDCWD, c->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) { /* the new file on the old number, or its error */
		int d = sys_dup3(fd, c->log_fd, O_CLOEXEC);
		sys_close(fd);
		fd = d < 0 ? d : 0;
	}
	if (fd < 0)
		rk_dprint(2, "rocket: SIGHUP: --access-log %s: %s, kept the old file\n",
			  c->log_path, rk_errno_name(fd));
	a->log_told = false;
}

static void rk_acc_on_signal(struct rk_acceptor *a, const struct io_uring_cqe *cqe)
{
	a->signal_armed = false;
	if (cqe->res == (int)sizeof(a->si)) {
		if (a->si.ssi_signo == SIGUSR1) {
			/* While stopping the reactors print at exit anyway,
			 * and a reactor may be gone already. */
			rk_acc_print_stats(a);
			if (!a->stopping)
				for (uint32_t i = 0; i < a->e->nreactors; i++)
					rk_acc_msg_reactor(a, i, RK_CTRL_STATS);
		} else if (a->si.ssi_signo == SIGHUP) {
			rk_acc_reopen_log(a);
		} else if (a->stopping) {
			/* A second SIGTERM/SIGINT while finishing: read, so
			 * it is not left pending to kill the process once
			 * rk_engine_run restores the signal mask. */
			a->signals_absorbed++;
		} else {
			rk_acc_stop(a);
		}
	} else if (cqe->res != -EINTR) {
		/* -ECANCELED (ours) or an error that would repeat: no more
		 * reads (rk_engine_run drains what is left). */
		return;
	}
	/* Keep reading through the stop, until rk_acc_finish cancels. */
	if (!a->finishing)
		rk_acc_arm_signal(a);
}

static void rk_acc_on_ctrl(struct rk_acceptor *a, const struct io_uring_cqe *cqe)
{
	uint32_t who = rk_ud_slot(cqe->user_data);
	if (rk_ud_gen(cqe->user_data) == RK_ACC_MSG_FAILED) {
		/* A STOP that did not arrive would leave that reactor running
		 * and us waiting for its DONE: send it again. STATS are not
		 * worth it. */
		if (a->stop_sent && who < a->e->nreactors && a->retries++ < RK_ACC_RETRIES)
			rk_acc_msg_reactor(a, who, RK_CTRL_STOP);
		return;
	}
	/* From rk_engine_stop(), or a reactor saying it has finished, both
	 * through MSG_RING into our ring. */
	if (cqe->res == RK_CTRL_STOP)
		rk_acc_stop(a);
	else if (cqe->res == RK_CTRL_DONE)
		a->reactors_done++;
	else if (cqe->res == RK_CTRL_LOG_ERROR && !a->log_told) {
		/* The first failed write since the start (or since SIGHUP). */
		a->log_told = true;
		rk_dprint(2, "rocket: --access-log: write failed (%s): lines dropped, counted\n",
			  rk_errno_name(-(int)who));
	}
}

static void rk_acc_handle(struct rk_acceptor *a, const struct io_uring_cqe *cqe)
{
	if (rk_trace_on(a->ring->trace))
		rk_trace_cqe(a->ring->trace, cqe);
	bool cancel = rk_ud_slot(cqe->user_data) == RK_ACC_CANCEL;
	switch (rk_ud_kind(cqe->user_data)) {
	case RK_UD_ACCEPT:
		if (!cancel)
			rk_acc_on_accept(a, cqe);
		else if (cqe->res == -EALREADY &&
			 (a->accept_armed & (1u << rk_ud_tagof(cqe->user_data))) &&
			 a->retries++ < RK_ACC_RETRIES) /* it was running: again */
			rk_acc_cancel(a, RK_UD_ACCEPT, rk_ud_tagof(cqe->user_data));
		break;
	case RK_UD_HANDOFF: {
		uint32_t i = rk_ud_gen(cqe->user_data), what = rk_ud_tagof(cqe->user_data);
		if (what == RK_ACC_SLOT_CLOSE) {
			a->slots_busy--;
			if (a->stopping)
				rk_acc_stop_reactors(a);
			break;
		}
		/* The message did not reach the reactor: a regular fd is ours
		 * to close; a slot's linked CLOSE closes it anyway. */
		a->handoff_failed++;
		if (i < a->e->nreactors)
			a->sent[i]--; /* it will never be taken */
		if (what == RK_ACC_FD_MSG)
			sys_close((int)rk_ud_slot(cqe->user_data));
		break;
	}
	case RK_UD_BACKOFF:
		if (cancel)
			break;
		a->backoff_armed &= ~(1u << rk_ud_tagof(cqe->user_data));
		if (!a->stopping)
			rk_acc_arm_accept(a, rk_ud_tagof(cqe->user_data));
		break;
	case RK_UD_SIGNAL:
		if (!cancel)
			rk_acc_on_signal(a, cqe);
		break;
	case RK_UD_CTRL:
		rk_acc_on_ctrl(a, cqe);
		break;
	}
}

/* Every reactor is done: nothing may stay in flight that writes into our
 * memory once we return. */
static void rk_acc_finish(struct rk_acceptor *a)
{
	if (a->finishing)
		return;
	a->finishing = true;
	if (a->signal_armed)
		rk_acc_cancel(a, RK_UD_SIGNAL, 0);
	for (uint8_t li = 0; li < a->e->cfg.nlisten; li++)
		if (a->backoff_armed & (1u << li))
			rk_acc_cancel(a, RK_UD_BACKOFF, li);
}

static bool rk_acc_in_flight(const struct rk_acceptor *a)
{
	return a->accept_armed || a->backoff_armed || a->signal_armed || a->slots_busy;
}

static size_t rk_acc_map_len(const struct rk_engine *e)
{
	return (sizeof(struct rk_acceptor) + e->nreactors * sizeof(uint32_t) + 4095) &
	       ~(size_t)4095;
}

/* Runs on the thread that called rk_engine_run(). */
int rk_acceptor_run(struct rk_engine *e, int sigfd)
{
	struct rk_acceptor *a = sys_mmap(0, rk_acc_map_len(e), PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (rk_is_err(a))
		return rk_ptr_err(a);
	*a = (struct rk_acceptor){ .e = e,
				   .ring = &e->acc,
				   .sigfd = sigfd,
				   .sent = (uint32_t *)(a + 1),
				   .direct = e->acc_nfixed > 0 };
	/* --accept reactor: the reactors accept; we keep signals and the stop. */
	if (e->cfg.accept_mode == RK_ACCEPT_ACCEPTOR)
		for (uint8_t li = 0; li < e->cfg.nlisten; li++)
			rk_acc_arm_accept(a, li);
	if (sigfd >= 0)
		rk_acc_arm_signal(a);

	/* Serve until stopped; then until every reactor has said it is done;
	 * then until our own operations have posted their last CQE. */
	const struct __kernel_timespec give_up = { .tv_sec = 2 };
	for (;;) {
		if (a->stop_sent && a->reactors_done >= e->nreactors)
			rk_acc_finish(a);
		if (a->finishing && !rk_acc_in_flight(a))
			break;
		int ret = rk_ring_submit_wait(a->ring, 1, a->finishing ? &give_up : 0);
		uint32_t n = rk_ring_cq_ready(a->ring);
		if (ret == -ETIME && a->finishing && !n)
			break; /* a cancelled read that never ends: see below */
		if (ret < 0 && ret != -ETIME && ret != -EBADR && !n) {
			/* Transient, or a ring that no longer works: either
			 * way, do not spin on it. */
			a->ring_errors++;
			struct __kernel_timespec ms = { .tv_nsec = 10 * 1000 * 1000 };
			sys_nanosleep(&ms);
		}
		for (uint32_t i = 0; i < n; i++)
			rk_acc_handle(a, rk_ring_cqe(a->ring, i));
		rk_ring_cq_advance(a->ring, n);
	}
	rk_ring_submit(a->ring);
	if (!e->cfg.quiet)
		rk_acc_print_stats(a);
	/* With an operation still in flight the kernel may yet write into the
	 * mapping: leave it (one page) rather than have it written after it
	 * was reused. */
	if (!rk_acc_in_flight(a))
		sys_munmap(a, rk_acc_map_len(e));
	return 0;
}
