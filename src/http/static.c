/* src/http/static.c - static files (include/rocket/static.h): the target is
 * split, decoded and freed of dot-segments (rk_http_target_parse), opened
 * with IORING_OP_OPENAT2 beneath the tree's directory fd, stat'ed with
 * IORING_OP_STATX on the opened fd, and sent as a file range of the output
 * queue (IORING_OP_READ into a send chunk, src/engine/file.c): no blocking
 * call, no thread pool. RFC 9110 §8.8 (validators), §13 (conditional
 * requests), §14 (ranges), §12.5.3 (codings); openat2(2), statx(2).
 *
 * Why the kernel, not a string check, keeps requests inside the tree: a
 * check in user space (realpath, lstat of every component, "no .. left")
 * and the open after it are two moments, and whoever can write to the tree
 * can swap a checked directory for a symlink to / in between; the open then
 * follows it. RESOLVE_BENEATH makes the check part of the lookup itself:
 * the kernel refuses (EXDEV) any "..", absolute path or symlink that would
 * leave the directory fd, at the instant it resolves it, and
 * RESOLVE_NO_MAGICLINKS refuses /proc/self/fd-style links, which point
 * anywhere. The string rules here (dot-segments, dotfiles) give paths their
 * meaning; safety does not depend on them.
 * Read next: src/http/listing.c.
 */
#include "internal.h"
#include "rocket/fmt.h"
#include "rocket/http_cond.h"
#include "rocket/http_mime.h"
#include "rocket/http_path.h"
#include "rocket/sys.h"
#include "rocket/util.h"

enum { RK_ST_OPEN = 1, RK_ST_STAT, RK_ST_READ, RK_ST_RESTAT };

static const char *const rk_st_cond[] = {
	"if-match", "if-none-match", "if-modified-since", "if-unmodified-since",
	"range",    "if-range",
};

/* Everything but unreserved characters (RFC 3986 §2.3) and '/' as %XX: a
 * path for Location, a name for a listing's href. out: 3 x n bytes. */
size_t rk_st_pct(char *out, const char *in, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = "0123456789ABCDEF"[c >> 4];
			out[o++] = "0123456789ABCDEF"[c & 15];
		}
	}
	return o;
}

static void rk_st_close(struct rk_st *s)
{
	if (s->fd >= 0)
		sys_close(s->fd);
	s->fd = -1;
}

/* The engine is done with the file: the route's only close of it. */
static void rk_st_done(void *arg, int res)
{
	(void)res;
	sys_close((int)(intptr_t)arg);
}

/* The engine is done with a cached file's bytes or fd. */
static void rk_st_unref(void *arg, int res)
{
	(void)res;
	rk_fc_put(arg);
}

/* An answer without a file: "404 Not Found\n", from the scratch (it stays
 * valid until the request is complete, however little write space). */
int rk_st_fail(struct rk_server_req *q, struct rk_st *s, int status)
{
	struct rk_http_str why;
	rk_st_close(s);
	rk_http_status_reason(status, &why);
	size_t n = rk_fmt(s->buf, sizeof(s->buf), "%d %s\n", status, why.p);
	if (status == 503) /* out of descriptors: soon better */
		rk_server_add_header(q, "Retry-After", "1");
	return rk_server_respond(q, status, "text/plain", s->buf, (uint32_t)n);
}

/* An open or a stat failed: never the path in the answer. */
static int rk_st_errno(int err)
{
	switch (err) {
	case -EACCES:
	case -EPERM:
	case -ENXIO: /* a socket, or a device without its driver */
	case -ENODEV:
		return 403;
	case -EMFILE:
	case -ENFILE:
	case -EAGAIN: /* RESOLVE_BENEATH lost a race with a rename: try again */
		return 503;
	case -ENOENT:
	case -ENOTDIR:
	case -ELOOP: /* a symlink RESOLVE_NO_* refused */
	case -EXDEV: /* a way out of the tree the kernel refused */
	case -ENAMETOOLONG:
		return 404;
	default:
		return 500;
	}
}

static struct rk_fcache *rk_st_fc(struct rk_server_req *q)
{
	return &((struct rk_srv_reactor *)rk_conn_reactor_state(q->c))->fc;
}

/* The name the cache knows the candidate by: with its sibling's suffix. */
static size_t rk_st_keylen(const struct rk_st *s)
{
	return s->len + (s->coding != RK_HTTP_CODING_IDENTITY ? 3u : 0u);
}

static void rk_st_result(struct rk_server_req *q, struct rk_st *s, uint8_t tag, int32_t res);
static void rk_st_serve(struct rk_server_req *q, struct rk_st *s);

/* Open the next candidate: the sibling the client prefers among those not
 * known to be missing (br before gzip at equal q), else the name itself.
 * 0, or -EPIPE (the connection is closing). */
int rk_st_open(struct rk_server_req *q, struct rk_st *s)
{
	static const char sfx[3][4] = { "", ".gz", ".br" };
	const struct rk_static *cf = rk_server_ctx(q);
	s->coding = s->mode == RK_ST_LIST
			    ? RK_HTTP_CODING_IDENTITY
			    : rk_http_coding_pick(&s->ae, !(s->missing & 4), !(s->missing & 2));
	rk_memcpy(s->name + s->len, sfx[s->coding], 4);
	if (s->mode != RK_ST_LIST) {
		struct rk_fc_ent *e = rk_fc_find(rk_st_fc(q), cf->root, s->name, rk_st_keylen(s),
						 rk_server_now(q));
		if (e && e->err) {
			rk_st_result(q, s, RK_ST_OPEN, e->err);
			return 0;
		}
		if (e) {
			s->fce = e;
			s->stx = e->stx;
			rk_st_serve(q, s);
			return 0;
		}
	}
	struct io_uring_sqe *sqe = rk_server_op_sqe(q, RK_ST_OPEN);
	if (!sqe)
		return -EPIPE;
	s->how = (struct open_how){
		.flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, /* a fifo must not block */
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS |
			   (cf->no_symlinks ? RESOLVE_NO_SYMLINKS : 0),
	};
	const char *rel = s->name + rk_strlen(cf->prefix);
	sqe->opcode = IORING_OP_OPENAT2;
	sqe->fd = cf->root;
	sqe->addr = (uint64_t)(uintptr_t)(*rel ? rel : ".");
	sqe->len = sizeof(s->how);
	sqe->off = (uint64_t)(uintptr_t)&s->how;
	return 0;
}

static int rk_st_fn(struct rk_server_req *q)
{
	const struct rk_static *cf = rk_server_ctx(q);
	const struct rk_http_request *req = rk_server_request(q);
	struct rk_st *s = rk_server_scratch(q);
	struct rk_http_target t;
	if (!s)
		return -EPIPE;
	s->fd = -1;
	s->fce = 0;
	s->used = 0;
	s->pos = -2; /* a listing starts with its head */
	int r = rk_http_target_parse(req->target.p, req->target.n, s->name, RK_ST_PATH, &t);
	if (r < 0)
		return rk_st_fail(q, s, -r);
	/* The router matched the raw path; what counts is the normalized one
	 * ("/static/../x" is no file of /static/). */
	size_t plen = rk_strlen(cf->prefix);
	if (t.path.n < plen || rk_memcmp(s->name, cf->prefix, plen))
		return rk_st_fail(q, s, 404);
	for (size_t i = plen; i < t.path.n && !cf->dotfiles; i++)
		if (s->name[i] == '.' && s->name[i - 1] == '/')
			return rk_st_fail(q, s, 404);
	/* The conditional fields, for the answer after STATX. */
	s->nf = 0;
	for (uint32_t i = 0; i < req->nheaders; i++) {
		const struct rk_http_header *h = &req->headers[i];
		for (unsigned k = 0; k < RK_ARRAY_SIZE(rk_st_cond); k++) {
			if (!rk_http_str_ieq(h->name, rk_st_cond[k]))
				continue;
			if (s->nf == RK_ST_NFIELDS || h->value.n > sizeof(s->buf) - s->used)
				return rk_st_fail(q, s, 431);
			rk_memcpy(s->buf + s->used, h->value.p, h->value.n);
			s->f[s->nf++] =
				(struct rk_http_header){ { rk_st_cond[k],
							   (uint32_t)rk_strlen(rk_st_cond[k]) },
							 { s->buf + s->used, h->value.n } };
			s->used = (uint16_t)(s->used + h->value.n);
		}
	}
	rk_memset(&s->ae, 0, sizeof(s->ae));
	if (!cf->no_precompressed)
		rk_http_accept_encoding_req(req, &s->ae);
	s->method = (uint8_t)req->method;
	s->missing = 0;
	s->slash = t.trailing_slash;
	s->len = s->dir = (uint16_t)t.path.n;
	s->mode = RK_ST_FILE;
	if (s->slash) {
		size_t n = rk_strlen(cf->index);
		rk_memcpy(s->name + s->len, cf->index, n);
		s->len = (uint16_t)(s->len + n);
		s->mode = RK_ST_INDEX;
	}
	/* Answered from the cache at once, or later: an open flies (also
	 * after a missing sibling the cache knew of). */
	r = rk_st_open(q, s);
	return r < 0 || rk_srv_answered(q) ? r : rk_server_defer(q);
}

/* A directory URL without its '/': 301 to the one with it (RFC 9110
 * §15.4.2), the path re-encoded; relative names in its pages then work. */
static void rk_st_redirect(struct rk_server_req *q, struct rk_st *s)
{
	char loc[RK_SERVER_MAX_FIELDS - 64];
	if ((size_t)s->dir * 3 + 2 > sizeof(loc)) {
		rk_st_fail(q, s, 414);
		return;
	}
	size_t n = rk_st_pct(loc, s->name, s->dir);
	loc[n++] = '/';
	loc[n] = 0;
	rk_server_add_header(q, "Location", loc);
	rk_st_fail(q, s, 301);
}

/* Put n bytes at *o in m->fields. */
static void rk_st_put(struct rk_st_meta *m, const char *p, size_t n)
{
	rk_memcpy(m->fields + m->all, p, n);
	m->all = (uint16_t)(m->all + n);
}

static void rk_st_put_field(struct rk_st_meta *m, const char *name, const char *v, size_t n)
{
	rk_st_put(m, name, rk_strlen(name));
	rk_st_put(m, v, n);
	rk_st_put(m, "\r\n", 2);
}

/* Render what every answer of this file shares (validators, fields). */
static void rk_st_meta(struct rk_server_req *q, const struct rk_st *s, struct rk_st_meta *m)
{
	const struct rk_static *cf = rk_server_ctx(q);
	char etag[RK_HTTP_ETAG_MAX + 1], date[RK_HTTP_DATE_LEN];
	int64_t now = rk_server_now(q), mtime = s->stx.stx_mtime.tv_sec;
	int n = rk_http_etag(etag, RK_HTTP_ETAG_MAX, s->stx.stx_size,
			     mtime * 1000000000 + s->stx.stx_mtime.tv_nsec, s->stx.stx_ino);
	m->at = now;
	m->last_modified = rk_http_last_modified(mtime, now);
	m->ctype = rk_http_mime_type(s->name, s->len).p; /* the name without ".gz" */
	m->all = 0;
	rk_http_date(date, m->last_modified);
	rk_st_put_field(m, "Last-Modified: ", date, RK_HTTP_DATE_LEN);
	m->etag_off = (uint8_t)(m->all + 6);
	m->etag_len = (uint8_t)n;
	rk_st_put_field(m, "ETag: ", etag, (size_t)n);
	if (cf->cache_control && rk_srv_value_ok(cf->cache_control) &&
	    rk_strlen(cf->cache_control) <= 256)
		rk_st_put_field(m, "Cache-Control: ", cf->cache_control,
				rk_strlen(cf->cache_control));
	/* The choice of file depends on Accept-Encoding (§12.5.5). */
	if (!cf->no_precompressed)
		rk_st_put(m, "Vary: Accept-Encoding\r\n", 23);
	m->common = m->all;
	rk_st_put(m, "Accept-Ranges: bytes\r\n", 22);
	if (s->coding != RK_HTTP_CODING_IDENTITY)
		rk_st_put_field(
			m, "Content-Encoding: ", s->coding == RK_HTTP_CODING_BR ? "br" : "gzip",
			s->coding == RK_HTTP_CODING_BR ? 2 : 4);
}

/* The file is open and stat'ed (or known to the cache): validators,
 * conditions, range, answer. */
static void rk_st_serve(struct rk_server_req *q, struct rk_st *s)
{
	char cr[64];
	uint64_t size = s->stx.stx_size;
	struct rk_fc_ent *e = s->fce;
	struct rk_st_meta own, *m = e ? &e->meta : &own;
	if (!e || m->at != rk_server_now(q))
		rk_st_meta(q, s, m);
	struct rk_http_range rg = { 0, size - 1 };
	int status = 200;
	if (s->nf) {
		struct rk_http_validators v = { .etag = { m->fields + m->etag_off, m->etag_len },
						.last_modified = m->last_modified,
						.now = m->at,
						.size = size };
		/* §13.2.2 over the copied fields, as if over the whole head. */
		struct rk_http_request req;
		req.method = s->method;
		req.nheaders = s->nf;
		rk_memcpy(req.headers, s->f, s->nf * sizeof(s->f[0]));
		status = rk_http_cond_eval(&req, &v, &rg);
	}
	/* A 304 sends no representation metadata (§15.4.5). */
	rk_srv_add_fields(q, m->fields, status == 200 || status == 206 ? m->all : m->common);
	if (status == 412 || status == 416) {
		rk_fmt(cr, sizeof(cr), "bytes */%llu", (unsigned long long)size);
		if (status == 416) /* §14.4: the size the range missed */
			rk_server_add_header(q, "Content-Range", cr);
		if (e)
			s->fce = 0;
		rk_st_fail(q, s, status);
		return;
	}
	uint64_t len = size;
	if (status == 206) {
		rk_fmt(cr, sizeof(cr), "bytes %llu-%llu/%llu", (unsigned long long)rg.first,
		       (unsigned long long)rg.last, (unsigned long long)size);
		rk_server_add_header(q, "Content-Range", cr);
		len = rg.last - rg.first + 1;
	} else {
		rg.first = 0;
	}
	const char *ctype = status == 304 ? 0 : m->ctype;
	/* A 304 and HEAD carry the Content-Length a 200 would (§8.6); the
	 * writer sends no body for them and gives the file back at once. */
	if (e) { /* from the cache: its bytes, or its fd */
		int r;
		s->fce = 0;
		rk_fc_hold(e);
		if (e->filled)
			r = rk_server_respond_ref(q, status, ctype,
						  rk_fc_bytes(e->fc, e) + rg.first, len,
						  rk_st_unref, e);
		else
			r = rk_server_respond_file(q, status, ctype, e->fd, rg.first, len,
						   rk_st_unref, e);
		if (r < 0)
			rk_fc_put(e);
		return;
	}
	int fd = s->fd;
	s->fd = -1;
	if (rk_server_respond_file(q, status, ctype, fd, rg.first, len, rk_st_done,
				   (void *)(intptr_t)fd) < 0)
		sys_close(fd);
}

/* A regular file is open and stat'ed: into the cache, and a small one's
 * bytes read into its arena (then stat'ed again: a file written while it
 * was read is not kept). true: a READ flies. */
static bool rk_st_keep(struct rk_server_req *q, struct rk_st *s)
{
	const struct rk_static *cf = rk_server_ctx(q);
	struct rk_fcache *fc = rk_st_fc(q);
	struct rk_fc_ent *e = rk_fc_store(fc, cf->root, s->name, rk_st_keylen(s), rk_server_now(q),
					  s->fd, 0, &s->stx);
	if (!e)
		return false; /* not cached: the request's own fd serves */
	s->fd = -1;
	s->fce = e;
	uint8_t *p = e->filled ? 0 : rk_fc_reserve(fc, e);
	if (!p)
		return false;
	struct io_uring_sqe *sqe = rk_server_op_sqe(q, RK_ST_READ);
	if (!sqe) {
		rk_fc_filled(fc, e, false);
		return false;
	}
	rk_fc_hold(e); /* the fill's own reference, until it is done */
	sqe->opcode = IORING_OP_READ;
	sqe->fd = e->fd;
	sqe->addr = (uint64_t)(uintptr_t)p;
	sqe->len = (uint32_t)e->stx.stx_size;
	sqe->off = 0;
	return true;
}

static void rk_st_statx(struct io_uring_sqe *sqe, int fd, struct statx *stx)
{
	sqe->opcode = IORING_OP_STATX;
	sqe->fd = fd;
	sqe->addr = (uint64_t)(uintptr_t) "";
	sqe->rw_flags = AT_EMPTY_PATH; /* statx_flags: the fd itself */
	sqe->len = STATX_TYPE | STATX_MODE | STATX_INO | STATX_SIZE | STATX_MTIME | STATX_CTIME;
	sqe->off = (uint64_t)(uintptr_t)stx;
}

/* A cache fill's READ (then its STATX) completed. */
static void rk_st_fill(struct rk_server_req *q, struct rk_st *s, uint8_t tag, int32_t res)
{
	struct rk_fc_ent *e = s->fce;
	struct rk_fcache *fc = e->fc;
	struct io_uring_sqe *sqe;
	if (tag == RK_ST_READ && res == (int32_t)e->stx.stx_size && !rk_server_closed(q) &&
	    (sqe = rk_server_op_sqe(q, RK_ST_RESTAT))) {
		rk_st_statx(sqe, e->fd, &s->stx2);
		return;
	}
	bool ok = tag == RK_ST_RESTAT && res >= 0 && s->stx2.stx_size == e->stx.stx_size &&
		  s->stx2.stx_mtime.tv_sec == e->stx.stx_mtime.tv_sec &&
		  s->stx2.stx_mtime.tv_nsec == e->stx.stx_mtime.tv_nsec &&
		  s->stx2.stx_ctime.tv_sec == e->stx.stx_ctime.tv_sec &&
		  s->stx2.stx_ctime.tv_nsec == e->stx.stx_ctime.tv_nsec;
	rk_fc_filled(fc, e, ok && !rk_server_closed(q));
	if (rk_server_closed(q))
		s->fce = 0;
	else
		rk_st_serve(q, s); /* from the bytes, or (not kept) from the fd */
	rk_fc_put(e);
}

static void rk_st_on_op(struct rk_server_req *q, uint8_t tag, int32_t res, uint32_t flags)
{
	struct rk_st *s = rk_server_scratch(q);
	(void)flags;
	if (tag == RK_ST_OPEN && res >= 0)
		s->fd = res;
	if (tag == RK_ST_READ || tag == RK_ST_RESTAT) {
		rk_st_fill(q, s, tag, res);
		return;
	}
	if (rk_server_closed(q)) {
		rk_st_close(s); /* the connection went while the op flew */
		return;
	}
	rk_st_result(q, s, tag, res);
}

/* What an open or a stat gave - from the kernel, or the cache's memory of
 * it (a missing name). */
static void rk_st_result(struct rk_server_req *q, struct rk_st *s, uint8_t tag, int32_t res)
{
	const struct rk_static *cf = rk_server_ctx(q);
	if (s->mode == RK_ST_LIST && s->pos >= 0 && tag == RK_ST_OPEN) {
		rk_st_list(q, s); /* reopened to go on with a listing */
		return;
	}
	if (res == -ENOENT && tag == RK_ST_OPEN && s->mode != RK_ST_LIST)
		rk_fc_store(rk_st_fc(q), cf->root, s->name, rk_st_keylen(s), rk_server_now(q), -1,
			    res, 0);
	if (res < 0) {
		rk_st_close(s);
		int st = rk_st_errno(res);
		if (s->coding != RK_HTTP_CODING_IDENTITY && st != 503) {
			s->missing |= (uint8_t)(1u << s->coding); /* no such sibling */
			rk_st_open(q, s);
		} else if (s->mode == RK_ST_INDEX && res == -ENOENT && cf->list_dirs) {
			s->mode = RK_ST_LIST;
			s->len = s->dir;
			rk_st_open(q, s);
		} else {
			rk_st_fail(q, s, st);
		}
		return;
	}
	if (tag == RK_ST_OPEN) {
		struct io_uring_sqe *sqe = rk_server_op_sqe(q, RK_ST_STAT);
		if (!sqe) {
			rk_st_close(s);
			return;
		}
		rk_st_statx(sqe, s->fd, &s->stx);
		return;
	}
	uint32_t type = s->stx.stx_mode & S_IFMT;
	if (s->coding != RK_HTTP_CODING_IDENTITY && type != S_IFREG) {
		rk_st_close(s); /* a sibling must be a plain file */
		s->missing |= (uint8_t)(1u << s->coding);
		rk_st_open(q, s);
	} else if (type == S_IFDIR && s->mode == RK_ST_LIST) {
		rk_st_list(q, s);
	} else if (type == S_IFDIR && s->mode == RK_ST_FILE) {
		rk_st_close(s);
		rk_st_redirect(q, s);
	} else if (type != S_IFREG) {
		rk_st_fail(q, s, 403); /* a fifo, a device, a socket */
	} else if (!rk_st_keep(q, s)) {
		rk_st_serve(q, s);
	}
}

void rk_static_route(struct rk_route *rt, struct rk_static *st)
{
	*rt = (struct rk_route){ .method = RK_HTTP_GET,
				 .path = st->prefix,
				 .match = RK_ROUTE_PREFIX,
				 .fn = rk_st_fn,
				 .on_op = rk_st_on_op,
				 .on_writable = rk_st_list_more,
				 .ctx = st };
}
