/* tests/fuzz_http.h - what the two files of the libFuzzer target share:
 * the assertion that stops a run, and the static-file helpers' targets
 * (tests/fuzz_http_static.c) that tests/fuzz_http.c dispatches to.
 */
#ifndef ROCKET_TEST_FUZZ_HTTP_H
#define ROCKET_TEST_FUZZ_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#define ASSERT(c)                                                                                  \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "%s:%d: assertion %s\n", __FILE__, __LINE__, #c);          \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

void fuzz_path(const char *in, size_t n, bool variant);
void fuzz_range(const char *in, size_t n, bool variant);
void fuzz_date(const char *in, size_t n);
void fuzz_cond(const char *in, size_t n, bool variant);
void fuzz_coding(const char *in, size_t n);

#endif
