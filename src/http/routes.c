/* src/http/routes.c - the routes of the default rocket binary, written with
 * the same public API (include/rocket/server.h) a user's routes would use.
 * /plaintext and /json follow the TechEmpower rules: each response is
 * assembled per request, with Server and Date headers.
 * Read next: include/rocket/static.h.
 */
#include "rocket/server.h"
#include "rocket/util.h"

static int rk_route_plaintext(struct rk_server_req *q)
{
	return rk_server_respond(q, 200, "text/plain", "Hello, World!", 13);
}

static int rk_route_json(struct rk_server_req *q)
{
	static const char body[] = "{\"message\":\"Hello, World!\"}";
	return rk_server_respond(q, 200, "application/json", body, sizeof(body) - 1);
}

static int rk_route_root(struct rk_server_req *q)
{
	static const char body[] = "Rocket: an HTTP/1.1 server on raw io_uring.\n";
	return rk_server_respond(q, 200, "text/plain", body, sizeof(body) - 1);
}

/* POST /: the body back as it arrives, framed like the request's
 * (Content-Length, or chunked). A streamed route: the pieces go out as
 * write space allows, and the upload waits for the client to read. */
static int rk_route_echo_begin(struct rk_server_req *q)
{
	const struct rk_http_request *req = rk_server_request(q);
	int64_t len = req->chunked ? RK_SERVER_CHUNKED : (int64_t)req->content_length;
	return rk_server_stream_begin(q, 200, "application/octet-stream", len);
}

static long rk_route_echo_piece(struct rk_server_req *q, const uint8_t *p, uint32_t n)
{
	return rk_server_stream_write(q, p, n);
}

static int rk_route_echo_end(struct rk_server_req *q)
{
	return rk_server_stream_end(q);
}

/* The request's header fields, one "Name: Value" line each. They are at
 * most max_head bytes, which the write space always has room for at head
 * time: the array on the stack is done with when respond_v returns. */
static int rk_route_echo_headers(struct rk_server_req *q)
{
	const struct rk_http_request *req = rk_server_request(q);
	struct rk_seg v[4 * RK_HTTP_MAX_HEADERS];
	unsigned n = 0;
	uint64_t total = 0;
	for (uint32_t i = 0; i < req->nheaders; i++) {
		const struct rk_http_header *h = &req->headers[i];
		v[n++] = (struct rk_seg){ (const uint8_t *)h->name.p, h->name.n };
		v[n++] = (struct rk_seg){ (const uint8_t *)": ", 2 };
		v[n++] = (struct rk_seg){ (const uint8_t *)h->value.p, h->value.n };
		v[n++] = (struct rk_seg){ (const uint8_t *)"\n", 1 };
		total += h->name.n + h->value.n + 3;
	}
	return rk_server_respond_v(q, 200, "text/plain", v, n, total);
}

const struct rk_route rk_server_default_routes[] = {
	{ .method = RK_HTTP_GET, .path = "/plaintext", .fn = rk_route_plaintext },
	{ .method = RK_HTTP_GET, .path = "/json", .fn = rk_route_json },
	{ .method = RK_HTTP_GET, .path = "/", .fn = rk_route_root },
	{ .method = RK_HTTP_POST,
	  .path = "/",
	  .fn = rk_route_echo_begin,
	  .body = RK_BODY_STREAMED,
	  .on_body = rk_route_echo_piece,
	  .on_end = rk_route_echo_end },
	/* Answered at head time; the body, if any, is dropped. */
	{ .method = RK_HTTP_POST,
	  .path = "/echo",
	  .fn = rk_route_echo_headers,
	  .body = RK_BODY_STREAMED },
	{ 0 },
};
