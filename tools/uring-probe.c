/* tools/uring-probe.c - what io_uring can do on this kernel: the release,
 * the IORING_FEAT_* bits, the setup flags it accepts, the opcodes it
 * supports (IORING_REGISTER_PROBE) and whether incremental buffer rings and
 * receive bundles really work. Follows io_uring_setup(2) and
 * io_uring_register(2); uses libc for printing plus Rocket's ring layer.
 * With --explain: for each io_uring feature Rocket uses, whether this
 * kernel has it (measured, not guessed from the version) and what Rocket
 * does without it, then a one-line verdict.
 * Usage: uring-probe [--explain]  (exit 0; 1 when io_uring itself is
 * unavailable or, with --explain, a feature Rocket requires is missing;
 * 2 on a bad argument)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "rocket/bufring.h"
#include "rocket/fmt.h"
#include "rocket/ring.h"
#include "rocket/trace.h"

/* io_uring_setup refused: a kernel without io_uring (ENOSYS) is not one
 * that forbids it (EPERM: the kernel.io_uring_disabled sysctl, or else a
 * seccomp filter - a container's default profile). */
static const char *why_no_uring(int err)
{
	unsigned off = 0;
	FILE *f = fopen("/proc/sys/kernel/io_uring_disabled", "r");
	if (f) {
		if (fscanf(f, "%u", &off) != 1)
			off = 0;
		fclose(f);
	}
	if (err == -ENOSYS)
		return "no io_uring in this kernel (CONFIG_IO_URING off, older than 5.1, or a "
		       "seccomp filter that answers ENOSYS)";
	if (err != -EPERM)
		return "io_uring unavailable";
	if (off == 2)
		return "io_uring is disabled (sysctl kernel.io_uring_disabled = 2)";
	if (off == 1)
		return "io_uring is only for root and kernel.io_uring_group "
		       "(sysctl kernel.io_uring_disabled = 1)";
	return "io_uring is blocked by a seccomp filter (kernel.io_uring_disabled is 0): allow "
	       "io_uring_setup, io_uring_enter and io_uring_register";
}

/* raw io_uring_setup, no rk_ring: we want the kernel's answer to each flag */
static int setup_raw(uint32_t entries, struct io_uring_params *p)
{
	return (int)rk_syscall2(__NR_io_uring_setup, (long)entries, (long)p);
}

struct name {
	uint32_t bit;
	const char *name;
};

static const struct name feat_names[] = {
	{ IORING_FEAT_SINGLE_MMAP, "SINGLE_MMAP" },
	{ IORING_FEAT_NODROP, "NODROP" },
	{ IORING_FEAT_SUBMIT_STABLE, "SUBMIT_STABLE" },
	{ IORING_FEAT_RW_CUR_POS, "RW_CUR_POS" },
	{ IORING_FEAT_CUR_PERSONALITY, "CUR_PERSONALITY" },
	{ IORING_FEAT_FAST_POLL, "FAST_POLL" },
	{ IORING_FEAT_POLL_32BITS, "POLL_32BITS" },
	{ IORING_FEAT_SQPOLL_NONFIXED, "SQPOLL_NONFIXED" },
	{ IORING_FEAT_EXT_ARG, "EXT_ARG" },
	{ IORING_FEAT_NATIVE_WORKERS, "NATIVE_WORKERS" },
	{ IORING_FEAT_RSRC_TAGS, "RSRC_TAGS" },
	{ IORING_FEAT_CQE_SKIP, "CQE_SKIP" },
	{ IORING_FEAT_LINKED_FILE, "LINKED_FILE" },
	{ IORING_FEAT_REG_REG_RING, "REG_REG_RING" },
	{ IORING_FEAT_RECVSEND_BUNDLE, "RECVSEND_BUNDLE" },
	{ IORING_FEAT_MIN_TIMEOUT, "MIN_TIMEOUT" },
	{ IORING_FEAT_RW_ATTR, "RW_ATTR" },
	{ IORING_FEAT_NO_IOWAIT, "NO_IOWAIT" },
};

static void row(const char *what, const char *fmt_val)
{
	printf("  %-22s %s\n", what, fmt_val);
}

/* ---- setup flags ---------------------------------------------------------- */

struct setup_try {
	const char *name;
	uint32_t flags; /* the flag and the companions it needs */
	const char *needs;
};

static const struct setup_try setup_tries[] = {
	{ "IOPOLL", IORING_SETUP_IOPOLL, "" },
	{ "SQPOLL", IORING_SETUP_SQPOLL, "" },
	{ "SQ_AFF", IORING_SETUP_SQPOLL | IORING_SETUP_SQ_AFF, "SQPOLL" },
	{ "CQSIZE", IORING_SETUP_CQSIZE, "" },
	{ "CLAMP", IORING_SETUP_CLAMP, "" },
	{ "ATTACH_WQ", IORING_SETUP_ATTACH_WQ, "a ring to attach to" },
	{ "R_DISABLED", IORING_SETUP_R_DISABLED, "" },
	{ "SUBMIT_ALL", IORING_SETUP_SUBMIT_ALL, "" },
	{ "COOP_TASKRUN", IORING_SETUP_COOP_TASKRUN, "" },
	{ "TASKRUN_FLAG", IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG, "COOP_TASKRUN" },
	{ "SQE128", IORING_SETUP_SQE128, "" },
	{ "CQE32", IORING_SETUP_CQE32, "" },
	{ "SINGLE_ISSUER", IORING_SETUP_SINGLE_ISSUER, "" },
	{ "DEFER_TASKRUN", IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
	  "SINGLE_ISSUER" },
	{ "NO_MMAP", IORING_SETUP_NO_MMAP, "user memory" },
	{ "REGISTERED_FD_ONLY", IORING_SETUP_NO_MMAP | IORING_SETUP_REGISTERED_FD_ONLY, "NO_MMAP" },
	{ "NO_SQARRAY", IORING_SETUP_NO_SQARRAY, "" },
	{ "HYBRID_IOPOLL", IORING_SETUP_IOPOLL | IORING_SETUP_HYBRID_IOPOLL, "IOPOLL" },
};

static int try_setup(uint32_t flags, int attach_fd)
{
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	p.flags = flags;
	if (flags & IORING_SETUP_CQSIZE)
		p.cq_entries = 64;
	if (flags & IORING_SETUP_ATTACH_WQ)
		p.wq_fd = (uint32_t)attach_fd;
	p.sq_thread_cpu = 0;
	p.sq_thread_idle = 10;
	void *mem[2] = { 0, 0 };
	if (flags & IORING_SETUP_NO_MMAP) {
		/* The rings and SQEs in our own memory: a page each is plenty
		 * for 4 entries. */
		for (int i = 0; i < 2; i++) {
			mem[i] = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				      -1, 0);
			if (mem[i] == MAP_FAILED)
				return -12;
		}
		p.cq_off.user_addr = (uint64_t)(uintptr_t)mem[0];
		p.sq_off.user_addr = (uint64_t)(uintptr_t)mem[1];
	}
	int fd = setup_raw(4, &p);
	if (fd >= 0 && (flags & IORING_SETUP_REGISTERED_FD_ONLY)) {
		/* Not an fd but a registered-ring index: dropping the slot
		 * (through itself) frees the ring. */
		struct io_uring_rsrc_update up = { .offset = (uint32_t)fd };
		rk_syscall4(__NR_io_uring_register, fd,
			    IORING_UNREGISTER_RING_FDS | IORING_REGISTER_USE_REGISTERED_RING,
			    (long)&up, 1);
	} else if (fd >= 0) {
		close(fd);
	}
	for (int i = 0; i < 2; i++)
		if (mem[i])
			munmap(mem[i], 4096);
	return fd;
}

/* ---- functional checks over a socketpair ---------------------------------- */

static int recv_once(struct rk_ring *r, int fd, uint16_t bgid, uint16_t ioprio,
		     struct io_uring_cqe *out)
{
	struct io_uring_sqe *sqe = rk_ring_get_sqe(r);
	if (!sqe)
		return -1;
	sqe->opcode = IORING_OP_RECV;
	sqe->fd = fd;
	sqe->flags = IOSQE_BUFFER_SELECT;
	sqe->buf_group = bgid;
	sqe->ioprio = ioprio;
	struct __kernel_timespec ts = { .tv_sec = 2 };
	int ret = rk_ring_submit_wait(r, 1, &ts);
	if (ret < 0)
		return ret;
	if (!rk_ring_cq_ready(r) && rk_ring_submit_wait(r, 1, &ts) < 0)
		return -1;
	if (!rk_ring_cq_ready(r))
		return -1;
	*out = *rk_ring_cqe(r, 0);
	rk_ring_cq_advance(r, 1);
	return 0;
}

/* IOU_PBUF_RING_INC: two small receives share one buffer, the first with
 * IORING_CQE_F_BUF_MORE. */
static const char *check_inc(struct rk_ring *r)
{
	struct rk_bufring b;
	int sv[2];
	const char *verdict = "no";
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return "no (socketpair)";
	if (rk_bufring_init(&b, r, 1, 4, 4096, RK_BUFRING_INC) < 0) {
		verdict = "no (buffer ring)";
		goto out;
	}
	if (!b.incremental) {
		verdict = "no (registration refused)";
		goto out_b;
	}
	struct io_uring_cqe c1, c2;
	if (write(sv[0], "0123456789", 10) != 10 || recv_once(r, sv[1], 1, 0, &c1) < 0 ||
	    write(sv[0], "abcdefghij", 10) != 10 || recv_once(r, sv[1], 1, 0, &c2) < 0)
		goto out_b;
	if (c1.res == 10 && c2.res == 10 && (c1.flags & IORING_CQE_F_BUF_MORE) &&
	    rk_cqe_bid(&c1) == rk_cqe_bid(&c2) &&
	    !memcmp(rk_bufring_addr(&b, (uint16_t)rk_cqe_bid(&c1)), "0123456789abcdefghij", 20))
		verdict = "yes";
	else
		verdict = "no (registered, but receives did not share a buffer)";
out_b:
	rk_bufring_exit(&b, r);
out:
	close(sv[0]);
	close(sv[1]);
	return verdict;
}

/* IORING_RECVSEND_BUNDLE: 256 queued bytes into 64-byte buffers, one CQE
 * covering more than one buffer. */
static const char *check_bundle(struct rk_ring *r)
{
	struct rk_bufring b;
	int sv[2];
	const char *verdict = "no";
	if (!(r->features & IORING_FEAT_RECVSEND_BUNDLE))
		return "no (IORING_FEAT_RECVSEND_BUNDLE not set)";
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return "no (socketpair)";
	if (rk_bufring_init(&b, r, 2, 8, 64, 0) < 0) {
		verdict = "no (buffer ring)";
		goto out;
	}
	char data[256];
	for (int i = 0; i < 256; i++)
		data[i] = (char)i;
	struct io_uring_cqe c;
	if (write(sv[0], data, sizeof(data)) == (ssize_t)sizeof(data) &&
	    recv_once(r, sv[1], 2, IORING_RECVSEND_BUNDLE, &c) == 0) {
		struct rk_buf_seg segs[8];
		int n = c.res > 0 ? rk_bufring_consume(&b, &c, segs, 8) : 0;
		int ok = n > 1;
		for (int i = 0, off = 0; ok && i < n; off += (int)segs[i].len, i++)
			ok = !memcmp(segs[i].p, data + off, segs[i].len);
		verdict = ok ? "yes" : c.res < 0 ? "no (recv failed)" : "no (one buffer per CQE)";
	}
	rk_bufring_exit(&b, r);
out:
	close(sv[0]);
	close(sv[1]);
	return verdict;
}

/* ---- --explain: the features Rocket uses, measured ------------------------ */

enum { HERE_NO = 0, HERE_YES = 1, HERE_UNKNOWN = -1 };

struct feature {
	const char *name, *since;
	bool required;        /* Rocket refuses to run (or cannot) without it */
	const char *yes, *no; /* what Rocket does with it, and without it */
	/* measured */
	int here;
	const char *text; /* overrides yes/no when set */
	char why[80];     /* how "no" (or "?") was measured */
};

static struct __kernel_timespec ms_ts(long ms)
{
	return (struct __kernel_timespec){ .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };
}

/* Submit what is queued, then collect CQEs until `want` have come or `ms`
 * milliseconds pass without one. Needs IORING_FEAT_EXT_ARG (timed waits):
 * the callers check. Returns how many CQEs came (at most cap are copied). */
static unsigned reap(struct rk_ring *r, struct io_uring_cqe *out, unsigned cap, unsigned want,
		     long ms)
{
	unsigned n = 0;
	while (n < want) {
		struct __kernel_timespec ts = ms_ts(ms);
		int ret = rk_ring_submit_wait(r, 1, &ts);
		uint32_t ready = rk_ring_cq_ready(r);
		for (uint32_t i = 0; i < ready; i++, n++)
			if (n < cap)
				out[n] = *rk_ring_cqe(r, i);
		rk_ring_cq_advance(r, ready);
		if (!ready && ret < 0)
			break;
	}
	return n;
}

/* A ring the way Rocket sets one up (rk_ring_init defaults). */
static int fresh_ring(struct rk_ring *r)
{
	struct rk_ring_config cfg = { .sq_entries = 16, .sqpoll_cpu = -1 };
	return rk_ring_init(r, &cfg);
}

/* Record a measured answer and the error that gave it: "<what> -22 EINVAL". */
static void set_why(struct feature *f, int here, const char *what, int err)
{
	f->here = here;
	snprintf(f->why, sizeof(f->why), "%s %d %s", what, err, rk_errno_name(err));
}

/* Cancel every request on fd (IORING_ASYNC_CANCEL_FD|ALL, 5.19), queued as
 * SQE user_data ud. */
static void queue_cancel_fd(struct rk_ring *r, int fd, uint64_t ud)
{
	struct io_uring_sqe *sqe = rk_ring_get_sqe(r);
	if (!sqe)
		return;
	sqe->opcode = IORING_OP_ASYNC_CANCEL;
	sqe->fd = fd;
	sqe->cancel_flags = IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL;
	sqe->user_data = ud;
}

/* Multishot accept: two connections waiting in the backlog of a loopback
 * listener, one ACCEPT SQE with IORING_ACCEPT_MULTISHOT, two CQEs with
 * IORING_CQE_F_MORE. Before 5.19 the CQE is -EINVAL. */
static void check_accept(struct feature *f, struct rk_ring *r)
{
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), cfd[2] = { -1, -1 };
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t slen = sizeof(sa);
	f->here = HERE_UNKNOWN;
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 8) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &slen) < 0) {
		snprintf(f->why, sizeof(f->why), "no loopback listener: %s", strerror(errno));
		goto out;
	}
	for (int i = 0; i < 2; i++) {
		cfd[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (cfd[i] < 0 || connect(cfd[i], (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			snprintf(f->why, sizeof(f->why), "loopback connect: %s", strerror(errno));
			goto out;
		}
	}
	struct io_uring_sqe *sqe = rk_ring_get_sqe(r);
	sqe->opcode = IORING_OP_ACCEPT;
	sqe->fd = lfd;
	sqe->ioprio = IORING_ACCEPT_MULTISHOT;
	sqe->accept_flags = SOCK_CLOEXEC;
	sqe->user_data = 1;
	struct io_uring_cqe c[2];
	unsigned n = reap(r, c, 2, 2, 500);
	int more = 0;
	for (unsigned i = 0; i < n && i < 2; i++) {
		if (c[i].res >= 0) {
			close(c[i].res);
			more += !!(c[i].flags & IORING_CQE_F_MORE);
		}
	}
	if (n == 2 && more == 2)
		f->here = HERE_YES;
	else if (n >= 1 && c[0].res < 0)
		set_why(f, HERE_NO, "CQE", c[0].res);
	else
		snprintf(f->why, sizeof(f->why), "%u CQEs, %d with F_MORE", n, more);
	queue_cancel_fd(r, lfd, 2);
	reap(r, c, 2, 2, 100);
out:
	for (int i = 0; i < 2; i++)
		if (cfd[i] >= 0)
			close(cfd[i]);
	if (lfd >= 0)
		close(lfd);
}

/* Multishot recv with buffer selection (6.0): two writes, two CQEs from one
 * SQE, both with IORING_CQE_F_MORE. */
static void check_recv_multishot(struct feature *f, struct rk_ring *r)
{
	struct rk_bufring b;
	int sv[2];
	f->here = HERE_UNKNOWN;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		snprintf(f->why, sizeof(f->why), "socketpair: %s", strerror(errno));
		return;
	}
	int ret = rk_bufring_init(&b, r, 3, 8, 64, 0);
	if (ret < 0) {
		set_why(f, HERE_UNKNOWN, "no buffer ring:", ret);
		goto out;
	}
	struct io_uring_sqe *sqe = rk_ring_get_sqe(r);
	sqe->opcode = IORING_OP_RECV;
	sqe->fd = sv[1];
	sqe->ioprio = IORING_RECV_MULTISHOT;
	sqe->flags = IOSQE_BUFFER_SELECT;
	sqe->buf_group = 3;
	sqe->user_data = 1;
	struct io_uring_cqe c[2];
	unsigned n = 0;
	if (write(sv[0], "hello", 5) == 5) {
		n += reap(r, c, 1, 1, 500);
		if (n == 1 && c[0].res == 5 && write(sv[0], "again", 5) == 5)
			n += reap(r, c + 1, 1, 1, 500);
	}
	if (n == 2 && c[0].res == 5 && c[1].res == 5 && (c[0].flags & IORING_CQE_F_MORE) &&
	    (c[1].flags & IORING_CQE_F_MORE))
		f->here = HERE_YES;
	else if (n >= 1 && c[0].res < 0)
		set_why(f, HERE_NO, "CQE", c[0].res);
	else if (n >= 1 && !(c[0].flags & IORING_CQE_F_MORE))
		set_why(f, HERE_NO, "CQE without F_MORE, res", c[0].res);
	else
		snprintf(f->why, sizeof(f->why), "%u CQEs", n);
	queue_cancel_fd(r, sv[1], 2);
	reap(r, c, 2, 2, 100);
	rk_bufring_exit(&b, r);
out:
	close(sv[0]);
	close(sv[1]);
}

/* IORING_OP_MSG_RING (5.18): ring a posts a CQE into ring b. */
static void check_msg_ring(struct feature *f, struct rk_ring *a)
{
	struct rk_ring b;
	int ret = fresh_ring(&b);
	if (ret < 0) {
		set_why(f, HERE_UNKNOWN, "second ring:", ret);
		return;
	}
	struct io_uring_sqe *sqe = rk_ring_get_sqe(a);
	sqe->opcode = IORING_OP_MSG_RING;
	sqe->fd = b.fd;
	sqe->addr = IORING_MSG_DATA;
	sqe->len = 0x5eed;
	sqe->off = 0xfeed;
	sqe->user_data = 1;
	struct io_uring_cqe ca, cb;
	unsigned na = reap(a, &ca, 1, 1, 500);
	unsigned nb = reap(&b, &cb, 1, 1, 500);
	if (na == 1 && ca.res == 0 && nb == 1 && cb.res == 0x5eed && cb.user_data == 0xfeed)
		f->here = HERE_YES;
	else if (na == 1 && ca.res < 0)
		set_why(f, HERE_NO, "CQE", ca.res);
	else
		snprintf(f->why, sizeof(f->why), "the target ring got %u CQEs", nb);
	rk_ring_exit(&b);
}

/* IORING_MSG_SEND_FD (6.0) end to end, as the acceptor and a reactor use
 * it: ring a holds one end of a socketpair in its fixed-file table, sends
 * it into ring b's sparse table (IORING_FILE_INDEX_ALLOC), and b receives
 * through the slot its CQE names, with IOSQE_FIXED_FILE. Before 6.0 the
 * message is -EINVAL. */
static void check_send_fd(struct feature *f, struct rk_ring *a)
{
	struct rk_ring b;
	int sv[2], ret = fresh_ring(&b);
	f->here = HERE_UNKNOWN;
	if (ret < 0) {
		set_why(f, HERE_UNKNOWN, "second ring:", ret);
		return;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		snprintf(f->why, sizeof(f->why), "socketpair: %s", strerror(errno));
		goto out_ring;
	}
	int fds[1] = { sv[1] };
	struct io_uring_rsrc_update up = { .offset = 0, .data = (uint64_t)(uintptr_t)fds };
	if ((ret = rk_ring_files_sparse(a, 1)) < 0 || (ret = rk_ring_files_sparse(&b, 1)) < 0 ||
	    (ret = rk_ring_register(a, IORING_REGISTER_FILES_UPDATE, &up, 1)) != 1) {
		set_why(f, ret == -EINVAL ? HERE_NO : HERE_UNKNOWN, "fixed-file table:", ret);
		goto out;
	}
	struct io_uring_sqe *sqe = rk_ring_get_sqe(a);
	sqe->opcode = IORING_OP_MSG_RING;
	sqe->fd = b.fd;
	sqe->addr = IORING_MSG_SEND_FD;
	sqe->addr3 = 0;
	sqe->file_index = IORING_FILE_INDEX_ALLOC;
	sqe->off = 0x5eed;
	sqe->user_data = 1;
	struct io_uring_cqe ca, cb;
	unsigned na = reap(a, &ca, 1, 1, 500), nb = reap(&b, &cb, 1, 1, 500);
	if (na == 1 && ca.res < 0) {
		set_why(f, HERE_NO, "CQE", ca.res);
		goto out;
	}
	if (nb != 1 || cb.user_data != 0x5eed || cb.res < 0) {
		snprintf(f->why, sizeof(f->why), "the target ring got %u CQEs", nb);
		goto out;
	}
	static char in[8];
	sqe = rk_ring_get_sqe(&b);
	sqe->opcode = IORING_OP_RECV;
	sqe->fd = cb.res;
	sqe->flags = IOSQE_FIXED_FILE;
	sqe->addr = (uint64_t)(uintptr_t)in;
	sqe->len = sizeof(in);
	sqe->user_data = 2;
	if (write(sv[0], "ok", 2) == 2 && reap(&b, &cb, 1, 1, 500) == 1 && cb.res == 2 &&
	    !memcmp(in, "ok", 2))
		f->here = HERE_YES;
	else
		snprintf(f->why, sizeof(f->why), "recv through the slot: %d", cb.res);
out:
	close(sv[0]);
	close(sv[1]);
out_ring:
	rk_ring_exit(&b);
}

/* IOSQE_CQE_SKIP_SUCCESS (5.17): of two NOPs, the one with the flag posts
 * no CQE. Before 5.17 the unknown SQE flag fails it with -EINVAL. */
static void check_cqe_skip(struct feature *f, struct rk_ring *r)
{
	for (int i = 0; i < 2; i++) {
		struct io_uring_sqe *sqe = rk_ring_get_sqe(r);
		sqe->opcode = IORING_OP_NOP;
		sqe->flags = i == 0 ? IOSQE_CQE_SKIP_SUCCESS : 0;
		sqe->user_data = (uint64_t)i + 1;
	}
	struct io_uring_cqe c[2];
	unsigned n = reap(r, c, 2, 2, 100);
	if (n == 1 && c[0].user_data == 2 && (r->features & IORING_FEAT_CQE_SKIP))
		f->here = HERE_YES;
	else if (n >= 1 && c[0].user_data == 1 && c[0].res < 0)
		set_why(f, HERE_NO, "CQE", c[0].res);
	else
		snprintf(f->why, sizeof(f->why), "%u CQEs for 2 NOPs, FEAT_CQE_SKIP %s", n,
			 r->features & IORING_FEAT_CQE_SKIP ? "set" : "not set");
}

/* IORING_ASYNC_CANCEL_FD|ALL (5.19): two pending receives on one socket,
 * one cancel SQE, its CQE counts 2. */
static void check_cancel(struct feature *f, struct rk_ring *r)
{
	int sv[2];
	static char sink[2][16];
	f->here = HERE_UNKNOWN;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		snprintf(f->why, sizeof(f->why), "socketpair: %s", strerror(errno));
		return;
	}
	for (int i = 0; i < 2; i++) {
		struct io_uring_sqe *sqe = rk_ring_get_sqe(r);
		sqe->opcode = IORING_OP_RECV;
		sqe->fd = sv[1];
		sqe->addr = (uint64_t)(uintptr_t)sink[i];
		sqe->len = sizeof(sink[i]);
		sqe->user_data = (uint64_t)i + 1;
	}
	rk_ring_submit(r);
	queue_cancel_fd(r, sv[1], 3);
	struct io_uring_cqe c[3];
	unsigned n = reap(r, c, 3, 3, 500);
	int cancel_res = 1, cancelled = 0;
	for (unsigned i = 0; i < n && i < 3; i++) {
		if (c[i].user_data == 3)
			cancel_res = c[i].res;
		else if (c[i].res == -ECANCELED)
			cancelled++;
	}
	if (cancel_res == 2 && cancelled == 2)
		f->here = HERE_YES;
	else if (cancel_res < 0)
		set_why(f, HERE_NO, "cancel CQE", cancel_res);
	else
		snprintf(f->why, sizeof(f->why), "cancel CQE %d, %d receives cancelled", cancel_res,
			 cancelled);
	close(sv[0]); /* EOF ends whatever was left */
	close(sv[1]);
	reap(r, c, 3, n < 3 ? 3 - n : 0, 100);
}

/* IORING_TIMEOUT_MULTISHOT (6.4): one SQE, two expirations 1 ms apart
 * (sqe->off: how many), the first CQE with IORING_CQE_F_MORE. */
static void check_timeout_multishot(struct feature *f, struct rk_ring *r)
{
	static struct __kernel_timespec ts = { .tv_nsec = 1000 * 1000 };
	struct io_uring_sqe *sqe = rk_ring_get_sqe(r);
	sqe->opcode = IORING_OP_TIMEOUT;
	sqe->fd = -1;
	sqe->addr = (uint64_t)(uintptr_t)&ts;
	sqe->len = 1;
	sqe->off = 2;
	sqe->timeout_flags = IORING_TIMEOUT_MULTISHOT;
	sqe->user_data = 1;
	struct io_uring_cqe c[2];
	unsigned n = reap(r, c, 2, 2, 500);
	if (n == 2 && c[0].res == -ETIME && (c[0].flags & IORING_CQE_F_MORE) &&
	    c[1].res == -ETIME && !(c[1].flags & IORING_CQE_F_MORE))
		f->here = HERE_YES;
	else if (n >= 1 && c[0].res != -ETIME)
		set_why(f, HERE_NO, "CQE", c[0].res);
	else
		snprintf(f->why, sizeof(f->why), "%u CQEs, first without F_MORE", n);
}

/* The file operations of --root: IORING_OP_OPENAT2 beneath a fresh
 * directory (and its refusal of ".." with RESOLVE_BENEATH), IORING_OP_STATX
 * on the opened fd, IORING_OP_READ at an offset. One ring op at a time. */
static int one_op(struct rk_ring *r, struct io_uring_sqe **sqe)
{
	struct io_uring_cqe c;
	if (!*sqe)
		return -EBUSY;
	(*sqe)->user_data = 7;
	return reap(r, &c, 1, 1, 500) == 1 ? c.res : -ETIME;
}

static void check_files(struct feature *fo, struct feature *fs, struct feature *fr,
			struct rk_ring *r)
{
	char dir[] = "/tmp/uring-probe-XXXXXX", path[64];
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS };
	struct statx stx;
	char buf[8];
	fo->here = fs->here = fr->here = HERE_UNKNOWN;
	if (!mkdtemp(dir)) {
		snprintf(fo->why, sizeof(fo->why), "no temporary directory: %s", strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/f", dir);
	FILE *f = fopen(path, "w");
	if (f) {
		fputs("0123456789", f);
		fclose(f);
	}
	int dfd = open(dir, O_PATH | O_CLOEXEC), fd = -1;
	struct io_uring_sqe *sqe = rk_ring_get_sqe(r);
	if (sqe) {
		sqe->opcode = IORING_OP_OPENAT2;
		sqe->fd = dfd;
		sqe->addr = (uint64_t)(uintptr_t) "f";
		sqe->len = sizeof(how);
		sqe->off = (uint64_t)(uintptr_t)&how;
	}
	fd = one_op(r, &sqe);
	int out = -1;
	if (fd >= 0) {
		/* The same with a way out: the kernel must refuse it. */
		sqe = rk_ring_get_sqe(r);
		if (sqe) {
			sqe->opcode = IORING_OP_OPENAT2;
			sqe->fd = dfd;
			sqe->addr = (uint64_t)(uintptr_t) "../..";
			sqe->len = sizeof(how);
			sqe->off = (uint64_t)(uintptr_t)&how;
		}
		out = one_op(r, &sqe);
	}
	if (fd < 0)
		set_why(fo, HERE_NO, "CQE", fd);
	else if (out != -EXDEV)
		set_why(fo, HERE_NO, "\"../..\" beneath gave", out);
	else
		fo->here = HERE_YES;
	if (fd >= 0) {
		sqe = rk_ring_get_sqe(r);
		if (sqe) {
			sqe->opcode = IORING_OP_STATX;
			sqe->fd = fd;
			sqe->addr = (uint64_t)(uintptr_t) "";
			sqe->rw_flags = AT_EMPTY_PATH;
			sqe->len = STATX_SIZE;
			sqe->off = (uint64_t)(uintptr_t)&stx;
		}
		int ret = one_op(r, &sqe);
		if (ret == 0 && stx.stx_size == 10)
			fs->here = HERE_YES;
		else
			set_why(fs, HERE_NO, "CQE", ret);
		sqe = rk_ring_get_sqe(r);
		if (sqe) {
			sqe->opcode = IORING_OP_READ;
			sqe->fd = fd;
			sqe->addr = (uint64_t)(uintptr_t)buf;
			sqe->len = 4;
			sqe->off = 6;
		}
		ret = one_op(r, &sqe);
		if (ret == 4 && !memcmp(buf, "6789", 4))
			fr->here = HERE_YES;
		else
			set_why(fr, HERE_NO, "CQE", ret);
		close(fd);
	}
	if (dfd >= 0)
		close(dfd);
	unlink(path);
	rmdir(dir);
}

/* An opcode in the kernel's list (IORING_REGISTER_PROBE). */
static void check_op(struct feature *f, struct rk_ring *r, unsigned op)
{
	static union {
		struct io_uring_probe probe;
		char room[sizeof(struct io_uring_probe) + 256 * sizeof(struct io_uring_probe_op)];
	} pr;
	int ret = rk_ring_probe(r, &pr.probe, 256);
	if (ret < 0) {
		set_why(f, HERE_UNKNOWN, "REGISTER_PROBE", ret);
		return;
	}
	f->here = pr.probe.ops_len > op && (pr.probe.ops[op].flags & IO_URING_OP_SUPPORTED)
			  ? HERE_YES
			  : HERE_NO;
	if (f->here == HERE_NO)
		snprintf(f->why, sizeof(f->why), "not in IORING_REGISTER_PROBE's list");
}

static void check_send_zc(struct feature *f, struct rk_ring *r)
{
	check_op(f, r, IORING_OP_SEND_ZC);
}

static void check_splice(struct feature *f, struct rk_ring *r)
{
	check_op(f, r, IORING_OP_SPLICE);
}

/* From check_bundle/check_inc's "yes" / "no (why)". */
static void from_verdict(struct feature *f, const char *v)
{
	f->here = strcmp(v, "yes") == 0 ? HERE_YES : HERE_NO;
	if (f->here == HERE_NO)
		snprintf(f->why, sizeof(f->why), "%s", strncmp(v, "no (", 4) ? v : v + 4);
	size_t len = strlen(f->why);
	if (len && f->why[len - 1] == ')' && strncmp(v, "no (", 4) == 0)
		f->why[len - 1] = 0;
}

enum {
	F_DEFER,
	F_NOSQARRAY,
	F_RINGFDS,
	F_SINGLE_MMAP,
	F_NODROP,
	F_EXT_ARG,
	F_PBUF,
	F_ACCEPT_MS,
	F_RECV_MS,
	F_MSG_RING,
	F_CQE_SKIP,
	F_CANCEL,
	F_TIMEOUT_MS,
	F_BUNDLE,
	F_INC,
	F_SEND_FD,
	F_SQPOLL,
	F_OPENAT2,
	F_STATX,
	F_READ,
	F_SPLICE,
	F_SEND_ZC,
	F_COUNT
};

/* Designated, so the measured fields start zeroed without naming them. */
#define FEAT(n, s, req, y, nt)                                                                     \
	{                                                                                          \
		.name = n, .since = s, .required = req, .yes = y, .no = nt                         \
	}

static struct feature features[F_COUNT] = {
	[F_DEFER] =
		FEAT("DEFER_TASKRUN", "6.1", false,
		     "reactors run task work only when they enter (SINGLE_ISSUER|DEFER_TASKRUN)",
		     "plain task work: completions interrupt the reactors (IPIs)"),
	[F_NOSQARRAY] = FEAT("NO_SQARRAY", "6.6", false,
			     "SQEs are taken in tail order: no SQ index array to fill",
			     "the SQ index array is filled on every get_sqe"),
	[F_RINGFDS] = FEAT("REGISTER_RING_FDS", "5.18", false,
			   "io_uring_enter takes the registered ring index (no fdget per call)",
			   "every io_uring_enter passes the plain ring fd (an fdget per call)"),
	[F_SINGLE_MMAP] =
		FEAT("FEAT_SINGLE_MMAP", "5.4", false, "SQ and CQ rings share one mapping",
		     "SQ and CQ rings mapped separately"),
	[F_NODROP] =
		FEAT("FEAT_NODROP", "5.5", false,
		     "a full CQ spills into the kernel's overflow list; the next enter flushes it",
		     "overflowed CQEs are lost (Rocket then counts cq_koverflow)"),
	[F_EXT_ARG] = FEAT("FEAT_EXT_ARG", "5.11", false,
			   "timed waits pass their timeout to io_uring_enter",
			   "rk_ring_submit_wait with a timeout returns -EOPNOTSUPP "
			   "(Rocket's loops wait without one)"),
	[F_PBUF] = FEAT("REGISTER_PBUF_RING", "5.19", true,
			"receives take their buffer from a per-reactor provided-buffer ring",
			"required: Rocket refuses to start"),
	[F_ACCEPT_MS] = FEAT(
		"multishot accept", "5.19", false, "one ACCEPT SQE yields a CQE per new connection",
		"the acceptor falls back to one-shot accepts, re-armed after each CQE"),
	[F_RECV_MS] = FEAT("multishot recv", "6.0", false,
			   "one RECV SQE per connection, re-armed only when a CQE lacks F_MORE",
			   "one-shot recv with buffer selection, re-armed after each CQE"),
	[F_MSG_RING] = FEAT("MSG_RING", "5.18", true,
			    "the acceptor hands each new socket to a reactor's ring",
			    "required: it is the acceptor -> reactor hand-off"),
	[F_CQE_SKIP] = FEAT("CQE_SKIP_SUCCESS", "5.17", true,
			    "hand-offs and cancels post no CQE when they succeed",
			    "required: hand-offs and cancels must post no CQE on success"),
	[F_CANCEL] = FEAT("ASYNC_CANCEL_FD|ALL", "5.19", true,
			  "one SQE cancels every request of a closing connection",
			  "required to close connections"),
	[F_TIMEOUT_MS] = FEAT("TIMEOUT_MULTISHOT", "6.4", false,
			      "one TIMEOUT SQE ticks once a second for good",
			      "the once-a-second tick is re-armed each time"),
	[F_BUNDLE] = FEAT("RECVSEND_BUNDLE", "6.10", false,
			  "only with --bundle: one recv CQE may cover several buffers",
			  "only with --bundle: without kernel support Rocket turns it off"),
	[F_INC] = FEAT("IOU_PBUF_RING_INC", "6.12", false,
		       "rk_bufring_init(RK_BUFRING_INC) gets incremental buffers; "
		       "the engine does not use them yet",
		       "rk_bufring_init(RK_BUFRING_INC) falls back to whole buffers; "
		       "the engine does not use it yet"),
	[F_SEND_FD] =
		FEAT("MSG_SEND_FD", "6.0", false,
		     "direct descriptors: sockets accepted into fixed-file tables, handed off "
		     "table to table, no regular fd (--direct=off: fds)",
		     "sockets are regular fds (the start-up line says so); --accept reactor "
		     "still uses direct descriptors"),
	[F_SQPOLL] = FEAT(
		"SQPOLL", "5.1", false,
		"only with --sqpoll: a kernel thread submits (unprivileged: SQPOLL_NONFIXED, 5.11)",
		"only with --sqpoll, which then fails to start"),
	/* The file operations of --root and --mount. Every kernel Rocket runs
	 * on (5.19+) has the first three; the "without" says what would be. */
	[F_OPENAT2] =
		FEAT("OPENAT2", "5.6", false,
		     "--root opens every path beneath the tree's fd, the kernel refusing a way out "
		     "(RESOLVE_BENEATH|NO_MAGICLINKS)",
		     "--root/--mount refuse to start (openat2 ENOSYS): Rocket has no user-space "
		     "path check to fall back to - it would race the open"),
	[F_STATX] =
		FEAT("STATX", "5.6", false,
		     "size, mtime, inode and type of the opened fd (AT_EMPTY_PATH): validators, "
		     "301 for directories",
		     "every file request would fail with 500: Rocket makes no blocking stat"),
	[F_READ] =
		FEAT("READ", "5.6", false,
		     "file bodies are read a send chunk at a time at explicit offsets, then sent",
		     "file bodies cannot be sent: the connection would be aborted (file-short)"),
	[F_SPLICE] = FEAT(
		"SPLICE", "5.7", false,
		"file ranges of 64 KiB or more go file -> pipe -> socket without a copy "
		"(--splice-pipes; each splice in an io-wq worker)",
		"on the 5.19+ kernels Rocket runs on it is always there; --splice-pipes 0 reads "
		"every file range a send chunk at a time, then sends it"),
	[F_SEND_ZC] =
		FEAT("SEND_ZC", "6.0", false,
		     "only with --send-zc: sends skip the copy; chunks wait for the NOTIF CQE",
		     "only with --send-zc: the first SEND_ZC fails and Rocket sends plainly"),
};

static int explain(void)
{
	struct utsname u;
	if (uname(&u) == 0)
		printf("kernel  %s %s %s\n", u.sysname, u.release, u.machine);

	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	int fd = setup_raw(4, &p);
	if (fd < 0) {
		printf("io_uring_setup: %d (%s): %s\n", fd, rk_errno_name(fd), why_no_uring(fd));
		printf("\nverdict: Rocket cannot run here: %s\n",
		       fd == -EPERM ? "io_uring is forbidden" : "no io_uring");
		return 1;
	}
	close(fd);
	struct feature *f = features;

	/* Setup flags: the kernel's answer to each, as rk_ring_init asks. */
	int ret = try_setup(IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, -1);
	if (ret >= 0) {
		f[F_DEFER].here = HERE_YES;
	} else {
		set_why(&f[F_DEFER], HERE_NO, "setup", ret);
		if (try_setup(IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG, -1) >= 0)
			f[F_DEFER].text = "COOP_TASKRUN|TASKRUN_FLAG (5.19): task work waits "
					  "for the reactor's next enter";
	}
	ret = try_setup(IORING_SETUP_NO_SQARRAY, -1);
	if (ret >= 0)
		f[F_NOSQARRAY].here = HERE_YES;
	else
		set_why(&f[F_NOSQARRAY], HERE_NO, "setup", ret);

	/* Feature bits of a plain ring. */
	f[F_SINGLE_MMAP].here = !!(p.features & IORING_FEAT_SINGLE_MMAP);
	f[F_NODROP].here = !!(p.features & IORING_FEAT_NODROP);

	/* SQPOLL: a ring with its thread, and non-registered files (5.11),
	 * which Rocket needs since it registers none. */
	ret = try_setup(IORING_SETUP_SQPOLL, -1);
	if (ret < 0)
		set_why(&f[F_SQPOLL], HERE_NO, "setup", ret);
	else if (!(p.features & IORING_FEAT_SQPOLL_NONFIXED))
		snprintf(f[F_SQPOLL].why, sizeof(f[F_SQPOLL].why),
			 "no FEAT_SQPOLL_NONFIXED: only registered files");
	else
		f[F_SQPOLL].here = HERE_YES;

	/* The rest on rings set up the way Rocket sets up its own. */
	struct rk_ring r;
	ret = fresh_ring(&r);
	if (ret < 0) {
		printf("rk_ring_init: %d (%s)\n", ret, rk_errno_name(ret));
		printf("\nverdict: Rocket cannot run on this kernel: rk_ring_init fails\n");
		return 1;
	}
	f[F_RINGFDS].here = !!(r.enter_flags & IORING_ENTER_REGISTERED_RING);

	struct __kernel_timespec ts = ms_ts(1);
	ret = rk_ring_submit_wait(&r, 1, &ts);
	if (ret == -ETIME)
		f[F_EXT_ARG].here = HERE_YES;
	else
		set_why(&f[F_EXT_ARG], HERE_NO, "timed wait", ret);

	struct rk_bufring b;
	ret = rk_bufring_init(&b, &r, 0, 8, 64, 0);
	if (ret == 0) {
		f[F_PBUF].here = HERE_YES;
		rk_bufring_exit(&b, &r);
	} else {
		set_why(&f[F_PBUF], HERE_NO, "register", ret);
	}
	rk_ring_exit(&r);

	/* Functional checks: each on its own fresh ring, so nothing one
	 * leaves behind confuses the next. They wait with timeouts, so they
	 * need EXT_ARG; a kernel without it is older than 5.11 and has none
	 * of these features. */
	static const struct {
		int id;
		void (*fn)(struct feature *, struct rk_ring *);
	} checks[] = {
		{ F_ACCEPT_MS, check_accept },
		{ F_RECV_MS, check_recv_multishot },
		{ F_MSG_RING, check_msg_ring },
		{ F_CQE_SKIP, check_cqe_skip },
		{ F_CANCEL, check_cancel },
		{ F_TIMEOUT_MS, check_timeout_multishot },
		{ F_BUNDLE, 0 },
		{ F_INC, 0 },
		{ F_SEND_FD, check_send_fd },
		{ F_OPENAT2, 0 },
		{ F_SEND_ZC, check_send_zc },
		{ F_SPLICE, check_splice },
	};
	for (unsigned i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		struct feature *g = &f[checks[i].id];
		if (f[F_EXT_ARG].here != HERE_YES) {
			g->here = HERE_NO;
			snprintf(g->why, sizeof(g->why), "kernel before 5.11 (no EXT_ARG)");
			continue;
		}
		ret = fresh_ring(&r);
		if (ret < 0) {
			set_why(g, HERE_UNKNOWN, "rk_ring_init", ret);
			continue;
		}
		if (checks[i].fn)
			checks[i].fn(g, &r);
		else if (checks[i].id == F_OPENAT2)
			check_files(g, &f[F_STATX], &f[F_READ], &r);
		else
			from_verdict(g,
				     checks[i].id == F_BUNDLE ? check_bundle(&r) : check_inc(&r));
		rk_ring_exit(&r);
	}

	printf("\nio_uring features Rocket uses (measured on this kernel), what Rocket does\n"
	       "with each, and what it does on a kernel without it:\n");
	printf("  %-20s %-5s %-4s %s\n", "feature", "since", "here", "what Rocket does");
	char missing[256] = "", fallbacks[512] = "", unknown[256] = "";
	for (unsigned i = 0; i < F_COUNT; i++) {
		const struct feature *g = &f[i];
		const char *here = g->here == HERE_YES ? "yes" : g->here == HERE_NO ? "no" : "?";
		const char *text = g->text ? g->text : g->here == HERE_YES ? g->yes : g->no;
		printf("  %-20s %-5s %-4s %s%s%s%s\n", g->name, g->since, here, text,
		       *g->why ? " [" : "", g->why, *g->why ? "]" : "");
		/* Said on every kernel, not only on one that lacks it. */
		if (g->here == HERE_YES || g->text)
			printf("  %-31s without it: %s\n", "", g->no);
		char *list = g->here == HERE_YES       ? 0
			     : g->here == HERE_UNKNOWN ? unknown
			     : g->required             ? missing
						       : fallbacks;
		size_t cap = list == fallbacks ? sizeof(fallbacks) : sizeof(missing);
		if (list) {
			size_t len = strlen(list);
			snprintf(list + len, cap - len, "%s%s (%s)", len ? ", " : "", g->name,
				 g->since);
		}
	}
	if (*missing)
		printf("\nverdict: Rocket cannot run on this kernel: it needs %s\n", missing);
	else if (!*fallbacks && !*unknown)
		printf("\nverdict: Rocket runs on this kernel with every feature\n");
	else
		printf("\nverdict: Rocket runs on this kernel%s%s%s%s\n",
		       *fallbacks ? ", falling back without " : "", fallbacks,
		       *unknown ? "; could not measure " : "", unknown);
	return *missing ? 1 : 0;
}

static void usage(FILE *to)
{
	fprintf(to, "usage: uring-probe [--explain]\n"
		    "  (no option)  what io_uring offers here: IORING_FEAT_* bits, setup flags,\n"
		    "               opcodes, incremental buffer rings and receive bundles\n"
		    "  --explain    each io_uring feature Rocket uses: whether this kernel has it\n"
		    "               (measured) and what Rocket does without it, then a verdict\n"
		    "  -h, --help   this text\n"
		    "exit status: 0 done; 1 io_uring unavailable (--explain: or a feature Rocket\n"
		    "requires is missing); 2 bad usage\n");
}

static int probe_all(void)
{
	struct utsname u;
	char buf[256];
	if (uname(&u) == 0)
		printf("kernel  %s %s %s\n", u.sysname, u.release, u.machine);

	/* A plain ring, no flags: what the kernel reports about itself. */
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	int fd = setup_raw(4, &p);
	if (fd < 0) {
		printf("io_uring_setup: %d (%s): %s\n", fd, rk_errno_name(fd), why_no_uring(fd));
		return 1;
	}
	printf("\nfeatures (IORING_FEAT_*, plain io_uring_setup): %#x\n", p.features);
	uint32_t known = 0;
	for (unsigned i = 0; i < sizeof(feat_names) / sizeof(feat_names[0]); i++) {
		known |= feat_names[i].bit;
		row(feat_names[i].name, p.features & feat_names[i].bit ? "yes" : "no");
	}
	for (int bit = 0; bit < 32; bit++)
		if ((p.features & ~known) & (1U << bit)) {
			snprintf(buf, sizeof(buf), "bit %d", bit);
			row(buf, "yes (not named in our ABI header)");
		}

	printf("\nsetup flags (IORING_SETUP_*, each alone or with what it needs):\n");
	for (unsigned i = 0; i < sizeof(setup_tries) / sizeof(setup_tries[0]); i++) {
		const struct setup_try *t = &setup_tries[i];
		int ret = try_setup(t->flags, fd);
		if (ret >= 0)
			snprintf(buf, sizeof(buf), "yes%s%s", *t->needs ? "   with " : "",
				 t->needs);
		else
			snprintf(buf, sizeof(buf), "no (%d %s)%s%s", ret, rk_errno_name(ret),
				 *t->needs ? " with " : "", t->needs);
		row(t->name, buf);
	}
	close(fd);

	/* Rocket's own ring: what rk_ring_init's fallback chain settled on. */
	struct rk_ring r;
	struct rk_ring_config cfg = { .sq_entries = 16, .sqpoll_cpu = -1 };
	int ret = rk_ring_init(&r, &cfg);
	if (ret < 0) {
		printf("rk_ring_init: %d\n", ret);
		return 1;
	}
	rk_ring_flags_str(r.flags, buf, sizeof(buf));
	printf("\nrocket ring (rk_ring_init defaults):\n");
	row("setup flags", buf);
	row("registered ring fd", r.enter_flags & IORING_ENTER_REGISTERED_RING ? "yes" : "no");

	static union {
		struct io_uring_probe probe;
		char room[sizeof(struct io_uring_probe) + 256 * sizeof(struct io_uring_probe_op)];
	} pr;
	ret = rk_ring_probe(&r, &pr.probe, 256);
	if (ret < 0) {
		printf("\nopcodes: IORING_REGISTER_PROBE failed: %d\n", ret);
	} else {
		unsigned nsup = 0;
		for (unsigned i = 0; i < pr.probe.ops_len; i++)
			nsup += !!(pr.probe.ops[i].flags & IO_URING_OP_SUPPORTED);
		printf("\nopcodes (IORING_REGISTER_PROBE): last_op %u, %u of %u supported\n",
		       pr.probe.last_op, nsup, pr.probe.ops_len);
		for (unsigned i = 0; i < pr.probe.ops_len; i++) {
			unsigned op = pr.probe.ops[i].op;
			char name[32];
			const char *opn = rk_op_name(op);
			if (opn)
				snprintf(name, sizeof(name), "%2u %s", op, opn);
			else
				snprintf(name, sizeof(name), "%2u op %u", op, op);
			row(name, pr.probe.ops[i].flags & IO_URING_OP_SUPPORTED ? "yes" : "no");
		}
	}

	printf("\nbuffer rings:\n");
	row("IOU_PBUF_RING_INC", check_inc(&r));
	row("RECVSEND_BUNDLE", check_bundle(&r));
	rk_ring_exit(&r);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 1)
		return probe_all();
	if (argc == 2 && strcmp(argv[1], "--explain") == 0)
		return explain();
	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "uring-probe: unknown argument '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
