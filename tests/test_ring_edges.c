/* tests/test_ring_edges.c - the ring's rare paths against the real kernel:
 * CQ overflow and its GETEVENTS flush, short submits, the setup fallback
 * chain and ring-fd registration, SQPOLL wake-ups, and MSG_RING between
 * rings and threads. Follows io_uring_enter(2) and io_uring_setup(2). */
#include "harness.h"
#include "rocket/ring.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

static const struct __kernel_timespec wait_5s = { .tv_sec = 5 };

static void ring_open_cfg(struct rk_ring *r, struct rk_ring_config cfg)
{
	int ret = rk_ring_init(r, &cfg);
	CHECK_MSG(ret == 0, "rk_ring_init: %d", ret);
}

static void prep_nop(struct io_uring_sqe *sqe, uint64_t ud)
{
	CHECK(sqe);
	sqe->opcode = IORING_OP_NOP;
	sqe->user_data = ud;
}

/* Reap every ready CQE into seen[] (user_data - base), checking res. */
static uint32_t reap_nops(struct rk_ring *r, unsigned char *seen, uint64_t base, uint32_t n)
{
	uint32_t ready = rk_ring_cq_ready(r);
	for (uint32_t i = 0; i < ready; i++) {
		struct io_uring_cqe *cqe = rk_ring_cqe(r, i);
		CHECK_EQ(cqe->res, 0);
		CHECK_MSG(cqe->user_data >= base && cqe->user_data < base + n,
			  "stray user_data %llu", (unsigned long long)cqe->user_data);
		CHECK_MSG(!seen[cqe->user_data - base], "user_data %llu twice",
			  (unsigned long long)cqe->user_data);
		seen[cqe->user_data - base] = 1;
	}
	rk_ring_cq_advance(r, ready);
	return ready;
}

/* ---- CQ overflow --------------------------------------------------------- */

static void overflow_delivers_everything(bool no_defer)
{
	enum { N = 200 };
	struct rk_ring r;
	ring_open_cfg(&r, (struct rk_ring_config){ .sq_entries = 8, .cq_entries = 16,
						   .sqpoll_cpu = -1, .no_defer_taskrun = no_defer });
	CHECK_EQ(r.sq_entries, 8);
	CHECK_EQ(r.cq_entries, 16);
	CHECK(r.features & IORING_FEAT_NODROP);

	/* 25 submits of 8 NOPs, nothing reaped: 16 fit, 184 overflow. */
	for (int i = 0; i < N; i += 8) {
		for (int j = 0; j < 8; j++)
			prep_nop(rk_ring_get_sqe(&r), 1000 + i + j);
		int ret = rk_ring_submit(&r);
		CHECK_MSG(ret == 8, "submit %d: %d", i / 8, ret);
	}
	CHECK(rk_ring_cq_overflowed(&r));
	CHECK_EQ(rk_ring_cq_ready(&r), 16);

	unsigned char seen[N] = { 0 };
	uint32_t got = reap_nops(&r, seen, 1000, N);
	/* The overflowed CQEs stay in the kernel's list until we enter with
	 * GETEVENTS: freeing CQ slots alone does not bring them in. */
	CHECK(rk_ring_cq_overflowed(&r));
	CHECK_EQ(rk_ring_cq_ready(&r), 0);

	for (int round = 0; got < N && round < 1000; round++) {
		int ret = rk_ring_submit_wait(&r, 0, 0);
		CHECK_MSG(ret >= 0, "flush enter: %d", ret);
		got += reap_nops(&r, seen, 1000, N);
	}
	CHECK_EQ(got, N);
	for (int i = 0; i < N; i++)
		CHECK_MSG(seen[i], "user_data %d never came", 1000 + i);
	CHECK(!rk_ring_cq_overflowed(&r));
	CHECK(r.n_overflow > 0);
	CHECK_EQ(*r.cq_koverflow, 0); /* nothing dropped */
	/* Nothing more is coming. */
	struct __kernel_timespec short_ts = { .tv_nsec = 20 * 1000 * 1000 };
	CHECK_EQ(rk_ring_submit_wait(&r, 1, &short_ts), -ETIME);
	rk_ring_exit(&r);
}

TEST(cq_overflow_flush_delivers_every_user_data_once)
{
	overflow_delivers_everything(false);
}

TEST(cq_overflow_flush_without_defer_taskrun)
{
	overflow_delivers_everything(true);
}

/* Submitting while CQEs sit in the overflow list: old kernels (5.5-5.x)
 * refused with -EBUSY until the list could be flushed; newer ones queue
 * more overflow. Either way the layer must lose nothing: -EBUSY leaves the
 * SQEs pending and counted in n_busy, and reaping + calling again submits
 * them. */
TEST(submit_while_overflowed_loses_nothing)
{
	enum { N = 48 };
	struct rk_ring r;
	ring_open_cfg(&r, (struct rk_ring_config){ .sq_entries = 8, .cq_entries = 16,
						   .sqpoll_cpu = -1 });
	for (int i = 0; i < 24; i += 8) {
		for (int j = 0; j < 8; j++)
			prep_nop(rk_ring_get_sqe(&r), 1000 + i + j);
		CHECK_EQ(rk_ring_submit(&r), 8);
	}
	CHECK(rk_ring_cq_overflowed(&r));
	unsigned char seen[N] = { 0 };
	uint32_t got = 0;
	int busy = 0;
	for (int i = 24; i < N; i += 8) {
		for (int j = 0; j < 8; j++)
			prep_nop(rk_ring_get_sqe(&r), 1000 + i + j);
		int ret;
		while ((ret = rk_ring_submit(&r)) == -EBUSY || ret == -EAGAIN) {
			busy++;
			got += reap_nops(&r, seen, 1000, N);
			CHECK(busy < 1000);
		}
		CHECK_MSG(ret == 8, "submit while overflowed: %d", ret);
		CHECK_EQ(rk_ring_sq_pending(&r), 0);
	}
	CHECK_EQ(r.n_busy, (uint64_t)busy);
	for (int round = 0; got < N && round < 1000; round++) {
		CHECK(rk_ring_submit_wait(&r, 0, 0) >= 0);
		got += reap_nops(&r, seen, 1000, N);
	}
	CHECK_EQ(got, N);
	CHECK(!rk_ring_cq_overflowed(&r));
	rk_ring_exit(&r);
}

/* ---- short submit -------------------------------------------------------- */

/* An SQE the kernel cannot even prepare (an opcode past the last one) ends
 * the submission there: io_submit_sqes counts it (it gets a -EINVAL CQE)
 * and leaves the SQEs after it in the SQ. The next call submits them. */
TEST(short_submit_on_invalid_opcode_keeps_the_rest_queued)
{
	struct rk_ring r;
	ring_open_cfg(&r, (struct rk_ring_config){ .sq_entries = 8, .sqpoll_cpu = -1 });
	for (int i = 1; i <= 5; i++) {
		struct io_uring_sqe *sqe = rk_ring_get_sqe(&r);
		prep_nop(sqe, i);
		if (i == 3)
			sqe->opcode = 250; /* no such opcode */
	}
	CHECK_EQ(rk_ring_sq_pending(&r), 5);
	int ret = rk_ring_submit_wait(&r, 5, &wait_5s);
	CHECK_MSG(ret == 3, "first submit took %d SQEs, expected 3", ret);
	CHECK_EQ(rk_ring_sq_pending(&r), 2);

	ret = rk_ring_submit_wait(&r, 0, 0);
	CHECK_MSG(ret == 2, "second submit took %d SQEs, expected 2", ret);
	CHECK_EQ(rk_ring_sq_pending(&r), 0);

	int res[6] = { 0 }, seen[6] = { 0 }, got = 0;
	for (int round = 0; got < 5 && round < 100; round++) {
		uint32_t n = rk_ring_cq_ready(&r);
		for (uint32_t i = 0; i < n; i++) {
			struct io_uring_cqe *cqe = rk_ring_cqe(&r, i);
			CHECK(cqe->user_data >= 1 && cqe->user_data <= 5);
			CHECK(!seen[cqe->user_data]);
			seen[cqe->user_data] = 1;
			res[cqe->user_data] = cqe->res;
			got++;
		}
		rk_ring_cq_advance(&r, n);
		if (got < 5)
			CHECK(rk_ring_submit_wait(&r, 1, &wait_5s) >= 0);
	}
	CHECK_EQ(got, 5);
	CHECK_EQ(res[1], 0);
	CHECK_EQ(res[2], 0);
	CHECK_EQ(res[3], -EINVAL);
	CHECK_EQ(res[4], 0);
	CHECK_EQ(res[5], 0);
	rk_ring_exit(&r);
}

/* ---- setup fallback chain and ring-fd registration ------------------------ */

/* Wrap the SQ and CQ a few times: exercises the SQ array (or its absence)
 * and the registered-fd enter. */
static void nop_laps(struct rk_ring *r)
{
	enum { N = 64 };
	unsigned char seen[N] = { 0 };
	uint32_t got = 0;
	for (int i = 0; i < N; i += 4) {
		for (int j = 0; j < 4; j++)
			prep_nop(rk_ring_get_sqe(r), 500 + i + j);
		CHECK_EQ(rk_ring_submit_wait(r, 4, &wait_5s), 4);
		while (got < (uint32_t)i + 4) {
			uint32_t n = reap_nops(r, seen, 500, N);
			if (!n)
				CHECK(rk_ring_submit_wait(r, 1, &wait_5s) >= 0);
			got += n;
		}
	}
	CHECK_EQ(got, N);
}

TEST(default_setup_grants_defer_taskrun_no_sqarray_and_registered_fd)
{
	struct rk_ring r;
	ring_open_cfg(&r, (struct rk_ring_config){ .sq_entries = 4, .sqpoll_cpu = -1 });
	uint32_t want = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
			IORING_SETUP_NO_SQARRAY;
	CHECK_MSG((r.flags & want) == want, "flags %#x", r.flags);
	CHECK(r.sq_array == NULL);
	CHECK_EQ(r.enter_flags, IORING_ENTER_REGISTERED_RING);
	CHECK(r.enter_fd != r.fd);
	CHECK(r.enter_fd >= 0 && r.enter_fd < 16);
	char names[256];
	rk_ring_flags_str(r.flags, names, sizeof(names));
	CHECK(strstr(names, "DEFER_TASKRUN") && strstr(names, "NO_SQARRAY"));
	nop_laps(&r);
	rk_ring_exit(&r);
	CHECK_EQ(r.fd, -1);
}

TEST(no_defer_taskrun_falls_back_to_coop_taskrun)
{
	struct rk_ring r;
	ring_open_cfg(&r, (struct rk_ring_config){ .sq_entries = 4, .sqpoll_cpu = -1,
						   .no_defer_taskrun = true });
	CHECK_MSG(!(r.flags & IORING_SETUP_DEFER_TASKRUN), "flags %#x", r.flags);
	CHECK_MSG((r.flags & (IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG)) ==
			  (IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG),
		  "flags %#x", r.flags);
	CHECK(r.flags & IORING_SETUP_NO_SQARRAY);
	nop_laps(&r);
	rk_ring_exit(&r);
}

TEST(no_sqarray_keeps_the_index_array)
{
	struct rk_ring r;
	ring_open_cfg(&r, (struct rk_ring_config){ .sq_entries = 4, .sqpoll_cpu = -1,
						   .no_sqarray = true });
	CHECK_MSG(!(r.flags & IORING_SETUP_NO_SQARRAY), "flags %#x", r.flags);
	CHECK(r.flags & IORING_SETUP_DEFER_TASKRUN);
	CHECK(r.sq_array != NULL);
	nop_laps(&r);
	CHECK_EQ(*r.sq_kdropped, 0);
	rk_ring_exit(&r);
}

TEST(no_register_fd_enters_with_the_plain_fd)
{
	struct rk_ring r;
	ring_open_cfg(&r, (struct rk_ring_config){ .sq_entries = 4, .sqpoll_cpu = -1,
						   .no_register_fd = true });
	CHECK_EQ(r.enter_flags, 0);
	CHECK_EQ(r.enter_fd, r.fd);
	nop_laps(&r);
	rk_ring_exit(&r);
}

TEST(every_fallback_combination_round_trips)
{
	for (int m = 0; m < 8; m++) {
		struct rk_ring r;
		ring_open_cfg(&r, (struct rk_ring_config){ .sq_entries = 4, .sqpoll_cpu = -1,
							   .no_defer_taskrun = m & 1,
							   .no_sqarray = m & 2,
							   .no_register_fd = m & 4 });
		CHECK_EQ(!!(r.flags & IORING_SETUP_DEFER_TASKRUN), !(m & 1));
		CHECK_EQ(!!(r.flags & IORING_SETUP_NO_SQARRAY), !(m & 2));
		CHECK_EQ(!!(r.enter_flags & IORING_ENTER_REGISTERED_RING), !(m & 4));
		nop_laps(&r);
		rk_ring_exit(&r);
	}
}

/* The registered-ring slot holds its own reference to the ring; a thread
 * has 16 slots. rk_ring_exit must give the slot back, or the 17th ring of
 * a thread silently loses the registered fd (and every closed ring lives
 * on, with whatever it had in flight, until the thread exits). */
TEST(ring_exit_releases_the_registered_fd_slot)
{
	for (int i = 0; i < 40; i++) {
		struct rk_ring r;
		ring_open_cfg(&r, (struct rk_ring_config){ .sq_entries = 4, .sqpoll_cpu = -1 });
		CHECK_MSG(r.enter_flags & IORING_ENTER_REGISTERED_RING,
			  "ring %d did not get a registered fd", i);
		prep_nop(rk_ring_get_sqe(&r), i);
		CHECK_EQ(rk_ring_submit_wait(&r, 1, &wait_5s), 1);
		CHECK_EQ(rk_ring_cq_ready(&r), 1);
		rk_ring_exit(&r);
	}
}

/* ---- SQPOLL -------------------------------------------------------------- */

static void wait_nops(struct rk_ring *r, unsigned char *seen, uint64_t base, uint32_t n,
		      uint32_t want)
{
	uint32_t got = 0;
	for (int round = 0; got < want && round < 100; round++) {
		int ret = rk_ring_submit_wait(r, 1, &wait_5s);
		CHECK_MSG(ret >= 0, "wait: %d", ret);
		got += reap_nops(r, seen, base, n);
	}
	CHECK_EQ(got, want);
}

TEST_T(sqpoll_submits_and_wakes_the_idle_thread, 60)
{
	struct rk_ring r;
	ring_open_cfg(&r, (struct rk_ring_config){ .sq_entries = 8, .sqpoll = true,
						   .sqpoll_cpu = -1, .sq_idle_ms = 10 });
	CHECK(r.flags & IORING_SETUP_SQPOLL);
	CHECK(!(r.flags & IORING_SETUP_DEFER_TASKRUN));
	unsigned char seen[8] = { 0 };
	for (int i = 0; i < 4; i++)
		prep_nop(rk_ring_get_sqe(&r), 100 + i);
	CHECK_EQ(rk_ring_submit(&r), 4);
	wait_nops(&r, seen, 100, 8, 4);

	/* 10 ms idle, then the thread sleeps and says so. On a loaded machine
	 * it may take longer: poll for up to 5 s. */
	bool asleep = false;
	for (int i = 0; i < 50 && !asleep; i++) {
		usleep(100 * 1000);
		asleep = rk_load_acquire_u32(r.sq_kflags) & IORING_SQ_NEED_WAKEUP;
	}
	CHECK_MSG(asleep, "SQPOLL thread never set IORING_SQ_NEED_WAKEUP");

	uint64_t wakeups = r.n_wakeup;
	for (int i = 4; i < 8; i++)
		prep_nop(rk_ring_get_sqe(&r), 100 + i);
	CHECK_EQ(rk_ring_submit(&r), 4);
	CHECK(r.n_wakeup > wakeups);
	wait_nops(&r, seen, 100, 8, 4);
	for (int i = 0; i < 8; i++)
		CHECK(seen[i]);
	rk_ring_exit(&r);
}

/* ---- MSG_RING ------------------------------------------------------------ */

static void prep_msg(struct io_uring_sqe *sqe, int target_fd, uint32_t len, uint64_t data,
		     uint64_t ud)
{
	CHECK(sqe);
	sqe->opcode = IORING_OP_MSG_RING;
	sqe->fd = target_fd;
	sqe->addr = IORING_MSG_DATA;
	sqe->len = len;
	sqe->off = data;
	sqe->user_data = ud;
}

/* The sender's own completion for a MSG_RING: res 0. */
static void expect_sender_cqe(struct rk_ring *a, uint64_t ud)
{
	CHECK_EQ(rk_ring_submit_wait(a, 1, &wait_5s), 1);
	for (int round = 0; !rk_ring_cq_ready(a) && round < 100; round++)
		CHECK(rk_ring_submit_wait(a, 1, &wait_5s) >= 0);
	CHECK_EQ(rk_ring_cq_ready(a), 1);
	CHECK_EQ(rk_ring_cqe(a, 0)->user_data, ud);
	CHECK_EQ(rk_ring_cqe(a, 0)->res, 0);
	rk_ring_cq_advance(a, 1);
}

TEST(msg_ring_posts_a_cqe_in_the_target_ring)
{
	struct rk_ring a, b;
	ring_open_cfg(&a, (struct rk_ring_config){ .sq_entries = 4, .sqpoll_cpu = -1 });
	ring_open_cfg(&b, (struct rk_ring_config){ .sq_entries = 4, .sqpoll_cpu = -1 });
	CHECK(b.flags & IORING_SETUP_DEFER_TASKRUN);

	prep_msg(rk_ring_get_sqe(&a), b.fd, 0x1234, 0xabcdef0123ULL, 7);
	expect_sender_cqe(&a, 7);
	/* DEFER_TASKRUN target: the CQE is posted by task work that runs
	 * when b enters with GETEVENTS. */
	CHECK(rk_ring_submit_wait(&b, 1, &wait_5s) >= 0);
	CHECK_EQ(rk_ring_cq_ready(&b), 1);
	CHECK_EQ(rk_ring_cqe(&b, 0)->res, 0x1234);
	CHECK_EQ(rk_ring_cqe(&b, 0)->user_data, 0xabcdef0123ULL);
	CHECK_EQ(rk_ring_cqe(&b, 0)->flags, 0);
	rk_ring_cq_advance(&b, 1);

	/* 6.3: IORING_MSG_RING_FLAGS_PASS puts file_index in the target's
	 * cqe->flags. */
	struct io_uring_sqe *sqe = rk_ring_get_sqe(&a);
	prep_msg(sqe, b.fd, 42, 99, 8);
	sqe->msg_ring_flags = IORING_MSG_RING_FLAGS_PASS;
	sqe->file_index = 0x50000;
	expect_sender_cqe(&a, 8);
	CHECK(rk_ring_submit_wait(&b, 1, &wait_5s) >= 0);
	CHECK_EQ(rk_ring_cq_ready(&b), 1);
	CHECK_EQ(rk_ring_cqe(&b, 0)->res, 42);
	CHECK_EQ(rk_ring_cqe(&b, 0)->user_data, 99);
	CHECK_EQ(rk_ring_cqe(&b, 0)->flags, 0x50000);
	rk_ring_cq_advance(&b, 1);
	rk_ring_exit(&b);
	rk_ring_exit(&a);
}

enum { MSG_N = 100 };

struct msg_target {
	atomic_int fd;       /* the target ring's fd, once set up */
	atomic_int received; /* messages seen so far */
	int bad;             /* first wrong value, or 0 */
	int timeouts;
	uint32_t flags;
};

/* The reactor's side: its own DEFER_TASKRUN ring, created on this thread,
 * blocking in rk_ring_submit_wait until each message arrives. */
static void *msg_target_thread(void *arg)
{
	struct msg_target *t = arg;
	struct rk_ring r;
	struct rk_ring_config cfg = { .sq_entries = 4, .sqpoll_cpu = -1 };
	if (rk_ring_init(&r, &cfg) < 0) {
		atomic_store(&t->fd, -2);
		return 0;
	}
	t->flags = r.flags;
	atomic_store(&t->fd, r.fd);
	struct __kernel_timespec ts = { .tv_sec = 10 };
	while (atomic_load(&t->received) < MSG_N && t->timeouts < 3) {
		int ret = rk_ring_submit_wait(&r, 1, &ts);
		if (ret == -ETIME) {
			t->timeouts++;
			continue;
		}
		uint32_t n = rk_ring_cq_ready(&r);
		for (uint32_t i = 0; i < n; i++) {
			struct io_uring_cqe *cqe = rk_ring_cqe(&r, i);
			int k = atomic_load(&t->received);
			if (!t->bad && (cqe->res != 1000 + k || cqe->user_data != 5000ULL + k))
				t->bad = k + 1;
			atomic_fetch_add(&t->received, 1);
		}
		rk_ring_cq_advance(&r, n);
	}
	rk_ring_exit(&r);
	return 0;
}

TEST_T(msg_ring_wakes_a_thread_blocked_on_its_defer_taskrun_ring, 120)
{
	struct msg_target t = { .fd = -1 };
	pthread_t th;
	CHECK_EQ(pthread_create(&th, 0, msg_target_thread, &t), 0);
	for (int i = 0; i < 1000 && atomic_load(&t.fd) == -1; i++)
		usleep(5000);
	int fd = atomic_load(&t.fd);
	CHECK_MSG(fd >= 0, "target ring setup: %d", fd);
	CHECK(t.flags & IORING_SETUP_DEFER_TASKRUN);

	struct rk_ring a;
	ring_open_cfg(&a, (struct rk_ring_config){ .sq_entries = 4, .sqpoll_cpu = -1 });
	for (int k = 0; k < MSG_N; k++) {
		/* Mostly let the target block first, so the message has to
		 * wake it; sometimes send back to back. */
		if (k % 4 != 3)
			usleep(2000);
		prep_msg(rk_ring_get_sqe(&a), fd, 1000 + k, 5000 + k, k);
		expect_sender_cqe(&a, k);
		/* In order: wait until the target has seen this one. */
		for (int i = 0; i < 2000 && atomic_load(&t.received) <= k; i++)
			usleep(1000);
		CHECK_MSG(atomic_load(&t.received) == k + 1, "message %d not received (%d)", k,
			  atomic_load(&t.received));
	}
	pthread_join(th, 0);
	rk_ring_exit(&a);
	CHECK_EQ(atomic_load(&t.received), MSG_N);
	CHECK_MSG(!t.bad, "message %d had wrong res/user_data", t.bad - 1);
	CHECK_EQ(t.timeouts, 0);
}
