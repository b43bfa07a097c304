/* tests/test_http_parse.c - the request head parser (src/http/parse.c) as a
 * table of byte strings and their exact outcome, RFC 9112 §2-§6 rule by rule:
 * valid forms, keep-alive (§9.3), every limit, malformed syntax, and the
 * request-smuggling vectors (CL.TE, TE.CL, TE.TE obfuscations). Every case is
 * also fed split at every byte, to prove the answer never depends on it.
 * Read next: tests/test_http_chunked.c.
 */
#include "harness.h"

#include <rocket/http.h>

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

enum { KA = 1, CH = 2, EC = 4 }; /* keep_alive, chunked, expect_continue */
#define NOCL   (-1LL)
#define HEADOK 1 /* expected return: the head is raw minus .tail bytes */

struct pc {
	const char *name, *raw;
	size_t len;
	int ret;
	size_t tail; /* body / next request bytes after the head */
	const struct rk_http_limits *lim;
	enum rk_http_method m;
	const char *target;
	int minor, nh;
	long long cl;
	unsigned fl;
	const char *host; /* expected host view, when set */
	const char *hv;   /* expected value of the last header, when set */
	enum rk_http_target_form form;
};

#define OK(nm, r, m_, t_, mi, nh_, cl_, fl_, ...)                                                  \
	{                                                                                          \
		.name = nm, .raw = r, .len = sizeof(r) - 1, .ret = HEADOK, .m = m_, .target = t_,  \
		.minor = mi, .nh = nh_, .cl = cl_, .fl = fl_, __VA_ARGS__                          \
	}
#define ERR(nm, r, code, ...)                                                                      \
	{                                                                                          \
		.name = nm, .raw = r, .len = sizeof(r) - 1, .ret = code, __VA_ARGS__               \
	}

#define H   "Host: a\r\n"
#define G11 "GET / HTTP/1.1\r\n"
#define P11 "POST /u HTTP/1.1\r\nHost: a\r\n"

static const struct rk_http_limits rl15 = { .max_request_line = 15 };
static const struct rk_http_limits rl14 = { .max_request_line = 14 };
static const struct rk_http_limits hd2 = { .max_headers = 2 };
static const struct rk_http_limits head40 = { .max_head = 40 };
static const struct rk_http_limits body10 = { .max_body = 10 };

static const struct pc cases[] = {
	/* ---- valid requests ---- */
	OK("get_minimal", G11 H "\r\n", RK_HTTP_GET, "/", 1, 1, NOCL, KA, .host = "a"),
	OK("head_query", "HEAD /i.html?x=1&y HTTP/1.1\r\n" H "\r\n", RK_HTTP_HEAD, "/i.html?x=1&y",
	   1, 1, NOCL, KA),
	OK("post_cl_body", P11 "Content-Length: 5\r\n\r\nhello", RK_HTTP_POST, "/u", 1, 2, 5, KA,
	   .tail = 5),
	OK("put", "PUT /f HTTP/1.1\r\n" H "Content-Length: 0\r\n\r\n", RK_HTTP_PUT, "/f", 1, 2, 0,
	   KA),
	OK("delete", "DELETE /f HTTP/1.1\r\n" H "\r\n", RK_HTTP_DELETE, "/f", 1, 1, NOCL, KA),
	OK("patch", "PATCH /f HTTP/1.1\r\n" H "\r\n", RK_HTTP_PATCH, "/f", 1, 1, NOCL, KA),
	OK("trace", "TRACE / HTTP/1.1\r\n" H "\r\n", RK_HTTP_TRACE, "/", 1, 1, NOCL, KA),
	OK("options_asterisk", "OPTIONS * HTTP/1.1\r\n" H "\r\n", RK_HTTP_OPTIONS, "*", 1, 1, NOCL,
	   KA, .form = RK_HTTP_ASTERISK_FORM),
	OK("options_origin", "OPTIONS /x HTTP/1.1\r\n" H "\r\n", RK_HTTP_OPTIONS, "/x", 1, 1, NOCL,
	   KA),
	OK("options_asterisk_10", "OPTIONS * HTTP/1.0\r\n\r\n", RK_HTTP_OPTIONS, "*", 0, 0, NOCL, 0,
	   .form = RK_HTTP_ASTERISK_FORM),
	OK("connect_authority", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
	   RK_HTTP_CONNECT, "example.com:443", 1, 1, NOCL, KA, .host = "example.com:443",
	   .form = RK_HTTP_AUTHORITY_FORM),
	OK("connect_ipv6", "CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n",
	   RK_HTTP_CONNECT, "[::1]:8443", 1, 1, NOCL, KA, .form = RK_HTTP_AUTHORITY_FORM),
	OK("absolute_form_host_from_target",
	   "GET http://example.com/p?q HTTP/1.1\r\nHost: other\r\n\r\n", RK_HTTP_GET,
	   "http://example.com/p?q", 1, 1, NOCL, KA, .host = "example.com",
	   .form = RK_HTTP_ABSOLUTE_FORM),
	OK("absolute_form_port", "GET https://h:8443/ HTTP/1.1\r\n" H "\r\n", RK_HTTP_GET,
	   "https://h:8443/", 1, 1, NOCL, KA, .host = "h:8443", .form = RK_HTTP_ABSOLUTE_FORM),
	OK("absolute_form_no_path", "GET http://h HTTP/1.1\r\n" H "\r\n", RK_HTTP_GET, "http://h",
	   1, 1, NOCL, KA, .host = "h", .form = RK_HTTP_ABSOLUTE_FORM),
	OK("absolute_form_query", "GET http://h?x HTTP/1.1\r\n" H "\r\n", RK_HTTP_GET, "http://h?x",
	   1, 1, NOCL, KA, .host = "h", .form = RK_HTTP_ABSOLUTE_FORM),
	OK("absolute_form_urn_uses_host", "GET urn:x:y HTTP/1.1\r\n" H "\r\n", RK_HTTP_GET,
	   "urn:x:y", 1, 1, NOCL, KA, .host = "a", .form = RK_HTTP_ABSOLUTE_FORM),
	/* "example.com:443" is a valid absolute-URI (scheme "example.com"):
	 * only CONNECT reads it as authority-form (§3.2.3). */
	OK("absolute_form_scheme_like_host", "GET example.com:443 HTTP/1.1\r\n" H "\r\n",
	   RK_HTTP_GET, "example.com:443", 1, 1, NOCL, KA, .host = "a",
	   .form = RK_HTTP_ABSOLUTE_FORM),
	OK("target_pct_query", "GET /a%20b?x=1&y=%2F HTTP/1.1\r\n" H "\r\n", RK_HTTP_GET,
	   "/a%20b?x=1&y=%2F", 1, 1, NOCL, KA),
	OK("version_12_is_11", "GET / HTTP/1.2\r\n" H "\r\n", RK_HTTP_GET, "/", 1, 1, NOCL, KA),
	OK("version_19_is_11", "GET / HTTP/1.9\r\n" H "\r\n", RK_HTTP_GET, "/", 1, 1, NOCL, KA),
	OK("version_12_close", "GET / HTTP/1.2\r\n" H "Connection: close\r\n\r\n", RK_HTTP_GET, "/",
	   1, 2, NOCL, 0),
	OK("http10_no_host", "GET / HTTP/1.0\r\n\r\n", RK_HTTP_GET, "/", 0, 0, NOCL, 0),
	OK("http10_host", "GET / HTTP/1.0\r\n" H "\r\n", RK_HTTP_GET, "/", 0, 1, NOCL, 0,
	   .host = "a"),
	/* keep-alive, RFC 9112 §9.3 */
	OK("ka_10_keep_alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", RK_HTTP_GET, "/",
	   0, 1, NOCL, KA),
	OK("ka_10_keep_alive_case", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", RK_HTTP_GET,
	   "/", 0, 1, NOCL, KA),
	OK("ka_10_close", "GET / HTTP/1.0\r\nConnection: close\r\n\r\n", RK_HTTP_GET, "/", 0, 1,
	   NOCL, 0),
	OK("ka_10_keep_alive_and_close", "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
	   RK_HTTP_GET, "/", 0, 1, NOCL, 0),
	OK("ka_10_other_token", "GET / HTTP/1.0\r\nConnection: upgrade\r\n\r\n", RK_HTTP_GET, "/",
	   0, 1, NOCL, 0),
	OK("ka_11_close", G11 H "Connection: close\r\n\r\n", RK_HTTP_GET, "/", 1, 2, NOCL, 0),
	OK("ka_11_close_upper", G11 H "Connection: CLOSE\r\n\r\n", RK_HTTP_GET, "/", 1, 2, NOCL, 0),
	OK("ka_11_close_in_list", G11 H "Connection: upgrade , close\r\n\r\n", RK_HTTP_GET, "/", 1,
	   2, NOCL, 0),
	OK("ka_11_keep_alive", G11 H "Connection: keep-alive\r\n\r\n", RK_HTTP_GET, "/", 1, 2, NOCL,
	   KA),
	OK("ka_11_second_connection_close", G11 H "Connection: a\r\nConnection: close\r\n\r\n",
	   RK_HTTP_GET, "/", 1, 3, NOCL, 0),
	OK("ka_11_closed_is_not_close", G11 H "Connection: closed\r\n\r\n", RK_HTTP_GET, "/", 1, 2,
	   NOCL, KA),
	OK("ka_11_close_in_other_header", G11 H "X-Connection: close\r\n\r\n", RK_HTTP_GET, "/", 1,
	   2, NOCL, KA),
	/* framing */
	OK("te_chunked", P11 "Transfer-Encoding: chunked\r\n\r\n", RK_HTTP_POST, "/u", 1, 2, NOCL,
	   KA | CH),
	OK("te_chunked_case", P11 "Transfer-Encoding: ChUnKeD\r\n\r\n", RK_HTTP_POST, "/u", 1, 2,
	   NOCL, KA | CH),
	OK("te_name_case", P11 "transfer-ENCODING: chunked\r\n\r\n", RK_HTTP_POST, "/u", 1, 2, NOCL,
	   KA | CH),
	OK("te_tabs_ows", P11 "Transfer-Encoding:\tchunked\t\r\n\r\n", RK_HTTP_POST, "/u", 1, 2,
	   NOCL, KA | CH),
	OK("te_empty_list_member", P11 "Transfer-Encoding: , chunked\r\n\r\n", RK_HTTP_POST, "/u",
	   1, 2, NOCL, KA | CH),
	OK("te_underscore_is_other_header", P11 "Transfer_Encoding: chunked\r\n\r\n", RK_HTTP_POST,
	   "/u", 1, 2, NOCL, KA),
	OK("cl_leading_zero", P11 "Content-Length: 05\r\n\r\nhello", RK_HTTP_POST, "/u", 1, 2, 5,
	   KA, .tail = 5),
	OK("cl_leading_ows", P11 "Content-Length:  5\r\n\r\nhello", RK_HTTP_POST, "/u", 1, 2, 5, KA,
	   .tail = 5),
	OK("cl_trailing_tab", P11 "Content-Length: 5\t\r\n\r\nhello", RK_HTTP_POST, "/u", 1, 2, 5,
	   KA, .tail = 5),
	OK("cl_same_list", P11 "Content-Length: 5, 5\r\n\r\nhello", RK_HTTP_POST, "/u", 1, 2, 5, KA,
	   .tail = 5),
	OK("cl_same_list_ows", P11 "Content-Length: 5 ,05\r\n\r\nhello", RK_HTTP_POST, "/u", 1, 2,
	   5, KA, .tail = 5),
	OK("cl_same_twice", P11 "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello", RK_HTTP_POST,
	   "/u", 1, 3, 5, KA, .tail = 5),
	OK("cl_zero", P11 "Content-Length: 0\r\n\r\n", RK_HTTP_POST, "/u", 1, 2, 0, KA),
	OK("cl_at_max_body", P11 "Content-Length: 1048576\r\n\r\n", RK_HTTP_POST, "/u", 1, 2,
	   1048576, KA),
	OK("cl_at_custom_max_body", P11 "Content-Length: 10\r\n\r\n", RK_HTTP_POST, "/u", 1, 2, 10,
	   KA, .lim = &body10),
	/* Expect, RFC 9110 §10.1.1 */
	OK("expect_continue", P11 "Expect: 100-continue\r\nContent-Length: 1\r\n\r\n", RK_HTTP_POST,
	   "/u", 1, 3, 1, KA | EC),
	OK("expect_continue_case", P11 "Expect: 100-Continue\r\nContent-Length: 1\r\n\r\n",
	   RK_HTTP_POST, "/u", 1, 3, 1, KA | EC),
	OK("expect_empty_ignored", G11 H "Expect:\r\n\r\n", RK_HTTP_GET, "/", 1, 2, NOCL, KA),
	OK("expect_10_ignored", "POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n", RK_HTTP_POST,
	   "/", 0, 1, NOCL, 0),
	OK("expect_10_other_ignored", "GET / HTTP/1.0\r\nExpect: foo\r\n\r\n", RK_HTTP_GET, "/", 0,
	   1, NOCL, 0),
	/* leading empty lines, §2.2 */
	OK("leading_crlf", "\r\n" G11 H "\r\n", RK_HTTP_GET, "/", 1, 1, NOCL, KA),
	OK("leading_8_crlf", "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n" G11 H "\r\n", RK_HTTP_GET, "/", 1,
	   1, NOCL, KA),
	/* Host */
	OK("host_empty", G11 "Host:\r\n\r\n", RK_HTTP_GET, "/", 1, 1, NOCL, KA, .host = ""),
	OK("host_ipv6_port", G11 "Host: [::1]:8080\r\n\r\n", RK_HTTP_GET, "/", 1, 1, NOCL, KA,
	   .host = "[::1]:8080"),
	OK("host_name_case", G11 "hOsT: x.y\r\n\r\n", RK_HTTP_GET, "/", 1, 1, NOCL, KA,
	   .host = "x.y"),
	/* field values */
	OK("value_ows_trimmed", G11 H "X:  \t v \t \r\n\r\n", RK_HTTP_GET, "/", 1, 2, NOCL, KA,
	   .hv = "v"),
	OK("value_empty", G11 H "X:\r\n\r\n", RK_HTTP_GET, "/", 1, 2, NOCL, KA, .hv = ""),
	OK("value_only_ows", G11 H "X:   \r\n\r\n", RK_HTTP_GET, "/", 1, 2, NOCL, KA, .hv = ""),
	OK("value_inner_ws_kept", G11 H "X: a \t b\r\n\r\n", RK_HTTP_GET, "/", 1, 2, NOCL, KA,
	   .hv = "a \t b"),
	OK("value_obs_text", G11 H "X: \x80\xff\r\n\r\n", RK_HTTP_GET, "/", 1, 2, NOCL, KA,
	   .hv = "\x80\xff"),
	OK("value_colon", G11 H "X: a:b: c\r\n\r\n", RK_HTTP_GET, "/", 1, 2, NOCL, KA,
	   .hv = "a:b: c"),
	OK("name_all_tchars", G11 H "!#$%&'*+-.^_`|~0aZ: v\r\n\r\n", RK_HTTP_GET, "/", 1, 2, NOCL,
	   KA, .hv = "v"),
	OK("pipelined_next_request", G11 H "\r\n" G11 H "\r\n", RK_HTTP_GET, "/", 1, 1, NOCL, KA,
	   .tail = sizeof(G11 H "\r\n") - 1),
	OK("request_line_at_limit", "GET /1 HTTP/1.1\r\n" H "\r\n", RK_HTTP_GET, "/1", 1, 1, NOCL,
	   KA, .lim = &rl15),
	OK("headers_at_limit", G11 H "X: 1\r\n\r\n", RK_HTTP_GET, "/", 1, 2, NOCL, KA, .lim = &hd2),
	OK("head_at_limit", "GET / HTTP/1.1\r\nHost: a\r\nX: 12345678\r\n\r\n", RK_HTTP_GET, "/", 1,
	   2, NOCL, KA, .lim = &head40),

	/* ---- incomplete: need more bytes ---- */
	ERR("inc_empty", "", 0),
	ERR("inc_one_byte", "G", 0),
	ERR("inc_method", "GET", 0),
	ERR("inc_no_crlf", "GET / HTTP/1.1", 0),
	ERR("inc_cr", "GET / HTTP/1.1\r", 0),
	ERR("inc_line", G11, 0),
	ERR("inc_header", G11 H, 0),
	ERR("inc_final_cr", G11 H "\r", 0),
	ERR("inc_mid_header", G11 "Host: a\r\nX: b", 0),
	ERR("inc_only_crlf", "\r\n", 0),
	ERR("inc_crlf_cr", "\r\n\r", 0),
	ERR("inc_cr_alone", "\r", 0),
	/* whole-head rules are decided only once the head is complete */
	ERR("inc_missing_host_not_yet", G11 "X: a\r\n", 0),

	/* ---- request line ---- */
	ERR("rl_double_sp_method", "GET  / HTTP/1.1\r\n" H "\r\n", -400),
	ERR("rl_double_sp_version", "GET /  HTTP/1.1\r\n" H "\r\n", -400),
	ERR("rl_tab_separator", "GET\t/ HTTP/1.1\r\n" H "\r\n", -400),
	ERR("rl_leading_sp", " GET / HTTP/1.1\r\n" H "\r\n", -400),
	ERR("rl_trailing_sp", "GET / HTTP/1.1 \r\n" H "\r\n", -400),
	ERR("rl_lower_http", "GET / http/1.1\r\n" H "\r\n", -400),
	ERR("rl_version_short", "GET / HTTP/1\r\n" H "\r\n", -400),
	ERR("rl_version_long", "GET / HTTP/1.10\r\n" H "\r\n", -400),
	ERR("rl_version_letters", "GET / HTTP/a.b\r\n" H "\r\n", -400),
	ERR("rl_version_no_dot", "GET / HTTP/11\r\n" H "\r\n", -400),
	ERR("rl_no_version", "GET /\r\n" H "\r\n", -400),
	ERR("rl_no_target", "GET HTTP/1.1\r\n" H "\r\n", -400),
	ERR("rl_three_words_in_target", "GET / a HTTP/1.1\r\n" H "\r\n", -400),
	ERR("rl_empty_method", "/ HTTP/1.1\r\n" H "\r\n", -400),
	ERR("rl_method_bad_char", "G(T / HTTP/1.1\r\n" H "\r\n", -400),
	ERR("rl_target_ctl", "GET /\x01 HTTP/1.1\r\n" H "\r\n", -400),
	ERR("rl_target_nul", "GET /\0 HTTP/1.1\r\n" H "\r\n", -400),
	ERR("rl_target_del", "GET /\x7f HTTP/1.1\r\n" H "\r\n", -400),
	ERR("rl_target_8bit", "GET /\xc3\xa9 HTTP/1.1\r\n" H "\r\n", -400),
	ERR("rl_http09", "GET /\r\n\r\n", -400),
	ERR("rl_version_505_20", "GET / HTTP/2.0\r\n" H "\r\n", -505),
	/* ---- versions, RFC 9110 §2.5 ---- */
	ERR("rl_version_two_digit_major_400", "GET / HTTP/10.0\r\n" H "\r\n", -400),
	/* the request line is decided at its CRLF, before the rest arrives */
	ERR("rl_version_505_at_its_crlf", "GET / HTTP/9.9\r\n", -505),
	ERR("rl_h2_preface_505", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", -505),
	ERR("rl_h2_preface_line_alone_505", "PRI * HTTP/2.0\r\n", -505),
	ERR("rl_501_at_its_crlf", "FOO / HTTP/1.1\r\n", -501),
	ERR("rl_syntax_at_its_crlf", "GET  / HTTP/1.1\r\n", -400),
	ERR("rl_form_at_its_crlf", "GET * HTTP/1.1\r\n", -400),
	ERR("rl_decided_before_later_bare_lf", "GET / HTTP/2.0\r\nX: a\nb", -505),
	ERR("rl_decided_before_later_431", "FOO / HTTP/1.1\r\nX: 1234567890123456789\r\n", -501,
	    .lim = &head40),
	ERR("version_12_needs_host_like_11", "GET / HTTP/1.2\r\n\r\n", -400),
	/* ---- not HTTP at all: refused at the first byte ---- */
	ERR("not_http_tls_client_hello", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", -400),
	ERR("not_http_tls_first_byte_alone", "\x16", -400),
	ERR("not_http_sslv2_hello", "\x80\x2e\x01\x00\x02", -400),
	ERR("not_http_nul_first", "\0GET / HTTP/1.1\r\n", -400),
	ERR("not_http_space_first", " ", -400),
	ERR("not_http_after_leading_crlf", "\r\n\x16\x03", -400),
	ERR("not_http_slash_first", "/ HTTP/1.1\r\n", -400),
	ERR("rl_version_505_09", "GET / HTTP/0.9\r\n" H "\r\n", -505),
	ERR("rl_version_505_31", "GET / HTTP/3.1\r\n" H "\r\n", -505),
	ERR("rl_method_unknown_501", "FOO / HTTP/1.1\r\n" H "\r\n", -501),
	ERR("rl_method_lowercase_501", "get / HTTP/1.1\r\n" H "\r\n", -501),
	ERR("rl_method_propfind_501", "PROPFIND / HTTP/1.1\r\n" H "\r\n", -501),
	ERR("rl_method_501_before_headers", "BREW / HTTP/1.1\r\nbad header\r\n\r\n", -501),
	ERR("rl_syntax_before_501", "FOO / HTTP/x\r\n" H "\r\n", -400),
	ERR("rl_505_before_501", "FOO / HTTP/2.0\r\n" H "\r\n", -505),
	/* target forms, §3.2 */
	ERR("form_asterisk_not_options", "GET * HTTP/1.1\r\n" H "\r\n", -400),
	ERR("form_connect_origin", "CONNECT / HTTP/1.1\r\n" H "\r\n", -400),
	ERR("form_connect_no_port", "CONNECT example.com HTTP/1.1\r\n" H "\r\n", -400),
	ERR("form_connect_empty_host", "CONNECT :443 HTTP/1.1\r\n" H "\r\n", -400),
	ERR("form_connect_port_alpha", "CONNECT a:b HTTP/1.1\r\n" H "\r\n", -400),
	ERR("form_connect_port_long", "CONNECT a:123456 HTTP/1.1\r\n" H "\r\n", -400),
	ERR("form_connect_empty_port", "CONNECT a: HTTP/1.1\r\n" H "\r\n", -400),
	ERR("form_connect_path", "CONNECT a/b:80 HTTP/1.1\r\n" H "\r\n", -400),
	ERR("form_relative", "GET abc HTTP/1.1\r\n" H "\r\n", -400),
	ERR("form_scheme_digit", "GET 1http://x HTTP/1.1\r\n" H "\r\n", -400),
	ERR("form_absolute_userinfo", "GET http://u@h/ HTTP/1.1\r\n" H "\r\n", -400),

	/* ---- line endings and leading lines, §2.2 ---- */
	ERR("bare_lf_everywhere", "GET / HTTP/1.1\nHost: a\n\n", -400),
	ERR("bare_lf_after_header", G11 "Host: a\n\r\n", -400),
	ERR("bare_lf_final", G11 H "\n", -400),
	ERR("bare_lf_leading", "\nGET / HTTP/1.1\r\n" H "\r\n", -400),
	ERR("bare_lf_incomplete_detected", "GET / HTTP/1.1\n", -400),
	ERR("bare_cr_in_value", G11 "X: a\rb\r\n" H "\r\n", -400),
	ERR("bare_cr_in_line", "GET /\r HTTP/1.1\r\n" H "\r\n", -400),
	ERR("bare_cr_cr_lf", G11 H "\r\r\n", -400),
	ERR("leading_9_crlf", "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n" G11 H "\r\n", -400),

	/* ---- field lines, §5 ---- */
	ERR("hdr_space_before_colon", G11 "Host : a\r\n\r\n", -400),
	ERR("hdr_tab_before_colon", G11 "Host\t: a\r\n\r\n", -400),
	ERR("hdr_leading_sp_first", G11 " X: a\r\n" H "\r\n", -400),
	ERR("hdr_obs_fold_sp", G11 H "X: a\r\n b\r\n\r\n", -400),
	ERR("hdr_obs_fold_tab", G11 H "X: a\r\n\tb\r\n\r\n", -400),
	ERR("hdr_empty_name", G11 H ": a\r\n\r\n", -400),
	ERR("hdr_no_colon", G11 H "X a\r\n\r\n", -400),
	ERR("hdr_name_only", G11 H "X\r\n\r\n", -400),
	ERR("hdr_name_ctl", G11 H "X\x01: a\r\n\r\n", -400),
	ERR("hdr_name_paren", G11 H "X(: a\r\n\r\n", -400),
	ERR("hdr_name_8bit", G11 H "X\xc3\xa9: a\r\n\r\n", -400),
	ERR("hdr_value_nul", G11 H "X: a\0b\r\n\r\n", -400),
	ERR("hdr_value_del",
	    G11 H "X: a\x7f"
		  "b\r\n\r\n",
	    -400),
	ERR("hdr_value_esc",
	    G11 H "X: a\x1b"
		  "b\r\n\r\n",
	    -400),
	ERR("hdr_value_vt",
	    G11 H "X: a\x0b"
		  "b\r\n\r\n",
	    -400),
	/* Host, RFC 9112 §3.2 */
	ERR("host_missing_11", G11 "X: a\r\n\r\n", -400),
	ERR("host_missing_11_no_headers", G11 "\r\n", -400),
	ERR("host_duplicate", G11 H "Host: b\r\n\r\n", -400),
	ERR("host_duplicate_same", G11 H H "\r\n", -400),
	ERR("host_duplicate_10", "GET / HTTP/1.0\r\n" H H "\r\n", -400),
	ERR("host_space", G11 "Host: a b\r\n\r\n", -400),
	ERR("host_slash", G11 "Host: a/b\r\n\r\n", -400),
	ERR("host_userinfo", G11 "Host: u@a\r\n\r\n", -400),
	ERR("host_8bit", G11 "Host: \xc3\xa9\r\n\r\n", -400),

	/* ---- Content-Length, RFC 9110 §8.6 ---- */
	ERR("cl_plus", P11 "Content-Length: +5\r\n\r\nhello", -400),
	ERR("cl_minus", P11 "Content-Length: -5\r\n\r\n", -400),
	ERR("cl_inner_space", P11 "Content-Length: 5 5\r\n\r\nhello", -400),
	ERR("cl_hex", P11 "Content-Length: 0x5\r\n\r\nhello", -400),
	ERR("cl_list_differs", P11 "Content-Length: 5,6\r\n\r\nhello", -400),
	ERR("cl_list_differs_ows", P11 "Content-Length: 5, 6\r\n\r\nhello", -400),
	ERR("cl_two_fields_differ", P11 "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
	    -400),
	ERR("cl_trailing_comma", P11 "Content-Length: 5,\r\n\r\nhello", -400),
	ERR("cl_leading_comma", P11 "Content-Length: ,5\r\n\r\nhello", -400),
	ERR("cl_empty", P11 "Content-Length:\r\n\r\n", -400),
	ERR("cl_suffix", P11 "Content-Length: 5a\r\n\r\nhello", -400),
	ERR("cl_exponent", P11 "Content-Length: 1e3\r\n\r\n", -400),
	ERR("cl_quoted", P11 "Content-Length: \"5\"\r\n\r\n", -400),
	ERR("cl_overflow", P11 "Content-Length: 99999999999999999999\r\n\r\n", -400),
	ERR("cl_u64_max_plus_1", P11 "Content-Length: 18446744073709551616\r\n\r\n", -400),
	ERR("cl_u64_max_too_large", P11 "Content-Length: 18446744073709551615\r\n\r\n", -413),
	ERR("cl_over_max_body", P11 "Content-Length: 1048577\r\n\r\n", -413),
	ERR("cl_over_custom_max_body", P11 "Content-Length: 11\r\n\r\n", -413, .lim = &body10),
	ERR("cl_name_space_colon", P11 "Content-Length : 5\r\n\r\nhello", -400),

	/* ---- Transfer-Encoding and smuggling, RFC 9112 §6 ---- */
	ERR("smuggle_cl_te", P11 "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", -400),
	ERR("smuggle_te_cl", P11 "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", -400),
	ERR("smuggle_te_cl_zero", P11 "Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n",
	    -400),
	ERR("te_chunked_twice_fields",
	    P11 "Transfer-Encoding: chunked\r\n"
		"Transfer-Encoding: chunked\r\n\r\n",
	    -400),
	ERR("te_chunked_twice_list", P11 "Transfer-Encoding: chunked, chunked\r\n\r\n", -400),
	ERR("te_gzip_chunked_501", P11 "Transfer-Encoding: gzip, chunked\r\n\r\n", -501),
	ERR("te_identity_chunked_501", P11 "Transfer-Encoding: identity, chunked\r\n\r\n", -501),
	ERR("te_gzip_then_chunked_fields",
	    P11 "Transfer-Encoding: gzip\r\n"
		"Transfer-Encoding: chunked\r\n\r\n",
	    -501),
	ERR("te_chunked_then_gzip_fields",
	    P11 "Transfer-Encoding: chunked\r\n"
		"Transfer-Encoding: gzip\r\n\r\n",
	    -400),
	ERR("te_chunked_identity", P11 "Transfer-Encoding: chunked, identity\r\n\r\n", -400),
	ERR("te_chunked_gzip", P11 "Transfer-Encoding: chunked, gzip\r\n\r\n", -400),
	ERR("te_gzip_only", P11 "Transfer-Encoding: gzip\r\n\r\n", -400),
	ERR("te_identity_only", P11 "Transfer-Encoding: identity\r\n\r\n", -400),
	ERR("te_xchunked", P11 "Transfer-Encoding: xchunked\r\n\r\n", -400),
	ERR("te_chunkedx", P11 "Transfer-Encoding: chunkedx\r\n\r\n", -400),
	ERR("te_chunk", P11 "Transfer-Encoding: chunk\r\n\r\n", -400),
	ERR("te_space_before_colon", P11 "Transfer-Encoding : chunked\r\n\r\n", -400),
	ERR("te_quoted", P11 "Transfer-Encoding: \"chunked\"\r\n\r\n", -400),
	ERR("te_param", P11 "Transfer-Encoding: chunked;q=1\r\n\r\n", -400),
	ERR("te_inner_space", P11 "Transfer-Encoding: ch unked\r\n\r\n", -400),
	ERR("te_empty", P11 "Transfer-Encoding:\r\n\r\n", -400),
	ERR("te_only_commas", P11 "Transfer-Encoding: , ,\r\n\r\n", -400),
	ERR("te_obs_fold_line", P11 " Transfer-Encoding: chunked\r\n\r\n", -400),
	ERR("te_obs_fold_value", P11 "Transfer-Encoding: gzip\r\n chunked\r\n\r\n", -400),
	ERR("te_vertical_tab",
	    P11 "Transfer-Encoding:\x0b"
		"chunked\r\n\r\n",
	    -400),
	ERR("te_nul", P11 "Transfer-Encoding: chunked\0\r\n\r\n", -400),
	ERR("te_lf_only", P11 "Transfer-Encoding: chunked\n\r\n", -400),
	ERR("te_no_colon", P11 "Transfer-Encoding chunked\r\n\r\n", -400),
	ERR("te_in_http10", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", -400),
	ERR("te_in_http10_with_cl",
	    "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n"
	    "Content-Length: 5\r\n\r\n",
	    -400),

	/* ---- Expect ---- */
	ERR("expect_other_417", G11 H "Expect: foo\r\n\r\n", -417),
	ERR("expect_continue_and_other_417", G11 H "Expect: 100-continue, foo\r\n\r\n", -417),
	ERR("expect_typo_417", G11 H "Expect: 100-continu\r\n\r\n", -417),

	/* ---- limits (small ones from the table; large ones below) ---- */
	ERR("limit_request_line_414", "GET /1 HTTP/1.1\r\n" H "\r\n", -414, .lim = &rl14),
	ERR("limit_request_line_incomplete_414", "GET /1234567890x", -414, .lim = &rl14),
	ERR("limit_request_line_cr_only_414", "GET /1 HTTP/1.1\r", -414, .lim = &rl14),
	ERR("limit_headers_431", G11 H "X: 1\r\nY: 2\r\n\r\n", -431, .lim = &hd2),
	ERR("limit_head_431", "GET / HTTP/1.1\r\nHost: a\r\nX: 123456789\r\n\r\n", -431,
	    .lim = &head40),
	ERR("limit_head_incomplete_431", "GET / HTTP/1.1\r\nHost: a\r\nX: 1234567890123\r\n", -431,
	    .lim = &head40),
	ERR("limit_414_before_bare_lf", "GET /123456789xy\n", -414, .lim = &rl14),
	ERR("limit_bare_lf_before_414", "GET /\n123456789x", -400, .lim = &rl14),
};

static void check_req(const struct pc *c, const char *buf, int r, const struct rk_http_request *q)
{
	CHECK_EQ(q->head_len, (unsigned)r);
	CHECK_EQ(q->method, c->m);
	CHECK_EQ(q->form, c->form);
	CHECK_MSG(q->target.n == strlen(c->target) &&
			  memcmp(q->target.p, c->target, q->target.n) == 0,
		  "target '%.*s', expected '%s'", (int)q->target.n, q->target.p, c->target);
	CHECK(q->target.p > buf && q->target.p < buf + r);
	CHECK_EQ(q->minor, c->minor);
	CHECK_EQ(q->nheaders, c->nh);
	CHECK_EQ(q->has_content_length, c->cl != NOCL);
	if (c->cl != NOCL)
		CHECK_EQ(q->content_length, c->cl);
	CHECK_EQ(q->keep_alive, !!(c->fl & KA));
	CHECK_EQ(q->chunked, !!(c->fl & CH));
	CHECK_EQ(q->expect_continue, !!(c->fl & EC));
	if (c->host)
		CHECK_MSG(q->host.n == strlen(c->host) &&
				  (!q->host.n || memcmp(q->host.p, c->host, q->host.n) == 0),
			  "host '%.*s', expected '%s'", (int)q->host.n, q->host.p, c->host);
	if (c->hv) {
		const struct rk_http_str *v = &q->headers[q->nheaders - 1].value;
		CHECK_MSG(v->n == strlen(c->hv) && memcmp(v->p, c->hv, v->n) == 0,
			  "value '%.*s', expected '%s'", (int)v->n, v->p, c->hv);
	}
	bool host_field = false;
	for (uint32_t i = 0; i < q->nheaders; i++) {
		host_field |= rk_http_str_ieq(q->headers[i].name, "host");
		CHECK(q->headers[i].name.p >= buf && q->headers[i].name.n > 0);
		CHECK(q->headers[i].value.p + q->headers[i].value.n <= buf + r);
	}
	CHECK_EQ(q->has_host, host_field);
	CHECK_EQ(q->host.p != NULL, host_field || c->form == RK_HTTP_AUTHORITY_FORM ||
					    (c->form == RK_HTTP_ABSOLUTE_FORM && q->host.n));
}

/* Exact-size heap copies, so ASan catches any read past len. */
static char *dup_n(const char *p, size_t n)
{
	char *d = malloc(n ? n : 1);
	memcpy(d, p, n);
	return d;
}

static void run_case(const struct pc *c)
{
	struct rk_http_request q;
	int want = c->ret == HEADOK ? (int)(c->len - c->tail) : c->ret;
	char *buf = dup_n(c->raw, c->len);
	int r = rk_http_parse_head(buf, c->len, 0, c->lim, &q);

	CHECK_MSG(r == want, "case %s: got %d, expected %d", c->name, r, want);
	if (r > 0)
		check_req(c, buf, r, &q);

	/* Split in two at every byte: the prefix is incomplete or already
	 * final, and the second call with prev_len gives the same answer. */
	for (size_t k = 0; k < c->len; k++) {
		char *pre = dup_n(buf, k);
		int r1 = rk_http_parse_head(pre, k, 0, c->lim, &q);
		free(pre);
		if (r1 != 0) {
			CHECK_MSG(r1 == want, "case %s: prefix %zu gave %d, expected %d", c->name,
				  k, r1, want);
			continue;
		}
		int r2 = rk_http_parse_head(buf, c->len, k, c->lim, &q);
		CHECK_MSG(r2 == want, "case %s: split at %zu gave %d, expected %d", c->name, k, r2,
			  want);
		if (r2 > 0)
			check_req(c, buf, r2, &q);
	}
	/* Byte at a time, each call passing the previous length. */
	int ri = 0;
	for (size_t k = 1; k <= c->len && ri == 0; k++) {
		char *pre = dup_n(buf, k);
		ri = rk_http_parse_head(pre, k, k - 1, c->lim, &q);
		free(pre);
	}
	if (c->len)
		CHECK_MSG(ri == want, "case %s: byte at a time gave %d, expected %d", c->name, ri,
			  want);
	free(buf);
}

TEST(parse_table)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	printf("  %zu table cases\n", sizeof(cases) / sizeof(cases[0]));
}

TEST(parse_table_names_unique)
{
	size_t n = sizeof(cases) / sizeof(cases[0]);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			CHECK_MSG(strcmp(cases[i].name, cases[j].name) != 0, "dup %s",
				  cases[i].name);
}

/* ---- large inputs, built at run time ---- */

static char *build(size_t *len, const char *pre, char fill, size_t nfill, const char *post)
{
	size_t a = strlen(pre), c = strlen(post);
	char *b = malloc(a + nfill + c + 1);
	memcpy(b, pre, a);
	memset(b + a, fill, nfill);
	memcpy(b + a + nfill, post, c + 1);
	*len = a + nfill + c;
	return b;
}

TEST(limit_request_line_20k_without_crlf_is_414_early)
{
	struct rk_http_request q;
	size_t n;
	char *b = build(&n, "GET /", 'a', 20 * 1024, "");
	/* 8192 bytes of line plus CR fit; the next byte proves it too long. */
	CHECK_EQ(rk_http_parse_head(b, 8193, 0, NULL, &q), 0);
	CHECK_EQ(rk_http_parse_head(b, 8194, 8193, NULL, &q), -414);
	CHECK_EQ(rk_http_parse_head(b, n, 0, NULL, &q), -414);
	free(b);
}

TEST(limit_request_line_exactly_8192_ok)
{
	struct rk_http_request q;
	size_t n;
	/* "GET /" + x + " HTTP/1.1" = 8192 */
	char *b = build(&n, "GET /", 'a', 8192 - 5 - 9, " HTTP/1.1\r\nHost: a\r\n\r\n");
	CHECK_EQ(rk_http_parse_head(b, n, 0, NULL, &q), (int)n);
	CHECK_EQ(q.target.n, 8192 - 4 - 9);
	b[5] = 'b';
	free(b);
	b = build(&n, "GET /", 'a', 8192 - 5 - 9 + 1, " HTTP/1.1\r\nHost: a\r\n\r\n");
	CHECK_EQ(rk_http_parse_head(b, n, 0, NULL, &q), -414);
	free(b);
}

TEST(limit_head_16k)
{
	struct rk_http_request q;
	size_t n;
	/* head = 16 (line) + 9 (host) + 3 + x + 2 + 2 = 16384 */
	size_t x = 16384 - 16 - 9 - 3 - 2 - 2;
	char *b = build(&n, G11 H "X: ", 'v', x, "\r\n\r\n");
	CHECK_EQ(n, 16384);
	CHECK_EQ(rk_http_parse_head(b, n, 0, NULL, &q), 16384);
	free(b);
	b = build(&n, G11 H "X: ", 'v', x + 1, "\r\n\r\n");
	CHECK_EQ(rk_http_parse_head(b, n, 0, NULL, &q), -431);
	CHECK_EQ(rk_http_parse_head(b, 16384, 0, NULL, &q), 0);
	CHECK_EQ(rk_http_parse_head(b, 16385, 16384, NULL, &q), -431);
	free(b);
	/* leading CRLFs do not count against the head */
	b = build(&n, "\r\n\r\n" G11 H "X: ", 'v', x, "\r\n\r\n");
	CHECK_EQ(rk_http_parse_head(b, n, 0, NULL, &q), 16388);
	free(b);
	/* an endless header without CRLF is refused without waiting */
	b = build(&n, G11 H "X: ", 'v', 1 << 20, "");
	CHECK_EQ(rk_http_parse_head(b, n, 0, NULL, &q), -431);
	free(b);
}

static char *many_headers(unsigned count, size_t *len)
{
	char *b = malloc(64 + count * 16);
	size_t n = (size_t)sprintf(b, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (unsigned i = 1; i < count; i++)
		n += (size_t)sprintf(b + n, "X%u: %u\r\n", i, i);
	n += (size_t)sprintf(b + n, "\r\n");
	*len = n;
	return b;
}

TEST(limit_header_count)
{
	struct rk_http_request q;
	struct rk_http_limits big = { .max_headers = 500 };
	size_t n;
	char *b = many_headers(64, &n);
	CHECK_EQ(rk_http_parse_head(b, n, 0, NULL, &q), (int)n);
	CHECK_EQ(q.nheaders, 64);
	free(b);
	b = many_headers(65, &n);
	CHECK_EQ(rk_http_parse_head(b, n, 0, NULL, &q), -431);
	free(b);
	/* max_headers above RK_HTTP_MAX_HEADERS is clamped to it */
	b = many_headers(RK_HTTP_MAX_HEADERS, &n);
	CHECK_EQ(rk_http_parse_head(b, n, 0, &big, &q), (int)n);
	CHECK_EQ(q.nheaders, RK_HTTP_MAX_HEADERS);
	CHECK_MSG(q.headers[99].value.n == 2 && !memcmp(q.headers[99].value.p, "99", 2), "h99");
	free(b);
	b = many_headers(RK_HTTP_MAX_HEADERS + 1, &n);
	CHECK_EQ(rk_http_parse_head(b, n, 0, &big, &q), -431);
	free(b);
}

TEST(byte_at_a_time_is_linear)
{
	/* 16 KiB delivered one byte per call must not rescan (prev_len). */
	struct rk_http_request q;
	size_t n;
	char *b = build(&n, G11 H "X: ", 'v', 16000, "\r\n\r\n");
	int r = 0;
	for (size_t k = 1; k <= n && r == 0; k++)
		r = rk_http_parse_head(b, k, k - 1, NULL, &q);
	CHECK_EQ(r, (int)n);
	free(b);
}

TEST(method_from_and_ieq)
{
	CHECK_EQ(rk_http_method_from("GET", 3), RK_HTTP_GET);
	CHECK_EQ(rk_http_method_from("GETX", 4), RK_HTTP_OTHER);
	CHECK_EQ(rk_http_method_from("CONNECT", 7), RK_HTTP_CONNECT);
	CHECK(rk_http_str_ieq((struct rk_http_str){ "ChUnKeD", 7 }, "chunked"));
	CHECK(!rk_http_str_ieq((struct rk_http_str){ "chunke", 6 }, "chunked"));
	CHECK(!rk_http_str_ieq((struct rk_http_str){ "chunkedx", 8 }, "chunked"));
}

/* ---- date and response writer (src/http/date.c, status.c) ---- */

static void date_is(int64_t t, const char *want)
{
	char out[RK_HTTP_DATE_LEN + 1];
	out[RK_HTTP_DATE_LEN] = '#';
	rk_http_date(out, t);
	CHECK_EQ(out[RK_HTTP_DATE_LEN], '#');
	out[RK_HTTP_DATE_LEN] = 0;
	CHECK_MSG(strcmp(out, want) == 0, "%lld: '%s', expected '%s'", (long long)t, out, want);
}

TEST(date_imf_fixdate)
{
	date_is(784111777, "Sun, 06 Nov 1994 08:49:37 GMT"); /* RFC 9110 §5.6.7 */
	date_is(0, "Thu, 01 Jan 1970 00:00:00 GMT");
	date_is(-1, "Wed, 31 Dec 1969 23:59:59 GMT");
	date_is(951782400, "Tue, 29 Feb 2000 00:00:00 GMT");
	date_is(1709164799, "Wed, 28 Feb 2024 23:59:59 GMT");
	date_is(1709251199, "Thu, 29 Feb 2024 23:59:59 GMT");
	date_is(2147483647, "Tue, 19 Jan 2038 03:14:07 GMT");
	date_is(4102444800, "Fri, 01 Jan 2100 00:00:00 GMT");
	date_is(253402300799LL, "Fri, 31 Dec 9999 23:59:59 GMT");
	date_is(INT64_MAX, "Fri, 31 Dec 9999 23:59:59 GMT");
	date_is(INT64_MIN, "Sat, 01 Jan 0000 00:00:00 GMT");
}

TEST(date_matches_libc_gmtime)
{
	/* Cross-check a spread of times against the C library. */
	for (int64_t t = -4000000000LL; t < 8000000000LL; t += 7777777 + t % 13) {
		char out[RK_HTTP_DATE_LEN + 1], ref[64];
		time_t tt = (time_t)t;
		struct tm tm;
		gmtime_r(&tt, &tm);
		strftime(ref, sizeof(ref), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		rk_http_date(out, t);
		out[RK_HTTP_DATE_LEN] = 0;
		CHECK_MSG(strcmp(out, ref) == 0, "%lld: '%s' vs libc '%s'", (long long)t, out, ref);
	}
}

TEST(status_reason)
{
	struct rk_http_str r;
	CHECK_EQ(rk_http_status_reason(200, &r), 0);
	CHECK(r.n == 2 && !memcmp(r.p, "OK", 2));
	CHECK_EQ(rk_http_status_reason(431, &r), 0);
	CHECK(r.n == 31 && !memcmp(r.p, "Request Header Fields Too Large", 31));
	CHECK_EQ(rk_http_status_reason(505, &r), 0);
	CHECK_EQ(rk_http_status_reason(299, &r), -22);
	CHECK_EQ(r.n, 0);
}

TEST(response_writer)
{
	char mem[128];
	struct rk_http_buf b = { mem, 0, sizeof(mem) };
	struct rk_http_str ct = { "Content-Type", 12 }, v = { "text/plain", 10 };
	CHECK_EQ(rk_http_buf_status_line(&b, 404), 0);
	CHECK_EQ(rk_http_buf_header(&b, ct, v), 0);
	CHECK_EQ(rk_http_buf_header_u64(&b, (struct rk_http_str){ "Content-Length", 14 }, 1234), 0);
	CHECK_EQ(rk_http_buf_end_head(&b), 0);
	const char *want = "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n"
			   "Content-Length: 1234\r\n\r\n";
	CHECK_EQ(b.len, strlen(want));
	CHECK(memcmp(mem, want, b.len) == 0);
	/* unknown code: empty reason phrase, still a valid status-line */
	b.len = 0;
	CHECK_EQ(rk_http_buf_status_line(&b, 299), 0);
	CHECK(b.len == 15 && !memcmp(mem, "HTTP/1.1 299 \r\n", 15));
	CHECK_EQ(rk_http_buf_status_line(&b, 99), -22);
	CHECK_EQ(rk_http_buf_status_line(&b, 1000), -22);
	/* u64 extremes */
	b.len = 0;
	CHECK_EQ(rk_http_buf_put_u64(&b, 0), 0);
	CHECK_EQ(rk_http_buf_put_u64(&b, UINT64_MAX), 0);
	CHECK(b.len == 21 && !memcmp(mem, "018446744073709551615", 21));
	/* response splitting refused */
	CHECK_EQ(rk_http_buf_header(&b, ct, (struct rk_http_str){ "a\r\nX: y", 7 }), -22);
	CHECK_EQ(rk_http_buf_header(&b, (struct rk_http_str){ "A B", 3 }, v), -22);
	CHECK_EQ(rk_http_buf_header(&b, (struct rk_http_str){ "", 0 }, v), -22);
	CHECK_EQ(b.len, 21);
}

TEST(response_writer_bounds_all_or_nothing)
{
	char mem[32];
	struct rk_http_str n = { "Server", 6 }, v = { "rocket", 6 }; /* 16 bytes */
	for (uint32_t cap = 0; cap <= sizeof(mem); cap++) {
		struct rk_http_buf b = { mem, 0, cap };
		memset(mem, '#', sizeof(mem));
		int r = rk_http_buf_header(&b, n, v);
		CHECK_EQ(r, cap >= 16 ? 0 : RK_HTTP_ENOSPC);
		CHECK_EQ(b.len, cap >= 16 ? 16 : 0);
		for (uint32_t i = b.len; i < sizeof(mem); i++)
			CHECK(mem[i] == '#');
		b.len = 0;
		r = rk_http_buf_status_line(&b, 200); /* "HTTP/1.1 200 OK\r\n" = 17 */
		CHECK_EQ(r, cap >= 17 ? 0 : RK_HTTP_ENOSPC);
		b.len = cap;
		CHECK_EQ(rk_http_buf_put(&b, "x", 1), RK_HTTP_ENOSPC);
		CHECK_EQ(rk_http_buf_put(&b, "", 0), 0);
		CHECK_EQ(rk_http_buf_end_head(&b), RK_HTTP_ENOSPC);
		CHECK_EQ(b.len, cap);
	}
}

TEST(prev_len_larger_than_len_rescans)
{
	struct rk_http_request q;
	const char *b = G11 H "\r\n";
	size_t n = strlen(b);
	/* a caller that compacted its buffer may pass a stale prev_len */
	CHECK_EQ(rk_http_parse_head(b, n, n + 100, NULL, &q), (int)n);
	struct rk_http_limits zero = { 0 };
	CHECK_EQ(rk_http_parse_head(b, n, 0, &zero, &q), (int)n);
}

TEST(tls_record_is_recognized_after_a_400)
{
	struct rk_http_request q;
	const char hello[] = "\x16\x03\x01\x00\xc8\x01\x00\x00\xc4\x03\x03";
	CHECK_EQ(rk_http_parse_head(hello, sizeof(hello) - 1, 0, NULL, &q), -400);
	CHECK(rk_http_is_tls_record(hello, sizeof(hello) - 1));
	CHECK(rk_http_is_tls_record(hello, 1)); /* one byte: maybe */
	CHECK(!rk_http_is_tls_record("\x16\x04", 2));
	CHECK(!rk_http_is_tls_record("GET / HTTP/1.1\r\n", 16));
	CHECK(!rk_http_is_tls_record(" ", 1));
	CHECK(!rk_http_is_tls_record("", 0));
}

/* max_field bounds one field line (name, colon, value; not the CRLF):
 * 431 past it, decided once the head is complete, the same however the
 * bytes were split; no bound (but max_head) when it is zero. */
TEST(limit_one_field_line_431)
{
	struct rk_http_request q;
	struct rk_http_limits lim = { .max_field = 16 };
	const char *ok = "GET / HTTP/1.1\r\nHost: a\r\nX-A: 0123456789a\r\n\r\n";
	const char *bad = "GET / HTTP/1.1\r\nHost: a\r\nX-A: 0123456789ab\r\n\r\n";
	CHECK_EQ(rk_http_parse_head(ok, strlen(ok), 0, &lim, &q), (int)strlen(ok));
	CHECK_EQ(rk_http_parse_head(bad, strlen(bad), 0, &lim, &q), -431);
	CHECK_EQ(rk_http_parse_head(bad, strlen(bad), 0, NULL, &q), (int)strlen(bad));
	int r = 0;
	for (size_t k = 1; k <= strlen(bad) && r == 0; k++)
		r = rk_http_parse_head(bad, k, k - 1, &lim, &q);
	CHECK_EQ(r, -431);
}
