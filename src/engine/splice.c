/* src/engine/splice.c - large file ranges of the output queue sent without
 * a copy: IORING_OP_SPLICE from the file into a pipe lent by the
 * reactor's pool (page references, not bytes), then from the pipe into
 * the socket, as sendfile(2) does inside the kernel. The two go as one
 * link (IOSQE_IO_LINK) and the fill posts no CQE when it succeeds
 * (IOSQE_CQE_SKIP_SUCCESS), so a pipeful costs the reactor one CQE and
 * one submission. (The hand-offs stay: io-wq finishes every request by
 * task work on the reactor's thread, which wakes it - see the README's
 * "Static files" figures.) A short fill fails the link: its CQE comes,
 * the send's does not (a failed member with SKIP_SUCCESS silences the
 * rest of its link), and what it did put in the pipe is sent alone.
 *
 * Follows io_uring_prep_splice(3) and splice(2). The kernel runs every
 * SPLICE in an io-wq worker thread (io_uring/splice.c refuses the
 * non-blocking attempt), so each costs a hand-off: worth it per pipeful
 * (--splice-pipes of --splice-pipe-size bytes), not per small answer -
 * ranges under RK_SPLICE_MIN, or with no pipe free, are read into a send
 * chunk instead (src/engine/file.c). A worker blocked on a full socket
 * holds its pipe: the pool bounds those. The close protocol's cancel of
 * the socket's operations interrupts it. A pipe given back with bytes
 * still in it (an aborted connection) is made anew, so the next
 * connection never sends another's bytes. A fill of 0 bytes means the
 * file shrank: the connection is aborted. An abort while a fill runs
 * finds no send to cancel yet: src/engine/conn.c shuts the socket's write
 * side down first, so the send that follows fails at once.
 * Read next: src/engine/user.c.
 */
#include "internal.h"
#include "rocket/abi/linux.h"
#include "rocket/sys.h"

enum { RK_SPLICE_FILL = 0, RK_SPLICE_SEND = 1 };

static int rk_splice_pipe_new(struct rk_reactor *r, uint32_t i)
{
	int fds[2];
	int ret = sys_pipe2(fds, O_CLOEXEC);
	if (ret < 0)
		return ret;
	r->pipe_fd[i][0] = fds[0];
	r->pipe_fd[i][1] = fds[1];
	/* The capacity the kernel grants (pipe-max-size bounds it without
	 * CAP_SYS_RESOURCE); the default 64 KiB if it refuses. */
	ret = sys_fcntl(fds[1], F_SETPIPE_SZ, (long)r->e->cfg.splice_pipe_size);
	r->pipe_cap[i] = ret > 0 ? (uint32_t)ret : 65536u;
	return 0;
}

void rk_splice_init(struct rk_reactor *r)
{
	uint32_t n = r->e->cfg.splice_pipes;
	r->npipes = 0;
	for (uint32_t i = 0; i < n && i < RK_SPLICE_PIPES_MAX; i++) {
		if (rk_splice_pipe_new(r, i) < 0)
			break; /* out of descriptors: fewer pipes, READ+SEND for the rest */
		r->pipe_free[r->npipes++] = (uint8_t)i;
	}
	r->pipe_nfree = r->npipes;
}

void rk_splice_exit(struct rk_reactor *r)
{
	for (uint32_t i = 0; i < r->npipes; i++) {
		sys_close(r->pipe_fd[i][0]);
		sys_close(r->pipe_fd[i][1]);
	}
	r->npipes = r->pipe_nfree = 0;
}

/* Give the connection's pipe back: empty, or (dirty: bytes may be left in
 * it) made anew. */
static void rk_splice_release(struct rk_conn *c, bool dirty)
{
	struct rk_reactor *r = c->r;
	if (!c->pipe)
		return;
	uint32_t i = c->pipe - 1u;
	c->pipe = 0;
	if (c->pipe_fill || dirty) {
		c->queued_bytes -= c->pipe_fill;
		c->pipe_fill = 0;
		sys_close(r->pipe_fd[i][0]);
		sys_close(r->pipe_fd[i][1]);
		if (rk_splice_pipe_new(r, i) < 0)
			return; /* lost to the pool: READ+SEND does without it */
	}
	r->pipe_free[r->pipe_nfree++] = (uint8_t)i;
}

static struct io_uring_sqe *rk_splice_submit(struct rk_conn *c, uint8_t step, int fd_in,
					     uint64_t off_in, int fd_out, uint32_t len)
{
	struct rk_reactor *r = c->r;
	struct io_uring_sqe *sqe = rk_res_sqe(r);
	sqe->opcode = IORING_OP_SPLICE;
	sqe->splice_fd_in = fd_in;
	sqe->splice_off_in = off_in;
	sqe->fd = fd_out;
	if (step == RK_SPLICE_SEND)
		rk_res_sqe_fd(sqe, c); /* the socket, maybe a direct descriptor */
	sqe->off = (uint64_t)-1;       /* a pipe or a socket: no offset */
	sqe->len = len;
	sqe->splice_flags = 0;
	sqe->user_data = rk_ud_tag(RK_UD_SPLICE, c->slot, c->gen, step);
	c->nops++;
	if (step == RK_SPLICE_SEND)
		c->send_busy = c->splice_out = true; /* the close waits for it */
	else
		c->file_busy = true;
	r->st.splices++;
	return sqe;
}

/* The c->pipe_fill bytes in the connection's pipe on into its socket. */
static void rk_splice_send(struct rk_conn *c)
{
	struct rk_reactor *r = c->r;
	rk_splice_submit(c, RK_SPLICE_SEND, r->pipe_fd[c->pipe - 1u][0], (uint64_t)-1, c->fd,
			 c->pipe_fill);
}

/* A pipeful of the file range at the head of the queue into the pipe and
 * on into the socket: fill and send, one link, one CQE. */
static void rk_splice_fill(struct rk_conn *c)
{
	struct rk_reactor *r = c->r;
	struct rk_out *o = &r->outs[c->out_head];
	uint32_t i = c->pipe - 1u;
	uint32_t len = (uint32_t)(o->len < r->pipe_cap[i] ? o->len : r->pipe_cap[i]);
	/* A link ends with its submit: both in one, or (no room could be
	 * made: a ring in trouble) the fill alone, its CQE then sending what
	 * it filled, as for a short fill. */
	bool linked = rk_res_sqe_room(r, 2);
	struct io_uring_sqe *fill =
		rk_splice_submit(c, RK_SPLICE_FILL, o->fd, o->off, r->pipe_fd[i][1], len);
	o->off += len;
	o->len -= len; /* still counted in queued_bytes until they are sent */
	c->pipe_fill = len;
	if (!linked)
		return;
	fill->flags |= IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS;
	c->nops--; /* the pair posts one CQE: the send's, or a short fill's */
	rk_splice_send(c);
}

bool rk_splice_wanted(const struct rk_conn *c, const struct rk_out *o)
{
	return o->kind == RK_OUT_FILE && o->len >= RK_SPLICE_MIN && (c->pipe || c->r->pipe_nfree);
}

bool rk_splice_start(struct rk_conn *c)
{
	struct rk_reactor *r = c->r;
	if (!rk_splice_wanted(c, &r->outs[c->out_head]))
		return false;
	if (!c->pipe)
		c->pipe = r->pipe_free[--r->pipe_nfree] + 1u;
	rk_splice_fill(c);
	return true;
}

static void rk_splice_fail(struct rk_conn *c, bool dirty)
{
	rk_splice_release(c, dirty);
	if (c->state == RK_CONN_OPEN)
		rk_conn_begin_close(c, RK_CLOSE_ERROR, true);
	else {
		c->aborting = true;
		rk_conn_progress_close(c);
	}
}

void rk_splice_complete(struct rk_reactor *r, struct rk_conn *c, const struct io_uring_cqe *cqe)
{
	uint8_t step = rk_ud_tagof(cqe->user_data);
	c->nops--;
	c->file_busy = false; /* a pair's one CQE: the fill is over either way */
	c->send_busy = c->splice_out = false;
	if (step == RK_SPLICE_FILL) {
		/* A fill posts when it failed - its linked send cancelled
		 * without a CQE of its own - or went alone (rk_splice_fill).
		 * Short is not shrunk: a pipe slot holds one page's piece, so
		 * a range that starts inside a page (a Range request) fills a
		 * pipeful of slots with less than the pipe's size. Send what
		 * came, take the rest back: the next fill says 0 if the file
		 * did end. */
		if (!c->aborting && cqe->res > 0) {
			struct rk_out *o = &r->outs[c->out_head];
			uint32_t rest = c->pipe_fill - (uint32_t)cqe->res;
			o->off -= rest;
			o->len += rest;
			c->pipe_fill -= rest;
			rk_splice_send(c);
			return;
		}
		if (!c->aborting)
			r->st.file_short++; /* 0: the file shrank; or it failed */
		rk_splice_fail(c, true);
		return;
	}
	if (c->aborting || cqe->res <= 0) { /* the peer went (-EPIPE), or cancelled */
		rk_splice_fail(c, false);
		return;
	}
	struct rk_out *o = &r->outs[c->out_head]; /* ours until the range is done */
	uint32_t n = (uint32_t)cqe->res;
	r->st.bytes_out += n;
	c->pipe_fill -= n;
	c->queued_bytes -= n;
	if (c->pipe_fill) { /* a short send: the rest of the pipe */
		rk_splice_send(c);
		return;
	}
	if (o->len) {
		rk_splice_fill(c);
		return;
	}
	rk_splice_release(c, false);
	rk_outq_pop(c, 0); /* done: the application may close its fd */
	rk_res_defer(c, RK_Q_FLUSH);
	if (c->state != RK_CONN_OPEN)
		rk_conn_progress_close(c);
}
