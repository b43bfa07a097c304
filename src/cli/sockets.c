/* src/cli/sockets.c - the listening sockets: inherited from systemd, or one
 * per --bind address.
 *
 * Socket activation (sd_listen_fds(3)): when $LISTEN_PID is our pid and
 * $LISTEN_FDS is N >= 1, the sockets are fds 3 .. 3+N-1, already bound and
 * listening; we serve those and bind nothing (--bind and --port are then
 * not used). A failed bind says why and which flag to change.
 * Read next: src/cli/static.c.
 */
#include "cli.h"
#include "rocket/fmt.h"
#include "rocket/listen.h"
#include "rocket/sys.h"
#include "rocket/util.h"

#define RK_SD_LISTEN_FDS_START 3 /* sd-daemon.h SD_LISTEN_FDS_START */

static const char *rk_env_value(const struct rk_cli *c, const char *name)
{
	const char *v = rk_cli_getenv(c->envp, name);
	return v ? v : "";
}

/* 1: systemd's sockets are in cfg.listen_fds; 0: none for us; -1: error. */
static int rk_inherit(struct rk_cli *c)
{
	const char *pid_s = rk_cli_getenv(c->envp, "LISTEN_PID");
	uint32_t pid, n;
	/* Not for us: a LISTEN_PID of another process (our parent's, passed
	 * down by mistake) is ignored, as sd_listen_fds(3) does. */
	if (!pid_s || !rk_cli_u32(pid_s, &pid) || pid != (uint32_t)sys_getpid())
		return 0;
	if (!rk_cli_u32(rk_env_value(c, "LISTEN_FDS"), &n) || n < 1 || n > RK_MAX_LISTEN) {
		rk_dprint(2, "rocket: LISTEN_FDS=%s: must be a number from 1 to %u\n",
			  rk_env_value(c, "LISTEN_FDS"), RK_MAX_LISTEN);
		return -1;
	}
	for (uint32_t i = 0; i < n; i++) {
		int fd = RK_SD_LISTEN_FDS_START + (int)i;
		int ret = rk_listen_check(fd);
		if (ret < 0) {
			rk_dprint(2,
				  "rocket: LISTEN_FDS: fd %d is no listening TCP socket (%s): "
				  "use ListenStream=\n",
				  fd, rk_errno_name(ret));
			return -1;
		}
		/* systemd hands them over without FD_CLOEXEC; accepted sockets
		 * inherit TCP_NODELAY from the listener. */
		int one = 1;
		sys_fcntl(fd, F_SETFD, FD_CLOEXEC);
		sys_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->cfg.listen_fds[c->cfg.nlisten++] = fd;
	}
	c->inherited = true;
	return 1;
}

static void rk_bind_error(const char *addr, uint32_t port, int err)
{
	const char *pre = "rocket: cannot listen on";
	switch (-err) {
	case EINVAL:
		rk_dprint(2,
			  "rocket: --bind %s: not a numeric IPv4/IPv6 address (host names are "
			  "not resolved): use e.g. 127.0.0.1, ::1, 0.0.0.0 or ::\n",
			  addr);
		return;
	case EACCES:
	case EPERM: {
		uint32_t low =
			rk_cli_read_u32("/proc/sys/net/ipv4/ip_unprivileged_port_start", 1024);
		if (port && port < low) {
			rk_dprint(2,
				  "%s %s port %u: permission denied (%s): ports below %u need "
				  "CAP_NET_BIND_SERVICE; use --port %u or above, or setcap "
				  "cap_net_bind_service=+ep\n",
				  pre, addr, port, rk_errno_name(err), low, low);
			return;
		}
		break;
	}
	case EADDRINUSE:
		rk_dprint(2,
			  "%s %s port %u: address in use (EADDRINUSE): another program listens "
			  "there; stop it or change --port\n",
			  pre, addr, port);
		return;
	case EADDRNOTAVAIL:
		rk_dprint(2,
			  "%s %s port %u: address not available (EADDRNOTAVAIL): not one of "
			  "this machine's; change --bind\n",
			  pre, addr, port);
		return;
	case EAFNOSUPPORT:
		rk_dprint(2, "%s %s port %u: EAFNOSUPPORT: IPv6 is off here; use --bind 0.0.0.0\n",
			  pre, addr, port);
		return;
	}
	rk_dprint(2, "%s %s port %u: %s; check --bind and --port\n", pre, addr, port,
		  rk_errno_name(err));
}

int rk_cli_listen(struct rk_cli *c)
{
	int ret = rk_inherit(c);
	if (ret)
		return ret < 0 ? -1 : 0;
	bool dflt = !c->nbinds;
	if (dflt)
		c->binds[c->nbinds++] = RK_CLI_BIND_DEFAULT;
	for (uint32_t i = 0; i < c->nbinds; i++) {
		const char *addr = c->binds[i];
		int fd = rk_listen_open(addr, c->cfg.port, c->cfg.backlog);
		/* The default "::" on a machine without IPv6: IPv4 alone. */
		if (fd == -EAFNOSUPPORT && dflt)
			fd = rk_listen_open(addr = "0.0.0.0", c->cfg.port, c->cfg.backlog);
		if (fd < 0) {
			rk_bind_error(addr, c->port, fd);
			rk_cli_unlisten(c);
			return -1;
		}
		c->cfg.listen_fds[c->cfg.nlisten++] = fd;
	}
	return 0;
}

void rk_cli_unlisten(struct rk_cli *c)
{
	for (uint32_t i = 0; i < c->cfg.nlisten; i++)
		sys_close(c->cfg.listen_fds[i]);
	c->cfg.nlisten = 0;
}
