/* tests/test_http_encoding.c - Accept-Encoding (src/http/encoding.c,
 * RFC 9110 §12.5.3 and the weights of §12.4.2): the field's bytes, the
 * weights read for br, gzip and identity, and the sibling picked.
 */
#include "harness.h"

#include <rocket/http_cond.h>

static struct rk_http_codings ae(const char *v)
{
	struct rk_http_codings q = { 7, 7, 7 };
	rk_http_accept_encoding((struct rk_http_str){ v, (uint32_t)strlen(v) }, &q);
	return q;
}

#define W(v, b, g, i)                                                                              \
	do {                                                                                       \
		struct rk_http_codings q_ = ae(v);                                                 \
		CHECK_MSG(q_.br == (b) && q_.gzip == (g) && q_.identity == (i),                    \
			  "'%s': br %u gzip %u identity %u", v, q_.br, q_.gzip, q_.identity);      \
	} while (0)

TEST(accept_encoding_weights)
{
	W("gzip", 0, 1000, 1);
	W("br, gzip", 1000, 1000, 1);
	W("gzip;q=0.5, br;q=0.8", 800, 500, 1);
	W("GZIP;Q=0.5", 0, 500, 1);   /* names and "q" case-insensitive */
	W("gzip ; q=0.5", 0, 500, 1); /* OWS around ";" */
	W("x-gzip", 0, 1000, 1);      /* §8.4.1.3 */
	W("gzip;q=1.000", 0, 1000, 1);
	W("gzip;q=0.001", 0, 1, 1);
	W("gzip;q=0", 0, 0, 1); /* q=0: refused */
	W("gzip;q=0.", 0, 0, 1);
	W("deflate, compress", 0, 0, 1); /* codings we do not keep */
	W("", 0, 0, 1);                  /* empty: identity only */
	W(" , ,", 0, 0, 1);
}

TEST(accept_encoding_star_weighs_what_is_not_named)
{
	W("*", 1000, 1000, 1000);
	W("gzip;q=0.3, *;q=0.6", 600, 300, 600);
	W("*;q=0", 0, 0, 0); /* identity excluded too */
	W("*;q=0, identity", 0, 0, 1000);
	W("br;q=0, *", 0, 1000, 1000);
	W("identity;q=0", 0, 0, 0);
	W("identity;q=0.5, gzip", 0, 1000, 500);
}

TEST(accept_encoding_bad_members_are_skipped)
{
	W("gzip;q=2", 0, 0, 1); /* over 1 */
	W("gzip;q=1.001", 0, 0, 1);
	W("gzip;q=0.1234", 0, 0, 1); /* four decimals */
	W("gzip;q=.5", 0, 0, 1);
	W("gzip;q=", 0, 0, 1);
	W("gzip;q =0.5", 0, 0, 1);
	W("gzip;level=9", 0, 0, 1); /* no parameter but q */
	W("gzip;q=0.5;x=1", 0, 0, 1);
	W("gzip q=0.5", 0, 0, 1);
	W("\"gzip\"", 0, 0, 1);
	W("gzip;q=abc, br", 1000, 0, 1);        /* the next member still counts */
	W("gzip;q=0.2, gzip;q=0.9", 0, 200, 1); /* named twice: first weight */
}

TEST(accept_encoding_of_a_request_joins_all_lines)
{
	static struct rk_http_request q;
	const char *h = "GET / HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip;q=0.4\r\n"
			"X: 1\r\naccept-encoding: br;q=0.9\r\n\r\n";
	CHECK_EQ(rk_http_parse_head(h, strlen(h), 0, NULL, &q), (int)strlen(h));
	struct rk_http_codings c;
	rk_http_accept_encoding_req(&q, &c);
	CHECK(c.br == 900 && c.gzip == 400 && c.identity == 1);
	h = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	CHECK_EQ(rk_http_parse_head(h, strlen(h), 0, NULL, &q), (int)strlen(h));
	rk_http_accept_encoding_req(&q, &c);
	CHECK(c.br == 0 && c.gzip == 0 && c.identity > 0); /* no field: identity */
}

static enum rk_http_coding pick(const char *v, bool br, bool gz)
{
	struct rk_http_codings q = ae(v);
	return rk_http_coding_pick(&q, br, gz);
}

TEST(coding_pick_highest_weight_br_first_on_ties)
{
	CHECK_EQ(pick("gzip, br", true, true), RK_HTTP_CODING_BR);
	CHECK_EQ(pick("br, gzip", true, true), RK_HTTP_CODING_BR);
	CHECK_EQ(pick("br;q=0.5, gzip", true, true), RK_HTTP_CODING_GZIP);
	CHECK_EQ(pick("gzip, br", false, true), RK_HTTP_CODING_GZIP); /* no .br sibling */
	CHECK_EQ(pick("gzip, br", false, false), RK_HTTP_CODING_IDENTITY);
	CHECK_EQ(pick("br", false, true), RK_HTTP_CODING_IDENTITY);
	CHECK_EQ(pick("*", true, true), RK_HTTP_CODING_BR);
	CHECK_EQ(pick("identity, gzip;q=0.5", true, true), RK_HTTP_CODING_IDENTITY);
	CHECK_EQ(pick("identity, gzip", true, true), RK_HTTP_CODING_GZIP); /* tie: smaller */
	CHECK_EQ(pick("gzip;q=0, br;q=0", true, true), RK_HTTP_CODING_IDENTITY);
	/* nothing acceptable at all: identity anyway, never a 406 */
	CHECK_EQ(pick("*;q=0", true, true), RK_HTTP_CODING_IDENTITY);
	CHECK_EQ(pick("identity;q=0", true, true), RK_HTTP_CODING_IDENTITY);
	CHECK_EQ(pick("identity;q=0, gzip;q=0.1", true, true), RK_HTTP_CODING_GZIP);
}
