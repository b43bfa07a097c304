/* include/rocket/fmt.h - formatting and parsing numbers without libc.
 *
 * A small printf subset for start-up lines, stats and errors, and strict
 * number parsing for command-line flags. Used by both builds.
 * Conversions: %s %.*s %c %d %i %u %x %p %% with l/ll/z length modifiers,
 * optional '-' flag, '0' padding and a width (e.g. %-12s %08x %5u).
 * Read next: src/lib/fmt.c.
 */
#ifndef ROCKET_FMT_H
#define ROCKET_FMT_H

#include <stddef.h>
#include <stdint.h>

/* Format into buf (always NUL-terminated when cap > 0). Returns the length
 * written, excluding the NUL; output beyond cap - 1 is cut. */
size_t rk_vfmt(char *buf, size_t cap, const char *fmt, __builtin_va_list ap);
size_t rk_fmt(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Format (up to 1 KiB) and write(2) all of it to fd. */
void rk_dprint(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parse decimal digits s[0..n) (no sign, no spaces) into *out.
 * Returns 0, -EINVAL (empty or a non-digit) or -ERANGE (overflow). */
int rk_parse_u64(const char *s, size_t n, uint64_t *out);

/* Name of an errno value ("ENOBUFS"), or "E?" when unknown. */
const char *rk_errno_name(int err);

#endif
