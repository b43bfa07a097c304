/* tests/test_server_signals.c - signals during the graceful stop of the
 * rocket command: a second SIGTERM while connections are still being
 * finished must be read by the acceptor's signalfd and absorbed, not left
 * pending to kill the process when rk_engine_run restores the signal mask.
 * Runs $ROCKET_BIN (the sanitized hosted server) and $ROCKET_STATIC (the
 * libc-free product) when set; both default to build/. Follows signalfd(2)
 * and src/engine/acceptor.c.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *bin_hosted(void)
{
	const char *b = getenv("ROCKET_BIN");
	return b && *b ? b : "build/rocket-san";
}

static const char *bin_static(void)
{
	const char *b = getenv("ROCKET_STATIC");
	if (!b || !*b)
		b = "build/rocket";
	return access(b, X_OK) == 0 ? b : NULL;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct srv {
	pid_t pid;
	int port;
	char err[64]; /* its stderr, in a file */
};

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	CHECK(f);
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

/* Start `bin --bind 127.0.0.1 --port 0 --reactors 1` and read the port from
 * its banner ("listening on 127.0.0.1:PORT |"). */
static void srv_start(struct srv *s, const char *bin)
{
	strcpy(s->err, "/tmp/rocket-sig-err-XXXXXX");
	int efd = mkstemp(s->err);
	CHECK(efd >= 0);
	s->pid = fork();
	CHECK(s->pid >= 0);
	if (s->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(efd, 2);
		execl(bin, bin, "--bind", "127.0.0.1", "--port", "0", "--reactors", "1", (char *)0);
		_exit(127);
	}
	close(efd);
	double end = now_s() + 20;
	for (;;) {
		char *e = slurp(s->err);
		char *l = strstr(e, "listening on 127.0.0.1:");
		if (l && strstr(l, " |")) {
			s->port = atoi(l + strlen("listening on 127.0.0.1:"));
			free(e);
			CHECK(s->port > 0 && s->port < 65536);
			return;
		}
		CHECK_MSG(waitpid(s->pid, NULL, WNOHANG) == 0, "%s exited before listening:\n%s",
			  bin, e);
		free(e);
		CHECK_MSG(now_s() < end, "%s: no banner", bin);
		usleep(5000);
	}
}

/* Its wait status within secs, or -1 (then it is killed). */
static int srv_wait(struct srv *s, double secs)
{
	double end = now_s() + secs;
	for (;;) {
		int st;
		if (waitpid(s->pid, &st, WNOHANG) == s->pid)
			return st;
		if (now_s() > end) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, NULL, 0);
			return -1;
		}
		usleep(2000);
	}
}

/* A keep-alive connection the server cannot finish gracefully: a POST /
 * (echoed back) of 64 MiB whose echo we never read, through a 4 KiB
 * receive window. Once the kernel's socket buffers are full, the server's
 * send stays blocked and the stop waits for its deadline (a second or two)
 * before aborting it. We write until the server stops reading. */
static int stuck_connection(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0);
	int small = 4096;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	CHECK_EQ(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	static const char head[] = "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 67108864\r\n\r\n";
	CHECK_EQ(write(fd, head, sizeof(head) - 1), (ssize_t)(sizeof(head) - 1));
	struct timeval tv = { .tv_usec = 200 * 1000 };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	static char body[65536];
	memset(body, 'x', sizeof(body));
	size_t sent = 0;
	for (;;) {
		ssize_t w = write(fd, body, sizeof(body));
		if (w <= 0)
			break; /* blocked for 200 ms: the server is stuck sending */
		sent += (size_t)w;
		CHECK_MSG(sent < (64u << 20), "the server kept reading 64 MiB");
	}
	CHECK(sent > 0);
	return fd;
}

static void second_sigterm(const char *bin)
{
	struct srv s;
	srv_start(&s, bin);
	int fd = stuck_connection(s.port);
	usleep(100 * 1000);
	CHECK_EQ(kill(s.pid, SIGTERM), 0);
	usleep(10 * 1000);
	bool alive = waitpid(s.pid, NULL, WNOHANG) == 0;
	CHECK_EQ(kill(s.pid, SIGTERM), 0);
	int st = srv_wait(&s, 10);
	char *err = slurp(s.err);
	close(fd);
	CHECK_MSG(alive, "%s had exited before the second SIGTERM: no stop to test", bin);
	CHECK_MSG(st != -1, "%s still running 10 s after SIGTERM:\n%s", bin, err);
	CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: wait status 0x%x%s\n%s", bin, st,
		  WIFSIGNALED(st) ? " (killed by a signal)" : "", err);
	CHECK_MSG(!strstr(err, "Sanitizer") && !strstr(err, "runtime error"),
		  "sanitizer report:\n%s", err);
	CHECK_MSG(strstr(err, "reactor 0:") && strstr(err, "acceptor:"), "no exit stats:\n%s",
		  err);
	CHECK_MSG(strstr(err, "signals absorbed 1"), "the second SIGTERM was not read:\n%s", err);
	printf("  %s: exit 0 after two SIGTERMs 10 ms apart\n", bin);
	free(err);
	unlink(s.err);
}

TEST_T(second_sigterm_during_the_graceful_stop_is_absorbed_and_exit_is_0, 60)
{
	second_sigterm(bin_hosted());
	if (bin_static())
		second_sigterm(bin_static());
}
