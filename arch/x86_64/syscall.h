/* arch/x86_64/syscall.h - the raw `syscall` instruction on x86-64.
 *
 * Calling convention (syscall(2), "Architecture calling conventions"):
 *   rax = system call number, arguments in rdi, rsi, rdx, r10, r8, r9;
 *   the result comes back in rax: -4095..-1 is -errno, anything else success;
 *   the instruction itself clobbers rcx (return rip) and r11 (rflags).
 * "memory" is clobbered too: the kernel reads and writes our buffers.
 * Numbers follow arch/x86/entry/syscalls/syscall_64.tbl.
 * Read next: arch/x86_64/barrier.h.
 */
#ifndef ROCKET_ARCH_X86_64_SYSCALL_H
#define ROCKET_ARCH_X86_64_SYSCALL_H

#define __NR_read              0
#define __NR_write             1
#define __NR_close             3
#define __NR_lseek             8
#define __NR_mmap              9
#define __NR_munmap            11
#define __NR_rt_sigaction      13
#define __NR_rt_sigprocmask    14
#define __NR_sched_yield       24
#define __NR_madvise           28
#define __NR_nanosleep         35
#define __NR_getpid            39
#define __NR_socket            41
#define __NR_connect           42
#define __NR_accept            43
#define __NR_sendto            44
#define __NR_recvfrom          45
#define __NR_shutdown          48
#define __NR_bind              49
#define __NR_listen            50
#define __NR_getsockname       51
#define __NR_getpeername       52
#define __NR_setsockopt        54
#define __NR_getsockopt        55
#define __NR_clone             56
#define __NR_exit              60
#define __NR_kill              62
#define __NR_uname             63
#define __NR_fcntl             72
#define __NR_chdir             80
#define __NR_getuid            102
#define __NR_getgid            104
#define __NR_setuid            105
#define __NR_setgid            106
#define __NR_geteuid           107
#define __NR_setgroups         116
#define __NR_chroot            161
#define __NR_gettid            186
#define __NR_futex             202
#define __NR_sched_setaffinity 203
#define __NR_sched_getaffinity 204
#define __NR_getdents64        217
#define __NR_clock_gettime     228
#define __NR_exit_group        231
#define __NR_tgkill            234
#define __NR_openat            257
#define __NR_signalfd4         289
#define __NR_dup3              292
#define __NR_pipe2             293
#define __NR_prlimit64         302
#define __NR_statx             332
#define __NR_getrandom         318
#define __NR_io_uring_setup    425
#define __NR_io_uring_enter    426
#define __NR_io_uring_register 427
#define __NR_openat2           437

static inline long rk_syscall0(long n)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(n) : "rcx", "r11", "memory");
	return ret;
}

static inline long rk_syscall1(long n, long a)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a) : "rcx", "r11", "memory");
	return ret;
}

static inline long rk_syscall2(long n, long a, long b)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b) : "rcx", "r11", "memory");
	return ret;
}

static inline long rk_syscall3(long n, long a, long b, long c)
{
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

/* The fourth argument goes in r10, not rcx as in the C ABI: `syscall`
 * overwrites rcx with the return address. */
static inline long rk_syscall4(long n, long a, long b, long c, long d)
{
	long ret;
	register long r10 __asm__("r10") = d;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}

static inline long rk_syscall5(long n, long a, long b, long c, long d, long e)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return ret;
}

static inline long rk_syscall6(long n, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

#endif
