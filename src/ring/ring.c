/* src/ring/ring.c - set up, map, submit to and tear down an io_uring.
 *
 * Follows io_uring_setup(2) (the fallback chain, the mmap offsets) and
 * io_uring_enter(2) (when to enter, GETEVENTS, SQPOLL wake-ups, EXT_ARG).
 * The inline fast paths (get an SQE, read CQEs) live in include/rocket/ring.h.
 * Read next: include/rocket/bufring.h.
 */
#include "rocket/ring.h"
#include "rocket/sys.h"
#include "rocket/util.h"

/* Setup tiers, best first. Each is tried with NO_SQARRAY and then without;
 * a kernel that does not know a flag answers -EINVAL and we step down. */
static const uint32_t rk_ring_tiers[] = {
	/* 6.1: completions run only when we enter with GETEVENTS, on our own
	 * thread: no IPIs, no interruptions, batched task work. */
	IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
	IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
	/* 5.19: task work waits for our next syscall; TASKRUN_FLAG tells us. */
	IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
	IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
	0,
};

#define RK_TASKRUN_MODES                                                                           \
	(IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG)

static int rk_ring_setup(const struct rk_ring_config *cfg, struct io_uring_params *p)
{
	uint32_t base = 0;
	if (cfg->cq_entries)
		base |= IORING_SETUP_CQSIZE;
	if (!cfg->no_clamp)
		base |= IORING_SETUP_CLAMP;
	if (cfg->sqpoll) {
		base |= IORING_SETUP_SQPOLL;
		if (cfg->sqpoll_cpu >= 0)
			base |= IORING_SETUP_SQ_AFF;
	}

	int ret = -EINVAL;
	for (unsigned t = 0; t < RK_ARRAY_SIZE(rk_ring_tiers); t++) {
		uint32_t tier = rk_ring_tiers[t];
		/* The SQPOLL thread, not us, issues the requests: the kernel
		 * refuses DEFER_TASKRUN with it (-EINVAL), and COOP_TASKRUN /
		 * TASKRUN_FLAG would be accepted but mean nothing. */
		if (cfg->sqpoll && (tier & RK_TASKRUN_MODES))
			continue;
		if (cfg->no_defer_taskrun && (tier & IORING_SETUP_DEFER_TASKRUN))
			continue;
		if (cfg->no_taskrun_flag)
			tier &= ~IORING_SETUP_TASKRUN_FLAG;
		for (int nosq = cfg->no_sqarray ? 0 : 1; nosq >= 0; nosq--) {
			rk_memset(p, 0, sizeof(*p));
			p->flags = base | tier | (nosq ? IORING_SETUP_NO_SQARRAY : 0);
			p->cq_entries = cfg->cq_entries;
			p->sq_thread_cpu = cfg->sqpoll_cpu >= 0 ? (uint32_t)cfg->sqpoll_cpu : 0;
			p->sq_thread_idle = cfg->sq_idle_ms;
			ret = sys_io_uring_setup(cfg->sq_entries, p);
			if (ret != -EINVAL)
				return ret;
		}
	}
	return ret;
}

static void *rk_ring_map(int fd, size_t len, uint64_t off)
{
	/* MAP_POPULATE: fault the pages in now, not on the first request. */
	return sys_mmap(0, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, off);
}

static int rk_ring_mmap(struct rk_ring *r, const struct io_uring_params *p)
{
	/* With NO_SQARRAY there is no index array and sq_off.array is 0:
	 * the SQ ring ends where the CQ ring's CQEs do (one shared mapping,
	 * which every kernel with NO_SQARRAY has). */
	size_t sq_len = (p->flags & IORING_SETUP_NO_SQARRAY)
				? p->cq_off.cqes + p->cq_entries * sizeof(struct io_uring_cqe)
				: p->sq_off.array + p->sq_entries * sizeof(uint32_t);
	size_t cq_len = p->cq_off.cqes + p->cq_entries * sizeof(struct io_uring_cqe);

	/* 5.4+: one mapping holds both rings (IORING_FEAT_SINGLE_MMAP). */
	if (p->features & IORING_FEAT_SINGLE_MMAP)
		sq_len = cq_len = RK_MAX(sq_len, cq_len);

	r->sq_map = rk_ring_map(r->fd, sq_len, IORING_OFF_SQ_RING);
	if (rk_is_err(r->sq_map))
		return rk_ptr_err(r->sq_map);
	r->sq_map_len = sq_len;

	if (p->features & IORING_FEAT_SINGLE_MMAP) {
		r->cq_map = r->sq_map;
	} else {
		r->cq_map = rk_ring_map(r->fd, cq_len, IORING_OFF_CQ_RING);
		if (rk_is_err(r->cq_map))
			return rk_ptr_err(r->cq_map);
		r->cq_map_len = cq_len;
	}

	r->sqe_map_len = p->sq_entries * sizeof(struct io_uring_sqe);
	r->sqe_map = rk_ring_map(r->fd, r->sqe_map_len, IORING_OFF_SQES);
	if (rk_is_err(r->sqe_map))
		return rk_ptr_err(r->sqe_map);

	char *sq = r->sq_map, *cq = r->cq_map;
	r->sq_khead = (uint32_t *)(sq + p->sq_off.head);
	r->sq_ktail = (uint32_t *)(sq + p->sq_off.tail);
	r->sq_kflags = (uint32_t *)(sq + p->sq_off.flags);
	r->sq_kdropped = (uint32_t *)(sq + p->sq_off.dropped);
	r->sq_array = (p->flags & IORING_SETUP_NO_SQARRAY) ? 0 : (uint32_t *)(sq + p->sq_off.array);
	r->sq_mask = *(uint32_t *)(sq + p->sq_off.ring_mask);
	r->sq_entries = *(uint32_t *)(sq + p->sq_off.ring_entries);
	r->sqes = r->sqe_map;
	/* The kernel starts both rings at 0, but read what it says. */
	r->sq_tail = *r->sq_ktail;

	r->cq_khead = (uint32_t *)(cq + p->cq_off.head);
	r->cq_ktail = (uint32_t *)(cq + p->cq_off.tail);
	r->cq_koverflow = (uint32_t *)(cq + p->cq_off.overflow);
	r->cq_mask = *(uint32_t *)(cq + p->cq_off.ring_mask);
	r->cq_entries = *(uint32_t *)(cq + p->cq_off.ring_entries);
	r->cqes = (struct io_uring_cqe *)(cq + p->cq_off.cqes);
	return 0;
}

RK_COLD int rk_ring_init(struct rk_ring *r, const struct rk_ring_config *cfg)
{
	struct io_uring_params p;
	rk_memset(r, 0, sizeof(*r));
	r->fd = -1;

	int fd = rk_ring_setup(cfg, &p);
	if (fd < 0)
		return fd;
	r->fd = r->enter_fd = fd;
	r->flags = p.flags;
	r->features = p.features;

	int ret = rk_ring_mmap(r, &p);
	if (ret < 0)
		goto fail;

	/* 5.18: register the ring fd itself, so each io_uring_enter skips the
	 * fd-table lookup (fdget/fdput). Optional: keep the plain fd on error. */
	if (!cfg->no_register_fd) {
		struct io_uring_rsrc_update up = { .offset = -1U, .data = (uint64_t)fd };
		if (sys_io_uring_register(fd, IORING_REGISTER_RING_FDS, &up, 1) == 1) {
			r->enter_fd = (int)up.offset;
			r->enter_flags = IORING_ENTER_REGISTERED_RING;
		}
	}
	return 0;
fail:
	rk_ring_exit(r);
	return ret;
}

RK_COLD void rk_ring_exit(struct rk_ring *r)
{
	/* The registered-ring slot holds its own reference to the ring file
	 * (io_uring/register.c, io_ring_add_registered_file): closing the fd
	 * alone would keep the ring, its memory and every request still in
	 * flight alive until the thread exits, and after 16 such rings
	 * (IO_RINGFD_REG_MAX) registration fails. Drop the slot first; like
	 * the registration it is per thread, so exit on the creating thread. */
	if (r->enter_flags & IORING_ENTER_REGISTERED_RING) {
		struct io_uring_rsrc_update up = { .offset = (uint32_t)r->enter_fd };
		sys_io_uring_register(r->fd, IORING_UNREGISTER_RING_FDS, &up, 1);
	}
	if (r->sqe_map && !rk_is_err(r->sqe_map))
		sys_munmap(r->sqe_map, r->sqe_map_len);
	if (r->cq_map && r->cq_map != r->sq_map && !rk_is_err(r->cq_map))
		sys_munmap(r->cq_map, r->cq_map_len);
	if (r->sq_map && !rk_is_err(r->sq_map))
		sys_munmap(r->sq_map, r->sq_map_len);
	/* Once the last reference goes, the kernel cancels whatever was
	 * still in flight. */
	if (r->fd >= 0)
		sys_close(r->fd);
	rk_memset(r, 0, sizeof(*r));
	r->fd = r->enter_fd = -1;
}

int rk_ring_register(struct rk_ring *r, uint32_t opcode, const void *arg, uint32_t nr)
{
	/* 6.3 (IORING_FEAT_REG_REG_RING): register calls may use the
	 * registered index too. */
	if ((r->enter_flags & IORING_ENTER_REGISTERED_RING) &&
	    (r->features & IORING_FEAT_REG_REG_RING))
		return sys_io_uring_register(r->enter_fd,
					     opcode | IORING_REGISTER_USE_REGISTERED_RING, arg, nr);
	return sys_io_uring_register(r->fd, opcode, arg, nr);
}

RK_COLD int rk_ring_files_sparse(struct rk_ring *r, uint32_t n)
{
	struct io_uring_rsrc_register reg = { .nr = n, .flags = IORING_RSRC_REGISTER_SPARSE };
	return rk_ring_register(r, IORING_REGISTER_FILES2, &reg, sizeof(reg));
}

/* The scan's user_data: CQEs of anything else still armed are skipped. */
#define RK_RING_SCAN_UD 0xffffffffffff5ca1ull

RK_COLD int rk_ring_files_free(struct rk_ring *r, uint32_t n)
{
	const struct __kernel_timespec second = { .tv_sec = 1 };
	uint32_t sent = 0, got = 0;
	int empty = 0;
	while (got < n) {
		struct io_uring_sqe *sqe;
		/* No more in flight than half the CQ holds. */
		while (sent < n && sent - got < r->cq_entries / 2 && (sqe = rk_ring_get_sqe(r))) {
			sqe->opcode = IORING_OP_ASYNC_CANCEL;
			sqe->fd = (int32_t)sent++;
			sqe->cancel_flags = IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_FD_FIXED;
			sqe->user_data = RK_RING_SCAN_UD;
		}
		int ret = rk_ring_submit_wait(r, 1, &second);
		uint32_t k = rk_ring_cq_ready(r);
		for (uint32_t i = 0; i < k; i++) {
			const struct io_uring_cqe *cqe = rk_ring_cqe(r, i);
			got += cqe->user_data == RK_RING_SCAN_UD;
			empty += cqe->user_data == RK_RING_SCAN_UD && cqe->res == -EBADF;
		}
		rk_ring_cq_advance(r, k);
		if (!k && ret < 0)
			return ret;
	}
	return empty;
}

RK_COLD int rk_ring_probe(struct rk_ring *r, struct io_uring_probe *probe, uint32_t nops)
{
	rk_memset(probe, 0, sizeof(*probe) + nops * sizeof(probe->ops[0]));
	return rk_ring_register(r, IORING_REGISTER_PROBE, probe, nops);
}

bool rk_ring_error_transient(int ret)
{
	return ret == -EBUSY || ret == -EAGAIN || ret == -EINTR;
}

bool rk_ring_error_persistent(int ret)
{
	return ret < 0 && ret != -ETIME && ret != -EBADR && !rk_ring_error_transient(ret);
}

static int64_t rk_ring_now_ns(void)
{
	struct __kernel_timespec t;
	sys_clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Publish the SQEs written since the last call. Pairs with the kernel's
 * smp_load_acquire(&rings->sq.tail) in io_sqring_entries(): every SQE store
 * before it happens before the kernel sees the new tail. */
static void rk_ring_publish(struct rk_ring *r)
{
	if (*r->sq_ktail == r->sq_tail)
		return;
	if (rk_trace_on(r->trace))
		for (uint32_t i = *r->sq_ktail; i != r->sq_tail; i++)
			rk_trace_sqe(r->trace, &r->sqes[i & r->sq_mask]);
	rk_store_release_u32(r->sq_ktail, r->sq_tail);
}

int rk_ring_submit_wait(struct rk_ring *r, uint32_t wait_nr, const struct __kernel_timespec *ts)
{
	rk_ring_publish(r);
	uint32_t to_submit = rk_ring_sq_pending(r);
	uint32_t flags = r->enter_flags;
	bool enter = false;

	if (r->flags & IORING_SETUP_SQPOLL) {
		/* Full fence between our tail store and the flags load. Pairs
		 * with the smp_mb in the SQPOLL thread (io_sqpoll_wait_sq) that
		 * sets NEED_WAKEUP and then re-reads the tail: either it sees
		 * our tail, or we see its NEED_WAKEUP. Without it both could
		 * read stale values and the SQE would sit there unsubmitted. */
		rk_smp_mb();
		if (to_submit && (rk_load_relaxed_u32(r->sq_kflags) & IORING_SQ_NEED_WAKEUP)) {
			flags |= IORING_ENTER_SQ_WAKEUP;
			r->n_wakeup++;
			enter = true;
		}
	} else if (to_submit) {
		enter = true;
	}

	/* Completions that need a GETEVENTS enter to appear: a full CQ left
	 * some in the kernel's overflow list, or task work (COOP/DEFER with
	 * TASKRUN_FLAG) waits to run. DEFER_TASKRUN without the flag posts
	 * completions only in GETEVENTS, so ask whenever we enter at all. */
	uint32_t kflags = rk_load_relaxed_u32(r->sq_kflags);
	if (kflags & IORING_SQ_CQ_OVERFLOW)
		r->n_overflow++;
	if (wait_nr || (kflags & (IORING_SQ_CQ_OVERFLOW | IORING_SQ_TASKRUN)) ||
	    (enter && (r->flags & IORING_SETUP_DEFER_TASKRUN))) {
		flags |= IORING_ENTER_GETEVENTS;
		enter = true;
	}
	/* Under SQPOLL the thread takes the SQEs without us: report them as
	 * submitted, as io_uring_enter itself does (it returns to_submit). */
	if (!enter)
		return (int)to_submit;

	/* The kernel reads the timeout through arg.ts at each enter: `left`
	 * is what remains of ts, shortened after every signal. */
	struct __kernel_timespec left;
	struct io_uring_getevents_arg arg = { .ts = (uint64_t)(uintptr_t)&left };
	const void *argp = 0;
	size_t argsz = 0;
	int64_t deadline = 0;
	if (ts) {
		/* 5.11 (IORING_FEAT_EXT_ARG): a timeout without a timeout SQE. */
		if (!(r->features & IORING_FEAT_EXT_ARG))
			return -EOPNOTSUPP;
		flags |= IORING_ENTER_EXT_ARG;
		argp = &arg;
		argsz = sizeof(arg);
		left = *ts;
		deadline = rk_ring_now_ns() + ts->tv_sec * 1000000000 + ts->tv_nsec;
	}

	int ret;
	for (;;) {
		r->n_enter++;
		ret = sys_io_uring_enter(r->enter_fd, to_submit, wait_nr, flags, argp, argsz);
		if (ret != -EINTR)
			break;
		/* Nothing was submitted (the kernel reports the wait's error
		 * only then): the same SQEs go again, with the time left. */
		if (ts) {
			int64_t rest = deadline - rk_ring_now_ns();
			if (rest <= 0) {
				ret = -ETIME;
				break;
			}
			left.tv_sec = rest / 1000000000;
			left.tv_nsec = rest % 1000000000;
		}
	}
	if (rk_trace_on(r->trace))
		rk_trace_enter(r->trace, r->enter_fd, to_submit, wait_nr, flags, ret);
	if (ret == -EBUSY || ret == -EAGAIN)
		r->n_busy++;
	else if (ret == -EBADR)
		r->n_dropped++;
	return ret;
}

/* Under SQPOLL with the SQ full: sleep until the SQ thread has taken some
 * entries (io_sqpoll_wait_sq), waking it first if it sleeps itself. */
static int rk_ring_sq_wait(struct rk_ring *r)
{
	rk_ring_publish(r);
	/* The same fence as in rk_ring_submit_wait, before NEED_WAKEUP. */
	rk_smp_mb();
	uint32_t flags = r->enter_flags | IORING_ENTER_SQ_WAIT;
	if (rk_load_relaxed_u32(r->sq_kflags) & IORING_SQ_NEED_WAKEUP) {
		flags |= IORING_ENTER_SQ_WAKEUP;
		r->n_wakeup++;
	}
	r->n_enter++;
	r->n_sq_wait++;
	int ret = sys_io_uring_enter(r->enter_fd, 0, 0, flags, 0, 0);
	if (rk_trace_on(r->trace))
		rk_trace_enter(r->trace, r->enter_fd, 0, 0, flags, ret);
	return ret;
}

/* The SQ is full: make room (see rk_ring_get_sqe_wait). */
static RK_COLD struct io_uring_sqe *rk_ring_get_sqe_full(struct rk_ring *r)
{
	unsigned again = 0;
	for (;;) {
		struct io_uring_sqe *sqe = rk_ring_get_sqe(r);
		if (sqe)
			return sqe;
		int ret = (r->flags & IORING_SETUP_SQPOLL) ? rk_ring_sq_wait(r) : rk_ring_submit(r);
		if (ret >= 0 || ret == -EINTR || ret == -ETIME || ret == -EBADR)
			continue;
		if (ret == -EAGAIN && ++again <= 1000) {
			struct __kernel_timespec ms = { .tv_nsec = 1000 * 1000 };
			sys_nanosleep(&ms);
			continue;
		}
		r->sq_error = ret;
		return 0;
	}
}

struct io_uring_sqe *rk_ring_get_sqe_wait(struct rk_ring *r)
{
	struct io_uring_sqe *sqe = rk_ring_get_sqe(r);
	return rk_likely(sqe != 0) ? sqe : rk_ring_get_sqe_full(r);
}

RK_COLD bool rk_ring_sq_room(struct rk_ring *r, uint32_t n)
{
	while (r->sq_entries - rk_ring_sq_pending(r) < n) {
		int ret = (r->flags & IORING_SETUP_SQPOLL) ? rk_ring_sq_wait(r) : rk_ring_submit(r);
		if (rk_ring_error_persistent(ret) || ret == -EAGAIN)
			return false;
	}
	return true;
}
