/* arch/x86_64/start.S - process entry and thread creation for the libc-free
 * build on x86-64.
 *
 * Calling convention (System V AMD64 psABI, 3.2 and 3.4.1):
 *   - C arguments in rdi, rsi, rdx, rcx, r8, r9; result in rax;
 *     rbx, rbp, r12-r15 and rsp are callee-saved, the rest may be clobbered;
 *   - rsp must be 16-byte aligned at every `call` (so rsp+8 is on entry);
 *   - at _start the kernel leaves argc at (%rsp), then argv[], envp[], auxv,
 *     and rdx = 0 (no rtld atexit hook: nothing to register).
 * System calls (`syscall`): rax = number, rdi, rsi, rdx, r10, r8, r9;
 * result in rax; rcx and r11 are clobbered (arch/x86_64/syscall.h).
 * clone(2) on x86-64 takes (flags, newsp, parent_tid, child_tid, tls).
 * Read next: arch/aarch64/start.S.
 */

#define NR_clone 56 /* arch/x86/entry/syscalls/syscall_64.tbl */
#define NR_exit  60

	.text

/* _start: hand the initial stack pointer to rk_start_c(long *sp). */
	.globl	_start
	.type	_start, @function
_start:
	xor	%ebp, %ebp		/* outermost frame: end of backtraces */
	mov	%rsp, %rdi		/* sp -> argc, argv[], envp[], auxv */
	and	$-16, %rsp		/* the ABI's alignment, whatever we got */
	call	rk_start_c		/* never returns (exit_group) */
	hlt				/* faults if it ever did */
	.size	_start, . - _start

/* long rk_clone_thread(unsigned long flags, void *stack_top,
 *                      volatile uint32_t *ptid, volatile uint32_t *ctid,
 *                      int (*fn)(void *), void *arg);
 *      rdi = flags, rsi = stack_top, rdx = ptid, rcx = ctid, r8 = fn, r9 = arg
 *
 * The parent gets the child's tid (or -errno) back in rax. The child starts
 * with rsp = the new stack, every other register as the parent had it, and
 * never touches the parent's stack: fn and arg travel on the child's own
 * stack, written before the clone. It calls fn(arg) and ends with exit(2)
 * -- not exit_group, which would end the whole process. */
	.globl	rk_clone_thread
	.type	rk_clone_thread, @function
rk_clone_thread:
	and	$-16, %rsi		/* child's stack top, 16-byte aligned */
	sub	$16, %rsi
	mov	%r8, 0(%rsi)		/* child pops fn ... */
	mov	%r9, 8(%rsi)		/* ... then arg */
	mov	%rcx, %r10		/* 4th syscall argument: child_tid */
	xor	%r8d, %r8d		/* tls: unused, no CLONE_SETTLS */
	mov	$NR_clone, %eax
	syscall
	test	%rax, %rax
	jz	1f
	ret				/* parent: tid or -errno */
1:
	/* child, on its own stack */
	xor	%ebp, %ebp
	pop	%rax			/* fn */
	pop	%rdi			/* arg; rsp is 16-byte aligned again */
	call	*%rax
	mov	%eax, %edi		/* exit status: fn's result */
	mov	$NR_exit, %eax
	syscall
	hlt
	.size	rk_clone_thread, . - rk_clone_thread

	.section .note.GNU-stack, "", @progbits	/* no executable stack */
