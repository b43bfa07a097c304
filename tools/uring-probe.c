/* tools/uring-probe.c - what io_uring can do on this kernel: the release,
 * the IORING_FEAT_* bits, the setup flags it accepts, the opcodes it
 * supports (IORING_REGISTER_PROBE) and whether incremental buffer rings and
 * receive bundles really work. Follows io_uring_setup(2) and
 * io_uring_register(2); uses libc for printing plus Rocket's ring layer.
 * Usage: uring-probe        (exit 0; 1 when io_uring itself is unavailable)
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "rocket/bufring.h"
#include "rocket/ring.h"
#include "rocket/trace.h"

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
	{ "REGISTERED_FD_ONLY", IORING_SETUP_NO_MMAP | IORING_SETUP_REGISTERED_FD_ONLY,
	  "NO_MMAP" },
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

static const char *err_name(int e)
{
	switch (-e) {
	case 1: return "EPERM";
	case 12: return "ENOMEM";
	case 14: return "EFAULT";
	case 22: return "EINVAL";
	case 38: return "ENOSYS";
	case 95: return "EOPNOTSUPP";
	default: return "error";
	}
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

int main(void)
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
		printf("io_uring_setup: %d (%s): io_uring unavailable\n", fd, err_name(fd));
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
			snprintf(buf, sizeof(buf), "yes%s%s", *t->needs ? "   with " : "", t->needs);
		else
			snprintf(buf, sizeof(buf), "no (%d %s)%s%s", ret, err_name(ret),
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
	row("registered ring fd",
	    r.enter_flags & IORING_ENTER_REGISTERED_RING ? "yes" : "no");

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
