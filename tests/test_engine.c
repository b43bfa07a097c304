/* tests/test_engine.c - the engine in-process, over real loopback sockets:
 * an echo application on rk_conn_* (buffer lifetime, short writes,
 * on_writable), many concurrent connections over two reactors, a starved
 * buffer ring (ENOBUFS), abrupt resets by the thousand, a slow reader, slot
 * reuse under a generation, and one white-box check of the generation test
 * in rk_reactor_handle_cqe. Follows include/rocket/engine.h; the shared
 * helpers (echo application, clients, patterns) are in tests/eng.c.
 */
#include "eng.h"
#include "engine_mode.h"
#include "harness.h"
#include "rocket/engine.h"

#include "../src/engine/internal.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- 1: many connections over two reactors -------------------------------- */

/* n echo clients of cli_plan(n, nmin, nmax, 1, 65536) against an engine
 * made from cfg, then stopped: the summed counters in sum (per reactor in
 * per, may be NULL). Every client's bytes came back: n accepted, all sent
 * bytes in and out, no stale completion. Returns the bytes sent. */
static uint64_t echo_clients(const struct rk_engine_config *cfg, unsigned n, uint32_t nmin,
			     uint32_t nmax, struct rk_reactor_stats *sum,
			     struct rk_reactor_stats *per)
{
	pat_init();
	struct eng g;
	eng_start(&g, cfg);
	uint64_t total;
	struct cli *cs = cli_plan(n, nmin, nmax, 1, 65536, &total);
	cli_run(&g, cs, n);
	free(cs);
	eng_stop(&g, sum, per);
	CHECK_EQ(sum->accepted, n);
	CHECK_EQ(sum->bytes_in, total);
	CHECK_EQ(sum->bytes_out, total);
	CHECK_EQ(sum->stale_cqes, 0);
	return total;
}

TEST_T(echo_1000_concurrent_connections_two_reactors_every_byte_in_order, 120)
{
	raise_fd_limit();
	struct rk_engine_config cfg;
	engine_config(&cfg, 2, 2048);
	struct rk_reactor_stats sum, per[2];
	uint64_t total = echo_clients(&cfg, 1000, 1, 4, &sum, per);
	printf("  total %llu bytes, per reactor %llu/%llu\n", (unsigned long long)total,
	       (unsigned long long)per[0].accepted, (unsigned long long)per[1].accepted);
	CHECK_EQ(sum.rejected, 0);
	CHECK_MSG(per[0].accepted > 0 && per[1].accepted > 0,
		  "reactor 0 accepted %llu, reactor 1 accepted %llu",
		  (unsigned long long)per[0].accepted, (unsigned long long)per[1].accepted);
	CHECK_EQ(sum.closed, sum.accepted);
}

/* ---- 2: a starved buffer ring --------------------------------------------- */

TEST_T(echo_with_8_buffers_per_reactor_hits_enobufs_and_loses_nothing, 120)
{
	struct rk_engine_config cfg;
	engine_config(&cfg, 2, 128);
	cfg.buffers = 8;
	cfg.buffer_size = 4096;
	struct rk_reactor_stats sum;
	uint64_t total = echo_clients(&cfg, 64, 2, 6, &sum, NULL);
	printf("  enobufs %llu rearms %llu total %llu\n", (unsigned long long)sum.enobufs,
	       (unsigned long long)sum.rearms, (unsigned long long)total);
	CHECK_MSG(sum.enobufs > 0, "no ENOBUFS with 8 buffers and 64 connections");
	CHECK_EQ(sum.rejected, 0);
	CHECK_EQ(sum.closed, 64);
}

/* ---- 2b: bundled receives ---------------------------------------------------- */

/* With IORING_RECVSEND_BUNDLE one CQE may cover many buffers: every byte
 * still comes back in order, from a ring small enough to be starved too. */
TEST_T(echo_with_bundled_receives_every_byte_in_order, 120)
{
	struct rk_engine_config cfg;
	engine_config(&cfg, 1, 128);
	cfg.bundle = true;
	cfg.buffers = 64;
	cfg.buffer_size = 1024;
	struct rk_reactor_stats sum;
	uint64_t total = echo_clients(&cfg, 32, 2, 6, &sum, NULL);
	printf("  recv cqes %llu for %llu bytes in 1 KiB buffers, enobufs %llu\n",
	       (unsigned long long)sum.recv_cqes, (unsigned long long)total,
	       (unsigned long long)sum.enobufs);
	CHECK(sum.recv_cqes > 0);
	/* Bundles at work: fewer receive CQEs than 1 KiB buffers filled. */
	CHECK_MSG(sum.recv_cqes < total / 1024, "%llu recv CQEs for %llu bytes",
		  (unsigned long long)sum.recv_cqes, (unsigned long long)total);
}

/* ---- 3: resets by the thousand -------------------------------------------- */

enum { RST_AT_ONCE, RST_MID_REQUEST, RST_MID_RESPONSE, RST_AFTER_PARTIAL_READ, RST_KINDS };

TEST_T(ten_thousand_resets_mid_request_and_mid_response_leak_no_fd_and_no_fixed_slot, 180)
{
	raise_fd_limit();
	pat_init();
	struct rk_engine_config cfg;
	engine_config(&cfg, 2, 2048);
	struct eng g;
	eng_start(&g, &cfg);

	/* A connection that stays open throughout: it proves the reactors
	 * are up before the baseline, and serves after the storm. */
	int keep = tcp_dial(&g, 0);
	echo_once(&g, keep, 1, 1000);
	int baseline = count_fds();

	enum { WAVE = 500, TOTAL = 10000, BIG = 96 * 1024 };
	static int fds[WAVE];
	static uint8_t big[BIG], sink[8192];
	unsigned kinds[RST_KINDS] = { 0 };
	pat_fill(big, 42, 0, BIG);
	for (unsigned base = 0; base < TOTAL; base += WAVE) {
		for (unsigned i = 0; i < WAVE; i++) {
			unsigned kind = (base + i) % RST_KINDS;
			/* A tiny receive window keeps the server's echo send of
			 * a big message in flight (blocked) when the RST lands. */
			fds[i] = tcp_dial(&g, kind >= RST_MID_RESPONSE ? 4096 : 0);
			set_nonblock(fds[i]);
		}
		for (unsigned i = 0; i < WAVE; i++) {
			unsigned kind = (base + i) % RST_KINDS;
			if (kind == RST_AT_ONCE)
				continue;
			size_t n = kind == RST_MID_REQUEST ? rnd_in(1, 3000) : BIG;
			size_t off = 0;
			while (off < n) {
				ssize_t w = write(fds[i], big + off, n - off);
				if (w <= 0)
					break; /* EAGAIN: the rest stays unsent */
				off += (size_t)w;
			}
		}
		for (unsigned i = 0; i < WAVE; i++) {
			unsigned kind = (base + i) % RST_KINDS;
			if (kind >= RST_MID_RESPONSE) {
				/* Wait until the echo has started: the server is
				 * mid-response. */
				struct pollfd p = { .fd = fds[i], .events = POLLIN };
				CHECK_MSG(poll(&p, 1, 10000) == 1, "connection %u: no echo",
					  base + i);
				if (kind == RST_AFTER_PARTIAL_READ)
					(void)!read(fds[i], sink, rnd_in(1, sizeof(sink)));
			}
			tcp_reset(fds[i]);
			kinds[kind]++;
		}
	}
	for (unsigned k = 0; k < RST_KINDS; k++)
		CHECK_EQ(kinds[k], TOTAL / RST_KINDS);

	/* Every server-side socket gets closed: back to the baseline. */
	int now = count_fds();
	for (int tries = 0; now != baseline && tries < 1000; tries++) {
		usleep(10 * 1000);
		now = count_fds();
	}
	if (now != baseline) /* which ones, to tell a socket from a ring or a file */
		system("ls -l /proc/$PPID/fd | sed 's/^/    /'");
	CHECK_MSG(now == baseline, "open fds: %d, baseline %d", now, baseline);

	/* Still serving: the old connection and a new one. */
	echo_once(&g, keep, 2, 200000);
	int fresh = tcp_dial(&g, 0);
	echo_once(&g, fresh, 3, 200000);
	close(fresh);
	close(keep);

	struct rk_reactor_stats sum;
	eng_stop(&g, &sum, NULL);
	CHECK_EQ(sum.accepted, TOTAL + 2);
	CHECK_EQ(sum.rejected, 0);
	CHECK_EQ(sum.closed, sum.accepted);
	CHECK_EQ(sum.stale_cqes, 0);
	/* With direct descriptors no fd ever existed for them (the count
	 * above), and every slot of the reactors' fixed tables is empty
	 * again - the kernel says so, slot by slot, at exit. */
	printf("  fixed-table slots free at exit: %llu of %llu\n",
	       (unsigned long long)sum.fixed_free, (unsigned long long)sum.fixed_slots);
	CHECK_MSG((sum.fixed_slots > 0) == !test_mode_is("fd"),
		  "fixed tables of %llu slots in "
		  "mode %s",
		  (unsigned long long)sum.fixed_slots, test_mode());
	CHECK_EQ(sum.fixed_free, sum.fixed_slots);
}

/* ---- 4: a slow reader ----------------------------------------------------- */

struct writer {
	int fd;
	size_t n;
	uint32_t seed;
};

static void *writer_thread(void *p)
{
	struct writer *w = p;
	uint8_t *buf = malloc(w->n);
	pat_fill(buf, w->seed, 0, w->n);
	size_t off = 0;
	while (off < w->n) {
		ssize_t k = write(w->fd, buf + off, w->n - off);
		if (k <= 0)
			break;
		off += (size_t)k;
	}
	free(buf);
	return (void *)(uintptr_t)off;
}

TEST_T(one_mib_echo_to_a_slow_reader_arrives_intact_over_ipv6, 60)
{
	pat_init();
	struct rk_engine_config cfg;
	engine_config(&cfg, 1, 16);
	cfg.bind = "::1";
	struct eng g;
	eng_start(&g, &cfg);
	atomic_store(&echo_writable_calls, 0);

	enum { N = 1 << 20 };
	int fd = tcp_dial(&g, 0);
	struct writer w = { fd, N, 77 };
	pthread_t th;
	CHECK_EQ(pthread_create(&th, NULL, writer_thread, &w), 0);
	static uint8_t buf[16384];
	size_t got = 0;
	while (got < N) {
		ssize_t r = read(fd, buf, sizeof(buf));
		CHECK_MSG(r > 0, "read %zd after %zu bytes", r, got);
		long bad = pat_check(buf, 77, got, (size_t)r);
		CHECK_MSG(bad < 0, "wrong byte at %zu", got + (size_t)bad);
		got += (size_t)r;
		usleep(3000);
	}
	void *sent;
	pthread_join(th, &sent);
	CHECK_EQ((uintptr_t)sent, N);
	/* Our FIN closes the server's side (EOF), without a stop: its open
	 * count goes to 0, and with regular fds its descriptor goes too (a
	 * direct descriptor is none: only ours goes). */
	int open_fds = count_fds(), want = open_fds - (g.e->direct ? 1 : 2);
	close(fd);
	int now = count_fds();
	uint32_t open = 1;
	for (int tries = 0; (now != want || open) && tries < 500; tries++) {
		usleep(10 * 1000);
		now = count_fds();
		open = atomic_load(&g.e->reactors[0].open_pub);
	}
	CHECK_MSG(now == want && !open,
		  "server kept its socket after EOF: %d fds, expected %d; "
		  "%u open",
		  now, want, open);

	struct rk_reactor_stats sum;
	eng_stop(&g, &sum, NULL);
	CHECK_EQ(sum.bytes_in, N);
	CHECK_EQ(sum.bytes_out, N);
	/* 1 MiB through a 16 KiB send buffer to a reader that lags: the
	 * application had to wait for on_writable. */
	CHECK(atomic_load(&echo_writable_calls) > 0);
}

/* ---- 5: slot reuse -------------------------------------------------------- */

/* If slot 0 opens for the next generation within 50 ms, post into the
 * reactor's ring a RECV completion (res 0: "the peer closed") named by the
 * previous generation, and wait until the reactor has counted it stale.
 * Returns whether it was posted (a refused B never opens the slot). */
static bool stale_when_open(const struct eng *g, const struct rk_conn *slot0, uint32_t gen_a)
{
	const volatile struct rk_conn *c = slot0;
	const volatile uint64_t *stale = &g->e->reactors[0].st.stale_cqes;
	int i = 0;
	while (!(c->state == RK_CONN_OPEN && c->gen == ((gen_a + 1) & RK_UD_GEN_MASK)))
		if (++i > 50)
			return false;
		else
			usleep(1000);
	uint64_t before = *stale;
	struct rk_ring tmp;
	struct rk_ring_config rc = {
		.sq_entries = 2, .sqpoll_cpu = -1, .no_defer_taskrun = true, .no_register_fd = true
	};
	CHECK_EQ(rk_ring_init(&tmp, &rc), 0);
	rk_prep_msg_ring(rk_ring_get_sqe(&tmp), atomic_load(&g->e->reactors[0].ring_fd), 0,
			 rk_ud(RK_UD_RECV, 0, gen_a));
	CHECK(rk_ring_submit_wait(&tmp, 1, 0) >= 0);
	CHECK_EQ(rk_ring_cqe(&tmp, 0)->res, 0);
	rk_ring_exit(&tmp);
	for (i = 0; *stale == before && i < 2000; i++)
		usleep(500);
	CHECK_MSG(*stale == before + 1, "a completion of generation %u reached generation %u",
		  gen_a, gen_a + 1);
	return true;
}

TEST_T(reused_slot_never_sees_the_previous_connections_completions, 120)
{
	pat_init();
	struct rk_engine_config cfg;
	engine_config(&cfg, 1, 1);
	struct eng g;
	eng_start(&g, &cfg);

	enum { ROUNDS = 200, BIG = 256 * 1024 };
	static uint8_t big[BIG], buf[65536];
	unsigned retries = 0, injected = 0;
	const struct rk_conn *slot0 = &g.e->reactors[0].conns[0];
	for (unsigned round = 0; round < ROUNDS; round++) {
		/* A: a big message, an echo it does not read (tiny window),
		 * so the server's send is in flight; then a reset. */
		int a = tcp_dial(&g, 4096);
		set_nonblock(a);
		pat_fill(big, 1000000 + round, 0, BIG);
		size_t off = 0;
		for (;;) {
			ssize_t w = write(a, big + off, BIG - off);
			if (w > 0 && (off += (size_t)w) < BIG)
				continue;
			break;
		}
		struct pollfd p = { .fd = a, .events = POLLIN };
		CHECK_MSG(poll(&p, 1, 10000) == 1, "round %u: no echo for A", round);
		/* A is open in slot 0 (the only one): its generation. */
		uint32_t gen_a = ((volatile struct rk_conn *)slot0)->gen;
		tcp_reset(a);

		/* B, at once: it may take slot 0 under the next generation
		 * (or be refused while A's slot drains: then again). */
		uint32_t seed = 2000000 + round;
		size_t n = rnd_in(1, sizeof(buf));
		for (;;) {
			int b = tcp_dial(&g, 0);
			/* Once B holds the slot, a completion of A's arrives
			 * late (posted by MSG_RING, as a recv that ended): it
			 * must be told stale, not end B. */
			if (stale_when_open(&g, slot0, gen_a))
				injected++;
			pat_fill(buf, seed, 0, n);
			struct timeval tv = { .tv_sec = 10 };
			setsockopt(b, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
			setsockopt(b, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
			ssize_t w = eng_write(b, buf, n);
			size_t got = 0;
			ssize_t r = -1;
			bool refused;
			if (w == (ssize_t)n) {
				shutdown(b, SHUT_WR);
				while ((r = eng_read(b, buf + got, sizeof(buf) - got)) > 0)
					got += (size_t)r;
				refused = got == 0 &&
					  (r == 0 || errno == ECONNRESET || errno == EPIPE);
			} else {
				/* A reset during the write: an error, or (when it
				 * came in the middle) the part written before it. */
				CHECK_MSG(w >= 0 || errno == EPIPE || errno == ECONNRESET,
					  "round %u: B's write: %zd %s", round, w, strerror(errno));
				refused = true;
			}
			close(b);
			if (refused) {
				/* Refused: the server had no free slot yet. */
				CHECK_MSG(++retries < 100000, "B never got a slot");
				usleep(200);
				continue;
			}
			CHECK_MSG(r == 0, "round %u: read: %s", round, strerror(errno));
			/* Exactly its own bytes, then EOF: nothing of A's. */
			CHECK_MSG(got == n, "round %u: B got %zu bytes, sent %zu", round, got, n);
			long bad = pat_check(buf, seed, 0, n);
			CHECK_MSG(bad < 0, "round %u: B's byte %ld is not its own", round, bad);
			break;
		}
	}

	struct rk_reactor_stats sum;
	eng_stop(&g, &sum, NULL);
	printf("  slot reuse: %u refusals while A drained, accepted %llu, %u late completions "
	       "of A injected\n",
	       retries, (unsigned long long)sum.accepted, injected);
	CHECK(injected > ROUNDS / 2);
	CHECK_EQ(sum.stale_cqes, injected);
	CHECK_EQ(sum.accepted, 2 * ROUNDS);
	CHECK_EQ(sum.rejected, retries);
	CHECK_EQ(sum.closed, sum.accepted);
}

/* ---- white box: the generation check -------------------------------------- */

static void wb_on_data(struct rk_conn *c, const struct rk_seg *s, unsigned n)
{
	(void)c, (void)s, (void)n;
	atomic_fetch_add(&echo_callbacks, 1);
}
static void wb_on_writable(struct rk_conn *c)
{
	(void)c;
	atomic_fetch_add(&echo_callbacks, 1);
}
static void wb_on_close(struct rk_conn *c, enum rk_close_reason why)
{
	(void)c, (void)why;
	atomic_fetch_add(&echo_callbacks, 1);
}

TEST_T(completion_of_an_older_generation_is_stale_and_touches_nothing, 20)
{
	struct rk_engine_config cfg;
	engine_config(&cfg, 1, 2);
	cfg.handler.on_data = wb_on_data;
	cfg.handler.on_writable = wb_on_writable;
	cfg.handler.on_close = wb_on_close;
	struct rk_engine *e;
	CHECK_EQ(rk_engine_create(&e, &cfg), 0);
	struct rk_reactor *r = &e->reactors[0];
	struct rk_conn *c = &r->conns[0];
	/* Slot 0 open under generation 5, 100 bytes queued of which a send
	 * is in flight, and the application waiting for on_writable. */
	c->r = r;
	c->h = &e->cfg.handler;
	c->state = RK_CONN_OPEN;
	c->gen = 5;
	c->fd = 12345;
	c->pend_head = c->pend_tail = c->held_head = RK_NONE;
	c->out_head = c->out_tail = c->zc_head = RK_NONE;
	static const char hundred[100];
	CHECK_EQ(rk_conn_write(c, hundred, sizeof(hundred)), 100);
	r->nq[RK_Q_FLUSH] = 0;
	c->queued[RK_Q_FLUSH] = false;
	c->send_busy = true;
	c->nops = 1;
	c->want_write = true;
	uint32_t nfree = rk_pool_avail(&r->slots);
	atomic_store(&echo_callbacks, 0);

	/* The send CQE of generation 4, the slot's previous connection. */
	struct io_uring_cqe cqe = { .user_data = rk_ud(RK_UD_SEND, 0, 4), .res = 90 };
	rk_reactor_handle_cqe(r, &cqe);
	CHECK_EQ(r->st.stale_cqes, 1);
	CHECK(c->send_busy);
	CHECK(c->want_write);
	CHECK_EQ(rk_conn_queued(c), 100);
	CHECK_EQ(c->nops, 1);
	CHECK_EQ(c->state, RK_CONN_OPEN);
	CHECK_EQ(r->st.bytes_out, 0);
	CHECK_EQ(r->nq[RK_Q_FLUSH], 0);
	CHECK_EQ(atomic_load(&echo_callbacks), 0);

	/* Its close CQE must not free the slot of the new connection. */
	cqe = (struct io_uring_cqe){ .user_data = rk_ud(RK_UD_CLOSE, 0, 4), .res = 0 };
	rk_reactor_handle_cqe(r, &cqe);
	CHECK_EQ(r->st.stale_cqes, 2);
	CHECK_EQ(c->state, RK_CONN_OPEN);
	CHECK_EQ(c->gen, 5);
	CHECK_EQ(c->fd, 12345);
	CHECK_EQ(rk_pool_avail(&r->slots), nfree);
	CHECK_EQ(r->st.closed, 0);

	/* A slot that is free, and one beyond the table, are stale too. */
	cqe = (struct io_uring_cqe){ .user_data = rk_ud(RK_UD_SEND, 1, 0), .res = 1 };
	rk_reactor_handle_cqe(r, &cqe);
	cqe = (struct io_uring_cqe){ .user_data = rk_ud(RK_UD_SEND, 7, 5), .res = 1 };
	rk_reactor_handle_cqe(r, &cqe);
	CHECK_EQ(r->st.stale_cqes, 4);
	CHECK_EQ(r->st.bytes_out, 0);

	/* The control: the same CQE under generation 5 is this connection's. */
	cqe = (struct io_uring_cqe){ .user_data = rk_ud(RK_UD_SEND, 0, 5), .res = 90 };
	c->want_write = false;
	rk_reactor_handle_cqe(r, &cqe);
	CHECK_EQ(r->st.stale_cqes, 4);
	CHECK(!c->send_busy);
	CHECK_EQ(c->nops, 0);
	CHECK_EQ(rk_conn_queued(c), 10); /* the rest goes out next */
	CHECK_EQ(r->nq[RK_Q_FLUSH], 1);
	CHECK_EQ(r->st.bytes_out, 90);

	c->state = RK_CONN_FREE;
	rk_engine_destroy(e);
}

/* ---- staged close and millisecond deadlines ------------------------------- */

/* The first read is answered "bye" and the write side shut down; later
 * reads are counted and dropped; writes after the shutdown fail. */
static _Atomic uint64_t sd_after, sd_write_after, sd_eof_close;
static _Atomic int64_t sd_open_ms, sd_timeout_ms;

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sd_on_data(struct rk_conn *c, const struct rk_seg *s, unsigned n)
{
	int *answered = rk_conn_app(c);
	if (!*answered) {
		*answered = 1;
		CHECK_EQ(rk_conn_write(c, "bye", 3), 3);
		rk_conn_shutdown_write(c);
	} else {
		for (unsigned i = 0; i < n; i++)
			atomic_fetch_add(&sd_after, s[i].len);
		atomic_store(&sd_write_after, (uint64_t)-rk_conn_write(c, "x", 1));
	}
	rk_conn_release(c);
}

static void sd_on_close(struct rk_conn *c, enum rk_close_reason why)
{
	(void)c;
	if (why == RK_CLOSE_EOF)
		atomic_fetch_add(&sd_eof_close, 1);
}

TEST_T(shutdown_write_sends_eof_after_the_last_byte_and_keeps_reading, 20)
{
	struct rk_engine_config cfg;
	engine_config(&cfg, 1, 4);
	cfg.app_state_size = sizeof(int);
	cfg.handler.on_data = sd_on_data;
	cfg.handler.on_writable = 0;
	cfg.handler.on_close = sd_on_close;
	struct eng g;
	eng_start(&g, &cfg);
	int fd = tcp_dial(&g, 0);
	CHECK_EQ(send(fd, "hello", 5, 0), 5);
	char buf[16];
	size_t got = 0;
	ssize_t k;
	while ((k = recv(fd, buf + got, sizeof(buf) - got, 0)) > 0)
		got += (size_t)k;
	CHECK_EQ(k, 0); /* EOF right after the last byte, no reset */
	CHECK_EQ(got, 3);
	CHECK(!memcmp(buf, "bye", 3));
	/* The server still reads: more bytes are taken, no reset comes. */
	CHECK_EQ(send(fd, "more", 4, MSG_NOSIGNAL), 4);
	for (int i = 0; i < 2000 && atomic_load(&sd_after) < 4; i++)
		usleep(1000);
	CHECK_EQ(atomic_load(&sd_after), 4);
	CHECK_EQ(atomic_load(&sd_write_after), EPIPE);
	close(fd);
	for (int i = 0; i < 2000 && !atomic_load(&sd_eof_close); i++)
		usleep(1000);
	CHECK_EQ(atomic_load(&sd_eof_close), 1);
	struct rk_reactor_stats sum;
	eng_stop(&g, &sum, 0);
	CHECK_EQ(sum.closed, 1);
}

static int to_on_open(struct rk_conn *c)
{
	atomic_store(&sd_open_ms, mono_ms());
	rk_conn_set_timeout_ms(c, 250);
	return 0;
}

static void to_on_timeout(struct rk_conn *c)
{
	atomic_store(&sd_timeout_ms, mono_ms());
	rk_conn_abort(c);
}

/* A deadline of 250 ms fires no sooner than 250 ms after it was set, and
 * within two ticks after that; connections come at random phases of the
 * tick. */
TEST_T(millisecond_deadline_never_fires_early, 30)
{
	struct rk_engine_config cfg;
	engine_config(&cfg, 1, 4);
	cfg.handler.on_open = to_on_open;
	cfg.handler.on_timeout = to_on_timeout;
	struct eng g;
	eng_start(&g, &cfg);
	for (int i = 0; i < 8; i++) {
		atomic_store(&sd_timeout_ms, 0);
		atomic_store(&sd_open_ms, 0);
		int fd = tcp_dial(&g, 0);
		char b;
		CHECK_EQ(recv(fd, &b, 1, 0), 0); /* aborted: EOF */
		int64_t dt = atomic_load(&sd_timeout_ms) - atomic_load(&sd_open_ms);
		CHECK_MSG(dt >= 250 && dt <= 250 + 2 * RK_TICK_MS + 50, "fired after %lld ms",
			  (long long)dt);
		close(fd);
		usleep((useconds_t)(rnd_in(0, 100)) * 1000);
	}
	struct rk_reactor_stats sum;
	eng_stop(&g, &sum, 0);
}

/* ---- 6: closing - links, and no cancel where nothing runs ------------------ */

/* Each connection answers its first bytes with "bye\n", then either
 * closes (rk_conn_close) or half-closes (rk_conn_shutdown_write) and drops
 * whatever else it gets. */
static _Atomic int close_mode_linger;

static void bye_on_data(struct rk_conn *c, const struct rk_seg *s, unsigned n)
{
	struct echo *e = rk_conn_app(c);
	(void)s, (void)n;
	rk_conn_release(c);
	if (e->n++)
		return; /* after the half-close: read and dropped */
	CHECK_EQ(rk_conn_write(c, "bye\n", 4), 4);
	if (atomic_load(&close_mode_linger))
		rk_conn_shutdown_write(c);
	else
		rk_conn_close(c);
}

/* The trace's SQE lines, in order, each as "<op> <flags>". */
static unsigned trace_sqes(const char *t, char lines[][96], unsigned max, bool *enter_between,
			   const char *from, const char *to)
{
	unsigned n = 0;
	bool in = false;
	*enter_between = false;
	for (const char *p = t; *p && n < max;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char l[512];
		snprintf(l, sizeof(l), "%.*s", (int)len, p);
		p += len + (eol != NULL);
		if (strstr(l, "io_uring_enter") && in)
			*enter_between = true;
		const char *sqe = strstr(l, "] SQE  ");
		if (!sqe)
			continue;
		char op[32] = "", fl[64] = "";
		const char *f = strstr(l, "flags ");
		sscanf(sqe + 7, "%31s", op);
		if (f)
			sscanf(f + 6, "%63s", fl);
		if (!strcmp(op, from))
			in = true;
		if (in) {
			snprintf(lines[n++], 96, "%s %s", op, fl);
			if (!strcmp(op, to))
				in = false;
		}
	}
	return n;
}

/* The server closes after its answer: the answer's SEND carries
 * IOSQE_IO_HARDLINK to a CANCEL (the multishot recv) hard-linked to the
 * CLOSE, all three in one submission - no round through the reactor for
 * the send's CQE first. Half-closed instead, the SEND links to a SHUTDOWN;
 * the client reads the answer and EOF, the server drops what it sends
 * after, and once the client closes, the server's CLOSE goes without any
 * cancel (its recv ended with the client's FIN). */
TEST_T(server_close_links_send_cancel_close_and_half_close_links_shutdown, 30)
{
	for (int linger = 0; linger < 2; linger++) {
		struct rk_engine_config cfg;
		engine_config(&cfg, 1, 16);
		cfg.handler.on_data = bye_on_data;
		char path[] = "/tmp/rocket-trace-XXXXXX";
		cfg.trace_fd = mkstemp(path);
		CHECK(cfg.trace_fd >= 0);
		unlink(path);
		atomic_store(&close_mode_linger, linger);
		struct eng g;
		eng_start(&g, &cfg);
		int fd = tcp_dial(&g, 0);
		struct timeval tv = { .tv_sec = 5 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		CHECK_EQ(write(fd, "x", 1), 1);
		char buf[16];
		size_t got = 0;
		ssize_t r;
		while ((r = eng_read(fd, buf + got, sizeof(buf) - got)) > 0)
			got += (size_t)r;
		CHECK_MSG(r == 0, "no EOF after the answer: %s", strerror(errno));
		CHECK_EQ(got, 4);
		CHECK(!memcmp(buf, "bye\n", 4));
		if (linger) {
			/* Half-closed: our bytes are still read (and dropped). */
			CHECK_EQ(write(fd, "more", 4), 4);
			usleep(50 * 1000);
		}
		close(fd);
		/* Until the server has closed its side too. */
		for (int t = 0; atomic_load(&g.e->reactors[0].open_pub) && t < 1000; t++)
			usleep(1000);
		struct rk_reactor_stats sum;
		eng_stop(&g, &sum, NULL);
		char *t = slurp_fd(cfg.trace_fd);
		close(cfg.trace_fd);
		CHECK_EQ(sum.closed, 1);
		CHECK_EQ(sum.close_errors, 0);
		char l[8][96];
		bool enter;
		if (!linger) {
			unsigned n = trace_sqes(t, l, 8, &enter, "SEND", "CLOSE");
			CHECK_MSG(n == 3 && strstr(l[0], "IO_HARDLINK") &&
					  !strncmp(l[1], "ASYNC_CANCEL", 12) &&
					  strstr(l[1], "IO_HARDLINK") &&
					  !strncmp(l[2], "CLOSE", 5) && !enter,
				  "close: %u SQEs from SEND to CLOSE (%s, %s, %s), an enter "
				  "between: %d",
				  n, n > 0 ? l[0] : "", n > 1 ? l[1] : "", n > 2 ? l[2] : "",
				  enter);
		} else {
			unsigned n = trace_sqes(t, l, 8, &enter, "SEND", "SHUTDOWN");
			CHECK_MSG(n == 2 && strstr(l[0], "IO_LINK") &&
					  !strncmp(l[1], "SHUTDOWN", 8) && !enter,
				  "half-close: %u SQEs (%s, %s), an enter between: %d", n,
				  n > 0 ? l[0] : "", n > 1 ? l[1] : "", enter);
			/* The SQE after the recv's end (res 0, our FIN) is the CLOSE. */
			const char *fin = strstr(t, "CQE  RECV    conn 0.0  res 0 ");
			const char *next = fin ? strstr(fin, "] SQE  ") : 0;
			CHECK_MSG(next && !strncmp(next + 7, "CLOSE ", 6),
				  "after the peer's FIN the next SQE is not the CLOSE:\n%s", t);
			CHECK_EQ(sum.bytes_in, 5); /* "x" and "more" */
		}
	}
}

/* ---- 7: the handler's own operations on the socket ------------------------- */

static _Atomic int op_res = -1000, op_fixed = -1;

static void op_on_data(struct rk_conn *c, const struct rk_seg *s, unsigned n)
{
	(void)s, (void)n;
	rk_conn_release(c);
	bool fixed;
	int fd = rk_conn_fd(c, &fixed);
	atomic_store(&op_fixed, fixed);
	struct io_uring_sqe *sqe = rk_conn_op_sqe(c, 7);
	CHECK(sqe);
	static const char msg[] = "own op\n";
	sqe->opcode = IORING_OP_SEND;
	sqe->fd = fd;
	if (fixed)
		sqe->flags |= IOSQE_FIXED_FILE;
	sqe->addr = (uint64_t)(uintptr_t)msg;
	sqe->len = sizeof(msg) - 1;
}

static void op_on_op(struct rk_conn *c, uint8_t tag, int32_t res, uint32_t flags)
{
	(void)c, (void)flags;
	if (tag == 7)
		atomic_store(&op_res, res);
}

/* A handler's SEND of its own reaches the client through the socket that
 * rk_conn_fd() names - a direct descriptor with IOSQE_FIXED_FILE, or an fd. */
TEST_T(handler_op_on_the_socket_goes_through_rk_conn_fd, 20)
{
	struct rk_engine_config cfg;
	engine_config(&cfg, 1, 16);
	cfg.handler.on_data = op_on_data;
	cfg.handler.on_op = op_on_op;
	struct eng g;
	eng_start(&g, &cfg);
	int fd = tcp_dial(&g, 0);
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	CHECK_EQ(write(fd, "x", 1), 1);
	char buf[16] = "";
	ssize_t r = eng_read(fd, buf, sizeof(buf) - 1);
	close(fd);
	struct rk_reactor_stats sum;
	eng_stop(&g, &sum, NULL);
	CHECK_MSG(r == 7 && !strcmp(buf, "own op\n"), "read %zd: %s", r, buf);
	CHECK_EQ(atomic_load(&op_res), 7);
	CHECK_EQ(atomic_load(&op_fixed), !test_mode_is("fd"));
}
