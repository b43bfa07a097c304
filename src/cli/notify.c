/* src/cli/notify.c - tell systemd we are ready (Type=notify services).
 *
 * sd_notify(3): $NOTIFY_SOCKET names an AF_UNIX datagram socket, a path,
 * or an abstract name when it starts with '@' (unix(7): the address is then
 * a NUL byte and the name, its length given by the address length). One
 * datagram "READY=1" once serving, "STOPPING=1" when stopping.
 * Read next: src/cli/version.c.
 */
#include "cli.h"
#include "rocket/sys.h"
#include "rocket/util.h"

int rk_cli_notify(const char *sock, const char *msg)
{
	struct rk_sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = rk_strlen(sock);
	if ((sock[0] != '/' && sock[0] != '@') || n >= sizeof(sa.sun_path))
		return -EINVAL; /* not ours to speak (e.g. "vsock:"), or too long */
	rk_memcpy(sa.sun_path, sock, n);
	if (sock[0] == '@')
		sa.sun_path[0] = 0;
	int fd = sys_socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	uint32_t alen = (uint32_t)(sizeof(sa.sun_family) + n);
	long ret = sys_sendto_addr(fd, msg, rk_strlen(msg), MSG_NOSIGNAL, &sa, alen);
	sys_close(fd);
	return ret < 0 ? (int)ret : 0;
}
