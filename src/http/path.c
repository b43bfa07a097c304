/* src/http/path.c - request target -> path: the split of RFC 3986 §3 for the
 * two forms a server routes (RFC 9112 §3.2.1 origin-form, §3.2.2
 * absolute-form), percent-decoding (RFC 3986 §2.1) and remove_dot_segments
 * (§5.2.4), done segment by segment in one pass over the input.
 * Read next: include/rocket/http_mime.h.
 */
#include <rocket/http_path.h>
#include <rocket/util.h>

#define E400 (-400)

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 32;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The byte of the escape at p[0..n) ("%XY"), or -1 when it is not one. */
static int pct_byte(const char *p, size_t n)
{
	int h, l;
	if (n < 3 || (h = hexval((unsigned char)p[1])) < 0 || (l = hexval((unsigned char)p[2])) < 0)
		return -1;
	return h << 4 | l;
}

static bool is_alpha(char c)
{
	return (c | 32) >= 'a' && (c | 32) <= 'z';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* reg-name and IP-literal characters (RFC 3986 §3.2.2): unreserved,
 * sub-delims, pct-encoded, and ':' inside brackets. No '@': userinfo in an
 * http URI is an error (RFC 9110 §4.2.4). */
static bool host_char(char c)
{
	return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~' ||
	       c == '!' || c == '$' || c == '&' || c == '\'' || c == '(' || c == ')' || c == '*' ||
	       c == '+' || c == ',' || c == ';' || c == '=' || c == '%';
}

/* authority = host [":" port] with a non-empty host (RFC 9110 §4.2.1:
 * "http" URIs with an empty host MUST be rejected). */
static bool valid_authority(const char *a, size_t n)
{
	size_t i = 0;
	if (n > 0 && a[0] == '[') {
		for (i = 1; i < n && a[i] != ']'; i++)
			if (!(host_char(a[i]) || a[i] == ':'))
				return false;
		if (i == n || i == 1)
			return false;
		i++;
	} else {
		while (i < n && host_char(a[i]))
			i++;
		if (i == 0)
			return false;
	}
	if (i == n)
		return true;
	if (a[i] != ':')
		return false;
	for (i++; i < n; i++) /* port = *DIGIT (may be empty, §3.2.3) */
		if (!is_digit(a[i]))
			return false;
	return true;
}

int rk_http_target_split(const char *t, size_t n, struct rk_http_target *out)
{
	size_t i = 0, p;

	rk_memset(out, 0, sizeof(*out));
	/* The parser only hands over visible ASCII; check again so this is
	 * safe on its own (the fuzzer feeds it anything). */
	for (size_t k = 0; k < n; k++)
		if ((unsigned char)t[k] < 0x21 || (unsigned char)t[k] > 0x7e || t[k] == '#')
			return E400;
	if (n == 0)
		return E400;
	if (t[0] != '/') {
		/* absolute-form: http-URI = "http" "://" authority path-abempty
		 * ["?" query] (RFC 9110 §4.2.1). Other schemes are not ours to
		 * serve; "http:/a" has no authority and is no http-URI. */
		while (i < n && t[i] != ':')
			i++;
		struct rk_http_str s = { t, (uint32_t)i };
		if (i == n || !(rk_http_str_ieq(s, "http") || rk_http_str_ieq(s, "https")))
			return E400;
		if (n - i < 3 || t[i + 1] != '/' || t[i + 2] != '/')
			return E400;
		size_t a = i + 3, e = a;
		while (e < n && t[e] != '/' && t[e] != '?')
			e++;
		if (!valid_authority(t + a, e - a))
			return E400;
		out->scheme = s;
		out->authority = (struct rk_http_str){ t + a, (uint32_t)(e - a) };
		i = e;
	}
	for (p = i; p < n && t[p] != '?'; p++)
		if (t[p] == '\\')
			return E400; /* a separator to some file systems and proxies */
	if (p == i)                  /* "http://h?q": the path is "/" (RFC 3986 §6.2.3) */
		out->raw_path = (struct rk_http_str){ "/", 1 };
	else
		out->raw_path = (struct rk_http_str){ t + i, (uint32_t)(p - i) };
	if (p < n)
		out->query = (struct rk_http_str){ t + p + 1, (uint32_t)(n - p - 1) };
	return 0;
}

int rk_http_path_normalize(const char *in, size_t n, char *out, size_t cap)
{
	size_t i = 0, o = 0;

	if (n == 0 || in[0] != '/')
		return E400;
	if (n > cap || n > (1u << 30))
		return -414;
	/* out always ends with '/' between segments: each segment is decoded
	 * after it, then kept (followed by its '/'), or dropped. */
	out[o++] = '/';
	while (i < n) {
		size_t seg = o;
		i++; /* the '/' before this segment */
		while (i < n && in[i] != '/') {
			int c = (unsigned char)in[i];
			if (c == '%') {
				if ((c = pct_byte(in + i, n - i)) < 0)
					return E400;
				if (c == '/')
					return E400;
				i += 3;
			} else {
				i++;
			}
			if (c == '\\' || c < 0x20 || c == 0x7f)
				return E400;
			out[o++] = (char)c;
		}
		size_t len = o - seg;
		if (len == 0)
			continue; /* "//": an empty segment names nothing */
		if (len == 1 && out[seg] == '.') {
			o = seg;
			continue;
		}
		if (len == 2 && out[seg] == '.' && out[seg + 1] == '.') {
			o = seg;
			if (o > 1) { /* drop the previous segment, never the root */
				o--;
				while (out[o - 1] != '/')
					o--;
			}
			continue;
		}
		if (i < n)
			out[o++] = '/';
	}
	return (int)o;
}

int rk_http_target_parse(const char *t, size_t n, char *buf, size_t cap, struct rk_http_target *out)
{
	int r = rk_http_target_split(t, n, out);
	if (r < 0)
		return r;
	r = rk_http_path_normalize(out->raw_path.p, out->raw_path.n, buf, cap);
	if (r < 0)
		return r;
	out->path = (struct rk_http_str){ buf, (uint32_t)r };
	out->trailing_slash = buf[r - 1] == '/';
	return 0;
}

int rk_http_pct_decode(const char *in, size_t n, char *out, size_t cap, unsigned flags)
{
	size_t i = 0, o = 0;

	if (n > (1u << 30))
		return RK_HTTP_ENOSPC;
	while (i < n) {
		int c = (unsigned char)in[i];
		if (c == '%') {
			if ((c = pct_byte(in + i, n - i)) <= 0)
				return E400; /* bad escape, or %00 */
			i += 3;
		} else {
			if (c == '+' && (flags & RK_HTTP_PCT_PLUS))
				c = ' ';
			i++;
		}
		if (o == cap)
			return RK_HTTP_ENOSPC;
		out[o++] = (char)c; /* o < i: decoding in place is safe */
	}
	return (int)o;
}

/* Does the form-encoded key k[0..n) decode to name? */
static bool key_is(const char *k, size_t n, const char *name)
{
	size_t i = 0, j = 0;
	while (i < n) {
		int c = (unsigned char)k[i];
		if (c == '%') {
			if ((c = pct_byte(k + i, n - i)) < 0)
				return false;
			i += 3;
		} else {
			c = c == '+' ? ' ' : c;
			i++;
		}
		if (!name[j] || (unsigned char)name[j] != c)
			return false;
		j++;
	}
	return name[j] == 0;
}

bool rk_http_query_get(struct rk_http_str q, const char *name, struct rk_http_str *value)
{
	size_t i = 0;
	while (i <= q.n && q.p) {
		size_t a = i, eq, e;
		while (i < q.n && q.p[i] != '&')
			i++;
		e = i++;
		for (eq = a; eq < e && q.p[eq] != '='; eq++)
			;
		if (eq > a && key_is(q.p + a, eq - a, name)) {
			size_t v = eq < e ? eq + 1 : e;
			*value = (struct rk_http_str){ q.p + v, (uint32_t)(e - v) };
			return true;
		}
	}
	return false;
}
