/* src/http/body.c - a request's body, for the session (session.c): framed
 * by Content-Length or chunked (the decoder: chunked.c), then dropped,
 * streamed to the route's on_body, or gathered in a body area for its fn;
 * the 100 (Continue) a client waits for, and body_timeout (armed here; it
 * expires in the session's on_timeout, beside the other phases').
 * Follows RFC 9112 §6 (message body; §6.3 its length) and §7 (transfer
 * codings; §7.1 chunked), RFC 9110 §10.1.1 (Expect: 100-continue). The
 * commit rule: no status line goes out before the request is known valid -
 * a body up to max_body_buffer is read and validated whole before its
 * route is called, whatever the route's kind.
 * Read next: src/http/setup.c.
 */
#include "internal.h"
RK_SRV_SMALL_FILE_BEGIN
#include "rocket/util.h"

/* The body area back to its pool: the request is complete, or its
 * connection closes. */
RK_SRV_COLD void rk_srv_body_area_put(struct rk_srv_conn *s)
{
	if (s->body_area) {
		struct rk_srv_reactor *rs = rk_conn_reactor_state(s->q.c);
		rk_pool_give(&rs->body_areas, s->body_area);
		s->body_area = 0;
	}
}

/* A request with a body: its chunked decoder, within the limits, and its
 * deadline - a body must be in within body_timeout, however it trickles. */
RK_SRV_COLD void rk_srv_body_begin(struct rk_conn *c, struct rk_srv_conn *s,
				   const struct rk_http_request *req)
{
	const struct rk_server_config *hc = rk_conn_ctx(c);
	if (req->chunked) {
		rk_http_chunked_init(&s->ck, hc->max_body);
		s->ck.max_chunks = hc->limits.max_chunks;
		s->ck.max_line = hc->limits.max_chunk_line;
		s->ck.max_trailers = hc->limits.max_trailers;
	}
	rk_srv_timeout(c, hc->body_timeout);
}

RK_SRV_COLD static int rk_srv_end_stream(struct rk_conn *c, struct rk_srv_conn *s)
{
	const struct rk_route *rt = s->q.route;
	int ret = rt->on_end ? rt->on_end(&s->q) : 0;
	return rk_srv_check(c, s, ret, true);
}

/* The body is read. Returns -1 once the connection is closing. */
static int rk_srv_body_end(struct rk_conn *c, struct rk_srv_conn *s)
{
	s->phase = RK_SRV_WAIT;
	if (s->sink == RK_SINK_BUFFER) {
		s->fn_due = true; /* the pump calls it once write space allows */
		return 0;
	}
	if (s->q.route && s->q.route->body == RK_BODY_STREAMED)
		return rk_srv_end_stream(c, s);
	return 0;
}

/* A gathered body is complete, or (complete false: a streamed route's
 * body outgrew the buffer) as far as it goes: the route sees its head
 * again (re-parsed from the copy in the body area) and is called. A
 * buffered route gets the whole body; a streamed one its on_body with
 * what was gathered (s->spill), then the rest as it arrives, or its
 * on_end. 0, 1 (wait for write space) or -1 (closing). */
RK_SRV_COLD int rk_srv_buffer_end(struct rk_conn *c, struct rk_srv_conn *s, bool complete)
{
	const struct rk_server_config *hc = rk_conn_ctx(c);
	struct rk_server_req *q = &s->q;
	char path[RK_SERVER_MAX_PATH];
	if (rk_conn_write_space(c) < rk_srv_reserve(hc)) {
		rk_conn_wait_writable(c);
		return 1;
	}
	s->fn_due = false;
	struct rk_http_request *req = (struct rk_http_request *)s->body_area;
	const char *head = s->body_area + RK_ALIGN16(sizeof(*req));
	const char *body = head + hc->limits.max_head;
	/* The same bytes parse and route the same way: this cannot fail. */
	rk_http_parse_head(head, s->body_head, 0, &hc->limits, req);
	q->req = req;
	rk_srv_route(q, req, path);
	const struct rk_route *rt = q->route;
	bool streamed = rt->body == RK_BODY_STREAMED;
	if (!streamed)
		q->body = (struct rk_http_str){ body, s->body_len };
	s->sink = streamed && rt->on_body ? RK_SINK_STREAM : RK_SINK_DROP;
	int ret = rt->fn(q);
	rk_srv_req_forget_head(q);
	if (!streamed) {
		rk_srv_body_area_put(s);
		return rk_srv_check(c, s, ret, true);
	}
	/* The area stays until the request is complete: on_body may take the
	 * gathered bytes a piece at a time. */
	s->spill = (struct rk_http_str){ body, s->body_len };
	s->end_due = complete;
	return rk_srv_check(c, s, ret, false);
}

/* Start gathering a body: the head goes along into the body area. */
RK_SRV_COLD static bool rk_srv_buffer_begin(struct rk_conn *c, struct rk_srv_conn *s,
					    const struct rk_http_request *req, const char *head)
{
	struct rk_srv_reactor *rs = rk_conn_reactor_state(c);
	s->body_area = rk_pool_take(&rs->body_areas);
	if (!s->body_area) {
		rk_srv_error(c, s, 503);
		return false;
	}
	rk_memcpy(s->body_area + RK_ALIGN16(sizeof(*req)), head, req->head_len);
	s->body_head = req->head_len;
	s->body_len = 0;
	s->sink = RK_SINK_BUFFER;
	if (req->expect_continue)
		rk_srv_continue(c);
	return true;
}

/* A routed request with a body (or a streamed route): the body is
 * gathered first unless it is all here already (a Content-Length body
 * with its head) or, for a streamed route, longer than the buffer. */
RK_SRV_COLD int rk_srv_call_body_route(struct rk_conn *c, struct rk_srv_conn *s,
				       const struct rk_http_request *req, const char *head,
				       const uint8_t *after, uint32_t nafter, long *used,
				       bool *has_body)
{
	const struct rk_server_config *hc = rk_conn_ctx(c);
	struct rk_server_req *q = &s->q;
	const struct rk_route *rt = q->route;
	bool here = !req->chunked && req->content_length <= nafter;
	if (!req->chunked && req->content_length > rk_srv_buffer_limit(hc)) {
		if (rt->body == RK_BODY_BUFFERED) {
			rk_srv_error(c, s, 413); /* directly, without a 100 */
			return -1;
		}
	} else if (!here) {
		return rk_srv_buffer_begin(c, s, req, head) ? 0 : -1;
	}
	if (rt->body == RK_BODY_BUFFERED) {
		/* The whole body came with its head: no copy. */
		q->body =
			(struct rk_http_str){ (const char *)after, (uint32_t)req->content_length };
		*used = (long)req->content_length;
		s->remaining = 0;
		*has_body = false;
		return rk_srv_check(c, s, rt->fn(q), true);
	}
	if (!here && req->expect_continue)
		rk_srv_continue(c);
	if (rt->on_body)
		s->sink = RK_SINK_STREAM;
	if (rk_srv_check(c, s, rt->fn(q), false) < 0)
		return -1;
	if (!*has_body && rk_srv_end_stream(c, s) < 0)
		return -1;
	return 0;
}

/* Decoded body bytes to their sink. Returns how many it took. */
RK_SRV_COLD static uint32_t rk_srv_sink(struct rk_conn *c, struct rk_srv_conn *s, const uint8_t *p,
					uint32_t n, bool *stop)
{
	const struct rk_server_config *hc = rk_conn_ctx(c);
	struct rk_server_req *q = &s->q;
	if (s->sink == RK_SINK_DROP)
		return n;
	if (s->sink == RK_SINK_BUFFER) {
		if ((uint64_t)s->body_len + n > rk_srv_buffer_limit(hc)) {
			if (q->route->body == RK_BODY_BUFFERED) {
				rk_srv_error(c, s, 413); /* nothing was answered yet */
				*stop = true;
			} else if (rk_srv_buffer_end(c, s, false) != 0) {
				*stop = true; /* write space, or closing */
			}
			/* Else a streamed route past the buffer: the gathered
			 * bytes go first (s->spill), these after them. */
			return 0;
		}
		rk_memcpy(s->body_area + RK_ALIGN16(sizeof(struct rk_http_request)) +
				  hc->limits.max_head + s->body_len,
			  p, n);
		s->body_len += n;
		return n;
	}
	long t = q->route->on_body(q, p, n);
	if (s->phase == RK_SRV_CLOSED) {
		*stop = true;
		return 0;
	}
	if (t < 0) {
		rk_srv_close(c, s);
		*stop = true;
		return 0;
	}
	if ((uint64_t)t >= n)
		return n;
	/* The route took less: the rest waits (and the client with it). */
	*stop = true;
	if (rk_conn_write_space(c) < RK_SERVER_MIN_SPACE)
		rk_conn_wait_writable(c);
	return (uint32_t)t;
}

/* Received bytes of a body (RK_SRV_BODY), decoded if chunked, to their
 * sink. Returns the bytes consumed; *stop when the pump must stop. */
RK_SRV_COLD long rk_srv_body_bytes(struct rk_conn *c, struct rk_srv_conn *s, const uint8_t *p,
				   uint32_t n, bool *stop)
{
	if (!s->chunked_body) {
		uint32_t k = (uint32_t)RK_MIN((uint64_t)n, s->remaining);
		uint32_t t = rk_srv_sink(c, s, p, k, stop);
		if (s->phase == RK_SRV_CLOSED)
			return 0;
		s->remaining -= t;
		if (!s->remaining && rk_srv_body_end(c, s) < 0)
			*stop = true;
		return t;
	}
	size_t used = 0;
	struct rk_http_str data;
	int r = rk_http_chunked_feed(&s->ck, (const char *)p, n, &used, &data);
	if (r < 0) {
		/* Once this request is answered (or its answer begun: a
		 * streamed route past the buffer), an error response would be
		 * a second answer to it - a client would take it for the answer
		 * to the next pipelined request. Close instead: what was written
		 * still goes out before the FIN, and nothing after the bad chunk
		 * is parsed. */
		if (rk_srv_answered(&s->q))
			rk_srv_close(c, s);
		else
			rk_srv_error(c, s, -r);
		*stop = true;
		return 0;
	}
	if (r == RK_HTTP_CHUNKED_DATA) {
		uint32_t t = rk_srv_sink(c, s, (const uint8_t *)data.p, data.n, stop);
		if (s->phase == RK_SRV_CLOSED)
			return 0;
		if (t < data.n)
			s->pend = (struct rk_http_str){ data.p + t, data.n - t };
	} else if (r == RK_HTTP_CHUNKED_DONE && rk_srv_body_end(c, s) < 0) {
		*stop = true;
	}
	return (long)used;
}

/* Decoded bytes a streamed route has not taken yet - the gathered ones
 * (spill), then the rest of a chunk (pend) - and the end of a gathered
 * body once it is all taken. Returns true when the pump must stop. */
RK_SRV_RARE bool rk_srv_owed(struct rk_conn *c, struct rk_srv_conn *s)
{
	bool stop = false;
	struct rk_http_str *pd = s->spill.n ? &s->spill : &s->pend;
	if (pd->n) {
		uint32_t t = rk_srv_sink(c, s, (const uint8_t *)pd->p, pd->n, &stop);
		pd->p += t;
		pd->n -= t;
		return stop;
	}
	s->end_due = false;
	rk_srv_end_stream(c, s);
	return false; /* closing: the pump sees it */
}
#if defined(__clang__)
#pragma clang attribute pop
#endif
