/* include/rocket/server.h - Rocket's HTTP/1.1 server on top of the engine:
 * pipelining, keep-alive, bodies, timeouts, error responses, and routes.
 *
 * A route is a method + exact path + a function. The function answers with
 * rk_server_respond() (or asks for the request body back with
 * rk_server_echo_body()); everything else - framing, Date and Server
 * headers, keep-alive, HEAD, 100-continue, limits - is done for it.
 *
 *   static int hello(struct rk_server_req *q)
 *   {
 *       return rk_server_respond(q, 200, "text/plain", "hi\n", 3);
 *   }
 *   static const struct rk_route routes[] = {
 *       { RK_HTTP_GET, "/hi", hello },
 *       { 0 },
 *   };
 *   ... hc.routes = routes; rk_server_setup(&engine_cfg, &hc);
 *
 * Read next: src/http/server.c.
 */
#ifndef ROCKET_SERVER_H
#define ROCKET_SERVER_H

#include <stdint.h>

#include "engine.h"
#include "http.h"

struct rk_server_req;
typedef int (*rk_route_fn)(struct rk_server_req *q);

struct rk_route {
	enum rk_http_method method; /* RK_HTTP_GET also answers HEAD */
	const char *path;           /* exact match of the origin-form path */
	rk_route_fn fn;
};

struct rk_server_config {
	struct rk_http_limits limits;
	uint32_t max_body;          /* bytes, else 413 */
	uint32_t header_timeout;    /* s to receive a whole request head, else 408 */
	uint32_t idle_timeout;      /* s a keep-alive connection may wait */
	const struct rk_route *routes; /* NULL: the built-in routes below */
	uint32_t max_conns;         /* filled by rk_server_setup() */
};

/* Built-in routes: GET /plaintext, GET /json, GET|HEAD|OPTIONS /, POST /
 * (echoes the body), POST /echo (the request's headers as "Name: Value"
 * lines); anything else 404. */
extern const struct rk_route rk_server_default_routes[];

void rk_server_defaults(struct rk_server_config *hc);
/* Fill the engine's handler and per-connection sizes for this server; call
 * it after the engine's sizes are set. The server keeps a pointer to hc: it
 * must outlive the engine. */
void rk_server_setup(struct rk_engine_config *cfg, struct rk_server_config *hc);

/* ---- inside a route ----------------------------------------------------- */
const struct rk_http_request *rk_server_request(const struct rk_server_req *q);
/* A whole response with a fixed body. 0 or -errno. */
int rk_server_respond(struct rk_server_req *q, int status, const char *content_type,
		      const void *body, uint32_t len);
/* The same with a body in pieces, total bytes long. */
int rk_server_respond_v(struct rk_server_req *q, int status, const char *content_type,
			const struct rk_seg *body, unsigned n, uint64_t total);
/* Answer 200 with the request body as it arrives (Content-Length framing
 * when the request had one, chunked otherwise). */
int rk_server_echo_body(struct rk_server_req *q, const char *content_type);

#endif
