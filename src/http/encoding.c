/* src/http/encoding.c - Accept-Encoding (RFC 9110 §12.5.3, weights §12.4.2)
 * read into the weights of the three codings a static file can be sent in:
 * a precompressed br or gzip sibling, or the file itself (identity).
 * Read next: include/rocket/server.h.
 */
#include <rocket/http_cond.h>
#include <rocket/util.h>

/* Weights as named in the field; -1 = not named. */
struct acc {
	int br, gzip, identity, star;
};

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in
 * thousandths; -1 when it is none. Integers, so no float in the server. */
static int qvalue(const char *p, size_t n)
{
	int v, scale = 100;
	if (n == 0 || n > 5 || (p[0] != '0' && p[0] != '1'))
		return -1;
	v = (p[0] - '0') * 1000;
	if (n == 1)
		return v;
	if (p[1] != '.')
		return -1;
	for (size_t i = 2; i < n; i++, scale /= 10) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v += (p[i] - '0') * scale;
	}
	return v > 1000 ? -1 : v;
}

/* One list member, OWS trimmed: codings [ OWS ";" OWS "q=" qvalue ]. */
static void member(struct acc *a, const char *p, size_t n)
{
	size_t i = 0, j;
	int q = 1000, *slot;

	while (i < n && rk_http_is_tchar((unsigned char)p[i]))
		i++;
	if (i == 0)
		return;
	struct rk_http_str c = { p, (uint32_t)i };
	for (j = i; j < n && is_ows(p[j]); j++)
		;
	if (j < n) {
		if (p[j++] != ';')
			return;
		while (j < n && is_ows(p[j]))
			j++;
		/* the "q" is case-insensitive (§12.4.2); nothing else may follow */
		if (n - j < 2 || (p[j] | 32) != 'q' || p[j + 1] != '=')
			return;
		if ((q = qvalue(p + j + 2, n - j - 2)) < 0)
			return;
	}
	if (rk_http_str_ieq(c, "br"))
		slot = &a->br;
	else if (rk_http_str_ieq(c, "gzip") || rk_http_str_ieq(c, "x-gzip"))
		slot = &a->gzip; /* x-gzip: §8.4.1.3 */
	else if (rk_http_str_ieq(c, "identity"))
		slot = &a->identity;
	else if (c.n == 1 && c.p[0] == '*')
		slot = &a->star;
	else
		return;
	if (*slot < 0)
		*slot = q; /* a coding named twice keeps its first weight */
}

static void add(struct acc *a, struct rk_http_str v)
{
	size_t i = 0;
	while (i < v.n) {
		size_t s = i, e;
		while (i < v.n && v.p[i] != ',')
			i++;
		e = i++;
		while (s < e && is_ows(v.p[s]))
			s++;
		while (e > s && is_ows(v.p[e - 1]))
			e--;
		member(a, v.p + s, e - s);
	}
}

static void resolve(const struct acc *a, struct rk_http_codings *out)
{
	/* "*" weighs whatever is not named; identity, unless excluded by name
	 * or by "*;q=0", stays acceptable as a last resort (§12.5.3). */
	out->br = (uint16_t)(a->br >= 0 ? a->br : a->star >= 0 ? a->star : 0);
	out->gzip = (uint16_t)(a->gzip >= 0 ? a->gzip : a->star >= 0 ? a->star : 0);
	out->identity = (uint16_t)(a->identity >= 0 ? a->identity : a->star >= 0 ? a->star : 1);
}

void rk_http_accept_encoding(struct rk_http_str value, struct rk_http_codings *out)
{
	struct acc a = { -1, -1, -1, -1 };
	add(&a, value);
	resolve(&a, out);
}

void rk_http_accept_encoding_req(const struct rk_http_request *req, struct rk_http_codings *out)
{
	struct acc a = { -1, -1, -1, -1 };
	/* Several lines are one list (RFC 9110 §5.3). */
	for (uint32_t i = 0; i < req->nheaders; i++)
		if (rk_http_str_ieq(req->headers[i].name, "accept-encoding"))
			add(&a, req->headers[i].value);
	resolve(&a, out);
}

enum rk_http_coding rk_http_coding_pick(const struct rk_http_codings *q, bool have_br,
					bool have_gzip)
{
	enum rk_http_coding best = RK_HTTP_CODING_IDENTITY;
	unsigned w = q->identity;
	/* at equal weights the smaller file wins: br, then gzip */
	if (have_gzip && q->gzip > 0 && q->gzip >= w) {
		best = RK_HTTP_CODING_GZIP;
		w = q->gzip;
	}
	if (have_br && q->br > 0 && q->br >= w)
		best = RK_HTTP_CODING_BR;
	return best;
}
