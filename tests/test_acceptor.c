/* tests/test_acceptor.c - the acceptor and the engine's stop, in-process,
 * over real loopback sockets: stopping while connections pour in leaks no
 * descriptor, a multishot accept ended by a full CQ is armed again, and an
 * accept that keeps failing backs off instead of spinning. Follows
 * src/engine/acceptor.c; the acceptor's counters are read from the stats
 * line it prints at exit (stderr, captured here).
 */
#include "engine_mode.h"
#include "harness.h"
#include "rocket/engine.h"

#include "../src/engine/internal.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---- a trivial application: echo what arrives ------------------------------ */

static void echo_on_data(struct rk_conn *c, const struct rk_seg *segs, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		rk_conn_write(c, segs[i].p, segs[i].len);
	rk_conn_release(c);
}

static void config(struct rk_engine_config *cfg, uint32_t reactors, uint32_t max_conns)
{
	rk_engine_defaults(cfg);
	cfg->bind = "127.0.0.1";
	cfg->port = 0;
	cfg->reactors = reactors;
	cfg->max_conns = max_conns;
	cfg->signals = false;
	cfg->quiet = true;
	cfg->ring_entries = 256;
	cfg->buffers = 64;
	cfg->send_buffer = 4096;
	cfg->handler.on_data = echo_on_data;
	test_mode_config(cfg);
}

struct eng {
	struct rk_engine *e;
	pthread_t th;
	int ret;
	uint16_t port;
};

static void *eng_thread(void *p)
{
	struct eng *g = p;
	g->ret = rk_engine_run(g->e);
	return NULL;
}

static void eng_create(struct eng *g, const struct rk_engine_config *cfg)
{
	memset(g, 0, sizeof(*g));
	int ret = rk_engine_create(&g->e, cfg);
	CHECK_MSG(ret == 0, "rk_engine_create: %d", ret);
	g->port = rk_engine_port(g->e);
}

static void eng_run(struct eng *g)
{
	CHECK_EQ(pthread_create(&g->th, NULL, eng_thread, g), 0);
}

static void eng_stop(struct eng *g)
{
	int ret;
	while ((ret = rk_engine_stop(g->e)) == -EAGAIN) /* until the acceptor's ring exists */
		usleep(500);
	CHECK_MSG(ret == 0, "rk_engine_stop: %d", ret);
	CHECK_EQ(pthread_join(g->th, NULL), 0);
	CHECK_EQ(g->ret, 0);
}

static struct sockaddr_in loopback(uint16_t port)
{
	return (struct sockaddr_in){ .sin_family = AF_INET,
				     .sin_port = htons(port),
				     .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
}

/* A connected socket with 5 s timeouts, or -1 (no CHECK: stderr may be
 * captured right now, and a failure message would vanish into the file). */
static int dial_try(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a = loopback(port);
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int dial(uint16_t port)
{
	int fd = dial_try(port);
	CHECK_MSG(fd >= 0, "connect: %s", strerror(errno));
	return fd;
}

/* One message and its echo, within the socket timeouts. */
static bool echo_ok(int fd)
{
	static const char msg[] = "ping";
	/* EINTR: see eng_read() in tests/eng.h. */
	ssize_t w;
	while ((w = write(fd, msg, 4)) < 0 && errno == EINTR)
		;
	if (w != 4)
		return false;
	char buf[8];
	size_t got = 0;
	while (got < 4) {
		ssize_t r = read(fd, buf + got, 4 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return memcmp(buf, msg, 4) == 0;
}

static void raise_fd_limit(void)
{
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	CHECK(d);
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own fd */
}

/* stderr into a file while the engine runs (its stats lines), then back. */
struct capture {
	char path[64];
	int saved;
};

static void capture_start(struct capture *c)
{
	strcpy(c->path, "/tmp/rocket-acc-XXXXXX");
	int fd = mkstemp(c->path);
	CHECK(fd >= 0);
	fflush(stderr);
	c->saved = dup(2);
	dup2(fd, 2);
	close(fd);
}

static char *capture_end(struct capture *c)
{
	fflush(stderr);
	dup2(c->saved, 2);
	close(c->saved);
	FILE *f = fopen(c->path, "r");
	CHECK(f);
	static char buf[1 << 16];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	unlink(c->path);
	return buf;
}

/* A counter of the acceptor's stats line: "... | <name> N | ...". */
static long long acc_stat(const char *err, const char *name)
{
	const char *l = strstr(err, "acceptor: ");
	CHECK_MSG(l, "no acceptor stats in:\n%s", err);
	const char *p = strstr(l, name);
	CHECK_MSG(p, "no '%s' in: %s", name, l);
	return atoll(p + strlen(name));
}

/* ---- 1: stop while connections pour in ------------------------------------- */

/* Three threads connecting in bursts of four: enough that accepted sockets
 * are in flight at every stop (with the old acceptor, thousands leaked
 * over the 200 rounds). */
enum { FLOOD_THREADS = 3, FLOOD_BURST = 4 };

struct flood {
	uint16_t port;
	atomic_int stop;
	_Atomic long connects;
};

/* Connect a burst of nonblocking sockets, wait (100 ms at most) until they
 * are up, close them, again; stop on request. Refused connects (the
 * listener closed) are fine. */
static void *flood_thread(void *p)
{
	struct flood *f = p;
	struct sockaddr_in a = loopback(f->port);
	int fds[FLOOD_BURST];
	struct pollfd pf[FLOOD_BURST];
	while (!atomic_load(&f->stop)) {
		int n = 0;
		for (; n < FLOOD_BURST; n++) {
			fds[n] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
			if (fds[n] < 0)
				break;
			if (connect(fds[n], (struct sockaddr *)&a, sizeof(a)) < 0 &&
			    errno != EINPROGRESS) {
				close(fds[n]);
				break;
			}
			pf[n] = (struct pollfd){ .fd = fds[n], .events = POLLOUT };
		}
		poll(pf, (nfds_t)n, 100);
		for (int i = 0; i < n; i++) {
			if (pf[i].revents & POLLOUT)
				f->connects++;
			close(fds[i]);
		}
		if (n < FLOOD_BURST)
			usleep(100);
	}
	return NULL;
}

/* A stop that races with arriving connections: accepted sockets still in
 * flight when the acceptor stops must be closed by someone - handed off
 * only while a reactor is sure to see them before its STOP, closed by the
 * acceptor after that - and none may be left in a CQE nobody reads. 200
 * rounds of create, flood, stop after a few ms, destroy: the process's
 * open descriptors are back at the baseline. */
TEST_T(stop_under_a_connect_flood_leaks_no_descriptor_in_200_rounds, 300)
{
	raise_fd_limit();
	int baseline = count_fds();
	long connects = 0;
	for (int round = 0; round < 200; round++) {
		struct rk_engine_config cfg;
		config(&cfg, 2, 1024);
		struct eng g;
		eng_create(&g, &cfg);
		struct flood f = { .port = g.port };
		pthread_t th[FLOOD_THREADS];
		for (int i = 0; i < FLOOD_THREADS; i++)
			CHECK_EQ(pthread_create(&th[i], NULL, flood_thread, &f), 0);
		eng_run(&g);
		usleep(1000 + (unsigned)(round % 5) * 1000);
		eng_stop(&g);
		atomic_store(&f.stop, 1);
		for (int i = 0; i < FLOOD_THREADS; i++)
			pthread_join(th[i], NULL);
		connects += f.connects;
		rk_engine_destroy(g.e);
	}
	int now = count_fds();
	printf("  %ld connects over 200 stops; fds %d, baseline %d\n", connects, now, baseline);
	CHECK(connects > 200);
	CHECK_MSG(now == baseline, "%d descriptors leaked", now - baseline);
}

/* ---- 2: a multishot accept ended by a full CQ ------------------------------ */

/* The acceptor's CQ has 4096 entries. With 4097 connections waiting in the
 * backlog (listen(4096) queues backlog + 1) before the engine runs, the
 * multishot accept posts 4096 CQEs at its first issue, finds the CQ full
 * for the next, and ends: that socket comes in a CQE without F_MORE (from
 * the overflow list). Unless the acceptor arms the accept again, nothing
 * after that is accepted. */
TEST_T(multishot_accept_ended_by_a_full_cq_is_armed_again, 120)
{
	raise_fd_limit();
	enum { N = 4097 };
	struct rk_engine_config cfg;
	config(&cfg, 1, 8192);
	cfg.backlog = 4096;
	cfg.quiet = false;
	struct eng g;
	eng_create(&g, &cfg);
	static int fds[N];
	for (int i = 0; i < N; i++)
		fds[i] = dial(g.port);
	struct capture cap;
	capture_start(&cap);
	eng_run(&g);
	/* Every waiting connection is served... */
	bool ok = echo_ok(fds[0]) && echo_ok(fds[N - 1]);
	for (int i = 0; i < N; i++)
		close(fds[i]);
	/* ...and a new one after them. */
	int late = ok ? dial_try(g.port) : -1;
	bool late_ok = late >= 0 && echo_ok(late);
	if (late >= 0)
		close(late);
	eng_stop(&g);
	char *err = capture_end(&cap);
	rk_engine_destroy(g.e);
	CHECK_MSG(ok, "the waiting connections were not served:\n%s", err);
	CHECK_MSG(late_ok, "no connection accepted after the multishot ended:\n%s", err);
	if (test_mode_is("reactor")) {
		/* The reactor accepts (its CQ is 1024 entries: it ends sooner). */
		CHECK_EQ(acc_stat(err, "accepted "), 0);
		CHECK_MSG(strstr(err, "conns 4098 "), "reactor 0 did not accept all:\n%s", err);
		return;
	}
	long long rearms = acc_stat(err, "re-arms ");
	CHECK_MSG(rearms >= 1, "the multishot accept never ended (no CQ overflow?):\n%s", err);
	CHECK_EQ(acc_stat(err, "accepted "), N + 1);
	CHECK_EQ(acc_stat(err, "accept errors "), 0);
}

/* ---- 3: an accept that fails at once ---------------------------------------- */

/* shutdown(2) of the listening socket ends the multishot accept with
 * -EINVAL, and every accept after that fails at once the same way. The
 * acceptor must pause between tries (as for EMFILE) rather than spin, and
 * accept again once the socket listens again. */
TEST_T(accept_failing_at_once_backs_off_and_recovers, 60)
{
	struct rk_engine_config cfg;
	config(&cfg, 1, 64);
	cfg.quiet = false;
	struct eng g;
	eng_create(&g, &cfg);
	struct capture cap;
	capture_start(&cap);
	eng_run(&g);
	int fd = dial_try(g.port);
	bool first = fd >= 0 && echo_ok(fd); /* the multishot accept works */
	if (fd >= 0)
		close(fd);

	int down = shutdown(g.e->cfg.listen_fds[0], SHUT_RD);
	usleep(500 * 1000);
	/* Listening again: bound to port 0, the socket lost its port when
	 * it was shut down and gets a new one now. */
	int relisten = listen(g.e->cfg.listen_fds[0], 16);
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	getsockname(g.e->cfg.listen_fds[0], (struct sockaddr *)&a, &alen);
	fd = relisten == 0 ? dial_try(ntohs(a.sin_port)) : -1;
	bool again = fd >= 0 && echo_ok(fd);
	if (fd >= 0)
		close(fd);
	eng_stop(&g);
	char *err = capture_end(&cap);
	rk_engine_destroy(g.e);
	CHECK_EQ(down, 0);
	CHECK_EQ(relisten, 0);
	CHECK(first);
	if (test_mode_is("reactor")) {
		/* The reactor's accept pauses until its next tick (1 s). */
		CHECK_MSG(again, "not accepting after listen() again:\n%s", err);
		return;
	}
	long long errors = acc_stat(err, "accept errors ");
	printf("  %lld accept errors in 0.5 s without a listener\n", errors);
	/* 50 ms apart: about 10 in 0.5 s; a spinning acceptor makes
	 * thousands. */
	CHECK_MSG(errors >= 2 && errors <= 30, "%lld accept errors in 0.5 s:\n%s", errors, err);
	CHECK_MSG(again, "not accepting after listen() again:\n%s", err);
}

/* ---- 4: the least-loaded hand-off ------------------------------------------ */

static uint32_t reactor_open(const struct eng *g, uint32_t i)
{
	return atomic_load(&g->e->reactors[i].open_pub);
}

/* 1,000 connections, every other one held open and the rest closed at
 * once: round-robin would put every held one on reactor 0 (500 to 0). By
 * the reactors' open counts the held ones split evenly. Each short-lived
 * one is waited for until the server has closed it, so the counts the
 * acceptor reads are settled (the hand-off itself never waits). */
TEST_T(least_loaded_handoff_levels_1000_connections_with_skewed_lifetimes, 120)
{
	if (test_mode_is("reactor")) {
		printf("  --accept reactor: the kernel's SO_REUSEPORT hash spreads them\n");
		return;
	}
	raise_fd_limit();
	enum { N = 1000 };
	struct rk_engine_config cfg;
	config(&cfg, 2, 2048);
	struct eng g;
	eng_create(&g, &cfg);
	eng_run(&g);
	static int held[N / 2];
	unsigned nheld = 0;
	for (unsigned k = 0; k < N; k++) {
		int fd = dial(g.port);
		CHECK_MSG(echo_ok(fd), "connection %u not served", k);
		if (k % 2 == 0) {
			held[nheld++] = fd;
			continue;
		}
		close(fd);
		for (int t = 0; reactor_open(&g, 0) + reactor_open(&g, 1) != nheld && t < 2000; t++)
			usleep(500);
	}
	uint32_t o0 = reactor_open(&g, 0), o1 = reactor_open(&g, 1);
	for (unsigned i = 0; i < nheld; i++)
		close(held[i]);
	eng_stop(&g);
	rk_engine_destroy(g.e);
	printf("  held connections per reactor: %u and %u\n", o0, o1);
	CHECK_EQ(o0 + o1, N / 2);
	uint32_t hi = o0 > o1 ? o0 : o1, lo = o0 > o1 ? o1 : o0;
	CHECK_MSG(hi - lo <= 20, "reactor loads %u and %u: the hand-off piles them up", o0, o1);
}

/* ---- 5: --accept reactor --------------------------------------------------- */

/* Every reactor accepts on a SO_REUSEPORT sibling of the listener; the
 * acceptor thread accepts nothing (it still owns the stop); both reactors
 * get connections, none is lost, and with direct descriptors no fixed
 * slot is left behind. */
TEST_T(accept_reactor_mode_each_reactor_accepts_on_its_own_reuseport_listener, 60)
{
	enum { N = 200 };
	struct rk_engine_config cfg;
	config(&cfg, 2, 512);
	cfg.accept_mode = RK_ACCEPT_REACTOR;
	cfg.quiet = false;
	struct eng g;
	eng_create(&g, &cfg);
	struct capture cap;
	capture_start(&cap);
	eng_run(&g);
	bool ok = true;
	for (int k = 0; k < N && ok; k++) {
		int fd = dial_try(g.port);
		ok = fd >= 0 && echo_ok(fd);
		if (fd >= 0)
			close(fd);
	}
	int sibling = g.e->reactors[1].listen_fds[0], listener = g.e->cfg.listen_fds[0];
	eng_stop(&g);
	char *err = capture_end(&cap);
	struct rk_reactor_stats s0, s1;
	rk_engine_reactor_stats(g.e, 0, &s0);
	rk_engine_reactor_stats(g.e, 1, &s1);
	rk_engine_destroy(g.e);
	CHECK_MSG(ok, "a connection was not served:\n%s", err);
	/* Reactor 1 accepted on a sibling of its own, not the listener. */
	CHECK_MSG(sibling >= 0 && sibling != listener, "sibling %d, listener %d", sibling,
		  listener);
	CHECK_EQ(acc_stat(err, "accepted "), 0);
	printf("  reactor 0 accepted %llu, reactor 1 %llu\n", (unsigned long long)s0.accepted,
	       (unsigned long long)s1.accepted);
	CHECK_EQ(s0.accepted + s1.accepted, N);
	CHECK(s0.accepted > 0 && s1.accepted > 0);
	CHECK_EQ(s0.fixed_slots > 0, !test_mode_is("fd"));
	CHECK_EQ(s0.fixed_free, s0.fixed_slots);
	CHECK_EQ(s1.fixed_free, s1.fixed_slots);
}
