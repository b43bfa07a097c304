/* src/http/router.c - from a request head to a route: the path of the
 * target (RFC 9112 §3.2), exact and prefix matches, and the answers no
 * route gives - 404, 405 with Allow, OPTIONS and OPTIONS * (RFC 9110
 * §9.3.7, §10.2.1, §15.5.6) - and the request's accessors for routes.
 * Read next: src/http/writer.c (how every answer is written).
 */
#include "internal.h"
RK_SRV_SMALL_FILE_BEGIN
#include "rocket/util.h"

/* Split a target into its raw path and query. Absolute-form
 * (scheme://authority/path) is cut down to its path.
 * rk_http_target_split() (src/http/path.c) is to replace this, with the
 * normalizer below; not yet: together they add 1.6 KiB to the clang
 * product, past its 64 KiB budget. */
static void rk_srv_split_target(const struct rk_http_request *req, struct rk_http_str *path,
				struct rk_http_str *query)
{
	struct rk_http_str t = req->target;
	if (req->form == RK_HTTP_ABSOLUTE_FORM) {
		uint32_t i = 0, slashes = 0;
		while (i < t.n && slashes < 3)
			slashes += t.p[i++] == '/';
		t = slashes == 3 ? (struct rk_http_str){ t.p + i - 1, t.n - i + 1 }
				 : (struct rk_http_str){ "/", 1 };
	}
	*query = (struct rk_http_str){ 0, 0 };
	for (uint32_t i = 0; i < t.n; i++) {
		if (t.p[i] == '?') {
			*query = (struct rk_http_str){ t.p + i + 1, t.n - i - 1 };
			t.n = i;
			break;
		}
	}
	*path = t;
}

/* The one place a path is made ready for matching.
 * NORMALIZE: src/http/path.c (percent-decoding and dot-segment removal,
 * RFC 3986 §5.2.4) plugs in here, and routes then match the normalized
 * path; until then they match the raw one. */
static struct rk_http_str rk_srv_match_path(struct rk_http_str raw)
{
	return raw;
}

/* Does rt take path? Sets *rest to what a prefix leaves over. */
static bool rk_srv_path_matches(const struct rk_route *rt, struct rk_http_str path,
				struct rk_http_str *rest)
{
	size_t n = rk_strlen(rt->path);
	if (path.n < n || rk_memcmp(path.p, rt->path, n))
		return false;
	if (rt->match == RK_ROUTE_PREFIX) {
		*rest = (struct rk_http_str){ path.p + n, (uint32_t)(path.n - n) };
		return true;
	}
	*rest = (struct rk_http_str){ path.p + n, 0 };
	return path.n == n;
}

static bool rk_srv_method_matches(const struct rk_route *rt, enum rk_http_method m)
{
	return rt->method == m || (rt->method == RK_HTTP_GET && m == RK_HTTP_HEAD);
}

/* The Allow field (RFC 9110 §10.2.1) for a path: the methods its routes
 * take, HEAD with GET, and OPTIONS; all of them for "*". */
RK_SRV_COLD static const char *rk_srv_allow(const struct rk_route *routes, struct rk_http_str path, bool any,
				char *buf, size_t cap)
{
	static const char *const names[] = {
		[RK_HTTP_GET] = "GET",       [RK_HTTP_HEAD] = "HEAD",       [RK_HTTP_POST] = "POST",
		[RK_HTTP_PUT] = "PUT",       [RK_HTTP_DELETE] = "DELETE",   [RK_HTTP_OPTIONS] = "OPTIONS",
		[RK_HTTP_PATCH] = "PATCH",   [RK_HTTP_TRACE] = "TRACE",     [RK_HTTP_CONNECT] = "CONNECT",
	};
	struct rk_http_str rest;
	uint32_t methods = 1u << RK_HTTP_OPTIONS;
	for (const struct rk_route *rt = routes; rt->path; rt++)
		if (any || rk_srv_path_matches(rt, path, &rest))
			methods |= 1u << rt->method |
				   (rt->method == RK_HTTP_GET ? 1u << RK_HTTP_HEAD : 0);
	struct rk_http_buf b = { buf, 0, (uint32_t)cap - 1 };
	for (unsigned m = RK_HTTP_GET; m <= RK_HTTP_CONNECT; m++) {
		if (!(methods & (1u << m)))
			continue;
		/* Every name fits: RK_SRV_ALLOW_MAX holds all nine. */
		if (b.len)
			rk_http_buf_put(&b, ", ", 2);
		rk_http_buf_put(&b, names[m], rk_strlen(names[m]));
	}
	buf[b.len] = 0;
	return buf;
}

/* No route takes this method and path: OPTIONS, 405 or 404. */
RK_SRV_COLD static void rk_srv_answer_unrouted(struct rk_server_req *q,
					       const struct rk_http_request *req,
					       struct rk_http_str path, bool path_known)
{
	const struct rk_route *routes = q->hc->routes;
	char allow[RK_SRV_ALLOW_MAX];
	if (req->method == RK_HTTP_OPTIONS && (req->form == RK_HTTP_ASTERISK_FORM || path_known)) {
		/* OPTIONS * (the server as a whole) or a known path. */
		q->allow = rk_srv_allow(routes, path, req->form == RK_HTTP_ASTERISK_FORM, allow,
					sizeof(allow));
		rk_server_respond(q, 200, 0, "", 0);
	} else if (path_known) {
		static const char body[] = "405 Method Not Allowed\n";
		q->allow = rk_srv_allow(routes, path, false, allow, sizeof(allow));
		rk_server_respond(q, 405, "text/plain", body, sizeof(body) - 1);
	} else {
		static const char body[] = "404 Not Found\n";
		rk_server_respond(q, 404, "text/plain", body, sizeof(body) - 1);
	}
	q->allow = 0; /* it pointed at this stack frame */
}

void rk_srv_route(struct rk_server_req *q, const struct rk_http_request *req)
{
	const struct rk_route *routes = q->hc->routes;
	struct rk_http_str rest;
	bool path_known = false;

	rk_srv_split_target(req, &q->path, &q->query);
	struct rk_http_str path = rk_srv_match_path(q->path);
	for (const struct rk_route *rt = routes; rt->path; rt++) {
		if (!rk_srv_path_matches(rt, path, &rest))
			continue;
		path_known = true;
		if (rk_srv_method_matches(rt, req->method)) {
			q->route = rt;
			q->rest = rest;
			return;
		}
	}
	q->route = 0;
	rk_srv_answer_unrouted(q, req, path, path_known);
}

/* ---- the request, for routes ---------------------------------------------- */

const struct rk_http_request *rk_server_request(const struct rk_server_req *q)
{
	return q->req;
}

RK_SRV_COLD struct rk_http_str rk_server_target(const struct rk_server_req *q)
{
	return q->req ? q->req->target : (struct rk_http_str){ 0, 0 };
}

RK_SRV_COLD struct rk_http_str rk_server_path(const struct rk_server_req *q)
{
	return q->path;
}

RK_SRV_COLD struct rk_http_str rk_server_query(const struct rk_server_req *q)
{
	return q->query;
}

RK_SRV_COLD struct rk_http_str rk_server_rest(const struct rk_server_req *q)
{
	return q->rest;
}

RK_SRV_COLD struct rk_http_str rk_server_body(const struct rk_server_req *q)
{
	return q->body;
}

RK_SRV_COLD void *rk_server_ctx(const struct rk_server_req *q)
{
	return q->route ? q->route->ctx : 0;
}

static unsigned char rk_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

RK_SRV_COLD struct rk_http_str rk_server_header(const struct rk_server_req *q, const char *name)
{
	size_t n = rk_strlen(name);
	if (!q->req)
		return (struct rk_http_str){ 0, 0 };
	for (uint32_t i = 0; i < q->req->nheaders; i++) {
		const struct rk_http_header *h = &q->req->headers[i];
		if (h->name.n != n)
			continue;
		size_t k = 0;
		while (k < n && rk_lower((unsigned char)h->name.p[k]) == rk_lower((unsigned char)name[k]))
			k++;
		if (k == n)
			return h->value;
	}
	return (struct rk_http_str){ 0, 0 };
}
#if defined(__clang__)
#pragma clang attribute pop
#endif
