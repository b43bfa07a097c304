/* src/cli/flags.c - the flags: one table gives each its value's type, its
 * allowed range and its --help line, so a value is checked, and a wrong one
 * named with its rule, before anything is opened.
 *
 * "--name value" and "--name=value" both work; a boolean flag alone means
 * on, and takes =1/0, yes/no, on/off, true/false (anything else is an
 * error: --quiet=0 must not mean quiet). tools/rocket.8 documents every
 * flag printed here, which tests/test_cli.c checks.
 * Read next: src/cli/sockets.c.
 */
#include "cli.h"
#include "rocket/fmt.h"
#include "rocket/sys.h"
#include "rocket/util.h"

enum rk_flag_kind {
	RK_F_U32, /* a number in [min, max] (a power of two with pow2) */
	RK_F_BOOL,
	RK_F_STR,
	RK_F_BIND,   /* an address; repeatable */
	RK_F_SQPOLL, /* on, or =CPU */
	RK_F_TRACE,  /* to stderr, or =FD */
	RK_F_MOUNT,  /* PREFIX=DIR; repeatable */
	RK_F_HELP,
	RK_F_VERSION,
};

/* What --help shows after a flag's name, and what 0 means for a number. */
enum {
	A_NONE,
	A_N,
	A_BYTES,
	A_MS,
	A_S,
	A_ADDR,
	A_USER,
	A_DIR,
	A_CPU,
	A_FD,
	A_MOUNT,
	A_NAME,
	A_VALUE,
	A_PATH,
	A_MODE
};
static const char *const rk_arg_names[] = {
	"",       " N",    " BYTES",      " MS",   " S",     " ADDR", " UID[:GID]", " DIR",
	"[=CPU]", "[=FD]", " PREFIX=DIR", " NAME", " VALUE", " PATH", " MODE",
};
enum { Z_NONE, Z_PORT, Z_CPUS, Z_CQ, Z_KERNEL, Z_OFF, Z_CONNS, Z_CHUNK, Z_SHARE, Z_MAXC, Z_BUFS };
static const char *const rk_zero_names[] = {
	0,
	"any free port",
	"one per CPU",
	"4 x --ring-entries",
	"kernel default",
	"none",
	"--max-conns / 2",
	"one --send-buffer",
	"--buffers / 8",
	"32768 / --reactors, 256 to 16384",
	"2048, 1024 below 1024 conns",
};

/* One flag, 32 bytes. The table is a constant (no pointers into a stack
 * frame), so its value lives at offset `off` of struct rk_cli. */
struct rk_flag {
	const char *name;
	const char *help;
	uint32_t min, max; /* RK_F_U32 */
	uint16_t off;
	uint8_t kind;    /* enum rk_flag_kind */
	uint8_t arg : 4; /* A_* */
	uint8_t pow2 : 1;
	uint8_t zero; /* Z_*: RK_F_U32 with min 0 */
};

#define U32_MAX    0xffffffffu
#define OFF(field) ((uint16_t) __builtin_offsetof(struct rk_cli, field))
#define FLAG(n, a, k, f, h)                                                                        \
	{                                                                                          \
		.name = n, .arg = a, .kind = k, .off = OFF(f), .help = h                           \
	}
#define U32(n, a, f, h, lo, hi)                                                                    \
	{                                                                                          \
		.name = n, .arg = a, .kind = RK_F_U32, .off = OFF(f), .help = h, .min = lo,        \
		.max = hi                                                                          \
	}
#define U32Z(n, a, f, h, lo, hi, z)                                                                \
	{                                                                                          \
		.name = n, .arg = a, .kind = RK_F_U32, .off = OFF(f), .help = h, .min = lo,        \
		.max = hi, .zero = z                                                               \
	}
#define POW2(n, a, f, h, lo, hi)                                                                   \
	{                                                                                          \
		.name = n, .arg = a, .kind = RK_F_U32, .off = OFF(f), .help = h, .min = lo,        \
		.max = hi, .pow2 = true                                                            \
	}

static void *rk_dst(struct rk_cli *c, const struct rk_flag *f)
{
	return (char *)c + f->off;
}

static void rk_usage(struct rk_cli *c, const struct rk_flag *flags, unsigned n)
{
	rk_dprint(1, "usage: rocket [flags]\n\nAn HTTP/1.1 server on raw io_uring.\n\n");
	for (unsigned i = 0; i < n; i++) {
		const struct rk_flag *f = &flags[i];
		char name[40], def[48] = "";
		rk_fmt(name, sizeof(name), "%s%s", f->name, rk_arg_names[f->arg]);
		/* A default sized for the machine (0) is named, not numbered:
		 * the flag itself may not take 0. */
		if (f->kind == RK_F_U32 && !*(uint32_t *)rk_dst(c, f) && f->min)
			rk_fmt(def, sizeof(def), " (default: %s)", rk_zero_names[f->zero]);
		else if (f->kind == RK_F_U32)
			rk_fmt(def, sizeof(def), " (default: %u)", *(uint32_t *)rk_dst(c, f));
		else if (f->kind == RK_F_STR)
			rk_fmt(def, sizeof(def), " (default: %s)",
			       *(const char **)rk_dst(c, f) ? *(const char **)rk_dst(c, f)
							    : "none");
		else if (f->kind == RK_F_BIND)
			rk_fmt(def, sizeof(def), " (default: %s)", RK_CLI_BIND_DEFAULT);
		else if (f->kind == RK_F_MOUNT)
			rk_fmt(def, sizeof(def), " (default: none)");
		else if (f->kind == RK_F_BOOL)
			rk_fmt(def, sizeof(def), " (default: %s)",
			       *(bool *)rk_dst(c, f) ? "on" : "off");
		else if (f->kind == RK_F_SQPOLL || f->kind == RK_F_TRACE)
			rk_fmt(def, sizeof(def), " (default: off)");
		bool z = f->zero && !f->min;
		rk_dprint(1, "  --%-22s %s%s%s%s\n", name, f->help, z ? "; 0: " : "",
			  z ? rk_zero_names[f->zero] : "", def);
	}
	rk_dprint(1, "\nSIGINT/SIGTERM: finish responses in flight, close, exit 0. "
		     "SIGUSR1: print the stats. SIGHUP: reopen --access-log.\n"
		     "Exit status: 0 stopped cleanly, 1 bad usage or start-up failure, "
		     "2 failure while serving. See rocket(8).\n");
}

/* =1/=0 and friends; -1 for anything else. */
static int rk_parse_bool(const char *v)
{
	static const char *const yes[] = { "1", "yes", "on", "true" };
	static const char *const no[] = { "0", "no", "off", "false" };
	for (unsigned i = 0; i < RK_ARRAY_SIZE(yes); i++) {
		if (rk_streq(v, yes[i]))
			return 1;
		if (rk_streq(v, no[i]))
			return 0;
	}
	return -1;
}

/* "must be ..." for a number outside f's range. */
static void rk_range_error(const struct rk_flag *f, const char *val)
{
	char zero[48] = "";
	if (f->zero && f->min == 0)
		rk_fmt(zero, sizeof(zero), " (%s)", rk_zero_names[f->zero]);
	if (f->pow2)
		rk_dprint(2, "rocket: --%s %s: must be a power of two from %u to %u\n", f->name,
			  val, f->min, f->max);
	else if (f->max == U32_MAX)
		rk_dprint(2, "rocket: --%s %s: must be at least %u\n", f->name, val, f->min);
	else
		rk_dprint(2, "rocket: --%s %s: must be from %u%s to %u\n", f->name, val, f->min,
			  zero, f->max);
}

static int rk_set_value(struct rk_cli *c, const struct rk_flag *f, const char *val)
{
	uint64_t v;
	switch (f->kind) {
	case RK_F_STR:
		*(const char **)rk_dst(c, f) = val;
		return 0;
	case RK_F_MOUNT:
		if (c->nmounts == RK_CLI_MOUNTS) {
			rk_dprint(2, "rocket: --mount %s: at most %u trees\n", val, RK_CLI_MOUNTS);
			return -1;
		}
		c->mounts[c->nmounts++] = (char *)val;
		return 0;
	case RK_F_BIND:
		if (c->nbinds == RK_MAX_LISTEN) {
			rk_dprint(2, "rocket: --bind %s: at most %u addresses\n", val,
				  RK_MAX_LISTEN);
			return -1;
		}
		c->binds[c->nbinds++] = val;
		return 0;
	default:
		if (rk_parse_u64(val, rk_strlen(val), &v) < 0) {
			rk_dprint(2, "rocket: --%s %s: not a number\n", f->name, val);
			return -1;
		}
		if (v < f->min || v > f->max || (f->pow2 && (v & (v - 1)))) {
			rk_range_error(f, val);
			return -1;
		}
		*(uint32_t *)rk_dst(c, f) = (uint32_t)v;
		return 0;
	}
}

/* One flag at argv[i]. Returns the next index, or -1 (message printed). */
static int rk_parse_flag(struct rk_cli *c, const struct rk_flag *flags, unsigned n, int argc,
			 char **argv, int i)
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
		int b;
		uint64_t v = 0;
		switch (f->kind) {
		case RK_F_HELP:
		case RK_F_VERSION:
			if (val)
				break;
			return i + 1;
		case RK_F_BOOL:
			b = val ? rk_parse_bool(val) : 1;
			if (b < 0) {
				rk_dprint(2,
					  "rocket: --%s=%s: takes no value, or one of 1/0, "
					  "yes/no, on/off, true/false\n",
					  f->name, val);
				return -1;
			}
			*(bool *)rk_dst(c, f) = b;
			return i + 1;
		case RK_F_SQPOLL:
		case RK_F_TRACE:
			/* An optional "=N": the SQPOLL thread's CPU, the trace fd. */
			if (val && (rk_parse_u64(val, rk_strlen(val), &v) < 0 || v > 4095)) {
				rk_dprint(2, "rocket: --%s=%s: must be a number from 0 to 4095\n",
					  f->name, val);
				return -1;
			}
			if (f->kind == RK_F_TRACE) {
				c->cfg.trace_fd = val ? (int)v : 2;
			} else {
				c->cfg.sqpoll = true;
				c->cfg.sqpoll_cpu = val ? (int)v : -1;
			}
			return i + 1;
		default:
			if (!val) {
				if (i + 1 >= argc) {
					rk_dprint(
						2,
						"rocket: --%s needs a value (see rocket --help)\n",
						f->name);
					return -1;
				}
				val = argv[++i];
			}
			return rk_set_value(c, f, val) < 0 ? -1 : i + 1;
		}
		rk_dprint(2, "rocket: --%s takes no value\n", f->name);
		return -1;
	}
	rk_dprint(2, "rocket: unknown flag %s (see rocket --help)\n", argv[i]);
	return -1;
}

static const struct rk_flag rk_flags[] = {
	U32Z("port", A_N, port, "TCP port", 0, 65535, Z_PORT),
	FLAG("bind", A_ADDR, RK_F_BIND, port,
	     "numeric address to listen on, repeat for several: :: (IPv6 and IPv4), "
	     "0.0.0.0, 127.0.0.1, ::1"),
	U32("backlog", A_N, backlog, "listen(2) backlog", 1, 0x7fffffff),
	U32Z("reactors", A_N, cfg.reactors, "reactor threads", 0, 1024, Z_CPUS),
	U32("ring-entries", A_N, cfg.ring_entries, "SQ entries per reactor", 1, 32768),
	U32Z("cq-entries", A_N, cfg.cq_entries, "CQ entries per reactor", 0, 65536, Z_CQ),
	{ .name = "buffers",
	  .arg = A_N,
	  .kind = RK_F_U32,
	  .off = OFF(cfg.buffers),
	  .help = "provided buffers per reactor (power of 2)",
	  .min = 1,
	  .max = 32768,
	  .pow2 = true,
	  .zero = Z_BUFS },
	U32("buffer-size", A_BYTES, cfg.buffer_size, "bytes per provided buffer", 1, U32_MAX),
	U32("batch", A_N, cfg.batch, "CQEs handled per loop before flushing sends", 1, U32_MAX),
	U32Z("max-conns", A_N, cfg.max_conns, "connections per reactor", 1, 1u << 24, Z_MAXC),
	U32("send-buffer", A_BYTES, cfg.send_buffer, "bytes of one send chunk", 64, U32_MAX),
	U32Z("send-chunks", A_N, cfg.send_chunks, "send chunks per reactor", 0, 1u << 24, Z_CONNS),
	U32Z("send-window", A_BYTES, cfg.send_window, "copied bytes one connection may queue", 0,
	     U32_MAX, Z_CHUNK),
	U32Z("recv-share", A_N, cfg.recv_share,
	     "received pieces one connection may hold (pipelined requests too) "
	     "before it stops reading",
	     0, U32_MAX, Z_SHARE),
	U32("splice-pipes", A_N, cfg.splice_pipes,
	    "pipes per reactor to SPLICE large file ranges through (0: READ + SEND)", 0,
	    RK_SPLICE_PIPES_MAX),
	U32("splice-pipe-size", A_BYTES, cfg.splice_pipe_size, "bytes of each splice pipe", 4096,
	    1u << 30),
	FLAG("send-zc", A_NONE, RK_F_BOOL, cfg.send_zc,
	     "zero-copy sends (IORING_OP_SEND_ZC, 6.0+)"),
	FLAG("incremental", A_NONE, RK_F_BOOL, cfg.incremental,
	     "incremental buffer consumption (IOU_PBUF_RING_INC, 6.12+; =off: whole buffers)"),
	FLAG("sqpoll", A_CPU, RK_F_SQPOLL, port, "kernel SQ polling thread, =CPU pins it"),
	U32Z("sq-idle", A_MS, cfg.sq_idle_ms, "SQPOLL idle ms before it sleeps", 0, U32_MAX,
	     Z_KERNEL),
	FLAG("no-defer-taskrun", A_NONE, RK_F_BOOL, cfg.no_defer_taskrun,
	     "use COOP_TASKRUN instead of DEFER_TASKRUN"),
	FLAG("direct", A_NONE, RK_F_BOOL, direct, "direct descriptors (6.0+; =off: fds)"),
	FLAG("accept", A_MODE, RK_F_STR, accept,
	     "auto, acceptor (least-loaded hand-off) or reactor"),
	FLAG("bundle", A_NONE, RK_F_BOOL, cfg.bundle,
	     "bundled receives (IORING_RECVSEND_BUNDLE, 6.10+)"),
	FLAG("pin", A_NONE, RK_F_BOOL, cfg.pin, "pin reactor i to CPU i"),
	FLAG("quiet", A_NONE, RK_F_BOOL, cfg.quiet, "no start-up line, no stats at exit"),
	FLAG("trace", A_FD, RK_F_TRACE, port, "print every SQE, enter and CQE (to stderr or FD)"),
	U32("max-request-line", A_BYTES, hc.limits.max_request_line,
	    "request line bytes (else 414)", 1, U32_MAX),
	U32("max-head", A_BYTES, hc.limits.max_head, "header block bytes (else 431)", 1, 1u << 30),
	U32("max-field", A_BYTES, hc.limits.max_field, "header field line bytes (else 431)", 1,
	    U32_MAX),
	U32("max-headers", A_N, hc.limits.max_headers, "header fields (else 431)", 1,
	    RK_HTTP_MAX_HEADERS),
	U32("max-chunk-line", A_BYTES, hc.limits.max_chunk_line, "chunk line bytes (else 400)", 1,
	    U32_MAX),
	U32("max-trailers", A_BYTES, hc.limits.max_trailers, "trailer bytes (else 431)", 1,
	    U32_MAX),
	U32("max-chunks", A_N, hc.limits.max_chunks, "chunks per body (else 413)", 1, U32_MAX),
	U32("max-body", A_BYTES, hc.max_body, "request body bytes (else 413)", 0, U32_MAX),
	U32("max-body-buffer", A_BYTES, hc.max_body_buffer,
	    "body bytes a buffered route gets at once (else 413)", 0, U32_MAX),
	U32("body-buffers", A_N, hc.body_buffers, "bodies buffered at once per reactor (else 503)",
	    0, U32_MAX),
	U32Z("header-timeout", A_S, hc.header_timeout,
	     "seconds to receive a request head (else 408)", 0, U32_MAX, Z_OFF),
	U32Z("body-timeout", A_S, hc.body_timeout, "seconds to receive a request body (else 408)",
	     0, U32_MAX, Z_OFF),
	U32Z("idle-timeout", A_S, hc.idle_timeout, "seconds a keep-alive connection may idle", 0,
	     U32_MAX, Z_OFF),
	U32("linger-timeout", A_S, hc.linger_timeout,
	    "seconds a closing connection may take after its last byte out", 1, U32_MAX),
	FLAG("root", A_DIR, RK_F_STR, root_dir,
	     "serve the files of DIR at / (the built-in routes are then off)"),
	FLAG("mount", A_MOUNT, RK_F_MOUNT, port,
	     "serve the files of DIR under PREFIX (/x/), beside the routes; repeatable"),
	FLAG("index", A_NAME, RK_F_STR, st.index, "the file a URL ending in / serves"),
	FLAG("list-dirs", A_NONE, RK_F_BOOL, st.list_dirs, "list a directory without its index"),
	FLAG("dotfiles", A_NONE, RK_F_BOOL, st.dotfiles, "serve names starting with ."),
	FLAG("no-symlinks", A_NONE, RK_F_BOOL, st.no_symlinks,
	     "follow no symlink, even one inside the tree"),
	FLAG("cache-control", A_VALUE, RK_F_STR, st.cache_control,
	     "the Cache-Control field of file answers"),
	FLAG("no-precompressed", A_NONE, RK_F_BOOL, st.no_precompressed,
	     "never serve NAME.br or NAME.gz for NAME"),
	U32("file-cache", A_BYTES, hc.file_cache,
	    "bytes per reactor of small files kept in memory (each up to a quarter)", 0, U32_MAX),
	U32("file-cache-entries", A_N, hc.file_cache_entries,
	    "open files and missing names each reactor remembers for a second (0: none)", 0,
	    1u << 20),
	FLAG("access-log", A_PATH, RK_F_STR, access_log,
	     "append a line per answer to PATH (- for stdout)"),
	U32("access-log-buffer", A_BYTES, cfg.log_buffer,
	    "bytes of each of a reactor's two log buffers (a pipe: 4096)", 4096, 1u << 30),
	FLAG("user", A_USER, RK_F_STR, user, "after binding, switch to this user (number or name)"),
	FLAG("chroot", A_DIR, RK_F_STR, chroot_dir, "after binding, make DIR the root directory"),
	FLAG("no-root", A_NONE, RK_F_BOOL, no_root, "refuse to run as root without --user"),
	FLAG("version", A_NONE, RK_F_VERSION, port, "print the version and exit"),
	FLAG("help", A_NONE, RK_F_HELP, port, "this text"),
};

int rk_cli_parse(struct rk_cli *c, int argc, char **argv)
{
	struct rk_engine_config *e = &c->cfg;
	const struct rk_flag *flags = rk_flags;
	unsigned n = RK_ARRAY_SIZE(rk_flags);
	for (int i = 1; i < argc;) {
		bool h = rk_streq(argv[i], "-h");
		if (!h && (argv[i][0] != '-' || argv[i][1] != '-')) {
			rk_dprint(2, "rocket: unexpected argument %s (see rocket --help)\n",
				  argv[i]);
			return -1;
		}
		int next = h ? i + 1 : rk_parse_flag(c, flags, n, argc, argv, i);
		if (next < 0)
			return -1;
		/* --help and --version act where they stand. */
		if (h || rk_streq(argv[i], "--help")) {
			rk_usage(c, flags, n);
			return 1;
		}
		if (rk_streq(argv[i], "--version")) {
			rk_dprint(1, "%s\n", rk_cli_version);
			return 1;
		}
		i = next;
	}
	/* The one rule that ties two flags: the kernel wants a CQ at least
	 * as large as the SQ (io_uring_setup(2), IORING_SETUP_CQSIZE). */
	if (e->cq_entries && e->cq_entries < e->ring_entries) {
		rk_dprint(2,
			  "rocket: --cq-entries %u: must be 0 (4 x --ring-entries) or at least "
			  "--ring-entries (%u)\n",
			  e->cq_entries, e->ring_entries);
		return -1;
	}
	if (rk_streq(c->accept, "reactor")) {
		e->accept_mode = RK_ACCEPT_REACTOR;
	} else if (rk_streq(c->accept, "auto")) {
		e->accept_mode = RK_ACCEPT_AUTO;
	} else if (!rk_streq(c->accept, "acceptor")) {
		rk_dprint(2, "rocket: --accept %s: must be auto, acceptor or reactor\n", c->accept);
		return -1;
	}
	e->no_direct = !c->direct;
	e->port = (uint16_t)c->port;
	e->backlog = (int)c->backlog;
	return 0;
}
