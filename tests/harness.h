/* tests/harness.h - the tiny test harness every tests/test_*.c uses.
 *
 * A test is a function declared with TEST(name). Each runs in its own forked
 * child with an alarm, so a crash or a hang fails that test alone. Each
 * binary prints one line per test ("ok name" / "FAIL name: why") and a last
 * line "N passed, M failed"; tests/run.sh adds the binaries' counts up.
 */
#ifndef ROCKET_TEST_HARNESS_H
#define ROCKET_TEST_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct th_test {
	const char *name;
	void (*fn)(void);
	unsigned timeout_s;
	struct th_test *next;
};

void th_register(struct th_test *t);
void th_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));

/* TEST(name) { ... }  - registers a test with the default 60 s timeout.
 * TEST_T(name, secs)  - the same with its own timeout. */
#define TEST_T(name, secs)                                                                         \
	static void th_fn_##name(void);                                                            \
	static struct th_test th_t_##name = { #name, th_fn_##name, secs, 0 };                      \
	__attribute__((constructor)) static void th_reg_##name(void)                               \
	{                                                                                          \
		th_register(&th_t_##name);                                                         \
	}                                                                                          \
	static void th_fn_##name(void)
#define TEST(name) TEST_T(name, 60)

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			th_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                           \
	} while (0)

#define CHECK_EQ(a, b)                                                                             \
	do {                                                                                       \
		long long th_a = (long long)(a), th_b = (long long)(b);                            \
		if (th_a != th_b)                                                                  \
			th_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", #a, th_a,   \
				#b, th_b);                                                         \
	} while (0)

#define CHECK_MSG(cond, ...)                                                                       \
	do {                                                                                       \
		if (!(cond))                                                                       \
			th_fail(__FILE__, __LINE__, __VA_ARGS__);                                  \
	} while (0)

#endif
