/* src/http/chunked.c - incremental decoder for the chunked transfer coding,
 * RFC 9112 §7.1 (chunk-size, chunk-ext §7.1.1, trailer-section §7.1.2).
 * A byte-driven state machine: it keeps no input, so any split of the body
 * decodes the same, and it hands back data as views into the caller's bytes.
 * Read next: src/http/date.c.
 */
#include <rocket/http.h>

enum {
	S_SIZE0,   /* first hex digit of a chunk-size */
	S_SIZE,    /* further hex digits */
	S_SIZE_WS, /* BWS after the size: only ";" may follow */
	S_EXT,     /* chunk-ext: skipped up to CR */
	S_SIZE_LF, /* LF ending the chunk line */
	S_DATA,
	S_DATA_CR, /* CRLF after chunk data */
	S_DATA_LF,
	S_TR_START, /* start of a trailer line, or CR of the final CRLF */
	S_TR_NAME,
	S_TR_VALUE,
	S_TR_LF,
	S_FINAL_LF,
	S_DONE,
};

void rk_http_chunked_init(struct rk_http_chunked *st, uint64_t max_body)
{
	st->remaining = 0;
	st->total = 0;
	st->max_body = max_body ? max_body : RK_HTTP_DEFAULT_MAX_BODY;
	st->chunks = 0;
	st->max_chunks = RK_HTTP_DEFAULT_MAX_CHUNKS;
	st->max_line = RK_HTTP_MAX_CHUNK_LINE;
	st->max_trailers = RK_HTTP_MAX_TRAILERS;
	st->line = 0;
	st->state = S_SIZE0;
	st->digits = 0;
	st->error = 0;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 32;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int fail(struct rk_http_chunked *st, int err)
{
	st->error = (int16_t)err;
	return err;
}

/* One framing byte. Returns 0 to go on, 1 when the body is done, < 0 error. */
static int step(struct rk_http_chunked *st, unsigned char c)
{
	int h;

	switch (st->state) {
	case S_SIZE0:
	case S_SIZE:
		/* The bound counts the line's bytes before its CRLF. */
		if (c != '\r' && ++st->line > st->max_line)
			return -400;
		h = hexval(c);
		if (h >= 0) {
			/* Leading zeros are legal; significant digits past 16
			 * would overflow 64 bits. */
			if (st->remaining >> 60)
				return -400;
			st->remaining = st->remaining << 4 | (uint64_t)h;
			st->state = S_SIZE;
			return 0;
		}
		if (st->state == S_SIZE0)
			return -400; /* empty size, "-1", "g", " 5" */
		if (st->remaining > st->max_body - st->total)
			return -413;
		if (st->remaining && st->chunks++ >= st->max_chunks)
			return -413;
		if (c == '\r')
			st->state = S_SIZE_LF;
		else if (c == ';')
			st->state = S_EXT;
		else if (c == ' ' || c == '\t')
			st->state = S_SIZE_WS; /* BWS before ";" (§7.1.1) */
		else
			return -400;
		return 0;
	case S_SIZE_WS:
		if (++st->line > st->max_line)
			return -400;
		if (c == ';')
			st->state = S_EXT;
		else if (c != ' ' && c != '\t')
			return -400;
		return 0;
	case S_EXT:
		/* Extensions carry nothing we use; they are skipped within a
		 * bound. A quoted-string cannot contain CR, so stopping at CR
		 * is exact; other CTLs (and a bare LF) are refused. */
		if (c == '\r') {
			st->state = S_SIZE_LF;
			return 0;
		}
		if (++st->line > st->max_line)
			return -400;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return -400;
		return 0;
	case S_SIZE_LF:
		if (c != '\n')
			return -400;
		st->line = 0;
		st->state = st->remaining ? S_DATA : S_TR_START;
		return 0;
	case S_DATA_CR:
		if (c != '\r')
			return -400; /* chunk longer than its size said */
		st->state = S_DATA_LF;
		return 0;
	case S_DATA_LF:
		if (c != '\n')
			return -400;
		st->state = S_SIZE0;
		return 0;
	case S_TR_START:
		if (++st->line > st->max_trailers)
			return -431;
		if (c == '\r') {
			st->state = S_FINAL_LF;
		} else if (rk_http_is_tchar(c)) {
			st->state = S_TR_NAME; /* a leading SP/HTAB would be obs-fold */
		} else {
			return -400;
		}
		return 0;
	case S_TR_NAME:
		if (++st->line > st->max_trailers)
			return -431;
		if (c == ':')
			st->state = S_TR_VALUE;
		else if (!rk_http_is_tchar(c))
			return -400;
		return 0;
	case S_TR_VALUE:
		if (++st->line > st->max_trailers)
			return -431;
		if (c == '\r')
			st->state = S_TR_LF;
		else if ((c < 0x20 && c != '\t') || c == 0x7f)
			return -400;
		return 0;
	case S_TR_LF:
		if (++st->line > st->max_trailers)
			return -431;
		if (c != '\n')
			return -400;
		st->state = S_TR_START;
		return 0;
	case S_FINAL_LF:
		if (c != '\n')
			return -400;
		st->state = S_DONE;
		return 1;
	}
	return -400; /* S_DATA / S_DONE never reach here */
}

int rk_http_chunked_feed(struct rk_http_chunked *st, const char *in, size_t len, size_t *consumed,
			 struct rk_http_str *data)
{
	size_t i = 0;
	int r;

	*consumed = 0;
	if (st->error)
		return st->error;
	if (st->state == S_DONE)
		return RK_HTTP_CHUNKED_DONE;
	while (i < len) {
		if (st->state == S_DATA) {
			uint64_t n = len - i;
			if (n > st->remaining)
				n = st->remaining;
			if (n > UINT32_MAX)
				n = UINT32_MAX;
			data->p = in + i;
			data->n = (uint32_t)n;
			st->remaining -= n;
			st->total += n;
			if (st->remaining == 0)
				st->state = S_DATA_CR;
			*consumed = i + (size_t)n;
			return RK_HTTP_CHUNKED_DATA;
		}
		r = step(st, (unsigned char)in[i++]);
		if (r < 0) {
			*consumed = i - 1;
			return fail(st, r);
		}
		if (r > 0) {
			*consumed = i;
			return RK_HTTP_CHUNKED_DONE;
		}
	}
	*consumed = i;
	return 0;
}
