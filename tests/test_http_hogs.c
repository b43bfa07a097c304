/* tests/test_http_hogs.c - clients that send without reading their answers
 * must not starve the others on their reactor (the engine pauses a
 * connection's receive once it holds its share of the buffer ring; the
 * HTTP session stops parsing while its answers cannot be queued). One
 * reactor, a small buffer ring, two hogs pipelining requests (and one
 * uploading a large body) without reading, and a normal client asking
 * every 10 ms: each of its answers comes within 100 ms.
 */
#include "harness.h"
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

static const char get[] = "GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n";

/* Write as much of an endless stream as the socket takes, without blocking. */
static void hog_feed(int fd, const char *unit, size_t n, size_t *sent)
{
	static char block[65536];
	size_t k = sizeof(block) / n * n;
	for (size_t i = 0; i < k; i += n)
		memcpy(block + i, unit, n);
	for (;;) {
		ssize_t w = write(fd, block + *sent % k, k - *sent % k);
		if (w <= 0)
			return;
		*sent += (size_t)w;
	}
}

static void hogs_and_a_normal_client(const char *bin, const char *share)
{
	signal(SIGPIPE, SIG_IGN);
	const char *args[] = {
		"--port",    "0",  "--bind",       "127.0.0.1", "--reactors",     "1",
		"--buffers", "64", "--recv-share", share,       "--idle-timeout", "60",
		NULL
	};
	struct proc s;
	proc_spawn(&s, bin, args, NULL, NULL, NULL);
	int port;
	CHECK_EQ(proc_wait_banner(&s, &port, 1), 1);

	int hog[2];
	size_t sent[2] = { 0, 0 };
	for (int i = 0; i < 2; i++) {
		hog[i] = tcp_connect("127.0.0.1", port);
		CHECK(hog[i] >= 0);
		int small = 4096;
		setsockopt(hog[i], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
		fcntl(hog[i], F_SETFL, O_NONBLOCK);
	}
	/* Hog 1 pipelines GETs; hog 2 starts a 20 MB upload to the echo. */
	static const char upload[] =
		"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 20000000\r\n\r\n";
	CHECK_EQ(write(hog[1], upload, sizeof(upload) - 1), (ssize_t)(sizeof(upload) - 1));
	int c = tcp_connect("127.0.0.1", port);
	CHECK(c >= 0);
	int one = 1;
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

	double worst = 0, t_end = proc_now() + 3.0;
	unsigned asks = 0;
	while (proc_now() < t_end) {
		hog_feed(hog[0], get, sizeof(get) - 1, &sent[0]);
		hog_feed(hog[1], "0123456789abcdef", 16, &sent[1]);
		double t0 = proc_now();
		CHECK_EQ(write(c, get, sizeof(get) - 1), (ssize_t)(sizeof(get) - 1));
		char buf[4096];
		size_t got = 0;
		while (!memmem(buf, got, "Hello, World!", 13)) {
			struct pollfd p = { .fd = c, .events = POLLIN };
			int left = (int)((t0 + 1.0 - proc_now()) * 1000);
			CHECK_MSG(left > 0 && poll(&p, 1, left) == 1,
				  "ask %u unanswered after 1 s (hogs sent %zu and %zu bytes)", asks,
				  sent[0], sent[1]);
			ssize_t r = read(c, buf + got, sizeof(buf) - got);
			CHECK_MSG(r > 0, "ask %u: read %zd", asks, r);
			got += (size_t)r;
		}
		double dt = proc_now() - t0;
		if (dt > worst)
			worst = dt;
		asks++;
		usleep(10000);
	}
	printf("  %s --recv-share %s: %u asks, slowest %.1f ms; hogs sent %zu and %zu bytes\n", bin,
	       share, asks, worst * 1000, sent[0], sent[1]);
	CHECK_MSG(worst < 0.100, "slowest answer %.1f ms", worst * 1000);
	CHECK(sent[0] > 1000000); /* the hogs really sent more than the ring holds */
	close(hog[0]);
	close(hog[1]);
	close(c);
	proc_stop(&s);
}

TEST_T(two_clients_that_do_not_read_leave_a_third_answered_within_100_ms, 60)
{
	hogs_and_a_normal_client(proc_bin_hosted(), "0");
}

TEST_T(the_same_with_the_product, 60)
{
	const char *b = proc_bin_static();
	if (!b) {
		printf("  skipped: no static product\n");
		return;
	}
	hogs_and_a_normal_client(b, "0");
}
