/* tests/fuzz_http.c - libFuzzer target for the pure HTTP code: the request
 * head parser, the chunked decoder, the target splitter and path
 * normalizer, Range / conditional evaluation, HTTP-dates, Accept-Encoding
 * and the media types (src/http/parse.c, chunked.c, path.c, cond.c,
 * range.c, encoding.c, date.c, mime.c). The first input byte picks the
 * target (bits 1-3) and a variant (bit 0); the rest is the input. Beyond
 * "no out-of-bounds access" (ASan, exact-size copies) it checks the
 * properties the server relies on: the same answer however the bytes are
 * split, every view inside the input, a normalized path that agrees with
 * RFC 3986 §5.2.4 run literally on the decoded path, dates that read back
 * what they write. Build and run: `make fuzz` (FUZZ_SECONDS=60 by default).
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

static void same_req(const struct rk_http_request *a, const char *ba,
		     const struct rk_http_request *b, const char *bb)
{
	ASSERT(a->head_len == b->head_len && a->method == b->method);
	ASSERT(a->form == b->form && a->minor == b->minor);
	ASSERT(a->nheaders == b->nheaders && a->chunked == b->chunked);
	ASSERT(a->has_content_length == b->has_content_length);
	ASSERT(a->content_length == b->content_length);
	ASSERT(a->keep_alive == b->keep_alive && a->expect_continue == b->expect_continue);
	ASSERT(a->target.p - ba == b->target.p - bb && a->target.n == b->target.n);
	ASSERT(a->has_host == b->has_host && a->host.n == b->host.n);
	for (uint32_t i = 0; i < a->nheaders; i++) {
		ASSERT(a->headers[i].name.p - ba == b->headers[i].name.p - bb);
		ASSERT(a->headers[i].value.n == b->headers[i].value.n);
	}
}

static void in_head(struct rk_http_str s, const char *buf, int r)
{
	ASSERT((s.p == NULL && s.n == 0) || (s.p >= buf && s.p + s.n <= buf + r));
}

/* Decode body[0..n) delivering it in pieces of `step` bytes (0 = whole,
 * SIZE_MAX = pseudo-random lengths 1..64 drawn from seed); returns the
 * final status, fills out/outn and the bytes consumed. */
static int decode(const char *body, size_t n, size_t step, uint64_t max, uint32_t max_chunks,
		  uint32_t seed, char *out, size_t *outn, size_t *used)
{
	struct rk_http_chunked st;
	size_t off = 0, lim = 0;
	int r = 0;

	rk_http_chunked_init(&st, max);
	if (max_chunks) { /* small bounds so the fuzzer reaches them */
		st.max_chunks = max_chunks;
		st.max_line = 4 * max_chunks;
		st.max_trailers = 16 * max_chunks;
	}
	*outn = 0;
	while (off < n) {
		size_t k = step;
		if (step == SIZE_MAX) {
			seed = seed * 1103515245u + 12345u;
			k = 1 + (seed >> 16) % 64;
		}
		lim = k ? (off + k < n ? off + k : n) : n;
		/* An exact-size copy so a read past the piece is caught. */
		size_t len = lim - off;
		char *piece = malloc(len);
		memcpy(piece, body + off, len);
		size_t pos = 0;
		for (;;) {
			size_t c = 7;
			struct rk_http_str d = { 0, 0 };
			r = rk_http_chunked_feed(&st, piece + pos, len - pos, &c, &d);
			ASSERT(c <= len - pos);
			if (r == RK_HTTP_CHUNKED_DATA) {
				ASSERT(d.n > 0 && d.p >= piece + pos &&
				       d.p + d.n <= piece + pos + c);
				memcpy(out + *outn, d.p, d.n);
				*outn += d.n;
			}
			pos += c;
			if (r != RK_HTTP_CHUNKED_DATA)
				break;
			if (pos == len) {
				r = 0;
				break;
			}
		}
		free(piece);
		off += pos;
		if (r != 0)
			break;
		ASSERT(pos == len);
	}
	*used = off;
	return r;
}

/* The body decoded whole, a byte at a time, in threes and in random pieces
 * must agree on everything. */
static void check_chunked(const char *body, size_t n, uint64_t max, uint32_t max_chunks,
			  uint32_t seed)
{
	char *o1 = malloc(n + 1), *o2 = malloc(n + 1), *o3 = malloc(n + 1), *o4 = malloc(n + 1);
	size_t n1, n2, n3, n4, u1, u2, u3, u4;
	int c1 = decode(body, n, 0, max, max_chunks, seed, o1, &n1, &u1);
	int c2 = decode(body, n, 1, max, max_chunks, seed, o2, &n2, &u2);
	int c3 = decode(body, n, 3, max, max_chunks, seed, o3, &n3, &u3);
	int c4 = decode(body, n, SIZE_MAX, max, max_chunks, seed, o4, &n4, &u4);
	ASSERT(c1 == c2 && c1 == c3 && c1 == c4);
	ASSERT(u1 == u2 && u1 == u3 && u1 == u4);
	ASSERT(n1 == n2 && n1 == n3 && n1 == n4);
	ASSERT(memcmp(o1, o2, n1) == 0 && memcmp(o1, o3, n1) == 0 && memcmp(o1, o4, n1) == 0);
	ASSERT(c1 == 0 || c1 == RK_HTTP_CHUNKED_DONE || c1 == -400 || c1 == -413 || c1 == -431);
	ASSERT(n1 <= (max ? max : RK_HTTP_DEFAULT_MAX_BODY));
	ASSERT(c1 != 0 || u1 == n); /* need-more consumed everything */
	free(o1);
	free(o2);
	free(o3);
	free(o4);
}

static void fuzz_head(const char *buf, size_t size, bool small_limits)
{
	struct rk_http_limits small = { .max_request_line = 64,
					.max_head = 256,
					.max_headers = 8,
					.max_field = 40,
					.max_body = 1000 },
			      *lim = NULL;
	static struct rk_http_request whole, part;
	int r;

	if (small_limits)
		lim = &small;

	r = rk_http_parse_head(buf, size, 0, lim, &whole);
	ASSERT(r == 0 || r > 0 || r == -400 || r == -413 || r == -414 || r == -417 || r == -431 ||
	       r == -501 || r == -505);
	if (r > 0) {
		ASSERT((size_t)r <= size && whole.head_len == (uint32_t)r);
		in_head(whole.target, buf, r);
		in_head(whole.method_str, buf, r);
		in_head(whole.host, buf, r);
		for (uint32_t i = 0; i < whole.nheaders; i++) {
			in_head(whole.headers[i].name, buf, r);
			in_head(whole.headers[i].value, buf, r);
		}
	}

	/* Split at every offset (sampled for long inputs): a prefix is either
	 * incomplete or already gives the final answer, and continuing from
	 * prev_len gives the same answer as one call. */
	size_t stride = size <= 300 ? 1 : size / 300;
	for (size_t k = 0; k < size; k += stride) {
		char *pre = malloc(k ? k : 1);
		memcpy(pre, buf, k);
		int r1 = rk_http_parse_head(pre, k, 0, lim, &part);
		if (r1 != 0) {
			ASSERT(r1 == r);
			if (r > 0)
				same_req(&whole, buf, &part, pre);
		}
		free(pre);
		if (r1 == 0) {
			int r2 = rk_http_parse_head(buf, size, k, lim, &part);
			ASSERT(r2 == r);
			if (r > 0)
				same_req(&whole, buf, &part, buf);
		}
	}
	/* Byte at a time, as a slow client would deliver it. */
	if (size <= 4096) {
		int ri = 0;
		for (size_t k = 1; k <= size && ri == 0; k++)
			ri = rk_http_parse_head(buf, k, k - 1, lim, &part);
		ASSERT(ri == r);
	}

	/* The body: what follows a complete head, or the whole input. */
	const char *body = r > 0 ? buf + r : buf;
	size_t n = r > 0 ? size - (size_t)r : size;
	check_chunked(body, n, lim ? lim->max_body : 0, 0, (uint32_t)size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *in = (const char *)data + 1;
	bool v = data[0] & 1;
	size--;
	switch ((data[0] >> 1) & 7) {
	case 1:
		/* small bounds so the fuzzer reaches them: max_body 1..256,
		 * max_chunks 1..8, chunk lines of 4..32 bytes, trailers of
		 * 16..128 */
		check_chunked(in, size, v ? 256 : 1 + size % 64, 1 + size % 8, (uint32_t)size);
		break;
	case 2:
		fuzz_path(in, size, v);
		break;
	case 3:
		fuzz_range(in, size, v);
		break;
	case 4:
		fuzz_date(in, size);
		break;
	case 5:
		fuzz_cond(in, size, v);
		break;
	case 6:
		fuzz_coding(in, size);
		break;
	default:
		fuzz_head(in, size, v);
		break;
	}
	return 0;
}
