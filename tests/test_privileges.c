/* tests/test_privileges.c - --user and --chroot: bind a port below 1024 as
 * root, then serve as someone else. The kernel's view of the process
 * (/proc/PID/status Uid:, Gid:, Groups:, for every thread; /proc/PID/root)
 * is the evidence. Needs root: skipped with a reason otherwise.
 */
#include "harness.h"
#include "proc.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <grp.h>
#include <limits.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static void for_both(void (*fn)(const char *bin))
{
	fn(proc_bin_hosted());
	if (proc_bin_static())
		fn(proc_bin_static());
}

static bool skip_unless_root(void)
{
	if (geteuid() == 0)
		return false;
	printf("  skip: not running as root (uid %d): nothing to drop\n", (int)geteuid());
	return true;
}

/* A port below 1024 that is free on 127.0.0.1 right now. */
static int free_low_port(void)
{
	for (int port = 1023; port > 900; port--) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_port = htons((uint16_t)port),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
		close(fd);
		if (ok)
			return port;
	}
	th_fail(__FILE__, __LINE__, "no free port in 901..1023");
}

/* Field `name` ("Uid:") of a /proc status file, tabs as spaces. */
static void status_field(const char *path, const char *name, char *out, size_t cap)
{
	char *s = proc_slurp(path), *l = strstr(s, name);
	CHECK_MSG(l, "%s: no %s", path, name);
	l += strlen(name);
	while (*l == '\t' || *l == ' ')
		l++;
	size_t n = strcspn(l, "\n");
	snprintf(out, cap, "%.*s", (int)n, l);
	for (char *c = out; *c; c++)
		if (*c == '\t')
			*c = ' ';
	while (n && out[n - 1] == ' ')
		out[--n] = 0;
	free(s);
}

/* Every thread of pid runs as uid:gid with no supplementary groups. */
static void check_ids(pid_t pid, const char *ids, int *threads)
{
	char dir[64], path[512], v[128];
	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	DIR *d = opendir(dir);
	CHECK(d);
	struct dirent *e;
	*threads = 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/status", dir, e->d_name);
		status_field(path, "\nUid:", v, sizeof(v));
		CHECK_MSG(!strcmp(v, ids), "task %s Uid: '%s', want '%s'", e->d_name, v, ids);
		status_field(path, "\nGid:", v, sizeof(v));
		CHECK_MSG(!strcmp(v, ids), "task %s Gid: '%s', want '%s'", e->d_name, v, ids);
		status_field(path, "\nGroups:", v, sizeof(v));
		CHECK_MSG(!v[0], "task %s Groups: '%s', want none", e->d_name, v);
		(*threads)++;
	}
	closedir(d);
}

static void serve_as(const char *bin, const char *user, const char *root_dir)
{
	int low = free_low_port(), port, threads;
	char ps[16];
	snprintf(ps, sizeof(ps), "%d", low);
	const char *args[] = { "--bind", "127.0.0.1",  "--port",
			       ps,       "--reactors", "2",
			       "--user", user,         root_dir ? "--chroot" : NULL,
			       root_dir, NULL };
	/* LeakSanitizer reads /proc/PID/task at exit, which a chroot hides;
	 * the sanitizers' other checks stay on. */
	const char *env[] = { "ASAN_OPTIONS=detect_leaks=0", NULL };
	struct proc p;
	proc_spawn(&p, bin, args, root_dir ? env : NULL, NULL, NULL);
	CHECK_EQ(proc_wait_banner(&p, &port, 1), 1);
	CHECK_EQ(port, low);
	/* The banner comes after the reactors started: all threads exist. */
	check_ids(p.pid, "65534 65534 65534 65534", &threads);
	CHECK_MSG(threads >= 3, "%d threads (acceptor + 2 reactors expected)", threads);
	if (root_dir) {
		char link[64], target[PATH_MAX];
		snprintf(link, sizeof(link), "/proc/%d/root", (int)p.pid);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		CHECK(n > 0);
		target[n] = 0;
		CHECK_MSG(!strcmp(target, root_dir), "root is %s, want %s", target, root_dir);
	}
	for (int i = 0; i < 3; i++)
		CHECK_MSG(http_body_200(http_get("127.0.0.1", low, "/plaintext")), "not served");
	printf("  %s --user %s%s%s: port %d, %d threads as 65534:65534\n", bin, user,
	       root_dir ? " --chroot " : "", root_dir ? root_dir : "", low, threads);
	proc_stop(&p);
}

static void numeric_user(const char *bin)
{
	serve_as(bin, "65534:65534", NULL);
}

TEST(user_drops_root_after_binding_a_port_below_1024)
{
	if (!skip_unless_root())
		for_both(numeric_user);
}

/* "nobody" by name, from /etc/passwd (uid and primary group 65534 on
 * Debian); "nobody:nogroup" through /etc/group too. */
static void named_user(const char *bin)
{
	serve_as(bin, "nobody", NULL);
	serve_as(bin, "nobody:nogroup", NULL);
}

TEST(user_names_are_read_from_etc_passwd_and_group)
{
	if (skip_unless_root())
		return;
	FILE *f = fopen("/etc/passwd", "r"), *g = fopen("/etc/group", "r");
	char line[512];
	bool nobody = false, nogroup = false;
	while (f && fgets(line, sizeof(line), f))
		nobody |= !strncmp(line, "nobody:x:65534:65534:", 21);
	while (g && fgets(line, sizeof(line), g))
		nogroup |= !strncmp(line, "nogroup:x:65534:", 16);
	if (f)
		fclose(f);
	if (g)
		fclose(g);
	if (!nobody || !nogroup) {
		printf("  skip: no nobody:65534 / nogroup:65534 in /etc/passwd, /etc/group\n");
		return;
	}
	for_both(named_user);
}

static void chrooted(const char *bin)
{
	char dir[] = "/tmp/rocket-chroot-XXXXXX";
	CHECK(mkdtemp(dir));
	serve_as(bin, "65534:65534", dir);
	rmdir(dir);
}

TEST(chroot_then_user_serves_from_an_empty_root)
{
	if (!skip_unless_root())
		for_both(chrooted);
}

/* Started as 65534 already: --user 65534:65534 has nothing to give up and
 * must not fail on setgroups(2), which only root may call. */
static void become_nobody(void *arg)
{
	(void)arg;
	if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
		_exit(126);
}

static void already_that_user(const char *bin)
{
	const char *args[] = { "--bind", "127.0.0.1", "--port",      "0", "--reactors",
			       "1",      "--user",    "65534:65534", NULL };
	struct proc p;
	int port;
	proc_spawn(&p, bin, args, NULL, become_nobody, NULL);
	CHECK_EQ(proc_wait_banner(&p, &port, 1), 1);
	CHECK(http_body_200(http_get("127.0.0.1", port, "/plaintext")));
	proc_stop(&p);
}

TEST(user_already_in_effect_is_kept_without_root)
{
	if (!skip_unless_root())
		for_both(already_that_user);
}
