/* tools/load/conn.c - rocket-load's per-thread ring loop: connections, sends
 * from the pre-rendered request buffer, receive and send completions, the
 * warm-up and stop clock. Read next: tools/load/resp.c (what a receive feeds).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "load/conn.h"
#include "load/resp.h"
#include "rocket/util.h"

enum { UD_RECV = 1, UD_SEND, UD_CONNECT };

static struct io_uring_sqe *conn_sqe(struct load_worker *w)
{
	struct io_uring_sqe *sqe;
	while (!(sqe = rk_ring_get_sqe(&w->ring)))
		rk_ring_submit(&w->ring); /* SQ full: hand these to the kernel first */
	return sqe;
}

static inline uint64_t conn_ud(int kind, struct load_conn *c, uint32_t idx)
{
	return ((uint64_t)kind << 56) | ((uint64_t)(c->gen & 0xffffff) << 32) | idx;
}

static void conn_arm_recv(struct load_worker *w, struct load_conn *c, uint32_t idx)
{
	struct io_uring_sqe *sqe = conn_sqe(w);
	sqe->opcode = IORING_OP_RECV;
	sqe->fd = c->fd;
	sqe->ioprio = IORING_RECV_MULTISHOT;
	sqe->flags = IOSQE_BUFFER_SELECT;
	sqe->buf_group = w->br.bgid;
	sqe->user_data = conn_ud(UD_RECV, c, idx);
}

/* Queue k requests: each takes the next pipeline slot and its send time. */
static void conn_queue(struct load_worker *w, struct load_conn *c, uint32_t idx, unsigned k,
		       uint64_t now)
{
	for (unsigned i = 0; i < k; i++) {
		c->ts[(c->ts_head + c->outstanding) % g_opt.pipeline] = now;
		c->outstanding++;
		c->unsent += g_tmpl[c->tmpl].len;
	}
	if (!c->dirty && !c->send_busy) {
		c->dirty = true;
		w->flush[w->nflush++] = idx;
	}
}

/* One SEND per connection with bytes waiting: the whole backlog at once. */
static void conn_flush(struct load_worker *w)
{
	for (uint32_t i = 0; i < w->nflush; i++) {
		struct load_conn *c = &w->conns[w->flush[i]];
		c->dirty = false;
		if (c->send_busy || !c->unsent || c->fd < 0 || c->dead)
			continue;
		struct io_uring_sqe *sqe = conn_sqe(w);
		sqe->opcode = IORING_OP_SEND;
		sqe->fd = c->fd;
		sqe->addr = (uint64_t)(uintptr_t)(g_tmpl[c->tmpl].buf + c->send_pos);
		sqe->len = c->unsent; /* <= pipeline copies: the buffer has one more */
		sqe->msg_flags = MSG_NOSIGNAL;
		sqe->user_data = conn_ud(UD_SEND, c, w->flush[i]);
		c->send_busy = true;
	}
	w->nflush = 0;
}

static void conn_clear(struct load_conn *c)
{
	c->state = P_HEAD;
	c->send_busy = c->close_after = c->dead = false;
	c->outstanding = c->unsent = c->send_pos = c->ts_head = c->answered = 0;
	c->stash_len = 0;
	c->remain = 0;
}

static int conn_socket(void)
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
void conn_reconnect(struct load_worker *w, struct load_conn *c, uint32_t idx)
{
	if (c->fd >= 0) {
		shutdown(c->fd, SHUT_RDWR);
		close(c->fd);
	}
	c->gen++;
	conn_clear(c);
	if (g_ntmpl > 1)
		c->tmpl = (uint16_t)((c->tmpl + 1) % g_ntmpl);
	if (w->recording)
		w->st.reconnects++;
	c->fd = conn_socket();
	if (c->fd < 0) {
		c->dead = true;
		c->retry_at = load_now_ns() + LOAD_RETRY_NS;
		return;
	}
	struct io_uring_sqe *sqe = conn_sqe(w);
	sqe->opcode = IORING_OP_CONNECT;
	sqe->fd = c->fd;
	sqe->addr = (uint64_t)(uintptr_t)&c->addr;
	sqe->off = g_addrlen; /* addr2 carries the address length */
	sqe->user_data = conn_ud(UD_CONNECT, c, idx);
}

static void conn_start(struct load_worker *w, struct load_conn *c, uint32_t idx)
{
	conn_arm_recv(w, c, idx);
	unsigned k = g_opt.idle ? 1 : g_opt.pipeline;
	if (g_opt.per_conn && k > g_opt.per_conn)
		k = g_opt.per_conn;
	conn_queue(w, c, idx, k, load_now_ns());
}

/* A response is complete: account for it and queue the next request.
 * Returns -1 when the connection was replaced (stop parsing its bytes). */
int conn_done(struct load_worker *w, struct load_conn *c, uint32_t idx, uint64_t now)
{
	c->state = P_HEAD;
	if (c->status < 200) /* 1xx: an interim response, the real one follows */
		return 0;
	if (!c->outstanding) {
		if (w->recording)
			w->st.err_parse++;
		conn_reconnect(w, c, idx);
		return -1;
	}
	uint64_t sent = c->ts[c->ts_head];
	c->ts_head = (c->ts_head + 1) % g_opt.pipeline;
	c->outstanding--;
	if (w->recording) {
		unsigned cls = c->status / 100 <= 5 ? (unsigned)c->status / 100 : 0;
		w->st.req++;
		w->st.status[cls]++;
		w->st.t_req[c->tmpl]++;
		w->st.t_status[c->tmpl][cls]++;
		hist_add(&w->st.lat, now - sent);
	}
	if (g_opt.idle) {
		atomic_fetch_add(&g_idle_done, 1);
		return 0;
	}
	c->answered++;
	if (c->close_after || (g_opt.per_conn && c->answered >= g_opt.per_conn)) {
		conn_reconnect(w, c, idx);
		return -1;
	}
	/* --rotate: the next template once the last is wholly sent (-p 1; a
	 * send whose CQE is still to come keeps this one a request longer). */
	if (g_opt.rotate && !c->unsent && !c->send_busy) {
		c->tmpl = (uint16_t)((c->tmpl + 1) % g_ntmpl);
		c->send_pos = 0;
	}
	/* -r: the last of a connection's requests may be in flight already. */
	if (!g_opt.per_conn || c->answered + c->outstanding < g_opt.per_conn)
		conn_queue(w, c, idx, 1, now);
	return 0;
}

/* ---- completions ----------------------------------------------------------- */
static void conn_on_recv(struct load_worker *w, struct load_conn *c, uint32_t idx,
			 const struct io_uring_cqe *cqe, bool stale)
{
	int res = cqe->res;
	if (res > 0) {
		struct rk_buf_seg seg[4];
		int ns = rk_bufring_consume(&w->br, cqe, seg, 4);
		bool live = !stale;
		uint64_t now = load_now_ns();
		if (w->recording && live)
			w->st.bytes += (uint64_t)res;
		for (int i = 0; i < ns; i++) {
			if (live && resp_parse(w, c, idx, seg[i].p, seg[i].len, now) < 0)
				live = false; /* replaced: the rest of its bytes are moot */
			if (seg[i].last_use)
				rk_bufring_return(&w->br, seg[i].bid);
		}
		if (!live || (cqe->flags & IORING_CQE_F_MORE))
			return;
		conn_arm_recv(w, c, idx); /* the multishot ended (e.g. CQ overflow) */
		return;
	}
	if (stale)
		return;
	if (res == -ENOBUFS) { /* out of buffers: ours are back, go again */
		conn_arm_recv(w, c, idx);
		return;
	}
	if (res == 0 && c->state == P_EOF) { /* a body delimited by the close */
		c->close_after = true;
		if (conn_done(w, c, idx, load_now_ns()) < 0)
			return; /* it reconnected */
	} else if (w->recording && !g_stop) {
		if (res < 0)
			w->st.err_read++;
		else if (c->outstanding)
			w->st.err_closed++; /* closed with requests unanswered */
	}
	conn_reconnect(w, c, idx);
}

static void conn_on_cqe(struct load_worker *w, const struct io_uring_cqe *cqe)
{
	unsigned kind = (unsigned)(cqe->user_data >> 56);
	uint32_t gen = (uint32_t)(cqe->user_data >> 32) & 0xffffff;
	uint32_t idx = (uint32_t)cqe->user_data;
	struct load_conn *c = &w->conns[idx];
	bool stale = gen != (c->gen & 0xffffff);

	switch (kind) {
	case UD_RECV:
		conn_on_recv(w, c, idx, cqe, stale);
		return;
	case UD_SEND:
		if (stale)
			return;
		c->send_busy = false;
		if (cqe->res < 0) {
			if (w->recording)
				w->st.err_write++;
			conn_reconnect(w, c, idx);
			return;
		}
		c->unsent -= (uint32_t)cqe->res;
		c->send_pos = (c->send_pos + (uint32_t)cqe->res) % g_tmpl[c->tmpl].len;
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
			c->retry_at = load_now_ns() + LOAD_RETRY_NS;
			return;
		}
		conn_start(w, c, idx);
		return;
	}
}

/* ---- the worker thread ----------------------------------------------------- */
void *conn_thread(void *arg)
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
		c->tmpl = (uint16_t)((w->first_conn + i) % g_ntmpl);
		c->fd = conn_socket();
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
	w->rec_start = t0 + (uint64_t)(g_opt.warmup * 1e9);
	w->stop = w->rec_start + (uint64_t)(g_opt.duration * 1e9);
	w->recording = w->rec_start <= t0;
	for (uint32_t i = 0; i < w->nconn; i++)
		if (!w->conns[i].dead)
			conn_start(w, &w->conns[i], i);

	uint64_t now = load_now_ns();
	while (!g_stop) {
		conn_flush(w);
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
			conn_on_cqe(w, rk_ring_cqe(&w->ring, i));
		rk_ring_cq_advance(&w->ring, n);

		now = load_now_ns();
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
					conn_reconnect(w, &w->conns[i], i);
		}
	}
	w->rec_end = load_now_ns();
	if (w->rec_end > w->stop)
		w->rec_end = w->stop;
	for (uint32_t i = 0; i < w->nconn; i++)
		if (w->conns[i].fd >= 0)
			close(w->conns[i].fd);
	rk_bufring_exit(&w->br, &w->ring);
	rk_ring_exit(&w->ring);
	return 0;
}
