/* tests/test_arena.c - rocket-arena against HttpArena's validation pages
 * (test-profiles/h1/isolated/{baseline,pipelined,short-lived,
 * json-processing,upload,static}/validation and the noisy profile's
 * requests), each check reproduced here on raw sockets. Every check runs
 * against both builds: build/rocket-arena-san (hosted, ASan + UBSan) and
 * build/rocket-arena (the static product). The data set is one this test
 * writes, with strings that need escaping.
 */
#include "harness.h"
#include "proc.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- the data set ----------------------------------------------------------- */

#define NITEMS 50

/* > 0: every item also has a "description" this long (a long answer). */
static int g_desc_len;

static long long price_of(int i)
{
	return 100 + 7 * i;
}

static long long quantity_of(int i)
{
	return 1 + (i * 13) % 40;
}

/* Item 0's name needs every kind of escape; read back, it is this UTF-8
 * text, and written out again, this JSON. */
#define ODD_NAME_IN  "Q\\\"uote \\\\ tab\\t nl\\n \\u0001 \\u00e9 \\ud83d\\ude80 \\/"
#define ODD_NAME_OUT "Q\\\"uote \\\\ tab\\t nl\\n \\u0001 \xc3\xa9 \xf0\x9f\x9a\x80 /"

/* The fields of item i as the server must write them, up to "total". */
static int item_json(char *out, size_t cap, int i)
{
	char name[128];
	if (i == 0)
		snprintf(name, sizeof(name), "%s", ODD_NAME_OUT);
	else
		snprintf(name, sizeof(name), "Item %d", i + 1);
	int n = snprintf(out, cap,
			 "{\"id\":%d,\"name\":\"%s\",\"category\":\"%s\",\"price\":%lld,"
			 "\"quantity\":%lld,\"active\":%s,\"tags\":[\"fast\",\"t%d\"],"
			 "\"rating\":{\"score\":%d,\"count\":%d}",
			 i + 1, name, i % 2 ? "tools" : "electronics", price_of(i), quantity_of(i),
			 i % 3 ? "true" : "false", i, 10 + i % 40, 100 + i);
	if (g_desc_len)
		n += snprintf(out + n, cap - (size_t)n, ",\"description\":\"%0*d\"", g_desc_len, i);
	return n;
}

static void write_static(const char *dir);

/* dataset.json in a new temp dir (pretty-printed, like HttpArena's), and
 * the static files. */
static char *write_data_dir(void)
{
	static char dir[64];
	snprintf(dir, sizeof(dir), "/tmp/rk-arena.XXXXXX");
	CHECK(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof(path), "%s/dataset.json", dir);
	FILE *f = fopen(path, "w");
	CHECK(f);
	fprintf(f, "[\n");
	for (int i = 0; i < NITEMS; i++) {
		char name[64];
		snprintf(name, sizeof(name), "Item %d", i + 1);
		fprintf(f,
			"  {\n    \"id\": %d,\n    \"name\": \"%s\",\n    \"category\": \"%s\",\n"
			"    \"price\": %lld,\n    \"quantity\": %lld,\n    \"active\": %s,\n"
			"    \"tags\": [ \"fast\", \"t%d\" ],\n"
			"    \"rating\": { \"score\": %d, \"count\": %d }",
			i + 1, i == 0 ? ODD_NAME_IN : name, i % 2 ? "tools" : "electronics",
			price_of(i), quantity_of(i), i % 3 ? "true" : "false", i, 10 + i % 40,
			100 + i);
		if (g_desc_len)
			fprintf(f, ",\n    \"description\": \"%0*d\"", g_desc_len, i);
		fprintf(f, "\n  }%s\n", i + 1 < NITEMS ? "," : "");
	}
	fprintf(f, "]\n");
	fclose(f);
	write_static(dir);
	return dir;
}

/* The static profile's 20 files (sizes in bytes) under DIR/static, with
 * NAME.gz and NAME.br siblings for the 15 text ones: .gz made by gzip(1),
 * .br a stand-in (its bytes are what must come back, with its coding). */
static const struct {
	const char *name, *type;
	int size;
} g_static[] = {
	{ "reset.css", "text/css", 8192 },        { "layout.css", "text/css", 24576 },
	{ "theme.css", "text/css", 40960 },       { "components.css", "text/css", 102400 },
	{ "utilities.css", "text/css", 61440 },   { "analytics.js", "javascript", 12288 },
	{ "helpers.js", "javascript", 30720 },    { "app.js", "javascript", 81920 },
	{ "vendor.js", "javascript", 204800 },    { "router.js", "javascript", 20480 },
	{ "header.html", "text/html", 56320 },    { "footer.html", "text/html", 71680 },
	{ "regular.woff2", "font/woff2", 18432 }, { "bold.woff2", "font/woff2", 22528 },
	{ "logo.svg", "image/svg+xml", 15360 },   { "icon-sprite.svg", "image/svg+xml", 40960 },
	{ "hero.webp", "image/webp", 46080 },     { "thumb1.webp", "image/webp", 6144 },
	{ "thumb2.webp", "image/webp", 8192 },    { "manifest.json", "application/json", 3072 },
};
#define NSTATIC ((int)(sizeof(g_static) / sizeof(g_static[0])))

static bool static_binary(int i)
{
	return strstr(g_static[i].name, ".woff2") || strstr(g_static[i].name, ".webp");
}

static void write_static(const char *dir)
{
	char path[256], cmd[600];
	snprintf(path, sizeof(path), "%s/static", dir);
	CHECK(mkdir(path, 0755) == 0);
	for (int i = 0; i < NSTATIC; i++) {
		snprintf(path, sizeof(path), "%s/static/%s", dir, g_static[i].name);
		FILE *f = fopen(path, "w");
		CHECK(f);
		for (int k = 0; k < g_static[i].size; k++)
			fputc(static_binary(i) ? rand() & 255 : "abcdefgh {};\n"[(k * 7 + i) % 13],
			      f);
		fclose(f);
		if (static_binary(i))
			continue;
		snprintf(cmd, sizeof(cmd), "gzip -9 -n -c '%s' > '%s.gz'", path, path);
		CHECK_MSG(system(cmd) == 0, "%s", cmd);
		snprintf(cmd, sizeof(cmd), "%s.br", path);
		f = fopen(cmd, "w");
		CHECK(f);
		fprintf(f, "brotli stand-in for %s", g_static[i].name);
		fclose(f);
	}
}

static void remove_data_dir(const char *dir)
{
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0);
}

/* ---- the servers -------------------------------------------------------------- */

struct arena {
	struct proc p;
	int port;
	char *dir;
	const char *bin;
};

static void arena_start(struct arena *a, const char *bin, const char *const *extra)
{
	const char *args[32] = { "--bind",     "127.0.0.1", "--port", "0",
				 "--reactors", "1",         "--data", a->dir };
	int n = 8;
	for (; extra && *extra; extra++)
		args[n++] = *extra;
	args[n] = NULL;
	CHECK_MSG(access(bin, X_OK) == 0, "no %s", bin);
	a->bin = bin;
	proc_spawn(&a->p, bin, args, NULL, NULL, NULL);
	CHECK_EQ(proc_wait_banner(&a->p, &a->port, 1), 1);
}

/* Run check once against each build. */
static void each_build(void (*check)(struct arena *a), const char *const *extra)
{
	const char *bins[] = { "rocket-arena-san", "rocket-arena" };
	struct arena a = { .dir = write_data_dir() };
	for (int i = 0; i < 2; i++) {
		arena_start(&a, proc_build_path(bins[i]), extra);
		check(&a);
		proc_stop(&a.p);
	}
	remove_data_dir(a.dir);
}

/* ---- raw HTTP/1.1 on sockets ---------------------------------------------------- */

static int conn(struct arena *a)
{
	int fd = tcp_connect("127.0.0.1", a->port);
	CHECK_MSG(fd >= 0, "connect to %d: %s", a->port, strerror(errno));
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void send_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
		CHECK_MSG(w > 0, "send: %s", strerror(errno));
		c += w;
		n -= (size_t)w;
	}
}

static void send_str(int fd, const char *s)
{
	send_all(fd, s, strlen(s));
}

static void pause_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	nanosleep(&ts, 0);
}

/* One response read off fd: status, Content-Type and the body (framed by
 * Content-Length; at most cap - 1 bytes, NUL-terminated). A reader keeps
 * what it read past one response for the next. */
struct reader {
	int fd;
	char buf[1 << 18];
	size_t len;
};

struct resp {
	int status;
	char ctype[128];
	char coding[32]; /* Content-Encoding, "" without */
	char body[1 << 18];
	size_t body_len;
	bool closed; /* EOF instead of a response */
};

static bool reader_fill(struct reader *r)
{
	CHECK(r->len < sizeof(r->buf));
	ssize_t n = read(r->fd, r->buf + r->len, sizeof(r->buf) - r->len);
	if (n <= 0)
		return false;
	r->len += (size_t)n;
	return true;
}

static void read_resp(struct reader *r, struct resp *out)
{
	memset(out, 0, sizeof(*out));
	char *end;
	while (!(end = memmem(r->buf, r->len, "\r\n\r\n", 4)))
		if (!reader_fill(r)) {
			CHECK_MSG(r->len == 0, "EOF inside a response head: %.*s", (int)r->len,
				  r->buf);
			out->closed = true;
			return;
		}
	size_t head = (size_t)(end + 4 - r->buf);
	CHECK_MSG(!strncmp(r->buf, "HTTP/1.1 ", 9), "not a response: %.*s", (int)head, r->buf);
	out->status = atoi(r->buf + 9);
	long long clen = -1;
	for (char *l = strstr(r->buf, "\r\n") + 2; l < end; l = strstr(l, "\r\n") + 2) {
		if (!strncasecmp(l, "Content-Length:", 15))
			clen = atoll(l + 15);
		if (!strncasecmp(l, "Content-Encoding:", 17)) {
			const char *v = l + 17;
			while (*v == ' ')
				v++;
			snprintf(out->coding, sizeof(out->coding), "%.*s", (int)strcspn(v, "\r"),
				 v);
		}
		if (!strncasecmp(l, "Content-Type:", 13)) {
			const char *v = l + 13;
			while (*v == ' ')
				v++;
			size_t n = strcspn(v, "\r");
			snprintf(out->ctype, sizeof(out->ctype), "%.*s", (int)n, v);
		}
	}
	CHECK_MSG(clen >= 0 && clen < (long long)sizeof(out->body),
		  "no usable Content-Length: %.*s", (int)head, r->buf);
	while (r->len < head + (size_t)clen)
		CHECK_MSG(reader_fill(r), "EOF inside a body");
	memcpy(out->body, r->buf + head, (size_t)clen);
	out->body_len = (size_t)clen;
	memmove(r->buf, r->buf + head + clen, r->len - head - (size_t)clen);
	r->len -= head + (size_t)clen;
}

/* Send req on a new connection, read one response. */
static void exchange(struct arena *a, const char *req, size_t n, struct resp *out)
{
	static struct reader r;
	r.fd = conn(a);
	r.len = 0;
	send_all(r.fd, req, n);
	read_resp(&r, out);
	close(r.fd);
}

static void get(struct arena *a, const char *path, struct resp *out)
{
	char req[512];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", path);
	exchange(a, req, (size_t)n, out);
}

static void post(struct arena *a, const char *path, const char *body, bool chunked,
		 struct resp *out)
{
	char req[1024];
	int n;
	if (chunked)
		n = snprintf(req, sizeof(req),
			     "POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n"
			     "Transfer-Encoding: chunked\r\n\r\n%zx\r\n%s\r\n0\r\n\r\n",
			     path, strlen(body), body);
	else
		n = snprintf(req, sizeof(req),
			     "POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n"
			     "Content-Length: %zu\r\n\r\n%s",
			     path, strlen(body), body);
	exchange(a, req, (size_t)n, out);
}

#define EXPECT_BODY(r, want)                                                                       \
	CHECK_MSG((r)->status == 200 && (r)->body_len == strlen(want) &&                           \
			  !memcmp((r)->body, want, (r)->body_len),                                 \
		  "%s: status %d, body '%.*s', expected '%s'", a->bin, (r)->status,                \
		  (int)(r)->body_len, (r)->body, want)

/* ---- baseline (and limited-conn: the same checks) ------------------------------- */

static void check_baseline(struct arena *a)
{
	static struct resp r;
	get(a, "/baseline11?a=13&b=42", &r);
	EXPECT_BODY(&r, "55");
	CHECK_MSG(!strcmp(r.ctype, "text/plain"), "Content-Type %s", r.ctype);
	post(a, "/baseline11?a=13&b=42", "20", false, &r);
	EXPECT_BODY(&r, "75");
	CHECK_MSG(!strcmp(r.ctype, "text/plain"), "Content-Type %s", r.ctype);
	post(a, "/baseline11?a=13&b=42", "20", true, &r);
	EXPECT_BODY(&r, "75");

	/* Anti-cheat: random operands (100-999) and two different bodies. */
	srand((unsigned)time(0) ^ (unsigned)getpid());
	for (int k = 0; k < 20; k++) {
		int x = 100 + rand() % 900, y = 100 + rand() % 900, b1 = 100 + rand() % 900;
		int b2 = b1 == 999 ? 100 : b1 + 1;
		char path[64], want[16], body[16];
		snprintf(path, sizeof(path), "/baseline11?a=%d&b=%d", x, y);
		snprintf(want, sizeof(want), "%d", x + y);
		get(a, path, &r);
		EXPECT_BODY(&r, want);
		snprintf(body, sizeof(body), "%d", b1);
		snprintf(want, sizeof(want), "%d", 55 + b1);
		post(a, "/baseline11?a=13&b=42", body, k & 1, &r);
		EXPECT_BODY(&r, want);
		snprintf(body, sizeof(body), "%d", b2);
		snprintf(want, sizeof(want), "%d", 55 + b2);
		post(a, "/baseline11?a=13&b=42", body, k & 1, &r);
		EXPECT_BODY(&r, want);
	}
	/* Operands are form-decoded; bad ones are a 400, not a guess. */
	get(a, "/baseline11?b=%2D2&a=%31%30", &r);
	EXPECT_BODY(&r, "8");
	get(a, "/baseline11?a=1&b=x", &r);
	CHECK_EQ(r.status, 400);
	get(a, "/baseline11?a=1", &r);
	CHECK_EQ(r.status, 400);
	post(a, "/baseline11?a=1&b=2", "2o", false, &r);
	CHECK_EQ(r.status, 400);
	get(a, "/baseline11?a=9223372036854775807&b=1", &r);
	CHECK_EQ(r.status, 400);
}

TEST(arena_baseline_sums_query_and_body_with_random_inputs)
{
	each_build(check_baseline, NULL);
}

/* Keep-alive: many requests on one connection, as the baseline load
 * sends them; and limited-conn's close after 10 of them. */
static void check_keep_alive(struct arena *a)
{
	static struct reader r;
	static struct resp out;
	for (int round = 0; round < 3; round++) {
		r.fd = conn(a);
		r.len = 0;
		for (int i = 0; i < 10; i++) {
			char req[256], want[16];
			int n = i % 3 == 0   ? snprintf(req, sizeof(req),
							"GET /baseline11?a=%d&b=1 HTTP/1.1\r\nHost: "
							  "h\r\n\r\n",
							i)
				: i % 3 == 1 ? snprintf(req, sizeof(req),
							"POST /baseline11?a=%d&b=1 "
							"HTTP/1.1\r\nHost: h\r\n"
							"Content-Length: 1\r\n\r\n7",
							i)
					     : snprintf(req, sizeof(req),
							"POST /baseline11?a=%d&b=1 "
							"HTTP/1.1\r\nHost: h\r\n"
							"Transfer-Encoding: "
							"chunked\r\n\r\n1\r\n7\r\n0\r\n\r\n",
							i);
			send_all(r.fd, req, (size_t)n);
			read_resp(&r, &out);
			snprintf(want, sizeof(want), "%d", i + 1 + (i % 3 ? 7 : 0));
			EXPECT_BODY(&out, want);
		}
		close(r.fd);
	}
}

TEST(arena_keep_alive_and_short_lived_connections)
{
	each_build(check_keep_alive, NULL);
}

/* ---- TCP fragmentation: the validation page's splits ---------------------------- */

/* Send the parts with 30 ms between them (TCP_NODELAY: separate
 * segments), then read until the server closes (Connection: close). */
static void fragmented(struct arena *a, const char *const *parts, const char *want)
{
	static struct reader r;
	static struct resp out;
	r.fd = conn(a);
	r.len = 0;
	for (int i = 0; parts[i]; i++) {
		if (i)
			pause_ms(30);
		send_str(r.fd, parts[i]);
	}
	read_resp(&r, &out);
	EXPECT_BODY(&out, want);
	CHECK_MSG(!reader_fill(&r), "%s: no close after Connection: close", a->bin);
	close(r.fd);
}

static void check_fragments(struct arena *a)
{
	const char *line[] = { "GET /baseli", "ne11?a=13&b=42 HTTP/1.1\r\n",
			       "Host: localhost\r\nConnection: close\r\n\r\n", NULL };
	fragmented(a, line, "55");
	const char *headers[] = { "GET /baseline11?a=13&b=42 HTTP/1.1\r\n", "Host: localhost\r\n",
				  "User-Agent: arena-frag/1.0\r\n", "Connection: close\r\n\r\n",
				  NULL };
	fragmented(a, headers, "55");
#define POST_HEAD                                                                                  \
	"POST /baseline11?a=13&b=42 HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n"   \
	"Content-Length: 2\r\nConnection: close\r\n\r\n"
	const char *body[] = { POST_HEAD, "20", NULL };
	fragmented(a, body, "75");
	const char *bytes[] = { POST_HEAD, "2", "0", NULL };
	fragmented(a, bytes, "75");
	const char *lower[] = { "POST /baseline11?a=13&b=42 HTTP/1.1\r\nhost: localhost\r\n"
				"content-type: text/plain\r\ncontent-length: 2\r\n"
				"connection: close\r\n\r\n",
				"20", NULL };
	fragmented(a, lower, "75");
}

TEST(arena_fragmented_requests_at_the_four_splits)
{
	each_build(check_fragments, NULL);
}

/* The exhaustive sweep: each shape split at every byte offset, in
 * batches of connections that share one pause between the two writes. */
static void check_every_split(struct arena *a)
{
	static const struct {
		const char *req, *want;
	} shapes[] = {
		{ "GET /baseline11?a=13&b=42 HTTP/1.1\r\nHost: l\r\nConnection: close\r\n\r\n",
		  "55" },
		{ "GET /baseline11?a=13&b=42 HTTP/1.1\r\nHost: l\r\nUser-Agent: x/1\r\nAccept: "
		  "*/*\r\n"
		  "Accept-Encoding: gzip\r\nConnection: close\r\n\r\n",
		  "55" },
		{ "GET /baseline11?a=13&b=42 HTTP/1.1\r\nhost: l\r\nconnection: close\r\n\r\n",
		  "55" },
		{ "GET /baseline11?a=317&b=604 HTTP/1.1\r\nHost: l\r\nConnection: close\r\n\r\n",
		  "921" },
		{ "POST /baseline11?a=13&b=42 HTTP/1.1\r\nHost: l\r\nContent-Length: 2\r\n"
		  "Connection: close\r\n\r\n20",
		  "75" },
		{ "POST /baseline11?a=13&b=42 HTTP/1.1\r\nHost: l\r\ncontent-length: 2\r\n"
		  "Connection: close\r\n\r\n20",
		  "75" },
		{ "POST /baseline11?a=411&b=222 HTTP/1.1\r\nHost: l\r\nContent-Length: 3\r\n"
		  "Connection: close\r\n\r\n789",
		  "1422" },
		{ "POST /baseline11?a=13&b=42 HTTP/1.1\r\nHost: l\r\nTransfer-Encoding: chunked\r\n"
		  "Connection: close\r\n\r\n2\r\n20\r\n0\r\n\r\n",
		  "75" },
		{ "POST /baseline11?a=13&b=42 HTTP/1.1\r\nHost: l\r\nTransfer-Encoding: chunked\r\n"
		  "Connection: close\r\n\r\n1\r\n2\r\n1\r\n0\r\n0\r\n\r\n",
		  "75" },
	};
	enum { BATCH = 128 };
	static struct reader rs[BATCH];
	static struct resp out;
	size_t splits = 0, want = 0;
	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++)
		want += strlen(shapes[s].req) - 1;
	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
		size_t n = strlen(shapes[s].req);
		for (size_t at = 1; at < n; at += BATCH) {
			size_t k = n - at < BATCH ? n - at : BATCH;
			for (size_t i = 0; i < k; i++) {
				rs[i].fd = conn(a);
				rs[i].len = 0;
				send_all(rs[i].fd, shapes[s].req, at + i);
			}
			pause_ms(20);
			for (size_t i = 0; i < k; i++)
				send_str(rs[i].fd, shapes[s].req + at + i);
			for (size_t i = 0; i < k; i++) {
				read_resp(&rs[i], &out);
				CHECK_MSG(out.status == 200 &&
						  out.body_len == strlen(shapes[s].want) &&
						  !memcmp(out.body, shapes[s].want, out.body_len),
					  "%s: shape %zu split at %zu: status %d body '%.*s'",
					  a->bin, s, at + i, out.status, (int)out.body_len,
					  out.body);
				close(rs[i].fd);
				splits++;
			}
		}
	}
	CHECK_EQ(splits, want);
	CHECK(want > 700);
}

TEST(arena_every_split_of_nine_request_shapes)
{
	each_build(check_every_split, NULL);
}

/* ---- pipelined ------------------------------------------------------------------ */

static void check_pipeline(struct arena *a)
{
	static struct resp r;
	static struct reader rd;
	get(a, "/pipeline", &r);
	EXPECT_BODY(&r, "ok");
	CHECK_MSG(!strcmp(r.ctype, "text/plain"), "Content-Type %s", r.ctype);
	/* 16 at once, as the profile sends them: 16 answers, in order. */
	char req[16 * 64];
	size_t n = 0;
	for (int i = 0; i < 16; i++)
		n += (size_t)snprintf(req + n, sizeof(req) - n,
				      "GET /pipeline HTTP/1.1\r\nHost: localhost\r\n\r\n");
	rd.fd = conn(a);
	rd.len = 0;
	for (int round = 0; round < 50; round++) {
		send_all(rd.fd, req, n);
		for (int i = 0; i < 16; i++) {
			read_resp(&rd, &r);
			EXPECT_BODY(&r, "ok");
		}
	}
	close(rd.fd);
}

TEST(arena_pipeline_answers_ok_sixteen_deep)
{
	each_build(check_pipeline, NULL);
}

/* ---- json ----------------------------------------------------------------------- */

static void expect_json(struct arena *a, int count, long long m, const struct resp *r)
{
	static char want[1 << 16];
	size_t n = (size_t)snprintf(want, sizeof(want), "{\"items\":[");
	int shown = count < NITEMS ? count : NITEMS;
	for (int i = 0; i < shown; i++) {
		if (i)
			want[n++] = ',';
		n += (size_t)item_json(want + n, sizeof(want) - n, i);
		n += (size_t)snprintf(want + n, sizeof(want) - n, ",\"total\":%lld}",
				      price_of(i) * quantity_of(i) * m);
	}
	n += (size_t)snprintf(want + n, sizeof(want) - n, "],\"count\":%d}", shown);
	CHECK_MSG(r->status == 200 && r->body_len == n && !memcmp(r->body, want, n),
		  "%s: /json/%d?m=%lld: status %d\n got: %.*s\nwant: %s", a->bin, count, m,
		  r->status, (int)r->body_len, r->body, want);
	CHECK_MSG(!strcmp(r->ctype, "application/json"), "Content-Type %s", r->ctype);
}

static void check_json(struct arena *a)
{
	static struct resp r;
	/* The validation page's counts, with its multipliers. */
	static const int counts[] = { 12, 22, 31, 50 }, ms[] = { 3, 7, 2, 5 };
	char path[64];
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "/json/%d?m=%d", counts[i], ms[i]);
		get(a, path, &r);
		expect_json(a, counts[i], ms[i], &r);
	}
	/* The benchmark's pairs, and m's default of 1. */
	static const int bc[] = { 1, 5, 10, 15, 25, 40, 50 }, bm[] = { 3, 7, 2, 5, 4, 8, 6 };
	for (int i = 0; i < 7; i++) {
		snprintf(path, sizeof(path), "/json/%d?m=%d", bc[i], bm[i]);
		get(a, path, &r);
		expect_json(a, bc[i], bm[i], &r);
	}
	get(a, "/json/50", &r);
	expect_json(a, 50, 1, &r);
	get(a, "/json/50?m=-2", &r);
	expect_json(a, 50, -2, &r);
	get(a, "/json/0?m=2", &r);
	expect_json(a, 0, 2, &r);
	get(a, "/json/70?m=2", &r); /* more than there are: all of them */
	expect_json(a, 70, 2, &r);
	get(a, "/json/x1", &r);
	CHECK_EQ(r.status, 400);
	get(a, "/json/5?m=z", &r);
	CHECK_EQ(r.status, 400);
	get(a, "/json/5?m=9223372036854775807", &r);
	CHECK_EQ(r.status, 400);
	/* Pipelined /json answers that outgrow the write space at once go out
	 * as streams; each is still whole and in order. */
	static struct reader rd;
	char req[64 * 40];
	size_t n = 0;
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(req + n, sizeof(req) - n,
				      "GET /json/50?m=%d HTTP/1.1\r\nHost: l\r\n\r\n", i);
	rd.fd = conn(a);
	rd.len = 0;
	send_all(rd.fd, req, n);
	for (int i = 0; i < 40; i++) {
		read_resp(&rd, &r);
		expect_json(a, 50, i, &r);
	}
	close(rd.fd);
}

TEST(arena_json_totals_for_the_validation_counts)
{
	each_build(check_json, NULL);
}

/* Answers longer than the write space (here 50 x 600 bytes, past the
 * 20 KiB window) go out as a stream that on_writable finishes, each
 * whole and in order, pipelined or not. */
static void check_json_long(struct arena *a)
{
	static struct resp r;
	static struct reader rd;
	char req[64 * 8];
	size_t n = 0;
	get(a, "/json/50?m=3", &r);
	expect_json(a, 50, 3, &r);
	CHECK(r.body_len > 30000);
	for (int i = 0; i < 8; i++)
		n += (size_t)snprintf(req + n, sizeof(req) - n,
				      "GET /json/%d?m=%d HTTP/1.1\r\nHost: l\r\n\r\n", 43 + i, i);
	rd.fd = conn(a);
	rd.len = 0;
	send_all(rd.fd, req, n);
	for (int i = 0; i < 8; i++) {
		read_resp(&rd, &r);
		expect_json(a, 43 + i, i, &r);
	}
	close(rd.fd);
}

TEST(arena_json_answers_longer_than_the_write_space)
{
	g_desc_len = 600;
	each_build(check_json_long, NULL);
}

/* A data set that is not one is refused at start-up, with the cause. */
TEST(arena_refuses_a_bad_data_set)
{
	static const struct {
		const char *text, *says;
	} bad[] = {
		{ "[{\"price\": 1, \"quantity\": 2},]", "not valid JSON" },
		{ "[{\"price\": 1.5, \"quantity\": 2}]", "integer \"price\"" },
		{ "{\"x\": []}", "not an array of items" },
		{ "[\"\\ud800\"]", "not valid JSON" },
		{ "[{\"price\": 9223372036854775807, \"quantity\": 2}]", "overflows" },
	};
	char *dir = write_data_dir();
	char path[128];
	snprintf(path, sizeof(path), "%s/dataset.json", dir);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		FILE *f = fopen(path, "w");
		fputs(bad[i].text, f);
		fclose(f);
		char line[512];
		const char *args[] = { "--bind", "127.0.0.1", "--port", "0", "--data", dir, NULL };
		int st = proc_run(proc_build_path("rocket-arena"), args, NULL, NULL, NULL, line,
				  sizeof(line));
		CHECK_MSG(st == 1 && strstr(line, bad[i].says), "%s: status 0x%x, said: %s",
			  bad[i].text, st, line);
	}
	const char *args[] = {
		"--bind", "127.0.0.1", "--port", "0", "--data", "/nonexistent", NULL
	};
	char line[512];
	int st = proc_run(proc_build_path("rocket-arena"), args, NULL, NULL, NULL, line,
			  sizeof(line));
	CHECK_MSG(st == 1 && strstr(line, "ENOENT"), "said: %s", line);
	remove_data_dir(dir);
}

/* ---- upload --------------------------------------------------------------------- */

static long long vm_rss_kib(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	CHECK(f);
	long long kib = -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kib = atoll(line + 6);
	fclose(f);
	return kib;
}

/* POST /upload with n random bytes (Content-Length or chunked); the
 * answer must be n. */
static void upload(struct arena *a, size_t n, bool chunked)
{
	static struct reader r;
	static struct resp out;
	static char block[1 << 16];
	for (size_t i = 0; i < sizeof(block); i++)
		block[i] = (char)rand();
	r.fd = conn(a);
	r.len = 0;
	char head[256];
	int hn =
		chunked ? snprintf(head, sizeof(head),
				   "POST /upload HTTP/1.1\r\nHost: l\r\nContent-Type: "
				   "application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
			: snprintf(head, sizeof(head),
				   "POST /upload HTTP/1.1\r\nHost: l\r\nContent-Type: "
				   "application/octet-stream\r\nContent-Length: %zu\r\n\r\n",
				   n);
	send_all(r.fd, head, (size_t)hn);
	for (size_t sent = 0; sent < n;) {
		size_t k = n - sent < sizeof(block) ? n - sent : sizeof(block);
		if (chunked) {
			char size[16];
			send_all(r.fd, size, (size_t)snprintf(size, sizeof(size), "%zx\r\n", k));
		}
		send_all(r.fd, block, k);
		if (chunked)
			send_all(r.fd, "\r\n", 2);
		sent += k;
	}
	if (chunked)
		send_str(r.fd, "0\r\n\r\n");
	read_resp(&r, &out);
	char want[24];
	snprintf(want, sizeof(want), "%zu", n);
	EXPECT_BODY(&out, want);
	CHECK_MSG(!strcmp(out.ctype, "text/plain"), "Content-Type %s", out.ctype);
	close(r.fd);
}

static void check_upload(struct arena *a)
{
	static struct resp r;
	post(a, "/upload", "Hello, HttpArena!", false, &r);
	EXPECT_BODY(&r, "17");
	/* 48 random base64 characters. */
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char body[49];
	for (int i = 0; i < 48; i++)
		body[i] = b64[rand() % 64];
	body[48] = 0;
	post(a, "/upload", body, false, &r);
	EXPECT_BODY(&r, "48");
	/* The profile's sizes: 500 KB, 2 MB, 10 MB, 20 MB (and chunked). */
	static const size_t sizes[] = { 512000, 2097152, 10485760, 20971520 };
	for (int i = 0; i < 4; i++)
		upload(a, sizes[i], false);
	upload(a, 2097152 + 17, true);
	/* Bounded memory: the product did not keep the 20 MB. */
	if (strstr(a->bin, "-san") == NULL) {
		long long kib = vm_rss_kib(a->p.pid);
		CHECK_MSG(kib > 0 && kib < 16 * 1024, "%s: RSS %lld KiB after the uploads", a->bin,
			  kib);
	}
	/* Expect: 100-continue (curl sends it for large bodies). */
	static struct reader rd;
	rd.fd = conn(a);
	rd.len = 0;
	send_str(rd.fd, "POST /upload HTTP/1.1\r\nHost: l\r\nContent-Length: 5\r\n"
			"Expect: 100-continue\r\n\r\n");
	char cont[64] = "";
	ssize_t k = read(rd.fd, cont, sizeof(cont) - 1);
	CHECK_MSG(k > 0 && !strncmp(cont, "HTTP/1.1 100 ", 13), "%s: no 100 Continue: %s", a->bin,
		  cont);
	send_str(rd.fd, "hello");
	read_resp(&rd, &r);
	EXPECT_BODY(&r, "5");
	close(rd.fd);
}

TEST_T(arena_upload_counts_the_bytes_of_every_size, 120)
{
	each_build(check_upload, NULL);
}

/* ---- static -------------------------------------------------------------------- */

static void get_with(struct arena *a, const char *path, const char *fields, struct resp *out)
{
	char req[512];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: localhost\r\n%s\r\n", path,
			 fields);
	exchange(a, req, (size_t)n, out);
}

static void check_static(struct arena *a)
{
	static struct resp r;
	char path[128], file[256];
	const char *coding = r.coding;
	/* Every file without Accept-Encoding: its size on disk and its type
	 * (text/javascript counts as application/javascript, RFC 9239). */
	for (int i = 0; i < NSTATIC; i++) {
		snprintf(path, sizeof(path), "/static/%s", g_static[i].name);
		get_with(a, path, "", &r);
		CHECK_MSG(r.status == 200 && (int)r.body_len == g_static[i].size && !coding[0],
			  "%s: %s: status %d, %zu bytes, coding '%s'", a->bin, path, r.status,
			  r.body_len, coding);
		CHECK_MSG(strstr(r.ctype, g_static[i].type), "%s: %s: Content-Type %s", a->bin,
			  path, r.ctype);
	}
	/* The profile's Accept-Encoding, q-values and all: the .br sibling
	 * where there is one, the file itself where there is none. */
	for (int i = 0; i < NSTATIC; i++) {
		snprintf(path, sizeof(path), "/static/%s", g_static[i].name);
		get_with(a, path, "Accept-Encoding: br;q=1, gzip;q=0.8\r\n", &r);
		snprintf(file, sizeof(file), "%s/static/%s%s", a->dir, g_static[i].name,
			 static_binary(i) ? "" : ".br");
		char *want = proc_slurp(file);
		size_t wn = static_binary(i) ? (size_t)g_static[i].size : strlen(want);
		CHECK_MSG(r.status == 200 && r.body_len == wn && !memcmp(r.body, want, wn) &&
				  !strcmp(coding, static_binary(i) ? "" : "br") &&
				  strstr(r.ctype, g_static[i].type),
			  "%s: %s with br: status %d, %zu bytes, coding '%s', type %s", a->bin,
			  path, r.status, r.body_len, coding, r.ctype);
		free(want);
	}
	/* gzip only: the .gz, which decodes to the file (gzip -d). */
	get_with(a, "/static/app.js", "Accept-Encoding: gzip\r\n", &r);
	CHECK_MSG(r.status == 200 && !strcmp(coding, "gzip"), "app.js with gzip: %d '%s'", r.status,
		  coding);
	char gz[] = "/tmp/rk-arena-gz.XXXXXX";
	int fd = mkstemp(gz);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, r.body, r.body_len), (ssize_t)r.body_len);
	close(fd);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "gzip -dc < %s | cmp -s - %s/static/app.js", gz, a->dir);
	CHECK_MSG(system(cmd) == 0, "app.js.gz does not decode to app.js");
	unlink(gz);
	get_with(a, "/static/nonexistent.txt", "", &r);
	CHECK_EQ(r.status, 404);
	/* The files are read from disk each time: a new reset.css shows. */
	snprintf(file, sizeof(file), "%s/static/reset.css", a->dir);
	char *old = proc_slurp(file);
	FILE *f = fopen(file, "w");
	fputs("/* fresh */", f);
	fclose(f);
	get_with(a, "/static/reset.css", "", &r);
	CHECK_MSG(r.body_len == 11 && !memcmp(r.body, "/* fresh */", 11), "stale reset.css");
	f = fopen(file, "w");
	fputs(old, f);
	fclose(f);
	free(old);
	/* And the other routes are still there beside /static/. */
	get(a, "/baseline11?a=2&b=3", &r);
	EXPECT_BODY(&r, "5");
}

/* The static-file server (rocket --mount) may not be in this tree yet:
 * then there is no /static/ to check, and the test says so. */
static bool arena_has_mount(void)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "%s --help | grep -q -- --mount",
		 proc_build_path("rocket-arena"));
	return system(cmd) == 0;
}

TEST(arena_static_files_sizes_types_codings_and_404)
{
	if (!arena_has_mount()) {
		printf("  skipped: no static-file server (--mount) in this tree yet\n");
		return;
	}
	each_build(check_static, NULL);
}

/* ---- noisy: bad input is a 4xx, and everyone else is still served ---------------- */

static void noise(struct arena *a, const char *name, const void *req, size_t n, int want)
{
	static struct reader r;
	static struct resp out;
	r.fd = conn(a);
	r.len = 0;
	send_all(r.fd, req, n);
	read_resp(&r, &out);
	CHECK_MSG(!out.closed && out.status == want, "%s: %s: status %d (closed %d), expected %d",
		  a->bin, name, out.status, out.closed, want);
	close(r.fd);
}

static void check_noise(struct arena *a)
{
	static struct reader keep;
	static struct resp r;
	/* A client that keeps its connection through all of it. */
	keep.fd = conn(a);
	keep.len = 0;
	send_str(keep.fd, "GET /baseline11?a=1&b=1 HTTP/1.1\r\nHost: l\r\n\r\n");
	read_resp(&keep, &r);
	EXPECT_BODY(&r, "2");

#define NOISE(name, lit, want) noise(a, name, lit, sizeof(lit) - 1, want)
	NOISE("bad path", "GET /this/path/does/not/exist HTTP/1.1\r\nHost: l\r\n\r\n", 404);
	NOISE("bad Content-Length",
	      "POST /baseline11?a=1&b=1 HTTP/1.1\r\nHost: l\r\n"
	      "Content-Length: abc\r\n\r\n",
	      400);
	NOISE("bad Content-Length (two values)",
	      "POST /baseline11?a=1&b=1 HTTP/1.1\r\nHost: l\r\n"
	      "Content-Length: 2\r\nContent-Length: 3\r\n\r\n20",
	      400);
	NOISE("bad header (no colon)",
	      "GET /baseline11?a=1&b=1 HTTP/1.1\r\nHost: l\r\n"
	      "This is not a header\r\n\r\n",
	      400);
	NOISE("bad header (space in name)",
	      "GET /baseline11?a=1&b=1 HTTP/1.1\r\nHost: l\r\n"
	      "Bad Name: x\r\n\r\n",
	      400);
	NOISE("bare CR", "GET /baseline11?a=1&b=1 HTTP/1.1\rHost: localhost:8080\r\n\r\n", 400);
	NOISE("empty header",
	      "GET /baseline11?a=1&b=1 HTTP/1.1\r\nHost: localhost:8080\r\n:\r\n"
	      "X-Empty:\r\n\r\n",
	      400);
	NOISE("NUL byte", "GET /baseline11?a=1&b=1 HTTP/1.1\r\nHost: l\r\nX-Null: a\0b\r\n\r\n",
	      400);
	NOISE("obs-fold",
	      "GET /baseline11?a=1&b=1 HTTP/1.1\r\nHost: localhost:8080\r\n"
	      "X-Split: start\r\n \tcontinued-value\r\nContent-Type: text/plain\r\n\r\n",
	      400);
	/* Huge header: an 8 KiB field, past --max-head's 8192 -> 431. */
	static char huge[9000];
	int hn = snprintf(huge, sizeof(huge),
			  "GET /baseline11?a=1&b=1 HTTP/1.1\r\nHost: l\r\n"
			  "X-Huge: ");
	memset(huge + hn, 'h', 8192);
	hn += 8192;
	hn += snprintf(huge + hn, sizeof(huge) - (size_t)hn, "\r\n\r\n");
	noise(a, "huge header", huge, (size_t)hn, 431);
	/* Binary: 256 bytes that are not HTTP. */
	unsigned char bin[256];
	for (int i = 0; i < 256; i++)
		bin[i] = (unsigned char)(0x80 + (i * 37) % 128);
	noise(a, "binary", bin, sizeof(bin), 400);
	/* Doubled CRLF: a valid request, then "X-After: ..." as a request. */
	static struct reader d;
	d.fd = conn(a);
	d.len = 0;
	send_str(d.fd, "GET /baseline11?a=1&b=1 HTTP/1.1\r\nHost: localhost:8080\r\n\r\n"
		       "X-After: should-not-be-here\r\n\r\n");
	read_resp(&d, &r);
	EXPECT_BODY(&r, "2");
	read_resp(&d, &r);
	CHECK_MSG(r.status == 400, "doubled CRLF: second answer %d", r.status);
	close(d.fd);
	/* Content-Length: 999 and no body, then the client gives up. */
	static struct reader h;
	h.fd = conn(a);
	h.len = 0;
	send_str(h.fd,
		 "POST /baseline11?a=1&b=1 HTTP/1.1\r\nHost: l\r\nContent-Length: 999\r\n\r\n");
	shutdown(h.fd, SHUT_WR);
	read_resp(&h, &r);
	CHECK_MSG(r.closed || (r.status >= 400 && r.status < 500), "short body: status %d",
		  r.status);
	close(h.fd);

	/* Everyone else: the kept connection, and new ones. */
	send_str(keep.fd,
		 "POST /baseline11?a=1&b=1 HTTP/1.1\r\nHost: l\r\nContent-Length: 1\r\n\r\n3");
	read_resp(&keep, &r);
	EXPECT_BODY(&r, "5");
	close(keep.fd);
	get(a, "/baseline11?a=40&b=2", &r);
	EXPECT_BODY(&r, "42");
}

TEST(arena_noisy_requests_get_4xx_and_others_are_served)
{
	each_build(check_noise, NULL);
}

/* ---- the product's shape ---------------------------------------------------------- */

TEST(arena_is_static_small_and_has_the_data_flag)
{
	const char *bin = proc_build_path("rocket-arena");
	struct stat st;
	CHECK(stat(bin, &st) == 0);
	/* 104 KiB: the product's 96 KiB (check-size), and the arena's own
	 * routes and data; with the static-file server's file cache and
	 * splices linked in, main's 96,960 bytes became some 102 KB. */
	CHECK_MSG(st.st_size <= 104 * 1024, "%s: %lld bytes, more than 104 KiB", bin,
		  (long long)st.st_size);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "%s --help", bin);
	FILE *p = popen(cmd, "r");
	CHECK(p);
	static char out[16384];
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = 0;
	CHECK_EQ(pclose(p), 0);
	CHECK_MSG(strstr(out, "--data DIR") && strstr(out, "--max-head BYTES") &&
			  strstr(out, "(default: 8192)"),
		  "--help:\n%s", out);
}
