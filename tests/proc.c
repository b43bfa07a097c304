/* tests/proc.c - see proc.h. */
#include "proc.h"

#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *proc_bin_hosted(void)
{
	const char *b = getenv("ROCKET_BIN");
	return b && *b ? b : "build/rocket-san";
}

const char *proc_bin_static(void)
{
	const char *b = getenv("ROCKET_STATIC");
	if (!b || !*b)
		b = "build/rocket";
	return access(b, X_OK) == 0 ? b : NULL;
}

void proc_for_each_bin(void (*body)(const char *bin))
{
	body(proc_bin_hosted());
	if (proc_bin_static())
		body(proc_bin_static());
}

const char *proc_build_path(const char *name)
{
	static char path[4][512];
	static int n;
	const char *b = getenv("ROCKET_BUILD");
	char *p = path[n++ % 4];
	snprintf(p, sizeof(path[0]), "%s/%s", b && *b ? b : "build", name);
	return p;
}

const char *proc_root(void)
{
	const char *r = getenv("ROCKET_ROOT");
	return r && *r ? r : ".";
}

double proc_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void proc_spawn(struct proc *p, const char *bin, const char *const *args, const char *const *env,
		proc_hook hook, void *arg)
{
	const char *argv[40];
	int n = 0;
	argv[n++] = bin;
	for (; args && *args && n < 39; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	strcpy(p->out, "/tmp/rocket-test-out-XXXXXX");
	strcpy(p->err, "/tmp/rocket-test-err-XXXXXX");
	int ofd = mkstemp(p->out), efd = mkstemp(p->err);
	CHECK(ofd >= 0 && efd >= 0);
	/* Readable by the child even after it changes users. */
	fchmod(ofd, 0666);
	fchmod(efd, 0666);
	fflush(stdout);
	p->pid = fork();
	CHECK(p->pid >= 0);
	if (p->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(ofd, 1);
		dup2(efd, 2);
		for (; env && *env; env++)
			putenv((char *)*env);
		if (hook)
			hook(arg);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	close(ofd);
	close(efd);
}

int proc_wait(struct proc *p, double secs)
{
	double end = proc_now() + secs;
	for (;;) {
		int st;
		if (waitpid(p->pid, &st, WNOHANG) == p->pid)
			return st;
		if (proc_now() > end)
			return -1;
		usleep(2000);
	}
}

void proc_kill(struct proc *p)
{
	kill(p->pid, SIGKILL);
	waitpid(p->pid, NULL, 0);
}

void proc_cleanup(struct proc *p)
{
	unlink(p->out);
	unlink(p->err);
}

void proc_stop(struct proc *p)
{
	kill(p->pid, SIGTERM);
	proc_reap(p);
}

void proc_reap(struct proc *p)
{
	int st = proc_wait(p, 10);
	if (st == -1)
		proc_kill(p);
	char *err = proc_slurp(p->err);
	CHECK_MSG(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit status 0x%x:\n%s", st,
		  err);
	proc_check_clean(err);
	free(err);
	proc_cleanup(p);
}

void proc_check_clean(const char *err)
{
	CHECK_MSG(!strstr(err, "Sanitizer") && !strstr(err, "runtime error"), "sanitizer:\n%s",
		  err);
}

bool proc_loopback_only_net(void)
{
	if (unshare(CLONE_NEWNET) != 0) {
		printf("  skipped: no network namespace of our own (unshare: %s), and this test "
		       "would listen on every interface\n",
		       strerror(errno));
		return false;
	}
	/* A new namespace has "lo", down: up it (netdevice(7)). */
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = { 0 };
	strcpy(ifr.ifr_name, "lo");
	CHECK_MSG(fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0, "lo: %s", strerror(errno));
	ifr.ifr_flags |= IFF_UP;
	CHECK_MSG(ioctl(fd, SIOCSIFFLAGS, &ifr) == 0, "lo up: %s", strerror(errno));
	close(fd);
	return true;
}

int proc_free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	CHECK(fd >= 0);
	CHECK_EQ(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_EQ(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

int proc_start_quiet(struct proc *p, const char *bin, const char *const *args)
{
	for (int attempt = 0; attempt < 10; attempt++) {
		const char *argv[40];
		char port[16];
		int n = 0, portn = proc_free_port();
		for (; args && *args && n < 36; args++)
			argv[n++] = *args;
		snprintf(port, sizeof(port), "%d", portn);
		argv[n++] = "--port";
		argv[n++] = port;
		argv[n++] = "--quiet";
		argv[n] = NULL;
		proc_spawn(p, bin, argv, NULL, NULL, NULL);
		double end = proc_now() + 20;
		for (;;) {
			int fd = tcp_connect(NULL, portn);
			if (fd >= 0) {
				close(fd);
				return portn;
			}
			int st;
			if (waitpid(p->pid, &st, WNOHANG) == p->pid)
				break; /* e.g. EADDRINUSE: try another port */
			CHECK_MSG(proc_now() < end, "%s: not accepting on %d", bin, portn);
			usleep(2000);
		}
		proc_cleanup(p);
	}
	th_fail(__FILE__, __LINE__, "%s: could not start", bin);
}

char *proc_slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	CHECK_MSG(f, "cannot open %s", path);
	size_t cap = 4096, n = 0, k;
	char *b = malloc(cap);
	while ((k = fread(b + n, 1, cap - n - 1, f)) > 0) {
		n += k;
		if (cap - n < 2)
			b = realloc(b, cap *= 2);
	}
	b[n] = 0;
	fclose(f);
	return b;
}

int proc_run(const char *bin, const char *const *args, const char *const *env, proc_hook hook,
	     void *arg, char *line, size_t cap)
{
	struct proc p;
	proc_spawn(&p, bin, args, env, hook, arg);
	int st = proc_wait(&p, 20);
	if (st == -1)
		proc_kill(&p);
	CHECK_MSG(st != -1, "%s did not exit", bin);
	char *err = proc_slurp(p.err);
	if (line) {
		snprintf(line, cap, "%.*s", (int)strcspn(err, "\n"), err);
	}
	free(err);
	proc_cleanup(&p);
	CHECK_MSG(WIFEXITED(st), "%s: wait status 0x%x", bin, st);
	return WEXITSTATUS(st);
}

int proc_wait_banner(struct proc *p, int *ports, int max)
{
	double end = proc_now() + 20;
	for (;;) {
		char *e = proc_slurp(p->err);
		char *l = strstr(e, "listening on ");
		char *bar = l ? strstr(l, " |") : NULL;
		if (bar) {
			int n = 0;
			*bar = 0;
			/* "A:P, [B]:Q": the port follows each address's last colon. */
			for (char *a = l + 13; a && *a && n < max;) {
				char *comma = strstr(a, ", ");
				if (comma)
					*comma = 0;
				char *colon = strrchr(a, ':');
				CHECK_MSG(colon, "banner: %s", l);
				ports[n++] = atoi(colon + 1);
				a = comma ? comma + 2 : NULL;
			}
			free(e);
			return n;
		}
		int st;
		if (waitpid(p->pid, &st, WNOHANG) == p->pid)
			th_fail(__FILE__, __LINE__, "exited (status 0x%x) before listening:\n%s",
				st, e);
		free(e);
		CHECK_MSG(proc_now() < end, "no banner");
		usleep(5000);
	}
}

int proc_start_banner(struct proc *p, const char *bin, const char *const *args)
{
	int port = 0;
	proc_spawn(p, bin, args, NULL, NULL, NULL);
	CHECK_MSG(proc_wait_banner(p, &port, 1) == 1 && port > 0 && port < 65536,
		  "%s: no port in its banner", bin);
	return port;
}

int tcp_connect(const char *addr, int port)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	bool v6 = addr && strchr(addr, ':');
	if (v6)
		CHECK(inet_pton(AF_INET6, addr, &a6.sin6_addr) == 1);
	else
		CHECK(inet_pton(AF_INET, addr ? addr : "127.0.0.1", &a4.sin_addr) == 1);
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0);
	int r = v6 ? connect(fd, (struct sockaddr *)&a6, sizeof(a6))
		   : connect(fd, (struct sockaddr *)&a4, sizeof(a4));
	if (r < 0) {
		close(fd);
		return -1;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	struct timeval tv = { .tv_sec = 10 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

int tcp_connect_rcvbuf(int port, int rcvbuf)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	CHECK_MSG(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0, "connect: %s",
		  strerror(errno));
	return fd;
}

char *http_get(const char *addr, int port, const char *path)
{
	int fd = tcp_connect(addr, port);
	if (fd < 0)
		return NULL;
	char req[256];
	int n = snprintf(req, sizeof(req),
			 "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", path);
	CHECK_EQ(write(fd, req, (size_t)n), n);
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	for (;;) {
		ssize_t r = read(fd, buf + len, cap - len - 1);
		if (r <= 0)
			break;
		len += (size_t)r;
		if (cap - len < 2)
			buf = realloc(buf, cap *= 2);
	}
	close(fd);
	buf[len] = 0;
	return buf;
}

const char *http_body_200(const char *r)
{
	if (!r || strncmp(r, "HTTP/1.1 200 OK\r\n", 17))
		return NULL;
	const char *b = strstr(r, "\r\n\r\n");
	return b ? b + 4 : NULL;
}
