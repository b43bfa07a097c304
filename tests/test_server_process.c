/* tests/test_server_process.c - the rocket command as a child process:
 * memory that stays flat over a million pipelined requests, a graceful
 * SIGTERM with connections open, SIGUSR1 stats, and the command line.
 * Runs $ROCKET_BIN (the sanitized hosted server) and $ROCKET_STATIC (the
 * libc-free product) when set; both default to build/.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *bin_hosted(void)
{
	const char *b = getenv("ROCKET_BIN");
	return b && *b ? b : "build/rocket-san";
}

/* The static product, or NULL when it is not there. */
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

/* ---- the child process ----------------------------------------------------- */

struct srv {
	pid_t pid;
	int port;
	char out[64], err[64]; /* its stdout and stderr, in files */
};

static void srv_spawn(struct srv *s, const char *bin, const char *const *args)
{
	const char *argv[32];
	int n = 0;
	argv[n++] = bin;
	for (; *args; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	strcpy(s->out, "/tmp/rocket-test-out-XXXXXX");
	strcpy(s->err, "/tmp/rocket-test-err-XXXXXX");
	int ofd = mkstemp(s->out), efd = mkstemp(s->err);
	CHECK(ofd >= 0 && efd >= 0);
	s->pid = fork();
	CHECK(s->pid >= 0);
	if (s->pid == 0) {
		/* Dies with the test, whatever happens to the test. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(ofd, 1);
		dup2(efd, 2);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	close(ofd);
	close(efd);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	CHECK(f);
	size_t cap = 4096, n = 0;
	char *b = malloc(cap);
	size_t k;
	while ((k = fread(b + n, 1, cap - n - 1, f)) > 0) {
		n += k;
		if (cap - n < 2)
			b = realloc(b, cap *= 2);
	}
	b[n] = 0;
	fclose(f);
	return b;
}

static void srv_cleanup(struct srv *s)
{
	unlink(s->out);
	unlink(s->err);
}

/* Wait up to secs for the child; its wait status, or -1 if still running. */
static int srv_wait(struct srv *s, double secs)
{
	double end = now_s() + secs;
	for (;;) {
		int st;
		pid_t p = waitpid(s->pid, &st, WNOHANG);
		if (p == s->pid)
			return st;
		if (now_s() > end)
			return -1;
		usleep(2000);
	}
}

static void srv_kill(struct srv *s)
{
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
}

/* No sanitizer report in what the server printed. */
static void check_clean(const char *err)
{
	CHECK_MSG(!strstr(err, "Sanitizer") && !strstr(err, "runtime error"),
		  "sanitizer report:\n%s", err);
}

/* Start with --port 0 and read the port from "listening on ...:PORT |". */
static void srv_start_banner(struct srv *s, const char *bin, const char *const *args)
{
	srv_spawn(s, bin, args);
	double end = now_s() + 20;
	for (;;) {
		char *e = slurp(s->err);
		char *l = strstr(e, "listening on ");
		char *bar = l ? strstr(l, " |") : NULL;
		if (bar) {
			char *colon = bar;
			while (colon > l && *colon != ':')
				colon--;
			s->port = atoi(colon + 1);
			free(e);
			CHECK(s->port > 0 && s->port < 65536);
			return;
		}
		int st;
		if (waitpid(s->pid, &st, WNOHANG) == s->pid)
			th_fail(__FILE__, __LINE__, "%s exited (status 0x%x) before listening:\n%s",
				bin, st, e);
		free(e);
		CHECK_MSG(now_s() < end, "%s: no banner", bin);
		usleep(5000);
	}
}

static int tcp_connect_port(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* A free port right now (the kernel's choice for port 0). */
static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	CHECK_EQ(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_EQ(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

/* --quiet prints no banner: pick a free port, start there, wait until it
 * accepts; another port if the server could not bind it. */
static void srv_start_quiet(struct srv *s, const char *bin, const char *reactors)
{
	for (int attempt = 0; attempt < 10; attempt++) {
		char port[16];
		snprintf(port, sizeof(port), "%d", free_port());
		const char *args[] = { "--bind",  "127.0.0.1", "--reactors", reactors,
				       "--port", port,        "--quiet",    NULL };
		srv_spawn(s, bin, args);
		s->port = atoi(port);
		double end = now_s() + 20;
		for (;;) {
			int fd = tcp_connect_port(s->port);
			if (fd >= 0) {
				close(fd);
				return;
			}
			int st;
			if (waitpid(s->pid, &st, WNOHANG) == s->pid)
				break; /* e.g. EADDRINUSE: try another port */
			CHECK_MSG(now_s() < end, "%s: not accepting on %d", bin, s->port);
			usleep(2000);
		}
		srv_cleanup(s);
	}
	th_fail(__FILE__, __LINE__, "%s: could not start", bin);
}

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
		CHECK_MSG(left >= 17 && !memcmp(p, "HTTP/1.1 200 OK\r\n", 17), "response %llu: %.40s",
			  (unsigned long long)(c->responses + n), p);
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
					ssize_t r = read(c->fd, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen);
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
	struct srv s;
	srv_start_quiet(&s, bin, "1");
	static struct lg_conn cs[LG_CONNS];
	int ep = epoll_create1(EPOLL_CLOEXEC);
	/* FIRST: past one whole pass through the provided-buffer ring (2048
	 * x 4 KiB); with incremental buffers each one takes ~100 requests, so
	 * the ring's pages are all touched only after ~200,000 requests. */
	enum { FIRST = 400000, ALL = 1400000 };
	for (int i = 0; i < LG_CONNS; i++) {
		memset(&cs[i], 0, sizeof(cs[i]));
		cs[i].fd = tcp_connect_port(s.port);
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
	double t0 = now_s();
	lg_run(cs, ep, &total, FIRST);
	long rss1 = vm_rss_kb(s.pid);
	lg_run(cs, ep, &total, ALL);
	long rss2 = vm_rss_kb(s.pid);
	double dt = now_s() - t0;
	printf("  %s: %llu responses in %.2f s, VmRSS %ld kB after %d, %ld kB after %d\n", bin,
	       (unsigned long long)total, dt, rss1, FIRST, rss2, ALL);
	CHECK_EQ(total, ALL);
	CHECK_MSG(rss2 - rss1 <= 1024, "VmRSS grew by %ld kB", rss2 - rss1);
	for (int i = 0; i < LG_CONNS; i++)
		close(cs[i].fd);
	close(ep);
	kill(s.pid, SIGTERM);
	int st = srv_wait(&s, 10);
	if (st == -1)
		srv_kill(&s);
	CHECK_MSG(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit status 0x%x", st);
	char *err = slurp(s.err);
	check_clean(err);
	free(err);
	srv_cleanup(&s);
}

TEST_T(rss_stays_flat_over_a_million_pipelined_requests, 120)
{
	const char *b = bin_static();
	rss_flat(b ? b : bin_hosted());
}

/* ---- 7: signals and the command line --------------------------------------- */

static void sigterm_with_open_connections(const char *bin)
{
	struct srv s;
	const char *args[] = { "--bind", "127.0.0.1", "--port", "0", "--reactors", "2", NULL };
	srv_start_banner(&s, bin, args);

	enum { N = 100 };
	int fds[N];
	static const char partial_head[] = "GET /plaintext HTTP/1.1\r\nHost: t\r\nX-Half: ab";
	static const char partial_body[] = "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n";
	static char filler[1000];
	memset(filler, 'x', sizeof(filler));
	for (int i = 0; i < N; i++) {
		fds[i] = tcp_connect_port(s.port);
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
	int last = tcp_connect_port(s.port);
	get_plaintext(last);

	CHECK_EQ(kill(s.pid, SIGTERM), 0);
	double t0 = now_s();
	int st = srv_wait(&s, 2.0);
	double dt = now_s() - t0;
	if (st == -1)
		srv_kill(&s);
	char *err = slurp(s.err);
	CHECK_MSG(st != -1, "%s still running 2 s after SIGTERM:\n%s", bin, err);
	printf("  %s: exited %.3f s after SIGTERM\n", bin, dt);
	CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: wait status 0x%x\n%s", bin, st, err);
	check_clean(err);
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
	srv_cleanup(&s);
}

TEST_T(sigterm_with_100_open_connections_exits_0_within_2s_with_stats, 60)
{
	sigterm_with_open_connections(bin_hosted());
	if (bin_static())
		sigterm_with_open_connections(bin_static());
}

static void sigusr1_prints_stats(const char *bin)
{
	struct srv s;
	const char *args[] = { "--bind", "127.0.0.1", "--port", "0", "--reactors", "1", NULL };
	srv_start_banner(&s, bin, args);
	int fd = tcp_connect_port(s.port);
	get_plaintext(fd);
	CHECK_EQ(kill(s.pid, SIGUSR1), 0);
	double end = now_s() + 10;
	for (;;) {
		char *err = slurp(s.err);
		bool seen = strstr(err, "reactor 0: conns") != NULL;
		free(err);
		if (seen)
			break;
		CHECK_MSG(now_s() < end, "%s: no stats after SIGUSR1", bin);
		CHECK_MSG(waitpid(s.pid, NULL, WNOHANG) == 0, "%s died on SIGUSR1", bin);
		usleep(5000);
	}
	/* Still serving: the same connection and a new one. */
	get_plaintext(fd);
	int fd2 = tcp_connect_port(s.port);
	get_plaintext(fd2);
	close(fd);
	close(fd2);
	kill(s.pid, SIGTERM);
	int st = srv_wait(&s, 10);
	if (st == -1)
		srv_kill(&s);
	CHECK_MSG(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "status 0x%x", st);
	char *err = slurp(s.err);
	check_clean(err);
	free(err);
	srv_cleanup(&s);
}

TEST_T(sigusr1_prints_stats_and_keeps_serving, 60)
{
	sigusr1_prints_stats(bin_hosted());
	if (bin_static())
		sigusr1_prints_stats(bin_static());
}

static void command_line(const char *bin)
{
	struct srv s;
	const char *help[] = { "--help", NULL };
	srv_spawn(&s, bin, help);
	int st = srv_wait(&s, 20);
	CHECK_MSG(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "--help: status 0x%x", st);
	char *out = slurp(s.out);
	CHECK_MSG(strstr(out, "--reactors") && strstr(out, "--sqpoll") && strstr(out, "--buffers") &&
			  strstr(out, "--max-body-buffer") && strstr(out, "--body-buffers"),
		  "--help:\n%s", out);
	free(out);
	srv_cleanup(&s);

	const char *bad[] = { "--no-such-flag", NULL };
	srv_spawn(&s, bin, bad);
	st = srv_wait(&s, 20);
	CHECK_MSG(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 1, "unknown flag: status 0x%x",
		  st);
	char *err = slurp(s.err);
	CHECK_MSG(strstr(err, "--no-such-flag"), "no message naming the flag: '%s'", err);
	free(err);
	srv_cleanup(&s);
}

TEST_T(help_lists_the_flags_and_an_unknown_flag_exits_1, 60)
{
	command_line(bin_hosted());
	if (bin_static())
		command_line(bin_static());
}

/* ---- out of descriptors: EMFILE backs off instead of spinning ------------- */

static long cpu_ticks(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	char *st = slurp(path);
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
	double end = now_s() + secs;
	int answered = 0;
	for (int i = 0; i < n; i++)
		answered += done[i];
	while (answered < n && now_s() < end) {
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
	struct srv s;
	int fds[N];
	bool done[N] = { false };
	/* The server inherits a descriptor limit far below N connections
	 * (the test itself gets its own limit back right after the spawn). */
	struct rlimit old, low;
	CHECK_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = (struct rlimit){ 40, old.rlim_max };
	CHECK_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
	const char *args[] = { "--bind", "127.0.0.1", "--port", "0", "--reactors", "1", NULL };
	srv_start_banner(&s, bin, args);
	CHECK_EQ(setrlimit(RLIMIT_NOFILE, &old), 0);

	for (int i = 0; i < N; i++) {
		fds[i] = tcp_connect_port(s.port); /* the backlog holds what is not accepted */
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
	CHECK_MSG(spent * 4 < hz, "server used %ld of %ld ticks in 1 s while out of fds", spent, hz);

	/* Free descriptors (close what was answered, round after round): the
	 * waiting connections are accepted and served. */
	double end = now_s() + 20;
	int all = first;
	while (all < N && now_s() < end) {
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
	kill(s.pid, SIGTERM);
	int st = srv_wait(&s, 10);
	CHECK_MSG(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit status 0x%x", st);
	char *err = slurp(s.err);
	check_clean(err);
	free(err);
	srv_cleanup(&s);
}

TEST_T(out_of_descriptors_accept_backs_off_and_recovers, 60)
{
	emfile_backs_off(bin_hosted());
	if (bin_static())
		emfile_backs_off(bin_static());
}
