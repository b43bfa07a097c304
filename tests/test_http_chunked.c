/* tests/test_http_chunked.c - the chunked body decoder (src/http/chunked.c)
 * against RFC 9112 §7.1: sizes, extensions (§7.1.1), trailers (§7.1.2),
 * framing errors and limits, as a table. Each case is decoded whole, one
 * byte at a time and split at every byte, and must give the same bytes,
 * the same outcome and the same count of consumed bytes each way.
 */
#include "harness.h"

#include <rocket/http.h>

#include <stdint.h>

struct cc {
	const char *name, *in;
	size_t len;
	int ret;         /* RK_HTTP_CHUNKED_DONE, 0 (need more) or -status */
	const char *out; /* decoded body */
	size_t outlen;
	size_t tail;  /* bytes after the body (DONE only) */
	uint64_t max; /* 0 = default */
};

#define DONE(nm, i, o, ...)                                                                        \
	{                                                                                          \
		nm, i, sizeof(i) - 1, RK_HTTP_CHUNKED_DONE, o, sizeof(o) - 1, __VA_ARGS__          \
	}
#define MORE(nm, i, o)                                                                             \
	{                                                                                          \
		nm, i, sizeof(i) - 1, 0, o, sizeof(o) - 1, 0, 0                                    \
	}
#define FAIL(nm, i, code, o, ...)                                                                  \
	{                                                                                          \
		nm, i, sizeof(i) - 1, code, o, sizeof(o) - 1, __VA_ARGS__                          \
	}

static const struct cc cases[] = {
	/* ---- complete bodies ---- */
	DONE("last_chunk_only", "0\r\n\r\n", "", 0, 0),
	DONE("one_chunk", "5\r\nhello\r\n0\r\n\r\n", "hello", 0, 0),
	DONE("two_chunks", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world", 0, 0),
	DONE("hex_upper", "A\r\n0123456789\r\n0\r\n\r\n", "0123456789", 0, 0),
	DONE("hex_lower", "a\r\n0123456789\r\n0\r\n\r\n", "0123456789", 0, 0),
	DONE("hex_multi_digit", "1F\r\n0123456789012345678901234567890\r\n0\r\n\r\n",
	     "0123456789012345678901234567890", 0, 0),
	DONE("leading_zeros", "0005\r\nhello\r\n0\r\n\r\n", "hello", 0, 0),
	DONE("many_leading_zeros", "000000000000000000005\r\nhello\r\n0\r\n\r\n", "hello", 0, 0),
	DONE("last_chunk_zeros", "5\r\nhello\r\n000\r\n\r\n", "hello", 0, 0),
	DONE("data_with_crlf", "4\r\n\r\n\r\n\r\n0\r\n\r\n", "\r\n\r\n", 0, 0),
	DONE("data_with_nul", "3\r\na\0b\r\n0\r\n\r\n", "a\0b", 0, 0),
	DONE("data_looks_like_size", "5\r\n0\r\n\r\n\r\n0\r\n\r\n", "0\r\n\r\n", 0, 0),
	DONE("ext_name_value", "5;foo=bar\r\nhello\r\n0\r\n\r\n", "hello", 0, 0),
	DONE("ext_name_only", "5;foo\r\nhello\r\n0\r\n\r\n", "hello", 0, 0),
	DONE("ext_quoted", "5;a=\"q;\\\"x\"\r\nhello\r\n0\r\n\r\n", "hello", 0, 0),
	DONE("ext_bws_space", "5 ;foo\r\nhello\r\n0\r\n\r\n", "hello", 0, 0),
	DONE("ext_bws_tab", "5\t;foo\r\nhello\r\n0\r\n\r\n", "hello", 0, 0),
	DONE("ext_several", "5;a=1;b=2 ; c\r\nhello\r\n0\r\n\r\n", "hello", 0, 0),
	DONE("ext_on_last_chunk", "5\r\nhello\r\n0;x=y\r\n\r\n", "hello", 0, 0),
	DONE("ext_8bit", "5;a=\xff\r\nhello\r\n0\r\n\r\n", "hello", 0, 0),
	DONE("trailer_one", "0\r\nT: v\r\n\r\n", "", 0, 0),
	DONE("trailer_two", "5\r\nhello\r\n0\r\nA: 1\r\nB-2: x y\r\n\r\n", "hello", 0, 0),
	DONE("trailer_empty_value", "0\r\nT:\r\n\r\n", "", 0, 0),
	DONE("trailer_tab_value", "0\r\nT:\ta\tb\r\n\r\n", "", 0, 0),
	DONE("next_request_after", "0\r\n\r\nGET / HTTP/1.1\r\n", "", 16, 0),
	DONE("next_request_after_data", "2\r\nab\r\n0\r\n\r\nX", "ab", 1, 0),
	DONE("max_body_exact", "a\r\n0123456789\r\n0\r\n\r\n", "0123456789", 0, 10),
	DONE("max_body_exact_two_chunks", "5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n", "0123456789", 0,
	     10),

	/* ---- incomplete ---- */
	MORE("more_empty", "", ""),
	MORE("more_size", "5", ""),
	MORE("more_size_cr", "5\r", ""),
	MORE("more_size_line", "5\r\n", ""),
	MORE("more_part_data", "5\r\nhel", "hel"),
	MORE("more_all_data", "5\r\nhello", "hello"),
	MORE("more_data_cr", "5\r\nhello\r", "hello"),
	MORE("more_data_crlf", "5\r\nhello\r\n", "hello"),
	MORE("more_ext", "5;ext", ""),
	MORE("more_last_chunk", "0\r\n", ""),
	MORE("more_last_chunk_cr", "0\r\n\r", ""),
	MORE("more_trailer", "0\r\nT: v\r\n", ""),
	MORE("more_trailer_name", "0\r\nT", ""),

	/* ---- chunk-size errors ---- */
	FAIL("size_g", "g\r\n", -400, "", 0, 0),
	FAIL("size_minus_one", "-1\r\n", -400, "", 0, 0),
	FAIL("size_empty_line", "\r\nhello\r\n", -400, "", 0, 0),
	FAIL("size_leading_space", " 5\r\nhello\r\n", -400, "", 0, 0),
	FAIL("size_trailing_space_no_ext", "5 \r\nhello\r\n0\r\n\r\n", -400, "", 0, 0),
	FAIL("size_plus", "+5\r\nhello\r\n", -400, "", 0, 0),
	FAIL("size_0x", "0x5\r\nhello\r\n", -400, "", 0, 0),
	FAIL("size_0X_upper", "0X5\r\nhello\r\n", -400, "", 0, 0),
	FAIL("size_semicolon_first", ";a\r\nhello\r\n", -400, "", 0, 0),
	FAIL("last_chunk_bare_lf", "0\n\r\n", -400, "", 0, 0),
	FAIL("ext_bare_cr", "5;a\rb\r\nhello\r\n0\r\n\r\n", -400, "", 0, 0),
	FAIL("ext_cr_cr", "5;a=b\r\r\nhello\r\n0\r\n\r\n", -400, "", 0, 0),
	FAIL("ext_del", "5;a\x7f\r\nhello\r\n", -400, "", 0, 0),
	FAIL("data_then_eof_junk", "2\r\nabc", -400, "ab", 0, 0),
	FAIL("size_hex_then_junk", "5g\r\nhello\r\n", -400, "", 0, 0),
	FAIL("size_17_digits_overflow", "10000000000000000\r\n", -400, "", 0, 0),
	FAIL("size_17_f_overflow", "fffffffffffffffff\r\n", -400, "", 0, 0),
	FAIL("size_16_f_too_large", "ffffffffffffffff\r\n", -413, "", 0, 0),
	FAIL("size_over_max_body", "100001\r\n", -413, "", 0, 0),
	FAIL("size_over_custom_max", "b\r\n", -413, "", 0, 10),
	FAIL("sum_over_custom_max", "6\r\n012345\r\n5\r\n", -413, "012345", 0, 10),
	FAIL("size_bare_lf", "5\nhello\r\n0\r\n\r\n", -400, "", 0, 0),
	FAIL("size_cr_cr", "5\r\r\nhello\r\n", -400, "", 0, 0),
	FAIL("ext_ctl", "5;a\x01\r\nhello\r\n", -400, "", 0, 0),
	FAIL("ext_bare_lf", "5;a\nhello\r\n", -400, "", 0, 0),
	FAIL("ext_bws_then_junk", "5 x\r\nhello\r\n", -400, "", 0, 0),
	FAIL("last_chunk_no_crlf_data", "0\r\nX\r\n", -400, "", 0, 0),
	/* ---- data framing ---- */
	FAIL("data_longer_than_size", "5\r\nhelloX\r\n0\r\n\r\n", -400, "hello", 0, 0),
	FAIL("data_shorter_than_size", "6\r\nhello\r\n0\r\n\r\n", -400, "hello\r", 0, 0),
	FAIL("data_bare_lf_after", "5\r\nhello\n0\r\n\r\n", -400, "hello", 0, 0),
	FAIL("data_cr_then_junk", "5\r\nhello\r0\r\n\r\n", -400, "hello", 0, 0),
	/* ---- trailers ---- */
	FAIL("trailer_obs_fold", "0\r\nT: v\r\n w\r\n\r\n", -400, "", 0, 0),
	FAIL("trailer_leading_space", "0\r\n T: v\r\n\r\n", -400, "", 0, 0),
	FAIL("trailer_no_colon", "0\r\nT\r\n\r\n", -400, "", 0, 0),
	FAIL("trailer_space_before_colon", "0\r\nT : v\r\n\r\n", -400, "", 0, 0),
	FAIL("trailer_ctl_value", "0\r\nT: a\x01\r\n\r\n", -400, "", 0, 0),
	FAIL("trailer_bare_lf", "0\r\nT: v\n\r\n", -400, "", 0, 0),
	FAIL("trailer_cr_junk", "0\r\nT: v\rX\r\n", -400, "", 0, 0),
	FAIL("final_bare_lf", "0\r\n\n", -400, "", 0, 0),
	FAIL("final_cr_junk", "0\r\n\rX", -400, "", 0, 0),
};

struct result {
	int ret;
	size_t used;
	char *out;
	size_t outlen;
};

/* Decode `in` delivered in pieces of `step` bytes (0 = whole), or split in
 * two at `split` when step == SIZE_MAX. Each piece is an exact-size heap
 * copy so ASan sees any read past it. */
static struct result decode(const char *in, size_t len, size_t step, size_t split, uint64_t max)
{
	struct rk_http_chunked st;
	struct result res = { 0, 0, malloc(len + 1), 0 };
	size_t off = 0;

	rk_http_chunked_init(&st, max);
	while (off < len) {
		size_t end = step == SIZE_MAX ? (off < split ? split : len)
			     : step           ? (off + step < len ? off + step : len)
					      : len;
		size_t n = end - off, pos = 0;
		char *piece = malloc(n ? n : 1);
		int r;
		memcpy(piece, in + off, n);
		for (;;) {
			size_t c = 99;
			struct rk_http_str d = { 0, 0 };
			r = rk_http_chunked_feed(&st, piece + pos, n - pos, &c, &d);
			CHECK(c <= n - pos);
			if (r == RK_HTTP_CHUNKED_DATA) {
				CHECK(d.n > 0 && d.p >= piece + pos &&
				      d.p + d.n <= piece + pos + c);
				memcpy(res.out + res.outlen, d.p, d.n);
				res.outlen += d.n;
			}
			pos += c;
			if (r != RK_HTTP_CHUNKED_DATA)
				break;
			if (pos == n) {
				r = 0;
				break;
			}
		}
		free(piece);
		off += pos;
		res.ret = r;
		if (r != 0)
			break;
		CHECK_EQ(pos, n);
	}
	res.used = off;
	return res;
}

static void expect(const struct cc *c, struct result r, const char *how)
{
	size_t used = c->ret == RK_HTTP_CHUNKED_DONE ? c->len - c->tail : 0;
	CHECK_MSG(r.ret == c->ret, "%s (%s): got %d, expected %d", c->name, how, r.ret, c->ret);
	CHECK_MSG(r.outlen == c->outlen && memcmp(r.out, c->out, r.outlen) == 0,
		  "%s (%s): body '%.*s', expected '%s'", c->name, how, (int)r.outlen, r.out,
		  c->out);
	if (c->ret == RK_HTTP_CHUNKED_DONE)
		CHECK_MSG(r.used == used, "%s (%s): consumed %zu, expected %zu", c->name, how,
			  r.used, used);
	if (c->ret == 0)
		CHECK_MSG(r.used == c->len, "%s (%s): consumed %zu", c->name, how, r.used);
	free(r.out);
}

TEST(chunked_table)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct cc *c = &cases[i];
		struct result whole = decode(c->in, c->len, 0, 0, c->max);
		size_t used = whole.used;
		expect(c, whole, "whole");
		expect(c, decode(c->in, c->len, 1, 0, c->max), "byte at a time");
		for (size_t k = 0; k <= c->len; k++) {
			struct result r = decode(c->in, c->len, SIZE_MAX, k, c->max);
			/* an error is found at the same byte however it was split */
			CHECK_MSG(r.used == used, "%s: split %zu consumed %zu vs %zu", c->name, k,
				  r.used, used);
			expect(c, r, "split");
		}
	}
	printf("  %zu table cases\n", sizeof(cases) / sizeof(cases[0]));
}

TEST(chunked_names_unique)
{
	size_t n = sizeof(cases) / sizeof(cases[0]);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			CHECK_MSG(strcmp(cases[i].name, cases[j].name) != 0, "dup %s",
				  cases[i].name);
}

TEST(chunked_error_and_done_are_sticky)
{
	struct rk_http_chunked st;
	struct rk_http_str d;
	size_t c;
	rk_http_chunked_init(&st, 0);
	CHECK_EQ(rk_http_chunked_feed(&st, "g", 1, &c, &d), -400);
	CHECK_EQ(c, 0);
	CHECK_EQ(rk_http_chunked_feed(&st, "0\r\n\r\n", 5, &c, &d), -400);
	CHECK_EQ(c, 0);
	rk_http_chunked_init(&st, 0);
	CHECK_EQ(rk_http_chunked_feed(&st, "0\r\n\r\nxyz", 8, &c, &d), RK_HTTP_CHUNKED_DONE);
	CHECK_EQ(c, 5);
	CHECK_EQ(rk_http_chunked_feed(&st, "xyz", 3, &c, &d), RK_HTTP_CHUNKED_DONE);
	CHECK_EQ(c, 0);
}

TEST(chunked_ext_line_bound)
{
	/* size + extensions up to RK_HTTP_MAX_CHUNK_LINE bytes, then 400 */
	size_t n = RK_HTTP_MAX_CHUNK_LINE + 64;
	char *b = malloc(n);
	memset(b, 'x', n);
	memcpy(b, "5;", 2);
	/* a line of exactly the bound (before CR) is fine */
	memcpy(b + RK_HTTP_MAX_CHUNK_LINE, "\r\nhello\r\n0\r\n\r\n", 14);
	struct result r = decode(b, RK_HTTP_MAX_CHUNK_LINE + 14, 0, 0, 0);
	CHECK_EQ(r.ret, RK_HTTP_CHUNKED_DONE);
	CHECK(r.outlen == 5 && !memcmp(r.out, "hello", 5));
	free(r.out);
	memset(b, 'x', n);
	memcpy(b, "5;", 2);
	r = decode(b, n, 0, 0, 0);
	CHECK_EQ(r.ret, -400);
	CHECK_EQ(r.used, RK_HTTP_MAX_CHUNK_LINE);
	free(r.out);
	r = decode(b, n, 7, 0, 0);
	CHECK_EQ(r.ret, -400);
	free(r.out);
	free(b);
}

TEST(chunked_trailer_bound)
{
	size_t n = RK_HTTP_MAX_TRAILERS + 100;
	char *b = malloc(n);
	memset(b, 'v', n);
	memcpy(b, "0\r\nT: ", 6);
	struct result r = decode(b, n, 0, 0, 0);
	CHECK_EQ(r.ret, -431);
	free(r.out);
	/* many short trailer lines count together */
	size_t k = 0;
	memcpy(b, "0\r\n", 3);
	k = 3;
	while (k + 6 < n) {
		memcpy(b + k, "A: b\r\n", 6);
		k += 6;
	}
	r = decode(b, k, 0, 0, 0);
	CHECK_EQ(r.ret, -431);
	free(r.out);
	free(b);
}

TEST(chunked_large_body_random_splits)
{
	/* 1 MiB in chunks of assorted sizes, fed in pseudo-random pieces. */
	size_t cap = (2u << 20), n = 0, want = 0;
	char *in = malloc(cap), *body = malloc(1u << 20);
	uint32_t seed = 12345;
	while (want < (1u << 20)) {
		seed = seed * 1103515245 + 12345;
		size_t sz = 1 + (seed >> 8) % 40000;
		if (sz > (1u << 20) - want)
			sz = (1u << 20) - want;
		n += (size_t)sprintf(in + n, "%zx;i=%zu\r\n", sz, want);
		for (size_t i = 0; i < sz; i++)
			body[want + i] = in[n + i] = (char)(seed >> (i % 24));
		n += sz;
		want += sz;
		memcpy(in + n, "\r\n", 2);
		n += 2;
	}
	n += (size_t)sprintf(in + n, "0\r\nDigest: x\r\n\r\n");
	for (size_t step = 1; step < 100000; step = step * 7 + 3) {
		struct result r = decode(in, n, step, 0, 0);
		CHECK_EQ(r.ret, RK_HTTP_CHUNKED_DONE);
		CHECK_EQ(r.used, n);
		CHECK(r.outlen == want && memcmp(r.out, body, want) == 0);
		free(r.out);
	}
	/* one byte over the limit */
	struct result r = decode(in, n, 4096, 0, (1u << 20) - 1);
	CHECK_EQ(r.ret, -413);
	free(r.out);
	free(in);
	free(body);
}

TEST(chunked_64k_extension_is_400_at_the_bound)
{
	/* "5;" and 64 KiB of extension: refused at byte RK_HTTP_MAX_CHUNK_LINE
	 * + 1 of the line, long before its CRLF. */
	size_t ext = 64 * 1024, n = 2 + ext + 14;
	char *b = malloc(n);
	memcpy(b, "5;", 2);
	memset(b + 2, 'e', ext);
	memcpy(b + 2 + ext, "\r\nhello\r\n0\r\n\r\n", 14);
	for (size_t step = 0; step <= 4097; step += 4097) {
		struct result r = decode(b, n, step, 0, 0);
		CHECK_EQ(r.ret, -400);
		CHECK_EQ(r.used, RK_HTTP_MAX_CHUNK_LINE);
		CHECK_EQ(r.outlen, 0);
		free(r.out);
	}
	free(b);
}

/* n one-byte chunks "1\r\nx\r\n" and the last chunk. */
static char *one_byte_chunks(size_t n, size_t *len)
{
	char *b = malloc(n * 6 + 5);
	for (size_t i = 0; i < n; i++)
		memcpy(b + i * 6, "1\r\nx\r\n", 6);
	memcpy(b + n * 6, "0\r\n\r\n", 5);
	*len = n * 6 + 5;
	return b;
}

TEST(chunked_65536_chunks_ok_65537_is_413)
{
	size_t n;
	char *b = one_byte_chunks(RK_HTTP_DEFAULT_MAX_CHUNKS, &n);
	struct result r = decode(b, n, 0, 0, 0);
	CHECK_EQ(r.ret, RK_HTTP_CHUNKED_DONE);
	CHECK_EQ(r.outlen, RK_HTTP_DEFAULT_MAX_CHUNKS);
	free(r.out);
	free(b);
	b = one_byte_chunks(RK_HTTP_DEFAULT_MAX_CHUNKS + 1, &n);
	for (size_t step = 0; step <= 1; step++) {
		r = decode(b, n, step, 0, 0);
		CHECK_EQ(r.ret, -413);
		/* decided at the CR ending the size of chunk 65537 */
		CHECK_EQ(r.used, RK_HTTP_DEFAULT_MAX_CHUNKS * 6 + 1);
		CHECK_EQ(r.outlen, RK_HTTP_DEFAULT_MAX_CHUNKS);
		free(r.out);
	}
	free(b);
}

TEST(chunked_max_chunks_can_be_lowered_after_init)
{
	struct rk_http_chunked st;
	struct rk_http_str d;
	size_t c, pos = 0;
	const char *in = "1\r\na\r\n1\r\nb\r\n1\r\nc\r\n0\r\n\r\n";
	int r;
	rk_http_chunked_init(&st, 0);
	CHECK_EQ(st.max_chunks, RK_HTTP_DEFAULT_MAX_CHUNKS);
	st.max_chunks = 2;
	char out[4];
	size_t o = 0;
	while ((r = rk_http_chunked_feed(&st, in + pos, strlen(in) - pos, &c, &d)) ==
	       RK_HTTP_CHUNKED_DATA) {
		memcpy(out + o, d.p, d.n);
		o += d.n;
		pos += c;
	}
	CHECK_EQ(r, -413);
	CHECK(o == 2 && !memcmp(out, "ab", 2));
	CHECK_EQ(pos + c, 13); /* at the CR after the third size */
	/* two chunks and the last chunk are within the bound */
	rk_http_chunked_init(&st, 0);
	st.max_chunks = 2;
	pos = 0;
	in = "1\r\na\r\n1\r\nb\r\n0\r\n\r\n";
	while ((r = rk_http_chunked_feed(&st, in + pos, strlen(in) - pos, &c, &d)) ==
	       RK_HTTP_CHUNKED_DATA)
		pos += c;
	CHECK_EQ(r, RK_HTTP_CHUNKED_DONE);
}

/* The chunk line and trailer bounds come from init (the defaults) and may
 * be set by the caller after it, as the server does from its limits. */
static int feed_all(struct rk_http_chunked *st, const char *in)
{
	size_t pos = 0, n = strlen(in), c;
	struct rk_http_str d;
	int r;
	while ((r = rk_http_chunked_feed(st, in + pos, n - pos, &c, &d)) == RK_HTTP_CHUNKED_DATA)
		pos += c;
	return r;
}

TEST(chunked_line_and_trailer_bounds_set_after_init)
{
	struct rk_http_chunked st;
	rk_http_chunked_init(&st, 0);
	CHECK_EQ(st.max_line, RK_HTTP_MAX_CHUNK_LINE);
	CHECK_EQ(st.max_trailers, RK_HTTP_MAX_TRAILERS);
	/* "1;abcdef" is 8 bytes of chunk line */
	st.max_line = 8;
	CHECK_EQ(feed_all(&st, "1;abcdef\r\na\r\n0\r\n\r\n"), RK_HTTP_CHUNKED_DONE);
	rk_http_chunked_init(&st, 0);
	st.max_line = 8;
	CHECK_EQ(feed_all(&st, "1;abcdefg\r\na\r\n0\r\n\r\n"), -400);
	/* "T: 1234\r\n\r": 10 bytes of trailer section (the last LF ends it) */
	rk_http_chunked_init(&st, 0);
	st.max_trailers = 10;
	CHECK_EQ(feed_all(&st, "0\r\nT: 1234\r\n\r\n"), RK_HTTP_CHUNKED_DONE);
	rk_http_chunked_init(&st, 0);
	st.max_trailers = 9;
	CHECK_EQ(feed_all(&st, "0\r\nT: 1234\r\n\r\n"), -431);
}
