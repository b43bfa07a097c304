/* tests/test_access_log.c - --access-log: the combined format, escaping and
 * bounds of hostile fields, every line of a long run, SIGHUP after a
 * logrotate-style mv, the flush at a graceful stop, failing writes, and the
 * messages that say so; SIGUSR1's acceptor counters. The servers are real
 * processes ($ROCKET_BIN, and $ROCKET_STATIC where it matters for speed),
 * the logs real files in temp dirs. Follows src/http/accesslog.c and
 * src/engine/log.c.
 */
#include "harness.h"
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static void for_both(void (*fn)(const char *bin))
{
	fn(proc_bin_hosted());
	if (proc_bin_static())
		fn(proc_bin_static());
}

/* The fastest server there is: the product, else the sanitized one. */
static const char *fast_bin(void)
{
	return proc_bin_static() ? proc_bin_static() : proc_bin_hosted();
}

static char *tmpdir(void)
{
	static char dirs[4][64];
	static int n;
	char *d = dirs[n++ % 4];
	strcpy(d, "/tmp/rocket-log-XXXXXX");
	CHECK(mkdtemp(d));
	return d;
}

/* Start bin on 127.0.0.1 with --access-log log and more args; its port. */
static int start(struct proc *p, const char *bin, const char *log, const char *const *more)
{
	const char *args[32] = { "--bind",     "127.0.0.1", "--port",       "0",
				 "--reactors", "2",         "--access-log", log };
	int n = 8, port;
	for (; more && *more; more++)
		args[n++] = *more;
	args[n] = NULL;
	proc_spawn(p, bin, args, NULL, NULL, NULL);
	CHECK_EQ(proc_wait_banner(p, &port, 1), 1);
	return port;
}

/* Send raw bytes on a new connection; the whole answer (malloc'd). */
static char *exchange(int port, const char *raw, size_t n)
{
	int fd = tcp_connect(NULL, port);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, raw, n), (ssize_t)n);
	shutdown(fd, SHUT_WR);
	size_t cap = 1 << 16, len = 0;
	char *b = malloc(cap);
	ssize_t r;
	while ((r = read(fd, b + len, cap - len - 1)) > 0)
		len += (size_t)r;
	b[len] = 0;
	close(fd);
	return b;
}

static void get(int port, const char *raw)
{
	free(exchange(port, raw, strlen(raw)));
}

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static size_t file_lines(const char *path)
{
	if (access(path, F_OK))
		return 0;
	char *s = proc_slurp(path);
	size_t n = count_lines(s);
	free(s);
	return n;
}

/* Wait until path holds at least n lines (the reactors write once a
 * second); the file's text. */
static char *wait_lines(const char *path, size_t n)
{
	double end = proc_now() + 10;
	while (file_lines(path) < n) {
		CHECK_MSG(proc_now() < end, "%s: %zu lines, want %zu", path, file_lines(path), n);
		usleep(20000);
	}
	return proc_slurp(path);
}

static bool matches(const char *re_text, const char *s)
{
	regex_t re;
	CHECK(regcomp(&re, re_text, REG_EXTENDED | REG_NOSUB) == 0);
	bool ok = regexec(&re, s, 0, NULL, 0) == 0;
	regfree(&re);
	return ok;
}

#define TIME "\\[[0-3][0-9]/[A-Z][a-z][a-z]/[0-9]{4}:[0-2][0-9]:[0-5][0-9]:[0-6][0-9] \\+0000\\]"

/* The line of the request whose line contains `key`. */
static char *line_with(const char *text, const char *key)
{
	const char *k = strstr(text, key);
	CHECK_MSG(k, "no line with %s in:\n%s", key, text);
	const char *b = k;
	while (b > text && b[-1] != '\n')
		b--;
	size_t n = strcspn(b, "\n");
	char *l = malloc(n + 1);
	memcpy(l, b, n);
	l[n] = 0;
	return l;
}

static void expect_line(const char *text, const char *key, const char *re)
{
	char *l = line_with(text, key);
	CHECK_MSG(matches(re, l), "line\n  %s\ndoes not match\n  %s", l, re);
	free(l);
}

static void normal_requests(const char *bin)
{
	char *d = tmpdir(), log[128];
	snprintf(log, sizeof(log), "%s/access.log", d);
	struct proc p;
	int port = start(&p, bin, log, NULL);
	get(port, "GET /plaintext?a=1 HTTP/1.1\r\nHost: t\r\nReferer: http://r.example/x\r\n"
		  "User-Agent: test-agent/1.0\r\nConnection: close\r\n\r\n");
	get(port, "GET /missing HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	get(port, "HEAD / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	get(port, "POST / HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello");
	get(port, "DELETE /plaintext HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	char *text = wait_lines(log, 5);
	proc_stop(&p);
	/* Keys unique to each line: the reactors write their lines in no
	 * fixed order between them. */
	expect_line(text, "GET /plaintext",
		    "^127\\.0\\.0\\.1 - - " TIME " \"GET /plaintext\\?a=1 HTTP/1\\.1\" 200 13 "
		    "\"http://r\\.example/x\" \"test-agent/1\\.0\"$");
	expect_line(text, "/missing",
		    "^127\\.0\\.0\\.1 - - " TIME
		    " \"GET /missing HTTP/1\\.1\" 404 14 \"-\" \"-\"$");
	expect_line(text, "HEAD",
		    "^127\\.0\\.0\\.1 - - " TIME " \"HEAD / HTTP/1\\.1\" 200 0 \"-\" \"-\"$");
	expect_line(text, "POST",
		    "^127\\.0\\.0\\.1 - - " TIME " \"POST / HTTP/1\\.0\" 200 5 \"-\" \"-\"$");
	/* The router's own answer. */
	expect_line(text, "DELETE",
		    "^127\\.0\\.0\\.1 - - " TIME
		    " \"DELETE /plaintext HTTP/1\\.1\" 405 23 \"-\" \"-\"$");
	CHECK_EQ(count_lines(text), 5);
	char *l = line_with(text, "GET /plaintext");
	printf("  %s\n", l);
	free(l);
	free(text);
	unlink(log);
	rmdir(d);
}

TEST(a_normal_request_gives_one_combined_format_line)
{
	for_both(normal_requests);
}

/* A file is answered later, from the completions of its open and stat
 * (a deferred answer): its line still has the request, status and bytes. */
static void deferred(const char *bin)
{
	char *d = tmpdir(), log[128], www[128], file[160];
	snprintf(log, sizeof(log), "%s/access.log", d);
	snprintf(www, sizeof(www), "%s/www", d);
	snprintf(file, sizeof(file), "%s/f.bin", www);
	CHECK(mkdir(www, 0755) == 0);
	FILE *f = fopen(file, "w");
	CHECK(f);
	for (int i = 0; i < 70000; i++)
		fputc('a' + i % 26, f);
	fclose(f);
	const char *more[] = { "--root", www, NULL };
	struct proc p;
	int port = start(&p, bin, log, more);
	get(port, "GET /f.bin HTTP/1.1\r\nHost: t\r\nUser-Agent: ua\r\nConnection: close\r\n\r\n");
	get(port,
	    "GET /f.bin HTTP/1.1\r\nHost: t\r\nRange: bytes=10-19\r\nConnection: close\r\n\r\n");
	char *text = wait_lines(log, 2);
	proc_stop(&p);
	expect_line(text, "ua",
		    "^127\\.0\\.0\\.1 - - " TIME
		    " \"GET /f\\.bin HTTP/1\\.1\" 200 70000 \"-\" \"ua\"$");
	expect_line(text, "206",
		    "^127\\.0\\.0\\.1 - - " TIME
		    " \"GET /f\\.bin HTTP/1\\.1\" 206 10 \"-\" \"-\"$");
	free(text);
	unlink(file);
	rmdir(www);
	unlink(log);
	rmdir(d);
}

TEST(a_file_answered_later_is_logged_with_its_request_and_bytes)
{
	for_both(deferred);
}

/* The client's address as text: an IPv4 client of a dual-stack socket as
 * IPv4 (not ::ffff:127.0.0.1), an IPv6 one in RFC 5952's form. */
static void addresses(const char *bin)
{
	char *d = tmpdir(), log[128];
	snprintf(log, sizeof(log), "%s/access.log", d);
	const char *args[] = { "--bind", "::",           "--port", "0", "--reactors",
			       "1",      "--access-log", log,      NULL };
	struct proc p;
	int port;
	proc_spawn(&p, bin, args, NULL, NULL, NULL);
	CHECK_EQ(proc_wait_banner(&p, &port, 1), 1);
	char *banner = proc_slurp(p.err);
	bool v6 = strstr(banner, "listening on [::]:") != NULL;
	free(banner);
	CHECK(http_body_200(http_get("127.0.0.1", port, "/plaintext?v4")));
	if (v6)
		CHECK(http_body_200(http_get("::1", port, "/plaintext?v6")));
	char *text = wait_lines(log, v6 ? 2 : 1);
	proc_stop(&p);
	expect_line(text, "?v4", "^127\\.0\\.0\\.1 - - ");
	if (v6)
		expect_line(text, "?v6", "^::1 - - ");
	else
		printf("  no IPv6 here: the IPv4 client only\n");
	free(text);
	unlink(log);
	rmdir(d);
}

TEST(the_host_is_the_clients_address_v4_mapped_shown_as_v4)
{
	/* "::" (for the v4-mapped clients): where only loopback exists. */
	if (!proc_loopback_only_net())
		return;
	for_both(addresses);
}

/* Quotes, a backslash, tabs, bytes outside ASCII and an attempt to close
 * the field and forge the rest of a line, in the User-Agent; a 4 KiB
 * User-Agent; a head that is no HTTP at all. */
static void hostile_requests(const char *bin)
{
	char *d = tmpdir(), log[128];
	snprintf(log, sizeof(log), "%s/access.log", d);
	struct proc p;
	int port = start(&p, bin, log, NULL);
	get(port,
	    "GET /plaintext?h1 HTTP/1.1\r\nHost: t\r\n"
	    "User-Agent: a\"b\\c\td\xff\x80 \" 200 1 \"-\" \"forged\r\nConnection: close\r\n\r\n");
	char big[8192];
	int n = snprintf(big, sizeof(big), "GET /plaintext?h2 HTTP/1.1\r\nHost: t\r\nUser-Agent: ");
	memset(big + n, 'u', 4096);
	n += 4096;
	n += snprintf(big + n, sizeof(big) - (size_t)n, "\r\nConnection: close\r\n\r\n");
	free(exchange(port, big, (size_t)n));
	/* The target escaped too (a quote is no URI character, but the parser
	 * lets it through), and a request line of 3 KiB is cut. */
	get(port, "GET /plaintext?h3=\"x\" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	n = snprintf(big, sizeof(big), "GET /plaintext?h4=");
	memset(big + n, 'q', 3000);
	n += 3000;
	n += snprintf(big + n, sizeof(big) - (size_t)n,
		      " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	free(exchange(port, big, (size_t)n));
	get(port, "{no http}\r\n\r\n");
	char *text = wait_lines(log, 5);
	proc_stop(&p);
	CHECK_EQ(count_lines(text), 5);
	expect_line(text, "h1",
		    "^127\\.0\\.0\\.1 - - " TIME " \"GET /plaintext\\?h1 HTTP/1\\.1\" 200 13 \"-\" "
		    "\"a\\\\x22b\\\\x5Cc\\\\x09d\\\\xFF\\\\x80 \\\\x22 200 1 \\\\x22-\\\\x22 "
		    "\\\\x22forged\"$");
	/* 4 KiB of agent: cut to 384 bytes with the mark. */
	expect_line(text, "h2", "\" 200 13 \"-\" \"u{377}\\\\\\.\\.\\.\"$");
	expect_line(text, "h3", "\"GET /plaintext\\?h3=\\\\x22x\\\\x22 HTTP/1\\.1\" 200 13 ");
	expect_line(text, "h4", "\"GET /plaintext\\?h4=q{999}\\\\\\.\\.\\.\" 200 13 \"-\" \"-\"$");
	/* Not HTTP: a 400 without a request line. */
	expect_line(text, "\"-\" 400",
		    "^127\\.0\\.0\\.1 - - " TIME " \"-\" 400 [0-9]+ \"-\" \"-\"$");
	/* Every byte of the log printable ASCII, every line bounded. */
	for (const char *s = text; *s; s++)
		CHECK_MSG((*s >= 0x20 && *s < 0x7f) || *s == '\n', "byte 0x%02x in the log",
			  (unsigned char)*s);
	for (const char *s = text; *s; s += strcspn(s, "\n") + 1)
		CHECK_MSG(strcspn(s, "\n") < 2048, "a line of %zu bytes", strcspn(s, "\n"));
	free(text);
	unlink(log);
	rmdir(d);
}

TEST(hostile_fields_are_escaped_and_bounded_and_forge_nothing)
{
	for_both(hostile_requests);
}

/* 64 connections, each with its share of N pipelined GETs, 16 in flight:
 * every answer read (they are all the same length). */
static void load(int port, int conns, int total)
{
	static const char req[] = "GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n";
	int fd[64], left[64], inflight[64];
	size_t got[64], resp = 0;
	/* One answer alone, for its length. */
	{
		int f = tcp_connect(NULL, port);
		CHECK(f >= 0);
		CHECK_EQ(write(f, req, sizeof(req) - 1), (ssize_t)sizeof(req) - 1);
		char b[512];
		ssize_t r = read(f, b, sizeof(b));
		CHECK(r > 0);
		resp = (size_t)r;
		close(f);
		total--;
	}
	for (int i = 0; i < conns; i++) {
		fd[i] = tcp_connect(NULL, port);
		CHECK(fd[i] >= 0);
		left[i] = total / conns + (i < total % conns);
		inflight[i] = 0;
		got[i] = 0;
	}
	char batch[16 * sizeof(req)], buf[1 << 16];
	for (int k = 0; k < 16; k++)
		memcpy(batch + k * (sizeof(req) - 1), req, sizeof(req) - 1);
	double end = proc_now() + 120;
	for (int open = conns; open;) {
		struct pollfd pf[64];
		for (int i = 0; i < conns; i++) {
			if (!inflight[i] && left[i]) {
				int k = left[i] < 16 ? left[i] : 16;
				size_t n = (size_t)k * (sizeof(req) - 1);
				CHECK_EQ(write(fd[i], batch, n), (ssize_t)n);
				inflight[i] = k;
				left[i] -= k;
			}
			pf[i] = (struct pollfd){ .fd = inflight[i] ? fd[i] : -1, .events = POLLIN };
		}
		CHECK_MSG(proc_now() < end, "load did not finish");
		CHECK(poll(pf, (nfds_t)conns, 10000) > 0);
		for (int i = 0; i < conns; i++) {
			if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t r = read(fd[i], buf, sizeof(buf));
			CHECK_MSG(r > 0, "connection %d closed", i);
			got[i] += (size_t)r;
			while (inflight[i] && got[i] >= resp) {
				got[i] -= resp;
				inflight[i]--;
			}
			if (!inflight[i] && !left[i]) {
				close(fd[i]);
				open--;
			}
		}
	}
}

TEST_T(a_hundred_thousand_requests_over_two_reactors_give_as_many_lines, 240)
{
	char *d = tmpdir(), log[128];
	snprintf(log, sizeof(log), "%s/access.log", d);
	struct proc p;
	int port = start(&p, fast_bin(), log, NULL);
	double t0 = proc_now();
	load(port, 64, 100000);
	double t = proc_now() - t0;
	proc_stop(&p);
	char *text = proc_slurp(log);
	size_t lines = 0, bad = 0;
	regex_t re;
	CHECK(regcomp(&re,
		      "^127\\.0\\.0\\.1 - - " TIME
		      " \"GET /plaintext HTTP/1\\.1\" 200 13 \"-\" \"-\"$",
		      REG_EXTENDED | REG_NOSUB) == 0);
	for (char *s = text; *s;) {
		char *nl = strchr(s, '\n');
		CHECK_MSG(nl, "the last line has no newline");
		*nl = 0;
		bad += regexec(&re, s, 0, NULL, 0) != 0;
		lines++;
		s = nl + 1;
	}
	regfree(&re);
	printf("  %s: 100000 requests in %.2f s, %zu lines, %zu malformed\n", fast_bin(), t, lines,
	       bad);
	CHECK_EQ(lines, 100000);
	CHECK_EQ(bad, 0);
	free(text);
	unlink(log);
	rmdir(d);
}

/* logrotate's way: mv the file, SIGHUP, and the lines after the signal go
 * to a new file of the old name; nothing is lost. */
static void rotate(const char *bin)
{
	char *d = tmpdir(), log[128], old[160];
	snprintf(log, sizeof(log), "%s/access.log", d);
	snprintf(old, sizeof(old), "%s/access.log.1", d);
	struct proc p;
	int port = start(&p, bin, log, NULL);
	for (int i = 0; i < 50; i++)
		get(port, "GET /plaintext?before HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	free(wait_lines(log, 50)); /* written: the tick came */
	CHECK(rename(log, old) == 0);
	kill(p.pid, SIGHUP);
	double end = proc_now() + 10;
	while (access(log, F_OK)) { /* the acceptor opened it again */
		CHECK_MSG(proc_now() < end, "SIGHUP made no new %s", log);
		usleep(10000);
	}
	for (int i = 0; i < 50; i++)
		get(port, "GET /plaintext?after HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	proc_stop(&p); /* still serving after SIGHUP, exits 0, flushes */
	char *a = proc_slurp(old), *b = proc_slurp(log);
	CHECK_EQ(count_lines(a), 50);
	CHECK_EQ(count_lines(b), 50);
	CHECK(!strstr(a, "after"));
	CHECK(!strstr(b, "before"));
	printf("  %s: 50 lines in access.log.1, 50 in the new access.log\n", bin);
	free(a);
	free(b);
	unlink(log);
	unlink(old);
	rmdir(d);
}

TEST(sighup_after_mv_sends_the_following_lines_to_a_new_file)
{
	for_both(rotate);
}

/* Lines not yet written when SIGTERM comes are written before the exit. */
static void stop_flushes(const char *bin)
{
	char *d = tmpdir(), log[128];
	snprintf(log, sizeof(log), "%s/access.log", d);
	struct proc p;
	int port = start(&p, bin, log, NULL);
	/* Answered at once, written by the next tick at the latest: stop
	 * before it. */
	int fd = tcp_connect(NULL, port);
	static const char req[] = "GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n";
	char b[4096];
	for (int i = 0; i < 20; i++) {
		CHECK_EQ(write(fd, req, sizeof(req) - 1), (ssize_t)sizeof(req) - 1);
		CHECK(read(fd, b, sizeof(b)) > 0);
	}
	struct stat st;
	CHECK(stat(log, &st) == 0);
	off_t before = st.st_size;
	kill(p.pid, SIGTERM);
	close(fd);
	proc_reap(&p);
	printf("  %s: %lld bytes written before SIGTERM, %zu lines after the exit\n", bin,
	       (long long)before, file_lines(log));
	CHECK_EQ(file_lines(log), 20);
	unlink(log);
	rmdir(d);
}

TEST(a_graceful_stop_writes_the_last_lines)
{
	for_both(stop_flushes);
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *s = hay; (s = strstr(s, needle)); s++)
		n++;
	return n;
}

/* The sum of a "| log N lost M" counter over the reactors' lines. */
static long long stat_sum(const char *err, const char *key)
{
	long long sum = 0;
	for (const char *s = err; (s = strstr(s, key)); s += strlen(key))
		sum += atoll(s + strlen(key));
	return sum;
}

#define WRITE_FAILED "rocket: --access-log: write failed (ENOSPC): lines dropped, counted\n"

/* /dev/full takes no byte: every write fails with ENOSPC. */
static void dev_full(const char *bin)
{
	struct proc p;
	int port = start(&p, bin, "/dev/full", NULL);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 10; i++)
			CHECK_MSG(http_body_200(http_get(NULL, port, "/plaintext")), "not served");
		usleep(1300 * 1000); /* a tick: the write, which fails */
	}
	kill(p.pid, SIGTERM);
	int st = proc_wait(&p, 10);
	char *err = proc_slurp(p.err);
	CHECK_MSG(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "status 0x%x\n%s", st, err);
	CHECK_MSG(count(err, WRITE_FAILED) == 1, "want once: %s\n%s", WRITE_FAILED, err);
	CHECK_EQ(stat_sum(err, "| log "), 20);
	CHECK_EQ(stat_sum(err, " lost "), 20);
	printf("  %s: %s", bin, WRITE_FAILED);
	free(err);
	proc_cleanup(&p);
}

TEST(writes_to_dev_full_fail_are_said_once_and_serving_goes_on)
{
	for_both(dev_full);
}

/* A real filesystem that fills up: a 64 KiB tmpfs (root only). Whole
 * lines until it is full; afterwards every line is counted, none made up. */
static void small_fs(const char *bin)
{
	char *d = tmpdir(), log[128];
	snprintf(log, sizeof(log), "%s/access.log", d);
	if (mount("rocket-test", d, "tmpfs", 0, "size=64k") != 0) {
		printf("  skip: cannot mount a tmpfs (%s)\n", strerror(errno));
		rmdir(d);
		return;
	}
	struct proc p;
	int port = start(&p, bin, log, NULL);
	int fd = tcp_connect(NULL, port);
	char req[256], b[4096];
	int n = snprintf(req, sizeof(req), "GET /plaintext?%0100d HTTP/1.1\r\nHost: t\r\n\r\n", 0);
	for (int i = 0; i < 1500; i++) { /* 1500 lines of ~170 bytes: 250 KB */
		CHECK_EQ(write(fd, req, (size_t)n), n);
		CHECK_MSG(read(fd, b, sizeof(b)) > 0, "not served after %d", i);
		if (i % 500 == 499)
			usleep(1200 * 1000);
	}
	close(fd);
	CHECK(http_body_200(http_get(NULL, port, "/plaintext")));
	kill(p.pid, SIGTERM);
	int st = proc_wait(&p, 10);
	char *err = proc_slurp(p.err), *text = proc_slurp(log);
	CHECK_MSG(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "status 0x%x\n%s", st, err);
	CHECK_MSG(count(err, WRITE_FAILED) == 1, "want once: %s\n%s", WRITE_FAILED, err);
	/* Whole lines written + lines dropped = lines logged. */
	size_t whole = count_lines(text);
	long long dropped = stat_sum(err, " lost "), lines = stat_sum(err, "| log ");
	CHECK_EQ(lines, 1501);
	CHECK_EQ((long long)whole + dropped, lines);
	CHECK(whole > 100 && dropped > 100);
	printf("  %s: %zu whole lines in 64 KiB, %lld dropped\n", bin, whole, dropped);
	free(err);
	free(text);
	proc_cleanup(&p);
	umount(d);
	rmdir(d);
}

TEST(a_full_filesystem_drops_and_counts_lines_and_serving_goes_on)
{
	if (geteuid() != 0) {
		printf("  skip: not root, cannot mount a tmpfs\n");
		return;
	}
	for_both(small_fs);
}

static void to_stdout(const char *bin)
{
	struct proc p;
	int port = start(&p, bin, "-", NULL);
	CHECK(http_body_200(http_get(NULL, port, "/plaintext")));
	free(wait_lines(p.out, 1));
	char *out = proc_slurp(p.out);
	CHECK(matches("^127\\.0\\.0\\.1 - - " TIME
		      " \"GET /plaintext HTTP/1\\.1\" 200 13 \"-\" \"-\"\n$",
		      out));
	free(out);
	proc_stop(&p);
}

TEST(a_dash_logs_to_stdout)
{
	for_both(to_stdout);
}

/* The messages, exactly. */
static void messages(const char *bin)
{
	char line[512];
	const char *args[] = { "--bind", "127.0.0.1",    "--port",
			       "0",      "--access-log", "/nonexistent-dir/access.log",
			       NULL };
	CHECK_EQ(proc_run(bin, args, NULL, NULL, NULL, line, sizeof(line)), 1);
	CHECK_MSG(!strcmp(line, "rocket: --access-log /nonexistent-dir/access.log: cannot open it "
				"(ENOENT)"),
		  "got '%s'", line);
	printf("  %s\n", line);

	/* SIGHUP when the path cannot be opened again: said, and the old
	 * file goes on. */
	char *d = tmpdir(), log[128], moved[128];
	snprintf(log, sizeof(log), "%s/access.log", d);
	snprintf(moved, sizeof(moved), "/tmp/rocket-log-moved-%d", (int)getpid());
	struct proc p;
	int port = start(&p, bin, log, NULL);
	CHECK(rename(log, moved) == 0);
	CHECK(rmdir(d) == 0);
	kill(p.pid, SIGHUP);
	char want[256];
	snprintf(want, sizeof(want), "rocket: SIGHUP: --access-log %s: ENOENT, kept the old file\n",
		 log);
	double end = proc_now() + 10;
	for (;;) {
		char *err = proc_slurp(p.err);
		bool seen = strstr(err, want);
		free(err);
		if (seen)
			break;
		CHECK_MSG(proc_now() < end, "no '%s'", want);
		usleep(10000);
	}
	printf("  %s", want);
	CHECK(http_body_200(http_get(NULL, port, "/plaintext")));
	proc_stop(&p);
	CHECK_EQ(file_lines(moved), 1);
	unlink(moved);
}

TEST(failures_to_open_the_log_are_said_exactly)
{
	for_both(messages);
}

/* SIGUSR1 prints the acceptor's counters while it serves; SIGHUP without
 * an access log is harmless. */
static void usr1(const char *bin)
{
	const char *args[] = { "--bind", "127.0.0.1", "--port",   "0", "--reactors",
			       "1",      "--accept",  "acceptor", NULL };
	struct proc p;
	int port;
	proc_spawn(&p, bin, args, NULL, NULL, NULL);
	CHECK_EQ(proc_wait_banner(&p, &port, 1), 1);
	CHECK(http_body_200(http_get(NULL, port, "/plaintext")));
	kill(p.pid, SIGHUP);
	kill(p.pid, SIGUSR1);
	double end = proc_now() + 10;
	for (;;) {
		char *err = proc_slurp(p.err);
		bool seen =
			strstr(err, "acceptor: accepted 1 |") && strstr(err, "reactor 0: conns 1");
		free(err);
		if (seen)
			break;
		CHECK_MSG(proc_now() < end, "SIGUSR1 printed no acceptor counters");
		usleep(10000);
	}
	CHECK(http_body_200(http_get(NULL, port, "/plaintext")));
	proc_stop(&p);
}

TEST(sigusr1_prints_the_acceptors_counters_and_sighup_without_a_log_is_harmless)
{
	for_both(usr1);
}
