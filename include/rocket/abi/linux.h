/* include/rocket/abi/linux.h - the rest of the kernel ABI Rocket touches:
 * errno values, mmap, sockets, signals, clone and futex constants.
 *
 * Values are those of include/uapi/asm-generic (shared by x86-64 and
 * aarch64 for everything below); see errno(3), mmap(2), socket(7), ip(7),
 * ipv6(7), tcp(7), signalfd(2), clone(2), futex(2).
 * Read next: include/rocket/abi/uio.h.
 */
#ifndef ROCKET_ABI_LINUX_H
#define ROCKET_ABI_LINUX_H

#include <stdint.h>

/* ---- errno (returned negated by every syscall) ---------------------------- */
#define EPERM         1
#define ENOENT        2
#define ESRCH         3
#define EINTR         4
#define EIO           5
#define ENXIO         6 /* open(2) of a socket or a device without its driver */
#define EBADF         9
#define EAGAIN        11
#define ENOMEM        12
#define EACCES        13
#define EFAULT        14
#define EBUSY         16
#define EEXIST        17
#define EXDEV         18 /* openat2 RESOLVE_BENEATH: the path would leave dirfd */
#define ENODEV        19
#define ENOTDIR       20
#define EINVAL        22
#define ENFILE        23
#define EMFILE        24
#define ENOSPC        28
#define EPIPE         32
#define ERANGE        34
#define ENAMETOOLONG  36
#define ENOSYS        38
#define ELOOP         40 /* openat2: a symlink RESOLVE_NO_(MAGIC|SYM)LINKS forbids */
#define EBADR         53 /* io_uring_enter: CQEs were dropped (5.19) */
#define ETIME         62
#define EOVERFLOW     75
#define EBADFD        77
#define ENOTSOCK      88
#define EMSGSIZE      90
#define EPROTOTYPE    91
#define EOPNOTSUPP    95
#define EAFNOSUPPORT  97
#define EADDRINUSE    98
#define EADDRNOTAVAIL 99
#define ENETDOWN      100
#define ECONNABORTED  103
#define ECONNRESET    104
#define ENOBUFS       105
#define ENOTCONN      107
#define ETIMEDOUT     110
#define ECONNREFUSED  111
#define EALREADY      114
#define ECANCELED     125
#define EOWNERDEAD    130 /* io_uring_enter: the SQPOLL thread is gone */

/* ---- mmap(2) ------------------------------------------------------------ */
#define PROT_NONE     0x0
#define PROT_READ     0x1
#define PROT_WRITE    0x2
#define MAP_SHARED    0x01
#define MAP_PRIVATE   0x02
#define MAP_ANONYMOUS 0x20
#define MAP_NORESERVE 0x4000
#define MAP_POPULATE  0x8000
#define MAP_STACK     0x20000
#define MADV_DONTNEED 4

/* ---- open/fcntl --------------------------------------------------------- */
#define O_RDONLY     00
#define O_WRONLY     01
#define O_CREAT      0100
#define O_APPEND     02000
#define O_NONBLOCK   04000
#define O_CLOEXEC    02000000
#define F_GETFL      3
#define F_SETPIPE_SZ 1031 /* 2.6.35: a pipe's capacity in bytes (fcntl(2)) */
#define F_SETFL      4
#define AT_FDCWD     (-100)
#define SEEK_SET     0
#define SEEK_CUR     1
#define SEEK_END     2
#define F_GETFD      1
#define F_SETFD      2
#define FD_CLOEXEC   1

/* ---- sockets ------------------------------------------------------------ */
#define AF_UNSPEC     0
#define AF_UNIX       1 /* unix(7): sd_notify's datagrams */
#define AF_INET       2
#define AF_INET6      10
#define SOCK_STREAM   1
#define SOCK_DGRAM    2
#define SOCK_NONBLOCK O_NONBLOCK
#define SOCK_CLOEXEC  O_CLOEXEC

#define SOL_SOCKET    1
#define SO_REUSEADDR  2
#define SO_TYPE       3
#define SO_SNDBUF     7
#define SO_RCVBUF     8
#define SO_LINGER     13
#define SO_REUSEPORT  15
#define SO_ACCEPTCONN 30 /* 1 on a socket in listen(2) state */

#define IPPROTO_TCP  6
#define IPPROTO_IPV6 41
#define TCP_NODELAY  1
#define IPV6_V6ONLY  26

#define MSG_DONTWAIT 0x40
#define MSG_WAITALL  0x100
#define MSG_NOSIGNAL 0x4000 /* no SIGPIPE on a closed peer */

#define SHUT_RD   0
#define SHUT_WR   1
#define SHUT_RDWR 2

struct rk_sockaddr_in {
	uint16_t sin_family;
	uint16_t sin_port; /* network byte order */
	uint32_t sin_addr; /* network byte order */
	uint8_t sin_zero[8];
};

struct rk_sockaddr_in6 {
	uint16_t sin6_family;
	uint16_t sin6_port; /* network byte order */
	uint32_t sin6_flowinfo;
	uint8_t sin6_addr[16];
	uint32_t sin6_scope_id;
};

/* Big enough for either family. */
struct rk_sockaddr {
	union {
		uint16_t family;
		struct rk_sockaddr_in in4;
		struct rk_sockaddr_in6 in6;
	};
};

/* unix(7): sun_path holds a path, or for an abstract name a NUL byte and
 * the name (its length then comes from the address length, no NUL). */
struct rk_sockaddr_un {
	uint16_t sun_family;
	char sun_path[108];
};

struct rk_linger {
	int32_t l_onoff;
	int32_t l_linger;
};

/* ---- signals ------------------------------------------------------------ */
#define SIGHUP         1
#define SIGINT         2
#define SIGKILL        9
#define SIGUSR1        10
#define SIGPIPE        13
#define SIGTERM        15
#define SIG_BLOCK      0
#define SIG_UNBLOCK    1
#define SIG_SETMASK    2
#define RK_SIGBIT(sig) (1ULL << ((sig)-1))
#define SFD_NONBLOCK   O_NONBLOCK
#define SFD_CLOEXEC    O_CLOEXEC

/* signalfd(2) reads 128-byte records; we need only the signal number. */
struct rk_signalfd_siginfo {
	uint32_t ssi_signo;
	uint8_t rest[124];
};

/* ---- clocks ------------------------------------------------------------- */
#define CLOCK_REALTIME  0
#define CLOCK_MONOTONIC 1

/* ---- clone(2) and futex(2), for threads without libc --------------------- */
#define CLONE_VM             0x00000100
#define CLONE_FS             0x00000200
#define CLONE_FILES          0x00000400
#define CLONE_SIGHAND        0x00000800
#define CLONE_THREAD         0x00010000
#define CLONE_SYSVSEM        0x00040000
#define CLONE_PARENT_SETTID  0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define FUTEX_WAIT           0
#define FUTEX_WAKE           1

/* ---- resources ---------------------------------------------------------- */
#define RLIMIT_NOFILE 7
struct rk_rlimit {
	uint64_t rlim_cur;
	uint64_t rlim_max;
};

struct rk_utsname {
	char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

#endif
