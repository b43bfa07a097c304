/* tools/load/load.h - what rocket-load's files share: the options, the
 * target, the request buffer, and the per-connection and per-thread state.
 * Defined in tools/rocket-load.c. Read next: tools/load/conn.h (the ring
 * loop), tools/load/resp.h (response framing), tools/load/hist.h.
 */
#ifndef ROCKET_TOOLS_LOAD_H
#define ROCKET_TOOLS_LOAD_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "load/hist.h"
#include "rocket/bufring.h"
#include "rocket/ring.h"

#define LOAD_MAX_HEADERS 32
#define LOAD_MAX_TMPL    32           /* --raw templates */
#define LOAD_STASH_CAP   16384        /* a response head split over buffers */
#define LOAD_BUF_SIZE    16384        /* provided-buffer size */
#define LOAD_TICK_NS     100000000ULL /* longest wait in the loop: 100 ms */
#define LOAD_RETRY_NS    100000000ULL /* pause before retrying a failed connect */

/* ---- options and shared state (tools/rocket-load.c) ------------------------ */
struct load_opts {
	unsigned conns, threads, pipeline;
	unsigned per_conn; /* -r N: requests per connection, then reconnect (0: no limit) */
	double duration, warmup;
	const char *method, *body, *url;
	const char *body_file; /* --body-file: the body read from a file */
	const char *headers[LOAD_MAX_HEADERS];
	unsigned nheaders;
	const char *raw[LOAD_MAX_TMPL]; /* --raw FILE: whole requests as sent */
	unsigned nraw;
	bool rotate; /* --rotate: each request takes the next template (-p 1) */
	bool json;
	unsigned idle;       /* --idle N */
	bool first_response; /* --first-response */
	long long start_ns;  /* --start-ns (CLOCK_REALTIME), with --first-response */
	int server_cpu;      /* --server-cpu, for the spawned command */
	char **cmd;          /* after "--": the server to spawn */
};

extern struct load_opts g_opt;
extern struct sockaddr_storage g_addr;
extern socklen_t g_addrlen;
/* A request as sent: from -m/-H/-b/--body-file and the URL, or a --raw
 * file. Connection i starts with template i % g_ntmpl and takes the next
 * one on each reconnect (-r, or a close), so a mix rotates through both
 * connections and time. */
struct load_tmpl {
	const char *name; /* the --raw file, or the URL */
	char *buf;        /* pipeline + 1 copies of the request */
	uint32_t len;     /* one copy */
	bool head;        /* HEAD: responses carry no body */
};
extern struct load_tmpl g_tmpl[LOAD_MAX_TMPL];
extern unsigned g_ntmpl;
extern volatile sig_atomic_t g_stop;
extern atomic_uint g_idle_done;
extern uint64_t g_t0; /* set by main before the workers start their clocks */
extern pthread_barrier_t g_barrier;

static inline uint64_t load_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- per-thread state ------------------------------------------------------ */
struct load_stats {
	uint64_t req, bytes, status[6]; /* status[k]: kxx, status[0]: other */
	uint64_t t_req[LOAD_MAX_TMPL], t_status[LOAD_MAX_TMPL][6]; /* per template */
	uint64_t err_connect, err_read, err_write, err_parse, err_closed, reconnects;
	struct hist lat;
};
struct load_conn {
	int fd;
	uint32_t gen;     /* bumped on every reconnect: stale CQEs are ignored */
	uint8_t state;    /* P_*: where the response parser stands */
	bool send_busy;   /* one SEND in flight at a time keeps the bytes in order */
	bool dirty;       /* on the worker's flush list */
	bool dead;        /* waiting for a connect retry */
	bool close_after; /* the response said Connection: close */
	bool chunk_digit; /* a hex digit seen in this chunk-size line */
	int status;
	uint16_t tmpl;        /* index in g_tmpl of what this connection sends */
	uint32_t outstanding; /* requests queued or sent, not yet answered */
	uint32_t answered;    /* responses on this connection (-r) */
	uint32_t unsent;      /* bytes of those not yet handed to a SEND */
	uint32_t send_pos;    /* where in a request copy the next SEND starts */
	uint32_t ts_head;     /* oldest outstanding request's slot in ts[] */
	uint32_t line_len;
	uint64_t remain; /* body or chunk bytes still to come */
	uint64_t retry_at;
	uint64_t *ts;   /* pipeline slots: send time of each outstanding request */
	uint8_t *stash; /* a head split across buffers, copied */
	uint32_t stash_len;
	struct sockaddr_storage addr; /* IORING_OP_CONNECT reads it asynchronously */
};

struct load_worker {
	pthread_t th;
	unsigned id, nconn;
	unsigned first_conn; /* index of conns[0] among all connections */
	struct load_conn *conns;
	uint32_t *flush; /* connections with bytes to send */
	uint32_t nflush;
	struct rk_ring ring;
	struct rk_bufring br;
	bool recording, ready;
	uint64_t rec_start, stop, rec_end, next_retry;
	struct load_stats st;
	int err;
};

#endif
