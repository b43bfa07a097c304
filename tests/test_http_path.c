/* tests/test_http_path.c - the request target as a path (src/http/path.c):
 * RFC 3986 §3 split of origin- and absolute-form targets, percent-decoding
 * (§2.1) and dot-segment removal (§5.2.4), with the hostile targets a
 * traversal or a routing bypass would try, as a table of bytes -> outcome.
 * Then the query helpers, and the bound on the path's length.
 */
#include "harness.h"

#include <rocket/http_path.h>

#include <stdbool.h>

#define NOQ ((const char *)0) /* no '?' in the target */

struct tc {
	const char *name, *t;
	size_t len;
	int ret;
	const char *path, *query;
	bool slash;
};

#define OK(nm, t_, p_, q_, sl)                                                                     \
	{                                                                                          \
		nm, t_, sizeof(t_) - 1, 0, p_, q_, sl                                              \
	}
#define BAD(nm, t_)                                                                                \
	{                                                                                          \
		nm, t_, sizeof(t_) - 1, -400, 0, 0, 0                                              \
	}

static const struct tc cases[] = {
	/* ---- ordinary ---- */
	OK("root", "/", "/", NOQ, true),
	OK("plain", "/plaintext", "/plaintext", NOQ, false),
	OK("query_kept_undecoded", "/a?x=%2F&y=..%5c", "/a", "x=%2F&y=..%5c", false),
	OK("empty_query", "/a?", "/a", "", false),
	OK("query_may_hold_slash_and_question", "/a?b/c?d", "/a", "b/c?d", false),
	OK("query_may_hold_backslash", "/a?q\\x", "/a", "q\\x", false),
	OK("trailing_slash", "/a/b/", "/a/b/", NOQ, true),
	OK("pct_space", "/a%20b", "/a b", NOQ, false),
	OK("pct_upper_and_lower_hex", "/%41%6a", "/Aj", NOQ, false),
	OK("raw_brackets_pipes_as_browsers_send", "/a[1]|{b}^`", "/a[1]|{b}^`", NOQ, false),
	OK("three_dots_is_a_name", "/...", "/...", NOQ, false),
	OK("dotdot_semicolon_is_a_name", "/..;/admin", "/..;/admin", NOQ, false),
	OK("dot_prefix_is_a_name", "/.well-known/x", "/.well-known/x", NOQ, false),
	/* ---- dot-segments, RFC 3986 §5.2.4 ---- */
	OK("dotdot_in_middle", "/x/../plaintext", "/plaintext", NOQ, false),
	OK("dot_first", "/./a", "/a", NOQ, false),
	OK("dotdot_at_root", "/..", "/", NOQ, true),
	OK("dotdot_above_root", "/../../../etc/passwd", "/etc/passwd", NOQ, false),
	OK("dots_everywhere", "/a/./b/./c", "/a/b/c", NOQ, false),
	OK("trailing_dot_keeps_slash", "/a/.", "/a/", NOQ, true),
	OK("trailing_dotdot", "/a/b/..", "/a/", NOQ, true),
	OK("dotdot_chain_to_root", "/a/b/../../..", "/", NOQ, true),
	OK("dotdot_after_empty_segment", "/a//../b", "/b", NOQ, false),
	/* ---- encoded dots are decoded first, so removed too ---- */
	OK("enc_dotdot", "/%2e%2e/etc/passwd", "/etc/passwd", NOQ, false),
	OK("enc_dotdot_upper", "/a/%2E%2E/b", "/b", NOQ, false),
	OK("enc_half_dotdot", "/a/.%2e/b", "/b", NOQ, false),
	OK("enc_other_half_dotdot", "/a/%2E./b", "/b", NOQ, false),
	OK("enc_dot", "/%2e/a", "/a", NOQ, false),
	OK("enc_dotdot_last", "/a/%2e%2e", "/", NOQ, true),
	/* one decode only: "%25" is '%', the rest stays literal */
	OK("double_enc_dotdot_stays_literal", "/%252e%252e/a", "/%2e%2e/a", NOQ, false),
	OK("double_enc_slash_stays_literal", "/a%252fb", "/a%2fb", NOQ, false),
	OK("double_enc_letter", "/%2561", "/%61", NOQ, false),
	/* overlong UTF-8 for '.' is two bytes, not a dot */
	OK("overlong_utf8_dot_is_bytes", "/%c0%ae%c0%ae/x", "/\xc0\xae\xc0\xae/x", NOQ, false),
	OK("utf8_bytes", "/caf%C3%A9", "/caf\xc3\xa9", NOQ, false),
	/* ---- empty segments collapse ---- */
	OK("double_slash", "//etc//passwd", "/etc/passwd", NOQ, false),
	OK("only_slashes", "////", "/", NOQ, true),
	OK("double_slash_trailing", "/a//", "/a/", NOQ, true),
	/* ---- absolute-form, RFC 9112 §3.2.2 ---- */
	OK("abs_query_is_not_path", "http://a?/plaintext", "/", "/plaintext", true),
	OK("abs_no_path", "http://h", "/", NOQ, true),
	OK("abs_path", "http://example.com/a/b?x", "/a/b", "x", false),
	OK("abs_https_port_dots", "https://h:8443/a/../b?x", "/b", "x", false),
	OK("abs_scheme_case_insensitive", "HTTP://h/a", "/a", NOQ, false),
	OK("abs_ipv6", "http://[::1]:8080/a", "/a", NOQ, false),
	OK("abs_empty_port", "http://h:/a", "/a", NOQ, false),
	/* ---- refused ---- */
	BAD("empty", ""),
	BAD("enc_slash_lower", "/a%2fb"),
	BAD("enc_slash_upper", "/a%2Fb"),
	BAD("enc_slash_in_dotdot", "/a/..%2f..%2fetc"),
	BAD("enc_backslash_lower", "/a%5cb"),
	BAD("enc_backslash_upper", "/..%5C..%5Cwin.ini"),
	BAD("backslash", "/a\\b"),
	BAD("backslash_dotdot", "/..\\..\\x"),
	BAD("nul", "/a%00.html"),
	BAD("nul_at_end", "/a%00"),
	BAD("crlf_injection", "/a%0d%0aSet-Cookie:%20x"),
	BAD("del", "/%7f"),
	BAD("tab", "/a%09"),
	BAD("bad_escape_letters", "/a%zz"),
	BAD("bad_escape_one_digit", "/a%4"),
	BAD("bad_escape_at_end", "/a%"),
	BAD("bad_escape_second_nibble", "/%4g"),
	BAD("bad_escape_before_slash", "/a%2/b"),
	BAD("fragment", "/a#frag"),
	BAD("fragment_in_query", "/a?b#c"),
	BAD("space", "/a b"),
	BAD("byte_8bit", "/\x80"),
	BAD("ctl", "/\x01"),
	BAD("asterisk_form", "*"),
	BAD("relative", "a/b"),
	BAD("abs_one_slash", "http:/plaintext"),
	BAD("abs_other_scheme_one_slash", "x:/plaintext"),
	BAD("abs_other_scheme", "ftp://h/a"),
	BAD("abs_scheme_prefix", "httpx://h/a"),
	BAD("abs_no_colon", "http"),
	BAD("abs_authority_like", "example.com:443"),
	BAD("abs_empty_host", "http:///a"),
	BAD("abs_empty_host_port", "http://:80/a"),
	BAD("abs_userinfo", "http://u@h/a"),
	BAD("abs_userinfo_pass", "http://u:p@h/a"),
	BAD("abs_port_letters", "http://h:80x/"),
	BAD("abs_unclosed_ipv6", "http://[::1/a"),
	BAD("abs_empty_ipv6", "http://[]/a"),
	BAD("abs_enc_slash", "http://h/a%2f..%2f..%2fetc"),
};

static void run(const struct tc *c)
{
	char *t = malloc(c->len ? c->len : 1), buf[256];
	struct rk_http_target tg;
	memcpy(t, c->t, c->len); /* exact size: ASan sees a read past it */
	memset(buf, '#', sizeof(buf));
	int r = rk_http_target_parse(t, c->len, buf, sizeof(buf), &tg);
	CHECK_MSG(r == c->ret, "%s: got %d, expected %d", c->name, r, c->ret);
	if (r == 0) {
		CHECK_MSG(tg.path.p == buf && tg.path.n == strlen(c->path) &&
				  memcmp(buf, c->path, tg.path.n) == 0,
			  "%s: path '%.*s', expected '%s'", c->name, (int)tg.path.n, buf, c->path);
		if (c->query == NOQ)
			CHECK_MSG(tg.query.p == NULL && tg.query.n == 0, "%s: query", c->name);
		else
			CHECK_MSG(tg.query.p && tg.query.n == strlen(c->query) &&
					  memcmp(tg.query.p, c->query, tg.query.n) == 0,
				  "%s: query '%.*s', expected '%s'", c->name, (int)tg.query.n,
				  tg.query.p, c->query);
		CHECK_MSG(tg.trailing_slash == c->slash, "%s: trailing slash", c->name);
		CHECK_MSG(tg.path.n <= c->len, "%s: longer than the target", c->name);
		/* scratch use of buf stays within the input's length */
		CHECK_MSG(buf[c->len] == '#', "%s: wrote past n bytes", c->name);
	}
	free(t);
}

TEST(path_table)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run(&cases[i]);
	printf("  %zu table cases\n", sizeof(cases) / sizeof(cases[0]));
}

TEST(path_table_names_unique)
{
	size_t n = sizeof(cases) / sizeof(cases[0]);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			CHECK_MSG(strcmp(cases[i].name, cases[j].name) != 0, "dup %s",
				  cases[i].name);
}

static bool str_is(struct rk_http_str s, const char *want)
{
	return s.p && s.n == strlen(want) && memcmp(s.p, want, s.n) == 0;
}

TEST(split_gives_views_of_each_part)
{
	struct rk_http_target tg;
	const char *t = "https://Example.com:8443/a%2e/b?x=1";
	CHECK_EQ(rk_http_target_split(t, strlen(t), &tg), 0);
	CHECK(str_is(tg.scheme, "https"));
	CHECK(str_is(tg.authority, "Example.com:8443"));
	CHECK(str_is(tg.raw_path, "/a%2e/b"));
	CHECK(str_is(tg.query, "x=1"));
	CHECK(tg.path.p == NULL); /* only rk_http_target_parse normalizes */
	t = "/o?q";
	CHECK_EQ(rk_http_target_split(t, strlen(t), &tg), 0);
	CHECK(tg.scheme.p == NULL && tg.authority.p == NULL);
	CHECK(str_is(tg.raw_path, "/o"));
	CHECK(str_is(tg.query, "q"));
}

TEST(split_and_normalize_each_refuse_a_backslash)
{
	struct rk_http_target tg;
	char out[16];
	/* each on its own, so neither relies on the other having run */
	CHECK_EQ(rk_http_target_split("/a\\b", 4, &tg), -400);
	CHECK_EQ(rk_http_target_split("/a?b\\c", 6, &tg), 0); /* in a query: data */
	CHECK_EQ(rk_http_path_normalize("/a\\b", 4, out, sizeof(out)), -400);
	CHECK_EQ(rk_http_path_normalize("/a%5cb", 6, out, sizeof(out)), -400);
}

TEST(normalize_needs_a_leading_slash)
{
	char out[16];
	CHECK_EQ(rk_http_path_normalize("a/b", 3, out, sizeof(out)), -400);
	CHECK_EQ(rk_http_path_normalize("", 0, out, sizeof(out)), -400);
	CHECK_EQ(rk_http_path_normalize("/a/../b", 7, out, sizeof(out)), 2);
	CHECK(!memcmp(out, "/b", 2));
}

TEST(long_path_up_to_cap_then_414)
{
	size_t cap = 4096;
	char *in = malloc(cap + 1), *out = malloc(cap);
	in[0] = '/';
	memset(in + 1, 'a', cap);
	CHECK_EQ(rk_http_path_normalize(in, cap, out, cap), (int)cap);
	CHECK(!memcmp(out, in, cap));
	CHECK_EQ(rk_http_path_normalize(in, cap + 1, out, cap), -414);
	/* decided on the input length, even when ".." would shorten it */
	memcpy(in + cap - 3, "/..", 3);
	CHECK_EQ(rk_http_path_normalize(in, cap, out, cap - 1), -414);
	CHECK_EQ(rk_http_path_normalize(in, cap, out, cap), 1);
	struct rk_http_target tg;
	CHECK_EQ(rk_http_target_parse(in, cap, out, cap - 1, &tg), -414);
	free(in);
	free(out);
}

TEST(pct_decode_values)
{
	char out[32];
	CHECK_EQ(rk_http_pct_decode("a%20b+c", 7, out, sizeof(out), 0), 5);
	CHECK(!memcmp(out, "a b+c", 5));
	CHECK_EQ(rk_http_pct_decode("a%20b+c", 7, out, sizeof(out), RK_HTTP_PCT_PLUS), 5);
	CHECK(!memcmp(out, "a b c", 5));
	/* %2B is a plus even in form mode: only a literal '+' is a space */
	CHECK_EQ(rk_http_pct_decode("%2B", 3, out, sizeof(out), RK_HTTP_PCT_PLUS), 1);
	CHECK_EQ(out[0], '+');
	CHECK_EQ(rk_http_pct_decode("%2f%5C", 6, out, sizeof(out), 0), 2); /* fine in a value */
	CHECK(!memcmp(out, "/\\", 2));
	CHECK_EQ(rk_http_pct_decode("%zz", 3, out, sizeof(out), 0), -400);
	CHECK_EQ(rk_http_pct_decode("%4", 2, out, sizeof(out), 0), -400);
	CHECK_EQ(rk_http_pct_decode("a%", 2, out, sizeof(out), 0), -400);
	CHECK_EQ(rk_http_pct_decode("%00", 3, out, sizeof(out), 0), -400);
	CHECK_EQ(rk_http_pct_decode("", 0, out, 0, 0), 0);
	CHECK_EQ(rk_http_pct_decode("abc", 3, out, 2, 0), RK_HTTP_ENOSPC);
	CHECK_EQ(rk_http_pct_decode("%41bc", 5, out, 3, 0), 3); /* fits decoded */
	char inplace[] = "x%3Dy%26z";
	CHECK_EQ(rk_http_pct_decode(inplace, 9, inplace, 9, 0), 5);
	CHECK(!memcmp(inplace, "x=y&z", 5));
}

TEST(query_get_finds_the_first_parameter)
{
	struct rk_http_str q = { "a=1&b=&c&a=2&d%5B%5D=x&e+f=y&g=%41", 34 }, v;
	CHECK(rk_http_query_get(q, "a", &v) && str_is(v, "1"));
	CHECK(rk_http_query_get(q, "b", &v) && v.n == 0);
	CHECK(rk_http_query_get(q, "c", &v) && v.n == 0);
	CHECK(rk_http_query_get(q, "d[]", &v) && str_is(v, "x")); /* key decoded */
	CHECK(rk_http_query_get(q, "e f", &v) && str_is(v, "y")); /* '+' in a key */
	CHECK(rk_http_query_get(q, "g", &v) && str_is(v, "%41")); /* value undecoded */
	CHECK(!rk_http_query_get(q, "z", &v));
	CHECK(!rk_http_query_get(q, "", &v));
	CHECK(!rk_http_query_get(q, "a=1", &v));
	struct rk_http_str bad = { "%zz=1&k=2", 9 };
	CHECK(!rk_http_query_get(bad, "%zz", &v));
	CHECK(rk_http_query_get(bad, "k", &v) && str_is(v, "2"));
	struct rk_http_str none = { NULL, 0 }, empty = { "", 0 }, amp = { "&&x=1&", 6 };
	CHECK(!rk_http_query_get(none, "x", &v));
	CHECK(!rk_http_query_get(empty, "x", &v));
	CHECK(rk_http_query_get(amp, "x", &v) && str_is(v, "1"));
	/* "k" is not a prefix match of "key" */
	struct rk_http_str pre = { "key=1&k=2", 9 };
	CHECK(rk_http_query_get(pre, "k", &v) && str_is(v, "2"));
}
