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

enum { RK_ST_OPEN = 1, RK_ST_STAT };

static const char *const rk_st_cond[] = {
	"if-match", "if-none-match", "if-modified-since", "if-unmodified-since", "range", "if-range",
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
	case -ENXIO:  /* a socket, or a device without its driver */
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

/* Open the next candidate: the sibling the client prefers among those not
 * known to be missing (br before gzip at equal q), else the name itself. */
int rk_st_open(struct rk_server_req *q, struct rk_st *s)
{
	static const char sfx[3][4] = { "", ".gz", ".br" };
	const struct rk_static *cf = rk_server_ctx(q);
	struct io_uring_sqe *sqe = rk_server_op_sqe(q, RK_ST_OPEN);
	if (!sqe)
		return -EPIPE;
	s->coding = s->mode == RK_ST_LIST ? RK_HTTP_CODING_IDENTITY
					  : rk_http_coding_pick(&s->ae, !(s->missing & 4),
								!(s->missing & 2));
	rk_memcpy(s->name + s->len, sfx[s->coding], 4);
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
			s->f[s->nf++] = (struct rk_http_header){
				{ rk_st_cond[k], (uint32_t)rk_strlen(rk_st_cond[k]) },
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
	r = rk_st_open(q, s);
	return r < 0 ? r : rk_server_defer(q);
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

/* The file is open and stat'ed: validators, conditions, range, answer. */
static void rk_st_serve(struct rk_server_req *q, struct rk_st *s)
{
	const struct rk_static *cf = rk_server_ctx(q);
	char etag[RK_HTTP_ETAG_MAX + 1], date[RK_HTTP_DATE_LEN + 1], cr[64];
	uint64_t size = s->stx.stx_size;
	int64_t now = rk_server_now(q);
	int64_t mtime = s->stx.stx_mtime.tv_sec;
	int n = rk_http_etag(etag, RK_HTTP_ETAG_MAX, size,
			     mtime * 1000000000 + s->stx.stx_mtime.tv_nsec, s->stx.stx_ino);
	etag[n] = 0;
	struct rk_http_validators v = { .etag = { etag, (uint32_t)n },
					.last_modified = rk_http_last_modified(mtime, now),
					.now = now,
					.size = size };
	rk_http_date(date, v.last_modified);
	date[RK_HTTP_DATE_LEN] = 0;
	/* §13.2.2 over the copied fields, as if over the whole head. */
	struct rk_http_request req;
	req.method = s->method;
	req.nheaders = s->nf;
	rk_memcpy(req.headers, s->f, s->nf * sizeof(s->f[0]));
	struct rk_http_range rg = { 0, size - 1 };
	int status = rk_http_cond_eval(&req, &v, &rg);

	rk_server_add_header(q, "Last-Modified", date);
	rk_server_add_header(q, "ETag", etag);
	if (cf->cache_control)
		rk_server_add_header(q, "Cache-Control", cf->cache_control);
	/* The choice of file depends on Accept-Encoding (§12.5.5). */
	if (!cf->no_precompressed)
		rk_server_add_header(q, "Vary", "Accept-Encoding");
	if (status == 412 || status == 416) {
		rk_fmt(cr, sizeof(cr), "bytes */%llu", (unsigned long long)size);
		if (status == 416) /* §14.4: the size the range missed */
			rk_server_add_header(q, "Content-Range", cr);
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
	const char *ctype = 0;
	if (status != 304) { /* a 304 sends no representation metadata (§15.4.5) */
		rk_server_add_header(q, "Accept-Ranges", "bytes");
		if (s->coding != RK_HTTP_CODING_IDENTITY)
			rk_server_add_header(q, "Content-Encoding",
					     s->coding == RK_HTTP_CODING_BR ? "br" : "gzip");
		ctype = rk_http_mime_type(s->name, s->len).p; /* the name without ".gz" */
	}
	/* A 304 and HEAD carry the Content-Length a 200 would (§8.6); the
	 * writer sends no body for them and gives the file back at once. */
	int fd = s->fd;
	s->fd = -1;
	if (rk_server_respond_file(q, status, ctype, fd, rg.first, len, rk_st_done,
				   (void *)(intptr_t)fd) < 0)
		sys_close(fd);
}

static void rk_st_on_op(struct rk_server_req *q, uint8_t tag, int32_t res, uint32_t flags)
{
	const struct rk_static *cf = rk_server_ctx(q);
	struct rk_st *s = rk_server_scratch(q);
	(void)flags;
	if (tag == RK_ST_OPEN && res >= 0)
		s->fd = res;
	if (rk_server_closed(q)) {
		rk_st_close(s); /* the connection went while the op flew */
		return;
	}
	if (s->mode == RK_ST_LIST && s->pos >= 0 && tag == RK_ST_OPEN) {
		rk_st_list(q, s); /* reopened to go on with a listing */
		return;
	}
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
		sqe->opcode = IORING_OP_STATX;
		sqe->fd = s->fd;
		sqe->addr = (uint64_t)(uintptr_t)"";
		sqe->rw_flags = AT_EMPTY_PATH; /* statx_flags: the fd itself */
		sqe->len = STATX_TYPE | STATX_MODE | STATX_INO | STATX_SIZE | STATX_MTIME;
		sqe->off = (uint64_t)(uintptr_t)&s->stx;
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
	} else {
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
