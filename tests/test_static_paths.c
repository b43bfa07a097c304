/* tests/test_static_paths.c - which paths `rocket --root` serves, on real
 * files in a temporary tree with a secret placed beside its root: decoding
 * errors, traversal attempts of every kind (none may ever show the
 * secret), symlinks in and out, dotfiles, what is not a regular file, how
 * each errno becomes a status (EMFILE: 503 with Retry-After), that no
 * answer names a filesystem path, and the directory listing.
 */
#include "static_help.h"

#include <sys/resource.h>
#include <sys/sysmacros.h>
#include <sys/socket.h>
#include <sys/un.h>

/* No answer names where the files are. */
static void no_path_in(const struct tree *t, const struct resp *r)
{
	CHECK_MSG(!strstr(r->head, t->dir) &&
			  !(r->body && memmem(r->body, r->len, t->dir, strlen(t->dir))),
		  "the answer names the tree: %s", r->head);
	CHECK_MSG(!(r->body && memmem(r->body, r->len, "/tmp", 4)), "a path in: %.*s", (int)r->len,
		  r->body);
}

TEST(percent_decoding_errors_are_400)
{
	struct tree t;
	struct proc p;
	tree_make(&t);
	put(&t, "a.txt", "a\n");
	int port = srv_start(&p, &t, ROOT_ARGS(&t));
	const char *bad[] = { "/a.txt%00", "/a%2ftxt",  "/a%2Ftxt", "/a%5ctxt",
			      "/a\\txt",   "/a%zz.txt", "/a.txt%4", "/a.txt%" };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct resp *r = get(port, bad[i]);
		CHECK_MSG(r->status == 400, "%s -> %s", bad[i], r->head);
	}
	/* Good escapes decode; the query is not part of the name. */
	struct resp *r = get(port, "/%61.t%78t?x=../../secret.txt");
	CHECK_MSG(r->status == 200 && body_is(r, "a\n"), "%s", r->head);
	proc_stop(&p);
	tree_remove(&t);
}

/* Every way out of the root a client or the tree itself could try: the
 * answer is 400, 403 or 404 and never the secret beside the root. Without
 * RESOLVE_BENEATH the symlinks below lead straight to it. */
TEST(traversal_attempts_never_reveal_a_file_beside_the_root)
{
	struct tree t;
	struct proc p;
	char abs[256], proc_root[300], s[300];
	tree_make(&t);
	put(&t, "a.txt", "a\n");
	mkdir_in(&t, "d");
	mkdir_in(&t, "d/e");
	snprintf(abs, sizeof(abs), "%s/secret.txt", t.dir);
	snprintf(proc_root, sizeof(proc_root), "/proc/self/root%s", abs);
	symlink_in(&t, "../secret.txt", "rel");                /* relative, out */
	symlink_in(&t, abs, "abs");                            /* absolute, out */
	symlink_in(&t, proc_root, "viaproc");                  /* through /proc/self/root */
	symlink_in(&t, "/proc/self/cwd/secret.txt", "viacwd"); /* the server's cwd */
	symlink_in(&t, "..", "up");                            /* a directory out */
	symlink_in(&t, "../../secret.txt", "d/deep");          /* out from below */
	symlink_in(&t, t.dir, "d/tree");                       /* absolute directory out */
	snprintf(s, sizeof(s), "/proc/self/root%s", t.dir);
	symlink_in(&t, s, "d/proctree");
	symlink_in(&t, "/proc/self/fd", "fds"); /* magic links */
	const char *attempts[] = {
		"/../secret.txt",
		"/%2e%2e/secret.txt",
		"/%2E%2E/secret.txt",
		"/.%2e/secret.txt",
		"/%2e./secret.txt",
		"/..%2fsecret.txt",
		"/..%2Fsecret.txt",
		"/..%5csecret.txt",
		"/..\\secret.txt",
		"/%252e%252e/secret.txt",
		"/%252e%252e%252fsecret.txt",
		"/d/../../secret.txt",
		"/d/e/../../../secret.txt",
		"//../secret.txt",
		"/./../secret.txt",
		"/%c0%ae%c0%ae/secret.txt",
		"/..;/secret.txt",
		"/.../secret.txt",
		"/secret.txt",
		"http://t/../secret.txt",
		"http://t/%2e%2e/secret.txt",
		"http://t//../secret.txt",
		"/rel",
		"/abs",
		"/viaproc",
		"/viacwd",
		"/up/secret.txt",
		"/d/deep",
		"/d/tree/secret.txt",
		"/d/proctree/secret.txt",
		"/fds/3/secret.txt",
		"/fds/4/../secret.txt",
	};
	int port = srv_start(&p, &t, ROOT_ARGS(&t));
	for (unsigned i = 0; i < sizeof(attempts) / sizeof(attempts[0]); i++) {
		struct resp *r = get(port, attempts[i]);
		CHECK_MSG(r->status == 400 || r->status == 403 || r->status == 404, "%s -> %s",
			  attempts[i], r->head);
		CHECK_MSG(!(r->body && memmem(r->body, r->len, SECRET, strlen(SECRET))),
			  "%s revealed the secret", attempts[i]);
		no_path_in(&t, r);
	}
	printf("  %zu attempts\n", sizeof(attempts) / sizeof(attempts[0]));
	/* A raw target that is not a path at all. */
	struct conn c;
	struct resp r;
	conn_open(&c, port);
	conn_send(&c, "GET ../secret.txt HTTP/1.1\r\nHost: t\r\n\r\n");
	CHECK(conn_resp(&c, &r, false) && r.status == 400);
	CHECK(!(r.body && memmem(r.body, r.len, SECRET, strlen(SECRET))));
	resp_free(&r);
	conn_close(&c);
	proc_stop(&p);
	tree_remove(&t);
}

TEST(symlinks_inside_the_root_are_followed_unless_no_symlinks)
{
	struct tree t;
	struct proc p;
	tree_make(&t);
	put(&t, "a.txt", "the real a\n");
	mkdir_in(&t, "sub");
	put(&t, "sub/x.txt", "x in sub\n");
	symlink_in(&t, "a.txt", "link.txt");
	symlink_in(&t, "sub", "linkdir");
	symlink_in(&t, "../a.txt", "sub/up.txt"); /* up, but still inside */
	int port = srv_start(&p, &t, ROOT_ARGS(&t));
	struct resp *r = get(port, "/link.txt");
	CHECK_MSG(r->status == 200 && body_is(r, "the real a\n"), "%s", r->head);
	r = get(port, "/linkdir/x.txt");
	CHECK_MSG(r->status == 200 && body_is(r, "x in sub\n"), "%s", r->head);
	r = get(port, "/sub/up.txt");
	CHECK_MSG(r->status == 200 && body_is(r, "the real a\n"), "%s", r->head);
	proc_stop(&p);
	port = srv_start(&p, &t, ROOT_ARGS(&t, "--no-symlinks"));
	r = get(port, "/link.txt");
	CHECK_MSG(r->status == 404, "%s", r->head);
	r = get(port, "/linkdir/x.txt");
	CHECK_MSG(r->status == 404, "%s", r->head);
	r = get(port, "/a.txt");
	CHECK_MSG(r->status == 200, "%s", r->head);
	proc_stop(&p);
	tree_remove(&t);
}

TEST(dotfiles_are_404_unless_dotfiles)
{
	struct tree t;
	struct proc p;
	tree_make(&t);
	put(&t, ".env", "SECRET=1\n");
	mkdir_in(&t, ".git");
	put(&t, ".git/config", "[core]\n");
	mkdir_in(&t, "a");
	put(&t, "a/.hidden", "h\n");
	put(&t, "a/b.txt", "b\n");
	int port = srv_start(&p, &t, ROOT_ARGS(&t));
	const char *hidden[] = { "/.env", "/.git/config", "/a/.hidden", "/%2eenv", "/.git/" };
	for (unsigned i = 0; i < 5; i++) {
		struct resp *r = get(port, hidden[i]);
		CHECK_MSG(r->status == 404, "%s -> %s", hidden[i], r->head);
	}
	CHECK(get(port, "/a/b.txt")->status == 200);
	proc_stop(&p);
	port = srv_start(&p, &t, ROOT_ARGS(&t, "--dotfiles"));
	struct resp *r = get(port, "/.env");
	CHECK_MSG(r->status == 200 && body_is(r, "SECRET=1\n"), "%s", r->head);
	r = get(port, "/a/.hidden");
	CHECK_MSG(r->status == 200, "%s", r->head);
	proc_stop(&p);
	tree_remove(&t);
}

/* A fifo must not hang the open (O_NONBLOCK), a socket cannot be opened
 * at all: neither is a regular file. */
TEST(what_is_not_a_regular_file_is_403)
{
	struct tree t;
	struct proc p;
	char path[512];
	tree_make(&t);
	tree_path(&t, "pipe", path, sizeof(path));
	CHECK(mkfifo(path, 0644) == 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	tree_path(&t, "sock", sa.sun_path, sizeof(sa.sun_path));
	int us = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(us >= 0 && bind(us, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	tree_path(&t, "null", path, sizeof(path));
	bool dev = mknod(path, S_IFCHR | 0666, makedev(1, 3)) == 0;
	int port = srv_start(&p, &t, ROOT_ARGS(&t));
	double t0 = proc_now();
	struct resp *r = get(port, "/pipe");
	CHECK_MSG(r->status == 403 && proc_now() - t0 < 2, "%s", r->head);
	r = get(port, "/sock");
	CHECK_MSG(r->status == 403, "%s", r->head); /* the open fails: ENXIO */
	if (dev) {
		r = get(port, "/null");
		CHECK_MSG(r->status == 403, "%s", r->head);
	} else {
		printf("  no device node (mknod: %s): skipped that case\n", strerror(errno));
	}
	proc_stop(&p);
	close(us);
	tree_remove(&t);
}

TEST(errno_becomes_a_status_without_a_path_in_the_body)
{
	struct tree t;
	struct proc p;
	tree_make(&t);
	put(&t, "a.txt", "a\n");
	put(&t, "locked.txt", "locked\n");
	char path[512];
	tree_path(&t, "locked.txt", path, sizeof(path));
	CHECK(chmod(path, 0) == 0);
	symlink_in(&t, "loop", "loop");
	/* As root, permissions mean nothing: serve as nobody then. */
	int port = geteuid() == 0 ? srv_start(&p, &t, ROOT_ARGS(&t, "--user", "65534:65534"))
				  : srv_start(&p, &t, ROOT_ARGS(&t));
	static const struct {
		const char *path;
		int status;
	} cases[] = {
		{ "/nope.txt", 404 },   /* ENOENT */
		{ "/a.txt/x", 404 },    /* ENOTDIR */
		{ "/locked.txt", 403 }, /* EACCES */
		{ "/loop", 404 },       /* ELOOP */
	};
	for (unsigned i = 0; i < 4; i++) {
		struct resp *r = get(port, cases[i].path);
		CHECK_MSG(r->status == cases[i].status, "%s -> %s", cases[i].path, r->head);
		no_path_in(&t, r);
	}
	proc_stop(&p);
	tree_remove(&t);
}

/* The lowest free descriptor number of process pid. */
static int lowest_free_fd(pid_t pid)
{
	char path[64];
	for (int fd = 0;; fd++) {
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fd);
		if (access(path, F_OK) != 0)
			return fd;
	}
}

TEST(out_of_descriptors_is_503_with_retry_after_and_passes)
{
	struct tree t;
	struct proc p;
	struct conn c;
	struct resp r;
	tree_make(&t);
	put(&t, "a.txt", "a\n");
	int port = srv_start(&p, &t, ROOT_ARGS(&t));
	conn_open(&c, port);
	conn_send(&c, "GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n");
	CHECK(conn_resp(&c, &r, false) && r.status == 200);
	resp_free(&r);
	/* Descriptors up to the lowest free one: the next open fails. The
	 * answer's own file may still be closing (its CLOSE goes through the
	 * ring after the answer): count once the count has held for 300 ms. */
	struct rlimit old, lim;
	CHECK(prlimit(p.pid, RLIMIT_NOFILE, 0, &old) == 0);
	lim = old;
	int low = lowest_free_fd(p.pid), was = -1;
	for (int i = 0; low != was && i < 20; i++) {
		usleep(300 * 1000);
		was = low;
		low = lowest_free_fd(p.pid);
	}
	lim.rlim_cur = (rlim_t)low;
	CHECK(prlimit(p.pid, RLIMIT_NOFILE, &lim, 0) == 0);
	/* The file cache opens the name again in the next second of the
	 * reactor's clock (a busy machine may delay that clock's tick). */
	for (int i = 0;; i++) {
		usleep(200 * 1000);
		conn_send(&c, "GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n");
		CHECK(conn_resp(&c, &r, false));
		if (r.status != 200 || i == 25)
			break;
		resp_free(&r);
	}
	CHECK_MSG(r.status == 503 && hdr(&r, "Retry-After"), "%s", r.head);
	no_path_in(&t, &r);
	resp_free(&r);
	CHECK(prlimit(p.pid, RLIMIT_NOFILE, &old, 0) == 0);
	conn_send(&c, "GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n");
	CHECK(conn_resp(&c, &r, false) && r.status == 200 && r.len == 2);
	resp_free(&r);
	conn_close(&c);
	proc_stop(&p);
	tree_remove(&t);
}

TEST(list_dirs_lists_a_directory_without_index_names_escaped)
{
	struct tree t;
	struct proc p;
	tree_make(&t);
	mkdir_in(&t, "pub");
	put(&t, "pub/plain.txt", "p");
	put(&t, "pub/<b>&\"q'.txt", "x");
	put(&t, "pub/a b#?.txt", "y");
	put(&t, "pub/.hidden", "h");
	mkdir_in(&t, "pub/sub dir");
	int port = srv_start(&p, &t, ROOT_ARGS(&t, "--list-dirs"));
	struct resp *r = get(port, "/pub/");
	CHECK_MSG(r->status == 200 && strstr(hdr(r, "Content-Type"), "text/html"), "%s", r->head);
	const char *b = (const char *)r->body;
	CHECK_MSG(strstr(b, "<a href=\"./plain.txt\">plain.txt</a>"), "%s", b);
	CHECK_MSG(
		strstr(b, "<a href=\"./%3Cb%3E%26%22q%27.txt\">&lt;b&gt;&amp;&quot;q&#39;.txt</a>"),
		"%s", b);
	CHECK_MSG(strstr(b, "<a href=\"./a%20b%23%3F.txt\">a b#?.txt</a>"), "%s", b);
	CHECK_MSG(strstr(b, "<a href=\"./sub%20dir/\">sub dir/</a>"), "%s", b);
	CHECK_MSG(!strstr(b, "hidden") && !strstr(b, "\"./..") && !strstr(b, "<b>"), "%s", b);
	CHECK_MSG(strstr(b, "Index of /pub/"), "%s", b);
	no_path_in(&t, r);
	/* The links work. */
	r = get(port, "/pub/a%20b%23%3F.txt");
	CHECK_MSG(r->status == 200 && body_is(r, "y"), "%s", r->head);
	proc_stop(&p);
	/* Without --list-dirs: 404. */
	port = srv_start(&p, &t, ROOT_ARGS(&t));
	CHECK(get(port, "/pub/")->status == 404);
	proc_stop(&p);
	tree_remove(&t);
}

/* A listing longer than the write space goes out in pieces (the directory
 * closed and reopened in between) and comes out whole, each name once. */
TEST(a_long_listing_to_a_slow_reader_is_complete)
{
	struct tree t;
	struct proc p;
	tree_make(&t);
	mkdir_in(&t, "many");
	for (int i = 0; i < 3000; i++) {
		char n[64];
		snprintf(n, sizeof(n), "many/file-with-a-long-name-%05d.txt", i);
		put(&t, n, "");
	}
	int port = srv_start(&p, &t, ROOT_ARGS(&t, "--list-dirs"));
	struct conn c;
	struct resp r;
	conn_open(&c, port);
	int small = 4096;
	setsockopt(c.fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	conn_send(&c, "GET /many/ HTTP/1.1\r\nHost: t\r\n\r\n");
	usleep(300 * 1000); /* the server fills its window and pauses */
	CHECK(conn_resp(&c, &r, false) && r.status == 200);
	for (int i = 0; i < 3000; i++) {
		char n[80];
		snprintf(n, sizeof(n), "\"./file-with-a-long-name-%05d.txt\"", i);
		char *at = strstr((char *)r.body, n);
		CHECK_MSG(at && !strstr(at + 1, n), "%s missing or twice", n);
	}
	CHECK(strstr((char *)r.body, "</html>"));
	resp_free(&r);
	/* The connection goes on. */
	conn_send(&c, "GET /many/file-with-a-long-name-00001.txt HTTP/1.1\r\nHost: t\r\n\r\n");
	CHECK(conn_resp(&c, &r, false) && r.status == 200);
	resp_free(&r);
	conn_close(&c);
	proc_stop(&p);
	tree_remove(&t);
}
