/* src/http/accesslog.c - a line per answer in the Combined Log Format
 * (Apache mod_log_config's "combined", nginx's default "combined"):
 *   host - - [06/Nov/1994:08:49:37 +0000] "GET / HTTP/1.1" 200 45 "referer" "agent"
 * bytes: the answer's body bytes as queued (chunked framing included, like
 * nginx's $body_bytes_sent), 0 for none; the time is the second the
 * request's head came in, in UTC (the Date field's clock).
 * Client bytes are escaped as nginx escapes them: '"', '\' and every byte
 * outside printable ASCII become \xHH, so a request can neither end a field
 * nor start a line. Each field is bounded - the request line to
 * RK_LOG_REQ_MAX bytes as written, Referer and User-Agent to RK_LOG_HDR_MAX -
 * and one cut short ends in "\..." (a client's backslash is always written
 * \x5C: that ending cannot be forged); a line is thus under 2048 bytes.
 * Missing fields are "-"; a request whose connection closed before any
 * answer began is logged 499 (nginx's code for it); an error answered
 * before a head could be parsed (400, 408, 431) has "-" for its request.
 * The part known at head time waits in a log slot until the answer is
 * complete; then status and bytes join it and the line goes to the engine
 * (rk_conn_log_line, src/engine/log.c). Read next: src/http/routes.c.
 */
#include "internal.h"
RK_SRV_SMALL_FILE_BEGIN
#include "rocket/util.h"

#define RK_LOG_REQ_MAX 1024
#define RK_LOG_HDR_MAX 384

/* Up to max bytes at o: n client bytes at p, escaped. Returns the end. */
static char *rk_log_esc(char *o, const char *p, uint32_t n, uint32_t max)
{
	const char *end = o + max;
	for (uint32_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (end - o < 8) { /* room for an escape and the cut's mark */
			rk_memcpy(o, "\\...", 4);
			return o + 4;
		}
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			*o++ = (char)c;
			continue;
		}
		o[0] = '\\';
		o[1] = 'x';
		o[2] = "0123456789ABCDEF"[c >> 4];
		o[3] = "0123456789ABCDEF"[c & 15];
		o += 4;
	}
	return o;
}

/* ' "value"', or ' "-"' for a field the request does not have. */
static char *rk_log_field(char *o, struct rk_http_str v)
{
	rk_memcpy(o, " \"-", 3);
	o = v.p ? rk_log_esc(o + 2, v.p, v.n, RK_LOG_HDR_MAX) : o + 3;
	*o++ = '"';
	return o;
}

/* Decimal v before o; returns where it starts. */
__attribute__((noinline)) static char *rk_log_num(char *o, uint64_t v)
{
	do
		*--o = (char)('0' + v % 10);
	while (v /= 10);
	return o;
}

void rk_srv_log_begin(struct rk_server_req *q, const struct rk_http_request *req)
{
	static const char when[] = " - - [dd/Mon/yyyy:hh:mm:ss +0000] \"";
	if (!q->hc->access_log)
		return; /* first, before any call: the log is off for most servers */
	struct rk_srv_reactor *rs = rk_conn_reactor_state(q->c);
	if (!q->log && !(q->log = rk_pool_take(&rs->log_slots)))
		return;
	struct rk_http_str ref = { 0, 0 }, agent = { 0, 0 };
	struct rk_seg host = rk_conn_peer(q->c);
	char *o = q->log;
	rk_memcpy(o, host.p, host.len);
	o += host.len;
	/* "Sun, 06 Nov 1994 08:49:37 GMT" -> "06/Nov/1994:08:49:37" */
	const char *d = rs->server_date + sizeof(RK_SRV_SERVER_DATE) - 1;
	rk_memcpy(o, when, sizeof(when) - 1);
	rk_memcpy(o + 6, d + 5, 2);
	rk_memcpy(o + 9, d + 8, 3);
	rk_memcpy(o + 13, d + 12, 4);
	rk_memcpy(o + 18, d + 17, 8);
	o += sizeof(when) - 1;
	if (req) {
		/* method SP target SP "HTTP/1.x", as the client sent it */
		o = rk_log_esc(o, req->method_str.p,
			       (uint32_t)(req->target.p + req->target.n + 9 - req->method_str.p),
			       RK_LOG_REQ_MAX);
		for (uint32_t i = 0; i < req->nheaders; i++) {
			const struct rk_http_header *h = &req->headers[i];
			if (rk_http_str_ieq(h->name, "referer"))
				ref = h->value;
			else if (rk_http_str_ieq(h->name, "user-agent"))
				agent = h->value;
		}
	} else {
		*o++ = '-';
	}
	*o++ = '"';
	q->log_a = (uint16_t)(o - q->log);
	o = rk_log_field(o, ref);
	o = rk_log_field(o, agent);
	*o++ = '\n';
	q->log_n = (uint16_t)(o - q->log);
}

void rk_srv_log_end(struct rk_server_req *q)
{
	char num[32], *e = num + sizeof(num), *o;
	if (!q->hc->access_log)
		return;
	if (!q->log && q->status)
		rk_srv_log_begin(q, 0); /* an error answered before any head */
	if (!q->log)
		return;
	uint64_t total = rk_conn_out_total(q->c);
	o = rk_log_num(e, q->status && total > q->body_mark ? total - q->body_mark : 0);
	*--o = ' ';
	o = rk_log_num(o, q->status ? q->status : 499);
	*--o = ' ';
	/* The status and bytes go between the request and the referer. */
	uint32_t k = (uint32_t)(e - o), b = (uint32_t)(q->log_n - q->log_a);
	char *line = rk_conn_log_line(q->c, q->log_n + k);
	if (line) {
		rk_memcpy(line, q->log, q->log_a);
		rk_memcpy(line + q->log_a, o, k);
		rk_memcpy(line + q->log_a + k, q->log + q->log_a, b);
	}
	rk_pool_give(&((struct rk_srv_reactor *)rk_conn_reactor_state(q->c))->log_slots, q->log);
	q->log = 0;
}
#if defined(__clang__)
#pragma clang attribute pop
#endif
