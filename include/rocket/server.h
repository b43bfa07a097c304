/* include/rocket/server.h - Rocket's HTTP/1.1 server on top of the engine:
 * pipelining, keep-alive, bodies, timeouts, error responses, and routes.
 *
 * A route is a method + a path (exact, or a prefix) + a function, and a
 * context pointer of its own. The function answers with one of the
 * rk_server_respond*() calls, starts a stream, or defers; everything else -
 * framing, Date and Server fields, keep-alive, HEAD, 100-continue, limits,
 * 404/405/OPTIONS with Allow, the path's normalization - is done for it.
 * Requests on a connection are answered in order: the next pipelined
 * request is not even parsed before the current answer is complete.
 *
 * The commit rule: no status line is sent before the request is known
 * valid. A body of up to max_body_buffer bytes is read and validated whole
 * (Content-Length or chunked, trailers included) before the route's fn is
 * called - for either kind of route - so a malformed body gets a 400, not a
 * 200 cut short. Only a streamed route's body past the buffer reaches the
 * route while it is still arriving; a framing error after that ends the
 * connection without a further response (the answer begun stays short: no
 * last chunk, or fewer bytes than its Content-Length).
 *
 *   static int hello(struct rk_server_req *q)
 *   {
 *       return rk_server_respond(q, 200, "text/plain", "hi\n", 3);
 *   }
 *   static const struct rk_route routes[] = {
 *       { .method = RK_HTTP_GET, .path = "/hi", .fn = hello },
 *       { 0 },
 *   };
 *   ... hc.routes = routes; rk_server_setup(&engine_cfg, &hc);
 *
 * Read next: src/http/internal.h.
 */
#ifndef ROCKET_SERVER_H
#define ROCKET_SERVER_H

#include <stdint.h>

#include "engine.h"
#include "http.h"

struct rk_server_req;

/* Called once the whole body is in (validated), or at head time for a
 * request without a body; for RK_BODY_STREAMED also once a body outgrows
 * max_body_buffer (or says so by its Content-Length). 0 or -errno; a
 * route that returns without answering, streaming or deferring gets a 500
 * for it. */
typedef int (*rk_route_fn)(struct rk_server_req *q);
/* RK_BODY_STREAMED: n (> 0) bytes of the decoded body, in order. Returns
 * how many it took (0..n); the rest is offered again once write space
 * frees or after rk_server_resume(). Negative: the connection is closed. */
typedef long (*rk_route_body_fn)(struct rk_server_req *q, const uint8_t *p, uint32_t n);
/* RK_BODY_STREAMED: the body is complete (also for an empty body). */
typedef int (*rk_route_end_fn)(struct rk_server_req *q);
/* A streaming producer: write space came free (after a short
 * rk_server_stream_write() or rk_server_wait_writable()). */
typedef void (*rk_route_writable_fn)(struct rk_server_req *q);
/* An operation submitted with rk_server_op_sqe() completed. Called also
 * after the connection closed (rk_server_closed() says so), so what the
 * operation produced, e.g. an fd, can be released. */
typedef void (*rk_route_op_fn)(struct rk_server_req *q, uint8_t tag, int32_t res, uint32_t flags);

enum rk_route_match {
	RK_ROUTE_EXACT = 0, /* the path is exactly `path` */
	RK_ROUTE_PREFIX,    /* the path starts with `path`: "/static/" takes
	                       "/static/a/b" (rk_server_rest() = "a/b") */
};

enum rk_route_body {
	/* The route is called once, with the whole body (rk_server_body()),
	 * at most max_body_buffer bytes (else 413), already validated: no
	 * status line is sent before the last body byte has been read. */
	RK_BODY_BUFFERED = 0,
	/* Gathered like a buffered body up to max_body_buffer, then the route
	 * is called, and on_body gets the body in pieces (what was gathered
	 * first, then the rest as it arrives) and on_end at its end (no
	 * on_body: the body is dropped). Past the buffer it may answer before
	 * the body is complete; uploads of any size in bounded memory. */
	RK_BODY_STREAMED,
};

/* Routes are tried in order; the first whose path and method match wins.
 * A GET route also answers HEAD. The table ends with a zero path. */
struct rk_route {
	enum rk_http_method method;
	const char *path;
	rk_route_fn fn;
	enum rk_route_match match;
	enum rk_route_body body;
	void *ctx;                        /* rk_server_ctx() */
	rk_route_body_fn on_body;         /* RK_BODY_STREAMED */
	rk_route_end_fn on_end;           /* RK_BODY_STREAMED (optional) */
	rk_route_writable_fn on_writable; /* streams and deferred answers (optional) */
	rk_route_op_fn on_op;             /* with rk_server_op_sqe() */
};

/* Every bound a client meets: the lengths of rk_http_limits (request line
 * 414; a field line, all of them, their number, trailers 431; chunk line
 * 400; chunks per body 413), the body's (413) and the times (408). What is
 * pipelined behind an unfinished answer is not read ahead without bound:
 * the session holds what it has, and the engine stops receiving once a
 * connection holds recv_share pieces (rk_engine_config). */
struct rk_server_config {
	struct rk_http_limits limits;
	uint32_t max_body;             /* bytes of any body, else 413 */
	uint32_t max_body_buffer;      /* bytes gathered before a route is called;
	                               an RK_BODY_BUFFERED body past it: 413 */
	uint32_t body_buffers;         /* bodies gathered at once per reactor (else 503) */
	uint32_t state_size;           /* bytes of rk_server_state() per connection */
	uint32_t header_timeout;       /* s to receive a whole request head, else 408 */
	uint32_t body_timeout;         /* s to receive a whole body, else 408 (or a
	                               close, once an answer has begun) */
	uint32_t idle_timeout;         /* s a connection may wait or make no progress */
	uint32_t linger_timeout;       /* s a closing connection gets: to be read by a
	                               slow peer, and to drop what the peer still
	                               sends after the last answer, then abort */
	const struct rk_route *routes; /* NULL: the built-in routes below */
	bool access_log;               /* a line per answer (the engine's log_fd) */
	/* Static routes' cache of open files, per reactor (src/http/fcache.c):
	 * names looked up within the same second cost no open/stat/close; of
	 * files up to file_cache / 4 bytes, the bytes are kept, file_cache in
	 * all. 0 entries: no cache; 0 bytes: fds and statx only. Both 0 in
	 * rk_server_defaults(); `rocket` uses the RK_SERVER_DEFAULT_FILE_CACHE*
	 * below with --root or --mount. */
	uint32_t file_cache_entries;
	uint32_t file_cache; /* bytes per reactor */
	uint32_t max_conns;  /* filled by rk_server_setup() */
};
#define RK_SERVER_DEFAULT_MAX_BODY_BUFFER    (64u << 10)
#define RK_SERVER_DEFAULT_MAX_FIELD          8192u /* as nginx's header buffers */
#define RK_SERVER_DEFAULT_BODY_BUFFERS       64u
#define RK_SERVER_DEFAULT_FILE_CACHE_ENTRIES 256u
#define RK_SERVER_DEFAULT_FILE_CACHE         (4u << 20)

/* Built-in routes: GET /plaintext, GET /json, GET|HEAD|OPTIONS /, POST /
 * (echoes the body: whole once validated, or as it arrives past
 * max_body_buffer), POST /echo (the request's headers as "Name: Value"
 * lines); anything else 404. */
extern const struct rk_route rk_server_default_routes[];

void rk_server_defaults(struct rk_server_config *hc);
/* Fill the engine's handler and per-connection sizes for this server; call
 * it after the engine's sizes are set. The server keeps a pointer to hc: it
 * must outlive the engine. 0, or a combination that cannot work:
 *   -EOVERFLOW  limits.max_head over 1 GiB, or state_size too large;
 *   -ENOSPC     the send chunks (send_chunks, 0: max_conns, x send_buffer)
 *               cannot hold one answer's reserve (max_head and some 2.6 KiB
 *               of response head) or half the send window: every request
 *               would wait for write space forever. */
int rk_server_setup(struct rk_engine_config *cfg, struct rk_server_config *hc);

/* ---- the request ---------------------------------------------------------
 * The head (and every view taken from it) is valid while the route's fn
 * runs; copy what a deferred answer or a streamed body needs later into
 * rk_server_state(). `q` itself stays valid until the request is complete.
 *
 *   static int show(struct rk_server_req *q)  // { .method = RK_HTTP_GET,
 *   {                                         //   .path = "/u/", .fn = show,
 *                                             //   .match = RK_ROUTE_PREFIX }
 *       struct rk_http_str id = rk_server_rest(q);  // "/u/42?x=1" -> "42"
 *       struct rk_http_str ua = rk_server_header(q, "User-Agent");
 *       ...
 *   }
 */
const struct rk_http_request *rk_server_request(const struct rk_server_req *q);
struct rk_http_str rk_server_target(const struct rk_server_req *q); /* raw */
/* The path routes match: percent-decoded, dot-segments removed (the raw
 * one if it needed neither); a target whose path is malformed (a bad or
 * encoded NUL, '/' or '\' escape) got a 400 and no route, one whose path
 * needed normalizing and is longer than RK_SERVER_MAX_PATH a 414. */
#define RK_SERVER_MAX_PATH 8192
struct rk_http_str rk_server_path(const struct rk_server_req *q);
struct rk_http_str rk_server_query(const struct rk_server_req *q); /* raw, after '?' */
/* What a prefix route's path left over (empty for an exact route). */
struct rk_http_str rk_server_rest(const struct rk_server_req *q);
/* The value of the first field named `name` (any case); {NULL, 0} if none. */
struct rk_http_str rk_server_header(const struct rk_server_req *q, const char *name);
/* RK_BODY_BUFFERED: the whole decoded body, valid during fn. */
struct rk_http_str rk_server_body(const struct rk_server_req *q);
void *rk_server_ctx(const struct rk_server_req *q);
/* state_size bytes of the connection's own, not zeroed. */
void *rk_server_state(struct rk_server_req *q);
/* The connection is closing: answers fail; release what the route holds. */
bool rk_server_closed(const struct rk_server_req *q);

/* ---- answering -----------------------------------------------------------
 * Every answer is a status, a content type (NULL: none) and a body; the
 * content type and added fields must be valid field values (no CR, LF or
 * NUL, at most RK_SERVER_MAX_CTYPE bytes): -EINVAL otherwise, nothing is
 * cut. Each returns 0 or -errno (-EALREADY: answered already). */
#define RK_SERVER_MAX_CTYPE  255
#define RK_SERVER_MAX_FIELDS 1024 /* bytes of all added fields of one answer */

/* A field for the answer about to be written, e.g.
 *   rk_server_add_header(q, "Cache-Control", "no-store");
 * -EINVAL for a name that is not a token or a value with CR/LF/NUL;
 * -ENOSPC past RK_SERVER_MAX_FIELDS. */
int rk_server_add_header(struct rk_server_req *q, const char *name, const char *value);

/* A body copied from memory. What does not fit the write space now is
 * copied as it frees, from the same memory: a body longer than
 * rk_server_write_space(q) must stay valid until the request is complete
 * (static data, ctx, rk_server_state()). A route's fn always has at least
 * RK_SERVER_MIN_SPACE of write space, so a small body may live on its stack. */
#define RK_SERVER_MIN_SPACE 4096u
int rk_server_respond(struct rk_server_req *q, int status, const char *content_type,
		      const void *body, uint32_t len);
/* The same with a body in pieces, total bytes long (the array, too, must
 * stay valid when the pieces do not fit the write space). */
int rk_server_respond_v(struct rk_server_req *q, int status, const char *content_type,
			const struct rk_seg *body, unsigned n, uint64_t total);
/* A body the route keeps alive and unchanged until done(arg, res) (done may
 * be NULL). Nothing is copied:
 *   rk_server_respond_ref(q, 200, "application/octet-stream", blob, size, 0, 0);
 * Once this returned 0, done is called exactly once (at once for HEAD). */
int rk_server_respond_ref(struct rk_server_req *q, int status, const char *content_type,
			  const void *body, uint64_t len, rk_done_fn done, void *arg);
/* len bytes of the file fd from off; fd must stay open until done. */
int rk_server_respond_file(struct rk_server_req *q, int status, const char *content_type, int fd,
			   uint64_t off, uint64_t len, rk_done_fn done, void *arg);

/* A body written in pieces: length bytes (Content-Length), or of unknown
 * length with RK_SERVER_CHUNKED (chunked; close-delimited for HTTP/1.0):
 *   rk_server_stream_begin(q, 200, "text/plain", RK_SERVER_CHUNKED);
 *   k = rk_server_stream_write(q, p, n); // k < n: go on in on_writable
 *   rk_server_stream_end(q);
 * stream_write returns the bytes taken (never more than the write space
 * allows) or -errno; stream_end fails with -EIO (and closes) when a
 * Content-Length stream is short. */
#define RK_SERVER_CHUNKED (-1)
int rk_server_stream_begin(struct rk_server_req *q, int status, const char *content_type,
			   int64_t length);
long rk_server_stream_write(struct rk_server_req *q, const void *p, uint32_t n);
int rk_server_stream_end(struct rk_server_req *q);
/* Bytes a copy would take now; on_writable once more is free. */
uint32_t rk_server_write_space(const struct rk_server_req *q);
void rk_server_wait_writable(struct rk_server_req *q);

/* ---- answering later -----------------------------------------------------
 * "I will answer later": fn returns, the connection waits (later pipelined
 * requests with it), and the route answers from on_op or on_writable.
 *   static int file(struct rk_server_req *q)
 *   {
 *       struct io_uring_sqe *sqe = rk_server_op_sqe(q, TAG_OPEN);
 *       ... fill an IORING_OP_OPENAT of a path kept in rk_server_state(q)
 *       return rk_server_defer(q);
 *   }
 *   // route.on_op(q, TAG_OPEN, fd, 0): rk_server_respond_file(q, ...)
 * The request is complete once it is answered and every operation it
 * submitted has completed. */
int rk_server_defer(struct rk_server_req *q);
/* An SQE of the route's own (leave user_data alone): its completion comes
 * back to the route's on_op with tag. NULL if the connection is closing. */
struct io_uring_sqe *rk_server_op_sqe(struct rk_server_req *q, uint8_t tag);
/* RK_SERVER_SCRATCH bytes of this request's own (not zeroed, 16-byte
 * aligned), for what a deferred answer keeps while its operations fly - a
 * path, a struct statx the kernel writes, copies of header fields. Lent
 * from a per-reactor pool until the request is complete and every
 * operation it submitted has completed (after a close, too), so idle
 * connections cost nothing, unlike rk_server_state(). The same pointer
 * for every call of one request (also in on_op after a close); NULL if
 * the connection is closing and the request never asked for it. */
#define RK_SERVER_SCRATCH 8192u
void *rk_server_scratch(struct rk_server_req *q);
/* The reactor's clock, unix seconds, as the Date field says (updated once
 * a second: no system call per request). */
int64_t rk_server_now(const struct rk_server_req *q);
/* Offer the rest of a streamed body again (after on_body took less). */
void rk_server_resume(struct rk_server_req *q);

#endif
