/* tests/shim/hosted_main.c - libc's main() for the hosted build
 * (build/rocket-san): hands straight over to rk_main, as src/rt/start.c does
 * in the libc-free build. Not in librocket-*.a, so test binaries keep their
 * own main (tests/harness.c).
 */
#include "rocket/main.h"

int main(int argc, char **argv, char **envp)
{
	return rk_main(argc, argv, envp);
}
