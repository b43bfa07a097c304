/* include/rocket/main.h - the program's entry point, named so both builds
 * can call it: src/rt/start.c (libc-free) after reading argc, argv and envp
 * off the initial stack, tests/shim/hosted_main.c (hosted) from libc's
 * main(). Returns the process exit status. src/main.c defines it for the
 * rocket binary; a program built on build/librocket.a defines its own.
 * Read next: src/main.c.
 */
#ifndef ROCKET_MAIN_H
#define ROCKET_MAIN_H

int rk_main(int argc, char **argv, char **envp);

#endif
