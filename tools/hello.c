/* tools/hello.c - a program of your own on Rocket: one route of its own,
 * every flag of the rocket command, and the same static, libc-free binary.
 *
 *   cc -std=c11 -Iinclude -O2 -ffreestanding -fno-builtin -fno-stack-protector \
 *      -fno-pie -c -o hello.o tools/hello.c
 *   cc -nostdlib -static -s -Wl,--gc-sections -Wl,--require-defined=_start \
 *      -o hello hello.o build/librocket.a -lgcc
 *   ./hello --port 8080 &  curl http://127.0.0.1:8080/hello
 *
 * build/librocket.a is the product without src/main.c: its start code
 * (src/rt/start.c) calls the rk_main below, which hands the command line
 * and these routes to rk_cli_main (include/rocket/cli.h). Routes answer
 * with rk_server_respond (include/rocket/server.h).
 */
#include "rocket/cli.h"
#include "rocket/main.h"
#include "rocket/server.h"

static int hello(struct rk_server_req *q)
{
	static const char body[] = "Hello from my route\n";
	return rk_server_respond(q, 200, "text/plain", body, sizeof(body) - 1);
}

static const struct rk_route routes[] = {
	{ .method = RK_HTTP_GET, .path = "/hello", .fn = hello },
	{ 0 },
};

int rk_main(int argc, char **argv, char **envp)
{
	return rk_cli_main(argc, argv, envp, routes);
}
