/* src/ring/trace.c - decode SQEs, CQEs and io_uring_enter calls into one
 * line each, with the kernel's names (io_uring_enter(2), io_uring(7)).
 * Read next: include/rocket/thread.h.
 */
#include "rocket/abi/fs.h"
#include "rocket/abi/uio.h"
#include "rocket/fmt.h"
#include "rocket/sys.h"
#include "rocket/trace.h"
#include "rocket/util.h"

/* Opcode names, packed into one string (one NUL each, no pointer per
 * entry: the product is one small file); RK_OPS counts them as well. */
/* a table, laid out as one */
/* clang-format off */
#define RK_OPS(X) X(NOP) X(READV) X(WRITEV) X(FSYNC) X(READ_FIXED) X(WRITE_FIXED) \
	X(POLL_ADD) X(POLL_REMOVE) X(SYNC_FILE_RANGE) X(SENDMSG) X(RECVMSG) X(TIMEOUT) \
	X(TIMEOUT_REMOVE) X(ACCEPT) X(ASYNC_CANCEL) X(LINK_TIMEOUT) X(CONNECT) X(FALLOCATE) \
	X(OPENAT) X(CLOSE) X(FILES_UPDATE) X(STATX) X(READ) X(WRITE) X(FADVISE) X(MADVISE) X(SEND) \
	X(RECV) X(OPENAT2) X(EPOLL_CTL) X(SPLICE) X(PROVIDE_BUFFERS) X(REMOVE_BUFFERS) X(TEE) \
	X(SHUTDOWN) X(RENAMEAT) X(UNLINKAT) X(MKDIRAT) X(SYMLINKAT) X(LINKAT) X(MSG_RING) \
	X(FSETXATTR) X(SETXATTR) X(FGETXATTR) X(GETXATTR) X(SOCKET) X(URING_CMD) X(SEND_ZC) \
	X(SENDMSG_ZC) X(READ_MULTISHOT) X(WAITID) X(FUTEX_WAIT) X(FUTEX_WAKE) X(FUTEX_WAITV) \
	X(FIXED_FD_INSTALL) X(FTRUNCATE) X(BIND) X(LISTEN) X(RECV_ZC) X(EPOLL_WAIT) X(READV_FIXED) \
	X(WRITEV_FIXED) X(PIPE)
/* clang-format on */
#define RK_OP_NAME(n) #n "\0"
#define RK_OP_ONE(n)  +1
static const char rk_op_names[] = RK_OPS(RK_OP_NAME);
_Static_assert(0 RK_OPS(RK_OP_ONE) == RK_IORING_OP_KNOWN,
	       "a name for every opcode in include/rocket/abi/io_uring.h");

const char *rk_op_name(unsigned op)
{
	if (op >= RK_IORING_OP_KNOWN)
		return 0;
	const char *p = rk_op_names;
	while (op--)
		p += rk_strlen(p) + 1;
	return p;
}

struct rk_bit_name {
	uint32_t bit;
	const char *name;
};

static const struct rk_bit_name rk_sqe_flag_names[] = {
	{ IOSQE_FIXED_FILE, "FIXED_FILE" },
	{ IOSQE_IO_DRAIN, "IO_DRAIN" },
	{ IOSQE_IO_LINK, "IO_LINK" },
	{ IOSQE_IO_HARDLINK, "IO_HARDLINK" },
	{ IOSQE_ASYNC, "ASYNC" },
	{ IOSQE_BUFFER_SELECT, "BUFFER_SELECT" },
	{ IOSQE_CQE_SKIP_SUCCESS, "CQE_SKIP_SUCCESS" },
};
static const struct rk_bit_name rk_cqe_flag_names[] = {
	{ IORING_CQE_F_BUFFER, "BUFFER" },
	{ IORING_CQE_F_MORE, "MORE" },
	{ IORING_CQE_F_SOCK_NONEMPTY, "SOCK_NONEMPTY" },
	{ IORING_CQE_F_NOTIF, "NOTIF" },
	{ IORING_CQE_F_BUF_MORE, "BUF_MORE" },
};
static const struct rk_bit_name rk_enter_flag_names[] = {
	{ IORING_ENTER_GETEVENTS, "GETEVENTS" },
	{ IORING_ENTER_SQ_WAKEUP, "SQ_WAKEUP" },
	{ IORING_ENTER_SQ_WAIT, "SQ_WAIT" },
	{ IORING_ENTER_EXT_ARG, "EXT_ARG" },
	{ IORING_ENTER_REGISTERED_RING, "REGISTERED_RING" },
};
static const struct rk_bit_name rk_recv_ioprio_names[] = {
	{ IORING_RECVSEND_POLL_FIRST, "POLL_FIRST" },
	{ IORING_RECV_MULTISHOT, "RECV_MULTISHOT" },
	{ IORING_RECVSEND_BUNDLE, "BUNDLE" },
};
static const struct rk_bit_name rk_accept_ioprio_names[] = {
	{ IORING_ACCEPT_MULTISHOT, "ACCEPT_MULTISHOT" },
};

/* Static files: open(2) flags, openat2(2) resolve flags, statx(2). */
static const struct rk_bit_name rk_open_flag_names[] = {
	{ 1, "WRONLY" },
	{ 2, "RDWR" },
	{ O_NONBLOCK, "NONBLOCK" },
	{ O_NOCTTY, "NOCTTY" },
	{ O_CLOEXEC, "CLOEXEC" },
	{ O_PATH, "PATH" },
};
static const struct rk_bit_name rk_resolve_names[] = {
	{ RESOLVE_NO_XDEV, "NO_XDEV" },         { RESOLVE_NO_MAGICLINKS, "NO_MAGICLINKS" },
	{ RESOLVE_NO_SYMLINKS, "NO_SYMLINKS" }, { RESOLVE_BENEATH, "BENEATH" },
	{ RESOLVE_IN_ROOT, "IN_ROOT" },         { RESOLVE_CACHED, "CACHED" },
};
static const struct rk_bit_name rk_statx_names[] = {
	{ AT_EMPTY_PATH, "EMPTY_PATH" },
	{ AT_SYMLINK_NOFOLLOW, "SYMLINK_NOFOLLOW" },
	{ STATX_TYPE, "TYPE" },
	{ STATX_MODE, "MODE" },
	{ STATX_MTIME, "MTIME" },
	{ STATX_CTIME, "CTIME" },
	{ STATX_INO, "INO" },
	{ STATX_SIZE, "SIZE" },
};

static size_t rk_bits_str(uint32_t v, const struct rk_bit_name *names, unsigned n, char *buf,
			  size_t cap)
{
	size_t len = 0;
	buf[0] = 0;
	for (unsigned i = 0; i < n; i++)
		if (v & names[i].bit)
			len += rk_fmt(buf + len, cap - len, "%s%s", len ? "|" : "", names[i].name);
	if (!len)
		len = rk_fmt(buf, cap, "-");
	return len;
}

static const struct rk_bit_name rk_setup_flag_names[] = {
	{ IORING_SETUP_IOPOLL, "IOPOLL" },
	{ IORING_SETUP_SQPOLL, "SQPOLL" },
	{ IORING_SETUP_SQ_AFF, "SQ_AFF" },
	{ IORING_SETUP_CQSIZE, "CQSIZE" },
	{ IORING_SETUP_CLAMP, "CLAMP" },
	{ IORING_SETUP_SUBMIT_ALL, "SUBMIT_ALL" },
	{ IORING_SETUP_COOP_TASKRUN, "COOP_TASKRUN" },
	{ IORING_SETUP_TASKRUN_FLAG, "TASKRUN_FLAG" },
	{ IORING_SETUP_SINGLE_ISSUER, "SINGLE_ISSUER" },
	{ IORING_SETUP_DEFER_TASKRUN, "DEFER_TASKRUN" },
	{ IORING_SETUP_NO_SQARRAY, "NO_SQARRAY" },
};

size_t rk_ring_flags_str(uint32_t setup_flags, char *buf, size_t cap)
{
	return rk_bits_str(setup_flags, rk_setup_flag_names, RK_ARRAY_SIZE(rk_setup_flag_names),
			   buf, cap);
}

static size_t rk_ud_fmt(const struct rk_trace *t, uint64_t ud, char *buf, size_t cap)
{
	if (t->ud_str)
		return t->ud_str(ud, buf, cap);
	return rk_fmt(buf, cap, "ud 0x%llx", (unsigned long long)ud);
}

void rk_trace_sqe(const struct rk_trace *t, const struct io_uring_sqe *sqe)
{
	char line[320], flags[96], prio[64], ud[64];
	const char *op = rk_op_name(sqe->opcode);
	size_t n = rk_fmt(line, sizeof(line), "[%-9s] SQE  %-12s fd %-3d ", t->who, op ? op : "?",
			  sqe->fd);
	rk_ud_fmt(t, sqe->user_data, ud, sizeof(ud));
	rk_bits_str(sqe->flags, rk_sqe_flag_names, RK_ARRAY_SIZE(rk_sqe_flag_names), flags,
		    sizeof(flags));
	n += rk_fmt(line + n, sizeof(line) - n, "%s  flags %s", ud, flags);
	switch (sqe->opcode) {
	case IORING_OP_RECV:
		rk_bits_str(sqe->ioprio, rk_recv_ioprio_names, RK_ARRAY_SIZE(rk_recv_ioprio_names),
			    prio, sizeof(prio));
		n += rk_fmt(line + n, sizeof(line) - n, "  ioprio %s  group %u", prio,
			    sqe->buf_group);
		break;
	case IORING_OP_ACCEPT:
		rk_bits_str(sqe->ioprio, rk_accept_ioprio_names,
			    RK_ARRAY_SIZE(rk_accept_ioprio_names), prio, sizeof(prio));
		n += rk_fmt(line + n, sizeof(line) - n, "  ioprio %s", prio);
		break;
	case IORING_OP_SEND:
	case IORING_OP_SEND_ZC:
		n += rk_fmt(line + n, sizeof(line) - n, "  len %u", sqe->len);
		break;
	case IORING_OP_SENDMSG:
	case IORING_OP_SENDMSG_ZC: {
		/* The iovecs are ours until the CQE: add them up. */
		const struct rk_user_msghdr *m = (const void *)(uintptr_t)sqe->addr;
		size_t total = 0;
		for (size_t i = 0; i < m->msg_iovlen; i++)
			total += m->msg_iov[i].iov_len;
		n += rk_fmt(line + n, sizeof(line) - n, "  iov %zu  len %zu", m->msg_iovlen, total);
		break;
	}
	case IORING_OP_READ:
		/* off -1: the file's own position (a signalfd, a pipe) */
		n += rk_fmt(line + n, sizeof(line) - n, "  len %u  off %lld", sqe->len,
			    (long long)sqe->off);
		break;
	case IORING_OP_SPLICE:
		/* off -1: a pipe's (or a socket's) own stream, no offset */
		n += rk_fmt(line + n, sizeof(line) - n, "  in fd %d off %lld  len %u",
			    sqe->splice_fd_in, (long long)sqe->splice_off_in, sqe->len);
		break;
	case IORING_OP_OPENAT2: {
		/* The path and open_how are read at submission: still ours. */
		const struct open_how *how = (const void *)(uintptr_t)sqe->off;
		rk_bits_str((uint32_t)how->flags, rk_open_flag_names,
			    RK_ARRAY_SIZE(rk_open_flag_names), flags, sizeof(flags));
		rk_bits_str((uint32_t)how->resolve, rk_resolve_names,
			    RK_ARRAY_SIZE(rk_resolve_names), prio, sizeof(prio));
		n += rk_fmt(line + n, sizeof(line) - n, "  path \"%.64s\"  open %s  resolve %s",
			    (const char *)(uintptr_t)sqe->addr, flags, prio);
		break;
	}
	case IORING_OP_STATX:
		rk_bits_str(sqe->rw_flags, rk_statx_names, 2, flags, sizeof(flags));
		rk_bits_str(sqe->len, rk_statx_names + 2, RK_ARRAY_SIZE(rk_statx_names) - 2, prio,
			    sizeof(prio));
		n += rk_fmt(line + n, sizeof(line) - n, "  path \"%.64s\"  at %s  mask %s",
			    (const char *)(uintptr_t)sqe->addr, flags, prio);
		break;
	case IORING_OP_MSG_RING:
		rk_ud_fmt(t, sqe->off, ud, sizeof(ud));
		n += rk_fmt(line + n, sizeof(line) - n, "  -> posts res %u, %s", sqe->len, ud);
		break;
	}
	rk_fmt(line + n, sizeof(line) - n, "\n");
	rk_dprint(t->fd, "%s", line);
}

void rk_trace_cqe(const struct rk_trace *t, const struct io_uring_cqe *cqe)
{
	char res[32], flags[96], ud[64], bid[16] = "";
	rk_ud_fmt(t, cqe->user_data, ud, sizeof(ud));
	if (cqe->res < 0)
		rk_fmt(res, sizeof(res), "-%s", rk_errno_name(-cqe->res));
	else
		rk_fmt(res, sizeof(res), "%d", cqe->res);
	if (cqe->flags & IORING_CQE_F_BUFFER)
		rk_fmt(bid, sizeof(bid), "  bid %u", cqe->flags >> IORING_CQE_BUFFER_SHIFT);
	rk_bits_str(cqe->flags & 0xffff, rk_cqe_flag_names, RK_ARRAY_SIZE(rk_cqe_flag_names), flags,
		    sizeof(flags));
	rk_dprint(t->fd, "[%-9s] CQE  %s  res %s%s  flags %s\n", t->who, ud, res, bid, flags);
}

void rk_trace_enter(const struct rk_trace *t, int fd, uint32_t to_submit, uint32_t min_complete,
		    uint32_t flags, int ret)
{
	char f[128], r[32];
	rk_bits_str(flags, rk_enter_flag_names, RK_ARRAY_SIZE(rk_enter_flag_names), f, sizeof(f));
	if (ret < 0)
		rk_fmt(r, sizeof(r), "-%s", rk_errno_name(-ret));
	else
		rk_fmt(r, sizeof(r), "%d", ret);
	rk_dprint(t->fd, "[%-9s] io_uring_enter(%s%d, to_submit %u, min_complete %u, %s) = %s\n",
		  t->who, (flags & IORING_ENTER_REGISTERED_RING) ? "registered #" : "fd ", fd,
		  to_submit, min_complete, f, r);
}

void rk_trace_buf_return(const struct rk_trace *t, unsigned bid, unsigned group)
{
	rk_dprint(t->fd, "[%-9s] BUF  bid %u back in group %u (ring tail store-release)\n", t->who,
		  bid, group);
}
