/* include/rocket/trace.h - watch the rings: every SQE submitted, every
 * io_uring_enter and every CQE reaped, one decoded line each (--trace).
 *
 * A ring traces when its `trace` pointer is set; when it is NULL (the
 * default) the cost is one predictable branch per submit and per batch.
 * Lines look like
 *   [reactor 0] SQE  RECV         fd 7  conn 3.0  flags BUFFER_SELECT  ioprio RECV_MULTISHOT  group 0
 *   [reactor 0] CQE  RECV         conn 3.0  res 78  bid 5  flags BUFFER|MORE
 * Read next: src/ring/trace.c.
 */
#ifndef ROCKET_TRACE_H
#define ROCKET_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "abi/io_uring.h"

struct rk_trace {
	int fd;       /* where lines go (2: stderr) */
	char who[16]; /* "acceptor", "reactor 0" */
	/* Describe a user_data ("RECV conn 3.0"); NULL prints it in hex. */
	size_t (*ud_str)(uint64_t ud, char *buf, size_t cap);
};

/* Is tracing on? Building with -DRK_NO_TRACE removes even the branch, so
 * the bench can show that a build with tracing off costs the same. */
#ifdef RK_NO_TRACE
#define rk_trace_on(t) 0
#else
#define rk_trace_on(t) __builtin_expect((t) != 0, 0)
#endif

/* Opcode name ("RECV"), or NULL past the ones our ABI header names. */
const char *rk_op_name(unsigned op);

void rk_trace_sqe(const struct rk_trace *t, const struct io_uring_sqe *sqe);
void rk_trace_cqe(const struct rk_trace *t, const struct io_uring_cqe *cqe);
void rk_trace_enter(const struct rk_trace *t, int fd, uint32_t to_submit, uint32_t min_complete,
		    uint32_t flags, int ret);
/* A buffer given back to the kernel through the buffer ring. */
void rk_trace_buf_return(const struct rk_trace *t, unsigned bid, unsigned group);

#endif
