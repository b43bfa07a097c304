/* tools/arena/routes.h - rocket-arena's routes, one per HttpArena profile,
 * written on the public route API (include/rocket/server.h) alone:
 *   GET|POST /baseline11?a=A&b=B   text/plain A + B (+ the integer body)
 *   GET /pipeline                  text/plain "ok"
 *   GET /json/{count}?m=M          application/json, from the data set
 *   POST /upload                   text/plain: body bytes received
 * Read next: tools/arena/routes.c.
 */
#ifndef ROCKET_ARENA_ROUTES_H
#define ROCKET_ARENA_ROUTES_H

#include <stdbool.h>
#include <stdint.h>

#include "data.h"
#include "rocket/server.h"

/* Each connection's rk_server_state(): what a streamed upload has counted
 * so far, or where a /json answer that did not fit the write space at once
 * stands. */
struct arena_state {
	uint64_t bytes; /* /upload */
	int64_t m;      /* /json */
	uint32_t count, sent;
	bool streaming;
};

/* Routes ahead of the table's end; routes[ARENA_ROUTES] is the zero entry
 * ending it (extra routes, e.g. /static/, go in between). */
#define ARENA_ROUTES 5

/* Fill routes[0..ARENA_ROUTES] with d as the /json route's data. */
void arena_routes(struct rk_route *routes, const struct arena_data *d);

/* A decimal integer s[0..n) with an optional '-': 0, or -1 if it is not
 * one or does not fit int64_t. */
int arena_parse_i64(const char *s, size_t n, int64_t *out);

#endif
