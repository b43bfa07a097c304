/* src/http/range.c - the Range request field, RFC 9110 §14.1.2 (byte
 * ranges) and §14.2 (when a server applies it). One range is served as a
 * 206; a list of ranges, an unknown unit or a value that does not parse
 * falls back to the whole representation, as §14.2 allows.
 * Read next: src/http/encoding.c.
 */
#include <rocket/http_cond.h>
#include <rocket/util.h>

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* 1*DIGIT at p[*i..e), saturating at UINT64_MAX (a last-pos past any size
 * is clamped anyway, a first-pos that large is unsatisfiable). false when
 * there is no digit. */
static bool pos(const char *p, size_t *i, size_t e, uint64_t *v)
{
	size_t a = *i;
	*v = 0;
	for (; *i < e && p[*i] >= '0' && p[*i] <= '9'; (*i)++) {
		unsigned d = (unsigned)(p[*i] - '0');
		*v = *v > (UINT64_MAX - d) / 10 ? UINT64_MAX : *v * 10 + d;
	}
	return *i > a;
}

int rk_http_range_parse(struct rk_http_str value, uint64_t size, struct rk_http_range *out)
{
	const char *p = value.p;
	size_t n = value.n, i = 0, count = 0;
	uint64_t first = 0, last = 0;
	bool suffix = false;

	/* ranges-specifier = range-unit "=" range-set; units are
	 * case-insensitive (§14.1). Any other unit: not ours, serve it all. */
	while (i < n && p[i] != '=')
		i++;
	if (i == n || !rk_http_str_ieq((struct rk_http_str){ p, (uint32_t)i }, "bytes"))
		return 200;
	i++;
	/* range-set = 1#range-spec, each "a-b", "a-" or "-n". */
	for (;;) {
		while (i < n && (is_ows(p[i]) || p[i] == ','))
			i++;
		if (i == n)
			break;
		size_t e = i;
		while (e < n && p[e] != ',')
			e++;
		while (e > i && is_ows(p[e - 1]))
			e--;
		uint64_t a = 0, b = UINT64_MAX;
		bool sfx = p[i] == '-';
		if (sfx) {
			i++;
			if (!pos(p, &i, e, &b))
				return 200; /* "-" */
		} else {
			if (!pos(p, &i, e, &a) || i == e || p[i] != '-')
				return 200;
			i++;
			if (i < e && !pos(p, &i, e, &b))
				return 200;
			if (b < a)
				return 200; /* §14.1.1: invalid, so the field is ignored */
		}
		if (i != e)
			return 200; /* junk after a spec, or "0 -1" */
		if (++count == 1) {
			first = a, last = b, suffix = sfx;
		}
		i = e;
		while (i < n && p[i] != ',')
			i++; /* only OWS is left before the comma */
	}
	if (count != 1)
		return 200; /* none (invalid: 1#) or a list (served whole) */
	if (suffix) {
		if (last == 0)
			return 416; /* "-0" can never be satisfied (§14.1.1) */
		if (size == 0)
			return 200; /* satisfiable, yet no byte to send: the empty file */
		out->first = last >= size ? 0 : size - last;
		out->last = size - 1;
		return 206;
	}
	if (first >= size)
		return 416;
	out->first = first;
	out->last = last >= size ? size - 1 : last;
	return 206;
}
