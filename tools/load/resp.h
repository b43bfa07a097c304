/* tools/load/resp.h - rocket-load's HTTP/1.1 response framing: the status
 * line, Content-Length, chunked encoding, Connection: close, or a body that
 * ends at the close. Read next: tools/load/resp.c, tools/load/conn.h.
 */
#ifndef ROCKET_TOOLS_LOAD_RESP_H
#define ROCKET_TOOLS_LOAD_RESP_H

#include <stddef.h>
#include <stdint.h>

#include "load/load.h"

/* Where a connection's response parser stands (load_conn.state). */
enum { P_HEAD, P_BODY, P_CHUNK_SIZE, P_CHUNK_EXT, P_CHUNK_DATA, P_CHUNK_CRLF, P_TRAILER, P_EOF };

/* Parse a complete head (status line + headers + CRLFCRLF): set c->status
 * and how the body is framed (c->state, c->remain, c->close_after).
 * Returns 0 or -1 on a malformed head. */
int resp_parse_head(struct load_conn *c, const uint8_t *h, size_t n);

/* Feed n received bytes to c's parser; each complete response goes to
 * conn_done. Returns -1 when the connection was replaced (a malformed
 * response, or conn_done reconnected): the rest of its bytes are moot. */
int resp_parse(struct load_worker *w, struct load_conn *c, uint32_t idx, const uint8_t *p,
	       uint32_t n, uint64_t now);

#endif
