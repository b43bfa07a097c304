/* tools/rocket-load.c - an HTTP/1.1 load generator on Rocket's own ring layer.
 *
 * One rk_ring per thread (include/rocket/ring.h), a provided-buffer ring for
 * multishot receives (include/rocket/bufring.h, io_uring_register_buf_ring(3)),
 * IORING_OP_SEND from one pre-rendered buffer holding p+1 copies of the
 * request, IORING_OP_CONNECT for reconnects. Each connection keeps exactly p
 * requests outstanding; responses are framed by Content-Length or chunked
 * encoding, and each request's latency runs from its send to the end of its
 * response, into a log-linear (HDR-style) histogram.
 * Extra modes for tools/bench: --idle N (hold N answered connections) and
 * --first-response (time from exec to the first answered request).
 * Read next: tools/bench.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rocket/bufring.h"
#include "rocket/ring.h"
#include "rocket/util.h"

#define LOAD_MAX_HEADERS 32
#define LOAD_STASH_CAP   16384        /* a response head split over buffers */
#define LOAD_BUF_SIZE    16384        /* provided-buffer size */
#define LOAD_TICK_NS     100000000ULL /* longest wait in the loop: 100 ms */
#define LOAD_RETRY_NS    100000000ULL /* pause before retrying a failed connect */

/* ---- options ------------------------------------------------------------- */
struct load_opts {
	unsigned conns, threads, pipeline;
	double duration, warmup;
	const char *method, *body, *url;
	const char *headers[LOAD_MAX_HEADERS];
	unsigned nheaders;
	bool json;
	unsigned idle;             /* --idle N */
	bool first_response;       /* --first-response */
	long long start_ns;        /* --start-ns (CLOCK_REALTIME), with --first-response */
	int server_cpu;            /* --server-cpu, for the spawned command */
	char **cmd;                /* after "--": the server to spawn */
};

static struct load_opts opt = { .conns = 10, .threads = 1, .pipeline = 1, .duration = 10,
				.method = "GET", .server_cpu = -1 };
static struct sockaddr_storage g_addr;
static socklen_t g_addrlen;
static char g_host[256], g_path[2048];
static char *g_req;       /* pipeline + 1 copies of the request */
static uint32_t g_req_len; /* one copy */
static bool g_head;       /* HEAD: responses carry no body */
static volatile sig_atomic_t g_stop;
static atomic_uint g_idle_done;
static uint64_t g_t0;     /* set by main before the workers start their clocks */
static pthread_barrier_t g_barrier;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- latency histogram: log-linear, 2^HIST_SUB sub-buckets per octave ---- */
#define HIST_SUB 8
#define HIST_N   ((64 - HIST_SUB + 1) << HIST_SUB)

struct hist {
	uint64_t c[HIST_N];
	uint64_t n, sum, max;
};

static inline unsigned hist_index(uint64_t v)
{
	if (v < (1U << HIST_SUB))
		return (unsigned)v;
	unsigned shift = (unsigned)(63 - __builtin_clzll(v)) - HIST_SUB + 1;
	return (shift << HIST_SUB) + (unsigned)(v >> shift);
}

/* The middle of the bucket's value range. */
static uint64_t hist_value(unsigned idx)
{
	unsigned shift = idx >> HIST_SUB;
	uint64_t lo = (uint64_t)(idx & ((1U << HIST_SUB) - 1)) << shift;
	return shift ? lo + (1ULL << (shift - 1)) : lo;
}

static inline void hist_add(struct hist *h, uint64_t v)
{
	h->c[hist_index(v)]++;
	h->n++;
	h->sum += v;
	if (v > h->max)
		h->max = v;
}

static uint64_t hist_pct(const struct hist *h, double pct)
{
	if (!h->n)
		return 0;
	uint64_t want = (uint64_t)(pct / 100.0 * (double)h->n + 0.5), seen = 0;
	if (want < 1)
		want = 1;
	for (unsigned i = 0; i < HIST_N; i++) {
		seen += h->c[i];
		if (seen >= want)
			return hist_value(i) < h->max ? hist_value(i) : h->max;
	}
	return h->max;
}

/* ---- per-thread state ------------------------------------------------------ */
struct load_stats {
	uint64_t req, bytes, status[6]; /* status[k]: kxx, status[0]: other */
	uint64_t err_connect, err_read, err_write, err_parse, err_closed, reconnects;
	struct hist lat;
};

enum { P_HEAD, P_BODY, P_CHUNK_SIZE, P_CHUNK_EXT, P_CHUNK_DATA, P_CHUNK_CRLF, P_TRAILER, P_EOF };
enum { UD_RECV = 1, UD_SEND, UD_CONNECT };

struct load_conn {
	int fd;
	uint32_t gen;          /* bumped on every reconnect: stale CQEs are ignored */
	uint8_t state;         /* P_*: where the response parser stands */
	bool send_busy;        /* one SEND in flight at a time keeps the bytes in order */
	bool dirty;            /* on the worker's flush list */
	bool dead;             /* waiting for a connect retry */
	bool close_after;      /* the response said Connection: close */
	bool chunk_digit;      /* a hex digit seen in this chunk-size line */
	int status;
	uint32_t outstanding;  /* requests queued or sent, not yet answered */
	uint32_t unsent;       /* bytes of those not yet handed to a SEND */
	uint32_t send_pos;     /* where in a request copy the next SEND starts */
	uint32_t ts_head;      /* oldest outstanding request's slot in ts[] */
	uint32_t line_len;
	uint64_t remain;       /* body or chunk bytes still to come */
	uint64_t retry_at;
	uint64_t *ts;          /* pipeline slots: send time of each outstanding request */
	uint8_t *stash;        /* a head split across buffers, copied */
	uint32_t stash_len;
	struct sockaddr_storage addr; /* IORING_OP_CONNECT reads it asynchronously */
};

struct load_worker {
	pthread_t th;
	unsigned id, nconn;
	struct load_conn *conns;
	uint32_t *flush;       /* connections with bytes to send */
	uint32_t nflush;
	struct rk_ring ring;
	struct rk_bufring br;
	bool recording, ready;
	uint64_t rec_start, stop, rec_end, next_retry;
	struct load_stats st;
	int err;
};

static struct io_uring_sqe *load_sqe(struct load_worker *w)
{
	struct io_uring_sqe *sqe;
	while (!(sqe = rk_ring_get_sqe(&w->ring)))
		rk_ring_submit(&w->ring); /* SQ full: hand these to the kernel first */
	return sqe;
}

static inline uint64_t load_ud(int kind, struct load_conn *c, uint32_t idx)
{
	return ((uint64_t)kind << 56) | ((uint64_t)(c->gen & 0xffffff) << 32) | idx;
}

static void load_arm_recv(struct load_worker *w, struct load_conn *c, uint32_t idx)
{
	struct io_uring_sqe *sqe = load_sqe(w);
	sqe->opcode = IORING_OP_RECV;
	sqe->fd = c->fd;
	sqe->ioprio = IORING_RECV_MULTISHOT;
	sqe->flags = IOSQE_BUFFER_SELECT;
	sqe->buf_group = w->br.bgid;
	sqe->user_data = load_ud(UD_RECV, c, idx);
}

/* Queue k requests: each takes the next pipeline slot and its send time. */
static void load_queue(struct load_worker *w, struct load_conn *c, uint32_t idx, unsigned k,
		       uint64_t now)
{
	for (unsigned i = 0; i < k; i++) {
		c->ts[(c->ts_head + c->outstanding) % opt.pipeline] = now;
		c->outstanding++;
		c->unsent += g_req_len;
	}
	if (!c->dirty && !c->send_busy) {
		c->dirty = true;
		w->flush[w->nflush++] = idx;
	}
}

/* One SEND per connection with bytes waiting: the whole backlog at once. */
static void load_flush(struct load_worker *w)
{
	for (uint32_t i = 0; i < w->nflush; i++) {
		struct load_conn *c = &w->conns[w->flush[i]];
		c->dirty = false;
		if (c->send_busy || !c->unsent || c->fd < 0 || c->dead)
			continue;
		struct io_uring_sqe *sqe = load_sqe(w);
		sqe->opcode = IORING_OP_SEND;
		sqe->fd = c->fd;
		sqe->addr = (uint64_t)(uintptr_t)(g_req + c->send_pos);
		sqe->len = c->unsent; /* <= pipeline copies: the buffer has one more */
		sqe->msg_flags = MSG_NOSIGNAL;
		sqe->user_data = load_ud(UD_SEND, c, w->flush[i]);
		c->send_busy = true;
	}
	w->nflush = 0;
}

static void load_conn_clear(struct load_conn *c)
{
	c->state = P_HEAD;
	c->send_busy = c->close_after = c->dead = false;
	c->outstanding = c->unsent = c->send_pos = c->ts_head = 0;
	c->stash_len = 0;
	c->remain = 0;
}

static int load_socket(void)
{
	int fd = socket(g_addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	return fd;
}

/* Drop the connection and start a new one through IORING_OP_CONNECT. The
 * shutdown ends the multishot receive (it holds its own file reference, so
 * close alone would leave it armed); its last CQE carries the old gen. */
static void load_reconnect(struct load_worker *w, struct load_conn *c, uint32_t idx)
{
	if (c->fd >= 0) {
		shutdown(c->fd, SHUT_RDWR);
		close(c->fd);
	}
	c->gen++;
	load_conn_clear(c);
	if (w->recording)
		w->st.reconnects++;
	c->fd = load_socket();
	if (c->fd < 0) {
		c->dead = true;
		c->retry_at = now_ns() + LOAD_RETRY_NS;
		return;
	}
	struct io_uring_sqe *sqe = load_sqe(w);
	sqe->opcode = IORING_OP_CONNECT;
	sqe->fd = c->fd;
	sqe->addr = (uint64_t)(uintptr_t)&c->addr;
	sqe->off = g_addrlen; /* addr2 carries the address length */
	sqe->user_data = load_ud(UD_CONNECT, c, idx);
}

static void load_start_conn(struct load_worker *w, struct load_conn *c, uint32_t idx)
{
	load_arm_recv(w, c, idx);
	load_queue(w, c, idx, opt.idle ? 1 : opt.pipeline, now_ns());
}

/* ---- response parsing ------------------------------------------------------ */
static bool hdr_is(const uint8_t *p, size_t n, const char *name, size_t nl)
{
	return n > nl && p[nl] == ':' && !strncasecmp((const char *)p, name, nl);
}

static bool hdr_has(const uint8_t *p, size_t n, const char *word)
{
	size_t wl = strlen(word);
	for (size_t i = 0; i + wl <= n; i++)
		if (!strncasecmp((const char *)p + i, word, wl))
			return true;
	return false;
}

/* Parse a complete head (status line + headers + CRLFCRLF): set the status
 * and how the body is framed. Returns 0 or -1 on a malformed head. */
static int load_parse_head(struct load_conn *c, const uint8_t *h, size_t n)
{
	if (n < 16 || memcmp(h, "HTTP/1.", 7) || h[8] != ' ')
		return -1;
	if (h[9] < '1' || h[9] > '5' || h[10] < '0' || h[10] > '9' || h[11] < '0' || h[11] > '9')
		return -1;
	c->status = (h[9] - '0') * 100 + (h[10] - '0') * 10 + (h[11] - '0');
	bool chunked = false, have_len = false;
	uint64_t len = 0;
	c->close_after = h[7] == '0'; /* HTTP/1.0 closes unless it says keep-alive */
	const uint8_t *p = memchr(h, '\n', n), *end = h + n;
	while (p && ++p < end) {
		const uint8_t *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			break;
		size_t ln = (size_t)(eol - p);
		switch (*p | 0x20) { /* the fast path looks only at C... and T... */
		case 'c':
			if (hdr_is(p, ln, "content-length", 14)) {
				const uint8_t *q = p + 15;
				while (q < eol && (*q == ' ' || *q == '\t'))
					q++;
				if (q == eol || *q < '0' || *q > '9')
					return -1;
				for (len = 0; q < eol && *q >= '0' && *q <= '9'; q++)
					len = len * 10 + (uint64_t)(*q - '0');
				have_len = true;
			} else if (hdr_is(p, ln, "connection", 10)) {
				if (hdr_has(p + 11, ln - 11, "close"))
					c->close_after = true;
				else if (hdr_has(p + 11, ln - 11, "keep-alive"))
					c->close_after = false;
			}
			break;
		case 't':
			if (hdr_is(p, ln, "transfer-encoding", 17) && hdr_has(p + 18, ln - 18, "chunked"))
				chunked = true;
			break;
		}
		p = eol;
	}
	c->remain = 0;
	if (g_head || c->status < 200 || c->status == 204 || c->status == 304)
		c->state = P_BODY; /* no body: remain 0 completes at once */
	else if (chunked)
		c->state = P_CHUNK_SIZE, c->chunk_digit = false;
	else if (have_len)
		c->state = P_BODY, c->remain = len;
	else
		c->state = P_EOF, c->close_after = true; /* the body ends at close */
	return 0;
}

/* A response is complete: account for it and queue the next request.
 * Returns -1 when the connection was replaced (stop parsing its bytes). */
static int load_done(struct load_worker *w, struct load_conn *c, uint32_t idx, uint64_t now)
{
	c->state = P_HEAD;
	if (c->status < 200) /* 1xx: an interim response, the real one follows */
		return 0;
	if (!c->outstanding) {
		if (w->recording)
			w->st.err_parse++;
		load_reconnect(w, c, idx);
		return -1;
	}
	uint64_t sent = c->ts[c->ts_head];
	c->ts_head = (c->ts_head + 1) % opt.pipeline;
	c->outstanding--;
	if (w->recording) {
		w->st.req++;
		w->st.status[c->status / 100 <= 5 ? c->status / 100 : 0]++;
		hist_add(&w->st.lat, now - sent);
	}
	if (opt.idle) {
		atomic_fetch_add(&g_idle_done, 1);
		return 0;
	}
	if (c->close_after) {
		load_reconnect(w, c, idx);
		return -1;
	}
	load_queue(w, c, idx, 1, now);
	return 0;
}

static int load_parse(struct load_worker *w, struct load_conn *c, uint32_t idx,
		      const uint8_t *p, uint32_t n, uint64_t now)
{
	while (n) {
		switch (c->state) {
		case P_HEAD: {
			const uint8_t *head, *e;
			uint32_t used, hlen;
			if (!c->stash_len) { /* fast path: the whole head in this buffer */
				e = memmem(p, n, "\r\n\r\n", 4);
				if (!e)
					goto stash;
				head = p;
				hlen = used = (uint32_t)(e + 4 - p);
			} else {
			stash:;
				uint32_t old = c->stash_len, take = n;
				if (take > LOAD_STASH_CAP - old)
					take = LOAD_STASH_CAP - old;
				memcpy(c->stash + old, p, take);
				c->stash_len += take;
				uint32_t from = old > 3 ? old - 3 : 0;
				e = memmem(c->stash + from, c->stash_len - from, "\r\n\r\n", 4);
				if (!e) {
					if (c->stash_len == LOAD_STASH_CAP)
						goto bad; /* a head larger than we accept */
					return 0;
				}
				head = c->stash;
				hlen = (uint32_t)(e + 4 - c->stash);
				used = hlen - old;
				c->stash_len = 0;
			}
			if (load_parse_head(c, head, hlen) < 0)
				goto bad;
			p += used, n -= used;
			if (c->state == P_BODY && !c->remain && load_done(w, c, idx, now) < 0)
				return -1;
			break;
		}
		case P_BODY: {
			uint32_t take = c->remain < n ? (uint32_t)c->remain : n;
			p += take, n -= take, c->remain -= take;
			if (!c->remain && load_done(w, c, idx, now) < 0)
				return -1;
			break;
		}
		case P_CHUNK_SIZE:
		case P_CHUNK_EXT: {
			uint8_t ch = *p++;
			n--;
			if (ch == '\n') {
				if (!c->chunk_digit)
					goto bad;
				c->chunk_digit = false;
				c->line_len = 0;
				c->state = c->remain ? P_CHUNK_DATA : P_TRAILER;
			} else if (c->state == P_CHUNK_EXT || ch == '\r') {
				/* extensions and the CR are skipped */
			} else if (ch == ';' || ch == ' ' || ch == '\t') {
				c->state = P_CHUNK_EXT;
			} else {
				int d = ch >= '0' && ch <= '9'   ? ch - '0'
					: (ch | 0x20) >= 'a' && (ch | 0x20) <= 'f' ? (ch | 0x20) - 'a' + 10
										   : -1;
				if (d < 0 || c->remain >> 56)
					goto bad;
				c->remain = c->remain * 16 + (uint64_t)d;
				c->chunk_digit = true;
			}
			break;
		}
		case P_CHUNK_DATA: {
			uint32_t take = c->remain < n ? (uint32_t)c->remain : n;
			p += take, n -= take, c->remain -= take;
			if (!c->remain)
				c->state = P_CHUNK_CRLF;
			break;
		}
		case P_CHUNK_CRLF:
			if (*p == '\n')
				c->state = P_CHUNK_SIZE;
			else if (*p != '\r')
				goto bad;
			p++, n--;
			break;
		case P_TRAILER: {
			uint8_t ch = *p++;
			n--;
			if (ch == '\n') {
				if (!c->line_len && load_done(w, c, idx, now) < 0)
					return -1;
				c->line_len = 0;
			} else if (ch != '\r') {
				c->line_len++;
			}
			break;
		}
		case P_EOF:
			return 0; /* everything up to the close is body */
		}
	}
	return 0;
bad:
	if (w->recording)
		w->st.err_parse++;
	load_reconnect(w, c, idx);
	return -1;
}

/* ---- completions ----------------------------------------------------------- */
static void load_on_recv(struct load_worker *w, struct load_conn *c, uint32_t idx,
			 const struct io_uring_cqe *cqe, bool stale)
{
	int res = cqe->res;
	if (res > 0) {
		struct rk_buf_seg seg[4];
		int ns = rk_bufring_consume(&w->br, cqe, seg, 4);
		bool live = !stale;
		uint64_t now = now_ns();
		if (w->recording && live)
			w->st.bytes += (uint64_t)res;
		for (int i = 0; i < ns; i++) {
			if (live && load_parse(w, c, idx, seg[i].p, seg[i].len, now) < 0)
				live = false; /* replaced: the rest of its bytes are moot */
			if (seg[i].last_use)
				rk_bufring_return(&w->br, seg[i].bid);
		}
		if (!live || (cqe->flags & IORING_CQE_F_MORE))
			return;
		load_arm_recv(w, c, idx); /* the multishot ended (e.g. CQ overflow) */
		return;
	}
	if (stale)
		return;
	if (res == -ENOBUFS) { /* out of buffers: ours are back, go again */
		load_arm_recv(w, c, idx);
		return;
	}
	if (res == 0 && c->state == P_EOF) { /* a body delimited by the close */
		c->close_after = true;
		if (load_done(w, c, idx, now_ns()) < 0)
			return; /* it reconnected */
	} else if (w->recording && !g_stop) {
		if (res < 0)
			w->st.err_read++;
		else if (c->outstanding)
			w->st.err_closed++; /* closed with requests unanswered */
	}
	load_reconnect(w, c, idx);
}

static void load_on_cqe(struct load_worker *w, const struct io_uring_cqe *cqe)
{
	unsigned kind = (unsigned)(cqe->user_data >> 56);
	uint32_t gen = (uint32_t)(cqe->user_data >> 32) & 0xffffff;
	uint32_t idx = (uint32_t)cqe->user_data;
	struct load_conn *c = &w->conns[idx];
	bool stale = gen != (c->gen & 0xffffff);

	switch (kind) {
	case UD_RECV:
		load_on_recv(w, c, idx, cqe, stale);
		return;
	case UD_SEND:
		if (stale)
			return;
		c->send_busy = false;
		if (cqe->res < 0) {
			if (w->recording)
				w->st.err_write++;
			load_reconnect(w, c, idx);
			return;
		}
		c->unsent -= (uint32_t)cqe->res;
		c->send_pos = (c->send_pos + (uint32_t)cqe->res) % g_req_len;
		if (c->unsent && !c->dirty) { /* short send, or more queued meanwhile */
			c->dirty = true;
			w->flush[w->nflush++] = idx;
		}
		return;
	case UD_CONNECT:
		if (stale)
			return;
		if (cqe->res < 0) {
			if (w->recording)
				w->st.err_connect++;
			c->dead = true;
			c->retry_at = now_ns() + LOAD_RETRY_NS;
			return;
		}
		load_start_conn(w, c, idx);
		return;
	}
}

/* ---- the worker thread ----------------------------------------------------- */
static void *load_worker_main(void *arg)
{
	struct load_worker *w = arg;
	uint32_t sq = w->nconn * 2 + 32;
	struct rk_ring_config cfg = { .sq_entries = sq > 32768 ? 32768 : sq, .sqpoll_cpu = -1 };
	cfg.cq_entries = cfg.sq_entries * 4 > 65536 ? 65536 : cfg.sq_entries * 4;
	w->err = rk_ring_init(&w->ring, &cfg);
	if (!w->err) {
		uint32_t nb = rk_pow2_ceil(w->nconn * 2);
		nb = nb < 64 ? 64 : nb > 1024 ? 1024 : nb;
		w->err = rk_bufring_init(&w->br, &w->ring, 0, nb, LOAD_BUF_SIZE, 0);
	}
	/* Connect before the loop: plain blocking connects, one at a time, so a
	 * small listen backlog never drops a SYN. */
	for (uint32_t i = 0; !w->err && i < w->nconn; i++) {
		struct load_conn *c = &w->conns[i];
		c->addr = g_addr;
		c->fd = load_socket();
		if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&g_addr, g_addrlen) < 0) {
			w->st.err_connect++;
			if (c->fd >= 0)
				close(c->fd);
			c->fd = -1;
			c->dead = true;
		}
	}
	pthread_barrier_wait(&g_barrier);
	if (w->err)
		return 0;
	uint64_t t0 = g_t0;
	w->rec_start = t0 + (uint64_t)(opt.warmup * 1e9);
	w->stop = w->rec_start + (uint64_t)(opt.duration * 1e9);
	w->recording = w->rec_start <= t0;
	for (uint32_t i = 0; i < w->nconn; i++)
		if (!w->conns[i].dead)
			load_start_conn(w, &w->conns[i], i);

	uint64_t now = now_ns();
	while (!g_stop) {
		load_flush(w);
		uint64_t next = w->recording ? w->stop : w->rec_start;
		uint64_t wait = next > now ? next - now : 0;
		if (wait > LOAD_TICK_NS)
			wait = LOAD_TICK_NS;
		struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = (long long)wait };
		int ret = rk_ring_submit_wait(&w->ring, 1, &ts);
		if (ret < 0 && ret != -ETIME && ret != -EBUSY && ret != -EAGAIN && ret != -EINTR) {
			w->err = ret;
			break;
		}
		uint32_t n = rk_ring_cq_ready(&w->ring);
		for (uint32_t i = 0; i < n; i++)
			load_on_cqe(w, rk_ring_cqe(&w->ring, i));
		rk_ring_cq_advance(&w->ring, n);

		now = now_ns();
		if (now >= w->stop)
			break;
		if (!w->recording && now >= w->rec_start) { /* warm-up over: start counting */
			memset(&w->st, 0, sizeof(w->st));
			w->recording = true;
		}
		if (now >= w->next_retry) {
			w->next_retry = now + LOAD_RETRY_NS;
			for (uint32_t i = 0; i < w->nconn; i++)
				if (w->conns[i].dead && w->conns[i].retry_at <= now)
					load_reconnect(w, &w->conns[i], i);
		}
	}
	w->rec_end = now_ns();
	if (w->rec_end > w->stop)
		w->rec_end = w->stop;
	for (uint32_t i = 0; i < w->nconn; i++)
		if (w->conns[i].fd >= 0)
			close(w->conns[i].fd);
	rk_bufring_exit(&w->br, &w->ring);
	rk_ring_exit(&w->ring);
	return 0;
}

/* ---- set-up and report ----------------------------------------------------- */
static void usage(FILE *f)
{
	fprintf(f,
		"usage: rocket-load [options] http://HOST:PORT/PATH\n"
		"  -c N           connections (default 10)\n"
		"  -t N           threads, one io_uring each (default 1)\n"
		"  -d SECS        duration, e.g. 10 or 10s (default 10)\n"
		"  -p N           pipeline depth: requests outstanding per connection (1)\n"
		"  -m METHOD      request method (GET)\n"
		"  -H 'K: V'      extra request header (repeatable)\n"
		"  -b BODY        request body (adds Content-Length)\n"
		"  --warmup SECS  run this long before counting\n"
		"  --json         print one JSON object instead of text\n"
		"  --idle N       open N connections, one request each, then hold them\n"
		"                 (prints a line 'ready N' once all are answered; -d\n"
		"                 bounds the hold, default: until SIGINT/SIGTERM)\n"
		"  --first-response [--start-ns NS] [--server-cpu N] [URL] [-- CMD...]\n"
		"                 spawn CMD (pinned to CPU N), retry connecting until the\n"
		"                 first response, print the microseconds since the spawn\n"
		"                 (or since NS, CLOCK_REALTIME) and the spawned pid\n");
}

static double parse_secs(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || v < 0)
		return -1;
	if (!strcmp(end, "ms"))
		v /= 1000;
	else if (!strcmp(end, "m"))
		v *= 60;
	else if (*end && strcmp(end, "s"))
		return -1;
	return v;
}

static int parse_url(const char *url)
{
	char host[256];
	const char *p = url, *port = "80";
	char portbuf[8];
	if (strncmp(p, "http://", 7))
		return -1;
	p += 7;
	const char *hs = p, *he;
	if (*p == '[') {
		he = strchr(p, ']');
		if (!he)
			return -1;
		hs = p + 1;
		p = he + 1;
	} else {
		p += strcspn(p, ":/");
		he = p;
	}
	if ((size_t)(he - hs) >= sizeof(host))
		return -1;
	memcpy(host, hs, (size_t)(he - hs));
	host[he - hs] = 0;
	if (*p == ':') {
		size_t n = strcspn(p + 1, "/");
		if (!n || n >= sizeof(portbuf))
			return -1;
		memcpy(portbuf, p + 1, n);
		portbuf[n] = 0;
		port = portbuf;
		p += 1 + n;
	}
	snprintf(g_path, sizeof(g_path), "%s", *p ? p : "/");
	snprintf(g_host, sizeof(g_host), "%.*s", (int)(p - (url + 7)), url + 7);
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	if (getaddrinfo(host, port, &hints, &ai))
		return -1;
	memcpy(&g_addr, ai->ai_addr, ai->ai_addrlen);
	g_addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static void render_request(unsigned copies)
{
	char one[16384];
	int n = snprintf(one, sizeof(one), "%s %s HTTP/1.1\r\n", opt.method, g_path);
	bool host = false;
	for (unsigned i = 0; i < opt.nheaders; i++)
		host |= !strncasecmp(opt.headers[i], "host:", 5);
	if (!host)
		n += snprintf(one + n, sizeof(one) - (size_t)n, "Host: %s\r\n", g_host);
	for (unsigned i = 0; i < opt.nheaders; i++)
		n += snprintf(one + n, sizeof(one) - (size_t)n, "%s\r\n", opt.headers[i]);
	if (opt.body)
		n += snprintf(one + n, sizeof(one) - (size_t)n, "Content-Length: %zu\r\n",
			      strlen(opt.body));
	n += snprintf(one + n, sizeof(one) - (size_t)n, "\r\n%s", opt.body ? opt.body : "");
	if (n >= (int)sizeof(one)) {
		fprintf(stderr, "rocket-load: request too large\n");
		exit(2);
	}
	g_req_len = (uint32_t)n;
	g_req = malloc((size_t)n * copies);
	for (unsigned i = 0; i < copies; i++)
		memcpy(g_req + (size_t)i * (size_t)n, one, (size_t)n);
}

static void human_bytes(double v, char *buf, size_t cap)
{
	const char *u[] = { "B", "KB", "MB", "GB" };
	int i = 0;
	while (v >= 1024 && i < 3)
		v /= 1024, i++;
	snprintf(buf, cap, "%.2f%s", v, u[i]);
}

static void report(struct load_worker *ws)
{
	static struct load_stats t;
	double secs = 0;
	for (unsigned i = 0; i < opt.threads; i++) {
		struct load_stats *s = &ws[i].st;
		t.req += s->req, t.bytes += s->bytes;
		for (int k = 0; k < 6; k++)
			t.status[k] += s->status[k];
		t.err_connect += s->err_connect, t.err_read += s->err_read;
		t.err_write += s->err_write, t.err_parse += s->err_parse;
		t.err_closed += s->err_closed, t.reconnects += s->reconnects;
		for (unsigned b = 0; b < HIST_N; b++)
			t.lat.c[b] += s->lat.c[b];
		t.lat.n += s->lat.n, t.lat.sum += s->lat.sum;
		if (s->lat.max > t.lat.max)
			t.lat.max = s->lat.max;
		double d = ws[i].rec_end > ws[i].rec_start
				   ? (double)(ws[i].rec_end - ws[i].rec_start) / 1e9 : 0;
		if (d > secs)
			secs = d;
	}
	if (secs <= 0)
		secs = 1e-9;
	uint64_t errs = t.err_connect + t.err_read + t.err_write + t.err_parse + t.err_closed;
	double rps = (double)t.req / secs, bps = (double)t.bytes / secs;
	double us[6] = { t.lat.n ? (double)t.lat.sum / (double)t.lat.n / 1e3 : 0,
			 hist_pct(&t.lat, 50) / 1e3, hist_pct(&t.lat, 90) / 1e3,
			 hist_pct(&t.lat, 99) / 1e3, hist_pct(&t.lat, 99.9) / 1e3,
			 t.lat.max / 1e3 };
	if (opt.json) {
		printf("{\"url\":\"%s\",\"connections\":%u,\"threads\":%u,\"pipeline\":%u,"
		       "\"duration_s\":%.3f,\"requests\":%llu,\"requests_per_s\":%.1f,"
		       "\"bytes\":%llu,\"bytes_per_s\":%.1f,"
		       "\"status\":{\"1xx\":%llu,\"2xx\":%llu,\"3xx\":%llu,\"4xx\":%llu,"
		       "\"5xx\":%llu,\"other\":%llu},"
		       "\"errors\":{\"total\":%llu,\"connect\":%llu,\"read\":%llu,\"write\":%llu,"
		       "\"parse\":%llu,\"closed\":%llu},\"reconnects\":%llu,"
		       "\"latency_us\":{\"mean\":%.1f,\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,"
		       "\"p99.9\":%.1f,\"max\":%.1f}}\n",
		       opt.url, opt.conns, opt.threads, opt.pipeline, secs,
		       (unsigned long long)t.req, rps, (unsigned long long)t.bytes, bps,
		       (unsigned long long)t.status[1], (unsigned long long)t.status[2],
		       (unsigned long long)t.status[3], (unsigned long long)t.status[4],
		       (unsigned long long)t.status[5], (unsigned long long)t.status[0],
		       (unsigned long long)errs, (unsigned long long)t.err_connect,
		       (unsigned long long)t.err_read, (unsigned long long)t.err_write,
		       (unsigned long long)t.err_parse, (unsigned long long)t.err_closed,
		       (unsigned long long)t.reconnects, us[0], us[1], us[2], us[3], us[4], us[5]);
		return;
	}
	char tb[32], bb[32];
	human_bytes(bps, tb, sizeof(tb));
	human_bytes((double)t.bytes, bb, sizeof(bb));
	printf("%s: %u connections, %u threads, pipeline %u, %.2fs\n", opt.url, opt.conns,
	       opt.threads, opt.pipeline, secs);
	printf("  latency (us)  mean %.1f  p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f\n",
	       us[0], us[1], us[2], us[3], us[4], us[5]);
	printf("  %llu requests, %s read\n", (unsigned long long)t.req, bb);
	printf("  status 2xx %llu  3xx %llu  4xx %llu  5xx %llu  other %llu\n",
	       (unsigned long long)t.status[2], (unsigned long long)t.status[3],
	       (unsigned long long)t.status[4], (unsigned long long)t.status[5],
	       (unsigned long long)(t.status[0] + t.status[1]));
	printf("  errors %llu (connect %llu, read %llu, write %llu, parse %llu, closed %llu), "
	       "reconnects %llu\n",
	       (unsigned long long)errs, (unsigned long long)t.err_connect,
	       (unsigned long long)t.err_read, (unsigned long long)t.err_write,
	       (unsigned long long)t.err_parse, (unsigned long long)t.err_closed,
	       (unsigned long long)t.reconnects);
	printf("Requests/sec: %.2f\nTransfer/sec: %s\n", rps, tb);
}

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static void raise_nofile(rlim_t want)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

/* ---- --first-response: time from spawning a server to its first answer ---- */
static int load_first_response(void)
{
	uint64_t start = now_ns();
	pid_t pid = 0;
	if (opt.cmd && opt.cmd[0]) {
		start = now_ns();
		pid = fork();
		if (pid < 0) {
			perror("rocket-load: fork");
			return 1;
		}
		if (pid == 0) {
			if (opt.server_cpu >= 0) {
				cpu_set_t set;
				CPU_ZERO(&set);
				CPU_SET(opt.server_cpu, &set);
				sched_setaffinity(0, sizeof(set), &set);
			}
			/* Our stdout carries the result: keep the server off it, so
			 * a reader of our output sees EOF when we exit. */
			dup2(2, 1);
			execvp(opt.cmd[0], opt.cmd);
			_exit(127);
		}
	} else if (opt.start_ns) {
		struct timespec rt;
		clock_gettime(CLOCK_REALTIME, &rt);
		long long rt_ns = (long long)rt.tv_sec * 1000000000LL + rt.tv_nsec;
		start = now_ns() - (uint64_t)(rt_ns - opt.start_ns);
	}
	uint64_t deadline = start + 10000000000ULL;
	int fd = -1;
	for (;;) {
		fd = socket(g_addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || !connect(fd, (struct sockaddr *)&g_addr, g_addrlen))
			break;
		close(fd);
		fd = -1;
		if (pid && waitpid(pid, 0, WNOHANG) == pid) {
			fprintf(stderr, "rocket-load: the server exited before answering\n");
			return 1;
		}
		if (now_ns() > deadline) {
			fprintf(stderr, "rocket-load: no connection within 10 s\n");
			return 1;
		}
		struct timespec nap = { 0, 50000 };
		nanosleep(&nap, 0);
	}
	if (fd < 0 || write(fd, g_req, g_req_len) != (ssize_t)g_req_len) {
		perror("rocket-load: first request");
		return 1;
	}
	static uint8_t buf[1 << 16];
	size_t have = 0;
	struct load_conn c = { 0 };
	bool done = false;
	while (!done && have < sizeof(buf)) {
		ssize_t r = read(fd, buf + have, sizeof(buf) - have);
		if (r <= 0) {
			done = r == 0 && c.state == P_EOF;
			break;
		}
		have += (size_t)r;
		const uint8_t *e = memmem(buf, have, "\r\n\r\n", 4);
		if (!e || load_parse_head(&c, buf, (size_t)(e + 4 - buf)) < 0)
			continue;
		size_t body = have - (size_t)(e + 4 - buf);
		if (c.state == P_BODY)
			done = body >= c.remain;
		else if (c.state == P_CHUNK_SIZE)
			done = memmem(e + 2, body + 2, "\r\n0\r\n\r\n", 7) != 0;
	}
	uint64_t us = (now_ns() - start) / 1000;
	close(fd);
	if (!done) {
		fprintf(stderr, "rocket-load: no complete first response\n");
		return 1;
	}
	printf("first_response_us=%llu status=%d pid=%d\n", (unsigned long long)us, c.status,
	       (int)pid);
	return 0;
}

static int parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : 0;
		char flag[3] = { '-', 0, 0 };
		bool glued = false;
		if (a[0] == '-' && a[1] && strchr("ctdpmHb", a[1]) && a[2]) { /* wrk style: -c64 */
			flag[1] = a[1];
			v = a + 2;
			a = flag;
			glued = true;
		}
#define NEED() do { if (!v) return -1; if (!glued) i++; } while (0)
		if (!strcmp(a, "--")) {
			opt.cmd = argv + i + 1;
			break;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(a, "-c")) {
			NEED(); opt.conns = (unsigned)atoi(v);
		} else if (!strcmp(a, "-t")) {
			NEED(); opt.threads = (unsigned)atoi(v);
		} else if (!strcmp(a, "-p")) {
			NEED(); opt.pipeline = (unsigned)atoi(v);
		} else if (!strcmp(a, "-d")) {
			NEED(); opt.duration = parse_secs(v);
		} else if (!strcmp(a, "--warmup")) {
			NEED(); opt.warmup = parse_secs(v);
		} else if (!strcmp(a, "-m")) {
			NEED(); opt.method = v;
		} else if (!strcmp(a, "-H")) {
			NEED();
			if (opt.nheaders == LOAD_MAX_HEADERS)
				return -1;
			opt.headers[opt.nheaders++] = v;
		} else if (!strcmp(a, "-b")) {
			NEED(); opt.body = v;
		} else if (!strcmp(a, "--json")) {
			opt.json = true;
		} else if (!strcmp(a, "--idle")) {
			NEED(); opt.idle = (unsigned)atoi(v);
		} else if (!strcmp(a, "--first-response")) {
			opt.first_response = true;
		} else if (!strcmp(a, "--start-ns")) {
			NEED(); opt.start_ns = atoll(v);
		} else if (!strcmp(a, "--server-cpu")) {
			NEED(); opt.server_cpu = atoi(v);
		} else if (a[0] != '-' && !opt.url) {
			opt.url = a;
		} else {
			return -1;
		}
#undef NEED
	}
	if (!opt.url || opt.duration < 0 || opt.warmup < 0 || !opt.threads || !opt.pipeline ||
	    opt.pipeline > 4096)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	bool dur_given = false;
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		dur_given |= !strcmp(argv[i], "-d");
	if (parse_args(argc, argv) < 0) {
		usage(stderr);
		return 2;
	}
	if (parse_url(opt.url) < 0) {
		fprintf(stderr, "rocket-load: bad or unresolvable URL %s\n", opt.url);
		return 2;
	}
	g_head = !strcmp(opt.method, "HEAD");
	render_request(opt.pipeline + 1);
	signal(SIGPIPE, SIG_IGN);
	if (opt.first_response)
		return load_first_response();
	if (opt.idle) {
		opt.conns = opt.idle;
		opt.pipeline = 1;
		if (!dur_given)
			opt.duration = 1e9; /* hold until a signal */
	}
	if (opt.threads > opt.conns)
		opt.threads = opt.conns ? opt.conns : 1;
	raise_nofile(opt.conns + 64);
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, 0);
	sigaction(SIGTERM, &sa, 0);

	struct load_worker *ws = calloc(opt.threads, sizeof(*ws));
	pthread_barrier_init(&g_barrier, 0, opt.threads + 1);
	for (unsigned i = 0; i < opt.threads; i++) {
		struct load_worker *w = &ws[i];
		w->id = i;
		w->nconn = opt.conns / opt.threads + (i < opt.conns % opt.threads);
		w->conns = calloc(w->nconn ? w->nconn : 1, sizeof(*w->conns));
		w->flush = calloc(w->nconn ? w->nconn : 1, sizeof(*w->flush));
		for (uint32_t j = 0; j < w->nconn; j++) {
			w->conns[j].fd = -1;
			w->conns[j].ts = calloc(opt.pipeline, sizeof(uint64_t));
			w->conns[j].stash = malloc(LOAD_STASH_CAP);
		}
		if (pthread_create(&w->th, 0, load_worker_main, w)) {
			fprintf(stderr, "rocket-load: pthread_create failed\n");
			return 1;
		}
	}
	g_t0 = now_ns();
	pthread_barrier_wait(&g_barrier);
	if (opt.idle) {
		bool said = false;
		while (!g_stop) {
			unsigned done = atomic_load(&g_idle_done);
			if (!said && done >= opt.idle) {
				printf("ready %u\n", done);
				fflush(stdout);
				said = true;
			}
			if ((double)(now_ns() - g_t0) / 1e9 > opt.duration)
				break;
			usleep(20000);
		}
		g_stop = 1;
	}
	int err = 0;
	for (unsigned i = 0; i < opt.threads; i++) {
		pthread_join(ws[i].th, 0);
		if (ws[i].err && !err)
			err = ws[i].err;
	}
	if (err) {
		fprintf(stderr, "rocket-load: ring set-up or wait failed: %s\n", strerror(-err));
		return 1;
	}
	report(ws);
	return 0;
}
