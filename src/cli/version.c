/* src/cli/version.c - what `rocket --version` prints. The Makefile passes
 * RK_VERSION (its VERSION) and RK_COMMIT (`git rev-parse --short HEAD`, or
 * "unknown" outside a checkout) to this file alone, so a new commit
 * rebuilds one object.
 * Read next: include/rocket/fmt.h.
 */
#include "cli.h"

#ifndef RK_VERSION
#define RK_VERSION "unknown"
#endif
#ifndef RK_COMMIT
#define RK_COMMIT "unknown"
#endif

const char rk_cli_version[] = "rocket " RK_VERSION " (" RK_COMMIT ")";
