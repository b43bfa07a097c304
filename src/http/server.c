/* src/http/server.c - the HTTP/1.1 server: turns the engine's received
 * segments into requests, answers them in order, streams bodies.
 *
 * Follows RFC 9112 §9 (connection management: keep-alive, close, pipelining)
 * and RFC 9110 §10.1.1 (100-continue). Requests are parsed straight out of
 * the received buffers; only a head split across buffers is copied, into the
 * connection's bounded area (acc). Responses go into the connection's send
 * buffer; the engine sends once per batch of completions.
 * Read next: src/http/routes.c.
 */
#include "rocket/server.h"
#include "rocket/sys.h"
#include "rocket/util.h"

/* Free send space required before a request is parsed: every built-in
 * response head fits in it (bodies of /echo add the head's length). */
#define RK_SRV_RESERVE 1024

enum rk_srv_phase {
	RK_SRV_HEAD = 0,     /* reading a request head */
	RK_SRV_BODY_CL,      /* reading a Content-Length body */
	RK_SRV_BODY_CHUNKED, /* reading a chunked body */
	RK_SRV_CLOSED,       /* closing: nothing more is read or answered */
};

struct rk_srv_conn {
	uint32_t iseg, off;  /* progress through the held segments */
	bool holding;        /* segments are held: the pump resumes on_writable */
	uint8_t phase;
	bool keep_alive;     /* of the request being finished */
	bool echo;           /* stream the body back (framed like the request's) */
	bool head_started;   /* part of a head is in acc: header timeout runs */
	bool linger;         /* closing, and the client may send more: half-close */
	uint64_t remaining;  /* Content-Length bytes still to read */
	struct rk_http_chunked ck;
	uint32_t acc_len;
	char *acc;           /* max_head bytes from the reactor's pool, while
	                        a head is split across buffers */
};

/* Per reactor: the Date header, and the pool of areas for split heads,
 * lent LIFO so only as many are resident as are in use at once. */
#define RK_SRV_SERVER_DATE "\r\nServer: rocket\r\nDate: "
#define RK_SRV_SD_LEN (sizeof(RK_SRV_SERVER_DATE) - 1 + RK_HTTP_DATE_LEN)
struct rk_srv_reactor {
	/* "\r\nServer: rocket\r\nDate: <IMF-fixdate>", rewritten once a second */
	char server_date[RK_SRV_SD_LEN];
	uint32_t nfree;
	uint32_t *free;
	char *acc_mem;
};

struct rk_server_req {
	struct rk_conn *c;
	struct rk_srv_conn *s;
	const struct rk_server_config *hc;
	const struct rk_http_request *req;
	bool responded;
	const char *allow;   /* an Allow field for 405 and OPTIONS, or NULL */
};

/* ---- response writing ---------------------------------------------------- */

struct rk_out {
	char *p;
	uint32_t n;
};

static void rk_out_put(struct rk_out *o, const char *s, uint32_t n)
{
	rk_memcpy(o->p + o->n, s, n);
	o->n += n;
}
#define RK_OUT_LIT(o, lit) rk_out_put(o, lit, sizeof(lit) - 1)

static void rk_out_u64(struct rk_out *o, uint64_t v, unsigned base)
{
	char tmp[20];
	int i = 0;
	do {
		tmp[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (i)
		o->p[o->n++] = tmp[--i];
}

/* Status line, Server, Date, Content-Type, framing, Connection, blank line.
 * clen < 0: chunked. Returns the bytes written into out (<= 512 with a
 * short content type). */
static uint32_t rk_srv_head(struct rk_conn *c, char *out, int status, const char *ctype,
			    int64_t clen, bool keep_alive, uint8_t minor, const char *allow)
{
	const struct rk_srv_reactor *rs = rk_conn_reactor_state(c);
	struct rk_out o = { out, 0 };
	if (status == 200) {
		RK_OUT_LIT(&o, "HTTP/1.1 200 OK");
	} else {
		struct rk_http_str reason;
		rk_http_status_reason(status, &reason);
		RK_OUT_LIT(&o, "HTTP/1.1 ");
		rk_out_u64(&o, (uint64_t)status, 10);
		o.p[o.n++] = ' ';
		rk_out_put(&o, reason.p, reason.n);
	}
	rk_out_put(&o, rs->server_date, RK_SRV_SD_LEN);
	if (ctype) {
		RK_OUT_LIT(&o, "\r\nContent-Type: ");
		rk_out_put(&o, ctype, (uint32_t)RK_MIN(rk_strlen(ctype), 128));
	}
	if (clen < 0) {
		RK_OUT_LIT(&o, "\r\nTransfer-Encoding: chunked");
	} else {
		RK_OUT_LIT(&o, "\r\nContent-Length: ");
		rk_out_u64(&o, (uint64_t)clen, 10);
	}
	if (allow) {
		RK_OUT_LIT(&o, "\r\nAllow: ");
		rk_out_put(&o, allow, (uint32_t)rk_strlen(allow));
	}
	if (!keep_alive)
		RK_OUT_LIT(&o, "\r\nConnection: close");
	else if (minor == 0)
		RK_OUT_LIT(&o, "\r\nConnection: keep-alive");
	RK_OUT_LIT(&o, "\r\n\r\n");
	return o.n;
}

static bool rk_srv_is_head(const struct rk_server_req *q)
{
	return q->req->method == RK_HTTP_HEAD;
}

int rk_server_respond_v(struct rk_server_req *q, int status, const char *ctype,
			    const struct rk_seg *body, unsigned nbody, uint64_t total)
{
	char head[512];
	if (q->responded)
		return -EALREADY;
	bool ka = q->s->keep_alive;
	uint32_t hn = rk_srv_head(q->c, head, status, ctype, (int64_t)total, ka, q->req->minor,
				  q->allow);
	bool with_body = !rk_srv_is_head(q) && status >= 200 && status != 204 && status != 304;
	if (rk_conn_write_space(q->c) < hn + (with_body ? total : 0))
		return -ENOSPC;
	rk_conn_write(q->c, head, hn);
	if (with_body)
		rk_conn_writev(q->c, body, nbody);
	q->responded = true;
	return 0;
}

int rk_server_respond(struct rk_server_req *q, int status, const char *content_type,
		      const void *body, uint32_t len)
{
	struct rk_seg seg = { body, len };
	return rk_server_respond_v(q, status, content_type, &seg, 1, len);
}

const struct rk_http_request *rk_server_request(const struct rk_server_req *q)
{
	return q->req;
}

int rk_server_echo_body(struct rk_server_req *q, const char *content_type)
{
	char head[512];
	const struct rk_http_request *req = q->req;
	struct rk_srv_conn *s = q->s;
	if (q->responded)
		return -EALREADY;
	int64_t clen = req->chunked ? -1 : (int64_t)req->content_length;
	uint32_t hn =
		rk_srv_head(q->c, head, 200, content_type, clen, s->keep_alive, req->minor, 0);
	rk_conn_write(q->c, head, hn);
	s->echo = !rk_srv_is_head(q);
	q->responded = true;
	return 0;
}

/* Seconds a closing connection waits for the client's own close (nginx's
 * lingering_timeout). */
#define RK_SRV_LINGER_S 5

/* The server ends the connection once this request is done: nothing more
 * is read or answered (rk_srv_end, called by the pump, closes). linger:
 * bytes the client sent may still be unread (an error, a body not read). */
static void rk_srv_close(struct rk_srv_conn *s, bool linger)
{
	s->phase = RK_SRV_CLOSED;
	s->linger |= linger;
}

/* What was written goes out, then FIN. With bytes left unread - received
 * after the last answered request (more), or on their way - the close
 * lingers (RFC 9112 9.6): half-close, read and drop until the client
 * closes too or RK_SRV_LINGER_S pass; closing outright would answer those
 * bytes with a RST, which can destroy the answer before the client has
 * read it. Otherwise a plain close (one linked SEND, CANCEL and CLOSE). */
static void rk_srv_end(struct rk_conn *c, struct rk_srv_conn *s, bool more)
{
	if (!more && !s->linger) {
		rk_conn_close(c);
		return;
	}
	rk_conn_shutdown_write(c);
	rk_conn_set_timeout(c, RK_SRV_LINGER_S);
}

/* An error ends the connection: answer, then close without reading or
 * answering anything after it (no request smuggling past an error). */
static RK_COLD void rk_srv_error(struct rk_conn *c, struct rk_srv_conn *s, int status)
{
	char buf[640];
	struct rk_http_str reason;
	rk_http_status_reason(status, &reason);
	uint32_t n = rk_srv_head(c, buf, status, "text/plain", reason.n + 5, false, 1, 0);
	struct rk_out o = { buf + n, 0 };
	rk_out_u64(&o, (uint64_t)status, 10);
	o.p[o.n++] = ' ';
	rk_out_put(&o, reason.p, reason.n);
	o.p[o.n++] = '\n';
	rk_conn_write(c, buf, n + o.n);
	rk_srv_close(s, true);
}

/* ---- requests ------------------------------------------------------------ */

static struct rk_http_str rk_srv_path(const struct rk_http_request *req)
{
	struct rk_http_str t = req->target;
	if (req->form == RK_HTTP_ABSOLUTE_FORM) {
		/* scheme://authority/path: skip to the path's slash. */
		uint32_t i = 0, slashes = 0;
		while (i < t.n && slashes < 3)
			slashes += t.p[i++] == '/';
		t = slashes == 3 ? (struct rk_http_str){ t.p + i - 1, t.n - i + 1 }
				 : (struct rk_http_str){ "/", 1 };
	}
	for (uint32_t i = 0; i < t.n; i++)
		if (t.p[i] == '?')
			return (struct rk_http_str){ t.p, i };
	return t;
}

static bool rk_srv_path_is(struct rk_http_str path, const char *s)
{
	size_t n = rk_strlen(s);
	return path.n == n && !rk_memcmp(path.p, s, n);
}

static void rk_srv_finish(struct rk_conn *c, struct rk_srv_conn *s)
{
	const struct rk_server_config *hc = rk_conn_ctx(c);
	s->phase = RK_SRV_HEAD;
	s->echo = false;
	if (!s->keep_alive) {
		rk_srv_close(s, false);
		return;
	}
	rk_conn_set_timeout(c, hc->idle_timeout);
}

/* The Allow field (RFC 9110 §10.2.1) for a path: the methods its routes
 * take, HEAD with GET, and OPTIONS; all of them for "*". Written into buf. */
static RK_COLD const char *rk_srv_allow(const struct rk_route *routes, struct rk_http_str path, bool any,
				char *buf, size_t cap)
{
	static const char *const names[] = {
		[RK_HTTP_GET] = "GET",       [RK_HTTP_HEAD] = "HEAD",       [RK_HTTP_POST] = "POST",
		[RK_HTTP_PUT] = "PUT",       [RK_HTTP_DELETE] = "DELETE",   [RK_HTTP_OPTIONS] = "OPTIONS",
		[RK_HTTP_PATCH] = "PATCH",   [RK_HTTP_TRACE] = "TRACE",     [RK_HTTP_CONNECT] = "CONNECT",
	};
	uint32_t methods = 1u << RK_HTTP_OPTIONS;
	for (const struct rk_route *rt = routes; rt->path; rt++)
		if (any || rk_srv_path_is(path, rt->path))
			methods |= 1u << rt->method |
				   (rt->method == RK_HTTP_GET ? 1u << RK_HTTP_HEAD : 0);
	size_t n = 0;
	buf[0] = 0;
	for (unsigned m = RK_HTTP_GET; m <= RK_HTTP_CONNECT; m++) {
		if (!(methods & (1u << m)))
			continue;
		const char *name = names[m];
		size_t len = rk_strlen(name);
		if (n + len + 3 > cap)
			break;
		if (n) {
			buf[n++] = ',';
			buf[n++] = ' ';
		}
		rk_memcpy(buf + n, name, len);
		n += len;
		buf[n] = 0;
	}
	return buf;
}

/* Route one complete head. Returns false if the connection closed. */
static bool rk_srv_dispatch(struct rk_conn *c, struct rk_srv_conn *s,
			    const struct rk_http_request *req)
{
	const struct rk_server_config *hc = rk_conn_ctx(c);
	struct rk_server_req q = { c, s, hc, req, false, 0 };
	char allow[96];
	rk_conn_count_request(c, 1);
	s->keep_alive = req->keep_alive;
	s->head_started = false;
	bool has_body = req->chunked || req->content_length > 0;

	if (has_body && req->expect_continue)
		rk_conn_write(c, "HTTP/1.1 100 Continue\r\n\r\n", 25);

	struct rk_http_str path = rk_srv_path(req);
	const struct rk_route *match = 0;
	bool path_known = false;
	for (const struct rk_route *rt = hc->routes; rt->path; rt++) {
		if (!rk_srv_path_is(path, rt->path))
			continue;
		path_known = true;
		if (rt->method == req->method ||
		    (rt->method == RK_HTTP_GET && req->method == RK_HTTP_HEAD)) {
			match = rt;
			break;
		}
	}
	int ret;
	if (match) {
		ret = match->fn(&q);
		if (ret < 0 && !q.responded)
			ret = rk_server_respond(&q, 500, "text/plain", "500 Internal Server Error\n", 26);
	} else if (req->method == RK_HTTP_OPTIONS &&
		   (req->form == RK_HTTP_ASTERISK_FORM || path_known)) {
		/* OPTIONS * (the server as a whole) or a known path. */
		q.allow = rk_srv_allow(hc->routes, path, req->form == RK_HTTP_ASTERISK_FORM, allow,
				       sizeof(allow));
		ret = rk_server_respond(&q, 200, 0, "", 0);
	} else if (path_known) {
		q.allow = rk_srv_allow(hc->routes, path, false, allow, sizeof(allow));
		ret = rk_server_respond(&q, 405, "text/plain", "405 Method Not Allowed\n", 23);
	} else {
		ret = rk_server_respond(&q, 404, "text/plain", "404 Not Found\n", 14);
	}
	(void)ret;

	if (!has_body) {
		rk_srv_finish(c, s);
		return s->phase != RK_SRV_CLOSED;
	}
	if (!s->echo && !s->keep_alive) {
		/* Answered, and the client asked to close: its body is moot
		 * (and on its way: linger). */
		rk_srv_close(s, true);
		return false;
	}
	rk_conn_set_timeout(c, hc->idle_timeout);
	if (req->chunked) {
		s->phase = RK_SRV_BODY_CHUNKED;
		rk_http_chunked_init(&s->ck, hc->max_body);
	} else {
		s->phase = RK_SRV_BODY_CL;
		s->remaining = req->content_length;
	}
	return true;
}

static struct rk_http_limits rk_srv_limits(const struct rk_server_config *hc)
{
	struct rk_http_limits lim = hc->limits;
	lim.max_body = hc->max_body;
	return lim;
}

static void rk_srv_acc_take(struct rk_conn *c, struct rk_srv_conn *s)
{
	const struct rk_server_config *hc = rk_conn_ctx(c);
	struct rk_srv_reactor *rs = rk_conn_reactor_state(c);
	/* One area per connection slot exists: the pool cannot be empty. */
	uint32_t i = rs->free[--rs->nfree];
	s->acc = rs->acc_mem + (size_t)i * hc->limits.max_head;
}

static void rk_srv_acc_put(struct rk_conn *c, struct rk_srv_conn *s)
{
	const struct rk_server_config *hc = rk_conn_ctx(c);
	struct rk_srv_reactor *rs = rk_conn_reactor_state(c);
	if (!s->acc)
		return;
	rs->free[rs->nfree++] = (uint32_t)((size_t)(s->acc - rs->acc_mem) / hc->limits.max_head);
	s->acc = 0;
	s->acc_len = 0;
}

/* Bytes of a head. Returns bytes consumed, or -1 to stop the pump (closed,
 * or waiting for send space). */
static long rk_srv_head_bytes(struct rk_conn *c, struct rk_srv_conn *s, const uint8_t *p,
			      uint32_t n)
{
	const struct rk_server_config *hc = rk_conn_ctx(c);
	struct rk_http_limits lim = rk_srv_limits(hc);
	uint32_t cap = hc->limits.max_head;
	struct rk_http_request req;
	uint32_t space = rk_conn_write_space(c);

	if (space < RK_SRV_RESERVE) {
		rk_conn_wait_writable(c);
		return -1;
	}
	if (!s->acc_len) {
		/* The common case: the whole head is in this buffer. */
		int r = rk_http_parse_head((const char *)p, n, 0, &lim, &req);
		if (r > 0) {
			if (space < RK_SRV_RESERVE + (uint32_t)r) {
				rk_conn_wait_writable(c);
				return -1;
			}
			rk_srv_dispatch(c, s, &req); /* false: closing (the pump sees) */
			return r;
		}
		if (r < 0) {
			rk_srv_error(c, s, -r);
			return -1;
		}
		/* Incomplete: keep it for the next buffer. The parser has
		 * already checked it against the limits. */
		if (n > cap) {
			rk_srv_error(c, s, 431);
			return -1;
		}
		rk_srv_acc_take(c, s);
		rk_memcpy(s->acc, p, n);
		s->acc_len = n;
		if (!s->head_started) {
			s->head_started = true;
			rk_conn_set_timeout(c, hc->header_timeout);
		}
		return n;
	}
	/* A head split across buffers: continue it in acc. */
	uint32_t take = RK_MIN(n, cap - s->acc_len);
	rk_memcpy(s->acc + s->acc_len, p, take);
	int r = rk_http_parse_head(s->acc, s->acc_len + take, s->acc_len, &lim, &req);
	if (r > 0) {
		if (space < RK_SRV_RESERVE + (uint32_t)r) {
			rk_conn_wait_writable(c);
			return -1;
		}
		long used = r - (long)s->acc_len;
		rk_srv_dispatch(c, s, &req); /* req points into acc */
		rk_srv_acc_put(c, s);
		return used;
	}
	if (r < 0 || s->acc_len + take == cap) {
		rk_srv_error(c, s, r < 0 ? -r : 431);
		return -1;
	}
	s->acc_len += take;
	return take;
}

/* Echo body bytes, never more than the send buffer takes now. */
static uint32_t rk_srv_echo(struct rk_conn *c, struct rk_srv_conn *s, const uint8_t *p,
			    uint32_t n)
{
	if (!s->echo)
		return n;
	long w = rk_conn_write(c, p, n);
	return w > 0 ? (uint32_t)w : 0;
}

static long rk_srv_body_bytes(struct rk_conn *c, struct rk_srv_conn *s, const uint8_t *p,
			      uint32_t n)
{
	const struct rk_server_config *hc = rk_conn_ctx(c);
	if (s->phase == RK_SRV_BODY_CL) {
		uint32_t k = (uint32_t)RK_MIN((uint64_t)n, s->remaining);
		uint32_t w = rk_srv_echo(c, s, p, k);
		s->remaining -= w;
		if (!s->remaining)
			rk_srv_finish(c, s);
		else
			rk_conn_set_timeout(c, hc->idle_timeout);
		if (w == 0 && k) {
			rk_conn_wait_writable(c);
			return -1;
		}
		return (long)w;
	}

	/* Chunked: feed no more than what can be echoed with its framing,
	 * so every data span the decoder yields goes out whole. */
	uint32_t limit = n;
	if (s->echo) {
		uint32_t space = rk_conn_write_space(c);
		if (space < 64) {
			rk_conn_wait_writable(c);
			return -1;
		}
		limit = RK_MIN(n, space - 32);
	}
	size_t used = 0;
	struct rk_http_str data;
	int r = rk_http_chunked_feed(&s->ck, (const char *)p, limit, &used, &data);
	if (r < 0) {
		/* Mid-body: this request was answered (or its echo begun) at
		 * dispatch, so an error response here would be a second answer
		 * to one request - a client would take it for the answer to the
		 * next pipelined request. Close instead, without aborting: what
		 * was written (earlier pipelined answers, this one, a partial
		 * echo that then lacks its last chunk) still goes out before
		 * the FIN, and nothing after the bad chunk is read. */
		rk_srv_close(s, true);
		return -1;
	}
	if (r == RK_HTTP_CHUNKED_DATA && s->echo) {
		char hex[24];
		struct rk_out o = { hex, 0 };
		rk_out_u64(&o, data.n, 16);
		RK_OUT_LIT(&o, "\r\n");
		struct rk_seg v[3] = { { (const uint8_t *)hex, o.n },
				       { (const uint8_t *)data.p, data.n },
				       { (const uint8_t *)"\r\n", 2 } };
		rk_conn_writev(c, v, 3);
	}
	if (r == RK_HTTP_CHUNKED_DONE) {
		if (s->echo)
			rk_conn_write(c, "0\r\n\r\n", 5);
		rk_srv_finish(c, s);
	} else {
		rk_conn_set_timeout(c, hc->idle_timeout);
	}
	return (long)used;
}

/* Work through the held segments; release them when all are used. */
static void rk_srv_pump(struct rk_conn *c, const struct rk_seg *segs, unsigned nseg)
{
	struct rk_srv_conn *s = rk_conn_app(c);
	s->holding = true;
	while (s->iseg < nseg) {
		const struct rk_seg *seg = &segs[s->iseg];
		if (s->off == seg->len) {
			s->iseg++;
			s->off = 0;
			continue;
		}
		const uint8_t *p = seg->p + s->off;
		uint32_t n = seg->len - s->off;
		long k = s->phase == RK_SRV_HEAD ? rk_srv_head_bytes(c, s, p, n)
						  : rk_srv_body_bytes(c, s, p, n);
		if (s->phase == RK_SRV_CLOSED) {
			/* Nothing more is used: bytes after what k consumed
			 * (or all, when it could not say) make it linger. */
			rk_srv_end(c, s, k < 0 || (uint32_t)k < n || s->iseg + 1 < nseg);
			s->holding = false;
			rk_conn_release(c);
			return;
		}
		if (k < 0)
			return; /* on_writable resumes */
		s->off += (uint32_t)k;
	}
	s->holding = false;
	s->iseg = s->off = 0;
	rk_conn_release(c);
}

/* ---- engine callbacks ----------------------------------------------------- */

static int rk_srv_on_open(struct rk_conn *c)
{
	const struct rk_server_config *hc = rk_conn_ctx(c);
	rk_conn_set_timeout(c, hc->header_timeout);
	return 0;
}

static void rk_srv_on_data(struct rk_conn *c, const struct rk_seg *segs, unsigned n)
{
	struct rk_srv_conn *s = rk_conn_app(c);
	if (s->phase == RK_SRV_CLOSED) {
		rk_conn_release(c);
		return;
	}
	s->iseg = s->off = 0;
	rk_srv_pump(c, segs, n);
}

static void rk_srv_on_writable(struct rk_conn *c)
{
	struct rk_srv_conn *s = rk_conn_app(c);
	if (s->phase != RK_SRV_CLOSED && s->holding) {
		/* The segments are still held: the engine lists them again. */
		struct rk_seg segs[RK_DELIVER_MAX];
		unsigned n = rk_conn_held(c, segs, RK_DELIVER_MAX);
		rk_srv_pump(c, segs, n);
	}
}

static RK_COLD void rk_srv_on_timeout(struct rk_conn *c)
{
	struct rk_srv_conn *s = rk_conn_app(c);
	if (s->phase == RK_SRV_CLOSED) {
		rk_conn_abort(c); /* lingered long enough */
		return;
	}
	/* A head or body left unfinished: 408 (slowloris). Merely idle
	 * between requests: close quietly (RFC 9112 §9.5). */
	if (s->head_started || s->phase != RK_SRV_HEAD) {
		if (rk_conn_write_space(c) >= RK_SRV_RESERVE && s->phase == RK_SRV_HEAD) {
			rk_srv_error(c, s, 408);
			rk_srv_end(c, s, true);
			return;
		}
	}
	s->phase = RK_SRV_CLOSED;
	rk_conn_abort(c);
}

static void rk_srv_on_close(struct rk_conn *c, enum rk_close_reason why)
{
	struct rk_srv_conn *s = rk_conn_app(c);
	(void)why;
	s->phase = RK_SRV_CLOSED;
	s->holding = false;
	rk_srv_acc_put(c, s);
}

static void rk_srv_set_date(void *reactor_state, int64_t now)
{
	struct rk_srv_reactor *rs = reactor_state;
	rk_memcpy(rs->server_date, RK_SRV_SERVER_DATE, sizeof(RK_SRV_SERVER_DATE) - 1);
	rk_http_date(rs->server_date + sizeof(RK_SRV_SERVER_DATE) - 1, now);
}

static RK_COLD void rk_srv_on_tick(void *ctx, void *reactor_state, int64_t now)
{
	(void)ctx;
	rk_srv_set_date(reactor_state, now);
}

static RK_COLD void rk_srv_on_reactor_start(void *ctx, void *reactor_state, uint32_t id)
{
	const struct rk_server_config *hc = ctx;
	struct rk_srv_reactor *rs = reactor_state;
	struct __kernel_timespec ts;
	(void)id;
	/* The pool lives right after the header in the reactor's state. */
	rs->free = (uint32_t *)(rs + 1);
	rs->acc_mem = (char *)(rs->free + hc->max_conns);
	for (uint32_t i = 0; i < hc->max_conns; i++)
		rs->free[i] = hc->max_conns - 1 - i;
	rs->nfree = hc->max_conns;
	sys_clock_gettime(CLOCK_REALTIME, &ts);
	rk_srv_set_date(reactor_state, ts.tv_sec);
}

RK_COLD void rk_server_defaults(struct rk_server_config *hc)
{
	rk_memset(hc, 0, sizeof(*hc));
	hc->limits.max_request_line = RK_HTTP_DEFAULT_MAX_REQUEST_LINE;
	hc->limits.max_head = RK_HTTP_DEFAULT_MAX_HEAD;
	hc->limits.max_headers = RK_HTTP_DEFAULT_MAX_HEADERS;
	hc->max_body = 64u << 20;
	hc->header_timeout = 10;
	hc->idle_timeout = 60;
	hc->routes = rk_server_default_routes;
}

RK_COLD void rk_server_setup(struct rk_engine_config *cfg, struct rk_server_config *hc)
{
	cfg->handler = (struct rk_handler){
		.on_open = rk_srv_on_open,
		.on_data = rk_srv_on_data,
		.on_writable = rk_srv_on_writable,
		.on_timeout = rk_srv_on_timeout,
		.on_close = rk_srv_on_close,
		.on_tick = rk_srv_on_tick,
		.on_reactor_start = rk_srv_on_reactor_start,
		.ctx = (void *)hc,
	};
	hc->max_conns = cfg->max_conns;
	if (!hc->routes)
		hc->routes = rk_server_default_routes;
	cfg->app_state_size = (uint32_t)sizeof(struct rk_srv_conn);
	cfg->reactor_state_size = (uint32_t)(sizeof(struct rk_srv_reactor) +
					     (size_t)cfg->max_conns * (4 + hc->limits.max_head));
	/* A response head to /echo can be as long as the request head. */
	if (cfg->send_buffer < hc->limits.max_head + 2 * RK_SRV_RESERVE)
		cfg->send_buffer = hc->limits.max_head + 2 * RK_SRV_RESERVE;
}
