/* tests/test_cli.c - the rocket command line as an operator meets it: each
 * start-up failure prints exactly one line that names its cause and the
 * flag to change, and exits 1; values are checked by rule; boolean flags
 * refuse what they do not understand; --version; the default and several
 * listening addresses; and the manual page documents every flag --help
 * prints and renders without a warning. Runs the sanitized hosted server
 * and the static product.
 */
#include "harness.h"
#include "proc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Run bin with args; expect exit status `code` and exactly `want` as the
 * first line of stderr. */
static void expect_line(const char *bin, const char *const *args, const char *const *env,
			proc_hook hook, void *arg, int code, const char *want)
{
	char line[1024];
	int st = proc_run(bin, args, env, hook, arg, line, sizeof(line));
	CHECK_MSG(strcmp(line, want) == 0, "%s %s:\n  got  '%s'\n  want '%s'", bin, args[0], line,
		  want);
	CHECK_MSG(st == code, "%s %s: exit %d, want %d", bin, args[0], st, code);
}

static void for_both(void (*fn)(const char *bin))
{
	fn(proc_bin_hosted());
	if (proc_bin_static())
		fn(proc_bin_static());
}

/* ---- values and their rules ------------------------------------------------ */

/* Each run ends before serving; those that get as far as binding bind
 * 127.0.0.1 on a free port, never 8080. */
#define LOCAL "--bind", "127.0.0.1", "--port", "0"

struct bad_flag {
	const char *args[12];
	const char *line;
};

static const struct bad_flag bad_flags[] = {
	{ { "--buffers", "1000" },
	  "rocket: --buffers 1000: must be a power of two from 1 to 32768" },
	{ { "--max-conns", "0" }, "rocket: --max-conns 0: must be from 1 to 16777216" },
	{ { "--port", "99999" }, "rocket: --port 99999: must be from 0 (any free port) to 65535" },
	{ { "--port", "http" }, "rocket: --port http: not a number" },
	{ { "--port" }, "rocket: --port needs a value (see rocket --help)" },
	{ { "--reactors=2000" }, "rocket: --reactors 2000: must be from 0 (one per CPU) to 1024" },
	{ { "--batch", "0" }, "rocket: --batch 0: must be at least 1" },
	{ { "--cq-entries", "100", LOCAL },
	  "rocket: --cq-entries 100: must be 0 (4 x --ring-entries) or at least --ring-entries "
	  "(1024)" },
	{ { "--quiet=0x" },
	  "rocket: --quiet=0x: takes no value, or one of 1/0, yes/no, on/off, true/false" },
	{ { "--pin=maybe" },
	  "rocket: --pin=maybe: takes no value, or one of 1/0, yes/no, on/off, true/false" },
	{ { "--sqpoll=cpu0" }, "rocket: --sqpoll=cpu0: must be a number from 0 to 4095" },
	{ { "--help=1" }, "rocket: --help takes no value" },
	{ { "--no-such-flag" }, "rocket: unknown flag --no-such-flag (see rocket --help)" },
	{ { "serve" }, "rocket: unexpected argument serve (see rocket --help)" },
	{ { "--bind", "localhost", "--port", "0" },
	  "rocket: --bind localhost: not a numeric IPv4/IPv6 address (host names are not "
	  "resolved): use e.g. 127.0.0.1, ::1, 0.0.0.0 or ::" },
	{ { "--bind", "192.0.2.1", "--port", "0" },
	  "rocket: cannot listen on 192.0.2.1 port 0: address not available (EADDRNOTAVAIL): not "
	  "one of this machine's; change --bind" },
	{ { "--user", "no-such-user-here", LOCAL },
	  "rocket: --user no-such-user-here: no such user in /etc/passwd; give numbers: --user "
	  "UID:GID" },
	{ { "--user", "0:no-such-group-here", LOCAL },
	  "rocket: --user 0:no-such-group-here: no such group in /etc/group; give numbers: --user "
	  "UID:GID" },
	{ { "--user", "65534:", LOCAL },
	  "rocket: --user 65534:: give UID[:GID], numbers or names" },
	{ { "--max-conns", "16777216", "--send-buffer", "4294967295", "--reactors", "1", LOCAL },
	  "rocket: no memory for the engine (ENOMEM): lower --max-conns (16777216), --max-head "
	  "(16384), --send-buffer (4294967295), --buffers (2048) or --reactors" },
};

static void bad_values(const char *bin)
{
	for (size_t i = 0; i < sizeof(bad_flags) / sizeof(bad_flags[0]); i++)
		expect_line(bin, bad_flags[i].args, NULL, NULL, NULL, 1, bad_flags[i].line);
}

TEST(each_bad_value_names_its_flag_and_rule_and_exits_1)
{
	for_both(bad_values);
}

/* --quiet=0 must not turn quiet on; --quiet=off neither; --quiet=yes does. */
static void bool_values(const char *bin)
{
	const char *loud[] = { "--bind",    "127.0.0.1",   "--port",     "0", "--quiet=0",
			       "--quiet=1", "--quiet=off", "--reactors", "1", NULL };
	struct proc p;
	int port;
	proc_spawn(&p, bin, loud, NULL, NULL, NULL);
	CHECK_EQ(proc_wait_banner(&p, &port, 1), 1);
	CHECK(http_body_200(http_get("127.0.0.1", port, "/plaintext")));
	proc_stop(&p);

	const char *quiet[] = { "--bind",       "127.0.0.1",  "--port", "0", "--quiet=no",
				"--quiet=true", "--reactors", "1",      NULL };
	proc_spawn(&p, bin, quiet, NULL, NULL, NULL);
	usleep(300 * 1000);
	char *err = proc_slurp(p.err);
	CHECK_MSG(!strstr(err, "listening on"), "--quiet=true printed:\n%s", err);
	free(err);
	proc_stop(&p);
}

TEST(boolean_flags_take_1_0_yes_no_on_off_true_false)
{
	for_both(bool_values);
}

/* ---- what is in the way --------------------------------------------------- */

static int listening_socket(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	CHECK_EQ(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_EQ(listen(fd, 8), 0);
	CHECK_EQ(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static void address_in_use(const char *bin)
{
	int port, fd = listening_socket(&port);
	char ps[16], want[256];
	snprintf(ps, sizeof(ps), "%d", port);
	snprintf(want, sizeof(want),
		 "rocket: cannot listen on 127.0.0.1 port %d: address in use (EADDRINUSE): another "
		 "program listens there; stop it or change --port",
		 port);
	const char *args[] = { "--bind", "127.0.0.1", "--port", ps, NULL };
	expect_line(bin, args, NULL, NULL, NULL, 1, want);
	close(fd);
}

TEST(a_port_in_use_says_so_and_names_port)
{
	for_both(address_in_use);
}

/* The child gives root up before exec (when the test runs as root). */
static void become_nobody(void *arg)
{
	(void)arg;
	if (geteuid() == 0 && (setgroups(0, NULL) || setgid(65534) || setuid(65534)))
		_exit(126);
}

static unsigned unprivileged_port_start(void)
{
	unsigned v = 1024;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "r");
	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = 1024;
		fclose(f);
	}
	return v;
}

static void privileged_port(const char *bin)
{
	unsigned low = unprivileged_port_start();
	char ps[16], want[512];
	snprintf(ps, sizeof(ps), "%u", low - 1);
	snprintf(want, sizeof(want),
		 "rocket: cannot listen on 127.0.0.1 port %u: permission denied (EACCES): ports "
		 "below %u need CAP_NET_BIND_SERVICE; use --port %u or above, or setcap "
		 "cap_net_bind_service=+ep",
		 low - 1, low, low);
	const char *args[] = { "--bind", "127.0.0.1", "--port", ps, NULL };
	expect_line(bin, args, NULL, become_nobody, NULL, 1, want);
}

TEST(a_privileged_port_as_non_root_suggests_port_or_the_capability)
{
	if (unprivileged_port_start() <= 1) {
		printf("  skip: net.ipv4.ip_unprivileged_port_start is %u: every port is open\n",
		       unprivileged_port_start());
		return;
	}
	for_both(privileged_port);
}

/* No locked memory for an unprivileged user: io_uring cannot map rings. */
static void no_memlock(void *arg)
{
	struct rlimit r = { 0, 0 };
	CHECK_EQ(setrlimit(RLIMIT_MEMLOCK, &r), 0);
	become_nobody(arg);
}

static bool ring_needs_memlock(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		no_memlock(NULL);
		char p[120] = { 0 };
		long fd = syscall(__NR_io_uring_setup, 8, p);
		_exit(fd < 0 && errno == ENOMEM ? 0 : 1);
	}
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void rings_out_of_memory(const char *bin)
{
	const char *args[] = { "--bind", "127.0.0.1", "--port", "0", "--reactors", "1", NULL };
	expect_line(bin, args, NULL, no_memlock, NULL, 1,
		    "rocket: no memory for the rings (ENOMEM): lower --ring-entries (1024), "
		    "--cq-entries, --buffers (2048) or --buffer-size (4096), or raise ulimit -l "
		    "(LimitMEMLOCK=)");
}

TEST(rings_without_memory_name_the_sizes_to_lower)
{
	if (!ring_needs_memlock()) {
		printf("  skip: this kernel (or user) does not charge rings to RLIMIT_MEMLOCK\n");
		return;
	}
	for_both(rings_out_of_memory);
}

/* io_uring_setup refused the way a container's seccomp profile does. */
static void block_io_uring(void *arg)
{
	int err = *(int *)arg;
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned)err),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		_exit(125);
}

static unsigned uring_disabled(void)
{
	unsigned v = 0;
	FILE *f = fopen("/proc/sys/kernel/io_uring_disabled", "r");
	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

static void io_uring_blocked(const char *bin)
{
	const char *args[] = { "--bind", "127.0.0.1", "--port", "0", NULL };
	int eperm = EPERM, enosys = ENOSYS;
	expect_line(bin, args, NULL, block_io_uring, &eperm, 1,
		    "rocket: io_uring is blocked (io_uring_setup: EPERM) though "
		    "kernel.io_uring_disabled is 0: a seccomp filter (a container's default) "
		    "forbids it; allow io_uring_setup, _enter and _register");
	expect_line(bin, args, NULL, block_io_uring, &enosys, 1,
		    "rocket: no io_uring here (io_uring_setup: ENOSYS): Rocket needs Linux 5.19+ "
		    "with CONFIG_IO_URING and no seccomp filter hiding it");
}

TEST(io_uring_blocked_by_seccomp_says_so_and_what_to_allow)
{
	if (uring_disabled()) {
		printf("  skip: kernel.io_uring_disabled is %u here\n", uring_disabled());
		return;
	}
	for_both(io_uring_blocked);
}

static void no_root(const char *bin)
{
	const char *args[] = { "--no-root", "--bind", "127.0.0.1", "--port", "0", NULL };
	expect_line(bin, args, NULL, NULL, NULL, 1,
		    "rocket: refusing to run as root (--no-root): add --user UID[:GID]");
	/* Without root to give up, switching users fails, and says why. */
	const char *user[] = { "--user", "1:1", "--bind", "127.0.0.1", "--port", "0", NULL };
	expect_line(bin, user, NULL, become_nobody, NULL, 1,
		    "rocket: --user 1:1: setgroups failed (EPERM): it needs root (CAP_SETUID, "
		    "CAP_SETGID)");
	const char *dir[] = {
		"--chroot", "/no/such/dir", "--bind", "127.0.0.1", "--port", "0", NULL
	};
	expect_line(bin, dir, NULL, NULL, NULL, 1,
		    "rocket: --chroot /no/such/dir: cannot change the root directory (ENOENT)");
}

TEST(no_root_refuses_root_and_failed_drops_say_why)
{
	if (geteuid() != 0) {
		printf("  skip: not running as root\n");
		return;
	}
	for_both(no_root);
}

/* ---- where it listens ----------------------------------------------------- */

/* The default is every interface ("::", IPv4 mapped in): reachable on
 * 127.0.0.1 and named so on the start-up line. In a network namespace
 * whose only interface is loopback, so that "every" means loopback. */
static void default_listens_everywhere(const char *bin)
{
	const char *args[] = { "--port", "0", "--reactors", "1", NULL };
	struct proc p;
	int port;
	proc_spawn(&p, bin, args, NULL, NULL, NULL);
	CHECK_EQ(proc_wait_banner(&p, &port, 1), 1);
	char *err = proc_slurp(p.err);
	char want6[64], want4[64];
	snprintf(want6, sizeof(want6), "listening on [::]:%d |", port);
	snprintf(want4, sizeof(want4), "listening on 0.0.0.0:%d |", port);
	CHECK_MSG(strstr(err, want6) || strstr(err, want4), "banner:\n%s", err);
	free(err);
	CHECK(http_body_200(http_get("127.0.0.1", port, "/plaintext")));
	proc_stop(&p);
}

TEST(by_default_it_listens_on_every_interface)
{
	if (!proc_loopback_only_net())
		return;
	for_both(default_listens_everywhere);
}

static bool have_ipv6_loopback(void)
{
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* Several --bind: each address served (port 0: each gets its own). */
static void several_binds(const char *bin)
{
	bool v6 = have_ipv6_loopback();
	const char *args[] = { "--bind", "127.0.0.1",  "--bind", "127.0.0.2",          "--port",
			       "0",      "--reactors", "2",      v6 ? "--bind" : NULL, "::1",
			       NULL };
	const char *addrs[] = { "127.0.0.1", "127.0.0.2", "::1" };
	struct proc p;
	int ports[3];
	proc_spawn(&p, bin, args, NULL, NULL, NULL);
	int n = proc_wait_banner(&p, ports, 3);
	CHECK_EQ(n, v6 ? 3 : 2);
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < n; i++)
			CHECK_MSG(http_body_200(http_get(addrs[i], ports[i], "/plaintext")),
				  "%s port %d not served", addrs[i], ports[i]);
	proc_stop(&p);
}

TEST(several_binds_listen_on_each_address)
{
	for_both(several_binds);
}

/* ---- version and manual --------------------------------------------------- */

static void read_version(char *version, size_t cap)
{
	char path[512], line[256];
	snprintf(path, sizeof(path), "%s/Makefile", proc_root());
	FILE *f = fopen(path, "r");
	CHECK(f);
	version[0] = 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VERSION := %63s", version) == 1)
			break;
	fclose(f);
	CHECK_MSG(version[0] && strlen(version) < cap, "no VERSION := in the Makefile");
}

static void version_line(const char *bin)
{
	char version[64], commit[64] = "unknown", want[160], cmd[600], git[512];
	read_version(version, sizeof(version));
	snprintf(git, sizeof(git), "%s/.git", proc_root());
	if (access(git, F_OK) == 0) {
		snprintf(cmd, sizeof(cmd), "git -C %s rev-parse --short HEAD 2>/dev/null",
			 proc_root());
		FILE *p = popen(cmd, "r");
		if (p && fgets(commit, sizeof(commit), p))
			commit[strcspn(commit, "\n")] = 0;
		if (p)
			pclose(p);
	}
	snprintf(want, sizeof(want), "rocket %s (%s)\n", version, commit);
	struct proc p;
	const char *args[] = { "--version", NULL };
	proc_spawn(&p, bin, args, NULL, NULL, NULL);
	int st = proc_wait(&p, 20);
	CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	char *out = proc_slurp(p.out);
	CHECK_MSG(strcmp(out, want) == 0, "--version: '%s', want '%s'", out, want);
	free(out);
	proc_cleanup(&p);
}

TEST(version_prints_the_makefile_version_and_the_commit)
{
	for_both(version_line);
}

static char *man_page(void)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/tools/rocket.8", proc_root());
	return proc_slurp(path);
}

/* Every "--name" of --help is in the man page as \-\-name, and every
 * \-\-name its OPTIONS describe is a flag --help prints. */
TEST(man_page_documents_every_flag_of_help_and_no_other)
{
	struct proc p;
	const char *args[] = { "--help", NULL };
	proc_spawn(&p, proc_bin_hosted(), args, NULL, NULL, NULL);
	CHECK(proc_wait(&p, 20) == 0);
	char *help = proc_slurp(p.out), *man = man_page();
	proc_cleanup(&p);
	char names[64][32];
	int n = 0, missing = 0;
	for (char *l = help; (l = strstr(l, "\n  --")); l++) {
		char *s = l + 5;
		size_t len = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-");
		CHECK(len > 0 && len < 32 && n < 64);
		memcpy(names[n], s, len);
		names[n][len] = 0;
		char esc[80] = "\\-\\-", *e = esc + 4;
		for (size_t i = 0; i < len; i++) {
			if (s[i] == '-')
				*e++ = '\\';
			*e++ = s[i];
		}
		*e = 0;
		/* \-\-name followed by something that cannot continue a name. */
		bool found = false;
		for (char *m = man; (m = strstr(m, esc)); m++) {
			char next = m[strlen(esc)];
			if (!(next >= 'a' && next <= 'z') &&
			    !(next == '\\' && m[strlen(esc) + 1] == '-'))
				found = true;
		}
		if (!found) {
			fprintf(stderr, "  --%s is not in tools/rocket.8\n", names[n]);
			missing++;
		}
		n++;
	}
	CHECK_MSG(n > 25, "only %d flags in --help", n);
	/* The other way: every flag the OPTIONS section describes. */
	char *opts = strstr(man, "\n.SH OPTIONS"), *end = opts ? strstr(opts + 1, "\n.SH ") : NULL;
	CHECK(opts && end);
	*end = 0;
	for (char *m = opts; (m = strstr(m, "\\-\\-")); m += 4) {
		char name[64];
		size_t k = 0;
		for (char *s = m + 4; k < sizeof(name) - 1;) {
			if (*s >= 'a' && *s <= 'z')
				name[k++] = *s++;
			else if (s[0] == '\\' && s[1] == '-')
				name[k++] = '-', s += 2;
			else
				break;
		}
		name[k] = 0;
		if (!k)
			continue;
		bool known = false;
		for (int i = 0; i < n && !known; i++)
			known = !strcmp(names[i], name);
		if (!known) {
			fprintf(stderr,
				"  tools/rocket.8 names --%s, which --help does not print\n", name);
			missing++;
		}
	}
	CHECK_EQ(missing, 0);
	free(help);
	free(man);
}

TEST(man_page_title_carries_the_makefile_version)
{
	char version[64], want[96];
	read_version(version, sizeof(version));
	snprintf(want, sizeof(want), "\"Rocket %s\"", version);
	char *man = man_page();
	char *th = strstr(man, "\n.TH ROCKET 8 ");
	CHECK(th);
	CHECK_MSG(strstr(th, want) && strstr(th, want) < strchr(th + 1, '\n'), ".TH without %s",
		  want);
	free(man);
}

static bool have(const char *cmd)
{
	char sh[128];
	snprintf(sh, sizeof(sh), "command -v %s >/dev/null 2>&1", cmd);
	return system(sh) == 0;
}

/* What a command printed on stderr (its stdout thrown away). */
static char *stderr_of(const char *cmd)
{
	char sh[1024];
	snprintf(sh, sizeof(sh), "%s 2>&1 >/dev/null", cmd);
	FILE *p = popen(sh, "r");
	CHECK(p);
	static char buf[4096];
	size_t n = fread(buf, 1, sizeof(buf) - 1, p);
	buf[n] = 0;
	CHECK_EQ(pclose(p), 0);
	return buf;
}

TEST(man_page_renders_without_warnings)
{
	char cmd[700];
	if (!have("man")) {
		printf("  skip: man is not installed (Debian: man-db)\n");
	} else {
		snprintf(cmd, sizeof(cmd), "MANWIDTH=80 man --warnings -l %s/tools/rocket.8",
			 proc_root());
		char *err = stderr_of(cmd);
		CHECK_MSG(!err[0], "man --warnings:\n%s", err);
	}
	if (!have("groff")) {
		printf("  skip: groff is not installed\n");
	} else {
		snprintf(cmd, sizeof(cmd), "groff -man -ww -z %s/tools/rocket.8", proc_root());
		char *err = stderr_of(cmd);
		CHECK_MSG(!err[0], "groff -ww:\n%s", err);
	}
}

/* --accept auto (the default): with one reactor the reactor accepts by
 * itself, the acceptor's hand-off has nothing to balance; with two the
 * acceptor hands off to the least-loaded one. The start line says which. */
static void accept_auto(const char *bin)
{
	static const char *const want[] = { "| accept: reactor |",
					    "| accept: acceptor, least-loaded |" };
	for (int two = 0; two < 2; two++) {
		const char *args[] = { "--bind",     "127.0.0.1",     "--port", "0",
				       "--reactors", two ? "2" : "1", NULL };
		struct proc p;
		int port;
		proc_spawn(&p, bin, args, NULL, NULL, NULL);
		CHECK_EQ(proc_wait_banner(&p, &port, 1), 1);
		char *err = proc_slurp(p.err);
		CHECK_MSG(strstr(err, want[two]), "--reactors %d: no \"%s\" in:\n%s", two + 1,
			  want[two], err);
		free(err);
		proc_stop(&p);
	}
}

TEST(accept_auto_is_reactor_with_one_reactor_and_the_acceptor_with_two)
{
	for_both(accept_auto);
}
