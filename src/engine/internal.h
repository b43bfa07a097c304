/* src/engine/internal.h - the engine's private structures: the reactor, the
 * connection slot, and how user_data names a completion.
 *
 * user_data (64 bits) = kind (8) | generation (24) | slot (32). A slot is
 * reused only after every CQE that could name it has been reaped, and its
 * generation moves on at every reuse, so a late completion can never be
 * credited to the next connection in that slot (the C# original keyed
 * completions by fd, which the kernel reuses at once).
 * Read next: src/engine/engine.c.
 */
#ifndef ROCKET_ENGINE_INTERNAL_H
#define ROCKET_ENGINE_INTERNAL_H

#include <stdatomic.h>

#include "rocket/bufring.h"
#include "rocket/engine.h"
#include "rocket/ring.h"
#include "rocket/thread.h"

enum rk_ud_kind {
	RK_UD_RECV = 1,  /* multishot recv of a connection */
	RK_UD_SEND,      /* send of a connection */
	RK_UD_CLOSE,     /* IORING_OP_CLOSE of a connection's fd */
	RK_UD_CANCEL,    /* cancel of a connection's ops (CQE only on failure) */
	RK_UD_NEWCONN,   /* MSG_RING from the acceptor: res = the new fd */
	RK_UD_CTRL,      /* MSG_RING from the acceptor: res = RK_CTRL_* */
	RK_UD_TICK,      /* the reactor's once-a-second timeout */
	RK_UD_ACCEPT,    /* acceptor: the multishot accept */
	RK_UD_HANDOFF,   /* acceptor: MSG_RING that failed (slot = fd) */
	RK_UD_SIGNAL,    /* acceptor: read of the signalfd */
	RK_UD_BACKOFF,   /* acceptor: pause after EMFILE/ENFILE/ENOMEM */
};

enum rk_ctrl {
	RK_CTRL_STOP = 1,
	RK_CTRL_STATS = 2,
	RK_CTRL_DONE = 3,   /* reactor -> acceptor: finished */
};

static inline uint64_t rk_ud(enum rk_ud_kind kind, uint32_t slot, uint32_t gen)
{
	return (uint64_t)kind << 56 | (uint64_t)(gen & 0xffffff) << 32 | slot;
}
static inline uint32_t rk_ud_kind(uint64_t ud) { return (uint32_t)(ud >> 56); }
static inline uint32_t rk_ud_gen(uint64_t ud) { return (uint32_t)(ud >> 32) & 0xffffff; }
static inline uint32_t rk_ud_slot(uint64_t ud) { return (uint32_t)ud; }

#define RK_NO_BID 0xffffu

enum rk_conn_state { RK_CONN_FREE = 0, RK_CONN_OPEN, RK_CONN_CLOSING };

struct rk_conn {
	struct rk_reactor *r;
	int fd;
	uint32_t slot;
	uint32_t gen;
	uint8_t state;            /* enum rk_conn_state */
	uint8_t why;              /* enum rk_close_reason, once closing */
	bool recv_armed;          /* a multishot recv may still post CQEs */
	bool send_busy;           /* a send is in flight */
	bool want_write;          /* call on_writable when space frees */
	bool eof;                 /* the peer closed; close once drained */
	bool aborting;            /* drop unsent bytes */
	bool cancel_sent, close_sent;
	bool queued_flush, queued_deliver, queued_nobufs;
	/* Received buffers: pend = waiting for delivery, held = delivered,
	 * not yet released. Chains of buffer ids (reactor's bnext/blen). */
	uint16_t pend_head, pend_tail, held_head;
	uint32_t npend, nheld;
	/* Send buffer, taken from the reactor's pool on the first write and
	 * given back once drained: [soff, slen) waits or is in flight. */
	uint8_t *sbuf;
	uint32_t soff, slen;
	uint32_t timeout_s;
	int64_t deadline;         /* monotonic seconds, 0: none */
	void *app;
};

struct rk_reactor {
	struct rk_engine *e;
	uint32_t id;
	struct rk_ring ring;
	struct rk_bufring bufs;
	_Atomic int ring_fd;      /* published for the acceptor; -errno on failure */
	struct rk_thread thread;

	struct rk_conn *conns;
	uint32_t nconns, nopen;
	uint32_t *free_slots, nfree;
	uint16_t *bnext;          /* per buffer id: next in its chain */
	uint32_t *blen;           /* per buffer id: bytes of data in it */
	struct rk_seg *scratch;   /* delivery array, one per buffer */
	struct rk_buf_seg *pieces; /* one recv CQE's buffers (a bundle: up to all) */
	/* Send buffers, one per slot, lent LIFO: the most recently drained
	 * one goes out next, so only as many stay resident as are busy at
	 * once, however many connections sit idle. */
	uint8_t *sbuf_mem;
	uint32_t *sbuf_free, nsbuf_free;
	uint32_t *flush_q, nflush;
	uint32_t *deliver_q, ndeliver;
	uint32_t *nobufs_q, nnobufs;
	void *state;              /* application per-reactor bytes */

	uint16_t recv_ioprio;     /* RECV_MULTISHOT (+BUNDLE), less what the kernel refused */
	bool stopping;
	int64_t stop_deadline;
	int64_t now_mono;
	struct __kernel_timespec tick_ts;
	bool tick_oneshot;        /* the kernel refused IORING_TIMEOUT_MULTISHOT (< 6.4) */
	struct rk_reactor_stats st;
	struct rk_trace trace;    /* used when cfg.trace_fd >= 0 */
};

struct rk_engine {
	struct rk_engine_config cfg;
	int listen_fd;
	uint16_t port;
	struct rk_ring acc;       /* the acceptor's ring */
	struct rk_trace acc_trace;
	_Atomic int acc_fd;       /* its fd, for rk_engine_stop() */
	uint32_t nreactors;
	struct rk_reactor *reactors;
	size_t map_len;           /* everything below lives in one mapping */
};

/* reactor.c */
int rk_reactor_main(void *arg);
void rk_reactor_handle_cqe(struct rk_reactor *r, const struct io_uring_cqe *cqe);
void rk_reactor_after_batch(struct rk_reactor *r);
struct io_uring_sqe *rk_reactor_sqe(struct rk_reactor *r);
void rk_reactor_print_stats(struct rk_reactor *r);

/* conn.c */
void rk_conn_open(struct rk_reactor *r, int fd);
void rk_conn_on_recv(struct rk_conn *c, const struct io_uring_cqe *cqe);
void rk_conn_on_send(struct rk_conn *c, int res);
void rk_conn_on_close_done(struct rk_conn *c);
void rk_conn_arm_recv(struct rk_conn *c);
void rk_conn_deliver(struct rk_conn *c);
void rk_conn_flush(struct rk_conn *c);
void rk_conn_begin_close(struct rk_conn *c, enum rk_close_reason why, bool abort);
void rk_conn_progress_close(struct rk_conn *c);

/* acceptor.c */
int rk_acceptor_run(struct rk_engine *e, int sigfd);

/* engine.c */
int64_t rk_now_mono(void);
size_t rk_engine_ud_str(uint64_t ud, char *buf, size_t cap);
void rk_engine_trace_init(struct rk_engine *e, struct rk_ring *r, struct rk_trace *t,
			  const char *who, uint32_t id);

#endif
