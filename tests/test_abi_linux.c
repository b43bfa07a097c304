/* tests/test_abi_linux.c - include/rocket/abi/linux.h and the syscall
 * numbers of arch/<this arch>/syscall.h against the system's headers, at
 * compile time, as tests/test_abi.c does for io_uring: every constant both
 * define has the same value, every struct the same size and field offsets.
 *
 * Both use the kernel's names: the system's values are captured in enum
 * constants (sys_*) first, its macros #undef'd, then ours included.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define RK_LINUX_CONSTANTS(X)                                                                      \
	X(EPERM)                                                                                   \
	X(ENOENT)                                                                                  \
	X(ESRCH)                                                                                   \
	X(EINTR)                                                                                   \
	X(EIO)                                                                                     \
	X(ENXIO)                                                                                   \
	X(ENODEV)                                                                                  \
	X(EBADF)                                                                                   \
	X(EAGAIN)                                                                                  \
	X(ENOMEM)                                                                                  \
	X(EACCES)                                                                                  \
	X(EFAULT)                                                                                  \
	X(EBUSY)                                                                                   \
	X(EEXIST)                                                                                  \
	X(EXDEV)                                                                                   \
	X(ENOTDIR)                                                                                 \
	X(EINVAL)                                                                                  \
	X(ENFILE)                                                                                  \
	X(EMFILE)                                                                                  \
	X(ENOSPC)                                                                                  \
	X(EPIPE)                                                                                   \
	X(ERANGE)                                                                                  \
	X(ENAMETOOLONG)                                                                            \
	X(ENOSYS)                                                                                  \
	X(ELOOP)                                                                                   \
	X(ETIME)                                                                                   \
	X(EOVERFLOW)                                                                               \
	X(EBADFD)                                                                                  \
	X(ENOTSOCK)                                                                                \
	X(EMSGSIZE)                                                                                \
	X(EPROTOTYPE)                                                                              \
	X(EOPNOTSUPP)                                                                              \
	X(EAFNOSUPPORT)                                                                            \
	X(EADDRINUSE)                                                                              \
	X(EADDRNOTAVAIL)                                                                           \
	X(ENETDOWN)                                                                                \
	X(ECONNABORTED)                                                                            \
	X(ECONNRESET)                                                                              \
	X(ENOBUFS)                                                                                 \
	X(ENOTCONN)                                                                                \
	X(ETIMEDOUT)                                                                               \
	X(ECONNREFUSED)                                                                            \
	X(EALREADY)                                                                                \
	X(ECANCELED)                                                                               \
	X(PROT_NONE)                                                                               \
	X(PROT_READ)                                                                               \
	X(PROT_WRITE)                                                                              \
	X(MAP_SHARED)                                                                              \
	X(MAP_PRIVATE)                                                                             \
	X(MAP_ANONYMOUS)                                                                           \
	X(MAP_NORESERVE)                                                                           \
	X(MAP_POPULATE)                                                                            \
	X(MAP_STACK)                                                                               \
	X(MADV_DONTNEED)                                                                           \
	X(O_RDONLY)                                                                                \
	X(O_WRONLY)                                                                                \
	X(O_CREAT)                                                                                 \
	X(O_APPEND)                                                                                \
	X(O_NONBLOCK)                                                                              \
	X(O_CLOEXEC)                                                                               \
	X(AT_FDCWD)                                                                                \
	X(SEEK_SET)                                                                                \
	X(SEEK_CUR)                                                                                \
	X(SEEK_END)                                                                                \
	X(F_GETFD)                                                                                 \
	X(F_SETFD)                                                                                 \
	X(FD_CLOEXEC)                                                                              \
	X(AF_UNSPEC)                                                                               \
	X(AF_UNIX)                                                                                 \
	X(AF_INET)                                                                                 \
	X(AF_INET6)                                                                                \
	X(SOCK_STREAM)                                                                             \
	X(SOCK_DGRAM)                                                                              \
	X(SOCK_NONBLOCK)                                                                           \
	X(SOCK_CLOEXEC)                                                                            \
	X(SOL_SOCKET)                                                                              \
	X(SO_REUSEADDR)                                                                            \
	X(SO_TYPE)                                                                                 \
	X(SO_SNDBUF)                                                                               \
	X(SO_RCVBUF)                                                                               \
	X(SO_LINGER)                                                                               \
	X(SO_REUSEPORT)                                                                            \
	X(SO_ACCEPTCONN)                                                                           \
	X(IPPROTO_TCP)                                                                             \
	X(IPPROTO_IPV6)                                                                            \
	X(TCP_NODELAY)                                                                             \
	X(IPV6_V6ONLY)                                                                             \
	X(MSG_DONTWAIT)                                                                            \
	X(MSG_WAITALL)                                                                             \
	X(MSG_NOSIGNAL)                                                                            \
	X(SHUT_RD)                                                                                 \
	X(SHUT_WR)                                                                                 \
	X(SHUT_RDWR)                                                                               \
	X(SIGHUP)                                                                                  \
	X(SIGINT)                                                                                  \
	X(SIGKILL)                                                                                 \
	X(SIGUSR1)                                                                                 \
	X(SIGPIPE)                                                                                 \
	X(SIGTERM)                                                                                 \
	X(SIG_BLOCK)                                                                               \
	X(SIG_UNBLOCK)                                                                             \
	X(SIG_SETMASK)                                                                             \
	X(SFD_NONBLOCK)                                                                            \
	X(SFD_CLOEXEC)                                                                             \
	X(CLOCK_REALTIME)                                                                          \
	X(CLOCK_MONOTONIC)                                                                         \
	X(CLONE_VM)                                                                                \
	X(CLONE_FS)                                                                                \
	X(CLONE_FILES)                                                                             \
	X(CLONE_SIGHAND)                                                                           \
	X(CLONE_THREAD)                                                                            \
	X(CLONE_SYSVSEM)                                                                           \
	X(CLONE_PARENT_SETTID)                                                                     \
	X(CLONE_CHILD_CLEARTID)                                                                    \
	X(FUTEX_WAIT)                                                                              \
	X(FUTEX_WAKE)                                                                              \
	X(RLIMIT_NOFILE)

#define RK_SYSCALLS(X)                                                                             \
	X(read)                                                                                    \
	X(write)                                                                                   \
	X(close)                                                                                   \
	X(lseek)                                                                                   \
	X(mmap)                                                                                    \
	X(munmap)                                                                                  \
	X(rt_sigaction)                                                                            \
	X(rt_sigprocmask)                                                                          \
	X(sched_yield)                                                                             \
	X(madvise)                                                                                 \
	X(nanosleep)                                                                               \
	X(getpid)                                                                                  \
	X(socket)                                                                                  \
	X(connect)                                                                                 \
	X(accept)                                                                                  \
	X(sendto)                                                                                  \
	X(recvfrom)                                                                                \
	X(shutdown)                                                                                \
	X(bind)                                                                                    \
	X(listen)                                                                                  \
	X(getsockname)                                                                             \
	X(getpeername)                                                                             \
	X(dup3)                                                                                    \
	X(pipe2)                                                                                   \
	X(setsockopt)                                                                              \
	X(getsockopt)                                                                              \
	X(clone)                                                                                   \
	X(exit)                                                                                    \
	X(kill)                                                                                    \
	X(uname)                                                                                   \
	X(fcntl)                                                                                   \
	X(chdir)                                                                                   \
	X(getuid)                                                                                  \
	X(getgid)                                                                                  \
	X(setuid)                                                                                  \
	X(setgid)                                                                                  \
	X(geteuid)                                                                                 \
	X(setgroups)                                                                               \
	X(chroot)                                                                                  \
	X(gettid)                                                                                  \
	X(futex)                                                                                   \
	X(sched_setaffinity)                                                                       \
	X(sched_getaffinity)                                                                       \
	X(getdents64)                                                                              \
	X(clock_gettime)                                                                           \
	X(exit_group)                                                                              \
	X(tgkill)                                                                                  \
	X(openat)                                                                                  \
	X(signalfd4)                                                                               \
	X(prlimit64)                                                                               \
	X(statx)                                                                                   \
	X(openat2)                                                                                 \
	X(getrandom)                                                                               \
	X(io_uring_setup)                                                                          \
	X(io_uring_enter)                                                                          \
	X(io_uring_register)

#define RK_CAPTURE(x) sys_##x = (long)(x),
enum { RK_LINUX_CONSTANTS(RK_CAPTURE) };
#define RK_CAPTURE_NR(x) sys_nr_##x = __NR_##x,
enum { RK_SYSCALLS(RK_CAPTURE_NR) };

/* The system's sizes and offsets, before our header comes in. */
enum {
	sys_sockaddr_in = sizeof(struct sockaddr_in),
	sys_sin_port = offsetof(struct sockaddr_in, sin_port),
	sys_sin_addr = offsetof(struct sockaddr_in, sin_addr),
	sys_sockaddr_in6 = sizeof(struct sockaddr_in6),
	sys_sin6_port = offsetof(struct sockaddr_in6, sin6_port),
	sys_sin6_addr = offsetof(struct sockaddr_in6, sin6_addr),
	sys_sin6_scope_id = offsetof(struct sockaddr_in6, sin6_scope_id),
	sys_sockaddr_un = sizeof(struct sockaddr_un),
	sys_sun_path = offsetof(struct sockaddr_un, sun_path),
	sys_linger = sizeof(struct linger),
	sys_signalfd_siginfo = sizeof(struct signalfd_siginfo),
	sys_rlimit = sizeof(struct rlimit),
	sys_utsname = sizeof(struct utsname),
	sys_utsname_machine = offsetof(struct utsname, machine),
};

#undef EPERM
#undef ENXIO
#undef ENODEV
#undef ELOOP
#undef ENAMETOOLONG
#undef EXDEV
#undef ENOENT
#undef ESRCH
#undef EINTR
#undef EIO
#undef EBADF
#undef EAGAIN
#undef ENOMEM
#undef EACCES
#undef EFAULT
#undef EBUSY
#undef EEXIST
#undef ENOTDIR
#undef EINVAL
#undef ENFILE
#undef EMFILE
#undef ENOSPC
#undef EPIPE
#undef ERANGE
#undef ENOSYS
#undef ETIME
#undef EOVERFLOW
#undef EBADFD
#undef ENOTSOCK
#undef EMSGSIZE
#undef EPROTOTYPE
#undef EOPNOTSUPP
#undef EAFNOSUPPORT
#undef EADDRINUSE
#undef EADDRNOTAVAIL
#undef ENETDOWN
#undef ECONNABORTED
#undef ECONNRESET
#undef ENOBUFS
#undef ENOTCONN
#undef ETIMEDOUT
#undef ECONNREFUSED
#undef EALREADY
#undef ECANCELED
#undef PROT_NONE
#undef PROT_READ
#undef PROT_WRITE
#undef MAP_SHARED
#undef MAP_PRIVATE
#undef MAP_ANONYMOUS
#undef MAP_NORESERVE
#undef MAP_POPULATE
#undef MAP_STACK
#undef MADV_DONTNEED
#undef O_RDONLY
#undef O_WRONLY
#undef O_CREAT
#undef O_APPEND
#undef O_NONBLOCK
#undef O_CLOEXEC
#undef AT_FDCWD
#undef SEEK_SET
#undef SEEK_CUR
#undef SEEK_END
#undef F_GETFD
#undef F_SETFD
#undef FD_CLOEXEC
#undef AF_UNSPEC
#undef AF_UNIX
#undef AF_INET
#undef AF_INET6
#undef SOCK_STREAM
#undef SOCK_DGRAM
#undef SOCK_NONBLOCK
#undef SOCK_CLOEXEC
#undef SOL_SOCKET
#undef SO_REUSEADDR
#undef SO_TYPE
#undef SO_SNDBUF
#undef SO_RCVBUF
#undef SO_LINGER
#undef SO_REUSEPORT
#undef SO_ACCEPTCONN
#undef IPPROTO_TCP
#undef IPPROTO_IPV6
#undef TCP_NODELAY
#undef IPV6_V6ONLY
#undef MSG_DONTWAIT
#undef MSG_WAITALL
#undef MSG_NOSIGNAL
#undef SHUT_RD
#undef SHUT_WR
#undef SHUT_RDWR
#undef SIGHUP
#undef SIGINT
#undef SIGKILL
#undef SIGUSR1
#undef SIGPIPE
#undef SIGTERM
#undef SIG_BLOCK
#undef SIG_UNBLOCK
#undef SIG_SETMASK
#undef SFD_NONBLOCK
#undef SFD_CLOEXEC
#undef CLOCK_REALTIME
#undef CLOCK_MONOTONIC
#undef CLONE_VM
#undef CLONE_FS
#undef CLONE_FILES
#undef CLONE_SIGHAND
#undef CLONE_THREAD
#undef CLONE_SYSVSEM
#undef CLONE_PARENT_SETTID
#undef CLONE_CHILD_CLEARTID
#undef FUTEX_WAIT
#undef FUTEX_WAKE
#undef RLIMIT_NOFILE
#undef __NR_read
#undef __NR_write
#undef __NR_close
#undef __NR_lseek
#undef __NR_mmap
#undef __NR_munmap
#undef __NR_rt_sigaction
#undef __NR_rt_sigprocmask
#undef __NR_sched_yield
#undef __NR_madvise
#undef __NR_nanosleep
#undef __NR_getpid
#undef __NR_socket
#undef __NR_connect
#undef __NR_accept
#undef __NR_sendto
#undef __NR_recvfrom
#undef __NR_shutdown
#undef __NR_bind
#undef __NR_listen
#undef __NR_getsockname
#undef __NR_getpeername
#undef __NR_dup3
#undef __NR_pipe2
#undef __NR_setsockopt
#undef __NR_getsockopt
#undef __NR_clone
#undef __NR_exit
#undef __NR_kill
#undef __NR_uname
#undef __NR_fcntl
#undef __NR_chdir
#undef __NR_getuid
#undef __NR_getgid
#undef __NR_setuid
#undef __NR_setgid
#undef __NR_geteuid
#undef __NR_setgroups
#undef __NR_chroot
#undef __NR_gettid
#undef __NR_futex
#undef __NR_sched_setaffinity
#undef __NR_sched_getaffinity
#undef __NR_getdents64
#undef __NR_clock_gettime
#undef __NR_exit_group
#undef __NR_tgkill
#undef __NR_openat
#undef __NR_signalfd4
#undef __NR_prlimit64
#undef __NR_statx
#undef __NR_openat2
#undef __NR_getrandom
#undef __NR_io_uring_setup
#undef __NR_io_uring_enter
#undef __NR_io_uring_register

#include "rocket/abi/linux.h"
#include "rocket/arch.h"

#define RK_SAME(x) _Static_assert((long)(x) == sys_##x, #x " differs from the system header");
RK_LINUX_CONSTANTS(RK_SAME)
#define RK_SAME_NR(x) _Static_assert(__NR_##x == sys_nr_##x, "__NR_" #x " differs");
RK_SYSCALLS(RK_SAME_NR)

_Static_assert(sizeof(struct rk_sockaddr_in) == sys_sockaddr_in, "sockaddr_in");
_Static_assert(offsetof(struct rk_sockaddr_in, sin_port) == sys_sin_port, "sin_port");
_Static_assert(offsetof(struct rk_sockaddr_in, sin_addr) == sys_sin_addr, "sin_addr");
_Static_assert(sizeof(struct rk_sockaddr_in6) == sys_sockaddr_in6, "sockaddr_in6");
_Static_assert(offsetof(struct rk_sockaddr_in6, sin6_port) == sys_sin6_port, "sin6_port");
_Static_assert(offsetof(struct rk_sockaddr_in6, sin6_addr) == sys_sin6_addr, "sin6_addr");
_Static_assert(offsetof(struct rk_sockaddr_in6, sin6_scope_id) == sys_sin6_scope_id, "scope_id");
_Static_assert(sizeof(struct rk_sockaddr_un) == sys_sockaddr_un, "sockaddr_un");
_Static_assert(offsetof(struct rk_sockaddr_un, sun_path) == sys_sun_path, "sun_path");
_Static_assert(sizeof(struct rk_linger) == sys_linger, "linger");
_Static_assert(sizeof(struct rk_signalfd_siginfo) == sys_signalfd_siginfo, "signalfd_siginfo");
_Static_assert(sizeof(struct rk_rlimit) == sys_rlimit, "rlimit");
_Static_assert(sizeof(struct rk_utsname) == sys_utsname, "utsname");
_Static_assert(offsetof(struct rk_utsname, machine) == sys_utsname_machine, "utsname.machine");

#define RK_COUNT(x) +1
TEST(linux_abi_matches_the_system_headers_at_compile_time)
{
	/* The asserts above did the work; say how much was compared. */
	printf("  %d constants, %d syscall numbers, 7 structs\n", 0 RK_LINUX_CONSTANTS(RK_COUNT),
	       0 RK_SYSCALLS(RK_COUNT));
}
