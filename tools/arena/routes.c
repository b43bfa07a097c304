/* tools/arena/routes.c - the HttpArena endpoints. Query strings are read
 * as application/x-www-form-urlencoded (rk_http_query_get, then
 * rk_http_pct_decode); a missing or non-integer operand is a 400, so a
 * client with bad input learns it at once and the connection goes on.
 * Read next: tools/arena.c.
 */
#include "routes.h"

#include "rocket/fmt.h"
#include "rocket/http_path.h"
#include "rocket/sys.h"
#include "rocket/util.h"

#define ARENA_TEXT "text/plain"
#define ARENA_JSON "application/json"

static int arena_text(struct rk_server_req *q, int status, const char *msg)
{
	return rk_server_respond(q, status, ARENA_TEXT, msg, (uint32_t)rk_strlen(msg));
}

/* A number as the whole text/plain body. */
static int arena_number(struct rk_server_req *q, int64_t v)
{
	char buf[24];
	struct arena_out o = { .p = buf, .cap = sizeof(buf) };
	arena_out_i64(&o, v);
	return rk_server_respond(q, 200, ARENA_TEXT, buf, o.len);
}

int arena_parse_i64(const char *s, size_t n, int64_t *out)
{
	bool neg = n && s[0] == '-';
	size_t i = neg;
	int64_t v = 0;
	if (i == n)
		return -1;
	/* Accumulated negative, so that INT64_MIN parses too. */
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || __builtin_mul_overflow(v, 10, &v) ||
		    __builtin_sub_overflow(v, s[i] - '0', &v))
			return -1;
	}
	if (!neg && __builtin_mul_overflow(v, -1, &v))
		return -1;
	*out = v;
	return 0;
}

/* The query parameter name as an integer: 0, 1 (absent) or -1 (not one). */
static int arena_query_i64(struct rk_server_req *q, const char *name, int64_t *out)
{
	struct rk_http_str v;
	char buf[32];
	if (!rk_http_query_get(rk_server_query(q), name, &v))
		return 1;
	int n = rk_http_pct_decode(v.p, v.n, buf, sizeof(buf), RK_HTTP_PCT_PLUS);
	return n >= 0 && arena_parse_i64(buf, (size_t)n, out) == 0 ? 0 : -1;
}

static bool arena_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* ---- /baseline11 ----------------------------------------------------------- */

/* GET: a + b. POST (a buffered route, so the whole body is here, split
 * across segments or chunked as it came): a + b + the body's integer. */
static int arena_baseline(struct rk_server_req *q)
{
	int64_t a, b, body = 0, sum;
	if (arena_query_i64(q, "a", &a) != 0 || arena_query_i64(q, "b", &b) != 0)
		return arena_text(q, 400, "a and b must be integers\n");
	struct rk_http_str s = rk_server_body(q);
	while (s.n && arena_space(s.p[s.n - 1]))
		s.n--;
	while (s.n && arena_space(*s.p))
		s.p++, s.n--;
	if (s.n && arena_parse_i64(s.p, s.n, &body) < 0)
		return arena_text(q, 400, "the body must be an integer\n");
	if (__builtin_add_overflow(a, b, &sum) || __builtin_add_overflow(sum, body, &sum))
		return arena_text(q, 400, "the sum does not fit 64 bits\n");
	return arena_number(q, sum);
}

/* ---- /pipeline ------------------------------------------------------------ */

static int arena_pipeline(struct rk_server_req *q)
{
	return rk_server_respond(q, 200, ARENA_TEXT, "ok", 2);
}

/* ---- /json/{count}?m=M ------------------------------------------------------ */

/* Render the body on this stack and send it: copied whole when the write
 * space takes it (the usual case), else as a Content-Length stream that
 * on_writable goes on with - rendering again, which gives the same bytes,
 * and sending from where it stopped. */
static int arena_json_send(struct rk_server_req *q)
{
	const struct arena_data *d = rk_server_ctx(q);
	struct arena_state *st = rk_server_state(q);
	char body[ARENA_BODY_MAX];
	long len = arena_data_json(d, st->count, st->m, body, sizeof(body));
	if (len == -ERANGE)
		return arena_text(q, 400, "a total does not fit 64 bits: m is too large\n");
	if (len < 0)
		return (int)len; /* cannot be: the data set was sized at start-up */
	if (!st->streaming) {
		if ((uint64_t)len <= rk_server_write_space(q))
			return rk_server_respond(q, 200, ARENA_JSON, body, (uint32_t)len);
		int r = rk_server_stream_begin(q, 200, ARENA_JSON, len);
		if (r < 0)
			return r;
		st->streaming = true;
		st->sent = 0;
	}
	long k = rk_server_stream_write(q, body + st->sent, (uint32_t)(len - st->sent));
	if (k < 0)
		return (int)k;
	st->sent += (uint32_t)k;
	return st->sent == (uint64_t)len ? rk_server_stream_end(q) : 0;
}

static int arena_json(struct rk_server_req *q)
{
	struct arena_state *st = rk_server_state(q);
	struct rk_http_str rest = rk_server_rest(q);
	uint64_t count;
	if (rk_parse_u64(rest.p, rest.n, &count) < 0)
		return arena_text(q, 400, "/json/{count}: count must be a number\n");
	st->count = (uint32_t)RK_MIN(count, 0xffffffffu);
	st->m = 1;
	st->streaming = false;
	if (arena_query_i64(q, "m", &st->m) < 0)
		return arena_text(q, 400, "m must be an integer\n");
	return arena_json_send(q);
}

static void arena_json_writable(struct rk_server_req *q)
{
	struct arena_state *st = rk_server_state(q);
	if (st->streaming && !rk_server_closed(q))
		arena_json_send(q);
}

/* ---- /upload ---------------------------------------------------------------- */

/* A streamed route: the body is counted as it arrives, in whatever pieces
 * the receive buffers hold, and never kept - any size, bounded memory. */
static int arena_upload_begin(struct rk_server_req *q)
{
	struct arena_state *st = rk_server_state(q);
	st->bytes = 0;
	return 0;
}

static long arena_upload_piece(struct rk_server_req *q, const uint8_t *p, uint32_t n)
{
	struct arena_state *st = rk_server_state(q);
	(void)p;
	st->bytes += n;
	return n;
}

static int arena_upload_end(struct rk_server_req *q)
{
	struct arena_state *st = rk_server_state(q);
	return arena_number(q, (int64_t)st->bytes);
}

void arena_routes(struct rk_route *r, const struct arena_data *d)
{
	const struct rk_route table[ARENA_ROUTES + 1] = {
		{ .method = RK_HTTP_GET, .path = "/baseline11", .fn = arena_baseline },
		{ .method = RK_HTTP_POST, .path = "/baseline11", .fn = arena_baseline },
		{ .method = RK_HTTP_GET, .path = "/pipeline", .fn = arena_pipeline },
		{ .method = RK_HTTP_GET,
		  .path = "/json/",
		  .fn = arena_json,
		  .match = RK_ROUTE_PREFIX,
		  .ctx = (void *)d,
		  .on_writable = arena_json_writable },
		{ .method = RK_HTTP_POST,
		  .path = "/upload",
		  .fn = arena_upload_begin,
		  .body = RK_BODY_STREAMED,
		  .on_body = arena_upload_piece,
		  .on_end = arena_upload_end },
		{ 0 },
	};
	rk_memcpy(r, table, sizeof(table));
}
