/* tests/wire.h - raw loopback HTTP clients for a server binary run as a
 * child process (started and stopped through tests/proc.h; stop checks
 * exit 0 and no sanitizer report): send bytes, read whole responses
 * (Content-Length or chunked), compare them byte for byte (the Date value
 * checked, then substituted), one exchange in a line. Shared by
 * tests/test_http_server.c and tests/test_http_hardening.c.
 */
#ifndef ROCKET_TEST_WIRE_H
#define ROCKET_TEST_WIRE_H

#include "engine_mode.h"
#include "harness.h"
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RK_MIN(a, b) ((a) < (b) ? (a) : (b))
#define CHECK_STR(got, want)                                                                       \
	do {                                                                                       \
		const char *th_g = (got), *th_w = (want);                                          \
		CHECK_MSG(th_g && !strcmp(th_g, th_w), "%s is \"%s\", expected \"%s\"", #got,      \
			  th_g ? th_g : "(none)", th_w);                                           \
	} while (0)

/* ---- the server under test ---------------------------------------------- */

/* Started and stopped through tests/proc.h: its stderr (the log) in p.err. */
struct srv {
	const char *bin;
	struct proc p;
	int port;
};

static inline double now_ms(void)
{
	return proc_now() * 1e3;
}

/* Start bin --bind 127.0.0.1 --port 0 [args...] (NULL-terminated); wait for its start line. */
static inline void srv_start(struct srv *s, const char *bin, const char *const *args)
{
	const char *argv[32] = { "--bind", "127.0.0.1", "--port", "0" };
	int argc = 4;
	for (const char *const *m = test_mode_flags(); *m; m++) /* tests/engine_mode.h */
		argv[argc++] = *m;
	for (; args && *args && argc < 31; args++)
		argv[argc++] = *args;
	argv[argc] = 0;
	s->bin = bin;
	s->port = proc_start_banner(&s->p, bin, argv);
}

/* SIGTERM; the server must exit 0 within 5 s with no sanitizer report. */
static inline void srv_stop(struct srv *s)
{
	kill(s->p.pid, SIGTERM);
	int st = proc_wait(&s->p, 5);
	if (st == -1)
		proc_kill(&s->p);
	char *log = proc_slurp(s->p.err);
	proc_cleanup(&s->p);
	CHECK_MSG(st != -1, "%s did not stop on SIGTERM", s->bin);
	proc_check_clean(log);
	CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: status 0x%x, log: %s", s->bin, st,
		  log);
	free(log);
}

/* SERVER_TEST(name, secs) { ... uses `bin` ... } defines name__san and
 * name__static: the same body against each server binary. */
#define SERVER_TEST(name, secs)                                                                    \
	static void body_##name(const char *bin);                                                  \
	TEST_T(name##__san, secs)                                                                  \
	{                                                                                          \
		body_##name(proc_bin_hosted());                                                    \
	}                                                                                          \
	TEST_T(name##__static, secs)                                                               \
	{                                                                                          \
		if (proc_bin_static())                                                             \
			body_##name(proc_bin_static());                                            \
		else                                                                               \
			fprintf(stderr, "  ROCKET_STATIC unset: skipped\n");                       \
	}                                                                                          \
	static void body_##name(const char *bin)

/* ---- a client connection --------------------------------------------------- */

struct cli {
	int fd;
	char *buf;
	size_t len, cap, off; /* received bytes; off = parsed so far */
	bool eof;
	int err; /* errno of a failed recv (ECONNRESET) */
};

/* A non-blocking TCP_NODELAY connection to 127.0.0.1:port. */
static inline int wire_connect(int port)
{
	int fd = tcp_connect(NULL, port);
	CHECK_MSG(fd >= 0, "connect: %s", strerror(errno));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

static inline void cli_open(struct cli *c, int port)
{
	memset(c, 0, sizeof(*c));
	c->fd = wire_connect(port);
	c->cap = 1 << 16;
	c->buf = malloc(c->cap);
	CHECK(c->buf);
}

static inline void cli_close(struct cli *c)
{
	close(c->fd);
	free(c->buf);
}

/* Receive what is there now (the socket is non-blocking). */
static inline void cli_recv(struct cli *c)
{
	for (;;) {
		if (c->cap - c->len < 65536) {
			c->cap *= 2;
			c->buf = realloc(c->buf, c->cap);
			CHECK(c->buf);
		}
		ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (n > 0) {
			c->len += (size_t)n;
			continue;
		}
		if (n == 0)
			c->eof = true;
		else if (errno != EAGAIN && errno != EINTR)
			c->err = errno;
		return;
	}
}

/* Wait up to timeout_ms for more bytes (or EOF). False on timeout. */
static inline bool cli_fill(struct cli *c, int timeout_ms)
{
	size_t had = c->len;
	double end = now_ms() + timeout_ms;
	while (c->len == had && !c->eof && !c->err) {
		int left = (int)(end - now_ms());
		if (left <= 0)
			return false;
		struct pollfd p = { c->fd, POLLIN, 0 };
		poll(&p, 1, left);
		cli_recv(c);
	}
	return true;
}

/* Send all of p, reading whatever arrives meanwhile (so a server that
 * answers while the request is still being sent cannot deadlock us). */
static inline void cli_send(struct cli *c, const void *p, size_t n)
{
	const char *s = p;
	double end = now_ms() + 20000;
	while (n) {
		struct pollfd pf = { c->fd, POLLIN | POLLOUT, 0 };
		CHECK_MSG(poll(&pf, 1, 1000) >= 0, "poll: %s", strerror(errno));
		CHECK_MSG(now_ms() < end, "send stalled with %zu bytes left", n);
		if (pf.revents & (POLLIN | POLLHUP | POLLERR))
			cli_recv(c);
		if (pf.revents & POLLOUT) {
			ssize_t k = send(c->fd, s, n, MSG_NOSIGNAL);
			if (k < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			CHECK_MSG(k > 0, "send: %s", strerror(errno));
			s += k;
			n -= (size_t)k;
		}
	}
}

static inline void cli_send_str(struct cli *c, const char *s)
{
	cli_send(c, s, strlen(s));
}

/* ---- responses --------------------------------------------------------------- */

struct resp {
	int status;
	char *raw; /* the whole response as received (NUL-terminated) */
	size_t raw_len;
	size_t head_len; /* status line + fields + CRLFCRLF */
	char *body;      /* decoded body (NUL-terminated) */
	size_t body_len;
	bool chunked;
};

static inline void resp_free(struct resp *r)
{
	free(r->raw);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/* The value of header `name` in head[0..n), or NULL. Four rotating buffers. */
static inline const char *head_field(const char *head, size_t n, const char *name)
{
	static char vals[4][512];
	static int k;
	size_t nl = strlen(name);
	const char *p = memmem(head, n, "\r\n", 2), *end = head + n;
	while (p && p + 2 < end) {
		p += 2;
		const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		if (!eol || eol == p)
			break;
		if ((size_t)(eol - p) > nl && p[nl] == ':' && !strncasecmp(p, name, nl)) {
			const char *v = p + nl + 1;
			while (*v == ' ')
				v++;
			char *out = vals[k++ & 3];
			snprintf(out, sizeof(vals[0]), "%.*s", (int)(eol - v), v);
			return out;
		}
		p = eol;
	}
	return 0;
}

static inline const char *hdr(const struct resp *r, const char *name)
{
	return head_field(r->raw, r->head_len, name);
}

/* Parse one response at c->buf + c->off. 1: parsed (off advanced),
 * 0: incomplete. A malformed response fails the test. */
static inline int resp_parse(struct cli *c, struct resp *r, bool no_body)
{
	const char *b = c->buf + c->off;
	size_t n = c->len - c->off;
	const char *e = memmem(b, n, "\r\n\r\n", 4);
	if (!e)
		return 0;
	size_t hl = (size_t)(e - b) + 4;
	CHECK_MSG(n >= 13 && !memcmp(b, "HTTP/1.1 ", 9), "not a response: %.*s",
		  (int)RK_MIN(n, 200), b);
	int status = atoi(b + 9);
	const char *cl = head_field(b, hl, "Content-Length");
	const char *te = head_field(b, hl, "Transfer-Encoding");
	size_t total = hl;
	char *body = 0;
	size_t blen = 0;
	bool chunked = false;
	if (no_body || status < 200 || status == 204 || status == 304) {
		body = strdup("");
	} else if (te) {
		CHECK_MSG(!strcmp(te, "chunked") && !cl, "framing: te=%s cl=%s", te, cl ? cl : "-");
		chunked = true;
		size_t pos = hl, cap = 1024;
		body = malloc(cap);
		for (;;) {
			const char *le = memmem(b + pos, n - pos, "\r\n", 2);
			if (!le) {
				free(body);
				return 0;
			}
			char *xe;
			unsigned long sz = strtoul(b + pos, &xe, 16);
			CHECK_MSG(xe > b + pos && (*xe == '\r' || *xe == ';'), "bad chunk line");
			pos = (size_t)(le - b) + 2;
			if (sz == 0) { /* trailers, then the empty line */
				for (;;) {
					le = memmem(b + pos, n - pos, "\r\n", 2);
					if (!le) {
						free(body);
						return 0;
					}
					bool empty = le == b + pos;
					pos = (size_t)(le - b) + 2;
					if (empty)
						break;
				}
				break;
			}
			if (n - pos < sz + 2) {
				free(body);
				return 0;
			}
			CHECK_MSG(!memcmp(b + pos + sz, "\r\n", 2),
				  "chunk data not followed by CRLF");
			while (blen + sz + 1 > cap)
				body = realloc(body, cap *= 2);
			memcpy(body + blen, b + pos, sz);
			blen += sz;
			pos += sz + 2;
		}
		body[blen] = 0;
		total = pos;
	} else {
		CHECK_MSG(cl, "response without framing: %.*s", (int)hl, b);
		blen = strtoull(cl, 0, 10);
		if (n - hl < blen)
			return 0;
		body = malloc(blen + 1);
		memcpy(body, b + hl, blen);
		body[blen] = 0;
		total = hl + blen;
	}
	r->status = status;
	r->raw = malloc(total + 1);
	memcpy(r->raw, b, total);
	r->raw[total] = 0;
	r->raw_len = total;
	r->head_len = hl;
	r->body = body;
	r->body_len = blen;
	r->chunked = chunked;
	c->off += total;
	return 1;
}

/* Read one whole response within timeout_ms; fail on EOF or timeout. */
static inline void read_resp_t(struct cli *c, struct resp *r, bool no_body, int timeout_ms)
{
	double end = now_ms() + timeout_ms;
	while (!resp_parse(c, r, no_body)) {
		CHECK_MSG(!c->eof && !c->err,
			  "connection ended (%s) before a whole response; got: %.*s",
			  c->err ? strerror(c->err) : "EOF", (int)RK_MIN(c->len - c->off, 300),
			  c->buf + c->off);
		int left = (int)(end - now_ms());
		CHECK_MSG(left > 0 && cli_fill(c, left), "no whole response in %d ms; got: %.*s",
			  timeout_ms, (int)RK_MIN(c->len - c->off, 300), c->buf + c->off);
	}
}
#define read_resp(c, r) read_resp_t(c, r, false, 5000)

/* After the last response: the server closes (read returns 0), sending
 * nothing more. */
static inline void expect_eof(struct cli *c, int timeout_ms)
{
	double end = now_ms() + timeout_ms;
	while (!c->eof && !c->err) {
		int left = (int)(end - now_ms());
		CHECK_MSG(left > 0, "connection still open after %d ms", timeout_ms);
		cli_fill(c, left);
	}
	CHECK_MSG(!c->err, "connection reset (%s) instead of a clean close", strerror(c->err));
	CHECK_MSG(c->len == c->off, "unexpected bytes before EOF: %.*s", (int)(c->len - c->off),
		  c->buf + c->off);
}

/* The connection is still open and nothing more arrives within ms. */
static inline void expect_quiet(struct cli *c, int ms)
{
	cli_fill(c, ms);
	CHECK_MSG(!c->eof && !c->err, "connection closed");
	CHECK_MSG(c->len == c->off, "unexpected bytes: %.*s", (int)(c->len - c->off),
		  c->buf + c->off);
}

/* One request on a fresh connection; returns its response. */
static inline void one_shot(int port, const char *req, struct resp *r, bool no_body)
{
	struct cli c;
	cli_open(&c, port);
	cli_send_str(&c, req);
	read_resp_t(&c, r, no_body, 5000);
	cli_close(&c);
}

/* Date: IMF-fixdate, 29 bytes, within a few seconds of now. */
static inline void check_date(const struct resp *r)
{
	const char *d = hdr(r, "Date");
	CHECK_MSG(d, "no Date in %s", r->raw);
	CHECK_EQ(strlen(d), 29);
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	const char *end = strptime(d, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	CHECK_MSG(end && !*end, "Date not IMF-fixdate: %s", d);
	CHECK_MSG(d[3] == ',' && d[4] == ' ' && d[7] == ' ' && d[11] == ' ' && d[16] == ' ' &&
			  d[19] == ':' && d[22] == ':' && d[25] == ' ',
		  "Date layout: %s", d);
	long diff = (long)(timegm(&tm) - time(0));
	CHECK_MSG(diff > -5 && diff < 5, "Date %s is %ld s off", d, diff);
}

/* Expand "@DATE@" in tmpl with the response's Date value. */
static inline void with_date(char *out, size_t cap, const struct resp *r, const char *tmpl)
{
	const char *d = hdr(r, "Date"), *at = strstr(tmpl, "@DATE@");
	if (!at || !d)
		snprintf(out, cap, "%s", tmpl);
	else
		snprintf(out, cap, "%.*s%s%s", (int)(at - tmpl), tmpl, d, at + 6);
}

/* The exact bytes of a response; "@DATE@" in want stands for the Date. */
static inline void check_bytes(const struct resp *r, const char *tmpl)
{
	check_date(r);
	char want[4096];
	with_date(want, sizeof(want), r, tmpl);
	CHECK_MSG(r->raw_len == strlen(want) && !memcmp(r->raw, want, r->raw_len),
		  "response bytes differ\n--- got:\n%s\n--- want:\n%s", r->raw, want);
}

#define H_OK           "HTTP/1.1 200 OK\r\nServer: rocket\r\nDate: @DATE@\r\n"
#define PLAINTEXT_RESP H_OK "Content-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!"
#define JSON_BODY      "{\"message\":\"Hello, World!\"}"
#define JSON_RESP      H_OK "Content-Type: application/json\r\nContent-Length: 27\r\n\r\n" JSON_BODY
#define ROOT_BODY      "Rocket: an HTTP/1.1 server on raw io_uring.\n"
#define ROOT_RESP      H_OK "Content-Type: text/plain\r\nContent-Length: 44\r\n\r\n" ROOT_BODY
#define NOTFOUND_RESP                                                                              \
	"HTTP/1.1 404 Not Found\r\nServer: rocket\r\nDate: @DATE@\r\nContent-Type: text/plain\r\n" \
	"Content-Length: 14\r\n\r\n404 Not Found\n"
static inline void check_error(const struct resp *r, int code, const char *reason)
{
	char fmt[1024];
	snprintf(fmt, sizeof(fmt),
		 "HTTP/1.1 %d %s\r\nServer: rocket\r\nDate: @DATE@\r\nContent-Type: text/plain\r\n"
		 "Content-Length: %zu\r\nConnection: close\r\n\r\n%d %s\n",
		 code, reason, strlen(reason) + 5, code, reason);
	CHECK_MSG(r->status == code, "status %d, expected %d: %s", r->status, code, r->raw);
	check_bytes(r, fmt);
}

#define GET(path) "GET " path " HTTP/1.1\r\nHost: x\r\n\r\n"

/* ---- one exchange in a line ------------------------------------------------ */

/* Read the next response on c and compare it with tmpl (check_bytes). */
static inline void expect_resp(struct cli *c, const char *tmpl)
{
	struct resp r;
	read_resp(c, &r);
	check_bytes(&r, tmpl);
	resp_free(&r);
}

/* Send req on c; its response must be tmpl. */
static inline void exchange(struct cli *c, const char *req, const char *tmpl)
{
	cli_send_str(c, req);
	expect_resp(c, tmpl);
}

/* The next response is the error code/reason (check_error), then nothing
 * more and a clean close within eof_ms. */
static inline void expect_error_close(struct cli *c, int code, const char *reason, int eof_ms)
{
	struct resp r;
	read_resp(c, &r);
	check_error(&r, code, reason);
	resp_free(&r);
	expect_eof(c, eof_ms);
}

/* req (len bytes) on a fresh connection: the error code/reason, then a
 * clean close within 2 s. */
static inline void error_and_close(int port, const void *req, size_t len, int code,
				   const char *reason)
{
	struct cli c;
	cli_open(&c, port);
	cli_send(&c, req, len);
	expect_error_close(&c, code, reason, 2000);
	cli_close(&c);
}

/* req on a fresh connection: its response must be tmpl, then a clean
 * close within 2 s. */
static inline void answer_then_close(int port, const char *req, const char *tmpl)
{
	struct cli c;
	cli_open(&c, port);
	exchange(&c, req, tmpl);
	expect_eof(&c, 2000);
	cli_close(&c);
}

/* The interim "100 Continue" is the next thing on c, within 2 s a read. */
static inline void expect_100_continue(struct cli *c)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	while (c->len - c->off < sizeof(cont) - 1)
		CHECK_MSG(cli_fill(c, 2000) && !c->eof, "no 100 Continue; got %.*s",
			  (int)(c->len - c->off), c->buf + c->off);
	CHECK_MSG(!memcmp(c->buf + c->off, cont, sizeof(cont) - 1), "got %.*s",
		  (int)(c->len - c->off), c->buf + c->off);
	c->off += sizeof(cont) - 1;
}

/* req on a fresh connection: its response must be tmpl. */
static inline void one_shot_bytes(int port, const char *req, const char *tmpl)
{
	struct resp r;
	one_shot(port, req, &r, false);
	check_bytes(&r, tmpl);
	resp_free(&r);
}

#endif
