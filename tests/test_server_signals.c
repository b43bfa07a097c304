/* tests/test_server_signals.c - signals during the graceful stop of the
 * rocket command: a second SIGTERM while connections are still being
 * finished must be read by the acceptor's signalfd and absorbed, not left
 * pending to kill the process when rk_engine_run restores the signal mask.
 * Runs $ROCKET_BIN (the sanitized hosted server) and $ROCKET_STATIC (the
 * libc-free product) when set; both default to build/. Follows signalfd(2)
 * and src/engine/acceptor.c.
 */
#include "harness.h"
#include "proc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* A keep-alive connection the server cannot finish gracefully: a POST /
 * (echoed back) of 64 MiB whose echo we never read, through a 4 KiB
 * receive window. Once the kernel's socket buffers are full, the server's
 * send stays blocked and the stop waits for its deadline (a second or two)
 * before aborting it. We write until the server stops reading. */
static int stuck_connection(int port)
{
	int fd = tcp_connect_rcvbuf(port, 4096);
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
	struct proc s;
	const char *args[] = { "--bind", "127.0.0.1", "--port", "0", "--reactors", "1", NULL };
	int port = proc_start_banner(&s, bin, args);
	int fd = stuck_connection(port);
	usleep(100 * 1000);
	CHECK_EQ(kill(s.pid, SIGTERM), 0);
	usleep(10 * 1000);
	bool alive = waitpid(s.pid, NULL, WNOHANG) == 0;
	CHECK_EQ(kill(s.pid, SIGTERM), 0);
	int st = proc_wait(&s, 10);
	if (st == -1)
		proc_kill(&s);
	char *err = proc_slurp(s.err);
	close(fd);
	CHECK_MSG(alive, "%s had exited before the second SIGTERM: no stop to test", bin);
	CHECK_MSG(st != -1, "%s still running 10 s after SIGTERM:\n%s", bin, err);
	CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: wait status 0x%x%s\n%s", bin, st,
		  WIFSIGNALED(st) ? " (killed by a signal)" : "", err);
	proc_check_clean(err);
	CHECK_MSG(strstr(err, "reactor 0:") && strstr(err, "acceptor:"), "no exit stats:\n%s", err);
	CHECK_MSG(strstr(err, "signals absorbed 1"), "the second SIGTERM was not read:\n%s", err);
	printf("  %s: exit 0 after two SIGTERMs 10 ms apart\n", bin);
	free(err);
	proc_cleanup(&s);
}

TEST_T(second_sigterm_during_the_graceful_stop_is_absorbed_and_exit_is_0, 60)
{
	proc_for_each_bin(second_sigterm);
}
