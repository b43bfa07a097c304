/* tests/wire.h - a server binary as a child process and raw loopback
 * clients for it: start and stop (stop checks exit 0 and no sanitizer
 * report), send bytes, read whole responses (Content-Length or chunked),
 * compare them byte for byte (the Date value checked, then substituted).
 * Shared by tests/test_http_server.c and tests/test_http_hardening.c.
 */
#ifndef ROCKET_TEST_WIRE_H
#define ROCKET_TEST_WIRE_H

#include "engine_mode.h"
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RK_MIN(a, b) ((a) < (b) ? (a) : (b))
#define CHECK_STR(got, want)                                                          \
	do {                                                                          \
		const char *th_g = (got), *th_w = (want);                             \
		CHECK_MSG(th_g && !strcmp(th_g, th_w), "%s is \"%s\", expected \"%s\"", \
			  #got, th_g ? th_g : "(none)", th_w);                        \
	} while (0)

/* ---- the server under test ---------------------------------------------- */

struct srv {
	const char *bin;
	pid_t pid;
	int port;
	char log[64];
};

static inline double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static inline char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return strdup("");
	static char buf[1 << 16];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

/* Start bin --port 0 [args...] (NULL-terminated); wait for its start line. */
static inline void srv_start(struct srv *s, const char *bin, const char *const *args)
{
	const char *argv[32] = { bin, "--port", "0" }; /* default bind: "::", dual stack */
	int argc = 3;
	for (const char *const *m = test_mode_flags(); *m; m++) /* tests/engine_mode.h */
		argv[argc++] = *m;
	for (; args && *args; args++)
		argv[argc++] = *args;
	argv[argc] = 0;
	s->bin = bin;
	snprintf(s->log, sizeof(s->log), "/tmp/rocket-test-XXXXXX");
	int lfd = mkstemp(s->log);
	CHECK(lfd >= 0);
	s->pid = fork();
	CHECK(s->pid >= 0);
	if (s->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a timed-out test */
		dup2(lfd, 2);
		int nul = open("/dev/null", O_RDWR);
		dup2(nul, 0);
		dup2(nul, 1);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	close(lfd);
	double t0 = now_ms();
	for (;;) {
		const char *log = slurp(s->log);
		/* "rocket: listening on [::]:PORT | ..." */
		const char *p = strstr(log, "listening on ");
		const char *sp = p ? strchr(p + 13, ' ') : 0;
		if (sp) {
			const char *colon = sp;
			while (colon > p && *colon != ':')
				colon--;
			s->port = atoi(colon + 1);
			CHECK_MSG(*colon == ':' && s->port > 0, "bad start line: %s", log);
			return;
		}
		int st;
		CHECK_MSG(waitpid(s->pid, &st, WNOHANG) == 0, "%s exited at start: %s", bin, log);
		CHECK_MSG(now_ms() - t0 < 5000, "%s did not start: %s", bin, log);
		usleep(5000);
	}
}

/* SIGTERM; the server must exit 0 within 5 s with no sanitizer report. */
static inline void srv_stop(struct srv *s)
{
	kill(s->pid, SIGTERM);
	int st = 0;
	double t0 = now_ms();
	while (waitpid(s->pid, &st, WNOHANG) == 0) {
		if (now_ms() - t0 > 5000) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, &st, 0);
			CHECK_MSG(0, "%s did not stop on SIGTERM", s->bin);
		}
		usleep(5000);
	}
	const char *log = slurp(s->log);
	unlink(s->log);
	CHECK_MSG(!strstr(log, "Sanitizer") && !strstr(log, "runtime error"), "%s", log);
	CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: status 0x%x, log: %s", s->bin, st,
		  log);
}

static inline const char *bin_san(void)
{
	const char *b = getenv("ROCKET_BIN");
	return b && *b ? b : "build/rocket-san";
}

static inline const char *bin_static(void)
{
	const char *b = getenv("ROCKET_STATIC");
	return b && *b ? b : 0;
}

/* SERVER_TEST(name, secs) { ... uses `bin` ... } defines name__san and
 * name__static: the same body against each server binary. */
#define SERVER_TEST(name, secs)                                          \
	static void body_##name(const char *bin);                        \
	TEST_T(name##__san, secs) { body_##name(bin_san()); }            \
	TEST_T(name##__static, secs)                                     \
	{                                                                \
		if (bin_static())                                        \
			body_##name(bin_static());                       \
		else                                                     \
			fprintf(stderr, "  ROCKET_STATIC unset: skipped\n"); \
	}                                                                \
	static void body_##name(const char *bin)

/* ---- a client connection --------------------------------------------------- */

struct cli {
	int fd;
	char *buf;
	size_t len, cap, off; /* received bytes; off = parsed so far */
	bool eof;
	int err;              /* errno of a failed recv (ECONNRESET) */
};

static inline int wire_connect(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	CHECK_MSG(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0, "connect: %s",
		  strerror(errno));
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
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
	char *raw;      /* the whole response as received (NUL-terminated) */
	size_t raw_len;
	size_t head_len; /* status line + fields + CRLFCRLF */
	char *body;     /* decoded body (NUL-terminated) */
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
	CHECK_MSG(n >= 13 && !memcmp(b, "HTTP/1.1 ", 9), "not a response: %.*s", (int)RK_MIN(n, 200), b);
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
			CHECK_MSG(!memcmp(b + pos + sz, "\r\n", 2), "chunk data not followed by CRLF");
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
		CHECK_MSG(!c->eof && !c->err, "connection ended (%s) before a whole response; got: %.*s",
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
	CHECK_MSG(c->len == c->off, "unexpected bytes: %.*s", (int)(c->len - c->off), c->buf + c->off);
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

#define H_OK "HTTP/1.1 200 OK\r\nServer: rocket\r\nDate: @DATE@\r\n"
#define PLAINTEXT_RESP H_OK "Content-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!"
#define JSON_BODY "{\"message\":\"Hello, World!\"}"
#define JSON_RESP H_OK "Content-Type: application/json\r\nContent-Length: 27\r\n\r\n" JSON_BODY
#define ROOT_BODY "Rocket: an HTTP/1.1 server on raw io_uring.\n"
#define ROOT_RESP H_OK "Content-Type: text/plain\r\nContent-Length: 44\r\n\r\n" ROOT_BODY
#define NOTFOUND_RESP                                                                  \
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

#endif
