/* src/engine/listen.c - listening TCP sockets (include/rocket/listen.h).
 *
 * socket(2) + SO_REUSEADDR (a restart binds while old connections sit in
 * TIME_WAIT, socket(7)) + TCP_NODELAY (inherited by accepted sockets,
 * tcp(7)) + bind(2) + listen(2); IPV6_V6ONLY off so "::" takes IPv4 too
 * (ipv6(7)). Sockets from systemd are checked with SO_TYPE and
 * SO_ACCEPTCONN (socket(7)), since nothing else says what fd 3 is. A
 * sibling for --accept reactor joins a listener's SO_REUSEPORT group
 * (socket(7): the kernel then spreads new connections over the group).
 * Read next: include/rocket/addr.h.
 */
#include "rocket/addr.h"
#include "rocket/listen.h"
#include "rocket/sys.h"
#include "rocket/util.h"

/* socket, options, bind, listen; SO_REUSEPORT for a sibling. */
static int rk_listen_sa(const struct rk_sockaddr *sa, uint32_t len, int backlog, int reuseport)
{
	int fd = sys_socket(sa->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	int one = 1, zero = 0, ret;
	/* SO_REUSEADDR for a sibling too: the listener's accepted sockets sit
	 * on the same port, without SO_REUSEPORT (inet_bind_conflict). */
	sys_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (reuseport)
		sys_setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	sys_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (sa->family == AF_INET6)
		sys_setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if ((ret = sys_bind(fd, sa, len)) < 0 || (ret = sys_listen(fd, backlog)) < 0) {
		sys_close(fd);
		return ret;
	}
	return fd;
}

int rk_listen_open(const char *addr, uint16_t port, int backlog)
{
	struct rk_sockaddr sa;
	int len = rk_addr_parse(addr, port, &sa);
	return len < 0 ? len : rk_listen_sa(&sa, (uint32_t)len, backlog, 0);
}

int rk_listen_sibling(int fd, int backlog)
{
	struct rk_sockaddr sa;
	uint32_t len = sizeof(sa);
	int one = 1, ret;
	/* Set on the listener after the fact: a group forms when the second
	 * socket binds (both must have it, and the same owner). */
	if ((ret = sys_getsockname(fd, &sa, &len)) < 0 ||
	    (ret = sys_setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one))) < 0)
		return ret;
	return rk_listen_sa(&sa, len, backlog, 1);
}

int rk_listen_check(int fd)
{
	int v = 0;
	uint32_t len = sizeof(v);
	int ret = sys_getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len);
	if (ret < 0)
		return ret;
	if (v != SOCK_STREAM)
		return -EPROTOTYPE;
	len = sizeof(v);
	ret = sys_getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len);
	if (ret < 0)
		return ret;
	return v ? 0 : -EINVAL;
}

uint16_t rk_listen_port(int fd)
{
	struct rk_sockaddr sa;
	uint32_t len = sizeof(sa);
	if (sys_getsockname(fd, &sa, &len) < 0)
		return 0;
	if (sa.family == AF_INET)
		return rk_htons(sa.in4.sin_port);
	return sa.family == AF_INET6 ? rk_htons(sa.in6.sin6_port) : 0;
}

size_t rk_listen_name(int fd, char *buf, size_t cap)
{
	struct rk_sockaddr sa;
	uint32_t len = sizeof(sa);
	if (sys_getsockname(fd, &sa, &len) < 0)
		sa.family = AF_UNSPEC;
	return rk_addr_format(&sa, buf, cap);
}
