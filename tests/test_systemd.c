/* tests/test_systemd.c - rocket under systemd's protocols, played by the
 * test: socket activation (sd_listen_fds(3): listening sockets as fds 3..,
 * LISTEN_FDS=N, LISTEN_PID=the server's own pid) and readiness
 * (sd_notify(3): "READY=1" and "STOPPING=1" datagrams to $NOTIFY_SOCKET,
 * a path or an "@abstract" name). Runs the sanitized hosted server and the
 * static product.
 */
#include "harness.h"
#include "proc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static void for_both(void (*fn)(const char *bin))
{
	fn(proc_bin_hosted());
	if (proc_bin_static())
		fn(proc_bin_static());
}

static int listen_loopback(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	CHECK_EQ(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_EQ(listen(fd, 64), 0);
	CHECK_EQ(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* What systemd does between fork and exec: the sockets as fds 3.., and
 * LISTEN_PID naming the process that is about to exec. */
struct activation {
	int fds[4];
	int n;
	const char *pid; /* NULL: our own pid */
};

static void hand_over(void *arg)
{
	struct activation *a = arg;
	/* Out of the way first (a socket may already sit at 3 or 4), then
	 * down to 3..: dup2 leaves FD_CLOEXEC off, as systemd does. */
	for (int i = 0; i < a->n; i++)
		if (dup2(a->fds[i], 100 + i) < 0)
			_exit(124);
	for (int i = 0; i < a->n; i++)
		if (dup2(100 + i, 3 + i) < 0 || close(100 + i))
			_exit(124);
	char n[16], pid[16];
	snprintf(n, sizeof(n), "%d", a->n);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("LISTEN_FDS", n, 1);
	setenv("LISTEN_PID", a->pid ? a->pid : pid, 1);
}

/* Served on the inherited socket; --port names that very port, so binding
 * one of its own would fail with EADDRINUSE and exit 1. */
static void one_inherited_socket(const char *bin)
{
	struct activation a = { .n = 1 };
	int port;
	a.fds[0] = listen_loopback(&port);
	char ps[16];
	snprintf(ps, sizeof(ps), "%d", port);
	const char *args[] = { "--bind", "127.0.0.1", "--port", ps, "--reactors", "1", NULL };
	struct proc p;
	proc_spawn(&p, bin, args, NULL, hand_over, &a);
	close(a.fds[0]);
	int ports[2];
	CHECK_EQ(proc_wait_banner(&p, ports, 2), 1);
	CHECK_EQ(ports[0], port);
	for (int i = 0; i < 3; i++)
		CHECK_MSG(http_body_200(http_get("127.0.0.1", port, "/plaintext")), "not served");
	proc_stop(&p);
}

TEST(socket_activation_serves_the_inherited_socket)
{
	for_both(one_inherited_socket);
}

/* Two sockets: each has its own accept; a connection to the second is
 * answered even while none arrives on the first. */
static void two_inherited_sockets(const char *bin)
{
	struct activation a = { .n = 2 };
	int port[2];
	a.fds[0] = listen_loopback(&port[0]);
	a.fds[1] = listen_loopback(&port[1]);
	const char *args[] = { "--reactors", "2", NULL };
	struct proc p;
	proc_spawn(&p, bin, args, NULL, hand_over, &a);
	close(a.fds[0]);
	close(a.fds[1]);
	int banner[3];
	CHECK_EQ(proc_wait_banner(&p, banner, 3), 2);
	CHECK(banner[0] == port[0] && banner[1] == port[1]);
	for (int round = 0; round < 2; round++)
		for (int i = 1; i >= 0; i--)
			CHECK_MSG(http_body_200(http_get("127.0.0.1", port[i], "/plaintext")),
				  "socket %d (port %d) not served", i, port[i]);
	proc_stop(&p);
}

TEST(two_inherited_sockets_are_both_served)
{
	for_both(two_inherited_sockets);
}

/* LISTEN_PID of another process: the variables were meant for someone
 * else (a parent that did not clear them), so rocket binds its own. */
static void foreign_listen_pid(const char *bin)
{
	struct activation a = { .n = 1, .pid = "1" };
	int port;
	a.fds[0] = listen_loopback(&port);
	const char *args[] = { "--bind", "127.0.0.1", "--port", "0", "--reactors", "1", NULL };
	struct proc p;
	proc_spawn(&p, bin, args, NULL, hand_over, &a);
	close(a.fds[0]);
	int own;
	CHECK_EQ(proc_wait_banner(&p, &own, 1), 1);
	CHECK(own != port);
	CHECK(http_body_200(http_get("127.0.0.1", own, "/plaintext")));
	proc_stop(&p);
}

TEST(listen_pid_of_another_process_is_ignored)
{
	for_both(foreign_listen_pid);
}

/* A descriptor that is no listening socket, or a bad count: one line, exit 1. */
static void pipe_as_fd3(void *arg)
{
	int fds[2];
	if (pipe(fds) || dup2(fds[0], 3) < 0)
		_exit(124);
	hand_over(arg);
}

static void bad_activation(const char *bin)
{
	struct activation a = { .n = 1 };
	const char *args[] = { NULL };
	char line[512];
	CHECK_EQ(proc_run(bin, args, NULL, pipe_as_fd3, &a, line, sizeof(line)), 1);
	CHECK_MSG(!strcmp(line, "rocket: LISTEN_FDS: fd 3 is no listening TCP socket (ENOTSOCK): "
				"use ListenStream="),
		  "got '%s'", line);
	struct activation none = { .n = 0 };
	CHECK_EQ(proc_run(bin, args, NULL, hand_over, &none, line, sizeof(line)), 1);
	CHECK_MSG(!strcmp(line, "rocket: LISTEN_FDS=0: must be a number from 1 to 16"), "got '%s'",
		  line);
}

TEST(a_bad_inherited_socket_is_named_and_exits_1)
{
	for_both(bad_activation);
}

/* ---- sd_notify ---------------------------------------------------------- */

/* A datagram socket at path, or at an abstract name when path starts
 * with '@'. */
static int notify_socket(const char *path)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	size_t n = strlen(path);
	memcpy(a.sun_path, path, n);
	if (path[0] == '@')
		a.sun_path[0] = 0;
	else
		unlink(path);
	CHECK_EQ(bind(fd, (struct sockaddr *)&a,
		      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)),
		 0);
	return fd;
}

static void expect_datagram(int fd, const char *want, double secs)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	CHECK_MSG(poll(&pfd, 1, (int)(secs * 1000)) == 1, "no %s within %.0f s", want, secs);
	char buf[256];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
	CHECK(n > 0);
	buf[n] = 0;
	CHECK_MSG(!strcmp(buf, want), "got '%s', want '%s'", buf, want);
}

static void notify_ready(const char *bin, const char *where)
{
	int fd = notify_socket(where);
	char env[128];
	snprintf(env, sizeof(env), "NOTIFY_SOCKET=%s", where);
	const char *envs[] = { env, NULL };
	const char *args[] = { "--bind", "127.0.0.1", "--port", "0", "--reactors", "2", NULL };
	struct proc p;
	proc_spawn(&p, bin, args, envs, NULL, NULL);
	expect_datagram(fd, "READY=1", 20);
	/* Ready means serving. */
	int port;
	CHECK_EQ(proc_wait_banner(&p, &port, 1), 1);
	CHECK(http_body_200(http_get("127.0.0.1", port, "/plaintext")));
	kill(p.pid, SIGTERM);
	expect_datagram(fd, "STOPPING=1", 10);
	proc_reap(&p);
	close(fd);
	if (where[0] == '/')
		unlink(where);
}

static void ready_on_a_path(const char *bin)
{
	char path[64];
	snprintf(path, sizeof(path), "/tmp/rocket-notify-%d", (int)getpid());
	notify_ready(bin, path);
}

static void ready_on_an_abstract_name(const char *bin)
{
	char name[64];
	snprintf(name, sizeof(name), "@rocket-notify-%d", (int)getpid());
	notify_ready(bin, name);
}

TEST(ready_and_stopping_reach_a_notify_socket_path)
{
	for_both(ready_on_a_path);
}

TEST(ready_and_stopping_reach_an_abstract_notify_socket)
{
	for_both(ready_on_an_abstract_name);
}
