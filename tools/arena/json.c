/* tools/arena/json.c - the JSON reader (a recursive descent over RFC 8259's
 * grammar, §2-§7, into the caller's node table) and writer (§7 escapes).
 * The reader runs once, at start-up; the writer runs for every /json
 * request, so its string path copies runs of plain bytes at once.
 * Read next: tools/arena/data.c.
 */
#include "json.h"

#include "rocket/sys.h"
#include "rocket/util.h"

struct jp {
	struct arena_json *j;
	const char *s, *e; /* the next byte to read, the end */
	int err;
};

static bool jp_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void jp_skip(struct jp *p)
{
	while (p->s < p->e && jp_ws(*p->s))
		p->s++;
}

static int jp_fail(struct jp *p, int err)
{
	if (!p->err)
		p->err = err;
	return -1;
}

static int jp_node(struct jp *p, uint8_t kind)
{
	struct arena_json *j = p->j;
	if (j->n == j->cap)
		return jp_fail(p, -ENOSPC);
	struct arena_json_node *nd = &j->nodes[j->n];
	rk_memset(nd, 0, sizeof(*nd));
	nd->kind = kind;
	nd->end = j->n + 1;
	return (int)j->n++;
}

static int jp_put(struct jp *p, const void *b, uint32_t n)
{
	struct arena_json *j = p->j;
	if (n > j->str_cap - j->str_len)
		return jp_fail(p, -ENOSPC);
	rk_memcpy(j->str + j->str_len, b, n);
	j->str_len += n;
	return 0;
}

static int jp_hex4(const char *s)
{
	int v = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

static uint32_t jp_utf8(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* One well-formed UTF-8 sequence at s (RFC 3629 §4: no overlong forms, no
 * surrogates, nothing above U+10FFFF): its length, or 0. */
static uint32_t jp_utf8_len(const unsigned char *s, const unsigned char *e)
{
	unsigned char c = s[0];
	uint32_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
	if (!n || c > 0xf4 || (uint32_t)(e - s) < n)
		return 0;
	for (uint32_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f) ||
	    (c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
		return 0;
	return n;
}

/* A string at p->s (the opening quote): decoded into the string table. */
static int jp_string(struct jp *p)
{
	int k = jp_node(p, ARENA_JSON_STRING);
	if (k < 0)
		return -1;
	struct arena_json *j = p->j;
	uint32_t start = j->str_len;
	p->s++;
	for (;;) {
		const char *run = p->s;
		while (p->s < p->e && *p->s != '"' && *p->s != '\\' &&
		       (unsigned char)*p->s >= 0x20 && (unsigned char)*p->s < 0x80)
			p->s++;
		if (jp_put(p, run, (uint32_t)(p->s - run)) < 0)
			return -1;
		if (p->s == p->e || (unsigned char)*p->s < 0x20)
			return jp_fail(p, -EINVAL);
		if (*p->s == '"')
			break;
		if ((unsigned char)*p->s >= 0x80) {
			uint32_t n = jp_utf8_len((const unsigned char *)p->s,
						 (const unsigned char *)p->e);
			if (!n || jp_put(p, p->s, n) < 0)
				return jp_fail(p, -EINVAL);
			p->s += n;
			continue;
		}
		/* An escape (§7). */
		if (p->e - p->s < 2)
			return jp_fail(p, -EINVAL);
		static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
		char c = p->s[1], out[4];
		uint32_t n = 0;
		for (unsigned i = 0; i < sizeof(from) - 1 && !n; i++)
			if (c == from[i])
				out[n++] = to[i];
		if (n) {
			p->s += 2;
		} else if (c == 'u' && p->e - p->s >= 6) {
			int cp = jp_hex4(p->s + 2);
			p->s += 6;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return jp_fail(p, -EINVAL); /* a lone low surrogate */
			if (cp >= 0xd800 && cp <= 0xdbff) {
				/* A high surrogate: its low half must follow. */
				int lo = p->e - p->s >= 6 && p->s[0] == '\\' && p->s[1] == 'u'
						 ? jp_hex4(p->s + 2)
						 : -1;
				if (lo < 0xdc00 || lo > 0xdfff)
					return jp_fail(p, -EINVAL);
				p->s += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			if (cp < 0)
				return jp_fail(p, -EINVAL);
			n = jp_utf8((uint32_t)cp, out);
		} else {
			return jp_fail(p, -EINVAL);
		}
		if (jp_put(p, out, n) < 0)
			return -1;
	}
	p->s++; /* the closing quote */
	j->nodes[k].p = j->str + start;
	j->nodes[k].len = j->str_len - start;
	return k;
}

/* A number (§6): -? int frac? exp?, kept as written. */
static int jp_number(struct jp *p)
{
	const char *s = p->s, *e = p->e, *d;
	bool neg = s < e && *s == '-', is_int = true;
	if (neg)
		s++;
	d = s;
	if (s < e && *s == '0')
		s++;
	else if (s < e && *s >= '1' && *s <= '9')
		while (s < e && *s >= '0' && *s <= '9')
			s++;
	else
		return jp_fail(p, -EINVAL);
	const char *int_end = s;
	if (s < e && *s == '.') {
		is_int = false;
		if (++s == e || *s < '0' || *s > '9')
			return jp_fail(p, -EINVAL);
		while (s < e && *s >= '0' && *s <= '9')
			s++;
	}
	if (s < e && (*s == 'e' || *s == 'E')) {
		is_int = false;
		if (++s < e && (*s == '+' || *s == '-'))
			s++;
		if (s == e || *s < '0' || *s > '9')
			return jp_fail(p, -EINVAL);
		while (s < e && *s >= '0' && *s <= '9')
			s++;
	}
	int k = jp_node(p, ARENA_JSON_NUMBER);
	if (k < 0)
		return -1;
	struct arena_json_node *nd = &p->j->nodes[k];
	nd->p = p->s;
	nd->len = (uint32_t)(s - p->s);
	if (is_int) {
		/* Accumulated negative: -2^63 fits, 2^63 does not. */
		int64_t v = 0;
		for (const char *q = d; q < int_end && is_int; q++)
			is_int = !__builtin_mul_overflow(v, 10, &v) &&
				 !__builtin_sub_overflow(v, *q - '0', &v);
		if (is_int && !neg)
			is_int = !__builtin_mul_overflow(v, -1, &v);
		nd->is_int = is_int;
		nd->i = is_int ? v : 0;
	}
	p->s = s;
	return k;
}

static int jp_value(struct jp *p, unsigned depth);

/* An array or an object at p->s ('[' or '{'). */
static int jp_container(struct jp *p, unsigned depth, bool obj)
{
	if (depth >= ARENA_JSON_MAX_DEPTH)
		return jp_fail(p, -EINVAL);
	int k = jp_node(p, obj ? ARENA_JSON_OBJECT : ARENA_JSON_ARRAY);
	if (k < 0)
		return -1;
	char close = obj ? '}' : ']';
	p->s++;
	jp_skip(p);
	if (p->s < p->e && *p->s == close) {
		p->s++;
		return k;
	}
	for (;;) {
		if (obj) {
			jp_skip(p);
			if (p->s == p->e || *p->s != '"' || jp_string(p) < 0)
				return jp_fail(p, -EINVAL);
			jp_skip(p);
			if (p->s == p->e || *p->s++ != ':')
				return jp_fail(p, -EINVAL);
		}
		if (jp_value(p, depth + 1) < 0)
			return -1;
		jp_skip(p);
		if (p->s < p->e && *p->s == ',') {
			p->s++;
			continue;
		}
		if (p->s < p->e && *p->s == close)
			break;
		return jp_fail(p, -EINVAL);
	}
	p->s++;
	p->j->nodes[k].end = p->j->n;
	return k;
}

static bool jp_word(struct jp *p, const char *w)
{
	size_t n = rk_strlen(w);
	if ((size_t)(p->e - p->s) < n || rk_memcmp(p->s, w, n))
		return false;
	p->s += n;
	return true;
}

static int jp_value(struct jp *p, unsigned depth)
{
	jp_skip(p);
	if (p->s == p->e)
		return jp_fail(p, -EINVAL);
	switch (*p->s) {
	case '{':
	case '[':
		return jp_container(p, depth, *p->s == '{');
	case '"':
		return jp_string(p);
	case 't':
		return jp_word(p, "true") ? jp_node(p, ARENA_JSON_TRUE) : jp_fail(p, -EINVAL);
	case 'f':
		return jp_word(p, "false") ? jp_node(p, ARENA_JSON_FALSE) : jp_fail(p, -EINVAL);
	case 'n':
		return jp_word(p, "null") ? jp_node(p, ARENA_JSON_NULL) : jp_fail(p, -EINVAL);
	default:
		return jp_number(p);
	}
}

int arena_json_parse(struct arena_json *j, const char *src, size_t n, size_t *at)
{
	struct jp p = { .j = j, .s = src, .e = src + n };
	j->n = j->str_len = 0;
	if (jp_value(&p, 0) >= 0) {
		jp_skip(&p);
		if (p.s != p.e)
			jp_fail(&p, -EINVAL); /* something after the value */
	}
	if (at)
		*at = (size_t)(p.s - src);
	return p.err;
}

int arena_json_get(const struct arena_json *j, uint32_t obj, const char *key)
{
	size_t n = rk_strlen(key);
	if (j->nodes[obj].kind != ARENA_JSON_OBJECT)
		return -1;
	for (uint32_t k = obj + 1; k < j->nodes[obj].end; k = j->nodes[k + 1].end) {
		const struct arena_json_node *name = &j->nodes[k];
		if (name->len == n && !rk_memcmp(name->p, key, n))
			return (int)(k + 1);
	}
	return -1;
}

/* ---- the writer ----------------------------------------------------------- */

void arena_out_i64(struct arena_out *o, int64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp);
	/* Digits of the magnitude, taken from a negative value so that
	 * INT64_MIN has one too. */
	int64_t m = v < 0 ? v : -v;
	do {
		tmp[--i] = (char)('0' - m % 10);
		m /= 10;
	} while (m);
	if (v < 0)
		arena_out_raw(o, "-", 1);
	arena_out_raw(o, tmp + i, sizeof(tmp) - i);
}

/* Eight bytes at once (SWAR): a high bit in each byte of x that is below
 * 0x20, '"' or '\\'. The lowest one marks the first such byte exactly (a
 * borrow only ever flags bytes above a true match). Bytes >= 0x80 are
 * never flagged: ~x clears their bit. */
static inline uint64_t arena_escapes8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
	uint64_t ctl = (x - ones * 0x20) & ~x;
	return (ctl | ((q - ones) & ~q) | ((b - ones) & ~b)) & high;
}

/* Bytes of s[i..n) before the first one that needs an escape. */
static size_t arena_plain_run(const char *s, size_t i, size_t n)
{
	for (; i + 8 <= n; i += 8) {
		uint64_t x;
		__builtin_memcpy(&x, s + i, 8);
		uint64_t m = arena_escapes8(x);
		if (m)
			return i + (size_t)__builtin_ctzll(m) / 8;
	}
	while (i < n && (unsigned char)s[i] >= 0x20 && s[i] != '"' && s[i] != '\\')
		i++;
	return i;
}

/* The escape of byte c (one that needs one) at d; its length. */
static size_t arena_escape(char *d, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	d[0] = '\\';
	switch (c) {
	case '"':
	case '\\':
		d[1] = (char)c;
		return 2;
	case '\b':
		d[1] = 'b';
		return 2;
	case '\f':
		d[1] = 'f';
		return 2;
	case '\n':
		d[1] = 'n';
		return 2;
	case '\r':
		d[1] = 'r';
		return 2;
	case '\t':
		d[1] = 't';
		return 2;
	}
	d[1] = 'u', d[2] = '0', d[3] = '0', d[4] = hex[c >> 4], d[5] = hex[c & 15];
	return 6;
}

void arena_out_str(struct arena_out *o, const char *s, size_t n)
{
	if (o->full || (uint64_t)o->cap - o->len < 6ull * n + 10) {
		/* Near the end: every put checked. */
		arena_out_raw(o, "\"", 1);
		for (size_t i = 0, run; i < n;) {
			run = i;
			i = arena_plain_run(s, i, n);
			arena_out_raw(o, s + run, i - run);
			if (i == n)
				break;
			if (o->full || o->cap - o->len < 6) {
				o->full = true;
				return;
			}
			o->len += (uint32_t)arena_escape(o->p + o->len, (unsigned char)s[i++]);
		}
		arena_out_raw(o, "\"", 1);
		return;
	}
	/* Room for the worst case (every byte a 6-byte escape) and a word of
	 * slack: copy a word, then look at it. */
	char *d = o->p + o->len;
	size_t i = 0;
	*d++ = '"';
	while (i < n) {
		for (; i + 8 <= n; i += 8, d += 8) {
			uint64_t x;
			__builtin_memcpy(&x, s + i, 8);
			__builtin_memcpy(d, &x, 8);
			uint64_t m = arena_escapes8(x);
			if (m) {
				size_t k = (size_t)__builtin_ctzll(m) / 8;
				i += k;
				d += k;
				break;
			}
		}
		while (i < n && (unsigned char)s[i] >= 0x20 && s[i] != '"' && s[i] != '\\')
			*d++ = s[i++];
		if (i < n)
			d += arena_escape(d, (unsigned char)s[i++]);
	}
	*d++ = '"';
	o->len = (uint32_t)(d - o->p);
}

void arena_json_write(struct arena_out *o, const struct arena_json *j, uint32_t k)
{
	const struct arena_json_node *nd = &j->nodes[k];
	switch (nd->kind) {
	case ARENA_JSON_NULL:
		arena_out_raw(o, "null", 4);
		return;
	case ARENA_JSON_FALSE:
		arena_out_raw(o, "false", 5);
		return;
	case ARENA_JSON_TRUE:
		arena_out_raw(o, "true", 4);
		return;
	case ARENA_JSON_NUMBER:
		arena_out_raw(o, nd->p, nd->len);
		return;
	case ARENA_JSON_STRING:
		arena_out_str(o, nd->p, nd->len);
		return;
	}
	bool obj = nd->kind == ARENA_JSON_OBJECT;
	arena_out_raw(o, obj ? "{" : "[", 1);
	for (uint32_t m = k + 1; m < nd->end; m = j->nodes[m].end) {
		if (m != k + 1)
			arena_out_raw(o, ",", 1);
		if (obj) {
			arena_out_str(o, j->nodes[m].p, j->nodes[m].len);
			arena_out_raw(o, ":", 1);
			m++;
		}
		arena_json_write(o, j, m);
	}
	arena_out_raw(o, obj ? "}" : "]", 1);
}
