/* arch/aarch64/start.S - process entry and thread creation for the
 * libc-free build on aarch64.
 *
 * Calling convention (AAPCS64, "Procedure Call Standard for the Arm 64-bit
 * Architecture"):
 *   - C arguments in x0-x7; result in x0; x19-x28, x29 (frame pointer) and
 *     sp are callee-saved; x30 (lr) holds the return address of `bl`;
 *   - sp must always be 16-byte aligned when used for a memory access;
 *   - at _start the kernel leaves argc at [sp], then argv[], envp[], auxv.
 * System calls (`svc #0`): x8 = number, arguments x0-x5, result in x0;
 * nothing else is clobbered (arch/aarch64/syscall.h).
 * clone(2) on arm64 takes (flags, newsp, parent_tid, tls, child_tid):
 * tls before child_tid, unlike x86-64 (CONFIG_CLONE_BACKWARDS).
 * Read next: tools/uring-probe.c.
 */

#define NR_clone 220 /* include/uapi/asm-generic/unistd.h */
#define NR_exit  93

	.text

/* _start: hand the initial stack pointer to rk_start_c(long *sp). */
	.globl	_start
	.type	_start, %function
_start:
	mov	x29, #0			/* outermost frame: end of backtraces */
	mov	x30, #0
	mov	x0, sp			/* sp -> argc, argv[], envp[], auxv */
	and	sp, x0, #-16		/* the ABI's alignment, whatever we got */
	bl	rk_start_c		/* never returns (exit_group) */
	brk	#0			/* traps if it ever did */
	.size	_start, . - _start

/* long rk_clone_thread(unsigned long flags, void *stack_top,
 *                      volatile uint32_t *ptid, volatile uint32_t *ctid,
 *                      int (*fn)(void *), void *arg);
 *      x0 = flags, x1 = stack_top, x2 = ptid, x3 = ctid, x4 = fn, x5 = arg
 *
 * The parent gets the child's tid (or -errno) back in x0. The child starts
 * with sp = the new stack, every other register as the parent had it, and
 * never touches the parent's stack: fn and arg travel on the child's own
 * stack, written before the clone. It calls fn(arg) and ends with exit(2)
 * -- not exit_group, which would end the whole process. */
	.globl	rk_clone_thread
	.type	rk_clone_thread, %function
rk_clone_thread:
	and	x1, x1, #-16		/* child's stack top, 16-byte aligned */
	stp	x4, x5, [x1, #-16]!	/* fn at [x1], arg at [x1 + 8] */
	mov	x4, x3			/* 5th syscall argument: child_tid */
	mov	x3, #0			/* tls: unused, no CLONE_SETTLS */
	mov	x8, #NR_clone
	svc	#0
	cbz	x0, 1f
	ret				/* parent: tid or -errno */
1:
	/* child, on its own stack */
	mov	x29, #0
	mov	x30, #0
	ldp	x1, x0, [sp], #16	/* x1 = fn, x0 = arg; sp aligned again */
	blr	x1
	mov	x8, #NR_exit		/* x0 = exit status: fn's result */
	svc	#0
	brk	#0
	.size	rk_clone_thread, . - rk_clone_thread

	.section .note.GNU-stack, "", %progbits	/* no executable stack */
