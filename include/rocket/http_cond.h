/* include/rocket/http_cond.h - what a static file answers besides its bytes:
 * validators (ETag, Last-Modified: RFC 9110 §8.8), conditional requests
 * (§13: If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since,
 * If-Range, evaluated in the order of §13.2.2), byte ranges (§14) and the
 * content coding to send (Accept-Encoding, §12.5.3). Pure functions over
 * field values; decisions come back as the status code to answer.
 * Read next: src/http/cond.c.
 */
#ifndef ROCKET_HTTP_COND_H
#define ROCKET_HTTP_COND_H

#include <rocket/http.h>

/* ---- validators (cond.c) ------------------------------------------------ */

/* A strong entity-tag '"<size>-<mtime ns>-<inode>"' in lowercase hex
 * (mtime as its 64-bit two's complement): any change of content that
 * changes size or mtime, or a file replaced by rename, changes the tag.
 * Returns its length (at most RK_HTTP_ETAG_MAX) or RK_HTTP_ENOSPC. */
#define RK_HTTP_ETAG_MAX 52
int rk_http_etag(char *out, size_t cap, uint64_t size, int64_t mtime_ns, uint64_t ino);

/* The Last-Modified time to send: the file's mtime, but never later than
 * the response's Date (RFC 9110 §8.8.2.1: a future mtime is replaced by
 * the origination time). Write it with rk_http_date. */
int64_t rk_http_last_modified(int64_t mtime_s, int64_t now_s);

/* Does the If-Match / If-None-Match value list[] hold "*" or a tag equal
 * to etag (ours, quotes included)? strong: the comparison of If-Match and
 * If-Range (§8.8.3.2: neither may be weak); else the weak one of
 * If-None-Match (W/"x" matches "x").
 *   1 match, 0 none (also when etag is empty), -22 not a valid field value
 *   (callers then ignore the field). */
int rk_http_etag_match(struct rk_http_str list, struct rk_http_str etag, bool strong);

/* What a conditional request is evaluated against. */
#define RK_HTTP_NO_DATE INT64_MIN
struct rk_http_validators {
	struct rk_http_str etag; /* strong tag as sent, quotes included; {NULL,0}: none */
	int64_t last_modified;   /* unix seconds as sent; RK_HTTP_NO_DATE: none */
	int64_t now;             /* current unix time (dates with two-digit years) */
	uint64_t size;           /* length of the representation, for Range */
};

/* A satisfiable byte range, inclusive as in "Content-Range: bytes
 * <first>-<last>/<size>" (§14.4). */
struct rk_http_range {
	uint64_t first, last;
};

/* If-Range (§13.1.5): true when the Range may apply - an entity-tag that
 * matches strongly, or an HTTP-date equal to last_modified. Anything else
 * (a weak tag, another date, a malformed value) is false. */
bool rk_http_if_range(struct rk_http_str value, const struct rk_http_validators *v);

/* The whole of §13.2.2 for a request on a resource that exists (call it
 * only where the answer would otherwise be 200, §13.2.1), with the
 * request's own fields:
 *   1. If-Match false -> 412; else if absent, If-Unmodified-Since false -> 412;
 *   3. If-None-Match false -> 304 (GET/HEAD) or 412 (other methods);
 *   4. else if absent, on GET/HEAD, If-Modified-Since false -> 304;
 *   5. GET with Range (and If-Range true, when present) -> 206 / 416 / 200
 *      as rk_http_range_parse decides;
 *   6. else 200.
 * Returns 200, 206 (*range filled), 304, 412 or 416 (answer it with the
 * unsatisfied-range form of Content-Range, §14.4). A field that is malformed, or a
 * singleton field (dates, Range, If-Range) that appears twice, is ignored;
 * list fields may be split over several lines. A 304 carries the ETag and
 * Last-Modified a 200 would have (§15.4.5). */
int rk_http_cond_eval(const struct rk_http_request *req, const struct rk_http_validators *v,
		      struct rk_http_range *range);

/* ---- byte ranges (range.c) ---------------------------------------------- */

/* The Range value (§14.1.2, §14.2) against a representation of size bytes:
 *   206  one satisfiable range: "bytes=a-b" (b clamped to size - 1), "a-",
 *        "-suffix" (the last suffix bytes, or all of a shorter file);
 *   416  one range and it is unsatisfiable: a >= size, or "-0";
 *   200  serve it all: a unit other than bytes, a syntactically invalid
 *        value ("bytes=5-1", "bytes=x", "bytes="; §14.2 lets a server
 *        ignore it), a suffix of an empty file, or more than one range
 *        (no multipart/byteranges here: the whole file answers a list,
 *        which §14.2 permits, and costs one read however many ranges). */
int rk_http_range_parse(struct rk_http_str value, uint64_t size, struct rk_http_range *out);

/* ---- content codings (encoding.c) --------------------------------------- */

/* Weights (qvalues in thousandths: q=0.5 is 500) of the codings a static
 * file may have precompressed siblings in. 0 means refused. */
struct rk_http_codings {
	uint16_t br, gzip, identity;
};
enum rk_http_coding { RK_HTTP_CODING_IDENTITY, RK_HTTP_CODING_GZIP, RK_HTTP_CODING_BR };

/* One Accept-Encoding field value (§12.5.3). Codings are case-insensitive,
 * "x-gzip" is gzip (§8.4.1.3), "*" weighs every coding not named, a member
 * that does not parse (a bad qvalue, a parameter other than q) is skipped.
 * identity, unless named or covered by "*", keeps the weight 1: acceptable
 * but after anything named. An empty value leaves only identity. */
void rk_http_accept_encoding(struct rk_http_str value, struct rk_http_codings *out);

/* All Accept-Encoding lines of the request as one list; no field at all
 * gives identity only (§12.5.3 would allow any coding, but a client that
 * says nothing is safest served as it asked). */
void rk_http_accept_encoding_req(const struct rk_http_request *req, struct rk_http_codings *out);

/* The coding to send, among the siblings that exist: the highest weight,
 * br before gzip before identity at equal weights. Identity when nothing
 * else is acceptable - even when identity itself was refused: §12.5.3 lets
 * a server send it rather than 406. */
enum rk_http_coding rk_http_coding_pick(const struct rk_http_codings *q, bool have_br,
					bool have_gzip);

#endif
