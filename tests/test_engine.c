/* tests/test_engine.c - the engine in-process, over real loopback sockets:
 * an echo application on rk_conn_* (buffer lifetime, short writes,
 * on_writable), many concurrent connections over two reactors, a starved
 * buffer ring (ENOBUFS), abrupt resets by the thousand, a slow reader, slot
 * reuse under a generation, and one white-box check of the generation test
 * in rk_reactor_handle_cqe. Follows include/rocket/engine.h.
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
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---- the echo application ------------------------------------------------- */

/* Segments are valid only during on_data, the bytes they point at until
 * rk_conn_release(): keep a copy of the array, write from it, release once
 * every byte is in the send buffer. */
struct echo {
	struct rk_seg segs[RK_DELIVER_MAX];
	unsigned n, i;
	uint32_t off;
};

static _Atomic uint64_t echo_writable_calls, echo_short_writes, echo_callbacks;

static void echo_pump(struct rk_conn *c)
{
	struct echo *s = rk_conn_app(c);
	while (s->i < s->n) {
		const struct rk_seg *g = &s->segs[s->i];
		long w = rk_conn_write(c, g->p + s->off, g->len - s->off);
		if (w < 0)
			return; /* closing: the engine takes the segments back */
		s->off += (uint32_t)w;
		if (s->off < g->len) {
			/* Send buffer full: on_writable continues. */
			atomic_fetch_add(&echo_short_writes, 1);
			return;
		}
		s->i++;
		s->off = 0;
	}
	if (s->n) {
		s->n = s->i = 0;
		rk_conn_release(c);
	}
}

static void echo_on_data(struct rk_conn *c, const struct rk_seg *segs, unsigned n)
{
	struct echo *s = rk_conn_app(c);
	CHECK(n >= 1 && n <= RK_DELIVER_MAX);
	CHECK_EQ(s->n, 0); /* one read at a time: nothing held now */
	memcpy(s->segs, segs, n * sizeof(*segs));
	s->n = n;
	s->i = 0;
	s->off = 0;
	echo_pump(c);
}

static void echo_on_writable(struct rk_conn *c)
{
	atomic_fetch_add(&echo_writable_calls, 1);
	echo_pump(c);
}

static void engine_config(struct rk_engine_config *cfg, uint32_t reactors, uint32_t max_conns)
{
	rk_engine_defaults(cfg);
	cfg->bind = "127.0.0.1";
	cfg->port = 0;
	cfg->reactors = reactors;
	cfg->max_conns = max_conns;
	cfg->signals = false;
	cfg->quiet = true;
	cfg->ring_entries = 1024;
	cfg->app_state_size = sizeof(struct echo);
	cfg->handler.on_data = echo_on_data;
	cfg->handler.on_writable = echo_on_writable;
	test_mode_config(cfg);
}

/* ---- the engine on a thread ----------------------------------------------- */

struct eng {
	struct rk_engine *e;
	pthread_t th;
	int ret;
	uint16_t port;
	int family;
};

static void *eng_thread(void *p)
{
	struct eng *g = p;
	g->ret = rk_engine_run(g->e);
	return NULL;
}

static void eng_start(struct eng *g, const struct rk_engine_config *cfg)
{
	memset(g, 0, sizeof(*g));
	int ret = rk_engine_create(&g->e, cfg);
	CHECK_MSG(ret == 0, "rk_engine_create: %d", ret);
	g->port = rk_engine_port(g->e);
	g->family = strchr(cfg->bind, ':') ? AF_INET6 : AF_INET;
	CHECK(g->port != 0);
	CHECK_EQ(pthread_create(&g->th, NULL, eng_thread, g), 0);
}

/* Stop, join, and add the reactors' counters up (per reactor in per[]). */
static void eng_stop(struct eng *g, struct rk_reactor_stats *sum, struct rk_reactor_stats *per)
{
	int ret;
	/* -EAGAIN until the acceptor's ring exists. */
	while ((ret = rk_engine_stop(g->e)) == -EAGAIN)
		usleep(1000);
	CHECK_MSG(ret == 0, "rk_engine_stop: %d", ret);
	CHECK_EQ(pthread_join(g->th, NULL), 0);
	CHECK_EQ(g->ret, 0);
	memset(sum, 0, sizeof(*sum));
	for (uint32_t i = 0; i < rk_engine_reactor_count(g->e); i++) {
		struct rk_reactor_stats s;
		CHECK_EQ(rk_engine_reactor_stats(g->e, i, &s), 0);
		if (per)
			per[i] = s;
		sum->accepted += s.accepted;
		sum->closed += s.closed;
		sum->rejected += s.rejected;
		sum->bytes_in += s.bytes_in;
		sum->bytes_out += s.bytes_out;
		sum->enobufs += s.enobufs;
		sum->stale_cqes += s.stale_cqes;
		sum->rearms += s.rearms;
		sum->recv_cqes += s.recv_cqes;
		sum->fixed_slots += s.fixed_slots;
		sum->fixed_free += s.fixed_free;
	}
	rk_engine_destroy(g->e);
}

/* ---- loopback client helpers ---------------------------------------------- */

static int tcp_socket(int family, int rcvbuf)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK_MSG(fd >= 0, "socket: %s", strerror(errno));
	if (rcvbuf) /* before connect: the window scale is fixed at SYN time */
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	return fd;
}

static void tcp_connect(int fd, const struct eng *g)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	if (g->family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(g->port);
		a->sin6_addr = in6addr_loopback;
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons(g->port);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a);
	}
	int ret;
	while ((ret = connect(fd, (struct sockaddr *)&ss, len)) < 0 && errno == EINTR)
		;
	CHECK_MSG(ret == 0, "connect: %s", strerror(errno));
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static int tcp_dial(const struct eng *g, int rcvbuf)
{
	int fd = tcp_socket(g->family, rcvbuf);
	tcp_connect(fd, g);
	return fd;
}

static void set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* close() after SO_LINGER {1, 0}: the kernel sends RST, not FIN. */
static void tcp_reset(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };
	CHECK_EQ(setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)), 0);
	close(fd);
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

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}
/* Uniform-ish in [lo, hi]. */
static uint32_t rnd_in(uint32_t lo, uint32_t hi)
{
	return lo + rnd() % (hi - lo + 1);
}

/* The byte stream of one connection: a random table read from a
 * per-connection start, so a byte out of order, repeated, lost or from
 * another connection does not match. */
#define PAT_LEN 1048573u /* prime: no short period against message sizes */
static uint8_t *pat_table;

static void pat_init(void)
{
	if (pat_table)
		return;
	pat_table = malloc(PAT_LEN);
	CHECK(pat_table);
	uint64_t s = 0x1234567u;
	for (uint32_t i = 0; i < PAT_LEN; i++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		pat_table[i] = (uint8_t)(s >> 56);
	}
}

/* Fill buf with bytes [pos, pos + n) of stream `seed`. */
static void pat_fill(uint8_t *buf, uint32_t seed, uint64_t pos, size_t n)
{
	uint32_t at = (uint32_t)((pos + (uint64_t)seed * 7919u) % PAT_LEN);
	while (n) {
		size_t k = PAT_LEN - at < n ? PAT_LEN - at : n;
		memcpy(buf, pat_table + at, k);
		buf += k;
		n -= k;
		at = 0;
	}
}

/* Index of the first byte of buf that is not [pos, pos + n) of `seed`, or -1. */
static long pat_check(const uint8_t *buf, uint32_t seed, uint64_t pos, size_t n)
{
	uint32_t at = (uint32_t)((pos + (uint64_t)seed * 7919u) % PAT_LEN);
	size_t done = 0;
	while (done < n) {
		size_t k = PAT_LEN - at < n - done ? PAT_LEN - at : n - done;
		if (memcmp(buf + done, pat_table + at, k)) {
			for (size_t i = 0; i < k; i++)
				if (buf[done + i] != pat_table[at + i])
					return (long)(done + i);
		}
		done += k;
		at = 0;
	}
	return -1;
}

/* ---- a concurrent echo client: one epoll loop, nonblocking sockets ------- */

#define MAX_MSGS 8

struct cli {
	int fd;
	uint32_t seed;
	uint32_t nmsg, mi;      /* messages, the one being sent */
	uint32_t msg[MAX_MSGS]; /* their sizes */
	uint64_t total, sent, rcvd, msg_end;
	bool writing;
};

/* Plan `n` connections with nmin..nmax messages of smin..smax bytes. */
static struct cli *cli_plan(unsigned n, uint32_t nmin, uint32_t nmax, uint32_t smin,
			    uint32_t smax, uint64_t *total)
{
	struct cli *cs = calloc(n, sizeof(*cs));
	CHECK(cs);
	*total = 0;
	for (unsigned i = 0; i < n; i++) {
		struct cli *k = &cs[i];
		k->fd = -1;
		k->seed = i * 2654435761u + rnd();
		k->nmsg = rnd_in(nmin, nmax);
		for (uint32_t m = 0; m < k->nmsg; m++) {
			k->msg[m] = rnd_in(smin, smax);
			k->total += k->msg[m];
		}
		k->msg_end = k->msg[0];
		*total += k->total;
	}
	return cs;
}

/* Connect all, then send every message and read every echo concurrently;
 * each byte is checked against the stream. Closes each socket once its
 * whole stream came back. */
static void cli_run(const struct eng *g, struct cli *cs, unsigned n)
{
	static uint8_t buf[65536];
	int ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK(ep >= 0);
	for (unsigned i = 0; i < n; i++) {
		cs[i].fd = tcp_dial(g, 0);
		set_nonblock(cs[i].fd);
		cs[i].writing = true;
		struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.u32 = i };
		CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev), 0);
	}
	unsigned done = 0;
	struct epoll_event evs[256];
	while (done < n) {
		int k = epoll_wait(ep, evs, 256, 20000);
		if (k < 0 && errno == EINTR)
			continue;
		/* Not a timing bound: 20 s without a single event is a hang. */
		CHECK_MSG(k > 0, "no progress: %u of %u connections done", done, n);
		for (int j = 0; j < k; j++) {
			struct cli *c = &cs[evs[j].data.u32];
			if (c->fd < 0)
				continue;
			if (evs[j].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
				for (;;) {
					ssize_t r = read(c->fd, buf, sizeof(buf));
					if (r < 0 && (errno == EAGAIN || errno == EINTR))
						break;
					CHECK_MSG(r > 0, "conn %u: read %zd (%s) after %llu of %llu bytes",
						  evs[j].data.u32, r, r ? strerror(errno) : "EOF",
						  (unsigned long long)c->rcvd,
						  (unsigned long long)c->total);
					CHECK_MSG(c->rcvd + (uint64_t)r <= c->sent,
						  "conn %u: echo of bytes never sent", evs[j].data.u32);
					long bad = pat_check(buf, c->seed, c->rcvd, (size_t)r);
					CHECK_MSG(bad < 0, "conn %u: wrong byte at %llu", evs[j].data.u32,
						  (unsigned long long)(c->rcvd + (uint64_t)bad));
					c->rcvd += (uint64_t)r;
					if (c->rcvd == c->total)
						break;
				}
				if (c->rcvd == c->total) {
					epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
					close(c->fd);
					c->fd = -1;
					done++;
					continue;
				}
			}
			if (c->writing && (evs[j].events & EPOLLOUT)) {
				while (c->sent < c->total) {
					/* One message at a time: writes end at its boundary. */
					size_t want = (size_t)(c->msg_end - c->sent);
					if (want > sizeof(buf))
						want = sizeof(buf);
					pat_fill(buf, c->seed, c->sent, want);
					ssize_t w = write(c->fd, buf, want);
					if (w < 0 && (errno == EAGAIN || errno == EINTR))
						break;
					CHECK_MSG(w > 0, "write: %s", strerror(errno));
					c->sent += (uint64_t)w;
					if (c->sent == c->msg_end && ++c->mi < c->nmsg)
						c->msg_end += c->msg[c->mi];
				}
				if (c->sent == c->total) {
					c->writing = false;
					struct epoll_event ev = { .events = EPOLLIN,
								  .data.u32 = evs[j].data.u32 };
					CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev), 0);
				}
			}
		}
	}
	close(ep);
}

/* One connection, one message, its echo back (blocking). */
static void echo_once(const struct eng *g, int fd, uint32_t seed, size_t n)
{
	uint8_t *out = malloc(n), *in = malloc(n);
	CHECK(out && in);
	pat_fill(out, seed, 0, n);
	struct timeval tv = { .tv_sec = 10 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	size_t sent = 0, got = 0;
	while (got < n) {
		if (sent < n) {
			size_t k = n - sent < 16384 ? n - sent : 16384;
			ssize_t w = write(fd, out + sent, k);
			CHECK_MSG(w > 0, "write: %s", strerror(errno));
			sent += (size_t)w;
		}
		if (got < sent) {
			ssize_t r = read(fd, in + got, n - got);
			CHECK_MSG(r > 0, "read: %zd %s", r, strerror(errno));
			got += (size_t)r;
		}
	}
	CHECK(memcmp(in, out, n) == 0);
	free(out);
	free(in);
	(void)g;
}

/* ---- 1: many connections over two reactors -------------------------------- */

TEST_T(echo_1000_concurrent_connections_two_reactors_every_byte_in_order, 120)
{
	raise_fd_limit();
	pat_init();
	struct rk_engine_config cfg;
	engine_config(&cfg, 2, 2048);
	struct eng g;
	eng_start(&g, &cfg);

	uint64_t total;
	struct cli *cs = cli_plan(1000, 1, 4, 1, 65536, &total);
	cli_run(&g, cs, 1000);
	free(cs);

	struct rk_reactor_stats sum, per[2];
	eng_stop(&g, &sum, per);
	printf("  total %llu bytes, per reactor %llu/%llu\n", (unsigned long long)total, (unsigned long long)per[0].accepted, (unsigned long long)per[1].accepted);
	CHECK_EQ(sum.accepted, 1000);
	CHECK_EQ(sum.rejected, 0);
	CHECK_MSG(per[0].accepted > 0 && per[1].accepted > 0,
		  "reactor 0 accepted %llu, reactor 1 accepted %llu",
		  (unsigned long long)per[0].accepted, (unsigned long long)per[1].accepted);
	CHECK_EQ(sum.closed, sum.accepted);
	CHECK_EQ(sum.bytes_in, total);
	CHECK_EQ(sum.bytes_out, total);
	CHECK_EQ(sum.stale_cqes, 0);
}

/* ---- 2: a starved buffer ring --------------------------------------------- */

TEST_T(echo_with_8_buffers_per_reactor_hits_enobufs_and_loses_nothing, 120)
{
	pat_init();
	struct rk_engine_config cfg;
	engine_config(&cfg, 2, 128);
	cfg.buffers = 8;
	cfg.buffer_size = 4096;
	struct eng g;
	eng_start(&g, &cfg);

	uint64_t total;
	struct cli *cs = cli_plan(64, 2, 6, 1, 65536, &total);
	cli_run(&g, cs, 64);
	free(cs);

	struct rk_reactor_stats sum;
	eng_stop(&g, &sum, NULL);
	printf("  enobufs %llu rearms %llu total %llu\n", (unsigned long long)sum.enobufs, (unsigned long long)sum.rearms, (unsigned long long)total);
	CHECK_MSG(sum.enobufs > 0, "no ENOBUFS with 8 buffers and 64 connections");
	CHECK_EQ(sum.accepted, 64);
	CHECK_EQ(sum.rejected, 0);
	CHECK_EQ(sum.closed, 64);
	CHECK_EQ(sum.bytes_in, total);
	CHECK_EQ(sum.bytes_out, total);
	CHECK_EQ(sum.stale_cqes, 0);
}

/* ---- 2b: bundled receives ---------------------------------------------------- */

/* With IORING_RECVSEND_BUNDLE one CQE may cover many buffers: every byte
 * still comes back in order, from a ring small enough to be starved too. */
TEST_T(echo_with_bundled_receives_every_byte_in_order, 120)
{
	pat_init();
	struct rk_engine_config cfg;
	engine_config(&cfg, 1, 128);
	cfg.bundle = true;
	cfg.buffers = 64;
	cfg.buffer_size = 1024;
	struct eng g;
	eng_start(&g, &cfg);

	uint64_t total;
	struct cli *cs = cli_plan(32, 2, 6, 1, 65536, &total);
	cli_run(&g, cs, 32);
	free(cs);

	struct rk_reactor_stats sum;
	eng_stop(&g, &sum, NULL);
	printf("  recv cqes %llu for %llu bytes in 1 KiB buffers, enobufs %llu\n",
	       (unsigned long long)sum.recv_cqes, (unsigned long long)total,
	       (unsigned long long)sum.enobufs);
	CHECK_EQ(sum.accepted, 32);
	CHECK_EQ(sum.bytes_in, total);
	CHECK_EQ(sum.bytes_out, total);
	CHECK_EQ(sum.stale_cqes, 0);
	CHECK(sum.recv_cqes > 0);
	/* Bundles at work: fewer receive CQEs than 1 KiB buffers filled. */
	CHECK_MSG(sum.recv_cqes < total / 1024, "%llu recv CQEs for %llu bytes",
		  (unsigned long long)sum.recv_cqes, (unsigned long long)total);
}

/* ---- 3: resets by the thousand -------------------------------------------- */

enum { RST_AT_ONCE, RST_MID_REQUEST, RST_MID_RESPONSE, RST_AFTER_PARTIAL_READ, RST_KINDS };

TEST_T(ten_thousand_resets_mid_request_and_mid_response_leak_no_fd_and_no_fixed_slot, 180)
{
	raise_fd_limit();
	pat_init();
	struct rk_engine_config cfg;
	engine_config(&cfg, 2, 2048);
	struct eng g;
	eng_start(&g, &cfg);

	/* A connection that stays open throughout: it proves the reactors
	 * are up before the baseline, and serves after the storm. */
	int keep = tcp_dial(&g, 0);
	echo_once(&g, keep, 1, 1000);
	int baseline = count_fds();
	bool direct = g.e->direct;
	CHECK_MSG(direct == !test_mode_is("fd"), "direct descriptors %s in mode %s",
		  direct ? "on" : "off", test_mode());

	enum { WAVE = 500, TOTAL = 10000, BIG = 96 * 1024 };
	static int fds[WAVE];
	static uint8_t big[BIG], sink[8192];
	unsigned kinds[RST_KINDS] = { 0 };
	pat_fill(big, 42, 0, BIG);
	for (unsigned base = 0; base < TOTAL; base += WAVE) {
		for (unsigned i = 0; i < WAVE; i++) {
			unsigned kind = (base + i) % RST_KINDS;
			/* A tiny receive window keeps the server's echo send of
			 * a big message in flight (blocked) when the RST lands. */
			fds[i] = tcp_dial(&g, kind >= RST_MID_RESPONSE ? 4096 : 0);
			set_nonblock(fds[i]);
		}
		for (unsigned i = 0; i < WAVE; i++) {
			unsigned kind = (base + i) % RST_KINDS;
			if (kind == RST_AT_ONCE)
				continue;
			size_t n = kind == RST_MID_REQUEST ? rnd_in(1, 3000) : BIG;
			size_t off = 0;
			while (off < n) {
				ssize_t w = write(fds[i], big + off, n - off);
				if (w <= 0)
					break; /* EAGAIN: the rest stays unsent */
				off += (size_t)w;
			}
		}
		for (unsigned i = 0; i < WAVE; i++) {
			unsigned kind = (base + i) % RST_KINDS;
			if (kind >= RST_MID_RESPONSE) {
				/* Wait until the echo has started: the server is
				 * mid-response. */
				struct pollfd p = { .fd = fds[i], .events = POLLIN };
				CHECK_MSG(poll(&p, 1, 10000) == 1, "connection %u: no echo", base + i);
				if (kind == RST_AFTER_PARTIAL_READ)
					(void)!read(fds[i], sink, rnd_in(1, sizeof(sink)));
			}
			tcp_reset(fds[i]);
			kinds[kind]++;
		}
	}
	for (unsigned k = 0; k < RST_KINDS; k++)
		CHECK_EQ(kinds[k], TOTAL / RST_KINDS);

	/* Every server-side socket gets closed: back to the baseline. */
	int now = count_fds();
	for (int tries = 0; now != baseline && tries < 1000; tries++) {
		usleep(10 * 1000);
		now = count_fds();
	}
	CHECK_MSG(now == baseline, "open fds: %d, baseline %d", now, baseline);

	/* Still serving: the old connection and a new one. */
	echo_once(&g, keep, 2, 200000);
	int fresh = tcp_dial(&g, 0);
	echo_once(&g, fresh, 3, 200000);
	close(fresh);
	close(keep);

	struct rk_reactor_stats sum;
	eng_stop(&g, &sum, NULL);
	CHECK_EQ(sum.accepted, TOTAL + 2);
	CHECK_EQ(sum.rejected, 0);
	CHECK_EQ(sum.closed, sum.accepted);
	CHECK_EQ(sum.stale_cqes, 0);
	/* With direct descriptors no fd ever existed for them (the count
	 * above), and every slot of the reactors' fixed tables is empty
	 * again - the kernel says so, slot by slot, at exit. */
	printf("  fixed-table slots free at exit: %llu of %llu\n",
	       (unsigned long long)sum.fixed_free, (unsigned long long)sum.fixed_slots);
	CHECK_EQ(sum.fixed_slots > 0, direct);
	CHECK_EQ(sum.fixed_free, sum.fixed_slots);
}

/* ---- 4: a slow reader ----------------------------------------------------- */

struct writer {
	int fd;
	size_t n;
	uint32_t seed;
};

static void *writer_thread(void *p)
{
	struct writer *w = p;
	uint8_t *buf = malloc(w->n);
	pat_fill(buf, w->seed, 0, w->n);
	size_t off = 0;
	while (off < w->n) {
		ssize_t k = write(w->fd, buf + off, w->n - off);
		if (k <= 0)
			break;
		off += (size_t)k;
	}
	free(buf);
	return (void *)(uintptr_t)off;
}

TEST_T(one_mib_echo_to_a_slow_reader_arrives_intact_over_ipv6, 60)
{
	pat_init();
	struct rk_engine_config cfg;
	engine_config(&cfg, 1, 16);
	cfg.bind = "::1";
	struct eng g;
	eng_start(&g, &cfg);
	atomic_store(&echo_writable_calls, 0);

	enum { N = 1 << 20 };
	int fd = tcp_dial(&g, 0);
	struct writer w = { fd, N, 77 };
	pthread_t th;
	CHECK_EQ(pthread_create(&th, NULL, writer_thread, &w), 0);
	static uint8_t buf[16384];
	size_t got = 0;
	while (got < N) {
		ssize_t r = read(fd, buf, sizeof(buf));
		CHECK_MSG(r > 0, "read %zd after %zu bytes", r, got);
		long bad = pat_check(buf, 77, got, (size_t)r);
		CHECK_MSG(bad < 0, "wrong byte at %zu", got + (size_t)bad);
		got += (size_t)r;
		usleep(3000);
	}
	void *sent;
	pthread_join(th, &sent);
	CHECK_EQ((uintptr_t)sent, N);
	/* Our FIN closes the server's side (EOF), without a stop: its open
	 * count goes to 0, and with regular fds its descriptor goes too (a
	 * direct descriptor is none: only ours goes). */
	int open_fds = count_fds(), want = open_fds - (g.e->direct ? 1 : 2);
	close(fd);
	int now = count_fds();
	uint32_t open = 1;
	for (int tries = 0; (now != want || open) && tries < 500; tries++) {
		usleep(10 * 1000);
		now = count_fds();
		open = atomic_load(&g.e->reactors[0].open_pub);
	}
	CHECK_MSG(now == want && !open, "server kept its socket after EOF: %d fds, expected %d; "
		  "%u open", now, want, open);

	struct rk_reactor_stats sum;
	eng_stop(&g, &sum, NULL);
	CHECK_EQ(sum.bytes_in, N);
	CHECK_EQ(sum.bytes_out, N);
	/* 1 MiB through a 16 KiB send buffer to a reader that lags: the
	 * application had to wait for on_writable. */
	CHECK(atomic_load(&echo_writable_calls) > 0);
}

/* ---- 5: slot reuse -------------------------------------------------------- */

TEST_T(reused_slot_never_sees_the_previous_connections_completions, 120)
{
	pat_init();
	struct rk_engine_config cfg;
	engine_config(&cfg, 1, 1);
	struct eng g;
	eng_start(&g, &cfg);

	enum { ROUNDS = 200, BIG = 256 * 1024 };
	static uint8_t big[BIG], buf[65536];
	unsigned retries = 0;
	for (unsigned round = 0; round < ROUNDS; round++) {
		/* A: a big message, an echo it does not read (tiny window),
		 * so the server's send is in flight; then a reset. */
		int a = tcp_dial(&g, 4096);
		set_nonblock(a);
		pat_fill(big, 1000000 + round, 0, BIG);
		size_t off = 0;
		for (;;) {
			ssize_t w = write(a, big + off, BIG - off);
			if (w > 0 && (off += (size_t)w) < BIG)
				continue;
			break;
		}
		struct pollfd p = { .fd = a, .events = POLLIN };
		CHECK_MSG(poll(&p, 1, 10000) == 1, "round %u: no echo for A", round);
		tcp_reset(a);

		/* B, at once: it may take slot 0 under the next generation
		 * (or be refused while A's slot drains: then again). */
		uint32_t seed = 2000000 + round;
		size_t n = rnd_in(1, sizeof(buf));
		for (;;) {
			int b = tcp_dial(&g, 0);
			pat_fill(buf, seed, 0, n);
			struct timeval tv = { .tv_sec = 10 };
			setsockopt(b, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
			setsockopt(b, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
			ssize_t w = write(b, buf, n);
			size_t got = 0;
			ssize_t r = -1;
			if (w == (ssize_t)n) {
				shutdown(b, SHUT_WR);
				while ((r = read(b, buf + got, sizeof(buf) - got)) > 0)
					got += (size_t)r;
			} else {
				CHECK_MSG(w < 0 && (errno == EPIPE || errno == ECONNRESET),
					  "round %u: B's write: %zd %s", round, w, strerror(errno));
			}
			close(b);
			if (got == 0 && (r == 0 || errno == ECONNRESET || errno == EPIPE)) {
				/* Refused: the server had no free slot yet. */
				CHECK_MSG(++retries < 100000, "B never got a slot");
				usleep(200);
				continue;
			}
			CHECK_MSG(r == 0, "round %u: read: %s", round, strerror(errno));
			/* Exactly its own bytes, then EOF: nothing of A's. */
			CHECK_MSG(got == n, "round %u: B got %zu bytes, sent %zu", round, got, n);
			long bad = pat_check(buf, seed, 0, n);
			CHECK_MSG(bad < 0, "round %u: B's byte %ld is not its own", round, bad);
			break;
		}
	}

	struct rk_reactor_stats sum;
	eng_stop(&g, &sum, NULL);
	printf("  slot reuse: %u refusals while A drained, accepted %llu\n", retries,
	       (unsigned long long)sum.accepted);
	CHECK_EQ(sum.stale_cqes, 0);
	CHECK_EQ(sum.accepted, 2 * ROUNDS);
	CHECK_EQ(sum.rejected, retries);
	CHECK_EQ(sum.closed, sum.accepted);
}

/* ---- white box: the generation check -------------------------------------- */

static void wb_on_data(struct rk_conn *c, const struct rk_seg *s, unsigned n)
{
	(void)c, (void)s, (void)n;
	atomic_fetch_add(&echo_callbacks, 1);
}
static void wb_on_writable(struct rk_conn *c)
{
	(void)c;
	atomic_fetch_add(&echo_callbacks, 1);
}
static void wb_on_close(struct rk_conn *c, enum rk_close_reason why)
{
	(void)c, (void)why;
	atomic_fetch_add(&echo_callbacks, 1);
}

TEST_T(completion_of_an_older_generation_is_stale_and_touches_nothing, 20)
{
	struct rk_engine_config cfg;
	engine_config(&cfg, 1, 2);
	cfg.handler.on_data = wb_on_data;
	cfg.handler.on_writable = wb_on_writable;
	cfg.handler.on_close = wb_on_close;
	struct rk_engine *e;
	CHECK_EQ(rk_engine_create(&e, &cfg), 0);
	struct rk_reactor *r = &e->reactors[0];
	struct rk_conn *c = &r->conns[0];
	/* Slot 0 open under generation 5, 100 bytes queued of which a send
	 * is in flight, and the application waiting for on_writable. */
	c->r = r;
	c->h = &e->cfg.handler;
	c->state = RK_CONN_OPEN;
	c->gen = 5;
	c->fd = 12345;
	c->pend_head = c->pend_tail = c->held_head = RK_NONE;
	c->out_head = c->out_tail = c->zc_head = RK_NONE;
	static const char hundred[100];
	CHECK_EQ(rk_conn_write(c, hundred, sizeof(hundred)), 100);
	r->nq[RK_Q_FLUSH] = 0;
	c->queued[RK_Q_FLUSH] = false;
	c->send_busy = true;
	c->nops = 1;
	c->want_write = true;
	uint32_t nfree = r->nfree;
	atomic_store(&echo_callbacks, 0);

	/* The send CQE of generation 4, the slot's previous connection. */
	struct io_uring_cqe cqe = { .user_data = rk_ud(RK_UD_SEND, 0, 4), .res = 90 };
	rk_reactor_handle_cqe(r, &cqe);
	CHECK_EQ(r->st.stale_cqes, 1);
	CHECK(c->send_busy);
	CHECK(c->want_write);
	CHECK_EQ(rk_conn_queued(c), 100);
	CHECK_EQ(c->nops, 1);
	CHECK_EQ(c->state, RK_CONN_OPEN);
	CHECK_EQ(r->st.bytes_out, 0);
	CHECK_EQ(r->nq[RK_Q_FLUSH], 0);
	CHECK_EQ(atomic_load(&echo_callbacks), 0);

	/* Its close CQE must not free the slot of the new connection. */
	cqe = (struct io_uring_cqe){ .user_data = rk_ud(RK_UD_CLOSE, 0, 4), .res = 0 };
	rk_reactor_handle_cqe(r, &cqe);
	CHECK_EQ(r->st.stale_cqes, 2);
	CHECK_EQ(c->state, RK_CONN_OPEN);
	CHECK_EQ(c->gen, 5);
	CHECK_EQ(c->fd, 12345);
	CHECK_EQ(r->nfree, nfree);
	CHECK_EQ(r->st.closed, 0);

	/* A slot that is free, and one beyond the table, are stale too. */
	cqe = (struct io_uring_cqe){ .user_data = rk_ud(RK_UD_SEND, 1, 0), .res = 1 };
	rk_reactor_handle_cqe(r, &cqe);
	cqe = (struct io_uring_cqe){ .user_data = rk_ud(RK_UD_SEND, 7, 5), .res = 1 };
	rk_reactor_handle_cqe(r, &cqe);
	CHECK_EQ(r->st.stale_cqes, 4);
	CHECK_EQ(r->st.bytes_out, 0);

	/* The control: the same CQE under generation 5 is this connection's. */
	cqe = (struct io_uring_cqe){ .user_data = rk_ud(RK_UD_SEND, 0, 5), .res = 90 };
	c->want_write = false;
	rk_reactor_handle_cqe(r, &cqe);
	CHECK_EQ(r->st.stale_cqes, 4);
	CHECK(!c->send_busy);
	CHECK_EQ(c->nops, 0);
	CHECK_EQ(rk_conn_queued(c), 10); /* the rest goes out next */
	CHECK_EQ(r->nq[RK_Q_FLUSH], 1);
	CHECK_EQ(r->st.bytes_out, 90);

	c->state = RK_CONN_FREE;
	rk_engine_destroy(e);
}

/* ---- 6: closing - links, and no cancel where nothing runs ------------------ */

/* Each connection answers its first bytes with "bye\n", then either
 * closes (rk_conn_close) or half-closes (rk_conn_shutdown_write) and drops
 * whatever else it gets. */
static _Atomic int close_mode_linger;

static void bye_on_data(struct rk_conn *c, const struct rk_seg *s, unsigned n)
{
	struct echo *e = rk_conn_app(c);
	(void)s, (void)n;
	rk_conn_release(c);
	if (e->n++)
		return; /* after the half-close: read and dropped */
	CHECK_EQ(rk_conn_write(c, "bye\n", 4), 4);
	if (atomic_load(&close_mode_linger))
		rk_conn_shutdown_write(c);
	else
		rk_conn_close(c);
}

/* The trace's SQE lines, in order, each as "<op> <flags>". */
static unsigned trace_sqes(const char *t, char lines[][96], unsigned max, bool *enter_between,
			   const char *from, const char *to)
{
	unsigned n = 0;
	bool in = false;
	*enter_between = false;
	for (const char *p = t; *p && n < max;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char l[512];
		snprintf(l, sizeof(l), "%.*s", (int)len, p);
		p += len + (eol != NULL);
		if (strstr(l, "io_uring_enter") && in)
			*enter_between = true;
		const char *sqe = strstr(l, "] SQE  ");
		if (!sqe)
			continue;
		char op[32] = "", fl[64] = "";
		const char *f = strstr(l, "flags ");
		sscanf(sqe + 7, "%31s", op);
		if (f)
			sscanf(f + 6, "%63s", fl);
		if (!strcmp(op, from))
			in = true;
		if (in) {
			snprintf(lines[n++], 96, "%s %s", op, fl);
			if (!strcmp(op, to))
				in = false;
		}
	}
	return n;
}

static char *slurp_fd(int fd)
{
	static char buf[1 << 20];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = 0;
	return buf;
}

/* The server closes after its answer: the answer's SEND carries
 * IOSQE_IO_HARDLINK to a CANCEL (the multishot recv) hard-linked to the
 * CLOSE, all three in one submission - no round through the reactor for
 * the send's CQE first. Half-closed instead, the SEND links to a SHUTDOWN;
 * the client reads the answer and EOF, the server drops what it sends
 * after, and once the client closes, the server's CLOSE goes without any
 * cancel (its recv ended with the client's FIN). */
TEST_T(server_close_links_send_cancel_close_and_half_close_links_shutdown, 30)
{
	for (int linger = 0; linger < 2; linger++) {
		struct rk_engine_config cfg;
		engine_config(&cfg, 1, 16);
		cfg.handler.on_data = bye_on_data;
		char path[] = "/tmp/rocket-trace-XXXXXX";
		cfg.trace_fd = mkstemp(path);
		CHECK(cfg.trace_fd >= 0);
		unlink(path);
		atomic_store(&close_mode_linger, linger);
		struct eng g;
		eng_start(&g, &cfg);
		int fd = tcp_dial(&g, 0);
		struct timeval tv = { .tv_sec = 5 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		CHECK_EQ(write(fd, "x", 1), 1);
		char buf[16];
		size_t got = 0;
		ssize_t r;
		while ((r = read(fd, buf + got, sizeof(buf) - got)) > 0)
			got += (size_t)r;
		CHECK_MSG(r == 0, "no EOF after the answer: %s", strerror(errno));
		CHECK_EQ(got, 4);
		CHECK(!memcmp(buf, "bye\n", 4));
		if (linger) {
			/* Half-closed: our bytes are still read (and dropped). */
			CHECK_EQ(write(fd, "more", 4), 4);
			usleep(50 * 1000);
		}
		close(fd);
		/* Until the server has closed its side too. */
		for (int t = 0; atomic_load(&g.e->reactors[0].open_pub) && t < 1000; t++)
			usleep(1000);
		struct rk_reactor_stats sum;
		eng_stop(&g, &sum, NULL);
		char *t = slurp_fd(cfg.trace_fd);
		close(cfg.trace_fd);
		CHECK_EQ(sum.closed, 1);
		CHECK_EQ(sum.close_errors, 0);
		char l[8][96];
		bool enter;
		if (!linger) {
			unsigned n = trace_sqes(t, l, 8, &enter, "SEND", "CLOSE");
			CHECK_MSG(n == 3 && strstr(l[0], "IO_HARDLINK") && !strncmp(l[1], "ASYNC_CANCEL", 12) &&
				  strstr(l[1], "IO_HARDLINK") && !strncmp(l[2], "CLOSE", 5) && !enter,
				  "close: %u SQEs from SEND to CLOSE (%s, %s, %s), an enter between: %d",
				  n, n > 0 ? l[0] : "", n > 1 ? l[1] : "", n > 2 ? l[2] : "", enter);
		} else {
			unsigned n = trace_sqes(t, l, 8, &enter, "SEND", "SHUTDOWN");
			CHECK_MSG(n == 2 && strstr(l[0], "IO_LINK") && !strncmp(l[1], "SHUTDOWN", 8) &&
				  !enter, "half-close: %u SQEs (%s, %s), an enter between: %d", n,
				  n > 0 ? l[0] : "", n > 1 ? l[1] : "", enter);
			/* The SQE after the recv's end (res 0, our FIN) is the CLOSE. */
			const char *fin = strstr(t, "CQE  RECV    conn 0.0  res 0 ");
			const char *next = fin ? strstr(fin, "] SQE  ") : 0;
			CHECK_MSG(next && !strncmp(next + 7, "CLOSE ", 6),
				  "after the peer's FIN the next SQE is not the CLOSE:\n%s", t);
			CHECK_EQ(sum.bytes_in, 5); /* "x" and "more" */
		}
	}
}

/* ---- 7: the handler's own operations on the socket ------------------------- */

static _Atomic int op_res = -1000, op_fixed = -1;

static void op_on_data(struct rk_conn *c, const struct rk_seg *s, unsigned n)
{
	(void)s, (void)n;
	rk_conn_release(c);
	bool fixed;
	int fd = rk_conn_fd(c, &fixed);
	atomic_store(&op_fixed, fixed);
	struct io_uring_sqe *sqe = rk_conn_op_sqe(c, 7);
	CHECK(sqe);
	static const char msg[] = "own op\n";
	sqe->opcode = IORING_OP_SEND;
	sqe->fd = fd;
	if (fixed)
		sqe->flags |= IOSQE_FIXED_FILE;
	sqe->addr = (uint64_t)(uintptr_t)msg;
	sqe->len = sizeof(msg) - 1;
}

static void op_on_op(struct rk_conn *c, uint8_t tag, int32_t res, uint32_t flags)
{
	(void)c, (void)flags;
	if (tag == 7)
		atomic_store(&op_res, res);
}

/* A handler's SEND of its own reaches the client through the socket that
 * rk_conn_fd() names - a direct descriptor with IOSQE_FIXED_FILE, or an fd. */
TEST_T(handler_op_on_the_socket_goes_through_rk_conn_fd, 20)
{
	struct rk_engine_config cfg;
	engine_config(&cfg, 1, 16);
	cfg.handler.on_data = op_on_data;
	cfg.handler.on_op = op_on_op;
	struct eng g;
	eng_start(&g, &cfg);
	int fd = tcp_dial(&g, 0);
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	CHECK_EQ(write(fd, "x", 1), 1);
	char buf[16] = "";
	ssize_t r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	struct rk_reactor_stats sum;
	eng_stop(&g, &sum, NULL);
	CHECK_MSG(r == 7 && !strcmp(buf, "own op\n"), "read %zd: %s", r, buf);
	CHECK_EQ(atomic_load(&op_res), 7);
	CHECK_EQ(atomic_load(&op_fixed), !test_mode_is("fd"));
}
