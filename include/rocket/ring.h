/* include/rocket/ring.h - an io_uring instance: setup, the SQ and CQ rings,
 * submitting and waiting.
 *
 * Follows io_uring(7), io_uring_setup(2) and io_uring_enter(2). The SQ and
 * CQ are two single-producer/single-consumer rings shared with the kernel:
 *   SQ: we write SQEs and the tail, the kernel reads them and moves the head;
 *   CQ: the kernel writes CQEs and the tail, we read them and move the head.
 * Every access to a shared index names the barrier that orders it and the
 * kernel-side access it pairs with (io_uring/io_uring.c, io_uring.h).
 * Read next: src/ring/ring.c.
 */
#ifndef ROCKET_RING_H
#define ROCKET_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/io_uring.h"
#include "arch.h"
#include "trace.h"

struct rk_ring_config {
	uint32_t sq_entries;   /* wanted SQ size (the kernel rounds up to 2^n) */
	uint32_t cq_entries;   /* 0: the kernel's default (2 x SQ) */
	bool sqpoll;           /* a kernel thread submits for us */
	int sqpoll_cpu;        /* pin that thread (-1: anywhere) */
	uint32_t sq_idle_ms;   /* SQPOLL idle time before it sleeps (0: kernel default) */
	bool no_defer_taskrun; /* skip SINGLE_ISSUER|DEFER_TASKRUN */
	bool no_taskrun_flag;  /* skip IORING_SETUP_TASKRUN_FLAG: pending task
	                         * work is then not flagged in the SQ ring */
	bool no_sqarray;       /* skip IORING_SETUP_NO_SQARRAY */
	bool no_register_fd;   /* skip IORING_REGISTER_RING_FDS */
	bool no_clamp;         /* refuse sizes above the kernel maximum instead */
};

struct rk_ring {
	int fd;               /* the ring's file descriptor */
	int enter_fd;         /* fd, or the registered-ring index */
	uint32_t enter_flags; /* IORING_ENTER_REGISTERED_RING when registered */
	uint32_t flags;       /* IORING_SETUP_* the kernel granted */
	uint32_t features;    /* IORING_FEAT_* the kernel reported */

	/* SQ: kernel-shared words, then our private state. */
	uint32_t *sq_khead;    /* kernel writes (consumes), we read */
	uint32_t *sq_ktail;    /* we write (store-release), kernel reads */
	uint32_t *sq_kflags;   /* kernel writes: NEED_WAKEUP, CQ_OVERFLOW, TASKRUN */
	uint32_t *sq_kdropped; /* kernel writes: invalid SQ array entries */
	uint32_t *sq_array;    /* index array, NULL with IORING_SETUP_NO_SQARRAY */
	struct io_uring_sqe *sqes;
	uint32_t sq_mask, sq_entries;
	uint32_t sq_tail; /* next SQE to hand out; published on submit */

	/* CQ */
	uint32_t *cq_khead;     /* we write (store-release), kernel reads */
	uint32_t *cq_ktail;     /* kernel writes (store-release), we load-acquire */
	uint32_t *cq_koverflow; /* CQEs the kernel dropped: before NODROP (5.5) every
	                         * one that did not fit, since then only those it
	                         * could not even queue in its overflow list */
	struct io_uring_cqe *cqes;
	uint32_t cq_mask, cq_entries;

	/* Mappings, for teardown. */
	void *sq_map, *cq_map, *sqe_map;
	size_t sq_map_len, cq_map_len, sqe_map_len;

	/* --trace: decode every SQE, enter and CQE (NULL: off). */
	const struct rk_trace *trace;

	/* Counters: what a study of the ring needs. */
	uint64_t n_enter;    /* io_uring_enter calls */
	uint64_t n_overflow; /* enters forced by IORING_SQ_CQ_OVERFLOW */
	uint64_t n_wakeup;   /* SQPOLL wake-ups */
	uint64_t n_busy;     /* -EBUSY/-EAGAIN from enter */
	uint64_t n_dropped;  /* -EBADR from enter: CQEs were dropped */
	uint64_t n_sq_wait;  /* enters with IORING_ENTER_SQ_WAIT (SQPOLL, SQ full) */
	int sq_error;        /* why rk_ring_get_sqe_wait() last returned NULL */
};

/* Set up a ring. Tries the newest setup flags first and falls back when the
 * kernel answers -EINVAL: NO_SQARRAY (6.6), SINGLE_ISSUER|DEFER_TASKRUN (6.1),
 * COOP_TASKRUN|TASKRUN_FLAG (5.19), then none. With SQPOLL, DEFER_TASKRUN is
 * not allowed, so that step is skipped. r->flags says what was granted.
 * Must be called on the thread that will submit (SINGLE_ISSUER).
 * Returns 0 or -errno. */
int rk_ring_init(struct rk_ring *r, const struct rk_ring_config *cfg);

/* Unmap and close everything rk_ring_init() made. */
void rk_ring_exit(struct rk_ring *r);

/* Names of the granted setup flags, for start-up lines: writes a
 * NUL-terminated "SQPOLL|SINGLE_ISSUER|..." into buf; returns its length.
 * (In src/ring/trace.c, beside the other flag names.) */
size_t rk_ring_flags_str(uint32_t setup_flags, char *buf, size_t cap);

/* ---- SQ ------------------------------------------------------------------ */

/* The number of SQEs handed out and not yet consumed by the kernel. */
static inline uint32_t rk_ring_sq_pending(const struct rk_ring *r)
{
	/* Pairs with the kernel's smp_store_release of sq.head after it has
	 * read the SQEs (io_commit_sqring): once we see the head move, those
	 * SQE slots are free to overwrite. */
	return r->sq_tail - rk_load_acquire_u32(r->sq_khead);
}

/* Hand out the next free SQE, zeroed, or NULL when the SQ is full (submit
 * first, then try again). */
static inline struct io_uring_sqe *rk_ring_get_sqe(struct rk_ring *r)
{
	if (rk_ring_sq_pending(r) >= r->sq_entries)
		return 0;
	struct io_uring_sqe *sqe = &r->sqes[r->sq_tail & r->sq_mask];
	if (r->sq_array)
		r->sq_array[r->sq_tail & r->sq_mask] = r->sq_tail & r->sq_mask;
	r->sq_tail++;
	__builtin_memset(sqe, 0, sizeof(*sqe));
	return sqe;
}

/* Submit all pending SQEs; wait for at least wait_nr completions; with ts,
 * give up after that relative time (-ETIME when nothing arrived).
 * Enters the kernel only when it must: SQEs to submit (without SQPOLL), an
 * SQPOLL thread to wake, completions to wait for, or IORING_SQ_CQ_OVERFLOW /
 * IORING_SQ_TASKRUN set; with DEFER_TASKRUN every enter also runs the task
 * work (GETEVENTS), so completions that were waiting for it show up.
 * A signal (-EINTR) is retried, with what is left of ts (CLOCK_MONOTONIC,
 * the clock io_uring measures ts on): a stream of signals cannot stretch
 * the wait.
 *
 * Returns the number of SQEs the kernel took (it may be fewer than pending:
 * a short submit leaves the rest queued for the next call; under SQPOLL,
 * those handed to the SQ thread; when SQEs were taken the kernel reports
 * no wait error, so fewer than wait_nr CQEs may be ready), or -errno:
 *   -ETIME    ts passed and nothing was submitted or completed;
 *   -EBUSY, -EAGAIN  transient: the kernel could not take SQEs now (-EBUSY:
 *             kernels before 5.13 with CQEs in the overflow list; -EAGAIN: no
 *             memory for requests). Reap CQEs, then call again; if none are
 *             ready, back off before calling again (rk_ring_error_transient);
 *   -EBADR    (5.19) the kernel dropped CQEs it could not even queue in its
 *             overflow list (*cq_koverflow counts them). Reported once, then
 *             cleared by the kernel: count it (n_dropped) and carry on; the
 *             next call waits normally, so do not spin on it. The operations
 *             whose CQEs were lost will never report again: a caller that
 *             needs them all should treat this as fatal for those;
 *   anything else is persistent (the ring cannot be used from here):
 *             -EBADF/-EBADFD (no such ring, or disabled), -EEXIST (another
 *             thread submits on a SINGLE_ISSUER ring), -EOWNERDEAD (the
 *             SQPOLL thread is gone), -EOPNOTSUPP (ts without EXT_ARG, 5.11),
 *             -EINVAL/-EFAULT. Stop using the ring; do not retry. */
int rk_ring_submit_wait(struct rk_ring *r, uint32_t wait_nr, const struct __kernel_timespec *ts);

/* Is ret (from rk_ring_submit_wait) an error worth retrying after reaping
 * (-EBUSY, -EAGAIN, -EINTR)? With nothing to reap, pause before retrying. */
bool rk_ring_error_transient(int ret);

/* Does ret (from rk_ring_submit_wait) mean the ring is unusable? Counts,
 * -ETIME, -EBADR and the transient errors do not. */
bool rk_ring_error_persistent(int ret);

static inline int rk_ring_submit(struct rk_ring *r)
{
	return rk_ring_submit_wait(r, 0, 0);
}

/* An SQE for sure, or NULL only on a persistent error: when the SQ is full,
 * submit to make room. Under SQPOLL the SQ thread, not the submit, frees
 * entries: publish the tail (waking the thread if it sleeps), then sleep in
 * io_uring_enter(IORING_ENTER_SQ_WAIT) until it has taken some, instead of
 * spinning. Retries -EINTR; -EAGAIN (no memory for requests) is retried
 * after 1 ms pauses for up to a second. Returns NULL, with the error in
 * r->sq_error, when the kernel refuses the SQEs for good (a persistent error
 * of rk_ring_submit_wait), when -EAGAIN lasts, or on -EBUSY (kernels before
 * 5.13: the CQ must be reaped first, which only the caller can do). */
struct io_uring_sqe *rk_ring_get_sqe_wait(struct rk_ring *r);

/* Make room for n SQEs in a row before writing them, so a link chain
 * reaches the kernel in one piece (a submit, under SQPOLL the SQ thread's
 * read, ends a chain). Submits, or waits for the SQ thread, as needed.
 * False when the ring refuses SQEs (a persistent error). */
bool rk_ring_sq_room(struct rk_ring *r, uint32_t n);

/* ---- CQ ------------------------------------------------------------------ */

/* How many CQEs are ready to read. */
static inline uint32_t rk_ring_cq_ready(const struct rk_ring *r)
{
	/* Pairs with the kernel's smp_store_release of cq.tail after writing
	 * the CQEs (io_commit_cqring): the CQE contents we then read are
	 * complete. The head is ours alone, a plain load is enough. */
	return rk_load_acquire_u32(r->cq_ktail) - *r->cq_khead;
}

/* The i-th ready CQE (0 = oldest). Valid until rk_ring_cq_advance(). */
static inline struct io_uring_cqe *rk_ring_cqe(const struct rk_ring *r, uint32_t i)
{
	return &r->cqes[(*r->cq_khead + i) & r->cq_mask];
}

/* Mark n CQEs consumed: their slots go back to the kernel. */
static inline void rk_ring_cq_advance(struct rk_ring *r, uint32_t n)
{
	/* Pairs with the kernel's load of cq.head when it checks for free CQ
	 * space (io_cqring_event_overflow/__io_cqring_events): our reads of
	 * those CQEs complete before the kernel may overwrite them. */
	rk_store_release_u32(r->cq_khead, *r->cq_khead + n);
}

/* Does the kernel hold completions in its overflow list? */
static inline bool rk_ring_cq_overflowed(const struct rk_ring *r)
{
	return rk_load_relaxed_u32(r->sq_kflags) & IORING_SQ_CQ_OVERFLOW;
}

/* ---- helpers --------------------------------------------------------------- */

/* IORING_OP_MSG_RING with IORING_MSG_DATA (io_uring_prep_msg_ring(3)):
 * post a CQE {user_data = ud, res = res} into the ring whose fd is
 * target_fd. The only way Rocket's threads talk to each other. */
static inline void rk_prep_msg_ring(struct io_uring_sqe *sqe, int target_fd, uint32_t res,
				    uint64_t ud)
{
	sqe->opcode = IORING_OP_MSG_RING;
	sqe->fd = target_fd;
	sqe->addr = IORING_MSG_DATA;
	sqe->len = res;
	sqe->off = ud;
}

/* A sparse table of n direct descriptors (IORING_REGISTER_FILES2 with
 * IORING_RSRC_REGISTER_SPARSE, 5.19): slots for ACCEPT with
 * IORING_FILE_INDEX_ALLOC and for IORING_MSG_SEND_FD. The kernel refuses
 * more slots than RLIMIT_NOFILE (-EMFILE). Returns 0 or -errno. */
int rk_ring_files_sparse(struct rk_ring *r, uint32_t n);

/* How many of the table's first n slots hold no file, as the kernel says:
 * an IORING_OP_ASYNC_CANCEL by fixed fd of each slot answers -EBADF for an
 * empty one (io_uring/cancel.c), -ENOENT for a file with nothing to cancel.
 * For the end of a ring's life (the CQ must be otherwise idle). Returns the
 * count or -errno. */
int rk_ring_files_free(struct rk_ring *r, uint32_t n);

/* IORING_REGISTER_PROBE into probe (with room for nops ops). Returns 0/-errno. */
int rk_ring_probe(struct rk_ring *r, struct io_uring_probe *probe, uint32_t nops);

/* io_uring_register(2) through the registered ring index when we have one. */
int rk_ring_register(struct rk_ring *r, uint32_t opcode, const void *arg, uint32_t nr);

#endif
