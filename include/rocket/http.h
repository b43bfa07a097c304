/* include/rocket/http.h - the HTTP/1.1 message contract: a zero-copy request
 * head parser, an incremental chunked-body decoder, the IMF-fixdate and a
 * bounded response-head writer. Follows RFC 9112 (HTTP/1.1 syntax) and
 * RFC 9110 (semantics); section numbers are cited where a rule is decided.
 * Read next: src/http/parse.c.
 */
#ifndef ROCKET_HTTP_H
#define ROCKET_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A view into the caller's bytes: the parser never copies or allocates. */
struct rk_http_str {
	const char *p;
	uint32_t n;
};

struct rk_http_header {
	struct rk_http_str name, value; /* value has its OWS trimmed */
};

#define RK_HTTP_MAX_HEADERS 100 /* hard cap: the size of rk_http_request.headers */

/* Every length a request can make a server read, with the status that
 * refuses it (RFC 9110 §15.5.14 413, §15.5.15 414; RFC 6585 §5 431). The
 * parser reads the first five; the chunked decoder the last three (the
 * server copies them into struct rk_http_chunked). A zero field means
 * "use the default" (so a zeroed struct, or NULL, works). */
struct rk_http_limits {
	uint32_t max_request_line; /* bytes, without CRLF; default 8192 -> 414 */
	uint32_t max_head;         /* bytes after any leading CRLFs, incl. the
	                              final CRLFCRLF; default 16384      -> 431 */
	uint32_t max_headers;      /* field lines; default 64, at most
	                              RK_HTTP_MAX_HEADERS                 -> 431 */
	uint32_t max_field;        /* bytes of one field line (name, colon,
	                              value, no CRLF); default: max_head -> 431 */
	uint64_t max_body;         /* Content-Length / chunked total;
	                              default 1 MiB                       -> 413 */
	uint32_t max_chunk_line;   /* chunk size + extensions; 4096      -> 400 */
	uint32_t max_trailers;     /* the trailer section; 16384         -> 431 */
	uint32_t max_chunks;       /* data chunks per body; 65536        -> 413 */
};
#define RK_HTTP_DEFAULT_MAX_REQUEST_LINE 8192u
#define RK_HTTP_DEFAULT_MAX_HEAD         16384u
#define RK_HTTP_DEFAULT_MAX_HEADERS      64u
#define RK_HTTP_DEFAULT_MAX_BODY         (1ull << 20)
#define RK_HTTP_MAX_EMPTY_LINES          8 /* leading CRLFs skipped, §2.2 */

enum rk_http_method {
	RK_HTTP_OTHER = 0, /* never returned by a successful parse (-> 501) */
	RK_HTTP_GET,
	RK_HTTP_HEAD,
	RK_HTTP_POST,
	RK_HTTP_PUT,
	RK_HTTP_DELETE,
	RK_HTTP_OPTIONS,
	RK_HTTP_PATCH,
	RK_HTTP_TRACE,
	RK_HTTP_CONNECT,
};

enum rk_http_target_form {                         /* RFC 9112 §3.2 */
			   RK_HTTP_ORIGIN_FORM,    /* "/path?query"                    */
			   RK_HTTP_ABSOLUTE_FORM,  /* "http://host/path" (any scheme)  */
			   RK_HTTP_AUTHORITY_FORM, /* "host:port", CONNECT only        */
			   RK_HTTP_ASTERISK_FORM,  /* "*", OPTIONS only                */
};

struct rk_http_request {
	struct rk_http_str method_str, target;
	enum rk_http_method method;
	enum rk_http_target_form form;
	uint8_t minor; /* HTTP/1.<minor>: 0 or 1 (1.2-1.9 read
	                              as 1, RFC 9110 §2.5)                */
	bool has_host; /* a Host field was present (may be empty) */
	bool has_content_length;
	bool chunked;            /* Transfer-Encoding: chunked (the only one) */
	bool keep_alive;         /* §9.3: 1.1 unless "close"; 1.0 only with
	                              "keep-alive" (and no "close")          */
	bool expect_continue;    /* "Expect: 100-continue" on HTTP/1.1 */
	struct rk_http_str host; /* the target's authority (absolute- or
	                              authority-form), else the Host value;
	                              {NULL, 0} for 1.0 without either       */
	uint64_t content_length;
	uint32_t head_len; /* = the positive return value */
	uint32_t nheaders;
	struct rk_http_header headers[RK_HTTP_MAX_HEADERS];
};

/* Parse the request head at the start of buf[0..len).
 *   > 0  complete: bytes of the head, including skipped leading CRLFs and the
 *        final CRLFCRLF; *req is filled and points into buf.
 *     0  incomplete: call again with more bytes; pass prev_len = the len of
 *        the previous call on the same bytes (or 0) so the end-of-head search
 *        does not rescan, keeping byte-at-a-time delivery linear.
 *   < 0  -(status to answer before closing): -400, -413, -414, -417, -431,
 *        -501, -505. Limits, bare CR/LF are detected on incomplete input as
 *        soon as the offending byte arrives (max_field and max_headers once
 *        the head is complete, or max_head passed); the result never depends
 *        on how the bytes were split.
 * Decisions (each is documented at its rule in parse.c):
 *   - lines end with CRLF only; a bare LF or bare CR anywhere -> 400 (§2.2
 *     permits LF, but accepting it is a known smuggling lever);
 *   - up to RK_HTTP_MAX_EMPTY_LINES leading CRLFs are skipped (§2.2), more
 *     -> 400;
 *   - unknown but well-formed method token -> 501 (RFC 9110 §9.1);
 *   - request-line errors are decided in the order: syntax 400, version 505,
 *     method 501, target form 400, as soon as the line's CRLF is in (so the
 *     HTTP/2 preface "PRI * HTTP/2.0\r\n" gets its 505 at once) and before
 *     any error in the bytes after it;
 *   - HTTP/1.2-1.9 are answered as 1.1 (RFC 9110 §2.5); other majors 505;
 *   - a first byte (after skipped CRLFs) that cannot start a method token
 *     -> 400 at once: the peer is not speaking HTTP (see
 *     rk_http_is_tls_record to close a TLS client without an answer);
 *   - Transfer-Encoding whose final coding is not chunked -> 400 (§6.3 p4);
 *     chunked last but other codings before it -> 501 (§6.1);
 *   - Expect other than 100-continue on HTTP/1.1 -> 417; Expect is ignored
 *     on HTTP/1.0 (RFC 9110 §10.1.1);
 *   - an empty Host value is accepted (RFC 9110 §7.2). */
int rk_http_parse_head(const char *buf, size_t len, size_t prev_len,
		       const struct rk_http_limits *lim, struct rk_http_request *req);

/* Do the bytes a -400 came from start like a TLS record (a ClientHello on
 * the plain port)? Then a server may close without answering: a TLS client
 * cannot read an HTTP/1.1 400 anyway. */
bool rk_http_is_tls_record(const char *buf, size_t len);

enum rk_http_method rk_http_method_from(const char *p, size_t n);
/* Case-insensitive compare of a view with a lowercase literal. */
bool rk_http_str_ieq(struct rk_http_str s, const char *lower);

/* Chunked body decoder (RFC 9112 §7.1), fed any split of the body bytes. */
struct rk_http_chunked {
	uint64_t remaining; /* data bytes left in this chunk / size being read */
	uint64_t total;     /* data bytes so far */
	uint64_t max_body;
	uint32_t chunks;       /* data chunks so far */
	uint32_t max_chunks;   /* set by init; a caller may change these three  */
	uint32_t max_line;     /* after: the bounds of a chunk line (400) and of */
	uint32_t max_trailers; /* the trailer section (431)                    */
	uint32_t line;         /* bytes of the current chunk line / trailer section */
	uint8_t state, digits;
	int16_t error; /* sticky negative status once failed */
};
#define RK_HTTP_CHUNKED_DATA   1     /* *data is a non-empty span of body  */
#define RK_HTTP_CHUNKED_DONE   2     /* last chunk + trailers + CRLF seen  */
#define RK_HTTP_MAX_CHUNK_LINE 4096  /* default: size + extensions, else 400 */
#define RK_HTTP_MAX_TRAILERS   16384 /* default: the trailer section, else 431 */
/* Data chunks per body, else 413: a body of one-byte chunks costs six
 * framing bytes and a DATA return per byte, so the work a body may cost is
 * bounded like its size (the 0-size last chunk does not count). */
#define RK_HTTP_DEFAULT_MAX_CHUNKS (1u << 16)

void rk_http_chunked_init(struct rk_http_chunked *st, uint64_t max_body); /* 0: default */
/* Consume bytes from in[0..len): *consumed tells how many. Returns
 *   RK_HTTP_CHUNKED_DATA  *data points into in (the span is part of *consumed);
 *   0                     all of in consumed, need more bytes;
 *   RK_HTTP_CHUNKED_DONE  *consumed ends just after the final CRLF; the rest
 *                         of in is the next request;
 *   < 0                   -400 (syntax, or a chunk line over max_line),
 *                         -413 (over max_body or max_chunks, decided at
 *                         the byte ending the size), -431 (trailers over
 *                         max_trailers). */
int rk_http_chunked_feed(struct rk_http_chunked *st, const char *in, size_t len, size_t *consumed,
			 struct rk_http_str *data);

/* "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 §5.6.7): exactly 29 bytes, no NUL.
 * Years are clamped to 0000..9999. */
#define RK_HTTP_DATE_LEN 29
void rk_http_date(char out[RK_HTTP_DATE_LEN], int64_t unix_seconds);
/* The inverse, for the conditional fields: an HTTP-date in any of the three
 * forms a recipient MUST accept (§5.6.7): IMF-fixdate, RFC 850 ("Sunday,
 * 06-Nov-94 08:49:37 GMT") and asctime ("Sun Nov  6 08:49:37 1994"). Exact
 * syntax and case-sensitive names; the weekday is not checked against the
 * date. A two-digit year is placed within 50 years of now (§5.6.7).
 * 0 with *out = unix seconds, or -EINVAL. */
int rk_http_date_parse(const char *p, size_t n, int64_t now, int64_t *out);

/* Reason phrase of a status code; -EINVAL (and an empty phrase) if unknown. */
int rk_http_status_reason(int code, struct rk_http_str *out);

/* A bounded output buffer. Every put either appends all of it and returns 0,
 * or appends nothing and returns RK_HTTP_ENOSPC (or -EINVAL for bad input). */
/* = -ENOSPC; spelled out so this header needs no ABI header and stays
 * includable beside libc's (the tests, the fuzzer). */
#define RK_HTTP_ENOSPC (-28)
struct rk_http_buf {
	char *p;
	uint32_t len, cap;
};
int rk_http_buf_put(struct rk_http_buf *b, const void *src, size_t n);
int rk_http_buf_put_u64(struct rk_http_buf *b, uint64_t v);
/* "HTTP/1.1 <code> <reason>\r\n"; code must be 100..999. */
int rk_http_buf_status_line(struct rk_http_buf *b, int code);
/* "<name>: <value>\r\n"; -22 if name is not a token or value has CR/LF/NUL
 * (no response splitting through a header). */
int rk_http_buf_header(struct rk_http_buf *b, struct rk_http_str name, struct rk_http_str value);
int rk_http_buf_header_u64(struct rk_http_buf *b, struct rk_http_str name, uint64_t v);
int rk_http_buf_end_head(struct rk_http_buf *b); /* the empty line */

/* Character classes shared by the parser, the decoder and the writer. */
bool rk_http_is_tchar(unsigned char c); /* RFC 9110 §5.6.2 token */

#endif
