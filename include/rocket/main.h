/* include/rocket/main.h - the program's entry point, named so both builds
 * can call it: src/rt/start.c (libc-free) after reading argc/argv off the
 * initial stack, tests/shim/hosted_main.c (hosted) from libc's main().
 * Returns the process exit status.
 * Read next: src/main.c.
 */
#ifndef ROCKET_MAIN_H
#define ROCKET_MAIN_H

int rk_main(int argc, char **argv);

#endif
