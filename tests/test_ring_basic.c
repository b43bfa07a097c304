/* tests/test_ring_basic.c - the SQ/CQ rings against the real kernel:
 * NOP round trips, batches, a full SQ and timed waits. */
#include "harness.h"
#include "rocket/ring.h"

#include <errno.h>
#include <time.h>

static void ring_open(struct rk_ring *r, uint32_t entries)
{
	struct rk_ring_config cfg = { .sq_entries = entries, .sqpoll_cpu = -1 };
	int ret = rk_ring_init(r, &cfg);
	CHECK_MSG(ret == 0, "rk_ring_init: %d", ret);
}

static void prep_nop(struct io_uring_sqe *sqe, uint64_t ud)
{
	sqe->opcode = IORING_OP_NOP;
	sqe->user_data = ud;
}

TEST(nop_round_trip)
{
	struct rk_ring r;
	ring_open(&r, 8);
	struct io_uring_sqe *sqe = rk_ring_get_sqe(&r);
	CHECK(sqe);
	prep_nop(sqe, 0xdeadbeefcafeULL);
	CHECK_EQ(rk_ring_submit_wait(&r, 1, 0), 1);
	CHECK_EQ(rk_ring_cq_ready(&r), 1);
	struct io_uring_cqe *cqe = rk_ring_cqe(&r, 0);
	CHECK_EQ(cqe->user_data, 0xdeadbeefcafeULL);
	CHECK_EQ(cqe->res, 0);
	rk_ring_cq_advance(&r, 1);
	CHECK_EQ(rk_ring_cq_ready(&r), 0);
	rk_ring_exit(&r);
}

TEST(nop_batch_preserves_every_user_data)
{
	struct rk_ring r;
	ring_open(&r, 64);
	enum { N = 64 };
	for (int i = 0; i < N; i++)
		prep_nop(rk_ring_get_sqe(&r), 1000 + i);
	CHECK_EQ(rk_ring_submit_wait(&r, N, 0), N);
	unsigned char seen[N] = { 0 };
	uint32_t n = rk_ring_cq_ready(&r);
	CHECK_EQ(n, N);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t ud = rk_ring_cqe(&r, i)->user_data;
		CHECK(ud >= 1000 && ud < 1000 + N);
		CHECK(!seen[ud - 1000]);
		seen[ud - 1000] = 1;
	}
	rk_ring_cq_advance(&r, n);
	rk_ring_exit(&r);
}

TEST(sq_full_gives_no_sqe_until_submit)
{
	struct rk_ring r;
	ring_open(&r, 4);
	CHECK_EQ(r.sq_entries, 4);
	for (int i = 0; i < 4; i++) {
		struct io_uring_sqe *sqe = rk_ring_get_sqe(&r);
		CHECK(sqe);
		prep_nop(sqe, i);
	}
	CHECK(rk_ring_get_sqe(&r) == NULL);
	CHECK_EQ(rk_ring_submit(&r), 4);
	CHECK(rk_ring_get_sqe(&r) != NULL);
	rk_ring_exit(&r);
}

TEST(timed_wait_returns_etime_within_bound)
{
	struct rk_ring r;
	ring_open(&r, 4);
	struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = 50 * 1000 * 1000 };
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int ret = rk_ring_submit_wait(&r, 1, &ts);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK_EQ(ret, -ETIME);
	double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	CHECK_MSG(ms >= 45 && ms < 1000, "waited %.1f ms for a 50 ms timeout", ms);
	rk_ring_exit(&r);
}
