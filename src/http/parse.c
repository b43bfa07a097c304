/* src/http/parse.c - the request head parser: request-line (RFC 9112 §3),
 * field lines (§5), message body length (§6.1-§6.3), Host (RFC 9110 §7.2),
 * Connection (§9.3), Expect (RFC 9110 §10.1.1). Zero-copy, like
 * picohttpparser: every result is a view into the caller's buffer.
 * Read next: src/http/chunked.c.
 */
#include <rocket/http.h>
#include <rocket/util.h>

#define E400 (-400)

/* Character classes as one table: the parser asks per byte, so a load
 * beats a chain of comparisons. */
enum { C_TCHAR = 1, C_HOST = 2 };

#define C_ALNUM (C_TCHAR | C_HOST)
static const uint8_t rk_http_class[256] = {
	['0' ... '9'] = C_ALNUM,
	['a' ... 'z'] = C_ALNUM,
	['A' ... 'Z'] = C_ALNUM,
	/* tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
	 *         "^" / "_" / "`" / "|" / "~" (RFC 9110 §5.6.2); host
	 * characters: unreserved, sub-delims, ":" and the IP-literal brackets
	 * (RFC 3986 §3.2.2). */
	['!'] = C_TCHAR | C_HOST,
	['#'] = C_TCHAR,
	['$'] = C_TCHAR | C_HOST,
	['%'] = C_TCHAR | C_HOST,
	['&'] = C_TCHAR | C_HOST,
	['\''] = C_TCHAR | C_HOST,
	['*'] = C_TCHAR | C_HOST,
	['+'] = C_TCHAR | C_HOST,
	['-'] = C_TCHAR | C_HOST,
	['.'] = C_TCHAR | C_HOST,
	['^'] = C_TCHAR,
	['_'] = C_TCHAR | C_HOST,
	['`'] = C_TCHAR,
	['|'] = C_TCHAR,
	['~'] = C_TCHAR | C_HOST,
	['('] = C_HOST,
	[')'] = C_HOST,
	[','] = C_HOST,
	[';'] = C_HOST,
	['='] = C_HOST,
	[':'] = C_HOST,
	['['] = C_HOST,
	[']'] = C_HOST,
};

static inline bool is_tchar(unsigned char c)
{
	return rk_http_class[c] & C_TCHAR;
}

bool rk_http_is_tchar(unsigned char c)
{
	return is_tchar(c);
}

/* Eight bytes at a time (SWAR, "Bit Twiddling Hacks": haszero/hasless):
 * the loops below skip whole words of ordinary bytes and fall back to one
 * byte at a time only around a word that may hold a special one. */
#define SWAR_ONES 0x0101010101010101ull
#define SWAR_HIGH 0x8080808080808080ull

static inline uint64_t swar_load(const char *p)
{
	uint64_t w;
	rk_memcpy(&w, p, 8);
	return w;
}

/* Nonzero when some byte of w is below n (n <= 128). */
static inline uint64_t swar_less(uint64_t w, unsigned n)
{
	return (w - SWAR_ONES * n) & ~w & SWAR_HIGH;
}

/* Nonzero when some byte of w equals c. */
static inline uint64_t swar_eq(uint64_t w, unsigned c)
{
	return swar_less(w ^ (SWAR_ONES * c), 1);
}

static unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

bool rk_http_str_ieq(struct rk_http_str s, const char *lit)
{
	uint32_t i = 0;
	for (; i < s.n; i++)
		if (!lit[i] || lower((unsigned char)s.p[i]) != (unsigned char)lit[i])
			return false;
	return lit[i] == 0;
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* uri-host [":" port] characters (RFC 3986 reg-name, IP-literal, port).
 * Excludes "/?#@" and whitespace, so a Host can never carry userinfo or a
 * path that a later router might misread. */
static bool valid_host(const char *p, size_t n)
{
	/* Every byte's class at once, without a branch per byte: a Host is
	 * short, and almost always valid. */
	unsigned all = C_HOST;
	for (size_t i = 0; i < n; i++)
		all &= rk_http_class[(unsigned char)p[i]];
	return all;
}

enum rk_http_method rk_http_method_from(const char *p, size_t n)
{
	/* Methods are case-sensitive (RFC 9110 §9.1): "get" is not GET. The
	 * length picks at most two names, each compared at a fixed size (in
	 * place, no call). */
	switch (n) {
	case 3:
		if (!rk_memcmp(p, "GET", 3))
			return RK_HTTP_GET;
		if (!rk_memcmp(p, "PUT", 3))
			return RK_HTTP_PUT;
		break;
	case 4:
		if (!rk_memcmp(p, "HEAD", 4))
			return RK_HTTP_HEAD;
		if (!rk_memcmp(p, "POST", 4))
			return RK_HTTP_POST;
		break;
	case 5:
		if (!rk_memcmp(p, "PATCH", 5))
			return RK_HTTP_PATCH;
		if (!rk_memcmp(p, "TRACE", 5))
			return RK_HTTP_TRACE;
		break;
	case 6:
		if (!rk_memcmp(p, "DELETE", 6))
			return RK_HTTP_DELETE;
		break;
	case 7:
		if (!rk_memcmp(p, "OPTIONS", 7))
			return RK_HTTP_OPTIONS;
		if (!rk_memcmp(p, "CONNECT", 7))
			return RK_HTTP_CONNECT;
		break;
	}
	return RK_HTTP_OTHER;
}

/* ---- finding the end of the head ---------------------------------------
 * The scan runs over the new bytes only (prev_len - 3 onwards, to catch a
 * CRLFCRLF split across calls). Every error it reports is tied to one byte
 * position and checked in byte order, so a split delivery reports exactly
 * what a whole delivery reports. */

struct lims {
	size_t rl, head, nhdr, field;
	uint64_t body;
};

/* *lf1 is set to the first LF this call scanned (else left 0): if it ends
 * the request line, the caller decides that line before any error found
 * after it. */
static int scan_head(const char *buf, size_t len, size_t prev_len, size_t skip,
		     const struct lims *l, size_t *end, size_t *lf1)
{
	size_t start = prev_len > 3 ? prev_len - 3 : 0;
	/* Position of the first byte that proves the request line too long:
	 * a line of rl bytes has its LF at skip + rl + 1. */
	size_t rl_pos = skip + l->rl + 1;

	if (start < skip)
		start = skip;
	for (size_t i = start; i < len; i++) {
		/* Run over ordinary bytes up to the next CR or LF, or to the
		 * next position where a limit is decided. */
		size_t stop = RK_MIN(len, skip + l->head);
		if (rl_pos >= i)
			stop = RK_MIN(stop, rl_pos);
		/* CR and LF are the only bytes below 0x0e that matter here; a
		 * TAB merely drops us to the byte loop. */
		while (i + 8 <= stop && !swar_less(swar_load(buf + i), 0x0e))
			i += 8;
		while (i < stop && buf[i] != '\r' && buf[i] != '\n')
			i++;
		if (i == len)
			break;
		if (i == rl_pos) {
			size_t j = skip;
			while (j <= i && buf[j] != '\n')
				j++;
			if (j > i)
				return -414;
		}
		if (i - skip >= l->head)
			return -431;
		if (buf[i] == '\n') {
			/* §2.2 lets a recipient accept a bare LF; we refuse it so
			 * no proxy in front can disagree with us on line ends. */
			if (i == 0 || buf[i - 1] != '\r')
				return E400;
			if (!*lf1)
				*lf1 = i;
			if (i >= skip + 3 && buf[i - 2] == '\n' && buf[i - 3] == '\r') {
				*end = i + 1;
				return 1;
			}
		} else if (buf[i] == '\r' && i + 1 < len && buf[i + 1] != '\n') {
			return E400; /* bare CR (§2.2: MUST reject or replace) */
		}
	}
	return 0;
}

/* ---- request line (§3) --------------------------------------------------- */

static int parse_target(struct rk_http_request *req)
{
	const char *t = req->target.p;
	size_t n = req->target.n;

	if (n == 1 && t[0] == '*') {
		req->form = RK_HTTP_ASTERISK_FORM;
		return req->method == RK_HTTP_OPTIONS ? 0 : E400; /* §3.2.4 */
	}
	if (req->method == RK_HTTP_CONNECT) {
		/* authority-form = uri-host ":" port, and only for CONNECT (§3.2.3) */
		size_t c = n;
		while (c > 0 && t[c - 1] != ':')
			c--;
		if (c < 2 || c == n || n - c > 5)
			return E400;
		for (size_t i = c; i < n; i++)
			if (t[i] < '0' || t[i] > '9')
				return E400;
		if (!valid_host(t, c - 1))
			return E400;
		req->form = RK_HTTP_AUTHORITY_FORM;
		req->host = (struct rk_http_str){ t, (uint32_t)n };
		return 0;
	}
	if (t[0] == '/') {
		req->form = RK_HTTP_ORIGIN_FORM;
		return 0;
	}
	/* absolute-form: scheme ":" hier-part (RFC 3986 §3.1). A server MUST
	 * accept it (§3.2.2), and then the target's authority wins over Host. */
	size_t i = 0;
	if (!((t[0] | 32) >= 'a' && (t[0] | 32) <= 'z'))
		return E400;
	while (i < n && t[i] != ':') {
		char c = t[i];
		if (!(((c | 32) >= 'a' && (c | 32) <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
		      c == '-' || c == '.'))
			return E400;
		i++;
	}
	if (i == n)
		return E400;
	req->form = RK_HTTP_ABSOLUTE_FORM;
	if (n - i >= 3 && t[i + 1] == '/' && t[i + 2] == '/') {
		size_t a = i + 3, e = a;
		while (e < n && t[e] != '/' && t[e] != '?' && t[e] != '#')
			e++;
		/* userinfo ("@") is refused by valid_host: RFC 9110 §4.2.4 */
		if (!valid_host(t + a, e - a))
			return E400;
		req->host = (struct rk_http_str){ t + a, (uint32_t)(e - a) };
	}
	return 0;
}

/* h[0..eol) is the request line (eol indexes its CR). */
static int parse_request_line(const char *h, size_t eol, const struct lims *l,
			      struct rk_http_request *req)
{
	size_t p = 0, t;

	if (eol > l->rl)
		return -414;
	while (p < eol && is_tchar((unsigned char)h[p]))
		p++;
	/* exactly one SP between the parts (§3: no lenient whitespace) */
	if (p == 0 || p == eol || h[p] != ' ')
		return E400;
	req->method_str = (struct rk_http_str){ h, (uint32_t)p };
	t = ++p;
	/* The target: visible ASCII up to the next SP. */
	for (; p + 8 <= eol; p += 8) {
		uint64_t w = swar_load(h + p);
		uint64_t m = swar_less(w, 0x21) | swar_eq(w, 0x7f) | (w & SWAR_HIGH);
		if (m) {
			p += (size_t)__builtin_ctzll(m) / 8;
			break;
		}
	}
	while (p < eol && (unsigned char)h[p] > 0x20 && (unsigned char)h[p] < 0x7f)
		p++;
	if (p == t || p == eol || h[p] != ' ')
		return E400;
	req->target = (struct rk_http_str){ h + t, (uint32_t)(p - t) };
	p++;
	/* HTTP-version = "HTTP" "/" DIGIT "." DIGIT, case-sensitive (§2.3) */
	if (eol - p != 8 || rk_memcmp(h + p, "HTTP/", 5) != 0 || h[p + 6] != '.' ||
	    h[p + 5] < '0' || h[p + 5] > '9' || h[p + 7] < '0' || h[p + 7] > '9')
		return E400;
	/* RFC 9110 §2.5: a 1.x with x > 1 is answered as the highest 1.x we
	 * speak, 1.1; another major version (0.9, 2.0) is not ours: 505. */
	if (h[p + 5] != '1')
		return -505;
	req->minor = h[p + 7] > '1' ? 1 : (uint8_t)(h[p + 7] - '0');
	req->method = rk_http_method_from(h, req->method_str.n);
	if (req->method == RK_HTTP_OTHER)
		return -501; /* RFC 9110 §9.1: unrecognized method */
	return parse_target(req);
}

/* ---- field values that matter for framing -------------------------------- */

/* Content-Length = 1*DIGIT; repeated fields or a comma list are accepted
 * only when every member is the same number (RFC 9110 §8.6). */
static int parse_content_length(struct rk_http_str v, struct rk_http_request *req)
{
	size_t i = 0;
	for (;;) {
		uint64_t n = 0;
		size_t d = 0;
		while (i < v.n && is_ows(v.p[i]))
			i++;
		while (i < v.n && v.p[i] >= '0' && v.p[i] <= '9') {
			unsigned dig = (unsigned)(v.p[i] - '0');
			if (n > (UINT64_MAX - dig) / 10)
				return E400; /* overflow: not a length we can frame */
			n = n * 10 + dig;
			i++, d++;
		}
		while (i < v.n && is_ows(v.p[i]))
			i++;
		if (d == 0 || (i < v.n && v.p[i] != ','))
			return E400; /* "+5", "0x5", "5 5", "", "5,,5" */
		if (req->has_content_length && req->content_length != n)
			return E400;
		req->has_content_length = true;
		req->content_length = n;
		if (i == v.n)
			return 0;
		i++; /* ',' */
	}
}

struct te_state {
	bool present, last_chunked, other;
	uint32_t codings, chunked;
};

/* Split a #list (RFC 9110 §5.6.1) into its members, OWS trimmed; empty
 * members are skipped, as the list rule requires of recipients. */
static bool list_next(struct rk_http_str v, size_t *i, struct rk_http_str *m)
{
	size_t a, e;
	for (;;) {
		if (*i >= v.n)
			return false;
		a = *i;
		while (*i < v.n && v.p[*i] != ',')
			(*i)++;
		e = *i;
		if (*i < v.n)
			(*i)++;
		while (a < e && is_ows(v.p[a]))
			a++;
		while (e > a && is_ows(v.p[e - 1]))
			e--;
		if (e > a) {
			*m = (struct rk_http_str){ v.p + a, (uint32_t)(e - a) };
			return true;
		}
	}
}

static bool is_token(struct rk_http_str s)
{
	for (uint32_t i = 0; i < s.n; i++)
		if (!is_tchar((unsigned char)s.p[i]))
			return false;
	return s.n > 0;
}

static int parse_te(struct rk_http_str v, struct te_state *te)
{
	size_t i = 0;
	struct rk_http_str m;
	te->present = true;
	while (list_next(v, &i, &m)) {
		/* Only bare codings: "chunked;x=1" or a quoted "\"chunked\"" is not
		 * something we would frame the same way as a proxy might. */
		if (!is_token(m))
			return E400;
		te->codings++;
		te->last_chunked = rk_http_str_ieq(m, "chunked");
		if (te->last_chunked)
			te->chunked++;
		else
			te->other = true;
	}
	return 0;
}

/* ---- field lines (§5) ---------------------------------------------------- */

struct hstate {
	struct te_state te;
	bool close, ka, expect_other, host_field;
};

static int on_field(struct rk_http_request *req, struct rk_http_header *f, struct hstate *s)
{
	struct rk_http_str n = f->name;
	size_t i = 0;
	struct rk_http_str m;

	/* Only five names matter here: told apart by their lengths (4, 14,
	 * 17, 10, 6) first, so any other field costs a switch, not five
	 * comparisons. */
	switch (n.n) {
	case 4:
	case 6:
	case 10:
	case 14:
	case 17:
		break;
	default:
		return 0;
	}
	if (rk_http_str_ieq(n, "host")) {
		if (s->host_field)
			return E400; /* RFC 9112 §3.2: more than one Host */
		if (!valid_host(f->value.p, f->value.n))
			return E400;
		s->host_field = true;
		req->has_host = true;
		if (req->form == RK_HTTP_ORIGIN_FORM || req->form == RK_HTTP_ASTERISK_FORM ||
		    req->host.p == NULL)
			req->host = f->value;
	} else if (rk_http_str_ieq(n, "content-length")) {
		return parse_content_length(f->value, req);
	} else if (rk_http_str_ieq(n, "transfer-encoding")) {
		return parse_te(f->value, &s->te);
	} else if (rk_http_str_ieq(n, "connection")) {
		while (list_next(f->value, &i, &m)) {
			if (rk_http_str_ieq(m, "close"))
				s->close = true;
			else if (rk_http_str_ieq(m, "keep-alive"))
				s->ka = true;
		}
	} else if (rk_http_str_ieq(n, "expect")) {
		while (list_next(f->value, &i, &m)) {
			if (rk_http_str_ieq(m, "100-continue"))
				req->expect_continue = true;
			else
				s->expect_other = true;
		}
	}
	return 0;
}

/* h[0..n) is the complete head (no leading CRLFs), ending in CRLFCRLF -
 * or, tried in one pass, whatever is there: the head's length then, or an
 * error (an incomplete head among them). */
static int parse_full(const char *h, size_t n, const struct lims *l, struct rk_http_request *req)
{
	struct hstate s;
	size_t p = 0, eol;
	int r;

	rk_memset(&s, 0, sizeof(s));
	for (; p + 8 <= n; p += 8) {
		uint64_t m = swar_eq(swar_load(h + p), '\r');
		if (m) {
			p += (size_t)__builtin_ctzll(m) / 8;
			break;
		}
	}
	while (p < n && h[p] != '\r')
		p++;
	if (p + 1 >= n || h[p + 1] != '\n')
		return E400;
	if ((r = parse_request_line(h, p, l, req)) < 0)
		return r;
	p += 2;

	for (;;) {
		if (p + 1 >= n)
			return E400; /* incomplete: only the one-pass try gets here */
		if (h[p] == '\r') {
			if (h[p + 1] != '\n')
				return E400;
			p += 2;
			break;
		}
		/* obs-fold, or whitespace before the first field: §5.2, §2.2 */
		if (is_ows(h[p]))
			return E400;
		size_t a = p;
		while (p < n && is_tchar((unsigned char)h[p]))
			p++;
		/* no whitespace between field name and colon (§5.1) */
		if (p == a || p >= n || h[p] != ':')
			return E400;
		struct rk_http_header f;
		f.name = (struct rk_http_str){ h + a, (uint32_t)(p - a) };
		p++;
		while (p < n && is_ows(h[p]))
			p++;
		a = p;
		/* On to the next CTL (CR included) or DEL: a word at a time,
		 * the first such byte of a word found by its lowest flag. */
		for (eol = p; eol < n; eol++) {
			if (eol + 8 <= n) {
				uint64_t w = swar_load(h + eol);
				uint64_t m = swar_less(w, 0x20) | swar_eq(w, 0x7f);
				if (!m) {
					eol += 7;
					continue;
				}
				eol += (size_t)__builtin_ctzll(m) / 8;
			}
			unsigned char c = (unsigned char)h[eol];
			if (c == '\r')
				break;
			/* NUL, CTLs and DEL are never valid in a value (§5.5);
			 * a bare LF lands here too. */
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return E400;
		}
		if (eol + 1 >= n || h[eol + 1] != '\n')
			return E400;
		if (eol - (size_t)(f.name.p - h) > l->field)
			return -431; /* one field line over its bound */
		p = eol;
		while (p > a && is_ows(h[p - 1]))
			p--;
		f.value = (struct rk_http_str){ h + a, (uint32_t)(p - a) };
		if (req->nheaders >= l->nhdr)
			return -431;
		req->headers[req->nheaders++] = f;
		if ((r = on_field(req, &f, &s)) < 0)
			return r;
		p = eol + 2;
	}

	/* Decisions that need the whole head, in a fixed order. */
	if (req->minor == 1 && !s.host_field)
		return E400; /* RFC 9112 §3.2: a 1.1 request MUST carry Host */
	if (s.te.present) {
		if (req->minor == 0)
			return E400; /* §6.1: TE in 1.0 means faulty framing */
		if (req->has_content_length)
			return E400; /* §6.1: both -> smuggling attempt, reject */
		if (s.te.codings == 0 || s.te.chunked > 1 || !s.te.last_chunked)
			return E400; /* §6.3 item 4: length not determinable */
		if (s.te.other)
			return -501; /* §6.1: a coding we do not implement */
		req->chunked = true;
	}
	if (req->has_content_length && req->content_length > l->body)
		return -413;
	if (req->minor == 0) {
		req->expect_continue = false; /* RFC 9110 §10.1.1: ignore in 1.0 */
		req->keep_alive = s.ka && !s.close;
	} else {
		if (s.expect_other)
			return -417;
		req->keep_alive = !s.close;
	}
	return (int)p;
}

int rk_http_parse_head(const char *buf, size_t len, size_t prev_len,
		       const struct rk_http_limits *lim, struct rk_http_request *req)
{
	struct lims l = { RK_HTTP_DEFAULT_MAX_REQUEST_LINE, RK_HTTP_DEFAULT_MAX_HEAD,
			  RK_HTTP_DEFAULT_MAX_HEADERS, SIZE_MAX, RK_HTTP_DEFAULT_MAX_BODY };
	size_t skip = 0, end = 0;
	int r;

	if (prev_len > len) /* a caller that compacted its buffer: rescan */
		prev_len = 0;

	if (lim) {
		if (lim->max_request_line)
			l.rl = lim->max_request_line;
		if (lim->max_head) /* capped so a head length always fits an int */
			l.head = RK_MIN(lim->max_head, 1u << 30);
		if (lim->max_headers)
			l.nhdr = RK_MIN(lim->max_headers, RK_HTTP_MAX_HEADERS);
		if (lim->max_field)
			l.field = lim->max_field;
		if (lim->max_body)
			l.body = lim->max_body;
	}
	/* §2.2: a server SHOULD ignore at least one empty line before the
	 * request-line (clients once sent CRLF after a POST body). A few are
	 * skipped; an endless stream of them is refused. */
	while (skip + 1 < len && buf[skip] == '\r' && buf[skip + 1] == '\n') {
		if (skip == 2 * RK_HTTP_MAX_EMPTY_LINES)
			return E400;
		skip += 2;
	}
	/* Not HTTP at all (a TLS ClientHello starts 0x16, see
	 * rk_http_is_tls_record): a request line starts with a method token,
	 * so the first other byte is refused at once, without waiting. */
	if (skip < len && buf[skip] != '\r' && !is_tchar((unsigned char)buf[skip]))
		return E400;
	/* The common case first: a whole head, seen for the first time, in
	 * one pass. parse_full meets every CR and LF of a head it accepts at
	 * a line's end, so its success is the scan's, with the same end,
	 * within the same limits. Anything else - incomplete, an error, a
	 * head past max_head - is decided below, by the scan in byte order. */
	if (!prev_len) {
		rk_memset(req, 0, offsetof(struct rk_http_request, headers));
		r = parse_full(buf + skip, RK_MIN(len - skip, l.head), &l, req);
		if (r > 0) {
			req->head_len = (uint32_t)(skip + (size_t)r);
			return (int)req->head_len;
		}
	}
	size_t lf1 = 0, j;
	r = scan_head(buf, len, prev_len, skip, &l, &end, &lf1);
	if (r != 1 && lf1) {
		/* This call's first LF ends the request line when no LF comes
		 * before it (the walk back covers one line, once per line, so
		 * byte-at-a-time stays linear). The line is complete but the
		 * head is not, or fails later: decide the line now, so "PRI *
		 * HTTP/2.0" (the HTTP/2 preface) or any bad line is answered
		 * at its CRLF, before any error in the bytes after it, however
		 * they were split. */
		for (j = lf1; j > skip && buf[j - 1] != '\n'; j--)
			;
		if (j == skip) {
			int e;
			rk_memset(req, 0, offsetof(struct rk_http_request, headers));
			if ((e = parse_request_line(buf + skip, lf1 - 1 - skip, &l, req)) < 0)
				return e;
		}
	}
	if (r <= 0)
		return r;

	rk_memset(req, 0, offsetof(struct rk_http_request, headers));
	r = parse_full(buf + skip, end - skip, &l, req);
	if (r < 0)
		return r;
	req->head_len = (uint32_t)end;
	return (int)end;
}

bool rk_http_is_tls_record(const char *buf, size_t len)
{
	/* TLSPlaintext (RFC 8446 §5.1): type 22 (handshake), then a
	 * legacy_record_version of 3.x. One byte is enough to say "maybe". */
	return len >= 1 && (unsigned char)buf[0] == 0x16 &&
	       (len < 2 || (unsigned char)buf[1] == 0x03);
}
