/* src/engine/file.c - file ranges of the output queue: read a chunk of the
 * file through the ring (IORING_OP_READ at an explicit offset), put it in
 * the queue before the rest of the range, send it like copied bytes. A
 * response head queued just before a file range waits for the range's
 * first chunk, so the two leave in one send (src/engine/send.c).
 *
 * Follows io_uring_prep_read(3). One chunk per connection at a time, read
 * only when the previous one has been sent: a client that reads slowly
 * holds one chunk, however large the file. A read that returns 0 before the
 * range is done means the file shrank: the length already promised to the
 * peer cannot be kept, so the connection is aborted (and counted).
 * Read next: src/engine/user.c.
 */
#include "internal.h"
#include "rocket/abi/linux.h"

void rk_file_read(struct rk_conn *c, uint32_t prev)
{
	struct rk_reactor *r = c->r;
	uint32_t k = rk_res_chunk_get(r);
	if (k == RK_NONE) {
		r->st.out_waits++;
		rk_res_defer(c, RK_Q_CHUNK);
		return;
	}
	struct rk_out *o = &r->outs[prev == RK_NONE ? c->out_head : r->outs[prev].next];
	uint64_t want = o->len < r->e->cfg.send_buffer ? o->len : r->e->cfg.send_buffer;
	struct io_uring_sqe *sqe = rk_res_sqe(r);
	sqe->opcode = IORING_OP_READ;
	sqe->fd = o->fd;
	sqe->off = o->off;
	sqe->addr = (uint64_t)(uintptr_t)rk_res_chunk_addr(r, k);
	sqe->len = (uint32_t)want;
	sqe->user_data = rk_ud(RK_UD_FILE, c->slot, c->gen);
	o->chunk = k; /* the FILE entry holds the chunk while the read flies */
	c->file_prev = prev;
	c->file_busy = true;
	c->nops++;
	r->st.file_reads++;
}

void rk_file_complete(struct rk_reactor *r, struct rk_conn *c, const struct io_uring_cqe *cqe)
{
	c->file_busy = false;
	c->nops--;
	uint32_t prev = c->file_prev;
	struct rk_out *o = &r->outs[prev == RK_NONE ? c->out_head : r->outs[prev].next];
	uint32_t k = o->chunk;
	o->chunk = RK_NONE;
	if (c->aborting || cqe->res <= 0) {
		rk_res_chunk_put(r, k);
		if (!c->aborting)
			r->st.file_short++; /* shrank (0) or failed (-errno) */
		if (c->state == RK_CONN_OPEN)
			rk_conn_begin_close(c, RK_CLOSE_ERROR, true);
		else {
			c->aborting = true;
			rk_conn_progress_close(c);
		}
		return;
	}
	uint32_t n = (uint32_t)cqe->res;
	o->off += n;
	o->len -= n;
	c->queued_bytes -= n; /* counted again as the chunk's bytes */
	if (!o->len)
		rk_outq_remove(c, prev, 0); /* done: the application may close its fd */
	uint32_t i = rk_outq_insert(c, prev, RK_OUT_CHUNK);
	if (i == RK_NONE) {
		/* The application's entries took the whole pool: the bytes
		 * cannot be queued, so the response cannot be finished. */
		rk_res_chunk_put(r, k);
		r->st.out_waits++;
		rk_conn_begin_close(c, RK_CLOSE_ERROR, true);
		return;
	}
	struct rk_out *ch = &r->outs[i];
	ch->chunk = k;
	ch->p = rk_res_chunk_addr(r, k);
	ch->len = n;
	c->queued_bytes += n;
	rk_res_defer(c, RK_Q_FLUSH);
}
