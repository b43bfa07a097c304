/* src/http/cond.c - validators and conditional requests: the entity-tag of
 * a file (RFC 9110 §8.8.3) and the two ways of comparing it (§8.8.3.2),
 * Last-Modified (§8.8.2), If-Range (§13.1.5), and the order in which the
 * preconditions of §13.1 are evaluated (§13.2.2).
 * Read next: src/http/range.c.
 */
#include <rocket/abi/linux.h>
#include <rocket/http_cond.h>
#include <rocket/util.h>

static size_t put_hex(char *o, uint64_t v)
{
	char t[16];
	size_t n = 0;
	do {
		t[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	for (size_t i = 0; i < n; i++)
		o[i] = t[n - 1 - i];
	return n;
}

int rk_http_etag(char *out, size_t cap, uint64_t size, int64_t mtime_ns, uint64_t ino)
{
	char b[RK_HTTP_ETAG_MAX];
	size_t n = 0;

	/* Nanoseconds, not seconds: two writes within one second must not
	 * keep the tag a client may cache the first version under. */
	b[n++] = '"';
	n += put_hex(b + n, size);
	b[n++] = '-';
	n += put_hex(b + n, (uint64_t)mtime_ns);
	b[n++] = '-';
	n += put_hex(b + n, ino);
	b[n++] = '"';
	if (n > cap)
		return RK_HTTP_ENOSPC;
	rk_memcpy(out, b, n);
	return (int)n;
}

int64_t rk_http_last_modified(int64_t mtime_s, int64_t now_s)
{
	return mtime_s > now_s ? now_s : mtime_s;
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* etagc = %x21 / %x23-7E / obs-text (§8.8.3) */
static bool is_etagc(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x7e) || c >= 0x80;
}

int rk_http_etag_match(struct rk_http_str list, struct rk_http_str etag, bool strong)
{
	const char *p = list.p;
	size_t n = list.n, i = 0;
	int match = 0;

	while (n > 0 && is_ows(p[n - 1]))
		n--;
	while (i < n && is_ows(p[i]))
		i++;
	/* "*" stands alone: If-Match = "*" / #entity-tag (§13.1.1) */
	if (n - i == 1 && p[i] == '*')
		return 1;
	/* The whole list is checked even after a match, so a value is either
	 * valid or ignored, never half-read. */
	for (;;) {
		while (i < n && (is_ows(p[i]) || p[i] == ','))
			i++; /* empty list members are allowed (§5.6.1) */
		if (i == n)
			return match;
		bool weak = i + 1 < n && p[i] == 'W' && p[i + 1] == '/';
		size_t a = i += weak ? 2 : 0;
		if (i == n || p[i] != '"')
			return -EINVAL;
		for (i++; i < n && p[i] != '"'; i++)
			if (!is_etagc((unsigned char)p[i]))
				return -EINVAL;
		if (i == n)
			return -EINVAL;
		i++;
		/* Strong comparison: neither weak, same bytes. Weak: same opaque
		 * tags, W/ aside. Ours is always strong. */
		if (etag.n && i - a == etag.n && rk_memcmp(p + a, etag.p, etag.n) == 0 &&
		    !(strong && weak))
			match = 1;
		while (i < n && is_ows(p[i]))
			i++;
		if (i < n && p[i] != ',')
			return -EINVAL;
	}
}

bool rk_http_if_range(struct rk_http_str value, const struct rk_http_validators *v)
{
	int64_t t;
	/* "A valid entity-tag can be distinguished from a valid HTTP-date by
	 * examining the first three characters for a DQUOTE" (§13.1.5). */
	for (uint32_t k = 0; k < value.n && k < 3; k++)
		if (value.p[k] == '"')
			return value.p[0] == '"' && v->etag.n && value.n == v->etag.n &&
			       rk_memcmp(value.p, v->etag.p, value.n) == 0;
	/* A date must be exactly Last-Modified: an earlier one would let a
	 * range of a newer file be spliced onto an older copy. */
	if (v->last_modified == RK_HTTP_NO_DATE ||
	    rk_http_date_parse(value.p, value.n, v->now, &t) < 0)
		return false;
	return t == v->last_modified;
}

/* An If-Match / If-None-Match spread over any number of field lines. */
struct list_cond {
	bool present, invalid, match;
};

static void list_add(struct list_cond *c, struct rk_http_str value, struct rk_http_str etag,
		     bool strong)
{
	int r = rk_http_etag_match(value, etag, strong);
	c->present = true;
	if (r < 0)
		c->invalid = true;
	else if (r > 0)
		c->match = true;
}

/* A field that is one value: the value, and how many lines carried it. */
struct one {
	struct rk_http_str v;
	uint32_t count;
};

static void one_add(struct one *o, struct rk_http_str value)
{
	o->v = value;
	o->count++;
}

/* The date of a singleton date field, usable only once and well-formed
 * (§13.1.3, §13.1.4: otherwise the field MUST be ignored). */
static bool one_date(const struct one *o, const struct rk_http_validators *v, int64_t *t)
{
	return o->count == 1 && v->last_modified != RK_HTTP_NO_DATE &&
	       rk_http_date_parse(o->v.p, o->v.n, v->now, t) == 0;
}

int rk_http_cond_eval(const struct rk_http_request *req, const struct rk_http_validators *v,
		      struct rk_http_range *range)
{
	struct list_cond im = { 0 }, inm = { 0 };
	struct one ims = { 0 }, ius = { 0 }, rg = { 0 }, ifr = { 0 };
	bool safe = req->method == RK_HTTP_GET || req->method == RK_HTTP_HEAD;
	int64_t t;

	for (uint32_t i = 0; i < req->nheaders; i++) {
		struct rk_http_str name = req->headers[i].name, value = req->headers[i].value;
		if (rk_http_str_ieq(name, "if-match"))
			list_add(&im, value, v->etag, true);
		else if (rk_http_str_ieq(name, "if-none-match"))
			list_add(&inm, value, v->etag, false);
		else if (rk_http_str_ieq(name, "if-modified-since"))
			one_add(&ims, value);
		else if (rk_http_str_ieq(name, "if-unmodified-since"))
			one_add(&ius, value);
		else if (rk_http_str_ieq(name, "range"))
			one_add(&rg, value);
		else if (rk_http_str_ieq(name, "if-range"))
			one_add(&ifr, value);
	}
	/* Steps 1-2: the client's copy must still be the current one. An
	 * If-Match overrides If-Unmodified-Since (§13.1.4). */
	if (im.present && !im.invalid) {
		if (!im.match)
			return 412;
	} else if (one_date(&ius, v, &t)) {
		if (v->last_modified > t)
			return 412;
	}
	/* Steps 3-4: the client's cached copy is still good. If-None-Match
	 * overrides If-Modified-Since, which only GET and HEAD use. */
	if (inm.present && !inm.invalid) {
		if (inm.match)
			return safe ? 304 : 412;
	} else if (safe && one_date(&ims, v, &t)) {
		if (v->last_modified <= t)
			return 304;
	}
	/* Step 5: GET is the only method with ranges (§14.2); an If-Range
	 * without a Range means nothing (§13.1.5); one that fails, or comes
	 * twice, means the whole file. */
	if (req->method == RK_HTTP_GET && rg.count == 1) {
		if (ifr.count > 1 || (ifr.count == 1 && !rk_http_if_range(ifr.v, v)))
			return 200;
		return rk_http_range_parse(rg.v, v->size, range);
	}
	return 200;
}
