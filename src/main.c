/* src/main.c - the rocket program: the command line (src/cli/) with the
 * built-in routes (src/http/routes.c). It is the one file the product has
 * that build/librocket.a leaves out: a program with its own routes brings
 * its own rk_main instead, as tools/hello.c does.
 * Read next: include/rocket/cli.h.
 */
#include "rocket/cli.h"
#include "rocket/main.h"

int rk_main(int argc, char **argv, char **envp)
{
	return rk_cli_main(argc, argv, envp, 0);
}
