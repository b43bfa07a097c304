/* tests/test_static.c - `rocket --root DIR` and `--mount PREFIX=DIR` as a
 * browser or a cache meets them, on real files in a temporary tree: the
 * flags and their start-up errors, directories (301, index), Content-Type,
 * validators and conditional requests (RFC 9110 §13), byte ranges (§14),
 * GET/HEAD only, and precompressed siblings (§12.5.3). Paths, symlinks and
 * errors are tests/test_static_paths.c; big bodies tests/test_static_send.c.
 */
#include "static_help.h"

#include "rocket/http.h"
#include "rocket/http_cond.h"

static int start_tree(struct proc *p, struct tree *t, const char *const *args)
{
	return srv_start(p, t, args);
}

/* ---- 1. the command line ----------------------------------------------------- */

TEST(a_missing_root_is_a_start_up_error_naming_the_flag)
{
	char line[512];
	const char *const a1[] = { "--bind", "127.0.0.1",        "--port", "0",
				   "--root", "/nonexistent/www", 0 };
	int st = proc_run(proc_bin_hosted(), a1, 0, 0, 0, line, sizeof(line));
	CHECK_MSG(st == 1 && strstr(line, "--root /nonexistent/www") && strstr(line, "ENOENT"),
		  "status %d: %s", st, line);
	struct tree t;
	tree_make(&t);
	put(&t, "file", "x");
	char file[256];
	tree_path(&t, "file", file, sizeof(file));
	const char *const a2[] = { "--bind", "127.0.0.1", "--port", "0", "--root", file, 0 };
	st = proc_run(proc_bin_hosted(), a2, 0, 0, 0, line, sizeof(line));
	CHECK_MSG(st == 1 && strstr(line, "--root") && strstr(line, "not a directory"),
		  "status %d: %s", st, line);
	const char *const a3[] = { "--bind", "127.0.0.1", "--port",
				   "0",      "--mount",   "/static/=/nonexistent",
				   0 };
	st = proc_run(proc_bin_hosted(), a3, 0, 0, 0, line, sizeof(line));
	CHECK_MSG(st == 1 && strstr(line, "--mount /static/=/nonexistent") &&
			  strstr(line, "ENOENT"),
		  "status %d: %s", st, line);
	const char *const a4[] = {
		"--bind", "127.0.0.1", "--port", "0", "--mount", "static=/tmp", 0
	};
	st = proc_run(proc_bin_hosted(), a4, 0, 0, 0, line, sizeof(line));
	CHECK_MSG(st == 1 && strstr(line, "must be PREFIX=DIR"), "status %d: %s", st, line);
	tree_remove(&t);
}

/* A root the serving user cannot read: as root the server drops to
 * nobody first (a chmod means nothing to root). */
TEST(an_unreadable_root_is_a_start_up_error)
{
	struct tree t;
	char line[512];
	tree_make(&t);
	CHECK(chmod(t.root, 0) == 0);
	const char *const user[] = { "--bind", "127.0.0.1", "--port",      "0", "--root",
				     t.root,   "--user",    "65534:65534", 0 };
	const char *const plain[] = { "--bind", "127.0.0.1", "--port", "0", "--root", t.root, 0 };
	int st = proc_run(proc_bin_hosted(), geteuid() == 0 ? user : plain, 0, 0, 0, line,
			  sizeof(line));
	CHECK_MSG(st == 1 && strstr(line, "--root") && strstr(line, "cannot"), "status %d: %s", st,
		  line);
	tree_remove(&t);
}

TEST(root_serves_the_tree_and_turns_the_built_in_routes_off)
{
	struct tree t;
	struct proc p;
	tree_make(&t);
	put(&t, "hello.txt", "hello from the tree\n");
	int port = start_tree(&p, &t, ROOT_ARGS(&t));
	struct resp *r = get(port, "/hello.txt");
	CHECK_MSG(r->status == 200 && body_is(r, "hello from the tree\n"), "%s", r->head);
	r = get(port, "/plaintext");
	CHECK_MSG(r->status == 404, "/plaintext with --root: %s", r->head);
	CHECK(!strstr((char *)r->body, "Hello"));
	proc_stop(&p);
	tree_remove(&t);
}

TEST(mount_serves_a_tree_under_its_prefix_beside_the_routes)
{
	struct tree t;
	struct proc p;
	tree_make(&t);
	put(&t, "app.js", "console.log(1)\n");
	char m[160];
	snprintf(m, sizeof(m), "/static/=%s", t.root);
	const char *const args[] = { "--mount", m, 0 };
	int port = start_tree(&p, &t, args);
	struct resp *r = get(port, "/static/app.js");
	CHECK_MSG(r->status == 200 && body_is(r, "console.log(1)\n"), "%s", r->head);
	r = get(port, "/plaintext");
	CHECK_MSG(r->status == 200 && body_is(r, "Hello, World!"), "%s", r->head);
	/* The normalized path decides: it has left the prefix (and the
	 * second is as long as the prefix, so only the comparison tells). */
	r = get(port, "/static/../app.js");
	CHECK_MSG(r->status == 404, "%s", r->head);
	r = get(port, "/static/../abcdefgapp.js");
	CHECK_MSG(r->status == 404, "%s", r->head);
	r = get(port, "/app.js");
	CHECK_MSG(r->status == 404, "%s", r->head);
	proc_stop(&p);
	tree_remove(&t);
}

TEST(index_names_the_file_a_directory_url_serves)
{
	struct tree t;
	struct proc p;
	tree_make(&t);
	put(&t, "index.html", "default index\n");
	put(&t, "home.htm", "home\n");
	mkdir_in(&t, "docs");
	put(&t, "docs/home.htm", "docs home\n");
	int port = start_tree(&p, &t, ROOT_ARGS(&t, "--index", "home.htm"));
	struct resp *r = get(port, "/");
	CHECK_MSG(r->status == 200 && body_is(r, "home\n"), "%s", r->head);
	CHECK_MSG(strstr(hdr(r, "Content-Type"), "text/html"), "%s", r->head);
	r = get(port, "/docs/");
	CHECK_MSG(r->status == 200 && body_is(r, "docs home\n"), "%s", r->head);
	proc_stop(&p);
	port = start_tree(&p, &t, ROOT_ARGS(&t));
	r = get(port, "/");
	CHECK_MSG(r->status == 200 && body_is(r, "default index\n"), "%s", r->head);
	r = get(port, "/docs/"); /* no index.html there, no --list-dirs */
	CHECK_MSG(r->status == 404, "%s", r->head);
	proc_stop(&p);
	tree_remove(&t);
}

TEST(cache_control_is_sent_with_file_answers)
{
	struct tree t;
	struct proc p;
	tree_make(&t);
	put(&t, "a.css", "a{}\n");
	int port = start_tree(&p, &t, ROOT_ARGS(&t, "--cache-control", "public, max-age=600"));
	struct resp *r = get(port, "/a.css");
	CHECK_MSG(r->status == 200 && hdr(r, "Cache-Control") &&
			  !strcmp(hdr(r, "Cache-Control"), "public, max-age=600"),
		  "%s", r->head);
	char etag[128], f[200];
	snprintf(etag, sizeof(etag), "%.100s", hdr(r, "ETag"));
	snprintf(f, sizeof(f), "If-None-Match: %s\r\n", etag);
	r = get_ex(port, "GET", "/a.css", f);
	CHECK_MSG(r->status == 304 && hdr(r, "Cache-Control"), "%s", r->head);
	proc_stop(&p);
	port = start_tree(&p, &t, ROOT_ARGS(&t));
	r = get(port, "/a.css");
	CHECK_MSG(r->status == 200 && !hdr(r, "Cache-Control"), "%s", r->head);
	proc_stop(&p);
	tree_remove(&t);
}

/* ---- 3. directories ------------------------------------------------------------ */

TEST(a_directory_without_its_slash_is_301_to_the_encoded_path_with_it)
{
	struct tree t;
	struct proc p;
	tree_make(&t);
	mkdir_in(&t, "sub");
	put(&t, "sub/index.html", "sub index\n");
	mkdir_in(&t, "a b%c");
	int port = start_tree(&p, &t, ROOT_ARGS(&t));
	struct resp *r = get(port, "/sub");
	CHECK_MSG(r->status == 301 && !strcmp(hdr(r, "Location"), "/sub/"), "%s", r->head);
	r = get(port, "/sub?x=1");
	CHECK_MSG(r->status == 301 && !strcmp(hdr(r, "Location"), "/sub/"), "%s", r->head);
	r = get(port, "/a%20b%25c");
	CHECK_MSG(r->status == 301 && !strcmp(hdr(r, "Location"), "/a%20b%25c/"), "%s", r->head);
	r = get(port, "/sub/");
	CHECK_MSG(r->status == 200 && body_is(r, "sub index\n"), "%s", r->head);
	/* A mount's redirect keeps its prefix. */
	proc_stop(&p);
	char m[160];
	snprintf(m, sizeof(m), "/files/=%s", t.root);
	const char *const args[] = { "--mount", m, 0 };
	port = start_tree(&p, &t, args);
	r = get(port, "/files/sub");
	CHECK_MSG(r->status == 301 && !strcmp(hdr(r, "Location"), "/files/sub/"), "%s", r->head);
	proc_stop(&p);
	tree_remove(&t);
}

/* ---- 4. the HTTP semantics of files --------------------------------------------- */

TEST(content_type_comes_from_the_extension)
{
	static const struct {
		const char *name, *type;
	} cases[] = {
		{ "a.html", "text/html; charset=utf-8" },
		{ "a.css", "text/css; charset=utf-8" },
		{ "a.js", "text/javascript; charset=utf-8" },
		{ "a.mjs", "text/javascript; charset=utf-8" },
		{ "a.json", "application/json; charset=utf-8" },
		{ "a.svg", "image/svg+xml; charset=utf-8" },
		{ "a.PNG", "image/png" },
		{ "a.woff2", "font/woff2" },
		{ "a.wasm", "application/wasm" },
		{ "a.unknownext", "application/octet-stream" },
		{ "noext", "application/octet-stream" },
	};
	struct tree t;
	struct proc p;
	tree_make(&t);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		put(&t, cases[i].name, "x");
	int port = start_tree(&p, &t, ROOT_ARGS(&t));
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char u[64];
		snprintf(u, sizeof(u), "/%s", cases[i].name);
		struct resp *r = get(port, u);
		const char *ct = hdr(r, "Content-Type");
		CHECK_MSG(r->status == 200 && ct && !strcmp(ct, cases[i].type), "%s: %s", u,
			  r->head);
	}
	proc_stop(&p);
	tree_remove(&t);
}

/* The validators of the file as the test computes them from stat. */
static void expect_validators(const struct tree *t, const char *rel, char *etag, size_t cap)
{
	char path[512];
	struct stat st;
	tree_path(t, rel, path, sizeof(path));
	CHECK(stat(path, &st) == 0);
	int n = rk_http_etag(etag, cap - 1, (uint64_t)st.st_size,
			     (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec,
			     (uint64_t)st.st_ino);
	CHECK(n > 0);
	etag[n] = 0;
}

TEST(last_modified_and_a_strong_etag_from_size_mtime_and_inode)
{
	struct tree t;
	struct proc p;
	char etag[64];
	tree_make(&t);
	put(&t, "a.txt", "0123456789");
	set_mtime(&t, "a.txt", 784111777); /* Sun, 06 Nov 1994 08:49:37 GMT */
	expect_validators(&t, "a.txt", etag, sizeof(etag));
	int port = start_tree(&p, &t, ROOT_ARGS(&t));
	struct resp *r = get(port, "/a.txt");
	CHECK_MSG(r->status == 200 && hdr(r, "Last-Modified") &&
			  !strcmp(hdr(r, "Last-Modified"), "Sun, 06 Nov 1994 08:49:37 GMT"),
		  "%s", r->head);
	CHECK_MSG(hdr(r, "ETag") && !strcmp(hdr(r, "ETag"), etag), "want %s: %s", etag, r->head);
	CHECK(etag[0] == '"'); /* strong: no W/ */
	/* A change of content changes the tag - within a second: the file
	 * cache looks at a name again once a second. */
	put(&t, "a.txt", "0123456789+");
	usleep(1100 * 1000);
	r = get(port, "/a.txt");
	CHECK_MSG(strcmp(hdr(r, "ETag"), etag) != 0, "%s", r->head);
	proc_stop(&p);
	tree_remove(&t);
}

TEST(if_none_match_and_if_modified_since_give_304_with_the_validators)
{
	struct tree t;
	struct proc p;
	char etag[64], f[512];
	tree_make(&t);
	put(&t, "a.txt", "0123456789");
	set_mtime(&t, "a.txt", 784111777);
	expect_validators(&t, "a.txt", etag, sizeof(etag));
	int port = start_tree(&p, &t, ROOT_ARGS(&t));
	const char *hit[] = { "If-None-Match: %s\r\n",
			      "If-None-Match: \"x\", %s\r\n",
			      "If-None-Match: *\r\n",
			      "If-None-Match: W/%s\r\n",
			      "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n",
			      "If-Modified-Since: Sun, 06 Nov 2094 08:49:37 GMT\r\n" };
	for (unsigned i = 0; i < sizeof(hit) / sizeof(hit[0]); i++) {
		snprintf(f, sizeof(f), hit[i], etag);
		struct resp *r = get_ex(port, "GET", "/a.txt", f);
		CHECK_MSG(r->status == 304, "%s-> %s", f, r->head);
		CHECK_MSG(hdr(r, "ETag") && !strcmp(hdr(r, "ETag"), etag), "%s", r->head);
		CHECK(hdr(r, "Last-Modified"));
		CHECK_MSG(!hdr(r, "Content-Type"), "no representation metadata on 304: %s",
			  r->head);
		const char *cl = hdr(r, "Content-Length"); /* absent, or the 200's (§8.6) */
		CHECK_MSG(!cl || !strcmp(cl, "10"), "%s", r->head);
	}
	const char *miss[] = {
		"If-None-Match: \"other\"\r\n",
		"If-Modified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n",
		/* §13.2.2: If-None-Match decides, If-Modified-Since is not read */
		"If-None-Match: \"other\"\r\nIf-Modified-Since: Sun, 06 Nov 2094 08:49:37 GMT\r\n"
	};
	for (unsigned i = 0; i < sizeof(miss) / sizeof(miss[0]); i++) {
		struct resp *r = get_ex(port, "GET", "/a.txt", miss[i]);
		CHECK_MSG(r->status == 200 && body_is(r, "0123456789"), "%s-> %s", miss[i],
			  r->head);
	}
	proc_stop(&p);
	tree_remove(&t);
}

TEST(if_match_and_if_unmodified_since_give_412)
{
	struct tree t;
	struct proc p;
	char etag[64], f[512];
	tree_make(&t);
	put(&t, "a.txt", "0123456789");
	set_mtime(&t, "a.txt", 784111777);
	expect_validators(&t, "a.txt", etag, sizeof(etag));
	int port = start_tree(&p, &t, ROOT_ARGS(&t));
	struct resp *r = get_ex(port, "GET", "/a.txt", "If-Match: \"other\"\r\n");
	CHECK_MSG(r->status == 412, "%s", r->head);
	r = get_ex(port, "GET", "/a.txt", "If-Unmodified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n");
	CHECK_MSG(r->status == 412, "%s", r->head);
	snprintf(f, sizeof(f), "If-Match: %s\r\n", etag);
	r = get_ex(port, "GET", "/a.txt", f);
	CHECK_MSG(r->status == 200 && body_is(r, "0123456789"), "%s", r->head);
	proc_stop(&p);
	tree_remove(&t);
}

TEST(single_ranges_give_206_with_content_range_and_the_exact_bytes)
{
	static const struct {
		const char *range;
		int status;
		const char *cr, *body;
	} cases[] = {
		{ "bytes=0-3", 206, "bytes 0-3/26", "abcd" },
		{ "bytes=23-", 206, "bytes 23-25/26", "xyz" },
		{ "bytes=-2", 206, "bytes 24-25/26", "yz" },
		{ "bytes=20-999999", 206, "bytes 20-25/26", "uvwxyz" }, /* end clamped */
		{ "bytes=-100", 206, "bytes 0-25/26", "abcdefghijklmnopqrstuvwxyz" },
		{ "bytes=26-", 416, "bytes */26", 0 },
		{ "bytes=30-40", 416, "bytes */26", 0 },
		{ "items=0-3", 200, 0, "abcdefghijklmnopqrstuvwxyz" }, /* unknown unit: ignored */
		{ "bytes=0-1, 4-5", 200, 0, "abcdefghijklmnopqrstuvwxyz" }, /* several: whole */
		{ "bytes=5-1", 200, 0, "abcdefghijklmnopqrstuvwxyz" },      /* invalid: ignored */
	};
	struct tree t;
	struct proc p;
	tree_make(&t);
	put(&t, "abc.txt", "abcdefghijklmnopqrstuvwxyz");
	int port = start_tree(&p, &t, ROOT_ARGS(&t));
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char f[128];
		snprintf(f, sizeof(f), "Range: %s\r\n", cases[i].range);
		struct resp *r = get_ex(port, "GET", "/abc.txt", f);
		CHECK_MSG(r->status == cases[i].status, "%s -> %s", f, r->head);
		const char *cr = hdr(r, "Content-Range");
		CHECK_MSG(cases[i].cr ? cr && !strcmp(cr, cases[i].cr) : !cr, "%s -> %s", f,
			  r->head);
		if (cases[i].body)
			CHECK_MSG(body_is(r, cases[i].body), "%s -> %.*s", f, (int)r->len, r->body);
		if (r->status != 416)
			CHECK_MSG(hdr(r, "Accept-Ranges") &&
					  !strcmp(hdr(r, "Accept-Ranges"), "bytes"),
				  "%s", r->head);
	}
	/* HEAD has no ranges (§14.2: GET only); the head of a 200. */
	struct resp *r = get_ex(port, "HEAD", "/abc.txt", "Range: bytes=0-3\r\n");
	CHECK_MSG(r->status == 200 && !strcmp(hdr(r, "Content-Length"), "26"), "%s", r->head);
	proc_stop(&p);
	tree_remove(&t);
}

TEST(if_range_applies_the_range_only_to_the_same_file)
{
	struct tree t;
	struct proc p;
	char etag[64], f[512];
	tree_make(&t);
	put(&t, "abc.txt", "abcdefghijklmnopqrstuvwxyz");
	set_mtime(&t, "abc.txt", 784111777);
	expect_validators(&t, "abc.txt", etag, sizeof(etag));
	int port = start_tree(&p, &t, ROOT_ARGS(&t));
	snprintf(f, sizeof(f), "Range: bytes=0-1\r\nIf-Range: %s\r\n", etag);
	struct resp *r = get_ex(port, "GET", "/abc.txt", f);
	CHECK_MSG(r->status == 206 && body_is(r, "ab"), "%s", r->head);
	r = get_ex(port, "GET", "/abc.txt",
		   "Range: bytes=0-1\r\nIf-Range: Sun, 06 Nov 1994 08:49:37 GMT\r\n");
	CHECK_MSG(r->status == 206 && body_is(r, "ab"), "%s", r->head);
	r = get_ex(port, "GET", "/abc.txt", "Range: bytes=0-1\r\nIf-Range: \"old\"\r\n");
	CHECK_MSG(r->status == 200 && r->len == 26, "%s", r->head);
	proc_stop(&p);
	tree_remove(&t);
}

TEST(get_and_head_only_anything_else_405_with_allow)
{
	struct tree t;
	struct proc p;
	tree_make(&t);
	put(&t, "a.txt", "0123456789");
	int port = start_tree(&p, &t, ROOT_ARGS(&t));
	struct resp *r = get_ex(port, "HEAD", "/a.txt", 0);
	CHECK_MSG(r->status == 200 && !strcmp(hdr(r, "Content-Length"), "10") && !r->len, "%s",
		  r->head);
	CHECK(hdr(r, "ETag") && hdr(r, "Last-Modified"));
	const char *methods[] = { "POST", "PUT", "DELETE", "PATCH" };
	for (unsigned i = 0; i < 4; i++) {
		r = get_ex(port, methods[i], "/a.txt", "Content-Length: 0\r\n");
		const char *allow = hdr(r, "Allow");
		CHECK_MSG(r->status == 405 && allow && strstr(allow, "GET") &&
				  strstr(allow, "HEAD") && !strstr(allow, "POST") &&
				  !strstr(allow, "PUT"),
			  "%s: %s", methods[i], r->head);
	}
	proc_stop(&p);
	tree_remove(&t);
}

/* ---- 5. precompressed siblings ---------------------------------------------------- */

static void put_siblings(struct tree *t)
{
	put(t, "app.js", "identity bytes of app.js\n");
	put(t, "app.js.gz", "GZIP-BYTES-OF-APP-JS");
	put(t, "app.js.br", "BROTLI-BYTES");
	put(t, "only.css", "only identity\n");
	put(t, "gz.css", "identity gz.css\n");
	put(t, "gz.css.gz", "GZ-OF-GZ-CSS");
	put(t, "dir.txt", "identity dir.txt\n");
	mkdir_in(t, "dir.txt.gz"); /* a sibling must be a regular file */
}

TEST(a_precompressed_sibling_is_served_when_the_client_accepts_it)
{
	static const struct {
		const char *path, *ae, *coding, *body;
	} cases[] = {
		{ "/app.js", "gzip, br", "br", "BROTLI-BYTES" }, /* br first at equal q */
		{ "/app.js", "gzip", "gzip", "GZIP-BYTES-OF-APP-JS" },
		{ "/app.js", "br;q=0.5, gzip", "gzip", "GZIP-BYTES-OF-APP-JS" },
		{ "/app.js", "x-gzip", "gzip", "GZIP-BYTES-OF-APP-JS" },
		{ "/app.js", "gzip;q=0, br;q=0", 0, "identity bytes of app.js\n" },
		{ "/app.js", "identity", 0, "identity bytes of app.js\n" },
		{ "/app.js", 0, 0, "identity bytes of app.js\n" },
		{ "/gz.css", "br, gzip", "gzip", "GZ-OF-GZ-CSS" }, /* no .br: the next */
		{ "/only.css", "br, gzip", 0, "only identity\n" },
		{ "/dir.txt", "gzip", 0, "identity dir.txt\n" },
	};
	struct tree t;
	struct proc p;
	tree_make(&t);
	put_siblings(&t);
	int port = start_tree(&p, &t, ROOT_ARGS(&t));
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char f[128] = "";
		if (cases[i].ae)
			snprintf(f, sizeof(f), "Accept-Encoding: %s\r\n", cases[i].ae);
		struct resp *r = get_ex(port, "GET", cases[i].path, f);
		const char *ce = hdr(r, "Content-Encoding");
		CHECK_MSG(r->status == 200 && body_is(r, cases[i].body), "%s %s -> %s",
			  cases[i].path, f, r->head);
		CHECK_MSG(cases[i].coding ? ce && !strcmp(ce, cases[i].coding) : !ce, "%s %s -> %s",
			  cases[i].path, f, r->head);
		/* The original's type, and Vary on every answer (identity too). */
		CHECK_MSG(strstr(hdr(r, "Content-Type"),
				 strstr(cases[i].path, ".js") ? "javascript" : "text/"),
			  "%s", r->head);
		CHECK_MSG(hdr(r, "Vary") && strstr(hdr(r, "Vary"), "Accept-Encoding"), "%s",
			  r->head);
	}
	proc_stop(&p);
	tree_remove(&t);
}

TEST(a_range_of_a_precompressed_answer_counts_encoded_bytes)
{
	struct tree t;
	struct proc p;
	tree_make(&t);
	put_siblings(&t);
	int port = start_tree(&p, &t, ROOT_ARGS(&t));
	struct resp *r =
		get_ex(port, "GET", "/app.js", "Accept-Encoding: gzip\r\nRange: bytes=0-3\r\n");
	CHECK_MSG(r->status == 206 && body_is(r, "GZIP") &&
			  !strcmp(hdr(r, "Content-Range"), "bytes 0-3/20"),
		  "%s", r->head);
	CHECK(!strcmp(hdr(r, "Content-Encoding"), "gzip"));
	proc_stop(&p);
	tree_remove(&t);
}

TEST(no_precompressed_serves_the_name_itself_without_vary)
{
	struct tree t;
	struct proc p;
	tree_make(&t);
	put_siblings(&t);
	int port = start_tree(&p, &t, ROOT_ARGS(&t, "--no-precompressed"));
	struct resp *r = get_ex(port, "GET", "/app.js", "Accept-Encoding: br, gzip\r\n");
	CHECK_MSG(r->status == 200 && body_is(r, "identity bytes of app.js\n") &&
			  !hdr(r, "Content-Encoding") && !hdr(r, "Vary"),
		  "%s", r->head);
	proc_stop(&p);
	tree_remove(&t);
}
