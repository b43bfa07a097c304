/* src/cli/user.c - --user, --chroot and --no-root: bind as root, then give
 * root up before the first thread exists.
 *
 * Names are looked up at start-up in /etc/passwd and /etc/group
 * (passwd(5), group(5): colon-separated fields, name first, the id third,
 * a user's primary group fourth); there is no NSS without libc, so a user
 * known only to LDAP must be given by number. The drop follows
 * credentials(7) and the order setgroups(2), setgid(2), setuid(2) - the
 * group changes need the privilege the last call takes away - and then
 * checks that setuid(0) fails, so a half-done drop never serves.
 * Read next: src/cli/notify.c.
 */
#include "cli.h"
#include "rocket/fmt.h"
#include "rocket/sys.h"
#include "rocket/util.h"

/* The colon-separated field f of line (no NUL), or NULL; *len its length. */
static const char *rk_field(const char *line, size_t n, unsigned f, size_t *len)
{
	size_t i = 0;
	for (unsigned k = 0; k < f; k++) {
		while (i < n && line[i] != ':')
			i++;
		if (i++ >= n)
			return 0;
	}
	size_t j = i;
	while (j < n && line[j] != ':')
		j++;
	*len = j - i;
	return line + i;
}

static bool rk_field_u32(const char *line, size_t n, unsigned f, uint32_t *out)
{
	size_t len;
	uint64_t v;
	const char *p = rk_field(line, n, f, &len);
	if (!p || rk_parse_u64(p, len, &v) < 0 || v > 0xffffffffu)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* Does this line's field key_field say key? Then its fields 2 and 3. */
static bool rk_db_match(const char *line, size_t n, unsigned key_field, const char *key,
			uint32_t *id, uint32_t *id2)
{
	size_t len;
	const char *k = rk_field(line, n, key_field, &len);
	return k && len == rk_strlen(key) && !rk_memcmp(k, key, len) &&
	       rk_field_u32(line, n, 2, id) && (!id2 || rk_field_u32(line, n, 3, id2));
}

/* Find the line of path whose field key_field is key; give its fields 2
 * and (when id2) 3. 0, -ENOENT when no line matches, or why the file could
 * not be read. The file is mapped whole: it is read once, at start-up. */
static int rk_db_lookup(const char *path, unsigned key_field, const char *key, uint32_t *id,
			uint32_t *id2)
{
	int fd = sys_openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	long size = sys_lseek(fd, 0, SEEK_END);
	const char *map = size > 0 ? sys_mmap(0, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0) : 0;
	sys_close(fd);
	if (size < 0)
		return (int)size;
	if (rk_is_err(map))
		return rk_ptr_err(map);
	int ret = -ENOENT;
	for (size_t start = 0, end; start < (size_t)size; start = end + 1) {
		for (end = start; end < (size_t)size && map[end] != '\n'; end++)
			;
		if (rk_db_match(map + start, end - start, key_field, key, id, id2)) {
			ret = 0;
			break;
		}
	}
	if (map)
		sys_munmap((void *)map, (size_t)size);
	return ret;
}

static int rk_db_error(const struct rk_cli *c, const char *what, const char *path, int err)
{
	if (err == -ENOENT)
		rk_dprint(2, "rocket: --user %s: no such %s in %s; give numbers: --user UID:GID\n",
			  c->user, what, path);
	else
		rk_dprint(2,
			  "rocket: --user %s: cannot read %s (%s); give numbers: --user UID:GID\n",
			  c->user, path, rk_errno_name(err));
	return -1;
}

/* --user's two parts: the user (number or name) and, after ':', the group. */
int rk_cli_user_resolve(struct rk_cli *c)
{
	bool root = sys_geteuid() == 0;
	if (!c->user) {
		if (c->no_root && root) {
			rk_dprint(2, "rocket: refusing to run as root (--no-root): add --user "
				     "UID[:GID]\n");
			return -1;
		}
		return 0;
	}
	char name[256];
	const char *colon = c->user;
	while (*colon && *colon != ':')
		colon++;
	size_t ulen = (size_t)(colon - c->user);
	if (!ulen || ulen >= sizeof(name) || (*colon && !colon[1])) {
		rk_dprint(2, "rocket: --user %s: give UID[:GID], numbers or names\n", c->user);
		return -1;
	}
	rk_memcpy(name, c->user, ulen);
	name[ulen] = 0;
	const char *group = *colon ? colon + 1 : 0;

	uint32_t uid, gid, pgid, ignore;
	int ret;
	if (rk_cli_u32(name, &uid)) {
		/* A number: its primary group from /etc/passwd, if it is there,
		 * else the group of the same number. */
		char key[16];
		rk_fmt(key, sizeof(key), "%u", uid);
		if (rk_db_lookup("/etc/passwd", 2, key, &ignore, &pgid) < 0)
			pgid = uid;
	} else if ((ret = rk_db_lookup("/etc/passwd", 0, name, &uid, &pgid)) < 0) {
		return rk_db_error(c, "user", "/etc/passwd", ret);
	}
	gid = pgid;
	if (group && !rk_cli_u32(group, &gid) &&
	    (ret = rk_db_lookup("/etc/group", 0, group, &gid, 0)) < 0)
		return rk_db_error(c, "group", "/etc/group", ret);
	c->uid = uid;
	c->gid = gid;
	return 0;
}

static int rk_drop_failed(const struct rk_cli *c, const char *call, int err)
{
	rk_dprint(2,
		  "rocket: --user %s: %s failed (%s): it needs root (CAP_SETUID, "
		  "CAP_SETGID)\n",
		  c->user, call, rk_errno_name(err));
	return -1;
}

int rk_cli_drop(struct rk_cli *c)
{
	int ret;
	if (c->chroot_dir) {
		if ((ret = sys_chroot(c->chroot_dir)) < 0 || (ret = sys_chdir("/")) < 0) {
			rk_dprint(2,
				  "rocket: --chroot %s: cannot change the root directory (%s)%s\n",
				  c->chroot_dir, rk_errno_name(ret),
				  ret == -EPERM ? ": it needs root or CAP_SYS_CHROOT" : "");
			return -1;
		}
	}
	if (!c->user)
		return 0;
	/* Already that user (not root): nothing to give up, nothing allowed. */
	if (sys_geteuid() != 0 && (uint32_t)sys_geteuid() == c->uid &&
	    (uint32_t)sys_getgid() == c->gid)
		return 0;
	if ((ret = sys_setgroups(0, 0)) < 0)
		return rk_drop_failed(c, "setgroups", ret);
	if ((ret = sys_setgid(c->gid)) < 0)
		return rk_drop_failed(c, "setgid", ret);
	if ((ret = sys_setuid(c->uid)) < 0)
		return rk_drop_failed(c, "setuid", ret);
	if (c->uid != 0 && sys_setuid(0) == 0) {
		rk_dprint(2,
			  "rocket: --user %s: setuid(0) still works after the switch: "
			  "refusing to run\n",
			  c->user);
		return -1;
	}
	return 0;
}
