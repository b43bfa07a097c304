/* tests/test_http_server.c - the rocket server as a client sees it: real
 * loopback sockets against the server binary run as a child process.
 *
 * Every test runs twice: against $ROCKET_BIN (the hosted build under ASan +
 * UBSan, default build/rocket-san) and against $ROCKET_STATIC (the static
 * libc-free product) when that is set. The server's stderr goes to a file;
 * after each test the server is stopped with SIGTERM and must exit 0 with
 * no sanitizer report. Responses are compared byte for byte (the Date value
 * is checked for format, then substituted into the expected bytes).
 */
#include "engine_mode.h"
#include "harness.h"
#include "wire.h"

/* ---- the built-in routes, byte for byte ------------------------------------- */

SERVER_TEST(get_plaintext_json_root_head_options_exact_bytes, 30)
{
	struct srv s;
	srv_start(&s, bin, 0);
	struct resp r;
	struct cli c;
	cli_open(&c, s.port);

	exchange(&c, GET("/plaintext"), PLAINTEXT_RESP);

	exchange(&c, GET("/json"), JSON_RESP);

	/* HEAD: the same head as GET (Content-Length 13 included), no body. */
	cli_send_str(&c, "HEAD /plaintext HTTP/1.1\r\nHost: x\r\n\r\n");
	read_resp_t(&c, &r, true, 5000);
	check_bytes(&r, H_OK "Content-Type: text/plain\r\nContent-Length: 13\r\n\r\n");
	resp_free(&r);
	/* ...and really no body: the next response starts right after it. */
	exchange(&c, GET("/"), ROOT_RESP);

	exchange(&c, "OPTIONS / HTTP/1.1\r\nHost: x\r\n\r\n",
		 H_OK "Content-Length: 0\r\nAllow: GET, HEAD, POST, OPTIONS\r\n\r\n");

	exchange(&c, "OPTIONS /plaintext HTTP/1.1\r\nHost: x\r\n\r\n",
		 H_OK "Content-Length: 0\r\nAllow: GET, HEAD, OPTIONS\r\n\r\n");

	/* OPTIONS *: every method some route takes. */
	exchange(&c, "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
		 H_OK "Content-Length: 0\r\nAllow: GET, HEAD, POST, OPTIONS\r\n\r\n");

	/* Query strings and absolute-form reach the same route. */
	exchange(&c, "GET http://x/plaintext?a=b HTTP/1.1\r\nHost: x\r\n\r\n", PLAINTEXT_RESP);

	exchange(&c, GET("/nope"), NOTFOUND_RESP);

	exchange(&c, "PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
		 "HTTP/1.1 405 Method Not Allowed\r\nServer: rocket\r\nDate: @DATE@\r\n"
		 "Content-Type: text/plain\r\nContent-Length: 23\r\n"
		 "Allow: GET, HEAD, POST, OPTIONS\r\n\r\n"
		 "405 Method Not Allowed\n");

	/* All of the above on one keep-alive connection, still open. */
	expect_quiet(&c, 50);
	cli_close(&c);
	srv_stop(&s);
}

SERVER_TEST(request_errors_answer_then_close, 30)
{
	struct srv s;
	srv_start(&s, bin, 0);
	static const struct {
		const char *req;
		int code;
		const char *reason;
	} cases[] = {
		{ "FOO / HTTP/1.1\r\nHost: x\r\n\r\n", 501, "Not Implemented" },
		{ "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, "HTTP Version Not Supported" },
		{ "GET / HTTP/1.1\r\n\r\n", 400, "Bad Request" },
		{ "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: "
		  "chunked\r\n\r\n",
		  400, "Bad Request" },
		{ "GET / HTTP/1.1\nHost: x\n\n", 400, "Bad Request" },
		{ "POST / HTTP/1.1\r\nHost: x\r\nExpect: fancy\r\n\r\n", 417,
		  "Expectation Failed" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fprintf(stderr, "  case %zu: %d %s\n", i, cases[i].code, cases[i].reason);
		error_and_close(s.port, cases[i].req, strlen(cases[i].req), cases[i].code,
				cases[i].reason);
	}
	srv_stop(&s);
}

SERVER_TEST(post_echo_returns_request_header_lines, 30)
{
	struct srv s;
	srv_start(&s, bin, 0);
	struct cli c;
	struct resp r;
	cli_open(&c, s.port);
	/* OWS around values is not part of them; a body is read and dropped,
	 * so the pipelined GET after it is answered normally. */
	cli_send_str(&c, "POST /echo HTTP/1.1\r\nHost: x\r\nX-Test: hello world\r\n"
			 "X-Pad: \t spaced \t\r\nAccept: */*\r\nContent-Length: 5\r\n\r\nhello" GET(
				 "/json"));
	read_resp(&c, &r);
	static const char body[] = "Host: x\nX-Test: hello world\nX-Pad: spaced\nAccept: */*\n"
				   "Content-Length: 5\n";
	char fmt[1024];
	snprintf(fmt, sizeof(fmt), H_OK "Content-Type: text/plain\r\nContent-Length: %zu\r\n\r\n%s",
		 strlen(body), body);
	check_bytes(&r, fmt);
	resp_free(&r);
	expect_resp(&c, JSON_RESP);
	expect_quiet(&c, 50);
	cli_close(&c);
	srv_stop(&s);
}

/* ---- framing of a connection -------------------------------------------------- */

SERVER_TEST(sixteen_pipelined_requests_answered_in_order, 30)
{
	struct srv s;
	srv_start(&s, bin, 0);
	struct cli c;
	cli_open(&c, s.port);
	static const char *const paths[] = { "/plaintext", "/json", "/nope" };
	char req[4096] = "";
	for (int i = 0; i < 16; i++) {
		char one[128];
		snprintf(one, sizeof(one), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", paths[i % 3]);
		strcat(req, one);
	}
	cli_send_str(&c, req); /* one write */
	for (int i = 0; i < 16; i++) {
		expect_resp(&c, i % 3 == 0   ? PLAINTEXT_RESP
				: i % 3 == 1 ? JSON_RESP
					     : NOTFOUND_RESP);
	}
	expect_quiet(&c, 100);
	cli_close(&c);
	srv_stop(&s);
}

SERVER_TEST(request_delivered_one_byte_at_a_time, 30)
{
	struct srv s;
	srv_start(&s, bin, 0);
	struct cli c;
	cli_open(&c, s.port);
	/* A head and a chunked body, each byte its own segment (TCP_NODELAY). */
	static const char req[] =
		"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		"5;e=1\r\nhello\r\n3\r\n, w\r\n0\r\nT: v\r\n\r\n" GET("/plaintext");
	for (size_t i = 0; i < sizeof(req) - 1; i++) {
		cli_send(&c, req + i, 1);
		usleep(1000);
	}
	struct resp r;
	read_resp(&c, &r);
	CHECK_EQ(r.status, 200);
	CHECK(r.chunked);
	CHECK_EQ(r.body_len, 8);
	CHECK(!memcmp(r.body, "hello, w", 8));
	resp_free(&r);
	expect_resp(&c, PLAINTEXT_RESP);
	expect_quiet(&c, 50);
	cli_close(&c);
	srv_stop(&s);
}

SERVER_TEST(connection_close_and_http10_keep_alive, 30)
{
	struct srv s;
	srv_start(&s, bin, 0);
	struct cli c;
	struct resp r;

	/* Connection: close on 1.1: said in the response, then EOF. */
	answer_then_close(s.port, "GET /plaintext HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			  H_OK "Content-Type: text/plain\r\nContent-Length: 13\r\n"
			       "Connection: close\r\n\r\nHello, World!");

	/* HTTP/1.0 without keep-alive (and without Host): closed after it. */
	answer_then_close(s.port, "GET /json HTTP/1.0\r\n\r\n",
			  H_OK "Content-Type: application/json\r\nContent-Length: 27\r\n"
			       "Connection: close\r\n\r\n" JSON_BODY);

	/* HTTP/1.0 keep-alive: said in the response; a second request works. */
	cli_open(&c, s.port);
	for (int i = 0; i < 2; i++) {
		exchange(&c, "GET /plaintext HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
			 H_OK "Content-Type: text/plain\r\nContent-Length: 13\r\n"
			      "Connection: keep-alive\r\n\r\nHello, World!");
	}
	expect_quiet(&c, 50);
	/* ...and the one that leaves out keep-alive ends it. */
	cli_send_str(&c, "GET /plaintext HTTP/1.0\r\n\r\n");
	read_resp(&c, &r);
	CHECK_STR(hdr(&r, "Connection"), "close");
	resp_free(&r);
	expect_eof(&c, 2000);
	cli_close(&c);
	srv_stop(&s);
}

/* The start-up line says how sockets are kept (direct descriptors, or
 * regular fds and why) and who accepts them. */
SERVER_TEST(start_line_names_direct_descriptors_and_the_accept_mode, 20)
{
	struct srv s;
	srv_start(&s, bin, 0);
	char *log = proc_slurp(s.p.err);
	const char *sockets =
		test_mode_is("fd") ? "| regular fds (--direct=off" : "| direct descriptors";
	const char *accept = test_mode_is("reactor") ? "| accept: reactor |"
						     : "| accept: acceptor, least-loaded |";
	CHECK_MSG(strstr(log, sockets) && strstr(log, accept),
		  "start line without \"%s\" and "
		  "\"%s\":\n%s",
		  sockets, accept, log);
	free(log);
	srv_stop(&s);
}

/* RFC 9112 9.6: a server that closes after its answer half-closes first
 * and reads on until the client closes too. Here the client pipelines 4
 * MiB of requests behind a Connection: close one - more than the server
 * takes into its buffers before its receive pauses, so bytes sit unread
 * in its socket when it answers. Closing outright then makes the kernel
 * send a RST (tcp_close with unread data), and the client's next send or
 * read fails with ECONNRESET; the lingering close sends FIN and drops the
 * rest as it comes. */
SERVER_TEST(closing_answer_ends_in_fin_not_reset_while_requests_follow, 60)
{
	struct srv s;
	srv_start(&s, bin, 0);
	struct cli c;
	struct resp r;
	cli_open(&c, s.port);
	static const char first[] =
		"GET /plaintext HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	static const char next[] = "GET /json HTTP/1.1\r\nHost: x\r\n\r\n";
	enum { TOTAL = 4 << 20 };
	char *buf = malloc(TOTAL);
	CHECK(buf);
	memcpy(buf, first, sizeof(first) - 1);
	for (size_t at = sizeof(first) - 1; at < TOTAL; at += sizeof(next) - 1)
		memcpy(buf + at, next, RK_MIN(sizeof(next) - 1, TOTAL - at));
	size_t sent = 0;
	int send_err = 0;
	double end = now_ms() + 20000;
	while (sent < TOTAL && !send_err && !c.err && now_ms() < end) {
		struct pollfd pf = { c.fd, POLLIN | POLLOUT, 0 };
		poll(&pf, 1, 1000);
		if (pf.revents & (POLLIN | POLLHUP | POLLERR))
			cli_recv(&c);
		ssize_t k = send(c.fd, buf + sent, TOTAL - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k > 0)
			sent += (size_t)k;
		else if (k < 0 && errno != EAGAIN && errno != EINTR)
			send_err = errno;
	}
	free(buf);
	while (!c.eof && !c.err && now_ms() < end)
		cli_fill(&c, 1000);
	CHECK_MSG(!send_err && !c.err, "reset after %zu bytes sent: send %s, recv %s", sent,
		  send_err ? strerror(send_err) : "ok", c.err ? strerror(c.err) : "ok");
	CHECK_EQ(sent, TOTAL);
	read_resp(&c, &r);
	check_bytes(&r, H_OK "Content-Type: text/plain\r\nContent-Length: 13\r\n"
			     "Connection: close\r\n\r\nHello, World!");
	resp_free(&r);
	expect_eof(&c, 2000);
	cli_close(&c);
	srv_stop(&s);
}

/* ---- no request smuggling past an error ------------------------------------ */

/* Both Content-Length and Transfer-Encoding: the second request is refused
 * with 400 + close and the third, which would only exist for a parser that
 * trusted one of the two lengths, is never answered. */
SERVER_TEST(error_mid_pipeline_stops_the_pipeline, 30)
{
	struct srv s;
	srv_start(&s, bin, 0);
	struct cli c;
	cli_open(&c, s.port);
	cli_send_str(&c, GET("/plaintext") "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: "
					   "5\r\nTransfer-Encoding: chunked\r\n\r\n" GET("/json"));
	expect_resp(&c, PLAINTEXT_RESP);
	expect_error_close(&c, 400, "Bad Request", 2000);
	cli_close(&c);
	srv_stop(&s);
}

/* A bad chunk size in the body of the second request. A route that reads
 * the body gets it validated first, so the error is a 400; a request
 * answered before its body was read (404: no route reads it) can only end
 * the connection: a further response would be taken for the answer to the
 * third request. Either way nothing after the bad chunk is answered. */
SERVER_TEST(bad_chunk_size_mid_pipeline_ends_the_connection, 30)
{
	struct srv s;
	srv_start(&s, bin, 0);
	static const char *const second[] = {
		/* the echo: gathered and validated before it answers */
		"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		"5\r\nhello\r\nzz\r\n",
		/* a route answering with the head's fields: the same */
		"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		"5\r\nhello\r\nzz\r\nGET /plaintext HTTP/1.1\r\n\r\n",
		/* an unknown path: 404 at once, body dropped */
		"POST /nope HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		"-1\r\nxx\r\n0\r\n\r\n",
	};
	for (size_t i = 0; i < 3; i++) {
		struct cli c;
		struct resp r;
		cli_open(&c, s.port);
		char req[1024];
		snprintf(req, sizeof(req), "%s%s%s", GET("/plaintext"), second[i], GET("/json"));
		cli_send_str(&c, req);
		expect_resp(&c, PLAINTEXT_RESP);
		read_resp(&c, &r);
		if (i < 2)
			check_error(&r, 400, "Bad Request");
		else
			check_bytes(&r, NOTFOUND_RESP);
		resp_free(&r);
		expect_eof(&c, 2000); /* no 400 and no /json answer after it */
		cli_close(&c);
	}
	srv_stop(&s);
}

/* ---- bodies ----------------------------------------------------------------- */

static uint8_t pattern(size_t i)
{
	return (uint8_t)(((uint32_t)i * 0x9E3779B1u) >> 13);
}

SERVER_TEST(ten_mib_body_echoed_intact, 60)
{
	struct srv s;
	srv_start(&s, bin, 0);
	const size_t n = 10u << 20;
	char *body = malloc(n);
	for (size_t i = 0; i < n; i++)
		body[i] = (char)pattern(i);
	struct cli c;
	struct resp r;
	cli_open(&c, s.port);
	char head[256];
	snprintf(head, sizeof(head),
		 "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-test\r\n"
		 "Content-Length: %zu\r\n\r\n",
		 n);
	cli_send_str(&c, head);
	cli_send(&c, body, n); /* reads the echo as it comes back */
	cli_send_str(&c, GET("/plaintext"));
	read_resp_t(&c, &r, false, 20000);
	CHECK_EQ(r.status, 200);
	char fmt[512];
	snprintf(fmt, sizeof(fmt),
		 H_OK "Content-Type: application/octet-stream\r\n"
		      "Content-Length: %zu\r\n\r\n",
		 n);
	char want[512];
	with_date(want, sizeof(want), &r, fmt);
	CHECK_MSG(r.head_len == strlen(want) && !memcmp(r.raw, want, r.head_len), "head: %.*s",
		  (int)r.head_len, r.raw);
	CHECK_EQ(r.body_len, n);
	for (size_t i = 0; i < n; i++)
		CHECK_MSG((uint8_t)r.body[i] == pattern(i), "byte %zu is %u, expected %u", i,
			  (uint8_t)r.body[i], pattern(i));
	resp_free(&r);
	expect_resp(&c, PLAINTEXT_RESP);
	free(body);
	cli_close(&c);
	srv_stop(&s);
}

SERVER_TEST(chunked_body_with_extensions_and_trailer_echoed_chunked, 60)
{
	struct srv s;
	srv_start(&s, bin, 0);
	size_t cap = 1 << 20, len = 0, blen = 0;
	char *req = malloc(cap), *body = malloc(cap);
	len += (size_t)sprintf(req,
			       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
	for (int k = 0; k < 400; k++) {
		size_t sz = 1 + (size_t)(k * 37 % 2900);
		/* upper- and lower-case hex, extensions with and without values */
		if (k % 3 == 0)
			len += (size_t)sprintf(req + len, "%zX;ext=%d;q=\"a;b\"\r\n", sz, k);
		else if (k % 3 == 1)
			len += (size_t)sprintf(req + len, "%zx ; flag\r\n", sz);
		else
			len += (size_t)sprintf(req + len, "%04zx\r\n", sz);
		for (size_t i = 0; i < sz; i++)
			req[len++] = body[blen] = (char)pattern(blen * 7 + 3), blen++;
		len += (size_t)sprintf(req + len, "\r\n");
	}
	len += (size_t)sprintf(req + len,
			       "0;last\r\nX-Trailer: t\r\nX-Other: u\r\n\r\n" GET("/json"));
	CHECK(len < cap);

	struct cli c;
	struct resp r;
	cli_open(&c, s.port);
	cli_send(&c, req, len);
	read_resp_t(&c, &r, false, 20000);
	CHECK_EQ(r.status, 200);
	CHECK(r.chunked);
	CHECK(!hdr(&r, "Content-Length"));
	CHECK_STR(hdr(&r, "Content-Type"), "application/octet-stream");
	CHECK_EQ(r.body_len, blen);
	CHECK_MSG(!memcmp(r.body, body, blen), "decoded echo differs");
	resp_free(&r);
	/* The trailer was consumed exactly: the next request is answered. */
	expect_resp(&c, JSON_RESP);
	expect_quiet(&c, 50);
	free(req);
	free(body);
	cli_close(&c);
	srv_stop(&s);
}

SERVER_TEST(expect_100_continue_before_the_body, 30)
{
	struct srv s;
	srv_start(&s, bin, 0);
	struct cli c;
	struct resp r;
	cli_open(&c, s.port);
	cli_send_str(
		&c,
		"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n");
	expect_100_continue(&c);
	/* Nothing more before the body: the echo answers a validated body. */
	expect_quiet(&c, 50);
	exchange(&c, "hello world",
		 H_OK "Content-Type: application/octet-stream\r\nContent-Length: 11\r\n\r\n"
		      "hello world");
	/* Without a body there is nothing to continue: no 100. */
	cli_send_str(
		&c,
		"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n");
	read_resp(&c, &r);
	CHECK_EQ(r.status, 200);
	CHECK_EQ(r.body_len, 0);
	resp_free(&r);
	cli_close(&c);
	srv_stop(&s);
}

/* ---- timeouts and slow clients ------------------------------------------- */

SERVER_TEST(idle_keep_alive_connection_closed_quietly, 30)
{
	static const char *const args[] = { "--idle-timeout", "1", 0 };
	struct srv s;
	srv_start(&s, bin, args);
	struct cli c;
	struct resp r;
	cli_open(&c, s.port);
	cli_send_str(&c, GET("/plaintext"));
	read_resp(&c, &r);
	resp_free(&r);
	double t0 = now_ms();
	expect_eof(&c, 3500); /* no 408: merely idle between requests */
	double dt = now_ms() - t0;
	CHECK_MSG(dt > 500 && dt < 3000, "closed after %.0f ms", dt);
	cli_close(&c);
	srv_stop(&s);
}

static void raise_nofile(rlim_t want)
{
	struct rlimit rl;
	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	if (rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	CHECK_MSG(rl.rlim_cur >= want, "RLIMIT_NOFILE %lu < %lu", (unsigned long)rl.rlim_cur,
		  (unsigned long)want);
}

#define NSLOW 1000

/* Open NSLOW connections that each sent an unfinished head. */
static void slow_open(int port, int *fds)
{
	static const char part[] = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ";
	for (int i = 0; i < NSLOW; i++) {
		fds[i] = wire_connect(port);
		CHECK(send(fds[i], part, sizeof(part) - 1, MSG_NOSIGNAL) == sizeof(part) - 1);
	}
}

/* One more byte on every slow connection that has not been answered. */
static void slow_trickle(const int *fds)
{
	for (int i = 0; i < NSLOW; i++) {
		struct pollfd p = { fds[i], POLLIN, 0 };
		if (poll(&p, 1, 0) == 0)
			CHECK_MSG(send(fds[i], "a", 1, MSG_NOSIGNAL) == 1, "slow %d: %s", i,
				  strerror(errno));
	}
}

SERVER_TEST(normal_client_served_fast_beside_1000_slowloris, 60)
{
	raise_nofile(NSLOW + 256);
	struct srv s;
	srv_start(&s, bin, 0);
	static int fds[NSLOW];
	slow_open(s.port, fds);
	double worst = 0;
	for (int round = 0; round < 8; round++) {
		slow_trickle(fds);
		usleep(100 * 1000);
		/* A new connection and a request on it, then a keep-alive one. */
		double t0 = now_ms();
		struct cli c;
		cli_open(&c, s.port);
		for (int k = 0; k < 2; k++) {
			exchange(&c, GET("/plaintext"), PLAINTEXT_RESP);
			double dt = now_ms() - t0;
			CHECK_MSG(dt < 100, "round %d request %d took %.1f ms", round, k, dt);
			worst = dt > worst ? dt : worst;
			t0 = now_ms();
		}
		cli_close(&c);
	}
	/* The slow ones are all still waiting, unanswered (header timeout 10 s). */
	for (int i = 0; i < NSLOW; i++) {
		struct pollfd p = { fds[i], POLLIN, 0 };
		CHECK_MSG(poll(&p, 1, 0) == 0, "slow connection %d got an answer or closed", i);
		close(fds[i]);
	}
	fprintf(stderr, "  worst latency beside %d slowloris: %.2f ms\n", NSLOW, worst);
	srv_stop(&s);
}

SERVER_TEST(slowloris_gets_408_and_close_after_header_timeout, 60)
{
	raise_nofile(NSLOW + 256);
	static const char *const args[] = { "--header-timeout", "2", 0 };
	struct srv s;
	srv_start(&s, bin, args);
	static int fds[NSLOW];
	static char got[NSLOW][640];
	static size_t glen[NSLOW];
	static bool done[NSLOW];
	double t0 = now_ms();
	slow_open(s.port, fds);
	/* Keep trickling for the first second: the timeout counts from the
	 * first byte of the head, however slowly the rest comes. */
	while (now_ms() - t0 < 1000) {
		slow_trickle(fds);
		usleep(250 * 1000);
	}
	static struct pollfd pf[NSLOW];
	int left = NSLOW;
	while (left) {
		int wait = (int)(t0 + 4500 - now_ms());
		CHECK_MSG(wait > 0, "%d of %d slow connections not answered+closed in 4.5 s", left,
			  NSLOW);
		int m = 0;
		for (int i = 0; i < NSLOW; i++)
			if (!done[i])
				pf[m++] = (struct pollfd){ fds[i], POLLIN, 0 };
		poll(pf, (nfds_t)m, wait);
		for (int j = 0; j < m; j++) {
			if (!pf[j].revents)
				continue;
			int i = 0;
			while (fds[i] != pf[j].fd)
				i++;
			ssize_t k = recv(fds[i], got[i] + glen[i], sizeof(got[i]) - 1 - glen[i], 0);
			CHECK_MSG(k >= 0, "slow %d: %s", i, strerror(errno));
			glen[i] += (size_t)k;
			if (k == 0) {
				done[i] = true;
				left--;
			}
		}
	}
	double dt = now_ms() - t0;
	for (int i = 0; i < NSLOW; i++) {
		CHECK_MSG(!strncmp(got[i], "HTTP/1.1 408 Request Timeout\r\n", 30) &&
				  strstr(got[i], "\r\nConnection: close\r\n") &&
				  strstr(got[i], "\r\n\r\n408 Request Timeout\n"),
			  "slow %d got: %s", i, got[i]);
		close(fds[i]);
	}
	fprintf(stderr, "  %d slowloris answered 408 and closed within %.0f ms\n", NSLOW, dt);
	/* The server still serves. */
	one_shot_bytes(s.port, GET("/plaintext"), PLAINTEXT_RESP);
	srv_stop(&s);
}

/* ---- more than fits at once ------------------------------------------------ */

/* 2,000 requests in one send: far more answers than the connection's send
 * buffer holds, so the server must pause and resume the pipeline. */
SERVER_TEST(two_thousand_pipelined_requests_survive_send_backpressure, 60)
{
	struct srv s;
	srv_start(&s, bin, 0);
	struct cli c;
	cli_open(&c, s.port);
	const int n = 2000;
	static const char *const reqs[] = { GET("/plaintext"), GET("/json"), GET("/nope") };
	size_t cap = (size_t)n * 64, len = 0;
	char *all = malloc(cap);
	for (int i = 0; i < n; i++)
		len += (size_t)sprintf(all + len, "%s", reqs[i % 3]);
	cli_send(&c, all, len);
	for (int i = 0; i < n; i++) {
		struct resp r;
		read_resp(&c, &r);
		CHECK_MSG(r.status == (i % 3 == 2 ? 404 : 200), "answer %d: %d", i, r.status);
		CHECK_MSG(!strcmp(r.body, i % 3 == 0   ? "Hello, World!"
					  : i % 3 == 1 ? JSON_BODY
						       : "404 Not Found\n"),
			  "answer %d body: %s", i, r.body);
		resp_free(&r);
	}
	expect_quiet(&c, 50);
	free(all);
	cli_close(&c);
	srv_stop(&s);
}

/* A head longer than one receive buffer (4 KiB) is put together across
 * buffers; the limits still apply to it: 431 past --max-head. */
SERVER_TEST(long_head_across_buffers_and_head_limit, 30)
{
	static const char *const args[] = { "--max-head", "12000", "--max-field", "12000", 0 };
	struct srv s;
	srv_start(&s, bin, args);
	char big[9001];
	for (size_t i = 0; i < sizeof(big) - 1; i++)
		big[i] = (char)('a' + i % 26);
	big[sizeof(big) - 1] = 0;
	char *req = malloc(20000);
	sprintf(req, "POST /echo HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n" GET("/plaintext"), big);
	struct cli c;
	struct resp r;
	cli_open(&c, s.port);
	cli_send_str(&c, req);
	read_resp(&c, &r);
	CHECK_EQ(r.status, 200);
	CHECK_EQ(r.body_len, strlen("Host: x\nX-Big: \n") + sizeof(big) - 1);
	CHECK(!strncmp(r.body + 15, big, sizeof(big) - 1));
	resp_free(&r);
	expect_resp(&c, PLAINTEXT_RESP);
	cli_close(&c);

	/* Over the limit: 431 and close, however the bytes were split. */
	memset(big, 'b', sizeof(big) - 1);
	sprintf(req, "GET / HTTP/1.1\r\nHost: x\r\nX-1: %s\r\nX-2: %s\r\n\r\n", big, big);
	cli_open(&c, s.port);
	cli_send_str(&c, req);
	expect_error_close(&c, 431, "Request Header Fields Too Large", 2000);
	cli_close(&c);
	free(req);
	srv_stop(&s);
}

SERVER_TEST(body_over_max_body_is_413, 30)
{
	static const char *const args[] = { "--max-body", "1000", 0 };
	struct srv s;
	srv_start(&s, bin, args);
	struct cli c;
	cli_open(&c, s.port);
	cli_send_str(&c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n");
	expect_error_close(&c, 413, "Content Too Large", 2000);
	cli_close(&c);
	srv_stop(&s);
}
