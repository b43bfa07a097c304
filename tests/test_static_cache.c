/* tests/test_static_cache.c - the file cache of `rocket --root`
 * (src/http/fcache.c): a hot file costs no open, stat or read within its
 * second and leaves with its head in one send; a changed file is served
 * fresh within a second and never as a mix of versions; a name swapped
 * for a symlink out of the tree is refused within a second; evicted
 * entries and a stopping server close their descriptors.
 */
#include "static_help.h"

#include "eng.h"
#include "rocket/server.h"
#include "rocket/static.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>

static int count_in(const char *s, const char *what)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

/* Three GETs of one file on one connection, each request's trace apart:
 * the first opens, stats, reads the bytes once into the cache and stats
 * again; a later one in the same second is one SENDMSG of head + bytes.
 * Two seconds can fall between the first two, not also between the last
 * two, so one of those is a hit. */
TEST(a_hot_file_costs_no_open_stat_or_read_within_its_second)
{
	struct tree t;
	struct proc p;
	tree_make(&t);
	put(&t, "a.css", "body { color: red }\n");
	int port = srv_start(&p, &t, ROOT_ARGS(&t, "--trace"));
	struct conn c;
	conn_open(&c, port);
	size_t mark[4];
	char *err = 0;
	for (int i = 0; i < 3; i++) {
		free(err);
		err = proc_slurp(p.err);
		mark[i] = strlen(err);
		struct resp r;
		conn_send(&c, "GET /a.css HTTP/1.1\r\nHost: t\r\n\r\n");
		CHECK(conn_resp(&c, &r, false) && r.status == 200 &&
		      body_is(&r, "body { color: red }\n"));
		resp_free(&r);
		usleep(50 * 1000);
	}
	free(err);
	err = proc_slurp(p.err);
	mark[3] = strlen(err);
	int hits = 0;
	for (int i = 0; i < 3; i++) {
		char *seg = strndup(err + mark[i], mark[i + 1] - mark[i]);
		int opens = count_in(seg, "SQE  OPENAT2 "), stats = count_in(seg, "SQE  STATX "),
		    reads = count_in(seg, "SQE  READ "), sends = count_in(seg, "SQE  SENDMSG ");
		printf("  request %d: %d OPENAT2, %d STATX, %d READ, %d SENDMSG\n", i + 1, opens,
		       stats, reads, sends);
		if (i == 0)
			CHECK_MSG(opens == 1 && stats == 2 && reads == 1, "%s", seg);
		else if (!opens && !stats && !reads && sends == 1 && strstr(seg, "iov 2"))
			hits++;
		free(seg);
	}
	CHECK_MSG(hits >= 1, "no request answered from the cache:\n%s", err + mark[1]);
	free(err);
	conn_close(&c);
	proc_stop(&p);
	tree_remove(&t);
}

struct version {
	char letter;
	size_t size;
};
static const struct version versions[2] = { { 'a', 40000 }, { 'b', 24000 } };

static void write_version(const struct tree *t, int k, bool rename_over)
{
	char path[512], tmp[600];
	const struct version *v = &versions[k & 1];
	char *b = malloc(v->size);
	memset(b, v->letter, v->size);
	tree_path(t, "v.txt", path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	int fd = open(rename_over ? tmp : path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, b, v->size), (ssize_t)v->size);
	close(fd);
	if (rename_over)
		CHECK(rename(tmp, path) == 0);
	free(b);
}

/* The file changes four times, 400 ms apart, in place (same inode, new
 * size and mtime) and by rename (a new inode), while a client asks for it
 * without pause. Every answer is one whole version (or the empty file an
 * O_TRUNC left for an instant), its length that version's; each change
 * shows within a second (and the tick that sees the second change). */
TEST_T(a_changed_file_is_served_fresh_within_a_second_and_never_mixed, 60)
{
	struct tree t;
	struct proc p;
	tree_make(&t);
	write_version(&t, 0, false);
	int port = srv_start(&p, &t, ROOT_ARGS(&t));
	struct conn c;
	conn_open(&c, port);
	int cur = 0, answers = 0;
	double changed = proc_now(), worst = 0;
	bool seen = true;
	for (int step = 1; step <= 4;) {
		struct resp r;
		conn_send(&c, "GET /v.txt HTTP/1.1\r\nHost: t\r\n\r\n");
		CHECK(conn_resp(&c, &r, false) && r.status == 200);
		answers++;
		char letter = r.len ? (char)r.body[0] : 0;
		for (size_t i = 0; i < r.len; i++)
			CHECK_MSG(r.body[i] == letter, "answer %d: byte %zu is '%c' in a '%c' file",
				  answers, i, r.body[i], letter);
		if (r.len)
			CHECK_MSG(r.len == versions[letter == 'b'].size,
				  "answer %d: %zu bytes of '%c'", answers, r.len, letter);
		resp_free(&r);
		double now = proc_now();
		if (!seen && letter == versions[cur & 1].letter) {
			seen = true;
			worst = now - changed > worst ? now - changed : worst;
		}
		/* A second, and the tick (RK_TICK_MS) that sees it change. */
		CHECK_MSG(seen || now - changed < 1.25, "change %d not served after %.3f s", step,
			  now - changed);
		if (seen && now - changed > 0.4) {
			cur = step;
			write_version(&t, cur, step % 2 == 0);
			changed = proc_now();
			seen = false;
			step++;
		}
	}
	printf("  %d answers; each change served after %.3f s at most\n", answers, worst);
	conn_close(&c);
	proc_stop(&p);
	tree_remove(&t);
}

/* A cached name replaced by a symlink out of the tree: the next second's
 * open (RESOLVE_BENEATH) refuses it - the cache never stands in for the
 * kernel's check past the second it was made in. */
TEST(a_name_swapped_for_a_symlink_out_of_the_root_is_refused_within_a_second)
{
	struct tree t;
	struct proc p;
	char path[512], link[600], secret[256];
	tree_make(&t);
	put(&t, "a.txt", "inside\n");
	put(&t, "b.txt", "inside\n");
	int port = srv_start(&p, &t, ROOT_ARGS(&t));
	CHECK(body_is(get(port, "/a.txt"), "inside\n"));
	CHECK(body_is(get(port, "/b.txt"), "inside\n"));
	snprintf(secret, sizeof(secret), "%s/secret.txt", t.dir);
	const char *targets[2] = { "../secret.txt", secret };
	const char *names[2] = { "a.txt", "b.txt" };
	for (int i = 0; i < 2; i++) {
		tree_path(&t, names[i], path, sizeof(path));
		snprintf(link, sizeof(link), "%s.lnk", path);
		CHECK(symlink(targets[i], link) == 0);
		CHECK(rename(link, path) == 0);
	}
	usleep(1100 * 1000);
	for (int i = 0; i < 2; i++) {
		char target[16];
		snprintf(target, sizeof(target), "/%s", names[i]);
		struct resp *r = get(port, target);
		CHECK_MSG(r->status == 404, "%s: %s", target, r->head);
		CHECK(!r->body || !memmem(r->body, r->len, SECRET, strlen(SECRET)));
	}
	proc_stop(&p);
	tree_remove(&t);
}

/* Entries beyond --file-cache-entries evict the least recently used: its
 * descriptor is closed (--file-cache 0: every entry keeps an fd). */
TEST(evicted_entries_close_their_descriptors)
{
	struct tree t;
	struct proc p;
	tree_make(&t);
	for (int i = 0; i < 12; i++) {
		char n[16];
		snprintf(n, sizeof(n), "f%02d.txt", i);
		put(&t, n, "x\n");
	}
	int port =
		srv_start(&p, &t, ROOT_ARGS(&t, "--file-cache", "0", "--file-cache-entries", "4"));
	CHECK(get(port, "/nope")->status == 404); /* a connection came and went */
	usleep(200 * 1000);
	int base = srv_fds(p.pid);
	for (int i = 0; i < 12; i++) {
		char n[16];
		snprintf(n, sizeof(n), "/f%02d.txt", i);
		CHECK(body_is(get(port, n), "x\n"));
	}
	int after = -1;
	for (int i = 0; i < 50 && (after = srv_fds(p.pid)) > base + 4; i++)
		usleep(20 * 1000);
	printf("  %d descriptors before, %d after 12 files through 4 entries\n", base, after);
	CHECK_MSG(after <= base + 4 && after >= base + 1, "%d before, %d after", base, after);
	proc_stop(&p);
	tree_remove(&t);
}

/* In one process: the engine stops and every fd the cache held is closed
 * (on_reactor_stop), as every other fd the engine opened. */
TEST(a_stopping_server_closes_the_caches_descriptors)
{
	struct tree t;
	tree_make(&t);
	put(&t, "a.txt", "a\n");
	put(&t, "b.txt", "b\n");
	int base = count_fds();
	static struct rk_static site = { .prefix = "/", .index = "index.html" };
	site.root = open(t.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	CHECK(site.root >= 0);
	static struct rk_route routes[2];
	rk_static_route(&routes[0], &site);
	static struct rk_engine_config cfg;
	static struct rk_server_config hc;
	engine_config(&cfg, 1, 64);
	rk_server_defaults(&hc);
	hc.routes = routes;
	hc.file_cache_entries = 16;
	hc.file_cache = 0; /* descriptors only: each file keeps its fd */
	CHECK(rk_server_setup(&cfg, &hc) == 0);
	struct eng g;
	eng_start(&g, &cfg);
	const char *paths[2] = { "/a.txt", "/b.txt" };
	for (int i = 0; i < 2; i++) {
		int c = tcp_dial(&g, 0);
		char req[64], buf[1024];
		snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\n\r\n", paths[i]);
		CHECK_EQ(write(c, req, strlen(req)), (ssize_t)strlen(req));
		ssize_t n = read(c, buf, sizeof(buf) - 1);
		CHECK(n > 0);
		buf[n] = 0;
		CHECK_MSG(strstr(buf, " 200 "), "%s", buf);
		close(c);
	}
	usleep(100 * 1000);
	int during = count_fds();
	struct rk_reactor_stats sum;
	eng_stop(&g, &sum, NULL);
	close(site.root);
	int after = count_fds();
	printf("  %d descriptors before, %d while serving, %d after the stop\n", base, during,
	       after);
	CHECK_MSG(after == base, "%d before, %d after", base, after);
	tree_remove(&t);
}

/* A large file goes by SPLICE (--file-cache 0: not from memory): the trace
 * shows the file -> pipe splice at offset 0 and the pipe -> socket one
 * without an offset, and the bytes arrive whole. */
TEST(trace_decodes_the_splices_of_a_large_file)
{
	struct tree t;
	struct proc p;
	tree_make(&t);
	enum { N = 200000 };
	uint8_t *b = malloc(N);
	for (int i = 0; i < N; i++)
		b[i] = (uint8_t)(i * 7 + i / 251);
	put_n(&t, "big.bin", b, N);
	int port = srv_start(&p, &t, ROOT_ARGS(&t, "--trace", "--file-cache", "0"));
	struct resp *r = get(port, "/big.bin");
	CHECK(r->status == 200 && r->len == N && !memcmp(r->body, b, N));
	usleep(100000);
	char *err = proc_slurp(p.err);
	const char *fill = strstr(err, "SQE  SPLICE "),
		   *send = fill ? strstr(fill + 1, "SQE  SPLICE ") : 0;
	CHECK_MSG(fill && strstr(fill, "off 0  len 200000") && send && strstr(send, "off -1  len "),
		  "no splices in the trace:\n%s", err);
	free(err);
	free(b);
	proc_stop(&p);
	tree_remove(&t);
}

/* A sibling the cache knows is missing, and the name itself due to be
 * opened again: the answer waits for that open (it once got a 500 - the
 * route returned as if answered). Many clients at once, over second
 * boundaries, so one finds the sibling's entry new and the file's old. */
TEST_T(a_known_missing_sibling_with_a_stale_file_still_gets_the_file, 60)
{
	enum { N = 16 };
	struct tree t;
	struct proc p;
	tree_make(&t);
	put(&t, "f.woff2", "font bytes\n");
	int port = srv_start(&p, &t, ROOT_ARGS(&t));
	static struct conn c[N];
	for (int i = 0; i < N; i++)
		conn_open(&c[i], port);
	int answers = 0, bad = 0;
	double t0 = proc_now();
	while (proc_now() - t0 < 2.5) {
		for (int i = 0; i < N; i++)
			conn_send(&c[i], "GET /f.woff2 HTTP/1.1\r\nHost: t\r\n"
					 "Accept-Encoding: gzip\r\n\r\n");
		for (int i = 0; i < N; i++) {
			struct resp r;
			CHECK(conn_resp(&c[i], &r, false));
			answers++;
			if (r.status != 200 || !body_is(&r, "font bytes\n"))
				bad++;
			resp_free(&r);
		}
	}
	printf("  %d answers, %d not 200 with the file\n", answers, bad);
	CHECK_EQ(bad, 0);
	for (int i = 0; i < N; i++)
		conn_close(&c[i]);
	proc_stop(&p);
	tree_remove(&t);
}
