/* arch/aarch64/syscall.h - the raw `svc #0` instruction on aarch64.
 *
 * Calling convention (syscall(2), "Architecture calling conventions"):
 *   x8 = system call number, arguments in x0..x5; the result comes back in
 *   x0 (-4095..-1 is -errno). Nothing else is clobbered; "memory" is, since
 *   the kernel reads and writes our buffers.
 * Numbers follow include/uapi/asm-generic/unistd.h (aarch64 has no legacy
 * table: no open, no fork, only the *at and generic calls).
 * Read next: arch/aarch64/barrier.h.
 */
#ifndef ROCKET_ARCH_AARCH64_SYSCALL_H
#define ROCKET_ARCH_AARCH64_SYSCALL_H

#define __NR_getcwd            17
#define __NR_dup3              24
#define __NR_fcntl             25
#define __NR_chdir             49
#define __NR_chroot            51
#define __NR_pipe2             59
#define __NR_openat            56
#define __NR_close             57
#define __NR_getdents64        61
#define __NR_lseek             62
#define __NR_read              63
#define __NR_write             64
#define __NR_signalfd4         74
#define __NR_exit              93
#define __NR_exit_group        94
#define __NR_futex             98
#define __NR_nanosleep         101
#define __NR_clock_gettime     113
#define __NR_sched_setaffinity 122
#define __NR_sched_getaffinity 123
#define __NR_sched_yield       124
#define __NR_kill              129
#define __NR_tgkill            131
#define __NR_rt_sigaction      134
#define __NR_rt_sigprocmask    135
#define __NR_setgid            144
#define __NR_setuid            146
#define __NR_setgroups         159
#define __NR_uname             160
#define __NR_getpid            172
#define __NR_getuid            174
#define __NR_geteuid           175
#define __NR_getgid            176
#define __NR_gettid            178
#define __NR_socket            198
#define __NR_bind              200
#define __NR_listen            201
#define __NR_accept            202
#define __NR_connect           203
#define __NR_getsockname       204
#define __NR_getpeername       205
#define __NR_sendto            206
#define __NR_recvfrom          207
#define __NR_setsockopt        208
#define __NR_getsockopt        209
#define __NR_shutdown          210
#define __NR_munmap            215
#define __NR_clone             220
#define __NR_mmap              222
#define __NR_madvise           233
#define __NR_prlimit64         261
#define __NR_getrandom         278
#define __NR_statx             291
#define __NR_io_uring_setup    425
#define __NR_io_uring_enter    426
#define __NR_io_uring_register 427
#define __NR_openat2           437

#define RK_SVC(...) __asm__ volatile("svc #0" : "=r"(x0) : __VA_ARGS__ : "memory")

static inline long rk_syscall0(long n)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0");
	RK_SVC("r"(x8));
	return x0;
}

static inline long rk_syscall1(long n, long a)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	RK_SVC("r"(x8), "0"(x0));
	return x0;
}

static inline long rk_syscall2(long n, long a, long b)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	RK_SVC("r"(x8), "0"(x0), "r"(x1));
	return x0;
}

static inline long rk_syscall3(long n, long a, long b, long c)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	RK_SVC("r"(x8), "0"(x0), "r"(x1), "r"(x2));
	return x0;
}

static inline long rk_syscall4(long n, long a, long b, long c, long d)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	RK_SVC("r"(x8), "0"(x0), "r"(x1), "r"(x2), "r"(x3));
	return x0;
}

static inline long rk_syscall5(long n, long a, long b, long c, long d, long e)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	RK_SVC("r"(x8), "0"(x0), "r"(x1), "r"(x2), "r"(x3), "r"(x4));
	return x0;
}

static inline long rk_syscall6(long n, long a, long b, long c, long d, long e, long f)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;
	RK_SVC("r"(x8), "0"(x0), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5));
	return x0;
}

#endif
