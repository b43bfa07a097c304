/* tests/test_http_hardening.c - the server against a hostile or careless
 * client (issue 12), over real loopback sockets against the server binary:
 * no status line before a request is known valid (the commit rule), every
 * limit with its status, versions, normalized paths, staged close, bounded
 * closing and slow bodies, timeouts that never fire early, non-HTTP input,
 * 100-continue only for a route that reads the body, flag values that used
 * to corrupt memory.
 *
 * Every error case shows the exact bytes sent, the exact response expected,
 * and that a request pipelined behind the bad one is never answered: after
 * the error the server sends nothing more and closes cleanly (FIN, no RST).
 */
#include "harness.h"
#include "wire.h"

#include "proc.h"

/* req, then GET /json behind it on the same connection: exactly one error
 * response, then a clean EOF (the /json is never answered). */
static void error_then_nothing(int port, const void *req, size_t len, int code, const char *reason)
{
	struct cli c;
	cli_open(&c, port);
	cli_send(&c, req, len);
	cli_send_str(&c, GET("/json"));
	expect_error_close(&c, code, reason, 3000);
	cli_close(&c);
}
#define ERROR_THEN_NOTHING(port, lit, code, reason)                                                \
	error_then_nothing(port, lit, sizeof(lit) - 1, code, reason)

#define POST_CHUNKED(path) "POST " path " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
#define ECHO_RESP(n)       H_OK "Content-Type: application/octet-stream\r\nContent-Length: " #n "\r\n\r\n"

/* ---- 1. the commit rule ------------------------------------------------------ */

/* Each framing error of a chunked body gets a 400, never a 200 cut off:
 * the built-in POST / echo reads and validates a body up to
 * --max-body-buffer before it answers, and so does POST /echo (a streamed
 * route without on_body). */
SERVER_TEST(chunked_framing_errors_get_400_not_a_cut_200, 60)
{
	static const char *const bodies[] = {
		"0x5\r\nhello\r\n0\r\n\r\n",               /* size with 0x */
		"5x\r\nhello\r\n0\r\n\r\n",                /* junk after the size */
		"5 x\r\nhello\r\n0\r\n\r\n",               /* junk after BWS */
		"10000000000000000\r\nhello\r\n0\r\n\r\n", /* 17 digits: over 64 bits */
		"5\r\nhelloXY\r\n0\r\n\r\n",               /* more data than the size */
		"5\r\nhello0\r\n\r\n",                     /* data not followed by CRLF */
		"5\nhello\r\n0\r\n\r\n",                   /* bare LF in the framing */
		"5;a\rb\r\nhello\r\n0\r\n\r\n",            /* bare CR in an extension */
		"5\r\nhello\r\n0\r\nBad Name: v\r\n\r\n",  /* a trailer that is no field */
	};
	static const char *const paths[] = { "/", "/echo" };
	struct srv s;
	srv_start(&s, bin, 0);
	for (size_t p = 0; p < 2; p++) {
		for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
			char req[512];
			int n = snprintf(req, sizeof(req),
					 "POST %s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
					 "chunked\r\n\r\n%s",
					 paths[p], bodies[i]);
			fprintf(stderr, "  POST %s + %s\n", paths[p], bodies[i]);
			error_then_nothing(s.port, req, (size_t)n, 400, "Bad Request");
		}
	}
	srv_stop(&s);
}

/* A Content-Length body in two writes 200 ms apart: nothing comes back
 * before the second write, then one correct response. The same for a
 * chunked body whose last chunk comes late. */
SERVER_TEST(body_in_two_writes_gets_nothing_before_the_second, 30)
{
	struct srv s;
	srv_start(&s, bin, 0);
	struct cli c;
	struct resp r;
	cli_open(&c, s.port);
	cli_send_str(&c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello");
	expect_quiet(&c, 200);
	exchange(&c, "world", ECHO_RESP(10) "helloworld");

	cli_send_str(&c, POST_CHUNKED("/") "5\r\nhello\r\n");
	expect_quiet(&c, 200);
	cli_send_str(&c, "0\r\n\r\n");
	read_resp(&c, &r);
	CHECK_EQ(r.status, 200);
	CHECK(r.chunked);
	CHECK_STR(r.body, "hello");
	resp_free(&r);

	/* POST /echo answers with the head's fields, but only once its body
	 * is in. */
	cli_send_str(&c, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nab");
	expect_quiet(&c, 200);
	cli_send_str(&c, "c");
	read_resp(&c, &r);
	CHECK_EQ(r.status, 200);
	CHECK_STR(r.body, "Host: x\nContent-Length: 3\n");
	resp_free(&r);
	expect_quiet(&c, 50);
	cli_close(&c);
	srv_stop(&s);
}

static uint8_t pattern(size_t i)
{
	return (uint8_t)(((uint32_t)i * 0x9E3779B1u) >> 13);
}

/* Past --max-body-buffer the echo streams: any size is still echoed, and a
 * framing error after the answer began ends the connection - no 400 after
 * the 200, no last chunk, nothing for the request behind it. */
SERVER_TEST(echo_past_the_buffer_streams_and_a_late_error_only_closes, 60)
{
	static const char *const args[] = { "--max-body-buffer", "1024", 0 };
	struct srv s;
	srv_start(&s, bin, args);
	struct cli c;
	struct resp r;
	char body[5000];
	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (char)pattern(i);
	cli_open(&c, s.port);
	cli_send_str(&c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n");
	cli_send(&c, body, sizeof(body));
	read_resp(&c, &r);
	CHECK_EQ(r.status, 200);
	CHECK_EQ(r.body_len, sizeof(body));
	CHECK(!memcmp(r.body, body, sizeof(body)));
	resp_free(&r);
	cli_close(&c);

	cli_open(&c, s.port);
	cli_send_str(&c, POST_CHUNKED("/") "bb8\r\n"); /* 3000 bytes */
	cli_send(&c, body, 3000);
	cli_send_str(&c, "\r\nzz\r\n" GET("/json"));
	while (!c.eof && !c.err)
		CHECK_MSG(cli_fill(&c, 3000), "connection still open");
	CHECK_MSG(!c.err, "reset: %s", strerror(c.err));
	c.buf[c.len] = 0;
	CHECK_MSG(!strncmp(c.buf, "HTTP/1.1 200 OK\r\n", 17) &&
			  strstr(c.buf, "Transfer-Encoding: chunked\r\n\r\n") &&
			  !strstr(c.buf, "\r\n0\r\n\r\n") && !strstr(c.buf, "HTTP/1.1 400") &&
			  !strstr(c.buf, JSON_BODY),
		  "got: %.300s", c.buf);
	cli_close(&c);
	srv_stop(&s);
}

/* ---- 2. every limit, with its status ------------------------------------------ */

/* "GET /plaintext?aaa...a HTTP/1.1" exactly n bytes long (without CRLF). */
static void line_of(char *out, size_t n)
{
	size_t k = (size_t)sprintf(out, "GET /plaintext?");
	while (k < n - 9)
		out[k++] = 'a';
	sprintf(out + k, " HTTP/1.1\r\nHost: x\r\n\r\n");
}

SERVER_TEST(head_limits_414_and_431, 60)
{
	static const char *const args[] = {
		"--max-request-line", "64", "--max-field", "40", "--max-headers", "5", 0
	};
	struct srv s;
	srv_start(&s, bin, args);
	char req[1024];
	/* A request line of 64 bytes passes; one byte more is 414. */
	line_of(req, 64);
	one_shot_bytes(s.port, req, PLAINTEXT_RESP);
	line_of(req, 65);
	error_then_nothing(s.port, req, strlen(req), 414, "URI Too Long");
	/* A field line of 40 bytes (name, colon, value) passes; 41 is 431. */
	one_shot_bytes(s.port,
		       "GET /plaintext HTTP/1.1\r\nHost: x\r\nX-A: "
		       "12345678901234567890123456789012345\r\n\r\n",
		       PLAINTEXT_RESP);
	ERROR_THEN_NOTHING(s.port,
			   "GET /plaintext HTTP/1.1\r\nHost: x\r\nX-A: "
			   "123456789012345678901234567890123456\r\n\r\n",
			   431, "Request Header Fields Too Large");
	/* Five fields pass, six are over --max-headers 5. */
	one_shot_bytes(s.port,
		       "GET /plaintext HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n",
		       PLAINTEXT_RESP);
	ERROR_THEN_NOTHING(s.port,
			   "GET /plaintext HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: "
			   "4\r\nE: 5\r\n\r\n",
			   431, "Request Header Fields Too Large");
	srv_stop(&s);
	/* All field lines together over --max-head 600, each within
	 * --max-field. */
	static const char *const args2[] = { "--max-head", "600", 0 };
	srv_start(&s, bin, args2);
	int n = sprintf(req, "GET /plaintext HTTP/1.1\r\nHost: x\r\n");
	for (int i = 0; n < 600; i++)
		n += sprintf(req + n, "X-%02d: 12345678901234567890123456789012\r\n", i);
	n += sprintf(req + n, "\r\n");
	error_then_nothing(s.port, req, (size_t)n, 431, "Request Header Fields Too Large");
	srv_stop(&s);
}

SERVER_TEST(chunk_limits_400_431_413, 60)
{
	static const char *const args[] = { "--max-trailers", "64", "--max-chunks", "4", 0 };
	struct srv s;
	srv_start(&s, bin, args);
	/* A chunk line with a 64 KiB extension: over the default 4 KiB. */
	size_t cap = 70000, n = 0;
	char *req = malloc(cap);
	n += (size_t)sprintf(req, POST_CHUNKED("/") "5;e=");
	memset(req + n, 'a', 65536);
	n += 65536;
	n += (size_t)sprintf(req + n, "\r\nhello\r\n0\r\n\r\n");
	error_then_nothing(s.port, req, n, 400, "Bad Request");
	free(req);
	/* Trailers of 65 bytes over --max-trailers 64 (60 are fine). */
	struct cli c;
	struct resp r;
	cli_open(&c, s.port);
	cli_send_str(
		&c,
		POST_CHUNKED("/") "1\r\na\r\n0\r\nX-T: "
				  "0123456789012345678901234567890123456789012345678901\r\n\r\n");
	read_resp(&c, &r);
	CHECK_EQ(r.status, 200);
	CHECK_STR(r.body, "a");
	resp_free(&r);
	cli_close(&c);
	ERROR_THEN_NOTHING(
		s.port,
		POST_CHUNKED(
			"/") "1\r\na\r\n0\r\nX-T: "
			     "012345678901234567890123456789012345678901234567890123456\r\n\r\n",
		431, "Request Header Fields Too Large");
	/* Four chunks are fine, five over --max-chunks 4. */
	cli_open(&c, s.port);
	cli_send_str(&c, POST_CHUNKED("/") "1\r\na\r\n1\r\nb\r\n1\r\nc\r\n1\r\nd\r\n0\r\n\r\n");
	read_resp(&c, &r);
	CHECK_STR(r.body, "abcd");
	resp_free(&r);
	cli_close(&c);
	ERROR_THEN_NOTHING(
		s.port,
		POST_CHUNKED("/") "1\r\na\r\n1\r\nb\r\n1\r\nc\r\n1\r\nd\r\n1\r\ne\r\n0\r\n\r\n",
		413, "Content Too Large");
	srv_stop(&s);
	/* --max-chunk-line 16: 16 bytes of size and extension pass, 17 not. */
	static const char *const args2[] = { "--max-chunk-line", "16", 0 };
	srv_start(&s, bin, args2);
	cli_open(&c, s.port);
	cli_send_str(&c, POST_CHUNKED("/") "1;aaaaaaaaaaaaaa\r\na\r\n0\r\n\r\n");
	read_resp(&c, &r);
	CHECK_STR(r.body, "a");
	resp_free(&r);
	cli_close(&c);
	ERROR_THEN_NOTHING(s.port, POST_CHUNKED("/") "1;aaaaaaaaaaaaaaa\r\na\r\n0\r\n\r\n", 400,
			   "Bad Request");
	srv_stop(&s);
}

/* --body-timeout bounds the whole body, however steadily it trickles:
 * one byte every 300 ms (well within --idle-timeout) gets 408 after 1 s. */
SERVER_TEST(slow_body_gets_408_at_the_body_timeout, 30)
{
	static const char *const args[] = { "--body-timeout", "1", "--idle-timeout", "3", 0 };
	struct srv s;
	srv_start(&s, bin, args);
	struct cli c;
	cli_open(&c, s.port);
	cli_send_str(&c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n");
	double t0 = now_ms();
	while (!cli_fill(&c, 300)) {
		CHECK_MSG(now_ms() - t0 < 5000, "no answer to a slow body after 5 s");
		cli_send_str(&c, "a");
	}
	double dt = now_ms() - t0;
	expect_error_close(&c, 408, "Request Timeout", 2000);
	CHECK_MSG(dt >= 1000 && dt < 1600, "408 after %.0f ms", dt);
	cli_close(&c);
	srv_stop(&s);
}

/* Requests pipelined behind an answer the client does not read are not
 * buffered without bound: the server stops reading (--recv-share), so
 * the client's sends stall long before 64 MiB are taken; once it reads,
 * every request is answered in order. */
SERVER_TEST(pipeline_behind_an_unread_answer_stops_the_reader, 60)
{
	static const char *const args[] = { "--recv-share", "4", 0 };
	struct srv s;
	srv_start(&s, bin, args);
	struct cli c;
	cli_open(&c, s.port);
	static const char one[] = GET("/plaintext");
	size_t sent = 0;
	double t0 = now_ms();
	/* Send without reading until the kernel takes nothing for 300 ms. */
	char block[64 * (sizeof(one) - 1)];
	for (int i = 0; i < 64; i++)
		memcpy(block + i * (sizeof(one) - 1), one, sizeof(one) - 1);
	double idle_since = now_ms();
	while (now_ms() - idle_since < 300 && sent < (64u << 20)) {
		size_t at = sent % sizeof(block);
		ssize_t k = send(c.fd, block + at, sizeof(block) - at, MSG_NOSIGNAL);
		if (k > 0) {
			sent += (size_t)k;
			idle_since = now_ms();
		} else {
			usleep(10000);
		}
		CHECK_MSG(now_ms() - t0 < 20000, "still sending after 20 s");
	}
	fprintf(stderr, "  the reader stopped after %zu bytes of requests\n", sent);
	CHECK_MSG(sent < (16u << 20), "the server took %zu bytes of requests unread", sent);
	/* Whole requests only from here on: finish the one cut off. */
	size_t part = sent % (sizeof(one) - 1);
	if (part)
		cli_send(&c, one + part, sizeof(one) - 1 - part);
	size_t nreq = (sent + sizeof(one) - 2) / (sizeof(one) - 1);
	for (size_t i = 0; i < nreq; i++) {
		struct resp r;
		read_resp(&c, &r);
		CHECK_MSG(r.status == 200 && !strcmp(r.body, "Hello, World!"),
			  "answer %zu of %zu: %s", i, nreq, r.raw);
		resp_free(&r);
		if (c.off > (1u << 20)) { /* keep the buffer small */
			memmove(c.buf, c.buf + c.off, c.len - c.off);
			c.len -= c.off;
			c.off = 0;
		}
	}
	expect_quiet(&c, 50);
	cli_close(&c);
	srv_stop(&s);
}

SERVER_TEST(help_names_every_limit, 10)
{
	static const char *const flags[] = {
		"--max-request-line", "--max-field",      "--max-head",       "--max-headers",
		"--max-chunk-line",   "--max-trailers",   "--max-chunks",     "--max-body",
		"--max-body-buffer",  "--recv-share",     "--header-timeout", "--body-timeout",
		"--idle-timeout",     "--linger-timeout",
	};
	static const char *const args[] = { "--help", 0 };
	struct proc p;
	proc_spawn(&p, bin, args, 0, 0, 0);
	int st = proc_wait(&p, 10);
	if (st == -1)
		proc_kill(&p);
	char *help = proc_slurp(p.out);
	proc_cleanup(&p);
	CHECK_MSG(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "--help: status %d", st);
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		char want[64];
		snprintf(want, sizeof(want), "  %s ", flags[i]);
		CHECK_MSG(strstr(help, want), "--help does not name %s", flags[i]);
	}
	free(help);
}

/* ---- 3. versions ----------------------------------------------------------------- */

SERVER_TEST(versions_1x_as_11_and_2_or_more_505, 30)
{
	struct srv s;
	srv_start(&s, bin, 0);
	struct cli c;
	/* HTTP/1.2 and 1.9 are answered as 1.1 (RFC 9110 §2.5): kept alive. */
	cli_open(&c, s.port);
	cli_send_str(&c, "GET /plaintext HTTP/1.2\r\nHost: x\r\n\r\nGET /plaintext "
			 "HTTP/1.9\r\nHost: x\r\n\r\n");
	for (int i = 0; i < 2; i++) {
		expect_resp(&c, PLAINTEXT_RESP);
	}
	expect_quiet(&c, 50);
	cli_close(&c);
	ERROR_THEN_NOTHING(s.port, "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505,
			   "HTTP Version Not Supported");
	ERROR_THEN_NOTHING(s.port, "GET / HTTP/3.0\r\nHost: x\r\n\r\n", 505,
			   "HTTP Version Not Supported");
	ERROR_THEN_NOTHING(s.port, "GET / HTTP/0.9\r\nHost: x\r\n\r\n", 505,
			   "HTTP Version Not Supported");
	ERROR_THEN_NOTHING(s.port, "GET / HTTP/1.10\r\nHost: x\r\n\r\n", 400, "Bad Request");
	/* The HTTP/2 connection preface: 505 at its first line, never a hang. */
	double t0 = now_ms();
	ERROR_THEN_NOTHING(s.port, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505,
			   "HTTP Version Not Supported");
	CHECK_MSG(now_ms() - t0 < 1000, "preface answered after %.0f ms", now_ms() - t0);
	srv_stop(&s);
}

/* ---- 4. normalized paths ---------------------------------------------------------- */

SERVER_TEST(paths_are_normalized_before_routing, 30)
{
	static const char *const same[] = {
		GET("/%70laintext"),
		GET("/x/../plaintext"),
		GET("/./plaintext"),
		GET("//plaintext"),
		GET("/a/b/../../plaintext"),
		GET("/../plaintext"),
		GET("/%2e%2E/plaintext"),
		GET("/plain%74ext?q=%zz"),
		"GET http://x/%70laintext HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET HTTPS://x:8443/x/../plaintext?a HTTP/1.1\r\nHost: x\r\n\r\n",
	};
	struct srv s;
	srv_start(&s, bin, 0);
	struct cli c;
	struct resp r;
	cli_open(&c, s.port);
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		cli_send_str(&c, same[i]);
		read_resp(&c, &r);
		CHECK_MSG(r.status == 200 && !strcmp(r.body, "Hello, World!"), "%s: %s", same[i],
			  r.raw);
		check_bytes(&r, PLAINTEXT_RESP);
		resp_free(&r);
	}
	/* Absolute-form is routed by its path: "http://a?/plaintext" is the
	 * path "/" with the query "/plaintext". */
	exchange(&c, "GET http://a?/plaintext HTTP/1.1\r\nHost: a\r\n\r\n", ROOT_RESP);
	expect_quiet(&c, 50);
	cli_close(&c);
	static const char *const bad[] = {
		GET("/%zz"),
		GET("/%4"),
		GET("/pl%00aintext"),
		GET("/a%2fb"),
		GET("/a%5cb"),
		GET("/a\\b"),
		GET("/a#b"),
		"GET http:/plaintext HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET x:/plaintext HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET ftp://x/plaintext HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET http:///plaintext HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /plaintext HTTP/1.1\r\n\r\n",                       /* no Host */
		"GET /plaintext HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", /* two */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fprintf(stderr, "  %.40s\n", bad[i]);
		error_then_nothing(s.port, bad[i], strlen(bad[i]), 400, "Bad Request");
	}
	srv_stop(&s);
}

/* ---- 5. what the hostile-client run found ----------------------------------------- */

/* Flag values whose per-reactor sizes passed 4 GiB wrapped in 32 bits:
 * the areas of split heads and bodies overlapped connection state. Now
 * the server either serves them right or refuses to start naming the
 * flags; here it serves. */
SERVER_TEST(huge_limits_do_not_wrap_sizes, 120)
{
	static const char *const combos[][10] = {
		{ "--max-head", "262144", "--reactors", "2", 0 },
		{ "--max-conns", "262144", "--reactors", "2", 0 },
		{ "--max-conns", "65536", "--max-head", "65536", "--reactors", "2", 0 },
		/* a body area of 4 GiB - 1: aligned in 32 bits it was 0 */
		{ "--max-body", "4294967295", "--max-body-buffer", "4294967295", "--body-buffers",
		  "4", "--reactors", "1", 0 },
	};
	for (size_t k = 0; k < 4; k++) {
		struct srv s;
		srv_start(&s, bin, combos[k]);
		/* Heads split across receive buffers on several connections at
		 * once, and bodies gathered whole. */
		struct cli c[4];
		char big[6000];
		memset(big, 'h', sizeof(big) - 1);
		big[sizeof(big) - 1] = 0;
		char *req = malloc(20000);
		int n = sprintf(req,
				"POST /echo HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\nContent-Length: "
				"5\r\n\r\nhello"
				"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9000\r\n\r\n",
				big);
		for (int i = 0; i < 4; i++)
			cli_open(&c[i], s.port);
		for (int i = 0; i < 4; i++) {
			cli_send(&c[i], req, 1000);
			usleep(2000);
		}
		/* Each connection's body its own bytes, all gathered at once. */
		char body[4][9000];
		for (int i = 0; i < 4; i++) {
			memset(body[i], 'a' + i, sizeof(body[i]));
			cli_send(&c[i], req + 1000, (size_t)n - 1000);
			cli_send(&c[i], body[i], 4500);
		}
		for (int i = 0; i < 4; i++)
			cli_send(&c[i], body[i] + 4500, 4500);
		for (int i = 0; i < 4; i++) {
			struct resp r;
			read_resp(&c[i], &r);
			CHECK_EQ(r.status, 200);
			CHECK_EQ(r.body_len,
				 strlen("Host: x\nX-Big: \nContent-Length: 5\n") + strlen(big));
			resp_free(&r);
			read_resp(&c[i], &r);
			CHECK_EQ(r.status, 200);
			CHECK_EQ(r.body_len, 9000);
			CHECK_MSG(!memcmp(r.body, body[i], 9000), "connection %d: another's body",
				  i);
			resp_free(&r);
			cli_close(&c[i]);
		}
		free(req);
		srv_stop(&s);
	}
}

/* An impossible combination is refused at start-up, naming the flags:
 * the send chunks cannot hold one answer's reserve. */
SERVER_TEST(impossible_flag_combination_refused_naming_the_flags, 30)
{
	static const char *const args[] = { "--bind",      "127.0.0.1", "--port", "0",
					    "--max-conns", "1",         0 };
	char line[512];
	int st = proc_run(bin, args, 0, 0, 0, line, sizeof(line));
	CHECK_MSG(st == 1, "exit status %d: %s", st, line);
	CHECK_MSG(strstr(line, "--send-chunks") && strstr(line, "--send-buffer") &&
			  strstr(line, "--max-head"),
		  "message: %s", line);
	static const char *const args2[] = {
		"--bind", "127.0.0.1",     "--port", "0", "--send-chunks",
		"1",      "--send-buffer", "8192",   0
	};
	st = proc_run(bin, args2, 0, 0, 0, line, sizeof(line));
	CHECK_MSG(st == 1, "exit status %d: %s", st, line);
	CHECK_MSG(strstr(line, "--send-chunks 1") && strstr(line, "--send-buffer 8192"),
		  "message: %s", line);
}

/* Send chunks scarcer than connections (here 2 for 8): a writer woken for
 * any free space while it needs a head's reserve used to ask again at
 * once, for ever, inside one batch - the reactor spun, served nobody and
 * ignored SIGTERM. Now it waits until half its window is free. */
SERVER_TEST(scarce_send_chunks_do_not_livelock_the_reactor, 30)
{
	static const char *const args[] = { "--send-chunks", "2", "--reactors", "1", 0 };
	struct srv s;
	srv_start(&s, bin, args);
	struct cli c[8];
	for (int i = 0; i < 8; i++)
		cli_open(&c[i], s.port);
	for (int round = 0; round < 20; round++) {
		for (int i = 0; i < 8; i++)
			cli_send_str(&c[i], GET("/plaintext") GET("/json") GET("/plaintext"));
		for (int i = 0; i < 8; i++) {
			for (int k = 0; k < 3; k++) {
				struct resp r;
				read_resp(&c[i], &r);
				CHECK_EQ(r.status, 200);
				resp_free(&r);
			}
		}
	}
	for (int i = 0; i < 8; i++)
		cli_close(&c[i]);
	srv_stop(&s);
}

/* Send n bytes of pattern on a non-blocking fd, without reading, until
 * all are taken or nothing is for 300 ms. Returns the bytes sent. */
static size_t send_unread(int fd, const char *head, size_t n)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	CHECK(send(fd, head, strlen(head), MSG_NOSIGNAL) == (ssize_t)strlen(head));
	static char block[65536];
	for (size_t i = 0; i < sizeof(block); i++)
		block[i] = (char)pattern(i);
	size_t sent = 0;
	double idle_since = now_ms();
	while (sent < n && now_ms() - idle_since < 300) {
		size_t k = RK_MIN(n - sent, sizeof(block));
		ssize_t w = send(fd, block, k, MSG_NOSIGNAL);
		if (w > 0) {
			sent += (size_t)w;
			idle_since = now_ms();
		} else {
			usleep(5000);
		}
	}
	return sent;
}

/* One slot, a 16 MiB window and a 1 s linger: the two tests of a closing
 * connection that never reads share them. */
static const char *const linger_args[] = { "--max-conns",
					   "1",
					   "--send-chunks",
					   "1100",
					   "--send-window",
					   "16777216",
					   "--reactors",
					   "1",
					   "--linger-timeout",
					   "1",
					   0 };

/* A connection closing with an answer its peer does not read is aborted
 * after --linger-timeout: with --max-conns 1 the next client gets the
 * slot. The answer: an 8 MiB echo with Connection: close, queued whole
 * (--send-window 16 MiB) for a peer with a 2 KiB window - more than the
 * kernel's 4 MiB of send buffer holds. */
SERVER_TEST(closing_connection_times_out, 30)
{
	const char *const *args = linger_args;
	struct srv s;
	srv_start(&s, bin, args);
	int fd = tcp_connect_rcvbuf(s.port, 2048);
	size_t n = 8u << 20;
	size_t sent = send_unread(fd,
				  "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
				  "Content-Length: 8388608\r\n\r\n",
				  n);
	CHECK_EQ(sent, n);
	double t0 = now_ms();
	/* Closing, stuck: the slot is taken, a new client is turned away. */
	struct cli c;
	cli_open(&c, s.port);
	cli_send_str(&c, GET("/plaintext"));
	CHECK_MSG(!cli_fill(&c, 300) || c.eof || c.err, "a second client was served");
	cli_close(&c);
	/* After the linger timeout the slot is free again. */
	usleep((useconds_t)(t0 + 1700 - now_ms()) * 1000);
	one_shot_bytes(s.port, GET("/plaintext"), PLAINTEXT_RESP);
	close(fd);
	srv_stop(&s);
}

/* A client that half-closes after its request and never reads the answer:
 * the engine's close (on the peer's EOF) is bounded by --linger-timeout
 * too, and the slot comes free. */
SERVER_TEST(half_closed_client_that_never_reads_times_out, 30)
{
	const char *const *args = linger_args;
	struct srv s;
	srv_start(&s, bin, args);
	int fd = tcp_connect_rcvbuf(s.port, 2048);
	size_t n = 8u << 20;
	CHECK_EQ(
		send_unread(fd, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 8388608\r\n\r\n", n),
		n);
	shutdown(fd, SHUT_WR);
	double t0 = now_ms();
	usleep((useconds_t)(t0 + 1700 - now_ms()) * 1000);
	one_shot_bytes(s.port, GET("/plaintext"), PLAINTEXT_RESP);
	close(fd);
	srv_stop(&s);
}

/* Staged close (RFC 9112 §9.6): 1000 pipelined GETs, a bad request and more
 * bytes behind it. Every answer arrives, the 400 last, then a clean EOF -
 * the unread bytes do not make the kernel reset the connection. */
SERVER_TEST(answers_before_an_error_are_not_lost_to_a_reset, 60)
{
	struct srv s;
	srv_start(&s, bin, 0);
	for (int round = 0; round < 3; round++) {
		/* A small receive window keeps answers queued in the server's
		 * kernel until the client reads them: a reset would drop them. */
		struct cli c;
		memset(&c, 0, sizeof(c));
		c.fd = tcp_connect_rcvbuf(s.port, 4096);
		fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) | O_NONBLOCK);
		c.cap = 1 << 16;
		c.buf = malloc(c.cap);
		size_t cap = 1000 * 40 + (4u << 20), len = 0;
		char *all = malloc(cap);
		for (int i = 0; i < 1000; i++)
			len += (size_t)sprintf(all + len, GET("/plaintext"));
		len += (size_t)sprintf(all + len, "GET / HTTP/1.1\r\n\r\n"); /* no Host: 400 */
		while (len < cap - 100)
			len += (size_t)sprintf(all + len, GET("/json"));
		/* Send it all while reading (a send may fail only once the
		 * server has stopped reading: then go on to read). */
		size_t off = 0;
		while (off < len && !c.err && !c.eof) {
			struct pollfd pf = { c.fd, POLLIN | POLLOUT, 0 };
			poll(&pf, 1, 1000);
			if (pf.revents & POLLIN)
				cli_recv(&c);
			if (!(pf.revents & POLLOUT))
				continue;
			ssize_t k = send(c.fd, all + off, len - off, MSG_NOSIGNAL);
			if (k > 0)
				off += (size_t)k;
			else if (errno != EAGAIN && errno != EINTR)
				break;
		}
		free(all);
		int got = 0;
		for (; got < 1000; got++) {
			struct resp r;
			while (!resp_parse(&c, &r, false)) {
				CHECK_MSG(!c.eof && !c.err, "%s after %d answers",
					  c.err ? strerror(c.err) : "EOF", got);
				CHECK_MSG(cli_fill(&c, 5000), "stalled after %d answers", got);
			}
			CHECK_MSG(r.status == 200, "answer %d: %d", got, r.status);
			resp_free(&r);
		}
		expect_error_close(&c, 400, "Bad Request", 3000);
		cli_close(&c);
	}
	srv_stop(&s);
}

/* Deadlines come from a monotonic clock read when they are set and are
 * checked at sub-second resolution: none fires early. Five connections
 * 150 ms apart, each with a head left unfinished, get their 408 no sooner
 * than 1 s after they connected, and no later than 1.4 s. */
SERVER_TEST(timeouts_never_fire_early, 60)
{
	static const char *const args[] = { "--header-timeout", "1", "--idle-timeout", "1", 0 };
	struct srv s;
	srv_start(&s, bin, args);
	struct cli c[5];
	double t[5], at[5] = { 0 };
	for (int i = 0; i < 5; i++) {
		t[i] = now_ms();
		cli_open(&c[i], s.port);
		cli_send_str(&c[i], "GET / HTTP/1.1\r\n");
		usleep(150 * 1000);
	}
	/* The moment each connection ends, all watched at once. */
	for (int left = 5; left;) {
		struct pollfd pf[5];
		for (int i = 0; i < 5; i++)
			pf[i] = (struct pollfd){ at[i] ? -1 : c[i].fd, POLLIN, 0 };
		CHECK_MSG(poll(pf, 5, 3000) > 0, "%d connections still open", left);
		for (int i = 0; i < 5; i++) {
			if (!pf[i].revents)
				continue;
			cli_recv(&c[i]);
			if (c[i].eof || c[i].err) {
				at[i] = now_ms();
				left--;
			}
		}
	}
	for (int i = 0; i < 5; i++) {
		double dt = at[i] - t[i];
		CHECK_MSG(!strncmp(c[i].buf, "HTTP/1.1 408 ", 13), "connection %d got %.40s", i,
			  c[i].buf);
		CHECK_MSG(dt >= 1000 && dt < 1400,
			  "connection %d: 408 + close %.0f ms after connect", i, dt);
		cli_close(&c[i]);
	}
	/* The idle timeout after an answer: no sooner than 1 s either. */
	struct resp r;
	struct cli k;
	cli_open(&k, s.port);
	cli_send_str(&k, GET("/plaintext"));
	read_resp(&k, &r);
	resp_free(&r);
	double t0 = now_ms();
	expect_eof(&k, 3000);
	double dt = now_ms() - t0;
	CHECK_MSG(dt >= 1000 && dt < 1400, "idle close after %.0f ms", dt);
	cli_close(&k);
	srv_stop(&s);
}

/* SIGTERM: answers in flight get the grace of 1 s (a peer that does not
 * read is then cut off), no less: a 256 MiB file whose client stopped
 * reading after the first bytes. The answer cannot drain into the socket
 * buffers whatever the timing (an echo of a stalled upload could: what it
 * had queued fits the kernel's send buffer when the machine is busy). */
SERVER_TEST(stop_grace_is_never_short, 60)
{
	char dir[] = "/tmp/rocket-grace-XXXXXX", path[64];
	CHECK(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/big", dir);
	int ffd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	CHECK(ffd >= 0 && ftruncate(ffd, 256 << 20) == 0); /* sparse: no disk */
	close(ffd);
	const char *args[] = { "--root", dir, 0 };
	for (int round = 0; round < 4; round++) {
		struct srv s;
		srv_start(&s, bin, args);
		int fd = tcp_connect_rcvbuf(s.port, 2048);
		const char *get = "GET /big HTTP/1.1\r\nHost: x\r\n\r\n";
		CHECK(send(fd, get, strlen(get), MSG_NOSIGNAL) == (ssize_t)strlen(get));
		/* The answer has begun: its status line is in our window. */
		char peek[13] = { 0 };
		struct pollfd pf = { fd, POLLIN, 0 };
		CHECK_MSG(poll(&pf, 1, 5000) == 1 && recv(fd, peek, 12, MSG_PEEK) == 12 &&
				  !memcmp(peek, "HTTP/1.1 200", 12),
			  "no answer begun: %.12s", peek);
		usleep((useconds_t)(round * 230) * 1000);
		double t0 = now_ms();
		srv_stop(&s);
		double dt = now_ms() - t0;
		CHECK_MSG(dt >= 1000 && dt < 1500, "stopped %.0f ms after SIGTERM", dt);
		close(fd);
	}
	unlink(path);
	rmdir(dir);
}

/* Input that is not HTTP is refused at its first byte: 400 and close, or
 * for a TLS record (a ClientHello on the plain port) a close without an
 * answer a TLS client could not read anyway. */
SERVER_TEST(not_http_is_refused_at_the_first_byte, 30)
{
	struct srv s;
	srv_start(&s, bin, 0);
	static const char hello[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";
	struct cli c;
	cli_open(&c, s.port);
	double t0 = now_ms();
	cli_send(&c, hello, sizeof(hello) - 1);
	expect_eof(&c, 1000);
	CHECK_EQ(c.len, 0);
	CHECK_MSG(now_ms() - t0 < 500, "closed after %.0f ms", now_ms() - t0);
	cli_close(&c);
	t0 = now_ms();
	ERROR_THEN_NOTHING(s.port, "\x01\x02\x03\x04", 400, "Bad Request");
	ERROR_THEN_NOTHING(s.port, "\x80GET / HTTP/1.1\r\n", 400, "Bad Request");
	CHECK_MSG(now_ms() - t0 < 1000, "answered after %.0f ms", now_ms() - t0);
	srv_stop(&s);
}

/* ---- 6. 100-continue only for a route that reads the body ------------------------------ */

SERVER_TEST(expect_100_only_when_the_route_reads_the_body, 30)
{
	static const char *const args[] = { "--max-body", "1000", 0 };
	struct srv s;
	srv_start(&s, bin, args);
	struct cli c;
	/* 404 and 405 directly, no 100 first; the body the client holds back
	 * is not waited for: the connection closes. */
	answer_then_close(
		s.port,
		"POST /nope HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: "
		"10\r\n\r\n",
		"HTTP/1.1 404 Not Found\r\nServer: rocket\r\nDate: @DATE@\r\n"
		"Content-Type: text/plain\r\nContent-Length: 14\r\nConnection: close\r\n\r\n"
		"404 Not Found\n");
	answer_then_close(
		s.port,
		"PUT / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n",
		"HTTP/1.1 405 Method Not Allowed\r\nServer: rocket\r\nDate: @DATE@\r\n"
		"Content-Type: text/plain\r\nContent-Length: 23\r\n"
		"Allow: GET, HEAD, POST, OPTIONS\r\nConnection: close\r\n\r\n"
		"405 Method Not Allowed\n");
	/* 413 directly. */
	ERROR_THEN_NOTHING(s.port,
			   "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: "
			   "1001\r\n\r\n",
			   413, "Content Too Large");
	/* Without Expect a 404's body is read and dropped: the connection
	 * goes on. */
	cli_open(&c, s.port);
	exchange(&c,
		 "POST /nope HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" GET("/json"),
		 NOTFOUND_RESP);
	expect_resp(&c, JSON_RESP);
	cli_close(&c);
	/* The echo reads its body: 100, then nothing until the body is in. */
	cli_open(&c, s.port);
	cli_send_str(
		&c,
		"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n");
	expect_100_continue(&c);
	expect_quiet(&c, 200);
	exchange(&c, "hello world", ECHO_RESP(11) "hello world");
	cli_close(&c);
	srv_stop(&s);
}
