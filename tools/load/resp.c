/* tools/load/resp.c - rocket-load's HTTP/1.1 response parser: frames each
 * response on the received bytes, as they arrive in provided buffers, with a
 * stash for a head split across buffers. Read next: tools/load/conn.c.
 */
#include <string.h>
#include <strings.h>

#include "load/conn.h"
#include "load/resp.h"

static bool resp_hdr_is(const uint8_t *p, size_t n, const char *name, size_t nl)
{
	return n > nl && p[nl] == ':' && !strncasecmp((const char *)p, name, nl);
}

static bool resp_hdr_has(const uint8_t *p, size_t n, const char *word)
{
	size_t wl = strlen(word);
	for (size_t i = 0; i + wl <= n; i++)
		if (!strncasecmp((const char *)p + i, word, wl))
			return true;
	return false;
}

/* Parse a complete head (status line + headers + CRLFCRLF): set the status
 * and how the body is framed. Returns 0 or -1 on a malformed head. */
int resp_parse_head(struct load_conn *c, const uint8_t *h, size_t n)
{
	if (n < 16 || memcmp(h, "HTTP/1.", 7) || h[8] != ' ')
		return -1;
	if (h[9] < '1' || h[9] > '5' || h[10] < '0' || h[10] > '9' || h[11] < '0' || h[11] > '9')
		return -1;
	c->status = (h[9] - '0') * 100 + (h[10] - '0') * 10 + (h[11] - '0');
	bool chunked = false, have_len = false;
	uint64_t len = 0;
	c->close_after = h[7] == '0'; /* HTTP/1.0 closes unless it says keep-alive */
	const uint8_t *p = memchr(h, '\n', n), *end = h + n;
	while (p && ++p < end) {
		const uint8_t *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			break;
		size_t ln = (size_t)(eol - p);
		switch (*p | 0x20) { /* the fast path looks only at C... and T... */
		case 'c':
			if (resp_hdr_is(p, ln, "content-length", 14)) {
				const uint8_t *q = p + 15;
				while (q < eol && (*q == ' ' || *q == '\t'))
					q++;
				if (q == eol || *q < '0' || *q > '9')
					return -1;
				for (len = 0; q < eol && *q >= '0' && *q <= '9'; q++)
					len = len * 10 + (uint64_t)(*q - '0');
				have_len = true;
			} else if (resp_hdr_is(p, ln, "connection", 10)) {
				if (resp_hdr_has(p + 11, ln - 11, "close"))
					c->close_after = true;
				else if (resp_hdr_has(p + 11, ln - 11, "keep-alive"))
					c->close_after = false;
			}
			break;
		case 't':
			if (resp_hdr_is(p, ln, "transfer-encoding", 17) &&
			    resp_hdr_has(p + 18, ln - 18, "chunked"))
				chunked = true;
			break;
		}
		p = eol;
	}
	c->remain = 0;
	if (g_tmpl[c->tmpl].head || c->status < 200 || c->status == 204 || c->status == 304)
		c->state = P_BODY; /* no body: remain 0 completes at once */
	else if (chunked)
		c->state = P_CHUNK_SIZE, c->chunk_digit = false;
	else if (have_len)
		c->state = P_BODY, c->remain = len;
	else
		c->state = P_EOF, c->close_after = true; /* the body ends at close */
	return 0;
}
int resp_parse(struct load_worker *w, struct load_conn *c, uint32_t idx, const uint8_t *p,
	       uint32_t n, uint64_t now)
{
	while (n) {
		switch (c->state) {
		case P_HEAD: {
			const uint8_t *head, *e;
			uint32_t used, hlen;
			if (!c->stash_len) { /* fast path: the whole head in this buffer */
				e = memmem(p, n, "\r\n\r\n", 4);
				if (!e)
					goto stash;
				head = p;
				hlen = used = (uint32_t)(e + 4 - p);
			} else {
			stash:;
				uint32_t old = c->stash_len, take = n;
				if (take > LOAD_STASH_CAP - old)
					take = LOAD_STASH_CAP - old;
				memcpy(c->stash + old, p, take);
				c->stash_len += take;
				uint32_t from = old > 3 ? old - 3 : 0;
				e = memmem(c->stash + from, c->stash_len - from, "\r\n\r\n", 4);
				if (!e) {
					if (c->stash_len == LOAD_STASH_CAP)
						goto bad; /* a head larger than we accept */
					return 0;
				}
				head = c->stash;
				hlen = (uint32_t)(e + 4 - c->stash);
				used = hlen - old;
				c->stash_len = 0;
			}
			if (resp_parse_head(c, head, hlen) < 0)
				goto bad;
			p += used, n -= used;
			if (c->state == P_BODY && !c->remain && conn_done(w, c, idx, now) < 0)
				return -1;
			break;
		}
		case P_BODY: {
			uint32_t take = c->remain < n ? (uint32_t)c->remain : n;
			p += take, n -= take, c->remain -= take;
			if (!c->remain && conn_done(w, c, idx, now) < 0)
				return -1;
			break;
		}
		case P_CHUNK_SIZE:
		case P_CHUNK_EXT: {
			uint8_t ch = *p++;
			n--;
			if (ch == '\n') {
				if (!c->chunk_digit)
					goto bad;
				c->chunk_digit = false;
				c->line_len = 0;
				c->state = c->remain ? P_CHUNK_DATA : P_TRAILER;
			} else if (c->state == P_CHUNK_EXT || ch == '\r') {
				/* extensions and the CR are skipped */
			} else if (ch == ';' || ch == ' ' || ch == '\t') {
				c->state = P_CHUNK_EXT;
			} else {
				int d = ch >= '0' && ch <= '9' ? ch - '0'
					: (ch | 0x20) >= 'a' && (ch | 0x20) <= 'f'
						? (ch | 0x20) - 'a' + 10
						: -1;
				if (d < 0 || c->remain >> 56)
					goto bad;
				c->remain = c->remain * 16 + (uint64_t)d;
				c->chunk_digit = true;
			}
			break;
		}
		case P_CHUNK_DATA: {
			uint32_t take = c->remain < n ? (uint32_t)c->remain : n;
			p += take, n -= take, c->remain -= take;
			if (!c->remain)
				c->state = P_CHUNK_CRLF;
			break;
		}
		case P_CHUNK_CRLF:
			if (*p == '\n')
				c->state = P_CHUNK_SIZE;
			else if (*p != '\r')
				goto bad;
			p++, n--;
			break;
		case P_TRAILER: {
			uint8_t ch = *p++;
			n--;
			if (ch == '\n') {
				if (!c->line_len && conn_done(w, c, idx, now) < 0)
					return -1;
				c->line_len = 0;
			} else if (ch != '\r') {
				c->line_len++;
			}
			break;
		}
		case P_EOF:
			return 0; /* everything up to the close is body */
		}
	}
	return 0;
bad:
	if (w->recording)
		w->st.err_parse++;
	conn_reconnect(w, c, idx);
	return -1;
}
