/* tests/test_static_send.c - file bodies of `rocket --root` as the output
 * queue sends them (file ranges: IORING_OP_READ into a send chunk, then
 * SEND): an 8 MiB file byte-exact, three of them pipelined and a small
 * request after; 64 clients that stop reading cost bounded memory; a file
 * that shrinks mid-download ends that connection, one that grows is sent
 * up to the length announced; descriptors are closed exactly once, also
 * when the client goes while an operation flies; idle connections cost the
 * same with --root; --trace decodes OPENAT2, STATX and READ.
 */
#include "static_help.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>

#define BIG (8u << 20)

static uint8_t *pattern_file(struct tree *t, const char *rel, size_t n)
{
	uint8_t *b = malloc(n);
	uint64_t x = 0x9E3779B97F4A7C15ull;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		b[i] = (uint8_t)x;
	}
	put_n(t, rel, b, n);
	return b;
}

static void raise_nofile(rlim_t want)
{
	struct rlimit rl;
	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	if (rl.rlim_max < want && geteuid() == 0)
		rl.rlim_max = want;
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	setrlimit(RLIMIT_NOFILE, &rl);
}

static long rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	CHECK(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* The product when it is built (what an operator runs), else the hosted. */
static const char *bin(void)
{
	return proc_bin_static() ? proc_bin_static() : proc_bin_hosted();
}

TEST(an_8_mib_file_is_byte_exact_also_three_pipelined_then_a_small_one)
{
	struct tree t;
	struct proc p;
	char want[65], got[65];
	tree_make(&t);
	uint8_t *data = pattern_file(&t, "big.bin", BIG);
	put(&t, "small.txt", "small\n");
	sha256_hex(data, BIG, want);
	int port = srv_start(&p, &t, ROOT_ARGS(&t));
	struct resp *r = get(port, "/big.bin");
	CHECK_MSG(r->status == 200 && r->len == BIG, "%s len %zu", r->head, r->len);
	CHECK_MSG(!strcmp(sha256_hex(r->body, r->len, got), want), "sha256 %s, want %s", got, want);
	printf("  sha256 %s\n", got);
	struct conn c;
	struct resp x;
	conn_open(&c, port);
	conn_send(&c, "GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n"
		      "GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n"
		      "GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n"
		      "GET /small.txt HTTP/1.1\r\nHost: t\r\n\r\n");
	for (int i = 0; i < 3; i++) {
		CHECK(conn_resp(&c, &x, false) && x.status == 200 && x.len == BIG);
		CHECK_MSG(!strcmp(sha256_hex(x.body, x.len, got), want), "pipelined #%d", i);
		resp_free(&x);
	}
	CHECK(conn_resp(&c, &x, false) && x.status == 200 && body_is(&x, "small\n"));
	resp_free(&x);
	conn_close(&c);
	proc_stop(&p);
	free(data);
	tree_remove(&t);
}

/* Each stalled connection holds at most its in-flight chunk: the file is
 * never read into memory whole. */
TEST_T(sixty_four_clients_that_stop_reading_cost_bounded_memory, 120)
{
	enum { N = 64 };
	struct tree t;
	struct proc p;
	char want[65], got[65];
	tree_make(&t);
	uint8_t *data = pattern_file(&t, "big.bin", BIG);
	sha256_hex(data, BIG, want);
	int port = srv_start_bin(&p, bin(), &t, ROOT_ARGS(&t));
	CHECK(get(port, "/big.bin")->status == 200); /* warm: every path touched once */
	long before = rss_kib(p.pid);
	struct conn c[N];
	for (int i = 0; i < N; i++) {
		conn_open(&c[i], port);
		conn_send(&c[i], "GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n");
	}
	sleep(2); /* every socket buffer full, the server waiting */
	long during = rss_kib(p.pid);
	printf("  server RSS %ld KiB before, %ld KiB with %d stalled 8 MiB downloads (+%ld KiB)\n",
	       before, during, N, during - before);
	CHECK_MSG(during - before < 32 * 1024, "RSS grew by %ld KiB", during - before);
	double t_read = proc_now();
	for (int i = 0; i < N; i++) {
		struct resp r;
		bool whole = conn_resp(&c[i], &r, false);
		CHECK_MSG(whole && r.status == 200 && r.len == BIG,
			  "client %d: status %d, %zu bytes%s at %.1f s", i, r.status, r.len,
			  r.closed ? ", closed" : "", proc_now() - t_read);
		CHECK_MSG(!memcmp(r.body, data, BIG), "client %d", i);
		if (!i)
			CHECK(!strcmp(sha256_hex(r.body, r.len, got), want));
		resp_free(&r);
		conn_close(&c[i]);
	}
	proc_stop(&p);
	free(data);
	tree_remove(&t);
}

/* A client with a 64 KiB receive buffer: the server's sends wait on it. */
static void conn_open_small(struct conn *c, int port)
{
	conn_open(c, port);
	int small = 64 << 10;
	setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
}

/* 8 MiB in about 4 s: 256 KiB every 120 ms, until the end or EOF. */
static void read_slowly(struct conn *c)
{
	while (c->n < BIG) {
		size_t before = c->n;
		while (c->n - before < (256u << 10) && conn_fill(c))
			;
		if (c->n == before)
			break;
		usleep(120 * 1000);
	}
}

/* A download that outlasts the idle timeout goes on while bytes move;
 * one whose client stops reading for that long is ended (a send timeout). */
TEST(a_slow_download_outlives_the_idle_timeout_a_stalled_one_does_not)
{
	struct tree t;
	struct proc p;
	tree_make(&t);
	uint8_t *data = pattern_file(&t, "big.bin", BIG);
	int port = srv_start(&p, &t, ROOT_ARGS(&t, "--idle-timeout", "1"));
	struct conn c;
	struct resp r;
	conn_open_small(&c, port);
	conn_send(&c, "GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n");
	double t0 = proc_now();
	read_slowly(&c);
	CHECK(conn_resp(&c, &r, false) && r.status == 200 && r.len == BIG);
	CHECK(!memcmp(r.body, data, BIG));
	printf("  8 MiB read in %.1f s with --idle-timeout 1\n", proc_now() - t0);
	resp_free(&r);
	conn_close(&c);
	/* The same, read by nobody: ended after about a second or two. */
	conn_open_small(&c, port);
	conn_send(&c, "GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n");
	sleep(4);
	size_t got = 0;
	uint8_t buf[65536];
	ssize_t k;
	while ((k = read(c.fd, buf, sizeof(buf))) > 0)
		got += (size_t)k;
	CHECK_MSG(got < BIG, "a stalled download was not ended: %zu bytes", got);
	conn_close(&c);
	proc_stop(&p);
	free(data);
	tree_remove(&t);
}

/* The last answer of a connection that ends - asked with Connection:
 * close, or followed by the client's FIN (a half-close: the engine closes
 * after the queue) - goes on while bytes move: the linger counts from the
 * last byte out, so only a peer that stops reading is cut off. */
TEST(a_slow_last_download_outlives_the_linger_timeout)
{
	struct tree t;
	struct proc p;
	tree_make(&t);
	uint8_t *data = pattern_file(&t, "big.bin", BIG);
	int port = srv_start(&p, &t, ROOT_ARGS(&t, "--linger-timeout", "1"));
	for (int half = 0; half < 2; half++) {
		struct conn c;
		struct resp r;
		conn_open_small(&c, port);
		conn_send(&c,
			  half ? "GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n"
			       : "GET /big.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
		if (half)
			shutdown(c.fd, SHUT_WR);
		double t0 = proc_now();
		read_slowly(&c);
		bool whole = conn_resp(&c, &r, false);
		CHECK_MSG(whole && r.status == 200 && r.len == BIG,
			  "%s: status %d, %zu of %u bytes in %.1f s",
			  half ? "half-closed" : "Connection: close", r.status, r.len, BIG,
			  proc_now() - t0);
		CHECK(!memcmp(r.body, data, BIG));
		printf("  %s: 8 MiB read in %.1f s with --linger-timeout 1\n",
		       half ? "half-closed" : "Connection: close", proc_now() - t0);
		resp_free(&r);
		conn_close(&c);
	}
	proc_stop(&p);
	free(data);
	tree_remove(&t);
}

/* The promised Content-Length cannot be kept: the connection ends (within
 * a second of the truncation), is counted as file-short, and others go on. */
TEST(a_file_truncated_mid_download_ends_that_connection_within_a_second)
{
	struct tree t;
	struct proc p;
	char path[512];
	tree_make(&t);
	free(pattern_file(&t, "big.bin", 32u << 20));
	put(&t, "small.txt", "small\n");
	tree_path(&t, "big.bin", path, sizeof(path));
	int port = srv_start(&p, &t, ROOT_ARGS(&t));
	struct conn c;
	conn_open_small(&c, port);
	conn_send(&c, "GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n");
	size_t got = 0;
	uint8_t buf[65536];
	while (got < (1u << 20)) {
		ssize_t k = read(c.fd, buf, sizeof(buf));
		CHECK(k > 0);
		got += (size_t)k;
	}
	CHECK(truncate(path, 2u << 20) == 0);
	double t0 = proc_now();
	for (;;) {
		ssize_t k = read(c.fd, buf, sizeof(buf));
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	double dt = proc_now() - t0;
	printf("  %zu of %u bytes, then the end %.3f s after the truncation\n", got, 32u << 20, dt);
	CHECK(got < (32u << 20));
	CHECK_MSG(dt < 1.0, "took %.3f s", dt);
	conn_close(&c);
	struct resp *r = get(port, "/small.txt");
	CHECK(r->status == 200 && body_is(r, "small\n"));
	kill(p.pid, SIGTERM);
	CHECK(proc_wait(&p, 10) == 0);
	char *err = proc_slurp(p.err);
	CHECK_MSG(strstr(err, "file-short 1 "), "stats: %s", err);
	free(err);
	proc_cleanup(&p);
	tree_remove(&t);
}

TEST(a_file_that_grows_is_sent_up_to_the_length_announced)
{
	struct tree t;
	struct proc p;
	char path[512], want[65], got_sha[65];
	tree_make(&t);
	uint8_t *data = pattern_file(&t, "grow.bin", 4u << 20);
	sha256_hex(data, 4u << 20, want);
	put(&t, "small.txt", "small\n");
	tree_path(&t, "grow.bin", path, sizeof(path));
	int port = srv_start(&p, &t, ROOT_ARGS(&t));
	struct conn c;
	struct resp r;
	conn_open_small(&c, port);
	conn_send(&c, "GET /grow.bin HTTP/1.1\r\nHost: t\r\n\r\n");
	while (c.n < (256u << 10))
		CHECK(conn_fill(&c));
	FILE *f = fopen(path, "a");
	CHECK(f);
	for (int i = 0; i < 1 << 20; i++)
		fputc('+', f);
	fclose(f);
	CHECK(conn_resp(&c, &r, false) && r.status == 200 && r.len == 4u << 20);
	CHECK(!strcmp(sha256_hex(r.body, r.len, got_sha), want));
	resp_free(&r);
	/* Nothing more of the file follows: the next answer is the next one. */
	conn_send(&c, "GET /small.txt HTTP/1.1\r\nHost: t\r\n\r\n");
	CHECK(conn_resp(&c, &r, false) && r.status == 200 && body_is(&r, "small\n"));
	resp_free(&r);
	conn_close(&c);
	proc_stop(&p);
	free(data);
	tree_remove(&t);
}

/* Every descriptor the server opens is closed once: after answers of
 * every kind and after clients that leave while an open, a stat or a
 * file range is in flight, the count is what it was. */
TEST_T(every_descriptor_is_closed_also_when_the_client_leaves_first, 120)
{
	struct tree t;
	struct proc p;
	tree_make(&t);
	free(pattern_file(&t, "big.bin", BIG));
	put(&t, "a.css", "a{}\n");
	put(&t, "a.css.gz", "GZ");
	mkdir_in(&t, "d");
	mkdir_in(&t, "list");
	for (int i = 0; i < 200; i++) {
		char n[32];
		snprintf(n, sizeof(n), "list/f%03d", i);
		put(&t, n, "");
	}
	/* Few slots: a connection area kept by a closed request would run
	 * the pool dry within a round. */
	int port = srv_start(&p, &t, ROOT_ARGS(&t, "--list-dirs", "--max-conns", "16"));
	CHECK(get(port, "/a.css")->status == 200);
	/* The file cache keeps big.bin's fd (too large for its bytes): in
	 * the count from the start, the same however often it is asked. */
	CHECK(get(port, "/big.bin")->status == 200);
	/* Once that connection's socket is closed too: two equal counts. */
	int base = -1, prev;
	do {
		prev = base;
		usleep(100000);
		base = srv_fds(p.pid);
	} while (base != prev);
	static const char *const kinds[] = {
		"GET /a.css",
		"HEAD /a.css",
		"GET /nope",
		"GET /d",
		"GET /list/",
		"GET /a.css\r\nAccept-Encoding: gzip",
		"GET /a.css\r\nRange: bytes=0-1",
		"GET /a.css\r\nRange: bytes=9-",
		"GET /a.css\r\nIf-None-Match: *",
		"GET /a.css\r\nIf-Match: \"x\"",
		"GET /big.bin",
	};
	for (int round = 0; round < 20; round++) {
		for (unsigned k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			char req[256];
			const char *nl = strchr(kinds[k], '\r');
			int ml = nl ? (int)(nl - kinds[k]) : (int)strlen(kinds[k]);
			snprintf(req, sizeof(req), "%.*s HTTP/1.1\r\nHost: t%s\r\n\r\n", ml,
				 kinds[k], nl ? nl : "");
			struct conn c;
			conn_open(&c, port);
			conn_send(&c, req);
			if (round % 2) {
				/* Leave at once, with a reset: mid-open, mid-stat,
				 * mid-file-range. */
				struct linger lg = { 1, 0 };
				setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
				if (round % 4 == 3)
					usleep(200);
			} else {
				struct resp r;
				CHECK(conn_resp(&c, &r, !strncmp(req, "HEAD", 4)));
				resp_free(&r);
			}
			conn_close(&c);
		}
	}
	int after = -1;
	for (int i = 0; i < 100 && (after = srv_fds(p.pid)) != base; i++)
		usleep(20000);
	CHECK_MSG(after == base, "%d descriptors before, %d after", base, after);
	struct resp *r = get_ex(port, "GET", "/a.css", "Accept-Encoding: gzip\r\n");
	CHECK_MSG(r->status == 200 && body_is(r, "GZ"), "%s", r->head);
	proc_stop(&p);
	tree_remove(&t);
}

/* Idle keep-alive connections that each made one request cost the same
 * with --root: static files keep their state in pooled areas, not in
 * every connection. The requests come in one burst, so thousands of
 * deferred answers hold an area at once; a second later the tick has
 * given the idle areas back. */
TEST_T(idle_connections_cost_the_same_rss_with_root, 120)
{
	enum { N = 2000 };
	struct tree t;
	long rss[2], peak = 0;
	tree_make(&t);
	put(&t, "plaintext", "Hello, World!");
	raise_nofile(2 * N + 256);
	for (int with = 0; with < 2; with++) {
		struct proc p;
		const char *const plain[] = { "--max-conns", "4096", 0 };
		const char *const root[] = { "--max-conns", "4096", "--root", t.root, 0 };
		int port = srv_start_bin(&p, bin(), &t, with ? root : plain);
		static struct conn c[N];
		for (int i = 0; i < N; i++)
			conn_open(&c[i], port);
		usleep(200 * 1000); /* all accepted: then every request at once */
		for (int i = 0; i < N; i++)
			conn_send(&c[i], "GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n");
		for (int i = 0; i < N; i++) {
			struct resp r;
			CHECK(conn_resp(&c[i], &r, false) && r.status == 200 &&
			      body_is(&r, "Hello, World!"));
			resp_free(&r);
		}
		if (with)
			peak = rss_kib(p.pid);
		usleep(2500 * 1000); /* two ticks */
		rss[with] = rss_kib(p.pid);
		for (int i = 0; i < N; i++)
			conn_close(&c[i]);
		proc_stop(&p);
	}
	printf("  RSS with %d idle connections: %ld KiB without --root, %ld KiB with (%ld KiB "
	       "right after the burst)\n",
	       N, rss[0], rss[1], peak);
	CHECK_MSG(rss[1] - rss[0] < 2560, "%ld KiB more with --root", rss[1] - rss[0]);
	tree_remove(&t);
}

/* --trace shows the file operations decoded: the path and resolve flags
 * of OPENAT2, the fd and mask of STATX, the offset of each READ. */
TEST(trace_decodes_openat2_statx_and_read)
{
	struct tree t;
	struct proc p;
	tree_make(&t);
	free(pattern_file(&t, "two-chunks.bin", 20000));
	put(&t, "small.txt", "0123456789");
	/* No bytes in the file cache: the file ranges are read a chunk at a
	 * time (test_static_cache.c traces the cache). */
	int port =
		srv_start(&p, &t, ROOT_ARGS(&t, "--trace", "--no-symlinks", "--file-cache", "0"));
	struct resp *r = get(port, "/two-chunks.bin");
	CHECK(r->status == 200 && r->len == 20000);
	usleep(100000);
	char *err = proc_slurp(p.err);
	/* A small file: its head and its bytes leave in one send. */
	size_t before = strlen(err);
	r = get(port, "/small.txt");
	CHECK(r->status == 200);
	usleep(100000);
	free(err);
	err = proc_slurp(p.err);
	const char *rest = err + before, *rd = strstr(rest, "SQE  READ "), *sm;
	CHECK_MSG(rd && (sm = strstr(rd, "SQE  SENDMSG ")) && strstr(sm, "iov 2") &&
			  !strstr(rest, "SQE  SEND  "),
		  "head and body not in one send:\n%s", rest);
	const char *want[] = {
		"SQE  OPENAT2 ",
		("path \"two-chunks.bin\"  open NONBLOCK|NOCTTY|CLOEXEC  resolve "
		 "NO_MAGICLINKS|NO_SYMLINKS|BENEATH"),
		"SQE  STATX ",
		"path \"\"  at EMPTY_PATH  mask TYPE|MODE|MTIME|CTIME|INO|SIZE",
		"SQE  READ ",
		"len 16384  off 0\n",
		"len 3616  off 16384\n",
	};
	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CHECK_MSG(strstr(err, want[i]), "no '%s' in the trace:\n%s", want[i], err);
	free(err);
	proc_stop(&p);
	tree_remove(&t);
}
