/* src/engine/engine.c - create the engine (all memory up front, the
 * listening socket), run it (acceptor here, reactors on their threads) and
 * stop it.
 *
 * Follows socket(7)/ipv6(7) for the listener, io_uring_prep_msg_ring(3)
 * for the stop request and signalfd(2) for the signals still pending at
 * exit. Read next: include/rocket/http.h.
 */
#include "internal.h"
#include "rocket/fmt.h"
#include "rocket/listen.h"
#include "rocket/sys.h"
#include "rocket/util.h"

#define RK_FD_PENDING (-1000000)

void rk_engine_defaults(struct rk_engine_config *cfg)
{
	rk_memset(cfg, 0, sizeof(*cfg));
	cfg->bind = "::";
	cfg->port = 8080;
	cfg->backlog = 4096;
	cfg->reactors = 0;
	/* 1024 SQEs and 4096 CQEs: 128 KiB of rings, what the RSS at start
	 * is made of (64 reactors: 8 MiB). */
	cfg->ring_entries = 1024;
	cfg->cq_entries = 0;
	cfg->buffer_size = 4096;
	cfg->batch = 256;
	cfg->send_buffer = 16384;
	cfg->incremental = true;
	cfg->splice_pipes = RK_SPLICE_PIPES_DEFAULT;
	cfg->splice_pipe_size = 1u << 20;
	cfg->sqpoll_cpu = -1;
	cfg->signals = true;
	cfg->trace_fd = -1;
	cfg->log_fd = -1;
	cfg->log_buffer = 1u << 20;
}

void rk_engine_resolve(struct rk_engine_config *cfg)
{
	if (!cfg->reactors)
		cfg->reactors = (uint32_t)rk_cpu_count();
	if (!cfg->max_conns)
		cfg->max_conns =
			RK_MAX(RK_MIN(RK_CONNS_TOTAL / cfg->reactors, RK_CONNS_MAX), RK_CONNS_MIN);
	if (!cfg->send_chunks)
		cfg->send_chunks = (cfg->max_conns + 1) / 2;
	if (!cfg->buffers)
		cfg->buffers = cfg->max_conns < 1024 ? 1024 : 2048;
}

/* How --trace names a user_data: its kind, and the slot.generation of the
 * connection it belongs to (with the handler's tag for its own ops). */
size_t rk_engine_ud_str(uint64_t ud, char *buf, size_t cap)
{
	static const char *const kinds[RK_UD_KINDS] = {
		[RK_UD_NONE] = "?",
#define RK_OP(name, scope, fn) [RK_UD_##name] = #name,
#include "ops.def"
#undef RK_OP
	};
	static const uint8_t conn_kind[RK_UD_KINDS] = {
#define RK_OP(name, scope, fn) [RK_UD_##name] = RK_SCOPE_##scope == RK_SCOPE_CONN,
#include "ops.def"
#undef RK_OP
	};
	uint32_t k = rk_ud_kind(ud);
	const char *name = k < RK_UD_KINDS ? kinds[k] : "?";
	if (k == RK_UD_USER)
		return rk_fmt(buf, cap, "%-7s conn %u.%u tag %u", name, rk_ud_slot(ud),
			      rk_ud_gen(ud), rk_ud_tagof(ud));
	if (k < RK_UD_KINDS && conn_kind[k])
		return rk_fmt(buf, cap, "%-7s conn %u.%u", name, rk_ud_slot(ud), rk_ud_gen(ud));
	if (k == RK_UD_HANDOFF)
		return rk_fmt(buf, cap, "%-7s fd %u", name, rk_ud_slot(ud));
	return rk_fmt(buf, cap, "%-7s", name ? name : "?");
}

void rk_engine_trace_init(struct rk_engine *e, struct rk_ring *r, struct rk_trace *t,
			  const char *who, uint32_t id)
{
	if (e->cfg.trace_fd < 0)
		return;
	t->fd = e->cfg.trace_fd;
	t->ud_str = rk_engine_ud_str;
	rk_fmt(t->who, sizeof(t->who), who, id);
	r->trace = t;
}

int64_t rk_now_mono(void)
{
	struct __kernel_timespec ts;
	sys_clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One reactor's share of the mapping, carved in one pass that either only
 * measures (base NULL: sizes in 64 bits, so no flag combination can wrap)
 * or also places every array. MAP_NORESERVE, and pools that touch nothing
 * before it is used (include/rocket/pool.h), leave every page unbacked
 * until a connection needs it: the RSS at start is the rings'. The send
 * chunks and the application's state start on a page, so whole pages of
 * them can be given back. */
struct rk_carver {
	uint8_t *base;
	uint64_t off;
};

static void *rk_carve_at(struct rk_carver *k, uint64_t count, uint64_t size, uint64_t align)
{
	k->off = (k->off + align - 1) & ~(align - 1);
	void *p = k->base ? k->base + k->off : 0;
	k->off += count * size;
	return p;
}

static void *rk_carve(struct rk_carver *k, uint64_t count, uint64_t size)
{
	return rk_carve_at(k, count, size, 16);
}

static uint64_t rk_reactor_layout(struct rk_reactor *r, struct rk_engine *e,
				  const struct rk_engine_config *c, uint32_t id,
				  struct rk_carver *k)
{
	/* Every reactor starts on a page, so each one's share is the same. */
	uint64_t start = (k->off + RK_PAGE - 1) & ~(uint64_t)(RK_PAGE - 1);
	k->off = start;
	uint32_t nchunks = c->send_chunks, nouts = nchunks + 2 * c->max_conns;
	/* Whole buffers: one piece each at most. Incremental ones can be cut
	 * into many: a few per buffer, and two for every connection, so that
	 * each can hold something while the pool runs low (receives then
	 * pause, src/engine/recv.c). */
	uint32_t npieces =
		c->incremental ? c->buffers * RK_PIECES_PER_BUF + 2 * c->max_conns : c->buffers;
	struct rk_reactor tmp;
	if (!k->base)
		r = &tmp;
	r->e = e;
	r->id = id;
	r->nconns = c->max_conns;
	r->conns = rk_carve(k, c->max_conns, sizeof(struct rk_conn));
	uint32_t *slots = rk_carve(k, c->max_conns, sizeof(uint32_t));
	for (unsigned q = 0; q < RK_NQ; q++)
		r->q[q] = rk_carve(k, c->max_conns, sizeof(uint32_t));
	uint32_t *chunk_free = rk_carve(k, nchunks, sizeof(uint32_t));
	r->outs = rk_carve(k, nouts, sizeof(struct rk_out));
	uint32_t *out_free = rk_carve(k, nouts, sizeof(uint32_t));
	r->pieces = rk_carve(k, npieces, sizeof(struct rk_piece));
	uint32_t *piece_free = rk_carve(k, npieces, sizeof(uint32_t));
	r->bref = rk_carve(k, c->buffers, sizeof(uint16_t));
	r->scratch = rk_carve(k, RK_DELIVER_MAX, sizeof(struct rk_seg));
	r->segs = rk_carve(k, c->buffers, sizeof(struct rk_buf_seg));
	uint32_t *msg_free = rk_carve(k, c->max_conns, sizeof(uint32_t));
	r->app_stride = (c->app_state_size + 15) & ~15u;
	r->app_mem = rk_carve(k, c->max_conns, r->app_stride);
	r->log.mem = rk_carve_at(k, c->log_fd >= 0 ? RK_LOG_BUFS : 0, c->log_buffer, RK_PAGE);
	r->state = rk_carve_at(k, 1, c->reactor_state_size, RK_PAGE);
	uint8_t *chunk_mem = rk_carve_at(k, nchunks, c->send_buffer, RK_PAGE);
	uint8_t *msg_mem = rk_carve_at(k, c->max_conns, sizeof(struct rk_sendmsg), RK_PAGE);
	rk_carve_at(k, 0, 0, RK_PAGE);
	if (!k->base)
		return k->off - start;

	r->window = c->send_window ? c->send_window : c->send_buffer;
	r->share = c->recv_share ? c->recv_share : RK_MAX(c->buffers / 8, 4u);
	if (!c->app_state_size)
		r->app_mem = 0;
	rk_pool_init(&r->slots, slots, c->max_conns, 0, 1);
	rk_pool_init(&r->chunks, chunk_free, nchunks, chunk_mem, c->send_buffer);
	rk_pool_init(&r->msgs, msg_free, c->max_conns, msg_mem, sizeof(struct rk_sendmsg));
	rk_pool_init(&r->outs_pool, out_free, nouts, 0, 1);
	rk_pool_init(&r->pieces_pool, piece_free, npieces, 0, 1);
	r->log.fd = c->log_fd;
	atomic_init(&r->ring_fd, RK_FD_PENDING);
	return k->off - start;
}

/* Serve the caller's listening sockets, or open one on cfg.bind:port.
 * Either way they end up in e->cfg.listen_fds, the acceptor's list (with
 * --accept reactor, reactor 0's; the others make SO_REUSEPORT siblings,
 * src/engine/accept.c). */
static int rk_listen(struct rk_engine *e)
{
	struct rk_engine_config *c = &e->cfg;
	if (!c->nlisten) {
		int fd = rk_listen_open(c->bind, c->port, c->backlog);
		if (fd < 0)
			return fd;
		c->listen_fds[0] = fd;
		c->nlisten = 1;
	}
	e->port = rk_listen_port(c->listen_fds[0]);
	return 0;
}

static void rk_unlisten(struct rk_engine *e)
{
	for (uint32_t i = 0; i < e->cfg.nlisten; i++)
		sys_close(e->cfg.listen_fds[i]);
	e->cfg.nlisten = 0;
}

/* io_uring refuses a table larger than RLIMIT_NOFILE (-EMFILE), and one
 * smaller than the sockets it must hold would drop some the kernel had
 * accepted already: direct descriptors need the limit to allow n slots. */
static bool rk_fixed_fits(uint32_t n)
{
	struct rk_rlimit rl;
	return sys_prlimit64(0, RLIMIT_NOFILE, 0, &rl) < 0 || rl.rlim_cur >= n;
}

int rk_engine_create(struct rk_engine **out, const struct rk_engine_config *cfg)
{
	struct rk_engine_config c = *cfg;
	rk_engine_resolve(&c);
	if (!c.handler.on_data || !c.reactors || c.reactors > 1024 || !c.ring_entries ||
	    !c.max_conns || c.max_conns > (1u << 24) || c.send_buffer < 64 || !c.batch ||
	    !c.buffer_size || !c.buffers || c.buffers > 32768 || (c.buffers & (c.buffers - 1)) ||
	    c.nlisten > RK_MAX_LISTEN || (c.log_fd >= 0 && c.log_buffer < RK_LOG_LINE_MAX))
		return -EINVAL;

	/* Measure first (64-bit sizes), then map once and carve for real. */
	struct rk_carver k = { 0, 0 };
	rk_carve(&k, 1, sizeof(struct rk_engine));
	rk_carve(&k, c.reactors, sizeof(struct rk_reactor));
	uint64_t per = rk_reactor_layout(0, 0, &c, 0, &k);
	uint64_t len = k.off + per * (c.reactors - 1);
	if (len >= (1ull << 46) || per >= (1ull << 46) / c.reactors)
		return -ENOMEM;
	uint8_t *mem = sys_mmap(0, (size_t)len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (rk_is_err(mem))
		return rk_ptr_err(mem);
	k = (struct rk_carver){ mem, 0 };
	struct rk_engine *e = rk_carve(&k, 1, sizeof(*e));
	/* With one reactor the acceptor has nothing to balance and costs a
	 * hop between two threads per connection (README: connections that
	 * come and go). */
	if (c.accept_mode == RK_ACCEPT_AUTO)
		c.accept_mode = c.reactors == 1 ? RK_ACCEPT_REACTOR : RK_ACCEPT_ACCEPTOR;
	e->cfg = c;
	e->map_len = (size_t)len;
	e->nreactors = c.reactors;
	e->reactors = rk_carve(&k, c.reactors, sizeof(struct rk_reactor));
	for (uint32_t i = 0; i < c.reactors; i++)
		rk_reactor_layout(&e->reactors[i], e, &e->cfg, i, &k);
	atomic_init(&e->acc_fd, -1);

	int ret = rk_listen(e);
	if (ret < 0) {
		sys_munmap(mem, (size_t)len);
		return ret;
	}
	*out = e;
	return 0;
}

uint16_t rk_engine_port(const struct rk_engine *e)
{
	return e->port;
}

/* What the engine has mapped, in MiB: its one mapping and each running
 * reactor's rings and provided buffers (the threads' stacks, 320 KiB each,
 * aside), so the start-up line's figure is about the process's VmSize. */
static uint32_t rk_engine_mapped_mib(const struct rk_engine *e)
{
	uint64_t n = e->map_len;
	for (uint32_t i = 0; i < e->nreactors; i++) {
		const struct rk_reactor *r = &e->reactors[i];
		n += r->ring.sq_map_len + r->ring.cq_map_len + r->ring.sqe_map_len +
		     r->bufs.ring_len + r->bufs.mem_len + r->bufs.meta_len;
	}
	return (uint32_t)(n >> 20);
}

static void rk_engine_banner(struct rk_engine *e)
{
	static const char *const why[] = {
		[RK_DIRECT_ON] = "direct descriptors",
		[RK_DIRECT_FLAG] = "regular fds (--direct=off/--send-zc/--access-log)",
		[RK_DIRECT_KERNEL] = "regular fds (no MSG_SEND_FD)",
		[RK_DIRECT_TABLE] = "regular fds (ulimit -n too low)",
	};
	char flags[160], where[RK_MAX_LISTEN * 52];
	const struct rk_ring *r = &e->reactors[0].ring;
	const struct rk_engine_config *c = &e->cfg;
	rk_ring_flags_str(r->flags, flags, sizeof(flags));
	size_t n = 0;
	for (uint32_t i = 0; i < c->nlisten; i++) {
		n += rk_fmt(where + n, sizeof(where) - n, i ? ", " : "");
		n += rk_listen_name(c->listen_fds[i], where + n, sizeof(where) - n);
	}
	rk_dprint(2,
		  "rocket: listening on %s | %u reactor%s | ring %u sq / %u cq | %u conns | "
		  "%u x %u B buffers%s%s | send %u x %u B chunks%s | %u MiB mapped | "
		  "setup %s | features 0x%x%s | accept: %s | %s\n",
		  where, e->nreactors, e->nreactors == 1 ? "" : "s", r->sq_entries, r->cq_entries,
		  c->max_conns, c->buffers, c->buffer_size,
		  e->reactors[0].bufs.incremental ? " incremental" : "",
		  c->bundle ? " bundles" : "", c->send_chunks, c->send_buffer,
		  c->send_zc ? " zero-copy" : "", rk_engine_mapped_mib(e), flags, r->features,
		  (r->enter_flags & IORING_ENTER_REGISTERED_RING) ? " | registered ring fd" : "",
		  c->accept_mode == RK_ACCEPT_ACCEPTOR ? "acceptor, least-loaded" : "reactor",
		  why[e->direct_why]);
}

/* Without the acceptor: stop the first n reactors and join them. Through
 * their rings, by the fd each published (not its struct rk_ring, which is
 * the reactor's own). */
static void rk_engine_stop_reactors(struct rk_engine *e, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		struct rk_reactor *r = &e->reactors[i];
		int fd = atomic_load(&r->ring_fd);
		struct io_uring_sqe *sqe = fd >= 0 ? rk_ring_get_sqe_wait(&e->acc) : 0;
		if (sqe) {
			rk_prep_msg_ring(sqe, fd, RK_CTRL_STOP, rk_ud(RK_UD_CTRL, 0, 0));
			sqe->flags = IOSQE_CQE_SKIP_SUCCESS;
			rk_ring_submit(&e->acc);
		}
		rk_thread_join(&r->thread);
	}
}

/* Start the reactors and wait until each has its ring (or failed). */
static int rk_engine_start_reactors(struct rk_engine *e)
{
	int err = 0;
	uint32_t started = 0;
	for (; started < e->nreactors; started++) {
		struct rk_reactor *r = &e->reactors[started];
		err = rk_thread_start(&r->thread, rk_reactor_main, r);
		if (err < 0)
			break;
	}
	for (uint32_t i = 0; i < started; i++) {
		int fd;
		/* Acquire pairs with the reactor's release store of its fd. */
		while ((fd = atomic_load_explicit(&e->reactors[i].ring_fd, memory_order_acquire)) ==
		       RK_FD_PENDING) {
			struct __kernel_timespec ms = { .tv_nsec = 1000 * 1000 };
			sys_nanosleep(&ms);
		}
		if (fd < 0 && !err)
			err = fd;
	}
	if (!err)
		return 0;
	rk_engine_stop_reactors(e, started);
	return err;
}

/* Does the kernel have IORING_MSG_SEND_FD (6.0)? Sent to reactor 0 before
 * we have a table, so slot 0 holds no file: 6.0+ answers -EBADF
 * (io_msg_grab_file found nothing) without touching the target; before,
 * the command is unknown (-EINVAL). */
static bool rk_engine_has_send_fd(struct rk_engine *e)
{
	struct io_uring_sqe *sqe = rk_ring_get_sqe(&e->acc);
	if (!sqe)
		return false;
	sqe->opcode = IORING_OP_MSG_RING;
	sqe->fd = atomic_load_explicit(&e->reactors[0].ring_fd, memory_order_acquire);
	sqe->addr = IORING_MSG_SEND_FD;
	const struct __kernel_timespec second = { .tv_sec = 1 };
	int ret = rk_ring_submit_wait(&e->acc, 1, &second);
	if (ret < 0 || !rk_ring_cq_ready(&e->acc))
		return false;
	ret = rk_ring_cqe(&e->acc, 0)->res;
	rk_ring_cq_advance(&e->acc, 1);
	return ret == -EBADF;
}

/* Regular fds asked for, or needed: SO_LINGER for zero-copy sends and the
 * access log's getpeername(2) take an fd (no io_uring operation here asks a
 * direct descriptor for its peer). */
static bool rk_engine_wants_fds(const struct rk_engine_config *c)
{
	return c->no_direct || c->send_zc || c->log_fd >= 0;
}

/* Direct descriptors end to end, or regular fds for every connection
 * (e->direct_why says why). Needs every reactor's table, and for the
 * acceptor's hand-off MSG_SEND_FD and a table of its own. */
static void rk_engine_choose_direct(struct rk_engine *e)
{
	e->direct_why = RK_DIRECT_FLAG;
	if (rk_engine_wants_fds(&e->cfg))
		return;
	e->direct_why = RK_DIRECT_TABLE;
	for (uint32_t i = 0; i < e->nreactors; i++)
		if (!e->reactors[i].nfixed)
			return;
	if (e->cfg.accept_mode == RK_ACCEPT_ACCEPTOR) {
		if (!rk_engine_has_send_fd(e)) {
			e->direct_why = RK_DIRECT_KERNEL;
			return;
		}
		/* A slot lives from the accept to the hand-off's completion;
		 * the multishot accept may fill a CQ's worth before we see one:
		 * room for twice the CQ. */
		uint32_t n = 2 * e->acc.cq_entries;
		if (!rk_fixed_fits(n) || rk_ring_files_sparse(&e->acc, n) < 0)
			return;
		e->acc_nfixed = n;
	}
	e->direct = true;
	e->direct_why = RK_DIRECT_ON;
}

/* Read whatever SIGINT/SIGTERM/SIGUSR1/SIGHUP is still pending (one that came after
 * the acceptor stopped reading): restoring the old mask with one pending
 * would run its default action and kill the process on its way out. */
static void rk_engine_drain_signals(int sigfd)
{
	int fl = sys_fcntl(sigfd, F_GETFL, 0);
	if (fl < 0 || sys_fcntl(sigfd, F_SETFL, fl | O_NONBLOCK) < 0)
		return;
	struct rk_signalfd_siginfo si;
	while (sys_read(sigfd, &si, sizeof(si)) == (long)sizeof(si))
		;
}

int rk_engine_run(struct rk_engine *e)
{
	int sigfd = -1, ret;
	uint64_t mask = RK_SIGBIT(SIGINT) | RK_SIGBIT(SIGTERM) | RK_SIGBIT(SIGUSR1) |
			RK_SIGBIT(SIGHUP),
		 old = 0;
	if (e->cfg.signals) {
		/* Block before the threads exist, so they inherit the mask
		 * and the signals wait for the acceptor's signalfd read: no
		 * handlers, no async-signal-safety rules. */
		sys_rt_sigprocmask(SIG_BLOCK, &mask, &old);
		sigfd = sys_signalfd4(-1, &mask, SFD_CLOEXEC);
		if (sigfd < 0)
			return sigfd;
	}
	struct rk_ring_config rc = { .sq_entries = 256, .cq_entries = 4096, .sqpoll_cpu = -1 };
	ret = rk_ring_init(&e->acc, &rc);
	if (ret < 0)
		goto out;
	atomic_store_explicit(&e->acc_fd, e->acc.fd, memory_order_release);
	rk_engine_trace_init(e, &e->acc, &e->acc_trace, "acceptor", 0);

	/* Each reactor registers a table this large: the slack lets a full
	 * reactor still take a socket in, to refuse it itself. (Accepting by
	 * itself, a reactor's multishot accept may run ahead into a full table,
	 * and the kernel then drops the socket: near --max-conns only, where
	 * the reactor would refuse it anyway.) */
	uint32_t want = e->cfg.max_conns + e->cfg.max_conns / 8 + 16;
	e->fixed_per_reactor = rk_engine_wants_fds(&e->cfg) || !rk_fixed_fits(want) ? 0 : want;
	ret = rk_engine_start_reactors(e);
	if (ret < 0) {
		rk_ring_exit(&e->acc);
		goto out;
	}
	rk_engine_choose_direct(e);
	if (!e->cfg.quiet)
		rk_engine_banner(e);
	if (e->cfg.on_ready)
		e->cfg.on_ready(e->cfg.ready_arg);
	ret = rk_acceptor_run(e, sigfd);
	if (ret < 0) /* it never ran: nobody told the reactors to stop */
		rk_engine_stop_reactors(e, e->nreactors);
	else
		for (uint32_t i = 0; i < e->nreactors; i++)
			rk_thread_join(&e->reactors[i].thread);
	atomic_store_explicit(&e->acc_fd, -1, memory_order_release);
	rk_ring_exit(&e->acc);
	e->acc_nfixed = 0;
	e->direct = false;
out:
	rk_unlisten(e);
	if (sigfd >= 0) {
		rk_engine_drain_signals(sigfd);
		sys_close(sigfd);
		sys_rt_sigprocmask(SIG_SETMASK, &old, 0);
	}
	return ret;
}

int rk_engine_stop(struct rk_engine *e)
{
	int fd = atomic_load_explicit(&e->acc_fd, memory_order_acquire);
	if (fd < 0)
		return -EAGAIN;
	/* Even the stop request travels by MSG_RING: a tiny ring of our own
	 * posts it into the acceptor's. */
	struct rk_ring tmp;
	struct rk_ring_config rc = {
		.sq_entries = 2, .sqpoll_cpu = -1, .no_defer_taskrun = true, .no_register_fd = true
	};
	int ret = rk_ring_init(&tmp, &rc);
	if (ret < 0)
		return ret;
	rk_prep_msg_ring(rk_ring_get_sqe(&tmp), fd, RK_CTRL_STOP, rk_ud(RK_UD_CTRL, 0, 0));
	ret = rk_ring_submit_wait(&tmp, 1, 0);
	if (ret >= 0 && rk_ring_cq_ready(&tmp))
		ret = rk_ring_cqe(&tmp, 0)->res;
	rk_ring_exit(&tmp);
	return ret < 0 ? ret : 0;
}

void rk_engine_destroy(struct rk_engine *e)
{
	rk_unlisten(e);
	sys_munmap(e, e->map_len);
}

uint32_t rk_engine_reactor_count(const struct rk_engine *e)
{
	return e->nreactors;
}

int rk_engine_reactor_stats(const struct rk_engine *e, uint32_t i, struct rk_reactor_stats *out)
{
	if (i >= e->nreactors)
		return -EINVAL;
	*out = e->reactors[i].st;
	return 0;
}
