/* src/cli/cli.c - the command line from start to exit: flags, the user to
 * become, the listening sockets, the engine, the privilege drop, serving,
 * and an exit status that says how it ended (include/rocket/cli.h).
 *
 * Every start-up failure prints one line naming its cause and what to
 * change, and exits 1; a failure after serving began exits 2. Whether
 * io_uring is usable at all is asked first, with a one-entry ring, so a
 * blocked kernel or container is named as such (io_uring_setup(2): EPERM
 * from kernel.io_uring_disabled or a seccomp filter, ENOSYS).
 * Read next: src/cli/flags.c.
 */
#include "cli.h"
#include "rocket/fmt.h"
#include "rocket/sys.h"
#include "rocket/util.h"

const char *rk_cli_getenv(char **envp, const char *name)
{
	size_t n = rk_strlen(name);
	for (; envp && *envp; envp++)
		if (!rk_memcmp(*envp, name, n) && (*envp)[n] == '=')
			return *envp + n + 1;
	return 0;
}

bool rk_cli_u32(const char *s, uint32_t *out)
{
	uint64_t v;
	if (rk_parse_u64(s, rk_strlen(s), &v) < 0 || v > 0xffffffffu)
		return false;
	*out = (uint32_t)v;
	return true;
}

uint32_t rk_cli_read_u32(const char *path, uint32_t dflt)
{
	char buf[24];
	int fd = sys_openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return dflt;
	long r = sys_read(fd, buf, sizeof(buf) - 1);
	sys_close(fd);
	size_t n = 0;
	while (r > 0 && n < (size_t)r && buf[n] >= '0' && buf[n] <= '9')
		n++;
	uint64_t v;
	if (!n || rk_parse_u64(buf, n, &v) < 0 || v > 0xffffffffu)
		return dflt;
	return (uint32_t)v;
}

#define RK_URING_SYSCTL "/proc/sys/kernel/io_uring_disabled"

/* io_uring refused as such: say by whom and what to do. */
static void rk_uring_blocked(int err)
{
	if (err == -ENOSYS) {
		rk_dprint(2, "rocket: no io_uring here (io_uring_setup: ENOSYS): Rocket needs "
			     "Linux 5.19+ with CONFIG_IO_URING and no seccomp filter hiding it\n");
		return;
	}
	uint32_t off = rk_cli_read_u32(RK_URING_SYSCTL, 0);
	if (off == 2)
		rk_dprint(2, "rocket: io_uring is disabled (sysctl kernel.io_uring_disabled = 2): "
			     "set it to 0\n");
	else if (off == 1)
		rk_dprint(2, "rocket: io_uring is only for root and kernel.io_uring_group (sysctl "
			     "kernel.io_uring_disabled = 1): join that group, or set it to 0\n");
	else
		rk_dprint(2,
			  "rocket: io_uring is blocked (io_uring_setup: %s) though "
			  "kernel.io_uring_disabled is 0: a seccomp filter (a container's "
			  "default) forbids it; allow io_uring_setup, _enter and _register\n",
			  rk_errno_name(err));
}

static int rk_uring_probe(void)
{
	struct io_uring_params p;
	rk_memset(&p, 0, sizeof(p));
	int fd = sys_io_uring_setup(1, &p);
	if (fd == -EPERM || fd == -ENOSYS) {
		rk_uring_blocked(fd);
		return -1;
	}
	/* Other errors (ENOMEM: the locked-memory limit) are about sizes:
	 * the engine meets them with the real sizes and they are told then. */
	if (fd >= 0)
		sys_close(fd);
	return 0;
}

static void rk_create_failed(const struct rk_cli *c, int err)
{
	if (err == -ENOMEM)
		rk_dprint(2,
			  "rocket: no memory for the engine (ENOMEM): lower --max-conns (%u), "
			  "--max-head (%u), --send-buffer (%u), --buffers (%u) or --reactors\n",
			  c->cfg.max_conns, c->hc.limits.max_head, c->cfg.send_buffer,
			  c->cfg.buffers);
	else
		rk_dprint(2, "rocket: cannot create the engine: %s\n", rk_errno_name(err));
}

/* rk_engine_run failed before serving: setting up rings and reactors. */
static void rk_start_failed(const struct rk_cli *c, int err)
{
	if (err == -ENOMEM)
		rk_dprint(2,
			  "rocket: no memory for the rings (ENOMEM): lower --ring-entries (%u), "
			  "--cq-entries, --buffers (%u) or --buffer-size (%u), or raise ulimit -l "
			  "(LimitMEMLOCK=)\n",
			  c->cfg.ring_entries, c->cfg.buffers, c->cfg.buffer_size);
	else if (err == -EPERM || err == -ENOSYS)
		rk_uring_blocked(err);
	else
		rk_dprint(2, "rocket: cannot start the reactors: %s\n", rk_errno_name(err));
}

/* --access-log: opened now, as the user that starts us (root may write
 * /var/log), before any thread. SIGHUP opens the path again later, as the
 * user we run as. A log that cannot seek (a pipe, a socket: stdout under
 * systemd) is written 4 KiB at a time, so every write is whole there too
 * (pipe(7): PIPE_BUF). */
static int rk_cli_log(struct rk_cli *c)
{
	const char *p = c->access_log;
	int fd = 1;
	if (!p)
		return 0;
	if (p[0] != '-' || p[1]) {
		fd = sys_openat(AT_FDCWD, p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		c->cfg.log_path = p;
	}
	if (fd < 0) {
		rk_dprint(2, "rocket: --access-log %s: cannot open it (%s)\n", p,
			  rk_errno_name(fd));
		return -1;
	}
	c->cfg.log_fd = fd;
	c->hc.access_log = true;
	if (sys_lseek(fd, 0, SEEK_CUR) < 0)
		c->cfg.log_buffer = RK_LOG_LINE_MAX;
	return 0;
}

static void rk_cli_on_ready(void *arg)
{
	struct rk_cli *c = arg;
	c->ready = true;
	int ret = c->notify ? rk_cli_notify(c->notify, "READY=1") : 0;
	if (ret < 0)
		rk_dprint(2, "rocket: NOTIFY_SOCKET=%s: cannot send READY=1 (%s)\n", c->notify,
			  rk_errno_name(ret));
}

/* rk_cli_main and rk_cli_main_config: the program's configuration (hc),
 * or the defaults with its routes. */
static int rk_cli_run(int argc, char **argv, char **envp, const struct rk_server_config *hc,
		      const struct rk_route *routes)
{
	struct rk_cli c;
	rk_memset(&c, 0, sizeof(c));
	rk_engine_defaults(&c.cfg);
	if (hc)
		c.hc = *hc;
	else
		rk_server_defaults(&c.hc);
	if (!hc) { /* --root's file cache, unless the program chose its own */
		c.hc.file_cache_entries = RK_SERVER_DEFAULT_FILE_CACHE_ENTRIES;
		c.hc.file_cache = RK_SERVER_DEFAULT_FILE_CACHE;
	}
	c.st.index = "index.html";
	if (routes)
		c.hc.routes = routes;
	c.envp = envp;
	c.port = c.cfg.port;
	c.backlog = (uint32_t)c.cfg.backlog;
	c.direct = true;
	c.accept = "auto";
	c.notify = rk_cli_getenv(envp, "NOTIFY_SOCKET");

	int ret = rk_cli_parse(&c, argc, argv);
	if (ret)
		return ret > 0 ? RK_EXIT_OK : RK_EXIT_START;
	if (rk_cli_user_resolve(&c) < 0 || rk_uring_probe() < 0 || rk_cli_log(&c) < 0 ||
	    rk_cli_listen(&c) < 0)
		return RK_EXIT_START;
	/* The one flag combination that cannot serve (the flags' ranges make
	 * rk_server_setup's -EOVERFLOW impossible here). */
	if (!c.root_dir && !c.nmounts)
		c.hc.file_cache_entries = 0; /* no files: no file cache mapped */
	if (rk_server_setup(&c.cfg, &c.hc) < 0) {
		rk_dprint(2,
			  "rocket: --send-chunks %u x --send-buffer %u cannot hold --max-head %u "
			  "+ 2.6 KiB, or half --send-window\n",
			  c.cfg.send_chunks ? c.cfg.send_chunks : c.cfg.max_conns,
			  c.cfg.send_buffer, c.hc.limits.max_head);
		rk_cli_unlisten(&c);
		return RK_EXIT_START;
	}
	c.cfg.on_ready = rk_cli_on_ready;
	c.cfg.ready_arg = &c;

	struct rk_engine *e;
	ret = rk_engine_create(&e, &c.cfg);
	if (ret < 0) {
		rk_create_failed(&c, ret);
		rk_cli_unlisten(&c);
		return RK_EXIT_START;
	}
	/* Bound, and still one thread: the moment to give root up. */
	if (rk_cli_drop(&c) < 0 || rk_cli_static(&c) < 0) {
		rk_engine_destroy(e);
		return RK_EXIT_START;
	}
	ret = rk_engine_run(e);
	if (c.notify && c.ready)
		rk_cli_notify(c.notify, "STOPPING=1");
	rk_engine_destroy(e);
	if (ret < 0 && !c.ready) {
		rk_start_failed(&c, ret);
		return RK_EXIT_START;
	}
	if (ret < 0) {
		rk_dprint(2, "rocket: stopped on an error: %s\n", rk_errno_name(ret));
		return RK_EXIT_RUNTIME;
	}
	return RK_EXIT_OK;
}

int rk_cli_main(int argc, char **argv, char **envp, const struct rk_route *routes)
{
	return rk_cli_run(argc, argv, envp, 0, routes);
}

int rk_cli_main_config(int argc, char **argv, char **envp, const struct rk_server_config *hc)
{
	return rk_cli_run(argc, argv, envp, hc, 0);
}
