/* include/rocket/http_path.h - the request target as a path: split into the
 * RFC 3986 §3 parts (origin- and absolute-form, RFC 9112 §3.2.1-§3.2.2),
 * percent-decoded (§2.1) and freed of dot-segments (§5.2.4). Routing and
 * static files share this one normalizer, so both see one path per target.
 * Pure functions: no I/O, no allocation, views into the caller's bytes.
 * Read next: src/http/path.c.
 */
#ifndef ROCKET_HTTP_PATH_H
#define ROCKET_HTTP_PATH_H

#include <rocket/http.h>

struct rk_http_target {
	struct rk_http_str scheme;    /* absolute-form: "http"/"https" as sent; else {NULL,0} */
	struct rk_http_str authority; /* absolute-form: host[:port]; else {NULL,0} */
	struct rk_http_str raw_path;  /* still encoded; an empty absolute-form path reads "/" */
	struct rk_http_str query;     /* after '?', undecoded; p == NULL when there is no '?' */
	struct rk_http_str path;      /* rk_http_target_parse only: normalized, in its buf */
	bool trailing_slash;          /* rk_http_target_parse only: path ends with '/' ("/" too) */
};

/* Split t[0..n) (origin-form "/a?q" or absolute-form "http://h/a?q").
 *   0     *out holds views into t (path, query undecoded);
 *   -400  anything else: another scheme ("x:/a", "ftp://h/"), "http:/a" (no
 *         authority), an empty host or userinfo (RFC 9110 §4.2.1, §4.2.4), a
 *         '#' (no fragment in a request), a '\' in the path, bytes outside
 *         0x21-0x7e. Asterisk- and authority-form are the parser's (-400). */
int rk_http_target_split(const char *t, size_t n, struct rk_http_target *out);

/* Decode and normalize path[0..n) into out[0..cap): one pass that decodes a
 * segment, then drops it if it is "" (so "//" is one "/"), "." or ".."
 * (which also drops the segment before it; never above "/"). Encoded dots
 * ("%2e%2E") are dots. "%252e" decodes once, to the literal segment "%2e".
 *   > 0   the length of out: starts with '/', never longer than n, holds
 *         no "//" and no "." or ".." segment;
 *   -400  path does not start with '/'; an escape that is not "%" HEXDIG
 *         HEXDIG; an encoded '/' or '\' (%2F, %5C: a second separator would
 *         let the file system and the router disagree); a literal '\'; any
 *         control byte once decoded (%00-%1F, %7F: no name we serve has
 *         one, and they must not reach logs or a Location field);
 *   -414  n > cap (decided on the input length, so the answer never depends
 *         on how much a later ".." would have removed).
 * Bytes >= 0x80 (overlong UTF-8 such as %c0%ae included) are plain bytes. */
int rk_http_path_normalize(const char *path, size_t n, char *out, size_t cap);

/* rk_http_target_split, then rk_http_path_normalize of raw_path into buf:
 * fills out->path (in buf) and out->trailing_slash. 0, -400 or -414. */
int rk_http_target_parse(const char *t, size_t n, char *buf, size_t cap,
			 struct rk_http_target *out);

/* Percent-decode in[0..n) into out[0..cap) (out == in is allowed: decoding
 * never grows). flags: RK_HTTP_PCT_PLUS reads '+' as a space (the
 * application/x-www-form-urlencoded rule of query strings, not RFC 3986).
 *   >= 0            the decoded length;
 *   -400            a bad escape ("%zz", "%4", a final "%") or "%00";
 *   RK_HTTP_ENOSPC  the result does not fit cap (nothing is promised in out). */
#define RK_HTTP_PCT_PLUS 1u
int rk_http_pct_decode(const char *in, size_t n, char *out, size_t cap, unsigned flags);

/* The first parameter called name (NUL-terminated, compared with the key
 * decoded as a form key: "%61" and "a" are both "a", '+' is a space) in a
 * query "k=v&k2&k3=v3". true and *value = its undecoded value ("" for "k"
 * or "k="), or false. A key with a bad escape matches nothing. */
bool rk_http_query_get(struct rk_http_str query, const char *name, struct rk_http_str *value);

#endif
