/* src/http/internal.h - the HTTP server's private structures, shared by its
 * parts: the session (src/http/session.c: the pump, timeouts, keep-alive;
 * body.c: request bodies), its configuration and memory (setup.c), the router
 * (router.c) and the response writer (writer.c); and, at the end, the
 * state of static files (static.c, listing.c).
 *
 * One request is answered at a time per connection (RFC 9112 §9.3.2:
 * responses go out in the order of the requests), so its state - struct
 * rk_server_req - lives in the connection's application state, and every
 * pointer a route keeps to it stays valid until the request is complete.
 * Read next: src/http/session.c.
 */
#ifndef ROCKET_HTTP_INTERNAL_H
#define ROCKET_HTTP_INTERNAL_H

#include "rocket/abi/fs.h"
#include "rocket/pool.h"
#include "rocket/server.h"
#include "rocket/util.h"

/* Paths off the way of a plain GET: optimized for size (the product is
 * one small static binary), never inlined into the hot ones. */
#if defined(__clang__)
#define RK_SRV_COLD __attribute__((cold, minsize, noinline))
#else
#define RK_SRV_COLD __attribute__((cold, noinline))
#endif

/* Rare paths in the files gcc builds at -O2: small and out of line there.
 * clang builds the whole product for size and inlines these better
 * itself (their only callers are cold already). */
#if defined(__clang__)
#define RK_SRV_RARE
#else
#define RK_SRV_RARE __attribute__((cold, noinline))
#endif

/* clang's -O2 code for these files would outgrow the 64 KiB budget of
 * the static product; they are optimized for size as a whole (their time
 * goes into the parser and the kernel, not here). */
#if defined(__clang__)
#define RK_SRV_SMALL_FILE_BEGIN                                                                    \
	_Pragma("clang attribute push (__attribute__((minsize)), apply_to = function)")
#else
#define RK_SRV_SMALL_FILE_BEGIN
#endif

/* The longest response head the writer renders: status line, Server and
 * Date, Content-Type, framing, added fields, Allow and Connection. */
#define RK_SRV_ALLOW_MAX 96
#define RK_SRV_HEAD_MAX  (256 + RK_SERVER_MAX_CTYPE + RK_SERVER_MAX_FIELDS + RK_SRV_ALLOW_MAX)

/* A chunk's size line (8 hex digits + CRLF) and the CRLF after its data. */
#define RK_SRV_CHUNK_FRAME (8 + 2 + 2)

/* Per reactor: the Server and Date fields, and three pools of areas lent
 * LIFO (include/rocket/pool.h: only as many resident as are in use at once,
 * given back once they lie idle), each area whole pages:
 *   conn areas (one per connection slot, so never short): a head split
 *     across receive buffers, the fields a route adds, and a response head
 *     that did not fit the write space at once;
 *   body areas (body_buffers of them): a buffered body with a copy of its
 *     head (re-parsed there), while it is being gathered;
 *   log slots (one per connection slot, with the access log on): the
 *     request's line, waiting for its answer (src/http/accesslog.c). */
#define RK_SRV_SERVER_DATE "Server: rocket\r\nDate: "
#define RK_SRV_SD_LEN      (sizeof(RK_SRV_SERVER_DATE) - 1 + RK_HTTP_DATE_LEN + 2)
/* ---- the file cache: fcache.c ------------------------------------------
 * Per reactor, no locks. An entry is a name (beneath a tree's fd) and what
 * opening it gave: an fd and its statx, or an errno (ENOENT: a sibling
 * .gz/.br that is not there); fresh for the unix second it was made in.
 * A small file's bytes may sit in the arena (filled), its fd then closed. */
#define RK_FC_KEY 192 /* bytes of a name the cache keeps; longer: not cached */
/* What every answer of one file shares, rendered once per file and second
 * (static.c): its validators, its content type, and its field lines -
 * Last-Modified, ETag, Cache-Control, Vary (304 too: `common` bytes), then
 * Accept-Ranges and Content-Encoding (200, 206: `all`). */
#define RK_ST_FIELDS 512
struct rk_st_meta {
	int64_t at; /* the unix second it was rendered in (0: never) */
	int64_t last_modified;
	const char *ctype;
	uint16_t common, all;
	uint8_t etag_off, etag_len; /* the ETag's value, within fields */
	char fields[RK_ST_FIELDS];
};
struct rk_fcache;
struct rk_fc_ent {
	struct rk_fcache *fc;
	uint32_t next; /* the hash chain: entry index + 1, 0 ends it */
	uint32_t hash;
	int root;
	int fd;                /* open file, or -1 */
	int32_t err;           /* 0, or the open's -errno */
	uint32_t refs;         /* answers in flight from it, and its fill */
	uint32_t page, npages; /* its bytes in the arena (npages 0: none) */
	int64_t checked, used; /* unix seconds: opened and stat'ed; last hit */
	uint16_t klen;
	uint8_t state; /* RK_FC_FREE, _LIVE, _RETIRED */
	bool filled;   /* its bytes in the arena are whole */
	struct statx stx;
	struct rk_st_meta meta;
	char key[RK_FC_KEY];
};
/* Zeroed memory is an empty cache (no page is touched before it is used). */
struct rk_fcache {
	struct rk_fc_ent *ents;
	uint32_t *buckets;
	uint64_t *map; /* arena pages in use, a bit each */
	uint8_t *arena;
	uint32_t nents, nbuckets, npages;
	uint64_t max_file; /* the largest file whose bytes are kept */
	uint64_t hits, misses, fills, evictions;
};
/* Close every fd: the reactor stops (no answer is in flight). */
void rk_fc_exit(struct rk_fcache *fc);
/* The entry of root/key made this second, or NULL. */
struct rk_fc_ent *rk_fc_find(struct rk_fcache *fc, int root, const char *key, size_t n,
			     int64_t now);
/* What an open (fd >= 0 and its statx, or err) of root/key gave, kept: the
 * entry, which owns fd from now on (closed at once if an unchanged entry
 * was there), or NULL (not cached: fd stays the caller's). */
struct rk_fc_ent *rk_fc_store(struct rk_fcache *fc, int root, const char *key, size_t n,
			      int64_t now, int fd, int err, const struct statx *stx);
/* Arena pages for e's bytes (small enough, room made by dropping the
 * least recently used bytes no answer holds), or NULL: read them there,
 * then rk_fc_filled(ok: all of them, and the file did not change). */
uint8_t *rk_fc_reserve(struct rk_fcache *fc, struct rk_fc_ent *e);
void rk_fc_filled(struct rk_fcache *fc, struct rk_fc_ent *e, bool ok);
const uint8_t *rk_fc_bytes(const struct rk_fcache *fc, const struct rk_fc_ent *e);
/* An answer (or a fill) reads e: it is not freed before the put. */
void rk_fc_hold(struct rk_fc_ent *e);
void rk_fc_put(struct rk_fc_ent *e);

struct rk_srv_reactor {
	char server_date[RK_SRV_SD_LEN]; /* rewritten once a second */
	int64_t now;                     /* its unix time: rk_server_now() */
	struct rk_pool conn_areas, body_areas, log_slots;
	struct rk_fcache fc;
};
#define RK_SRV_LOG_SLOT 2048 /* bytes of a log slot: a line's request part */

/* Layout of a conn area: [split head: max_head][fields][pending head]
 * [the route's scratch: rk_server_scratch()]. */
#define RK_SRV_SCRATCH_OFF(max_head)                                                               \
	(((size_t)(max_head) + RK_SERVER_MAX_FIELDS + RK_SRV_HEAD_MAX + 15) & ~(size_t)15)

enum rk_srv_out_kind {
	RK_OUT_NONE = 0, /* no answer yet */
	RK_OUT_DONE,     /* the whole answer is queued in the engine */
	RK_OUT_COPY,     /* copying src/v as write space frees */
	RK_OUT_REF,      /* a borrowed body the engine refused for now (-ENOBUFS) */
	RK_OUT_FILE,     /* the same for a file range */
	RK_OUT_STREAM,   /* the route writes pieces until stream_end */
};

struct rk_server_req {
	struct rk_conn *c;
	const struct rk_server_config *hc;
	const struct rk_route *route;
	/* The head: valid during the route's fn only (else NULL / empty). */
	const struct rk_http_request *req;
	struct rk_http_str path, query, rest, body;
	const char *allow;           /* an Allow field for 405 and OPTIONS, or NULL */
	bool deferred;               /* the route answers later */
	bool want_writable;          /* the route's on_writable is due */
	bool no_body;                /* HEAD, 1xx, 204, 304: the head alone */
	bool chunked;                /* a chunked stream: pieces are framed */
	bool close_delimited;        /* a stream of unknown length to HTTP/1.0 */
	bool stream_end;             /* stream_end was called, terminator to write */
	bool scratch;                /* the route holds rk_server_scratch() */
	uint8_t out;                 /* enum rk_srv_out_kind */
	uint16_t fields_len;         /* added fields in the conn area */
	uint16_t head_off, head_len; /* a rendered head waiting in the conn area */
	uint32_t ops;                /* operations of the route in flight */
	uint16_t status;             /* of the answer begun, for the access log */
	uint16_t log_a, log_n;       /* the log slot: bytes before the status, in all */
	char *log;                   /* the log slot, from head to answer (or NULL) */
	uint64_t body_mark;          /* rk_conn_out_total() where the answer's body began */
	int64_t stream_left;         /* Content-Length bytes a stream still owes */
	bool last_queued;            /* the last chunk is in owed */
	uint8_t owed_off, owed_len;  /* framing bytes a chunked stream owes */
	char owed[RK_SRV_CHUNK_FRAME];
	uint32_t chunk_left; /* data bytes the current chunk still owes */
	/* RK_OUT_COPY: the rest of a copied body (one piece, or an array) */
	const struct rk_seg *v;
	struct rk_seg one;
	unsigned nv;
	/* RK_OUT_REF / RK_OUT_FILE waiting to be queued */
	const void *ref;
	int fd;
	uint64_t off, len;
	rk_done_fn done;
	void *done_arg;
};

enum rk_srv_phase {
	RK_SRV_HEAD = 0, /* reading a request head */
	RK_SRV_BODY,     /* reading its body */
	RK_SRV_WAIT,     /* body read: waiting for the answer to complete */
	RK_SRV_CLOSED,   /* closing: nothing more is parsed or answered; input
	                    is read and dropped (rk_srv_close) */
};

enum rk_srv_sink {
	RK_SINK_DROP = 0, /* answered already (or not interested): read and drop */
	RK_SINK_STREAM,   /* to the route's on_body */
	RK_SINK_BUFFER,   /* into a body area, then the route's fn (a streamed
	                     route's also once the body outgrows the area) */
};

struct rk_srv_conn {
	uint32_t iseg, off; /* progress through the held segments */
	uint8_t phase, sink;
	bool holding;      /* segments are held: the pump resumes later */
	bool in_pump;      /* the pump is on the stack: do not re-enter */
	bool keep_alive;   /* of the request being finished */
	bool head_started; /* part of a head is in the area: header timeout */
	bool chunked_body;
	bool is_head; /* the request is HEAD */
	bool fn_due;  /* a gathered body is in: the route's fn is next */
	bool end_due; /* a gathered body: on_end once spill is taken */
	uint8_t minor;
	uint64_t remaining;       /* Content-Length bytes still to read */
	uint64_t consumed;        /* bytes read on this connection (closed: dropped) */
	struct rk_http_str pend;  /* decoded bytes on_body has not taken yet */
	struct rk_http_str spill; /* gathered bytes, in the body area, the same */
	char *area;               /* conn area, while needed */
	uint32_t acc_len;         /* bytes of a split head in it */
	char *body_area;          /* body area, while a body is buffered */
	struct rk_server_req q;
	/* Off the path of a plain GET, after it: the fields every request
	 * reads share as few cache lines as they can. */
	uint32_t body_head;                  /* bytes of the head copied into the body area */
	uint32_t body_len;                   /* bytes of the body gathered so far */
	uint64_t seen_consumed, seen_queued; /* consumed, and bytes queued, at
	                                        the last timeout: progress? */
	struct rk_http_chunked ck;
};

/* The connection's application state: struct rk_srv_conn, then the
 * route's state (rk_server_state) 16-byte aligned after it. */
#define RK_ALIGN16(n)    (((size_t)(n) + 15) & ~(size_t)15)
#define RK_SRV_STATE_OFF RK_ALIGN16(sizeof(struct rk_srv_conn))

/* The most of a body the session buffers for its route. */
static inline uint32_t rk_srv_buffer_limit(const struct rk_server_config *hc)
{
	return (uint32_t)RK_MIN(hc->max_body_buffer, hc->max_body);
}

/* session.c */
void rk_srv_handler(struct rk_handler *h);
void rk_srv_close(struct rk_conn *c, struct rk_srv_conn *s);
char *rk_srv_area(struct rk_srv_conn *s);
void rk_srv_area_put_if_unused(struct rk_srv_conn *s);
void rk_srv_advance(struct rk_conn *c, struct rk_srv_conn *s);
/* After a route returned ret: a 500, a close, or nothing. -1: closing. */
int rk_srv_check(struct rk_conn *c, struct rk_srv_conn *s, int ret, bool final);
static inline struct rk_srv_conn *rk_srv_of(struct rk_server_req *q)
{
	return (struct rk_srv_conn *)((char *)q - __builtin_offsetof(struct rk_srv_conn, q));
}

/* Shared by session.c and body.c. Write space needed before a request is
 * routed: any head, plus room for
 * a body of RK_SERVER_MIN_SPACE - and /echo's, as long as its head. */
static inline uint32_t rk_srv_reserve(const struct rk_server_config *hc)
{
	return RK_SRV_HEAD_MAX + RK_MAX(RK_SERVER_MIN_SPACE, hc->limits.max_head);
}

static inline void rk_srv_timeout(struct rk_conn *c, uint32_t secs)
{
	rk_conn_set_timeout_ms(c, (uint64_t)secs * 1000);
}

/* The head's views are gone once the route's fn has returned. */
static inline void rk_srv_req_forget_head(struct rk_server_req *q)
{
	q->req = 0;
	/* One by one: a chain of assignments copies the first through
	 * memory, a 16-byte load of two fresh 8-byte stores, which stalls. */
	q->path = (struct rk_http_str){ 0, 0 };
	q->query = (struct rk_http_str){ 0, 0 };
	q->rest = (struct rk_http_str){ 0, 0 };
	q->body = (struct rk_http_str){ 0, 0 };
}

/* body.c: a request's body, for the session's dispatch (a routed head
 * with a body: rk_srv_body_begin, then rk_srv_call_body_route) and its
 * pump (bytes in RK_SRV_BODY, a gathered body due, what a streamed route
 * is still owed). Each says at its definition what it returns. */
void rk_srv_body_begin(struct rk_conn *c, struct rk_srv_conn *s, const struct rk_http_request *req);
int rk_srv_call_body_route(struct rk_conn *c, struct rk_srv_conn *s,
			   const struct rk_http_request *req, const char *head,
			   const uint8_t *after, uint32_t nafter, long *used, bool *has_body);
long rk_srv_body_bytes(struct rk_conn *c, struct rk_srv_conn *s, const uint8_t *p, uint32_t n,
		       bool *stop);
int rk_srv_buffer_end(struct rk_conn *c, struct rk_srv_conn *s, bool complete);
bool rk_srv_owed(struct rk_conn *c, struct rk_srv_conn *s);
void rk_srv_body_area_put(struct rk_srv_conn *s);

/* router.c: q->route, or answered (404, 405, OPTIONS); -1 when the
 * target was refused (400, 414) and the connection is closing. path is
 * RK_SERVER_MAX_PATH bytes for a normalized path, alive while fn runs. */
int rk_srv_route(struct rk_server_req *q, const struct rk_http_request *req, char *path);

/* accesslog.c: a request's part of its log line, kept from its head
 * (req NULL: no head, as for a 400), and the line once it is answered or
 * its connection closes. */
void rk_srv_log_begin(struct rk_server_req *q, const struct rk_http_request *req);
void rk_srv_log_end(struct rk_server_req *q);

/* writer.c (its three questions inline: the session asks them of every
 * request) */
static inline bool rk_srv_answered(const struct rk_server_req *q)
{
	return q->out != RK_OUT_NONE;
}

static inline bool rk_srv_out_complete(const struct rk_server_req *q)
{
	return q->out == RK_OUT_DONE && !q->head_len;
}

/* Something the session must continue from on_writable. */
static inline bool rk_srv_out_pending(const struct rk_server_req *q)
{
	return q->head_len || q->out == RK_OUT_COPY || q->out == RK_OUT_REF ||
	       q->out == RK_OUT_FILE || (q->out == RK_OUT_STREAM && q->stream_end);
}
void rk_srv_out_pump(struct rk_server_req *q);
void rk_srv_out_closed(struct rk_server_req *q);
void rk_srv_error(struct rk_conn *c, struct rk_srv_conn *s, int status);
void rk_srv_continue(struct rk_conn *c);
void rk_srv_set_date(struct rk_srv_reactor *rs, int64_t now);
int rk_srv_add_fields(struct rk_server_req *q, const char *p, size_t n);
bool rk_srv_value_ok(const char *v);

/* ---- static files: static.c and listing.c ---------------------------------
 * One request's state, in rk_server_scratch(): what the kernel reads or
 * writes while OPENAT2 and STATX fly, and what the answer needs later (the
 * head is gone by then: the conditional fields are copied). */
#include "rocket/abi/fs.h"
#include "rocket/http_cond.h"
#include "rocket/static.h"
#define RK_ST_PATH    4096 /* bytes of a normalized path, else 414 */
#define RK_ST_NFIELDS 8    /* conditional field lines kept, else 431 */
enum rk_st_mode {
	RK_ST_FILE = 0, /* the path itself (or a sibling of it) */
	RK_ST_INDEX,    /* the index file of a directory URL */
	RK_ST_LIST,     /* the directory itself, for a listing */
};
struct rk_st {
	struct statx stx;      /* STATX writes it */
	struct statx stx2;     /* ... and again after a cache fill's READ */
	struct rk_fc_ent *fce; /* the file cache's entry it answers from */
	struct open_how how;   /* OPENAT2 reads it */
	struct rk_http_codings ae;
	int fd;                      /* the open file or directory, or -1 */
	int64_t pos;                 /* listing: getdents64 offset of the next entry */
	uint16_t len;                /* name's bytes, without a sibling's suffix */
	uint16_t dir;                /* of which the directory URL (with its '/') */
	uint16_t used;               /* bytes of buf: field copies, then a body or a line */
	uint16_t line_off, line_len; /* listing: a line not yet written whole */
	uint8_t nf, coding, missing, mode, method;
	bool slash, list_end;
	struct rk_http_header f[RK_ST_NFIELDS];
	char name[RK_ST_PATH + 256 + 8]; /* the path, an index name, ".br", NUL */
	char buf[2560];
};
_Static_assert(sizeof(struct rk_st) <= RK_SERVER_SCRATCH, "static state fits the scratch");
int rk_st_open(struct rk_server_req *q, struct rk_st *s);
int rk_st_fail(struct rk_server_req *q, struct rk_st *s, int status);
void rk_st_list(struct rk_server_req *q, struct rk_st *s);
void rk_st_list_more(struct rk_server_req *q);
size_t rk_st_pct(char *out, const char *in, size_t n);

#endif
