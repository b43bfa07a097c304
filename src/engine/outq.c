/* src/engine/outq.c - a connection's output queue: entries of copied bytes
 * (in send chunks), borrowed bytes and file ranges, sent in order.
 *
 * Only the data structure lives here: appending, consuming what a send
 * completion says went out, and giving every entry's resources back (its
 * chunk to the pool, the application's memory or file through done()).
 * Entries sent by SEND_ZC wait on a second list until the kernel's
 * notification says it no longer reads their memory
 * (io_uring_prep_send_zc(3): IORING_CQE_F_NOTIF).
 * Read next: src/engine/conn.c.
 */
#include "internal.h"
#include "rocket/abi/linux.h"

static uint32_t rk_outq_new(struct rk_conn *c, enum rk_out_kind kind)
{
	struct rk_reactor *r = c->r;
	uint32_t i = rk_res_out_get(r);
	if (i == RK_NONE)
		return RK_NONE;
	r->outs[i] = (struct rk_out){
		.next = RK_NONE, .kind = (uint8_t)kind, .chunk = RK_NONE, .fd = -1
	};
	return i;
}

/* A new entry at the tail (or RK_NONE when the pool is empty). */
uint32_t rk_outq_push(struct rk_conn *c, enum rk_out_kind kind)
{
	uint32_t i = rk_outq_new(c, kind);
	if (i == RK_NONE)
		return i;
	if (c->out_tail != RK_NONE)
		c->r->outs[c->out_tail].next = i;
	else
		c->out_head = i;
	c->out_tail = i;
	return i;
}

/* A new entry after prev (RK_NONE: at the head): the chunk a file range
 * was just read into goes out before the rest of that range. */
uint32_t rk_outq_insert(struct rk_conn *c, uint32_t prev, enum rk_out_kind kind)
{
	uint32_t i = rk_outq_new(c, kind);
	if (i == RK_NONE)
		return i;
	uint32_t *link = prev == RK_NONE ? &c->out_head : &c->r->outs[prev].next;
	c->r->outs[i].next = *link;
	*link = i;
	if (c->out_tail == prev)
		c->out_tail = i;
	return i;
}

/* Give an entry's resources back. */
static void rk_outq_free(struct rk_conn *c, uint32_t i, int res)
{
	struct rk_reactor *r = c->r;
	struct rk_out *o = &r->outs[i];
	if (o->chunk != RK_NONE)
		rk_res_chunk_put(r, o->chunk);
	if (o->kind == RK_OUT_COPY)
		c->copied -= (uint32_t)o->len;
	c->queued_bytes -= o->len;
	if (o->done)
		o->done(o->arg, res);
	rk_res_out_put(r, i);
}

/* Unlink the entry after prev (RK_NONE: the head) and free it (res: what
 * its done() hears). */
void rk_outq_remove(struct rk_conn *c, uint32_t prev, int res)
{
	uint32_t *link = prev == RK_NONE ? &c->out_head : &c->r->outs[prev].next;
	uint32_t i = *link;
	*link = c->r->outs[i].next;
	if (c->out_tail == i)
		c->out_tail = prev;
	rk_outq_free(c, i, res);
}

void rk_outq_pop(struct rk_conn *c, int res)
{
	rk_outq_remove(c, RK_NONE, res);
}

/* n bytes from the head went out. Entries sent whole are freed - or, sent
 * by zero-copy send number zc_seq (not 0), parked in order until its
 * notification, their copied bytes still counted in the window. */
void rk_outq_consume(struct rk_conn *c, uint64_t n, uint32_t zc_seq)
{
	struct rk_reactor *r = c->r;
	while (n && c->out_head != RK_NONE) {
		struct rk_out *o = &r->outs[c->out_head];
		uint64_t take = n < o->len ? n : o->len;
		o->p += take;
		o->len -= take;
		if (o->kind == RK_OUT_COPY && !zc_seq)
			c->copied -= (uint32_t)take;
		c->queued_bytes -= take;
		n -= take;
		if (o->len)
			break;
		if (!zc_seq) {
			rk_outq_pop(c, 0);
			continue;
		}
		uint32_t i = c->out_head;
		c->out_head = o->next;
		if (c->out_head == RK_NONE)
			c->out_tail = RK_NONE;
		o->next = RK_NONE;
		o->off = zc_seq;
		if (c->zc_tail != RK_NONE)
			r->outs[c->zc_tail].next = i;
		else
			c->zc_head = i;
		c->zc_tail = i;
	}
}

/* Notifications up to send number upto have come: the kernel no longer
 * reads those entries' memory. A socket's TCP notifications complete in
 * order (its skbs are freed as they are acked, and an skb never carries
 * two sends' zero-copy memory), so the parked list is freed from its head. */
void rk_outq_zc_done(struct rk_conn *c, uint32_t upto)
{
	struct rk_reactor *r = c->r;
	while (c->zc_head != RK_NONE && (int32_t)(upto - (uint32_t)r->outs[c->zc_head].off) >= 0) {
		uint32_t i = c->zc_head;
		struct rk_out *o = &r->outs[i];
		c->zc_head = o->next;
		if (c->zc_head == RK_NONE)
			c->zc_tail = RK_NONE;
		if (o->kind == RK_OUT_COPY) /* its bytes leave the window now */
			c->copied -= (uint32_t)(o->p - rk_res_chunk_addr(r, o->chunk));
		rk_outq_free(c, i, 0);
	}
}

/* The connection is gone: everything back, done() hears -ECANCELED. Only
 * when no send is in flight (the kernel may still read the memory). */
void rk_outq_drop(struct rk_conn *c)
{
	while (c->out_head != RK_NONE)
		rk_outq_pop(c, -ECANCELED);
	if (!c->zc_pending)
		rk_outq_zc_done(c, c->zc_sends);
}
