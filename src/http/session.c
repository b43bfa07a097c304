/* src/http/session.c - one connection's HTTP/1.1 session: the engine's
 * handler. It parses requests straight out of the received segments
 * (copying only a head split across buffers, into a bounded area), answers
 * them one at a time and in order, hands their bodies to body.c (dropped,
 * streamed to the route, or buffered for it), and runs the timeouts and
 * keep-alive.
 *
 * Follows RFC 9112 §9 (connection management: persistence, pipelining,
 * close, §9.6 the staged close). Backpressure: no further request is
 * parsed while the connection's write space is short, nor while an answer
 * is incomplete; the received segments are held meanwhile, so the engine
 * stops receiving for this connection alone - one client that does not
 * read cannot starve its reactor.
 * Read next: src/http/body.c.
 */
#include "internal.h"
RK_SRV_SMALL_FILE_BEGIN
#include "rocket/sys.h"
#include "rocket/util.h"

/* ---- the areas ------------------------------------------------------------ */

__attribute__((noinline)) char *rk_srv_area(struct rk_srv_conn *s)
{
	if (!s->area) {
		/* One conn area per connection slot: the pool is never empty. */
		struct rk_srv_reactor *rs = rk_conn_reactor_state(s->q.c);
		s->area = rk_pool_take(&rs->conn_areas);
	}
	return s->area;
}

void rk_srv_area_put_if_unused(struct rk_srv_conn *s)
{
	if (s->area && !s->acc_len && !s->q.fields_len && !s->q.head_len && !s->q.scratch) {
		struct rk_srv_reactor *rs = rk_conn_reactor_state(s->q.c);
		rk_pool_give(&rs->conn_areas, s->area);
		s->area = 0;
	}
}

/* ---- one request ---------------------------------------------------------- */

static void rk_srv_req_reset(struct rk_server_req *q)
{
	struct rk_conn *c = q->c;
	const struct rk_server_config *hc = q->hc;
	/* 64 bytes at a time, which gcc stores as four 16-byte words: the
	 * whole at once would be a rep stos, whose start-up costs more than
	 * the stores (it was a fifth of the pump's time, once a request). */
	for (size_t i = 0; i + 64 <= sizeof(*q); i += 64)
		rk_memset((char *)q + i, 0, 64);
	rk_memset((char *)q + sizeof(*q) / 64 * 64, 0, sizeof(*q) % 64);
	q->c = c;
	q->hc = hc;
}

/* The orderly end (RFC 9112 §9.6): nothing more is parsed or answered;
 * the write side is shut down after the last answer, and what the peer
 * still sends is read and dropped (rk_srv_on_data) until it closes too,
 * for at most linger_timeout after the last byte out and max_body bytes.
 * Closing at once would make the kernel answer unread input with a reset,
 * which destroys the answers the peer has not read yet. */
RK_SRV_RARE void rk_srv_close(struct rk_conn *c, struct rk_srv_conn *s)
{
	const struct rk_server_config *hc = rk_conn_ctx(c);
	s->phase = RK_SRV_CLOSED;
	s->consumed = 0; /* from now on: bytes dropped */
	rk_conn_shutdown_write(c);
	rk_conn_set_linger_ms(c, (uint64_t)hc->linger_timeout * 1000);
	if (!s->in_pump) {
		s->holding = false;
		rk_conn_release(c);
	}
}

/* After a route returned ret: a 500 for a request left without an answer
 * (final: the route had its last chance), a close for an answer broken
 * off halfway. Returns -1 once the connection is closing. */
RK_SRV_COLD int rk_srv_check(struct rk_conn *c, struct rk_srv_conn *s, int ret, bool final)
{
	struct rk_server_req *q = &s->q;
	static const char body[] = "500 Internal Server Error\n";
	if (s->phase == RK_SRV_CLOSED)
		return -1;
	if (!rk_srv_answered(q)) {
		if (ret < 0 || (final && !q->deferred)) {
			q->fields_len = 0;
			q->deferred = false;
			rk_server_respond(q, 500, "text/plain", body, sizeof(body) - 1);
		}
	} else if (ret < 0 && !rk_srv_out_complete(q)) {
		s->keep_alive = false;
		rk_srv_close(c, s);
		return -1;
	}
	return s->phase == RK_SRV_CLOSED ? -1 : 0;
}

/* Call the route of a routed head: at once without a body, else as
 * rk_srv_call_body_route (body.c) says. -1 once the connection is closing. */
static int rk_srv_call_route(struct rk_conn *c, struct rk_srv_conn *s,
			     const struct rk_http_request *req, const char *head,
			     const uint8_t *after, uint32_t nafter, long *used, bool *has_body)
{
	struct rk_server_req *q = &s->q;
	const struct rk_route *rt = q->route;
	if (rt->body == RK_BODY_BUFFERED && !*has_body) {
		/* The common case: answered at once. */
		int ret = rt->fn(q);
		if (ret >= 0 && rk_srv_answered(q) && s->phase != RK_SRV_CLOSED)
			return 0;
		return rk_srv_check(c, s, ret, true);
	}
	return rk_srv_call_body_route(c, s, req, head, after, nafter, used, has_body);
}

/* Route one complete head (head: its first byte) and call the route.
 * after[0..nafter): the bytes behind it in the same segment. Returns the
 * bytes of them it used, or -1 once the connection is closing. */
static long rk_srv_dispatch(struct rk_conn *c, struct rk_srv_conn *s,
			    const struct rk_http_request *req, const char *head,
			    const uint8_t *after, uint32_t nafter)
{
	const struct rk_server_config *hc = rk_conn_ctx(c);
	struct rk_server_req *q = &s->q;
	bool has_body = req->chunked || req->content_length > 0;
	long used = 0;
	char path[RK_SERVER_MAX_PATH]; /* a normalized path, while the route runs */

	rk_conn_count_request(c, 1);
	s->keep_alive = req->keep_alive;
	s->minor = req->minor;
	s->is_head = req->method == RK_HTTP_HEAD;
	s->head_started = false;
	s->chunked_body = req->chunked;
	s->remaining = req->chunked ? 0 : req->content_length;
	s->sink = RK_SINK_DROP;
	if (has_body)
		rk_srv_body_begin(c, s, req); /* its decoder and body_timeout */
	else
		rk_srv_timeout(c, hc->idle_timeout);
	/* q is clean: zeroed with the slot (rk_srv_on_open), or reset by
	 * rk_srv_finish, the only way back to RK_SRV_HEAD. */
	q->req = req;
	if (hc->access_log)
		rk_srv_log_begin(q, req);

	if (rk_srv_route(q, req, path) < 0)
		return -1;
	const struct rk_route *rt = q->route;
	if (!rt) {
		/* Answered by the router (404, 405, OPTIONS): the body is dropped. */
	} else if (rk_srv_call_route(c, s, req, head, after, nafter, &used, &has_body) < 0) {
		return -1;
	}
	rk_srv_req_forget_head(q);
	s->phase = has_body ? RK_SRV_BODY : RK_SRV_WAIT;
	if (has_body && s->sink == RK_SINK_DROP && !s->keep_alive && rk_srv_out_complete(q) &&
	    !q->ops && (!rt || !rt->on_end)) {
		/* Answered, and the client asked to close (or was told to): its
		 * body is moot. */
		rk_srv_close(c, s);
		return -1;
	}
	return used;
}

/* Bytes of a head: parsed where they are, or - a head split across
 * segments - after the part kept in the conn area. Returns bytes
 * consumed; *stop when the pump must stop (closing, or waiting for write
 * space). */
static long rk_srv_head_bytes(struct rk_conn *c, struct rk_srv_conn *s, const uint8_t *p,
			      uint32_t n, bool *stop)
{
	const struct rk_server_config *hc = rk_conn_ctx(c);
	uint32_t cap = hc->limits.max_head, had = s->acc_len, take = n;
	const char *buf = (const char *)p;
	struct rk_http_request req;

	if (rk_conn_write_space(c) < rk_srv_reserve(hc)) {
		/* Answers are queued faster than the client reads them: hold
		 * everything received until it catches up. */
		rk_conn_wait_writable(c);
		*stop = true;
		return 0;
	}
	if (had) {
		take = RK_MIN(n, cap - had);
		rk_memcpy(s->area + had, p, take);
		buf = s->area;
	}
	int r = rk_http_parse_head(buf, had + take, had, &hc->limits, &req);
	if (r > 0) {
		uint32_t used = (uint32_t)r - had;
		long b = rk_srv_dispatch(c, s, &req, buf, p + used, n - used);
		if (b < 0) {
			*stop = true;
			return 0;
		}
		if (had) {
			s->acc_len = 0; /* the route is done with the head */
			rk_srv_area_put_if_unused(s);
		}
		return used + b;
	}
	if (r < 0 || had + take >= cap) {
		/* A TLS ClientHello on the plain port: closed without an answer
		 * it could not read (the parser refuses its first byte). */
		if (r == -400 && !had && rk_http_is_tls_record(buf, take))
			rk_srv_close(c, s);
		else
			rk_srv_error(c, s, r < 0 ? -r : 431);
		*stop = true;
		return 0;
	}
	/* Incomplete: keep it for the next segment (the parser has checked
	 * it against the limits already). */
	if (!had)
		rk_memcpy(rk_srv_area(s), p, n);
	s->acc_len = had + take;
	if (!s->head_started) {
		s->head_started = true;
		rk_srv_timeout(c, hc->header_timeout);
	}
	return take;
}

static bool rk_srv_complete(const struct rk_srv_conn *s)
{
	return !s->fn_due && rk_srv_out_complete(&s->q) && !s->q.ops;
}

/* The request is complete: on to the next one, or close. */
static void rk_srv_finish(struct rk_conn *c, struct rk_srv_conn *s)
{
	const struct rk_server_config *hc = rk_conn_ctx(c);
	rk_srv_body_area_put(s);
	if (hc->access_log)
		rk_srv_log_end(&s->q);
	rk_srv_req_reset(&s->q);
	s->phase = RK_SRV_HEAD;
	s->sink = RK_SINK_DROP;
	s->is_head = false;
	s->minor = 1;
	s->pend = (struct rk_http_str){ 0, 0 };
	rk_srv_area_put_if_unused(s);
	if (!s->keep_alive) {
		rk_srv_close(c, s);
		return;
	}
	rk_srv_timeout(c, hc->idle_timeout);
}

/* Work through the held segments; release them when all are used and
 * nothing waits for an answer. */
static void rk_srv_pump(struct rk_conn *c, struct rk_srv_conn *s, const struct rk_seg *segs,
			unsigned nseg)
{
	s->holding = true;
	s->in_pump = true;
	for (;;) {
		bool stop = false;
		if (s->phase == RK_SRV_CLOSED) {
			/* Nothing more is parsed: what is held is dropped (the
			 * engine took it back already if it is closing). */
			s->holding = false;
			rk_conn_release(c);
			break;
		}
		if (s->spill.n || s->pend.n || s->end_due) {
			if (rk_srv_owed(c, s) && s->phase != RK_SRV_CLOSED)
				break; /* on_writable or rk_server_resume go on */
			continue;
		}
		if (s->phase == RK_SRV_WAIT) {
			if (s->fn_due) {
				if (rk_srv_buffer_end(c, s, true) > 0)
					break; /* on_writable goes on */
				continue;
			}
			if (!rk_srv_complete(s))
				break; /* holding: later requests wait for this answer */
			rk_srv_finish(c, s);
			continue;
		}
		if (s->iseg == nseg) {
			s->in_pump = false;
			s->holding = false;
			s->iseg = s->off = 0;
			rk_conn_release(c);
			return;
		}
		const struct rk_seg *seg = &segs[s->iseg];
		if (s->off == seg->len) {
			s->iseg++;
			s->off = 0;
			continue;
		}
		const uint8_t *p = seg->p + s->off;
		uint32_t n = seg->len - s->off;
		long k = s->phase == RK_SRV_HEAD ? rk_srv_head_bytes(c, s, p, n, &stop)
						 : rk_srv_body_bytes(c, s, p, n, &stop);
		s->off += (uint32_t)k;
		s->consumed += (uint64_t)k;
		if (stop && s->phase != RK_SRV_CLOSED)
			break; /* on_writable, an answer or rk_server_resume go on */
	}
	s->in_pump = false;
}

/* Something outside the pump (an answer, an operation, write space) may
 * have let the session go on. */
void rk_srv_advance(struct rk_conn *c, struct rk_srv_conn *s)
{
	if (s->in_pump || s->phase == RK_SRV_CLOSED || !s->holding)
		return;
	/* The segments are still held: the engine lists them again. */
	struct rk_seg segs[RK_DELIVER_MAX];
	unsigned n = rk_conn_held(c, segs, RK_DELIVER_MAX);
	rk_srv_pump(c, s, segs, n);
}

/* ---- for routes ------------------------------------------------------------ */

RK_SRV_COLD int rk_server_defer(struct rk_server_req *q)
{
	q->deferred = true;
	return 0;
}

RK_SRV_COLD struct io_uring_sqe *rk_server_op_sqe(struct rk_server_req *q, uint8_t tag)
{
	if (rk_srv_of(q)->phase == RK_SRV_CLOSED)
		return 0;
	struct io_uring_sqe *sqe = rk_conn_op_sqe(q->c, tag);
	if (sqe)
		q->ops++;
	return sqe;
}

RK_SRV_COLD void rk_server_resume(struct rk_server_req *q)
{
	rk_srv_advance(q->c, rk_srv_of(q));
}

RK_SRV_COLD void *rk_server_scratch(struct rk_server_req *q)
{
	struct rk_srv_conn *s = rk_srv_of(q);
	if (s->phase == RK_SRV_CLOSED && !q->scratch)
		return 0;
	q->scratch = true;
	return rk_srv_area(s) + RK_SRV_SCRATCH_OFF(q->hc->limits.max_head);
}

RK_SRV_COLD int64_t rk_server_now(const struct rk_server_req *q)
{
	const struct rk_srv_reactor *rs = rk_conn_reactor_state(q->c);
	return rs->now;
}

RK_SRV_COLD void *rk_server_state(struct rk_server_req *q)
{
	return (char *)rk_srv_of(q) + RK_SRV_STATE_OFF;
}

RK_SRV_COLD bool rk_server_closed(const struct rk_server_req *q)
{
	return rk_srv_of((struct rk_server_req *)q)->phase == RK_SRV_CLOSED;
}

/* ---- engine callbacks ----------------------------------------------------- */

static int rk_srv_on_open(struct rk_conn *c)
{
	const struct rk_server_config *hc = rk_conn_ctx(c);
	struct rk_srv_conn *s = rk_conn_app(c);
	s->q.c = c;
	s->q.hc = hc;
	rk_srv_timeout(c, hc->header_timeout);
	return 0;
}

/* Lingering (rk_srv_close): read and drop, within max_body. */
RK_SRV_RARE static void rk_srv_drop(struct rk_conn *c, struct rk_srv_conn *s,
				    const struct rk_seg *segs, unsigned n)
{
	const struct rk_server_config *hc = rk_conn_ctx(c);
	for (unsigned i = 0; i < n; i++)
		s->consumed += segs[i].len;
	rk_conn_release(c);
	if (s->consumed > hc->max_body)
		rk_conn_close(c);
}

static void rk_srv_on_data(struct rk_conn *c, const struct rk_seg *segs, unsigned n)
{
	struct rk_srv_conn *s = rk_conn_app(c);
	if (s->phase == RK_SRV_CLOSED) {
		rk_srv_drop(c, s, segs, n);
		return;
	}
	s->iseg = s->off = 0;
	rk_srv_pump(c, s, segs, n);
}

static void rk_srv_on_writable(struct rk_conn *c)
{
	struct rk_srv_conn *s = rk_conn_app(c);
	struct rk_server_req *q = &s->q;
	if (s->phase == RK_SRV_CLOSED)
		return;
	if (rk_srv_out_pending(q))
		rk_srv_out_pump(q);
	if (q->want_writable && !q->head_len && s->phase != RK_SRV_CLOSED) {
		q->want_writable = false;
		if (q->route && q->route->on_writable)
			q->route->on_writable(q);
	}
	rk_srv_advance(c, s);
}

RK_SRV_COLD static void rk_srv_on_op(struct rk_conn *c, uint8_t tag, int32_t res, uint32_t flags)
{
	struct rk_srv_conn *s = rk_conn_app(c);
	struct rk_server_req *q = &s->q;
	if (q->ops)
		q->ops--;
	if (q->route && q->route->on_op)
		q->route->on_op(q, tag, res, flags);
	if (s->phase == RK_SRV_CLOSED && !q->ops && q->scratch) {
		/* The last operation that could write to the scratch is done. */
		q->scratch = false;
		rk_srv_area_put_if_unused(s);
	}
	rk_srv_advance(c, s);
}

RK_SRV_COLD static void rk_srv_on_timeout(struct rk_conn *c)
{
	const struct rk_server_config *hc = rk_conn_ctx(c);
	struct rk_srv_conn *s = rk_conn_app(c);
	uint64_t queued = rk_conn_queued(c);
	if (s->phase == RK_SRV_HEAD) {
		/* A head left unfinished: 408 (slowloris). */
		if (s->head_started && rk_conn_write_space(c) >= rk_srv_reserve(hc)) {
			rk_srv_error(c, s, 408);
			return;
		}
		/* An answer the engine still sends after its request is
		 * complete (a long download): fine while bytes move. Merely
		 * idle between requests: close quietly (RFC 9112 §9.5). */
		if (queued && queued != s->seen_queued) {
			s->seen_queued = queued;
			rk_srv_timeout(c, hc->idle_timeout);
			return;
		}
	} else if (s->phase == RK_SRV_BODY) {
		/* body_timeout is over, however the body trickled: 408 if nothing
		 * was answered yet, else the end (a second answer is none). */
		if (!rk_srv_answered(&s->q))
			rk_srv_error(c, s, 408);
		else
			rk_srv_close(c, s);
		return;
	} else if (s->phase == RK_SRV_WAIT) {
		/* Reading a body or answering: fine while bytes move. */
		if (s->consumed != s->seen_consumed || queued != s->seen_queued) {
			s->seen_consumed = s->consumed;
			s->seen_queued = queued;
			rk_srv_timeout(c, hc->idle_timeout);
			return;
		}
	}
	/* Idle, stuck, or lingering past linger_timeout: abort. */
	s->phase = RK_SRV_CLOSED;
	rk_conn_abort(c);
}

RK_SRV_COLD static void rk_srv_on_close(struct rk_conn *c, enum rk_close_reason why)
{
	const struct rk_server_config *hc = rk_conn_ctx(c);
	struct rk_srv_conn *s = rk_conn_app(c);
	(void)why;
	rk_srv_log_end(&s->q);
	/* The engine sends what is queued, then closes: within linger_timeout
	 * of the last byte out (a peer that never reads cannot hold the slot;
	 * one that reads a long answer slowly is not cut off). */
	rk_conn_set_linger_ms(c, (uint64_t)hc->linger_timeout * 1000);
	s->phase = RK_SRV_CLOSED;
	s->holding = false;
	s->acc_len = 0;
	s->q.fields_len = 0;
	s->q.scratch = s->q.scratch && s->q.ops; /* else on_op gives it back */
	rk_srv_out_closed(&s->q);
	rk_srv_area_put_if_unused(s);
	rk_srv_body_area_put(s);
}

/* The engine's handler table for a session (src/http/setup.c installs
 * it with the rest of the configuration). */
void rk_srv_handler(struct rk_handler *h)
{
	h->on_open = rk_srv_on_open;
	h->on_data = rk_srv_on_data;
	h->on_writable = rk_srv_on_writable;
	h->on_timeout = rk_srv_on_timeout;
	h->on_close = rk_srv_on_close;
	h->on_op = rk_srv_on_op;
}
#if defined(__clang__)
#pragma clang attribute pop
#endif
