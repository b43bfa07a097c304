/* src/engine/log.c - the access log's engine side: each reactor appends
 * whole lines to one of its two buffers while the other is written with
 * IORING_OP_WRITE to an O_APPEND fd - one write in flight at a time, so its
 * lines stay in order - when it is full, once a second, and at the end;
 * and the peer's address for the lines.
 *
 * Follows io_uring_prep_write(3) and write(2) on O_APPEND: on a regular
 * file of a local filesystem one write is appended whole (ext4, xfs and
 * tmpfs hold the inode lock across it and set the offset to the end under
 * that lock), so the reactors' writes, each of whole lines, never
 * interleave. io_uring alone would not promise that: a write it first tries
 * without blocking may go through in part and be finished later from io-wq
 * (io_uring/rw.c io_write), with another reactor's lines in between - so
 * every log write goes to io-wq at once (IOSQE_ASYNC), where it is one
 * blocking write. A pipe is atomic up to PIPE_BUF (pipe(7)): the CLI gives
 * stdout 4096-byte buffers. SIGHUP's new file takes the old one's fd number
 * (dup3(2), src/engine/acceptor.c): a reactor has nothing to switch, and
 * each write goes whole to the one file or the other.
 * Read next: src/engine/newconn.c.
 */
#include "internal.h"
#include "rocket/addr.h"
#include "rocket/fmt.h"
#include "rocket/sys.h"
#include "rocket/util.h"

static uint8_t *rk_log_buf(const struct rk_reactor *r, unsigned i)
{
	return r->log.mem + (size_t)i * r->e->cfg.log_buffer;
}

/* Write the buffer being filled, if it holds anything and the other one is
 * not in flight; the other one fills meanwhile. */
__attribute__((noinline)) static void rk_log_flush(struct rk_reactor *r)
{
	struct rk_log *l = &r->log;
	unsigned f = l->fill;
	if (l->busy || !l->len[f])
		return;
	struct io_uring_sqe *sqe = rk_res_sqe(r);
	sqe->opcode = IORING_OP_WRITE;
	sqe->fd = l->fd;
	sqe->addr = (uint64_t)(uintptr_t)rk_log_buf(r, f);
	sqe->len = l->len[f];
	sqe->off = (uint64_t)-1; /* the file position: O_APPEND's end, a pipe's stream */
	sqe->flags = IOSQE_ASYNC;
	sqe->user_data = rk_ud(RK_UD_LOG, 0, 0);
	l->busy = true;
	l->fill = (uint8_t)(f ^ 1);
}

char *rk_conn_log_line(struct rk_conn *c, uint32_t n)
{
	struct rk_reactor *r = c->r;
	struct rk_log *l = &r->log;
	uint32_t cap = r->e->cfg.log_buffer;
	if (l->fd < 0)
		return 0;
	if (l->len[l->fill] + n > cap)
		rk_log_flush(r);
	if (l->len[l->fill] + n > cap) {
		/* Both buffers full (the disk is slower than the requests),
		 * or a line longer than a buffer. */
		r->st.log_dropped++;
		return 0;
	}
	char *p = (char *)rk_log_buf(r, l->fill) + l->len[l->fill];
	l->len[l->fill] += n;
	r->st.log_lines++;
	return p;
}

void rk_log_complete(struct rk_reactor *r, struct rk_conn *unused, const struct io_uring_cqe *cqe)
{
	struct rk_log *l = &r->log;
	unsigned w = l->fill ^ 1u; /* the one that was written */
	uint8_t *b = rk_log_buf(r, w);
	(void)unused;
	if ((uint32_t)cqe->res != l->len[w]) {
		/* Failed, or short - which a blocking write to a file is only
		 * when the disk fills up halfway: a full disk, an I/O error, a
		 * closed pipe. The lines not written whole are lost: counted
		 * here, said once by the acceptor, and serving goes on. */
		for (uint32_t i = cqe->res > 0 ? (uint32_t)cqe->res : 0; i < l->len[w]; i++)
			r->st.log_dropped += b[i] == '\n';
		r->st.log_errors++;
		struct io_uring_sqe *sqe = rk_res_sqe(r);
		rk_prep_msg_ring(
			sqe, atomic_load_explicit(&r->e->acc_fd, memory_order_acquire),
			RK_CTRL_LOG_ERROR,
			rk_ud(RK_UD_CTRL, (uint32_t)(cqe->res < 0 ? -cqe->res : ENOSPC), 0));
		/* A CQE only if it fails: a CTRL with a negative res, which
		 * rk_reactor_ctrl ignores. */
		sqe->flags = IOSQE_CQE_SKIP_SUCCESS;
		sqe->user_data = rk_ud(RK_UD_CTRL, r->id, 0);
	}
	l->len[w] = 0;
	l->busy = false;
	/* Lines came in while it flew: under load the writes follow each
	 * other, each as large as the time it took lets it be. */
	if (l->len[l->fill] >= r->e->cfg.log_buffer / 4)
		rk_log_flush(r);
}

bool rk_log_drain(struct rk_reactor *r)
{
	struct rk_log *l = &r->log;
	rk_log_flush(r);
	return l->busy || l->len[l->fill];
}

struct rk_seg rk_conn_peer(struct rk_conn *c)
{
	if (!c->peer_len) {
		struct rk_sockaddr sa;
		uint32_t n = sizeof(sa);
		c->peer_len = 1;
		c->peer[0] = '-';
		if (sys_getpeername(c->fd, &sa, &n) == 0)
			c->peer_len = (uint8_t)rk_addr_host(&sa, c->peer, sizeof(c->peer));
	}
	return (struct rk_seg){ (const uint8_t *)c->peer, c->peer_len };
}
