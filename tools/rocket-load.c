/* tools/rocket-load.c - an HTTP/1.1 load generator on Rocket's own ring layer.
 *
 * One rk_ring per thread (include/rocket/ring.h), a provided-buffer ring for
 * multishot receives (include/rocket/bufring.h, io_uring_register_buf_ring(3)),
 * IORING_OP_SEND from one pre-rendered buffer holding p+1 copies of the
 * request, IORING_OP_CONNECT for reconnects. Each connection keeps exactly p
 * requests outstanding; responses are framed by Content-Length or chunked
 * encoding, and each request's latency runs from its send to the end of its
 * response, into a log-linear (HDR-style) histogram.
 * The request is built from the URL and -m/-H/-b/--body-file, or taken
 * whole from --raw files (several: rotated across connections and on each
 * reconnect, answers counted per template); -r N closes each connection
 * after N answers. Extra modes for tools/bench/: --idle N (hold N answered
 * connections) and --first-response (time from exec to the first answered
 * request).
 * Read next: tools/load/load.h (shared state), tools/load/conn.c (the ring
 * loop), tools/load/resp.c, tools/load/report.c, tools/bench/profiles.
 */
#include <errno.h>
#include <netdb.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "load/conn.h"
#include "load/load.h"
#include "load/report.h"
#include "load/resp.h"

/* ---- options and shared state (tools/load/load.h) ---------------------------- */
struct load_opts g_opt = {
	.conns = 10, .threads = 1, .pipeline = 1, .duration = 10, .method = "GET", .server_cpu = -1
};
struct sockaddr_storage g_addr;
socklen_t g_addrlen;
static char g_host[256], g_path[2048];
struct load_tmpl g_tmpl[LOAD_MAX_TMPL];
unsigned g_ntmpl;
volatile sig_atomic_t g_stop;
atomic_uint g_idle_done;
uint64_t g_t0;
pthread_barrier_t g_barrier;

/* ---- set-up and report ----------------------------------------------------- */
static void usage(FILE *f)
{
	fprintf(f, "usage: rocket-load [options] http://HOST:PORT/PATH\n"
		   "  -c N           connections (default 10)\n"
		   "  -t N           threads, one io_uring each (default 1)\n"
		   "  -d SECS        duration, e.g. 10 or 10s (default 10)\n"
		   "  -p N           pipeline depth: requests outstanding per connection (1)\n"
		   "  -r N           requests per connection, then close and reconnect\n"
		   "                 (connections/s = reconnects / duration; default: no limit)\n"
		   "  -m METHOD      request method (GET)\n"
		   "  -H 'K: V'      extra request header (repeatable)\n"
		   "  -b BODY        request body (adds Content-Length)\n"
		   "  --body-file F  request body read from file F (adds Content-Length)\n"
		   "  --raw FILE     a whole request as sent, from FILE (repeatable, up to 32):\n"
		   "                 connection i starts with the (i mod n)th, each reconnect\n"
		   "                 takes the next; answers are counted per template\n"
		   "  --rotate       each request takes the next --raw template (round-robin on\n"
		   "                 every connection; needs -p 1)\n"
		   "  --warmup SECS  run this long before counting\n"
		   "  --json         print one JSON object instead of text\n"
		   "  --idle N       open N connections, one request each, then hold them\n"
		   "                 (prints a line 'ready N' once all are answered; -d\n"
		   "                 bounds the hold, default: until SIGINT/SIGTERM)\n"
		   "  --first-response [--start-ns NS] [--server-cpu N] [URL] [-- CMD...]\n"
		   "                 spawn CMD (pinned to CPU N), retry connecting until the\n"
		   "                 first response, print the microseconds since the spawn\n"
		   "                 (or since NS, CLOCK_REALTIME) and the spawned pid\n");
}

static double parse_secs(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || v < 0)
		return -1;
	if (!strcmp(end, "ms"))
		v /= 1000;
	else if (!strcmp(end, "m"))
		v *= 60;
	else if (*end && strcmp(end, "s"))
		return -1;
	return v;
}

static int parse_url(const char *url)
{
	char host[256];
	const char *p = url, *port = "80";
	char portbuf[8];
	if (strncmp(p, "http://", 7))
		return -1;
	p += 7;
	const char *hs = p, *he;
	if (*p == '[') {
		he = strchr(p, ']');
		if (!he)
			return -1;
		hs = p + 1;
		p = he + 1;
	} else {
		p += strcspn(p, ":/");
		he = p;
	}
	if ((size_t)(he - hs) >= sizeof(host))
		return -1;
	memcpy(host, hs, (size_t)(he - hs));
	host[he - hs] = 0;
	if (*p == ':') {
		size_t n = strcspn(p + 1, "/");
		if (!n || n >= sizeof(portbuf))
			return -1;
		memcpy(portbuf, p + 1, n);
		portbuf[n] = 0;
		port = portbuf;
		p += 1 + n;
	}
	snprintf(g_path, sizeof(g_path), "%s", *p ? p : "/");
	snprintf(g_host, sizeof(g_host), "%.*s", (int)(p - (url + 7)), url + 7);
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	if (getaddrinfo(host, port, &hints, &ai))
		return -1;
	memcpy(&g_addr, ai->ai_addr, ai->ai_addrlen);
	g_addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

/* copies of req[0..n) into template t. */
static void tmpl_set(struct load_tmpl *t, const char *name, const char *req, size_t n,
		     unsigned copies)
{
	if (!n || n * copies > 0xffffffffu) {
		fprintf(stderr, "rocket-load: %s: empty, or too large for %u copies\n", name,
			copies);
		exit(2);
	}
	t->name = name;
	t->len = (uint32_t)n;
	t->head = n > 5 && !memcmp(req, "HEAD ", 5);
	t->buf = malloc(n * copies);
	if (!t->buf) {
		fprintf(stderr, "rocket-load: %s: no memory for %u copies\n", name, copies);
		exit(2);
	}
	for (unsigned i = 0; i < copies; i++)
		memcpy(t->buf + (size_t)i * n, req, n);
}

/* A whole file (a --raw template or a --body-file). */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = 0;
	long n = -1;
	if (f && !fseek(f, 0, SEEK_END) && (n = ftell(f)) >= 0 && !fseek(f, 0, SEEK_SET) &&
	    (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		fclose(f);
		*len = (size_t)n;
		return buf;
	}
	fprintf(stderr, "rocket-load: %s: %s\n", path, strerror(errno));
	exit(2);
}

static void render_request(unsigned copies)
{
	if (g_opt.nraw) {
		for (unsigned i = 0; i < g_opt.nraw; i++) {
			size_t n;
			char *req = read_file(g_opt.raw[i], &n);
			tmpl_set(&g_tmpl[g_ntmpl++], g_opt.raw[i], req, n, copies);
			free(req);
		}
		return;
	}
	size_t blen = 0;
	char *body = 0;
	if (g_opt.body_file)
		body = read_file(g_opt.body_file, &blen);
	else if (g_opt.body)
		blen = strlen(g_opt.body);
	char head[16384];
	int n = snprintf(head, sizeof(head), "%s %s HTTP/1.1\r\n", g_opt.method, g_path);
	bool host = false;
	for (unsigned i = 0; i < g_opt.nheaders; i++)
		host |= !strncasecmp(g_opt.headers[i], "host:", 5);
	if (!host)
		n += snprintf(head + n, sizeof(head) - (size_t)n, "Host: %s\r\n", g_host);
	for (unsigned i = 0; i < g_opt.nheaders; i++)
		n += snprintf(head + n, sizeof(head) - (size_t)n, "%s\r\n", g_opt.headers[i]);
	if (g_opt.body || g_opt.body_file)
		n += snprintf(head + n, sizeof(head) - (size_t)n, "Content-Length: %zu\r\n", blen);
	n += snprintf(head + n, sizeof(head) - (size_t)n, "\r\n");
	if (n >= (int)sizeof(head)) {
		fprintf(stderr, "rocket-load: request head too large\n");
		exit(2);
	}
	char *one = malloc((size_t)n + blen);
	memcpy(one, head, (size_t)n);
	memcpy(one + n, body ? body : g_opt.body ? g_opt.body : "", blen);
	tmpl_set(&g_tmpl[g_ntmpl++], g_opt.url, one, (size_t)n + blen, copies);
	free(one);
	free(body);
}
static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static void raise_nofile(rlim_t want)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

/* ---- --first-response: time from spawning a server to its first answer ---- */
static int load_first_response(void)
{
	uint64_t start = load_now_ns();
	pid_t pid = 0;
	if (g_opt.cmd && g_opt.cmd[0]) {
		start = load_now_ns();
		pid = fork();
		if (pid < 0) {
			perror("rocket-load: fork");
			return 1;
		}
		if (pid == 0) {
			if (g_opt.server_cpu >= 0) {
				cpu_set_t set;
				CPU_ZERO(&set);
				CPU_SET(g_opt.server_cpu, &set);
				sched_setaffinity(0, sizeof(set), &set);
			}
			/* Our stdout carries the result: keep the server off it, so
			 * a reader of our output sees EOF when we exit. */
			dup2(2, 1);
			execvp(g_opt.cmd[0], g_opt.cmd);
			_exit(127);
		}
	} else if (g_opt.start_ns) {
		struct timespec rt;
		clock_gettime(CLOCK_REALTIME, &rt);
		long long rt_ns = (long long)rt.tv_sec * 1000000000LL + rt.tv_nsec;
		start = load_now_ns() - (uint64_t)(rt_ns - g_opt.start_ns);
	}
	uint64_t deadline = start + 10000000000ULL;
	int fd = -1;
	for (;;) {
		fd = socket(g_addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || !connect(fd, (struct sockaddr *)&g_addr, g_addrlen))
			break;
		close(fd);
		fd = -1;
		if (pid && waitpid(pid, 0, WNOHANG) == pid) {
			fprintf(stderr, "rocket-load: the server exited before answering\n");
			return 1;
		}
		if (load_now_ns() > deadline) {
			fprintf(stderr, "rocket-load: no connection within 10 s\n");
			return 1;
		}
		struct timespec nap = { 0, 50000 };
		nanosleep(&nap, 0);
	}
	if (fd < 0 || write(fd, g_tmpl[0].buf, g_tmpl[0].len) != (ssize_t)g_tmpl[0].len) {
		perror("rocket-load: first request");
		return 1;
	}
	static uint8_t buf[1 << 16];
	size_t have = 0;
	struct load_conn c = { 0 };
	bool done = false;
	while (!done && have < sizeof(buf)) {
		ssize_t r = read(fd, buf + have, sizeof(buf) - have);
		if (r <= 0) {
			done = r == 0 && c.state == P_EOF;
			break;
		}
		have += (size_t)r;
		const uint8_t *e = memmem(buf, have, "\r\n\r\n", 4);
		if (!e || resp_parse_head(&c, buf, (size_t)(e + 4 - buf)) < 0)
			continue;
		size_t body = have - (size_t)(e + 4 - buf);
		if (c.state == P_BODY)
			done = body >= c.remain;
		else if (c.state == P_CHUNK_SIZE)
			done = memmem(e + 2, body + 2, "\r\n0\r\n\r\n", 7) != 0;
	}
	uint64_t us = (load_now_ns() - start) / 1000;
	close(fd);
	if (!done) {
		fprintf(stderr, "rocket-load: no complete first response\n");
		return 1;
	}
	printf("first_response_us=%llu status=%d pid=%d\n", (unsigned long long)us, c.status,
	       (int)pid);
	return 0;
}

static int parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : 0;
		char flag[3] = { '-', 0, 0 };
		bool glued = false;
		if (a[0] == '-' && a[1] && strchr("ctdpmHbr", a[1]) && a[2]) { /* wrk style: -c64 */
			flag[1] = a[1];
			v = a + 2;
			a = flag;
			glued = true;
		}
#define NEED()                                                                                     \
	do {                                                                                       \
		if (!v)                                                                            \
			return -1;                                                                 \
		if (!glued)                                                                        \
			i++;                                                                       \
	} while (0)
		if (!strcmp(a, "--")) {
			g_opt.cmd = argv + i + 1;
			break;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(a, "-c")) {
			NEED();
			g_opt.conns = (unsigned)atoi(v);
		} else if (!strcmp(a, "-t")) {
			NEED();
			g_opt.threads = (unsigned)atoi(v);
		} else if (!strcmp(a, "-p")) {
			NEED();
			g_opt.pipeline = (unsigned)atoi(v);
		} else if (!strcmp(a, "-r")) {
			NEED();
			g_opt.per_conn = (unsigned)atoi(v);
		} else if (!strcmp(a, "-d")) {
			NEED();
			g_opt.duration = parse_secs(v);
		} else if (!strcmp(a, "--warmup")) {
			NEED();
			g_opt.warmup = parse_secs(v);
		} else if (!strcmp(a, "-m")) {
			NEED();
			g_opt.method = v;
		} else if (!strcmp(a, "-H")) {
			NEED();
			if (g_opt.nheaders == LOAD_MAX_HEADERS)
				return -1;
			g_opt.headers[g_opt.nheaders++] = v;
		} else if (!strcmp(a, "-b")) {
			NEED();
			g_opt.body = v;
		} else if (!strcmp(a, "--body-file")) {
			NEED();
			g_opt.body_file = v;
		} else if (!strcmp(a, "--raw")) {
			NEED();
			if (g_opt.nraw == LOAD_MAX_TMPL)
				return -1;
			g_opt.raw[g_opt.nraw++] = v;
		} else if (!strcmp(a, "--rotate")) {
			g_opt.rotate = true;
		} else if (!strcmp(a, "--json")) {
			g_opt.json = true;
		} else if (!strcmp(a, "--idle")) {
			NEED();
			g_opt.idle = (unsigned)atoi(v);
		} else if (!strcmp(a, "--first-response")) {
			g_opt.first_response = true;
		} else if (!strcmp(a, "--start-ns")) {
			NEED();
			g_opt.start_ns = atoll(v);
		} else if (!strcmp(a, "--server-cpu")) {
			NEED();
			g_opt.server_cpu = atoi(v);
		} else if (a[0] != '-' && !g_opt.url) {
			g_opt.url = a;
		} else {
			return -1;
		}
#undef NEED
	}
	if (!g_opt.url || g_opt.duration < 0 || g_opt.warmup < 0 || !g_opt.threads ||
	    !g_opt.pipeline || g_opt.pipeline > 4096 || (g_opt.rotate && g_opt.pipeline != 1))
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	bool dur_given = false;
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		dur_given |= !strcmp(argv[i], "-d");
	if (parse_args(argc, argv) < 0) {
		usage(stderr);
		return 2;
	}
	if (parse_url(g_opt.url) < 0) {
		fprintf(stderr, "rocket-load: bad or unresolvable URL %s\n", g_opt.url);
		return 2;
	}
	render_request(g_opt.pipeline + 1);
	signal(SIGPIPE, SIG_IGN);
	if (g_opt.first_response)
		return load_first_response();
	if (g_opt.idle) {
		g_opt.conns = g_opt.idle;
		g_opt.pipeline = 1;
		if (!dur_given)
			g_opt.duration = 1e9; /* hold until a signal */
	}
	if (g_opt.threads > g_opt.conns)
		g_opt.threads = g_opt.conns ? g_opt.conns : 1;
	raise_nofile(g_opt.conns + 64);
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, 0);
	sigaction(SIGTERM, &sa, 0);

	struct load_worker *ws = calloc(g_opt.threads, sizeof(*ws));
	pthread_barrier_init(&g_barrier, 0, g_opt.threads + 1);
	for (unsigned i = 0; i < g_opt.threads; i++) {
		struct load_worker *w = &ws[i];
		w->id = i;
		w->first_conn = i ? ws[i - 1].first_conn + ws[i - 1].nconn : 0;
		w->nconn = g_opt.conns / g_opt.threads + (i < g_opt.conns % g_opt.threads);
		w->conns = calloc(w->nconn ? w->nconn : 1, sizeof(*w->conns));
		w->flush = calloc(w->nconn ? w->nconn : 1, sizeof(*w->flush));
		for (uint32_t j = 0; j < w->nconn; j++) {
			w->conns[j].fd = -1;
			w->conns[j].ts = calloc(g_opt.pipeline, sizeof(uint64_t));
			w->conns[j].stash = malloc(LOAD_STASH_CAP);
		}
		if (pthread_create(&w->th, 0, conn_thread, w)) {
			fprintf(stderr, "rocket-load: pthread_create failed\n");
			return 1;
		}
	}
	g_t0 = load_now_ns();
	pthread_barrier_wait(&g_barrier);
	if (g_opt.idle) {
		bool said = false;
		while (!g_stop) {
			unsigned done = atomic_load(&g_idle_done);
			if (!said && done >= g_opt.idle) {
				printf("ready %u\n", done);
				fflush(stdout);
				said = true;
			}
			if ((double)(load_now_ns() - g_t0) / 1e9 > g_opt.duration)
				break;
			usleep(20000);
		}
		g_stop = 1;
	}
	int err = 0;
	for (unsigned i = 0; i < g_opt.threads; i++) {
		pthread_join(ws[i].th, 0);
		if (ws[i].err && !err)
			err = ws[i].err;
	}
	if (err) {
		fprintf(stderr, "rocket-load: ring set-up or wait failed: %s\n", strerror(-err));
		return 1;
	}
	report_print(ws);
	return 0;
}
