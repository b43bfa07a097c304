/* include/rocket/cli.h - the rocket command line as one call, for programs
 * that bring their own routes (tools/hello.c): every flag and --help,
 * systemd socket activation and readiness, --user/--chroot, the error
 * messages and the exit status, as the rocket binary has them.
 *
 *   int rk_main(int argc, char **argv, char **envp)
 *   {
 *       return rk_cli_main(argc, argv, envp, my_routes);
 *   }
 *
 * Link with build/librocket.a: src/rt/start.c calls rk_main.
 * Read next: src/cli/cli.h.
 */
#ifndef ROCKET_CLI_H
#define ROCKET_CLI_H

#include "server.h"

/* Exit statuses (rocket(8), EXIT STATUS). */
enum rk_exit {
	RK_EXIT_OK = 0,      /* stopped cleanly (SIGINT/SIGTERM), or --help/--version */
	RK_EXIT_START = 1,   /* bad usage, or could not start */
	RK_EXIT_RUNTIME = 2, /* failed after it had started serving */
};

/* Parse the flags, listen, drop privileges, serve until stopped. routes:
 * NULL for the built-in ones (rk_server_default_routes). envp: the
 * environment (LISTEN_FDS, LISTEN_PID, NOTIFY_SOCKET). Returns an rk_exit. */
int rk_cli_main(int argc, char **argv, char **envp, const struct rk_route *routes);

/* The same with the server's configuration chosen by the program: start
 * from rk_server_defaults(), set routes, state_size (rk_server_state()) or
 * other limits; the flags then override what they name (--max-head ...),
 * and --help shows these values as the defaults. rk_cli_main(routes) is
 * this with rk_server_defaults() and routes. */
int rk_cli_main_config(int argc, char **argv, char **envp, const struct rk_server_config *hc);

#endif
