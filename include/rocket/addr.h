/* include/rocket/addr.h - parse "127.0.0.1", "::", "::1", "[::1]" into a
 * socket address, without libc (inet_pton(3) semantics, no host names).
 * Read next: src/lib/addr.c.
 */
#ifndef ROCKET_ADDR_H
#define ROCKET_ADDR_H

#include <stdint.h>

#include "abi/linux.h"

/* Fill sa for host and port. Returns the sockaddr length or -EINVAL. */
int rk_addr_parse(const char *host, uint16_t port, struct rk_sockaddr *sa);

#endif
