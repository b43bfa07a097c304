/* tests/test_load_tool.c - build/rocket-load driving build/epoll-server: its
 * JSON report counts answered requests and sorts them by status class.
 * Binaries come from $ROCKET_BUILD (default "build"). */
#include "harness.h"
#include "proc.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *build_dir(void)
{
	const char *b = getenv("ROCKET_BUILD");
	return b && *b ? b : "build";
}

/* Start epoll-server on a port the kernel picks; it prints that port. */
static pid_t server_start(int *port)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/epoll-server", build_dir());
	int pfd[2];
	CHECK(pipe(pfd) == 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a timed-out test */
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		execl(path, path, "--port", "0", (char *)0);
		_exit(127);
	}
	close(pfd[1]);
	FILE *f = fdopen(pfd[0], "r");
	char line[256] = "";
	CHECK_MSG(fgets(line, sizeof(line), f), "%s printed nothing", path);
	fclose(f);
	const char *colon = strrchr(line, ':');
	CHECK_MSG(colon && strstr(line, "listening"), "unexpected: %s", line);
	*port = atoi(colon + 1);
	CHECK(*port > 0);
	return pid;
}

static void server_stop(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, 0, 0);
}

/* Run rocket-load with args and the URL; return its stdout (static). */
static const char *run_load(const char *args, int port, const char *path)
{
	static char out[8192];
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "%s/rocket-load %s http://127.0.0.1:%d%s --json", build_dir(),
		 args, port, path);
	FILE *p = popen(cmd, "r");
	CHECK(p);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = 0;
	int st = pclose(p);
	CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: exit %d, output: %s", cmd, st, out);
	return out;
}

static long long json_num(const char *json, const char *key)
{
	char k[64];
	snprintf(k, sizeof(k), "\"%s\":", key);
	const char *p = strstr(json, k);
	CHECK_MSG(p, "no %s in %s", k, json);
	return strtoll(p + strlen(k), 0, 10);
}

TEST_T(load_counts_plaintext_answers_as_2xx_without_errors, 20)
{
	int port;
	pid_t srv = server_start(&port);
	const char *j = run_load("-c 4 -t 1 -d 1 -p 4", port, "/plaintext");
	server_stop(srv);
	long long req = json_num(j, "requests");
	CHECK_MSG(req > 0, "no requests: %s", j);
	CHECK_EQ(json_num(j, "total"), 0); /* errors.total */
	CHECK_EQ(json_num(j, "2xx"), req);
	CHECK_EQ(json_num(j, "4xx"), 0);
	CHECK_EQ(json_num(j, "reconnects"), 0);
	CHECK(json_num(j, "bytes") > req * 100); /* every answer is ~130 bytes */
}

TEST_T(load_counts_unknown_path_as_4xx, 20)
{
	int port;
	pid_t srv = server_start(&port);
	const char *j = run_load("-c 2 -t 1 -d 0.5 -p 2", port, "/nope");
	server_stop(srv);
	long long req = json_num(j, "requests");
	CHECK_MSG(req > 0, "no requests: %s", j);
	CHECK_EQ(json_num(j, "4xx"), req);
	CHECK_EQ(json_num(j, "2xx"), 0);
	CHECK_EQ(json_num(j, "total"), 0);
}

/* -r N: N requests per connection, then a new connection; every answered
 * request but the last few in flight at the end closes one. */
TEST_T(load_reconnects_after_r_requests_per_connection, 20)
{
	int port;
	pid_t srv = server_start(&port);
	const char *j1 = run_load("-c 2 -t 1 -d 0.5 -r 1", port, "/plaintext");
	long long req1 = json_num(j1, "requests"), rc1 = json_num(j1, "reconnects");
	const char *j3 = run_load("-c 2 -t 1 -d 0.5 -r 3 -p 2", port, "/plaintext");
	long long req3 = json_num(j3, "requests"), rc3 = json_num(j3, "reconnects");
	server_stop(srv);
	CHECK_MSG(req1 > 10, "no requests: %s", j1);
	CHECK_EQ(json_num(j1, "total"), 0);
	CHECK_MSG(rc1 >= req1 - 2 && rc1 <= req1 + 2, "-r 1: %lld requests, %lld reconnects", req1,
		  rc1);
	CHECK_EQ(json_num(j3, "total"), 0);
	CHECK_MSG(rc3 * 3 >= req3 - 6 && rc3 * 3 <= req3 + 6,
		  "-r 3: %lld requests, %lld reconnects", req3, rc3);
}

/* A file with these bytes in a new temp file; its path (static). */
static const char *temp_file(const char *bytes, size_t n)
{
	static char paths[4][32];
	static int k;
	char *p = paths[k++ % 4];
	snprintf(p, 32, "/tmp/rk-load.XXXXXX");
	int fd = mkstemp(p);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, bytes, n), (ssize_t)n);
	close(fd);
	return p;
}

/* --raw templates: connections take them in turn, answers are counted per
 * template, -r rotates each connection through them, and --rotate makes
 * one connection take them request by request (without it, -c 1 would
 * send the first alone); --rotate with a pipeline is refused (a send could
 * then mix two templates). */
TEST_T(load_rotates_raw_templates_and_counts_each, 20)
{
	static const char ok[] = "GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n";
	static const char nf[] = "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n";
	char a[64], b[64], args[256];
	snprintf(a, sizeof(a), "%s", temp_file(ok, sizeof(ok) - 1));
	snprintf(b, sizeof(b), "%s", temp_file(nf, sizeof(nf) - 1));
	int port;
	pid_t srv = server_start(&port);
	static const char *const modes[] = { "-c 4 -t 2", "-c 4 -t 2 -r 1", "-c 1 --rotate" };
	for (int r = 0; r < 3; r++) {
		snprintf(args, sizeof(args), "%s -d 0.5 --raw %s --raw %s", modes[r], a, b);
		const char *j = run_load(args, port, "/");
		long long req = json_num(j, "requests");
		const char *t1 = strstr(j, "\"templates\":[");
		CHECK_MSG(t1, "no templates: %s", j);
		const char *t2 = strstr(t1, "},{");
		CHECK_MSG(t2, "one template only: %s", j);
		long long r1 = json_num(t1, "requests"), ok1 = json_num(t1, "2xx");
		long long r2 = json_num(t2, "requests"), nf2 = json_num(t2, "4xx");
		CHECK_MSG(strstr(t1, a) && strstr(t2, b), "names: %s", j);
		CHECK_MSG(req > 20 && r1 + r2 == req && ok1 == r1 && nf2 == r2 &&
				  json_num(t1, "4xx") == 0 && json_num(t2, "2xx") == 0,
			  "%s: %s", modes[r], j);
		/* Half the connections (or half of each one's life, or of its
		 * requests) each. */
		CHECK_MSG(r1 * 3 > req && r2 * 3 > req, "%s: uneven: %s", modes[r], j);
		CHECK_EQ(json_num(j, "total"), 0);
	}
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "%s/rocket-load -c 1 -d 0.2 -p 2 --rotate --raw %s %s >/dev/null 2>&1",
		 build_dir(), a, "http://127.0.0.1:1/");
	CHECK_MSG(system(cmd) != 0, "-p 2 --rotate was taken");
	server_stop(srv);
	unlink(a);
	unlink(b);
}

/* --body-file: the file is the body, with its Content-Length. rocket's
 * POST / echoes the body back, so each answer is as long as the file. */
TEST_T(load_sends_a_body_from_a_file, 20)
{
	static char body[100000];
	memset(body, 'b', sizeof(body));
	char path[64], args[128];
	snprintf(path, sizeof(path), "%s", temp_file(body, sizeof(body)));
	const char *sargs[] = { "--bind", "127.0.0.1", "--port", "0", "--reactors", "1", NULL };
	struct proc p;
	int port;
	proc_spawn(&p, proc_build_path("rocket"), sargs, NULL, NULL, NULL);
	CHECK_EQ(proc_wait_banner(&p, &port, 1), 1);
	snprintf(args, sizeof(args), "-c 2 -d 0.5 -m POST --body-file %s", path);
	const char *j = run_load(args, port, "/");
	proc_stop(&p);
	unlink(path);
	long long req = json_num(j, "requests");
	CHECK_MSG(req > 10 && json_num(j, "2xx") == req && json_num(j, "total") == 0, "%s", j);
	CHECK_MSG(json_num(j, "bytes") > req * (long long)sizeof(body), "answers too short: %s", j);
}
