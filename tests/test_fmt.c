/* tests/test_fmt.c - rk_fmt agrees with snprintf on its subset; truncation;
 * rk_dprint; rk_parse_u64 and rk_errno_name.
 * Only rocket/fmt.h and libc here: rocket/abi/linux.h would redefine libc's
 * macros (SOCK_NONBLOCK, ...), so errno values come from <errno.h>.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "rocket/fmt.h"

/* Both formatters, same arguments; compares the text and the length. */
#define SAME(fmt, ...)                                                                             \
	do {                                                                                       \
		char th_a[256], th_b[256];                                                         \
		size_t th_n = rk_fmt(th_a, sizeof(th_a), fmt, __VA_ARGS__);                        \
		int th_m = snprintf(th_b, sizeof(th_b), fmt, __VA_ARGS__);                         \
		CHECK_MSG(th_n == (size_t)th_m && strcmp(th_a, th_b) == 0,                         \
			  "format \"%s\": rk_fmt gave \"%s\" (%zu), snprintf \"%s\" (%d)", fmt,    \
			  th_a, th_n, th_b, th_m);                                                 \
	} while (0)

TEST(fmt_ints_match_snprintf)
{
	static const char *const fmts[] = {
		"%d",      "%i",   "%5d",    "%-5d|", "%05d",   "%.3d", "%8.3d",
		"%-8.3d|", "%.0d", "%08.3d", "%1d",   "%-05d|", "[%d]", "%d%%",
	};
	static const int vals[] = { 0, 1, -1, 7, -42, 12345, 1000000, INT_MAX, INT_MIN };
	for (size_t f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++)
		for (size_t v = 0; v < sizeof(vals) / sizeof(vals[0]); v++)
			SAME(fmts[f], vals[v]);
}

TEST(fmt_unsigned_and_hex_match_snprintf)
{
	static const char *const fmts[] = {
		"%u", "%x", "%X", "%08x", "%-8x|", "%8u", "%.4x", "%010u", "%.0x", "x=%x.",
	};
	static const unsigned vals[] = { 0, 1, 9, 10, 15, 16, 255, 0xdeadbeef, UINT_MAX };
	for (size_t f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++)
		for (size_t v = 0; v < sizeof(vals) / sizeof(vals[0]); v++)
			SAME(fmts[f], vals[v]);
}

TEST(fmt_long_and_size_modifiers_match_snprintf)
{
	static const long lv[] = { 0, -1, LONG_MAX, LONG_MIN, 1234567890123L };
	static const unsigned long long uv[] = { 0, 1, ULLONG_MAX, 0x123456789abcdefULL };
	for (size_t i = 0; i < sizeof(lv) / sizeof(lv[0]); i++) {
		SAME("%ld", lv[i]);
		SAME("%25ld|", lv[i]);
		SAME("%-25ld|", lv[i]);
		SAME("%025ld", lv[i]);
		SAME("%lld", (long long)lv[i]);
		SAME("%zd", (ssize_t)lv[i]);
		SAME("%li", lv[i]);
	}
	for (size_t i = 0; i < sizeof(uv) / sizeof(uv[0]); i++) {
		SAME("%llu", uv[i]);
		SAME("%llx", uv[i]);
		SAME("%020llx", uv[i]);
		SAME("%lu", (unsigned long)uv[i]);
		SAME("%lx", (unsigned long)uv[i]);
		SAME("%zu", (size_t)uv[i]);
		SAME("%zx", (size_t)uv[i]);
		SAME("%-22zu|", (size_t)uv[i]);
	}
}

TEST(fmt_strings_and_chars_match_snprintf)
{
	static const char *const fmts[] = { "%s",      "%10s|",   "%-10s|", "%.3s",
					    "%10.2s|", "%-6.4s|", "%.0s|",  "<%s>" };
	static const char *const vals[] = { "", "a", "hello", "hello, world" };
	for (size_t f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++)
		for (size_t v = 0; v < sizeof(vals) / sizeof(vals[0]); v++)
			SAME(fmts[f], vals[v]);
	for (int prec = -1; prec < 8; prec++)
		SAME("%.*s|", prec, "abcdef");
	SAME("%*s|", 6, "ab");
	SAME("%*s|", -6, "ab");
	const char *volatile null_str = NULL; /* hidden from -Wformat-overflow */
	SAME("%s", null_str);
	SAME("%c", 'x');
	SAME("%3c|", 'y');
	SAME("%-3c|", 'z');
	SAME("%c%c%c", 'a', 'b', 'c');
	SAME("%s=%d %s=%x (%c)", "port", 8080, "flags", 0x3f, '!');
}

TEST(fmt_precision_string_need_not_be_terminated)
{
	char raw[4] = { 'G', 'E', 'T', 'X' }; /* no NUL anywhere */
	char out[16];
	CHECK_EQ(rk_fmt(out, sizeof(out), "[%.*s]", 3, raw), 5);
	CHECK(strcmp(out, "[GET]") == 0);
}

TEST(fmt_pointers_match_snprintf)
{
	int x;
	void *ps[] = { &x, (void *)0x1000, (void *)UINTPTR_MAX, NULL };
	for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		SAME("%p", ps[i]);
		SAME("%20p|", ps[i]);
		SAME("%-20p|", ps[i]);
	}
}

TEST(fmt_percent_and_literal_text)
{
	char out[32];
	CHECK_EQ(rk_fmt(out, sizeof(out), "100%%"), 4);
	CHECK(strcmp(out, "100%") == 0);
	CHECK_EQ(rk_fmt(out, sizeof(out), "no conversions"), 14);
	CHECK(strcmp(out, "no conversions") == 0);
	CHECK_EQ(rk_fmt(out, sizeof(out), "%s", ""), 0);
	CHECK(out[0] == '\0');
}

TEST(fmt_truncates_and_always_terminates)
{
	char out[16];
	memset(out, 'Z', sizeof(out));
	CHECK_EQ(rk_fmt(out, 6, "hello, %s", "world"), 5);
	CHECK(strcmp(out, "hello") == 0);
	CHECK(out[6] == 'Z'); /* nothing written past cap */

	memset(out, 'Z', sizeof(out));
	CHECK_EQ(rk_fmt(out, 1, "abc"), 0);
	CHECK(out[0] == '\0' && out[1] == 'Z');

	memset(out, 'Z', sizeof(out));
	CHECK_EQ(rk_fmt(out, 0, "abc"), 0);
	CHECK(out[0] == 'Z'); /* cap 0: buffer untouched */

	/* Cut in the middle of padding and of a number: same bytes as snprintf.
	 * (The format goes through a volatile so gcc does not warn about the
	 * truncation this test wants.) */
	const char *volatile f = "%08d|%-4s|";
	for (size_t cap = 1; cap <= 16; cap++) {
		char a[16], b[16];
		size_t n = rk_fmt(a, cap, f, -123, "ab");
		int m = snprintf(b, cap, f, -123, "ab");
		CHECK_EQ(n, (size_t)m < cap ? (size_t)m : cap - 1);
		CHECK(strcmp(a, b) == 0);
	}
}

TEST(fmt_long_output_is_cut_at_cap)
{
	char out[64];
	size_t n = rk_fmt(out, sizeof(out), "%100s", "x");
	CHECK_EQ(n, sizeof(out) - 1);
	CHECK(out[62] == ' ' && out[63] == '\0');
}

TEST(dprint_writes_whole_line)
{
	int p[2];
	CHECK(pipe(p) == 0);
	rk_dprint(p[1], "rocket: %d threads on port %u, %s\n", 4, 8080u, "ready");
	close(p[1]);
	char buf[128];
	ssize_t n = read(p[0], buf, sizeof(buf) - 1);
	CHECK(n > 0);
	buf[n] = '\0';
	CHECK(strcmp(buf, "rocket: 4 threads on port 8080, ready\n") == 0);
}

TEST(dprint_cuts_at_one_kib)
{
	int p[2];
	CHECK(pipe(p) == 0);
	rk_dprint(p[1], "%2000s", "end");
	close(p[1]);
	char buf[4096];
	ssize_t total = 0, n;
	while ((n = read(p[0], buf + total, sizeof(buf) - (size_t)total)) > 0)
		total += n;
	CHECK_EQ(total, 1023);
}

TEST(parse_u64_accepts_digits)
{
	uint64_t v = 1;
	CHECK_EQ(rk_parse_u64("0", 1, &v), 0);
	CHECK(v == 0);
	CHECK_EQ(rk_parse_u64("8080", 4, &v), 0);
	CHECK(v == 8080);
	CHECK_EQ(rk_parse_u64("007", 3, &v), 0);
	CHECK(v == 7);
	CHECK_EQ(rk_parse_u64("123456", 3, &v), 0); /* only s[0..n) counts */
	CHECK(v == 123);
	CHECK_EQ(rk_parse_u64("18446744073709551615", 20, &v), 0);
	CHECK(v == UINT64_MAX);
	CHECK_EQ(rk_parse_u64("000000000000000000000000018446744073709551615", 45, &v), 0);
	CHECK(v == UINT64_MAX);
}

TEST(parse_u64_rejects_non_digits)
{
	uint64_t v = 42;
	static const char *const bad[] = { "",   "x",  "12a", "a12",  "+1", "-1",
					   " 1", "1 ", "1.5", "0x10", "1e3" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_MSG(rk_parse_u64(bad[i], strlen(bad[i]), &v) == -EINVAL,
			  "\"%s\" not rejected", bad[i]);
	CHECK_EQ(rk_parse_u64("5", 0, &v), -EINVAL);
	CHECK(v == 42); /* untouched on error */
}

TEST(parse_u64_reports_overflow)
{
	uint64_t v = 42;
	CHECK_EQ(rk_parse_u64("18446744073709551616", 20, &v), -ERANGE);
	CHECK_EQ(rk_parse_u64("18446744073709551620", 20, &v), -ERANGE);
	CHECK_EQ(rk_parse_u64("99999999999999999999", 20, &v), -ERANGE);
	CHECK_EQ(rk_parse_u64("100000000000000000000", 21, &v), -ERANGE);
	CHECK(v == 42);
}

TEST(errno_names)
{
	CHECK(strcmp(rk_errno_name(ENOBUFS), "ENOBUFS") == 0);
	CHECK(strcmp(rk_errno_name(-ENOBUFS), "ENOBUFS") == 0);
	CHECK(strcmp(rk_errno_name(EINVAL), "EINVAL") == 0);
	CHECK(strcmp(rk_errno_name(EAGAIN), "EAGAIN") == 0);
	CHECK(strcmp(rk_errno_name(ECANCELED), "ECANCELED") == 0);
	CHECK(strcmp(rk_errno_name(EPERM), "EPERM") == 0);
	CHECK(strcmp(rk_errno_name(0), "E?") == 0);
	CHECK(strcmp(rk_errno_name(41), "E?") == 0); /* unassigned */
	CHECK(strcmp(rk_errno_name(134), "E?") == 0);
	CHECK(strcmp(rk_errno_name(100000), "E?") == 0);
	CHECK(strcmp(rk_errno_name(INT_MIN), "E?") == 0);
}

/* Every errno the kernel's uapi headers name has its name, the one glibc
 * gives it (EAGAIN, not its alias EWOULDBLOCK). */
TEST(errno_names_cover_every_errno_like_glibc)
{
	int named = 0;
	for (int e = 1; e <= 133; e++) {
		const char *want = strerrorname_np(e);
		const char *got = rk_errno_name(e);
		CHECK_MSG(strcmp(got, want ? want : "E?") == 0, "errno %d: %s, glibc: %s", e, got,
			  want ? want : "(none)");
		CHECK(strcmp(rk_errno_name(-e), got) == 0);
		named += want != NULL;
	}
	CHECK_EQ(named, 131);
	CHECK(strcmp(rk_errno_name(-524), "ENOTSUPP") == 0);
}
