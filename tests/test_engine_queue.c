/* tests/test_engine_queue.c - the engine's second floor over real loopback
 * sockets: the output queue (borrowed bytes, file ranges, copies streamed
 * from on_writable) and what it costs in memory, a client that does not
 * read next to one that does, incremental buffers and bundles, SEND_ZC,
 * handler ops and per-connection handlers; and, white-box, how a refused
 * receive steps its flags down. Follows include/rocket/engine.h; helpers in
 * tests/eng.c.
 */
#include "eng.h"
#include "harness.h"
#include "rocket/engine.h"
#include "rocket/util.h"

#include "../src/engine/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define MIB (1024u * 1024u)

/* Read exactly n bytes (blocking, with the socket's timeout). */
static void read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = eng_read(fd, (uint8_t *)buf + got, n - got);
		CHECK_MSG(r > 0, "read %zd (%s) after %zu of %zu bytes", r,
			  r ? strerror(errno) : "EOF", got, n);
		got += (size_t)r;
	}
}

static void set_timeout(int fd, int secs)
{
	struct timeval tv = { .tv_sec = secs };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Wait (up to ms) until *v reaches want. */
static uint64_t wait_for(_Atomic uint64_t *v, uint64_t want, int ms)
{
	for (int i = 0; i < ms && atomic_load(v) < want; i++)
		usleep(1000);
	return atomic_load(v);
}

/* ---- a: borrowed bytes (rk_conn_send_ref) --------------------------------- */

#define BODY_LEN  (100u * MIB)
#define BODY_SEED 101u

/* The body every connection is lent: the application's memory, alive for
 * the whole test (mapped once, filled from the pattern). */
static const uint8_t *body(void)
{
	static uint8_t *p;
	if (!p) {
		pat_init();
		p = mmap(NULL, BODY_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			 0);
		CHECK(p != MAP_FAILED);
		pat_fill(p, BODY_SEED, 0, BODY_LEN);
	}
	return p;
}

static _Atomic uint64_t ref_sends, ref_done_calls, ref_done_ok, ref_done_neg;

static void ref_done(void *arg, int res)
{
	CHECK(arg == (void *)body());
	atomic_fetch_add(&ref_done_calls, 1);
	atomic_fetch_add(res == 0 ? &ref_done_ok : &ref_done_neg, 1);
}

struct once {
	bool started;
};

/* The first byte of a connection asks for the body; the rest is ignored. */
static void ref_on_data(struct rk_conn *c, const struct rk_seg *segs, unsigned n)
{
	(void)segs, (void)n;
	struct once *s = rk_conn_app(c);
	rk_conn_release(c);
	if (s->started)
		return;
	s->started = true;
	CHECK_EQ(rk_conn_send_ref(c, body(), BODY_LEN, ref_done, (void *)body()), 0);
	atomic_fetch_add(&ref_sends, 1);
}

static void ref_config(struct rk_engine_config *cfg, uint32_t reactors, uint32_t max_conns)
{
	engine_config(cfg, reactors, max_conns);
	cfg->app_state_size = sizeof(struct once);
	cfg->handler.on_data = ref_on_data;
	cfg->handler.on_writable = NULL;
}

TEST_T(send_ref_100_mib_body_arrives_intact_and_done_is_called_once_with_0, 60)
{
	body();
	struct rk_engine_config cfg;
	ref_config(&cfg, 1, 16);
	struct eng g;
	eng_start(&g, &cfg);

	int fd = tcp_dial(&g, 0);
	set_timeout(fd, 10);
	CHECK_EQ(write(fd, "?", 1), 1);
	static uint8_t buf[256 * 1024];
	uint64_t got = 0;
	while (got < BODY_LEN) {
		ssize_t r = read(fd, buf, sizeof(buf));
		CHECK_MSG(r > 0, "read %zd after %llu bytes", r, (unsigned long long)got);
		CHECK(got + (uint64_t)r <= BODY_LEN);
		long bad = pat_check(buf, BODY_SEED, got, (size_t)r);
		CHECK_MSG(bad < 0, "wrong byte at %llu", (unsigned long long)got + (uint64_t)bad);
		got += (uint64_t)r;
	}
	/* Every byte is out: done comes once, with 0, while the connection
	 * is still open. */
	CHECK_EQ(wait_for(&ref_done_calls, 1, 2000), 1);
	CHECK_EQ(atomic_load(&ref_done_ok), 1);
	close(fd);

	struct rk_reactor_stats sum;
	eng_stop(&g, &sum, NULL);
	CHECK_EQ(atomic_load(&ref_sends), 1);
	CHECK_EQ(atomic_load(&ref_done_calls), 1);
	CHECK_EQ(atomic_load(&ref_done_neg), 0);
	CHECK_EQ(sum.bytes_out, BODY_LEN);
	CHECK_EQ(sum.closed, sum.accepted);
}

TEST_T(send_ref_client_reset_mid_body_calls_done_with_an_error_and_leaks_nothing, 60)
{
	body();
	int baseline = count_fds();
	struct rk_engine_config cfg;
	ref_config(&cfg, 1, 16);
	struct eng g;
	eng_start(&g, &cfg);

	/* Resets after 0, 64 KiB, 1 MiB and 10 MiB of the body. */
	static const uint32_t after[] = { 0, 64 * 1024, MIB, 10 * MIB };
	enum { N = sizeof(after) / sizeof(after[0]) };
	static uint8_t buf[64 * 1024];
	for (unsigned i = 0; i < N; i++) {
		int fd = tcp_dial(&g, 4096);
		set_timeout(fd, 10);
		CHECK_EQ(write(fd, "?", 1), 1);
		/* The body has started (or, for 0, the send is queued). */
		CHECK_EQ(wait_for(&ref_sends, i + 1, 2000), i + 1);
		uint64_t got = 0;
		while (got < after[i]) {
			size_t want = after[i] - got < sizeof(buf) ? after[i] - got : sizeof(buf);
			ssize_t r = read(fd, buf, want);
			CHECK_MSG(r > 0, "read %zd after %llu", r, (unsigned long long)got);
			CHECK(pat_check(buf, BODY_SEED, got, (size_t)r) < 0);
			got += (uint64_t)r;
		}
		tcp_reset(fd);
		CHECK_MSG(wait_for(&ref_done_calls, i + 1, 2000) == i + 1,
			  "reset after %u bytes: done not called", after[i]);
	}

	struct rk_reactor_stats sum;
	eng_stop(&g, &sum, NULL);
	printf("  %u resets mid-body: done calls %llu, with an error %llu\n", N,
	       (unsigned long long)atomic_load(&ref_done_calls),
	       (unsigned long long)atomic_load(&ref_done_neg));
	CHECK_EQ(atomic_load(&ref_sends), N);
	CHECK_EQ(atomic_load(&ref_done_calls), N);
	CHECK_EQ(atomic_load(&ref_done_neg), N);
	CHECK(sum.bytes_out < (uint64_t)N * BODY_LEN);
	CHECK_EQ(sum.accepted, N);
	CHECK_EQ(sum.closed, N);
	CHECK_EQ(sum.stale_cqes, 0);
	CHECK_EQ(count_fds(), baseline);
}

/* ---- b: file ranges (rk_conn_send_file) ------------------------------------ */

#define FILE_SEED 202u
#define TRAILER   "-trailer-"

struct file_send {
	int fd; /* the dup the engine was given */
	_Atomic int calls;
	_Atomic int res;
	_Atomic int open_at_done; /* fcntl(fd) still worked in done */
	_Atomic int seq;          /* order among all done calls */
};

struct file_app {
	int fd;               /* the file, owned by the test */
	_Atomic uint64_t len; /* bytes of it per send */
	uint64_t off;         /* where they start ((uint64_t)-1: a stream's next) */
	unsigned copies;      /* send_file calls per request */
	bool trailer;         /* then rk_conn_write(TRAILER) */
	struct file_send sends[16];
	_Atomic unsigned nsends, nseq;
};

static struct file_app fapp;

/* The engine is done with the fd: it is ours to close, and closing it
 * proves the engine does not read it any more. */
static void file_done(void *arg, int res)
{
	struct file_send *s = arg;
	atomic_store(&s->open_at_done, fcntl(s->fd, F_GETFD) >= 0);
	atomic_store(&s->res, res);
	atomic_store(&s->seq, (int)atomic_fetch_add(&fapp.nseq, 1));
	atomic_fetch_add(&s->calls, 1);
	close(s->fd);
}

static void file_on_data(struct rk_conn *c, const struct rk_seg *segs, unsigned n)
{
	(void)segs, (void)n;
	struct once *st = rk_conn_app(c);
	rk_conn_release(c);
	if (st->started)
		return;
	st->started = true;
	for (unsigned k = 0; k < fapp.copies; k++) {
		unsigned i = atomic_fetch_add(&fapp.nsends, 1);
		CHECK(i < sizeof(fapp.sends) / sizeof(fapp.sends[0]));
		struct file_send *s = &fapp.sends[i];
		s->fd = dup(fapp.fd);
		CHECK(s->fd >= 0);
		CHECK_EQ(
			rk_conn_send_file(c, s->fd, fapp.off, atomic_load(&fapp.len), file_done, s),
			0);
	}
	if (fapp.trailer)
		CHECK_EQ(rk_conn_write(c, TRAILER, strlen(TRAILER)), (long)strlen(TRAILER));
}

/* A temp file of len bytes of stream FILE_SEED (unlinked: the fd is all). */
static int pattern_file(uint64_t len)
{
	pat_init();
	char path[] = "/tmp/rocket-file-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	unlink(path);
	static uint8_t buf[MIB];
	for (uint64_t off = 0; off < len;) {
		size_t k = len - off < sizeof(buf) ? (size_t)(len - off) : sizeof(buf);
		pat_fill(buf, FILE_SEED, off, k);
		CHECK_EQ(pwrite(fd, buf, k, (off_t)off), (ssize_t)k);
		off += k;
	}
	return fd;
}

static void file_config(struct rk_engine_config *cfg, int fd, uint64_t len, unsigned copies,
			bool trailer)
{
	engine_config(cfg, 1, 16);
	cfg->app_state_size = sizeof(struct once);
	cfg->handler.on_data = file_on_data;
	cfg->handler.on_writable = NULL;
	memset(&fapp, 0, sizeof(fapp));
	fapp.fd = fd;
	atomic_store(&fapp.len, len);
	fapp.copies = copies;
	fapp.trailer = trailer;
}

static void send_three_files_and_a_write(uint32_t pipes)
{
	const uint64_t len = 8 * MIB + 13;
	int fd = pattern_file(len);
	int baseline = count_fds();
	struct rk_engine_config cfg;
	file_config(&cfg, fd, len, 3, true);
	cfg.splice_pipes = pipes;
	cfg.splice_pipe_size = 64 * 1024; /* many pipefuls */
	struct eng g;
	eng_start(&g, &cfg);

	int c = tcp_dial(&g, 0);
	set_timeout(c, 10);
	CHECK_EQ(write(c, "?", 1), 1);
	static uint8_t buf[256 * 1024];
	const uint64_t total = 3 * len + strlen(TRAILER);
	uint64_t got = 0;
	while (got < total) {
		ssize_t r = read(c, buf, sizeof(buf));
		CHECK_MSG(r > 0, "read %zd after %llu of %llu", r, (unsigned long long)got,
			  (unsigned long long)total);
		CHECK(got + (uint64_t)r <= total);
		/* Split at the copies' boundaries: copy k is bytes [k len, (k+1) len). */
		for (size_t at = 0; at < (size_t)r;) {
			uint64_t pos = got + at;
			size_t k;
			if (pos < 3 * len) {
				uint64_t in = pos % len;
				k = RK_MIN((size_t)r - at, (size_t)(len - in));
				long bad = pat_check(buf + at, FILE_SEED, in, k);
				CHECK_MSG(bad < 0, "copy %llu: wrong byte at %llu",
					  (unsigned long long)(pos / len),
					  (unsigned long long)(in + (uint64_t)bad));
			} else {
				k = (size_t)r - at;
				const char *tail = TRAILER;
				CHECK(memcmp(buf + at, tail + (pos - 3 * len), k) == 0);
			}
			at += k;
		}
		got += (uint64_t)r;
	}
	close(c);

	struct rk_reactor_stats sum;
	eng_stop(&g, &sum, NULL);
	CHECK_EQ(atomic_load(&fapp.nsends), 3);
	for (int k = 0; k < 3; k++) {
		CHECK_MSG(atomic_load(&fapp.sends[k].calls) == 1, "send %d: done called %d times",
			  k, atomic_load(&fapp.sends[k].calls));
		CHECK_EQ(atomic_load(&fapp.sends[k].res), 0);
		CHECK_EQ(atomic_load(&fapp.sends[k].open_at_done), 1);
		CHECK_EQ(atomic_load(&fapp.sends[k].seq), k);
	}
	printf("  3 x %llu bytes + trailer: %llu file reads, %llu splices\n",
	       (unsigned long long)len, (unsigned long long)sum.file_reads,
	       (unsigned long long)sum.splices);
	CHECK_EQ(sum.file_short, 0);
	if (pipes)
		CHECK(sum.splices >= 2 * (3 * len / cfg.splice_pipe_size) && !sum.file_reads);
	else
		CHECK(sum.file_reads >= 3 * len / cfg.send_buffer && !sum.splices);
	CHECK_EQ(sum.bytes_out, total);
	CHECK_EQ(sum.closed, sum.accepted);
	CHECK_EQ(count_fds(), baseline); /* every dup closed in done, once */
	close(fd);
}

TEST_T(send_file_three_times_then_a_write_arrive_byte_exact_in_order, 60)
{
	send_three_files_and_a_write(0);
}

/* The same through SPLICE: file -> a lent pipe -> socket, no copy; the
 * pipes are made at start-up and closed at the end (the fd count). */
TEST_T(send_file_by_splice_three_times_then_a_write_arrive_byte_exact_in_order, 60)
{
	send_three_files_and_a_write(2);
}

static void send_file_truncated(uint32_t pipes)
{
	const uint64_t len = 32 * MIB;
	int fd = pattern_file(len);
	struct rk_engine_config cfg;
	file_config(&cfg, fd, len, 1, false);
	cfg.splice_pipes = pipes;
	struct eng g;
	eng_start(&g, &cfg);

	/* A small window and a slow reader: the download is in progress,
	 * one chunk at a time, when the file shrinks under it. */
	int c = tcp_dial(&g, 4096);
	set_timeout(c, 3);
	CHECK_EQ(write(c, "?", 1), 1);
	static uint8_t buf[64 * 1024];
	uint64_t got = 0;
	while (got < MIB) {
		ssize_t r = read(c, buf, 4096);
		CHECK_MSG(r > 0, "read %zd after %llu", r, (unsigned long long)got);
		CHECK(pat_check(buf, FILE_SEED, got, (size_t)r) < 0);
		got += (uint64_t)r;
		usleep(500);
	}
	/* Cut ahead of what is in flight (a pipeful and the socket's
	 * buffers) and on a 2 MiB boundary: a page or a large folio in
	 * flight by reference (a splice) is never one the truncation zeroes
	 * in part, so every byte read must still be the file's. */
	const uint64_t cut = 4 * MIB;
	CHECK_EQ(ftruncate(fd, (off_t)cut), 0);
	double t0 = now_ms();
	/* Now read fast: what was in flight, the rest up to the cut, then
	 * the end. */
	ssize_t r;
	while ((r = read(c, buf, sizeof(buf))) > 0) {
		CHECK(pat_check(buf, FILE_SEED, got, (size_t)r) < 0);
		got += (uint64_t)r;
	}
	CHECK_MSG(got <= cut, "%llu bytes read of a file cut at %llu", (unsigned long long)got,
		  (unsigned long long)cut);
	double ms = now_ms() - t0;
	CHECK_MSG(r == 0 || errno == ECONNRESET, "read: %s after %.0f ms", strerror(errno), ms);
	printf("  truncated at %llu bytes of %llu: connection ended %.1f ms later\n",
	       (unsigned long long)got, (unsigned long long)len, ms);
	CHECK(got < len);
	CHECK_MSG(ms < 1000, "connection ended %.0f ms after the truncation", ms);
	close(c);

	/* The engine goes on serving: the file as it is now, whole. */
	uint64_t now_len = (uint64_t)lseek(fd, 0, SEEK_END);
	atomic_store(&fapp.len, now_len);
	c = tcp_dial(&g, 0);
	set_timeout(c, 10);
	CHECK_EQ(write(c, "?", 1), 1);
	uint8_t *all = malloc(now_len);
	CHECK(all);
	read_full(c, all, now_len);
	CHECK(pat_check(all, FILE_SEED, 0, now_len) < 0);
	free(all);
	close(c);

	struct rk_reactor_stats sum;
	eng_stop(&g, &sum, NULL);
	CHECK(sum.file_short >= 1);
	CHECK_EQ(atomic_load(&fapp.nsends), 2);
	CHECK_EQ(atomic_load(&fapp.sends[0].calls), 1);
	CHECK(atomic_load(&fapp.sends[0].res) < 0);
	CHECK_EQ(atomic_load(&fapp.sends[1].calls), 1);
	CHECK_EQ(atomic_load(&fapp.sends[1].res), 0);
	CHECK_EQ(sum.closed, sum.accepted);
	close(fd);
}

TEST_T(send_file_truncated_mid_download_aborts_within_a_second_and_counts_file_short, 60)
{
	send_file_truncated(0);
}

TEST_T(send_file_by_splice_truncated_mid_download_aborts_within_a_second, 60)
{
	send_file_truncated(4);
}

/* A SPLICE into the socket runs in an io-wq worker, which looks the
 * socket's direct descriptor up only as it starts: the CLOSE of that slot
 * must wait for the splice's end, or a splice that started but had not
 * looked yet would write into the slot's next socket (another client's
 * download arriving on a new connection, seen once in a run side by side).
 * Here the reader stops, the splice waits on the full socket, and the
 * engine's stop aborts the connection after its grace: in the trace the
 * CLOSE comes after the splice's CQE. */
TEST_T(an_abort_during_a_splice_into_the_socket_closes_only_after_the_splice_ends, 60)
{
	const uint64_t len = 64 * MIB;
	int fd = pattern_file(len);
	struct rk_engine_config cfg;
	file_config(&cfg, fd, len, 1, false);
	cfg.splice_pipes = 2;
	char path[] = "/tmp/rocket-trace-XXXXXX";
	cfg.trace_fd = mkstemp(path);
	CHECK(cfg.trace_fd >= 0);
	unlink(path);
	struct eng g;
	eng_start(&g, &cfg);
	int c = tcp_dial(&g, 4096);
	set_timeout(c, 3);
	CHECK_EQ(write(c, "?", 1), 1);
	static uint8_t buf[4096];
	uint64_t got = 0;
	while (got < MIB) {
		ssize_t r = eng_read(c, buf, sizeof(buf));
		CHECK_MSG(r > 0, "read %zd after %llu", r, (unsigned long long)got);
		got += (uint64_t)r;
	}
	usleep(300 * 1000); /* the socket fills, the splice waits on it */
	struct rk_reactor_stats sum;
	eng_stop(&g, &sum, NULL);
	close(c);
	char *t = slurp_fd(cfg.trace_fd);
	close(cfg.trace_fd);
	/* The reactor's CLOSE of the connection (not the acceptor's of its
	 * hand-off): "SQE  CLOSE ... CLOSE   conn". */
	const char *close_sqe = 0, *last = 0;
	for (const char *p = t; !close_sqe && (p = strstr(p, "[reactor 0] SQE  CLOSE")); p++) {
		const char *eol = strchr(p, '\n');
		const char *k = strstr(p, "CLOSE   conn");
		if (k && (!eol || k < eol))
			close_sqe = p;
	}
	for (const char *p = t; (p = strstr(p, "CQE  SPLICE")); p++)
		last = p;
	CHECK_MSG(sum.splices > 0 && last && close_sqe, "splices %llu, trace %zu bytes",
		  (unsigned long long)sum.splices, strlen(t));
	CHECK_MSG(close_sqe > last, "the CLOSE went %s the last splice's CQE",
		  close_sqe > last ? "after" : "before");
	CHECK_EQ(sum.closed, sum.accepted);
	close(fd);
}

/* A splice pair's send (src/engine/splice.c) starts only once its fill is
 * done: an abort that comes while the fill waits finds no send to cancel,
 * and the send that then starts must not wait for ever on a client that
 * reads nothing. Here the "file" is a pipe (a stream: no offset), empty
 * until the stop's grace is over; then one write puts a whole pipeful in
 * it at once (the writer holds the pipe's lock while it copies, so the
 * fill sees all of it: not a short fill, which would end the link). The
 * engine shut the socket's write side down at the abort, so that send
 * fails at once and the stop ends. */
static void abort_while_a_splice_fill_waits(bool zc)
{
	const uint64_t len = MIB;
	int src[2];
	CHECK_EQ(pipe2(src, O_CLOEXEC), 0);
	CHECK_MSG(fcntl(src[1], F_SETPIPE_SZ, (int)len) >= (int)len, "F_SETPIPE_SZ: %s",
		  strerror(errno));
	struct rk_engine_config cfg;
	file_config(&cfg, src[0], len, 1, false);
	fapp.off = (uint64_t)-1;
	cfg.send_zc = zc;
	cfg.splice_pipes = 1;
	cfg.splice_pipe_size = (uint32_t)len;
	engine_listen_small(&cfg, 32 << 10); /* a pipeful does not fit: the send waits */
	struct eng g;
	eng_start(&g, &cfg);
	int c = tcp_dial(&g, 4096);
	CHECK_EQ(write(c, "?", 1), 1);
	usleep(200 * 1000); /* the fill waits on the empty pipe */
	CHECK_EQ(rk_engine_stop(g.e), 0);
	usleep(1500 * 1000); /* past the stop's grace (1 s): aborted */
	static uint8_t buf[MIB];
	memset(buf, 'x', sizeof(buf));
	CHECK_EQ(write(src[1], buf, len), (ssize_t)len);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	int ret = pthread_timedjoin_np(g.th, NULL, &ts);
	CHECK_MSG(ret == 0, "the stop did not end within 5 s: the send waits on the client (%s)",
		  strerror(ret));
	CHECK_EQ(g.ret, 0);
	struct rk_reactor_stats s;
	CHECK_EQ(rk_engine_reactor_stats(g.e, 0, &s), 0);
	printf("  splices %llu, accepted %llu, closed %llu\n", (unsigned long long)s.splices,
	       (unsigned long long)s.accepted, (unsigned long long)s.closed);
	CHECK(s.splices >= 2);
	CHECK_EQ(s.closed, s.accepted);
	eng_destroy(&g);
	close(c);
	close(src[0]);
	close(src[1]);
}

TEST_T(an_abort_while_a_splice_fill_waits_ends_the_send_that_follows_it, 30)
{
	abort_while_a_splice_fill_waits(false);
}

/* The same with --send-zc, whose close takes its own path
 * (rk_conn_close_zc): the write side must be shut down there too. */
TEST_T(an_abort_while_a_splice_fill_waits_ends_the_send_that_follows_it_zero_copy, 30)
{
	abort_while_a_splice_fill_waits(true);
}

/* A range that starts inside a page (a Range request: bytes=100-) fills a
 * pipe short: each of the pipe's slots holds one page's piece, so the
 * first holds less than a page and a pipeful of slots less than the pipe
 * size. That is no shrunk file: every byte must still come, and the range
 * must end in order (not aborted as file_short). */
TEST_T(send_file_by_splice_from_inside_a_page_sends_every_byte, 30)
{
	const uint64_t size = 8 * MIB, off = 100, len = size - off;
	int fd = pattern_file(size);
	struct rk_engine_config cfg;
	file_config(&cfg, fd, len, 1, false);
	fapp.off = off;
	cfg.splice_pipes = 1;
	cfg.splice_pipe_size = MIB;
	struct eng g;
	eng_start(&g, &cfg);
	int c = tcp_dial(&g, 0);
	set_timeout(c, 10);
	CHECK_EQ(write(c, "?", 1), 1);
	uint8_t *all = malloc(len);
	CHECK(all);
	read_full(c, all, len);
	long bad = pat_check(all, FILE_SEED, off, len);
	CHECK_MSG(bad < 0, "wrong byte at %ld", bad);
	free(all);
	close(c);
	struct rk_reactor_stats sum;
	eng_stop(&g, &sum, NULL);
	printf("  %llu bytes from offset %llu: %llu splices, file_short %llu\n",
	       (unsigned long long)len, (unsigned long long)off, (unsigned long long)sum.splices,
	       (unsigned long long)sum.file_short);
	CHECK_EQ(sum.file_short, 0);
	CHECK_EQ(atomic_load(&fapp.sends[0].calls), 1);
	CHECK_EQ(atomic_load(&fapp.sends[0].res), 0);
	CHECK(sum.splices >= 2 * (len / MIB) && !sum.file_reads);
	CHECK_EQ(sum.closed, sum.accepted);
	close(fd);
}

/* ---- c: memory with a thousand slow readers -------------------------------- */

#define SLOW_CLIENTS   1000
#define SLOW_SECS      4
#define RSS_BUDGET_KIB (8 * 1024)

struct slow {
	int fd;
	uint64_t got;
};

/* SLOW_CLIENTS connections with a 4 KiB receive buffer, each asking with
 * one byte for its body (stream `seed`), read 1 KiB at a time every 20 ms
 * for SLOW_SECS; then all reset. Returns the largest RSS seen (KiB). */
static long slow_readers(const struct eng *g, struct slow *ss, uint32_t seed, uint64_t *least)
{
	for (unsigned i = 0; i < SLOW_CLIENTS; i++) {
		ss[i].fd = tcp_dial(g, 4096);
		ss[i].got = 0;
		CHECK_EQ(write(ss[i].fd, "?", 1), 1);
		set_nonblock(ss[i].fd);
	}
	long peak = 0;
	uint8_t buf[1024];
	double end = now_ms() + SLOW_SECS * 1000;
	while (now_ms() < end) {
		for (unsigned i = 0; i < SLOW_CLIENTS; i++) {
			ssize_t r = read(ss[i].fd, buf, sizeof(buf));
			if (r < 0 && errno == EAGAIN)
				continue;
			CHECK_MSG(r > 0, "client %u: read %zd (%s)", i, r,
				  r ? strerror(errno) : "EOF");
			long bad = pat_check(buf, seed, ss[i].got, (size_t)r);
			CHECK_MSG(bad < 0, "client %u: wrong byte at %llu", i,
				  (unsigned long long)(ss[i].got + (uint64_t)bad));
			ss[i].got += (uint64_t)r;
		}
		long rss = rss_kib();
		if (rss > peak)
			peak = rss;
		usleep(20 * 1000);
	}
	*least = UINT64_MAX;
	uint64_t sum = 0;
	for (unsigned i = 0; i < SLOW_CLIENTS; i++) {
		if (ss[i].got < *least)
			*least = ss[i].got;
		sum += ss[i].got;
		tcp_reset(ss[i].fd);
	}
	printf("  clients read %llu B on average\n", (unsigned long long)(sum / SLOW_CLIENTS));
	return peak;
}

/* Both reactors (two, 1000 connections spread over them) have served once,
 * so their threads, rings and first buffers are resident: the baseline. */
static long warm_baseline(const struct eng *g, uint32_t seed)
{
	for (int k = 0; k < 4; k++) {
		int fd = tcp_dial(g, 0);
		set_timeout(fd, 10);
		CHECK_EQ(write(fd, "?", 1), 1);
		uint8_t buf[4096];
		read_full(fd, buf, sizeof(buf));
		CHECK(pat_check(buf, seed, 0, sizeof(buf)) < 0);
		tcp_reset(fd);
	}
	usleep(100 * 1000);
	return rss_kib();
}

TEST_T(thousand_slow_readers_of_a_100_mib_send_ref_body_grow_rss_under_8_mib, 60)
{
	raise_fd_limit();
	body();
	struct rk_engine_config cfg;
	ref_config(&cfg, 2, 1024);
	engine_listen_small(&cfg, 32 << 10);
	struct eng g;
	eng_start(&g, &cfg);
	struct slow *ss = calloc(SLOW_CLIENTS, sizeof(*ss));
	CHECK(ss);
	long base = warm_baseline(&g, BODY_SEED);
	uint64_t least;
	long peak = slow_readers(&g, ss, BODY_SEED, &least);
	free(ss);
	/* Every borrowed body comes back, through done, with an error. */
	uint64_t want = SLOW_CLIENTS + 4;
	CHECK_MSG(wait_for(&ref_done_calls, want, 5000) == want, "done called %llu times of %llu",
		  (unsigned long long)atomic_load(&ref_done_calls), (unsigned long long)want);

	struct rk_reactor_stats sum;
	eng_stop(&g, &sum, NULL);
	printf("  send_ref: %u slow readers (2 reactors), each read >= %llu B; RSS %ld -> %ld KiB "
	       "(+%ld KiB)\n",
	       SLOW_CLIENTS, (unsigned long long)least, base, peak, peak - base);
	CHECK(least > 0);
	CHECK_EQ(atomic_load(&ref_done_neg), want);
	CHECK_EQ(sum.accepted, want);
	CHECK_EQ(sum.closed, want);
	CHECK_MSG(peak - base < RSS_BUDGET_KIB, "RSS grew %ld KiB", peak - base);
}

/* A streamed body: STREAM_LEN bytes of stream STREAM_SEED, copied in with
 * rk_conn_write whenever on_writable says there is room. */
#define STREAM_SEED 303u
#define STREAM_LEN  (100ull * MIB)

struct stream {
	bool started;
	uint64_t pos;
};

static void stream_pump(struct rk_conn *c)
{
	struct stream *s = rk_conn_app(c);
	while (s->pos < STREAM_LEN) {
		size_t run;
		const uint8_t *p = pat_at(STREAM_SEED, s->pos, &run);
		size_t n = RK_MIN(run, (size_t)(STREAM_LEN - s->pos));
		long w = rk_conn_write(c, p, n);
		if (w < 0)
			return;
		s->pos += (uint64_t)w;
		if ((size_t)w < n)
			return; /* on_writable goes on */
	}
}

static void stream_on_data(struct rk_conn *c, const struct rk_seg *segs, unsigned n)
{
	(void)segs, (void)n;
	struct stream *s = rk_conn_app(c);
	rk_conn_release(c);
	if (s->started)
		return;
	s->started = true;
	stream_pump(c);
}

TEST_T(thousand_slow_readers_of_a_100_mib_written_stream_grow_rss_under_8_mib, 60)
{
	raise_fd_limit();
	pat_init();
	struct rk_engine_config cfg;
	engine_config(&cfg, 2, 1024);
	cfg.app_state_size = sizeof(struct stream);
	cfg.handler.on_data = stream_on_data;
	cfg.handler.on_writable = stream_pump;
	/* Copied bytes live in send chunks; a slow reader keeps its chunk
	 * (its send waits on the socket), so up to one chunk per connection
	 * is resident: 1000 x 16 KiB = 16 MiB by default. A pool of 128
	 * chunks per reactor bounds that at 2 x 128 x 16 KiB = 4 MiB however
	 * many connections stream; the others wait for a chunk (out_waits)
	 * and go on from on_writable. */
	cfg.send_chunks = 128;
	engine_listen_small(&cfg, 32 << 10);
	struct eng g;
	eng_start(&g, &cfg);
	struct slow *ss = calloc(SLOW_CLIENTS, sizeof(*ss));
	CHECK(ss);
	long base = warm_baseline(&g, STREAM_SEED);
	uint64_t least;
	long peak = slow_readers(&g, ss, STREAM_SEED, &least);
	free(ss);

	struct rk_reactor_stats sum;
	eng_stop(&g, &sum, NULL);
	printf("  stream: %u slow readers (2 reactors, %u chunks of %u B each), each read >= %llu "
	       "B; RSS %ld -> %ld KiB (+%ld KiB)\n",
	       SLOW_CLIENTS, cfg.send_chunks, cfg.send_buffer, (unsigned long long)least, base,
	       peak, peak - base);
	CHECK(least > 0);
	CHECK_EQ(sum.accepted, SLOW_CLIENTS + 4);
	CHECK_EQ(sum.closed, sum.accepted);
	CHECK_MSG(peak - base < RSS_BUDGET_KIB, "RSS grew %ld KiB", peak - base);
}

/* An application that asks how much it may write (rk_conn_write_space)
 * and, when nothing, waits with rk_conn_wait_writable - as the HTTP server
 * does. With every send chunk of the reactor taken, the room is 0 although
 * the connection has queued nothing: it must wait for a chunk, not be told
 * "writable" again at once, for ever. */
static void room_pump(struct rk_conn *c)
{
	struct echo *s = rk_conn_app(c);
	while (s->i < s->n) {
		uint32_t room = rk_conn_write_space(c);
		if (!room) {
			rk_conn_wait_writable(c);
			return;
		}
		const struct rk_seg *g = &s->segs[s->i];
		uint32_t k = RK_MIN(room, g->len - s->off);
		CHECK_EQ(rk_conn_write(c, g->p + s->off, k), (long)k);
		s->off += k;
		if (s->off == g->len) {
			s->i++;
			s->off = 0;
		}
	}
	s->n = s->i = 0;
	rk_conn_release(c);
}

static _Atomic uint64_t room_wakeups, room_empty_wakeups;

/* Told it may write: count the times there was no room after all. */
static void room_on_writable(struct rk_conn *c)
{
	atomic_fetch_add(&room_wakeups, 1);
	if (!rk_conn_write_space(c))
		atomic_fetch_add(&room_empty_wakeups, 1);
	room_pump(c);
}

static void room_on_data(struct rk_conn *c, const struct rk_seg *segs, unsigned n)
{
	struct echo *s = rk_conn_app(c);
	memcpy(s->segs, segs, n * sizeof(*segs));
	s->n = n;
	s->i = 0;
	s->off = 0;
	room_pump(c);
}

TEST_T(wait_writable_with_every_chunk_taken_waits_for_a_chunk_without_spinning, 30)
{
	pat_init();
	struct rk_engine_config cfg;
	engine_config(&cfg, 1, 4);
	cfg.send_chunks = 1;
	cfg.handler.on_data = room_on_data;
	cfg.handler.on_writable = room_on_writable;
	struct eng g;
	eng_start(&g, &cfg);

	/* A: writes until the echo's send is stuck on A's full window, so
	 * the reactor's only chunk stays in that send. */
	int a = tcp_dial(&g, 4096);
	set_nonblock(a);
	static uint8_t buf[64 * 1024];
	uint64_t sent = 0;
	for (int round = 0; round < 5; round++) {
		ssize_t w;
		do {
			pat_fill(buf, 21, sent, sizeof(buf));
			if ((w = write(a, buf, sizeof(buf))) > 0)
				sent += (uint64_t)w;
		} while (w > 0);
		usleep(20 * 1000);
	}
	/* B: ten bytes, and no chunk for their echo. */
	int b = tcp_dial(&g, 0);
	set_timeout(b, 3);
	CHECK_EQ(write(b, "0123456789", 10), 10);
	usleep(200 * 1000);
	/* A reads everything: the chunk comes free, B is answered. */
	uint64_t got = 0;
	double t0 = now_ms();
	while (got < sent) {
		struct pollfd p = { .fd = a, .events = POLLIN };
		CHECK_MSG(poll(&p, 1, 3000) == 1, "A's echo stopped at %llu of %llu bytes",
			  (unsigned long long)got, (unsigned long long)sent);
		ssize_t r = read(a, buf, sizeof(buf));
		CHECK(r > 0);
		CHECK(pat_check(buf, 21, got, (size_t)r) < 0);
		got += (uint64_t)r;
	}
	char ten[10];
	read_full(b, ten, 10);
	CHECK(memcmp(ten, "0123456789", 10) == 0);
	printf("  A's %llu bytes drained in %.0f ms, then B answered; on_writable %llu times, "
	       "%llu of them without room\n",
	       (unsigned long long)sent, now_ms() - t0,
	       (unsigned long long)atomic_load(&room_wakeups),
	       (unsigned long long)atomic_load(&room_empty_wakeups));
	close(a);
	close(b);

	struct rk_reactor_stats sum;
	eng_stop(&g, &sum, NULL);
	CHECK_MSG(atomic_load(&room_empty_wakeups) == 0, "on_writable %llu times without room",
		  (unsigned long long)atomic_load(&room_empty_wakeups));
	CHECK_EQ(sum.closed, sum.accepted);
}

/* ---- d: a client that does not read does not starve its reactor ------------ */

TEST_T(two_clients_that_never_read_do_not_delay_a_third_ones_echo_past_100_ms, 30)
{
	pat_init();
	struct rk_engine_config cfg;
	engine_config(&cfg, 1, 16);
	cfg.buffers = 64;
	cfg.buffer_size = 4096;
	struct eng g;
	eng_start(&g, &cfg);

	/* The hogs: megabytes in, nothing read, so their echoes stall and
	 * the application holds what they sent. */
	int hog[2];
	static uint8_t junk[64 * 1024];
	pat_fill(junk, 5, 0, sizeof(junk));
	uint64_t hogged = 0;
	for (int h = 0; h < 2; h++) {
		hog[h] = tcp_dial(&g, 4096);
		set_nonblock(hog[h]);
	}
	int ping = tcp_dial(&g, 0);
	set_timeout(ping, 5);
	double end = now_ms() + 3000, worst = 0;
	unsigned pings = 0;
	uint8_t msg[32], back[32];
	while (now_ms() < end) {
		for (int h = 0; h < 2; h++) {
			ssize_t w;
			while ((w = write(hog[h], junk, sizeof(junk))) > 0)
				hogged += (uint64_t)w;
		}
		pat_fill(msg, 9, (uint64_t)pings * sizeof(msg), sizeof(msg));
		double t0 = now_ms();
		CHECK_EQ(write(ping, msg, sizeof(msg)), (ssize_t)sizeof(msg));
		size_t got = 0;
		while (got < sizeof(msg)) {
			struct pollfd p = { .fd = ping, .events = POLLIN };
			int k = poll(&p, 1, 1000);
			CHECK_MSG(k == 1, "ping %u (%llu hog bytes sent) unanswered after 1000 ms",
				  pings, (unsigned long long)hogged);
			ssize_t r = read(ping, back + got, sizeof(back) - got);
			CHECK(r > 0);
			got += (size_t)r;
		}
		double ms = now_ms() - t0;
		CHECK(memcmp(msg, back, sizeof(msg)) == 0);
		if (ms > worst)
			worst = ms;
		CHECK_MSG(ms < 100, "ping %u answered after %.1f ms", pings, ms);
		pings++;
		usleep(10 * 1000);
	}
	close(ping);
	tcp_reset(hog[0]);
	tcp_reset(hog[1]);

	struct rk_reactor_stats sum;
	eng_stop(&g, &sum, NULL);
	printf("  %u pings, slowest %.2f ms; hogs sent %llu bytes; recv pauses %llu, enobufs "
	       "%llu\n",
	       pings, worst, (unsigned long long)hogged, (unsigned long long)sum.recv_pauses,
	       (unsigned long long)sum.enobufs);
	CHECK(pings >= 100);
	CHECK(hogged > 1 * MIB);
	CHECK(sum.recv_pauses > 0);
	CHECK_EQ(sum.closed, sum.accepted);
}

/* ---- e: incremental buffers x bundles ---------------------------------------- */

/* A reactor's setup is over once it published its ring fd (release, in
 * rk_reactor_main): then its buffer ring's mode may be read (acquire). */
static bool reactor_incremental(struct eng *g, uint32_t i)
{
	struct rk_reactor *r = &g->e->reactors[i];
	for (int t = 0; t < 5000; t++) {
		int fd = atomic_load_explicit(&r->ring_fd, memory_order_acquire);
		if (fd >= 0)
			return r->bufs.incremental;
		usleep(1000);
	}
	CHECK_MSG(0, "reactor %u never came up", i);
}

static void echo_modes(bool incremental, bool bundle)
{
	pat_init();
	struct rk_engine_config cfg;
	engine_config(&cfg, 2, 128);
	cfg.buffers = 8;
	cfg.buffer_size = 4096;
	cfg.incremental = incremental;
	cfg.bundle = bundle;
	struct eng g;
	eng_start(&g, &cfg);
	/* Asked for and granted (6.12+): else the test would not test it. */
	for (uint32_t i = 0; i < 2; i++)
		CHECK_MSG(reactor_incremental(&g, i) == incremental, "reactor %u: incremental %d",
			  i, !incremental);

	uint64_t total;
	struct cli *cs = cli_plan(64, 2, 6, 1, 65536, &total);
	cli_run(&g, cs, 64);
	free(cs);

	struct rk_reactor_stats sum;
	eng_join(&g, &sum, NULL);
	/* Bundles were not refused (6.10+): receives kept the flag. */
	for (uint32_t i = 0; i < 2; i++)
		CHECK_EQ(g.e->reactors[i].recv_ioprio & ~RK_RECV_LIM,
			 IORING_RECV_MULTISHOT | (bundle ? IORING_RECVSEND_BUNDLE : 0));
	eng_destroy(&g);
	printf("  incremental %d bundle %d: %llu bytes, recv cqes %llu, enobufs %llu\n",
	       incremental, bundle, (unsigned long long)total, (unsigned long long)sum.recv_cqes,
	       (unsigned long long)sum.enobufs);
	CHECK_EQ(sum.accepted, 64);
	CHECK_EQ(sum.closed, 64);
	CHECK_EQ(sum.bytes_in, total);
	CHECK_EQ(sum.bytes_out, total);
	CHECK_EQ(sum.stale_cqes, 0);
	CHECK_EQ(sum.piece_overflow, 0);
}

TEST_T(echo_64_connections_8_buffers_plain_every_byte_in_order, 60)
{
	echo_modes(false, false);
}
TEST_T(echo_64_connections_8_buffers_bundles_every_byte_in_order, 60)
{
	echo_modes(false, true);
}
TEST_T(echo_64_connections_8_buffers_incremental_every_byte_in_order, 60)
{
	echo_modes(true, false);
}
TEST_T(echo_64_connections_8_buffers_incremental_and_bundles_every_byte_in_order, 60)
{
	echo_modes(true, true);
}

/* ---- f: SEND_ZC ---------------------------------------------------------------- */

TEST_T(send_zc_echo_every_byte_in_order_every_notification_before_the_slot_is_freed, 60)
{
	pat_init();
	struct rk_engine_config cfg;
	engine_config(&cfg, 1, 128);
	cfg.send_zc = true;
	struct eng g;
	eng_start(&g, &cfg);

	uint64_t total;
	struct cli *cs = cli_plan(48, 4, 8, 1, 65536, &total);
	cli_run(&g, cs, 48);
	free(cs);

	/* A slow reader: each chunk stays in the socket's queue, read by the
	 * kernel, long after its send completed; reused before the
	 * notification, it would carry later bytes. */
	enum { N = 2 * MIB };
	int fd = tcp_dial(&g, 16384);
	set_timeout(fd, 10);
	uint8_t *out = malloc(N), *in = malloc(N);
	CHECK(out && in);
	pat_fill(out, 77, 0, N);
	size_t sent = 0, got = 0;
	set_nonblock(fd);
	while (got < N) {
		if (sent < N) {
			ssize_t w = write(fd, out + sent, RK_MIN((size_t)N - sent, (size_t)65536));
			if (w > 0)
				sent += (size_t)w;
		}
		ssize_t r = read(fd, in + got, RK_MIN((size_t)N - got, (size_t)8192));
		if (r > 0)
			got += (size_t)r;
		else
			CHECK_MSG(r < 0 && errno == EAGAIN, "read %zd (%s)", r, strerror(errno));
		usleep(200);
	}
	long bad = pat_check(in, 77, 0, N);
	CHECK_MSG(bad < 0, "slow reader: wrong byte at %ld", bad);
	free(out);
	free(in);
	close(fd);

	struct rk_reactor_stats sum;
	eng_join(&g, &sum, NULL);
	bool zc = g.e->reactors[0].send_zc; /* not refused by the kernel */
	eng_destroy(&g);
	printf("  zero-copy: %llu sends, %llu notifications\n", (unsigned long long)sum.sends,
	       (unsigned long long)sum.zc_notifs);
	CHECK(zc);
	CHECK(sum.zc_notifs > 0);
	CHECK_EQ(sum.accepted, 49);
	CHECK_EQ(sum.closed, sum.accepted);
	CHECK_EQ(sum.bytes_in, total + N);
	CHECK_EQ(sum.bytes_out, total + N);
	CHECK_EQ(sum.stale_cqes, 0);
}

/* ---- g: white box: a refused receive steps its flags down, once --------------- */

static void fake_open(struct rk_reactor *r, uint32_t slot, uint16_t ioprio)
{
	struct rk_conn *c = &r->conns[slot];
	c->r = r;
	c->h = &r->e->cfg.handler;
	c->state = RK_CONN_OPEN;
	c->gen = 3;
	c->fd = 1000 + (int)slot; /* never submitted */
	c->pend_head = c->pend_tail = c->held_head = RK_NONE;
	c->out_head = c->out_tail = c->zc_head = RK_NONE;
	c->recv_armed = true;
	c->recv_ioprio = ioprio;
	c->nops = 1;
}

/* The receive SQE queued last, and the flags it carries. */
static uint16_t last_sqe_ioprio(struct rk_reactor *r, uint32_t *tail)
{
	CHECK_EQ(r->ring.sq_tail, *tail + 1);
	const struct io_uring_sqe *sqe = &r->ring.sqes[*tail & r->ring.sq_mask];
	CHECK_EQ(sqe->opcode, IORING_OP_RECV);
	*tail = r->ring.sq_tail;
	return sqe->ioprio;
}

static void refuse(struct rk_reactor *r, uint32_t slot)
{
	struct io_uring_cqe cqe = { .user_data = rk_ud(RK_UD_RECV, slot, 3), .res = -EINVAL };
	rk_reactor_handle_cqe(r, &cqe);
	CHECK_EQ(r->conns[slot].state, RK_CONN_OPEN);
	CHECK(r->conns[slot].recv_armed); /* again, with what is left */
	CHECK_EQ(r->conns[slot].nops, 1);
}

TEST_T(recv_einval_for_two_bundles_steps_to_multishot_once_then_a_multishot_one_to_0, 20)
{
	struct rk_engine_config cfg;
	engine_config(&cfg, 1, 4);
	cfg.bundle = true;
	struct rk_engine *e;
	CHECK_EQ(rk_engine_create(&e, &cfg), 0);
	struct rk_reactor *r = &e->reactors[0];
	struct rk_ring_config rc = { .sq_entries = 16, .sqpoll_cpu = -1 };
	CHECK_EQ(rk_ring_init(&r->ring, &rc), 0);
	const uint16_t ms = IORING_RECV_MULTISHOT, both = ms | IORING_RECVSEND_BUNDLE;
	r->recv_ioprio = both;
	/* Two receives in flight with MULTISHOT|BUNDLE, one with MULTISHOT
	 * (armed as if after a first step down). */
	fake_open(r, 0, both);
	fake_open(r, 1, both);
	fake_open(r, 2, ms);
	uint32_t tail = r->ring.sq_tail;

	refuse(r, 0);
	CHECK_EQ(r->recv_ioprio, ms);
	CHECK_EQ(last_sqe_ioprio(r, &tail), ms);
	/* The same flags refused again: no second step (to 0). */
	refuse(r, 1);
	CHECK_EQ(r->recv_ioprio, ms);
	CHECK_EQ(last_sqe_ioprio(r, &tail), ms);
	CHECK_EQ(r->conns[1].recv_ioprio, ms);
	/* MULTISHOT refused: one-shot receives from now on. */
	refuse(r, 2);
	CHECK_EQ(r->recv_ioprio, 0);
	CHECK_EQ(last_sqe_ioprio(r, &tail), 0);
	CHECK_EQ(r->conns[2].recv_ioprio, 0);
	CHECK_EQ(r->st.stale_cqes, 0);

	for (uint32_t i = 0; i < 3; i++)
		r->conns[i].state = RK_CONN_FREE;
	rk_ring_exit(&r->ring);
	rk_engine_destroy(e);
}

/* 6.16: a multishot armed with a byte limit (sqe->optlen) ends once it has
 * received that much, so the kernel cannot fill more than the share before
 * a pause lands; a kernel that refuses the limit loses only the limit. */
TEST_T(recv_is_armed_with_its_share_in_bytes_and_a_refused_limit_steps_to_multishot, 20)
{
	struct rk_engine_config cfg;
	engine_config(&cfg, 1, 4);
	cfg.buffers = 64;
	cfg.buffer_size = 4096;
	struct rk_engine *e;
	CHECK_EQ(rk_engine_create(&e, &cfg), 0);
	struct rk_reactor *r = &e->reactors[0];
	CHECK_EQ(r->share, 8); /* buffers / 8 */
	struct rk_ring_config rc = { .sq_entries = 16, .sqpoll_cpu = -1 };
	CHECK_EQ(rk_ring_init(&r->ring, &rc), 0);
	const uint16_t ms = IORING_RECV_MULTISHOT, lim = ms | RK_RECV_LIM;
	r->recv_ioprio = lim;
	fake_open(r, 0, lim);
	fake_open(r, 1, lim);
	struct rk_conn *c = &r->conns[0];
	uint32_t tail = r->ring.sq_tail;

	/* Nothing held: the whole share; 3 pieces held: the rest of it. */
	c->nops = 0;
	rk_recv_arm(c);
	const struct io_uring_sqe *sqe = &r->ring.sqes[tail & r->ring.sq_mask];
	CHECK_EQ(last_sqe_ioprio(r, &tail), ms); /* the kernel never sees RK_RECV_LIM */
	CHECK_EQ(sqe->optlen, 8 * 4096);
	c->npend = 3;
	c->nops = 0;
	rk_recv_arm(c);
	sqe = &r->ring.sqes[tail & r->ring.sq_mask];
	CHECK_EQ(last_sqe_ioprio(r, &tail), ms);
	CHECK_EQ(sqe->optlen, 5 * 4096);
	c->npend = 0;

	/* Before 6.16 the limit is refused (-EINVAL): multishot without it,
	 * once for both receives that carried it. */
	refuse(r, 0);
	CHECK_EQ(r->recv_ioprio, ms);
	sqe = &r->ring.sqes[tail & r->ring.sq_mask];
	CHECK_EQ(last_sqe_ioprio(r, &tail), ms);
	CHECK_EQ(sqe->optlen, 0);
	refuse(r, 1);
	CHECK_EQ(r->recv_ioprio, ms);
	CHECK_EQ(last_sqe_ioprio(r, &tail), ms);

	for (uint32_t i = 0; i < 2; i++)
		r->conns[i].state = RK_CONN_FREE;
	rk_ring_exit(&r->ring);
	rk_engine_destroy(e);
}

/* A receive that ends (one-shot, or a multishot without F_MORE) with its
 * connection over the share is not armed again until the handler has
 * released what it holds. */
static void hold_on_data(struct rk_conn *c, const struct rk_seg *segs, unsigned n)
{
	(void)c, (void)segs, (void)n; /* held until rk_conn_release */
}

static void recv_cqe(struct rk_reactor *r, uint32_t slot, uint16_t bid, int32_t res)
{
	struct io_uring_cqe cqe = { .user_data = rk_ud(RK_UD_RECV, slot, 3),
				    .res = res,
				    .flags = IORING_CQE_F_BUFFER |
					     (uint32_t)bid << IORING_CQE_BUFFER_SHIFT };
	rk_reactor_handle_cqe(r, &cqe);
}

TEST_T(receive_ending_over_its_share_is_not_rearmed_until_the_handler_releases, 20)
{
	struct rk_engine_config cfg;
	engine_config(&cfg, 1, 4);
	cfg.buffers = 8;
	cfg.incremental = false;
	cfg.recv_share = 2;
	cfg.handler.on_data = hold_on_data;
	struct rk_engine *e;
	CHECK_EQ(rk_engine_create(&e, &cfg), 0);
	struct rk_reactor *r = &e->reactors[0];
	struct rk_ring_config rc = { .sq_entries = 16, .sqpoll_cpu = -1 };
	CHECK_EQ(rk_ring_init(&r->ring, &rc), 0);
	CHECK_EQ(rk_bufring_init(&r->bufs, &r->ring, 0, 8, 4096, 0), 0);
	for (uint32_t i = 0; i < 8; i++)
		r->bref[i] = 1;
	r->recv_ioprio = 0; /* one-shot receives: every CQE ends one */
	fake_open(r, 0, 0);
	struct rk_conn *c = &r->conns[0];
	uint32_t tail = r->ring.sq_tail;

	recv_cqe(r, 0, 0, 100); /* 1 piece of a share of 2: armed again */
	CHECK(c->recv_armed);
	CHECK_EQ(last_sqe_ioprio(r, &tail), 0);
	recv_cqe(r, 0, 1, 100); /* 2 pieces: its share, paused */
	CHECK_EQ(c->npend, 2);
	CHECK(c->recv_paused);
	CHECK_MSG(!c->recv_armed && r->ring.sq_tail == tail,
		  "armed again over its share (%u SQEs queued)", r->ring.sq_tail - tail);
	CHECK_EQ(c->nops, 0);
	CHECK_EQ(r->st.recv_pauses, 1);

	rk_reactor_after_batch(r); /* delivered, held by the handler */
	CHECK_EQ(c->nheld, 2);
	CHECK(!c->recv_armed);
	rk_conn_release(c); /* caught up: receives again */
	CHECK(!c->recv_paused);
	CHECK(c->recv_armed);
	CHECK_EQ(last_sqe_ioprio(r, &tail), 0);

	c->state = RK_CONN_FREE;
	rk_bufring_exit(&r->bufs, &r->ring);
	rk_ring_exit(&r->ring);
	rk_engine_destroy(e);
}

/* An after-batch pass over a queue serves the slots queued again during
 * it (a handler releasing in on_data with more to deliver, writing in
 * on_writable), and its array of max_conns entries does not overflow into
 * the next queue's when more than max_conns are queued in one pass. */
TEST_T(after_batch_pass_serves_slots_queued_again_within_its_array, 20)
{
	struct rk_engine_config cfg;
	engine_config(&cfg, 1, 2);
	struct rk_engine *e;
	CHECK_EQ(rk_engine_create(&e, &cfg), 0);
	struct rk_reactor *r = &e->reactors[0];
	/* Two slots as rk_conn_open leaves them (the table itself is not
	 * touched before a connection takes a slot). */
	for (uint32_t i = 0; i < 2; i++) {
		r->conns[i].r = r;
		r->conns[i].slot = i;
	}
	rk_res_defer(&r->conns[1], RK_Q_NOBUFS); /* the next queue's array */
	rk_res_defer(&r->conns[0], RK_Q_DELIVER);
	rk_res_defer(&r->conns[1], RK_Q_DELIVER);
	unsigned again[2] = { 2, 2 }, taken = 0;
	uint32_t slot;
	while ((slot = rk_res_next(r, RK_Q_DELIVER)) != RK_NONE) {
		CHECK_MSG(++taken <= 6, "one pass took %u slots", taken);
		CHECK(r->nq[RK_Q_DELIVER] <= 2);
		if (again[slot]) {
			again[slot]--;
			rk_res_defer(&r->conns[slot], RK_Q_DELIVER);
		}
	}
	CHECK_EQ(taken, 6); /* 2 + 4 times again, all in this pass */
	CHECK_EQ(r->nq[RK_Q_DELIVER], 0);
	CHECK_EQ(r->nq[RK_Q_NOBUFS], 1);
	CHECK_MSG(r->q[RK_Q_NOBUFS][0] == 1, "the NOBUFS queue was overwritten: slot %u",
		  r->q[RK_Q_NOBUFS][0]);
	rk_engine_destroy(e);
}

/* ---- h: the handler's own operations ------------------------------------------- */

enum ev_kind { EV_OPEN = 1, EV_DATA, EV_CLOSE, EV_OP };

struct ev {
	uint8_t kind, tag, state;
	uint32_t slot, gen;
	int32_t res;
	double t;
};

#define MAX_EVS 64
static struct ev evs[MAX_EVS];
static _Atomic uint64_t nevs;
static _Atomic int op_mode; /* the opcode on_open submits */

struct op_state {
	struct __kernel_timespec ts; /* read by the kernel until on_op */
};

static void ev_log(struct rk_conn *c, enum ev_kind k, uint8_t tag, int32_t res)
{
	uint64_t i = atomic_load(&nevs);
	CHECK(i < MAX_EVS);
	evs[i] = (struct ev){ (uint8_t)k, tag, c->state, c->slot, c->gen, res, now_ms() };
	atomic_store(&nevs, i + 1); /* release: the entry is complete */
}

static int op_on_open(struct rk_conn *c)
{
	struct op_state *s = rk_conn_app(c);
	ev_log(c, EV_OPEN, 0, 0);
	int op = atomic_load(&op_mode);
	struct io_uring_sqe *sqe = rk_conn_op_sqe(c, op == IORING_OP_NOP ? 7 : 9);
	CHECK(sqe);
	sqe->opcode = (uint8_t)op;
	sqe->fd = -1;
	if (op == IORING_OP_TIMEOUT) {
		s->ts = (struct __kernel_timespec){ .tv_nsec = 200 * 1000 * 1000 };
		sqe->addr = (uint64_t)(uintptr_t)&s->ts;
		sqe->len = 1;
	}
	return 0;
}

static void op_on_data(struct rk_conn *c, const struct rk_seg *segs, unsigned n)
{
	(void)segs, (void)n;
	ev_log(c, EV_DATA, 0, 0);
	rk_conn_release(c);
	CHECK_EQ(rk_conn_write(c, "!", 1), 1);
}

static void op_on_close(struct rk_conn *c, enum rk_close_reason why)
{
	ev_log(c, EV_CLOSE, 0, (int32_t)why);
}

static void op_on_op(struct rk_conn *c, uint8_t tag, int32_t res, uint32_t flags)
{
	(void)flags;
	ev_log(c, EV_OP, tag, res);
}

static const struct ev *ev_find(uint64_t from, enum ev_kind k)
{
	for (uint64_t i = from; i < atomic_load(&nevs); i++)
		if (evs[i].kind == k)
			return &evs[i];
	return NULL;
}

/* The first event of kind k from index `from`, waiting up to ms for it. */
static const struct ev *ev_wait(uint64_t from, enum ev_kind k, int ms)
{
	static const char *const names[] = { "", "on_open", "on_data", "on_close", "on_op" };
	const struct ev *e;
	for (int t = 0; !(e = ev_find(from, k)) && t < ms; t++)
		usleep(1000);
	CHECK_MSG(e, "no %s within %d ms (%llu events)", names[k], ms,
		  (unsigned long long)atomic_load(&nevs));
	return e;
}

TEST_T(handler_op_completes_in_on_op_even_after_on_close_and_holds_the_slot, 30)
{
	struct rk_engine_config cfg;
	engine_config(&cfg, 1, 1); /* one slot: reuse is visible */
	cfg.app_state_size = sizeof(struct op_state);
	cfg.handler.on_open = op_on_open;
	cfg.handler.on_data = op_on_data;
	cfg.handler.on_writable = NULL;
	cfg.handler.on_close = op_on_close;
	cfg.handler.on_op = op_on_op;
	struct eng g;
	eng_start(&g, &cfg);

	/* A NOP from on_open: on_op(c, 7, 0) on the open connection. */
	atomic_store(&op_mode, IORING_OP_NOP);
	int a = tcp_dial(&g, 0);
	set_timeout(a, 5);
	CHECK_EQ(write(a, "x", 1), 1);
	char ch;
	CHECK_EQ(read(a, &ch, 1), 1);
	const struct ev *open = ev_wait(0, EV_OPEN, 1000), *op = ev_wait(0, EV_OP, 1000);
	CHECK_EQ(op->tag, 7);
	CHECK_EQ(op->res, 0);
	CHECK_EQ(op->state, RK_CONN_OPEN);
	CHECK_EQ(op->gen, open->gen);
	close(a);
	ev_wait(0, EV_CLOSE, 2000);
	usleep(50 * 1000); /* its slot is free again */

	/* A 200 ms timeout from on_open, and the peer gone at once. */
	atomic_store(&op_mode, IORING_OP_TIMEOUT);
	uint64_t from = atomic_load(&nevs);
	int b = tcp_dial(&g, 0);
	const struct ev *bopen = ev_wait(from, EV_OPEN, 2000);
	close(b);
	const struct ev *bclose = ev_wait(from, EV_CLOSE, 2000);
	/* The slot is still B's: a new connection is refused meanwhile. */
	int c = tcp_dial(&g, 0);
	set_timeout(c, 1);
	ssize_t r = read(c, &ch, 1);
	CHECK_MSG(r == 0 || (r < 0 && errno == ECONNRESET),
		  "C was not refused while B's op flew: read %zd (%s)", r, strerror(errno));
	close(c);
	const struct ev *bop = ev_wait(from, EV_OP, 2000);
	CHECK_EQ(bop->tag, 9);
	CHECK_EQ(bop->res, -ETIME);
	CHECK_EQ(bop->state, RK_CONN_CLOSING); /* after on_close */
	CHECK(bop > bclose);
	CHECK_EQ(bop->gen, bopen->gen);
	CHECK_EQ(bop->slot, bopen->slot);
	CHECK_MSG(bop->t - bopen->t >= 190, "on_op %.1f ms after open", bop->t - bopen->t);
	/* No other connection opened in between. */
	for (const struct ev *e = bopen + 1; e < bop; e++)
		CHECK(e->kind != EV_OPEN);

	/* Now the slot is free, under the next generation. */
	uint64_t from2 = atomic_load(&nevs);
	int d = -1;
	for (int t = 0; t < 100 && !ev_find(from2, EV_OPEN); t++) {
		if (d >= 0)
			close(d);
		d = tcp_dial(&g, 0);
		usleep(10 * 1000);
	}
	const struct ev *dopen = ev_find(from2, EV_OPEN);
	CHECK(dopen);
	CHECK_EQ(dopen->slot, bopen->slot);
	CHECK_EQ(dopen->gen, (bopen->gen + 1) & RK_UD_GEN_MASK);
	close(d);

	struct rk_reactor_stats sum;
	eng_stop(&g, &sum, NULL);
	printf("  B's timeout: on_close at +%.1f ms, on_op at +%.1f ms; refused meanwhile %llu\n",
	       bclose->t - bopen->t, bop->t - bopen->t, (unsigned long long)sum.rejected);
	CHECK(sum.rejected >= 1);
	CHECK_EQ(sum.closed, sum.accepted);
	CHECK_EQ(sum.stale_cqes, 0);
}

/* ---- i: rk_conn_set_handler ------------------------------------------------------ */

static _Atomic uint64_t first_closes, second_closes;
static int second_ctx;

static void answer(struct rk_conn *c, const char *prefix, const struct rk_seg *segs, unsigned n)
{
	CHECK_EQ(rk_conn_write(c, prefix, 2), 2);
	for (unsigned i = 0; i < n; i++)
		CHECK_EQ(rk_conn_write(c, segs[i].p, segs[i].len), (long)segs[i].len);
	rk_conn_release(c);
}

static void second_on_data(struct rk_conn *c, const struct rk_seg *segs, unsigned n)
{
	CHECK(rk_conn_ctx(c) == &second_ctx);
	answer(c, "2:", segs, n);
}

static void second_on_close(struct rk_conn *c, enum rk_close_reason why)
{
	CHECK(rk_conn_ctx(c) == &second_ctx);
	CHECK_EQ(why, RK_CLOSE_EOF);
	atomic_fetch_add(&second_closes, 1);
}

static const struct rk_handler second = {
	.on_data = second_on_data,
	.on_close = second_on_close,
	.ctx = &second_ctx,
};

static void first_on_data(struct rk_conn *c, const struct rk_seg *segs, unsigned n)
{
	answer(c, "1:", segs, n);
	rk_conn_set_handler(c, &second, &second_ctx);
}

static void first_on_close(struct rk_conn *c, enum rk_close_reason why)
{
	(void)c, (void)why;
	atomic_fetch_add(&first_closes, 1);
}

TEST_T(set_handler_sends_later_data_and_the_close_to_the_new_table, 20)
{
	struct rk_engine_config cfg;
	engine_config(&cfg, 1, 4);
	cfg.handler.on_data = first_on_data;
	cfg.handler.on_writable = NULL;
	cfg.handler.on_close = first_on_close;
	struct eng g;
	eng_start(&g, &cfg);

	int fd = tcp_dial(&g, 0);
	set_timeout(fd, 5);
	static const char *const in[] = { "a", "bb", "ccc" };
	static const char *const out[] = { "1:a", "2:bb", "2:ccc" };
	for (int i = 0; i < 3; i++) {
		char buf[8] = { 0 };
		CHECK_EQ(write(fd, in[i], strlen(in[i])), (ssize_t)strlen(in[i]));
		read_full(fd, buf, strlen(out[i]));
		CHECK_MSG(strcmp(buf, out[i]) == 0, "answer %d: '%s', expected '%s'", i, buf,
			  out[i]);
	}
	close(fd);
	CHECK_EQ(wait_for(&second_closes, 1, 2000), 1);

	struct rk_reactor_stats sum;
	eng_stop(&g, &sum, NULL);
	CHECK_EQ(atomic_load(&first_closes), 0);
	CHECK_EQ(atomic_load(&second_closes), 1);
	CHECK_EQ(sum.closed, 1);
}
