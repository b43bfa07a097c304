/* src/http/routes.c - the routes of the default rocket binary, written with
 * the same public API (include/rocket/server.h) a user's routes would use.
 * /plaintext and /json follow the TechEmpower rules: each response is
 * assembled per request, with Server and Date headers.
 * Read next: src/main.c.
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

static int rk_route_echo_body(struct rk_server_req *q)
{
	return rk_server_echo_body(q, "application/octet-stream");
}

/* The request's header fields, one "Name: Value" line each. */
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
	{ RK_HTTP_GET, "/plaintext", rk_route_plaintext },
	{ RK_HTTP_GET, "/json", rk_route_json },
	{ RK_HTTP_GET, "/", rk_route_root },
	{ RK_HTTP_POST, "/", rk_route_echo_body },
	{ RK_HTTP_POST, "/echo", rk_route_echo_headers },
	{ 0, 0, 0 },
};
