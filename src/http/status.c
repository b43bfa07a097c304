/* src/http/status.c - status codes and their reason phrases (RFC 9110 §15),
 * and a bounded writer for a response head: status-line (RFC 9112 §4) and
 * field lines (§5). Every append is all-or-nothing, so a full buffer never
 * leaves half a header behind.
 * Read next: src/http/date.c (the Date field value).
 */
#include <rocket/http.h>
#include <rocket/util.h>

#define EINVAL_ (-22)

int rk_http_status_reason(int code, struct rk_http_str *out)
{
	static const struct {
		uint16_t code;
		const char *s;
	} tab[] = {
		{ 100, "Continue" }, { 101, "Switching Protocols" },
		{ 200, "OK" }, { 201, "Created" }, { 202, "Accepted" },
		{ 203, "Non-Authoritative Information" }, { 204, "No Content" },
		{ 205, "Reset Content" }, { 206, "Partial Content" },
		{ 300, "Multiple Choices" }, { 301, "Moved Permanently" },
		{ 302, "Found" }, { 303, "See Other" }, { 304, "Not Modified" },
		{ 307, "Temporary Redirect" }, { 308, "Permanent Redirect" },
		{ 400, "Bad Request" }, { 401, "Unauthorized" },
		{ 402, "Payment Required" }, { 403, "Forbidden" },
		{ 404, "Not Found" }, { 405, "Method Not Allowed" },
		{ 406, "Not Acceptable" }, { 407, "Proxy Authentication Required" },
		{ 408, "Request Timeout" }, { 409, "Conflict" }, { 410, "Gone" },
		{ 411, "Length Required" }, { 412, "Precondition Failed" },
		{ 413, "Content Too Large" }, { 414, "URI Too Long" },
		{ 415, "Unsupported Media Type" }, { 416, "Range Not Satisfiable" },
		{ 417, "Expectation Failed" }, { 421, "Misdirected Request" },
		{ 422, "Unprocessable Content" }, { 426, "Upgrade Required" },
		{ 428, "Precondition Required" }, { 429, "Too Many Requests" },
		{ 431, "Request Header Fields Too Large" },
		{ 500, "Internal Server Error" }, { 501, "Not Implemented" },
		{ 502, "Bad Gateway" }, { 503, "Service Unavailable" },
		{ 504, "Gateway Timeout" }, { 505, "HTTP Version Not Supported" },
	};
	for (size_t i = 0; i < RK_ARRAY_SIZE(tab); i++) {
		if (tab[i].code == code) {
			out->p = tab[i].s;
			out->n = (uint32_t)rk_strlen(tab[i].s);
			return 0;
		}
	}
	/* The reason-phrase may be empty (RFC 9112 §4); the code says it all. */
	out->p = "";
	out->n = 0;
	return EINVAL_;
}

int rk_http_buf_put(struct rk_http_buf *b, const void *src, size_t n)
{
	if (n > (size_t)(b->cap - b->len))
		return RK_HTTP_ENOSPC;
	if (n)
		rk_memcpy(b->p + b->len, src, n);
	b->len += (uint32_t)n;
	return 0;
}

int rk_http_buf_put_u64(struct rk_http_buf *b, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp);
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return rk_http_buf_put(b, tmp + i, sizeof(tmp) - i);
}

int rk_http_buf_status_line(struct rk_http_buf *b, int code)
{
	struct rk_http_str r;
	char line[9 + 4 + 64];
	size_t n = 0;

	if (code < 100 || code > 999)
		return EINVAL_;
	rk_http_status_reason(code, &r);
	rk_memcpy(line, "HTTP/1.1 ", 9);
	n = 9;
	line[n++] = (char)('0' + code / 100);
	line[n++] = (char)('0' + code / 10 % 10);
	line[n++] = (char)('0' + code % 10);
	line[n++] = ' ';
	rk_memcpy(line + n, r.p, r.n); /* longest phrase is 31 bytes */
	n += r.n;
	line[n++] = '\r';
	line[n++] = '\n';
	return rk_http_buf_put(b, line, n);
}

static bool value_ok(struct rk_http_str v)
{
	for (uint32_t i = 0; i < v.n; i++) {
		unsigned char c = (unsigned char)v.p[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

int rk_http_buf_header(struct rk_http_buf *b, struct rk_http_str name,
		       struct rk_http_str value)
{
	bool tok = name.n > 0;

	for (uint32_t i = 0; i < name.n; i++)
		tok = tok && rk_http_is_tchar((unsigned char)name.p[i]);
	if (!tok || !value_ok(value))
		return EINVAL_;
	/* Room for the whole line first: nothing is written if it cannot fit. */
	if ((uint64_t)name.n + value.n + 4 > (uint64_t)(b->cap - b->len))
		return RK_HTTP_ENOSPC;
	rk_http_buf_put(b, name.p, name.n);
	rk_http_buf_put(b, ": ", 2);
	rk_http_buf_put(b, value.p, value.n);
	rk_http_buf_put(b, "\r\n", 2);
	return 0;
}

int rk_http_buf_header_u64(struct rk_http_buf *b, struct rk_http_str name, uint64_t v)
{
	char tmp[20];
	struct rk_http_buf t = { tmp, 0, sizeof(tmp) };

	rk_http_buf_put_u64(&t, v);
	return rk_http_buf_header(b, name, (struct rk_http_str){ tmp, t.len });
}

int rk_http_buf_end_head(struct rk_http_buf *b)
{
	return rk_http_buf_put(b, "\r\n", 2);
}
