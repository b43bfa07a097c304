/* src/http/listing.c - the HTML listing of a directory that has no index
 * file (--list-dirs; off by default): one link per entry, each name
 * percent-encoded in its href (RFC 3986 §2.1) and HTML-escaped in its text,
 * dotfiles hidden as they are from requests. Entries come in the order the
 * file system keeps them (no sorting: that would need them all in memory).
 *
 * The one blocking call of static files: io_uring has no getdents opcode,
 * so the entries are read with getdents64(2) on the reactor thread, at most
 * 4 KiB per call, from a directory just opened (its blocks are most likely
 * cached). Lines go out as chunks of a stream while write space lasts; then
 * the directory is closed, its offset kept, and it is reopened through the
 * ring (OPENAT2) when space frees - so no descriptor is held while nothing
 * is in flight, and a connection that closes meanwhile leaves none behind.
 * Read next: include/rocket/main.h.
 */
#include "internal.h"
#include "rocket/sys.h"
#include "rocket/util.h"

static size_t rk_st_put(char *out, const char *lit)
{
	size_t n = rk_strlen(lit);
	rk_memcpy(out, lit, n);
	return n;
}

/* Text for HTML: the five specials as entities, control bytes as '?'.
 * out: 6 x n bytes. */
static size_t rk_st_html(char *out, const char *in, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		const char *e = c == '&'    ? "&amp;"
				: c == '<'  ? "&lt;"
				: c == '>'  ? "&gt;"
				: c == '"'  ? "&quot;"
				: c == '\'' ? "&#39;"
					    : 0;
		if (e)
			o += rk_st_put(out + o, e);
		else
			out[o++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	return o;
}

/* Write what is left of the pending line; false when space ran out first
 * (the stream then waits for on_writable) or the connection is closing. */
static bool rk_st_flush(struct rk_server_req *q, struct rk_st *s)
{
	while (s->line_len) {
		long k = rk_server_stream_write(q, s->buf + s->line_off, s->line_len);
		if (k <= 0)
			return false;
		s->line_off = (uint16_t)(s->line_off + k);
		s->line_len = (uint16_t)(s->line_len - k);
	}
	return true;
}

static void rk_st_line(struct rk_st *s, size_t n)
{
	s->line_off = 0;
	s->line_len = (uint16_t)n;
}

/* The directory is open (s->fd): list from s->pos (-2: from the start,
 * head first) as far as the write space goes. */
void rk_st_list(struct rk_server_req *q, struct rk_st *s)
{
	const struct rk_static *cf = rk_server_ctx(q);
	char d[4096];
	if (s->fd < 0) { /* it went away between two reopenings */
		rk_server_stream_end(q);
		return;
	}
	if (s->pos == -2) {
		if ((size_t)s->dir * 6 + 160 > sizeof(s->buf)) {
			rk_st_fail(q, s, 414);
			return;
		}
		if (rk_server_stream_begin(q, 200, "text/html; charset=utf-8", RK_SERVER_CHUNKED) <
		    0)
			goto pause;
		size_t n = rk_st_put(s->buf, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
					     "<title>Index</title></head>\n<body><h1>Index of ");
		n += rk_st_html(s->buf + n, s->name, s->dir);
		n += rk_st_put(s->buf + n, "</h1>\n<ul>\n");
		rk_st_line(s, n);
		s->pos = 0;
		s->list_end = false;
	} else if (s->pos > 0) {
		sys_lseek(s->fd, (long)s->pos, SEEK_SET); /* where the last pause left off */
	}
	for (;;) {
		if (!rk_st_flush(q, s))
			goto pause;
		if (s->list_end)
			break;
		long got = sys_getdents64(s->fd, d, sizeof(d));
		if (got <= 0) { /* the end (or an error: the listing ends there) */
			rk_st_line(s, rk_st_put(s->buf, "</ul>\n</body></html>\n"));
			s->list_end = true;
			continue;
		}
		for (long off = 0; off < got;) {
			const struct linux_dirent64 *e = (const void *)(d + off);
			size_t len = rk_strlen(e->d_name);
			bool dir = e->d_type == DT_DIR;
			off += e->d_reclen;
			s->pos = e->d_off;
			if (e->d_name[0] == '.' &&
			    (!cf->dotfiles || len == 1 || (len == 2 && e->d_name[1] == '.')))
				continue;
			size_t n = rk_st_put(s->buf, "<li><a href=\"./");
			n += rk_st_pct(s->buf + n, e->d_name, len);
			n += rk_st_put(s->buf + n, dir ? "/\">" : "\">");
			n += rk_st_html(s->buf + n, e->d_name, len);
			n += rk_st_put(s->buf + n, dir ? "/</a></li>\n" : "</a></li>\n");
			rk_st_line(s, n);
			if (!rk_st_flush(q, s))
				goto pause; /* the rest of this buffer is read again */
		}
	}
	sys_close(s->fd);
	s->fd = -1;
	rk_server_stream_end(q);
	return;
pause:
	sys_close(s->fd);
	s->fd = -1;
}

/* Write space came free: the line left over, then the directory again. */
void rk_st_list_more(struct rk_server_req *q)
{
	struct rk_st *s = rk_server_scratch(q);
	if (!s || s->mode != RK_ST_LIST || !rk_st_flush(q, s))
		return;
	if (s->list_end)
		rk_server_stream_end(q);
	else
		rk_st_open(q, s);
}
