/* tools/arena.c - rocket-arena, Rocket's entry for HttpArena's HTTP/1.1
 * profiles (baseline, pipelined, limited-conn, json, upload, static; noisy
 * requests get their 4xx): a program on build/librocket.a like
 * tools/hello.c - static, no libc, its own routes, every rocket flag - plus
 *   --data DIR   DIR/dataset.json for /json, DIR/static/ served at /static/
 *                (default /data, as in HttpArena's container)
 * Its defaults differ from rocket's where a profile asks (flags still
 * override them): --max-head 8192, as nginx's 8 KiB header buffers, so a
 * field of 8 KiB is a 431; --max-body 1 GiB for uploads of any size the
 * profile sends, counted as they stream.
 * Read next: tools/arena/json.h, tools/arena/data.h, tools/arena/routes.h.
 */
#include "arena/data.h"
#include "arena/routes.h"
#include "rocket/cli.h"
#include "rocket/fmt.h"
#include "rocket/main.h"
#include "rocket/server.h"
#include "rocket/sys.h"
#include "rocket/util.h"

#define ARENA_MAX_ARGS 256
#define ARENA_MAX_HEAD 8192u
#define ARENA_MAX_BODY (1u << 30)
#define ARENA_DATA_DIR "/data"

/* The static-file server (include/rocket/static.h, rocket --mount) is in
 * this tree: DIR/static is mounted at /static/ through it. */
#if __has_include("rocket/static.h")
#include "rocket/abi/fs.h"
#define ARENA_STATIC 1
#else
#define ARENA_STATIC 0
#endif

int rk_main(int argc, char **argv, char **envp)
{
	const char *dir = ARENA_DATA_DIR;
	char *args[ARENA_MAX_ARGS + 3];
	char mount[4200];
	int n = 0;
	bool info = false; /* --help or --version: no data needed */

	if (argc > ARENA_MAX_ARGS) {
		rk_dprint(2, "rocket-arena: more than %u arguments\n", ARENA_MAX_ARGS);
		return RK_EXIT_START;
	}
	/* --data is ours; everything else goes to the rocket command line,
	 * after the static files' --mount (so a --mount of the caller's
	 * comes after it). */
	args[n++] = argv[0];
	args[n++] = "--mount";
	args[n++] = mount;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (rk_streq(a, "--data")) {
			if (i + 1 == argc) {
				rk_dprint(2, "rocket-arena: --data needs a directory\n");
				return RK_EXIT_START;
			}
			dir = argv[++i];
			continue;
		}
		if (rk_strlen(a) >= 7 && !rk_memcmp(a, "--data=", 7)) {
			dir = a + 7;
			continue;
		}
		if (rk_streq(a, "--help") || rk_streq(a, "-h")) {
			rk_dprint(1,
				  "rocket-arena: HttpArena's profiles on Rocket.\n"
				  "  --data DIR               DIR/dataset.json for /json, "
				  "DIR/static/ at /static/ (default: %s)\n"
				  "Every rocket flag below works too.\n\n",
				  ARENA_DATA_DIR);
			info = true;
		}
		info |= rk_streq(a, "--version");
		args[n++] = argv[i];
	}
	args[n] = 0;
	/* DIR/static at /static/ through the static-file server (precompressed
	 * .br/.gz siblings included), when DIR has one. */
	rk_fmt(mount, sizeof(mount), "/static/=%s/static", dir);
#if ARENA_STATIC
	int fd = sys_openat(AT_FDCWD, mount + 9, O_PATH | O_CLOEXEC, 0);
#else
	int fd = -1;
#endif
	if (fd >= 0) {
		sys_close(fd);
	} else {
		for (int i = 1; i + 2 <= n; i++) /* none: the two arguments go */
			args[i] = args[i + 2];
		n -= 2;
	}

	struct arena_data *d = 0;
	if (!info && arena_data_load(&d, dir) < 0)
		return RK_EXIT_START;
	struct rk_route routes[ARENA_ROUTES + 1];
	arena_routes(routes, d);

	struct rk_server_config hc;
	rk_server_defaults(&hc);
	hc.routes = routes;
	hc.state_size = sizeof(struct arena_state);
	hc.limits.max_head = ARENA_MAX_HEAD;
	hc.max_body = ARENA_MAX_BODY;
	return rk_cli_main_config(n, args, envp, &hc);
}
