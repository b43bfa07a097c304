/* src/cli/static.c - --root and --mount: each tree's directory is opened
 * once (O_PATH: a handle to resolve beneath, openat2(2)), checked - a
 * directory, readable by the user that serves, openat2 there (Linux 5.6) -
 * and served as a prefix route (include/rocket/static.h) placed before the
 * program's routes. Any failure is a start-up error naming the flag.
 * Read next: src/cli/user.c.
 */
#include "cli.h"
#include "rocket/fmt.h"
#include "rocket/sys.h"
#include "rocket/util.h"

/* Open dir as a tree; the fd, or -1 with the cause printed. */
static int rk_cli_tree(const char *flag, const char *arg, const char *dir)
{
	struct statx stx;
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_BENEATH };
	const char *why = "cannot open it";
	int fd = sys_openat(AT_FDCWD, dir, O_PATH | O_CLOEXEC, 0), r = fd;
	if (fd >= 0) {
		why = "not a directory";
		r = sys_statx(fd, "", AT_EMPTY_PATH, STATX_TYPE, &stx);
		if (r >= 0)
			r = (stx.stx_mode & S_IFMT) == S_IFDIR ? 0 : -ENOTDIR;
	}
	if (r >= 0) {
		/* Reading it as every request will: beneath it, as this user. */
		why = "cannot read it";
		r = sys_openat2(fd, ".", &how);
		if (r >= 0)
			sys_close(r);
	}
	if (r >= 0)
		return fd;
	if (r == -ENOSYS)
		rk_dprint(2, "rocket: --%s %s: this kernel has no openat2 (Linux 5.6+ needed)\n",
			  flag, arg);
	else
		rk_dprint(2, "rocket: --%s %s: %s (%s)\n", flag, arg, why, rk_errno_name(r));
	if (fd >= 0)
		sys_close(fd);
	return -1;
}

static bool rk_cli_value_ok(const char *v)
{
	size_t n = 0;
	for (; v[n]; n++)
		if ((unsigned char)v[n] < 0x20 || v[n] == 0x7f)
			return false;
	return n > 0 && n <= 256;
}

int rk_cli_static(struct rk_cli *c)
{
	const struct rk_route *base = c->root_dir ? 0 : c->hc.routes;
	uint32_t n = 0, k = 0;
	if (!c->root_dir && !c->nmounts)
		return 0;
	for (const char *p = c->st.index; *p; p++)
		if (*p == '/')
			k = 1;
	if (k || !*c->st.index || rk_strlen(c->st.index) > 255) {
		rk_dprint(2, "rocket: --index %s: must be a file name (1-255 bytes, no '/')\n",
			  c->st.index);
		return -1;
	}
	if (c->st.cache_control && !rk_cli_value_ok(c->st.cache_control)) {
		rk_dprint(2, "rocket: --cache-control: must be 1-256 visible characters\n");
		return -1;
	}
	for (uint32_t i = 0; i <= c->nmounts; i++) {
		struct rk_static *st = &c->sites[n];
		char *m = i < c->nmounts ? c->mounts[i] : 0, *eq = m;
		*st = c->st;
		st->prefix = "/";
		if (!m) {
			if (!c->root_dir)
				break;
			st->root = rk_cli_tree("root", c->root_dir, c->root_dir);
		} else {
			while (*eq && *eq != '=')
				eq++;
			size_t plen = (size_t)(eq - m);
			if (!*eq || !plen || m[0] != '/' || m[plen - 1] != '/' || !eq[1]) {
				rk_dprint(
					2,
					"rocket: --mount %s: must be PREFIX=DIR with a PREFIX that "
					"starts and ends with / (--mount /static/=./public)\n",
					m);
				return -1;
			}
			st->root = rk_cli_tree("mount", m, eq + 1);
			*eq = 0; /* the prefix, NUL-terminated in place */
			st->prefix = m;
		}
		if (st->root < 0)
			return -1;
		rk_static_route(&c->routes[n++], st);
	}
	for (; base && base->path; base++) {
		if (n == RK_CLI_ROUTES) {
			rk_dprint(2, "rocket: --mount: more than %u routes in all\n",
				  RK_CLI_ROUTES);
			return -1;
		}
		c->routes[n++] = *base;
	}
	c->routes[n] = (struct rk_route){ 0 };
	c->hc.routes = c->routes;
	return 0;
}
