/* tests/qemu/init.c - PID 1 of the aarch64 test VM (make test-aarch64).
 *
 * Runs inside qemu-system-aarch64 from a tiny initramfs that holds only this
 * program (static, libc) and /rocket (static, no libc, built for aarch64).
 * It brings up the loopback interface, starts `/rocket --port 8080`, checks
 * GET /plaintext and 16 pipelined requests answered in order, stops the
 * server with SIGTERM (exit status 0), then powers the VM off. The host side
 * (tests/qemu/run-aarch64.sh) reads the verdict line from the serial console.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PORT 8080

static int lo_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	int ret = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (ret == 0) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		ret = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return ret;
}

/* Connect to 127.0.0.1:PORT, retrying while the server starts (10 s). */
static int connect_retry(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < 200; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
			return fd;
		if (fd >= 0)
			close(fd);
		usleep(50 * 1000);
	}
	return -1;
}

/* Send req on a fresh connection and read until `want` bodies have arrived
 * (both routes' bodies hold "Hello, World!" once), or the peer closes. */
static int exchange(const char *req, size_t n, char *buf, size_t cap, int want)
{
	size_t len = 0;
	int fd = connect_retry();
	if (fd < 0)
		return -1;
	if (write(fd, req, n) != (ssize_t)n) {
		close(fd);
		return -1;
	}
	struct timeval tv = { .tv_sec = 20 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (int seen = 0; seen < want && len < cap - 1;) {
		ssize_t r = read(fd, buf + len, cap - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
		buf[len] = 0;
		seen = 0;
		for (const char *p = buf; (p = strstr(p, "Hello, World!")); p++)
			seen++;
	}
	close(fd);
	buf[len] = 0;
	return (int)len;
}

static int test_plaintext(void)
{
	static const char req[] = "GET /plaintext HTTP/1.1\r\nHost: qemu\r\n\r\n";
	char buf[4096];
	if (exchange(req, sizeof(req) - 1, buf, sizeof(buf), 1) < 0)
		return 0;
	char *eol = strpbrk(buf, "\r\n");
	printf("aarch64: GET /plaintext -> \"%.*s\"\n", eol ? (int)(eol - buf) : 60, buf);
	return strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0 && strstr(buf, "\r\n\r\nHello, World!");
}

/* 16 requests in one write, alternating /plaintext and /json: 16 answers,
 * in the order asked. */
static int test_pipelined(void)
{
	static const char a[] = "GET /plaintext HTTP/1.1\r\nHost: qemu\r\n\r\n";
	static const char b[] = "GET /json HTTP/1.1\r\nHost: qemu\r\n\r\n";
	char req[2048], buf[16384];
	size_t n = 0;
	for (int i = 0; i < 16; i++) {
		const char *r = i % 2 ? b : a;
		size_t l = i % 2 ? sizeof(b) - 1 : sizeof(a) - 1;
		memcpy(req + n, r, l);
		n += l;
	}
	if (exchange(req, n, buf, sizeof(buf), 16) < 0)
		return 0;
	int got = 0, in_order = 1;
	const char *p = buf;
	while ((p = strstr(p, "HTTP/1.1 200 OK\r\n"))) {
		const char *body = strstr(p, "\r\n\r\n");
		if (!body)
			break;
		body += 4;
		int json = strncmp(body, "{\"message\"", 10) == 0;
		if (json != (got % 2))
			in_order = 0;
		got++;
		p = body;
	}
	printf("aarch64: 16 pipelined requests -> %d responses%s\n", got,
	       in_order ? ", in order" : ", OUT OF ORDER");
	return got == 16 && in_order;
}

int main(void)
{
	mount("proc", "/proc", "proc", 0, NULL);
	printf("aarch64: init up, kernel io_uring test starting\n");
	if (lo_up())
		printf("aarch64: lo up failed: %s\n", strerror(errno));

	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = { "/rocket", "--port", "8080", NULL };
		char *envp[] = { NULL };
		execve(argv[0], argv, envp);
		printf("aarch64: exec /rocket: %s\n", strerror(errno));
		_exit(127);
	}
	int passed = 0, failed = 0;
#define RUN(t)                                                                                     \
	do {                                                                                       \
		int r_ = pid > 0 && t();                                                           \
		printf("%s %s\n", r_ ? "ok" : "FAIL", #t);                                         \
		r_ ? passed++ : failed++;                                                          \
	} while (0)
	RUN(test_plaintext);
	RUN(test_pipelined);
	int exited0 = 0;
	if (pid > 0) {
		kill(pid, SIGTERM);
		int st = 0;
		for (int i = 0; i < 50 && waitpid(pid, &st, WNOHANG) == 0; i++)
			usleep(100 * 1000);
		if (waitpid(pid, &st, WNOHANG) == 0 && !WIFEXITED(st)) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			printf("aarch64: rocket ignored SIGTERM\n");
		} else {
			exited0 = WIFEXITED(st) && WEXITSTATUS(st) == 0;
			printf("aarch64: rocket exited (status 0x%x)\n", st);
		}
	}
	printf("%s sigterm_exits_0\n", exited0 ? "ok" : "FAIL");
	exited0 ? passed++ : failed++;
	printf("aarch64: %d passed, %d failed\n", passed, failed);
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
