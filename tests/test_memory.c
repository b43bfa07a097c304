/* tests/test_memory.c - memory that fits the machine: the pools that touch
 * nothing until used and give idle memory back (include/rocket/pool.h),
 * the default sizes of 64 reactors (mapped <= 2 GB, resident <= 16 MiB at
 * start), a hostile run of 4,000 partial heads whose memory goes back
 * once they close, and 10,000 idle connections that cost the same after a
 * static file as after /plaintext. Residency is the kernel's word: mincore(2) for a pool's
 * pages, /proc/PID/status for a server's VmSize and VmRSS.
 */
#include "harness.h"
#include "proc.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rocket/engine.h"
#include "rocket/pool.h"
#include "rocket/server.h"

#define GB 1000000000LL

/* Is any page of [p, p + n) resident? */
static bool resident(const void *p, size_t n)
{
	unsigned char v[64];
	CHECK(n / 4096 <= sizeof(v));
	CHECK(mincore((void *)p, n, v) == 0);
	for (size_t i = 0; i < n / 4096; i++)
		if (v[i] & 1)
			return true;
	return false;
}

TEST(a_pool_hands_out_fresh_items_then_the_last_freed_and_touches_nothing_first)
{
	uint32_t stack[8];
	memset(stack, 0xee, sizeof(stack));
	struct rk_pool p;
	rk_pool_init(&p, stack, 8, NULL, 1);
	CHECK_EQ(stack[0], 0xeeeeeeee); /* no free list written at start */
	CHECK_EQ(rk_pool_avail(&p), 8);
	CHECK_EQ(rk_pool_get(&p), 0);
	CHECK_EQ(rk_pool_get(&p), 1);
	CHECK_EQ(rk_pool_get(&p), 2);
	rk_pool_put(&p, 1);
	rk_pool_put(&p, 0);
	CHECK_EQ(rk_pool_get(&p), 0); /* LIFO */
	CHECK_EQ(rk_pool_get(&p), 1);
	CHECK_EQ(rk_pool_get(&p), 3); /* then the never used */
	for (int i = 4; i < 8; i++)
		CHECK_EQ(rk_pool_get(&p), i);
	CHECK_EQ(rk_pool_get(&p), RK_POOL_NONE);
	CHECK_EQ(rk_pool_avail(&p), 0);
}

/* 64 items of 64 KiB (keep: 1 MiB = 16 of them). */
TEST(a_trimmed_pool_gives_back_what_lay_idle_a_whole_second_but_keep)
{
	enum { N = 64, SIZE = 64 << 10 };
	uint8_t *mem = mmap(NULL, (size_t)N * SIZE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(mem != MAP_FAILED);
	uint32_t stack[N];
	struct rk_pool p;
	rk_pool_init(&p, stack, N, mem, SIZE);
	CHECK_EQ(p.keep, 16);
	for (int i = 0; i < N; i++) {
		uint32_t k = rk_pool_get(&p);
		CHECK(!resident(mem + (size_t)k * SIZE, SIZE)); /* never touched */
		memset(mem + (size_t)k * SIZE, 0x5a, SIZE);
	}
	for (int i = 0; i < N; i++)
		rk_pool_put(&p, (uint32_t)i);
	/* The first trim: they were all in use during the last second. */
	rk_pool_trim(&p);
	for (int i = 0; i < N; i++)
		CHECK(resident(mem + (size_t)i * SIZE, SIZE));
	/* Idle for a whole second: all but the 16 deepest go back. */
	rk_pool_trim(&p);
	for (int pos = 0; pos < N; pos++)
		CHECK_MSG(resident(mem + (size_t)stack[pos] * SIZE, SIZE) == (pos < 16),
			  "stack position %d", pos);
	/* The next one out is one given back: it reads zeros. */
	uint32_t k = rk_pool_get(&p);
	CHECK_EQ(mem[(size_t)k * SIZE + 100], 0);
	memset(mem + (size_t)k * SIZE, 1, SIZE);
	rk_pool_put(&p, k);
	/* In use during the second: kept; idle the next: given back. */
	rk_pool_trim(&p);
	CHECK(resident(mem + (size_t)k * SIZE, SIZE));
	rk_pool_trim(&p);
	CHECK(!resident(mem + (size_t)k * SIZE, SIZE));
	munmap(mem, (size_t)N * SIZE);
}

static long long status_kb(pid_t pid, const char *field)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	char *s = proc_slurp(path), *l = strstr(s, field);
	CHECK_MSG(l, "%s: no %s", path, field);
	long long v = atoll(l + strlen(field));
	free(s);
	return v;
}

/* rk_engine_create with 64 reactors and the defaults, on however many CPUs
 * this machine has: its mapping, plus what each reactor maps when it runs
 * (rings, provided buffers, its stack), is at most 2 GB. No thread starts. */
TEST(sixty_four_reactors_with_the_defaults_map_at_most_2_gb)
{
	static struct rk_engine_config cfg;
	static struct rk_server_config hc;
	rk_engine_defaults(&cfg);
	rk_server_defaults(&hc);
	cfg.reactors = 64;
	cfg.bind = "127.0.0.1";
	cfg.port = 0;
	rk_server_setup(&cfg, &hc);
	long long before = status_kb(getpid(), "VmSize:");
	struct rk_engine *e;
	CHECK_EQ(rk_engine_create(&e, &cfg), 0);
	long long engine = (status_kb(getpid(), "VmSize:") - before) * 1024;
	rk_engine_destroy(e);
	/* Per reactor at run time: SQEs, the CQ ring, the buffer ring and its
	 * buffers, the thread's stack and guard (src/rt/thread.c). */
	long long ring = (long long)cfg.ring_entries * 64 + 4LL * cfg.ring_entries * 16 + 4096;
	long long bufs = (long long)cfg.buffers * (cfg.buffer_size + 16);
	long long run = 64 * (ring + bufs + (320 << 10));
	printf("  64 reactors x %u conns, %u buffers, %u chunks: engine %lld MB + run %lld MB = "
	       "%lld MB\n",
	       cfg.max_conns, cfg.buffers, cfg.send_chunks, engine / 1000000, run / 1000000,
	       (engine + run) / 1000000);
	CHECK(engine > 0);
	CHECK_MSG(engine + run <= 2 * GB, "%lld bytes", engine + run);
}

/* The product, started with 64 reactors on this machine: its VmSize and
 * VmRSS once it serves. */
TEST(the_product_with_sixty_four_reactors_maps_at_most_2_gb_and_starts_under_16_mib)
{
	const char *bin = proc_bin_static();
	if (!bin) {
		printf("  skip: no build/rocket (the sanitized build's shadow memory would be "
		       "measured)\n");
		return;
	}
	const char *args[] = { "--bind", "127.0.0.1", "--port", "0", "--reactors", "64", NULL };
	struct proc p;
	int port;
	proc_spawn(&p, bin, args, NULL, NULL, NULL);
	CHECK_EQ(proc_wait_banner(&p, &port, 1), 1);
	CHECK(http_body_200(http_get(NULL, port, "/plaintext")));
	long long vm = status_kb(p.pid, "VmSize:"), rss = status_kb(p.pid, "VmRSS:");
	/* The start-up line's "N MiB mapped" is what an operator sizes the
	 * machine by: the process's mapping, less the stacks, within 5%. */
	char *err = proc_slurp(p.err), *m = strstr(err, " MiB mapped |");
	CHECK_MSG(m, "no \"MiB mapped\" in:\n%s", err);
	while (m > err && m[-1] >= '0' && m[-1] <= '9')
		m--;
	long long said = atoll(m) << 10;
	printf("  VmSize %lld MB (%lld MiB), VmRSS %lld KiB; the start-up line says %lld MiB "
	       "mapped\n",
	       vm * 1024 / 1000000, vm >> 10, rss, said >> 10);
	CHECK_MSG(vm * 1024 <= 2 * GB, "VmSize %lld kB", vm);
	CHECK_MSG(rss <= 16 * 1024, "VmRSS %lld kB", rss);
	CHECK_MSG(said <= vm && said * 100 >= vm * 95, "the line says %lld MiB, VmSize is %lld kB",
		  said >> 10, vm);
	free(err);
	proc_stop(&p);
}

/* The static product, with this process's descriptor limit raised to at
 * least want; NULL (having said why) when either is missing. */
static const char *product_with_fds(int want)
{
	const char *bin = proc_bin_static();
	if (!bin) {
		printf("  skip: no build/rocket (the sanitized build's own memory would be "
		       "measured)\n");
		return 0;
	}
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < (rlim_t)want) {
		printf("  skip: RLIMIT_NOFILE %llu is below %d\n", (unsigned long long)rl.rlim_cur,
		       want);
		return 0;
	}
	return bin;
}

/* 4,000 connections each send 15 KB of a head and stop: the split-head
 * areas fill (RSS grows by some 60 MB); they close, and within two ticks
 * the areas go back. What may stay, the bound below: the receive buffers
 * the kernel wrote into (--buffers 512 x 4 KiB a reactor), the areas kept
 * warm (1 MiB a pool, three pools), and 4 MiB for the state of the 4,000
 * slots themselves (under 1 KiB each) and the rest. */
TEST_T(memory_of_4000_partial_heads_goes_back_once_they_close, 120)
{
	enum { CONNS = 4000, HEAD = 15000 };
	const char *bin = product_with_fds(CONNS + 100);
	if (!bin)
		return;
	const char *args[] = { "--bind", "127.0.0.1", "--port", "0", "--reactors",
			       "2",      "--buffers", "512",    NULL };
	struct proc p;
	int port;
	proc_spawn(&p, bin, args, NULL, NULL, NULL);
	CHECK_EQ(proc_wait_banner(&p, &port, 1), 1);
	CHECK(http_body_200(http_get(NULL, port, "/plaintext")));
	usleep(300 * 1000);
	long long rss0 = status_kb(p.pid, "VmRSS:");

	static char head[HEAD + 64];
	int n = snprintf(head, sizeof(head), "GET / HTTP/1.1\r\nHost: t\r\nX-Pad: ");
	memset(head + n, 'a', HEAD - (size_t)n);
	static int fds[CONNS];
	for (int i = 0; i < CONNS; i++) {
		fds[i] = tcp_connect(NULL, port);
		CHECK_MSG(fds[i] >= 0, "connection %d", i);
		CHECK_EQ(write(fds[i], head, HEAD), HEAD);
	}
	/* Until the server has taken it all in. */
	long long peak = 0, want = rss0 + CONNS * (HEAD / 1024) * 3 / 4;
	for (double end = proc_now() + 20; proc_now() < end && peak < want; usleep(50 * 1000))
		peak = status_kb(p.pid, "VmRSS:");
	for (int i = 0; i < CONNS; i++)
		close(fds[i]);
	long long bound = rss0 + 2 * 512 * 4 + 2 * 3 * 1024 + 4096; /* KiB */
	long long after = 0;
	for (double end = proc_now() + 10; proc_now() < end; usleep(200 * 1000)) {
		after = status_kb(p.pid, "VmRSS:");
		if (after <= bound)
			break;
	}
	printf("  RSS %lld KiB at rest, %lld KiB with %d partial heads of %d B, %lld KiB after "
	       "they closed (bound %lld)\n",
	       rss0, peak, CONNS, HEAD, after, bound);
	CHECK_MSG(peak >= want, "the heads took only %lld KiB", peak - rss0);
	CHECK_MSG(after <= bound, "RSS stays at %lld KiB", after);
	CHECK(http_body_200(http_get(NULL, port, "/plaintext")));
	proc_stop(&p);
}

/* RSS of bin (args) with CONNS kept-alive connections that each made one
 * request for path, once the once-a-second trim has run. */
static long long idle_rss(const char *bin, const char *const *args, const char *path, int conns)
{
	static int fds[10000];
	struct proc p;
	int port;
	char req[128];
	proc_spawn(&p, bin, args, NULL, NULL, NULL);
	CHECK_EQ(proc_wait_banner(&p, &port, 1), 1);
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\n\r\n", path);
	for (int i = 0; i < conns; i++) {
		fds[i] = tcp_connect(NULL, port);
		CHECK_MSG(fds[i] >= 0, "connection %d", i);
		CHECK_EQ(write(fds[i], req, (size_t)n), n);
		char buf[1024];
		ssize_t k = read(fds[i], buf, sizeof(buf) - 1);
		CHECK_MSG(k > 12 && !memcmp(buf, "HTTP/1.1 200", 12), "connection %d: %zd", i, k);
	}
	usleep(2500 * 1000); /* two ticks: idle pool items given back */
	long long rss = status_kb(p.pid, "VmRSS:");
	for (int i = 0; i < conns; i++)
		close(fds[i]);
	proc_stop(&p);
	return rss;
}

/* Issue 11's idle cost: 10,000 kept-alive connections that each fetched a
 * small file cost what 10,000 that fetched /plaintext do (a static answer
 * goes by SENDMSG, head and file bytes: its msghdr is lent while the send
 * flies, not kept per connection). */
TEST_T(idle_connections_after_a_static_answer_cost_what_plaintext_ones_cost, 120)
{
	enum { CONNS = 10000 };
	const char *bin = product_with_fds(CONNS + 100);
	if (!bin)
		return;
	char dir[] = "/tmp/rocket-idle-XXXXXX", file[64];
	CHECK(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/small.html", dir);
	FILE *f = fopen(file, "w");
	CHECK(f);
	fputs("<!doctype html><title>small</title><p>a small page\n", f);
	fclose(f);
	const char *plain[] = { "--bind", "127.0.0.1",   "--port", "0", "--reactors",
				"1",      "--max-conns", "10100",  NULL };
	const char *root[] = { "--bind",      "127.0.0.1", "--port", "0", "--reactors", "1",
			       "--max-conns", "10100",     "--root", dir, NULL };
	long long a = idle_rss(bin, plain, "/plaintext", CONNS);
	long long b = idle_rss(bin, root, "/small.html", CONNS);
	printf("  RSS with %d idle connections: %lld KiB after /plaintext, %lld KiB after a "
	       "file of --root\n",
	       CONNS, a, b);
	unlink(file);
	rmdir(dir);
	CHECK_MSG(b - a < 1024, "the static answers left %lld KiB more", b - a);
}
