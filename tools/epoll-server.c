/* tools/epoll-server.c - a minimal single-threaded epoll HTTP/1.1 server: the
 * baseline that shows what io_uring buys Rocket.
 *
 * Follows epoll(7) (level-triggered), accept4(2) and the same request depth
 * as Rocket's fast path: find CRLFCRLF, check method and path, honour
 * Content-Length bodies and Connection: close. All pipelined requests found
 * in one read are answered with one write. GET /plaintext answers
 * "Hello, World!", anything else 404.
 * Usage: epoll-server [--port N]   (N = 0: the kernel picks; the port is printed)
 * Read next: tools/rocket-load.c, tools/bench/plaintext.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define EP_RBUF 8192 /* per-connection read buffer: the largest request head */
#define EP_WBUF                                                                                    \
	65536 /* responses of one read; kept per connection only
                            * while a write is short */
#define EP_EVENTS   256
#define EP_RESP_MAX 256 /* one response, at most */

struct ep_conn {
	char *rbuf;
	char *wbuf; /* ep_out while answering; its own copy when a write was short */
	size_t rlen, wlen, woff;
	size_t skip;      /* body bytes of the current request still to drop */
	bool close_after; /* close once wbuf is flushed */
	bool want_out;    /* registered for EPOLLOUT: reading paused */
};

static struct ep_conn *conns;
static size_t nconns;
static int ep;
static char ep_out[EP_WBUF]; /* shared: idle connections hold no write buffer */
static char date_hdr[64];    /* "Date: <IMF-fixdate>\r\n" */
static time_t date_sec;

static void ep_date(void)
{
	time_t now = time(0);
	if (now == date_sec)
		return;
	date_sec = now;
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date_hdr, sizeof(date_hdr), "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
}

static void ep_close(int fd)
{
	struct ep_conn *c = &conns[fd];
	free(c->rbuf);
	if (c->wbuf != ep_out)
		free(c->wbuf);
	memset(c, 0, sizeof(*c));
	close(fd); /* also drops it from the epoll set */
}

static size_t ep_respond(char *out, int code, bool head, bool close)
{
	static const char body200[] = "Hello, World!", body404[] = "Not Found",
			  body400[] = "Bad Request";
	const char *body = code == 200 ? body200 : code == 404 ? body404 : body400;
	const char *reason = code == 200 ? "OK" : code == 404 ? "Not Found" : "Bad Request";
	return (size_t)snprintf(out, EP_RESP_MAX,
				"HTTP/1.1 %d %s\r\nServer: epoll\r\n%sContent-Type: text/plain\r\n"
				"Content-Length: %zu\r\n%s\r\n%s",
				code, reason, date_hdr, strlen(body),
				close ? "Connection: close\r\n" : "", head ? "" : body);
}

/* Answer every complete request in rbuf (a bad one gets a 400 and the
 * connection closes after it). Returns the bytes consumed. */
static size_t ep_parse(struct ep_conn *c)
{
	size_t pos = 0;
	while (pos < c->rlen && !c->close_after) {
		if (c->skip) { /* the rest of a request body */
			size_t take = c->rlen - pos < c->skip ? c->rlen - pos : c->skip;
			pos += take, c->skip -= take;
			continue;
		}
		if (c->wlen + EP_RESP_MAX > EP_WBUF)
			break; /* no room for another answer: flush first */
		char *p = c->rbuf + pos;
		size_t n = c->rlen - pos;
		char *e = memmem(p, n, "\r\n\r\n", 4);
		if (!e) {
			if (n == EP_RBUF)
				goto bad; /* a head larger than the buffer */
			break;
		}
		size_t hlen = (size_t)(e + 4 - p);
		char *sp1 = memchr(p, ' ', hlen), *sp2, *eol = memchr(p, '\n', hlen);
		if (!sp1 || sp1 > eol || !(sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1))) ||
		    (size_t)(eol - sp2) < 9 || memcmp(sp2 + 1, "HTTP/1.", 7))
			goto bad;
		bool get = sp1 - p == 3 && !memcmp(p, "GET", 3);
		bool head = sp1 - p == 4 && !memcmp(p, "HEAD", 4);
		bool ok =
			(get || head) && sp2 - sp1 - 1 == 10 && !memcmp(sp1 + 1, "/plaintext", 10);
		bool close = sp2[8] == '0';
		size_t body = 0;
		for (char *l = eol + 1; l < e; l = memchr(l, '\n', (size_t)(e + 2 - l)) + 1) {
			if ((*l | 0x20) == 'c' && !strncasecmp(l, "content-length:", 15)) {
				char *q = l + 15;
				while (*q == ' ' || *q == '\t')
					q++;
				if (*q < '0' || *q > '9')
					goto bad;
				body = strtoull(q, 0, 10);
			} else if ((*l | 0x20) == 'c' && !strncasecmp(l, "connection:", 11)) {
				char *le = memchr(l, '\n', (size_t)(e + 2 - l));
				char *v = l + 11;
				if (memmem(v, (size_t)(le - v), "close", 5))
					close = true;
				else if (memmem(v, (size_t)(le - v), "keep-alive", 10))
					close = false;
			} else if ((*l | 0x20) == 't' &&
				   !strncasecmp(l, "transfer-encoding:", 18)) {
				goto bad; /* chunked request bodies: beyond this baseline */
			}
		}
		c->wlen += ep_respond(c->wbuf + c->wlen, ok ? 200 : 404, head, close);
		c->close_after = close;
		pos += hlen;
		c->skip = body;
	}
	memmove(c->rbuf, c->rbuf + pos, c->rlen - pos);
	c->rlen -= pos;
	return pos;
bad:
	c->wlen += ep_respond(c->wbuf + c->wlen, 400, false, true);
	c->close_after = true;
	pos = c->rlen;
	c->rlen = 0;
	return pos;
}

/* Write what is pending; returns -1 when the connection is gone. */
static int ep_flush(int fd, struct ep_conn *c)
{
	while (c->woff < c->wlen) {
		ssize_t w = write(fd, c->wbuf + c->woff, c->wlen - c->woff);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			if (!c->want_out) { /* wait for room; stop reading meanwhile */
				struct epoll_event ev = { .events = EPOLLOUT, .data.fd = fd };
				epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
				c->want_out = true;
			}
			return 0;
		}
		if (w <= 0) {
			ep_close(fd);
			return -1;
		}
		c->woff += (size_t)w;
	}
	c->woff = c->wlen = 0;
	if (c->wbuf != ep_out) { /* a pending tail, now written */
		free(c->wbuf);
		c->wbuf = 0;
	}
	if (c->close_after) {
		ep_close(fd);
		return -1;
	}
	if (c->want_out) {
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
		epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
		c->want_out = false;
	}
	return 0;
}

/* Answer, write, and answer again while a full write buffer held requests
 * back. Returns -1 when the connection closed or waits for EPOLLOUT. */
static int ep_answer(int fd, struct ep_conn *c)
{
	size_t used;
	do {
		c->wbuf = ep_out;
		c->wlen = c->woff = 0;
		used = ep_parse(c);
		if (ep_flush(fd, c) < 0)
			return -1;
		if (c->want_out) { /* a short write: keep the rest for EPOLLOUT */
			char *rest = malloc(c->wlen - c->woff);
			if (!rest) {
				ep_close(fd);
				return -1;
			}
			memcpy(rest, ep_out + c->woff, c->wlen - c->woff);
			c->wbuf = rest;
			c->wlen -= c->woff;
			c->woff = 0;
			return -1;
		}
		c->wbuf = 0;
	} while (used && c->rlen);
	return 0;
}

static void ep_readable(int fd)
{
	struct ep_conn *c = &conns[fd];
	if (c->rlen && ep_answer(fd, c) < 0) /* requests left over from a full wbuf */
		return;
	for (;;) {
		size_t want = EP_RBUF - c->rlen;
		ssize_t r = read(fd, c->rbuf + c->rlen, want);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0) {
			ep_close(fd);
			return;
		}
		c->rlen += (size_t)r;
		if (ep_answer(fd, c) < 0)
			return;
		if (c->rlen == EP_RBUF) { /* cannot happen: a full head is parsed */
			ep_close(fd);
			return;
		}
		/* A short read means the socket is drained; level-triggered
		 * epoll tells us about the next bytes. */
		if ((size_t)r < want)
			return;
	}
}

static void ep_accept(int lfd)
{
	for (;;) {
		int fd = accept4(lfd, 0, 0, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN, or out of fds: the next event retries */
		if ((size_t)fd >= nconns) {
			close(fd);
			continue;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		struct ep_conn *c = &conns[fd];
		c->rbuf = malloc(EP_RBUF);
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
		if (!c->rbuf || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
			ep_close(fd);
	}
}

int main(int argc, char **argv)
{
	int port = 8080;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--port") && i + 1 < argc) {
			port = atoi(argv[++i]);
		} else {
			fprintf(stderr, "usage: epoll-server [--port N]\n");
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	struct rlimit rl;
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	nconns = rl.rlim_cur;
	conns = calloc(nconns, sizeof(*conns));

	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 4096) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl) < 0) {
		perror("epoll-server: listen");
		return 1;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = lfd }, evs[EP_EVENTS];
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	printf("epoll-server listening on 127.0.0.1:%d\n", ntohs(sa.sin_port));
	fflush(stdout);

	for (;;) {
		int n = epoll_wait(ep, evs, EP_EVENTS, -1);
		if (n < 0 && errno != EINTR) {
			perror("epoll-server: epoll_wait");
			return 1;
		}
		ep_date();
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == lfd)
				ep_accept(lfd);
			else if (!conns[fd].rbuf)
				continue; /* closed earlier in this batch */
			else if (!conns[fd].want_out)
				ep_readable(fd);
			else if (ep_flush(fd, &conns[fd]) == 0 && !conns[fd].want_out)
				ep_readable(fd); /* room again: answer what waited */
		}
	}
}
