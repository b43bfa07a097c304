/* include/rocket/addr.h - parse "127.0.0.1", "::", "::1", "[::1]" into a
 * socket address, and print one back, without libc (inet_pton(3) and
 * inet_ntop(3) semantics, no host names).
 * Read next: src/lib/addr.c.
 */
#ifndef ROCKET_ADDR_H
#define ROCKET_ADDR_H

#include <stddef.h>
#include <stdint.h>

#include "abi/linux.h"

/* Fill sa for host and port. Returns the sockaddr length or -EINVAL. */
int rk_addr_parse(const char *host, uint16_t port, struct rk_sockaddr *sa);

/* "127.0.0.1:8080", "[::1]:8080" (RFC 5952: lower case, the longest run of
 * two or more zero groups as "::"), or "?" for another family. Returns
 * the length, as rk_fmt does. */
size_t rk_addr_format(const struct rk_sockaddr *sa, char *buf, size_t cap);
/* The address alone ("127.0.0.1", "::1"), an IPv4-mapped IPv6 address
 * (a v4 client of a dual-stack socket) as IPv4; "-" for another family. */
size_t rk_addr_host(const struct rk_sockaddr *sa, char *buf, size_t cap);

#endif
