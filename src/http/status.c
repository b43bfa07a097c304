/* src/http/status.c - status codes and their reason phrases (RFC 9110 §15).
 * The response head itself is written by src/http/writer.c.
 * Read next: include/rocket/http_path.h.
 */
#include <rocket/abi/linux.h>
#include <rocket/http.h>
#include <rocket/util.h>

/* The codes, and their phrases packed into one string in the same order
 * (one NUL each): no pointer per entry - the product is one small file,
 * and the walk runs only for an answer that is not 200. */
/* a table, laid out as one */
/* clang-format off */
#define RK_HTTP_STATUSES(X) X(100, "Continue") X(101, "Switching Protocols") X(200, "OK") \
	X(201, "Created") X(202, "Accepted") X(203, "Non-Authoritative Information") \
	X(204, "No Content") X(205, "Reset Content") X(206, "Partial Content") \
	X(300, "Multiple Choices") X(301, "Moved Permanently") X(302, "Found") \
	X(303, "See Other") X(304, "Not Modified") X(307, "Temporary Redirect") \
	X(308, "Permanent Redirect") X(400, "Bad Request") X(401, "Unauthorized") \
	X(402, "Payment Required") X(403, "Forbidden") X(404, "Not Found") \
	X(405, "Method Not Allowed") X(406, "Not Acceptable") \
	X(407, "Proxy Authentication Required") X(408, "Request Timeout") X(409, "Conflict") \
	X(410, "Gone") X(411, "Length Required") X(412, "Precondition Failed") \
	X(413, "Content Too Large") X(414, "URI Too Long") X(415, "Unsupported Media Type") \
	X(416, "Range Not Satisfiable") X(417, "Expectation Failed") \
	X(421, "Misdirected Request") X(422, "Unprocessable Content") X(426, "Upgrade Required") \
	X(428, "Precondition Required") X(429, "Too Many Requests") \
	X(431, "Request Header Fields Too Large") X(500, "Internal Server Error") \
	X(501, "Not Implemented") X(502, "Bad Gateway") X(503, "Service Unavailable") \
	X(504, "Gateway Timeout") X(505, "HTTP Version Not Supported")
/* clang-format on */
#define RK_HTTP_CODE(code, reason)   code,
#define RK_HTTP_REASON(code, reason) reason "\0"
static const uint16_t rk_http_codes[] = { RK_HTTP_STATUSES(RK_HTTP_CODE) };
static const char rk_http_reasons[] = RK_HTTP_STATUSES(RK_HTTP_REASON);

int rk_http_status_reason(int code, struct rk_http_str *out)
{
	const char *p = rk_http_reasons;
	for (size_t i = 0; i < RK_ARRAY_SIZE(rk_http_codes); i++, p += rk_strlen(p) + 1) {
		if (rk_http_codes[i] == code) {
			out->p = p;
			out->n = (uint32_t)rk_strlen(p);
			return 0;
		}
	}
	/* The reason-phrase may be empty (RFC 9112 §4); the code says it all. */
	out->p = "";
	out->n = 0;
	return -EINVAL;
}
