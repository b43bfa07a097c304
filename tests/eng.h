/* tests/eng.h - what the engine's tests share: an echo application on the
 * rk_conn_* API, the engine started and stopped on a thread, loopback
 * client helpers, a byte-pattern generator and checker, and concurrent echo
 * clients. Linked into every test binary (tests/eng.c); follows
 * include/rocket/engine.h. Read next: tests/test_engine.c.
 */
#ifndef ROCKET_TEST_ENG_H
#define ROCKET_TEST_ENG_H

#include "rocket/engine.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- the echo application ------------------------------------------------- */

/* Segments are valid only during on_data, the bytes they point at until
 * rk_conn_release(): keep a copy of the array, write from it, release once
 * every byte is in the send buffer. */
struct echo {
	struct rk_seg segs[RK_DELIVER_MAX];
	unsigned n, i;
	uint32_t off;
};

extern _Atomic uint64_t echo_writable_calls, echo_short_writes, echo_callbacks;

void echo_on_data(struct rk_conn *c, const struct rk_seg *segs, unsigned n);
void echo_on_writable(struct rk_conn *c);

/* Defaults on loopback (127.0.0.1, any port), quiet, no signals, and the
 * echo application. */
void engine_config(struct rk_engine_config *cfg, uint32_t reactors, uint32_t max_conns);

/* ---- the engine on a thread ----------------------------------------------- */

struct eng {
	struct rk_engine *e;
	pthread_t th;
	int ret;
	uint16_t port;
	int family;
	_Atomic bool ready; /* every reactor is up (the engine's on_ready) */
};

/* Create the engine, run it on a thread, and return once every reactor is
 * up (its ring, buffers, pipes and listener made): a test counting fds
 * or memory from here on sees none of the start-up's. */
void eng_start(struct eng *g, const struct rk_engine_config *cfg);
/* Stop and join; every counter of the reactors added up in sum (per
 * reactor in per[] when given). The engine stays mapped: its reactors'
 * fields may be read until eng_destroy(). */
void eng_join(struct eng *g, struct rk_reactor_stats *sum, struct rk_reactor_stats *per);
void eng_destroy(struct eng *g);
/* eng_join, then eng_destroy. */
void eng_stop(struct eng *g, struct rk_reactor_stats *sum, struct rk_reactor_stats *per);

/* ---- loopback client helpers ---------------------------------------------- */

int tcp_socket(int family, int rcvbuf);
void eng_tcp_connect(int fd, const struct eng *g);
/* The engine serves a listener of ours on 127.0.0.1 whose accepted
 * sockets have SO_SNDBUF sndbuf (the kernel doubles it) instead of the
 * autotuned up to 4 MiB: a thousand slow readers of such sockets would
 * take some 2 GiB of the kernel's TCP memory (net.ipv4.tcp_mem), enough
 * that the kernel resets connections of tests running beside. */
void engine_listen_small(struct rk_engine_config *cfg, int sndbuf);
int tcp_dial(const struct eng *g, int rcvbuf);
void set_nonblock(int fd);
/* close() after SO_LINGER {1, 0}: the kernel sends RST, not FIN. */
void tcp_reset(int fd);
void raise_fd_limit(void);
int count_fds(void);
/* VmRSS of this process in KiB (/proc/self/status). */
long rss_kib(void);
/* read(2) and write(2) that go on after EINTR. On a socket with
 * SO_RCVTIMEO or SO_SNDTIMEO a wait is not restarted but fails with EINTR
 * when task work of an io_uring this thread submitted to arrives
 * (TIF_NOTIFY_SIGNAL, see sock_intr_errno() in include/net/sock.h). */
ssize_t eng_read(int fd, void *buf, size_t n);
ssize_t eng_write(int fd, const void *buf, size_t n);
/* The first MiB of a file (an engine's --trace), NUL-terminated, in a
 * static buffer: valid until the next call. */
char *slurp_fd(int fd);
/* CLOCK_MONOTONIC in milliseconds. */
double now_ms(void);

uint32_t rnd(void);
/* Uniform-ish in [lo, hi]. */
uint32_t rnd_in(uint32_t lo, uint32_t hi);

/* ---- byte patterns ---------------------------------------------------------- */

/* The byte stream of one connection: a random table read from a
 * per-connection start, so a byte out of order, repeated, lost or from
 * another connection does not match. */
#define PAT_LEN 1048573u /* prime: no short period against message sizes */
extern uint8_t *pat_table;

void pat_init(void);
/* Fill buf with bytes [pos, pos + n) of stream `seed`. */
void pat_fill(uint8_t *buf, uint32_t seed, uint64_t pos, size_t n);
/* Where byte pos of stream `seed` sits in pat_table, and how many bytes
 * follow it there without a wrap. */
const uint8_t *pat_at(uint32_t seed, uint64_t pos, size_t *run);
/* Index of the first byte of buf that is not [pos, pos + n) of `seed`, or -1. */
long pat_check(const uint8_t *buf, uint32_t seed, uint64_t pos, size_t n);

/* ---- concurrent echo clients: one epoll loop, nonblocking sockets --------- */

#define MAX_MSGS 8

struct cli {
	int fd;
	uint32_t seed;
	uint32_t nmsg, mi;      /* messages, the one being sent */
	uint32_t msg[MAX_MSGS]; /* their sizes */
	uint64_t total, sent, rcvd, msg_end;
	bool writing;
};

/* Plan `n` connections with nmin..nmax messages of smin..smax bytes. */
struct cli *cli_plan(unsigned n, uint32_t nmin, uint32_t nmax, uint32_t smin, uint32_t smax,
		     uint64_t *total);
/* Connect all, then send every message and read every echo concurrently;
 * each byte is checked against the stream. Closes each socket once its
 * whole stream came back. */
void cli_run(const struct eng *g, struct cli *cs, unsigned n);
/* One connection, one message, its echo back (blocking). */
void echo_once(const struct eng *g, int fd, uint32_t seed, size_t n);

#endif
