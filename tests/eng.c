/* tests/eng.c - the engine's shared test helpers (see tests/eng.h): the
 * echo application, the engine on a thread, loopback clients, byte
 * patterns, and the concurrent echo client.
 */
#include "eng.h"
#include "engine_mode.h"
#include "harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---- the echo application ------------------------------------------------- */

_Atomic uint64_t echo_writable_calls, echo_short_writes, echo_callbacks;

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

void echo_on_data(struct rk_conn *c, const struct rk_seg *segs, unsigned n)
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

void echo_on_writable(struct rk_conn *c)
{
	atomic_fetch_add(&echo_writable_calls, 1);
	echo_pump(c);
}

void engine_config(struct rk_engine_config *cfg, uint32_t reactors, uint32_t max_conns)
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
	test_mode_config(cfg); /* direct descriptors, regular fds, --accept reactor */
}

void engine_listen_small(struct rk_engine_config *cfg, int sndbuf)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK_MSG(fd >= 0, "socket: %s", strerror(errno));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	CHECK(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)) == 0);
	CHECK_MSG(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(fd, 4096) == 0,
		  "listen: %s", strerror(errno));
	cfg->listen_fds[0] = fd;
	cfg->nlisten = 1;
}

/* ---- the engine on a thread ----------------------------------------------- */

static void *eng_thread(void *p)
{
	struct eng *g = p;
	g->ret = rk_engine_run(g->e);
	return NULL;
}

static void eng_ready(void *arg)
{
	struct eng *g = arg;
	atomic_store(&g->ready, true);
}

void eng_start(struct eng *g, const struct rk_engine_config *cfg)
{
	memset(g, 0, sizeof(*g));
	struct rk_engine_config c = *cfg;
	c.on_ready = eng_ready;
	c.ready_arg = g;
	int ret = rk_engine_create(&g->e, &c);
	CHECK_MSG(ret == 0, "rk_engine_create: %d", ret);
	g->port = rk_engine_port(g->e);
	g->family = strchr(cfg->bind, ':') ? AF_INET6 : AF_INET;
	CHECK(g->port != 0);
	CHECK_EQ(pthread_create(&g->th, NULL, eng_thread, g), 0);
	for (int i = 0; !atomic_load(&g->ready) && i < 20000; i++)
		usleep(500);
	CHECK_MSG(atomic_load(&g->ready), "the engine's reactors not up after 10 s");
}

void eng_join(struct eng *g, struct rk_reactor_stats *sum, struct rk_reactor_stats *per)
{
	int ret;
	/* -EAGAIN until the acceptor's ring exists. */
	while ((ret = rk_engine_stop(g->e)) == -EAGAIN)
		usleep(1000);
	CHECK_MSG(ret == 0, "rk_engine_stop: %d", ret);
	CHECK_EQ(pthread_join(g->th, NULL), 0);
	CHECK_EQ(g->ret, 0);
	/* Every counter is a uint64_t: add them up as an array. */
	_Static_assert(sizeof(*sum) % sizeof(uint64_t) == 0, "rk_reactor_stats: u64 only");
	memset(sum, 0, sizeof(*sum));
	for (uint32_t i = 0; i < rk_engine_reactor_count(g->e); i++) {
		struct rk_reactor_stats s;
		CHECK_EQ(rk_engine_reactor_stats(g->e, i, &s), 0);
		if (per)
			per[i] = s;
		uint64_t *d = (uint64_t *)sum;
		const uint64_t *v = (const uint64_t *)&s;
		for (size_t k = 0; k < sizeof(s) / sizeof(uint64_t); k++)
			d[k] += v[k];
	}
}

void eng_destroy(struct eng *g)
{
	rk_engine_destroy(g->e);
	g->e = NULL;
}

void eng_stop(struct eng *g, struct rk_reactor_stats *sum, struct rk_reactor_stats *per)
{
	eng_join(g, sum, per);
	eng_destroy(g);
}

/* ---- loopback client helpers ---------------------------------------------- */

int tcp_socket(int family, int rcvbuf)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK_MSG(fd >= 0, "socket: %s", strerror(errno));
	if (rcvbuf) /* before connect: the window scale is fixed at SYN time */
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	return fd;
}

void eng_tcp_connect(int fd, const struct eng *g)
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

int tcp_dial(const struct eng *g, int rcvbuf)
{
	int fd = tcp_socket(g->family, rcvbuf);
	eng_tcp_connect(fd, g);
	return fd;
}

void set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* close() after SO_LINGER {1, 0}: the kernel sends RST, not FIN. */
void tcp_reset(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };
	CHECK_EQ(setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)), 0);
	close(fd);
}

void raise_fd_limit(void)
{
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

int count_fds(void)
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

long rss_kib(void)
{
	/* read(2) into the stack, not stdio: no allocation, so sampling in a
	 * loop does not itself grow the heap (ASan keeps freed blocks). */
	char text[4096];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	ssize_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	CHECK(n > 0);
	text[n] = 0;
	const char *p = strstr(text, "VmRSS:");
	CHECK(p);
	return strtol(p + 6, NULL, 10);
}

ssize_t eng_read(int fd, void *buf, size_t n)
{
	ssize_t r;
	while ((r = read(fd, buf, n)) < 0 && errno == EINTR)
		;
	return r;
}

ssize_t eng_write(int fd, const void *buf, size_t n)
{
	ssize_t w;
	while ((w = write(fd, buf, n)) < 0 && errno == EINTR)
		;
	return w;
}

char *slurp_fd(int fd)
{
	static char buf[1 << 20];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = 0;
	return buf;
}

double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}
/* Uniform-ish in [lo, hi]. */
uint32_t rnd_in(uint32_t lo, uint32_t hi)
{
	return lo + rnd() % (hi - lo + 1);
}

/* The byte stream of one connection: a random table read from a
 * per-connection start, so a byte out of order, repeated, lost or from
 * another connection does not match. */
uint8_t *pat_table;

void pat_init(void)
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
void pat_fill(uint8_t *buf, uint32_t seed, uint64_t pos, size_t n)
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

const uint8_t *pat_at(uint32_t seed, uint64_t pos, size_t *run)
{
	uint32_t at = (uint32_t)((pos + (uint64_t)seed * 7919u) % PAT_LEN);
	*run = PAT_LEN - at;
	return pat_table + at;
}

/* Index of the first byte of buf that is not [pos, pos + n) of `seed`, or -1. */
long pat_check(const uint8_t *buf, uint32_t seed, uint64_t pos, size_t n)
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

/* Plan `n` connections with nmin..nmax messages of smin..smax bytes. */
struct cli *cli_plan(unsigned n, uint32_t nmin, uint32_t nmax, uint32_t smin, uint32_t smax,
		     uint64_t *total)
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
void cli_run(const struct eng *g, struct cli *cs, unsigned n)
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
					CHECK_MSG(r > 0,
						  "conn %u: read %zd (%s) after %llu of %llu bytes",
						  evs[j].data.u32, r, r ? strerror(errno) : "EOF",
						  (unsigned long long)c->rcvd,
						  (unsigned long long)c->total);
					CHECK_MSG(c->rcvd + (uint64_t)r <= c->sent,
						  "conn %u: echo of bytes never sent",
						  evs[j].data.u32);
					long bad = pat_check(buf, c->seed, c->rcvd, (size_t)r);
					CHECK_MSG(bad < 0, "conn %u: wrong byte at %llu",
						  evs[j].data.u32,
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
void echo_once(const struct eng *g, int fd, uint32_t seed, size_t n)
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
			ssize_t w = eng_write(fd, out + sent, k);
			CHECK_MSG(w > 0, "write: %s", strerror(errno));
			sent += (size_t)w;
		}
		if (got < sent) {
			ssize_t r = eng_read(fd, in + got, n - got);
			CHECK_MSG(r > 0, "read: %zd %s", r, strerror(errno));
			got += (size_t)r;
		}
	}
	CHECK(memcmp(in, out, n) == 0);
	free(out);
	free(in);
	(void)g;
}
