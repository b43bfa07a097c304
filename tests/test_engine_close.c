/* tests/test_engine_close.c - the engine's edges a review found: a graceful
 * close to a peer that never reads, zero-copy sends to one, an -ENOBUFS
 * retried from on_writable, a done() that closes its own connection, a
 * share of one piece, 1-byte pieces of incremental buffers, and the
 * zero-copy window. Follows include/rocket/engine.h.
 */
#include "eng.h"
#include "harness.h"
#include "rocket/engine.h"
#include "rocket/server.h"

#include "../src/engine/internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#define BIG (8u << 20)
static uint8_t big[BIG];
static _Atomic uint64_t closes, wcalls;

static uint32_t nopen(const struct eng *g)
{
	return *(volatile uint32_t *)&g->e->reactors[0].nopen;
}

static void count_close(struct rk_conn *c, enum rk_close_reason why)
{
	(void)c, (void)why;
	atomic_fetch_add(&closes, 1);
}

/* ---- 1: a graceful close whose queue never drains is never bounded --------- */
static void lend_and_close(struct rk_conn *c, const struct rk_seg *s, unsigned n)
{
	(void)s, (void)n;
	rk_conn_release(c);
	CHECK_EQ(rk_conn_send_ref(c, big, BIG, 0, 0), 0);
	rk_conn_set_timeout_ms(c, 1000);
	rk_conn_close(c);
}

TEST_T(graceful_close_to_a_peer_that_never_reads_frees_the_slot, 30)
{
	struct rk_engine_config cfg;
	engine_config(&cfg, 1, 4);
	cfg.handler.on_data = lend_and_close;
	cfg.handler.on_close = count_close;
	struct eng g;
	eng_start(&g, &cfg);
	int fd = tcp_dial(&g, 4096);
	CHECK_EQ(write(fd, "x", 1), 1);
	sleep(5); /* never read */
	uint32_t open = nopen(&g);
	{
		const volatile struct rk_conn *k = &g.e->reactors[0].conns[0];
		fprintf(stderr,
			"  state %u nops %u send_busy %d recv_armed %d cancel_sent %d deadline "
			"%lld queued %llu\n",
			k->state, k->nops, k->send_busy, k->recv_armed, k->cancel_sent,
			(long long)k->deadline, (unsigned long long)k->queued_bytes);
	}
	close(fd);
	struct rk_reactor_stats s;
	eng_stop(&g, &s, NULL);
	CHECK_MSG(open == 0, "slot still CLOSING 5 s after close with a 1 s timeout");
}

/* ---- 2: SEND_ZC: an abort waits for a notification that needs the peer ----- */
static void lend_and_time_out(struct rk_conn *c, const struct rk_seg *s, unsigned n)
{
	(void)s, (void)n;
	rk_conn_release(c);
	CHECK_EQ(rk_conn_send_ref(c, big, BIG, 0, 0), 0);
	rk_conn_set_timeout_ms(c, 1000); /* no on_timeout: abort */
}

static void *stopper(void *p)
{
	struct rk_reactor_stats s;
	eng_join(p, &s, NULL);
	return p;
}

TEST_T(send_zc_abort_of_a_non_reader_closes_and_the_engine_stops, 30)
{
	struct rk_engine_config cfg;
	engine_config(&cfg, 1, 4);
	cfg.send_zc = true;
	cfg.handler.on_data = lend_and_time_out;
	cfg.handler.on_close = count_close;
	struct eng g;
	eng_start(&g, &cfg);
	int fd = tcp_dial(&g, 4096);
	CHECK_EQ(write(fd, "x", 1), 1);
	sleep(4);
	CHECK(g.e->reactors[0].send_zc);
	CHECK_EQ(atomic_load(&closes), 1); /* on_close came (aborted)... */
	uint32_t open = nopen(&g);
	{
		const volatile struct rk_conn *k = &g.e->reactors[0].conns[0];
		fprintf(stderr,
			"  state %u nops %u zc_pending %u send_busy %d recv_armed %d cancel_sent "
			"%d close_sent %d aborting %d\n",
			k->state, k->nops, k->zc_pending, k->send_busy, k->recv_armed,
			k->cancel_sent, k->close_sent, k->aborting);
	}
	pthread_t th;
	pthread_create(&th, 0, stopper, &g);
	sleep(4); /* stop: the 1 s graceful time is long over */
	bool stopped = atomic_load(&g.e->acc_fd) < 0;
	CHECK_MSG(open == 0 && stopped, "aborted conn still open (%u), engine stopped: %d", open,
		  stopped);
}

/* ---- 3: no free queue entry: on_writable spins inside one FLUSH pass ------- */
struct role {
	int id;
};
static _Atomic int nconn;

static int role_open(struct rk_conn *c)
{
	((struct role *)rk_conn_app(c))->id = atomic_fetch_add(&nconn, 1);
	return 0;
}

static void try_ref(struct rk_conn *c)
{
	if (rk_conn_send_ref(c, "y", 1, 0, 0) == -ENOBUFS) /* "try again from on_writable" */
		rk_conn_wait_writable(c);
}

static void role_data(struct rk_conn *c, const struct rk_seg *s, unsigned n)
{
	(void)s, (void)n;
	rk_conn_release(c);
	if (((struct role *)rk_conn_app(c))->id == 0) {
		while (rk_conn_send_ref(c, big, BIG, 0, 0) == 0) /* take every entry */
			;
	} else {
		try_ref(c);
	}
}

static void role_writable(struct rk_conn *c)
{
	if (((struct role *)rk_conn_app(c))->id == 1) {
		atomic_fetch_add(&wcalls, 1);
		try_ref(c);
	}
}

TEST_T(enobufs_retry_from_on_writable_does_not_livelock_the_reactor, 20)
{
	struct rk_engine_config cfg;
	engine_config(&cfg, 1, 4);
	cfg.app_state_size = sizeof(struct role);
	cfg.handler.on_open = role_open;
	cfg.handler.on_data = role_data;
	cfg.handler.on_writable = role_writable;
	struct eng g;
	eng_start(&g, &cfg);
	int hog = tcp_dial(&g, 4096);
	CHECK_EQ(write(hog, "x", 1), 1);
	usleep(200 * 1000);
	int v = tcp_dial(&g, 0);
	CHECK_EQ(write(v, "x", 1), 1);
	usleep(500 * 1000);
	uint64_t w = atomic_load(&wcalls);
	CHECK_MSG(w < 1000, "on_writable called %llu times in 0.5 s (reactor stuck in one pass)",
		  (unsigned long long)w);
	close(hog), close(v);
	struct rk_reactor_stats s;
	eng_stop(&g, &s, NULL);
}

/* ---- 4: done() that closes its connection, called from rk_outq_drop -------- */
static void close_done(void *arg, int res)
{
	if (res < 0)
		rk_conn_abort(arg); /* "the send failed: drop the connection" */
}

static void lend_then_abort(struct rk_conn *c, const struct rk_seg *s, unsigned n)
{
	(void)s, (void)n;
	rk_conn_release(c);
	CHECK_EQ(rk_conn_send_ref(c, big, BIG, close_done, c), 0);
	rk_conn_abort(c);
}

TEST_T(done_that_aborts_its_connection_sends_one_close, 20)
{
	struct rk_engine_config cfg;
	engine_config(&cfg, 1, 4);
	cfg.handler.on_data = lend_then_abort;
	struct eng g;
	eng_start(&g, &cfg);
	int fd = tcp_dial(&g, 0);
	CHECK_EQ(write(fd, "x", 1), 1);
	usleep(300 * 1000);
	close(fd);
	struct rk_reactor_stats s;
	eng_stop(&g, &s, NULL);
	printf("  closed %llu accepted %llu stale %llu close_errors %llu\n",
	       (unsigned long long)s.closed, (unsigned long long)s.accepted,
	       (unsigned long long)s.stale_cqes, (unsigned long long)s.close_errors);
	CHECK_EQ(s.stale_cqes, 0); /* a second IORING_OP_CLOSE of the same fd */
}

/* ---- 5: --recv-share 1 never resumes ----------------------------------------- */
TEST_T(recv_share_1_echoes_a_second_message, 20)
{
	struct rk_engine_config cfg;
	engine_config(&cfg, 1, 4);
	cfg.recv_share = 1;
	struct eng g;
	eng_start(&g, &cfg);
	int fd = tcp_dial(&g, 0);
	struct timeval tv = { .tv_sec = 3 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	pat_init();
	echo_once(&g, fd, 1, 100);
	usleep(100 * 1000);
	CHECK_EQ(write(fd, "abc", 3), 3);
	char b[3];
	ssize_t r = eng_read(fd, b, 3);
	CHECK_MSG(r == 3, "second echo: read %zd (%s)", r, strerror(errno));
	close(fd);
	struct rk_reactor_stats s;
	eng_stop(&g, &s, NULL);
}

/* ---- 6: incremental buffers: 1-byte pieces exhaust the piece pool ----------- */
static void hold_data(struct rk_conn *c, const struct rk_seg *s, unsigned n)
{
	(void)c, (void)s, (void)n; /* holds, like a session waiting for write space */
}

TEST_T(trickling_holders_do_not_abort_a_bystander_with_piece_overflow, 30)
{
	struct rk_engine_config cfg;
	engine_config(&cfg, 1, 64);
	cfg.buffers = 8; /* 64 pieces, share 4 */
	cfg.incremental = true;
	cfg.handler.on_data = hold_data;
	struct eng g;
	eng_start(&g, &cfg);
	int h[20];
	for (int i = 0; i < 20; i++)
		h[i] = tcp_dial(&g, 0);
	for (int round = 0; round < 6; round++)
		for (int i = 0; i < 20; i++) {
			send(h[i], "z", 1, MSG_NOSIGNAL);
			usleep(2000);
		}
	usleep(100 * 1000);
	struct rk_reactor_stats s;
	uint64_t ovf = *(volatile uint64_t *)&g.e->reactors[0].st.piece_overflow;
	CHECK(g.e->reactors[0].bufs.incremental);
	for (int i = 0; i < 20; i++)
		close(h[i]);
	eng_stop(&g, &s, NULL);
	CHECK_MSG(ovf == 0, "%llu connections aborted for want of a piece; 20 x 6 bytes held",
		  (unsigned long long)ovf);
}

/* ---- 8: SEND_ZC: copied bytes leave the window at the send CQE, their chunks
 * only when zc_pending reaches 0 - never, while a stream keeps sends in flight */
static uint8_t fill[16384];
static void stream_more(struct rk_conn *c)
{
	while (rk_conn_write(c, fill, sizeof(fill)) == (long)sizeof(fill))
		;
}
static void stream_data(struct rk_conn *c, const struct rk_seg *s, unsigned n)
{
	(void)s, (void)n;
	rk_conn_release(c);
	stream_more(c);
}

TEST_T(send_zc_stream_to_a_slow_reader_holds_a_window_of_chunks, 30)
{
	struct rk_engine_config cfg;
	engine_config(&cfg, 1, 4);
	cfg.send_zc = true;
	cfg.send_chunks = 1024;
	cfg.handler.on_data = stream_data;
	cfg.handler.on_writable = stream_more;
	struct eng g;
	eng_start(&g, &cfg);
	int fd = tcp_dial(&g, 65536);
	CHECK_EQ(write(fd, "x", 1), 1);
	static char buf[65536];
	uint32_t min_free = 1024;
	for (int i = 0; i < 300; i++) { /* 3 s at ~6 MB/s */
		CHECK(read(fd, buf, sizeof(buf)) > 0);
		const struct rk_pool *pl = &g.e->reactors[0].chunks;
		uint32_t f = *(volatile const uint32_t *)&pl->nfree + pl->n -
			     *(volatile const uint32_t *)&pl->fresh;
		if (f < min_free)
			min_free = f;
		usleep(10000);
	}
	close(fd);
	struct rk_reactor_stats s;
	eng_stop(&g, &s, NULL);
	fprintf(stderr,
		"  one connection, window 1 chunk: up to %u chunks in use, zc_notifs %llu\n",
		1024 - min_free, (unsigned long long)s.zc_notifs);
	CHECK(1024 - min_free <= 8);
}
