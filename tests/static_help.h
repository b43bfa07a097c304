/* tests/static_help.h - what the static-file tests share (header-only: each
 * tests/test_static*.c is its own binary): a temporary tree with a file
 * placed beside its root, a rocket process serving it, a raw HTTP client
 * that keeps the bytes exactly as they came, and SHA-256.
 */
#ifndef ROCKET_TEST_STATIC_HELP_H
#define ROCKET_TEST_STATIC_HELP_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "proc.h"

/* The tree: DIR/root is served; DIR/secret.txt lies beside it, and no
 * request may ever show its text. */
#define SECRET "TOP-SECRET-BESIDE-THE-ROOT"
struct tree {
	char dir[64], root[96];
};

static inline void tree_path(const struct tree *t, const char *rel, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s", t->root, rel);
}

static inline void put_n(const struct tree *t, const char *rel, const void *data, size_t n)
{
	char p[512];
	tree_path(t, rel, p, sizeof(p));
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK_MSG(fd >= 0, "create %s: %s", p, strerror(errno));
	CHECK_EQ(write(fd, data, n), (ssize_t)n);
	close(fd);
}

static inline void put(const struct tree *t, const char *rel, const char *text)
{
	put_n(t, rel, text, strlen(text));
}

static inline void mkdir_in(const struct tree *t, const char *rel)
{
	char p[512];
	tree_path(t, rel, p, sizeof(p));
	CHECK_MSG(mkdir(p, 0755) == 0, "mkdir %s: %s", p, strerror(errno));
}

static inline void symlink_in(const struct tree *t, const char *target, const char *rel)
{
	char p[512];
	tree_path(t, rel, p, sizeof(p));
	CHECK_MSG(symlink(target, p) == 0, "symlink %s: %s", p, strerror(errno));
}

/* A fixed mtime, so Last-Modified and the ETag are known. */
static inline void set_mtime(const struct tree *t, const char *rel, time_t when)
{
	char p[512];
	tree_path(t, rel, p, sizeof(p));
	struct timespec ts[2] = { { when, 0 }, { when, 0 } };
	CHECK(utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW) == 0);
}

static inline void tree_make(struct tree *t)
{
	strcpy(t->dir, "/tmp/rocket-static-XXXXXX");
	CHECK(mkdtemp(t->dir));
	chmod(t->dir, 0755); /* readable by a server that runs as nobody */
	snprintf(t->root, sizeof(t->root), "%s/root", t->dir);
	CHECK(mkdir(t->root, 0755) == 0);
	char p[256];
	snprintf(p, sizeof(p), "%s/secret.txt", t->dir);
	FILE *f = fopen(p, "w");
	CHECK(f);
	fputs(SECRET "\n", f);
	fclose(f);
}

static inline void tree_remove(const struct tree *t)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "chmod -R u+rwX %s 2>/dev/null; rm -rf %s", t->dir, t->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "  could not remove %s\n", t->dir);
}

/* ---- the server ------------------------------------------------------------ */

/* Start the sanitized server on a free port with args (NULL-terminated,
 * e.g. "--root", dir, NULL); its cwd is the tree's directory (so a link
 * through /proc/self/cwd would reach the secret). Returns the port. */
static const struct tree *srv_cwd;
static inline void srv_hook(void *arg)
{
	(void)arg;
	if (srv_cwd && chdir(srv_cwd->dir) != 0)
		_exit(90);
}

/* The server's flags for serving tree t, then the rest given. */
#define ROOT_ARGS(t, ...)                                                                          \
	((const char *const[]){ "--root", (t)->root, __VA_ARGS__ __VA_OPT__(, ) 0 })

/* How many descriptors process pid has open. */
static inline int srv_fds(pid_t pid)
{
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "ls /proc/%d/fd | wc -l", (int)pid);
	FILE *f = popen(cmd, "r");
	int n = -1;
	CHECK(f && fscanf(f, "%d", &n) == 1);
	pclose(f);
	return n;
}

static inline int srv_start_bin(struct proc *p, const char *bin, const struct tree *t,
				const char *const *args)
{
	const char *argv[40] = { "--port", "0", "--bind", "127.0.0.1", "--reactors", "1" };
	int n = 6;
	for (; args && *args && n < 38; args++)
		argv[n++] = *args;
	argv[n] = 0;
	srv_cwd = t;
	proc_spawn(p, bin, argv, 0, srv_hook, 0);
	int port = 0;
	CHECK_EQ(proc_wait_banner(p, &port, 1), 1);
	return port;
}

static inline int srv_start(struct proc *p, const struct tree *t, const char *const *args)
{
	return srv_start_bin(p, proc_bin_hosted(), t, args);
}

/* ---- a client that keeps every byte --------------------------------------- */

struct resp {
	int status;
	char head[16384]; /* status line and fields, NUL-terminated */
	uint8_t *body;    /* malloc'd (chunked: decoded) */
	size_t len;
	bool closed; /* the server closed after it */
};

static inline void resp_free(struct resp *r)
{
	free(r->body);
	r->body = 0;
}

/* The value of field name in r (case-insensitive), NUL-terminated in a
 * static buffer, or NULL. */
static inline const char *hdr(const struct resp *r, const char *name)
{
	static char val[4096];
	size_t n = strlen(name);
	for (const char *l = strstr(r->head, "\r\n"); l && l[2] != '\r';
	     l = strstr(l + 2, "\r\n")) {
		const char *f = l + 2;
		if (strncasecmp(f, name, n) == 0 && f[n] == ':') {
			const char *v = f + n + 1, *e = strstr(v, "\r\n");
			while (*v == ' ')
				v++;
			snprintf(val, sizeof(val), "%.*s", (int)(e - v), v);
			return val;
		}
	}
	return NULL;
}

static inline size_t read_some(int fd, uint8_t *buf, size_t cap)
{
	ssize_t k = read(fd, buf, cap);
	return k > 0 ? (size_t)k : 0;
}

/* Read one response from fd (head: a GET answer has a body unless
 * head_only). Bytes read past it stay in *pend / *npend for the next. */
struct conn {
	int fd;
	uint8_t *buf;
	size_t n, cap;
};

static inline void conn_open(struct conn *c, int port)
{
	c->fd = tcp_connect("127.0.0.1", port);
	CHECK_MSG(c->fd >= 0, "connect to %d", port);
	c->n = 0;
	c->cap = 1 << 16;
	c->buf = malloc(c->cap);
}

static inline void conn_close(struct conn *c)
{
	close(c->fd);
	free(c->buf);
}

static inline bool conn_fill(struct conn *c)
{
	if (c->cap - c->n < 65536)
		c->buf = realloc(c->buf, c->cap *= 2);
	size_t k = read_some(c->fd, c->buf + c->n, c->cap - c->n);
	c->n += k;
	return k > 0;
}

static inline void conn_send(struct conn *c, const char *req)
{
	size_t n = strlen(req), off = 0;
	while (off < n) {
		ssize_t k = write(c->fd, req + off, n - off);
		CHECK_MSG(k > 0, "write: %s", strerror(errno));
		off += (size_t)k;
	}
}

static inline void conn_take(struct conn *c, size_t k)
{
	memmove(c->buf, c->buf + k, c->n - k);
	c->n -= k;
}

/* One response; false if the connection ended before a whole one. */
static inline bool conn_resp(struct conn *c, struct resp *r, bool head_only)
{
	memset(r, 0, sizeof(*r));
	uint8_t *end;
	while (!(end = memmem(c->buf, c->n, "\r\n\r\n", 4)))
		if (!conn_fill(c)) {
			r->closed = true;
			return false;
		}
	size_t hl = (size_t)(end - c->buf) + 4;
	CHECK(hl < sizeof(r->head));
	memcpy(r->head, c->buf, hl);
	r->head[hl] = 0;
	r->status = atoi(r->head + 9);
	conn_take(c, hl);
	const char *te = hdr(r, "Transfer-Encoding"), *cl = hdr(r, "Content-Length");
	bool no_body = head_only || r->status == 304 || r->status == 204 || r->status < 200;
	if (no_body)
		return true;
	if (te && strstr(te, "chunked")) {
		size_t cap = 4096;
		r->body = malloc(cap);
		for (;;) {
			uint8_t *le;
			while (!(le = memmem(c->buf, c->n, "\r\n", 2)))
				if (!conn_fill(c))
					return false;
			size_t sz = strtoul((char *)c->buf, 0, 16);
			conn_take(c, (size_t)(le - c->buf) + 2);
			while (c->n < sz + 2)
				if (!conn_fill(c))
					return false;
			if (r->len + sz + 1 > cap)
				r->body = realloc(r->body, cap = (r->len + sz) * 2 + 1);
			memcpy(r->body + r->len, c->buf, sz);
			r->len += sz;
			conn_take(c, sz + 2);
			if (!sz)
				break;
		}
		r->body[r->len] = 0;
		return true;
	}
	size_t want = cl ? strtoull(cl, 0, 10) : (size_t)-1;
	while (c->n < want && want != (size_t)-1)
		if (!conn_fill(c))
			break;
	if (!cl)
		while (conn_fill(c))
			;
	r->len = c->n < want ? c->n : want;
	r->body = malloc(r->len + 1);
	memcpy(r->body, c->buf, r->len);
	r->body[r->len] = 0;
	conn_take(c, r->len);
	return r->len == want || !cl;
}

/* One request (Host added, and "Connection: close") on its own
 * connection: the response, or status 0 when none came. */
static inline struct resp *get_ex(int port, const char *method, const char *target,
				  const char *fields)
{
	static struct resp r;
	struct conn c;
	char req[16384];
	resp_free(&r);
	snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: t\r\n%sConnection: close\r\n\r\n",
		 method, target, fields ? fields : "");
	conn_open(&c, port);
	conn_send(&c, req);
	if (!conn_resp(&c, &r, !strcmp(method, "HEAD")))
		r.status = r.status ? r.status : 0;
	conn_close(&c);
	return &r;
}

static inline struct resp *get(int port, const char *target)
{
	return get_ex(port, "GET", target, 0);
}

static inline bool body_is(const struct resp *r, const char *text)
{
	return r->body && r->len == strlen(text) && memcmp(r->body, text, r->len) == 0;
}

/* ---- SHA-256 (FIPS 180-4), for byte-exact big bodies ----------------------- */

struct sha256 {
	uint32_t h[8];
	uint64_t n;
	uint8_t blk[64];
};

static inline void sha256_block(struct sha256 *s, const uint8_t *p)
{
	static const uint32_t k[64] = {
		0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
		0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
		0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
		0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
		0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
		0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
		0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
		0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
		0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
		0xc67178f2,
	};
#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
	uint32_t w[64], v[8];
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++)
		w[i] = w[i - 16] + (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3)) +
		       w[i - 7] + (ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10));
	memcpy(v, s->h, sizeof(v));
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = v[7] + (ROR(v[4], 6) ^ ROR(v[4], 11) ^ ROR(v[4], 25)) +
			      ((v[4] & v[5]) ^ (~v[4] & v[6])) + k[i] + w[i];
		uint32_t t2 = (ROR(v[0], 2) ^ ROR(v[0], 13) ^ ROR(v[0], 22)) +
			      ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
		memmove(v + 1, v, 7 * sizeof(v[0]));
		v[4] += t1;
		v[0] = t1 + t2;
	}
	for (int i = 0; i < 8; i++)
		s->h[i] += v[i];
#undef ROR
}

/* The hex digest of p[0..n). */
static inline const char *sha256_hex(const uint8_t *p, size_t n, char out[65])
{
	struct sha256 s = { .h = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f,
				   0x9b05688c, 0x1f83d9ab, 0x5be0cd19 } };
	size_t i = 0;
	for (; i + 64 <= n; i += 64)
		sha256_block(&s, p + i);
	uint8_t last[128] = { 0 };
	size_t r = n - i, tot = r + 9 <= 64 ? 64 : 128;
	memcpy(last, p + i, r);
	last[r] = 0x80;
	uint64_t bits = (uint64_t)n * 8;
	for (int b = 0; b < 8; b++)
		last[tot - 1 - b] = (uint8_t)(bits >> (8 * b));
	sha256_block(&s, last);
	if (tot == 128)
		sha256_block(&s, last + 64);
	for (int k = 0; k < 8; k++)
		sprintf(out + 8 * k, "%08x", s.h[k]);
	return out;
}

#endif
