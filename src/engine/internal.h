/* src/engine/internal.h - the engine's private structures: the reactor, the
 * connection slot, received pieces, output-queue entries, and how user_data
 * names a completion.
 *
 * user_data (64 bits) = kind (8) | generation (24) | tag (8) | slot (24).
 * A slot is reused only after every CQE that could name it has been reaped
 * (c->nops counts the operations in flight), and its generation moves on at
 * every reuse, so a late completion can never be credited to the next
 * connection in that slot (the C# original keyed completions by fd, which
 * the kernel reuses at once). The tag is the handler's, for its own ops.
 *
 * Who calls whom, bottom to top (no file calls back into one above it):
 *   res.c      the reactor's resources: SQEs, after-batch queues, pools of
 *              send chunks, queue entries and pieces, buffer references
 *   pieces.c   chains of received pieces          (res)
 *   outq.c     the output queue                   (res)
 *   conn.c     open, close protocol, accessors    (res, pieces, outq)
 *   recv.c send.c file.c splice.c user.c newconn.c shutdown.c log.c accept.c
 *              the operations (conn, ...; send.c starts a shutdown, a
 *              file range's read or splice)
 *   reactor.c  the loop and the kind -> function table (all of the above)
 * The pools behind res.c are include/rocket/pool.h's.
 * Read next: src/engine/ops.def.
 */
#ifndef ROCKET_ENGINE_INTERNAL_H
#define ROCKET_ENGINE_INTERNAL_H

#include <stdatomic.h>

#include "rocket/abi/uio.h"
#include "rocket/bufring.h"
#include "rocket/engine.h"
#include "rocket/pool.h"
#include "rocket/ring.h"
#include "rocket/thread.h"

enum rk_ud_kind {
	RK_UD_NONE = 0,
#define RK_OP(name, scope, fn) RK_UD_##name,
#include "ops.def"
#undef RK_OP
	RK_UD_KINDS,
};

enum rk_op_scope { RK_SCOPE_CONN, RK_SCOPE_REACTOR, RK_SCOPE_ACCEPTOR };

enum rk_ctrl {
	RK_CTRL_STOP = 1,
	RK_CTRL_STATS = 2,
	RK_CTRL_DONE = 3, /* reactor -> acceptor: finished */
	RK_CTRL_LOG_ERROR =
		4, /* reactor -> acceptor: a log write failed (errno in the slot bits) */
};

/* NEWCONN's generation field says what res is. */
enum { RK_NEWCONN_FD = 0, RK_NEWCONN_FIXED = 1, RK_NEWCONN_DROP = 2 };

#define RK_UD_SLOT_BITS 24
#define RK_UD_SLOT_MASK ((1u << RK_UD_SLOT_BITS) - 1)
#define RK_UD_GEN_MASK  0xffffffu

static inline uint64_t rk_ud_tag(enum rk_ud_kind kind, uint32_t slot, uint32_t gen, uint8_t tag)
{
	return (uint64_t)kind << 56 | (uint64_t)(gen & RK_UD_GEN_MASK) << 32 |
	       (uint64_t)tag << RK_UD_SLOT_BITS | (slot & RK_UD_SLOT_MASK);
}
static inline uint64_t rk_ud(enum rk_ud_kind kind, uint32_t slot, uint32_t gen)
{
	return rk_ud_tag(kind, slot, gen, 0);
}
static inline uint32_t rk_ud_kind(uint64_t ud)
{
	return (uint32_t)(ud >> 56);
}
static inline uint32_t rk_ud_gen(uint64_t ud)
{
	return (uint32_t)(ud >> 32) & RK_UD_GEN_MASK;
}
static inline uint8_t rk_ud_tagof(uint64_t ud)
{
	return (uint8_t)(ud >> RK_UD_SLOT_BITS);
}
static inline uint32_t rk_ud_slot(uint64_t ud)
{
	return (uint32_t)ud & RK_UD_SLOT_MASK;
}

#define RK_NONE           0xffffffffu /* end of a chain of pieces or entries */
#define RK_SEND_IOV       8           /* pieces gathered into one SENDMSG */
#define RK_SEND_MAX       (1u << 30)  /* bytes of one memory piece per send */
#define RK_PIECES_PER_BUF 8           /* pool of pieces: buffers x this (incremental) */
#define RK_LOG_BUFS       2           /* access-log buffers per reactor: one fills, one flies */
#define RK_CONN_LINGER_S  10          /* a graceful close with no deadline of its own */
/* Not a kernel flag: a receive's flags word carries it when the multishot
 * was armed with a byte limit (sqe->optlen, 6.16), its share's worth. */
#define RK_RECV_LIM (1u << 15)

enum rk_conn_state { RK_CONN_FREE = 0, RK_CONN_OPEN, RK_CONN_CLOSING };
/* rk_conn_shutdown_write(): asked (the queue drains first), submitted. */
/* _DONE: its CQE came - only then may the CLOSE go, since io-wq runs a
 * SHUTDOWN and would take a slot of the fixed table reused by then. */
enum rk_shut { RK_SHUT_NONE = 0, RK_SHUT_WANTED, RK_SHUT_SENT, RK_SHUT_DONE };
/* SIGTERM: connections get this long to finish their answers. */
#define RK_STOP_GRACE_MS 1000

/* After-batch work, one queue each (src/engine/res.c). */
enum rk_q { RK_Q_DELIVER, RK_Q_NOBUFS, RK_Q_FLUSH, RK_Q_CHUNK, RK_NQ };

/* A piece of received data: part of provided buffer bid. */
struct rk_piece {
	uint32_t next;
	uint32_t off, len;
	uint16_t bid;
};

enum rk_out_kind {
	RK_OUT_COPY = 1, /* bytes copied into a send chunk by rk_conn_write */
	RK_OUT_CHUNK,    /* bytes of a file read into a send chunk */
	RK_OUT_REF,      /* the application's bytes, lent until done() */
	RK_OUT_FILE,     /* a file range, read a chunk at a time */
};

/* One entry of a connection's output queue. */
struct rk_out {
	uint32_t next;
	uint8_t kind;     /* enum rk_out_kind */
	uint32_t chunk;   /* COPY, CHUNK: index of the send chunk */
	const uint8_t *p; /* COPY, CHUNK, REF: next byte to send */
	uint64_t len;     /* bytes left to send */
	uint64_t off;     /* FILE: next offset in the file */
	int fd;           /* FILE */
	rk_done_fn done;  /* REF, FILE: the application's callback */
	void *arg;
};

/* msghdr and iovecs of one SENDMSG, lent from the reactor's pool while it
 * flies (a connection has one send in flight at most): LIFO, so only as
 * many are ever touched as were in flight at once, not one per connection
 * (smaller than a page, they are not trimmed: src/lib/pool.c). */
struct rk_sendmsg {
	struct rk_user_msghdr msg;
	struct rk_iovec iov[RK_SEND_IOV];
};

struct rk_conn {
	struct rk_reactor *r;
	const struct rk_handler *h;
	void *ctx;
	int fd; /* a regular fd, or with `fixed` a slot of the fixed table */
	uint32_t slot;
	uint32_t gen;
	uint32_t nops;          /* operations in flight that will post a CQE */
	uint32_t nuser;         /* of which the handler's own (rk_conn_op_sqe) */
	uint8_t state;          /* enum rk_conn_state */
	uint8_t why;            /* enum rk_close_reason, once closing */
	uint16_t recv_ioprio;   /* the flags the armed recv was sent with */
	bool recv_armed;        /* a multishot recv may still post CQEs */
	bool recv_paused;       /* held its share of buffers: recv cancelled */
	bool send_busy;         /* a send is in flight */
	struct rk_sendmsg *msg; /* that send's msghdr, while it is a SENDMSG */
	bool file_busy;         /* a file-range read is in flight */
	bool splice_out;        /* a SPLICE into the socket is in flight */
	uint32_t file_prev;     /* ... of the entry after this one (RK_NONE: the head) */
	uint32_t pipe;          /* 1 + the pipe lent for a splice, or 0 */
	uint32_t pipe_fill;     /* bytes spliced into it and not yet out */
	bool want_write;        /* call on_writable when space frees */
	bool eof;               /* the peer closed; close once drained */
	bool aborting;          /* drop unsent bytes */
	bool fixed;             /* fd is a direct descriptor (IOSQE_FIXED_FILE) */
	bool cancel_sent;       /* a cancel for the handler's operations is out */
	bool close_sent;        /* the CLOSE is submitted (maybe linked behind a send):
	                           * no SQE may name c->fd any more */
	bool close_linked;      /* ...behind the send in flight */
	bool abort_cancel;      /* an abort cancelled that send */
	bool close_done;        /* its CQE came; the slot is freed once nops is 0 */
	uint8_t shut_wr;        /* RK_SHUT_*: rk_conn_shutdown_write() */
	bool queued[RK_NQ];     /* in that after-batch queue already */
	/* Received pieces: pend = waiting for delivery, held = delivered,
	 * not yet released (chains through the reactor's piece pool). */
	uint32_t pend_head, pend_tail, held_head;
	uint32_t npend, nheld;
	/* Output queue (chains through the reactor's entry pool), and the
	 * entries fully sent by SEND_ZC that wait for their notification. */
	uint32_t out_head, out_tail, zc_head, zc_tail;
	uint32_t zc_pending;            /* SEND_ZC notifications still to come */
	uint32_t zc_sends, zc_notified; /* zero-copy sends posted, notifications seen */
	uint32_t copied;                /* bytes of COPY entries queued (the window) */
	uint64_t queued_bytes;          /* every byte queued and not yet sent */
	uint64_t out_total;             /* every byte ever queued */
	/* Monotonic ms; 0: none; -ms: set, the next tick stamps it now + ms. */
	int64_t deadline;
	/* rk_conn_set_linger_ms: each tick that finds queued_bytes moved
	 * sets the deadline linger_ms from then. 0: a fixed deadline. */
	uint32_t linger_ms;
	uint64_t linger_queued; /* queued_bytes as that tick found them */
	void *app;
	uint8_t peer_len; /* the peer's address as text, once asked (rk_conn_peer) */
	char peer[RK_PEER_MAX];
};

/* A reactor's access log (src/engine/log.c): two buffers, the one at
 * `fill` taking lines while the other may be in flight. */
struct rk_log {
	uint8_t *mem; /* RK_LOG_BUFS x cfg.log_buffer bytes */
	uint32_t len[RK_LOG_BUFS];
	uint8_t fill;
	bool busy; /* the other buffer's write is in flight */
	int fd;
};

struct rk_reactor {
	struct rk_engine *e;
	uint32_t id;
	struct rk_ring ring;
	struct rk_bufring bufs;
	_Atomic int ring_fd; /* published for the acceptor; -errno on failure */
	struct rk_thread thread;

	struct rk_conn *conns;
	uint32_t nconns, nopen;
	uint32_t conn_hi; /* 1 + the highest slot ever opened: the tick scans below it */
	/* Read by the acceptor (one writer each: this reactor), for the
	 * least-loaded hand-off: connections open, NEWCONN messages taken. */
	_Atomic uint32_t open_pub;
	_Atomic uint32_t taken_pub;
	uint32_t nfixed;     /* direct-descriptor table registered (0: none) */
	uint32_t fixed_used; /* its slots holding a socket (installed, not yet closed) */
	/* --accept reactor: our listeners (one per cfg.listen_fds[i]), each a
	 * multishot accept while its bit is set in accept_armed. */
	int listen_fds[RK_MAX_LISTEN];
	uint32_t accept_armed, accept_paused;
	bool accept_direct; /* accept into the fixed table */
	uint32_t *q[RK_NQ]; /* after-batch queues of slots (max_conns each) */
	uint32_t nq[RK_NQ];
	uint32_t qpos[RK_NQ]; /* the pass under way: the next entry it takes */
	/* Pools (include/rocket/pool.h): LIFO, untouched until used; the send
	 * chunks' memory goes back once it lies idle. */
	struct rk_pool slots, chunks, outs_pool, pieces_pool;
	struct rk_out *outs;
	struct rk_piece *pieces;
	uint8_t *app_mem; /* max_conns x app_stride bytes of application state */
	uint32_t app_stride;
	uint16_t *bref;          /* per buffer id: references (kernel + pieces) */
	struct rk_seg *scratch;  /* delivery array, RK_DELIVER_MAX */
	struct rk_buf_seg *segs; /* one recv CQE's buffers (a bundle: up to all) */
	struct rk_pool msgs;     /* struct rk_sendmsg, lent to a SENDMSG in flight */
	uint32_t window, share;  /* send_window and recv_share, resolved */
	void *state;             /* application per-reactor bytes */

	uint16_t recv_ioprio; /* RECV_MULTISHOT (+BUNDLE, +RK_RECV_LIM), less what the
	                             kernel refused */
	bool send_zc;         /* --send-zc, until the kernel refuses it */
	bool stopping;
	int64_t stop_deadline; /* monotonic ms */
	int64_t now_mono;      /* monotonic ms, read at each tick */
	int64_t unix_sec;      /* the unix second on_tick was last told */
	struct __kernel_timespec tick_ts;
	bool tick_oneshot; /* the kernel refused IORING_TIMEOUT_MULTISHOT (< 6.4) */
	struct rk_reactor_stats st;
	/* Pipes for SPLICE (src/engine/splice.c): fds, capacity, free stack. */
	int pipe_fd[RK_SPLICE_PIPES_MAX][2];
	uint32_t pipe_cap[RK_SPLICE_PIPES_MAX];
	uint8_t pipe_free[RK_SPLICE_PIPES_MAX];
	uint32_t npipes, pipe_nfree;
	struct rk_log log;
	struct rk_trace trace; /* used when cfg.trace_fd >= 0 */
};

/* Why the sockets are regular fds (rk_engine.direct_why). */
enum { RK_DIRECT_ON = 0, RK_DIRECT_FLAG, RK_DIRECT_KERNEL, RK_DIRECT_TABLE };

struct rk_engine {
	struct rk_engine_config cfg;
	uint16_t port;
	bool direct;                /* sockets are direct descriptors end to end */
	uint8_t direct_why;         /* RK_DIRECT_*: why not */
	uint32_t acc_nfixed;        /* the acceptor's table (acceptor mode, direct) */
	uint32_t fixed_per_reactor; /* each reactor's table size */
	struct rk_ring acc;         /* the acceptor's ring */
	struct rk_trace acc_trace;
	_Atomic int acc_fd; /* its fd, for rk_engine_stop() */
	uint32_t nreactors;
	struct rk_reactor *reactors;
	size_t map_len; /* everything below lives in one mapping */
};

/* Every completion function has this shape (c is NULL for REACTOR kinds). */
typedef void (*rk_op_fn)(struct rk_reactor *r, struct rk_conn *c, const struct io_uring_cqe *cqe);
#define RK_OP(name, scope, fn)                                                                     \
	void fn(struct rk_reactor *r, struct rk_conn *c, const struct io_uring_cqe *cqe);
#include "ops.def"
#undef RK_OP

/* res.c: the reactor's resources, for the files above it. The ones a
 * request takes several times are inline here (a call each would cost
 * more than their work); their slow parts stay in res.c. */
struct io_uring_sqe *rk_res_sqe(struct rk_reactor *r);
void rk_res_wake_chunk(struct rk_reactor *r);
void rk_res_buf_return(struct rk_reactor *r, uint16_t bid);
/* Room for n SQEs in a row (a link chain must not straddle a submit);
 * false only when the ring refuses SQEs. */
bool rk_res_sqe_room(struct rk_reactor *r, uint32_t n);
/* Cancel the request whose user_data is target; a CQE (ud) only if that
 * fails (IOSQE_CQE_SKIP_SUCCESS). */
void rk_res_cancel(struct rk_reactor *r, uint64_t target, uint64_t ud);
/* Fill in sqe->fd for connection c's socket (IOSQE_FIXED_FILE if fixed);
 * inline: every SQE of a connection asks, and the call costs more bytes. */
static inline void rk_res_sqe_fd(struct io_uring_sqe *sqe, const struct rk_conn *c)
{
	sqe->fd = c->fd;
	if (c->fixed)
		sqe->flags |= IOSQE_FIXED_FILE;
}
/* A pass over queue q: the next slot (its queued flag cleared), or RK_NONE
 * once the queue is empty, which is then reset. Slots queued during the
 * pass come in the same pass; when that fills the array, rk_res_defer
 * drops the entries the pass has taken. rk_res_stop ends a pass early,
 * keeping the slots not taken for the next batch. */
void rk_res_stop(struct rk_reactor *r, enum rk_q q);

/* Queue work for the end of this batch, once per connection and queue:
 * the check inline (a connection writes many times a batch), the queueing
 * in res.c. */
void rk_res_queue(struct rk_conn *c, enum rk_q q);
static inline void rk_res_defer(struct rk_conn *c, enum rk_q q)
{
	if (!c->queued[q])
		rk_res_queue(c, q);
}

static inline uint32_t rk_res_next(struct rk_reactor *r, enum rk_q q)
{
	if (r->qpos[q] >= r->nq[q]) {
		r->nq[q] = r->qpos[q] = 0;
		return RK_NONE;
	}
	uint32_t slot = r->q[q][r->qpos[q]++];
	r->conns[slot].queued[q] = false;
	return slot;
}

/* Work queued for the end of a batch that the loop must not sleep on. */
static inline bool rk_res_pending(const struct rk_reactor *r)
{
	return r->nq[RK_Q_DELIVER] || r->nq[RK_Q_FLUSH];
}

/* RK_NONE when none is free (chunks, entries, pieces). */
static inline uint32_t rk_res_chunk_get(struct rk_reactor *r)
{
	return rk_pool_get(&r->chunks);
}

static inline uint8_t *rk_res_chunk_addr(const struct rk_reactor *r, uint32_t i)
{
	return rk_pool_addr(&r->chunks, i);
}

static inline uint32_t rk_res_out_get(struct rk_reactor *r)
{
	return rk_pool_get(&r->outs_pool);
}

/* A chunk or an entry back: a connection waiting for one goes on. */
static inline void rk_res_chunk_put(struct rk_reactor *r, uint32_t i)
{
	rk_pool_put(&r->chunks, i);
	if (r->nq[RK_Q_CHUNK])
		rk_res_wake_chunk(r);
}

static inline void rk_res_out_put(struct rk_reactor *r, uint32_t i)
{
	rk_pool_put(&r->outs_pool, i);
	if (r->nq[RK_Q_CHUNK])
		rk_res_wake_chunk(r);
}

static inline uint32_t rk_res_piece_get(struct rk_reactor *r)
{
	return rk_pool_get(&r->pieces_pool);
}

static inline void rk_res_piece_put(struct rk_reactor *r, uint32_t i)
{
	rk_pool_put(&r->pieces_pool, i);
}

static inline void rk_res_buf_ref(struct rk_reactor *r, uint16_t bid)
{
	r->bref[bid]++;
}

/* The last reference goes: the buffer returns to the ring (res.c). */
static inline void rk_res_buf_unref(struct rk_reactor *r, uint16_t bid)
{
	if (!--r->bref[bid])
		rk_res_buf_return(r, bid);
}

/* pieces.c */
int rk_pieces_add(struct rk_conn *c, const struct rk_buf_seg *seg);
unsigned rk_pieces_deliver(struct rk_conn *c, struct rk_seg *out, unsigned max);
unsigned rk_pieces_held(const struct rk_conn *c, struct rk_seg *out, unsigned max);
void rk_pieces_release_held(struct rk_conn *c);
void rk_pieces_drop(struct rk_conn *c);
/* A CQE's buffer references without a connection to give them to. */
void rk_pieces_discard(struct rk_reactor *r, const struct rk_buf_seg *seg);

/* outq.c */
uint32_t rk_outq_push(struct rk_conn *c, enum rk_out_kind kind);
uint32_t rk_outq_insert(struct rk_conn *c, uint32_t prev, enum rk_out_kind kind);
void rk_outq_remove(struct rk_conn *c, uint32_t prev, int res);
void rk_outq_consume(struct rk_conn *c, uint64_t n, uint32_t zc_seq);
void rk_outq_pop(struct rk_conn *c, int res);
void rk_outq_zc_done(struct rk_conn *c, uint32_t upto);
void rk_outq_drop(struct rk_conn *c);

/* conn.c */
struct rk_conn *rk_conn_open(struct rk_reactor *r, int fd, bool fixed);
void rk_conn_begin_close(struct rk_conn *c, enum rk_close_reason why, bool abort);
void rk_conn_progress_close(struct rk_conn *c);
/* The SQEs after a connection's last send: SHUTDOWN(SHUT_WR) when asked
 * for; CANCEL + CLOSE when closing (after the send if `linked`, which the
 * caller has flagged IOSQE_IO_HARDLINK). True if anything was queued. */
bool rk_conn_finish_sqes(struct rk_conn *c, bool linked);
void rk_conn_check_eof(struct rk_conn *c);
void rk_conn_timeout_expired(struct rk_conn *c);
void rk_conn_zc_after_close(struct rk_conn *c);

/* log.c: write what the buffer holds (once a second, and at the end:
 * true while a write is still to come). */
bool rk_log_drain(struct rk_reactor *r);

/* file.c: start reading the file range after entry prev (RK_NONE: the
 * one at the head of the queue). */
void rk_file_read(struct rk_conn *c, uint32_t prev);

/* splice.c: the reactor's pipes (made at start-up, closed at the end);
 * whether the file range o goes by splice (large, and a pipe is free or
 * held), and starting the one at the head of the queue (false: read it). */
#define RK_SPLICE_MIN (64u << 10)
void rk_splice_init(struct rk_reactor *r);
void rk_splice_exit(struct rk_reactor *r);
bool rk_splice_wanted(const struct rk_conn *c, const struct rk_out *o);
bool rk_splice_start(struct rk_conn *c);

/* shutdown.c: SHUT_WR now (the queue has drained). */
void rk_shutdown_submit(struct rk_conn *c);
/* accept.c: --accept reactor, the reactor's own listeners and multishot
 * accepts: start (at set-up), stop (at STOP), the tick's re-arm, close. */
void rk_accept_start(struct rk_reactor *r);
void rk_accept_close(struct rk_reactor *r);
void rk_accept_stop(struct rk_reactor *r);
void rk_accept_tick(struct rk_reactor *r);

/* recv.c, send.c: their parts of the end of a batch, and arming. */
void rk_recv_arm(struct rk_conn *c);
void rk_recv_after_batch(struct rk_reactor *r);
void rk_send_after_batch(struct rk_reactor *r);

/* reactor.c */
int rk_reactor_main(void *arg);
void rk_reactor_handle_cqe(struct rk_reactor *r, const struct io_uring_cqe *cqe);
void rk_reactor_after_batch(struct rk_reactor *r);
void rk_reactor_print_stats(struct rk_reactor *r);

/* acceptor.c */
int rk_acceptor_run(struct rk_engine *e, int sigfd);

/* engine.c */
int64_t rk_now_mono(void); /* CLOCK_MONOTONIC in ms */
size_t rk_engine_ud_str(uint64_t ud, char *buf, size_t cap);
void rk_engine_trace_init(struct rk_engine *e, struct rk_ring *r, struct rk_trace *t,
			  const char *who, uint32_t id);

#endif
