/* include/rocket/engine.h - Rocket's engine: one acceptor thread, N reactor
 * threads, connections, and the application API on top of them.
 *
 * The acceptor owns the listening socket and a ring with one multishot
 * accept; it hands every accepted socket to the least-loaded reactor with
 * IORING_OP_MSG_RING (the reactor's own ring wakes up: no locks, no queues).
 * Sockets are direct descriptors where the kernel has IORING_MSG_SEND_FD
 * (6.0): accepted into the acceptor's fixed-file table, sent into the
 * reactor's, never a regular fd. With accept_mode RK_ACCEPT_REACTOR every
 * reactor accepts on a SO_REUSEPORT listener of its own instead (one hop
 * less; the kernel's hash, not the load, spreads the connections). Each
 * reactor owns a ring, a provided-buffer ring and a table of connections,
 * and runs one multishot recv per connection.
 *
 * Buffer lifetime is part of this API: on_data() hands the application the
 * received bytes as segments that point into the reactor's buffer ring. They
 * stay valid, and out of the kernel's reach, until the application calls
 * rk_conn_release(). Until then no further data is delivered for that
 * connection (one read at a time); what arrives meanwhile waits, in order.
 * Every callback runs on the connection's reactor thread; every rk_conn_*
 * call must be made there too.
 * Read next: src/engine/internal.h.
 */
#ifndef ROCKET_ENGINE_H
#define ROCKET_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rk_engine;
struct io_uring_sqe;
struct rk_conn;

struct rk_seg {
	const uint8_t *p;
	uint32_t len;
};

/* Why a connection ended (on_close's reason). */
enum rk_close_reason {
	RK_CLOSE_APP = 0,  /* rk_conn_close() */
	RK_CLOSE_EOF,      /* the peer closed its side */
	RK_CLOSE_ERROR,    /* reset, or a failed send/recv */
	RK_CLOSE_TIMEOUT,  /* its timeout fired and on_timeout did not rearm */
	RK_CLOSE_SHUTDOWN, /* the server is stopping */
};

/* A connection's handler table (redis ae's callback + clientData, per
 * connection): the engine-wide one below is every connection's at first;
 * rk_conn_set_handler() gives one connection another (e.g. a proxy's
 * upstream side). on_open, on_tick and on_reactor_start/stop are read from the
 * engine-wide table only. */
struct rk_handler {
	/* A connection arrived; its app state (app_state_size bytes) is
	 * zeroed. Return 0 to keep it, or negative to close it at once. */
	int (*on_open)(struct rk_conn *c);
	/* Received bytes, in order, as n segments (n >= 1). They belong to
	 * the application until rk_conn_release(c). */
	void (*on_data)(struct rk_conn *c, const struct rk_seg *segs, unsigned n);
	/* Write space came free after rk_conn_write() accepted less than
	 * asked, or after rk_conn_wait_writable() (optional). */
	void (*on_writable)(struct rk_conn *c);
	/* The timeout set with rk_conn_set_timeout_ms() expired (optional;
	 * when absent the connection is closed). */
	void (*on_timeout)(struct rk_conn *c);
	/* The connection is closing: from now on nothing is delivered and
	 * writes fail. Its app state stays valid until the last operation
	 * the handler submitted has completed (on_op). Held segments are
	 * taken back by the engine. */
	void (*on_close)(struct rk_conn *c, enum rk_close_reason why);
	/* An operation the handler submitted with rk_conn_op_sqe() completed:
	 * the CQE's res and flags, and the tag given at submission. Called
	 * for every such operation, also after on_close (so what it produced,
	 * e.g. an opened fd, can be released). */
	void (*on_op)(struct rk_conn *c, uint8_t tag, int32_t res, uint32_t flags);
	/* Once a second on each reactor (at the tick that sees the unix
	 * second change; optional): now = unix time. */
	void (*on_tick)(void *ctx, void *reactor_state, int64_t now);
	/* Once on each reactor thread before it serves (optional). */
	void (*on_reactor_start)(void *ctx, void *reactor_state, uint32_t reactor_id);
	/* Once on each reactor thread after its last connection closed
	 * (optional): give back what on_reactor_start took (fds). */
	void (*on_reactor_stop)(void *ctx, void *reactor_state, uint32_t reactor_id);
	void *ctx; /* the application's: rk_conn_ctx() and the two above */
};

/* Called once the engine no longer needs memory or a file it was lent
 * (rk_conn_send_ref, rk_conn_send_file): res is 0 when every byte was sent,
 * else -errno (the connection closed first). */
typedef void (*rk_done_fn)(void *arg, int res);

/* At most this many segments per on_data call; the rest follow after
 * rk_conn_release(). */
#define RK_DELIVER_MAX 64

#define RK_SPLICE_PIPES_MAX     64
#define RK_SPLICE_PIPES_DEFAULT 8

/* At most this many listening sockets (listen_fds below). */
#define RK_MAX_LISTEN 16

/* Sizes for this machine (rk_engine_resolve): connections per reactor are
 * RK_CONNS_TOTAL / reactors, within [RK_CONNS_MIN, RK_CONNS_MAX]; send
 * chunks are half of them. So the process's mapping stays about the same
 * whatever the number of CPUs: 64 reactors map under 2 GB. */
#define RK_CONNS_TOTAL 32768u
#define RK_CONNS_MIN   256u
#define RK_CONNS_MAX   16384u

/* The longest line rk_conn_log_line() takes; cfg.log_buffer is at least this
 * (PIPE_BUF: a write of one buffer to a pipe is never split). */
#define RK_LOG_LINE_MAX 4096u

/* Bytes of a peer address as text (rk_conn_peer): INET6_ADDRSTRLEN. */
#define RK_PEER_MAX 46

/* Who accepts (rk_engine_config.accept_mode). */
enum rk_accept_mode {
	RK_ACCEPT_ACCEPTOR = 0, /* one acceptor thread, hand-off to the least-loaded reactor */
	RK_ACCEPT_REACTOR,      /* each reactor on its own SO_REUSEPORT listener */
	RK_ACCEPT_AUTO,         /* reactor with one reactor (nothing to balance), else acceptor */
};

struct rk_engine_config {
	const char *bind; /* "::" (dual stack), "0.0.0.0", "127.0.0.1", "::1" */
	uint16_t port;    /* 0: any free port (see rk_engine_port) */
	int backlog;
	/* Listening sockets the caller opened (several addresses, systemd
	 * socket activation): with nlisten > 0 the engine serves these, one
	 * multishot accept each, and bind/port/backlog are not used. They are
	 * the engine's to close once rk_engine_create has succeeded. */
	int listen_fds[RK_MAX_LISTEN];
	uint32_t nlisten;
	/* Called once on rk_engine_run's thread when every reactor is up and
	 * the listeners are about to be armed (optional): sd_notify READY=1. */
	void (*on_ready)(void *arg);
	void *ready_arg;
	uint32_t reactors;     /* 0: one per CPU */
	uint32_t ring_entries; /* SQ size per reactor */
	uint32_t cq_entries;   /* CQ size per reactor (0: 4 x ring_entries) */
	uint32_t buffers;      /* provided buffers per reactor (power of two;
	                              0: 2048, 1024 under 1024 max_conns) */
	uint32_t buffer_size;  /* bytes per buffer */
	uint32_t batch;        /* CQEs handled before flushing sends */
	uint32_t max_conns;    /* connections per reactor (0: for this machine) */
	uint32_t send_buffer;  /* bytes of one send chunk (copied writes, file reads) */
	uint32_t send_chunks;  /* send chunks per reactor (0: max_conns / 2) */
	uint32_t send_window;  /* copied bytes a connection may queue (0: one chunk) */
	uint32_t recv_share;   /* received pieces one connection may hold before
	                              its receive pauses (0: buffers / 8, at least 4) */
	bool send_zc;          /* IORING_OP_SEND_ZC for sends (6.0+) */
	/* File ranges of RK_SPLICE_MIN bytes or more go by IORING_OP_SPLICE
	 * through one of splice_pipes pipes per reactor (at most
	 * RK_SPLICE_PIPES_MAX; 0: every range is READ into a send chunk, then
	 * sent), each of splice_pipe_size bytes (F_SETPIPE_SZ). */
	uint32_t splice_pipes;
	uint32_t splice_pipe_size;
	bool incremental; /* incremental buffer consumption (6.12+), where granted */
	bool sqpoll;
	int sqpoll_cpu; /* -1: not pinned */
	uint32_t sq_idle_ms;
	bool no_defer_taskrun;
	bool no_direct;      /* regular fds, not direct descriptors (fixed files) */
	uint8_t accept_mode; /* enum rk_accept_mode */
	bool bundle;         /* IORING_RECVSEND_BUNDLE receives */
	bool pin;            /* reactor i on CPU i */
	bool signals;        /* SIGINT/SIGTERM stop, SIGUSR1 stats (signalfd) */
	bool quiet;          /* no start-up line, no stats at exit */
	int trace_fd;        /* --trace: decode every SQE/CQE to this fd (-1: off) */
	/* The access log (rk_conn_log_line): lines appended to log_fd (-1:
	 * off; the caller's, opened O_APPEND) through two log_buffer-byte
	 * buffers per reactor. With log_path, SIGHUP opens the path again
	 * (logrotate) and dup3(2)s the new file onto log_fd. */
	int log_fd;
	uint32_t log_buffer;
	const char *log_path;
	uint32_t app_state_size;     /* per-connection application bytes */
	uint32_t app_state_clear;    /* of which zeroed at open (0: all of it) */
	uint64_t reactor_state_size; /* per-reactor application bytes */
	struct rk_handler handler;
};

/* Defaults for every field (port 8080, dual stack, one reactor per CPU...). */
void rk_engine_defaults(struct rk_engine_config *cfg);
/* Turn the 0s that mean "for this machine" into numbers: reactors (one per
 * CPU), max_conns (RK_CONNS_TOTAL / reactors), send_chunks, buffers. Done by
 * rk_engine_create, and before it by whoever sizes things by them. */
void rk_engine_resolve(struct rk_engine_config *cfg);

/* Validate cfg, map all memory, open the listening socket. 0 or -errno. */
int rk_engine_create(struct rk_engine **out, const struct rk_engine_config *cfg);
/* Port actually bound (useful with port 0). */
uint16_t rk_engine_port(const struct rk_engine *e);
/* Run the acceptor on the calling thread and the reactors on their own,
 * until SIGINT/SIGTERM (with cfg.signals) or rk_engine_stop(). Open
 * connections get their responses finished, then are closed. Returns 0. */
int rk_engine_run(struct rk_engine *e);
/* Ask a running engine to stop; callable from any thread. 0 or -errno. */
int rk_engine_stop(struct rk_engine *e);
/* Unmap everything; the engine must not be running. */
void rk_engine_destroy(struct rk_engine *e);

/* Counters of one reactor (read them after rk_engine_run returns). */
struct rk_reactor_stats {
	uint64_t accepted, closed, rejected;
	uint64_t bytes_in, bytes_out, recv_cqes, sends;
	uint64_t enobufs, rearms, stale_cqes;
	uint64_t recv_pauses;            /* receives paused: the connection held its share */
	uint64_t file_reads, file_short; /* file-range reads; files that ended early */
	uint64_t splices;                /* SPLICE operations (file -> pipe, pipe -> socket) */
	uint64_t zc_notifs;              /* SEND_ZC notifications */
	uint64_t out_waits;              /* writes that waited for a free send chunk */
	uint64_t piece_overflow;         /* connections aborted: no free piece (never, if sized) */
	uint64_t close_errors, submit_errors; /* failed closes; enters that failed */
	uint64_t fixed_slots;                 /* direct-descriptor table size (0: regular fds) */
	uint64_t fixed_free; /* of which free at exit (the kernel's answer: all, if none leaked) */
	uint64_t cqes, enters, overflows;
	uint64_t requests; /* counted by the application (rk_conn_count_request) */
	uint64_t log_lines, log_dropped,
		log_errors; /* access-log lines taken; lost; failed writes */
};
int rk_engine_reactor_stats(const struct rk_engine *e, uint32_t i, struct rk_reactor_stats *out);
uint32_t rk_engine_reactor_count(const struct rk_engine *e);

/* ---- connection API (reactor thread only) ------------------------------- */

/* Give back every segment delivered so far. */
void rk_conn_release(struct rk_conn *c);
/* The segments delivered and not yet released, again (the array on_data
 * got is valid only during that call). Returns how many were written. */
unsigned rk_conn_held(struct rk_conn *c, struct rk_seg *out, unsigned max);
/* ---- the output queue -----------------------------------------------------
 * A response is a queue of pieces sent in order: copied bytes (into send
 * chunks lent by the reactor), borrowed bytes (memory the application keeps
 * alive until `done`), and file ranges (read through the ring into a chunk,
 * one chunk at a time, then sent). The engine sends once per batch of
 * completions, one send in flight per connection. */

/* Copy bytes into the queue. Returns the number accepted: all of them,
 * unless the connection has send_window bytes of copies queued or the
 * reactor has no free chunk (then on_writable says when to go on); -EPIPE
 * when the connection is closing. */
long rk_conn_write(struct rk_conn *c, const void *p, size_t n);
long rk_conn_writev(struct rk_conn *c, const struct rk_seg *v, unsigned n);
/* Queue n bytes at p without copying; p stays the application's to keep
 * alive (and unchanged) until done(arg, res) is called (done may be NULL
 * for static memory). 0, -EPIPE (closing: done is not called) or -ENOBUFS
 * (no free queue entry: try again from on_writable). */
int rk_conn_send_ref(struct rk_conn *c, const void *p, size_t n, rk_done_fn done, void *arg);
/* Queue len bytes of the file fd from offset off. The fd must stay open
 * until done(arg, res). A file that ends before off + len aborts the
 * connection (the promised length cannot be kept; counted as file_short).
 * Same results as rk_conn_send_ref. */
int rk_conn_send_file(struct rk_conn *c, int fd, uint64_t off, uint64_t len, rk_done_fn done,
		      void *arg);
/* How many more bytes rk_conn_write() would accept now. */
uint32_t rk_conn_write_space(const struct rk_conn *c);
/* Bytes queued and not yet sent (copies, borrowed bytes and file ranges). */
uint64_t rk_conn_queued(const struct rk_conn *c);
/* Ask for on_writable once copied bytes queued fall to half the window
 * and the free send chunks can take that half (at the end of this batch
 * if both hold already). */
void rk_conn_wait_writable(struct rk_conn *c);

/* ---- operations of the handler's own ---------------------------------------
 * An SQE for this connection's handler to fill (opcode, fd, addr, ...; leave
 * user_data alone): its completion comes back as on_op(c, tag, res, flags).
 * The connection's slot is not reused before it has. NULL when the
 * connection is no longer open. */
struct io_uring_sqe *rk_conn_op_sqe(struct rk_conn *c, uint8_t tag);
/* The connection's socket for an SQE of the handler's own: a regular fd
 * (*fixed = false), or a direct descriptor - an index into the reactor's
 * fixed-file table, to be used with IOSQE_FIXED_FILE (*fixed = true). */
int rk_conn_fd(const struct rk_conn *c, bool *fixed);
/* Give this connection another handler table and context. */
void rk_conn_set_handler(struct rk_conn *c, const struct rk_handler *h, void *ctx);

/* Close after what was written has been sent. Held segments go back to
 * the kernel at once: do not read them after closing. */
void rk_conn_close(struct rk_conn *c);
/* The first stage of a close (RFC 9112 §9.6): once everything written
 * has been sent, shut down the write side (IORING_OP_SHUTDOWN, SHUT_WR),
 * so the peer reads EOF after the last byte; writes fail with -EPIPE from
 * now on. Receiving goes on: read and drop what the peer still sends
 * (closing with unread input makes the kernel send a reset, which can
 * destroy answers the peer has not read yet), then rk_conn_close() once
 * the peer has closed (on_close, RK_CLOSE_EOF), or after a bound. */
void rk_conn_shutdown_write(struct rk_conn *c);
/* Close now, dropping unsent bytes. */
void rk_conn_abort(struct rk_conn *c);
/* Call on_timeout ms milliseconds from now, or later (0: never); rearm to
 * extend. Never early: the monotonic clock is read at the first tick
 * after the call (a tick comes every RK_TICK_MS), so setting a deadline,
 * once per request, costs neither a clock read nor an SQE; it fires at
 * most two ticks late. Also kept while the connection is closing (e.g.
 * set from on_close): then its expiry aborts the close (unsent bytes are
 * dropped), so a peer that never reads cannot hold a slot forever. */
#define RK_TICK_MS 100
void rk_conn_set_timeout_ms(struct rk_conn *c, uint64_t ms);
/* The same, counted from the last time queued bytes went out (checked
 * every tick): a linger that ends a peer that stops reading, not one that
 * reads a long last answer slowly. */
void rk_conn_set_linger_ms(struct rk_conn *c, uint64_t ms);
void *rk_conn_app(struct rk_conn *c);
void *rk_conn_ctx(const struct rk_conn *c);
void *rk_conn_reactor_state(struct rk_conn *c);
uint32_t rk_conn_reactor_id(const struct rk_conn *c);
void rk_conn_count_request(struct rk_conn *c, uint32_t n);
/* Bytes ever queued on this connection (copies, borrowed bytes, files). */
uint64_t rk_conn_out_total(const struct rk_conn *c);

/* ---- the access log --------------------------------------------------------
 * Room for one whole line of n bytes (ending in '\n', at most
 * RK_LOG_LINE_MAX) in the reactor's log buffer, to be filled at once,
 * before the next engine call: the buffer is written (IORING_OP_WRITE)
 * once full or once a second, and at the end. Never blocks: NULL when both
 * buffers wait for the disk (the line is dropped and counted) or the log
 * is off. */
char *rk_conn_log_line(struct rk_conn *c, uint32_t n);
/* The peer's address as text ("192.0.2.1", "2001:db8::1"; an IPv4 client
 * on a dual-stack socket as IPv4), asked of the kernel once per connection
 * (getpeername(2); at open when the access log is on) and kept; "-" if it
 * cannot be had. */
struct rk_seg rk_conn_peer(struct rk_conn *c);

#endif
