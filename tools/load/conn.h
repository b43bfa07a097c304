/* tools/load/conn.h - rocket-load's per-thread ring loop: one rk_ring and one
 * provided-buffer ring per thread, multishot receives, one SEND at a time per
 * connection, IORING_OP_CONNECT for reconnects.
 * Read next: tools/load/conn.c, tools/load/resp.h.
 */
#ifndef ROCKET_TOOLS_LOAD_CONN_H
#define ROCKET_TOOLS_LOAD_CONN_H

#include <stdint.h>

#include "load/load.h"

/* The worker thread (pthread_create's start routine); arg is a load_worker. */
void *conn_thread(void *arg);

/* A response is complete: account for it and queue the next request.
 * Returns -1 when the connection was replaced (stop parsing its bytes). */
int conn_done(struct load_worker *w, struct load_conn *c, uint32_t idx, uint64_t now);

/* Drop the connection and start a new one through IORING_OP_CONNECT. */
void conn_reconnect(struct load_worker *w, struct load_conn *c, uint32_t idx);

#endif
