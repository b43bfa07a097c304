/* src/engine/accept.c - --accept reactor: the reactor accepts by itself, one
 * multishot accept per listener on a SO_REUSEPORT socket of its own, into
 * its own fixed-file table when direct descriptors are on; no acceptor, no
 * hand-off, one thread per connection from SYN to close. The kernel
 * spreads new connections over the reactors' sockets by a hash of their
 * addresses (socket(7), SO_REUSEPORT), not by how busy each reactor is.
 *
 * Follows io_uring_prep_multishot_accept(3) and
 * io_uring_prep_multishot_accept_direct(3): re-armed when a CQE comes
 * without IORING_CQE_F_MORE; after an error (EMFILE, ENFILE) at the next
 * tick (RK_TICK_MS) instead of at once. (A socket accepted into a full
 * fixed table is lost - io_uring/net.c closes it -, which the table's
 * slack beyond --max-conns leaves to the rare burst at the limit, where
 * the reactor would refuse it anyway.)
 * Read next: src/engine/reactor.c.
 */
#include "internal.h"
#include "rocket/abi/linux.h"
#include "rocket/listen.h"
#include "rocket/sys.h"

enum { RK_ACCEPT_OP = 0, RK_ACCEPT_CANCEL = 1 };

static void rk_accept_arm(struct rk_reactor *r, uint8_t li)
{
	struct io_uring_sqe *sqe = rk_res_sqe(r);
	sqe->opcode = IORING_OP_ACCEPT;
	sqe->fd = r->listen_fds[li];
	sqe->ioprio = IORING_ACCEPT_MULTISHOT;
	if (r->accept_direct) /* no fd, no close-on-exec: the kernel refuses it */
		sqe->file_index = IORING_FILE_INDEX_ALLOC;
	else
		sqe->accept_flags = SOCK_CLOEXEC;
	sqe->user_data = rk_ud_tag(RK_UD_RACCEPT, RK_ACCEPT_OP, 0, li);
	r->accept_armed |= 1u << li;
}

/* Reactor 0 takes the listeners themselves, the others a SO_REUSEPORT
 * sibling each - or share the listener where the kernel will make none (a
 * socket of another owner, from systemd). Direct descriptors where the
 * table was registered (and no --send-zc: it needs an fd). */
void rk_accept_start(struct rk_reactor *r)
{
	const struct rk_engine_config *cfg = &r->e->cfg;
	r->accept_direct = r->nfixed && !cfg->send_zc;
	for (uint8_t li = 0; li < cfg->nlisten; li++) {
		int fd = r->id ? rk_listen_sibling(cfg->listen_fds[li], cfg->backlog) : -1;
		r->listen_fds[li] = fd >= 0 ? fd : cfg->listen_fds[li];
		rk_accept_arm(r, li);
	}
}

void rk_accept_close(struct rk_reactor *r)
{
	for (uint8_t li = 0; li < r->e->cfg.nlisten; li++)
		if (r->listen_fds[li] != r->e->cfg.listen_fds[li])
			sys_close(r->listen_fds[li]);
}

void rk_accept_stop(struct rk_reactor *r)
{
	r->accept_paused = 0;
	for (uint8_t li = 0; li < r->e->cfg.nlisten; li++) {
		if (r->accept_armed & (1u << li))
			rk_res_cancel(r, rk_ud_tag(RK_UD_RACCEPT, RK_ACCEPT_OP, 0, li),
				      rk_ud_tag(RK_UD_RACCEPT, RK_ACCEPT_CANCEL, 0, li));
	}
}

void rk_accept_tick(struct rk_reactor *r)
{
	for (uint8_t li = 0; r->accept_paused && li < r->e->cfg.nlisten; li++) {
		if (!(r->accept_paused & (1u << li)))
			continue;
		r->accept_paused &= ~(1u << li);
		if (!r->stopping)
			rk_accept_arm(r, li);
	}
}

void rk_accept_complete(struct rk_reactor *r, struct rk_conn *c, const struct io_uring_cqe *cqe)
{
	uint8_t li = rk_ud_tagof(cqe->user_data);
	bool more = cqe->flags & IORING_CQE_F_MORE;
	if (rk_ud_slot(cqe->user_data) == RK_ACCEPT_CANCEL)
		return; /* the cancel found nothing: the accept ends on its own */
	if (!more)
		r->accept_armed &= ~(1u << li);
	if (cqe->res >= 0) {
		r->fixed_used += r->accept_direct;
		/* Refused (and closed) while stopping or full. */
		c = rk_conn_open(r, cqe->res, r->accept_direct);
		if (c && c->state == RK_CONN_OPEN)
			rk_recv_arm(c);
		if (!more && !r->stopping) /* ended with a socket: CQ overflow */
			rk_accept_arm(r, li);
		return;
	}
	if (!more && !r->stopping)
		r->accept_paused |= 1u << li;
}
