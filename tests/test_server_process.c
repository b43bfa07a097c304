/* tests/test_server_process.c - the rocket command as a child process:
 * memory that stays flat over a million pipelined requests, a graceful
 * SIGTERM with connections open, SIGUSR1 stats, and the command line.
 * Runs $ROCKET_BIN (the sanitized hosted server) and $ROCKET_STATIC (the
 * libc-free product) when set; both default to build/.
 */
#include "harness.h"
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static const char REQ[] = "GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n";
#define REQ_LEN (sizeof(REQ) - 1)

/* One GET /plaintext on fd; fails unless "Hello, World!" comes back. */
static void get_plaintext(int fd)
{
	struct timeval tv = { .tv_sec = 10 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	CHECK_EQ(write(fd, REQ, REQ_LEN), (ssize_t)REQ_LEN);
	char buf[1024];
	size_t n = 0;
	while (n < sizeof(buf) - 1) {
		ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);
		CHECK_MSG(r > 0, "read %zd: %s", r, strerror(errno));
		n += (size_t)r;
		buf[n] = 0;
		if (strstr(buf, "\r\n\r\nHello, World!"))
			break;
	}
	CHECK_MSG(strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0, "response: %s", buf);
}

/* ---- 6: RSS over a million requests ---------------------------------------- */

static long vm_rss_kb(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	CHECK(f);
	long kb = -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kb = atol(line + 6);
	fclose(f);
	CHECK(kb > 0);
	return kb;
}

enum { LG_CONNS = 16, LG_DEPTH = 32 };

struct lg_conn {
	int fd;
	uint64_t req_sent_bytes; /* of the endless stream REQ REQ REQ ... */
	uint64_t responses, quota;
	size_t rlen;
	char rbuf[65536];
};

/* Parse the complete responses at the front of c->rbuf; count them. */
static uint64_t lg_parse(struct lg_conn *c)
{
	static const char body[] = "Hello, World!";
	uint64_t n = 0;
	size_t off = 0;
	for (;;) {
		char *p = c->rbuf + off;
		size_t left = c->rlen - off;
		char *end = memmem(p, left, "\r\n\r\n", 4);
		if (!end)
			break;
		size_t head = (size_t)(end - p) + 4;
		CHECK_MSG(left >= 17 && !memcmp(p, "HTTP/1.1 200 OK\r\n", 17),
			  "response %llu: %.40s", (unsigned long long)(c->responses + n), p);
		char *cl = memmem(p, head, "Content-Length: ", 16);
		CHECK_MSG(cl, "no Content-Length");
		size_t blen = strtoul(cl + 16, NULL, 10);
		CHECK_EQ(blen, sizeof(body) - 1);
		if (left < head + blen)
			break;
		CHECK(!memcmp(p + head, body, blen));
		off += head + blen;
		n++;
	}
	memmove(c->rbuf, c->rbuf + off, c->rlen - off);
	c->rlen -= off;
	return n;
}

/* Pipelined GETs on LG_CONNS connections, LG_DEPTH deep, until `until`
 * responses in all; refills as responses arrive. */
static void lg_run(struct lg_conn *cs, int ep, uint64_t *total, uint64_t until)
{
	static char reqs[LG_DEPTH * REQ_LEN];
	if (!reqs[0])
		for (int i = 0; i < LG_DEPTH; i++)
			memcpy(reqs + i * REQ_LEN, REQ, REQ_LEN);
	struct epoll_event evs[LG_CONNS];
	while (*total < until) {
		int k = epoll_wait(ep, evs, LG_CONNS, 20000);
		if (k < 0 && errno == EINTR)
			continue;
		CHECK_MSG(k > 0, "no progress after %llu responses", (unsigned long long)*total);
		for (int j = 0; j < k; j++) {
			struct lg_conn *c = &cs[evs[j].data.u32];
			if (evs[j].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
				for (;;) {
					ssize_t r = read(c->fd, c->rbuf + c->rlen,
							 sizeof(c->rbuf) - c->rlen);
					if (r < 0 && (errno == EAGAIN || errno == EINTR))
						break;
					CHECK_MSG(r > 0, "read %zd: %s", r, strerror(errno));
					c->rlen += (size_t)r;
					uint64_t got = lg_parse(c);
					c->responses += got;
					*total += got;
				}
			}
			/* Keep LG_DEPTH requests outstanding. */
			uint64_t allowed = c->responses + LG_DEPTH;
			if (allowed > c->quota)
				allowed = c->quota;
			while (c->req_sent_bytes < allowed * REQ_LEN) {
				size_t at = (size_t)(c->req_sent_bytes % REQ_LEN);
				size_t want = (size_t)(allowed * REQ_LEN - c->req_sent_bytes);
				if (want > sizeof(reqs) - at)
					want = sizeof(reqs) - at;
				ssize_t w = write(c->fd, reqs + at, want);
				if (w < 0 && (errno == EAGAIN || errno == EINTR))
					break;
				CHECK_MSG(w > 0, "write: %s", strerror(errno));
				c->req_sent_bytes += (uint64_t)w;
			}
		}
	}
}

static void rss_flat(const char *bin)
{
	struct proc s;
	const char *args[] = { "--bind", "127.0.0.1", "--reactors", "1", NULL };
	int port = proc_start_quiet(&s, bin, args);
	static struct lg_conn cs[LG_CONNS];
	int ep = epoll_create1(EPOLL_CLOEXEC);
	/* FIRST: past one whole pass through the provided-buffer ring (2048
	 * x 4 KiB); with incremental buffers each one takes ~100 requests, so
	 * the ring's pages are all touched only after ~200,000 requests. */
	enum { FIRST = 400000, ALL = 1400000 };
	for (int i = 0; i < LG_CONNS; i++) {
		memset(&cs[i], 0, sizeof(cs[i]));
		cs[i].fd = tcp_connect(NULL, port);
		CHECK(cs[i].fd >= 0);
		cs[i].quota = ALL / LG_CONNS;
		fcntl(cs[i].fd, F_SETFL, O_NONBLOCK);
		/* Level-triggered EPOLLOUT would spin; the loop writes after
		 * every read instead, and once at the start. */
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
		CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev), 0);
		CHECK_EQ(write(cs[i].fd, REQ, REQ_LEN), (ssize_t)REQ_LEN);
		cs[i].req_sent_bytes = REQ_LEN;
	}
	uint64_t total = 0;
	double t0 = proc_now();
	lg_run(cs, ep, &total, FIRST);
	long rss1 = vm_rss_kb(s.pid);
	lg_run(cs, ep, &total, ALL);
	long rss2 = vm_rss_kb(s.pid);
	double dt = proc_now() - t0;
	printf("  %s: %llu responses in %.2f s, VmRSS %ld kB after %d, %ld kB after %d\n", bin,
	       (unsigned long long)total, dt, rss1, FIRST, rss2, ALL);
	CHECK_EQ(total, ALL);
	CHECK_MSG(rss2 - rss1 <= 1024, "VmRSS grew by %ld kB", rss2 - rss1);
	for (int i = 0; i < LG_CONNS; i++)
		close(cs[i].fd);
	close(ep);
	proc_stop(&s);
}

TEST_T(rss_stays_flat_over_a_million_pipelined_requests, 120)
{
	const char *b = proc_bin_static();
	rss_flat(b ? b : proc_bin_hosted());
}

/* ---- 7: signals and the command line --------------------------------------- */

static void sigterm_with_open_connections(const char *bin)
{
	struct proc s;
	const char *args[] = { "--bind", "127.0.0.1", "--port", "0", "--reactors", "2", NULL };
	int port = proc_start_banner(&s, bin, args);

	enum { N = 100 };
	int fds[N];
	static const char partial_head[] = "GET /plaintext HTTP/1.1\r\nHost: t\r\nX-Half: ab";
	static const char partial_body[] =
		"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n";
	static char filler[1000];
	memset(filler, 'x', sizeof(filler));
	for (int i = 0; i < N; i++) {
		fds[i] = tcp_connect(NULL, port);
		CHECK(fds[i] >= 0);
		switch (i % 4) {
		case 0: /* idle: never sent a byte */
			break;
		case 1: /* idle between keep-alive requests */
			get_plaintext(fds[i]);
			break;
		case 2: /* mid-request: half a head */
			get_plaintext(fds[i]);
			CHECK(write(fds[i], partial_head, strlen(partial_head)) > 0);
			break;
		case 3: /* mid-request: 1000 of 100000 body bytes */
			CHECK(write(fds[i], partial_body, strlen(partial_body)) > 0);
			CHECK(write(fds[i], filler, sizeof(filler)) > 0);
			break;
		}
	}
	/* Every connection reached the server: one more full request. */
	int last = tcp_connect(NULL, port);
	get_plaintext(last);

	CHECK_EQ(kill(s.pid, SIGTERM), 0);
	double t0 = proc_now();
	int st = proc_wait(&s, 2.0);
	double dt = proc_now() - t0;
	if (st == -1)
		proc_kill(&s);
	char *err = proc_slurp(s.err);
	CHECK_MSG(st != -1, "%s still running 2 s after SIGTERM:\n%s", bin, err);
	printf("  %s: exited %.3f s after SIGTERM\n", bin, dt);
	CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: wait status 0x%x\n%s", bin, st, err);
	proc_check_clean(err);
	CHECK_MSG(strstr(err, "reactor 0: conns") && strstr(err, "reactor 1: conns"),
		  "no per-reactor stats:\n%s", err);
	/* Every client sees its connection end. */
	for (int i = 0; i < N; i++) {
		struct timeval tv = { .tv_sec = 5 };
		setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		char buf[512];
		ssize_t r;
		while ((r = read(fds[i], buf, sizeof(buf))) > 0)
			;
		CHECK_MSG(r == 0 || errno == ECONNRESET, "conn %d: %s", i, strerror(errno));
		close(fds[i]);
	}
	close(last);
	free(err);
	proc_cleanup(&s);
}

TEST_T(sigterm_with_100_open_connections_exits_0_within_2s_with_stats, 60)
{
	proc_for_each_bin(sigterm_with_open_connections);
}

static void sigusr1_prints_stats(const char *bin)
{
	struct proc s;
	const char *args[] = { "--bind", "127.0.0.1", "--port", "0", "--reactors", "1", NULL };
	int port = proc_start_banner(&s, bin, args);
	int fd = tcp_connect(NULL, port);
	get_plaintext(fd);
	CHECK_EQ(kill(s.pid, SIGUSR1), 0);
	double end = proc_now() + 10;
	for (;;) {
		char *err = proc_slurp(s.err);
		bool seen = strstr(err, "reactor 0: conns") != NULL;
		free(err);
		if (seen)
			break;
		CHECK_MSG(proc_now() < end, "%s: no stats after SIGUSR1", bin);
		CHECK_MSG(waitpid(s.pid, NULL, WNOHANG) == 0, "%s died on SIGUSR1", bin);
		usleep(5000);
	}
	/* Still serving: the same connection and a new one. */
	get_plaintext(fd);
	int fd2 = tcp_connect(NULL, port);
	get_plaintext(fd2);
	close(fd);
	close(fd2);
	proc_stop(&s);
}

TEST_T(sigusr1_prints_stats_and_keeps_serving, 60)
{
	proc_for_each_bin(sigusr1_prints_stats);
}

static void command_line(const char *bin)
{
	struct proc s;
	const char *help[] = { "--help", NULL };
	proc_spawn(&s, bin, help, NULL, NULL, NULL);
	int st = proc_wait(&s, 20);
	CHECK_MSG(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "--help: status 0x%x", st);
	char *out = proc_slurp(s.out);
	CHECK_MSG(strstr(out, "--reactors") && strstr(out, "--sqpoll") &&
			  strstr(out, "--buffers") && strstr(out, "--max-body-buffer") &&
			  strstr(out, "--body-buffers"),
		  "--help:\n%s", out);
	free(out);
	proc_cleanup(&s);

	const char *bad[] = { "--no-such-flag", NULL };
	proc_spawn(&s, bin, bad, NULL, NULL, NULL);
	st = proc_wait(&s, 20);
	CHECK_MSG(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 1, "unknown flag: status 0x%x",
		  st);
	char *err = proc_slurp(s.err);
	CHECK_MSG(strstr(err, "--no-such-flag"), "no message naming the flag: '%s'", err);
	free(err);
	proc_cleanup(&s);
}

TEST_T(help_lists_the_flags_and_an_unknown_flag_exits_1, 60)
{
	proc_for_each_bin(command_line);
}

/* ---- out of descriptors: EMFILE backs off instead of spinning ------------- */

static long cpu_ticks(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	char *st = proc_slurp(path);
	char *p = strrchr(st, ')');
	long utime = 0, stime = 0;
	/* fields after ")": state(3) ... utime(14) stime(15) */
	CHECK(p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", &utime,
			  &stime) == 2);
	free(st);
	return utime + stime;
}

/* Count the connections (of n) that have their answer, reading what came. */
static int count_answered(int *fds, bool *done, int n, double secs)
{
	double end = proc_now() + secs;
	int answered = 0;
	for (int i = 0; i < n; i++)
		answered += done[i];
	while (answered < n && proc_now() < end) {
		for (int i = 0; i < n; i++) {
			char buf[512];
			if (done[i])
				continue;
			ssize_t r = recv(fds[i], buf, sizeof(buf) - 1, MSG_DONTWAIT);
			if (r > 0) {
				buf[r] = 0;
				CHECK_MSG(strstr(buf, "200 OK"), "answer: %s", buf);
				done[i] = true;
				answered++;
			}
		}
		usleep(2000);
	}
	return answered;
}

static void emfile_backs_off(const char *bin)
{
	enum { N = 80 };
	struct proc s;
	int fds[N];
	bool done[N] = { false };
	/* The server inherits a descriptor limit far below N connections
	 * (the test itself gets its own limit back right after the spawn). */
	struct rlimit old, low;
	CHECK_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = (struct rlimit){ 40, old.rlim_max };
	CHECK_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
	const char *args[] = { "--bind", "127.0.0.1", "--port", "0", "--reactors", "1", NULL };
	int port = proc_start_banner(&s, bin, args);
	CHECK_EQ(setrlimit(RLIMIT_NOFILE, &old), 0);

	for (int i = 0; i < N; i++) {
		fds[i] = tcp_connect(NULL, port); /* the backlog holds what is not accepted */
		CHECK(fds[i] >= 0);
		CHECK_EQ(write(fds[i], REQ, REQ_LEN), (ssize_t)REQ_LEN);
	}
	int first = count_answered(fds, done, N, 2.0);
	CHECK_MSG(first > 0 && first < N, "%d of %d answered under a limit of 40 fds", first, N);

	/* Accept keeps failing with EMFILE: the acceptor must wait between
	 * tries, not spin on a multishot accept that fails at once. */
	long t0 = cpu_ticks(s.pid);
	usleep(1000 * 1000);
	long spent = cpu_ticks(s.pid) - t0;
	long hz = sysconf(_SC_CLK_TCK);
	CHECK_MSG(spent * 4 < hz, "server used %ld of %ld ticks in 1 s while out of fds", spent,
		  hz);

	/* Free descriptors (close what was answered, round after round): the
	 * waiting connections are accepted and served. */
	double end = proc_now() + 20;
	int all = first;
	while (all < N && proc_now() < end) {
		for (int i = 0; i < N; i++)
			if (done[i] && fds[i] >= 0) {
				close(fds[i]);
				fds[i] = -1;
			}
		all = count_answered(fds, done, N, 0.5);
	}
	CHECK_MSG(all == N, "%d of %d answered once descriptors were free", all, N);
	printf("  %s: %d answered at first, the other %d after closing them; %ld ticks in 1 s\n",
	       bin, first, N - first, spent);
	for (int i = 0; i < N; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	proc_stop(&s);
}

TEST_T(out_of_descriptors_accept_backs_off_and_recovers, 60)
{
	proc_for_each_bin(emfile_backs_off);
}
