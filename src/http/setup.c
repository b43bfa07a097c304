/* src/http/setup.c - the HTTP server's configuration and memory: its
 * defaults, rk_server_setup (checks the sizes, installs the session as the
 * engine's handler), and each reactor's state - the Date field, the pools
 * of connection, body and log areas, the file cache - laid out once to
 * size it and once per reactor to carve it, then trimmed once a second.
 * Read next: src/http/router.c.
 */
#include "internal.h"
RK_SRV_SMALL_FILE_BEGIN
#include "rocket/sys.h"
#include "rocket/util.h"

static void rk_srv_on_tick(void *ctx, void *reactor_state, int64_t now)
{
	struct rk_srv_reactor *rs = reactor_state;
	(void)ctx;
	rk_srv_set_date(rs, now);
	rk_pool_trim(&rs->conn_areas);
	rk_pool_trim(&rs->body_areas);
	rk_pool_trim(&rs->log_slots);
}

#define RK_ALIGN_PAGE(n) (((n) + RK_PAGE - 1) & ~(size_t)(RK_PAGE - 1))

/* Areas are whole pages, so an idle one's memory goes back whole. */
static size_t rk_srv_conn_area_size(const struct rk_server_config *hc)
{
	return RK_ALIGN_PAGE(RK_SRV_SCRATCH_OFF(hc->limits.max_head) + RK_SERVER_SCRATCH);
}

static size_t rk_srv_body_area_size(const struct rk_server_config *hc)
{
	return RK_ALIGN_PAGE(RK_ALIGN16(sizeof(struct rk_http_request)) + hc->limits.max_head +
			     RK_ALIGN16(rk_srv_buffer_limit(hc)));
}

/* The per-reactor state, laid out once to size it (rs NULL) and once per
 * reactor to carve it: the header, then each pool's free list and areas
 * (the engine maps it untouched, on a page: areas cost only once used).
 * In 64 bits: at most 2^24 areas of at most 2^33 bytes each cannot wrap. */
RK_SRV_COLD static size_t rk_srv_layout(const struct rk_server_config *hc,
					struct rk_srv_reactor *rs)
{
	struct rk_pool *pools[3] = { rs ? &rs->conn_areas : 0, rs ? &rs->body_areas : 0,
				     rs ? &rs->log_slots : 0 };
	uint32_t counts[3] = { hc->max_conns, hc->body_buffers,
			       hc->access_log ? hc->max_conns : 0 };
	size_t sizes[3] = { rk_srv_conn_area_size(hc), rk_srv_body_area_size(hc), RK_SRV_LOG_SLOT };
	size_t at = RK_ALIGN16(sizeof(struct rk_srv_reactor));
	for (int k = 0; k < 3; k++) {
		uint32_t n = counts[k];
		size_t list = RK_ALIGN_PAGE(at + (size_t)n * 4);
		if (rs)
			rk_pool_init(pools[k], (uint32_t *)((char *)rs + at), n, (char *)rs + list,
				     sizes[k]);
		at = list + (size_t)n * sizes[k];
	}
	/* The file cache: entries, hash buckets, the arena's page map, the
	 * arena (whole pages, touched only as files are kept). */
	uint32_t ne = hc->file_cache_entries, nb = ne ? rk_pow2_ceil(2 * ne) : 0;
	uint32_t np = ne ? hc->file_cache / RK_PAGE : 0;
	size_t ents = RK_ALIGN16(at), buckets = ents + (size_t)ne * sizeof(struct rk_fc_ent);
	size_t map = RK_ALIGN16(buckets + (size_t)nb * 4);
	size_t arena = RK_ALIGN_PAGE(map + (size_t)(np + 63) / 64 * 8);
	if (rs && ne) {
		rs->fc = (struct rk_fcache){ .ents = (struct rk_fc_ent *)((char *)rs + ents),
					     .buckets = (uint32_t *)((char *)rs + buckets),
					     .map = (uint64_t *)((char *)rs + map),
					     .arena = (uint8_t *)rs + arena,
					     .nents = ne,
					     .nbuckets = nb,
					     .npages = np,
					     .max_file = (uint64_t)np * RK_PAGE / 4 };
	}
	return ne ? arena + (size_t)np * RK_PAGE : at;
}

RK_SRV_COLD static void rk_srv_on_reactor_start(void *ctx, void *reactor_state, uint32_t id)
{
	struct __kernel_timespec ts;
	(void)id;
	rk_srv_layout(ctx, reactor_state);
	sys_clock_gettime(CLOCK_REALTIME, &ts);
	rk_srv_set_date(reactor_state, ts.tv_sec);
}

RK_SRV_COLD static void rk_srv_on_reactor_stop(void *ctx, void *reactor_state, uint32_t id)
{
	(void)ctx;
	(void)id;
	rk_fc_exit(&((struct rk_srv_reactor *)reactor_state)->fc);
}

RK_SRV_COLD void rk_server_defaults(struct rk_server_config *hc)
{
	rk_memset(hc, 0, sizeof(*hc));
	hc->limits.max_request_line = RK_HTTP_DEFAULT_MAX_REQUEST_LINE;
	hc->limits.max_head = RK_HTTP_DEFAULT_MAX_HEAD;
	hc->limits.max_headers = RK_HTTP_DEFAULT_MAX_HEADERS;
	hc->limits.max_field = RK_SERVER_DEFAULT_MAX_FIELD;
	hc->limits.max_chunk_line = RK_HTTP_MAX_CHUNK_LINE;
	hc->limits.max_trailers = RK_HTTP_MAX_TRAILERS;
	hc->limits.max_chunks = RK_HTTP_DEFAULT_MAX_CHUNKS;
	hc->max_body = 64u << 20;
	hc->max_body_buffer = RK_SERVER_DEFAULT_MAX_BODY_BUFFER;
	hc->body_buffers = RK_SERVER_DEFAULT_BODY_BUFFERS;
	hc->header_timeout = 10;
	hc->body_timeout = 60;
	hc->idle_timeout = 60;
	hc->linger_timeout = 5;
	hc->routes = rk_server_default_routes;
}

RK_SRV_COLD int rk_server_setup(struct rk_engine_config *cfg, struct rk_server_config *hc)
{
	rk_engine_resolve(cfg); /* the sizes for this machine, first */
	/* Sizes the engine keeps in 32 bits, and the one rule between the
	 * send chunks and a head: an answer is only begun with the reserve
	 * free, so chunks that can never hold it would stall every request. */
	uint64_t state = RK_SRV_STATE_OFF + (uint64_t)hc->state_size;
	uint64_t reserve = RK_SRV_HEAD_MAX + RK_MAX(RK_SERVER_MIN_SPACE, hc->limits.max_head);
	uint64_t chunks = cfg->send_chunks;
	uint32_t window = cfg->send_window ? cfg->send_window : cfg->send_buffer;
	if (state > UINT32_MAX || hc->limits.max_head > (1u << 30))
		return -EOVERFLOW;
	/* on_writable comes once copies fall to half the window and the free
	 * chunks hold that half: the reserve must fit in it, and the chunks
	 * must be able to hold it, or the pump would wait forever. */
	if (window < 2 * reserve)
		cfg->send_window = window = (uint32_t)(2 * reserve);
	if (chunks * cfg->send_buffer < window / 2)
		return -ENOSPC;
	cfg->handler = (struct rk_handler){
		.on_tick = rk_srv_on_tick,
		.on_reactor_start = rk_srv_on_reactor_start,
		.on_reactor_stop = rk_srv_on_reactor_stop,
		.ctx = (void *)hc,
	};
	rk_srv_handler(&cfg->handler);
	hc->max_conns = cfg->max_conns;
	hc->limits.max_body = hc->max_body; /* what the parser checks */
	if (!hc->routes)
		hc->routes = rk_server_default_routes;
	cfg->app_state_size = (uint32_t)state;
	cfg->app_state_clear = (uint32_t)sizeof(struct rk_srv_conn);
	cfg->reactor_state_size = rk_srv_layout(hc, 0);
	return 0;
}
#if defined(__clang__)
#pragma clang attribute pop
#endif
