/* tests/test_ring_net.c - receives and accepts over loopback TCP with the
 * real kernel: provided-buffer rings, multishot recv running out of
 * buffers, multishot accept, bundles and incremental buffers.
 * Follows io_uring_register_buf_ring(3), io_uring_prep_recv_multishot(3),
 * io_uring_prep_multishot_accept(3) and io_uring/kbuf.c, net.c. */
#include "harness.h"
#include "rocket/bufring.h"
#include "rocket/ring.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

static const struct __kernel_timespec wait_5s = { .tv_sec = 5 };

static void ring_open(struct rk_ring *r)
{
	struct rk_ring_config cfg = { .sq_entries = 16, .sqpoll_cpu = -1 };
	int ret = rk_ring_init(r, &cfg);
	CHECK_MSG(ret == 0, "rk_ring_init: %d", ret);
}

/* ---- loopback sockets ------------------------------------------------------ */

static int listen_any(struct sockaddr_in *addr, int backlog)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0);
	*addr = (struct sockaddr_in){ .sin_family = AF_INET,
				      .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	CHECK_EQ(bind(fd, (struct sockaddr *)addr, sizeof(*addr)), 0);
	CHECK_EQ(listen(fd, backlog), 0);
	socklen_t len = sizeof(*addr);
	CHECK_EQ(getsockname(fd, (struct sockaddr *)addr, &len), 0);
	return fd;
}

static int connect_to(const struct sockaddr_in *addr)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0);
	CHECK_EQ(connect(fd, (const struct sockaddr *)addr, sizeof(*addr)), 0);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* A connected pair: *cli writes, the returned server side is read by the ring. */
static int tcp_pair(int *cli)
{
	struct sockaddr_in a;
	int l = listen_any(&a, 4);
	*cli = connect_to(&a);
	int s = accept4(l, 0, 0, SOCK_CLOEXEC);
	CHECK(s >= 0);
	close(l);
	return s;
}

static uint8_t pat(uint32_t i)
{
	return (uint8_t)(i * 7 + i / 251);
}

/* Send pattern bytes [from, from + n). */
static void send_pat(int fd, uint32_t from, uint32_t n)
{
	uint8_t buf[8192];
	while (n) {
		uint32_t k = n < sizeof(buf) ? n : sizeof(buf);
		for (uint32_t i = 0; i < k; i++)
			buf[i] = pat(from + i);
		ssize_t w = write(fd, buf, k);
		CHECK_MSG(w > 0, "write: %zd", w);
		from += (uint32_t)w;
		n -= (uint32_t)w;
	}
}

static void check_pat(const uint8_t *p, uint32_t from, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		CHECK_MSG(p[i] == pat(from + i), "byte %u: %#x, expected %#x", from + i, p[i],
			  pat(from + i));
}

static void prep_recv(struct io_uring_sqe *sqe, int fd, uint16_t bgid, uint16_t ioprio, uint64_t ud)
{
	CHECK(sqe);
	sqe->opcode = IORING_OP_RECV;
	sqe->fd = fd;
	sqe->flags = IOSQE_BUFFER_SELECT;
	sqe->buf_group = bgid;
	sqe->ioprio = ioprio;
	sqe->len = 0; /* the buffer's length */
	sqe->user_data = ud;
}

/* Wait for one CQE and copy it out. */
static struct io_uring_cqe next_cqe(struct rk_ring *r)
{
	for (int round = 0; !rk_ring_cq_ready(r) && round < 100; round++) {
		int ret = rk_ring_submit_wait(r, 1, &wait_5s);
		CHECK_MSG(ret >= 0, "submit_wait: %d", ret);
	}
	CHECK_MSG(rk_ring_cq_ready(r), "no CQE came");
	struct io_uring_cqe c = *rk_ring_cqe(r, 0);
	rk_ring_cq_advance(r, 1);
	return c;
}

/* The kernel's head of a buffer ring (IORING_REGISTER_PBUF_STATUS, 6.8). */
static uint32_t kernel_head(struct rk_ring *r, struct rk_bufring *b)
{
	struct io_uring_buf_status st = { .buf_group = b->bgid };
	int ret = rk_ring_register(r, IORING_REGISTER_PBUF_STATUS, &st, 1);
	CHECK_MSG(ret == 0, "PBUF_STATUS: %d", ret);
	return st.head;
}

/* ---- single-shot recv with provided buffers --------------------------------- */

TEST(recv_lands_in_the_provided_buffer_the_cqe_names_and_buffers_are_reused)
{
	struct rk_ring r;
	struct rk_bufring b;
	ring_open(&r);
	CHECK_EQ(rk_bufring_init(&b, &r, 1, 8, 64, 0), 0);
	CHECK(!b.incremental);
	int cli, srv = tcp_pair(&cli);

	unsigned uses[8] = { 0 };
	uint32_t sent = 0, recvd = 0;
	for (int round = 0; round < 40; round++) {
		uint32_t n = 1 + (uint32_t)(round * 13) % 64;
		send_pat(cli, sent, n);
		sent += n;
		while (recvd < sent) {
			prep_recv(rk_ring_get_sqe(&r), srv, 1, 0, round);
			struct io_uring_cqe c = next_cqe(&r);
			CHECK_EQ(c.user_data, round);
			CHECK_MSG(c.res > 0, "recv: %d", c.res);
			CHECK(c.flags & IORING_CQE_F_BUFFER);
			struct rk_buf_seg seg;
			CHECK_EQ(rk_bufring_consume(&b, &c, &seg, 1), 1);
			CHECK_EQ(seg.bid, rk_cqe_bid(&c));
			CHECK(seg.p == rk_bufring_addr(&b, seg.bid));
			CHECK_EQ(seg.len, c.res);
			CHECK(seg.last_use);
			check_pat(seg.p, recvd, seg.len);
			recvd += seg.len;
			uses[seg.bid]++;
			rk_bufring_return(&b, seg.bid);
		}
	}
	/* 40+ receives through 8 buffers: every buffer came back and was
	 * used again, in ring order. */
	for (int i = 0; i < 8; i++)
		CHECK_MSG(uses[i] >= 5, "buffer %d used %u times", i, uses[i]);
	CHECK_EQ(b.n_returned, (uint64_t)(uses[0] + uses[1] + uses[2] + uses[3] + uses[4] +
					  uses[5] + uses[6] + uses[7]));
	CHECK_EQ((uint16_t)(b.tail - b.head), 8);
	close(cli);
	close(srv);
	rk_bufring_exit(&b, &r);
	rk_ring_exit(&r);
}

/* ---- multishot recv running dry --------------------------------------------- */

TEST(multishot_recv_ends_with_enobufs_and_rearm_loses_nothing)
{
	enum { COUNT = 4, SIZE = 256, TOTAL = COUNT * SIZE * 3 + 123 };
	struct rk_ring r;
	struct rk_bufring b;
	ring_open(&r);
	CHECK_EQ(rk_bufring_init(&b, &r, 2, COUNT, SIZE, 0), 0);
	int cli, srv = tcp_pair(&cli);
	static uint8_t got[TOTAL];
	uint32_t recvd = 0;

	/* All the data waits in the socket before the receive is armed: the
	 * kernel fills the 4 buffers, then finds the ring empty. */
	send_pat(cli, 0, TOTAL);
	prep_recv(rk_ring_get_sqe(&r), srv, 2, IORING_RECV_MULTISHOT, 1);
	uint16_t held[COUNT];
	unsigned nheld = 0;
	int ends = 0, enobufs = 0;
	for (int guard = 0; recvd < TOTAL && guard < 1000; guard++) {
		struct io_uring_cqe c = next_cqe(&r);
		CHECK_EQ(c.user_data, 1);
		if (c.res > 0) {
			struct rk_buf_seg seg;
			CHECK_EQ(rk_bufring_consume(&b, &c, &seg, 1), 1);
			CHECK(recvd + seg.len <= TOTAL);
			memcpy(got + recvd, seg.p, seg.len);
			recvd += seg.len;
			CHECK(nheld < COUNT);
			held[nheld++] = seg.bid;
		}
		if (c.flags & IORING_CQE_F_MORE) {
			CHECK_MSG(c.res > 0, "res %d with F_MORE", c.res);
			continue;
		}
		/* The multishot ended: only for lack of buffers here. */
		ends++;
		CHECK_MSG(c.res == -ENOBUFS, "multishot ended with %d", c.res);
		enobufs++;
		/* No buffer was given back meanwhile: the ring is empty. */
		CHECK_EQ(nheld, COUNT);
		CHECK_EQ(kernel_head(&r, &b), b.tail);
		for (unsigned i = 0; i < nheld; i++)
			rk_bufring_return(&b, held[i]);
		nheld = 0;
		prep_recv(rk_ring_get_sqe(&r), srv, 2, IORING_RECV_MULTISHOT, 1);
	}
	CHECK_EQ(recvd, TOTAL);
	CHECK_MSG(enobufs >= 3, "only %d ENOBUFS ends", enobufs);
	CHECK_EQ(ends, enobufs);
	check_pat(got, 0, TOTAL);
	close(cli);
	close(srv);
	rk_bufring_exit(&b, &r);
	rk_ring_exit(&r);
}

/* ---- multishot accept ------------------------------------------------------- */

TEST(multishot_accept_gives_one_cqe_with_more_per_connection)
{
	enum { K = 32 };
	struct rk_ring r;
	ring_open(&r);
	struct sockaddr_in a;
	int l = listen_any(&a, 64);
	struct io_uring_sqe *sqe = rk_ring_get_sqe(&r);
	CHECK(sqe);
	sqe->opcode = IORING_OP_ACCEPT;
	sqe->fd = l;
	sqe->ioprio = IORING_ACCEPT_MULTISHOT;
	sqe->accept_flags = SOCK_CLOEXEC;
	sqe->user_data = 77;
	CHECK_EQ(rk_ring_submit(&r), 1);

	int cli[K], acc[K];
	uint16_t ports[K];
	for (int i = 0; i < K; i++) {
		cli[i] = connect_to(&a);
		struct sockaddr_in me;
		socklen_t len = sizeof(me);
		CHECK_EQ(getsockname(cli[i], (struct sockaddr *)&me, &len), 0);
		ports[i] = me.sin_port;
	}
	unsigned char matched[K] = { 0 };
	for (int i = 0; i < K; i++) {
		struct io_uring_cqe c = next_cqe(&r);
		CHECK_EQ(c.user_data, 77);
		CHECK_MSG(c.res >= 0, "accept %d: %d", i, c.res);
		CHECK_MSG(c.flags & IORING_CQE_F_MORE, "accept %d ended the multishot", i);
		acc[i] = c.res;
		CHECK(fcntl(acc[i], F_GETFD) & FD_CLOEXEC);
		struct sockaddr_in peer;
		socklen_t len = sizeof(peer);
		CHECK_EQ(getpeername(acc[i], (struct sockaddr *)&peer, &len), 0);
		int j = 0;
		while (j < K && ports[j] != peer.sin_port)
			j++;
		CHECK_MSG(j < K && !matched[j], "accepted an unknown or duplicate peer");
		matched[j] = 1;
	}
	/* The accepted fds really are the connections: bytes flow. */
	CHECK_EQ(write(cli[5], "x", 1), 1);
	char ch = 0;
	for (int i = 0; i < K; i++) {
		struct sockaddr_in peer;
		socklen_t len = sizeof(peer);
		getpeername(acc[i], (struct sockaddr *)&peer, &len);
		if (peer.sin_port == ports[5])
			CHECK_EQ(read(acc[i], &ch, 1), 1);
	}
	CHECK_EQ(ch, 'x');
	CHECK_EQ(rk_ring_cq_ready(&r), 0);
	for (int i = 0; i < K; i++) {
		close(cli[i]);
		close(acc[i]);
	}
	close(l);
	rk_ring_exit(&r);
}

/* ---- bundles (6.10) --------------------------------------------------------- */

/* Wait until n bytes are queued on the receiving socket, so one recv sees
 * them all. */
static void wait_queued(int fd, int n)
{
	for (int i = 0; i < 5000; i++) {
		char tmp[4096];
		ssize_t q = recv(fd, tmp, sizeof(tmp) < (size_t)n ? sizeof(tmp) : (size_t)n,
				 MSG_PEEK | MSG_DONTWAIT);
		if (q >= n || (q > 0 && (size_t)q == sizeof(tmp)))
			return;
		usleep(1000);
	}
	CHECK_MSG(0, "data never arrived");
}

/* Consume a bundle CQE and check it against the pattern from `from`. */
static uint32_t check_bundle(struct rk_bufring *b, const struct io_uring_cqe *c, uint32_t from,
			     uint16_t *bids, unsigned *nbids)
{
	struct rk_buf_seg segs[16];
	int n = rk_bufring_consume(b, c, segs, 16);
	CHECK_MSG(n > 0, "consume: %d", n);
	uint32_t total = 0;
	for (int i = 0; i < n; i++) {
		CHECK(segs[i].p == rk_bufring_addr(b, segs[i].bid));
		CHECK(segs[i].last_use);
		/* Every piece but the last fills its buffer. */
		if (i + 1 < n)
			CHECK_EQ(segs[i].len, b->size);
		check_pat(segs[i].p, from + total, segs[i].len);
		total += segs[i].len;
		bids[(*nbids)++] = segs[i].bid;
	}
	CHECK_EQ(total, (uint32_t)c->res);
	CHECK_EQ(segs[0].bid, rk_cqe_bid(c));
	return (uint32_t)n;
}

/* Bundle-receive everything that was sent past `from`, up to `to`; returns
 * how many buffers the first CQE covered. The kernel takes only whole
 * buffers into a bundle after the first (io_ring_buffers_peek stops rather
 * than shorten a later one, when it knows how much is queued), so 300
 * queued bytes in 64-byte buffers may come as 256 + 44: loop until every
 * byte is in. */
static unsigned bundle_recv_all(struct rk_ring *r, struct rk_bufring *b, int fd, uint32_t from,
				uint32_t to, uint16_t *bids, unsigned *nb)
{
	unsigned first = 0;
	while (from < to) {
		prep_recv(rk_ring_get_sqe(r), fd, b->bgid, IORING_RECVSEND_BUNDLE, 1);
		struct io_uring_cqe c = next_cqe(r);
		CHECK_MSG(c.res > 0, "bundle recv: %d", c.res);
		CHECK(!(c.flags & IORING_CQE_F_MORE));
		unsigned n = check_bundle(b, &c, from, bids, nb);
		if (!first)
			first = n;
		from += (uint32_t)c.res;
	}
	CHECK_EQ(from, to);
	return first;
}

TEST(bundle_recv_covers_several_buffers_in_ring_order)
{
	struct rk_ring r;
	struct rk_bufring b;
	ring_open(&r);
	CHECK_MSG(r.features & IORING_FEAT_RECVSEND_BUNDLE, "kernel without bundles");
	CHECK_EQ(rk_bufring_init(&b, &r, 3, 8, 64, 0), 0);
	int cli, srv = tcp_pair(&cli);
	uint32_t sent = 0;

	/* 300 bytes: 4 full buffers (at least) in one CQE, 44 bytes in a fifth. */
	send_pat(cli, sent, 300);
	wait_queued(srv, 300);
	uint16_t bids[64];
	unsigned nb = 0;
	CHECK(bundle_recv_all(&r, &b, srv, sent, sent + 300, bids, &nb) >= 4);
	sent += 300;
	CHECK_EQ(nb, 5);
	for (unsigned i = 0; i < nb; i++)
		CHECK_EQ(bids[i], i); /* the initial ring order */
	CHECK_EQ(kernel_head(&r, &b), b.head);

	/* Give them back in reverse: the ring now names 5..7, then 4,3,2,1,0.
	 * The next bundles must follow that order, across the ring's wrap. */
	for (int i = (int)nb - 1; i >= 0; i--)
		rk_bufring_return(&b, bids[i]);
	for (int round = 0; round < 4; round++) {
		uint32_t n = 64 * 3 + 10 + (uint32_t)round;
		send_pat(cli, sent, n);
		wait_queued(srv, (int)n);
		nb = 0;
		CHECK(bundle_recv_all(&r, &b, srv, sent, sent + n, bids, &nb) >= 3);
		CHECK_EQ(nb, 4);
		sent += n;
		CHECK_EQ(kernel_head(&r, &b), b.head);
		for (unsigned i = 0; i < nb; i++)
			rk_bufring_return(&b, bids[i]);
	}
	close(cli);
	close(srv);
	rk_bufring_exit(&b, &r);
	rk_ring_exit(&r);
}

/* Two connections share one buffer ring; their bundle CQEs are consumed in
 * the opposite order to the one in which they took buffers. Each bundle
 * must still be found where it lies in the ring (a mirror of the kernel's
 * head would hand the second CQE the first one's buffers). */
TEST(bundles_of_two_connections_consumed_out_of_order)
{
	struct rk_ring r;
	struct rk_bufring b;
	ring_open(&r);
	CHECK(r.features & IORING_FEAT_RECVSEND_BUNDLE);
	CHECK_EQ(rk_bufring_init(&b, &r, 4, 16, 64, 0), 0);
	int c1, s1 = tcp_pair(&c1);
	int c2, s2 = tcp_pair(&c2);

	send_pat(c1, 0, 150);
	wait_queued(s1, 150);
	prep_recv(rk_ring_get_sqe(&r), s1, 4, IORING_RECVSEND_BUNDLE, 1);
	struct io_uring_cqe first = next_cqe(&r);
	send_pat(c2, 1000, 200);
	wait_queued(s2, 200);
	prep_recv(rk_ring_get_sqe(&r), s2, 4, IORING_RECVSEND_BUNDLE, 2);
	struct io_uring_cqe second = next_cqe(&r);
	CHECK_EQ(first.user_data, 1);
	CHECK_EQ(second.user_data, 2);
	CHECK_MSG(first.res > 64 && second.res > 64, "not bundles: %d, %d", first.res, second.res);

	uint16_t bids[64];
	unsigned nb = 0;
	unsigned n2 = check_bundle(&b, &second, 1000, bids, &nb);
	unsigned n1 = check_bundle(&b, &first, 0, bids, &nb);
	CHECK(n1 >= 2 && n2 >= 2);
	for (unsigned i = 0; i < n2; i++)
		CHECK_EQ(bids[i], n1 + i);
	for (unsigned i = 0; i < n1; i++)
		CHECK_EQ(bids[n2 + i], i);
	CHECK_EQ(kernel_head(&r, &b), b.head);
	/* The rest of each stream still arrives whole. */
	bundle_recv_all(&r, &b, s1, (uint32_t)first.res, 150, bids, &nb);
	bundle_recv_all(&r, &b, s2, 1000 + (uint32_t)second.res, 1200, bids, &nb);
	close(c1);
	close(s1);
	close(c2);
	close(s2);
	rk_bufring_exit(&b, &r);
	rk_ring_exit(&r);
}

TEST(multishot_bundle_recv_delivers_every_byte_in_order)
{
	enum { TOTAL = 64 * 1024 + 77 };
	struct rk_ring r;
	struct rk_bufring b;
	ring_open(&r);
	CHECK(r.features & IORING_FEAT_RECVSEND_BUNDLE);
	CHECK_EQ(rk_bufring_init(&b, &r, 5, 16, 512, 0), 0);
	int cli, srv = tcp_pair(&cli);
	prep_recv(rk_ring_get_sqe(&r), srv, 5, IORING_RECV_MULTISHOT | IORING_RECVSEND_BUNDLE, 9);
	CHECK_EQ(rk_ring_submit(&r), 1);
	send_pat(cli, 0, TOTAL);
	uint32_t recvd = 0;
	int multi = 0;
	for (int guard = 0; recvd < TOTAL && guard < 10000; guard++) {
		struct io_uring_cqe c = next_cqe(&r);
		if (c.res > 0) {
			struct rk_buf_seg segs[16];
			int n = rk_bufring_consume(&b, &c, segs, 16);
			CHECK(n > 0);
			multi += n > 1;
			for (int i = 0; i < n; i++) {
				check_pat(segs[i].p, recvd, segs[i].len);
				recvd += segs[i].len;
				rk_bufring_return(&b, segs[i].bid);
			}
		}
		if (!(c.flags & IORING_CQE_F_MORE)) {
			CHECK_MSG(c.res == -ENOBUFS || c.res > 0, "multishot ended: %d", c.res);
			prep_recv(rk_ring_get_sqe(&r), srv, 5,
				  IORING_RECV_MULTISHOT | IORING_RECVSEND_BUNDLE, 9);
		}
	}
	CHECK_EQ(recvd, TOTAL);
	(void)multi; /* how often a CQE spans buffers depends on timing */
	close(cli);
	close(srv);
	rk_bufring_exit(&b, &r);
	rk_ring_exit(&r);
}

/* ---- incremental buffers (6.12) ------------------------------------------- */

TEST(incremental_buffer_takes_several_receives_contiguously)
{
	enum { SIZE = 1024 };
	struct rk_ring r;
	struct rk_bufring b;
	ring_open(&r);
	CHECK_EQ(rk_bufring_init(&b, &r, 6, 4, SIZE, RK_BUFRING_INC), 0);
	CHECK_MSG(b.incremental, "kernel refused IOU_PBUF_RING_INC");
	int cli, srv = tcp_pair(&cli);
	uint32_t sent = 0;

	/* Six 100-byte receives: all in buffer 0, one after the other. */
	for (int i = 0; i < 6; i++) {
		send_pat(cli, sent, 100);
		wait_queued(srv, 100);
		prep_recv(rk_ring_get_sqe(&r), srv, 6, 0, i);
		struct io_uring_cqe c = next_cqe(&r);
		CHECK_EQ(c.res, 100);
		CHECK_EQ(rk_cqe_bid(&c), 0);
		CHECK_MSG(c.flags & IORING_CQE_F_BUF_MORE, "receive %d: no F_BUF_MORE", i);
		struct rk_buf_seg seg;
		CHECK_EQ(rk_bufring_consume(&b, &c, &seg, 1), 1);
		CHECK(seg.p == rk_bufring_addr(&b, 0) + 100 * i);
		CHECK_EQ(seg.len, 100);
		CHECK(!seg.last_use);
		check_pat(seg.p, sent, 100);
		sent += 100;
		CHECK_EQ(kernel_head(&r, &b), 0);
	}
	/* 424 bytes fill it exactly (the kernel caps the receive at what is
	 * left): no F_BUF_MORE, the buffer is ours, the head moves on. */
	send_pat(cli, sent, SIZE - 600 + 50);
	wait_queued(srv, SIZE - 600 + 50);
	uint32_t in_first = 600;
	while (in_first < SIZE) {
		prep_recv(rk_ring_get_sqe(&r), srv, 6, 0, 10);
		struct io_uring_cqe c = next_cqe(&r);
		CHECK(c.res > 0);
		CHECK_EQ(rk_cqe_bid(&c), 0);
		struct rk_buf_seg seg;
		CHECK_EQ(rk_bufring_consume(&b, &c, &seg, 1), 1);
		CHECK(seg.p == rk_bufring_addr(&b, 0) + in_first);
		check_pat(seg.p, sent, seg.len);
		sent += seg.len;
		in_first += seg.len;
		CHECK(in_first <= SIZE);
		CHECK_EQ(!!(c.flags & IORING_CQE_F_BUF_MORE), in_first < SIZE);
		CHECK_EQ(seg.last_use, in_first == SIZE);
	}
	CHECK_EQ(kernel_head(&r, &b), 1);
	CHECK_EQ(b.head, 1);
	rk_bufring_return(&b, 0);

	/* The last 50 bytes start buffer 1. */
	prep_recv(rk_ring_get_sqe(&r), srv, 6, 0, 11);
	struct io_uring_cqe c = next_cqe(&r);
	CHECK_EQ(c.res, 50);
	CHECK_EQ(rk_cqe_bid(&c), 1);
	CHECK(c.flags & IORING_CQE_F_BUF_MORE);
	struct rk_buf_seg seg;
	CHECK_EQ(rk_bufring_consume(&b, &c, &seg, 1), 1);
	CHECK(seg.p == rk_bufring_addr(&b, 1));
	check_pat(seg.p, sent, 50);
	sent += 50;

	/* End of stream: if a zero-byte completion names the buffer, the
	 * kernel still keeps it at its head (io_kbuf_inc_commit commits
	 * nothing), so consume must not hand it back. */
	shutdown(cli, SHUT_WR);
	prep_recv(rk_ring_get_sqe(&r), srv, 6, 0, 12);
	c = next_cqe(&r);
	CHECK_EQ(c.res, 0);
	if (c.flags & IORING_CQE_F_BUFFER) { /* kernels that report it */
		CHECK_EQ(rk_bufring_consume(&b, &c, &seg, 1), 1);
		CHECK_EQ(seg.len, 0);
		CHECK_EQ(seg.last_use, kernel_head(&r, &b) != 1);
	} else { /* 6.18: the buffer went back to the ring, nothing to do */
		CHECK_EQ(rk_bufring_consume(&b, &c, &seg, 1), -EINVAL);
		CHECK_EQ(kernel_head(&r, &b), 1);
	}
	close(cli);
	close(srv);
	rk_bufring_exit(&b, &r);
	rk_ring_exit(&r);
}

/* End of stream with a plain buffer ring: whatever the CQE says about the
 * buffer matches the kernel's head. */
TEST(eof_completion_consumes_a_plain_buffer)
{
	struct rk_ring r;
	struct rk_bufring b;
	ring_open(&r);
	CHECK_EQ(rk_bufring_init(&b, &r, 7, 4, 256, 0), 0);
	int cli, srv = tcp_pair(&cli);
	shutdown(cli, SHUT_WR);
	prep_recv(rk_ring_get_sqe(&r), srv, 7, 0, 1);
	struct io_uring_cqe c = next_cqe(&r);
	CHECK_EQ(c.res, 0);
	struct rk_buf_seg seg;
	if (c.flags & IORING_CQE_F_BUFFER) { /* kernels that report it */
		CHECK_EQ(rk_bufring_consume(&b, &c, &seg, 1), 1);
		CHECK_EQ(seg.len, 0);
		CHECK_EQ(seg.last_use, kernel_head(&r, &b) == 1);
	} else { /* 6.18: the buffer went back to the ring */
		CHECK_EQ(rk_bufring_consume(&b, &c, &seg, 1), -EINVAL);
		CHECK_EQ(kernel_head(&r, &b), 0);
	}
	close(cli);
	close(srv);
	rk_bufring_exit(&b, &r);
	rk_ring_exit(&r);
}

/* ---- consuming out of order after buffers went back ----------------------- */

/* Two receives share a ring of 4: A takes bid 0, B bid 1. B is consumed
 * and given back first, and its return lands in ring slot 0 (position 4),
 * where bid 0 was. A's completion is still valid: the kernel took bid 0,
 * whatever the slot says now. */
TEST(completion_consumed_after_a_return_reused_its_ring_slot_is_accepted)
{
	struct rk_ring r;
	struct rk_bufring b;
	ring_open(&r);
	CHECK_EQ(rk_bufring_init(&b, &r, 8, 4, 64, 0), 0);
	int c1, s1 = tcp_pair(&c1);
	int c2, s2 = tcp_pair(&c2);
	send_pat(c1, 0, 10);
	wait_queued(s1, 10);
	prep_recv(rk_ring_get_sqe(&r), s1, 8, 0, 1);
	struct io_uring_cqe a = next_cqe(&r);
	send_pat(c2, 100, 20);
	wait_queued(s2, 20);
	prep_recv(rk_ring_get_sqe(&r), s2, 8, 0, 2);
	struct io_uring_cqe bcqe = next_cqe(&r);
	CHECK_EQ(a.res, 10);
	CHECK_EQ(bcqe.res, 20);
	CHECK_EQ(rk_cqe_bid(&a), 0);
	CHECK_EQ(rk_cqe_bid(&bcqe), 1);

	struct rk_buf_seg seg;
	CHECK_EQ(rk_bufring_consume(&b, &bcqe, &seg, 1), 1);
	check_pat(seg.p, 100, 20);
	CHECK_EQ(rk_bufring_return(&b, seg.bid), 0);
	CHECK_EQ(b.br->bufs[0].bid, 1); /* slot 0 now names bid 1 */

	int n = rk_bufring_consume(&b, &a, &seg, 1);
	CHECK_MSG(n == 1, "A's completion refused: %d", n);
	CHECK_EQ(seg.bid, 0);
	CHECK(seg.last_use);
	check_pat(seg.p, 0, 10);
	CHECK_EQ(rk_bufring_return(&b, 0), 0);
	CHECK_EQ(kernel_head(&r, &b), b.head);
	close(c1);
	close(s1);
	close(c2);
	close(s2);
	rk_bufring_exit(&b, &r);
	rk_ring_exit(&r);
}

/* The same with bundles: A covers bids 0 and 1, B bids 2..4 (whole 64-byte
 * buffers, so the kernel takes every queued byte into one CQE). B's
 * buffers go back (in reverse) before A is consumed and fill ring slots
 * 0..2, over A's entries. A must still come out as 0, 1 with its bytes. */
TEST(bundle_consumed_after_returns_overwrote_its_ring_entries_keeps_its_buffers)
{
	struct rk_ring r;
	struct rk_bufring b;
	ring_open(&r);
	CHECK(r.features & IORING_FEAT_RECVSEND_BUNDLE);
	CHECK_EQ(rk_bufring_init(&b, &r, 9, 8, 64, 0), 0);
	int c1, s1 = tcp_pair(&c1);
	int c2, s2 = tcp_pair(&c2);
	send_pat(c1, 0, 128);
	wait_queued(s1, 128);
	prep_recv(rk_ring_get_sqe(&r), s1, 9, IORING_RECVSEND_BUNDLE, 1);
	struct io_uring_cqe a = next_cqe(&r);
	send_pat(c2, 1000, 192);
	wait_queued(s2, 192);
	prep_recv(rk_ring_get_sqe(&r), s2, 9, IORING_RECVSEND_BUNDLE, 2);
	struct io_uring_cqe bcqe = next_cqe(&r);
	CHECK_MSG(a.res == 128 && bcqe.res == 192, "bundles of %d and %d bytes", a.res, bcqe.res);

	uint16_t bids[16];
	unsigned nb = 0;
	CHECK_EQ(check_bundle(&b, &bcqe, 1000, bids, &nb), 3);
	CHECK_EQ(bids[0], 2);
	for (int i = (int)nb - 1; i >= 0; i--)
		CHECK_EQ(rk_bufring_return(&b, bids[i]), 0);
	for (unsigned i = 0; i < 3; i++) /* A's slots 0 and 1 now name B's bids */
		CHECK_EQ(b.br->bufs[i].bid, bids[2 - i]);

	struct rk_buf_seg segs[16];
	int n = rk_bufring_consume(&b, &a, segs, 16);
	CHECK_MSG(n == 2, "A's bundle: %d pieces", n);
	for (int i = 0; i < n; i++) {
		CHECK_EQ(segs[i].bid, i);
		CHECK(segs[i].last_use);
		CHECK_EQ(segs[i].len, 64);
		check_pat(segs[i].p, 64 * (uint32_t)i, 64);
	}
	CHECK_EQ(kernel_head(&r, &b), b.head);
	close(c1);
	close(s1);
	close(c2);
	close(s2);
	rk_bufring_exit(&b, &r);
	rk_ring_exit(&r);
}

/* What is refused: a completion naming a buffer the kernel no longer
 * holds (consumed once already), and giving a buffer back twice. Neither
 * changes anything. */
TEST(consume_refuses_a_buffer_not_out_and_return_refuses_a_second_return)
{
	struct rk_ring r;
	struct rk_bufring b;
	ring_open(&r);
	CHECK_EQ(rk_bufring_init(&b, &r, 10, 4, 64, 0), 0);
	int c1, s1 = tcp_pair(&c1);
	send_pat(c1, 0, 10);
	wait_queued(s1, 10);
	prep_recv(rk_ring_get_sqe(&r), s1, 10, 0, 1);
	struct io_uring_cqe a = next_cqe(&r);
	struct rk_buf_seg seg;
	CHECK_EQ(rk_bufring_consume(&b, &a, &seg, 1), 1);
	uint16_t head = b.head;
	CHECK_EQ(rk_bufring_consume(&b, &a, &seg, 1), -EINVAL);
	CHECK_EQ(b.head, head);
	/* Buffer 2 was never taken: it is the kernel's, not ours to give. */
	CHECK_EQ(rk_bufring_return(&b, 2), -EINVAL);
	CHECK_EQ(rk_bufring_return(&b, 0), 0);
	CHECK_EQ(rk_bufring_return(&b, 0), -EINVAL);
	CHECK_EQ((uint16_t)(b.tail - b.head), 4);
	CHECK_EQ(b.n_returned, 1);
	close(c1);
	close(s1);
	rk_bufring_exit(&b, &r);
	rk_ring_exit(&r);
}

/* A zero-byte completion that names an incremental buffer without
 * IORING_CQE_F_BUF_MORE (what kernels that report a buffer at EOF post:
 * io_kbuf_inc_commit commits nothing for 0 bytes) leaves the buffer in the
 * ring. 6.18 posts no buffer at EOF (see the test above), so the CQE is
 * written here, between two real receives into the same buffer: the one
 * after it must go on at the same offset, and the buffer must not be ours
 * to give back meanwhile. */
TEST(incremental_zero_byte_completion_keeps_the_buffer_with_the_kernel)
{
	struct rk_ring r;
	struct rk_bufring b;
	ring_open(&r);
	CHECK_EQ(rk_bufring_init(&b, &r, 11, 4, 1024, RK_BUFRING_INC), 0);
	CHECK_MSG(b.incremental, "kernel refused IOU_PBUF_RING_INC");
	int cli, srv = tcp_pair(&cli);
	send_pat(cli, 0, 100);
	wait_queued(srv, 100);
	prep_recv(rk_ring_get_sqe(&r), srv, 11, 0, 1);
	struct io_uring_cqe c = next_cqe(&r);
	CHECK_EQ(c.res, 100);
	CHECK_EQ(rk_cqe_bid(&c), 0);
	CHECK(c.flags & IORING_CQE_F_BUF_MORE);
	struct rk_buf_seg seg;
	CHECK_EQ(rk_bufring_consume(&b, &c, &seg, 1), 1);
	CHECK(!seg.last_use);

	struct io_uring_cqe eof = { .user_data = 2,
				    .res = 0,
				    .flags = IORING_CQE_F_BUFFER | 0u << IORING_CQE_BUFFER_SHIFT };
	uint16_t head = b.head;
	CHECK_EQ(rk_bufring_consume(&b, &eof, &seg, 1), 1);
	CHECK_EQ(seg.len, 0);
	CHECK_MSG(!seg.last_use, "a zero-byte piece handed buffer 0 back to us");
	CHECK_EQ(b.head, head);
	CHECK_EQ(rk_bufring_return(&b, 0), -EINVAL);
	CHECK_EQ(kernel_head(&r, &b), 0);

	send_pat(cli, 100, 50);
	wait_queued(srv, 50);
	prep_recv(rk_ring_get_sqe(&r), srv, 11, 0, 3);
	c = next_cqe(&r);
	CHECK_EQ(c.res, 50);
	CHECK_EQ(rk_cqe_bid(&c), 0);
	CHECK_EQ(rk_bufring_consume(&b, &c, &seg, 1), 1);
	CHECK(seg.p == rk_bufring_addr(&b, 0) + 100);
	check_pat(seg.p, 100, 50);
	close(cli);
	close(srv);
	rk_bufring_exit(&b, &r);
	rk_ring_exit(&r);
}
