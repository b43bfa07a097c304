/* src/http/writer.c - the one response writer: a bounded buffer
 * (rk_http_buf_*), the response head rendered into it - status line
 * (RFC 9112 §4), Server and Date (RFC 9110 §10.2.4, §6.6.1), Content-Type,
 * Content-Length or chunked (RFC 9112 §6, §7.1), the route's own fields,
 * Allow (RFC 9110 §10.2.1), Connection (RFC 9112 §9.3) - and the bodies
 * appended after it to the connection's output queue: copied, borrowed,
 * file ranges, and streams. Nothing is ever cut short: a field that does
 * not fit or is not a valid field value is refused with -EINVAL.
 * Read next: src/http/accesslog.c.
 */
#include "internal.h"
RK_SRV_SMALL_FILE_BEGIN
#include "rocket/sys.h"
#include "rocket/util.h"

/* ---- the bounded buffer --------------------------------------------------- */

/* Not inlined: a response head is a dozen puts, and one call each keeps
 * the product small. */
__attribute__((noinline)) int rk_http_buf_put(struct rk_http_buf *b, const void *src, size_t n)
{
	if (n > (size_t)(b->cap - b->len))
		return RK_HTTP_ENOSPC;
	if (n)
		rk_memcpy(b->p + b->len, src, n);
	b->len += (uint32_t)n;
	return 0;
}
#define RK_BUF_LIT(b, lit) rk_http_buf_put(b, lit, sizeof(lit) - 1)

__attribute__((noinline)) static int rk_http_buf_put_uint(struct rk_http_buf *b, uint64_t v,
							  unsigned base)
{
	char tmp[20];
	size_t i = sizeof(tmp);
	do {
		tmp[--i] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	return rk_http_buf_put(b, tmp + i, sizeof(tmp) - i);
}

int rk_http_buf_put_u64(struct rk_http_buf *b, uint64_t v)
{
	return rk_http_buf_put_uint(b, v, 10);
}

RK_SRV_COLD int rk_http_buf_status_line(struct rk_http_buf *b, int code)
{
	struct rk_http_str r;
	if (code < 100 || code > 999)
		return -EINVAL;
	rk_http_status_reason(code, &r);
	/* Room for the whole line first: nothing is written if it cannot fit. */
	if (sizeof("HTTP/1.1 000 \r\n") - 1 + (uint64_t)r.n > (uint64_t)(b->cap - b->len))
		return RK_HTTP_ENOSPC;
	RK_BUF_LIT(b, "HTTP/1.1 ");
	rk_http_buf_put_u64(b, (uint64_t)code);
	RK_BUF_LIT(b, " ");
	rk_http_buf_put(b, r.p, r.n);
	return RK_BUF_LIT(b, "\r\n");
}

/* field-value (RFC 9110 §5.5): visible characters, SP and HTAB. */
static bool rk_http_value_ok(struct rk_http_str v)
{
	for (uint32_t i = 0; i < v.n; i++) {
		unsigned char c = (unsigned char)v.p[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

static bool rk_http_token_ok(struct rk_http_str n)
{
	bool tok = n.n > 0;
	for (uint32_t i = 0; i < n.n && tok; i++)
		tok = rk_http_is_tchar((unsigned char)n.p[i]);
	return tok;
}

int rk_http_buf_header(struct rk_http_buf *b, struct rk_http_str name, struct rk_http_str value)
{
	if (!rk_http_token_ok(name) || !rk_http_value_ok(value))
		return -EINVAL;
	/* Room for the whole line first: nothing is written if it cannot fit. */
	if ((uint64_t)name.n + value.n + 4 > (uint64_t)(b->cap - b->len))
		return RK_HTTP_ENOSPC;
	rk_http_buf_put(b, name.p, name.n);
	RK_BUF_LIT(b, ": ");
	rk_http_buf_put(b, value.p, value.n);
	RK_BUF_LIT(b, "\r\n");
	return 0;
}

RK_SRV_COLD int rk_http_buf_header_u64(struct rk_http_buf *b, struct rk_http_str name, uint64_t v)
{
	char tmp[20];
	struct rk_http_buf t = { tmp, 0, sizeof(tmp) };

	rk_http_buf_put_u64(&t, v);
	return rk_http_buf_header(b, name, (struct rk_http_str){ tmp, t.len });
}

RK_SRV_COLD int rk_http_buf_end_head(struct rk_http_buf *b)
{
	return RK_BUF_LIT(b, "\r\n");
}

static struct rk_http_str rk_cstr(const char *s)
{
	return (struct rk_http_str){ s, (uint32_t)rk_strlen(s) };
}

void rk_srv_set_date(struct rk_srv_reactor *rs, int64_t now)
{
	rk_memcpy(rs->server_date, RK_SRV_SERVER_DATE, sizeof(RK_SRV_SERVER_DATE) - 1);
	rk_http_date(rs->server_date + sizeof(RK_SRV_SERVER_DATE) - 1, now);
	rs->now = now;
	rk_memcpy(rs->server_date + RK_SRV_SD_LEN - 2, "\r\n", 2);
}

/* ---- the response head ---------------------------------------------------- */

/* How the body is framed. */
#define RK_FRAME_CHUNKED (-1)
#define RK_FRAME_CLOSE   (-2) /* close-delimited (HTTP/1.0 stream) */

static bool rk_srv_status_has_body(int status)
{
	return status >= 200 && status != 204 && status != 304;
}

/* The render's own put: inlined, so that a literal or the Server and Date
 * fields become a few moves instead of a call and a memcpy each (the
 * bound is checked all the same). rk_http_buf_put stays the one call for
 * everything off this path. */
static inline __attribute__((always_inline)) int rk_srv_put(struct rk_http_buf *b, const void *src,
							    size_t n)
{
	if (n > (size_t)(b->cap - b->len))
		return RK_HTTP_ENOSPC;
	rk_memcpy(b->p + b->len, src, n);
	b->len += (uint32_t)n;
	return 0;
}
#define RK_PUT_LIT(b, lit) rk_srv_put(b, lit, sizeof(lit) - 1)

/* "Content-Length: <v>\r\n", the digits written in place (by a constant
 * divisor: no div instruction, no copy of unknown length). */
static inline __attribute__((always_inline)) int rk_srv_put_length(struct rk_http_buf *b,
								   uint64_t v)
{
	static const char name[] = "Content-Length: ";
	if (b->cap - b->len < sizeof(name) - 1 + 20 + 2)
		return RK_HTTP_ENOSPC;
	char *o = b->p + b->len + sizeof(name) - 1;
	uint32_t nd = 1;
	for (uint64_t t = v; t >= 10; t /= 10)
		nd++;
	rk_memcpy(b->p + b->len, name, sizeof(name) - 1);
	rk_memcpy(o + nd, "\r\n", 2);
	char *e = o + nd;
	do {
		*--e = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	b->len += (uint32_t)(sizeof(name) - 1 + nd + 2);
	return 0;
}

/* "Content-Type: <ctype>\r\n", the type checked as it is copied (one
 * pass; a copy of unknown length would be a rep movs, whose start-up
 * costs more than these few bytes): -EINVAL past RK_SERVER_MAX_CTYPE
 * bytes or for a byte that is no field-value's (RFC 9110 §5.5: visible
 * characters, obs-text, SP and HTAB). */
static int rk_srv_put_ctype(struct rk_http_buf *b, const char *ct)
{
	static const char name[] = "Content-Type: ";
	if (b->cap - b->len < sizeof(name) - 1 + RK_SERVER_MAX_CTYPE + 2)
		return RK_HTTP_ENOSPC;
	char *o = b->p + b->len + sizeof(name) - 1;
	uint32_t n = 0;
	for (;; n++) {
		unsigned char c = (unsigned char)ct[n];
		if ((unsigned char)(c - 0x20) >= 0x5f && ((c < 0x20 && c != '\t') || c == 0x7f)) {
			if (!c)
				break;
			return -EINVAL;
		}
		if (n == RK_SERVER_MAX_CTYPE)
			return -EINVAL;
		o[n] = (char)c;
	}
	rk_memcpy(b->p + b->len, name, sizeof(name) - 1);
	rk_memcpy(o + n, "\r\n", 2);
	b->len += (uint32_t)(sizeof(name) - 1 + n + 2);
	return 0;
}

/* Status line, Server, Date, Content-Type, framing, fields, Allow,
 * Connection, blank line. Returns the length or -EINVAL. */
static int rk_srv_render(struct rk_server_req *q, char *out, uint32_t cap, int status,
			 const char *ctype, int64_t clen)
{
	struct rk_srv_conn *s = rk_srv_of(q);
	const struct rk_srv_reactor *rs = rk_conn_reactor_state(q->c);
	struct rk_http_buf b = { out, 0, cap };
	int err = 0;

	if (status == 200)
		err |= RK_PUT_LIT(&b, "HTTP/1.1 200 OK\r\n");
	else
		err |= rk_http_buf_status_line(&b, status);
	err |= rk_srv_put(&b, rs->server_date, RK_SRV_SD_LEN);
	if (ctype && rk_srv_put_ctype(&b, ctype) < 0)
		return -EINVAL;
	/* RFC 9110 §8.6: no Content-Length in a 1xx or 204 answer. */
	if (status >= 200 && status != 204) {
		if (clen == RK_FRAME_CHUNKED)
			err |= RK_BUF_LIT(&b, "Transfer-Encoding: chunked\r\n");
		else if (clen >= 0)
			err |= rk_srv_put_length(&b, (uint64_t)clen);
	}
	if (q->fields_len)
		err |= rk_http_buf_put(&b, s->area + q->hc->limits.max_head, q->fields_len);
	if (q->allow) /* the router's, from the route table */
		err |= RK_BUF_LIT(&b, "Allow: ") |
		       rk_http_buf_put(&b, q->allow, rk_strlen(q->allow)) | RK_BUF_LIT(&b, "\r\n");
	if (!s->keep_alive)
		err |= RK_BUF_LIT(&b, "Connection: close\r\n");
	else if (s->minor == 0)
		err |= RK_BUF_LIT(&b, "Connection: keep-alive\r\n");
	err |= RK_PUT_LIT(&b, "\r\n");
	/* The bounds of RK_SRV_HEAD_MAX make a full buffer impossible; an
	 * invalid content type is the only way here. */
	return err ? -EINVAL : (int)b.len;
}

/* Start an answer: render its head and queue it, or keep it in the conn
 * area when the write space is short. A copied body's first piece (body,
 * or NULL) goes in the same write when the head fits: *taken says how
 * much of it went. */
static int rk_srv_begin(struct rk_server_req *q, int status, const char *ctype, int64_t clen,
			const struct rk_seg *body, uint32_t *taken)
{
	struct rk_srv_conn *s = rk_srv_of(q);
	char head[RK_SRV_HEAD_MAX];
	if (q->out != RK_OUT_NONE)
		return -EALREADY;
	if (s->phase == RK_SRV_CLOSED)
		return -EPIPE;
	if (clen == RK_FRAME_CLOSE)
		s->keep_alive = false;
	int n = rk_srv_render(q, head, sizeof(head), status, ctype, clen);
	if (n < 0)
		return n;
	q->status = (uint16_t)status;
	q->body_mark = rk_conn_out_total(q->c) + (uint64_t)n;
	q->no_body = s->is_head || !rk_srv_status_has_body(status);
	/* The engine takes what its write space allows: a head cut short
	 * stops the write there (the body's piece waits behind it). */
	struct rk_seg v[2] = { { (const uint8_t *)head, (uint32_t)n } };
	unsigned nv = 1;
	if (body && !q->no_body)
		v[nv++] = *body;
	long w = rk_conn_writev(q->c, v, nv);
	if (w < 0)
		return (int)w;
	if (w < n) {
		char *pend = rk_srv_area(s) + q->hc->limits.max_head + RK_SERVER_MAX_FIELDS;
		rk_memcpy(pend, head + w, (size_t)(n - w));
		q->head_off = 0;
		q->head_len = (uint16_t)(n - w);
	} else if (taken) {
		*taken = (uint32_t)(w - n);
	}
	q->fields_len = 0;
	q->out = RK_OUT_DONE;
	if (!q->head_len && s->area)
		rk_srv_area_put_if_unused(s);
	return 0;
}

RK_SRV_COLD static bool rk_srv_stream_owed(struct rk_server_req *q, const uint8_t *p, uint32_t n,
					   uint32_t *taken);

/* The rest of rk_srv_out_pump: borrowed bodies, files, a stream's end. */
RK_SRV_COLD static void rk_srv_out_lent(struct rk_server_req *q)
{
	struct rk_conn *c = q->c;
	int r = 0;
	switch (q->out) {
	case RK_OUT_REF:
	case RK_OUT_FILE:
		r = q->out == RK_OUT_REF
			    ? rk_conn_send_ref(c, q->ref, q->len, q->done, q->done_arg)
			    : rk_conn_send_file(c, q->fd, q->off, q->len, q->done, q->done_arg);
		if (r == -ENOBUFS) {
			rk_conn_wait_writable(c);
			return;
		}
		if (r < 0 && q->done)
			q->done(q->done_arg, r); /* it was promised once respond returned 0 */
		break;
	case RK_OUT_STREAM:
		if (!q->stream_end)
			return;
		if (q->chunked && !q->no_body) {
			/* The last chunk goes out like any other owed bytes. */
			uint32_t none = 0;
			if (!q->last_queued) {
				if (!rk_srv_stream_owed(q, 0, 0, &none)) {
					rk_conn_wait_writable(c);
					return;
				}
				rk_memcpy(q->owed, "0\r\n\r\n", 5);
				q->owed_off = 0;
				q->owed_len = 5;
				q->last_queued = true;
			}
			if (!rk_srv_stream_owed(q, 0, 0, &none)) {
				rk_conn_wait_writable(c);
				return;
			}
		}
		break;
	default:
		return;
	}
	q->out = RK_OUT_DONE;
}

/* Move the answer along as far as the write space lets it. */
void rk_srv_out_pump(struct rk_server_req *q)
{
	struct rk_srv_conn *s = rk_srv_of(q);
	struct rk_conn *c = q->c;
	if (s->phase == RK_SRV_CLOSED)
		return;
	if (q->head_len) {
		const char *pend = s->area + q->hc->limits.max_head + RK_SERVER_MAX_FIELDS;
		long w = rk_conn_write(c, pend + q->head_off, q->head_len);
		if (w < 0)
			return;
		q->head_off = (uint16_t)(q->head_off + w);
		q->head_len = (uint16_t)(q->head_len - w);
		if (q->head_len) {
			rk_conn_wait_writable(c);
			return;
		}
		rk_srv_area_put_if_unused(s);
	}
	if (q->out == RK_OUT_COPY) {
		while (q->nv) {
			long w = rk_conn_write(c, q->v->p + q->off, q->v->len - q->off);
			if (w < 0)
				return;
			q->off += (uint64_t)w;
			if (q->off < q->v->len) {
				rk_conn_wait_writable(c);
				return;
			}
			q->v++, q->nv--, q->off = 0;
		}
		q->out = RK_OUT_DONE;
	} else if (q->out != RK_OUT_DONE && q->out != RK_OUT_NONE) {
		rk_srv_out_lent(q);
	}
}

/* The connection closed with the answer unfinished: a borrowed body or a
 * file the engine never took is given back. */
RK_SRV_COLD void rk_srv_out_closed(struct rk_server_req *q)
{
	if ((q->out == RK_OUT_REF || q->out == RK_OUT_FILE) && q->done)
		q->done(q->done_arg, -EPIPE);
	if (q->out != RK_OUT_NONE)
		q->out = RK_OUT_DONE;
	q->head_len = 0;
}

/* ---- answers --------------------------------------------------------------- */

RK_SRV_COLD int rk_server_add_header(struct rk_server_req *q, const char *name, const char *value)
{
	struct rk_srv_conn *s = rk_srv_of(q);
	struct rk_http_str n = rk_cstr(name), v = rk_cstr(value);
	if (!rk_http_token_ok(n) || !rk_http_value_ok(v))
		return -EINVAL;
	if (q->out != RK_OUT_NONE)
		return -EALREADY;
	if (q->fields_len + (uint64_t)n.n + v.n + 4 > RK_SERVER_MAX_FIELDS)
		return -ENOSPC;
	struct rk_http_buf b = { rk_srv_area(s) + q->hc->limits.max_head, q->fields_len,
				 RK_SERVER_MAX_FIELDS };
	int r = rk_http_buf_header(&b, n, v);
	if (r == 0)
		q->fields_len = (uint16_t)b.len;
	return r;
}

/* Field lines "Name: value\r\n" the HTTP layer rendered itself, from
 * checked values (a static file's validators, once per file and second). */
int rk_srv_add_fields(struct rk_server_req *q, const char *p, size_t n)
{
	struct rk_srv_conn *s = rk_srv_of(q);
	if (q->out != RK_OUT_NONE)
		return -EALREADY;
	if (q->fields_len + (uint64_t)n > RK_SERVER_MAX_FIELDS)
		return -ENOSPC;
	rk_memcpy(rk_srv_area(s) + q->hc->limits.max_head + q->fields_len, p, n);
	q->fields_len = (uint16_t)(q->fields_len + n);
	return 0;
}

/* A field value without CR, LF, NUL or other controls but HTAB. */
bool rk_srv_value_ok(const char *v)
{
	return rk_http_value_ok(rk_cstr(v));
}

int rk_server_respond_v(struct rk_server_req *q, int status, const char *ctype,
			const struct rk_seg *body, unsigned nbody, uint64_t total)
{
	uint32_t taken = 0;
	int r = rk_srv_begin(q, status, ctype, (int64_t)total, nbody ? body : 0, &taken);
	if (r < 0 || q->no_body)
		return r;
	q->v = body;
	q->nv = nbody;
	q->off = taken;
	if (nbody && taken == body->len) {
		/* The common answer: all of it went with the head. */
		q->v++, q->nv--, q->off = 0;
		if (!q->nv && !q->head_len)
			return 0;
	}
	q->out = RK_OUT_COPY;
	rk_srv_out_pump(q);
	return 0;
}

int rk_server_respond(struct rk_server_req *q, int status, const char *content_type,
		      const void *body, uint32_t len)
{
	if (q->out != RK_OUT_NONE)
		return -EALREADY; /* q->one may be the body being copied */
	q->one = (struct rk_seg){ body, len };
	return rk_server_respond_v(q, status, content_type, &q->one, 1, len);
}

RK_SRV_COLD static int rk_srv_respond_lent(struct rk_server_req *q, uint8_t kind, int status,
					   const char *ctype, uint64_t len, rk_done_fn done,
					   void *arg)
{
	int r = rk_srv_begin(q, status, ctype, (int64_t)len, 0, 0);
	if (r < 0)
		return r;
	if (q->no_body || !len) {
		if (done)
			done(arg, 0);
		return 0;
	}
	q->len = len;
	q->done = done;
	q->done_arg = arg;
	q->out = kind;
	rk_srv_out_pump(q);
	return 0;
}

RK_SRV_COLD int rk_server_respond_ref(struct rk_server_req *q, int status, const char *content_type,
				      const void *body, uint64_t len, rk_done_fn done, void *arg)
{
	if (q->out != RK_OUT_NONE)
		return -EALREADY;
	q->ref = body;
	return rk_srv_respond_lent(q, RK_OUT_REF, status, content_type, len, done, arg);
}

RK_SRV_COLD int rk_server_respond_file(struct rk_server_req *q, int status,
				       const char *content_type, int fd, uint64_t off, uint64_t len,
				       rk_done_fn done, void *arg)
{
	if (q->out != RK_OUT_NONE)
		return -EALREADY;
	q->fd = fd;
	q->off = off;
	return rk_srv_respond_lent(q, RK_OUT_FILE, status, content_type, len, done, arg);
}

RK_SRV_COLD int rk_server_stream_begin(struct rk_server_req *q, int status,
				       const char *content_type, int64_t length)
{
	struct rk_srv_conn *s = rk_srv_of(q);
	int64_t frame = length;
	if (length < 0)
		frame = s->minor == 0 ? RK_FRAME_CLOSE : RK_FRAME_CHUNKED;
	int r = rk_srv_begin(q, status, content_type, frame, 0, 0);
	if (r < 0)
		return r;
	q->chunked = frame == RK_FRAME_CHUNKED;
	q->stream_left = length;
	q->stream_end = false;
	q->out = RK_OUT_STREAM;
	return 0;
}

/* What a chunk still owes before anything else may follow: the rest of
 * its size line or closing CRLF (in q->owed), and chunk_left data bytes,
 * which come from the next piece the producer writes. The engine may take
 * less than its write space said (its chunks ran out halfway); the framing
 * then continues where it stopped, never cut. Returns true once nothing is
 * owed; p[0..n) is the producer's piece, *taken counts what it gave. */
static bool rk_srv_stream_owed(struct rk_server_req *q, const uint8_t *p, uint32_t n,
			       uint32_t *taken)
{
	for (;;) {
		if (q->owed_len) {
			long w = rk_conn_write(q->c, q->owed + q->owed_off, q->owed_len);
			if (w < 0)
				return false;
			q->owed_off = (uint8_t)(q->owed_off + w);
			q->owed_len = (uint8_t)(q->owed_len - w);
			if (q->owed_len)
				return false;
		}
		if (!q->chunk_left)
			return true;
		if (*taken == n)
			return false;
		long w = rk_conn_write(q->c, p + *taken, RK_MIN(n - *taken, q->chunk_left));
		if (w < 0)
			return false;
		*taken += (uint32_t)w;
		q->chunk_left -= (uint32_t)w;
		if (q->chunk_left)
			return false;
		rk_memcpy(q->owed, "\r\n", 2);
		q->owed_off = 0;
		q->owed_len = 2;
	}
}

RK_SRV_COLD long rk_server_stream_write(struct rk_server_req *q, const void *data, uint32_t n)
{
	struct rk_conn *c = q->c;
	const uint8_t *p = data;
	if (q->out != RK_OUT_STREAM || q->stream_end)
		return -EINVAL;
	if (q->stream_left >= 0 && n > q->stream_left)
		return -EINVAL; /* more than the Content-Length promised */
	if (rk_srv_of(q)->phase == RK_SRV_CLOSED)
		return -EPIPE;
	if (q->no_body || !n) {
		if (q->stream_left >= 0)
			q->stream_left -= n;
		return n;
	}
	uint32_t taken = 0;
	if (q->head_len) {
		/* The head is still waiting for room: nothing goes before it. */
	} else if (q->chunked) {
		while (rk_srv_stream_owed(q, p, n, &taken) && taken < n) {
			uint32_t space = rk_conn_write_space(c);
			if (space <= RK_SRV_CHUNK_FRAME)
				break;
			uint32_t k = RK_MIN(n - taken, space - RK_SRV_CHUNK_FRAME);
			struct rk_http_buf b = { q->owed, 0, sizeof(q->owed) };
			rk_http_buf_put_uint(&b, k, 16);
			RK_BUF_LIT(&b, "\r\n");
			q->owed_off = 0;
			q->owed_len = (uint8_t)b.len;
			q->chunk_left = k;
		}
	} else {
		long w = rk_conn_write(c, p, n);
		if (w < 0)
			return w;
		taken = (uint32_t)w;
		if (q->stream_left >= 0)
			q->stream_left -= w;
	}
	if (taken < n) {
		q->want_writable = true;
		rk_conn_wait_writable(c);
	}
	return taken;
}

RK_SRV_COLD int rk_server_stream_end(struct rk_server_req *q)
{
	if (q->out != RK_OUT_STREAM || q->stream_end)
		return -EINVAL;
	if ((q->stream_left > 0 || q->chunk_left) && !q->no_body) {
		/* Fewer bytes than the Content-Length (or a chunk's size line)
		 * said: the client would take the next answer for the rest of
		 * this one. */
		rk_srv_of(q)->keep_alive = false;
		q->out = RK_OUT_DONE;
		rk_conn_abort(q->c);
		return -EIO;
	}
	q->stream_end = true;
	rk_srv_out_pump(q);
	return 0;
}

RK_SRV_COLD uint32_t rk_server_write_space(const struct rk_server_req *q)
{
	return q->head_len ? 0 : rk_conn_write_space(q->c);
}

RK_SRV_COLD void rk_server_wait_writable(struct rk_server_req *q)
{
	q->want_writable = true;
	rk_conn_wait_writable(q->c);
}

/* ---- answers of the session's own ------------------------------------------ */

/* An error ends the connection: answer, then close without parsing or
 * answering anything after it (no request smuggling past an error). */
RK_SRV_COLD void rk_srv_error(struct rk_conn *c, struct rk_srv_conn *s, int status)
{
	struct rk_server_req *q = &s->q;
	struct rk_http_str reason;
	char body[sizeof("000 \n") + 64];
	struct rk_http_buf b = { body, 0, sizeof(body) };
	rk_http_status_reason(status, &reason);
	rk_http_buf_put_u64(&b, (uint64_t)status);
	RK_BUF_LIT(&b, " ");
	rk_http_buf_put(&b, reason.p, reason.n);
	RK_BUF_LIT(&b, "\n");
	s->keep_alive = false;
	if (q->out == RK_OUT_NONE) {
		q->allow = 0;
		q->fields_len = 0;
		rk_server_respond(q, status, "text/plain", body, b.len);
	}
	rk_srv_close(c, s);
}

RK_SRV_COLD void rk_srv_continue(struct rk_conn *c)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	rk_conn_write(c, cont, sizeof(cont) - 1);
}
#if defined(__clang__)
#pragma clang attribute pop
#endif
