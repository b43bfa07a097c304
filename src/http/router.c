/* src/http/router.c - from a request head to a route: the path of the
 * target (RFC 9112 §3.2; normalized by src/http/path.c, RFC 3986 §2.1 and
 * §5.2.4), exact and prefix matches, and the answers no route gives -
 * 404, 405 with Allow, OPTIONS and OPTIONS * (RFC 9110 §9.3.7, §10.2.1,
 * §15.5.6) - and the request's accessors for routes.
 * Read next: src/http/writer.c.
 */
#include "internal.h"
RK_SRV_SMALL_FILE_BEGIN
#include "rocket/http_path.h"
#include "rocket/util.h"

/* The path routes match, and the raw query. Most origin-form targets are
 * normal already - no escape, no "." or empty segment, no backslash or '#' -
 * and are used as they are, without a copy. The others, and absolute-form
 * (routed by its path: "http://a?/b" is "/" with the query "/b"), go
 * through rk_http_target_parse into path[RK_SERVER_MAX_PATH]: decoded,
 * dot-segments removed, or refused (-400, -414). "*" and CONNECT's
 * authority are matched as they are (by no route). */
RK_SRV_RARE static int rk_srv_target_parse(struct rk_http_str t, char *path,
					   struct rk_http_str *out, struct rk_http_str *query)
{
	struct rk_http_target tg;
	int r = rk_http_target_parse(t.p, t.n, path, RK_SERVER_MAX_PATH, &tg);
	*out = tg.path;
	*query = tg.query;
	return r;
}

static int rk_srv_target(const struct rk_http_request *req, char *path, struct rk_http_str *out,
			 struct rk_http_str *query)
{
	struct rk_http_str t = req->target;
	uint32_t i = 1, q = 0;
	*query = (struct rk_http_str){ 0, 0 };
	if (req->form == RK_HTTP_ORIGIN_FORM) {
		for (; i < t.n; i++) {
			char c = t.p[i];
			/* Letters need no look: of the bytes looked for, all
			 * but the backslash are '?' or below. */
			if ((unsigned char)c > '?' && c != '\\')
				continue;
			if (c == '#' || (!q && (c == '%' || c == '\\' ||
						(t.p[i - 1] == '/' && (c == '/' || c == '.')))))
				break;
			if (c == '?' && !q)
				q = i;
		}
	}
	if (i == t.n || req->form > RK_HTTP_ABSOLUTE_FORM) {
		if (q) {
			*query = (struct rk_http_str){ t.p + q + 1, t.n - q - 1 };
			t.n = q;
		}
		*out = t;
		return 0;
	}
	return rk_srv_target_parse(t, path, out, query);
}

/* Does rt take path? Sets *rest to what a prefix leaves over. */
static bool rk_srv_path_matches(const struct rk_route *rt, struct rk_http_str path,
				struct rk_http_str *rest)
{
	/* One pass over the route's path: its length is where it ends. */
	uint32_t n = 0;
	for (const char *r = rt->path; r[n]; n++)
		if (n == path.n || path.p[n] != r[n])
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
RK_SRV_COLD static const char *rk_srv_allow(const struct rk_route *routes, struct rk_http_str path,
					    bool any, char *buf, size_t cap)
{
	static const char *const names[] = {
		[RK_HTTP_GET] = "GET",         [RK_HTTP_HEAD] = "HEAD",
		[RK_HTTP_POST] = "POST",       [RK_HTTP_PUT] = "PUT",
		[RK_HTTP_DELETE] = "DELETE",   [RK_HTTP_OPTIONS] = "OPTIONS",
		[RK_HTTP_PATCH] = "PATCH",     [RK_HTTP_TRACE] = "TRACE",
		[RK_HTTP_CONNECT] = "CONNECT",
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
	/* A body held back for a 100 that will not come: the client may
	 * send it or not, so the connection cannot go on (RFC 9110 §10.1.1). */
	if (req->expect_continue && (req->chunked || req->content_length))
		rk_srv_of(q)->keep_alive = false;
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

int rk_srv_route(struct rk_server_req *q, const struct rk_http_request *req, char *buf)
{
	const struct rk_route *routes = q->hc->routes;
	bool path_known = false;

	/* Straight into q: a path or rest copied from a local struct would be
	 * a 16-byte load of fresh 8-byte stores, a store-forwarding stall. */
	int r = rk_srv_target(req, buf, &q->path, &q->query);
	if (r < 0) {
		rk_srv_error(q->c, rk_srv_of(q), -r);
		return -1;
	}
	for (const struct rk_route *rt = routes; rt->path; rt++) {
		if (!rk_srv_path_matches(rt, q->path, &q->rest))
			continue;
		path_known = true;
		if (rk_srv_method_matches(rt, req->method)) {
			q->route = rt;
			return 0;
		}
	}
	q->route = 0;
	q->rest = (struct rk_http_str){ 0, 0 };
	rk_srv_answer_unrouted(q, req, q->path, path_known);
	return 0;
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
		while (k < n &&
		       rk_lower((unsigned char)h->name.p[k]) == rk_lower((unsigned char)name[k]))
			k++;
		if (k == n)
			return h->value;
	}
	return (struct rk_http_str){ 0, 0 };
}
#if defined(__clang__)
#pragma clang attribute pop
#endif
