/* tests/fuzz_http_static.c - the fuzz targets of the static-file helpers,
 * called from tests/fuzz_http.c: target split and path normalization
 * checked against a literal RFC 3986 §5.2.4 reference, Range against its
 * contract, HTTP-dates read back through rk_http_date, §13.2.2 evaluation
 * over parsed field lines, Accept-Encoding and media types.
 */
#include <rocket/http.h>
#include <rocket/http_cond.h>
#include <rocket/http_mime.h>
#include <rocket/http_path.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_http.h"

static char *dup_n(const char *p, size_t n)
{
	char *d = malloc(n ? n : 1);
	memcpy(d, p, n);
	return d;
}

static bool inside(struct rk_http_str s, const char *p, size_t n)
{
	return s.p >= p && s.p + s.n <= p + n;
}

/* ---- path: the reference, written as plainly as the RFC ----------------- */

static int hexv(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 32) >= 'a' && (c | 32) <= 'f')
		return (c | 32) - 'a' + 10;
	return -1;
}

/* Decode with the normalizer's refusals; -1 when it must say 400. */
static long ref_decode(const char *in, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)in[i];
		if (c == '%') {
			if (i + 2 >= n || hexv(in[i + 1]) < 0 || hexv(in[i + 2]) < 0)
				return -1;
			c = hexv(in[i + 1]) * 16 + hexv(in[i + 2]);
			if (c == '/')
				return -1;
			i += 2;
		}
		if (c == '\\' || c < 0x20 || c == 0x7f)
			return -1;
		out[o++] = (char)c;
	}
	return (long)o;
}

/* Runs of '/' become one, then RFC 3986 §5.2.4, step by step. */
static size_t ref_normalize(char *buf, size_t n, char *out)
{
	char *in = malloc(n + 1);
	size_t m = 0, o = 0, i = 0;
	for (size_t k = 0; k < n; k++)
		if (!(buf[k] == '/' && m > 0 && in[m - 1] == '/'))
			in[m++] = buf[k];
	while (i < m) {
		size_t rest = m - i;
		const char *p = in + i;
		if (rest >= 3 && !memcmp(p, "../", 3)) {
			i += 3; /* A */
		} else if (rest >= 2 && !memcmp(p, "./", 2)) {
			i += 2;
		} else if (rest >= 3 && !memcmp(p, "/./", 3)) {
			i += 2; /* B: "/./" -> "/" */
		} else if (rest == 2 && !memcmp(p, "/.", 2)) {
			in[++i] = '/'; /* "/." -> "/" */
		} else if ((rest >= 4 && !memcmp(p, "/../", 4)) ||
			   (rest == 3 && !memcmp(p, "/..", 3))) {
			/* C: replace with "/", drop the output's last segment */
			if (rest >= 4)
				i += 3;
			else
				in[i += 2] = '/';
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else if ((rest == 1 && p[0] == '.') || (rest == 2 && !memcmp(p, "..", 2))) {
			i = m; /* D */
		} else {
			/* E: the first segment, with its leading '/' */
			size_t k = i + (in[i] == '/');
			while (k < m && in[k] != '/')
				k++;
			memcpy(out + o, in + i, k - i);
			o += k - i;
			i = k;
		}
	}
	free(in);
	return o;
}

static void check_normalized(size_t n, const char *out, int r)
{
	ASSERT(r > 0 && (size_t)r <= n && out[0] == '/');
	for (int i = 0; i < r; i++) {
		unsigned char c = (unsigned char)out[i];
		ASSERT(c >= 0x20 && c != 0x7f && c != '\\');
		if (c == '/' && i + 1 < r)
			ASSERT(out[i + 1] != '/');
		if (c == '/') {
			/* no "." or ".." segment anywhere */
			int e = i + 1;
			while (e < r && out[e] != '/')
				e++;
			int len = e - i - 1;
			ASSERT(!(len == 1 && out[i + 1] == '.'));
			ASSERT(!(len == 2 && out[i + 1] == '.' && out[i + 2] == '.'));
		}
	}
}

static void normalize_both(const char *in, size_t n)
{
	char *a = malloc(n + 1), *dec = malloc(n + 1), *ref = malloc(n + 2);
	char *ex = dup_n(in, n);
	int r = rk_http_path_normalize(ex, n, a, n);
	long d = n && in[0] == '/' ? ref_decode(in, n, dec) : -1;
	if (d < 0) {
		ASSERT(r == -400);
	} else {
		size_t rn = ref_normalize(dec, (size_t)d, ref);
		if (rn == 0) /* "/.." gives "" in the RFC: the root is "/" */
			ref[rn++] = '/';
		ASSERT(r > 0 && (size_t)r == rn && memcmp(a, ref, rn) == 0);
		check_normalized(n, a, r);
		/* idempotent once nothing is left to decode */
		if (!memchr(a, '%', (size_t)r)) {
			char *b = malloc((size_t)r);
			ASSERT(rk_http_path_normalize(a, (size_t)r, b, (size_t)r) == r);
			ASSERT(memcmp(a, b, (size_t)r) == 0);
			free(b);
		}
		/* the bound is on the input */
		if (n > 1)
			ASSERT(rk_http_path_normalize(ex, n, a, n - 1) == -414);
	}
	free(a);
	free(dec);
	free(ref);
	free(ex);
}

void fuzz_path(const char *in, size_t n, bool variant)
{
	struct rk_http_target tg;
	char *t = dup_n(in, n);
	int r = rk_http_target_split(t, n, &tg);
	ASSERT(r == 0 || r == -400);
	if (r == 0) {
		ASSERT(inside(tg.raw_path, t, n) ||
		       (tg.raw_path.n == 1 && tg.raw_path.p[0] == '/'));
		ASSERT(tg.raw_path.n > 0 && tg.raw_path.p[0] == '/');
		ASSERT(!tg.query.p || inside(tg.query, t, n));
		ASSERT(!tg.scheme.p || (inside(tg.scheme, t, n) && inside(tg.authority, t, n)));
		/* the parts are the target, in order */
		size_t k = 0;
		if (tg.scheme.p) {
			ASSERT(tg.scheme.p == t && t[tg.scheme.n] == ':');
			ASSERT(tg.authority.p == t + tg.scheme.n + 3 && tg.authority.n > 0);
			k = tg.scheme.n + 3 + tg.authority.n;
		}
		if (inside(tg.raw_path, t, n)) {
			ASSERT(tg.raw_path.p == t + k);
			k += tg.raw_path.n;
		}
		if (tg.query.p) {
			ASSERT(t[k] == '?' && tg.query.p == t + k + 1);
			k += 1 + tg.query.n;
		}
		ASSERT(k == n);
		normalize_both(tg.raw_path.p, tg.raw_path.n);
		char *buf = malloc(n + 1);
		int p = rk_http_target_parse(t, n, buf, n + 1, &tg);
		ASSERT(p == 0 || p == -400);
		if (p == 0)
			ASSERT(tg.trailing_slash == (buf[tg.path.n - 1] == '/'));
		free(buf);
		struct rk_http_str v;
		if (tg.query.p && rk_http_query_get(tg.query, variant ? "a" : "", &v))
			ASSERT(inside(v, tg.query.p, tg.query.n));
	}
	/* the normalizer on its own, on any bytes */
	normalize_both(t, n);

	/* percent-decoding: out of place, in place, both agree */
	char *o = malloc(n + 1);
	unsigned fl = variant ? RK_HTTP_PCT_PLUS : 0;
	int d = rk_http_pct_decode(t, n, o, n, fl);
	ASSERT(d == -400 || (d >= 0 && (size_t)d <= n));
	memcpy(o, t, n);
	int e = rk_http_pct_decode(o, n, o, n, fl);
	ASSERT(e == d);
	if (d > 0)
		ASSERT(rk_http_pct_decode(t, n, o, (size_t)d - 1, fl) == RK_HTTP_ENOSPC);
	free(o);
	struct rk_http_str q = { t, (uint32_t)n }, v;
	char name[3] = { n ? t[0] : 0, 0, 0 };
	if (rk_http_query_get(q, name, &v))
		ASSERT(inside(v, t, n));
	free(t);
}

/* ---- Range, If-Range, entity-tag lists ----------------------------------- */

/* Does v hold exactly "bytes=" 1*6DIGIT "-" 1*6DIGIT? */
static bool plain_range(const char *v, size_t n, uint64_t *a, uint64_t *b)
{
	size_t i = 6, d;
	if (n < 9 || memcmp(v, "bytes=", 6) != 0)
		return false;
	for (*a = 0, d = 0; i < n && v[i] >= '0' && v[i] <= '9'; i++, d++)
		*a = *a * 10 + (uint64_t)(v[i] - '0');
	if (d == 0 || d > 6 || i == n || v[i++] != '-')
		return false;
	for (*b = 0, d = 0; i < n && v[i] >= '0' && v[i] <= '9'; i++, d++)
		*b = *b * 10 + (uint64_t)(v[i] - '0');
	return d > 0 && d <= 6 && i == n;
}

void fuzz_range(const char *in, size_t n, bool variant)
{
	uint64_t size = n ? (unsigned char)in[0] : 0;
	if (variant && n >= 8) { /* any 64-bit size */
		memcpy(&size, in, 8);
		in += 8, n -= 8;
	} else if (n) {
		in++, n--;
	}
	char *v = dup_n(in, n);
	struct rk_http_str s = { v, (uint32_t)n };
	struct rk_http_range r = { 1, 0 };
	int c = rk_http_range_parse(s, size, &r);
	ASSERT(c == 200 || c == 206 || c == 416);
	if (c == 206)
		ASSERT(r.first <= r.last && r.last < size);
	else
		ASSERT(r.first == 1 && r.last == 0);
	/* "bytes=a-b" with plain numbers: exactly the clamped range */
	uint64_t a, b;
	if (plain_range(v, n, &a, &b)) {
		if (b < a)
			ASSERT(c == 200);
		else if (a >= size)
			ASSERT(c == 416);
		else
			ASSERT(c == 206 && r.first == a && r.last == (b < size ? b : size - 1));
	}
	static const char tag[] = "\"1-2-3\"";
	struct rk_http_str et = { tag, 7 };
	int m = rk_http_etag_match(s, et, variant);
	ASSERT(m == 0 || m == 1 || m == -22);
	struct rk_http_validators val = { et, 784111777, 1700000000, size };
	bool ir = rk_http_if_range(s, &val);
	if (ir) /* only our tag, or our date */
		ASSERT((n == 7 && !memcmp(v, tag, 7)) || n >= 24);
	free(v);
}

/* ---- HTTP-date ------------------------------------------------------------ */

void fuzz_date(const char *in, size_t n)
{
	char *p = dup_n(in, n);
	int64_t t = 42, now = 1700000000;
	int r = rk_http_date_parse(p, n, now, &t);
	ASSERT(r == 0 || r == -22);
	if (r == 0) {
		ASSERT(n == 24 || (n >= 29 && n <= 33));
		/* read back what rk_http_date writes (a leap second aside) */
		bool leap = (n == 29 && !memcmp(p + 23, "60", 2)) ||
			    (n == 24 && !memcmp(p + 17, "60", 2)) ||
			    (n > 29 && !memcmp(p + n - 6, "60", 2));
		char imf[RK_HTTP_DATE_LEN];
		rk_http_date(imf, t);
		int64_t t2 = 0;
		ASSERT(rk_http_date_parse(imf, RK_HTTP_DATE_LEN, now, &t2) == 0);
		if (!leap) {
			ASSERT(t2 == t);
			if (n == 29) /* same bytes, the weekday aside */
				ASSERT(!memcmp(imf + 3, p + 3, 26));
		}
	} else {
		ASSERT(t == 42);
	}
	free(p);
}

/* ---- §13.2.2 over parsed field lines ------------------------------------- */

void fuzz_cond(const char *in, size_t n, bool variant)
{
	static const char *const methods[] = { "GET", "HEAD", "DELETE" };
	static struct rk_http_request q;
	if (n < 1)
		return;
	const char *m = methods[(unsigned char)in[0] % 3];
	size_t ml = strlen(m);
	/* "<m> /f HTTP/1.1\r\nHost: a\r\n" + the input as field lines */
	static const char rest[] = " /f HTTP/1.1\r\nHost: a\r\n";
	size_t hl = ml + sizeof(rest) - 1, len = hl + n - 1;
	char *h = malloc(len);
	memcpy(h, m, ml);
	memcpy(h + ml, rest, sizeof(rest) - 1);
	memcpy(h + hl, in + 1, n - 1);
	int r = rk_http_parse_head(h, len, 0, NULL, &q);
	if (r > 0) {
		static const char tag[] = "\"1-2-3\"";
		struct rk_http_validators val = {
			{ tag, 7 }, 784111777, 1700000000, variant ? 0 : 1000
		};
		struct rk_http_range rg = { 1, 0 };
		int c = rk_http_cond_eval(&q, &val, &rg);
		ASSERT(c == 200 || c == 206 || c == 304 || c == 412 || c == 416);
		if (c == 304)
			ASSERT(q.method == RK_HTTP_GET || q.method == RK_HTTP_HEAD);
		if (c == 206 || c == 416)
			ASSERT(q.method == RK_HTTP_GET);
		if (c == 206)
			ASSERT(rg.first <= rg.last && rg.last < val.size);
		bool any = false;
		for (uint32_t i = 0; i < q.nheaders; i++) {
			struct rk_http_str nm = q.headers[i].name;
			any |= rk_http_str_ieq(nm, "if-match") ||
			       rk_http_str_ieq(nm, "if-none-match") ||
			       rk_http_str_ieq(nm, "if-modified-since") ||
			       rk_http_str_ieq(nm, "if-unmodified-since") ||
			       rk_http_str_ieq(nm, "range");
		}
		if (!any)
			ASSERT(c == 200);
		/* without validators nothing can be "not modified" but by "*" */
		struct rk_http_validators none = { { NULL, 0 }, RK_HTTP_NO_DATE, 0, 1000 };
		c = rk_http_cond_eval(&q, &none, &rg);
		ASSERT(c == 200 || c == 206 || c == 304 || c == 412 || c == 416);
		struct rk_http_codings w;
		rk_http_accept_encoding_req(&q, &w);
		ASSERT(w.br <= 1000 && w.gzip <= 1000 && w.identity <= 1000);
	}
	free(h);
}

/* ---- Accept-Encoding and media types ------------------------------------- */

void fuzz_coding(const char *in, size_t n)
{
	char *v = dup_n(in, n);
	struct rk_http_codings w;
	rk_http_accept_encoding((struct rk_http_str){ v, (uint32_t)n }, &w);
	ASSERT(w.br <= 1000 && w.gzip <= 1000 && w.identity <= 1000);
	for (int k = 0; k < 4; k++) {
		bool br = k & 1, gz = k & 2;
		enum rk_http_coding c = rk_http_coding_pick(&w, br, gz);
		ASSERT(c == RK_HTTP_CODING_IDENTITY || (c == RK_HTTP_CODING_GZIP && gz) ||
		       (c == RK_HTTP_CODING_BR && br));
		/* the heaviest acceptable one; on a tie br > gzip > identity */
		unsigned wt[3] = { w.identity, gz ? w.gzip : 0u, br ? w.br : 0u };
		for (int j = 0; j < 3; j++)
			if (j != (int)c && wt[j] > 0)
				ASSERT(wt[c] > wt[j] || (wt[c] == wt[j] && (int)c > j));
	}
	struct rk_http_str t = rk_http_mime_type(v, n);
	ASSERT(t.n > 0 && t.p);
	free(v);
}
