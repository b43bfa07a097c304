/* src/http/status.c - status codes and their reason phrases (RFC 9110 §15).
 * The response head itself is written by src/http/writer.c.
 * Read next: src/http/date.c (the Date field value).
 */
#include <rocket/abi/linux.h>
#include <rocket/http.h>
#include <rocket/util.h>


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
	return -EINVAL;
}
