/* tests/qemu/init.c - PID 1 of the aarch64 test VM (make test-aarch64).
 *
 * Runs inside qemu-system-aarch64 from a tiny initramfs that holds only this
 * program (static, libc) and /rocket (static, no libc, built for aarch64).
 * It brings up the loopback interface, starts `/rocket --port 8080`, sends
 * one GET and checks the status line, then powers the VM off. The host side
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

static int http_get(char *status, size_t cap)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: qemu\r\nConnection: close\r\n\r\n";
	char buf[4096];
	size_t len = 0;
	int fd = connect_retry();
	if (fd < 0) {
		snprintf(status, cap, "connect: %s", strerror(errno));
		return -1;
	}
	if (write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1)) {
		snprintf(status, cap, "write: %s", strerror(errno));
		close(fd);
		return -1;
	}
	struct timeval tv = { .tv_sec = 10 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (;;) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (memchr(buf, '\n', len) || len == sizeof(buf) - 1)
			break;
	}
	close(fd);
	buf[len] = '\0';
	char *eol = strpbrk(buf, "\r\n");
	if (eol)
		*eol = '\0';
	snprintf(status, cap, "%.200s", buf);
	return strncmp(buf, "HTTP/1.1 200", 12) == 0 ? 0 : -1;
}

int main(void)
{
	char status[256] = "";
	int ok = 0;

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
	ok = pid > 0 && http_get(status, sizeof(status)) == 0;
	printf("aarch64: GET / -> \"%s\"\n", status);
	if (pid > 0) {
		kill(pid, SIGTERM);
		int st = 0;
		for (int i = 0; i < 50 && waitpid(pid, &st, WNOHANG) == 0; i++)
			usleep(100 * 1000);
		if (waitpid(pid, &st, WNOHANG) == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			printf("aarch64: rocket ignored SIGTERM\n");
		} else {
			printf("aarch64: rocket exited (status 0x%x)\n", st);
		}
	}
	printf("%s rocket_serves_get_on_aarch64\n", ok ? "ok" : "FAIL");
	printf("aarch64: %d passed, %d failed\n", ok, !ok);
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
