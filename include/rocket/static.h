/* include/rocket/static.h - a directory tree served as a prefix route, with
 * every open, stat and read on the reactor's own ring (src/http/static.c).
 *
 *   static struct rk_static site = { .prefix = "/", .index = "index.html" };
 *   site.root = open("www", O_PATH | O_DIRECTORY);   // once, at start-up
 *   struct rk_route routes[2] = { 0 };
 *   rk_static_route(&routes[0], &site);
 *
 * GET and HEAD; the router answers anything else with 405. `rocket --root
 * DIR` and `--mount PREFIX=DIR` build these routes (src/cli/static.c).
 * Read next: src/http/fcache.c.
 */
#ifndef ROCKET_STATIC_H
#define ROCKET_STATIC_H

#include <stdbool.h>

#include "server.h"

struct rk_static {
	int root;           /* the tree: a directory fd (O_PATH is enough) */
	const char *prefix; /* the URL path it is served at: "/" or "/static/" (ends in '/') */
	const char *index;  /* what a URL ending in '/' serves ("index.html"; no '/') */
	const char *cache_control; /* Cache-Control of every file answer; NULL: none */
	bool list_dirs;            /* a directory without its index: an HTML listing (else 404) */
	bool dotfiles;             /* serve names starting with '.' (else 404) */
	bool no_symlinks;          /* refuse every symlink, even inside the tree (404) */
	bool no_precompressed;     /* never NAME.br / NAME.gz, no Vary */
};

/* Fill *rt (GET, a prefix match on st->prefix) to serve st, which must
 * outlive the engine. */
void rk_static_route(struct rk_route *rt, struct rk_static *st);

#endif
