/* tests/test_http_cond.c - validators and conditional requests
 * (src/http/cond.c, the date reader in src/http/date.c): the entity-tag,
 * HTTP-dates in all three forms of RFC 9110 §5.6.7, entity-tag comparison
 * (§8.8.3.2), If-Range (§13.1.5) and the precedence of §13.2.2, each case
 * written as the request's bytes and the status they must give.
 */
#include "harness.h"

#include <rocket/http_cond.h>

#include <stdint.h>
#include <time.h>

#define LM_S   784111777 /* Sun, 06 Nov 1994 08:49:37 GMT */
#define LM     "Sun, 06 Nov 1994 08:49:37 GMT"
#define BEFORE "Sun, 06 Nov 1994 08:49:36 GMT"
#define AFTER  "Sun, 06 Nov 1994 08:49:38 GMT"
#define TAG    "\"a-b-c\""
#define NOW    1700000000 /* Nov 2023 */

/* ---- the entity-tag and Last-Modified ---- */

TEST(etag_is_quoted_hex_of_size_mtime_inode)
{
	char out[RK_HTTP_ETAG_MAX + 1];
	int n = rk_http_etag(out, sizeof(out), 0x1234, 1700000000123456789LL, 42);
	CHECK_EQ(n, 26);
	CHECK(!memcmp(out, "\"1234-17979cfe3d85cd15-2a\"", 26));
	CHECK_EQ(rk_http_etag(out, sizeof(out), 0, 0, 0), 7);
	CHECK(!memcmp(out, "\"0-0-0\"", 7));
	/* mtime before 1970: its two's complement, still one token */
	CHECK_EQ(rk_http_etag(out, sizeof(out), 1, -1, 1), 22);
	CHECK(!memcmp(out, "\"1-ffffffffffffffff-1\"", 22));
	CHECK_EQ(rk_http_etag(out, sizeof(out), UINT64_MAX, -1, UINT64_MAX), RK_HTTP_ETAG_MAX);
	/* all or nothing */
	memset(out, '#', sizeof(out));
	CHECK_EQ(rk_http_etag(out, 6, 0, 0, 0), RK_HTTP_ENOSPC);
	CHECK_EQ(out[0], '#');
	/* a change of any input changes the tag */
	char a[64], b[64];
	int na = rk_http_etag(a, 64, 10, 1000, 7), nb = rk_http_etag(b, 64, 10, 1001, 7);
	CHECK(na != nb || memcmp(a, b, (size_t)na));
	nb = rk_http_etag(b, 64, 10, 1000, 8);
	CHECK(na != nb || memcmp(a, b, (size_t)na));
}

TEST(last_modified_is_never_after_now)
{
	CHECK_EQ(rk_http_last_modified(100, 200), 100);
	CHECK_EQ(rk_http_last_modified(300, 200), 200);
	CHECK_EQ(rk_http_last_modified(200, 200), 200);
}

/* ---- HTTP-date, RFC 9110 §5.6.7 ---- */

static int64_t date(const char *s, int64_t now)
{
	int64_t t = -777;
	int r = rk_http_date_parse(s, strlen(s), now, &t);
	return r < 0 ? r : t;
}

TEST(date_three_forms_of_the_same_instant)
{
	CHECK_EQ(date("Sun, 06 Nov 1994 08:49:37 GMT", NOW), LM_S);  /* IMF-fixdate */
	CHECK_EQ(date("Sunday, 06-Nov-94 08:49:37 GMT", NOW), LM_S); /* RFC 850 */
	CHECK_EQ(date("Sun Nov  6 08:49:37 1994", NOW), LM_S);       /* asctime */
	CHECK_EQ(date("Sun Nov 06 08:49:37 1994", NOW), LM_S);       /* asctime, 2DIGIT day */
	CHECK_EQ(date("Wed Nov 16 08:49:37 1994", NOW), LM_S + 10 * 86400);
	CHECK_EQ(date("Wednesday, 16-Nov-94 08:49:37 GMT", NOW), LM_S + 10 * 86400);
	CHECK_EQ(date("Thu, 01 Jan 1970 00:00:00 GMT", NOW), 0);
	CHECK_EQ(date("Wed, 31 Dec 1969 23:59:59 GMT", NOW), -1);
	CHECK_EQ(date("Tue, 29 Feb 2000 00:00:00 GMT", NOW), 951782400);
	CHECK_EQ(date("Fri, 31 Dec 9999 23:59:59 GMT", NOW), 253402300799LL);
	/* a leap second reads as the next second */
	CHECK_EQ(date("Sun, 06 Nov 1994 08:49:60 GMT", NOW), LM_S + 23);
	/* the weekday is a name to check, not a fact to check */
	CHECK_EQ(date("Mon, 06 Nov 1994 08:49:37 GMT", NOW), LM_S);
}

TEST(date_rfc850_year_within_50_years_of_now)
{
	int64_t y2024 = 1704067200;                                            /* 2024-01-01 */
	CHECK_EQ(date("Monday, 01-Jan-74 00:00:00 GMT", y2024), 3281990400LL); /* 2074 */
	CHECK_EQ(date("Wednesday, 01-Jan-75 00:00:00 GMT", y2024), 157766400); /* 1975 */
	CHECK_EQ(date("Sunday, 06-Nov-94 08:49:37 GMT", LM_S), LM_S);
	CHECK_EQ(date("Sunday, 06-Nov-44 08:49:37 GMT", LM_S), 2362034977LL);  /* 2044 */
	CHECK_EQ(date("Tuesday, 06-Nov-45 08:49:37 GMT", LM_S), -762189023LL); /* 1945 */
}

TEST(date_malformed_is_einval)
{
	static const char *bad[] = {
		"",
		"sun, 06 Nov 1994 08:49:37 GMT", /* names are case-sensitive */
		"Sun, 06 nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 08:49:37 gmt",
		"Sun, 06 Nov 1994 08:49:37 UTC",
		"Sun, 06 Nov 1994 08:49:37 GMT ", /* no trailing space */
		" Sun, 06 Nov 1994 08:49:37 GMT",
		"Sun, 6 Nov 1994 08:49:37 GMT",
		"Sun,  06 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 94 08:49:37 GMT",
		"Sun, 06 Nov 1994 08:49 GMT",
		"Sun, 06 Nov 1994 8:49:37 GMT",
		"Sun, 06 Nov 1994 08-49-37 GMT",
		"Sun, 32 Nov 1994 08:49:37 GMT",
		"Sun, 31 Nov 1994 08:49:37 GMT", /* November has 30 days */
		"Sun, 00 Nov 1994 08:49:37 GMT",
		"Sun, 29 Feb 1900 08:49:37 GMT", /* 1900 is no leap year */
		"Sun, 06 Nov 1994 24:00:00 GMT",
		"Sun, 06 Nov 1994 08:60:00 GMT",
		"Sun, 06 Nov 1994 08:49:61 GMT",
		"Sun, 06 Foo 1994 08:49:37 GMT",
		"Sum, 06 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 08:49:37 GM\0",
		"Sun, 06 Nov 199x 08:49:37 GMT",
		"Sun, 06-Nov-94 08:49:37 GMT", /* RFC 850 needs the full name */
		"Sunday, 06-Nov-1994 08:49:37 GMT",
		"Sunday, 06 Nov 94 08:49:37 GMT",
		"Sunday,06-Nov-94 08:49:37 GMT",
		"Sundae, 06-Nov-94 08:49:37 GMT",
		"Sun Nov  6 08:49:37 1994 ",
		"Sun Nov 6 08:49:37 1994",
		"Sun Nov  6 08:49:37 94",
		"Sun Nov   6 08:49:37 1994",
		"1994-11-06T08:49:37Z",
		"784111777",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_MSG(date(bad[i], NOW) == -22, "'%s' gave %lld", bad[i],
			  (long long)date(bad[i], NOW));
	int64_t t = 5;
	CHECK_EQ(rk_http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT!", 30, NOW, &t), -22);
	CHECK_EQ(t, 5); /* untouched on failure */
}

TEST(date_reads_what_rk_http_date_and_libc_write)
{
	for (int64_t t = -2000000000LL; t < 253402300799LL; t += 98765431 + t % 7) {
		char imf[RK_HTTP_DATE_LEN], s[64];
		rk_http_date(imf, t);
		int64_t got = -1;
		CHECK_EQ(rk_http_date_parse(imf, RK_HTTP_DATE_LEN, NOW, &got), 0);
		CHECK_EQ(got, t);
		time_t tt = (time_t)t;
		struct tm tm;
		gmtime_r(&tt, &tm);
		strftime(s, sizeof(s), "%a %b %e %H:%M:%S %Y", &tm);
		CHECK_MSG(date(s, NOW) == t, "asctime '%s'", s);
		/* RFC 850 only for years it can place from NOW */
		if (tm.tm_year + 1900 > 1973 && tm.tm_year + 1900 <= 2073) {
			strftime(s, sizeof(s), "%A, %d-%b-%y %H:%M:%S GMT", &tm);
			CHECK_MSG(date(s, NOW) == t, "rfc850 '%s'", s);
		}
	}
}

/* ---- entity-tag comparison, §8.8.3.2 ---- */

static int match(const char *list, bool strong)
{
	struct rk_http_str l = { list, (uint32_t)strlen(list) }, e = { TAG, 7 };
	return rk_http_etag_match(l, e, strong);
}

TEST(etag_match_strong_and_weak)
{
	CHECK_EQ(match(TAG, true), 1);
	CHECK_EQ(match(TAG, false), 1);
	CHECK_EQ(match("W/" TAG, false), 1); /* weak comparison ignores W/ */
	CHECK_EQ(match("W/" TAG, true), 0);  /* strong never matches a weak tag */
	CHECK_EQ(match("\"a-b-d\"", false), 0);
	CHECK_EQ(match("\"A-B-C\"", false), 0); /* opaque: case counts */
	CHECK_EQ(match("\"x\", " TAG, true), 1);
	CHECK_EQ(match("\"x\",W/\"y\" ,\t" TAG " ", false), 1);
	CHECK_EQ(match(" , ,\"x\",, " TAG, false), 1); /* empty members skipped */
	CHECK_EQ(match("*", true), 1);
	CHECK_EQ(match("  *  ", false), 1);
	CHECK_EQ(match("", false), 0); /* an empty list matches nothing */
	CHECK_EQ(match("\"\"", false), 0);
	CHECK_EQ(match("\"\\x80\"", false), 0);
}

TEST(etag_match_malformed_is_einval)
{
	CHECK_EQ(match("a-b-c", false), -22);   /* unquoted */
	CHECK_EQ(match("\"a-b-c", false), -22); /* unterminated */
	CHECK_EQ(match("w/" TAG, false), -22);  /* W is case-sensitive */
	CHECK_EQ(match("W/ " TAG, false), -22);
	CHECK_EQ(match(TAG " \"x\"", false), -22); /* no comma */
	CHECK_EQ(match(TAG ", *", false), -22);    /* "*" only alone */
	CHECK_EQ(match("\"a b\"", false), -22);    /* SP is no etagc */
	CHECK_EQ(match("\"a\"b\"", false), -22);
	CHECK_EQ(match("\"x\"" TAG, false), -22);
	/* a malformed list is rejected even after a match */
	CHECK_EQ(match(TAG ", junk", false), -22);
	struct rk_http_str l = { TAG, 7 }, none = { NULL, 0 };
	CHECK_EQ(rk_http_etag_match(l, none, false), 0); /* no tag of ours */
}

/* ---- If-Range, §13.1.5 ---- */

static const struct rk_http_validators val = { { TAG, 7 }, LM_S, NOW, 100 };

static bool if_range(const char *v)
{
	return rk_http_if_range((struct rk_http_str){ v, (uint32_t)strlen(v) }, &val);
}

TEST(if_range_strong_tag_or_exact_date)
{
	CHECK(if_range(TAG));
	CHECK(!if_range("W/" TAG)); /* a weak tag never matches */
	CHECK(!if_range("\"other\""));
	CHECK(!if_range(TAG ", \"x\"")); /* one tag, not a list */
	CHECK(if_range(LM));
	CHECK(if_range("Sunday, 06-Nov-94 08:49:37 GMT"));
	CHECK(!if_range(BEFORE)); /* exactly Last-Modified, not "not modified since" */
	CHECK(!if_range(AFTER));
	CHECK(!if_range("yesterday"));
	CHECK(!if_range(""));
	struct rk_http_validators none = { { NULL, 0 }, RK_HTTP_NO_DATE, NOW, 100 };
	CHECK(!rk_http_if_range((struct rk_http_str){ TAG, 7 }, &none));
	CHECK(!rk_http_if_range((struct rk_http_str){ LM, 29 }, &none));
}

/* ---- the precedence of §13.2.2 ---- */

static struct rk_http_range rng;

/* Evaluate "<method> /f HTTP/1.1" with Host and the given field lines. */
static int eval_v(const char *method, const char *fields, const struct rk_http_validators *v)
{
	static struct rk_http_request q;
	char buf[1024];
	int n = snprintf(buf, sizeof(buf), "%s /f HTTP/1.1\r\nHost: a\r\n%s\r\n", method, fields);
	CHECK_EQ(rk_http_parse_head(buf, (size_t)n, 0, NULL, &q), n);
	rng.first = rng.last = 12345;
	return rk_http_cond_eval(&q, v, &rng);
}

static int eval(const char *method, const char *fields)
{
	return eval_v(method, fields, &val);
}

#define INM(x) "If-None-Match: " x "\r\n"
#define IM(x)  "If-Match: " x "\r\n"
#define IMS(x) "If-Modified-Since: " x "\r\n"
#define IUS(x) "If-Unmodified-Since: " x "\r\n"
#define RG(x)  "Range: " x "\r\n"
#define IR(x)  "If-Range: " x "\r\n"

TEST(cond_unconditional_is_200)
{
	CHECK_EQ(eval("GET", ""), 200);
	CHECK_EQ(eval("GET", "If-Whatever: " TAG "\r\n"), 200);
}

TEST(cond_if_none_match)
{
	CHECK_EQ(eval("GET", INM(TAG)), 304);
	CHECK_EQ(eval("HEAD", INM(TAG)), 304);
	CHECK_EQ(eval("DELETE", INM(TAG)), 412); /* not GET/HEAD: 412 (step 3) */
	CHECK_EQ(eval("GET", INM("W/" TAG)), 304);
	CHECK_EQ(eval("GET", INM("\"x\", " TAG)), 304);
	CHECK_EQ(eval("GET", INM("*")), 304);
	CHECK_EQ(eval("GET", INM("\"x\"")), 200);
	/* one list over two lines */
	CHECK_EQ(eval("GET", INM("\"x\"") INM(TAG)), 304);
	/* malformed: ignored */
	CHECK_EQ(eval("GET", INM("a-b-c")), 200);
}

TEST(cond_if_modified_since)
{
	CHECK_EQ(eval("GET", IMS(LM)), 304);
	CHECK_EQ(eval("HEAD", IMS(AFTER)), 304);
	CHECK_EQ(eval("GET", IMS(BEFORE)), 200);
	CHECK_EQ(eval("GET", IMS("Sunday, 06-Nov-94 08:49:37 GMT")), 304);
	CHECK_EQ(eval("GET", IMS("Sun Nov  6 08:49:37 1994")), 304);
	/* MUST be ignored: not a date, twice, or a method other than GET/HEAD */
	CHECK_EQ(eval("GET", IMS("yesterday")), 200);
	CHECK_EQ(eval("GET", IMS(LM) IMS(LM)), 200);
	CHECK_EQ(eval("DELETE", IMS(LM)), 200);
}

TEST(cond_if_none_match_overrides_if_modified_since)
{
	CHECK_EQ(eval("GET", INM("\"x\"") IMS(LM)), 200);
	CHECK_EQ(eval("GET", IMS(BEFORE) INM(TAG)), 304);
	/* a malformed If-None-Match is absent, so If-Modified-Since counts */
	CHECK_EQ(eval("GET", INM("a-b-c") IMS(LM)), 304);
}

TEST(cond_if_match)
{
	CHECK_EQ(eval("GET", IM(TAG)), 200);
	CHECK_EQ(eval("GET", IM("\"x\"")), 412);
	CHECK_EQ(eval("GET", IM("W/" TAG)), 412); /* strong comparison */
	CHECK_EQ(eval("GET", IM("*")), 200);
	CHECK_EQ(eval("PUT", IM("\"x\"")), 412);
	CHECK_EQ(eval("GET", IM("\"x\"") IM(TAG)), 200);
	CHECK_EQ(eval("GET", IM("")), 412);      /* an empty list matches nothing */
	CHECK_EQ(eval("GET", IM("a-b-c")), 200); /* malformed: ignored */
}

TEST(cond_if_unmodified_since)
{
	CHECK_EQ(eval("GET", IUS(LM)), 200);
	CHECK_EQ(eval("GET", IUS(AFTER)), 200);
	CHECK_EQ(eval("GET", IUS(BEFORE)), 412);
	CHECK_EQ(eval("GET", IUS("junk")), 200);
	CHECK_EQ(eval("GET", IUS(BEFORE) IUS(BEFORE)), 200);
	/* If-Match decides instead of If-Unmodified-Since (step 1) */
	CHECK_EQ(eval("GET", IM(TAG) IUS(BEFORE)), 200);
	CHECK_EQ(eval("GET", IM("a-b-c") IUS(BEFORE)), 412);
}

TEST(cond_412_steps_come_before_304_steps)
{
	CHECK_EQ(eval("GET", IM("\"x\"") INM(TAG)), 412);
	CHECK_EQ(eval("GET", IUS(BEFORE) IMS(LM)), 412);
	CHECK_EQ(eval("GET", IM(TAG) INM(TAG)), 304);
}

TEST(cond_range_is_the_last_step)
{
	CHECK_EQ(eval("GET", RG("bytes=0-9")), 206);
	CHECK(rng.first == 0 && rng.last == 9);
	CHECK_EQ(eval("GET", RG("bytes=100-")), 416);
	CHECK_EQ(eval("GET", RG("bytes=0-9") INM(TAG)), 304);
	CHECK_EQ(eval("GET", RG("bytes=0-9") IM("\"x\"")), 412);
	CHECK_EQ(eval("GET", RG("bytes=0-9") IMS(BEFORE)), 206);
	CHECK_EQ(eval("HEAD", RG("bytes=0-9")), 200); /* only GET has ranges */
	CHECK_EQ(eval("DELETE", RG("bytes=0-9")), 200);
	CHECK_EQ(eval("GET", RG("bytes=0-9") RG("bytes=0-9")), 200);
	CHECK_EQ(eval("GET", RG("items=0-9")), 200);
}

TEST(cond_if_range_decides_whether_range_applies)
{
	CHECK_EQ(eval("GET", RG("bytes=10-19") IR(TAG)), 206);
	CHECK(rng.first == 10 && rng.last == 19);
	CHECK_EQ(eval("GET", RG("bytes=10-19") IR("W/" TAG)), 200);
	CHECK_EQ(eval("GET", RG("bytes=10-19") IR("\"x\"")), 200);
	CHECK_EQ(eval("GET", RG("bytes=10-19") IR(LM)), 206);
	CHECK_EQ(eval("GET", RG("bytes=10-19") IR(AFTER)), 200);
	CHECK_EQ(eval("GET", RG("bytes=10-19") IR(TAG) IR(TAG)), 200);
	CHECK_EQ(eval("GET", RG("bytes=500-") IR(TAG)), 416);
	CHECK_EQ(eval("GET", RG("bytes=500-") IR("\"x\"")), 200);
	CHECK_EQ(eval("GET", IR(TAG)), 200); /* no Range: nothing to apply */
}

TEST(cond_without_validators)
{
	struct rk_http_validators none = { { NULL, 0 }, RK_HTTP_NO_DATE, NOW, 100 };
	CHECK_EQ(eval_v("GET", INM(TAG), &none), 200);
	CHECK_EQ(eval_v("GET", INM("*"), &none), 304); /* the resource exists */
	CHECK_EQ(eval_v("GET", IM("*"), &none), 200);
	CHECK_EQ(eval_v("GET", IM(TAG), &none), 412);
	CHECK_EQ(eval_v("GET", IMS(LM), &none), 200);
	CHECK_EQ(eval_v("GET", IUS(BEFORE), &none), 200);
	CHECK_EQ(eval_v("GET", RG("bytes=0-0") IR(LM), &none), 200);
}
