/* src/rt/start.c - from the kernel's initial stack to rk_main, without libc.
 *
 * arch/<arch>/start.S (_start) passes the stack pointer the kernel started
 * the process with. There the kernel laid out (execve(2); the ELF ABI
 * "Process Initialization"; fs/binfmt_elf.c create_elf_tables()):
 *     sp[0] = argc, sp[1..argc] = argv[], NULL, envp[], NULL, auxv pairs.
 * No TLS, no atexit, no stdio to flush: rk_main's status goes straight to
 * exit_group(2), which ends every thread.
 * Read next: src/rt/mem.c.
 */
#include "rocket/main.h"
#include "rocket/sys.h"

__attribute__((noreturn)) void rk_start_c(long *sp);

__attribute__((noreturn)) void rk_start_c(long *sp)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);
	char **envp = argv + argc + 1; /* past argv's NULL */

	sys_exit_group(rk_main(argc, argv, envp));
}
