/* include/rocket/sys.h - one typed wrapper per system call Rocket makes.
 *
 * Each returns what the kernel returned: a count or 0 on success, -errno on
 * failure. There is no global errno; callers test `ret < 0`. The wrappers
 * are static inline so the product has no call layer at all.
 * Follows the man pages of each call (section 2) and nolibc's sys.h layout.
 * Read next: include/rocket/util.h.
 */
#ifndef ROCKET_SYS_H
#define ROCKET_SYS_H

#include <stddef.h>
#include <stdint.h>

#include "abi/fs.h"
#include "abi/io_uring.h"
#include "abi/linux.h"
#include "arch.h"

#define RK_SC1(n, a)          rk_syscall1(n, (long)(a))
#define RK_SC2(n, a, b)       rk_syscall2(n, (long)(a), (long)(b))
#define RK_SC3(n, a, b, c)    rk_syscall3(n, (long)(a), (long)(b), (long)(c))
#define RK_SC4(n, a, b, c, d) rk_syscall4(n, (long)(a), (long)(b), (long)(c), (long)(d))
#define RK_SC5(n, a, b, c, d, e)                                                                   \
	rk_syscall5(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e))
#define RK_SC6(n, a, b, c, d, e, f)                                                                \
	rk_syscall6(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

/* ---- io_uring: io_uring_setup(2), io_uring_enter(2), io_uring_register(2) */
static inline int sys_io_uring_setup(uint32_t entries, struct io_uring_params *p)
{
	return (int)RK_SC2(__NR_io_uring_setup, entries, p);
}

static inline int sys_io_uring_enter(int fd, uint32_t to_submit, uint32_t min_complete,
				     uint32_t flags, const void *arg, size_t argsz)
{
	return (int)RK_SC6(__NR_io_uring_enter, fd, to_submit, min_complete, flags, arg, argsz);
}

static inline int sys_io_uring_register(int fd, uint32_t opcode, const void *arg, uint32_t nr_args)
{
	return (int)RK_SC4(__NR_io_uring_register, fd, opcode, arg, nr_args);
}

/* ---- memory ------------------------------------------------------------- */
/* mmap(2): returns the address, or a value in [-4095, -1] cast to a pointer.
 * Use rk_is_err() on the result. */
static inline void *sys_mmap(void *addr, size_t len, int prot, int flags, int fd, uint64_t off)
{
	return (void *)RK_SC6(__NR_mmap, addr, len, prot, flags, fd, off);
}

static inline int rk_is_err(const void *p)
{
	return (unsigned long)p >= (unsigned long)-4095;
}

static inline int rk_ptr_err(const void *p)
{
	return (int)(long)p;
}

static inline int sys_munmap(void *addr, size_t len)
{
	return (int)RK_SC2(__NR_munmap, addr, len);
}

static inline int sys_madvise(void *addr, size_t len, int advice)
{
	return (int)RK_SC3(__NR_madvise, addr, len, advice);
}

/* ---- files -------------------------------------------------------------- */
static inline long sys_read(int fd, void *buf, size_t n)
{
	return RK_SC3(__NR_read, fd, buf, n);
}

static inline long sys_write(int fd, const void *buf, size_t n)
{
	return RK_SC3(__NR_write, fd, buf, n);
}

/* dup3(2): newfd names oldfd's file from now on, atomically. */
static inline int sys_dup3(int oldfd, int newfd, int flags)
{
	return (int)RK_SC3(__NR_dup3, oldfd, newfd, flags);
}

static inline int sys_close(int fd)
{
	return (int)RK_SC1(__NR_close, fd);
}

static inline int sys_openat(int dirfd, const char *path, int flags, int mode)
{
	return (int)RK_SC4(__NR_openat, dirfd, path, flags, mode);
}

/* openat2(2), 5.6: open path beneath dirfd as how->resolve allows. */
static inline int sys_openat2(int dirfd, const char *path, const struct open_how *how)
{
	return (int)RK_SC4(__NR_openat2, dirfd, path, how, sizeof(*how));
}

static inline int sys_statx(int dirfd, const char *path, int flags, unsigned mask,
			    struct statx *out)
{
	return (int)RK_SC5(__NR_statx, dirfd, path, flags, mask, out);
}

static inline long sys_lseek(int fd, long off, int whence)
{
	return RK_SC3(__NR_lseek, fd, off, whence);
}

static inline int sys_fcntl(int fd, int cmd, long arg)
{
	return (int)RK_SC3(__NR_fcntl, fd, cmd, arg);
}

static inline int sys_pipe2(int fds[2], int flags)
{
	return (int)RK_SC2(__NR_pipe2, fds, flags);
}

static inline long sys_getdents64(int fd, void *buf, size_t n)
{
	return RK_SC3(__NR_getdents64, fd, buf, n);
}

/* ---- sockets ------------------------------------------------------------ */
static inline int sys_socket(int domain, int type, int proto)
{
	return (int)RK_SC3(__NR_socket, domain, type, proto);
}

static inline int sys_bind(int fd, const void *addr, uint32_t len)
{
	return (int)RK_SC3(__NR_bind, fd, addr, len);
}

static inline int sys_listen(int fd, int backlog)
{
	return (int)RK_SC2(__NR_listen, fd, backlog);
}

static inline int sys_accept(int fd, void *addr, uint32_t *len)
{
	return (int)RK_SC3(__NR_accept, fd, addr, len);
}

static inline int sys_connect(int fd, const void *addr, uint32_t len)
{
	return (int)RK_SC3(__NR_connect, fd, addr, len);
}

static inline int sys_getsockname(int fd, void *addr, uint32_t *len)
{
	return (int)RK_SC3(__NR_getsockname, fd, addr, len);
}

static inline int sys_getpeername(int fd, void *addr, uint32_t *len)
{
	return (int)RK_SC3(__NR_getpeername, fd, addr, len);
}

static inline int sys_setsockopt(int fd, int level, int name, const void *val, uint32_t len)
{
	return (int)RK_SC5(__NR_setsockopt, fd, level, name, val, len);
}

static inline long sys_sendto(int fd, const void *buf, size_t n, int flags)
{
	return RK_SC6(__NR_sendto, fd, buf, n, flags, 0, 0);
}

/* sendto(2) to an address: a datagram to a socket we are not connected to. */
static inline long sys_sendto_addr(int fd, const void *buf, size_t n, int flags, const void *addr,
				   uint32_t alen)
{
	return RK_SC6(__NR_sendto, fd, buf, n, flags, addr, alen);
}

static inline int sys_getsockopt(int fd, int level, int name, void *val, uint32_t *len)
{
	return (int)RK_SC5(__NR_getsockopt, fd, level, name, val, len);
}

static inline long sys_recvfrom(int fd, void *buf, size_t n, int flags)
{
	return RK_SC6(__NR_recvfrom, fd, buf, n, flags, 0, 0);
}

static inline int sys_shutdown(int fd, int how)
{
	return (int)RK_SC2(__NR_shutdown, fd, how);
}

/* ---- processes, threads, signals, time ---------------------------------- */
static inline __attribute__((noreturn)) void sys_exit_group(int code)
{
	for (;;)
		RK_SC1(__NR_exit_group, code);
}

static inline int sys_getpid(void)
{
	return (int)rk_syscall0(__NR_getpid);
}

static inline int sys_gettid(void)
{
	return (int)rk_syscall0(__NR_gettid);
}

static inline int sys_kill(int pid, int sig)
{
	return (int)RK_SC2(__NR_kill, pid, sig);
}

static inline int sys_tgkill(int tgid, int tid, int sig)
{
	return (int)RK_SC3(__NR_tgkill, tgid, tid, sig);
}

/* rt_sigprocmask(2) with the kernel's 8-byte sigset. */
static inline int sys_rt_sigprocmask(int how, const uint64_t *set, uint64_t *old)
{
	return (int)RK_SC4(__NR_rt_sigprocmask, how, set, old, 8);
}

static inline int sys_signalfd4(int fd, const uint64_t *mask, int flags)
{
	return (int)RK_SC4(__NR_signalfd4, fd, mask, 8, flags);
}

static inline int sys_futex(volatile uint32_t *uaddr, int op, uint32_t val,
			    const struct __kernel_timespec *ts)
{
	return (int)RK_SC6(__NR_futex, uaddr, op, val, ts, 0, 0);
}

static inline int sys_sched_setaffinity(int pid, size_t len, const void *mask)
{
	return (int)RK_SC3(__NR_sched_setaffinity, pid, len, mask);
}

/* Returns the byte size of the kernel's mask on success. */
static inline int sys_sched_getaffinity(int pid, size_t len, void *mask)
{
	return (int)RK_SC3(__NR_sched_getaffinity, pid, len, mask);
}

static inline int sys_sched_yield(void)
{
	return (int)rk_syscall0(__NR_sched_yield);
}

static inline int sys_clock_gettime(int clk, struct __kernel_timespec *ts)
{
	return (int)RK_SC2(__NR_clock_gettime, clk, ts);
}

static inline int sys_nanosleep(const struct __kernel_timespec *req)
{
	return (int)RK_SC2(__NR_nanosleep, req, 0);
}

static inline int sys_prlimit64(int pid, int res, const struct rk_rlimit *nw, struct rk_rlimit *old)
{
	return (int)RK_SC4(__NR_prlimit64, pid, res, nw, old);
}

/* ---- credentials and the root directory: --user, --chroot ---------------- */
/* The raw calls change the calling thread only (glibc's setuid() broadcasts
 * to every thread; nolibc's and ours do not): call them before any thread
 * exists. credentials(7), setgroups(2), setgid(2), setuid(2), chroot(2). */
static inline int sys_getuid(void)
{
	return (int)rk_syscall0(__NR_getuid);
}

static inline int sys_geteuid(void)
{
	return (int)rk_syscall0(__NR_geteuid);
}

static inline int sys_getgid(void)
{
	return (int)rk_syscall0(__NR_getgid);
}

static inline int sys_setgroups(size_t n, const uint32_t *gids)
{
	return (int)RK_SC2(__NR_setgroups, n, gids);
}

static inline int sys_setgid(uint32_t gid)
{
	return (int)RK_SC1(__NR_setgid, gid);
}

static inline int sys_setuid(uint32_t uid)
{
	return (int)RK_SC1(__NR_setuid, uid);
}

static inline int sys_chroot(const char *path)
{
	return (int)RK_SC1(__NR_chroot, path);
}

static inline int sys_chdir(const char *path)
{
	return (int)RK_SC1(__NR_chdir, path);
}

static inline int sys_uname(struct rk_utsname *u)
{
	return (int)RK_SC1(__NR_uname, u);
}

#endif
