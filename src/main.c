/* src/main.c - the rocket command: flags -> configuration -> engine.
 *
 * Every knob of the engine is a flag, so the io_uring techniques can be
 * compared from the command line (see --help). Read this file last; it only
 * wires the layers below together.
 * Read next: src/rt/start.c (how the libc-free build gets here).
 */
#include "rocket/engine.h"
#include "rocket/fmt.h"
#include "rocket/http.h"
#include "rocket/main.h"
#include "rocket/server.h"
#include "rocket/sys.h"
#include "rocket/util.h"

enum rk_flag_kind { RK_F_U32, RK_F_BOOL, RK_F_STR, RK_F_SQPOLL, RK_F_TRACE };

struct rk_flag {
	const char *name;
	enum rk_flag_kind kind;
	void *dst;
	const char *help;
};

static void rk_usage(const struct rk_flag *flags, unsigned n, const struct rk_engine_config *d,
		     const struct rk_server_config *h)
{
	rk_dprint(1, "usage: rocket [flags]\n\nAn HTTP/1.1 server on raw io_uring.\n\n");
	for (unsigned i = 0; i < n; i++) {
		const struct rk_flag *f = &flags[i];
		char def[32] = "";
		if (f->kind == RK_F_U32)
			rk_fmt(def, sizeof(def), "%u", *(uint32_t *)f->dst);
		else if (f->kind == RK_F_STR)
			rk_fmt(def, sizeof(def), "%s", *(const char **)f->dst);
		else if (f->kind == RK_F_SQPOLL || f->kind == RK_F_TRACE)
			rk_fmt(def, sizeof(def), "off");
		else
			rk_fmt(def, sizeof(def), "%s", *(bool *)f->dst ? "on" : "off");
		rk_dprint(1, "  --%-18s %s (default: %s)\n", f->name, f->help, def);
	}
	(void)d;
	(void)h;
	rk_dprint(1, "  --%-18s %s\n", "help", "this text");
	rk_dprint(1, "\nSIGINT/SIGTERM: finish responses in flight, close, exit 0. "
		     "SIGUSR1: print per-reactor stats.\n");
}

/* "--name=value" or "--name value". Returns the next argv index or -1. */
static int rk_parse_flag(const struct rk_flag *flags, unsigned n, int argc, char **argv, int i,
			 struct rk_engine_config *cfg)
{
	const char *a = argv[i] + 2, *val = 0;
	size_t alen = 0;
	while (a[alen] && a[alen] != '=')
		alen++;
	if (a[alen] == '=')
		val = a + alen + 1;
	for (unsigned k = 0; k < n; k++) {
		const struct rk_flag *f = &flags[k];
		if (rk_strlen(f->name) != alen || rk_memcmp(f->name, a, alen))
			continue;
		if (f->kind == RK_F_BOOL) {
			*(bool *)f->dst = true;
			return i + 1;
		}
		if (f->kind == RK_F_SQPOLL || f->kind == RK_F_TRACE) {
			/* Optional "=N": the SQPOLL CPU, or the trace fd. */
			uint64_t v = 0;
			if (val && (rk_parse_u64(val, rk_strlen(val), &v) < 0 || v > 4095))
				goto bad;
			if (f->kind == RK_F_TRACE) {
				cfg->trace_fd = val ? (int)v : 2;
			} else {
				cfg->sqpoll = true;
				if (val)
					cfg->sqpoll_cpu = (int)v;
			}
			return i + 1;
		}
		if (!val) {
			if (i + 1 >= argc)
				goto bad;
			val = argv[++i];
		}
		if (f->kind == RK_F_STR) {
			*(const char **)f->dst = val;
			return i + 1;
		}
		uint64_t v;
		if (rk_parse_u64(val, rk_strlen(val), &v) < 0 || v > 0xffffffffu)
			goto bad;
		*(uint32_t *)f->dst = (uint32_t)v;
		return i + 1;
	bad:
		rk_dprint(2, "rocket: bad value for --%s\n", f->name);
		return -1;
	}
	rk_dprint(2, "rocket: unknown flag %s (see --help)\n", argv[i]);
	return -1;
}

int rk_main(int argc, char **argv)
{
	struct rk_engine_config cfg;
	struct rk_server_config hc;
	rk_engine_defaults(&cfg);
	rk_server_defaults(&hc);
	uint32_t port = cfg.port, backlog = (uint32_t)cfg.backlog;
	bool no_incremental = false;

	const struct rk_flag flags[] = {
		{ "port", RK_F_U32, &port, "TCP port" },
		{ "bind", RK_F_STR, &cfg.bind, "address: :: (IPv6+IPv4), 0.0.0.0, 127.0.0.1, ::1" },
		{ "backlog", RK_F_U32, &backlog, "listen(2) backlog" },
		{ "reactors", RK_F_U32, &cfg.reactors, "reactor threads (0: one per CPU)" },
		{ "ring-entries", RK_F_U32, &cfg.ring_entries, "SQ entries per reactor" },
		{ "cq-entries", RK_F_U32, &cfg.cq_entries, "CQ entries per reactor (0: 4 x SQ)" },
		{ "buffers", RK_F_U32, &cfg.buffers, "provided buffers per reactor (power of 2)" },
		{ "buffer-size", RK_F_U32, &cfg.buffer_size, "bytes per provided buffer" },
		{ "batch", RK_F_U32, &cfg.batch, "CQEs handled per loop before flushing sends" },
		{ "max-conns", RK_F_U32, &cfg.max_conns, "connections per reactor" },
		{ "send-buffer", RK_F_U32, &cfg.send_buffer, "bytes of one send chunk" },
		{ "send-chunks", RK_F_U32, &cfg.send_chunks, "send chunks per reactor (0: max-conns)" },
		{ "send-window", RK_F_U32, &cfg.send_window, "copied bytes one connection may queue (0: one chunk)" },
		{ "recv-share", RK_F_U32, &cfg.recv_share, "received pieces one connection may hold before its receive pauses (0: buffers/8)" },
		{ "send-zc", RK_F_BOOL, &cfg.send_zc, "zero-copy sends (IORING_OP_SEND_ZC, 6.0+)" },
		{ "no-incremental", RK_F_BOOL, &no_incremental, "whole buffers per receive (no IOU_PBUF_RING_INC)" },
		{ "sqpoll", RK_F_SQPOLL, &cfg.sqpoll, "kernel SQ polling thread, --sqpoll=CPU pins it" },
		{ "sq-idle", RK_F_U32, &cfg.sq_idle_ms, "SQPOLL idle ms before it sleeps (0: kernel default)" },
		{ "no-defer-taskrun", RK_F_BOOL, &cfg.no_defer_taskrun, "use COOP_TASKRUN instead of DEFER_TASKRUN" },
		{ "bundle", RK_F_BOOL, &cfg.bundle, "bundled receives (IORING_RECVSEND_BUNDLE, 6.10+)" },
		{ "pin", RK_F_BOOL, &cfg.pin, "pin reactor i to CPU i" },
		{ "quiet", RK_F_BOOL, &cfg.quiet, "no start-up line, no stats at exit" },
		{ "trace", RK_F_TRACE, &cfg.trace_fd, "print every SQE, enter and CQE; --trace=FD to that fd" },
		{ "max-request-line", RK_F_U32, &hc.limits.max_request_line, "bytes (else 414)" },
		{ "max-head", RK_F_U32, &hc.limits.max_head, "header block bytes (else 431)" },
		{ "max-headers", RK_F_U32, &hc.limits.max_headers, "header fields (else 431)" },
		{ "max-body", RK_F_U32, &hc.max_body, "request body bytes (else 413)" },
		{ "max-body-buffer", RK_F_U32, &hc.max_body_buffer, "body bytes a buffered route gets at once (else 413)" },
		{ "body-buffers", RK_F_U32, &hc.body_buffers, "bodies buffered at once per reactor (else 503)" },
		{ "header-timeout", RK_F_U32, &hc.header_timeout, "seconds to receive a request head (else 408)" },
		{ "idle-timeout", RK_F_U32, &hc.idle_timeout, "seconds a keep-alive connection may idle" },
	};
	unsigned nflags = RK_ARRAY_SIZE(flags);

	for (int i = 1; i < argc;) {
		if (rk_streq(argv[i], "--help") || rk_streq(argv[i], "-h")) {
			rk_usage(flags, nflags, &cfg, &hc);
			return 0;
		}
		if (argv[i][0] != '-' || argv[i][1] != '-') {
			rk_dprint(2, "rocket: unexpected argument %s (see --help)\n", argv[i]);
			return 2;
		}
		i = rk_parse_flag(flags, nflags, argc, argv, i, &cfg);
		if (i < 0)
			return 2;
	}
	if (port > 65535 || backlog > 0x7fffffff) {
		rk_dprint(2, "rocket: --port/--backlog out of range\n");
		return 2;
	}
	cfg.incremental = !no_incremental;
	cfg.port = (uint16_t)port;
	cfg.backlog = (int)backlog;
	rk_server_setup(&cfg, &hc);

	struct rk_engine *e;
	int ret = rk_engine_create(&e, &cfg);
	if (ret < 0) {
		rk_dprint(2, "rocket: cannot start on %s port %u: %s\n", cfg.bind, port,
			  rk_errno_name(-ret));
		return 1;
	}
	ret = rk_engine_run(e);
	rk_engine_destroy(e);
	if (ret < 0) {
		rk_dprint(2, "rocket: %s\n", rk_errno_name(-ret));
		return 1;
	}
	return 0;
}
